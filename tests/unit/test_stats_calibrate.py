"""Calibration against human ratings, checked against scipy.stats and scikit-learn and hand counts."""

from __future__ import annotations

import json
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import KFold, cross_val_predict

from emoeval.errors import EmoevalError
from emoeval.results import Results, results_frame
from emoeval.stats.calibrate import (
    CalibrationError,
    calibrate,
    fit_isotonic_mapping,
    isotonic_fit,
    kendall_rows,
    kfold_indices,
    pairwise_accuracy_rows,
)
from emoeval.stats.ratings import read_ratings

SYSTEMS = ("alpha", "beta", "gamma", "delta")


def make_data(*, per_system=(15, 15, 15, 15), seed=1, higher_is_better=True, n_raters=3):
    """A results table (metric "m": sub-metrics "main" then "other") and long ratings on a 1–5 scale."""
    rng = np.random.default_rng(seed)
    rows, ratings = [], []
    for s, (system, count) in enumerate(zip(SYSTEMS, per_system, strict=False)):
        for i in range(count):
            sample_id = f"{system}-{i:03d}"
            quality = rng.normal(0.3 * s, 1.0)
            common = {"system": system, "scope": "sample", "statistic": "value", "sample_id": sample_id, "n": 1}
            # rounded to one decimal: ties in the metric exercise tau-b
            value = round(float(quality + rng.normal(0, 0.8)), 1)
            rows.append(
                {**common, "metric": "m", "sub_metric": "main", "value": value, "higher_is_better": higher_is_better}
            )
            rows.append({**common, "metric": "m", "sub_metric": "other", "value": -value, "higher_is_better": False})
            for r in range(n_raters):
                rating = int(np.clip(round(3 + quality + rng.normal(0, 0.7)), 1, 5))
                ratings.append({"sample_id": sample_id, "rater": f"r{r}", "rating": rating})
    return results_frame(rows), pd.DataFrame(ratings)


def reference_pairs(results, ratings):
    """Joined (sample_id, system, metric, MOS) computed with plain Python, independently of the module."""
    scores = {}
    for row in results.to_dict(orient="records"):
        if row["metric"] == "m" and row["sub_metric"] == "main" and row["scope"] == "sample":
            scores[row["sample_id"]] = (row["system"], row["value"])
    given = defaultdict(list)
    for row in ratings.to_dict(orient="records"):
        given[str(row["sample_id"])].append(float(row["rating"]))
    ids = sorted(set(scores) & set(given))
    x = np.array([scores[i][1] for i in ids])
    y = np.array([sum(given[i]) / len(given[i]) for i in ids])
    systems = [scores[i][0] for i in ids]
    return ids, systems, x, y


def system_means(systems, x, y):
    names = sorted(set(systems))
    xm = np.array([np.mean([v for v, s in zip(x, systems, strict=True) if s == name]) for name in names])
    ym = np.array([np.mean([v for v, s in zip(y, systems, strict=True) if s == name]) for name in names])
    return names, xm, ym


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def result(data):
    results, ratings = data
    return calibrate(results, ratings, metric="m", scale=(1, 5), n_bootstrap=500, seed=3)


def test_point_estimates_equal_scipy_at_both_levels(data, result):
    _, systems, x, y = reference_pairs(*data)
    assert len(set(np.round(x, 6))) < len(x)  # ties really are there (tau-b differs from tau-a)
    checks = {
        "lcc": lambda a, b: stats.pearsonr(a, b).statistic,
        "srcc": lambda a, b: stats.spearmanr(a, b).statistic,
        "ktau": lambda a, b: stats.kendalltau(a, b, variant="b").statistic,
    }
    _, xm, ym = system_means(systems, x, y)
    for name, reference in checks.items():
        assert result.value("utterance", name) == pytest.approx(reference(x, y), abs=1e-12)
        assert result.value("system", name) == pytest.approx(reference(xm, ym), abs=1e-12)
    # MSE after the least-squares linear map fitted on the utterance pairs (numpy.polyfit as reference)
    slope, intercept = np.polyfit(x, y, 1)
    assert result.value("utterance", "mse") == pytest.approx(np.mean((intercept + slope * x - y) ** 2), rel=1e-10)
    assert result.value("system", "mse") == pytest.approx(np.mean((intercept + slope * xm - ym) ** 2), rel=1e-10)
    assert result.mapping["linear"].slope == pytest.approx(slope, rel=1e-10)
    assert result.mapping["linear"].intercept == pytest.approx(intercept, rel=1e-10)
    frame = result.to_frame()
    assert list(frame.columns) == ["level", "statistic", "value", "ci_low", "ci_high", "n"]
    assert frame.loc[frame["level"] == "utterance", "n"].eq(60).all()
    assert frame.loc[(frame["level"] == "system") & (frame["statistic"] == "lcc"), "n"].item() == 4
    assert result.sub_metric == "main"  # the headline: first sub_metric listed for the metric


def test_kendall_rows_equal_scipy_for_small_and_large_inputs():
    rng = np.random.default_rng(4)
    for n in (4, 30, 100, 101, 400):  # both code paths: all-pairs (<= 100 values) and scipy
        x = rng.integers(0, 5, size=(6, n)).astype(float)
        y = x + rng.integers(0, 3, size=(6, n))
        reference = [stats.kendalltau(a, b, variant="b").statistic for a, b in zip(x, y, strict=True)]
        np.testing.assert_allclose(kendall_rows(x, y), reference, rtol=0, atol=1e-12)


def test_bootstrap_intervals_are_seeded_and_contain_the_estimate(data, result):
    results, ratings = data
    again = calibrate(results, ratings, metric="m", scale=(1, 5), n_bootstrap=500, seed=3)
    pd.testing.assert_frame_equal(result.to_frame(), again.to_frame())
    other = calibrate(results, ratings, metric="m", scale=(1, 5), n_bootstrap=500, seed=4).to_frame()
    assert not np.allclose(other["ci_low"].dropna(), result.to_frame()["ci_low"].dropna())
    frame = result.to_frame()
    bootstrapped = frame[frame["level"] != "mapping"]
    assert bootstrapped[["ci_low", "ci_high"]].notna().all().all()
    assert (bootstrapped["ci_low"] <= bootstrapped["value"] + 1e-12).all()
    assert (bootstrapped["value"] <= bootstrapped["ci_high"] + 1e-12).all()
    # the system level alone gives the same system intervals (independent random streams per level)
    alone = calibrate(results, ratings, metric="m", scale=(1, 5), n_bootstrap=500, seed=3, level="system").to_frame()
    pd.testing.assert_frame_equal(
        alone[alone["level"] == "system"].reset_index(drop=True),
        frame[frame["level"] == "system"].reset_index(drop=True),
    )


def test_utterance_interval_agrees_with_scipy_paired_bootstrap(data):
    results, ratings = data
    _, _, x, y = reference_pairs(results, ratings)
    ours = calibrate(results, ratings, metric="m", n_bootstrap=4000, seed=0, level="utterance").to_frame()
    lcc = ours[ours["statistic"] == "lcc"].iloc[0]
    reference = stats.bootstrap(
        (x, y),
        lambda a, b, axis: stats.pearsonr(a, b, axis=axis).statistic,
        paired=True,
        vectorized=True,
        n_resamples=4000,
        method="percentile",
        rng=np.random.default_rng(123),
    ).confidence_interval
    # different random streams: agreement up to Monte Carlo error
    assert lcc["ci_low"] == pytest.approx(reference.low, abs=0.03)
    assert lcc["ci_high"] == pytest.approx(reference.high, abs=0.03)


def test_system_interval_is_a_stratified_bootstrap(data):
    """Compare with a plain loop that resamples each system's samples and correlates the system means."""
    results, ratings = data
    _, systems, x, y = reference_pairs(results, ratings)
    names = sorted(set(systems))
    groups = [np.flatnonzero(np.array(systems) == name) for name in names]
    rng = np.random.default_rng(99)
    picks = [g[rng.integers(0, g.size, size=(3000, g.size))] for g in groups]
    x_means = np.stack([x[p].mean(axis=1) for p in picks], axis=1)
    y_means = np.stack([y[p].mean(axis=1) for p in picks], axis=1)
    draws = stats.pearsonr(x_means, y_means, axis=1).statistic
    # a 50% interval: its quartiles are stable enough (Monte Carlo spread ~0.01) for a tight comparison;
    # the 2.5% tail of r over 4 systems wanders by ±0.1 between random streams
    low, high = np.quantile(draws, [0.25, 0.75])
    ours = calibrate(results, ratings, metric="m", n_bootstrap=3000, seed=0, level="system", confidence=0.5)
    lcc = ours.to_frame().query("statistic == 'lcc'").iloc[0]
    assert lcc["ci_low"] == pytest.approx(low, abs=0.03)
    assert lcc["ci_high"] == pytest.approx(high, abs=0.03)


def test_kfold_indices_equal_sklearn():
    for n, k, seed in [(60, 5, 0), (23, 4, 7), (10, 10, 2)]:
        ours = kfold_indices(n, k, seed)
        theirs = [test for _, test in KFold(k, shuffle=True, random_state=seed).split(np.zeros(n))]
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed,folds", [(0, 5), (11, 3)])
def test_cross_validated_errors_equal_sklearn(data, seed, folds):
    results, ratings = data
    result = calibrate(results, ratings, metric="m", n_bootstrap=0, seed=seed, cv_folds=folds, level="utterance")
    _, _, x, y = reference_pairs(results, ratings)  # sorted by sample_id, as the module orders samples
    cv = KFold(folds, shuffle=True, random_state=seed)
    linear = cross_val_predict(LinearRegression(), x.reshape(-1, 1), y, cv=cv)
    isotonic = cross_val_predict(IsotonicRegression(increasing=True, out_of_bounds="clip"), x, y, cv=cv)
    for kind, predicted in (("linear", linear), ("isotonic", isotonic)):
        mapping = result.mapping[kind]
        assert mapping.cv_rmse == pytest.approx(np.sqrt(mean_squared_error(y, predicted)), rel=1e-10)
        assert mapping.cv_mae == pytest.approx(mean_absolute_error(y, predicted), rel=1e-10)
        assert result.value("mapping", f"{kind}_cv_rmse") == mapping.cv_rmse
    # the maps fitted on all samples predict like sklearn's, also outside the fitted range
    grid = np.linspace(x.min() - 1, x.max() + 1, 57)
    full_linear = LinearRegression().fit(x.reshape(-1, 1), y)
    np.testing.assert_allclose(
        result.mapping["linear"].predict(grid), full_linear.predict(grid.reshape(-1, 1)), atol=1e-10
    )
    full_isotonic = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(x, y)
    np.testing.assert_allclose(result.mapping["isotonic"].predict(grid), full_isotonic.predict(grid), atol=1e-10)
    assert result.mapping["isotonic"].increasing is True


def test_isotonic_direction_follows_higher_is_better_or_the_data():
    # lower is better: the map is decreasing, as sklearn's increasing=False
    results, ratings = make_data(seed=2)
    table = results.copy()
    table["value"] = -table["value"]
    table["higher_is_better"] = table["higher_is_better"].map({True: False, False: True}).astype("boolean")
    result = calibrate(table, ratings, metric="m", n_bootstrap=0, level="utterance")
    assert result.mapping["isotonic"].increasing is False
    _, _, x, y = reference_pairs(table, ratings)
    predicted = cross_val_predict(
        IsotonicRegression(increasing=False, out_of_bounds="clip"), x, y, cv=KFold(5, shuffle=True, random_state=0)
    )
    assert result.mapping["isotonic"].cv_rmse == pytest.approx(np.sqrt(mean_squared_error(y, predicted)), rel=1e-10)
    # unknown direction: chosen per fit by the sign of Spearman's rho, as sklearn's increasing="auto"
    unknown = table.copy()
    unknown["higher_is_better"] = pd.array([pd.NA] * len(unknown), dtype="boolean")
    guessed = calibrate(unknown, ratings, metric="m", n_bootstrap=0)
    assert guessed.mapping["isotonic"].increasing is False
    assert any("direction was taken from the sign" in w for w in guessed.warnings)
    with warnings.catch_warnings():  # sklearn may caution that rho's interval spans zero on a fold
        warnings.simplefilter("ignore", UserWarning)
        auto = cross_val_predict(
            IsotonicRegression(increasing="auto", out_of_bounds="clip"), x, y, cv=KFold(5, shuffle=True, random_state=0)
        )
    assert guessed.mapping["isotonic"].cv_mae == pytest.approx(mean_absolute_error(y, auto), rel=1e-10)


def test_isotonic_fit_matches_sklearn_with_tied_x():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 12, 80).astype(float)
    y = x * 0.2 + rng.normal(0, 1, 80)
    knots_x, knots_y = isotonic_fit(x, y, increasing=True)
    reference = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    np.testing.assert_allclose(np.interp(x, knots_x, knots_y), reference.predict(x), atol=1e-12)
    mapping = fit_isotonic_mapping(x, y, increasing=False, cv_folds=4, seed=1)
    decreasing = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(x, y)
    np.testing.assert_allclose(
        mapping.predict(np.arange(-2.0, 15.0)), decreasing.predict(np.arange(-2.0, 15.0)), atol=1e-12
    )


def hand_built(metric_by_system, mos_by_system, higher_is_better=True):
    """Two samples per system whose means are the given numbers (one rater per sample)."""
    rows, ratings = [], []
    for system, metric_mean in metric_by_system.items():
        for k, offset in enumerate((-0.25, 0.25)):
            sample_id = f"{system}{k}"
            rows.append(
                {"system": system, "scope": "sample", "statistic": "value", "sample_id": sample_id, "metric": "m",
                 "sub_metric": "main", "value": metric_mean + offset, "higher_is_better": higher_is_better}
            )  # fmt: skip
            ratings.append({"sample_id": sample_id, "rater": "r", "rating": mos_by_system[system] + offset})
    return results_frame(rows), pd.DataFrame(ratings)


def test_pairwise_accuracy_equals_a_hand_count():
    metric = {"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0}
    mos = {"A": 1.0, "B": 3.0, "C": 2.0, "D": 3.0}
    # pairs: AB agree, AC agree, AD agree, BC disagree, BD tied in MOS (left out), CD agree → 4 of 5
    result = calibrate(*hand_built(metric, mos), metric="m", n_bootstrap=0, cv_folds=2, level="system")
    row = result.to_frame().query("statistic == 'pairwise_accuracy'").iloc[0]
    assert row["value"] == pytest.approx(4 / 5) and row["n"] == 5
    # when lower is better the metric's order flips: only BC agrees → 1 of 5
    flipped = calibrate(*hand_built(metric, mos, higher_is_better=False), metric="m", n_bootstrap=0, cv_folds=2)
    assert flipped.value("system", "pairwise_accuracy") == pytest.approx(1 / 5)
    # a tie in the metric counts as a disagreement
    accuracy, pairs = pairwise_accuracy_rows(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    assert (float(accuracy), int(pairs)) == (pytest.approx(2 / 3), 3)


def test_fewer_than_three_systems():
    results, ratings = make_data(per_system=(10, 12))
    with pytest.raises(CalibrationError, match="at least 3 systems"):
        calibrate(results, ratings, metric="m", level="system", n_bootstrap=0)
    both = calibrate(results, ratings, metric="m", n_bootstrap=50)
    assert set(both.to_frame()["level"]) == {"utterance", "mapping"}
    assert any("system level is skipped" in w for w in both.warnings)


def test_constant_ratings_or_metric_raise():
    results, ratings = make_data(per_system=(5, 5, 5))
    constant = ratings.assign(rating=4)
    with pytest.raises(CalibrationError, match=r"ratings .* are all 4"):
        calibrate(results, constant, metric="m", n_bootstrap=0)
    flat = results.copy()
    flat.loc[flat["sub_metric"] == "main", "value"] = 0.5
    with pytest.raises(CalibrationError, match=r"m/main is 0\.5 for all 15"):
        calibrate(flat, ratings, metric="m", n_bootstrap=0)


def test_unusable_ratings_are_excluded_and_reported():
    results, ratings = make_data(per_system=(6, 6, 6))
    ratings = ratings.astype({"rating": object})
    first = ratings["sample_id"].iloc[0]
    ratings.loc[0, "rating"] = "N/A (could not judge)"
    ratings.loc[1, "rating"] = np.nan
    ratings.loc[2, "rating"] = 9  # outside 1–5: the first sample has no usable rating left
    ratings.loc[3, "rating"] = "4"  # a number written as text is a number
    result = calibrate(results, ratings, metric="m", scale=(1, 5), n_bootstrap=0)
    reasons = result.excluded_ratings["reason"].tolist()
    assert len(reasons) == 3
    assert reasons[0] == "not a number: 'N/A (could not judge)'"
    assert reasons[1] == "missing" and reasons[2].startswith("outside the scale [1, 5]")
    assert any("3 of 54 ratings excluded" in w for w in result.warnings)
    assert result.unrated == [first] and first not in set(result.samples["sample_id"])
    assert any("1 scored sample(s) have no usable rating" in w for w in result.warnings)
    second = ratings["sample_id"].iloc[3]
    row = result.samples.set_index("sample_id").loc[second]
    expected = [4.0, *[float(v) for v in ratings.loc[ratings["sample_id"] == second, "rating"].iloc[1:]]]
    assert row["mos"] == pytest.approx(np.mean(expected)) and row["n_ratings"] == 3
    assert "warning:" in result.summary()
    json.dumps(result.to_dict())  # serialisable as written by .write()
    # ratings read beforehand without a scale: the scale given to calibrate still applies, both reports kept
    early = read_ratings(ratings)
    assert len(early.excluded) == 2
    late = calibrate(results, early, metric="m", scale=(1, 5), n_bootstrap=0)
    assert late.excluded_ratings["reason"].tolist() == [reasons[0], "missing", reasons[2]]
    pd.testing.assert_frame_equal(late.to_frame(), result.to_frame())


def test_unmatched_samples_and_failed_rows_are_reported(tmp_path):
    results, ratings = make_data(per_system=(6, 6, 6))
    extra = pd.DataFrame([{"sample_id": "nobody-scored-me", "rater": "r0", "rating": 3}])
    failed = results.copy()
    victim = failed["sample_id"].iloc[0]
    mask = (failed["sample_id"] == victim) & (failed["sub_metric"] == "main")
    failed.loc[mask, "value"] = np.nan
    failed.loc[mask, "error"] = "no face found"
    result = calibrate(failed, pd.concat([ratings, extra]), metric="m", n_bootstrap=0)
    assert result.unscored == sorted([victim, "nobody-scored-me"])
    assert any("2 rated sample(s) have no m/main score (1 of them failed" in w for w in result.warnings)
    assert len(result.samples) == 17
    paths = result.write(tmp_path, "calibration")
    assert json.loads(paths[1].read_text())["unscored"] == result.unscored


def test_unbalanced_systems_warn_beyond_a_ratio_of_two():
    results, ratings = make_data(per_system=(4, 8, 6))
    balanced = calibrate(results, ratings, metric="m", n_bootstrap=0)
    assert not any("unbalanced" in w for w in balanced.warnings)  # 8 / 4 = 2 is not beyond the rule
    results, ratings = make_data(per_system=(4, 9, 6))
    unbalanced = calibrate(results, ratings, metric="m", n_bootstrap=0)
    assert any("unbalanced design: systems have 4 to 9 rated samples" in w for w in unbalanced.warnings)


def test_ratings_files_in_wide_and_long_form(tmp_path, data):
    results, ratings = data
    wide = ratings.pivot(index="sample_id", columns="rater", values="rating").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False)
    ratings.to_parquet(tmp_path / "long.parquet")
    ratings.to_json(tmp_path / "long.jsonl", orient="records", lines=True)
    frames = [
        calibrate(Results(table=results, run={}), source, metric="m", n_bootstrap=100).to_frame()
        for source in (
            ratings,
            tmp_path / "wide.csv",
            str(tmp_path / "long.parquet"),
            read_ratings(tmp_path / "long.jsonl"),
        )
    ]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], frame)


def test_bad_requests_raise_clearly(data):
    results, ratings = data
    with pytest.raises(CalibrationError, match=r"no per-sample rows for metric 'nope'.*\['m'\]"):
        calibrate(results, ratings, metric="nope")
    with pytest.raises(CalibrationError, match="no sub_metric 'x'; available: \\['main', 'other'\\]"):
        calibrate(results, ratings, metric="m", sub_metric="x")
    with pytest.raises(CalibrationError, match="several rows"):
        calibrate(pd.concat([results, results]), ratings, metric="m")
    with pytest.raises(CalibrationError, match="cv_folds=100 needs at least 100"):
        calibrate(results, ratings, metric="m", cv_folds=100, n_bootstrap=0)
    with pytest.raises(CalibrationError, match="only 0 sample"):
        calibrate(results, ratings.assign(sample_id="other"), metric="m")
    with pytest.raises(EmoevalError, match="level must be"):
        calibrate(results, ratings, metric="m", level="corpus")
    other = calibrate(results, ratings, metric="m", sub_metric="other", n_bootstrap=0)
    assert other.value("utterance", "lcc") == pytest.approx(
        -calibrate(results, ratings, metric="m", n_bootstrap=0).value("utterance", "lcc")
    )


def test_raw_mse_is_the_unmapped_error(data):
    results, ratings = data
    _, systems, x, y = reference_pairs(results, ratings)
    _, xm, ym = system_means(systems, x, y)
    result = calibrate(results, ratings, metric="m", n_bootstrap=0, raw_mse=True)
    assert result.value("utterance", "mse_raw") == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)
    assert result.value("system", "mse_raw") == pytest.approx(np.mean((xm - ym) ** 2), rel=1e-12)
    assert "mse_raw" not in set(calibrate(results, ratings, metric="m", n_bootstrap=0).to_frame()["statistic"])


def test_the_system_comes_from_the_results_and_disagreements_are_reported(data):
    results, ratings = data
    labelled = ratings.assign(system=ratings["sample_id"].str.split("-").str[0])
    first = labelled["sample_id"].iloc[0]
    labelled.loc[labelled["sample_id"] == first, "system"] = "somebody-else"
    result = calibrate(results, labelled, metric="m", n_bootstrap=0)
    assert result.samples.set_index("sample_id").loc[first, "system"] == "alpha"
    assert any("1 sample(s) have a different system in the ratings" in w for w in result.warnings)
    plain = calibrate(results, ratings, metric="m", n_bootstrap=0)
    pd.testing.assert_frame_equal(result.to_frame(), plain.to_frame())
