"""Emotion content of generated physiological signals: does a recognizer fitted on real recordings read the intended
emotion, arousal and valence in them?

Two metrics, one recognizer (``recognizer=``, a registered ``signal-emotion-recognizer``; read through the
emotion-recognizer interface of every modality, :func:`emoeval.reference_models.recognition.recognize`):

- ``signal_emotion_accuracy`` — the sample's ``target_emotion`` against the recognizer's top emotion;
- ``signal_arousal_valence_accuracy`` — the intended binary arousal and valence (``low``/``high``) against the
  classes the recognizer's probabilities give (:mod:`emoeval.functional.affect_classes`), the field's usual
  report for physiological emotion (DEAP, DREAMER, AMIGOS: binary arousal and valence accuracy).

The recognizers are emoeval's physiological probes (:mod:`emoeval.reference_models.signal_emotion`):
``signal-emotion-probe`` (default; ECG/EDA/respiration descriptors) or ``signal-eeg-emotion-probe`` (EEG
descriptors), fitted on the **labelled reference set of real recordings** given as ``emotion_reference=``
(``--emotion-reference``) — fitted on the fly, found in the cache, or read from a probe folder fitted with
``emoeval models fit-emotion-probe SET --model signal-emotion-probe --out DIR``. Without it these metrics are
left out of default runs. Every system also gets the probe's cross-validated scores on its reference set
(``reference_cv_*``, statistic ``reference_set``): the ceiling every accuracy here is read against. Verdicts are
not cached (``cache_scores = False``): they are a matrix product over the descriptors, which *are* cached, and
recomputing them keeps the probe's cross-validation rows in every run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.functional.affect_classes import (
    AROUSAL,
    CLASSES,
    DIMENSIONS,
    HIGH,
    LOW,
    VALENCE,
    Dimension,
    class_of,
    high_probability,
    is_class_code,
    predicted_class,
    rating_class,
)
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics.emotion_scores import ACCURACY_OUTPUTS, accuracy_summary, labels_seen, not_scorable_message
from emoeval.reference_models.recognition import Recognition, recognize, recognizer

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

PROBE = "signal-emotion-probe"
EEG_PROBE = "signal-eeg-emotion-probe"
FEATURES = "signal-descriptors-peripheral"
#: the role of the models a ``recognizer=`` parameter accepts
RECOGNIZER_ROLE = "signal-emotion-recognizer"
#: manifest columns stating a generated sample's intended class (``low``/``high``; valence also negative/positive)
TARGET_COLUMNS: Mapping[str, str] = {AROUSAL: "target_arousal", VALENCE: "target_valence"}
_CITATION = (
    "Koelstra et al. 2012 (DEAP: binary arousal/valence classification, IEEE TAC 3(1)); Katsigiannis & Ramzan "
    "2018 (DREAMER); Schmidt et al. 2018 (WESAD); Russell 1980 (circumplex); probe protocol as in speech and text"
)


def _cv_output(name: str, description: str) -> Output:
    return Output(name, higher_is_better=None, range=(0.0, 1.0), description=description, scope="system")


_EMOTION_CV = (
    ("reference_cv_accuracy", "accuracy", "the probe's cross-validated accuracy on its reference set (ceiling)"),
    ("reference_cv_macro_f1", "macro_f1", "the probe's cross-validated macro-F1 on its reference set"),
    ("reference_cv_chance", "chance_majority", "majority-class share of the reference set (chance accuracy)"),
)
_AFFECT_CV = tuple(
    (f"reference_cv_{dimension}_{key}", dimension, key, f"the probe's cross-validated {dimension} {text}")
    for dimension in DIMENSIONS
    for key, text in (
        ("accuracy", "accuracy on its reference set (ceiling)"),
        ("macro_f1", "macro-F1 on its reference set"),
        ("chance", "chance (majority class share) on its reference set"),
    )
)


class _SignalEmotionMetric(SampleMetric):
    """Shared: the recognizer (a registry name), the emotion reference a probe recognizer is fitted on, the models
    this instance reads, the recognizer's labels and its probe's report (captured while scoring).

    ``emotion_reference`` is required when the recognizer is an emotion probe (fitted before the run by
    :func:`~emoeval.reference_models.emotion_probe.attach_emotion_probes`) and ignored (kept as None) for a
    recognizer with weights of its own.
    """

    batch_size = 32
    cache_scores = False  # see the module docstring
    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}

    def __init__(self, *, recognizer: str = PROBE, emotion_reference: str | Path | None = None) -> None:
        from emoeval.reference_models.emotion_probe import EmotionProbeModel

        model_class = self.check_model("recognizer", recognizer, RECOGNIZER_ROLE)
        self.recognizer = recognizer
        is_probe = issubclass(model_class, EmotionProbeModel)
        if is_probe and emotion_reference is None:
            raise RunConfigError(
                f"{type(self).spec.name} needs a physiological emotion recognizer fitted on real recordings: give "
                "emotion_reference=<a labelled table (path + emotion, or arousal/valence columns; a subject or group "
                "column) or folder of real recordings, or the folder of a probe fitted with `emoeval models "
                f"fit-emotion-probe SET --model {recognizer}`> (CLI: --emotion-reference)"
            )
        self.emotion_reference = str(emotion_reference) if is_probe else None
        # a probe reads its feature extractors' outputs: they are models of this metric too (cache keys, provenance)
        self._models: tuple[str, ...] = (*model_class.requires, recognizer) if is_probe else (recognizer,)
        self._labels: tuple[str, ...] | None = None
        self._report: Mapping[str, Any] = {}

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    def _load(self, context: ScoringContext) -> tuple[str, ...]:
        model = recognizer(context, self.recognizer)
        self._labels = tuple(model.labels)
        probe = getattr(model, "probe", None)
        self._report = dict(getattr(probe, "report", None) or {})
        return self._labels

    def _recognize(self, context: ScoringContext, items: Sequence[Path]) -> list[Recognition | SampleInputError]:
        labels, readings = recognize(context, self.recognizer, list(items))
        self._labels = labels
        return readings

    def _cv_values(self, entries: Sequence[tuple[str, str, str]], section: Mapping[str, Any]) -> list[SystemValue]:
        values = []
        n = section.get("n")
        for name, key, _ in entries:
            value = section.get(key)
            if isinstance(value, int | float) and math.isfinite(float(value)):
                values.append(SystemValue(name, float(value), n=n, statistic="reference_set"))
        return values


# -- 1. emotion accuracy -------------------------------------------------------------------------------------------


class SignalEmotionAccuracy(_SignalEmotionMetric):
    """Does a recognizer fitted on real recordings read the target emotion in the generated signals?

    **Meaning.** Each generated recording is described by physiological descriptors (``signal-descriptors-
    peripheral``: heart rate and HRV, EDA tonic level and SCRs, respiration rate and amplitude; or the EEG
    descriptors with ``recognizer=signal-eeg-emotion-probe``) and classified by emoeval's physiological
    emotion probe, a multinomial logistic regression fitted on the ``emotion_reference`` set of real recordings
    labelled by emotion (:mod:`emoeval.reference_models.signal_emotion`). ``correct`` is 1 when the probe's top
    emotion is the sample's ``target_emotion``; its system mean is the *emotion accuracy* of the generator (the
    "train on real, test on synthetic" check papers on synthetic ECG/EDA/EEG report with a classifier trained
    on the real corpus). ``target_probability`` is the probe's probability of the target; the predicted label is
    in ``label``. Per system: ``macro_f1`` over the target emotions present (seeded bootstrap interval),
    ``recall`` per target emotion (Wilson interval), ``confusion`` counts (true class in ``target_emotion``,
    predicted in ``label``), and the probe's own cross-validated ``reference_cv_accuracy``,
    ``reference_cv_macro_f1`` and ``reference_cv_chance`` (majority share) on its reference set (statistic
    ``reference_set``; grouped by subject when the set names subjects or groups): a generator cannot be read
    more accurately than real recordings are.

    **Range and direction.** correct, target_probability, accuracy, macro_f1, recall in [0, 1], higher is
    better; confusion counts and the reference-set values have no direction. Chance is about 1/K for K labels
    (``reference_cv_chance`` for an unbalanced reference set). On simulated recordings (neurokit2; "rest" =
    calm vs "arousal" = angry, 8 recordings each, grouped CV) the probe's CV accuracy is near 1, generated
    sets of the intended condition score near 1, and a generator that outputs the other condition near 0
    (``tests/integration/test_signal_emotion.py``).

    **Needs.** A recording in ``path`` and a ``target_emotion``. Parameters: ``recognizer``, a registered
    ``signal-emotion-recognizer`` (``signal-emotion-probe``, the default, or ``signal-eeg-emotion-probe``);
    ``emotion_reference`` (run option ``--emotion-reference``): a labelled set of real recordings (a table with
    ``path`` and ``target_emotion``/``emotion``/``label``, and a ``subject`` or ``group`` column so cross-
    validation keeps a person's recordings together) or a fitted probe's folder. A target the probe cannot say
    (not among its reference set's emotions; or a probe fitted on arousal/valence codes) is a per-sample "not
    scorable" error, never counted as wrong; a recording the descriptors cannot use (a missing channel type,
    too short) is a per-sample error.

    **Source.** Koelstra et al. 2012 (DEAP; physiological emotion classification on hand-crafted features);
    Schmidt et al. 2018 (WESAD); the probe protocol of emoeval's speech and text emotion accuracy.

    >>> metric = SignalEmotionAccuracy(emotion_reference="ref.csv")
    >>> metric.models, metric.label
    (('signal-descriptors-peripheral', 'signal-emotion-probe'), 'signal_emotion_accuracy')
    """

    spec = MetricSpec(
        name="signal_emotion_accuracy",
        modality="signal",
        scope="sample",
        outputs=(*ACCURACY_OUTPUTS, *(_cv_output(name, text) for name, _, text in _EMOTION_CV)),
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        models=(FEATURES, PROBE),
        summary="emotion accuracy of generated physiological signals by a probe fitted on real recordings (+ F1)",
        citation=_CITATION,
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = self._load(context)
        codes = all(is_class_code(label) for label in labels)
        scores: list[SampleScore | None] = [None] * len(samples)
        todo = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in labels:
                todo.append(index)
                continue
            message = not_scorable_message(sample.target_emotion, labels)
            if codes:
                message += " (this probe was fitted on arousal/valence classes: use signal_arousal_valence_accuracy)"
            scores[index] = SampleScore.failed(message)
        readings = self._recognize(context, [samples[i].path for i in todo])  # type: ignore[misc]
        for index, reading in zip(todo, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores[index] = SampleScore.failed(reading)
                continue
            target = samples[index].target_emotion
            assert target is not None
            scores[index] = SampleScore(
                values={
                    "correct": float(reading.predicted == target),
                    "target_probability": reading.probability(target),
                },
                label=reading.predicted,
            )
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        labels = list(self._labels) if self._labels is not None else labels_seen(rows)
        values = accuracy_summary(rows, labels, bootstrap)
        return values + self._cv_values(_EMOTION_CV, self._report.get("cross_validation") or {})


# -- 2. arousal and valence accuracy -------------------------------------------------------------------------------


def intended_class(sample: Sample, dimension: Dimension) -> str | None:
    """The class ``sample`` was generated to have on ``dimension``: its ``target_arousal`` / ``target_valence``
    cell (``low``/``high``; valence also ``negative``/``positive``), else the class of its ``target_emotion``
    (:func:`~emoeval.functional.affect_classes.class_of`), else None. A cell that is not a class raises
    :class:`SampleInputError` naming it."""
    column = TARGET_COLUMNS[dimension]
    value = sample.meta.get(column)
    if value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value).strip():
        try:
            return rating_class(value, dimension)
        except ValueError as exc:
            raise SampleInputError(f"{column}: {exc}") from None
    if sample.target_emotion:
        return class_of(sample.target_emotion, dimension)
    return None


def _affect_outputs() -> tuple[Output, ...]:
    outputs: list[Output] = []
    for dimension in DIMENSIONS:
        outputs += [
            Output(
                f"{dimension}_correct",
                higher_is_better=True,
                range=(0.0, 1.0),
                description=f"predicted {dimension} class = intended (mean: {dimension} accuracy)",
            ),
            Output(
                f"{dimension}_probability",
                higher_is_better=True,
                range=(0.0, 1.0),
                description=f"recognizer's probability of the intended {dimension} class",
            ),
            Output(
                f"{dimension}_intended_high",
                higher_is_better=None,
                range=(0.0, 1.0),
                description=f"1 when the intended {dimension} is high, 0 when low (mean: share of high targets)",
            ),
        ]
    for dimension in DIMENSIONS:
        outputs += [
            Output(
                f"{dimension}_macro_f1",
                higher_is_better=True,
                range=(0.0, 1.0),
                description=f"macro-F1 over the intended {dimension} classes present (bootstrap CI)",
                scope="system",
            ),
            Output(
                f"{dimension}_recall",
                higher_is_better=True,
                range=(0.0, 1.0),
                description=f"per intended {dimension} class (in target_emotion): share read as it (Wilson CI)",
                scope="system",
            ),
        ]
    return (*outputs, *(_cv_output(name, text) for name, _, _, text in _AFFECT_CV))


class SignalArousalValenceAccuracy(_SignalEmotionMetric):
    """Does a recognizer fitted on real recordings read the intended arousal and valence (low/high) in generated
    signals?

    **Meaning.** The field reports physiological emotion as binary arousal and valence (DEAP, DREAMER, AMIGOS:
    self-assessment ratings split at the scale's midpoint). The recording is classified by the physiological
    emotion probe (as in ``signal_emotion_accuracy``); the probe's probabilities over its labels — emotions, or
    the arousal/valence codes ``HAHV``/``HALV``/``LAHV``/``LALV`` when its reference set is labelled by ratings —
    give P(high arousal) and P(high valence): the mass of the labels whose class is high, over the mass of the
    labels with a class on that axis (the circumplex mapping of :mod:`emoeval.functional.affect_classes`: angry,
    fear, disgust → high arousal, low valence; happy, surprise → high, high; sad, boredom → low, low; calm → low
    arousal, high valence; neutral → none). The predicted class is high when that probability exceeds 0.5.
    Per sample and axis: ``<axis>_correct`` (predicted = intended; its mean is the axis accuracy),
    ``<axis>_probability`` (of the intended class) and ``<axis>_intended_high`` (1 = high was intended; its mean
    is the share of high targets, i.e. the chance level's basis). Per system: ``<axis>_macro_f1`` over the
    intended classes present (seeded bootstrap interval), ``<axis>_recall`` per intended class (the class —
    ``low``/``high`` — in the ``target_emotion`` column, Wilson interval), and the probe's cross-validated
    ``reference_cv_<axis>_accuracy``/``_macro_f1``/``_chance`` on its reference set (statistic
    ``reference_set``): the ceiling.

    **Range and direction.** correct, probability, macro-F1 and recall in [0, 1], higher is better; chance is the
    majority share (0.5 for balanced classes); ``intended_high`` and the reference-set values have no direction.
    On simulated recordings ("rest" → calm: low arousal; "arousal" → angry: high arousal) the intended sets
    score near 1 and a generator that outputs the other condition near 0 (integration test). Valence is only
    as good as the reference set makes it: the simulated conditions differ in arousal, and their valence
    classes (calm high, angry low) ride on the same difference.

    **Needs.** A recording in ``path`` and, per axis, the intended class: a ``target_arousal`` /
    ``target_valence`` column (``low``/``high``; valence also ``negative``/``positive``) or else a
    ``target_emotion`` with a class on that axis. An axis without an intended class is left out for that
    sample (a warning); a sample with neither is a per-sample error, as is a recording the probe reads as mostly
    classless (e.g. ``neutral``: less than half its probability on labels with a class) and a target cell that is
    not a class. Parameters as ``signal_emotion_accuracy``.

    **Source.** Koelstra et al. 2012 (DEAP), Katsigiannis & Ramzan 2018 (DREAMER), Miranda-Correa et al. 2021
    (AMIGOS): binary arousal/valence at the rating midpoint; Russell 1980 and Russell & Mehrabian 1977 (the
    circumplex classes of emotions).

    >>> SignalArousalValenceAccuracy(emotion_reference="ref.csv").spec.headline.name
    'arousal_correct'
    """

    spec = MetricSpec(
        name="signal_arousal_valence_accuracy",
        modality="signal",
        scope="sample",
        outputs=_affect_outputs(),
        version="1.0.0",
        inputs=(
            Input("target_emotion", required=False, description="the intended emotion (its circumplex classes)"),
            Input(TARGET_COLUMNS[AROUSAL], required=False, description="the intended arousal: low or high"),
            Input(TARGET_COLUMNS[VALENCE], required=False, description="the intended valence: low or high"),
        ),
        models=(FEATURES, PROBE),
        summary="binary arousal and valence accuracy of generated physiological signals (probe on real recordings)",
        citation=_CITATION,
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = self._load(context)
        scores: list[SampleScore | None] = [None] * len(samples)
        targets: dict[int, dict[str, str | None]] = {}
        for index, sample in enumerate(samples):
            try:
                wanted = {dimension: intended_class(sample, dimension) for dimension in DIMENSIONS}
            except SampleInputError as exc:
                scores[index] = SampleScore.failed(exc)
                continue
            if all(value is None for value in wanted.values()):
                scores[index] = SampleScore.failed(
                    f"not scorable: no intended arousal or valence (give {TARGET_COLUMNS[AROUSAL]}/"
                    f"{TARGET_COLUMNS[VALENCE]} low/high, or a target_emotion with a class on either axis; "
                    f"{sample.target_emotion!r} has none)"
                )
                continue
            targets[index] = wanted
        todo = sorted(targets)
        readings = self._recognize(context, [samples[i].path for i in todo])  # type: ignore[misc]
        for index, reading in zip(todo, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores[index] = SampleScore.failed(reading)
                continue
            values: dict[str, float] = {}
            notes: list[str] = []
            for dimension, target in targets[index].items():
                if target is None:
                    notes.append(f"no intended {dimension}")
                    continue
                try:
                    p_high = high_probability(reading.probabilities, labels, dimension)  # type: ignore[arg-type]
                except SampleInputError as exc:
                    notes.append(str(exc))
                    continue
                values[f"{dimension}_correct"] = float(predicted_class(p_high) == target)
                values[f"{dimension}_probability"] = p_high if target == HIGH else 1.0 - p_high
                values[f"{dimension}_intended_high"] = float(target == HIGH)
            if not values:
                scores[index] = SampleScore.failed("; ".join(notes))
            else:
                scores[index] = SampleScore(values=values, warning="; ".join(notes) or None)
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        from statsmodels.stats.proportion import proportion_confint

        from emoeval.metrics.emotion_scores import macro_f1_with_ci

        scored = rows[rows["error"].isna()]
        values: list[SystemValue] = []
        affect = self._report.get("affect_cross_validation") or {}
        for dimension in DIMENSIONS:
            wide = scored.pivot_table(index="sample_id", columns="sub_metric", values="value", aggfunc="first")
            correct, intended = f"{dimension}_correct", f"{dimension}_intended_high"
            if correct in wide.columns and intended in wide.columns:
                both = wide[[correct, intended]].dropna()
                truth = [HIGH if high == 1.0 else LOW for high in both[intended]]
                other = {HIGH: LOW, LOW: HIGH}
                predicted = [t if hit == 1.0 else other[t] for t, hit in zip(truth, both[correct], strict=True)]
                if truth:
                    value, low, high = macro_f1_with_ci(
                        truth,
                        predicted,
                        confidence=bootstrap.confidence,
                        n_resamples=bootstrap.n_resamples,
                        seed=bootstrap.seed,
                    )
                    values.append(SystemValue(f"{dimension}_macro_f1", value, low, high, n=len(truth)))
                    for cls in CLASSES:
                        n_cls = truth.count(cls)
                        if not n_cls:
                            continue
                        hits = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
                        ci_low, ci_high = proportion_confint(
                            hits, n_cls, alpha=1.0 - bootstrap.confidence, method="wilson"
                        )
                        values.append(
                            SystemValue(
                                f"{dimension}_recall",
                                hits / n_cls,
                                float(ci_low),
                                float(ci_high),
                                n=n_cls,
                                target_emotion=cls,
                            )
                        )
            section = dict(affect.get(dimension) or {})
            section["chance"] = section.get("chance_majority")
            values += self._cv_values(
                [(name, key, text) for name, axis, key, text in _AFFECT_CV if axis == dimension], section
            )
        return values


__all__ = [
    "EEG_PROBE",
    "PROBE",
    "RECOGNIZER_ROLE",
    "TARGET_COLUMNS",
    "SignalArousalValenceAccuracy",
    "SignalEmotionAccuracy",
    "intended_class",
]
