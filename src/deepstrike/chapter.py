"""What a chapter is (one registered unit) and what its notebook calls.

A chapter is a folder `deepstrike/chapters/<name>/` whose `__init__.py` defines `CHAPTER`. Its
notebook is thin: a parameters cell, then `run = open_chapter("<name>", globals())`, one call of
`run.analyse()`, figures, and prose rendered from the key numbers with `run.say`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from deepstrike.language import Quantity
from deepstrike.schema import ChapterParams

RESULT_MIME = "application/vnd.deepstrike.result+json"
# Scenario-level fields every notebook receives besides its own chapter's parameters.
SCENARIO_FIELDS = ("as_of", "seed")


@dataclass(frozen=True)
class Judgment:
    """One key judgment of the executive summary, taken from a chapter's key numbers."""

    chapter: str
    text: str  # HTML: every value escaped and marked
    confidence: str
    figure: str  # data-figure id the judgment rests on


@dataclass(frozen=True)
class Chapter:
    name: str
    order: int
    title: str
    notebook: str
    params: type[ChapterParams]
    tables: tuple[str, ...]
    analyse: Callable[..., Any]  # (params, tables, as_of, seed) -> result
    key_numbers: Callable[[Any], dict[str, Quantity]]
    # Shared parameter groups the chapter reads (deepstrike.launch.SHARED_GROUPS), e.g.
    # ("launch",): its analyse() then finds them as attributes of its params, `params.launch`.
    shared: tuple[str, ...] = ()

    @property
    def package(self) -> str:
        return f"deepstrike.chapters.{self.name}"

    @property
    def folder(self) -> Path:
        return Path(__file__).parent / "chapters" / self.name

    @cached_property
    def run_model(self) -> type[ChapterParams]:
        """The chapter's parameters plus the shared groups it reads: what analyse() receives."""
        if not self.shared:
            return self.params
        from pydantic import Field, create_model

        from deepstrike.launch import SHARED_GROUPS

        groups = {
            g: (SHARED_GROUPS[g], Field(default_factory=SHARED_GROUPS[g])) for g in self.shared
        }
        return create_model(f"{self.params.__name__}Run", __base__=self.params, **groups)

    def run_params(self, scenario: Any) -> ChapterParams:
        """analyse()'s parameters for a validated scenario."""
        own = getattr(scenario, self.name).model_dump()
        shared = {g: getattr(scenario, g) for g in self.shared}
        return self.run_model(**own, **shared)

    def numbers(self, result: Any) -> dict[str, Quantity]:
        """Key numbers with their full names (`chapter.quantity`)."""
        out = {}
        for short, q in self.key_numbers(result).items():
            if not isinstance(q, Quantity):
                raise TypeError(f"{self.name}.key_numbers: {short} is not a Quantity")
            out[short] = Quantity(
                q.value, q.unit, q.label, q.kind, q.digits, f"{self.name}.{short}"
            )
        return out

    @cached_property
    def _summary(self) -> Any:
        try:
            return importlib.import_module(f"{self.package}.summary")
        except ModuleNotFoundError:
            return None

    def judgments(self, numbers: dict[str, Quantity]) -> list[Judgment]:
        return list(self._summary.judgments(numbers)) if self._summary else []

    def bottom_line(self, numbers: dict[str, Quantity]) -> str | None:
        fn = getattr(self._summary, "bottom_line", None)
        return fn(numbers) if fn else None


def get(name: str) -> Chapter:
    from deepstrike.chapters import CHAPTERS

    for chapter in CHAPTERS:
        if chapter.name == name:
            return chapter
    raise KeyError(f"no chapter named {name!r}")


def params_from(chapter: Chapter, namespace: dict[str, Any]) -> ChapterParams:
    """The chapter's parameters from a notebook's variables, validated like the CLI does."""
    from deepstrike.launch import SHARED_GROUPS
    from deepstrike.params import ParamError, validate

    names = [*SCENARIO_FIELDS, *chapter.params.model_fields]
    names += [f"{g}_{n}" for g in chapter.shared for n in SHARED_GROUPS[g].model_fields]
    missing = [n for n in names if n not in namespace]
    if missing:
        raise ParamError(f"notebook {chapter.notebook}: parameters missing: {', '.join(missing)}")
    tree: dict[str, Any] = {
        "as_of": namespace["as_of"],
        "seed": namespace["seed"],
        chapter.name: {n: namespace[n] for n in chapter.params.model_fields},
    }
    for g in chapter.shared:
        tree[g] = {n: namespace[f"{g}_{n}"] for n in SHARED_GROUPS[g].model_fields}
    scenario = validate(tree, origin=f"notebook {chapter.notebook}")
    return scenario, chapter.run_params(scenario)


class Run:
    """One execution of a chapter in a notebook: parameters, tables, results, prose."""

    def __init__(self, chapter: Chapter, namespace: dict[str, Any]) -> None:
        from deepstrike import data

        self.chapter = chapter
        scenario, self.params = params_from(chapter, namespace)
        self.as_of = scenario.as_of
        self.seed = scenario.seed
        everything = {name: data.load_table(name) for name in chapter.tables}
        self.params.check_data(everything)
        self.tables = {n: data.load_table(n, as_of=self.as_of) for n in chapter.tables}
        self.result: Any = None
        self.key: dict[str, Quantity] = {}

    def analyse(self) -> Any:
        self.result = self.chapter.analyse(self.params, self.tables, self.as_of, self.seed)
        self.key = self.chapter.numbers(self.result)
        for q in self.key.values():
            _display_result(q)
        return self.result

    def context(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "p": self.params.model_dump(mode="json")}

    def whatif(self) -> None:
        """Sweep the chapter's what-if levers (deepstrike.whatif) and show the points; the build
        turns them into sliders under the main chart."""
        from IPython.display import display

        from deepstrike import whatif

        payload = whatif.compute(
            self.chapter, self.params, self.tables, self.as_of, self.seed, self.result
        )
        levers = "; ".join(f"{lv['name']}: {', '.join(lv['labels'])}" for lv in payload["levers"])
        note = f"what-if: {len(payload['points'])} points ({levers})"
        display({whatif.WHATIF_MIME: payload, "text/plain": note}, raw=True)

    def say(self, template: str) -> None:
        """Show one prose template rendered from the key numbers."""
        from IPython.display import display

        from deepstrike import prose

        context = self.context()
        text = prose.render(self.chapter.name, template, self.key, **context)
        data = prose.payload(self.chapter.name, template, self.key, context)
        display({prose.PROSE_MIME: data, "text/html": str(text)}, raw=True)


def _display_result(q: Quantity) -> None:
    from IPython.display import display

    payload = {"name": q.name, **q.as_record()}
    json.dumps(payload)  # fail here, in the notebook, rather than in the build
    # text/plain shows the value in JupyterLab; the renderer drops these outputs from the HTML.
    display(
        {RESULT_MIME: payload, "text/plain": f"{q.name} = {q.text()} {q.unit}".rstrip()}, raw=True
    )


def open_chapter(name: str, namespace: dict[str, Any]) -> Run:
    return Run(get(name), namespace)


def read_results(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Results recorded in an executed notebook (the cells of its JSON)."""
    found: dict[str, dict[str, Any]] = {}
    for cell in cells:
        for out in cell.get("outputs", []):
            payload = out.get("data", {}).get(RESULT_MIME)
            if payload:
                found[payload["name"]] = {k: v for k, v in payload.items() if k != "name"}
    return found


def parameters_source(chapter: Chapter) -> str:
    """The notebook's parameters cell, generated from the schema: typed literals with a comment
    (papermill reads the annotation as the type and the comment as the help)."""
    from deepstrike.launch import SHARED_GROUPS
    from deepstrike.params import ScenarioBase

    lines = []
    fields = {name: ScenarioBase.model_fields[name] for name in SCENARIO_FIELDS}
    fields.update(chapter.params.model_fields)
    for group in chapter.shared:
        fields.update({f"{group}_{n}": f for n, f in SHARED_GROUPS[group].model_fields.items()})
    for name, info in fields.items():
        default = info.get_default(call_default_factory=True)
        unit = (info.json_schema_extra or {}).get("unit", "")
        if hasattr(default, "isoformat"):
            default, kind = default.isoformat(), "str"
        else:
            kind = {bool: "bool", int: "int", float: "float", str: "str", list: "list"}[
                type(default)
            ]
        comment = f"{unit}: {info.description}" if unit else info.description
        literal = repr(default) if isinstance(default, bool) else json.dumps(default)
        lines.append(f"{name}: {kind} = {literal}  # {comment}")
    # The formatter would rewrap long literals and move the help comments papermill reads.
    return "\n".join(["# fmt: off", *lines, "# fmt: on"])
