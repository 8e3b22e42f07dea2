"""Paired system comparison against scipy, statsmodels, brute-force enumeration and constructed examples."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.results import results_frame
from emoeval.stats.aggregate import StatsError
from emoeval.stats.compare import (
    EXACT_MAX_N,
    compare_systems,
    paired_bootstrap,
    paired_test,
    sign_flip_p_value,
    significance_clusters,
)


def _brute_force_sign_flip(d: np.ndarray) -> float:
    """Share of all 2ⁿ sign patterns whose |Σ ±dᵢ| reaches the observed |Σ dᵢ| (ties included)."""
    observed = abs(sum(d))
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed - 1e-9
        for signs in itertools.product((1, -1), repeat=len(d))
    )
    return hits / 2 ** len(d)


def _exact_by_halves(d: np.ndarray) -> float:
    """Exact sign-flip p for larger n by meet-in-the-middle: all signed sums of each half, then count pairs."""
    half = len(d) // 2
    left = np.array([np.dot(s, d[:half]) for s in itertools.product((1, -1), repeat=half)])
    right = np.sort([np.dot(s, d[half:]) for s in itertools.product((1, -1), repeat=len(d) - half)])
    observed = abs(d.sum()) - 1e-9
    # |l + r| >= T  <=>  r >= T - l  or  r <= -T - l
    upper = len(right) - np.searchsorted(right, observed - left, side="left")
    lower = np.searchsorted(right, -observed - left, side="right")
    return float((upper + lower).sum()) / (len(left) * len(right))


def _table(means: dict[str, float], *, n_items: int = 30, noise: float = 0.3, seed: int = 0, **extra) -> pd.DataFrame:
    """Systems scored on the same items; each item has a shared difficulty, each system an offset."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0.0, 1.0, n_items)
    rows = []
    for system, offset in means.items():
        for item in range(n_items):
            rows.append(
                {
                    "run_id": "r",
                    "system": system,
                    "scope": "sample",
                    "sample_id": f"{system}/{item}",
                    "group": f"item{item}",
                    "metric": "quality",
                    "sub_metric": "score",
                    "value": difficulty[item] + offset + noise * rng.normal(),
                    "higher_is_better": True,
                    **extra,
                }
            )
    return results_frame(rows)


def test_wilcoxon_equals_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.3, 1.0, 35), rng.normal(0.0, 1.0, 35)
    result = paired_test(a, b, n_resamples=500)
    reference = stats.wilcoxon(a - b)
    assert result.wilcoxon_statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_wilcoxon == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.mean_diff == pytest.approx(float(np.mean(a - b)), rel=1e-12)


@pytest.mark.parametrize(
    "differences",
    [
        np.random.default_rng(2).normal(0.4, 1.0, 11),
        np.array([1, 0, 2, -1, 1, 1, 0, -2, 3, 1, 1, -1], dtype=float),  # ties and zeros, as ratings give
        np.array([0.1, 0.2, 0.3], dtype=float),  # 0.1 + 0.2 != 0.3 in floats: ties must survive round-off
    ],
)
def test_exact_sign_flip_equals_brute_force_enumeration(differences):
    p, exact = sign_flip_p_value(differences)
    assert exact
    assert p == pytest.approx(_brute_force_sign_flip(differences), abs=1e-15)


def test_monte_carlo_sign_flip_is_within_0_01_of_exact_for_n_25():
    d = np.random.default_rng(3).normal(0.35, 1.0, 25)
    assert len(d) > EXACT_MAX_N
    exact = _exact_by_halves(d)
    assert 0.05 < exact < 0.5  # a p-value where Monte Carlo error is largest, not a trivial 0 or 1
    p, is_exact = sign_flip_p_value(d, n_resamples=20000, seed=0)
    assert not is_exact
    assert p == pytest.approx(exact, abs=0.01)
    assert sign_flip_p_value(d[:20])[0] == pytest.approx(_exact_by_halves(d[:20]), abs=1e-12)
    # Phipson & Smyth: never 0, at least 1 / (B + 1), even when no random pattern reaches the observed sum.
    p_min, _ = sign_flip_p_value(np.full(30, 1.0), n_resamples=999, seed=0)
    assert p_min == pytest.approx(1 / 1000)


def test_paired_bootstrap_agrees_with_scipy_and_the_t_test_and_is_seeded():
    d = np.random.default_rng(4).normal(0.25, 1.0, 80)
    low, high, p = paired_bootstrap(d, n_resamples=20000, seed=5)
    # Pairs are drawn as scipy draws them, so with the same seed the percentile interval is scipy's.
    reference = stats.bootstrap((d,), np.mean, n_resamples=20000, method="percentile", rng=np.random.default_rng(5))
    assert low == pytest.approx(reference.confidence_interval.low, rel=1e-12)
    assert high == pytest.approx(reference.confidence_interval.high, rel=1e-12)
    # The shift-method p approximates the one-sample t-test's two-sided p for n = 80.
    assert p == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue, abs=0.01)
    assert paired_bootstrap(d, seed=5) == paired_bootstrap(d, seed=5)
    assert paired_bootstrap(d, seed=5) != paired_bootstrap(d, seed=6)
    a = d + 3.0
    first, second = paired_test(a, np.full(80, 3.0), seed=2), paired_test(a, np.full(80, 3.0), seed=2)
    assert first.to_frame().equals(second.to_frame())


def test_paired_test_edge_cases():
    same = paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.p_permutation == 1.0 and math.isnan(same.p_bootstrap) and same.p_wilcoxon == 1.0
    assert paired_test(np.arange(12.0), np.arange(12.0)).p_bootstrap == 1.0  # enough pairs for a bootstrap p
    assert any("all differences are zero" in warning for warning in same.warnings)
    dropped = paired_test([1.0, 2.0, float("nan"), 4.0], [0.0, 1.5, 2.0, 3.0])
    assert dropped.n == 3 and any("1 pair(s)" in warning for warning in dropped.warnings)
    # Two pairs of one sign: the raw paired bootstrap says p = 1/(B + 1), a false positive, where the exact
    # permutation p is 2/4. Below FEW_PAIRS pairs no bootstrap p is reported at all; warned.
    assert paired_bootstrap(np.array([5.0, 5.0]), n_resamples=999)[2] == pytest.approx(1 / 1000)
    tiny = paired_test([5.0, 6.0], [0.0, 1.0], n_resamples=999)
    assert math.isnan(tiny.p_bootstrap) and tiny.p_permutation == 0.5
    assert any("only 2 pair(s)" in warning and "2/2^2 = 0.5" in warning for warning in tiny.warnings)
    assert "not computed below 10 pairs" in tiny.summary()
    assert not any("pair(s)" in warning for warning in paired_test(np.arange(12.0), np.zeros(12)).warnings)
    assert "Wilcoxon" in dropped.summary()
    with pytest.raises(StatsError, match="equal length"):
        paired_test([1.0, 2.0], [1.0])
    with pytest.raises(StatsError, match="at least 2 complete pairs"):
        paired_test([1.0], [2.0])


@pytest.mark.parametrize("correction", ["holm", "fdr_bh"])
def test_adjusted_p_values_equal_statsmodels_multipletests(correction):
    from statsmodels.stats.multitest import multipletests

    table = _table({"a": 0.2, "b": 0.1, "c": 0.0, "d": -0.05}, noise=0.5, n_items=25)
    result = compare_systems(table, metric="quality", correction=correction, n_resamples=2000)
    frame = result.to_frame()
    assert len(frame) == 6
    expected = multipletests(frame["p_permutation"].to_numpy(), alpha=0.05, method=correction)[1]
    np.testing.assert_allclose(frame["p_adjusted"].to_numpy(), expected, rtol=1e-12)
    if correction == "holm":  # Holm by hand: step-down, running maximum of (m - i)·p₍ᵢ₎, capped at 1
        ordered = np.sort(frame["p_permutation"].to_numpy())
        by_hand = np.minimum(1.0, np.maximum.accumulate((6 - np.arange(6)) * ordered))
        np.testing.assert_allclose(np.sort(frame["p_adjusted"].to_numpy()), by_hand, rtol=1e-12)


def test_clusters_of_three_separated_systems_and_two_indistinguishable():
    means = {"E": 0.02, "C": 1.0, "A": 3.0, "D": 0.0, "B": 2.0}  # given out of order on purpose
    result = compare_systems(_table(means), metric="quality")
    assert result.clusters == [["A"], ["B"], ["C"], ["E", "D"]]
    systems = result.systems.set_index("system")
    assert systems.loc["A", "rank"] == 1 and systems.loc["E", "cluster"] == systems.loc["D", "cluster"] == 4
    frame = result.to_frame().set_index(["system_a", "system_b"])
    assert not frame.loc[("E", "D"), "significant"] and frame.loc[("E", "D"), "better"] == ""
    assert frame.loc[("A", "B"), "better"] == "A" and frame.loc[("A", "B"), "diff"] > 0
    assert "{A} > {B} > {C} > {E, D}" in result.summary()
    for test in ("bootstrap", "wilcoxon"):
        assert compare_systems(_table(means), metric="quality", test=test, n_resamples=2000).clusters == [
            ["A"],
            ["B"],
            ["C"],
            ["E", "D"],
        ]


def test_clusters_when_significance_is_not_transitive():
    # a beats c, but neither is separable from b: no boundary can be drawn anywhere.
    assert significance_clusters(["a", "b", "c"], {("a", "c")}) == [["a", "b", "c"]]
    assert significance_clusters(["a", "b", "c"], {("a", "b"), ("a", "c")}) == [["a"], ["b", "c"]]


def test_lower_is_better_ranks_the_lowest_first():
    table = _table({"small": 0.0, "large": 2.0}).assign(higher_is_better=False)
    result = compare_systems(results_frame(table.to_dict(orient="records")), metric="quality")
    assert result.systems["system"].tolist() == ["small", "large"]
    row = result.to_frame().iloc[0]
    assert row["better"] == "small" and row["diff"] < 0
    assert result.clusters == [["small"], ["large"]]


def test_warning_when_systems_were_scored_on_different_sample_sets():
    table = _table({"a": 1.0, "b": 0.0, "c": 0.5}, n_items=12)
    keep = ~((table["system"] == "b") & table["group"].isin(["item0", "item1", "item2"]))
    result = compare_systems(table[keep], metric="quality", n_resamples=1000)
    frame = result.to_frame().set_index(["system_a", "system_b"])
    assert frame.loc[("a", "b"), "n_pairs"] == 9 and frame.loc[("a", "c"), "n_pairs"] == 12
    unpaired = [warning for warning in result.warnings if "different sample sets" in warning]
    assert len(unpaired) == 2  # a-b and c-b; a-c share everything
    assert (
        "systems 'a' and 'b' were scored on different sample sets: 9 shared group(s), 3 only in 'a', 0 only in 'b'"
        in unpaired[0]
    )


def test_baseline_mode_repeated_samples_and_json(tmp_path):
    table = _table({"base": 0.0, "x": 0.8, "y": 0.1}, n_items=15)
    extra = table[(table["system"] == "x") & (table["group"] == "item0")].assign(sample_id="x/extra", value=5.0)
    result = compare_systems(pd.concat([table, extra]), metric="quality", baseline="base", n_resamples=1000)
    assert result.clusters is None and result.systems["cluster"].isna().all()
    assert set(zip(result.table["system_a"], result.table["system_b"], strict=True)) == {("x", "base"), ("y", "base")}
    assert any("1 (system, group) cell(s) held several samples" in warning for warning in result.warnings)
    paths = result.write(tmp_path, "compare")
    data = json.loads(paths[1].read_text())
    assert data["baseline"] == "base" and data["clusters"] is None and len(data["systems"]) == 3


def test_bad_requests_raise_clearly():
    table = _table({"a": 1.0, "b": 0.0}, n_items=5)
    with pytest.raises(StatsError, match="no scored samples of metric 'fid'"):
        compare_systems(table, metric="fid")
    two_subs = pd.concat([table.assign(sub_metric="first"), table.assign(sub_metric="second", value=-table.value)])
    headline = compare_systems(two_subs, metric="quality", n_resamples=1000)  # unregistered: the first listed
    assert headline.sub_metric == "first"
    with pytest.raises(StatsError, match="no sub-metric 'third'"):
        compare_systems(two_subs, metric="quality", sub_metric="third")
    with pytest.raises(StatsError, match="only 1 system"):
        compare_systems(table[table["system"] == "a"], metric="quality")
    with pytest.raises(StatsError, match="baseline 'z'"):
        compare_systems(table, metric="quality", baseline="z")
    with pytest.raises(StatsError, match="cannot pair samples on 'group'"):
        compare_systems(table.drop(columns="group"), metric="quality")
    with pytest.raises(StatsError, match="unknown correction"):
        compare_systems(table, metric="quality", correction="bonferroni")
    lonely = table[(table["system"] == "a") | (table["group"] == "item0")]
    result = compare_systems(lonely, metric="quality")
    assert math.isnan(result.table["p_value"].item()) and not result.table["significant"].item()
    assert any("share 1 group(s): no paired test" in warning for warning in result.warnings)


def test_a_metric_defaults_to_the_headline_output_its_rows_mark():
    # the runner marks the rows of the spec's headline (headline=True); the registry is not consulted
    table = _table({"a": 1.0, "b": 0.0}, n_items=6).assign(metric="face_identity_similarity")
    listed_first = pd.concat(
        [table.assign(sub_metric="distance", headline=False), table.assign(sub_metric="cosine", headline=True)]
    )
    result = compare_systems(listed_first, metric="face_identity_similarity", n_resamples=1000)
    assert result.sub_metric == "cosine"  # the spec's headline, whatever the table's order


def test_bootstrap_test_with_few_pairs_uses_the_exact_permutation_p_and_declares_nothing():
    # Three items, system a better on each: the paired bootstrap alone says p = 1/(B + 1) (significant), but no
    # test on 3 pairs can give p below 2/2³ = 0.25, the exact sign-flip p here.
    few = _table({"a": 1.0, "b": 0.0}, n_items=3, noise=0.01)
    differences = few[few.system == "a"].value.to_numpy() - few[few.system == "b"].value.to_numpy()
    assert (differences > 0).all()
    assert paired_bootstrap(differences, n_resamples=999)[2] < 0.05  # the false positive being guarded against
    result = compare_systems(few, metric="quality", test="bootstrap", n_resamples=999)
    row = result.to_frame().iloc[0]
    assert row["p_value"] == pytest.approx(_brute_force_sign_flip(differences)) == 0.25
    assert row["p_value_test"] == "permutation" and math.isnan(row["p_bootstrap"])
    assert not row["significant"] and row["better"] == "" and result.clusters == [["a", "b"]]
    assert any("judged by the exact permutation p instead" in warning for warning in result.warnings)
    # From FEW_PAIRS pairs on, the bootstrap p is the bootstrap's own.
    enough = compare_systems(_table({"a": 1.0, "b": 0.0}, n_items=12), metric="quality", test="bootstrap")
    frame = enough.to_frame()
    assert (frame["p_value_test"] == "bootstrap").all()
    assert frame["p_value"].tolist() == frame["p_bootstrap"].tolist()
