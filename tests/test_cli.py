"""The command line and the project's commands: --version, params (wrapped, --json, --scenario),
quiet pipes, output errors as one line, make lab and installation, the README's commands, bench
progress."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import typing
from pathlib import Path

import pytest
import yaml

from deepstrike import __version__, bench, cli, params, paths

ROOT = paths.project_root()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"deepstrike {__version__}"


# --- params ----------------------------------------------------------------------------------


def test_params_json_lists_every_parameter_with_bounds_and_allowed_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["params", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    infos = params.catalogue()
    assert [i["name"] for i in items] == [p.name for p in infos]
    for item, info in zip(items, infos, strict=True):
        assert set(item) == {
            "name",
            "type",
            "default",
            "unit",
            "bounds",
            "allowed",
            "description",
        }
        assert item["description"] == info.description
        if isinstance(info.default, (int, float)) and not isinstance(info.default, bool):
            assert {"ge", "gt"} & set(item["bounds"]) and {"le", "lt"} & set(item["bounds"])
        choices = params.allowed_values(info.annotation)
        assert item["allowed"] == (choices or None)
    by_name = {i["name"]: i for i in items}
    assert by_name["supply.firing_policy"]["type"] == "str"
    assert "salvo" in by_name["supply.firing_policy"]["allowed"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", by_name["as_of"]["bounds"]["ge"])
    assert by_name["seed"]["type"] == "int"


def test_params_wraps_long_descriptions_and_lists_allowed_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out, "nothing is cut"
    assert max(len(line) for line in out.splitlines()) <= 100 + 60  # names may be long
    words = set(out.split())
    for info in params.catalogue():
        for word in info.description.split():
            assert word in words, f"{info.name}: {word!r} missing from the description"
        for choice in params.allowed_values(info.annotation):
            assert any(str(choice) in w for w in words), f"{info.name}: {choice} not listed"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_params_scenario_checks_as_a_build_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ids the data do not hold are refused by `build`; `params --scenario` must say so too.
    path = _write(tmp_path, "title: Mine\npattern:\n  systems: [himars, hymars]\n")
    assert cli.main(["params", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert "pattern.systems: unknown id 'hymars'" in err and "Traceback" not in err


def test_params_scenario_reports_every_error_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        "title: Mine\nseed: -1\nsupply:\n  firing_per_weak: 3\n  salvo_size: 500\n",
    )
    assert cli.main(["params", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("deepstrike: error: ") for line in err)
    text = "\n".join(err)
    assert "seed" in text and "firing_per_weak" in text and "salvo_size" in text


def test_params_scenario_shows_the_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["params", "--scenario", "baseline", "--json"]) == 0
    items = {i["name"]: i for i in json.loads(capsys.readouterr().out)}
    assert items["as_of"]["value"] == "2024-11-18"


# --- pipes and output errors ------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["params"], ["params", "--json"]], ids=["params", "json"])
def test_a_closed_pipe_is_quiet(argv: list[str]) -> None:
    # `deepstrike params | head`: the reader has gone before the first line is written.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "deepstrike.cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.close(write)
    assert done.stderr == "", done.stderr
    assert done.returncode == 0


def test_out_pointing_at_a_file_is_one_line_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "README.md"
    target.write_text("not a folder")
    assert cli.main(["build", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepstrike: error: ") and err.count("\n") == 1
    assert "is a file, not a folder" in err
    assert target.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")],
    ids=["read-only", "full"],
)
def test_an_unwritable_output_folder_is_one_line_with_exit_1(
    code: int,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "report"
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: typing.Any, **kwargs: typing.Any) -> None:
        if self == out or out in self.parents:
            raise OSError(code, os.strerror(code), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert cli.main(["build", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepstrike: error: ") and err.count("\n") == 1
    assert words in err and "Traceback" not in err


def test_a_unix_time_as_of_is_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert cli.main(["build", "--out", str(out), "-p", "as_of=1718236800"]) == 2
    assert "yyyy-mm-dd" in capsys.readouterr().err
    assert not out.exists()


def test_backtest_is_a_subcommand_with_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["backtest", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: deepstrike backtest") and "--no-cache" in out


def test_backtest_with_a_bad_parameter_is_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    argv = ["backtest", "--out", str(out), "-p", "escalation.no_such_thing=1"]
    assert cli.main(argv) == 2
    assert "no_such_thing" in capsys.readouterr().err
    assert not out.exists()


# --- make lab, installation, the README ---------------------------------------------------------


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower()


def test_make_lab_installs_jupyterlab_into_the_project_environment() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lab:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "make lab exists"
    assert "$(BIN)/jupyter lab" in recipe.group(1), "JupyterLab of .venv, not of the PATH"
    assert re.search(r"pip install .*'\.\[[a-z,]*lab[a-z,]*\]'", makefile), "installs .[lab]"
    lab = _pyproject()["project"]["optional-dependencies"]["lab"]
    assert [_name(s) for s in lab] == ["jupyterlab"]
    assert all(">=" in s and "<" in s for s in lab), "pinned to a range like the others"


def test_environment_yml_holds_every_dependency_group() -> None:
    project = _pyproject()["project"]
    assert {"dev", "lab"} <= set(project["optional-dependencies"])
    wanted = {s.replace(" ", "") for s in project["dependencies"]}
    for group in project["optional-dependencies"].values():
        wanted |= {s.replace(" ", "") for s in group}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {
        item.replace(" ", "")
        for item in env["dependencies"]
        if isinstance(item, str) and not item.startswith(("python", "pip"))
    }
    assert conda == wanted


def test_installation_shows_its_progress() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs and not [line for line in installs if "--quiet" in line or " -q" in line]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines += [line.split("#")[0].strip() for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return [line for line in lines if line]


def test_readme_commands_work_as_typed() -> None:
    tools = ("deepstrike", "papermill", "jupyter", "pytest", "ruff")
    for command in _readme_commands():
        first = command.split()[0]
        assert first not in tools, f"{command!r}: needs .venv/bin/ (the tools are not on PATH)"
    assert any(c.startswith(".venv/bin/papermill ") for c in _readme_commands())


# --- make bench shows progress ------------------------------------------------------------------


def test_bench_says_what_it_is_doing(monkeypatch: pytest.MonkeyPatch) -> None:
    def timed(cmd: list[str], cwd: Path) -> tuple[float, bench.Memory]:
        out = Path(cmd[cmd.index("--out") + 1]) / "baseline"
        out.mkdir(parents=True, exist_ok=True)
        (out / "briefing.html").write_text("x" * 100)
        return 1.0, bench.Memory(rss=2, pss=1)

    monkeypatch.setattr(bench, "timed", timed)
    monkeypatch.setattr(bench, "naive_pipeline", lambda scenario, work: 3.0)
    monkeypatch.setattr(
        bench,
        "rebuild_after_edits",
        lambda *a: {
            "param_rebuild_s": 0.5,
            "param_changed": "-p x=1",
            "summary_edit_notebooks_executed": 0,
        },
    )
    monkeypatch.setattr(bench, "figure_json_bytes", lambda out: 10)
    monkeypatch.setattr(bench, "model_times", lambda draws: {"pattern": 0.1})
    monkeypatch.setattr(bench, "sweep_throughput", lambda scenario, workers: 0.5 * workers)
    from deepstrike import render

    monkeypatch.setattr(render, "plotly_js", lambda: "js")
    lines: list[str] = []
    result = bench.run("baseline", 1, 1000, log=lines.append)
    assert result["cold_ratio"] == pytest.approx(1 / 3)
    assert (result["peak_build_pss_bytes"], result["peak_build_rss_bytes"]) == (1, 2)
    text = "\n".join(lines)
    assert result["sweep_points_per_s"] == {"1": 0.5, "2": 1.0}
    for stage in (
        "cold build",
        "naive pipeline",
        "warm rebuild",
        "parameter change",
        "sweep",
        "models",
    ):
        assert stage in text, stage
    assert text.index("cold build") < text.index("naive pipeline") < text.index("models")


def test_bench_memory_counts_a_grandchild_in_a_session_of_its_own(tmp_path: Path) -> None:
    # Kernels start sessions of their own; the bench once summed one session and missed them.
    hold = "import time; b = bytearray(200_000_000); b[::4096] = b'x' * len(b[::4096]); "
    hold += "open(r'{ready}', 'w').close(); time.sleep(60)"
    ready = tmp_path / "ready"
    parent = (
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
        f"{hold.format(ready=ready)!r}], start_new_session=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists()
        mem = bench.tree_memory(proc.pid)
        assert len(bench.descendants(proc.pid)) == 2
        assert mem.pss > 200_000_000 and mem.rss >= mem.pss
    finally:
        for pid in bench.descendants(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.wait()
