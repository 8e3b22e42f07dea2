"""Per-emotion diversity and mode collapse of generated speech (the maths: :mod:`emoeval.metrics.emotion_diversity`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from emoeval.metric import MetricSpec
from emoeval.metrics.emotion_diversity import COLLAPSE_BELOW, DIVERSITY_OUTPUTS, EmotionDiversityMetric

EMBEDDER = "speech-prosody-functionals"
EMBEDDER_ROLE = "speech-embedder"


class SpeechEmotionDiversity(EmotionDiversityMetric):
    """Mode collapse per emotion: how varied the generated speech of each target emotion is, against real speech.

    **Meaning.** Within each target emotion, the spread of the system's outputs in the 38 prosodic and spectral
    functionals of the speech probe (``speech-prosody-functionals``: F0, energy, timing, MFCC, alpha ratio — what
    carries vocal emotion; a speaker embedder measures voice variety instead), standardised on the reference set,
    against the reference set's outputs of the same emotion: ``vendi_ratio`` (headline: ratio of the effective
    numbers of distinct outputs — Vendi scores at equal set size; mean over emotions), ``diversity_ratio`` (mean
    pairwise distance ratio), ``coverage`` (PRDC coverage of the emotion's real outputs), ``collapsed_share`` (share
    of emotions whose Vendi or distance ratio is below ``collapse_below``, 0.5 by default; per emotion a 0/1 flag)
    and, when a system gives several outputs for one ``group``, ``within_group_ratio``. Per-emotion values are rows
    with the emotion in ``target_emotion``. Details: :mod:`emoeval.metrics.emotion_diversity`.

    **Range and direction.** Ratios in [0, ∞): 1.0 = as varied as real data, 0 = one output repeated (collapse);
    above 1 = more varied than real data (not better by itself: noise is varied). coverage and collapsed_share in
    [0, 1]. Intervals: percentile bootstrap over the system's outputs re-centred on the value (at most 100
    resamples), with the reference set fixed — they cover the system's sampling, not the reference's.

    **Needs.** Recordings (``path``) with a ``target_emotion``, and a reference set of real outputs with their
    emotions (``real=`` folder laid out by emotion or manifest, or ``real_system=``). Emotions the reference lacks
    get no value. Parameter ``embedder``: a registered ``speech-embedder``.

    **Source.** Friedman & Dieng (2023), The Vendi Score, TMLR; Naeem et al. (2020), Reliable Fidelity and Diversity
    Metrics for Generative Models, ICML; mode collapse per class as in conditional-GAN evaluation (Odena et al.
    2017, AC-GAN: within-class MS-SSIM against the real data's).

    >>> SpeechEmotionDiversity(real_system="real").models[-1]
    'speech-prosody-functionals'
    """

    spec = MetricSpec(
        name="speech_emotion_diversity",
        modality="speech",
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


__all__ = ["SpeechEmotionDiversity"]
