"""Build refimpl's documentation site offline: nbdev's notebook processing, then Sphinx with MyST-NB.

    python tools/build_docs.py [--out _site] [--serve] [--port 8000]

1. nbdev processes every notebook under `nbs/` into `_proc/` (the same processing its Quarto
   pipeline uses: front matter read from the title cell, `#| hide` cells dropped, `show_doc` cells
   added and executed for every exported name).
2. This script turns what is left of nbdev's Quarto directives into MyST-NB cell tags
   (`echo: false` -> `remove-input`, `output: false` -> `remove-output`, `include: false` ->
   `remove-cell`), strips the remaining `#|` lines, turns the front matter into the page's title,
   collapses progress-bar carriage returns, and writes the navigation (one toctree per area) and the
   API reference page.
3. Sphinx renders the result with warnings as errors into `--out` (default: nbdev's `doc_path`).
"""
from __future__ import annotations

import argparse
import http.server
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
GEN = ROOT / "docs" / "_gen"  # staging area: the Sphinx source tree (ignored by git)
AREAS = {"": "Start here", "peft": "PEFT: adapting a frozen LLM", "vision": "Vision",
         "science": "Scientific ML", "eval": "Evaluation"}
DIRECTIVE = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")
SOURCE_LINK = re.compile(r"\[source\]\([^)]*\)(\{[^}]*\})?\s*")
TAGS = {("echo", "false"): "remove-input", ("output", "false"): "remove-output", ("include", "false"): "remove-cell"}


def _doc_eval(cell) -> bool:
    """Which cells nbdev's `exec_show_docs` runs to render `show_doc`: exported cells, cells made only of
    imports, and `show_doc` cells. (nbdev's own rule also runs any cell that merely *contains* an
    import, which would run the notebooks' long experiments while building the site.)"""
    import ast
    from nbdev import processors as P
    if P.cell_lang(cell) != "python" or cell.cell_type != "code" or not cell.source: return False
    if "nbdev_export" + "()" in cell.source: return False
    if cell.directives_.get("eval", "").lower() == "false": return False
    if cell.directives_.keys() & {"export", "exports", "exporti", "exec_doc"}: return True
    trees = cell.parsed_()
    if not trees: return False
    if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): return True
    return bool(P._show_docs(trees))


def run_nbdev_processing(force: bool = True) -> Path:
    "Run nbdev's documentation processors over `nbs/` (no Quarto involved); returns `_proc/`."
    os.chdir(ROOT)
    from nbdev import processors
    from nbdev.doclinks import _build_modidx
    from nbdev.serve import proc_nbs
    processors._do_eval = _doc_eval  # see `_doc_eval`; proc_nbs runs in this process (n_workers=0)
    _build_modidx()
    return Path(proc_nbs(n_workers=0, force=force))


def _collapse_cr(text: str) -> str:
    "Keep what a terminal would show: the text after the last carriage return of each line."
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def _front_matter(src: str) -> dict:
    import yaml
    m = re.match(r"^\s*---\s*\n(.*?)\n---\s*$", src, re.S)
    return yaml.safe_load(m.group(1)) if m else {}


def convert_notebook(nb: dict) -> dict:
    "Turn an nbdev-processed notebook into one MyST-NB renders as intended."
    cells = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell.get("source", ""))
        if i == 0 and cell["cell_type"] == "raw" and src.lstrip().startswith("---"):
            fm = _front_matter(src)
            head = f"# {fm.get('title', 'Untitled')}\n"
            if fm.get("description"): head += f"\n{{.lead}}\n{fm['description']}\n"
            cells.append({"cell_type": "markdown", "id": "refimpl-title", "metadata": {}, "source": head})
            continue
        if cell["cell_type"] == "markdown" and DIRECTIVE.match(src.lstrip("\n").split("\n", 1)[0]):  # `#| export` on a Markdown cell: its text
            lines = src.split("\n")  # also goes into the module's docstring; the page shows the text only
            while lines and (not lines[0].strip() or DIRECTIVE.match(lines[0])): lines.pop(0)
            cell = {**cell, "source": "\n".join(lines).strip("\n")}
        if cell["cell_type"] == "code":
            lines, tags = src.split("\n"), set(cell.get("metadata", {}).get("tags", []))
            keep = []
            for line in lines:
                m = DIRECTIVE.match(line)
                if m:
                    key, val = m.group(1).lower(), m.group(2).strip().lower()
                    if (key, val) in TAGS: tags.add(TAGS[key, val])
                    if key == "hide": tags.add("remove-cell")
                    continue
                keep.append(line)
            src = "\n".join(keep).strip("\n")
            if not src: continue  # a cell that only held directives (`#| default_exp ...`)
            md = dict(cell.get("metadata", {}))
            md.pop("execution", None)
            if tags: md["tags"] = sorted(tags)
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":
                    o = {**o, "text": _collapse_cr("".join(o.get("text", "")))}
                if "text/markdown" in o.get("data", {}):  # show_doc opens with a rule, which docutils
                    md_txt = "".join(o["data"]["text/markdown"])  # refuses inside an output
                    md_txt = re.sub(r"^\s*---\s*\n", "", md_txt)
                    md_txt = SOURCE_LINK.sub("", md_txt)  # links to a hosted repository we do not assume
                    o = {**o, "data": {**o["data"], "text/markdown": md_txt}}
                outs.append(o)
            cell = {**cell, "source": src, "metadata": md, "outputs": outs}
        cells.append(cell)
    return {**nb, "cells": cells}


def _docname(p: Path, base: Path) -> str:
    return p.relative_to(base).with_suffix("").as_posix()


def _source_notebook(module_file: Path) -> Path:
    "The notebook (relative to nbs/) that nbdev exported `module_file` from, read from its header."
    m = re.search(r"File to edit: (\S+\.ipynb)", module_file.read_text())
    if not m: raise ValueError(f"{module_file}: no 'File to edit' header: is it exported by nbdev?")
    return (module_file.parent / m.group(1)).resolve().relative_to(NBS)


def write_navigation(src: Path, pages: list[Path]) -> None:
    "Append one hidden toctree per area to the home page, and write the API reference page."
    groups: dict[str, list[str]] = {}
    for p in sorted(pages):
        rel = p.relative_to(src)
        if rel.as_posix() == "index.ipynb": continue
        area = rel.parts[0] if len(rel.parts) > 1 else ""
        if area not in AREAS: raise ValueError(f"{p}: notebooks go in nbs/ or one of nbs/{{{', '.join(a for a in AREAS if a)}}}/")
        groups.setdefault(area, []).append(_docname(p, src))
    blocks = []
    for area, caption in AREAS.items():
        if area in groups:
            blocks.append("```{toctree}\n:hidden:\n:caption: " + caption + "\n\n" + "\n".join(groups[area]) + "\n```")
    blocks.append("```{toctree}\n:hidden:\n:caption: Reference\n\napi\n```")
    index = src / "index.ipynb"
    nb = json.loads(index.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "refimpl-toctree", "metadata": {}, "source": "\n\n".join(blocks)})
    index.write_text(json.dumps(nb, indent=1))

    sys.path.insert(0, str(ROOT))
    from refimpl._modidx import d as modidx
    lines = ["# API reference", "",
             "Every name the `refimpl` package exports, module by module, generated from the code's "
             "signatures and docstrings. Each module is written by one notebook: follow the link to "
             "read the explanation, the equations and the tests beside the code.", ""]
    for mod in sorted(modidx["syms"]):
        syms = modidx["syms"][mod]
        if not syms: continue
        nbfile = _source_notebook(ROOT / "/".join(mod.split(".")[:-1]) / f"{mod.split('.')[-1]}.py")
        lines += [f"## `{mod}`", "", f"Written by the notebook [{nbfile.stem}]({nbfile.as_posix()}).", "",
                  "```{eval-rst}", f".. module:: {mod}", ""]
        m = importlib.import_module(mod)
        for name in getattr(m, "__all__", []):  # every exported name, each with the directive that fits it
            obj = getattr(m, name)
            if inspect.isclass(obj): lines += [f".. autoclass:: {mod}.{name}", "   :members:", ""]
            elif inspect.isfunction(obj) or hasattr(obj, "__wrapped__"): lines += [f".. autofunction:: {mod}.{name}", ""]
            else: lines += [f".. autodata:: {mod}.{name}", "   :no-value:", ""]
        lines += ["```", ""]
    (src / "api.md").write_text("\n".join(lines))


def copy_mathjax(static: Path) -> None:
    "Copy MathJax 3 (CommonHTML output and its fonts) from the installed wheel into the site's static files."
    import mathjax  # the django-static-mathjax wheel
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    dst = static / "mathjax"
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", dst / "tex-chtml.js")
    for sub in ("output", "input", "ui", "a11y", "adaptors"):
        if (es5 / sub).exists(): shutil.copytree(es5 / sub, dst / sub, dirs_exist_ok=True)


def build(out: Path, force: bool = True) -> Path:
    proc = run_nbdev_processing(force=force)
    if GEN.exists(): shutil.rmtree(GEN)
    src, static = GEN / "src", GEN / "static"
    shutil.copytree(proc, src, ignore=shutil.ignore_patterns("_quarto.yml", "sidebar.yml", "nbdev.yml", "*.qmd"))
    for f in src.rglob("*"):  # pages are the notebooks (and the generated API page): data files' READMEs are not
        if f.suffix in (".md", ".rst") and f.is_file(): f.unlink()
    pages = sorted(src.rglob("*.ipynb"))
    for p in pages:
        p.write_text(json.dumps(convert_notebook(json.loads(p.read_text())), indent=1))
    write_navigation(src, pages)
    copy_mathjax(static)
    # MyST-NB writes its `jupyter_execute/` folder beside Sphinx's output folder: render inside the
    # staging area, so that nothing but the site itself lands in `out`'s parent (the repository root).
    html = sphinx_build(src, GEN / "html", static, GEN / "doctrees")
    if out.exists(): shutil.rmtree(out)
    shutil.copytree(html, out)
    return out


def sphinx_build(src: Path, out: Path, static: Path | None = None, doctrees: Path | None = None) -> Path:
    "Render the Sphinx source tree `src` into `out` with refimpl's configuration; any warning fails the build."
    if out.exists(): shutil.rmtree(out)
    env = {**os.environ, "REFIMPL_DOCS_STATIC": str(static)} if static else dict(os.environ)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(ROOT / "docs"),
           *(["-d", str(doctrees)] if doctrees else []), str(src), str(out)]
    subprocess.run(cmd, check=True, env=env)
    return out


def serve(site: Path, port: int) -> None:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"Serving refimpl's documentation at http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try: httpd.serve_forever()
        except KeyboardInterrupt: pass


def main(argv=None):
    from nbdev.config import get_config
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="where to write the site (default: nbdev's doc_path)")
    ap.add_argument("--serve", action="store_true", help="serve the built site on 127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    ap.add_argument("--no-build", action="store_true", help="serve the site already built")
    a = ap.parse_args(argv)
    out = (a.out or get_config(ROOT).doc_path).resolve()
    if not a.no_build:
        build(out)
        print(f"Built the site in {out}", flush=True)
    if a.serve: serve(out, a.port)


if __name__ == "__main__":
    main()
