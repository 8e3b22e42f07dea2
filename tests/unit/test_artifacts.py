"""Per-sample artefacts: the F0 contours the prosody metrics tracked are kept with their verdicts, written to the
results folder, and plotted by the report without any signal processing of its own."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import soundfile

from emoeval.artifacts import (
    MAX_POINTS,
    ArtifactScore,
    artifact_path,
    artifacts_of,
    artifacts_record,
    f0_contour_artifacts,
    load_artifacts,
    restore_artifacts,
    save_artifacts,
)
from emoeval.metric import SampleScore
from emoeval.samples import Sample

RATE = 16000


def _utterance(seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A harmonic glide 140 → 190 Hz with 200 ms of near-silence on each side (a voiced, speech-like span)."""
    n = round(seconds * RATE)
    f0 = np.linspace(140.0, 190.0, n)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    voiced = 0.3 * sum(np.sin(h * phase) / h for h in range(1, 11)) / 1.5 * np.hanning(n)
    x = np.concatenate([np.zeros(3200), voiced, np.zeros(3200)])
    return x + 1e-4 * np.random.default_rng(seed).standard_normal(x.size)


def _write(path, x):
    soundfile.write(path, x, RATE, subtype="FLOAT")
    return path


def _world_f0(path) -> np.ndarray:
    """The reference: pyworld's DIO + StoneMask at 5 ms frames, 60–800 Hz, on the 16 kHz samples (0 = unvoiced)."""
    import pyworld

    from emoeval.media.audio import load_audio

    x = load_audio(path, target_rate=RATE).samples.astype(np.float64)
    coarse, times = pyworld.dio(x, RATE, f0_floor=60.0, f0_ceil=800.0, frame_period=5.0)
    return pyworld.stonemask(x, coarse, times, RATE)


def _expected_contour(path, first_frame: int, n_frames: int, max_points: int = 200):
    f0 = _world_f0(path)[first_frame : first_frame + n_frames]
    step = math.ceil(n_frames / max_points)
    frames = np.arange(0, n_frames, step)
    times = (first_frame + frames) * 0.005
    return times, np.where(f0[frames] > 0, f0[frames], np.nan)


# -- the module ----------------------------------------------------------------------------------------------------


def test_files_round_trip_and_are_named_after_metric_and_sample(tmp_path):
    series = {"output_time_s": [0.0, 0.005, 0.01], "output_f0_hz": [120.25, math.nan, 130.5]}
    scores = [ArtifactScore(values={"v": 1.0}, artifacts=series), SampleScore(values={"v": 2.0})]
    written = save_artifacts(tmp_path, "m(k=a/b)", ["sys/1", "sys/2"], scores, config_hash="abc")
    assert written == [tmp_path / "artifacts" / "m%28k%3Da%2Fb%29" / "sys%2F1.npz"]  # the plain verdict: no file
    loaded = load_artifacts(tmp_path, "m(k=a/b)", "sys/1", config_hash="abc")
    assert set(loaded) == set(series)
    for name, values in series.items():
        np.testing.assert_allclose(loaded[name], np.asarray(values, dtype=np.float32), equal_nan=True)
    # another configuration's file (left in the folder by an earlier run) is not this run's
    assert load_artifacts(tmp_path, "m(k=a/b)", "sys/1", config_hash="other") is None
    assert load_artifacts(tmp_path, "m(k=a/b)", "sys/1", config_hash=None) is None
    assert load_artifacts(tmp_path, "m(k=a/b)", "sys/2", config_hash="abc") is None
    long_id = "x" * 400
    path = artifact_path(tmp_path, "m", long_id)
    assert len(path.name) == 64 + len(".npz")
    save_artifacts(tmp_path, "m", [long_id], scores[:1], config_hash="abc")
    assert load_artifacts(tmp_path, "m", long_id, config_hash="abc") is not None
    # a failed verdict writes nothing, whatever it carries
    failed = ArtifactScore(values={}, error="bad input", artifacts=series)
    assert save_artifacts(tmp_path, "m", ["bad"], [failed], config_hash="abc") == []


def test_unreadable_or_foreign_files_are_ignored(tmp_path):
    path = artifact_path(tmp_path, "m", "s")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip file")
    assert load_artifacts(tmp_path, "m", "s", config_hash="abc") is None
    np.savez(path, __config_hash__=np.array("abc"), __sample_id__=np.array("s"), evil=np.array([object()]))
    assert load_artifacts(tmp_path, "m", "s", config_hash="abc") is None  # allow_pickle=False refuses objects
    np.savez(path, __config_hash__=np.array("abc"), __sample_id__=np.array("another"), f0=np.ones(2))
    assert load_artifacts(tmp_path, "m", "s", config_hash="abc") is None  # a file of another sample


def test_cache_records_keep_artefacts_as_plain_json():
    score = ArtifactScore(values={"v": 1.0}, warning="w", artifacts={"f0": [1.5, math.nan], "t": (0.0, 0.01)})
    record = json.loads(json.dumps({"values": [["v", 1.0]], **artifacts_record(score)}, allow_nan=False))
    restored = restore_artifacts(SampleScore(values={"v": 1.0}, warning="w"), record)
    assert isinstance(restored, ArtifactScore) and restored.values == {"v": 1.0} and restored.warning == "w"
    np.testing.assert_array_equal(restored.artifacts["f0"], [1.5, math.nan])
    assert restored.artifacts["t"] == (0.0, 0.01)
    plain = SampleScore(values={"v": 1.0})
    assert artifacts_record(plain) == {} and artifacts_of(plain) == {}
    assert restore_artifacts(plain, {"values": []}) is plain
    for bad in ({"f0": "text"}, {"f0": [1.0, "x"]}, {"f0": [True]}, {"f0": [0.0] * (MAX_POINTS + 1)}, ["f0"]):
        assert restore_artifacts(plain, {"artifacts": bad}) is plain  # the verdict stands; only plot data are lost


def test_artefacts_are_checked_where_they_are_made():
    with pytest.raises(ValueError, match="at most 10000"):
        ArtifactScore(values={"v": 1.0}, artifacts={"f0": np.zeros(MAX_POINTS + 1)})
    with pytest.raises(ValueError, match="non-empty name"):
        ArtifactScore(values={"v": 1.0}, artifacts={"__config_hash__": [1.0]})
    with pytest.raises(ValueError, match="one time per value"):
        f0_contour_artifacts("output", [0.0], [1.0, 2.0])
    score = ArtifactScore(values={"v": 1.0}, artifacts={"f0": np.array([1.0, 2.0], dtype=np.float32)})
    assert score.artifacts == {"f0": (1.0, 2.0)} and score == ArtifactScore(values={"v": 1.0}, artifacts={"f0": [1, 2]})


# -- the prosody metrics record what they analysed ------------------------------------------------------------------


def test_prosody_metrics_attach_the_contours_they_tracked(tmp_path):
    from emoeval.functional.prosody import extract_features
    from emoeval.media.audio import load_audio
    from emoeval.metrics.speech.prosody import SpeechMCD, SpeechProsodyDescriptors, SpeechProsodyDistance

    output = _write(tmp_path / "out.wav", _utterance(1.2))
    reference = _write(tmp_path / "ref.wav", _utterance(1.0, seed=1))
    sample = Sample(sample_id="s", system="sys", modality="speech", path=output, reference=reference)
    spans = {
        "output": extract_features(load_audio(output, target_rate=RATE), with_mcep=False),
        "reference": extract_features(load_audio(reference, target_rate=RATE), with_mcep=False),
    }
    paths = {"output": output, "reference": reference}
    descriptors = SpeechProsodyDescriptors().score([sample], None)[0]
    distance = SpeechProsodyDistance().score([sample], None)[0]
    mcd = SpeechMCD().score([sample], None)[0]
    assert set(descriptors.artifacts) == {"output_time_s", "output_f0_hz"}
    for score in (distance, mcd):
        assert set(score.artifacts) == {"output_time_s", "output_f0_hz", "reference_time_s", "reference_f0_hz"}
    for part in ("output", "reference"):
        times, f0 = _expected_contour(paths[part], spans[part].first_frame, spans[part].f0.size)
        assert 100 <= len(times) <= 200
        for score in (descriptors, distance, mcd) if part == "output" else (distance, mcd):
            np.testing.assert_allclose(score.artifacts[f"{part}_time_s"], times, rtol=1e-6)
            np.testing.assert_allclose(score.artifacts[f"{part}_f0_hz"], f0, rtol=1e-6, equal_nan=True)
        assert np.nanmedian(f0) == pytest.approx(165.0, abs=15.0)  # the glide's middle, by pyworld itself


def test_recording_contours_changes_no_value(tmp_path):
    from emoeval.metrics.speech.prosody import SpeechProsodyDescriptors, SpeechProsodyDistance

    output = _write(tmp_path / "out.wav", _utterance(1.2))
    reference = _write(tmp_path / "ref.wav", _utterance(1.0, seed=1))
    sample = Sample(sample_id="s", system="sys", modality="speech", path=output, reference=reference)
    for metric_class in (SpeechProsodyDescriptors, SpeechProsodyDistance):

        class Bare(metric_class):  # the same metric without contours
            record_contours = False

        with_contours, bare = metric_class().score([sample], None)[0], Bare().score([sample], None)[0]
        assert type(bare) is SampleScore and artifacts_of(with_contours)
        assert with_contours.values == bare.values and with_contours.warning == bare.warning


# -- the report plots them, analysing nothing -----------------------------------------------------------------------


def _results_folder(tmp_path, *, contours: bool, config_hash: str = "cfg"):
    from emoeval.results import Results, results_frame

    rows = [
        dict(
            run_id="r",
            system=system,
            scope="sample",
            statistic="value",
            sample_id=f"{system}/1",
            group="1",
            target_emotion="happy",
            metric="speech_mcd",
            sub_metric="mcd_db",
            value=value,
            n=1,
            higher_is_better=False,
            headline=True,
        )
        for system, value in (("good", 4.0), ("bad", 9.0))
    ]
    run = {
        "run_id": "r",
        "config_hash": config_hash,
        "config": {"metrics": [{"label": "speech_mcd", "modality": "speech"}]},
    }
    folder = tmp_path / "results"
    Results(table=results_frame(rows), run=run).write(folder)
    if contours:
        scores = [
            ArtifactScore(
                values={"mcd_db": 4.0},
                artifacts={
                    **f0_contour_artifacts("output", [0.2, 0.21, 0.22], [150.0, math.nan, 160.0]),
                    **f0_contour_artifacts("reference", [0.2, 0.21], [140.0, 145.0]),
                },
            ),
            ArtifactScore(values={"mcd_db": 9.0}, artifacts=f0_contour_artifacts("output", [0.3], [200.0])),
        ]
        save_artifacts(folder, "speech_mcd", ["good/1", "bad/1"], scores, config_hash="cfg")
    return folder


def _refuse_analysis(monkeypatch):
    import librosa
    import pyworld

    def refuse(*args, **kwargs):
        pytest.fail("the report analysed audio")

    for module, names in ((pyworld, ("dio", "harvest", "stonemask")), (librosa, ("pyin",))):
        for name in names:
            monkeypatch.setattr(module, name, refuse)


def test_the_report_plots_the_recorded_contours_without_analysing_audio(tmp_path, monkeypatch):
    from emoeval.reports.html import report

    _refuse_analysis(monkeypatch)
    folder = _results_folder(tmp_path, contours=True)
    files = report(folder, tmp_path / "report.html")
    twin = json.loads(files.json.read_text())
    examples = {example["system"]: example for example in twin["prosody"]}
    assert set(examples) == {"good", "bad"} and twin["prosody_note"] == ""
    good = examples["good"]
    assert good["output"]["times"] == [0.2, 0.21, 0.22] and good["output"]["f0"][0] == 150.0
    assert good["output"]["f0"][1] is None and good["output"]["f0"][2] == 160.0  # unvoiced: a gap
    assert (good["reference"]["times"], good["reference"]["f0"]) == ([0.2, 0.21], [140.0, 145.0])
    assert examples["bad"]["reference"] is None and examples["bad"]["metric"] == "speech_mcd"
    html = files.html.read_text()
    assert "median F0 155 Hz vs reference 142" in html and "Prosody" in html


def test_without_recorded_contours_the_report_says_why(tmp_path, monkeypatch):
    from emoeval.reports.html import report
    from emoeval.reports.prosody import NO_CONTOURS, NO_FOLDER
    from emoeval.results import load_results

    _refuse_analysis(monkeypatch)
    bare = _results_folder(tmp_path / "bare", contours=False)
    twin = json.loads(report(bare, tmp_path / "bare.html").json.read_text())
    assert twin["prosody"] == [] and twin["prosody_note"] == NO_CONTOURS
    stale = _results_folder(tmp_path / "stale", contours=True, config_hash="a later run")
    twin = json.loads(report(stale, tmp_path / "stale.html").json.read_text())
    assert twin["prosody"] == [] and twin["prosody_note"] == NO_CONTOURS  # files of another configuration
    folder = _results_folder(tmp_path / "memory", contours=True)
    in_memory = load_results(folder)
    twin = json.loads(report(in_memory, tmp_path / "memory.html").json.read_text())
    assert twin["prosody"] == [] and twin["prosody_note"] == NO_FOLDER
    twin = json.loads(report(in_memory, tmp_path / "named.html", results_dir=folder).json.read_text())
    assert len(twin["prosody"]) == 2


# -- through the runner ---------------------------------------------------------------------------------------------


def test_a_run_writes_the_contours_cold_and_warm(tmp_path):
    import emoeval
    from emoeval.reports.html import report

    output = _write(tmp_path / "out.wav", _utterance(1.2))
    reference = _write(tmp_path / "ref.wav", _utterance(1.0, seed=1))
    manifest = pd.DataFrame(
        [{"sample_id": "s1", "system": "sys", "modality": "speech", "path": str(output), "reference": str(reference)}]
    )
    cache = tmp_path / "cache"
    cold = emoeval.score(manifest, ["speech_prosody_distance"], tmp_path / "cold", cache_dir=cache, progress=False)
    warm = emoeval.score(manifest, ["speech_prosody_distance"], tmp_path / "warm", cache_dir=cache, progress=False)
    pd.testing.assert_frame_equal(
        cold.table.drop(columns=["created_at", "run_id"]), warm.table.drop(columns=["created_at", "run_id"])
    )
    for folder, results in ((tmp_path / "cold", cold), (tmp_path / "warm", warm)):
        found = load_artifacts(folder, "speech_prosody_distance", "s1", config_hash=results.run["config_hash"])
        assert found is not None and {"output_f0_hz", "reference_f0_hz"} <= set(found)
        twin = json.loads(report(folder, folder / "report.html").json.read_text())
        assert [example["sample_id"] for example in twin["prosody"]] == ["s1"]
