"""`data/datapackage.json`, generated from one field dictionary and the list of tables.

`data/fields.yaml` defines every field name once (type, unit, description, constraints);
`data/tables.yaml` lists each table's fields by name, its key, the date the as-of filter reads,
ordered low/central/high groups and the column that describes a row. A field whose allowed
values are the chapters (`x-enum-from: chapters`) takes them from the registry.
Run `python -m deepstrike.datapackage` (or `make data`) after editing either file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from deepstrike import paths

FIELDS_FILE = "fields.yaml"
TABLES_FILE = "tables.yaml"
OUTPUT = "datapackage.json"


class DictionaryError(ValueError):
    """The field dictionary or the table list is inconsistent."""


def _read(path: Path) -> dict[str, Any]:
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DictionaryError(f"{path}: cannot be read ({exc})") from exc
    if not isinstance(tree, dict):
        raise DictionaryError(f"{path}: must be a mapping")
    return tree


def _field(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    out = {"name": name, **{k: v for k, v in definition.items() if not k.startswith("x-")}}
    if definition.get("x-enum-from") == "chapters":
        from deepstrike.chapters import CHAPTERS

        out.setdefault("constraints", {})["enum"] = [c.name for c in CHAPTERS] + ["none"]
    return out


def generate(root: Path | None = None) -> dict[str, Any]:
    """The datapackage as a dict, from the dictionary and the table list."""
    base = root if root is not None else paths.data_dir()
    dictionary = _read(base / FIELDS_FILE)
    fields = dictionary.get("fields", {})
    tables = _read(base / TABLES_FILE).get("tables", {})
    resources = []
    used: set[str] = set()
    for name, table in tables.items():
        unknown = [f for f in table["fields"] if f not in fields]
        if unknown:
            raise DictionaryError(
                f"{TABLES_FILE}: table {name} lists fields not in {FIELDS_FILE}: "
                + ", ".join(unknown)
            )
        used |= set(table["fields"])
        for key in ("date_field", "label_field", "published_field"):
            if table.get(key) and table[key] not in table["fields"]:
                raise DictionaryError(f"{TABLES_FILE}: {name}.{key} {table[key]!r} is no field")
        resource: dict[str, Any] = {
            "name": name,
            "path": table["path"],
            "title": table["title"],
            "description": table["description"],
            "format": "csv",
            "encoding": "utf-8",
        }
        if table.get("date_field"):
            resource["x-date-field"] = table["date_field"]
        if table.get("label_field"):
            resource["x-label-field"] = table["label_field"]
        if table.get("published_field"):
            resource["x-published-field"] = table["published_field"]
        if table.get("static"):
            resource["x-static"] = True
        if table.get("ordered"):
            resource["x-ordered"] = table["ordered"]
        if table.get("licence"):
            resource["licenses"] = [table["licence"]]
        resource["schema"] = {
            "fields": [_field(f, fields[f]) for f in table["fields"]],
            "primaryKey": table["primary_key"],
        }
        resources.append(resource)
    unused = sorted(set(fields) - used)
    if unused:
        raise DictionaryError(f"{FIELDS_FILE}: fields no table uses: {', '.join(unused)}")
    return {**dictionary.get("package", {}), "resources": resources}


def text(root: Path | None = None) -> str:
    return json.dumps(generate(root), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    base = paths.data_dir()
    (base / OUTPUT).write_text(text(base), encoding="utf-8")
    print(f"wrote {base / OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
