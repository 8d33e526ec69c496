"""Run one notebook exactly as `nbdev-test` does, and record what its cells printed.

    python tools/nbtest.py nbs/science/deflation.ipynb --flags "slow" --record out.json

This is nbdev's own command (`nbdev_test`: the same configuration, skipped flags, cell timeout and
error report), with one change: where `--save` would write the executed notebook back over its
source, the record of every code cell's printed output (tools/repeat.py's comparable text: standard
output and text results, object addresses and random table ids masked) is written to `--record`
instead. The test suite runs every notebook this way and keeps the records under
tests/artifacts/outputs/, so two runs of the suite, on one machine or two, can be compared cell by
cell with `python tools/compare_runs.py A B`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import repeat  # noqa: E402  (the comparable text of a cell, and what `#| timings` exempts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--flags", default="", help="test flags to switch on, e.g. 'slow'")
    ap.add_argument("--record", type=Path, required=True, help="where to write the cells' printed output (JSON)")
    args = ap.parse_args(argv)
    if not args.notebook.is_file():
        ap.error(f"notebook: no such file {args.notebook}")
    import nbdev.test as nbtest

    out = args.record.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists(): out.unlink()  # a failed run leaves no record, never an old one

    def write_record(nb, fn):  # called by nbdev's test_nb where `--save` writes the notebook back
        out.write_text(json.dumps(repeat.cell_records(nb), indent=0))

    nbtest.write_nb = write_record
    nbtest.nbdev_test(path=str(args.notebook), flags=args.flags, save=True)  # exits with status 1 (nbdev's report on stderr) when a cell fails
    if not out.exists():
        print(f"{args.notebook}: nbdev-test reported success but wrote no record", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
