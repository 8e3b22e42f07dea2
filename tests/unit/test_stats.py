"""System-level intervals against scipy and textbook identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from emoeval.stats.aggregate import bootstrap_corpus, jackknife_corpus, mean_with_ci


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_mean_interval_equals_scipy_bootstrap(method):
    values = np.random.default_rng(3).normal(3.5, 0.8, size=40)
    estimate = mean_with_ci(values, n_resamples=1500, method=method, seed=11, confidence=0.9)
    reference = stats.bootstrap(
        (values,), np.mean, n_resamples=1500, method=method, confidence_level=0.9, rng=np.random.default_rng(11)
    ).confidence_interval
    assert estimate.value == pytest.approx(values.mean())
    assert estimate.ci_low == pytest.approx(reference.low, rel=1e-12)
    assert estimate.ci_high == pytest.approx(reference.high, rel=1e-12)
    assert estimate.n == 40


def test_mean_ignores_nan_and_handles_tiny_inputs():
    estimate = mean_with_ci([1.0, float("nan"), 3.0, 2.0])
    assert estimate.n == 3 and estimate.value == pytest.approx(2.0)
    single = mean_with_ci([4.0])
    assert single.value == 4.0 and math.isnan(single.ci_low) and single.n == 1
    empty = mean_with_ci([])
    assert empty.n == 0 and math.isnan(empty.value)
    constant = mean_with_ci([1.0, 1.0, 1.0])
    assert (constant.ci_low, constant.ci_high) == (1.0, 1.0)


def test_mean_interval_is_deterministic_for_a_seed():
    values = np.arange(30.0) ** 1.5
    assert mean_with_ci(values, seed=5) == mean_with_ci(values, seed=5)
    assert mean_with_ci(values, seed=5) != mean_with_ci(values, seed=6)


def test_jackknife_of_the_mean_is_the_t_interval():
    values = np.random.default_rng(0).exponential(size=25)
    estimates = jackknife_corpus(list(values), lambda s: {"mean": float(np.mean(s))}, confidence=0.95)
    low, high = stats.t.interval(0.95, df=24, loc=values.mean(), scale=stats.sem(values))
    assert estimates["mean"].ci_low == pytest.approx(low, rel=1e-10)
    assert estimates["mean"].ci_high == pytest.approx(high, rel=1e-10)


def test_corpus_bootstrap_of_the_mean_agrees_with_scipy_percentile():
    values = list(np.random.default_rng(1).normal(size=60))
    ours = bootstrap_corpus(values, lambda s: {"mean": float(np.mean(s))}, n_resamples=4000, seed=2)["mean"]
    reference = stats.bootstrap(
        (np.array(values),), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(9)
    ).confidence_interval
    assert ours.ci_low == pytest.approx(reference.low, abs=0.02)
    assert ours.ci_high == pytest.approx(reference.high, abs=0.02)
    assert ours.n == 60


def test_debiased_corpus_bootstrap_shifts_the_percentile_interval_by_the_bias_and_clips():
    states = list(range(30))

    def distinct_share(sample):  # duplicates in a resample lower it, like diversity; FID moves the other way
        return {"share": len(set(sample)) / len(sample)}

    plain = bootstrap_corpus(states, distinct_share, n_resamples=300, seed=4)["share"]
    fixed = bootstrap_corpus(states, distinct_share, n_resamples=300, seed=4, debias=True)["share"]
    assert plain.ci_high < plain.value  # the plain interval misses the value entirely
    rng = np.random.default_rng(4)
    draws = [distinct_share([states[i] for i in rng.integers(0, 30, size=30)])["share"] for _ in range(300)]
    bias = float(np.mean(draws)) - plain.value
    assert fixed.ci_low == pytest.approx(plain.ci_low - bias)
    assert fixed.ci_high == pytest.approx(plain.ci_high - bias)
    assert fixed.ci_low <= fixed.value <= fixed.ci_high
    clipped = bootstrap_corpus(
        states, distinct_share, n_resamples=300, seed=4, debias=True, bounds={"share": (0.0, 1.0)}
    )["share"]
    assert clipped.ci_high <= 1.0
