"""Scenario -> validated parameters -> parallel papermill -> results.json -> briefing.html.

Faults a build survives without blocking the next one: its workers and kernels die with it
however it ends (a parent-death signal on Linux), its lock is never inherited and a dead
holder is detected, every file it writes is written whole or not at all (temporary file, fsync,
rename), cache entries are checked when read, and the output set (briefing, results,
provenance, PDF) replaces the previous one as a whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from deepstrike import (
    __version__,
    backtest,
    data,
    edition,
    kernels,
    ledger,
    paths,
    prose,
    summary,
)
from deepstrike.chapter import Chapter, read_results
from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity
from deepstrike.params import ParamError, Scenario, catalogue, load_scenario, shorten

# Bump when the layout of executed notebooks or the cache key changes.
CACHE_VERSION = "3"
# Packages whose version is part of the cache key and of the provenance; every runtime
# dependency the project declares is added to these (see `key_packages`).
KEY_PACKAGES = (
    "ipykernel",
    "jinja2",
    "nbclient",
    "nbconvert",
    "nbformat",
    "numpy",
    "pandas",
    "papermill",
    "plotly",
    "pydantic",
    "pyyaml",
    "salib",
    "scipy",
)
# The files of one build's output set, replaced together.
OUTPUT_SET = ("briefing.html", "results.json", "provenance.json", "briefing.pdf")
# A folder name chosen with --name (or made from a scenario's): letters, digits, - and _.
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
RESERVED_NAMES = {"compare"}


class BuildError(RuntimeError):
    """A build that ran but failed (a cell raised, a kernel died); exit code 1."""


class BuildBusy(RuntimeError):
    """Another build is writing into the same folder; exit code 3."""


class OutputError(BuildError):
    """The output folder cannot be written (read-only, full, a file); exit code 1."""


@dataclass
class Outcome:
    chapter: str
    path: Path
    seconds: float
    cached: bool = False
    view: Any = None  # its rendered chapter, when made as the notebook finished


@dataclass
class BuildResult:
    scenario: str
    out_dir: Path
    briefing: Path
    results_path: Path
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    pdf: Path | None = None


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


PACKAGE_DIR = Path(__file__).parent
# Parts of a chapter's folder that are read at render time, not by its notebook: editing them
# must not re-execute the notebook.
RENDER_TIME_PARTS = ("summary", "templates")


def _module_path(module: str) -> Path | None:
    """The file of a deepstrike module (package __init__ or module.py), or None."""
    parts = module.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """deepstrike modules a file imports (`import deepstrike.x`, `from deepstrike.x import y`)."""
    return set(_parsed_imports(path.read_bytes()))


@functools.lru_cache(maxsize=512)
def _parsed_imports(source: bytes) -> frozenset[str]:
    # Kept by content: each chapter's key follows the same shared modules, and parsing them
    # again for every chapter was most of the time a build spent before its first notebook.
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deepstrike")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("deepstrike")
        ):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return frozenset(found)


def chapter_sources(chapter: Chapter) -> list[Path]:
    """The files whose code a chapter's notebook runs: its folder (less what is read at render
    time) and every shared deepstrike module they import, followed transitively. Other
    chapters and the registry that lists them are not followed."""
    own = f"deepstrike.chapters.{chapter.name}"
    files = {
        p
        for p in chapter.folder.rglob("*.py")
        if not set(p.relative_to(chapter.folder).parts[:1]) & set(RENDER_TIME_PARTS)
    }
    todo, seen = list(files), set(files)
    while todo:
        for module in _imports(todo.pop()):
            if module == "deepstrike.chapters" or (
                module.startswith("deepstrike.chapters.") and not module.startswith(own)
            ):
                continue
            if module.startswith(f"{own}.summary") or module.startswith(f"{own}.templates"):
                continue
            path = _module_path(module)
            if path is not None and path not in seen:
                seen.add(path)
                todo.append(path)
    seen.add(PACKAGE_DIR / "__init__.py")
    return sorted(seen)


def _digest_files(files: list[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def chapter_source_hash(chapter: Chapter) -> str:
    return _digest_files(chapter_sources(chapter), PACKAGE_DIR)


def render_hash(chapter: Chapter) -> str:
    """What a chapter's rendered view depends on besides its executed notebook."""
    files = sorted(chapter.folder.joinpath("templates").rglob("*.j2"))
    files += [PACKAGE_DIR / name for name in ("render.py", "prose.py", "language.py", "figures.py")]
    return _digest_files(files, PACKAGE_DIR)


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


@functools.cache
def key_packages() -> tuple[str, ...]:
    """KEY_PACKAGES plus every runtime dependency declared in pyproject.toml (when the source
    tree is at hand) or in the installed metadata: a dependency added later (scipy, SALib) is
    in the cache key and the provenance without anyone remembering to list it here."""
    names = set(KEY_PACKAGES)
    pyproject = PACKAGE_DIR.parents[1] / "pyproject.toml"
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        names |= {_requirement_name(spec) for spec in project["dependencies"]}
    with contextlib.suppress(metadata.PackageNotFoundError):
        for spec in metadata.requires("deepstrike") or []:
            if "extra ==" not in spec:
                names.add(_requirement_name(spec))
    return tuple(sorted(names))


def versions() -> dict[str, str]:
    out = {"deepstrike": __version__}
    for name in key_packages():
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def code_and_data(chapter: Chapter) -> dict[str, str]:
    """Digests of a chapter's code (own folder and the shared modules it imports) and of the
    tables it declares: read once per chapter and build, for both keys below."""
    return {"source": chapter_source_hash(chapter), "data": data.table_fingerprint(chapter.tables)}


def cache_key(
    chapter: Chapter,
    nb_params: dict[str, Any],
    env: dict[str, str],
    inputs: dict[str, str] | None = None,
) -> str:
    """What a chapter's executed notebook depends on: its notebook, its code, the tables it
    declares (`inputs`, from code_and_data), its parameters, package versions."""
    notebook = paths.notebooks_dir() / chapter.notebook
    payload = {
        "v": CACHE_VERSION,
        "notebook": _sha(notebook.read_bytes()),
        "parameters": nb_params,
        **(inputs or code_and_data(chapter)),
        "versions": env,
        "python": sys.version,
    }
    return _sha(json.dumps(payload, sort_keys=True).encode())[:32]


def whatif_salt(chapter: Chapter, env: dict[str, str], inputs: dict[str, str] | None = None) -> str:
    """What a chapter's what-if points depend on besides their parameters (deepstrike.whatif):
    its code, its tables, package versions. Not the notebook or the scenario: a point keeps its
    value across parameter changes that do not touch it."""
    payload = {**(inputs or code_and_data(chapter)), "versions": env, "python": sys.version}
    return _sha(json.dumps(payload, sort_keys=True).encode())[:32]


def check_against_data(scenario: Any, tables: dict[str, Any]) -> None:
    """Parameters that name things in the data must name things that exist."""
    for chapter in CHAPTERS:
        getattr(scenario, chapter.name).check_data(tables)


# --- processes that die together -------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_sockets() -> None:
    """Kernel socket folders left in the temporary folder by builds that were killed."""
    for folder in Path(tempfile.gettempdir()).glob(f"{kernels.SOCKETS_PREFIX}*"):
        found = re.match(rf"{kernels.SOCKETS_PREFIX}(\d+)-", folder.name)
        if found and not _pid_alive(int(found.group(1))):
            shutil.rmtree(folder, ignore_errors=True)


# --- the lock: one build per output folder ---------------------------------------------------

# Lock descriptors this process holds. A forked child (a pool worker) closes its copies at
# once, so the lock ends with the build and never with a straggler; the descriptors are also
# close-on-exec, so no kernel or other program started from here inherits them.
_HELD_LOCKS: set[int] = set()


def _forget_locks() -> None:
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_forget_locks)
# When the recorded holder has ended but the lock is still held, processes it started are
# ending too (they were told to die with it): wait this long before naming them.
DEAD_HOLDER_GRACE_S = 5.0


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def _recorded_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode("ascii").strip() or "x")
    return None


def _holders(path: Path) -> list[int]:
    """Processes with the lock file open (from /proc; [] where there is none)."""
    target = str(path.resolve())
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        found.append(int(entry.name))
                        break
    return sorted(found)


def _acquire(path: Path, folder: Path) -> int:
    grace_ends = None
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _recorded_pid(fd)
            os.close(fd)
            if holder is None or _pid_alive(holder):
                raise BuildBusy(
                    f"another build is writing to {folder} (pid {holder or 'unknown'}); "
                    "wait for it to finish or build into another folder with --out"
                ) from None
            grace_ends = grace_ends or time.monotonic() + DEAD_HOLDER_GRACE_S
            if time.monotonic() < grace_ends:
                time.sleep(0.1)
                continue
            strays = ", ".join(map(str, _holders(path))) or "unknown"
            raise BuildBusy(
                f"the build that locked {folder} (pid {holder}) has ended, but processes it "
                f"started still hold its lock (pid {strays}); end them with kill and build again"
            ) from None
        if not _same_file(fd, path):
            # The previous holder removed the file as it finished: lock the new one instead.
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD_LOCKS.add(fd)
        return fd


def _remove_stale_locks(out_root: Path, keep: Path) -> None:
    """Lock files nobody holds (left by killed builds) are removed, so they do not pile up."""
    for path in out_root.glob(".*.lock"):
        if path == keep:
            continue
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(fd, path):
                path.unlink()
        except OSError:
            pass
        finally:
            os.close(fd)


@contextlib.contextmanager
def _lock(out_root: Path, name: str) -> Iterator[None]:
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / f".{name}.lock"
    fd = _acquire(path, out_root / name)
    try:
        _remove_stale_locks(out_root, keep=path)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        # Removed while still held: a build waiting on this file notices and takes a new one.
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


# --- files written whole or not at all ----------------------------------------------------------


def _write_bytes(handle: Any, payload: bytes) -> None:
    """The one place the build's files get their bytes (tests make it fail like a full disk)."""
    handle.write(payload)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, payload: bytes | str) -> None:
    """Write `path` whole or leave it as it was: temporary file, fsync, rename."""
    raw = payload.encode("utf-8") if isinstance(payload, str) else payload
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            _write_bytes(handle, raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(path.parent)


_atomic_write = atomic_write

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
try:
    _RENAMEAT2: Any = ctypes.CDLL(None, use_errno=True).renameat2
except (OSError, AttributeError):
    _RENAMEAT2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where that is not supported."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


def publish(new: Path, out_dir: Path, previous: Path) -> None:
    """Put the folder `new` (a complete output set) where `out_dir` is, as a whole: readers
    see the old set or the new one, never a mix, and no file of the old set is left behind."""
    if not out_dir.exists():
        os.rename(new, out_dir)
    elif _exchange(new, out_dir):
        shutil.rmtree(new, ignore_errors=True)
    else:
        # Two renames; a build killed between them is repaired by the next (`_recover`).
        os.rename(out_dir, previous)
        try:
            os.rename(new, out_dir)
        except OSError:
            os.rename(previous, out_dir)
            raise
        shutil.rmtree(previous, ignore_errors=True)
    _fsync_folder(out_dir.parent)


def _recover(out_root: Path, name: str, out_dir: Path) -> None:
    """Holding the lock, any staging folder of this name is from a killed build: put back a
    set it had moved aside, then remove it."""
    for stale in out_root.glob(f".staging-{name}.*"):
        previous = stale / "previous"
        if previous.is_dir() and not out_dir.exists():
            os.rename(previous, out_dir)
        shutil.rmtree(stale, ignore_errors=True)


def _describe_os_error(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    where = f": {exc.filename}" if exc.filename else ""
    return f"cannot write the build output ({what}{where}); the last good briefing is untouched"


def _output_root(out_root: Path | str) -> Path:
    root = Path(out_root).resolve()
    if root.exists() and not root.is_dir():
        raise OutputError(f"the output folder {root} is a file, not a folder (see --out)")
    for parent in root.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"the output folder {root} lies inside a file, {parent}")
            break
    return root


# --- executing notebooks -------------------------------------------------------------------------


def _describe_failure(chapter: Chapter, info: dict, kept: Path) -> str:
    where = f"notebook {chapter.notebook}"
    if "cell_index" in info:
        # papermill counts its injected-parameters cell; report the cell of the source notebook.
        index = info["cell_index"]
        source_nb = json.loads((paths.notebooks_dir() / chapter.notebook).read_text())
        tagged = [
            i
            for i, c in enumerate(source_nb["cells"])
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ]
        if tagged and index > tagged[0]:
            index -= 1
        first_line = (info.get("source") or "").strip().splitlines()[:1]
        snippet = f" ({first_line[0][:60]!r})" if first_line else ""
        where += f", cell {index + 1}{snippet}"
    kept_note = (
        f"partially executed notebook kept at {kept}"
        if kept.is_file()
        else "no partially executed notebook was written"
    )
    evalue = str(info["evalue"])
    evalue = evalue if len(evalue) <= 400 else f"{evalue[:400]}… ({len(evalue):,} characters)"
    return f"{where}: {info['ename']}: {evalue}\n  {kept_note}"


def notebook_problem(path: Path) -> str | None:
    """Why a source notebook cannot be executed, or None (checked before any kernel starts)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"not a notebook file ({shorten(str(exc), 120)})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "not a notebook file (no list of cells)"
    if nb.get("nbformat") != 4:
        return f"notebook format {shorten(nb.get('nbformat'))} (expected 4)"
    return None


def read_cached_notebook(path: Path) -> str | None:
    """A cached executed notebook's text, or None when it is missing or not whole."""
    try:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        return None
    return text


def _discard(path: Path, log: Callable[[str], None]) -> None:
    log(f"  warning: cache entry {path.name} is corrupt; discarded, computing it again")
    with contextlib.suppress(OSError):
        path.unlink()


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(paths.project_root()), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(
    command: str, data_hashes: dict[str, str], seconds: float, outcomes: list[Outcome]
) -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD") or "not a git checkout"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "version": __version__,
        "commit": commit,
        "dirty": dirty,
        "versions": versions(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "data_hashes": data_hashes,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "seconds": f"{seconds:.1f}",
        "executed": sum(not o.cached for o in outcomes),
        "cached": sum(o.cached for o in outcomes),
        "command": command,
    }


def rebuild_command(scenario_ref: str, overrides: list[str], folder: str | None = None) -> str:
    parts = ["deepstrike", "build", "--scenario", scenario_ref]
    for item in overrides:
        parts += ["-p", item]
    if folder:
        parts += ["--name", folder]
    return shlex.join(parts)


def parameter_rows(scenario: Scenario) -> list[dict[str, Any]]:
    current = scenario.model_dump(mode="json")
    rows = []
    for info in catalogue():
        if "." in info.name:
            chapter, name = info.name.split(".", 1)
            value = current[chapter][name]
        else:
            value = current[info.name]
        default = info.default.isoformat() if hasattr(info.default, "isoformat") else info.default
        rows.append(
            {
                "name": info.name,
                "value": value,
                "default": default,
                "unit": info.unit,
                "bounds": info.bounds,
                "description": info.description,
                "changed": value != default,
            }
        )
    return rows


# --- overrides never masquerade as their scenario ---------------------------------------------


def differences(base: Scenario, scenario: Scenario) -> list[tuple[str, Any, Any]]:
    """(name, scenario value, value used) of every parameter the overrides changed."""
    old = edition.flat(base.model_dump(mode="json"))
    new = edition.flat(scenario.model_dump(mode="json"))
    return [(name, old.get(name), value) for name, value in new.items() if old.get(name) != value]


def override_folder(name: str, changed: list[tuple[str, Any, Any]]) -> str:
    """`<scenario>-<short hash of the changed values>`: one folder per set of overrides, the
    same however they were spelled (3 or 3.0), and never the scenario's own."""
    if not changed:
        return name
    payload = json.dumps({k: v for k, _, v in changed}, sort_keys=True, default=str)
    return f"{name}-{_sha(payload.encode())[:8]}"


def _shown(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _say_what_differs(
    scenario: Scenario, base: Scenario, base_name: str, changed: list[tuple[str, Any, Any]]
) -> Scenario:
    """Title and description that say which parameters differ from the scenario (unless the
    overrides set them)."""
    listed = [(k, old, new) for k, old, new in changed if k not in ("title", "description")]
    if not listed:
        return scenario
    update: dict[str, Any] = {}
    if scenario.title == base.title:
        names = ", ".join(k for k, _, _ in listed)
        suffix = f" — changed: {names}" if len(names) <= 80 else f" — {len(listed)} changes"
        update["title"] = base.title[: 200 - len(suffix)].rstrip() + suffix
    if scenario.description == base.description:
        count = f"{len(listed)} parameter{'s' if len(listed) != 1 else ''}"
        items = "; ".join(
            f"{k} = {_shown(new)} (scenario: {_shown(old)})" for k, old, new in listed
        )
        update["description"] = (
            f"Scenario {base_name} with {count} changed on the command line: {items}. "
            "Every other parameter is the scenario's."
        )
    return scenario.model_copy(update=update)


def check_folder_name(folder: str) -> str:
    if not _FOLDER_NAME.fullmatch(folder) or folder in RESERVED_NAMES:
        raise ParamError(
            f"--name {shorten(folder)}: use 1 to 100 letters, digits, - and _ (starting with a "
            f"letter or digit), not {', '.join(sorted(RESERVED_NAMES))}"
        )
    return folder


def prepare(
    scenario_ref: str, overrides: list[str] | None = None, folder: str | None = None
) -> tuple[str, Scenario, dict[str, Any]]:
    """Validate a scenario and its overrides; return the output folder's name, the scenario
    to build (retitled when overrides change it) and what the overrides changed."""
    base_name, base = load_scenario(scenario_ref)
    _, scenario = load_scenario(scenario_ref, overrides) if overrides else (base_name, base)
    changed = differences(base, scenario)
    name = check_folder_name(folder) if folder is not None else override_folder(base_name, changed)
    scenario = _say_what_differs(scenario, base, base_name, changed)
    return name, scenario, {"base_scenario": base_name, "changed": {k: v for k, _, v in changed}}


def build(
    scenario_ref: str = "baseline",
    overrides: list[str] | None = None,
    out_root: Path | str = "report",
    workers: int | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
    pdf: bool = False,
    name: str | None = None,
) -> BuildResult:
    """Validate everything, run what is not cached, render, and replace the output set."""
    started = time.perf_counter()
    overrides = list(overrides or [])
    folder, scenario, changes = prepare(scenario_ref, overrides, name)
    tables = data.validate_all()
    check_against_data(scenario, tables)
    for chapter in CHAPTERS:
        source = paths.notebooks_dir() / chapter.notebook
        if not source.is_file():
            raise BuildError(
                f"notebook notebooks/{chapter.notebook} of chapter '{chapter.name}' is missing"
            )
        problem = notebook_problem(source)
        if problem:
            raise BuildError(
                f"notebook notebooks/{chapter.notebook} of chapter '{chapter.name}': {problem}"
            )
    # Nothing has been written up to here: bad input ends the run before any kernel starts.
    out_root = _output_root(out_root)
    data_hashes = data.file_hashes()
    env = versions()
    try:
        with _lock(out_root, folder):
            return _build_locked(
                folder,
                scenario,
                scenario_ref,
                overrides,
                name,
                changes,
                tables,
                data_hashes,
                env,
                out_root,
                workers,
                use_cache,
                log,
                pdf,
                started,
            )
    except OSError as exc:
        raise OutputError(_describe_os_error(exc)) from exc


def _build_locked(
    folder: str,
    scenario: Scenario,
    scenario_ref: str,
    overrides: list[str],
    name: str | None,
    changes: dict[str, Any],
    tables: dict[str, Any],
    data_hashes: dict[str, str],
    env: dict[str, str],
    out_root: Path,
    workers: int | None,
    use_cache: bool,
    log: Callable[[str], None],
    pdf: bool,
    started: float,
) -> BuildResult:
    out_dir = out_root / folder
    cache_dir = out_root / ".cache"
    _recover(out_root, folder, out_dir)
    _clean_stale_sockets()
    staging = out_root / f".staging-{folder}.{os.getpid()}"
    executed, new_set = staging / "executed", staging / "set"
    for path in (cache_dir, executed, new_set):
        path.mkdir(parents=True, exist_ok=True)
    pdf_error = None
    # The backtest: from its cache, or in a thread of this process beside the notebooks.
    backtest_run = backtest.start(scenario, out_root, use_cache, tables)
    try:
        outcomes = _run_chapters(
            scenario, env, cache_dir, executed, new_set / "logs", out_dir, workers, use_cache, log
        )
        backtest_result, problem = backtest.finish(backtest_run, tables)
        if problem:
            log(f"  {problem}; the briefing goes out without its backtest annex")
        for outcome in outcomes:
            # A cached chapter keeps the log of the run that made its notebook.
            old_log = out_dir / "logs" / f"{outcome.chapter}.log"
            if outcome.cached and old_log.is_file():
                (new_set / "logs").mkdir(exist_ok=True)
                shutil.copyfile(old_log, new_set / "logs" / old_log.name)
        _finish(
            folder,
            scenario,
            rebuild_command(scenario_ref, overrides, name),
            changes,
            tables,
            data_hashes,
            outcomes,
            new_set,
            started,
            use_cache,
            log,
            backtest_result,
            published=out_dir,
        )
        if pdf:
            from deepstrike.pdf import PdfError, write_pdf

            try:
                write_pdf(new_set / "briefing.html", new_set / "briefing.pdf")
            except PdfError as exc:
                # The set goes out without a PDF: an older one would not match the new HTML.
                pdf_error = exc
        publish(new_set, out_dir, staging / "previous")
    finally:
        backtest_run.stop()  # the build failed first: the backtest goes too
        shutil.rmtree(staging, ignore_errors=True)
    pdf_path = out_dir / "briefing.pdf"
    if pdf and pdf_error is None:
        log(f"  wrote {pdf_path}")
    if pdf_error is not None:
        raise pdf_error
    return BuildResult(
        folder,
        out_dir,
        out_dir / "briefing.html",
        out_dir / "results.json",
        time.perf_counter() - started,
        outcomes,
        pdf_path if pdf_path.is_file() else None,
    )


def _run_chapters(
    scenario: Scenario,
    env: dict[str, str],
    cache_dir: Path,
    executed: Path,
    logs: Path,
    out_dir: Path,
    workers: int | None,
    use_cache: bool,
    log: Callable[[str], None],
) -> list[Outcome]:
    todo: list[tuple[Chapter, dict[str, Any], Path]] = []
    outcomes: list[Outcome] = []
    total = len(CHAPTERS)
    inputs = {chapter.name: code_and_data(chapter) for chapter in CHAPTERS}
    for chapter in CHAPTERS:
        nb_params = scenario.notebook_parameters(chapter)
        key = cache_key(chapter, nb_params, env, inputs[chapter.name])
        cached = cache_dir / f"{chapter.name}-{key}.ipynb"
        if use_cache and cached.exists():
            if read_cached_notebook(cached) is not None:
                outcomes.append(Outcome(chapter.name, cached, 0.0, cached=True))
                log(f"  [{len(outcomes)}/{total}] {chapter.notebook:<24} cached")
                continue
            _discard(cached, log)
        todo.append((chapter, nb_params, cached))
    if not todo:
        return outcomes
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    logs.mkdir(parents=True, exist_ok=True)
    failures = []
    # Workers forked from a server, not from this process: each holds papermill and what its
    # kernel imports, shared with the server, and none of the build (see deepstrike.kernels).
    # They die with the server, which ends with this process; no descriptor of the lock
    # reaches them (the server is a fresh interpreter, and the lock is close-on-exec).
    pool = kernels.notebook_pool(n_workers, os.getpid())
    try:
        pending = {}
        for chapter, nb_params, cached in todo:
            output = executed / chapter.notebook
            log(f"  [....] {chapter.notebook:<24} queued")
            future = pool.submit(
                kernels.execute,
                str(paths.notebooks_dir() / chapter.notebook),
                str(output),
                nb_params,
                str(logs / f"{chapter.name}.log"),
                os.getpid(),
                (
                    (str(cache_dir / "whatif"), whatif_salt(chapter, env, inputs[chapter.name]))
                    if use_cache
                    else None
                ),
            )
            pending[future] = (chapter, output, cached)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chapter, output, cached = pending.pop(future)
                info = future.result()
                step = f"[{len(outcomes) + len(failures) + 1}/{total}]"
                if info["ok"]:
                    text = output.read_bytes()
                    atomic_write(cached, text)
                    log(f"  {step} {chapter.notebook:<24} done in {info['seconds']:.1f} s")
                    # Rendered now, while the other notebooks run: this process only waits
                    # for them, and the end of the build is one core's work.
                    view = _chapter_view(chapter, text.decode("utf-8"), cached, use_cache, log)
                    outcomes.append(Outcome(chapter.name, cached, info["seconds"], view=view))
                else:
                    if not failures:
                        shutil.rmtree(out_dir / "failed", ignore_errors=True)
                    kept = out_dir / "failed" / chapter.notebook
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    if output.is_file():
                        shutil.copyfile(output, kept)
                    chapter_log = logs / f"{chapter.name}.log"
                    if chapter_log.is_file():
                        shutil.copyfile(chapter_log, kept.parent / chapter_log.name)
                    failures.append(_describe_failure(chapter, info, kept))
                    log(f"  {step} {chapter.notebook:<24} FAILED")
    except BaseException:
        # Ctrl-C, SIGTERM (raised as SystemExit by the CLI), a full disk: no notebook goes on.
        kernels.kill_pool(pool)
        raise
    pool.shutdown(wait=True)
    if failures:
        raise BuildError(
            "build failed; the last good briefing is untouched.\n" + "\n".join(failures)
        )
    return outcomes


def _read_view(path: Path) -> dict[str, Any] | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not (
        isinstance(stored, dict)
        and isinstance(stored.get("html"), str)
        and isinstance(stored.get("sections"), list)
    ):
        return None
    return stored


def _chapter_view(
    chapter: Chapter,
    notebook_text: str,
    executed: Path,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
) -> Any:
    """The chapter's HTML, rendered once per executed notebook and set of templates."""
    from deepstrike import render

    cached = executed.with_name(f"{executed.stem}-{render_hash(chapter)[:16]}.view.json")
    if use_cache and cached.exists():
        stored = _read_view(cached)
        if stored is not None:
            sections = [tuple(s) for s in stored["sections"]]
            return render.ChapterView(chapter.name, chapter.title, stored["html"], sections)
        _discard(cached, log)
    import nbformat

    view = render.chapter_html(nbformat.reads(notebook_text, 4), chapter.name, chapter.title)
    atomic_write(cached, json.dumps({"html": view.html, "sections": view.sections}))
    return view


def chapter_numbers(collected: dict[str, dict[str, Any]], chapter: Chapter) -> dict[str, Quantity]:
    """A chapter's key numbers read back from recorded results (as the summary sees them)."""
    prefix = f"{chapter.name}."
    return {
        name[len(prefix) :]: Quantity.from_record(name, record)
        for name, record in collected.items()
        if name.startswith(prefix)
    }


def _sources_by_class(used: Any, by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The Sources annex: one group per outlet class, each source once, with its grade."""
    groups = []
    for cls in data.CLASS_ORDER:
        part = used[used["outlet_class"] == cls]
        if part.empty:
            continue
        items = []
        for _, row in part.iterrows():
            src = by_id[row["source_id"]]
            items.append({**src, "rows": int(row["rows"]), "tables": row["tables"]})
        groups.append({"class": cls, "name": data.CLASS_NAMES[cls], "items": items})
    return groups


def _claims(claims: Any, as_of: Any, by_id: dict[str, dict[str, Any]]) -> tuple[list, list]:
    """Claim checks whose evidence was public by the as-of date, and those checked later."""
    if claims is None or claims.empty:
        return [], []
    now, later = [], []
    cutoff = pd.Timestamp(as_of)
    for row in claims.to_dict("records"):
        row["sources"] = data.source_links(row["source_ids"], by_id)
        (now if row[data.KNOWN_FROM] <= cutoff else later).append(row)
    return now, later


def _finish(
    name: str,
    scenario: Scenario,
    command: str,
    changes: dict[str, Any],
    tables: dict[str, Any],
    data_hashes: dict[str, str],
    outcomes: list[Outcome],
    out_dir: Path,
    started: float,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
    backtest_result: dict[str, Any] | None = None,
    published: Path | None = None,
) -> None:
    """Write the output set (executed notebooks, results, provenance, briefing) into `out_dir`,
    a staging folder that `publish` then puts in place as a whole."""
    from deepstrike import render

    by_name = {o.chapter: o for o in outcomes}
    collected: dict[str, dict[str, Any]] = {}
    views = []
    notebooks_out = out_dir / "notebooks"
    notebooks_out.mkdir(exist_ok=True)
    for chapter in CHAPTERS:
        outcome = by_name[chapter.name]
        path = outcome.path
        text = path.read_text(encoding="utf-8")
        collected.update(read_results(json.loads(text)["cells"]))
        view = outcome.view
        views.append(
            view if view is not None else _chapter_view(chapter, text, path, use_cache, log)
        )
        atomic_write(notebooks_out / chapter.notebook, text)
    numbers = {c.name: chapter_numbers(collected, c) for c in CHAPTERS}
    context_of = {"as_of": scenario.as_of.isoformat()}
    findings = []
    for c in CHAPTERS:
        chapter_context = {**context_of, "p": getattr(scenario, c.name).model_dump(mode="json")}
        headline = prose.headline(c.name, numbers[c.name], **chapter_context)
        collected[f"{c.name}.headline"] = {
            "value": headline,
            "unit": "",
            "label": "headline",
            "kind": "text",
            "digits": 0,
        }
        findings.append({"chapter": c.name, "title": c.title, "headline": headline})
    payload = {
        "scenario": name,
        "title": scenario.title,
        "as_of": scenario.as_of.isoformat(),
        "seed": scenario.seed,
        **changes,
        "parameters": scenario.model_dump(mode="json"),
        "results": dict(sorted(collected.items())),
    }
    # Every forecast as a ledger question, resolved where its window has closed.
    payload["ledger"] = ledger.entries(numbers, scenario.as_of, tables)
    described = data.resources()
    visible = {t: data.as_of_filter(f, described[t], scenario.as_of) for t, f in tables.items()}
    # What the reader saw last time: the edition this build replaces (see deepstrike.edition).
    payload["data"] = edition.data_summary(visible, described)
    previous = edition.previous_payload(published, payload) if published else None
    reg = tables[data.REGISTRY]
    by_id = data.registry_records(reg)
    used = data.sources_used(visible, reg, scenario.as_of)
    sources = _sources_by_class(used, by_id)
    claim_rows, later_claims = _claims(tables.get("claims"), scenario.as_of, by_id)
    counts = Counter(row["verdict"] for row in claim_rows)
    seconds = time.perf_counter() - started
    context = {
        "bottom_line": summary.bottom_line(numbers),
        "since_last": edition.box(previous, payload),
        "judgments": summary.key_judgments(numbers),
        "chapter_titles": {c.name: c.title for c in CHAPTERS},
        "claims": claim_rows,
        "later_claims": later_claims,
        "claim_counts": sorted(counts.items(), key=lambda kv: -kv[1]),
        "scorecard": ledger.scorecard(payload["ledger"], scenario.as_of, reg),
        "backtest": backtest.annex(backtest_result),
        "title": scenario.title,
        "scenario_name": name,
        "as_of": scenario.as_of.isoformat(),
        "description": scenario.description,
        "summary": findings,
        "chapters": views,
        "parameters": parameter_rows(scenario),
        "sources": sources,
        "n_sources": len(used),
        "provenance": provenance(command, data_hashes, seconds, outcomes),
    }
    page = render.briefing(context)
    atomic_write(out_dir / "results.json", json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    kept = edition.previous_text(previous)
    if kept is not None:
        atomic_write(out_dir / edition.PREVIOUS, kept)
    atomic_write(out_dir / "provenance.json", json.dumps(context["provenance"], indent=2) + "\n")
    atomic_write(out_dir / "briefing.html", page)
