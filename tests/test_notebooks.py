"""Notebooks: parameters mirror the schema, shape rules hold, and they run outside the build."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from deepstrike import params, paths, prose
from deepstrike.chapter import Chapter, parameters_source
from deepstrike.chapters import CHAPTERS
from deepstrike.params import NOTEBOOK_SCENARIO_FIELDS

NOTEBOOKS = paths.notebooks_dir()
CHAPTER_IDS = [c.name for c in CHAPTERS]
# A number with a unit typed into markdown is a number that no computation backs.
HAND_TYPED = re.compile(
    r"\b\d[\d,.]*\s*(%|per ?cent|km|miles?|days?|weeks?|months?|missiles?|drones?|targets?|"
    r"aircraft|USD|million|billion|bn)\b|\$\s?\d",
    re.IGNORECASE,
)


def _nb(chapter: Chapter) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / chapter.notebook, as_version=4)


def test_every_notebook_is_a_chapter() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(c.notebook for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_parameters_cell_mirrors_the_schema(chapter: Chapter) -> None:
    cell = next(c for c in _nb(chapter).cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == parameters_source(chapter), "run scripts/sync_parameters_cells.py"
    found = papermill.inspect_notebook(str(NOTEBOOKS / chapter.notebook))
    defaults = params.Scenario().notebook_parameters(chapter)
    assert set(found) == set(defaults), "parameters cell and schema name different parameters"
    for name, info in found.items():
        assert ast.literal_eval(info["default"]) == defaults[name], name
        assert info["inferred_type_name"] in {"int", "float", "str", "bool", "list"}, name
        assert info["help"], f"{name} has no trailing comment"
    assert set(NOTEBOOK_SCENARIO_FIELDS) <= set(found)


# What a thin notebook may do: import, open its chapter, analyse, show figures, say prose.
FORBIDDEN_NODES = (
    ast.If,
    ast.For,
    ast.While,
    ast.BinOp,
    ast.Compare,
    ast.BoolOp,
    ast.Subscript,
    ast.Lambda,
    ast.ListComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.FunctionDef,
    ast.ClassDef,
    ast.JoinedStr,
)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_notebook_is_thin(chapter: Chapter) -> None:
    nb = _nb(chapter)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], "the parameters cell is the second cell, and the only one"
    assert nb.metadata.kernelspec.name == "python3"
    code = [c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and i != 1]
    calls = []
    for source in code:
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, FORBIDDEN_NODES), (
                f"{chapter.notebook}: {type(node).__name__} in a notebook; compute in the package"
            )
            if isinstance(node, ast.Call):
                calls.append(ast.unparse(node.func))
    assert f'open_chapter("{chapter.name}", globals())' in "\n".join(code)
    assert calls.count("run.analyse") == 1, "one call of the chapter's analyse"
    assert 'run.say("headline")' in "\n".join(code), "each chapter says its headline"
    assert any("leaves out" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_every_template_is_used(chapter: Chapter) -> None:
    said = set()
    for cell in _nb(chapter).cells:
        if cell.cell_type == "code":
            said |= set(re.findall(r'run\.say\("([a-z_0-9]+)"\)', cell.source))
    assert said == set(prose.template_names(chapter.name)), "a template nobody says, or missing"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_committed_without_outputs(chapter: Chapter) -> None:
    raw = json.loads((NOTEBOOKS / chapter.notebook).read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_no_numbers_typed_into_markdown(chapter: Chapter) -> None:
    for cell in _nb(chapter).cells:
        if cell.cell_type == "markdown":
            found = HAND_TYPED.search(cell.source)
            assert not found, f"hand-typed number in markdown: {found.group(0)!r}"


@pytest.mark.slow
def test_plain_papermill_with_p_runs(tmp_path: Path) -> None:
    # The way a reader without deepstrike's CLI would rerun a chapter.
    chapter = CHAPTERS[0]
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / chapter.notebook),
        str(out),
        parameters={"as_of": "2023-06-01"},
        progress_bar=False,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata.papermill.parameters == {"as_of": "2023-06-01"}


@pytest.mark.slow
def test_top_to_bottom_with_defaults_as_in_jupyterlab() -> None:
    # No injection at all: exactly what "Run all" in JupyterLab does with the defaults.
    from nbclient import NotebookClient

    for chapter in CHAPTERS:
        nb = _nb(chapter)
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
        kinds = {
            k
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            for k in o.get("data", {})
        }
        assert "application/vnd.deepstrike.result+json" in kinds
        assert not any(
            o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )


# Names that carry digits and are no numbers (weapon designations, the standard's name).
NAMES_WITH_DIGITS = {
    "M39",
    "M57",
    "F-16",
    "F-16s",
    "ICD 203",
    "Su-34",
    "Su-35",
    "UJ-22",
    "UJ-26",
    "FP-1",
    "FP-5",
    "R-360",
    "Kh-101",
    "S-400",
    "S-300",
    "Tu-95",
    "Tu-22M3",
    "Tu-160",
    "MiG-31",
    "Il-76",
    "M142",
    "M270",
    "A-50",
    "A2",
    "G7",
    "9M723",
    "Be-12",
    "M1",
}
_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _digits_outside_placeholders(text: str) -> list[str]:
    plain = _TEMPLATE_CODE.sub(" ", text)
    for name in sorted(NAMES_WITH_DIGITS, key=len, reverse=True):
        plain = plain.replace(name, " ")
    return re.findall(r"\S*\d\S*", plain)


def test_the_digit_scan_catches_a_typed_number() -> None:
    assert _digits_outside_placeholders("lasted {{ k.days }} days, about 60 in all") == ["60"]
    assert _digits_outside_placeholders("the M39 and {{ k.n }} F-16s") == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_no_digit_typed_into_prose_templates(chapter: Chapter) -> None:
    # Every number in prose comes from a placeholder; names with digits are listed above.
    for path in sorted(chapter.folder.rglob("*.j2")):
        found = _digits_outside_placeholders(path.read_text(encoding="utf-8"))
        assert not found, f"typed digits in {path.relative_to(chapter.folder)}: {found}"


@pytest.mark.slow
def test_plain_papermill_refuses_an_out_of_bounds_value_like_the_cli(tmp_path: Path) -> None:
    chapter = CHAPTERS[0]
    name, field = next(
        (n, f)
        for n, f in chapter.params.model_fields.items()
        if any(getattr(m, "ge", None) is not None for m in f.metadata)
    )
    bound = next(m.ge for m in field.metadata if getattr(m, "ge", None) is not None)
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(NOTEBOOKS / chapter.notebook),
            str(tmp_path / "out.ipynb"),
            parameters={name: bound - 1},
            progress_bar=False,
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
        )
    with pytest.raises(params.ParamError) as cli_error:
        params.load_scenario("baseline", [f"{chapter.name}.{name}={bound - 1}"])
    # The same message, whether the value came from YAML/-p text or a notebook literal.
    expected = str(cli_error.value).split("invalid parameter ", 1)[1].replace("'", "")
    assert info.value.ename == "ParamError"
    assert expected in info.value.evalue.replace("'", "")
