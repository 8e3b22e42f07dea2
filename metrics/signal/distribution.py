"""Fréchet distance and KID of generated physiological recordings against a reference set of real ones.

As FID does for images: each recording becomes a vector — by default its physiological descriptors
(``signal-descriptors-peripheral``: heart rate, HRV, EDA, respiration; ``signal-descriptors-eeg`` for EEG) — and
a system's set of vectors is compared with the real set's. Descriptors come in units that differ by orders of
magnitude (heart rate ≈ 70 bpm, RMSSD ≈ 30 ms, beat consistency ≈ 0.99), so both sets are **standardised with the
reference set's mean and standard deviation per dimension** before the distance (a dimension constant over the
reference is left unscaled): every descriptor then counts in units of the real data's own spread. The shared
reference-set logic is :mod:`emoeval.metrics.reference_set`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import FrechetMetric, KernelDistanceMetric
from emoeval.metrics.signal._sets import SameLength

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

_INF = math.inf
DESCRIPTORS = "signal-descriptors-peripheral"
#: the role a signal distribution metric's ``embedder`` must have
EMBEDDER_ROLE = "signal-embedder"


class ReferenceStandardised(SameLength):
    """Mixin for a reference-set metric: features z-scored with the reference set's per-dimension mean and sd.
    Every vector must have the reference set's length (:class:`~emoeval.metrics.signal._sets.SameLength`: an
    embedder with a block per channel, such as ``signal-spectrum``, gives other lengths for other layouts).

    The reference rows are buffered during :meth:`setup`, their mean and sd computed, and only then handed (scaled)
    to the metric's own reference statistics; system vectors are scaled in :meth:`compute` (copies of one state
    stay one object, so a resample's repeats are still recognised as repeats).
    """

    _center: np.ndarray
    _scale: np.ndarray

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        import numpy as np

        self._buffered: list[tuple[np.ndarray, list[str | None]]] = []
        super().setup(context, samples)  # type: ignore[misc]
        rows = np.concatenate([r for r, _ in self._buffered]).astype(np.float64)
        self._center = rows.mean(axis=0)
        spread = rows.std(axis=0, ddof=1)
        self._scale = np.where(spread > 0, spread, 1.0)
        for chunk, emotions in self._buffered:
            super()._add_reference(self.standardise(chunk), emotions)  # type: ignore[misc]
        self._buffered = []

    def _add_reference(self, rows: np.ndarray, emotions: list[str | None]) -> None:
        self._buffered.append((rows, emotions))

    def standardise(self, rows: np.ndarray) -> np.ndarray:
        """(rows − reference mean) / reference sd, float32 like every state."""
        import numpy as np

        return ((np.asarray(rows, dtype=np.float64) - self._center) / self._scale).astype(np.float32)

    def compute(self, states: Sequence[np.ndarray], *, emotion: str | None = None) -> dict[str, float]:
        scaled: dict[int, np.ndarray] = {}
        for state in states:
            if id(state) not in scaled:
                scaled[id(state)] = self.standardise(state)
        return super().compute([scaled[id(state)] for state in states], emotion=emotion)  # type: ignore[misc]


class SignalFD(ReferenceStandardised, FrechetMetric):
    """Fréchet distance between a system's physiological recordings and real ones, in descriptor space.

    **Meaning.** Each recording is embedded by the ``embedder`` (default ``signal-descriptors-peripheral``: heart
    rate, RMSSD, SDNN, beat consistency, tonic EDA, SCR rate and amplitude, respiration rate and
    amplitude; ``signal-descriptors-eeg`` for EEG band powers, asymmetry and slope), both sets are standardised
    with the reference set's mean and sd per descriptor, and the value is the Fréchet distance ‖μ₁ − μ₂‖² +
    tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) between the two Gaussians (FID's formula on physiological descriptors, as used for
    synthetic biosignals, e.g. Fréchet distances on ECG features). It sees wrong rhythms (a generator at the wrong
    rate: heart and breathing rates off), missing variability (a collapsed generator: HRV and SCR spread gone)
    and wrong arousal mixes. It does **not** see copying: copies of the training set have the real
    distribution (read a memorisation check beside it). With ``by_emotion`` (default) also per target emotion.

    **Range and direction.** [0, ∞), lower is better, in squared reference standard deviations. Biased upward when
    a set has fewer recordings than descriptors (9 by default): compare at equal sizes, and read ``signal_kid``.
    Interval: percentile bootstrap over the system's recordings re-centred on the value (reference fixed).

    **Needs.** Recordings (``path``, modality ``signal``) with the channel types the embedder reads, and a
    reference set (``real=`` a folder or manifest of real recordings, or ``real_system=``).

    **Source.** Heusel et al. (2017) for the Fréchet distance; NeuroKit2 (Makowski et al. 2021) for the descriptors.

    >>> SignalFD(real_system="real").models
    ('signal-descriptors-peripheral',)
    """

    spec = MetricSpec(
        name="signal_fd",
        modality="signal",
        scope="corpus",
        outputs=(
            Output(
                "fd",
                higher_is_better=False,
                range=(0.0, _INF),
                description="Fréchet distance between standardised descriptor distributions",
            ),
        ),
        version="1.0.0",
        models=(DESCRIPTORS,),
        summary="Fréchet distance of physiological descriptors (HR, HRV, EDA, respiration; or EEG) to real recordings",
        citation="Heusel et al. 2017 (Fréchet distance); Makowski et al. 2021 (NeuroKit2)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    unbiased_companion = "signal_kid"

    def __init__(
        self,
        *,
        embedder: str = DESCRIPTORS,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = True,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)


class SignalKID(ReferenceStandardised, KernelDistanceMetric):
    """Kernel distance (unbiased MMD², cubic polynomial kernel) between a system's recordings and real ones.

    **Meaning.** KID (Bińkowski et al. 2018) on the standardised descriptor vectors of ``signal_fd``: the
    unbiased squared maximum mean discrepancy with the kernel k(x, y) = (xᵀy / d + 1)³, averaged over random
    subsets (``kid_std``: its spread over them). Its expectation does not depend on the set sizes, so it is the
    one to compare across sizes — within one embedder.

    **Range and direction.** About [0, ∞) (slightly negative when the sets match), lower is better.

    **Needs.** As ``signal_fd``.

    **Source.** Bińkowski et al. (2018), Demystifying MMD GANs, ICLR; Gretton et al. (2012), A Kernel Two-Sample
    Test, JMLR.

    >>> SignalKID(real_system="real").params()["degree"]
    3
    """

    spec = MetricSpec(
        name="signal_kid",
        modality="signal",
        scope="corpus",
        outputs=(
            Output("kid", higher_is_better=False, range=(-_INF, _INF), description="unbiased MMD², cubic kernel"),
            Output("kid_std", higher_is_better=False, range=(0.0, _INF), description="std of KID over subsets"),
        ),
        version="1.0.0",
        models=(DESCRIPTORS,),
        summary="KID (unbiased MMD²) of standardised physiological descriptors against real recordings",
        citation="Bińkowski et al. 2018, ICLR; Gretton et al. 2012, JMLR",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = DESCRIPTORS,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        subsets: int = 100,
        subset_size: int = 1000,
        degree: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(
            embedder=embedder,
            real=real,
            real_system=real_system,
            by_emotion=by_emotion,
            subsets=subsets,
            subset_size=subset_size,
            degree=degree,
            seed=seed,
        )


__all__ = ["ReferenceStandardised", "SignalFD", "SignalKID"]
