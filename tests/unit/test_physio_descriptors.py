"""Physiological descriptors (emoeval.functional.physio, reference_models.signal_descriptors) against direct
neurokit2 and scipy calls, on simulated recordings (emoeval.simulated_signals: simulated, not real data)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as scipy_signal

from emoeval.errors import SampleInputError
from emoeval.functional import physio
from emoeval.media.signal import Signal
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


def test_ecg_descriptors_equal_neurokit2_called_directly(recordings):
    ecg = recordings["rest"][0].of_type("ecg")[0]
    signals, info = nk.ecg_process(ecg, sampling_rate=RATE)
    peaks = np.asarray(info["ECG_R_Peaks"])
    direct_time = nk.hrv_time({"ECG_R_Peaks": peaks}, sampling_rate=RATE)
    direct_frequency = nk.hrv_frequency({"ECG_R_Peaks": peaks}, sampling_rate=RATE)
    ours = physio.ecg_descriptors(ecg, RATE)
    assert ours["heart_rate"] == pytest.approx(60.0 / np.mean(np.diff(peaks) / RATE), rel=1e-12)
    assert ours["heart_rate"] == pytest.approx(signals["ECG_Rate"].mean(), rel=0.02)  # nk's interpolated rate
    assert ours["rmssd"] == pytest.approx(float(direct_time["HRV_RMSSD"].iloc[0]), rel=1e-12)
    assert ours["sdnn"] == pytest.approx(float(direct_time["HRV_SDNN"].iloc[0]), rel=1e-12)
    assert ours["lf_hf"] == pytest.approx(float(direct_frequency["HRV_LFHF"].iloc[0]), rel=1e-12)
    rr = np.diff(peaks) / RATE * 1000
    assert ours["rmssd"] == pytest.approx(np.sqrt(np.mean(np.diff(rr) ** 2)), rel=1e-9)  # the textbook formula
    assert 0.9 < ours["beat_consistency"] <= 1.0


def test_eda_and_respiration_descriptors_equal_neurokit2_called_directly(recordings):
    recording = recordings["arousal"][0]
    eda, rsp = recording.of_type("eda")[0], recording.of_type("rsp")[0]
    eda_signals, eda_info = nk.eda_process(eda, sampling_rate=RATE)
    rsp_signals, _ = nk.rsp_process(rsp, sampling_rate=RATE)
    ours = {**physio.eda_descriptors(eda, RATE), **physio.rsp_descriptors(rsp, RATE)}
    assert ours["eda_tonic"] == pytest.approx(eda_signals["EDA_Tonic"].mean(), rel=1e-12)
    assert ours["scr_rate"] == pytest.approx(len(eda_info["SCR_Peaks"]) / (len(eda) / RATE / 60), rel=1e-12)
    amplitudes = np.asarray(eda_info["SCR_Amplitude"], dtype=float)
    assert ours["scr_amplitude"] == pytest.approx(np.nanmean(amplitudes), rel=1e-12)
    assert ours["rsp_rate"] == pytest.approx(rsp_signals["RSP_Rate"].mean(), rel=1e-12)
    assert ours["rsp_amplitude"] == pytest.approx(rsp_signals["RSP_Amplitude"].mean(), rel=1e-12)


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


def test_eeg_rest_has_more_alpha_and_positive_frontal_asymmetry(eeg):
    rest, arousal = block_descriptors(eeg["rest"], "eeg"), block_descriptors(eeg["arousal"], "eeg")
    assert rest["alpha_rel"] > 2 * arousal["alpha_rel"]
    assert rest["beta_rel"] < arousal["beta_rel"]
    assert rest["frontal_alpha_asymmetry"] > 0.3 > abs(arousal["frontal_alpha_asymmetry"])


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_aperiodic_slope_recovers_the_exponent_of_power_law_noise(beta):
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


def test_descriptor_names_cover_the_blocks_in_order():
    assert DESCRIPTOR_NAMES["signal-descriptors-peripheral"] == BLOCKS["ecg"] + BLOCKS["eda"] + BLOCKS["rsp"]
    assert len(DESCRIPTOR_NAMES["signal-descriptors-eeg"]) == 8
