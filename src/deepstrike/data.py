"""Load the tables in data/, validate them against datapackage.json, filter by as-of date."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from deepstrike import paths

PACKAGE_FILE = "datapackage.json"
PROVENANCE_FIELDS = ("source_ids",)
REGISTRY = "sources"
# When a row's information became public: the publication date of its earliest source. The
# as-of filter reads this column, so a replay as of D uses nothing published after D.
KNOWN_FROM = "known_from"
_URL = re.compile(r"^https?://[^\s<>\"']+$")


class DataError(ValueError):
    """A data file that breaks its schema; the message names file, line and column."""


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    title: str
    description: str
    fields: list[dict[str, Any]]
    primary_key: list[str]
    date_field: str | None
    ordered: list[list[str]]
    label_field: str | None = None
    # A row's own date that it was published on (a daily map): its knowledge date is then the
    # later of that date and its earliest source's.
    published_field: str | None = None
    # Reference geography (where airfields and plants are): not filtered by the as-of date.
    static: bool = False

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]


def _data_dir(root: Path | None) -> Path:
    return root if root is not None else paths.data_dir()


def read_package(root: Path | None = None) -> dict[str, Any]:
    path = _data_dir(root) / PACKAGE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: metadata file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def resources(root: Path | None = None) -> dict[str, Resource]:
    out = {}
    for res in read_package(root).get("resources", []):
        schema = res.get("schema", {})
        key = schema.get("primaryKey", [])
        out[res["name"]] = Resource(
            name=res["name"],
            path=res["path"],
            title=res.get("title", res["name"]),
            description=res.get("description", ""),
            fields=schema.get("fields", []),
            primary_key=[key] if isinstance(key, str) else list(key),
            date_field=res.get("x-date-field"),
            ordered=res.get("x-ordered", []),
            label_field=res.get("x-label-field"),
            published_field=res.get("x-published-field"),
            static=bool(res.get("x-static", False)),
        )
    return out


def _check_cell(value: str, field: dict[str, Any]) -> tuple[Any, str | None]:
    """Parse one CSV cell by its field type; return (value, problem)."""
    cons = field.get("constraints", {})
    if value == "":
        return None, ("required value is missing" if cons.get("required") else None)
    kind = field.get("type", "string")
    try:
        if kind == "integer":
            parsed: Any = int(value)
        elif kind == "number":
            parsed = float(value)
        elif kind == "date":
            parsed = date.fromisoformat(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
        elif kind == "boolean":
            if value not in {"true", "false"}:
                raise ValueError
            parsed = value == "true"
        else:
            parsed = value
    except ValueError:
        expected = {"date": "a date yyyy-mm-dd", "boolean": "true or false"}.get(kind, kind)
        return None, f"{value!r} is not {expected}"
    if "enum" in cons and parsed not in cons["enum"]:
        return None, f"{value!r} is not one of {', '.join(map(str, cons['enum']))}"
    if "pattern" in cons and not re.fullmatch(cons["pattern"], value):
        return None, f"{value!r} does not match the pattern {cons['pattern']}"
    if "minimum" in cons and parsed < _bound(cons["minimum"], kind):
        return None, f"{value!r} is below the minimum {cons['minimum']}"
    if "maximum" in cons and parsed > _bound(cons["maximum"], kind):
        return None, f"{value!r} is above the maximum {cons['maximum']}"
    if "maxLength" in cons and len(value) > cons["maxLength"]:
        return None, f"value is longer than {cons['maxLength']} characters"
    if field["name"] in ("url", "copy_url") and not _URL.match(value):
        return None, f"{value!r} is not an http(s) URL"
    return parsed, None


def _bound(raw: Any, kind: str) -> Any:
    return date.fromisoformat(raw) if kind == "date" else raw


def _read_rows(path: Path, label: str) -> tuple[list[str], list[list[str]]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{label}: file not found (listed in data/{PACKAGE_FILE})") from None
    if not raw.strip():
        raise DataError(f"{label}: file is empty (expected a header line and rows)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{label}: not UTF-8 text (byte {exc.start}); the file is corrupt"
        ) from None
    if "\x00" in text:
        raise DataError(f"{label}: contains NUL bytes; the file is corrupt")
    try:
        # The csv module's own line handling (newline=""): a quoted field may span lines, and
        # splitting into lines first would join its parts with nothing between them.
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise DataError(f"{label}: malformed CSV ({exc})") from None
    return rows[0], rows[1:]


def validate(
    res: Resource, root: Path | None = None, registry: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read one table and check it against its schema; the first problem raises DataError.

    Every row of a data table names its sources by registry id; with the registry given, each
    id must exist, and the row gets its knowledge date (`known_from`)."""
    path = _data_dir(root) / res.path
    label = f"data/{res.path}"
    header, rows = _read_rows(path, label)
    missing = [f for f in res.field_names if f not in header]
    extra = [h for h in header if h not in res.field_names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(extra)}")
        raise DataError(f"{label}, line 1 (header): {'; '.join(parts)}")
    fields = {f["name"]: f for f in res.fields}
    sourced = res.name != REGISTRY
    for name in PROVENANCE_FIELDS if sourced else ():
        if name not in fields:
            raise DataError(f"{label}: schema lacks the provenance column {name}")
    published = (
        dict(zip(registry["source_id"], registry["published"], strict=True))
        if registry is not None
        else None
    )
    records: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{label}, line {number}: {len(row)} fields, header has {len(header)}")
        record: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            value, problem = _check_cell(cell.strip(), fields[name])
            if sourced and name in PROVENANCE_FIELDS:
                ids_problem = _check_source_ids(cell.strip(), published)
                problem = ids_problem if not cell.strip() else (problem or ids_problem)
            if problem:
                raise DataError(f"{label}, line {number}, column {name}: {problem}")
            record[name] = value
        key = tuple(record[k] for k in res.primary_key)
        if key in seen:
            raise DataError(
                f"{label}, line {number}, column {'+'.join(res.primary_key)}: duplicate key "
                f"{key if len(key) > 1 else key[0]!r} (first on line {seen[key]})"
            )
        seen[key] = number
        for group in res.ordered:
            present = [(c, record[c]) for c in group if record.get(c) is not None]
            for (a, va), (b, vb) in zip(present, present[1:], strict=False):
                if va > vb:
                    raise DataError(
                        f"{label}, line {number}, column {b}: {vb} is below {a} {va} "
                        f"(expected {' <= '.join(group)})"
                    )
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=header)
    for name, field in fields.items():
        if field.get("type") == "date":
            frame[name] = pd.to_datetime(frame[name])
    if sourced and published is not None:
        earliest = pd.to_datetime(
            [min(published[i] for i in split_ids(ids)) for ids in frame["source_ids"]]
            if len(frame)
            else []
        )
        if res.published_field:
            earliest = pd.Series(earliest).where(
                pd.Series(earliest) >= frame[res.published_field], frame[res.published_field]
            )
        frame[KNOWN_FROM] = earliest
    return frame


def split_ids(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(";") if part.strip()]


def _check_source_ids(text: str, published: dict[str, Any] | None) -> str | None:
    if not text:
        return "every row needs a source (source_ids: registry ids from data/sources.csv)"
    if published is None:
        return None
    unknown = [i for i in split_ids(text) if i not in published]
    if unknown:
        return f"unknown source id {unknown[0]!r} (not in data/sources.csv)"
    return None


# Validated tables by the content of the files they came from. A chapter reads the registry
# once per table and the backtest and what-if views load the same tables at every point, so
# parsing each CSV once per process matters; keying on content (not on mtime) means an edited
# file is always read again.
_VALIDATED: dict[tuple[str, ...], pd.DataFrame] = {}
_VALIDATED_MAX = 64


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # the validator reports a missing or unreadable file in its own words


def _validated(res: Resource, root: Path | None, with_registry: bool) -> pd.DataFrame:
    """validate(), memoised on the bytes of the metadata, the table and the registry."""
    base = _data_dir(root)
    files = [base / PACKAGE_FILE, base / res.path]
    if with_registry:
        described = resources(root).get(REGISTRY)
        if described is None:
            registry(root)  # raises: no source registry in the metadata
        files.append(base / described.path)
    digests = [_digest(f) for f in files]
    key = (str(base.resolve()), res.name, *[d or "" for d in digests])
    if None not in digests and key in _VALIDATED:
        return _VALIDATED[key].copy()
    frame = validate(res, root, registry(root) if with_registry else None)
    if None not in digests:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = frame.copy()
    return frame


def registry(root: Path | None = None) -> pd.DataFrame:
    """data/sources.csv: one row per source document, validated."""
    table = resources(root).get(REGISTRY)
    if table is None:
        raise DataError(f"no source registry ({REGISTRY}) in data/{PACKAGE_FILE}")
    return _validated(table, root, with_registry=False)


def load_table(
    name: str, as_of: date | str | None = None, root: Path | None = None
) -> pd.DataFrame:
    """A validated table; rows whose information became public after `as_of` are dropped."""
    table = resources(root).get(name)
    if table is None:
        raise DataError(f"no table named {name!r} in data/{PACKAGE_FILE}")
    if name == REGISTRY:
        frame = registry(root)
        return frame if as_of is None else frame[frame["published"] <= pd.Timestamp(as_of)]
    return as_of_filter(_validated(table, root, with_registry=True), table, as_of)


def as_of_filter(frame: pd.DataFrame, table: Resource, as_of: date | str | None) -> pd.DataFrame:
    """Only rows public on or before `as_of` (their knowledge date, not their event date)."""
    if as_of is None or table.static:
        return frame
    cutoff = pd.Timestamp(as_of)
    if KNOWN_FROM in frame.columns:
        return frame[frame[KNOWN_FROM] <= cutoff].reset_index(drop=True)
    if table.date_field:
        return frame[frame[table.date_field] <= cutoff].reset_index(drop=True)
    return frame


def validate_all(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every table, the registry first (the others reference it)."""
    described = resources(root)
    reg = registry(root)
    out = {REGISTRY: reg}
    for name, res in described.items():
        if name != REGISTRY:
            out[name] = validate(res, root, reg)
    return out


def file_hashes(root: Path | None = None) -> dict[str, str]:
    """sha256 of every file in data/ (metadata included), for provenance and the cache key."""
    base = _data_dir(root)
    out = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        out[path.relative_to(base).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sources_used(
    tables: dict[str, pd.DataFrame], reg: pd.DataFrame, as_of: date | str | None = None
) -> pd.DataFrame:
    """Registry rows that back at least one row of `tables`, with the tables and row counts
    resting on each; with `as_of`, only sources published by then."""
    counts: dict[str, dict[str, int]] = {}
    for name, frame in tables.items():
        if name == REGISTRY or frame.empty or "source_ids" not in frame.columns:
            continue
        for ids in frame["source_ids"]:
            for sid in split_ids(ids):
                counts.setdefault(sid, {}).setdefault(name, 0)
                counts[sid][name] += 1
    used = reg[reg["source_id"].isin(counts)].copy()
    if as_of is not None:
        used = used[used["published"] <= pd.Timestamp(as_of)]
    used["tables"] = used["source_id"].map(lambda s: ", ".join(sorted(counts[s])))
    used["rows"] = used["source_id"].map(lambda s: sum(counts[s].values()))
    return used.sort_values(["published", "outlet"]).reset_index(drop=True)


def table_fingerprint(
    names: tuple[str, ...] | list[str], root: Path | None = None
) -> dict[str, str]:
    """sha256 of each named table's file and of its schema entry: a chapter's cache reads only
    the tables it declares, so editing another table re-executes no notebook of this one."""
    base = _data_dir(root)
    described = {res["name"]: res for res in read_package(root).get("resources", [])}
    out = {}
    for name in sorted(names):
        res = described.get(name)
        if res is None:
            raise DataError(f"no table named {name!r} in data/{PACKAGE_FILE}")
        path = base / res["path"]
        body = path.read_bytes() if path.is_file() else b""
        schema = json.dumps(res, sort_keys=True).encode()
        out[name] = hashlib.sha256(body + b"\0" + schema).hexdigest()
    return out


CLASS_ORDER = ("official", "wire", "major", "specialist", "regional", "state_media", "aggregator")
CLASS_NAMES = {
    "official": "Official statements and documents",
    "wire": "News agencies",
    "major": "Major outlets of record",
    "specialist": "Specialists: think tanks, defence press, data projects",
    "regional": "Regional and national outlets",
    "state_media": "State media of a party to the war (that party's claims only)",
    "aggregator": "Aggregators and reposts (never alone)",
}


def source_links(ids: str, by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What a reader needs to cite a row's sources: outlet, English title, date, links."""
    out = []
    for sid in split_ids(ids):
        src = by_id[sid]
        out.append(
            {
                "id": sid,
                "outlet": src["outlet"],
                "title": src["title_en"] or src["title"],
                "published": src["published"],
                "url": src["url"] or src["copy_url"],
                "copy_url": src["copy_url"] if src["url"] else "",
            }
        )
    return out


def registry_records(reg: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The registry by id, dates as yyyy-mm-dd and empty cells as ''."""
    shown = reg.assign(
        published=reg["published"].dt.strftime("%Y-%m-%d"),
        accessed=reg["accessed"].dt.strftime("%Y-%m-%d"),
    ).fillna("")
    return {row["source_id"]: row for row in shown.to_dict("records")}
