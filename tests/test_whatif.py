"""What-if views: the grid, the scenario's own value on every slider, options the schema refuses,
chart differences that rebuild the figure, and a headline at every point that is the headline of
a run with those parameters (its words chosen from its own numbers)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import date
from pathlib import Path

import pytest

from deepstrike import data, language, prose, whatif
from deepstrike.chapter import get
from deepstrike.chapters import CHAPTERS

AS_OF = date(2024, 11, 18)


def _params(name: str, **updates: object) -> object:
    chapter = get(name)
    return chapter.run_model(**{**chapter.run_model().model_dump(), **updates})


def _counting(name: str) -> tuple[object, list[int], dict]:
    """The chapter with an `analyse` that counts its runs, the count, and its tables."""
    base = get(name)
    runs: list[int] = []

    def counted(*args: object) -> object:
        runs.append(1)
        return base.analyse(*args)

    tables = {t: data.load_table(t, as_of=AS_OF) for t in base.tables}
    return dataclasses.replace(base, analyse=counted), runs, tables


def test_every_chapter_has_a_what_if_view_of_two_or_three_levers() -> None:
    for chapter in CHAPTERS:
        module = whatif.spec(chapter.name)
        assert module is not None, chapter.name
        assert 2 <= len(module.LEVERS) <= 3 and module.REASON.startswith("Why these levers")
        for lever in module.LEVERS:
            assert set(lever.params) <= set(chapter.run_model.model_fields), lever.params
        options, default = whatif.grid(list(module.LEVERS), chapter.run_model())
        assert all(0 <= d < len(o) for d, o in zip(default, options, strict=True))


def test_the_slider_starts_at_the_scenarios_value_even_when_it_is_not_an_option() -> None:
    lever = get_lever("supply", "Weeks simulated")
    opts, at = whatif.options_for(lever, _params("supply"))
    assert opts[at].updates == {"horizon_weeks": 26} and opts[at].label == "26 weeks"
    opts, at = whatif.options_for(lever, _params("supply", horizon_weeks=30))
    assert opts[at].label == "30 weeks (scenario)" and opts[at].updates == {"horizon_weeks": 30}
    assert [o.updates["horizon_weeks"] for o in opts] == [13, 26, 30, 39, 52]  # in order


def test_options_the_schema_refuses_are_not_offered() -> None:
    # A short horizon must stay below the long one: at long = 100 days, 122 and 150 go.
    lever = get_lever("pattern", "Short horizon")
    options, _ = whatif.grid([lever], _params("pattern", long_threshold_days=100))
    assert [o.updates["months_threshold_days"] for o in options[0]] == [30, 61, 91]


def test_a_grid_too_large_is_refused_with_its_size() -> None:
    lever = whatif.Lever("days", whatif.one("horizon_weeks", *((str(w), w) for w in range(4, 60))))
    with pytest.raises(ValueError, match="56 points exceeds"):
        whatif.grid([lever], _params("supply"))


def _apply(base: dict, diff: dict) -> dict:
    """What briefing.js does with a point's difference."""
    out = copy.deepcopy(base)
    if "traces" in diff:
        out["data"] = copy.deepcopy(diff["traces"])
    for i, keys in diff.get("data", {}).items():
        for k, v in keys.items():
            if v is None:
                out["data"][int(i)].pop(k, None)
            else:
                out["data"][int(i)][k] = v
    out["layout"] = {**out.get("layout", {}), **diff.get("layout", {})}
    return out


def test_a_chart_difference_rebuilds_the_other_figure() -> None:
    base = {"data": [{"x": [1, 2], "y": [3.0, 4.0], "name": "a", "line": {"w": 1}}], "layout": {}}
    other = {"data": [{"x": [1, 2], "y": [3.0, 5.123456789], "name": "a"}], "layout": {"h": 1}}
    diff = whatif.difference(base, other)
    assert diff == {"data": {"0": {"y": [3.0, 5.123], "line": None}}, "layout": {"h": 1}}
    rebuilt = _apply(base, diff)
    assert rebuilt["data"][0]["y"] == [3.0, 5.123] and "line" not in rebuilt["data"][0]
    more = {"data": [{"x": [1, 2], "y": [3.0, 5.5]}, {"x": [0], "y": [0]}], "layout": {}}
    assert _apply(base, whatif.difference(base, more))["data"] == more["data"]
    assert whatif.difference(base, base) == {}


def get_lever(chapter: str, name: str) -> whatif.Lever:
    module = whatif.spec(chapter)
    return next(lever for lever in module.LEVERS if lever.name == name)


@pytest.fixture(scope="module")
def supply_view() -> dict:
    chapter = get("supply")
    p = _params("supply", draws=2000)
    tables = {t: data.load_table(t, as_of=AS_OF) for t in chapter.tables}
    return whatif.compute(chapter, p, tables, AS_OF, 7)


def test_every_point_is_the_headline_of_a_run_with_its_parameters(supply_view: dict) -> None:
    chapter = get("supply")
    tables = {t: data.load_table(t, as_of=AS_OF) for t in chapter.tables}
    assert len(supply_view["points"]) == 16
    for point in supply_view["points"][::5]:
        p = _params("supply", draws=2000, **point["updates"])
        numbers = chapter.numbers(chapter.analyse(p, tables, AS_OF, 7))
        direct = prose.render(
            "supply", "headline", numbers, as_of=AS_OF.isoformat(), p=p.model_dump(mode="json")
        )
        assert str(prose.render_payload(point["headline"])) == str(direct)


def test_words_are_chosen_per_point_from_its_own_number(supply_view: dict) -> None:
    words = set()
    for point in supply_view["points"]:
        p = point["headline"]["numbers"]["p_runs_out"][1]["value"]
        text = prose.plain(prose.render_payload(point["headline"]))
        word = language.likelihood_word(p)
        assert word in text, (point["updates"], word, text[:200])
        words.add(word)
    assert len(words) >= 3, words  # the levers move the judgment across bands


def test_the_briefing_part_carries_every_point_and_no_closing_script_tag(supply_view: dict) -> None:
    part = str(whatif.render(supply_view))
    script = re.search(
        r'<script type="application/json" class="whatif-data">(.*?)</script>', part, re.S
    )
    assert script and "</" not in script.group(1)
    spec = json.loads(script.group(1))
    assert len(spec["points"]) == 16 and all(spec["points"])
    assert spec["strides"] == [8, 4, 1] and spec["figure"] == "fig-supply-depletion"
    assert part.count('type="range"') == 3 and "deepstrike build -p supply.firing_prior=" in part


def test_lowered_settings_change_neither_headline_nor_chart() -> None:
    for chapter in CHAPTERS:
        module = whatif.spec(chapter.name)
        p = chapter.run_model()
        lowered = whatif.settings(module, p)
        if not lowered:
            continue
        tables = {t: data.load_table(t, as_of=AS_OF) for t in chapter.tables}
        seen = []
        for params in (p, whatif.point_params(p, lowered)):
            result = chapter.analyse(params, tables, AS_OF, 3)
            numbers = chapter.numbers(result)
            text = prose.render(chapter.name, "headline", numbers, as_of="x", p={})
            seen.append((str(text), whatif.figure_json(module.figure(result))))
        assert seen[0] == seen[1], chapter.name


def test_points_are_kept_by_content_and_only_new_points_are_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(whatif.CACHE_ENV, str(tmp_path / "whatif"))
    monkeypatch.setenv(whatif.SALT_ENV, "code-and-data")
    chapter, runs, tables = _counting("supply")
    first = whatif.compute(chapter, _params("supply", draws=1000), tables, AS_OF, 5)
    assert len(runs) == 16 and len(list((tmp_path / "whatif").glob("*.json"))) == 16
    again = whatif.compute(chapter, _params("supply", draws=1000), tables, AS_OF, 5)
    assert len(runs) == 16 and again == first
    # A scenario at 30 weeks adds a column of 2 x 2 points; every other point is reused.
    moved = whatif.compute(
        chapter, _params("supply", draws=1000, horizon_weeks=30), tables, AS_OF, 5
    )
    assert len(runs) == 20 and len(moved["points"]) == 20
    # A corrupt entry is discarded with a line on stderr and computed again.
    victim = sorted((tmp_path / "whatif").glob("*.json"))[0]
    victim.write_text("{truncated")
    assert whatif.compute(chapter, _params("supply", draws=1000), tables, AS_OF, 5) == first
    assert len(runs) == 21 and "corrupt what-if point" in capsys.readouterr().err


def test_without_a_salt_or_a_folder_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(whatif.CACHE_ENV, str(tmp_path / "whatif"))
    monkeypatch.delenv(whatif.SALT_ENV, raising=False)
    chapter = get("supply")
    tables = {t: data.load_table(t, as_of=AS_OF) for t in chapter.tables}
    whatif.compute(chapter, _params("supply", draws=500), tables, AS_OF, 5)
    assert not (tmp_path / "whatif").exists()


@pytest.mark.parametrize("name", ["supply", "escalation"])
def test_the_notebooks_own_result_stands_for_its_point_and_changes_nothing(name: str) -> None:
    # Supply's default point has the scenario's parameters: it reuses the notebook's result.
    # Escalation's points run with lowered settings (SETTINGS): none has the scenario's
    # parameters, so every point is computed, as before.
    base = get(name)
    chapter, runs, tables = _counting(name)
    p = _params(name, draws=1000)
    plain = whatif.compute(chapter, p, tables, AS_OF, 5)
    n_points = len(plain["points"])
    assert len(runs) == n_points
    reused = whatif.compute(chapter, p, tables, AS_OF, 5, base.analyse(p, tables, AS_OF, 5))
    lowered = bool(whatif.settings(whatif.spec(name), p))
    assert len(runs) == 2 * n_points - (0 if lowered else 1)
    assert json.dumps(reused, sort_keys=True) == json.dumps(plain, sort_keys=True)
