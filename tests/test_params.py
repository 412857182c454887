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
    assert "Did you mean 'salvo'?" in message and "Allowed: rationing, salvo" in message


def test_params_lists_the_allowed_values_of_an_enumeration() -> None:
    infos = {p.name: p for p in params.catalogue()}
    assert "one of rationing, salvo" in infos["supply.firing_policy"].bounds


# --- strict, bounded parsing (issue 16) --------------------------------------------------------


def _scenario(tmp_path: Path, text: str, name: str = "mine.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_duplicate_yaml_key_names_both_lines(tmp_path: Path) -> None:
    # A second `supply:` block would silently discard the first.
    ref = _scenario(
        tmp_path, "title: Mine\nsupply:\n  salvo_size: 4\nseed: 1\nsupply:\n  package_size: 5\n"
    )
    message = _error(ref)
    assert "duplicate key 'supply' on lines 2 and 5" in message and "mine.yaml" in message


def test_a_duplicate_key_inside_a_chapter_is_an_error(tmp_path: Path) -> None:
    ref = _scenario(tmp_path, "supply:\n  salvo_size: 4\n  salvo_size: 6\n")
    assert "duplicate key 'salvo_size' on lines 2 and 3" in _error(ref)


def test_an_oversized_scenario_file_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _scenario(tmp_path, "title: x\n" + "# padding\n" * (params.MAX_SCENARIO_BYTES // 10))

    def no_parsing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(params.yaml, "load", no_parsing)
    monkeypatch.setattr(params.yaml, "safe_load", no_parsing)
    message = _error(ref)
    assert "limited to" in message and "bytes" in message and len(message) < 300


@pytest.mark.skipif(not getattr(params.yaml, "__with_libyaml__", False), reason="no libyaml")
def test_scenarios_are_parsed_by_libyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = []
    real = params.yaml.load

    def spy(stream: str, Loader: type) -> object:  # noqa: N803 - yaml's own name
        used.append(Loader)
        return real(stream, Loader=Loader)

    monkeypatch.setattr(params.yaml, "load", spy)
    params.load_scenario(_scenario(tmp_path, "title: Mine\n"))
    assert used and all(issubclass(loader, params.yaml.CSafeLoader) for loader in used)


def test_a_huge_override_value_is_refused_without_being_echoed() -> None:
    message = _error(overrides=["title=" + "A" * 50_000_000])
    assert "50,000,000 characters" in message and len(message) < 300


def test_long_values_are_shortened_in_messages(tmp_path: Path) -> None:
    message = _error(_scenario(tmp_path, f"title: {'B' * 5000}\n"))
    assert "title" in message and "5,000 characters" in message and len(message) < 400


@pytest.mark.parametrize(
    ("text", "override"),
    [
        ("", "as_of=1718236800"),
        ("as_of: 1718236800\n", None),
        ("as_of: 2024-06-01T00:00:00\n", None),
        ("", "as_of=2024-6-1"),
    ],
    ids=["unix-time-override", "unix-time-yaml", "datetime-yaml", "not-iso"],
)
def test_as_of_is_an_iso_date_only(tmp_path: Path, text: str, override: str | None) -> None:
    message = _error(_scenario(tmp_path, "title: Mine\n" + text), [override] if override else [])
    assert "as_of" in message and "yyyy-mm-dd" in message


def test_iso_dates_still_work(tmp_path: Path) -> None:
    _, scenario = params.load_scenario(_scenario(tmp_path, "as_of: 2024-06-01\n"))
    assert scenario.as_of.isoformat() == "2024-06-01"
    _, scenario = params.load_scenario("baseline", ["as_of=2024-06-02"])
    assert scenario.as_of.isoformat() == "2024-06-02"


@pytest.mark.parametrize(
    "text", ["seed: true\n", "pattern:\n  draws: false\n"], ids=["seed", "draws"]
)
def test_a_boolean_is_not_a_number(tmp_path: Path, text: str) -> None:
    assert "a boolean is not a number" in _error(_scenario(tmp_path, text))


def test_errors_name_the_scenario_file(tmp_path: Path) -> None:
    assert "mine.yaml" in _error(_scenario(tmp_path, "seed: -1\n"))
    assert "baseline.yaml" in _error("baseline", ["pattern.draws=abc"])


def test_an_empty_title_is_refused(tmp_path: Path) -> None:
    assert "title" in _error(_scenario(tmp_path, "title: '   '\n"))
    assert "title" in _error(overrides=["title="])


def test_a_dotted_key_in_yaml_says_how_to_nest_it(tmp_path: Path) -> None:
    message = _error(_scenario(tmp_path, "supply.salvo_size: 4\n"))
    assert "must be written nested" in message
    assert "Did you mean 'supply.salvo_size'" not in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    ref = _scenario(tmp_path, "seed: -1\nsupply:\n  salvo_siz: 4\n  package_size: 0\n")
    with pytest.raises(ParamError) as info:
        params.load_scenario(ref)
    problems = info.value.problems  # type: ignore[attr-defined]
    assert len(problems) == 3 and "3 problems" in str(info.value)
    assert "\n" not in str(info.value)
