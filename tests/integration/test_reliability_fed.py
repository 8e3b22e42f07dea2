"""Rater reliability on FED's human dialogue ratings (Mehri & Eskenazi 2020): 5 crowd ratings per item.

FED's ratings come from Amazon Mechanical Turk workers, five per item, and the release keeps no worker ids: the
five ratings of an item are from anonymous workers who differ from item to item. ``rater`` below is only the
annotator's *position* (0..4) in an item's list, not a person, so there is no rater factor to model and the
one-way random-effects forms apply (Shrout & Fleiss 1979, case 1; McGraw & Wong 1996): ICC(1,1) for one
worker's rating, ICC(1,k) for the mean of the five. The two-way forms (A,1), (C,1) would treat position 0 of
every item as the same person.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.stats.ratings import clean_ratings
from emoeval.stats.reliability import alpha_reliability, icc, mixed_model_mos, reliability_report

#: the README's figures for FED 'Overall' (statistics section), each with the decimals it states
README_FED_OVERALL = {
    "ICC(1,1)": (0.338, 0.296, 0.383),
    "ICC(1,k)": (0.719, 0.678, 0.756),
    "alpha_interval": 0.338,
}
THIRD_DECIMAL = 0.0005 + 1e-9  # a figure stated to 3 decimals holds if the value rounds to it


def _fed_long(path, quality: str) -> tuple[pd.DataFrame, int]:
    """Long ratings of one quality (raters = annotator position 0..4) and the number of 'N/A (...)' strings."""
    items = json.loads((path / "fed_data.json").read_text())
    rows, not_applicable = [], 0
    for index, item in enumerate(items):
        for position, rating in enumerate(item["annotations"].get(quality, [])):
            not_applicable += isinstance(rating, str) and rating.startswith("N/A")
            rows.append({"sample_id": f"fed{index:03d}", "system": item["system"], "rater": position, "rating": rating})
    return pd.DataFrame(rows), not_applicable


def _one_way_by_hand(matrix: np.ndarray, confidence: float = 0.95) -> tuple[dict[str, np.ndarray], float, float]:
    """ICC(1,1) and ICC(1,k) (value, low, high) with exact F intervals, F and p, from scipy's one-way ANOVA.

    Items are the groups. Shrout & Fleiss (1979), case 1: F = BMS / WMS; ICC(1,1) = (F - 1) / (F + k - 1),
    ICC(1,k) = 1 - 1 / F; the bounds put F / F_(1-a/2)(n-1, n(k-1)) and F · F_(1-a/2)(n(k-1), n-1) into the
    same formulas.
    """
    n, k = matrix.shape
    anova = stats.f_oneway(*matrix)  # each row (item) is one group of k ratings
    f_value = float(anova.statistic)
    a = (1 - confidence) / 2
    f_low = f_value / stats.f.ppf(1 - a, n - 1, n * (k - 1))
    f_high = f_value * stats.f.ppf(1 - a, n * (k - 1), n - 1)

    def single(f):
        return (f - 1) / (f + k - 1)

    def average(f):
        return 1 - 1 / f

    bounds = np.array([f_value, f_low, f_high])
    return {"ICC(1,1)": single(bounds), "ICC(1,k)": average(bounds)}, f_value, float(anova.pvalue)


def test_fed_overall_one_way_icc_alpha_and_mos(shared_data):
    pingouin = pytest.importorskip("pingouin")
    krippendorff = pytest.importorskip("krippendorff")
    long, not_applicable = _fed_long(shared_data("ratings_fed_dialogue"), "Overall")
    ratings = clean_ratings(long)
    assert not_applicable == 0 and ratings.excluded.empty  # 'Overall' has no N/A answers (checked independently)
    result = icc(ratings)
    reference = pingouin.intraclass_corr(long.astype({"rating": float}), "sample_id", "rater", "rating")
    np.testing.assert_allclose(result.table["icc"], reference["ICC"], atol=1e-10)
    table = result.table.set_index("type")
    pingouin_rows = reference.set_index("Type")
    ci_column = "CI95" if "CI95" in reference.columns else "CI95%"  # renamed in pingouin 0.6
    matrix = ratings.wide().to_numpy(dtype=float)
    assert matrix.shape == (500, 5)
    by_hand, f_by_hand, p_by_hand = _one_way_by_hand(matrix)
    for form in ("ICC(1,1)", "ICC(1,k)"):
        row, theirs = table.loc[form], pingouin_rows.loc[form]
        # the one-way forms against pingouin (its interval is rounded to 2 decimals) and against scipy by hand
        assert row["icc"] == pytest.approx(theirs["ICC"], abs=1e-12)
        assert row["F"] == pytest.approx(theirs["F"], rel=1e-12) and row["df2"] == theirs["df2"] == 2000
        assert row["pval"] == pytest.approx(theirs["pval"], rel=1e-9)
        np.testing.assert_allclose([row["ci_low"], row["ci_high"]], list(theirs[ci_column]), atol=0.005 + 1e-12)
        np.testing.assert_allclose([row["icc"], row["ci_low"], row["ci_high"]], by_hand[form], rtol=0, atol=1e-12)
        assert row["F"] == pytest.approx(f_by_hand, rel=1e-12) and row["pval"] == pytest.approx(p_by_hand, rel=1e-9)
        # the README's figures (statistics section)
        value, low, high = README_FED_OVERALL[form]
        np.testing.assert_allclose([row["icc"], row["ci_low"], row["ci_high"]], [value, low, high], atol=THIRD_DECIMAL)
    alphas = {level: alpha_reliability(ratings, level=level, n_boot=200) for level in ("interval", "ordinal")}
    for level, alpha in alphas.items():
        assert alpha.alpha == pytest.approx(krippendorff.alpha(matrix.T, level_of_measurement=level), abs=1e-9)
    assert alphas["interval"].alpha == pytest.approx(README_FED_OVERALL["alpha_interval"], abs=THIRD_DECIMAL)
    mos = mixed_model_mos(ratings)
    print(f"\nFED Overall: {result.n_items} items × {result.n_raters} ratings (one-way: workers differ per item)")
    print(result.summary())
    for form in ("ICC(1,1)", "ICC(1,k)"):
        row = table.loc[form]
        print(f"{form} = {row['icc']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]")
    for alpha in alphas.values():
        print(alpha.summary())
    print(mos.summary())
    # One worker's 0-4 overall score is a poor measure; the mean of five is a moderate one (Koo & Li 2016).
    assert table.loc["ICC(1,1)", "icc"] < 0.5 <= table.loc["ICC(1,k)", "icc"] < 0.75
    # Every item holds 5 ratings and each sits at one of the 5 positions: the design is balanced, so the
    # mixed-model MOS equals the plain mean (its "rater" effect is a position effect, meaningless for FED).
    for system in ("Human", "Meena", "Mitsuku"):
        assert mos.estimate(system, "mixed") == pytest.approx(mos.estimate(system, "mean"), abs=1e-6)


def test_fed_error_recovery_reports_excluded_not_applicable_ratings(shared_data):
    long, not_applicable = _fed_long(shared_data("ratings_fed_dialogue"), "Error recovery")
    report = reliability_report(long, level=["interval", "nominal"], n_boot=200)
    print(f"\nFED Error recovery: {not_applicable} N/A answers\n{report.summary()}")
    assert not_applicable > 0
    assert len(report.excluded) == not_applicable
    assert report.excluded["reason"].str.startswith("not a number").all()
    assert any(f"{not_applicable} of {len(long)} ratings excluded" in warning for warning in report.warnings)
    assert report.icc is not None and report.icc.n_items_dropped > 0
    assert any("items dropped from the ICC" in warning for warning in report.icc.warnings)
    assert report.alphas["interval"].n_pairable_units > report.icc.n_items  # alpha keeps incomplete items
