"""Escalation chapter: model invariants, Sobol analysis (SALib), key numbers, prose and summary."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from deepstrike import data, params, prose
from deepstrike.chapter import get
from deepstrike.chapters.escalation import model
from deepstrike.chapters.escalation import summary as esc_summary
from deepstrike.chapters.escalation.params import ESCALATION_RUNGS, EscalationParams
from deepstrike.language import ICD_WORDS, Quantity

AS_OF = "2024-11-18"
SEED = 20241118
CHAPTER = get("escalation")
# Smaller runs than the defaults keep the tests quick; the invariants do not depend on size.
FAST = {"draws": 4000, "sobol_samples": 256}


def _tables(as_of: str = AS_OF) -> dict[str, pd.DataFrame]:
    return {name: data.load_table(name, as_of=as_of) for name in CHAPTER.tables}


def _params(**changes) -> EscalationParams:
    return EscalationParams(**{**FAST, **changes})


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return _tables()


@pytest.fixture(scope="module")
def baseline(tables: dict) -> model.EscalationResult:
    return model.analyse(_params(), tables, AS_OF, SEED)


@pytest.fixture(scope="module")
def key(baseline: model.EscalationResult) -> dict[str, Quantity]:
    return CHAPTER.numbers(baseline)


def _simulate(tables: dict, seed: int = 7, **changes) -> model.Simulation:
    p = _params(**changes)
    return model.simulate(p, model.evidence(p, tables, AS_OF), 4000, seed)


def _numbers(as_of: str = AS_OF, tables: dict | None = None, **changes) -> dict[str, Quantity]:
    result = model.analyse(_params(**changes), tables or _tables(as_of), as_of, SEED)
    return CHAPTER.numbers(result)


def _say(template: str, k: dict[str, Quantity], as_of: str = AS_OF) -> str:
    return prose.plain(prose.render("escalation", template, k, as_of=as_of, p={}))


# ------------------------------------------------------------------------------ data


def test_tables_load_and_are_not_empty() -> None:
    for name in CHAPTER.tables:
        assert len(data.load_table(name)) > 0, name


def test_rungs_agree_between_schema_model_and_data() -> None:
    assert list(model.RUNGS) == ESCALATION_RUNGS
    assert set(model.RUNG_LABELS) == {*model.RUNGS, "nuclear_use"}
    assert set(model.RUNG_PHRASES) == set(model.RUNGS)
    res = data.resources()["escalation_responses"]
    rung_enum = {f["name"]: f for f in res.fields}["rung"]["constraints"]["enum"]
    assert set(model.RUNGS) <= set(rung_enum)
    assert "nuclear_use" in rung_enum and "nuclear_use" not in model.RUNGS


# ------------------------------------------------------------------------------ base rates


def test_open_windows_are_left_out_of_the_base_rates(tables: dict) -> None:
    e = model.evidence(_params(), tables, AS_OF)
    assert "atacms_in_russia" not in set(e.closed["step_id"])
    assert e.n_steps == len(tables["escalation_steps"]) - 1
    assert all(0 <= k <= e.n_steps for k in e.hits.values())


def test_replay_after_the_window_counts_the_oreshnik_strike() -> None:
    e = model.evidence(_params(), _tables("2025-03-01"), "2025-03-01")
    assert "atacms_in_russia" in set(e.closed["step_id"])
    assert e.hits["demonstrative_strike"] == 1


def test_no_closed_window_leaves_the_record_empty() -> None:
    e = model.evidence(_params(), _tables("2022-07-04"), "2022-07-04")
    assert e.n_steps == 0 and e.outcomes.empty
    assert e.mean_depth_km == 0.0 and set(e.hits.values()) == {0}


def test_record_period_comes_from_the_years() -> None:
    assert model.record_period(pd.Series([2022, 2023, 2024])) == "2022–24"
    assert model.record_period(pd.Series([2023, 2023])) == "2023"
    assert model.record_period(pd.Series([1999, 2001])) == "1999–2001"
    assert model.record_period(pd.Series([], dtype=int)) is None


# ------------------------------------------------------------------------------ probabilities


def test_probabilities_are_probabilities_and_the_ladder_is_monotone(tables: dict) -> None:
    sim = _simulate(tables)
    assert np.isfinite(sim.probabilities).all()
    assert ((sim.probabilities >= 0) & (sim.probabilities <= 1)).all()
    # P(a response at this rung or higher) can only fall as the ladder is climbed
    assert (np.diff(sim.at_or_above, axis=0) <= 1e-12).all()
    assert (sim.at_or_above >= sim.probabilities - 1e-12).all()
    assert (sim.sabotage_counts >= 0).all()


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("depth_km", [0.0, 100.0, 300.0, 1000.0]),
        ("volume_ratio", [0.25, 1.0, 2.0, 8.0]),
        ("us_attribution", [0.0, 0.5, 1.0]),
    ],
)
def test_stronger_provocation_never_lowers_a_rung(
    tables: dict, name: str, values: list[float]
) -> None:
    runs = [_simulate(tables, **{name: v}) for v in values]
    for weaker, stronger in zip(runs, runs[1:], strict=False):
        assert (stronger.probabilities >= weaker.probabilities - 1e-12).all()
        assert (stronger.sabotage_counts >= weaker.sabotage_counts).all()


def test_stronger_provocation_effect_never_lowers_a_rung_for_a_deep_step(tables: dict) -> None:
    # for a step deeper than the past ones, a larger depth effect can only add risk
    low = _simulate(tables, depth_or_per_100km_high=1.1)
    high = _simulate(tables, depth_or_per_100km_high=2.0)
    assert (high.probabilities >= low.probabilities - 1e-12).all()


def test_same_seed_same_result_other_seed_differs(tables: dict) -> None:
    p = _params(draws=3000)
    a = model.analyse(p, tables, AS_OF, seed=3)
    b = model.analyse(p, tables, AS_OF, seed=3)
    c = model.analyse(p, tables, AS_OF, seed=4)
    pd.testing.assert_frame_equal(a.ladder, b.ladder)
    pd.testing.assert_frame_equal(a.sobol, b.sobol)
    np.testing.assert_array_equal(a.simulation.sabotage_counts, b.simulation.sabotage_counts)
    assert not np.array_equal(a.simulation.probabilities, c.simulation.probabilities)


def test_more_observed_responses_mean_a_higher_base_rate(tables: dict) -> None:
    p = _params()
    e = model.evidence(p, tables, AS_OF)
    rung = "intensified_strikes"
    probs = []
    for k in range(e.n_steps + 1):
        more = dataclasses.replace(e, hits={**e.hits, rung: k})
        sim = model.simulate(p, more, 4000, seed=1)
        probs.append(sim.probabilities[model.RUNGS.index(rung)].mean())
    assert np.all(np.diff(probs) > 0)


def test_a_rung_never_observed_has_low_confidence(baseline: model.EscalationResult) -> None:
    ladder = baseline.ladder.set_index("rung")
    assert baseline.evidence.hits["attack_nato"] == 0
    assert ladder.loc["attack_nato", "confidence"] == "low"
    assert ladder.loc["attack_nato", "confidence_basis"] == "never_observed"


def test_nuclear_use_is_not_modelled_only_bounded(baseline: model.EscalationResult) -> None:
    assert "nuclear_use" not in set(baseline.ladder["rung"])
    assert 0 < baseline.nuclear["posterior_mean"] < baseline.nuclear["upper"] < 1


def test_a_uniform_prior_is_the_only_change_of_the_comparison_run(
    baseline: model.EscalationResult,
) -> None:
    # Same seed, other prior: the sabotage rung (no prior) is identical, the history rungs not.
    same = baseline.ladder.set_index("rung")["probability"]
    uniform = baseline.uniform_prior.set_index("rung")["probability"]
    assert same["sabotage_europe"] == uniform["sabotage_europe"]
    assert same["attack_nato"] != uniform["attack_nato"]


# ------------------------------------------------------------------------------ Sobol (SALib)


def test_sobol_indices_on_a_known_function() -> None:
    # y = 2 x0 + x1 (x2 has no influence): S0 = 0.8, S1 = 0.2, S2 = 0 analytically
    table = model.sobol_indices(lambda u: 2 * u[:, 0] + u[:, 1], ["a", "b", "c"], 8192, seed=5)
    np.testing.assert_allclose(table["s1"], [0.8, 0.2, 0.0], atol=0.05)
    np.testing.assert_allclose(table["st"], [0.8, 0.2, 0.0], atol=0.05)
    # indices lie in [0, 1] up to sampling error; the intervals bracket the estimates
    for col in ("s1", "st"):
        assert (table[col] > -0.05).all() and (table[col] < 1.05).all()
        assert (table[f"{col}_low"] <= table[col]).all()
        assert (table[col] <= table[f"{col}_high"]).all()
    assert table["s1"].sum() <= 1.05
    assert table.loc[2, "st"] == pytest.approx(0.0, abs=1e-12)


def test_sobol_samples_are_rounded_to_a_power_of_two() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warns on an unbalanced Sobol' sequence
        table = model.sobol_indices(lambda u: u[:, 0], ["a", "b"], 1000, seed=1)
    assert table.loc[0, "st"] == pytest.approx(1.0, abs=0.05)


def test_a_constant_output_has_no_sensitivity() -> None:
    table = model.sobol_indices(lambda u: np.ones(len(u)), ["a", "b"], 256, seed=1)
    assert (table[["s1", "st"]].to_numpy() == 0).all()


def test_model_sensitivity_sums_sensibly(baseline: model.EscalationResult) -> None:
    by_input = baseline.sobol.set_index("input")
    assert set(by_input.index) == set(model.INPUTS)
    # within Monte Carlo error: first-order indices lie in [0, 1] and sum to at most about one
    assert (by_input["s1"] > -0.05).all() and (by_input["s1"] < 1.15).all()
    assert by_input["s1"].sum() < 1.15
    assert (by_input["st"] >= -1e-9).all()
    # the sabotage inputs cannot move the NATO rung; the base rate dominates it
    assert by_input.loc["sabotage_ratio", "st"] < 1e-9
    assert by_input.loc["sabotage_count", "st"] < 1e-9
    assert baseline.sobol.iloc[0]["input"] == "base_rate"
    swings = baseline.tornado
    assert (swings["swing"] >= 0).all() and swings["swing"].is_monotonic_decreasing


def test_every_rung_has_a_leading_input(baseline: model.EscalationResult) -> None:
    leading = baseline.leading.set_index("rung")
    assert list(leading.index) == list(model.RUNGS)
    assert leading["input"].isin(model.INPUTS).all()
    assert ((leading["st"] > 0) & (leading["st"] < 1.1)).all()
    # only the sabotage rung can be led by a sabotage input
    history = leading.drop(index="sabotage_europe")
    assert not history["input"].isin(["sabotage_count", "sabotage_ratio"]).any()


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("escalation.focus_rung=attack_nat", "Did you mean 'attack_nato'"),
        ("escalation.us_or_low=2.0", "range out of order: need us_or_low (2) <= us_or_high"),
    ],
)
def test_parameters_are_checked_by_the_schema(override: str, message: str) -> None:
    with pytest.raises(params.ParamError, match=re.escape(message)):
        params.load_scenario("baseline", [override])


def test_sabotage_tally_is_checked_against_the_data() -> None:
    tables = {"sabotage_incidents": data.load_table("sabotage_incidents")}
    with pytest.raises(params.ParamError, match="Did you mean 'csis'"):
        EscalationParams(sabotage_tally="csiss").check_data(tables)


# ------------------------------------------------------------------------------ key numbers


def test_key_numbers_are_quantities_json_and_finite(key: dict[str, Quantity]) -> None:
    for name, q in key.items():
        assert isinstance(q, Quantity) and q.name == f"escalation.{name}"
        json.dumps(q.as_record())
        if isinstance(q.value, float):
            assert math.isfinite(q.value), name
        q.text()


def test_key_numbers_follow_the_result(
    baseline: model.EscalationResult, key: dict[str, Quantity]
) -> None:
    ladder = baseline.ladder.set_index("rung")
    for rung in model.RUNGS:
        assert key[f"p_{rung}"].value == ladder.loc[rung, "probability"]
        assert key[f"p_{rung}_low"].value <= key[f"p_{rung}"].value <= key[f"p_{rung}_high"].value
    assert key["n_steps"].value == baseline.evidence.n_steps
    years = baseline.evidence.closed["date"].dt.year
    assert key["record_period"].value == model.record_period(years)
    assert key["record_period"].value.startswith(str(years.min()))
    assert key["sabotage_low"].value <= key["sabotage_median"].value <= key["sabotage_high"].value
    assert key["likeliest_low_rung"].value in model.LOW_RUNGS
    assert key["top_driver"].value == baseline.sobol.iloc[0]["input"]


def test_the_record_period_follows_the_as_of_date() -> None:
    assert _numbers("2023-06-01")["record_period"].value == "2022–23"
    early = _numbers("2022-07-04")
    assert early["record_period"].value is None and not early["has_record"].value


# ------------------------------------------------------------------------------ prose


SCENARIOS = {
    "baseline": (AS_OF, {}),
    "early": ("2022-07-04", {}),
    "later": ("2025-06-01", {}),
    "focus_sabotage": (AS_OF, {"focus_rung": "sabotage_europe"}),
    "strong_prior": (AS_OF, {"prior_alpha": 10.0, "depth_km": 0.0, "horizon_days": 30}),
}


@pytest.fixture(scope="module")
def scenario_numbers() -> dict[str, tuple[str, dict[str, Quantity]]]:
    return {name: (d, _numbers(d, **ch)) for name, (d, ch) in SCENARIOS.items()}


def _icd_words_carry_numbers(text: str) -> None:
    for word in ICD_WORDS:
        for match in re.finditer(rf"\b{word}\b", text):
            after = text[match.end() :]
            found = re.match(r" \((<|>)?(\d+)%\)", after)
            assert found, f"{word!r} without its number: {after[:30]!r}"
            assert 1 <= int(found.group(2)) <= 99


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("template", prose.template_names("escalation"))
def test_every_template_renders(scenario: str, template: str, scenario_numbers: dict) -> None:
    as_of, k = scenario_numbers[scenario]
    text = _say(template, k, as_of)
    assert text and "None" not in text and "–%" not in text
    assert "  " not in text
    _icd_words_carry_numbers(text)


def test_headline_starts_with_its_label(key: dict[str, Quantity]) -> None:
    assert _say("headline", key).startswith("Headline. ")


def test_one_quantity_one_text_across_chapter_and_summary(key: dict[str, Quantity]) -> None:
    pieces = [
        str(prose.render("escalation", t, key, as_of=AS_OF, p={}))
        for t in prose.template_names("escalation")
    ]
    pieces += [j.text for j in esc_summary.judgments(key)]
    pieces.append(str(esc_summary.bottom_line(key)))
    shown: dict[str, set[str]] = {}
    for name, text in re.findall(r'data-q="([^"]+)">([^<]*)<', "".join(pieces)):
        shown.setdefault(name, set()).add(html.unescape(text))
    assert "escalation.p_attack_nato" in shown
    for name, texts in shown.items():
        assert len(texts) == 1, f"{name} shown as {texts}"


FLAGS = [
    # (flag, template, changes for the other branch, text when true, text when false)
    (
        "article_judgment_holds",
        "article",
        (AS_OF, {"prior_alpha": 10.0}),
        "that holds:",
        "that does not hold:",
    ),
    ("has_record", "headline", ("2022-07-04", {}), "record makes", "the prior alone makes"),
    ("step_deeper", "depth", (AS_OF, {"depth_km": 0.0}), "km deeper than", "km less deep than"),
    (
        "focus_is_history_rung",
        "sensitivity",
        (AS_OF, {"focus_rung": "sabotage_europe"}),
        "Under a uniform prior",
        "moves the expected attacks from",
    ),
]


@pytest.mark.parametrize(("flag", "template", "other", "when_true", "when_false"), FLAGS)
def test_flag_branches_follow_the_numbers(
    key: dict[str, Quantity],
    flag: str,
    template: str,
    other: tuple[str, dict],
    when_true: str,
    when_false: str,
) -> None:
    as_of, changes = other
    flipped = _numbers(as_of, **changes)
    assert key[flag].value is True and flipped[flag].value is False
    true_text, false_text = _say(template, key), _say(template, flipped, as_of)
    assert when_true in true_text and when_false not in true_text
    assert when_false in false_text and when_true not in false_text


def test_article_judgment_fails_when_an_attack_on_nato_is_not_unlikely() -> None:
    k = _numbers(AS_OF, prior_alpha=10.0)
    assert k["p_attack_nato"].value >= model.NATO_ATTACK_CEILING
    assert not k["article_judgment_holds"].value
    assert "which these numbers do not meet" in _say("article", k)


def test_sabotage_tally_branches() -> None:
    later = _numbers("2025-06-01")
    assert later["has_sabotage_tally"].value
    text = _say("sabotage", later, "2025-06-01")
    assert f"tally counts {later['sabotage_tally_count'].text()} attacks" in text
    assert f"in {later['sabotage_year'].text()}" in text
    early = _numbers("2022-07-04")
    assert not early["has_sabotage_tally"].value
    text = _say("sabotage", early, "2022-07-04")
    assert "rests on the prior alone" in text
    assert "No incendiary-parcel incident" in text


def test_peak_in_crisis_branches(tables: dict) -> None:
    k = _numbers()
    assert k["peak_in_crisis"].value
    assert "was made during the autumn" in _say("nuclear", k)
    start, end = (pd.Timestamp(d) for d in model.NUCLEAR_CRISIS)
    est = tables["escalation_estimates"]
    calm = {**tables, "escalation_estimates": est[(est["date"] < start) | (est["date"] > end)]}
    k = _numbers(AS_OF, tables=calm)
    assert not k["peak_in_crisis"].value
    assert "was made outside the autumn" in _say("nuclear", k)


def test_without_published_estimates_the_chapter_says_so(tables: dict) -> None:
    empty = {**tables, "escalation_estimates": tables["escalation_estimates"].iloc[:0]}
    result = model.analyse(_params(), empty, AS_OF, SEED)
    k = CHAPTER.numbers(result)
    assert k["n_nuclear_estimates"].value == 0
    assert "No published estimate of nuclear use" in _say("nuclear", k)
    from deepstrike.chapters.escalation import figures

    figures.references(result)  # an empty chart, not an error


# ------------------------------------------------------------------------------ summary


def test_summary_judgment_and_bottom_line(key: dict[str, Quantity]) -> None:
    (judgment,) = esc_summary.judgments(key)
    assert judgment.chapter == "escalation" and judgment.figure == "escalation-ladder"
    assert judgment.confidence == key["confidence"].value in {"low", "moderate"}
    text = prose.plain(judgment.text)
    line = prose.plain(esc_summary.bottom_line(key))
    period = key["record_period"].text()
    assert f"on the {period} record" in text and f"on the {period} record" in line
    assert not line.endswith(".")
    _icd_words_carry_numbers(text)
    _icd_words_carry_numbers(line)


def test_summary_without_a_record_names_the_prior() -> None:
    k = _numbers("2022-07-04")
    assert "on the prior alone" in prose.plain(esc_summary.judgments(k)[0].text)
    assert prose.plain(esc_summary.bottom_line(k)).startswith("on the prior alone")
