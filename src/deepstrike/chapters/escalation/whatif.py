"""The escalation chapter's what-if levers: the window after a step and the volume of strikes."""

from __future__ import annotations

from typing import Any

from deepstrike.chapters.escalation import figures
from deepstrike.whatif import Lever, one

FIGURE = "escalation-ladder"
REASON = (
    "Why these levers: the window sets both the question and the control windows the "
    "background rates come from, and the volume of strikes is the provocation a reader most "
    "often wants to vary; the priors, which dominate the rungs never observed, are shown as a "
    "range in the chapter itself."
)
# The Sobol sample size sets only the sensitivity section: neither the headline nor the ladder
# reads it (tests/test_whatif.py checks), so every point runs with the smallest one.
SETTINGS = {"sobol_samples": 256}
LEVERS = [
    Lever(
        "Window after the step",
        one("horizon_days", *((f"{d} days", d) for d in (30, 90, 180))),
        unit_label=lambda p: f"{p.horizon_days} days",
    ),
    Lever(
        "Volume of strikes against a typical past step",
        one("volume_ratio", *((f"{v:g}×", v) for v in (0.5, 1.0, 2.0, 4.0))),
        unit_label=lambda p: f"{p.volume_ratio:g}×",
    ),
]


def figure(result: Any) -> Any:
    return figures.ladder(result)
