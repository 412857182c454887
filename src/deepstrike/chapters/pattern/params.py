"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any

from deepstrike.schema import ChapterParams, check_ids
from deepstrike.schema import field as _field

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
        check_ids("pattern", "systems", self.systems, known)
