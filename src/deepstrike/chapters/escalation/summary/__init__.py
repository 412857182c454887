"""What the executive summary takes from the Escalation chapter (read from results, not run)."""

from __future__ import annotations

from markupsafe import Markup

from deepstrike.chapter import Judgment
from deepstrike.language import Quantity
from deepstrike.prose import inline, render


def judgments(k: dict[str, Quantity]) -> list[Judgment]:
    text = render("escalation", "judgment", k, part="summary")
    return [Judgment("escalation", str(text), k["confidence"].value, "escalation-ladder")]


def bottom_line(k: dict[str, Quantity]) -> Markup:
    """One clause of the briefing's bottom line (inline HTML, no final full stop)."""
    return inline("escalation", "bottom_line", k)
