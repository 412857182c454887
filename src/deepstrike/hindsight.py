"""'What happened next': rows the data hold that became public after a scenario's as-of date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from deepstrike.data import KNOWN_FROM, REGISTRY, Resource, registry_records, source_links


def _label(row: pd.Series, res: Resource, columns: list[str]) -> str:
    """The row's describing column, as the table declares it (`label_field` in tables.yaml)."""
    value = row[res.label_field] if res.label_field else None
    if not isinstance(value, str) or not value.strip():
        return ""
    prefix = f"{row['system_name']}: " if "system_name" in columns else ""
    return prefix + value.strip()


def later_rows(
    tables: dict[str, pd.DataFrame],
    resources: dict[str, Resource],
    as_of: date,
    limit: int = 40,
) -> list[dict[str, Any]]:
    """The earliest `limit` rows that became public after `as_of`, each with its sources."""
    cutoff = pd.Timestamp(as_of)
    by_id = registry_records(tables[REGISTRY])
    rows = []
    for name, frame in tables.items():
        res = resources[name]
        if name == REGISTRY or frame.empty or KNOWN_FROM not in frame.columns:
            continue
        later = frame[frame[KNOWN_FROM] > cutoff]
        columns = list(frame.columns)
        for _, row in later.iterrows():
            text = _label(row, res, columns)
            if not text:
                continue
            rows.append(
                {
                    "date": row[KNOWN_FROM].strftime("%Y-%m-%d"),
                    "table": res.title,
                    "text": text,
                    "claimed_by": row.get("claimed_by")
                    if isinstance(row.get("claimed_by"), str)
                    else "",
                    "sources": source_links(row["source_ids"], by_id),
                }
            )
    rows.sort(key=lambda r: (r["date"], r["table"]))
    return rows[:limit]
