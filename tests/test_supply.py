"""Missile supply chapter: geodesy, stock-flow invariants, reach, the as-of replay, prose, maps."""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from pydantic import ValidationError

from deepstrike import data, figures, front_line, geo, params, prose, render
from deepstrike.chapters.supply import CHAPTER, record, summary
from deepstrike.chapters.supply import figures as supply_figures
from deepstrike.chapters.supply import model as supply
from deepstrike.chapters.supply.params import SupplyParams

ROOT = Path(__file__).resolve().parents[1]
BASELINE = date(2024, 11, 18)
COST = (1.0e6, 1.25e6, 1.5e6)
TEMPLATES = prose.template_names("supply")
DRAWS = 2000  # enough for every statement tested below, fast enough for every as-of date


@functools.cache
def _loaded(as_of: str) -> dict[str, pd.DataFrame]:
    return {name: data.load_table(name, as_of=as_of) for name in CHAPTER.tables}


def _tables(as_of: date | str = BASELINE) -> dict[str, pd.DataFrame]:
    """The chapter's tables as of a date (copies: a test may change them)."""
    return {n: f.copy() for n, f in _loaded(pd.Timestamp(as_of).date().isoformat()).items()}


def _numbers(as_of: date | str = BASELINE, tables: dict | None = None, **overrides):  # noqa: ANN202
    p = CHAPTER.run_model(**{"draws": DRAWS, **overrides})
    result = CHAPTER.analyse(p, tables if tables is not None else _tables(as_of), as_of, 7)
    return result, CHAPTER.numbers(result)


def _say(k: dict, template: str) -> str:
    return prose.plain(prose.render("supply", template, k, as_of=k["as_of"].value, p={}))


def _page(k: dict) -> str:
    return " ".join(_say(k, t) for t in TEMPLATES)


# ---- geodesy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((50.4501, 30.5234), (55.7558, 37.6173), 756.0),  # Kyiv - Moscow
        ((51.5074, -0.1278), (48.8566, 2.3522), 344.0),  # London - Paris
        ((52.5200, 13.4050), (52.2297, 21.0122), 517.0),  # Berlin - Warsaw
        ((40.7128, -74.0060), (51.5074, -0.1278), 5570.0),  # New York - London
    ],
)
def test_known_city_pairs_within_one_percent(a, b, km) -> None:  # noqa: ANN001
    assert float(geo.distance_km(*a, *b)) == pytest.approx(km, rel=0.01)


def test_distance_to_line_is_distance_to_nearest_segment_point() -> None:
    # A meridian segment from 50N to 52N at 30E; a point 1 degree of longitude east at 51N.
    segment = [np.array([[50.0, 30.0], [52.0, 30.0]])]
    d = front_line.distance_km(np.array([51.0, 53.0]), np.array([31.0, 30.0]), segment)
    assert d[0] == pytest.approx(float(geo.distance_km(51, 30, 51, 31)), abs=1.0)
    assert d[1] == pytest.approx(float(geo.distance_km(53, 30, 52, 30)), abs=1.0)


def test_contour_of_distance_field_is_a_ring_at_that_distance() -> None:
    lats, lons = np.arange(47, 53, 0.1), np.arange(26, 34, 0.1)
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    grid = geo.distance_km(glat, glon, 50.0, 30.0)
    rings = geo.contour(grid, lats, lons, 150.0)
    assert len(rings) == 1
    points = np.array(rings[0])
    d = geo.distance_km(points[:, 0], points[:, 1], 50.0, 30.0)
    assert np.abs(d - 150.0).max() < 5.0


# ---- stock-flow --------------------------------------------------------------------------


def _stated(**overrides) -> SupplyParams:  # noqa: ANN003
    """Parameters whose stock and rate come from the stated priors (simulate() draws them)."""
    return SupplyParams(**{"stock_prior": "stated", "firing_prior": "stated", **overrides})


@pytest.fixture(scope="module")
def run() -> supply.StockRun:
    return supply.simulate(_stated(deliveries_per_month_high=8.0, draws=4000), COST, 7)


def test_stock_never_negative_and_balances(run: supply.StockRun) -> None:
    assert (run.stock >= 0).all()
    assert (run.fired <= run.initial + run.delivered).all()
    assert np.array_equal(run.stock[:, -1], run.initial + run.delivered - run.fired - run.lost)
    assert (run.hits <= run.fired).all()
    assert (run.cost_usd >= run.fired * COST[0]).all()
    assert (run.cost_usd <= run.fired * COST[2]).all()


@pytest.mark.parametrize("policy", ["rationing", "salvo"])
def test_more_deliveries_never_deplete_sooner(policy: str) -> None:
    few = _stated(
        deliveries_per_month_low=0.0,
        deliveries_per_month_high=2.0,
        firing_per_week_low=2.0,
        firing_per_week_high=8.0,
        firing_policy=policy,
        draws=3000,
    )
    more = few.model_copy(
        update={"deliveries_per_month_low": 3.0, "deliveries_per_month_high": 12.0}
    )
    a, b = supply.simulate(few, COST, 11), supply.simulate(more, COST, 11)
    assert (b.depletion_week >= a.depletion_week).all()
    assert (b.stock >= a.stock).all()
    assert b.lasts_past_horizon.mean() >= a.lasts_past_horizon.mean()


def test_same_seed_same_result_other_seed_differs() -> None:
    p = _stated(firing_per_week_low=2.0, draws=2000)
    a, b = supply.simulate(p, COST, 3), supply.simulate(p, COST, 3)
    c = supply.simulate(p, COST, 4)
    for field in ("stock", "fired", "hits", "cost_usd", "depletion_week", "rate"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.stock, c.stock)


def _fixed(**overrides) -> SupplyParams:  # noqa: ANN003
    return _stated(
        **{
            "initial_stock_low": 100,
            "initial_stock_high": 100,
            "deliveries_per_month_high": 0.0,
            "loss_pct_per_month": 0.0,
            "firing_per_week_low": 5.0,
            "firing_per_week_high": 5.0,
            "horizon_weeks": 52,
            "draws": 200,
            **overrides,
        }
    )


def test_an_uncapped_pace_fires_the_rate_until_empty() -> None:
    # Rationing with a divisor of one week never binds: five a week, 100 missiles, 20 weeks.
    run = supply.simulate(_fixed(firing_policy="rationing", ration_weeks=1.0), COST, 1)
    assert (run.fired == 100).all()
    assert (run.depletion_week == 20).all()
    salvo = supply.simulate(_fixed(firing_policy="salvo", salvo_size=5), COST, 1)
    assert (salvo.depletion_week == 20).all()


def test_rationing_stretches_the_stock_and_more_so_the_harder_it_rations() -> None:
    weeks = [
        supply.simulate(_fixed(firing_policy="rationing", ration_weeks=w), COST, 5).depletion_week
        for w in (1.0, 4.0, 12.0)
    ]
    assert (weeks[0] <= weeks[1]).all() and (weeks[1] <= weeks[2]).all()
    assert weeks[2].min() > weeks[0].max()


def test_no_firing_no_loss_means_the_stock_lasts() -> None:
    p = _stated(
        firing_per_week_low=0.0,
        firing_per_week_high=0.0,
        loss_pct_per_month=0.0,
        initial_stock_low=1,
        draws=500,
    )
    run = supply.simulate(p, COST, 2)
    assert run.lasts_past_horizon.all()
    assert (run.fired == 0).all()


def test_probability_priors_have_the_stated_percentiles() -> None:
    z = np.random.default_rng(0).standard_normal(200_000)
    p = supply.logit_normal(z, 0.08, 0.5)
    assert np.percentile(p, 5) == pytest.approx(0.08, abs=0.005)
    assert np.percentile(p, 95) == pytest.approx(0.5, abs=0.01)
    # The share of a prior between its two parameters, as the prose states it.
    inside = ((p >= 0.08) & (p <= 0.5)).mean()
    assert inside == pytest.approx(supply.PRIOR_COVERAGE, abs=0.01)


def test_log_uniform_rate_prior_spends_equal_weight_on_each_doubling() -> None:
    u = np.random.default_rng(0).random(200_000)
    rate = record.log_uniform(u, 1.0, 8.0)
    assert rate.min() >= 1.0 and rate.max() <= 8.0
    shares = [((rate >= a) & (rate < 2 * a)).mean() for a in (1.0, 2.0, 4.0)]
    assert shares == pytest.approx([1 / 3] * 3, abs=0.01)
    assert np.median(rate) == pytest.approx(np.sqrt(8.0), rel=0.02)
    assert (record.log_uniform(u[:10], 5.0, 5.0) == 5.0).all()
    assert record.log_uniform(u[:10], 0.0, 2.0).max() <= 2.0  # uniform when the low end is 0


def test_parameters_reject_inverted_ranges() -> None:
    with pytest.raises(ValidationError, match="initial_stock_low"):
        SupplyParams(initial_stock_low=90, initial_stock_high=10)
    with pytest.raises(ValidationError, match="interception_low"):
        SupplyParams(interception_low=0.6, interception_high=0.2)
    with pytest.raises(ValidationError, match="firing_per_week_low"):
        SupplyParams(firing_per_week_low=6.0, firing_per_week_high=2.0)
    with pytest.raises(ValidationError, match="uncounted_attack_low"):
        SupplyParams(uncounted_attack_low=12, uncounted_attack_high=4)


def test_summary_and_fan_shapes(run: supply.StockRun) -> None:
    key = supply.summary(run, 90)
    assert 0 <= key["p_lasts_past_horizon"] <= 1
    assert key["hits_low"] <= key["hits_median"] <= key["hits_high"]
    assert key["rate_low"] <= key["rate_median"] <= key["rate_high"]
    fan = supply.fan(run, 90)
    assert len(fan) == run.horizon_weeks + 1
    assert (fan["low"] <= fan["median"]).all() and (fan["median"] <= fan["high"]).all()
    dist = supply.depletion_distribution(run)
    assert dist["share"].sum() == pytest.approx(1.0)


# ---- the record: deliveries and launches -------------------------------------------------


def _record(as_of: date | str = BASELINE, **overrides) -> record.Record:  # noqa: ANN003
    tables = _tables(as_of)
    return record.build(tables, pd.Timestamp(as_of).date(), SupplyParams(**overrides))


def test_several_reports_of_one_delivery_count_once() -> None:
    supply_rows = data.load_table("atacms_supply", as_of=BASELINE)
    batches = record.batches(supply_rows, 50.0)
    m39 = supply_rows[supply_rows["batch"] == "m39_2023_10"]
    assert len(m39) >= 2  # two reports of the first batch
    row = batches.set_index("batch").loc["m39_2023_10"]
    assert row["reports"] == len(m39)
    assert row["low"] == m39["value_low"].min() and row["high"] == m39["value_high"].max()
    assert len(batches) == supply_rows["batch"].dropna().nunique()


def test_more_than_n_is_read_with_the_stated_margin() -> None:
    supply_rows = data.load_table("atacms_supply", as_of=BASELINE)
    lr = supply_rows[supply_rows["batch"] == "lr_2024_03"]
    assert lr["value_high"].isna().all()  # "more than 100"
    low = float(lr["value_low"].min())
    for pct in (0.0, 50.0, 100.0):
        row = record.batches(supply_rows, pct).set_index("batch").loc["lr_2024_03"]
        assert row["low"] == low and row["high"] == math.ceil(low * (1 + pct / 100))
        assert row["open_high"]


def test_several_reports_of_one_attack_count_once_with_their_range() -> None:
    launches = data.load_table("atacms_launches", as_of=date(2024, 11, 20))
    karachev = launches[launches["attack_id"] == "2024_11_19_karachev"]
    assert len(karachev) == 2  # the Russian MoD's six, a US official's eight
    attacks = record.attacks(launches, 3, 10)
    assert len(attacks) == launches["attack_id"].nunique() < len(launches)
    row = attacks.set_index("attack_id").loc["2024_11_19_karachev"]
    assert (row["low"], row["high"]) == (karachev["launched"].min(), karachev["launched"].max())
    uncounted = attacks[~attacks["counted"]]
    assert not uncounted.empty and (uncounted["low"] == 3).all() and (uncounted["high"] == 10).all()


def test_record_stock_is_deliveries_less_launches_draw_by_draw() -> None:
    rec = _record()
    draws = record.draw(rec, 5000, np.random.default_rng(1))
    stock = draws.stock_at(rec, BASELINE)
    assert np.array_equal(stock, draws.delivered.sum(axis=1) - draws.launched.sum(axis=1))
    b, a = rec.batches, rec.attacks
    assert stock.min() >= b["low"].sum() - a["high"].sum()
    assert stock.max() <= b["high"].sum() - a["low"].sum()
    # Each batch and each attack stays within its range, and reaches both ends.
    for frame, values in ((b, draws.delivered), (a, draws.launched)):
        assert (values >= frame["low"].to_numpy()).all()
        assert (values <= frame["high"].to_numpy()).all()
    # Before the first launch only deliveries count.
    early = draws.stock_at(rec, rec.first_use - pd.Timedelta(days=1))
    assert (early == draws.delivered[:, (b["refers_to"] < rec.first_use).to_numpy()].sum(1)).all()


def test_a_further_report_of_an_attack_adds_nothing_a_new_attack_lowers_the_stock() -> None:
    tables = _tables(BASELINE)
    base, _ = _numbers(BASELINE, tables=tables)
    launches = tables["atacms_launches"]
    first = launches[launches["launched"].notna()].iloc[0]
    again = first.copy()
    again["event_id"] = "test_second_report"
    tables_again = dict(tables, atacms_launches=pd.concat([launches, again.to_frame().T]))
    same, _ = _numbers(BASELINE, tables=tables_again)
    assert np.array_equal(same.run.initial, base.run.initial)
    new = again.copy()
    new["attack_id"], new["event_id"] = "test_new_attack", "test_new_attack"
    new["launched"] = 20.0
    tables_new = dict(tables, atacms_launches=pd.concat([launches, new.to_frame().T]))
    fewer, _ = _numbers(BASELINE, tables=tables_new)
    assert fewer.run.initial.mean() < base.run.initial.mean()


def test_record_rate_bounds_are_the_long_run_mean_and_the_peak_window() -> None:
    rec = _record()
    draws = record.draw(rec, 3000, np.random.default_rng(2))
    low, high = record.rate_bounds(rec, draws, 4)
    weeks = (pd.Timestamp(BASELINE) - rec.first_use).days / 7
    assert np.allclose(low, draws.launched.sum(axis=1) / weeks)
    # The peak: the most launched in 28 days, from any attack on, by brute force.
    dates = rec.attacks["date"].to_numpy()
    best = np.zeros(len(low))
    for d in dates:
        inside = (dates >= d) & (dates < d + np.timedelta64(28, "D"))
        best = np.maximum(best, draws.launched[:, inside].sum(axis=1))
    assert np.allclose(high, best / 4)
    assert (low <= high).all()


def test_parameter_defaults_restate_the_record_of_the_baseline_only() -> None:
    # The defaults that come from the record (uncounted attacks, salvo size) are those of the
    # attacks public on 18 November 2024, not of any later one.
    launches = data.load_table("atacms_launches", as_of=BASELINE)
    counted = record.attacks(launches, 1, 1)
    counted = counted[counted["counted"]]
    p = SupplyParams()
    assert p.uncounted_attack_low == counted["low"].min()
    assert p.uncounted_attack_high == counted["high"].max()
    assert p.salvo_size == np.median(counted["low"])


# ---- reach -------------------------------------------------------------------------------


def test_reach_counts_grow_with_range_and_standoff_shrinks_them() -> None:
    targets = data.load_table("targets")
    line = geo.held_edge(data.load_table("front_line"), BASELINE)["parts"]
    ranges = {"short": 165.0, "long": 300.0}
    near = supply.counts_in_range(supply.reach(targets, line, 0.0, ranges), ranges)
    far = supply.counts_in_range(supply.reach(targets, line, 50.0, ranges), ranges)
    total = near.set_index("target_type").loc["all"]
    assert 0 < total["short"] <= total["long"] < len(targets)
    assert (far.set_index("target_type")["long"] <= near.set_index("target_type")["long"]).all()


def test_reach_is_measured_from_the_kursk_salient_while_ukraine_held_it() -> None:
    result, _ = _numbers(BASELINE)
    assert result.edge["valid_from"] <= pd.Timestamp(BASELINE)
    sudzha = geo.distance_to_held_km(51.19, 35.27, result.edge["parts"])
    assert float(sudzha[0]) == 0.0
    later, _ = _numbers(date(2025, 6, 2))
    assert float(geo.distance_to_held_km(51.19, 35.27, later.edge["parts"])[0]) > 0.0


@pytest.mark.parametrize(
    ("before", "after"), [(date(2022, 8, 1), date(2022, 12, 5)), (date(2024, 8, 5), BASELINE)]
)
def test_reach_tables_change_with_the_line_in_force(before: date, after: date) -> None:
    # The Kharkiv and Kherson counteroffensives of autumn 2022, and the Kursk salient of
    # August 2024, moved the line: the distances of the same targets change with the date.
    targets = data.load_table("targets")
    tables_before, tables_after = _tables(before), _tables(after)
    tables_after["targets"] = tables_before["targets"] = targets
    a, _ = _numbers(before, tables=tables_before)
    b, _ = _numbers(after, tables=tables_after)
    assert a.edge["valid_from"] != b.edge["valid_from"]
    moved = (a.reached["line_distance_km"] - b.reached["line_distance_km"]).abs()
    assert moved.max() > 5.0


# ---- which missile, as of when -----------------------------------------------------------


def test_a_variant_not_yet_public_is_not_modelled_with_its_later_specification() -> None:
    systems = data.load_table("strike_systems")
    lr = systems.set_index("system_id").loc["atacms_lr"]
    m39 = systems.set_index("system_id").loc["atacms_m39"]
    between = (m39["as_of_date"] + (lr["as_of_date"] - m39["as_of_date"]) / 2).date()
    result, k = _numbers(between)
    assert result.missile.name == "atacms_m39"
    assert k["variant_substituted"].value is True
    assert k["variant_range_km"].value == pytest.approx(float(m39["range_km_central"]))
    assert k["lr_range_km"].value is None
    assert "atacms_lr" not in result.ranges
    assert "longest-range ATACMS public then" in _say(k, "headline")
    assert "later specification is not used" in _say(k, "reach")
    _, k = _numbers(BASELINE)
    assert k["variant_substituted"].value is False
    assert "later specification" not in _page(k)


def test_before_any_atacms_the_headline_says_so_and_numbers_are_empty() -> None:
    result, k = _numbers(date(2023, 6, 1))
    assert result.missile is None and result.run is None
    assert k["missile_public"].value is False
    for name in (
        "depletion_week_median",
        "hits_high",
        "airbases_in_range",
        "airbases_in_range_russia",
        "p_runs_out",
        "initial_low",
    ):
        assert k[name].value is None, name
    headline = _say(k, "headline")
    assert headline.startswith("Headline. No ATACMS had been reported supplied to Ukraine by")
    assert "2023-06-01" in headline
    for fig in (
        supply_figures.stock_fan(result),
        supply_figures.depletion_chart(result),
        supply_figures.two_way_chart(result),
    ):
        assert "No ATACMS had been reported" in fig.layout.annotations[0].text
    texts = [j.text for j in summary.judgments(k)]
    assert len(texts) == 1 and "No ATACMS" in texts[0]
    assert summary.bottom_line(k).startswith("No ATACMS had been reported supplied")


def test_no_stock_estimate_published_later_reaches_the_prose() -> None:
    # The Times's stock estimate appeared the day after the source article: a replay as of the
    # article must not cite it, nor centre anything on it.
    result, k = _numbers(BASELINE)
    later = data.load_table("atacms_supply")
    later = later[
        (later["quantity"] == "stock") & (later["reported_date"] > pd.Timestamp(BASELINE))
    ]
    assert not later.empty
    assert k["n_stock_estimates"].value == 0 and k["latest_stock_estimate"].value is None
    assert result.stock_checks.empty
    page = _page(k)
    assert "hindsight" not in page and "The latest put the stock" not in page
    assert "No estimate of Ukraine's stock had been published by 2024-11-18" in page


def test_later_stock_estimates_are_labelled_hindsight_and_set_beside_the_record() -> None:
    result, k = _numbers(date(2025, 6, 1))
    checks = result.stock_checks
    assert len(checks) == k["n_stock_estimates"].value >= 2
    assert checks["hindsight"].all() and k["n_hindsight_estimates"].value == len(checks)
    page = _page(k)
    assert "hindsight, not what a reader of it could know" in page
    # Each estimate beside the record of its own date: the record's stock falls as the
    # launches reported up to that date grow.
    assert (checks["record_low"] <= checks["record_high"]).all()
    assert checks["record_high"].is_monotonic_decreasing
    last = checks.iloc[-1]
    assert k["record_holds_latest_estimate"].value is bool(last["within"])
    assert ("which holds it" in page) is bool(last["within"])
    # The published total (fewer than 40) conflicts with the batches reported earlier.
    assert k["delivered_total_conflicts"].value is True
    assert "the two records conflict" in page
    table = supply_figures.stock_checks_table(result)
    assert (table["label"] == "hindsight (after the article)").all()


def _late_sources(rows: dict[str, pd.DataFrame], as_of: date) -> list[tuple[str, str]]:
    """(table, source) for every source behind these rows published after `as_of`."""
    registry = data.registry().set_index("source_id")["published"]
    return [
        (name, source)
        for name, frame in rows.items()
        for ids in frame["source_ids"]
        for source in data.split_ids(ids)
        if registry[source] > pd.Timestamp(as_of)
    ]


def test_the_baseline_uses_no_source_published_after_its_date() -> None:
    # Build the chapter's numbers at the baseline the way its notebook does, then check every
    # source behind every row the numbers drew on.
    result, k = _numbers(BASELINE)
    used = result.used_rows()
    assert set(used) == set(CHAPTER.tables)
    assert all(not frame.empty for frame in used.values())
    assert _late_sources(used, BASELINE) == []
    # The rows used are the modelled missile's, the bands', and every row of the record.
    assert set(used["strike_systems"]["system_id"]) >= set(result.ranges) | {"atacms_lr"}
    assert len(used["atacms_launches"]) == k["n_launch_reports"].value
    # The check can fail: the same chapter run at a later date draws on later sources.
    later, _ = _numbers(date(2025, 6, 1))
    assert _late_sources(later.used_rows(), BASELINE)


# ---- the judgment moves with the firing rate ---------------------------------------------


def test_the_judgment_changes_with_the_firing_prior_and_says_by_how_much() -> None:
    _, rec_k = _numbers(BASELINE)
    _, stated_k = _numbers(BASELINE, firing_prior="stated")
    p_record, p_stated = rec_k["p_runs_out"].value, stated_k["p_runs_out"].value
    assert abs(p_record - p_stated) > 0.2
    # Each run reports the other prior's answer: the same number as that run's own.
    assert rec_k["p_runs_out_other_prior"].value == pytest.approx(p_stated, abs=0.02)
    assert stated_k["p_runs_out_other_prior"].value == pytest.approx(p_record, abs=0.02)
    shift = rec_k["prior_shift_size"]
    assert shift.value == round(abs(100 * (p_stated - p_record)))
    text = _say(rec_k, "stock")
    assert f"the answer moves by {shift.text()} percentage points" in text
    assert f"is {stated_k['p_runs_out'].text()} instead of {rec_k['p_runs_out'].text()}" in text
    # The judgment and the headline change with it.
    assert summary.judgments(rec_k)[0].text != summary.judgments(stated_k)[0].text
    assert _say(rec_k, "headline") != _say(stated_k, "headline")


def test_the_judgment_says_which_input_it_rests_on() -> None:
    _, k = _numbers(BASELINE)
    assert k["rests_on_rate"].value is True
    assert abs(k["swing_rate"].value) > abs(k["swing_stock"].value)
    assert "The judgment rests on the firing rate" in _say(k, "stock")
    assert "rests on the firing rate" in summary.bottom_line(k)
    # A fixed stated rate leaves only the stock to decide.
    _, k = _numbers(BASELINE, firing_prior="stated")
    assert k["swing_rate"].value == 0.0 and k["rests_on_rate"].value is False
    assert "The judgment rests on the starting stock" in _say(k, "stock")
    assert "rests on the starting stock" in summary.bottom_line(k)


def test_the_ends_of_the_record_prior_bracket_the_answer() -> None:
    _, k = _numbers(BASELINE)
    low, mid, high = (
        k[n].value for n in ("p_runs_out_rate_low", "p_runs_out", "p_runs_out_rate_high")
    )
    assert low <= mid <= high and high - low > 0.5
    assert k["record_rate_mean"].value < k["rate_median"].value < k["record_rate_peak"].value


def test_the_firing_policy_is_a_named_choice_with_both_branches() -> None:
    _, salvo = _numbers(BASELINE)
    _, ration = _numbers(BASELINE, firing_policy="rationing")
    assert salvo["firing_policy"].value == "salvo" and ration["firing_policy"].value == "rationing"
    assert ration["p_runs_out"].value < salvo["p_runs_out"].value
    assert salvo["p_runs_out_other_policy"].value == pytest.approx(
        ration["p_runs_out"].value, abs=0.02
    )
    assert "The policy is **salvo use**" not in _say(salvo, "firing")  # markup is rendered
    assert "The policy is salvo use" in _say(salvo, "firing")
    assert "The policy is rationing" in _say(ration, "firing")


def test_the_two_way_table_moves_with_stock_and_rate() -> None:
    p = CHAPTER.run_model(
        draws=DRAWS, deliveries_per_month_high=0.0, loss_pct_per_month=0.0, horizon_weeks=52
    )
    grid = supply.two_way(p, COST, 3, [20.0, 40.0, 80.0], [1.0, 2.0, 4.0, 8.0])
    weeks = grid.pivot(index="stock", columns="rate", values="median_week").fillna(53)
    assert (weeks.diff(axis=1).iloc[:, 1:] <= 0).all().all()  # faster: sooner
    assert (weeks.diff(axis=0).iloc[1:] >= 0).all().all()  # more stock: later
    assert weeks.loc[40.0, 8.0] == pytest.approx(5, abs=1)
    result, k = _numbers(BASELINE)
    table = supply_figures.two_way_table(result)
    assert len(table) == result.grid["stock"].nunique()
    assert len(table.columns) == result.grid["rate"].nunique() + 1
    assert table.iloc[:, 1:].stack().str.match(r"^(after )?\d{4}-\d\d-\d\d$").all()


def test_a_record_without_deliveries_or_launches_falls_back_to_the_stated_priors() -> None:
    tables = _tables(BASELINE)
    tables["atacms_supply"] = tables["atacms_supply"].iloc[0:0]
    result, k = _numbers(BASELINE, tables=tables)
    assert k["stock_fallback"].value is True and k["stock_from_record"].value is False
    assert k["initial_low"].value >= k["stated_stock_low"].value
    assert "the record gives no stock" in _say(k, "record")
    tables = _tables(BASELINE)
    tables["atacms_launches"] = tables["atacms_launches"].iloc[0:0]
    _, k = _numbers(BASELINE, tables=tables)
    assert k["firing_fallback"].value is True and k["firing_from_record"].value is False
    assert "the record gives no rate" in _say(k, "firing")
    assert k["stock_fallback"].value is False


# ---- key numbers and templates -----------------------------------------------------------


AS_OF_DATES = ["2022-07-04", "2023-06-01", "2024-01-01", "2024-06-01", "2024-11-18", "2025-06-01"]


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_key_numbers_are_json_and_every_template_renders(as_of: str) -> None:
    result, k = _numbers(as_of)
    for name, q in k.items():
        json.dumps(q.as_record())
        if isinstance(q.value, float):
            assert math.isfinite(q.value), name
        q.text()
    for template in TEMPLATES:
        assert _say(k, template), template
    assert _say(k, "headline").startswith("Headline.")
    for judgment in summary.judgments(k):
        assert judgment.chapter == "supply" and judgment.confidence == "low"
    line = summary.bottom_line(k)
    assert line and not line.endswith(".") and "<" not in line
    for fig in (
        supply_figures.stock_fan,
        supply_figures.depletion_chart,
        supply_figures.two_way_chart,
        supply_figures.reach_map,
    ):
        figures.figure_html(fig(result), "supply-test")
    for frame in (
        supply_figures.estimates_table,
        supply_figures.deliveries_table,
        supply_figures.launches_table,
        supply_figures.stock_checks_table,
        supply_figures.interceptions_table,
        supply_figures.two_way_table,
        supply_figures.areas_table,
        supply_figures.isw_table,
        supply_figures.counts_table,
        supply_figures.in_range_table,
    ):
        figures.table_html(frame(result))


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "firing_policy": "rationing",
            "firing_prior": "stated",
            "firing_per_week_low": 2.5,
            "firing_per_week_high": 6.0,
            "deliveries_per_month_high": 12.5,
        },
        {"variant": "atacms_m39", "launch": {"standoff_km_ground_rocket": 60.0}},
        {"stock_prior": "stated", "initial_stock_low": 0, "initial_stock_high": 0},
        {"variant": "atacms_m39", "interval_pct": 50.0, "horizon_weeks": 4},
        {"more_than_pct": 0.0, "uncounted_attack_low": 1, "uncounted_attack_high": 1},
        {"peak_window_weeks": 26, "ration_weeks": 52.0, "firing_policy": "rationing"},
    ],
)
def test_templates_render_for_changed_parameters(overrides: dict) -> None:
    _, k = _numbers(BASELINE, **overrides)
    for template in TEMPLATES:
        assert _say(k, template), template
    for judgment in summary.judgments(k):
        assert judgment.text
    assert summary.bottom_line(k)


def test_the_same_quantity_reads_the_same_everywhere() -> None:
    _, k = _numbers(BASELINE)
    html = "".join(str(prose.render("supply", t, k, as_of="", p={})) for t in TEMPLATES)
    html += "".join(j.text for j in summary.judgments(k))
    shown: dict[str, set[str]] = {}
    for name, text in re.findall(r'data-q="([^"]+)">([^<]*)<', html):
        shown.setdefault(name, set()).add(text)
    assert shown and all(len(texts) == 1 for texts in shown.values()), shown


def test_the_article_range_comes_from_key_numbers() -> None:
    _, k = _numbers(BASELINE)
    text = _say(k, "article_range")
    assert f'"{k["article_range_km"].text()} km"' in text
    assert f"{k['m39_range_km'].text()} km" in text and f"{k['lr_range_km'].text()} km" in text
    assert k["lr_reported"].value in text


# ---- each flag, both ways ----------------------------------------------------------------


def test_limited_supply_follows_the_numbers() -> None:
    _, k = _numbers(BASELINE)
    assert k["limited_supply"].value is True
    assert k["hits_high"].value < k["isw_objects"].value
    assert '"limited supply" holds' in _say(k, "hits")
    _, k = _numbers(
        BASELINE,
        stock_prior="stated",
        initial_stock_low=1500,
        initial_stock_high=2000,
        firing_prior="stated",
        firing_per_week_low=80.0,
        firing_per_week_high=80.0,
        salvo_size=40,
    )
    assert k["limited_supply"].value is False
    assert k["hits_high"].value >= k["isw_objects"].value
    assert '"limited supply" does not hold' in _say(k, "hits")


def test_a_stock_that_lasts_is_not_called_a_campaign_of_weeks() -> None:
    _, k = _numbers(
        BASELINE, firing_prior="stated", firing_per_week_low=0.5, firing_per_week_high=0.5
    )
    assert k["runs_out"].value is False and k["depletion_week_median"].value is None
    assert "(median: week" not in _say(k, "headline")
    assert "In the median draw it runs out" not in _say(k, "stock")
    assert "campaign of weeks" not in _say(k, "hits")
    _, k = _numbers(
        BASELINE, firing_prior="stated", firing_per_week_low=8.0, firing_per_week_high=8.0
    )
    assert k["runs_out"].value is True
    assert "(median: week" in _say(k, "headline")
    assert "campaign of weeks" in _say(k, "hits")


def test_interception_shares_come_from_the_whole_record_with_claims_labelled() -> None:
    result, k = _numbers(BASELINE)
    table = result.interceptions.set_index("account")
    assert list(table.index) == ["Russia (claim)"]
    claimed = result.launches[result.launches["claimed_by"] == "Russia"].dropna(
        subset=["launched", "intercepted"]
    )
    assert table.loc["Russia (claim)", "launched"] == claimed["launched"].sum()
    assert k["reported_interception_share"].value is None
    later, k = _numbers(date(2025, 6, 1))
    table = later.interceptions.set_index("account")
    assert "US officials and press (report)" in table.index
    assert k["reported_interception_share"].value == pytest.approx(2 / 8)
    assert "US officials and the press reported" in _say(k, "interceptions")
    assert k["reported_share_within_prior"].value is True
    _, k = _numbers(date(2025, 6, 1), interception_low=0.3, interception_high=0.6)
    assert k["reported_share_within_prior"].value is False
    assert "lies outside the" in _say(k, "interceptions")


def test_interception_prior_against_russian_claims() -> None:
    _, k = _numbers(BASELINE)
    assert k["interception_prior_below_claims"].value is True
    assert "stays below Russia's claims" in _say(k, "interceptions")
    tables = _tables(BASELINE)
    launches = tables["atacms_launches"].copy()
    claimed = launches["claimed_by"].eq("Russia") & launches["launched"].notna()
    launches.loc[claimed, "intercepted"] = 0
    tables["atacms_launches"] = launches
    _, k = _numbers(BASELINE, tables=tables)
    assert k["claimed_interception_share"].value == 0
    assert k["interception_prior_below_claims"].value is False
    assert "does not stay below Russia's claims" in _say(k, "interceptions")


def test_article_range_verdict_follows_the_ranges() -> None:
    _, k = _numbers(BASELINE)
    assert k["article_range_too_short"].value is True
    assert "That is too short" in _say(k, "article_range")
    tables = _tables(BASELINE)
    systems = tables["strike_systems"].copy()
    systems.loc[systems["system_id"] == "atacms_m39", "range_km_central"] = 90.0
    tables["strike_systems"] = systems
    _, k = _numbers(BASELINE, tables=tables)
    assert k["article_range_too_short"].value is False
    assert "At least one ATACMS public then reaches no further" in _say(k, "article_range")


def test_reach_splits_occupied_ukraine_from_russia_and_counts_what_the_permission_added() -> None:
    result, k = _numbers(BASELINE)
    inside = result.airbases_in_range
    occupied = inside["region"].str.contains("(occupied", regex=False)
    assert k["airbases_in_range_occupied"].value == occupied.sum() > 0
    assert k["airbases_in_range_russia"].value == (~occupied).sum() > 0
    assert (
        k["airbases_in_range_occupied"].value + k["airbases_in_range_russia"].value
        == k["airbases_in_range"].value
    )
    assert k["permission_known"].value is True
    assert k["airbases_added_by_permission"].value == k["airbases_in_range_russia"].value
    text = _say(k, "reach")
    assert f"added the {k['airbases_added_by_permission'].text()} in Russia" in text
    areas = result.areas.set_index("area")
    assert areas.loc["occupied Ukraine", "mapped"] == k["airbases_occupied_total"].value
    # Before the permission the same bases in Russia are in reach but barred.
    _, k = _numbers(date(2024, 6, 1))
    assert k["permission_known"].value is False
    assert k["airbases_added_by_permission"].value is None
    assert k["border_permission_known"].value is True
    text = _say(k, "reach")
    assert "were in physical reach but barred" in text
    assert "across the border from Kharkiv" in text
    assert "still closed to ATACMS" in _say(k, "headline")


def test_isw_counts_are_set_beside_ours_only_where_they_count_the_same_thing() -> None:
    result, k = _numbers(BASELINE)
    assert k["isw_airfields"].value == 16
    assert k["airbases_russia_at_isw_date"].value == result.isw_ours is not None
    assert k["isw_airfields_consistent"].value is (result.isw_ours >= 16)
    table = supply_figures.isw_table(result)
    compared = table[table["ours"] != "–"]
    assert len(compared) == 1 and "airfields" in compared["ISW figure"].iloc[0]
    assert "in line with it" in _say(k, "reach")
    tables = _tables(BASELINE)
    refs = tables["reach_reference"].copy()
    refs.loc[refs["quantity"] == "airfields_in_range", "value_central"] = 60.0
    tables["reach_reference"] = refs
    _, k = _numbers(BASELINE, tables=tables)
    assert k["isw_airfields_consistent"].value is False
    assert "fewer than ISW counted" in _say(k, "reach")


def test_the_aircraft_relocation_is_reported_not_modelled() -> None:
    _, k = _numbers(BASELINE)
    assert not any(name.startswith("fleet_in_range") for name in k)
    assert k["relocation_report_share"].value == pytest.approx(0.9)
    text = _say(k, "reach")
    assert "That is a reported figure, not a result of this model" in text
    # Changing the report changes the sentence and nothing the model computes.
    tables = _tables(BASELINE)
    refs = tables["reach_reference"].copy()
    refs.loc[refs["quantity"] == "aircraft_beyond_300km_pct", "value_central"] = 50.0
    tables["reach_reference"] = refs
    _, other = _numbers(BASELINE, tables=tables)
    assert other["relocation_report_share"].value == pytest.approx(0.5)
    moved = {n for n in k if k[n].value != other[n].value}
    assert moved == {"relocation_report_share"}


def test_an_unreported_relocation_is_not_assumed() -> None:
    report = data.load_table("reach_reference").query("quantity == 'aircraft_beyond_300km_pct'")
    before = (report["refers_to"].min() - pd.Timedelta(days=1)).date()
    _, k = _numbers(before)
    assert k["relocation_reported"].value is False
    assert "No relocation of Russian aircraft had been reported" in _say(k, "reach")
    assert "White House" not in _say(k, "headline")
    _, k = _numbers(BASELINE)
    assert k["relocation_reported"].value is True
    assert "White House reported" in _say(k, "headline")


def test_starting_stock_against_published_estimates() -> None:
    stock = data.load_table("atacms_supply").query("quantity == 'stock'")
    last = stock.sort_values("reported_date").iloc[-1]
    as_of = last["reported_date"].date()
    value = int(last["value_central"])
    stated = {"stock_prior": "stated"}
    _, k = _numbers(as_of, **stated, initial_stock_low=value + 10, initial_stock_high=value + 50)
    assert k["stock_prior_covers_latest_estimate"].value is False
    assert "starting range does not hold it" in _say(k, "record")
    _, k = _numbers(
        as_of, **stated, initial_stock_low=max(value - 5, 0), initial_stock_high=value + 5
    )
    assert k["stock_prior_covers_latest_estimate"].value is True
    assert "starting range holds it" in _say(k, "record")
    assert "not the record: an assumption" in _say(k, "record")


def test_m39_comparison_only_beside_a_longer_missile() -> None:
    _, k = _numbers(BASELINE)
    assert k["m39_compared"].value is True
    assert "of the M39 first supplied)" in _say(k, "reach")
    _, k = _numbers(BASELINE, variant="atacms_m39")
    assert k["m39_compared"].value is False
    assert "of the M39 first supplied)" not in _say(k, "reach")


def test_summary_reads_the_chapter_numbers() -> None:
    _, k = _numbers(BASELINE)
    stock, reach = summary.judgments(k)
    assert stock.figure == "supply-stock-fan" and reach.figure == "supply-reach-map"
    assert f'data-q="supply.p_runs_out">{k["p_runs_out"].text()}<' in stock.text
    assert 'data-q="supply.p_runs_out_other_prior">' in stock.text
    line = summary.bottom_line(k)
    # One clause that reads on its own inside the bottom line's list: no semicolon, no stop.
    assert line.startswith("Ukraine's ATACMS stock (at most")
    assert ";" not in line and not line.endswith(".")
    for name in ("initial_low", "initial_high", "airbases_in_range_russia", "permission_date"):
        assert k[name].text() in line, name
    assert re.search(r"(is|has)( a)? \w+( \w+)? \((<|>)?\d+%\) to run out", line)


# ---- data and parameters -----------------------------------------------------------------


def test_every_supply_row_is_sourced_and_claims_labelled() -> None:
    launches = data.load_table("atacms_launches")
    assert set(launches["claimed_by"].dropna()) <= {"Russia", "Ukraine"}
    for name in CHAPTER.tables:
        frame = data.load_table(name)
        column = "source_ids" if "source_ids" in frame else "source_url"
        assert frame[column].notna().all() and (frame[column].astype(str) != "").all(), name


def test_params_check_variant_and_ranges() -> None:
    tables = {name: data.load_table(name) for name in CHAPTER.tables}
    SupplyParams().check_data(tables)
    with pytest.raises(params.ParamError, match="Did you mean 'atacms_lr'"):
        SupplyParams(variant="atacms_l").check_data(tables)
    # Another missile has no stock or launch record in this chapter's tables.
    with pytest.raises(params.ParamError, match="unknown id 'storm_shadow'"):
        SupplyParams(variant="storm_shadow").check_data(tables)
    with pytest.raises(params.ParamError, match="interception_low"):
        params.load_scenario(
            "baseline", ["supply.interception_low=0.6", "supply.interception_high=0.3"]
        )
    with pytest.raises(params.ParamError, match="Did you mean 'salvo'"):
        params.load_scenario("baseline", ["supply.firing_policy=saIvo"])


# ---- offline map -------------------------------------------------------------------------


def _map() -> go.Figure:
    targets = pd.DataFrame(
        {
            "name": ["<b>X</b>"],
            "region": ["R"],
            "lat": [51.0],
            "lon": [37.0],
            "target_type": ["airbase"],
        }
    )
    line = geo.held_edge(data.load_table("front_line"), BASELINE)["parts"]
    reached = supply.reach(targets, line, 10.0, {"atacms_lr": 300.0})
    return supply_figures.map_figure(reached, line, {"ATACMS": 300.0}, 10.0, "in_atacms_lr")


def test_map_is_marked_for_its_topojson_and_escapes_names() -> None:
    fig = _map()
    assert figures.geo_topojson_name(fig) == "europe_50m"
    assert figures.geo_topojson_name(go.Figure(go.Scatter(x=[1], y=[1]))) is None
    page = figures.figure_html(fig, "supply-map")
    assert 'data-geo="europe_50m"' in page
    assert "<b>X</b>" not in page.replace("<b>&lt;", "")


def test_briefing_inlines_topojson_only_when_a_map_is_present() -> None:
    assert render.geo_assets(["<div>no map</div>"]) == ""
    script = render.geo_assets([figures.figure_html(_map(), "supply-map")])
    assert script.startswith('{topojson:{"europe_50m":{"type":"Topology"')
    assert "</script" not in script.lower()


def test_built_briefing_has_geo_assets_and_no_cdn() -> None:
    view = render.ChapterView("supply", "Supply", figures.figure_html(_map(), "supply-map"))
    context = {
        "title": "t",
        "scenario_name": "baseline",
        "as_of": "2024-11-18",
        "description": "",
        "summary": [],
        "bottom_line": "",
        "judgments": [],
        "chapter_titles": {"supply": "Supply"},
        "claims": [],
        "later_claims": [],
        "claim_counts": [],
        "hindsight": [],
        "chapters": [view],
        "parameters": [],
        "sources": [],
        "n_sources": 0,
        "provenance": {
            "version": "0",
            "built_at": "now",
            "command": "c",
            "commit": "x",
            "dirty": False,
            "seconds": 0,
            "executed": 0,
            "cached": 0,
            "python": "3",
            "versions": {},
            "data_hashes": {},
        },
    }
    page = render.briefing(context)
    head = page.split("</head>")[0]
    assert head.index("window.PlotlyGeoAssets =") < head.index(render.plotly_js()[:200])
    outside = page.replace(render.plotly_js(), "")
    assert outside.count("window.PlotlyGeoAssets") == 1
    assert outside.count('"europe_50m":{"type":"Topology"') == 1
    assert "cdn.plot.ly" not in outside
    assert not re.search(r"<script[^>]+src=", outside)


def test_no_airbase_public_yet_is_said_not_counted() -> None:
    tables = _tables(BASELINE)
    tables["targets"] = tables["targets"].iloc[0:0]
    result, k = _numbers(BASELINE, tables=tables)
    assert k["airbases_total"].value == 0
    assert "No airbase in the table had been published" in _say(k, "headline")
    assert "No airbase in the table had been published" in _say(k, "reach")
    assert " of 0 " not in _page(k)
    assert len(summary.judgments(k)) == 1
    figures.figure_html(supply_figures.reach_map(result), "supply-test")
    _, k = _numbers(BASELINE)
    assert "No airbase in the table" not in _page(k)


def test_strike_notes_show_only_what_was_published() -> None:
    row = pd.Series({"claimed_by": "Russia", "launched": 6.0, "intercepted": 5.0})
    assert supply_figures._strike_note(row) == "claim by Russia: 6 fired, 5 intercepted"
    row = pd.Series({"claimed_by": np.nan, "launched": 8.0, "intercepted": np.nan})
    assert supply_figures._strike_note(row) == "report: 8 fired"
    row = pd.Series({"claimed_by": "<b>", "launched": np.nan, "intercepted": np.nan})
    assert supply_figures._strike_note(row) == "claim by &lt;b&gt;: numbers not published"
