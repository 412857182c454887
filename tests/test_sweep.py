"""`deepstrike sweep`: designs, validation before running, caching, and worker-count invariance."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from deepstrike import sweep
from deepstrike.params import ParamError


def test_a_grid_axis_has_its_values_and_the_grid_is_their_product() -> None:
    a = sweep.parse_axis("pattern.months_threshold_days=30:120:4")
    assert a.values == (30, 60, 90, 120) and a.integer
    b = sweep.parse_axis("supply.firing_policy=steady,salvo")
    design = sweep.make_design([a, b])
    assert len(design.points) == 8
    assert {p["supply.firing_policy"] for p in design.points} == {"steady", "salvo"}


def test_bounds_default_to_the_schema() -> None:
    axis = sweep.parse_axis("pattern.months_threshold_days")
    assert (axis.low, axis.high) == (14.0, 365.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pattern.no_such=1:2:3", "unknown parameter"),
        ("pattern.months_threshold_days=90:30:3", "low bound above high bound"),
        ("pattern.months_threshold_days=a:b:3", "must be numbers"),
        ("supply.firing_policy", "not numeric"),
    ],
)
def test_bad_axes_are_refused_with_a_message(spec: str, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        sweep.parse_axis(spec)


def test_sampled_designs_stay_within_bounds_and_are_seeded() -> None:
    axes = [sweep.parse_axis("pattern.months_threshold_days=30:120")]
    lhs = sweep.make_design(axes, "lhs", samples=16, seed=3)
    assert len(lhs.points) == 16
    values = [p["pattern.months_threshold_days"] for p in lhs.points]
    assert min(values) >= 30 and max(values) <= 120
    assert lhs.points == sweep.make_design(axes, "lhs", samples=16, seed=3).points
    saltelli = sweep.make_design(axes, "saltelli", samples=10, seed=3)
    assert len(saltelli.points) == 16 * (1 + 2)  # N (rounded up to 2^k) * (D + 2)


def test_every_point_is_validated_before_anything_runs() -> None:
    # The schema allows 14..365 days; a grid reaching 5 is refused whole, naming the point.
    design = sweep.make_design([sweep.parse_axis("pattern.months_threshold_days=5:60:3")])
    with pytest.raises(ParamError, match="point 0"):
        sweep.validate_points("baseline", design)


def test_only_chapters_that_read_a_varied_parameter_run() -> None:
    assert sweep.affected_chapters([sweep.Axis("pattern.draws")]) == ["pattern"]
    shared = sweep.affected_chapters([sweep.Axis("launch.standoff_km_drone")])
    assert "drones" in shared and "pattern" not in shared
    assert len(sweep.affected_chapters([sweep.Axis("as_of")])) >= 4


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers_and_reruns_hit_the_cache(
    tmp_path: Path,
) -> None:
    design = sweep.make_design([sweep.parse_axis("pattern.months_threshold_days=30:150:3")])
    one = sweep.run("baseline", design, tmp_path / "one.parquet", workers=1, log=lambda _l: None)
    two = sweep.run(
        "baseline",
        design,
        tmp_path / "two.parquet",
        tmp_path / "cache",
        workers=2,
        log=lambda _l: None,
    )
    pd.testing.assert_frame_equal(one.table, two.table)
    assert two.computed == 3 and two.workers == 2
    again = sweep.run("baseline", design, None, tmp_path / "cache", workers=2, log=lambda _l: None)
    assert again.computed == 0 and again.cached == 3
    pd.testing.assert_frame_equal(again.table, two.table)
    import pyarrow.parquet as pq

    meta = pq.read_schema(tmp_path / "two.parquet").metadata
    described = json.loads(meta[b"deepstrike"])
    assert described["scenario"] == "baseline" and described["design"]["points"] == 3
    assert set(pd.read_parquet(tmp_path / "two.parquet")["point"]) == {0, 1, 2}
