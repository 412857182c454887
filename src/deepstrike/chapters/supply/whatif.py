"""The supply chapter's what-if levers: how Ukraine fires, which firing rate, and the horizon."""

from __future__ import annotations

from typing import Any

from deepstrike.chapters.supply import figures
from deepstrike.whatif import Lever, one

FIGURE = "supply-depletion"
REASON = (
    "Why these levers: the chapter's judgment rests on the firing rate (see the two-way chart), "
    "so the firing assumption and how the missiles are fired are the levers that move it most; "
    "the horizon sets the question's window. The starting stock has its own chart above."
)
LEVERS = [
    Lever(
        "Firing rate",
        one(
            "firing_prior",
            ("from the launch record", "record"),
            ("the stated rate (firing_per_week)", "stated"),
        ),
    ),
    Lever(
        "How the missiles are fired",
        one("firing_policy", ("whole salvos", "salvo"), ("rationed", "rationing")),
    ),
    Lever(
        "Weeks simulated",
        one("horizon_weeks", *((f"{w} weeks", w) for w in (13, 26, 39, 52))),
        unit_label=lambda p: f"{p.horizon_weeks} weeks",
    ),
]


def figure(result: Any) -> Any:
    return figures.depletion_chart(result)
