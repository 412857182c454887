"""Medians and interval ends of Monte Carlo draws, per row, from one sort of each row.

`np.median` and `np.percentile` each partition the draws again, and on this numpy one sort of
a row of 100,000 draws is quicker than one partition. Sorting once gives every order statistic
the chapter reads. The values are numpy's own, bit for bit: the same order statistics, the two
middle ones of an even row averaged as `np.median` averages them, and NaN where a row holds
NaN (a test compares both ways on rows with ties, infinities and NaN).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def inverted_cdf_ranks(n: int, pcts: tuple[float, ...]) -> tuple[int, ...]:
    """Rank of the draw that np.percentile(..., method="inverted_cdf") returns, per percentile.

    Read off numpy itself, from a row whose values are their own ranks, so that its rounding
    rule is not written out a second time here."""
    ranks = np.percentile(np.arange(n, dtype=float), list(pcts), method="inverted_cdf")
    return tuple(int(r) for r in ranks)


def _nan_rows(ordered: np.ndarray) -> np.ndarray:
    # np.sort puts NaN last, as numpy's own median and percentile checks assume.
    return np.isnan(ordered[..., -1])


def median_sorted(ordered: np.ndarray) -> np.ndarray:
    """np.median along the last axis of rows already sorted along it."""
    n = ordered.shape[-1]
    if n % 2:
        out = ordered[..., n // 2].astype(float)
    else:
        out = np.mean(ordered[..., n // 2 - 1 : n // 2 + 1], axis=-1)
    return np.where(_nan_rows(ordered), np.nan, out)


def inverted_cdf_sorted(ordered: np.ndarray, pcts: tuple[float, ...]) -> list[np.ndarray]:
    """np.percentile(..., method="inverted_cdf") along the last axis of sorted rows."""
    nan = _nan_rows(ordered)
    ranks = inverted_cdf_ranks(ordered.shape[-1], tuple(float(p) for p in pcts))
    return [np.where(nan, np.nan, ordered[..., r]) for r in ranks]


def medians(values: np.ndarray) -> np.ndarray:
    """np.median(values, axis=-1), one sort per row."""
    values = np.asarray(values, float)
    if values.shape[-1] == 0:
        return np.median(values, axis=-1)
    return median_sorted(np.sort(values, axis=-1))


def interval_and_median(
    values: np.ndarray, interval_pct: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(low, median, high) by np.percentile's inverted_cdf (no interpolation between draws, so
    a row with infinite draws gives inf, not nan), and np.median, along the last axis."""
    values = np.asarray(values, float)
    tail = (100 - interval_pct) / 2
    pcts = (tail, 50.0, 100 - tail)
    if values.shape[-1] == 0:
        lo, med, hi = np.percentile(values, pcts, axis=-1, method="inverted_cdf")
        return lo, med, hi, np.median(values, axis=-1)
    ordered = np.sort(values, axis=-1)
    lo, med, hi = inverted_cdf_sorted(ordered, pcts)
    return lo, med, hi, median_sorted(ordered)
