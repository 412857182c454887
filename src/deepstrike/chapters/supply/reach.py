"""What the missiles reach from launch positions behind the line, split by where the targets
are (occupied Ukraine, Russia proper) and by what the US permitted at the as-of date."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepstrike import geo

OCCUPIED_MARK = "(occupied"  # targets' region marks occupied Ukrainian regions this way
# US permissions, as dated in data/pattern_events.csv (system_id, event_type).
PERMISSION_RUSSIA = ("atacms_in_russia", "approval")  # ATACMS inside Russia (17 Nov 2024)
PERMISSION_BORDER = ("us_weapons_kharkiv", "approval")  # counter-fire near Kharkiv (30 May 2024)
# Russian territory across the border from Kharkiv Oblast, where the counter-fire permission
# of 30 May 2024 let Ukraine use US weapons other than ATACMS.
BORDER_REGIONS = ("Belgorod Oblast",)
# The region the 17 November permission reportedly covered first (pattern_events: "initially
# against forces in Kursk").
FIRST_REGIONS = ("Kursk Oblast",)
AREAS = ("occupied Ukraine", "Russia")


def area_of(region: pd.Series) -> pd.Series:
    """'occupied Ukraine' for regions marked occupied, else 'Russia' (Russia proper)."""
    occupied = region.astype(str).str.contains(OCCUPIED_MARK, regex=False)
    return pd.Series(np.where(occupied, AREAS[0], AREAS[1]), index=region.index)


def reach(
    targets: pd.DataFrame,
    parts: list[np.ndarray],
    standoff_km: float,
    ranges_km: dict[str, float],
) -> pd.DataFrame:
    """Targets with their distance from launch positions (held ground + standoff), their area
    and in-range flags; a target on held ground is at distance 0."""
    out = targets.copy()
    to_line = geo.distance_to_held_km(out["lat"], out["lon"], parts) if len(out) else []
    out["line_distance_km"] = to_line
    out["launch_distance_km"] = out["line_distance_km"] + standoff_km
    out["area"] = area_of(out["region"]) if len(out) else pd.Series(dtype=str)
    for name, km in ranges_km.items():
        out[f"in_{name}"] = out["launch_distance_km"] <= km
    return out


def counts_in_range(reached: pd.DataFrame, ranges_km: dict[str, float]) -> pd.DataFrame:
    """Targets within each range, by target type, plus a total row."""
    rows = []
    for kind, part in reached.groupby("target_type"):
        rows.append({"target_type": kind, **{n: int(part[f"in_{n}"].sum()) for n in ranges_km}})
    rows.append({"target_type": "all", **{n: int(reached[f"in_{n}"].sum()) for n in ranges_km}})
    return pd.DataFrame(rows)


@dataclass
class Permissions:
    """The US permissions public at the as-of date (None: not yet granted, or not public)."""

    russia: pd.Series | None  # ATACMS inside Russia
    border: pd.Series | None  # US weapons other than ATACMS across from Kharkiv

    @property
    def rows(self) -> list[pd.Series]:
        return [r for r in (self.russia, self.border) if r is not None]


def permissions(events: pd.DataFrame) -> Permissions:
    def first(key: tuple[str, str]) -> pd.Series | None:
        rows = events[(events["system_id"] == key[0]) & (events["event_type"] == key[1])]
        return None if rows.empty else rows.sort_values("date_central").iloc[0]

    return Permissions(russia=first(PERMISSION_RUSSIA), border=first(PERMISSION_BORDER))


def by_area(
    airbases: pd.DataFrame, ranges_km: dict[str, float], names: dict[str, str]
) -> pd.DataFrame:
    """Airbases within each range band, split into occupied Ukraine and Russia proper, with the
    two Russian regions the permissions named picked out."""
    groups = [
        (AREAS[0], airbases["area"] == AREAS[0]),
        (AREAS[1], airbases["area"] == AREAS[1]),
    ]
    for region in FIRST_REGIONS + BORDER_REGIONS:
        groups.append((f"  of which {region}", airbases["region"] == region))
    rows = []
    for label, mask in groups:
        part = airbases[mask]
        row = {"area": label, "mapped": len(part)}
        row.update({names.get(s, s): int(part[f"in_{s}"].sum()) for s in ranges_km})
        rows.append(row)
    return pd.DataFrame(rows)


def count_at(
    airbases: pd.DataFrame,
    front: pd.DataFrame,
    when: pd.Timestamp,
    standoff_km: float,
    range_km: float,
    area: str,
) -> int | None:
    """Airbases of an area within range from the line in force on another date (None before
    the first stored line)."""
    try:
        edge = geo.held_edge(front, when)
    except ValueError:
        return None
    part = airbases[airbases["area"] == area]
    if part.empty:
        return 0
    distance = geo.distance_to_held_km(part["lat"], part["lon"], edge["parts"])
    return int(geo.in_reach(distance, range_km, standoff_km).sum())
