"""Speech over-smoothing: global variance, F0 range and modulation spectrum against direct numpy/scipy
computations; the feature model on silence; the metric on the conformance kit and on a flattened copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from emoeval.functional.global_variance import (
    f0_range_semitones,
    geometric_mean,
    global_variance,
    gv_ratio,
    interpolate_unvoiced,
    modulation_spectrum,
    ms_distance_db,
)

RNG = np.random.default_rng(3)


def test_global_variance_and_its_ratio_are_numpys_variances_and_means():
    x = RNG.normal(size=(200, 5))
    np.testing.assert_allclose(global_variance(x), np.var(x, axis=0, ddof=0))
    system = RNG.uniform(0.5, 1.0, size=(7, 5))
    reference = RNG.uniform(1.0, 2.0, size=(9, 5))
    np.testing.assert_allclose(gv_ratio(system, reference), system.mean(axis=0) / reference.mean(axis=0))
    weights = np.array([1, 2, 1, 1, 3, 1, 1])
    np.testing.assert_allclose(
        gv_ratio(system, reference, weights), np.repeat(system, weights, axis=0).mean(axis=0) / reference.mean(axis=0)
    )
    assert geometric_mean(np.array([0.5, 2.0, 1.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="two frames"):
        global_variance(np.ones((1, 3)))


def test_f0_range_is_the_percentile_span_in_semitones_over_voiced_frames():
    f0 = np.where(RNG.random(300) < 0.3, 0.0, RNG.uniform(90, 260, 300))
    voiced = 12 * np.log2(f0[f0 > 0])
    assert f0_range_semitones(f0) == pytest.approx(np.percentile(voiced, 95) - np.percentile(voiced, 5))
    assert np.isnan(f0_range_semitones(np.array([0.0, 120.0, 0.0])))
    contour = interpolate_unvoiced(np.array([0.0, 100.0, 0.0, 0.0, 800.0, 0.0]))
    np.testing.assert_allclose(np.exp(contour), [100, 100, 200, 400, 800, 800])


def test_modulation_spectrum_is_welchs_power_in_db_averaged_over_dimensions():
    x = RNG.normal(size=(300, 3))
    _, power = signal.welch(x - x.mean(axis=0), nperseg=64, noverlap=32, window="hann", axis=0)
    np.testing.assert_allclose(modulation_spectrum(x), (10 * np.log10(power + 1e-12)).mean(axis=1))
    # a smoothed trajectory loses the fast modulations: its spectrum falls at high modulation frequencies
    smooth = signal.lfilter(np.ones(10) / 10, 1, x, axis=0)
    assert modulation_spectrum(smooth)[-10:].mean() < modulation_spectrum(x)[-10:].mean() - 10
    a, b = RNG.normal(size=(4, 33)), RNG.normal(size=(6, 33))
    assert ms_distance_db(a, b) == pytest.approx(np.sqrt(np.mean((a.mean(0) - b.mean(0)) ** 2)))


def _welch_by_hand(x: np.ndarray, segment: int = 64) -> np.ndarray:
    """Welch's one-sided density (fs = 1) written out with np.fft: Hann segments, half overlap, mean removed."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(segment) / segment)  # periodic Hann, as scipy's default
    starts = range(0, len(x) - segment + 1, segment // 2)
    power = np.mean(
        [np.abs(np.fft.rfft(window * (x[s : s + segment] - x[s : s + segment].mean()))) ** 2 for s in starts], axis=0
    ) / np.sum(window**2)
    power[1:-1] *= 2  # one-sided: every bin but 0 and the Nyquist bin holds both signs of frequency
    return power


def test_modulation_spectrum_matches_a_welch_estimate_written_with_numpy_fft():
    x = RNG.normal(size=(250, 2)).cumsum(axis=0)  # a random walk: a slow, speech-like trajectory
    expected = np.mean([10 * np.log10(_welch_by_hand(x[:, d] - x[:, d].mean()) + 1e-12) for d in range(2)], axis=0)
    np.testing.assert_allclose(modulation_spectrum(x), expected, atol=1e-9)
    # a 10-frame cycle (20 Hz at 5 ms frames) peaks in the bin at 64/10 ≈ 6.4 → bin 6
    tone = np.sin(2 * np.pi * np.arange(400) / 10)
    assert int(np.argmax(modulation_spectrum(tone))) == 6


def test_constant_short_and_non_finite_trajectories():
    constant = np.full((50, 3), 2.5)
    np.testing.assert_array_equal(global_variance(constant), np.zeros(3))
    # a reference with no variance has no ratio (NaN), a system with none has ratio 0
    ratio = gv_ratio(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert ratio[0] == 0.0 and np.isnan(ratio[1])
    np.testing.assert_allclose(modulation_spectrum(constant), -120.0)  # the floor: no modulation at all
    assert np.isnan(geometric_mean(np.array([1.0, 0.0])))
    for short in (np.array([1.0]), np.ones((1, 4)), np.array(3.0)):
        with pytest.raises(ValueError, match="at least two frames"):
            global_variance(short)
        with pytest.raises(ValueError, match="at least two frames"):
            modulation_spectrum(short)
    gap = RNG.normal(size=(40, 2))
    gap[5, 1] = np.nan
    for function in (global_variance, modulation_spectrum):
        with pytest.raises(ValueError, match="1 of 40 frames have NaN"):
            function(gap)
    with pytest.raises(ValueError, match="no voiced frame"):
        interpolate_unvoiced(np.zeros(10))


def test_the_feature_model_names_a_silent_or_unvoiced_recording():
    from emoeval.errors import SampleInputError
    from emoeval.media.audio import Audio
    from emoeval.reference_models.speech_smoothing import FEATURE_SIZE, block, smoothing_features

    rate = 16000
    t = np.arange(rate) / rate
    silence = Audio(np.zeros(rate, dtype=np.float32), rate, rate, 1)
    with pytest.raises(SampleInputError, match=r"quiet\.wav"):
        smoothing_features(silence, name="quiet.wav")
    hiss = Audio((0.1 * RNG.normal(size=rate) * (t > 0.3)).astype(np.float32), rate, rate, 1)
    with pytest.raises(SampleInputError, match=r"hiss\.wav"):
        smoothing_features(hiss, name="hiss.wav")
    # a voiced glide from 120 to 240 Hz: one octave, so the 5-95 % range is 0.9 of 12 semitones
    f0 = 120 * 2**t
    glide = Audio((0.3 * np.sin(2 * np.pi * np.cumsum(f0) / rate)).astype(np.float32), rate, rate, 1)
    vector = smoothing_features(glide, name="glide.wav")
    assert vector.shape == (FEATURE_SIZE,) and np.all(np.isfinite(vector))
    assert block(vector, "f0_range_st")[0] == pytest.approx(0.9 * 12, abs=0.6)
    # log F0 rises linearly over ln 2: its variance is that of a uniform spread, (ln 2)² / 12
    assert block(vector, "gv_logf0")[0] == pytest.approx(np.log(2) ** 2 / 12, rel=0.1)


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


def test_the_metric_passes_check_metric_and_a_flattened_copy_loses_variance(demo_dir, pool, tmp_path):
    import soundfile

    import emoeval
    from emoeval.metrics.speech.smoothing import SpeechSmoothing
    from emoeval.samples import Sample, read_manifest
    from emoeval.testing import check_metric

    speech = sorted(
        (s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "speech"),
        key=lambda s: s.system == "source_unconverted",
    )
    report = check_metric(SpeechSmoothing, speech, params={"real_system": "source_unconverted"}, model_pool=pool)
    assert not report.failures
    # the same recordings with their amplitude envelope flattened and a silent one: lower energy GV, an error row
    flattened = []
    for sample in (s for s in speech if s.system == "source_unconverted"):
        data, rate = soundfile.read(sample.path)
        envelope = np.abs(signal.hilbert(data))
        smooth = signal.savgol_filter(envelope, 801, 1)
        out = tmp_path / f"{sample.sample_id.replace('/', '_')}.wav"
        soundfile.write(out, data / np.maximum(envelope, 1e-4) * np.maximum(smooth, 1e-4) * 0.5, rate)
        flattened.append(sample.replace(sample_id=f"flat/{sample.sample_id}", system="flat", parts={
            **sample.parts, "output": sample.parts["output"].__class__("speech", out)}))  # fmt: skip
    silent = tmp_path / "silence.wav"
    soundfile.write(silent, np.zeros(16000), 16000)
    flattened.append(Sample("flat/silence", "flat", "speech", path=silent))
    table = emoeval.score(
        [*speech, *flattened], metrics=[SpeechSmoothing(real_system="source_unconverted")], progress=False,
        use_cache=False, n_bootstrap=50, model_pool=pool,
    ).table  # fmt: skip
    errors = table[table["error"].notna() & (table["scope"] == "sample")]
    assert "silence.wav" in errors["error"].iloc[0]
    flat = table[(table["system"] == "flat") & (table["scope"] == "system")].set_index("sub_metric")["value"]
    assert flat["gv_ratio_energy"] < 1.0
