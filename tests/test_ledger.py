"""The forecast ledger: a synthetic ledger with known answers, scored against values computed by
hand; the questions the chapters declare; data/outcomes.csv; the scorecard partial."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from deepstrike import data, ledger, render

AS_OF = date(2020, 1, 10)


def _events(tables):  # noqa: ANN001, ANN202 - the synthetic record: one table of dated events
    t = tables["demo_events"]
    return pd.DataFrame({"date_low": t["low"], "date_high": t["high"], "id": t["id"]})


RECORD = {"events": _events, "start": "2020-01-01", "end": "2020-12-31", "tables": ("demo_events",)}


def _q(name: str, kind: str, **extra) -> ledger.Question:  # noqa: ANN003
    spec = {
        "name": name,
        "kind": kind,
        "wording": "Will it happen within {window}?",
        "definition": "It happens.",
        "phrase": f"event {name}",
        "window": "horizon",
        "window_unit": "days",
        "forecast": f"p_{name}" if kind == "binary" else f"{name}_median",
        "record": RECORD,
        **extra,
    }
    return ledger.make_question("demo", spec)


def _visible(*days: str) -> dict[str, pd.DataFrame]:
    """The record as public at the as-of date: events on these days."""
    stamps = pd.to_datetime(list(days))
    return {"demo_events": pd.DataFrame({"low": stamps, "high": stamps, "id": list(days)})}


# ----------------------------------------------------------------- the base rate, by hand


def test_climatology_by_hand() -> None:
    # Windows of 5 days inside 1-10 Jan start on 1..6 Jan (6 windows); an event on 1 Jan is in
    # the first only: share 1/6. They hold (6 + 5 - 1) / 5 = 2 independent windows, so the
    # Jeffreys-smoothed rate is (1/6 * 2 + 1/2) / (2 + 1) = 5/18.
    q = _q("a", "binary")
    assert ledger.climatology(q, _visible("2020-01-01"), AS_OF, 5) == pytest.approx(5 / 18)
    # an event on 3 Jan lies in the windows starting 1, 2 and 3 Jan: share 1/2 -> (1 + .5) / 3
    assert ledger.climatology(q, _visible("2020-01-03"), AS_OF, 5) == pytest.approx(0.5)
    # no window closed yet: the prior's mean
    assert ledger.climatology(q, _visible(), date(2020, 1, 3), 5) == 0.5


def test_count_climatology_by_hand() -> None:
    # 2 events in the 10 days 1-10 Jan: (2 + 1/2) events per 10 days, 1.25 per 5-day window
    q = _q("n", "count", low="n_low", high="n_high", unit="events")
    got = ledger.count_climatology(q, _visible("2020-01-02", "2020-01-08"), AS_OF, 5)
    assert got == pytest.approx(1.25)


# ----------------------------------------------------------------- a synthetic ledger


def _outcomes(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for c in ("origin", "window_end", "event_date", "event_date_low", "event_date_high"):
        if c in frame:
            frame[c] = pd.to_datetime(frame[c])
    return frame


@pytest.fixture
def synthetic() -> tuple[list[ledger.Question], list[dict]]:
    qs = [
        _q("a", "binary"),  # 80%, happened
        _q("b", "binary"),  # 30%, did not
        _q("c", "binary"),  # 10%, happened, disputed
        _q("n", "count", low="n_low", high="n_high", unit="events"),
        _q(
            "w",
            "date",
            forecast="w_median",
            low="w_low",
            high="w_high",
            event_probability="p_w",
            window_unit="weeks",
        ),
    ]
    numbers = {
        "horizon": 5,
        "interval_pct": 90,
        "p_a": 0.8,
        "p_b": 0.3,
        "p_c": 0.1,
        "n_median": 2,
        "n_low": 0,
        "n_high": 6,
        "p_w": 0.33,
        "w_median": None,
        "w_low": 12,
        "w_high": 26,
    }
    end = "2020-01-15"
    outcomes = _outcomes(
        [
            {
                "question_id": "demo.a",
                "origin": "2020-01-10",
                "window_end": end,
                "outcome": 1,
                "event_date": "2020-01-12",
                "description": "A happened",
            },
            {"question_id": "demo.b", "origin": "2020-01-10", "window_end": end, "outcome": 0},
            {
                "question_id": "demo.c",
                "origin": "2020-01-10",
                "window_end": end,
                "outcome": 1,
                "outcome_low": 0,
                "outcome_high": 1,
                "event_date": "2020-01-13",
                "dispute": "who did it",
            },
            {"question_id": "demo.n", "origin": "2020-01-10", "window_end": end, "outcome": 3},
        ]
    )
    # the date question has a 26-week window (w: weeks), resolved by a range of days
    outcomes = pd.concat(
        [
            outcomes,
            _outcomes(
                [
                    {
                        "question_id": "demo.w",
                        "origin": "2020-01-10",
                        "window_end": "2020-07-10",
                        "outcome": 1,
                        "event_date_low": "2020-03-06",
                        "event_date_high": "2020-03-23",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    tables = {**_visible("2020-01-01"), ledger.OUTCOMES: outcomes}
    out = []
    for q in qs:
        own = dict(numbers, horizon=26 if q.name == "w" else 5)
        out.append(ledger.entry(q, own, AS_OF, tables, _visible("2020-01-01"), date(2026, 1, 1)))
    return qs, out


def test_binary_scores_by_hand(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    a, b, c = e[0]["score"], e[1]["score"], e[2]["score"]
    assert a["brier"] == pytest.approx(0.04)  # (0.8 - 1)^2
    assert b["brier"] == pytest.approx(0.09)  # (0.3 - 0)^2
    assert c["brier"] == pytest.approx(0.81)  # (0.1 - 1)^2
    assert c["brier_other"] == [pytest.approx(0.01)]  # the other way: (0.1 - 0)^2
    assert a["brier_half"] == b["brier_half"] == 0.25
    base = 5 / 18
    assert e[0]["base_rate"] == pytest.approx(base)
    assert a["brier_base"] == pytest.approx((1 - base) ** 2)  # 169/324
    assert b["brier_base"] == pytest.approx(base**2)  # 25/324
    assert (a["miss"], b["miss"], c["miss"]) == (False, False, True)


def test_totals_by_hand(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    t = ledger.totals(e)
    assert t["n_binary"] == 3 and t["n_ranged"] == 2
    assert t["brier"] == pytest.approx(0.94 / 3)
    assert t["brier_other"] == pytest.approx(0.14 / 3)
    assert t["brier_half"] == pytest.approx(0.25)
    assert t["brier_base"] == pytest.approx(363 / 972)
    assert t["skill_base"] == pytest.approx(1 - (0.94 / 3) / (363 / 972))
    assert t["skill_half"] == pytest.approx(1 - (0.94 / 3) / 0.25)
    assert t["n_disputed"] == 1 and t["n_misses"] == 1
    # the count fell inside its interval, the date outside: one of two
    assert (t["n_covered"], t["n_coverable"]) == (1, 2)


def test_count_scores_by_hand(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    s = e[3]["score"]
    assert s["covered"] is True  # 3 in [0, 6]
    # CDF through (-1, 0), (0, .05), (2, .5), (6, .95), (10, 1): F(2) = .5,
    # F(3) = .5 + .45 / 4 = .6125; mid-PIT (F(2) + F(3)) / 2 = .55625
    assert s["pit"] == pytest.approx(0.55625)
    points = ledger.cdf_points("count", e[3]["forecast"])
    assert ledger.pit(points, 0) == pytest.approx(0.025)  # (F(-1) + F(0)) / 2 = .05 / 2


def test_date_scores_by_hand(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    r, s = e[4]["resolution"], e[4]["score"]
    # 6-23 March 2020 is 56-73 days after 10 January: weeks 8 to 11; the middle day (14 Mar,
    # 64 days) is in week 10
    assert (r["week_low"], r["week"], r["week_high"]) == (8, 10, 11)
    assert s["covered"] is False  # week 10 is not in weeks 12-26
    # CDF through (0, 0), (12, .33 x .05), (26, .33 x .95), (26, .33): F(w) = .0165 w / 12
    assert s["pit"] == pytest.approx((0.0165 * 9 / 12 + 0.0165 * 10 / 12) / 2)
    assert s["miss"] is True


def test_open_and_unresolved() -> None:
    q = _q("a", "binary")
    numbers = {"horizon": 5, "p_a": 0.5}
    tables = {
        **_visible(),
        ledger.OUTCOMES: _outcomes(
            [
                {
                    "question_id": "x.y",
                    "origin": "2000-01-01",
                    "window_end": "2000-01-02",
                    "outcome": 0,
                }
            ]
        ),
    }
    late = ledger.entry(q, numbers, date(2021, 3, 1), tables, _visible(), date(2021, 3, 3))
    assert late["resolution"]["status"] == "open"
    closed = ledger.entry(q, numbers, date(2021, 3, 1), tables, _visible(), date(2021, 6, 1))
    assert closed["resolution"]["status"] == "unresolved"  # after the record's end


def test_the_record_resolves_a_window_it_covers() -> None:
    q = _q("a", "binary")
    full = {
        "demo_events": pd.DataFrame(
            {
                "low": pd.to_datetime(["2020-01-12", "2020-02-01"]),
                "high": pd.to_datetime(["2020-01-12", "2020-02-20"]),
                "id": ["e1", "e2"],
            }
        )
    }
    yes = ledger.from_record(q, full, AS_OF, date(2020, 1, 15))
    assert (yes.value, yes.disputed, yes.event_date) == (1.0, False, "2020-01-12")
    no = ledger.from_record(q, full, date(2020, 1, 12), date(2020, 1, 31))
    assert (no.value, no.disputed) == (0.0, False)  # the day of the origin itself is not in it
    # an event known only to lie between 1 and 20 Feb crosses the end of a window to 5 Feb:
    # coded by its middle day (10 Feb: not in the window) and kept the other way
    edge = ledger.from_record(q, full, date(2020, 1, 20), date(2020, 2, 5))
    assert (edge.value, edge.low, edge.high) == (0.0, 0.0, 1.0)
    count = ledger.from_record(
        _q("n", "count", low="n_low", high="n_high"), full, date(2020, 1, 1), date(2020, 2, 5)
    )
    assert (count.value, count.low, count.high) == (1.0, 1.0, 2.0)
    after = ledger.from_record(q, full, date(2020, 12, 1), date(2021, 1, 5))
    assert after.status == "unresolved"  # the window ends after the record does


def test_a_later_event_never_enters_the_base_rate() -> None:
    q = _q("a", "binary")
    # the same record, but the event public only later: the base rate as of 10 Jan is lower
    assert ledger.climatology(q, _visible(), AS_OF, 5) < ledger.climatology(
        q, _visible("2020-01-01"), AS_OF, 5
    )


def test_reliability_bins_count_every_forecast() -> None:
    bins = ledger.reliability([(0.05, 0), (0.07, 1), (0.95, 1), (1.0, 1)])
    assert [b["n"] for b in bins] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins[0]["observed"] == 0.5 and bins[-1]["mean_forecast"] == pytest.approx(0.975)


# ----------------------------------------------------------------- the chapters' questions


def test_chapters_declare_every_rung_and_the_stock() -> None:
    ids = {q.id for q in ledger.questions()}
    rungs = [
        "rhetoric",
        "nuclear_signalling",
        "demonstrative_strike",
        "intensified_strikes",
        "sabotage_europe",
        "attack_nato",
    ]
    assert {f"escalation.{r}" for r in rungs} <= ids
    assert {"escalation.sabotage_count", "supply.runs_out", "supply.depletion_week"} <= ids
    for q in ledger.questions():
        assert "{window}" in q.wording and q.definition and q.record is not None, q.id


@pytest.mark.slow
def test_question_keys_are_key_numbers_of_their_chapters() -> None:
    from deepstrike.chapter import get

    for name, fast in (("escalation", {"sobol_samples": 256, "draws": 1000}), ("supply", {})):
        chapter = get(name)
        params = chapter.run_model(**fast)
        tables = {n: data.load_table(n, as_of="2024-11-18") for n in chapter.tables}
        numbers = chapter.numbers(chapter.analyse(params, tables, "2024-11-18", 1))
        for q in ledger.questions():
            if q.chapter == name:
                missing = [k for k in q.keys if k not in numbers]
                assert not missing, (q.id, missing)


# ----------------------------------------------------------------- data/outcomes.csv


def test_every_outcome_resolves_a_question_of_a_chapter() -> None:
    outcomes = data.load_table(ledger.OUTCOMES)
    by_id = {q.id: q for q in ledger.questions()}
    assert set(outcomes["question_id"]) <= set(by_id)
    for _, row in outcomes.iterrows():
        q = by_id[row["question_id"]]
        if q.kind != "count":
            assert row["outcome"] in (0, 1), row["outcome_id"]
        for c in ("event_date_low", "event_date", "event_date_high"):
            if pd.notna(row[c]):
                assert row["origin"] < row[c] <= row["window_end"], (row["outcome_id"], c)
        disputed = pd.notna(row["outcome_low"]) and row["outcome_low"] != row["outcome_high"]
        assert disputed == isinstance(row["dispute"], str), row["outcome_id"]


def test_the_baseline_is_resolved_for_every_rung_and_the_stock() -> None:
    outcomes = data.load_table(ledger.OUTCOMES)
    base = set(outcomes.loc[outcomes["origin"] == pd.Timestamp("2024-11-18"), "question_id"])
    assert {q.id for q in ledger.questions()} <= base
    row = outcomes.set_index("outcome_id").loc["demonstrative_strike_20241118"]
    assert row["outcome"] == 1 and row["event_date"] == pd.Timestamp("2024-11-21")


def test_outcomes_follow_the_record_where_it_covers_the_window() -> None:
    """Where the audited record covers a window, data/outcomes.csv says what the record says
    (the same coding rules), or declares the dispute."""
    tables = data.validate_all()
    by_id = {q.id: q for q in ledger.questions()}
    for _, row in tables[ledger.OUTCOMES].iterrows():
        q = by_id[row["question_id"]]
        rec = ledger.from_record(q, tables, row["origin"].date(), row["window_end"].date())
        if rec.status != "resolved":
            continue
        low = row["outcome"] if pd.isna(row["outcome_low"]) else row["outcome_low"]
        high = row["outcome"] if pd.isna(row["outcome_high"]) else row["outcome_high"]
        assert low <= rec.value <= high, row["outcome_id"]


# ----------------------------------------------------------------- the scorecard partial


def test_scorecard_template_types_no_numbers() -> None:
    text = (render.TEMPLATES / "scorecard.html.j2").read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"\{[{%].*?[%}]\}", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    assert not re.search(r"\d", text), re.findall(r".{20}\d.{20}", text)


def test_scorecard_renders_from_a_ledger(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    context = ledger.scorecard(e, AS_OF)
    page = render._env().get_template("scorecard.html.j2").render(scorecard=context, backtest=None)
    assert 'id="scorecard"' in page and "0.313" in page  # the mean Brier score, from the data
    assert "event c" in page  # the miss is named
    assert "who did it" in page  # the dispute is shown
    none = render._env().get_template("scorecard.html.j2").render(scorecard=None, backtest=None)
    assert none.strip() == ""


def test_miss_sentence_names_what_happened_and_when(synthetic) -> None:  # noqa: ANN001
    _, e = synthetic
    sentences = ledger.scorecard(e, AS_OF)["misses"]
    assert any("event c very unlikely (10%)" in s and "3 days after" in s for s in sentences)


def test_scorecard_module_has_no_project_paths() -> None:
    # the ledger reads nothing itself: every table comes in as an argument
    source = Path(ledger.__file__).read_text(encoding="utf-8")
    assert "read_csv" not in source and "load_table" not in source
