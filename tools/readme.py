"""Write README.md from nbs/index.ipynb, offline (nbdev's own `nbdev-readme` needs Quarto).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is not what index.ipynb gives

Markdown cells are copied, code cells become fenced Python blocks followed by their text output,
nbdev directives (`#| ...`) are dropped along with hidden cells, and links and images relative to
`nbs/` are rewritten to work from the repository's root.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX, README = ROOT / "nbs" / "index.ipynb", ROOT / "README.md"
HEADER = "<!-- Generated from nbs/index.ipynb by tools/readme.py (make readme): edit the notebook, not this file. -->\n"
DIRECTIVE = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")
LINK = re.compile(r"(!?\[[^\]]*\]\()(?!https?://|#|/|mailto:)([^)\s]+)(\))")


def _cell_src(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _directives(src: str) -> tuple[dict, str]:
    "Split a code cell into its nbdev directives and the remaining code."
    d, keep = {}, []
    for line in src.split("\n"):
        m = DIRECTIVE.match(line)
        if m: d[m.group(1).lower()] = m.group(2).strip().lower()
        else: keep.append(line)
    return d, "\n".join(keep).strip("\n")


def _text_outputs(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream": out.append("".join(o.get("text", "")))
        elif "text/plain" in o.get("data", {}) and "image/png" not in o["data"]: out.append("".join(o["data"]["text/plain"]) + "\n")
    return "".join(out).rstrip("\n")


def render(nb: dict) -> str:
    "The README text for the notebook `nb`."
    parts = [HEADER]
    for cell in nb["cells"]:
        src = _cell_src(cell)
        if cell["cell_type"] == "markdown":
            parts.append(LINK.sub(lambda m: m.group(1) + "nbs/" + m.group(2) + m.group(3), src.strip("\n")) + "\n")
        elif cell["cell_type"] == "code":
            d, code = _directives(src)
            if not code or "hide" in d or d.get("echo") == "false" or d.get("include") == "false": continue
            parts.append(f"```python\n{code}\n```\n")
            txt = _text_outputs(cell)
            if txt: parts.append(f"```\n{txt}\n```\n")
    return "\n".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    ap.add_argument("--index", type=Path, default=INDEX)
    ap.add_argument("--readme", type=Path, default=README)
    a = ap.parse_args(argv)
    text = render(json.loads(a.index.read_text(encoding="utf-8")))
    if a.check:
        old = a.readme.read_text(encoding="utf-8") if a.readme.exists() else ""
        if old == text: return 0
        diff = difflib.unified_diff(old.splitlines(), text.splitlines(), str(a.readme), "from " + str(a.index), lineterm="")
        print("README.md is out of date with nbs/index.ipynb (run `make readme`):\n" + "\n".join(list(diff)[:60]), file=sys.stderr)
        return 1
    a.readme.write_text(text, encoding="utf-8")
    print(f"wrote {a.readme} from {a.index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
