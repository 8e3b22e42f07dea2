"""Rater reliability against pingouin, the krippendorff package, published worked examples, scipy and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.stats.ratings import RatingsError, clean_ratings
from emoeval.stats.reliability import (
    StatsError,
    alpha_reliability,
    icc,
    item_agreement,
    krippendorff_alpha,
    mixed_model_mos,
    reliability_report,
)

pingouin = pytest.importorskip("pingouin")
krippendorff = pytest.importorskip("krippendorff")

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 coders × 12 units, values 1-5,
# with missing values (None). Published: nominal .743, ordinal .815, interval .849, ratio .797.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
KRIPPENDORFF_2011_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges. Published (Table 4): ICC(1,1) .17, ICC(2,1) .29,
# ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float
)
SHROUT_FLEISS_PUBLISHED = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


@pytest.fixture
def exact_pingouin(monkeypatch):
    """pingouin rounds CI95 to 2 decimals by default (options['round.column.CI95'] = 2): switch that off."""
    monkeypatch.setitem(pingouin.options, "round.column.CI95", None)
    return pingouin


def _long(matrix: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(matrix, index=[f"item{i:03d}" for i in range(len(matrix))])
    frame.columns = [f"r{j}" for j in range(matrix.shape[1])]
    return frame.rename_axis("sample_id").reset_index().melt(id_vars="sample_id", var_name="rater", value_name="rating")


def _pingouin_icc(long: pd.DataFrame, nan_policy: str = "raise") -> pd.DataFrame:
    return pingouin.intraclass_corr(long, targets="sample_id", raters="rater", ratings="rating", nan_policy=nan_policy)


def _assert_matches_pingouin(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    # pingouin 0.7 rows: ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k) — our order.
    assert list(ours["type"]) == list(reference["Type"])
    np.testing.assert_allclose(ours["icc"], reference["ICC"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["F"], reference["F"], rtol=1e-10)
    np.testing.assert_allclose(ours["pval"], reference["pval"], rtol=1e-10, atol=1e-300)
    np.testing.assert_array_equal(ours["df1"], reference["df1"])
    np.testing.assert_array_equal(ours["df2"], reference["df2"])
    ci = np.vstack(reference["CI95"].to_numpy())
    np.testing.assert_allclose(ours["ci_low"], ci[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["ci_high"], ci[:, 1], rtol=0, atol=1e-6)


# ----------------------------------------------------------------------------------------------------- ICC


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_icc_matches_pingouin_exactly(seed, exact_pingouin):
    rng = np.random.default_rng(seed)
    n, k = 20 + 5 * seed, 3 + seed
    matrix = rng.normal(size=(n, 1)) + rng.normal(0, 0.6, size=(1, k)) + rng.normal(0, 0.8, size=(n, k))
    result = icc(_long(matrix))
    _assert_matches_pingouin(result.table, _pingouin_icc(_long(matrix)))
    assert (result.n_items, result.n_raters, result.n_items_dropped) == (n, k, 0)
    assert result.warnings == []


def test_icc_on_integer_ratings_matches_pingouin(exact_pingouin):
    rng = np.random.default_rng(7)
    quality = rng.integers(1, 6, size=(40, 1))
    matrix = np.clip(quality + rng.integers(-1, 2, size=(40, 5)), 1, 5).astype(float)
    _assert_matches_pingouin(icc(_long(matrix)).table, _pingouin_icc(_long(matrix)))


def test_icc_reproduces_shrout_fleiss_published_table():
    result = icc(SHROUT_FLEISS)
    # Published to two decimals.
    np.testing.assert_allclose(result.table["icc"], SHROUT_FLEISS_PUBLISHED, atol=0.005)
    assert result.value("ICC3") == pytest.approx(result.value("ICC(C,1)"))


def test_icc_drops_incomplete_items_like_pingouin_omit(exact_pingouin):
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(30, 1)) + rng.normal(0, 0.7, size=(30, 4))
    matrix[[2, 5, 11], [0, 3, 1]] = np.nan
    long = _long(matrix)
    result = icc(long)
    _assert_matches_pingouin(result.table, _pingouin_icc(long, nan_policy="omit"))
    assert result.n_items == 27 and result.n_items_dropped == 3
    assert any("3 of 30 items dropped" in warning for warning in result.warnings)


def test_icc_accepts_ratings_wide_matrix_and_array_alike():
    rng = np.random.default_rng(4)
    matrix = rng.normal(size=(15, 3)) + rng.normal(size=(15, 1))
    from_array = icc(matrix).table["icc"]
    from_ratings = icc(clean_ratings(_long(matrix))).table["icc"]
    from_wide = icc(clean_ratings(_long(matrix)).wide()).table["icc"]
    np.testing.assert_allclose(from_array, from_ratings, rtol=1e-12)
    np.testing.assert_allclose(from_wide, from_ratings, rtol=1e-12)


def test_icc_confidence_level_changes_interval_width():
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(25, 1)) + rng.normal(0, 0.5, size=(25, 4))
    wide, narrow = icc(matrix, confidence=0.95).table, icc(matrix, confidence=0.80).table
    assert np.all(wide["ci_low"] < narrow["ci_low"]) and np.all(wide["ci_high"] > narrow["ci_high"])
    np.testing.assert_allclose(wide["icc"], narrow["icc"])
    # ICC(1,1)'s 95% interval by hand from the F distribution (Shrout & Fleiss 1979, eq. for case 1).
    f_obs, k = wide["F"].iloc[0], 4
    f_low = f_obs / stats.f.ppf(0.975, 24, 25 * 3)
    assert wide["ci_low"].iloc[0] == pytest.approx((f_low - 1) / (f_low + k - 1), abs=1e-12)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.ones((5, 1)), "at least 2 raters"),
        (np.array([[1.0, 2.0]]), "at least 2 items"),
        (np.full((6, 3), 4.0), "identical"),
        (np.tile([1.0, 2.0, 3.0], (5, 1)), "same mean"),
    ],
)
def test_icc_refuses_degenerate_designs(matrix, message):
    with pytest.raises(StatsError, match=message):
        icc(matrix)


def test_icc_refuses_when_missing_values_leave_fewer_than_two_items():
    matrix = np.array([[1.0, 2.0, np.nan], [2.0, np.nan, 3.0], [4.0, 4.0, 5.0]])
    with pytest.raises(StatsError, match="alpha_reliability"):
        icc(matrix)


def test_icc_refuses_repeated_ratings():
    long = pd.DataFrame(
        {"sample_id": ["a", "a", "a", "b", "b"], "rater": ["x", "x", "y", "x", "y"], "rating": [1, 2, 3, 4, 5]}
    )
    with pytest.raises(StatsError, match="more than one rating"):
        icc(long)


def test_icc_perfect_consistency_warns_about_undefined_intervals():
    matrix = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # rater 2 = rater 1 + 1
    result = icc(matrix)
    assert result.value("ICC3") == pytest.approx(1.0)
    assert any("not finite" in warning for warning in result.warnings)


# ------------------------------------------------------------------------------------------------ alpha


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_reproduces_krippendorff_2011_worked_example(level):
    data = np.array(KRIPPENDORFF_2011, dtype=float)
    ours = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    assert ours == pytest.approx(KRIPPENDORFF_2011_PUBLISHED[level], abs=5e-4)  # published to 3 decimals
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement=level), abs=1e-9)


def test_alpha_counts_pairable_units_and_values():
    result = alpha_reliability(KRIPPENDORFF_2011, level="nominal", n_boot=0)
    # Unit 12 has one value only; 40 values sit in the 11 pairable units (Krippendorff 2011: n.. = 40).
    assert (result.n_units, result.n_pairable_units, result.n_pairable_values, result.n_raters) == (12, 11, 40, 4)
    assert result.alpha == pytest.approx(1 - result.observed_disagreement / result.expected_disagreement)
    assert math.isnan(result.ci_low)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_krippendorff_package_on_random_data_with_missing(level, seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=40)
    data = np.clip(truth[None, :] + rng.integers(-1, 2, size=(6, 40)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level) == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package_on_continuous_values(level):
    rng = np.random.default_rng(11)
    data = rng.normal(size=(1, 30)) + rng.normal(0, 0.6, size=(4, 30)) + 10.0
    data[rng.random(data.shape) < 0.2] = np.nan
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level) == pytest.approx(reference, abs=1e-9)


def test_alpha_on_category_names_matches_krippendorff_package():
    rng = np.random.default_rng(2)
    names = np.array(["angry", "happy", "sad", "neutral"], dtype=object)
    data = names[rng.integers(0, 4, size=(5, 25))]
    data[rng.random(data.shape) < 0.25] = None
    ours = krippendorff_alpha(data, level="nominal")
    reference = krippendorff.alpha(reliability_data=data.astype(str), level_of_measurement="nominal")  # None→"None"
    coded = np.where(data == None, np.nan, np.searchsorted(np.sort(names), data.astype(str)).astype(float))  # noqa: E711
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=coded, level_of_measurement="nominal"), abs=1e-9)
    assert np.isfinite(reference)  # the package reads None as a category of its own; ours treats it as missing
    with pytest.raises(StatsError, match="nominal"):
        krippendorff_alpha(data, level="interval")


def test_alpha_from_long_ratings_equals_the_matrix_form():
    data = np.array(KRIPPENDORFF_2011, dtype=float)
    long = _long(data.T).dropna()
    assert krippendorff_alpha(long, level="interval") == pytest.approx(krippendorff_alpha(data, level="interval"))


def test_alpha_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    data = rng.integers(1, 6, size=(1, 60)) + rng.integers(-1, 2, size=(4, 60))
    first = alpha_reliability(data, level="interval", n_boot=300, seed=3)
    again = alpha_reliability(data, level="interval", n_boot=300, seed=3)
    other = alpha_reliability(data, level="interval", n_boot=300, seed=4)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.ci_low < first.alpha < first.ci_high
    assert "bootstrap" in first.summary()


def test_alpha_bootstrap_weights_equal_explicit_duplication():
    """A unit drawn twice counts as two units of its own size (checked against the package on duplicated data)."""
    from emoeval.stats.reliability import _alpha_from_counts, _value_counts

    data = np.array(KRIPPENDORFF_2011, dtype=float)
    counts, domain = _value_counts(data, True)
    pairable = counts.sum(axis=1) >= 2
    weights = np.array([2, 0, 1, 3, 1, 1, 0, 1, 2, 1, 1])
    ours = _alpha_from_counts(counts[pairable], domain, "ordinal", weights)[0]
    duplicated = np.repeat(data[:, pairable], weights, axis=1)
    assert ours == pytest.approx(krippendorff.alpha(duplicated, level_of_measurement="ordinal"), abs=1e-9)


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        ([[1, None, 3], [None, 2, None]], "interval", "no unit"),
        ([[2, 2, 2], [2, 2, 2]], "nominal", "no variation"),
        ([[1, 2], [1, 2]], "cardinal", "unknown level"),
        ([[1, -2], [1, -2]], "ratio", "non-negative"),
        ([1, 2, 3], "interval", "2-D"),
    ],
)
def test_alpha_refuses_bad_input(data, level, message):
    with pytest.raises(StatsError, match=message):
        krippendorff_alpha(data, level=level)


# ------------------------------------------------------------------------------------------- item agreement


def test_item_agreement_against_scipy_mode_and_numpy():
    rng = np.random.default_rng(8)
    matrix = rng.integers(1, 6, size=(12, 7)).astype(float)
    matrix[0, :3] = np.nan
    long = _long(matrix).dropna()
    table = item_agreement(long).set_index("sample_id")
    for index, row in enumerate(matrix):
        values = row[np.isfinite(row)]
        got = table.loc[f"item{index:03d}"]
        mode = stats.mode(values, keepdims=False)  # the smallest of tied modes, as ours
        assert got["n_ratings"] == len(values)
        assert got["mean"] == pytest.approx(values.mean())
        assert got["sd"] == pytest.approx(values.std(ddof=1))
        assert got["range"] == values.max() - values.min()
        assert got["mode"] == mode.mode
        assert got["modal_agreement"] == pytest.approx(mode.count / len(values))
        assert got["n_modes"] == np.sum(np.unique(values, return_counts=True)[1] == mode.count)


def test_item_agreement_keeps_the_system():
    long = pd.DataFrame(
        {"sample_id": ["a", "a", "b", "b"], "rater": ["x", "y", "x", "y"], "rating": [1, 1, 2, 5], "system": "s1"}
    )
    table = item_agreement(long)
    assert list(table["system"]) == ["s1", "s1"]
    assert list(table["modal_agreement"]) == [1.0, 0.5]


# ----------------------------------------------------------------------------------------- mixed-model MOS

TRUTH = {"A": 3.0, "B": 3.5, "C": 4.0}


def _simulate(seed: int, *, balanced: bool = False, n_raters: int = 24, n_items: int = 30) -> pd.DataFrame:
    """Known system means; rater biases (SD 0.7) and item effects (SD 0.4) centred to zero; noise SD 0.5.

    Unbalanced: the harsher half of the raters rates system A, the more lenient half system C, everyone B.
    """
    rng = np.random.default_rng(seed)
    bias = rng.normal(0, 0.7, n_raters)
    bias -= bias.mean()
    order = np.argsort(bias)
    pools = {"A": order[: n_raters // 2], "B": order, "C": order[n_raters // 2 :]}
    rows = []
    for system, mean in TRUTH.items():
        effects = rng.normal(0, 0.4, n_items)
        effects -= effects.mean()
        for item in range(n_items):
            raters = order if balanced else rng.choice(pools[system], size=5, replace=False)
            for rater in raters:
                rating = mean + effects[item] + bias[rater] + rng.normal(0, 0.5)
                rows.append({"sample_id": f"{system}{item}", "system": system, "rater": f"r{rater}", "rating": rating})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1])
def test_mixed_model_recovers_system_means_where_the_plain_mean_is_biased(seed):
    result = mixed_model_mos(_simulate(seed))
    mixed_error = sum(abs(result.estimate(s, "mixed") - truth) for s, truth in TRUTH.items())
    plain_error = sum(abs(result.estimate(s, "mean") - truth) for s, truth in TRUTH.items())
    for system, truth in TRUTH.items():
        assert result.estimate(system, "mixed") == pytest.approx(truth, abs=0.2)
    assert mixed_error < 0.5 * plain_error
    assert result.converged
    assert any("unbalanced design" in warning for warning in result.warnings)
    components = result.variance_components
    assert set(components) == {"item", "rater", "residual"}
    assert components["residual"] == pytest.approx(0.25, abs=0.07)
    assert components["item"] == pytest.approx(0.16, abs=0.1)
    assert 0.1 < components["rater"] < 1.2


def test_mixed_model_equals_the_mean_in_a_balanced_crossed_design():
    # With every rater rating every item, the GLS estimate of each system mean is the plain mean.
    data = _simulate(3, balanced=True, n_raters=6, n_items=10)
    result = mixed_model_mos(data)
    for system in TRUTH:
        assert result.estimate(system, "mixed") == pytest.approx(result.estimate(system, "mean"), abs=1e-6)
    assert not any("unbalanced" in warning for warning in result.warnings)


def test_plain_mos_interval_is_the_t_interval():
    data = _simulate(2)
    table = mixed_model_mos(data).table.set_index(["system", "estimator"])
    for system in TRUTH:
        values = data.loc[data["system"] == system, "rating"].to_numpy()
        low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        row = table.loc[(system, "mean")]
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
        mixed = table.loc[(system, "mixed")]
        z = stats.norm.ppf(0.975)
        assert mixed["ci_high"] - mixed["ci_low"] == pytest.approx(2 * z * mixed["se"], rel=1e-9)


def test_mixed_model_refuses_without_systems_or_with_one_rater():
    data = _simulate(0)
    with pytest.raises(StatsError, match="system"):
        mixed_model_mos(data.drop(columns="system"))
    with pytest.raises(StatsError, match="at least 2 raters"):
        mixed_model_mos(data.assign(rater="only"))


# ----------------------------------------------------------------------------------------------- report


def test_reliability_report_bundles_everything(tmp_path):
    data = _simulate(0, balanced=True, n_raters=5, n_items=8)
    data["rating"] = np.clip(np.round(data["rating"]), 1, 5)
    report = reliability_report(data, level=["interval", "nominal"], n_boot=200, scale=(1, 5))
    frame = report.to_frame()
    assert set(frame["analysis"]) == {"icc", "alpha", "items", "mos"}
    assert set(frame.loc[frame["analysis"] == "alpha", "statistic"]) == {"alpha_interval", "alpha_nominal"}
    assert frame.loc[frame["analysis"] == "icc", "value"].tolist() == report.icc.table["icc"].tolist()
    assert report.alphas["interval"].alpha == pytest.approx(krippendorff_alpha(data, level="interval"))
    assert len(report.items) == 24
    text = report.summary()
    assert "Intraclass correlation" in text and "Krippendorff" in text and "MOS per system" in text
    written = report.write(tmp_path, "reliability")
    assert [path.name for path in written] == ["reliability.csv", "reliability.json", "reliability_items.csv"]
    assert all(path.exists() for path in written)


def test_reliability_report_turns_an_impossible_icc_into_a_warning_and_reports_exclusions():
    rows = [
        ("a", "x", 1),
        ("a", "y", 2),
        ("b", "y", 4),
        ("b", "z", 5),
        ("c", "x", 3),
        ("c", "z", "N/A (could not judge)"),
        ("d", "x", 2),
        ("d", "z", 9),
    ]
    data = pd.DataFrame(rows, columns=["sample_id", "rater", "rating"])
    report = reliability_report(data, scale=(1, 5), n_boot=50)
    assert report.icc is None
    assert any(warning.startswith("ICC not computed") for warning in report.warnings)
    assert any("2 of 8 ratings excluded" in warning for warning in report.warnings)
    assert len(report.excluded) == 2
    assert report.mos is None
    with pytest.raises(RatingsError, match="system"):
        reliability_report(data, mos=True)
