"""Crowd-vote statistics and recognizer-vs-crowd agreement against scipy, statsmodels and hand counts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from emoeval.errors import UnknownLabelError
from emoeval.stats.label_agreement import (
    CREMA_D_VOTE_COLUMNS,
    compare_to_crowd,
    majority_labels,
    soft_labels,
    vote_entropy,
    votes_table,
    wilson_interval,
)
from emoeval.stats.reliability import StatsError


@pytest.fixture
def cremad_like() -> pd.DataFrame:
    """Rows shaped like CREMA-D's tabulatedVotes.csv (letter columns, id column, extra columns)."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "A": [0, 5, 2, 0, 3],
            "D": [0, 5, 0, 1, 0],
            "F": [0, 0, 0, 0, 3],
            "H": [1, 0, 6, 0, 0],
            "N": [10, 1, 2, 9, 3],
            "S": [0, 1, 0, 0, 0],
            "fileName": ["f1", "f2", "f3", "f4", "f5"],
        }
    )


@pytest.fixture
def votes(cremad_like) -> pd.DataFrame:
    return votes_table(cremad_like, columns=CREMA_D_VOTE_COLUMNS, dataset="crema-d", item_column="id")


def test_votes_table_maps_codes_orders_labels_and_uses_the_item_column(votes):
    assert list(votes.columns) == ["neutral", "happy", "sad", "angry", "fear", "disgust"]  # vocabulary order
    assert list(votes.index) == ["1", "2", "3", "4", "5"] and votes.index.name == "item"
    assert votes.loc["2", "angry"] == 5 and votes.loc["2", "disgust"] == 5


def test_votes_table_sums_columns_that_share_a_label():
    frame = pd.DataFrame({"neu": [1, 0], "hap": [2, 1], "exc": [3, 4]}, index=["u1", "u2"])
    table = votes_table(frame, dataset="iemocap")
    assert list(table.columns) == ["neutral", "happy"]
    assert list(table["happy"]) == [5, 5]


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "message"),
    [
        (pd.DataFrame({"A": [1], "fileName": ["x"]}), {}, UnknownLabelError, "columns="),
        (pd.DataFrame({"angry": [1]}), {"columns": ["sad"]}, StatsError, "not in the table"),
        (pd.DataFrame({"angry": [1, -1], "sad": [0, 3]}), {}, StatsError, "negative"),
        (pd.DataFrame({"angry": [1, 0], "sad": [0, 0]}), {}, StatsError, "no votes"),
        (pd.DataFrame({"angry": [1, np.nan], "sad": [0, 1]}), {}, StatsError, "use 0"),
        (pd.DataFrame({"angry": ["many", "1"]}), {}, StatsError, "numbers"),
        (pd.DataFrame({"angry": [1, 2]}, index=["a", "a"]), {}, StatsError, "repeat"),
    ],
)
def test_votes_table_refuses_bad_tables(frame, kwargs, error, message):
    with pytest.raises(error, match=message):
        votes_table(frame, **kwargs)


def test_soft_labels_are_row_shares(votes):
    shares = soft_labels(votes)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["1", "neutral"] == pytest.approx(10 / 11)
    # A frame named by plain English labels works directly.
    plain = pd.DataFrame({"anger": [1, 3], "joy": [3, 1]})
    assert soft_labels(plain).loc["0", "happy"] == pytest.approx(0.75)


def test_majority_labels_and_tie_rules(votes):
    table = majority_labels(votes)
    assert table.loc["1", "majority"] == "neutral"
    assert table.loc["2", "majority"] == "angry:disgust" and table.loc["2", "n_tied"] == 2
    assert table.loc["5", "tied_labels"] == ("neutral", "angry", "fear")
    assert table.loc["2", "agreement"] == pytest.approx(5 / 12)
    assert majority_labels(votes, ties="first").loc["5", "majority"] == "neutral"
    assert pd.isna(majority_labels(votes, ties="none").loc["2", "majority"])
    assert majority_labels(votes, ties="none").loc["3", "majority"] == "happy"
    random_a = majority_labels(votes, ties="random", seed=1)["majority"]
    random_b = majority_labels(votes, ties="random", seed=1)["majority"]
    assert random_a.equals(random_b)
    assert random_a.loc["5"] in ("neutral", "angry", "fear")
    with pytest.raises(StatsError, match="tie rule"):
        majority_labels(votes, ties="coin")


def test_vote_entropy_matches_scipy(votes):
    counts = votes.to_numpy(dtype=float)
    for base in (2, math.e):
        ours = vote_entropy(votes, base=base).to_numpy()
        np.testing.assert_allclose(ours, stats.entropy(counts, base=base, axis=1), rtol=1e-12, atol=1e-15)
    normalized = vote_entropy(votes, normalized=True)
    np.testing.assert_allclose(normalized, stats.entropy(counts, axis=1) / np.log(6), rtol=1e-12)
    assert vote_entropy(pd.DataFrame({"sad": [4], "happy": [0]})).iloc[0] == 0.0


@pytest.fixture
def predicted(votes) -> pd.DataFrame:
    """A recognizer without 'disgust' that outputs a 'surprise' class the crowd could not choose."""
    rng = np.random.default_rng(0)
    labels = ["neutral", "happy", "sad", "angry", "fear", "surprise"]
    probs = rng.dirichlet(np.ones(len(labels)), size=len(votes))
    probs[0] = [0.7, 0.1, 0.05, 0.05, 0.05, 0.05]  # item 1: right (neutral)
    probs[1] = [0.1, 0.0, 0.0, 0.8, 0.05, 0.05]  # item 2: angry, one of the tied labels
    return pd.DataFrame(probs, index=votes.index, columns=labels)


def test_compare_to_crowd_divergences_match_scipy(votes, predicted):
    eps = 1e-6
    result = compare_to_crowd(predicted, votes, epsilon=eps, n_boot=200)
    labels = result.labels
    assert labels == ["neutral", "happy", "sad", "angry", "fear", "disgust", "surprise"]
    p = votes.reindex(columns=labels, fill_value=0).to_numpy(dtype=float)
    p /= p.sum(axis=1, keepdims=True)
    q = predicted.reindex(columns=labels, fill_value=0).to_numpy()
    smoothed = (q + eps) / (1 + len(labels) * eps)
    items = result.per_item
    for i in range(len(p)):
        kl = stats.entropy(p[i], smoothed[i])
        assert items["kl_divergence"].iloc[i] == pytest.approx(kl, rel=1e-10)
        assert items["cross_entropy"].iloc[i] == pytest.approx(stats.entropy(p[i]) + kl, rel=1e-10)
        assert items["cross_entropy"].iloc[i] == pytest.approx(-np.sum(p[i] * np.log(smoothed[i])), rel=1e-10)
        assert items["js_divergence"].iloc[i] == pytest.approx(jensenshannon(p[i], q[i], base=2) ** 2, rel=1e-9)
    assert result.value("kl_divergence") == pytest.approx(items["kl_divergence"].mean())
    in_bits = compare_to_crowd(predicted, votes, epsilon=eps, base=2, n_boot=0)
    assert in_bits.value("kl_divergence") == pytest.approx(result.value("kl_divergence") / math.log(2))


def test_compare_to_crowd_accuracy_topk_and_recall_by_hand(votes, predicted):
    result = compare_to_crowd(predicted, votes, top_k=(2, 3), n_boot=0)
    tied = majority_labels(votes)["tied_labels"]
    order = np.argsort(-predicted.to_numpy(), axis=1, kind="stable")
    names = np.asarray(predicted.columns)
    top1 = names[order[:, 0]]
    correct = [label in group for label, group in zip(top1, tied, strict=True)]
    assert result.value("accuracy") == pytest.approx(np.mean(correct))
    assert result.per_item["correct"].iloc[:2].tolist() == [True, True]  # item 2: a tie, the prediction is in it
    probs = predicted.to_numpy()
    for k in (2, 3):
        hits = [
            any(names[j] in group and probs[i, j] > 0 for j in row[:k])
            for i, (row, group) in enumerate(zip(order, tied, strict=True))
        ]
        assert result.value(f"top{k}_accuracy") == pytest.approx(np.mean(hits))
    untied = [len(group) == 1 for group in tied]
    assert result.value("accuracy_untied") == pytest.approx(np.mean(np.array(correct)[untied]))
    shares = soft_labels(votes)
    soft = [shares.loc[item].get(label, 0.0) for item, label in zip(votes.index, top1, strict=True)]
    assert result.value("soft_accuracy") == pytest.approx(np.mean(soft))
    recall = result.per_label.set_index("label")
    neutral_items = [i for i, group in enumerate(tied) if group == ("neutral",)]
    assert recall.loc["neutral", "n_items"] == len(neutral_items)
    assert recall.loc["neutral", "recall"] == pytest.approx(np.mean([top1[i] == "neutral" for i in neutral_items]))
    assert not recall.loc["disgust", "model_can_output"]
    frame = result.to_frame()
    assert {"accuracy", "recall"} <= set(frame["metric"])
    assert "Recognizer vs crowd" in result.summary()


def test_labels_the_recognizer_cannot_output_are_reported_not_dropped(votes, predicted):
    result = compare_to_crowd(predicted, votes, n_boot=0)
    assert result.missing_from_model == {"disgust": 6.0}
    assert any("cannot output 'disgust': 6 crowd votes and 1 items" in warning for warning in result.warnings)
    assert any("could not choose surprise" in warning for warning in result.warnings)
    assert "disgust" in result.labels
    # An item whose only plurality label is one the model lacks always counts as wrong.
    only_disgust = pd.DataFrame({"disgust": [5], "sad": [1]}, index=["x"])
    single = compare_to_crowd(predicted.iloc[:1].set_axis(["x"]), only_disgust, n_boot=0)
    assert single.value("accuracy") == 0.0
    # Labels: neutral, happy, sad, angry, fear, disgust, surprise; the model's disgust mass is 0 → ε.
    crowd = np.array([0, 0, 1 / 6, 0, 0, 5 / 6, 0])
    model = (np.array([0.7, 0.1, 0.05, 0.05, 0.05, 0.0, 0.05]) + 1e-6) / (1 + 7e-6)
    assert single.value("kl_divergence") == pytest.approx(stats.entropy(crowd, model), rel=1e-10)


def test_compare_to_crowd_bootstrap_interval_agrees_with_scipy(votes):
    rng = np.random.default_rng(5)
    many = pd.DataFrame(rng.integers(0, 6, size=(300, 4)) + 1, columns=["neutral", "happy", "sad", "angry"])
    guess = pd.DataFrame(rng.dirichlet(np.ones(4), size=300), columns=many.columns)
    result = compare_to_crowd(guess, many, n_boot=4000, seed=1)
    row = result.metrics.set_index("metric").loc["js_divergence"]
    values = result.per_item["js_divergence"].to_numpy()
    reference = stats.bootstrap(
        (values,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(2)
    ).confidence_interval
    assert row["ci_low"] == pytest.approx(reference.low, abs=0.004)
    assert row["ci_high"] == pytest.approx(reference.high, abs=0.004)
    again = compare_to_crowd(guess, many, n_boot=4000, seed=1).metrics
    assert again.equals(result.metrics)


def test_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for hits, n in [(0, 10), (7, 10), (45, 50), (10, 10)]:
        low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
        ours = wilson_interval(hits, n, confidence=0.95)
        assert ours == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))


def test_compare_to_crowd_reports_mismatched_items_and_renormalises(votes, predicted):
    partial = predicted.iloc[:3] * 2.0
    partial.loc["extra"] = [0.5, 0.5, 0, 0, 0, 0]
    result = compare_to_crowd(partial, votes, n_boot=0)
    assert result.metrics["n"].max() == 3
    assert any("2 of 5 voted items have no prediction" in warning for warning in result.warnings)
    assert any("1 predicted items have no votes" in warning for warning in result.warnings)
    assert any("renormalised" in warning for warning in result.warnings)
    with pytest.raises(StatsError, match="no item appears in both"):
        compare_to_crowd(predicted.set_axis([f"z{i}" for i in range(5)]), votes)
    with pytest.raises(StatsError, match="epsilon"):
        compare_to_crowd(predicted, votes, epsilon=0)
    with pytest.raises(UnknownLabelError):
        compare_to_crowd(predicted.rename(columns={"fear": "scared"}), votes)


def test_top_k_ignores_labels_with_zero_probability(votes):
    one_hot = pd.DataFrame(0.0, index=votes.index, columns=["neutral", "happy", "angry"])
    one_hot["happy"] = 1.0  # wrong for item 1 (neutral); a zero-probability 'neutral' must not rescue top-2
    result = compare_to_crowd(one_hot, votes, top_k=(2,), n_boot=0)
    assert result.value("top2_accuracy") == result.value("accuracy")
