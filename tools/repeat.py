"""Is a notebook repeatable? Run it twice, each time in a fresh Python process, exactly as the tests
run it (nbdev's runner, the same skipped flags), and compare what every cell printed.

    python tools/repeat.py nbs/science/deflation.ipynb            # default (fast) path
    python tools/repeat.py nbs/science/deflation.ipynb --flags slow

What is compared: each code cell's standard output, its results (`text/plain`, `text/markdown`,
`text/html`) and its errors, byte for byte once object addresses and pandas' random table ids are
masked. What is not: standard error (progress bars carry their
own timings), images, and cells marked `#| timings` (cells that print wall-clock times, which no two
runs share; keep the numbers a reader should trust out of such cells). Exit status 0 when the two
runs agree, 1 with the first differing lines of each cell that does not.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_MIMES = ("text/plain", "text/markdown", "text/html")
TIMINGS = "timings"  # the directive of a cell whose output is allowed to differ between runs
# Parts of an output that name a process's objects rather than results: object addresses in reprs
# ("<... at 0x7f3a...>") and the random ids pandas gives a styled table's HTML (id="T_4c1d2_row0_col1").
NOISE = [(re.compile(r" at 0x[0-9a-fA-F]+"), " at 0x..."), (re.compile(r"\bT_[0-9a-f]{5}(?=[_\"\s#])"), "T_id")]


def _cell_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        kind = o.get("output_type")
        if kind == "stream" and o.get("name") == "stdout": parts.append("".join(o.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = o.get("data", {})
            parts += ["".join(data[m]) for m in TEXT_MIMES if m in data]
        elif kind == "error": parts.append(f"{o.get('ename')}: {o.get('evalue')}")
    text = "".join(parts)
    for pattern, repl in NOISE: text = pattern.sub(repl, text)
    return text


def cell_records(nb) -> list[dict]:
    "Each code cell of an executed notebook: id, index, whether it is a `#| timings` cell, its comparable text."
    return [{"id": c.get("id"), "idx": i, "timings": TIMINGS in (getattr(c, "directives_", None) or {}), "text": _cell_text(c)}
            for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def run_once(nb: Path, flags: list[str], out: Path) -> None:
    "Execute `nb` in this process as nbdev-test does and write each code cell's comparable text to `out` (JSON)."
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell, working_directory

    cfg = get_config()
    tst = cfg.get("tst_flags", "").split()
    skip = [f for f in tst if f not in flags]
    os.environ["IN_TEST"] = "1"
    nb = Path(nb).resolve()
    book = NBProcessor(nb, rm_directives=False, process=True).nb
    shell = CaptureShell(nb, profile=bool(cfg.get("exec_profile", False)))
    with working_directory(nb.parent):
        shell.run_all(book, exc_stop=True, preproc=_skip_cell(book, skip, None), cell_timeout=int(cfg.get("cell_timeout", 900)))
    out.write_text(json.dumps(cell_records(book)))


def run_twice(nb: Path, flags: list[str] = (), timeout: int = 1800) -> tuple[list[dict], list[dict]]:
    "Run `nb` twice in two fresh processes; returns both runs' cells."
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(2):
            out = Path(tmp) / f"run{k}.json"
            cmd = [sys.executable, __file__, str(nb), "--once", str(out), "--flags", " ".join(flags)]
            p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            if p.returncode != 0: raise RuntimeError(f"run {k + 1} of {nb} failed:\n{p.stderr[-4000:]}")
            runs.append(json.loads(out.read_text()))
    return runs[0], runs[1]


def differences(a: list[dict], b: list[dict], context: int = 3) -> list[str]:
    "One report per code cell whose compared output differs between the runs `a` and `b`."
    if [c["id"] for c in a] != [c["id"] for c in b]: return ["the two runs executed different cells"]
    out = []
    for ca, cb in zip(a, b):
        if ca["timings"] or ca["text"] == cb["text"]: continue
        diff = difflib.unified_diff(ca["text"].splitlines(), cb["text"].splitlines(), "run 1", "run 2", n=0, lineterm="")
        out.append(f"code cell {ca['idx']} (id {ca['id']}):\n" + "\n".join(list(diff)[2:2 + 2 * context]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--flags", default="", help="test flags to switch on, e.g. 'slow'")
    ap.add_argument("--once", type=Path, help=argparse.SUPPRESS)  # internal: one run, written to this file
    args = ap.parse_args(argv)
    flags = args.flags.split()
    if args.once:
        run_once(args.notebook, flags, args.once)
        return 0
    a, b = run_twice(args.notebook, flags)
    diffs = differences(a, b)
    compared = sum(1 for c in a if not c["timings"] and c["text"])
    if diffs:
        print(f"{args.notebook}: {len(diffs)} of {compared} cells with output differ between two fresh runs", file=sys.stderr)
        print("\n\n".join(diffs), file=sys.stderr)
        return 1
    print(f"{args.notebook}: the {compared} cells with output print the same in two fresh runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
