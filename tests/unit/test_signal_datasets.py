"""Dataset layouts (DEAP, DREAMER, AMIGOS, WESAD): the test writes tiny files in each layout (no real data of
these datasets is available here), converts them, and checks channels, rates, values, labels, and that the
manifest is a labelled set the signal emotion probe reads."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import io as scipy_io
from scipy import signal as scipy_signal

from emoeval.cli import main
from emoeval.errors import RunConfigError
from emoeval.media.signal import read_signal
from emoeval.media.signal_datasets import DEAP_EEG, EMOTIV_EEG, convert, wesad_units
from emoeval.reference_models.signal_emotion import read_signal_reference


def _cell(items) -> np.ndarray:
    cell = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        cell[i] = item
    return cell


def test_deap_trials_lose_their_baseline_keep_the_chosen_types_and_their_ratings(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2, 40, 63 * 128))
    labels = np.array([[7.0, 2.0, 5.0, 6.0], [3.0, 8.0, 4.0, 2.0]])
    (tmp_path / "deap").mkdir()
    scipy_io.savemat(tmp_path / "deap" / "s01.mat", {"data": data, "labels": labels})
    summary = convert("deap", tmp_path / "deap", tmp_path / "out")
    assert summary["files"] == 2 and summary["seconds"] == pytest.approx(120.0)
    first = read_signal(tmp_path / "out" / "s01_t01.npz", check=False)
    assert first.rate == 128.0 and first.channels == (*DEAP_EEG, "GSR", "Respiration", "Plethysmograph", "Temperature")
    assert first.types == ("eeg",) * 32 + ("eda", "rsp", "ppg", "temp")
    np.testing.assert_array_equal(first.data, data[0][[*range(32), 36, 37, 38, 39], 384:])
    items = read_signal_reference(tmp_path / "out" / "manifest.csv", label_set="deap")
    # valence 7 / arousal 2 → high valence, low arousal (DEAP's 1-9 scale split at 5)
    assert [item.label for item in items] == ["LAHV", "HALV"] and {item.speaker for item in items} == {"s01"}
    converted = convert("deap", tmp_path / "deap", tmp_path / "gsr", channel_types=["eda"], gsr_to_conductance=True)
    assert converted["channel_types"] == ["eda"]
    gsr = read_signal(tmp_path / "gsr" / "s01_t02.npz", check=False).data[0]
    source = data[1, 36, 384:]
    np.testing.assert_allclose(gsr[source > 0], 1e6 / source[source > 0])
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "s01.dat").write_bytes(b"\x80\x04pickle")
    with pytest.raises(RunConfigError, match=r"pickles.*data_preprocessed_matlab"):
        convert("deap", tmp_path / "python", tmp_path / "never")


def test_dreamer_writes_eeg_upsampled_beside_ecg_with_its_scores(tmp_path):
    rng = np.random.default_rng(1)
    subjects = []
    for _ in range(2):
        eeg = [rng.normal(size=(128 * 5, 14)), rng.normal(size=(128 * 4, 14))]
        ecg = [rng.normal(size=(256 * 5, 2)), rng.normal(size=(256 * 4 + 3, 2))]
        subjects.append(
            {
                "EEG": {"stimuli": _cell(eeg), "baseline": _cell(eeg)},
                "ECG": {"stimuli": _cell(ecg), "baseline": _cell(ecg)},
                "ScoreValence": np.array([4.0, 1.0]),
                "ScoreArousal": np.array([2.0, 5.0]),
                "ScoreDominance": np.array([3.0, 3.0]),
            }
        )
    scipy_io.savemat(
        tmp_path / "DREAMER.mat",
        {"DREAMER": {"Data": _cell(subjects), "EEG_SamplingRate": 128, "ECG_SamplingRate": 256}},
    )
    summary = convert("dreamer", tmp_path / "DREAMER.mat", tmp_path / "out")
    assert summary["files"] == 4 and summary["subjects"] == 2
    second = read_signal(tmp_path / "out" / "s02_t02.npz", check=False)
    assert second.rate == 256.0 and second.channels == (*EMOTIV_EEG, "ECG1", "ECG2")
    assert second.data.shape == (16, 256 * 4)  # cut to the shorter of EEG (upsampled) and ECG
    eeg_source = subjects[1]["EEG"]["stimuli"][1].T
    np.testing.assert_allclose(second.data[:14], scipy_signal.resample_poly(eeg_source, 2, 1, axis=1)[:, : 256 * 4])
    np.testing.assert_array_equal(second.data[14:], subjects[1]["ECG"]["stimuli"][1].T[:, : 256 * 4])
    items = read_signal_reference(tmp_path / "out" / "manifest.csv", label_set="dreamer")
    assert [item.label for item in items][:2] == ["LAHV", "HALV"]  # DREAMER's 1-5 scale split at 3


def test_amigos_skips_unseen_videos_and_keeps_the_first_ratings(tmp_path):
    rng = np.random.default_rng(2)
    trials = [rng.normal(size=(128 * 6, 17)), np.zeros((0, 17)), rng.normal(size=(128 * 7, 17))]
    ratings = [np.arange(1.0, 13.0), np.full(12, np.nan), np.array([8.0, 2.0, *range(10)])]
    scipy_io.savemat(
        tmp_path / "Data_Preprocessed_P01.mat",
        {"joined_data": _cell(trials), "labels_selfassessment": _cell(ratings), "VideoIDs": _cell(["a", "b", "c"])},
    )
    summary = convert("amigos", tmp_path, tmp_path / "out")
    assert summary["files"] == 2
    video = read_signal(tmp_path / "out" / "P01_v03.npz", check=False)
    assert video.types == ("eeg",) * 14 + ("ecg", "ecg", "eda") and video.rate == 128.0
    np.testing.assert_array_equal(video.data, trials[2].T)
    manifest = (tmp_path / "out" / "manifest.csv").read_text().splitlines()
    assert manifest[0].split(",")[-5:] == ["arousal", "valence", "dominance", "liking", "familiarity"]
    assert [item.label for item in read_signal_reference(tmp_path / "out" / "manifest.csv", label_set="amigos")] == [
        "LALV",
        "HALV",
    ]


def _write_wesad(folder, seconds_per_condition=3):
    folder.mkdir(parents=True)
    header = {
        "00:07:80:D8:AB:58": {
            "column": ["nSeq", "DI", "CH1", "CH2", "CH3", "CH4", "CH5", "CH6", "CH7", "CH8"],
            "sensor": ["ECG", "EDA", "EMG", "TEMP", "XYZ", "XYZ", "XYZ", "RESP"],
            "sampling rate": 700,
        }
    }
    rng = np.random.default_rng(3)
    total = 700 * 60 * 3
    raw = rng.integers(20000, 45000, size=(total, 8))
    body = "\n".join("\t".join(map(str, [i % 16, 0, *row])) for i, row in enumerate(raw.tolist()))
    (folder / f"{folder.name}_respiban.txt").write_text(
        f"# OpenSignals Text File Format\n# {json.dumps(header)}\n# EndOfHeader\n{body}\n"
    )
    (folder / f"{folder.name}_quest.csv").write_text(
        "# Subj;S2;;;\n# ORDER;Base;Fun;TSST;sRead\n# START;0.10;1.00;2.00;2.30\n# END;0.40;1.20;2.10;2.50\n"
    )
    return raw


def test_wesad_conditions_become_files_in_physical_units(tmp_path):
    raw = _write_wesad(tmp_path / "WESAD" / "S2")
    summary = convert("wesad", tmp_path / "WESAD", tmp_path / "out")
    assert summary["files"] == 3  # Base, Fun, TSST (sRead is not a condition)
    fun = read_signal(tmp_path / "out" / "S2_fun.npz", check=False)
    assert (
        fun.rate == 700.0
        and fun.channels == ("ECG", "EDA", "RESP", "TEMP")
        and fun.types == ("ecg", "eda", "rsp", "temp")
    )
    span = slice(700 * 60, 700 * 80)  # 1.00 → 1.20 is 60 s → 80 s
    np.testing.assert_allclose(fun.data[0], (raw[span, 0] / 2**16 - 0.5) * 3.0)
    np.testing.assert_allclose(fun.data[1], raw[span, 1] / 2**16 * 3.0 / 0.12)
    np.testing.assert_allclose(fun.data[2], (raw[span, 7] / 2**16 - 0.5) * 100.0)
    assert 0.0 < wesad_units(np.array([32768.0]), "TEMP")[0] < 60.0  # mid-scale ADC value: a room temperature
    rows = (tmp_path / "out" / "manifest.csv").read_text().splitlines()
    assert rows[0].endswith("condition,arousal") and "baseline,low" in rows[1] and "amusement,high" in rows[2]
    assert [i.label for i in read_signal_reference(tmp_path / "out" / "manifest.csv")] == ["LA", "HA", "HA"]


def test_the_convert_command_prints_a_summary_and_names_a_missing_layout_file(tmp_path):
    _write_wesad(tmp_path / "S3")
    result = CliRunner().invoke(
        main,
        [
            "signals",
            "convert",
            str(tmp_path / "S3"),
            str(tmp_path / "out"),
            "--layout",
            "wesad",
            "--channels",
            "ecg,eda",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3 recordings of 1 subject(s)" in result.output and "ecg, eda" in result.output
    bad = CliRunner().invoke(
        main, ["signals", "convert", str(tmp_path / "S3"), str(tmp_path / "x"), "--layout", "dreamer"]
    )
    assert bad.exit_code == 1 and "DREAMER.mat" in bad.output


def test_a_converted_folder_is_a_reference_set_without_its_manifest(tmp_path):
    from emoeval.metrics.reference_set import reference_items

    _write_wesad(tmp_path / "S4")
    convert("wesad", tmp_path / "S4", tmp_path / "out")
    items = reference_items(tmp_path / "out", "signal")
    assert sorted(path.name for path, _ in items) == ["S4_base.npz", "S4_fun.npz", "S4_tsst.npz"]
