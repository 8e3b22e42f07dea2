"""Emotion intensity of generated replies, and how well it follows a requested intensity (shared logic:
:mod:`emoeval.metrics.intensity`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

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
from emoeval.metrics.text.emotion import RECOGNIZER, _TextEmotionMetric

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

LEXICON_INTENSITY = Output(
    "lexicon_intensity",
    higher_is_better=None,
    range=(0.0, 1.0),
    description="magnitude |compound| of VADER's sentiment score (0 = no emotional wording)",
)


def vader_magnitude(text: str, analyzer: Any) -> float:
    """|compound| of VADER's polarity scores for ``text`` (Hutto & Gilbert 2014), in [0, 1]."""
    return abs(float(analyzer.polarity_scores(text)["compound"]))


class TextEmotionIntensity(_TextEmotionMetric):
    """How strongly a generated reply expresses its target emotion, and whether that follows the requested intensity.

    **Meaning.** Per reply: ``intensity`` = the ``recognizer``'s probability of the target emotion (the zero-shot
    text recognizer by default); ``margin`` = that minus the largest other probability; ``valence`` / ``arousal`` =
    the distribution on the valence / arousal axes through category anchors (Russell & Mehrabian 1977);
    ``lexicon_intensity`` = the magnitude of VADER's compound sentiment score, lexicon evidence of emotional wording
    with VADER's intensifier, negation, capitalisation and punctuation rules ("SO happy!!!" scores above "happy"). A
    bland responder ("I see.") scores ≈ 0 on it whatever the target. With a requested ``intensity``:
    ``requested_intensity`` per sample and per system / target emotion ``control_spearman``, ``control_kendall``
    (requested vs ``control_output``), ``control_violation_rate`` and ``control_curve``.

    **Range and direction.** intensity [0, 1] and margin [−1, 1], higher = stronger; valence, arousal [−1, 1] and
    lexicon_intensity [0, 1] carry no direction by themselves (a neutral target should score low). Control
    correlations [−1, 1], higher is better; violation rate [0, 1], lower is better.

    **Needs.** A reply (``text``) and a ``target_emotion`` among the recognizer's labels (others: "not scorable"; a
    neutral target gets valence, arousal and the modality evidence, no intensity or margin). Optional ``intensity``
    (a number).

    **Source.** Hutto & Gilbert (2014), VADER, ICWSM; emotion intensity of text as in the WASSA-2017 shared task
    (Mohammad & Bravo-Marquez 2017); arousal anchors: Russell & Mehrabian (1977).
    """

    spec = MetricSpec(
        name="text_emotion_intensity",
        modality="text",
        scope="sample",
        outputs=(INTENSITY, MARGIN, VALENCE, AROUSAL, LEXICON_INTENSITY, REQUESTED, *CONTROL_OUTPUTS),
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        inputs=(Input("intensity", required=False, description="the requested intensity (a number)"),),
        models=(RECOGNIZER,),
        summary="emotion intensity of replies (recognizer confidence, VADER magnitude) and its control",
        citation="Hutto & Gilbert 2014 (VADER); Mohammad & Bravo-Marquez 2017; Russell & Mehrabian 1977",
    )
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False

    def __init__(
        self,
        *,
        recognizer: str = RECOGNIZER,
        emotion_reference: str | Path | None = None,
        control_output: str = "intensity",
    ) -> None:
        super().__init__(recognizer=recognizer, emotion_reference=emotion_reference)
        allowed = {"intensity", "margin", "arousal", "lexicon_intensity"}
        self.control_output = checked_control_output(self.spec.name, control_output, allowed)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        labels, readings = self._recognize(samples, context)
        analyzer = SentimentIntensityAnalyzer()
        scores = []
        for sample, reading in zip(samples, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores.append(SampleScore.failed(reading))
                continue
            error = intensity_target_error(sample.target_emotion, labels)
            if error is not None:
                scores.append(SampleScore.failed(error))
                continue
            target = str(sample.target_emotion)
            values, warning = recognizer_values(reading, target)
            values["lexicon_intensity"] = vader_magnitude(str(sample.text), analyzer)
            if sample.intensity is not None:
                values["requested_intensity"] = float(sample.intensity)
            scores.append(SampleScore(values=values, label=reading.predicted, warning=warning))
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return controllability_values(rows, self.control_output, bootstrap)


__all__ = ["TextEmotionIntensity", "vader_magnitude"]
