"""Invariants of the Escalation model: probabilities, monotone ladder and provocation, Sobol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepstrike import data, escalation
from deepstrike.params import ESCALATION_RUNGS, EscalationParams, ParamError

AS_OF = "2024-11-18"
TABLE_NAMES = (*escalation.TABLES, "escalation_estimates")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: data.load_table(name, as_of=AS_OF) for name in escalation.TABLES}


@pytest.fixture(scope="module")
def params() -> dict:
    return EscalationParams().model_dump()


def _probabilities(params: dict, tables: dict, seed: int = 7, **changes) -> escalation.Simulation:
    s = escalation.settings({**params, **changes}, tables, AS_OF)
    return escalation.simulate(s, 4000, seed)


# ------------------------------------------------------------------------------ data


def test_tables_load_and_carry_sources() -> None:
    for name in TABLE_NAMES:
        frame = data.load_table(name)
        assert len(frame) > 0
        assert frame["source_url"].str.match(r"^https?://").all()


def test_rungs_agree_between_schema_model_and_data() -> None:
    assert list(escalation.RUNGS) == ESCALATION_RUNGS
    res = data.resources()["escalation_responses"]
    rung_enum = {f["name"]: f for f in res.fields}["rung"]["constraints"]["enum"]
    assert set(escalation.RUNGS) <= set(rung_enum)
    assert "nuclear_use" in rung_enum and "nuclear_use" not in escalation.RUNGS


# ------------------------------------------------------------------------------ base rates


def test_open_windows_are_left_out_of_the_base_rates(tables: dict, params: dict) -> None:
    s = escalation.settings(params, tables, AS_OF)
    assert "atacms_in_russia" not in set(s.extra["closed"]["step_id"])
    assert s.n_steps == len(tables["escalation_steps"]) - 1
    assert all(0 <= k <= s.n_steps for k in s.hits.values())


def test_replay_after_the_window_counts_the_oreshnik_strike(params: dict) -> None:
    later = {name: data.load_table(name, as_of="2025-03-01") for name in escalation.TABLES}
    s = escalation.settings(params, later, "2025-03-01")
    assert "atacms_in_russia" in set(s.extra["closed"]["step_id"])
    assert s.hits["demonstrative_strike"] == 1


# ------------------------------------------------------------------------------ probabilities


def test_probabilities_are_probabilities_and_the_ladder_is_monotone(
    tables: dict, params: dict
) -> None:
    sim = _probabilities(params, tables)
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
    tables: dict, params: dict, name: str, values: list[float]
) -> None:
    runs = [_probabilities(params, tables, **{name: v}) for v in values]
    for weaker, stronger in zip(runs, runs[1:], strict=False):
        assert (stronger.probabilities >= weaker.probabilities - 1e-12).all()
        assert (stronger.sabotage_counts >= weaker.sabotage_counts).all()


def test_stronger_provocation_effect_never_lowers_a_rung_for_a_deep_step(
    tables: dict, params: dict
) -> None:
    # for a step deeper than the past ones, a larger depth effect can only add risk
    low = _probabilities(params, tables, depth_or_per_100km_high=1.1)
    high = _probabilities(params, tables, depth_or_per_100km_high=2.0)
    assert (high.probabilities >= low.probabilities - 1e-12).all()


def test_same_seed_same_result_other_seed_differs(tables: dict, params: dict) -> None:
    a = escalation.run(params, tables, AS_OF, seed=3, draws=3000)
    b = escalation.run(params, tables, AS_OF, seed=3, draws=3000)
    c = escalation.run(params, tables, AS_OF, seed=4, draws=3000)
    pd.testing.assert_frame_equal(a.ladder, b.ladder)
    np.testing.assert_array_equal(a.simulation.sabotage_counts, b.simulation.sabotage_counts)
    assert not np.array_equal(a.simulation.probabilities, c.simulation.probabilities)


def test_more_observed_responses_mean_a_higher_base_rate(tables: dict, params: dict) -> None:
    ladder = escalation.run(params, tables, AS_OF, seed=1, draws=20000).ladder.set_index("rung")
    # rhetoric followed every step, attack_nato none: the ordering must show
    assert ladder.loc["rhetoric", "probability"] > ladder.loc["nuclear_signalling", "probability"]
    assert (
        ladder.loc["nuclear_signalling", "probability"] > ladder.loc["attack_nato", "probability"]
    )
    assert ladder.loc["attack_nato", "confidence"] == "low"


def test_sobol_estimator_on_a_known_function() -> None:
    # y = 2 x0 + x1 (x2 has no influence): S0 = 0.8, S1 = 0.2, S2 = 0 analytically
    table = escalation.sobol_indices(lambda u: 2 * u[:, 0] + u[:, 1], 3, 8192, seed=5)
    np.testing.assert_allclose(table["s1"], [0.8, 0.2, 0.0], atol=0.05)
    np.testing.assert_allclose(table["st"], [0.8, 0.2, 0.0], atol=0.05)
    assert table["s1"].sum() <= 1.05


def test_sobol_estimator_agrees_with_salib() -> None:
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    def f(u: np.ndarray) -> np.ndarray:
        return np.sin(2 * np.pi * u[:, 0]) + 3 * u[:, 1] ** 2 + 0.5 * u[:, 0] * u[:, 1]

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = salib_sample.sample(problem, 4096, calc_second_order=False, seed=2)
    reference = salib_sobol.analyze(problem, f(x), calc_second_order=False, seed=2)
    ours = escalation.sobol_indices(f, 3, 4096, seed=2)
    np.testing.assert_allclose(ours["s1"], reference["S1"], atol=0.06)
    np.testing.assert_allclose(ours["st"], reference["ST"], atol=0.06)


def test_model_sensitivity_sums_sensibly(tables: dict, params: dict) -> None:
    indices, swings = escalation.run_sensitivity(params, tables, AS_OF, seed=1, samples=1024)
    by_input = indices.set_index("input")
    # within Monte Carlo error: first-order indices lie in [0, 1] and sum to at most about one
    assert (by_input["s1"] > -0.05).all() and (by_input["s1"] < 1.15).all()
    assert by_input["s1"].sum() < 1.15
    assert (by_input["st"] >= -1e-9).all()
    # the sabotage inputs cannot move the NATO rung; the base rate dominates it
    assert by_input.loc["sabotage_ratio", "st"] < 1e-9
    assert by_input.loc["sabotage_count", "st"] < 1e-9
    assert indices.iloc[0]["input"] == "base_rate"
    assert (swings["swing"] >= 0).all() and swings["swing"].is_monotonic_decreasing


def test_nuclear_use_is_not_modelled_only_bounded(tables: dict, params: dict) -> None:
    result = escalation.run(params, tables, AS_OF, seed=1, draws=2000)
    assert "nuclear_use" not in set(result.ladder["rung"])
    assert 0 < result.nuclear["posterior_mean"] < result.nuclear["upper"] < 1


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"focus_rung": "attack_nat"}, "Did you mean 'attack_nato'"),
        ({"sabotage_tally": "csiss"}, "Did you mean 'csis'"),
        ({"us_or_low": 2.0, "us_or_high": 1.5}, "us_or_low (2.0) is above"),
    ],
)
def test_parameters_checked_against_the_data(change: dict, message: str) -> None:
    tables = {"sabotage_incidents": data.load_table("sabotage_incidents")}
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EscalationParams(**change).check_data(tables)
