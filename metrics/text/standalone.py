"""The text metrics on plain Python lists, without manifests or the runner (used by the HF ``evaluate`` modules).

Each function builds :class:`~emoeval.samples.Sample` objects and runs the registered metric's own code on them
with a :class:`~emoeval.context.ScoringContext` (no output cache), so the numbers are those of a run. A bad item
(empty, not UTF-8, missing context) gives NaN in the per-item lists and an entry ``(index, message)`` in
``errors``; it never raises. Pass ``pool`` (a :class:`~emoeval.reference_models.base.ModelPool`) to keep models
loaded between calls.

The ``evaluate`` modules live in ``hf_evaluate/<name>/<name>.py`` inside this package; :func:`module_path` gives
the folder to hand to ``evaluate.load``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    from emoeval.metric import CorpusMetric, SampleMetric
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import Sample

#: the HF evaluate modules shipped with emoeval (folder names under ``hf_evaluate/``)
EVALUATE_MODULES: tuple[str, ...] = (
    "emoeval_text_emotion",
    "emoeval_text_coherence",
    "emoeval_text_diversity",
    "emoeval_text_overlap",
    "emoeval_text_bertscore",
    "emoeval_text_fd",
)


#: the short recognizer names the ``emoeval_text_emotion`` module has accepted from the start → registry names
RECOGNIZER_SHORT_NAMES: dict[str, str] = {"zeroshot": "text-emotion-zeroshot", "distilroberta": "distilroberta-emotion"}


def module_path(name: str) -> str:
    """The folder of one shipped ``evaluate`` module, for ``evaluate.load(module_path(name))``.

    >>> Path(module_path("emoeval_text_overlap")).name
    'emoeval_text_overlap'
    """
    if name not in EVALUATE_MODULES:
        raise KeyError(f"no evaluate module {name!r}; emoeval ships {', '.join(EVALUATE_MODULES)}")
    return str(Path(__file__).resolve().parent / "hf_evaluate" / name)


def _pool(pool: ModelPool | None) -> ModelPool:
    from emoeval.reference_models.base import ModelPool

    return pool if pool is not None else ModelPool()


def _samples(
    predictions: Sequence[Any],
    *,
    references: Sequence[Any] | None = None,
    contexts: Sequence[Any] | None = None,
    targets: Sequence[Any] | None = None,
    system: str = "system",
) -> tuple[list[Sample], list[tuple[int, str]]]:
    """Samples for the usable items, and ``(index, message)`` for the others (the text is checked later)."""
    from emoeval.labels import normalize_label
    from emoeval.reference_models.text_embedding import check_text
    from emoeval.samples import Sample

    samples: list[Sample] = []
    errors: list[tuple[int, str]] = []
    for index, prediction in enumerate(predictions):
        where = f"item {index}"
        try:
            text = check_text(prediction, f"{where} (prediction)")
            reference = None if references is None else check_text(references[index], f"{where} (reference)")
            context: tuple[str, ...] | None = None
            if contexts is not None:
                turns = contexts[index]
                turns = [turns] if isinstance(turns, str | bytes) else list(turns or [])
                context = tuple(check_text(turn, f"{where} (context)") for turn in turns if turn) or None
                if context is None:
                    raise SampleInputError(f"{where}: no context")
            target = None if targets is None else normalize_label(str(targets[index]))
        except (SampleInputError, ValueError) as exc:
            errors.append((index, str(exc)))
            continue
        samples.append(
            Sample(
                sample_id=str(index),
                system=system,
                modality="text",
                text=text,
                reference=reference,
                context=context,
                target_emotion=target,
            )
        )
    return samples, errors


def _run_sample_metric(
    metric: SampleMetric, samples: list[Sample], n: int, errors: list[tuple[int, str]], pool: ModelPool | None
) -> dict[str, Any]:
    """Per-output lists (NaN for failed items), their means over scored items, labels and errors."""
    from emoeval.context import ScoringContext

    context = ScoringContext(_pool(pool), None)
    names = [o.name for o in metric.spec.outputs if o.scope == "sample"]
    values: dict[str, list[float]] = {name: [math.nan] * n for name in names}
    labels: list[str | None] = [None] * n
    for start in range(0, len(samples), metric.batch_size):
        batch = samples[start : start + metric.batch_size]
        for sample, score in zip(batch, metric.score(batch, context), strict=True):
            index = int(sample.sample_id)
            if score.error is not None:
                errors.append((index, score.error))
                continue
            for name, value in score.values.items():
                values[name][index] = float(value)
            labels[index] = score.label
    result: dict[str, Any] = {}
    for name, column in values.items():
        finite = [v for v in column if not math.isnan(v)]
        result[name] = sum(finite) / len(finite) if finite else math.nan
        result[f"{name}_per_item"] = column
    result["labels"] = labels
    result["errors"] = sorted(errors)
    return result


def _run_corpus_metric(
    metric: CorpusMetric, samples: list[Sample], errors: list[tuple[int, str]], pool: ModelPool | None
) -> dict[str, Any]:
    from emoeval.context import ScoringContext

    context = ScoringContext(_pool(pool), None)
    metric.setup(context, samples)
    states = []
    for start in range(0, len(samples), metric.batch_size):
        batch = samples[start : start + metric.batch_size]
        for sample, state in zip(batch, metric.states(batch, context), strict=True):
            if isinstance(state, SampleInputError):
                errors.append((int(sample.sample_id), str(state)))
            else:
                states.append(state)
    result: dict[str, Any] = dict(metric.compute(states)) if states else {o.name: math.nan for o in metric.spec.outputs}
    result["n"] = len(states)
    result["errors"] = sorted(errors)
    return result


def emotion(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    recognizer: str = "zeroshot",
    pool: ModelPool | None = None,
) -> dict[str, Any]:
    """Emotion accuracy of ``predictions`` against emotion labels ``references`` (any emoeval label name):
    ``correct`` (accuracy), ``target_probability``, per-item lists, predicted ``labels``, and ``macro_f1`` /
    ``weighted_f1`` over the scored items. ``recognizer``: a text emotion recognizer with labels of its own —
    ``text-emotion-zeroshot`` (default; short name ``zeroshot``) or ``distilroberta-emotion`` (hub plug-in; short
    name ``distilroberta``), the ``recognizer=`` of ``text_emotion_accuracy``."""
    from emoeval.metrics.emotion_scores import macro_f1
    from emoeval.metrics.text.emotion import TextEmotionAccuracy, weighted_f1

    metric = TextEmotionAccuracy(recognizer=RECOGNIZER_SHORT_NAMES.get(recognizer, recognizer))
    samples, errors = _samples(predictions, targets=references)
    result = _run_sample_metric(metric, samples, len(predictions), errors, pool)
    pairs = [
        (s.target_emotion, result["labels"][int(s.sample_id)])
        for s in samples
        if result["labels"][int(s.sample_id)] is not None
    ]
    y_true = [str(t) for t, _ in pairs]
    y_pred = [str(p) for _, p in pairs]
    result["accuracy"] = result["correct"]
    result["macro_f1"] = macro_f1(y_true, y_pred) if pairs else math.nan
    result["weighted_f1"] = weighted_f1(y_true, y_pred) if pairs else math.nan
    return result


def coherence(
    predictions: Sequence[str],
    contexts: Sequence[Sequence[str] | str],
    *,
    n_distractors: int = 9,
    seed: int = 0,
    pool: ModelPool | None = None,
) -> dict[str, Any]:
    """``last_turn`` and ``history`` cosine (means and per item) and next-utterance ranking (``win_rate``,
    ``hit_at_1``, ``mrr``) of responses to their contexts (each a list of turns or one string)."""
    from emoeval.metrics.text.coherence import TextCoherence, TextNextUtteranceRank

    samples, errors = _samples(predictions, contexts=contexts)
    result = _run_sample_metric(TextCoherence(), samples, len(predictions), list(errors), pool)
    ranking = _run_corpus_metric(TextNextUtteranceRank(n_distractors=n_distractors, seed=seed), samples, [], pool)
    result.update({key: ranking[key] for key in ("win_rate", "hit_at_1", "mrr")})
    result["errors"] = sorted(set(result["errors"]) | set(ranking["errors"]))
    return result


def diversity(predictions: Sequence[str]) -> dict[str, Any]:
    """distinct-1/2/3, self-BLEU (0–100), n-gram entropy (bits) and repetition of a set of responses."""
    from emoeval.metrics.text.diversity import DistinctN, NgramEntropy, Repetition, SelfBLEU

    samples, errors = _samples(predictions)
    result: dict[str, Any] = {}
    context_free: list[Any] = [DistinctN(), SelfBLEU(), NgramEntropy(), Repetition()]
    for metric in context_free:
        states = [s for s in metric.states(samples, None) if not isinstance(s, SampleInputError)]  # type: ignore[arg-type]
        result.update(metric.compute(states))
    result["n"] = len(samples)
    result["errors"] = errors
    return result


def overlap(predictions: Sequence[str], references: Sequence[str], *, rouge_stemmer: bool = False) -> dict[str, Any]:
    """Corpus BLEU and chrF (sacrebleu), and mean sentence BLEU, chrF and ROUGE-L F (with per-item lists)."""
    from emoeval.metrics.text.overlap import TextCorpusBleu, TextOverlap

    samples, errors = _samples(predictions, references=references)
    result = _run_sample_metric(TextOverlap(rouge_stemmer=rouge_stemmer), samples, len(predictions), errors, None)
    result = {f"sentence_{k}" if k in ("bleu", "chrf") else k: v for k, v in result.items()}
    corpus = _run_corpus_metric(TextCorpusBleu(), samples, [], None)
    result["bleu"], result["chrf"] = corpus["bleu"], corpus["chrf"]
    return result


def bertscore(
    predictions: Sequence[str], references: Sequence[str], *, pool: ModelPool | None = None
) -> dict[str, Any]:
    """BERTScore-style greedy matching on all-MiniLM-L6-v2 token embeddings: precision, recall, f1 per item."""
    from emoeval.metrics.text.overlap import TextBERTScore

    samples, errors = _samples(predictions, references=references)
    return _run_sample_metric(TextBERTScore(), samples, len(predictions), errors, pool)


def frechet_distance(
    predictions: Sequence[str], references: Sequence[str], *, pool: ModelPool | None = None
) -> dict[str, Any]:
    """Fréchet distance between the MiniLM embeddings of ``predictions`` and of ``references`` (two sets; the
    lists may differ in length)."""
    from emoeval.context import ScoringContext
    from emoeval.metrics.text.distribution import TextReferenceFD
    from emoeval.samples import Sample

    samples, errors = _samples(predictions)
    usable, reference_errors = _samples(references)
    holders = [
        Sample(sample_id=f"ref-{s.sample_id}", system="references", modality="text", text=s.text, reference=s.text)
        for s in usable
    ]
    metric = TextReferenceFD()
    context = ScoringContext(_pool(pool), None)
    metric.setup(context, holders)
    states = [st for st in metric.states(samples, context) if not isinstance(st, SampleInputError)]
    result: dict[str, Any] = dict(metric.compute(states))
    result["n"] = len(states)
    result["n_references"] = metric.reference_size
    result["errors"] = errors + [(i, f"reference {m}") for i, m in reference_errors]
    return result


__all__ = [
    "EVALUATE_MODULES",
    "RECOGNIZER_SHORT_NAMES",
    "bertscore",
    "coherence",
    "diversity",
    "emotion",
    "frechet_distance",
    "module_path",
    "overlap",
]
