# Sphinx configuration of refimpl's documentation site.
#
# The site is built offline by `tools/build_docs.py` (`make docs`): nbdev processes the notebooks
# (hidden cells dropped, `show_doc` rendered), the builder turns nbdev's Quarto directives into
# MyST-NB cell tags and writes the table of contents, then Sphinx renders the stored outputs with
# MyST-NB. Nothing is executed here and nothing is fetched from the network: MathJax is served from
# the site itself.
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "refimpl"
author = "refimpl developers"
copyright = "2026, refimpl developers"

extensions = ["myst_nb", "sphinx.ext.autodoc"]

# Notebooks are rendered with the outputs stored in them; the tests are what executes them.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_inline", "attrs_block", "colon_fence"]
nb_render_markdown_format = "myst"  # show_doc output and markdown outputs: math and attributes render
myst_heading_anchors = 3
myst_dmath_double_inline = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}

exclude_patterns = ["_build", "**.ipynb_checkpoints"]

html_theme = "sphinx_book_theme"
html_title = "refimpl"
html_static_path = ["static"] + ([os.environ["REFIMPL_DOCS_STATIC"]] if os.environ.get("REFIMPL_DOCS_STATIC") else [])
# MathJax 3, copied into _static by the builder from the `django-static-mathjax` wheel: math renders offline.
mathjax_path = "mathjax/tex-chtml.js"
html_css_files = ["refimpl.css"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None

import re

_CODE = re.compile(r"(`+)(.+?)\1")


def _md_docstring_to_rst(app, what, name, obj, options, lines):
    """nbdev docstrings are Markdown; autodoc reads reStructuredText. Turn `code` into ``code`` and
    escape the characters reST would take for markup (|x| is a substitution there, *x an emphasis)."""
    import inspect
    if what == "data" and type(obj).__doc__ and "\n".join(lines).strip() == inspect.cleandoc(type(obj).__doc__).strip():
        lines.clear()  # a constant without a doc comment: autodoc offered its type's docstring (dict's, str's...)
        return
    for i, line in enumerate(lines):
        out, pos = [], 0
        for m in _CODE.finditer(line):
            out.append(re.sub(r"([\\|*_`])", r"\\\1", line[pos:m.start()]))
            out.append("``" + m.group(2).strip() + "``")
            pos = m.end()
        out.append(re.sub(r"([\\|*_`])", r"\\\1", line[pos:]))
        lines[i] = "".join(out)


def setup(app):
    app.connect("autodoc-process-docstring", _md_docstring_to_rst)
