"""Missile supply chapter: geodesy, stock-flow invariants, reach, data checks, offline maps."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from deepstrike import data, figures, figures_supply, geo, params, render, supply

ROOT = Path(__file__).resolve().parents[1]


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
    d = geo.distance_to_line_km([51.0, 53.0], [31.0, 30.0], [50.0, 52.0], [30.0, 30.0], 1.0)
    assert d[0] == pytest.approx(float(geo.distance_km(51, 30, 51, 31)), abs=1.0)
    assert d[1] == pytest.approx(float(geo.distance_km(53, 30, 52, 30)), abs=1.0)


def test_contour_of_distance_field_is_a_ring_at_that_distance() -> None:
    lats, lons = np.arange(47, 53, 0.1), np.arange(26, 34, 0.1)
    grid = geo.distance_grid_km(lats, lons, [50.0, 50.0], [30.0, 30.0])
    rings = geo.contour(grid, lats, lons, 150.0)
    assert len(rings) == 1
    points = np.array(rings[0])
    d = geo.distance_km(points[:, 0], points[:, 1], 50.0, 30.0)
    assert np.abs(d - 150.0).max() < 5.0


# ---- stock-flow --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run() -> supply.StockRun:
    return supply.simulate(supply.StockInputs(deliveries_per_month_high=8.0), 4000, 7)


def test_stock_never_negative_and_balances(run: supply.StockRun) -> None:
    assert (run.stock >= 0).all()
    assert (run.fired <= run.initial + run.delivered).all()
    assert np.array_equal(run.stock[:, -1], run.initial + run.delivered - run.fired - run.lost)
    assert (run.hits <= run.fired).all()


def test_more_deliveries_never_deplete_sooner() -> None:
    base = supply.StockInputs(deliveries_per_month_low=0.0, deliveries_per_month_high=2.0)
    more = supply.StockInputs(deliveries_per_month_low=3.0, deliveries_per_month_high=12.0)
    for policy in ("steady", "salvo"):
        a = supply.simulate(
            supply.StockInputs(**{**base.__dict__, "firing_policy": policy}), 3000, 11
        )
        b = supply.simulate(
            supply.StockInputs(**{**more.__dict__, "firing_policy": policy}), 3000, 11
        )
        assert (b.depletion_week >= a.depletion_week).all()
        assert (b.stock >= a.stock).all()
        assert b.lasts_past_horizon.mean() >= a.lasts_past_horizon.mean()


def test_same_seed_same_result_other_seed_differs() -> None:
    inputs = supply.StockInputs()
    a, b = supply.simulate(inputs, 2000, 3), supply.simulate(inputs, 2000, 3)
    c = supply.simulate(inputs, 2000, 4)
    for field in ("stock", "fired", "hits", "cost_usd", "depletion_week"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.stock, c.stock)


def test_steady_policy_fires_the_rate_until_empty() -> None:
    run = supply.simulate(
        supply.StockInputs(
            initial_stock_low=100,
            initial_stock_high=100,
            deliveries_per_month_high=0.0,
            loss_pct_per_month=0.0,
            firing_policy="steady",
            firing_per_week=5.0,
            horizon_weeks=30,
        ),
        50,
        1,
    )
    assert (run.fired == 100).all()
    assert (run.depletion_week == 20).all()


def test_no_firing_no_loss_means_the_stock_lasts() -> None:
    run = supply.simulate(
        supply.StockInputs(firing_per_week=0.0, loss_pct_per_month=0.0, initial_stock_low=1),
        500,
        2,
    )
    assert run.lasts_past_horizon.all()
    assert (run.fired == 0).all()


def test_probability_priors_have_the_stated_percentiles() -> None:
    z = np.random.default_rng(0).standard_normal(200_000)
    p = supply.logit_normal(z, 0.08, 0.5)
    assert np.percentile(p, 5) == pytest.approx(0.08, abs=0.005)
    assert np.percentile(p, 95) == pytest.approx(0.5, abs=0.01)


def test_inputs_reject_inverted_ranges() -> None:
    with pytest.raises(ValueError, match="initial_stock_low"):
        supply.StockInputs(initial_stock_low=90, initial_stock_high=10)
    with pytest.raises(ValueError, match="interception"):
        supply.StockInputs(interception=(0.6, 0.2))


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
    line = supply.launch_line(data.load_table("front_line", as_of="2024-11-18"))
    ranges = {"short": 165.0, "long": 300.0}
    near = supply.counts_in_range(supply.reach(targets, line, 0.0, ranges), ranges)
    far = supply.counts_in_range(supply.reach(targets, line, 50.0, ranges), ranges)
    total = near.set_index("target_type").loc["all"]
    assert 0 < total["short"] <= total["long"] < len(targets)
    assert (far.set_index("target_type")["long"] <= near.set_index("target_type")["long"]).all()


def test_relocation_never_adds_aircraft_in_range() -> None:
    moved = supply.relocation(26, 63, 90.0)
    assert moved["fleet_in_range_after_pct"] == pytest.approx(10.0)
    assert supply.relocation(2, 63, 90.0)["fleet_in_range_after_pct"] <= 100 * 2 / 63


def test_line_includes_kursk_salient_in_november_2024() -> None:
    front = data.load_table("front_line", as_of="2024-11-18")
    assert (front["segment"] == "kursk_salient").any()
    salient = front[front["segment"] == "kursk_salient"]
    assert float(geo.distance_km(51.19, 35.27, salient["lat"], salient["lon"]).min()) < 40
    with pytest.raises(ValueError, match="no vertices"):
        supply.launch_line(front.iloc[0:0])


# ---- data validation ---------------------------------------------------------------------


def test_every_supply_row_is_sourced_and_claims_labelled() -> None:
    launches = data.load_table("atacms_launches")
    assert set(launches["claimed_by"].dropna()) <= {"Russia", "Ukraine"}
    assert launches.dropna(subset=["launched"])["claimed_by"].notna().all()
    for name in ("strike_systems", "targets", "front_line", "atacms_supply", "reach_reference"):
        frame = data.load_table(name)
        assert frame["source_url"].str.match(r"https?://").all()


def test_params_check_variant_and_ranges() -> None:
    tables = data.validate_all()
    params.SupplyParams().check_data(tables)
    with pytest.raises(params.ParamError, match="Did you mean 'atacms_lr'"):
        params.SupplyParams(variant="atacms_l").check_data(tables)
    with pytest.raises(params.ParamError, match="interception_low"):
        params.SupplyParams(interception_low=0.6, interception_high=0.3).check_data(tables)
    with pytest.raises(params.ParamError, match="firing_policy"):
        params.SupplyParams(firing_policy="saIvo").check_data(tables)


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
    line = (np.array([50.0, 52.0]), np.array([35.0, 35.0]))
    reached = supply.reach(targets, line, 10.0, {"atacms_lr": 300.0})
    return figures_supply.reach_map(reached, line, {"ATACMS": 300.0}, 10.0, "in_atacms_lr")


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


def test_built_briefing_has_geo_assets_and_no_cdn(tmp_path: Path) -> None:
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
        "claim_counts": [],
        "hindsight": [],
        "chapters": [view],
        "parameters": [],
        "sources": [],
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
