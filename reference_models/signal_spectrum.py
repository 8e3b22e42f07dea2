"""``signal-spectrum``: a recording's log power spectra as an embedding — a weight-less reference model.

Each channel's Welch power spectral density, normalised to unit power within its channel type's band, on a grid
of :data:`~emoeval.functional.spectral.GRID_POINTS` = 48 log-spaced frequencies spanning that band
(:data:`~emoeval.functional.spectral.SPECTRUM_BANDS`: ECG 0.5–40 Hz, EDA and respiration 0.05–2 Hz, EEG 1–45 Hz,
...), as log10 — :func:`emoeval.functional.spectral.band_spectrum` gives every step (Welch: Hann window, 20 s
segments, 50 % overlap; cell means; the −100 dB floor). The vector concatenates the channels **in the file's
channel order**: 48 values per channel, float64.

What it is for: the spectral embedding of the signal distribution metrics (``signal_fd``, ``signal_kid``,
``signal_prdc``, ``signal_emotion_diversity`` with ``embedder=signal-spectrum``; role ``signal-embedder``) and a
feature set for probes and augmentation studies (role ``signal-emotion-features``). Unlike the physiological
descriptors it needs no beat, response or breath detection, reads every channel type (EMG, PPG, temperature
too), and sees what descriptors summarise away: QRS sharpness, broadband noise, a spectrum shifted by a wrong
sampling rate, line spectra of a repeated excerpt.

Two recordings give vectors of the same length only when they have the same number of channels; the vector's
meaning also needs the same channel order. Sets with different channel layouts therefore cannot be compared
through it: the distribution metrics refuse a recording whose vector length differs from the reference set's,
naming both lengths.

Refused per recording (:class:`~emoeval.errors.SampleInputError`, naming the file): a channel whose band reaches
above the Nyquist frequency (the message names the sampling rate: resample to at least twice the band's top),
recordings shorter than one 20 s Welch segment, flat or non-finite channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.functional import spectral
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard


def recording_spectrum(signal: Any) -> np.ndarray:
    """The embedding of one :class:`~emoeval.media.signal.Signal`: log10 normalised band spectra of its channels,
    concatenated in channel order (module docstring)."""
    where = signal.source or "recording"
    parts = [
        np.log10(spectral.band_spectrum(row, signal.rate, kind, where=f"{where} (channel {name})"))
        for row, name, kind in zip(signal.data, signal.channels, signal.types, strict=True)
    ]
    return np.concatenate(parts)


class SignalSpectrum(ReferenceModel):
    """Recording → log10 normalised Welch spectra of its channels on fixed per-type log-frequency grids (48 per
    channel, channel order)."""

    card: ClassVar[ModelCard] = ModelCard(
        name="signal-spectrum",
        version="1",
        files=(),
        summary=(
            "log10 Welch PSD per channel, unit power within the channel type's band, 48 log-spaced frequencies "
            "per channel, concatenated in channel order"
        ),
        license="MIT (computed by emoeval with scipy; no weights)",
        citation="Welch 1967, IEEE Trans. Audio Electroacoustics 15(2) (the averaged-periodogram PSD estimate)",
        install_hint="pip install emoeval (scipy only)",
        roles=("signal-embedder", "signal-emotion-features"),
    )
    #: Welch and a few array operations: threads would only contend for the GIL
    parallel_prepare: ClassVar[bool] = False

    def config(self) -> dict[str, Any]:
        return {
            "bands": {kind: list(band) for kind, band in spectral.SPECTRUM_BANDS.items()},
            "points": spectral.GRID_POINTS,
            "segment_seconds": spectral.SEGMENT_SECONDS,
            "welch": {"window": "hann", "overlap": 0.5, "detrend": "constant", "average": "mean"},
            "normalised": "unit power within the band",
            "density_floor": spectral.DENSITY_FLOOR,
            "order": "file channel order",
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        """Read the recording and compute its spectra (an unusable recording is an error of its own)."""
        from emoeval.media.signal import read_signal

        if item.path is None:
            raise SampleInputError(f"{item.name}: signal-spectrum reads signal files, not texts")
        return recording_spectrum(read_signal(item.path))

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return list(prepared)


__all__ = ["SignalSpectrum", "recording_spectrum"]
