"""The scenario schema (scenario fields plus one model per registered chapter), scenarios and
command-line overrides. Chapter parameters live in their chapter's folder."""

from __future__ import annotations

import keyword
import re
import typing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
)

from deepstrike import paths
from deepstrike.chapter import SCENARIO_FIELDS, Chapter
from deepstrike.chapters import CHAPTERS
from deepstrike.launch import SHARED_GROUPS
from deepstrike.schema import ParamError, did_you_mean
from deepstrike.schema import field as _field

__all__ = ["CHAPTERS", "Chapter", "ParamError", "Scenario", "catalogue", "load_scenario"]

# Kept for the notebooks' parity test: the fields every notebook receives besides its own.
NOTEBOOK_SCENARIO_FIELDS = SCENARIO_FIELDS
_did_you_mean = did_you_mean

# Limits checked before anything is parsed: a scenario file is a few hundred bytes, so a large
# one is a mistake (or an attack on the parser), and a message never echoes a huge value.
MAX_SCENARIO_BYTES = 256 * 1024
MAX_VALUE_CHARS = 10_000
MAX_NAME_CHARS = 100
SHOWN_CHARS = 60
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def shorten(value: Any, limit: int = SHOWN_CHARS) -> str:
    """repr() of a value for a message, cut to `limit` characters with its length stated."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value)):,} characters)"


def _suggest(word: Any, choices: list[Any]) -> str:
    # difflib is quadratic: a long word is a paste accident, not a typo worth a suggestion.
    return did_you_mean(word, choices) if len(str(word)) <= MAX_NAME_CHARS else ""


class ScenarioBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = _field(
        "Baseline: as of the source article", "Title shown on the briefing", "", max_length=200
    )
    description: str = _field("", "What the scenario represents and why", "", max_length=2000)
    # The first Western long-range fires (HIMARS/GMLRS) arrived in late June 2022, and the dated
    # front line (DeepStateMap, weekly) starts on Monday 4 July 2022: reach needs a line.
    as_of: date = _field(
        date(2024, 11, 18),
        "Only data dated on or before this day are used",
        "date",
        ge=date(2022, 7, 4),
        le=date(2030, 12, 31),
    )
    seed: int = _field(20241118, "Random seed of every Monte Carlo model", "", ge=0, le=2**32 - 1)

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_date_only(cls, value: Any) -> Any:
        # pydantic would read 1718236800 (or "1718236800") as a Unix time and a datetime as
        # its day: a replay date is written as a date, nothing else.
        if isinstance(value, datetime) or not isinstance(value, (date, str)):
            raise ValueError("must be a date written yyyy-mm-dd")
        if isinstance(value, str) and not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError("must be a date written yyyy-mm-dd")
        return value.strip() if isinstance(value, str) else value

    @field_validator("title")
    @classmethod
    def _title_is_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty (it is the heading of the briefing)")
        return value

    def notebook_parameters(self, chapter: Chapter) -> dict[str, Any]:
        """The flat name -> value mapping injected into one chapter's notebook (shared groups
        it reads as `group_name`)."""
        values: dict[str, Any] = {"as_of": self.as_of.isoformat(), "seed": self.seed}
        values.update(getattr(self, chapter.name).model_dump(mode="json"))
        for group in chapter.shared:
            shared = getattr(self, group).model_dump(mode="json")
            values.update({f"{group}_{name}": value for name, value in shared.items()})
        return values


# The scenario model: the scenario fields, the shared parameter groups, and one field per
# chapter, from CHAPTERS.
GROUPS: dict[str, Any] = {**SHARED_GROUPS, **{c.name: c.params for c in CHAPTERS}}
Scenario = create_model(
    "Scenario",
    __base__=ScenarioBase,
    **{name: (model, Field(default_factory=model)) for name, model in GROUPS.items()},
)


@dataclass(frozen=True)
class ParamInfo:
    name: str
    default: Any
    unit: str
    bounds: str
    description: str
    annotation: Any


def _bounds(field: Any) -> str:
    parts = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                parts.append(f"{sign} {getattr(item, attr)}")
        if getattr(item, "min_length", None) is not None:
            parts.append(f"at least {item.min_length} item{'s' if item.min_length != 1 else ''}")
        if getattr(item, "max_length", None) is not None:
            parts.append(f"at most {item.max_length} characters")
    choices = allowed_values(field.annotation)
    if choices:
        parts.append("one of " + ", ".join(map(str, choices)))
    return ", ".join(parts)


def _info(name: str, field: Any) -> ParamInfo:
    extra = field.json_schema_extra or {}
    default = field.get_default(call_default_factory=True)
    return ParamInfo(
        name=name,
        default=default,
        unit=str(extra.get("unit", "")),
        bounds=_bounds(field),
        description=field.description or "",
        annotation=field.annotation,
    )


def catalogue() -> list[ParamInfo]:
    """Every parameter, scenario fields first, then each chapter's as `chapter.name`."""
    out = []
    for name, field in ScenarioBase.model_fields.items():
        out.append(_info(name, field))
    for group, model in GROUPS.items():
        for name, field in model.model_fields.items():
            out.append(_info(f"{group}.{name}", field))
    return out


def _names() -> list[str]:
    return [p.name for p in catalogue()]


def _unknown(name: str) -> ParamError:
    hint = _suggest(name, _names())
    return ParamError(
        f"unknown parameter {shorten(name)}.{hint} See `deepstrike params` for the list."
    )


_NAME_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(name: str) -> None:
    parts = name.split(".")
    # Names end up as Python assignments in papermill's injected cell, which does not check them.
    if len(parts) > 2 or not all(
        _NAME_PART.match(p) and p.isidentifier() and not keyword.iskeyword(p) for p in parts
    ):
        raise ParamError(
            f"parameter name {shorten(name)} is not an identifier (expected name or chapter.name)"
        )


def allowed_values(annotation: Any) -> list[Any]:
    """The allowed values of a Literal parameter (or of a list of Literals); [] otherwise."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        (inner,) = typing.get_args(annotation) or (None,)
        return allowed_values(inner)
    return []


def _problems_of(err: ValidationError, skip_unknown: bool = False) -> list[str]:
    """One line per problem pydantic found, each naming the parameter, values shortened."""
    lines = []
    infos = {p.name: p for p in catalogue()}
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not isinstance(p, int))
        if e["type"] == "extra_forbidden":
            if not skip_unknown:
                lines.append(str(_unknown(loc)))
            continue
        value = e.get("input")
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "value_error" and "range out of order" in msg:
            lines.append(f"invalid parameter {loc}: {msg}")
            continue
        shown = shorten(value) if not isinstance(value, (dict, list)) else ""
        desc = infos.get(loc)
        if e["type"] == "literal_error" and desc is not None:
            choices = allowed_values(desc.annotation)
            hint = _suggest(value, choices)
            lines.append(
                f"invalid parameter {loc} = {shown}: not an allowed value.{hint} "
                f"Allowed: {', '.join(map(str, choices))}"
            )
            continue
        hint = f" ({desc.description}; {desc.unit or 'no unit'})" if desc else ""
        lines.append(f"invalid parameter {loc} = {shown}: {msg[:1].lower()}{msg[1:]}{hint}")
    return lines


def problem_error(origin: str, problems: list[str]) -> ParamError:
    """One ParamError for every problem found; `.problems` keeps them one by one."""
    text = (
        problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems)
    )
    error = ParamError(f"{origin}: {text}")
    error.problems = list(problems)  # type: ignore[attr-defined]
    return error


def _format_error(err: ValidationError, origin: str) -> ParamError:
    return problem_error(origin, _problems_of(err))


def _field_annotation(name: str) -> Any:
    for p in catalogue():
        if p.name == name:
            return p.annotation
    raise _unknown(name)


def parse_override(text: str) -> tuple[str, Any]:
    """`chapter.name=value` from the command line: the value is coerced by the schema's type."""
    if "=" not in text:
        raise ParamError(
            f"override {shorten(text)} must look like name=value or chapter.name=value"
        )
    name, raw = text.split("=", 1)
    name = name.strip()
    check_name(name)
    annotation = _field_annotation(name)
    if len(raw) > MAX_VALUE_CHARS:
        raise ParamError(
            f"-p {name}: the value is {len(raw):,} characters long; values are limited to "
            f"{MAX_VALUE_CHARS:,}"
        )
    if getattr(annotation, "__origin__", None) is list:
        # Lists are comma-separated on the command line: -p pattern.systems=himars,atacms
        return name, [item.strip() for item in raw.split(",") if item.strip()]
    return name, raw


def _set(tree: dict[str, Any], name: str, value: Any) -> None:
    if "." in name:
        chapter, field = name.split(".", 1)
        node = tree.setdefault(chapter, {})
        if not isinstance(node, dict):
            raise ParamError(f"'{chapter}' must be a mapping of parameters")
        node[field] = value
    else:
        tree[name] = value


def _is_number(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return any(_is_number(a) for a in typing.get_args(annotation))
    return annotation in (int, float)


def _tree_problems(tree: dict[str, Any]) -> list[str]:
    """Every unknown or malformed name in a parameter tree, and booleans given for numbers
    (pydantic would read `seed: true` as 1)."""
    groups = set(GROUPS)
    annotations = {p.name: p.annotation for p in catalogue()}
    problems: list[str] = []

    def check(name: str, value: Any) -> None:
        try:
            check_name(name)
        except ParamError as exc:
            problems.append(str(exc))
            return
        if name not in annotations:
            problems.append(str(_unknown(name)))
            return
        items = value if isinstance(value, list) else [value]
        if _is_number(annotations[name]) and any(isinstance(v, bool) for v in items):
            problems.append(
                f"invalid parameter {name} = {shorten(value)}: a boolean is not a number"
            )

    for key, value in tree.items():
        name = str(key)
        if len(name) > MAX_NAME_CHARS:
            problems.append(f"parameter name {shorten(name)} is too long")
        elif key in groups and isinstance(value, dict):
            for sub, inner in value.items():
                check(f"{name}.{sub}", inner)
        elif name in groups:
            problems.append(f"'{name}' must be a mapping of parameters")
        elif "." in name and name in annotations:
            # `supply.firing_per_week: 3` at the top of a YAML file: say how to write it.
            group, field = name.split(".", 1)
            problems.append(
                f"'{name}' must be written nested in a scenario file: '{group}:' and under it "
                f"'  {field}: {shorten(value)}'"
            )
        else:
            check(name, value)
    return problems


def _check_tree(tree: dict[str, Any], origin: str) -> None:
    problems = _tree_problems(tree)
    if problems:
        raise problem_error(origin, problems)


def scenario_path(ref: str) -> Path:
    """A scenario given by name (scenarios/NAME.yaml) or by path."""
    if len(ref) > 4096:
        raise ParamError(f"scenario {shorten(ref)} is not a name or a path")
    candidate = Path(ref)
    if candidate.suffix in {".yaml", ".yml"} or "/" in ref or "\\" in ref:
        if not candidate.is_file():
            raise ParamError(f"scenario file {shorten(ref)} not found")
        return candidate
    if not _NAME_PART.match(ref.replace("-", "_")):
        raise ParamError(f"scenario name {shorten(ref)} is not a valid name")
    path = paths.scenarios_dir() / f"{ref}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in paths.scenarios_dir().glob("*.yaml"))
        hint = _suggest(ref, known)
        raise ParamError(
            f"unknown scenario {shorten(ref)}.{hint} Available: {', '.join(known) or 'none'}"
        )
    return path


def scenario_name(path: Path) -> str:
    name = path.stem
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ParamError(f"scenario file name {path.name!r} may only use letters, digits, - and _")
    if len(name) > MAX_NAME_CHARS:
        raise ParamError(
            f"scenario file name {shorten(path.name)} is too long (at most {MAX_NAME_CHARS} "
            "characters before .yaml)"
        )
    return name


def shown_path(path: Path) -> str:
    """A scenario file as a message names it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, second: int) -> None:
        super().__init__(f"duplicate key {shorten(key)} on lines {first} and {second}")
        self.key, self.first, self.second = key, first, second


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
    """A mapping whose keys are unique: YAML keeps the last of two equal keys, which silently
    drops values (a second `supply:` block would discard the first)."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:
            continue  # an unhashable key: the constructor below reports it
        line = key_node.start_mark.line + 1
        if first is not None:
            raise _DuplicateKey(key, first, line)
        seen[key] = line
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


# libyaml's parser where it is installed (the pure-Python one is ~50 times slower), with the
# safe constructor and unique keys either way.
class ScenarioLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


ScenarioLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_scenario_file(path: Path) -> dict[str, Any]:
    where = f"scenario {shown_path(path)}"
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ParamError(
                f"{where}: the file is {size:,} bytes; scenario files are limited to "
                f"{MAX_SCENARIO_BYTES:,} bytes"
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ParamError(f"{where}: scenario files are limited to {MAX_SCENARIO_BYTES:,} bytes")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(f"{where}: cannot be read ({exc})") from exc
    try:
        tree = yaml.load(text, Loader=ScenarioLoader)  # noqa: S506 - a safe loader
    except _DuplicateKey as exc:
        raise ParamError(
            f"{where}: duplicate key {shorten(exc.key)} on lines {exc.first} and {exc.second} "
            "(the second would silently replace the first)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParamError(f"{where}: malformed YAML{at}: {problem}") from None
    if tree is None:
        return {}
    if not isinstance(tree, dict):
        raise ParamError(f"{where}: must be a mapping of parameter names to values")
    return tree


def load_scenario(ref: str = "baseline", overrides: list[str] | None = None) -> tuple[str, Any]:
    """Resolve, read and validate a scenario plus `-p` overrides; raises ParamError."""
    path = scenario_path(ref)
    name = scenario_name(path)
    tree = read_scenario_file(path)
    origin = f"scenario {shown_path(path)}"
    for text in overrides or []:
        key, value = parse_override(text)
        _set(tree, key, value)
    return name, validate(tree, origin=origin)


def validate(tree: dict[str, Any], origin: str = "parameters") -> Any:
    """The scenario model of a parameter tree; every problem in it is reported at once."""
    problems = _tree_problems(tree)
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as err:
        problems += _problems_of(err, skip_unknown=bool(problems))
    else:
        if not problems:
            return scenario
    raise problem_error(origin, problems)
