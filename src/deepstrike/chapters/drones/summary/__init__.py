"""What the executive summary takes from the Drone chapter (read from results, not run)."""

from __future__ import annotations

from deepstrike.chapter import Judgment
from deepstrike.language import Quantity
from deepstrike.prose import plain, render


def judgments(k: dict[str, Quantity]) -> list[Judgment]:
    out = []
    if k["comparable"].value:
        text = render("drones", "cost", k, part="summary")
        out.append(Judgment("drones", str(text), k["confidence"].value, "drones-bands"))
    if k["n_drone_types"].value and k["n_targets"].value:
        text = render("drones", "reach", k, part="summary")
        out.append(Judgment("drones", str(text), k["confidence"].value, "drones-reach-curve"))
    return out


def bottom_line(k: dict[str, Quantity]) -> str | None:
    """One clause of the briefing's bottom line: plain text, no final full stop."""
    if not k["comparable"].value:
        return None
    return plain(render("drones", "bottom_line", k, part="summary"))
