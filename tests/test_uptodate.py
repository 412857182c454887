"""A rebuild with nothing changed answers at once; any change to what a build reads, or to its
outputs, means a real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepstrike import cli, uptodate


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    for rel, text in {
        "src/deepstrike/model.py": "x = 1\n",
        "data/table.csv": "a,b\n1,2\n",
        "notebooks/01.ipynb": "{}",
        "scenarios/baseline.yaml": "title: t\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.setenv("DEEPSTRIKE_HOME", str(root))
    return root


@pytest.mark.parametrize(
    "rel",
    ["src/deepstrike/model.py", "data/table.csv", "notebooks/01.ipynb", "scenarios/baseline.yaml"],
)
def test_any_input_changed_changes_the_fingerprint(home: Path, rel: str) -> None:
    before = uptodate.fingerprint("baseline")
    assert uptodate.fingerprint("baseline") == before  # deterministic
    (home / rel).write_text((home / rel).read_text() + " ")
    assert uptodate.fingerprint("baseline") != before


def test_a_new_file_and_a_scenario_file_count(home: Path, tmp_path: Path) -> None:
    before = uptodate.fingerprint("baseline")
    (home / "data" / "new.csv").write_text("c\n")
    assert uptodate.fingerprint("baseline") != before
    mine = tmp_path / "my.yaml"
    mine.write_text("title: a\n")
    first = uptodate.fingerprint(str(mine))
    mine.write_text("title: b\n")
    assert uptodate.fingerprint(str(mine)) != first
    # compiled files and notebook checkpoints are not inputs
    cache = home / "src" / "deepstrike" / "__pycache__"
    cache.mkdir()
    now = uptodate.fingerprint("baseline")
    (cache / "model.cpython-311.pyc").write_bytes(b"x")
    assert uptodate.fingerprint("baseline") == now


def test_outputs_edited_or_deleted_are_not_current(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    page, results = out / "b" / "briefing.html", out / "b" / "results.json"
    page.parent.mkdir(parents=True)
    page.write_text("<html>")
    results.write_text("{}")
    key = uptodate.request_key(out, "baseline", [], None, False)
    inputs = uptodate.fingerprint("baseline")
    uptodate.record(out, key, inputs, [page, results])
    assert uptodate.current(out, key, inputs) == [page.resolve(), results.resolve()]
    assert uptodate.current(out, key, "other inputs") is None
    assert (
        uptodate.current(out, uptodate.request_key(out, "baseline", ["a=1"], None, False), inputs)
        is None
    )
    page.write_text("<html> edited")
    assert uptodate.current(out, key, inputs) is None
    uptodate.record(out, key, inputs, [page, results])
    results.unlink()
    assert uptodate.current(out, key, inputs) is None
    (out / uptodate.RECORD_DIR / f"{key}.json").write_text("{not json")
    assert uptodate.current(out, key, inputs) is None


@pytest.mark.slow
def test_the_second_identical_build_is_up_to_date_and_an_edit_rebuilds(
    report_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["build", "--out", str(report_copy)]
    assert cli.main(argv) == 0
    assert "building scenario baseline" in capsys.readouterr().out
    page = report_copy / "baseline" / "briefing.html"
    stamp = page.stat().st_mtime_ns
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "is up to date" in out and "building" not in out
    assert page.stat().st_mtime_ns == stamp
    page.write_text(page.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    assert cli.main(argv) == 0
    assert "building scenario baseline" in capsys.readouterr().out
    assert "<!-- edited -->" not in page.read_text(encoding="utf-8")
