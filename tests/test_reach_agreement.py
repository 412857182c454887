"""One launch geometry: the supply chapter, the drones chapter and the supply map report the same
reach for the same weapon at the same date (the launch issue's "Done means")."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from deepstrike import data, geo
from deepstrike.chapter import get
from deepstrike.chapters.supply import figures as supply_figures
from deepstrike.chapters.supply.model import GMLRS_ID, LR_ID

# Dates with ATACMS public and different front lines; a moved standoff must move all three.
CASES = [
    (date(2024, 11, 18), {}),
    (date(2025, 6, 1), {}),
    (date(2024, 11, 18), {"standoff_km_ground_rocket": 45.0}),
]


def _run(name: str, as_of: date, launch: dict) -> object:
    chapter = get(name)
    base = chapter.run_model()
    p = base.model_copy(update={"launch": base.launch.model_copy(update=launch)})
    tables = {t: data.load_table(t, as_of=as_of) for t in chapter.tables}
    return chapter.analyse(p, tables, as_of, 1)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}{'-moved' if c[1] else ''}")
def pair(request: pytest.FixtureRequest) -> tuple:
    as_of, launch = request.param
    return _run("supply", as_of, launch), _run("drones", as_of, launch), launch


@pytest.mark.parametrize("system", [LR_ID, GMLRS_ID])
def test_both_chapters_use_one_range_and_one_standoff(pair: tuple, system: str) -> None:
    supply, drones, launch = pair
    strike = drones.reach.drop_duplicates("system_id").set_index("system_id")
    assert system in supply.ranges and system in strike.index
    assert supply.standoff_km == drones.standoff_km[system]
    if launch:
        assert supply.standoff_km == launch["standoff_km_ground_rocket"]
    systems = supply.systems.set_index("system_id")
    assert supply.ranges[system] == systems.loc[system, "range_km_central"]


@pytest.mark.parametrize("system", [LR_ID, GMLRS_ID])
def test_every_shared_target_is_in_reach_in_both_or_neither(pair: tuple, system: str) -> None:
    supply, drones, _ = pair
    ours = supply.reached.set_index("target_id")
    theirs = drones.targets.set_index("target_id")
    shared = ours.index.intersection(theirs.index)
    assert len(shared) >= 20, "the chapters should share the airbases of targets.csv"
    # The same distance from the same edge of held ground ...
    np.testing.assert_allclose(
        ours.loc[shared, "line_distance_km"], theirs.loc[shared, "line_distance_km"], atol=1e-6
    )
    # ... and the same verdict from the same range and standoff.
    in_supply = ours.loc[shared, f"in_{system}"].to_numpy()
    in_drones = geo.in_reach(
        theirs.loc[shared, "line_distance_km"].to_numpy(),
        supply.ranges[system],
        drones.standoff_km[system],
    )
    assert (in_supply == in_drones).all()
    # And the drones chapter's own per-band count of that system says the same in total.
    rows = drones.reach[drones.reach["system_id"] == system]
    targets = drones.targets
    expected = int(
        geo.in_reach(
            targets["line_distance_km"].to_numpy(),
            supply.ranges[system],
            drones.standoff_km[system],
        ).sum()
    )
    assert int(rows["n_reach"].sum()) == expected


def test_the_map_draws_the_range_the_chapters_count(pair: tuple) -> None:
    supply, _, _ = pair
    fig = supply_figures.reach_map(supply)
    name = supply.systems.set_index("system_id").loc[LR_ID, "system_name"]
    km = supply.ranges[LR_ID]
    ring = [t for t in fig.data if t.name and t.name.startswith(f"{name}: ")]
    assert len(ring) == 1, [t.name for t in fig.data]
    lat = np.array([v for v in ring[0].lat if v is not None], float)
    lon = np.array([v for v in ring[0].lon if v is not None], float)
    assert len(lat) > 20
    # Every vertex of the drawn band lies at the range from launchers behind the line, within
    # the map grid's resolution (0.15 degrees, about 17 km north-south).
    launch_km = geo.distance_to_held_km(lat, lon, supply.edge["parts"]) + supply.standoff_km
    assert np.abs(launch_km - km).max() < 17.0, np.abs(launch_km - km).max()
    # The map marks in range exactly the targets the chapter counts in range, at their places.
    marked = [t for t in fig.data if t.name == "target in range"]
    assert len(marked) == 1
    inside = supply.reached[supply.reached[f"in_{LR_ID}"]]
    drawn = np.column_stack([marked[0].lat, marked[0].lon]).astype(float)
    counted = inside[["lat", "lon"]].to_numpy(float)
    assert len(drawn) == len(counted)
    # each marker at one counted target, to the map's rounding of coordinates (3 decimals)
    gap = np.abs(drawn[:, None, :] - counted[None, :, :]).max(axis=2)
    assert (gap.min(axis=1) < 1e-3).all() and (gap.min(axis=0) < 1e-3).all()
