"""Did two runs of the test suite print the same numbers? Compare the records the notebook tests keep
(tests/artifacts/outputs/<area>/<notebook>.json, written by tools/nbtest.py), notebook by notebook and
cell by cell, as tools/repeat.py compares two runs of one notebook (`#| timings` cells exempt).

    python tools/compare_runs.py run1/outputs run2/outputs

Exit status 0 when every notebook recorded in both runs printed the same, 1 otherwise (the differing
cells are listed); notebooks recorded in only one run are named.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import repeat  # noqa: E402


def compare(a: Path, b: Path) -> tuple[dict[str, list[str]], list[str], int]:
    "Per notebook the differing cells' reports, the notebooks recorded in only one run, and how many cells were compared."
    ra = {p.relative_to(a).as_posix(): p for p in a.rglob("*.json")}
    rb = {p.relative_to(b).as_posix(): p for p in b.rglob("*.json")}
    diffs, compared = {}, 0
    for name in sorted(ra.keys() & rb.keys()):
        ca, cb = json.loads(ra[name].read_text()), json.loads(rb[name].read_text())
        compared += sum(1 for c in ca if c["text"] and not c["timings"])
        d = repeat.differences(ca, cb)
        if d: diffs[name] = d
    return diffs, sorted(ra.keys() ^ rb.keys()), compared


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    for d in (args.a, args.b):
        if not d.is_dir(): ap.error(f"{d}: not a folder of records")
    diffs, only_one, compared = compare(args.a, args.b)
    both = len(set(p.relative_to(args.a) for p in args.a.rglob("*.json")) & set(p.relative_to(args.b) for p in args.b.rglob("*.json")))
    for name in only_one: print(f"recorded in one run only: {name}")
    for name, d in diffs.items(): print(f"{name}: {len(d)} cell(s) differ\n" + "\n\n".join(d) + "\n")
    print(f"{both} notebooks, {compared} cells with output compared: "
          + ("the same in both runs" if not diffs else f"{len(diffs)} notebook(s) differ"))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
