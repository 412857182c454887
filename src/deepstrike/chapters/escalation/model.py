"""Escalation ladder against a background.

Each Russian response is assigned to at most one step: the nearest step on or before it, when it
falls inside that step's window. Control windows of the same length, placed where no step's
window falls, give each rung's background. A joint Bayesian model (a grid posterior) reads the
step windows and the control windows together as background plus the step's own effect, and the
forecast for this step is the background plus that effect, moved by this step's features.
Sabotage counts come from the same record; Sobol sensitivity by SALib.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample
from scipy import special, stats

from deepstrike.chapters.escalation.params import ESCALATION_RUNGS, EscalationParams
from deepstrike.language import Quantity, likelihood_word

# The ladder, lowest rung first. nuclear_use is on the ladder but outside the model: no
# base rate can speak to it (see nuclear_use_bound and the reference estimates).
RUNGS: tuple[str, ...] = tuple(ESCALATION_RUNGS)
RUNG_LABELS = {
    "rhetoric": "Rhetorical threats",
    "nuclear_signalling": "Nuclear signalling (doctrine, drills, deployment)",
    "demonstrative_strike": "Demonstrative strike with a novel weapon",
    "intensified_strikes": "Record-scale strikes on Ukraine",
    "sabotage_europe": "Sabotage in Europe (at least one attack)",
    "attack_nato": "Direct attack on NATO territory or forces",
    "nuclear_use": "Nuclear use",
}
# The same rungs inside a sentence.
RUNG_PHRASES = {
    "rhetoric": "rhetorical threats",
    "nuclear_signalling": "nuclear signalling",
    "demonstrative_strike": "a demonstrative strike with a novel weapon",
    "intensified_strikes": "record-scale strikes on Ukraine",
    "sabotage_europe": "sabotage in Europe",
    "attack_nato": "a direct attack on NATO territory or forces",
}
# How Russia's conventional strength moves a rung: +1 needs conventional forces (stronger,
# more likely), -1 is the deniable substitute a weaker Russia reaches for, 0 neither.
STRENGTH_SIGN = {
    "rhetoric": 0.0,
    "nuclear_signalling": -1.0,
    "demonstrative_strike": 1.0,
    "intensified_strikes": 1.0,
    "sabotage_europe": -1.0,
    "attack_nato": 1.0,
}
# Rungs modelled as "at least one response in a window"; sabotage is modelled as a count.
BINARY_RUNGS = tuple(r for r in RUNGS if r != "sabotage_europe")
# Kept for readers of older code: the rungs whose number comes from the step/response record.
HISTORY_RUNGS = BINARY_RUNGS
# Responses short of sabotage and of an attack on NATO: how Moscow "restores deterrence".
LOW_RUNGS = ("rhetoric", "nuclear_signalling", "demonstrative_strike", "intensified_strikes")

# Step classes (data/escalation_coding.md): Western decisions, and Ukrainian acts apart.
WESTERN_KINDS = ("weapon_delivery", "strike_permission")
UKRAINIAN_KINDS = ("ukrainian_act",)
# Control windows are placed from the first day of the full-scale invasion.
WAR_START = date(2022, 2, 24)

# The three stated priors every rung is shown under (Beta on the probability of at least one
# response in a window; for sabotage, on the probability of at least one attack).
PRIORS: dict[str, tuple[float, float]] = {
    "jeffreys": (0.5, 0.5),
    "uniform": (1.0, 1.0),
    "sceptical": (0.5, 5.0),
}
PRIOR_NAMES = {"jeffreys": "Jeffreys", "uniform": "uniform", "sceptical": "sceptical"}

# Uncertain inputs of the sensitivity analysis, in a fixed order.
INPUTS = (
    "background",
    "after",
    "depth_or",
    "volume_or",
    "us_or",
    "strength_or",
    "third_party_or",
    "troops",
    "sabotage_ratio",
)
INPUT_LABELS = {
    "background": "background rate of the rung (record and prior)",
    "after": "rate of the rung after past steps (record and prior)",
    "depth_or": "effect of depth (odds ratio per 100 km)",
    "volume_or": "effect of strike volume (odds ratio per doubling)",
    "us_or": "effect of US attribution (odds ratio)",
    "strength_or": "effect of Russian strength (odds ratio per doubling)",
    "third_party_or": "effect of North Korean troops (odds ratio per 10,000)",
    "troops": "North Korean troops in Kursk (estimate range)",
    "sabotage_ratio": "sabotage rate vs the attributed record",
}
# Parameter pairs (x_low, x_high) behind each odds or rate ratio.
RATIO_PAIRS = {
    "depth_or": "depth_or_per_100km",
    "volume_or": "volume_or_per_doubling",
    "us_or": "us_or",
    "strength_or": "strength_or_per_doubling",
    "third_party_or": "third_party_or_per_10k",
    "sabotage_ratio": "sabotage_rate_ratio",
}

# Fewer closed step windows than this and a rate says little (confidence is low).
MIN_STEPS = 5
# Fewer independent control windows than this and the background says little.
MIN_CONTROL_WINDOWS = 2.0
# The tornado moves one input between these quantiles, the others at their medians.
TORNADO_QUANTILES = (0.05, 0.95)
# Base samples of the smaller sensitivity run that finds the leading input of every rung.
LEADING_SAMPLES = 512
# Bootstrap resamples of SALib's confidence intervals.
SOBOL_RESAMPLES = 200
# Grid of the joint posterior: cells per axis, and the axis bounds (logit of a probability;
# log of a sabotage rate per window). Mass beyond the bounds is kept in the end cells.
GRID_CELLS = 320
LOGIT_BOUND = 14.0
RATE_BOUNDS = (1e-5, 200.0)
# The article's judgment ("no open conflict with NATO, but deterrence restored") read as
# numbers: an attack on NATO below the ceiling while some lower rung is likelier than the floor.
NATO_ATTACK_CEILING = 0.2
LOW_RUNG_FLOOR = 0.5
# The nuclear crisis of autumn 2022 (mobilisation, annexations, open nuclear threats).
NUCLEAR_CRISIS = (date(2022, 9, 1), date(2022, 11, 30))


# ----------------------------------------------------------------- the record: assignment


def step_class(kind: str) -> str:
    """'western' or 'ukrainian' (data/escalation_coding.md)."""
    if kind in WESTERN_KINDS:
        return "western"
    if kind in UKRAINIAN_KINDS:
        return "ukrainian"
    raise ValueError(f"unknown step kind {kind!r}")


def _sorted_steps(steps: pd.DataFrame) -> pd.DataFrame:
    # stable order: by date, then id, so that two steps on one day are ordered the same always
    return steps.sort_values(["date", "step_id"], kind="stable").reset_index(drop=True)


def assign_responses(
    steps: pd.DataFrame, responses: pd.DataFrame, horizon_days: int
) -> pd.DataFrame:
    """Each response with the step it is counted for (`step_id`, or None) and its lag in days.

    A response belongs to the nearest step dated on or before it, of either class, when it
    falls within `horizon_days` of that step (lag 0 to horizon_days - 1). Where windows
    overlap, the nearest preceding step wins, so no response is counted for two steps, and a
    response in an earlier step's window that follows a later step is that later step's.
    """
    out = responses.copy()
    ordered = _sorted_steps(steps)
    if ordered.empty or out.empty:
        out["step_id"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["lag_days"] = np.nan
        return out
    days = ordered["date"].to_numpy(dtype="datetime64[D]")
    when = out["date"].to_numpy(dtype="datetime64[D]")
    idx = np.searchsorted(days, when, side="right") - 1
    has = idx >= 0
    lag = np.where(has, (when - days[np.clip(idx, 0, None)]).astype(float), np.nan)
    inside = has & (lag < horizon_days)
    ids = ordered["step_id"].to_numpy(dtype=object)[np.clip(idx, 0, None)]
    # object dtype keeps None for "no step" (a string column would turn it into NaN)
    out["step_id"] = pd.Series(np.where(inside, ids, None), index=out.index, dtype=object)
    out["lag_days"] = np.where(inside, lag, np.nan)
    return out


def step_windows(steps: pd.DataFrame, horizon_days: int, as_of: date | str) -> pd.DataFrame:
    """One row per step: its class, whether its window had closed, and its effective length.

    A window closes when its start plus the horizon is on or before the as-of date. Its
    effective length is the horizon, or fewer days when another step follows sooner (the
    later step takes the responses from then on).
    """
    ordered = _sorted_steps(steps)
    columns = [
        "step_id",
        "step_name",
        "date",
        "kind",
        "step_class",
        "depth_km",
        "us_weapon",
        "closed",
        "window_days",
        "cut_by",
    ]
    if ordered.empty:
        return pd.DataFrame(columns=columns)
    nxt = ordered["date"].shift(-1)
    gap = (nxt - ordered["date"]).dt.days
    window = np.minimum(gap.fillna(horizon_days).to_numpy(dtype=float), float(horizon_days))
    cut = np.where(
        gap.fillna(horizon_days + 1).to_numpy() < horizon_days, ordered["step_id"].shift(-1), None
    )
    return pd.DataFrame(
        {
            "step_id": ordered["step_id"],
            "step_name": ordered["step_name"],
            "date": ordered["date"],
            "kind": ordered["kind"],
            "step_class": [step_class(k) for k in ordered["kind"]],
            "depth_km": ordered["depth_km"].astype(float),
            "us_weapon": ordered["us_weapon"].astype(bool),
            "closed": (ordered["date"] + pd.Timedelta(days=horizon_days)) <= pd.Timestamp(as_of),
            "window_days": window,
            "cut_by": pd.Series(cut, index=ordered.index, dtype=object),
        },
        columns=columns,
    )


def control_starts(
    step_dates: pd.Series | list, horizon_days: int, as_of: date | str, start: date = WAR_START
) -> pd.DatetimeIndex:
    """First days of the control windows: every day s from `start` whose window
    [s, s + horizon) had closed by the as-of date and overlaps no step's window
    [t, t + horizon), i.e. |s - t| >= horizon for every step t. Control windows may overlap
    one another (one starts every day), never a step's window."""
    last = pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days)
    first = pd.Timestamp(start)
    if last < first:
        return pd.DatetimeIndex([])
    days = pd.date_range(first, last, freq="D")
    s = days.to_numpy(dtype="datetime64[D]").astype(np.int64)
    t = pd.to_datetime(pd.Series(step_dates)).to_numpy(dtype="datetime64[D]").astype(np.int64)
    if t.size:
        near = np.abs(s[:, None] - t[None, :]) < horizon_days
        keep = ~near.any(axis=1)
    else:
        keep = np.ones(len(days), dtype=bool)
    return days[keep]


def covered_days(starts: pd.DatetimeIndex, horizon_days: int) -> np.ndarray:
    """The distinct days inside at least one control window (as day numbers)."""
    if len(starts) == 0:
        return np.array([], dtype=np.int64)
    s = starts.to_numpy(dtype="datetime64[D]").astype(np.int64)
    return np.unique((s[:, None] + np.arange(horizon_days)[None, :]).ravel())


def control_share(starts: pd.DatetimeIndex, dates: pd.Series, horizon_days: int) -> float | None:
    """Share of control windows with at least one of `dates` in them (None: no window)."""
    if len(starts) == 0:
        return None
    s = starts.to_numpy(dtype="datetime64[D]").astype(np.int64)
    d = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]").astype(np.int64)
    if d.size == 0:
        return 0.0
    hit = ((d[None, :] >= s[:, None]) & (d[None, :] < s[:, None] + horizon_days)).any(axis=1)
    return float(hit.mean())


def step_outcomes(windows: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """One row per closed step and rung: the responses counted for it, and whether any was."""
    columns = [
        "step_id",
        "step_name",
        "date",
        "step_class",
        "window_days",
        "rung",
        "count",
        "followed",
        "responses",
    ]
    closed = windows[windows["closed"]]
    if closed.empty:
        return pd.DataFrame(columns=columns)
    mine = assigned[assigned["step_id"].isin(set(closed["step_id"]))]
    ids = {
        key: ", ".join(part["response_id"])
        for key, part in mine.groupby(["step_id", "rung"], sort=False)
    }
    grid = closed[columns[:5]].merge(pd.DataFrame({"rung": list(RUNGS)}), how="cross")
    keys = list(zip(grid["step_id"], grid["rung"], strict=True))
    grid["responses"] = [ids.get(key, "") for key in keys]
    grid["count"] = [len(ids[key].split(", ")) if key in ids else 0 for key in keys]
    grid["followed"] = grid["count"] > 0
    return grid[columns].reset_index(drop=True)


# ----------------------------------------------------------------- evidence from the tables


@dataclass(frozen=True)
class RungEvidence:
    """What the record says about one rung."""

    rung: str
    hits: np.ndarray  # closed Western step windows: any response (bool)
    counts: np.ndarray  # closed Western step windows: responses counted
    exposure: np.ndarray  # their effective lengths, in horizons (window_days / horizon)
    control_share: float | None  # share of control windows with a response
    control_windows: float  # independent control windows: distinct control days / horizon
    control_count: int  # responses dated on a control day
    ua_hits: int  # closed Ukrainian-act windows with a response
    ua_steps: int
    on_record: int  # responses on this rung public by the as-of date

    @property
    def k(self) -> int:
        return int(self.hits.sum())

    @property
    def n(self) -> int:
        return len(self.hits)


@dataclass(frozen=True)
class Evidence:
    """What the (as-of filtered) tables say: steps, windows, controls, troops, tallies."""

    horizon_days: int
    steps: pd.DataFrame  # every step public by the as-of date
    windows: pd.DataFrame  # per step: class, closed, effective length
    assigned: pd.DataFrame  # every response with the step it is counted for
    outcomes: pd.DataFrame  # per closed step (either class) and rung
    starts: pd.DatetimeIndex  # first days of the control windows
    control_days: int  # distinct days inside control windows
    rungs: dict[str, RungEvidence]
    troops: tuple[float, float]  # North Korean troops in Kursk: low, high
    tally: pd.Series | None  # latest public year of the chosen sabotage tally (a reference)

    closed: pd.DataFrame  # closed windows of Western steps: the record the rates rest on
    ukrainian: pd.DataFrame  # Ukrainian acts (a class of their own), open or closed
    n_steps: int  # closed Western step windows
    mean_depth_km: float  # their average depth
    max_depth_km: float  # the deepest of them
    us_share: float  # share of them with a US weapon

    @property
    def hits(self) -> dict[str, int]:
        return {r: self.rungs[r].k for r in RUNGS}

    @property
    def control_windows(self) -> float:
        return self.control_days / self.horizon_days

    @property
    def mean_window_days(self) -> float:
        return float(self.closed["window_days"].mean()) if self.n_steps else 0.0

    @property
    def n_cut(self) -> int:
        return int((self.closed["window_days"] < self.horizon_days).sum())

    @property
    def deepest_step(self) -> str | None:
        if not self.n_steps:
            return None
        return str(self.closed.loc[self.closed["depth_km"].idxmax(), "step_name"])

    @property
    def tally_year(self) -> int | None:
        return None if self.tally is None else int(self.tally["period_end"].year)


def latest_tally(sabotage: pd.DataFrame, tally: str) -> pd.Series | None:
    """The latest year of the chosen tally public by the as-of date (None before any)."""
    part = sabotage[(sabotage["record_type"] == "annual_tally") & (sabotage["tally"] == tally)]
    if part.empty:
        return None
    return part.sort_values("period_end").iloc[-1]


def troops_now(troops: pd.DataFrame) -> tuple[float, float]:
    """Low and high of the latest estimate of North Korean troops in Kursk (0 before any)."""
    kursk = troops[(troops["location"] == "Kursk") & troops["claimed_by"].isna()]
    if kursk.empty:
        return 0.0, 0.0
    last = kursk.sort_values("date").iloc[-1]
    return float(last["troops_low"]), float(last["troops_high"])


def record(
    steps: pd.DataFrame, responses: pd.DataFrame, horizon_days: int, as_of: date | str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DatetimeIndex, dict[str, RungEvidence]]:
    """Windows, assignment, outcomes, control windows and per-rung evidence of a record."""
    windows = step_windows(steps, horizon_days, as_of)
    assigned = assign_responses(steps, responses, horizon_days)
    outcomes = step_outcomes(windows, assigned)
    starts = control_starts(steps["date"], horizon_days, as_of)
    days = covered_days(starts, horizon_days)
    west = windows[windows["closed"] & (windows["step_class"] == "western")]
    ua = windows[windows["closed"] & (windows["step_class"] == "ukrainian")]
    exposure = west["window_days"].to_numpy(dtype=float) / horizon_days
    rungs = {}
    for rung in RUNGS:
        mine = assigned[assigned["rung"] == rung]
        per_step = mine["step_id"].value_counts()
        counts = west["step_id"].map(per_step).fillna(0).to_numpy(dtype=int)
        ua_counts = ua["step_id"].map(per_step).fillna(0).to_numpy(dtype=int)
        d = mine["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        rungs[rung] = RungEvidence(
            rung=rung,
            hits=counts > 0,
            counts=counts,
            exposure=exposure,
            control_share=control_share(starts, mine["date"], horizon_days),
            control_windows=len(days) / horizon_days,
            control_count=int(np.isin(d, days).sum()),
            ua_hits=int((ua_counts > 0).sum()),
            ua_steps=len(ua),
            on_record=len(mine),
        )
    return windows, assigned, outcomes, starts, rungs


def evidence(
    p: EscalationParams, tables: Mapping[str, pd.DataFrame], as_of: date | str
) -> Evidence:
    """The record of steps and responses, the control windows, troops and the tally."""
    steps = _sorted_steps(tables["escalation_steps"])
    responses = tables["escalation_responses"]
    windows, assigned, outcomes, starts, rungs = record(steps, responses, p.horizon_days, as_of)
    closed = windows[windows["closed"] & (windows["step_class"] == "western")]
    closed = closed.reset_index(drop=True)
    n = len(closed)
    return Evidence(
        horizon_days=p.horizon_days,
        steps=steps,
        windows=windows,
        closed=closed,
        ukrainian=windows[windows["step_class"] == "ukrainian"].reset_index(drop=True),
        n_steps=n,
        mean_depth_km=float(closed["depth_km"].mean()) if n else 0.0,
        max_depth_km=float(closed["depth_km"].max()) if n else 0.0,
        us_share=float(closed["us_weapon"].mean()) if n else 0.0,
        assigned=assigned,
        outcomes=outcomes,
        starts=starts,
        control_days=len(covered_days(starts, p.horizon_days)),
        rungs=rungs,
        troops=troops_now(tables["dprk_troops"]),
        tally=latest_tally(tables["sabotage_incidents"], p.sabotage_tally),
    )


# ----------------------------------------------------------------- descriptive rates


def beta_summary(a: float, b: float, interval_pct: float) -> tuple[float, float, float]:
    """Mean and central interval of a Beta(a, b) posterior."""
    tail = (100.0 - interval_pct) / 200.0
    lo, hi = stats.beta.ppf([tail, 1.0 - tail], a, b)
    return a / (a + b), float(lo), float(hi)


def background_rate(ev: RungEvidence, prior: tuple[float, float]) -> tuple[float, float]:
    """Beta posterior of the background from the control windows alone: their share, on the
    number of independent windows the control days hold (overlapping windows are not
    independent trials)."""
    share = ev.control_share or 0.0
    n = ev.control_windows
    return prior[0] + share * n, prior[1] + (1.0 - share) * n


# ----------------------------------------------------------------- the joint posterior


@dataclass(frozen=True)
class Grid:
    """A posterior over two quantities on a grid, drawn from by inversion: u_b gives the first
    (the background) from its marginal, u_s the second (the rate after a step) given the first.
    """

    edges: np.ndarray  # (G+1,) cell edges on the transformed axis (both quantities)
    cdf_b: np.ndarray  # (G+1,) marginal CDF of the background at the edges
    cdf_s: np.ndarray  # (G, G+1) CDF of the after-step rate given the background's cell
    transform: Callable[[np.ndarray], np.ndarray]  # axis value -> quantity
    flat: np.ndarray = field(repr=False)  # offset rows of cdf_s, for one vectorised search

    def draw(self, u_b: np.ndarray, u_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = len(self.edges) - 1
        i = np.clip(np.searchsorted(self.cdf_b, u_b, side="right") - 1, 0, g - 1)
        zb = _within(self.edges, self.cdf_b[i], self.cdf_b[i + 1], u_b, i)
        pos = np.searchsorted(self.flat, u_s + 2.0 * i, side="right") - 1
        j = np.clip(pos - i * (g + 1), 0, g - 1)
        zs = _within(self.edges, self.cdf_s[i, j], self.cdf_s[i, j + 1], u_s, j)
        b, s = self.transform(zb), self.transform(zs)
        # the rate after a step is never below the background (cells on the diagonal)
        return b, np.maximum(s, b)


def _within(
    edges: np.ndarray, lo: np.ndarray, hi: np.ndarray, u: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Linear interpolation of the inverse CDF inside cell j."""
    width = hi - lo
    frac = np.where(width > 0, (u - lo) / np.where(width > 0, width, 1.0), 0.5)
    return edges[j] + np.clip(frac, 0.0, 1.0) * (edges[j + 1] - edges[j])


def _cdf(mass: np.ndarray) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(mass)])
    return c / c[-1]


def _cell_mass(cdf_at_edges: np.ndarray) -> np.ndarray:
    """Prior mass of each cell, the tails beyond the axis kept in the end cells."""
    mass = np.diff(cdf_at_edges)
    mass[0] += cdf_at_edges[0]
    mass[-1] += 1.0 - cdf_at_edges[-1]
    return np.maximum(mass, 1e-300)


def make_grid(
    edges: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray],
    prior_mass: np.ndarray,
    log_lik_b: np.ndarray,
    log_lik_s: np.ndarray,
) -> Grid:
    """Grid posterior of the background b and the after-step rate s >= b.

    The prior is the stated one on s, the quantity forecast, and the same one on b cut off
    above s (renormalised for each s): with no step window on record the forecast is the
    stated prior itself. The likelihood is a product: control windows speak to b, step
    windows to s; the constraint b <= s (a step never makes a response less likely) couples
    them, so control windows rich in responses raise s and silent step windows lower b.
    """
    g = len(prior_mass)
    upper = np.triu(np.ones((g, g), dtype=bool))  # cells (b, s) with s at or above b
    below = np.where(upper, prior_mass[:, None], 0.0)
    below /= below.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore"):
        logpost = (
            np.log(below) + np.log(prior_mass)[None, :] + log_lik_b[:, None] + log_lik_s[None, :]
        )
    post = np.exp(logpost - logpost.max())
    post /= post.sum()
    cdf_b = _cdf(post.sum(axis=1))
    rows = post.sum(axis=1, keepdims=True)
    given = np.where(
        rows > 0, post / np.where(rows > 0, rows, 1.0), upper / upper.sum(1, keepdims=True)
    )
    cdf_s = np.concatenate([np.zeros((g, 1)), np.cumsum(given, axis=1)], axis=1)
    cdf_s /= cdf_s[:, -1:]
    flat = (cdf_s + 2.0 * np.arange(g)[:, None]).ravel()
    return Grid(edges, cdf_b, cdf_s, transform, flat)


def binary_grid(ev: RungEvidence, prior: tuple[float, float]) -> Grid:
    """Joint posterior of a rung's background b and its rate after a step s.

    b: probability of at least one response in a horizon-long window with no step; s: the
    same in the horizon after a step. Both follow a constant daily rate, so a window of x
    horizons has no response with probability (1 - b)^x, or (1 - s)^x after a step. Control
    windows enter by their share on the number of independent windows they hold (as in
    `background_rate`); each closed Western step window by its own effective length.
    """
    edges = np.linspace(-LOGIT_BOUND, LOGIT_BOUND, GRID_CELLS + 1)
    mass = _cell_mass(stats.beta.cdf(special.expit(edges), *prior))
    x = special.expit((edges[:-1] + edges[1:]) / 2.0)
    share = ev.control_share or 0.0
    k_c, n_c = share * ev.control_windows, ev.control_windows
    lik_b = k_c * np.log(x) + (n_c - k_c) * np.log1p(-x)
    lik_s = np.zeros_like(x)
    log_none = np.log1p(-x)
    for xi, hit in zip(ev.exposure, ev.hits, strict=True):
        lik_s += np.log(-np.expm1(xi * log_none)) if hit else xi * log_none
    return make_grid(edges, special.expit, mass, lik_b, lik_s)


def count_grid(ev: RungEvidence, prior: tuple[float, float]) -> Grid:
    """Joint posterior of the sabotage rate without a step and after one (attacks per
    horizon-long window), from counts: Poisson on the control days and in the closed Western
    step windows. The prior is the stated Beta prior on the probability of at least one
    attack in a window, 1 - exp(-rate), carried over to the rate."""
    edges = np.linspace(np.log(RATE_BOUNDS[0]), np.log(RATE_BOUNDS[1]), GRID_CELLS + 1)
    mass = _cell_mass(stats.beta.cdf(-np.expm1(-np.exp(edges)), *prior))
    lam = np.exp((edges[:-1] + edges[1:]) / 2.0)
    k_c, e_c = ev.control_count, ev.control_windows
    k_s, e_s = int(ev.counts.sum()), float(ev.exposure.sum())
    lik_b = k_c * np.log(lam) - lam * e_c
    lik_s = k_s * np.log(lam) - lam * e_s
    return make_grid(edges, np.exp, mass, lik_b, lik_s)


def grids(e: Evidence, prior: tuple[float, float]) -> dict[str, Grid]:
    """The joint posterior of every rung under one prior."""
    out = {r: binary_grid(e.rungs[r], prior) for r in BINARY_RUNGS}
    out["sabotage_europe"] = count_grid(e.rungs["sabotage_europe"], prior)
    return out


# ----------------------------------------------------------------- the forecast


def ranges(p: EscalationParams, e: Evidence) -> dict[str, tuple[float, float]]:
    """(low, high) of every uncertain input but the record's: parameters and evidence."""
    out = {
        name: (float(getattr(p, f"{stem}_low")), float(getattr(p, f"{stem}_high")))
        for name, stem in RATIO_PAIRS.items()
    }
    out["troops"] = e.troops
    return out


def _log_uniform(u: np.ndarray, low: float, high: float) -> np.ndarray:
    """Odds and rate ratios are spread evenly on the log scale between low and high."""
    return np.exp(np.log(low) + u * (np.log(high) - np.log(low)))


def _inputs(p: EscalationParams, e: Evidence, u: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Uncertain inputs from uniforms in [0, 1): the same uniforms give the same draws."""
    span = ranges(p, e)
    x = {name: _log_uniform(u[name], *span[name]) for name in RATIO_PAIRS}
    low, high = span["troops"]
    x["troops"] = low + u["troops"] * (high - low)
    return x


def depth_used_km(p: EscalationParams, e: Evidence) -> float:
    """The depth the model applies: this step's, but no deeper than the deepest closed step on
    record unless the scenario extrapolates (depth_beyond_record)."""
    if p.depth_beyond_record == "extrapolate":
        return float(p.depth_km)
    return min(float(p.depth_km), e.max_depth_km)


def _shift(p: EscalationParams, e: Evidence, x: Mapping[str, np.ndarray], rung: str) -> np.ndarray:
    """Log-odds shift of the step's own effect for this step's features against past steps.

    Every provocation term is log(OR >= 1) times a feature that grows with the provocation,
    so a deeper, larger or more clearly American step never lowers any rung's probability.
    """
    depth = np.log(x["depth_or"]) * (depth_used_km(p, e) - e.mean_depth_km) / 100.0
    volume = np.log(x["volume_or"]) * np.log2(p.volume_ratio)
    us = np.log(x["us_or"]) * (p.us_attribution - e.us_share)
    strength = np.log(x["strength_or"]) * np.log2(p.russian_strength) * STRENGTH_SIGN[rung]
    third = np.log(x["third_party_or"]) * x["troops"] / 10_000.0
    return depth + volume + us + strength + third


def rung_forecast(
    p: EscalationParams,
    e: Evidence,
    grid: Grid,
    rung: str,
    x: Mapping[str, np.ndarray],
    u_b: np.ndarray,
    u_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(probability after this step, background, rate after a past step, expected attacks).

    A past step's own effect c is what it added to the background: 1 - (1 - s)/(1 - b). This
    step's features move the odds of c; the forecast is 1 - (1 - b)(1 - c'). For sabotage the
    same with rates: attacks ~ Poisson((background + (after - background) x multiplier) x
    ratio). With this step's features equal to the past steps' average the forecast is s.
    """
    a, s = grid.draw(u_b, u_s)
    shift = _shift(p, e, x, rung)
    if rung == "sabotage_europe":
        ratio = x["sabotage_ratio"]
        # As for the other rungs, a past step's own effect is floored at zero: a draw where
        # attacks fell after steps is a step that added nothing, not a negative rate.
        rate = (a + np.maximum(s - a, 0.0) * np.exp(shift)) * ratio
        return -np.expm1(-rate), -np.expm1(-a * ratio), -np.expm1(-s * ratio), rate
    b = np.clip(a, 1e-12, 1 - 1e-9)
    own = np.clip(1.0 - (1.0 - s) / (1.0 - b), 1e-12, 1 - 1e-12)
    moved = special.expit(special.logit(own) + shift)
    return 1.0 - (1.0 - b) * (1.0 - moved), b, s, np.zeros_like(b)


@dataclass(frozen=True)
class Simulation:
    probabilities: np.ndarray  # (rungs, draws), per RUNGS: a response within the horizon
    background: np.ndarray  # (rungs, draws): the same without the step
    after: np.ndarray  # (rungs, draws): the same after a past step (its average features)
    at_or_above: np.ndarray  # (rungs, draws): a response at this rung or any higher one
    sabotage_counts: np.ndarray  # (draws,) attacks in Europe over the horizon
    sabotage_rate: np.ndarray  # (draws,) expected attacks over the horizon

    @property
    def effect(self) -> np.ndarray:
        return self.probabilities - self.background


POISSON_STEP_MAX = 50.0


def poisson_inverse(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion: the least k with P(K <= k) >= u, as stats.poisson.ppf.

    scipy's ppf goes through the inverse incomplete gamma, which costs about 0.2 s per 100,000
    draws; the rates here are a few attacks, so stepping k up over the draws not yet placed
    takes a handful of passes of the Poisson CDF itself (scipy.special.pdtr).
    """
    u, rate = np.broadcast_arrays(np.asarray(u, float), np.asarray(rate, float))
    if not np.isfinite(rate).all() or (rate < 0).any():
        # an infinite rate would never be placed; a NaN would silently count zero
        raise ValueError("Poisson rates must be finite and non-negative")
    counts = np.zeros(u.shape, dtype=np.int64)
    # Stepping costs one pass per count: above a few dozen expected attacks (extreme but
    # allowed parameters) scipy's inverse is the faster way, and gives the same counts.
    large = rate > POISSON_STEP_MAX
    if large.any():
        big = stats.poisson.ppf(u[large], rate[large])
        # scipy's inverse gives NaN from about 1e12 expected attacks (reachable only with
        # extreme odds ratios); there the normal approximation is exact to the count shown.
        normal = np.rint(rate[large] + np.sqrt(rate[large]) * special.ndtri(u[large]))
        big = np.where(np.isfinite(big), big, np.clip(normal, 0, np.iinfo(np.int64).max / 2))
        counts[large] = big.astype(np.int64)
    open_ = np.flatnonzero(~large & (special.pdtr(0, rate) < u))
    k = 0
    while open_.size:
        k += 1
        counts[open_] = k
        open_ = open_[special.pdtr(k, rate[open_]) < u[open_]]
    return counts


def simulate(
    p: EscalationParams, e: Evidence, posterior: dict[str, Grid], draws: int, seed: int
) -> Simulation:
    """Monte Carlo over the joint posteriors and the effect sizes.

    Uniforms are drawn in a fixed order and turned into draws by inversion, whatever the
    parameters or the prior, so two runs with the same seed share their random numbers
    (common random numbers make comparisons exact).
    """
    rng = np.random.default_rng(seed)
    shared = {name: rng.random(draws) for name in INPUTS[2:]}
    x = _inputs(p, e, shared)
    probs = np.empty((len(RUNGS), draws))
    back = np.empty((len(RUNGS), draws))
    after = np.empty((len(RUNGS), draws))
    rate = np.zeros(draws)
    for i, rung in enumerate(RUNGS):
        u_b, u_s = rng.random(draws), rng.random(draws)
        probs[i], back[i], after[i], r = rung_forecast(p, e, posterior[rung], rung, x, u_b, u_s)
        if rung == "sabotage_europe":
            rate = r
    counts = poisson_inverse(rng.random(draws), rate)
    # Rungs treated as independent given the inputs: P(this rung or any above it).
    none_above = np.cumprod((1.0 - probs)[::-1], axis=0)[::-1]
    return Simulation(probs, back, after, 1.0 - none_above, counts, rate)


# ----------------------------------------------------------------- summaries


def confidence(k: int, n: int, control_windows: float, low: float, high: float) -> tuple[str, str]:
    """Analytic confidence, stated apart from the likelihood, with the code of its reason."""
    if n < MIN_STEPS:
        return "low", "few_steps"
    if k == 0:
        return "low", "never_observed"
    if control_windows < MIN_CONTROL_WINDOWS:
        return "low", "few_controls"
    if high - low > 0.5:
        return "low", "wide_interval"
    return "moderate", "observed"


def prior_words(low: float, high: float) -> str:
    """ICD 203 words for a range: one word, or 'very unlikely to unlikely' across bands."""
    a, b = likelihood_word(low), likelihood_word(high)
    return a if a == b else f"{a} to {b}"


def summarise(
    sim: Simulation,
    e: Evidence,
    p: EscalationParams,
    by_prior: Mapping[str, Simulation],
) -> pd.DataFrame:
    """Per rung: the rate after steps, the background, the step's effect and the forecast,
    each with its interval; the forecast under the three stated priors; confidence."""
    tail = (100.0 - p.interval_pct) / 2.0
    q = [tail, 50.0, 100.0 - tail]
    prior = (p.prior_alpha, p.prior_beta)
    rows = []
    for i, rung in enumerate(RUNGS):
        ev = e.rungs[rung]
        prob, back, eff = sim.probabilities[i], sim.background[i], sim.effect[i]
        lo, med, hi = np.percentile(prob, q)
        b_lo, _, b_hi = np.percentile(back, q)
        e_lo, _, e_hi = np.percentile(eff, q)
        a_lo, _, a_hi = np.percentile(sim.after[i], q)
        control, control_lo, control_hi = beta_summary(*background_rate(ev, prior), p.interval_pct)
        under = {name: float(s.probabilities[i].mean()) for name, s in by_prior.items()}
        conf, why = confidence(ev.k, ev.n, ev.control_windows, float(lo), float(hi))
        mean = float(prob.mean())
        rows.append(
            {
                "rung": rung,
                "label": RUNG_LABELS[rung],
                "level": i + 1,
                "followed": ev.k,
                "steps": ev.n,
                "after": float(sim.after[i].mean()),
                "after_low": float(a_lo),
                "after_high": float(a_hi),
                "control_share": ev.control_share,
                "control_rate": control,
                "control_rate_low": control_lo,
                "control_rate_high": control_hi,
                "background": float(back.mean()),
                "background_low": float(b_lo),
                "background_high": float(b_hi),
                "effect": float(eff.mean()),
                "effect_low": float(e_lo),
                "effect_high": float(e_hi),
                "probability": mean,
                "median": float(med),
                "low": float(lo),
                "high": float(hi),
                "at_or_above": float(sim.at_or_above[i].mean()),
                "word": likelihood_word(mean),
                **{f"prior_{name}": value for name, value in under.items()},
                "prior_min": min(under.values()),
                "prior_max": max(under.values()),
                "prior_words": prior_words(min(under.values()), max(under.values())),
                "never_observed": ev.k == 0,
                "never_on_record": ev.on_record == 0,
                "ua_followed": ev.ua_hits,
                "ua_steps": ev.ua_steps,
                # the Ukrainian acts' own rate: a Beta posterior on their windows alone
                "ua_rate": (prior[0] + ev.ua_hits) / (prior[0] + prior[1] + ev.ua_steps),
                "confidence": conf,
                "confidence_basis": why,
            }
        )
    return pd.DataFrame(rows)


def sabotage_summary(sim: Simulation, interval_pct: float) -> dict[str, float]:
    tail = (100.0 - interval_pct) / 2.0
    lo, med, hi = np.percentile(sim.sabotage_counts, [tail, 50.0, 100.0 - tail])
    return {
        "median": float(med),
        "low": float(lo),
        "high": float(hi),
        "mean": float(sim.sabotage_counts.mean()),
    }


def nuclear_use_bound(p: EscalationParams, e: Evidence) -> dict[str, float]:
    """What the record alone would say about nuclear use: 0 of n steps, a Beta posterior.

    This is an upper-bound illustration, not an estimate: nuclear use is driven by regime
    threat, not by the count of past weapon decisions, so the model does not forecast it.
    """
    n = e.n_steps
    a, b = p.prior_alpha, p.prior_beta + n
    upper = float(stats.beta.ppf(1.0 - (100.0 - p.interval_pct) / 200.0, a, b))
    return {"steps": n, "posterior_mean": a / (a + b), "upper": upper}


# ----------------------------------------------------------------- sensitivity analysis


def focus_quantity(rung: str) -> str:
    """What the sensitivity analysis explains for a rung.

    At least one sabotage attack is near certain on most records, so its probability hardly
    varies and its variance shares are noise; the expected number of attacks is explained.
    """
    return "expected attacks" if rung == "sabotage_europe" else "probability"


def _model(
    p: EscalationParams, e: Evidence, grid: Grid, rung: str
) -> Callable[[np.ndarray], np.ndarray]:
    """The focus quantity as a function of a (samples, len(INPUTS)) uniform matrix."""

    def f(u: np.ndarray) -> np.ndarray:
        cols = {name: u[:, j] for j, name in enumerate(INPUTS)}
        x = _inputs(p, e, cols)
        prob, _, _, rate = rung_forecast(p, e, grid, rung, x, cols["background"], cols["after"])
        return rate if rung == "sabotage_europe" else prob

    return f


def _problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's description of the unit cube over these inputs."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


@functools.lru_cache(maxsize=8)
def _saltelli(names: tuple[str, ...], n: int, seed: int) -> np.ndarray:
    """SALib's Saltelli design on [0, 1]^k: the same for every rung, so drawn once."""
    x = salib_sample.sample(_problem(names), n, calc_second_order=False, seed=seed)
    x.setflags(write=False)  # shared between calls: nobody may change it
    return x


def sobol_indices(
    f: Callable[[np.ndarray], np.ndarray],
    names: list[str],
    samples: int,
    seed: int,
    resamples: int = SOBOL_RESAMPLES,
) -> pd.DataFrame:
    """First-order and total Sobol indices of f on [0, 1]^k, by SALib (Saltelli sampling on a
    scrambled Sobol' sequence; Saltelli 2010 and Jansen estimators) with bootstrap 95% intervals.

    `samples` is rounded up to a power of two, which the Sobol' sequence needs for balance.
    `resamples` sets the bootstrap for the intervals only; the indices do not depend on it.
    """
    n = 1 << max(int(samples) - 1, 1).bit_length()
    problem = _problem(names)
    x = _saltelli(tuple(names), n, seed)
    y = np.asarray(f(x), dtype=float)
    if not np.var(y) > 0:
        # a constant output: no input explains any variance
        zero = np.zeros(len(names))
        return pd.DataFrame(
            {
                "s1": zero,
                "s1_low": zero,
                "s1_high": zero,
                "st": zero,
                "st_low": zero,
                "st_high": zero,
            }
        )
    res = salib_analyze.analyze(
        problem, y, calc_second_order=False, num_resamples=resamples, seed=seed
    )
    s1, s1_conf = np.asarray(res["S1"]), np.asarray(res["S1_conf"])
    st, st_conf = np.asarray(res["ST"]), np.asarray(res["ST_conf"])
    return pd.DataFrame(
        {
            "s1": s1,
            "s1_low": s1 - s1_conf,
            "s1_high": s1 + s1_conf,
            "st": st,
            "st_low": st - st_conf,
            "st_high": st + st_conf,
        }
    )


def sensitivity(
    p: EscalationParams,
    e: Evidence,
    grid: Grid,
    rung: str,
    samples: int,
    seed: int,
    resamples: int = SOBOL_RESAMPLES,
) -> pd.DataFrame:
    """Sobol indices of the rung's focus quantity (see focus_quantity) over every input."""
    table = sobol_indices(_model(p, e, grid, rung), list(INPUTS), samples, seed, resamples)
    table.insert(0, "input", INPUTS)
    table.insert(1, "label", [INPUT_LABELS[i] for i in INPUTS])
    return table.sort_values("st", ascending=False, kind="stable").reset_index(drop=True)


def tornado(
    p: EscalationParams,
    e: Evidence,
    grid: Grid,
    rung: str,
    quantiles: tuple[float, float] = TORNADO_QUANTILES,
) -> pd.DataFrame:
    """One input at a time from its low to its high quantile, the others at their medians."""
    f = _model(p, e, grid, rung)
    centre = np.full((1, len(INPUTS)), 0.5)
    base = float(f(centre)[0])
    rows = []
    for j, name in enumerate(INPUTS):
        lo_u, hi_u = centre.copy(), centre.copy()
        lo_u[0, j], hi_u[0, j] = quantiles
        lo, hi = float(f(lo_u)[0]), float(f(hi_u)[0])
        rows.append(
            {
                "input": name,
                "label": INPUT_LABELS[name],
                "at_low": lo,
                "at_high": hi,
                "swing": abs(hi - lo),
                "central": base,
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values("swing", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def leading_inputs(
    p: EscalationParams, e: Evidence, posterior: dict[str, Grid], samples: int, seed: int
) -> pd.DataFrame:
    """The input with the largest total Sobol index for every rung (a smaller run)."""
    rows = []
    for rung in RUNGS:
        # Only the point estimate of the total index is read here, not its interval, so the
        # bootstrap is cut to its minimum.
        top = sensitivity(p, e, posterior[rung], rung, samples, seed, resamples=2).iloc[0]
        rows.append(
            {
                "rung": rung,
                "label": RUNG_LABELS[rung],
                "input": top["input"],
                "input_label": top["label"],
                "st": float(top["st"]),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- one call for everything


@dataclass(frozen=True)
class EscalationResult:
    params: EscalationParams
    as_of: date
    evidence: Evidence
    responses: pd.DataFrame
    tallies: pd.DataFrame  # annual tallies of sabotage attacks (every tally), a reference
    incidents: pd.DataFrame  # single sabotage incidents of the tally table
    estimates: pd.DataFrame  # published estimates (reference points, not inputs)
    simulation: Simulation
    ladder: pd.DataFrame
    sabotage: dict[str, float]
    nuclear: dict[str, float]
    sobol: pd.DataFrame  # focus rung
    tornado: pd.DataFrame  # focus rung
    leading: pd.DataFrame  # per rung: the input with the largest total index


def analyse(
    params: EscalationParams,
    tables: Mapping[str, pd.DataFrame],
    as_of: date | str,
    seed: int,
) -> EscalationResult:
    """The ladder, sabotage forecast, nuclear bound and sensitivity analysis of this step."""
    e = evidence(params, tables, as_of)
    chosen = (params.prior_alpha, params.prior_beta)
    posterior = grids(e, chosen)
    sim = simulate(params, e, posterior, params.draws, seed)
    by_prior = {
        name: sim if prior == chosen else simulate(params, e, grids(e, prior), params.draws, seed)
        for name, prior in PRIORS.items()
    }
    sabotage = tables["sabotage_incidents"]
    focus = params.focus_rung
    return EscalationResult(
        params=params,
        as_of=pd.Timestamp(as_of).date(),
        evidence=e,
        responses=e.assigned,
        tallies=sabotage[sabotage["record_type"] == "annual_tally"].reset_index(drop=True),
        incidents=sabotage[sabotage["record_type"] == "incident"].reset_index(drop=True),
        estimates=tables["escalation_estimates"],
        simulation=sim,
        ladder=summarise(sim, e, params, by_prior),
        sabotage=sabotage_summary(sim, params.interval_pct),
        nuclear=nuclear_use_bound(params, e),
        sobol=sensitivity(params, e, posterior[focus], focus, params.sobol_samples, seed),
        tornado=tornado(params, e, posterior[focus], focus),
        leading=leading_inputs(params, e, posterior, LEADING_SAMPLES, seed),
    )


# ----------------------------------------------------------------- key numbers


def record_period(years: pd.Series) -> str | None:
    """'2022–24' for steps from 2022 to 2024, '2023' for a single year, None for none."""
    if years.empty:
        return None
    first, last = int(years.min()), int(years.max())
    if first == last:
        return str(first)
    tail = str(last)[-2:] if str(first)[:2] == str(last)[:2] else str(last)
    return f"{first}–{tail}"


def published_on(row: pd.Series) -> pd.Timestamp | None:
    """When a row's information became public: its earliest source (None when unknown)."""
    for column in ("known_from", "source_date"):
        value = row.get(column)
        if value is not None and not pd.isna(value):
            return pd.Timestamp(value)
    return None


def _decimals(x: float, most: int = 2) -> int:
    """Decimals that show x as written (0.35 -> 2, 16 -> 0), at most `most`."""
    for d in range(most + 1):
        if math.isclose(round(x, d), x, abs_tol=1e-12):
            return d
    return most


def _points(x: float) -> float:
    """A difference of probabilities in percentage points."""
    return 100.0 * x


def key_numbers(r: EscalationResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    p, e, ladder = r.params, r.evidence, r.ladder.set_index("rung")
    prob = ladder["probability"]
    k: dict[str, Quantity] = {}

    def q(name: str, value: Any, unit: str, label: str, kind: str, digits: int = 0) -> None:
        k[name] = Quantity(value, unit, label, kind, digits)

    # --- the record
    closed = e.closed
    period = record_period(closed["date"].dt.year)
    west_open = e.windows[(~e.windows["closed"]) & (e.windows["step_class"] == "western")]
    q("horizon_days", p.horizon_days, "days", "response window and forecast horizon", "days")
    q("interval_pct", p.interval_pct, "%", "width of the intervals shown", "number")
    q("n_steps", e.n_steps, "steps", "Western steps with a closed window", "count")
    q("n_responses", len(r.responses), "responses", "Russian responses on record", "count")
    q("has_record", e.n_steps > 0, "", "some Western step's window had closed", "flag")
    q("record_period", period, "", "years of the closed steps", "text")
    q("open_steps", west_open["step_name"].tolist(), "", "steps whose window was open", "names")
    assigned = r.responses["step_id"].notna()
    west_ids = set(closed["step_id"])
    q(
        "n_assigned",
        int(r.responses["step_id"].isin(west_ids).sum()),
        "responses",
        "responses counted for a closed Western step",
        "count",
    )
    q(
        "n_unassigned",
        int((~assigned).sum()),
        "responses",
        "responses in no step's window",
        "count",
    )
    q("n_cut", e.n_cut, "steps", "closed windows cut short by a later step", "count")
    q(
        "mean_window_days",
        e.mean_window_days,
        "days",
        "average effective length of the closed windows",
        "days",
    )
    # --- control windows
    q("war_start", WAR_START.strftime("%-d %B %Y"), "", "first day of control windows", "text")
    q("n_control_windows", len(e.starts), "windows", "control windows (one a day)", "count")
    q("control_days", e.control_days, "days", "days inside a control window", "days")
    q(
        "control_independent",
        e.control_windows,
        "windows",
        "independent control windows (control days / horizon)",
        "number",
        1,
    )
    q("has_controls", len(e.starts) > 0, "", "some control window had closed", "flag")
    q(
        "control_periods",
        control_periods(e.starts, p.horizon_days),
        "",
        "periods the control windows cover",
        "names",
    )
    # --- Ukrainian acts
    ua = e.ukrainian
    ua_closed = ua[ua["closed"]]
    q("n_ukrainian_acts", len(ua), "acts", "Ukrainian acts on record", "count")
    q("has_ukrainian_acts", len(ua) > 0, "", "a Ukrainian act is on record", "flag")
    q("ukrainian_acts", ua["step_name"].tolist(), "", "the Ukrainian acts", "names")
    q(
        "n_ukrainian_closed",
        len(ua_closed),
        "acts",
        "Ukrainian acts with a closed window",
        "count",
    )
    q(
        "n_ukrainian_responses",
        int(r.responses["step_id"].isin(set(ua_closed["step_id"])).sum()),
        "responses",
        "responses counted for a Ukrainian act",
        "count",
    )
    q("rung_labels", {rung: RUNG_LABELS[rung] for rung in RUNGS}, "", "rungs of the ladder", "text")
    q(
        "rung_phrases",
        {rung: RUNG_PHRASES[rung] for rung in RUNGS},
        "",
        "rungs, in a sentence",
        "text",
    )

    # --- the ladder
    for rung in RUNGS:
        row = ladder.loc[rung]
        label = RUNG_LABELS[rung].lower()
        q(f"p_{rung}", float(row["probability"]), "probability", label, "probability")
        q(f"p_{rung}_low", float(row["low"]), "probability", f"{label}: low", "probability")
        q(f"p_{rung}_high", float(row["high"]), "probability", f"{label}: high", "probability")
        for part, what in (
            ("background", "without a step (background)"),
            ("after", "rate after past steps"),
        ):
            for suffix in ("", "_low", "_high"):
                q(
                    f"{part}_{rung}{suffix}",
                    float(row[f"{part}{suffix}"]),
                    "probability",
                    f"{label}: {what}{suffix.replace('_', ', ')}",
                    "probability",
                )
        for suffix in ("", "_low", "_high"):
            q(
                f"effect_{rung}{suffix}",
                _points(float(row[f"effect{suffix}"])),
                "percentage points",
                f"{label}: what this step adds to the background{suffix.replace('_', ', ')}",
                "number",
            )
        share = row["control_share"]
        q(
            f"control_share_{rung}",
            None if pd.isna(share) else float(share),
            "share",
            f"{label}: share of control windows with a response",
            "share",
        )
        for name in PRIORS:
            q(
                f"p_{rung}_{name}",
                float(row[f"prior_{name}"]),
                "probability",
                f"{label}: under the {PRIOR_NAMES[name]} prior",
                "probability",
            )
        q(f"prior_min_{rung}", float(row["prior_min"]), "probability", "lowest of 3", "probability")
        q(
            f"prior_max_{rung}",
            float(row["prior_max"]),
            "probability",
            "highest of 3",
            "probability",
        )
        q(f"prior_words_{rung}", row["prior_words"], "", "ICD words of that range", "text")
        q(f"never_observed_{rung}", bool(row["never_observed"]), "", "none after a step", "flag")
        q(f"never_on_record_{rung}", bool(row["never_on_record"]), "", "none at all", "flag")
        q(
            f"followed_{rung}",
            int(row["followed"]),
            "steps",
            f"closed steps followed: {rung}",
            "count",
        )
        q(f"ua_followed_{rung}", int(row["ua_followed"]), "acts", f"acts followed: {rung}", "count")
        q(f"confidence_{rung}", row["confidence"], "", f"confidence: {label}", "text")
        q(
            f"confidence_basis_{rung}",
            row["confidence_basis"],
            "",
            f"what the confidence rests on: {label}",
            "text",
        )
    for name, (a, b) in PRIORS.items():
        q(f"prior_{name}_alpha", a, "", f"{PRIOR_NAMES[name]} prior: alpha", "number", _decimals(a))
        q(f"prior_{name}_beta", b, "", f"{PRIOR_NAMES[name]} prior: beta", "number", _decimals(b))
    q(
        "prior_alpha",
        p.prior_alpha,
        "",
        "chosen Beta prior: alpha",
        "number",
        _decimals(p.prior_alpha),
    )
    q("prior_beta", p.prior_beta, "", "chosen Beta prior: beta", "number", _decimals(p.prior_beta))
    chosen = next((n for n, v in PRIORS.items() if v == (p.prior_alpha, p.prior_beta)), None)
    q("prior_name", PRIOR_NAMES.get(chosen, "chosen"), "", "name of the chosen prior", "text")
    q("min_steps", MIN_STEPS, "steps", "fewer closed steps than this: low confidence", "count")
    q(
        "min_control_windows",
        MIN_CONTROL_WINDOWS,
        "windows",
        "fewer independent control windows than this: low confidence",
        "number",
    )
    modal = max(LOW_RUNGS, key=lambda rung: prob[rung])
    # the article's test must hold under every prior shown, not only the chosen one
    nato_worst = max(prob["attack_nato"], float(ladder.loc["attack_nato", "prior_max"]))
    q("likeliest_low_rung", modal, "", "likeliest response short of sabotage", "text")
    q("nato_attack_ceiling", NATO_ATTACK_CEILING, "probability", "the article's test", "share")
    q("low_rung_floor", LOW_RUNG_FLOOR, "probability", "the article's test", "share")
    q(
        "article_judgment_holds",
        bool(nato_worst < NATO_ATTACK_CEILING and prob[modal] > LOW_RUNG_FLOOR),
        "",
        "no attack on NATO but deterrence restored: the article's judgment in these numbers",
        "flag",
    )
    q("confidence", ladder.loc["attack_nato", "confidence"], "", "confidence: NATO", "text")
    top_effect = max(RUNGS, key=lambda rung: ladder.loc[rung, "effect"])
    q("largest_effect_rung", top_effect, "", "rung the step adds most to", "text")

    # --- depth of this step
    used = depth_used_km(p, e)
    past = p.depth_km - e.max_depth_km
    q("depth_km", p.depth_km, "km", "how far inside Russia this step reaches", "km")
    q("mean_depth_km", e.mean_depth_km, "km", "average depth of the closed steps", "km")
    q("depth_record_max_km", e.max_depth_km, "km", "deepest closed step on record", "km")
    q("deepest_step", e.deepest_step, "", "that step", "text")
    q("depth_used_km", used, "km", "depth the model applies", "km")
    q("depth_beyond_record_km", max(past, 0.0), "km", "this step beyond the deepest", "km")
    q("step_past_record", past > 0, "", "this step reaches past the record", "flag")
    q("record_has_depth", e.max_depth_km > 0, "", "some closed step reached into Russia", "flag")
    q(
        "depth_extrapolated",
        bool(p.depth_beyond_record == "extrapolate" and past > 0),
        "",
        "the depth effect is extrapolated past the record",
        "flag",
    )
    q("step_deeper", used >= e.mean_depth_km, "", "deeper than the average past step", "flag")
    high = p.depth_or_per_100km_high
    q(
        "depth_odds_multiplier",
        high ** ((used - e.mean_depth_km) / 100.0),
        "ratio",
        "odds multiplier of the step's own effect from depth, at the high effect",
        "ratio",
        2,
    )
    q(
        "depth_odds_multiplier_bounded",
        high ** ((min(p.depth_km, e.max_depth_km) - e.mean_depth_km) / 100.0),
        "ratio",
        "the same with the depth held to the record's range",
        "ratio",
        2,
    )
    q(
        "depth_odds_multiplier_extrapolated",
        high ** ((p.depth_km - e.mean_depth_km) / 100.0),
        "ratio",
        "the same if extrapolated to this step's full depth",
        "ratio",
        2,
    )

    # --- sabotage
    tally = e.tally
    published = None if tally is None else published_on(tally)
    sab = e.rungs["sabotage_europe"]
    q("sabotage_tally", p.sabotage_tally.upper(), "", "tally shown beside the record", "text")
    q("has_sabotage_tally", tally is not None, "", "a tallied year was public", "flag")
    q("sabotage_year", e.tally_year, "", "latest tallied year", "text")
    q(
        "sabotage_tally_count",
        None if tally is None else float(tally["count_central"]),
        "attacks",
        "attacks in the latest tallied year",
        "count",
    )
    q(
        "sabotage_tally_published",
        None if published is None else published.strftime("%B %Y"),
        "",
        "when that year's tally was published",
        "text",
    )
    coded_in_year = None
    if tally is not None:
        on_rung = r.responses[r.responses["rung"] == "sabotage_europe"]
        coded_in_year = int((on_rung["date"].dt.year == e.tally_year).sum())
    q("sabotage_coded_in_year", coded_in_year, "attacks", "record's attacks in that year", "count")
    q("n_sabotage_on_record", sab.on_record, "attacks", "attributed attacks on record", "count")
    q(
        "sabotage_in_steps",
        int(sab.counts.sum()),
        "attacks",
        "attacks counted for closed Western steps",
        "count",
    )
    q("sabotage_in_controls", sab.control_count, "attacks", "attacks on control days", "count")
    q(
        "sabotage_elsewhere",
        sab.on_record - int(sab.counts.sum()) - sab.control_count,
        "attacks",
        "attacks in open or Ukrainian-act windows or between windows",
        "count",
    )
    q("sabotage_ratio_low", p.sabotage_rate_ratio_low, "ratio", "rate ratio: low", "ratio", 1)
    q("sabotage_ratio_high", p.sabotage_rate_ratio_high, "ratio", "rate ratio: high", "ratio", 1)
    for name in ("median", "low", "high"):
        q(f"sabotage_{name}", r.sabotage[name], "attacks", f"sabotage attacks: {name}", "count")
    n_parcels = int((r.incidents["incident_type"] == "incendiary_parcel").sum())
    q("n_parcels", n_parcels, "incidents", "incendiary-parcel incidents on record", "count")

    # --- nuclear use
    q(
        "nuclear_base_rate_mean",
        r.nuclear["posterior_mean"],
        "probability",
        "what 0 of n past steps alone would imply; not a forecast",
        "share",
        1,
    )
    q(
        "nuclear_base_rate_upper",
        r.nuclear["upper"],
        "probability",
        "the same, top of the interval; not a forecast",
        "share",
    )
    use = r.estimates[r.estimates["rung"] == "nuclear_use"]
    q("n_nuclear_estimates", len(use), "estimates", "published estimates of nuclear use", "count")
    if len(use):
        low, high_v = float(use["value_pct"].min()), float(use["value_pct"].max())
        peak = use.loc[use["value_pct"].idxmax()]
        peak_day = pd.Timestamp(peak["date"]).date()
        low_q = (low / 100, _decimals(low))
        high_q = (high_v / 100, _decimals(high_v))
        peak_by, peak_when = str(peak["forecaster"]), pd.Timestamp(peak_day).strftime("%B %Y")
        in_crisis = NUCLEAR_CRISIS[0] <= peak_day <= NUCLEAR_CRISIS[1]
    else:
        low_q = high_q = (None, 0)
        peak_by = peak_when = None
        in_crisis = False
    q("nuclear_estimate_low", low_q[0], "probability", "lowest estimate", "share", low_q[1])
    q("nuclear_estimate_high", high_q[0], "probability", "highest estimate", "share", high_q[1])
    q("nuclear_estimate_peak_by", peak_by, "", "who made the highest estimate", "text")
    q("nuclear_estimate_peak_date", peak_when, "", "when the highest estimate was made", "text")
    q("peak_in_crisis", in_crisis, "", "the highest estimate fell in the crisis", "flag")
    q("crisis_name", f"autumn {NUCLEAR_CRISIS[0].year}", "", "the nuclear crisis", "text")

    # --- sensitivity of the focus rung
    rung = p.focus_rung
    is_probability = focus_quantity(rung) == "probability"
    top = r.sobol.iloc[0]
    swing = r.tornado.set_index("input").loc[top["input"]]
    swing_kind, swing_digits = ("share", 1) if is_probability else ("number", 1)
    swing_unit = "probability" if is_probability else "attacks"
    q("focus_rung", rung, "", "rung the sensitivity analysis explains", "text")
    q("focus_quantity", focus_quantity(rung), "", "what the analysis explains", "text")
    q("focus_is_binary_rung", rung in BINARY_RUNGS, "", "the focus rung is a probability", "flag")
    q("top_driver", top["input"], "", f"largest total Sobol index for {rung}", "text")
    q("top_driver_label", top["label"], "", "that input, in words", "text")
    q("top_driver_st", float(top["st"]), "share of variance", "its total index", "share")
    record_share = float(
        r.sobol.set_index("input").loc[["background", "after"], "st"].clip(lower=0).sum()
    )
    features = r.sobol.set_index("input").drop(index=["background", "after"])["st"]
    q(
        "feature_inputs_st",
        min(float(features.clip(lower=0).sum()), 1.0),
        "share of variance",
        "total indices of the assumed effects of this step's features together",
        "share",
    )
    q(
        "record_inputs_st",
        min(record_share, 1.0),
        "share of variance",
        "total indices of the two rates of the record together",
        "share",
    )
    q(
        "top_driver_at_low",
        float(swing["at_low"]),
        swing_unit,
        "focus quantity with that input low",
        swing_kind,
        swing_digits,
    )
    q(
        "top_driver_at_high",
        float(swing["at_high"]),
        swing_unit,
        "focus quantity with that input high",
        swing_kind,
        swing_digits,
    )
    q("tornado_low", TORNADO_QUANTILES[0], "quantile", "tornado: low quantile", "share")
    q("tornado_high", TORNADO_QUANTILES[1], "quantile", "tornado: high quantile", "share")

    # --- leading input of every rung (the smaller run)
    for row in r.leading.itertuples():
        q(f"leading_{row.rung}", row.input_label, "", f"leading input: {row.rung}", "text")
        q(f"leading_{row.rung}_st", row.st, "share of variance", "its total index", "share")
    return k


def control_periods(starts: pd.DatetimeIndex, horizon_days: int) -> list[str]:
    """The stretches of time the control windows cover, e.g. 'Feb–May 2022'."""
    if len(starts) == 0:
        return []
    s = pd.Series(starts)
    runs = (s.diff() != pd.Timedelta(days=1)).cumsum()
    out = []
    for _, part in s.groupby(runs):
        first = part.iloc[0]
        last = part.iloc[-1] + pd.Timedelta(days=horizon_days - 1)
        if first.year == last.year:
            out.append(f"{first:%b}–{last:%b %Y}" if first.month != last.month else f"{last:%b %Y}")
        else:
            out.append(f"{first:%b %Y}–{last:%b %Y}")
    return out
