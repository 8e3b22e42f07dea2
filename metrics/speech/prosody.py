"""Prosody of generated speech: distances to a reference utterance, mel-cepstral distortion, and descriptors.

All three metrics analyse each recording the same way (:func:`extract_features`), at one analysis rate
(``sample_rate``, 16 kHz by default; both recordings are resampled to it with soxr HQ):

- **frames**: WORLD's 5 ms frame period; frame *k* is centred at *k* · 5 ms;
- **F0**: WORLD DIO + StoneMask (``f0_method="world"``, the usual fast choice: 0.011 s per second of audio on
  one core here), WORLD Harvest + StoneMask (``"harvest"``: fewer voicing errors, 0.27 s per second) or
  librosa's probabilistic YIN (``"pyin"``, librosa's defaults at a 5 ms hop: 0.57 s per second), searched
  between ``f0_floor`` and ``f0_ceil`` (60–800 Hz by default: low male to high emotional female/child speech);
  a frame is voiced when its F0 is above 0 (WORLD) or pYIN's voicing decision says so. The mel-cepstra add
  0.07 s per second of audio; DTW of two 2.5 s utterances takes 0.015 s;
- **energy**: frame log-energy 10·log10(mean x²) in dB re full scale over 25 ms windows
  (:func:`emoeval.media.audio.frame_energy_db`);
- **speech activity**: the energy voice-activity detector :func:`emoeval.media.audio.speech_activity` (active =
  within 35 dB of the loudest frames and 12 dB above the noise floor). The analysis is **trimmed** to the
  *speech span*, from the first to the last active frame, so leading/trailing silence and padding (EmoDB's
  copies here are zero-padded to 2 s) change nothing. A recording with no active frame — its loudest frame less
  than 12 dB above the 2nd percentile of its frame energies (2 s of white noise: 1.5 dB; the 35 EmoDB and demo
  recordings here: 99th percentile 30–93 dB above it) — is a per-sample error "no speech detected in <file>"
  (steady noise or near-silence), unless at least 80 % of its frames are voiced: a steady voiced sound (a
  sustained vowel, a synthetic glide) is analysed whole, all frames active, with a note in ``warning``. Less
  than 100 ms of active frames is another per-sample error. Otherwise voicing is not required (whispered
  speech is analysed);
- **pauses**: runs of inactive frames inside the speech span lasting at least ``min_pause_s`` (100 ms by
  default: shorter gaps are mostly stop-consonant closures);
- **speaking rate**: syllable nuclei per second of speech span, in the manner of de Jong & Wempe (2009): peaks
  of the energy contour (smoothed over 20 ms) with at least 1.5 dB prominence, 50 ms apart, in voiced active
  frames. Connected syllables merge, so it undercounts: on EmoDB's 8- and 9-syllable sentences (16 untruncated
  recordings, 7 emotions) by 1.1 syllables on average (mean absolute error 1.25). Compare rates, not counts;
- **mel-cepstrum**: WORLD CheapTrick spectral envelope → SPTK ``sp2mc`` (pysptk), order by analysis rate as in
  ESPnet2's MCD script (23 at ≤ 16 kHz, 34 at ≤ 24 kHz, 39 above; 13 at 8 kHz) and all-pass constant
  ``pysptk.util.mcepalpha(rate)`` (0.41 at 16 kHz, 0.455 at 22.05 kHz, 0.466 at 24 kHz; tables often round
  the first to 0.42).

Output and reference are aligned by DTW (:mod:`emoeval.metrics.speech._dtw`: symmetric steps, Euclidean distance
between mel-cepstra without c0) over their speech spans; frame-pair statistics run over the path. The DTW is exact
up to 16 million frame pairs (N·M: e.g. two 20 s speech spans, 256 MB); above that it is restricted to a
Sakoe–Chiba band of ±10 % of the longer span plus the length difference (2 bits of memory per band cell: about
170 MB at peak for two 4-minute spans, where exact DTW would need 34 GiB), noted in the ``warning`` column; beyond
2·10⁹ band cells (about two 8-minute spans) the sample is a per-sample error instead.
Per-utterance features are computed once per metric call (a batch: a reference shared by several outputs of the
batch is analysed once); nothing is cached across calls or globally.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.media.audio import Audio
    from emoeval.metrics.speech._dtw import Alignment, AlignmentTooLongError
    from emoeval.samples import Sample

F0Method = Literal["world", "harvest", "pyin"]
F0_METHODS: tuple[str, ...] = ("world", "harvest", "pyin")
#: WORLD's default frame period
FRAME_PERIOD_S = 0.005
#: MCD scale: (10 / ln 10) · sqrt(2) turns a Euclidean mel-cepstral distance into dB
MCD_SCALE = 10.0 / math.log(10.0) * math.sqrt(2.0)
#: fewer frames than this in the speech span (100 ms) cannot be analysed
MIN_SPEECH_FRAMES = 20
#: a recording with no energy dynamics (no frame speech-active) still counts as speech — one sustained voiced
#: sound — when at least this share of its frames is voiced: a harmonic glide 99.5–100 % with each F0 tracker;
#: 2 s of white, pink or brown noise or of hiss at most 47 % (pYIN on brown noise; DIO ≤ 8 %)
STEADY_VOICED_MIN_FRACTION = 0.8
INF = math.inf


# -- pure functions ------------------------------------------------------------------------------------------------


def mel_cepstral_distortion(
    mcep_output: np.ndarray, mcep_reference: np.ndarray, path: np.ndarray | None = None
) -> float:
    """Mean over aligned frame pairs of (10/ln 10)·sqrt(2·Σ_d (c_d − c'_d)²), in dB.

    The arrays are (frames, D) and hold the coefficients to compare (c1..cD: drop c0 before calling).
    ``path`` is an array of (output frame, reference frame) rows; without one, frames are paired in order
    (the lengths must match).

    >>> import numpy as np
    >>> round(mel_cepstral_distortion(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])), 4)  # 10/ln10·√2
    6.1419
    """
    import numpy as np

    a, b = np.asarray(mcep_output, dtype=np.float64), np.asarray(mcep_reference, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"mel-cepstra must be (frames, D) arrays of one D, got {a.shape} and {b.shape}")
    if path is None:
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"{a.shape[0]} vs {b.shape[0]} frames: pass a DTW path to pair them")
        pairs_a, pairs_b = a, b
    else:
        pairs_a, pairs_b = a[path[:, 0]], b[path[:, 1]]
    return float(np.mean(MCD_SCALE * np.sqrt(np.sum((pairs_a - pairs_b) ** 2, axis=1))))


def align(mcep_output: np.ndarray, mcep_reference: np.ndarray) -> np.ndarray:
    """DTW path (rows of output frame, reference frame) between two mel-cepstrum sequences, c0 excluded."""
    return alignment(mcep_output, mcep_reference).path


def alignment(mcep_output: np.ndarray, mcep_reference: np.ndarray) -> Alignment:
    """DTW of two mel-cepstrum sequences on c1..cD: exact up to 16 million frame pairs, banded above (see
    :mod:`emoeval.metrics.speech._dtw`); raises ``AlignmentTooLongError`` beyond the band limit."""
    from emoeval.metrics.speech._dtw import align_sequences

    return align_sequences(mcep_output[:, 1:], mcep_reference[:, 1:])


def too_long_message(output: str, reference: str, error: AlignmentTooLongError) -> str:
    """Per-sample error text for speech spans too long to align (the hard ceiling of the banded DTW)."""
    from emoeval.metrics.speech import _dtw

    minutes = FRAME_PERIOD_S / 60
    # equal spans of L frames fill about L · 2·BAND_FRACTION·L band cells
    equal_spans = math.sqrt(error.limit / (2 * _dtw.BAND_FRACTION)) * minutes
    return (
        f"{output} against reference {reference}: speech spans of {error.n * minutes:.1f} and "
        f"{error.m * minutes:.1f} min are too long to align — the DTW band would hold {error.cells / 1e9:.2f} "
        f"billion frame pairs, above the limit of {error.limit / 1e9:.2f} billion (about two {equal_spans:.1f}-minute "
        "spans). Score shorter segments (split long recordings by sentence), or raise "
        "emoeval.metrics.speech._dtw.MAX_BAND_CELLS if limit / 4 bytes of memory are free"
    )


def band_note(aligned: Alignment, frame_period_s: float = FRAME_PERIOD_S) -> str | None:
    """Warning text for an alignment that used the Sakoe–Chiba band (None for exact DTW)."""
    from emoeval.metrics.speech import _dtw

    if aligned.radius is None:
        return None
    n, m = int(aligned.path[-1, 0]) + 1, int(aligned.path[-1, 1]) + 1
    return (
        f"long recordings ({n} × {m} frame pairs, above the {_dtw.EXACT_MAX_CELLS / 1e6:g} million of exact DTW): "
        f"aligned within a Sakoe–Chiba band of ±{aligned.radius} frames ({aligned.radius * frame_period_s:.1f} s, "
        f"{_dtw.BAND_FRACTION:.0%} of the longer speech span) plus the length difference; paths leaving the band "
        "are not searched, so the alignment's DTW cost is never below exact DTW's (equal when the exact path stays "
        "inside)"
    )


def f0_errors(f0_output: np.ndarray, f0_reference: np.ndarray, path: np.ndarray) -> dict[str, float]:
    """F0 RMSE in Hz and in cents, and the Pearson correlation of log F0, over path pairs voiced in both.

    F0 is 0 (or NaN) in unvoiced frames. Keys: ``f0_rmse_hz``, ``f0_rmse_cents`` (1200·log2 of the ratio),
    ``logf0_corr`` (absent when fewer than 3 pairs or a constant track), ``voiced_pairs``.

    >>> import numpy as np
    >>> path = np.array([[0, 0], [1, 1], [2, 2]])
    >>> errors = f0_errors(np.array([100.0, 200.0, 0.0]), np.array([100.0, 100.0, 90.0]), path)
    >>> round(errors["f0_rmse_hz"], 4), round(errors["f0_rmse_cents"], 4), errors["voiced_pairs"]
    (70.7107, 848.5281, 2.0)
    """
    import numpy as np

    out = np.nan_to_num(np.asarray(f0_output, dtype=np.float64)[path[:, 0]])
    ref = np.nan_to_num(np.asarray(f0_reference, dtype=np.float64)[path[:, 1]])
    both = (out > 0) & (ref > 0)
    result: dict[str, float] = {"voiced_pairs": float(np.sum(both))}
    if not np.any(both):
        return result
    out, ref = out[both], ref[both]
    result["f0_rmse_hz"] = float(np.sqrt(np.mean((out - ref) ** 2)))
    result["f0_rmse_cents"] = float(np.sqrt(np.mean((1200.0 * np.log2(out / ref)) ** 2)))
    correlation = pearson(np.log(out), np.log(ref))
    if not math.isnan(correlation):
        result["logf0_corr"] = correlation
    return result


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN with fewer than 3 pairs or a constant input.

    >>> pearson([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]) > 0.98
    True
    """
    import numpy as np

    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    a, b = a - a.mean(), b - b.mean()
    return float(np.clip(np.sum(a * b) / math.sqrt(float(np.sum(a * a) * np.sum(b * b))), -1.0, 1.0))


def voicing_errors(voiced_output: np.ndarray, voiced_reference: np.ndarray, path: np.ndarray) -> dict[str, float]:
    """Voiced/unvoiced decision error rate over path pairs, and voicing F1 with the reference as truth.

    F1 = 2·TP / (2·TP + FP + FN) (absent when neither side has a voiced frame).

    >>> import numpy as np
    >>> path = np.array([[0, 0], [1, 1], [2, 2], [3, 3]])
    >>> voicing_errors(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool), path)
    {'vuv_error': 0.5, 'voicing_f1': 0.5}
    """
    import numpy as np

    out = np.asarray(voiced_output, dtype=bool)[path[:, 0]]
    ref = np.asarray(voiced_reference, dtype=bool)[path[:, 1]]
    result = {"vuv_error": float(np.mean(out != ref))}
    tp, fp, fn = int(np.sum(out & ref)), int(np.sum(out & ~ref)), int(np.sum(~out & ref))
    if tp + fp + fn:
        result["voicing_f1"] = 2.0 * tp / (2.0 * tp + fp + fn)
    return result


def energy_errors(
    energy_output: np.ndarray,
    energy_reference: np.ndarray,
    active_output: np.ndarray,
    active_reference: np.ndarray,
    path: np.ndarray,
) -> dict[str, float]:
    """Energy-contour RMSE (dB) and correlation over path pairs active in both, and the level difference.

    Each contour is taken relative to its own mean over its active frames (so a pure gain change gives RMSE 0);
    that gain is reported separately as ``level_difference_db``: the active-speech level of the output minus
    that of the reference (10·log10 of mean power over active frames).
    """
    import numpy as np

    e_out, e_ref = np.asarray(energy_output, dtype=np.float64), np.asarray(energy_reference, dtype=np.float64)
    a_out, a_ref = np.asarray(active_output, dtype=bool), np.asarray(active_reference, dtype=bool)
    level_out = 10.0 * math.log10(float(np.mean(10.0 ** (e_out[a_out] / 10.0))))
    level_ref = 10.0 * math.log10(float(np.mean(10.0 ** (e_ref[a_ref] / 10.0))))
    both = a_out[path[:, 0]] & a_ref[path[:, 1]]
    result = {"level_difference_db": level_out - level_ref}
    if not np.any(both):
        return result
    x = e_out[path[both, 0]] - float(np.mean(e_out[a_out]))
    y = e_ref[path[both, 1]] - float(np.mean(e_ref[a_ref]))
    result["energy_rmse_db"] = float(np.sqrt(np.mean((x - y) ** 2)))
    correlation = pearson(x, y)
    if not math.isnan(correlation):
        result["energy_corr"] = correlation
    return result


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True values.

    >>> import numpy as np
    >>> runs(np.array([0, 1, 1, 0, 1], bool))
    [(1, 3), (4, 5)]
    """
    import numpy as np

    padded = np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0]))
    edges = np.diff(padded)
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def pauses(active: np.ndarray, *, frame_period_s: float = FRAME_PERIOD_S, min_pause_s: float = 0.1) -> list[float]:
    """Durations (s) of pauses: inactive runs of at least ``min_pause_s`` between the first and last active frame.

    >>> import numpy as np
    >>> pauses(np.array([0] * 5 + [1] * 10 + [0] * 30 + [1] * 5 + [0] * 10 + [1] * 2, bool))
    [0.15]
    """
    import numpy as np

    mask = np.asarray(active, dtype=bool)
    if not np.any(mask):
        return []
    first, last = int(np.argmax(mask)), int(mask.size - 1 - np.argmax(mask[::-1]))
    inside = ~mask[first : last + 1]
    return [
        round((stop - start) * frame_period_s, 9)
        for start, stop in runs(inside)
        if (stop - start) * frame_period_s >= min_pause_s - 1e-9
    ]


def syllable_nuclei(
    energy_db: np.ndarray, voiced: np.ndarray, active: np.ndarray, *, frame_period_s: float = FRAME_PERIOD_S
) -> np.ndarray:
    """Frame indices of syllable nuclei: peaks of the energy contour smoothed over 20 ms, with ≥ 1.5 dB
    prominence and ≥ 50 ms apart, in frames both voiced and active (after de Jong & Wempe 2009)."""
    import numpy as np
    from scipy.signal import find_peaks

    width = max(1, round(0.02 / frame_period_s))
    smooth = np.convolve(np.asarray(energy_db, dtype=np.float64), np.ones(width) / width, mode="same")
    peaks, _ = find_peaks(smooth, prominence=1.5, distance=max(1, round(0.05 / frame_period_s)))
    keep = np.asarray(voiced, dtype=bool)[peaks] & np.asarray(active, dtype=bool)[peaks]
    return peaks[keep]


# -- features ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProsodyFeatures:
    """One utterance analysed over its speech span (frames every ``frame_period_s``).

    ``f0`` is in Hz (0 where unvoiced); ``mcep`` holds c0..cD per frame (empty (n, 0) when not extracted);
    ``first_frame`` is the index of the span's first frame in the whole recording; ``notes`` are remarks for the
    ``warning`` column (a steady recording analysed as one sustained voiced sound).
    """

    f0: np.ndarray
    voiced: np.ndarray
    energy_db: np.ndarray
    active: np.ndarray
    mcep: np.ndarray
    sample_rate: int
    first_frame: int = 0
    frame_period_s: float = FRAME_PERIOD_S
    notes: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the speech span."""
        return self.f0.size * self.frame_period_s


def mcep_order(rate: int) -> int:
    """Mel-cepstrum order for an analysis rate (ESPnet2's MCD table: 13 at 8 kHz, 23 at 16 kHz, 34 at
    22.05/24 kHz, 39 at 44.1/48 kHz; rates between take the next table row up).

    >>> mcep_order(16000), mcep_order(22050), mcep_order(48000)
    (23, 34, 39)
    """
    for limit, order in ((8000, 13), (16000, 23), (24000, 34)):
        if rate <= limit:
            return order
    return 39


def mcep_alpha(rate: int) -> float:
    """All-pass constant that best fits the mel scale at ``rate`` (``pysptk.util.mcepalpha``, 3 decimals)."""
    pysptk = _pysptk()
    return round(float(pysptk.util.mcepalpha(rate)), 3)


def _pysptk() -> Any:
    try:
        with warnings.catch_warnings():  # pysptk.util imports pkg_resources (deprecated) at import time
            warnings.simplefilter("ignore")
            import pysptk
            import pysptk.util
    except ImportError as exc:
        raise MissingDependencyError("mel-cepstra need pysptk: pip install 'emoeval[speech]'") from exc
    return pysptk


def _pyworld() -> Any:
    try:
        import pyworld
    except ImportError as exc:
        raise MissingDependencyError(
            "WORLD analysis needs pyworld: pip install 'emoeval[speech]' (it installs pyworld-prebuilt)"
        ) from exc
    return pyworld


def extract_features(
    audio: Audio,
    *,
    f0_method: F0Method = "world",
    f0_floor: float = 60.0,
    f0_ceil: float = 800.0,
    with_mcep: bool = True,
    name: str = "recording",
) -> ProsodyFeatures:
    """F0, voicing, energy, activity and (optionally) mel-cepstra of one recording, trimmed to its speech span.

    Raises :class:`SampleInputError` (naming ``name``) when no frame is speech-active and fewer than 80 % are
    voiced ("no speech detected"), or when the speech span is shorter than 100 ms.
    """
    import numpy as np

    from emoeval.media.audio import VAD_ABOVE_FLOOR_DB, speech_activity

    pyworld = _pyworld()
    x = audio.samples.astype(np.float64)
    rate = audio.sample_rate
    period_ms = FRAME_PERIOD_S * 1000
    if f0_method == "harvest":
        f0, times = pyworld.harvest(x, rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=period_ms)
    else:
        f0, times = pyworld.dio(x, rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=period_ms)
    if f0_method in ("world", "harvest"):
        f0 = pyworld.stonemask(x, f0, times, rate)
    elif f0_method == "pyin":
        f0 = _pyin(x, rate, times.size, f0_floor, f0_ceil)
    else:
        raise ValueError(f"unknown f0_method {f0_method!r}; choose one of {F0_METHODS}")
    n = f0.size
    f0 = np.where(np.isfinite(f0) & (f0 > 0), f0, 0.0)
    energy = frame_energy(x, rate, n)
    active = speech_activity(energy)
    notes: tuple[str, ...] = ()
    if not np.any(active):
        # np.argmax of an all-False mask is 0: without this check the whole recording was read as the speech span
        # with no active frame (white noise got an MCD and descriptors, no warning)
        voiced_fraction = float(np.mean(f0 > 0))
        if voiced_fraction < STEADY_VOICED_MIN_FRACTION:
            raise SampleInputError(no_speech_message(name, energy, voiced_fraction, f0_method))
        active = np.ones_like(active)
        notes = (
            f"{name}: no energy dynamics (no frame {VAD_ABOVE_FLOOR_DB:.0f} dB above the noise floor) but "
            f"{voiced_fraction:.0%} of frames voiced: analysed whole, as one sustained voiced sound without pauses",
        )
    first, last = int(np.argmax(active)), int(active.size - 1 - np.argmax(active[::-1]))
    if last + 1 - first < MIN_SPEECH_FRAMES:
        raise SampleInputError(
            f"{name}: only {(last + 1 - first) * FRAME_PERIOD_S * 1000:.0f} ms of speech found (energy voice "
            "activity); at least 100 ms needed for prosody analysis"
        )
    span = slice(first, last + 1)
    if with_mcep:
        pysptk = _pysptk()
        envelope = pyworld.cheaptrick(x, f0, times, rate)
        mcep = pysptk.sp2mc(envelope[span], mcep_order(rate), mcep_alpha(rate))
    else:
        mcep = np.zeros((last + 1 - first, 0))
    return ProsodyFeatures(
        f0=f0[span],
        voiced=f0[span] > 0,
        energy_db=energy[span],
        active=active[span],
        mcep=np.asarray(mcep, dtype=np.float64),
        sample_rate=rate,
        first_frame=first,
        notes=notes,
    )


def no_speech_message(name: str, energy_db: np.ndarray, voiced_fraction: float, f0_method: str) -> str:
    """Error text for a recording in which the energy voice-activity detector finds no active frame and the F0
    tracker few voiced frames.

    With no active frame, even the loudest frame is less than ``VAD_ABOVE_FLOOR_DB`` (12 dB) above the noise floor
    (the 2nd percentile of frame energies); with fewer than :data:`STEADY_VOICED_MIN_FRACTION` of frames voiced it
    is not a sustained voiced sound either: the recording is steady noise or near-silence.
    """
    import numpy as np

    from emoeval.media.audio import ENERGY_WINDOW_S, VAD_ABOVE_FLOOR_DB

    loudest, floor = float(np.max(energy_db)), float(np.percentile(energy_db, 2))
    return (
        f"no speech detected in {name}: no frame's energy rises {VAD_ABOVE_FLOOR_DB:.0f} dB above the recording's "
        f"noise floor (energy voice activity over {ENERGY_WINDOW_S * 1000:.0f} ms frames: loudest frame "
        f"{loudest:.1f} dB, floor {floor:.1f} dB re full scale, the 2nd percentile) and only {voiced_fraction:.0%} "
        f"of frames voiced ({f0_method} F0; a steady voiced sound needs {STEADY_VOICED_MIN_FRACTION:.0%}) — steady "
        "noise or near-silence; check that this recording holds speech"
    )


def frame_energy(samples: np.ndarray, rate: int, n_frames: int) -> np.ndarray:
    """Frame log-energy (dB) at WORLD's frame times (see :func:`emoeval.media.audio.frame_energy_db`)."""
    from emoeval.media.audio import frame_energy_db

    return frame_energy_db(samples, rate, hop_s=FRAME_PERIOD_S, n_frames=n_frames)


def _pyin(x: np.ndarray, rate: int, n_frames: int, f0_floor: float, f0_ceil: float) -> np.ndarray:
    """pYIN F0 (0 where unvoiced) at WORLD's frame times (k · 5 ms): centred frames, a hop of the nearest whole
    number of samples to 5 ms, each WORLD frame taking the nearest pYIN frame; window ≥ 50 ms."""
    import librosa
    import numpy as np

    hop = max(1, round(FRAME_PERIOD_S * rate))
    frame_length = int(2 ** math.ceil(math.log2(0.05 * rate)))
    f0, voiced, _ = librosa.pyin(
        x, fmin=f0_floor, fmax=f0_ceil, sr=rate, frame_length=frame_length, hop_length=hop, center=True
    )
    f0 = np.where(voiced, np.nan_to_num(f0), 0.0)
    # nearest pYIN frame to t_j = j / 200 s, in exact integer arithmetic (round half up)
    per_second = round(1.0 / FRAME_PERIOD_S)
    nearest = (2 * np.arange(n_frames, dtype=np.int64) * rate + per_second * hop) // (2 * per_second * hop)
    return f0[np.clip(nearest, 0, f0.size - 1)]


def prosody_distance(
    output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, *, min_pause_s: float = 0.1
) -> dict[str, float]:
    """Every value of ``speech_prosody_distance`` from two analysed utterances and their DTW path."""
    values: dict[str, float] = {}
    values.update(f0_errors(output.f0, reference.f0, path))
    values.pop("voiced_pairs")
    values.update(voicing_errors(output.voiced, reference.voiced, path))
    values.update(energy_errors(output.energy_db, reference.energy_db, output.active, reference.active, path))
    values["duration_ratio"] = output.duration_s / reference.duration_s
    values["speaking_rate_difference"] = speaking_rate(output) - speaking_rate(reference)
    out_pauses = pauses(output.active, frame_period_s=output.frame_period_s, min_pause_s=min_pause_s)
    ref_pauses = pauses(reference.active, frame_period_s=reference.frame_period_s, min_pause_s=min_pause_s)
    values["pause_count_difference"] = float(len(out_pauses) - len(ref_pauses))
    values["pause_duration_difference_s"] = float(sum(out_pauses) - sum(ref_pauses))
    return values


def speaking_rate(features: ProsodyFeatures) -> float:
    """Syllable nuclei per second of speech span."""
    nuclei = syllable_nuclei(
        features.energy_db, features.voiced, features.active, frame_period_s=features.frame_period_s
    )
    return nuclei.size / features.duration_s


def prosody_descriptors(features: ProsodyFeatures, *, min_pause_s: float = 0.1) -> dict[str, float]:
    """Every value of ``speech_prosody_descriptors`` (F0 outputs are absent without voiced frames)."""
    import numpy as np

    values: dict[str, float] = {}
    f0 = features.f0[features.voiced]
    if f0.size:
        semitones = 12.0 * np.log2(f0)
        low, high = np.percentile(semitones, [5, 95])
        values.update(
            f0_mean_hz=float(np.mean(f0)),
            f0_median_hz=float(np.median(f0)),
            f0_sd_semitones=float(np.std(semitones)),
            f0_range_semitones=float(high - low),
        )
    active_energy = features.energy_db[features.active]
    span_pauses = pauses(features.active, frame_period_s=features.frame_period_s, min_pause_s=min_pause_s)
    values.update(
        voiced_fraction=float(np.mean(features.voiced)),
        energy_mean_db=float(np.mean(active_energy)),
        energy_sd_db=float(np.std(active_energy)),
        speaking_rate=speaking_rate(features),
        pause_count=float(len(span_pauses)),
        pause_ratio=float(sum(span_pauses) / features.duration_s),
        speech_duration_s=features.duration_s,
    )
    return values


# -- metrics -------------------------------------------------------------------------------------------------------


class _ProsodyMetric(SampleMetric):
    """Shared loading and analysis: each file once per call, at one analysis rate."""

    batch_size = 8
    with_mcep: bool = True

    def __init__(
        self,
        *,
        f0_method: F0Method = "world",
        sample_rate: int | None = 16000,
        f0_floor: float = 60.0,
        f0_ceil: float = 800.0,
        min_pause_s: float = 0.1,
    ) -> None:
        if f0_method not in F0_METHODS:
            raise ValueError(f"unknown f0_method {f0_method!r}; choose one of {F0_METHODS}")
        if sample_rate is not None and sample_rate < 8000:
            raise ValueError(f"sample_rate {sample_rate} Hz is too low for speech analysis (use ≥ 8000, or None)")
        if not 0 < f0_floor < f0_ceil:
            raise ValueError(f"need 0 < f0_floor < f0_ceil, got {f0_floor} and {f0_ceil}")
        self.f0_method = f0_method
        self.sample_rate = sample_rate
        self.f0_floor = f0_floor
        self.f0_ceil = f0_ceil
        self.min_pause_s = min_pause_s

    def _analyse(
        self, path: Path, rate: int | None, done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str]
    ) -> tuple[Audio, ProsodyFeatures] | str:
        """``(audio, features)`` of a file at ``rate`` (None: its own rate), or the error text; memoised in ``done``."""
        from emoeval.media.audio import load_audio

        key = (str(path), rate)
        if key not in done:
            try:
                audio = load_audio(path, target_rate=rate)
                features = extract_features(
                    audio,
                    f0_method=self.f0_method,
                    f0_floor=self.f0_floor,
                    f0_ceil=self.f0_ceil,
                    with_mcep=self.with_mcep,
                    name=str(path),
                )
                done[key] = (audio, features)
            except SampleInputError as exc:
                done[key] = str(exc)
        return done[key]


class _PairedProsodyMetric(_ProsodyMetric):
    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note
        from emoeval.metrics.speech._dtw import AlignmentTooLongError

        done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str] = {}
        scores = []
        for sample in samples:
            output = self._analyse(sample.path, self.sample_rate, done)
            if isinstance(output, str):
                scores.append(SampleScore.failed(output))
                continue
            rate = self.sample_rate or output[0].sample_rate
            reference = self._analyse(Path(sample.reference), rate, done)  # type: ignore[arg-type]
            if isinstance(reference, str):
                scores.append(SampleScore.failed(f"reference: {reference}"))
                continue
            notes = [*output[0].warnings, *reference[0].warnings, *output[1].notes, *reference[1].notes]
            note = resampling_note(rate, output=output[0].original_rate, reference=reference[0].original_rate)
            if note:
                notes.append(note.replace("for the model", "for analysis"))
            try:
                aligned = alignment(output[1].mcep, reference[1].mcep)
            except AlignmentTooLongError as exc:
                scores.append(SampleScore.failed(too_long_message(str(sample.path), str(sample.reference), exc)))
                continue
            band = band_note(aligned)
            if band:
                notes.append(band)
            values = self._values(output[1], reference[1], aligned.path, notes)
            scores.append(SampleScore(values=values, warning="; ".join(notes) or None))
        return scores

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        raise NotImplementedError


class SpeechProsodyDistance(_PairedProsodyMetric):
    """Prosody distance between generated speech and a ``reference`` utterance of the same text.

    **Meaning.** Both utterances are analysed at one rate (16 kHz by default), trimmed to their speech spans and
    aligned by DTW on mel-cepstra (see the module docstring for every analysis choice). Along the path:
    F0 RMSE in Hz and in cents and the Pearson correlation of log F0, over frame pairs voiced in both; the
    voiced/unvoiced decision error rate and voicing F1 (reference voicing as truth); the energy-contour RMSE (dB)
    and correlation over pairs active in both, each contour taken relative to its own mean, with the overall
    level gap reported apart (``level_difference_db``). Timing: the ratio of speech-span durations
    (output / reference), the difference in speaking rate (syllable nuclei per second), and the differences in
    the number and total duration of pauses (≥ ``min_pause_s``, 100 ms, from the energy voice-activity
    detector). F0 comes from WORLD DIO + StoneMask unless ``f0_method`` says ``"harvest"`` or ``"pyin"``.

    **Range and direction.** ``f0_rmse_cents`` (headline), ``f0_rmse_hz``, ``vuv_error`` (0–1) and
    ``energy_rmse_db`` are ≥ 0, lower is better; ``logf0_corr`` and ``energy_corr`` are in [-1, 1] and
    ``voicing_f1`` in [0, 1], higher is better. Identical recordings give 0 and 1. ``duration_ratio`` (1 = same
    length) and the signed differences (output minus reference; 0 = same) have no direction. Measured on EmoDB
    (same speaker and sentence, 16 kHz): another emotion 724 cents on average (209–1491; log-F0 r 0.44,
    energy r 0.59), a copy with −3 dB gain, a 7 ms delay and noise 40 dB down 86 cents (r 0.95 and 0.98).
    DIO's octave and voicing slips weigh heavily on the RMSE; ``logf0_corr`` is the steadier signal. F0
    outputs are absent when no frame pair is voiced in both (the ``warning`` column says so).

    **Needs.** Audio in ``path`` and a recording of the same text in ``reference`` (ground truth or another
    system). Empty, too short, silent, NaN or unreadable audio, a recording with no detected speech (steady noise,
    near-silence: "no speech detected in <file>"; prefixed "reference: " for the reference), or less than 100 ms
    of detected speech, is a per-sample error; clipping and resampling are noted in ``warning``. Alignment is
    exact DTW up to 16 million frame pairs (two 20 s speech spans), a Sakoe–Chiba band (±10 % of the longer
    span plus the length difference, noted in ``warning``) above, and a per-sample error beyond 2·10⁹ band cells
    (about two 8-minute spans): split longer recordings.

    **Source.** WORLD (Morise et al. 2016, IEICE); pYIN (Mauch & Dixon 2014, ICASSP); DTW-aligned F0 RMSE,
    log-F0 correlation and V/UV error as reported in emotional voice conversion (e.g. Zhou et al. 2021,
    "Seen and unseen emotional style transfer", ICASSP; Emo-StarGAN, Ghosh et al. 2023); syllable nuclei after
    de Jong & Wempe (2009), Behavior Research Methods.

    >>> SpeechProsodyDistance.spec.headline.name, SpeechProsodyDistance(f0_method="pyin").params()["f0_method"]
    ('f0_rmse_cents', 'pyin')
    """

    spec = MetricSpec(
        name="speech_prosody_distance",
        modality="speech",
        scope="sample",
        outputs=(
            Output("f0_rmse_cents", higher_is_better=False, range=(0.0, INF), description="F0 RMSE in cents"),
            Output("f0_rmse_hz", higher_is_better=False, range=(0.0, INF), description="F0 RMSE in Hz"),
            Output("logf0_corr", higher_is_better=True, range=(-1.0, 1.0), description="log-F0 Pearson r"),
            Output("vuv_error", higher_is_better=False, range=(0.0, 1.0), description="V/UV decision error rate"),
            Output("voicing_f1", higher_is_better=True, range=(0.0, 1.0), description="voicing F1 (ref = truth)"),
            Output("energy_rmse_db", higher_is_better=False, range=(0.0, INF), description="energy contour RMSE"),
            Output("energy_corr", higher_is_better=True, range=(-1.0, 1.0), description="energy contour Pearson r"),
            Output("level_difference_db", higher_is_better=None, range=(-INF, INF), description="level, out − ref"),
            Output("duration_ratio", higher_is_better=None, range=(0.0, INF), description="speech span, out / ref"),
            Output(
                "speaking_rate_difference",
                higher_is_better=None,
                range=(-INF, INF),
                description="syllable nuclei per second, out − ref",
            ),
            Output("pause_count_difference", higher_is_better=None, range=(-INF, INF), description="out − ref"),
            Output("pause_duration_difference_s", higher_is_better=None, range=(-INF, INF), description="out − ref"),
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        summary="prosody distance to a reference utterance (DTW-aligned F0, voicing, energy, timing, pauses)",
        citation="Morise et al. 2016 (WORLD); Mauch & Dixon 2014 (pYIN); de Jong & Wempe 2009 (syllable nuclei)",
    )

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        values = prosody_distance(output, reference, path, min_pause_s=self.min_pause_s)
        if "f0_rmse_cents" not in values:
            notes.append("no frame pair voiced in both recordings: F0 outputs left out")
        elif "logf0_corr" not in values:
            notes.append("log-F0 correlation undefined (fewer than 3 voiced pairs or a flat F0 track)")
        return values


class SpeechMCD(_PairedProsodyMetric):
    """Mel-cepstral distortion (dB) between generated speech and a ``reference`` utterance of the same text.

    **Meaning.** MCD = mean over DTW-aligned frame pairs of (10/ln 10)·sqrt(2·Σ_{d=1..D}(c_d − c'_d)²), c0
    (energy) excluded. Exactly this variant: both recordings at one analysis rate (16 kHz by default, soxr HQ),
    trimmed to their speech spans (energy voice activity; pauses inside the span stay in); 5 ms frames; WORLD
    CheapTrick envelope (on the F0 of ``f0_method``) → SPTK ``sp2mc`` with order D = 23 at 16 kHz (34 at
    22.05/24 kHz, 39 at 44.1/48 kHz, as ESPnet2's script) and α = ``pysptk.util.mcepalpha`` (0.41 at 16 kHz);
    symmetric DTW on the Euclidean distance of c1..cD — exact (no band, no radius approximation) while N·M ≤ 16
    million frame pairs (e.g. two 20 s speech spans), above that within a Sakoe–Chiba band of radius ⌈0.1 ·
    max(N, M)⌉ frames widened by |N − M| (noted in ``warning``; ≈ 170 MB for two 4-minute spans instead of 34 GiB),
    refused beyond 2·10⁹ band cells (about two 8-minute spans); the mean runs over every pair of the path. A band
    never lowers the DTW cost, but MCD is that cost over the path length, so it can move either way, by little
    when the exact path stays near the diagonal. ESPnet2's ``evaluate_mcd.py`` differs in keeping c0, analysing
    windowed frames with SPTK ``mcep`` and aligning with fastdtw, so its values are not interchangeable with these.

    **Range and direction.** ≥ 0 dB, lower is better; 0 for identical recordings and for a pure gain change.
    Measured at 16 kHz: an EmoDB recording against a copy with −3 dB gain, a 7 ms delay and noise 40 dB down
    5.9 dB, against the same sentence by the same speaker in another emotion 7.9 dB (6.1–11.0); Emo-StarGAN
    conversions against their source (another speaker) 9.3 dB, the StarGANv2-VC baseline 10.4 dB, the two
    conversions of one source against each other 6.7 dB. The analysis is frame-phase sensitive: a 7 ms shift
    alone gives 2.8 dB.

    **Needs.** Audio in ``path`` and a recording of the same text in ``reference``. Bad audio, and a recording
    with no detected speech ("no speech detected in <file>": steady noise or near-silence, which would otherwise
    be compared frame by frame as if it were speech), is a per-sample error; clipping, resampling and a banded
    alignment are noted in ``warning``.

    **Source.** Kubichek (1993), "Mel-cepstral distance measure for objective speech quality assessment",
    IEEE PACRIM; Toda, Black & Tokuda (2007) (the c0-free, DTW-aligned form used in voice conversion);
    SPTK / pysptk (Imai's mel-cepstrum; ``sp2mc``).

    >>> SpeechMCD.spec.headline.name, SpeechMCD.spec.headline.higher_is_better
    ('mcd_db', False)
    """

    spec = MetricSpec(
        name="speech_mcd",
        modality="speech",
        scope="sample",
        outputs=(
            Output("mcd_db", higher_is_better=False, range=(0.0, INF), description="mel-cepstral distortion, dB"),
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        summary="mel-cepstral distortion to a reference utterance (WORLD + SPTK mel-cepstrum, c0 excluded, DTW)",
        citation="Kubichek 1993; Toda, Black & Tokuda 2007",
    )

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        return {"mcd_db": mel_cepstral_distortion(output.mcep[:, 1:], reference.mcep[:, 1:], path)}


def _descriptor(name: str, low: float, high: float, description: str) -> Output:
    return Output(name, higher_is_better=None, range=(low, high), description=description)


class SpeechProsodyDescriptors(_ProsodyMetric):
    """Reference-free prosody descriptors of one utterance, for comparing distributions across systems.

    **Meaning.** Over the speech span (analysis as in ``speech_prosody_distance``): F0 mean and median (Hz),
    F0 standard deviation and 5–95 percentile range in semitones (over voiced frames), voiced fraction,
    active-frame energy mean and standard deviation (dB re full scale), speaking rate (syllable nuclei per
    second), pause count and pause ratio (pause time / span, pauses ≥ ``min_pause_s``), speech-span duration,
    and ITU-R BS.1770 integrated loudness (LUFS) of the whole recording (at the analysis rate).

    **Range and direction.** Descriptors have no direction (``higher_is_better`` is None): compare their
    distributions between a system and real emotional speech, or between target emotions (on the 20 EmoDB
    recordings here, two speakers: mean F0 277 Hz for anger and happiness against 168 Hz for neutral and 120 Hz
    for sadness; sadness has the lowest speaking rate, 3.5 against 4.7 nuclei/s for neutral). F0 outputs are
    absent for an utterance without voiced frames.

    **Needs.** Audio in ``path`` only. Bad audio, and a recording with no detected speech ("no speech detected
    in <file>": steady noise or near-silence), is a per-sample error; clipping is noted in ``warning``.
    Recordings are analysed at ``sample_rate`` (16 kHz by default); that resampling is not noted, since no two
    rates are compared.

    **Source.** WORLD (Morise et al. 2016); de Jong & Wempe (2009) for syllable nuclei; ITU-R BS.1770-4;
    the descriptor set follows the prosodic part of eGeMAPS (Eyben et al. 2016, IEEE TAC).

    >>> SpeechProsodyDescriptors.spec.headline.higher_is_better is None
    True
    """

    with_mcep = False
    spec = MetricSpec(
        name="speech_prosody_descriptors",
        modality="speech",
        scope="sample",
        outputs=(
            _descriptor("f0_mean_hz", 0.0, INF, "mean F0 over voiced frames"),
            _descriptor("f0_median_hz", 0.0, INF, "median F0 over voiced frames"),
            _descriptor("f0_sd_semitones", 0.0, INF, "F0 standard deviation, semitones"),
            _descriptor("f0_range_semitones", 0.0, INF, "F0 5–95 percentile range, semitones"),
            _descriptor("voiced_fraction", 0.0, 1.0, "voiced share of the speech span"),
            _descriptor("energy_mean_db", -INF, 0.0, "mean active-frame energy, dB re full scale"),
            _descriptor("energy_sd_db", 0.0, INF, "sd of active-frame energy, dB"),
            _descriptor("speaking_rate", 0.0, INF, "syllable nuclei per second"),
            _descriptor("pause_count", 0.0, INF, "pauses ≥ min_pause_s in the speech span"),
            _descriptor("pause_ratio", 0.0, 1.0, "pause time / speech span"),
            _descriptor("speech_duration_s", 0.0, INF, "speech span, first to last active frame"),
            _descriptor("loudness_lufs", -INF, INF, "ITU-R BS.1770-4 integrated loudness"),
        ),
        version="1.1.0",
        summary="reference-free prosody descriptors (F0 level/range, energy, speaking rate, pauses, loudness)",
        citation="Morise et al. 2016 (WORLD); de Jong & Wempe 2009; ITU-R BS.1770-4; Eyben et al. 2016 (eGeMAPS)",
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import integrated_loudness

        done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str] = {}
        scores = []
        for sample in samples:
            analysed = self._analyse(sample.path, self.sample_rate, done)
            if isinstance(analysed, str):
                scores.append(SampleScore.failed(analysed))
                continue
            audio, features = analysed
            notes = [*audio.warnings, *features.notes]
            values = prosody_descriptors(features, min_pause_s=self.min_pause_s)
            if "f0_mean_hz" not in values:
                notes.append("no voiced frame: F0 outputs left out")
            loudness = integrated_loudness(audio.samples, audio.sample_rate)
            if math.isfinite(loudness):
                values["loudness_lufs"] = loudness
            scores.append(SampleScore(values=values, warning="; ".join(notes) or None))
        return scores
