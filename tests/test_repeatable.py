"""Repeatable runs: a notebook run twice, each time in a fresh process, prints the same numbers
(tools/repeat.py compares every cell's printed output; cells marked `#| timings` are exempt). The
deflation notebook is the one checked on every test run: its results come out of long L-BFGS
optimisations, which turn any hidden source of variation (thread count, unseeded generators,
process state) into different numbers. Any notebook can be checked the same way by hand:
`python tools/repeat.py nbs/<area>/<notebook>.ipynb`."""
from __future__ import annotations

import importlib.util

import nbformat
import pytest

from conftest import NBS, ROOT, test_flags

_spec = importlib.util.spec_from_file_location("repeat", ROOT / "tools" / "repeat.py")
repeat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(repeat)

CHECKED = ["science/deflation.ipynb"]


@pytest.mark.parametrize("nb", CHECKED)
def test_notebook_prints_the_same_numbers_twice(nb):
    a, b = repeat.run_twice(NBS / nb, [f for f in test_flags() if f != "cuda"])
    compared = [c for c in a if c["text"] and not c["timings"]]
    assert len(compared) >= 10, f"only {len(compared)} cells with output compared"
    diffs = repeat.differences(a, b)
    assert not diffs, f"{nb} printed different output in two fresh runs:\n" + "\n\n".join(diffs)


def test_repeat_check_catches_an_unseeded_notebook(tmp_path):
    """The check is not vacuous: unseeded random numbers are caught; seeded ones, `#| timings` cells and a
    styled table (whose HTML carries a random id, masked) pass."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import random, time"),
                nbformat.v4.new_code_cell("random.seed(0); print(random.random())"),
                nbformat.v4.new_code_cell("#| timings\nprint(time.perf_counter_ns())"),
                nbformat.v4.new_code_cell("random.seed(); print(random.random())"),
                nbformat.v4.new_code_cell("import pandas as pd; pd.DataFrame({'x': [0.25]}).style.format('{:.2f}')")]
    path = tmp_path / "unseeded.ipynb"
    nbformat.write(nb, path)
    a, b = repeat.run_twice(path)
    diffs = repeat.differences(a, b)
    assert len(diffs) == 1 and "code cell 3" in diffs[0], diffs
    assert a[1]["text"] == b[1]["text"] and a[2]["timings"] and a[2]["text"] != b[2]["text"]
    assert "0.25" in a[4]["text"] and "T_id" in a[4]["text"] and a[4]["text"] == b[4]["text"]
