"""pytest side of refimpl: the notebooks are the tests (see test_notebooks.py); this file holds the
shared paths, the test flags and the per-notebook timing report."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
ARTIFACTS = Path(os.environ.get("REFIMPL_ARTIFACTS", ROOT / "tests" / "artifacts"))


def notebooks(folder: Path = NBS) -> list[Path]:
    "Every notebook nbdev would test under `folder`, sorted."
    from nbdev.doclinks import nbglob
    return sorted(Path(p) for p in nbglob(folder, as_path=True))


def uncollected(folder: Path = NBS) -> list[str]:
    "Notebooks under `folder` that the tests would not run (nbdev skips names and folders starting with _ or .)."
    every = {p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    return sorted(p.relative_to(folder).as_posix() for p in every - set(notebooks(folder)))


def test_flags() -> list[str]:
    """The flags to switch on: `cuda` when a GPU is present, plus $REFIMPL_TEST_FLAGS (e.g. `slow`)."""
    flags = os.environ.get("REFIMPL_TEST_FLAGS", "").split()
    try:
        import torch
        if torch.cuda.is_available() and "cuda" not in flags: flags.append("cuda")
    except ImportError:
        pass
    return flags


test_flags.__test__ = False  # a helper, not a test


def _notebook_times(terminalreporter) -> dict[str, float]:
    "Each notebook test's duration, from the test reports (the same with or without pytest-xdist's workers)."
    times = {}
    for kind in ("passed", "failed"):
        for r in terminalreporter.stats.get(kind, []):
            nodeid = getattr(r, "nodeid", "")
            if getattr(r, "when", None) == "call" and "test_notebooks.py::test_notebook[" in nodeid:
                times[nodeid.split("[", 1)[1].rstrip("]")] = r.duration
    return times


def pytest_terminal_summary(terminalreporter):
    times = _notebook_times(terminalreporter)
    if not times: return
    terminalreporter.section("notebook timings")
    for nb, t in sorted(times.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{t:8.1f} s  {nb}")
    terminalreporter.write_line(f"{sum(times.values()):8.1f} s  all notebooks (flags: {' '.join(test_flags()) or 'none'})")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
