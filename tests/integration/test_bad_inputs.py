"""Broken inputs become error rows on the real models, and the rest of the run succeeds."""

from __future__ import annotations

import io
import shutil
import wave

import numpy as np
import pandas as pd
from PIL import Image

import emoeval


def _wav(path, samples: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((samples * 32767).astype("<i2").tobytes())


def test_broken_faces_and_recordings_are_reported_per_sample(tmp_path, demo_dir):
    face_ok = demo_dir / "faces" / "001_happy.jpg"
    face_ref = demo_dir / "faces" / "001_neutral.jpg"
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(face_ok.read_bytes()[:4000])
    no_face = tmp_path / "no_face.png"
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 128, dtype=np.uint8)).save(buffer, format="PNG")
    no_face.write_bytes(buffer.getvalue())

    speech_ok = demo_dir / "speech" / "1_Sad" / "emo-stargan.wav"
    speech_ref = demo_dir / "speech" / "1_Sad" / "baseline.wav"
    zero_length = tmp_path / "zero.wav"
    zero_length.write_bytes(b"")
    one_sample = tmp_path / "one_sample.wav"
    _wav(one_sample, np.array([0.5]))
    silent = tmp_path / "silent.wav"
    _wav(silent, np.zeros(16000))
    renamed = tmp_path / "copy of ok.wav"
    shutil.copy(speech_ok, renamed)

    face = {"system": "gen", "modality": "face", "reference": str(face_ref)}
    speech = {"system": "tts", "modality": "speech", "reference": str(speech_ref)}
    manifest = pd.DataFrame(
        [
            {**face, "sample_id": "face/ok", "path": str(face_ok)},
            {**face, "sample_id": "face/corrupt", "path": str(corrupt)},
            {**face, "sample_id": "face/truncated", "path": str(truncated)},
            {**face, "sample_id": "face/no_face", "path": str(no_face)},
            {**face, "sample_id": "face/missing", "path": str(tmp_path / "missing.jpg")},
            {**speech, "sample_id": "speech/ok", "path": str(speech_ok)},
            {**speech, "sample_id": "speech/zero_length", "path": str(zero_length)},
            {**speech, "sample_id": "speech/one_sample", "path": str(one_sample)},
            {**speech, "sample_id": "speech/silent", "path": str(silent)},
            {**speech, "sample_id": "speech/missing", "path": str(tmp_path / "missing.wav")},
            {**speech, "sample_id": "speech/renamed_ok", "path": str(renamed)},
        ]
    )
    out = tmp_path / "out"
    results = emoeval.score(
        manifest, metrics=["face_identity_similarity", "speaker_similarity"], out=out, progress=False
    )
    errors = results.errors().query("scope == 'sample'").set_index("sample_id").error
    expected = {
        "face/corrupt": "not a readable image",
        "face/truncated": "not a readable image",
        "face/no_face": "no face found",
        "face/missing": "file not found",
        "speech/zero_length": "empty file",
        "speech/one_sample": "too short",
        "speech/silent": "silent",
        "speech/missing": "file not found",
    }
    assert set(errors.index) == set(expected)
    for sample_id, phrase in expected.items():
        assert phrase in errors[sample_id], (sample_id, errors[sample_id])
        file_name = manifest.set_index("sample_id").path[sample_id].rsplit("/", 1)[1]
        assert file_name in errors[sample_id], "the error must name the file"
    good = results.samples().query("error.isna()")
    assert set(good.sample_id) == {"face/ok", "speech/ok", "speech/renamed_ok"}
    assert good.value.notna().all()
    speech_values = good.query("metric == 'speaker_similarity'").set_index("sample_id").value
    assert speech_values["speech/ok"] == speech_values["speech/renamed_ok"]
    assert emoeval.load_results(out).run["counts"]["errors"] == len(expected)
