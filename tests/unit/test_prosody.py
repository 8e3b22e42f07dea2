"""Prosody distance, MCD and descriptors: DTW against brute force, every number against a direct computation."""

from __future__ import annotations

import functools
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

import emoeval
from emoeval.errors import SampleInputError
from emoeval.media.audio import Audio, load_audio
from emoeval.metrics.speech._dtw import accumulated_cost, dtw, euclidean_cost
from emoeval.metrics.speech.prosody import (
    MCD_SCALE,
    SpeechMCD,
    SpeechProsodyDescriptors,
    SpeechProsodyDistance,
    align,
    alignment,
    extract_features,
    f0_errors,
    mcep_alpha,
    mcep_order,
    mel_cepstral_distortion,
    pauses,
    prosody_descriptors,
    prosody_distance,
    syllable_nuclei,
    voicing_errors,
)
from emoeval.samples import Sample

RATE = 16000


# -- DTW -----------------------------------------------------------------------------------------------------------


def _brute_force_dtw(cost: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """Every monotone path from (0, 0) to the corner with steps (1,0), (0,1), (1,1); the cheapest one."""
    n, m = cost.shape

    @functools.cache
    def paths(i: int, j: int) -> list[tuple[tuple[int, int], ...]]:
        if (i, j) == (0, 0):
            return [((0, 0),)]
        found = []
        for di, dj in ((1, 0), (0, 1), (1, 1)):
            if i - di >= 0 and j - dj >= 0:
                found += [(*p, (i, j)) for p in paths(i - di, j - dj)]
        return found

    scored = sorted((sum(cost[c] for c in p), p) for p in paths(n - 1, m - 1))
    assert len(scored) < 2 or scored[1][0] - scored[0][0] > 1e-9  # the optimum is unique
    return float(scored[0][0]), list(scored[0][1])


def _recursive_cost(cost: np.ndarray) -> float:
    """The textbook recursion D(i, j) = C(i, j) + min(D(i−1, j), D(i, j−1), D(i−1, j−1))."""

    @functools.cache
    def d(i: int, j: int) -> float:
        if i < 0 or j < 0:
            return math.inf
        if i == 0 and j == 0:
            return float(cost[0, 0])
        return float(cost[i, j]) + min(d(i - 1, j), d(i, j - 1), d(i - 1, j - 1))

    return d(cost.shape[0] - 1, cost.shape[1] - 1)


def test_dtw_matches_brute_force_on_short_random_sequences():
    rng = np.random.default_rng(0)
    for n, m in itertools.product(range(1, 7), range(1, 7)):
        x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
        cost = euclidean_cost(x, y)
        total, path = dtw(cost)
        expected_total, expected_path = _brute_force_dtw(cost)
        assert total == pytest.approx(expected_total, abs=1e-12)
        assert [tuple(p) for p in path.tolist()] == expected_path
        assert total == pytest.approx(_recursive_cost(cost), abs=1e-12)


def test_accumulated_cost_matches_the_recursion_and_librosa_on_longer_sequences():
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(1)
    for n, m in ((40, 55), (73, 31), (1, 20)):
        cost = np.abs(rng.normal(size=(n, m)))
        ours = accumulated_cost(cost)
        reference, path = librosa.sequence.dtw(C=cost, backtrack=True)
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
        assert ours[-1, -1] == pytest.approx(_recursive_cost(cost), rel=1e-12)
        assert dtw(cost)[1].tolist() == path[::-1].tolist()


def test_dtw_rejects_empty_and_non_finite_costs():
    with pytest.raises(ValueError, match="non-empty"):
        dtw(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        dtw(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="dimensions differ"):
        euclidean_cost(np.zeros((2, 3)), np.zeros((2, 4)))


# -- MCD -----------------------------------------------------------------------------------------------------------


def test_mcd_hand_computed_example():
    # columns: c0 (ignored), c1, c2. Local costs over (c1, c2): [[0, 5], [5, 0], [10, 5]].
    out = np.array([[9.0, 0.0, 0.0], [1.0, 3.0, 4.0], [7.0, 6.0, 8.0]])
    ref = np.array([[0.0, 0.0, 0.0], [2.0, 3.0, 4.0]])
    path = align(out, ref)
    assert path.tolist() == [[0, 0], [1, 1], [2, 1]]  # total 0 + 0 + 5, the only path of cost 5
    # (10/ln10)·sqrt(2·25) for the last pair, 0 for the others, mean over 3 pairs
    expected = (10 / math.log(10)) * math.sqrt(2 * 25) / 3
    assert mel_cepstral_distortion(out[:, 1:], ref[:, 1:], path) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(10.2365, abs=1e-4)


def test_mcd_closed_form_for_a_constant_offset_and_zero_for_identity():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(60, 25))
    for coefficient, delta in ((1, 0.3), (7, -0.05), (24, 1.2)):
        output = reference.copy()
        output[:, coefficient] += delta
        path = align(output, reference)
        assert path.tolist() == [[i, i] for i in range(60)]
        value = mel_cepstral_distortion(output[:, 1:], reference[:, 1:], path)
        assert value == pytest.approx(10 / math.log(10) * math.sqrt(2) * abs(delta), abs=1e-12)
    shifted_c0 = reference.copy()
    shifted_c0[:, 0] += 5.0  # a pure level change lives in c0, which MCD excludes
    assert mel_cepstral_distortion(shifted_c0[:, 1:], reference[:, 1:]) == 0.0
    assert math.isclose(MCD_SCALE, 6.141851463713754, rel_tol=1e-12)
    with pytest.raises(ValueError, match="pass a DTW path"):
        mel_cepstral_distortion(reference[:3, 1:], reference[:4, 1:])


def test_mcep_order_and_alpha_by_rate():
    assert [mcep_order(r) for r in (8000, 16000, 22050, 24000, 44100, 48000)] == [13, 23, 34, 34, 39, 39]
    assert [mcep_alpha(r) for r in (16000, 22050, 24000, 44100, 48000)] == [0.41, 0.455, 0.466, 0.544, 0.554]


# -- synthetic speech-like signals ---------------------------------------------------------------------------------


def _harmonic(f0: np.ndarray, amp: float = 0.3) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return amp * sum(np.sin(h * phase) / h for h in range(1, 11)) / 1.5


def _syllable(seconds: float, f0_start: float, f0_end: float) -> np.ndarray:
    n = round(seconds * RATE)
    return _harmonic(np.linspace(f0_start, f0_end, n)) * np.hanning(n)


def _utterance(seed: int = 0) -> np.ndarray:
    """Five syllables 40 ms apart, a 300 ms pause, three more syllables; 200 ms of near-silence around."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(3200)]
    for i in range(5):
        parts += [_syllable(0.15, 140 + 5 * i, 150 + 5 * i), np.zeros(round(0.04 * RATE))]
    parts += [np.zeros(round(0.3 * RATE))]
    for _ in range(3):
        parts += [_syllable(0.15, 180, 170), np.zeros(round(0.04 * RATE))]
    parts += [np.zeros(3200)]
    x = np.concatenate(parts)
    return x + 1e-4 * rng.standard_normal(x.size)


def _audio(x: np.ndarray) -> Audio:
    return Audio(samples=x.astype(np.float32), sample_rate=RATE, original_rate=RATE, original_channels=1)


def _write(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    soundfile.write(path, x, rate, subtype="FLOAT")
    return path


@pytest.mark.parametrize("rate", [16000, 22050])
@pytest.mark.parametrize(("method", "median_cents"), [("world", 2.0), ("harvest", 2.0), ("pyin", 10.0)])
def test_f0_trackers_follow_a_known_glide(method, median_cents, rate):
    n = rate  # one second, 110 → 220 Hz
    truth = np.geomspace(110.0, 220.0, n)
    phase = 2 * np.pi * np.cumsum(truth) / rate
    x = 0.2 * sum(np.sin(h * phase) / h for h in range(1, 11))
    audio = Audio(samples=x.astype(np.float32), sample_rate=rate, original_rate=rate, original_channels=1)
    features = extract_features(audio, f0_method=method, with_mcep=False)
    times = (features.first_frame + np.arange(features.f0.size)) * features.frame_period_s
    expected = np.interp(times, np.arange(n) / rate, truth)
    voiced = features.voiced
    assert voiced.mean() > 0.95
    errors = 1200 * np.log2(features.f0[voiced] / expected[voiced])
    assert np.median(np.abs(errors)) < median_cents
    assert abs(np.mean(errors)) < median_cents


def test_pyin_frames_are_mapped_to_world_frame_times(monkeypatch):
    import librosa

    from emoeval.metrics.speech import prosody

    def numbered_frames(y, *, sr, hop_length, **kwargs):
        count = 1 + len(y) // hop_length
        return np.arange(count, dtype=float) + 1.0, np.ones(count, dtype=bool), np.ones(count)

    monkeypatch.setattr(librosa, "pyin", numbered_frames)
    # 22050 Hz: a 5 ms WORLD frame is 110.25 samples, the pYIN hop 110; frame j takes pYIN frame round(j·110.25/110)
    f0 = prosody._pyin(np.zeros(3 * 22050), 22050, 601, 60.0, 800.0)
    frames = np.arange(601)
    np.testing.assert_array_equal(f0, np.floor(frames * 110.25 / 110 + 0.5) + 1)
    assert f0[-1] == 602.0  # not 601: the quarter-sample drift per frame adds up to more than a frame by 3 s
    np.testing.assert_array_equal(prosody._pyin(np.zeros(16000), 16000, 201, 60.0, 800.0), np.arange(201) + 1.0)


def test_pauses_and_syllable_nuclei_of_a_synthetic_utterance():
    features = extract_features(_audio(_utterance()), with_mcep=False)
    assert features.duration_s == pytest.approx(8 * 0.15 + 7 * 0.04 + 0.3, abs=0.03)
    found = pauses(features.active)
    assert len(found) == 1 and found[0] == pytest.approx(0.3, abs=0.05)  # the 40 ms gaps are not pauses
    assert syllable_nuclei(features.energy_db, features.voiced, features.active).size == 8
    descriptors = prosody_descriptors(features)
    assert descriptors["speaking_rate"] == pytest.approx(8 / features.duration_s)
    assert descriptors["pause_count"] == 1.0
    assert descriptors["pause_ratio"] == pytest.approx(found[0] / features.duration_s)
    assert pauses(features.active, min_pause_s=0.4) == []


def test_descriptors_against_numpy_on_the_same_track():
    features = extract_features(_audio(_utterance()), with_mcep=False)
    values = prosody_descriptors(features)
    f0 = features.f0[features.f0 > 0]
    semitones = 12 * np.log2(f0)
    assert values["f0_mean_hz"] == pytest.approx(f0.mean())
    assert values["f0_median_hz"] == pytest.approx(np.median(f0))
    assert values["f0_sd_semitones"] == pytest.approx(np.std(semitones))
    assert values["f0_range_semitones"] == pytest.approx(np.percentile(semitones, 95) - np.percentile(semitones, 5))
    assert values["voiced_fraction"] == pytest.approx(f0.size / features.f0.size)
    active_energy = features.energy_db[features.active]
    assert values["energy_mean_db"] == pytest.approx(active_energy.mean())
    assert values["energy_sd_db"] == pytest.approx(active_energy.std())
    assert 140 < values["f0_median_hz"] < 180


# -- F0, voicing and energy errors against direct computations on real speech ---------------------------------------


def _direct_world_f0(x: np.ndarray) -> np.ndarray:
    import pyworld

    signal = x.astype(np.float64)
    f0, times = pyworld.dio(signal, RATE, f0_floor=60.0, f0_ceil=800.0, frame_period=5.0)
    return pyworld.stonemask(signal, f0, times, RATE)


def test_f0_errors_match_a_direct_computation_on_pyworld_tracks(demo_dir):
    from scipy.stats import pearsonr

    folder = demo_dir / "speech" / "13_Happy"
    out_audio = load_audio(folder / "emo-stargan.wav", target_rate=RATE)
    ref_audio = load_audio(folder / "source.wav", target_rate=RATE)
    out, ref = extract_features(out_audio), extract_features(ref_audio)
    # the metric's tracks are pyworld's DIO + StoneMask tracks, cut to the speech span
    direct_out = _direct_world_f0(out_audio.samples)[out.first_frame : out.first_frame + out.f0.size]
    direct_ref = _direct_world_f0(ref_audio.samples)[ref.first_frame : ref.first_frame + ref.f0.size]
    np.testing.assert_array_equal(out.f0, direct_out)
    np.testing.assert_array_equal(ref.f0, direct_ref)

    path = align(out.mcep, ref.mcep)
    pairs = [(direct_out[i], direct_ref[j]) for i, j in path.tolist() if direct_out[i] > 0 and direct_ref[j] > 0]
    assert len(pairs) > 50
    hz = math.sqrt(sum((a - b) ** 2 for a, b in pairs) / len(pairs))
    cents = math.sqrt(sum((1200 * math.log2(a / b)) ** 2 for a, b in pairs) / len(pairs))
    correlation = pearsonr([math.log(a) for a, _ in pairs], [math.log(b) for _, b in pairs]).statistic

    errors = f0_errors(out.f0, ref.f0, path)
    assert errors["voiced_pairs"] == len(pairs)
    assert errors["f0_rmse_hz"] == pytest.approx(hz, rel=1e-12)
    assert errors["f0_rmse_cents"] == pytest.approx(cents, rel=1e-12)
    assert errors["logf0_corr"] == pytest.approx(correlation, abs=1e-12)

    decisions = [(direct_out[i] > 0, direct_ref[j] > 0) for i, j in path.tolist()]
    tp = sum(a and b for a, b in decisions)
    fp = sum(a and not b for a, b in decisions)
    fn = sum(b and not a for a, b in decisions)
    voicing = voicing_errors(out.voiced, ref.voiced, path)
    assert voicing["vuv_error"] == pytest.approx((fp + fn) / len(decisions))
    assert voicing["voicing_f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))

    # energy: contours relative to their active-frame means, over pairs active in both
    values = prosody_distance(out, ref, path)
    both = [(i, j) for i, j in path.tolist() if out.active[i] and ref.active[j]]
    mean_out, mean_ref = out.energy_db[out.active].mean(), ref.energy_db[ref.active].mean()
    diffs = [(out.energy_db[i] - mean_out) - (ref.energy_db[j] - mean_ref) for i, j in both]
    assert values["energy_rmse_db"] == pytest.approx(math.sqrt(np.mean(np.square(diffs))), rel=1e-12)
    energy_r = pearsonr([out.energy_db[i] for i, _ in both], [ref.energy_db[j] for _, j in both]).statistic
    assert values["energy_corr"] == pytest.approx(energy_r, abs=1e-12)
    assert values["duration_ratio"] == pytest.approx(out.f0.size / ref.f0.size)
    # same sentence converted to another voice: a positive but imperfect F0 correlation
    assert 0.3 < values["logf0_corr"] < 1.0 and values["f0_rmse_cents"] > 50


# -- the metrics through emoeval.score -----------------------------------------------------------------------------


def _score(rows: list[dict], metrics: list[str]):
    frame = pd.DataFrame(rows).assign(modality="speech")
    frame[["path", "reference"]] = frame[["path", "reference"]].astype(str)
    return emoeval.score(frame, metrics=metrics, progress=False)


def _values(results, metric: str) -> dict[str, dict[str, float]]:
    rows = results.samples()
    rows = rows[rows.metric == metric]
    return {sid: dict(zip(g.sub_metric, g.value, strict=True)) for sid, g in rows.groupby("sample_id")}


def test_identical_recordings_give_zero_distances_and_unit_correlations(demo_dir):
    source = demo_dir / "speech" / "5_Neutral" / "source.wav"
    results = _score(
        [{"sample_id": "self", "system": "s", "path": source, "reference": source}],
        ["speech_prosody_distance", "speech_mcd"],
    )
    assert results.errors().empty
    values = _values(results, "speech_prosody_distance")["self"]
    for name in ("f0_rmse_cents", "f0_rmse_hz", "vuv_error", "energy_rmse_db", "level_difference_db"):
        assert values[name] == 0.0, name
    for name in ("logf0_corr", "voicing_f1", "energy_corr", "duration_ratio"):
        assert values[name] == pytest.approx(1.0, abs=1e-12), name
    for name in ("speaking_rate_difference", "pause_count_difference", "pause_duration_difference_s"):
        assert values[name] == 0.0, name
    assert _values(results, "speech_mcd")["self"] == {"mcd_db": 0.0}


def test_gain_and_whole_frame_shift_change_only_the_level(tmp_path, demo_dir):
    x, rate = soundfile.read(demo_dir / "speech" / "1_Sad" / "source.wav")
    assert rate == RATE
    copy = _write(tmp_path / "quieter_later.wav", np.concatenate([np.zeros(160), 0.5 * x]))  # −6.02 dB, 10 ms
    results = _score(
        [{"sample_id": "copy", "system": "s", "path": copy, "reference": demo_dir / "speech" / "1_Sad" / "source.wav"}],
        ["speech_prosody_distance", "speech_mcd"],
    )
    values = _values(results, "speech_prosody_distance")["copy"]
    assert values["level_difference_db"] == pytest.approx(20 * math.log10(0.5), abs=1e-4)
    assert values["f0_rmse_cents"] == pytest.approx(0.0, abs=1e-6)
    assert values["energy_rmse_db"] == pytest.approx(0.0, abs=1e-4)
    assert values["duration_ratio"] == 1.0
    assert _values(results, "speech_mcd")["copy"]["mcd_db"] == pytest.approx(0.0, abs=1e-4)  # float32 round-off


def test_bad_references_and_outputs_are_per_sample_errors(tmp_path, demo_dir):
    good = demo_dir / "speech" / "9_Surprise" / "source.wav"
    silent = _write(tmp_path / "silent.wav", np.zeros(RATE))
    noise_only = _write(tmp_path / "click.wav", np.concatenate([np.zeros(RATE), 0.5 * np.ones(10), np.zeros(RATE)]))
    rows = [
        {"sample_id": "ok", "system": "s", "path": good, "reference": good},
        {"sample_id": "silent_ref", "system": "s", "path": good, "reference": silent},
        {"sample_id": "missing_ref", "system": "s", "path": good, "reference": tmp_path / "gone.wav"},
        {"sample_id": "missing_out", "system": "s", "path": tmp_path / "gone.wav", "reference": good},
        {"sample_id": "click_out", "system": "s", "path": noise_only, "reference": good},
    ]
    results = _score(rows, ["speech_prosody_distance", "speech_mcd"])
    errors = results.errors()
    for metric in ("speech_prosody_distance", "speech_mcd"):
        by_sample = errors[errors.metric == metric].set_index("sample_id").error
        assert by_sample["silent_ref"].startswith("reference: ") and "silent" in by_sample["silent_ref"]
        assert "reference: file not found" in by_sample["missing_ref"]
        assert by_sample["missing_out"].startswith("file not found")
        assert "ms of speech found" in by_sample["click_out"]
        assert "ok" not in by_sample.index
    assert _values(results, "speech_mcd")["ok"]["mcd_db"] == 0.0


def test_resampled_and_clipped_inputs_are_noted_in_the_warning_column(tmp_path, demo_dir):
    x, _ = soundfile.read(demo_dir / "speech" / "17_Angry" / "source.wav")
    loud = _write(tmp_path / "loud.wav", np.clip(4.0 * x, -1.0, 1.0))
    reference = demo_dir / "speech" / "17_Angry" / "emo-stargan.wav"  # 24 kHz
    results = _score([{"sample_id": "a", "system": "s", "path": loud, "reference": reference}], ["speech_mcd"])
    (warning,) = results.samples().warning
    assert "loud.wav: clipped" in warning
    assert "resampled to 16000 Hz for analysis (output 16000 Hz, reference 24000 Hz)" in warning


def test_descriptors_need_no_reference_and_pyin_is_selectable(tmp_path):
    path = _write(tmp_path / "utt.wav", _utterance())
    samples = [Sample(sample_id="u", system="s", modality="speech", path=path)]
    world = SpeechProsodyDescriptors().score(samples, None)[0]
    pyin = SpeechProsodyDescriptors(f0_method="pyin").score(samples, None)[0]
    assert world.error is None and pyin.error is None and world.warning is None
    assert world.values["pause_count"] == pyin.values["pause_count"] == 1.0
    assert abs(1200 * math.log2(world.values["f0_median_hz"] / pyin.values["f0_median_hz"])) < 50
    assert world.values["loudness_lufs"] < 0
    assert SpeechProsodyDescriptors.spec.needs == frozenset()
    assert all(output.higher_is_better is None for output in SpeechProsodyDescriptors.spec.outputs)


def test_unvoiced_output_leaves_f0_values_out_with_a_warning(tmp_path):
    rng = np.random.default_rng(5)
    whisper = np.concatenate([np.zeros(3200), 0.2 * rng.standard_normal(RATE) * np.hanning(RATE), np.zeros(3200)])
    out = _write(tmp_path / "noise.wav", whisper)
    ref = _write(tmp_path / "voiced.wav", _utterance())
    sample = Sample(sample_id="n", system="s", modality="speech", path=out, reference=ref)
    score = SpeechProsodyDistance().score([sample], None)[0]
    assert score.error is None
    assert "f0_rmse_cents" not in score.values and "vuv_error" in score.values
    assert "no frame pair voiced in both" in score.warning


def test_parameters_are_validated_and_reported():
    with pytest.raises(ValueError, match="unknown f0_method 'crepe'"):
        SpeechProsodyDistance(f0_method="crepe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too low"):
        SpeechMCD(sample_rate=4000)
    assert SpeechMCD(sample_rate=None).params() == {
        "f0_method": "world",
        "sample_rate": None,
        "f0_floor": 60.0,
        "f0_ceil": 800.0,
        "min_pause_s": 0.1,
    }


def test_native_rate_analysis_uses_the_rate_table(tmp_path, demo_dir):
    output = demo_dir / "speech" / "13_Happy" / "baseline.wav"  # 24 kHz
    sample = Sample(sample_id="b", system="s", modality="speech", path=output, reference=output)
    features = extract_features(load_audio(output))
    assert features.mcep.shape[1] == mcep_order(24000) + 1 == 35
    score = SpeechMCD(sample_rate=None).score([sample], None)[0]
    assert score.values == {"mcd_db": 0.0} and score.warning is None


# -- recordings without speech (issue 13, item 10) ----------------------------------------------------------------


def test_steady_noise_and_hiss_are_no_speech_errors_for_every_metric_and_side(tmp_path, demo_dir):
    # before the fix an all-inactive voice-activity mask was read as speech from frame 0 to the end
    # (np.argmax of an all-False mask is 0): this noise got an MCD of 16.4 dB against the real recording, no warning
    real = demo_dir / "speech" / "5_Neutral" / "source.wav"
    rng = np.random.default_rng(13)
    noise = _write(tmp_path / "white_noise.wav", 0.1 * rng.standard_normal(2 * RATE))  # 2 s, −20 dBFS RMS
    hiss = _write(tmp_path / "hiss.wav", 8e-4 * rng.standard_normal(2 * RATE))  # peak ≈ −50 dBFS: not "silent"
    # a steady voiced sound without silence has no energy dynamics either, but is voiced throughout: still analysed
    hum = _write(tmp_path / "hum.wav", _harmonic(np.geomspace(110.0, 220.0, RATE), amp=0.2))
    rows = [
        {"sample_id": "noise_out", "system": "s", "path": noise, "reference": real},
        {"sample_id": "noise_ref", "system": "s", "path": real, "reference": noise},
        {"sample_id": "hiss_out", "system": "s", "path": hiss, "reference": real},
        {"sample_id": "hiss_ref", "system": "s", "path": real, "reference": hiss},
        {"sample_id": "ok", "system": "s", "path": real, "reference": real},
        {"sample_id": "hum", "system": "s", "path": hum, "reference": hum},
    ]
    metrics = ["speech_prosody_distance", "speech_mcd", "speech_prosody_descriptors"]
    results = _score(rows, metrics)
    errors = results.errors()
    for metric in metrics:
        by_sample = errors[errors.metric == metric].set_index("sample_id").error
        for name, file in (("noise", noise), ("hiss", hiss)):
            message = by_sample[f"{name}_out"]
            assert message.startswith(f"no speech detected in {file}: no frame's energy rises 12 dB"), message
            assert "of frames voiced (world F0; a steady voiced sound needs 80%)" in message
            if metric != "speech_prosody_descriptors":  # the descriptors read only the output
                assert by_sample[f"{name}_ref"] == f"reference: {message}"
        assert "ok" not in by_sample.index and "hum" not in by_sample.index
    values = results.samples()
    assert values[values.sample_id.isin(["ok", "hum"])].error.isna().all()
    hum_rows = values[values.sample_id == "hum"]
    assert hum_rows.warning.str.contains(
        "hum.wav: no energy dynamics .* but 100% of frames voiced: analysed whole"
    ).all()
    assert _values(results, "speech_mcd")["hum"] == {"mcd_db": 0.0}
    descriptors = _values(results, "speech_prosody_descriptors")["hum"]
    assert descriptors["speech_duration_s"] == pytest.approx(1.0, abs=0.01) and descriptors["pause_count"] == 0.0


def test_no_speech_is_detected_by_extract_features_with_the_levels_it_saw():
    import re

    from emoeval.media.audio import frame_energy_db

    rng = np.random.default_rng(0)
    noise = 0.1 * rng.standard_normal(2 * RATE)  # −20 dB re full scale
    with pytest.raises(SampleInputError, match=r"^no speech detected in noise\.wav: ") as raised:
        extract_features(_audio(noise), name="noise.wav")
    loudest, floor = (
        float(v) for v in re.search(r"loudest frame (\S+) dB, floor (\S+) dB", str(raised.value)).groups()
    )
    # the levels it reports: the maximum and 2nd percentile of the 25 ms frame energies at WORLD's frame times
    energy = frame_energy_db(noise.astype(np.float32).astype(np.float64), RATE, n_frames=2 * RATE // 80 + 1)
    assert loudest == pytest.approx(np.max(energy), abs=0.05)
    assert floor == pytest.approx(np.percentile(energy, 2), abs=0.05)
    assert -22 < floor < loudest < -18 and loudest - floor < 12
    voiced = float(np.mean(_direct_world_f0(noise.astype(np.float32)) > 0))  # DIO + StoneMask, straight from pyworld
    assert voiced < 0.8 and f"and only {voiced:.0%} of frames voiced (world F0" in str(raised.value)
    # a real utterance in the same noise 30 dB down is still found
    features = extract_features(_audio(_utterance() + 3e-3 * rng.standard_normal(_utterance().size)), with_mcep=False)
    assert features.duration_s == pytest.approx(8 * 0.15 + 7 * 0.04 + 0.3, abs=0.05)


# -- alignment of long recordings (issue 13, item 7) --------------------------------------------------------------


def test_short_clips_keep_exact_dtw_so_their_values_are_unchanged(demo_dir):
    # every demo pair is far below the exact-DTW limit: the path is librosa's unconstrained DTW path and the metric's
    # MCD is the mean over exactly that path (the value before the band existed)
    librosa = pytest.importorskip("librosa")
    folders = sorted(p for p in (demo_dir / "speech").iterdir() if p.is_dir())
    samples, expected = [], {}
    for folder in folders:
        ref = extract_features(load_audio(folder / "source.wav", target_rate=RATE))
        for system in ("baseline", "emo-stargan"):
            out = extract_features(load_audio(folder / f"{system}.wav", target_rate=RATE))
            cost = euclidean_cost(out.mcep[:, 1:], ref.mcep[:, 1:])
            _, reference_path = librosa.sequence.dtw(C=cost, backtrack=True)
            reference_path = reference_path[::-1]
            aligned = alignment(out.mcep, ref.mcep)
            assert aligned.radius is None
            np.testing.assert_array_equal(aligned.path, reference_path)
            np.testing.assert_array_equal(align(out.mcep, ref.mcep), dtw(cost)[1])
            sample_id = f"{folder.name}/{system}"
            expected[sample_id] = mel_cepstral_distortion(out.mcep[:, 1:], ref.mcep[:, 1:], reference_path)
            samples.append(
                Sample(
                    sample_id=sample_id,
                    system=system,
                    modality="speech",
                    path=folder / f"{system}.wav",
                    reference=folder / "source.wav",
                )
            )
    scores = SpeechMCD().score(samples, None)
    assert {s.sample_id: score.values["mcd_db"] for s, score in zip(samples, scores, strict=True)} == expected
    assert all(score.warning is None or "Sakoe" not in score.warning for score in scores)


def test_a_banded_alignment_is_noted_and_too_long_recordings_are_per_sample_errors(monkeypatch, demo_dir):
    from emoeval.metrics.speech import _dtw

    folder = demo_dir / "speech" / "1_Sad"
    sample = Sample(
        sample_id="b", system="s", modality="speech", path=folder / "emo-stargan.wav", reference=folder / "source.wav"
    )
    out = extract_features(load_audio(sample.path, target_rate=RATE))
    ref = extract_features(load_audio(sample.reference, target_rate=RATE))
    n, m = out.f0.size, ref.f0.size
    exact = SpeechMCD().score([sample], None)[0]

    monkeypatch.setattr(_dtw, "EXACT_MAX_CELLS", 1000)  # as if these were two long recordings
    radius = math.ceil(0.1 * max(n, m))
    _, banded_path = _dtw.banded_dtw(out.mcep[:, 1:], ref.mcep[:, 1:], radius)
    for metric in (SpeechMCD(), SpeechProsodyDistance()):
        score = metric.score([sample], None)[0]
        assert score.error is None
        assert f"aligned within a Sakoe–Chiba band of ±{radius} frames" in score.warning
        assert f"({n} × {m} frame pairs, above the 0.001 million of exact DTW)" in score.warning
    banded = SpeechMCD().score([sample], None)[0].values["mcd_db"]
    assert banded == mel_cepstral_distortion(out.mcep[:, 1:], ref.mcep[:, 1:], banded_path)
    assert banded == pytest.approx(exact.values["mcd_db"], abs=0.3)  # a 10 % band barely binds on one sentence

    monkeypatch.setattr(_dtw, "MAX_BAND_CELLS", 1000)
    for metric in (SpeechMCD(), SpeechProsodyDistance()):
        score = metric.score([sample], None)[0]
        assert score.values == {}
        assert score.error.startswith(f"{sample.path} against reference {sample.reference}: speech spans of ")
        assert "too long to align" in score.error and "raise emoeval.metrics.speech._dtw.MAX_BAND_CELLS" in score.error
