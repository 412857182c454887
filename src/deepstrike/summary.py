"""Executive summary: bottom line and key judgments, built only from recorded key numbers.

Each chapter says what the summary takes from it (`chapters/<name>/summary/`); this module
only collects, in chapter order, so a new chapter joins the summary by being registered.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from deepstrike.chapter import Judgment
from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity


def key_judgments(numbers: dict[str, dict[str, Quantity]]) -> list[Judgment]:
    """Every judgment of every chapter that ran in this build."""
    out: list[Judgment] = []
    for chapter in CHAPTERS:
        if numbers.get(chapter.name):
            out.extend(chapter.judgments(numbers[chapter.name]))
    return out


def bottom_line(numbers: dict[str, dict[str, Quantity]]) -> Markup:
    """One paragraph, the briefing's first: one clause per chapter, values escaped."""
    parts = []
    for chapter in CHAPTERS:
        if numbers.get(chapter.name):
            clause = chapter.bottom_line(numbers[chapter.name])
            if clause:
                parts.append(clause)
    if not parts:
        return Markup("")
    # A clause is plain text (escaped here) or Markup rendered from a template.
    text = Markup("; ").join(p if isinstance(p, Markup) else Markup.escape(p) for p in parts)
    # Capitalise the first letter of the text, outside any tag.
    return Markup(
        re.sub(r"^((?:<[^>]+>)*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), str(text))
        + "."
    )
