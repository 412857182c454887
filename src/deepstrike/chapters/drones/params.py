"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any, Literal

from deepstrike.schema import ChapterParams, ParamError, check_ids
from deepstrike.schema import field as _field

# Every row of data/strike_systems.csv: by default the chapter compares every system with data
# (a test keeps this list in step with the table); one left out is listed with its reason.
DRONE_SYSTEMS = [
    "atacms_m39",
    "atacms_lr",
    "storm_shadow",
    "gmlrs",
    "glsdb",
    "neptune_r360",
    "long_neptune",
    "liutyi",
    "uj26_beaver",
    "uj22_airborne",
    "morok",
    "palianytsia",
    "peklo",
    "fp1",
]
# Donated systems share one supply per group (both ATACMS variants come from one US stock);
# each group has a stated prior on what donors pass on per month (data/donor_supply.csv names
# which systems are donated and holds the record the priors are checked against).
DONATED_GROUPS = {
    "atacms_m39": "atacms",
    "atacms_lr": "atacms",
    "storm_shadow": "storm_shadow",
    "gmlrs": "gmlrs",
    "glsdb": "glsdb",
}


class DronesParams(ChapterParams):
    """Chapter 3: are long-range drones cheaper per effective hit, and do they reach further?"""

    systems: list[str] = _field(
        DRONE_SYSTEMS,
        "Systems compared on cost and in the budget mix (ids from data/strike_systems.csv); any "
        "system with data left out is listed with its reason",
        "system ids",
        min_length=2,
    )
    ballistic_systems: list[str] = _field(
        ["atacms_m39", "atacms_lr", "gmlrs"],
        "Missiles intercepted like ballistic missiles (the others fly like cruise missiles)",
        "system ids",
    )
    jet_drones: list[str] = _field(
        ["palianytsia", "peklo"],
        "Jet missile-drones: intercepted like cruise missiles, priced by the missile prior, built "
        "in the missile-drone production class",
        "system ids",
    )
    drone_cost_usd_low: float = _field(
        50_000.0,
        "Unit cost of a propeller drone whose price is unpublished: low (triangular prior)",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_cost_usd_mode: float = _field(
        100_000.0,
        "Unit cost of a propeller drone whose price is unpublished: most likely",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_cost_usd_high: float = _field(
        250_000.0,
        "Unit cost of a propeller drone whose price is unpublished: high",
        "USD",
        ge=1_000.0,
        le=5_000_000.0,
    )
    drone_payload_kg_low: float = _field(
        20.0,
        "Warhead of a propeller drone whose payload is unpublished: low (triangular prior)",
        "kg",
        ge=1.0,
        le=1000.0,
    )
    drone_payload_kg_high: float = _field(
        75.0,
        "Warhead of a propeller drone whose payload is unpublished: high",
        "kg",
        ge=1.0,
        le=1000.0,
    )
    missile_cost_usd_low: float = _field(
        150_000.0,
        "Unit cost of a missile, rocket or jet missile-drone whose price is unpublished (Neptune, "
        "GLSDB, Palianytsia, Peklo): low (triangular prior)",
        "USD",
        ge=10_000.0,
        le=20_000_000.0,
    )
    missile_cost_usd_mode: float = _field(
        500_000.0,
        "Unit cost of a missile or missile-drone whose price is unpublished: most likely",
        "USD",
        ge=10_000.0,
        le=20_000_000.0,
    )
    missile_cost_usd_high: float = _field(
        1_500_000.0,
        "Unit cost of a missile or missile-drone whose price is unpublished: high",
        "USD",
        ge=10_000.0,
        le=20_000_000.0,
    )
    missile_payload_kg_low: float = _field(
        50.0,
        "Warhead of a missile or missile-drone whose payload is unpublished: low (triangular)",
        "kg",
        ge=1.0,
        le=2000.0,
    )
    missile_payload_kg_high: float = _field(
        150.0,
        "Warhead of a missile or missile-drone whose payload is unpublished: high",
        "kg",
        ge=1.0,
        le=2000.0,
    )
    cost_spread_pct: float = _field(
        20.0, "Spread around a unit cost published as a single figure", "%", ge=0.0, le=90.0
    )
    air_defence_inputs: Literal["record", "priors"] = _field(
        "record",
        "Drone air-defence inputs: 'record' fits them to the published raid outcomes (Ukraine's "
        "record against Russian drones, an analogue; the priors stand while fewer than three "
        "raids are public), 'priors' uses the stated priors below",
        "choice",
    )
    ew_loss_low: float = _field(
        0.1,
        "Share of a drone raid lost to electronic warfare over the defended area, whatever the "
        "raid size: low (uniform prior, used without calibration)",
        "share",
        ge=0.0,
        le=0.99,
    )
    ew_loss_high: float = _field(
        0.5,
        "Share of a drone raid lost to electronic warfare: high (prior, without calibration)",
        "share",
        ge=0.0,
        le=0.99,
    )
    p_kill_drone_low: float = _field(
        0.5,
        "Chance an engaged drone is shot down: low (uniform prior, used without calibration)",
        "probability",
        ge=0.0,
        le=1.0,
    )
    p_kill_drone_high: float = _field(
        0.85,
        "Chance an engaged drone is shot down: high (prior, without calibration)",
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
        "Weapons the local air defence can engage in one raid: low (log-uniform prior; the raid "
        "record can only raise it)",
        "weapons",
        ge=1.0,
        le=5000.0,
    )
    defender_capacity_high: float = _field(
        1000.0,
        "Weapons the local air defence can engage in one raid: high",
        "weapons",
        ge=1.0,
        le=5000.0,
    )
    hard_target_share: float = _field(
        0.3, "Share of aim points that are hardened", "share", ge=0.0, le=1.0
    )
    drone_output_multiplier: float = _field(
        1.0,
        "Drone output relative to the stated figures (both drone range classes)",
        "ratio",
        ge=0.0,
        le=50.0,
    )
    open_ended_ratio: float = _field(
        1.5,
        "A statement that gives only a floor ('more than X', 'at least X') is read as X to this "
        "multiple of X",
        "ratio",
        ge=1.0,
        le=10.0,
    )
    built_missile_per_month_low: float = _field(
        5.0,
        "Ukrainian-built missiles and missile-drones a month when no production statement is "
        "public: low (stated prior)",
        "missiles/month",
        ge=0.0,
        le=10_000.0,
    )
    built_missile_per_month_high: float = _field(
        30.0,
        "Ukrainian-built missiles and missile-drones a month without a statement: high",
        "missiles/month",
        ge=0.0,
        le=10_000.0,
    )
    donated_atacms_per_month_low: float = _field(
        5.0,
        "ATACMS donors pass on per month: low (prior; the record: about two dozen M39 in "
        "Oct 2023 and over 100 long-range in Mar-Apr 2024, none reported since)",
        "missiles/month",
        ge=0.0,
        le=1000.0,
    )
    donated_atacms_per_month_high: float = _field(
        20.0, "ATACMS donors pass on per month: high", "missiles/month", ge=0.0, le=1000.0
    )
    donated_storm_shadow_per_month_low: float = _field(
        3.0,
        "Storm Shadow / SCALP donors pass on per month: low (prior; UK numbers unpublished, "
        "France announced 40 SCALP in Jan 2024)",
        "missiles/month",
        ge=0.0,
        le=1000.0,
    )
    donated_storm_shadow_per_month_high: float = _field(
        12.0,
        "Storm Shadow / SCALP donors pass on per month: high",
        "missiles/month",
        ge=0.0,
        le=1000.0,
    )
    donated_gmlrs_per_month_low: float = _field(
        100.0,
        "GMLRS rockets donors pass on per month: low (prior; numbers unpublished, US output "
        "about 7,500 a year in 2022 for every customer)",
        "rockets/month",
        ge=0.0,
        le=100_000.0,
    )
    donated_gmlrs_per_month_high: float = _field(
        500.0, "GMLRS rockets donors pass on per month: high", "rockets/month", ge=0.0, le=100_000.0
    )
    donated_glsdb_per_month_low: float = _field(
        5.0,
        "GLSDB the US passes on per month: low (prior; numbers unpublished)",
        "rockets/month",
        ge=0.0,
        le=10_000.0,
    )
    donated_glsdb_per_month_high: float = _field(
        30.0, "GLSDB the US passes on per month: high", "rockets/month", ge=0.0, le=10_000.0
    )
    budget_usd_m_per_month: float = _field(
        100.0,
        "Money a month for strike weapons Ukraine buys or builds (donated missiles are not bought)",
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

    def donated_prior(self, group: str) -> tuple[float, float]:
        """The stated prior (low, high) on what donors pass on per month, per supply group."""
        return (
            getattr(self, f"donated_{group}_per_month_low"),
            getattr(self, f"donated_{group}_per_month_high"),
        )

    def check_data(self, tables: dict[str, Any]) -> None:
        frame = tables["strike_systems"]
        known = sorted(set(frame["system_id"]))
        check_ids("drones", "systems", self.systems, known)
        check_ids("drones", "ballistic_systems", self.ballistic_systems, known)
        check_ids("drones", "jet_drones", self.jet_drones, known)
        donated = tables.get("donor_supply")
        for system in [] if donated is None else sorted(set(donated["system_id"])):
            if system not in DONATED_GROUPS:
                raise ParamError(
                    f"drones: {system!r} is donated (data/donor_supply.csv) but has no supply "
                    f"prior; donated systems with one: {', '.join(DONATED_GROUPS)}"
                )
