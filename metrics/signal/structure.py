"""``signal_correlation_structure``: temporal (autocorrelation) and cross-channel (correlation matrix) structure
of a system's recordings against real ones.

The maths is :mod:`emoeval.functional.signal_structure`; the reference-set handling is
:class:`emoeval.metrics.signal._sets.RecordingSetMetric`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.media.signal import CHANNEL_TYPES
from emoeval.metric import MetricSpec, Output
from emoeval.metrics.signal._sets import RecordingSetMetric

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.media.signal import Signal
    from emoeval.samples import Sample

_INF = math.inf


@dataclass(frozen=True)
class StructureState:
    """One recording: the mean autocorrelation of its channels of each type, its channel names in order, and its
    channel correlation matrix (None with a single channel)."""

    acf: dict[str, np.ndarray]
    layout: tuple[str, ...]
    correlation: np.ndarray | None = field(default=None)


STRUCTURE_OUTPUTS: tuple[Output, ...] = (
    Output(
        "acf_distance",
        higher_is_better=False,
        range=(0.0, 2.0),
        description="RMS difference of the mean autocorrelation functions, mean over channel types",
    ),
    Output(
        "correlation_distance",
        higher_is_better=False,
        range=(0.0, _INF),
        description="Frobenius norm of the difference of the mean channel correlation matrices",
    ),
    *(
        Output(
            f"acf_distance_{kind}",
            higher_is_better=False,
            range=(0.0, 2.0),
            description=f"RMS difference of the mean autocorrelation functions of the {kind} channels",
        )
        for kind in CHANNEL_TYPES
    ),
)


class SignalCorrelationStructure(RecordingSetMetric):
    """Autocorrelation and cross-channel correlation structure of a system's recordings against real ones.

    **Meaning.** Two views of structure that spectra and descriptors summarise differently:

    - ``acf_distance`` (headline): per channel, the sample autocorrelation function r(τ) at lags 0 …
      ``max_lag`` seconds (default 5 s: a few heartbeats, one or two breaths) every ``lag_step`` seconds
      (0.02 s), read in seconds so recordings at different rates compare lag for lag
      (:func:`emoeval.functional.signal_structure.autocorrelation`); channels of one type are averaged per
      recording, recordings per set, and the value is the root mean square difference between the system's and
      the reference's mean autocorrelation, averaged over the channel types both have (``acf_distance_<type>``
      per type). It sees rhythms at the wrong period (a wrong sampling rate), noise (r(τ) shrinks at every
      lag), smoothing (r(τ) widens around 0) and a repeated excerpt (r(τ) returns to 1 at its period).
    - ``correlation_distance``: per recording, the zero-lag Pearson correlation matrix of its channels; the
      Frobenius norm ‖R̄_sys − R̄_ref‖_F of the difference between the system's and the reference's mean matrices
      — how far the coupling *between* channels is off (EEG volume conduction, cardio-respiratory coupling;
      channels leaking into each other in a generator). Matrices compare only for one channel layout: the
      reference's most common layout (channel names in order); recordings with another layout are left out of
      this value (counted in the warning). NaN for single-channel recordings.

    Like the spectral distances these compare set means: copies of the reference set are at distance 0 (read
    ``signal_dtw`` against paired references, or the augmentation study's memorisation check), and a lack of
    variety between recordings shows in ``signal_emotion_diversity``, not here.

    **Range and direction.** acf_distance in [0, 2], lower is better (0 = the same mean autocorrelation).
    correlation_distance in [0, 2·√(C² − C)] for C channels, lower is better. Intervals: percentile bootstrap
    over the system's recordings re-centred on the value (at most 200 resamples), reference fixed — for the
    value expected at this set size (compare systems with equal numbers of recordings). The biased
    autocorrelation estimator shrinks r(τ) by 1 − τ/duration: compare sets of similar durations.

    **Needs.** Recordings (``path``, modality ``signal``) longer than ``max_lag``, without flat or non-finite
    channels; a reference set (``real=`` folder or manifest of real recordings, or ``real_system=``). With
    ``by_emotion``, also within each target emotion, against the reference recordings of that emotion.

    **Source.** Box & Jenkins (1970), Time Series Analysis (the sample autocorrelation); autocorrelation and
    cross-correlation comparisons of synthetic biosignals as in Hazra & Byun (2020), SynSigGAN, Biology 9(12),
    and Brophy et al. (2023), Generative adversarial networks in time series: a systematic literature review,
    ACM Computing Surveys 55(10).

    >>> SignalCorrelationStructure(real_system="real").params()["max_lag"]
    5.0
    """

    spec = MetricSpec(
        name="signal_correlation_structure",
        modality="signal",
        scope="corpus",
        outputs=STRUCTURE_OUTPUTS,
        version="1.0.0",
        models=(),
        summary="autocorrelation and cross-channel correlation structure of recordings vs real ones",
        citation="Box & Jenkins 1970 (autocorrelation); Brophy et al. 2023 (evaluating synthetic time series)",
    )

    def __init__(
        self,
        *,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        max_lag: float = 5.0,
        lag_step: float = 0.02,
    ) -> None:
        from emoeval.functional.signal_structure import lag_grid

        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)
        if not 0 < lag_step <= max_lag:
            raise ValueError(f"{self.spec.name}: need 0 < lag_step ≤ max_lag (s), got {lag_step} and {max_lag}")
        self.max_lag = float(max_lag)
        self.lag_step = float(lag_step)
        self._lags = lag_grid(self.max_lag, self.lag_step)
        self._cache: dict[tuple[int, str], object] = {}

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        super().setup(context, samples)
        self._cache = {}  # keyed by the reference parts' ids: new parts, new cache

    def describe(self, signal: Signal) -> StructureState:
        import numpy as np

        from emoeval.functional.signal_structure import autocorrelation, correlation_matrix

        where = signal.source or "recording"
        by_kind: dict[str, list[np.ndarray]] = {}
        for row, name, kind in zip(signal.data, signal.channels, signal.types, strict=True):
            by_kind.setdefault(kind, []).append(
                autocorrelation(row, signal.rate, self._lags, where=f"{where} (channel {name})")
            )
        correlation = correlation_matrix(signal.data, where=where) if signal.data.shape[0] >= 2 else None
        return StructureState(
            acf={kind: np.mean(curves, axis=0) for kind, curves in by_kind.items()},
            layout=tuple(signal.channels),
            correlation=correlation,
        )

    def _reference_summary(self, reference: Sequence[StructureState]) -> tuple[dict[str, np.ndarray], tuple, object]:
        """(mean autocorrelation per type, the most common multichannel layout, its mean correlation matrix)."""
        import numpy as np

        key = (id(reference), "summary")
        if key not in self._cache:
            kinds = {kind for state in reference for kind in state.acf}
            acf = {kind: np.mean([s.acf[kind] for s in reference if kind in s.acf], axis=0) for kind in kinds}
            layouts = Counter(s.layout for s in reference if s.correlation is not None)
            layout: tuple = layouts.most_common(1)[0][0] if layouts else ()
            matrix = (
                np.mean([s.correlation for s in reference if s.layout == layout and s.correlation is not None], axis=0)
                if layout
                else None
            )
            self._cache[key] = (acf, layout, matrix)
        return self._cache[key]  # type: ignore[return-value]

    def compare(
        self, system: Sequence[StructureState], reference: Sequence[StructureState]
    ) -> tuple[dict[str, float], list[str]]:
        import numpy as np

        from emoeval.functional.signal_structure import acf_distance, frobenius_distance

        reference_acf, layout, reference_matrix = self._reference_summary(reference)
        system_kinds = {kind for state in system for kind in state.acf}
        shared = [kind for kind in CHANNEL_TYPES if kind in system_kinds and kind in reference_acf]
        values: dict[str, float] = {"acf_distance": math.nan, "correlation_distance": math.nan}
        notes = [
            f"the system's recordings have no {kind} channel (the reference's do): {kind} not compared"
            for kind in CHANNEL_TYPES
            if kind in set(reference_acf) - system_kinds
        ]
        distances = []
        for kind in shared:
            mean = np.mean([state.acf[kind] for state in system if kind in state.acf], axis=0)
            distances.append(acf_distance(mean, reference_acf[kind]))
            values[f"acf_distance_{kind}"] = distances[-1]
        if distances:
            values["acf_distance"] = float(np.mean(distances))
        if reference_matrix is None:
            notes.append("single-channel reference recordings: no cross-channel correlation")
            return values, notes
        matching = [state.correlation for state in system if state.layout == layout and state.correlation is not None]
        if len(matching) < len(system):
            notes.append(
                f"{len(system) - len(matching)} of {len(system)} recordings have another channel layout than the "
                f"reference's ({', '.join(layout)}): left out of correlation_distance"
            )
        if matching:
            values["correlation_distance"] = frobenius_distance(np.mean(matching, axis=0), reference_matrix)
        return values, notes


__all__ = ["STRUCTURE_OUTPUTS", "SignalCorrelationStructure", "StructureState"]
