"""Per-emotion diversity and mode collapse of generated physiological recordings (maths:
:mod:`emoeval.metrics.emotion_diversity`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from emoeval.metric import MetricSpec
from emoeval.metrics.emotion_diversity import COLLAPSE_BELOW, DIVERSITY_OUTPUTS, EmotionDiversityMetric
from emoeval.metrics.signal._sets import SameLength

EMBEDDER = "signal-descriptors-peripheral"
EMBEDDER_ROLE = "signal-embedder"


class SignalEmotionDiversity(SameLength, EmotionDiversityMetric):
    """Mode collapse per emotion: how varied a system's recordings of each target emotion are, against real ones.

    **Meaning.** Within each target emotion, the spread of the system's recordings in the ``embedder``'s
    descriptor space (default ``signal-descriptors-peripheral``: heart rate, HRV, EDA, respiration), standardised
    on the reference set, against the reference recordings of the same emotion: ``vendi_ratio`` (headline: ratio
    of the effective numbers of distinct outputs, Vendi scores at equal set size; mean over emotions),
    ``diversity_ratio`` (mean pairwise distance ratio), ``coverage`` (PRDC coverage of the emotion's real
    recordings), ``collapsed_share`` (share of emotions whose Vendi or distance ratio is below ``collapse_below``,
    0.5 by default) and, with several outputs per ``group``, ``within_group_ratio``. A generator that repeats one
    beat pattern has near-identical descriptors for every output: its ratios fall towards 0. Details:
    :mod:`emoeval.metrics.emotion_diversity`.

    **Range and direction.** Ratios in [0, ∞): 1.0 = as varied as real data, 0 = one output repeated; above 1 =
    more varied than real data (not better by itself: noise is varied). coverage and collapsed_share in [0, 1].
    Intervals: percentile bootstrap over the system's outputs re-centred on the value (at most 100 resamples),
    reference fixed.

    **Needs.** Recordings (``path``, modality ``signal``) with a ``target_emotion``, and a reference set of real
    recordings with their emotions (``real=`` folder laid out by emotion or manifest, or ``real_system=``).
    Parameter ``embedder``: a registered ``signal-embedder``.

    **Source.** Friedman & Dieng (2023), The Vendi Score, TMLR; Naeem et al. (2020), ICML (coverage).

    >>> SignalEmotionDiversity(real_system="real").models[-1]
    'signal-descriptors-peripheral'
    """

    spec = MetricSpec(
        name="signal_emotion_diversity",
        modality="signal",
        scope="corpus",
        outputs=DIVERSITY_OUTPUTS,
        version="1.0.0",
        models=(EMBEDDER,),
        summary="per-emotion diversity vs real data, and a mode-collapse flag per emotion",
        citation="Friedman & Dieng 2023 (Vendi score); Naeem et al. 2020 (coverage)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = EMBEDDER,
        real: str | Path | None = None,
        real_system: str | None = None,
        collapse_below: float = COLLAPSE_BELOW,
        nearest_k: int = 5,
        seed: int = 0,
    ) -> None:
        super().__init__(
            embedder=embedder,
            real=real,
            real_system=real_system,
            collapse_below=collapse_below,
            nearest_k=nearest_k,
            seed=seed,
        )


__all__ = ["SignalEmotionDiversity"]
