"""Sample files are read safely: only regular files, within a size limit per modality, hashed in chunks.

A path to ``/dev/zero`` used to be read whole (MemoryError aborted the run) and a named pipe (FIFO) hung the run
forever. Runs that touch such paths are scored in a child process with a time-out (a regression fails instead
of hanging CI) and an address-space limit (a regression fails with MemoryError instead of exhausting the
machine's memory). The streaming hash is checked against ``hashlib`` over the whole bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.media import files
from emoeval.media.files import check_input_file, file_sha256, max_file_mb, read_input_file

DEMO = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo"
#: a child run that takes longer than this is taken to hang (a guard, not a timing assertion)
HANG_GUARD_S = float(os.environ.get("EMOEVAL_TEST_HANG_GUARD_S", "300"))
#: address-space limit of the child runs: a file read whole from /dev/zero fails fast with MemoryError
CHILD_MEMORY_BYTES = 6 << 30  # torch alone maps about 3.2 GB of address space

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")


def _run_child(code: str, *, pythonpath: Path | None = None, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` (which prints one JSON line last) in a fresh interpreter with a time-out and a memory cap."""
    prelude = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({CHILD_MEMORY_BYTES}, {CHILD_MEMORY_BYTES}))
        """
    )
    child_env = dict(os.environ)
    child_env.update(env or {})
    if pythonpath is not None:
        child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), child_env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
            env=child_env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"scoring hung: no result after {HANG_GUARD_S:.0f} s (a FIFO or device was opened)")
    assert done.returncode == 0, f"the run crashed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sample_errors(rows: list[dict]) -> dict[tuple[str, str], str | None]:
    return {(row["metric"], row["sample_id"]): row["error"] for row in rows}


# -- the file check ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 3 * 4096 + 17, 5 * files.MB + 3])
def test_streaming_hash_equals_hashlib_of_the_bytes(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert file_sha256(path, chunk_size=4096) == expected
    assert file_sha256(path) == expected
    digest, read = read_input_file(path, chunk_size=4096)
    assert digest == expected and read == data


def test_hashing_streams_instead_of_reading_the_file_whole(tmp_path):
    path = tmp_path / "big.bin"
    size = 16 * files.MB
    path.write_bytes(b"\x5a" * size)
    expected = hashlib.sha256(b"\x5a" * size).hexdigest()
    tracemalloc.start()
    try:
        digest = file_sha256(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == expected
    assert peak < size / 4, f"hashing a {size} byte file allocated {peak} bytes at its peak"


@needs_posix
def test_non_regular_paths_are_refused_without_being_opened(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    link = tmp_path / "zeros.png"
    link.symlink_to("/dev/zero")
    sock_path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))

    def no_open(*args, **kwargs):  # opening a FIFO blocks: the check must decide from os.stat alone
        raise AssertionError(f"opened {args[0]!r}")

    monkeypatch.setattr(os, "open", no_open)
    monkeypatch.setattr(io, "open", no_open)
    expected = {
        fifo: "named pipe (FIFO)",
        Path("/dev/zero"): "character device",
        link: "character device",
        folder: "is a folder",
        sock_path: "a socket",
        tmp_path / "missing.png": "file not found",
    }
    try:
        for path, phrase in expected.items():
            for call in (check_input_file, file_sha256, read_input_file):
                with pytest.raises(SampleInputError) as caught:
                    call(path)
                assert phrase in str(caught.value) and str(path) in str(caught.value), (call, str(caught.value))
    finally:
        server.close()


def test_size_limits_per_modality_and_their_variables(tmp_path, monkeypatch):
    for name in ("EMOEVAL_MAX_FILE_MB", "EMOEVAL_MAX_FILE_MB_FACE", "EMOEVAL_MAX_FILE_MB_SPEECH"):
        monkeypatch.delenv(name, raising=False)
    assert (max_file_mb("face"), max_file_mb("speech"), max_file_mb("text"), max_file_mb(None)) == (64, 512, 64, 512)
    image = tmp_path / "face.png"
    image.write_bytes(b"\x89PNG" + b"\0" * 3000)
    assert check_input_file(image).st_size == 3004  # within the default limit

    monkeypatch.setenv("EMOEVAL_MAX_FILE_MB_FACE", "0.001")  # 1,048 bytes
    with pytest.raises(SampleInputError) as caught:
        check_input_file(image)  # the suffix makes it a face file
    message = str(caught.value)
    assert "face.png" in message and "3,004 bytes" in message and "over the 0.001 MB limit for face files" in message
    assert "EMOEVAL_MAX_FILE_MB_FACE=<MB>" in message
    assert check_input_file(image, "speech").st_size == 3004  # another modality, another limit
    with pytest.raises(SampleInputError, match="limit for face files"):
        read_input_file(image)

    monkeypatch.setenv("EMOEVAL_MAX_FILE_MB_FACE", "inf")
    assert check_input_file(image).st_size == 3004
    monkeypatch.setenv("EMOEVAL_MAX_FILE_MB", "0.001")  # the general limit: unknown suffixes, plug-in modalities
    other = tmp_path / "x.bin"
    other.write_bytes(b"\0" * 2000)
    with pytest.raises(SampleInputError, match=r"general files; .*EMOEVAL_MAX_FILE_MB=<MB>"):
        check_input_file(other)
    with pytest.raises(SampleInputError, match="limit for signal files"):
        check_input_file(other, "signal")
    for bad in ("0", "-3", "ten", "nan"):
        monkeypatch.setenv("EMOEVAL_MAX_FILE_MB_SPEECH", bad)
        with pytest.raises(RunConfigError, match="EMOEVAL_MAX_FILE_MB_SPEECH"):
            max_file_mb("speech")


# -- whole runs: bad files become error rows, the rest is scored ---------------------------------------------------


@needs_posix
@pytest.mark.parametrize("use_cache", [True, False])
def test_devices_pipes_and_large_files_become_error_rows_in_a_run(tmp_path, plugin_root, use_cache):
    files_dir = tmp_path / "files"
    files_dir.mkdir()
    reference = files_dir / "ref.bin"
    reference.write_bytes(b"r" * 10)
    fifo = tmp_path / "pipe.bin"
    os.mkfifo(fifo)
    big = tmp_path / "big.bin"
    big.write_bytes(b"b" * 5000)  # over the 0.001 MB (1,048 byte) general limit set below
    rows = []
    for i in range(4):
        path = files_dir / f"ok_{i}.bin"
        path.write_bytes(bytes([65 + i]) * (5 + i))
        rows.append({"sample_id": f"ok/{i}", "path": str(path), "reference": str(reference)})
    bad = {
        "bad/dev_zero": {"path": "/dev/zero", "reference": str(reference)},
        "bad/fifo": {"path": str(fifo), "reference": str(reference)},
        "bad/fifo_reference": {"path": str(files_dir / "ok_0.bin"), "reference": str(fifo)},
        "bad/big": {"path": str(big), "reference": str(reference)},
        "bad/folder": {"path": str(files_dir), "reference": str(reference)},
    }
    rows += [{"sample_id": sample_id, **paths} for sample_id, paths in bad.items()]
    for row in rows:
        row.update(system="alpha", modality="face", target_emotion="happy")
    code = f"""
        import json
        import pandas as pd
        import emoeval

        rows = json.loads({json.dumps(json.dumps(rows))})
        results = emoeval.score(
            pd.DataFrame(rows), metrics=["fake_length_ratio"], use_cache={use_cache}, progress=False
        )
        table = results.table
        sample_rows = table[table["scope"] == "sample"][["metric", "sample_id", "sub_metric", "value", "error"]]
        print(json.dumps(sample_rows.astype(object).where(sample_rows.notna(), None).to_dict(orient="records")))
    """
    result = _run_child(code, pythonpath=plugin_root, env={"EMOEVAL_MAX_FILE_MB": "0.001"})
    errors = {row["sample_id"]: row["error"] for row in result if row["error"]}
    assert set(errors) == set(bad)
    assert "/dev/zero is a character device" in errors["bad/dev_zero"]
    assert f"{fifo} is a named pipe (FIFO)" in errors["bad/fifo"]
    assert f"{fifo} is a named pipe (FIFO)" in errors["bad/fifo_reference"]
    assert "big.bin" in errors["bad/big"] and "over the 0.001 MB limit" in errors["bad/big"]
    assert "EMOEVAL_MAX_FILE_MB=<MB>" in errors["bad/big"]
    assert "is a folder" in errors["bad/folder"]
    good = [row for row in result if row["sample_id"].startswith("ok/")]
    assert len(good) == 4 * 2 and all(row["value"] is not None and row["error"] is None for row in good)
    ratios = {row["sample_id"]: row["value"] for row in good if row["sub_metric"] == "ratio"}
    assert ratios == {f"ok/{i}": (5 + i) / 10 for i in range(4)}  # byte-length ratios of the fake metric


@needs_posix
def test_real_speech_and_face_metrics_report_bad_files_per_sample(tmp_path):
    speech_ok = DEMO / "speech" / "1_Sad" / "emo-stargan.wav"
    face_ok = DEMO / "faces" / "001_happy.jpg"
    fifo_wav = tmp_path / "pipe.wav"
    os.mkfifo(fifo_wav)
    fifo_png = tmp_path / "pipe.png"
    os.mkfifo(fifo_png)
    big_wav = tmp_path / "big.wav"
    big_wav.write_bytes(speech_ok.read_bytes())  # over the speech limit set below
    limit_mb = speech_ok.stat().st_size / files.MB / 2
    speech = {"system": "tts", "modality": "speech", "target_emotion": "sad"}
    face = {"system": "gan", "modality": "face", "target_emotion": "happy"}
    rows = [
        {**speech, "sample_id": "speech/ok", "path": str(speech_ok)},
        {**speech, "sample_id": "speech/dev_zero", "path": "/dev/zero"},
        {**speech, "sample_id": "speech/fifo", "path": str(fifo_wav)},
        {**face, "sample_id": "face/ok", "path": str(face_ok), "reference": str(face_ok)},
        {**face, "sample_id": "face/fifo_reference", "path": str(face_ok), "reference": str(fifo_png)},
        {**face, "sample_id": "face/dev_zero", "path": "/dev/zero", "reference": str(face_ok)},
    ]
    code = f"""
        import json
        import pandas as pd
        import emoeval

        rows = json.loads({json.dumps(json.dumps(rows))})
        metrics = ["speech_prosody_descriptors", "face_image_quality"]
        results = emoeval.score(pd.DataFrame(rows), metrics=metrics, progress=False)
        big = emoeval.score(
            pd.DataFrame([{{**rows[0], "sample_id": "speech/big", "path": {str(big_wav)!r}}}, rows[3]]),
            metrics=metrics, progress=False, use_cache=False,
        )
        out = []
        for table in (results.table, big.table):
            chosen = table[table["scope"] == "sample"][["metric", "sample_id", "value", "error"]]
            out += chosen.astype(object).where(chosen.notna(), None).to_dict(orient="records")
        print(json.dumps(out))
    """
    result = _run_child(code, env={"EMOEVAL_MAX_FILE_MB_SPEECH": "inf"})
    errors = _sample_errors(result)
    assert "/dev/zero is a character device" in errors[("speech_prosody_descriptors", "speech/dev_zero")]
    assert "named pipe (FIFO)" in errors[("speech_prosody_descriptors", "speech/fifo")]
    assert "pipe.png is a named pipe (FIFO)" in errors[("face_image_quality", "face/fifo_reference")]
    assert "/dev/zero is a character device" in errors[("face_image_quality", "face/dev_zero")]
    good = [row for row in result if row["sample_id"] in ("speech/ok", "face/ok")]
    assert good and all(row["error"] is None and row["value"] is not None for row in good), good

    limited = _run_child(code, env={"EMOEVAL_MAX_FILE_MB_SPEECH": f"{limit_mb:.6f}"})
    big_error = _sample_errors(limited)[("speech_prosody_descriptors", "speech/big")]
    assert "big.wav" in big_error and f"over the {limit_mb:.6f}".rstrip("0") in big_error
    assert "EMOEVAL_MAX_FILE_MB_SPEECH" in big_error
    assert all(row["error"] is None for row in limited if row["sample_id"] == "face/ok")
