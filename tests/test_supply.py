"""Missile supply chapter: geodesy, stock-flow invariants, reach, the as-of replay, prose, maps."""

from __future__ import annotations

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
from deepstrike.chapters.supply import CHAPTER, summary
from deepstrike.chapters.supply import figures as supply_figures
from deepstrike.chapters.supply import model as supply
from deepstrike.chapters.supply.params import SupplyParams

ROOT = Path(__file__).resolve().parents[1]
BASELINE = date(2024, 11, 18)
COST = (1.0e6, 1.25e6, 1.5e6)
TEMPLATES = prose.template_names("supply")
DRAWS = 2000  # enough for every statement tested below, fast enough for every as-of date


def _tables(as_of: date | str = BASELINE) -> dict[str, pd.DataFrame]:
    return {name: data.load_table(name, as_of=as_of) for name in CHAPTER.tables}


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


@pytest.fixture(scope="module")
def run() -> supply.StockRun:
    return supply.simulate(SupplyParams(deliveries_per_month_high=8.0, draws=4000), COST, 7)


def test_stock_never_negative_and_balances(run: supply.StockRun) -> None:
    assert (run.stock >= 0).all()
    assert (run.fired <= run.initial + run.delivered).all()
    assert np.array_equal(run.stock[:, -1], run.initial + run.delivered - run.fired - run.lost)
    assert (run.hits <= run.fired).all()
    assert (run.cost_usd >= run.fired * COST[0]).all()
    assert (run.cost_usd <= run.fired * COST[2]).all()


@pytest.mark.parametrize("policy", ["steady", "salvo"])
def test_more_deliveries_never_deplete_sooner(policy: str) -> None:
    few = SupplyParams(
        deliveries_per_month_low=0.0,
        deliveries_per_month_high=2.0,
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
    p = SupplyParams(draws=2000)
    a, b = supply.simulate(p, COST, 3), supply.simulate(p, COST, 3)
    c = supply.simulate(p, COST, 4)
    for field in ("stock", "fired", "hits", "cost_usd", "depletion_week"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.stock, c.stock)


def test_steady_policy_fires_the_rate_until_empty() -> None:
    p = SupplyParams(
        initial_stock_low=100,
        initial_stock_high=100,
        deliveries_per_month_high=0.0,
        loss_pct_per_month=0.0,
        firing_policy="steady",
        firing_per_week=5.0,
        horizon_weeks=30,
        draws=100,
    )
    run = supply.simulate(p, COST, 1)
    assert (run.fired == 100).all()
    assert (run.depletion_week == 20).all()


def test_no_firing_no_loss_means_the_stock_lasts() -> None:
    p = SupplyParams(firing_per_week=0.0, loss_pct_per_month=0.0, initial_stock_low=1, draws=500)
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


def test_parameters_reject_inverted_ranges() -> None:
    with pytest.raises(ValidationError, match="initial_stock_low"):
        SupplyParams(initial_stock_low=90, initial_stock_high=10)
    with pytest.raises(ValidationError, match="interception_low"):
        SupplyParams(interception_low=0.6, interception_high=0.2)


def test_summary_and_fan_shapes(run: supply.StockRun) -> None:
    key = supply.summary(run, 90)
    assert 0 <= key["p_lasts_past_horizon"] <= 1
    assert key["hits_low"] <= key["hits_median"] <= key["hits_high"]
    fan = supply.fan(run, 90)
    assert len(fan) == run.horizon_weeks + 1
    assert (fan["low"] <= fan["median"]).all() and (fan["median"] <= fan["high"]).all()
    dist = supply.depletion_distribution(run)
    assert dist["share"].sum() == pytest.approx(1.0)


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


def test_relocation_never_adds_aircraft_in_range() -> None:
    moved = supply.relocation(26, 63, 90.0)
    assert moved["after"] == pytest.approx(0.10)
    assert supply.relocation(2, 63, 90.0)["after"] <= 2 / 63


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
    for name in ("depletion_week_median", "hits_high", "airbases_in_range", "fleet_in_range_after"):
        assert k[name].value is None, name
    headline = _say(k, "headline")
    assert headline.startswith("Headline. No ATACMS had been reported supplied to Ukraine by")
    assert "2023-06-01" in headline
    for fig in (supply_figures.stock_fan(result), supply_figures.depletion_chart(result)):
        assert "No ATACMS had been reported" in fig.layout.annotations[0].text
    texts = [j.text for j in summary.judgments(k)]
    assert len(texts) == 1 and "No ATACMS" in texts[0]
    assert summary.bottom_line(k).startswith("No ATACMS had been reported supplied")


def test_no_stock_estimate_published_later_reaches_the_prose() -> None:
    # The Times's stock estimate appeared the day after the source article: a replay as of the
    # article must not cite it, nor centre anything on it.
    _, k = _numbers(BASELINE)
    later = data.load_table("atacms_supply")
    later = later[
        (later["quantity"] == "stock") & (later["reported_date"] > pd.Timestamp(BASELINE))
    ]
    assert not later.empty
    assert k["n_stock_estimates"].value == 0 and k["latest_stock_estimate"].value is None
    page = _page(k)
    assert "hindsight" not in page and "The latest, of" not in page
    assert "that range is an assumption" in page


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
    for fig in (supply_figures.stock_fan, supply_figures.depletion_chart, supply_figures.reach_map):
        figures.figure_html(fig(result), "supply-test")
    for frame in (
        supply_figures.estimates_table,
        supply_figures.counts_table,
        supply_figures.in_range_table,
    ):
        figures.table_html(frame(result))


@pytest.mark.parametrize(
    "overrides",
    [
        {"firing_policy": "steady", "firing_per_week": 2.5, "deliveries_per_month_high": 12.5},
        {
            "variant": "atacms_m39",
            "launch": {"standoff_km_ground_rocket": 60.0},
            "relocated_beyond_pct": 0.0,
        },
        {"initial_stock_low": 0, "initial_stock_high": 0},
        {"variant": "storm_shadow", "interval_pct": 50.0, "horizon_weeks": 4},
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
    assert '"limited supply" holds: the stock allows a campaign of weeks' in _say(k, "hits")
    _, k = _numbers(
        BASELINE,
        initial_stock_low=1500,
        initial_stock_high=2000,
        firing_per_week=80.0,
        salvo_size=40,
    )
    assert k["limited_supply"].value is False
    assert k["hits_high"].value >= k["isw_objects"].value
    assert '"limited supply" does not hold' in _say(k, "hits")


def test_a_stock_that_lasts_is_not_called_a_campaign_of_weeks() -> None:
    _, k = _numbers(BASELINE, firing_per_week=0.5)
    assert k["runs_out"].value is False and k["depletion_week_median"].value is None
    assert "lasts past the" in _say(k, "headline")
    assert "campaign of weeks" not in _say(k, "hits")


def test_interception_prior_against_russian_claims() -> None:
    _, k = _numbers(BASELINE)
    assert k["interception_prior_below_claims"].value is True
    assert "stays below it" in _say(k, "record")
    tables = _tables(BASELINE)
    launches = tables["atacms_launches"].copy()
    claimed = launches["claimed_by"].eq("Russia") & launches["launched"].notna()
    launches.loc[claimed, "intercepted"] = 0
    tables["atacms_launches"] = launches
    _, k = _numbers(BASELINE, tables=tables)
    assert k["claimed_interception_share"].value == 0
    assert k["interception_prior_below_claims"].value is False
    assert "does not stay below it" in _say(k, "record")


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


def test_relocation_sentences_follow_the_shares() -> None:
    _, k = _numbers(BASELINE)
    assert k["relocation_moves_most"].value and k["relocation_cuts_reach"].value
    assert "most of the aircraft that matter no longer do" in _say(k, "reach")
    assert k["relocation_matches_report"].value is True
    assert "The share assumed is the one reported" in _say(k, "reach")

    before = k["fleet_in_range_before"].value
    share = 100 * (1 - 0.75 * before)  # leaves three quarters of what was in range
    _, k = _numbers(BASELINE, relocated_beyond_pct=round(share, 1))
    assert k["relocation_cuts_reach"].value and not k["relocation_moves_most"].value
    assert "so do most of the aircraft on them" in _say(k, "reach")
    assert k["relocation_matches_report"].value is False
    assert "this run assumes" in _say(k, "reach")

    _, k = _numbers(BASELINE, relocated_beyond_pct=0.0)
    assert not k["relocation_cuts_reach"].value
    assert "The relocation changes nothing here" in _say(k, "reach")
    assert "as before" in "".join(j.text for j in summary.judgments(k))


def test_an_unreported_relocation_is_called_an_assumption() -> None:
    report = data.load_table("reach_reference").query("quantity == 'aircraft_beyond_300km_pct'")
    before = (report["refers_to"].min() - pd.Timedelta(days=1)).date()
    _, k = _numbers(before)
    assert k["relocation_reported"].value is False
    assert "No relocation of Russian aircraft had been reported" in _say(k, "reach")
    assert "assumed moved" in _say(k, "headline")
    _, k = _numbers(BASELINE)
    assert k["relocation_reported"].value is True
    assert "assumed moved" not in _say(k, "headline")


def test_starting_stock_against_published_estimates() -> None:
    stock = data.load_table("atacms_supply").query("quantity == 'stock'")
    last = stock.sort_values("reported_date").iloc[-1]
    as_of = last["reported_date"].date()
    value = int(last["value_central"])
    _, k = _numbers(as_of, initial_stock_low=value + 10, initial_stock_high=value + 50)
    assert k["stock_prior_covers_latest_estimate"].value is False
    assert "does not hold it" in _say(k, "record")
    _, k = _numbers(as_of, initial_stock_low=max(value - 5, 0), initial_stock_high=value + 5)
    assert k["stock_prior_covers_latest_estimate"].value is True
    assert "starting range holds it" in _say(k, "record")


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
    assert f'data-q="supply.depletion_week_median">{k["depletion_week_median"].text()}<' in (
        stock.text
    )
    assert k["fleet_in_range_after"].text() in summary.bottom_line(k)


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
