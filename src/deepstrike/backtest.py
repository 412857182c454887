"""`deepstrike backtest`: replay the chapters' models as of past dates and score their forecasts.

Every chapter whose `questions.py` declares a BACKTEST is replayed as of each of its origins (the
escalation chapter: each Western step of 2022-24, on the day it became public; the supply
chapter: the first of every month after the first ATACMS delivery became public), with the
scenario's parameters, each origin's own features ("this step": its depth, US weapon or not)
and the smaller sensitivity settings the chapter names (they enter no forecast). A replay sees
only rows public by its origin (data.as_of_filter on the rows' knowledge dates, as
data.load_table(name, as_of=origin) does) and records the latest knowledge date it saw in every
table, so a test can check it.

A forecast is scored when its window has closed inside the audited record (the escalation
record covers 2022-01-01 to 2024-12-31; the supply record's stock figures reach 2025-01-31),
and its outcome comes from the record itself (a response on the rung within the window = yes),
never from data/outcomes.csv. The baselines are the base rate alone as it stood at the origin
(the climatology of the record public then) and, for the skill score in hindsight, the
climatology of the scored outcomes themselves.

Origins run in parallel (a process pool, two workers by default). The result is cached by a
hash of the chapters' code (deepstrike.build.chapter_source_hash), their tables
(deepstrike.data.table_fingerprint), the parameters and the seed, and every file is written
whole (deepstrike.build.atomic_write).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepstrike import data, kernels, ledger, paths

CACHE_VERSION = "1"
WORKERS = 2
OUTPUT_DIR = "backtest"
FIGURE_ID = "backtest-reliability"


@dataclass(frozen=True)
class Task:
    """One replay: a chapter's model as of one origin."""

    chapter: str
    origin: str
    label: str
    params: dict[str, Any]  # analyse()'s parameters, as a plain dict
    seed: int
    keys: tuple[str, ...]  # the key numbers the chapter's questions read


# ----------------------------------------------------------------- planning


def _backtested() -> dict[str, Any]:
    """Chapters whose questions module declares a BACKTEST, by name, in registry order."""
    return {n: m for n, m in ledger.modules().items() if getattr(m, "BACKTEST", None)}


def plan(scenario: Any, tables: Mapping[str, pd.DataFrame]) -> tuple[list[Task], list[dict]]:
    """The replays to run for a validated scenario, and the origins left out (with why)."""
    from deepstrike.chapter import get

    tasks, skipped = [], []
    for name, module in _backtested().items():
        chapter = get(name)
        spec = module.BACKTEST
        base = chapter.run_params(scenario)
        fields = set(chapter.run_model.model_fields)
        settings = {k: v for k, v in spec.get("settings", {}).items() if k in fields}
        length = int(spec["horizon_days"](base))
        end = ledger.day(spec["record_end"])
        keys = tuple(
            dict.fromkeys(k for q in ledger.chapter_questions(module, name) for k in q.keys)
        )
        for item in spec["origins"](tables):
            origin = ledger.day(item["origin"])
            if origin + timedelta(days=length) > end:
                skipped.append(
                    {"chapter": name, "origin": origin.isoformat(), "why": "window not closed"}
                )
                continue
            own = {k: v for k, v in item.get("overrides", {}).items() if k in fields}
            params = {**base.model_dump(mode="json"), **settings, **own}
            tasks.append(
                Task(name, origin.isoformat(), item["label"], params, int(scenario.seed), keys)
            )
    return tasks, skipped


# ----------------------------------------------------------------- one replay (in a worker)

# The validated tables, set before the pool forks so every worker shares them.
_TABLES: dict[str, pd.DataFrame] = {}


def _tables() -> dict[str, pd.DataFrame]:
    if not _TABLES:
        _TABLES.update(data.validate_all())
    return _TABLES


class _Lazy(Mapping):
    """The validated tables, each read when first asked for."""

    def __init__(self) -> None:
        self._got: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._got:
            self._got[name] = _TABLES[name] if name in _TABLES else data.load_table(name)
        return self._got[name]

    def __iter__(self) -> Any:
        return iter(data.resources())

    def __len__(self) -> int:
        return len(data.resources())


def as_of_tables(
    names: tuple[str, ...] | list[str], origin: date | str, tables: Mapping[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The named tables as data.load_table(name, as_of=origin) gives them."""
    described = data.resources()
    return {n: data.as_of_filter(tables[n], described[n], origin) for n in names}


def latest_known(frames: Mapping[str, pd.DataFrame]) -> dict[str, str | None]:
    """The latest knowledge date among the rows of each table (None: no row, or static)."""
    described = data.resources()
    out = {}
    for name, frame in frames.items():
        if described[name].static or frame.empty or data.KNOWN_FROM not in frame.columns:
            out[name] = None
        else:
            out[name] = pd.Timestamp(frame[data.KNOWN_FROM].max()).date().isoformat()
    return out


def run_task(task: Task, tables: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Replay one chapter as of one origin; the key numbers its questions read. `tables`: the
    validated tables (default: this process's, validated once)."""
    from deepstrike.chapter import get

    started = time.perf_counter()
    chapter = get(task.chapter)
    out: dict[str, Any] = {"task": asdict(task), "numbers": {}, "error": None}
    try:
        frames = as_of_tables(chapter.tables, task.origin, _tables() if tables is None else tables)
        out["max_known_from"] = latest_known(frames)
        params = chapter.run_model(**task.params)
        result = chapter.analyse(params, frames, task.origin, task.seed)
        numbers = chapter.numbers(result)
        out["numbers"] = {k: _plain(numbers[k].value) for k in task.keys if k in numbers}
    except Exception as exc:  # noqa: BLE001 - one origin's failure is reported, not fatal
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["seconds"] = time.perf_counter() - started
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


# ----------------------------------------------------------------- scoring


def score_replays(
    results: list[dict[str, Any]], tables: Mapping[str, pd.DataFrame]
) -> list[dict[str, Any]]:
    """Every forecast of every replay whose window closed inside the record, resolved by the
    record itself and scored beside the base rate as it stood at the origin."""
    record_only = {n: f for n, f in tables.items() if n != ledger.OUTCOMES}
    by_chapter = {}
    for name, module in _backtested().items():
        by_chapter[name] = ledger.chapter_questions(module, name)
    rows = []
    for res in results:
        task = res["task"]
        if res.get("error"):
            continue
        origin = ledger.day(task["origin"])
        for q in by_chapter[task["chapter"]]:
            visible = as_of_tables(q.record.tables, origin, tables) if q.record else None
            e = ledger.entry(q, res["numbers"], origin, record_only, visible, latest=None)
            r = e.get("resolution") or {}
            if r.get("status") != "resolved" or not e.get("score"):
                continue
            rows.append(
                {
                    "chapter": task["chapter"],
                    "origin": task["origin"],
                    "label": task["label"],
                    "question": q.id,
                    "kind": q.kind,
                    "window_end": e["window_end"],
                    "forecast": e["forecast"],
                    "base_rate": e.get("base_rate"),
                    "outcome": r["value"],
                    "disputed": bool(r.get("disputed")),
                    "week": r.get("week"),
                    "record_ids": r.get("record_ids", ""),
                    "score": e["score"],
                }
            )
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Brier score and skill of the binary forecasts, against the base rate at the origin, the
    climatology of the outcomes in hindsight and 50%; interval coverage; per chapter and
    question."""

    def block(part: list[dict[str, Any]]) -> dict[str, Any]:
        binary = [r for r in part if r["kind"] == "binary"]
        ranged = [r for r in part if r["kind"] != "binary"]
        out: dict[str, Any] = {"n_binary": len(binary), "n_ranged": len(ranged)}
        if binary:
            p = np.array([r["forecast"]["p"] for r in binary])
            o = np.array([r["outcome"] for r in binary])
            bs = float(np.mean((p - o) ** 2))
            mean_o = float(o.mean())
            sample = mean_o * (1 - mean_o)
            out.update(
                brier=bs,
                observed=mean_o,
                mean_forecast=float(p.mean()),
                brier_half=0.25,
                skill_half=ledger.skill(bs, 0.25),
                brier_sample_clim=sample,
                skill_sample_clim=ledger.skill(bs, sample),
            )
            with_base = [r for r in binary if r["base_rate"] is not None]
            if with_base:
                pb = np.array([r["forecast"]["p"] for r in with_base])
                b = np.array([r["base_rate"] for r in with_base])
                ob = np.array([r["outcome"] for r in with_base])
                bs_b = float(np.mean((pb - ob) ** 2))
                clim = float(np.mean((b - ob) ** 2))
                out.update(
                    n_clim=len(with_base),
                    brier_on_clim=bs_b,
                    brier_clim=clim,
                    skill_clim=ledger.skill(bs_b, clim),
                )
        if ranged:
            cov = [r["score"]["covered"] for r in ranged if r["score"].get("covered") is not None]
            out["n_coverable"] = len(cov)
            out["n_covered"] = int(sum(cov))
            out["coverage"] = float(np.mean(cov)) if cov else None
            out["pit"] = [float(r["score"]["pit"]) for r in ranged]
        return out

    summary = block(rows)
    summary["by_chapter"] = {
        c: block([r for r in rows if r["chapter"] == c])
        for c in dict.fromkeys(r["chapter"] for r in rows)
    }
    summary["by_question"] = {
        q: block([r for r in rows if r["question"] == q])
        for q in dict.fromkeys(r["question"] for r in rows)
    }
    binary = [r for r in rows if r["kind"] == "binary"]
    summary["reliability"] = ledger.reliability((r["forecast"]["p"], r["outcome"]) for r in binary)
    return summary


# ----------------------------------------------------------------- the cache


@cache
def _code_hash() -> str:
    """The ledger's and this module's code, as this process loaded it."""
    digest = hashlib.sha256()
    for path in (Path(ledger.__file__), Path(__file__)):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(tasks: list[Task], seed: int) -> str:
    """What a backtest depends on: each chapter's code and tables, the replays' parameters,
    the seed, the ledger and this module, package versions."""
    from deepstrike import build
    from deepstrike.chapter import get

    chapters = {}
    for name in dict.fromkeys(t.chapter for t in tasks):
        chapter = get(name)
        questions = chapter.folder / "questions.py"
        chapters[name] = {
            "source": build.chapter_source_hash(chapter),
            # the questions (origins, events, settings) even if the build counts them as
            # read at render time
            "questions": hashlib.sha256(questions.read_bytes()).hexdigest(),
            "data": data.table_fingerprint(chapter.tables),
        }
    payload = {
        "v": CACHE_VERSION,
        "chapters": chapters,
        "tasks": [asdict(t) for t in tasks],
        "seed": seed,
        "code": _code_hash(),
        "versions": build.versions(),
        "python": sys.version,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


KEY_MEMO = "backtest-keys.json"
KEY_MEMO_SIZE = 32


def quick_signature(tasks: list[Task], seed: int) -> str:
    """A cheap stand-in for the cache key: the size and modification time of every source
    file of the package and every data file, the replays, the seed, package versions. When it
    matches a remembered one, the key it was remembered with holds (no file was touched);
    otherwise the full key is computed from the files' contents."""
    from deepstrike import build

    digest = hashlib.sha256()
    for base, pattern in ((build.PACKAGE_DIR, "*.py"), (paths.data_dir(), "*")):
        for path in sorted(base.rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                st = path.stat()
                digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    extra = {"tasks": [asdict(t) for t in tasks], "seed": seed, "versions": build.versions()}
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:32]


def known_key(cache_dir: Path, tasks: list[Task], seed: int) -> str:
    """The cache key, from the memo when nothing was touched since it was remembered."""
    quick = quick_signature(tasks, seed)
    memo = _read_memo(cache_dir)
    if quick in memo:
        return memo[quick]
    key = cache_key(tasks, seed)
    _remember_key(cache_dir, quick, key)
    return key


def _read_memo(cache_dir: Path) -> dict[str, str]:
    try:
        memo = json.loads((cache_dir / KEY_MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _remember_key(cache_dir: Path, quick: str, key: str) -> None:
    from deepstrike import build

    memo = _read_memo(cache_dir)
    memo.pop(quick, None)
    memo[quick] = key
    memo = dict(list(memo.items())[-KEY_MEMO_SIZE:])
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        build.atomic_write(cache_dir / KEY_MEMO, json.dumps(memo) + "\n")
    except OSError:
        pass  # a memo that cannot be written only costs the next run the full key


def _read_cache(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("key") else None


# ----------------------------------------------------------------- running


class Stopped(Exception):
    """The build that ran this backtest beside its notebooks ended first."""


def _run_all(
    tasks: list[Task],
    workers: int,
    log: Callable[[str], None],
    tables: Mapping[str, pd.DataFrame],
    stopping: threading.Event | None = None,
) -> list[dict[str, Any]]:
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for task in tasks:
            if stopping is not None and stopping.is_set():
                raise Stopped
            out.append(run_task(task, tables))
        return out
    _TABLES.update(tables)  # set before the pool forks: every worker shares them
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=kernels.worker_init,
        initargs=(os.getpid(),),
    )
    try:
        futures = [pool.submit(run_task, t) for t in tasks]
        out = []
        for i, future in enumerate(futures, start=1):
            res = future.result()
            task = res["task"]
            state = "failed" if res["error"] else f"{res['seconds']:.1f} s"
            log(f"  [{i}/{len(tasks)}] {task['chapter']:<10} as of {task['origin']}  {state}")
            out.append(res)
    except BaseException:
        kernels.kill_pool(pool)
        raise
    pool.shutdown(wait=True)
    return out


def run(
    scenario: Any,
    out_root: Path | str = "report",
    workers: int = WORKERS,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
    tables: Mapping[str, pd.DataFrame] | None = None,
    stopping: threading.Event | None = None,
) -> dict[str, Any]:
    """The backtest of a validated scenario's model settings: cached, else run and cached.
    `tables`: the validated tables if the caller has them; `stopping`: set it to end a
    sequential run between two replays (raises Stopped)."""
    from deepstrike import build

    started = time.perf_counter()
    # Planning reads only the tables the origins come from; the rest wait for a cache miss.
    tasks, skipped = plan(scenario, _Lazy())
    cache_dir = Path(out_root) / ".cache"
    # --no-cache computes the key from the files' contents, never from the memo
    key = (
        known_key(cache_dir, tasks, int(scenario.seed))
        if use_cache
        else cache_key(tasks, int(scenario.seed))
    )
    cached = cache_dir / f"backtest-{key}.json"
    if use_cache:
        found = _read_cache(cached)
        if found is not None and found.get("key") == key:
            found["cached"] = True
            return found
    log(f"deepstrike: backtest of {len(tasks)} replays with {workers} workers ...")
    tables = _tables() if tables is None else tables
    results = _run_all(tasks, workers, log, tables, stopping)
    rows = score_replays(results, tables)
    out = {
        "key": key,
        "version": CACHE_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": int(scenario.seed),
        "record_end": {n: m.BACKTEST["record_end"] for n, m in _backtested().items()},
        "origins_text": [m.BACKTEST.get("origins_text", n) for n, m in _backtested().items()],
        "settings": {n: m.BACKTEST.get("settings", {}) for n, m in _backtested().items()},
        "origins": [
            {
                "chapter": r["task"]["chapter"],
                "origin": r["task"]["origin"],
                "label": r["task"]["label"],
                "overrides": {
                    k: v
                    for k, v in r["task"]["params"].items()
                    if k in ("depth_km", "us_attribution")
                },
                "seconds": r["seconds"],
                "error": r["error"],
                "max_known_from": r.get("max_known_from", {}),
                "numbers": r["numbers"],
            }
            for r in results
        ],
        "skipped": skipped,
        "forecasts": rows,
        "summary": summarise(rows),
        "seconds": time.perf_counter() - started,
        "cached": False,
    }
    # What the briefing shows is computed once, here, and kept with the result.
    out["annex"] = annex(out)
    cache_dir.mkdir(parents=True, exist_ok=True)
    build.atomic_write(cached, json.dumps(out, indent=1, default=str) + "\n")
    _remember_key(cache_dir, quick_signature(tasks, int(scenario.seed)), key)
    return out


# ----------------------------------------------------------------- what a reader sees


def figure(result: Mapping[str, Any]) -> Any:
    """The reliability diagram: forecast probability against observed frequency per bin, each
    bin's number of forecasts written beside it, and the diagonal of perfect calibration."""
    import plotly.graph_objects as go

    from deepstrike import figures  # noqa: F401 - the house theme

    bins = [b for b in result["summary"]["reliability"] if b["n"]]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dot", "color": "#999"},
            name="perfect calibration",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[b["mean_forecast"] for b in bins],
            y=[b["observed"] for b in bins],
            mode="markers+lines+text",
            marker={"size": [8 + 3 * np.sqrt(b["n"]) for b in bins]},
            text=[f"n={b['n']}" for b in bins],
            textposition="top center",
            name="backtest forecasts",
            customdata=[[b["low"], b["high"], b["n"]] for b in bins],
            hovertemplate="forecasts %{customdata[0]:.0%}–%{customdata[1]:.0%}: "
            "%{customdata[2]} forecasts<br>mean forecast %{x:.0%}<br>happened %{y:.0%}"
            "<extra></extra>",
        )
    )
    fig.update_layout(
        title="How often what the model forecast happened",
        xaxis={
            "title": "forecast probability (mean of the bin)",
            "range": [0, 1],
            "tickformat": ".0%",
        },
        yaxis={"title": "share that happened", "range": [-0.05, 1.1], "tickformat": ".0%"},
        height=420,
    )
    return fig


def _fmt(x: float | None, digits: int) -> str:
    from deepstrike.language import number

    return "–" if x is None else number(x, digits)


def _pct(x: float | None) -> str:
    from deepstrike.language import percent

    return "–" if x is None else percent(x)


def _share(x: float | None) -> str:
    """A measured share (how often something happened), in whole per cent: no ICD bounds."""
    from deepstrike.language import number

    return "–" if x is None else f"{number(100 * x)}%"


def annex(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The template context of the annex 'How well does this model forecast?'."""
    if not result:
        return None
    if result.get("annex"):
        return {**result["annex"], "cached": bool(result.get("cached"))}
    from deepstrike import figures

    s = result["summary"]
    origins = result["origins"]
    rows = []
    for r in result["forecasts"]:
        f = r["forecast"]
        if r["kind"] == "binary":
            shown = _pct(f["p"])
            outcome = "yes" if r["outcome"] >= 1 else "no"
            score = _fmt(r["score"]["brier"], 3)
            base = "" if r["base_rate"] is None else _pct(r["base_rate"])
        else:
            shown = ledger.estimate_text({"kind": r["kind"], "forecast": f})
            if r["kind"] == "count":
                outcome = _fmt(r["outcome"], 0)
            else:
                outcome = f"week {_fmt(r['week'], 0)}" if r["outcome"] >= 1 else "not in window"
            cov = r["score"].get("covered")
            score = ("inside" if cov else "outside" if cov is False else "") + (
                f", PIT {_fmt(r['score']['pit'], 2)}"
            )
            base = ""
        rows.append(
            {
                "origin": r["origin"],
                "label": r["label"],
                "question": r["question"],
                "forecast": shown,
                "base": base,
                "outcome": outcome + (" (disputed)" if r["disputed"] else ""),
                "score": score.lstrip(", "),
            }
        )
    chapters = []
    for name, block in s.get("by_chapter", {}).items():
        chapters.append(
            {
                "chapter": name,
                "n_origins": sum(o["chapter"] == name and not o["error"] for o in origins),
                "n_binary": block["n_binary"],
                "brier": _fmt(block.get("brier"), 3),
                "brier_clim": _fmt(block.get("brier_clim"), 3),
                "skill_clim": _fmt(block.get("skill_clim"), 2),
                "skill_sample_clim": _fmt(block.get("skill_sample_clim"), 2),
                "coverage": _share(block.get("coverage"))
                if block.get("coverage") is not None
                else "–",
                "n_coverable": block.get("n_coverable", 0),
                "record_end": result["record_end"].get(name, ""),
            }
        )
    ok = [o for o in origins if not o["error"]]
    return {
        "n_origins": len(ok),
        "n_failed": len(origins) - len(ok),
        "failed": [
            f"{o['chapter']} as of {o['origin']}: {o['error']}" for o in origins if o["error"]
        ],
        "first_origin": min((o["origin"] for o in ok), default=""),
        "last_origin": max((o["origin"] for o in ok), default=""),
        "n_forecasts": len(result["forecasts"]),
        "n_binary": s.get("n_binary", 0),
        "brier": _fmt(s.get("brier"), 3),
        "brier_clim": _fmt(s.get("brier_clim"), 3),
        "skill_clim": _fmt(s.get("skill_clim"), 2),
        "brier_sample_clim": _fmt(s.get("brier_sample_clim"), 3),
        "skill_sample_clim": _fmt(s.get("skill_sample_clim"), 2),
        "skill_half": _fmt(s.get("skill_half"), 2),
        "observed": _share(s.get("observed")),
        "mean_forecast": _share(s.get("mean_forecast")),
        "coverage": _share(s.get("coverage")) if s.get("coverage") is not None else "–",
        "n_coverable": s.get("n_coverable", 0),
        "n_covered": s.get("n_covered", 0),
        "skill_positive": (s.get("skill_clim") or 0) > 0,
        "chapters": chapters,
        "bins": [
            {
                "range": f"{_share(b['low'])}–{_share(b['high'])}",
                "n": b["n"],
                "mean_forecast": _share(b["mean_forecast"]),
                "observed": _share(b["observed"]),
            }
            for b in s.get("reliability", [])
            if b["n"]
        ],
        "rows": rows,
        "figure_html": figures.figure_html(figure(result), FIGURE_ID),
        "cached": bool(result.get("cached")),
        "origins_text": "; ".join(result.get("origins_text", [])),
        "settings": "; ".join(
            f"{c}: " + ", ".join(f"{k} {v}" for k, v in kv.items())
            for c, kv in result.get("settings", {}).items()
            if kv
        ),
    }


def page(result: Mapping[str, Any], title: str) -> str:
    """A self-contained HTML page of the annex (plotly.js inlined once, no network)."""
    from deepstrike import render

    css = (render.TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    wrapper = render._env().from_string(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{{ title }}</title><style>{{ css|safe }}</style>"
        "<script>{{ plotly_js|safe }}</script></head><body><main>"
        "{% include 'scorecard.html.j2' %}</main></body></html>"
    )
    return wrapper.render(
        title=title, css=css, plotly_js=render.plotly_js(), scorecard=None, backtest=annex(result)
    )


def table_text(result: Mapping[str, Any]) -> str:
    """The summary as `deepstrike backtest` prints it."""
    s = result["summary"]
    lines = [
        f"origins replayed     {len([o for o in result['origins'] if not o['error']])}"
        f" ({len([o for o in result['origins'] if o['error']])} failed)",
        f"forecasts scored     {len(result['forecasts'])} ({s.get('n_binary', 0)} binary)",
        f"Brier score          {_fmt(s.get('brier'), 3)}",
        f"  base rate alone    {_fmt(s.get('brier_clim'), 3)}"
        f"  skill {_fmt(s.get('skill_clim'), 2)}",
        f"  climatology (hindsight) {_fmt(s.get('brier_sample_clim'), 3)}"
        f"  skill {_fmt(s.get('skill_sample_clim'), 2)}",
        f"  50% everywhere     0.250  skill {_fmt(s.get('skill_half'), 2)}",
        f"interval coverage    {_share(s.get('coverage'))} of {s.get('n_coverable', 0)}",
    ]
    for name, block in s.get("by_chapter", {}).items():
        lines.append(
            f"  {name:<12} Brier {_fmt(block.get('brier'), 3)}"
            f"  base rate {_fmt(block.get('brier_clim'), 3)}"
            f"  skill {_fmt(block.get('skill_clim'), 2)}  (n={block['n_binary']},"
            f" record to {result['record_end'].get(name, '')})"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------- beside a build


@dataclass
class Pending:
    """A backtest started beside a build: already at hand (a cache hit), or running in a
    thread of the build."""

    scenario: Any
    out_root: Path
    result: dict[str, Any] | None = None
    thread: threading.Thread | None = None
    error: str = ""
    stopping: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        """End the run if it still goes (the build failed first): it stops between replays."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()


def cached_result(
    scenario: Any, out_root: Path | str, tables: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, Any] | None:
    """The cached backtest of these model settings, or None (nothing is run)."""
    tasks, _ = plan(scenario, tables if tables is not None else _Lazy())
    cache_dir = Path(out_root) / ".cache"
    key = known_key(cache_dir, tasks, int(scenario.seed))
    found = _read_cache(cache_dir / f"backtest-{key}.json")
    if found is None or found.get("key") != key:
        return None
    found["cached"] = True
    return found


def start(
    scenario: Any,
    out_root: Path | str = "report",
    use_cache: bool = True,
    tables: Mapping[str, pd.DataFrame] | None = None,
    compute: bool = True,
) -> Pending:
    """Start the backtest of a build's scenario: a cache hit is read here at once (a warm
    build runs nothing); otherwise the replays run one after another in a thread of the
    build, beside its notebooks. A thread, not a process: the build has already imported the
    models and validated the tables, which a new interpreter spends seconds of CPU redoing,
    and while the notebooks run the build's main thread only waits. Not a pool: the
    notebooks keep both cores busy. The thread's result goes through the cache, as the
    command's does."""
    pending = Pending(scenario, Path(out_root))
    if use_cache:
        pending.result = cached_result(scenario, out_root, tables)
        if pending.result is not None:
            return pending
    if not compute:
        return pending

    def work() -> None:
        try:
            pending.result = run(
                scenario, out_root, 1, use_cache, lambda _line: None, tables, pending.stopping
            )
        except Stopped:
            pending.error = "stopped"
        except Exception as exc:  # noqa: BLE001 - the briefing goes out without its annex
            pending.error = f"{type(exc).__name__}: {exc}"

    pending.thread = threading.Thread(target=work, name="deepstrike-backtest", daemon=True)
    pending.thread.start()
    return pending


def finish(
    pending: Pending, tables: Mapping[str, pd.DataFrame] | None = None
) -> tuple[dict[str, Any] | None, str]:
    """The backtest's result once it is done, or None and why it is missing."""
    if pending.thread is None:
        if pending.result is not None:
            return pending.result, ""
        return None, "no backtest of these settings in the cache (run deepstrike backtest)"
    pending.thread.join()
    if pending.error or pending.result is None:
        return None, f"backtest failed: {pending.error or 'no result'}"
    return pending.result, ""


# ----------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepstrike backtest",
        description="Replay the chapters' models as of past dates and score their forecasts.",
    )
    parser.add_argument("--scenario", "-s", default="baseline", help="scenario name or YAML file")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one parameter (repeatable), as for build",
    )
    parser.add_argument("--out", default="report", help="output folder [report]")
    parser.add_argument("--workers", type=int, default=WORKERS, help=f"processes [{WORKERS}]")
    parser.add_argument("--no-cache", action="store_true", help="run every replay again")
    parser.add_argument(
        "--cache-only",
        action="store_true",
        help="fill the cache and write nothing else (what a build does beside its notebooks)",
    )
    return parser


def main(argv: list[str] | None = None, log: Callable[[str], None] = print) -> int:
    """`deepstrike backtest [--scenario S] [-p k=v ...] [--out report] [--workers 2]`.

    Writes report/backtest/<folder>/backtest.json and backtest.html (folder: the scenario's,
    or <scenario>-<hash> with overrides). Exit 0 done, 1 the output cannot be written, 2 bad
    input (nothing written), 130 interrupted."""
    from deepstrike import build
    from deepstrike.params import ParamError

    args = _parser().parse_args(argv)
    if args.workers < 1:
        _error("--workers must be at least 1")
        return 2
    try:
        folder, scenario, _ = build.prepare(args.scenario, args.param)
        result = run(scenario, args.out, args.workers, not args.no_cache, log)
        if args.cache_only:
            return 0
        out_dir = Path(args.out) / OUTPUT_DIR / folder
        out_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result, indent=1, default=str) + "\n"
        build.atomic_write(out_dir / "backtest.json", text)
        title = f"How well does this model forecast? Backtest of {scenario.title}"
        build.atomic_write(out_dir / "backtest.html", page(result, title))
    except (ParamError, data.DataError) as exc:
        _error(str(exc))
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
        return 1
    except KeyboardInterrupt:
        _error("interrupted; nothing half-written is left behind")
        return 130
    log(table_text(result))
    state = "from cache" if result.get("cached") else f"in {result['seconds']:.1f} s"
    log(f"deepstrike: wrote {out_dir / 'backtest.html'} ({state})")
    return 0


def _error(message: str) -> None:
    print(f"deepstrike: error: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
