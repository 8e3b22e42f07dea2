"""Signal file formats (CSV/TSV, Empatica E4, EDF/BDF written by pyEDFlib, MATLAB v5), resampling and channel
selection, and the read-time quality checks — each against what the test wrote or a direct scipy call."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import io as scipy_io
from scipy import signal as scipy_signal

from emoeval.errors import SampleInputError
from emoeval.media.signal import Signal, read_signal, write_npz
from emoeval.media.signal_quality import check_signal, clipped_share, longest_repeat

RATE = 256.0


def _waves(seconds: float = 8.0, rate: float = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(0)
    ecg = np.sin(2 * np.pi * 1.2 * t) ** 15 + 0.01 * rng.normal(size=t.size)
    eda = 2.0 + 0.1 * np.sin(2 * np.pi * 0.05 * t) + 0.001 * rng.normal(size=t.size)
    return np.vstack([ecg, eda])


# -- CSV ----------------------------------------------------------------------------------------------------------


def test_a_csv_with_a_time_column_gives_its_rate_and_named_typed_channels(tmp_path):
    data = _waves()
    t = np.arange(data.shape[1]) / RATE
    rows = zip(t.tolist(), data[0].tolist(), data[1].tolist(), strict=True)
    lines = ["time,ECG,GSR"] + [f"{a!r},{b!r},{c!r}" for a, b, c in rows]
    (tmp_path / "rec.csv").write_text("\n".join(lines))
    found = read_signal(tmp_path / "rec.csv")
    assert found.rate == pytest.approx(RATE) and found.channels == ("ECG", "GSR") and found.types == ("ecg", "eda")
    np.testing.assert_array_equal(found.data, data)
    # a sidecar picks and types columns and gives the rate when there is no time column
    (tmp_path / "b.tsv").write_text(
        "\n".join(["GSR\tX"] + [f"{b!r}\t{a!r}" for a, b in zip(data[0].tolist(), data[1].tolist(), strict=True)])
    )
    (tmp_path / "b.json").write_text(json.dumps({"sampling_rate": RATE, "channels": ["X"], "types": ["ecg"]}))
    picked = read_signal(tmp_path / "b.tsv")
    assert picked.channels == ("X",) and picked.types == ("ecg",)
    np.testing.assert_array_equal(picked.data[0], data[0])


def test_bad_csv_files_name_the_row_the_column_and_the_fix(tmp_path):
    (tmp_path / "text.csv").write_text("time,ECG\n0,1\n0.004,abc\n")
    with pytest.raises(SampleInputError, match=r"row 3, column 'ECG' holds 'abc', not a number"):
        read_signal(tmp_path / "text.csv", check=False)
    (tmp_path / "jitter.csv").write_text("time,ECG\n0,1\n0.004,2\n0.010,3\n")
    with pytest.raises(SampleInputError, match="not uniform"):
        read_signal(tmp_path / "jitter.csv", check=False)
    (tmp_path / "nohead.csv").write_text("1,2\n3,4\n")
    with pytest.raises(SampleInputError, match="starts with a header of channel names"):
        read_signal(tmp_path / "nohead.csv", check=False)
    (tmp_path / "norate.csv").write_text("ECG\n1\n2\n")
    with pytest.raises(SampleInputError, match=r"no sampling rate.*norate\.json"):
        read_signal(tmp_path / "norate.csv", check=False)


def test_an_empatica_e4_export_is_read_from_its_two_row_preamble(tmp_path):
    values = 0.4 + 0.01 * np.sin(np.arange(400) / 10.0)
    (tmp_path / "EDA.csv").write_text("\n".join(["1495437325.000000", "4.000000", *(f"{v:.6f}" for v in values)]))
    found = read_signal(tmp_path / "EDA.csv")
    assert found.rate == 4.0 and found.channels == ("EDA",) and found.types == ("eda",)
    np.testing.assert_allclose(found.data[0], values, atol=5e-7)
    assert "Empatica E4" in found.warnings[0]


# -- EDF / BDF ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".edf", ".bdf"])
def test_edf_and_bdf_files_written_by_pyedflib_read_back_within_their_quantisation(tmp_path, suffix):
    pyedflib = pytest.importorskip(
        "pyedflib", reason="the signal extra is not installed: pip install 'emoeval[signal]'"
    )
    data = _waves(seconds=10)
    respiration = np.sin(2 * np.pi * 0.25 * np.arange(10 * 32) / 32)  # another rate: 32 Hz
    kind = pyedflib.FILETYPE_EDFPLUS if suffix == ".edf" else pyedflib.FILETYPE_BDFPLUS
    digital = 32767 if suffix == ".edf" else 8388607
    headers = []
    for label, rate in (("ECG", RATE), ("EDA", RATE), ("Resp", 32.0)):
        headers.append(
            {
                "label": label,
                "dimension": "uV",
                "sample_frequency": rate,
                "physical_max": 4.0,  # short decimals: EDF headers hold them in 8 ASCII characters
                "physical_min": -4.0,
                "digital_max": digital,
                "digital_min": -digital - 1,
            }
        )
    path = tmp_path / f"rec{suffix}"
    writer = pyedflib.EdfWriter(str(path), 3, file_type=kind)
    writer.setSignalHeaders(headers)
    writer.writeSamples([data[0], data[1], respiration])
    writer.close()
    found = read_signal(path)
    assert found.channels == ("ECG", "EDA", "Resp") and found.types == ("ecg", "eda", "rsp") and found.rate == RATE
    for row, values, header in zip(found.data[:2], data, headers, strict=False):
        step = (header["physical_max"] - header["physical_min"]) / (header["digital_max"] - header["digital_min"])
        np.testing.assert_allclose(row, values, atol=step)
    expected = scipy_signal.resample_poly(respiration, 8, 1)  # 32 → 256 Hz
    np.testing.assert_allclose(found.data[2], expected[: found.data.shape[1]], atol=1e-3)
    assert any("resampled to 256 Hz: Resp" in note for note in found.warnings)


# -- MATLAB -------------------------------------------------------------------------------------------------------


def test_a_mat_file_gives_its_array_rate_and_channel_names_either_way_round(tmp_path):
    data = _waves()
    scipy_io.savemat(
        tmp_path / "rec.mat", {"data": data.T, "fs": RATE, "channels": np.array(["ECG", "EDA"], dtype=object)}
    )
    found = read_signal(tmp_path / "rec.mat")
    assert found.rate == RATE and found.channels == ("ECG", "EDA") and found.types == ("ecg", "eda")
    np.testing.assert_array_equal(found.data, data)
    scipy_io.savemat(tmp_path / "other.mat", {"X": data})
    (tmp_path / "other.json").write_text(
        json.dumps({"variable": "X", "sampling_rate": RATE, "channels": ["ECG", "EDA"]})
    )
    np.testing.assert_array_equal(read_signal(tmp_path / "other.mat").data, data)
    scipy_io.savemat(tmp_path / "missing.mat", {"Y": data})
    with pytest.raises(SampleInputError, match=r"no variable 'data'.*arrays in the file: \['Y'\]"):
        read_signal(tmp_path / "missing.mat")
    (tmp_path / "v73.mat").write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64" + b"\0" * 200)
    with pytest.raises(SampleInputError, match=r"v7\.3 \(HDF5\).*'-v7'"):
        read_signal(tmp_path / "v73.mat")


# -- resampling and selection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [100.0, 1000.0])
def test_resampling_keeps_a_sine_and_equals_scipys_polyphase_filter(target):
    t = np.arange(20 * 250) / 250.0
    original = Signal(np.sin(2 * np.pi * 10 * t)[None, :], 250.0, ("EEG Cz",), ("eeg",))
    moved = original.resampled(target)
    assert moved.rate == target and moved.data.shape[1] == int(20 * target)
    inner = slice(int(target), -int(target))  # a second from each edge (the filter's transient)
    t_new = np.arange(moved.data.shape[1]) / target
    # scipy's default Kaiser (β = 5) anti-aliasing filter has a passband ripple of about 0.15 %
    np.testing.assert_allclose(moved.data[0][inner], np.sin(2 * np.pi * 10 * t_new)[inner], atol=2e-3)
    up, down = (2, 5) if target == 100.0 else (4, 1)
    np.testing.assert_array_equal(moved.data[0], scipy_signal.resample_poly(original.data[0], up, down))
    assert original.resampled(250.0) is original


def test_select_keeps_the_channels_of_the_types_asked_in_file_order():
    data = np.vstack([_waves(), _waves()[:1]])
    recording = Signal(data, RATE, ("ECG", "EDA", "ECG2"), ("ecg", "eda", "ecg"), source="r.npz")
    picked = recording.select(["ecg"])
    assert picked.channels == ("ECG", "ECG2") and np.array_equal(picked.data, data[[0, 2]])
    with pytest.raises(SampleInputError, match=r"r\.npz: no channel of type eeg \(channels: ECG=ecg, EDA=eda"):
        recording.select(["eeg"])


# -- quality checks -----------------------------------------------------------------------------------------------


def _checked(data: np.ndarray, rate: float = RATE, types=("ecg", "eda")) -> Signal:
    return check_signal(Signal(data, rate, ("ECG", "EDA")[: len(types)], tuple(types), source="rec.npz"))


def test_each_quality_check_names_the_channel_and_the_fix():
    good = _waves()
    assert _checked(good).warnings == ()
    with pytest.raises(SampleInputError, match=r"1\.00 s is too short"):
        _checked(good[:, : int(RATE)])
    with pytest.raises(SampleInputError, match=r"channel ECG \(ecg\) is sampled at 64 Hz, below the 100 Hz"):
        _checked(good[:, ::4], rate=64.0)
    gap = good.copy()
    gap[0, 512:768] = np.nan
    with pytest.raises(
        SampleInputError, match=r"channel ECG \(ecg\) has 256 non-finite samples \(longest run 1\.00 s from 2\.00 s\)"
    ):
        _checked(gap)
    flat = good.copy()
    flat[0, 256:1024] = flat[0, 256]
    with pytest.raises(SampleInputError, match=r"channel ECG \(ecg\) is flat for 3\.00 s from 1\.00 s"):
        _checked(flat)
    clipped = good.copy()
    clipped[0] = np.clip(clipped[0], None, 0.6)  # the top of every beat cut off
    share = clipped_share(clipped[0])
    assert share > 0.01
    with pytest.raises(SampleInputError, match=r"channel ECG \(ecg\) is clipped: .* lower the gain"):
        _checked(clipped)
    slight = good.copy()
    peak = int(np.argmax(slight[0]))
    slight[0, peak : peak + 5] = slight[0].max()  # five samples of 2,048 at the maximum: 0.24 %
    assert "clipped" in _checked(slight).warnings[0]
    assert longest_repeat(np.array([1.0, 2.0, 2.0, 2.0, 3.0])) == (1, 3)


def test_a_slow_channel_may_sit_still_and_an_eda_sensor_may_hold_its_extreme():
    t = np.arange(120 * 4) / 4.0
    eda = np.round(2.0 + 0.02 * np.sin(2 * np.pi * t / 60.0), 2)  # 0.01 µS steps at 4 Hz: long equal stretches
    found = check_signal(Signal(eda[None, :], 4.0, ("EDA",), ("eda",), source="e4.csv"))
    assert found.warnings == ()


def test_the_simulated_recordings_pass_every_check(tmp_path):
    pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
    from emoeval.simulated_signals import condition_set

    for recording in condition_set("arousal", 2, seed=3, duration=30) + condition_set("rest", 2, seed=4, eeg=True):
        path = write_npz(tmp_path / "r.npz", recording.data, recording.rate, recording.channels, recording.types)
        assert read_signal(path).warnings == ()


def test_plausibility_counts_a_clipped_channel_against_the_generator_where_other_metrics_refuse_it(tmp_path):
    pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
    import pandas as pd

    import emoeval
    from emoeval.simulated_signals import condition_set

    (recording,) = condition_set("rest", 1, seed=8, duration=60)
    data = recording.data.copy()
    data[0] = np.clip(data[0], None, np.quantile(data[0], 0.97))  # the ECG's R peaks cut off
    path = write_npz(tmp_path / "clipped.npz", data, recording.rate, recording.channels, recording.types)
    rows = pd.DataFrame([{"sample_id": "c", "system": "gen", "modality": "signal", "path": str(path)}])
    table = emoeval.score(rows, metrics=["signal_plausibility"], use_cache=False, progress=False).table
    sample = table[table.sample_id == "c"]
    assert sample.error.isna().all()
    share = sample[sample.sub_metric == "plausible_share"].iloc[0]
    assert share.value < 1.0 and "clipped" in share.warning and "ecg:" in share.warning
    assert {"eda_tonic", "rsp_rate"} <= set(sample.sub_metric)  # the other channels are still described
    with pytest.raises(SampleInputError, match=r"channel ECG \(ecg\) is clipped"):
        read_signal(path)


def test_the_report_draws_a_recording_the_quality_checks_refuse(tmp_path):
    from emoeval.reports.media import MediaEncoder, MediaSettings

    data = _waves()
    data[0] = np.clip(data[0], None, 0.3)  # clipped ECG: refused by the metrics, shown by the report
    path = write_npz(tmp_path / "clipped.npz", data, RATE, ("ECG", "EDA"), ("ecg", "eda"))
    with pytest.raises(SampleInputError, match="is clipped"):
        read_signal(path)
    reference = MediaEncoder(MediaSettings(), tmp_path).signal(path)
    assert reference.src is not None and reference.src.startswith("data:image/svg+xml")
