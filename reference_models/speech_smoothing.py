"""``speech-smoothing-features``: what over-smoothing changes in a recording, as one vector (no weights).

Per recording, at 16 kHz, over its speech span (the prosody metrics' WORLD analysis,
:func:`emoeval.functional.prosody.extract_features`: dio + stonemask F0, 5 ms frames, frame energy, CheapTrick
envelope → SPTK mel-cepstrum c0..c23, all-pass constant 0.41): the global variances of log F0 (voiced frames),
of frame energy (dB, every frame of the speech span) and of each mel-cepstral coefficient c1..c23 (every frame of the
span); the F0 range in semitones; and the modulation spectra (dB) of the interpolated log-F0 contour and of the
mel-cepstra (:mod:`emoeval.functional.global_variance`). The layout is :data:`FEATURE_LAYOUT`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard

if TYPE_CHECKING:
    from emoeval.media.audio import Audio

SAMPLE_RATE = 16000
F0_FLOOR = 60.0
F0_CEIL = 800.0
#: mel-cepstral coefficients c1..c23 at 16 kHz (c0, the level, is energy's business)
N_MCEP = 23
#: modulation-spectrum bins (Welch segments of 64 frames at 5 ms)
N_MS = 33
#: (name, start, stop) of each block of the feature vector
FEATURE_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("gv_logf0", 0, 1),
    ("gv_energy", 1, 2),
    ("gv_mcep", 2, 2 + N_MCEP),
    ("f0_range_st", 2 + N_MCEP, 3 + N_MCEP),
    ("ms_logf0", 3 + N_MCEP, 3 + N_MCEP + N_MS),
    ("ms_mcep", 3 + N_MCEP + N_MS, 3 + N_MCEP + 2 * N_MS),
)
FEATURE_SIZE = FEATURE_LAYOUT[-1][2]

SMOOTHING_CARD = ModelCard(
    name="speech-smoothing-features",
    # the version is in the cache key, the code is not: bump it whenever a feature's computation changes (2: the
    # outputs cached under 1 during development held an older, activity-masked energy GV)
    version="2",
    files=(),
    summary="over-smoothing evidence of a recording: global variances of log F0, energy and mel-cepstra, F0 range, "
    "modulation spectra (WORLD + SPTK)",
    license="MIT (computed by emoeval with pyworld and pysptk; no weights)",
    citation="Toda & Tokuda 2007 (global variance); Takamichi et al. 2016 (modulation spectrum); Morise et al. 2016",
    install_hint="pip install 'emoeval[speech]'",
    roles=("speech-smoothing-features",),
)


def block(vector: np.ndarray, name: str) -> np.ndarray:
    """One named block of a feature vector (see :data:`FEATURE_LAYOUT`), as a view of its rows' last axis."""
    for block_name, start, stop in FEATURE_LAYOUT:
        if block_name == name:
            return np.asarray(vector)[..., start:stop]
    raise KeyError(f"no block {name!r}; blocks: {[b for b, _, _ in FEATURE_LAYOUT]}")


def smoothing_features(audio: Audio, *, name: str = "recording") -> np.ndarray:
    """The :data:`FEATURE_LAYOUT` vector of a decoded recording (see the module docstring), float64.

    Raises :class:`SampleInputError` naming ``name`` for a recording without speech or with fewer than two voiced
    frames (no F0 variance to measure).
    """
    from emoeval.functional.global_variance import (
        f0_range_semitones,
        global_variance,
        interpolate_unvoiced,
        modulation_spectrum,
    )
    from emoeval.functional.prosody import extract_features

    features = extract_features(audio, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, name=name)
    voiced = features.f0[features.voiced]
    if voiced.size < 2:
        raise SampleInputError(f"{name}: fewer than two voiced frames; no F0 variance to measure")
    mcep = features.mcep[:, 1 : 1 + N_MCEP]
    try:
        parts = [
            global_variance(np.log(voiced)),
            # over the whole speech span, pauses included: the contrast between speech and its pauses is part of
            # the dynamics smoothing removes (an energy-activity mask would move with the smoothing itself)
            global_variance(features.energy_db),
            global_variance(mcep),
            np.array([f0_range_semitones(features.f0)]),
            modulation_spectrum(interpolate_unvoiced(features.f0)),
            modulation_spectrum(mcep),
        ]
    except ValueError as exc:  # a non-finite analysis value: this recording's error row, not a crashed run
        raise SampleInputError(f"{name}: {exc}") from exc
    vector = np.concatenate(parts).astype(np.float64)
    assert vector.size == FEATURE_SIZE
    return vector


class SpeechSmoothingFeatures(ReferenceModel):
    """Recording → the :data:`FEATURE_LAYOUT` vector (float64) at 16 kHz."""

    card = SMOOTHING_CARD

    def config(self) -> dict[str, Any]:
        from importlib import metadata

        return {
            "sample_rate": SAMPLE_RATE,
            "resampler": "soxr-HQ",
            "f0": f"WORLD dio+stonemask {F0_FLOOR}-{F0_CEIL} Hz, 5 ms",
            "mcep": f"SPTK sp2mc of the CheapTrick envelope, c1..c{N_MCEP}",
            "layout": [list(item) for item in FEATURE_LAYOUT],
            "pysptk": metadata.version("pysptk"),
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        # the whole analysis runs here, one recording at a time, so an error names the file it is about
        from emoeval.media.audio import decode_audio

        assert item.data is not None
        return smoothing_features(decode_audio(item.data, item.name, target_rate=SAMPLE_RATE), name=item.name)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return list(prepared)


__all__ = ["FEATURE_LAYOUT", "FEATURE_SIZE", "SMOOTHING_CARD", "SpeechSmoothingFeatures", "block", "smoothing_features"]
