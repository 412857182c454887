"""Launch geometry shared by every chapter that measures reach: how far behind the edge of
Ukrainian-held ground each kind of launcher fires from. One set of parameters, so every
chapter and the map agree on what each weapon reaches on a date."""

from __future__ import annotations

from typing import Literal

from deepstrike.schema import ChapterParams
from deepstrike.schema import field as _field

Launcher = Literal["ground_rocket", "ground_cruise", "aircraft", "drone"]


class LaunchParams(ChapterParams):
    """Standoff behind the line of the as-of date, per launcher type (column `launcher` of
    data/strike_systems.csv)."""

    standoff_km_ground_rocket: float = _field(
        20.0,
        "HIMARS/M270 launchers (GMLRS, ATACMS, GLSDB) fire this far behind the line",
        "km",
        ge=0.0,
        le=150.0,
    )
    standoff_km_ground_cruise: float = _field(
        50.0,
        "Ground-launched cruise missiles (Neptune) fire this far behind the line",
        "km",
        ge=0.0,
        le=300.0,
    )
    standoff_km_aircraft: float = _field(
        50.0,
        "Aircraft release air-launched missiles (Storm Shadow/SCALP) this far behind the line",
        "km",
        ge=0.0,
        le=300.0,
    )
    standoff_km_drone: float = _field(
        50.0, "Long-range drones are launched this far behind the line", "km", ge=0.0, le=500.0
    )

    def standoff_km(self, launcher: str) -> float:
        return float(getattr(self, f"standoff_km_{launcher}"))


# Parameter groups that several chapters read; a chapter names the ones it uses.
SHARED_GROUPS: dict[str, type[ChapterParams]] = {"launch": LaunchParams}
