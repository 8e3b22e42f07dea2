"""The pure functions behind the metrics, against independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import distance

from emoeval.metrics.similarity import cosine_similarity, euclidean_distance
from emoeval.metrics.text.diversity import DistinctN, distinct_n, tokenize
from emoeval.samples import Sample


def test_cosine_and_euclidean_match_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.normal(size=128), rng.normal(size=128)
        assert cosine_similarity(a, b) == pytest.approx(1.0 - distance.cosine(a, b), abs=1e-12)
        assert euclidean_distance(a, b) == pytest.approx(distance.euclidean(a, b), abs=1e-12)
    assert cosine_similarity(np.ones(3), np.ones(3)) == 1.0
    with pytest.raises(ValueError, match="zero vector"):
        cosine_similarity(np.zeros(3), np.ones(3))


def _reference_distinct(texts: list[str], n: int) -> float:
    """Straightforward re-implementation: all n-grams of each response, pooled."""
    grams = []
    for text in texts:
        words = text.lower().split()
        grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams)


def test_distinct_n_matches_a_direct_count():
    texts = ["i see what you mean", "i see", "what do you mean by that", "i see what you mean"]
    tokens = [tokenize(t) for t in texts]
    for n in (1, 2, 3):
        assert distinct_n(tokens, n) == pytest.approx(_reference_distinct(texts, n))


def test_distinct_n_published_definition_examples():
    # Li et al. (2016): distinct-n = number of distinct n-grams / total number of generated n-grams.
    assert distinct_n([["a", "a", "a", "a"]], 1) == 0.25
    assert distinct_n([["a", "b"], ["b", "a"]], 2) == 1.0  # n-grams never cross responses
    assert math.isnan(distinct_n([["a"], []], 2))
    with pytest.raises(ValueError):
        distinct_n([["a"]], 0)


def test_tokenizer_keeps_contractions_and_drops_punctuation():
    assert tokenize("Don't PANIC, it’s fine!") == ["don't", "panic", "it’s", "fine"]
    assert tokenize("Ünïcode wörds 42") == ["ünïcode", "wörds", "42"]


def test_distinct_metric_case_option_changes_what_counts_as_repeated():
    samples = [Sample(sample_id=str(i), system="s", modality="text", text=t) for i, t in enumerate(["Hi", "hi"])]
    folded = DistinctN()
    kept = DistinctN(lowercase=False)
    assert folded.compute(folded.states(samples, context=None))["distinct_1"] == 0.5
    assert kept.compute(kept.states(samples, context=None))["distinct_1"] == 1.0
