"""Text emotion metrics: does a response carry the target emotion, and the emotion its context calls for?

The text emotion recognizer is a parameter of both metrics (``recognizer=``, a registered
``text-emotion-recognizer``), read through the one emotion-recognizer interface of every modality
(:func:`emoeval.reference_models.recognition.recognize`: labels, probabilities, optional embedding):

- ``text-emotion-zeroshot`` (default): emoeval's zero-shot recognizer (MiniLM emotion prototypes + NRC EmoLex +
  VADER + punctuation; :mod:`emoeval.reference_models.text_emotion`), offline, no training data.
- ``distilroberta-emotion``: the j-hartmann DistilRoBERTa emotion classifier, pulled from the hub
  (``emoeval models pull distilroberta-emotion``).
- ``text-emotion-probe``: a probe on MiniLM sentence embeddings fitted on a labelled corpus of real text, given
  with ``emotion_reference=`` (``--emotion-reference``; :mod:`emoeval.reference_models.text_emotion_probe`).

The first two output probabilities over :data:`~emoeval.reference_models.text_emotion.TEXT_EMOTION_LABELS`
(angry, disgust, fear, happy, sad, surprise, neutral); the probe over its reference set's emotions. The maths is
shared with the face and speech emotion metrics in :mod:`emoeval.metrics.emotion_scores` (``accuracy_summary``:
macro-F1 with its bootstrap interval, per-class recall, confusion counts) — plus :func:`weighted_f1` here, the
headline of text emotion recognition on MELD. A target outside the recognizer's labels (calm, contempt, boredom,
frustrated) is a per-sample "not scorable" error, never counted as wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import RunConfigError, SampleInputError, UnknownLabelError
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics.emotion_scores import (
    CONFUSION,
    CORRECT,
    MACRO_F1,
    RECALL,
    TARGET_PROBABILITY,
    accuracy_summary,
    labels_seen,
    macro_f1_with_ci,
    not_scorable_message,
)
from emoeval.metrics.text.roles import RECOGNIZER_ROLE
from emoeval.reference_models.recognition import Recognition, recognize

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: the default recognizer (offline, no training data)
RECOGNIZER = "text-emotion-zeroshot"
#: the hub plug-in recognizer (``text_emotion_accuracy_distilroberta``, an old name kept for one release)
DISTILROBERTA = "distilroberta-emotion"
#: the probe fitted on ``emotion_reference`` (``text_emotion_accuracy_probe``, an old name kept for one release)
TEXT_PROBE = "text-emotion-probe"
#: the ``meta`` key (manifest column) holding the emotion a fitting response should carry, given its context
EXPECTED_EMOTION_KEY = "expected_emotion"


# -- pure functions -----------------------------------------------------------------------------------------------


def weighted_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Support-weighted mean F1 over the classes present among the true labels (MELD's headline).

    ``sklearn.metrics.f1_score(y_true, y_pred, average="weighted")``: each true class's F1 weighted by its number
    of samples; predictions of other labels count as misses. NaN with no sample.

    >>> round(weighted_f1(["happy", "happy", "sad", "sad"], ["happy", "neutral", "sad", "happy"]), 6)
    0.583333
    >>> round(weighted_f1(["happy", "happy", "happy", "sad"], ["happy", "happy", "happy", "happy"]), 6)  # 3/4 · 6/7
    0.642857
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true:
        return math.nan
    total = 0.0
    for cls in sorted(set(y_true)):
        tp = sum(t == cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(y_true, y_pred, strict=True))
        support = tp + fn
        total += support * (2 * tp / (2 * tp + fp + fn))
    return total / len(y_true)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa between two labelings of the same items: (p_o − p_e) / (1 − p_e); NaN when p_e = 1.

    Equal to ``sklearn.metrics.cohen_kappa_score``.

    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "a", "b", "b"])
    1.0
    >>> cohen_kappa(["a", "b", "a", "b"], ["a", "a", "b", "b"])
    0.0
    """
    if len(a) != len(b):
        raise ValueError(f"{len(a)} and {len(b)} labels")
    n = len(a)
    if n == 0:
        return math.nan
    labels = sorted(set(a) | set(b))
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((list(a).count(label) / n) * (list(b).count(label) / n) for label in labels)
    return math.nan if expected == 1.0 else (observed - expected) / (1.0 - expected)


def response_text(sample: Sample) -> str:
    """The sample's response, checked (empty, not UTF-8 → :class:`SampleInputError` naming the sample)."""
    from emoeval.reference_models.text_embedding import check_text

    return check_text(sample.text, f"{sample.sample_id} (response)").strip()


def expected_emotion(sample: Sample) -> str:
    """The sample's ``expected_emotion`` (meta column), normalised; SampleInputError when absent or unknown."""
    from emoeval.labels import normalize_label

    raw = sample.meta.get(EXPECTED_EMOTION_KEY)
    if raw is None or str(raw).strip() == "":
        raise SampleInputError(
            f"{sample.sample_id}: no {EXPECTED_EMOTION_KEY}; add an '{EXPECTED_EMOTION_KEY}' column to the manifest "
            "(the emotion a fitting response should carry, given its context)"
        )
    try:
        return normalize_label(str(raw))
    except UnknownLabelError as exc:
        raise SampleInputError(f"{sample.sample_id}: {EXPECTED_EMOTION_KEY}: {exc}") from None


def _summary_with_weighted_f1(
    labels: Sequence[str], rows: pd.DataFrame, bootstrap: BootstrapSettings
) -> list[SystemValue]:
    """The shared accuracy summary (macro-F1, recall, confusion) plus weighted F1 with a bootstrap CI."""
    from emoeval.stats.aggregate import bootstrap_corpus

    values = accuracy_summary(rows, labels, bootstrap)
    scored = rows[(rows["sub_metric"] == "correct") & rows["error"].isna() & rows["label"].notna()]
    y_true = [str(v) for v in scored["target_emotion"]]
    y_pred = [str(v) for v in scored["label"]]
    if not y_true:
        return values
    labels = sorted(set(y_true) | set(y_pred))
    code = {label: i for i, label in enumerate(labels)}
    true = np.array([code[t] for t in y_true], dtype=np.int64)
    pred = np.array([code[p] for p in y_pred], dtype=np.int64)

    def compute(indices: Sequence[int]) -> dict[str, float]:
        chosen = np.asarray(indices, dtype=np.int64)
        return {"weighted_f1": _weighted_f1_codes(true[chosen], pred[chosen], len(labels))}

    estimate = bootstrap_corpus(
        np.arange(len(y_true)),
        compute,
        confidence=bootstrap.confidence,
        n_resamples=bootstrap.n_resamples,
        seed=bootstrap.seed,
    )["weighted_f1"]
    return [*values, SystemValue("weighted_f1", estimate.value, estimate.ci_low, estimate.ci_high, n=len(y_true))]


def _weighted_f1_codes(true: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """:func:`weighted_f1` on integer-coded labels (vectorised, for resampling)."""
    counts = np.bincount(true * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    support = counts.sum(axis=1)
    present = np.flatnonzero(support)
    if present.size == 0:
        return math.nan
    tp = np.diag(counts)[present]
    fp = counts.sum(axis=0)[present] - tp
    fn = support[present] - tp
    return float(np.sum(support[present] * 2 * tp / (2 * tp + fp + fn)) / support.sum())


_WEIGHTED_F1 = Output(
    "weighted_f1",
    higher_is_better=True,
    range=(0.0, 1.0),
    description="support-weighted F1 over the target emotions present (bootstrap CI)",
    scope="system",
)


# -- metrics ------------------------------------------------------------------------------------------------------


class _TextEmotionMetric(SampleMetric):
    """Shared: the recognizer (a registry name with the role ``text-emotion-recognizer``), the emotion reference a
    probe recognizer is fitted on, the models this instance reads, and the labels the recognizer can say.

    ``emotion_reference`` is required when the recognizer is an emotion probe
    (:class:`~emoeval.reference_models.emotion_probe.EmotionProbeModel`, fitted or found before the run by
    :func:`~emoeval.reference_models.emotion_probe.attach_emotion_probes`) and ignored (kept as None) for a
    recognizer with weights of its own, so a run-wide ``--emotion-reference`` does not enter its cache keys.
    """

    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}
    batch_size = 256

    def __init__(self, *, recognizer: str = RECOGNIZER, emotion_reference: str | Path | None = None) -> None:
        from emoeval.reference_models.emotion_probe import EmotionProbeModel

        model_class = self.check_model("recognizer", recognizer)
        self.recognizer = recognizer
        is_probe = issubclass(model_class, EmotionProbeModel)
        if is_probe and emotion_reference is None:
            raise RunConfigError(
                f"{self.spec.name}(recognizer={recognizer}) needs a text emotion probe fitted on labelled real "
                "text: give emotion_reference=<a table with text and emotion columns, or the folder of a probe "
                f"fitted with `emoeval models fit-emotion-probe --model {recognizer}`> (CLI: --emotion-reference)"
            )
        self.emotion_reference = str(emotion_reference) if is_probe else None
        # a probe reads its feature extractor's outputs: it is a model of this metric too (cache keys, provenance)
        self._models: tuple[str, ...] = (*model_class.requires, recognizer) if is_probe else (recognizer,)
        # a recognizer with fixed labels is known without loading it (every verdict may come from the cache); a
        # probe's labels are those of its reference set, known once it is loaded
        self._labels: tuple[str, ...] | None = None if is_probe else tuple(model_class.labels)  # type: ignore[attr-defined]

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    def _recognize(
        self, samples: Sequence[Sample], context: ScoringContext
    ) -> tuple[tuple[str, ...], list[Recognition | SampleInputError]]:
        """The recognizer's labels, and its reading of each sample's response (or the reason there is none: an
        empty or non-UTF-8 response is refused, naming the sample, before it reaches the model)."""
        readings: list[Any] = [None] * len(samples)
        todo: list[int] = []
        texts: list[str] = []
        for index, sample in enumerate(samples):
            try:
                texts.append(response_text(sample))
                todo.append(index)
            except SampleInputError as exc:
                readings[index] = exc
        if not texts:  # nothing to recognize: the model is not loaded
            return self._labels or (), readings
        labels, recognized = recognize(context, self.recognizer, texts)
        self._labels = labels
        for index, reading in zip(todo, recognized, strict=True):
            readings[index] = reading
        return labels, readings

    def _labels_for_summary(self, rows: pd.DataFrame) -> list[str]:
        if self._labels is not None:
            return list(self._labels)
        return labels_seen(rows)  # a probe whose every verdict came from the cache


class TextEmotionAccuracy(_TextEmotionMetric):
    """Does a text emotion recognizer find the target emotion in the response? (accuracy, macro/weighted F1)

    **Meaning.** Each response is classified by the ``recognizer``: by default the zero-shot text emotion
    recognizer (MiniLM emotion prototypes + NRC EmoLex + VADER + punctuation, neutral a class of its own,
    calibrated for balanced accuracy; see :mod:`emoeval.reference_models.text_emotion`); or the DistilRoBERTa
    emotion classifier (``recognizer=distilroberta-emotion``, Hartmann 2022; old name
    ``text_emotion_accuracy_distilroberta``, kept for one release); or emoeval's text emotion probe
    (``recognizer=text-emotion-probe``: the MiniLM sentence embedding → a multinomial logistic regression fitted on
    ``emotion_reference``, a table with a ``text`` and an emotion column, e.g. the training split of the dialogue
    corpus the generator imitates, or the folder of a probe fitted with ``emoeval models fit-emotion-probe --model
    text-emotion-probe``; its labels are the reference set's emotions; old name ``text_emotion_accuracy_probe``,
    kept for one release). ``correct`` is 1 when the top label is the sample's ``target_emotion``; its system mean
    is the emotion accuracy of emotional response generation papers (values are comparable only within one
    recognizer — and for the probe one reference set). ``target_probability`` is the recognizer's probability of
    the target; the predicted label is in the ``label`` column. Per system: ``macro_f1`` and ``weighted_f1`` over
    the target emotions present (seeded percentile bootstrap intervals), ``recall`` per target (Wilson interval)
    and the ``confusion`` counts (true class in ``target_emotion``, predicted in ``label``).

    **Range and direction.** correct, target_probability, accuracy, macro_f1, weighted_f1, recall in [0, 1],
    higher is better; confusion counts carry no direction. On MELD dev utterances (1,109, text only) the
    zero-shot recognizer reaches balanced accuracy 0.433 (mean of the ``recall`` rows), macro F1 0.394 and
    weighted F1 0.510 (fine-tuned text models: about 0.6 weighted), so read absolute values as a recognizer's
    opinion, and compare systems — on recall per emotion and macro-F1 when each emotion was asked for equally.
    The probe fitted on MELD dev reaches a weighted F1 of 0.450 in stratified 5-fold cross-validation (0.435
    with the folds grouped by dialogue); fitted on MELD dev and applied to EmoryNLP dev (another corpus, 5 shared
    labels) 0.382 (zero-shot: 0.411) — a probe learns its corpus's label boundaries, which transfer only partly.

    **Needs.** A text response and a ``target_emotion``. An empty or non-UTF-8 response, or a target the
    recognizer cannot output, is a per-sample error; a response beyond 256 word pieces is judged on its
    beginning (with a warning). Parameters: ``recognizer``, a registered ``text-emotion-recognizer`` —
    ``text-emotion-zeroshot`` (default; offline), ``distilroberta-emotion`` (hub plug-in: ``emoeval models pull
    distilroberta-emotion``) or ``text-emotion-probe``; ``emotion_reference`` (run option
    ``--emotion-reference``), required for the probe and ignored (None) for the others. A non-default recognizer
    is named in the metric label, e.g. ``text_emotion_accuracy(recognizer=distilroberta-emotion)``.

    **Source.** Mohammad & Turney (2013) NRC EmoLex; Hutto & Gilbert (2014) VADER; Reimers & Gurevych (2019)
    Sentence-BERT; Poria et al. (2019) MELD (weighted F1); emotion accuracy as in MoEL (Lin et al. 2019) and
    EmpDG (Li et al. 2020); Hartmann (2022) emotion-english-distilroberta-base; Conneau et al. (2018) SentEval
    (probes on frozen embeddings).

    >>> [o.name for o in TextEmotionAccuracy.spec.outputs if o.scope == "system"]
    ['macro_f1', 'weighted_f1', 'recall', 'confusion']
    >>> TextEmotionAccuracy().models, TextEmotionAccuracy(emotion_reference="meld.csv").emotion_reference
    (('text-emotion-zeroshot',), None)
    >>> probe = TextEmotionAccuracy(recognizer="text-emotion-probe", emotion_reference="meld.csv")
    >>> probe.label, probe.models
    ('text_emotion_accuracy(recognizer=text-emotion-probe)', ('all-minilm-l6-v2', 'text-emotion-probe'))
    """

    spec = MetricSpec(
        name="text_emotion_accuracy",
        modality="text",
        scope="sample",
        outputs=(CORRECT, TARGET_PROBABILITY, MACRO_F1, _WEIGHTED_F1, RECALL, CONFUSION),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"target_emotion"}),
        models=(RECOGNIZER,),
        summary="emotion accuracy of text responses by a recognizer (zero-shot, DistilRoBERTa, probe) (+ F1, recall)",
        citation="Mohammad & Turney 2013 (NRC EmoLex); Hutto & Gilbert 2014 (VADER); Poria et al. 2019 (MELD)",
    )
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "text_emotion_accuracy_distilroberta": {"recognizer": DISTILROBERTA},
        "text_emotion_accuracy_probe": {"recognizer": TEXT_PROBE},
    }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels, readings = self._recognize(samples, context)
        scores: list[SampleScore] = []
        for sample, reading in zip(samples, readings, strict=True):
            target = sample.target_emotion
            if isinstance(reading, SampleInputError):
                scores.append(SampleScore.failed(reading))
            elif target not in labels:
                scores.append(SampleScore.failed(not_scorable_message(target, labels)))
            else:
                predicted = reading.predicted
                scores.append(
                    SampleScore(
                        values={
                            "correct": float(predicted == target),
                            "target_probability": reading.probability(target),
                        },
                        label=predicted,
                        warning=_long_text_warning(sample, context),
                    )
                )
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return _summary_with_weighted_f1(self._labels_for_summary(rows), rows, bootstrap)


def _long_text_warning(sample: Sample, context: ScoringContext) -> str | None:
    """U+FFFD or beyond-the-window warnings for a sample's response (cheap: tokenises only long texts)."""
    from emoeval.reference_models.text_embedding import SENTENCE_MODEL, replacement_note, truncation_note

    text = sample.text or ""
    notes = [replacement_note(text)]
    if len(text) > 254:
        notes.append(truncation_note(context.model(SENTENCE_MODEL), {"response": text}))  # type: ignore[arg-type]
    return "; ".join(note for note in notes if note) or None


class TextEmotionAppropriateness(_TextEmotionMetric):
    """Does the response carry the emotion its context calls for? (agreement with an expected-emotion label)

    **Meaning.** For dialogue corpora that annotate what a fitting reply should express given the context
    (a manifest column ``expected_emotion``, e.g. the listener's emotion in an annotated conversation), the
    response's emotion is recognized by the ``recognizer`` as in ``text_emotion_accuracy`` and compared with that
    label: ``agreement`` is 1 when the top label equals it, ``expected_probability`` is the probability of the
    expected emotion. Per system: ``kappa`` (Cohen's κ between recognized and expected labels: agreement
    beyond chance, which plain agreement hides when one emotion dominates), ``macro_f1`` over the expected
    emotions present, ``recall`` per expected emotion and the ``confusion`` counts; in these system rows the
    expected emotion is in the ``target_emotion`` field and the recognized one in ``label``. A sample row's
    ``label`` holds ``<recognized>|<expected>``.

    **Range and direction.** agreement, expected_probability, macro_f1, recall in [0, 1]; kappa in [-1, 1];
    all higher is better; counts carry no direction.

    **Needs.** A text response, its ``context`` and an ``expected_emotion`` column (a declared plain column:
    canonical or common English emotion names). A sample without that column is a per-sample error naming it,
    so the metric is off by default: name it (``--metrics text_emotion_appropriateness``) for manifests that have
    the column. An expected emotion the recognizer cannot output is "not scorable". Parameters: ``recognizer``
    and ``emotion_reference`` as for ``text_emotion_accuracy`` (default ``text-emotion-zeroshot``; a non-default
    one is named in the label, e.g. ``text_emotion_appropriateness(recognizer=distilroberta-emotion)``).

    **Source.** Emotion appropriateness of empathetic responses (Rashkin et al. 2019, EmpatheticDialogues;
    Lin et al. 2019, MoEL); Cohen (1960) for κ.

    >>> TextEmotionAppropriateness.spec.headline.name, TextEmotionAppropriateness.run_by_default
    ('agreement', False)
    >>> TextEmotionAppropriateness.spec.input("expected_emotion").required
    False
    """

    run_by_default = False
    spec = MetricSpec(
        name="text_emotion_appropriateness",
        modality="text",
        scope="sample",
        outputs=(
            Output("agreement", higher_is_better=True, range=(0.0, 1.0), description="top label = expected emotion"),
            Output(
                "expected_probability",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="recognizer's probability of the expected emotion",
            ),
            Output(
                "kappa",
                higher_is_better=True,
                range=(-1.0, 1.0),
                description="Cohen's kappa, recognized vs expected labels",
                scope="system",
            ),
            MACRO_F1,
            RECALL,
            CONFUSION,
        ),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"context"}),
        models=(RECOGNIZER,),
        summary="agreement of the response's recognized emotion with the emotion expected from the context",
        citation="Rashkin et al. 2019 (EmpatheticDialogues); Lin et al. 2019 (MoEL); Cohen 1960 (kappa)",
        inputs=(
            # optional for the planner: a sample without it gets an error row naming the column (not a silent skip)
            Input(
                EXPECTED_EMOTION_KEY,
                media=None,
                required=False,
                description="the emotion a fitting response should carry, given its context (manifest column)",
            ),
        ),
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels, readings = self._recognize(samples, context)
        scores: list[SampleScore] = []
        for sample, reading in zip(samples, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores.append(SampleScore.failed(reading))
                continue
            try:
                expected = expected_emotion(sample)
            except SampleInputError as exc:
                scores.append(SampleScore.failed(exc))
                continue
            if expected not in labels:
                scores.append(SampleScore.failed(not_scorable_message(expected, labels)))
                continue
            predicted = reading.predicted
            scores.append(
                SampleScore(
                    values={
                        "agreement": float(predicted == expected),
                        "expected_probability": reading.probability(expected),
                    },
                    # the label column carries "<predicted>|<expected>" so summarize can pair them
                    label=f"{predicted}|{expected}",
                    warning=_long_text_warning(sample, context),
                )
            )
        return scores

    def _labels_for_summary(self, rows: pd.DataFrame) -> list[str]:
        if self._labels is not None:
            return list(self._labels)
        # a probe whose every verdict came from the cache: the labels its "<recognized>|<expected>" rows name
        return sorted({part for label in rows["label"].dropna() for part in str(label).split("|", 1)})

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        scored = rows[(rows["sub_metric"] == "agreement") & rows["error"].isna() & rows["label"].notna()]
        pairs = [str(label).split("|", 1) for label in scored["label"]]
        predicted = [p for p, _ in pairs]
        expected = [e for _, e in pairs]
        if not pairs:
            return [SystemValue("kappa", math.nan, n=0, error="no sample of this system could be scored (see errors)")]
        # the shared summary reads (target_emotion, label) as (truth, prediction): hand it (expected, predicted)
        frame = scored.assign(sub_metric="correct", target_emotion=expected, label=predicted)
        values = accuracy_summary(frame, self._labels_for_summary(rows), bootstrap)
        kappa = cohen_kappa(predicted, expected)
        low, high = _kappa_interval(predicted, expected, bootstrap)
        return [SystemValue("kappa", kappa, low, high, n=len(pairs)), *values]


def _kappa_interval(predicted: list[str], expected: list[str], bootstrap: BootstrapSettings) -> tuple[float, float]:
    from emoeval.stats.aggregate import bootstrap_corpus

    if len(predicted) < 2:
        return math.nan, math.nan

    def compute(indices: Sequence[int]) -> dict[str, float]:
        return {"kappa": cohen_kappa([predicted[i] for i in indices], [expected[i] for i in indices])}

    estimate = bootstrap_corpus(
        list(range(len(predicted))),
        compute,
        confidence=bootstrap.confidence,
        n_resamples=bootstrap.n_resamples,
        seed=bootstrap.seed,
    )["kappa"]
    return estimate.ci_low, estimate.ci_high


__all__ = [
    "DISTILROBERTA",
    "EXPECTED_EMOTION_KEY",
    "RECOGNIZER",
    "TEXT_PROBE",
    "TextEmotionAccuracy",
    "TextEmotionAppropriateness",
    "cohen_kappa",
    "expected_emotion",
    "macro_f1_with_ci",
    "response_text",
    "weighted_f1",
]
