"""The rolling-origin backtest: its origins, that no replay saw anything published after its
origin, that outcomes come from the record itself, the cache and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from deepstrike import backtest, data, ledger
from deepstrike.chapter import get
from deepstrike.params import load_scenario

TABLES = data.validate_all()
_, BASELINE = load_scenario("baseline")


def _plan() -> tuple[list[backtest.Task], list[dict]]:
    return backtest.plan(BASELINE, TABLES)


def test_origins_are_the_western_steps_and_the_supply_months() -> None:
    tasks, skipped = _plan()
    assert len(tasks) >= 8
    steps = TABLES["escalation_steps"]
    west = steps[steps["kind"].isin(["weapon_delivery", "strike_permission"])]
    escalation = [t for t in tasks if t.chapter == "escalation"]
    # every Western step of 2022-24 whose window closed inside the audited record
    closed = west[
        west["date"] + pd.Timedelta(days=BASELINE.escalation.horizon_days)
        <= pd.Timestamp("2024-12-31")
    ]
    assert len(escalation) == len(closed)
    assert {t.label for t in escalation} == set(closed["step_name"])
    # the step the briefing is about is not yet scorable
    assert any(s["chapter"] == "escalation" and s["origin"] == "2024-11-17" for s in skipped)
    months = [t for t in tasks if t.chapter == "supply"]
    assert months and all(t.origin.endswith("-01") for t in months)
    # the origin's own step features, and the fast sensitivity settings
    himars = next(t for t in escalation if t.origin == "2022-05-31")
    assert himars.params["us_attribution"] == 1.0 and himars.params["sobol_samples"] == 256
    storm = next(t for t in escalation if "Storm Shadow" in t.label)
    assert storm.params["us_attribution"] == 0.0


def test_no_replay_sees_a_row_published_after_its_origin() -> None:
    """What every replay is given: the tables as of its origin (knowledge dates)."""
    tasks, _ = _plan()
    described = data.resources()
    for task in tasks:
        chapter = get(task.chapter)
        frames = backtest.as_of_tables(chapter.tables, task.origin, TABLES)
        for name, frame in frames.items():
            if described[name].static:
                continue  # reference geography (where airfields are), not news
            if len(frame):
                assert frame[data.KNOWN_FROM].max() <= pd.Timestamp(task.origin), (task, name)
        # and the same tables as data.load_table(name, as_of=origin) gives them
        for name in chapter.tables[:2]:
            direct = data.load_table(name, as_of=task.origin)
            assert len(direct) == len(frames[name]), (task.origin, name)


def test_a_replay_records_the_latest_knowledge_date_it_saw() -> None:
    tasks, _ = _plan()
    chosen = [next(t for t in tasks if t.chapter == "supply")]
    for task in chosen:
        out = backtest.run_task(task)
        assert out["error"] is None, out["error"]
        seen = [d for d in out["max_known_from"].values() if d]
        assert seen and max(seen) <= task.origin
        assert set(task.keys) <= set(out["numbers"]) | {"depletion_week_median"}


def test_outcomes_come_from_the_record_not_from_outcomes_csv() -> None:
    q = next(q for q in ledger.questions() if q.id == "escalation.demonstrative_strike")
    module = ledger.modules()["escalation"]
    keys = [k for x in ledger.chapter_questions(module, "escalation") for k in x.keys]
    numbers = dict.fromkeys(keys, 0.2) | {
        "horizon_days": 90,
        "interval_pct": 90,
        "sabotage_median": 1,
        "sabotage_low": 0,
        "sabotage_high": 3,
    }
    # a poisoned outcomes table: were it read, every outcome would be 'yes'
    poison = TABLES[ledger.OUTCOMES].assign(outcome=1.0, origin=pd.Timestamp("2024-02-06"))
    tables = dict(TABLES, outcomes=poison)
    result = {
        "task": {"chapter": "escalation", "origin": "2024-02-06", "label": "demo"},
        "numbers": numbers,
        "error": None,
    }
    rows = backtest.score_replays([result], tables)
    mine = next(r for r in rows if r["question"] == q.id)
    # Zircon's first use on 7 Feb 2024 is the record's demonstrative strike in this window
    assert mine["outcome"] == 1.0 and "zircon_first_use_2024" in mine["record_ids"]
    nato = next(r for r in rows if r["question"] == "escalation.attack_nato")
    assert nato["outcome"] == 0.0
    # the base rate is the record as public on the origin: Oreshnik (later) is not in it
    assert 0 < mine["base_rate"] < 0.5


def test_summary_scores_by_hand() -> None:
    rows = [
        {
            "chapter": "c",
            "question": "c.q",
            "kind": "binary",
            "forecast": {"p": p},
            "base_rate": b,
            "outcome": o,
            "score": {},
        }
        for p, b, o in ((0.9, 0.5, 1.0), (0.2, 0.5, 0.0), (0.6, 0.5, 0.0), (0.4, 0.5, 1.0))
    ]
    s = backtest.summarise(rows)
    bs = (0.01 + 0.04 + 0.36 + 0.36) / 4
    assert s["brier"] == pytest.approx(bs)
    assert s["brier_clim"] == pytest.approx(0.25)
    assert s["skill_clim"] == pytest.approx(1 - bs / 0.25)
    assert s["brier_sample_clim"] == pytest.approx(0.25)  # half the events happened
    assert sum(b["n"] for b in s["reliability"]) == 4


@pytest.mark.slow
def test_the_backtest_runs_in_parallel_and_is_cached(tmp_path: Path) -> None:
    lines: list[str] = []
    first = backtest.run(BASELINE, tmp_path, workers=2, use_cache=True, log=lines.append)
    ok = [o for o in first["origins"] if not o["error"]]
    assert len(ok) >= 8 and not first["cached"]
    # no forecast used information published after its origin
    for o in first["origins"]:
        seen = [d for d in o["max_known_from"].values() if d]
        assert seen and max(seen) <= o["origin"], o
    for f in first["forecasts"]:
        assert f["window_end"] <= first["record_end"][f["chapter"]]
    s = first["summary"]
    assert s["n_binary"] > 0 and 0 <= s["brier"] <= 1 and s["brier_clim"] > 0
    assert sum(b["n"] for b in s["reliability"]) == s["n_binary"]
    again = backtest.run(BASELINE, tmp_path, workers=2, use_cache=True, log=lines.append)
    assert again["cached"] and again["key"] == first["key"]
    annex = backtest.annex(again)
    assert annex["n_origins"] >= 8 and 'data-figure="backtest-reliability"' in annex["figure_html"]
    # the command writes both files and uses the same cache
    assert backtest.main(["--out", str(tmp_path)], log=lines.append) == 0
    written = json.loads((tmp_path / "backtest" / "baseline" / "backtest.json").read_text())
    assert written["key"] == first["key"]
    page = (tmp_path / "backtest" / "baseline" / "backtest.html").read_text(encoding="utf-8")
    assert "How well does this model forecast?" in page
    assert 'src="http' not in page and "<link" not in page  # self-contained: plotly inlined


def test_bad_parameter_ends_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    code = backtest.main(["--out", str(tmp_path), "-p", "escalation.nope=1"], log=lambda _: None)
    assert code == 2
    assert not (tmp_path / "backtest").exists()


def test_a_build_that_only_reads_the_cache_starts_nothing(tmp_path: Path) -> None:
    pending = backtest.start(BASELINE, tmp_path, tables=TABLES, compute=False)
    assert pending.thread is None and pending.result is None
    result, problem = backtest.finish(pending, TABLES)
    assert result is None and "deepstrike backtest" in problem
    pending.stop()  # nothing to stop: no error


@pytest.mark.slow
def test_the_backtest_beside_a_build_gives_the_commands_result(tmp_path: Path) -> None:
    # In a thread of the build, one replay after another, with the build's tables: the same
    # forecasts as the command's pool of two workers, and the same cache entry.
    pending = backtest.start(BASELINE, tmp_path / "build", tables=TABLES)
    assert pending.thread is not None
    beside, problem = backtest.finish(pending, TABLES)
    assert problem == "" and beside is not None and not beside["cached"]
    alone = backtest.run(BASELINE, tmp_path / "command", workers=2, log=lambda _: None)
    assert beside["key"] == alone["key"]
    assert beside["forecasts"] == alone["forecasts"] and beside["summary"] == alone["summary"]
    again = backtest.start(BASELINE, tmp_path / "build", tables=TABLES)
    assert again.thread is None and again.result["cached"], "read from the cache it filled"


def test_a_stopped_backtest_ends_between_replays_and_caches_nothing(tmp_path: Path) -> None:
    pending = backtest.start(BASELINE, tmp_path, tables=TABLES, compute=False)
    pending.stopping.set()  # the build ended before the first replay
    with pytest.raises(backtest.Stopped):
        backtest.run(
            BASELINE, tmp_path, 1, log=lambda _: None, tables=TABLES, stopping=pending.stopping
        )
    kept = {p.name for p in (tmp_path / ".cache").glob("backtest-*.json")}
    assert kept <= {"backtest-keys.json"}, "no result, only the memo of keys"
    running = backtest.start(BASELINE, tmp_path, tables=TABLES)
    running.stop()  # returns once the thread has ended: within one replay
    assert not running.thread.is_alive()
    result, problem = backtest.finish(running, TABLES)
    assert result is None and problem == "backtest failed: stopped"


def test_a_failing_backtest_is_one_line_and_the_build_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("replays broke")

    monkeypatch.setattr(backtest, "_run_all", broken)
    result, problem = backtest.finish(backtest.start(BASELINE, tmp_path, tables=TABLES), TABLES)
    assert result is None and problem == "backtest failed: RuntimeError: replays broke"


def test_the_key_memo_gives_the_full_key(tmp_path: Path) -> None:
    tasks, _ = _plan()
    full = backtest.cache_key(tasks, BASELINE.seed)
    assert backtest.known_key(tmp_path, tasks, BASELINE.seed) == full  # computed, remembered
    assert backtest.known_key(tmp_path, tasks, BASELINE.seed) == full  # from the memo
    other = backtest.known_key(tmp_path, tasks, BASELINE.seed + 1)
    assert other != full
