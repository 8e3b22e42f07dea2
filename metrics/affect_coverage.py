"""Valence–arousal coverage, for any modality: the shared logic of ``face_affect_coverage``,
``speech_affect_coverage`` and ``text_affect_coverage``.

Each output (system and reference alike) is mapped to a point in the valence–arousal plane from its emotion
recognizer's distribution through the category anchors of :mod:`emoeval.functional.affect_space` (Russell &
Mehrabian 1977). The plane is cut into ``bins × bins`` cells; the **reference region** is the cells real
outputs occupy, and ``coverage`` is the share of them the system's outputs reach (1.0 = every region real data
occupies). ``valence_mean`` / ``arousal_mean`` / ``arousal_spread`` place the system's cloud beside the
reference's (reported as differences from the reference, 0 = the same); ``empty_cells`` counts the reference
cells the system never reaches, and the run's warning names them (by their centres). The per-output points
are kept so a report can draw the 2-D plot (the states, and :meth:`AffectCoverageMetric.points`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.metric import Output
from emoeval.metrics.reference_set import FeatureSetMetric

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext

_INF = math.inf

COVERAGE_OUTPUTS: tuple[Output, ...] = (
    Output(
        "coverage",
        higher_is_better=True,
        range=(0.0, 1.0),
        description="share of the reference's valence-arousal cells the system's outputs reach",
    ),
    Output(
        "empty_cells",
        higher_is_better=False,
        range=(0.0, _INF),
        description="reference valence-arousal cells the system never reaches",
    ),
    Output(
        "valence_shift",
        higher_is_better=None,
        range=(-2.0, 2.0),
        description="mean valence of the system's outputs minus the reference's",
    ),
    Output(
        "arousal_shift",
        higher_is_better=None,
        range=(-2.0, 2.0),
        description="mean arousal of the system's outputs minus the reference's",
    ),
    Output(
        "arousal_spread_ratio",
        higher_is_better=None,
        range=(0.0, _INF),
        description="standard deviation of arousal ÷ the reference's (< 1: a narrower arousal range)",
    ),
)


class AffectCoverageMetric(FeatureSetMetric):
    """Coverage of the reference's valence–arousal region (see the module docstring).

    The ``recognizer`` (a registered emotion recognizer of the modality, :attr:`recognizer_role`) stands where
    reference-set metrics have an embedder: its distribution, mapped to (valence, arousal), is the "feature" of
    each output. A recognizer that is an emotion probe needs ``emotion_reference`` (the labelled set it is
    fitted on).
    """

    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    # a resample repeats outputs and so reaches fewer cells than the set itself: the percentile interval would sit
    # below the value; re-centred, it is an interval for the expected value at this set size
    interval = "bootstrap_recentred"
    recognizer_role: ClassVar[str]

    def __init__(
        self,
        *,
        recognizer: str,
        real: str | Path | None = None,
        real_system: str | None = None,
        bins: int = 8,
        emotion_reference: str | Path | None = None,
    ) -> None:
        from emoeval.reference_models.emotion_probe import EmotionProbeModel

        model_class = self.check_model("recognizer", recognizer)
        self.recognizer = recognizer
        super().__init__(embedder=recognizer, real=real, real_system=real_system, by_emotion=False)
        is_probe = issubclass(model_class, EmotionProbeModel)
        if is_probe and emotion_reference is None:
            raise RunConfigError(
                f"{self.spec.name}(recognizer={recognizer}) reads an emotion probe: give emotion_reference=<the "
                "labelled real set it is fitted on> (CLI: --emotion-reference)"
            )
        self.emotion_reference = str(emotion_reference) if is_probe else None
        if bins < 2:
            raise RunConfigError(f"{self.spec.name}: bins must be at least 2, got {bins}")
        self.bins = bins

    @classmethod
    def check_model(cls, param: str, value: str, role: str | None = None) -> type[Any]:
        # the base class checks its ``embedder``: here that is the recognizer, with the recognizer's role
        return super().check_model("recognizer", value, role or cls.recognizer_role)

    def _model_outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[Any]:
        """Each item's (valence, arousal) from the recognizer's distribution, or why it has none."""
        import numpy as np

        from emoeval.functional.affect_space import valence_arousal
        from emoeval.reference_models.recognition import recognize

        _, readings = recognize(context, self.recognizer, list(items))
        points: list[Any] = []
        for reading in readings:
            if isinstance(reading, SampleInputError):
                points.append(reading)
                continue
            try:
                points.append(np.asarray(valence_arousal(reading.probabilities, reading.labels), dtype=np.float64))
            except SampleInputError as exc:
                points.append(exc)
        return points

    def _reference_points(self) -> np.ndarray:
        return self._reference_features(None)

    def compute(self, states: Sequence[np.ndarray], *, emotion: str | None = None) -> dict[str, float]:
        import numpy as np

        from emoeval.functional.affect_space import coverage

        reference = self._reference_points()
        points = np.asarray(states, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0 or len(reference) == 0:
            return {output.name: math.nan for output in self.spec.outputs}
        result = coverage(points, reference, bins=self.bins)
        spread = float(np.std(reference[:, 1]))
        return {
            "coverage": result.share,
            "empty_cells": float(len(result.empty)),
            "valence_shift": float(points[:, 0].mean() - reference[:, 0].mean()),
            "arousal_shift": float(points[:, 1].mean() - reference[:, 1].mean()),
            "arousal_spread_ratio": float(np.std(points[:, 1])) / spread if spread > 0 else math.nan,
        }

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        """The reference cells the system never reaches, by their centres."""
        import numpy as np

        from emoeval.functional.affect_space import coverage, empty_regions

        notes = super().corpus_warnings(states, emotion=emotion)
        if len(states):
            result = coverage(
                np.asarray(states, dtype=np.float64).reshape(-1, 2), self._reference_points(), bins=self.bins
            )
            empty = empty_regions(result)
            if empty:
                shown = ", ".join(empty[:6]) + (f" and {len(empty) - 6} more" if len(empty) > 6 else "")
                notes.append(f"valence-arousal regions of the reference never reached: {shown}")
        return notes


__all__ = ["COVERAGE_OUTPUTS", "AffectCoverageMetric"]
