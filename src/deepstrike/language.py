"""Words and numbers of the briefing: ICD 203 likelihood, number formats, plurals, quantities.

Every number a reader sees in prose is a `Quantity`: its value, unit, label and format are
declared once by the chapter's `key_numbers`, and printing it always gives the same text, with
a `data-q` marker so tests can check that one quantity shows one value across the page.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup

# ICD 203 expressions of likelihood, with the upper edge of each band (in probability).
ICD_203 = (
    (0.05, "almost no chance"),
    (0.20, "very unlikely"),
    (0.45, "unlikely"),
    (0.55, "roughly even chance"),
    (0.80, "likely"),
    (0.95, "very likely"),
    (1.00, "almost certain"),
)
ICD_WORDS = tuple(word for _, word in ICD_203)


def likelihood_word(p: float) -> str:
    """The ICD 203 word for a probability in [0, 1], chosen from the whole per cent shown
    beside it (so 4.98% and 5.02%, both shown as 5%, get the same word)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability {p} is outside [0, 1]")
    shown = min(max(round(100 * p), 1), 99) / 100
    for edge, word in ICD_203:
        if shown <= edge:
            return word
    return ICD_203[-1][1]


def percent(p: float) -> str:
    """A probability as the briefing shows it: whole per cent, kept within 1-99%."""
    pct = 100 * p
    if pct < 1:
        return "<1%"
    if pct > 99:
        return ">99%"
    return f"{round(pct):.0f}%"


def estimative(p: float) -> str:
    """'likely (62%)': the word with the number beside it, as the house style requires."""
    return f"{likelihood_word(p)} ({percent(p)})"


def join_names(names: list[str]) -> str:
    names = [str(n) for n in names]
    if not names:
        return "none"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def number(value: float, digits: int = 0) -> str:
    """Thousands separators; no '-0'."""
    text = f"{value:,.{digits}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text


def usd(value: float) -> str:
    """$1.97 m for millions, $420,000 below a million, $2.1 bn above a billion."""
    if abs(value) >= 1e9:
        return f"${value / 1e9:,.1f} bn"
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.2f} m"
    return f"${number(value)}"


FORMATS = (
    "count",
    "number",
    "days",
    "weeks",
    "km",
    "usd",
    "share",
    "probability",
    "ratio",
    "text",
    "names",
    "date",
    "flag",
)


@dataclass(frozen=True)
class Quantity:
    """One named result of a chapter, with the one way it is shown in prose."""

    value: Any
    unit: str = ""
    label: str = ""
    kind: str = "number"
    digits: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FORMATS:
            raise ValueError(f"unknown quantity format {self.kind!r}")

    def text(self) -> str:
        v, k = self.value, self.kind
        if v is None:
            return "–"
        if k == "flag":
            return "yes" if v else "no"
        if k in ("text", "date"):
            return v.isoformat() if isinstance(v, date) else str(v)
        if k == "names":
            return join_names(v)
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"quantity {self.name or self.label!r} is not finite: {v}")
        if k == "probability":
            return percent(v)
        if k == "share":
            return f"{number(100 * v, self.digits)}%"
        if k == "usd":
            return usd(v)
        if k == "ratio":
            return f"{number(v, self.digits or 1)}×"
        if k == "count":
            return number(v, 0)
        return number(v, self.digits)

    def __html__(self) -> str:
        attr = f' data-q="{html.escape(self.name)}"' if self.name else ""
        return f'<span class="q"{attr}>{html.escape(self.text())}</span>'

    def __str__(self) -> str:
        return self.text()

    def as_record(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value
        return {
            "value": value,
            "unit": self.unit,
            "label": self.label,
            "kind": self.kind,
            "digits": self.digits,
        }

    @classmethod
    def from_record(cls, name: str, record: dict[str, Any]) -> Quantity:
        return cls(
            record.get("value"),
            record.get("unit", ""),
            record.get("label", ""),
            record.get("kind", "number"),
            record.get("digits", 0),
            name,
        )


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Quantity) else x


def plural(n: Any, singular: str, plural_form: str | None = None) -> Markup:
    """'1 decision', '5 decisions': the number (a Quantity or a plain int) with its noun."""
    count = _value(n)
    word = singular if count == 1 else (plural_form or singular + "s")
    shown = Markup(n.__html__()) if isinstance(n, Quantity) else Markup.escape(number(count))
    return shown + Markup(" ") + Markup.escape(word)


def noun(n: Any, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, agreeing with n."""
    return singular if _value(n) == 1 else (plural_form or singular + "s")


def icd(p: Any) -> Markup:
    """'likely (62%)' for a probability quantity: the word beside its marked number."""
    value = _value(p)
    shown = Markup(p.__html__()) if isinstance(p, Quantity) else Markup.escape(percent(value))
    return Markup.escape(likelihood_word(value)) + Markup(" (") + shown + Markup(")")


FILTERS = {
    "plural": plural,
    "noun": noun,
    "icd": icd,
    "word": lambda p: likelihood_word(_value(p)),
    "names": lambda v: join_names(_value(v)),
    "n": lambda v, digits=0: number(_value(v), digits),
    "pct": lambda v, digits=0: f"{number(100 * _value(v), digits)}%",
    "usd": lambda v: usd(_value(v)),
    "value": _value,
}


# --- ICD 203 in sentences, and a check that each word sits beside a number of its band ---------

# Each word's band in per cent as shown; an edge (5%, 20%, ...) belongs to both neighbours, and
# '<1%' and '>99%' are the ends of the scale.
ICD_BANDS: dict[str, tuple[float, float]] = {
    word: (round(100 * low, 6), round(100 * high, 6))
    for (low, _), (high, word) in zip(((0.0, ""), *ICD_203[:-1]), ICD_203, strict=True)
}
# The two words that are nouns take 'has'; the adjectives take 'is'.
_NOUN_WORDS = {
    "almost no chance": "has almost no chance",
    "roughly even chance": "has a roughly even chance",
}


def _predicate(word: str) -> str:
    return _NOUN_WORDS.get(word, f"is {word}")


def icd_predicate(p: Any) -> Markup:
    """The likelihood as a predicate: 'is likely (62%)', 'has almost no chance (3%)', 'has a
    roughly even chance (50%)'. For a quantity whose value is ICD words as text (one word, or
    'A to B' across bands) the predicate alone, its numbers left to the template: 'is very
    unlikely', 'ranges from almost no chance to very unlikely'."""
    value = _value(p)
    if isinstance(value, str):
        words = value.strip()
        low, sep, high = words.partition(" to ")
        if sep and low in ICD_BANDS and high in ICD_BANDS:
            return Markup.escape(f"ranges from {low} to {high}")
        if words in ICD_BANDS:
            return Markup.escape(_predicate(words))
        raise ValueError(f"{words!r} is not an ICD 203 expression of likelihood")
    word = likelihood_word(value)
    shown = Markup(p.__html__()) if isinstance(p, Quantity) else Markup.escape(percent(value))
    return Markup.escape(_predicate(word)) + Markup(" (") + shown + Markup(")")


FILTERS["is_icd"] = icd_predicate

_WORDS_RE = "|".join(sorted((re.escape(w) for w in ICD_WORDS), key=len, reverse=True))
_NUM = r"(?:<|>)?\d+(?:\.\d+)?"
# 'likely (62%)', 'almost no chance to very unlikely (4%–11%)', 'unlikely (20–45%)'.
ICD_PHRASE = re.compile(
    rf"\b(?P<word>{_WORDS_RE})(?: to (?P<word2>{_WORDS_RE}))?\s*\(\s*"
    rf"(?P<n1>{_NUM})(?P<pct>%)?(?:\s*[–-]\s*(?P<n2>{_NUM})%)?\)?"
)
# '... cheaper in 100% of draws: almost certain': a number, then the word after a colon.
_NUMBER_THEN_WORD = re.compile(rf"(?P<n1>{_NUM})%[^.;:()%]{{0,40}}?[:—]\s*(?P<word>{_WORDS_RE})\b")


def _per_cent(shown: str) -> float:
    """What a shown number stands for: '<1' -> 0.5, '>99' -> 99.5, '62' -> 62."""
    if shown.startswith("<"):
        return 0.5
    if shown.startswith(">"):
        return 99.5
    return float(shown)


def _band_problem(word: str, shown: str, where: str) -> str | None:
    pct = _per_cent(shown)
    if shown[:1] not in "<>" and not 1 <= pct <= 99:
        return f"{where}: {shown}% is outside 1–99% (write '<1%' or '>99%')"
    low, high = ICD_BANDS[word]
    if not low <= pct <= high:
        return f"{where}: {shown}% lies outside the band of '{word}' ({low:.0f}–{high:.0f}%)"
    return None


def _phrase_numbers(m: re.Match[str]) -> list[tuple[str, str]] | None:
    """(word, number) pairs of one ICD phrase match, or None when its numbers are no per cent."""
    if not (m["pct"] or m["n2"]):
        return None  # 'likely (3 of 8 windows)'
    if not (m["word2"] or m["n2"]):
        return [(m["word"], m["n1"])]
    return [(m["word"], m["n1"]), (m["word2"] or m["word"], m["n2"] or m["n1"])]


def likelihood_problems(text: str) -> list[str]:
    """Every ICD 203 word in plain `text` beside a number outside its band or outside 1–99%:
    'almost certain (100%)', 'likely (30%)', 'in 100% of draws: almost certain'."""
    problems = []
    for m in ICD_PHRASE.finditer(text):
        for word, shown in _phrase_numbers(m) or []:
            problem = _band_problem(word, shown, repr(m.group(0)))
            if problem:
                problems.append(problem)
    for m in _NUMBER_THEN_WORD.finditer(text):
        problem = _band_problem(m["word"], m["n1"], repr(m.group(0)))
        if problem:
            problems.append(problem)
    return problems


def likelihood_phrases(text: str) -> list[str]:
    """The ICD 203 phrases of plain `text` as written: ['likely (62%)', ...]."""
    out = []
    for m in ICD_PHRASE.finditer(text):
        if _phrase_numbers(m) is None:
            continue
        words = m["word"] + (f" to {m['word2']}" if m["word2"] else "")
        numbers = m["n1"] + ("%" if m["pct"] else "") + (f"–{m['n2']}%" if m["n2"] else "")
        out.append(f"{words} ({numbers})")
    return out


# --- a quantity read with its unit, for tables (the comparison page) -------------------------

# Units a quantity's text already says (a per cent sign, a dollar sign, the ×).
_SAID_BY_TEXT = {"", "%", "USD", "probability", "share", "ratio", "×", "quantile"}


def reading(q: Quantity) -> str:
    """A quantity as a table shows it: its text with its unit in words, money as money:
    '$77.9 m' for 77.9 'USD m', '2.7 missiles/week', '39 hits', '26 weeks', '38% of draws'."""
    if q.value is None:
        return "–"
    text = q.text()
    unit = (q.unit or "").strip()
    if q.kind in ("text", "names", "date", "flag") or isinstance(q.value, bool):
        return text
    if q.kind in ("number", "count") and isinstance(q.value, (int, float)):
        if unit.startswith("USD m"):
            money = re.sub(r"\.?0+ m$", " m", usd(float(q.value) * 1e6))  # $77.9 m, $100 m
            return money + (" a month" if unit.endswith("/month") else "")
        if unit == "USD":
            return usd(float(q.value))
        if unit == "%":
            return f"{text}%"
    if q.kind == "count" and q.value == 1 and unit.endswith("s") and not unit.endswith("ss"):
        unit = unit[:-1]  # '1 target', not '1 targets'
    if (
        unit in _SAID_BY_TEXT
        or text.endswith(unit)
        or (q.kind == "share" and not unit.startswith("of "))
    ):
        return text
    return f"{text} {unit}"


def label_words(label: str, name: str = "") -> str:
    """A result's label as a heading: first letter capitalised; without a label, its name in
    words ('drones.mix_hits' -> 'Mix hits')."""
    text = (label or "").strip() or name.split(".", 1)[-1].replace("_", " ")
    return text[:1].upper() + text[1:]
