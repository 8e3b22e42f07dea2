"""Intervals for a proportion (a share of successes): light, importable without pandas."""

from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval of a binomial proportion (Wilson 1927); (nan, nan) when n = 0. Never of zero width,
    unlike a bootstrap of all-correct (or all-wrong) samples, which is [1, 1] however few they are.

    >>> [round(x, 3) for x in wilson_interval(4, 4)]
    [0.51, 1.0]
    """
    from scipy import stats

    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    denominator = 1.0 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


__all__ = ["wilson_interval"]
