"""The drones chapter's what-if levers: a drone's chance of a hit and a missile's unit cost."""

from __future__ import annotations

from typing import Any

from deepstrike.chapters.drones import figures
from deepstrike.whatif import Lever, Option

FIGURE = "drones-bands"
REASON = (
    "Why these levers: where both reach, the verdict per band turns on what a drone that "
    "arrives achieves and on the price of missiles whose cost is a prior (Neptune); air-defence "
    "losses are calibrated to the raid record and move it less."
)


def _pair(name: str, low: float, high: float) -> Option:
    return Option(f"{low:.0%}–{high:.0%}", {f"{name}_low": low, f"{name}_high": high})


LEVERS = [
    Lever(
        "Chance an arriving drone hits (90% range)",
        (
            _pair("p_hit_drone", 0.2, 0.5),
            _pair("p_hit_drone", 0.4, 0.8),
            _pair("p_hit_drone", 0.6, 0.95),
        ),
        unit_label=lambda p: f"{p.p_hit_drone_low:.0%}–{p.p_hit_drone_high:.0%}",
    ),
    Lever(
        "Missile unit cost where unpublished (most likely)",
        tuple(Option(f"${v / 1e6:g} m", {"missile_cost_usd_mode": v}) for v in (250e3, 500e3, 1e6)),
        unit_label=lambda p: f"${p.missile_cost_usd_mode / 1e6:g} m",
    ),
]


def figure(result: Any) -> Any:
    return figures.band_chart(result.bands, result.cpeh)
