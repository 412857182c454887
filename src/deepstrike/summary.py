"""Executive summary: bottom line and key judgments, built only from recorded key numbers.

Each chapter says what the summary takes from it (`chapters/<name>/summary/`); this module
only collects, in chapter order, so a new chapter joins the summary by being registered.

A key judgment's compact row on the first screen shows its gist: the part of its text a
chapter marks with `<span class="gist">…</span>` in its summary template, or else the text
itself, clamped to two lines with the rest one click away. The likelihood column lists the ICD
203 phrases the text states ('unlikely (33%)'); a judgment without one states a measured fact
or a model result, and says so.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from deepstrike.chapter import Judgment
from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity, likelihood_phrases

_GIST = re.compile(r'<span class="gist">(.*?)</span>', re.S)
_MARKED = re.compile(r'data-q="([^"]+)">([^<]*)<')


@dataclass(frozen=True)
class KeyJudgment(Judgment):
    """A chapter's judgment as the summary shows it."""

    ident: str = ""  # anchor on the page: judgment-<chapter>-<n>
    key: str = ""  # the same judgment in another build: <chapter>/<figure>/<n>
    gist: str = ""  # HTML marked by the chapter, or "" (the text is clamped instead)
    likelihoods: tuple[str, ...] = ()  # ICD 203 phrases of the text, as written

    @property
    def plain(self) -> str:
        return plain_text(self.text)

    @property
    def short(self) -> str:
        """The gist as plain text, or the text's first sentence."""
        return plain_text(self.gist) if self.gist else first_sentence(self.plain)

    def shown(self) -> dict[str, str]:
        """Every marked quantity of the text with the text it is shown as."""
        return {name: html.unescape(text) for name, text in _MARKED.findall(self.text)}


def plain_text(markup: str) -> str:
    text = re.sub(r"<[^>]+>", "", str(markup).replace("</p><p>", " "))
    return " ".join(html.unescape(text).split())


def first_sentence(text: str) -> str:
    """The first sentence of plain text (a full stop followed by a space and a capital)."""
    found = re.search(r"(?<=[a-z0-9%)\]])\.\s+(?=[A-Z0-9])", text)
    return text[: found.start() + 1] if found else text


def _enrich(judgment: Judgment, n: int) -> KeyJudgment:
    gist = _GIST.search(judgment.text)
    return KeyJudgment(
        judgment.chapter,
        judgment.text,
        judgment.confidence,
        judgment.figure,
        ident=f"judgment-{judgment.chapter}-{n}",
        key=f"{judgment.chapter}/{judgment.figure}/{n}",
        gist=gist.group(1) if gist else "",
        likelihoods=tuple(likelihood_phrases(plain_text(judgment.text))),
    )


def key_judgments(numbers: dict[str, dict[str, Quantity]]) -> list[KeyJudgment]:
    """Every judgment of every chapter that ran in this build."""
    out: list[KeyJudgment] = []
    for chapter in CHAPTERS:
        if numbers.get(chapter.name):
            for n, judgment in enumerate(chapter.judgments(numbers[chapter.name]), start=1):
                out.append(_enrich(judgment, n))
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


def numbers_from_results(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Quantity]]:
    """Every chapter's key numbers read back from the `results` of a results.json payload."""
    out: dict[str, dict[str, Quantity]] = {}
    for chapter in CHAPTERS:
        prefix = f"{chapter.name}."
        out[chapter.name] = {
            name[len(prefix) :]: Quantity.from_record(name, record)
            for name, record in results.items()
            if name.startswith(prefix) and isinstance(record, dict) and "kind" in record
        }
    return out


def judgments_of(payload: dict[str, Any]) -> list[KeyJudgment]:
    """The key judgments of a build, from its results.json payload alone."""
    return key_judgments(numbers_from_results(payload.get("results", {})))
