"""Drone alternatives: cost per effective hit, saturation, reach by depth, budget mix (LP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from deepstrike import geo
from deepstrike.results import likelihood_word
from deepstrike.supply import launch_line

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
CAP_PARAMS = {
    "atacms_lr": "cap_atacms_per_month",
    "atacms_m39": "cap_atacms_per_month",
    "storm_shadow": "cap_storm_shadow_per_month",
    "gmlrs": "cap_gmlrs_per_month",
}


def _get(p: Any, name: str) -> Any:
    return p[name] if isinstance(p, dict) else getattr(p, name)


# ---- systems -----------------------------------------------------------------------------


def prepare_systems(strike_systems: pd.DataFrame, p: Any) -> pd.DataFrame:
    """The chosen systems with a flight profile and unpublished drone costs/payloads from priors."""
    systems = list(_get(p, "systems"))
    chosen = strike_systems[strike_systems["system_id"].isin(systems)].copy()
    order = {s: i for i, s in enumerate(systems)}
    chosen = chosen.sort_values("system_id", key=lambda s: s.map(order)).reset_index(drop=True)
    ballistic = set(_get(p, "ballistic_systems"))
    chosen["profile"] = np.where(
        chosen["system_class"] == "drone",
        "drone",
        np.where(chosen["system_id"].isin(ballistic), "ballistic", "cruise"),
    )
    is_drone = chosen["system_class"] == "drone"
    no_cost = chosen["unit_cost_usd_central"].isna()
    no_payload = chosen["payload_kg_central"].isna()
    missing_missile = (~is_drone) & (no_cost | no_payload)
    if missing_missile.any():
        names = ", ".join(chosen.loc[missing_missile, "system_id"])
        raise ValueError(f"missiles need a published cost and payload: {names}")
    chosen["cost_from"] = np.where(no_cost, "prior", "data")
    chosen["payload_from"] = np.where(no_payload, "prior", "data")
    prior_cost = (
        _get(p, "drone_cost_usd_low"),
        _get(p, "drone_cost_usd_mode"),
        _get(p, "drone_cost_usd_high"),
    )
    lo_p, hi_p = _get(p, "drone_payload_kg_low"), _get(p, "drone_payload_kg_high")
    prior_payload = (lo_p, (lo_p + hi_p) / 2, hi_p)
    for col, value in zip(("low", "central", "high"), prior_cost, strict=True):
        chosen.loc[no_cost, f"unit_cost_usd_{col}"] = value
    for col, value in zip(("low", "central", "high"), prior_payload, strict=True):
        chosen.loc[no_payload, f"payload_kg_{col}"] = value
    # A single published cost is one point, not a range: widen it by the stated spread.
    spread = _get(p, "cost_spread_pct") / 100
    chosen["unit_cost_usd_low"] = np.minimum(
        chosen["unit_cost_usd_low"], chosen["unit_cost_usd_central"] * (1 - spread)
    )
    chosen["unit_cost_usd_high"] = np.maximum(
        chosen["unit_cost_usd_high"], chosen["unit_cost_usd_central"] * (1 + spread)
    )
    chosen["cap_group"] = np.where(
        is_drone,
        np.where(chosen["range_km_central"] >= LONG_RANGE_KM, "long_range", "medium_range"),
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


def p_arrive(p_kill: np.ndarray, raid_size: float, capacity: np.ndarray) -> np.ndarray:
    """Share of a raid that gets through a defence engaging at most `capacity` weapons per raid.

    Each engaged weapon is killed with probability p_kill; weapons beyond the capacity are not
    engaged (saturation). Expected leakers / raid size = 1 - p_kill * min(1, capacity / raid).
    """
    engaged = np.minimum(1.0, np.asarray(capacity, float) / max(float(raid_size), 1.0))
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


def _uniform(rng: np.random.Generator, low: float, high: float, size: Any) -> np.ndarray:
    if low > high:
        raise ValueError(f"low ({low}) is above high ({high})")
    return rng.uniform(low, high, size)


def simulate(systems: pd.DataFrame, p: Any, draws: int, seed: int) -> DroneRun:
    """Cost per effective hit = unit cost / (P(arrive) x P(hit) x P(effect)), per draw.

    Uncertain inputs: unit cost and payload (triangular over low/central/high), the kill
    probability per engagement by flight profile, the hit probability (drone or missile), the
    defender's engagements per raid, and the payload scales of soft and hard targets. Defender
    capacity and target scales are common to all systems in a draw (common random numbers), so
    systems are compared under the same conditions.
    """
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
    capacity = _uniform(
        rng, _get(p, "defender_capacity_low"), _get(p, "defender_capacity_high"), draws
    )
    scales = {
        "soft": _uniform(rng, _get(p, "kg_soft_low"), _get(p, "kg_soft_high"), draws),
        "hard": _uniform(rng, _get(p, "kg_hard_low"), _get(p, "kg_hard_high"), draws),
    }
    p_kill = np.empty((n, draws))
    p_hit = np.empty((n, draws))
    p_arr = np.empty((n, draws))
    for i, profile in enumerate(systems["profile"]):
        lo, hi = _get(p, f"p_kill_{profile}_low"), _get(p, f"p_kill_{profile}_high")
        if lo > hi:
            raise ValueError(f"p_kill_{profile}_low is above p_kill_{profile}_high")
        p_kill[i] = lo + (hi - lo) * u_kill[i]
        kind = "drone" if profile == "drone" else "missile"
        lo, hi = _get(p, f"p_hit_{kind}_low"), _get(p, f"p_hit_{kind}_high")
        if lo > hi:
            raise ValueError(f"p_hit_{kind}_low is above p_hit_{kind}_high")
        p_hit[i] = lo + (hi - lo) * u_hit[i]
        raid = _get(p, "raid_size_drone") if profile == "drone" else _get(p, "salvo_size_missile")
        p_arr[i] = p_arrive(p_kill[i], raid, capacity)
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
    return pd.DataFrame(rows)


def cheaper_share(run: DroneRun, hardness: str, eligible: np.ndarray | None = None) -> pd.DataFrame:
    """Per draw: is the cheapest drone's cost per effective hit below the cheapest missile's?

    `eligible` (one flag per system) leaves out systems that reach none of the targets: a cheap
    short-range rocket is no alternative for a strike it cannot reach.
    """
    cls = run.systems["system_class"].to_numpy()
    ok = np.ones(len(cls), bool) if eligible is None else np.asarray(eligible, bool)
    drones, missiles = (cls == "drone") & ok, (cls != "drone") & ok
    if not drones.any() or not missiles.any():
        return pd.DataFrame()
    best_drone = run.cpeh[hardness][drones].min(axis=0)
    best_missile = run.cpeh[hardness][missiles].min(axis=0)
    ratio = best_missile / best_drone
    return pd.DataFrame({"ratio": ratio, "drone_cheaper": ratio > 1})


def saturation_curve(
    p_kill: tuple[float, float], capacity: tuple[float, float], raid_sizes: np.ndarray
) -> pd.DataFrame:
    """Share of a raid getting through against raid size: middle and ends of the priors."""
    rows = []
    for r in raid_sizes:
        mid = p_arrive(np.mean(p_kill), r, np.mean(capacity))
        worst = p_arrive(p_kill[1], r, capacity[1])
        best = p_arrive(p_kill[0], r, capacity[0])
        rows.append({"raid_size": int(r), "p_arrive": mid, "low": worst, "high": best})
    return pd.DataFrame(rows)


# ---- reach -------------------------------------------------------------------------------


def target_set(
    targets: pd.DataFrame, deep_targets: pd.DataFrame, front: pd.DataFrame
) -> pd.DataFrame:
    """Both target tables with each target's distance to the front line and depth band."""
    cols = ["target_id", "name", "target_type", "region", "lat", "lon"]
    both = pd.concat(
        [targets[cols].assign(table="targets"), deep_targets[cols].assign(table="deep_targets")],
        ignore_index=True,
    )
    if both["target_id"].duplicated().any():
        dup = ", ".join(both.loc[both["target_id"].duplicated(), "target_id"])
        raise ValueError(f"target ids in both target tables: {dup}")
    line = launch_line(front)
    both["line_distance_km"] = geo.distance_to_line_km(both["lat"], both["lon"], *line)
    both["band"] = pd.cut(
        both["line_distance_km"], DEPTH_BANDS_KM, labels=BAND_LABELS, right=False
    ).astype(str)
    return both


def in_reach(distance_km: np.ndarray, range_km: float, launch_depth_km: float) -> np.ndarray:
    """In reach: distance from the line plus the launch depth is within the range."""
    return np.asarray(distance_km, float) + launch_depth_km <= range_km


def reach_table(
    targets: pd.DataFrame, systems: pd.DataFrame, launch_depth_km: float
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
                    "n_reach": int(in_reach(d, s.range_km_central, launch_depth_km).sum()),
                    "n_reach_low": int(in_reach(d, s.range_km_low, launch_depth_km).sum()),
                    "n_reach_high": int(in_reach(d, s.range_km_high, launch_depth_km).sum()),
                }
            )
    return pd.DataFrame(rows)


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


def caps(systems: pd.DataFrame, p: Any, output: dict[str, float]) -> dict[str, float]:
    """Monthly cap per cap group: drone classes from production data, missiles from parameters."""
    out = {}
    for group in systems["cap_group"].unique():
        if group in ("long_range", "medium_range"):
            out[group] = float(output.get(group, 0.0))
        else:
            out[group] = float(_get(p, CAP_PARAMS[group]))
    return out


def hits_per_weapon(
    run: DroneRun, targets: pd.DataFrame, hard_share: float, launch_depth_km: float
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
            share = in_reach(d, s.range_km_central, launch_depth_km).mean() if len(d) else 0.0
            rows.append({"system_id": s.system_id, "band": band, "hits": per_shot[i] * share})
    return pd.DataFrame(rows)


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
                    "weapons": mix["weapons"][i],
                    "spend_usd": mix["spend_usd"][i],
                    "total_hits": mix["hits"],
                }
            )
    out = pd.DataFrame(rows)
    total = out.groupby("budget_usd")["spend_usd"].transform("sum")
    out["spend_share_pct"] = np.where(
        total > 0, 100 * out["spend_usd"] / total.where(total > 0, 1), 0
    )
    return out


# ---- the whole chapter model ------------------------------------------------------------


def analyse(
    tables: dict[str, pd.DataFrame], p: Any, as_of: Any, draws: int, seed: int
) -> dict[str, Any]:
    """Everything the chapter shows, from tables already filtered to the as-of date."""
    systems = prepare_systems(tables["strike_systems"], p)
    run = simulate(systems, p, draws, seed)
    interval = _get(p, "interval_pct")
    targets = target_set(tables["targets"], tables["deep_targets"], tables["front_line"])
    depth = _get(p, "launch_depth_km")
    all_systems = tables["strike_systems"]
    output = monthly_output(tables["drone_production"], as_of, _get(p, "drone_output_multiplier"))
    cap = caps(systems, p, output)
    hits = hits_per_weapon(run, targets, _get(p, "hard_target_share"), depth)
    budget = _get(p, "budget_usd_m_per_month") * 1e6
    mix = budget_mix(run, hits, targets, cap, budget, _get(p, "hits_per_target"))
    reach = reach_table(targets, all_systems, depth)
    reached = reach.groupby("system_id")["n_reach"].sum()
    eligible = systems["system_id"].map(reached).fillna(0).to_numpy() > 0
    sweep_budgets = np.geomspace(5e6, 2e9, 25)
    return {
        "systems": systems,
        "run": run,
        "cpeh": cpeh_summary(run, interval),
        "eligible": eligible,
        "cheaper_soft": cheaper_share(run, "soft", eligible),
        "cheaper_hard": cheaper_share(run, "hard", eligible),
        "targets": targets,
        "reach": reach,
        "reach_curve": reach_curve(targets, depth),
        "output": output,
        "caps": cap,
        "hits": hits,
        "mix": mix,
        "sweep": budget_sweep(run, hits, targets, cap, sweep_budgets, _get(p, "hits_per_target")),
    }


def _cheapest(frame: pd.DataFrame, ids: pd.Series) -> Any:
    """The system with the lowest median cost per effective hit among `ids`, or None."""
    part = frame.loc[frame.index.intersection(ids), "median_usd"]
    return part.idxmin() if len(part) else None


def _most(counts: pd.Series, ids: Any) -> int:
    """The largest count among `ids` (0 when there are none, e.g. before a system existed)."""
    part = counts.reindex(ids, fill_value=0)
    return int(part.max()) if len(part) else 0


def _at(frame: pd.DataFrame, key: Any, column: str) -> Any:
    return None if key is None else frame.loc[key, column]


def key_numbers(result: dict[str, Any], p: Any) -> dict[str, Any]:
    """The chapter's recorded results, computed from the analysis."""
    cpeh = result["cpeh"]
    systems = result["systems"]
    soft = cpeh[cpeh["hardness"] == "soft"].set_index("system_id")
    hard = cpeh[cpeh["hardness"] == "hard"].set_index("system_id")
    ok = result["eligible"]
    drones = systems.loc[(systems["system_class"] == "drone") & ok, "system_id"]
    missiles = systems.loc[(systems["system_class"] != "drone") & ok, "system_id"]
    # Early as-of dates can leave no drone or no missile that reaches a target: then None.
    best_drone = _cheapest(soft, drones)
    best_missile = _cheapest(soft, missiles)
    best_drone_hard = _cheapest(hard, drones)
    best_missile_hard = _cheapest(hard, missiles)
    cs, ch = result["cheaper_soft"], result["cheaper_hard"]
    targets = result["targets"]
    reach = result["reach"]
    per_system = reach.groupby("system_id")[["n_reach", "n_targets"]].sum()
    deep = targets["line_distance_km"] >= DEEP_KM
    deep_bands = [
        label for lo, label in zip(DEPTH_BANDS_KM, BAND_LABELS, strict=False) if lo >= DEEP_KM
    ]
    deep_reach = reach[reach["band"].isin(deep_bands)].groupby("system_id")["n_reach"].sum()
    strike_cls = reach.drop_duplicates("system_id").set_index("system_id")["system_class"]
    drone_ids = strike_cls[strike_cls == "drone"].index
    missile_ids = strike_cls[strike_cls != "drone"].index
    mix = result["mix"]
    spend = pd.Series(mix["spend_usd"], index=systems["system_id"])
    drone_spend_pct = 100 * spend[drones].sum() / spend.sum() if spend.sum() > 0 else 0.0
    sweep = result["sweep"]
    by_budget = (
        sweep.assign(is_drone=sweep["system_class"] == "drone")
        .groupby(["budget_usd", "is_drone"])["spend_share_pct"]
        .sum()
        .unstack(fill_value=0)
    )
    drone_share = by_budget.get(True, pd.Series(0.0, index=by_budget.index))
    missile_share = 100 - drone_share
    entering = missile_share[missile_share > 0.5]
    missiles_enter_usd = float(entering.index.min()) if len(entering) else None
    return {
        "n_systems": len(systems),
        "n_targets": len(targets),
        "n_deep_targets": int(deep.sum()),
        "best_drone": _at(soft, best_drone, "system_name"),
        "best_drone_cpeh_soft_usd": _at(soft, best_drone, "median_usd"),
        "best_drone_cpeh_soft_low_usd": _at(soft, best_drone, "low_usd"),
        "best_drone_cpeh_soft_high_usd": _at(soft, best_drone, "high_usd"),
        "best_missile": _at(soft, best_missile, "system_name"),
        "best_missile_cpeh_soft_usd": _at(soft, best_missile, "median_usd"),
        "best_missile_cpeh_soft_low_usd": _at(soft, best_missile, "low_usd"),
        "best_missile_cpeh_soft_high_usd": _at(soft, best_missile, "high_usd"),
        "best_drone_hard": _at(hard, best_drone_hard, "system_name"),
        "best_drone_cpeh_hard_usd": _at(hard, best_drone_hard, "median_usd"),
        "best_missile_hard": _at(hard, best_missile_hard, "system_name"),
        "best_missile_cpeh_hard_usd": _at(hard, best_missile_hard, "median_usd"),
        "p_drone_cheaper_soft": float(cs["drone_cheaper"].mean()) if len(cs) else None,
        "p_drone_cheaper_hard": float(ch["drone_cheaper"].mean()) if len(ch) else None,
        "ratio_soft_median": float(cs["ratio"].median()) if len(cs) else None,
        "max_drone_reach": _most(per_system["n_reach"], drone_ids),
        "max_missile_reach": _most(per_system["n_reach"], missile_ids),
        "max_drone_deep_reach": _most(deep_reach, drone_ids),
        "max_missile_deep_reach": _most(deep_reach, missile_ids),
        "mix_hits": mix["hits"],
        "mix_spent_usd": mix["spent_usd"],
        "mix_drone_spend_pct": drone_spend_pct,
        "sweep_drone_share_low_budget_pct": float(drone_share.iloc[0]),
        "sweep_drone_share_high_budget_pct": float(drone_share.iloc[-1]),
        "missiles_enter_budget_usd": missiles_enter_usd,
        "n_out_of_reach_systems": int((~ok).sum()),
        "long_range_per_month": result["output"].get("long_range", 0.0),
        "medium_range_per_month": result["output"].get("medium_range", 0.0),
        "icd_soft": likelihood_word(float(cs["drone_cheaper"].mean())) if len(cs) else "",
        "icd_hard": likelihood_word(float(ch["drone_cheaper"].mean())) if len(ch) else "",
    }
