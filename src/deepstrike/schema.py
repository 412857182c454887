"""The building blocks of every parameter schema: one field helper, one base class, one error.

Low/high pairs are declared by name alone: a field `x_low` with a sibling `x_high` (and an
optional `x_mode` or `x_central` between them) is a range, and one validator here checks the
order for every chapter. Enumerations are `Literal`s; the error message suggests the nearest
allowed value.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

RANGE_MIDDLES = ("mode", "central")


class ParamError(ValueError):
    """A scenario or parameter that cannot be used; the message names the parameter."""


def field(default: Any, description: str, unit: str = "", **bounds: Any) -> Any:
    """A parameter with its default, description, unit and bounds, all declared once."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


def did_you_mean(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{near[0]}'?" if near else ""


def range_stems(model: type[BaseModel]) -> list[str]:
    """Stems `x` of every `x_low`/`x_high` pair of a schema, in declaration order."""
    names = list(model.model_fields)
    return [n[: -len("_low")] for n in names if n.endswith("_low") and f"{n[:-4]}_high" in names]


class ChapterParams(BaseModel):
    """Base of a chapter's parameters: unknown names are refused, ranges are ordered."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> ChapterParams:
        for stem in range_stems(type(self)):
            chain = [f"{stem}_low"]
            chain += [
                f"{stem}_{m}" for m in RANGE_MIDDLES if f"{stem}_{m}" in type(self).model_fields
            ]
            chain.append(f"{stem}_high")
            values = [getattr(self, name) for name in chain]
            if any(a > b for a, b in zip(values, values[1:], strict=False)):
                shown = " <= ".join(f"{n} ({v:g})" for n, v in zip(chain, values, strict=True))
                raise ValueError(f"range out of order: need {shown}")
        return self

    def check_data(self, tables: dict[str, Any]) -> None:
        """Raise ParamError when a parameter names something the data do not hold."""


def check_ids(chapter: str, name: str, values: list[str] | str, known: list[str]) -> None:
    """Every id in `values` must be one of `known` (ids from a data table)."""
    for value in [values] if isinstance(values, str) else values:
        if value not in known:
            raise ParamError(
                f"{chapter}.{name}: unknown id {value!r}.{did_you_mean(value, known)} "
                f"Known: {', '.join(known)}"
            )
