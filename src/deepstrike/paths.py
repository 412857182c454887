"""Where the project's folders are: the repository root, or DEEPSTRIKE_HOME when set."""

import os
from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    # DEEPSTRIKE_HOME lets tests and users point the build and the kernels at a copy of the
    # project (other notebooks, other data) without reinstalling the package.
    home = os.environ.get("DEEPSTRIKE_HOME")
    return Path(home).resolve() if home else _PACKAGE_ROOT


def data_dir() -> Path:
    return project_root() / "data"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def scenarios_dir() -> Path:
    return project_root() / "scenarios"
