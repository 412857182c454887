"""End to end: the baseline briefing, its HTML promises, the cache, and failures losing nothing."""

from __future__ import annotations

import fcntl
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from deepstrike import backtest, build, cli, data, paths, render
from deepstrike.chapters import CHAPTERS
from deepstrike.params import catalogue

pytestmark = pytest.mark.slow


def _page(result: build.BuildResult) -> str:
    return result.briefing.read_text(encoding="utf-8")


def _without_plotly(page: str) -> str:
    bundle = render.plotly_js()
    assert page.count(bundle) == 1
    return page.replace(bundle, "")


def test_briefing_and_results_are_written(baseline: build.BuildResult) -> None:
    assert baseline.briefing == baseline.out_dir / "briefing.html"
    payload = json.loads(baseline.results_path.read_text(encoding="utf-8"))
    assert payload["scenario"] == "baseline" and payload["as_of"] == "2024-11-18"
    for chapter in CHAPTERS:
        assert f"{chapter.name}.headline" in payload["results"]
    assert all(not o.cached for o in baseline.outcomes)
    # each chapter was rendered as its notebook finished, while the others still ran
    assert all(o.view is not None and o.view.name == o.chapter for o in baseline.outcomes)


def test_plotly_js_is_inlined_exactly_once(baseline: build.BuildResult) -> None:
    page = _page(baseline)
    assert page.count(render.plotly_js()) == 1
    assert page.count("plotly.js v") == render.plotly_js().count("plotly.js v")


def test_no_network_requests_possible(baseline: build.BuildResult) -> None:
    rest = _without_plotly(_page(baseline))
    assert not re.search(r"<(script|img|iframe|link|source|embed)[^>]+(src|href)=", rest, re.I)
    assert not re.search(r"url\(\s*['\"]?https?:", rest, re.I)
    for word in ("cdn.", "require.js", "requirejs", "mathjax", "mermaid", "@import"):
        assert word not in rest.lower(), word


def test_no_code_and_no_injected_cells(baseline: build.BuildResult) -> None:
    rest = _without_plotly(_page(baseline))
    for marker in (
        "input_area",
        "jp-InputArea",
        "injected-parameters",
        "# Parameters",
        "from deepstrike import",
        "record(",
        "papermill-error",
        "celltag_",
    ):
        assert marker not in rest, marker
    assert "application/vnd.deepstrike.result+json" not in rest


def test_every_figure_is_present_and_plotted(baseline: build.BuildResult) -> None:
    expected = []
    for chapter in CHAPTERS:
        nb = nbformat.read(baseline.out_dir / "notebooks" / chapter.notebook, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                snippet = out.get("data", {}).get("text/html", "")
                expected += re.findall(r'data-figure="([a-z0-9-]+)"', snippet)
    # The backtest annex adds its own chart, drawn by the build rather than a notebook.
    expected.append(backtest.FIGURE_ID)
    rest = _without_plotly(_page(baseline))
    found = re.findall(r'class="ds-figure" data-figure="([a-z0-9-]+)"', rest)
    assert expected and found == expected
    assert rest.count("Plotly.newPlot(") == len(expected)


def test_structure_toc_parameters_sources_provenance(baseline: build.BuildResult) -> None:
    page = _page(baseline)
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page, anchor
    for info in catalogue():
        assert f"<code>{info.name}</code>" in page
    # Every source of a row the baseline used, published by its as-of date, is listed.
    tables = data.validate_all()
    events = data.load_table("pattern_events", as_of="2024-11-18")
    used = data.sources_used({"pattern_events": events}, tables[data.REGISTRY], "2024-11-18")
    sources = page[page.index('id="sources"') :]
    for url in set(used["url"].fillna("")) - {""}:
        assert f'href="{html.escape(url)}"' in sources
    commit = subprocess.run(
        ["git", "-C", str(paths.project_root()), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    assert commit and commit in page
    recorded = json.loads((baseline.out_dir / "provenance.json").read_text())["data_hashes"]
    assert "pattern_events.csv" in recorded and "datapackage.json" in recorded
    for name, digest in recorded.items():
        assert f'<code>{name}</code> <code class="muted">{digest}</code>' in page
    assert "deepstrike build --scenario baseline" in page
    assert "Executive summary" in page and "as of <strong>2024-11-18</strong>" in page


def test_rebuild_reuses_the_cache_and_is_deterministic(
    baseline: build.BuildResult, report_copy: Path
) -> None:
    again = build.build("baseline", out_root=report_copy, log=lambda _l: None)
    assert all(o.cached for o in again.outcomes)
    assert again.results_path.read_text() == baseline.results_path.read_text()


def test_a_parameter_change_reexecutes_only_its_chapter(report_copy: Path) -> None:
    result = build.build(
        "baseline", ["pattern.months_threshold_days=120"], out_root=report_copy, log=lambda _l: None
    )
    cached = {o.chapter: o.cached for o in result.outcomes}
    assert cached.pop("pattern") is False
    assert all(cached.values())
    payload = json.loads(result.results_path.read_text())
    assert payload["parameters"]["pattern"]["months_threshold_days"] == 120
    assert "120 days or more" in payload["results"]["pattern.headline"]["value"]


def test_title_with_markup_is_escaped(report_copy: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "baseline.yaml"
    scenario.write_text('title: \'<script>alert("x")</script> & "quoted"\'\n', encoding="utf-8")
    result = build.build(str(scenario), out_root=report_copy, log=lambda _l: None)
    page = _page(result)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def _break_notebook(project: Path, source: str) -> None:
    path = project / "notebooks" / CHAPTERS[0].notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)


def test_failing_cell_is_reported_and_the_last_briefing_survives(
    project: Path, report_copy: Path
) -> None:
    briefing = report_copy / "baseline" / "briefing.html"
    before = briefing.read_bytes()
    _break_notebook(project, "total = 1 / 0")
    with pytest.raises(build.BuildError) as info:
        build.build("baseline", out_root=report_copy, log=lambda _l: None)
    message = str(info.value)
    assert f"notebook {CHAPTERS[0].notebook}, cell 5" in message
    assert "ZeroDivisionError: division by zero" in message
    assert briefing.read_bytes() == before
    kept = report_copy / "baseline" / "failed" / CHAPTERS[0].notebook
    assert kept.is_file() and "papermill-error-cell" in kept.read_text()


def test_failing_cell_exit_code_from_the_cli(
    project: Path, report_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_notebook(project, "raise ValueError('bad assumption')")
    assert cli.main(["build", "--out", str(report_copy)]) == 1
    assert "ValueError: bad assumption" in capsys.readouterr().err


def test_dead_kernel_is_reported(project: Path, report_copy: Path) -> None:
    briefing = report_copy / "baseline" / "briefing.html"
    before = briefing.read_bytes()
    _break_notebook(project, "import os\nos._exit(1)")
    with pytest.raises(build.BuildError) as info:
        build.build("baseline", out_root=report_copy, log=lambda _l: None)
    assert "DeadKernelError" in str(info.value)
    assert briefing.read_bytes() == before


def test_bad_data_stops_the_build_before_any_kernel(project: Path, tmp_path: Path) -> None:
    (project / "data" / "pattern_events.csv").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["build", "--out", str(out)]) == 2
    assert not out.exists()


def test_two_builds_into_one_folder_are_refused(report_copy: Path) -> None:
    with open(report_copy / ".baseline.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(build.BuildBusy, match="another build is writing"):
            build.build("baseline", out_root=report_copy, log=lambda _l: None)
    assert cli.main(["build", "--out", str(report_copy)]) == 0


def test_cli_prints_progress_and_the_path(report_copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deepstrike.cli", "build", "--out", str(report_copy)],
        capture_output=True,
        text=True,
        check=False,
        cwd=paths.project_root(),
    )
    assert done.returncode == 0, done.stderr
    for chapter in CHAPTERS:
        assert chapter.notebook in done.stdout
    assert str(report_copy / "baseline" / "briefing.html") in done.stdout


@pytest.mark.parametrize(
    "as_of", ["2022-07-04", "2023-06-01", "2024-06-01", "2025-06-01", "2030-12-31"]
)
def test_every_chapter_replays_at_other_dates(as_of: str, tmp_path: Path) -> None:
    # Replaying "with only what was public then" must work for any date the schema allows.
    result = build.build("baseline", [f"as_of={as_of}"], out_root=tmp_path, log=lambda _l: None)
    payload = json.loads(result.results_path.read_text())
    assert payload["as_of"] == as_of
    for chapter in CHAPTERS:
        assert f"{chapter.name}.headline" in payload["results"]
    # Every forecast is in the ledger; the scorecard shows each question, open or resolved.
    page = result.briefing.read_text(encoding="utf-8")
    assert payload["ledger"] and 'id="scorecard"' in page
    if as_of == "2030-12-31":  # no window has closed: every question is still open
        assert all(e["resolution"]["status"] == "open" for e in payload["ledger"])
        assert 'id="scorecard--open"' in page


def quantity_texts(page: str) -> dict[str, set[str]]:
    """Every marked quantity on a page with the texts it is shown as."""
    out: dict[str, set[str]] = {}
    for name, text in re.findall(r'data-q="([^"]+)">([^<]*)<', page):
        out.setdefault(name, set()).add(html.unescape(text))
    return out


def test_one_quantity_has_one_value_on_the_page(baseline: build.BuildResult) -> None:
    shown = quantity_texts(_page(baseline))
    assert len(shown) > 20, "prose marks the quantities it prints"
    twice = {name: texts for name, texts in shown.items() if len(texts) > 1}
    assert not twice, f"one quantity, several values: {twice}"
    page = _page(baseline)
    summary = page[page.index('id="summary"') : page.index('id="chapter-')]
    assert quantity_texts(summary), "the executive summary reads the chapters' quantities"


SCENARIOS = sorted(p.stem for p in paths.scenarios_dir().glob("*.yaml"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_renders_with_one_value_per_quantity(scenario: str, tmp_path: Path) -> None:
    result = build.build(scenario, out_root=tmp_path, log=lambda _l: None)
    page = _page(result)
    twice = {n: t for n, t in quantity_texts(page).items() if len(t) > 1}
    assert not twice, f"{scenario}: one quantity, several values: {twice}"
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    for bad in (r"\(s\)", r"\bnan\b", r"\binf%"):
        assert not re.search(bad, text), bad


def test_a_prose_template_edit_reexecutes_no_notebook(
    report_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chapter = CHAPTERS[0]
    original = chapter.folder / "templates" / "headline.j2"
    copy_dir = tmp_path / "chapters"
    import shutil

    shutil.copytree(chapter.folder.parent, copy_dir)
    edited = copy_dir / chapter.name / "templates" / "headline.j2"
    edited.write_text(original.read_text(encoding="utf-8") + "\nEdited wording.\n")
    from deepstrike import prose

    monkeypatch.setattr(prose, "CHAPTERS_DIR", copy_dir)
    monkeypatch.setattr(build, "render_hash", lambda c: "edited-" + c.name)
    result = build.build("baseline", out_root=report_copy, log=lambda _l: None)
    assert all(o.cached for o in result.outcomes), "no notebook ran again"
    assert "Edited wording." in _page(result)


def test_cache_key_covers_only_the_chapters_own_code() -> None:
    for chapter in CHAPTERS:
        files = {
            p.relative_to(build.PACKAGE_DIR).as_posix() for p in build.chapter_sources(chapter)
        }
        assert f"chapters/{chapter.name}/model.py" in files
        others = {c.name for c in CHAPTERS} - {chapter.name}
        assert not any(f.startswith(f"chapters/{o}/") for o in others for f in files)
        assert "summary.py" not in files and "render.py" not in files
        assert not any("/summary/" in f or "/templates/" in f for f in files)


def test_no_words_glued_by_template_tags(baseline: build.BuildResult) -> None:
    # A block tag at the end of a line eats the newline after it: "not all,with".
    page = re.sub(r"<script.*?</script>", "", _page(baseline), flags=re.S)
    for para in re.findall(r"<p[^>]*>(.*?)</p>", page, flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", para))
        glued = re.search(r"[a-z][,;:][A-Za-z]|[a-z]\.[A-Z][a-z]", text)
        assert not glued, text[max(0, glued.start() - 40) : glued.end() + 40]


def test_an_override_build_has_its_own_folder_and_says_what_differs(report_copy: Path) -> None:
    before = (report_copy / "baseline" / "briefing.html").read_bytes()
    override = ["pattern.months_threshold_days=120"]
    result = build.build("baseline", override, out_root=report_copy, log=lambda _l: None)
    assert re.fullmatch(r"baseline-[0-9a-f]{8}", result.out_dir.name)
    assert (report_copy / "baseline" / "briefing.html").read_bytes() == before
    payload = json.loads(result.results_path.read_text())
    assert payload["scenario"] == result.out_dir.name and payload["base_scenario"] == "baseline"
    assert payload["changed"] == {"pattern.months_threshold_days": 120}
    page = html.unescape(result.briefing.read_text(encoding="utf-8"))
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert heading and "pattern.months_threshold_days" in heading.group(1)
    from deepstrike.params import load_scenario

    was = load_scenario("baseline")[1].pattern.months_threshold_days
    assert f"pattern.months_threshold_days = 120 (scenario: {was})" in page
    assert "Default assumptions throughout" not in page
    named = build.build(
        "baseline", override, out_root=report_copy, log=lambda _l: None, name="strict"
    )
    assert named.out_dir == report_copy / "strict" and named.briefing.is_file()


def test_a_new_edition_says_what_changed_since_the_last(report_copy: Path) -> None:
    # Rebuilding into the same folder with another threshold: the new briefing names the
    # parameter and the judgment it moved, and keeps the results it replaced.
    first = json.loads((report_copy / "baseline" / "results.json").read_text())
    override = ["pattern.months_threshold_days=120"]
    result = build.build(
        "baseline", override, out_root=report_copy, log=lambda _l: None, name="baseline"
    )
    kept = json.loads((result.out_dir / "previous_results.json").read_text())
    assert kept["results"] == first["results"]
    page = html.unescape(re.sub(r"<[^>]+>", "", result.briefing.read_text(encoding="utf-8")))
    box = page[page.index("Since the previous edition (") :][:2000]
    assert "1 parameter changed" in box and "months_threshold_days" in box
    # The same build again is compared with the same earlier edition, not with itself.
    again = build.build(
        "baseline", override, out_root=report_copy, log=lambda _l: None, name="baseline"
    )
    again_page = html.unescape(re.sub(r"<[^>]+>", "", again.briefing.read_text(encoding="utf-8")))
    assert "1 parameter changed" in again_page
    assert json.loads((again.out_dir / "previous_results.json").read_text()) == kept
