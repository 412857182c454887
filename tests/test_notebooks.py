"""Notebooks: parameters mirror the schema, shape rules hold, and they run outside the build."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from deepstrike import params, paths
from deepstrike.params import CHAPTERS, NOTEBOOK_SCENARIO_FIELDS

NOTEBOOKS = paths.notebooks_dir()
CHAPTER_IDS = [c.name for c in CHAPTERS]
# A number with a unit typed into markdown is a number that no computation backs.
HAND_TYPED = re.compile(
    r"\b\d[\d,.]*\s*(%|per ?cent|km|miles?|days?|weeks?|months?|missiles?|drones?|targets?|"
    r"aircraft|USD|million|billion|bn)\b|\$\s?\d",
    re.IGNORECASE,
)


def _nb(chapter: params.Chapter) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / chapter.notebook, as_version=4)


def test_every_notebook_is_a_chapter() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(c.notebook for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_parameters_cell_mirrors_the_schema(chapter: params.Chapter) -> None:
    found = papermill.inspect_notebook(str(NOTEBOOKS / chapter.notebook))
    defaults = params.Scenario().notebook_parameters(chapter)
    assert set(found) == set(defaults), "parameters cell and schema name different parameters"
    for name, info in found.items():
        assert ast.literal_eval(info["default"]) == defaults[name], name
        assert info["help"], f"{name} has no trailing comment"
    assert set(NOTEBOOK_SCENARIO_FIELDS) <= set(found)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_notebook_shape(chapter: params.Chapter) -> None:
    nb = _nb(chapter)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], "the parameters cell is the second cell, and the only one"
    assert nb.metadata.kernelspec.name == "python3"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for source in code:
        tree = ast.parse(source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert not defs, "functions belong in the package, not in a notebook"
    headline = f'record("{chapter.name}.headline"'
    assert any(headline in s for s in code), "each chapter records its headline"
    assert any("leaves out" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_committed_without_outputs(chapter: params.Chapter) -> None:
    raw = json.loads((NOTEBOOKS / chapter.notebook).read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_no_numbers_typed_into_markdown(chapter: params.Chapter) -> None:
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


def _say_templates(chapter: params.Chapter) -> list[str]:
    out = []
    for cell in _nb(chapter).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.append(first.value)
    return out


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_no_numbers_typed_into_prose_templates(chapter: params.Chapter) -> None:
    # Placeholders are computed; text in double quotes quotes the source article.
    for template in _say_templates(chapter):
        plain = re.sub(r'\{[^}]*\}|"[^"]*"', "", template)
        found = HAND_TYPED.search(plain)
        assert not found, f"hand-typed number in prose: {found.group(0)!r} in {template[:60]!r}"
