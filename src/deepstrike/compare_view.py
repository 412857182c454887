"""The analyst's comparison page: judgments side by side, headline charts overlaid, what changed
and why, and every result in words below.

Everything here is read from each build's results.json payload and its executed notebooks
(report/<scenario>/notebooks/); nothing is run again. A judgment "moved" between two scenarios
when its ICD words or its numbers differ; the page attributes a move to the parameters that feed
the judgment's chapter (its own, the shared groups it reads, and the as-of date and seed, which
feed every chapter) and says that this is an attribution by chapter, not a separation of the
effects of several parameters.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from deepstrike.chapters import CHAPTERS
from deepstrike.edition import clause_with, flat, mark_move, moved_numbers, topic
from deepstrike.language import ICD_BANDS, ICD_PHRASE, Quantity, label_words, number, reading
from deepstrike.summary import KeyJudgment, judgments_of

# The headline charts, overlaid scenario on scenario: (figure id, title on the page).
HEADLINE_FIGURES = (
    ("supply-depletion", "When the ATACMS stock runs out"),
    ("escalation-ladder", "Russian responses within the window: the ladder"),
    ("drones-cpeh", "Cost per effective hit"),
)
SCENARIO_COLOURS = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#7f6000", "#2e75b6"]
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "cross", "star", "x", "hexagon"]
DASHES = ["solid", "dash", "dot", "dashdot"]
SCENARIO_FIELDS = ("as_of", "seed")  # feed every chapter
NOT_PARAMETERS = ("title", "description")


# --- judgments side by side -------------------------------------------------------------------


@dataclass
class Cell:
    """One scenario's view of one judgment."""

    present: bool
    phrases: list[tuple[str, str]] = field(default_factory=list)  # (phrase, arrow)
    confidence: str = ""
    short: str = ""
    text: str = ""  # HTML of the whole judgment
    differs: bool = False  # from the first scenario


@dataclass
class JudgmentRow:
    key: str
    chapter: str
    chapter_title: str
    topic: str
    cells: list[Cell]

    @property
    def differs(self) -> bool:
        return any(c.differs for c in self.cells)


def _word_and_number(phrase: str) -> tuple[str, float | None]:
    m = ICD_PHRASE.match(phrase)
    if not m:
        return phrase, None
    shown = m["n2"] or m["n1"]
    value = 0.5 if shown.startswith("<") else 99.5 if shown.startswith(">") else float(shown)
    words = m["word"] + (f" to {m['word2']}" if m["word2"] else "")
    return words, value


def arrow(before: str, after: str) -> str:
    """'↑' or '↓' where the ICD word changed (the direction of the number), '' where it did not."""
    (w0, n0), (w1, n1) = _word_and_number(before), _word_and_number(after)
    if w0 == w1:
        return ""
    if n0 is not None and n1 is not None and n1 != n0:
        return "↑" if n1 > n0 else "↓"
    lo0 = ICD_BANDS.get(w0.split(" to ")[0], (0, 0))[0]
    lo1 = ICD_BANDS.get(w1.split(" to ")[0], (0, 0))[0]
    return "↑" if lo1 > lo0 else "↓"


def _same(a: KeyJudgment, b: KeyJudgment) -> bool:
    return a.likelihoods == b.likelihoods and a.shown() == b.shown()


def judgment_rows(payloads: list[dict[str, Any]]) -> list[JudgmentRow]:
    """One row per key judgment (aligned by chapter, chart and place), one cell per scenario."""
    per = [{j.key: j for j in judgments_of(p)} for p in payloads]
    keys: list[str] = []
    for found in per:
        keys += [k for k in found if k not in keys]
    titles = {c.name: c.title for c in CHAPTERS}
    order = {c.name: i for i, c in enumerate(CHAPTERS)}
    rows = []
    for key in keys:
        first = next(found[key] for found in per if key in found)
        base = per[0].get(key)
        cells = []
        for found in per:
            j = found.get(key)
            if j is None:
                cells.append(Cell(False, differs=base is not None))
                continue
            phrases = []
            for i, phrase in enumerate(j.likelihoods):
                was = base.likelihoods[i] if base and i < len(base.likelihoods) else ""
                phrases.append((phrase, arrow(was, phrase) if was else ""))
            cells.append(
                Cell(
                    True,
                    phrases,
                    j.confidence,
                    j.short,
                    j.text,
                    differs=base is None or not _same(base, j),
                )
            )
        rows.append(
            JudgmentRow(
                key, first.chapter, titles.get(first.chapter, first.chapter), topic(first), cells
            )
        )
    return sorted(rows, key=lambda r: order.get(r.chapter, 99))


# --- what changed and why ---------------------------------------------------------------------


def parameters_of(payload: dict[str, Any]) -> dict[str, Any]:
    params = dict(payload.get("parameters", {}))
    params.setdefault("as_of", payload.get("as_of"))
    params.setdefault("seed", payload.get("seed"))
    return {k: v for k, v in flat(params).items() if k not in NOT_PARAMETERS}


def chapters_fed(name: str) -> list[str]:
    """The chapters a parameter feeds: its own, those reading its shared group, or all."""
    group = name.split(".", 1)[0] if "." in name else ""
    if not group or name in SCENARIO_FIELDS:
        return [c.name for c in CHAPTERS]
    return [c.name for c in CHAPTERS if c.name == group or group in c.shared]


def _catalogue() -> dict[str, Any]:
    from deepstrike.params import catalogue

    return {info.name: info for info in catalogue()}


def value_words(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        digits = 0 if float(value).is_integer() else (2 if abs(value) < 10 else 1)
        text = number(float(value), digits)
    elif isinstance(value, list):
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    if unit and unit not in ("date", "rung id") and isinstance(value, (int, float)):
        return f"{text}%" if unit == "%" else f"{text} {unit}"
    return text


@dataclass
class Move:
    chapter_title: str
    text: str


@dataclass
class ParameterChange:
    name: str
    words: str
    values: list[str]
    chapters: list[str]  # titles of the chapters it feeds
    moved: list[Move]
    unmoved: list[str]  # chapters it feeds whose judgments did not move


@dataclass
class ChangeSet:
    """What differs between the first scenario and one other."""

    scenario: str
    base: str
    parameters: list[ParameterChange]
    unexplained: list[Move]  # judgments that moved with no parameter of their chapter changed
    summary: str


def _move_text(
    before: KeyJudgment | None,
    after: KeyJudgment | None,
    base: str,
    other: str,
    old_results: dict[str, Any],
    new_results: dict[str, Any],
) -> str:
    if before is None and after is not None:
        return f"only in {other}: {topic(after)}"
    if after is None and before is not None:
        return f"only in {base}: {topic(before)}"
    assert before is not None and after is not None
    texts = []
    for i, phrase in enumerate(after.likelihoods):
        was = before.likelihoods[i] if i < len(before.likelihoods) else ""
        if was and was != phrase:
            clause = clause_with(after.plain, phrase) or phrase
            texts.append(mark_move(clause, was, phrase, arrow(was, phrase)))
    if texts:
        return "; ".join(texts)
    moved = moved_numbers(before, after, old_results, new_results)
    shown = "; ".join(moved[:3])
    more = f"; {len(moved) - 3} more numbers" if len(moved) > 3 else ""
    return f"{topic(after)} — {shown}{more}" if shown else topic(after)


def change_sets(payloads: list[dict[str, Any]]) -> list[ChangeSet]:
    names = [p.get("scenario", f"scenario {i + 1}") for i, p in enumerate(payloads)]
    info = _catalogue()
    titles = {c.name: c.title for c in CHAPTERS}
    base_params = parameters_of(payloads[0])
    base_j = {j.key: j for j in judgments_of(payloads[0])}
    out = []
    for i, payload in enumerate(payloads[1:], start=1):
        params = parameters_of(payload)
        judg = {j.key: j for j in judgments_of(payload)}
        results = (payloads[0].get("results", {}), payload.get("results", {}))
        moved_keys = [
            k
            for k in list(base_j) + [k for k in judg if k not in base_j]
            if k not in base_j or k not in judg or not _same(base_j[k], judg[k])
        ]
        chapter_of = {k: (base_j.get(k) or judg[k]).chapter for k in moved_keys}
        differing = [
            n for n in sorted(set(base_params) | set(params)) if base_params.get(n) != params.get(n)
        ]
        changes = []
        explained: set[str] = set()
        for name in differing:
            fed = chapters_fed(name)
            meta = info.get(name)
            unit = getattr(meta, "unit", "") if meta else ""
            moves = []
            for k in moved_keys:
                if chapter_of[k] in fed:
                    explained.add(k)
                    text = _move_text(base_j.get(k), judg.get(k), names[0], names[i], *results)
                    moves.append(Move(titles.get(chapter_of[k], chapter_of[k]).split(":")[0], text))
            moved_chapters = {chapter_of[k] for k in moved_keys if chapter_of[k] in fed}
            changes.append(
                ParameterChange(
                    name,
                    getattr(meta, "description", "") if meta else "",
                    [value_words(base_params.get(name), unit), value_words(params.get(name), unit)],
                    [titles[c].split(":")[0] for c in fed if c in titles],
                    moves,
                    [
                        titles[c].split(":")[0]
                        for c in fed
                        if c in titles and c not in moved_chapters
                    ],
                )
            )
        unexplained = [
            Move(
                titles.get(chapter_of[k], chapter_of[k]).split(":")[0],
                _move_text(base_j.get(k), judg.get(k), names[0], names[i], *results),
            )
            for k in moved_keys
            if k not in explained
        ]
        n_moved = len(moved_keys)
        n_all = len(set(base_j) | set(judg))
        if not differing and not n_moved:
            summary = (
                f"{names[i]} and {names[0]} use the same parameters and reach the same judgments."
            )
        else:
            verb = "parameter differs" if len(differing) == 1 else "parameters differ"
            summary = f"{len(differing)} {verb}; {n_moved} of {n_all} key judgments moved."
        out.append(ChangeSet(names[i], names[0], changes, unexplained, summary))
    return out


# --- every result, in words -------------------------------------------------------------------


@dataclass
class ResultRow:
    name: str
    label: str
    unit: str
    values: list[str]
    differs: bool


def _flatten_value(name: str, record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, label, value text) rows of one recorded result; dict values one row per key."""
    label = label_words(record.get("label", ""), name)
    value = record.get("value")
    if isinstance(value, dict):
        unit = record.get("unit", "")
        return [
            (f"{name}[{k}]", f"{label}: {k}", value_words(v, unit if unit != "probability" else ""))
            for k, v in value.items()
        ]
    return [(name, label, reading(Quantity.from_record(name, record)))]


def result_table(payloads: list[dict[str, Any]]) -> list[ResultRow]:
    """Every result of every scenario with its label and unit in words; differing rows first."""
    per: list[dict[str, tuple[str, str]]] = []
    units: dict[str, str] = {}
    for payload in payloads:
        rows: dict[str, tuple[str, str]] = {}
        for name, record in payload.get("results", {}).items():
            if not isinstance(record, dict) or name.endswith(".headline"):
                continue
            for key, label, text in _flatten_value(name, record):
                rows[key] = (label, text)
                units.setdefault(key, record.get("unit", ""))
        per.append(rows)
    names = sorted(set().union(*per)) if per else []
    out = []
    for name in names:
        label = next(rows[name][0] for rows in per if name in rows)
        values = [rows[name][1] if name in rows else "–" for rows in per]
        unit = units.get(name, "")
        shown_unit = "" if unit in ("", "probability", "share", "ratio", "×") else unit
        out.append(ResultRow(name, label, shown_unit, values, len(set(values)) > 1))
    return sorted(out, key=lambda r: (not r.differs, r.name))


def parameter_table(payloads: list[dict[str, Any]]) -> list[ResultRow]:
    """Parameters that differ, in words (description and unit from the schema)."""
    info = _catalogue()
    flat = [parameters_of(p) for p in payloads]
    out = []
    for name in sorted(set().union(*flat)):
        values = [f.get(name) for f in flat]
        if all(v == values[0] for v in values):
            continue
        meta = info.get(name)
        unit = getattr(meta, "unit", "") if meta else ""
        words = getattr(meta, "description", "") if meta else ""
        out.append(ResultRow(name, words, unit, [value_words(v, unit) for v in values], True))
    return out


# --- headline charts overlaid -----------------------------------------------------------------


def _html_text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def find_figure(notebooks: Path, figure_id: str) -> dict[str, Any] | None:
    """The plotly JSON of one figure in a build's executed notebooks, or None."""
    from deepstrike.figures import FIGURE_MIME

    marker = f'data-figure="{figure_id}"'
    for chapter in CHAPTERS:
        path = Path(notebooks) / chapter.notebook
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        for cell in nb.get("cells", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if FIGURE_MIME in data and marker in _html_text(data.get("text/html")):
                    return data[FIGURE_MIME]
    return None


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def overlay(figures: list[tuple[str, dict[str, Any]]], title: str) -> Any:
    """One chart with every scenario's traces: a colour per scenario, a symbol or dash per
    series; the first scenario's axes. Maps, heat maps and text labels are left out."""
    import plotly.graph_objects as go

    base = go.Figure(figures[0][1])
    fig = go.Figure(layout=copy.deepcopy(base.layout))
    fig.update_layout(
        title={"text": title},
        annotations=[],
        shapes=[],
        showlegend=True,
        legend={"orientation": "h", "y": -0.2, "font": {"size": 11}},
    )
    has_bars = False
    for s, (scenario, spec) in enumerate(figures):
        colour = SCENARIO_COLOURS[s % len(SCENARIO_COLOURS)]
        source = go.Figure(spec)
        for t, trace in enumerate(source.data):
            if trace.type not in ("scatter", "bar"):
                continue
            mode = getattr(trace, "mode", None) or ""
            if (
                trace.type == "scatter"
                and mode
                and not ({"lines", "markers"} & set(mode.split("+")))
            ):
                continue  # a text-only label trace
            tr = copy.deepcopy(trace)
            series = trace.name or ""
            tr.name = f"{scenario}: {series}" if series else scenario
            tr.legendgroup = scenario
            tr.showlegend = True
            if trace.type == "bar":
                has_bars = True
                tr.marker.color = colour
                tr.marker.line = {"width": 0}
                tr.opacity = 0.8
                tr.offsetgroup = scenario
                tr.text = None
                tr.texttemplate = None
            else:
                if mode:
                    tr.mode = "+".join(m for m in mode.split("+") if m != "text") or "markers"
                tr.text = None
                tr.line.color = colour
                tr.line.dash = DASHES[s % len(DASHES)]
                if tr.fill and tr.fill != "none":
                    tr.fillcolor = _rgba(colour, 0.12)
                    tr.line.color = _rgba(colour, 0.0)
                tr.marker.color = colour
                tr.marker.symbol = SYMBOLS[t % len(SYMBOLS)]
            for axis in ("error_x", "error_y"):
                err = getattr(tr, axis, None)
                if err is not None and err.array is not None:
                    err.color = colour
            fig.add_trace(tr)
    if has_bars:
        fig.update_layout(barmode="group")
    return fig


@dataclass
class Chart:
    ident: str
    title: str
    html: Markup
    scenarios: list[str]  # those that have the chart
    missing: list[str]


def headline_charts(payloads: list[dict[str, Any]], notebook_dirs: list[Path]) -> list[Chart]:
    from deepstrike.figures import figure_html

    names = [p.get("scenario", f"scenario {i + 1}") for i, p in enumerate(payloads)]
    charts = []
    for figure_id, title in HEADLINE_FIGURES:
        found = [(n, find_figure(d, figure_id)) for n, d in zip(names, notebook_dirs, strict=True)]
        present = [(n, f) for n, f in found if f is not None]
        if not present:
            continue
        fig = overlay(present, title)
        ident = f"compare-{figure_id}"
        charts.append(
            Chart(
                ident,
                title,
                Markup(figure_html(fig, ident)),
                [n for n, _ in present],
                [n for n, f in found if f is None],
            )
        )
    return charts


# --- the page -------------------------------------------------------------------------------


def _notebook_dir(result: Any) -> Path:
    out_dir = getattr(result, "out_dir", None)
    return Path(out_dir if out_dir is not None else result) / "notebooks"


def page_context(payloads: list[dict[str, Any]], results: list[Any]) -> dict[str, Any]:
    """What compare.html.j2 shows besides the scenario list: `results` are the builds (each with
    `out_dir`) or their folders, in the order of `payloads`."""
    rows = judgment_rows(payloads)
    return {
        "scenario_names": [p.get("scenario", "") for p in payloads],
        "judgment_rows": rows,
        "n_moved": sum(r.differs for r in rows),
        "change_sets": change_sets(payloads),
        "charts": headline_charts(payloads, [_notebook_dir(r) for r in results]),
        "result_table": result_table(payloads),
        "parameter_table": parameter_table(payloads),
    }
