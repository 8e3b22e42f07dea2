"""``signal_spectral_distance``: how far a system's power spectra lie from real recordings', per channel type.

The maths is :mod:`emoeval.functional.spectral` (Welch spectra normalised within each channel type's band, on
48 log-spaced frequencies; LSD, spectral Wasserstein, high-frequency ratio). The reference-set handling is
:class:`emoeval.metrics.signal._sets.RecordingSetMetric`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.media.signal import CHANNEL_TYPES
from emoeval.metric import MetricSpec, Output
from emoeval.metrics.signal._sets import RecordingSetMetric

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.media.signal import Signal
    from emoeval.samples import Sample

_INF = math.inf
#: channel types whose band's top holds fast *detail* (QRS complexes, the dicrotic notch, EEG beta/gamma, motor-unit
#: spikes): the over-smoothing headline reads these. In the EDA, respiration and temperature bands the top is the
#: rhythm itself (more skin-conductance responses, faster breathing), so a lower ratio there also means slower
#: rhythms (a generator that only produces calm recordings: 0.15 for EDA on the simulated sets), not only
#: smoothing — reported per type, left out of the headline
DETAIL_TYPES: tuple[str, ...] = ("ecg", "ppg", "eeg", "emg")

SPECTRAL_OUTPUTS: tuple[Output, ...] = (
    Output(
        "lsd_db",
        higher_is_better=False,
        range=(0.0, _INF),
        description="log-spectral distance of the mean spectra (dB), mean over channel types",
    ),
    Output(
        "spectral_wasserstein",
        higher_is_better=False,
        range=(0.0, _INF),
        description="Wasserstein-1 distance of the mean spectra over log2 frequency (octaves), mean over types",
    ),
    Output(
        "hf_power_ratio",
        higher_is_better=None,
        range=(0.0, _INF),
        description="share of power above the reference's 90 % spectral edge ÷ the reference's; lowest over "
        "the ECG, PPG, EEG and EMG channels",
    ),
    *(
        Output(
            f"lsd_db_{kind}",
            higher_is_better=False,
            range=(0.0, _INF),
            description=f"log-spectral distance (dB) of the {kind} channels",
        )
        for kind in CHANNEL_TYPES
    ),
    *(
        Output(
            f"wasserstein_{kind}",
            higher_is_better=False,
            range=(0.0, _INF),
            description=f"spectral Wasserstein-1 distance (octaves) of the {kind} channels",
        )
        for kind in CHANNEL_TYPES
    ),
    *(
        Output(
            f"hf_power_ratio_{kind}",
            higher_is_better=None,
            range=(0.0, _INF),
            description=f"high-frequency power ratio of the {kind} channels (1 = like the reference)",
        )
        for kind in CHANNEL_TYPES
    ),
)


class SignalSpectralDistance(RecordingSetMetric):
    """Distance between a system's power spectra and real recordings', per channel type (LSD, spectral W1).

    **Meaning.** Every channel's Welch power spectral density is normalised to unit power within its channel
    type's band (ECG 0.5–40 Hz, EDA and respiration 0.05–2 Hz, EEG 1–45 Hz, ...) and read on 48 log-spaced
    frequencies (:mod:`emoeval.functional.spectral`); per recording, the channels of one type are averaged. The
    system's mean spectrum of each channel type is compared with the reference set's:

    - ``lsd_db`` (headline): log-spectral distance √(mean over frequencies of (10·log10(P_sys / P_ref))²) in dB,
      mean over the channel types both sets have (``lsd_db_<type>`` per type) — how far the spectral *shape*
      is off, every frequency counting alike: a generator that loses the QRS energy, adds broadband noise or
      leaves the slow EDA band empty;
    - ``spectral_wasserstein``: the Wasserstein-1 (earth mover's) distance between the two mean spectra taken
      as distributions of power over log2 frequency, in octaves (``wasserstein_<type>`` per type) — how far the
      power must *move*: a generator whose rhythms run twice as fast (wrong sampling rate) is ≈ 1.0 away;
    - ``hf_power_ratio``: the system's share of power above the reference's 90 % spectral edge frequency ÷ the
      reference's share there (``hf_power_ratio_<type>`` per type), the lowest over the ECG, PPG, EEG and EMG
      channels — 1 = as much fast detail as real recordings, → 0 = over-smoothed (QRS complexes rounded off,
      EEG without beta/gamma; the over-smoothing failure signature reads it), above 1 = extra high-frequency
      content (noise). EDA, respiration and temperature are left out of it: the top of their bands is the
      rhythm itself, so a lower ratio there also means slower rhythms (fewer responses, slower breathing), not
      only smoothing — read their per-type values with that in mind. NaN without such a channel.

    Distances between *mean* spectra: they see a systematic spectral difference, not a lack of variety between
    recordings (read ``signal_emotion_diversity``) and not copying — copies of the reference set have its
    spectra exactly (distance 0; read ``signal_dtw`` against paired references or the augmentation study's
    memorisation check). Channels are matched by type, so EEG montages of different sizes can be compared.

    **Range and direction.** lsd_db ≥ 0 dB, lower is better (0 = the same mean spectrum; a uniform factor of 2
    is 3 dB). spectral_wasserstein ≥ 0 octaves, lower is better (at most the band's width in octaves).
    hf_power_ratio ≥ 0, no direction (1 = like the reference). Intervals: percentile bootstrap over the
    system's recordings re-centred on the value (at most 200 resamples), the reference fixed — for the value
    expected at this set size (the distance of a finite set's mean spectrum is biased upward by its spread;
    compare systems with equal numbers of recordings).

    **Needs.** Recordings (``path``, modality ``signal``) of at least 20 s (one Welch segment), sampled at
    twice the top of every channel type's band or more (ECG ≥ 80 Hz, EEG ≥ 90 Hz, EDA and respiration ≥ 4 Hz);
    a reference set (``real=`` folder or manifest of real recordings, or ``real_system=``). With
    ``by_emotion``, also within each target emotion, against the reference recordings of that emotion.

    **Source.** Welch (1967) for the PSD estimate; Gray & Markel (1976), Distance measures for speech processing,
    IEEE Trans. ASSP 24(5) (log-spectral distance); Villani (2008) / Rubner et al. (2000) for the
    Wasserstein (earth mover's) distance; spectral edge frequency as in EEG monitoring (Rampil 1998,
    Anesthesiology 89).

    >>> SignalSpectralDistance(real_system="real").spec.headline.name
    'lsd_db'
    """

    spec = MetricSpec(
        name="signal_spectral_distance",
        modality="signal",
        scope="corpus",
        outputs=SPECTRAL_OUTPUTS,
        version="1.0.0",
        models=(),
        summary="log-spectral distance and spectral Wasserstein of mean Welch spectra vs real recordings, per type",
        citation="Welch 1967; Gray & Markel 1976 (LSD); Rubner et al. 2000 (earth mover's distance)",
    )
    #: hf_power_ratio shows over-smoothing (emoeval.signatures): a member of the failure-signature family
    family: ClassVar[str | None] = "failure_signatures"

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = False
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)
        self._means: dict[tuple[int, str], np.ndarray] = {}

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        super().setup(context, samples)
        self._means = {}  # keyed by the reference parts' ids: new parts, new cache

    def describe(self, signal: Signal) -> dict[str, np.ndarray]:
        """Per channel type, the mean normalised band spectrum of the recording's channels of that type."""
        import numpy as np

        from emoeval.functional.spectral import band_spectrum

        where = signal.source or "recording"
        by_kind: dict[str, list[np.ndarray]] = {}
        for row, name, kind in zip(signal.data, signal.channels, signal.types, strict=True):
            by_kind.setdefault(kind, []).append(
                band_spectrum(row, signal.rate, kind, where=f"{where} (channel {name})")
            )
        return {kind: np.mean(curves, axis=0) for kind, curves in by_kind.items()}

    def _reference_mean(self, reference: Sequence[dict[str, np.ndarray]], kind: str) -> np.ndarray:
        import numpy as np

        key = (id(reference), kind)  # one list per reference part, kept alive by the part cache
        if key not in self._means:
            self._means[key] = np.mean([state[kind] for state in reference if kind in state], axis=0)
        return self._means[key]

    def compare(
        self, system: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]]
    ) -> tuple[dict[str, float], list[str]]:
        import numpy as np

        from emoeval.functional.spectral import (
            band_grid,
            high_frequency_ratio,
            log_spectral_distance,
            spectral_wasserstein,
        )

        system_kinds = {kind for state in system for kind in state}
        reference_kinds = {kind for state in reference for kind in state}
        shared = [kind for kind in CHANNEL_TYPES if kind in system_kinds and kind in reference_kinds]
        notes = [
            f"the system's recordings have no {kind} channel (the reference's do): {kind} not compared"
            for kind in CHANNEL_TYPES
            if kind in reference_kinds - system_kinds
        ] + [
            f"the reference recordings have no {kind} channel: the system's {kind} channels are not compared"
            for kind in CHANNEL_TYPES
            if kind in system_kinds - reference_kinds
        ]
        values: dict[str, float] = {name: math.nan for name in ("lsd_db", "spectral_wasserstein", "hf_power_ratio")}
        if not shared:
            notes.append("no channel type in common with the reference set: nothing compared")
            return values, notes
        lsd, wasserstein, high = [], [], []
        for kind in shared:
            p = np.mean([state[kind] for state in system if kind in state], axis=0)
            q = self._reference_mean(reference, kind)
            grid = band_grid(kind)
            lsd.append(log_spectral_distance(p, q))
            wasserstein.append(spectral_wasserstein(p, q, grid))
            high.append(high_frequency_ratio(p, q, grid))
            values[f"lsd_db_{kind}"] = lsd[-1]
            values[f"wasserstein_{kind}"] = wasserstein[-1]
            values[f"hf_power_ratio_{kind}"] = high[-1]
        values["lsd_db"] = float(np.mean(lsd))
        values["spectral_wasserstein"] = float(np.mean(wasserstein))
        detail = [ratio for kind, ratio in zip(shared, high, strict=True) if kind in DETAIL_TYPES]
        if detail:
            values["hf_power_ratio"] = float(min(detail))
        else:
            notes.append(
                "no ECG, PPG, EEG or EMG channel: hf_power_ratio (over-smoothing) not computed; the per-type ratios "
                "of slow signals also track their rhythm"
            )
        return values, notes


__all__ = ["DETAIL_TYPES", "SPECTRAL_OUTPUTS", "SignalSpectralDistance"]
