"""Escalation chapter: assignment of responses, control windows, the joint model, Sobol
analysis (SALib), key numbers, prose and summary."""

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
from scipy import stats

from deepstrike import data, params, prose
from deepstrike.chapter import get
from deepstrike.chapters.escalation import figures, model
from deepstrike.chapters.escalation import summary as esc_summary
from deepstrike.chapters.escalation.params import ESCALATION_RUNGS, EscalationParams
from deepstrike.language import ICD_WORDS, Quantity, likelihood_word

AS_OF = "2024-11-18"
SEED = 20241118
CHAPTER = get("escalation")
H = 90
# Smaller runs than the defaults keep the tests quick; the invariants do not depend on size.
FAST = {"draws": 4000, "sobol_samples": 256}
REPLAYS = ("2022-07-04", "2023-06-01", "2024-06-01", AS_OF, "2025-06-01")


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


def _evidence(tables: dict, as_of: str = AS_OF, **changes) -> model.Evidence:
    return model.evidence(_params(**changes), tables, as_of)


def _simulate(tables: dict, seed: int = 7, **changes) -> model.Simulation:
    p = _params(**changes)
    e = model.evidence(p, tables, AS_OF)
    return model.simulate(p, e, model.grids(e, (p.prior_alpha, p.prior_beta)), 4000, seed)


def _numbers(as_of: str = AS_OF, tables: dict | None = None, **changes) -> dict[str, Quantity]:
    result = model.analyse(_params(**changes), tables or _tables(as_of), as_of, SEED)
    return CHAPTER.numbers(result)


def _say(template: str, k: dict[str, Quantity], as_of: str = AS_OF) -> str:
    return prose.plain(prose.render("escalation", template, k, as_of=as_of, p={}))


# ------------------------------------------------------------------------------ synthetic record


def _steps(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Steps (id, date, kind) with the columns the model reads."""
    return pd.DataFrame(
        {
            "step_id": [r[0] for r in rows],
            "step_name": [r[0].upper() for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "kind": [r[2] for r in rows],
            "us_weapon": [True] * len(rows),
            "depth_km": [0.0] * len(rows),
        }
    )


def _responses(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Responses (id, date, rung)."""
    return pd.DataFrame(
        {
            "response_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "rung": [r[2] for r in rows],
            "actor": ["x"] * len(rows),
            "description": ["x"] * len(rows),
            "reacting_to": [None] * len(rows),
            "claimed_by": [None] * len(rows),
        }
    )


SYN_STEPS = _steps(
    ("a", "2022-06-01", "weapon_delivery"),
    ("b", "2022-07-01", "weapon_delivery"),  # inside a's window: cuts it to 30 days
    ("u", "2023-03-01", "ukrainian_act"),
    ("c", "2023-09-01", "strike_permission"),
)
SYN_RESPONSES = _responses(
    ("before_any", "2022-03-10", "rhetoric"),  # before every step: a control window's
    ("a_day0", "2022-06-01", "rhetoric"),  # the step's own day counts (lag 0)
    ("a_late", "2022-06-25", "nuclear_signalling"),
    ("overlap", "2022-07-10", "rhetoric"),  # in a's and b's windows: b, the nearest, wins
    ("b_last", "2022-09-28", "rhetoric"),  # lag 89: still inside b's window
    ("b_after", "2022-09-29", "rhetoric"),  # lag 90: outside every window
    ("gap", "2022-12-20", "rhetoric"),  # in a control window between b and u
    ("ua", "2023-03-05", "rhetoric"),  # the Ukrainian act's
    ("c_sab", "2023-09-10", "sabotage_europe"),
)
SYN_AS_OF = "2024-06-01"


def _syn_record(horizon: int = H, as_of: str = SYN_AS_OF):
    return model.record(SYN_STEPS, SYN_RESPONSES, horizon, as_of)


def test_the_nearest_preceding_step_wins_and_windows_end_on_time() -> None:
    windows, assigned, _, _, _ = _syn_record()
    step = assigned.set_index("response_id")["step_id"].to_dict()
    assert step["before_any"] is None and step["b_after"] is None and step["gap"] is None
    assert step["a_day0"] == "a" and step["a_late"] == "a"
    assert step["overlap"] == "b" and step["b_last"] == "b"
    assert step["ua"] == "u" and step["c_sab"] == "c"
    w = windows.set_index("step_id")
    assert w.loc["a", "window_days"] == 30 and w.loc["a", "cut_by"] == "b"
    assert w.loc["b", "window_days"] == H and w.loc["b", "cut_by"] is None
    assert w.loc["u", "step_class"] == "ukrainian" and w.loc["c", "step_class"] == "western"


def test_only_closed_windows_count() -> None:
    # as of 2023-10-01 the window of c (1 Sep 2023) is still open
    windows, _, outcomes, _, rungs = _syn_record(as_of="2023-10-01")
    assert not windows.set_index("step_id").loc["c", "closed"]
    assert "c" not in set(outcomes["step_id"])
    assert rungs["sabotage_europe"].k == 0 and rungs["sabotage_europe"].counts.sum() == 0
    _, _, outcomes, _, rungs = _syn_record()
    assert rungs["sabotage_europe"].k == 1


def test_control_windows_by_hand() -> None:
    _, _, _, starts, rungs = _syn_record()
    # Every day s from 24 Feb 2022 with |s - t| >= 90 days for every step and s + 90 <= as_of.
    war, as_of = pd.Timestamp("2022-02-24"), pd.Timestamp(SYN_AS_OF)
    days = pd.date_range(war, as_of - pd.Timedelta(days=H))
    expect = [s for s in days if all(abs((s - t).days) >= H for t in SYN_STEPS["date"])]
    assert list(starts) == expect
    # the control windows before step a: 24 Feb to 3 Mar 2022 (the last ends on 31 May)
    assert starts[0] == war and pd.Timestamp("2022-03-03") in starts
    assert pd.Timestamp("2022-03-04") not in starts
    # Share by hand: a window [s, s + 90) holds "before_any" (10 Mar 2022) or "gap" (20 Dec
    # 2022) or neither; rhetoric's other responses lie in step windows.
    hits = [
        any(s <= pd.Timestamp(d) < s + pd.Timedelta(days=H) for d in ("2022-03-10", "2022-12-20"))
        for s in expect
    ]
    assert rungs["rhetoric"].control_share == pytest.approx(sum(hits) / len(expect))
    assert 0 < rungs["rhetoric"].control_share < 1
    assert rungs["attack_nato"].control_share == 0.0
    # Independent windows: the distinct control days over the horizon.
    covered = {s + pd.Timedelta(days=i) for s in expect for i in range(H)}
    assert rungs["rhetoric"].control_windows == pytest.approx(len(covered) / H)


def test_the_background_of_the_control_windows_by_hand() -> None:
    _, _, _, _, rungs = _syn_record()
    ev = rungs["rhetoric"]
    share, n = ev.control_share, ev.control_windows
    for a, b in model.PRIORS.values():
        assert model.background_rate(ev, (a, b)) == pytest.approx(
            (a + share * n, b + (1 - share) * n)
        )


def test_with_many_control_windows_the_background_is_their_share() -> None:
    # ten years, one step at the end: the background converges on the control share
    steps = _steps(("late", "2031-12-01", "weapon_delivery"))
    every = pd.date_range("2022-03-01", "2031-06-01", freq="200D")
    responses = _responses(*[(f"r{i}", str(d.date()), "rhetoric") for i, d in enumerate(every)])
    *_, rungs = model.record(steps, responses, H, "2031-12-01")
    ev = rungs["rhetoric"]
    assert ev.control_windows > 30 and ev.n == 0
    grid = model.binary_grid(ev, model.PRIORS["jeffreys"])
    rng = np.random.default_rng(0)
    b, _ = grid.draw(rng.random(40_000), rng.random(40_000))
    assert b.mean() == pytest.approx(ev.control_share, abs=0.04)


def test_synthetic_ukrainian_acts_are_their_own_class() -> None:
    windows, _, _, starts, rungs = _syn_record()
    u = windows.set_index("step_id").loc["u", "date"]
    s = starts.to_numpy(dtype="datetime64[D]").astype(np.int64)
    t = np.datetime64(u.date(), "D").astype(np.int64)
    assert (np.abs(s - t) >= H).all()  # its window is not control time
    assert rungs["rhetoric"].ua_hits == 1 and rungs["rhetoric"].ua_steps == 1
    # the Western record: a and b (c's window holds no rhetoric)
    assert rungs["rhetoric"].n == 3 and rungs["rhetoric"].k == 2


# ------------------------------------------------------------------------------ the real record


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
    kinds = set(data.load_table("escalation_steps")["kind"])
    assert kinds <= {*model.WESTERN_KINDS, *model.UKRAINIAN_KINDS}


@pytest.mark.parametrize("as_of", REPLAYS)
@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_no_response_is_counted_for_two_steps(as_of: str, horizon: int) -> None:
    e = _evidence(_tables(as_of), as_of, horizon_days=horizon)
    counted = [rid for ids in e.outcomes["responses"] if ids for rid in ids.split(", ")]
    assert len(counted) == len(set(counted))
    # and what the outcomes count is exactly what the assignment gave to closed steps
    closed = set(e.windows.loc[e.windows["closed"], "step_id"])
    assigned = e.assigned[e.assigned["step_id"].isin(closed)]
    assert set(counted) == set(assigned["response_id"])


@pytest.mark.parametrize("as_of", REPLAYS)
@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_every_response_inside_a_step_window_is_assigned(as_of: str, horizon: int) -> None:
    tables = _tables(as_of)
    e = _evidence(tables, as_of, horizon_days=horizon)
    steps = e.steps
    for r in e.assigned.itertuples():
        lag = (r.date - steps["date"]).dt.days
        inside = steps[(lag >= 0) & (lag < horizon)]
        if inside.empty:
            assert r.step_id is None, r.response_id
        else:
            # the nearest preceding step, and never a later one
            assert r.step_id == inside.iloc[-1]["step_id"], r.response_id


@pytest.mark.parametrize("as_of", REPLAYS)
@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_control_windows_never_overlap_a_step_window(as_of: str, horizon: int) -> None:
    e = _evidence(_tables(as_of), as_of, horizon_days=horizon)
    s = e.starts.to_numpy(dtype="datetime64[D]").astype(np.int64)
    t = e.steps["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    if s.size and t.size:
        # [s, s + h) and [t, t + h) are disjoint
        assert ((s[:, None] + horizon <= t[None, :]) | (t[None, :] + horizon <= s[:, None])).all()
    if s.size:
        assert e.starts.min() >= pd.Timestamp(model.WAR_START)
        assert e.starts.max() + pd.Timedelta(days=horizon) <= pd.Timestamp(as_of)  # closed
    # no counted response lies on a control day
    days = model.covered_days(e.starts, horizon)
    counted = e.assigned[e.assigned["step_id"].notna()]
    assert not np.isin(counted["date"].to_numpy(dtype="datetime64[D]").astype(np.int64), days).any()


def test_open_windows_are_left_out_of_the_rates(tables: dict) -> None:
    e = _evidence(tables)
    assert "atacms_in_russia" not in set(e.closed["step_id"])
    west = tables["escalation_steps"]["kind"].isin(model.WESTERN_KINDS)
    assert e.n_steps == int(west.sum()) - 1
    assert all(0 <= k <= e.n_steps for k in e.hits.values())
    # the Kremlin's reply of 18 Nov is the open step's and counts nowhere yet
    reply = e.assigned.set_index("response_id").loc["atacms_permission_response_2024"]
    assert reply["step_id"] == "atacms_in_russia"


def test_the_kursk_incursion_is_a_ukrainian_act_with_its_own_responses(tables: dict) -> None:
    e = _evidence(tables)
    assert "kursk_incursion" not in set(e.closed["step_id"])
    assert list(e.ukrainian["step_id"]) == ["kursk_incursion"]
    step = e.assigned.set_index("response_id")["step_id"]
    # the barrage of 26 Aug 2024 is the incursion's, not the F-16 arrival's (nor both)
    assert step["largest_air_attack_2024"] == "kursk_incursion"
    assert e.rungs["intensified_strikes"].ua_hits == 1


def test_attributions_published_later_are_not_known(tables: dict) -> None:
    # the Marywilska arson (May 2024) was attributed in May 2025
    assert "sab_pl_marywilska_mall_2024" not in set(tables["escalation_responses"]["response_id"])
    later = _tables("2025-06-01")["escalation_responses"]
    assert "sab_pl_marywilska_mall_2024" in set(later["response_id"])


def test_replay_after_the_window_counts_the_oreshnik_strike_once() -> None:
    e = _evidence(_tables("2025-06-01"), "2025-06-01")
    assert {"atacms_in_russia", "antipersonnel_mines"} <= set(e.closed["step_id"])
    assert e.hits["demonstrative_strike"] == 1
    # nearest preceding wins: the landmine decision of 20 Nov, not the permission of 17 Nov
    assert e.assigned.set_index("response_id").loc["oreshnik_dnipro", "step_id"] == (
        "antipersonnel_mines"
    )


def test_no_closed_window_leaves_the_record_empty() -> None:
    e = _evidence(_tables("2022-07-04"), "2022-07-04")
    assert e.n_steps == 0 and e.outcomes.empty
    assert e.mean_depth_km == 0.0 and set(e.hits.values()) == {0}
    assert len(e.starts) > 0  # the weeks before HIMARS are control time


def test_record_period_comes_from_the_years() -> None:
    assert model.record_period(pd.Series([2022, 2023, 2024])) == "2022–24"
    assert model.record_period(pd.Series([2023, 2023])) == "2023"
    assert model.record_period(pd.Series([1999, 2001])) == "1999–2001"
    assert model.record_period(pd.Series([], dtype=int)) is None


# ------------------------------------------------------------------------------ the joint model


def test_the_grid_draws_the_posterior() -> None:
    # without control windows the background does not constrain s: s's posterior is the
    # prior times the step windows' likelihood, which a 1-D integral gives exactly
    ev = dataclasses.replace(
        _syn_record()[4]["rhetoric"], control_share=None, control_windows=0.0, control_count=0
    )
    for prior in model.PRIORS.values():
        grid = model.binary_grid(ev, prior)
        rng = np.random.default_rng(1)
        b, s = grid.draw(rng.random(100_000), rng.random(100_000))
        assert (b <= s + 1e-12).all()
        x = np.linspace(1e-7, 1 - 1e-7, 400_001)
        like = np.ones_like(x)
        for xi, hit in zip(ev.exposure, ev.hits, strict=True):
            like *= 1 - (1 - x) ** xi if hit else (1 - x) ** xi
        post = stats.beta.pdf(x, *prior) * like
        assert s.mean() == pytest.approx((x * post).sum() / post.sum(), abs=0.006)


def test_without_evidence_the_forecast_is_the_stated_prior() -> None:
    steps = _steps(("late", "2030-01-01", "weapon_delivery"))
    tables = {
        "escalation_steps": steps,
        "escalation_responses": _responses(),
        "sabotage_incidents": data.load_table("sabotage_incidents", as_of="2022-01-01"),
        "dprk_troops": data.load_table("dprk_troops", as_of="2022-01-01"),
        "escalation_estimates": data.load_table("escalation_estimates", as_of="2022-01-01"),
    }
    # before any control window closes (as of 1 Apr 2022) and with neutral features
    p = _params(prior_alpha=0.5, prior_beta=5.0, us_attribution=0.0, draws=40_000)
    e = model.evidence(p, tables, "2022-04-01")
    assert e.n_steps == 0 and len(e.starts) == 0
    sim = model.simulate(p, e, model.grids(e, (0.5, 5.0)), p.draws, 1)
    nato = model.RUNGS.index("attack_nato")
    assert sim.probabilities[nato].mean() == pytest.approx(0.5 / 5.5, abs=0.006)


def test_probabilities_are_probabilities_and_the_ladder_is_monotone(tables: dict) -> None:
    sim = _simulate(tables)
    for arr in (sim.probabilities, sim.background, sim.after):
        assert np.isfinite(arr).all() and ((arr >= 0) & (arr <= 1)).all()
    # a step never lowers a rung: the forecast is at least the background, draw by draw
    assert (sim.effect >= -1e-12).all()
    # P(a response at this rung or higher) can only fall as the ladder is climbed
    assert (np.diff(sim.at_or_above, axis=0) <= 1e-12).all()
    assert (sim.at_or_above >= sim.probabilities - 1e-12).all()
    assert (sim.sabotage_counts >= 0).all()


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("depth_km", [0.0, 50.0, 100.0, 300.0, 1000.0]),
        ("volume_ratio", [0.25, 1.0, 2.0, 8.0]),
        ("us_attribution", [0.0, 0.5, 1.0]),
    ],
)
@pytest.mark.parametrize("rule", ["bounded", "extrapolate"])
def test_stronger_provocation_never_lowers_a_rung(
    tables: dict, name: str, values: list[float], rule: str
) -> None:
    runs = [_simulate(tables, depth_beyond_record=rule, **{name: v}) for v in values]
    for weaker, stronger in zip(runs, runs[1:], strict=False):
        assert (stronger.probabilities >= weaker.probabilities - 1e-12).all()
        assert (stronger.sabotage_counts >= weaker.sabotage_counts).all()
        # the background does not depend on this step's features
        np.testing.assert_array_equal(stronger.background, weaker.background)


def test_the_depth_effect_stops_at_the_deepest_step_unless_extrapolated(tables: dict) -> None:
    e = _evidence(tables)
    assert e.max_depth_km == 70.0  # the Kharkiv permission
    bounded = [_simulate(tables, depth_km=d) for d in (70.0, 300.0, 1000.0)]
    for other in bounded[1:]:
        np.testing.assert_array_equal(other.probabilities, bounded[0].probabilities)
    far = _simulate(tables, depth_km=300.0, depth_beyond_record="extrapolate")
    assert far.probabilities.mean() > bounded[1].probabilities.mean()


def test_same_seed_same_result_other_seed_differs(tables: dict) -> None:
    p = _params(draws=3000)
    a = model.analyse(p, tables, AS_OF, seed=3)
    b = model.analyse(p, tables, AS_OF, seed=3)
    c = model.analyse(p, tables, AS_OF, seed=4)
    pd.testing.assert_frame_equal(a.ladder, b.ladder)
    pd.testing.assert_frame_equal(a.sobol, b.sobol)
    np.testing.assert_array_equal(a.simulation.sabotage_counts, b.simulation.sabotage_counts)
    assert not np.array_equal(a.simulation.probabilities, c.simulation.probabilities)


def _with_rung(e: model.Evidence, rung: str, **changes) -> model.Evidence:
    return dataclasses.replace(
        e, rungs={**e.rungs, rung: dataclasses.replace(e.rungs[rung], **changes)}
    )


def _mean_p(p: EscalationParams, e: model.Evidence, rung: str) -> tuple[float, float]:
    sim = model.simulate(p, e, model.grids(e, (p.prior_alpha, p.prior_beta)), 4000, 1)
    i = model.RUNGS.index(rung)
    return float(sim.probabilities[i].mean()), float(sim.background[i].mean())


def test_more_responses_after_steps_mean_a_higher_forecast(tables: dict) -> None:
    p = _params()
    e = model.evidence(p, tables, AS_OF)
    rung = "intensified_strikes"
    ev = e.rungs[rung]
    probs = []
    for k in range(0, ev.n + 1, 3):
        hits = np.arange(ev.n) < k
        probs.append(_mean_p(p, _with_rung(e, rung, hits=hits), rung)[0])
    assert np.all(np.diff(probs) > 0)


def test_more_responses_in_control_windows_mean_a_higher_background(tables: dict) -> None:
    p = _params()
    e = model.evidence(p, tables, AS_OF)
    backs = [
        _mean_p(p, _with_rung(e, "rhetoric", control_share=share), "rhetoric")[1]
        for share in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    assert np.all(np.diff(backs) > 0)


def test_a_rung_never_observed_is_a_prior_with_its_range(baseline: model.EscalationResult) -> None:
    ladder = baseline.ladder.set_index("rung")
    assert baseline.evidence.hits["attack_nato"] == 0
    row = ladder.loc["attack_nato"]
    assert row["never_observed"] and row["never_on_record"]
    assert (row["confidence"], row["confidence_basis"]) == ("low", "never_observed")
    under = [row[f"prior_{n}"] for n in model.PRIORS]
    assert row["prior_min"] == min(under) and row["prior_max"] == max(under)
    # the sceptical prior expects fewest responses, the uniform most
    assert row["prior_sceptical"] == row["prior_min"] and row["prior_uniform"] == row["prior_max"]
    # the chosen prior is Jeffreys: its forecast is the one recorded
    assert row["prior_jeffreys"] == pytest.approx(row["probability"])
    assert row["prior_words"] == model.prior_words(row["prior_min"], row["prior_max"])


def test_prior_words_name_one_band_or_the_span() -> None:
    assert model.prior_words(0.08, 0.15) == "very unlikely"
    assert model.prior_words(0.04, 0.11) == "almost no chance to very unlikely"
    assert model.prior_words(0.06, 0.24) == "very unlikely to unlikely"


def test_nuclear_use_is_not_modelled_only_bounded(baseline: model.EscalationResult) -> None:
    assert "nuclear_use" not in set(baseline.ladder["rung"])
    assert 0 < baseline.nuclear["posterior_mean"] < baseline.nuclear["upper"] < 1


# ------------------------------------------------------------------------------ Sobol (SALib)


def test_sobol_indices_on_a_known_function() -> None:
    # y = 2 x0 + x1 (x2 has no influence): S0 = 0.8, S1 = 0.2, S2 = 0 analytically
    table = model.sobol_indices(lambda u: 2 * u[:, 0] + u[:, 1], ["a", "b", "c"], 8192, seed=5)
    np.testing.assert_allclose(table["s1"], [0.8, 0.2, 0.0], atol=0.05)
    np.testing.assert_allclose(table["st"], [0.8, 0.2, 0.0], atol=0.05)
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
    assert (by_input["s1"] > -0.05).all() and (by_input["s1"] < 1.15).all()
    assert by_input["s1"].sum() < 1.15
    assert (by_input["st"] >= -1e-9).all()
    # the sabotage ratio cannot move the NATO rung; the record's two rates lead it
    assert by_input.loc["sabotage_ratio", "st"] < 1e-9
    assert baseline.sobol.iloc[0]["input"] in {"background", "after"}
    swings = baseline.tornado
    assert (swings["swing"] >= 0).all() and swings["swing"].is_monotonic_decreasing


def test_every_rung_has_a_leading_input(baseline: model.EscalationResult) -> None:
    leading = baseline.leading.set_index("rung")
    assert list(leading.index) == list(model.RUNGS)
    assert leading["input"].isin(model.INPUTS).all()
    assert ((leading["st"] > 0) & (leading["st"] < 1.1)).all()
    # only the sabotage rung can be led by the sabotage ratio
    assert not leading.drop(index="sabotage_europe")["input"].eq("sabotage_ratio").any()


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("escalation.focus_rung=attack_nat", "Did you mean 'attack_nato'"),
        ("escalation.us_or_low=2.0", "range out of order: need us_or_low (2) <= us_or_high"),
        ("escalation.depth_beyond_record=extrapolat", "Did you mean 'extrapolate'"),
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


def test_the_forecast_ledger_names_are_kept(key: dict[str, Quantity]) -> None:
    for rung in model.RUNGS:
        for stem in ("p", "background", "effect"):
            for suffix in ("", "_low", "_high"):
                assert f"{stem}_{rung}{suffix}" in key
    for name in ("sabotage_median", "sabotage_low", "sabotage_high", "horizon_days"):
        assert name in key


def test_key_numbers_follow_the_result(
    baseline: model.EscalationResult, key: dict[str, Quantity]
) -> None:
    ladder = baseline.ladder.set_index("rung")
    for rung in model.RUNGS:
        p, bg, eff = (key[f"{s}_{rung}"].value for s in ("p", "background", "effect"))
        assert p == ladder.loc[rung, "probability"]
        assert key[f"p_{rung}_low"].value <= p <= key[f"p_{rung}_high"].value
        assert key[f"background_{rung}_low"].value <= bg <= key[f"background_{rung}_high"].value
        assert key[f"effect_{rung}_low"].value <= eff <= key[f"effect_{rung}_high"].value
        # the forecast is the background plus what this step adds (in points)
        assert p == pytest.approx(bg + eff / 100)
        assert key[f"effect_{rung}_low"].value >= 0
    assert key["n_steps"].value == baseline.evidence.n_steps
    years = baseline.evidence.closed["date"].dt.year
    assert key["record_period"].value == model.record_period(years)
    assert key["sabotage_low"].value <= key["sabotage_median"].value <= key["sabotage_high"].value
    assert key["likeliest_low_rung"].value in model.LOW_RUNGS
    assert key["top_driver"].value == baseline.sobol.iloc[0]["input"]
    assert key["depth_used_km"].value == 70.0 and key["depth_km"].value == 300.0


def test_the_record_period_follows_the_as_of_date() -> None:
    assert _numbers("2023-06-01")["record_period"].value == "2022–23"
    early = _numbers("2022-07-04")
    assert early["record_period"].value is None and not early["has_record"].value


def test_the_tables_of_the_chapter(baseline: model.EscalationResult) -> None:
    steps = figures.step_table(baseline)
    assert list(steps["step"]).count("Ukrainian ground incursion into Kursk") == 1
    assert (steps["class"] == "Ukrainian act").sum() == 1
    ladder = figures.ladder_table(baseline)
    assert list(ladder["rung"]) == [model.RUNG_LABELS[r] for r in model.RUNGS]
    for fig in (figures.ladder, figures.timeline, figures.sabotage, figures.references):
        fig(baseline).to_json()


# ------------------------------------------------------------------------------ prose


SCENARIOS = {
    "baseline": (AS_OF, {}),
    "early": ("2022-07-04", {}),
    "few_steps": ("2023-03-01", {}),
    "later": ("2025-06-01", {}),
    "focus_sabotage": (AS_OF, {"focus_rung": "sabotage_europe"}),
    "strong_prior": (AS_OF, {"prior_alpha": 10.0, "depth_km": 0.0, "horizon_days": 30}),
    "extrapolate": (AS_OF, {"depth_beyond_record": "extrapolate"}),
    "within_record": (AS_OF, {"depth_km": 50.0}),
    "no_controls": (AS_OF, {"horizon_days": 365}),
}


@pytest.fixture(scope="module")
def scenario_numbers() -> dict[str, tuple[str, dict[str, Quantity]]]:
    return {name: (d, _numbers(d, **ch)) for name, (d, ch) in SCENARIOS.items()}


_PCT = r"(?:<|>)?(\d+)%"
_WORDS = "|".join(sorted(ICD_WORDS, key=len, reverse=True))


def _icd_words_carry_numbers(text: str) -> None:
    """Every ICD word has its number beside it: 'likely (62%)', or a range across priors,
    'very unlikely to unlikely (5%–24%)', whose words are those of its two ends."""
    for word in ICD_WORDS:
        longer = [w for w in ICD_WORDS if w != word and w.endswith(word)]
        for match in re.finditer(rf"\b{word}\b", text):
            before = text[: match.end()]
            if any(before.endswith(w) for w in longer):
                continue  # part of a longer word ("likely" in "very likely"): checked there
            if re.search(rf"\b(?:{_WORDS}) to $", text[: match.start()]):
                continue  # the second word of a range: checked with the first
            after = text[match.end() :]
            single = re.match(rf" \({_PCT}\)", after)
            span = re.match(rf"(?: to ({_WORDS}))? \({_PCT}–{_PCT}", after)
            assert single or span, f"{word!r} without its number: {after[:40]!r}"
            if single:
                assert 1 <= int(single.group(1)) <= 99
                continue
            low, high = int(span.group(2)), int(span.group(3))
            assert 1 <= low <= high <= 99
            assert likelihood_word(low / 100) == word
            assert likelihood_word(high / 100) == (span.group(1) or word)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("template", prose.template_names("escalation"))
def test_every_template_renders(scenario: str, template: str, scenario_numbers: dict) -> None:
    as_of, k = scenario_numbers[scenario]
    text = _say(template, k, as_of)
    assert text and "None" not in text and "–%" not in text and "nan" not in text
    assert "  " not in text
    assert not re.search(r"\w\{|\}\w", text)
    # no word glued to a block tag: "79%(100%" or "(5 km)and"
    assert not re.search(r"[\w%)](?<!Beta)\(|\)[A-Za-z]", text), text
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
    assert "escalation.prior_max_attack_nato" in shown
    for name, texts in shown.items():
        assert len(texts) == 1, f"{name} shown as {texts}"


def _nato_seen(tables: dict) -> dict:
    """The baseline record with one (invented) attack on NATO three days after a step."""
    row = tables["escalation_responses"].iloc[:1].copy()
    row["response_id"], row["rung"] = "invented_attack", "attack_nato"
    row["date"] = pd.Timestamp("2024-06-02")  # after the Kharkiv permission of 30 May
    responses = pd.concat([tables["escalation_responses"], row], ignore_index=True)
    return {**tables, "escalation_responses": responses}


FLAGS = [
    # (flag, template, (as_of, changes) for the other branch, text when true, text when false)
    (
        "article_judgment_holds",
        "article",
        (AS_OF, {"prior_alpha": 10.0}),
        "that holds:",
        "that does not hold:",
    ),
    ("has_record", "headline", ("2022-07-04", {}), "record makes", "the prior alone makes"),
    ("has_controls", "record", (AS_OF, {"horizon_days": 365}), "There are", "free of every"),
    (
        "has_ukrainian_acts",
        "record",
        ("2024-06-01", {}),
        "are a class of their own",
        "No Ukrainian act is on record",
    ),
    (
        "record_has_depth",
        "depth",
        ("2023-06-01", {}),
        "past the deepest closed step on record",
        "No closed step on record let Western weapons strike inside Russia",
    ),
    (
        "step_past_record",
        "depth",
        (AS_OF, {"depth_km": 50.0}),
        "past the deepest closed step on record",
        "within the range of the record",
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


def test_depth_extrapolated_branches(key: dict[str, Quantity]) -> None:
    assert not key["depth_extrapolated"].value
    assert "that is a scenario" in _say("depth", key)
    far = _numbers(AS_OF, depth_beyond_record="extrapolate")
    assert far["depth_extrapolated"].value and far["depth_used_km"].value == 300.0
    text = _say("depth", far)
    assert "As a scenario, the depth effect is extrapolated" in text
    assert f"alone allows {far['depth_odds_multiplier_bounded'].text()}" in text
    # no closed step: nothing to measure depth against, extrapolated or not
    early = _numbers("2022-07-04", depth_beyond_record="extrapolate")
    assert "as a scenario it is extrapolated from zero depth" in _say("depth", early, "2022-07-04")
    assert "as a scenario" not in _say("depth", _numbers("2022-07-04"), "2022-07-04")
    # closed steps, none reaching into Russia: extrapolated from their zero depth, or not
    flat = _numbers("2023-06-01", depth_beyond_record="extrapolate")
    assert "extrapolated from the record's zero depth" in _say("depth", flat, "2023-06-01")
    assert "(extrapolated from zero depth, a scenario" in _say(
        "depth", _numbers("2023-06-01"), "2023-06-01"
    )


def test_step_deeper_branches() -> None:
    deeper, shallower = _numbers(AS_OF, depth_km=50.0), _numbers(AS_OF, depth_km=0.0)
    assert deeper["step_deeper"].value and not shallower["step_deeper"].value
    assert "deeper than the average past step" in _say("depth", deeper)
    assert "less deep than the average past step" in _say("depth", shallower)


def test_never_observed_branches(key: dict[str, Quantity], tables: dict) -> None:
    text = _say("judgments", key)
    # attack on NATO: never on record; demonstrative strike: in control windows only
    assert key["never_observed_attack_nato"].value and key["never_on_record_attack_nato"].value
    nato = key["prior_words_attack_nato"].text()
    assert f"Direct attack on NATO territory or forces: {nato} (" in text
    assert "This number is a prior, not a finding: no such response is on record at all" in text
    assert not key["never_on_record_demonstrative_strike"].value
    assert "none followed any of the 15 past Western steps, though" in text
    # rhetoric was observed: its own word, for its own number
    assert not key["never_observed_rhetoric"].value
    assert f"Rhetorical threats: {key['p_rhetoric'].text()}" not in text
    assert f"Rhetorical threats: {likelihood_word(key['p_rhetoric'].value)} (" in text
    # once an attack on NATO follows a step, the judgments give its own number
    seen = _numbers(AS_OF, tables=_nato_seen(tables))
    assert not seen["never_observed_attack_nato"].value
    word = likelihood_word(seen["p_attack_nato"].value)
    for template in ("headline", "article"):
        assert f"a direct attack on NATO is {word} (" in _say(template, seen)
        assert "across three priors" not in _say(template, seen).split("NATO")[1][:60]
    summary = prose.plain(esc_summary.judgments(seen)[0].text)
    assert f"a direct attack on NATO is {word} (" in summary
    line = prose.plain(esc_summary.bottom_line(seen))
    assert f"NATO within 90 days is {word} (" in line
    assert "prior rather than a finding" in prose.plain(esc_summary.judgments(key)[0].text)


@pytest.mark.parametrize(
    ("scenario", "rung", "basis", "words"),
    [
        ("early", "rhetoric", "few_steps", "no Western step's window had closed"),
        ("few_steps", "rhetoric", "few_steps", "with a closed window, fewer than"),
        ("baseline", "attack_nato", "never_observed", "never observed after a past step"),
        ("no_controls", "rhetoric", "few_controls", "so the background is barely measured"),
        ("baseline", "rhetoric", "observed", "against a background measured in control"),
    ],
)
def test_confidence_bases_are_worded(
    scenario_numbers: dict, scenario: str, rung: str, basis: str, words: str
) -> None:
    as_of, k = scenario_numbers[scenario]
    assert k[f"confidence_basis_{rung}"].value == basis
    assert words in _say("judgments", k, as_of)


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
    assert "No year of the CSIS tally was public" in text
    assert "No incendiary-parcel incident" in text
    assert "The record holds no sabotage attack" in text
    base = _say("sabotage", _numbers())
    assert "The record holds 10 sabotage attacks" in base and "in open windows" not in base
    mid = _say("sabotage", _numbers("2024-06-01"), "2024-06-01")
    assert "1 in open windows, in a Ukrainian act's window or between windows" in mid


def test_without_control_windows_the_judgments_say_so(scenario_numbers: dict) -> None:
    as_of, k = scenario_numbers["no_controls"]
    assert not k["has_controls"].value and k["n_control_windows"].value == 0
    assert "no control window had closed" in _say("judgments", k, as_of)
    _, base = scenario_numbers["baseline"]
    assert "of the control windows did" in _say("judgments", base)


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
    # the never-observed NATO rung shows the range across the three priors, with its words
    span = f"({key['prior_min_attack_nato'].text()}–{key['prior_max_attack_nato'].text()}"
    assert span in text and span in line
    assert not line.endswith(".")
    _icd_words_carry_numbers(text)
    _icd_words_carry_numbers(line)


def test_summary_without_a_record_names_the_prior() -> None:
    k = _numbers("2022-07-04")
    assert "on the prior alone" in prose.plain(esc_summary.judgments(k)[0].text)
    assert prose.plain(esc_summary.bottom_line(k)).startswith("on the prior alone")


def test_poisson_counts_by_inversion_match_scipy() -> None:
    from scipy import stats

    from deepstrike.chapters.escalation.model import poisson_inverse

    rng = np.random.default_rng(3)
    u = rng.random(50_000)
    rate = np.concatenate([rng.gamma(1.0, 3.0, 49_980), [0.0] * 5, [40.0] * 5, [1e6] * 10])
    expected = stats.poisson.ppf(u, rate).astype(np.int64)
    np.testing.assert_array_equal(poisson_inverse(u, rate), expected)
    # a larger uniform never gives fewer attacks (inversion keeps common random numbers exact)
    order = np.argsort(u)
    same = np.full(50_000, 2.5)
    assert (np.diff(poisson_inverse(u[order], same)) >= 0).all()
    # far beyond scipy's inverse (NaN there): still a count, near the rate
    huge = poisson_inverse(np.array([0.001, 0.5, 0.999]), np.full(3, 1e15))
    assert (huge > 0).all() and np.all(np.abs(huge / 1e15 - 1) < 1e-6)
    assert (np.diff(huge) > 0).all()
    for bad in (np.inf, np.nan, -1.0):
        with pytest.raises(ValueError, match="finite and non-negative"):
            poisson_inverse(u[:3], np.array([1.0, bad, 1.0]))
