"""The notebooks are the tests: each notebook under nbs/ runs through nbdev's own test runner
(`nbdev-test`), in its own process, as one pytest test. A failing cell fails the test, and the
message names the notebook and the cell with its traceback. Cells flagged with one of the
`tst_flags` of pyproject.toml (`slow`, `cuda`) are skipped unless the flag is switched on:
`cuda` is switched on when a GPU is present, others through $REFIMPL_TEST_FLAGS (`make test FLAGS=slow`)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NBS, NOTEBOOK_TIMES, ROOT, notebooks, test_flags, uncollected

NBDEV_TEST = Path(sys.executable).parent / "nbdev-test"


def run_notebook(nb: Path, flags: list[str], timeout: int = 1800) -> subprocess.CompletedProcess:
    "Run one notebook with nbdev's test runner; returns the finished process."
    cmd = [str(NBDEV_TEST), str(nb), "--flags", " ".join(flags)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.relative_to(NBS).as_posix())
def test_notebook(nb: Path):
    t0 = time.perf_counter()
    p = run_notebook(nb, test_flags())
    NOTEBOOK_TIMES[nb.relative_to(NBS).as_posix()] = time.perf_counter() - t0
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
    p = run_notebook(path, [])
    assert p.returncode != 0
    assert "x is not 2" in p.stderr and "Cell" in p.stderr


def test_flagged_cells_are_skipped_unless_switched_on(tmp_path):
    "A `#| slow` cell does not run by default and runs when the flag is given."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("#| slow\nraise RuntimeError('the slow cell ran')")]
    path = _scratch_project(tmp_path) / "flagged.ipynb"
    nbformat.write(nb, path)
    assert run_notebook(path, []).returncode == 0
    p = run_notebook(path, ["slow"])
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
