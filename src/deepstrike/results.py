"""Record named results in a notebook, write computed prose, and assert what the prose claims."""

from __future__ import annotations

import html
import json
import math
import re
import string
from typing import Any

import numpy as np

MIME = "application/vnd.deepstrike.result+json"
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class NarrativeError(AssertionError):
    """The computed numbers no longer support a sentence of the text."""


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"result value of type {type(value).__name__} is not JSON-serialisable")


def record(name: str, value: Any, *, unit: str = "", label: str = "") -> Any:
    """Emit one named result (e.g. `pattern.n_systems`) for the build to collect; returns value."""
    from IPython.display import display

    if not _NAME.match(name):
        raise ValueError(f"result name {name!r} must look like chapter.name (lower case)")
    payload = {"name": name, "value": _plain(value), "unit": unit, "label": label}
    json.dumps(payload)  # fail here, in the notebook, rather than in the build
    # text/plain shows the value in JupyterLab; the renderer drops these outputs from the HTML.
    shown = f"{name} = {payload['value']!r} {unit}".rstrip()
    display({MIME: payload, "text/plain": shown}, raw=True)
    return value


def read(outputs_of_cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Results recorded in an executed notebook (the cells of its JSON)."""
    found: dict[str, dict[str, Any]] = {}
    for cell in outputs_of_cells:
        for out in cell.get("outputs", []):
            payload = out.get("data", {}).get(MIME)
            if payload:
                found[payload["name"]] = {k: v for k, v in payload.items() if k != "name"}
    return found


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        return html.escape(super().format_field(value, format_spec))


def render_prose(template: str, **values: Any) -> str:
    """The template is trusted text; every value is formatted, then HTML-escaped."""
    text = _EscapingFormatter().format(template, **values)
    # **bold** is the only markup prose needs; it is applied after escaping.
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def say(template: str, **values: Any) -> None:
    """Display a paragraph whose numbers come from computed values."""
    from IPython.display import HTML, display

    display(HTML(render_prose(template, **values)))


def expect(condition: bool, sentence: str) -> None:
    """Fail the notebook (and the build) when the data no longer support `sentence`."""
    if not bool(condition):
        raise NarrativeError(f"the text claims: {sentence!r}, but the computed results do not")


def join_names(names: list[str]) -> str:
    names = list(names)
    if not names:
        return "none"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


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


def likelihood_word(p: float) -> str:
    """The ICD 203 word for a probability in [0, 1]."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability {p} is outside [0, 1]")
    for edge, word in ICD_203:
        if p <= edge:
            return word
    return ICD_203[-1][1]


def estimative(p: float) -> str:
    """'likely (62%)': the word with the number beside it, as the house style requires."""
    pct = 100 * p
    shown = f"{pct:.0f}%" if 1 <= pct <= 99 else ("<1%" if pct < 1 else ">99%")
    if pct in (0, 100):
        shown = f"{pct:.0f}%"
    return f"{likelihood_word(p)} ({shown})"
