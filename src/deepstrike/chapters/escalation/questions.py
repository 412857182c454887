"""The escalation chapter's forecasts as ledger questions (deepstrike.ledger), and how the
backtest replays them.

Each question is one rung of the ladder within the chapter's horizon after the as-of date. The
record resolves a rung by the coding rules of data/escalation_coding.md (a response on the rung
dated in the window = yes); the audited record covers 2022-01-01 to 2024-12-31, so windows that
end later are resolved only by data/outcomes.csv.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from deepstrike.chapters.escalation.model import WAR_START, WESTERN_KINDS

# The last day the audited record of responses covers (data/escalation_coding.md).
RECORD_END = "2024-12-31"
# Steps of 2022-24 are the backtest's origins: the years the record was audited for.
LAST_STEP_YEAR = 2024


def _rung(rung: str) -> Any:
    def events(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        r = tables["escalation_responses"]
        mine = r[r["rung"] == rung]
        return pd.DataFrame(
            {"date_low": mine["date"], "date_high": mine["date"], "id": mine["response_id"]}
        )

    return {
        "events": events,
        "start": WAR_START.isoformat(),
        "end": RECORD_END,
        "tables": ("escalation_responses",),
    }


def _binary(name: str, wording: str, phrase: str, definition: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "binary",
        "wording": wording,
        "phrase": phrase,
        "definition": definition,
        "window": "horizon_days",
        "window_unit": "days",
        "forecast": f"p_{name}",
        "low": f"p_{name}_low",
        "high": f"p_{name}_high",
        "record": _rung(name),
    }


RULES = "by the coding rules of data/escalation_coding.md"

QUESTIONS: list[dict[str, Any]] = [
    _binary(
        "rhetoric",
        "Will a senior Russian official threaten retaliation over Western weapons or "
        "permissions within {window} of the as-of date?",
        "rhetorical threats",
        "At least one response on the rung rhetoric dated in the window, "
        f"{RULES}: a public, non-nuclear threat of retaliation by Putin, Peskov, Lavrov, "
        "Zakharova, Medvedev or the defence minister that names a Western weapon or permission "
        "decision (or the arming of Ukraine) and threatens consequences.",
    ),
    _binary(
        "nuclear_signalling",
        "Will Russia send a nuclear signal within {window} of the as-of date?",
        "nuclear signalling",
        f"At least one response on the rung nuclear_signalling dated in the window, {RULES}: a "
        "change of nuclear doctrine, an exercise of non-strategic nuclear forces, a deployment, "
        "a suspension of or withdrawal from an arms-control commitment, an alert change, or an "
        "explicit threat of nuclear use by a named senior official; stages of a decision "
        "already counted are not counted again.",
    ),
    _binary(
        "demonstrative_strike",
        "Will Russia carry out a demonstrative strike with a novel weapon within {window} of "
        "the as-of date?",
        "a demonstrative strike with a novel weapon",
        f"At least one response on the rung demonstrative_strike dated in the window, {RULES}: "
        "the first combat use against Ukraine of a weapon type presented as a novelty or a "
        "signal (such as Zircon in 2024 or Oreshnik on 21 November 2024).",
    ),
    _binary(
        "intensified_strikes",
        "Will Russia strike Ukraine on a record scale within {window} of the as-of date?",
        "record-scale strikes on Ukraine",
        f"At least one response on the rung intensified_strikes dated in the window, {RULES}: "
        "an attack that sets a new record for missiles and drones in one attack by the Ukrainian "
        "Air Force's count, as reported by a wire or major outlet.",
    ),
    _binary(
        "sabotage_europe",
        "Will a sabotage attack in Europe be attributed to Russia within {window} of the as-of "
        "date?",
        "a sabotage attack in Europe",
        f"At least one sabotage or arson attack (or foiled plot) dated in the window on the "
        "territory of an EU or NATO member that the member's government, police or prosecutors "
        f"attribute to Russia or its services, {RULES}. Attributions often come a year or more "
        "after the attack: the resolution is as of the latest data.",
    ),
    {
        "name": "sabotage_count",
        "kind": "count",
        "wording": "How many sabotage attacks in Europe attributed to Russia will fall within "
        "{window} of the as-of date?",
        "phrase": "sabotage attacks in Europe",
        "definition": "The number of attacks and foiled plots dated in the window that resolve "
        "the question on sabotage in Europe (each incident once; one operation of several "
        "incidents counts its incidents).",
        "window": "horizon_days",
        "window_unit": "days",
        "forecast": "sabotage_median",
        "low": "sabotage_low",
        "high": "sabotage_high",
        "unit": "attacks",
        "record": _rung("sabotage_europe"),
    },
    _binary(
        "attack_nato",
        "Will Russia deliberately attack NATO territory or forces within {window} of the as-of "
        "date?",
        "a direct attack on NATO territory or forces",
        f"At least one response on the rung attack_nato dated in the window, {RULES}: a "
        "deliberate Russian military attack on NATO territory or forces, as stated by the "
        "member's government; stray missiles, drone debris and airspace violations do not count.",
    ),
]


def origins(tables: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Each Western step of 2022-24, forecast on the day it became public, with its own
    depth and US attribution as 'this step'."""
    steps = tables["escalation_steps"]
    west = steps[steps["kind"].isin(WESTERN_KINDS) & (steps["date"].dt.year <= LAST_STEP_YEAR)]
    out = []
    for _, s in west.sort_values(["date", "step_id"], kind="stable").iterrows():
        public = max(s["date"], s["known_from"]) if "known_from" in s else s["date"]
        out.append(
            {
                "origin": pd.Timestamp(public).date().isoformat(),
                "label": str(s["step_name"]),
                "overrides": {
                    "depth_km": float(s["depth_km"]),
                    "us_attribution": 1.0 if bool(s["us_weapon"]) else 0.0,
                },
            }
        )
    return out


def horizon_days(params: Any) -> int:
    return int(params.horizon_days)


BACKTEST: dict[str, Any] = {
    "origins": origins,
    "horizon_days": horizon_days,
    # The sensitivity analysis does not enter any forecast: at its smallest it keeps the
    # replay fast. Fewer draws move the means by well under a percentage point.
    "settings": {"sobol_samples": 256, "draws": 4000},
    "record_end": RECORD_END,
    "origins_text": "each Western step of 2022-24 on the day it became public (escalation)",
}
