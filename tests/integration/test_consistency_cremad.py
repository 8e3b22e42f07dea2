"""Multimodal consistency statistics on real crowd labels: CREMA-D's face-only and voice-only votes.

CREMA-D (Cao et al. 2014; ``../shared/data/ratings_cremad``, ODbL) had each of 7,442 clips rated by the crowd
three ways: video without audio (face only), audio only (voice only) and audio-visual. The vote counts per clip
(A, D, F, H, N, S) are two "recognizers" of one bundle — the face and the voice of the same performance — so the
consistency statistics of :mod:`emoeval.functional.consistency` (top-label agreement rate, JS divergence between
the vote distributions, the face-vs-voice confusion, the not-scorable rule) are checked here against a direct
pandas/numpy/scipy/scikit-learn computation on all clips. The numbers are printed (run with ``-s``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emoeval.functional.consistency import (
    agreement_rate,
    compare_pair,
    shared_vocabulary,
    target_agreement,
)
from emoeval.functional.emotion import confusion_counts
from emoeval.labels import normalize_label

pytestmark = [pytest.mark.integration, pytest.mark.shared_data]

CODES = ("A", "D", "F", "H", "N", "S")
#: the vote columns in emoeval's vocabulary (through the CREMA-D label set: ANG DIS FEA HAP NEU SAD)
LABELS = tuple(normalize_label(code, "crema-d") for code in ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD"))
#: query types of tabulatedVotes.csv (its first column is 100000 * queryType + clipNum)
VOICE, FACE, AUDIOVISUAL = 1, 2, 3


@pytest.fixture
def votes(shared_data) -> dict[int, pd.DataFrame]:
    root = shared_data("ratings_cremad")
    table = pd.read_csv(root / "tabulatedVotes.csv")
    table["query"] = table.iloc[:, 0] // 100000
    by_query = {q: table[table["query"] == q].set_index("fileName") for q in (VOICE, FACE, AUDIOVISUAL)}
    # clips every presentation has votes for, in one order
    clips = by_query[VOICE].index
    for q in (FACE, AUDIOVISUAL):
        clips = clips.intersection(by_query[q].index)
    counts = {q: frame.loc[sorted(clips), list(CODES)].astype(float) for q, frame in by_query.items()}
    voted = np.logical_and.reduce([frame.sum(axis=1).to_numpy() > 0 for frame in counts.values()])
    return {q: frame[voted] for q, frame in counts.items()}


def _direct(face: np.ndarray, voice: np.ndarray) -> dict[str, float]:
    """The statistics computed directly: argmax agreement, scipy's JS distance squared, sklearn's confusion."""
    from scipy.spatial.distance import jensenshannon
    from sklearn.metrics import confusion_matrix

    top_face, top_voice = face.argmax(axis=1), voice.argmax(axis=1)
    js = jensenshannon(face, voice, base=2, axis=1) ** 2
    return {
        "agreement": float(np.mean(top_face == top_voice)),
        "mean_js": float(np.mean(js)),
        "confusion": confusion_matrix(top_face, top_voice, labels=range(len(LABELS))),
        "js": js,
    }


def test_face_vs_voice_agreement_js_and_confusion_match_a_direct_computation(votes, readme_says):
    face = votes[FACE].to_numpy() / votes[FACE].to_numpy().sum(axis=1, keepdims=True)
    voice = votes[VOICE].to_numpy() / votes[VOICE].to_numpy().sum(axis=1, keepdims=True)
    pairs = [compare_pair(p, LABELS, q, LABELS) for p, q in zip(face, voice, strict=True)]
    assert all(pair.scorable for pair in pairs)  # same six labels, all mass shared
    agree, n = agreement_rate([pair.agree for pair in pairs])
    ours_js = np.array([pair.js for pair in pairs])
    ours_confusion = confusion_counts([p.top_a for p in pairs], [p.top_b for p in pairs], LABELS)
    direct = _direct(face, voice)
    print(
        f"\nCREMA-D face-only vs voice-only, {n} clips: top-label agreement {agree / n:.4f} "
        f"(direct {direct['agreement']:.4f}); mean JS {ours_js.mean():.4f} (direct {direct['mean_js']:.4f})"
    )
    print(pd.DataFrame(ours_confusion, index=[f"face={x}" for x in LABELS], columns=LABELS).to_string())
    assert n == len(face)
    assert agree / n == pytest.approx(direct["agreement"], abs=1e-12)
    np.testing.assert_allclose(ours_js, direct["js"], atol=1e-10)
    np.testing.assert_array_equal(ours_confusion, direct["confusion"])
    assert np.trace(ours_confusion) == agree
    readme_says("agree for 50.8 % of 7,442 clips", f"agree for {100 * agree / n:.1f} % of {n:,} clips")


def test_target_agreement_against_the_intended_emotion(votes):
    """Each presentation's crowd top label vs the emotion the actor was asked for (third field of the clip name)."""
    intended = [normalize_label(name.split("_")[2], "crema-d") for name in votes[FACE].index]
    rates = {}
    for query, name in ((FACE, "face"), (VOICE, "voice"), (AUDIOVISUAL, "audio-visual")):
        counts = votes[query].to_numpy()
        ours = [target_agreement(row, LABELS, target) for row, target in zip(counts, intended, strict=True)]
        direct = np.array(LABELS)[counts.argmax(axis=1)] == np.array(intended)
        assert ours == direct.tolist()
        rates[name] = float(direct.mean())
    print(f"\nCREMA-D crowd top label = intended emotion: {rates}")
    # the audio-visual presentation carries both cues: the crowd recognizes the intended emotion best there
    assert rates["audio-visual"] > max(rates["face"], rates["voice"])


def test_not_scorable_pairs_against_a_direct_computation(votes):
    """A voice "recognizer" that can only say IEMOCAP's four labels: pairs whose face top label is fear or disgust
    (or with < 0.5 of either vote share on the four) are not scorable, never disagreements."""
    four = ("neutral", "angry", "happy", "sad")
    face = votes[FACE].to_numpy()
    voice = votes[VOICE].to_numpy()
    keep = [LABELS.index(label) for label in four]
    voice_four = voice[:, keep]
    has_votes = voice_four.sum(axis=1) > 0
    face, voice_four = face[has_votes], voice_four[has_votes]
    pairs = [compare_pair(p, LABELS, q, four) for p, q in zip(face, voice_four, strict=True)]

    shared = [LABELS.index(label) for label in shared_vocabulary(LABELS, four)]
    face_share = face / face.sum(axis=1, keepdims=True)
    face_top_inside = np.isin(face.argmax(axis=1), shared)
    mass_inside = face_share[:, shared].sum(axis=1) >= 0.5
    scorable = face_top_inside & mass_inside  # the voice side is all on the four labels
    assert [pair.scorable for pair in pairs] == scorable.tolist()
    top_face = np.array(LABELS)[face.argmax(axis=1)]
    top_voice = np.array(four)[voice_four.argmax(axis=1)]
    direct_agreement = float(np.mean(top_face[scorable] == top_voice[scorable]))
    agree, n = agreement_rate([pair.agree for pair in pairs])
    print(f"\nfour-label voice: {n} of {len(pairs)} pairs scorable, agreement {agree / n:.4f}")
    assert n == int(scorable.sum()) and agree / n == pytest.approx(direct_agreement, abs=1e-12)
