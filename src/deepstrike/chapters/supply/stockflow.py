"""Weekly stock-flow Monte Carlo of Ukraine's ATACMS: stock' = stock + delivered - fired - lost.

The starting stock and the weekly firing rate are inputs per draw (from the record, or from the
stated priors); deliveries, losses, reliability, interception and hits are drawn here. Common
random numbers: every input enters through its own uniform draws, so two runs with the same
seed differ only by the inputs changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepstrike.chapters.supply.params import SupplyParams
from deepstrike.chapters.supply.record import log_uniform

WEEKS_PER_MONTH = 52 / 12
# z-score of the 95th percentile: low/high priors are read as 5th/95th percentiles.
Z95 = 1.6448536269514722
PRIOR_COVERAGE = 0.90  # share of a probability prior between its low and high parameters
GRID_QUANTILES = (5, 25, 50, 75, 95)  # rows and columns of the two-way table
GRID_DRAWS = 400  # draws per cell of the two-way table
SWING_QUANTILE = 0.2  # an input's swing: its top fifth of draws against its bottom fifth


@dataclass
class StockRun:
    """Per-draw results; `stock[:, t]` is the stock at the start of week t (t = 0..horizon)."""

    stock: np.ndarray
    delivered: np.ndarray
    fired: np.ndarray
    lost: np.ndarray
    initial: np.ndarray
    rate: np.ndarray  # missiles per week Ukraine would fire while it has them
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

    @property
    def p_runs_out(self) -> float:
        return float(1 - self.lasts_past_horizon.mean())


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


def stated_stock(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whole numbers uniform between the stated low and high."""
    return np.minimum(low + np.floor(u * (high - low + 1)), high).astype(np.int64)


def simulate(
    params: SupplyParams,
    unit_cost_usd: tuple[float, float, float],
    seed: int,
    initial: np.ndarray | None = None,
    rate: np.ndarray | None = None,
) -> StockRun:
    """Weekly stock-flow, never below zero; `initial` and `rate` per draw, or from the stated
    priors when not given.

    salvo: whole salvos of `salvo_size`, at the drawn rate on average, until the stock is gone.
    rationing: the drawn rate spread evenly over the weeks, but never more in a week than the
    stock on hand divided by `ration_weeks`, so the pace falls as the stock does.
    Deliveries, losses and firing are monotone in the stock, so more deliveries can never make
    the stock run out sooner.
    """
    p = params
    n, weeks = int(p.draws), int(p.horizon_weeks)
    rng = np.random.default_rng(seed)
    u_stock, u_rate, u_fire_phase, u_cost, u_supply = rng.random((5, n))
    u_loss, u_salvo, u_deliver = rng.random((3, weeks, n))
    z_rel, z_int, z_hit = rng.standard_normal((3, n))

    if initial is None:
        initial = stated_stock(u_stock, p.initial_stock_low, p.initial_stock_high)
    initial = np.maximum(np.asarray(initial), 0).astype(np.int64)
    if rate is None:
        rate = log_uniform(u_rate, p.firing_per_week_low, p.firing_per_week_high)
    rate = np.broadcast_to(np.asarray(rate, float), (n,))
    if initial.shape != (n,):
        raise ValueError(f"initial stock has {initial.shape[0]} draws, expected {n}")

    monthly = p.deliveries_per_month_low + u_supply * (
        p.deliveries_per_month_high - p.deliveries_per_month_low
    )
    packages_per_week = monthly / WEEKS_PER_MONTH / p.package_size
    weekly_loss = 1 - (1 - p.loss_pct_per_month / 100) ** (1 / WEEKS_PER_MONTH)
    salvos_per_week = rate / p.salvo_size

    # Whole numbers held as floats (exact far beyond any stock here): no casts in the loop.
    # One row per week, so each week's write is contiguous; `stock` is returned draws x weeks.
    path = np.empty((weeks + 1, n))
    path[0] = initial
    delivered, fired, lost = np.zeros(n), np.zeros(n), np.zeros(n)
    depletion = np.full(n, weeks + 1, dtype=np.int64)
    whole, frac = np.floor(salvos_per_week), salvos_per_week % 1
    s = initial.astype(float)
    for t in range(1, weeks + 1):
        # Losses before launch: a share of the stock, stochastically rounded.
        x = np.minimum(np.floor(s * weekly_loss + u_loss[t - 1]), s)
        s = s - x
        if p.firing_policy == "rationing":
            steady = np.floor(rate * t + u_fire_phase) - np.floor(rate * (t - 1) + u_fire_phase)
            demand = np.minimum(steady, np.ceil(s / p.ration_weeks))
        else:
            demand = p.salvo_size * (whole + (u_salvo[t - 1] < frac))
        f = np.minimum(s, demand)
        s = s - f
        depletion[(s == 0) & (depletion > weeks)] = t
        # Whole packages arrive at the end of the week: packages_per_week on average, rounded
        # up or down at random; the weekly count only grows with the rate (no reordering).
        d = np.floor(packages_per_week + u_deliver[t - 1]) * p.package_size
        s = s + d
        path[t] = s
        delivered += d
        fired += f
        lost += x
    stock = path.T.astype(np.int64)
    delivered, fired, lost = (v.astype(np.int64) for v in (delivered, fired, lost))

    p_eff = (
        logit_normal(z_rel, p.reliability_low, p.reliability_high)
        * (1 - logit_normal(z_int, p.interception_low, p.interception_high))
        * logit_normal(z_hit, p.hit_low, p.hit_high)
    )
    # Drawn last, so the stock path above does not depend on how hits are drawn.
    hits = rng.binomial(fired, p_eff)
    cost = fired * _triangular(u_cost, *unit_cost_usd)
    return StockRun(
        stock=stock,
        delivered=delivered,
        fired=fired,
        lost=lost,
        initial=initial,
        rate=np.array(rate),
        depletion_week=depletion,
        p_effective=p_eff,
        hits=hits,
        cost_usd=cost,
        horizon_weeks=weeks,
    )


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


def median_depletion_week(run: StockRun) -> float | None:
    """The median week the stock runs out, None when most draws last the horizon."""
    return float(np.median(run.depletion_week)) if run.p_runs_out > 0.5 else None


def summary(run: StockRun, interval_pct: float) -> dict[str, Any]:
    """Medians and intervals of stock, rate, depletion, hits and cost over the draws of a run."""
    out: dict[str, Any] = {"draws": run.draws, "horizon_weeks": run.horizon_weeks}
    out["p_lasts_past_horizon"] = float(run.lasts_past_horizon.mean())
    depleted = run.depletion_week[~run.lasts_past_horizon]
    out["depletion_week_median"] = median_depletion_week(run)
    out["depletion_week_low"], _, out["depletion_week_high"] = (
        quantiles(depleted, interval_pct) if depleted.size else (None, None, None)
    )
    for name, values in (
        ("initial", run.initial),
        ("rate", run.rate),
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
    finite = per_hit[np.isfinite(per_hit)]
    lo, mid, hi = quantiles(finite, interval_pct) if finite.size else (None, None, None)
    out["cost_per_hit_usd_low"], out["cost_per_hit_usd_median"] = lo, mid
    out["cost_per_hit_usd_high"] = hi
    return out


def swing(run: StockRun, values: np.ndarray) -> float:
    """How far the chance of running out within the horizon moves between the draws with the
    top fifth and those with the bottom fifth of an input (0 when the input does not vary)."""
    low, high = np.quantile(values, [SWING_QUANTILE, 1 - SWING_QUANTILE])
    if high <= low:
        return 0.0
    out = ~run.lasts_past_horizon
    return float(out[values >= high].mean() - out[values <= low].mean())


def grid_levels(values: np.ndarray, whole: bool) -> list[float]:
    """Rows or columns of the two-way table: quantiles of an input's draws, or, for an input
    that does not vary, its value halved to doubled."""
    q = np.percentile(values, GRID_QUANTILES)
    if q[-1] <= q[0]:
        q = q[2] * np.array([0.5, 0.71, 1.0, 1.41, 2.0])
    levels = np.round(q) if whole else np.round(q, 1)
    return sorted({float(v) for v in levels if v > 0 or whole})


def two_way(
    params: SupplyParams,
    unit_cost_usd: tuple[float, float, float],
    seed: int,
    stocks: list[float],
    rates: list[float],
) -> pd.DataFrame:
    """Median week the stock runs out for each pair of starting stock and firing rate, the
    other inputs (deliveries, losses, salvo timing) drawn as in the main run."""
    cells = [(s, r) for s in stocks for r in rates]
    if not cells:
        return pd.DataFrame(columns=["stock", "rate", "median_week", "p_runs_out"])
    n = GRID_DRAWS
    initial = np.repeat([s for s, _ in cells], n)
    rate = np.repeat([r for _, r in cells], n)
    run = simulate(
        params.model_copy(update={"draws": len(initial)}), unit_cost_usd, seed, initial, rate
    )
    weeks = run.depletion_week.reshape(len(cells), n)
    within = weeks <= run.horizon_weeks
    median = np.median(weeks, axis=1)
    return pd.DataFrame(
        {
            "stock": [s for s, _ in cells],
            "rate": [r for _, r in cells],
            "median_week": np.where(within.mean(axis=1) > 0.5, median, np.nan),
            "p_runs_out": within.mean(axis=1),
        }
    )
