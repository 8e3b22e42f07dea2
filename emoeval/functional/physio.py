"""Physiological descriptors of ECG, EDA, respiration and EEG, with plausibility ranges.

Pure functions on one channel (a float array) and its sampling rate. ECG, EDA and respiration go through
neurokit2's processing pipelines (Makowski et al. 2021, imported lazily), EEG through scipy's Welch estimate:

- **ECG** (:func:`ecg_descriptors`): ``nk.ecg_clean`` and ``nk.ecg_peaks`` with artefact correction (the steps
  of ``nk.ecg_process`` that find R peaks) → ``heart_rate`` (bpm, from the mean RR interval), ``rmssd`` and
  ``sdnn`` (ms, ``nk.hrv_time``), ``lf_hf`` (``nk.hrv_frequency``, Task Force 1996 bands LF 0.04–0.15 Hz, HF
  0.15–0.4 Hz; the Task Force asks for ≥ 2 min for LF; on recordings too short for any LF estimate it is left
  out) and ``beat_consistency`` — the mean Pearson correlation of each beat (−0.25 s … +0.4 s around its R peak)
  with the average beat: how detectable and regular the QRS complexes are (near 1 for a clean ECG, low for
  noise or a smeared complex; cf. the template-matching quality index of Orphanidou et al. 2015).
  :func:`beat_template` gives the average beat, and :func:`template_correlation` compares two of them (QRS
  morphology against a reference).
- **EDA** (:func:`eda_descriptors`): ``nk.eda_process`` (its default cleaning and phasic/tonic split) →
  ``eda_tonic`` (µS, mean tonic level), ``scr_rate`` (responses per minute) and ``scr_amplitude`` (µS, mean
  amplitude of the responses; 0 without any).
- **Respiration** (:func:`rsp_descriptors`): ``nk.rsp_process`` → ``rsp_rate`` (breaths per minute, mean) and
  ``rsp_amplitude`` (mean peak-to-trough amplitude, in the signal's unit).
- **EEG** (:func:`eeg_band_powers`, :func:`frontal_alpha_asymmetry`, :func:`aperiodic_slope`): Welch PSD (Hann
  windows of 2 s, 50 % overlap), band power = the trapezoid integral of the PSD over the band; bands δ 1–4,
  θ 4–8, α 8–13, β 13–30, γ 30–45 Hz; relative power = band power / power over 1–45 Hz. Frontal alpha
  asymmetry ln α(F4) − ln α(F3) (Davidson 1992; positive = relatively more left-frontal activity, the approach /
  positive-valence correlate). Aperiodic slope: the least-squares slope of log10 PSD against log10 f over 2–40 Hz
  without 7–14 Hz (the alpha peak) — the 1/f exponent is its negative (a simple stand-in for FOOOF's aperiodic
  fit, Donoghue et al. 2020).

:data:`PLAUSIBLE` holds, per descriptor, a range outside which a recording is unlikely to come from a living
adult at rest or under ordinary emotional load (a plausibility check, never a clinical one).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError

#: EEG bands (Hz), lower edge inclusive
EEG_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
WELCH_SECONDS = 2.0
SLOPE_RANGE = (2.0, 40.0)
SLOPE_EXCLUDE = (7.0, 14.0)
#: beat window around each R peak (s) for the beat template
BEAT_WINDOW = (-0.25, 0.4)
#: frontal electrode pairs (right, left) tried in order for the alpha asymmetry
FRONTAL_PAIRS: tuple[tuple[str, str], ...] = (("F4", "F3"), ("F8", "F7"), ("AF4", "AF3"), ("FP2", "FP1"))

#: plausibility ranges: descriptor → (low, high, source)
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "heart_rate": (40.0, 180.0, "adult resting to strenuous heart rate (bpm)"),
    "rmssd": (5.0, 200.0, "short-term HRV in healthy adults (ms; Nunan et al. 2010 norms, widened)"),
    "sdnn": (5.0, 250.0, "short-term HRV in healthy adults (ms; Nunan et al. 2010 norms, widened)"),
    "lf_hf": (0.05, 20.0, "LF/HF ratio (Task Force 1996; Nunan et al. 2010)"),
    "beat_consistency": (0.5, 1.0, "beats that match their average shape (template matching)"),
    "eda_tonic": (0.05, 60.0, "skin conductance level (µS; Boucsein 2012)"),
    "scr_rate": (0.0, 30.0, "non-specific skin-conductance responses per minute (Boucsein 2012)"),
    "scr_amplitude": (0.0, 5.0, "SCR amplitude (µS; Boucsein 2012)"),
    "rsp_rate": (4.0, 40.0, "breaths per minute, adults at rest to exercise"),
    "aperiodic_slope": (-4.0, -0.3, "EEG 1/f exponent 0.3–4 (Voytek et al. 2015; Donoghue et al. 2020)"),
}


def _nk() -> Any:
    try:
        import neurokit2
    except ImportError as exc:
        raise MissingDependencyError(
            f"physiological descriptors need neurokit2: pip install 'emoeval[signal]' ({exc})"
        ) from exc
    return neurokit2


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """neurokit2's own warnings silenced (what it warns about becomes a per-sample error or value here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _finite(values: dict[str, float], where: str) -> dict[str, float]:
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    if bad:
        raise SampleInputError(f"{where}: could not compute {', '.join(bad)} (too short, or no detectable events)")
    return values


def ecg_peaks(ecg: np.ndarray, rate: float, where: str = "ECG") -> tuple[np.ndarray, np.ndarray]:
    """(cleaned ECG, R-peak indices): the first two steps of ``nk.ecg_process`` (``ecg_clean``, then
    ``ecg_peaks`` with artefact correction), without its wave delineation, which costs most of its time."""
    nk = _nk()
    try:
        with _quiet():
            cleaned = nk.ecg_clean(nk.signal_sanitize(np.asarray(ecg, dtype=np.float64)), sampling_rate=rate)
            _, info = nk.ecg_peaks(ecg_cleaned=cleaned, sampling_rate=rate, correct_artifacts=True)
    except Exception as exc:  # neurokit2 raises bare ValueErrors/IndexErrors on unusable input
        raise SampleInputError(f"{where}: ECG processing failed ({exc})") from None
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    if peaks.size < 4:
        raise SampleInputError(f"{where}: fewer than 4 R peaks detected; is this an ECG channel?")
    return np.asarray(cleaned, dtype=np.float64), peaks


def beat_template(ecg_clean: np.ndarray, peaks: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(beats, average beat): every complete beat window (:data:`BEAT_WINDOW` around an R peak), one per row."""
    before, after = round(-BEAT_WINDOW[0] * rate), round(BEAT_WINDOW[1] * rate)
    keep = peaks[(peaks - before >= 0) & (peaks + after <= ecg_clean.size)]
    beats = np.stack([ecg_clean[p - before : p + after] for p in keep]) if keep.size else np.zeros((0, before + after))
    return beats, beats.mean(axis=0) if len(beats) else np.zeros(before + after)


def template_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two beat templates of equal length (QRS morphology similarity, [-1, 1])."""
    if a.shape != b.shape or a.size < 3 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def ecg_descriptors(ecg: np.ndarray, rate: float, where: str = "ECG") -> dict[str, float]:
    """heart_rate, rmssd, sdnn, beat_consistency and, when defined, lf_hf of one ECG channel (module docstring)."""
    nk = _nk()
    clean, peaks = ecg_peaks(ecg, rate, where)
    rr_ms = np.diff(peaks) / rate * 1000.0
    info = {"ECG_R_Peaks": peaks, "sampling_rate": rate}
    try:
        with _quiet():
            time_domain = nk.hrv_time(info, sampling_rate=rate)
            frequency = nk.hrv_frequency(info, sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: HRV analysis failed ({exc})") from None
    beats, template = beat_template(clean, peaks, rate)
    consistency = float(np.mean([template_correlation(beat, template) for beat in beats])) if len(beats) else math.nan
    values = _finite(
        {
            "heart_rate": float(60000.0 / np.mean(rr_ms)),
            "rmssd": float(time_domain["HRV_RMSSD"].iloc[0]),
            "sdnn": float(time_domain["HRV_SDNN"].iloc[0]),
            "beat_consistency": consistency,
        },
        where,
    )
    lf_hf = float(frequency["HRV_LFHF"].iloc[0])
    if math.isfinite(lf_hf):  # undefined on short recordings (no LF cycle): left out, never a NaN
        values["lf_hf"] = lf_hf
    return values


def eda_descriptors(eda: np.ndarray, rate: float, where: str = "EDA") -> dict[str, float]:
    """eda_tonic (µS), scr_rate (per minute) and scr_amplitude (µS) of one EDA channel (module docstring)."""
    nk = _nk()
    try:
        with _quiet():
            signals, info = nk.eda_process(np.asarray(eda, dtype=np.float64), sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: EDA processing failed ({exc})") from None
    amplitudes = np.asarray(info["SCR_Amplitude"], dtype=np.float64)
    amplitudes = amplitudes[np.isfinite(amplitudes)]
    minutes = len(eda) / rate / 60.0
    return _finite(
        {
            "eda_tonic": float(signals["EDA_Tonic"].mean()),
            "scr_rate": float(len(info["SCR_Peaks"]) / minutes),
            "scr_amplitude": float(amplitudes.mean()) if amplitudes.size else 0.0,
        },
        where,
    )


def rsp_descriptors(rsp: np.ndarray, rate: float, where: str = "RSP") -> dict[str, float]:
    """rsp_rate (breaths per minute) and rsp_amplitude of one respiration channel (module docstring)."""
    nk = _nk()
    try:
        with _quiet():
            signals, _ = nk.rsp_process(np.asarray(rsp, dtype=np.float64), sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: respiration processing failed ({exc})") from None
    return _finite(
        {"rsp_rate": float(signals["RSP_Rate"].mean()), "rsp_amplitude": float(signals["RSP_Amplitude"].mean())},
        where,
    )


def welch_psd(x: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, PSD) by Welch's method: Hann windows of :data:`WELCH_SECONDS`, 50 % overlap, mean."""
    from scipy import signal as scipy_signal

    nperseg = min(len(x), round(WELCH_SECONDS * rate))
    return scipy_signal.welch(np.asarray(x, dtype=np.float64), fs=rate, window="hann", nperseg=nperseg)


def band_power(freqs: np.ndarray, psd: np.ndarray, low: float, high: float) -> float:
    """Trapezoid integral of ``psd`` over [low, high] Hz (the bins inside the band)."""
    inside = (freqs >= low) & (freqs <= high)
    return float(np.trapezoid(psd[inside], freqs[inside])) if inside.sum() >= 2 else math.nan


def eeg_band_powers(x: np.ndarray, rate: float) -> dict[str, float]:
    """Absolute (``<band>``) and relative (``<band>_rel``) power of one EEG channel in :data:`EEG_BANDS`."""
    freqs, psd = welch_psd(x, rate)
    total = band_power(freqs, psd, 1.0, 45.0)
    out: dict[str, float] = {}
    for name, (low, high) in EEG_BANDS.items():
        out[name] = band_power(freqs, psd, low, high)
    for name in EEG_BANDS:
        out[f"{name}_rel"] = out[name] / total if total > 0 else math.nan
    return out


def frontal_alpha_asymmetry(channels: dict[str, np.ndarray], rate: float) -> tuple[float, str]:
    """(ln α right − ln α left, the pair used) from the first frontal pair of :data:`FRONTAL_PAIRS` present."""
    upper = {name.upper(): x for name, x in channels.items()}
    for right, left in FRONTAL_PAIRS:
        if right in upper and left in upper:
            a_right = eeg_band_powers(upper[right], rate)["alpha"]
            a_left = eeg_band_powers(upper[left], rate)["alpha"]
            return float(np.log(a_right) - np.log(a_left)), f"{right}-{left}"
    raise SampleInputError(f"no frontal electrode pair among {FRONTAL_PAIRS} for the alpha asymmetry")


def aperiodic_slope(x: np.ndarray, rate: float) -> float:
    """Slope of log10 PSD vs log10 f over :data:`SLOPE_RANGE` without :data:`SLOPE_EXCLUDE` (≈ −exponent of 1/f^β)."""
    freqs, psd = welch_psd(x, rate)
    keep = (
        (freqs >= SLOPE_RANGE[0])
        & (freqs <= SLOPE_RANGE[1])
        & ~((freqs >= SLOPE_EXCLUDE[0]) & (freqs <= SLOPE_EXCLUDE[1]))
    )
    keep &= psd > 0
    if keep.sum() < 3:
        return math.nan
    slope, _ = np.polyfit(np.log10(freqs[keep]), np.log10(psd[keep]), 1)
    return float(slope)
