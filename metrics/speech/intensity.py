"""Emotion intensity of generated speech, and how well it follows a requested intensity (shared logic:
:mod:`emoeval.metrics.intensity`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.errors import SampleInputError
from emoeval.metric import Input, MetricSpec, Output, SampleScore, SystemValue
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
from emoeval.metrics.speech.emotion import PROBE, PROBE_MODELS, _SpeechEmotionMetric, arousal_proxies

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

AROUSAL_PROXY = Output(
    "arousal_proxy",
    higher_is_better=None,
    range=(-math.inf, math.inf),
    description="prosodic arousal proxy standardised on the probe's reference set (0 = its average)",
)


class SpeechEmotionIntensity(_SpeechEmotionMetric):
    """How strongly generated speech carries its target emotion, and whether that follows the requested intensity.

    **Meaning.** Per recording: ``intensity`` = the ``recognizer``'s probability of the target emotion (the speech
    probe fitted on ``emotion_reference`` by default); ``margin`` = that minus the largest other probability;
    ``valence`` / ``arousal`` = the distribution on the valence / arousal axes through category anchors (Russell &
    Mehrabian 1977); ``arousal_proxy`` = the prosodic arousal proxy of ``speech_arousal_proxy`` (F0 level and range,
    energy range, alpha ratio, speaking rate, standardised on the probe's reference set; only with the probe) —
    acoustic evidence that needs no recognizer decision, and falls when prosody is flattened. With a requested
    ``intensity``: ``requested_intensity`` per sample and, per system and target emotion, ``control_spearman`` /
    ``control_kendall`` (requested vs ``control_output``), ``control_violation_rate`` and ``control_curve``.

    **Range and direction.** intensity [0, 1] and margin [−1, 1], higher = stronger; valence, arousal [−1, 1] and
    arousal_proxy (unbounded, 0 = reference average) carry no direction. Control correlations [−1, 1], higher
    is better; violation rate [0, 1], lower is better. On EmoDB the proxy ranks anger, happiness and fear
    above sadness, boredom and neutral, and a WORLD-smoothed copy of each clip scores lower than the clip
    (integration tests).

    **Needs.** Audio (``path``) and a ``target_emotion`` among the recognizer's labels (others: "not scorable"; a
    neutral target gets valence, arousal and the modality evidence, no intensity or margin); ``emotion_reference``
    for the probe. Optional ``intensity`` (a number).

    **Source.** Recognizer-based intensity as in emotion-strength TTS evaluations (Lei et al. 2022, IEEE/ACM
    TASLP); acoustic arousal correlates: Scherer 2003, Eyben et al. 2016 (eGeMAPS).
    """

    spec = MetricSpec(
        name="speech_emotion_intensity",
        modality="speech",
        scope="sample",
        outputs=(INTENSITY, MARGIN, VALENCE, AROUSAL, AROUSAL_PROXY, REQUESTED, *CONTROL_OUTPUTS),
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        inputs=(Input("intensity", required=False, description="the requested intensity (a number)"),),
        models=PROBE_MODELS,
        summary="emotion intensity of speech (recognizer confidence, prosodic arousal proxy) and its control",
        citation="Lei et al. 2022 (emotion strength control); Scherer 2003; Russell & Mehrabian 1977",
    )
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False

    def __init__(
        self,
        *,
        recognizer: str = PROBE,
        emotion_reference: str | Path | None = None,
        control_output: str = "intensity",
    ) -> None:
        super().__init__(recognizer=recognizer, emotion_reference=emotion_reference)
        allowed = {"intensity", "margin", "arousal"} | ({"arousal_proxy"} if recognizer == PROBE else set())
        self.control_output = checked_control_output(self.spec.name, control_output, allowed)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        model = self._model(context)
        labels, readings = self._recognize(context, [s.path for s in samples])  # type: ignore[misc]
        proxies = arousal_proxies(context, model, [s.path for s in samples]) if self.recognizer == PROBE else None  # type: ignore[misc]
        scores = []
        for index, (sample, reading) in enumerate(zip(samples, readings, strict=True)):
            error = intensity_target_error(sample.target_emotion, labels)
            if error is not None:
                scores.append(SampleScore.failed(error))
                continue
            if isinstance(reading, SampleInputError):
                scores.append(SampleScore.failed(reading))
                continue
            target = str(sample.target_emotion)
            values, warning = recognizer_values(reading, target)
            if proxies is not None and not isinstance(proxies[index], SampleInputError):
                values["arousal_proxy"] = float(proxies[index])  # type: ignore[arg-type]
            if sample.intensity is not None:
                values["requested_intensity"] = float(sample.intensity)
            scores.append(SampleScore(values=values, label=reading.predicted, warning=warning))
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return controllability_values(rows, self.control_output, bootstrap)


__all__ = ["SpeechEmotionIntensity"]
