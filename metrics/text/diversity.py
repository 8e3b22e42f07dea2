"""Lexical diversity of generated responses: distinct-n (Li et al. 2016), self-BLEU (Zhu et al. 2018), n-gram
entropy (Zhang et al. 2018) and repetition.

All are corpus metrics over a system's responses. Under the runner's bootstrap, a resample repeats some
responses: the statistics here treat repeated copies of one response as that response counted several times
(weights), never as a response repeating another — otherwise resampling alone would look like repetition.

The statistics themselves (tokenisation, n-grams, distinct-n, n-gram entropy, repetition, self-BLEU) live in
:mod:`emoeval.functional.text`, which the text-emotion recognizer uses too, and are re-exported here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError
from emoeval.functional.text import (
    bleu_tokens,
    distinct_n,
    intra_repetition,
    ngram_entropy,
    ngrams,
    self_bleu,
    tokenize,
)
from emoeval.metric import CorpusMetric, MetricSpec, Output

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample


class DistinctN(CorpusMetric):
    """Distinct-1, -2 and -3 of a system's responses: how much of what it says is not repetition.

    **Meaning.** The number of unique unigrams (bigrams, trigrams) divided by the total number of them
    over all responses of a system, as defined by Li et al. (2016) to measure the blandness of dialogue
    generators ("I don't know" everywhere scores low). Tokens are lower-cased words (see :func:`tokenize`).
    It is a corpus metric: it depends on the set of responses, and falls as a system produces more text,
    so compare systems on the same number of prompts.

    **Range and direction.** [0, 1], higher is better (more diverse). The interval is a leave-one-response-out
    jackknife interval (a bootstrap would duplicate responses and bias the value down), computed on the logit
    scale so it stays within [0, 1]; one long repetitive response that dominates every leave-one-out value
    makes it wide, as it should.

    **Needs.** Text responses (``modality=text``); no reference. An empty response (nothing left after removing
    white space and invisible format characters) or a non-UTF-8 one is a per-sample error and is left out.

    **Source.** Li, Galley, Brockett, Gao, Dolan (2016). A Diversity-Promoting Objective Function for Neural
    Conversation Models. NAACL.

    >>> DistinctN().compute([["i", "see"], ["i", "see"]])
    {'distinct_1': 0.5, 'distinct_2': 0.5, 'distinct_3': nan}
    """

    spec = MetricSpec(
        name="text_distinct_n",
        modality="text",
        scope="corpus",
        outputs=(
            Output("distinct_1", higher_is_better=True, range=(0.0, 1.0), description="unique / total unigrams"),
            Output("distinct_2", higher_is_better=True, range=(0.0, 1.0), description="unique / total bigrams"),
            Output("distinct_3", higher_is_better=True, range=(0.0, 1.0), description="unique / total trigrams"),
        ),
        version="1.2.0",  # 1.2: blank and non-UTF-8 responses are error rows, no longer empty token lists
        summary="distinct-1/2/3 of a system's responses (Li et al. 2016)",
        citation="Li et al. 2016, NAACL",
    )
    interval = "jackknife"  # resampling responses with replacement would count duplicates as repetition

    def __init__(self, *, lowercase: bool = True) -> None:
        self.lowercase = lowercase

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        # an empty, invisible-only or non-UTF-8 response is an error row, not a response with no n-grams
        return [_checked(sample, lambda text: tokenize(text, lowercase=self.lowercase)) for sample in samples]

    def compute(self, states: Sequence[Sequence[str]], *, emotion: str | None = None) -> dict[str, float]:
        return {f"distinct_{n}": distinct_n(states, n) for n in (1, 2, 3)}


# -- n-gram statistics shared by the metrics below ------------------------------------------------------------------


def _unique_weights(states: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Distinct state objects (by identity) and how often each occurs in ``states`` (bootstrap copies)."""
    position: dict[int, int] = {}
    unique: list[Any] = []
    weights: list[int] = []
    for state in states:
        index = position.get(id(state))
        if index is None:
            position[id(state)] = len(unique)
            unique.append(state)
            weights.append(1)
        else:
            weights[index] += 1
    return unique, weights


def normalized_response(tokens: Sequence[str]) -> str:
    """The comparison key of a response for exact-repeat detection: its lower-cased words, space-joined."""
    return " ".join(tokens)


# -- metrics ------------------------------------------------------------------------------------------------------


class SelfBLEU(CorpusMetric):
    """Self-BLEU of a system's responses: how much each response resembles the system's others.

    **Meaning.** For every response, sacrebleu's sentence BLEU-4 (13a tokenization, exponential smoothing) with
    it as the hypothesis and all the system's other responses as references; the value is the mean (Zhu et
    al. 2018, Texygen). A system that says the same few things scores high; a diverse one low. It depends on
    the number of responses (more references, more matches): compare systems on the same prompts.

    **Range and direction.** [0, 100] (sacrebleu's scale), lower is better (more diverse). Interval: the
    percentile bootstrap over responses (at most 100 resamples) re-centred on the value — an interval for the
    expected self-BLEU of this many responses, not for an unlimited set's; copies of one response in a
    resample are never each other's references.

    **Needs.** Text responses; at least two per system.

    **Source.** Zhu et al. (2018), Texygen: A Benchmarking Platform for Text Generation Models, SIGIR;
    Post (2018), A Call for Clarity in Reporting BLEU Scores (sacrebleu), WMT.

    >>> SelfBLEU().compute([("the", "cat"), ("the", "dog")])["self_bleu"] > 0
    True
    """

    spec = MetricSpec(
        name="text_self_bleu",
        modality="text",
        scope="corpus",
        outputs=(Output("self_bleu", higher_is_better=False, range=(0.0, 100.0), description="mean BLEU vs others"),),
        version="1.0.0",
        summary="self-BLEU of a system's responses (sacrebleu sentence BLEU against its other responses)",
        citation="Zhu et al. 2018, SIGIR (Texygen); Post 2018, WMT (sacrebleu)",
    )
    interval = "bootstrap_recentred"  # a resample has fewer distinct references: shift by the bootstrap's bias
    max_resamples = 100
    batch_size = 256

    def __init__(self, *, lowercase: bool = False) -> None:
        self.lowercase = lowercase

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        return [_checked(sample, lambda text: bleu_tokens(text, lowercase=self.lowercase)) for sample in samples]

    def compute(self, states: Sequence[tuple[str, ...]], *, emotion: str | None = None) -> dict[str, float]:
        unique, weights = _unique_weights(states)
        return {"self_bleu": self_bleu(unique, weights)}


class NgramEntropy(CorpusMetric):
    """Entropy of the n-gram distribution of a system's responses (Ent-1, Ent-2, Ent-3).

    **Meaning.** All n-grams of all responses (lower-cased words, :func:`tokenize`) are pooled; the value is
    the Shannon entropy, in bits, of their relative frequencies — Zhang et al. (2018)'s Ent-n. Unlike
    distinct-n it weighs how evenly a system spreads over what it says, not only how many different things it
    says. It grows with the amount of text: compare systems on the same prompts.

    **Range and direction.** [0, log₂(number of n-grams)], higher is better (more diverse). Interval: the
    percentile bootstrap over responses (at most 200 resamples) re-centred on the value — for the expected
    entropy of this many responses (the plug-in entropy grows with the amount of text, so there is no
    set-size-free value to cover).

    **Needs.** Text responses.

    **Source.** Zhang et al. (2018), Generating Informative and Diverse Conversational Responses via
    Adversarial Information Maximization, NeurIPS.

    >>> NgramEntropy().compute([["a", "b"], ["a", "c"]])["entropy_1"]
    1.5
    """

    spec = MetricSpec(
        name="text_ngram_entropy",
        modality="text",
        scope="corpus",
        outputs=tuple(
            Output(f"entropy_{n}", higher_is_better=True, range=(0.0, math.inf), description=f"{n}-gram entropy (bits)")
            for n in (1, 2, 3)
        ),
        version="1.0.0",
        summary="entropy (bits) of a system's 1/2/3-gram distribution (Ent-n, Zhang et al. 2018)",
        citation="Zhang et al. 2018, NeurIPS",
    )
    interval = "bootstrap_recentred"  # resamples hold fewer distinct n-grams: shift by the bootstrap's bias
    max_resamples = 200
    batch_size = 256

    def __init__(self, *, lowercase: bool = True) -> None:
        self.lowercase = lowercase

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        return [_checked(sample, lambda text: tuple(tokenize(text, lowercase=self.lowercase))) for sample in samples]

    def compute(self, states: Sequence[Sequence[str]], *, emotion: str | None = None) -> dict[str, float]:
        unique, weights = _unique_weights(states)
        return {f"entropy_{n}": ngram_entropy(unique, n, weights) for n in (1, 2, 3)}


@dataclass(frozen=True, slots=True)
class _Response:
    key: str
    intra: float


class Repetition(CorpusMetric):
    """How often a system repeats itself: whole responses, and n-grams inside a response.

    **Meaning.** ``repeated_responses``: the share of responses whose words (lower-cased, punctuation dropped)
    are exactly those of another response of the system — stock replies such as "I see. Tell me more." used
    again and again. ``intra_repetition``: the mean over responses (with at least two bigrams) of the share of
    a response's bigrams that repeat an earlier bigram of it (1 − distinct-2 within the response; seq-rep-2 of
    Welleck et al. 2019) — loops such as "I love you, I love you".

    **Range and direction.** Both in [0, 1], lower is better. Percentile bootstrap over responses (copies of a
    response in a resample do not count as repeating each other).

    **Needs.** Text responses.

    **Source.** Li et al. (2016) on generic responses, NAACL; Welleck et al. (2019), Neural Text Generation with
    Unlikelihood Training (seq-rep-n), ICLR 2020.

    >>> Repetition().compute([_Response("i see", math.nan), _Response("i see", math.nan), _Response("ok", math.nan)])
    {'repeated_responses': 0.6666666666666666, 'intra_repetition': nan}
    """

    spec = MetricSpec(
        name="text_repetition",
        modality="text",
        scope="corpus",
        outputs=(
            Output("repeated_responses", higher_is_better=False, range=(0.0, 1.0), description="share repeated"),
            Output("intra_repetition", higher_is_better=False, range=(0.0, 1.0), description="seq-rep-2, mean"),
        ),
        version="1.0.0",
        summary="share of responses repeated verbatim, and bigram repetition inside responses",
        citation="Li et al. 2016, NAACL; Welleck et al. 2020, ICLR (seq-rep-n)",
    )
    max_resamples = 500
    batch_size = 256

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        def state(text: str) -> _Response:
            tokens = tokenize(text)
            return _Response(normalized_response(tokens), intra_repetition(tokens))

        return [_checked(sample, state) for sample in samples]

    def compute(self, states: Sequence[_Response], *, emotion: str | None = None) -> dict[str, float]:
        unique, weights = _unique_weights(states)
        if not unique:
            return {"repeated_responses": math.nan, "intra_repetition": math.nan}
        keys = Counter(state.key for state in unique)
        total = sum(weights)
        repeated = sum(w for state, w in zip(unique, weights, strict=True) if keys[state.key] > 1) / total
        intra = [(state.intra, w) for state, w in zip(unique, weights, strict=True) if not math.isnan(state.intra)]
        mean_intra = sum(v * w for v, w in intra) / sum(w for _, w in intra) if intra else math.nan
        return {"repeated_responses": repeated, "intra_repetition": mean_intra}


def _checked(sample: Sample, make: Any) -> Any:
    """``make(text)`` for a usable response, else the SampleInputError saying why not."""
    from emoeval.reference_models.text_embedding import check_text

    try:
        return make(check_text(sample.text, f"{sample.sample_id} (response)"))
    except SampleInputError as exc:
        return exc


__all__ = [
    "DistinctN",
    "NgramEntropy",
    "Repetition",
    "SelfBLEU",
    "bleu_tokens",
    "distinct_n",
    "intra_repetition",
    "ngram_entropy",
    "ngrams",
    "self_bleu",
    "tokenize",
]
