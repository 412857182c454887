"""Shared fixtures: a copy of the project to break, and one baseline build per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deepstrike import build, paths

ROOT = paths.project_root()


def copy_project(dest: Path) -> Path:
    """notebooks/, data/ and scenarios/ copied, so a test can break them without harm."""
    for name in ("notebooks", "data", "scenarios"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("DEEPSTRIKE_HOME", str(root))
    return root


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> build.BuildResult:
    """The baseline briefing, built once from the real project into a temporary folder."""
    out = tmp_path_factory.mktemp("report")
    return build.build("baseline", out_root=out, log=lambda _line: None)


@pytest.fixture
def report_copy(baseline: build.BuildResult, tmp_path: Path) -> Path:
    """A copy of the baseline build folder (cache included) that a test may build into."""
    dest = tmp_path / "report"
    shutil.copytree(baseline.out_dir.parent, dest)
    return dest
