"""What the executive summary takes from the Supply chapter (read from results, not run)."""

from __future__ import annotations

from deepstrike.chapter import Judgment
from deepstrike.language import Quantity
from deepstrike.prose import plain, render


def judgments(k: dict[str, Quantity]) -> list[Judgment]:
    confidence = k["confidence"].value
    stock = render("supply", "judgment_stock", k, part="summary")
    out = [Judgment("supply", str(stock), confidence, "supply-stock-fan")]
    if k["missile_public"].value and k["airbases_total"].value:
        reach = render("supply", "judgment_reach", k, part="summary")
        out.append(Judgment("supply", str(reach), confidence, "supply-reach-map"))
    return out


def bottom_line(k: dict[str, Quantity]) -> str:
    """One clause of the briefing's bottom line: plain text, no final full stop."""
    return plain(render("supply", "bottom_line", k, part="summary")).rstrip(".")
