"""Emotion intensity of generated faces, and how well it follows a requested intensity (shared logic:
:mod:`emoeval.metrics.intensity`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.metric import Input, MetricSpec, Output, SampleScore, SystemValue
from emoeval.metrics.face.emotion import RECOGNIZER, RECOGNIZER_ROLE, _RecognizerMetric
from emoeval.metrics.intensity import (
    AROUSAL,
    CONTROL_OUTPUTS,
    INTENSITY,
    MARGIN,
    REQUESTED,
    VALENCE,
    checked_control_output,
    controllability_values,
    intensity_target_error,
    recognizer_values,
)

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

FEATURES = "fer-mini-xception-features"
FEATURES_ROLE = "face-expression-features"
DISPLACEMENT = Output(
    "displacement",
    higher_is_better=None,
    range=(0.0, 2.0),
    description="cosine distance of the expression features from the source face's (0 = unchanged)",
)


class FaceEmotionIntensity(_RecognizerMetric):
    """How strongly a generated face shows its target emotion, and whether that follows the requested intensity.

    **Meaning.** Per face: ``intensity`` = the ``recognizer``'s probability of the target emotion (FER2013
    mini-Xception by default); ``margin`` = that minus the largest other probability; ``valence`` / ``valence`` /
    ``arousal`` = the recognizer's distribution on the valence / arousal axes through category anchors (Russell &
    Mehrabian 1977; a proxy); and, when the sample has a ``reference`` (the source face it was edited from),
    ``displacement`` = cosine distance between the output's and the source's expression features (the FER network's
    128-d penultimate features, ``embedder``): how far the expression moved, whatever the label. With a requested
    ``intensity`` in the manifest: ``requested_intensity`` per sample and, per system and per target emotion,
    ``control_spearman`` / ``control_kendall`` (requested vs the ``control_output``, bootstrap intervals over
    sources), ``control_violation_rate`` and the ``control_curve`` (level in ``label``).

    **Range and direction.** intensity [0, 1] and margin [−1, 1], higher = stronger emotion; valence, arousal [−1, 1]
    and displacement [0, 2] carry no direction. Control correlations [−1, 1], higher = better control
    (≈ 0: the intensity knob changes nothing the recognizer sees); violation rate [0, 1], lower is better
    (≈ 0.5 for a knob that does nothing). On the London set, a neutral → smiling edit moves the features by
    about 0.3–0.6 and a copy of the source by 0 (see the integration tests).

    **Needs.** A face (``path``) and a ``target_emotion`` among the recognizer's labels (others: "not scorable"; a
    neutral target gets valence, arousal and the modality evidence, no intensity or margin). Optional: ``reference``
    (source face), ``intensity`` (requested level: a number; ordinal levels as 1, 2, 3).

    **Source.** Recognizer confidence as expression intensity as in ExprGAN (Ding et al. 2018, AAAI) and
    GANimation (Pumarola et al. 2018); arousal anchors: Russell & Mehrabian (1977), J. Res. Personality 11.

    >>> FaceEmotionIntensity().models
    ('yunet-face-detector', 'fer-mini-xception', 'fer-mini-xception-features')
    """

    spec = MetricSpec(
        name="face_emotion_intensity",
        modality="face",
        scope="sample",
        outputs=(INTENSITY, MARGIN, VALENCE, AROUSAL, DISPLACEMENT, REQUESTED, *CONTROL_OUTPUTS),
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        inputs=(
            Input("reference", "face", required=False, description="the source face the output was edited from"),
            Input("intensity", required=False, description="the requested intensity (a number)"),
        ),
        models=("yunet-face-detector", RECOGNIZER, FEATURES),
        summary="emotion intensity of faces (recognizer confidence, expression displacement) and its control",
        citation="Ding et al. 2018 (ExprGAN); Russell & Mehrabian 1977 (arousal anchors)",
    )
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE, "embedder": FEATURES_ROLE}

    def __init__(
        self, *, recognizer: str = RECOGNIZER, embedder: str = FEATURES, control_output: str = "intensity"
    ) -> None:
        super().__init__(recognizer=recognizer)
        features_class = self.check_model("embedder", embedder)
        self.embedder = embedder
        self._models = (*self._models, *(m for m in (*features_class.requires, embedder) if m not in self._models))
        self.control_output = checked_control_output(
            self.spec.name,
            control_output,
            {o.name for o in self.spec.outputs if o.scope == "sample"} - {REQUESTED.name},
        )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = self._recognizer_labels(context)
        scores: list[SampleScore | None] = [None] * len(samples)
        todo: list[int] = []
        for index, sample in enumerate(samples):
            error = intensity_target_error(sample.target_emotion, labels)
            if error is None:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(error)
        readings = self._recognize(context, [samples[i].path for i in todo]) if todo else []  # type: ignore[misc]
        displacement = self._displacements(context, [samples[i] for i in todo])
        for index, reading, moved in zip(todo, readings, displacement, strict=True):
            sample = samples[index]
            if isinstance(reading, SampleInputError):
                scores[index] = SampleScore.failed(reading)
                continue
            target = str(sample.target_emotion)
            values, warning = recognizer_values(reading, target)
            if isinstance(moved, SampleInputError):
                warning = f"reference: {moved}; displacement left out"
            elif moved is not None:
                values["displacement"] = moved
            if sample.intensity is not None:
                values["requested_intensity"] = float(sample.intensity)
            scores[index] = SampleScore(values=values, label=reading.predicted, warning=warning)
        return [score for score in scores if score is not None]

    def _displacements(self, context: ScoringContext, samples: Sequence[Sample]) -> list[Any]:
        """Cosine distance of each output's expression features from its reference's (None without one)."""
        with_reference = [i for i, s in enumerate(samples) if s.reference is not None]
        found: list[Any] = [None] * len(samples)
        if not with_reference:
            return found
        items: list[Path] = [samples[i].path for i in with_reference]  # type: ignore[misc]
        items += [Path(samples[i].reference) for i in with_reference]  # type: ignore[arg-type]
        outputs = context.outputs(self.embedder, items)
        half = len(with_reference)
        for k, index in enumerate(with_reference):
            out, ref = outputs[k], outputs[half + k]
            if isinstance(out, SampleInputError) or isinstance(ref, SampleInputError):
                found[index] = out if isinstance(out, SampleInputError) else ref
                continue
            a, b = np.asarray(out, dtype=np.float64).ravel(), np.asarray(ref, dtype=np.float64).ravel()
            norms = float(np.linalg.norm(a) * np.linalg.norm(b))
            found[index] = 1.0 - float(a @ b) / norms if norms > 0 else SampleInputError("zero feature vector")
        return found

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return controllability_values(rows, self.control_output, bootstrap)


__all__ = ["FaceEmotionIntensity"]
