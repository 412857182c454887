"""Invariants of the Pattern chapter: an honest record, the earliest refusal, censoring, the
survival estimate, the US test set, both branches of each coding flag, and clean prose."""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pytest

from deepstrike import data, prose
from deepstrike.chapters.pattern import CHAPTER
from deepstrike.chapters.pattern import model as pattern
from deepstrike.chapters.pattern.params import PATTERN_SYSTEMS, PatternParams
from deepstrike.language import Quantity

AS_OF = "2024-11-18"
AS_OFS = ("2022-07-04", "2023-06-01", "2024-06-01", AS_OF, "2025-06-01")


@functools.cache
def _table(as_of: str | None) -> pd.DataFrame:
    return data.load_table("pattern_events", as_of=as_of)


def _load(as_of: str | None = None) -> pd.DataFrame:
    return _table(as_of).copy()


@pytest.fixture(scope="module")
def everything() -> pd.DataFrame:
    return _load()


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return _load(AS_OF)


def _event(
    system: str,
    kind: str,
    low: str,
    high: str | None = None,
    decider: str = "US",
    scope: str = "system",
) -> dict:
    high = high or low
    return {
        "event_id": f"{system}_{kind}_{low}",
        "system_id": system,
        "system_name": system.upper(),
        "decider": decider,
        "event_type": kind,
        "event_scope": scope,
        "date_low": pd.Timestamp(low),
        "date_central": pd.Timestamp(low),
        "date_high": pd.Timestamp(high),
        "date_basis": "day" if high == low else "approximate",
        "claimed_by": None,
    }


def _params(systems: list[str], **kw) -> PatternParams:
    return PatternParams(systems=systems, **({"draws": 1000, "curve_draws": 30} | kw))


def _run(events: pd.DataFrame, systems: list[str], as_of: str = AS_OF, seed: int = 1, **kw):
    return pattern.analyse(_params(systems, **kw), {"pattern_events": events}, as_of, seed)


def _key(result: pattern.PatternResult) -> dict:
    return {name: q.value for name, q in pattern.key_numbers(result).items()}


# ---- the record ------------------------------------------------------------------------------


def test_no_central_date_is_an_unsourced_midpoint(everything: pd.DataFrame) -> None:
    # A central date is a day a source gives, one of two sourced bounds, or (approximate) no
    # day at all: the range's first day, with a note of what the sources say.
    for row in everything.itertuples():
        if row.date_basis == "day":
            assert row.date_low == row.date_central == row.date_high, row.event_id
        elif row.date_basis == "bound":
            assert row.date_low < row.date_high, row.event_id
            assert row.date_central in (row.date_low, row.date_high), row.event_id
            assert row.date_note, row.event_id
        else:
            assert row.date_basis == "approximate", row.event_id
            assert row.date_central == row.date_low < row.date_high, row.event_id
            assert str(row.date_note).startswith("approximate:"), row.event_id


def test_dates_the_audit_flagged_as_midpoints_are_ranges(everything: pd.DataFrame) -> None:
    flagged = [
        "patriot_request",
        "patriot_refusal",
        "atacms_delivery",
        "atacms_lr_approval",
        "atacms_lr_delivery",
    ]
    rows = everything.set_index("event_id").loc[flagged]
    assert (rows["date_basis"] == "approximate").all()
    assert (rows["date_low"] < rows["date_high"]).all()


def test_every_refusal_precedes_the_approval_it_ends(everything: pd.DataFrame) -> None:
    coded = pattern.code(everything)
    for system, part in coded[coded["counted"]].groupby("system_id"):
        approvals = part[part["stage"] == "approval"]
        refusals = part[part["stage"] == "refusal"]
        if len(approvals) and len(refusals):
            first_approval = approvals["date_high"].min()
            assert (refusals["date_low"] <= first_approval).all(), system


def test_deciders_split_into_the_us_test_set_and_allies(events: pd.DataFrame) -> None:
    r = _run(events, PATTERN_SYSTEMS)
    assert {s for s, g in r.groups.items() if g == "US"} == {
        "himars",
        "abrams",
        "f16",
        "patriot",
        "atacms",
        "atacms_lr",
        "us_weapons_kharkiv",
        "atacms_in_russia",
    }
    assert {"leopard2", "taurus", "storm_shadow_in_russia"} <= {
        s for s, g in r.groups.items() if g == "allies"
    }


# ---- done means: every refusal starts at the first public refusal ----------------------------


@pytest.mark.parametrize("as_of", AS_OFS)
def test_each_refusal_starts_at_the_earliest_counted_refusal_or_hesitation(as_of: str) -> None:
    events = _load(as_of)
    r = _run(events, PATTERN_SYSTEMS, as_of=as_of)
    ev = r.events
    for row in r.decisions.itertuples():
        part = ev[(ev["system_id"] == row.system_id) & ev["event_type"].isin(pattern.REFUSAL_TYPES)]
        counted = part[part["counted"]]
        # the refusal used is the earliest refusal-type event of that decision ...
        assert row.first_refusal_low == counted["date_low"].min(), row.system_id
        # ... and every earlier one in the data is excluded for a stated reason.
        earlier = part[part["date_low"] < row.first_refusal_low]
        assert (~earlier["counted"]).all() and (earlier["exclusion"] != "").all(), row.system_id


def test_with_every_row_counted_the_refusal_is_the_minimum_over_the_data(
    everything: pd.DataFrame,
) -> None:
    r = _run(everything, PATTERN_SYSTEMS, as_of="2025-06-01", recounted="count")
    assert r.events[r.events["stage"] == "refusal"]["counted"].all()
    refusals = everything[everything["event_type"].isin(pattern.REFUSAL_TYPES)]
    earliest = refusals.groupby("system_id")["date_low"].min()
    used = r.decisions.set_index("system_id")["first_refusal_low"]
    pd.testing.assert_series_equal(
        used.sort_index(), earliest.loc[used.index].sort_index(), check_names=False
    )
    assert set(used.index) == set(earliest.index)


def test_each_draw_starts_the_clock_at_the_earliest_drawn_refusal() -> None:
    frame = pd.DataFrame(
        [
            _event("x", "refusal", "2023-03-01", "2023-03-31"),
            _event("x", "hesitation", "2023-02-20", "2023-03-10"),
            _event("x", "approval", "2023-06-01"),
        ]
    )
    coded = pattern.code(frame)
    days = pattern.sample_event_days(coded, 4000, seed=5)
    samples = pattern.stage_samples(coded, days, ["x"])
    start = samples[0, pattern.STAGES.index("refusal")]
    np.testing.assert_array_equal(start, days[:2].min(axis=0))
    assert (start < days[0]).any() and (start < days[1]).any()  # either row can be first


# ---- coding flags, both branches --------------------------------------------------------------


def test_scope_class_counts_the_fighter_jet_refusal_scope_system_does_not(
    events: pd.DataFrame,
) -> None:
    broad = _run(events, PATTERN_SYSTEMS).decisions.set_index("system_id")
    narrow = _run(events, PATTERN_SYSTEMS, refusal_scope="system").decisions.set_index("system_id")
    assert broad.loc["f16", "first_refusal_low"] == pd.Timestamp("2022-03-09")
    assert narrow.loc["f16", "first_refusal_low"] == pd.Timestamp("2023-01-30")
    assert (narrow["median_days"] <= broad.loc[narrow.index, "median_days"]).all()
    assert narrow.loc["himars", "median_days"] == broad.loc["himars", "median_days"]


def test_recounted_private_refusals_start_the_clock_only_when_asked(events: pd.DataFrame) -> None:
    default = _run(events, PATTERN_SYSTEMS).decisions.set_index("system_id")
    counted = _run(events, PATTERN_SYSTEMS, recounted="count").decisions.set_index("system_id")
    # Reznikov recounted in April 2023 an answer given in August 2021.
    assert default.loc["patriot", "first_refusal_low"] == pd.Timestamp("2022-03-10")
    assert counted.loc["patriot", "first_refusal_low"] == pd.Timestamp("2021-08-01")
    assert counted.loc["patriot", "low_days"] < counted.loc["patriot", "high_days"]


def test_a_refusal_reported_late_is_excluded_with_its_reason() -> None:
    frame = pd.DataFrame(
        [_event("x", "refusal", "2022-01-10"), _event("x", "approval", "2022-06-01")]
    )
    frame["known_from"] = pd.Timestamp("2023-01-01")
    coded = pattern.code(frame)
    row = coded[coded["stage"] == "refusal"].iloc[0]
    assert not row["counted"] and "first reported" in row["exclusion"]
    frame["known_from"] = pd.Timestamp("2022-01-11")
    assert pattern.code(frame)["counted"].all()


# ---- censoring and the survival estimate ------------------------------------------------------


def test_refusal_without_approval_is_censored_at_as_of_and_never_counted_as_approved() -> None:
    frame = pd.DataFrame(
        [
            _event("x", "refusal", "2024-01-01"),
            _event("y", "refusal", "2024-01-01"),
            _event("y", "approval", "2024-01-31"),
        ]
    )
    r = _run(frame, ["x", "y"], as_of="2024-03-01")
    d = r.decisions.set_index("system_id")
    assert bool(d.loc["x", "censored"]) and d.loc["x", "median_days"] == 60
    assert not d.loc["y", "censored"]
    k = _key(r)
    assert k["us_not_approved"] == ["X"] and k["n_us_not_approved"] == 1


def test_kaplan_meier_matches_the_hand_count() -> None:
    # Four exact refusals of 10, 20, 30 and 40 days: S(t) falls by a quarter at each.
    frame = pd.DataFrame(
        [_event(s, "refusal", "2023-01-01") for s in "abcd"]
        + [
            _event(s, "approval", str(pd.Timestamp("2023-01-01") + pd.Timedelta(days=n)))
            for s, n in zip("abcd", (10, 20, 30, 40), strict=True)
        ]
    )
    r = _run(frame, list("abcd"), months_threshold_days=15, long_threshold_days=35)
    c = r.curves["US"]
    assert c["median"] == 20
    assert c["shares"][0]["share"] == pytest.approx(0.75)  # 15 days or more
    assert c["shares"][1]["share"] == pytest.approx(0.25)  # 35 days or more
    assert c["shares"][0]["low"] < 0.75 < c["shares"][0]["high"]


def test_censoring_keeps_the_curve_up_where_a_naive_count_would_drop() -> None:
    # b has been refused for 12 days on the as-of date: it leaves the risk set then, it is
    # neither approved nor refused for 14 days. A naive count (1 of 3 refused 14 days or more)
    # would halve the share.
    frame = pd.DataFrame(
        [
            _event("a", "refusal", "2024-01-01"),
            _event("a", "approval", "2024-01-11"),
            _event("b", "refusal", "2024-01-19"),
            _event("c", "refusal", "2024-01-01"),
            _event("c", "approval", "2024-01-31"),
        ]
    )
    r = _run(
        frame, ["a", "b", "c"], as_of="2024-01-31", months_threshold_days=14, long_threshold_days=25
    )
    c = r.curves["US"]
    assert c["shares"][0]["share"] == pytest.approx(2 / 3)
    assert c["shares"][1]["share"] == pytest.approx(2 / 3)
    assert c["median"] == 30 and c["n_censored"] == 1


def test_a_share_past_the_longest_follow_up_is_not_reported() -> None:
    frame = pd.DataFrame(
        [_event("x", "refusal", "2024-01-01"), _event("y", "refusal", "2024-01-20")]
    )
    r = _run(frame, ["x", "y"], as_of="2024-03-01")  # followed for 60 and 41 days only
    k = _key(r)
    assert k["us_share_short"] is None and k["us_median_days"] is None


def test_date_uncertainty_shows_as_a_spread_over_draws() -> None:
    rows = [_event(s, "refusal", "2023-01-01") for s in "abc"]
    rows += [
        _event("a", "approval", "2023-02-01", "2023-05-31"),
        _event("b", "approval", "2023-03-01", "2023-06-30"),
        _event("c", "approval", "2023-04-01", "2023-07-31"),
    ]
    c = _run(pd.DataFrame(rows), list("abc")).curves["US"]
    assert c["median_date_low"] < c["median_date_high"]
    assert (c["s_date_low"] <= c["s"]).all() and (c["s"] <= c["s_date_high"]).all()


def test_a_first_use_without_approval_implies_one_between_refusal_and_use() -> None:
    frame = pd.DataFrame(
        [
            _event("x", "hesitation", "2024-09-13", decider="UK"),
            _event("x", "first_use", "2024-11-20", decider="UK"),
        ]
    )
    r = _run(frame, ["x"], as_of="2025-01-01")
    implied = r.events[r.events["implied"]].iloc[0]
    assert implied["date_low"] == pd.Timestamp("2024-09-13")
    assert implied["date_high"] == pd.Timestamp("2024-11-20")
    d = r.decisions.iloc[0]
    assert not d["censored"] and 0 <= d["low_days"] < d["high_days"] <= 68
    assert _key(r)["implied_approvals"] == ["X"]
    # Before the first use was public, the same decision is censored.
    early = _run(frame.iloc[:1], ["x"], as_of="2024-11-18")
    assert bool(early.decisions.iloc[0]["censored"])


def test_storm_shadow_inside_russia_is_censored_at_the_baseline_and_implied_later() -> None:
    base = _key(_run(_load(AS_OF), PATTERN_SYSTEMS))
    assert "Storm Shadow use inside Russia" in base["allies_not_approved"]
    assert "Taurus" in base["allies_not_approved"]
    later = _load("2025-06-01")
    k = _key(_run(later, PATTERN_SYSTEMS, as_of="2025-06-01"))
    assert k["implied_approvals"] == ["Storm Shadow use inside Russia"]
    assert k["allies_not_approved"] == ["Taurus"]


def test_allied_data_do_not_move_the_us_verdict(events: pd.DataFrame) -> None:
    us_only = [s for s in PATTERN_SYSTEMS if s not in ("leopard2", "taurus", "storm_shadow")]
    with_allies = _key(_run(events, PATTERN_SYSTEMS))
    without = _key(_run(events, us_only))
    for name in ("us_median_days", "us_share_short", "us_share_long", "n_us"):
        assert with_allies[name] == without[name], name


# ---- the model's mechanics --------------------------------------------------------------------


def test_delays_are_never_negative(events: pd.DataFrame) -> None:
    r = _run(events, PATTERN_SYSTEMS)
    assert (r.summary["low_days"] >= 0).all()


def test_overlapping_approximate_dates_stay_chronological() -> None:
    frame = pd.DataFrame(
        [
            _event("x", "approval", "2023-05-01", "2023-05-31"),
            _event("x", "delivery", "2023-05-01", "2023-05-31"),
        ]
    )
    coded = pattern.code(frame)
    samples = pattern.stage_samples(coded, pattern.sample_event_days(coded, 5000, 3), ["x"])
    delay, _ = pattern.delay_samples(samples, "2024-01-01")["approval_to_delivery"]
    assert (delay >= 0).all() and delay.max() > 0


def test_same_seed_same_result_other_seed_differs(events: pd.DataFrame) -> None:
    a = _run(events, PATTERN_SYSTEMS).summary
    b = _run(events, PATTERN_SYSTEMS).summary
    c = _run(events, PATTERN_SYSTEMS, seed=2).summary
    pd.testing.assert_frame_equal(a, b)
    assert not (a["high_days"].equals(c["high_days"]) and a["low_days"].equals(c["low_days"]))


def test_exact_dates_give_exact_delays() -> None:
    frame = pd.DataFrame(
        [_event("x", "refusal", "2022-05-30"), _event("x", "approval", "2022-06-01")]
    )
    row = _run(frame, ["x"]).summary.query("delay == 'refusal_to_approval'").iloc[0]
    assert row["median_days"] == row["low_days"] == row["high_days"] == 2


def test_longer_horizons_never_raise_the_share_still_refused(events: pd.DataFrame) -> None:
    shares = [
        _key(_run(events, PATTERN_SYSTEMS, months_threshold_days=t, long_threshold_days=t + 1))[
            "us_share_short"
        ]
        for t in (14, 30, 60, 91, 182, 365)
    ]
    assert shares == sorted(shares, reverse=True)


def test_horizons_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="must exceed"):
        PatternParams(months_threshold_days=200, long_threshold_days=100)


def test_unknown_system_is_refused(events: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not in the events table"):
        pattern.stage_dates(events, ["no_such_system"])


def test_a_decision_with_no_public_event_yet_gives_an_empty_result() -> None:
    early = _load("2022-07-04")
    r = _run(early, ["abrams"], as_of="2022-07-04")
    k = _key(r)
    assert r.systems == [] and k["n_us"] == 0 and k["us_median_days"] is None
    assert CHAPTER.judgments(CHAPTER.numbers(r)) == []


def test_article_examples_hold_in_the_data(events: pd.DataFrame) -> None:
    # The article's own examples: HIMARS was held back about two weeks (first reported
    # resistance on 18 May 2022, approval on 31 May / 1 June), ATACMS for many months.
    days = _key(_run(events, PATTERN_SYSTEMS))["refusal_days"]
    assert 7 <= days["himars"] <= 21
    assert days["atacms"] >= 180


def test_key_numbers_are_consistent(events: pd.DataFrame) -> None:
    k = _key(_run(events, PATTERN_SYSTEMS))
    assert k["n_us"] + k["n_allies"] + len(k["never_refused"]) == k["n_systems"]
    assert k["us_median_low_days"] <= k["us_median_days"] <= k["us_median_high_days"]
    assert k["us_share_short_low"] <= k["us_share_short"] <= k["us_share_short_high"]
    assert k["us_share_long"] <= k["us_share_short"]
    assert k["us_shortest_days"] <= k["us_median_days"] <= k["us_longest_days"]
    assert k["n_excluded"] == len(k["excluded_events"])
    assert k["n_us_refused_short"] == round(k["us_share_short"] * k["n_us"])  # no censoring yet


# ---- prose ------------------------------------------------------------------------------------

EMPTY = re.compile(r'<span class="q"[^>]*>–</span>')
NONSENSE = re.compile(r"\bnan\b|\binf\b|\bNone\b|\(\s*\)|\s[,.;]")
VARIANTS = {
    "baseline": (AS_OF, {}),
    "early": ("2022-07-04", {}),
    "system scope": (AS_OF, {"refusal_scope": "system"}),
    "recounted": (AS_OF, {"recounted": "count"}),
    "hindsight": ("2025-06-01", {}),
    "allies only": (AS_OF, {"systems": ["leopard2", "taurus", "storm_shadow"]}),
    "nothing yet": ("2022-07-04", {"systems": ["abrams"]}),
}


def _numbers(as_of: str, **changes) -> tuple[dict[str, Quantity], dict]:
    params = _params(changes.pop("systems", PATTERN_SYSTEMS), **changes)
    tables = {"pattern_events": _load(as_of)}
    k = CHAPTER.numbers(CHAPTER.analyse(params, tables, as_of, 7))
    return k, {"as_of": as_of, "p": params.model_dump(mode="json")}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_template_renders_clean_sentences(variant: str) -> None:
    as_of, changes = VARIANTS[variant]
    k, context = _numbers(as_of, **dict(changes))
    for template in prose.template_names("pattern"):
        html = str(prose.render("pattern", template, k, **context))
        text = prose.plain(html)
        assert text, template
        assert not EMPTY.search(html), f"{template}: an empty quantity is shown"
        bad = NONSENSE.search(text)
        assert bad is None, f"{template}: {bad.group()!r} in {text[:300]!r}"
    for judgment in CHAPTER.judgments(k):
        assert not EMPTY.search(judgment.text)
        assert not NONSENSE.search(prose.plain(judgment.text)), judgment.text
        assert judgment.confidence in {"low", "moderate"}


def test_no_digit_typed_in_a_template() -> None:
    paths = [
        *prose.template_folder("pattern").glob("*.j2"),
        *prose.template_folder("pattern", "summary").glob("*.j2"),
    ]
    for path in paths:
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", path.read_text(), flags=re.S)
        assert not re.search(r"\d", text), f"digit typed in {path.name}"


def test_measured_durations_use_plain_words_not_estimative_ones() -> None:
    # ICD 203 words are for uncertain events; these are measured past durations.
    k, context = _numbers(AS_OF)
    words = re.compile(r"\b(almost certain|very likely|likely|roughly even|unlikely|almost no)\b")
    for template in prose.template_names("pattern"):
        assert not words.search(prose.plain(prose.render("pattern", template, k, **context)))
    for judgment in CHAPTER.judgments(k):
        assert not words.search(prose.plain(judgment.text))


def test_the_verdict_follows_the_curve() -> None:
    k, context = _numbers(AS_OF)
    long_ = prose.plain(prose.render("pattern", "survival", k, **context))
    assert "bears out" in long_
    short = dict(k)
    short["us_median_days"] = Quantity(20.0, "days", kind="days", name="pattern.us_median_days")
    text = prose.plain(prose.render("pattern", "survival", short, **context))
    assert "does not bear out refusals of months" in text
    judgment = CHAPTER.judgments(short)[0].text
    assert "mostly short" in prose.plain(judgment)


def test_confidence_is_moderate_only_when_the_coding_agrees(events: pd.DataFrame) -> None:
    r = _run(events, PATTERN_SYSTEMS)
    assert pattern.confidence(r.decisions, r.stages, [436.0, 109.0], 91) == "moderate"
    assert pattern.confidence(r.decisions, r.stages, [436.0, 60.0], 91) == "low"
    early = _load("2022-07-04")
    assert _key(_run(early, PATTERN_SYSTEMS, as_of="2022-07-04"))["confidence"] == "low"


def test_the_curve_is_scipys_kaplan_meier_on_the_decisions(events: pd.DataFrame) -> None:
    from scipy import stats

    r = _run(events, PATTERN_SYSTEMS)
    us = r.decisions[r.decisions["group"] == "US"]
    d, c = us["median_days"].to_numpy(), us["censored"].to_numpy()
    fit = stats.ecdf(stats.CensoredData(uncensored=d[~c], right=d[c])).sf
    median = fit.quantiles[np.flatnonzero(fit.probabilities <= 0.5)[0]]
    assert r.curves["US"]["median"] == median
    assert r.curves["US"]["shares"][0]["share"] == pytest.approx(fit.evaluate(90.5))


def test_the_coding_sentence_follows_the_numbers() -> None:
    k, context = _numbers(AS_OF)
    assert k["coding_dominates"].value
    text = prose.plain(prose.render("pattern", "sensitivity", k, **context))
    assert text.startswith("The coding rules move the answer more")
    flipped = dict(k)
    flipped["coding_dominates"] = Quantity(False, kind="flag", name="pattern.coding_dominates")
    text = prose.plain(prose.render("pattern", "sensitivity", flipped, **context))
    assert "move the answer more" not in text
