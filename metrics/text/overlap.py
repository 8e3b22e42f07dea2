"""Overlap with a reference response: BLEU and chrF (sacrebleu), ROUGE-L (rouge-score), BERTScore-style matching.

When a manifest gives a ``reference`` response (the human reply of the dataset), these say how close a generated
reply is to it — on word n-grams (BLEU), character n-grams (chrF), the longest common subsequence (ROUGE-L) or
contextual token embeddings (greedy matching, as BERTScore). Dialogue admits many good replies, so overlap with
one reference correlates weakly with human judgement (Liu et al. 2016): report it beside the reference-free
metrics, not instead of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.metric import CorpusMetric, MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics.text.emotion import response_text
from emoeval.reference_models.text_embedding import SENTENCE_MODEL, TOKEN_MODEL

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample


# -- pure functions ---------------------------------------------------------------------------------------------


def reference_text(sample: Sample) -> str:
    """The sample's reference response, checked (empty, not UTF-8 → SampleInputError naming the sample)."""
    from emoeval.reference_models.text_embedding import check_text

    value = sample.reference
    if value is not None and not isinstance(value, str):
        value = str(value)
    return check_text(value, f"{sample.sample_id} (reference)").strip()


def _sacrebleu() -> Any:
    try:
        import sacrebleu
    except ImportError as exc:
        raise MissingDependencyError(f"BLEU and chrF need sacrebleu: pip install 'emoeval[text]' ({exc})") from exc
    return sacrebleu


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """sacrebleu's sentence BLEU-4 (13a tokenization, exponential smoothing, effective order), 0–100.

    >>> sentence_bleu("the cat sat on the mat", "the cat sat on the mat")
    100.0
    """
    return float(round(_sacrebleu().sentence_bleu(hypothesis, [reference]).score, 10))


def sentence_chrf(hypothesis: str, reference: str) -> float:
    """sacrebleu's sentence chrF (character 6-grams, β = 2), 0–100.

    >>> sentence_chrf("abc", "abc")
    100.0
    """
    return float(round(_sacrebleu().sentence_chrf(hypothesis, [reference]).score, 10))


def rouge_l(hypothesis: str, reference: str, *, use_stemmer: bool = False) -> float:
    """ROUGE-L F-measure from ``rouge-score`` (its tokenizer: lower-case, ASCII letters and digits), 0–1.

    >>> round(rouge_l("the cat was found under the bed", "the cat was under the bed"), 6)
    0.923077
    """
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise MissingDependencyError(f"ROUGE-L needs rouge-score: pip install 'emoeval[text]' ({exc})") from exc
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=use_stemmer)
    return float(scorer.score(target=reference, prediction=hypothesis)["rougeL"].fmeasure)


def greedy_match(hypothesis_tokens: np.ndarray, reference_tokens: np.ndarray) -> dict[str, float]:
    """BERTScore's greedy matching without idf weights or baseline rescaling (Zhang et al. 2020).

    Inputs are (tokens, d) contextual embeddings with ``[CLS]`` first and ``[SEP]`` last. Rows are
    L2-normalised; precision is the mean over the hypothesis's content tokens (all but the first and last) of
    their best cosine with any reference token (``[CLS]``/``[SEP]`` included, as ``bert_score`` does), recall
    the same the other way, F1 their harmonic mean. A side without content tokens gives 0 (``bert_score``'s
    rule for empty candidates).

    >>> tokens = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> greedy_match(tokens, tokens)
    {'precision': 1.0, 'recall': 1.0, 'f1': 1.0}
    """
    hyp = np.asarray(hypothesis_tokens, dtype=np.float64)
    ref = np.asarray(reference_tokens, dtype=np.float64)
    hyp = hyp / np.linalg.norm(hyp, axis=1, keepdims=True)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    similarity = hyp @ ref.T
    if hyp.shape[0] <= 2 or ref.shape[0] <= 2:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision = float(similarity[1:-1, :].max(axis=1).mean())
    recall = float(similarity[:, 1:-1].max(axis=0).mean())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall != 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def pair_texts(samples: Sequence[Sample]) -> list[tuple[str, str] | SampleInputError]:
    """Per sample: (response, reference), checked, or the error naming which is unusable."""
    pairs: list[tuple[str, str] | SampleInputError] = []
    for sample in samples:
        try:
            pairs.append((response_text(sample), reference_text(sample)))
        except SampleInputError as exc:
            pairs.append(exc)
    return pairs


# -- metrics ------------------------------------------------------------------------------------------------------


class TextOverlap(SampleMetric):
    """Word, character and subsequence overlap of a response with its reference response: BLEU, chrF, ROUGE-L.

    **Meaning.** ``bleu``: sacrebleu's sentence BLEU-4 (Papineni et al. 2002; 13a tokenization, exponential
    smoothing, effective order — exactly ``sacrebleu.sentence_bleu``), the n-gram precision dialogue papers
    still report. ``chrf``: sacrebleu's chrF (Popović 2015; character 6-grams, β = 2), robust to inflection.
    ``rouge_l``: the ROUGE-L F-measure of ``rouge-score`` (Lin 2004; longest common subsequence of
    lower-cased ASCII words; non-ASCII letters are dropped by its tokenizer). The system mean of sentence BLEU
    is not corpus BLEU: ``text_corpus_bleu`` reports that.

    **Range and direction.** bleu and chrf in [0, 100], rouge_l in [0, 1]; higher is better. One reference only:
    a good reply worded differently scores low.

    **Needs.** A text response and a ``reference`` response. An empty or non-UTF-8 response or reference is a
    per-sample error naming which.

    **Source.** Papineni et al. (2002) BLEU, ACL; Post (2018) sacrebleu, WMT; Popović (2015) chrF, WMT;
    Lin (2004) ROUGE, ACL workshop.

    >>> TextOverlap().params()
    {'rouge_stemmer': False}
    """

    spec = MetricSpec(
        name="text_overlap",
        modality="text",
        scope="sample",
        outputs=(
            Output("bleu", higher_is_better=True, range=(0.0, 100.0), description="sacrebleu sentence BLEU"),
            Output("chrf", higher_is_better=True, range=(0.0, 100.0), description="sacrebleu sentence chrF"),
            Output("rouge_l", higher_is_better=True, range=(0.0, 1.0), description="rouge-score ROUGE-L F"),
        ),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"reference"}),
        summary="sentence BLEU and chrF (sacrebleu), ROUGE-L (rouge-score) against the reference response",
        citation="Papineni et al. 2002; Post 2018 (sacrebleu); Popović 2015 (chrF); Lin 2004 (ROUGE)",
    )
    batch_size = 256

    def __init__(self, *, rouge_stemmer: bool = False) -> None:
        self.rouge_stemmer = rouge_stemmer

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores = []
        for pair in pair_texts(samples):
            if isinstance(pair, SampleInputError):
                scores.append(SampleScore.failed(pair))
                continue
            hypothesis, reference = pair
            scores.append(
                SampleScore(
                    values={
                        "bleu": sentence_bleu(hypothesis, reference),
                        "chrf": sentence_chrf(hypothesis, reference),
                        "rouge_l": rouge_l(hypothesis, reference, use_stemmer=self.rouge_stemmer),
                    }
                )
            )
        return scores


class TextCorpusBleu(CorpusMetric):
    """Corpus BLEU and chrF of a system's responses against their references, as sacrebleu computes them.

    **Meaning.** BLEU as papers report it: n-gram matches and lengths summed over all of a system's
    (response, reference) pairs before the precision and brevity penalty are taken — not the mean of
    sentence BLEU. Equal to ``sacrebleu.corpus_bleu`` / ``corpus_chrf`` with one reference per response
    (default 13a tokenization, no smoothing for BLEU). The interval is the bootstrap resampling of Koehn
    (2004) over pairs (at most 1,000 resamples).

    **Range and direction.** [0, 100], higher is better.

    **Needs.** Text responses with a ``reference`` response.

    **Source.** Papineni et al. (2002), ACL; Post (2018), WMT; Koehn (2004), Statistical Significance Tests for
    Machine Translation Evaluation, EMNLP.

    >>> TextCorpusBleu.spec.outputs[0].name, TextCorpusBleu.spec.scope
    ('bleu', 'corpus')
    """

    spec = MetricSpec(
        name="text_corpus_bleu",
        modality="text",
        scope="corpus",
        outputs=(
            Output("bleu", higher_is_better=True, range=(0.0, 100.0), description="sacrebleu corpus BLEU"),
            Output("chrf", higher_is_better=True, range=(0.0, 100.0), description="sacrebleu corpus chrF"),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        summary="corpus BLEU and chrF (sacrebleu) of a system's responses against their references",
        citation="Papineni et al. 2002; Post 2018 (sacrebleu); Koehn 2004 (bootstrap)",
    )
    max_resamples = 1000
    batch_size = 256

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        from sacrebleu.metrics import BLEU, CHRF

        states: list[Any] = []
        for pair in pair_texts(samples):
            if isinstance(pair, SampleInputError):
                states.append(pair)
                continue
            hypothesis, reference = pair
            bleu = np.asarray(BLEU()._extract_corpus_statistics([hypothesis], [[reference]])[0], dtype=np.float64)
            chrf = np.asarray(CHRF()._extract_corpus_statistics([hypothesis], [[reference]])[0], dtype=np.float64)
            states.append((bleu, chrf))
        return states

    def compute(
        self, states: Sequence[tuple[np.ndarray, np.ndarray]], *, emotion: str | None = None
    ) -> dict[str, float]:
        from sacrebleu.metrics import BLEU, CHRF

        if not states:
            return {"bleu": math.nan, "chrf": math.nan}
        bleu = np.sum([s[0] for s in states], axis=0)
        chrf = np.sum([s[1] for s in states], axis=0)
        return {
            "bleu": float(BLEU()._compute_score_from_stats(bleu.astype(np.int64).tolist()).score),
            "chrf": float(CHRF()._compute_score_from_stats(chrf.tolist()).score),
        }


class TextBERTScore(SampleMetric):
    """BERTScore-style similarity to the reference response: greedy matching of MiniLM token embeddings.

    **Meaning.** Both texts go through all-MiniLM-L6-v2 (model ``all-minilm-l6-v2-tokens``: the last layer's
    contextual token embeddings, ``[CLS]`` and ``[SEP]`` included, up to 512 word pieces); each token of the
    response is matched to its most similar reference token (cosine) and vice versa. ``precision``, ``recall``
    and ``f1`` are the BERTScore of Zhang et al. (2020) computed on this encoder, without idf weighting and
    without baseline rescaling — the same numbers as ``bert_score.score(..., model_type=<the MiniLM folder>,
    num_layers=6)``, which the tests check. Not comparable with published BERTScores (those use RoBERTa-large
    layer 17 with rescaling).

    **Range and direction.** In [-1, 1], in practice about 0.3 (unrelated) to 1 (identical); higher is better.

    **Needs.** A text response and a ``reference`` response.

    **Source.** Zhang, Kishore, Wu, Weinberger, Artzi (2020), BERTScore: Evaluating Text Generation with BERT,
    ICLR; Wang et al. (2020), MiniLM.

    >>> TextBERTScore.spec.models
    ('all-minilm-l6-v2', 'all-minilm-l6-v2-tokens')
    """

    spec = MetricSpec(
        name="text_bertscore",
        modality="text",
        scope="sample",
        outputs=(
            Output("f1", higher_is_better=True, range=(-1.0, 1.0), description="greedy-matching F1 (MiniLM tokens)"),
            Output("precision", higher_is_better=True, range=(-1.0, 1.0), description="response tokens matched"),
            Output("recall", higher_is_better=True, range=(-1.0, 1.0), description="reference tokens matched"),
        ),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"reference"}),
        models=(SENTENCE_MODEL, TOKEN_MODEL),
        summary="BERTScore-style greedy matching of all-MiniLM-L6-v2 token embeddings against the reference",
        citation="Zhang et al. 2020, ICLR (BERTScore); Wang et al. 2020 (MiniLM)",
    )
    batch_size = 32

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        pairs = pair_texts(samples)
        texts = [text for pair in pairs if not isinstance(pair, SampleInputError) for text in pair]
        outputs = context.outputs(TOKEN_MODEL, texts) if texts else []
        scores = []
        at = 0
        for pair in pairs:
            if isinstance(pair, SampleInputError):
                scores.append(SampleScore.failed(pair))
                continue
            hypothesis, reference = outputs[at], outputs[at + 1]
            at += 2
            if isinstance(hypothesis, SampleInputError):
                scores.append(SampleScore.failed(f"response: {hypothesis}"))
            elif isinstance(reference, SampleInputError):
                scores.append(SampleScore.failed(f"reference: {reference}"))
            else:
                scores.append(SampleScore(values=greedy_match(hypothesis, reference)))
        return scores


__all__ = [
    "TextBERTScore",
    "TextCorpusBleu",
    "TextOverlap",
    "greedy_match",
    "pair_texts",
    "reference_text",
    "rouge_l",
    "sentence_bleu",
    "sentence_chrf",
]
