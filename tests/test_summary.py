"""The executive summary is built from results.json alone and follows the parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deepstrike import build, prose, summary
from deepstrike.chapters import CHAPTERS


def _results(result: build.BuildResult) -> dict:
    return json.loads(result.results_path.read_text(encoding="utf-8"))["results"]


def _numbers(result: build.BuildResult) -> dict:
    collected = _results(result)
    return {c.name: build.chapter_numbers(collected, c) for c in CHAPTERS}


def test_judgments_cover_every_chapter_with_confidence(baseline: build.BuildResult) -> None:
    judgments = summary.key_judgments(_numbers(baseline))
    assert 5 <= len(judgments) <= 8
    assert {j.chapter for j in judgments} == {c.name for c in CHAPTERS}
    for j in judgments:
        assert j.confidence in {"low", "moderate", "high"}


def test_estimative_words_carry_their_numbers(baseline: build.BuildResult) -> None:
    words = (
        "almost no chance",
        "very unlikely",
        "unlikely",
        "roughly even chance",
        "likely",
        "very likely",
        "almost certain",
    )
    text = " ".join(j.text for j in summary.key_judgments(_numbers(baseline)))
    text = prose.plain(text + " " + str(summary.bottom_line(_numbers(baseline))))
    from deepstrike.language import likelihood_phrases, likelihood_problems

    assert not likelihood_problems(text)
    # Every ICD word stands in a phrase with its number, or in a range 'A to B (x–y%)'.
    phrased = " ".join(likelihood_phrases(text))
    for word in words:
        for _ in re.finditer(rf"(?<![a-z ]to )\b{word}\b(?! to )", text):
            assert re.search(rf"\b{word}\b", phrased), f"{word} without its number"


def test_a_missing_chapter_drops_its_judgments() -> None:
    assert summary.key_judgments({}) == []
    assert summary.bottom_line({}) == ""


@pytest.mark.slow
def test_summary_follows_a_parameter_change(baseline: build.BuildResult, report_copy: Path) -> None:
    before = _results(baseline)["supply.p_runs_out"]["value"]
    overrides = [
        "supply.firing_prior=stated",
        "supply.firing_per_week_low=3",
        "supply.firing_per_week_high=3",
    ]
    result = build.build("baseline", overrides, out_root=report_copy, log=lambda _l: None)
    after = _results(result)["supply.p_runs_out"]["value"]
    assert after != before
    page = result.briefing.read_text(encoding="utf-8")
    section = page[page.index('id="summary"') : page.index('id="chapter-pattern"')]
    shown = re.findall(r'data-q="supply.p_runs_out">([^<]+)<', section)
    assert shown and set(shown) == {prose.plain(f"{round(100 * after)}%")}
