"""Meta-analysis against metafor reference values (via statsmodels' test suite), hand formulas and real data."""

from __future__ import annotations

import json
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.stats.meta import (
    MetaAnalysisError,
    expit,
    meta_analysis,
    prediction_interval,
    proportion_effect,
    read_reported,
    se_from_ci,
    se_from_sd,
)

EXAMPLE_CSV = Path(__file__).parent / "data" / "meta_example.csv"

# Kacker (2004) interlaboratory data, the worked example of statsmodels/stats/tests/test_meta.py (TestMetaK1).
KACKER_EFFECT = np.array([61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90])
KACKER_VARIANCE = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])

# R metafor results for those data, copied from statsmodels/stats/tests/results/results_meta.py
# (exk1_fe: rma(method="FE"), exk1_dl: rma(method="DL"), exk1_metafor: rma(method="PM")).
METAFOR_FE = {"b": 62.5833970939982, "se": 0.107845705498231, "ci_lb": 62.3720233953344, "ci_ub": 62.7947707926621}
METAFOR_DL = {
    "b": 62.3901386044504,
    "se": 0.245749668040304,
    "ci_lb": 61.9084781058787,
    "ci_ub": 62.8717991030221,
    "tau2": 0.288049246973751,
    "QE": 24.801897741835,
    "QEp": 0.00167935146372742,
    "I2": 67.744403741711,
}
METAFOR_PM = {
    "b": 62.4076199113286,
    "se": 0.338030602684471,
    "ci_lb": 61.7450921043947,
    "ci_ub": 63.0701477182625,
    "tau2": 0.705395309224248,
    "QE": 24.801897741835,
    "QEp": 0.00167935146372742,
}


def kacker_table(groups=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"study": [f"lab {i + 1}" for i in range(9)], "effect": KACKER_EFFECT, "variance": KACKER_VARIANCE}
    )
    if groups is not None:
        frame["family"] = list(groups)
    return frame


def hand_pool(y: np.ndarray, v: np.ndarray, method: str, confidence: float = 0.95) -> dict[str, float]:
    """Fixed effect and DerSimonian–Laird written out (Borenstein et al. 2009, ch. 11-12; Higgins et al. 2009)."""
    k = len(y)
    w = 1.0 / v
    mu_fe = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu_fe) ** 2)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (k - 1)) / c) if method == "dl" else 0.0
    w_star = 1.0 / (v + tau2)
    mu = np.sum(w_star * y) / np.sum(w_star)
    se = math.sqrt(1.0 / np.sum(w_star))
    z = stats.norm.ppf(0.5 + confidence / 2)
    out = {
        "effect": mu,
        "se": se,
        "ci_low": mu - z * se,
        "ci_high": mu + z * se,
        "q": q,
        "p_q": stats.chi2.sf(q, k - 1),
        "i2": max(0.0, (q - (k - 1)) / q),
        "tau2": tau2,
        "weights": w_star / np.sum(w_star),
    }
    if k >= 3:
        t = stats.t.ppf(0.5 + confidence / 2, k - 2)
        out["pi_low"] = mu - t * math.sqrt(tau2 + se**2)
        out["pi_high"] = mu + t * math.sqrt(tau2 + se**2)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Reference values: metafor (through statsmodels' test suite), Kacker 2004
# ---------------------------------------------------------------------------------------------------------------


def test_fixed_effect_matches_metafor():
    result = meta_analysis(kacker_table(), method="fe").overall
    assert result.effect == pytest.approx(METAFOR_FE["b"], abs=1e-12)
    assert result.se == pytest.approx(METAFOR_FE["se"], abs=1e-10)
    assert result.ci_low == pytest.approx(METAFOR_FE["ci_lb"], abs=1e-10)
    assert result.ci_high == pytest.approx(METAFOR_FE["ci_ub"], abs=1e-10)
    assert result.tau2 == 0.0
    assert result.q == pytest.approx(METAFOR_DL["QE"], abs=1e-10)


def test_dersimonian_laird_matches_metafor():
    result = meta_analysis(kacker_table(), method="dl").overall
    assert result.effect == pytest.approx(METAFOR_DL["b"], abs=1e-12)
    assert result.se == pytest.approx(METAFOR_DL["se"], abs=1e-10)
    assert result.ci_low == pytest.approx(METAFOR_DL["ci_lb"], abs=1e-10)
    assert result.ci_high == pytest.approx(METAFOR_DL["ci_ub"], abs=1e-10)
    assert result.tau2 == pytest.approx(METAFOR_DL["tau2"], abs=1e-10)
    assert result.q == pytest.approx(METAFOR_DL["QE"], abs=1e-10)
    assert result.p_q == pytest.approx(METAFOR_DL["QEp"], abs=1e-10)
    assert result.df == 8
    assert result.i2 == pytest.approx(METAFOR_DL["I2"] / 100, abs=1e-10)  # metafor reports percent
    # Kacker 2004, table 1: tau_DL = 0.5359 (statsmodels checks it with atol 1e-3)
    assert math.sqrt(result.tau2) == pytest.approx(0.5359, abs=1e-3)


def test_paule_mandel_matches_metafor():
    result = meta_analysis(kacker_table(), method="pm").overall
    assert result.tau2 == pytest.approx(METAFOR_PM["tau2"], abs=1e-10)
    assert result.effect == pytest.approx(METAFOR_PM["b"], abs=1e-12)
    assert result.se == pytest.approx(METAFOR_PM["se"], abs=1e-10)
    assert result.ci_low == pytest.approx(METAFOR_PM["ci_lb"], abs=1e-10)
    assert result.ci_high == pytest.approx(METAFOR_PM["ci_ub"], abs=1e-10)
    assert result.q == pytest.approx(METAFOR_PM["QE"], abs=1e-10)
    assert result.p_q == pytest.approx(METAFOR_PM["QEp"], abs=1e-10)
    assert math.sqrt(result.tau2) == pytest.approx(0.8399, abs=6e-5)  # Kacker 2004, table 1, PM


# ---------------------------------------------------------------------------------------------------------------
# Hand computations
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["fe", "dl"])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_pooling_equals_hand_formulas(method, confidence):
    rng = np.random.default_rng(7)
    y = rng.normal(0.4, 0.3, size=8)
    v = rng.uniform(0.01, 0.08, size=8)
    table = pd.DataFrame({"study": [f"s{i}" for i in range(8)], "effect": y, "se": np.sqrt(v)})
    result = meta_analysis(table, method=method, confidence=confidence)
    expected = hand_pool(y, v, method, confidence)
    got = result.overall
    for name in ("effect", "se", "ci_low", "ci_high", "q", "p_q", "i2", "tau2"):
        assert getattr(got, name) == pytest.approx(expected[name], rel=1e-10, abs=1e-14), name
    np.testing.assert_allclose(result.studies["weight"], expected["weights"], rtol=1e-10)
    if method == "dl":
        assert expected["tau2"] > 0  # the data are heterogeneous enough for the random-effects branch
        assert got.pi_low == pytest.approx(expected["pi_low"], rel=1e-10)
        assert got.pi_high == pytest.approx(expected["pi_high"], rel=1e-10)
    else:  # fixed effect: the prediction interval is the confidence interval (metafor's convention)
        assert (got.pi_low, got.pi_high) == pytest.approx((got.ci_low, got.ci_high), rel=1e-12)
    assert got.p_value == pytest.approx(2 * stats.norm.sf(abs(expected["effect"] / expected["se"])), rel=1e-9)


def test_prediction_interval_formula_and_small_k():
    low, high = prediction_interval(1.0, 0.2, 0.09, 5, confidence=0.95)
    half = 3.182446305284263 * math.sqrt(0.09 + 0.04)  # t_{0.975, 3}
    assert (low, high) == pytest.approx((1.0 - half, 1.0 + half), rel=1e-12)
    assert all(math.isnan(value) for value in prediction_interval(1.0, 0.2, 0.09, 2))


def test_negative_dersimonian_laird_estimate_is_truncated_to_fixed_effect():
    # Q < df: statsmodels' raw DL moment estimate is negative (and its SE NaN); DL define τ² = max(0, ·)
    table = pd.DataFrame({"study": list("abcd"), "effect": [1.0, 1.01, 0.99, 1.0], "variance": [0.1, 0.2, 0.1, 0.3]})
    dl = meta_analysis(table, method="dl").overall
    fe = meta_analysis(table, method="fe").overall
    assert dl.tau2 == 0.0 and dl.i2 == 0.0
    assert dl.effect == pytest.approx(fe.effect, rel=1e-14) and dl.se == pytest.approx(fe.se, rel=1e-14)
    assert math.isfinite(dl.pi_low) and math.isfinite(dl.se)


def test_subgroups_and_between_test():
    groups = ["x", "x", "x", "y", "y", "y", "y", "z", "z"]
    fe = meta_analysis(kacker_table(groups), method="fe", by="family")
    # fixed effect: Q_between = Q_total − Σ Q_within (partition of Cochran's Q)
    assert fe.subgroup_test.q == pytest.approx(fe.overall.q - sum(g.q for g in fe.subgroups), rel=1e-10)
    assert fe.subgroup_test.df == 2
    dl = meta_analysis(kacker_table(groups), method="dl", by="family")
    estimates = []
    for group, subgroup in zip(["x", "y", "z"], dl.subgroups, strict=True):
        mask = np.array(groups) == group
        expected = hand_pool(KACKER_EFFECT[mask], KACKER_VARIANCE[mask], "dl")
        assert subgroup.group == group and subgroup.k == mask.sum()
        assert subgroup.effect == pytest.approx(expected["effect"], rel=1e-12)
        assert subgroup.tau2 == pytest.approx(expected["tau2"], rel=1e-10, abs=1e-15)
        np.testing.assert_allclose(dl.studies.loc[mask, "weight"], expected["weights"], rtol=1e-10)
        estimates.append((expected["effect"], expected["se"]))
    means, ses = np.array(estimates).T
    w = 1 / ses**2
    q_between = np.sum(w * (means - np.sum(w * means) / np.sum(w)) ** 2)
    assert dl.subgroup_test.q == pytest.approx(q_between, rel=1e-10)
    assert dl.subgroup_test.p_value == pytest.approx(stats.chi2.sf(q_between, 2), rel=1e-10)
    # the overall pool ignores the subgroups
    assert dl.overall.effect == pytest.approx(METAFOR_DL["b"], abs=1e-12)
    assert any("no prediction interval" in warning for warning in dl.warnings)  # group z has k = 2
    frame = dl.to_frame()
    assert list(frame["row_type"]).count("study") == 9
    assert list(frame["row_type"]).count("pooled") == 4
    assert frame["row_type"].iloc[-1] == "subgroup_test"


def test_leave_one_out_equals_pooling_without_each_study():
    result = meta_analysis(kacker_table(), method="dl")
    loo = result.leave_one_out()
    frame = loo.to_frame()
    assert list(frame["omitted"]) == [f"lab {i + 1}" for i in range(9)]
    for i, row in frame.iterrows():
        keep = np.arange(9) != i
        expected = hand_pool(KACKER_EFFECT[keep], KACKER_VARIANCE[keep], "dl")
        assert row["effect"] == pytest.approx(expected["effect"], rel=1e-12)
        assert row["tau2"] == pytest.approx(expected["tau2"], rel=1e-10, abs=1e-15)
        assert row["k"] == 8
    assert "moves it most" in loo.summary()
    two = meta_analysis(kacker_table().head(2), method="dl")
    with pytest.raises(MetaAnalysisError, match="leave-one-out"):
        two.leave_one_out()


def test_leave_one_out_drops_every_row_of_a_study():
    table = kacker_table()
    table["study"] = ["A", "A", "B", "C", "D", "E", "F", "G", "G"]
    table["system"] = [f"sys{i}" for i in range(9)]
    frame = meta_analysis(table, method="fe").leave_one_out().to_frame()
    row = frame.set_index("omitted").loc["A"]
    expected = hand_pool(KACKER_EFFECT[2:], KACKER_VARIANCE[2:], "fe")
    assert row["k"] == 7 and row["effect"] == pytest.approx(expected["effect"], rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------------------------


def test_conversions_by_hand():
    assert se_from_ci(0.64, 0.76) == pytest.approx(0.12 / (2 * 1.959963984540054), rel=1e-12)
    assert se_from_ci(1.0, 2.0, level=0.90) == pytest.approx(1.0 / (2 * 1.6448536269514722), rel=1e-12)
    assert se_from_sd(0.9, 120) == pytest.approx(0.9 / math.sqrt(120), rel=1e-15)
    effect, se = proportion_effect(0.62, 400)
    assert (effect, se) == pytest.approx((0.62, math.sqrt(0.62 * 0.38 / 400)), rel=1e-15)
    effect, se = proportion_effect(0.62, 400, scale="logit")
    assert effect == pytest.approx(math.log(0.62 / 0.38), rel=1e-15)
    assert se == pytest.approx(math.sqrt(1 / 248 + 1 / 152), rel=1e-12)  # 1/x + 1/(n−x), x = 248 successes
    # p = 1 out of 20: half a success and half a failure added, p̃ = 20.5 / 21 out of 21 trials
    effect, se = proportion_effect(1.0, 20)
    assert effect == pytest.approx(20.5 / 21) and se == pytest.approx(math.sqrt(20.5 / 21 * 0.5 / 21 / 21))
    effect, se = proportion_effect(0.0, 20, scale="logit")
    assert effect == pytest.approx(math.log(0.5 / 20.5)) and se == pytest.approx(math.sqrt(1 / 0.5 + 1 / 20.5))
    with pytest.raises(MetaAnalysisError, match="zero variance"):
        proportion_effect(1.0, 20, continuity=0)
    assert expit(math.log(3)) == pytest.approx(0.75) and expit(-800.0) == pytest.approx(0.0)


def test_read_reported_converts_each_form():
    table = pd.DataFrame(
        {
            "Study": ["a", "b", "c", "d", "e", "f"],
            "effect": [0.5, 0.6, 0.7, 3.4, None, 0.2],
            "SE": [0.05, None, None, None, None, 0.1],
            "variance": [None, 0.0016, None, None, None, 0.0101],  # f: SE 0.1 vs 0.1005 (agree within 10 %)
            "ci_low": [None, None, 0.6, None, None, None],
            "ci_high": [None, None, 0.8, None, None, None],
            "ci_level": [None, None, 90, None, None, None],
            "sd": [None, None, None, 0.9, None, None],
            "n": [None, None, None, 120, 50, None],
            "accuracy": [None, None, None, None, 0.8, None],
        }
    )
    out = read_reported(table)
    assert list(out["uncertainty_from"]) == ["se", "variance", "ci", "sd_n", "proportion_n", "se"]
    expected_se = [0.05, 0.04, 0.2 / (2 * 1.6448536269514722), 0.9 / math.sqrt(120), math.sqrt(0.8 * 0.2 / 50), 0.1]
    np.testing.assert_allclose(out["se"], expected_se, rtol=1e-12)
    np.testing.assert_allclose(out["variance"], np.square(expected_se), rtol=1e-12)
    assert out.loc[4, "effect"] == pytest.approx(0.8)
    # reading the normalised table again gives it back
    again = read_reported(out)
    pd.testing.assert_frame_equal(
        again[["study", "effect", "se", "variance"]], out[["study", "effect", "se", "variance"]]
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "n": [10, 10]}, "no uncertainty column"),
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "se": [0.1, None]}, r"data row 2 \(study 'b'\): no uncertainty"),
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "se": [0.1, 0.1], "variance": [0.04, None]}, "conflicting"),
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "se": [0.1, 0.1], "sd": [1.0, None]}, "sd needs n"),
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "ci_low": [0.5, 1.5], "ci_high": [1.5, None]}, "both ci_low"),
        ({"study": ["a", "b"], "effect": [1.0, 2.0], "ci_low": [1.2, 1.5], "ci_high": [1.5, 2.5]}, "outside"),
        ({"study": ["a", "b"], "proportion": [85.0, 0.9], "n": [20, 20]}, "percentage"),
        ({"study": ["a", "b"], "proportion": [0.8, 0.9], "se": [0.1, None], "n": [20, 20]}, "proportion and se"),
        ({"study": ["a", "b"], "proportion": [0.8, 0.9]}, "needs n"),
        ({"study": ["a", "a"], "effect": [1.0, 2.0], "se": [0.1, 0.1]}, "repeat the same"),
        ({"study": ["a", ""], "effect": [1.0, 2.0], "se": [0.1, 0.1]}, "study is blank"),
        ({"name": ["a", "b"], "effect": [1.0, 2.0], "se": [0.1, 0.1]}, "no 'study' column"),
        ({"study": ["a", "b"], "effect": [1.0, "high"], "se": [0.1, 0.1]}, "not a number"),
        ({"study": ["a", "b"], "effect": [None, 2.0], "se": [0.1, 0.1]}, "effect is blank"),
    ],
)
def test_unreadable_rows_raise_naming_the_problem(rows, message):
    with pytest.raises(MetaAnalysisError, match=message):
        read_reported(pd.DataFrame(rows))


def test_edge_cases_raise_clearly():
    with pytest.raises(MetaAnalysisError, match="at least 2"):
        meta_analysis(pd.DataFrame({"study": ["a"], "effect": [1.0], "se": [0.1]}))
    with pytest.raises(MetaAnalysisError, match=r"zero variance for 'b'"):
        meta_analysis(pd.DataFrame({"study": ["a", "b", "c"], "effect": [1.0, 2.0, 3.0], "se": [0.1, 0.0, 0.2]}))
    with pytest.raises(MetaAnalysisError, match=r"zero variance for 'b'"):  # sd 0 is a zero variance too
        meta_analysis(pd.DataFrame({"study": ["a", "b"], "effect": [1.0, 2.0], "sd": [1.0, 0.0], "n": [10, 10]}))
    subgroups = pd.DataFrame({"study": list("abc"), "effect": [1.0, 2.0, 3.0], "se": 0.1, "family": list("xxy")})
    with pytest.raises(MetaAnalysisError, match="family = y: 1 study"):
        meta_analysis(subgroups, by="family")
    with pytest.raises(MetaAnalysisError, match="not a column"):
        meta_analysis(subgroups, by="modality")
    with pytest.raises(MetaAnalysisError, match="method must be"):
        meta_analysis(subgroups, method="reml")
    with pytest.raises(MetaAnalysisError, match="2 metrics"):
        meta_analysis(EXAMPLE_CSV)
    with pytest.raises(MetaAnalysisError, match="different scales"):
        meta_analysis(EXAMPLE_CSV, metric="emotion_accuracy", scale="logit")
    with pytest.raises(MetaAnalysisError, match="zero variance"):
        meta_analysis(pd.DataFrame({"study": ["a", "b"], "proportion": [1.0, 0.9], "n": [20, 20]}), continuity=0)


# ---------------------------------------------------------------------------------------------------------------
# The example CSV (for the README), logit scale, outputs
# ---------------------------------------------------------------------------------------------------------------


def test_example_csv_pools_accuracy_by_family():
    table = read_reported(EXAMPLE_CSV)
    assert set(table["uncertainty_from"]) == {"proportion_n", "se", "ci", "variance", "sd_n"}
    assert {"family", "modality"} <= set(table.columns)
    result = meta_analysis(EXAMPLE_CSV, metric="emotion_accuracy", by="family", method="dl")
    accuracy = table[table["metric"] == "emotion_accuracy"]
    expected = hand_pool(accuracy["effect"].to_numpy(), accuracy["variance"].to_numpy(), "dl")
    assert result.overall.effect == pytest.approx(expected["effect"], rel=1e-12)
    assert result.overall.k == 7
    assert [group.group for group in result.subgroups] == ["GAN", "diffusion"]
    gan = accuracy[accuracy["family"] == "GAN"]
    expected_gan = hand_pool(gan["effect"].to_numpy(), gan["variance"].to_numpy(), "dl")
    assert result.subgroups[0].effect == pytest.approx(expected_gan["effect"], rel=1e-12)
    mos = meta_analysis(EXAMPLE_CSV, metric="mos", method="fe")
    assert mos.overall.k == 4 and 3.4 < mos.overall.effect < 4.1
    assert "subgroups by 'family'" in result.summary()


def test_logit_scale_back_transforms():
    table = pd.DataFrame({"study": list("abcd"), "accuracy": [0.62, 0.81, 0.66, 1.0], "n": [400, 250, 300, 20]})
    result = meta_analysis(table, scale="logit", method="dl")
    p = np.array([0.62, 0.81, 0.66, 20.5 / 21])
    n = np.array([400, 250, 300, 21])  # the corrected study counts n + 1 trials
    y, v = np.log(p / (1 - p)), 1 / (n * p * (1 - p))
    expected = hand_pool(y, v, "dl")
    assert result.overall.effect == pytest.approx(expected["effect"], rel=1e-12)
    pooled = result.to_frame().query("row_type == 'pooled'").iloc[0]
    assert pooled["proportion"] == pytest.approx(1 / (1 + math.exp(-expected["effect"])), rel=1e-12)
    assert pooled["proportion_ci_low"] == pytest.approx(expit(expected["ci_low"]), rel=1e-12)
    assert pooled["proportion_pi_high"] == pytest.approx(expit(expected["pi_high"]), rel=1e-12)
    assert any("continuity-corrected" in warning and "'d'" in warning for warning in result.warnings)
    assert "proportion" in result.summary()


def test_write_and_to_dict(tmp_path):
    result = meta_analysis(EXAMPLE_CSV, metric="emotion_accuracy", by="modality")
    paths = result.write(tmp_path, "meta")
    payload = json.loads(paths[1].read_text())
    assert payload["method"] == "dl" and payload["by"] == "modality"
    assert payload["overall"]["k"] == 7 and len(payload["subgroups"]) == 2
    assert payload["subgroup_test"]["df"] == 1
    assert pd.read_csv(paths[0])["row_type"].tolist().count("study") == 7


@pytest.mark.parametrize("suffix", [".png", ".svg"])
@pytest.mark.parametrize("by", [None, "family"])
def test_forest_plot_files(tmp_path, monkeypatch, suffix, by):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # importing pyplot (which may open windows) fails
    result = meta_analysis(EXAMPLE_CSV, metric="emotion_accuracy", by=by)
    path = result.forest_plot(tmp_path / "plots" / f"forest{suffix}")
    assert path.is_file() and path.stat().st_size > 10_000
    data = path.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert b"Example study A (2021) (GAN-1)" in data  # matplotlib keeps each label as a comment by its glyphs


def test_forest_plot_rejects_other_formats(tmp_path):
    result = meta_analysis(kacker_table())
    with pytest.raises(MetaAnalysisError, match=r"\.png or \.svg"):
        result.forest_plot(tmp_path / "forest.pdf")


# ---------------------------------------------------------------------------------------------------------------
# Real data: EmoDB listener recognition rates (Burkhardt et al. 2005)
# ---------------------------------------------------------------------------------------------------------------


def emodb_table(shared_data) -> pd.DataFrame:
    # perception_recognition_pct: % of the 20 listeners who recognised the intended emotion (SOURCE.txt).
    # Each utterance is a "study" (a proportion out of n = 20); the emotion forms the subgroups.
    labels = pd.read_csv(shared_data("speech_emodb") / "labels.csv")
    return pd.DataFrame(
        {
            "study": labels["file"],
            "emotion": labels["emotion"],
            "proportion": labels["perception_recognition_pct"] / 100.0,
            "n": 20,
        }
    )


@pytest.mark.parametrize("scale", ["raw", "logit"])
def test_emodb_recognition_rates_pool_as_by_hand(shared_data, scale):
    table = emodb_table(shared_data)
    result = meta_analysis(table, scale=scale, method="dl", by="emotion")
    p = table["proportion"].to_numpy()
    p = np.where((p == 0) | (p == 1), (p * 20 + 0.5) / 21, p)  # the documented continuity correction
    n = np.where(table["proportion"].isin([0.0, 1.0]), 21, 20)
    if scale == "raw":
        y, v = p, p * (1 - p) / n
    else:
        y, v = np.log(p / (1 - p)), 1 / (n * p * (1 - p))
    expected = hand_pool(y, v, "dl")
    assert result.overall.k == 20
    assert result.overall.effect == pytest.approx(expected["effect"], rel=1e-12)
    assert result.overall.tau2 == pytest.approx(expected["tau2"], rel=1e-10, abs=1e-15)
    assert result.overall.q == pytest.approx(expected["q"], rel=1e-12)
    assert len(result.subgroups) == 7
    anger = next(group for group in result.subgroups if group.group == "anger")
    mask = (table["emotion"] == "anger").to_numpy()
    assert anger.effect == pytest.approx(hand_pool(y[mask], v[mask], "dl")["effect"], rel=1e-12)
    # listeners recognised most utterances (EmoDB kept utterances with >= 80 % recognition)
    pooled = result.overall.effect if scale == "raw" else expit(result.overall.effect)
    assert 0.85 < pooled < 0.97
    if scale == "logit":  # the README's "pooled over 20 utterances (logit, DerSimonian–Laird): 0.890 [0.851, 0.920]"
        back = [expit(result.overall.effect), expit(result.overall.ci_low), expit(result.overall.ci_high)]
        np.testing.assert_allclose(back, [0.890, 0.851, 0.920], rtol=0, atol=0.0005 + 1e-9)
