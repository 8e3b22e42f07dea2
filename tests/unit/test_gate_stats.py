"""The gate's statistics against reference implementations: statsmodels' multipletests and power classes, a
plain-numpy cluster bootstrap, normal-theory paired t intervals and cluster-robust OLS."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestPower

from emoeval.gate.decide import (
    Difference,
    adjust_pvalues,
    classify,
    corpus_difference,
    expansion_factor,
    minimum_detectable_effect,
    p_at_least,
    p_at_most,
    paired_bootstrap_draws,
    samples_needed,
)
from emoeval.runner.draws import CorpusDraws


@pytest.mark.parametrize("method", ["holm", "bonferroni"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corrections_equal_statsmodels_multipletests(method, seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 4), rng.uniform(0, 1, 7), [0.01, 0.01, 1.0]])  # ties included
    ours = np.asarray(adjust_pvalues(p, method))
    reject, reference, _, _ = multipletests(p, alpha=0.05, method=method)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours <= 0.05, reject)


def test_no_correction_keeps_the_p_values():
    p = [0.2, 0.01, 0.5]
    assert adjust_pvalues(p, "none") == p


@pytest.mark.parametrize(("n", "sd", "alpha"), [(5, 0.1, 0.05), (40, 1.0, 0.05), (300, 0.02, 0.01)])
def test_minimum_detectable_effect_equals_statsmodels_power(n, sd, alpha):
    se = sd / math.sqrt(n)
    mde = minimum_detectable_effect(se, alpha)
    # the one-sample normal test: NormalIndPower with ratio=0 solves for the standardized effect size
    effect = NormalIndPower().solve_power(
        effect_size=None, nobs1=n, alpha=alpha, power=0.8, ratio=0, alternative="larger"
    )
    assert mde == pytest.approx(effect * sd, rel=1e-5)  # statsmodels solves numerically
    # and at that difference the power of the level-alpha test is 0.8
    power = NormalIndPower().power(effect_size=mde / sd, nobs1=n, alpha=alpha, ratio=0, alternative="larger")
    assert power == pytest.approx(0.8, abs=1e-6)


@pytest.mark.parametrize(("n", "margin"), [(5, 0.05), (30, 0.01), (200, 0.003)])
def test_samples_needed_equals_statsmodels_sample_size(n, margin):
    sd, alpha = 0.08, 0.05
    mde = minimum_detectable_effect(sd / math.sqrt(n), alpha)
    needed = samples_needed(n, mde, margin)
    reference = NormalIndPower().solve_power(
        effect_size=margin / sd, nobs1=None, alpha=alpha, power=0.8, ratio=0, alternative="larger"
    )
    assert needed == math.ceil(reference - 1e-6)
    # the paired t test (TTestPower) needs a few more at small n, the same at large n
    t_needed = TTestPower().solve_power(
        effect_size=margin / sd, nobs=None, alpha=alpha, power=0.8, alternative="larger"
    )
    assert t_needed >= reference
    if reference > 100:
        assert t_needed == pytest.approx(reference, rel=0.02)
    assert samples_needed(n, mde, 0.0) is None


def _numpy_cluster_bootstrap(values, clusters, n_bootstrap, seed):
    """The cluster bootstrap written out plainly: draw clusters with replacement, pool their values, average."""
    labels = sorted(set(clusters))
    members = {label: [v for v, c in zip(values, clusters, strict=True) if c == label] for label in labels}
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(labels), size=(n_bootstrap, len(labels)))
    means = []
    for row in drawn:
        pooled = [value for index in row for value in members[labels[index]]]
        means.append(sum(pooled) / len(pooled))
    return np.asarray(means)


def test_clustered_paired_bootstrap_equals_a_plain_numpy_reimplementation():
    rng = np.random.default_rng(3)
    clusters = [f"g{i % 7}" for i in range(40)]
    values = rng.normal(0.1, 1.0, 40) + np.asarray([0.5 * (i % 7) for i in range(40)])
    ours = paired_bootstrap_draws(values, clusters, n_bootstrap=500, seed=11)
    reference = _numpy_cluster_bootstrap(values.tolist(), clusters, 500, 11)
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    # without clusters every value is its own cluster
    alone = paired_bootstrap_draws(values, None, n_bootstrap=300, seed=5)
    np.testing.assert_allclose(alone, _numpy_cluster_bootstrap(values.tolist(), list(range(40)), 300, 5), rtol=1e-12)


def test_unclustered_bootstrap_agrees_with_the_paired_t_interval_on_large_n():
    rng = np.random.default_rng(4)
    baseline = rng.normal(0.7, 0.1, 3000)
    candidate = baseline + rng.normal(-0.01, 0.05, 3000)
    differences = candidate - baseline
    alpha = 0.05
    draws = paired_bootstrap_draws(differences, None, n_bootstrap=4000, seed=0, expand_alpha=alpha)
    low, high = Difference(float(differences.mean()), draws, math.nan, 3000, "").interval(alpha)
    t = stats.ttest_rel(candidate, baseline).confidence_interval(confidence_level=1 - 2 * alpha)
    half = (t.high - t.low) / 2
    assert low == pytest.approx(t.low, abs=0.06 * half)
    assert high == pytest.approx(t.high, abs=0.06 * half)


def test_expansion_makes_a_small_sample_bootstrap_as_wide_as_the_t_interval():
    # with 5 pairs a plain percentile bootstrap is too narrow; the expanded one is close to the t interval
    rng = np.random.default_rng(8)
    alpha, widths_plain, widths_expanded, widths_t = 0.05, [], [], []
    for _ in range(200):
        d = rng.normal(0, 1, 5)
        plain = paired_bootstrap_draws(d, None, n_bootstrap=2000, seed=1)
        expanded = paired_bootstrap_draws(d, None, n_bootstrap=2000, seed=1, expand_alpha=alpha)
        widths_plain.append(np.subtract(*np.quantile(plain, [1 - alpha, alpha])))
        widths_expanded.append(np.subtract(*np.quantile(expanded, [1 - alpha, alpha])))
        widths_t.append(2 * stats.t.ppf(1 - alpha, 4) * d.std(ddof=1) / math.sqrt(5))
    ratio_plain = np.mean(widths_plain) / np.mean(widths_t)
    ratio_expanded = np.mean(widths_expanded) / np.mean(widths_t)
    assert ratio_plain < 0.75  # the reason for the expansion
    assert ratio_expanded == pytest.approx(1.0, abs=0.12)
    assert expansion_factor(5, alpha) == pytest.approx(
        math.sqrt(5 / 4) * stats.t.ppf(0.95, 4) / stats.norm.ppf(0.95), rel=1e-12
    )
    assert expansion_factor(10_000, alpha) == pytest.approx(1.0, abs=1e-3)


def test_clustered_interval_agrees_with_cluster_robust_ols():
    import statsmodels.api as sm

    rng = np.random.default_rng(6)
    n_groups, per_group = 150, 4
    groups = np.repeat(np.arange(n_groups), per_group)
    # strongly correlated within a group: an unclustered interval would be far too narrow
    values = rng.normal(0, 1, n_groups)[groups] + rng.normal(0, 0.3, groups.size) - 0.05
    alpha = 0.05
    draws = paired_bootstrap_draws(values, groups.tolist(), n_bootstrap=4000, seed=2, expand_alpha=alpha)
    fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    se_cluster = float(fit.bse[0])
    assert float(np.std(draws, ddof=1)) == pytest.approx(se_cluster, rel=0.08)
    naive = paired_bootstrap_draws(values, None, n_bootstrap=4000, seed=2)
    assert float(np.std(naive, ddof=1)) < 0.7 * se_cluster


def test_bootstrap_p_values_match_the_normal_tail_and_are_smoothed():
    rng = np.random.default_rng(9)
    d, se, m = -0.03, 0.02, 0.01
    draws = rng.normal(d, se, 200_000)
    assert p_at_least(draws, -m) == pytest.approx(stats.norm.cdf((d + m) / se), abs=0.005)
    assert p_at_most(draws, m) == pytest.approx(stats.norm.cdf((m - d) / se), abs=0.005)
    normal = Difference(d, None, se, 50, "normal")
    assert normal.p_at_least(-m) == pytest.approx(stats.norm.cdf((d + m) / se))
    assert p_at_least(np.zeros(99), 1.0) == pytest.approx(1 / 100)  # (1 + 0) / (B + 1), never 0


def test_corpus_difference_from_independent_draws_is_recentred():
    rng = np.random.default_rng(10)
    base = CorpusDraws("bootstrap", 10.0, rng.normal(10.6, 0.5, 1000))  # biased draws, like FD resamples
    cand = CorpusDraws("bootstrap", 12.0, rng.normal(12.6, 0.5, 1000))
    # lower is better (a distance): the candidate is worse by 2
    diff = corpus_difference((12.0, cand), (10.0, base), orient=-1.0, fallback_se=(math.nan, math.nan), n=50)
    assert diff.value == pytest.approx(-2.0)
    assert float(diff.draws.mean()) == pytest.approx(-2.0)
    assert diff.spread == pytest.approx(math.sqrt(0.5**2 + 0.5**2), rel=0.08)
    # jackknife on one side: a normal approximation with the two standard errors
    jack = CorpusDraws("jackknife", 10.0, rng.normal(10.0, 0.01, 30))
    mixed = corpus_difference((12.0, cand), (10.0, jack), orient=-1.0, fallback_se=(math.nan, math.nan), n=50)
    assert mixed.draws is None
    assert mixed.se == pytest.approx(math.sqrt(float(np.std(cand.draws, ddof=1)) ** 2 + jack.se**2))
    assert "normal approximation" in mixed.note


def test_verdict_precedence():
    assert classify(0.01, 0.9, 0.9, 0.05) == "regressed"
    assert classify(0.9, 0.01, 0.9, 0.05) == "improved"
    assert classify(0.9, 0.9, 0.01, 0.05) == "equivalent"
    assert classify(0.06, 0.9, 0.2, 0.05) == "inconclusive"
