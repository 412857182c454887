"""Missile supply: weekly stock-flow Monte Carlo of Ukraine's ATACMS, and what it can reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepstrike import geo

WEEKS_PER_MONTH = 52 / 12
# z-score of the 95th percentile: low/high priors are read as 5th/95th percentiles.
Z95 = 1.6448536269514722


@dataclass(frozen=True)
class StockInputs:
    """Everything the stock-flow model needs; probabilities as (5th, 95th) percentile pairs."""

    initial_stock_low: int = 30
    initial_stock_high: int = 80
    deliveries_per_month_low: float = 0.0
    deliveries_per_month_high: float = 4.0
    package_size: int = 10
    firing_per_week: float = 5.0
    firing_policy: str = "salvo"
    salvo_size: int = 6
    loss_pct_per_month: float = 1.0
    reliability: tuple[float, float] = (0.85, 0.98)
    interception: tuple[float, float] = (0.08, 0.50)
    hit: tuple[float, float] = (0.70, 0.95)
    unit_cost_usd: tuple[float, float, float] = (1.0e6, 1.25e6, 1.5e6)
    horizon_weeks: int = 26

    def __post_init__(self) -> None:
        if self.initial_stock_low > self.initial_stock_high:
            raise ValueError("initial_stock_low must not exceed initial_stock_high")
        if self.deliveries_per_month_low > self.deliveries_per_month_high:
            raise ValueError("deliveries_per_month_low must not exceed deliveries_per_month_high")
        for name in ("reliability", "interception", "hit"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi < 1:
                raise ValueError(f"{name}: need 0 < low <= high < 1, got {lo}, {hi}")
        lo, mode, hi = self.unit_cost_usd
        if not 0 <= lo <= mode <= hi:
            raise ValueError("unit_cost_usd must be ordered low <= central <= high")
        if self.firing_policy not in {"steady", "salvo"}:
            raise ValueError("firing_policy must be 'steady' or 'salvo'")
        if self.package_size < 1 or self.salvo_size < 1 or self.horizon_weeks < 1:
            raise ValueError("package_size, salvo_size and horizon_weeks must be at least 1")


@dataclass
class StockRun:
    """Per-draw results; `stock[:, t]` is the stock at the start of week t (t = 0..horizon)."""

    stock: np.ndarray
    delivered: np.ndarray
    fired: np.ndarray
    lost: np.ndarray
    initial: np.ndarray
    depletion_week: np.ndarray  # first week (1-based) ending with no missiles; horizon+1 = never
    p_effective: np.ndarray
    hits: np.ndarray
    cost_usd: np.ndarray
    horizon_weeks: int

    @property
    def draws(self) -> int:
        return len(self.initial)

    @property
    def lasts_past_horizon(self) -> np.ndarray:
        return self.depletion_week > self.horizon_weeks


def logit_normal(z: np.ndarray, low: float, high: float) -> np.ndarray:
    """Probabilities whose 5th and 95th percentiles are `low` and `high` (logit-normal)."""
    a, b = np.log(low / (1 - low)), np.log(high / (1 - high))
    mu, sd = (a + b) / 2, (b - a) / (2 * Z95)
    return 1 / (1 + np.exp(-(mu + sd * z)))


def _triangular(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution (degenerate when low == high)."""
    if high <= low:
        return np.full_like(u, low, dtype=float)
    cut = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
    return np.where(u < cut, left, right)


def simulate(inputs: StockInputs, draws: int, seed: int) -> StockRun:
    """Weekly stock-flow: stock' = stock + delivered - fired - lost, never below zero.

    Common random numbers: every input enters through its own uniform draws, so two runs with
    the same seed differ only by the inputs changed. Deliveries, losses and firing are monotone
    in those inputs, so more deliveries can never make the stock run out sooner.
    """
    n, weeks = int(draws), int(inputs.horizon_weeks)
    rng = np.random.default_rng(seed)
    u_stock, u_rate, u_fire_phase, u_cost = rng.random((4, n))
    u_loss, u_salvo, u_deliver = rng.random((3, weeks, n))
    z_rel, z_int, z_hit = rng.standard_normal((3, n))

    lo, hi = inputs.initial_stock_low, inputs.initial_stock_high
    initial = np.minimum(lo + np.floor(u_stock * (hi - lo + 1)), hi).astype(np.int64)
    monthly = inputs.deliveries_per_month_low + u_rate * (
        inputs.deliveries_per_month_high - inputs.deliveries_per_month_low
    )
    packages_per_week = monthly / WEEKS_PER_MONTH / inputs.package_size
    weekly_loss = 1 - (1 - inputs.loss_pct_per_month / 100) ** (1 / WEEKS_PER_MONTH)
    salvos_per_week = inputs.firing_per_week / inputs.salvo_size

    stock = np.empty((n, weeks + 1), dtype=np.int64)
    stock[:, 0] = initial
    delivered = np.zeros(n, dtype=np.int64)
    fired = np.zeros(n, dtype=np.int64)
    lost = np.zeros(n, dtype=np.int64)
    depletion = np.full(n, weeks + 1, dtype=np.int64)
    s = initial.copy()
    for t in range(1, weeks + 1):
        # Losses before launch: a share of the stock, stochastically rounded.
        x = np.minimum(np.floor(s * weekly_loss + u_loss[t - 1]).astype(np.int64), s)
        s = s - x
        if inputs.firing_policy == "steady":
            demand = np.floor(inputs.firing_per_week * t + u_fire_phase) - np.floor(
                inputs.firing_per_week * (t - 1) + u_fire_phase
            )
        else:
            whole, frac = np.floor(salvos_per_week), salvos_per_week % 1
            demand = inputs.salvo_size * (whole + (u_salvo[t - 1] < frac))
        f = np.minimum(s, demand.astype(np.int64))
        s = s - f
        depletion = np.where((s == 0) & (depletion > weeks), t, depletion)
        # Whole packages arrive at the end of the week: packages_per_week on average, rounded
        # up or down at random; the weekly count only grows with the rate (no reordering).
        arrived = np.floor(packages_per_week + u_deliver[t - 1])
        d = (arrived * inputs.package_size).astype(np.int64)
        s = s + d
        stock[:, t] = s
        delivered += d
        fired += f
        lost += x

    p_eff = (
        logit_normal(z_rel, *inputs.reliability)
        * (1 - logit_normal(z_int, *inputs.interception))
        * logit_normal(z_hit, *inputs.hit)
    )
    # Drawn last, so the stock path above does not depend on how hits are drawn.
    hits = rng.binomial(fired, p_eff)
    cost = fired * _triangular(u_cost, *inputs.unit_cost_usd)
    return StockRun(
        stock=stock,
        delivered=delivered,
        fired=fired,
        lost=lost,
        initial=initial,
        depletion_week=depletion,
        p_effective=p_eff,
        hits=hits,
        cost_usd=cost,
        horizon_weeks=weeks,
    )


def run_model(draws: int = 100_000, seed: int = 20241118, **overrides: Any) -> StockRun:
    """The whole Monte Carlo from defaults (plus overrides): used by `make bench`."""
    return simulate(StockInputs(**overrides), draws, seed)


def quantiles(values: np.ndarray, interval_pct: float) -> tuple[float, float, float]:
    """(low, median, high) of the central `interval_pct` interval."""
    tail = (100 - interval_pct) / 2
    lo, mid, hi = np.percentile(values, [tail, 50, 100 - tail])
    return float(lo), float(mid), float(hi)


def fan(run: StockRun, interval_pct: float) -> pd.DataFrame:
    """Stock quantiles per week: the outer interval, the 50% interval and the median."""
    tail = (100 - interval_pct) / 2
    q = np.percentile(run.stock, [tail, 25, 50, 75, 100 - tail], axis=0)
    return pd.DataFrame(
        {
            "week": np.arange(run.horizon_weeks + 1),
            "low": q[0],
            "q25": q[1],
            "median": q[2],
            "q75": q[3],
            "high": q[4],
            "mean": run.stock.mean(axis=0),
        }
    )


def depletion_distribution(run: StockRun) -> pd.DataFrame:
    """Share of draws whose stock first runs out in each week; week horizon+1 means 'not within'."""
    counts = np.bincount(run.depletion_week, minlength=run.horizon_weeks + 2)[1:]
    weeks = np.arange(1, run.horizon_weeks + 2)
    return pd.DataFrame(
        {"week": weeks, "share": counts / run.draws, "beyond": weeks > run.horizon_weeks}
    )


def summary(run: StockRun, interval_pct: float) -> dict[str, Any]:
    """Key numbers of a run: medians and intervals of stock, depletion, hits and cost."""
    out: dict[str, Any] = {"draws": run.draws, "horizon_weeks": run.horizon_weeks}
    out["p_lasts_past_horizon"] = float(run.lasts_past_horizon.mean())
    depleted = run.depletion_week[~run.lasts_past_horizon]
    out["depletion_week_median"] = (
        float(np.median(run.depletion_week)) if out["p_lasts_past_horizon"] < 0.5 else None
    )
    out["depletion_week_low"], _, out["depletion_week_high"] = (
        quantiles(depleted, interval_pct) if depleted.size else (None, None, None)
    )
    for name, values in (
        ("initial", run.initial),
        ("delivered", run.delivered),
        ("fired", run.fired),
        ("hits", run.hits),
        ("p_effective", run.p_effective),
        ("cost_usd", run.cost_usd),
        ("final_stock", run.stock[:, -1]),
    ):
        lo, mid, hi = quantiles(values, interval_pct)
        out[f"{name}_low"], out[f"{name}_median"], out[f"{name}_high"] = lo, mid, hi
    expected_hits = run.fired * run.p_effective
    with np.errstate(divide="ignore", invalid="ignore"):
        per_hit = np.where(expected_hits > 0, run.cost_usd / expected_hits, np.inf)
    lo, mid, hi = quantiles(per_hit[np.isfinite(per_hit)], interval_pct)
    out["cost_per_hit_usd_low"], out["cost_per_hit_usd_median"], out["cost_per_hit_usd_high"] = (
        lo,
        mid,
        hi,
    )
    return out


# ---- reach -------------------------------------------------------------------------------


def launch_line(
    front: pd.DataFrame, line_id: str = "ua_held_edge"
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the latest version of the line in `front` (already filtered by as-of date)."""
    part = front[front["line_id"] == line_id]
    if part.empty:
        raise ValueError(f"no vertices for line {line_id!r} on or before the as-of date")
    latest = part[part["valid_from"] == part["valid_from"].max()].sort_values("seq")
    return latest["lat"].to_numpy(float), latest["lon"].to_numpy(float)


def reach(
    targets: pd.DataFrame,
    line: tuple[np.ndarray, np.ndarray],
    standoff_km: float,
    ranges_km: dict[str, float],
) -> pd.DataFrame:
    """Targets with their distance from launch positions (line + standoff) and in-range flags."""
    out = targets.copy()
    to_line = geo.distance_to_line_km(out["lat"], out["lon"], *line)
    out["line_distance_km"] = to_line
    out["launch_distance_km"] = to_line + standoff_km
    for name, km in ranges_km.items():
        out[f"in_{name}"] = out["launch_distance_km"] <= km
    return out


def counts_in_range(reached: pd.DataFrame, ranges_km: dict[str, float]) -> pd.DataFrame:
    """Targets within each range, by target type, plus a total row."""
    rows = []
    for kind, part in reached.groupby("target_type"):
        rows.append({"target_type": kind, **{n: int(part[f"in_{n}"].sum()) for n in ranges_km}})
    rows.append({"target_type": "all", **{n: int(reached[f"in_{n}"].sum()) for n in ranges_km}})
    return pd.DataFrame(rows)


def relocation(n_in_range: int, n_total: int, relocated_beyond_pct: float) -> dict[str, float]:
    """Share of the strike fleet within range before and after the reported relocation.

    Before: aircraft spread evenly over the airbases, so the share in range is the share of
    bases in range. After: the reported share of aircraft sits beyond the range.
    """
    before = 100 * n_in_range / n_total if n_total else 0.0
    after = min(before, 100 - relocated_beyond_pct)
    return {"fleet_in_range_before_pct": before, "fleet_in_range_after_pct": after}
