"""Over-smoothing of speech: global variance, F0 range and modulation spectrum of parameter trajectories.

Statistical and neural speech generators that regress acoustic parameters average over the variation they
cannot predict, so their trajectories come out flatter than real speech — "muffled", "buzzy", monotonous
prosody. The measures here compare a generated set with a reference set of real speech:

- **Global variance** (GV; Toda & Tokuda 2007, *A speech parameter generation algorithm considering global
  variance for HMM-based speech synthesis*, IEICE Trans. Inf. & Syst. E90-D(5)): the variance over time of each
  dimension of an utterance's trajectory (population variance, ``ddof=0``), ``v_d = (1/T) Σ_t (x_td − x̄_d)²``.
  The **GV ratio** of a set is the mean GV of its utterances over that of the reference set, per dimension;
  **< 1 means over-smoothed**, 1.0 = as varied as real speech. For the mel-cepstrum, one number is the geometric
  mean of the per-dimension ratios over c1..cD (every dimension counts alike, whatever its scale).
- **F0 range** in semitones: the 95th minus the 5th percentile of ``12·log2(F0)`` over voiced frames (robust to a
  few octave errors; a flattened contour has a narrow range).
- **Modulation spectrum** (MS; Takamichi et al. 2016, *Postfilters to modify the modulation spectrum for
  statistical parametric speech synthesis*, IEEE/ACM TASLP 24(4)): the power spectrum of each mean-removed
  trajectory over time (Welch's method, Hann segments of :data:`MS_SEGMENT` frames), in dB, averaged over
  dimensions; over-smoothing removes the fast modulations. The **MS distance** is the root mean square over
  modulation-frequency bins of the difference between the set-average spectra in dB (0 = the same).
"""

from __future__ import annotations

import numpy as np

#: frames per Welch segment of the modulation spectrum (at 5 ms frames: 320 ms, bins of 3.125 Hz up to 100 Hz)
MS_SEGMENT = 64
_TINY = 1e-12


def _frames(trajectory: np.ndarray, what: str) -> np.ndarray:
    """A (T,) or (T, D) trajectory as a (T, D) float64 array with T >= 2 finite frames, else ValueError."""
    x = np.asarray(trajectory, dtype=np.float64)
    x = x.reshape(len(x), -1) if x.ndim else x.reshape(1, 1)
    if len(x) < 2:
        raise ValueError(f"{what} needs at least two frames, got {len(x)}")
    if not np.all(np.isfinite(x)):
        # a NaN would silently turn the whole dimension's variance into NaN: say where it is instead
        bad = int(np.sum(~np.all(np.isfinite(x), axis=1)))
        raise ValueError(f"{what} needs finite values: {bad} of {len(x)} frames have NaN or inf (drop or interpolate)")
    return x


def global_variance(trajectory: np.ndarray) -> np.ndarray:
    """Per-dimension variance over time of a (T,) or (T, D) trajectory (``ddof=0``), as a (D,) array:
    ``v_d = (1/T) Σ_t (x_td − x̄_d)²`` (Toda & Tokuda 2007). A constant dimension has GV 0. Raises
    ValueError for fewer than two frames or a non-finite value.

    >>> global_variance(np.array([[1.0, 0.0], [3.0, 0.0]])).tolist()
    [1.0, 0.0]
    """
    x = _frames(trajectory, "a global variance")
    return x.var(axis=0)


def gv_ratio(system: np.ndarray, reference: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-dimension ratio of the system's mean utterance GV (rows of ``system``, weighted by row counts) to the
    reference's mean utterance GV (rows of ``reference``); NaN where the reference's is 0.

    >>> gv_ratio(np.array([[1.0, 2.0]]), np.array([[2.0, 2.0], [2.0, 6.0]])).tolist()
    [0.5, 0.5]
    """
    system = np.asarray(system, dtype=np.float64).reshape(len(system), -1)
    reference = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    mean_system = np.average(system, axis=0, weights=weights)
    mean_reference = reference.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean_reference > 0, mean_system / np.where(mean_reference > 0, mean_reference, 1.0), np.nan)


def geometric_mean(ratios: np.ndarray) -> float:
    """The geometric mean of positive ratios (NaN if any is not positive and finite).

    >>> round(geometric_mean(np.array([0.25, 1.0])), 12)
    0.5
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.size == 0 or not np.all(np.isfinite(ratios) & (ratios > 0)):
        return float("nan")
    return float(np.exp(np.log(ratios).mean()))


def f0_range_semitones(f0_hz: np.ndarray, low: float = 5.0, high: float = 95.0) -> float:
    """The ``high`` minus ``low`` percentile of 12·log2(F0) over voiced frames (F0 > 0); NaN with fewer than two.

    >>> round(f0_range_semitones(np.array([100.0, 0.0, 200.0, 150.0]), 0, 100), 9)
    12.0
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = f0[np.isfinite(f0) & (f0 > 0)]
    if voiced.size < 2:
        return float("nan")
    semitones = 12.0 * np.log2(voiced)
    return float(np.percentile(semitones, high) - np.percentile(semitones, low))


def interpolate_unvoiced(f0_hz: np.ndarray) -> np.ndarray:
    """log F0 with unvoiced frames filled by linear interpolation between voiced neighbours (held flat at the
    ends): the continuous contour whose modulation spectrum is taken. Raises ValueError without a voiced frame.

    >>> np.exp(interpolate_unvoiced(np.array([0.0, 100.0, 0.0, 400.0]))).round(6).tolist()
    [100.0, 100.0, 200.0, 400.0]
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = np.flatnonzero(np.isfinite(f0) & (f0 > 0))
    if voiced.size == 0:
        raise ValueError("no voiced frame")
    return np.interp(np.arange(f0.size), voiced, np.log(f0[voiced]))


def modulation_spectrum(trajectory: np.ndarray, segment: int = MS_SEGMENT) -> np.ndarray:
    """The modulation spectrum of a (T,) or (T, D) trajectory: Welch power spectra (Hann, ``segment`` frames,
    half overlap, each segment's mean removed) of each dimension, in dB, averaged over dimensions —
    ``segment // 2 + 1`` bins from 0 to half the frame rate (the fixed grid ``k · frame_rate / segment``; at 5 ms
    frames 0, 3.125, ..., 100 Hz). Per dimension and bin, ``MS(k) = 10·log10(c_k / Σ_t w_t² · mean over segments
    of |Σ_t w_t (x_t − x̄_seg) e^{−2πikt/segment}|²)`` with ``c_k = 2`` except at 0 and the last bin (1): Welch's
    one-sided density per cycle/frame. The dB of the dimensions are averaged into one curve (a simplification:
    Takamichi et al. keep one MS per dimension; like them the averaging over utterances is done in dB).
    Trajectories shorter than ``segment`` are zero-padded to it (after removing their mean); a constant one gives
    the floor, −120 dB. Raises ValueError for fewer than two frames or a non-finite value."""
    from scipy.signal import welch

    x = _frames(trajectory, "a modulation spectrum")
    x = x - x.mean(axis=0)
    if len(x) < segment:
        x = np.vstack([x, np.zeros((segment - len(x), x.shape[1]))])
    _, power = welch(x, nperseg=segment, noverlap=segment // 2, window="hann", detrend="constant", axis=0)
    return (10.0 * np.log10(power + _TINY)).mean(axis=1)


def ms_distance_db(system: np.ndarray, reference: np.ndarray, weights: np.ndarray | None = None) -> float:
    """RMS over bins of (mean system MS − mean reference MS), in dB; rows are utterances' spectra.

    >>> ms_distance_db(np.array([[0.0, 2.0]]), np.array([[1.0, 1.0]]))
    1.0
    """
    system = np.asarray(system, dtype=np.float64).reshape(len(system), -1)
    reference = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    difference = np.average(system, axis=0, weights=weights) - reference.mean(axis=0)
    return float(np.sqrt(np.mean(difference**2)))


__all__ = [
    "MS_SEGMENT",
    "f0_range_semitones",
    "geometric_mean",
    "global_variance",
    "gv_ratio",
    "interpolate_unvoiced",
    "modulation_spectrum",
    "ms_distance_db",
]
