"""``signal_prdc``: precision, recall, density and coverage of generated recordings against real ones.

The maths is :func:`emoeval.functional.distribution.prdc` (Naeem et al.'s formulas); the reference handling is
:class:`emoeval.metrics.reference_set.PRDCMetric` (shared with ``face_prdc``) with the reference-set
standardisation of ``signal_fd`` (:class:`~emoeval.metrics.signal.distribution.ReferenceStandardised`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import PRDCMetric
from emoeval.metrics.signal.distribution import DESCRIPTORS, EMBEDDER_ROLE, ReferenceStandardised

if TYPE_CHECKING:
    pass

_INF = math.inf

PRDC_OUTPUTS: tuple[Output, ...] = (
    Output("precision", higher_is_better=True, range=(0.0, 1.0), description="fakes inside real k-NN balls"),
    Output("recall", higher_is_better=True, range=(0.0, 1.0), description="reals inside fake k-NN balls"),
    Output("density", higher_is_better=True, range=(0.0, _INF), description="real balls per fake, ÷ k"),
    Output("coverage", higher_is_better=True, range=(0.0, 1.0), description="real balls holding a fake"),
)


class SignalPRDC(ReferenceStandardised, PRDCMetric):
    """Precision, recall, density and coverage of a system's recordings against real ones (descriptor space).

    **Meaning.** Each recording is embedded by the ``embedder`` (default ``signal-descriptors-peripheral``:
    heart rate, HRV, EDA, respiration; ``signal-descriptors-eeg`` for EEG; ``signal-spectrum`` for log spectra)
    and standardised with the reference set's mean and sd per dimension, as for ``signal_fd``. Around each
    real recording lies a ball reaching its k-th nearest real neighbour (k = ``nearest_k``, 5). *Precision*:
    share of generated recordings inside some real ball (fidelity: a generator at the wrong rate or drowned in
    noise falls outside); *recall*: share of real recordings inside some generated recording's k-NN ball
    (diversity); *density*: how many real balls contain a generated recording on average, ÷ k (fidelity robust
    to real outliers; ≈ 1 when both sets come from one distribution); *coverage*: share of real balls holding at
    least one generated recording (diversity robust to generated outliers: a generator that ignores one
    condition leaves its balls empty). Copies of the reference set score perfectly on all four: PRDC does not see
    memorisation (read ``signal_dtw`` on paired references, or the augmentation study's memorisation check).

    **Range and direction.** precision, recall, coverage in [0, 1], higher is better; density in [0, ∞),
    higher means more fidelity (far above 1: the generator crowds the dense real modes). Intervals: percentile
    bootstrap over the system's recordings re-centred on the value (at most 100 resamples), for the value
    expected at this set size (a resample's duplicates shrink the generated k-NN balls, which the re-centring
    offsets only approximately). Needs more than ``nearest_k`` recordings on each side (NaN otherwise).

    **Needs.** Recordings (``path``, modality ``signal``) with the channel types the embedder reads, and a
    reference set (``real=`` a folder or manifest of real recordings, or ``real_system=``). Parameter
    ``embedder``: a registered ``signal-embedder``.

    **Source.** Naeem, Oh, Uh, Choi, Yoo (2020), Reliable Fidelity and Diversity Metrics for Generative Models,
    ICML; Kynkäänniemi et al. (2019), Improved Precision and Recall Metric for Assessing Generative Models,
    NeurIPS.

    >>> [output.name for output in SignalPRDC(real_system="real").spec.outputs]
    ['precision', 'recall', 'density', 'coverage']
    """

    spec = MetricSpec(
        name="signal_prdc",
        modality="signal",
        scope="corpus",
        outputs=PRDC_OUTPUTS,
        version="1.0.0",
        models=(DESCRIPTORS,),
        summary="precision / recall / density / coverage (Naeem et al. 2020) of standardised physiological features",
        citation="Naeem et al. 2020, ICML; Kynkäänniemi et al. 2019, NeurIPS",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = DESCRIPTORS,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        nearest_k: int = 5,
    ) -> None:
        super().__init__(
            embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion, nearest_k=nearest_k
        )


__all__ = ["PRDC_OUTPUTS", "SignalPRDC"]
