"""Physiological descriptors (emoeval.functional.physio, reference_models.signal_descriptors) against direct
neurokit2 and scipy calls, on simulated recordings (emoeval.simulated_signals: simulated, not real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal as scipy_signal

from emoeval.errors import SampleInputError
from emoeval.functional import physio
from emoeval.media.signal import Signal, write_npz
from emoeval.reference_models.signal_descriptors import BLOCKS, DESCRIPTOR_NAMES, block_descriptors

nk = pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
from emoeval.simulated_signals import condition_set, distort  # noqa: E402

RATE = 250


@pytest.fixture(scope="module")
def recordings() -> dict[str, list[Signal]]:
    return {"rest": condition_set("rest", 3, seed=0), "arousal": condition_set("arousal", 3, seed=20)}


@pytest.fixture(scope="module")
def eeg() -> dict[str, Signal]:
    return {
        "rest": condition_set("rest", 1, seed=3, eeg=True)[0],
        "arousal": condition_set("arousal", 1, seed=3, eeg=True)[0],
    }


def _replace(recording: Signal, row: int, values: np.ndarray, source: str) -> Signal:
    data = recording.data.copy()
    data[row] = values
    return Signal(data, recording.rate, recording.channels, recording.types, source=source)


def test_ecg_descriptors_equal_neurokit2_called_directly(recordings):
    ecg = recordings["rest"][0].of_type("ecg")[0]
    signals, info = nk.ecg_process(ecg, sampling_rate=RATE)
    peaks = np.asarray(info["ECG_R_Peaks"])
    direct_time = nk.hrv_time({"ECG_R_Peaks": peaks}, sampling_rate=RATE)
    ours = physio.ecg_descriptors(ecg, RATE)
    assert ours["heart_rate"] == pytest.approx(60.0 / np.mean(np.diff(peaks) / RATE), rel=1e-12)
    assert ours["heart_rate"] == pytest.approx(signals["ECG_Rate"].mean(), rel=0.02)  # nk's interpolated rate
    assert ours["rmssd"] == pytest.approx(float(direct_time["HRV_RMSSD"].iloc[0]), rel=1e-12)
    assert ours["sdnn"] == pytest.approx(float(direct_time["HRV_SDNN"].iloc[0]), rel=1e-12)
    rr = np.diff(peaks) / RATE * 1000
    assert ours["rmssd"] == pytest.approx(np.sqrt(np.mean(np.diff(rr) ** 2)), rel=1e-9)  # the textbook formula
    assert 0.9 < ours["beat_consistency"] <= 1.0


def test_lf_hf_only_on_recordings_of_two_minutes_and_then_equal_to_neurokit2(recordings):
    # Task Force 1996: about 2 min for LF; on 60 s the ratio is not assessable and must be absent, not a number
    assert "lf_hf" not in physio.ecg_descriptors(recordings["rest"][0].of_type("ecg")[0], RATE)
    ecg = condition_set("rest", 1, seed=7, duration=150)[0].of_type("ecg")[0]
    _, info = nk.ecg_process(ecg, sampling_rate=RATE)
    direct = nk.hrv_frequency({"ECG_R_Peaks": np.asarray(info["ECG_R_Peaks"])}, sampling_rate=RATE)
    assert physio.ecg_descriptors(ecg, RATE)["lf_hf"] == pytest.approx(float(direct["HRV_LFHF"].iloc[0]), rel=1e-12)


def test_beat_consistency_agrees_with_neurokit2_template_matching(recordings):
    # nk.ecg_quality(method="templatematch") (Orphanidou et al. 2015) holds each beat's correlation with the
    # average beat from that beat's R peak on; its beat window follows the mean RR interval, ours is fixed
    for recording in (recordings["rest"][0], recordings["arousal"][0], distort(recordings["rest"][0], "noise")):
        clean, peaks = physio.ecg_peaks(recording.of_type("ecg")[0], RATE)
        quality = nk.ecg_quality(clean, rpeaks=peaks, sampling_rate=RATE, method="templatematch")
        theirs = float(np.mean(quality[peaks[:-1]]))
        assert physio.ecg_descriptors(recording.of_type("ecg")[0], RATE)["beat_consistency"] == pytest.approx(
            theirs, abs=0.015
        )


def test_eda_and_respiration_descriptors_equal_neurokit2_called_directly(recordings):
    recording = recordings["arousal"][0]
    eda, rsp = recording.of_type("eda")[0], recording.of_type("rsp")[0]
    eda_signals, eda_info = nk.eda_process(eda, sampling_rate=RATE)
    rsp_signals, _ = nk.rsp_process(rsp, sampling_rate=RATE)
    ours = {**physio.eda_descriptors(eda, RATE), **physio.rsp_descriptors(rsp, RATE)}
    assert ours["eda_tonic"] == pytest.approx(eda_signals["EDA_Tonic"].mean(), rel=1e-12)
    amplitudes = np.asarray(eda_info["SCR_Amplitude"], dtype=float)
    assert np.isfinite(amplitudes).all() and amplitudes.min() >= 0.01  # every simulated response counts here
    assert ours["scr_rate"] == pytest.approx(len(eda_info["SCR_Peaks"]) / (len(eda) / RATE / 60), rel=1e-12)
    assert ours["scr_amplitude"] == pytest.approx(np.mean(amplitudes), rel=1e-12)
    assert ours["rsp_rate"] == pytest.approx(rsp_signals["RSP_Rate"].mean(), rel=1e-12)
    assert ours["rsp_amplitude"] == pytest.approx(rsp_signals["RSP_Amplitude"].mean(), rel=1e-12)


def test_responses_below_the_minimum_amplitude_are_not_counted():
    # a 0.002 µS wobble on a 2 µS level: neurokit2 (relative threshold) reports responses; Boucsein's 0.01 µS
    # minimum counts none
    t = np.arange(60 * RATE) / RATE
    eda = 2.0 + 0.002 * np.sin(2 * np.pi * 0.1 * t)
    _, info = nk.eda_process(eda, sampling_rate=RATE)
    assert len(info["SCR_Peaks"]) > 0
    ours = physio.eda_descriptors(eda, RATE)
    assert ours["scr_rate"] == 0.0 and ours["scr_amplitude"] == 0.0
    assert ours["eda_tonic"] == pytest.approx(2.0, abs=0.01)


def test_rest_and_arousal_separate_as_the_simulation_was_told(recordings):
    described = {
        condition: [block_descriptors(r, "ecg") | block_descriptors(r, "eda") | block_descriptors(r, "rsp") for r in rs]
        for condition, rs in recordings.items()
    }
    for name, low_rest, high_arousal in (("heart_rate", 72, 88), ("scr_rate", 4, 5), ("rsp_rate", 15.5, 16.5)):
        assert max(d[name] for d in described["rest"]) < low_rest, name
        assert min(d[name] for d in described["arousal"]) > high_arousal, name
    for d in described["rest"] + described["arousal"]:
        assert all(physio.PLAUSIBLE[k][0] <= v <= physio.PLAUSIBLE[k][1] for k, v in d.items() if k in physio.PLAUSIBLE)


def test_eeg_band_powers_equal_a_direct_welch_and_trapezoid(eeg):
    x = eeg["rest"].of_type("eeg")[0]
    freqs, psd = scipy_signal.welch(x, fs=RATE, window="hann", nperseg=2 * RATE)
    ours = physio.eeg_band_powers(x, RATE)
    for band, (low, high) in physio.EEG_BANDS.items():
        inside = (freqs >= low) & (freqs <= high)
        assert ours[band] == pytest.approx(np.trapezoid(psd[inside], freqs[inside]), rel=1e-12)
    total = np.trapezoid(psd[(freqs >= 1) & (freqs <= 45)], freqs[(freqs >= 1) & (freqs <= 45)])
    assert ours["alpha_rel"] == pytest.approx(ours["alpha"] / total, rel=1e-12)
    # the block averages over channels; its absolute powers are the channel means of the same integrals
    block = block_descriptors(eeg["rest"], "eeg")
    direct = np.mean([physio.eeg_band_powers(row, RATE)["beta"] for row in eeg["rest"].of_type("eeg")])
    assert block["beta_power"] == pytest.approx(direct, rel=1e-12)


def test_eeg_rest_has_more_alpha_and_positive_frontal_asymmetry(eeg):
    rest, arousal = block_descriptors(eeg["rest"], "eeg"), block_descriptors(eeg["arousal"], "eeg")
    assert rest["alpha_rel"] > 2 * arousal["alpha_rel"]
    assert rest["beta_rel"] < arousal["beta_rel"]
    assert rest["frontal_alpha_asymmetry"] > 0.3 > abs(arousal["frontal_alpha_asymmetry"])
    x = eeg["rest"]
    f3, f4 = x.channels.index("F3"), x.channels.index("F4")
    freqs, psd3 = scipy_signal.welch(x.data[f3], fs=RATE, nperseg=2 * RATE)
    _, psd4 = scipy_signal.welch(x.data[f4], fs=RATE, nperseg=2 * RATE)
    alpha = (freqs >= 8) & (freqs <= 13)
    direct = np.log(np.trapezoid(psd4[alpha], freqs[alpha])) - np.log(np.trapezoid(psd3[alpha], freqs[alpha]))
    assert rest["frontal_alpha_asymmetry"] == pytest.approx(direct, rel=1e-12)


def test_frontal_asymmetry_falls_back_to_the_next_pair_and_names_the_file_without_any(eeg):
    rest = eeg["rest"]
    renamed = tuple({"F3": "F7", "F4": "F8"}.get(name, name) for name in rest.channels)
    lateral = Signal(rest.data, RATE, renamed, rest.types, source="lateral.npz")
    notes: list[str] = []
    values = block_descriptors(lateral, "eeg", notes=notes)
    assert values["frontal_alpha_asymmetry"] == block_descriptors(rest, "eeg")["frontal_alpha_asymmetry"]
    assert notes == ["frontal_alpha_asymmetry from F8-F7 (no F4/F3)"]
    keep = [i for i, name in enumerate(rest.channels) if not name.startswith("F")]
    posterior = Signal(rest.data[keep], RATE, tuple(rest.channels[i] for i in keep), ("eeg",) * len(keep), "back.npz")
    with pytest.raises(SampleInputError, match=r"back\.npz: no frontal electrode pair .*channels: C3, C4, Pz"):
        block_descriptors(posterior, "eeg")  # the models need every entry
    notes = []
    partial = block_descriptors(posterior, "eeg", notes=notes)  # signal_plausibility reports the rest
    assert "frontal_alpha_asymmetry" not in partial and "alpha_rel" in partial
    assert notes and notes[0].startswith("frontal_alpha_asymmetry left out: back.npz: no frontal electrode pair")


def _power_law_noise(beta: float, seconds: int, seed: int) -> np.ndarray:
    """Gaussian noise with power spectrum ∝ 1/f^beta, shaped in the frequency domain (independent of neurokit2)."""
    n = seconds * RATE
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n, d=1 / RATE)
    spectrum[1:] /= freqs[1:] ** (beta / 2)
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n)


@pytest.mark.parametrize("beta", [0.5, 1.0, 1.5, 2.0])
def test_aperiodic_slope_recovers_the_exponent_of_power_law_noise(beta):
    assert physio.aperiodic_slope(_power_law_noise(beta, 60, seed=1), RATE) == pytest.approx(-beta, abs=0.1)
    noise = np.asarray(nk.signal_noise(duration=60, sampling_rate=RATE, beta=beta, random_state=1))
    assert physio.aperiodic_slope(noise, RATE) == pytest.approx(-beta, abs=0.2)


def test_template_correlation_and_beat_consistency_fall_with_noise(recordings):
    clean = recordings["rest"][1]
    noisy = distort(clean, "noise", seed=4)
    assert physio.template_correlation(np.sin(np.arange(50)), np.sin(np.arange(50))) == pytest.approx(1.0)
    assert physio.template_correlation(np.sin(np.arange(50)), -np.sin(np.arange(50))) == pytest.approx(-1.0)
    clean_value = block_descriptors(clean, "ecg")["beat_consistency"]
    noisy_value = block_descriptors(noisy, "ecg")["beat_consistency"]
    assert clean_value > 0.98 and noisy_value < clean_value - 0.04  # measured: 0.993 vs 0.934 at 0 dB SNR


def test_template_correlation_to_a_reference_is_the_pearson_r_of_the_average_beats(recordings):
    recording = recordings["rest"][0]
    ecg = recording.of_type("ecg")[0]
    clean, peaks = physio.ecg_peaks(ecg, RATE)
    before, after = round(0.25 * RATE), round(0.4 * RATE)
    template = np.mean([clean[p - before : p + after] for p in peaks if p >= before and p + after <= clean.size], 0)
    fast = distort(recording, "wrong_rate").of_type("ecg")[0]
    clean_fast, peaks_fast = physio.ecg_peaks(fast, RATE)
    template_fast = np.mean(
        [clean_fast[p - before : p + after] for p in peaks_fast if p >= before and p + after <= clean.size], 0
    )
    value = physio.reference_template_correlation(fast, RATE, ecg, RATE)
    assert value == pytest.approx(np.corrcoef(template_fast, template)[0, 1], rel=1e-12)
    assert value < 0.5  # QRS complexes half as wide: another morphology (measured 0.17)
    assert physio.reference_template_correlation(ecg, RATE, 3.0 * ecg - 1.0, RATE) == pytest.approx(1.0)
    # a reference stored at 500 Hz: its template is compared on the recording's time grid
    upsampled = scipy_signal.resample_poly(ecg, 2, 1)
    assert physio.reference_template_correlation(ecg, RATE, upsampled, 2 * RATE) > 0.99


def test_a_missing_channel_type_or_a_short_recording_is_a_per_sample_error(recordings):
    recording = recordings["rest"][0]
    only_ecg = Signal(recording.data[:1], RATE, ("ECG",), ("ecg",), source="only_ecg.npz")
    with pytest.raises(SampleInputError, match=r"only_ecg\.npz: no eda channel \(channels: ECG=ecg\)"):
        block_descriptors(only_ecg, "eda")
    short = Signal(recording.data[:, : 5 * RATE], RATE, recording.channels, recording.types, source="short.npz")
    with pytest.raises(SampleInputError, match=r"short\.npz: 5\.0 s is too short for ecg descriptors"):
        block_descriptors(short, "ecg")
    flat = Signal(np.zeros((1, 30 * RATE)), RATE, ("ECG",), ("ecg",), source="flat.npz")
    with pytest.raises(SampleInputError, match=r"flat\.npz"):
        block_descriptors(flat, "ecg")


@pytest.mark.parametrize("block", ["ecg", "eda", "rsp"])
def test_flat_or_gappy_channels_are_errors_not_plausible_numbers(recordings, block):
    # neurokit2 turns a constant EDA trace into responses of 1e-15 µS and a constant respiration trace into 38
    # breaths/min, and bridges a NaN gap in an ECG with a long RR interval (RMSSD 131 ms instead of 29)
    recording = recordings["rest"][0]
    row = recording.types.index(block)
    constant = _replace(recording, row, np.full(recording.data.shape[1], 5.0), "constant.npz")
    with pytest.raises(SampleInputError, match=r"constant\.npz: the \w+ channel is a flat line"):
        block_descriptors(constant, block)
    gap = recording.data[row].copy()
    gap[3000:3500] = np.nan
    with pytest.raises(SampleInputError, match=r"gap\.npz: the \w+ channel has 500 non-finite samples .*2\.00 s"):
        block_descriptors(_replace(recording, row, gap, "gap.npz"), block)


def test_descriptor_names_cover_the_blocks_in_order():
    assert DESCRIPTOR_NAMES["signal-descriptors-peripheral"] == BLOCKS["ecg"] + BLOCKS["eda"] + BLOCKS["rsp"]
    assert len(DESCRIPTOR_NAMES["signal-descriptors-eeg"]) == 8


def test_the_models_give_their_named_vectors_and_a_bad_recording_its_own_error(
    recordings, eeg, offline_model_pool, tmp_path
):
    from emoeval.context import ScoringContext

    recording = recordings["arousal"][1]
    good = write_npz(tmp_path / "good.npz", recording.data, RATE, recording.channels, recording.types)
    flat = write_npz(tmp_path / "flat.npz", np.zeros((3, 30 * RATE)), RATE, recording.channels, recording.types)
    brain = write_npz(tmp_path / "eeg.npz", eeg["rest"].data, RATE, eeg["rest"].channels, eeg["rest"].types)
    context = ScoringContext(offline_model_pool, None)
    vector, error = context.outputs("signal-descriptors-peripheral", [good, flat])
    found = {**block_descriptors(recording, "ecg"), **block_descriptors(recording, "eda")}
    found |= block_descriptors(recording, "rsp")
    names = DESCRIPTOR_NAMES["signal-descriptors-peripheral"]
    np.testing.assert_allclose(vector, [found[name] for name in names], rtol=1e-12)
    assert vector.dtype == np.float64 and np.isfinite(vector).all()
    # the recording's own reason, not a batch failure wrapped around it
    assert isinstance(error, SampleInputError)
    # refused when the file is read (emoeval.media.signal_quality), before any descriptor is computed
    assert str(error).startswith(f"{Path(flat)}: channel ECG (ecg) is flat for 30.00 s from 0.00 s")
    (eeg_vector,) = context.outputs("signal-descriptors-eeg", [brain])
    assert eeg_vector.shape == (len(DESCRIPTOR_NAMES["signal-descriptors-eeg"]),)
    (missing,) = context.outputs("signal-descriptors-eeg", [good])
    assert isinstance(missing, SampleInputError) and "no eeg channel (channels: ECG=ecg, EDA=eda, RSP=rsp)" in str(
        missing
    )
    assert "Descriptors need beats" not in str(missing)  # the hint is for outputs without beats, not this


def test_a_beatless_output_is_an_error_that_names_the_metrics_that_can_judge_it(
    recordings, offline_model_pool, tmp_path
):
    from emoeval.context import ScoringContext

    smoothed = distort(recordings["rest"][0], "smoothed")
    path = write_npz(tmp_path / "smoothed.npz", smoothed.data, RATE, smoothed.channels, smoothed.types)
    (error,) = ScoringContext(offline_model_pool, None).outputs("signal-descriptors-ecg", [path])
    assert isinstance(error, SampleInputError)
    assert "fewer than 4 R peaks detected; is this an ECG channel? Descriptors need" in str(error)
    assert "signal_plausibility counts such an output as implausible" in str(error)
    assert "signal_fd(embedder=signal-spectrum)" in str(error)
