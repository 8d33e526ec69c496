"""The notebooks are the tests: each notebook under nbs/ runs through nbdev's own test runner
(`nbdev-test`, by way of tools/nbtest.py), in its own process, as one pytest test. A failing cell
fails the test, and the message names the notebook and the cell with its traceback. Cells flagged
with one of the `tst_flags` of pyproject.toml (`slow`, `cuda`) are skipped unless the flag is
switched on: `cuda` is switched on when a GPU is present, others through $REFIMPL_TEST_FLAGS
(`make test FLAGS=slow`). What every cell printed is kept under tests/artifacts/outputs/, so that two
runs of the suite can be compared number by number (`python tools/compare_runs.py A B`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ARTIFACTS, NBS, ROOT, notebooks, test_flags, uncollected

NBTEST = ROOT / "tools" / "nbtest.py"


def run_notebook(nb: Path, flags: list[str], record: Path, timeout: int = 1800) -> subprocess.CompletedProcess:
    "Run one notebook with nbdev's test runner, its cells' printed output recorded in `record`; returns the finished process."
    cmd = [sys.executable, str(NBTEST), str(nb), "--flags", " ".join(flags), "--record", str(record)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.relative_to(NBS).as_posix())
def test_notebook(nb: Path):
    p = run_notebook(nb, test_flags(), (ARTIFACTS / "outputs" / nb.relative_to(NBS)).with_suffix(".json"))
    if p.returncode != 0:
        pytest.fail(f"notebook {nb.relative_to(ROOT)} failed under nbdev-test:\n{p.stderr[-6000:]}\n{p.stdout[-2000:]}", pytrace=False)


def _scratch_project(tmp_path: Path) -> Path:
    "An empty project with refimpl's nbdev settings (so the same `tst_flags` apply)."
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "nbs").mkdir()
    return tmp_path / "nbs"


def test_runner_reports_a_failing_cell(tmp_path):
    "The runner itself: a notebook whose second cell fails is reported as failed, naming the cell."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'x is not 2'")]
    path = _scratch_project(tmp_path) / "broken.ipynb"
    nbformat.write(nb, path)
    p = run_notebook(path, [], tmp_path / "broken.json")
    assert p.returncode != 0
    assert "x is not 2" in p.stderr and "Cell" in p.stderr
    assert not (tmp_path / "broken.json").exists()  # a failed run records nothing


def test_flagged_cells_are_skipped_unless_switched_on(tmp_path):
    "A `#| slow` cell does not run by default and runs when the flag is given."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("#| slow\nraise RuntimeError('the slow cell ran')")]
    path = _scratch_project(tmp_path) / "flagged.ipynb"
    nbformat.write(nb, path)
    assert run_notebook(path, [], tmp_path / "flagged.json").returncode == 0
    p = run_notebook(path, ["slow"], tmp_path / "flagged.json")
    assert p.returncode != 0 and "the slow cell ran" in p.stderr


def test_every_notebook_is_collected():
    "Every notebook under nbs/ is run by the tests: none hides behind a name nbdev skips."
    assert not uncollected(), f"notebooks the tests never run (rename them): {uncollected()}"
    found = {p.relative_to(NBS).as_posix() for p in notebooks()}
    for area in ("peft", "vision", "science", "eval"):  # each area's notebooks, not just the home page and core
        assert any(f.startswith(area + "/") for f in found), f"no notebook of nbs/{area}/ collected: {sorted(found)}"
    assert {"index.ipynb", "00_core.ipynb"} <= found, found


def test_collection_check_catches_a_skipped_notebook(tmp_path):
    "The check above is not vacuous: a notebook nbdev would skip (a leading underscore) is reported."
    nbs = _scratch_project(tmp_path)
    for name in ("a.ipynb", "_draft.ipynb", "area/b.ipynb", "_old/c.ipynb"):
        (nbs / name).parent.mkdir(parents=True, exist_ok=True)
        (nbs / name).write_text("{}")
    assert [p.relative_to(nbs).as_posix() for p in notebooks(nbs)] == ["a.ipynb", "area/b.ipynb"]
    assert uncollected(nbs) == ["_draft.ipynb", "_old/c.ipynb"]


def test_records_compare_two_runs(tmp_path):
    """The records are what the cells printed, the notebook is left as it was (the runner's `--save` is
    redirected), and tools/compare_runs.py tells two runs apart exactly when a number differs."""
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os, time"),
                nbformat.v4.new_code_cell("print(6 * 7)"),
                nbformat.v4.new_code_cell("#| timings\nprint(time.perf_counter_ns())"),
                nbformat.v4.new_code_cell("print(os.environ.get('REFIMPL_X', '1'))")]
    path = _scratch_project(tmp_path) / "rec.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    runs = {}
    for name, x in (("a", "1"), ("b", "1"), ("c", "2")):
        rec = tmp_path / name / "rec.json"
        p = subprocess.run([sys.executable, str(NBTEST), str(path), "--record", str(rec)], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, "REFIMPL_X": x}, timeout=600)
        assert p.returncode == 0, p.stderr
        runs[name] = json.loads(rec.read_text())
    assert path.read_bytes() == before
    test = [c["text"] for c in runs["a"]]
    assert test == ["", "42\n", test[2], "1\n"] and runs["a"][2]["timings"], runs["a"]
    cmp = lambda x, y: subprocess.run([sys.executable, str(ROOT / "tools" / "compare_runs.py"), str(tmp_path / x), str(tmp_path / y)],
                                      capture_output=True, text=True)
    same, differ = cmp("a", "b"), cmp("a", "c")
    assert same.returncode == 0 and "the same in both runs" in same.stdout, same.stdout  # the timings cell differs, exempt
    assert differ.returncode == 1 and "rec.json: 1 cell(s) differ" in differ.stdout, differ.stdout
