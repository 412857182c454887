"""What the public record says Ukraine received and fired: the starting stock and the firing
rate, reconstructed from the tables public at the as-of date, each with its range.

Deliveries: several reports of one delivery share a `batch` and count once; a batch's range
spans every report of it; 'more than N' (no high) is read as N to N x (1 + more_than_pct).
Launches: several reports of one attack share an `attack_id` and count once; an attack's range
spans every count published for it; an attack with no published count gets the parameters'
range. Launches never reported at all are missing from the record, so the stock it gives is an
upper bound on that side; deliveries announced without a number ("we will send more") are
missing too, which works the other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

DAYS_PER_WEEK = 7.0


@dataclass
class Record:
    """The delivery batches and attacks public at the as-of date, one row each."""

    batches: pd.DataFrame  # batch, variant, refers_to, low, high, open_high, reports, sources
    attacks: pd.DataFrame  # attack_id, date, target, region, variant, low, high, counted, ...
    as_of: date

    @property
    def first_use(self) -> pd.Timestamp | None:
        return None if self.attacks.empty else self.attacks["date"].min()

    @property
    def weeks_of_use(self) -> float | None:
        """Weeks from the first reported launch to the as-of date (at least one week)."""
        if self.first_use is None:
            return None
        days = (pd.Timestamp(self.as_of) - self.first_use).days
        return max(days / DAYS_PER_WEEK, 1.0)


def batches(supply: pd.DataFrame, more_than_pct: float) -> pd.DataFrame:
    """One row per reported delivery batch, its range spanning every report of it."""
    rows = supply[supply["quantity"] == "delivered_batch"].copy()
    columns = ["batch", "variant", "refers_to", "low", "high", "open_high", "reports", "ids"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["batch"] = rows["batch"].fillna(rows["estimate_id"])
    low = rows["value_low"].fillna(rows["value_central"]).fillna(0.0)
    open_high = rows["value_high"].isna()
    stated_high = rows["value_high"].fillna(rows["value_central"]).fillna(low)
    # 'More than N': N to N x (1 + more_than_pct); the share is a parameter, stated in prose.
    high = np.where(open_high, np.ceil(low * (1 + more_than_pct / 100)), stated_high)
    rows = rows.assign(low=low, high=high, open_high=open_high)
    out = (
        rows.groupby("batch", sort=False)
        .agg(
            variant=("variant", "first"),
            refers_to=("refers_to", "min"),
            low=("low", "min"),
            high=("high", "max"),
            open_high=("open_high", "any"),
            reports=("estimate_id", "size"),
            ids=("estimate_id", list),
        )
        .reset_index()
    )
    return out[columns].sort_values("refers_to", kind="stable").reset_index(drop=True)


def attacks(launches: pd.DataFrame, uncounted_low: int, uncounted_high: int) -> pd.DataFrame:
    """One row per attack, its count spanning every number published for it."""
    columns = [
        "attack_id",
        "date",
        "target",
        "region",
        "variant",
        "low",
        "high",
        "counted",
        "reports",
        "ids",
    ]
    if launches.empty:
        return pd.DataFrame(columns=columns)
    rows = launches.copy()
    rows["attack_id"] = rows["attack_id"].fillna(rows["event_id"])
    out = (
        rows.groupby("attack_id", sort=False)
        .agg(
            date=("date", "min"),
            target=("target", "first"),
            region=("region", "first"),
            variant=("variant", "first"),
            low=("launched", "min"),
            high=("launched", "max"),
            reports=("event_id", "size"),
            ids=("event_id", list),
        )
        .reset_index()
    )
    out["counted"] = out["low"].notna()
    out["low"] = out["low"].fillna(float(uncounted_low))
    out["high"] = out["high"].fillna(float(uncounted_high))
    return out[columns].sort_values("date", kind="stable").reset_index(drop=True)


def build(tables: dict[str, pd.DataFrame], as_of: date, params: object) -> Record:
    p = params
    return Record(
        batches=batches(tables["atacms_supply"], p.more_than_pct),
        attacks=attacks(tables["atacms_launches"], p.uncounted_attack_low, p.uncounted_attack_high),
        as_of=as_of,
    )


def _integers(u: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Whole numbers uniform between low and high (inclusive), one column per item."""
    return low + np.minimum(np.floor(u * (high - low + 1)), high - low)


@dataclass
class Draws:
    """Per-draw counts of the record: missiles per batch and per attack."""

    delivered: np.ndarray  # draws x batches
    launched: np.ndarray  # draws x attacks

    def stock_at(self, record: Record, when: date | pd.Timestamp) -> np.ndarray:
        """Delivered minus launched up to `when` (unclipped: negative means the record
        conflicts with itself)."""
        t = pd.Timestamp(when)
        b = (record.batches["refers_to"] <= t).to_numpy()
        a = (record.attacks["date"] <= t).to_numpy()
        return self.delivered[:, b].sum(axis=1) - self.launched[:, a].sum(axis=1)


def draw(record: Record, n: int, rng: np.random.Generator) -> Draws:
    """Uniform whole numbers within each batch's and each attack's range."""
    b, a = record.batches, record.attacks
    u_b, u_a = rng.random((n, len(b))), rng.random((n, len(a)))
    delivered = _integers(u_b, b["low"].to_numpy(float), b["high"].to_numpy(float))
    launched = _integers(u_a, a["low"].to_numpy(float), a["high"].to_numpy(float))
    return Draws(delivered=delivered, launched=launched)


def rate_bounds(record: Record, draws: Draws, window_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the long-run mean weekly rate (all launches over the weeks since the first)
    and the peak rate (most launches in any `window_weeks` window starting at an attack).

    The record prior is log-uniform between the two. Log-uniform, not lognormal: the record
    gives two bounds a factor of several apart and nothing about a centre, and a log-uniform
    spends equal weight on each doubling between them, where a lognormal would add tails
    beyond both that no launch record supports."""
    if record.attacks.empty:
        raise ValueError("no launch reported by the as-of date: no record to fit")
    total = draws.launched.sum(axis=1)
    mean = total / record.weeks_of_use
    dates = record.attacks["date"].to_numpy("datetime64[D]")
    ends = dates + np.timedelta64(7 * window_weeks, "D")
    inside = (dates[None, :] >= dates[:, None]) & (dates[None, :] < ends[:, None])
    window_totals = draws.launched @ inside.T.astype(float)
    peak = window_totals.max(axis=1) / min(window_weeks, record.weeks_of_use)
    return np.minimum(mean, peak), np.maximum(mean, peak)


def log_uniform(u: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """Log-uniform between low and high; uniform when the low end is zero."""
    low = np.broadcast_to(np.asarray(low, float), u.shape)
    high = np.broadcast_to(np.asarray(high, float), u.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    return np.where(low > 0, np.where(high > low, logged, low), low + u * (high - low))
