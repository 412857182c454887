"""The refuse-then-approve pattern: stage dates, delays between stages, and their uncertainty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from deepstrike.language import Quantity

STAGES = ("request", "refusal", "approval", "delivery", "first_use")
DELAYS = {
    "request_to_approval": ("request", "approval"),
    "refusal_to_approval": ("refusal", "approval"),
    "approval_to_delivery": ("approval", "delivery"),
    "delivery_to_first_use": ("delivery", "first_use"),
}
DELAY_LABELS = {
    "request_to_approval": "request → approval",
    "refusal_to_approval": "refusal → approval",
    "approval_to_delivery": "approval → delivery",
    "delivery_to_first_use": "delivery → first use",
}
# Delays that end in an approval keep running while no approval has come (right-censored):
# a refusal still in force on the as-of date lasted at least until that date.
CENSORABLE = ("request_to_approval", "refusal_to_approval")
_EPOCH = np.datetime64("1970-01-01", "D")


def stage_dates(events: pd.DataFrame, systems: list[str]) -> pd.DataFrame:
    """The earliest event of each stage per system: one row per (system, stage) present."""
    unknown = sorted(set(systems) - set(events["system_id"]))
    if unknown:
        raise ValueError(f"systems not in the events table: {', '.join(unknown)}")
    chosen = events[events["system_id"].isin(systems)]
    first = (
        chosen.sort_values(["system_id", "event_type", "date_central", "date_low"])
        .groupby(["system_id", "event_type"], as_index=False)
        .first()
    )
    first["stage_order"] = first["event_type"].map({s: i for i, s in enumerate(STAGES)})
    order = {s: i for i, s in enumerate(systems)}
    first["system_order"] = first["system_id"].map(order)
    return first.sort_values(["system_order", "stage_order"]).reset_index(drop=True)


def _days(values: pd.Series) -> np.ndarray:
    return (values.to_numpy(dtype="datetime64[D]") - _EPOCH).astype(np.int64)


def sample_stage_days(
    stages: pd.DataFrame, systems: list[str], draws: int, seed: int
) -> np.ndarray:
    """Draw each stage date uniformly within [date_low, date_high].

    Returns days since 1970 with shape (systems, stages, draws); NaN where a stage is absent.
    Draws are made chronological along the stage order (a delivery cannot precede its
    approval), so overlapping approximate dates never give negative delays.
    """
    rng = np.random.default_rng(seed)
    n_sys, n_stage = len(systems), len(STAGES)
    low = np.zeros((n_sys, n_stage), dtype=np.int64)
    high = np.zeros((n_sys, n_stage), dtype=np.int64)
    present = np.zeros((n_sys, n_stage), dtype=bool)
    rows = stages["system_id"].map({s: i for i, s in enumerate(systems)}).to_numpy()
    cols = stages["stage_order"].to_numpy()
    low[rows, cols] = _days(stages["date_low"])
    high[rows, cols] = _days(stages["date_high"])
    present[rows, cols] = True
    draws_ = rng.integers(low[..., None], high[..., None] + 1, size=(n_sys, n_stage, draws))
    samples = np.where(present[..., None], draws_.astype(float), np.nan)
    running = np.fmax.accumulate(samples, axis=1)
    return np.where(present[..., None], running, np.nan)


def delay_samples(
    samples: np.ndarray, as_of: date | str
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per delay: (days with shape (systems, draws), censored flag per system)."""
    as_of_day = float((np.datetime64(str(as_of)[:10], "D") - _EPOCH).astype(np.int64))
    out = {}
    for name, (start, end) in DELAYS.items():
        a = samples[:, STAGES.index(start), :]
        b = samples[:, STAGES.index(end), :]
        censored = np.zeros(samples.shape[0], dtype=bool)
        if name in CENSORABLE:
            censored = ~np.isnan(a[:, 0]) & np.isnan(b[:, 0])
            b = np.where(censored[:, None], as_of_day, b)
        out[name] = (b - a, censored)
    return out


def summarise(
    delays: dict[str, tuple[np.ndarray, np.ndarray]],
    systems: list[str],
    names: dict[str, str],
    interval_pct: float,
    threshold_days: int,
) -> pd.DataFrame:
    """Median, interval and P(delay >= threshold) per system and delay; rows only where known."""
    tail = (100.0 - interval_pct) / 2.0
    rows = []
    for name, (values, censored) in delays.items():
        known = ~np.isnan(values[:, 0])
        if not known.any():
            continue
        v = values[known]
        med = np.median(v, axis=1)
        lo, hi = np.percentile(v, [tail, 100.0 - tail], axis=1)
        p_long = (v >= threshold_days).mean(axis=1)
        for i, sys_idx in enumerate(np.flatnonzero(known)):
            rows.append(
                {
                    "system_id": systems[sys_idx],
                    "system_name": names[systems[sys_idx]],
                    "delay": name,
                    "median_days": float(med[i]),
                    "low_days": float(lo[i]),
                    "high_days": float(hi[i]),
                    "p_at_least_threshold": float(p_long[i]),
                    "censored": bool(censored[sys_idx]),
                }
            )
    return pd.DataFrame(rows)


def refusal_verdicts(summary: pd.DataFrame, threshold_days: int) -> pd.DataFrame:
    """Did the refusal last 'months'? Holds when most draws put it at or above the threshold."""
    refusals = summary[summary["delay"] == "refusal_to_approval"].copy()
    refusals["lasted_months"] = refusals["p_at_least_threshold"] >= 0.5
    refusals["threshold_days"] = threshold_days
    return refusals.sort_values("median_days", ascending=False).reset_index(drop=True)


def refusal_basis(stages: pd.DataFrame) -> pd.DataFrame:
    """How firm each first refusal date is: a party's claim, and whether only the month is known."""
    refusals = stages[stages["event_type"] == "refusal"]
    spread = (refusals["date_high"] - refusals["date_low"]).dt.days
    claim = refusals["claimed_by"].fillna("")
    return pd.DataFrame(
        {
            "system_id": refusals["system_id"].to_numpy(),
            "refusal_claimed_by": claim.to_numpy(),
            "refusal_date_spread_days": spread.to_numpy(),
        }
    )


def confidence(stages: pd.DataFrame, systems: list[str]) -> str:
    """Confidence in the verdicts: never high, since the systems are a selection of debated cases.

    Moderate when most refusal and approval dates are exact public statements; low when most
    rest on a party's claim or are known only to the month or week.
    """
    firm = stages[stages["system_id"].isin(systems)]
    firm = firm[firm["event_type"].isin(["refusal", "approval"])]
    if firm.empty:
        return "low"
    weak = firm["claimed_by"].notna() | ((firm["date_high"] - firm["date_low"]).dt.days > 7)
    return "low" if weak.mean() > 0.5 else "moderate"


@dataclass
class PatternResult:
    events: pd.DataFrame
    systems: list[str]
    stages: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    threshold_days: int
    interval_pct: float


def analyse(
    params: Any, tables: dict[str, pd.DataFrame], as_of: date | str, seed: int
) -> PatternResult:
    """Stage dates, delay summary and refusal verdicts for the chosen systems."""
    events = tables["pattern_events"]
    events = events[events["system_id"].isin(params.systems)].reset_index(drop=True)
    present = [s for s in params.systems if s in set(events["system_id"])]
    stages = stage_dates(events, present)
    names = dict(zip(events["system_id"], events["system_name"], strict=False))
    samples = sample_stage_days(stages, present, params.draws, seed)
    summary = summarise(
        delay_samples(samples, as_of),
        present,
        names,
        params.interval_pct,
        params.months_threshold_days,
    )
    verdicts = refusal_verdicts(summary, params.months_threshold_days).merge(
        refusal_basis(stages), on="system_id", how="left", validate="one_to_one"
    )
    return PatternResult(
        events,
        present,
        stages,
        summary,
        verdicts,
        params.months_threshold_days,
        params.interval_pct,
    )


def key_numbers(r: PatternResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    verdicts, summary, stages, events = r.verdicts, r.summary, r.stages, r.events

    def medians(delay: str) -> dict[str, float]:
        part = summary[summary["delay"] == delay]
        return dict(zip(part["system_id"], part["median_days"].round(1), strict=True))

    closed = verdicts[~verdicts["censored"]]
    longest = verdicts.iloc[0] if len(verdicts) else None
    shortest = closed.iloc[-1] if len(closed) else None
    across = summary.groupby("delay")["median_days"].median()
    n_long = int(verdicts["lasted_months"].sum()) if len(verdicts) else 0

    def names(mask: pd.Series) -> list[str]:
        return verdicts.loc[mask, "system_name"].tolist()

    def finite(x: float) -> float | None:
        return None if x is None or not np.isfinite(x) else float(x)

    long_days = None if longest is None else float(longest["median_days"])
    return {
        "n_systems": Quantity(
            int(stages["system_id"].nunique()),
            "systems",
            "systems and permissions compared",
            "count",
        ),
        "n_events": Quantity(len(events), "events", "dated events", "count"),
        "n_claims": Quantity(
            int(events["claimed_by"].notna().sum()),
            "events",
            "events resting on a party's claim",
            "count",
        ),
        "n_approximate_dates": Quantity(
            int((events["date_low"] < events["date_high"]).sum()),
            "events",
            "events dated only approximately",
            "count",
        ),
        "n_refused": Quantity(
            len(verdicts), "decisions", "decisions with a dated public refusal", "count"
        ),
        "n_refused_for_months": Quantity(
            n_long, "decisions", "refusals that lasted at least the threshold", "count"
        ),
        "n_refused_briefly": Quantity(
            len(verdicts) - n_long, "decisions", "refusals shorter than the threshold", "count"
        ),
        "threshold_days": Quantity(
            r.threshold_days, "days", "a refusal lasting this long counts as months", "days"
        ),
        "interval_pct": Quantity(r.interval_pct, "%", "width of the intervals shown", "number"),
        "refused_for_months": Quantity(
            names(verdicts["lasted_months"]), "", "refused for the threshold or longer", "names"
        ),
        "refused_briefly": Quantity(
            names(~verdicts["lasted_months"]), "", "approved sooner", "names"
        ),
        "still_refused": Quantity(
            names(verdicts["censored"]), "", "not approved by the as-of date", "names"
        ),
        "refusals_resting_on_claims": Quantity(
            names(verdicts["refusal_claimed_by"] != ""),
            "",
            "first refusal dated by a party's claim",
            "names",
        ),
        "confidence": Quantity(
            confidence(stages, verdicts["system_id"].tolist()),
            "",
            "confidence in the verdicts",
            "text",
        ),
        "longest_refusal_system": Quantity(
            None if longest is None else longest["system_name"], "", "longest refusal", "text"
        ),
        "longest_refusal_days": Quantity(long_days, "days", "longest refusal, median", "days"),
        "longest_refusal_months": Quantity(
            None if long_days is None else long_days / 30.44,
            "months",
            "longest refusal, median",
            "number",
        ),
        "longest_still_running": Quantity(
            bool(longest is not None and bool(longest["censored"])),
            "",
            "the longest refusal was still running",
            "flag",
        ),
        "shortest_refusal_system": Quantity(
            None if shortest is None else shortest["system_name"],
            "",
            "shortest completed refusal",
            "text",
        ),
        "shortest_refusal_days": Quantity(
            None if shortest is None else float(shortest["median_days"]),
            "days",
            "shortest completed refusal, median",
            "days",
        ),
        "refusal_days": Quantity(
            medians("refusal_to_approval"), "days", "refusal to approval per system, median", "text"
        ),
        "request_to_approval_days": Quantity(
            medians("request_to_approval"), "days", "request to approval per system, median", "text"
        ),
        "approval_to_delivery_days": Quantity(
            medians("approval_to_delivery"),
            "days",
            "approval to delivery per system, median",
            "text",
        ),
        "delivery_to_first_use_days": Quantity(
            medians("delivery_to_first_use"),
            "days",
            "delivery to first use per system, median",
            "text",
        ),
        "median_request_to_approval_days": Quantity(
            finite(across.get("request_to_approval", np.nan)),
            "days",
            "request to approval, median across systems",
            "days",
        ),
        "median_approval_to_delivery_days": Quantity(
            finite(across.get("approval_to_delivery", np.nan)),
            "days",
            "approval to delivery, median across systems",
            "days",
        ),
    }
