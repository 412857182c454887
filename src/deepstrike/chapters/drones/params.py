"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any

from deepstrike.schema import ChapterParams, ParamError, check_ids
from deepstrike.schema import field as _field

DRONE_SYSTEMS = [
    "atacms_lr",
    "storm_shadow",
    "gmlrs",
    "liutyi",
    "uj26_beaver",
    "uj22_airborne",
    "morok",
]
DRONE_CAPPED_MISSILES = ("atacms_lr", "atacms_m39", "storm_shadow", "gmlrs")


class DronesParams(ChapterParams):
    """Chapter 3: are long-range drones cheaper per effective hit, and do they reach further?"""

    systems: list[str] = _field(
        DRONE_SYSTEMS,
        "Systems compared on cost and in the budget mix (ids from data/strike_systems.csv)",
        "system ids",
        min_length=2,
    )
    ballistic_systems: list[str] = _field(
        ["atacms_m39", "atacms_lr", "gmlrs"],
        "Missiles intercepted like ballistic missiles (the others fly like cruise missiles)",
        "system ids",
    )
    drone_cost_usd_low: float = _field(
        50_000.0,
        "Unit cost of a drone whose price is unpublished: low (triangular prior)",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_cost_usd_mode: float = _field(
        100_000.0,
        "Unit cost of a drone whose price is unpublished: most likely",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_cost_usd_high: float = _field(
        250_000.0,
        "Unit cost of a drone whose price is unpublished: high",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_payload_kg_low: float = _field(
        20.0,
        "Warhead of a drone whose payload is unpublished: low (triangular prior)",
        "kg",
        ge=1.0,
        le=1000.0,
    )
    drone_payload_kg_high: float = _field(
        75.0, "Warhead of a drone whose payload is unpublished: high", "kg", ge=1.0, le=1000.0
    )
    cost_spread_pct: float = _field(
        20.0, "Spread around a unit cost published as a single figure", "%", ge=0.0, le=90.0
    )
    p_kill_drone_low: float = _field(
        0.5,
        "Chance an engaged drone is shot down or jammed off course: low",
        "probability",
        ge=0.0,
        le=1.0,
    )
    p_kill_drone_high: float = _field(
        0.85,
        "Chance an engaged drone is shot down or jammed off course: high",
        "probability",
        ge=0.0,
        le=1.0,
    )
    p_kill_cruise_low: float = _field(
        0.3, "Chance an engaged cruise missile is shot down: low", "probability", ge=0.0, le=1.0
    )
    p_kill_cruise_high: float = _field(
        0.7, "Chance an engaged cruise missile is shot down: high", "probability", ge=0.0, le=1.0
    )
    p_kill_ballistic_low: float = _field(
        0.1, "Chance an engaged ballistic missile is shot down: low", "probability", ge=0.0, le=1.0
    )
    p_kill_ballistic_high: float = _field(
        0.4, "Chance an engaged ballistic missile is shot down: high", "probability", ge=0.0, le=1.0
    )
    p_hit_drone_low: float = _field(
        0.4,
        "Chance a drone that gets through hits its aim point: low",
        "probability",
        ge=0.01,
        le=1.0,
    )
    p_hit_drone_high: float = _field(
        0.8,
        "Chance a drone that gets through hits its aim point: high",
        "probability",
        ge=0.01,
        le=1.0,
    )
    p_hit_missile_low: float = _field(
        0.75,
        "Chance a missile that gets through hits its aim point: low",
        "probability",
        ge=0.01,
        le=1.0,
    )
    p_hit_missile_high: float = _field(
        0.95,
        "Chance a missile that gets through hits its aim point: high",
        "probability",
        ge=0.01,
        le=1.0,
    )
    kg_soft_low: float = _field(
        20.0,
        "Soft target (distillation unit, aircraft in the open): payload for a 63% effect, low",
        "kg",
        ge=1.0,
        le=2000.0,
    )
    kg_soft_high: float = _field(
        60.0, "Soft target: payload for a 63% chance of effect, high", "kg", ge=1.0, le=2000.0
    )
    kg_hard_low: float = _field(
        200.0,
        "Hard target (shelter, bunker): payload for a 63% chance of effect, low",
        "kg",
        ge=1.0,
        le=5000.0,
    )
    kg_hard_high: float = _field(
        600.0, "Hard target: payload for a 63% chance of effect, high", "kg", ge=1.0, le=5000.0
    )
    raid_size_drone: int = _field(20, "Drones per raid on one target area", "drones", ge=1, le=1000)
    salvo_size_missile: int = _field(
        4, "Missiles per salvo on one target area", "missiles", ge=1, le=100
    )
    defender_capacity_low: float = _field(
        10.0,
        "Weapons the local air defence can engage in one raid: low (uniform)",
        "weapons",
        ge=0.0,
        le=1000.0,
    )
    defender_capacity_high: float = _field(
        40.0,
        "Weapons the local air defence can engage in one raid: high",
        "weapons",
        ge=0.0,
        le=1000.0,
    )
    hard_target_share: float = _field(
        0.3, "Share of aim points that are hardened", "share", ge=0.0, le=1.0
    )
    drone_output_multiplier: float = _field(
        1.0,
        "Drone output relative to the latest stated production plan",
        "ratio",
        ge=0.0,
        le=50.0,
    )
    cap_atacms_per_month: float = _field(
        20.0, "ATACMS available per month", "missiles/month", ge=0.0, le=1000.0
    )
    cap_storm_shadow_per_month: float = _field(
        10.0, "Storm Shadow / SCALP available per month", "missiles/month", ge=0.0, le=1000.0
    )
    cap_gmlrs_per_month: float = _field(
        400.0, "GMLRS rockets available per month", "rockets/month", ge=0.0, le=100_000.0
    )
    budget_usd_m_per_month: float = _field(
        100.0,
        "Money for long-range strike weapons per month",
        "USD million/month",
        ge=1.0,
        le=10_000.0,
    )
    hits_per_target: float = _field(
        2.0,
        "Effective hits per target per month beyond which more add nothing",
        "hits",
        ge=0.1,
        le=100.0,
    )
    draws: int = _field(20_000, "Monte Carlo draws", "draws", ge=1000, le=1_000_000)
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        frame = tables["strike_systems"]
        known = sorted(set(frame["system_id"]))
        check_ids("drones", "systems", self.systems, known)
        check_ids("drones", "ballistic_systems", self.ballistic_systems, known)
        classes = dict(zip(frame["system_id"], frame["system_class"], strict=False))
        for system in self.systems:
            if classes.get(system) != "drone" and system not in DRONE_CAPPED_MISSILES:
                raise ParamError(
                    f"drones.systems: {system!r} has no monthly cap parameter; missiles with one: "
                    f"{', '.join(DRONE_CAPPED_MISSILES)}"
                )
