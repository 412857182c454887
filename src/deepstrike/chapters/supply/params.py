"""Parameters of this chapter: default, unit, bounds and description of each, declared once.

Defaults use only what was public on 18 November 2024 (the baseline). Where a default comes from
the record of that date, its description says which figure it restates.
"""

from __future__ import annotations

from typing import Any, Literal

from deepstrike.schema import ChapterParams, check_ids
from deepstrike.schema import field as _field

Policy = Literal["rationing", "salvo"]
Prior = Literal["record", "stated"]


class SupplyParams(ChapterParams):
    """Chapter 2: how long Ukraine's ATACMS stock lasts, and what it can reach."""

    variant: str = _field(
        "atacms_lr",
        "ATACMS variant modelled (an atacms_* system id in data/strike_systems.csv)",
        "system id",
    )
    # ---- starting stock ----
    stock_prior: Prior = _field(
        "record",
        "record: reported deliveries minus reported launches, as public at the as-of date; "
        "stated: uniform between initial_stock_low and initial_stock_high",
        "prior",
    )
    initial_stock_low: int = _field(
        30,
        "Missiles on hand at the as-of date, lowest value (used by the stated stock prior only)",
        "missiles",
        ge=0,
        le=2000,
    )
    initial_stock_high: int = _field(
        80,
        "Missiles on hand at the as-of date, highest value (used by the stated stock prior only)",
        "missiles",
        ge=0,
        le=2000,
    )
    more_than_pct: float = _field(
        50.0,
        "A delivery reported as 'more than N' is read as N to N x (1 + this share): the next "
        "round figure a reporter would have used instead",
        "%",
        ge=0.0,
        le=500.0,
    )
    uncounted_attack_low: int = _field(
        3,
        "Missiles in an attack whose number was never published, lowest (3: the smallest "
        "count reported for an attack by 18 Nov 2024)",
        "missiles",
        ge=1,
        le=100,
    )
    uncounted_attack_high: int = _field(
        10,
        "Missiles in an attack whose number was never published, highest (10: the largest "
        "count reported for an attack by 18 Nov 2024)",
        "missiles",
        ge=1,
        le=100,
    )
    deliveries_per_month_low: float = _field(
        0.0,
        "New missiles delivered per month after the as-of date: lowest rate (uniform prior)",
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
    # ---- firing ----
    firing_prior: Prior = _field(
        "record",
        "record: weekly rate log-uniform between the long-run mean and the peak rate of the "
        "launch record public at the as-of date; stated: log-uniform between firing_per_week_low "
        "and firing_per_week_high",
        "prior",
    )
    firing_per_week_low: float = _field(
        5.0,
        "Missiles fired per week, lowest X",
        "missiles/week",
        ge=0.0,
        le=100.0,
    )
    firing_per_week_high: float = _field(
        5.0,
        "Missiles fired per week, highest (stated firing prior only)",
        "missiles/week",
        ge=0.0,
        le=100.0,
    )
    peak_window_weeks: int = _field(
        4,
        "Width of the window in which the record's peak firing rate is measured",
        "weeks",
        ge=1,
        le=26,
    )
    firing_policy: Policy = _field(
        "salvo",
        "salvo: whole salvos at the drawn rate until the stock is gone; rationing: the same "
        "number every week, but never more than the stock divided by ration_weeks",
        "policy",
    )
    salvo_size: int = _field(
        5,
        "Missiles per salvo (salvo policy; 5: the median count of the attacks reported by "
        "18 Nov 2024)",
        "missiles",
        ge=1,
        le=50,
    )
    ration_weeks: float = _field(
        8.0,
        "Rationing policy: in any week Ukraine fires at most the stock on hand divided by this",
        "weeks",
        ge=1.0,
        le=52.0,
    )
    loss_pct_per_month: float = _field(
        1.0, "Share of the stock destroyed before launch each month", "%", ge=0.0, le=50.0
    )
    # ---- effect ----
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
    horizon_weeks: int = _field(26, "Weeks simulated from the as-of date", "weeks", ge=4, le=156)
    draws: int = _field(20_000, "Monte Carlo draws", "draws", ge=100, le=1_000_000)
    interval_pct: float = _field(
        90.0, "Width of the uncertainty interval shown", "%", ge=50.0, le=99.0
    )

    def check_data(self, tables: dict[str, Any]) -> None:
        # The stock and the launch record are of ATACMS: another missile has no record here.
        ids = tables["strike_systems"]["system_id"]
        known = sorted(set(ids[ids.str.startswith("atacms")]))
        check_ids("supply", "variant", self.variant, known)
