"""System-level aggregates with seeded bootstrap confidence intervals.

Every aggregate emoeval reports carries an uncertainty. Means of per-sample values use
:func:`scipy.stats.bootstrap` (percentile or BCa); corpus metrics, whose value is a function of a whole set
of samples (distinct-n, Fréchet distances), use :func:`bootstrap_corpus`, which recomputes the metric on
resamples of the system's samples and takes percentiles (Efron & Tibshirani 1993, ch. 13), or
:func:`jackknife_corpus` for statistics that resampling *with replacement* biases (duplicated responses
lower distinct-n, so its bootstrap interval can miss the estimate altogether): the leave-one-out jackknife
standard error with a t interval (Efron & Tibshirani 1993, ch. 11). All are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

CIMethod = Literal["percentile", "BCa"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate, its confidence interval and the number of values behind it.

    The interval is (nan, nan) when it is undefined: fewer than two values.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int


def mean_with_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "percentile",
    seed: int = 0,
) -> Estimate:
    """Mean of the finite ``values`` with a bootstrap confidence interval (scipy.stats.bootstrap)."""
    from scipy import stats

    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, n)
    if np.all(data == data[0]):  # degenerate: every resample has the same mean
        return Estimate(mean, mean, mean, n)
    result = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method=method,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Estimate(mean, float(interval.low), float(interval.high), n)


def bootstrap_corpus(
    states: Sequence[Any],
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Estimate]:
    """Percentile bootstrap of a corpus-level metric: ``compute`` on resamples (with replacement) of ``states``."""
    n = len(states)
    point = compute(states)
    if n < 2 or n_resamples <= 0:
        return {name: Estimate(float(value), math.nan, math.nan, n) for name, value in point.items()}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in point}
    for _ in range(n_resamples):
        indices = rng.integers(0, n, size=n)
        resampled = compute([states[i] for i in indices])
        for name in point:
            draws[name].append(float(resampled[name]))
    alpha = (1.0 - confidence) / 2.0
    estimates: dict[str, Estimate] = {}
    for name, value in point.items():
        sample = np.asarray(draws[name], dtype=float)
        sample = sample[np.isfinite(sample)]
        if sample.size == 0:
            estimates[name] = Estimate(float(value), math.nan, math.nan, n)
            continue
        low, high = np.quantile(sample, [alpha, 1.0 - alpha])
        estimates[name] = Estimate(float(value), float(low), float(high), n)
    return estimates


def jackknife_corpus(
    states: Sequence[Any],
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """Corpus metric with a jackknife interval: value ± t(n-1) · SE_jack, where
    SE_jack = sqrt((n-1)/n · Σ (θ₍ᵢ₎ − θ̄₍·₎)²) over the n leave-one-out values θ₍ᵢ₎.

    For the mean, SE_jack equals the usual standard error s/√n.
    """
    from scipy import stats

    n = len(states)
    point = compute(states)
    if n < 2:
        return {name: Estimate(float(value), math.nan, math.nan, n) for name, value in point.items()}
    leave_one_out = [compute([state for j, state in enumerate(states) if j != i]) for i in range(n)]
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1))
    estimates: dict[str, Estimate] = {}
    for name, value in point.items():
        thetas = np.asarray([values[name] for values in leave_one_out], dtype=float)
        if not np.all(np.isfinite(thetas)) or not math.isfinite(value):
            estimates[name] = Estimate(float(value), math.nan, math.nan, n)
            continue
        se = math.sqrt((n - 1) / n * float(np.sum((thetas - thetas.mean()) ** 2)))
        estimates[name] = Estimate(float(value), float(value) - quantile * se, float(value) + quantile * se, n)
    return estimates
