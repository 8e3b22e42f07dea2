"""Temporal and cross-channel structure of multichannel recordings: autocorrelation, channel correlation, z-scores.

Pure functions on NumPy arrays, used by ``signal_correlation_structure`` and ``signal_dtw``.

- :func:`autocorrelation` — the sample autocorrelation function of one channel, r(k) = Σₜ (xₜ − x̄)(xₜ₊ₖ − x̄) /
  Σₜ (xₜ − x̄)² (the biased estimator of Box & Jenkins, ``statsmodels.tsa.stattools.acf``'s default), computed
  by FFT at every sample lag up to the window and read at fixed lags in **seconds** (:func:`lag_grid`, linear
  interpolation between sample lags), so recordings at different sampling rates are compared lag for lag. The
  biased estimator shrinks r(k) by (1 − k/n): compare sets of similar durations, with windows well below them.
- :func:`acf_distance` — √(mean over the lags of (a − b)²) between two autocorrelation functions: 0 for the same
  temporal structure, at most 2.
- :func:`correlation_matrix` — the zero-lag Pearson correlation between every pair of channels
  (:func:`numpy.corrcoef`);
- :func:`frobenius_distance` — ‖A − B‖_F of two correlation matrices (the diagonal, 1 in both, adds nothing):
  0 for the same coupling, at most 2·√(C² − C) for C channels;
- :func:`znormalise` — each channel minus its mean, divided by its standard deviation (what DTW compares:
  shape, not offset or gain).

A channel with non-finite samples or no variance is refused (:class:`~emoeval.errors.SampleInputError` naming
``where``): its correlation is undefined.
"""

from __future__ import annotations

import numpy as np

from emoeval.errors import SampleInputError

#: default autocorrelation window (s) and lag step (s): a few heartbeats, one or two breaths
MAX_LAG_SECONDS = 5.0
LAG_STEP_SECONDS = 0.02


def lag_grid(max_lag: float = MAX_LAG_SECONDS, step: float = LAG_STEP_SECONDS) -> np.ndarray:
    """Lags 0, step, 2·step, ... up to ``max_lag`` seconds (inclusive when it is a multiple of ``step``).

    >>> lag_grid(0.1, 0.05).tolist()
    [0.0, 0.05, 0.1]
    """
    if not (max_lag > 0 and step > 0):
        raise ValueError(f"the lag window and step must be positive, got {max_lag} and {step}")
    return np.arange(round(max_lag / step) + 1) * step


def _checked(x: np.ndarray, where: str) -> np.ndarray:
    values = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise SampleInputError(f"{where}: a channel holds NaN or infinite samples")
    spread = values.std(axis=-1)
    if np.any(spread <= 1e-12 * np.maximum(1.0, np.abs(values).max(axis=-1))):
        raise SampleInputError(f"{where}: a channel is flat (no variance); its correlations are undefined")
    return values


def autocorrelation(x: np.ndarray, rate: float, lags: np.ndarray, *, where: str = "signal") -> np.ndarray:
    """The biased sample autocorrelation of one channel at ``lags`` (seconds), module docstring.

    >>> t = np.arange(2000) / 100.0
    >>> acf = autocorrelation(np.sin(2 * np.pi * 1.0 * t), 100.0, np.array([0.0, 0.5, 1.0]))
    >>> np.round(acf, 2).tolist()  # half a period: −1, a full period: +1 (shrunk by 1 − k/n)
    [1.0, -0.98, 0.95]
    """
    values = _checked(np.asarray(x, dtype=np.float64).ravel(), where)
    n = values.size
    top = float(np.max(lags)) * rate
    last = int(np.ceil(top)) + 1
    if last >= n:
        raise SampleInputError(
            f"{where}: {n / rate:.1f} s is too short for an autocorrelation up to a lag of {np.max(lags):g} s"
        )
    centred = values - values.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))  # zero-padded to ≥ 2n: a linear, not circular, correlation
    spectrum = np.fft.rfft(centred, size)
    full = np.fft.irfft(spectrum * np.conj(spectrum), size)[: last + 1]
    acf = full / full[0]
    return np.interp(np.asarray(lags, dtype=np.float64) * rate, np.arange(last + 1), acf)


def acf_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean square difference of two autocorrelation functions on one lag grid.

    >>> acf_distance(np.array([1.0, 0.5]), np.array([1.0, -0.5]))
    0.7071067811865476
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"autocorrelations on different lag grids: {x.shape} vs {y.shape}")
    return float(np.sqrt(np.mean((x - y) ** 2)))


def correlation_matrix(data: np.ndarray, *, where: str = "signal") -> np.ndarray:
    """Zero-lag Pearson correlations between the rows (channels) of ``data`` (channels × samples).

    >>> t = np.arange(100.0)
    >>> np.round(correlation_matrix(np.vstack([t, -t, t ** 2])), 2).tolist()
    [[1.0, -1.0, 0.97], [-1.0, 1.0, -0.97], [0.97, -0.97, 1.0]]
    """
    values = _checked(np.atleast_2d(np.asarray(data, dtype=np.float64)), where)
    return np.atleast_2d(np.corrcoef(values))


def frobenius_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖_F of two matrices of one shape.

    >>> frobenius_distance(np.eye(2), np.array([[1.0, 0.5], [0.5, 1.0]]))
    0.7071067811865476
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"correlation matrices of different shapes: {x.shape} vs {y.shape}")
    return float(np.linalg.norm(x - y, ord="fro"))


def znormalise(data: np.ndarray, *, where: str = "signal") -> np.ndarray:
    """Each row (channel) minus its mean, divided by its standard deviation.

    >>> znormalise(np.array([[1.0, 2.0, 3.0]])).round(4).tolist()
    [[-1.2247, 0.0, 1.2247]]
    """
    values = _checked(np.atleast_2d(np.asarray(data, dtype=np.float64)), where)
    return (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, keepdims=True)


__all__ = [
    "LAG_STEP_SECONDS",
    "MAX_LAG_SECONDS",
    "acf_distance",
    "autocorrelation",
    "correlation_matrix",
    "frobenius_distance",
    "lag_grid",
    "znormalise",
]
