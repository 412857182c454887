"""Drone chapter: cost-per-hit invariants, saturation, reach geometry, LP budget mix, prose."""

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
from deepstrike.chapters.drones.params import DronesParams
from deepstrike.language import ICD_WORDS, Quantity
from deepstrike.schema import ParamError

AS_OF = "2024-11-18"
DRAWS = 2000
TEMPLATES = prose.template_names("drones")
SUMMARY_TEMPLATES = prose.template_names("drones", "summary")
EMPTY = re.compile(r'class="q"[^>]*>–<')  # a quantity without a value, shown as a dash


@cache
def _tables(as_of: str) -> dict[str, pd.DataFrame]:
    return {n: data.load_table(n, as_of=as_of) for n in CHAPTER.tables}


def tables_at(as_of: str) -> dict[str, pd.DataFrame]:
    return {n: t.copy() for n, t in _tables(as_of).items()}


def _p(**changes: Any) -> DronesParams:
    return CHAPTER.run_model(**({"draws": DRAWS} | changes))


def analyse(as_of: str = AS_OF, seed: int = 11, tables: dict | None = None, **changes: Any):
    return CHAPTER.analyse(_p(**changes), tables or tables_at(as_of), as_of, seed)


def numbers(as_of: str = AS_OF, tables: dict | None = None, **changes: Any) -> dict:
    if tables is not None:
        return CHAPTER.numbers(analyse(as_of, tables=tables, **changes))

    def freeze(v: Any) -> Any:
        if isinstance(v, dict):
            return ("dict", tuple(sorted(v.items())))
        return tuple(v) if isinstance(v, list) else v

    frozen = tuple(sorted((n, freeze(v)) for n, v in changes.items()))
    return _numbers(as_of, frozen)


@cache
def _numbers(as_of: str, frozen: tuple) -> dict:
    def thaw(v: Any) -> Any:
        if isinstance(v, tuple) and v[:1] == ("dict",):
            return dict(v[1])
        return list(v) if isinstance(v, tuple) else v

    changes = {n: thaw(v) for n, v in frozen}
    return CHAPTER.numbers(analyse(as_of, **changes))


# Launchers of GMLRS this far back reach no target: the comparison without GMLRS.
NO_GMLRS = {"launch": {"standoff_km_ground_rocket": 100.0}}


def say(template: str, k: dict[str, Quantity], as_of: str = AS_OF) -> str:
    return prose.plain(prose.render("drones", template, k, as_of=as_of, p={}))


@pytest.fixture(scope="module")
def result() -> drones.DronesResult:
    return analyse()


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
    systems = result.systems
    low = drones.simulate(systems, _p(p_kill_drone_low=0.2, p_kill_drone_high=0.3), 3)
    high = drones.simulate(systems, _p(p_kill_drone_low=0.7, p_kill_drone_high=0.8), 3)
    is_drone = (systems["system_class"] == "drone").to_numpy()
    for h in drones.HARDNESS:
        # Same seed, same draws: every drone's cost per hit is higher in every draw.
        assert (high.cpeh[h][is_drone] > low.cpeh[h][is_drone]).all()
        # Missiles are untouched by the drone interception prior.
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


def test_saturation_raises_the_share_getting_through() -> None:
    raids = np.array([1, 5, 20, 50, 200, 1000])
    lone = float(drones.p_arrive(0.8, 1, 20.0))
    share = drones.p_arrive(0.8, raids, 20.0)
    assert lone == pytest.approx(0.2)
    assert np.all(np.diff(share) >= 0)
    assert share[-1] == pytest.approx(1 - 0.8 * 20 / 1000)


def test_saturation_curve_spans_the_priors(result: drones.DronesResult) -> None:
    curve = result.saturation
    assert (curve["low"] <= curve["p_arrive"] + 1e-12).all()
    assert (curve["p_arrive"] <= curve["high"] + 1e-12).all()
    assert (curve["p_arrive"].diff().dropna() >= 0).all()
    assert curve["raid_size"].iloc[-1] == drones.SATURATION_RAID_MAX


def test_priors_fill_only_missing_drone_values(result: drones.DronesResult) -> None:
    systems = result.systems.set_index("system_id")
    strike = result.strike_systems.set_index("system_id")
    for sid, row in systems.iterrows():
        published_cost = not math.isnan(strike.loc[sid, "unit_cost_usd_central"])
        assert row["cost_from"] == ("data" if published_cost else "prior"), sid
        published_payload = not math.isnan(strike.loc[sid, "payload_kg_central"])
        assert row["payload_from"] == ("data" if published_payload else "prior"), sid
    assert systems.loc["atacms_lr", "profile"] == "ballistic"
    assert systems.loc["storm_shadow", "profile"] == "cruise"
    assert systems.loc["morok", "cap_group"] == "medium_range"
    assert systems.loc["liutyi", "cap_group"] == "long_range"


def test_cheaper_share_compares_the_best_of_each_class(result: drones.DronesResult) -> None:
    run, ok = result.run, result.eligible
    cls = run.systems["system_class"].to_numpy()
    best_d = run.cpeh["soft"][(cls == "drone") & ok].min(axis=0)
    best_m = run.cpeh["soft"][(cls != "drone") & ok].min(axis=0)
    np.testing.assert_allclose(result.cheaper_soft["ratio"], best_m / best_d)


# ---- reach ------------------------------------------------------------------------------


def test_reach_counts_agree_with_the_geometry(result: drones.DronesResult) -> None:
    tables = tables_at(AS_OF)
    parts = geo.held_edge(tables["front_line"], AS_OF)["parts"]
    both = pd.concat([tables["targets"], tables["deep_targets"]], ignore_index=True)
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


def test_systems_not_yet_public_are_listed_not_dropped() -> None:
    k = numbers("2023-06-01")
    public = set(tables_at("2023-06-01")["strike_systems"]["system_id"])
    expected = [s for s in DronesParams().systems if s not in public]
    assert expected and k["left_out"].value == expected
    assert k["n_systems"].value == len(DronesParams().systems) - len(expected)
    text = say("record", k, "2023-06-01")
    assert "Not yet public on 2023-06-01 and left out" in text
    assert all(s in text for s in expected)
    assert "left out" not in say("record", numbers())


# ---- budget mix -------------------------------------------------------------------------


def test_optimiser_respects_caps_and_budget(result: drones.DronesResult) -> None:
    run, hits, targets, cap = result.run, result.hits, result.targets, result.caps
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


def test_mix_stays_within_the_budget(result: drones.DronesResult) -> None:
    assert result.mix["spent_usd"] <= result.budget_usd * (1 + 1e-6)


def test_more_budget_never_fewer_hits(result: drones.DronesResult) -> None:
    sweep = result.sweep.drop_duplicates("budget_usd").sort_values("budget_usd")
    assert (sweep["total_hits"].diff().dropna() >= -1e-6).all()


def test_out_of_reach_systems_are_not_bought(result: drones.DronesResult) -> None:
    for i, ok in enumerate(result.eligible):
        if not ok:
            assert result.mix["weapons"][i] == 0


def test_monthly_output_uses_latest_statement_before_as_of() -> None:
    day = pd.Timestamp
    prod = pd.DataFrame(
        {
            "statement_date": [day("2023-12-20"), day("2024-02-12"), day("2024-11-19")],
            "period_start": [day("2024-01-01"), day("2024-01-01"), day("2025-01-01")],
            "period_end": [day("2024-12-31"), day("2024-12-31"), day("2025-12-31")],
            "category": ["long_range"] * 3,
            "units_central": [1000, 3000, 30000],
        }
    )
    month = 365 / 30.4375
    assert drones.monthly_output(prod, "2024-01-15")["long_range"] == pytest.approx(1000 / month)
    assert drones.monthly_output(prod, AS_OF)["long_range"] == pytest.approx(3000 / month)
    assert drones.monthly_output(prod, AS_OF, 2.0)["long_range"] == pytest.approx(6000 / month)
    # Past the period of every statement: the latest one stands.
    assert drones.monthly_output(prod, "2026-03-01")["long_range"] == pytest.approx(
        30000 / (364 / 30.4375)
    )
    assert drones.monthly_output(prod, "2023-01-01") == {}


def test_missile_caps_cover_every_capped_missile() -> None:
    from deepstrike.chapters.drones.params import DRONE_CAPPED_MISSILES

    assert set(drones.missile_caps(DronesParams())) == set(DRONE_CAPPED_MISSILES)


# ---- parameters -------------------------------------------------------------------------


def test_unknown_system_gets_a_did_you_mean() -> None:
    tables = {"strike_systems": data.load_table("strike_systems")}
    with pytest.raises(ParamError, match="Did you mean 'liutyi'"):
        _p(systems=["liutyy", "atacms_lr"]).check_data(tables)


def test_low_above_high_is_rejected() -> None:
    with pytest.raises(ValidationError, match="p_kill_drone_low"):
        _p(p_kill_drone_low=0.9, p_kill_drone_high=0.5)
    with pytest.raises(ValidationError, match="drone_cost_usd_mode"):
        _p(drone_cost_usd_mode=400_000.0)


# ---- key numbers --------------------------------------------------------------------------


def test_key_numbers_are_json_and_finite(key: dict[str, Quantity]) -> None:
    for name, q in key.items():
        json.dumps(q.as_record())
        assert q.name == f"drones.{name}"
        if isinstance(q.value, float):
            assert math.isfinite(q.value), name
        q.text()


def test_one_cost_ratio_the_ratio_of_the_medians_shown(key: dict[str, Quantity]) -> None:
    ratio = key["cost_ratio_soft"].value
    shown = key["missile_cpeh_soft_usd_m"].value / key["drone_cpeh_soft_usd_m"].value
    assert ratio == pytest.approx(shown)
    assert key["cost_ratio_soft"].kind == "ratio"
    assert not [n for n in key if "ratio" in n and n not in ("cost_ratio_soft", "cost_ratio_hard")]
    # Headline, chapter prose, judgment and bottom line all show that one quantity.
    text = key["cost_ratio_soft"].text()
    for html in (
        prose.render("drones", "headline", key, as_of=AS_OF, p={}),
        prose.render("drones", "costs", key, as_of=AS_OF, p={}),
        CHAPTER.judgments(key)[0].text,
    ):
        found = re.findall(r'data-q="drones\.cost_ratio_soft">([^<]*)<', str(html))
        assert found and set(found) == {text}
    assert text in CHAPTER.bottom_line(key)


def test_flags_follow_the_numbers(key: dict[str, Quantity]) -> None:
    k = {n: q.value for n, q in key.items()}
    assert k["cheaper_soft"] == (k["drone_cpeh_soft_usd_m"] < k["missile_cpeh_soft_usd_m"])
    assert k["cheaper_hard"] == (k["drone_cpeh_hard_usd_m"] < k["missile_cpeh_hard_usd_m"])
    assert k["deeper"] == (k["max_drone_reach"] > k["max_missile_reach"])
    assert k["hard_edge_smaller"] == (k["cost_ratio_hard"] < k["cost_ratio_soft"])
    assert k["deep_beyond_missiles"] == (k["max_drone_deep_reach"] > k["max_missile_deep_reach"])
    for name, q in key.items():
        if q.kind == "flag":
            assert isinstance(q.value, bool), name


def test_shares_of_draws_are_plain_percentages(key: dict[str, Quantity]) -> None:
    rendered = " ".join(say(t, key) for t in TEMPLATES)
    rendered += " ".join(j.text for j in CHAPTER.judgments(key))
    rendered += CHAPTER.bottom_line(key)
    for word in ICD_WORDS:
        assert word not in rendered, word
    assert key["share_drone_cheaper_soft"].kind == "share"


# ---- prose --------------------------------------------------------------------------------

SCENARIOS = {
    "baseline": (AS_OF, {}),
    "2022-07-04": ("2022-07-04", {}),
    "2023-06-01": ("2023-06-01", {}),
    "2024-06-01": ("2024-06-01", {}),
    "2025-06-01": ("2025-06-01", {}),
    "drones shot down": (AS_OF, {"p_kill_drone_low": 0.95, "p_kill_drone_high": 0.99}),
    "surge": (AS_OF, {"drone_output_multiplier": 10.0, "budget_usd_m_per_month": 1000.0}),
    "no drone supply": (AS_OF, {"drone_output_multiplier": 0.0}),
    "missiles only": (AS_OF, {"systems": ["atacms_lr", "storm_shadow"]}),
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
    assert TEMPLATES[0] and "headline" in TEMPLATES
    assert say("headline", k, as_of).startswith("Headline.")
    for judgment in CHAPTER.judgments(k):
        assert not EMPTY.search(judgment.text) and judgment.confidence == "low"
    line = CHAPTER.bottom_line(k)
    assert line is None or (line and not line.endswith(".") and line[0].islower())


def test_no_digit_typed_in_a_template() -> None:
    folder = prose.template_folder("drones")
    paths = [*folder.glob("*.j2"), *prose.template_folder("drones", "summary").glob("*.j2")]
    assert len(paths) == len(TEMPLATES) + len(SUMMARY_TEMPLATES)
    for path in paths:
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", path.read_text(), flags=re.S)
        assert not re.search(r"\d", text), f"digit typed in {path.name}"


# ---- each flag, both branches ----------------------------------------------------------------


def test_gmlrs_in_reach_makes_missiles_cheaper_at_the_baseline(key: dict[str, Quantity]) -> None:
    # GMLRS reaches targets from launchers 20 km behind the line: no silent exclusion.
    assert key["best_missile_soft"].value == "GMLRS" and not key["cheaper_soft"].value
    far = numbers(**NO_GMLRS)
    assert far["best_missile_soft"].value != "GMLRS"


def test_cheaper_soft_both_branches() -> None:
    key = numbers(**NO_GMLRS)
    assert key["cheaper_soft"].value
    assert "the missile costs" in say("headline", key)
    assert "drones win on price per effective hit against soft targets" in say("contrast", key)
    other = numbers(**SCENARIOS["drones shot down"][1])
    assert other["comparable"].value and not other["cheaper_soft"].value
    assert "the drone costs more" in say("headline", other)
    assert "missiles win on price per effective hit even against soft targets" in say(
        "contrast", other
    )
    assert "costs more per effective hit" in CHAPTER.judgments(other)[0].text
    assert "costs more per effective hit" in CHAPTER.bottom_line(other)


def test_cheaper_hard_both_branches() -> None:
    key = numbers(**NO_GMLRS)
    assert key["cheaper_hard"].value
    assert "the drone stays cheaper at the median" in say("headline", key)
    other = numbers(p_kill_drone_low=0.75, p_kill_drone_high=0.9, **NO_GMLRS)
    assert other["cheaper_soft"].value and not other["cheaper_hard"].value
    assert "the missile is cheaper at the median" in say("headline", other)
    assert "holds for soft targets but not for hardened ones" in say("headline", other)
    assert "missiles keep the edge against hardened targets" in say("contrast", other)


def test_hard_edge_smaller_both_branches(key: dict[str, Quantity]) -> None:
    assert key["hard_edge_smaller"].value
    assert "the drones' edge shrinks" in say("costs", key)
    # Soft targets that need a big warhead and hard ones that need almost none: the edge grows.
    other = numbers(kg_soft_low=1000.0, kg_soft_high=2000.0, kg_hard_low=1.0, kg_hard_high=2.0)
    assert not other["hard_edge_smaller"].value
    assert "the drones' edge does not shrink" in say("costs", other)


def _short_range_drones(as_of: str = AS_OF) -> dict[str, pd.DataFrame]:
    tables = tables_at(as_of)
    s = tables["strike_systems"]
    drone = s["system_class"] == "drone"
    for col in ("range_km_low", "range_km_central", "range_km_high"):
        s.loc[drone, col] = 120.0
    return tables


def test_deeper_both_branches(key: dict[str, Quantity]) -> None:
    assert key["deeper"].value and key["deep_beyond_missiles"].value
    assert 'its "deeper" holds' in say("headline", key)
    assert "reach further than" in CHAPTER.judgments(key)[1].text
    assert "No missile here reaches targets more than" in say("contrast", key)
    other = numbers(tables=_short_range_drones())
    assert not other["deeper"].value and not other["deep_beyond_missiles"].value
    assert 'The article\'s "deeper" does not hold' in say("reach", other)
    assert "do not reach further than" in CHAPTER.judgments(other)[-1].text
    assert "The drones reach no more deep targets than the missiles here" in say("contrast", other)


def test_comparable_both_branches() -> None:
    k = numbers("2022-07-04")
    assert not k["comparable"].value
    text = say("headline", k, "2022-07-04")
    assert "cannot yet be compared" in text
    assert "No cost comparison" in say("costs", k, "2022-07-04")
    assert CHAPTER.judgments(k) == [] and CHAPTER.bottom_line(k) is None
    missiles_only = numbers(**SCENARIOS["missiles only"][1])
    assert "include no drone that reaches a target" in say("headline", missiles_only)


def test_interception_and_payload_flags_both_branches(key: dict[str, Quantity]) -> None:
    assert key["drones_intercepted_more"].value and key["drone_hard_effect_weaker"].value
    text = say("contrast", key)
    assert "drones pay for their price with losses" in text
    assert "the heavier missile warhead counts there" in text
    other = numbers(
        p_kill_drone_low=0.0,
        p_kill_drone_high=0.05,
        systems=["atacms_lr", "storm_shadow", "palianytsia"],
        drone_payload_kg_low=900.0,
        drone_payload_kg_high=1000.0,
    )
    assert not other["drones_intercepted_more"].value
    assert not other["drone_hard_effect_weaker"].value
    text = say("contrast", other)
    assert "drones get through as often as missiles or more" in text
    assert "warhead counts there" not in text


def test_budget_flags_both_branches(key: dict[str, Quantity]) -> None:
    assert key["drones_first"].value and key["production_plan_public"].value
    assert "every dollar goes to drones" in say("budget", key)
    none = numbers(drone_output_multiplier=0.0)
    assert not none["drones_first"].value
    assert "Missiles take part of the spending from the smallest budget" in say("budget", none)
    exhausted = {
        numbers(as_of)["drone_supply_exhausted"].value for as_of in (AS_OF, "2025-06-01")
    } | {numbers(drone_output_multiplier=m)["drone_supply_exhausted"].value for m in (0.5, 50.0)}
    assert exhausted == {True, False}
    early = numbers("2023-06-01")
    assert not early["production_plan_public"].value
    assert "No drone production plan is public" in say("budget", early, "2023-06-01")
    nothing = numbers("2022-07-04", **NO_GMLRS)
    assert not nothing["mix_spends"].value
    assert "buys nothing" in say("budget", nothing, "2022-07-04")
    scaled = numbers(drone_output_multiplier=2.0)
    assert scaled["output_scaled"].value and not key["output_scaled"].value
    assert "taken here at" in say("budget", scaled)
    assert "taken here at" not in say("budget", key)


def test_supply_exhausted_sentence_follows_the_flag() -> None:
    for m in (0.5, 1.0, 50.0):
        k = numbers(drone_output_multiplier=m)
        if not k["drones_first"].value:
            continue
        text = say("budget", k)
        if k["drone_supply_exhausted"].value:
            assert "as drone production is used up" in text
        else:
            assert "before drone production is used up" in text


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


# ---- data -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTER.tables)
def test_tables_validate(name: str) -> None:
    assert len(data.load_table(name)) > 0


def test_drone_rows_in_shared_systems_table() -> None:
    systems = data.load_table("strike_systems").set_index("system_id")
    for sid in ("liutyi", "uj26_beaver", "morok", "palianytsia", "fp1"):
        assert systems.loc[sid, "system_class"] == "drone"
    # Missile rows of the supply chapter are still there.
    assert {"atacms_lr", "storm_shadow", "gmlrs"} <= set(systems.index)


def test_claims_are_labelled() -> None:
    claims = data.load_table("drone_claims")
    assert (claims["claimed_by"] == "Russia").all()
