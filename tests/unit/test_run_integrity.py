"""Results that survive hostile names, damaged caches, concurrent and interrupted runs, and unwritable folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.cache import OutputCache
from emoeval.csv_safe import neutralize_cell, spreadsheet_safe
from emoeval.errors import RunConfigError, stable_message
from emoeval.runner.folder import LOCK_FILE, PARTIAL_ROWS, RUN_PARTIAL_JSON

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1+1)", '@HYPERLINK("http://x.invalid","y")', "-2+3", "\t=1+1", "\r=1"]


def _manifest(tmp_path, systems=("alpha", "beta"), n: int = 3) -> pd.DataFrame:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 10)
    rows = []
    for s, system in enumerate(systems):
        for i in range(n):
            path = files / f"{s}_{i}.bin"
            path.write_bytes(bytes([65 + i]) * (5 + i + s))
            rows.append(
                {
                    "sample_id": f"{s}/{i}",
                    "system": system,
                    "modality": "face",
                    "path": str(path),
                    "reference": str(reference),
                    "group": str(i),
                }
            )
    return pd.DataFrame(rows)


# -- 3. spreadsheet formula injection -------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_cells_that_start_a_formula_are_neutralised(text):
    assert neutralize_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-0.25", "+3", "1e-3", "plain", "", -3.5, 7, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert neutralize_cell(value) == value


def test_results_csv_neutralises_hostile_system_names_and_parquet_keeps_them(tmp_path, plugin):
    out = tmp_path / "out"
    results = emoeval.score(_manifest(tmp_path, systems=HOSTILE[:4]), metrics=["fake_length_ratio"], out=out)
    csv = pd.read_csv(out / "results.csv", dtype={"system": str}, keep_default_na=False)
    assert set(csv["system"]) == {"'" + name for name in HOSTILE[:4]}
    parquet = pd.read_parquet(out / "results.parquet")
    assert set(parquet["system"]) == set(HOSTILE[:4])  # exact in the reference copy
    # numbers are untouched: the CSV's values are the table's values
    np.testing.assert_array_equal(
        pd.to_numeric(csv["value"], errors="coerce").to_numpy(), results.table["value"].to_numpy()
    )
    # no cell in the CSV starts a formula
    with (out / "results.csv").open(encoding="utf-8") as handle:
        cells = [cell for line in handle for cell in line.rstrip("\n").split(",")]
    numeric = pd.to_numeric(pd.Series(cells), errors="coerce").notna()
    assert not any(
        c.startswith(("=", "+", "-", "@")) for c, is_number in zip(cells, numeric, strict=True) if not is_number
    )


def test_stats_csv_files_are_spreadsheet_safe(tmp_path, plugin):
    from emoeval.stats.aggregate import aggregate

    results = emoeval.score(_manifest(tmp_path, systems=["=evil()", "@HYPERLINK(1)"]), metrics=["fake_length_ratio"])
    written = aggregate(results).write(tmp_path / "stats", "aggregate")
    table = pd.read_csv(written[0], keep_default_na=False)
    assert set(table["system"]) == {"'=evil()", "'@HYPERLINK(1)"}
    data = json.loads(written[1].read_text())
    assert {row["system"] for row in data["table"]} == {"=evil()", "@HYPERLINK(1)"}  # JSON stays exact


def test_hostile_column_names_are_neutralised_too():
    frame = pd.DataFrame({"=a": ["x"], "b": [1.5]})
    assert list(spreadsheet_safe(frame).columns) == ["'=a", "b"]


# -- 4. damaged cache entries ---------------------------------------------------------------------------------


def test_empty_cache_files_are_misses_recomputed_and_rewritten(tmp_path, plugin):
    manifest, cache = _manifest(tmp_path), tmp_path / "cache"
    first = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache).table
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for path in entries:
        path.write_bytes(b"")  # what a full disk or a killed writer can leave
    second = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache)
    assert second.table["error"].isna().all()
    pd.testing.assert_series_equal(first["value"], second.table["value"])
    assert second.run["cache"]["damaged"] == len(entries)
    assert all(path.stat().st_size > 0 for path in entries)  # rewritten, so the third run reads them
    third = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache)
    assert third.run["cache"]["damaged"] == 0 and third.run["cache"]["score_hits"] == len(manifest)


def test_truncated_and_edited_array_entries_are_rejected(tmp_path):
    cache = OutputCache(tmp_path)
    cache.put("m", "f" * 16, "ab" * 32, np.arange(5.0))
    path = next(tmp_path.rglob("*.arr"))
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    assert cache.get("m", "f" * 16, "ab" * 32) is None
    cache.put("m", "f" * 16, "ab" * 32, np.arange(5.0))
    edited = bytearray(path.read_bytes())
    edited[-1] ^= 0xFF  # one flipped byte of the last float
    path.write_bytes(bytes(edited))
    assert cache.get("m", "f" * 16, "ab" * 32) is None
    assert cache.damaged == 2 and not path.exists()


def test_an_edited_verdict_record_is_rejected_by_its_checksum(tmp_path, plugin):
    manifest, cache = _manifest(tmp_path, n=1), tmp_path / "cache"
    first = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache).table
    for path in (cache / "records").rglob("*.json"):
        envelope = json.loads(path.read_text())
        envelope["record"]["values"] = [["ratio", 42.0], ["checksum", 1.0]]
        path.write_text(json.dumps(envelope))
    second = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache)
    assert 42.0 not in set(second.table["value"])
    pd.testing.assert_series_equal(first["value"], second.table["value"])
    assert second.run["cache"]["score_hits"] == 0


def test_a_record_with_a_valid_checksum_but_an_impossible_value_is_rejected(tmp_path, plugin):
    import hashlib

    from emoeval.cache import _canonical_json

    manifest, cache = _manifest(tmp_path, n=1), tmp_path / "cache"
    first = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache).table
    for path in (cache / "records").rglob("*.json"):
        record = json.loads(path.read_text())["record"]
        record["values"] = [["ratio", 1.0], ["checksum", 500.0]]  # checksum's declared range is [0, 96]
        path.write_text(json.dumps({"record": record, "sha256": hashlib.sha256(_canonical_json(record)).hexdigest()}))
    second = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache)
    assert 500.0 not in set(second.table["value"])
    pd.testing.assert_series_equal(first["value"], second.table["value"])


# -- 5. one run per output folder; resume keeps only this configuration's rows --------------------------------

_HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from emoeval.runner.folder import RunFolder
    folder = RunFolder(Path(sys.argv[1]))
    folder.acquire()
    print("locked", flush=True)
    sys.stdin.readline()
    folder.close()
    """
)


def test_a_second_run_into_a_folder_in_use_fails_naming_the_holder(tmp_path, plugin):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunConfigError, match=rf"in use by another emoeval run \(pid {holder.pid}\)"):
            emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio"], out=out)
        assert not (out / "run.json").exists() and not (out / RUN_PARTIAL_JSON).exists()
    finally:
        holder.communicate("\n", timeout=30)
    # the lock dies with its holder: the folder is usable again
    emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio"], out=out)
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


def test_the_lock_of_a_killed_run_is_released(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    holder.kill()
    holder.wait(timeout=30)
    from emoeval.runner.folder import RunFolder

    with RunFolder(out) as folder:
        folder.acquire()  # no stale lock
    assert (out / LOCK_FILE).exists()


def test_resume_drops_flushed_rows_of_another_configuration(tmp_path, plugin):
    manifest, out = _manifest(tmp_path, n=5), tmp_path / "out"
    plugin.INTERRUPT_AFTER["batches"] = 2
    with pytest.raises(KeyboardInterrupt):
        emoeval.score(manifest, metrics=["fake_length_ratio"], out=out)
    plugin.INTERRUPT_AFTER["batches"] = None
    own = [json.loads(line) for line in (out / PARTIAL_ROWS).read_text().splitlines()]
    foreign = []
    for i in range(5):  # rows another run (another config) left for samples this run has not done yet
        for system, prefix in (("alpha", "0"), ("beta", "1")):
            foreign.append({**own[0], "system": system, "sample_id": f"{prefix}/{i}", "value": 999.0})
    for row in foreign:
        row["config_hash"] = "f" * 64
    with (out / PARTIAL_ROWS).open("a") as handle:
        handle.write("".join(json.dumps(row) + "\n" for row in foreign))
    resumed = emoeval.score(manifest, metrics=["fake_length_ratio"], out=out)
    assert 999.0 not in set(resumed.table["value"])
    assert set(resumed.table["config_hash"]) == {resumed.run["config_hash"]}
    clean = emoeval.score(manifest, metrics=["fake_length_ratio"], resume=False)
    keep = ["system", "sample_id", "sub_metric", "value"]
    pd.testing.assert_frame_equal(
        resumed.samples()[keep].sort_values(keep[:3]).reset_index(drop=True),
        clean.samples()[keep].sort_values(keep[:3]).reset_index(drop=True),
    )


def test_an_unfinished_run_of_another_configuration_is_not_discarded_silently(tmp_path, plugin):
    out = tmp_path / "out"
    plugin.INTERRUPT_AFTER["batches"] = 1
    with pytest.raises(KeyboardInterrupt):
        emoeval.score(_manifest(tmp_path, n=3), metrics=["fake_length_ratio"], out=out)
    plugin.INTERRUPT_AFTER["batches"] = None
    flushed = (out / PARTIAL_ROWS).read_text()
    with pytest.raises(RunConfigError, match="unfinished run of another configuration"):
        emoeval.score(_manifest(tmp_path, n=2), metrics=["fake_length_ratio"], out=out)
    assert (out / PARTIAL_ROWS).read_text() == flushed  # its work is still there to resume
    emoeval.score(_manifest(tmp_path, n=2), metrics=["fake_length_ratio"], out=out, overwrite=True)
    assert emoeval.load_results(out).run["inputs"]["n_samples"] == 4


# -- 6. results without a record; unwritable folders ----------------------------------------------------------


@pytest.mark.parametrize("name", ["results.parquet", "results.csv"])
def test_a_results_table_without_run_json_is_not_overwritten_silently(tmp_path, plugin, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(b"someone else's table")
    with pytest.raises(RunConfigError, match=f"holds {name} with no run.json"):
        emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio"], out=out)
    assert (out / name).read_bytes() == b"someone else's table"
    emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio"], out=out, overwrite=True)
    assert emoeval.load_results(out).run["status"] == "complete"


def _read_only(folder, command: list[str]) -> list[str]:
    """``command`` run where ``folder`` cannot be written. Root ignores permission bits, so as root the folder is
    bind-mounted read-only in a private mount namespace (``unshare -m``); otherwise ``chmod`` is enough."""
    import shutil

    if os.geteuid() != 0:
        for path in [*folder.iterdir(), folder]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return command
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a folder read-only for the test")
    remount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", remount, str(folder), *command]


def test_a_read_only_out_gives_one_line_and_keeps_the_finished_run(tmp_path):
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame(
        {
            "sample_id": [f"t{i}" for i in range(4)],
            "system": ["bot"] * 4,
            "modality": ["text"] * 4,
            "text": ["hello there", "good day to you", "hi", "hello again friend"],
        }
    ).to_csv(manifest, index=False)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "emoeval.cli", "score", str(manifest), "--metrics", "text_distinct_n"]
    command += ["--out", str(out), "--no-cache", "--quiet"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    finished = (out / "run.json").read_bytes()
    try:
        again = subprocess.run(_read_only(out, command), capture_output=True, text=True, timeout=300)
    finally:
        for path in [out, *out.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert again.returncode == 1, again.stderr
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in again.stderr, again.stderr
    assert lines[0].startswith("emoeval: error: cannot write to the output folder") and "--out" in lines[0]
    assert (out / "run.json").read_bytes() == finished
    assert emoeval.load_results(out).run["status"] == "complete"


# -- 12. deterministic error texts ----------------------------------------------------------------------------


def test_error_texts_carry_no_memory_addresses(tmp_path):
    pytest.importorskip("PIL")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really an image")
    reference = tmp_path / "ref.png"
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 128, dtype=np.uint8)).save(reference)
    manifest = pd.DataFrame(
        [{"sample_id": "a", "system": "s", "modality": "face", "path": str(corrupt), "reference": str(reference)}]
    )
    first = emoeval.score(manifest, metrics=["face_image_quality"], use_cache=False).errors()
    second = emoeval.score(manifest, metrics=["face_image_quality"], use_cache=False).errors()
    sample_error = first.loc[first["scope"] == "sample", "error"]
    assert len(sample_error) == 1 and "corrupt.png" in sample_error.iloc[0]
    assert not first["error"].str.contains("0x").any()
    assert first["error"].tolist() == second["error"].tolist()


def test_stable_message_keeps_byte_values():
    assert stable_message("<function f at 0x7f00deadbeef> failed") == "<function f> failed"
    assert stable_message("byte 0xe9 at position 3") == "byte 0xe9 at position 3"
