"""Emotion probes for physiological signals: descriptors of ECG, EDA and respiration (or EEG) → emotion, arousal and
valence, fitted on a labelled set of real recordings the user names.

No physiological emotion recognizer ships with weights anyone may redistribute, and the corpora (DEAP, DREAMER,
AMIGOS, WESAD) cannot be bundled, so emoeval builds the recognizer the way the field's papers do: a classifier
on hand-crafted physiological features, fitted on a real labelled corpus, then applied to generated signals
(e.g. Koelstra et al. 2012 for DEAP; Schmidt et al. 2018 for WESAD). The recipe is emoeval's emotion probe
(:mod:`emoeval.reference_models.emotion_probe`: standardisation, multinomial logistic regression, cross-
validation, an artefact without pickle, fitting on the fly with ``--emotion-reference``):

- ``signal-emotion-probe`` (:class:`SignalEmotionProbe`) reads ``signal-descriptors-peripheral`` (heart rate and
  HRV, EDA tonic level and SCRs, respiration rate and amplitude: :mod:`emoeval.reference_models.
  signal_descriptors`);
- ``signal-eeg-emotion-probe`` (:class:`SignalEEGEmotionProbe`) reads ``signal-descriptors-eeg`` (band powers,
  frontal alpha asymmetry, 1/f slope).

**The labelled set** (a table: CSV, JSONL or Parquet; or a folder ``<emotion>/<file>``) names each recording
(``path`` or ``file`` column) and labels it in one of two ways:

- by **emotion** (``target_emotion``, ``emotion`` or ``label``: the label vocabulary of :mod:`emoeval.labels`);
  arousal and valence then follow from the emotions through the circumplex mapping of
  :mod:`emoeval.functional.affect_classes` (angry, fear → high arousal, low valence; happy → high, high; sad,
  boredom → low, low; calm → low arousal, high valence; neutral → none);
- by **arousal and/or valence** (columns ``arousal`` and ``valence``, without an emotion column): ``low`` /
  ``high`` (valence also ``negative`` / ``positive``), or self-assessment ratings, split at the scale's
  midpoint when ``label_set`` (``--label-set``) names the corpus: ``deap`` or ``amigos`` (1–9, high above 5),
  ``dreamer`` (1–5, high above 3). The probe is then fitted on the field's class codes — the quadrants ``HAHV``,
  ``HALV``, ``LAHV``, ``LALV`` with both columns, ``HA``/``LA`` or ``HV``/``LV`` with one — and says nothing
  about emotion categories. Every row needs a class on every column given.

Recordings of one person must never be split between training and test folds: a ``subject`` (or
``participant``, ``speaker``) column gives leave-one-subject-out cross-validation (reported as "leave-one-
speaker-out": the subject plays the speaker's part), a ``group`` column grouped stratified k-fold; without
either, items are taken as independent (only right for one recording per person). For WESAD, label the
baseline ``arousal=low`` and the stress condition ``arousal=high`` (its amusement condition has no agreed
place on the arousal axis: leave it out, or label it ``happy`` in an emotion column of its own set).

**Cross-validation on the two axes.** Besides the probe's own scores (accuracy, macro-F1, chance levels over
its labels), fitting reports binary arousal and valence accuracy, macro-F1 and chance from the same out-of-
fold probabilities (``affect_cross_validation`` in ``probe.json``; :func:`affect_cross_validation`), which is
the ceiling against which a generator's arousal/valence accuracy reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import ManifestError, SampleInputError
from emoeval.functional.affect_classes import (
    AROUSAL,
    CLASSES,
    DIMENSIONS,
    RATING_SCALES,
    VALENCE,
    class_code,
    class_of,
    high_probability,
    predicted_class,
    rating_class,
)
from emoeval.media.types import SignalMedia
from emoeval.reference_models.emotion_probe import (
    GROUP_COLUMNS,
    LABEL_COLUMNS,
    PATH_COLUMNS,
    SPEAKER_COLUMNS,
    EmotionProbe,
    EmotionProbeModel,
    LabelledItem,
    ProbeSettings,
    _cell,
    _first,
    read_labelled_set,
)
from emoeval.reference_models.store import ModelCard

if TYPE_CHECKING:
    from emoeval.context import ScoringContext

PERIPHERAL_FEATURES = "signal-descriptors-peripheral"
EEG_FEATURES = "signal-descriptors-eeg"
#: the role of the models a signal metric's ``recognizer=`` accepts
RECOGNIZER_ROLE = "signal-emotion-recognizer"
#: columns of a labelled table holding the arousal / valence class or rating, first match wins
AROUSAL_COLUMNS: tuple[str, ...] = ("arousal",)
VALENCE_COLUMNS: tuple[str, ...] = ("valence",)
#: the person a recording comes from (cross-validation leaves one out at a time), first match wins
SUBJECT_COLUMNS: tuple[str, ...] = (*SPEAKER_COLUMNS, "subject", "subject_id", "participant", "participant_id")
_TABLE_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})
_INSTALL = (
    "fit one with `emoeval models fit-emotion-probe SET --model {name} --out DIR` and pass --weights {name}=DIR "
    "(or --emotion-reference DIR), or let `emoeval score ... --emotion-reference SET` fit it"
)
_LICENSE = "MIT (emoeval); the probe inherits the terms of the reference set it was fitted on"
_CITATION = (
    "probe on physiological features as in Koelstra et al. 2012 (DEAP, IEEE TAC 3(1)) and Schmidt et al. 2018 "
    "(WESAD, ICMI); arousal/valence classes: Russell 1980, Russell & Mehrabian 1977"
)


def read_signal_reference(
    source: str | Path,
    *,
    suffixes: frozenset[str] | None = None,
    modality: str | None = "signal",
    label_set: str | None = None,
) -> list[LabelledItem]:
    """The items of a labelled set of recordings (module docstring): emotion labels, or arousal/valence class codes.

    ``label_set`` names the corpus whose emotion codes the emotion column uses, or (``deap``, ``amigos``,
    ``dreamer``) the rating scale of the arousal/valence columns. A subject column becomes the items' speaker
    (leave-one-subject-out cross-validation). A folder is read as ``<emotion>/<file>`` (no subjects), keeping files
    with one of ``suffixes`` (default: the signal media type's).
    """
    import pandas as pd

    from emoeval.errors import UnknownLabelError
    from emoeval.labels import normalize_label

    scale = RATING_SCALES.get(label_set.lower()) if label_set else None
    emotion_set = None if scale is not None else label_set
    root = Path(source).expanduser()
    if not root.is_file() or root.suffix.lower() not in _TABLE_SUFFIXES:
        wanted = SignalMedia.suffixes if suffixes is None else suffixes
        return read_labelled_set(root, suffixes=wanted, modality=modality, label_set=emotion_set)
    suffix = root.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(root, dtype=str, keep_default_na=False, na_values=[""])
        elif suffix in {".jsonl", ".ndjson"}:
            frame = pd.read_json(root, lines=True, dtype=False)
        else:
            frame = pd.read_parquet(root)
    except (ValueError, OSError) as exc:
        raise ManifestError(f"{root}: cannot be read as a table ({exc})") from None
    columns = [str(c) for c in frame.columns]
    path_column, label_column = _first(columns, PATH_COLUMNS), _first(columns, LABEL_COLUMNS)
    arousal_column, valence_column = _first(columns, AROUSAL_COLUMNS), _first(columns, VALENCE_COLUMNS)
    subject_column, group_column = _first(columns, SUBJECT_COLUMNS), _first(columns, GROUP_COLUMNS)
    modality_column = _first(columns, ("modality",))
    if path_column is None or (label_column is None and arousal_column is None and valence_column is None):
        raise ManifestError(
            f"{root}: a labelled set of recordings needs a file column ({' or '.join(PATH_COLUMNS)}) and an emotion "
            f"column ({' or '.join(LABEL_COLUMNS)}) or arousal/valence columns (low/high, or ratings with "
            f"--label-set {'|'.join(RATING_SCALES)}); it has {columns}"
        )
    items: list[LabelledItem] = []
    for number, row in enumerate(frame.to_dict(orient="records"), start=2 if suffix == ".csv" else 1):
        if modality and modality_column and _cell(row.get(modality_column)) not in (None, modality):
            continue
        where = f"{root}, row {number}"
        if label_column is not None:
            raw = _cell(row.get(label_column))
            if raw is None:
                raise ManifestError(f"{where}: no emotion label; every reference item needs one")
            try:
                label = normalize_label(raw, emotion_set)
            except UnknownLabelError as exc:
                raise UnknownLabelError(f"{where}: {exc}") from None
        else:
            found: dict[str, str | None] = {}
            for dimension, column in ((AROUSAL, arousal_column), (VALENCE, valence_column)):
                if column is None:
                    found[dimension] = None
                    continue
                try:
                    value = rating_class(row.get(column), dimension, scale=scale)  # type: ignore[arg-type]
                except ValueError as exc:
                    raise ManifestError(f"{where}: {exc}") from None
                if value is None:
                    raise ManifestError(f"{where}: no {dimension} value; every item needs one in column {column!r}")
                found[dimension] = value
            label = class_code(found[AROUSAL], found[VALENCE])
        file = _cell(row.get(path_column))
        if file is None:
            raise ManifestError(f"{where}: no recording in column {path_column!r}")
        path = Path(file).expanduser()
        items.append(
            LabelledItem(
                label=label,
                path=path if path.is_absolute() else root.parent / path,
                speaker=_cell(row.get(subject_column)) if subject_column else None,
                group=_cell(row.get(group_column)) if group_column else None,
            )
        )
    if not items:
        raise ManifestError(f"{root}: no reference item" + (f" of modality {modality!r}" if modality else ""))
    return items


def affect_cross_validation(
    true_labels: Sequence[str], labels: Sequence[str], oof_probabilities: Sequence[Sequence[float]]
) -> dict[str, dict[str, Any]]:
    """Binary arousal and valence scores of a probe's out-of-fold probabilities (over ``labels``) against the
    items' own labels (``true_labels``: emotions or class codes), per axis on which some item has a class.

    An item counts on an axis when its label has a class there; its predicted class is :func:`predicted_class`
    of :func:`high_probability` (an item whose probability lies mostly on labels without a class counts as not
    scorable). Per axis: ``n``, ``not_scorable``, ``accuracy``, ``macro_f1`` and ``balanced_accuracy`` over the
    classes present, ``chance_majority`` (share of the larger class), ``per_class`` counts and ``recall``.
    """
    from emoeval.functional.emotion import macro_f1, per_class_recall

    report: dict[str, dict[str, Any]] = {}
    for dimension in DIMENSIONS:
        truth, predicted, not_scorable = [], [], 0
        for label, row in zip(true_labels, oof_probabilities, strict=True):
            target = class_of(label, dimension)
            if target is None:
                continue
            try:
                p_high = high_probability(row, labels, dimension)
            except SampleInputError:
                not_scorable += 1
                continue
            truth.append(target)
            predicted.append(predicted_class(p_high))
        if not truth:
            continue
        present = [c for c in CLASSES if c in truth]
        recall = per_class_recall(truth, predicted, present)
        counts = {c: truth.count(c) for c in present}
        report[dimension] = {
            "n": len(truth),
            "not_scorable": not_scorable,
            "accuracy": float(np.mean([t == p for t, p in zip(truth, predicted, strict=True)])),
            "macro_f1": macro_f1(truth, predicted, present),
            "balanced_accuracy": float(np.mean(list(recall.values()))),
            "chance_majority": max(counts.values()) / len(truth),
            "per_class": counts,
            "recall": recall,
        }
    return report


class _SignalEmotionProbe(EmotionProbeModel):
    """The probe recipe for recordings (module docstring); subclasses name the descriptor model."""

    modality = "signal"
    item_suffixes = SignalMedia.suffixes

    def outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """As :meth:`EmotionProbeModel.outputs`; an item with a non-finite descriptor is a per-item error."""
        per_model = [context.outputs(name, list(items)) for name in self.requires]
        results: list[np.ndarray | SampleInputError] = []
        for index, item in enumerate(items):
            parts = [outputs[index] for outputs in per_model]
            failed = next((part for part in parts if isinstance(part, SampleInputError)), None)
            if failed is not None:
                results.append(failed)
                continue
            vector = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])[None]
            if not np.isfinite(vector).all():  # NaN probabilities would read as the first label (argmax)
                names = ", ".join(self.requires)
                results.append(SampleInputError(f"{item}: {names} gave non-finite values; the probe cannot read them"))
                continue
            results.append(self._outputs(vector)[0])
        return results

    @classmethod
    def read_reference(cls, source: str | Path, *, label_set: str | None = None) -> list[LabelledItem]:
        return read_signal_reference(source, suffixes=cls.item_suffixes, modality=cls.modality, label_set=label_set)

    @classmethod
    def fit(
        cls,
        items: Sequence[LabelledItem],
        context: ScoringContext,
        *,
        settings: ProbeSettings | None = None,
        source: str = "",
    ) -> tuple[EmotionProbe, list[tuple[LabelledItem, str]], list[LabelledItem]]:
        """The probe of :meth:`EmotionProbeModel.fit` (which drops items with non-finite descriptors, such as a
        recording too short for a frequency-domain HRV measure), its report extended with the arousal and valence
        scores of its cross-validation (:func:`affect_cross_validation`)."""
        probe, dropped, used = super().fit(items, context, settings=settings, source=source)
        cv = probe.report.get("cross_validation")
        if cv:
            affect = affect_cross_validation([item.label for item in used], cv["labels"], cv["oof_probabilities"])
            probe = replace(probe, report={**probe.report, "affect_cross_validation": affect})
        return probe, dropped, used


SIGNAL_PROBE_CARD = ModelCard(
    name="signal-emotion-probe",
    version="peripheral-descriptors",
    files=(),
    summary=(
        "physiological emotion probe fitted by emoeval on a labelled reference set (ECG/EDA/respiration descriptors "
        "→ multinomial logistic regression; emotions, or arousal/valence classes); one artefact per reference set"
    ),
    license=_LICENSE,
    citation=_CITATION,
    install_hint=_INSTALL.format(name="signal-emotion-probe"),
    roles=(RECOGNIZER_ROLE,),
)

SIGNAL_EEG_PROBE_CARD = ModelCard(
    name="signal-eeg-emotion-probe",
    version="eeg-descriptors",
    files=(),
    summary=(
        "EEG emotion probe fitted by emoeval on a labelled reference set (band powers, frontal alpha asymmetry, "
        "1/f slope → multinomial logistic regression); one artefact per reference set"
    ),
    license=_LICENSE,
    citation=_CITATION,
    install_hint=_INSTALL.format(name="signal-eeg-emotion-probe"),
    roles=(RECOGNIZER_ROLE,),
)


class SignalEmotionProbe(_SignalEmotionProbe):
    """The peripheral-signal probe: ``signal-descriptors-peripheral`` → probabilities over the reference set's
    emotions (or arousal/valence codes). Output: [K probabilities ‖ standardised descriptors].

    A ``signal-emotion-recognizer``: the default ``recognizer=`` of ``signal_emotion_accuracy`` and
    ``signal_arousal_valence_accuracy`` (with ``emotion_reference=``, the set it is fitted on)."""

    card = SIGNAL_PROBE_CARD
    requires: ClassVar[tuple[str, ...]] = (PERIPHERAL_FEATURES,)


class SignalEEGEmotionProbe(_SignalEmotionProbe):
    """The EEG probe: ``signal-descriptors-eeg`` → probabilities over the reference set's emotions (or
    arousal/valence codes); ``recognizer=signal-eeg-emotion-probe`` of the signal emotion metrics."""

    card = SIGNAL_EEG_PROBE_CARD
    requires: ClassVar[tuple[str, ...]] = (EEG_FEATURES,)


__all__ = [
    "AROUSAL_COLUMNS",
    "EEG_FEATURES",
    "PERIPHERAL_FEATURES",
    "RECOGNIZER_ROLE",
    "SIGNAL_EEG_PROBE_CARD",
    "SIGNAL_PROBE_CARD",
    "SUBJECT_COLUMNS",
    "VALENCE_COLUMNS",
    "SignalEEGEmotionProbe",
    "SignalEmotionProbe",
    "affect_cross_validation",
    "read_signal_reference",
]
