"""Parameter schema, scenarios and overrides: every bad input gets one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepstrike import cli, params
from deepstrike.params import ParamError


def _error(ref: str = "baseline", overrides: list[str] | None = None) -> str:
    with pytest.raises(ParamError) as info:
        params.load_scenario(ref, overrides)
    return str(info.value)


def test_baseline_loads_with_defaults() -> None:
    name, scenario = params.load_scenario("baseline")
    assert name == "baseline"
    assert scenario.as_of.isoformat() == "2024-11-18"
    assert scenario.pattern == params.CHAPTERS[0].params()


def test_unknown_parameter_suggests_the_nearest() -> None:
    message = _error(overrides=["pattern.months_treshold_days=90"])
    assert "unknown parameter 'pattern.months_treshold_days'" in message
    assert "Did you mean 'pattern.months_threshold_days'?" in message


def test_wrong_type_names_the_parameter() -> None:
    message = _error(overrides=["pattern.draws=many"])
    assert "pattern.draws" in message and "valid integer" in message


def test_out_of_bounds_names_parameter_and_bound() -> None:
    message = _error(overrides=["pattern.months_threshold_days=5"])
    assert "pattern.months_threshold_days" in message and "greater than or equal to 14" in message


def test_non_identifier_name_is_refused() -> None:
    message = _error(overrides=['z;print("PWNED")#=1'])
    assert "is not an identifier" in message


def test_keyword_name_is_refused() -> None:
    assert "is not an identifier" in _error(overrides=["pattern.import=1"])


def test_unknown_scenario_lists_the_known_ones() -> None:
    message = _error("basline")
    assert "unknown scenario 'basline'" in message and "Did you mean 'baseline'?" in message


def test_malformed_yaml_gives_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: ok\npattern:\n  draws: [1, 2\n", encoding="utf-8")
    message = _error(str(bad))
    assert "malformed YAML" in message and "line" in message


def test_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    assert "must be a mapping" in _error(str(bad))


def test_unknown_key_in_yaml_file(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("pattern:\n  interval_pc: 80\n", encoding="utf-8")
    assert "Did you mean 'pattern.interval_pct'?" in _error(str(bad))


def test_yaml_one_one_coercion_is_caught(tmp_path: Path) -> None:
    # YAML 1.1 reads `no` as False: a string field must not silently accept it.
    bad = tmp_path / "coerce.yaml"
    bad.write_text("title: no\n", encoding="utf-8")
    assert "title" in _error(str(bad))


def test_list_override_is_comma_separated() -> None:
    _, scenario = params.load_scenario("baseline", ["pattern.systems=himars, atacms"])
    assert scenario.pattern.systems == ["himars", "atacms"]


def test_override_beats_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("pattern:\n  months_threshold_days: 30\n", encoding="utf-8")
    _, scenario = params.load_scenario(str(path), ["pattern.months_threshold_days=90"])
    assert scenario.pattern.months_threshold_days == 90


def test_notebook_parameters_are_flat_and_json_ready() -> None:
    _, scenario = params.load_scenario("baseline")
    for chapter in params.CHAPTERS:
        values = scenario.notebook_parameters(chapter)
        assert values["as_of"] == "2024-11-18" and values["seed"] == scenario.seed
        fields = set(chapter.params.model_fields)
        shared = {f"{g}_{n}" for g in chapter.shared for n in params.SHARED_GROUPS[g].model_fields}
        assert set(values) == fields | shared | set(params.NOTEBOOK_SCENARIO_FIELDS)


def test_every_parameter_is_documented() -> None:
    for info in params.catalogue():
        assert info.description, info.name
        if isinstance(info.default, (int, float)) and not isinstance(info.default, bool):
            assert info.bounds, f"{info.name} has no bounds"


def test_params_command_lists_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    for info in params.catalogue():
        assert info.name in out


@pytest.mark.parametrize(
    "argv",
    [
        ["-p", "pattern.draw=5"],
        ["-p", "pattern.draws=5"],
        ["-p", "pattern.draws=abc"],
        ["-p", "bad name=1"],
        ["--scenario", "nonexistent"],
        ["-p", "pattern.systems=himars,hymars"],
    ],
)
def test_cli_rejects_bad_input_with_exit_2_and_writes_nothing(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert cli.main(["build", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deepstrike: error: ") and err.count("\n") == 1
    assert not out.exists()


def test_unknown_system_suggests_the_nearest(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    cli.main(["build", "--out", str(tmp_path / "r"), "-p", "pattern.systems=himars,hymars"])
    assert "Did you mean 'himars'?" in capsys.readouterr().err


SCENARIO_FILES = sorted(params.paths.scenarios_dir().glob("*.yaml"))


def test_at_least_five_named_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 5
    assert "baseline" in {p.stem for p in SCENARIO_FILES}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_every_scenario_validates_and_explains_itself(path: Path) -> None:
    name, scenario = params.load_scenario(path.stem)
    assert name == path.stem
    text = path.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 2 and text.startswith("#"), "say what it represents and why"
    assert scenario.description and scenario.title != params.ScenarioBase().title


def test_a_range_out_of_order_names_both_ends() -> None:
    message = _error(overrides=["supply.initial_stock_low=90", "supply.initial_stock_high=40"])
    assert "initial_stock_low (90) <= initial_stock_high (40)" in message


def test_every_low_high_pair_is_checked_by_the_one_validator() -> None:
    from deepstrike.schema import range_stems

    for chapter in params.CHAPTERS:
        for stem in range_stems(chapter.params):
            low = chapter.params.model_fields[f"{stem}_low"]
            high = chapter.params.model_fields[f"{stem}_high"]
            lo = low.get_default()
            hi = high.get_default()
            if lo == hi:
                continue
            with pytest.raises(ParamError, match="range out of order"):
                params.validate({chapter.name: {f"{stem}_low": hi, f"{stem}_high": lo}})


def test_an_enumeration_suggests_the_nearest_allowed_value() -> None:
    message = _error(overrides=["supply.firing_policy=salvos"])
    assert "Did you mean 'salvo'?" in message and "Allowed: steady, salvo" in message


def test_params_lists_the_allowed_values_of_an_enumeration() -> None:
    infos = {p.name: p for p in params.catalogue()}
    assert "one of steady, salvo" in infos["supply.firing_policy"].bounds
