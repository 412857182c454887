"""Whether a build's output set is already current, decided before any heavy import.

`deepstrike build` with nothing changed since its last run should answer at once, as `make`
does. The check fingerprints every input of a build — the package's code and templates, the
notebooks, the data, the scenarios, the git commit the provenance names, the Python and the
installed distributions — and compares it with the fingerprint recorded when the output set
was written, together with the size and modification time of each output file (an edited or
deleted briefing is rebuilt). Anything unexpected (no record, an unreadable one, a missing
file) means "not current": the full build runs, and its caches do the rest.

Standard library only: this module is imported before pandas, pydantic or the chapters.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path

from deepstrike import __version__, paths

INPUTS = ("src/deepstrike", "notebooks", "data", "scenarios")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
RECORD_DIR = Path(".cache") / "current"


def _files(root: Path) -> list[Path]:
    out = []
    for name in INPUTS:
        folder = root / name
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and not SKIP_PARTS & set(path.parts) and path.suffix != ".pyc":
                out.append(path)
    return sorted(out)


def _git_head(root: Path) -> bytes:
    """The commit the provenance will name: HEAD and the ref it points to."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_bytes()
    except OSError:
        return b""
    ref = head.decode(errors="replace").removeprefix("ref:").strip()
    for candidate in (git / ref, git / "packed-refs"):
        try:
            return head + candidate.read_bytes()
        except OSError:
            continue
    return head


def _distributions() -> list[str]:
    site = sysconfig.get_paths()["purelib"]
    try:
        return sorted(n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-link")))
    except OSError:
        return []


def fingerprint(scenario_ref: str) -> str:
    """One hash of everything a build reads (and of the scenario file when given as a path)."""
    root = paths.project_root()
    h = hashlib.blake2b(digest_size=20)
    for part in (__version__, sys.version, sys.executable, str(root), *_distributions()):
        h.update(part.encode() + b"\0")
    h.update(_git_head(root) + b"\0")
    files = _files(root)
    scenario = Path(scenario_ref)
    if scenario.suffix in {".yaml", ".yml"} and scenario.is_file():
        files.append(scenario.resolve())
    for path in files:
        h.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def request_key(
    out_root: Path, scenario_ref: str, overrides: list[str], name: str | None, pdf: bool
) -> str:
    """Which build was asked for: the same request is the same output folder."""
    what = json.dumps(
        [str(Path(out_root).resolve()), scenario_ref, sorted(overrides or []), name, pdf]
    )
    return hashlib.blake2b(what.encode(), digest_size=12).hexdigest()


def _stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def record(out_root: Path, key: str, inputs: str, outputs: list[Path]) -> None:
    """After a build: these outputs are what these inputs give."""
    folder = Path(out_root) / RECORD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    entry = {"inputs": inputs, "outputs": {str(p.resolve()): _stat(p) for p in outputs}}
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(entry), encoding="utf-8")
    os.replace(tmp, folder / f"{key}.json")


def current(out_root: Path, key: str, inputs: str) -> list[Path] | None:
    """The outputs of the last build of this request when nothing it read has changed."""
    try:
        entry = json.loads((Path(out_root) / RECORD_DIR / f"{key}.json").read_text("utf-8"))
        if entry["inputs"] != inputs:
            return None
        outputs = [Path(p) for p in entry["outputs"]]
        if any(_stat(p) != entry["outputs"][str(p)] for p in outputs):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return outputs
