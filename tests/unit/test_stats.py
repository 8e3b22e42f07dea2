"""System-level intervals against scipy and textbook identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from emoeval.stats.aggregate import (
    INTERVAL_ESTIMANDS,
    BootstrapSettings,
    StatsError,
    bootstrap_corpus,
    corpus_interval,
    jackknife_corpus,
    mean_with_ci,
    t_interval_mean,
)


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


def test_corpus_bootstrap_over_an_index_array_draws_what_the_list_of_indices_draws():
    values = np.random.default_rng(5).normal(size=50)
    seen: list[type] = []

    def weighted(indices):
        seen.append(type(indices))
        chosen = np.asarray(indices, dtype=np.int64)
        return {"mean": float(values[chosen].mean()), "spread": float(values[chosen].std())}

    from_list = bootstrap_corpus(list(range(50)), weighted, n_resamples=500, seed=7)
    from_array = bootstrap_corpus(np.arange(50), weighted, n_resamples=500, seed=7)
    assert from_array == from_list  # the same resamples, bit for bit
    assert seen.count(np.ndarray) == 501 and seen.count(list) == 501  # the array path builds no list


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


# -- no resamples: no interval (issue 13, item 11) --------------------------------------------------------------


def test_zero_resamples_means_no_interval_for_every_kind():
    values = [1.0, 2.0, 2.0, 5.0]  # two distinct values and more: scipy itself refuses n_resamples=0
    with pytest.raises(ValueError):
        stats.bootstrap((np.asarray(values),), np.mean, n_resamples=0)
    estimate = mean_with_ci(values, n_resamples=0)
    assert estimate.value == pytest.approx(2.5) and estimate.n == 4
    assert math.isnan(estimate.ci_low) and math.isnan(estimate.ci_high)
    assert math.isnan(mean_with_ci([3.0, 3.0], n_resamples=0).ci_low)  # none, not a zero-width interval
    with pytest.raises(StatsError, match="n_resamples must be 0"):
        mean_with_ci(values, n_resamples=-1)

    def mean(states):
        return {"mean": float(np.mean(states))}

    for kind in INTERVAL_ESTIMANDS:  # the jackknife needs no resamples, but 0 means "no interval" for it too
        none = corpus_interval(values, mean, interval=kind, settings=BootstrapSettings(n_resamples=0))["mean"]
        assert none.value == pytest.approx(2.5) and none.n == 4
        assert math.isnan(none.ci_low) and math.isnan(none.ci_high)
        some = corpus_interval(values, mean, interval=kind, settings=BootstrapSettings(n_resamples=50))["mean"]
        assert some.ci_low < some.ci_high


# -- bootstrap interval kinds and ranges (items 13, 14) -----------------------------------------------------------


def _distinct_share(sample):  # duplicates in a resample lower it: the bootstrap is biased, as for diversity
    return {"share": len(set(sample)) / len(sample)}


def test_bootstrap_interval_kinds_follow_their_formulas_and_stay_in_range():
    states = list(range(30))
    rng = np.random.default_rng(4)
    draws = np.array([_distinct_share([states[i] for i in rng.integers(0, 30, size=30)])["share"] for _ in range(300)])
    q_low, q_high = np.quantile(draws, [0.025, 0.975])
    value, bias = 1.0, float(draws.mean()) - 1.0
    expected = {
        "percentile": (q_low, q_high),
        "recentred": (q_low - bias, q_high - bias),
        "basic": (2 * value - q_high, 2 * value - q_low),  # Davison & Hinkley's basic interval
    }
    for kind, (low, high) in expected.items():
        raw = bootstrap_corpus(states, _distinct_share, n_resamples=300, seed=4, kind=kind)["share"]
        assert (raw.value, raw.ci_low, raw.ci_high) == (1.0, pytest.approx(low), pytest.approx(high))
        bounded = bootstrap_corpus(
            states, _distinct_share, n_resamples=300, seed=4, kind=kind, bounds={"share": (0.0, 1.0)}
        )["share"]
        assert 0.0 <= bounded.ci_low <= bounded.ci_high <= 1.0
        assert bounded.ci_low == pytest.approx(min(max(low, 0.0), 1.0))
        assert bounded.ci_high == pytest.approx(min(max(high, 0.0), 1.0))
    assert expected["recentred"][1] > 1.0 and expected["basic"][0] > 1.0  # unclipped, both leave the range
    legacy = bootstrap_corpus(states, _distinct_share, n_resamples=300, seed=4, debias=True)["share"]
    assert legacy == bootstrap_corpus(states, _distinct_share, n_resamples=300, seed=4, kind="recentred")["share"]


def test_the_old_interval_name_still_works_with_a_deprecation_warning():
    settings = BootstrapSettings(n_resamples=100, seed=4)
    with pytest.warns(DeprecationWarning, match="'bootstrap_recentred'"):
        old = corpus_interval(list(range(30)), _distinct_share, interval="bootstrap_debiased", settings=settings)
    assert old == corpus_interval(list(range(30)), _distinct_share, interval="bootstrap_recentred", settings=settings)
    with pytest.raises(StatsError, match="unknown corpus interval 'bootstrap_magic'"):
        corpus_interval([1, 2], _distinct_share, interval="bootstrap_magic", settings=settings)


def _pooled_ratio(states):  # Σ unique / Σ total, as distinct-n pools n-gram counts over responses
    unique, total = np.sum(np.asarray(states, dtype=float), axis=0)
    return {"ratio": float(unique / total)}


def _logit_jackknife_by_hand(states, compute, name, low, high, confidence=0.95):
    from scipy import special

    n = len(states)
    value = compute(states)[name]
    thetas = np.array([compute(states[:i] + states[i + 1 :])[name] for i in range(n)])
    logits = special.logit((thetas - low) / (high - low))
    se = math.sqrt((n - 1) / n * np.sum((logits - logits.mean()) ** 2))
    half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * se
    centre = special.logit((value - low) / (high - low))
    return low + (high - low) * special.expit(centre - half), low + (high - low) * special.expit(centre + half)


def test_jackknife_of_a_bounded_output_is_the_logit_jackknife_and_stays_in_range():
    # Four short responses and one long repetitive one, as (distinct, total) n-gram counts: the long one
    # dominates every leave-one-out value, and the plain jackknife leaves [0, 1] on both sides.
    states = [(5, 6), (4, 5), (6, 6), (5, 6), (6, 3000)]
    plain = jackknife_corpus(states, _pooled_ratio)["ratio"]
    assert plain.ci_low < 0.0 and plain.ci_high > 1.0
    bounded = jackknife_corpus(states, _pooled_ratio, bounds={"ratio": (0.0, 1.0)})["ratio"]
    assert bounded.value == plain.value
    assert 0.0 <= bounded.ci_low < bounded.value < bounded.ci_high <= 1.0
    low, high = _logit_jackknife_by_hand(states, _pooled_ratio, "ratio", 0.0, 1.0)
    assert (bounded.ci_low, bounded.ci_high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
    # Leaving the long response out here gives exactly 1 (all short words distinct): no logit of it, so the
    # plain interval is clipped to the range instead.
    on_bound = [(5, 5), (4, 4), (6, 6), (5, 5), (6, 3000)]
    plain = jackknife_corpus(on_bound, _pooled_ratio)["ratio"]
    clipped = jackknife_corpus(on_bound, _pooled_ratio, bounds={"ratio": (0.0, 1.0)})["ratio"]
    assert (clipped.ci_low, clipped.ci_high) == (max(plain.ci_low, 0.0), min(plain.ci_high, 1.0)) == (0.0, 1.0)
    ordinary = [(5, 5), (4, 5), (6, 7), (5, 6), (3, 4), (7, 9)]
    low, high = _logit_jackknife_by_hand(ordinary, _pooled_ratio, "ratio", 0.0, 1.0)
    ours = jackknife_corpus(ordinary, _pooled_ratio, bounds={"ratio": (0.0, 1.0)})["ratio"]
    assert (ours.ci_low, ours.ci_high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))


def test_logit_jackknife_of_a_proportion_nears_the_logit_t_interval():
    # For a mean of 0/1 values the jackknife SE on the logit scale is the delta-method SE of the logit-
    # transformed t interval (survey::svyciprop(method="logit")), up to O(1/n).
    values = (np.random.default_rng(8).random(400) < 0.92).astype(float)
    ours = jackknife_corpus(list(values), lambda s: {"p": float(np.mean(s))}, bounds={"p": (0.0, 1.0)})["p"]
    reference = t_interval_mean(values, scale=(0.0, 1.0))
    assert ours.ci_low == pytest.approx(reference.ci_low, abs=2e-3)
    assert ours.ci_high == pytest.approx(reference.ci_high, abs=2e-3)


def test_jackknife_on_a_bound_or_a_half_open_range():
    # The value on a bound has no logit: the plain interval, clipped.
    at_bound = jackknife_corpus([0.2, 0.5, 1.0], lambda s: {"top": max(s)}, bounds={"top": (0.0, 1.0)})["top"]
    assert at_bound.value == 1.0 and at_bound.ci_high == 1.0 and 0.0 <= at_bound.ci_low < 1.0
    # [0, inf): the jackknife of log(value), mapped back, stays positive.
    values = list(np.random.default_rng(2).lognormal(0.0, 1.5, size=8))
    ours = jackknife_corpus(values, lambda s: {"m": float(np.mean(s))}, bounds={"m": (0.0, math.inf)})["m"]
    logs = np.log([np.mean(values[:i] + values[i + 1 :]) for i in range(8)])
    se = math.sqrt(7 / 8 * np.sum((logs - logs.mean()) ** 2))
    half = stats.t.ppf(0.975, df=7) * se
    assert ours.ci_low == pytest.approx(np.mean(values) * math.exp(-half), rel=1e-12)
    assert ours.ci_high == pytest.approx(np.mean(values) * math.exp(half), rel=1e-12)
    assert ours.ci_low > 0.0 and jackknife_corpus(values, lambda s: {"m": float(np.mean(s))})["m"].ci_low < 0.0
