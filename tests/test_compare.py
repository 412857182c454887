"""`deepstrike compare`: results side by side, only differing parameters, links to briefings."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepstrike import cli, compare


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
    assert "<script" not in text


def test_compare_needs_two_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "baseline"]) == 2
    assert "at least two" in capsys.readouterr().err
