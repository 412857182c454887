"""Words and numbers of the briefing: ICD 203 likelihood, number formats, plurals, quantities.

Every number a reader sees in prose is a `Quantity`: its value, unit, label and format are
declared once by the chapter's `key_numbers`, and printing it always gives the same text, with
a `data-q` marker so tests can check that one quantity shows one value across the page.
"""

from __future__ import annotations

import html
import math
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
