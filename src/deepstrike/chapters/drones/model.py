"""Drone alternatives: cost per effective hit, saturation, reach by depth, budget mix (LP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from deepstrike import geo
from deepstrike.chapters.drones.params import DronesParams
from deepstrike.language import Quantity

# Depth bands (km from the edge of Ukrainian-held ground): border zone, operational depth,
# ATACMS-class depth, Moscow/Volga depth, and beyond 1,000 km (Tatarstan, Urals).
DEPTH_BANDS_KM = (0.0, 100.0, 300.0, 500.0, 1000.0, float("inf"))
# "Deep" targets lie at least this far from the line: beyond the long-range ATACMS' reach.
DEEP_KM = 300.0
BAND_LABELS = ("0-100 km", "100-300 km", "300-500 km", "500-1,000 km", "over 1,000 km")
HARDNESS = ("soft", "hard")
# Drones with a central range of at least this many km count against the long-range
# production figures; shorter ones against the medium-range figures.
LONG_RANGE_KM = 1000.0
DRONE_CAP_GROUPS = ("long_range", "medium_range")
# Budgets of the sweep that shows how the mix shifts (USD per month).
SWEEP_BUDGETS_USD = np.geomspace(5e6, 2e9, 25)
# Largest raid of the saturation curve.
SATURATION_RAID_MAX = 400
# Missiles take a share of a budget when they get more than this % of its spending.
ENTERS_PCT = 0.5
# A stated judgment, not a computation: the interception, accuracy and effect priors are
# analogues (Russian weapons against Ukraine's defences), not measurements over Russia.
CONFIDENCE = "low"


# ---- systems -----------------------------------------------------------------------------


def missile_caps(p: DronesParams) -> dict[str, float]:
    """Monthly supply of each missile with a cap parameter (see params.DRONE_CAPPED_MISSILES)."""
    return {
        "atacms_lr": p.cap_atacms_per_month,
        "atacms_m39": p.cap_atacms_per_month,
        "storm_shadow": p.cap_storm_shadow_per_month,
        "gmlrs": p.cap_gmlrs_per_month,
    }


def prepare_systems(strike_systems: pd.DataFrame, p: DronesParams) -> pd.DataFrame:
    """The chosen systems that are public, with a flight profile and drone priors filled in.

    A drone whose unit cost or payload is unpublished gets the stated prior; a missile needs
    both published. Chosen systems missing from `strike_systems` (not yet public on the as-of
    date) are left out here and listed by the chapter.
    """
    order = {s: i for i, s in enumerate(p.systems)}
    chosen = strike_systems[strike_systems["system_id"].isin(p.systems)].copy()
    chosen = chosen.sort_values("system_id", key=lambda s: s.map(order)).reset_index(drop=True)
    is_drone = chosen["system_class"] == "drone"
    chosen["profile"] = np.where(
        is_drone,
        "drone",
        np.where(chosen["system_id"].isin(p.ballistic_systems), "ballistic", "cruise"),
    )
    no_cost = chosen["unit_cost_usd_central"].isna()
    no_payload = chosen["payload_kg_central"].isna()
    missing_missile = (~is_drone) & (no_cost | no_payload)
    if missing_missile.any():
        names = ", ".join(chosen.loc[missing_missile, "system_id"])
        raise ValueError(f"missiles need a published cost and payload: {names}")
    chosen["cost_from"] = np.where(no_cost, "prior", "data")
    chosen["payload_from"] = np.where(no_payload, "prior", "data")
    prior_cost = (p.drone_cost_usd_low, p.drone_cost_usd_mode, p.drone_cost_usd_high)
    lo_p, hi_p = p.drone_payload_kg_low, p.drone_payload_kg_high
    prior_payload = (lo_p, (lo_p + hi_p) / 2, hi_p)
    for col, value in zip(("low", "central", "high"), prior_cost, strict=True):
        chosen.loc[no_cost, f"unit_cost_usd_{col}"] = value
    for col, value in zip(("low", "central", "high"), prior_payload, strict=True):
        chosen.loc[no_payload, f"payload_kg_{col}"] = value
    # A single published cost is one point, not a range: widen it by the stated spread.
    spread = p.cost_spread_pct / 100
    chosen["unit_cost_usd_low"] = np.minimum(
        chosen["unit_cost_usd_low"], chosen["unit_cost_usd_central"] * (1 - spread)
    )
    chosen["unit_cost_usd_high"] = np.maximum(
        chosen["unit_cost_usd_high"], chosen["unit_cost_usd_central"] * (1 + spread)
    )
    chosen["cap_group"] = np.where(
        is_drone,
        np.where(chosen["range_km_central"] >= LONG_RANGE_KM, *DRONE_CAP_GROUPS),
        chosen["system_id"],
    )
    return chosen


def _triangular(rng: np.random.Generator, low, mode, high, size) -> np.ndarray:  # noqa: ANN001
    low, mode, high = (np.asarray(v, float)[:, None] for v in (low, mode, high))
    u = rng.random((low.shape[0], size))
    width = np.where(high > low, high - low, 1.0)
    c = np.clip((mode - low) / width, 0.0, 1.0)
    left = low + np.sqrt(u * width * (mode - low).clip(0))
    right = high - np.sqrt((1 - u) * width * (high - mode).clip(0))
    out = np.where(u < c, left, right)
    return np.where(high > low, out, low)


# ---- Monte Carlo -------------------------------------------------------------------------


def p_arrive(p_kill: Any, raid_size: Any, capacity: Any) -> np.ndarray:
    """Share of a raid that gets through a defence engaging at most `capacity` weapons per raid.

    Each engaged weapon is killed with probability p_kill; weapons beyond the capacity are not
    engaged (saturation). Expected leakers / raid size = 1 - p_kill * min(1, capacity / raid).
    """
    raid = np.maximum(np.asarray(raid_size, float), 1.0)
    engaged = np.minimum(1.0, np.asarray(capacity, float) / raid)
    return 1.0 - np.asarray(p_kill, float) * engaged


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

    @property
    def draws(self) -> int:
        return self.cost.shape[1]


def simulate(systems: pd.DataFrame, p: DronesParams, seed: int) -> DroneRun:
    """Cost per effective hit = unit cost / (P(arrive) x P(hit) x P(effect)), per draw.

    Uncertain inputs: unit cost and payload (triangular over low/central/high), the kill
    probability per engagement by flight profile, the hit probability (drone or missile), the
    defender's engagements per raid, and the payload scales of soft and hard targets. Defender
    capacity and target scales are common to all systems in a draw (common random numbers), so
    systems are compared under the same conditions.
    """
    rng = np.random.default_rng(seed)
    n, draws = len(systems), p.draws
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
    capacity = rng.uniform(p.defender_capacity_low, p.defender_capacity_high, draws)
    scales = {
        "soft": rng.uniform(p.kg_soft_low, p.kg_soft_high, draws),
        "hard": rng.uniform(p.kg_hard_low, p.kg_hard_high, draws),
    }
    kill = {
        "drone": (p.p_kill_drone_low, p.p_kill_drone_high),
        "cruise": (p.p_kill_cruise_low, p.p_kill_cruise_high),
        "ballistic": (p.p_kill_ballistic_low, p.p_kill_ballistic_high),
    }
    profile = systems["profile"].to_numpy()
    is_drone = profile == "drone"
    kill_lo = np.array([kill[x][0] for x in profile], float)[:, None]
    kill_hi = np.array([kill[x][1] for x in profile], float)[:, None]
    hit_lo = np.where(is_drone, p.p_hit_drone_low, p.p_hit_missile_low)[:, None]
    hit_hi = np.where(is_drone, p.p_hit_drone_high, p.p_hit_missile_high)[:, None]
    raid = np.where(is_drone, p.raid_size_drone, p.salvo_size_missile)[:, None]
    p_kill = kill_lo + (kill_hi - kill_lo) * u_kill
    p_hit = hit_lo + (hit_hi - hit_lo) * u_hit
    p_arr = p_arrive(p_kill, raid, capacity[None, :])
    p_eff = {h: p_effect(payload, scales[h][None, :]) for h in HARDNESS}
    with np.errstate(divide="ignore"):
        cpeh = {h: cost / (p_arr * p_hit * p_eff[h]) for h in HARDNESS}
    return DroneRun(systems, cost, payload, p_kill, p_arr, p_hit, p_eff, cpeh)


def quantiles(values: np.ndarray, interval_pct: float, axis: int = -1) -> np.ndarray:
    tail = (100 - interval_pct) / 2
    return np.percentile(values, [tail, 50, 100 - tail], axis=axis)


def cpeh_summary(run: DroneRun, interval_pct: float) -> pd.DataFrame:
    """Median and interval of cost per effective hit, per system and target hardness."""
    rows = []
    for h in HARDNESS:
        if not len(run.systems):
            continue
        lo, med, hi = quantiles(run.cpeh[h], interval_pct)
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
                    "p_arrive": float(np.median(run.p_arrive[i])),
                    "p_hit": float(np.median(run.p_hit[i])),
                    "p_effect": float(np.median(run.p_effect[h][i])),
                    "unit_cost_usd": float(np.median(run.cost[i])),
                    "cost_from": s.cost_from,
                    "payload_from": s.payload_from,
                }
            )
    columns = ["system_id", "system_name", "system_class", "hardness", "median_usd", "low_usd"]
    return pd.DataFrame(rows, columns=None if rows else columns)


def cheaper_share(run: DroneRun, hardness: str, eligible: np.ndarray | None = None) -> pd.DataFrame:
    """Per draw: is the cheapest drone's cost per effective hit below the cheapest missile's?

    `eligible` (one flag per system) leaves out systems that reach none of the targets: a cheap
    short-range rocket is no alternative for a strike it cannot reach.
    """
    cls = run.systems["system_class"].to_numpy()
    ok = np.ones(len(cls), bool) if eligible is None else np.asarray(eligible, bool)
    drones, missiles = (cls == "drone") & ok, (cls != "drone") & ok
    if not drones.any() or not missiles.any():
        return pd.DataFrame({"ratio": [], "drone_cheaper": []})
    best_drone = run.cpeh[hardness][drones].min(axis=0)
    best_missile = run.cpeh[hardness][missiles].min(axis=0)
    ratio = best_missile / best_drone
    return pd.DataFrame({"ratio": ratio, "drone_cheaper": ratio > 1})


def saturation_grid(raid_max: int = SATURATION_RAID_MAX) -> np.ndarray:
    return np.unique(np.geomspace(1, raid_max, 40).round().astype(int))


def saturation_curve(
    p_kill: tuple[float, float], capacity: tuple[float, float], raid_sizes: np.ndarray
) -> pd.DataFrame:
    """Share of a raid getting through against raid size: middle and ends of the priors."""
    raids = np.asarray(raid_sizes, float)
    return pd.DataFrame(
        {
            "raid_size": raids.astype(int),
            "p_arrive": p_arrive(np.mean(p_kill), raids, np.mean(capacity)),
            "low": p_arrive(p_kill[1], raids, capacity[1]),
            "high": p_arrive(p_kill[0], raids, capacity[0]),
        }
    )


# ---- reach -------------------------------------------------------------------------------


def target_set(
    targets: pd.DataFrame, deep_targets: pd.DataFrame, parts: list[np.ndarray]
) -> pd.DataFrame:
    """Both target tables with each target's distance to held ground and depth band."""
    cols = ["target_id", "name", "target_type", "region", "lat", "lon"]
    both = pd.concat(
        [targets[cols].assign(table="targets"), deep_targets[cols].assign(table="deep_targets")],
        ignore_index=True,
    )
    if both["target_id"].duplicated().any():
        dup = ", ".join(both.loc[both["target_id"].duplicated(), "target_id"])
        raise ValueError(f"target ids in both target tables: {dup}")
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
                    "n_reach": int(in_reach(d, s.range_km_central, standoff_km[s.system_id]).sum()),
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
        "n_reach",
        "n_reach_low",
        "n_reach_high",
    ]
    return pd.DataFrame(rows, columns=columns)


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


# ---- production caps and the budget mix ---------------------------------------------------


def monthly_output(
    production: pd.DataFrame, as_of: Any, multiplier: float = 1.0
) -> dict[str, float]:
    """Per category, drones per month from the latest statement on or before as_of."""
    cutoff = pd.Timestamp(as_of)
    known = production[production["statement_date"] <= cutoff]
    out = {}
    for cat, part in known.groupby("category"):
        # Prefer a statement whose period covers the as-of date; else the latest one.
        covering = part[(part["period_start"] <= cutoff) & (part["period_end"] >= cutoff)]
        row = (covering if not covering.empty else part).sort_values("statement_date").iloc[-1]
        months = (row.period_end - row.period_start).days / 30.4375
        out[cat] = multiplier * row.units_central / max(months, 1.0)
    return out


def caps(systems: pd.DataFrame, p: DronesParams, output: dict[str, float]) -> dict[str, float]:
    """Monthly cap per cap group: drone classes from production data, missiles from parameters."""
    missiles = missile_caps(p)
    out = {}
    for group in systems["cap_group"].unique():
        if group in DRONE_CAP_GROUPS:
            out[group] = float(output.get(group, 0.0))
        else:
            out[group] = float(missiles[group])
    return out


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


def budget_mix(
    run: DroneRun,
    hits: pd.DataFrame,
    targets: pd.DataFrame,
    cap: dict[str, float],
    budget_usd: float,
    hits_per_target: float,
) -> dict[str, Any]:
    """The mix of weapons (per month) that maximises expected effective hits (linear programme).

    Variables x[s, b] >= 0: weapons of system s fired at depth band b. Constraints: total cost
    within the budget; each cap group (a missile type, or a drone class sharing production)
    within its monthly cap; hits on each band at most hits_per_target x targets in the band
    (beyond that, more hits on the same targets add nothing).
    """
    systems = run.systems
    n_s, n_b = len(systems), len(BAND_LABELS)
    if n_s == 0:
        return {
            "x": np.zeros((0, n_b)),
            "weapons": np.zeros(0),
            "spend_usd": np.zeros(0),
            "hits": 0.0,
            "hits_by_band": np.zeros(n_b),
            "spent_usd": 0.0,
        }
    e = (
        hits.pivot(index="system_id", columns="band", values="hits")
        .loc[systems["system_id"], list(BAND_LABELS)]
        .to_numpy()
    )
    cost = run.cost.mean(axis=1)
    c = -e.ravel()
    a_ub, b_ub = [np.repeat(cost, n_b)], [budget_usd]
    for group, limit in cap.items():
        mask = (systems["cap_group"] == group).to_numpy()
        a_ub.append(np.repeat(mask.astype(float), n_b))
        b_ub.append(limit)
    n_targets = targets["band"].value_counts().reindex(BAND_LABELS, fill_value=0).to_numpy()
    for j in range(n_b):
        row = np.zeros((n_s, n_b))
        row[:, j] = e[:, j]
        a_ub.append(row.ravel())
        b_ub.append(hits_per_target * n_targets[j])
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"budget mix: linear programme failed ({res.message})")
    x = res.x.reshape(n_s, n_b)
    x[x < 1e-9] = 0.0
    return {
        "x": x,
        "weapons": x.sum(axis=1),
        "spend_usd": x.sum(axis=1) * cost,
        "hits": float((x * e).sum()),
        "hits_by_band": (x * e).sum(axis=0),
        "spent_usd": float((x.sum(axis=1) * cost).sum()),
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
    rows = []
    for budget in budgets_usd:
        mix = budget_mix(run, hits, targets, cap, float(budget), hits_per_target)
        for i, s in enumerate(run.systems.itertuples()):
            rows.append(
                {
                    "budget_usd": float(budget),
                    "system_id": s.system_id,
                    "system_name": s.system_name,
                    "system_class": s.system_class,
                    "cap_group": s.cap_group,
                    "weapons": mix["weapons"][i],
                    "spend_usd": mix["spend_usd"][i],
                    "total_hits": mix["hits"],
                }
            )
    columns = [
        "budget_usd",
        "system_id",
        "system_name",
        "system_class",
        "cap_group",
        "weapons",
        "spend_usd",
        "total_hits",
    ]
    out = pd.DataFrame(rows, columns=columns)
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
    run: DroneRun
    cpeh: pd.DataFrame
    eligible: np.ndarray  # per chosen system: reaches at least one target
    cheaper_soft: pd.DataFrame
    cheaper_hard: pd.DataFrame
    edge: dict  # the edge of held ground depths are measured from (geo.held_edge)
    standoff_km: dict[str, float]  # per system, from its launcher type
    targets: pd.DataFrame
    reach: pd.DataFrame
    reach_curve: pd.DataFrame
    saturation: pd.DataFrame
    production: pd.DataFrame
    output: dict[str, float]
    caps: dict[str, float]
    hits: pd.DataFrame
    mix: dict[str, Any]
    sweep: pd.DataFrame
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
    systems = prepare_systems(strike, p)
    run = simulate(systems, p, seed)
    edge = geo.held_edge(tables["front_line"], as_of)
    targets = target_set(tables["targets"], tables["deep_targets"], edge["parts"])
    standoff = standoffs(strike, p.launch)
    # The reach curve is drawn from drone launch positions; each system's own standoff sets
    # what it reaches in the tables and the budget mix.
    depth = p.launch.standoff_km("drone")
    output = monthly_output(tables["drone_production"], day, p.drone_output_multiplier)
    cap = caps(systems, p, output)
    hits = hits_per_weapon(run, targets, p.hard_target_share, standoff)
    mix = budget_mix(run, hits, targets, cap, p.budget_usd_m_per_month * 1e6, p.hits_per_target)
    reach = reach_table(targets, strike, standoff)
    reached = reach.groupby("system_id")["n_reach"].sum()
    eligible = systems["system_id"].map(reached).fillna(0).to_numpy() > 0
    return DronesResult(
        params=p,
        as_of=day,
        strike_systems=strike,
        systems=systems,
        left_out=[s for s in p.systems if s not in public],
        run=run,
        cpeh=cpeh_summary(run, p.interval_pct),
        eligible=eligible,
        cheaper_soft=cheaper_share(run, "soft", eligible),
        cheaper_hard=cheaper_share(run, "hard", eligible),
        edge=edge,
        standoff_km=standoff,
        targets=targets,
        reach=reach,
        reach_curve=reach_curve(targets, depth),
        saturation=saturation_curve(
            (p.p_kill_drone_low, p.p_kill_drone_high),
            (p.defender_capacity_low, p.defender_capacity_high),
            saturation_grid(),
        ),
        production=tables["drone_production"],
        output=output,
        caps=cap,
        hits=hits,
        mix=mix,
        sweep=budget_sweep(run, hits, targets, cap, SWEEP_BUDGETS_USD, p.hits_per_target),
        claims=tables["drone_claims"],
        strikes=tables["drone_strikes"],
        refinery_offline=tables["refinery_offline"],
        funding=tables["drone_funding"],
    )


# ---- key numbers --------------------------------------------------------------------------


def short_name(name: str) -> str:
    """'Morok (SBU one-way attack drone)' -> 'Morok'."""
    return str(name).split(" (")[0]


def _cheapest(frame: pd.DataFrame, ids: pd.Series) -> Any:
    """The system with the lowest median cost per effective hit among `ids`, or None."""
    part = frame.loc[frame.index.intersection(ids), "median_usd"]
    return part.idxmin() if len(part) else None


def _most(counts: pd.Series, ids: Any) -> int:
    """The largest count among `ids` (0 when there are none, e.g. before a system existed)."""
    part = counts.reindex(ids, fill_value=0)
    return int(part.max()) if len(part) else 0


def _median(frame: pd.DataFrame, ids: Any, column: str) -> float | None:
    part = frame.loc[frame.index.intersection(ids), column]
    return float(part.median()) if len(part) else None


def _usd_m(frame: pd.DataFrame, key: Any, column: str) -> float | None:
    return None if key is None else float(frame.loc[key, column]) / 1e6


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def _cost_numbers(r: DronesResult) -> dict[str, Quantity]:
    cpeh, systems = r.cpeh, r.systems
    soft = cpeh[cpeh["hardness"] == "soft"].set_index("system_id")
    hard = cpeh[cpeh["hardness"] == "hard"].set_index("system_id")
    is_drone = (systems["system_class"] == "drone").to_numpy()
    drones = systems.loc[is_drone & r.eligible, "system_id"]
    missiles = systems.loc[~is_drone & r.eligible, "system_id"]
    # Early as-of dates can leave no drone or no missile that reaches a target: then None.
    d_soft, m_soft = _cheapest(soft, drones), _cheapest(soft, missiles)
    d_hard, m_hard = _cheapest(hard, drones), _cheapest(hard, missiles)
    comparable = d_soft is not None and m_soft is not None
    d_med, m_med = _usd_m(soft, d_soft, "median_usd"), _usd_m(soft, m_soft, "median_usd")
    dh_med, mh_med = _usd_m(hard, d_hard, "median_usd"), _usd_m(hard, m_hard, "median_usd")
    ratio_soft = m_med / d_med if comparable else None
    ratio_hard = mh_med / dh_med if comparable else None
    cs, ch = r.cheaper_soft, r.cheaper_hard
    chosen_drones = systems[is_drone]

    def name(frame: pd.DataFrame, key: Any) -> str | None:
        return None if key is None else short_name(frame.loc[key, "system_name"])

    def usd_m(value: float | None, label: str) -> Quantity:
        return Quantity(value, "USD m", label, "number", 2)

    return {
        "drone_in_reach": Quantity(
            d_soft is not None, "", "a chosen drone reaches at least one target", "flag"
        ),
        "missile_in_reach": Quantity(
            m_soft is not None, "", "a chosen missile reaches at least one target", "flag"
        ),
        "comparable": Quantity(
            comparable, "", "a drone and a missile that reach targets can be compared", "flag"
        ),
        "best_drone_soft": Quantity(
            name(soft, d_soft), "", "cheapest drone per effective hit, soft target", "text"
        ),
        "best_missile_soft": Quantity(
            name(soft, m_soft), "", "cheapest missile per effective hit, soft target", "text"
        ),
        "best_drone_hard": Quantity(
            name(hard, d_hard), "", "cheapest drone per effective hit, hard target", "text"
        ),
        "best_missile_hard": Quantity(
            name(hard, m_hard), "", "cheapest missile per effective hit, hard target", "text"
        ),
        "drone_cpeh_soft_usd_m": usd_m(d_med, "cheapest drone, soft target: median cost per hit"),
        "drone_cpeh_soft_low_usd_m": usd_m(
            _usd_m(soft, d_soft, "low_usd"), "cheapest drone, soft target: interval low"
        ),
        "drone_cpeh_soft_high_usd_m": usd_m(
            _usd_m(soft, d_soft, "high_usd"), "cheapest drone, soft target: interval high"
        ),
        "missile_cpeh_soft_usd_m": usd_m(
            m_med, "cheapest missile, soft target: median cost per hit"
        ),
        "missile_cpeh_soft_low_usd_m": usd_m(
            _usd_m(soft, m_soft, "low_usd"), "cheapest missile, soft target: interval low"
        ),
        "missile_cpeh_soft_high_usd_m": usd_m(
            _usd_m(soft, m_soft, "high_usd"), "cheapest missile, soft target: interval high"
        ),
        "drone_cpeh_hard_usd_m": usd_m(dh_med, "cheapest drone, hard target: median cost per hit"),
        "missile_cpeh_hard_usd_m": usd_m(
            mh_med, "cheapest missile, hard target: median cost per hit"
        ),
        "cost_ratio_soft": Quantity(
            ratio_soft,
            "×",
            "soft target: cheapest missile's median cost per effective hit over cheapest drone's",
            "ratio",
            1,
        ),
        "cost_ratio_hard": Quantity(
            ratio_hard,
            "×",
            "hard target: cheapest missile's median cost per effective hit over cheapest drone's",
            "ratio",
            1,
        ),
        "share_drone_cheaper_soft": Quantity(
            float(cs["drone_cheaper"].mean()) if len(cs) else None,
            "of draws",
            "draws in which the cheapest drone beats the cheapest missile, soft target",
            "share",
        ),
        "share_drone_cheaper_hard": Quantity(
            float(ch["drone_cheaper"].mean()) if len(ch) else None,
            "of draws",
            "draws in which the cheapest drone beats the cheapest missile, hard target",
            "share",
        ),
        "cheaper_soft": Quantity(
            bool(comparable and d_med < m_med),
            "",
            "soft target: the cheapest drone's median cost per effective hit is below the "
            "cheapest missile's",
            "flag",
        ),
        "cheaper_hard": Quantity(
            bool(comparable and dh_med < mh_med),
            "",
            "hard target: the cheapest drone's median cost per effective hit is below the "
            "cheapest missile's",
            "flag",
        ),
        "hard_edge_smaller": Quantity(
            bool(comparable and ratio_hard < ratio_soft),
            "",
            "drones keep less of their cost edge against hard targets than against soft ones",
            "flag",
        ),
        "drones_priced": Quantity(
            [
                short_name(n)
                for n in chosen_drones.loc[chosen_drones["cost_from"] == "data", "system_name"]
            ],
            "",
            "chosen drones with a published unit cost",
            "names",
        ),
        "drones_cost_from_prior": Quantity(
            [
                short_name(n)
                for n in chosen_drones.loc[chosen_drones["cost_from"] == "prior", "system_name"]
            ],
            "",
            "chosen drones whose unit cost comes from the prior",
            "names",
        ),
        "drones_payload_from_prior": Quantity(
            [
                short_name(n)
                for n in chosen_drones.loc[chosen_drones["payload_from"] == "prior", "system_name"]
            ],
            "",
            "chosen drones whose payload comes from the prior",
            "names",
        ),
        "out_of_reach_systems": Quantity(
            [short_name(n) for n in systems.loc[~r.eligible, "system_name"]],
            "",
            "chosen systems that reach none of the targets (left out of the cost comparison)",
            "names",
        ),
        "p_arrive_drone_median": Quantity(
            _median(soft, drones, "p_arrive"),
            "",
            "drones that reach targets: median chance of getting through in the assumed raid",
            "probability",
        ),
        "p_arrive_missile_median": Quantity(
            _median(soft, missiles, "p_arrive"),
            "",
            "missiles that reach targets: median chance of getting through in the assumed salvo",
            "probability",
        ),
        "p_effect_hard_drone_median": Quantity(
            _median(hard, drones, "p_effect"),
            "",
            "drone hit on a hard target: median chance of the intended effect",
            "probability",
        ),
        "p_effect_hard_missile_median": Quantity(
            _median(hard, missiles, "p_effect"),
            "",
            "missile hit on a hard target: median chance of the intended effect",
            "probability",
        ),
        "drones_intercepted_more": Quantity(
            bool(
                comparable
                and _median(soft, drones, "p_arrive") < _median(soft, missiles, "p_arrive")
            ),
            "",
            "drones get through less often than missiles (medians)",
            "flag",
        ),
        "drone_hard_effect_weaker": Quantity(
            bool(
                comparable
                and _median(hard, drones, "p_effect") < _median(hard, missiles, "p_effect")
            ),
            "",
            "a drone hit does less to a hard target than a missile hit (medians)",
            "flag",
        ),
    }


def _saturation_numbers(r: DronesResult) -> dict[str, Quantity]:
    p, curve = r.params, r.saturation
    capacity = (p.defender_capacity_low + p.defender_capacity_high) / 2
    kill = (p.p_kill_drone_low + p.p_kill_drone_high) / 2
    monthly = r.claims[(r.claims["period_end"] - r.claims["period_start"]).dt.days < 40]
    peak = monthly.loc[monthly["drones_downed"].idxmax()] if len(monthly) else None
    return {
        "p_arrive_lone_drone": Quantity(
            float(curve["p_arrive"].iloc[0]),
            "",
            "a lone drone gets through (middle of the priors)",
            "probability",
        ),
        "largest_raid": Quantity(
            int(curve["raid_size"].iloc[-1]), "drones", "largest raid on the curve", "count"
        ),
        "p_arrive_largest_raid": Quantity(
            float(curve["p_arrive"].iloc[-1]),
            "",
            "share of the largest raid getting through (middle of the priors)",
            "probability",
        ),
        "defender_capacity_mid": Quantity(
            capacity, "weapons", "weapons the defence engages per raid (middle)", "number"
        ),
        "raid_size_drone": Quantity(p.raid_size_drone, "drones", "drones per raid", "count"),
        "p_arrive_assumed_raid": Quantity(
            float(p_arrive(kill, p.raid_size_drone, capacity)),
            "",
            "share of the assumed raid getting through (middle of the priors)",
            "probability",
        ),
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
    }


def _reach_numbers(r: DronesResult) -> dict[str, Quantity]:
    p, strike, reach, targets = r.params, r.strike_systems, r.reach, r.targets
    per_system = reach.groupby("system_id")["n_reach"].sum()
    deep_bands = [
        lo_label for lo, lo_label in zip(DEPTH_BANDS_KM, BAND_LABELS, strict=False) if lo >= DEEP_KM
    ]
    deep_reach = reach[reach["band"].isin(deep_bands)].groupby("system_id")["n_reach"].sum()
    is_drone = strike["system_class"] == "drone"
    drone_ids, missile_ids = strike.loc[is_drone, "system_id"], strike.loc[~is_drone, "system_id"]
    max_drone, max_missile = _most(per_system, drone_ids), _most(per_system, missile_ids)
    deep_drone, deep_missile = _most(deep_reach, drone_ids), _most(deep_reach, missile_ids)

    def depth(mask: pd.Series) -> float | None:
        reach_km = strike.loc[mask, "range_km_central"] - strike.loc[mask, "system_id"].map(
            r.standoff_km
        )
        return None if reach_km.empty else max(float(reach_km.max()), 0.0)

    line_date = r.edge["valid_from"].date()
    return {
        "n_targets": Quantity(len(targets), "targets", "targets in both target tables", "count"),
        "n_deep_targets": Quantity(
            int((targets["line_distance_km"] >= DEEP_KM).sum()),
            "targets",
            "targets at least the deep distance from the line",
            "count",
        ),
        "deep_km": Quantity(DEEP_KM, "km", "a target this far from the line counts as deep", "km"),
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
    is_drone = (systems["system_class"] == "drone").to_numpy()
    spent = float(spend.sum())
    drone_spend = float(spend[is_drone].sum()) / spent if spent > 0 else None
    by_budget = (
        sweep.assign(is_drone=sweep["system_class"] == "drone")
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
        at = sweep[(sweep["budget_usd"] == enters) & sweep["cap_group"].isin(DRONE_CAP_GROUPS)]
        used = at.groupby("cap_group")["weapons"].sum()
        limits = {g: r.caps[g] for g in used.index if r.caps.get(g, 0) > 0}
        exhausted = bool(limits) and all(used[g] >= 0.99 * c for g, c in limits.items())
    last = sweep["budget_usd"].max() if len(sweep) else SWEEP_BUDGETS_USD[-1]
    return {
        "production_plan_public": Quantity(
            bool(r.output), "", "a drone production plan was public on the as-of date", "flag"
        ),
        "long_range_per_month": Quantity(
            float(r.output.get("long_range", 0.0)),
            "drones/month",
            "long-range drones a month",
            "number",
        ),
        "medium_range_per_month": Quantity(
            float(r.output.get("medium_range", 0.0)),
            "drones/month",
            "medium-range drones a month",
            "number",
        ),
        "drone_output_multiplier": Quantity(
            p.drone_output_multiplier,
            "×",
            "drone output relative to the latest stated plan",
            "ratio",
            1,
        ),
        "output_scaled": Quantity(
            p.drone_output_multiplier != 1.0,
            "",
            "drone output is taken at other than the latest stated plan",
            "flag",
        ),
        "budget_usd_m": Quantity(
            p.budget_usd_m_per_month, "USD m/month", "budget for strike weapons", "number"
        ),
        "mix_spends": Quantity(spent > 0, "", "the best mix buys any weapon at all", "flag"),
        "mix_drone_spend": Quantity(
            drone_spend, "of spending", "share of the budget the best mix spends on drones", "share"
        ),
        "mix_hits": Quantity(
            mix["hits"], "hits/month", "expected effective hits a month of the best mix", "number"
        ),
        "missiles_enter_budget_usd_m": Quantity(
            None if enters is None else enters / 1e6,
            "USD m/month",
            "smallest budget of the sweep at which missiles take a share of spending",
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
            "at small budgets every dollar goes to drones; missiles enter only above a budget",
            "flag",
        ),
        "drone_supply_exhausted": Quantity(
            exhausted,
            "",
            "when missiles enter the mix, drone production is used up",
            "flag",
        ),
        "n_funding": Quantity(
            len(r.funding), "statements", "public statements on US funding of drones", "count"
        ),
    }


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
        "n_systems": Quantity(len(r.systems), "systems", "systems compared", "count"),
        "left_out": Quantity(
            list(r.left_out), "", "chosen systems not yet public on the as-of date", "names"
        ),
        "interval_pct": Quantity(
            r.params.interval_pct, "%", "width of the intervals shown", "number"
        ),
        "confidence": Quantity(CONFIDENCE, "", "confidence in the cost comparison", "text"),
        **_cost_numbers(r),
        **_saturation_numbers(r),
        **_reach_numbers(r),
        **_budget_numbers(r),
        **_effect_numbers(r),
    }
