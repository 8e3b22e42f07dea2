"""The output cache's size bound: LRU order (a hit refreshes an entry), prune to a size, clear, info, verify, the
size setting and ``emoeval cache``. Sizes are checked against coreutils ``du``; LRU order against an
``OrderedDict`` LRU model. No timing is measured: last-use times are set explicitly with ``os.utime``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from emoeval.cache import (
    MAX_SIZE_ENV,
    OutputCache,
    cache_size_limit,
    format_size,
    mark_used,
    parse_size,
)
from emoeval.cli import main
from emoeval.errors import RunConfigError

FP = "f" * 64  # a model fingerprint


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _set_time(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def _du_bytes(paths: list[Path]) -> int:
    """Bytes on disk of ``paths`` as coreutils ``du`` counts them (the reference for the cache's sizes)."""
    if not paths:
        return 0
    out = subprocess.run(["du", "-B1", "-c", *map(str, paths)], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1].split()[0])


def _fill(cache: OutputCache, names: list[str], *, length: int = 10) -> dict[str, Path]:
    """One output entry per name, the i-th last used (1000 - i) seconds ago: ``names`` in LRU order."""
    paths = {}
    for i, name in enumerate(names):
        cache.put("model-a", FP, _key(name), np.arange(length * (i + 1), dtype=np.float64))
        paths[name] = cache._path("model-a", FP, _key(name))
        _set_time(paths[name], 1000 - i)
    return paths


# -- size setting -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", 1234),
        ("0", 0),
        ("5G", 5 * 10**9),
        ("5g", 5 * 10**9),
        ("500M", 500 * 10**6),
        ("500MB", 500 * 10**6),
        ("2k", 2000),
        ("1T", 10**12),
        ("2Gi", 2 * 2**30),
        ("2GiB", 2 * 2**30),
        ("1.5Mi", 3 * 2**19),
        ("0.5G", 5 * 10**8),
        (" 7 M ", 7 * 10**6),
    ],
)
def test_parse_size_reads_bytes_and_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "G", "-5G", "5X", "5 gigs", "1e9", "five", "5GG", "inf"])
def test_parse_size_refuses_what_is_not_a_size_naming_the_setting(text):
    with pytest.raises(RunConfigError, match=r"^--max-size=.* is not a size: give a number of bytes"):
        parse_size(text, what="--max-size")


def test_the_limit_comes_from_the_environment_and_a_bad_value_fails_when_the_cache_is_made(tmp_path, monkeypatch):
    assert cache_size_limit({}) is None
    assert cache_size_limit({MAX_SIZE_ENV: "  "}) is None
    assert cache_size_limit({MAX_SIZE_ENV: "3M"}) == 3_000_000
    monkeypatch.delenv(MAX_SIZE_ENV, raising=False)
    assert OutputCache(tmp_path).max_bytes is None
    assert OutputCache(tmp_path).prune_to_limit() is None
    monkeypatch.setenv(MAX_SIZE_ENV, "250k")
    assert OutputCache(tmp_path).max_bytes == 250_000
    monkeypatch.setenv(MAX_SIZE_ENV, "lots")
    with pytest.raises(RunConfigError, match=f"{MAX_SIZE_ENV}='lots' is not a size"):
        OutputCache(tmp_path)


def test_a_bad_limit_stops_a_run_before_it_scores(tmp_path, monkeypatch):
    import pandas as pd

    import emoeval

    monkeypatch.setenv(MAX_SIZE_ENV, "5 gigs")
    rows = pd.DataFrame([{"sample_id": "1", "system": "s", "modality": "text", "text": "a b c"}])
    with pytest.raises(RunConfigError, match=f"{MAX_SIZE_ENV}='5 gigs' is not a size"):
        emoeval.score(rows, metrics=["text_distinct_n"], cache_dir=tmp_path / "c", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_format_size_round_trips_through_parse_size():
    for n in (0, 999, 1500, 2_345_678, 4_200_000_000, 7 * 10**12):
        text = format_size(n)
        assert abs(parse_size(text.replace(" ", "")) - n) <= 0.05 * n + 1, text


# -- LRU order and prune ------------------------------------------------------------------------------------------
def test_a_hit_refreshes_an_entry_so_it_survives_prune(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    names = [f"item{i}" for i in range(8)]
    paths = _fill(cache, names, length=4)
    hit = ["item0", "item5", "item2"]  # the three oldest would go first without the hits
    lru = OrderedDict((name, None) for name in names)  # the reference: an LRU list, least recent first
    for name in hit:
        assert cache.get("model-a", FP, _key(name)) is not None
        lru.move_to_end(name)
    keep = len(hit)
    limit = _du_bytes([paths[name] for name in list(lru)[-keep:]])
    report = cache.prune(limit)
    survivors = {name for name, path in paths.items() if path.exists()}
    assert survivors == set(list(lru)[-keep:]) == set(hit)
    assert report.removed == len(names) - keep and report.remaining_bytes <= limit


def test_a_record_hit_refreshes_the_record_too(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    for i in range(3):
        cache.put_record("scores-v3/m", _key(str(i)), {"values": [["x", float(i)]]})
        _set_time(cache._record_path("scores-v3/m", _key(str(i))), 100 - i)
    assert cache.get_record("scores-v3/m", _key("0")) == {"values": [["x", 0.0]]}
    path0 = cache._record_path("scores-v3/m", _key("0"))
    cache.prune(_du_bytes([path0]))
    assert [p.name for p in tmp_path.rglob("*.json")] == [path0.name]


def test_a_hit_on_an_entry_used_within_a_minute_writes_no_new_time(tmp_path):
    """A warm run touches each entry at most once a minute (no metadata write per hit on network storage)."""
    from emoeval.cache import REFRESH_SECONDS

    cache = OutputCache(tmp_path, max_bytes=None)
    paths = _fill(cache, ["recent", "old"])
    _set_time(paths["recent"], REFRESH_SECONDS / 6)
    _set_time(paths["old"], REFRESH_SECONDS * 2)
    before = {name: path.stat().st_mtime for name, path in paths.items()}
    for name in paths:
        assert cache.get("model-a", FP, _key(name)) is not None
    assert paths["recent"].stat().st_mtime == before["recent"]
    assert paths["old"].stat().st_mtime > before["recent"]


def test_a_record_that_is_not_utf8_is_a_miss_not_a_crash(tmp_path):
    """Bug: bytes that are not UTF-8 in a record file raised UnicodeDecodeError out of get_record (a damaged cache
    must never break a run)."""
    cache = OutputCache(tmp_path, max_bytes=None)
    cache.put_record("scores-v3/m", _key("r"), {"v": 1.0})
    path = cache._record_path("scores-v3/m", _key("r"))
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert cache.get_record("scores-v3/m", _key("r")) is None
    assert (cache.damaged, cache.record_misses) == (1, 1) and not path.exists()


def test_prune_removes_the_least_recently_used_until_the_rest_fit(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    names = [f"item{i}" for i in range(6)]
    paths = _fill(cache, names, length=700)  # 5.6 kB .. 34 kB: entries of different sizes
    sizes = [_du_bytes([paths[name]]) for name in names]
    limit = sum(sizes) - sizes[0] - sizes[1] // 2  # the two oldest must go, the third may stay
    expected_gone = []
    total = sum(sizes)
    for name, size in zip(names, sizes, strict=True):  # reference: drop oldest first until within the limit
        if total <= limit:
            break
        expected_gone.append(name)
        total -= size
    report = cache.prune(limit)
    assert sorted(n for n, p in paths.items() if not p.exists()) == sorted(expected_gone) == ["item0", "item1"]
    assert report.freed_bytes == sum(sizes[:2]) and report.remaining_bytes == total <= limit
    assert cache.info().bytes == _du_bytes([p for p in paths.values() if p.exists()])
    folders = {p for p in (tmp_path / "model-a" / FP[:16]).iterdir()}
    assert folders == {p.parent for p in paths.values() if p.exists()}  # folders left empty went
    assert cache.prune(0).remaining_entries == 0 and not any(tmp_path.iterdir())


def test_prune_keeps_young_temporary_files_and_removes_stale_ones(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    _fill(cache, ["a"])
    folder = next(tmp_path.rglob("*.arr")).parent
    young, stale = folder / ".x.arr.abc123.tmp", folder / ".y.arr.def456.tmp"
    young.write_bytes(b"half written")
    stale.write_bytes(b"left by a killed writer")
    _set_time(young, 5 * 60)
    _set_time(stale, 2 * 3600)
    info = cache.info()
    assert (info.temp_files, info.stale_temp_files, info.entries) == (2, 1, 1)
    report = cache.prune(10**12)
    assert report.stale_temp_removed == 1 and report.removed == 0
    assert young.exists() and not stale.exists()
    cache.clear()
    assert young.exists()  # a writer may still be at work: even clear leaves it


def test_an_entry_used_after_prune_looked_at_it_is_kept(tmp_path, monkeypatch):
    """Another process hits an entry between prune's scan and its removal: the entry stays."""
    cache = OutputCache(tmp_path, max_bytes=None)
    paths = _fill(cache, ["old", "new"])
    scan = cache._scan

    def scan_then_hit():
        found = scan()
        other = OutputCache(tmp_path, max_bytes=None)
        assert other.get("model-a", FP, _key("old")) is not None  # "another process" uses it now
        return found

    monkeypatch.setattr(cache, "_scan", scan_then_hit)
    report = cache.prune(0)
    assert paths["old"].exists() and not paths["new"].exists()
    assert report.kept_in_use == 1 and report.removed == 1


def test_a_vanished_entry_counts_as_removed(tmp_path, monkeypatch):
    cache = OutputCache(tmp_path, max_bytes=None)
    paths = _fill(cache, ["a", "b"])
    scan = cache._scan

    def scan_then_vanish():
        found = scan()
        paths["a"].unlink()  # pruned by another process meanwhile
        return found

    monkeypatch.setattr(cache, "_scan", scan_then_vanish)
    report = cache.prune(0)
    assert report.removed == 2 and not report.failed and not any(tmp_path.rglob("*.arr"))


def test_a_writer_whose_folder_is_pruned_away_retries(tmp_path, monkeypatch):
    """prune removes empty folders; a writer that just created one must not fail when it goes (bug: it did)."""
    import emoeval.cache as cache_module

    real = cache_module.atomic_write_bytes
    calls = []

    def folder_removed_first(path, data):
        calls.append(path)
        if len(calls) == 1:
            shutil.rmtree(path.parent)  # a concurrent prune removed the new, still empty folder
        return real(path, data)

    monkeypatch.setattr(cache_module, "atomic_write_bytes", folder_removed_first)
    cache = OutputCache(tmp_path, max_bytes=None)
    cache.put("model-a", FP, _key("x"), np.arange(3.0))
    np.testing.assert_array_equal(cache.get("model-a", FP, _key("x")), np.arange(3.0))
    assert len(calls) == 2


def test_a_writer_whose_new_folder_vanishes_inside_mkdir_retries(tmp_path, monkeypatch):
    """Another writer creates the folder, then a prune removes it before ``mkdir(exist_ok=True)`` checks it is a
    folder: pathlib raises FileExistsError (bug: the run failed; found by the concurrency test)."""
    real = Path.mkdir
    calls = []

    def racing_mkdir(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 1:
            raise FileExistsError(17, "File exists", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", racing_mkdir)
    cache = OutputCache(tmp_path, max_bytes=None)
    cache.put_record("scores-v3/m", _key("r"), {"v": 1.0})
    monkeypatch.setattr(Path, "mkdir", real)
    assert cache.get_record("scores-v3/m", _key("r")) == {"v": 1.0}


def test_prune_to_limit_uses_the_environment_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_SIZE_ENV, "0")
    cache = OutputCache(tmp_path)
    _fill(cache, ["a", "b"])
    report = cache.prune_to_limit()
    assert report is not None and report.removed == 2 and report.remaining_bytes == 0


# -- info, verify, clear ------------------------------------------------------------------------------------------
def _probe_folder(root: Path, model: str = "speech-emotion-probe", key: str = "k" * 32) -> Path:
    folder = root / "emotion-probes" / model / key
    folder.mkdir(parents=True)
    (folder / "probe.npz").write_bytes(b"npz bytes")
    (folder / "probe.json").write_text("{}")
    hashes = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("probe.npz", "probe.json")}
    (folder / "probe.sha256").write_text("".join(f"{h}  {n}\n" for n, h in hashes.items()))
    return folder


def test_info_breaks_the_folder_down_by_model_namespace_and_probe(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=7_000_000)
    outputs = _fill(cache, ["a", "b", "c"])
    cache.put("model-b", FP, _key("z"), np.zeros(2000))
    for i in range(2):
        cache.put_record("scores-v3/metric_x", _key(str(i)), {"v": i})
    probe = _probe_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("not a cache entry")
    _set_time(outputs["a"], 5000)
    info = cache.info()
    groups = {(g.kind, g.group): g for g in info.groups}
    assert set(groups) == {
        ("output", "model-a"),
        ("output", "model-b"),
        ("record", "scores-v3/metric_x"),
        ("probe", "speech-emotion-probe"),
    }
    assert [groups[k].entries for k in sorted(groups)] == [3, 1, 1, 2]
    assert groups["output", "model-a"].bytes == _du_bytes(list(outputs.values()))
    assert groups["probe", "speech-emotion-probe"].bytes == _du_bytes(list(probe.iterdir()))
    entry_files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "notes.txt"]
    assert (info.entries, info.bytes) == (7, _du_bytes(entry_files))
    assert info.oldest_use == pytest.approx(outputs["a"].stat().st_mtime)
    assert groups["output", "model-a"].oldest_use == info.oldest_use
    assert info.newest_use == max(p.stat().st_mtime for p in [*entry_files, probe])
    assert (info.other_files, info.max_bytes) == (1, 7_000_000)
    as_json = info.to_dict()
    assert json.loads(json.dumps(as_json))["bytes"] == info.bytes and len(as_json["groups"]) == 4


def test_mark_used_refreshes_a_probe_folder(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    probe = _probe_folder(tmp_path)
    for path in [*probe.iterdir(), probe]:
        _set_time(path, 3000)
    _fill(cache, ["a"])
    assert cache.entries()[0].kind == "probe"  # least recently used
    mark_used(probe)
    assert cache.entries()[-1].kind == "probe"
    cache.prune(_du_bytes(list(probe.iterdir())))
    assert probe.is_dir() and not any(tmp_path.rglob("*.arr"))


def test_verify_reports_damaged_entries_without_removing_them(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    paths = _fill(cache, ["good", "truncated", "edited"])
    cache.put_record("scores-v3/m", _key("r"), {"v": 1.0})
    record = cache._record_path("scores-v3/m", _key("r"))
    probe = _probe_folder(tmp_path)
    assert cache.verify().ok and cache.verify().checked == 5
    paths["truncated"].write_bytes(paths["truncated"].read_bytes()[:-4])
    edited = bytearray(paths["edited"].read_bytes())
    edited[-1] ^= 1
    paths["edited"].write_bytes(bytes(edited))
    envelope = json.loads(record.read_text())
    envelope["record"]["v"] = 2.0
    record.write_text(json.dumps(envelope))
    (probe / "probe.npz").write_bytes(b"other bytes")
    report = cache.verify()
    assert sorted(d.path for d in report.damaged) == sorted([paths["truncated"], paths["edited"], record, probe])
    assert report.checked == 5 and not report.ok
    assert all(d.path.exists() for d in report.damaged)  # reported, not removed
    assert cache.damaged == 0
    # and a run meeting them treats them as misses, as before
    assert cache.get("model-a", FP, _key("edited")) is None and cache.get_record("scores-v3/m", _key("r")) is None


def test_clear_removes_every_entry_and_nothing_else(tmp_path):
    cache = OutputCache(tmp_path, max_bytes=None)
    _fill(cache, ["a", "b"])
    cache.put_record("scores-v3/m", _key("r"), {"v": 1.0})
    _probe_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("keep me")
    report = cache.clear()
    assert (report.removed, report.remaining_entries) == (4, 0)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.txt"]
    assert cache.info().entries == 0


# -- emoeval cache ------------------------------------------------------------------------------------------------
@pytest.fixture
def filled(tmp_path) -> tuple[OutputCache, dict[str, Path]]:
    cache = OutputCache(tmp_path / "c", max_bytes=None)
    paths = _fill(cache, ["a", "b", "c"], length=700)
    cache.put_record("scores-v3/metric_x", _key("r"), {"v": 1.0})
    return cache, paths


def test_cli_info_prints_a_table_and_json(filled, monkeypatch):
    cache, _ = filled
    monkeypatch.delenv(MAX_SIZE_ENV, raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["cache", "info", "--cache-dir", str(cache.root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"cache folder: {cache.root}"
    assert lines[1].split()[:4] == ["kind", "model", "/", "namespace"]
    info = cache.info()
    assert lines[2].split()[:4] == ["output", "model-a", "3", *format_size(info.groups[0].bytes).split()[:1]]
    assert lines[4].split()[:3] == ["total", "4", format_size(info.bytes).split()[0]]
    assert "size limit: none" in result.output
    as_json = runner.invoke(main, ["cache", "info", "--cache-dir", str(cache.root), "--json"])
    data = json.loads(as_json.output)
    assert (data["entries"], data["bytes"]) == (4, info.bytes)
    monkeypatch.setenv(MAX_SIZE_ENV, "1M")
    limited = runner.invoke(main, ["cache", "info", "--cache-dir", str(cache.root)])
    assert f"size limit: 1.0 MB ({MAX_SIZE_ENV}, " in limited.output


def test_cli_prune_to_a_size(filled, monkeypatch):
    cache, paths = filled
    monkeypatch.delenv(MAX_SIZE_ENV, raising=False)
    runner = CliRunner()
    keep = _du_bytes([paths["c"]])
    cache.get("model-a", FP, _key("c"))  # c and the record are the newest
    result = runner.invoke(main, ["cache", "prune", "--cache-dir", str(cache.root), "--max-size", str(keep + 4096)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 2 entries")
    assert [n for n, p in paths.items() if p.exists()] == ["c"]
    bad = runner.invoke(main, ["cache", "prune", "--cache-dir", str(cache.root), "--max-size", "5X"])
    assert bad.exit_code == 2 and "--max-size='5X' is not a size" in bad.output
    missing = runner.invoke(main, ["cache", "prune", "--cache-dir", str(cache.root)])
    assert missing.exit_code == 2 and f"set {MAX_SIZE_ENV}" in missing.output
    monkeypatch.setenv(MAX_SIZE_ENV, "0")
    from_env = runner.invoke(main, ["cache", "prune", "--cache-dir", str(cache.root)])
    assert from_env.exit_code == 0 and cache.info().entries == 0


def test_cli_clear_asks_first(filled):
    cache, _ = filled
    runner = CliRunner()
    refused = runner.invoke(main, ["cache", "clear", "--cache-dir", str(cache.root)], input="n\n")
    assert refused.exit_code == 1 and "Remove 4 cache entries" in refused.output
    assert cache.info().entries == 4
    agreed = runner.invoke(main, ["cache", "clear", "--cache-dir", str(cache.root)], input="y\n")
    assert agreed.exit_code == 0 and cache.info().entries == 0
    again = runner.invoke(main, ["cache", "clear", "--yes", "--cache-dir", str(cache.root)])
    assert again.exit_code == 0 and "nothing to remove" in again.output


def test_cli_clear_yes_and_verify(filled):
    cache, paths = filled
    runner = CliRunner()
    ok = runner.invoke(main, ["cache", "verify", "--cache-dir", str(cache.root)])
    assert ok.exit_code == 0 and "4 entries checked, 0 damaged" in ok.output
    paths["b"].write_bytes(b"")
    bad = runner.invoke(main, ["cache", "verify", "--cache-dir", str(cache.root)])
    assert bad.exit_code == 1 and f"damaged output (model-a): {paths['b']}" in bad.output
    assert "emoeval: error: 1 damaged cache entries" in bad.output
    cleared = runner.invoke(main, ["cache", "clear", "-y", "--cache-dir", str(cache.root)])
    assert cleared.exit_code == 0 and cleared.output.startswith("removed 4 entries")


def test_cli_uses_the_default_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(tmp_path / "env-cache"))
    OutputCache(tmp_path / "env-cache", max_bytes=None).put("m", FP, _key("a"), np.zeros(3))
    result = CliRunner().invoke(main, ["cache", "info"])
    assert result.exit_code == 0 and f"cache folder: {tmp_path / 'env-cache'}" in result.output
    assert "output  m " in result.output


def test_reusing_a_fitted_emotion_probe_marks_it_used(tmp_path):
    """A probe found in the cache by ``prepare_folder`` is a hit: its folder becomes the most recently used entry."""
    import pandas as pd

    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore
    from emoeval.reference_models.text_emotion_probe import TextEmotionProbe

    texts = {
        "happy": ["What a lovely day!", "I'm so glad you came.", "This is wonderful news.", "I love it!"],
        "sad": ["I miss her so much.", "Nothing feels right anymore.", "I cried all night.", "It's all lost."],
        "angry": ["Stop lying to me!", "I'm furious with you.", "Get out now!", "How dare you?"],
    }
    table = tmp_path / "reference.csv"
    pd.DataFrame([{"text": t, "emotion": e} for e, chosen in texts.items() for t in chosen]).to_csv(table)
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    cache = OutputCache(tmp_path / "cache", max_bytes=None)
    folder = TextEmotionProbe.prepare_folder(table, pool, cache)
    assert folder.parent.parent == cache.root / "emotion-probes"
    for path in [*cache.root.rglob("*")]:  # the probe, and the MiniLM outputs it was fitted on: long unused
        _set_time(path, 3000 if "emotion-probes" in path.parts else 2000)
    assert cache.entries()[0].kind == "probe"
    assert TextEmotionProbe.prepare_folder(table, pool, cache) == folder  # found in the cache, not fitted again
    newest = cache.entries()[-1]
    assert (newest.kind, newest.path) == ("probe", folder)


def test_a_run_ends_by_pruning_the_cache_to_its_limit(tmp_path, monkeypatch, plugin):
    import pandas as pd

    import emoeval

    files = tmp_path / "files"
    files.mkdir()
    rows = []
    for i in range(12):
        (files / f"{i}.bin").write_bytes(bytes([65 + i]) * (5 + i))
        rows.append({"sample_id": str(i), "system": "s", "modality": "face", "path": str(files / f"{i}.bin")})
    (files / "ref.bin").write_bytes(b"r" * 10)
    manifest = pd.DataFrame(rows).assign(reference=str(files / "ref.bin"))
    cache = tmp_path / "cache"
    emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache, n_bootstrap=0)
    unbounded = OutputCache(cache).info()
    limit = unbounded.bytes // 2
    monkeypatch.setenv("EMOEVAL_CACHE_MAX_SIZE", str(limit))
    results = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=cache, n_bootstrap=0, out=tmp_path / "o")
    pruned = results.run["cache"]["pruned"]
    assert pruned["removed"] > 0 and pruned["remaining_bytes"] <= limit
    assert OutputCache(cache).info().bytes <= limit < unbounded.bytes
    assert json.loads((tmp_path / "o" / "run.json").read_text())["cache"]["pruned"] == pruned
