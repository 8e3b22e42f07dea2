"""The signal media type: reading recordings, refusing pickles, channel types, the content hash."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from emoeval.errors import SampleInputError
from emoeval.media.signal import Signal, infer_channel_type, read_signal, write_npz
from emoeval.registry import get_media_type


def test_npz_round_trip_keeps_data_rate_names_and_types(tmp_path):
    data = np.random.default_rng(0).normal(size=(2, 500))
    path = write_npz(tmp_path / "x.npz", data, 128.0, ["ECG", "GSR"])
    signal = read_signal(path)
    assert np.array_equal(signal.data, data)
    assert (signal.rate, signal.channels, signal.types) == (128.0, ("ECG", "GSR"), ("ecg", "eda"))
    assert signal.duration == pytest.approx(500 / 128)


def test_npy_reads_its_sidecar_and_without_one_names_the_fix(tmp_path):
    np.save(tmp_path / "y.npy", np.arange(1000.0))
    with pytest.raises(SampleInputError, match=r"y\.json"):
        read_signal(tmp_path / "y.npy")
    (tmp_path / "y.json").write_text(json.dumps({"sampling_rate": 100, "channels": ["Resp"]}))
    signal = read_signal(tmp_path / "y.npy")
    assert signal.data.shape == (1, 1000) and signal.types == ("rsp",) and signal.rate == 100.0


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".dat"])
def test_pickles_are_refused_without_being_opened(tmp_path, suffix):
    path = tmp_path / f"subject{suffix}"
    path.write_bytes(pickle.dumps({"signal": [1, 2, 3]}))
    with pytest.raises(SampleInputError, match=r"pickled files are refused.*numpy\.savez"):
        read_signal(path)


def test_an_object_array_in_an_npz_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "o.npz"
    np.savez(path, data=np.array([{"a": 1}], dtype=object), sampling_rate=100.0)
    with pytest.raises(SampleInputError, match="not a readable NumPy file"):
        read_signal(path)


def test_channel_types_from_names():
    assert [infer_channel_type(n) for n in ("EKG", "EDA", "Fz", "T7", "BVP", "EMG zyg", "Temp")] == [
        "ecg",
        "eda",
        "eeg",
        "eeg",
        "ppg",
        "emg",
        "temp",
    ]


def test_a_signal_with_mismatched_names_is_refused():
    with pytest.raises(SampleInputError, match="one name and one type per channel"):
        Signal(np.zeros((2, 10)), 10.0, ("a",), ("misc",))


def test_the_content_hash_covers_a_sidecar(tmp_path):
    np.save(tmp_path / "z.npy", np.arange(100.0))
    (tmp_path / "z.json").write_text(json.dumps({"sampling_rate": 100}))
    media = get_media_type("signal")
    before = media.content_hash(tmp_path / "z.npy")
    (tmp_path / "z.json").write_text(json.dumps({"sampling_rate": 200}))
    assert media.content_hash(tmp_path / "z.npy") != before


def test_a_reference_folder_of_signals_is_read_by_the_media_types_suffixes(tmp_path):
    from emoeval.errors import RunConfigError
    from emoeval.metrics.reference_set import reference_items

    (tmp_path / "calm").mkdir()
    write_npz(tmp_path / "calm" / "a.npz", np.zeros((1, 10)), 10.0)
    np.save(tmp_path / "b.npy", np.zeros(10))
    (tmp_path / "notes.txt").write_text("not a signal")
    assert reference_items(tmp_path, "signal") == [(tmp_path / "b.npy", None), (tmp_path / "calm" / "a.npz", "calm")]
    with pytest.raises(RunConfigError, match="'turns' samples are not supported"):
        reference_items(tmp_path, "turns")
