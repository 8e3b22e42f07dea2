"""Audio loading: bad inputs, clipping, the audioread fallback, down-mix, resampling and loudness statistics."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
import soundfile

from emoeval.errors import SampleInputError
from emoeval.media import audio as audio_module
from emoeval.media.audio import (
    clipped_runs,
    decode_audio,
    frame_energy_db,
    integrated_loudness,
    k_weighting,
    load_audio,
    loudness_stats,
    resampling_note,
    speech_activity,
)


def _wav(samples: np.ndarray, rate: int, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, subtype=subtype, format=fmt)
    return buffer.getvalue()


def _tone(rate: int = 16000, seconds: float = 1.0, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


# -- bad inputs stay errors, naming the file and the fix -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"this is not audio at all" * 20, "not a readable audio file"),
        (_wav(_tone(seconds=0.05), 16000), "too short"),
        (_wav(np.zeros(16000), 16000), "silent"),
        (_wav(_tone(amp=1e-4), 16000), "silent"),  # peak −80 dBFS
        (_wav(np.where(np.arange(16000) == 500, np.nan, _tone()), 16000, subtype="FLOAT"), "NaN or infinite"),
        (_wav(np.where(np.arange(16000) == 9, np.inf, _tone()), 16000, subtype="DOUBLE"), "NaN or infinite"),
    ],
)
def test_unusable_recordings_raise_sample_input_errors_naming_the_file(data, message):
    with pytest.raises(SampleInputError, match=message) as raised:
        decode_audio(data, "gen/utt01.wav")
    assert str(raised.value).startswith("gen/utt01.wav: ")


def test_unreadable_file_error_gives_both_decoders_reasons_and_the_fix():
    with pytest.raises(SampleInputError) as raised:
        decode_audio(b"RIFF....WAVEjunk" * 40, "out.wav")
    text = str(raised.value)
    assert "soundfile:" in text and "fallback audioread:" in text and "save it as WAV or FLAC" in text


def test_missing_file_and_folder_are_errors(tmp_path):
    with pytest.raises(SampleInputError, match=r"file not found: .*nope\.wav; check the path"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(SampleInputError, match="is a folder"):
        load_audio(tmp_path)


# -- clipping is a warning --------------------------------------------------------------------------------------


def _count_runs_by_hand(x: np.ndarray, level: float, min_run: int) -> tuple[int, int]:
    runs = samples = 0
    for hot, group in itertools.groupby(np.abs(x) >= level):
        length = len(list(group))
        if hot and length >= min_run:
            runs += 1
            samples += length
    return runs, samples


def test_clipped_recording_decodes_with_a_warning():
    clipped = np.clip(_tone(amp=1.5, freq=100.0), -1.0, 1.0)
    decoded = decode_audio(_wav(clipped, 16000), "loud.wav")
    assert decoded.samples.size == 16000  # still usable
    expected_runs, expected_samples = _count_runs_by_hand(decoded.samples, 0.999, 3)
    assert expected_runs == 200  # 100 Hz for 1 s: one flat top and one flat bottom per period
    assert clipped_runs(decoded.samples) == (expected_runs, expected_samples)
    (warning,) = decoded.warnings
    assert warning.startswith("loud.wav: clipped: 200 run(s)") and "lower the generator's output gain" in warning


def test_isolated_full_scale_peaks_are_not_clipping():
    x = _tone(amp=0.8)
    x[[100, 5000, 9000]] = [1.0, -1.0, 1.0]  # single samples at full scale, as a peak-normalised file has
    assert decode_audio(_wav(x, 16000), "peaky.wav").warnings == ()


def test_clipping_in_one_channel_is_seen_before_the_down_mix():
    left = np.clip(_tone(amp=2.0, freq=50.0), -1, 1)
    right = -left  # the mean of the channels is silent...
    right[:8000] = 0.3 * _tone(freq=220.0)[:8000]  # ...except in the first half
    decoded = decode_audio(_wav(np.stack([left, right], axis=1), 16000), "stereo.wav")
    assert decoded.original_channels == 2
    assert decoded.warnings and "clipped" in decoded.warnings[0]
    runs, _ = _count_runs_by_hand(left, 0.999, 3)
    assert clipped_runs(np.stack([left, right], axis=1))[0] == runs + _count_runs_by_hand(right, 0.999, 3)[0]


def test_clipped_runs_counts_channels_and_thresholds():
    x = np.array([[1.0, 0.0], [1.0, -1.0], [1.0, -1.0], [0.0, -1.0], [0.999, -1.0]])
    assert clipped_runs(x) == (2, 3 + 4)
    assert clipped_runs(x, min_run=4) == (1, 4)
    assert clipped_runs(x, level=1.0001) == (0, 0)


# -- formats, fallback, down-mix, resampling ----------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "subtype"), [("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_compressed_formats_decode_through_soundfile(fmt, subtype):
    if fmt not in soundfile.available_formats():
        pytest.skip(f"this libsndfile ({soundfile.__libsndfile_version__}) cannot write {fmt}")
    x = _tone(rate=16000, seconds=1.0, freq=300.0, amp=0.4)
    decoded = decode_audio(_wav(x, 16000, subtype=subtype, fmt=fmt), f"clip.{fmt.lower()}")
    assert decoded.decoder == "soundfile"
    assert decoded.sample_rate == 16000
    assert abs(decoded.duration_s - 1.0) < 0.08  # MP3 adds encoder padding
    spectrum = np.abs(np.fft.rfft(decoded.samples))
    assert np.fft.rfftfreq(decoded.samples.size, 1 / 16000)[np.argmax(spectrum)] == pytest.approx(300.0, abs=2.0)


def test_files_soundfile_cannot_read_go_through_audioread(monkeypatch):
    x = 0.5 * _tone(rate=22050, seconds=0.5)
    data = _wav(x, 22050)
    direct = decode_audio(data, "a.wav")

    def refuse(*args, **kwargs):
        raise soundfile.LibsndfileError(0, "Format not recognised (as an old libsndfile says of MP3).")

    monkeypatch.setattr(soundfile, "read", refuse)
    fallback = decode_audio(data, "a.wav", target_rate=16000)
    assert fallback.decoder == "audioread"
    assert (fallback.original_rate, fallback.sample_rate, fallback.original_channels) == (22050, 16000, 1)
    unresampled = decode_audio(data, "a.wav")
    np.testing.assert_allclose(unresampled.samples, direct.samples, atol=1.0 / 32768)
    with pytest.raises(SampleInputError, match=r"soundfile: .*Format not recognised.*fallback audioread"):
        decode_audio(b"\x00\x01garbage" * 100, "b.mp3")


def test_stereo_is_averaged_to_mono():
    left, right = _tone(freq=200.0, amp=0.4), _tone(freq=330.0, amp=0.2)
    decoded = decode_audio(_wav(np.stack([left, right], axis=1), 16000, subtype="FLOAT"), "st.wav")
    assert decoded.original_channels == 2
    np.testing.assert_allclose(decoded.samples, ((left + right) / 2).astype(np.float32), atol=1e-7)


@pytest.mark.parametrize(("source", "target"), [(22050, 16000), (16000, 24000), (48000, 16000)])
def test_resampling_keeps_duration_and_pitch(source, target):
    seconds = 1.234
    decoded = decode_audio(_wav(_tone(rate=source, seconds=seconds, freq=440.0), source), "r.wav", target_rate=target)
    assert (decoded.original_rate, decoded.sample_rate) == (source, target)
    assert abs(decoded.duration_s - seconds) <= 1.0 / target + 1.0 / source
    spectrum = np.abs(np.fft.rfft(decoded.samples * np.hanning(decoded.samples.size)))
    peak = np.fft.rfftfreq(decoded.samples.size, 1 / target)[np.argmax(spectrum)]
    assert peak == pytest.approx(440.0, abs=1.0)
    assert resampling_note(target, output=source) == f"resampled to {target} Hz for the model (output {source} Hz)"


# -- loudness -----------------------------------------------------------------------------------------------------


def test_k_weighting_at_48k_reproduces_the_bs1770_tables():
    (shelf_b, shelf_a), (high_b, high_a) = k_weighting(48000)
    # ITU-R BS.1770-4, tables 1 and 2
    np.testing.assert_allclose(shelf_b, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-10)
    np.testing.assert_allclose(shelf_a, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-10)
    np.testing.assert_allclose(high_b, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(high_a, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-10)


def test_full_scale_997_hz_sine_reads_minus_3_01_lkfs():
    # BS.1770-4: a 0 dBFS 997 Hz sine in one channel measures −3.01 LKFS
    assert integrated_loudness(_tone(rate=48000, seconds=5.0, freq=997.0, amp=1.0), 48000) == pytest.approx(
        -3.01, abs=0.01
    )


@pytest.mark.parametrize("rate", [16000, 22050, 24000, 44100])
def test_integrated_loudness_matches_pyloudnorm(rate, demo_dir):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    speech, file_rate = soundfile.read(demo_dir / "speech" / "5_Neutral" / "source.wav")
    import soxr

    speech = soxr.resample(speech, file_rate, rate, quality="HQ")
    rng = np.random.default_rng(rate)
    gated = np.concatenate([speech, 1e-5 * rng.standard_normal(rate), 0.1 * speech])  # exercises both gates
    for signal in (speech, gated):
        ours = integrated_loudness(signal, rate)
        # the "DeMan" filter class derives the K-weighting exactly as here; blocks are counted alike
        assert ours == pytest.approx(pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(signal), abs=0.02)
        # its default RBJ-cookbook filters approximate the standard's curve less closely
        assert ours == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(signal), abs=0.2)


def test_loudness_stats_against_direct_formulas():
    rate = 16000
    tone = _tone(rate=rate, seconds=1.0, freq=500.0, amp=0.5)
    x = np.concatenate([np.zeros(rate), tone]).astype(np.float32)
    stats = loudness_stats(decode_audio(_wav(x, rate, subtype="FLOAT"), "half.wav"))
    assert stats.peak_dbfs == pytest.approx(20 * math.log10(0.5), abs=1e-4)
    assert stats.rms_dbfs == pytest.approx(10 * math.log10(np.mean(x.astype(np.float64) ** 2)), abs=1e-4)
    # sine power a²/2; the frames straddling the onset count as active at partly lower power
    assert stats.active_rms_dbfs == pytest.approx(10 * math.log10(0.125), abs=0.15)
    assert stats.active_fraction == pytest.approx(0.5, abs=0.02)
    assert stats.loudness_lufs == pytest.approx(integrated_loudness(x, rate))
    assert math.isnan(integrated_loudness(tone[:4000], rate))  # under one 400 ms block


def test_frame_energy_matches_a_loop():
    rng = np.random.default_rng(3)
    x, rate = rng.standard_normal(3000) * 0.1, 16000
    energy = frame_energy_db(x, rate, hop_s=0.005, n_frames=40)
    padded, half = np.pad(x, 1000), 200  # zero-padded beyond both ends, as frame_energy_db documents
    for k in (0, 1, 17, 39):
        centre = k * 80 + 1000
        expected = 10 * math.log10(np.mean(padded[centre - half : centre + half] ** 2) + 1e-10)
        assert energy[k] == pytest.approx(expected, abs=1e-9)


def test_voice_activity_ignores_a_steady_noise_floor():
    rng = np.random.default_rng(1)
    rate = 16000
    speechlike = _tone(rate=rate, seconds=0.5, freq=200.0, amp=0.3)
    noise = 0.3 * 10 ** (-32 / 20) * rng.standard_normal(rate)  # 32 dB under the tone: within the 35 dB band
    x = noise.copy()
    x[4000:12000] += speechlike
    active = speech_activity(frame_energy_db(x, rate, hop_s=0.01))
    assert active[30:70].all() and not active[:20].any() and not active[85:].any()
    assert audio_module.VAD_ABOVE_FLOOR_DB == 12.0
