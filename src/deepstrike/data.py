"""Load the tables in data/, validate them against datapackage.json, filter by as-of date."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from deepstrike import paths

PACKAGE_FILE = "datapackage.json"
PROVENANCE_FIELDS = ("source_title", "source_url", "source_date")
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
    if field["name"] == "source_url" and not _URL.match(value):
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
        rows = list(csv.reader(text.splitlines(), strict=True))
    except csv.Error as exc:
        raise DataError(f"{label}: malformed CSV ({exc})") from None
    return rows[0], rows[1:]


def validate(res: Resource, root: Path | None = None) -> pd.DataFrame:
    """Read one table and check it against its schema; the first problem raises DataError."""
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
    for name in PROVENANCE_FIELDS:
        if name not in fields:
            raise DataError(f"{label}: schema lacks the provenance column {name}")
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
            if name in PROVENANCE_FIELDS and cell.strip() == "":
                problem = "every row needs a source (source_title, source_url, source_date)"
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
    return frame


def load_table(
    name: str, as_of: date | str | None = None, root: Path | None = None
) -> pd.DataFrame:
    """A validated table; rows dated after `as_of` (the scenario's date) are dropped."""
    table = resources(root).get(name)
    if table is None:
        raise DataError(f"no table named {name!r} in data/{PACKAGE_FILE}")
    return as_of_filter(validate(table, root), table, as_of)


def as_of_filter(frame: pd.DataFrame, table: Resource, as_of: date | str | None) -> pd.DataFrame:
    """Only rows dated on or before `as_of`: what was public then (undated tables pass whole)."""
    if as_of is None or not table.date_field:
        return frame
    cutoff = pd.Timestamp(as_of)
    return frame[frame[table.date_field] <= cutoff].reset_index(drop=True)


def validate_all(root: Path | None = None) -> dict[str, pd.DataFrame]:
    return {name: validate(res, root) for name, res in resources(root).items()}


def file_hashes(root: Path | None = None) -> dict[str, str]:
    """sha256 of every file in data/ (metadata included), for provenance and the cache key."""
    base = _data_dir(root)
    out = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        out[path.relative_to(base).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sources(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per distinct source, with the tables and row counts that rest on it."""
    parts = []
    for name, frame in tables.items():
        if frame.empty:
            continue
        part = frame[list(PROVENANCE_FIELDS)].copy()
        part["table"] = name
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*PROVENANCE_FIELDS, "tables", "rows"])
    rows = pd.concat(parts, ignore_index=True)
    grouped = rows.groupby(list(PROVENANCE_FIELDS), dropna=False)
    out = grouped.agg(
        tables=("table", lambda s: ", ".join(sorted(set(s)))), rows=("table", "size")
    ).reset_index()
    return out.sort_values(["source_date", "source_title"]).reset_index(drop=True)


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
