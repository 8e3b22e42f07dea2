"""Lexical diversity of generated responses: distinct-n (Li et al. 2016)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emoeval.metric import CorpusMetric, MetricSpec, Output

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

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


class DistinctN(CorpusMetric):
    """Distinct-1 and distinct-2 of a system's responses: how much of what it says is not repetition.

    **Meaning.** The number of unique unigrams (bigrams) divided by the total number of unigrams (bigrams)
    over all responses of a system, as defined by Li et al. (2016) to measure the blandness of dialogue
    generators ("I don't know" everywhere scores low). Tokens are lower-cased words (see :func:`tokenize`).
    It is a corpus metric: it depends on the set of responses, and falls as a system produces more text,
    so compare systems on the same number of prompts.

    **Range and direction.** [0, 1], higher is better (more diverse). The interval is a leave-one-response-out
    jackknife interval (a bootstrap would duplicate responses and bias the value down).

    **Needs.** Text responses (``modality=text``); no reference.

    **Source.** Li, Galley, Brockett, Gao, Dolan (2016). A Diversity-Promoting Objective Function for Neural
    Conversation Models. NAACL.

    >>> DistinctN().compute([["i", "see"], ["i", "see"]])
    {'distinct_1': 0.5, 'distinct_2': 0.5}
    """

    spec = MetricSpec(
        name="text_distinct_n",
        modality="text",
        scope="corpus",
        outputs=(
            Output("distinct_1", higher_is_better=True, range=(0.0, 1.0), description="unique / total unigrams"),
            Output("distinct_2", higher_is_better=True, range=(0.0, 1.0), description="unique / total bigrams"),
        ),
        version="1.0.0",
        summary="distinct-1/2 of a system's responses (Li et al. 2016)",
        citation="Li et al. 2016, NAACL",
    )
    interval = "jackknife"  # resampling responses with replacement would count duplicates as repetition

    def __init__(self, *, lowercase: bool = True) -> None:
        self.lowercase = lowercase

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[list[str]]:
        return [tokenize(sample.text or "", lowercase=self.lowercase) for sample in samples]

    def compute(self, states: Sequence[Sequence[str]], *, emotion: str | None = None) -> dict[str, float]:
        return {"distinct_1": distinct_n(states, 1), "distinct_2": distinct_n(states, 2)}
