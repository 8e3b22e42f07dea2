"""Spectra, autocorrelation, channel correlation and DTW of signals against direct references (scipy,
statsmodels, a plain dynamic programme), and the signal fidelity metrics' contract on small synthetic recordings
(no neurokit2: AR noise plus tones, written with emoeval's .npz layout)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import linalg, signal, stats

import emoeval
from emoeval.errors import RunConfigError, SampleInputError
from emoeval.functional import signal_structure as structure
from emoeval.functional import spectral
from emoeval.media.signal import write_npz
from emoeval.testing import check_metric

RATE = 128.0
SECONDS = 25
CHANNELS = ("C3", "C4", "X1")
TYPES = ("eeg", "eeg", "misc")


def _recording(seed: int, *, tone: float = 10.0, smooth: float = 0.9, channels: int = 3, mix: float = 0.0):
    """AR(1) noise (coefficient ``smooth``) plus a tone per channel; ``mix`` leaks channel 0 into the others."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * RATE)
    t = np.arange(n) / RATE
    rows = []
    for c in range(channels):
        noise = signal.lfilter([1.0], [1.0, -smooth], rng.normal(size=n))
        rows.append(noise / noise.std() + 0.8 * np.sin(2 * np.pi * (tone + 0.3 * c) * t + rng.uniform(0, 6)))
    data = np.vstack(rows)
    if mix:
        data[1:] = data[1:] + mix * data[0]
    return data


def _write(folder: Path, system: str, recordings: list[np.ndarray], *, references: list[Path] | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, data in enumerate(recordings):
        count = data.shape[0]
        path = write_npz(folder / f"{system}_{i:02d}.npz", data, RATE, CHANNELS[:count], TYPES[:count])
        row = {"sample_id": f"{system}_{i:02d}", "system": system, "modality": "signal", "path": str(path)}
        row["target_emotion"] = "calm" if i % 2 else "angry"
        if references is not None:
            row["reference"] = str(references[i])
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("signal-unit")
    real = [_recording(seed) for seed in range(8)]
    frames = [
        _write(folder / "real", "real", real),
        _write(folder / "good", "good", [_recording(100 + s) for s in range(8)]),
        _write(folder / "shifted", "shifted", [_recording(200 + s, tone=20.0, smooth=0.5) for s in range(8)]),
        _write(folder / "leaky", "leaky", [_recording(300 + s, mix=1.0) for s in range(8)]),
    ]
    return pd.concat(frames, ignore_index=True)


# -- spectra ---------------------------------------------------------------------------------------------------
def test_the_band_spectrum_is_scipy_welchs_psd_normalised_in_band_and_averaged_per_cell():
    x = _recording(1)[0]
    got = spectral.band_spectrum(x, RATE, "eeg")
    nperseg = round(20.0 * RATE)
    freqs, psd = signal.welch(x, fs=RATE, window="hann", nperseg=nperseg, noverlap=nperseg // 2)
    grid = np.geomspace(1.0, 45.0, 48)
    ratio = grid[1] / grid[0]
    edges = np.concatenate([grid / np.sqrt(ratio), [grid[-1] * np.sqrt(ratio)]])
    inside = (freqs >= edges[0]) & (freqs < edges[-1])
    density = psd / (psd[inside].sum() * (freqs[1] - freqs[0]))
    for k in range(48):
        cell = (freqs >= edges[k]) & (freqs < edges[k + 1])
        if cell.any():
            assert got[k] == pytest.approx(density[cell].mean(), rel=1e-9), k
        else:  # narrower than the 0.05 Hz bins: log-log interpolation between bins
            expected = 10 ** np.interp(np.log10(grid[k]), np.log10(freqs[1:]), np.log10(density[1:]))
            assert got[k] == pytest.approx(expected, rel=1e-9), k
    # unit power within the band: the cells' power sums to about 1 (the band's bins, cell-averaged)
    assert float(np.sum(got * spectral.cell_widths(grid))) == pytest.approx(1.0, rel=0.05)


def test_a_band_above_nyquist_and_a_short_recording_are_refused_with_the_fix():
    x = np.random.default_rng(0).normal(size=30 * 64)
    with pytest.raises(SampleInputError, match=r"sampled at 64 Hz.*Nyquist.*32 Hz.*≥ 90 Hz"):
        spectral.band_spectrum(x, 64.0, "eeg", where="r.npz")
    assert spectral.band_spectrum(x, 64.0, "eda").shape == (48,)  # EDA's band ends at 2 Hz: 64 Hz is plenty
    with pytest.raises(SampleInputError, match=r"10\.0 s is too short.*20 s"):
        spectral.band_spectrum(x[: 10 * 64], 64.0, "eda")
    with pytest.raises(SampleInputError, match="flat"):
        spectral.band_spectrum(np.ones(30 * 64), 64.0, "eda")


def test_log_spectral_distance_and_spectral_wasserstein_against_direct_formulas():
    rng = np.random.default_rng(3)
    grid = spectral.band_grid("ecg")
    p, q = rng.uniform(0.1, 2.0, 48), rng.uniform(0.1, 2.0, 48)
    direct_lsd = math.sqrt(sum((10 * math.log10(a / b)) ** 2 for a, b in zip(p, q, strict=True)) / 48)
    assert spectral.log_spectral_distance(p, q) == pytest.approx(direct_lsd, rel=1e-12)
    # W1 on a line = the integral of |F_p − F_q| over the support (here log2 frequency)
    support = np.log2(grid)
    mp, mq = p * spectral.cell_widths(grid), q * spectral.cell_widths(grid)
    cdf_gap = np.abs(np.cumsum(mp / mp.sum()) - np.cumsum(mq / mq.sum()))[:-1]
    assert spectral.spectral_wasserstein(p, q, grid) == pytest.approx(float(np.sum(cdf_gap * np.diff(support))))
    # a spectrum moved up by one octave (6 cells per octave on this grid) is 1 octave away
    grid = np.geomspace(1.0, 2.0**7, 43)
    bump = np.exp(-0.5 * ((np.log2(grid) - 3.0) / 0.4) ** 2) / spectral.cell_widths(grid)
    moved = np.exp(-0.5 * ((np.log2(grid) - 4.0) / 0.4) ** 2) / spectral.cell_widths(grid)
    assert spectral.spectral_wasserstein(moved, bump, grid) == pytest.approx(1.0, abs=1e-3)


def test_the_high_frequency_ratio_reads_the_reference_spectral_edge():
    grid = spectral.band_grid("eeg")
    flat = 1.0 / spectral.cell_widths(grid)  # equal power per cell
    low_passed = flat * (grid < 10.0) + 1e-10
    assert spectral.high_frequency_ratio(flat, flat, grid) == pytest.approx(1.0)
    assert spectral.high_frequency_ratio(low_passed, flat, grid) < 1e-6
    # a low-passed reference: its edge is the cell where 90 % of its n equal cells are reached
    n = int((grid < 10.0).sum())
    edge = math.ceil(0.9 * n) - 1
    expected = ((48 - edge) / 48) / ((n - edge) / n)
    assert spectral.high_frequency_ratio(flat, low_passed, grid) == pytest.approx(expected, rel=1e-6)


# -- autocorrelation, channel correlation, DTW ------------------------------------------------------------------
def test_autocorrelation_is_statsmodels_acf_at_sample_lags_and_interpolated_between():
    from statsmodels.tsa.stattools import acf

    x = _recording(2)[0]
    lags = np.arange(0, 101) / RATE
    expected = acf(x, nlags=100, fft=False)
    assert structure.autocorrelation(x, RATE, lags) == pytest.approx(expected, abs=1e-10)
    between = structure.autocorrelation(x, RATE, np.array([10.5 / RATE]))
    assert between[0] == pytest.approx((expected[10] + expected[11]) / 2, abs=1e-10)
    with pytest.raises(SampleInputError, match="too short"):
        structure.autocorrelation(x[:100], RATE, np.array([1.0]))


def test_correlation_matrix_is_pairwise_pearson_and_flat_channels_are_refused():
    data = _recording(4, mix=0.7)
    matrix = structure.correlation_matrix(data)
    for i in range(3):
        for j in range(3):
            assert matrix[i, j] == pytest.approx(stats.pearsonr(data[i], data[j]).statistic, abs=1e-12)
    with pytest.raises(SampleInputError, match="flat"):
        structure.correlation_matrix(np.vstack([data[0], np.full(data.shape[1], 3.0)]))


def _plain_dtw(x: np.ndarray, y: np.ndarray, radius: int) -> tuple[float, int]:
    """Textbook banded DTW: the O(n·m) table, then the path backtracked (diagonal first), its length counted."""
    n, m = len(x), len(y)
    below, above = (radius - 1, radius - 1 + m - n) if n <= m else (radius - 1 + n - m, radius - 1)
    d = np.full((n + 1, m + 1), np.inf)
    d[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if -below <= (j - 1) - (i - 1) <= above:
                cost = float(np.linalg.norm(x[i - 1] - y[j - 1]))
                d[i, j] = cost + min(d[i - 1, j - 1], d[i - 1, j], d[i, j - 1])
    i, j, length = n, m, 1
    while (i, j) != (1, 1):
        steps = [(d[i - 1, j - 1], i - 1, j - 1), (d[i - 1, j], i - 1, j), (d[i, j - 1], i, j - 1)]
        _, i, j = min(steps, key=lambda s: s[0])
        length += 1
    return float(d[n, m]), length


@pytest.mark.parametrize(("n", "m", "band"), [(60, 60, 1.0), (60, 75, 0.1), (80, 50, 0.2), (40, 41, 0.05)])
def test_dtw_distance_equals_a_plain_dynamic_programme(n, m, band):
    from emoeval.metrics.signal.pairs import dtw_distance

    rng = np.random.default_rng(n + m)
    x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
    value, radius = dtw_distance(x, y, band=band)
    total, length = _plain_dtw(x, y, radius)
    assert value == pytest.approx(total / length, rel=1e-12)
    assert dtw_distance(x, x, band=band)[0] == 0.0


# -- the metrics -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table(sets) -> pd.DataFrame:
    metrics = [
        "signal_spectral_distance",
        "signal_correlation_structure",
        "signal_fd(embedder=signal-spectrum,by_emotion=false)",
        "signal_kid(embedder=signal-spectrum)",
        "signal_prdc(embedder=signal-spectrum,nearest_k=3)",
    ]
    return emoeval.score(sets, metrics=metrics, real_system="real", use_cache=False, progress=False).table


def _values(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[table.sample_id.isna() & table.target_emotion.isna() & table.error.isna()]
    return rows.pivot_table(index="system", columns="sub_metric", values="value")


def test_the_spectral_distances_equal_a_direct_welch_computation(sets, table):
    values = _values(table)

    def mean_spectrum(system: str, row: int) -> np.ndarray:
        curves = []
        for path in sets[sets.system == system].path:
            with np.load(path) as archive:
                curves.append(spectral.band_spectrum(archive["data"][row], RATE, "eeg"))
        return np.mean(curves, axis=0)

    # channels 0 and 1 are both EEG: averaged per recording, then over recordings
    p = (mean_spectrum("shifted", 0) + mean_spectrum("shifted", 1)) / 2
    q = (mean_spectrum("real", 0) + mean_spectrum("real", 1)) / 2
    lsd = float(np.sqrt(np.mean((10 * np.log10(p / q)) ** 2)))
    assert values.loc["shifted", "lsd_db_eeg"] == pytest.approx(lsd, rel=1e-9)
    grid = spectral.band_grid("eeg")
    w1 = stats.wasserstein_distance(
        np.log2(grid), np.log2(grid), p * spectral.cell_widths(grid), q * spectral.cell_widths(grid)
    )
    assert values.loc["shifted", "wasserstein_eeg"] == pytest.approx(w1, rel=1e-9)
    assert values.loc["good", "lsd_db"] < values.loc["shifted", "lsd_db"] / 3
    assert values.loc["good", "spectral_wasserstein"] < values.loc["shifted", "spectral_wasserstein"] / 3


def test_correlation_structure_sees_leaking_channels_and_other_rhythms(table):
    values = _values(table)
    assert values.loc["leaky", "correlation_distance"] > 5 * values.loc["good", "correlation_distance"]
    assert values.loc["shifted", "acf_distance"] > 5 * values.loc["good", "acf_distance"]


def test_spectrum_fd_and_kid_equal_direct_computations_on_standardised_vectors(sets, table):
    from emoeval.reference_models.base import ModelInput, ModelPool

    model = ModelPool().get("signal-spectrum")

    def vectors(system: str) -> np.ndarray:
        paths = sets[sets.system == system].path
        return np.stack(model.infer([model.prepare(ModelInput(key=p, path=Path(p))) for p in paths]))

    real, good = vectors("real").astype(np.float32), vectors("good").astype(np.float32)  # states are float32
    center, scale = real.astype(np.float64).mean(axis=0), real.astype(np.float64).std(axis=0, ddof=1)
    x = ((good - center) / scale).astype(np.float32).astype(np.float64)
    y = ((real - center) / scale).astype(np.float32).astype(np.float64)
    mu_x, mu_y, cov_x, cov_y = x.mean(0), y.mean(0), np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    fd = float(np.sum((mu_x - mu_y) ** 2) + np.trace(cov_x + cov_y - 2 * linalg.sqrtm(cov_x @ cov_y).real))
    values = _values(table)
    assert values.loc["good", "fd"] == pytest.approx(fd, rel=1e-3)
    # KID: with 8 vectors a side every subset is the whole set, so KID is the unbiased MMD² itself
    d = x.shape[1]
    kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
    m = len(x)
    mmd = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean()
    assert values.loc["good", "kid"] == pytest.approx(mmd, rel=1e-4, abs=1e-6)
    assert values.loc["shifted", "fd"] > 10 * values.loc["good", "fd"]
    # 8 recordings in 144 dimensions: no generated vector falls inside a real 3-NN ball (precision 0 for both),
    # but the held-out set's balls still cover the real ones and the shifted set's do not
    assert values.loc["shifted", "recall"] < values.loc["good", "recall"]


def test_a_recording_with_another_channel_layout_is_an_error_row_naming_both_lengths(sets, tmp_path):
    two = _write(tmp_path / "two", "two_channels", [_recording(400 + s, channels=2) for s in range(3)])
    manifest = pd.concat([sets[sets.system.isin(["real", "good"])], two], ignore_index=True)
    table = emoeval.score(
        manifest, metrics=["signal_fd(embedder=signal-spectrum)"], real_system="real", use_cache=False, progress=False
    ).table
    errors = table[(table.system == "two_channels") & table.sample_id.notna()].error
    assert errors.notna().all()
    assert errors.str.contains("channel layout differs").all() and errors.str.contains("96 values").all()
    assert errors.str.contains("144").all()
    assert table[(table.system == "good") & table.sample_id.isna()].error.isna().all()
    # a reference set mixing layouts is refused as a whole
    mixed = manifest.assign(system=manifest.system.replace({"two_channels": "real"}))
    with pytest.raises(RunConfigError, match="reference set mixes channel layouts"):
        emoeval.score(
            mixed, metrics=["signal_kid(embedder=signal-spectrum)"], real_system="real", use_cache=False, progress=False
        )


def test_a_reference_folder_of_recordings_works_like_a_reference_system(sets, table):
    folder = Path(sets[sets.system == "real"].path.iloc[0]).parent
    subset = sets[sets.system == "good"]
    found = emoeval.score(subset, metrics=["signal_spectral_distance"], real=folder, use_cache=False, progress=False)
    by_system = _values(table)
    assert _values(found.table).loc["good", "lsd_db"] == pytest.approx(by_system.loc["good", "lsd_db"], rel=1e-12)


def test_dtw_is_zero_for_a_copy_and_grows_with_distortion(sets, tmp_path):
    real_paths = [Path(p) for p in sets[sets.system == "real"].path][:4]
    originals = [np.load(p)["data"] for p in real_paths]
    rng = np.random.default_rng(9)
    frames = [
        _write(tmp_path / "copy", "copy", originals, references=real_paths),
        _write(
            tmp_path / "near", "near", [d + 0.1 * rng.normal(size=d.shape) for d in originals], references=real_paths
        ),
        _write(tmp_path / "other", "other", [_recording(500 + s) for s in range(4)], references=real_paths),
    ]
    table = emoeval.score(pd.concat(frames), metrics=["signal_dtw"], use_cache=False, progress=False).table
    means = table[table.sample_id.isna()].set_index("system").value
    assert means["copy"] == 0.0
    assert 0.0 < means["near"] < means["other"] / 3


def test_a_pair_with_other_channel_types_is_an_error_naming_both_layouts(sets, tmp_path):
    real_paths = [Path(p) for p in sets[sets.system == "real"].path][:2]
    two = _write(tmp_path / "two", "two", [_recording(600 + s, channels=2) for s in range(2)], references=real_paths)
    table = emoeval.score(two, metrics=["signal_dtw"], use_cache=False, progress=False).table
    errors = table[table.sample_id.notna()].error
    assert errors.str.contains(r"C3=eeg, C4=eeg\) do not match|do not match its reference", regex=True).all()


@pytest.mark.parametrize(
    ("name", "params", "systems"),
    [
        ("signal_spectral_distance", {"real_system": "real"}, ["good", "real"]),
        ("signal_correlation_structure", {"real_system": "real"}, ["good", "real"]),
        ("signal_prdc", {"real_system": "real", "embedder": "signal-spectrum", "nearest_k": 3}, ["good", "real"]),
    ],
)
def test_the_reference_set_metrics_pass_the_conformance_kit(sets, name, params, systems):
    from emoeval.registry import get_metric_class

    # a scored system first: the kit breaks a copy of the first sample, and the reference system is not scored
    subset = pd.concat([sets[sets.system == s] for s in systems])
    alternatives = {"max_lag": 2.0, "lag_step": 0.05} if name == "signal_correlation_structure" else {}
    check_metric(get_metric_class(name), subset, params=params, alternatives=alternatives)


def test_signal_dtw_passes_the_conformance_kit(sets, tmp_path):
    from emoeval.metrics.signal.pairs import SignalDTW

    real_paths = [Path(p) for p in sets[sets.system == "real"].path][:3]
    pairs = _write(tmp_path / "pairs", "good", [_recording(700 + s) for s in range(3)], references=real_paths)
    check_metric(SignalDTW, pairs, alternatives={"rate": 50.0, "band": 0.2})


def test_coverage_left_out_for_lack_of_outputs_says_why_and_is_there_with_a_smaller_k(sets):
    two = sets[sets.system.isin(["real", "good"])]

    def coverage(nearest_k: int) -> pd.Series:
        metric = f"signal_emotion_diversity(embedder=signal-spectrum,nearest_k={nearest_k})"
        found = emoeval.score(two, metrics=[metric], real_system="real", use_cache=False, progress=False).table
        rows = found[(found.system == "good") & (found.scope == "system") & found.target_emotion.isna()]
        return rows[rows.sub_metric == "coverage"].iloc[0]

    default, smaller = coverage(5), coverage(3)
    assert np.isnan(default.value)
    assert (
        "coverage needs more than nearest_k=5 outputs of an emotion on each side (angry: 4 system / 4 reference; "
        "calm: 4 system / 4 reference)" in default.warning
    )
    assert default.error.startswith("signal_emotion_diversity(embedder=signal-spectrum) gave no coverage value here")
    assert default.error.endswith(default.warning)  # the report's error list says why, not only "NaN"
    assert 0.0 <= smaller.value <= 1.0
    assert pd.isna(smaller.warning) or "coverage needs" not in smaller.warning


def test_one_metric_twice_under_one_label_names_the_parameters_that_differ(sets):
    metrics = [
        "signal_emotion_diversity(embedder=signal-spectrum)",
        "signal_emotion_diversity(embedder=signal-spectrum,nearest_k=3)",
    ]
    with pytest.raises(RunConfigError, match=r"differing only in nearest_k .*a run of its own"):
        emoeval.score(sets, metrics=metrics, real_system="real", use_cache=False, progress=False)
    with pytest.raises(
        RunConfigError, match=r"signal_prdc\(embedder=signal-spectrum\) \(the same configuration twice\)"
    ):
        emoeval.score(sets, metrics=["signal_prdc(embedder=signal-spectrum)"] * 2, real_system="real", progress=False)
