"""Lexical richness that does not depend on how much text there is: HD-D and its emotion-word counterpart.

The type–token ratio (distinct words ÷ words) of a set of responses falls as the set grows — more words, more
repeats — so a system that writes longer or more replies looks poorer, and one that writes little looks rich.
**HD-D** (McCarthy & Jarvis 2007) removes the dependence: it is the *expected* type–token ratio of a random sample
of ``n`` tokens (42 by convention) drawn without replacement from the pooled tokens, computed exactly from the
hypergeometric distribution (rarefaction, Hurlbert 1971) rather than by drawing:

    HD-D = (1/n) Σ_t P(t drawn at least once) = (1/n) Σ_t [1 − C(N − f_t, n) / C(N, n)]

with N the number of tokens, f_t the frequency of type t. It depends only on the token frequencies: not on the
order of the responses (unlike MATTR over concatenated replies, Covington & McFall 2010, whose windows straddle
response boundaries), not on response length, not on the number of responses (in expectation, once N ≥ n).
McCarthy & Jarvis (2010, "MTLD, vocd-D, and HD-D", Behavior Research Methods 42(2)) found HD-D, like MTLD, among
the indices least related to text length; MTLD needs running text of ≥ 100 tokens per measured unit, which
one-line replies are not.

:func:`emotion_vocabulary_density` is the same expectation restricted to emotion-bearing types (e.g. the words NRC
EmoLex associates with an emotion): the expected number of *distinct* emotion words in ``n`` random tokens, ÷ n.

Pure numpy/scipy. ``weights`` count a response that many times (the copies a bootstrap resample draws).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Container, Sequence

import numpy as np

#: McCarthy & Jarvis' (2007) sample size for HD-D (vocd-D's default range is 35–50 tokens)
HDD_SAMPLE_SIZE = 42


def token_counts(token_lists: Sequence[Sequence[str]], weights: Sequence[float] | None = None) -> Counter[str]:
    """Pooled token frequencies of several responses (each counted ``weights[i]`` times; integers).

    >>> sorted(token_counts([["a", "b"], ["a"]], [1, 2]).items())
    [('a', 3), ('b', 1)]
    """
    if weights is not None and len(weights) != len(token_lists):
        raise ValueError(f"{len(weights)} weights for {len(token_lists)} responses")
    counts: Counter[str] = Counter()
    for index, tokens in enumerate(token_lists):
        weight = 1 if weights is None else weights[index]
        if weight < 0 or weight != int(weight):
            raise ValueError(f"weights must be non-negative integers (copies), got {weight}")
        copies = int(weight)
        for token, count in Counter(tokens).items():
            counts[token] += count * copies
    return counts


def prob_drawn(frequencies: np.ndarray, total: int, sample_size: int) -> np.ndarray:
    """P(a type of frequency f appears at least once in ``sample_size`` tokens drawn without replacement from
    ``total``): 1 − C(total − f, n) / C(total, n), computed with log-gamma (exact to rounding).

    >>> round(float(prob_drawn(np.array([1]), 10, 3)[0]), 12)  # one token among 10, 3 drawn
    0.3
    """
    from scipy.special import gammaln

    f = np.asarray(frequencies, dtype=np.float64)
    n = float(sample_size)
    total_f = float(total)
    if not 0 < sample_size <= total:
        raise ValueError(f"sample_size must lie in [1, {total}], got {sample_size}")
    rest = total_f - f
    # C(N − f, n) / C(N, n) = (N − f)! (N − n)! / ((N − f − n)! N!), zero when N − f < n
    possible = rest >= n
    log_ratio = np.full_like(f, -np.inf)
    r = rest[possible]
    log_ratio[possible] = gammaln(r + 1) + gammaln(total_f - n + 1) - gammaln(r - n + 1) - gammaln(total_f + 1)
    return 1.0 - np.exp(log_ratio)


def hdd(
    counts: Counter[str], sample_size: int = HDD_SAMPLE_SIZE, *, count_type: Callable[[str], bool] | None = None
) -> float:
    """HD-D of pooled token frequencies: the expected type–token ratio of ``sample_size`` random tokens (see the
    module docstring); with ``count_type``, only the types it accepts are counted in the numerator (the sample is
    still drawn from all tokens). NaN when there are fewer than ``sample_size`` tokens.

    >>> hdd(Counter({"a": 1, "b": 1, "c": 1}), 2)  # every token distinct: TTR 1 in any sample
    1.0
    >>> hdd(Counter({"a": 4}), 2)  # one word repeated: 1 type in 2 tokens
    0.5
    """
    if sample_size < 1:
        raise ValueError(f"sample_size must be at least 1, got {sample_size}")
    total = sum(counts.values())
    if total < sample_size:
        return math.nan
    types = [t for t in counts if count_type is None or count_type(t)]
    if not types:
        return 0.0
    frequencies = np.array([counts[t] for t in types], dtype=np.float64)
    return float(prob_drawn(frequencies, total, sample_size).sum() / sample_size)


def lexical_richness(
    token_lists: Sequence[Sequence[str]],
    sample_size: int = HDD_SAMPLE_SIZE,
    weights: Sequence[float] | None = None,
) -> float:
    """HD-D (McCarthy & Jarvis 2007) of a set of responses' pooled tokens: the expected share of distinct words in
    ``sample_size`` random tokens, in (0, 1]; higher = richer vocabulary. NaN below ``sample_size`` tokens.

    >>> round(lexical_richness([["i", "see"], ["okay"]] * 20, 42), 3)  # three words, over and over
    0.071
    """
    return hdd(token_counts(token_lists, weights), sample_size)


def emotion_vocabulary_density(
    token_lists: Sequence[Sequence[str]],
    emotion_words: Container[str] | Callable[[str], bool],
    sample_size: int = HDD_SAMPLE_SIZE,
    weights: Sequence[float] | None = None,
) -> float:
    """Expected number of distinct emotion-bearing words in ``sample_size`` random tokens of the pooled responses,
    ÷ ``sample_size``: :func:`hdd` restricted to the types ``emotion_words`` holds (a set, or a predicate). In
    [0, 1]; 0 when no response uses an emotion word; NaN below ``sample_size`` tokens.

    >>> emotion_vocabulary_density([["so", "happy"], ["so", "sad"]], {"happy", "sad"}, 4)
    0.5
    """
    accept = emotion_words if callable(emotion_words) else emotion_words.__contains__
    return hdd(token_counts(token_lists, weights), sample_size, count_type=accept)


__all__ = [
    "HDD_SAMPLE_SIZE",
    "emotion_vocabulary_density",
    "hdd",
    "lexical_richness",
    "prob_drawn",
    "token_counts",
]
