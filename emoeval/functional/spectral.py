"""Power spectra of physiological channels on fixed log-frequency grids, and distances between them.

Pure functions on NumPy arrays (scipy's Welch estimate). Used by the ``signal-spectrum`` reference model (a
recording's log spectra as an embedding) and by ``signal_spectral_distance`` (system vs reference spectra).

**The spectrum of one channel** (:func:`band_spectrum`):

1. Welch's PSD (:func:`welch_psd`): :func:`scipy.signal.welch` with a Hann window, segments of
   ``nperseg = round(SEGMENT_SECONDS · rate)`` samples (:data:`SEGMENT_SECONDS` = 20 s, so the bins lie
   0.05 Hz apart and resolve the slow EDA and breathing rhythms), 50 % overlap, each segment's mean removed
   (``detrend="constant"``), density scaling, the mean of the segments' periodograms. A recording shorter than
   one segment is refused (it cannot resolve the band's lowest frequency), not padded.
2. The channel type's band (:data:`SPECTRUM_BANDS`: where that signal carries its information — ECG 0.5–40 Hz,
   EDA and respiration 0.05–2 Hz, EEG 1–45 Hz, ...; ``misc`` for an unknown type) is cut into
   :data:`GRID_POINTS` = 48 cells of equal width in log frequency, centred on the log-spaced grid
   :func:`band_grid` (the end cells reach half a cell beyond the band's ends). Per band rather than one grid for
   every channel: an EDA channel carries nothing at 45 Hz and is often sampled at 4–32 Hz, which a 45 Hz grid
   would refuse.
3. The PSD is **normalised to unit power within the band** (divided by the sum of the Welch bins inside the
   cells times the bin width), so a spectrum says how a channel's power is spread over frequency, whatever the
   channel's unit or gain (µS, mV, µV).
4. Each grid cell gets the mean normalised density of the Welch bins inside it (a narrow peak such as mains hum
   shows in the cell that holds it instead of falling between two grid points); a cell holding no bin (low
   frequencies, where cells are narrower than 0.05 Hz) gets the density interpolated linearly in log-log
   coordinates between the neighbouring bins. Densities are floored at :data:`DENSITY_FLOOR` (10⁻¹⁰ per Hz of
   the band's power, −100 dB): a perfectly empty band must not dominate every distance with log10 of 10⁻³⁰⁰.

Refused with :class:`~emoeval.errors.SampleInputError` naming the recording: non-finite samples, a flat channel
(no power in the band), a band reaching above the Nyquist frequency (the message names the sampling rate), a
recording shorter than one Welch segment.

**Distances** between two spectra ``p`` (a system's mean) and ``q`` (the reference's mean) on one grid:

- :func:`log_spectral_distance` — LSD = √(mean over the grid of (10·log10(p/q))²), in dB (Gray & Markel 1976);
  0 for identical spectra; a uniform factor 2 in every cell is 3.01 dB;
- :func:`spectral_wasserstein` — the 1-Wasserstein (earth mover's) distance between the spectra taken as
  distributions of power over log2 frequency: support the grid's log2 frequencies, weights the power in each
  cell (density × cell width, renormalised to sum 1), :func:`scipy.stats.wasserstein_distance`. In **octaves**:
  the same spectrum at twice the frequency (a generator running twice as fast) is 1.0 away, whatever the band;
- :func:`high_frequency_ratio` — the share of ``p``'s power above the reference's 90 % spectral edge (the first
  cell at which ``q``'s cumulative power reaches 0.9) ÷ ``q``'s own share there (≥ 0.1). 1 = as much fast
  detail as the reference, → 0 = over-smoothed (the over-smoothing signature), > 1 = extra high-frequency
  content (noise).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from emoeval.errors import SampleInputError

#: per channel type, the band (Hz) its spectrum covers: where that signal carries its information (ECG: from the
#: heart rate to the QRS energy; PPG: pulse and harmonics; EDA, respiration, temperature: below 2 Hz; EEG: delta
#: to low gamma; EMG: its surface band); ``misc`` for a channel of unknown type
SPECTRUM_BANDS: Mapping[str, tuple[float, float]] = {
    "ecg": (0.5, 40.0),
    "ppg": (0.5, 10.0),
    "eda": (0.05, 2.0),
    "rsp": (0.05, 2.0),
    "eeg": (1.0, 45.0),
    "emg": (10.0, 200.0),
    "temp": (0.05, 1.0),
    "misc": (0.1, 50.0),
}
#: grid frequencies (cells) per channel
GRID_POINTS = 48
#: Welch segment length (s): 20 s gives bins 0.05 Hz apart, the lowest band edge
SEGMENT_SECONDS = 20.0
#: smallest normalised density kept (per Hz of the band's power): −100 dB below a flat unit-power band
DENSITY_FLOOR = 1e-10
#: the spectral edge (share of the reference's power below it) that :func:`high_frequency_ratio` reads above
EDGE_SHARE = 0.9


def band_of(kind: str) -> tuple[float, float]:
    """The band (Hz) of a channel type (:data:`SPECTRUM_BANDS`; ``misc`` for an unknown type).

    >>> band_of("eda"), band_of("something")
    ((0.05, 2.0), (0.1, 50.0))
    """
    return SPECTRUM_BANDS.get(kind, SPECTRUM_BANDS["misc"])


def band_grid(kind: str, points: int = GRID_POINTS) -> np.ndarray:
    """``points`` log-spaced frequencies (Hz) from the band's low to its high end (:func:`band_of`).

    >>> grid = band_grid("ecg")
    >>> len(grid), float(grid[0]), float(grid[-1])
    (48, 0.5, 40.0)
    """
    low, high = band_of(kind)
    return np.geomspace(low, high, points)


def cell_edges(grid: np.ndarray) -> np.ndarray:
    """The ``len(grid) + 1`` cell edges of a log-spaced grid: halfway (in log frequency) between neighbours, the
    end cells as wide as the others.

    >>> [round(float(e), 3) for e in cell_edges(np.array([1.0, 2.0, 4.0]))]
    [0.707, 1.414, 2.828, 5.657]
    """
    logs = np.log(np.asarray(grid, dtype=np.float64))
    if logs.size < 2:
        raise ValueError("a spectrum grid needs at least two frequencies")
    half = (logs[1] - logs[0]) / 2
    return np.exp(np.concatenate([[logs[0] - half], (logs[:-1] + logs[1:]) / 2, [logs[-1] + half]]))


def cell_widths(grid: np.ndarray) -> np.ndarray:
    """Width (Hz) of each grid cell (:func:`cell_edges`)."""
    return np.diff(cell_edges(grid))


def welch_psd(x: np.ndarray, rate: float, *, segment_seconds: float = SEGMENT_SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, PSD) of one channel by Welch's method (module docstring, step 1). The segment is
    ``round(segment_seconds · rate)`` samples; ``x`` must hold at least one segment (ValueError otherwise)."""
    from scipy.signal import welch

    values = np.asarray(x, dtype=np.float64).ravel()
    nperseg = round(segment_seconds * rate)
    if values.size < nperseg:
        raise ValueError(f"{values.size} samples are fewer than one Welch segment of {nperseg}")
    return welch(
        values,
        fs=rate,
        window="hann",
        nperseg=nperseg,
        noverlap=nperseg // 2,
        detrend="constant",
        scaling="density",
        average="mean",
    )


def band_spectrum(
    x: np.ndarray,
    rate: float,
    kind: str,
    *,
    where: str = "signal",
    points: int = GRID_POINTS,
    segment_seconds: float = SEGMENT_SECONDS,
) -> np.ndarray:
    """The normalised power spectral density (per Hz, unit power within the band) of one channel of type
    ``kind`` on :func:`band_grid` (module docstring). Linear densities; the model takes their log10.

    Raises :class:`SampleInputError` (naming ``where``) for non-finite samples, a band above the Nyquist
    frequency, a recording shorter than one Welch segment, or no power in the band.

    >>> t = np.arange(0, 40, 1 / 250)
    >>> spectrum = band_spectrum(np.sin(2 * np.pi * 10 * t), 250.0, "eeg")
    >>> edges = cell_edges(band_grid("eeg"))
    >>> k = int(np.argmax(spectrum))  # the 10 Hz tone sits in the cell that holds 10 Hz
    >>> bool(edges[k] <= 10.0 < edges[k + 1])
    True
    """
    values = np.asarray(x, dtype=np.float64).ravel()
    grid = band_grid(kind, points)
    edges = cell_edges(grid)
    low, high = band_of(kind)
    nyquist = rate / 2.0
    if high > nyquist:
        raise SampleInputError(
            f"{where}: a {kind} channel sampled at {rate:g} Hz has its Nyquist frequency at {nyquist:g} Hz, below "
            f"the top of the {kind} spectrum band ({low:g}–{high:g} Hz); record or resample it at ≥ {2 * high:g} Hz"
        )
    seconds = values.size / rate
    if seconds < segment_seconds:
        raise SampleInputError(
            f"{where}: {seconds:.1f} s is too short for a spectrum ({segment_seconds:g} s Welch segments, to "
            f"resolve {1 / segment_seconds:g} Hz); give recordings of at least {segment_seconds:g} s"
        )
    if not np.all(np.isfinite(values)):
        raise SampleInputError(f"{where}: a {kind} channel holds NaN or infinite samples; no spectrum")
    freqs, psd = welch_psd(values, rate, segment_seconds=segment_seconds)
    step = freqs[1] - freqs[0]
    inside = (freqs >= edges[0]) & (freqs < edges[-1]) & (freqs > 0)
    total = float(psd[inside].sum() * step)
    if not total > 0 or not math.isfinite(total):
        raise SampleInputError(f"{where}: a {kind} channel has no power in its band ({low:g}–{high:g} Hz): flat")
    density = psd / total
    # cells without a bin (narrower than the bin spacing): log-log interpolation between bins
    positive = freqs > 0
    tiny = np.finfo(np.float64).tiny
    curve = 10.0 ** np.interp(np.log10(grid), np.log10(freqs[positive]), np.log10(np.maximum(density[positive], tiny)))
    cell = np.searchsorted(edges, freqs, side="right") - 1
    used = inside & (cell >= 0) & (cell < points)
    counts = np.bincount(cell[used], minlength=points)
    sums = np.bincount(cell[used], weights=density[used], minlength=points)
    filled = counts > 0
    curve[filled] = sums[filled] / counts[filled]
    return np.maximum(curve, DENSITY_FLOOR)


def cell_power(density: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Power in each cell (density × cell width), renormalised to sum 1: a spectrum as a distribution."""
    mass = np.asarray(density, dtype=np.float64) * cell_widths(grid)
    return mass / mass.sum()


def log_spectral_distance(p: np.ndarray, q: np.ndarray) -> float:
    """√(mean((10·log10(p / q))²)) in dB over the grid (positive densities on one grid).

    >>> round(log_spectral_distance(np.full(4, 2.0), np.ones(4)), 3)
    3.01
    """
    a, b = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"spectra on different grids: {a.shape} vs {b.shape}")
    if not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError("log-spectral distance needs positive densities")
    return float(np.sqrt(np.mean((10.0 * np.log10(a / b)) ** 2)))


def spectral_wasserstein(p: np.ndarray, q: np.ndarray, grid: np.ndarray) -> float:
    """1-Wasserstein distance (octaves) between two spectra on ``grid`` as distributions of power over log2
    frequency (module docstring).

    >>> grid = np.geomspace(1.0, 64.0, 7)  # one cell per octave
    >>> p, q = np.zeros(7), np.zeros(7)
    >>> p[2], q[3] = 1.0 / 4.0, 1.0 / 8.0  # all power at 4 Hz vs all power at 8 Hz (densities ∝ 1 / width)
    >>> round(spectral_wasserstein(p, q, grid), 6)
    1.0
    """
    from scipy.stats import wasserstein_distance

    support = np.log2(np.asarray(grid, dtype=np.float64))
    return float(wasserstein_distance(support, support, cell_power(p, grid), cell_power(q, grid)))


def high_frequency_ratio(p: np.ndarray, q: np.ndarray, grid: np.ndarray, *, edge: float = EDGE_SHARE) -> float:
    """Share of ``p``'s power at and above the cell where ``q``'s cumulative power reaches ``edge`` ÷ ``q``'s
    share there (module docstring).

    >>> grid = np.geomspace(1.0, 32.0, 6)
    >>> flat = 1.0 / cell_widths(grid)  # equal power per cell
    >>> round(high_frequency_ratio(flat, flat, grid), 6)
    1.0
    """
    p_mass, q_mass = cell_power(p, grid), cell_power(q, grid)
    index = int(np.searchsorted(np.cumsum(q_mass), edge - 1e-12))  # first cell whose cumulative share ≥ edge
    reference_share = float(q_mass[index:].sum())
    return float(p_mass[index:].sum()) / reference_share


__all__ = [
    "DENSITY_FLOOR",
    "EDGE_SHARE",
    "GRID_POINTS",
    "SEGMENT_SECONDS",
    "SPECTRUM_BANDS",
    "band_grid",
    "band_of",
    "band_spectrum",
    "cell_edges",
    "cell_power",
    "cell_widths",
    "high_frequency_ratio",
    "log_spectral_distance",
    "spectral_wasserstein",
    "welch_psd",
]
