"""The claim-check annex, the scorecard and the backtest annex in the briefing."""

from __future__ import annotations

import pandas as pd
import pytest

from deepstrike import build, data
from deepstrike.params import CHAPTERS


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return data.load_table("claims")


def test_every_verdict_has_evidence_and_a_source(claims: pd.DataFrame) -> None:
    assert len(claims) >= 15
    for column in ("claim", "verdict", "evidence", "source_ids", data.KNOWN_FROM):
        assert claims[column].notna().all(), column
    assert (claims["evidence"].str.len() > 20).all()
    assert set(claims["tested_in"]) <= {c.name for c in CHAPTERS} | {"none"}


def test_claims_are_in_article_order(claims: pd.DataFrame) -> None:
    assert claims["paragraph"].is_monotonic_increasing
    assert claims["claim_id"].is_monotonic_increasing


def test_required_checks_are_caught(claims: pd.DataFrame) -> None:
    text = claims["claim"].str.lower() + " " + claims["evidence"].str.lower()
    range_rows = claims[text.str.contains("100 km") & text.str.contains("atacms")]
    assert (range_rows["verdict"] == "wrong").any(), "the 100 km ATACMS range is wrong"
    f16 = claims[text.str.contains("f-16|f16") & text.str.contains("tank|panzer")]
    assert (f16["verdict"] == "wrong").any(), "F-16s are fighter aircraft, not tanks"
    pattern = claims[(claims["tested_in"] == "pattern") & text.str.contains("himars")]
    assert not pattern.empty and (pattern["verdict"] != "supported").any()


def test_claim_paragraphs_exist_in_the_source_text(claims: pd.DataFrame) -> None:
    from deepstrike import paths

    source = paths.project_root().parent / "shared" / "source" / "000_99d7e4e666593386.txt"
    if not source.is_file():
        pytest.skip("the shared source text is not beside this checkout")
    lines = source.read_text(encoding="utf-8").splitlines()
    assert claims["paragraph"].max() <= len(lines)


@pytest.mark.slow
def test_briefing_has_annex_and_hindsight(baseline: build.BuildResult) -> None:
    page = baseline.briefing.read_text(encoding="utf-8")
    assert 'id="claim-check"' in page and 'class="verdict verdict-wrong"' in page
    # The scorecard replaces the old list of later data rows; the backtest annex follows it.
    assert 'id="scorecard"' in page and 'id="backtest"' in page
    assert page.index('id="scorecard"') < page.index('id="backtest"')
    assert page.index('id="summary"') < page.index('id="chapter-pattern"')
    assert page.index('id="claim-check"') > page.index('id="chapter-escalation"')
