"""The forecast ledger: questions, forecasts from recorded key numbers, resolutions and scores.

Every forecast the briefing makes is a question, declared by its chapter in
`chapters/<name>/questions.py` (found through the chapter registry, so a new chapter's questions
join by being in its folder): an id, its wording, an exact event definition, a window relative
to the as-of date, the kind of answer (binary, count, date) and the key numbers that carry the
forecast. A build records every question with its forecast; `data/outcomes.csv` resolves closed
windows with sources, and a window that closed inside the audited record is resolved by the
record itself, by the rule the backtest uses.

Conventions, one for every question:
- The window of a question asked on the as-of date D with a length of L days is the days
  D + 1 to D + L: what happened on D itself was already public and is no forecast.
- Week n of a date question holds the days 7(n - 1) + 1 to 7n after D (week 1 ends a week
  after D, as the supply chapter counts).
- Binary and date outcomes record whether the event happened in the window (1 or 0), counts
  the count. A disputed outcome keeps the resolution both ways (outcome_low, outcome_high).

Scores: Brier for binary questions; interval coverage and the probability integral transform
(PIT) for counts and dates. The PIT is read from the three quantiles a chapter records (low,
median, high), interpolated linearly between them and to 0 and 1 beyond them, so it is exact at
those quantiles and approximate in the tails. Baselines: 50% everywhere, and the base rate alone
(the climatology of the record: the share of all windows of the same length in the record, as
public at the as-of date, that held the event, Jeffreys-smoothed).

The functions here are pure: they read nothing but the numbers and tables passed in (and
the tables' descriptions in data/datapackage.json, for the as-of filter).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

KINDS = ("binary", "count", "date")
OUTCOMES = "outcomes"
DAYS_PER_WEEK = 7
# Interval width when a chapter records none.
DEFAULT_INTERVAL_PCT = 90.0
# A forecast on the wrong side of this distance from the outcome is named as a miss.
MISS_DISTANCE = 0.5
# Bins of the reliability diagram.
RELIABILITY_BINS = 10
# The base rate alone before the record holds any window: the Jeffreys prior's mean.
JEFFREYS_MEAN = 0.5


# ----------------------------------------------------------------- questions


@dataclass(frozen=True)
class Record:
    """How the audited record resolves a question: its events, from when to when it counts."""

    events: Callable[[Mapping[str, pd.DataFrame]], pd.DataFrame]  # date_low, date_high, id
    start: str | Callable[[Mapping[str, pd.DataFrame]], Any]  # first day the record counts
    end: str  # last day the audited record covers
    tables: tuple[str, ...]  # the tables `events` reads


@dataclass(frozen=True)
class Question:
    id: str  # "<chapter>.<name>"
    chapter: str
    name: str
    kind: str
    wording: str  # "{window}" is replaced by the window's length
    definition: str
    phrase: str  # the event inside a sentence: "a demonstrative strike with a novel weapon"
    window: str  # key number holding the window's length
    window_unit: str  # days | weeks
    forecast: str  # key number: the probability (binary) or the median (count, date)
    low: str | None = None
    high: str | None = None
    event_probability: str | None = None  # date questions: P(event within the window)
    interval: str = "interval_pct"
    unit: str = ""  # count questions: what is counted ("attacks")
    record: Record | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key number the question reads."""
        names = [self.window, self.forecast, self.low, self.high, self.event_probability]
        return tuple(dict.fromkeys(n for n in [*names, self.interval] if n))


def make_question(chapter: str, spec: Mapping[str, Any]) -> Question:
    """A question from a chapter's declaration (a plain dict in its questions.py)."""
    spec = dict(spec)
    record = spec.pop("record", None)
    if record is not None and not isinstance(record, Record):
        record = Record(
            events=record["events"],
            start=record["start"],
            end=record["end"],
            tables=tuple(record["tables"]),
        )
    name = spec.pop("name")
    q = Question(id=f"{chapter}.{name}", chapter=chapter, name=name, record=record, **spec)
    if q.kind not in KINDS:
        raise ValueError(f"question {q.id}: kind {q.kind!r} is not one of {', '.join(KINDS)}")
    if q.window_unit not in ("days", "weeks"):
        raise ValueError(f"question {q.id}: window_unit must be days or weeks")
    if q.kind == "date" and not q.event_probability:
        raise ValueError(f"question {q.id}: a date question needs event_probability")
    if q.kind != "binary" and not (q.low and q.high):
        raise ValueError(f"question {q.id}: a {q.kind} question needs low and high")
    return q


def chapter_questions(module: Any, chapter: str) -> list[Question]:
    out = [make_question(chapter, spec) for spec in getattr(module, "QUESTIONS", [])]
    ids = [q.id for q in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"chapter {chapter}: two questions share one id")
    return out


def _questions_module(package: str) -> Any:
    try:
        return importlib.import_module(f"{package}.questions")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.questions":
            raise
        return None


@cache
def modules() -> dict[str, Any]:
    """Each chapter's questions module, by chapter name (chapters without one are left out)."""
    from deepstrike.chapters import CHAPTERS

    found = {}
    for chapter in CHAPTERS:
        module = _questions_module(chapter.package)
        if module is not None:
            found[chapter.name] = module
    return found


def questions() -> list[Question]:
    """Every question of every chapter, in the registry's order."""
    return [q for name, module in modules().items() for q in chapter_questions(module, name)]


# ----------------------------------------------------------------- numbers and windows


def _value(x: Any) -> Any:
    """A key number's value: a Quantity, a results.json record or a plain value."""
    if hasattr(x, "value") and not isinstance(x, (int, float, str)):
        return x.value
    if isinstance(x, Mapping):
        return x.get("value")
    return x


def _number(numbers: Mapping[str, Any], name: str | None) -> float | None:
    if not name or name not in numbers:
        return None
    value = _value(numbers[name])
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def day(value: Any) -> date:
    return pd.Timestamp(value).date()


def window_days(q: Question, numbers: Mapping[str, Any]) -> int | None:
    length = _number(numbers, q.window)
    if length is None:
        return None
    return int(round(length * (DAYS_PER_WEEK if q.window_unit == "weeks" else 1)))


def window_text(q: Question, numbers: Mapping[str, Any]) -> str:
    length = _number(numbers, q.window)
    if length is None:
        return "the window"
    n = int(round(length))
    unit = q.window_unit if n != 1 else q.window_unit[:-1]
    return f"{n} {unit}"


def week_of(as_of: date, when: date) -> int:
    """The week after the as-of date that holds `when` (week 1: days 1 to 7)."""
    return max(math.ceil((day(when) - day(as_of)).days / DAYS_PER_WEEK), 1)


# ----------------------------------------------------------------- forecasts


def forecast(q: Question, numbers: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the chapter forecast for the question, from its key numbers (None: no forecast)."""
    main = _number(numbers, q.forecast)
    low, high = _number(numbers, q.low), _number(numbers, q.high)
    interval = _number(numbers, q.interval) or DEFAULT_INTERVAL_PCT
    if q.kind == "binary":
        if main is None:
            return None
        return {"p": main, "low": low, "high": high, "interval_pct": interval}
    if q.kind == "count":
        if main is None or low is None or high is None:
            return None
        return {"median": main, "low": low, "high": high, "interval_pct": interval}
    p_event = _number(numbers, q.event_probability)
    if p_event is None:
        return None
    horizon = _number(numbers, q.window)
    weeks = horizon if q.window_unit == "weeks" else (horizon or 0) / DAYS_PER_WEEK
    return {
        "median": main,  # None: the event falls past the horizon in most draws
        "low": low,  # low/high: the interval of the week, among draws in which it happens
        "high": high,
        "p_event": p_event,
        "horizon_weeks": weeks,
        "interval_pct": interval,
    }


def _tail(f: Mapping[str, Any]) -> float:
    return (100.0 - float(f["interval_pct"])) / 200.0


def cdf_points(kind: str, f: Mapping[str, Any]) -> list[tuple[float, float]]:
    """(value, cumulative probability) through which the forecast's CDF is interpolated."""
    tail = _tail(f)
    if kind == "count":
        low, med, high = f["low"], f["median"], f["high"]
        below = max(low - max(med - low, 1.0), -1.0)
        above = high + max(high - med, 1.0)
        return [(below, 0.0), (low, tail), (med, 0.5), (high, 1.0 - tail), (above, 1.0)]
    if kind == "date":
        p, horizon = f["p_event"], f["horizon_weeks"]
        pts = [(0.0, 0.0)]
        if f["low"] is not None and f["high"] is not None:
            pts += [(f["low"], p * tail), (f["high"], p * (1.0 - tail))]
        if f["median"] is not None:
            pts.append((f["median"], 0.5))
        pts.append((horizon, p))
        pts.sort(key=lambda xy: xy[0])
        # quantiles of different draws may disagree slightly: keep the CDF non-decreasing
        out, top = [], 0.0
        for x, y in pts:
            top = min(max(top, y), p)
            out.append((x, top))
        return out
    raise ValueError(f"no CDF for a {kind} question")


def cdf(points: list[tuple[float, float]], x: float) -> float:
    """The CDF at x, interpolated between the points; where several points share x (a discrete
    value several quantiles fall on), the highest of them: P(X <= x)."""
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    if x < xs[0]:
        return 0.0
    if x >= xs[-1]:
        return float(ys[-1])
    tied = np.isclose(xs, x)
    if tied.any():
        return float(ys[tied].max())
    return float(np.interp(x, xs, ys))


def pit(points: list[tuple[float, float]], x: float) -> float:
    """The probability integral transform of a whole-number outcome (a count, a week): the
    middle of [P(X <= x - 1), P(X <= x)], the mid-PIT of a discrete forecast. Over many
    forecasts that were well calibrated the values spread evenly over 0 to 1."""
    return (cdf(points, x - 1.0) + cdf(points, x)) / 2.0


# ----------------------------------------------------------------- outcomes


@dataclass
class Resolution:
    """How one question resolved for one window."""

    status: str  # resolved | open (window not closed) | unresolved (closed, not resolved)
    source: str = ""  # outcomes (data/outcomes.csv) | record (the audited record itself)
    value: float | None = None  # coded outcome: 1/0 (binary, date: did it happen), or the count
    low: float | None = None  # the resolution the other way, where disputed
    high: float | None = None
    week: float | None = None  # date questions: the week it happened (None: not in the window)
    week_low: float | None = None
    week_high: float | None = None
    event_date: str | None = None
    event_date_low: str | None = None
    event_date_high: str | None = None
    description: str = ""
    evidence: str = ""
    dispute: str = ""
    source_ids: str = ""
    record_ids: str = ""
    known_from: str | None = None

    @property
    def disputed(self) -> bool:
        return self.low is not None and self.high is not None and self.low != self.high

    def alternatives(self) -> list[float]:
        """Outcomes other than the coded one that a disputed resolution allows."""
        if not self.disputed:
            return []
        return [v for v in (self.low, self.high) if v != self.value]

    def as_record(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v not in (None, "")}
        out["disputed"] = self.disputed
        return out


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return day(value).isoformat()


def _clean(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _midpoint(low: date, high: date) -> date:
    return low + timedelta(days=(high - low).days // 2)


def _weeks(as_of: date, lo: str | None, mid: str | None, hi: str | None) -> tuple:
    if lo is None and hi is None and mid is None:
        return None, None, None
    lo_d = day(lo or mid or hi)
    hi_d = day(hi or mid or lo)
    mid_d = day(mid) if mid else _midpoint(lo_d, hi_d)
    return week_of(as_of, mid_d), week_of(as_of, lo_d), week_of(as_of, hi_d)


def from_outcome_row(
    q: Question, row: Mapping[str, Any], as_of: date, window_end: date
) -> Resolution | None:
    """A resolution from a row of data/outcomes.csv, if it speaks to this window.

    A row resolves the window it names. A binary row that resolved yes also resolves any
    longer window, and one that resolved no any shorter one; a count row only its own window.
    """
    row_end = day(row["window_end"])
    value = float(row["outcome"])
    low = _clean(row.get("outcome_low"))
    high = _clean(row.get("outcome_high"))
    lo_d = _iso(row.get("event_date_low"))
    mid_d = _iso(row.get("event_date"))
    hi_d = _iso(row.get("event_date_high"))
    first = day(lo_d or mid_d or hi_d) if (lo_d or mid_d or hi_d) else None
    if q.kind == "count" and row_end != window_end:
        return None
    if q.kind != "count" and row_end != window_end:
        # a yes holds for any window that still holds the event, a no for any shorter window
        happened_inside = value >= 1 and first is not None and day(hi_d or mid_d) <= window_end
        nothing_through = value < 1 and row_end >= window_end
        if not (happened_inside or nothing_through):
            return None
    res = Resolution(
        status="resolved",
        source="outcomes",
        value=value,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        event_date=mid_d,
        event_date_low=lo_d,
        event_date_high=hi_d,
        description=str(_clean(row.get("description")) or ""),
        evidence=str(_clean(row.get("evidence")) or ""),
        dispute=str(_clean(row.get("dispute")) or ""),
        source_ids=str(_clean(row.get("source_ids")) or ""),
        record_ids=str(_clean(row.get("record_ids")) or ""),
        known_from=_iso(row.get("known_from")),
    )
    if res.low is None and res.high is None:
        res.low = res.high = value
    if q.kind == "date" and value >= 1:
        res.week, res.week_low, res.week_high = _weeks(as_of, lo_d, mid_d, hi_d)
    return res


def record_events(q: Question, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The question's events in the record: date_low, date_high (the same day when exact)."""
    frame = q.record.events(tables).copy()
    frame["date_low"] = pd.to_datetime(frame["date_low"])
    frame["date_high"] = pd.to_datetime(frame["date_high"]).fillna(frame["date_low"])
    if "id" not in frame.columns:
        frame["id"] = ""
    return frame.sort_values(["date_low", "date_high"], kind="stable").reset_index(drop=True)


def record_start(q: Question, tables: Mapping[str, pd.DataFrame]) -> date | None:
    start = q.record.start
    value = start(tables) if callable(start) else start
    return None if value is None else day(value)


def from_record(
    q: Question,
    tables: Mapping[str, pd.DataFrame],
    as_of: date,
    window_end: date,
) -> Resolution:
    """The resolution the audited record gives a window (the backtest's outcomes).

    An event counts in the window when its dates lie inside it; an event known only to a range
    of dates that crosses an edge of the window is disputed: coded by its middle day, and the
    other way kept. A window that ends after the record does is unresolved.
    """
    if q.record is None:
        return Resolution(status="unresolved")
    end = day(q.record.end)
    if window_end > end:
        return Resolution(status="unresolved")
    start = day(as_of) + timedelta(days=1)
    ev = record_events(q, tables)
    lo = ev["date_low"].dt.date
    hi = ev["date_high"].dt.date
    mid = [_midpoint(a, b) for a, b in zip(lo, hi, strict=True)]
    inside = (lo >= start) & (hi <= window_end)
    touches = (hi >= start) & (lo <= window_end) & ~inside
    by_mid = pd.Series([start <= m <= window_end for m in mid], index=ev.index, dtype=bool)
    ids = ";".join(str(i) for i in ev.loc[inside | touches, "id"] if i)
    res = Resolution(status="resolved", source="record", record_ids=ids)
    if q.kind == "count":
        res.value = float((inside | (touches & by_mid)).sum())
        res.low, res.high = float(inside.sum()), float((inside | touches).sum())
        return res
    if inside.any():
        res.value = res.low = res.high = 1.0
    elif touches.any():
        res.value = 1.0 if (touches & by_mid).any() else 0.0
        res.low, res.high = 0.0, 1.0
    else:
        res.value = res.low = res.high = 0.0
    if q.kind == "date" or res.value >= 1:
        candidates = ev[inside | touches]
        if not candidates.empty:
            first = candidates.iloc[0]
            a = max(first["date_low"].date(), start)
            b = min(first["date_high"].date(), window_end)
            res.event_date_low, res.event_date_high = a.isoformat(), b.isoformat()
            if a == b:
                res.event_date = a.isoformat()
            if q.kind == "date":
                res.week, res.week_low, res.week_high = _weeks(
                    as_of, res.event_date_low, res.event_date, res.event_date_high
                )
    return res


def resolve(
    q: Question,
    as_of: date,
    window_end: date,
    tables: Mapping[str, pd.DataFrame] | None,
    latest: date | None = None,
) -> Resolution:
    """data/outcomes.csv first, then the audited record, else open or unresolved."""
    as_of, window_end = day(as_of), day(window_end)
    if tables is not None and OUTCOMES in tables:
        rows = tables[OUTCOMES]
        mine = rows[(rows["question_id"] == q.id) & (rows["origin"] == pd.Timestamp(as_of))]
        for _, row in mine.iterrows():
            res = from_outcome_row(q, row, as_of, window_end)
            if res is not None:
                return res
    if tables is not None and q.record is not None:
        res = from_record(q, tables, as_of, window_end)
        if res.status == "resolved":
            return res
    closed = latest is None or window_end <= latest
    return Resolution(status="unresolved" if closed else "open")


# ----------------------------------------------------------------- the base rate alone


def climatology(
    q: Question, tables: Mapping[str, pd.DataFrame], as_of: date, length_days: int
) -> float | None:
    """The base rate alone: the share of all windows of this length inside the record public
    at the as-of date that held at least one event (one window starts every day), smoothed
    towards one half by a Jeffreys prior on the number of independent windows they hold.

    `tables` must be filtered to the as-of date (so no later event enters the base rate).
    Before any window of this length had closed in the record, the prior alone: one half."""
    if q.record is None:
        return None
    start = record_start(q, tables)
    if start is None:
        return JEFFREYS_MEAN
    as_of = day(as_of)
    first, last = pd.Timestamp(start), pd.Timestamp(as_of) - pd.Timedelta(days=length_days - 1)
    if last < first:
        return JEFFREYS_MEAN
    starts = pd.date_range(first, last, freq="D").to_numpy(dtype="datetime64[D]").astype(np.int64)
    ev = record_events(q, tables)
    mid = [
        _midpoint(a, b)
        for a, b in zip(ev["date_low"].dt.date, ev["date_high"].dt.date, strict=True)
    ]
    d = np.array([np.datetime64(m, "D").astype(np.int64) for m in mid], dtype=np.int64)
    if d.size:
        hit = ((d[None, :] >= starts[:, None]) & (d[None, :] < starts[:, None] + length_days)).any(
            axis=1
        )
        share = float(hit.mean())
    else:
        share = 0.0
    n = (len(starts) + length_days - 1) / length_days  # independent windows in the days covered
    return (share * n + 0.5) / (n + 1.0)


def count_climatology(
    q: Question, tables: Mapping[str, pd.DataFrame], as_of: date, length_days: int
) -> float | None:
    """The base rate alone of a count: events per window of this length in the record public
    at the as-of date (Jeffreys-smoothed: half an event added). None before any window."""
    if q.record is None:
        return None
    start = record_start(q, tables)
    if start is None:
        return None
    days = (day(as_of) - start).days + 1
    if days < length_days:
        return None
    ev = record_events(q, tables)
    inside = (ev["date_low"].dt.date >= start) & (ev["date_high"].dt.date <= day(as_of))
    return (float(inside.sum()) + 0.5) * length_days / days


# ----------------------------------------------------------------- scores


def brier(p: float, outcome: float) -> float:
    return (float(p) - float(outcome)) ** 2


def covered(low: float, high: float, x: float) -> bool:
    return bool(low <= x <= high)


def score(q: Question, f: Mapping[str, Any], res: Resolution, base: float | None) -> dict:
    """The scores of one resolved forecast, the coded way and the other way where disputed,
    beside the baselines."""
    out: dict[str, Any] = {}
    if res.status != "resolved" or f is None:
        return out
    if q.kind == "binary":
        out["brier"] = brier(f["p"], res.value)
        out["brier_half"] = brier(0.5, res.value)
        out["brier_other"] = [brier(f["p"], v) for v in res.alternatives()]
        if base is not None:
            out["brier_base"] = brier(base, res.value)
            out["brier_base_other"] = [brier(base, v) for v in res.alternatives()]
        out["miss"] = abs(f["p"] - res.value) > MISS_DISTANCE
        out["miss_other"] = [abs(f["p"] - v) > MISS_DISTANCE for v in res.alternatives()]
        return out
    if q.kind == "count":
        points = cdf_points("count", f)
        values = [res.value, *res.alternatives()]
        out["covered"] = covered(f["low"], f["high"], res.value)
        out["covered_other"] = [covered(f["low"], f["high"], v) for v in values[1:]]
        out["pit"] = pit(points, res.value)
        out["pit_other"] = [pit(points, v) for v in values[1:]]
        if base is not None:
            from scipy import stats

            tail = _tail(f)
            lo, hi = stats.poisson.ppf([tail, 1.0 - tail], base)
            out["base_low"], out["base_high"] = float(lo), float(hi)
            out["covered_base"] = covered(float(lo), float(hi), res.value)
        out["miss"] = not out["covered"]
        return out
    # date: in the window at week w, or past it
    points = cdf_points("date", f)

    def one(happened: float, week: float | None) -> tuple[bool | None, float]:
        if happened < 1 or week is None:
            return None, (f["p_event"] + 1.0) / 2.0  # past the horizon: the middle of the rest
        cov = None if f["low"] is None else covered(f["low"], f["high"], week)
        return cov, pit(points, week)

    out["covered"], out["pit"] = one(res.value, res.week)
    others = []
    for v in res.alternatives():
        others.append(one(v, res.week))
    if res.value >= 1 and res.week_low is not None and res.week_high != res.week_low:
        # the event's timing is known to a range of weeks: both ends
        others += [one(1.0, res.week_low), one(1.0, res.week_high)]
    out["covered_other"] = [c for c, _ in others]
    out["pit_other"] = [p for _, p in others]
    out["miss"] = out["covered"] is False or (out["covered"] is None and f["p_event"] > 0.5)
    return out


def totals(scored: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean Brier score of the binary forecasts and of the baselines, the Brier skill score
    against each, interval coverage of the counts and dates; the coded way, and with every
    disputed outcome resolved the other way."""
    binary = [s for s in scored if s["kind"] == "binary" and "brier" in s.get("score", {})]
    ranged = [s for s in scored if s["kind"] != "binary" and "pit" in s.get("score", {})]
    out: dict[str, Any] = {"n_binary": len(binary), "n_ranged": len(ranged)}
    if binary:
        bs = [s["score"]["brier"] for s in binary]
        other = [(s["score"]["brier_other"] or [s["score"]["brier"]])[0] for s in binary]
        half = [s["score"]["brier_half"] for s in binary]
        out["brier"] = float(np.mean(bs))
        out["brier_other"] = float(np.mean(other))
        out["brier_half"] = float(np.mean(half))
        out["skill_half"] = skill(out["brier"], out["brier_half"])
        with_base = [s for s in binary if "brier_base" in s["score"]]
        out["n_base"] = len(with_base)
        if with_base:
            mine = float(np.mean([s["score"]["brier"] for s in with_base]))
            base = float(np.mean([s["score"]["brier_base"] for s in with_base]))
            base_other = float(
                np.mean(
                    [
                        (s["score"]["brier_base_other"] or [s["score"]["brier_base"]])[0]
                        for s in with_base
                    ]
                )
            )
            mine_other = float(
                np.mean(
                    [(s["score"]["brier_other"] or [s["score"]["brier"]])[0] for s in with_base]
                )
            )
            out["brier_base"] = base
            out["brier_base_other"] = base_other
            out["skill_base"] = skill(mine, base)
            out["skill_base_other"] = skill(mine_other, base_other)
        out["n_disputed"] = sum(bool(s["score"]["brier_other"]) for s in binary)
        out["n_misses"] = sum(bool(s["score"]["miss"]) for s in binary)
    if ranged:
        cov = [s["score"]["covered"] for s in ranged if s["score"]["covered"] is not None]
        out["n_covered"] = int(sum(cov))
        out["n_coverable"] = len(cov)
        out["coverage"] = float(np.mean(cov)) if cov else None
        out["pit"] = [float(s["score"]["pit"]) for s in ranged]
    return out


def skill(score_: float, reference: float) -> float | None:
    """Brier skill score: 1 - BS / BS_reference (1 perfect, 0 no better than the reference)."""
    if reference <= 0:
        return None
    return 1.0 - score_ / reference


def reliability(pairs: Iterable[tuple[float, float]], bins: int = RELIABILITY_BINS) -> list[dict]:
    """Forecast probability against observed frequency, per bin of equal width, with counts."""
    pairs = list(pairs)
    out = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [(p, o) for p, o in pairs if lo <= p < hi or (i == bins - 1 and p == 1.0)]
        out.append(
            {
                "low": lo,
                "high": hi,
                "n": len(inside),
                "mean_forecast": float(np.mean([p for p, _ in inside])) if inside else None,
                "observed": float(np.mean([o for _, o in inside])) if inside else None,
            }
        )
    return out


# ----------------------------------------------------------------- the ledger of a build


def _chapter_numbers(numbers: Mapping[str, Any], chapter: str) -> Mapping[str, Any]:
    """A chapter's key numbers by short name, from {chapter: {name: q}} or {"c.name": q}."""
    if chapter in numbers and isinstance(numbers[chapter], Mapping):
        return numbers[chapter]
    prefix = f"{chapter}."
    return {k[len(prefix) :]: v for k, v in numbers.items() if k.startswith(prefix)}


def entry(
    q: Question,
    numbers: Mapping[str, Any],
    as_of: date,
    tables: Mapping[str, pd.DataFrame] | None = None,
    visible: Mapping[str, pd.DataFrame] | None = None,
    latest: date | None = None,
) -> dict[str, Any]:
    """One question of a build: wording, window, forecast; with `tables` (every row, later ones
    included) also its resolution, the base rate (from `visible`, the tables as of the as-of
    date) and its scores."""
    as_of = day(as_of)
    length = window_days(q, numbers)
    f = forecast(q, numbers)
    out: dict[str, Any] = {
        "id": q.id,
        "chapter": q.chapter,
        "kind": q.kind,
        "wording": q.wording.format(window=window_text(q, numbers)),
        "definition": q.definition,
        "phrase": q.phrase,
        "unit": q.unit,
        "as_of": as_of.isoformat(),
        "window_days": length,
        "window_start": (as_of + timedelta(days=1)).isoformat(),
        "window_end": None if length is None else (as_of + timedelta(days=length)).isoformat(),
        "keys": {k: f"{q.chapter}.{k}" for k in q.keys},
        "forecast": f,
    }
    if tables is None or length is None:
        return out
    end = as_of + timedelta(days=length)
    res = resolve(q, as_of, end, tables, latest)
    base = None
    if visible is not None:
        base = (count_climatology if q.kind == "count" else climatology)(q, visible, as_of, length)
    if q.kind == "date":
        base = None  # no base rate for a date: the record holds one exhaustion at most
    out["base_rate"] = base
    out["resolution"] = res.as_record()
    out["score"] = score(q, f, res, base) if f is not None else {}
    return out


def entries(
    numbers: Mapping[str, Any],
    as_of: date | str,
    tables: Mapping[str, pd.DataFrame] | None = None,
    latest: date | str | None = None,
    only: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The ledger of a build: every question of every chapter with its forecast, and with
    `tables` (all rows: data.validate_all()) its resolution, base rate and scores.

    `numbers`: the build's key numbers, {chapter: {name: Quantity}} or {"chapter.name": ...}.
    `latest`: the day the data are taken to reach; windows ending after it are open."""
    from deepstrike import data

    as_of = day(as_of)
    latest_day = day(latest) if latest is not None else _latest_day(tables)
    visible = None
    if tables is not None:
        # only the tables the questions' records read, as public at the as-of date
        described = data.resources()
        needed = {n for q in questions() if q.record for n in q.record.tables if n in tables}
        visible = {
            n: data.as_of_filter(tables[n], described[n], as_of) if n in described else tables[n]
            for n in needed
        }
    chosen = set(only) if only is not None else None
    out = []
    for q in questions():
        if chosen is not None and q.chapter not in chosen:
            continue
        own = _chapter_numbers(numbers, q.chapter)
        if not own:
            continue
        out.append(entry(q, own, as_of, tables, visible, latest_day))
    return out


def _latest_day(tables: Mapping[str, pd.DataFrame] | None) -> date | None:
    """The latest day the data reach: the latest publication date in the source registry."""
    from deepstrike import data

    if not tables or data.REGISTRY not in tables:
        return None
    return day(tables[data.REGISTRY]["published"].max())


# ----------------------------------------------------------------- the scorecard


def _pct(p: float) -> str:
    from deepstrike.language import percent

    return percent(p)


def _num(x: float | None, digits: int = 0) -> str:
    from deepstrike.language import number

    return "–" if x is None else number(x, digits)


def _long_date(value: str | None) -> str:
    return "" if not value else pd.Timestamp(value).strftime("%-d %B %Y")


def _weeks_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    a, b = _num(low), _num(high)
    return f"week {a}" if a == b else f"weeks {a}–{b}"


def estimate_text(e: Mapping[str, Any]) -> str:
    """The briefing's estimate as a reader saw it: ICD word and number, or the interval."""
    from deepstrike.language import estimative

    f = e["forecast"]
    if f is None:
        return "no forecast (the chapter recorded none for this date)"
    pct = _num(f["interval_pct"])
    if e["kind"] == "binary":
        return estimative(f["p"])
    if e["kind"] == "count":
        return f"median {_num(f['median'])}, {pct}% interval {_num(f['low'])}–{_num(f['high'])}"
    within = f"within the window: {estimative(f['p_event'])}"
    if f["median"] is not None:
        head = f"median week {_num(f['median'])}"
    else:
        head = "past the window in most draws"
    if f["low"] is None:
        return f"{head}; {within}"
    return f"{head}; {within}; {pct}% interval, if it happens: {_weeks_text(f['low'], f['high'])}"


def outcome_text(e: Mapping[str, Any]) -> str:
    r = e.get("resolution") or {}
    if r.get("status") != "resolved":
        return ""
    if e["kind"] == "count":
        text = f"{_num(r['value'])} {e['unit']}".strip()
        if r.get("disputed"):
            text += f" ({_num(r['low'])}–{_num(r['high'])} counting the disputed cases)"
        return text
    happened = r["value"] >= 1
    text = "yes" if happened else "no"
    if e["kind"] == "date" and happened:
        text = f"yes, {_weeks_text(r.get('week_low'), r.get('week_high'))}"
    if r.get("disputed"):
        text += " (disputed: " + ("no" if happened else "yes") + " the other way)"
    return text


def _event_when(r: Mapping[str, Any]) -> str:
    if r.get("event_date"):
        return _long_date(r["event_date"])
    lo, hi = r.get("event_date_low"), r.get("event_date_high")
    if lo and hi:
        return f"between {_long_date(lo)} and {_long_date(hi)}"
    return _long_date(lo or hi)


def _score_text(e: Mapping[str, Any]) -> tuple[str, str, str]:
    """(forecast's score, 50% baseline, base-rate baseline) as shown."""
    s = e.get("score") or {}
    if not s:
        return "", "", ""
    if e["kind"] == "binary":
        other = s.get("brier_other") or []
        mine = _num(s["brier"], 3) + (f" ({_num(other[0], 3)} the other way)" if other else "")
        half = _num(s["brier_half"], 3)
        base = ""
        if "brier_base" in s:
            bo = s.get("brier_base_other") or []
            base = f"{_num(s['brier_base'], 3)} (at {_pct(e['base_rate'])})"
            if bo:
                base += f"; {_num(bo[0], 3)} the other way"
        return mine, half, base
    cov = s.get("covered")
    words = "inside the interval" if cov else ("outside the interval" if cov is False else "")
    mine = f"{words}, PIT {_num(s['pit'], 2)}".lstrip(", ")
    if s.get("pit_other"):
        mine += " (" + ", ".join(_num(p, 2) for p in s["pit_other"]) + " the other ways)"
    base = ""
    if "base_low" in s:
        inside = "inside" if s["covered_base"] else "outside"
        base = f"{_num(s['base_low'])}–{_num(s['base_high'])} ({inside})"
    return mine, "", base


def miss_sentence(e: Mapping[str, Any]) -> str | None:
    """A named miss, from the data: what the chapter called, and what happened when."""
    s, r, f = e.get("score") or {}, e.get("resolution") or {}, e.get("forecast")
    if not s or not s.get("miss") or f is None:
        return None
    from deepstrike.language import estimative

    who = f"The {e['chapter']} chapter"
    what = r.get("description") or ""
    when = _event_when(r)
    after = ""
    first = r.get("event_date") or r.get("event_date_low")
    if first:
        days = (day(first) - day(e["as_of"])).days
        last = r.get("event_date") or r.get("event_date_high") or first
        span = (day(last) - day(e["as_of"])).days
        shown = f"{days}" if span == days else f"{days}–{span}"
        after = f", {shown} day{'s' if span != 1 else ''} after the as-of date"
    dispute = " The resolution is disputed; see the table." if r.get("disputed") else ""
    if e["kind"] == "binary":
        called = f"{who} called {e['phrase']} {estimative(f['p'])}"
        if r["value"] >= 1:
            happened = what or "it happened"
            return f"{called}; {happened} ({when}{after}).{dispute}"
        return (
            f"{called}; it did not happen in the window (to {_long_date(e['window_end'])})."
            f"{dispute}"
        )
    if e["kind"] == "count":
        return (
            f"{who} put {e['phrase']} at {_num(f['low'])}–{_num(f['high'])} "
            f"({_num(f['interval_pct'])}% interval); the outcome was {_num(r['value'])}."
            f"{dispute}"
        )
    if r["value"] >= 1:
        called = f"{who} gave {e['phrase']} within the window {estimative(f['p_event'])}"
        if f["low"] is not None:
            called += f", at {_weeks_text(f['low'], f['high'])} if it happened"
        return (
            f"{called}; {what or 'it happened'} "
            f"({_weeks_text(r.get('week_low'), r.get('week_high'))}, {when}).{dispute}"
        )
    return f"{who} expected {e['phrase']} within the window; it did not happen.{dispute}"


def scorecard(
    ledger_entries: list[dict[str, Any]],
    as_of: date | str,
    registry: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The template context of the scorecard: one row per question, totals, misses in prose,
    and the questions still open with the day they resolve."""
    from deepstrike import data

    by_id = data.registry_records(registry) if registry is not None else {}
    rows, misses, open_, unresolved = [], [], [], []
    for e in ledger_entries:
        r = e.get("resolution") or {}
        status = r.get("status", "open")
        if status == "open":
            open_.append({"wording": e["wording"], "resolves": _long_date(e["window_end"])})
        elif status == "unresolved":
            unresolved.append({"wording": e["wording"], "closed": _long_date(e["window_end"])})
        ids = [i for i in data.split_ids(r.get("source_ids", "")) if i in by_id]
        mine, half, base = _score_text(e)
        rows.append(
            {
                "id": e["id"],
                "chapter": e["chapter"],
                "kind": e["kind"],
                "wording": e["wording"],
                "definition": e["definition"],
                "window": f"{_long_date(e['window_start'])} – {_long_date(e['window_end'])}",
                "estimate": estimate_text(e),
                "status": status,
                "outcome": outcome_text(e),
                "when": _event_when(r) if status == "resolved" else "",
                "description": r.get("description", ""),
                "evidence": r.get("evidence", ""),
                "dispute": r.get("dispute", ""),
                "by_record": r.get("source") == "record",
                "record_ids": r.get("record_ids", ""),
                "sources": data.source_links(";".join(ids), by_id) if ids else [],
                "score": mine,
                "half": half,
                "base": base,
                "miss": bool((e.get("score") or {}).get("miss")),
            }
        )
        sentence = miss_sentence(e)
        if sentence:
            misses.append(sentence)
    t = totals(ledger_entries)
    return {
        "as_of": day(as_of).isoformat(),
        "rows": rows,
        "totals": t,
        "totals_text": totals_text(t),
        "misses": misses,
        "open": open_,
        "unresolved": unresolved,
        "n_resolved": sum(r["status"] == "resolved" for r in rows),
    }


def totals_text(t: Mapping[str, Any]) -> dict[str, str]:
    """The totals as the page shows them (three decimals for Brier scores)."""
    out = {k: str(t[k]) for k in ("n_binary", "n_ranged") if k in t}
    for k in ("brier", "brier_other", "brier_half", "brier_base", "brier_base_other"):
        if t.get(k) is not None:
            out[k] = _num(t[k], 3)
    for k in ("skill_half", "skill_base", "skill_base_other"):
        if t.get(k) is not None:
            out[k] = _num(t[k], 2)
    for k in ("n_base", "n_disputed", "n_misses", "n_covered", "n_coverable"):
        if k in t:
            out[k] = str(t[k])
    if t.get("coverage") is not None:
        out["coverage"] = f"{_num(100 * t['coverage'])}%"
    return out
