"""Rater reliability on FED's human dialogue ratings (Mehri & Eskenazi 2020): 5 annotators per item."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emoeval.stats.ratings import clean_ratings
from emoeval.stats.reliability import alpha_reliability, icc, mixed_model_mos, reliability_report


def _fed_long(path, quality: str) -> tuple[pd.DataFrame, int]:
    """Long ratings of one quality (raters = annotator position 0..4) and the number of 'N/A (...)' strings."""
    items = json.loads((path / "fed_data.json").read_text())
    rows, not_applicable = [], 0
    for index, item in enumerate(items):
        for position, rating in enumerate(item["annotations"].get(quality, [])):
            not_applicable += isinstance(rating, str) and rating.startswith("N/A")
            rows.append({"sample_id": f"fed{index:03d}", "system": item["system"], "rater": position, "rating": rating})
    return pd.DataFrame(rows), not_applicable


def test_fed_overall_icc_alpha_and_mos(shared_data):
    pingouin = pytest.importorskip("pingouin")
    krippendorff = pytest.importorskip("krippendorff")
    long, not_applicable = _fed_long(shared_data("ratings_fed_dialogue"), "Overall")
    ratings = clean_ratings(long)
    assert not_applicable == 0 and ratings.excluded.empty  # 'Overall' has no N/A answers (checked independently)
    result = icc(ratings)
    reference = pingouin.intraclass_corr(long.astype({"rating": float}), "sample_id", "rater", "rating")
    np.testing.assert_allclose(result.table["icc"], reference["ICC"], atol=1e-10)
    alphas = {level: alpha_reliability(ratings, level=level, n_boot=200) for level in ("interval", "ordinal")}
    matrix = ratings.wide().to_numpy(dtype=float).T
    for level, alpha in alphas.items():
        assert alpha.alpha == pytest.approx(krippendorff.alpha(matrix, level_of_measurement=level), abs=1e-9)
    mos = mixed_model_mos(ratings)
    print(f"\nFED Overall: {result.n_items} items × {result.n_raters} raters")
    print(result.summary())
    for alpha in alphas.values():
        print(alpha.summary())
    print(mos.summary())
    assert 0.2 < result.value("ICC2") < 0.5  # single-rater reliability of a 0-4 overall score: low, as known
    # Every annotator position rates every item: the mixed-model MOS equals the plain mean.
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
