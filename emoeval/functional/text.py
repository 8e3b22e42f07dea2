"""Text statistics on word tokens: tokenisation, n-grams, distinct-n, n-gram entropy, repetition, self-BLEU.

Pure Python (sacrebleu, inside the BLEU functions only; no torch). Shared by the lexical-diversity metrics
(:mod:`emoeval.metrics.text.diversity` re-exports these names) and the zero-shot text-emotion recognizer's lexicon
evidence (:mod:`emoeval.reference_models.text_emotion`), so both see the same words. Statistics that take
``weights`` count each response that many times (the copies a bootstrap resample draws), never as a response
repeating another.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"\w+(?:['’]\w+)*")


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Word tokens: runs of letters/digits, keeping inner apostrophes (``don't``); punctuation is dropped.

    >>> tokenize("I'm SO happy -- really, so happy!")
    ["i'm", 'so', 'happy', 'really', 'so', 'happy']
    """
    return _WORD.findall(text.lower() if lowercase else text)


def distinct_n(token_lists: Sequence[Sequence[str]], n: int) -> float:
    """Distinct-n of a set of responses: unique n-grams / total n-grams, pooled over all responses.

    N-grams do not cross response boundaries. NaN when the responses contain no n-gram at all.

    >>> distinct_n([["a", "b", "a"], ["a", "b"]], 1)
    0.4
    >>> distinct_n([["a", "b", "a"], ["a", "b"]], 2)
    0.6666666666666666
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    total = 0
    unique: set[tuple[str, ...]] = set()
    for tokens in token_lists:
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        total += len(grams)
        unique.update(grams)
    return len(unique) / total if total else math.nan


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The n-grams of one token list, in order.

    >>> ngrams(["a", "b", "c"], 2)
    [('a', 'b'), ('b', 'c')]
    """
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def ngram_entropy(token_lists: Sequence[Sequence[str]], n: int, weights: Sequence[float] | None = None) -> float:
    """Shannon entropy (bits) of the n-gram frequency distribution pooled over responses (Ent-n).

    ``weights`` counts each response's n-grams that many times (default once). NaN without n-grams.

    >>> ngram_entropy([["a", "b"], ["a", "c"]], 1)
    1.5
    >>> ngram_entropy([["a", "a"]], 1)
    0.0
    """
    counts: Counter[tuple[str, ...]] = Counter()
    for index, tokens in enumerate(token_lists):
        weight = 1.0 if weights is None else float(weights[index])
        for gram in ngrams(tokens, n):
            counts[gram] += weight
    total = sum(counts.values())
    if total <= 0:
        return math.nan
    probabilities = [count / total for count in counts.values()]
    return float(-sum(p * math.log2(p) for p in probabilities if p > 0) + 0.0)


def intra_repetition(tokens: Sequence[str], n: int = 2) -> float:
    """Share of a response's n-grams that repeat an earlier n-gram of the same response (1 − distinct-n within
    it; Welleck et al. 2019's seq-rep-n). NaN for a response with fewer than two n-grams.

    >>> intra_repetition("i love you i love you".split())
    0.4
    >>> intra_repetition(["hi"])
    nan
    """
    grams = ngrams(tokens, n)
    if len(grams) < 2:
        return math.nan
    return 1.0 - len(set(grams)) / len(grams)


def bleu_tokens(text: str, *, lowercase: bool = False) -> tuple[str, ...]:
    """sacrebleu's default preprocessing of one segment (13a tokenizer; optional lower-casing), as tokens."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    segment = text.lower() if lowercase else text
    return tuple(Tokenizer13a()(segment.rstrip()).split())


def _closest_length(hyp_len: int, lengths: Counter[int]) -> int:
    """sacrebleu's closest reference length (smallest difference; on a tie the shorter) among ``lengths``."""
    best_diff, best = -1, -1
    for length in sorted(length for length, count in lengths.items() if count > 0):
        diff = abs(hyp_len - length)
        if best_diff == -1 or diff < best_diff:
            best_diff, best = diff, length
    return best


def self_bleu(segments: Sequence[Sequence[str]], weights: Sequence[int] | None = None, *, max_order: int = 4) -> float:
    """Self-BLEU (Zhu et al. 2018, Texygen) with sacrebleu's sentence BLEU: the mean over responses of the BLEU
    of each (as hypothesis) against all the *other* responses (as references), on 0–100.

    ``segments`` are token tuples (:func:`bleu_tokens`); ``weights`` count each in the mean (default 1).
    Equal to ``mean(sacrebleu.sentence_bleu(h, others).score)`` (exponential smoothing, effective order),
    computed in one pass: per n-gram the largest and second-largest count over responses give every
    hypothesis its clipped reference counts without it. NaN with fewer than two responses.

    >>> round(self_bleu([("a", "b", "c", "d"), ("a", "b", "c", "d")]), 6)
    100.0
    """
    from sacrebleu.metrics.bleu import BLEU

    if len(segments) < 2:
        return math.nan
    weights = [1] * len(segments) if weights is None else list(weights)
    grams = [Counter(g for n in range(1, max_order + 1) for g in ngrams(seg, n)) for seg in segments]
    best: dict[tuple[str, ...], list[int]] = {}  # n-gram -> [largest, owner, second largest]
    for owner, counter in enumerate(grams):
        for gram, count in counter.items():
            entry = best.get(gram)
            if entry is None:
                best[gram] = [count, owner, 0]
            elif count > entry[0]:
                best[gram] = [count, owner, entry[0]]
            elif count > entry[2]:
                entry[2] = count
    lengths = Counter(len(seg) for seg in segments)
    total_score = 0.0
    for index, (segment, counter) in enumerate(zip(segments, grams, strict=True)):
        correct = [0] * max_order
        total = [0] * max_order
        for gram, count in counter.items():
            order = len(gram) - 1
            total[order] += count
            largest, owner, second = best[gram]
            reference = second if owner == index else largest
            correct[order] += min(count, reference)
        lengths[len(segment)] -= 1
        ref_len = _closest_length(len(segment), lengths)
        lengths[len(segment)] += 1
        score = BLEU.compute_bleu(
            correct, total, len(segment), ref_len, smooth_method="exp", effective_order=True, max_ngram_order=max_order
        ).score
        total_score += weights[index] * score
    return total_score / sum(weights)


__all__ = [
    "bleu_tokens",
    "distinct_n",
    "intra_repetition",
    "ngram_entropy",
    "ngrams",
    "self_bleu",
    "tokenize",
]
