"""Project files: pinned dependencies in sync, README's two commands, CI calling the tests."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from deepstrike import paths

ROOT = paths.project_root()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _normalise(spec: str) -> tuple[str, str]:
    req = Requirement(spec)
    name = re.sub(r"[-_.]+", "-", req.name).lower()
    return name, ",".join(sorted(str(s) for s in req.specifier))


def test_environment_yml_matches_pyproject() -> None:
    project = _pyproject()["project"]
    wanted = {_normalise(s) for s in project["dependencies"]}
    for group in project["optional-dependencies"].values():
        wanted |= {_normalise(s) for s in group}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {
        _normalise(item)
        for item in env["dependencies"]
        if isinstance(item, str) and not item.startswith(("python", "pip"))
    }
    assert conda == wanted


def test_every_dependency_is_pinned_to_a_range() -> None:
    project = _pyproject()["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        ops = {s.operator for s in req.specifier}
        assert ">=" in ops and "<" in ops, f"{spec} needs a lower and an upper bound"


def test_nbconvert_has_the_security_fixes() -> None:
    deps = [Requirement(s) for s in _pyproject()["project"]["dependencies"]]
    nbconvert = next(r for r in deps if r.name == "nbconvert")
    assert not nbconvert.specifier.contains("7.17.0")
    assert nbconvert.specifier.contains("7.17.1")


def test_readme_opens_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block and text.index("```sh") < 40
    commands = [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]
    assert commands == ["make briefing", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", script, re.M)


def test_makefile_has_the_documented_targets() -> None:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("help", "briefing", "test", "bench"):
        assert re.search(rf"^{target}:", text, re.M), target
