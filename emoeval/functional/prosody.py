"""Prosody analysis of one recording, and the distances and descriptors computed from it (no torch).

The prosody metrics (:mod:`emoeval.metrics.speech.prosody`, which re-exports these names) and the speech-emotion
functionals (:mod:`emoeval.reference_models.speech_emotion`) both analyse a recording with
:func:`extract_features`, at the analysis rate of the :class:`~emoeval.media.audio.Audio` they pass:

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

The pure statistics over analysed utterances (:func:`f0_errors`, :func:`voicing_errors`, :func:`energy_errors`,
:func:`mel_cepstral_distortion` along a DTW path; :func:`prosody_descriptors`) take NumPy arrays; the analysis
itself needs pyworld (and pysptk for mel-cepstra, librosa for pYIN), imported inside the functions that use them.
:func:`f0_contour` thins an analysed F0 track to a few hundred points: what a metric records as an artefact of
its run, so a report can plot the contour without analysing the audio again.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from emoeval.errors import MissingDependencyError, SampleInputError

if TYPE_CHECKING:
    import numpy as np

    from emoeval.media.audio import Audio

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


# -- statistics of analysed utterances --------------------------------------------------------------------------


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


# -- analysis --------------------------------------------------------------------------------------------------


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


#: at most this many points in a recorded F0 contour (:func:`f0_contour`)
CONTOUR_POINTS = 200


def f0_contour(features: ProsodyFeatures, *, max_points: int = CONTOUR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """``(times_s, f0_hz)`` of an analysed utterance's F0 track, thinned to at most ``max_points`` points.

    Every ``step``-th frame of the speech span is kept (step = ⌈frames / max_points⌉, so no value is invented:
    each point is one analysed frame), at its time in the whole recording (frame centre, seconds from the start);
    unvoiced frames are NaN (gaps in a plot). Both arrays are float32 (F0 to 0.01 Hz of its float64 value, far
    below what a plot shows).

    >>> import numpy as np
    >>> features = ProsodyFeatures(
    ...     f0=np.array([0.0, 100.0, 110.0, 0.0, 120.0]), voiced=np.array([0, 1, 1, 0, 1], bool),
    ...     energy_db=np.zeros(5), active=np.ones(5, bool), mcep=np.zeros((5, 0)), sample_rate=16000, first_frame=10)
    >>> times, f0 = f0_contour(features, max_points=3)
    >>> [round(float(t), 3) for t in times], f0.tolist()
    ([0.05, 0.06, 0.07], [nan, 110.0, 120.0])
    """
    import numpy as np

    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    n = features.f0.size
    step = max(1, math.ceil(n / max_points))
    frames = np.arange(0, n, step)
    times = (features.first_frame + frames) * features.frame_period_s
    f0 = np.where(features.voiced[frames], features.f0[frames], np.nan)
    return times.astype(np.float32), f0.astype(np.float32)


__all__ = [
    "CONTOUR_POINTS",
    "F0_METHODS",
    "FRAME_PERIOD_S",
    "MCD_SCALE",
    "MIN_SPEECH_FRAMES",
    "STEADY_VOICED_MIN_FRACTION",
    "F0Method",
    "ProsodyFeatures",
    "energy_errors",
    "extract_features",
    "f0_contour",
    "f0_errors",
    "frame_energy",
    "mcep_alpha",
    "mcep_order",
    "mel_cepstral_distortion",
    "no_speech_message",
    "pauses",
    "pearson",
    "prosody_descriptors",
    "prosody_distance",
    "runs",
    "speaking_rate",
    "syllable_nuclei",
    "voicing_errors",
]
