"""The documentation site: built offline from the notebooks (nbdev processing, then Sphinx with
MyST-NB, warnings as errors), served on 127.0.0.1, and opened in headless Chromium (Debian's
`chromium`, driven by Playwright without downloading a browser) the way a reader would see it."""
from __future__ import annotations

import html.parser
import importlib
import json
import os
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

from conftest import NBS, ROOT, notebooks


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _page_of(nb: Path) -> tuple[str, str]:
    "The site page of a notebook and its title (the first Markdown cell's `# heading`)."
    first = next(c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown")
    title = re.match(r"#\s+(.+)", "".join(first["source"]).strip()).group(1).strip()
    return nb.relative_to(NBS).with_suffix(".html").as_posix(), title


PAGES = dict(_page_of(nb) for nb in notebooks())  # every notebook's page -> its title (h1)
# A paper's page: a notebook in an area folder that is not part of the PEFT foundation (00_ ... 09_).
PAPER_PAGES = [p for p in PAGES if "/" in p and not re.match(r"0\d_", Path(p).name)]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per test run. Under pytest-xdist every worker asks for it: the first builds
    it (the build stages in docs/_gen, so two at once would clash) while the others wait on a lock."""
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"): shared = shared.parent  # the run's folder, common to all workers
    out, done, failed = shared / "site" / "html", shared / "site.built", shared / "site.failed"
    with FileLock(str(shared / "site.lock")):
        if not done.exists() and not failed.exists():
            p = subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--out", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=1200)
            (done if p.returncode == 0 else failed).write_text(p.stderr[-6000:])
    assert done.exists(), f"the site build failed (warnings are errors):\n{failed.read_text()}"
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


def broken_links(hrefs: list[str], server: str, cache: dict | None = None) -> list[str]:
    "The same-site links among `hrefs` whose page does not answer 200 or whose #fragment is not on that page."
    cache = {} if cache is None else cache
    broken = []
    for h in sorted({h for h in hrefs if urlparse(h).netloc == urlparse(server).netloc}):
        url, frag = urldefrag(h)
        if url not in cache: cache[url] = _fetch(url)
        status, text = cache[url]
        if status != 200: broken.append(f"{h}: HTTP {status}")
        elif frag and url.endswith(".html") and frag not in _ids(text): broken.append(f"{h}: no #{frag} on the page")
    return broken


@pytest.fixture(scope="session")
def fetched() -> dict:
    "Pages fetched by the link check, shared by every page's test."
    return {}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders(page, server, browser, artifacts, fetched):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(urljoin(server, page))
    # the title, in the tab and as the page's heading
    title = PAGES[page]
    plain = lambda t: t.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')  # Sphinx's smart quotes
    assert plain(title) in plain(tab.title()), tab.title()
    assert plain(tab.locator("h1").first.inner_text().strip()).startswith(plain(title))
    # math: MathJax (served by the site itself) turned every $$...$$ into rendered math
    n_math = tab.locator(".math").count()
    if n_math:
        tab.wait_for_selector("mjx-container", state="attached", timeout=120000)  # attached: the first may sit in a scrolled table
        tab.wait_for_function(f"document.querySelectorAll('.math mjx-container').length >= {n_math}", timeout=120000)
    n_rendered = tab.locator(".math mjx-container").count()
    assert n_rendered == n_math, f"{n_rendered} of {n_math} math blocks rendered on {page}"
    assert not tab.locator("mjx-merror").count(), f"MathJax reported a TeX error on {page}"
    # every figure in the article loaded and decoded; a paper's page has at least one
    imgs = tab.eval_on_selector_all("article img", "els => els.map(e => [e.src, e.complete && e.naturalWidth > 0])")
    assert not [src for src, ok in imgs if not ok], f"figures that did not load on {page}: {imgs}"
    if page in PAPER_PAGES or page in ("index.html", "00_core.html"):
        assert imgs, f"no figure on {page}"
    assert not errors, errors
    tab.screenshot(path=str(artifacts / f"site_{page.replace('/', '_').removesuffix('.html')}.png"), full_page=True)
    # no broken internal link: every same-site link answers, and its #fragment exists on the target page
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    tab.close()
    assert len([h for h in hrefs if urlparse(h).netloc == urlparse(server).netloc]) > 5
    broken = broken_links(hrefs, server, fetched)
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_every_notebook_has_a_page_and_papers_are_known():
    assert len(PAGES) == len(notebooks()) and "index.html" in PAGES and "00_core.html" in PAGES
    assert {"peft/10_milora.html", "vision/corradaptor.html", "science/deflation.html", "eval/tcm.html"} <= set(PAPER_PAGES)
    assert not [p for p in PAPER_PAGES if p.startswith("peft/0")]  # the foundation is not a paper


def test_link_check_catches_a_broken_link(server):
    "The link check is not vacuous: a missing page and a missing anchor are reported, good links are not."
    good = [urljoin(server, "00_core.html"), urljoin(server, "00_core.html#get-device"), "https://example.org/x.html"]
    bad = [urljoin(server, "no-such-page.html"), urljoin(server, "00_core.html#no-such-anchor")]
    assert broken_links(good, server) == []
    report = broken_links(good + bad, server)
    assert len(report) == 2 and "HTTP 404" in report[1] and "no #no-such-anchor" in report[0], report


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
