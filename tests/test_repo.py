"""The repository's own invariants: the package is exactly what the notebooks export, the notebooks
are stored clean, and README.md is what nbs/index.ipynb renders to. Each check runs on a scratch
copy, so a failing check never rewrites the working tree, and each has a twin test showing that the
check catches the breakage it is there for."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import NBS, ROOT

BIN = Path(sys.executable).parent
LIB = ROOT / "refimpl"


def _copy_project(dst: Path) -> Path:
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copy2(ROOT / "pyproject.toml", dst / "pyproject.toml")
    shutil.copytree(NBS, dst / "nbs", ignore=ignore)
    shutil.copytree(LIB, dst / "refimpl", ignore=ignore)
    return dst


def _snapshot(folder: Path, pattern: str) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob(pattern))
            if ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _changed_by(project: Path, command: str, folder: str, pattern: str) -> list[str]:
    "Files matching `pattern` under `project/folder` that running `command` in `project` changes."
    before = _snapshot(project / folder, pattern)
    subprocess.run([str(BIN / command)], cwd=project, check=True, capture_output=True)
    return _changed(before, _snapshot(project / folder, pattern))


def export_diff(project: Path) -> list[str]:
    "Files of the package that `nbdev-export` changes in `project` (empty: in sync)."
    return _changed_by(project, "nbdev-export", "refimpl", "*.py")


def clean_diff(project: Path) -> list[str]:
    "Notebooks that `nbdev-clean` changes in `project` (empty: all clean)."
    return _changed_by(project, "nbdev-clean", "nbs", "*.ipynb")


def test_package_in_sync_with_notebooks(tmp_path):
    changed = export_diff(_copy_project(tmp_path))
    assert not changed, f"nbdev-export changes {changed}: run `make export` and commit the package"


def test_export_check_catches_a_stale_module(tmp_path):
    project = _copy_project(tmp_path)
    core = project / "refimpl" / "core.py"
    core.write_text(core.read_text() + "\nstale = 'edited by hand'\n")
    assert export_diff(project) == ["core.py"]


def test_every_module_comes_from_a_notebook():
    "refimpl/ holds only what nbdev exports: each module names an existing notebook as its source."
    for mod in LIB.rglob("*.py"):
        if mod.name in ("__init__.py", "_modidx.py"): continue
        m = re.search(r"File to edit: (\S+\.ipynb)", mod.read_text())
        assert m, f"{mod.relative_to(ROOT)} was not written by nbdev-export"
        assert (mod.parent / m.group(1)).resolve().exists(), f"{mod.relative_to(ROOT)}: its notebook {m.group(1)} is gone"


def test_notebooks_are_clean(tmp_path):
    changed = clean_diff(_copy_project(tmp_path))
    assert not changed, f"nbdev-clean changes {changed}: run `make clean-nbs` and commit the notebooks"


def test_clean_check_catches_a_dirty_notebook(tmp_path):
    project = _copy_project(tmp_path)
    p = project / "nbs" / "00_core.ipynb"
    nb = json.loads(p.read_text())
    nb["metadata"]["widgets"] = {"state": {}}
    nb["cells"][0]["metadata"]["collapsed"] = True
    p.write_text(json.dumps(nb, indent=1))
    assert clean_diff(project) == ["00_core.ipynb"]


def _readme(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "readme.py"), *map(str, args)], capture_output=True, text=True)


def test_readme_in_sync_with_index():
    p = _readme("--check")
    assert p.returncode == 0, p.stderr


def test_readme_check_catches_an_edited_index(tmp_path):
    nb = json.loads((NBS / "index.ipynb").read_text())
    nb["cells"][0]["source"] = "".join(nb["cells"][0]["source"]) + "\nA sentence the README does not have yet."
    index = tmp_path / "index.ipynb"
    index.write_text(json.dumps(nb))
    p = _readme("--check", "--index", index)
    assert p.returncode == 1 and "out of date" in p.stderr


def test_readme_is_readable_from_the_repository_root():
    text = (ROOT / "README.md").read_text()
    assert text.count("make serve") >= 1 and text.count("make test") >= 1  # the two commands
    assert "settings.ini" in text and "[tool.nbdev]" in text
    for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text):  # relative links resolve from the root
        if not re.match(r"https?://|#|mailto:", target):
            assert (ROOT / target.split("#")[0]).exists(), f"README links to missing {target}"


#: Folders and files that builds, tests and editors write: none of them belongs in git.
BUILD_OUTPUT = re.compile(r"(^|/)(\.venv|_proc|_site|_docs|docs/_build|docs/_gen|jupyter_execute|\.jupyter_cache|"
                          r"tests/artifacts|__pycache__|\.ipynb_checkpoints|\.pytest_cache|[^/]+\.egg-info)(/|$)|\.pyc$")


def tracked_build_output(paths: list[str]) -> list[str]:
    "The paths among `paths` (as `git ls-files` lists them) that are build output."
    return [p for p in paths if BUILD_OUTPUT.search(p)]


def test_git_hygiene():
    attrs = (ROOT / ".gitattributes").read_text()
    assert re.search(r"^\*\.ipynb\s+merge=nbdev-merge", attrs, re.M)
    ignored = (ROOT / ".gitignore").read_text().split()
    for path in (".venv/", "_site/", "_proc/", "docs/_gen/", "jupyter_execute/", ".jupyter_cache/", "tests/artifacts/"):
        assert path in ignored, f"{path} is not ignored"
    if (ROOT / ".git").exists():
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
        assert len(tracked) > 20  # git answered with the project's files
        bad = tracked_build_output(tracked)
        assert not bad, f"build output is tracked in git (git rm -r --cached it): {bad[:10]}"


def test_hygiene_check_catches_tracked_build_output():
    "The check above is not vacuous: each kind of build output is caught, and sources are not."
    build = ["jupyter_execute/00_core.ipynb", "_site/index.html", "_proc/nbs/index.ipynb", "docs/_gen/src/api.md",
             "tests/artifacts/site_index.png", "refimpl/__pycache__/core.cpython-311.pyc", "refimpl.egg-info/PKG-INFO",
             "nbs/.ipynb_checkpoints/x.ipynb", ".venv/bin/python", "nbs/science/.jupyter_cache/db"]
    assert tracked_build_output(build) == build
    sources = ["nbs/00_core.ipynb", "refimpl/core.py", "docs/conf.py", "tests/test_site.py", "tools/build_docs.py",
               "nbs/eval/fixtures/tcm/FKU.json", "nbs/images/refimpl_flow.svg", "README.md"]
    assert tracked_build_output(sources) == []
