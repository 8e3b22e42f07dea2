"""CREMA-D's tabulated crowd votes (Cao et al. 2014): our majority labels, agreement and soft labels on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.labels import normalize_label
from emoeval.stats.label_agreement import (
    CREMA_D_VOTE_COLUMNS,
    compare_to_crowd,
    majority_labels,
    soft_labels,
    vote_entropy,
    votes_table,
)

# Cao et al. (2014), abstract: raters recognised the intended emotion in 40.9% (voice), 58.2% (face) and
# 63.6% (audio-visual) of responses.
PUBLISHED_RECOGNITION = {"1": 0.409, "2": 0.582, "3": 0.636}
MODALITY = {"1": "voice", "2": "face", "3": "audio-visual"}


@pytest.fixture
def tabulated(shared_data) -> pd.DataFrame:
    frame = pd.read_csv(shared_data("ratings_cremad") / "tabulatedVotes.csv")
    return frame.rename(columns={frame.columns[0]: "clip_id"})  # 100000 × modality + clip number


@pytest.fixture
def votes(tabulated) -> pd.DataFrame:
    return votes_table(tabulated, columns=CREMA_D_VOTE_COLUMNS, dataset="crema-d", item_column="clip_id")


def test_majority_and_agreement_reproduce_the_datasets_columns(tabulated, votes):
    letter = {normalize_label(code, dataset="crema-d"): column for column, code in CREMA_D_VOTE_COLUMNS.items()}
    table = majority_labels(votes)
    ours = [{letter[label] for label in group} for group in table["tied_labels"]]
    theirs = [set(vote.split(":")) for vote in tabulated["emoVote"]]
    untied = (table["n_tied"] == 1).to_numpy()
    untied_match = np.mean([a == b for a, b, keep in zip(ours, theirs, untied, strict=True) if keep])
    all_match = np.mean([a == b for a, b in zip(ours, theirs, strict=True)])
    print(
        f"\nCREMA-D: {len(votes)} rows, {int(untied.sum())} without a tie; emoVote match: untied {untied_match:.4f}, "
        f"tied sets included {all_match:.4f}"
    )
    assert untied_match == 1.0
    assert all_match == 1.0  # ties too: emoVote lists every tied letter ("A:D")
    np.testing.assert_allclose(table["agreement"], tabulated["agreement"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(table["n_votes"], tabulated["numResponses"])


def test_soft_labels_entropy_and_intended_emotion_on_real_votes(tabulated, votes):
    shares = soft_labels(votes)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    entropy = vote_entropy(votes)
    np.testing.assert_allclose(entropy, stats.entropy(votes.to_numpy(), base=2, axis=1), atol=1e-12)
    intended = tabulated["fileName"].str.split("_").str[2].map(lambda code: normalize_label(code, dataset="crema-d"))
    one_hot = pd.get_dummies(intended).astype(float).set_axis(votes.index)
    modality = votes.index.str[0]
    for code, published in PUBLISHED_RECOGNITION.items():
        rows = modality == code
        result = compare_to_crowd(one_hot[rows], votes[rows], n_boot=200)
        soft = result.value("soft_accuracy")
        print(
            f"{MODALITY[code]:>12}: {int(rows.sum())} clips, mean vote entropy {entropy[rows].mean():.3f} bits, "
            f"intended = plurality {result.value('accuracy'):.3f} (untied {result.value('accuracy_untied'):.3f}), "
            f"share of raters choosing the intended emotion {soft:.3f} (published {published:.3f})"
        )
        # The paper counts responses, we average clips, and its response set was filtered differently.
        assert soft == pytest.approx(published, abs=0.015)
        assert result.warnings and "tied plurality" in result.warnings[0]
