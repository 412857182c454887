"""`deepstrike sweep`: chapter models over a design of parameters, on dask.distributed.

A design varies any parameters on top of a scenario: a grid (`--vary
supply.firing_per_week_high=2:12:6`), a Latin hypercube or a Saltelli design for Sobol indices
(SALib), over bounds given on the command line or taken from the schema. Every point is
validated by the schema before anything runs. Each point runs the chapter models directly
(`analyse` -> `key_numbers`), not the notebooks, with the scenario's seed (common random
numbers: two points differ only by the parameters changed), so the result is the same whatever
the number of workers. Points are cached by content hash, so a re-run computes only new points.
The output is a tidy Parquet table (one row per point and quantity) with the design, scenario
and provenance in its metadata, and a summary of which parameters move which key numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from deepstrike import __version__
from deepstrike.params import (
    ParamError,
    catalogue,
    load_scenario,
    read_scenario_file,
    scenario_path,
)

Kind = Literal["grid", "lhs", "saltelli"]
SWEEP_VERSION = "1"
_RANGE = re.compile(r"^(?P<lo>[^:]+):(?P<hi>[^:]+)(?::(?P<n>\d+))?$")


@dataclass(frozen=True)
class Axis:
    """One varied parameter: its values (grid) or its bounds (sampled designs)."""

    name: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    integer: bool = False


@dataclass
class Design:
    kind: Kind
    axes: list[Axis]
    points: list[dict[str, Any]]
    samples: int = 0
    seed: int = 0
    problem: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "samples": self.samples,
            "seed": self.seed,
            "axes": [
                {"name": a.name, "low": a.low, "high": a.high, "values": list(a.values)}
                for a in self.axes
            ],
            "points": len(self.points),
        }


def _info(name: str) -> Any:
    for info in catalogue():
        if info.name == name:
            return info
    raise ParamError(f"sweep: unknown parameter {name!r}; see `deepstrike params`")


def _schema_bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for part in info.bounds.split(", "):
        if part.startswith(">= "):
            lo = float(part[3:])
        elif part.startswith("<= "):
            hi = float(part[3:])
    return lo, hi


def parse_axis(text: str) -> Axis:
    """`name=lo:hi:n` (n grid values), `name=lo:hi` (bounds), `name=a,b,c` or `name` (the
    schema's bounds)."""
    name, _, spec = text.partition("=")
    name = name.strip()
    info = _info(name)
    integer = info.annotation is int
    numeric = info.annotation in (int, float)
    spec = spec.strip()
    if not spec:
        if not numeric:
            raise ParamError(f"sweep: {name} is not numeric; give its values: {name}=a,b")
        lo, hi = _schema_bounds(info)
        if lo is None or hi is None:
            raise ParamError(f"sweep: {name} has no bounds in the schema; give {name}=lo:hi")
        return Axis(name, lo, hi, integer=integer)
    match = _RANGE.match(spec)
    if match and numeric:
        try:
            lo, hi = float(match["lo"]), float(match["hi"])
        except ValueError:
            raise ParamError(f"sweep: {text!r}: bounds must be numbers") from None
        if lo > hi:
            raise ParamError(f"sweep: {text!r}: low bound above high bound")
        values: tuple[Any, ...] = ()
        if match["n"]:
            n = int(match["n"])
            if n < 1 or n > 10_000:
                raise ParamError(f"sweep: {text!r}: between 1 and 10,000 grid values")
            grid = np.linspace(lo, hi, n)
            values = tuple(int(round(v)) if integer else float(v) for v in grid)
        return Axis(name, lo, hi, values, integer)
    values = tuple(v.strip() for v in spec.split(",") if v.strip())
    if not values:
        raise ParamError(f"sweep: {text!r}: no values")
    if numeric:
        try:
            values = tuple(int(v) if integer else float(v) for v in values)
        except ValueError:
            raise ParamError(f"sweep: {text!r}: values must be numbers") from None
    return Axis(name, None, None, values, integer)


def _cast(axis: Axis, value: float) -> Any:
    return int(round(value)) if axis.integer else float(value)


def make_design(axes: list[Axis], kind: Kind = "grid", samples: int = 64, seed: int = 0) -> Design:
    """The points of a design (dicts of `name -> value`)."""
    if not axes:
        raise ParamError("sweep: vary at least one parameter (--vary NAME=...)")
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise ParamError("sweep: a parameter is varied twice")
    if kind == "grid":
        for a in axes:
            if not a.values:
                raise ParamError(f"sweep: a grid needs values for {a.name} (lo:hi:n or a,b,c)")
        mesh = np.array(np.meshgrid(*[np.arange(len(a.values)) for a in axes], indexing="ij"))
        index = mesh.reshape(len(axes), -1).T
        points = [{a.name: a.values[i] for a, i in zip(axes, row, strict=True)} for row in index]
        return Design(kind, axes, points)
    for a in axes:
        if a.low is None or a.high is None:
            raise ParamError(f"sweep: a {kind} design needs bounds for {a.name} (lo:hi)")
    lows = np.array([a.low for a in axes])
    highs = np.array([a.high for a in axes])
    if kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(axes), seed=seed).random(samples)
        raw = qmc.scale(unit, lows, highs)
        problem: dict[str, Any] = {}
    else:
        from SALib.sample import sobol as sobol_sample

        problem = {"num_vars": len(axes), "names": names, "bounds": [[a.low, a.high] for a in axes]}
        base = 2 ** math.ceil(math.log2(max(samples, 2)))
        raw = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
        samples = base
    points = [{a.name: _cast(a, v) for a, v in zip(axes, row, strict=True)} for row in raw]
    return Design(kind, axes, points, samples=samples, seed=seed, problem=problem)


def _set(tree: dict[str, Any], name: str, value: Any) -> None:
    if "." in name:
        group, sub = name.split(".", 1)
        tree.setdefault(group, {})[sub] = value
    else:
        tree[name] = value


def validate_points(scenario_ref: str, design: Design) -> tuple[str, list[Any]]:
    """Every point of the design validated by the schema before anything runs."""
    from deepstrike.params import validate

    path = scenario_path(scenario_ref)
    base = read_scenario_file(path)
    name, _ = load_scenario(scenario_ref)
    out = []
    for i, point in enumerate(design.points):
        tree = json.loads(json.dumps(base, default=str))
        for key, value in point.items():
            _set(tree, key, value)
        try:
            out.append(validate(tree, origin=f"sweep point {i}"))
        except ParamError as exc:
            raise ParamError(f"{exc} (point {i}: {point})") from None
    return name, out


def affected_chapters(axes: list[Axis]) -> list[str]:
    """Chapters whose results a design can move: those whose parameters, or shared groups it
    reads, vary; every chapter when a scenario field (as_of, seed) varies."""
    from deepstrike.chapters import CHAPTERS

    groups = {a.name.split(".", 1)[0] if "." in a.name else "" for a in axes}
    out = []
    for chapter in CHAPTERS:
        if "" in groups or chapter.name in groups or set(chapter.shared) & groups:
            out.append(chapter.name)
    return out


@cache
def _tables(names: tuple[str, ...], as_of: str) -> dict[str, pd.DataFrame]:
    from deepstrike import data

    return {n: data.load_table(n, as_of=as_of) for n in names}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def evaluate(scenario_json: str, chapters: tuple[str, ...]) -> list[dict[str, Any]]:
    """One point: every affected chapter's key numbers, as tidy records (runs in a worker)."""
    from deepstrike.chapter import get
    from deepstrike.params import Scenario

    scenario = Scenario.model_validate_json(scenario_json)
    rows = []
    for name in chapters:
        chapter = get(name)
        tables = {
            k: v.copy() for k, v in _tables(chapter.tables, scenario.as_of.isoformat()).items()
        }
        params = chapter.run_params(scenario)
        numbers = chapter.numbers(chapter.analyse(params, tables, scenario.as_of, scenario.seed))
        for q in numbers.values():
            value = _plain(q.value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                number = float(value) if isinstance(value, bool) else None
                text = None if isinstance(value, (bool, int, float)) else q.text()
            else:
                number, text = float(value), q.text()
            rows.append(
                {
                    "chapter": name,
                    "quantity": q.name,
                    "value": number,
                    "text": text if text is not None else q.text(),
                    "unit": q.unit,
                    "kind": q.kind,
                }
            )
    return rows


def point_key(scenario_json: str, chapters: tuple[str, ...], source: str) -> str:
    payload = json.dumps(
        {
            "v": SWEEP_VERSION,
            "scenario": json.loads(scenario_json),
            "chapters": chapters,
            "source": source,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _code_hash(chapters: Iterable[str]) -> str:
    from deepstrike import build
    from deepstrike.chapter import get

    digest = hashlib.sha256()
    for name in sorted(chapters):
        digest.update(build.chapter_source_hash(get(name)).encode())
        digest.update(json.dumps(build.data.table_fingerprint(get(name).tables)).encode())
    return digest.hexdigest()


def _read_cached(path: Path) -> list[dict[str, Any]] | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rows if isinstance(rows, list) else None


def _write_cached(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(rows, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass
class SweepResult:
    table: pd.DataFrame
    summary: pd.DataFrame
    path: Path | None
    computed: int
    cached: int
    seconds: float
    workers: int
    dashboard: str = ""


def run(
    scenario_ref: str,
    design: Design,
    out: Path | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    log: Callable[[str], None] = print,
) -> SweepResult:
    """Validate every point, compute what the cache lacks on dask.distributed, write Parquet."""
    from distributed import Client, LocalCluster, as_completed

    started = time.perf_counter()
    name, scenarios = validate_points(scenario_ref, design)
    chapters = tuple(affected_chapters(design.axes))
    source = _code_hash(chapters)
    payloads = [s.model_dump_json() for s in scenarios]
    keys = [point_key(p, chapters, source) for p in payloads]
    results: dict[int, list[dict[str, Any]]] = {}
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for i, key in enumerate(keys):
            rows = _read_cached(cache_dir / f"{key}.json")
            if rows is not None:
                results[i] = rows
    todo = [i for i in range(len(keys)) if i not in results]
    cached = len(results)
    n_workers, dashboard = 0, ""
    if todo:
        if scheduler:
            client = Client(scheduler)
            cluster = None
        else:
            n_workers = max(1, workers or os.cpu_count() or 1)
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            )
            client = Client(cluster)
        try:
            dashboard = client.dashboard_link or ""
            n_workers = len(client.scheduler_info().get("workers", {})) or n_workers
            log(
                f"deepstrike sweep: {len(todo)} points on {n_workers} workers"
                f"{f' (dashboard {dashboard})' if dashboard else ''}; {cached} cached"
            )
            futures = {client.submit(evaluate, payloads[i], chapters, pure=False): i for i in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                rows = future.result()
                results[i] = rows
                if cache_dir is not None:
                    _write_cached(cache_dir / f"{keys[i]}.json", rows)
                if done == len(todo) or done % max(1, len(todo) // 20) == 0:
                    log(f"  [{done}/{len(todo)}] points computed")
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    records = []
    for i, point in enumerate(design.points):
        for row in results[i]:
            records.append({"point": i, **{f"p:{k}": v for k, v in point.items()}, **row})
    table = pd.DataFrame.from_records(records)
    summary = sensitivity(table, design)
    seconds = time.perf_counter() - started
    path = None
    if out is not None:
        path = write_parquet(table, summary, out, name, design, chapters)
    return SweepResult(table, summary, path, len(todo), cached, seconds, n_workers, dashboard)


def sensitivity(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """Which parameters move which key numbers: Spearman rank correlation for grids and
    hypercubes, SALib's first-order and total Sobol indices for a Saltelli design."""
    names = [a.name for a in design.axes]
    numeric = table.dropna(subset=["value"])
    rows = []
    for quantity, part in numeric.groupby("quantity"):
        values = part.sort_values("point")["value"].to_numpy()
        if len(values) < 3 or np.unique(values).size < 2:
            continue
        if design.kind == "saltelli":
            from SALib.analyze import sobol as sobol_analyze

            if len(values) != len(design.points):
                continue
            res = sobol_analyze.analyze(design.problem, values, calc_second_order=False)
            for n, s1, st in zip(names, res["S1"], res["ST"], strict=True):
                rows.append(
                    {"quantity": quantity, "parameter": n, "s1": float(s1), "st": float(st)}
                )
            continue
        from scipy.stats import spearmanr

        params = part.sort_values("point")[[f"p:{n}" for n in names]]
        for n in names:
            x = pd.to_numeric(params[f"p:{n}"], errors="coerce").to_numpy()
            if np.unique(x).size < 2:
                continue
            rho = spearmanr(x, values).statistic
            rows.append({"quantity": quantity, "parameter": n, "spearman": float(rho)})
    return pd.DataFrame(rows)


def write_parquet(
    table: pd.DataFrame,
    summary: pd.DataFrame,
    out: Path,
    scenario: str,
    design: Design,
    chapters: tuple[str, ...],
) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from deepstrike import build

    meta = {
        "deepstrike": json.dumps(
            {
                "version": __version__,
                "scenario": scenario,
                "design": design.describe(),
                "chapters": list(chapters),
                "commit": build._git("rev-parse", "HEAD") or "not a git checkout",
                "versions": build.versions(),
            }
        ),
        "summary": summary.to_json(orient="records"),
    }
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **meta})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    pq.write_table(arrow, tmp)
    os.replace(tmp, out)
    return out
