"""Escalation ladder: Beta-Binomial base rates per rung from 2022-24, adjusted for this step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from deepstrike.params import ESCALATION_RUNGS
from deepstrike.results import likelihood_word

# The ladder, lowest rung first. nuclear_use is on the ladder but outside the model: no
# base rate can speak to it (see nuclear_use_bound and the reference estimates).
# The schema lists the rungs (a parameter names one); the model takes them from there.
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
# Rungs whose base rate comes from the step/response history; sabotage comes from the tallies.
HISTORY_RUNGS = tuple(r for r in RUNGS if r != "sabotage_europe")

# Uncertain inputs of the sensitivity analysis, in a fixed order.
INPUTS = (
    "base_rate",
    "depth_or",
    "volume_or",
    "us_or",
    "strength_or",
    "third_party_or",
    "troops",
    "sabotage_count",
    "sabotage_ratio",
)
INPUT_LABELS = {
    "base_rate": "base rate of the rung (past steps and prior)",
    "depth_or": "effect of depth (odds ratio per 100 km)",
    "volume_or": "effect of strike volume (odds ratio per doubling)",
    "us_or": "effect of US attribution (odds ratio)",
    "strength_or": "effect of Russian strength (odds ratio per doubling)",
    "third_party_or": "effect of North Korean troops (odds ratio per 10,000)",
    "troops": "North Korean troops in Kursk (estimate range)",
    "sabotage_count": "sabotage attacks in the latest tallied year",
    "sabotage_ratio": "sabotage rate over the horizon vs that year",
}


@dataclass(frozen=True)
class Settings:
    """Everything the Monte Carlo needs: parameters plus the evidence drawn from the tables."""

    horizon_days: int
    prior_alpha: float
    prior_beta: float
    depth_km: float
    volume_ratio: float
    us_attribution: float
    russian_strength: float
    ranges: dict[str, tuple[float, float]]  # uncertain inputs: (low, high)
    hits: dict[str, int]  # closed steps followed by a response at each history rung
    n_steps: int  # steps whose window had closed by the as-of date
    mean_depth_km: float  # of those steps
    us_share: float  # share of those steps that were US acts
    sabotage_year: int | None
    extra: dict[str, Any] = field(default_factory=dict)


def closed_steps(steps: pd.DataFrame, as_of: date | str, horizon_days: int) -> pd.DataFrame:
    """Steps whose response window had ended by the as-of date (later ones are still open)."""
    end = steps["date"] + pd.Timedelta(days=horizon_days)
    return steps[end <= pd.Timestamp(as_of)].reset_index(drop=True)


def step_outcomes(steps: pd.DataFrame, responses: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """One row per step and history rung: was there a response at that rung within the window?

    The link is temporal (a response dated from the step's day to `horizon_days` after it),
    which is what "followed by" means; the table's reacting_to column shows the stated reason.
    """
    rows = []
    for step in steps.itertuples():
        end = step.date + pd.Timedelta(days=horizon_days)
        inside = responses[(responses["date"] >= step.date) & (responses["date"] <= end)]
        for rung in HISTORY_RUNGS:
            hit = inside[inside["rung"] == rung]
            rows.append(
                {
                    "step_id": step.step_id,
                    "step_name": step.step_name,
                    "date": step.date,
                    "rung": rung,
                    "followed": bool(len(hit)),
                    "responses": ", ".join(hit["response_id"]),
                }
            )
    return pd.DataFrame(rows)


def sabotage_latest(sabotage: pd.DataFrame, tally: str) -> pd.Series | None:
    """The latest complete year of the chosen tally (None when the tally has no year yet)."""
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


def settings(
    params: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], as_of: date | str
) -> Settings:
    """Combine the chapter's parameters with the evidence in the (as-of filtered) tables."""
    horizon = int(params["horizon_days"])
    closed = closed_steps(tables["escalation_steps"], as_of, horizon)
    outcomes = step_outcomes(closed, tables["escalation_responses"], horizon)
    hits = {
        r: int(outcomes.loc[outcomes["rung"] == r, "followed"].sum()) if len(outcomes) else 0
        for r in HISTORY_RUNGS
    }
    latest = sabotage_latest(tables["sabotage_incidents"], params["sabotage_tally"])
    troops_lo, troops_hi = troops_now(tables["dprk_troops"])

    def pair(stem: str) -> tuple[float, float]:
        low, high = float(params[f"{stem}_low"]), float(params[f"{stem}_high"])
        if low > high:
            raise ValueError(f"{stem}_low ({low}) is above {stem}_high ({high})")
        return low, high

    ranges = {
        "depth_or": pair("depth_or_per_100km"),
        "volume_or": pair("volume_or_per_doubling"),
        "us_or": pair("us_or"),
        "strength_or": pair("strength_or_per_doubling"),
        "third_party_or": pair("third_party_or_per_10k"),
        "troops": (troops_lo, troops_hi),
        "sabotage_ratio": pair("sabotage_rate_ratio"),
        "sabotage_count": (
            (float(latest["count_low"]), float(latest["count_high"]))
            if latest is not None
            else (0.0, 0.0)
        ),
    }
    return Settings(
        horizon_days=horizon,
        prior_alpha=float(params["prior_alpha"]),
        prior_beta=float(params["prior_beta"]),
        depth_km=float(params["depth_km"]),
        volume_ratio=float(params["volume_ratio"]),
        us_attribution=float(params["us_attribution"]),
        russian_strength=float(params["russian_strength"]),
        ranges=ranges,
        hits=hits,
        n_steps=len(closed),
        mean_depth_km=float(closed["depth_km"].mean()) if len(closed) else 0.0,
        us_share=float(closed["us_weapon"].mean()) if len(closed) else 0.0,
        sabotage_year=None if latest is None else int(latest["period_end"].year),
        extra={"outcomes": outcomes, "closed": closed},
    )


def _log_uniform(u: np.ndarray, low: float, high: float) -> np.ndarray:
    """Odds and rate ratios are spread evenly on the log scale between low and high."""
    return np.exp(np.log(low) + u * (np.log(high) - np.log(low)))


def _shift(s: Settings, x: Mapping[str, np.ndarray], rung: str) -> np.ndarray:
    """Log-odds shift of a rung for this step's features relative to the 2022-24 steps.

    Every provocation term is log(OR >= 1) times a feature that grows with the provocation,
    so a deeper, larger or more clearly American step never lowers any rung's probability.
    """
    depth = np.log(x["depth_or"]) * (s.depth_km - s.mean_depth_km) / 100.0
    volume = np.log(x["volume_or"]) * np.log2(s.volume_ratio)
    us = np.log(x["us_or"]) * (s.us_attribution - s.us_share)
    strength = np.log(x["strength_or"]) * np.log2(s.russian_strength) * STRENGTH_SIGN[rung]
    third = np.log(x["third_party_or"]) * x["troops"] / 10_000.0
    return depth + volume + us + strength + third


def _inputs(s: Settings, u: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Uncertain inputs from uniforms in [0, 1): the same uniforms give the same draws."""
    x = {}
    for name in (
        "depth_or",
        "volume_or",
        "us_or",
        "strength_or",
        "third_party_or",
        "sabotage_ratio",
    ):
        x[name] = _log_uniform(u[name], *s.ranges[name])
    for name in ("troops", "sabotage_count"):
        low, high = s.ranges[name]
        x[name] = low + u[name] * (high - low)
    return x


def _sabotage_rate(s: Settings, x: Mapping[str, np.ndarray], u_rate: np.ndarray) -> np.ndarray:
    """Expected attacks over the horizon: Gamma posterior of the yearly rate (Jeffreys prior),
    scaled to the horizon, by the rate ratio and by this step's provocation."""
    yearly = stats.gamma.ppf(u_rate, a=x["sabotage_count"] + 0.5)
    return (
        yearly
        * s.horizon_days
        / 365.25
        * x["sabotage_ratio"]
        * np.exp(_shift(s, x, "sabotage_europe"))
    )


def rung_probability(s: Settings, rung: str, u: Mapping[str, np.ndarray]) -> np.ndarray:
    """Probability of a response at `rung` within the horizon, one value per row of uniforms."""
    x = _inputs(s, u)
    if rung == "sabotage_europe":
        return -np.expm1(-_sabotage_rate(s, x, u["base_rate"]))
    k = s.hits[rung]
    base = stats.beta.ppf(u["base_rate"], s.prior_alpha + k, s.prior_beta + s.n_steps - k)
    return special.expit(special.logit(base) + _shift(s, x, rung))


@dataclass(frozen=True)
class Simulation:
    probabilities: np.ndarray  # (rungs, draws), per RUNGS
    at_or_above: np.ndarray  # (rungs, draws): a response at this rung or any higher one
    sabotage_counts: np.ndarray  # (draws,) attacks in Europe over the horizon
    sabotage_rate: np.ndarray  # (draws,) expected attacks over the horizon


def simulate(s: Settings, draws: int, seed: int) -> Simulation:
    """Monte Carlo over the priors: base rates, effect sizes, troop and sabotage estimates.

    Uniforms are drawn in a fixed order, whatever the parameters, so two runs with the same
    seed share their random numbers (common random numbers make comparisons exact).
    """
    rng = np.random.default_rng(seed)
    shared = {name: rng.random(draws) for name in INPUTS if name != "base_rate"}
    x = _inputs(s, shared)
    probs = np.empty((len(RUNGS), draws))
    for i, rung in enumerate(RUNGS):
        u_base = rng.random(draws)
        if rung == "sabotage_europe":
            rate = _sabotage_rate(s, x, u_base)
            probs[i] = -np.expm1(-rate)
        else:
            k = s.hits[rung]
            base = rng.beta(s.prior_alpha + k, s.prior_beta + s.n_steps - k, size=draws)
            # a Beta draw can round to exactly 0 or 1; logit must stay finite
            base = np.clip(base, 1e-12, 1 - 1e-12)
            probs[i] = special.expit(special.logit(base) + _shift(s, x, rung))
    u_count = rng.random(draws)
    counts = stats.poisson.ppf(u_count, rate).astype(np.int64)
    # Rungs treated as independent given the inputs: P(this rung or any above it).
    none_above = np.cumprod((1.0 - probs)[::-1], axis=0)[::-1]
    return Simulation(probs, 1.0 - none_above, counts, rate)


def confidence(k: int, n: int, low: float, high: float) -> tuple[str, str]:
    """Analytic confidence, stated apart from the likelihood, with its reason."""
    if n < 5:
        return "low", f"only {n} past steps with a closed window"
    if k == 0:
        return "low", "never observed after a past step: the number rests on the prior"
    if high - low > 0.5:
        return "low", "the interval spans more than half the scale"
    return "moderate", f"observed after {k} of {n} past steps; sources agree on the events"


def summarise(sim: Simulation, s: Settings, interval_pct: float) -> pd.DataFrame:
    """Per rung: predictive probability, median and interval, ICD 203 word, confidence."""
    tail = (100.0 - interval_pct) / 2.0
    rows = []
    for i, rung in enumerate(RUNGS):
        p = sim.probabilities[i]
        lo, med, hi = np.percentile(p, [tail, 50.0, 100.0 - tail])
        above = sim.at_or_above[i]
        if rung == "sabotage_europe":
            k, n = None, None
            conf, why = (
                ("low", "annual tallies only, published later")
                if s.sabotage_year is None
                else ("moderate", f"rate from the {s.sabotage_year} tally of attacks")
            )
        else:
            k, n = s.hits[rung], s.n_steps
            conf, why = confidence(k, n, float(lo), float(hi))
        mean = float(p.mean())
        rows.append(
            {
                "rung": rung,
                "label": RUNG_LABELS[rung],
                "level": i + 1,
                "followed": k,
                "steps": n,
                "probability": mean,
                "median": float(med),
                "low": float(lo),
                "high": float(hi),
                "at_or_above": float(above.mean()),
                "word": likelihood_word(mean),
                "confidence": conf,
                "confidence_reason": why,
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
        "p_at_least_5": float((sim.sabotage_counts >= 5).mean()),
    }


def nuclear_use_bound(s: Settings, interval_pct: float) -> dict[str, float]:
    """What the record alone would say about nuclear use: 0 of n steps, a Beta posterior.

    This is an upper-bound illustration, not an estimate: nuclear use is driven by regime
    threat, not by the count of past weapon decisions, so the model does not forecast it.
    """
    n = s.n_steps
    a, b = s.prior_alpha, s.prior_beta + n
    upper = float(stats.beta.ppf(1.0 - (100.0 - interval_pct) / 200.0, a, b))
    return {
        "steps": n,
        "posterior_mean": a / (a + b),
        "upper": upper,
        "rule_of_three": 3.0 / n if n else float("nan"),
    }


# ----------------------------------------------------------------- sensitivity analysis


def focus_quantity(rung: str) -> str:
    """What the sensitivity analysis explains for a rung.

    At least one sabotage attack is near certain, so its probability hardly varies and its
    variance shares are noise; the expected number of attacks is explained instead.
    """
    return "expected attacks" if rung == "sabotage_europe" else "probability"


def _model(s: Settings, rung: str) -> Callable[[np.ndarray], np.ndarray]:
    """The focus quantity as a function of a (samples, len(INPUTS)) uniform matrix."""

    def f(u: np.ndarray) -> np.ndarray:
        # keep the Beta and Gamma quantiles finite at the edges of [0, 1)
        cols = {name: u[:, j] for j, name in enumerate(INPUTS)}
        cols["base_rate"] = np.clip(cols["base_rate"], 1e-9, 1 - 1e-9)
        if rung == "sabotage_europe":
            return _sabotage_rate(s, _inputs(s, cols), cols["base_rate"])
        return rung_probability(s, rung, cols)

    return f


def sobol_indices(
    f: Callable[[np.ndarray], np.ndarray],
    k: int,
    n: int,
    seed: int,
    resamples: int = 200,
) -> pd.DataFrame:
    """First-order (Saltelli 2010) and total (Jansen) Sobol indices of f on [0, 1)^k.

    Uses 2 + k blocks of n model runs; the 95% intervals come from bootstrapping the n rows.
    """
    rng = np.random.default_rng(seed)
    a = rng.random((n, k))
    b = rng.random((n, k))
    fa, fb = f(a), f(b)
    fab = np.empty((k, n))
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        fab[i] = f(ab)

    def estimate(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ya, yb, yab = fa[idx], fb[idx], fab[:, idx]
        var = np.var(np.concatenate([ya, yb], axis=-1), axis=-1)
        var = np.where(var > 0, var, np.nan)
        first = np.mean(yb * (yab - ya), axis=-1) / var
        total = 0.5 * np.mean((ya - yab) ** 2, axis=-1) / var
        return first, total

    s1, st = estimate(np.arange(n))
    boot = rng.integers(0, n, size=(resamples, n))
    ya, yb = fa[boot], fb[boot]  # (resamples, n)
    yab = fab[:, boot]  # (k, resamples, n)
    var = np.var(np.concatenate([ya, yb], axis=1), axis=1)
    var = np.where(var > 0, var, np.nan)
    b1 = np.mean(yb * (yab - ya), axis=2) / var
    bt = 0.5 * np.mean((ya - yab) ** 2, axis=2) / var
    return pd.DataFrame(
        {
            "s1": s1,
            "s1_low": np.nanpercentile(b1, 2.5, axis=1),
            "s1_high": np.nanpercentile(b1, 97.5, axis=1),
            "st": st,
            "st_low": np.nanpercentile(bt, 2.5, axis=1),
            "st_high": np.nanpercentile(bt, 97.5, axis=1),
        }
    )


def sensitivity(s: Settings, rung: str, samples: int, seed: int) -> pd.DataFrame:
    """Sobol indices of the focus rung's quantity (see focus_quantity) over every input."""
    table = sobol_indices(_model(s, rung), len(INPUTS), samples, seed)
    table.insert(0, "input", INPUTS)
    table.insert(1, "label", [INPUT_LABELS[i] for i in INPUTS])
    return table.sort_values("st", ascending=False).reset_index(drop=True)


def tornado(s: Settings, rung: str, quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """One input at a time from its low to its high quantile, the others at their medians."""
    f = _model(s, rung)
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
    return pd.DataFrame(rows).sort_values("swing", ascending=False).reset_index(drop=True)


# ----------------------------------------------------------------- one call for everything


@dataclass(frozen=True)
class Result:
    settings: Settings
    simulation: Simulation
    ladder: pd.DataFrame
    sabotage: dict[str, float]
    nuclear: dict[str, float]


TABLES = ("escalation_steps", "escalation_responses", "sabotage_incidents", "dprk_troops")


def run(
    params: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    as_of: date | str,
    seed: int,
    draws: int | None = None,
) -> Result:
    """The whole Monte Carlo from the chapter's parameters (draws defaults to params['draws'])."""
    s = settings(params, tables, as_of)
    sim = simulate(s, int(draws or params["draws"]), seed)
    interval = float(params["interval_pct"])
    return Result(
        s,
        sim,
        summarise(sim, s, interval),
        sabotage_summary(sim, interval),
        nuclear_use_bound(s, interval),
    )


def run_sensitivity(
    params: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    as_of: date | str,
    seed: int,
    samples: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol indices and tornado swings of the focus rung's quantity (see focus_quantity)."""
    s = settings(params, tables, as_of)
    rung = params["focus_rung"]
    return (
        sensitivity(s, rung, int(samples or params["sobol_samples"]), seed),
        tornado(s, rung),
    )
