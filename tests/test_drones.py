"""Drone chapter: cost per hit by depth band, no silent exclusions, air defence fitted to the
raid record, reach and deep targets, production caps, donated supply and the LP budget mix."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from deepstrike import data, geo, prose
from deepstrike.chapters.drones import CHAPTER
from deepstrike.chapters.drones import model as drones
from deepstrike.chapters.drones.params import DONATED_GROUPS, DRONE_SYSTEMS, DronesParams
from deepstrike.language import ICD_WORDS, Quantity
from deepstrike.schema import ParamError

AS_OF = "2024-11-18"
DRAWS = 2000
TEMPLATES = prose.template_names("drones")
SUMMARY_TEMPLATES = prose.template_names("drones", "summary")
EMPTY = re.compile(r'class="q"[^>]*>–<')  # a quantity without a value, shown as a dash
DATES = ("2022-07-04", "2023-06-01", "2024-06-01", AS_OF, "2025-06-01")


@cache
def _tables(as_of: str) -> dict[str, pd.DataFrame]:
    return {n: data.load_table(n, as_of=as_of) for n in CHAPTER.tables}


def tables_at(as_of: str) -> dict[str, pd.DataFrame]:
    return {n: t.copy() for n, t in _tables(as_of).items()}


def _p(**changes: Any) -> DronesParams:
    return CHAPTER.run_model(**({"draws": DRAWS} | changes))


def analyse(as_of: str = AS_OF, seed: int = 11, tables: dict | None = None, **changes: Any):
    return CHAPTER.analyse(_p(**changes), tables or tables_at(as_of), as_of, seed)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return ("dict", tuple(sorted(v.items())))
    return tuple(v) if isinstance(v, list) else v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple) and v[:1] == ("dict",):
        return dict(v[1])
    return list(v) if isinstance(v, tuple) else v


@cache
def _result(as_of: str, frozen: tuple) -> drones.DronesResult:
    return analyse(as_of, **{n: _thaw(v) for n, v in frozen})


def result_at(as_of: str = AS_OF, **changes: Any) -> drones.DronesResult:
    return _result(as_of, tuple(sorted((n, _freeze(v)) for n, v in changes.items())))


def numbers(as_of: str = AS_OF, tables: dict | None = None, **changes: Any) -> dict:
    if tables is not None:
        return CHAPTER.numbers(analyse(as_of, tables=tables, **changes))
    return CHAPTER.numbers(result_at(as_of, **changes))


# Launchers of GMLRS this far back reach no target: GMLRS must then be listed as left out.
NO_GMLRS = {"launch": {"standoff_km_ground_rocket": 100.0}}
PRIORS = {"air_defence_inputs": "priors"}
PROPELLER = ["liutyi", "uj26_beaver", "uj22_airborne", "morok"]


def say(template: str, k: dict[str, Quantity], as_of: str = AS_OF) -> str:
    return prose.plain(prose.render("drones", template, k, as_of=as_of, p={}))


@pytest.fixture(scope="module")
def result() -> drones.DronesResult:
    return result_at()


@pytest.fixture(scope="module")
def key(result: drones.DronesResult) -> dict[str, Quantity]:
    return CHAPTER.numbers(result)


# ---- cost per effective hit ----------------------------------------------------------------


def test_same_seed_same_result() -> None:
    a, b = analyse(seed=5), analyse(seed=5)
    pd.testing.assert_frame_equal(a.cpeh, b.cpeh)
    pd.testing.assert_frame_equal(a.sweep, b.sweep)
    c = analyse(seed=6)
    assert not a.cpeh["median_usd"].equals(c.cpeh["median_usd"])


def test_cost_per_hit_rises_when_interception_rises(result: drones.DronesResult) -> None:
    systems, raids = result.systems, result.raids
    low_p = _p(p_kill_drone_low=0.2, p_kill_drone_high=0.3, **PRIORS)
    high_p = _p(p_kill_drone_low=0.7, p_kill_drone_high=0.8, **PRIORS)
    low = drones.simulate(systems, low_p, drones.air_defence(raids, low_p, 3), 3)
    high = drones.simulate(systems, high_p, drones.air_defence(raids, high_p, 3), 3)
    is_drone = (systems["profile"] == "drone").to_numpy()
    for h in drones.HARDNESS:
        # Same seed, same draws: every propeller drone's cost per hit is higher in every draw.
        assert (high.cpeh[h][is_drone] > low.cpeh[h][is_drone]).all()
        # Missiles and jet missile-drones are untouched by the drone interception prior.
        np.testing.assert_allclose(high.cpeh[h][~is_drone], low.cpeh[h][~is_drone])


def test_cost_per_hit_is_cost_over_product_of_probabilities(result: drones.DronesResult) -> None:
    run = result.run
    for h in drones.HARDNESS:
        expected = run.cost / (run.p_arrive * run.p_hit * run.p_effect[h])
        np.testing.assert_allclose(run.cpeh[h], expected)
        assert (run.cpeh[h] >= run.cost).all()  # probabilities at most one


def test_hard_targets_cost_more_per_hit(result: drones.DronesResult) -> None:
    run = result.run
    assert (run.cpeh["hard"] >= run.cpeh["soft"]).all()


def test_priors_fill_only_missing_values(result: drones.DronesResult) -> None:
    systems = result.systems.set_index("system_id")
    strike = result.strike_systems.set_index("system_id")
    for sid, row in systems.iterrows():
        published_cost = not math.isnan(strike.loc[sid, "unit_cost_usd_central"])
        assert (row["cost_from"] == "data") == published_cost, sid
        published_payload = not math.isnan(strike.loc[sid, "payload_kg_central"])
        assert (row["payload_from"] == "data") == published_payload, sid
        if not published_cost:
            kind = "drone prior" if row["profile"] == "drone" else "missile prior"
            assert row["cost_from"] == kind, sid
    assert systems.loc["atacms_lr", "profile"] == "ballistic"
    assert systems.loc["storm_shadow", "profile"] == "cruise"
    assert systems.loc["palianytsia", "profile"] == "cruise"  # a jet missile-drone
    assert systems.loc["morok", "cap_group"] == "medium_range"
    assert systems.loc["liutyi", "cap_group"] == "long_range"
    assert systems.loc["palianytsia", "cap_group"] == drones.BUILT_MISSILE_CLASS
    assert systems.loc["neptune_r360", "cap_group"] == drones.BUILT_MISSILE_CLASS
    assert systems.loc["atacms_m39", "cap_group"] == systems.loc["atacms_lr", "cap_group"]
    for sid in DONATED_GROUPS:
        assert systems.loc[sid, "supply"] == "donated", sid
    assert (systems.loc[PROPELLER, "supply"] == "built").all()


# ---- no silent exclusions: the comparison per depth band -----------------------------------

VARIANTS = {
    "baseline": {},
    "no GMLRS in reach": NO_GMLRS,
    "scenario leaves some out": {"systems": ["atacms_lr", "storm_shadow", "morok", "liutyi"]},
    "priors": PRIORS,
}


@pytest.mark.parametrize("as_of", DATES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_system_with_data_is_compared_or_listed_with_its_reason(
    as_of: str, variant: str
) -> None:
    r = result_at(as_of, **VARIANTS[variant])
    k = CHAPTER.numbers(r)
    text = say("record", k, as_of)
    compared = set().union(*(set(ids) for ids in r.bands["system_ids"]))
    led = r.ledger.set_index("system_id")
    for s in r.strike_systems.itertuples():
        name = drones.short_name(s.system_name)
        if s.system_id in compared:
            assert led.loc[s.system_id, "status"] == "compared", s.system_id
            continue
        # Dropped from every band: it must be named in the chapter, with a reason.
        reason = led.loc[s.system_id, "reason"]
        assert led.loc[s.system_id, "status"] == "left out" and reason, s.system_id
        assert f"{name} ({reason})" in text, (variant, as_of, s.system_id)
    assert set(led.index) >= set(r.strike_systems["system_id"])


def test_default_systems_cover_every_system_with_data() -> None:
    assert set(DRONE_SYSTEMS) == set(data.load_table("strike_systems")["system_id"])


def test_gmlrs_takes_part_where_it_reaches(key: dict[str, Quantity]) -> None:
    assert "GMLRS" in key["near_systems"].value
    assert key["near_best_soft"].value == "GMLRS" and key["near_verdict_soft"].value == "missile"
    far = numbers(**NO_GMLRS)
    assert "GMLRS" not in far["near_systems"].value
    assert any(d.startswith("GMLRS (reaches no target") for d in far["dropped"].value)
    assert "No system with data is left out" in say("record", key)


def test_band_verdicts_follow_the_medians(result: drones.DronesResult) -> None:
    cpeh = result.cpeh.set_index(["system_id", "hardness"])
    classes = result.systems.set_index("system_id")["system_class"]
    for row in result.bands.itertuples():
        ids = list(row.system_ids)
        med = {s: cpeh.loc[(s, row.hardness), "median_usd"] for s in ids}
        d = {s: v for s, v in med.items() if classes[s] == "drone"}
        m = {s: v for s, v in med.items() if classes[s] != "drone"}
        if not ids:
            assert row.verdict == "none"
        elif not m:
            assert row.verdict == "only_drones"
        elif not d:
            assert row.verdict == "only_missiles"
        else:
            assert row.verdict == ("drone" if min(d.values()) < min(m.values()) else "missile")
        if ids:
            assert row.best_id == min(med, key=med.get)


def test_systems_in_a_band_reach_a_target_there(result: drones.DronesResult) -> None:
    for row in result.bands.itertuples():
        part = result.band_reach[result.band_reach["band"] == row.band].set_index("system_id")
        for sid in row.system_ids:
            assert part.loc[sid, "n_reach"] > 0
        for sid in set(part.index) - set(row.system_ids):
            assert part.loc[sid, "n_reach"] == 0


def test_missing_systems_are_in_the_comparison(key: dict[str, Quantity]) -> None:
    compared = key["compared_systems"].value
    for name in ("R-360 Neptune", "Palianytsia", "GLSDB", "Storm Shadow / SCALP-EG"):
        assert name in compared, name
    # Peklo was first shown on 6 December 2024: after the baseline, in the hindsight run.
    assert "peklo" in key["left_out"].value
    later = numbers("2025-06-01")
    assert "Peklo" in later["compared_systems"].value and "peklo" not in later["left_out"].value
    for name in ("R-360 Neptune", "Palianytsia", "GLSDB"):
        assert name in key["cost_from_missile_prior"].value, name
    assert "The cost of GLSDB, R-360 Neptune and Palianytsia comes from the missile prior" in say(
        "costs", key
    )


def test_systems_not_yet_public_are_listed_not_dropped() -> None:
    k = numbers("2023-06-01")
    public = set(tables_at("2023-06-01")["strike_systems"]["system_id"])
    expected = [s for s in DronesParams().systems if s not in public]
    assert expected and k["left_out"].value == expected
    assert k["n_systems"].value == len(DronesParams().systems) - len(expected)
    text = say("record", k, "2023-06-01")
    assert "Chosen but not yet public on 2023-06-01" in text
    assert all(s in text for s in expected)
    assert "not yet public" not in say("record", numbers("2030-01-01"), "2030-01-01")


# ---- air defence: area and engagement components ---------------------------------------------


def test_area_component_does_not_depend_on_raid_size() -> None:
    raids = np.array([1, 5, 20, 50, 200, 1000, 5000])
    # With no engagement, the share through is the area component alone, whatever the size.
    np.testing.assert_allclose(drones.p_arrive(0.0, raids, 10.0, 0.3), 0.7)
    # With engagement, the share through stays below it and rises with saturation.
    share = drones.p_arrive(0.9, raids, 20.0, 0.3)
    assert (share <= 0.7 + 1e-12).all() and np.all(np.diff(share) >= 0)


def test_saturation_without_area_loss() -> None:
    raids = np.array([1, 5, 20, 50, 200, 1000])
    lone = float(drones.p_arrive(0.8, 1, 20.0))
    share = drones.p_arrive(0.8, raids, 20.0)
    assert lone == pytest.approx(0.2)
    assert np.all(np.diff(share) >= 0)
    assert share[-1] == pytest.approx(1 - 0.8 * 20 / 1000)


def test_saturation_curve_spans_the_draws(result: drones.DronesResult) -> None:
    curve = result.saturation
    assert (curve["low"] <= curve["p_arrive"] + 1e-12).all()
    assert (curve["p_arrive"] <= curve["high"] + 1e-12).all()
    assert (curve["p_arrive"].diff().dropna() >= -1e-12).all()
    assert curve["raid_size"].iloc[-1] == drones.SATURATION_RAID_MAX


def test_a_large_raid_is_not_mostly_through(key: dict[str, Quantity]) -> None:
    # A fixed engagement capacity once let 96% of a 400-drone raid through; no recorded raid
    # comes close, and the area loss caps the share whatever the raid's size.
    assert key["p_arrive_largest_raid"].value < 0.5
    assert key["p_arrive_largest_raid_high"].value < 1 - key["ew_share_low"].value + 0.05
    assert key["p_arrive_largest_raid_prior"].value < 0.9


def test_calibration_fits_the_record(result: drones.DronesResult) -> None:
    air, rec = result.air, result.air.record
    assert air.calibrated and len(rec) >= drones.MIN_RAIDS
    assert rec["share_ew"].min() <= np.median(air.ew) <= rec["share_ew"].max()
    shares = rec["share_downed_of_flying"]
    assert shares.min() <= np.median(air.p_kill) <= shares.max()
    # The defence shot down this many in one raid: a capacity below that is ruled out.
    assert np.percentile(air.capacity, 1) >= 0.9 * rec["downed"].max()
    assert rec["inside"].sum() >= len(rec) - 2
    # The record is the defender's own report, and an analogue.
    assert (rec["claimed_by"] == "Ukraine").all()


def test_raid_record_accounts_for_every_drone() -> None:
    rec = drones.raid_record(data.load_table("raid_outcomes"))
    left = data.load_table("raid_outcomes")["drones_left_airspace"].fillna(0).to_numpy()
    total = rec["downed"] + rec["lost"] + rec["through"] + left
    np.testing.assert_array_equal(total, rec["drones_launched"])


def test_air_defence_inputs_all_branches(key: dict[str, Quantity]) -> None:
    assert key["calibrated"].value and "is fitted to" in say("saturation", key)
    assert "analogues" in say("saturation", key)
    off = numbers(**PRIORS)
    assert not off["calibrated"].value and off["calibration_off"].value
    assert "sets the drone air defence to the stated priors" in say("saturation", off)
    early = numbers("2024-06-01")
    assert not early["calibrated"].value and not early["calibration_off"].value
    assert "so the drone air defence uses the stated" in say("saturation", early, "2024-06-01")
    with pytest.raises(ValidationError):
        _p(air_defence_inputs="guess")


def test_verdicts_rest_on_calibration_both_branches(key: dict[str, Quantity]) -> None:
    assert key["verdicts_rest_on_calibration"].value
    assert "under the uncalibrated priors the verdict changes" in say("headline", key)
    priors = numbers(**PRIORS)
    assert not priors["verdicts_rest_on_calibration"].value
    assert "uncalibrated priors the verdict changes" not in say("headline", priors)


# ---- reach and deep targets -------------------------------------------------------------------


def test_deep_targets_are_refineries_moscow_airports_and_bomber_bases(
    result: drones.DronesResult, key: dict[str, Quantity]
) -> None:
    deep = result.targets[result.targets["deep"]]
    assert set(deep["target_type"]) == set(drones.DEEP_TYPES)
    assert (deep.loc[deep["target_type"] == "airport", "region"] == "Moscow Oblast").all()
    assert (
        key["n_deep_targets"].value
        == len(deep)
        == (
            key["n_refineries"].value + key["n_moscow_airports"].value + key["n_bomber_bases"].value
        )
    )
    ids = set(deep["target_id"])
    # Engels is in both tables: counted once, as a bomber base.
    assert "ab_ru_8602" in ids and result.targets["target_id"].is_unique
    # Ordinary airbases near Ukraine are targets but not deep targets.
    ordinary = result.targets[result.targets["table"] == "targets"]
    assert not (set(ordinary["target_id"]) & ids) and len(ordinary)


def test_targets_beyond_reach_are_listed_apart(
    result: drones.DronesResult, key: dict[str, Quantity]
) -> None:
    beyond = set(result.beyond["target_id"])
    assert {"ab_uiib", "ab_ru_2244"} <= beyond  # Belaya and Ukrainka, thousands of km away
    for t in result.targets.itertuples():
        reached = any(
            drones.in_reach(t.line_distance_km, s.range_km_central, result.standoff_km[s.system_id])
            for s in result.strike_systems.itertuples()
        )
        assert reached != (t.target_id in beyond), t.target_id
    assert key["n_beyond_reach"].value == len(beyond)
    text = say("reach", key)
    assert "beyond every public system's reach" in text and "Belaya Air Base" in text


def test_reach_counts_agree_with_the_geometry(result: drones.DronesResult) -> None:
    tables = tables_at(AS_OF)
    parts = geo.held_edge(tables["front_line"], AS_OF)["parts"]
    deep = tables["deep_targets"]
    near = tables["targets"][~tables["targets"]["target_id"].isin(deep["target_id"])]
    both = pd.concat([near, deep], ignore_index=True)
    d = geo.distance_to_held_km(both["lat"], both["lon"], parts)
    reach = result.reach.groupby("system_id")[["n_reach", "n_targets"]].sum()
    launch = result.params.launch
    for s in tables["strike_systems"].itertuples():
        direct = int((d + launch.standoff_km(s.launcher) <= s.range_km_central).sum())
        assert reach.loc[s.system_id, "n_reach"] == direct, s.system_id
        assert reach.loc[s.system_id, "n_targets"] == len(both)


def test_reach_curve_is_monotone_and_starts_at_zero(result: drones.DronesResult) -> None:
    curve = result.reach_curve
    assert (curve["all"].diff().dropna() >= 0).all()
    assert curve["all"].iloc[0] == 0
    assert set(result.targets["band"]) <= set(drones.BAND_LABELS)


def test_in_reach_is_distance_plus_depth_within_range() -> None:
    got = drones.in_reach(np.array([249.0, 250.0, 251.0]), 300.0, 50.0).tolist()
    assert got == [True, True, False]


# ---- production caps and donated supply ---------------------------------------------------


def _month(start: str, end: str) -> float:
    return (pd.Timestamp(end) - pd.Timestamp(start)).days / 30.4375


def test_production_caps_are_ranges_from_the_right_statements(result: drones.DronesResult) -> None:
    caps = result.caps_table.set_index("cap_group")
    months = _month("2024-01-01", "2024-12-31")
    ratio = result.params.open_ended_ratio
    # The >=1,000 km class: Kamyshin's '1,000+' capacity claim only, read from 1,000 up.
    long = caps.loc["long_range"]
    assert long["low"] == pytest.approx(1000 / months)
    assert long["high"] == pytest.approx(1000 * ratio / months)
    assert long["statements"] == ["capacity claim of 20 December 2023"]
    # Fedorov's 'thousands' is about the 300-1,000 km class: it sets the medium range only.
    medium = caps.loc["medium_range"]
    assert medium["low"] == pytest.approx(2000 / months)
    assert medium["high"] == pytest.approx(10000 * ratio / months)
    assert "plan of 12 February 2024" in medium["statements"]
    assert long["high"] < 3000 / months
    production = data.load_table("drone_production")
    assert (production["claimed_by"] == "Ukraine").all()
    assert set(production["kind"]) <= set(drones.KIND_WORDS)


def test_open_ended_ratio_moves_only_the_high_end() -> None:
    a = result_at().caps_table.set_index("cap_group")
    b = result_at(open_ended_ratio=3.0).caps_table.set_index("cap_group")
    assert b.loc["long_range", "low"] == a.loc["long_range", "low"]
    assert b.loc["long_range", "high"] == pytest.approx(2 * a.loc["long_range", "high"])


def test_missile_class_cap_from_prior_until_a_statement(key: dict[str, Quantity]) -> None:
    assert key["missile_cap_from_prior"].value
    assert "no output statement is public, so a stated prior" in say("budget", key)
    later = numbers("2025-06-01")
    assert not later["missile_cap_from_prior"].value
    assert later["missile_drone_statements"].value == ["target of 19 November 2024"]


def test_donated_priors_agree_with_the_record(result: drones.DronesResult) -> None:
    gifts = result.caps_table[result.caps_table["supply"] == "donated"].set_index("cap_group")
    atacms = gifts.loc["atacms"]
    assert atacms["low"] <= atacms["record_per_month"] <= atacms["high"]
    assert not atacms["record_partial"]
    storm = gifts.loc["storm_shadow"]
    # France's SCALP alone (the UK published no numbers): a floor the prior must not undercut.
    assert storm["record_partial"] and storm["record_per_month"] >= storm["low"]
    gmlrs = gifts.loc["gmlrs"]
    assert gmlrs["high"] <= gmlrs["donor_output_per_month"]
    assert atacms["high"] * 12 <= atacms["donor_stock"]


def test_record_partial_flag_both_branches(key: dict[str, Quantity]) -> None:
    assert key["donated_storm_shadow_record_partial"].value
    assert not key["donated_atacms_record_partial"].value
    text = say("budget", key)
    assert "Storm Shadow/SCALP: " in text and "at least about" in text
    assert re.search(r"ATACMS: [^;]*reported deliveries about", text)


# ---- budget mix -------------------------------------------------------------------------


def test_optimiser_respects_caps_and_budget(result: drones.DronesResult) -> None:
    run, hits, targets, cap = result.run, result.hits, result.targets, result.caps
    donated = (run.systems["supply"] == "donated").to_numpy()
    cost = run.cost.mean(axis=1)
    for budget in (1e6, 5e7, 3e8, 5e9):
        mix = drones.budget_mix(run, hits, targets, cap, budget, 2.0)
        assert (mix["x"] >= 0).all()
        # The budget pays only for what Ukraine buys or builds.
        assert float((mix["weapons"][~donated] * cost[~donated]).sum()) <= budget * (1 + 1e-6)
        assert (mix["spend_usd"][donated] == 0).all()
        for group, limit in cap.items():
            used = mix["weapons"][(run.systems["cap_group"] == group).to_numpy()].sum()
            assert used <= limit * (1 + 1e-6) + 1e-6, group
        counts = targets["band"].value_counts()
        for j, band in enumerate(drones.BAND_LABELS):
            assert mix["hits_by_band"][j] <= 2.0 * counts.get(band, 0) + 1e-6
        assert mix["hits"] == pytest.approx(mix["hits_budget"] + mix["hits_donated"])


def test_donated_supply_comes_on_top_of_the_budget(result: drones.DronesResult) -> None:
    none = {g: (0.0 if g in set(DONATED_GROUPS.values()) else v) for g, v in result.caps.items()}
    budget = result.budget_usd
    without = drones.budget_mix(result.run, result.hits, result.targets, none, budget, 2.0)
    assert without["hits_donated"] == 0
    assert without["spent_usd"] == pytest.approx(result.mix["spent_usd"], rel=0.05)
    assert result.mix["hits"] >= without["hits"] - 1e-6
    assert result.mix["hits_donated"] > 0


def test_mix_stays_within_the_budget(result: drones.DronesResult) -> None:
    assert result.mix["spent_usd"] <= result.budget_usd * (1 + 1e-6)


def test_more_budget_never_fewer_hits(result: drones.DronesResult) -> None:
    sweep = result.sweep.drop_duplicates("budget_usd").sort_values("budget_usd")
    assert (sweep["total_hits"].diff().dropna() >= -1e-6).all()


def test_caps_at_their_ends_bound_the_hits(result: drones.DronesResult) -> None:
    assert result.mix_low["hits"] <= result.mix["hits"] + 1e-6
    assert result.mix["hits"] <= result.mix_high["hits"] + 1e-6


def test_out_of_reach_systems_are_not_bought(result: drones.DronesResult) -> None:
    for i, ok in enumerate(result.eligible):
        if not ok:
            assert result.mix["weapons"][i] == 0


# ---- parameters -------------------------------------------------------------------------


def test_unknown_system_gets_a_did_you_mean() -> None:
    tables = {"strike_systems": data.load_table("strike_systems")}
    with pytest.raises(ParamError, match="Did you mean 'liutyi'"):
        _p(systems=["liutyy", "atacms_lr"]).check_data(tables)


def test_donated_system_needs_a_supply_prior() -> None:
    tables = {
        "strike_systems": data.load_table("strike_systems"),
        "donor_supply": pd.DataFrame({"system_id": ["atacms_lr", "neptune_r360"]}),
    }
    with pytest.raises(ParamError, match="no supply prior"):
        _p().check_data(tables)


def test_low_above_high_is_rejected() -> None:
    with pytest.raises(ValidationError, match="p_kill_drone_low"):
        _p(p_kill_drone_low=0.9, p_kill_drone_high=0.5)
    with pytest.raises(ValidationError, match="drone_cost_usd_mode"):
        _p(drone_cost_usd_mode=400_000.0)
    with pytest.raises(ValidationError, match="donated_atacms_per_month_low"):
        _p(donated_atacms_per_month_low=30.0)


# ---- key numbers --------------------------------------------------------------------------


def test_key_numbers_are_json_and_finite(key: dict[str, Quantity]) -> None:
    for name, q in key.items():
        json.dumps(q.as_record())
        assert q.name == f"drones.{name}"
        if isinstance(q.value, float):
            assert math.isfinite(q.value), name
        q.text()


def test_one_band_cost_shown_everywhere_the_same(key: dict[str, Quantity]) -> None:
    text = key["near_missile_soft_usd_m"].text()
    for html in (
        prose.render("drones", "headline", key, as_of=AS_OF, p={}),
        prose.render("drones", "costs", key, as_of=AS_OF, p={}),
        CHAPTER.judgments(key)[0].text,
    ):
        found = re.findall(r'data-q="drones\.near_missile_soft_usd_m">([^<]*)<', str(html))
        assert found and set(found) == {text}


def test_flags_follow_the_numbers(key: dict[str, Quantity]) -> None:
    k = {n: q.value for n, q in key.items()}
    for b in drones.BAND_KEYS:
        if k[f"{b}_verdict_soft"] in ("drone", "missile"):
            cheaper = k[f"{b}_drone_soft_usd_m"] < k[f"{b}_missile_soft_usd_m"]
            assert k[f"{b}_drone_cheaper_soft"] == cheaper
            assert k[f"{b}_ratio_soft"] == pytest.approx(
                k[f"{b}_missile_soft_usd_m"] / k[f"{b}_drone_soft_usd_m"]
            )
    assert k["deeper"] == (k["max_drone_reach"] > k["max_missile_reach"])
    assert k["deep_beyond_missiles"] == (k["max_drone_deep_reach"] > k["max_missile_deep_reach"])
    assert k["comparable"] == bool(k["bands_drone_cheaper"] or k["bands_missile_cheaper"])
    for name, q in key.items():
        if q.kind == "flag":
            assert isinstance(q.value, bool), name


def test_shares_of_draws_are_plain_percentages(key: dict[str, Quantity]) -> None:
    rendered = " ".join(say(t, key) for t in TEMPLATES)
    rendered += " ".join(j.text for j in CHAPTER.judgments(key))
    rendered += CHAPTER.bottom_line(key)
    for word in ICD_WORDS:
        assert word not in rendered, word
    assert key["mid_share_drone_cheaper_soft"].kind == "share"


# ---- prose --------------------------------------------------------------------------------

SCENARIOS = {
    "baseline": (AS_OF, {}),
    "2022-07-04": ("2022-07-04", {}),
    "2023-06-01": ("2023-06-01", {}),
    "2024-06-01": ("2024-06-01", {}),
    "2025-06-01": ("2025-06-01", {}),
    "priors": (AS_OF, PRIORS),
    "drones shot down": (AS_OF, {"p_kill_drone_low": 0.95, "p_kill_drone_high": 0.99, **PRIORS}),
    "surge": (AS_OF, {"drone_output_multiplier": 10.0, "budget_usd_m_per_month": 1000.0}),
    "no drone supply": (AS_OF, {"drone_output_multiplier": 0.0}),
    "missiles only": (AS_OF, {"systems": ["atacms_lr", "storm_shadow"]}),
    "drones only": (AS_OF, {"systems": PROPELLER}),
    "no GMLRS": (AS_OF, NO_GMLRS),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_template_renders(scenario: str) -> None:
    as_of, changes = SCENARIOS[scenario]
    k = numbers(as_of, **changes)
    for template in TEMPLATES:
        html = str(prose.render("drones", template, k, as_of=as_of, p={}))
        text = prose.plain(html)
        assert text, template
        assert not EMPTY.search(html), f"{template}: an empty quantity is shown"
        assert "None" not in text and "nan" not in text.lower().split(), template
        # A word glued to the next by a block tag that ate the space between them.
        assert not re.search(r"[a-z]\(|\)[a-z]", text), (template, text)
    assert TEMPLATES[0] and "headline" in TEMPLATES
    assert say("headline", k, as_of).startswith("Headline.")
    for judgment in CHAPTER.judgments(k):
        assert not EMPTY.search(judgment.text) and judgment.confidence == "low"
    line = CHAPTER.bottom_line(k)
    assert line is None or (line and not line.endswith(".") and line[0].islower())
    assert line is None or " ," not in line


def test_no_digit_typed_in_a_template() -> None:
    folder = prose.template_folder("drones")
    summary = prose.template_folder("drones", "summary")
    paths = [*folder.glob("*.j2"), *summary.glob("*.j2")]
    assert len(paths) == len(TEMPLATES) + len(SUMMARY_TEMPLATES)
    paths += [*folder.glob("parts/*.j2"), *summary.glob("parts/*.j2")]
    for path in paths:
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", path.read_text(), flags=re.S)
        assert not re.search(r"\d", text), f"digit typed in {path.name}"


def test_band_macros_are_one_file() -> None:
    a = prose.template_folder("drones") / "parts" / "bands.j2"
    b = prose.template_folder("drones", "summary") / "parts" / "bands.j2"
    assert a.read_text() == b.read_text()


# ---- each flag, both branches ----------------------------------------------------------------


def test_band_verdict_both_branches(key: dict[str, Quantity]) -> None:
    assert key["mid_verdict_soft"].value == "missile" and not key["bands_drone_cheaper"].value
    text = say("headline", key)
    assert "holds in no band where drones and missiles both reach" in text
    assert "in the 80–300 km band the cheapest missile" in text
    assert "only drones reach" in text and "which only drones reach" in text
    other = numbers(**PRIORS)
    assert other["mid_verdict_soft"].value == "drone" and other["bands_drone_cheaper"].value
    text = say("headline", other)
    assert "in the 80–300 km band the cheapest drone" in text
    assert "holds in the 80–300 km band" in text
    assert "domestic long-range drones are the cheaper way" in CHAPTER.bottom_line(other)
    assert "wherever missiles reach, a missile is the cheaper way" in CHAPTER.bottom_line(key)
    only = numbers(**SCENARIOS["missiles only"][1])
    assert not only["comparable"].value and only["bands_only_missiles"].value


def test_winner_priced_by_prior_both_branches(key: dict[str, Quantity]) -> None:
    assert key["mid_winner_priced_by_prior"].value  # Neptune: no published unit cost
    assert not key["near_winner_priced_by_prior"].value  # GMLRS: a published cost
    text = say("headline", key)
    assert "R-360 Neptune, $" in text and "its unit cost from a prior" in text
    assert re.search(r"GMLRS, \$[\d.]+ m per effective hit\)", text)


def test_deeper_both_branches(key: dict[str, Quantity]) -> None:
    assert key["deeper"].value and key["deep_beyond_missiles"].value
    assert 'Its "deeper" holds' in say("headline", key)
    assert "reach further than" in CHAPTER.judgments(key)[1].text
    assert "No missile here reaches targets more than" in say("contrast", key)
    other = numbers(tables=_short_range_drones())
    assert not other["deeper"].value and not other["deep_beyond_missiles"].value
    assert 'The article\'s "deeper" does not hold' in say("reach", other)
    assert "do not reach further than" in CHAPTER.judgments(other)[-1].text
    assert "The drones reach no more deep targets than the missiles here" in say("contrast", other)


def _short_range_drones(as_of: str = AS_OF) -> dict[str, pd.DataFrame]:
    tables = tables_at(as_of)
    s = tables["strike_systems"]
    drone = s["system_class"] == "drone"
    for col in ("range_km_low", "range_km_central", "range_km_high"):
        s.loc[drone, col] = 120.0
    return tables


def test_comparable_both_branches(key: dict[str, Quantity]) -> None:
    assert key["comparable"].value and CHAPTER.bottom_line(key)
    k = numbers("2022-07-04")
    assert not k["comparable"].value
    text = say("headline", k, "2022-07-04")
    assert "cannot yet be compared" in text
    assert "No cost comparison" in say("costs", k, "2022-07-04")
    assert CHAPTER.judgments(k) == [] and CHAPTER.bottom_line(k) is None
    missiles_only = numbers(**SCENARIOS["missiles only"][1])
    assert "include no drone that reaches a target" in say("headline", missiles_only)
    drones_only = numbers(**SCENARIOS["drones only"][1])
    assert "include no missile that reaches a target" in say("headline", drones_only)


def test_interception_and_payload_flags_both_branches(key: dict[str, Quantity]) -> None:
    assert key["drones_intercepted_more"].value and key["drone_hard_effect_weaker"].value
    text = say("contrast", key)
    assert "drones pay for their price with losses" in text
    assert "the heavier missile warhead counts there" in text
    other = numbers(
        p_kill_drone_low=0.0,
        p_kill_drone_high=0.05,
        ew_loss_low=0.0,
        ew_loss_high=0.01,
        systems=["atacms_lr", "storm_shadow", "uj26_beaver"],
        drone_payload_kg_low=900.0,
        drone_payload_kg_high=1000.0,
        **PRIORS,
    )
    assert not other["drones_intercepted_more"].value
    assert not other["drone_hard_effect_weaker"].value
    text = say("contrast", other)
    assert "drones get through as often as missiles or more" in text
    assert "warhead counts there" not in text


def test_budget_flags_both_branches(key: dict[str, Quantity]) -> None:
    # Ukraine's own missiles (Neptune, Palianytsia) compete for the budget from the start.
    assert not key["drones_first"].value and key["production_plan_public"].value
    assert "take part of the spending from the smallest budget" in say("budget", key)
    dear = numbers(missile_cost_usd_low=3e6, missile_cost_usd_mode=4e6, missile_cost_usd_high=5e6)
    assert dear["drones_first"].value
    assert "every dollar goes to drones" in say("budget", dear)
    only = numbers(systems=PROPELLER)
    assert only["missiles_enter_budget_usd_m"].value is None and not only["any_donated"].value
    assert "every dollar goes to drones" in say("budget", only)
    assert "Donated missiles" not in say("budget", only) and "Donated missiles" in say(
        "budget", key
    )
    early = numbers("2023-06-01")
    assert not early["production_plan_public"].value
    assert "no production statement is public" in say("budget", early, "2023-06-01")
    scaled = numbers(drone_output_multiplier=2.0)
    assert scaled["output_scaled"].value and not key["output_scaled"].value
    assert "taken here at" in say("budget", scaled)
    assert "taken here at" not in say("budget", key)


def test_nothing_bought_when_nothing_reaches() -> None:
    far = {"standoff_km_ground_rocket": 150.0, "standoff_km_ground_cruise": 300.0}
    k = numbers("2022-07-04", systems=["gmlrs", "neptune_r360"], launch=far)
    assert not k["mix_spends"].value and k["n_compared"].value == 0
    assert "buys nothing" in say("budget", k, "2022-07-04")
    assert len(k["dropped"].value) == 2


def test_supply_exhausted_sentence_follows_the_flag() -> None:
    dear = {"missile_cost_usd_low": 3e6, "missile_cost_usd_mode": 4e6, "missile_cost_usd_high": 5e6}
    for m in (0.5, 1.0, 5.0):
        k = numbers(drone_output_multiplier=m, **dear)
        assert k["drones_first"].value
        # With these data built missiles enter only once drone production is used up.
        assert k["drone_supply_exhausted"].value
        assert "as drone production is used up" in say("budget", k)
    # The other branch of the sentence (missiles entering while drones remain).
    flipped = dict(k)
    flipped["drone_supply_exhausted"] = Quantity(False, kind="flag", name="drones.x")
    assert "before drone production is used up" in say("budget", flipped)


def test_refinery_flag_both_branches(key: dict[str, Quantity]) -> None:
    assert key["refinery_share_fell"].value
    assert "the latest figure on the as-of date is lower" in say("effects", key)
    offline = tables_at(AS_OF)["refinery_offline"]
    drone = offline[(offline["scope"] == "drone_damage") & offline["offline_share_pct"].notna()]
    first = drone.sort_values("reported_on")["reported_on"].iloc[0].date().isoformat()
    k = numbers(first)
    assert k["refinery_peak_drone_share"].value is not None
    assert not k["refinery_share_fell"].value
    assert "that is also the latest figure" in say("effects", k, first)


def test_claims_both_branches(key: dict[str, Quantity]) -> None:
    assert key["claim_raid_downed"].value and "are claims" in say("claims", key)
    early = numbers("2023-06-01")
    assert early["claim_raid_downed"].value is None
    assert "No Russian claim" in say("claims", early, "2023-06-01")
    later = numbers("2025-06-01")
    assert later["claims_peak_downed"].value is not None
    assert "In its peak month" in say("claims", later, "2025-06-01")


# ---- data -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTER.tables)
def test_tables_validate(name: str) -> None:
    assert len(data.load_table(name)) > 0


def test_drone_rows_in_shared_systems_table() -> None:
    systems = data.load_table("strike_systems").set_index("system_id")
    for sid in ("liutyi", "uj26_beaver", "morok", "palianytsia", "peklo", "fp1"):
        assert systems.loc[sid, "system_class"] == "drone"
    # Missile rows of the supply chapter are still there.
    assert {"atacms_lr", "storm_shadow", "gmlrs"} <= set(systems.index)


def test_claims_are_labelled() -> None:
    claims = data.load_table("drone_claims")
    assert (claims["claimed_by"] == "Russia").all()
    raids = data.load_table("raid_outcomes")
    assert raids["claimed_by"].notna().all()


def test_baseline_uses_nothing_published_after_it(result: drones.DronesResult) -> None:
    cutoff = pd.Timestamp(AS_OF)
    for name in ("raid_outcomes", "donor_supply", "drone_production", "strike_systems"):
        frame = tables_at(AS_OF)[name]
        assert (frame[data.KNOWN_FROM] <= cutoff).all(), name
    assert pd.Timestamp("2025-07-09") not in set(result.raids["date"])
