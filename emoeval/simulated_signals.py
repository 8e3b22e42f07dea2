"""Simulated physiological recordings for tests, demos and benchmarks — **simulated, never real data**.

No openly licensed emotional physiological dataset can be shipped or fetched offline, so emoeval's signal tests
run on recordings made by physiological *models*:

- ECG: neurokit2's ECGSYN (McSharry et al. 2003, a dynamical model of the PQRST complex with heart-rate
  variability), ``neurokit2.ecg_simulate(method="ecgsyn")``;
- EDA: ``neurokit2.eda_simulate`` (a tonic level with drift plus skin-conductance responses, Bach et al. 2010's
  SCR shape);
- respiration: ``neurokit2.rsp_simulate(method="breathmetrics")`` (Noto et al. 2018);
- EEG: *not* a neurokit2 model (its ``eeg_simulate`` needs MNE's sample data, a download): 1/f^β background
  noise (``neurokit2.signal_noise``) plus alpha (10 Hz) and beta (20 Hz) oscillations, with more alpha over the
  left frontal site than the right one in the ``rest`` condition (frontal alpha asymmetry) — a crude
  phenomenological stand-in, good for checking that descriptors move the right way, not for physiology.

Two **conditions** stand for two emotional states: ``rest`` (heart rate 60–70 bpm, 1–2 skin-conductance
responses per minute, 12–14 breaths per minute, strong posterior alpha) and ``arousal`` (heart rate 90–110 bpm,
8–12 responses per minute, 18–22 breaths per minute, weaker alpha, stronger beta). Every recording draws its
rates from those ranges with its own seed.

**Distortions** (:func:`distort`) make the failure modes a generator shows, for metrics to rank: ``smoothed``
(a 2 Hz low-pass: no QRS sharpness, no fast SCR onsets), ``noise`` (white noise at 0 dB SNR per channel),
``wrong_rate`` (generated at half the rate but labelled with the original one: every rhythm runs twice as
fast), ``collapsed`` (one 2-second excerpt repeated: a generator that repeats one beat pattern) and, with
:func:`copies`, exact copies of training recordings (memorisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from emoeval.media.signal import Signal, write_npz

if TYPE_CHECKING:
    import pandas as pd

Condition = Literal["rest", "arousal"]
Distortion = Literal["smoothed", "noise", "wrong_rate", "collapsed"]
#: per condition: heart rate (bpm), SCRs per minute, breaths per minute (uniform ranges) and EEG alpha/beta gains
CONDITIONS: dict[str, dict[str, tuple[float, float]]] = {
    "rest": {"heart_rate": (60.0, 70.0), "scr_per_min": (1.0, 2.0), "breaths_per_min": (12.0, 14.0)},
    "arousal": {"heart_rate": (90.0, 110.0), "scr_per_min": (8.0, 12.0), "breaths_per_min": (18.0, 22.0)},
}
_EEG_GAINS = {"rest": (1.0, 0.25), "arousal": (0.4, 0.6)}  # (alpha, beta) amplitude relative to the background
EEG_CHANNELS: tuple[str, ...] = ("F3", "F4", "C3", "C4", "Pz", "O1", "O2")
PERIPHERAL_CHANNELS: tuple[str, ...] = ("ECG", "EDA", "RSP")
#: the emotion label each condition stands for in a manifest (``target_emotion``)
CONDITION_EMOTION = {"rest": "calm", "arousal": "angry"}


def _neurokit() -> Any:
    from emoeval.errors import MissingDependencyError

    try:
        import neurokit2
    except ImportError as exc:
        raise MissingDependencyError(
            f"simulated signals need neurokit2: pip install 'emoeval[signal]' ({exc})"
        ) from exc
    return neurokit2


def simulate_peripheral(condition: Condition, seed: int, *, duration: int = 60, rate: int = 250) -> Signal:
    """ECG, EDA and respiration of one simulated recording in ``condition`` (see the module docstring)."""
    import numpy as np

    nk = _neurokit()
    duration = int(duration)  # neurokit2's simulators need whole seconds
    ranges = CONDITIONS[condition]
    rng = np.random.default_rng(seed)
    heart_rate = float(rng.uniform(*ranges["heart_rate"]))
    scr_number = max(1, round(float(rng.uniform(*ranges["scr_per_min"])) * duration / 60.0))
    breaths = float(rng.uniform(*ranges["breaths_per_min"]))
    ecg = nk.ecg_simulate(
        duration=duration,
        sampling_rate=rate,
        heart_rate=heart_rate,
        heart_rate_std=2.0,
        method="ecgsyn",
        random_state=seed,
    )
    eda = nk.eda_simulate(duration=duration, sampling_rate=rate, scr_number=scr_number, drift=-0.01, random_state=seed)
    rsp = nk.rsp_simulate(
        duration=duration, sampling_rate=rate, respiratory_rate=breaths, method="breathmetrics", random_state=seed
    )
    n = int(duration * rate)
    data = np.vstack([np.asarray(x, dtype=np.float64)[:n] for x in (ecg, eda, rsp)])
    return Signal(data, float(rate), PERIPHERAL_CHANNELS, ("ecg", "eda", "rsp"), source=f"simulated {condition} {seed}")


def simulate_eeg(condition: Condition, seed: int, *, duration: int = 30, rate: int = 250) -> Signal:
    """Seven EEG channels (:data:`EEG_CHANNELS`, µV-scaled) of one simulated recording (module docstring)."""
    import numpy as np

    nk = _neurokit()
    duration = int(duration)
    rng = np.random.default_rng(seed)
    alpha_gain, beta_gain = _EEG_GAINS[condition]
    n = int(duration * rate)
    t = np.arange(n) / rate
    rows = []
    for index, name in enumerate(EEG_CHANNELS):
        background = nk.signal_noise(duration=duration, sampling_rate=rate, beta=1.0, random_state=seed * 31 + index)
        background = np.asarray(background, dtype=np.float64)[:n]
        background = background / background.std()
        alpha = alpha_gain * (1.5 if name in ("O1", "O2", "Pz") else 1.0)
        if condition == "rest" and name == "F3":  # more left-frontal alpha at rest: positive asymmetry ln F4 − ln F3
            alpha *= 0.7
        phase_a, phase_b = rng.uniform(0, 2 * np.pi, size=2)
        wobble = 1.0 + 0.3 * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 2 * np.pi))  # alpha waxes and wanes
        rows.append(
            10.0
            * (
                background
                + alpha * wobble * np.sin(2 * np.pi * rng.uniform(9.5, 10.5) * t + phase_a)
                + beta_gain * np.sin(2 * np.pi * rng.uniform(18.0, 22.0) * t + phase_b)
            )
        )
    return Signal(
        np.vstack(rows), float(rate), EEG_CHANNELS, ("eeg",) * len(EEG_CHANNELS), source=f"simulated eeg {seed}"
    )


def distort(signal: Signal, kind: Distortion, seed: int = 0) -> Signal:
    """``signal`` with one generator failure (module docstring); channels, types and rate are kept."""
    import numpy as np
    from scipy import signal as scipy_signal

    data = signal.data
    if kind == "smoothed":
        sos = scipy_signal.butter(4, 2.0, btype="low", fs=signal.rate, output="sos")
        out = scipy_signal.sosfiltfilt(sos, data, axis=1)
    elif kind == "noise":
        rng = np.random.default_rng(seed)
        out = data + rng.normal(size=data.shape) * data.std(axis=1, keepdims=True)
    elif kind == "wrong_rate":
        half = scipy_signal.resample_poly(data, 1, 2, axis=1)
        out = np.concatenate([half, half], axis=1)[:, : data.shape[1]]  # same length, rhythms twice as fast
    elif kind == "collapsed":
        excerpt = data[:, : int(2 * signal.rate)]
        out = np.tile(excerpt, (1, int(np.ceil(data.shape[1] / excerpt.shape[1]))))[:, : data.shape[1]]
    else:
        raise ValueError(f"unknown distortion {kind!r}; use smoothed, noise, wrong_rate or collapsed")
    return Signal(
        np.ascontiguousarray(out), signal.rate, signal.channels, signal.types, source=f"{signal.source} {kind}"
    )


def copies(signals: Sequence[Signal]) -> list[Signal]:
    """Exact copies of ``signals`` (a memorising generator's outputs)."""
    return [Signal(s.data.copy(), s.rate, s.channels, s.types, source=f"{s.source} copy") for s in signals]


def write_set(
    folder: Path | str, signals: Sequence[Signal], *, system: str, emotions: Sequence[str], prefix: str = ""
) -> pd.DataFrame:
    """Write ``signals`` as ``.npz`` files under ``folder`` and return their manifest rows (``sample_id``,
    ``system``, ``modality`` = signal, ``path``, ``target_emotion``)."""
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, (recording, emotion) in enumerate(zip(signals, emotions, strict=True)):
        name = f"{prefix or system}_{index:03d}"
        path = write_npz(folder / f"{name}.npz", recording.data, recording.rate, recording.channels, recording.types)
        rows.append(
            {"sample_id": name, "system": system, "modality": "signal", "path": str(path), "target_emotion": emotion}
        )
    return pd.DataFrame(rows)


def condition_set(
    condition: Condition, count: int, *, seed: int = 0, duration: int = 60, eeg: bool = False
) -> list[Signal]:
    """``count`` simulated recordings of ``condition`` (peripheral, or EEG with ``eeg=True``), seeds
    ``seed, seed + 1, ...``."""
    make = simulate_eeg if eeg else simulate_peripheral
    return [make(condition, seed + i, duration=duration) for i in range(count)]


__all__ = [
    "CONDITIONS",
    "CONDITION_EMOTION",
    "EEG_CHANNELS",
    "PERIPHERAL_CHANNELS",
    "condition_set",
    "copies",
    "distort",
    "simulate_eeg",
    "simulate_peripheral",
    "write_set",
]
