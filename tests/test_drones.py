"""Drone chapter: cost-per-hit invariants, saturation, reach geometry, LP budget mix, data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepstrike import data, drones, geo, params

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-11-18"
NAMES = ("strike_systems", "targets", "deep_targets", "front_line", "drone_production")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {n: data.load_table(n, as_of=AS_OF) for n in NAMES}


@pytest.fixture(scope="module")
def result(tables: dict[str, pd.DataFrame]) -> dict:
    return drones.analyse(tables, params.DronesParams(), AS_OF, 4000, 11)


def _p(**changes: object) -> params.DronesParams:
    return params.DronesParams().model_copy(update=changes)


# ---- cost per effective hit ----------------------------------------------------------------


def test_same_seed_same_result(tables: dict[str, pd.DataFrame]) -> None:
    a = drones.analyse(tables, params.DronesParams(), AS_OF, 3000, 5)
    b = drones.analyse(tables, params.DronesParams(), AS_OF, 3000, 5)
    pd.testing.assert_frame_equal(a["cpeh"], b["cpeh"])
    pd.testing.assert_frame_equal(a["sweep"], b["sweep"])


def test_cost_per_hit_rises_when_interception_rises(tables: dict[str, pd.DataFrame]) -> None:
    systems = drones.prepare_systems(tables["strike_systems"], params.DronesParams())
    low = drones.simulate(systems, _p(p_kill_drone_low=0.2, p_kill_drone_high=0.3), 3000, 3)
    high = drones.simulate(systems, _p(p_kill_drone_low=0.7, p_kill_drone_high=0.8), 3000, 3)
    is_drone = (systems["system_class"] == "drone").to_numpy()
    for h in drones.HARDNESS:
        # Same seed, same draws: every drone's cost per hit is higher in every draw.
        assert (high.cpeh[h][is_drone] > low.cpeh[h][is_drone]).all()
        # Missiles are untouched by the drone interception prior.
        np.testing.assert_allclose(high.cpeh[h][~is_drone], low.cpeh[h][~is_drone])


def test_cost_per_hit_is_cost_over_product_of_probabilities(result: dict) -> None:
    run = result["run"]
    for h in drones.HARDNESS:
        expected = run.cost / (run.p_arrive * run.p_hit * run.p_effect[h])
        np.testing.assert_allclose(run.cpeh[h], expected)
        assert (run.cpeh[h] >= run.cost).all()  # probabilities at most one


def test_hard_targets_cost_more_per_hit(result: dict) -> None:
    run = result["run"]
    assert (run.cpeh["hard"] >= run.cpeh["soft"]).all()


def test_saturation_raises_the_share_getting_through() -> None:
    raids = np.array([1, 5, 20, 50, 200, 1000])
    share = drones.p_arrive(0.8, 1, 20.0), [float(drones.p_arrive(0.8, r, 20.0)) for r in raids]
    assert share[0] == pytest.approx(0.2)
    assert np.all(np.diff(share[1]) >= 0)
    assert share[1][-1] == pytest.approx(1 - 0.8 * 20 / 1000)


def test_priors_fill_only_missing_drone_values(tables: dict[str, pd.DataFrame]) -> None:
    systems = drones.prepare_systems(tables["strike_systems"], params.DronesParams()).set_index(
        "system_id"
    )
    assert systems.loc["liutyi", "cost_from"] == "prior"
    assert systems.loc["uj26_beaver", "cost_from"] == "data"
    assert systems.loc["uj26_beaver", "payload_from"] == "prior"
    assert systems.loc["atacms_lr", "profile"] == "ballistic"
    assert systems.loc["storm_shadow", "profile"] == "cruise"
    assert systems.loc["morok", "cap_group"] == "medium_range"
    assert systems.loc["liutyi", "cap_group"] == "long_range"


# ---- reach ------------------------------------------------------------------------------


def test_reach_counts_agree_with_the_geometry(
    tables: dict[str, pd.DataFrame], result: dict
) -> None:
    depth = params.DronesParams().launch_depth_km
    line = drones.launch_line(tables["front_line"])
    both = pd.concat([tables["targets"], tables["deep_targets"]], ignore_index=True)
    d = geo.distance_to_line_km(both["lat"], both["lon"], *line)
    reach = result["reach"].groupby("system_id")[["n_reach", "n_targets"]].sum()
    for s in tables["strike_systems"].itertuples():
        direct = int((d + depth <= s.range_km_central).sum())
        assert reach.loc[s.system_id, "n_reach"] == direct, s.system_id
        assert reach.loc[s.system_id, "n_targets"] == len(both)


def test_reach_curve_is_monotone_and_ends_at_all(result: dict) -> None:
    curve = result["reach_curve"]
    assert (curve["all"].diff().dropna() >= 0).all()
    assert curve["all"].iloc[0] == 0
    bands = result["targets"]["band"]
    assert set(bands) <= set(drones.BAND_LABELS)


def test_in_reach_is_distance_plus_depth_within_range() -> None:
    assert drones.in_reach(np.array([249.0, 250.0, 251.0]), 300.0, 50.0).tolist() == [
        True,
        True,
        False,
    ]


# ---- budget mix -------------------------------------------------------------------------


def test_optimiser_respects_caps_and_budget(result: dict) -> None:
    run, hits, targets, cap = result["run"], result["hits"], result["targets"], result["caps"]
    cost = run.cost.mean(axis=1)
    for budget in (1e6, 5e7, 3e8, 5e9):
        mix = drones.budget_mix(run, hits, targets, cap, budget, 2.0)
        assert (mix["x"] >= 0).all()
        assert float((mix["weapons"] * cost).sum()) <= budget * (1 + 1e-6)
        for group, limit in cap.items():
            used = mix["weapons"][(run.systems["cap_group"] == group).to_numpy()].sum()
            assert used <= limit * (1 + 1e-6) + 1e-6, group
        counts = targets["band"].value_counts()
        for j, band in enumerate(drones.BAND_LABELS):
            assert mix["hits_by_band"][j] <= 2.0 * counts.get(band, 0) + 1e-6


def test_more_budget_never_fewer_hits(result: dict) -> None:
    sweep = result["sweep"].drop_duplicates("budget_usd").sort_values("budget_usd")
    assert (sweep["total_hits"].diff().dropna() >= -1e-6).all()


def test_out_of_reach_systems_are_not_bought(result: dict) -> None:
    mix = result["mix"]
    for i, ok in enumerate(result["eligible"]):
        if not ok:
            assert mix["weapons"][i] == 0


def test_monthly_output_uses_latest_statement_before_as_of(tables: dict[str, pd.DataFrame]) -> None:
    prod = data.load_table("drone_production")
    before = drones.monthly_output(prod, "2024-01-15")
    assert before["long_range"] == pytest.approx(1000 / (365 / 30.4375), rel=0.01)
    after = drones.monthly_output(prod, AS_OF)
    assert after["long_range"] == pytest.approx(3000 / (365 / 30.4375), rel=0.01)
    assert drones.monthly_output(prod, AS_OF, 2.0)["long_range"] == pytest.approx(
        2 * after["long_range"]
    )


# ---- parameters -------------------------------------------------------------------------


def test_unknown_system_gets_a_did_you_mean() -> None:
    tables = {"strike_systems": data.load_table("strike_systems")}
    with pytest.raises(params.ParamError, match="Did you mean 'liutyi'"):
        _p(systems=["liutyy", "atacms_lr"]).check_data(tables)


def test_low_above_high_is_rejected() -> None:
    tables = {"strike_systems": data.load_table("strike_systems")}
    with pytest.raises(params.ParamError, match="p_kill_drone_low"):
        _p(p_kill_drone_low=0.9, p_kill_drone_high=0.5).check_data(tables)


# ---- data -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "deep_targets",
        "drone_production",
        "drone_claims",
        "drone_strikes",
        "refinery_offline",
        "drone_funding",
    ],
)
def test_tables_validate(name: str) -> None:
    frame = data.load_table(name)
    assert len(frame) > 0
    assert frame["source_url"].str.match(r"https?://").all()


def test_drone_rows_in_shared_systems_table() -> None:
    systems = data.load_table("strike_systems").set_index("system_id")
    for sid in ("liutyi", "uj26_beaver", "morok", "palianytsia", "fp1"):
        assert systems.loc[sid, "system_class"] == "drone"
    # Missile rows of the supply chapter are still there.
    assert {"atacms_lr", "storm_shadow", "gmlrs"} <= set(systems.index)


def test_claims_are_labelled() -> None:
    claims = data.load_table("drone_claims")
    assert (claims["claimed_by"] == "Russia").all()
