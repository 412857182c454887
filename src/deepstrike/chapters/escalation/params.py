"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any, Literal, get_args

from deepstrike.schema import ChapterParams, check_ids
from deepstrike.schema import field as _field

Rung = Literal[
    "rhetoric",
    "nuclear_signalling",
    "demonstrative_strike",
    "intensified_strikes",
    "sabotage_europe",
    "attack_nato",
]
# How the depth effect treats a step deeper than any on record.
DepthRule = Literal["bounded", "extrapolate"]
# The modelled rungs, lowest first: the schema's enumeration is the one list.
ESCALATION_RUNGS: list[str] = list(get_args(Rung))


class EscalationParams(ChapterParams):
    """Chapter 4: the escalation ladder against a background of control windows, sensitivity."""

    horizon_days: int = _field(
        90,
        "Window after a step (and of each control window) in which a response counts; also "
        "the forecast horizon",
        "days",
        ge=14,
        le=365,
    )
    prior_alpha: float = _field(
        0.5,
        "Beta prior of each rung's background and step effect: pseudo-windows with a response",
        "windows",
        ge=0.05,
        le=10.0,
    )
    prior_beta: float = _field(
        0.5, "The same prior: pseudo-windows without one", "windows", ge=0.05, le=50.0
    )
    depth_km: float = _field(
        300.0,
        "How far inside Russia this step lets Western weapons strike",
        "km",
        ge=0.0,
        le=3000.0,
    )
    depth_beyond_record: DepthRule = _field(
        "bounded",
        "Depth past the deepest closed step on record: bounded (the depth effect stops there) "
        "or extrapolate (a scenario, not an estimate)",
        "rule",
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
        "csis",
        "Public tally of sabotage attacks shown beside the record (csis or iiss)",
        "tally id",
    )
    sabotage_rate_ratio_low: float = _field(
        1.0,
        "Sabotage attacks over the horizon relative to the rate of the attributed record "
        "(attributions lag, tallies count more): low",
        "ratio",
        ge=0.1,
        le=20.0,
    )
    sabotage_rate_ratio_high: float = _field(3.0, "The same ratio: high", "ratio", ge=0.1, le=20.0)
    focus_rung: Rung = _field(
        "attack_nato", "Rung whose forecast the sensitivity analysis explains", "rung id"
    )
    draws: int = _field(
        20_000,
        "Monte Carlo draws over the posteriors and effect sizes",
        "draws",
        ge=1000,
        le=1_000_000,
    )
    sobol_samples: int = _field(
        2048,
        "Base samples of the Sobol sensitivity analysis (rounded up to a power of two)",
        "samples",
        ge=256,
        le=65536,
    )
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        known = sorted(set(tables["sabotage_incidents"]["tally"].dropna()))
        check_ids("escalation", "sabotage_tally", self.sabotage_tally, known)
