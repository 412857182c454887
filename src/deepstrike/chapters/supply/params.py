"""Parameters of this chapter: default, unit, bounds and description of each, declared once."""

from __future__ import annotations

from typing import Any, Literal

from deepstrike.schema import ChapterParams, check_ids
from deepstrike.schema import field as _field

Policy = Literal["steady", "salvo"]


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
    firing_policy: Policy = _field(
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
        known = sorted(set(tables["strike_systems"]["system_id"]))
        check_ids("supply", "variant", self.variant, known)
