"""What the executive summary takes from the Pattern chapter (read from results, not run)."""

from __future__ import annotations

from deepstrike.chapter import Judgment
from deepstrike.language import Quantity
from deepstrike.prose import render


def judgments(k: dict[str, Quantity]) -> list[Judgment]:
    if k["n_us"].value == 0:
        return []
    text = render("pattern", "judgment", k, part="summary")
    return [Judgment("pattern", str(text), k["confidence"].value, "pattern-survival")]
