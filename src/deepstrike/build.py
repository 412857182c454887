"""Scenario -> validated parameters -> parallel papermill -> results.json -> briefing.html."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from deepstrike import __version__, data, hindsight, paths, prose, summary
from deepstrike.chapter import Chapter, read_results
from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity
from deepstrike.params import Scenario, catalogue, load_scenario

# Bump when the layout of executed notebooks or the cache key changes.
CACHE_VERSION = "2"
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
    "scipy",
)


class BuildError(RuntimeError):
    """A build that ran but failed (a cell raised, a kernel died); exit code 1."""


class BuildBusy(RuntimeError):
    """Another build is writing into the same folder; exit code 3."""


@dataclass
class Outcome:
    chapter: str
    path: Path
    seconds: float
    cached: bool = False


@dataclass
class BuildResult:
    scenario: str
    out_dir: Path
    briefing: Path
    results_path: Path
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)


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
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deepstrike")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("deepstrike")
        ):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


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


def versions() -> dict[str, str]:
    out = {"deepstrike": __version__}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def cache_key(chapter: Chapter, nb_params: dict[str, Any], env: dict[str, str]) -> str:
    """What a chapter's executed notebook depends on: its notebook, its code (own folder and the
    shared modules it imports), the tables it declares, its parameters, package versions."""
    notebook = paths.notebooks_dir() / chapter.notebook
    payload = {
        "v": CACHE_VERSION,
        "notebook": _sha(notebook.read_bytes()),
        "parameters": nb_params,
        "data": data.table_fingerprint(chapter.tables),
        "source": chapter_source_hash(chapter),
        "versions": env,
        "python": sys.version,
    }
    return _sha(json.dumps(payload, sort_keys=True).encode())[:32]


def check_against_data(scenario: Any, tables: dict[str, Any]) -> None:
    """Parameters that name things in the data must name things that exist."""
    for chapter in CHAPTERS:
        getattr(scenario, chapter.name).check_data(tables)


def _execute(notebook: str, output: str, parameters: dict[str, Any], log_path: str) -> dict:
    """Run one notebook in this worker process; never raises (exceptions do not pickle well)."""
    start = time.perf_counter()
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - must outlive the kernel
    # The kernel inherits this process's stderr: its warnings go to the log, not the terminal.
    os.dup2(log.fileno(), 2)
    sockets = tempfile.mkdtemp(prefix="ds-kernel-")
    try:
        import papermill
        from jupyter_client.manager import AsyncKernelManager
        from papermill.exceptions import PapermillExecutionError

        # Unix sockets instead of TCP ports: kernels started at once by parallel workers (or by
        # other builds) cannot race for the same free port, and nothing listens on the network.
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/k")
        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(Path(notebook).parent),
            start_timeout=120,
            execution_timeout=600,
            km=km,
        )
        return {"ok": True, "seconds": time.perf_counter() - start}
    except PapermillExecutionError as exc:
        return {
            "ok": False,
            "seconds": time.perf_counter() - start,
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "ename": exc.ename,
            "evalue": exc.evalue,
            "source": exc.source,
        }
    except Exception as exc:  # noqa: BLE001 - a dead kernel or a papermill fault: report it
        return {
            "ok": False,
            "seconds": time.perf_counter() - start,
            "ename": type(exc).__name__,
            "evalue": str(exc).strip().splitlines()[-1] if str(exc).strip() else "",
        }
    finally:
        log.flush()
        shutil.rmtree(sockets, ignore_errors=True)


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
    return (
        f"{where}: {info['ename']}: {info['evalue']}\n  partially executed notebook kept at {kept}"
    )


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


def rebuild_command(scenario_ref: str, overrides: list[str]) -> str:
    parts = ["deepstrike", "build", "--scenario", scenario_ref]
    for item in overrides:
        parts += ["-p", item]
    return shlex.join(parts)


@contextlib.contextmanager
def _lock(out_root: Path, name: str) -> Iterator[None]:
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / f".{name}.lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole build
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise BuildBusy(
            f"another build is writing to {out_root / name} (pid {holder}); "
            "wait for it to finish or build into another folder with --out"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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


def build(
    scenario_ref: str = "baseline",
    overrides: list[str] | None = None,
    out_root: Path | str = "report",
    workers: int | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
    pdf: bool = False,
) -> BuildResult:
    """Validate everything, run what is not cached, render, and write atomically."""
    started = time.perf_counter()
    overrides = list(overrides or [])
    name, scenario = load_scenario(scenario_ref, overrides)
    tables = data.validate_all()
    check_against_data(scenario, tables)
    for chapter in CHAPTERS:
        if not (paths.notebooks_dir() / chapter.notebook).is_file():
            raise BuildError(
                f"notebook notebooks/{chapter.notebook} of chapter '{chapter.name}' is missing"
            )
    # Nothing has been written up to here: bad input ends the run before any kernel starts.

    out_root = Path(out_root).resolve()
    data_hashes = data.file_hashes()
    env = versions()
    with _lock(out_root, name):
        out_dir = out_root / name
        cache_dir = out_root / ".cache"
        # Holding the lock, any staging folder left for this scenario is from a killed build.
        for stale in out_root.glob(f".staging-{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = out_root / f".staging-{name}-{os.getpid()}"
        for path in (out_dir, cache_dir, staging):
            path.mkdir(parents=True, exist_ok=True)
        try:
            outcomes = _run_chapters(
                scenario,
                env,
                cache_dir,
                staging,
                out_dir,
                workers,
                use_cache,
                log,
            )
            result = _finish(
                name,
                scenario,
                scenario_ref,
                overrides,
                tables,
                data_hashes,
                outcomes,
                out_dir,
                started,
            )
            if pdf:
                from deepstrike.pdf import write_pdf

                write_pdf(result.briefing, result.briefing.with_suffix(".pdf"))
                log(f"  wrote {result.briefing.with_suffix('.pdf')}")
            return result
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _run_chapters(
    scenario: Scenario,
    env: dict[str, str],
    cache_dir: Path,
    staging: Path,
    out_dir: Path,
    workers: int | None,
    use_cache: bool,
    log: Callable[[str], None],
) -> list[Outcome]:
    todo: list[tuple[Chapter, dict[str, Any], Path]] = []
    outcomes: list[Outcome] = []
    total = len(CHAPTERS)
    for chapter in CHAPTERS:
        nb_params = scenario.notebook_parameters(chapter)
        key = cache_key(chapter, nb_params, env)
        cached = cache_dir / f"{chapter.name}-{key}.ipynb"
        if use_cache and cached.is_file():
            outcomes.append(Outcome(chapter.name, cached, 0.0, cached=True))
            log(f"  [{len(outcomes)}/{total}] {chapter.notebook:<24} cached")
        else:
            todo.append((chapter, nb_params, cached))
    if not todo:
        return outcomes
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    logs = out_dir / "logs"
    logs.mkdir(exist_ok=True)
    failures = []
    with ProcessPoolExecutor(max_workers=n_workers) as pool:
        pending = {}
        for chapter, nb_params, cached in todo:
            output = staging / chapter.notebook
            log(f"  [....] {chapter.notebook:<24} queued")
            future = pool.submit(
                _execute,
                str(paths.notebooks_dir() / chapter.notebook),
                str(output),
                nb_params,
                str(logs / f"{chapter.name}.log"),
            )
            pending[future] = (chapter, output, cached)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chapter, output, cached = pending.pop(future)
                info = future.result()
                step = f"[{len(outcomes) + len(failures) + 1}/{total}]"
                if info["ok"]:
                    shutil.copyfile(output, cached)
                    outcomes.append(Outcome(chapter.name, cached, info["seconds"]))
                    log(f"  {step} {chapter.notebook:<24} done in {info['seconds']:.1f} s")
                else:
                    kept = out_dir / "failed" / chapter.notebook
                    kept.parent.mkdir(exist_ok=True)
                    if output.is_file():
                        shutil.copyfile(output, kept)
                    message = _describe_failure(chapter, info, kept)
                    failures.append(message)
                    log(f"  {step} {chapter.notebook:<24} FAILED")
    if failures:
        raise BuildError(
            "build failed; the last good briefing is untouched.\n" + "\n".join(failures)
        )
    return outcomes


def _chapter_view(chapter: Chapter, notebook_text: str, executed: Path) -> Any:
    """The chapter's HTML, rendered once per executed notebook and set of templates."""
    from deepstrike import render

    cached = executed.with_name(f"{executed.stem}-{render_hash(chapter)[:16]}.view.json")
    if cached.is_file():
        stored = json.loads(cached.read_text(encoding="utf-8"))
        return render.ChapterView(chapter.name, chapter.title, stored["html"], stored["sections"])
    import nbformat

    view = render.chapter_html(nbformat.reads(notebook_text, 4), chapter.name, chapter.title)
    _atomic_write(cached, json.dumps({"html": view.html, "sections": view.sections}))
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
    scenario_ref: str,
    overrides: list[str],
    tables: dict[str, Any],
    data_hashes: dict[str, str],
    outcomes: list[Outcome],
    out_dir: Path,
    started: float,
) -> BuildResult:
    from deepstrike import render

    by_name = {o.chapter: o for o in outcomes}
    collected: dict[str, dict[str, Any]] = {}
    views = []
    notebooks_out = out_dir / "notebooks"
    notebooks_out.mkdir(exist_ok=True)
    for chapter in CHAPTERS:
        path = by_name[chapter.name].path
        text = path.read_text(encoding="utf-8")
        collected.update(read_results(json.loads(text)["cells"]))
        views.append(_chapter_view(chapter, text, path))
        shutil.copyfile(path, notebooks_out / chapter.notebook)
    shutil.rmtree(out_dir / "failed", ignore_errors=True)
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
        "parameters": scenario.model_dump(mode="json"),
        "results": dict(sorted(collected.items())),
    }
    described = data.resources()
    visible = {t: data.as_of_filter(f, described[t], scenario.as_of) for t, f in tables.items()}
    reg = tables[data.REGISTRY]
    by_id = data.registry_records(reg)
    used = data.sources_used(visible, reg, scenario.as_of)
    sources = _sources_by_class(used, by_id)
    claim_rows, later_claims = _claims(tables.get("claims"), scenario.as_of, by_id)
    counts = Counter(row["verdict"] for row in claim_rows)
    seconds = time.perf_counter() - started
    context = {
        "bottom_line": summary.bottom_line(numbers),
        "judgments": summary.key_judgments(numbers),
        "chapter_titles": {c.name: c.title for c in CHAPTERS},
        "claims": claim_rows,
        "later_claims": later_claims,
        "claim_counts": sorted(counts.items(), key=lambda kv: -kv[1]),
        "hindsight": hindsight.later_rows(tables, described, scenario.as_of),
        "title": scenario.title,
        "scenario_name": name,
        "as_of": scenario.as_of.isoformat(),
        "description": scenario.description,
        "summary": findings,
        "chapters": views,
        "parameters": parameter_rows(scenario),
        "sources": sources,
        "n_sources": len(used),
        "provenance": provenance(
            rebuild_command(scenario_ref, overrides), data_hashes, seconds, outcomes
        ),
    }
    page = render.briefing(context)
    results_path = out_dir / "results.json"
    briefing = out_dir / "briefing.html"
    _atomic_write(results_path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    _atomic_write(out_dir / "provenance.json", json.dumps(context["provenance"], indent=2) + "\n")
    _atomic_write(briefing, page)
    return BuildResult(
        name, out_dir, briefing, results_path, time.perf_counter() - started, outcomes
    )
