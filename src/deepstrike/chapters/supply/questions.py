"""The supply chapter's forecasts as ledger questions (deepstrike.ledger), and how the backtest
replays them.

The record resolves the stock's run-out by reports that Ukraine had none left (a stock estimate
of zero in data/atacms_supply.csv); the day is known to the range between the last launch on
record before the report and the day the report refers to. The record of stock estimates
reaches 31 January 2025 (AP, March 2025), so windows that end later are resolved only by
data/outcomes.csv. The record knows one such report: that the stock never ran dry before, in
the months without a reported launch, is an assumption of every 'no'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

# The day the latest stock figure of the record refers to (AP: none left by late January 2025).
RECORD_END = "2025-01-31"


def exhausted(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each report of an empty stock: between the last launch on record before it and the day
    it refers to."""
    supply, launches = tables["atacms_supply"], tables["atacms_launches"]
    empty = supply[(supply["quantity"] == "stock") & (supply["value_high"] == 0)]
    rows = []
    for _, e in empty.iterrows():
        before = launches.loc[launches["date"] <= e["refers_to"], "date"]
        rows.append(
            {
                "date_low": before.max() if len(before) else e["refers_to"],
                "date_high": e["refers_to"],
                "id": e["estimate_id"],
            }
        )
    return pd.DataFrame(rows, columns=["date_low", "date_high", "id"])


def first_delivery(tables: Mapping[str, pd.DataFrame]) -> Any:
    batches = tables["atacms_supply"]
    batches = batches[batches["quantity"] == "delivered_batch"]
    return None if batches.empty else batches["refers_to"].min()


RECORD = {
    "events": exhausted,
    "start": first_delivery,
    "end": RECORD_END,
    "tables": ("atacms_supply", "atacms_launches"),
}

DEFINITION = (
    "Ukraine has fired its last ATACMS (of any variant) and holds none, as stated by a US or "
    "Ukrainian official or reported by a wire or major outlet, on a day in the window; a stock "
    "replenished after running dry still ran out."
)

QUESTIONS: list[dict[str, Any]] = [
    {
        "name": "runs_out",
        "kind": "binary",
        "wording": "Will Ukraine's ATACMS stock run out within {window} of the as-of date?",
        "phrase": "the ATACMS stock running out",
        "definition": DEFINITION,
        "window": "horizon_weeks",
        "window_unit": "weeks",
        "forecast": "p_runs_out",
        "record": RECORD,
    },
    {
        "name": "depletion_week",
        "kind": "date",
        "wording": "In which week after the as-of date does Ukraine's ATACMS stock run out "
        "(within {window})?",
        "phrase": "the ATACMS stock running out",
        "definition": DEFINITION + " Week 1 holds the seven days after the as-of date.",
        "window": "horizon_weeks",
        "window_unit": "weeks",
        "forecast": "depletion_week_median",
        "low": "depletion_week_low",
        "high": "depletion_week_high",
        "event_probability": "p_runs_out",
        "record": RECORD,
    },
]


def origins(tables: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The first day of every month after the first ATACMS delivery became public, up to the
    end of the record."""
    supply = tables["atacms_supply"]
    batches = supply[supply["quantity"] == "delivered_batch"]
    if batches.empty:
        return []
    first = batches["known_from"].min() if "known_from" in batches else batches["refers_to"].min()
    months = pd.date_range(first + pd.offsets.MonthBegin(1), RECORD_END, freq="MS")
    return [
        {"origin": m.date().isoformat(), "label": m.strftime("%B %Y"), "overrides": {}}
        for m in months
    ]


def horizon_days(params: Any) -> int:
    return 7 * int(params.horizon_weeks)


BACKTEST: dict[str, Any] = {
    "origins": origins,
    "horizon_days": horizon_days,
    "settings": {"draws": 5000},
    "record_end": RECORD_END,
    "origins_text": "the first day of each month after the first ATACMS delivery became public "
    "(supply)",
}
