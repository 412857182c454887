"""The drone model's shortcuts give numpy's and the long way's values exactly, not nearly:
one sort per row for medians and interval ends, the comparison under the priors reusing the
draws that do not depend on the air defence, and the saturation curve summarising equal rows
once."""

from __future__ import annotations

import numpy as np
import pytest

from deepstrike import data
from deepstrike.chapters.drones import CHAPTER, order_stats
from deepstrike.chapters.drones import model as drones

AS_OF = "2024-11-18"


def _rows(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    rows = rng.lognormal(size=(6, n))
    rows[1] = np.round(rows[1], 1)  # many ties
    rows[2, ::3] = np.inf  # a weapon that never gets through in a third of the draws
    rows[3, 5 % n] = np.nan
    rows[4] = 2.5  # all equal
    rows[5, : n // 2] = -np.inf
    return rows


@pytest.mark.parametrize("n", [1, 2, 7, 200, 1001, 20000])
@pytest.mark.parametrize("interval_pct", [50.0, 80.0, 90.0, 95.0, 99.0])
def test_one_sort_gives_numpys_median_and_interval_bit_for_bit(n: int, interval_pct: float) -> None:
    rows = _rows(n)
    tail = (100 - interval_pct) / 2
    with np.errstate(invalid="ignore"):
        want = np.percentile(rows, [tail, 50, 100 - tail], axis=1, method="inverted_cdf")
        median = np.median(rows, axis=1)
    lo, med, hi, mid = order_stats.interval_and_median(rows, interval_pct)
    for got, expected in zip((lo, med, hi, mid), (*want, median), strict=True):
        np.testing.assert_array_equal(got, expected)  # NaN where numpy gives NaN, too
    np.testing.assert_array_equal(order_stats.medians(rows), median)


def test_a_row_without_draws_fails_as_numpy_does() -> None:
    with pytest.raises(IndexError):
        order_stats.interval_and_median(np.zeros((2, 0)), 90.0)


@pytest.fixture(scope="module")
def inputs() -> tuple:
    tables = {n: data.load_table(n, as_of=AS_OF) for n in CHAPTER.tables}
    p = CHAPTER.run_model(draws=3000)
    systems = drones.prepare_systems(
        tables["strike_systems"], p, set(tables["donor_supply"]["system_id"])
    )
    air = drones.air_defence(tables["raid_outcomes"], p, 4)
    prior = drones.air_defence(tables["raid_outcomes"], p, 4, calibrate=False, check=False)
    return systems, p, air, prior, tables["raid_outcomes"]


def test_the_prior_run_reusing_draws_equals_drawing_them_again(inputs: tuple) -> None:
    systems, p, air, prior, _ = inputs
    run = drones.simulate(systems, p, air, 4)
    again = drones.simulate(systems, p, prior, 4)
    reused = drones.simulate(systems, p, prior, 4, like=run)
    for name in ("cost", "payload", "p_kill", "p_arrive", "p_hit"):
        np.testing.assert_array_equal(getattr(reused, name), getattr(again, name))
    for h in drones.HARDNESS:
        np.testing.assert_array_equal(reused.cpeh[h], again.cpeh[h])
        np.testing.assert_array_equal(reused.p_effect[h], again.p_effect[h])
    # The drone rows really changed with the air defence: the shortcut is not a copy.
    assert not np.array_equal(reused.p_arrive, run.p_arrive)


def test_reusing_draws_of_another_comparison_is_refused(inputs: tuple) -> None:
    systems, p, air, prior, raids = inputs
    run = drones.simulate(systems, p, air, 4)
    with pytest.raises(ValueError, match="same systems and draws"):
        drones.simulate(systems.iloc[:-1], p, prior, 4, like=run)
    fewer = CHAPTER.run_model(draws=1000)
    small = drones.air_defence(raids, fewer, 4, calibrate=False, check=False)
    with pytest.raises(ValueError, match="same systems and draws"):
        drones.simulate(systems, fewer, small, 4, like=run)


def test_the_saturation_curve_equals_summarising_every_raid_size(inputs: tuple) -> None:
    _, p, air, prior, _ = inputs
    sizes = drones.saturation_grid()
    curve = drones.saturation_curve(air, prior, sizes, p.interval_pct)
    tail = (100 - p.interval_pct) / 2
    for i, size in enumerate(sizes):
        share = drones.p_arrive(air.p_kill, size, air.capacity, air.ew)
        lo, med, hi = np.percentile(share, [tail, 50, 100 - tail], method="inverted_cdf")
        base = drones.p_arrive(prior.p_kill, size, prior.capacity, prior.ew)
        row = curve.iloc[i]
        assert (row["low"], row["p_arrive"], row["high"]) == (lo, med, hi)
        assert row["prior"] == np.median(base)
    # Small raids saturate no draw's defence, so the shortcut has equal rows to share.
    assert curve["p_arrive"].iloc[0] == curve["p_arrive"].iloc[1]
