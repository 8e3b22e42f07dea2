"""aggregate + compare on real human perception data: EmoDB's listening-test recognition rates.

EmoDB (Burkhardt et al. 2005) reports, for every utterance, the share of 20 listeners who recognised the
intended emotion (``perception_recognition_pct``, 0–100). Treating each emotion as a "system" and the
sentence spoken by one speaker (speaker × ``text_id``) as the group that pairs them, the shared subset has
3 groups: speaker 11 / a02, speaker 13 / a01 and speaker 13 / a02. Fear lacks 11/a02 and sadness lacks
13/a01 (different sample sets), and disgust has two takes of 13/a01 (a repeated group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emoeval.results import results_frame
from emoeval.stats.aggregate import aggregate, t_interval_mean
from emoeval.stats.compare import compare_systems


@pytest.fixture
def emodb_results(shared_data) -> pd.DataFrame:
    labels = pd.read_csv(shared_data("speech_emodb") / "labels.csv")
    rows = []
    for record in labels.to_dict(orient="records"):
        for sub_metric in ("recognition_pct", "naturalness_pct"):
            rows.append(
                {
                    "run_id": "emodb-perception",
                    "system": record["emotion"],
                    "scope": "sample",
                    "statistic": "value",
                    "sample_id": record["file"],
                    "group": f"{record['speaker']}/{record['text_id']}",
                    "target_emotion": record["emotion"],
                    "metric": "perception",
                    "sub_metric": sub_metric,
                    "value": record[f"perception_{sub_metric}"],
                    "higher_is_better": True,
                }
            )
    return results_frame(rows)


@pytest.mark.parametrize("method", ["percentile", "BCa", "t"])
def test_aggregate_recognition_rates_stay_on_the_percent_scale(emodb_results, method):
    result = aggregate(emodb_results, metrics=["perception"], method=method, scale=(0.0, 100.0), n_resamples=4000)
    table = result.to_frame()
    print(f"\n{result.summary()}")
    assert len(table) == 14  # 7 emotions x 2 sub-metrics
    finite = table.dropna(subset=["ci_low", "ci_high"])
    assert len(finite) == 14
    assert (finite["ci_low"] >= 0).all() and (finite["ci_high"] <= 100).all()
    disgust = table[(table["system"] == "disgust") & (table["sub_metric"] == "recognition_pct")].iloc[0]
    assert bool(disgust["clustered"]) and disgust["n"] == 4 and disgust["n_clusters"] == 3  # two takes of 13/a01
    assert table.loc[table["system"] != "disgust", "clustered"].eq(False).all()
    # Both sadness takes were judged natural by 85 % of listeners: a zero-width interval, said out loud.
    assert any("system=sadness" in w and "naturalness_pct" in w and "equal" in w for w in result.warnings)


def test_plain_t_leaves_the_scale_where_the_logit_t_does_not(emodb_results):
    recognised = emodb_results[emodb_results["sub_metric"] == "recognition_pct"]
    anger = recognised.loc[recognised["system"] == "anger", "value"].to_numpy()
    plain, logit = t_interval_mean(anger), t_interval_mean(anger, scale=(0.0, 100.0))
    print(
        f"\nanger {anger}: plain t [{plain.ci_low:.1f}, {plain.ci_high:.1f}], logit t [{logit.ci_low:.1f}, "
        f"{logit.ci_high:.1f}]"
    )
    assert list(np.sort(anger)) == [95.0, 100.0, 100.0]
    assert plain.ci_high > 100.0  # 98.3 + t(2)·1.67 = 105.5: more than 100 % of listeners
    assert 0.0 < logit.ci_low < logit.value < logit.ci_high < 100.0


@pytest.mark.parametrize("test", ["permutation", "bootstrap", "wilcoxon"])
def test_compare_emotions_on_shared_sentences(emodb_results, test):
    result = compare_systems(
        emodb_results, metric="perception", sub_metric="recognition_pct", test=test, n_resamples=4000
    )
    print(f"\n{result.summary()}")
    frame = result.to_frame()
    assert len(frame) == 21  # 7 emotions, all pairs
    unpaired = [warning for warning in result.warnings if "different sample sets" in warning]
    # Every pair involving fear or sadness, and no other, is on different sample sets (6 + 6 - 1 pairs).
    assert len(unpaired) == 11
    assert all("'fear'" in warning or "'sadness'" in warning for warning in unpaired)
    fear_sadness = frame[frame[["system_a", "system_b"]].isin(["fear", "sadness"]).all(axis=1)].iloc[0]
    assert fear_sadness["n_pairs"] == 1 and np.isnan(fear_sadness["p_value"])  # only 13/a02 in common
    tested = frame.dropna(subset=["p_value"])
    assert tested["n_pairs"].max() == 3
    # With at most 3 pairs, the exact sign-flip p cannot go below 2/2³ = 0.25: nothing separates.
    assert (tested["p_permutation"] >= 0.25 - 1e-12).all() and tested["permutation_exact"].all()
    few = [warning for warning in result.warnings if "fewer than 10 groups" in warning]
    assert len(few) == 1 and "20 pair(s)" in few[0]
    if test == "bootstrap":
        # The paired bootstrap alone would give 2–3 differences of one sign p = 1/(B + 1) although the exact test
        # says p >= 0.25; below 10 pairs it reports no p and the exact permutation p decides instead.
        assert tested["p_bootstrap"].isna().all() and (tested["p_value_test"] == "permutation").all()
        assert (tested["p_value"] == tested["p_permutation"]).all()
        assert "judged by the exact permutation p instead" in few[0]
    assert not frame["significant"].any()
    assert result.clusters is not None and len(result.clusters) == 1 and len(result.clusters[0]) == 7
    assert any("held several samples" in warning for warning in result.warnings)  # disgust, 13/a01
