"""Faults a build must survive: interruption, hostile data text, cold determinism, PDF output."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deepstrike import build, cli, paths
from deepstrike.params import CHAPTERS

pytestmark = pytest.mark.slow


def test_two_cold_builds_give_identical_results(
    baseline: build.BuildResult, tmp_path: Path
) -> None:
    again = build.build("baseline", out_root=tmp_path, use_cache=False, log=lambda _l: None)
    assert again.results_path.read_text() == baseline.results_path.read_text()


def test_interrupted_build_keeps_the_last_briefing_and_recovers(report_copy: Path) -> None:
    briefing = report_copy / "baseline" / "briefing.html"
    before = briefing.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deepstrike.cli", "build", "--out", str(report_copy), "--no-cache"],
        cwd=paths.project_root(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if list(report_copy.glob(".staging-baseline-*")):
            break
        time.sleep(0.05)
    time.sleep(0.5)  # kernels are starting or running
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert briefing.read_bytes() == before
    result = build.build("baseline", out_root=report_copy, log=lambda _l: None)
    assert result.briefing.is_file()
    assert not list(report_copy.glob(".staging-baseline-*"))


def test_hostile_text_in_data_is_escaped(project: Path, report_copy: Path) -> None:
    path = project / "data" / "pattern_events.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[1][header.index("description")] = '<script>alert("desc")</script> "quoted"'
    rows[1][header.index("system_name")] = "<img src=x onerror=alert(1)>"
    rows[1][header.index("source_title")] = "<b onmouseover=alert(2)>title</b>"
    for row in rows[1:]:
        if row[header.index("system_id")] == rows[1][header.index("system_id")]:
            row[header.index("system_name")] = rows[1][header.index("system_name")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = build.build("baseline", out_root=report_copy, log=lambda _l: None)
    page = result.briefing.read_text(encoding="utf-8")
    assert '<script>alert("desc")' not in page
    assert "<img src=x" not in page
    assert "<b onmouseover" not in page
    assert "&lt;b onmouseover=alert(2)&gt;title&lt;/b&gt;" in page


def test_missing_notebook_is_a_clear_error(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "notebooks" / CHAPTERS[0].notebook).unlink()
    assert cli.main(["build", "--out", str(tmp_path / "out")]) == 1
    assert f"notebook notebooks/{CHAPTERS[0].notebook}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_pdf_is_printed(report_copy: Path) -> None:
    result = build.build("baseline", out_root=report_copy, log=lambda _l: None, pdf=True)
    pdf = result.briefing.with_suffix(".pdf")
    head = pdf.read_bytes()[:5]
    assert head == b"%PDF-"
    assert pdf.stat().st_size > 50_000  # charts drawn, not an empty page
    json.loads(result.results_path.read_text())


def _no_source(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[2][rows[0].index("source_url")] = ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda p: p.unlink(), "file not found"),
        (lambda p: p.write_text("", encoding="utf-8"), "file is empty"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00\x01garbage"), "corrupt"),
        (_no_source, "line 3, column source_url: every row needs a source"),
    ],
    ids=["missing", "empty", "corrupt", "row-without-source"],
)
def test_bad_data_file_exit_2_and_the_last_briefing_survives(
    breakage,
    message: str,
    project: Path,
    report_copy: Path,
    capsys,  # noqa: ANN001
) -> None:
    briefing = report_copy / "baseline" / "briefing.html"
    before = briefing.read_bytes()
    breakage(project / "data" / "pattern_events.csv")
    assert cli.main(["build", "--out", str(report_copy)]) == 2
    err = capsys.readouterr().err
    assert "data/pattern_events.csv" in err and message in err
    assert briefing.read_bytes() == before
