"""Parameter schema (one pydantic model per chapter), scenarios and command-line overrides."""

from __future__ import annotations

import difflib
import keyword
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from deepstrike import paths


class ParamError(ValueError):
    """A scenario or parameter that cannot be used; the message names the parameter."""


def _field(default: Any, description: str, unit: str = "", **bounds: Any) -> Any:
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class ChapterParams(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def check_data(self, tables: dict[str, Any]) -> None:
        """Raise ParamError when a parameter names something the data do not hold."""


def _did_you_mean(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean '{near[0]}'?" if near else ""


PATTERN_SYSTEMS = [
    "himars",
    "abrams",
    "f16",
    "patriot",
    "leopard2",
    "storm_shadow",
    "storm_shadow_in_russia",
    "atacms",
    "atacms_lr",
    "us_weapons_kharkiv",
    "atacms_in_russia",
    "taurus",
]


class PatternParams(ChapterParams):
    """Chapter 1: the refuse-then-approve pattern."""

    systems: list[str] = _field(
        PATTERN_SYSTEMS,
        "Systems and permissions compared (ids from data/pattern_events.csv)",
        "system ids",
        min_length=1,
    )
    months_threshold_days: int = _field(
        60,
        "A refusal counts as lasting 'months' when it lasted at least this long",
        "days",
        ge=14,
        le=365,
    )
    draws: int = _field(
        20_000,
        "Monte Carlo draws over approximate event dates",
        "draws",
        ge=100,
        le=1_000_000,
    )
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        known = sorted(set(tables["pattern_events"]["system_id"]))
        for system in self.systems:
            if system not in known:
                raise ParamError(
                    f"pattern.systems: unknown system {system!r}.{_did_you_mean(system, known)} "
                    f"Known systems: {', '.join(known)}"
                )


ESCALATION_RUNGS = [
    "rhetoric",
    "nuclear_signalling",
    "demonstrative_strike",
    "intensified_strikes",
    "sabotage_europe",
    "attack_nato",
]


class EscalationParams(ChapterParams):
    """Chapter 4: the escalation ladder, base rates from 2022-24, sensitivity."""

    horizon_days: int = _field(
        90,
        "A response counts when it falls this many days after a step; also the forecast horizon",
        "days",
        ge=14,
        le=365,
    )
    prior_alpha: float = _field(
        0.5, "Beta prior per rung: pseudo-steps followed by a response", "steps", ge=0.05, le=10.0
    )
    prior_beta: float = _field(
        0.5, "Beta prior per rung: pseudo-steps not followed by one", "steps", ge=0.05, le=50.0
    )
    depth_km: float = _field(
        300.0,
        "How far inside Russia this step lets Western weapons strike",
        "km",
        ge=0.0,
        le=3000.0,
    )
    depth_or_per_100km_low: float = _field(
        1.0,
        "Odds ratio of a response per 100 km deeper than past steps: low",
        "ratio",
        ge=1.0,
        le=5.0,
    )
    depth_or_per_100km_high: float = _field(
        1.3, "Odds ratio per 100 km deeper than past steps: high", "ratio", ge=1.0, le=5.0
    )
    volume_ratio: float = _field(
        1.0, "Expected volume of strikes relative to a typical past step", "ratio", ge=0.1, le=10.0
    )
    volume_or_per_doubling_low: float = _field(
        1.0, "Odds ratio of a response per doubling of volume: low", "ratio", ge=1.0, le=5.0
    )
    volume_or_per_doubling_high: float = _field(
        1.3, "Odds ratio per doubling of volume: high", "ratio", ge=1.0, le=5.0
    )
    us_attribution: float = _field(
        1.0,
        "How clearly the step is a US act (1: US weapon and US permission)",
        "share",
        ge=0.0,
        le=1.0,
    )
    us_or_low: float = _field(
        1.0, "Odds ratio for a fully US-attributed step against none: low", "ratio", ge=1.0, le=10.0
    )
    us_or_high: float = _field(
        1.5,
        "Odds ratio for a fully US-attributed step against none: high",
        "ratio",
        ge=1.0,
        le=10.0,
    )
    russian_strength: float = _field(
        1.0,
        "Russia's conventional strength relative to its 2022-24 average",
        "ratio",
        ge=0.25,
        le=4.0,
    )
    strength_or_per_doubling_low: float = _field(
        1.0,
        "Odds ratio per doubling of strength, conventional rungs up, deniable rungs down: low",
        "ratio",
        ge=1.0,
        le=5.0,
    )
    strength_or_per_doubling_high: float = _field(
        1.5, "The same odds ratio: high", "ratio", ge=1.0, le=5.0
    )
    third_party_or_per_10k_low: float = _field(
        0.8,
        "Odds ratio per 10,000 third-party troops fighting for Russia (below 1: the step reads as "
        "a reply): low",
        "ratio",
        ge=0.1,
        le=10.0,
    )
    third_party_or_per_10k_high: float = _field(
        1.25, "Odds ratio per 10,000 third-party troops: high", "ratio", ge=0.1, le=10.0
    )
    sabotage_tally: str = _field(
        "csis", "Public tally of sabotage attacks the rate rests on (csis or iiss)", "tally id"
    )
    sabotage_rate_ratio_low: float = _field(
        1.0,
        "Sabotage rate over the horizon relative to the latest tallied year: low",
        "ratio",
        ge=0.1,
        le=20.0,
    )
    sabotage_rate_ratio_high: float = _field(3.0, "The same ratio: high", "ratio", ge=0.1, le=20.0)
    focus_rung: str = _field(
        "attack_nato", "Rung whose probability the sensitivity analysis explains", "rung id"
    )
    draws: int = _field(20_000, "Monte Carlo draws over the priors", "draws", ge=1000, le=1_000_000)
    sobol_samples: int = _field(
        2048, "Base samples of the Sobol sensitivity analysis", "samples", ge=256, le=65536
    )
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        pairs = [
            "depth_or_per_100km",
            "volume_or_per_doubling",
            "us_or",
            "strength_or_per_doubling",
            "third_party_or_per_10k",
            "sabotage_rate_ratio",
        ]
        for stem in pairs:
            low, high = getattr(self, f"{stem}_low"), getattr(self, f"{stem}_high")
            if low > high:
                raise ParamError(f"escalation.{stem}_low ({low}) is above {stem}_high ({high})")
        if self.focus_rung not in ESCALATION_RUNGS:
            raise ParamError(
                f"escalation.focus_rung: unknown rung {self.focus_rung!r}."
                f"{_did_you_mean(self.focus_rung, ESCALATION_RUNGS)} "
                f"Rungs: {', '.join(ESCALATION_RUNGS)}"
            )
        sabotage = tables["sabotage_incidents"]
        known = sorted(set(sabotage["tally"].dropna()))
        if self.sabotage_tally not in known:
            raise ParamError(
                f"escalation.sabotage_tally: unknown tally {self.sabotage_tally!r}."
                f"{_did_you_mean(self.sabotage_tally, known)} Known tallies: {', '.join(known)}"
            )


SUPPLY_POLICIES = ["steady", "salvo"]


class SupplyParams(ChapterParams):
    """Chapter 2: how long Ukraine's ATACMS stock lasts, and what it can reach."""

    variant: str = _field(
        "atacms_lr", "Missile modelled (system id in data/strike_systems.csv)", "system id"
    )
    initial_stock_low: int = _field(
        30,
        "Missiles on hand at the as-of date: lowest value (uniform prior)",
        "missiles",
        ge=0,
        le=2000,
    )
    initial_stock_high: int = _field(
        80, "Missiles on hand at the as-of date: highest value", "missiles", ge=0, le=2000
    )
    deliveries_per_month_low: float = _field(
        0.0,
        "New missiles delivered per month: lowest rate (uniform prior)",
        "missiles/month",
        ge=0.0,
        le=200.0,
    )
    deliveries_per_month_high: float = _field(
        4.0, "New missiles delivered per month: highest rate", "missiles/month", ge=0.0, le=200.0
    )
    package_size: int = _field(
        10, "Deliveries arrive in packages of this many missiles", "missiles", ge=1, le=500
    )
    firing_policy: str = _field(
        "salvo", "steady: the same number every week; salvo: whole salvos in some weeks", "policy"
    )
    firing_per_week: float = _field(
        5.0, "Average missiles fired per week while stock lasts", "missiles/week", ge=0.0, le=100.0
    )
    salvo_size: int = _field(6, "Missiles per salvo (salvo policy)", "missiles", ge=1, le=50)
    loss_pct_per_month: float = _field(
        1.0, "Share of the stock destroyed before launch each month", "%", ge=0.0, le=50.0
    )
    reliability_low: float = _field(
        0.85, "Launch and flight reliability: 5th percentile", "probability", ge=0.01, le=0.99
    )
    reliability_high: float = _field(
        0.98, "Launch and flight reliability: 95th percentile", "probability", ge=0.01, le=0.99
    )
    interception_low: float = _field(
        0.08,
        "Probability a missile is intercepted: 5th percentile",
        "probability",
        ge=0.01,
        le=0.99,
    )
    interception_high: float = _field(
        0.50,
        "Probability a missile is intercepted: 95th percentile",
        "probability",
        ge=0.01,
        le=0.99,
    )
    hit_low: float = _field(
        0.70,
        "Probability an arriving missile hits its aim point: 5th percentile",
        "probability",
        ge=0.01,
        le=0.99,
    )
    hit_high: float = _field(
        0.95,
        "Probability an arriving missile hits: 95th percentile",
        "probability",
        ge=0.01,
        le=0.99,
    )
    standoff_km: float = _field(
        20.0, "Launchers stand this far behind the front line or border", "km", ge=0.0, le=150.0
    )
    relocated_beyond_pct: float = _field(
        90.0,
        "Share of Russian strike aircraft based beyond ATACMS range after relocation",
        "%",
        ge=0.0,
        le=100.0,
    )
    horizon_weeks: int = _field(26, "Weeks simulated from the as-of date", "weeks", ge=4, le=156)
    draws: int = _field(20_000, "Monte Carlo draws", "draws", ge=100, le=1_000_000)
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        for stem in ("initial_stock", "deliveries_per_month", "reliability", "interception", "hit"):
            low, high = getattr(self, f"{stem}_low"), getattr(self, f"{stem}_high")
            if low > high:
                raise ParamError(f"supply.{stem}_low ({low}) is above {stem}_high ({high})")
        if self.firing_policy not in SUPPLY_POLICIES:
            raise ParamError(
                f"supply.firing_policy: unknown policy {self.firing_policy!r}."
                f"{_did_you_mean(self.firing_policy, SUPPLY_POLICIES)} "
                f"Policies: {', '.join(SUPPLY_POLICIES)}"
            )
        known = sorted(set(tables["strike_systems"]["system_id"]))
        if self.variant not in known:
            raise ParamError(
                f"supply.variant: unknown system {self.variant!r}."
                f"{_did_you_mean(self.variant, known)} Known systems: {', '.join(known)}"
            )


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
    launch_depth_km: float = _field(
        50.0,
        "Launch positions lie this far behind the edge of Ukrainian-held ground",
        "km",
        ge=0.0,
        le=500.0,
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
        pairs = [
            "drone_payload_kg",
            "p_kill_drone",
            "p_kill_cruise",
            "p_kill_ballistic",
            "p_hit_drone",
            "p_hit_missile",
            "kg_soft",
            "kg_hard",
            "defender_capacity",
        ]
        for stem in pairs:
            low, high = getattr(self, f"{stem}_low"), getattr(self, f"{stem}_high")
            if low > high:
                raise ParamError(f"drones.{stem}_low ({low}) is above {stem}_high ({high})")
        if not self.drone_cost_usd_low <= self.drone_cost_usd_mode <= self.drone_cost_usd_high:
            raise ParamError(
                "drones.drone_cost_usd_low <= drone_cost_usd_mode <= drone_cost_usd_high"
            )
        frame = tables["strike_systems"]
        known = sorted(set(frame["system_id"]))
        for name in ("systems", "ballistic_systems"):
            for system in getattr(self, name):
                if system not in known:
                    raise ParamError(
                        f"drones.{name}: unknown system {system!r}."
                        f"{_did_you_mean(system, known)} Known systems: {', '.join(known)}"
                    )
        classes = dict(zip(frame["system_id"], frame["system_class"], strict=False))
        for system in self.systems:
            if classes.get(system) != "drone" and system not in DRONE_CAPPED_MISSILES:
                raise ParamError(
                    f"drones.systems: {system!r} has no monthly cap parameter; missiles with one: "
                    f"{', '.join(DRONE_CAPPED_MISSILES)}"
                )


@dataclass(frozen=True)
class Chapter:
    name: str
    notebook: str
    title: str
    params: type[ChapterParams]


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("pattern", "01_pattern.ipynb", "Pattern: refuse, then approve?", PatternParams),
    Chapter("supply", "02_supply.ipynb", "Missile supply: how long, how far?", SupplyParams),
    Chapter("drones", "03_drones.ipynb", "Drone alternatives: cheaper, deeper?", DronesParams),
    Chapter(
        "escalation",
        "04_escalation.ipynb",
        "Escalation risk: how might Moscow respond?",
        EscalationParams,
    ),
)

# Scenario-level fields every notebook receives besides its own chapter's parameters.
NOTEBOOK_SCENARIO_FIELDS = ("as_of", "seed")


class ScenarioBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = _field(
        "Baseline: as of the source article", "Title shown on the briefing", "", max_length=200
    )
    description: str = _field("", "What the scenario represents and why", "", max_length=2000)
    # The first Western long-range fires (HIMARS/GMLRS) arrived in late June 2022; before that
    # the strike-option chapters have no system to analyse.
    as_of: date = _field(
        date(2024, 11, 18),
        "Only data dated on or before this day are used",
        "date",
        ge=date(2022, 7, 1),
        le=date(2030, 12, 31),
    )
    seed: int = _field(20241118, "Random seed of every Monte Carlo model", "", ge=0, le=2**32 - 1)

    def notebook_parameters(self, chapter: Chapter) -> dict[str, Any]:
        """The flat name -> value mapping injected into one chapter's notebook."""
        values: dict[str, Any] = {"as_of": self.as_of.isoformat(), "seed": self.seed}
        values.update(getattr(self, chapter.name).model_dump(mode="json"))
        return values


# The scenario model: the scenario fields plus one field per chapter, from CHAPTERS.
Scenario = create_model(
    "Scenario",
    __base__=ScenarioBase,
    **{c.name: (c.params, Field(default_factory=c.params)) for c in CHAPTERS},
)


@dataclass(frozen=True)
class ParamInfo:
    name: str
    default: Any
    unit: str
    bounds: str
    description: str
    annotation: Any


def _bounds(field: Any) -> str:
    parts = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                parts.append(f"{sign} {getattr(item, attr)}")
        if getattr(item, "min_length", None) is not None:
            parts.append(f"at least {item.min_length} item(s)")
        if getattr(item, "max_length", None) is not None:
            parts.append(f"at most {item.max_length} characters")
    return ", ".join(parts)


def _info(name: str, field: Any) -> ParamInfo:
    extra = field.json_schema_extra or {}
    default = field.get_default(call_default_factory=True)
    return ParamInfo(
        name=name,
        default=default,
        unit=str(extra.get("unit", "")),
        bounds=_bounds(field),
        description=field.description or "",
        annotation=field.annotation,
    )


def catalogue() -> list[ParamInfo]:
    """Every parameter, scenario fields first, then each chapter's as `chapter.name`."""
    out = []
    for name, field in ScenarioBase.model_fields.items():
        out.append(_info(name, field))
    for chapter in CHAPTERS:
        for name, field in chapter.params.model_fields.items():
            out.append(_info(f"{chapter.name}.{name}", field))
    return out


def _names() -> list[str]:
    return [p.name for p in catalogue()]


def _unknown(name: str) -> ParamError:
    hint = _did_you_mean(name, _names())
    return ParamError(f"unknown parameter '{name}'.{hint} See `deepstrike params` for the list.")


_NAME_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(name: str) -> None:
    parts = name.split(".")
    # Names end up as Python assignments in papermill's injected cell, which does not check them.
    if len(parts) > 2 or not all(
        _NAME_PART.match(p) and p.isidentifier() and not keyword.iskeyword(p) for p in parts
    ):
        raise ParamError(
            f"parameter name {name!r} is not an identifier (expected name or chapter.name)"
        )


def _format_error(err: ValidationError, origin: str) -> ParamError:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not isinstance(p, int))
        if e["type"] == "extra_forbidden":
            return ParamError(f"{origin}: {_unknown(loc)}")
        value = e.get("input")
        shown = repr(value) if not isinstance(value, (dict, list)) else ""
        desc = {p.name: p for p in catalogue()}.get(loc)
        hint = f" ({desc.description}; {desc.unit or 'no unit'})" if desc else ""
        lines.append(f"{loc} = {shown}: {e['msg'].lower()}{hint}")
    return ParamError(f"{origin}: invalid parameter " + "; ".join(lines))


def _field_annotation(name: str) -> Any:
    for p in catalogue():
        if p.name == name:
            return p.annotation
    raise _unknown(name)


def parse_override(text: str) -> tuple[str, Any]:
    """`chapter.name=value` from the command line: the value is coerced by the schema's type."""
    if "=" not in text:
        raise ParamError(f"override {text!r} must look like name=value or chapter.name=value")
    name, raw = text.split("=", 1)
    name = name.strip()
    check_name(name)
    annotation = _field_annotation(name)
    if getattr(annotation, "__origin__", None) is list:
        # Lists are comma-separated on the command line: -p pattern.systems=himars,atacms
        return name, [item.strip() for item in raw.split(",") if item.strip()]
    return name, raw


def _set(tree: dict[str, Any], name: str, value: Any) -> None:
    if "." in name:
        chapter, field = name.split(".", 1)
        node = tree.setdefault(chapter, {})
        if not isinstance(node, dict):
            raise ParamError(f"'{chapter}' must be a mapping of parameters")
        node[field] = value
    else:
        tree[name] = value


def _check_tree(tree: dict[str, Any], origin: str) -> None:
    chapters = {c.name for c in CHAPTERS}
    for key, value in tree.items():
        name = str(key)
        if key in chapters and isinstance(value, dict):
            for sub in value:
                check_name(f"{name}.{sub}")
                _field_annotation(f"{name}.{sub}")
        else:
            check_name(name)
            if name in chapters:
                raise ParamError(f"{origin}: '{name}' must be a mapping of parameters")
            _field_annotation(name)


def scenario_path(ref: str) -> Path:
    """A scenario given by name (scenarios/NAME.yaml) or by path."""
    candidate = Path(ref)
    if candidate.suffix in {".yaml", ".yml"} or "/" in ref or "\\" in ref:
        if not candidate.is_file():
            raise ParamError(f"scenario file {ref!r} not found")
        return candidate
    if not _NAME_PART.match(ref.replace("-", "_")):
        raise ParamError(f"scenario name {ref!r} is not a valid name")
    path = paths.scenarios_dir() / f"{ref}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in paths.scenarios_dir().glob("*.yaml"))
        hint = _did_you_mean(ref, known)
        raise ParamError(f"unknown scenario {ref!r}.{hint} Available: {', '.join(known) or 'none'}")
    return path


def scenario_name(path: Path) -> str:
    name = path.stem
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ParamError(f"scenario file name {path.name!r} may only use letters, digits, - and _")
    return name


def read_scenario_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(f"scenario {path}: cannot be read ({exc})") from exc
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParamError(f"scenario {path}: malformed YAML{where}: {problem}") from exc
    if tree is None:
        return {}
    if not isinstance(tree, dict):
        raise ParamError(f"scenario {path}: must be a mapping of parameter names to values")
    return tree


def load_scenario(ref: str = "baseline", overrides: list[str] | None = None) -> tuple[str, Any]:
    """Resolve, read and validate a scenario plus `-p` overrides; raises ParamError."""
    path = scenario_path(ref)
    name = scenario_name(path)
    tree = read_scenario_file(path)
    _check_tree(tree, f"scenario {path}")
    for text in overrides or []:
        key, value = parse_override(text)
        _set(tree, key, value)
    return name, validate(tree, origin=f"scenario {name}")


def validate(tree: dict[str, Any], origin: str = "parameters") -> Any:
    try:
        _check_tree(tree, origin)
    except ParamError as exc:
        if str(exc).startswith(origin):
            raise
        raise ParamError(f"{origin}: {exc}") from None
    try:
        return Scenario.model_validate(tree)
    except ValidationError as err:
        raise _format_error(err, origin) from None


def changed_parameters(scenario: Any) -> dict[str, Any]:
    """Parameters that differ from the schema defaults, as `name` or `chapter.name`."""
    default = Scenario().model_dump(mode="json")
    current = scenario.model_dump(mode="json")
    out: dict[str, Any] = {}
    for key, value in current.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                if default[key].get(sub) != v:
                    out[f"{key}.{sub}"] = v
        elif default.get(key) != value:
            out[key] = value
    return out
