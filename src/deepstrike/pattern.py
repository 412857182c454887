"""The refuse-then-approve pattern: stage dates, delays between stages, and their uncertainty."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

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


def analyse(
    events: pd.DataFrame,
    systems: list[str],
    as_of: date | str,
    draws: int,
    seed: int,
    interval_pct: float,
    threshold_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stage dates, delay summary and refusal verdicts for the chosen systems."""
    present = [s for s in systems if s in set(events["system_id"])]
    stages = stage_dates(events, present)
    names = dict(zip(events["system_id"], events["system_name"], strict=False))
    samples = sample_stage_days(stages, present, draws, seed)
    summary = summarise(delay_samples(samples, as_of), present, names, interval_pct, threshold_days)
    verdicts = refusal_verdicts(summary, threshold_days).merge(
        refusal_basis(stages), on="system_id", how="left", validate="one_to_one"
    )
    return stages, summary, verdicts


def key_numbers(
    events: pd.DataFrame, stages: pd.DataFrame, summary: pd.DataFrame, verdicts: pd.DataFrame
) -> dict[str, object]:
    """The chapter's named results (recorded in results.json and used in its prose)."""

    def medians(delay: str) -> dict[str, float]:
        part = summary[summary["delay"] == delay]
        return dict(zip(part["system_id"], part["median_days"].round(1), strict=True))

    closed = verdicts[~verdicts["censored"]]
    longest = verdicts.iloc[0] if len(verdicts) else None
    shortest = closed.iloc[-1] if len(closed) else None
    across = summary.groupby("delay")["median_days"].median()
    return {
        "n_systems": int(stages["system_id"].nunique()),
        "n_events": len(events),
        "n_claims": int(events["claimed_by"].notna().sum()),
        "n_approximate_dates": int((events["date_low"] < events["date_high"]).sum()),
        "n_refused": len(verdicts),
        "n_refused_for_months": int(verdicts["lasted_months"].sum()),
        "refused_for_months": verdicts.loc[verdicts["lasted_months"], "system_name"].tolist(),
        "refused_briefly": verdicts.loc[~verdicts["lasted_months"], "system_name"].tolist(),
        "still_refused": verdicts.loc[verdicts["censored"], "system_name"].tolist(),
        "refusals_resting_on_claims": verdicts.loc[
            verdicts["refusal_claimed_by"] != "", "system_name"
        ].tolist(),
        "confidence": confidence(stages, verdicts["system_id"].tolist()),
        "longest_refusal_system": None if longest is None else longest["system_name"],
        "longest_refusal_days": None if longest is None else float(longest["median_days"]),
        "shortest_refusal_system": None if shortest is None else shortest["system_name"],
        "shortest_refusal_days": None if shortest is None else float(shortest["median_days"]),
        "refusal_days": medians("refusal_to_approval"),
        "request_to_approval_days": medians("request_to_approval"),
        "approval_to_delivery_days": medians("approval_to_delivery"),
        "delivery_to_first_use_days": medians("delivery_to_first_use"),
        "median_request_to_approval_days": float(across.get("request_to_approval", np.nan)),
        "median_approval_to_delivery_days": float(across.get("approval_to_delivery", np.nan)),
    }
