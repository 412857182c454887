"""`deepstrike compare`: results side by side, only differing parameters, links to briefings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deepstrike import cli, compare, compare_view
from deepstrike.chapter import Judgment
from deepstrike.chapters import CHAPTERS
from deepstrike.language import Quantity, icd


def _payload(threshold: int, n_long: int, days: dict[str, float]) -> dict:
    return {
        "parameters": {"seed": 1, "pattern": {"months_threshold_days": threshold}},
        "results": {
            "pattern.n_refused_for_months": {"value": n_long, "unit": "", "label": ""},
            "pattern.refusal_days": {"value": days, "unit": "days", "label": ""},
            "pattern.headline": {"value": f"{n_long} long", "unit": "", "label": ""},
        },
    }


def test_result_rows_align_flatten_and_diff() -> None:
    rows = compare.result_rows(
        [_payload(60, 6, {"himars": 1.0}), _payload(90, 4, {"himars": 1.0, "f16": 109.0})]
    )
    by_name = {r.name: r for r in rows}
    assert by_name["pattern.n_refused_for_months"].deltas == [0.0, -2.0]
    assert by_name["pattern.refusal_days[himars]"].differs is False
    assert by_name["pattern.refusal_days[f16]"].values == [None, 109.0]
    assert by_name["pattern.headline"].deltas == [None, None]


def test_only_differing_parameters_are_listed() -> None:
    rows = compare.parameter_rows([_payload(60, 6, {}), _payload(90, 4, {})])
    assert [r.name for r in rows] == ["pattern.months_threshold_days"]


@pytest.mark.slow
def test_compare_builds_and_writes_one_page(report_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "strict.yaml"
    other.write_text(
        "title: 'Strict <b>threshold</b>'\npattern:\n  months_threshold_days: 180\n",
        encoding="utf-8",
    )
    page = compare.compare(["baseline", str(other)], out_root=report_copy, log=lambda _l: None)
    text = page.read_text(encoding="utf-8")
    assert page.name == "baseline--strict.html"
    assert "pattern.months_threshold_days" in text and "180" in text
    assert 'href="../baseline/briefing.html"' in text and 'href="../strict/briefing.html"' in text
    assert "Strict &lt;b&gt;threshold&lt;/b&gt;" in text
    assert "<b>threshold" not in text  # the title is escaped everywhere, charts included


def test_compare_needs_two_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "baseline"]) == 2
    assert "at least two" in capsys.readouterr().err


# --- the analyst's page (compare_view): judgments side by side, what changed and why ---------


def _scenario(name: str, p: float, firing: float, as_of: str = "2024-11-18") -> dict:
    return {
        "scenario": name,
        "title": name,
        "as_of": as_of,
        "seed": 1,
        "parameters": {"as_of": as_of, "seed": 1, "supply": {"firing_per_week_low": firing}},
        "results": {
            "supply.p_runs_out": {
                "value": p,
                "unit": "",
                "label": "runs out",
                "kind": "probability",
            },
            "supply.cost": {"value": 77.9, "unit": "USD m", "label": "cost", "kind": "number"},
            "pattern.n": {"value": 4, "unit": "decisions", "label": "", "kind": "count"},
            "pattern.refusal_days": {
                "value": {"himars": 23.0},
                "unit": "days",
                "label": "days refused",
                "kind": "text",
            },
        },
    }


@pytest.fixture
def supply_judges(monkeypatch: pytest.MonkeyPatch) -> None:
    def judge(self: Any, k: dict[str, Quantity]) -> list[Judgment]:
        if self.name == "supply" and "p_runs_out" in k:
            text = f"<p>The ATACMS stock is {icd(k['p_runs_out'])} to run out.</p>"
            return [Judgment("supply", text, "low", "supply-stock-fan")]
        if self.name == "pattern" and "n" in k:
            return [Judgment("pattern", f"<p>{k['n'].__html__()} refusals.</p>", "high", "p")]
        return []

    monkeypatch.setattr(type(CHAPTERS[0]), "judgments", judge)


def test_judgments_side_by_side_mark_a_changed_word(supply_judges: None) -> None:
    rows = compare_view.judgment_rows([_scenario("a", 0.33, 5), _scenario("b", 0.62, 3)])
    by_chapter = {r.chapter: r for r in rows}
    supply = by_chapter["supply"]
    assert supply.differs and supply.cells[1].differs
    assert supply.cells[0].phrases == [("unlikely (33%)", "")]
    assert supply.cells[1].phrases == [("likely (62%)", "↑")]
    assert not by_chapter["pattern"].differs
    assert compare_view.arrow("likely (62%)", "unlikely (30%)") == "↓"
    assert compare_view.arrow("likely (62%)", "likely (70%)") == ""


def test_what_changed_names_each_parameter_and_the_judgments_it_moved(supply_judges: None) -> None:
    (cs,) = compare_view.change_sets([_scenario("a", 0.33, 5), _scenario("b", 0.62, 3)])
    (pc,) = cs.parameters
    assert pc.name == "supply.firing_per_week_low"
    assert pc.values == ["5 missiles/week", "3 missiles/week"]
    assert pc.chapters == ["Missile supply"]
    assert [m.chapter_title for m in pc.moved] == ["Missile supply"]
    assert "unlikely (33%) → likely (62%) ↑" in pc.moved[0].text
    assert cs.unexplained == [] and cs.summary == "1 parameter differs; 1 of 2 key judgments moved."
    # a judgment that moves while no parameter of its chapter differs is said to be unexplained
    other = _scenario("c", 0.33, 5)
    other["results"]["pattern.n"]["value"] = 5
    (cs,) = compare_view.change_sets([_scenario("a", 0.33, 5), other])
    assert cs.parameters == [] and [m.chapter_title for m in cs.unexplained] == ["Pattern"]


def test_a_parameter_feeds_its_chapter_its_readers_or_all() -> None:
    everyone = [c.name for c in CHAPTERS]
    assert compare_view.chapters_fed("as_of") == everyone
    assert compare_view.chapters_fed("supply.firing_per_week") == ["supply"]
    readers = [c.name for c in CHAPTERS if "launch" in c.shared]
    assert readers and compare_view.chapters_fed("launch.standoff_km_ground_rocket") == readers


def test_results_are_named_and_read_in_words() -> None:
    rows = {
        r.name: r
        for r in compare_view.result_table([_scenario("a", 0.3, 5), _scenario("b", 0.3, 5)])
    }
    assert (
        rows["supply.cost"].values == ["$77.9 m", "$77.9 m"] and rows["supply.cost"].label == "Cost"
    )
    assert rows["pattern.n"].label == "N" and rows["pattern.n"].values[0] == "4 decisions"
    assert rows["pattern.refusal_days[himars]"].values[0] == "23 days"
    assert rows["supply.p_runs_out"].values[0] == "30%" and not rows["supply.p_runs_out"].differs
    params = compare_view.parameter_table([_scenario("a", 0.3, 5), _scenario("b", 0.3, 3)])
    assert [p.name for p in params] == ["supply.firing_per_week_low"]
    assert params[0].label  # the schema's description


def test_headline_charts_are_overlaid_scenario_on_scenario() -> None:
    bar = {"data": [{"type": "bar", "x": [1, 2], "y": [0.2, 0.8], "name": "share"}], "layout": {}}
    line = {"data": [{"type": "scatter", "mode": "lines+text", "x": [1], "y": [2], "text": ["x"]}]}
    fig = compare_view.overlay([("a", bar), ("b", bar)], "t")
    assert [t.name for t in fig.data] == ["a: share", "b: share"]
    assert fig.data[0].marker.color != fig.data[1].marker.color
    assert fig.layout.barmode == "group"
    fig = compare_view.overlay([("a", line), ("b", line)], "t")
    assert [t.mode for t in fig.data] == ["lines", "lines"]


@pytest.mark.slow
def test_compare_page_says_what_changed_and_why(report_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "slower.yaml"
    other.write_text(
        "title: 'Slower firing'\nsupply:\n  firing_prior: stated\n  firing_per_week_low: 2\n"
        "  firing_per_week_high: 2\n",
        encoding="utf-8",
    )
    page = compare.compare(["baseline", str(other)], out_root=report_copy, log=lambda _l: None)
    text = page.read_text(encoding="utf-8")
    assert 'id="why"' in text, "compare.py does not pass compare_view.page_context yet"
    why = text[text.index('id="why"') : text.index('id="judgments"')]
    assert "supply.firing_per_week_low" in why and "It feeds Missile supply" in why
    assert "Judgments it moved" in why or "It moved no key judgment" in why
    assert text.count('class="ds-figure"') >= 2  # headline charts, overlaid
    assert '<details class="all-results">' in text
    assert "77,907,781" not in text
