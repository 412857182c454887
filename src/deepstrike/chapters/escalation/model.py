"""Escalation ladder: Beta-Binomial base rates per rung from the record of past Western steps,
adjusted for this step's features; a count model for sabotage; Sobol sensitivity (SALib)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
# Rungs whose base rate comes from the step/response history; sabotage comes from the tallies.
HISTORY_RUNGS = tuple(r for r in RUNGS if r != "sabotage_europe")
# Responses short of sabotage and of an attack on NATO: how Moscow "restores deterrence".
LOW_RUNGS = ("rhetoric", "nuclear_signalling", "demonstrative_strike", "intensified_strikes")

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
# Parameter pairs (x_low, x_high) behind each odds or rate ratio.
RATIO_PAIRS = {
    "depth_or": "depth_or_per_100km",
    "volume_or": "volume_or_per_doubling",
    "us_or": "us_or",
    "strength_or": "strength_or_per_doubling",
    "third_party_or": "third_party_or_per_10k",
    "sabotage_ratio": "sabotage_rate_ratio",
}

# Fewer closed steps than this and a base rate says little (confidence is low).
MIN_STEPS = 5
# The tornado moves one input between these quantiles, the others at their medians.
TORNADO_QUANTILES = (0.05, 0.95)
# Base samples of the smaller sensitivity run that finds the leading input of every rung.
LEADING_SAMPLES = 512
# Bootstrap resamples of SALib's confidence intervals.
SOBOL_RESAMPLES = 200
# The prior compared with the chosen one: uniform on [0, 1].
UNIFORM_PRIOR = (1.0, 1.0)
# The article's judgment ("no open conflict with NATO, but deterrence restored") read as
# numbers: an attack on NATO below the ceiling while some lower rung is likelier than the floor.
NATO_ATTACK_CEILING = 0.2
LOW_RUNG_FLOOR = 0.5
# The nuclear crisis of autumn 2022 (mobilisation, annexations, open nuclear threats).
NUCLEAR_CRISIS = (date(2022, 9, 1), date(2022, 11, 30))


# ----------------------------------------------------------------- evidence from the tables


@dataclass(frozen=True)
class Evidence:
    """What the (as-of filtered) tables say: the record of steps and the latest estimates."""

    steps: pd.DataFrame  # every step public by the as-of date
    closed: pd.DataFrame  # steps whose response window had ended by then
    outcomes: pd.DataFrame  # one row per closed step and history rung
    hits: dict[str, int]  # closed steps followed by a response at each history rung
    troops: tuple[float, float]  # North Korean troops in Kursk: low, high
    sabotage: pd.Series | None  # latest complete year of the chosen tally

    @property
    def n_steps(self) -> int:
        return len(self.closed)

    @property
    def mean_depth_km(self) -> float:
        return float(self.closed["depth_km"].mean()) if self.n_steps else 0.0

    @property
    def us_share(self) -> float:
        return float(self.closed["us_weapon"].mean()) if self.n_steps else 0.0

    @property
    def sabotage_year(self) -> int | None:
        return None if self.sabotage is None else int(self.sabotage["period_end"].year)

    @property
    def sabotage_count(self) -> tuple[float, float]:
        if self.sabotage is None:
            return 0.0, 0.0
        return float(self.sabotage["count_low"]), float(self.sabotage["count_high"])


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
    columns = ["step_id", "step_name", "date", "rung", "followed", "responses"]
    return pd.DataFrame(rows, columns=columns)


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


def evidence(
    p: EscalationParams, tables: Mapping[str, pd.DataFrame], as_of: date | str
) -> Evidence:
    """The record of steps and responses, the troop estimate and the sabotage tally."""
    steps = tables["escalation_steps"].sort_values("date").reset_index(drop=True)
    closed = closed_steps(steps, as_of, p.horizon_days)
    outcomes = step_outcomes(closed, tables["escalation_responses"], p.horizon_days)
    hits = {r: int(outcomes.loc[outcomes["rung"] == r, "followed"].sum()) for r in HISTORY_RUNGS}
    return Evidence(
        steps=steps,
        closed=closed,
        outcomes=outcomes,
        hits=hits,
        troops=troops_now(tables["dprk_troops"]),
        sabotage=sabotage_latest(tables["sabotage_incidents"], p.sabotage_tally),
    )


# ----------------------------------------------------------------- the model


def ranges(p: EscalationParams, e: Evidence) -> dict[str, tuple[float, float]]:
    """(low, high) of every uncertain input but the base rate: parameters and evidence."""
    out = {
        name: (float(getattr(p, f"{stem}_low")), float(getattr(p, f"{stem}_high")))
        for name, stem in RATIO_PAIRS.items()
    }
    out["troops"] = e.troops
    out["sabotage_count"] = e.sabotage_count
    return out


def _log_uniform(u: np.ndarray, low: float, high: float) -> np.ndarray:
    """Odds and rate ratios are spread evenly on the log scale between low and high."""
    return np.exp(np.log(low) + u * (np.log(high) - np.log(low)))


def _inputs(p: EscalationParams, e: Evidence, u: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Uncertain inputs from uniforms in [0, 1): the same uniforms give the same draws."""
    span = ranges(p, e)
    x = {name: _log_uniform(u[name], *span[name]) for name in RATIO_PAIRS}
    for name in ("troops", "sabotage_count"):
        low, high = span[name]
        x[name] = low + u[name] * (high - low)
    return x


def _shift(p: EscalationParams, e: Evidence, x: Mapping[str, np.ndarray], rung: str) -> np.ndarray:
    """Log-odds shift of a rung for this step's features relative to the past steps.

    Every provocation term is log(OR >= 1) times a feature that grows with the provocation,
    so a deeper, larger or more clearly American step never lowers any rung's probability.
    """
    depth = np.log(x["depth_or"]) * (p.depth_km - e.mean_depth_km) / 100.0
    volume = np.log(x["volume_or"]) * np.log2(p.volume_ratio)
    us = np.log(x["us_or"]) * (p.us_attribution - e.us_share)
    strength = np.log(x["strength_or"]) * np.log2(p.russian_strength) * STRENGTH_SIGN[rung]
    third = np.log(x["third_party_or"]) * x["troops"] / 10_000.0
    return depth + volume + us + strength + third


def _sabotage_rate(
    p: EscalationParams, e: Evidence, x: Mapping[str, np.ndarray], u_rate: np.ndarray
) -> np.ndarray:
    """Expected attacks over the horizon: Gamma posterior of the yearly rate (Jeffreys prior),
    scaled to the horizon, by the rate ratio and by this step's provocation."""
    yearly = stats.gamma.ppf(u_rate, a=x["sabotage_count"] + 0.5)
    return (
        yearly
        * p.horizon_days
        / 365.25
        * x["sabotage_ratio"]
        * np.exp(_shift(p, e, x, "sabotage_europe"))
    )


def rung_probability(
    p: EscalationParams, e: Evidence, rung: str, u: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Probability of a response at `rung` within the horizon, one value per row of uniforms."""
    x = _inputs(p, e, u)
    if rung == "sabotage_europe":
        return -np.expm1(-_sabotage_rate(p, e, x, u["base_rate"]))
    k = e.hits[rung]
    base = stats.beta.ppf(u["base_rate"], p.prior_alpha + k, p.prior_beta + e.n_steps - k)
    return special.expit(special.logit(base) + _shift(p, e, x, rung))


@dataclass(frozen=True)
class Simulation:
    probabilities: np.ndarray  # (rungs, draws), per RUNGS
    at_or_above: np.ndarray  # (rungs, draws): a response at this rung or any higher one
    sabotage_counts: np.ndarray  # (draws,) attacks in Europe over the horizon
    sabotage_rate: np.ndarray  # (draws,) expected attacks over the horizon


def simulate(p: EscalationParams, e: Evidence, draws: int, seed: int) -> Simulation:
    """Monte Carlo over the priors: base rates, effect sizes, troop and sabotage estimates.

    Uniforms are drawn in a fixed order and turned into draws by inversion, whatever the
    parameters, so two runs with the same seed share their random numbers (common random
    numbers make comparisons exact).
    """
    rng = np.random.default_rng(seed)
    shared = {name: rng.random(draws) for name in INPUTS if name != "base_rate"}
    x = _inputs(p, e, shared)
    probs = np.empty((len(RUNGS), draws))
    rate = np.zeros(draws)
    for i, rung in enumerate(RUNGS):
        u_base = rng.random(draws)
        if rung == "sabotage_europe":
            rate = _sabotage_rate(p, e, x, u_base)
            probs[i] = -np.expm1(-rate)
        else:
            k = e.hits[rung]
            # by inversion, so that one uniform gives one draw whatever the prior
            base = stats.beta.ppf(u_base, p.prior_alpha + k, p.prior_beta + e.n_steps - k)
            # a Beta quantile can round to exactly 0 or 1; logit must stay finite
            base = np.clip(base, 1e-12, 1 - 1e-12)
            probs[i] = special.expit(special.logit(base) + _shift(p, e, x, rung))
    u_count = rng.random(draws)
    counts = stats.poisson.ppf(u_count, rate).astype(np.int64)
    # Rungs treated as independent given the inputs: P(this rung or any above it).
    none_above = np.cumprod((1.0 - probs)[::-1], axis=0)[::-1]
    return Simulation(probs, 1.0 - none_above, counts, rate)


def confidence(k: int, n: int, low: float, high: float) -> tuple[str, str]:
    """Analytic confidence, stated apart from the likelihood, with the code of its reason."""
    if n < MIN_STEPS:
        return "low", "few_steps"
    if k == 0:
        return "low", "never_observed"
    if high - low > 0.5:
        return "low", "wide_interval"
    return "moderate", "observed"


def summarise(sim: Simulation, e: Evidence, interval_pct: float) -> pd.DataFrame:
    """Per rung: predictive probability, median and interval, ICD 203 word, confidence."""
    tail = (100.0 - interval_pct) / 2.0
    rows = []
    for i, rung in enumerate(RUNGS):
        prob = sim.probabilities[i]
        lo, med, hi = np.percentile(prob, [tail, 50.0, 100.0 - tail])
        if rung == "sabotage_europe":
            k, n = None, None
            conf, why = ("low", "no_tally") if e.sabotage is None else ("moderate", "tally")
        else:
            k, n = e.hits[rung], e.n_steps
            conf, why = confidence(k, n, float(lo), float(hi))
        mean = float(prob.mean())
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
                "at_or_above": float(sim.at_or_above[i].mean()),
                "word": likelihood_word(mean),
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

    At least one sabotage attack is near certain, so its probability hardly varies and its
    variance shares are noise; the expected number of attacks is explained instead.
    """
    return "expected attacks" if rung == "sabotage_europe" else "probability"


def _model(p: EscalationParams, e: Evidence, rung: str) -> Callable[[np.ndarray], np.ndarray]:
    """The focus quantity as a function of a (samples, len(INPUTS)) uniform matrix."""

    def f(u: np.ndarray) -> np.ndarray:
        # keep the Beta and Gamma quantiles finite at the edges of [0, 1]
        cols = {name: u[:, j] for j, name in enumerate(INPUTS)}
        cols["base_rate"] = np.clip(cols["base_rate"], 1e-9, 1 - 1e-9)
        if rung == "sabotage_europe":
            return _sabotage_rate(p, e, _inputs(p, e, cols), cols["base_rate"])
        return rung_probability(p, e, rung, cols)

    return f


def sobol_indices(
    f: Callable[[np.ndarray], np.ndarray], names: list[str], samples: int, seed: int
) -> pd.DataFrame:
    """First-order and total Sobol indices of f on [0, 1]^k, by SALib (Saltelli sampling on a
    scrambled Sobol' sequence; Saltelli 2010 and Jansen estimators) with bootstrap 95% intervals.

    `samples` is rounded up to a power of two, which the Sobol' sequence needs for balance.
    """
    n = 1 << max(int(samples) - 1, 1).bit_length()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    x = salib_sample.sample(problem, n, calc_second_order=False, seed=seed)
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
        problem, y, calc_second_order=False, num_resamples=SOBOL_RESAMPLES, seed=seed
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
    p: EscalationParams, e: Evidence, rung: str, samples: int, seed: int
) -> pd.DataFrame:
    """Sobol indices of the rung's focus quantity (see focus_quantity) over every input."""
    table = sobol_indices(_model(p, e, rung), list(INPUTS), samples, seed)
    table.insert(0, "input", INPUTS)
    table.insert(1, "label", [INPUT_LABELS[i] for i in INPUTS])
    return table.sort_values("st", ascending=False, kind="stable").reset_index(drop=True)


def tornado(
    p: EscalationParams, e: Evidence, rung: str, quantiles: tuple[float, float] = TORNADO_QUANTILES
) -> pd.DataFrame:
    """One input at a time from its low to its high quantile, the others at their medians."""
    f = _model(p, e, rung)
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


def leading_inputs(p: EscalationParams, e: Evidence, samples: int, seed: int) -> pd.DataFrame:
    """The input with the largest total Sobol index for every rung (a smaller run)."""
    rows = []
    for rung in RUNGS:
        top = sensitivity(p, e, rung, samples, seed).iloc[0]
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
    tallies: pd.DataFrame  # annual tallies of sabotage attacks (every tally)
    incidents: pd.DataFrame  # single sabotage incidents
    estimates: pd.DataFrame  # published estimates (reference points, not inputs)
    simulation: Simulation
    ladder: pd.DataFrame
    sabotage: dict[str, float]
    nuclear: dict[str, float]
    sobol: pd.DataFrame  # focus rung
    tornado: pd.DataFrame  # focus rung
    uniform_prior: pd.DataFrame  # the ladder again under a uniform Beta prior
    leading: pd.DataFrame  # per rung: the input with the largest total index


def analyse(
    params: EscalationParams,
    tables: Mapping[str, pd.DataFrame],
    as_of: date | str,
    seed: int,
) -> EscalationResult:
    """The ladder, sabotage forecast, nuclear bound and sensitivity analysis of this step."""
    e = evidence(params, tables, as_of)
    sim = simulate(params, e, params.draws, seed)
    uniform = params.model_copy(
        update={"prior_alpha": UNIFORM_PRIOR[0], "prior_beta": UNIFORM_PRIOR[1]}
    )
    sabotage = tables["sabotage_incidents"]
    return EscalationResult(
        params=params,
        as_of=pd.Timestamp(as_of).date(),
        evidence=e,
        responses=tables["escalation_responses"],
        tallies=sabotage[sabotage["record_type"] == "annual_tally"].reset_index(drop=True),
        incidents=sabotage[sabotage["record_type"] == "incident"].reset_index(drop=True),
        estimates=tables["escalation_estimates"],
        simulation=sim,
        ladder=summarise(sim, e, params.interval_pct),
        sabotage=sabotage_summary(sim, params.interval_pct),
        nuclear=nuclear_use_bound(params, e),
        sobol=sensitivity(params, e, params.focus_rung, params.sobol_samples, seed),
        tornado=tornado(params, e, params.focus_rung),
        uniform_prior=summarise(simulate(uniform, e, params.draws, seed), e, params.interval_pct),
        leading=leading_inputs(params, e, LEADING_SAMPLES, seed),
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


def key_numbers(r: EscalationResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    p, e, ladder = r.params, r.evidence, r.ladder.set_index("rung")
    prob = ladder["probability"]
    k: dict[str, Quantity] = {}

    def q(name: str, value: Any, unit: str, label: str, kind: str, digits: int = 0) -> None:
        k[name] = Quantity(value, unit, label, kind, digits)

    # --- the record
    period = record_period(e.closed["date"].dt.year)
    open_steps = e.steps.loc[~e.steps["step_id"].isin(e.closed["step_id"]), "step_name"]
    q("horizon_days", p.horizon_days, "days", "response window and forecast horizon", "days")
    q("interval_pct", p.interval_pct, "%", "width of the intervals shown", "number")
    q("n_steps", e.n_steps, "steps", "past steps with a closed window", "count")
    q("n_responses", len(r.responses), "responses", "Russian responses on record", "count")
    q("has_record", e.n_steps > 0, "", "some step's window had closed", "flag")
    q("record_period", period, "", "years of the closed steps", "text")
    q("open_steps", open_steps.tolist(), "", "steps whose window was still open", "names")
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
        q(
            f"p_{rung}_low",
            float(row["low"]),
            "probability",
            f"{label}: interval low",
            "probability",
        )
        q(
            f"p_{rung}_high",
            float(row["high"]),
            "probability",
            f"{label}: interval high",
            "probability",
        )
        q(f"confidence_{rung}", row["confidence"], "", f"confidence: {label}", "text")
        q(
            f"confidence_basis_{rung}",
            row["confidence_basis"],
            "",
            f"what the confidence rests on: {label}",
            "text",
        )
    for rung in HISTORY_RUNGS:
        q(f"followed_{rung}", e.hits[rung], "steps", f"closed steps followed by: {rung}", "count")
    q("min_steps", MIN_STEPS, "steps", "fewer closed steps than this: low confidence", "count")
    modal = max(LOW_RUNGS, key=lambda rung: prob[rung])
    q("likeliest_low_rung", modal, "", "likeliest response short of sabotage", "text")
    q("nato_attack_ceiling", NATO_ATTACK_CEILING, "probability", "the article's test", "share")
    q("low_rung_floor", LOW_RUNG_FLOOR, "probability", "the article's test", "share")
    q(
        "article_judgment_holds",
        bool(prob["attack_nato"] < NATO_ATTACK_CEILING and prob[modal] > LOW_RUNG_FLOOR),
        "",
        "no attack on NATO but deterrence restored: the article's judgment in these numbers",
        "flag",
    )
    q("confidence", ladder.loc["attack_nato", "confidence"], "", "confidence: NATO", "text")

    # --- depth of this step
    shift = p.depth_km - e.mean_depth_km
    q("depth_km", p.depth_km, "km", "how far inside Russia this step reaches", "km")
    q("mean_depth_km", e.mean_depth_km, "km", "average depth of the closed steps", "km")
    q("depth_shift_km", abs(shift), "km", "depth beyond (or short of) the average", "km")
    q("step_deeper", shift >= 0, "", "this step reaches deeper than the average", "flag")
    q(
        "depth_odds_multiplier",
        p.depth_or_per_100km_high ** (shift / 100.0),
        "ratio",
        "odds multiplier of every rung from depth, at the high effect",
        "ratio",
        2,
    )

    # --- sabotage
    latest = e.sabotage
    published = None if latest is None else published_on(latest)
    q("sabotage_tally", p.sabotage_tally.upper(), "", "tally the sabotage rate rests on", "text")
    q("has_sabotage_tally", latest is not None, "", "a tallied year was public", "flag")
    q("sabotage_year", e.sabotage_year, "", "latest tallied year", "text")
    q(
        "sabotage_tally_count",
        None if latest is None else float(latest["count_central"]),
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
        low, high = float(use["value_pct"].min()), float(use["value_pct"].max())
        peak = use.loc[use["value_pct"].idxmax()]
        peak_day = pd.Timestamp(peak["date"]).date()
        low_q = (low / 100, _decimals(low))
        high_q = (high / 100, _decimals(high))
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
    q("focus_is_history_rung", rung in HISTORY_RUNGS, "", "the focus rung has a base rate", "flag")
    q("top_driver", top["input"], "", f"largest total Sobol index for {rung}", "text")
    q("top_driver_label", top["label"], "", "that input, in words", "text")
    q("top_driver_st", float(top["st"]), "share of variance", "its total index", "share")
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
    uniform = r.uniform_prior.set_index("rung")["probability"]
    q(
        "prior_alpha",
        p.prior_alpha,
        "steps",
        "Beta prior: alpha",
        "number",
        _decimals(p.prior_alpha),
    )
    q("prior_beta", p.prior_beta, "steps", "Beta prior: beta", "number", _decimals(p.prior_beta))
    q("uniform_prior_alpha", UNIFORM_PRIOR[0], "steps", "uniform prior: alpha", "number")
    q("uniform_prior_beta", UNIFORM_PRIOR[1], "steps", "uniform prior: beta", "number")
    q(
        "p_focus_uniform_prior",
        float(uniform[rung]),
        "probability",
        "focus rung under the uniform prior",
        "probability",
    )

    # --- leading input of every rung (the smaller run)
    for row in r.leading.itertuples():
        q(f"leading_{row.rung}", row.input_label, "", f"leading input: {row.rung}", "text")
        q(f"leading_{row.rung}_st", row.st, "share of variance", "its total index", "share")
    return k
