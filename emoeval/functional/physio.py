"""Physiological descriptors of ECG, EDA, respiration and EEG, with plausibility ranges.

Pure functions on one channel (a float array) and its sampling rate. ECG, EDA and respiration go through
neurokit2's processing pipelines (Makowski et al. 2021, imported lazily), EEG through scipy's Welch estimate.
Every channel first passes :func:`check_channel`: a channel with non-finite samples or a flat line is a
:class:`~emoeval.errors.SampleInputError` naming the file, never a value (neurokit2 finds "responses" of
1e-15 µS in a constant EDA trace and a breathing rate in a constant respiration trace).

- **ECG** (:func:`ecg_descriptors`): ``nk.ecg_clean`` and ``nk.ecg_peaks`` with artefact correction (the steps
  of ``nk.ecg_process`` that find R peaks) →

  - ``heart_rate`` (bpm, 60 / mean RR interval), ``rmssd`` and ``sdnn`` (ms, ``nk.hrv_time``);
  - ``lf_hf`` (``nk.hrv_frequency`` with the Task Force 1996 bands LF 0.04–0.15 Hz, HF 0.15–0.4 Hz), **only for
    recordings of at least** :data:`LF_MIN_SECONDS` **(120 s)**: the Task Force asks for about 2 min to assess LF
    (1 min for HF). On a 60 s recording the LF band holds 2–6 cycles and the ratio is noise, so it is not
    returned at all (the descriptor is absent, never NaN);
  - ``beat_consistency`` — R-peak detectability as Orphanidou et al. (2015)'s template-matching signal-quality
    index: the mean Pearson correlation of each beat (:data:`BEAT_WINDOW`, −0.25 s … +0.4 s around its R peak:
    P wave, QRS and T wave) with the average beat. Near 1 when the detected R peaks are real, regular beats;
    Orphanidou et al. accept an ECG when it is ≥ 0.66. It equals neurokit2's ``ecg_quality(method=
    "templatematch")`` up to the beat window (theirs follows the mean RR interval; tests compare the two).

  :func:`beat_template` gives the average beat, :func:`template_correlation` compares two of them, and
  :func:`reference_template_correlation` compares a recording's average beat with a paired reference's (QRS
  morphology against the reference, rates may differ).
- **EDA** (:func:`eda_descriptors`): ``nk.eda_process`` (its default cleaning and phasic/tonic split) →
  ``eda_tonic`` (µS, mean tonic level), ``scr_rate`` (responses per minute) and ``scr_amplitude`` (µS, mean
  amplitude of the counted responses; 0 without any). A response counts when its amplitude reaches
  :data:`SCR_MIN_AMPLITUDE` (0.01 µS, the computerised-scoring minimum of Boucsein et al. 2012); one whose
  amplitude neurokit2 leaves undefined (no onset found, e.g. a response already under way when the recording
  starts) does not. neurokit2's own threshold is relative (10 % of the largest response), so on a near-flat
  trace it counts wiggles of 1e-4 µS.
- **Respiration** (:func:`rsp_descriptors`): ``nk.rsp_process`` → ``rsp_rate`` (breaths per minute, mean) and
  ``rsp_amplitude`` (mean peak-to-trough amplitude, in the signal's unit).
- **EEG** (:func:`eeg_band_powers`, :func:`frontal_alpha_asymmetry`, :func:`aperiodic_slope`): Welch PSD (Hann
  windows of :data:`WELCH_SECONDS` = 2 s, 50 % overlap, mean of the periodograms); band power = the trapezoid
  integral of the PSD over the Welch bins f with low ≤ f ≤ high (0.5 Hz resolution); bands (:data:`EEG_BANDS`)
  δ 1–4, θ 4–8, α 8–13, β 13–30, γ 30–45 Hz (a shared edge belongs to both bands); relative power = band power
  / power over 1–45 Hz. Frontal alpha asymmetry ln α(F4) − ln α(F3) (Davidson 1992; positive = relatively less
  right-frontal alpha, i.e. more left-frontal activity, the approach / positive-valence correlate); without F3/F4
  the next pair of :data:`FRONTAL_PAIRS` present is used (F8/F7, AF4/AF3, Fp2/Fp1, in that order) and the pair
  is returned; with none, an error. Aperiodic slope: the least-squares slope of log10 PSD against log10 f over
  :data:`SLOPE_RANGE` (2–40 Hz) without :data:`SLOPE_EXCLUDE` (7–14 Hz, the alpha peak) — minus the 1/f^β
  exponent. It is the "fixed" (knee-less) aperiodic model of FOOOF (Donoghue et al. 2020) fitted by ordinary
  least squares outside the alpha band, not FOOOF's iterative peak removal: a beta peak biases it a little.

:data:`PLAUSIBLE` holds, per descriptor, a range outside which a recording is unlikely to come from a living
adult at rest or under ordinary emotional load, with its source — a plausibility check (is this a human signal
at all), never a clinical one.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError

#: EEG bands (Hz), both edges inclusive on the Welch grid
EEG_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
#: the band relative powers are relative to (Hz)
EEG_TOTAL_BAND = (1.0, 45.0)
WELCH_SECONDS = 2.0
SLOPE_RANGE = (2.0, 40.0)
SLOPE_EXCLUDE = (7.0, 14.0)
#: beat window around each R peak (s) for the beat template
BEAT_WINDOW = (-0.25, 0.4)
#: HRV frequency bands (Hz), Task Force of the ESC/NASPE (1996)
HRV_BANDS: dict[str, tuple[float, float]] = {"lf": (0.04, 0.15), "hf": (0.15, 0.4)}
#: shortest ECG (s) LF/HF is computed on: the Task Force's ~2 min for the LF component
LF_MIN_SECONDS = 120.0
#: smallest skin-conductance response counted (µS): Boucsein et al. (2012), computerised scoring
SCR_MIN_AMPLITUDE = 0.01
#: frontal electrode pairs (right, left) tried in order for the alpha asymmetry
FRONTAL_PAIRS: tuple[tuple[str, str], ...] = (("F4", "F3"), ("F8", "F7"), ("AF4", "AF3"), ("FP2", "FP1"))

#: plausibility ranges: descriptor → (low, high, source). Widened beyond the norms they cite: they ask "could a
#: living adult, at rest or under emotional load, have produced this?", not "is this healthy?"
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "heart_rate": (
        40.0,
        180.0,
        "bpm; the physiologically probable adult range of Orphanidou et al. 2015's ECG quality rule",
    ),
    "rmssd": (5.0, 200.0, "ms; short-term norms 19–75 ms (Nunan et al. 2010), widened for individual extremes"),
    "sdnn": (5.0, 250.0, "ms; short-term norms 32–93 ms (Nunan et al. 2010), widened for individual extremes"),
    "lf_hf": (0.05, 20.0, "Task Force 1996 bands; short-term norms 1.1–11.6 (Nunan et al. 2010), widened"),
    "beat_consistency": (0.66, 1.0, "Orphanidou et al. 2015: an ECG is acceptable at mean beat-template r ≥ 0.66"),
    "eda_tonic": (
        0.05,
        60.0,
        "µS; skin conductance level typically 2–20 µS at the palm (Boucsein 2012; Braithwaite et al. 2013), "
        "widened for dry or sweaty skin and other sites",
    ),
    "scr_rate": (
        0.0,
        30.0,
        "per minute; non-specific SCRs 1–3/min at rest, above 20/min under high arousal (Boucsein 2012; "
        "Braithwaite et al. 2013)",
    ),
    "scr_amplitude": (
        0.0,
        5.0,
        "µS; typically 0.1–1 µS (Braithwaite et al. 2013), rarely above a few µS (Boucsein 2012); 0 = none",
    ),
    "rsp_rate": (
        4.0,
        40.0,
        "breaths/min; adults 12–20 at rest, down to 4–6 in slow paced breathing (Russo et al. 2017), "
        "up to about 40 under exertion",
    ),
    "aperiodic_slope": (
        -4.0,
        -0.3,
        "EEG 1/f exponent typically 1–2 (Voytek et al. 2015; Donoghue et al. 2020), widened to 0.3–4",
    ),
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


def require_finite(values: dict[str, float], where: str) -> dict[str, float]:
    """``values`` unchanged, or a :class:`SampleInputError` naming the descriptors that came out NaN/inf."""
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    if bad:
        raise SampleInputError(f"{where}: could not compute {', '.join(bad)} (too short, or no detectable events)")
    return values


def check_channel(x: np.ndarray, rate: float, where: str, kind: str) -> np.ndarray:
    """``x`` as float64 when it can be described; :class:`SampleInputError` for non-finite samples or a flat line.

    Why here: neurokit2 turns both into numbers (a NaN gap into a long RR interval, a constant trace into
    responses of 1e-15 µS or a breathing rate), which would pass as plausible values.
    """
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
        longest = int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
        raise SampleInputError(
            f"{where}: the {kind} channel has {int(bad.sum())} non-finite samples (longest run "
            f"{longest / rate:.2f} s); interpolate or cut the gaps before scoring"
        )
    if x.size == 0 or np.ptp(x) <= 1e-12 * max(1.0, float(np.max(np.abs(x)))):
        raise SampleInputError(f"{where}: the {kind} channel is a flat line (no signal)")
    return x


def ecg_peaks(ecg: np.ndarray, rate: float, where: str = "ECG") -> tuple[np.ndarray, np.ndarray]:
    """(cleaned ECG, R-peak indices): the first two steps of ``nk.ecg_process`` (``ecg_clean``, then
    ``ecg_peaks`` with artefact correction), without its wave delineation, which costs most of its time."""
    nk = _nk()
    ecg = check_channel(ecg, rate, where, "ECG")
    try:
        with _quiet():
            cleaned = nk.ecg_clean(ecg, sampling_rate=rate)
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
    """Pearson correlation of two beat templates of equal length (morphology similarity, [-1, 1]; NaN when
    the lengths differ or one is constant)."""
    if a.shape != b.shape or a.size < 3 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def ecg_template(ecg: np.ndarray, rate: float, where: str = "ECG") -> np.ndarray:
    """The average beat of one ECG channel (:data:`BEAT_WINDOW` around each R peak, at ``rate``)."""
    clean, peaks = ecg_peaks(ecg, rate, where)
    beats, template = beat_template(clean, peaks, rate)
    if len(beats) == 0:
        raise SampleInputError(f"{where}: no complete beat window around any R peak")
    return template


def reference_template_correlation(
    ecg: np.ndarray, rate: float, reference: np.ndarray, reference_rate: float, where: str = "ECG"
) -> float:
    """Pearson correlation of a recording's average beat with its paired reference's, R peaks aligned: QRS
    (P-QRS-T) morphology similarity in [-1, 1], 1 for the same shape at any scale and offset.

    A reference at another sampling rate has its template linearly interpolated onto the recording's beat
    window times (the window is defined in seconds, so both cover the same −0.25 … +0.4 s).
    """
    own = ecg_template(ecg, rate, where)
    other = ecg_template(reference, reference_rate, f"{where} (reference)")
    if reference_rate != rate:
        times = np.arange(own.size) / rate
        other = np.interp(times, np.arange(other.size) / reference_rate, other)
    value = template_correlation(own, other)
    if not math.isfinite(value):
        raise SampleInputError(f"{where}: the average beat of the recording or of its reference is constant")
    return value


def ecg_descriptors(ecg: np.ndarray, rate: float, where: str = "ECG") -> dict[str, float]:
    """heart_rate, rmssd, sdnn, beat_consistency and, on ≥ :data:`LF_MIN_SECONDS`, lf_hf of one ECG channel
    (module docstring)."""
    nk = _nk()
    clean, peaks = ecg_peaks(ecg, rate, where)
    rr_ms = np.diff(peaks) / rate * 1000.0
    info = {"ECG_R_Peaks": peaks, "sampling_rate": rate}
    try:
        with _quiet():
            time_domain = nk.hrv_time(info, sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: HRV analysis failed ({exc})") from None
    beats, template = beat_template(clean, peaks, rate)
    consistency = float(np.mean([template_correlation(beat, template) for beat in beats])) if len(beats) else math.nan
    values = require_finite(
        {
            "heart_rate": float(60000.0 / np.mean(rr_ms)),
            "rmssd": float(time_domain["HRV_RMSSD"].iloc[0]),
            "sdnn": float(time_domain["HRV_SDNN"].iloc[0]),
            "beat_consistency": consistency,
        },
        where,
    )
    if len(ecg) / rate >= LF_MIN_SECONDS:  # shorter: LF is not assessable (Task Force 1996), left out
        try:
            with _quiet():
                frequency = nk.hrv_frequency(info, sampling_rate=rate, lf=HRV_BANDS["lf"], hf=HRV_BANDS["hf"])
        except Exception as exc:
            raise SampleInputError(f"{where}: HRV frequency analysis failed ({exc})") from None
        values |= require_finite({"lf_hf": float(frequency["HRV_LFHF"].iloc[0])}, where)
    return values


def counted_scrs(amplitudes: np.ndarray) -> np.ndarray:
    """Which of neurokit2's SCR peaks count (module docstring): a defined amplitude ≥ :data:`SCR_MIN_AMPLITUDE`."""
    amplitudes = np.asarray(amplitudes, dtype=np.float64)
    return np.isfinite(amplitudes) & (amplitudes >= SCR_MIN_AMPLITUDE)


def eda_descriptors(eda: np.ndarray, rate: float, where: str = "EDA") -> dict[str, float]:
    """eda_tonic (µS), scr_rate (per minute) and scr_amplitude (µS) of one EDA channel (module docstring)."""
    nk = _nk()
    eda = check_channel(eda, rate, where, "EDA")
    try:
        with _quiet():
            signals, info = nk.eda_process(eda, sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: EDA processing failed ({exc})") from None
    amplitudes = np.asarray(info["SCR_Amplitude"], dtype=np.float64)
    counted = counted_scrs(amplitudes)
    measured = amplitudes[counted]
    minutes = len(eda) / rate / 60.0
    return require_finite(
        {
            "eda_tonic": float(signals["EDA_Tonic"].mean()),
            "scr_rate": float(counted.sum() / minutes),
            "scr_amplitude": float(measured.mean()) if measured.size else 0.0,
        },
        where,
    )


def rsp_descriptors(rsp: np.ndarray, rate: float, where: str = "RSP") -> dict[str, float]:
    """rsp_rate (breaths per minute) and rsp_amplitude of one respiration channel (module docstring)."""
    nk = _nk()
    rsp = check_channel(rsp, rate, where, "respiration")
    try:
        with _quiet():
            signals, _ = nk.rsp_process(rsp, sampling_rate=rate)
    except Exception as exc:
        raise SampleInputError(f"{where}: respiration processing failed ({exc})") from None
    return require_finite(
        {"rsp_rate": float(signals["RSP_Rate"].mean()), "rsp_amplitude": float(signals["RSP_Amplitude"].mean())},
        where,
    )


def welch_psd(x: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, PSD) by Welch's method: Hann windows of :data:`WELCH_SECONDS`, 50 % overlap, mean."""
    from scipy import signal as scipy_signal

    nperseg = min(len(x), round(WELCH_SECONDS * rate))
    return scipy_signal.welch(np.asarray(x, dtype=np.float64), fs=rate, window="hann", nperseg=nperseg)


def band_power(freqs: np.ndarray, psd: np.ndarray, low: float, high: float) -> float:
    """Trapezoid integral of ``psd`` over the bins with low ≤ f ≤ high (NaN with fewer than two bins, e.g. a
    band above the Nyquist frequency)."""
    inside = (freqs >= low) & (freqs <= high)
    return float(np.trapezoid(psd[inside], freqs[inside])) if inside.sum() >= 2 else math.nan


def eeg_band_powers(x: np.ndarray, rate: float) -> dict[str, float]:
    """Absolute (``<band>``, signal unit² e.g. µV²) and relative (``<band>_rel``, share of the 1–45 Hz power)
    power of one EEG channel in :data:`EEG_BANDS`."""
    freqs, psd = welch_psd(x, rate)
    total = band_power(freqs, psd, *EEG_TOTAL_BAND)
    out: dict[str, float] = {}
    for name, (low, high) in EEG_BANDS.items():
        out[name] = band_power(freqs, psd, low, high)
    for name in EEG_BANDS:
        out[f"{name}_rel"] = out[name] / total if total > 0 else math.nan
    return out


def frontal_pair(names: Mapping[str, Any] | tuple[str, ...] | list[str]) -> tuple[str, str] | None:
    """The first (right, left) pair of :data:`FRONTAL_PAIRS` among ``names`` (case-insensitive), as spelled
    there; None when there is none."""
    spelled = {str(name).upper(): str(name) for name in names}
    for right, left in FRONTAL_PAIRS:
        if right in spelled and left in spelled:
            return spelled[right], spelled[left]
    return None


def frontal_alpha_asymmetry(channels: Mapping[str, np.ndarray], rate: float, where: str = "EEG") -> tuple[float, str]:
    """(ln α right − ln α left, the pair used as ``"F4-F3"``) from the first frontal pair of
    :data:`FRONTAL_PAIRS` present in ``channels`` (name → samples); a :class:`SampleInputError` naming ``where``
    without any."""
    pair = frontal_pair(tuple(channels))
    if pair is None:
        pairs = ", ".join(f"{r}/{left}" for r, left in FRONTAL_PAIRS)
        raise SampleInputError(
            f"{where}: no frontal electrode pair for the alpha asymmetry (looked for {pairs}; channels: "
            f"{', '.join(channels)})"
        )
    right, left = pair
    a_right = eeg_band_powers(channels[right], rate)["alpha"]
    a_left = eeg_band_powers(channels[left], rate)["alpha"]
    if not (a_right > 0 and a_left > 0):
        raise SampleInputError(f"{where}: no alpha power at {right} or {left} for the asymmetry")
    return float(np.log(a_right) - np.log(a_left)), f"{right}-{left}"


def aperiodic_slope(x: np.ndarray, rate: float) -> float:
    """Slope of log10 PSD vs log10 f over :data:`SLOPE_RANGE` without :data:`SLOPE_EXCLUDE` (≈ −β of 1/f^β;
    NaN with fewer than three usable bins)."""
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
