"""Drone alternatives: cost per effective hit by depth band, saturation, reach, budget mix.

Cost per effective hit = unit cost / (P(arrive) x P(hit) x P(effect)), per Monte Carlo draw.
P(arrive) of a drone has an area component (a share of the raid lost to electronic warfare,
whatever the raid's size) and an engagement component (the defence engages at most a number of
weapons per raid and kills an engaged one with some probability); both are fitted to published
raid outcomes (Ukraine's record against Russian drones: an analogue). Systems are compared per
depth band, among those that reach the band; the budget LP buys only what Ukraine builds, and
donated missiles come on top as a supply limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from scipy.optimize import linprog

from deepstrike import geo
from deepstrike.chapters.drones.order_stats import interval_and_median, medians
from deepstrike.chapters.drones.params import DONATED_GROUPS, DronesParams
from deepstrike.language import Quantity

# Depth bands (km from the edge of Ukrainian-held ground): GMLRS depth, ATACMS/Storm Shadow
# depth, the drones' Moscow/Volga depth, and beyond 1,000 km (Tatarstan, the Urals, the Arctic).
DEPTH_BANDS_KM = (0.0, 80.0, 300.0, 1000.0, math.inf)
BAND_KEYS = ("near", "mid", "deep", "far")
BAND_LABELS = ("0–80 km", "80–300 km", "300–1,000 km", "1,000+ km")
# "Deep targets": refineries, Moscow's airports and strategic bomber bases (data/deep_targets).
DEEP_TYPES = ("refinery", "airport", "bomber_base")
HARDNESS = ("soft", "hard")
# Propeller drones with a central range of at least this many km count against the long-range
# production statements, shorter ones against the medium-range statements.
LONG_RANGE_KM = 1000.0
DRONE_CLASSES = ("long_range", "medium_range")
# Jet missile-drones and Ukrainian-made cruise missiles share one production class.
BUILT_MISSILE_CLASS = "missile_drone"
BUILT_CLASSES = (*DRONE_CLASSES, BUILT_MISSILE_CLASS)
CLASS_WORDS = {
    "long_range": "drones of 1,000 km or more",
    "medium_range": "drones of hundreds of km",
    "missile_drone": "missiles and missile-drones",
}
KIND_WORDS = {
    "capacity": "capacity claim",
    "plan": "plan",
    "target": "target",
    "actual": "reported output",
}
DELIVERED = ("delivered_batch", "delivered_total")
# Budgets of the sweep that shows how the mix shifts (USD per month).
SWEEP_BUDGETS_USD = np.geomspace(5e6, 2e9, 25)
# Largest raid of the saturation curve.
SATURATION_RAID_MAX = 400
# Built missiles take a share of a budget when they get more than this % of its spending.
ENTERS_PCT = 0.5
# Fewest raids with published outcomes for the fit; below it the priors stand.
MIN_RAIDS = 3
# Grid of the engagement fit: mean kill probability of an engaged drone, and capacity points
# (log-spaced between the prior's bounds).
KILL_GRID = np.linspace(0.005, 0.995, 100)
CAPACITY_POINTS = 100
# A record with no spread beyond the binomial would drive a beta-binomial's concentration to
# infinity; this cap keeps the raid-to-raid draws a distribution.
MAX_CONCENTRATION = 1e4
# A tiny price on spending in the LP objective: among the mixes with the most hits, the one that
# spends least (free donated weapons first, no money on hits a band cannot take).
SPEND_PENALTY_PER_USD = 1e-12
# A stated judgment, not a computation: the interception, accuracy and effect inputs are
# analogues (Russian weapons against Ukraine's defences) or priors, not measurements over Russia.
CONFIDENCE = "low"


# ---- systems -----------------------------------------------------------------------------


def prepare_systems(strike: pd.DataFrame, p: DronesParams, donated: set[str]) -> pd.DataFrame:
    """The chosen systems that are public, with flight profile, priors, supply and cap group.

    A value a source does not give comes from a stated prior, listed by the chapter: propeller
    drones from the drone prior, missiles, rockets and jet missile-drones from the missile prior.
    `donated` names the systems donors supply (data/donor_supply.csv); the others Ukraine builds.
    """
    order = {s: i for i, s in enumerate(p.systems)}
    chosen = strike[strike["system_id"].isin(p.systems)].copy()
    chosen = chosen.sort_values("system_id", key=lambda s: s.map(order)).reset_index(drop=True)
    ids = chosen["system_id"]
    propeller = ((chosen["system_class"] == "drone") & ~ids.isin(p.jet_drones)).to_numpy()
    chosen["profile"] = np.where(
        propeller,
        "drone",
        np.where(ids.isin(p.ballistic_systems), "ballistic", "cruise"),
    )
    priors = {
        "unit_cost_usd": (
            (p.drone_cost_usd_low, p.drone_cost_usd_mode, p.drone_cost_usd_high),
            (p.missile_cost_usd_low, p.missile_cost_usd_mode, p.missile_cost_usd_high),
            "cost_from",
        ),
        "payload_kg": (
            (
                p.drone_payload_kg_low,
                (p.drone_payload_kg_low + p.drone_payload_kg_high) / 2,
                p.drone_payload_kg_high,
            ),
            (
                p.missile_payload_kg_low,
                (p.missile_payload_kg_low + p.missile_payload_kg_high) / 2,
                p.missile_payload_kg_high,
            ),
            "payload_from",
        ),
    }
    for stem, (drone_prior, missile_prior, flag) in priors.items():
        missing = chosen[f"{stem}_central"].isna().to_numpy()
        chosen[flag] = np.where(
            missing, np.where(propeller, "drone prior", "missile prior"), "data"
        )
        for col, d, m in zip(("low", "central", "high"), drone_prior, missile_prior, strict=True):
            chosen.loc[missing & propeller, f"{stem}_{col}"] = d
            chosen.loc[missing & ~propeller, f"{stem}_{col}"] = m
        # A source that gives a central figure only: its ends are that figure.
        for col in ("low", "high"):
            chosen[f"{stem}_{col}"] = chosen[f"{stem}_{col}"].fillna(chosen[f"{stem}_central"])
    # A single published cost is one point, not a range: widen it by the stated spread.
    spread = p.cost_spread_pct / 100
    chosen["unit_cost_usd_low"] = np.minimum(
        chosen["unit_cost_usd_low"], chosen["unit_cost_usd_central"] * (1 - spread)
    )
    chosen["unit_cost_usd_high"] = np.maximum(
        chosen["unit_cost_usd_high"], chosen["unit_cost_usd_central"] * (1 + spread)
    )
    is_donated = ids.isin(donated).to_numpy()
    unknown = sorted(set(ids[is_donated]) - set(DONATED_GROUPS))
    if unknown:
        raise ValueError(f"donated systems without a supply prior: {', '.join(unknown)}")
    chosen["supply"] = np.where(is_donated, "donated", "built")
    long_range = chosen["range_km_central"].to_numpy() >= LONG_RANGE_KM
    chosen["cap_group"] = np.select(
        [is_donated, propeller & long_range, propeller],
        [ids.map(DONATED_GROUPS).fillna("").to_numpy(), "long_range", "medium_range"],
        BUILT_MISSILE_CLASS,
    )
    return chosen


def _uniform(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    """Uniform draws between low and high; equal ends (0.0 and -0.0 included) give that value."""
    return low + (high - low) * rng.random(size)


def _triangular(rng: np.random.Generator, low, mode, high, size) -> np.ndarray:  # noqa: ANN001
    low, mode, high = (np.asarray(v, float)[:, None] for v in (low, mode, high))
    u = rng.random((low.shape[0], size))
    width = np.where(high > low, high - low, 1.0)
    c = np.clip((mode - low) / width, 0.0, 1.0)
    left = low + np.sqrt(u * width * (mode - low).clip(0))
    right = high - np.sqrt((1 - u) * width * (high - mode).clip(0))
    out = np.where(u < c, left, right)
    return np.where(high > low, out, low)


# ---- air defence: area (electronic warfare) and engagement components ----------------------


def p_arrive(p_kill: Any, raid_size: Any, capacity: Any, ew_loss: Any = 0.0) -> np.ndarray:
    """Share of a raid that gets through: an area component and an engagement component.

    A share `ew_loss` of the raid is lost to electronic warfare over the defended area, whatever
    the raid's size. Of the rest, the defence engages at most `capacity` weapons and kills each
    engaged one with probability `p_kill`; weapons beyond the capacity are not engaged
    (saturation). Share through = (1 - ew) x (1 - p_kill x min(1, capacity / ((1 - ew) raid))).
    """
    ew = np.asarray(ew_loss, float)
    raid = np.maximum(np.asarray(raid_size, float), 1.0)
    flying = np.maximum((1.0 - ew) * raid, 1e-9)
    engaged = np.minimum(1.0, np.asarray(capacity, float) / flying)
    return (1.0 - ew) * (1.0 - np.asarray(p_kill, float) * engaged)


@dataclass
class AirDefence:
    """Draws of the drone air-defence components, and where they come from."""

    calibrated: bool
    why: str  # "record", "switched off" or "too few raids"
    ew: np.ndarray  # share of a drone raid lost to electronic warfare, per draw
    p_kill: np.ndarray  # chance an engaged drone is shot down, per draw
    capacity: np.ndarray  # weapons engaged per raid at most, per draw
    record: pd.DataFrame  # the raids with published outcomes, with the model's check if asked


def raid_record(raids: pd.DataFrame) -> pd.DataFrame:
    """Raids whose defender published launched, shot down and lost counts (Ukraine's record).

    Drones that left the defended airspace (or were still airborne at the report) are taken out
    of the raid; the rest were shot down, lost to electronic warfare, or got through.
    """
    ua = raids[raids["defender"] == "Ukraine"].copy()
    left = ua["drones_left_airspace"].fillna(0).astype(float)
    ua["n"] = (ua["drones_launched"].astype(float) - left).clip(lower=0).astype(int)
    ua["lost"] = ua["drones_lost_ew"].astype(int)
    ua["downed"] = ua["drones_downed"].astype(int)
    ua["through"] = (ua["n"] - ua["lost"] - ua["downed"]).clip(lower=0)
    ua = ua[ua["n"] > 0].reset_index(drop=True)
    ua["share_ew"] = ua["lost"] / ua["n"]
    flying = (ua["n"] - ua["lost"]).clip(lower=1)
    ua["share_downed_of_flying"] = ua["downed"] / flying
    ua["share_through"] = ua["through"] / ua["n"]
    return ua


def fit_beta_binomial(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood beta-binomial (a, b): a mean share and its raid-to-raid spread."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    mean = float(np.clip(k.sum() / max(n.sum(), 1.0), 1e-3, 1 - 1e-3))

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return float(-stats.betabinom.logpmf(k, n, a, b).sum())

    start = np.log([mean * 10.0, (1 - mean) * 10.0])
    res = optimize.minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000})
    a, b = np.exp(res.x)
    total = min(float(a + b), MAX_CONCENTRATION)
    share = float(a / (a + b))
    return share * total, (1 - share) * total


def engagement_posterior(
    downed: np.ndarray, flying: np.ndarray, kappa: float, capacity_bounds: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior weights over (mean kill probability, capacity per raid) from the raid record.

    Shot down ~ BetaBinomial(min(flying, capacity), mu x kappa, (1 - mu) x kappa) per raid, with
    a flat prior on mu and a log-uniform prior on the capacity between its stated bounds: a
    raid that shot down N drones rules out any capacity below N.
    """
    caps = np.geomspace(capacity_bounds[0], capacity_bounds[1], CAPACITY_POINTS)
    engaged = np.minimum(flying[None, :], np.floor(caps)[:, None])  # capacity x raid
    a = (KILL_GRID * kappa)[:, None, None]
    b = ((1 - KILL_GRID) * kappa)[:, None, None]
    k, n = downed[None, None, :], engaged[None, :, :]
    # The beta-binomial log-pmf written out (scipy.special), vectorised over the whole grid; a
    # capacity below what a raid shot down is impossible.
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = (
            special.gammaln(n + 1)
            - special.gammaln(k + 1)
            - special.gammaln(np.maximum(n - k, 0) + 1)
            + special.betaln(k + a, np.maximum(n - k, 0) + b)
            - special.betaln(a, b)
        )
    ll = np.where(k <= n, ll, -np.inf).sum(axis=2)
    if not np.isfinite(ll).any():
        # No capacity within the prior's bounds explains the record: keep the largest.
        ll = np.full_like(ll, -np.inf)
        ll[:, -1] = 0.0
    w = np.exp(ll - ll.max())
    return KILL_GRID, caps, w / w.sum()


def _prior_air(p: DronesParams, rng: np.random.Generator, draws: int) -> tuple[np.ndarray, ...]:
    ew = _uniform(rng, p.ew_loss_low, p.ew_loss_high, draws)
    kill = _uniform(rng, p.p_kill_drone_low, p.p_kill_drone_high, draws)
    lo, hi = np.log(p.defender_capacity_low), np.log(p.defender_capacity_high)
    capacity = np.exp(_uniform(rng, lo, hi, draws))
    return ew, kill, capacity


def _calibrated_air(
    record: pd.DataFrame, p: DronesParams, rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, ...]:
    n, lost, downed = (record[c].to_numpy(float) for c in ("n", "lost", "downed"))
    flying = n - lost
    a_ew, b_ew = fit_beta_binomial(lost, n)
    a_k, b_k = fit_beta_binomial(downed, flying)
    kappa = a_k + b_k
    mu, caps, w = engagement_posterior(
        downed, flying, kappa, (p.defender_capacity_low, p.defender_capacity_high)
    )
    cell = rng.choice(w.size, size=draws, p=w.ravel())
    i_mu, i_cap = np.unravel_index(cell, w.shape)
    # Spread each draw within its grid cell, so the draws are not lumped on grid points.
    half_mu = (mu[1] - mu[0]) / 2
    half_log = (np.log(caps[-1]) - np.log(caps[0])) / (2 * max(len(caps) - 1, 1))
    mean_kill = np.clip(mu[i_mu] + rng.uniform(-half_mu, half_mu, draws), 1e-4, 1 - 1e-4)
    capacity = np.clip(
        caps[i_cap] * np.exp(rng.uniform(-half_log, half_log, draws)),
        p.defender_capacity_low,
        p.defender_capacity_high,
    )
    # A new raid varies like the recorded ones: kill probability and EW share per raid.
    kill = rng.beta(mean_kill * kappa, (1 - mean_kill) * kappa)
    ew = rng.beta(a_ew, b_ew, draws)
    return ew, kill, capacity


def check_record(
    record: pd.DataFrame,
    ew: np.ndarray,
    kill: np.ndarray,
    capacity: np.ndarray,
    rng: np.random.Generator,
    interval_pct: float,
) -> pd.DataFrame:
    """The model's share getting through for each recorded raid, beside what was reported."""
    out = record.copy()
    lo_q, hi_q = (100 - interval_pct) / 2, 100 - (100 - interval_pct) / 2
    cols: dict[str, list[float]] = {"model_low": [], "model_median": [], "model_high": []}
    ew, kill, most = np.clip(ew, 0, 1), np.clip(kill, 0, 1), np.floor(capacity)
    for r in record.itertuples():
        lost = rng.binomial(r.n, ew)
        flying = r.n - lost
        engaged = np.minimum(flying, most).astype(int)
        downed = rng.binomial(engaged, kill)
        share = (flying - downed) / r.n
        lo, med, hi = np.percentile(share, [lo_q, 50, hi_q])
        cols["model_low"].append(float(lo))
        cols["model_median"].append(float(med))
        cols["model_high"].append(float(hi))
    for name, values in cols.items():
        out[name] = np.asarray(values, float)
    if len(out):
        out["inside"] = (out["share_through"] >= out["model_low"] - 1e-12) & (
            out["share_through"] <= out["model_high"] + 1e-12
        )
    else:
        out["inside"] = pd.Series(dtype=bool)
    return out


def air_defence(
    raids: pd.DataFrame,
    p: DronesParams,
    seed: int,
    calibrate: bool | None = None,
    check: bool = True,
):
    """Drone air-defence draws: fitted to the raid record when it is public and asked for.

    With `check`, each recorded raid gets the model's interval beside what was reported; the
    uncalibrated comparison run does not need it (its draws are the same either way)."""
    rng = np.random.default_rng([seed, 7])
    record = raid_record(raids)
    wanted = (p.air_defence_inputs == "record") if calibrate is None else calibrate
    use = wanted and len(record) >= MIN_RAIDS
    if use:
        ew, kill, capacity = _calibrated_air(record, p, rng, p.draws)
        why = "record"
    else:
        ew, kill, capacity = _prior_air(p, rng, p.draws)
        why = "switched off" if not wanted else "too few raids"
    if check:
        record = check_record(record, ew, kill, capacity, rng, p.interval_pct)
    return AirDefence(bool(use), why, ew, kill, capacity, record)


# ---- Monte Carlo of cost per effective hit ------------------------------------------------


def p_effect(payload_kg: np.ndarray, kg_scale: np.ndarray) -> np.ndarray:
    """Chance a hit achieves the intended effect: 1 - exp(-payload / scale).

    The scale is the payload that gives a 63% chance; it is small for soft targets (a
    distillation column, an aircraft in the open) and large for hard ones (shelters, bunkers).
    """
    return 1.0 - np.exp(-np.asarray(payload_kg, float) / np.asarray(kg_scale, float))


@dataclass
class DroneRun:
    """Per-system, per-draw inputs and results (arrays of shape systems x draws)."""

    systems: pd.DataFrame
    cost: np.ndarray
    payload: np.ndarray
    p_kill: np.ndarray
    p_arrive: np.ndarray
    p_hit: np.ndarray
    p_effect: dict[str, np.ndarray]
    cpeh: dict[str, np.ndarray]

    # Summaries of cpeh along the draws, by (hardness, interval): several tables read them.
    _spread: dict[tuple[str, float], tuple[np.ndarray, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def draws(self) -> int:
        return self.cost.shape[1]

    def spread(self, hardness: str, interval_pct: float) -> tuple[np.ndarray, ...]:
        """(low, median, high, interpolated median) of cost per effective hit, per system."""
        key = (hardness, float(interval_pct))
        if key not in self._spread:
            self._spread[key] = interval_and_median(self.cpeh[hardness], interval_pct)
        return self._spread[key]


def simulate(
    systems: pd.DataFrame,
    p: DronesParams,
    air: AirDefence,
    seed: int,
    like: DroneRun | None = None,
) -> DroneRun:
    """Cost per effective hit = unit cost / (P(arrive) x P(hit) x P(effect)), per draw.

    Uncertain inputs: unit cost and payload (triangular over low/central/high), the drone air
    defence (`air`: fitted or prior), the kill probability of an engaged missile by flight
    profile, the hit probability (drone or missile), and the payload scales of soft and hard
    targets. The air defence and the target scales are common to all systems in a draw (common
    random numbers), so systems are compared under the same conditions.

    `like` is a run of the same systems, parameters, seed and number of draws under another air
    defence. Every draw but the air defence's is then the one this run would make itself, so it
    is taken from there rather than drawn again: the comparison under the priors costs only the
    air-defence arithmetic, and its result is the same either way (a test holds it to that).
    """
    draws = len(air.ew)
    profile = systems["profile"].to_numpy()
    is_drone = (profile == "drone")[:, None]
    if like is None:
        cost, payload, missile_kill, p_hit, p_eff = _system_draws(systems, p, draws, seed)
    elif like.draws != draws or not like.systems["system_id"].equals(systems["system_id"]):
        raise ValueError("simulate(like=...) needs a run of the same systems and draws")
    else:
        # The drone rows of like.p_kill came from its air defence and are replaced below.
        cost, payload, missile_kill, p_hit, p_eff = (
            like.cost,
            like.payload,
            like.p_kill,
            like.p_hit,
            like.p_effect,
        )
    raid = np.where(is_drone[:, 0], p.raid_size_drone, p.salvo_size_missile)[:, None]
    p_kill = np.where(is_drone, air.p_kill[None, :], missile_kill)
    ew = np.where(is_drone, air.ew[None, :], 0.0)
    p_arr = p_arrive(p_kill, raid, air.capacity[None, :], ew)
    with np.errstate(divide="ignore"):
        cpeh = {h: cost / (p_arr * p_hit * p_eff[h]) for h in HARDNESS}
    return DroneRun(systems, cost, payload, p_kill, p_arr, p_hit, p_eff, cpeh)


def _system_draws(
    systems: pd.DataFrame, p: DronesParams, draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The draws that do not depend on the air defence: cost, payload, an engaged missile's
    kill probability, hit probability, and the chance of effect per target hardness."""
    rng = np.random.default_rng(seed)
    n = len(systems)
    cost = _triangular(
        rng,
        systems["unit_cost_usd_low"],
        systems["unit_cost_usd_central"],
        systems["unit_cost_usd_high"],
        draws,
    )
    payload = _triangular(
        rng,
        systems["payload_kg_low"],
        systems["payload_kg_central"],
        systems["payload_kg_high"],
        draws,
    )
    u_kill = rng.random((n, draws))
    u_hit = rng.random((n, draws))
    scales = {
        "soft": _uniform(rng, p.kg_soft_low, p.kg_soft_high, draws),
        "hard": _uniform(rng, p.kg_hard_low, p.kg_hard_high, draws),
    }
    kill = {
        "drone": (0.0, 0.0),  # drones: from the air-defence draws
        "cruise": (p.p_kill_cruise_low, p.p_kill_cruise_high),
        "ballistic": (p.p_kill_ballistic_low, p.p_kill_ballistic_high),
    }
    profile = systems["profile"].to_numpy()
    propeller = (systems["system_class"] == "drone").to_numpy()
    kill_lo = np.array([kill[x][0] for x in profile], float)[:, None]
    kill_hi = np.array([kill[x][1] for x in profile], float)[:, None]
    hit_lo = np.where(propeller, p.p_hit_drone_low, p.p_hit_missile_low)[:, None]
    hit_hi = np.where(propeller, p.p_hit_drone_high, p.p_hit_missile_high)[:, None]
    missile_kill = kill_lo + (kill_hi - kill_lo) * u_kill
    p_hit = hit_lo + (hit_hi - hit_lo) * u_hit
    p_eff = {h: p_effect(payload, scales[h][None, :]) for h in HARDNESS}
    return cost, payload, missile_kill, p_hit, p_eff


def cpeh_summary(run: DroneRun, interval_pct: float) -> pd.DataFrame:
    """Median and interval of cost per effective hit, per system and target hardness."""
    rows = []
    if len(run.systems):
        # One median per system along the draws, shared by both hardnesses.
        p_arrive, p_hit, unit_cost = (medians(v) for v in (run.p_arrive, run.p_hit, run.cost))
    for h in HARDNESS:
        if not len(run.systems):
            continue
        lo, med, hi, _ = run.spread(h, interval_pct)
        p_eff = medians(run.p_effect[h])
        for i, s in enumerate(run.systems.itertuples()):
            rows.append(
                {
                    "system_id": s.system_id,
                    "system_name": s.system_name,
                    "system_class": s.system_class,
                    "hardness": h,
                    "median_usd": med[i],
                    "low_usd": lo[i],
                    "high_usd": hi[i],
                    "p_arrive": float(p_arrive[i]),
                    "p_hit": float(p_hit[i]),
                    "p_effect": float(p_eff[i]),
                    "unit_cost_usd": float(unit_cost[i]),
                    "cost_from": s.cost_from,
                    "payload_from": s.payload_from,
                    "supply": s.supply,
                }
            )
    columns = ["system_id", "system_name", "system_class", "hardness", "median_usd", "low_usd"]
    return pd.DataFrame(rows, columns=None if rows else columns)


def _by_distinct_row(values: np.ndarray, summarise: Any) -> list[np.ndarray]:
    """summarise(rows) -> per-row summaries, computed once per run of equal adjacent rows.

    Raids too small to saturate any draw's defence give the same row bit for bit (the whole
    raid is engaged), so about half the saturation grid needs no sort of its draws."""
    if not len(values):
        return list(summarise(values))
    new_row = np.ones(len(values), bool)
    new_row[1:] = (values[1:] != values[:-1]).any(axis=1)
    owner = np.cumsum(new_row) - 1
    return [np.asarray(s)[owner] for s in summarise(values[new_row])]


def saturation_grid(raid_max: int = SATURATION_RAID_MAX) -> np.ndarray:
    return np.unique(np.geomspace(1, raid_max, 40).round().astype(int))


def saturation_curve(
    air: AirDefence, prior: AirDefence, raid_sizes: np.ndarray, interval_pct: float
) -> pd.DataFrame:
    """Share of a drone raid getting through against raid size: median and interval of the
    draws, and the median under the uncalibrated priors."""
    raids = np.asarray(raid_sizes, int)
    # All raid sizes at once (sizes x draws): one partition per summary instead of one per size.
    arr = p_arrive(air.p_kill[None, :], raids[:, None], air.capacity[None, :], air.ew[None, :])
    base = p_arrive(
        prior.p_kill[None, :], raids[:, None], prior.capacity[None, :], prior.ew[None, :]
    )
    lo, med, hi, _ = _by_distinct_row(arr, lambda x: interval_and_median(x, interval_pct))
    (prior_median,) = _by_distinct_row(base, lambda x: [medians(x)])
    return pd.DataFrame(
        {
            "raid_size": raids.astype(int),
            "p_arrive": med.astype(float),
            "low": lo.astype(float),
            "high": hi.astype(float),
            "prior": prior_median.astype(float),
        },
        columns=["raid_size", "p_arrive", "low", "high", "prior"],
    )


# ---- targets and reach --------------------------------------------------------------------


def target_set(
    targets: pd.DataFrame, deep_targets: pd.DataFrame, parts: list[np.ndarray]
) -> pd.DataFrame:
    """Both target tables with each target's distance to held ground and depth band.

    A bomber base in both tables (same id) keeps its deep_targets row; `deep` marks the deep
    targets: refineries, Moscow's airports and strategic bomber bases.
    """
    cols = ["target_id", "name", "target_type", "region", "lat", "lon"]
    deep = deep_targets[cols].assign(table="deep_targets")
    if deep["target_id"].duplicated().any():
        raise ValueError("duplicate target ids in deep_targets")
    near = targets.loc[~targets["target_id"].isin(deep["target_id"]), cols]
    both = pd.concat([near.assign(table="targets"), deep], ignore_index=True)
    if both["target_id"].duplicated().any():
        dup = ", ".join(both.loc[both["target_id"].duplicated(), "target_id"])
        raise ValueError(f"duplicate target ids: {dup}")
    both["deep"] = (both["table"] == "deep_targets") & both["target_type"].isin(DEEP_TYPES)
    both["line_distance_km"] = geo.distance_to_held_km(both["lat"], both["lon"], parts)
    both["band"] = pd.cut(
        both["line_distance_km"], DEPTH_BANDS_KM, labels=BAND_LABELS, right=False
    ).astype(str)
    return both


def standoffs(systems: pd.DataFrame, launch: Any) -> dict[str, float]:
    """Standoff behind the line of each system, from its launcher type (shared geometry)."""
    return {
        s: launch.standoff_km(k)
        for s, k in zip(systems["system_id"], systems["launcher"], strict=True)
    }


in_reach = geo.in_reach


def reach_table(
    targets: pd.DataFrame, systems: pd.DataFrame, standoff_km: dict[str, float]
) -> pd.DataFrame:
    """Targets in reach per system, by depth band and target type (central range; low/high too)."""
    rows = []
    for s in systems.itertuples():
        for (band, kind), part in targets.groupby(["band", "target_type"]):
            d = part["line_distance_km"].to_numpy()
            rows.append(
                {
                    "system_id": s.system_id,
                    "system_name": s.system_name,
                    "system_class": s.system_class,
                    "band": band,
                    "target_type": kind,
                    "n_targets": len(part),
                    "n_deep": int(part["deep"].sum()),
                    "n_reach": int(in_reach(d, s.range_km_central, standoff_km[s.system_id]).sum()),
                    "n_reach_deep": int(
                        in_reach(
                            d[part["deep"].to_numpy()],
                            s.range_km_central,
                            standoff_km[s.system_id],
                        ).sum()
                    ),
                    "n_reach_low": int(in_reach(d, s.range_km_low, standoff_km[s.system_id]).sum()),
                    "n_reach_high": int(
                        in_reach(d, s.range_km_high, standoff_km[s.system_id]).sum()
                    ),
                }
            )
    columns = [
        "system_id",
        "system_name",
        "system_class",
        "band",
        "target_type",
        "n_targets",
        "n_deep",
        "n_reach",
        "n_reach_deep",
        "n_reach_low",
        "n_reach_high",
    ]
    return pd.DataFrame(rows, columns=columns)


def beyond_reach(
    targets: pd.DataFrame, strike: pd.DataFrame, standoff_km: dict[str, float]
) -> pd.DataFrame:
    """Targets that no public system reaches (central range, own standoff): listed apart."""
    d = targets["line_distance_km"].to_numpy()
    reached = np.zeros(len(targets), bool)
    for s in strike.itertuples():
        reached |= in_reach(d, s.range_km_central, standoff_km[s.system_id])
    return targets[~reached].sort_values("line_distance_km").reset_index(drop=True)


def reach_curve(
    targets: pd.DataFrame, launch_depth_km: float, max_km: float = 2000.0
) -> pd.DataFrame:
    """Share of targets within each range (0..max_km), overall and per target type."""
    grid = np.arange(0.0, max_km + 1, 10.0)
    out = {"range_km": grid}
    groups = {"all": targets, **dict(tuple(targets.groupby("target_type")))}
    for name, part in groups.items():
        d = np.sort(part["line_distance_km"].to_numpy() + launch_depth_km)
        out[name] = 100 * np.searchsorted(d, grid, side="right") / max(len(d), 1)
    return pd.DataFrame(out)


# ---- the comparison per depth band ---------------------------------------------------------


def band_reach(reach: pd.DataFrame, systems: pd.DataFrame) -> pd.DataFrame:
    """Per chosen system and band: targets in the band and how many it reaches."""
    by = reach.groupby(["system_id", "band"], as_index=False)[["n_targets", "n_reach"]].sum()
    grid = pd.MultiIndex.from_product(
        [systems["system_id"], BAND_LABELS], names=["system_id", "band"]
    )
    by = by.set_index(["system_id", "band"]).reindex(grid, fill_value=0).reset_index()
    return by


def _cheapest(median: np.ndarray, mask: np.ndarray) -> int | None:
    """Index of the lowest median among the systems in `mask`, or None."""
    if not mask.any():
        return None
    idx = np.flatnonzero(mask)
    return int(idx[np.argmin(median[idx])])


def band_comparison(
    run: DroneRun, breach: pd.DataFrame, targets: pd.DataFrame, interval_pct: float
) -> pd.DataFrame:
    """Per band and target hardness: who reaches it, the cheapest of each class, the verdict.

    Only systems that reach at least one target of the band take part; the verdict is the
    cheaper class at the median ("drone" or "missile"), or which class alone reaches the band.
    """
    systems = run.systems
    ids = systems["system_id"].to_numpy()
    is_drone = (systems["system_class"] == "drone").to_numpy()
    names = systems["system_name"].map(short_name).to_numpy()
    # The draws' summaries do not depend on the band: computed once per hardness.
    spread = {}
    for h in HARDNESS:
        if len(ids):
            lo, _, hi, med = run.spread(h, interval_pct)
        else:
            lo = med = hi = np.zeros(0)
        spread[h] = (med, lo, hi)
    shares: dict[tuple[str, bytes, bytes], float] = {}
    rows = []
    for band in BAND_LABELS:
        part = breach[breach["band"] == band].set_index("system_id")
        reaches = np.array(
            [bool(part.loc[s, "n_reach"] > 0) if s in part.index else False for s in ids], bool
        )
        n_targets = int((targets["band"] == band).sum())
        for h in HARDNESS:
            cpeh = run.cpeh[h]
            med, lo, hi = spread[h]
            d_mask, m_mask = reaches & is_drone, reaches & ~is_drone

            bd, bm, ba = (_cheapest(med, mask) for mask in (d_mask, m_mask, reaches))
            if ba is None:
                verdict = "none"
            elif bm is None:
                verdict = "only_drones"
            elif bd is None:
                verdict = "only_missiles"
            else:
                verdict = "drone" if med[bd] < med[bm] else "missile"
            share = None
            if bd is not None and bm is not None:
                # bands reached by the same systems share the answer: computed once per set
                key = (h, d_mask.tobytes(), m_mask.tobytes())
                if key not in shares:
                    cheaper = cpeh[d_mask].min(axis=0) < cpeh[m_mask].min(axis=0)
                    shares[key] = float(cheaper.mean())
                share = shares[key]

            def usd(i: int | None, values: np.ndarray = med) -> float | None:
                return None if i is None or not np.isfinite(values[i]) else float(values[i])

            winner = {"drone": bd, "missile": bm}.get(verdict, ba)
            ratio = None
            if usd(bd) is not None and usd(bm) is not None and med[bd] > 0:
                ratio = float(med[bm] / med[bd])
            rows.append(
                {
                    "band": band,
                    "hardness": h,
                    "n_targets": n_targets,
                    "systems": [names[i] for i in np.flatnonzero(reaches)],
                    "system_ids": [ids[i] for i in np.flatnonzero(reaches)],
                    "verdict": verdict,
                    "best": None if ba is None else names[ba],
                    "best_id": None if ba is None else ids[ba],
                    "best_usd": usd(ba),
                    "best_low_usd": usd(ba, lo),
                    "best_high_usd": usd(ba, hi),
                    "best_drone": None if bd is None else names[bd],
                    "drone_usd": usd(bd),
                    "best_missile": None if bm is None else names[bm],
                    "missile_usd": usd(bm),
                    "ratio": ratio,
                    "share_drone_cheaper": share,
                    "winner_priced_by_prior": bool(
                        winner is not None and systems["cost_from"].iloc[winner] != "data"
                    ),
                }
            )
    return pd.DataFrame(rows)


def ledger(
    strike: pd.DataFrame,
    p: DronesParams,
    systems: pd.DataFrame,
    breach: pd.DataFrame,
    standoff_km: dict[str, float],
) -> pd.DataFrame:
    """Every system with data, and every chosen one: compared, or left out and why."""
    public = list(strike["system_id"])
    names = dict(zip(strike["system_id"], strike["system_name"].map(short_name), strict=True))
    chosen = set(systems["system_id"])
    reached = breach[breach["n_reach"] > 0].groupby("system_id")["band"].apply(list)
    prepared = systems.set_index("system_id")
    rows = []
    for sid in [*public, *[s for s in p.systems if s not in public]]:
        bands = [b for b in BAND_LABELS if b in reached.get(sid, [])]
        if sid not in public:
            status, reason = "left out", "not public on the as-of date"
        elif sid not in chosen:
            status, reason = "left out", "left out by this scenario (drones.systems)"
        elif not bands:
            status = "left out"
            reason = f"reaches no target from launchers {standoff_km[sid]:g} km behind the line"
        else:
            status, reason = "compared", ""
        row = prepared.loc[sid] if sid in prepared.index else None
        rows.append(
            {
                "system_id": sid,
                "name": names.get(sid, sid),
                "public": sid in public,
                "status": status,
                "reason": reason,
                "bands": bands,
                "cost_from": None if row is None else row["cost_from"],
                "payload_from": None if row is None else row["payload_from"],
                "supply": None if row is None else row["supply"],
                "cap_group": None if row is None else row["cap_group"],
            }
        )
    return pd.DataFrame(rows)


# ---- production, donated supply and the budget mix -----------------------------------------


def production_caps(production: pd.DataFrame, as_of: Any, p: DronesParams) -> pd.DataFrame:
    """Monthly output per production class: a range from the statements public on the as-of date.

    Statements whose period covers the as-of date count (else the latest one); a statement that
    gives only a floor ('more than X') runs from X to `open_ended_ratio` times X. The range runs
    from the lowest reading to the highest; the central value is the latest statement's. Each
    statement keeps its kind (capacity claim, plan, target): all are Ukrainian officials' claims.
    Without a statement, drones get none; missiles and missile-drones get the stated prior.
    """
    cutoff = pd.Timestamp(as_of)
    known = production[production["statement_date"] <= cutoff]
    rows = []
    for cat in BUILT_CLASSES:
        # The multiplier scales drone output only; missiles and missile-drones keep theirs.
        m = p.drone_output_multiplier if cat in DRONE_CLASSES else 1.0
        part = known[known["category"] == cat]
        if part.empty:
            if cat == BUILT_MISSILE_CLASS:
                lo, hi = p.built_missile_per_month_low, p.built_missile_per_month_high
                rows.append(_cap_row(cat, "prior", m * lo, m * (lo + hi) / 2, m * hi, [], False))
            else:
                rows.append(_cap_row(cat, "none", 0.0, 0.0, 0.0, [], False))
            continue
        covering = part[(part["period_start"] <= cutoff) & (part["period_end"] >= cutoff)]
        stale = covering.empty
        use = (
            covering if not stale else part[part["statement_date"] == part["statement_date"].max()]
        )
        use = use.sort_values("statement_date")
        months = ((use["period_end"] - use["period_start"]).dt.days / 30.4375).clip(lower=1.0)
        low = use["units_low"] / months
        high = use["units_high"].fillna(use["units_low"] * p.open_ended_ratio) / months
        central = float(
            np.clip(use["units_central"].iloc[-1] / months.iloc[-1], low.min(), high.max())
        )
        labels = [
            f"{KIND_WORDS.get(r.kind, r.kind)} of {pd.Timestamp(r.statement_date):%-d %B %Y}"
            for r in use.itertuples()
        ]
        rows.append(
            _cap_row(cat, "statement", m * low.min(), m * central, m * high.max(), labels, stale)
        )
    return pd.DataFrame(rows)


def _cap_row(group, basis, low, central, high, labels, stale) -> dict[str, Any]:  # noqa: ANN001
    return {
        "cap_group": group,
        "supply": "built",
        "basis": basis,
        "low": float(low),
        "central": float(central),
        "high": float(high),
        "statements": list(labels),
        "stale": bool(stale),
        "record_per_month": None,
        "record_partial": False,
    }


def donated_supply(
    donor: pd.DataFrame, systems: pd.DataFrame, p: DronesParams, as_of: Any
) -> pd.DataFrame:
    """Monthly supply of each donated group: the stated prior, with the delivery record beside.

    The record rate is what was reported delivered (central values) over the months from the
    first reported delivery to the as-of date; a donor that never published numbers adds none.
    """
    cutoff = pd.Timestamp(as_of)
    groups = [g for g in dict.fromkeys(systems.loc[systems["supply"] == "donated", "cap_group"])]
    rows = []
    for group in groups:
        ids = [s for s, g in DONATED_GROUPS.items() if g == group]
        part = donor[donor["system_id"].isin(ids)]
        reported = part[part["quantity"].isin(DELIVERED)]
        delivered = reported[reported["value_central"].notna()]
        record = None
        if len(delivered):
            months = max((cutoff - delivered["period_start"].min()).days / 30.4375, 1.0)
            record = float(delivered["value_central"].sum()) / months
        output = part[part["quantity"] == "production_rate"]["value_central"]
        stock = part[part["quantity"].isin(("stock", "produced_total"))]["value_central"]
        lo, hi = p.donated_prior(group)
        rows.append(
            {
                "cap_group": group,
                "supply": "donated",
                "basis": "prior",
                "low": float(lo),
                "central": float((lo + hi) / 2),
                "high": float(hi),
                "statements": [],
                "stale": False,
                "record_per_month": record,
                # Some donor delivered without publishing a number: the record is a floor.
                "record_partial": bool(reported["value_central"].isna().any()),
                "donor_output_per_month": float(output.max()) / 12 if len(output) else None,
                "donor_stock": float(stock.max()) if len(stock) else None,
                "donors": sorted(set(part["donor"])),
            }
        )
    return pd.DataFrame(rows)


def hits_per_weapon(
    run: DroneRun, targets: pd.DataFrame, hard_share: float, standoff_km: dict[str, float]
) -> pd.DataFrame:
    """Expected effective hits per weapon fired at a band (zero where the band is out of reach).

    A weapon aimed at a band goes to a target it can reach; the share of the band's targets in
    reach scales its value (a band mostly out of range is mostly unavailable to it).
    """
    p_eff = (1 - hard_share) * run.p_effect["soft"] + hard_share * run.p_effect["hard"]
    per_shot = (run.p_arrive * run.p_hit * p_eff).mean(axis=1)
    rows = []
    for i, s in enumerate(run.systems.itertuples()):
        for band in BAND_LABELS:
            d = targets.loc[targets["band"] == band, "line_distance_km"].to_numpy()
            inside = in_reach(d, s.range_km_central, standoff_km[s.system_id])
            share = inside.mean() if len(d) else 0.0
            rows.append({"system_id": s.system_id, "band": band, "hits": per_shot[i] * share})
    return pd.DataFrame(rows, columns=["system_id", "band", "hits"])


def _mix_inputs(run: DroneRun, hits: pd.DataFrame, targets: pd.DataFrame) -> dict[str, Any]:
    """What every budget's linear programme shares: hits per weapon and band, prices, limits."""
    systems = run.systems
    e = (
        hits.pivot(index="system_id", columns="band", values="hits")
        .reindex(index=systems["system_id"], columns=list(BAND_LABELS))
        .fillna(0.0)
        .to_numpy()
    )
    donated = (systems["supply"] == "donated").to_numpy()
    return {
        "e": e,
        "donated": donated,
        "pay": np.where(donated, 0.0, run.cost.mean(axis=1)),
        "groups": systems["cap_group"].to_numpy(),
        "n_targets": targets["band"].value_counts().reindex(BAND_LABELS, fill_value=0).to_numpy(),
    }


def budget_mix(
    run: DroneRun,
    hits: pd.DataFrame,
    targets: pd.DataFrame,
    cap: dict[str, float],
    budget_usd: float,
    hits_per_target: float,
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The mix of weapons (per month) that maximises expected effective hits (linear programme).

    Variables x[s, b] >= 0: weapons of system s fired at depth band b. Constraints: what Ukraine
    buys or builds costs at most the budget (donated weapons cost the budget nothing); each cap
    group (a production class, or a donated supply) within its monthly cap; hits on each band
    at most hits_per_target x targets in the band (beyond that, more hits on the same targets
    add nothing). Among the mixes with the most hits the cheapest is taken.
    """
    n_s, n_b = len(run.systems), len(BAND_LABELS)
    if n_s == 0:
        return {
            "x": np.zeros((0, n_b)),
            "weapons": np.zeros(0),
            "spend_usd": np.zeros(0),
            "hits": 0.0,
            "hits_budget": 0.0,
            "hits_donated": 0.0,
            "hits_by_band": np.zeros(n_b),
            "spent_usd": 0.0,
        }
    inputs = inputs or _mix_inputs(run, hits, targets)
    e, pay, donated = inputs["e"], inputs["pay"], inputs["donated"]
    c = -e.ravel() + SPEND_PENALTY_PER_USD * np.repeat(pay, n_b)
    a_ub, b_ub = [np.repeat(pay, n_b)], [budget_usd]
    for group, limit in cap.items():
        a_ub.append(np.repeat((inputs["groups"] == group).astype(float), n_b))
        b_ub.append(limit)
    for j in range(n_b):
        row = np.zeros((n_s, n_b))
        row[:, j] = e[:, j]
        a_ub.append(row.ravel())
        b_ub.append(hits_per_target * inputs["n_targets"][j])
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"budget mix: linear programme failed ({res.message})")
    x = res.x.reshape(n_s, n_b)
    x[x < 1e-9] = 0.0
    by_system = (x * e).sum(axis=1)
    return {
        "x": x,
        "weapons": x.sum(axis=1),
        "spend_usd": x.sum(axis=1) * pay,
        "hits": float(by_system.sum()),
        "hits_budget": float(by_system[~donated].sum()),
        "hits_donated": float(by_system[donated].sum()),
        "hits_by_band": (x * e).sum(axis=0),
        "spent_usd": float((x.sum(axis=1) * pay).sum()),
    }


def budget_sweep(
    run: DroneRun,
    hits: pd.DataFrame,
    targets: pd.DataFrame,
    cap: dict[str, float],
    budgets_usd: np.ndarray,
    hits_per_target: float,
) -> pd.DataFrame:
    """The optimal mix at each budget: weapons, spend and hits per system."""
    systems = run.systems
    inputs = _mix_inputs(run, hits, targets) if len(systems) else None
    parts = []
    for budget in budgets_usd:
        mix = budget_mix(run, hits, targets, cap, float(budget), hits_per_target, inputs)
        parts.append(
            pd.DataFrame(
                {
                    "budget_usd": float(budget),
                    "system_id": systems["system_id"].to_numpy(),
                    "system_name": systems["system_name"].to_numpy(),
                    "system_class": systems["system_class"].to_numpy(),
                    "cap_group": systems["cap_group"].to_numpy(),
                    "supply": systems["supply"].to_numpy(),
                    "weapons": mix["weapons"],
                    "spend_usd": mix["spend_usd"],
                    "total_hits": mix["hits"],
                    "budget_hits": mix["hits_budget"],
                    "donated_hits": mix["hits_donated"],
                }
            )
        )
    columns = [
        "budget_usd",
        "system_id",
        "system_name",
        "system_class",
        "cap_group",
        "supply",
        "weapons",
        "spend_usd",
        "total_hits",
        "budget_hits",
        "donated_hits",
    ]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    out = out[columns]
    total = out.groupby("budget_usd")["spend_usd"].transform("sum")
    out["spend_share_pct"] = np.where(
        total > 0, 100 * out["spend_usd"] / total.where(total > 0, 1), 0
    )
    return out


# ---- the whole chapter model ------------------------------------------------------------


@dataclass
class DronesResult:
    """What the chapter's figures and key numbers need, from one analysis."""

    params: DronesParams
    as_of: date
    strike_systems: pd.DataFrame  # every public system (reach counts and the reach chart)
    systems: pd.DataFrame  # the chosen systems that are public, prepared
    left_out: list[str]  # chosen systems not yet public on the as-of date
    ledger: pd.DataFrame  # every system: compared, or left out with its reason
    air: AirDefence
    prior_air: AirDefence  # the uncalibrated priors, for comparison
    run: DroneRun
    cpeh: pd.DataFrame
    eligible: np.ndarray  # per chosen system: reaches at least one target
    bands: pd.DataFrame  # the comparison per depth band and hardness
    bands_prior: pd.DataFrame  # the same under the uncalibrated air-defence priors
    band_reach: pd.DataFrame
    edge: dict  # the edge of held ground depths are measured from (geo.held_edge)
    standoff_km: dict[str, float]  # per system, from its launcher type
    targets: pd.DataFrame
    beyond: pd.DataFrame  # targets no public system reaches
    reach: pd.DataFrame
    reach_curve: pd.DataFrame
    saturation: pd.DataFrame
    production: pd.DataFrame
    caps_table: pd.DataFrame  # production classes and donated groups: low/central/high a month
    caps: dict[str, float]  # central monthly caps used by the LP
    hits: pd.DataFrame
    mix: dict[str, Any]
    mix_low: dict[str, Any]  # every cap at its low end
    mix_high: dict[str, Any]  # every cap at its high end
    sweep: pd.DataFrame
    donor_supply: pd.DataFrame
    raids: pd.DataFrame
    claims: pd.DataFrame
    strikes: pd.DataFrame
    refinery_offline: pd.DataFrame
    funding: pd.DataFrame

    @property
    def budget_usd(self) -> float:
        return self.params.budget_usd_m_per_month * 1e6


def analyse(
    params: DronesParams, tables: dict[str, pd.DataFrame], as_of: date | str, seed: int
) -> DronesResult:
    """Everything the chapter shows, from tables already filtered to the as-of date."""
    p = params
    day = pd.Timestamp(as_of).date()
    strike = tables["strike_systems"]
    public = set(strike["system_id"])
    donor = tables["donor_supply"]
    systems = prepare_systems(strike, p, set(donor["system_id"]))
    air = air_defence(tables["raid_outcomes"], p, seed)
    prior_air = air_defence(tables["raid_outcomes"], p, seed, calibrate=False, check=False)
    run = simulate(systems, p, air, seed)
    edge = geo.held_edge(tables["front_line"], as_of)
    targets = target_set(tables["targets"], tables["deep_targets"], edge["parts"])
    standoff = standoffs(strike, p.launch)
    reach = reach_table(targets, strike, standoff)
    breach = band_reach(reach, systems)
    reached = breach.groupby("system_id")["n_reach"].sum()
    eligible = systems["system_id"].map(reached).fillna(0).to_numpy() > 0
    bands = band_comparison(run, breach, targets, p.interval_pct)
    bands_prior = (
        band_comparison(
            simulate(systems, p, prior_air, seed, like=run), breach, targets, p.interval_pct
        )
        if air.calibrated
        else bands
    )
    built = production_caps(tables["drone_production"], day, p)
    gifts = donated_supply(donor, systems, p, day)
    caps_table = pd.concat([built, gifts], ignore_index=True)
    used = set(systems["cap_group"])
    caps_table = caps_table[caps_table["cap_group"].isin(used | set(BUILT_CLASSES))]
    caps_table = caps_table.reset_index(drop=True)
    cap = {g: c for g, c in zip(caps_table["cap_group"], caps_table["central"], strict=True)}
    cap = {g: v for g, v in cap.items() if g in used}
    hits = hits_per_weapon(run, targets, p.hard_target_share, standoff)
    budget = p.budget_usd_m_per_month * 1e6

    def mix_at(column: str) -> dict[str, Any]:
        limits = {
            g: v
            for g, v in zip(caps_table["cap_group"], caps_table[column], strict=True)
            if g in used
        }
        return budget_mix(run, hits, targets, limits, budget, p.hits_per_target)

    # The reach curve is drawn from drone launch positions; each system's own standoff sets
    # what it reaches in the tables and the budget mix.
    depth = p.launch.standoff_km("drone")
    return DronesResult(
        params=p,
        as_of=day,
        strike_systems=strike,
        systems=systems,
        left_out=[s for s in p.systems if s not in public],
        ledger=ledger(strike, p, systems, breach, standoff),
        air=air,
        prior_air=prior_air,
        run=run,
        cpeh=cpeh_summary(run, p.interval_pct),
        eligible=eligible,
        bands=bands,
        bands_prior=bands_prior,
        band_reach=breach,
        edge=edge,
        standoff_km=standoff,
        targets=targets,
        beyond=beyond_reach(targets, strike, standoff),
        reach=reach,
        reach_curve=reach_curve(targets, depth),
        saturation=saturation_curve(air, prior_air, saturation_grid(), p.interval_pct),
        production=tables["drone_production"],
        caps_table=caps_table,
        caps=cap,
        hits=hits,
        mix=budget_mix(run, hits, targets, cap, budget, p.hits_per_target),
        mix_low=mix_at("low"),
        mix_high=mix_at("high"),
        sweep=budget_sweep(run, hits, targets, cap, SWEEP_BUDGETS_USD, p.hits_per_target),
        donor_supply=donor,
        raids=tables["raid_outcomes"],
        claims=tables["drone_claims"],
        strikes=tables["drone_strikes"],
        refinery_offline=tables["refinery_offline"],
        funding=tables["drone_funding"],
    )


# ---- key numbers --------------------------------------------------------------------------


def short_name(name: str) -> str:
    """'Morok (SBU one-way attack drone)' -> 'Morok'."""
    return str(name).split(" (")[0]


def _finite(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _none(value: Any) -> Any:
    """A frame's missing value (NaN, None) as None; other values as they are."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _most(counts: pd.Series, ids: Any) -> int:
    """The largest count among `ids` (0 when there are none, e.g. before a system existed)."""
    part = counts.reindex(ids, fill_value=0)
    return int(part.max()) if len(part) else 0


def _median(frame: pd.DataFrame, ids: Any, column: str) -> float | None:
    part = frame.loc[frame.index.intersection(ids), column]
    return _finite(part.median()) if len(part) else None


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def _day(value: Any) -> str:
    return f"{pd.Timestamp(value):%-d %B %Y}"


def _m(value: float | None) -> float | None:
    return None if value is None else value / 1e6


def _band_numbers(r: DronesResult) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    bands = r.bands.set_index(["band", "hardness"])
    for key, label in zip(BAND_KEYS, BAND_LABELS, strict=True):
        soft = {c: _none(v) for c, v in bands.loc[(label, "soft")].items()}
        hard = {c: _none(v) for c, v in bands.loc[(label, "hard")].items()}
        out[f"{key}_label"] = Quantity(label, "", f"depth band {key}", "text")
        out[f"{key}_n_targets"] = Quantity(
            int(soft["n_targets"]), "targets", f"targets {label} from the line", "count"
        )
        out[f"{key}_systems"] = Quantity(
            list(soft["systems"]), "", f"systems compared that reach a target {label}", "names"
        )
        for h, row in (("soft", soft), ("hard", hard)):
            out[f"{key}_verdict_{h}"] = Quantity(
                row["verdict"], "", f"{label}, {h} target: which class is cheaper", "text"
            )
            out[f"{key}_drone_cheaper_{h}"] = Quantity(
                row["verdict"] == "drone",
                "",
                f"{label}, {h} target: a drone is cheaper than every missile that reaches it",
                "flag",
            )
            out[f"{key}_best_{h}"] = Quantity(
                row["best"], "", f"{label}, {h} target: cheapest system", "text"
            )
            out[f"{key}_best_{h}_usd_m"] = Quantity(
                _m(row["best_usd"]),
                "USD m",
                f"{label}, {h} target: cheapest median cost per effective hit",
                "number",
                2,
            )
            out[f"{key}_share_drone_cheaper_{h}"] = Quantity(
                row["share_drone_cheaper"],
                "of draws",
                f"{label}, {h} target: draws in which the cheapest drone beats the cheapest "
                "missile",
                "share",
            )
        out[f"{key}_winner_priced_by_prior"] = Quantity(
            bool(soft["winner_priced_by_prior"]),
            "",
            f"{label}, soft: the cheapest system's unit cost comes from a prior",
            "flag",
        )
        out[f"{key}_best_soft_low_usd_m"] = Quantity(
            _m(soft["best_low_usd"]), "USD m", f"{label}, soft: interval low", "number", 2
        )
        out[f"{key}_best_soft_high_usd_m"] = Quantity(
            _m(soft["best_high_usd"]), "USD m", f"{label}, soft: interval high", "number", 2
        )
        out[f"{key}_best_drone_soft"] = Quantity(
            soft["best_drone"], "", f"{label}, soft: cheapest drone", "text"
        )
        out[f"{key}_drone_soft_usd_m"] = Quantity(
            _m(soft["drone_usd"]), "USD m", f"{label}, soft: cheapest drone, median", "number", 2
        )
        out[f"{key}_best_missile_soft"] = Quantity(
            soft["best_missile"], "", f"{label}, soft: cheapest missile", "text"
        )
        out[f"{key}_missile_soft_usd_m"] = Quantity(
            _m(soft["missile_usd"]),
            "USD m",
            f"{label}, soft: cheapest missile, median",
            "number",
            2,
        )
        out[f"{key}_ratio_soft"] = Quantity(
            soft["ratio"],
            "×",
            f"{label}, soft: cheapest missile's median cost per effective hit over cheapest "
            "drone's",
            "ratio",
            1,
        )
    verdicts = r.bands[r.bands["hardness"] == "soft"].set_index("band")["verdict"]
    prior = r.bands_prior[r.bands_prior["hardness"] == "soft"].set_index("band")["verdict"]

    def labels(*kinds: str) -> list[str]:
        return [b for b in BAND_LABELS if verdicts.get(b) in kinds]

    changed = [b for b in BAND_LABELS if verdicts.get(b) != prior.get(b)]
    out.update(
        {
            "bands_drone_cheaper": Quantity(
                labels("drone"), "", "bands where a drone beats every missile (soft)", "names"
            ),
            "bands_missile_cheaper": Quantity(
                labels("missile"), "", "bands where a missile beats every drone (soft)", "names"
            ),
            "bands_only_drones": Quantity(
                labels("only_drones"), "", "bands only drones reach", "names"
            ),
            "bands_only_missiles": Quantity(
                labels("only_missiles"), "", "bands only missiles reach", "names"
            ),
            "bands_none": Quantity(labels("none"), "", "bands no compared system reaches", "names"),
            "comparable": Quantity(
                bool(labels("drone", "missile")),
                "",
                "in at least one band a drone and a missile that reach it can be compared",
                "flag",
            ),
            "verdicts_rest_on_calibration": Quantity(
                bool(r.air.calibrated and changed),
                "",
                "some band's verdict changes under the uncalibrated air-defence priors",
                "flag",
            ),
            "bands_changed_by_calibration": Quantity(
                changed if r.air.calibrated else [],
                "",
                "bands whose verdict changes under the uncalibrated air-defence priors",
                "names",
            ),
        }
    )
    return out


def _ledger_numbers(r: DronesResult) -> dict[str, Quantity]:
    led = r.ledger
    dropped = led[(led["status"] != "compared") & led["public"]]
    compared = led[led["status"] == "compared"]
    systems = r.systems

    def with_prior(column: str, kind: str) -> list[str]:
        part = systems[systems[column] == kind]
        return [short_name(n) for n in part["system_name"]]

    return {
        "n_systems": Quantity(len(r.systems), "systems", "chosen systems public", "count"),
        "n_compared": Quantity(len(compared), "systems", "systems compared", "count"),
        "compared_systems": Quantity(list(compared["name"]), "", "systems compared", "names"),
        "dropped": Quantity(
            [f"{n} ({why})" for n, why in zip(dropped["name"], dropped["reason"], strict=True)],
            "",
            "systems with data left out of the comparison, with the reason",
            "names",
        ),
        "left_out": Quantity(
            list(r.left_out), "", "chosen systems not yet public on the as-of date", "names"
        ),
        "cost_from_drone_prior": Quantity(
            with_prior("cost_from", "drone prior"), "", "unit cost from the drone prior", "names"
        ),
        "cost_from_missile_prior": Quantity(
            with_prior("cost_from", "missile prior"),
            "",
            "unit cost from the missile prior",
            "names",
        ),
        "payload_from_prior": Quantity(
            with_prior("payload_from", "drone prior") + with_prior("payload_from", "missile prior"),
            "",
            "warhead from a prior",
            "names",
        ),
        "cost_published": Quantity(
            with_prior("cost_from", "data"), "", "systems with a published unit cost", "names"
        ),
        "donated_systems": Quantity(
            [short_name(n) for n in systems.loc[systems["supply"] == "donated", "system_name"]],
            "",
            "systems compared that donors supply",
            "names",
        ),
    }


def _cost_numbers(r: DronesResult) -> dict[str, Quantity]:
    cpeh, systems = r.cpeh, r.systems
    soft = cpeh[cpeh["hardness"] == "soft"].set_index("system_id") if len(cpeh) else cpeh
    hard = cpeh[cpeh["hardness"] == "hard"].set_index("system_id") if len(cpeh) else cpeh
    is_drone = (systems["system_class"] == "drone").to_numpy()
    drones = systems.loc[is_drone & r.eligible, "system_id"]
    missiles = systems.loc[~is_drone & r.eligible, "system_id"]
    both = bool(len(drones) and len(missiles))

    def med(frame: pd.DataFrame, ids: Any, column: str) -> float | None:
        return _median(frame, ids, column) if len(frame) else None

    arrive_d, arrive_m = med(soft, drones, "p_arrive"), med(soft, missiles, "p_arrive")
    eff_d, eff_m = med(hard, drones, "p_effect"), med(hard, missiles, "p_effect")
    return {
        "drone_in_reach": Quantity(
            bool(len(drones)), "", "a chosen drone reaches at least one target", "flag"
        ),
        "missile_in_reach": Quantity(
            bool(len(missiles)), "", "a chosen missile reaches at least one target", "flag"
        ),
        "p_arrive_drone_median": Quantity(
            arrive_d,
            "",
            "drones that reach targets: median chance of getting through in the assumed raid",
            "probability",
        ),
        "p_arrive_missile_median": Quantity(
            arrive_m,
            "",
            "missiles that reach targets: median chance of getting through in the assumed salvo",
            "probability",
        ),
        "p_effect_hard_drone_median": Quantity(
            eff_d,
            "",
            "drone hit on a hard target: median chance of the intended effect",
            "probability",
        ),
        "p_effect_hard_missile_median": Quantity(
            eff_m,
            "",
            "missile hit on a hard target: median chance of the intended effect",
            "probability",
        ),
        "drones_intercepted_more": Quantity(
            bool(both and arrive_d is not None and arrive_m is not None and arrive_d < arrive_m),
            "",
            "drones get through less often than missiles (medians)",
            "flag",
        ),
        "drone_hard_effect_weaker": Quantity(
            bool(both and eff_d is not None and eff_m is not None and eff_d < eff_m),
            "",
            "a drone hit does less to a hard target than a missile hit (medians)",
            "flag",
        ),
    }


def _saturation_numbers(r: DronesResult) -> dict[str, Quantity]:
    p, curve, air = r.params, r.saturation, r.air
    rec = air.record
    ql, qh = (100 - p.interval_pct) / 2, 100 - (100 - p.interval_pct) / 2
    assumed = p_arrive(air.p_kill, p.raid_size_drone, air.capacity, air.ew)
    monthly = r.claims[(r.claims["period_end"] - r.claims["period_start"]).dt.days < 40]
    peak = monthly.loc[monthly["drones_downed"].idxmax()] if len(monthly) else None
    claimed = r.strikes[r.strikes["drones_claimed_downed"].notna()]
    big = claimed.loc[claimed["drones_claimed_downed"].idxmax()] if len(claimed) else None

    def q(values: np.ndarray, pct: float) -> float:
        return float(np.percentile(values, pct))

    return {
        "calibrated": Quantity(
            air.calibrated, "", "the drone air defence is fitted to published raids", "flag"
        ),
        "calibration_off": Quantity(
            air.why == "switched off",
            "",
            "the scenario uses the priors, not the raid record",
            "flag",
        ),
        "n_raids": Quantity(
            len(rec), "raids", "raids with published launched, shot-down and lost counts", "count"
        ),
        "min_raids": Quantity(MIN_RAIDS, "raids", "fewest recorded raids for the fit", "count"),
        "ew_share_median": Quantity(
            float(np.median(air.ew)),
            "",
            "share of a raid lost to electronic warfare (median)",
            "probability",
        ),
        "ew_share_low": Quantity(q(air.ew, ql), "", "EW share: interval low", "probability"),
        "ew_share_high": Quantity(q(air.ew, qh), "", "EW share: interval high", "probability"),
        "p_kill_engaged_median": Quantity(
            float(np.median(air.p_kill)),
            "",
            "chance an engaged drone is shot down (median)",
            "probability",
        ),
        "capacity_low": Quantity(
            q(air.capacity, ql),
            "weapons",
            "weapons engaged per raid at most: interval low",
            "count",
        ),
        "capacity_prior_high": Quantity(
            p.defender_capacity_high, "weapons", "upper end of the capacity prior", "count"
        ),
        "capacity_median": Quantity(
            float(np.median(air.capacity)), "weapons", "weapons engaged per raid (median)", "count"
        ),
        "record_ew_low": Quantity(
            float(rec["share_ew"].min()) if len(rec) else None,
            "",
            "smallest share reported lost to electronic warfare in a raid",
            "probability",
        ),
        "record_ew_high": Quantity(
            float(rec["share_ew"].max()) if len(rec) else None,
            "",
            "largest share reported lost to electronic warfare in a raid",
            "probability",
        ),
        "record_through_low": Quantity(
            float(rec["share_through"].min()) if len(rec) else None,
            "",
            "smallest share of a recorded raid that got through",
            "probability",
        ),
        "record_through_high": Quantity(
            float(rec["share_through"].max()) if len(rec) else None,
            "",
            "largest share of a recorded raid that got through",
            "probability",
        ),
        "record_largest_raid": Quantity(
            int(rec["drones_launched"].max()) if len(rec) else None,
            "drones",
            "largest recorded raid",
            "count",
        ),
        "record_inside": Quantity(
            int(rec["inside"].sum()) if len(rec) else 0,
            "raids",
            "recorded raids whose share through lies in the model's interval",
            "count",
        ),
        "p_arrive_lone_drone": Quantity(
            float(curve["p_arrive"].iloc[0]),
            "",
            "a lone drone gets through (median)",
            "probability",
        ),
        "largest_raid": Quantity(
            int(curve["raid_size"].iloc[-1]), "drones", "largest raid on the curve", "count"
        ),
        "p_arrive_largest_raid": Quantity(
            float(curve["p_arrive"].iloc[-1]),
            "",
            "share of the largest raid getting through (median)",
            "probability",
        ),
        "p_arrive_largest_raid_low": Quantity(
            float(curve["low"].iloc[-1]), "", "largest raid: interval low", "probability"
        ),
        "p_arrive_largest_raid_high": Quantity(
            float(curve["high"].iloc[-1]), "", "largest raid: interval high", "probability"
        ),
        "p_arrive_largest_raid_prior": Quantity(
            float(curve["prior"].iloc[-1]),
            "",
            "share of the largest raid getting through under the uncalibrated priors (median)",
            "probability",
        ),
        "raid_size_drone": Quantity(p.raid_size_drone, "drones", "drones per raid", "count"),
        "p_arrive_assumed_raid": Quantity(
            float(np.median(assumed)),
            "",
            "share of the assumed raid getting through (median)",
            "probability",
        ),
        "interval_pct": Quantity(p.interval_pct, "%", "width of the intervals shown", "number"),
        "claims_peak_downed": Quantity(
            None if peak is None else int(peak["drones_downed"]),
            "drones",
            "drones Russia claims downed outside the war zone in its peak month (claim)",
            "count",
        ),
        "claims_peak_month": Quantity(
            None if peak is None else _month(peak["period_start"]),
            "",
            "month of the peak claim",
            "text",
        ),
        "claim_raid_downed": Quantity(
            None if big is None else int(big["drones_claimed_downed"]),
            "drones",
            "most drones Russia claims downed in one listed attack (claim)",
            "count",
        ),
        "claim_raid_date": Quantity(
            None if big is None else _day(big["date"]), "", "date of that attack", "text"
        ),
    }


def _reach_numbers(r: DronesResult) -> dict[str, Quantity]:
    p, strike, reach, targets = r.params, r.strike_systems, r.reach, r.targets
    per_system = reach.groupby("system_id")["n_reach"].sum()
    deep_reach = reach.groupby("system_id")["n_reach_deep"].sum()
    is_drone = strike["system_class"] == "drone"
    drone_ids, missile_ids = strike.loc[is_drone, "system_id"], strike.loc[~is_drone, "system_id"]
    max_drone, max_missile = _most(per_system, drone_ids), _most(per_system, missile_ids)
    deep_drone, deep_missile = _most(deep_reach, drone_ids), _most(deep_reach, missile_ids)
    deep = targets[targets["deep"]]
    beyond = r.beyond

    def depth(mask: pd.Series) -> float | None:
        if not mask.any():
            return None
        ranges = strike.loc[mask, "range_km_central"].to_numpy(float)
        behind = np.array([r.standoff_km[s] for s in strike.loc[mask, "system_id"]], float)
        return max(float((ranges - behind).max()), 0.0)

    def count(kind: str) -> int:
        return int((deep["target_type"] == kind).sum())

    line_date = r.edge["valid_from"].date()
    return {
        "n_targets": Quantity(len(targets), "targets", "targets in both target tables", "count"),
        "n_deep_targets": Quantity(
            len(deep),
            "targets",
            "deep targets: refineries, Moscow's airports and strategic bomber bases",
            "count",
        ),
        "n_refineries": Quantity(count("refinery"), "refineries", "refineries listed", "count"),
        "n_moscow_airports": Quantity(
            count("airport"), "airports", "Moscow airports listed", "count"
        ),
        "n_bomber_bases": Quantity(
            count("bomber_base"), "bases", "strategic bomber bases listed", "count"
        ),
        "n_beyond_reach": Quantity(
            len(beyond), "targets", "targets no public system reaches", "count"
        ),
        "n_deep_beyond_reach": Quantity(
            int(beyond["deep"].sum()), "targets", "deep targets no public system reaches", "count"
        ),
        "deep_beyond_reach": Quantity(
            [
                f"{n} ({d:,.0f} km)"
                for n, d in zip(
                    beyond.loc[beyond["deep"], "name"],
                    beyond.loc[beyond["deep"], "line_distance_km"],
                    strict=True,
                )
            ],
            "",
            "deep targets no public system reaches, with their distance from the line",
            "names",
        ),
        "launch_depth_km": Quantity(
            p.launch.standoff_km("drone"), "km", "drone launch positions behind the line", "km"
        ),
        "n_drone_types": Quantity(
            int(is_drone.sum()), "types", "drone types public on the as-of date", "count"
        ),
        "n_missile_types": Quantity(
            int((~is_drone).sum()), "types", "missile and rocket types public", "count"
        ),
        "max_drone_reach": Quantity(
            max_drone, "targets", "most targets in reach of one drone type", "count"
        ),
        "max_missile_reach": Quantity(
            max_missile, "targets", "most targets in reach of one missile type", "count"
        ),
        "max_drone_deep_reach": Quantity(
            deep_drone, "targets", "most deep targets in reach of one drone type", "count"
        ),
        "max_missile_deep_reach": Quantity(
            deep_missile, "targets", "most deep targets in reach of one missile type", "count"
        ),
        "max_drone_depth_km": Quantity(
            depth(is_drone), "km", "deepest reach of a drone (range less its standoff)", "km"
        ),
        "max_missile_depth_km": Quantity(
            depth(~is_drone), "km", "deepest reach of a missile (range less its standoff)", "km"
        ),
        "deeper": Quantity(
            max_drone > max_missile,
            "",
            "the best drone reaches more targets than the best missile",
            "flag",
        ),
        "deep_beyond_missiles": Quantity(
            deep_drone > deep_missile,
            "",
            "the best drone reaches more deep targets than the best missile",
            "flag",
        ),
        "line_date": Quantity(line_date.isoformat(), "", "date of the line used", "date"),
    }


def _budget_numbers(r: DronesResult) -> dict[str, Quantity]:
    p, systems, mix, sweep = r.params, r.systems, r.mix, r.sweep
    spend = pd.Series(mix["spend_usd"], index=systems["system_id"], dtype=float)
    is_drone = systems["cap_group"].isin(DRONE_CLASSES).to_numpy()
    spent = float(spend.sum())
    drone_spend = float(spend[is_drone].sum()) / spent if spent > 0 else None
    built = sweep[sweep["supply"] == "built"]
    by_budget = (
        built.assign(is_drone=built["cap_group"].isin(DRONE_CLASSES))
        .groupby(["budget_usd", "is_drone"])["spend_share_pct"]
        .sum()
        .unstack(fill_value=0)
        .reindex(SWEEP_BUDGETS_USD, fill_value=0)
    )
    any_spend = sweep.groupby("budget_usd")["spend_usd"].sum().reindex(SWEEP_BUDGETS_USD) > 0
    drone_share = by_budget.get(True, pd.Series(0.0, index=by_budget.index))
    missile_share = by_budget.get(False, pd.Series(0.0, index=by_budget.index))
    entering = missile_share[missile_share > ENTERS_PCT]
    enters = float(entering.index.min()) if len(entering) else None
    drones_first = bool(
        enters is not None and any_spend.iloc[0] and drone_share.iloc[0] >= 100 - ENTERS_PCT
    )
    exhausted = False
    if enters is not None:
        at = sweep[(sweep["budget_usd"] == enters) & sweep["cap_group"].isin(DRONE_CLASSES)]
        used = at.groupby("cap_group")["weapons"].sum()
        limits = {g: r.caps[g] for g in used.index if r.caps.get(g, 0) > 0}
        exhausted = bool(limits) and all(used[g] >= 0.99 * c for g, c in limits.items())
    last = sweep["budget_usd"].max() if len(sweep) else SWEEP_BUDGETS_USD[-1]
    caps = r.caps_table.set_index("cap_group")
    out: dict[str, Quantity] = {}
    for group in BUILT_CLASSES:
        row = caps.loc[group]
        words = CLASS_WORDS[group]
        for end in ("low", "central", "high"):
            out[f"{group}_per_month_{end}"] = Quantity(
                float(row[end]), "a month", f"{words} a month: {end}", "number"
            )
        out[f"{group}_statements"] = Quantity(
            list(row["statements"]), "", f"statements behind the {words} cap", "names"
        )
        out[f"{group}_basis"] = Quantity(row["basis"], "", f"{words}: cap from", "text")
        out[f"{group}_stale"] = Quantity(
            bool(row["stale"]),
            "",
            f"{words}: no statement covers the as-of date; the latest one stands",
            "flag",
        )
        out[f"{group}_words"] = Quantity(words, "", f"production class {group}", "text")
    gifts = r.caps_table[r.caps_table["supply"] == "donated"].set_index("cap_group")
    for group in DONATED_GROUP_NAMES:
        there = group in gifts.index
        row = gifts.loc[group] if there else None
        record = None if row is None else _none(row["record_per_month"])
        out[f"donated_{group}_in_mix"] = Quantity(
            there, "", f"{_group_name(group)} is among the systems compared", "flag"
        )
        out[f"donated_{group}_name"] = Quantity(_group_name(group), "", "donated group", "text")
        out[f"donated_{group}_low"] = Quantity(
            None if row is None else float(row["low"]),
            "a month",
            f"{_group_name(group)} donors pass on a month: prior low",
            "number",
        )
        out[f"donated_{group}_high"] = Quantity(
            None if row is None else float(row["high"]),
            "a month",
            f"{_group_name(group)} donors pass on a month: prior high",
            "number",
        )
        out[f"donated_{group}_record"] = Quantity(
            record,
            "a month",
            f"{_group_name(group)}: reported deliveries a month since the first one",
            "number",
        )
        out[f"donated_{group}_record_partial"] = Quantity(
            bool(row is not None and row["record_partial"]),
            "",
            f"{_group_name(group)}: some donor published no number (the record is a floor)",
            "flag",
        )
    out["donated_unpublished"] = Quantity(
        [_group_name(g) for g in gifts.index if _none(gifts.loc[g, "record_per_month"]) is None],
        "",
        "donated systems whose delivered numbers were never published",
        "names",
    )
    return {
        **out,
        "production_plan_public": Quantity(
            bool(any(caps.loc[g, "basis"] == "statement" for g in DRONE_CLASSES)),
            "",
            "a drone production statement was public on the as-of date",
            "flag",
        ),
        "missile_cap_from_prior": Quantity(
            caps.loc[BUILT_MISSILE_CLASS, "basis"] == "prior",
            "",
            "no statement on missile and missile-drone output is public: the cap is the prior",
            "flag",
        ),
        "drone_output_multiplier": Quantity(
            p.drone_output_multiplier,
            "×",
            "drone output relative to the stated figures",
            "ratio",
            1,
        ),
        "output_scaled": Quantity(
            p.drone_output_multiplier != 1.0,
            "",
            "drone output is taken at other than the stated figures",
            "flag",
        ),
        "budget_usd_m": Quantity(
            p.budget_usd_m_per_month, "USD m/month", "budget for strike weapons", "number"
        ),
        "mix_spends": Quantity(spent > 0, "", "the best mix buys any weapon at all", "flag"),
        "mix_drone_spend": Quantity(
            drone_spend, "of spending", "share of the budget the best mix spends on drones", "share"
        ),
        "mix_budget_hits": Quantity(
            mix["hits_budget"],
            "hits/month",
            "expected effective hits a month from what the budget buys",
            "number",
        ),
        "mix_budget_hits_low": Quantity(
            r.mix_low["hits_budget"], "hits/month", "budget hits with every cap low", "number"
        ),
        "mix_budget_hits_high": Quantity(
            r.mix_high["hits_budget"], "hits/month", "budget hits with every cap high", "number"
        ),
        "mix_donated_hits": Quantity(
            mix["hits_donated"],
            "hits/month",
            "expected effective hits a month from donated missiles, on top",
            "number",
        ),
        "mix_donated_hits_low": Quantity(
            r.mix_low["hits_donated"], "hits/month", "donated hits with every cap low", "number"
        ),
        "mix_donated_hits_high": Quantity(
            r.mix_high["hits_donated"], "hits/month", "donated hits with every cap high", "number"
        ),
        "any_donated": Quantity(
            bool((systems["supply"] == "donated").any()),
            "",
            "some system compared is donated",
            "flag",
        ),
        "missiles_enter_budget_usd_m": Quantity(
            None if enters is None else enters / 1e6,
            "USD m/month",
            "smallest budget of the sweep at which built missiles and missile-drones take a "
            "share of spending",
            "number",
        ),
        "sweep_budget_max_usd_m": Quantity(
            float(last) / 1e6, "USD m/month", "largest budget of the sweep", "number"
        ),
        "sweep_drone_share_high_budget": Quantity(
            float(drone_share.iloc[-1]) / 100,
            "of spending",
            "drones' share of spending at the largest budget of the sweep",
            "share",
        ),
        "drones_first": Quantity(
            drones_first,
            "",
            "at small budgets every dollar goes to drones; built missiles enter only above a "
            "budget",
            "flag",
        ),
        "drone_supply_exhausted": Quantity(
            exhausted,
            "",
            "when built missiles enter the mix, drone production is used up",
            "flag",
        ),
        "n_funding": Quantity(
            len(r.funding), "statements", "public statements on US funding of drones", "count"
        ),
    }


DONATED_GROUP_NAMES = {
    "atacms": "ATACMS",
    "storm_shadow": "Storm Shadow/SCALP",
    "gmlrs": "GMLRS",
    "glsdb": "GLSDB",
}


def _group_name(group: str) -> str:
    return DONATED_GROUP_NAMES.get(group, group)


def _effect_numbers(r: DronesResult) -> dict[str, Quantity]:
    offline, strikes = r.refinery_offline, r.strikes
    drone = offline[(offline["scope"] == "drone_damage") & offline["offline_share_pct"].notna()]
    peak = drone.loc[drone["offline_share_pct"].idxmax()] if len(drone) else None
    last = drone.sort_values("reported_on").iloc[-1] if len(drone) else None
    airports = strikes[strikes["target_type"] == "airport"]

    def share(row: Any) -> float | None:
        return None if row is None else float(row["offline_share_pct"]) / 100

    return {
        "refinery_peak_drone_share": Quantity(
            share(peak),
            "of capacity",
            "largest share of Russian primary refining idled by drone strikes (Reuters)",
            "share",
        ),
        "refinery_peak_month": Quantity(
            None if peak is None else _month(peak["period_start"]), "", "month of that peak", "text"
        ),
        "refinery_latest_drone_share": Quantity(
            share(last),
            "of capacity",
            "latest reported share idled by drone strikes",
            "share",
        ),
        "refinery_latest_month": Quantity(
            None if last is None else _month(last["period_start"]),
            "",
            "month of the latest report",
            "text",
        ),
        "refinery_share_fell": Quantity(
            bool(peak is not None and share(last) < share(peak)),
            "",
            "the latest share idled is below the peak",
            "flag",
        ),
        "n_strikes": Quantity(len(strikes), "strikes", "notable long-range drone strikes", "count"),
        "n_airport_strikes": Quantity(
            len(airports), "strikes", "notable strikes that closed airports", "count"
        ),
        "airport_strike_regions": Quantity(
            sorted(set(airports["region"])), "", "regions of those strikes", "names"
        ),
    }


def key_numbers(r: DronesResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    return {
        "confidence": Quantity(CONFIDENCE, "", "confidence in the cost comparison", "text"),
        **_ledger_numbers(r),
        **_band_numbers(r),
        **_cost_numbers(r),
        **_saturation_numbers(r),
        **_reach_numbers(r),
        **_budget_numbers(r),
        **_effect_numbers(r),
    }
