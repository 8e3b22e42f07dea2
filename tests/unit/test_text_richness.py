"""text_richness and its maths: HD-D against scipy's hypergeometric distribution and a brute-force enumeration of
every sample, its independence of text length, the emotion-word density, the metric's per-emotion values against a
direct computation, its reference sources, and the conformance kit."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.errors import RunConfigError
from emoeval.functional.lexical_richness import (
    emotion_vocabulary_density,
    hdd,
    lexical_richness,
    prob_drawn,
    token_counts,
)


def scipy_hdd(tokens: list[str], n: int, keep=lambda t: True) -> float:
    counts = Counter(tokens)
    total = len(tokens)
    return sum(1 - stats.hypergeom(total, f, n).pmf(0) for t, f in counts.items() if keep(t)) / n


def test_hdd_is_the_mean_type_token_ratio_over_every_sample_of_n_tokens():
    tokens = ["a", "a", "a", "b", "b", "c", "d", "a"]
    n = 3
    ratios = [len(set(sample)) / n for sample in itertools.combinations(tokens, n)]  # positions: all C(8, 3) draws
    assert hdd(Counter(tokens), n) == pytest.approx(np.mean(ratios), abs=1e-12)


def test_hdd_equals_scipy_hypergeom_on_a_zipf_corpus():
    rng = np.random.default_rng(3)
    tokens = [f"w{k}" for k in rng.zipf(1.6, size=700)]
    assert hdd(Counter(tokens), 42) == pytest.approx(scipy_hdd(tokens, 42), rel=1e-10)
    np.testing.assert_allclose(
        prob_drawn(np.array([1, 5, 690]), 700, 42), [1 - stats.hypergeom(700, f, 42).pmf(0) for f in (1, 5, 690)]
    )


def test_hdd_does_not_fall_with_text_length_as_the_type_token_ratio_does():
    rng = np.random.default_rng(5)
    source = [f"w{k}" for k in rng.zipf(1.5, size=20000)]
    short, long = source[:400], source
    assert len(set(long)) / len(long) < 0.5 * len(set(short)) / len(short)  # TTR collapses with length
    assert hdd(Counter(long), 42) == pytest.approx(hdd(Counter(short), 42), abs=0.03)


def test_too_few_tokens_give_nan_and_bad_arguments_raise():
    assert math.isnan(hdd(Counter({"a": 3}), 42))
    with pytest.raises(ValueError, match="sample_size"):
        hdd(Counter({"a": 3}), 0)
    with pytest.raises(ValueError, match="weights"):
        token_counts([["a"]], [0.5])


def test_weights_count_a_response_as_copies():
    replies = [["i", "see"], ["that's", "so", "sad"], ["okay"]]
    copied = [replies[0], replies[1], replies[1], replies[1]]
    assert token_counts(replies, [1, 3, 0]) == token_counts(copied)
    assert lexical_richness(replies * 10, 5, weights=[1, 3, 0] * 10) == pytest.approx(lexical_richness(copied * 10, 5))


def test_emotion_vocabulary_density_counts_only_emotion_types():
    rng = np.random.default_rng(2)
    words = ["happy", "sad", "angry", "the", "a", "we", "go", "home", "joy"]
    tokens = list(rng.choice(words, size=300))
    emotional = {"happy", "sad", "angry", "joy"}
    replies = [tokens[i : i + 6] for i in range(0, 300, 6)]
    assert emotion_vocabulary_density(replies, emotional, 42) == pytest.approx(
        scipy_hdd(tokens, 42, keep=emotional.__contains__), rel=1e-10
    )
    assert emotion_vocabulary_density(replies, lambda word: word in emotional, 42) == pytest.approx(
        emotion_vocabulary_density(replies, emotional, 42)
    )
    assert emotion_vocabulary_density([["i", "see"]] * 30, emotional, 42) == 0.0


# -- the metric -------------------------------------------------------------------------------------------------------

HUMAN = {
    "happy": [
        "That's wonderful news, I'm thrilled for you!",
        "Oh wow, congratulations, you totally earned it.",
        "Yay! Let's celebrate tonight with cake.",
        "This is the best surprise party ever.",
        "I love it, thank you so much!",
        "Great, now we can finally relax at the beach.",
    ],
    "sad": [
        "I'm so sorry, losing her must hurt terribly.",
        "That's heartbreaking. Do you want to talk?",
        "I miss him every single day.",
        "It feels lonely here since everyone left.",
        "I cried all night after the funeral.",
        "Nothing seems right anymore, honestly.",
    ],
}
STOCK = ["I see.", "Okay.", "That's interesting.", "Right."]


def dialogue_frame() -> pd.DataFrame:
    rows = []
    for emotion, replies in HUMAN.items():
        for i, reply in enumerate(replies):
            group = f"{emotion}{i}"
            for system, text in (("human", reply), ("generic", STOCK[i % 4]), ("copy", reply)):
                rows.append({"sample_id": f"{system}/{group}", "system": system, "modality": "text", "text": text,
                             "target_emotion": emotion, "reference": reply, "group": group})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def pool(offline_model_pool):
    """The session's offline model pool (conftest.py): the models this module shares with others load once."""
    return offline_model_pool


def score(frame, metric, pool):
    import emoeval

    return emoeval.score(
        frame, metrics=[metric], progress=False, use_cache=False, n_bootstrap=50, model_pool=pool
    ).table


def system_values(table, system, emotion=None):
    rows = table[(table["scope"] == "system") & (table["system"] == system)]
    rows = rows[rows["target_emotion"].isna()] if emotion is None else rows[rows["target_emotion"] == emotion]
    return rows.set_index("sub_metric")["value"]


def test_values_equal_a_direct_per_emotion_computation(pool):
    from emoeval.functional.text import tokenize
    from emoeval.metrics.text.richness import TextRichness
    from emoeval.reference_models.text_emotion import NRC_CATEGORIES, NRC_FILE, ZERO_SHOT_CARD, nrc_lookup, read_nrc

    lexicon = read_nrc(pool.store.resolve(ZERO_SHOT_CARD, NRC_FILE).path)

    def emotional(word):
        return bool(nrc_lookup(word, lexicon) & set(NRC_CATEGORIES.values()))

    frame = dialogue_frame()
    n = 8
    table = score(frame, TextRichness(real_system="human", sample_size=n, by_emotion=True), pool)
    assert set(table["system"]) == {"generic", "copy"}  # the reference system is not scored
    for system in ("generic", "copy"):
        ratios, vocab = [], []
        for emotion in HUMAN:
            own = frame[(frame["system"] == system) & (frame["target_emotion"] == emotion)]["text"]
            ref = frame[(frame["system"] == "human") & (frame["target_emotion"] == emotion)]["text"]
            own_tokens = [t for text in own for t in tokenize(text)]
            ref_tokens = [t for text in ref for t in tokenize(text)]
            ratio = scipy_hdd(own_tokens, n) / scipy_hdd(ref_tokens, n)
            ref_vocab = scipy_hdd(ref_tokens, n, emotional)
            vocab.append(scipy_hdd(own_tokens, n, emotional) / ref_vocab)
            ratios.append(ratio)
            per_emotion = system_values(table, system, emotion)
            assert per_emotion["lexical_richness_ratio"] == pytest.approx(ratio, rel=1e-9)
        overall = system_values(table, system)
        assert overall["lexical_richness_ratio"] == pytest.approx(np.mean(ratios), rel=1e-9)
        assert overall["emotion_vocabulary_ratio"] == pytest.approx(np.mean(vocab), rel=1e-9)
    copy = system_values(table, "copy")
    np.testing.assert_allclose(copy[["lexical_richness_ratio", "emotion_vocabulary_ratio"]], 1.0, rtol=1e-12)
    generic = system_values(table, "generic")
    assert generic["lexical_richness_ratio"] < 0.8 and generic["emotion_vocabulary_ratio"] == 0.0


def test_sample_references_count_each_items_reply_once(pool):
    from emoeval.metrics.text.richness import TextRichness

    frame = dialogue_frame()
    from_samples = score(frame, TextRichness(sample_references=True, sample_size=8), pool)
    # the human system against the samples' references (its own replies, once each) is exactly 1
    np.testing.assert_allclose(system_values(from_samples, "human")[["lexical_richness_ratio"]], 1.0, rtol=1e-12)
    from_system = score(frame, TextRichness(real_system="human", sample_size=8), pool)
    a, b = system_values(from_samples, "generic"), system_values(from_system, "generic")
    assert np.isfinite(b).all()
    np.testing.assert_allclose(a[b.index], b, rtol=1e-12)


def test_a_reference_file_without_emotions_is_compared_whole(pool, tmp_path):
    from emoeval.functional.text import tokenize
    from emoeval.metrics.text.richness import TextRichness

    replies = [reply for texts in HUMAN.values() for reply in texts]
    (tmp_path / "human.txt").write_text("\n".join(replies) + "\n", encoding="utf-8")
    frame = dialogue_frame()
    table = score(frame[frame["system"] == "generic"], TextRichness(real=tmp_path / "human.txt", sample_size=8), pool)
    own = [t for text in frame[frame["system"] == "generic"]["text"] for t in tokenize(text)]
    ref = [t for text in replies for t in tokenize(text)]
    expected = scipy_hdd(own, 8) / scipy_hdd(ref, 8)
    assert system_values(table, "generic")["lexical_richness_ratio"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "params", [{}, {"real": "x.txt", "real_system": "human"}, {"real_system": "human", "sample_references": True}]
)
def test_exactly_one_reference_source(params):
    from emoeval.metrics.text.richness import TextRichness

    with pytest.raises(RunConfigError, match="exactly one"):
        TextRichness(**params)


def test_a_reference_with_too_few_words_is_a_config_error(pool):
    from emoeval.metrics.text.richness import TextRichness

    with pytest.raises(RunConfigError, match="at least sample_size"):
        score(dialogue_frame(), TextRichness(real_system="generic", sample_size=42), pool)


def test_text_richness_passes_check_metric(demo_dir, pool):
    from emoeval.metrics.text.richness import TextRichness
    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    samples = sorted(
        (s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "text"),
        key=lambda s: s.system == "varied_responder",
    )
    report = check_metric(
        TextRichness,
        samples,
        params={"real_system": "varied_responder", "sample_size": 8},
        alternatives={"sample_size": 12, "real_system": "generic_responder"},
        model_pool=pool,
    )
    assert not report.failures
