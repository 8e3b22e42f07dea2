"""aggregate(): per-system tables against scipy, statsmodels and pandas; scale-respecting and clustered intervals."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from emoeval.results import Results, results_frame
from emoeval.stats.aggregate import (
    StatsError,
    aggregate,
    cluster_bootstrap_mean,
    cluster_se,
    mean_with_ci,
    t_interval_mean,
)


def _rows(values_by_system: dict[str, np.ndarray], *, groups: dict[str, list[str]] | None = None, **extra) -> list:
    rows = []
    for system, values in values_by_system.items():
        for i, value in enumerate(values):
            group = groups[system][i] if groups else f"item{i}"
            rows.append(
                {
                    "run_id": "r",
                    "system": system,
                    "scope": "sample",
                    "statistic": "value",
                    "sample_id": f"{system}/{i}",
                    "group": group,
                    "target_emotion": ("happy", "sad", "angry")[i % 3],
                    "metric": "mos",
                    "sub_metric": "score",
                    "value": float(value),
                    "higher_is_better": True,
                    **extra,
                }
            )
    return rows


def _width(row: pd.Series) -> float:
    return float(row["ci_high"] - row["ci_low"])


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_unclustered_bootstrap_equals_scipy_with_the_same_seed(method):
    rng = np.random.default_rng(4)
    values = {"a": rng.normal(3.2, 0.7, 45), "b": rng.gamma(2.0, 1.0, 30)}
    frame = results_frame(_rows(values))
    result = aggregate(frame, method=method, n_resamples=1500, confidence=0.9, seed=7)
    table = result.to_frame().set_index("system")
    for system, data in values.items():
        reference = stats.bootstrap(
            (data,), np.mean, n_resamples=1500, method=method, confidence_level=0.9, rng=np.random.default_rng(7)
        ).confidence_interval
        assert table.loc[system, "ci_low"] == pytest.approx(reference.low, rel=1e-12)
        assert table.loc[system, "ci_high"] == pytest.approx(reference.high, rel=1e-12)
        assert not table.loc[system, "clustered"]  # "auto": every group holds one sample
        assert table.loc[system, "n_clusters"] == len(data)


def test_point_statistics_per_emotion_equal_pandas_and_failed_rows_are_left_out():
    rng = np.random.default_rng(0)
    rows = _rows({"a": rng.integers(1, 6, 24), "b": rng.integers(1, 6, 18)})
    rows.append({**rows[0], "sample_id": "a/failed", "value": float("nan"), "error": "decoder crashed"})
    rows.append({**rows[0], "scope": "system", "statistic": "mean", "sample_id": None, "value": 99.0})
    results = Results(table=results_frame(rows), run={"run_id": "r"})
    result = aggregate(results, by=("system", "target_emotion"))
    table = result.to_frame()
    scored = pd.DataFrame(rows[:-2])
    reference = scored.groupby(["system", "target_emotion"])["value"].agg(["mean", "median", "std", "size"])
    assert len(table) == len(reference) == 6
    for row in table.itertuples():
        expected = reference.loc[(row.system, row.target_emotion)]
        assert row.mean == pytest.approx(expected["mean"], rel=1e-12)
        assert row.median == pytest.approx(expected["median"], rel=1e-12)
        assert row.sd == pytest.approx(expected["std"], rel=1e-12)
        assert row.n == expected["size"]
        assert row.ci_low <= row.mean <= row.ci_high
    assert any("1 per-sample row(s) with an error" in warning for warning in result.warnings)
    assert result.estimate("mos", system="b", target_emotion="sad").n == 6


def test_t_interval_equals_scipy_and_clustered_se_equals_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    values = rng.normal(0.0, 1.0, 40)
    low, high = stats.t.interval(0.95, df=39, loc=values.mean(), scale=stats.sem(values))
    estimate = t_interval_mean(values)
    assert (estimate.ci_low, estimate.ci_high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))

    groups = np.repeat(np.arange(10), 4)
    fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    se, df = cluster_se(values, groups)
    assert se == pytest.approx(float(fit.bse[0]), rel=1e-10)
    assert df == 9
    singleton_se, _ = cluster_se(values, np.arange(40))
    assert singleton_se == pytest.approx(stats.sem(values), rel=1e-12)


def test_logit_t_interval_follows_the_delta_method_and_nears_the_t_interval_mid_scale():
    ratings = np.array([4, 5, 5, 3, 5, 4, 5, 5, 4, 5], dtype=float)
    estimate = t_interval_mean(ratings, scale=(1.0, 5.0))
    p = (ratings.mean() - 1) / 4
    half = stats.t.ppf(0.975, 9) * stats.sem(ratings) / 4 / (p * (1 - p))
    assert estimate.ci_low == pytest.approx(1 + 4 * special.expit(special.logit(p) - half), rel=1e-12)
    assert estimate.ci_high == pytest.approx(1 + 4 * special.expit(special.logit(p) + half), rel=1e-12)
    assert estimate.ci_high - estimate.value < estimate.value - estimate.ci_low  # squeezed towards the top

    # Mid-scale and narrow, the logit transform is nearly linear: the two intervals agree.
    centre = np.random.default_rng(5).normal(3.0, 0.3, 200).clip(1, 5)
    plain, logit = t_interval_mean(centre), t_interval_mean(centre, scale=(1.0, 5.0))
    assert logit.ci_low == pytest.approx(plain.ci_low, abs=2e-3)
    assert logit.ci_high == pytest.approx(plain.ci_high, abs=2e-3)


def _edge_samples() -> list[np.ndarray]:
    samples = []
    for n in (2, 3, 5, 10, 30):
        samples.append(np.r_[np.full(n - 1, 5.0), 4.0])  # piled at the top
        samples.append(np.r_[np.full(n - 1, 1.0), 2.0])  # piled at the bottom
        samples.append(np.r_[np.full(n - 1, 5.0), 1.0])  # one outlier at the other end
    rng = np.random.default_rng(8)
    samples += [rng.choice([4.0, 5.0], p=[0.1, 0.9], size=n) for n in (4, 8, 15)]
    return samples


@pytest.mark.parametrize("method", ["percentile", "BCa", "t"])
@pytest.mark.parametrize("cluster", [False, True])
def test_no_interval_ever_leaves_the_scale(method, cluster):
    samples = _edge_samples()
    rows = []
    for k, values in enumerate(samples):
        groups = {f"s{k}": [f"g{i // 2}" for i in range(len(values))]}  # pairs share a group
        rows += _rows({f"s{k}": values}, groups=groups)
    result = aggregate(pd.DataFrame(rows), method=method, scale=(1.0, 5.0), cluster=cluster, n_resamples=500)
    table = result.to_frame()
    assert len(table) == len(samples)
    finite = table[np.isfinite(table["ci_low"])]
    assert len(finite) >= len(table) - 3  # only two-value clustered cells (one cluster) may lack an interval
    assert (finite["ci_low"] >= 1.0).all() and (finite["ci_high"] <= 5.0).all()
    assert (finite["ci_low"] <= finite["mean"] + 1e-12).all() and (finite["mean"] <= finite["ci_high"] + 1e-12).all()
    if method == "t":
        assert set(table["method"]) == {"logit-t"}
        # The plain t interval does leave the scale for these samples: the transform is doing the work.
        assert any(t_interval_mean(values).ci_high > 5.0 for values in samples)


def test_values_off_the_scale_are_an_error():
    frame = pd.DataFrame(_rows({"a": np.array([1.0, 5.0, 6.0])}))
    with pytest.raises(StatsError, match=r"outside the scale \[1, 5\]"):
        aggregate(frame, scale=(1.0, 5.0))
    with pytest.raises(StatsError, match="low < high"):
        aggregate(frame, scale=(5.0, 1.0))


def _correlated(n_groups: int = 30, per_group: int = 6, seed: int = 3) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    effects = rng.normal(0.0, 1.0, n_groups)
    values = np.repeat(effects, per_group) + rng.normal(0.0, 0.1, n_groups * per_group)
    return values, [f"g{i}" for i in np.repeat(np.arange(n_groups), per_group)]


@pytest.mark.parametrize("method", ["percentile", "BCa", "t"])
def test_clustered_interval_is_wider_when_groups_are_correlated(method):
    values, groups = _correlated()
    frame = pd.DataFrame(_rows({"a": values}, groups={"a": groups}))
    naive = aggregate(frame, method=method, cluster=False).to_frame().iloc[0]
    clustered = aggregate(frame, method=method, cluster="auto").to_frame().iloc[0]
    assert bool(clustered["clustered"]) and clustered["n_clusters"] == 30 and clustered["n"] == 180
    # Design effect 1 + (m - 1)·ICC ≈ 6 here, so the width should grow by about √6 ≈ 2.4.
    assert _width(clustered) > 1.8 * _width(naive)
    assert _width(clustered) < 3.2 * _width(naive)


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_cluster_bootstrap_with_singleton_clusters_is_the_ordinary_bootstrap(method):
    values = np.random.default_rng(6).lognormal(0.0, 1.2, 40)  # skewed: BCa and percentile differ clearly
    # Clusters labelled 0..n-1 in data order: the cluster draws are scipy's own draws, so the intervals
    # (including BCa's bias correction and jackknife acceleration) must be scipy's to round-off.
    clustered = cluster_bootstrap_mean(values, np.arange(40), method=method, n_resamples=4000, seed=1)
    reference = stats.bootstrap(
        (values,), np.mean, n_resamples=4000, method=method, rng=np.random.default_rng(1)
    ).confidence_interval
    assert clustered.ci_low == pytest.approx(reference.low, rel=1e-12)
    assert clustered.ci_high == pytest.approx(reference.high, rel=1e-12)

    # Labels in another order ("item10" sorts before "item2"): other draws, the same distribution.
    frame = pd.DataFrame(_rows({"a": values}))
    forced = aggregate(frame, method=method, cluster=True, n_resamples=8000, seed=1).to_frame().iloc[0]
    plain = aggregate(frame, method=method, cluster=False, n_resamples=8000, seed=1).to_frame().iloc[0]
    assert bool(forced["clustered"]) and not bool(plain["clustered"])
    assert _width(forced) == pytest.approx(_width(plain), rel=0.06)


def test_cluster_by_another_column_and_unlabelled_samples():
    values, groups = _correlated(n_groups=12, per_group=3)
    rows = _rows({"a": values})
    for row, speaker in zip(rows, groups, strict=True):
        row["speaker"] = speaker
    rows[0]["speaker"] = None
    result = aggregate(pd.DataFrame(rows), cluster="speaker")
    row = result.to_frame().iloc[0]
    assert bool(row["clustered"]) and row["n_clusters"] == 13  # 12 speakers + the unlabelled sample alone
    assert any("1 sample(s) had no speaker" in warning for warning in result.warnings)
    with pytest.raises(StatsError, match="cannot cluster by 'room'"):
        aggregate(pd.DataFrame(rows), cluster="room")


def test_seeded_and_reproducible():
    values, groups = _correlated()
    frame = pd.DataFrame(_rows({"a": values}, groups={"a": groups}))
    first = aggregate(frame, seed=3).to_frame()
    pd.testing.assert_frame_equal(first, aggregate(frame, seed=3).to_frame())
    assert first["ci_low"].item() != aggregate(frame, seed=4).to_frame()["ci_low"].item()
    direct = cluster_bootstrap_mean(values, groups, seed=3)
    assert (first["ci_low"].item(), first["ci_high"].item()) == (direct.ci_low, direct.ci_high)


def test_small_cells_warn_and_bad_requests_raise(tmp_path):
    frame = pd.DataFrame(_rows({"a": np.array([3.0, 4.0, 5.0]), "solo": np.array([2.0])}))
    result = aggregate(frame)
    solo = result.to_frame().set_index("system").loc["solo"]
    assert solo["n"] == 1 and math.isnan(solo["ci_low"]) and math.isnan(solo["sd"])
    assert any("system=solo" in warning and "only 1 value" in warning for warning in result.warnings)
    assert "solo" in result.summary()
    assert any("1 row(s) rest on fewer than 10" in w and "system=a" in w for w in result.warnings)
    assert not any("fewer than 10" in w for w in aggregate(frame, method="t").warnings)  # t accounts for small n
    flat = aggregate(pd.DataFrame(_rows({"a": np.full(4, 3.0)})))
    assert any("all 4 values are equal" in w for w in flat.warnings)
    written = result.write(tmp_path, "aggregate")
    assert json.loads(written[1].read_text())["by"] == ["system"]
    with pytest.raises(StatsError, match="no scored samples of metric"):
        aggregate(frame, metrics=["fid"])
    with pytest.raises(StatsError, match="cannot aggregate by speaker"):
        aggregate(frame, by=("system", "speaker"))
    with pytest.raises(StatsError, match="unknown interval method"):
        aggregate(frame, method="normal")
    with pytest.raises(StatsError, match="no scored per-sample rows"):
        aggregate(frame.assign(error="failed"))
    # The existing helper is unchanged: it still drops NaN and returns the plain mean.
    assert mean_with_ci([1.0, float("nan"), 3.0]).value == 2.0
