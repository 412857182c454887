"""The pattern chapter's what-if levers: which refusals start the clock, and the short horizon."""

from __future__ import annotations

from typing import Any

from deepstrike.chapters.pattern import figures
from deepstrike.whatif import Lever, one

FIGURE = "pattern-survival"
REASON = (
    "Why these levers: the coding rule for what starts the clock moves the median most (a "
    "statement refusing the class, or only one naming the system); the short horizon sets the "
    "first share the headline reports."
)
LEVERS = [
    Lever(
        "Which refusals start the clock",
        one(
            "refusal_scope",
            ("any public refusal of the class", "class"),
            ("only statements naming the system", "system"),
        ),
    ),
    Lever(
        "Short horizon",
        one("months_threshold_days", *((f"{d} days", d) for d in (30, 61, 91, 122, 150))),
        unit_label=lambda p: f"{p.months_threshold_days} days",
    ),
]


def figure(result: Any) -> Any:
    return figures.survival(result)
