"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from deepstrike.schema import ChapterParams, check_ids
from deepstrike.schema import field as _field

PATTERN_SYSTEMS = [
    "himars",
    "abrams",
    "f16",
    "patriot",
    "atacms",
    "atacms_lr",
    "us_weapons_kharkiv",
    "atacms_in_russia",
    "leopard2",
    "storm_shadow",
    "storm_shadow_in_russia",
    "taurus",
]


class PatternParams(ChapterParams):
    """Chapter 1: the refuse-then-approve pattern."""

    systems: list[str] = _field(
        PATTERN_SYSTEMS,
        "Decisions compared (system ids from data/pattern_events.csv); the decider's country "
        "puts each in the US test set or the allied comparison group",
        "system ids",
        min_length=1,
    )
    months_threshold_days: int = _field(
        91,
        "Short horizon: share of refusals that lasted at least this long (about three months)",
        "days",
        ge=14,
        le=365,
    )
    long_threshold_days: int = _field(
        182,
        "Long horizon: share of refusals that lasted at least this long (about six months)",
        "days",
        ge=15,
        le=730,
    )
    refusal_scope: Literal["class", "system"] = _field(
        "class",
        "Which public refusals start the clock: 'class' also counts statements that refuse the "
        "class (fighter jets, longer-range rockets, strikes on Russia) without naming the "
        "system; 'system' counts only statements that name it",
        "",
    )
    recounted: Literal["exclude", "count"] = _field(
        "exclude",
        "Requests and refusals first reported long after they were made (a private answer "
        "recounted later, such as Patriot in August 2021): 'exclude' keeps them in the record "
        "without starting the clock; 'count' starts the clock at them",
        "",
    )
    draws: int = _field(
        20_000,
        "Monte Carlo draws over approximate event dates (delays per decision)",
        "draws",
        ge=100,
        le=1_000_000,
    )
    curve_draws: int = _field(
        200,
        "Date draws for which the survival curves are recomputed (at most draws)",
        "draws",
        ge=20,
        le=5_000,
    )
    interval_pct: float = _field(
        90.0, "Width of the intervals shown (confidence and date draws)", "%", ge=50.0, le=99.0
    )

    @model_validator(mode="after")
    def _horizons_are_ordered(self) -> PatternParams:
        if self.long_threshold_days <= self.months_threshold_days:
            raise ValueError(
                f"long_threshold_days ({self.long_threshold_days}) must exceed "
                f"months_threshold_days ({self.months_threshold_days})"
            )
        return self

    def check_data(self, tables: dict[str, Any]) -> None:
        known = sorted(set(tables["pattern_events"]["system_id"]))
        check_ids("pattern", "systems", self.systems, known)
