"""The documentation site: built offline from the notebooks (nbdev processing, then Sphinx with
MyST-NB, warnings as errors), served on 127.0.0.1, and opened in headless Chromium (Debian's
`chromium`, driven by Playwright without downloading a browser) the way a reader would see it."""
from __future__ import annotations

import html.parser
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = {"index.html": "refimpl", "00_core.html": "core"}  # page -> its title (h1)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0, f"the site build failed (warnings are errors):\n{p.stderr[-6000:]}"
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope="session")
def server(site):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the site test: `apt-get install chromium` (make test and .ci/run do this)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v: self.ids.add(v)


def _ids(html_text: str) -> set[str]:
    p = _Ids()
    p.feed(html_text)
    return p.ids


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders(page, server, browser, artifacts):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(urljoin(server, page))
    # the title, in the tab and as the page's heading
    title = PAGES[page]
    assert title in tab.title(), tab.title()
    assert tab.locator("h1").first.inner_text().strip().startswith(title)
    # math: MathJax (served by the site itself) turned every $$...$$ into rendered math
    tab.wait_for_selector("mjx-container", timeout=30000)
    n_math = tab.locator(".math").count()
    n_rendered = tab.locator(".math mjx-container").count()
    assert n_math > 0 and n_rendered == n_math, f"{n_rendered} of {n_math} math blocks rendered"
    # at least one figure in the article that the browser loaded and decoded
    imgs = tab.eval_on_selector_all("article img", "els => els.map(e => [e.src, e.complete && e.naturalWidth > 0])")
    assert any(ok for _, ok in imgs), f"no figure loaded on {page}: {imgs}"
    assert not [src for src, ok in imgs if not ok], f"figures that did not load: {imgs}"
    assert not errors, errors
    tab.screenshot(path=str(artifacts / f"site_{Path(page).stem}.png"), full_page=True)
    # no broken internal link: every same-site link answers, and its #fragment exists on the target page
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    tab.close()
    internal = sorted({h for h in hrefs if urlparse(h).netloc == urlparse(server).netloc})
    assert len(internal) > 5
    pages = {}
    broken = []
    for h in internal:
        url, frag = urldefrag(h)
        if url not in pages: pages[url] = _fetch(url)
        status, text = pages[url]
        if status != 200: broken.append(f"{h}: HTTP {status}")
        elif frag and url.endswith(".html") and frag not in _ids(text): broken.append(f"{h}: no #{frag} on the page")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_link_check_catches_a_broken_link(server):
    "The link check above is not vacuous: a missing page and a missing anchor are both caught."
    assert _fetch(urljoin(server, "no-such-page.html"))[0] == 404
    status, text = _fetch(urljoin(server, "00_core.html"))
    assert status == 200 and "get-device" in _ids(text) and "no-such-anchor" not in _ids(text)


def test_navigation_by_area_and_search(site):
    home = (site / "index.html").read_text()
    for caption in ("Start here", "Reference"):
        assert caption in home, f"no '{caption}' section in the navigation"
    assert 'href="00_core.html"' in home
    assert (site / "search.html").exists()
    index = (site / "searchindex.js").read_text()
    assert "seed_everything" in index and "00_core" in index


def test_api_reference_lists_every_exported_name(site):
    sys.path.insert(0, str(ROOT))
    from refimpl._modidx import d
    api_ids = _ids((site / "api.html").read_text())
    missing = []
    for mod in d["syms"]:
        for name in importlib.import_module(mod).__all__:
            if f"{mod}.{name}" not in api_ids: missing.append(f"{mod}.{name}")
    assert not missing, f"not in the API reference: {missing}"


def test_core_page_is_processed_by_nbdev(site):
    core = (site / "00_core.html").read_text()
    assert "get-device" in _ids(core)  # show_doc rendered a section per exported name
    assert not re.search(r"#\|\s*(export|hide|default_exp|eval|echo|output|slow|cuda)", core)  # directives stripped
    assert "nbdev_export" not in core  # the hidden export cell is hidden
    assert "The helpers every paper notebook uses" in core  # the front matter became the page's lead


def test_warnings_fail_the_build(tmp_path):
    "The site's build turns a warning (here a link to a missing page) into a failed build."
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "tools" / "build_docs.py")
    build_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_docs)
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text("# A page\n\nA link to [nowhere](missing.md).\n")
    with pytest.raises(subprocess.CalledProcessError):
        build_docs.sphinx_build(src, tmp_path / "out")
    (src / "index.md").write_text("# A page\n\nNo broken link.\n")
    assert (build_docs.sphinx_build(src, tmp_path / "out") / "index.html").exists()  # and a clean page builds
