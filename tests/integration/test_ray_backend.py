"""The Ray backend writes the same results as the local one, survives a dying worker and resumes.

A local Ray instance with two CPUs (never a remote cluster) runs two actors; the fake plug-in of tests/conftest.py
reaches them through ``PYTHONPATH`` in Ray's runtime environment, as a real plug-in would be installed on a
cluster's nodes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.errors import EmoevalError, RunConfigError
from emoeval.runner.folder import PARTIAL_ROWS, RunFolder

DEMO_MANIFEST = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo" / "manifest.csv"

ray = pytest.importorskip("ray", reason="the Ray backend's extra is not installed: pip install 'emoeval[ray]'")

#: run.json keys that differ between any two runs (times, ids, the cache folder) or name the backend
VOLATILE_RUN_KEYS = {"run_id", "created_at", "finished_at", "duration_s", "cache", "backend"}
VOLATILE_COLUMNS = ["run_id", "created_at"]
METRICS = ["fake_length_ratio", "fake_size_gap", "text_distinct_n"]


@pytest.fixture(scope="module")
def local_ray(plugin_root: Path):
    """A local Ray instance with 2 CPUs whose workers can import the fake plug-in."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        runtime_env={"env_vars": {"PYTHONPATH": str(plugin_root), "EMOEVAL_OFFLINE": "1"}},
    )
    yield ray
    ray.shutdown()


def _manifest(folder: Path, *, die_once: bool = False) -> pd.DataFrame:
    """Two face systems of 9 files each (with a corrupt, a missing and a crashing sample) and a text system."""
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 10)
    rows = []
    for system in ("alpha", "beta"):
        for i in range(9):
            path = files / f"{system}_{i}.bin"
            path.write_bytes(bytes([65 + i]) * (5 + i + (3 if system == "beta" else 0)))
            rows.append({"sample_id": f"{system}/{i}", "path": str(path)})
        for row in rows[-9:]:
            row.update(system=system, modality="face", reference=str(reference), target_emotion="happy")
    corrupt = files / "corrupt.bin"
    corrupt.write_bytes(b"CORRUPT data")
    (files / "crash.bin").write_bytes(b"crash" * 3)  # a file of its own: a verdict is cached by content
    rows += [
        {"sample_id": "alpha/corrupt", "path": str(corrupt)},
        {"sample_id": "alpha/missing", "path": str(files / "gone.bin")},
        {"sample_id": "alpha/crash", "path": str(files / "crash.bin")},
    ]
    if die_once:
        (files / "die.bin").write_bytes(b"d" * 7)
        rows.append({"sample_id": "alpha/die-once", "path": str(files / "die.bin")})
    for row in rows[-4 if die_once else -3 :]:
        row.update(system="alpha", modality="face", reference=str(reference), target_emotion="happy")
    replies = ["I am so glad for you", "that is wonderful news", "oh no, I am sorry", "what a lovely day", "hm"]
    rows += [
        {"sample_id": f"chat/{i}", "system": "chat", "modality": "text", "text": text}
        for i, text in enumerate(replies * 2)
    ]
    return pd.DataFrame(rows)


def _score(manifest: pd.DataFrame, out: Path, cache: Path, **options) -> emoeval.Results:
    return emoeval.score(manifest, metrics=METRICS, out=out, cache_dir=cache, n_bootstrap=200, **options)


def _same_results(first: Path, second: Path) -> None:
    """Equal tables (values, intervals, errors, provenance) and run records apart from ids, times and backend."""
    a, b = emoeval.load_results(first), emoeval.load_results(second)
    pd.testing.assert_frame_equal(a.table.drop(columns=VOLATILE_COLUMNS), b.table.drop(columns=VOLATILE_COLUMNS))
    run_a = {k: v for k, v in a.run.items() if k not in VOLATILE_RUN_KEYS}
    run_b = {k: v for k, v in b.run.items() if k not in VOLATILE_RUN_KEYS}
    assert run_a == run_b


def _no_duplicates(out: Path) -> None:
    table = emoeval.load_results(out).table
    keys = table[["metric", "system", "sample_id", "target_emotion", "sub_metric", "scope"]].astype(str)
    assert not keys.duplicated().any()
    assert not (out / PARTIAL_ROWS).exists()


def test_ray_and_local_write_the_same_table(local_ray, plugin, tmp_path):
    manifest = _manifest(tmp_path)
    local = _score(manifest, tmp_path / "local", tmp_path / "cache-local")
    on_ray = _score(manifest, tmp_path / "ray", tmp_path / "cache-ray", backend="ray", num_workers=2)
    _same_results(tmp_path / "local", tmp_path / "ray")
    # the table holds what it should: error rows for the three bad samples, a corpus value, the plug-in's max
    errors = local.samples().dropna(subset=["error"])
    assert {"alpha/corrupt", "alpha/missing", "alpha/crash"} <= set(errors.sample_id)
    assert on_ray.systems()["metric"].str.startswith("fake_size_gap").any()
    backend = json.loads((tmp_path / "ray" / "run.json").read_text())["backend"]
    assert backend["name"] == "ray" and backend["workers"] == 2
    assert "fake-embedder" in backend["loaded_models"]  # the workers, not the driver's pool, ran the model
    assert json.loads((tmp_path / "local" / "run.json").read_text())["backend"]["name"] == "local"
    _no_duplicates(tmp_path / "ray")


def test_a_worker_that_dies_mid_run_loses_no_sample(local_ray, plugin, tmp_path):
    manifest = _manifest(tmp_path, die_once=True)
    marker = Path(manifest.loc[manifest.sample_id == "alpha/die-once", "path"].item() + ".died")
    marker.touch()  # the local run must not kill this test's process
    _score(manifest, tmp_path / "local", tmp_path / "cache-local")
    marker.unlink()
    _score(manifest, tmp_path / "ray", tmp_path / "cache-ray", backend="ray", num_workers=2)
    assert marker.exists(), "no worker died: the test did not exercise a restart"
    _same_results(tmp_path / "local", tmp_path / "ray")
    _no_duplicates(tmp_path / "ray")


def test_a_worker_that_dies_with_no_restart_left_stops_the_run_with_a_message(local_ray, plugin, tmp_path):
    from emoeval.runner.ray_backend import RayBackend

    manifest = _manifest(tmp_path, die_once=True)
    with pytest.raises(EmoevalError, match="resume"):
        _score(manifest, tmp_path / "ray", tmp_path / "cache", backend=RayBackend(num_workers=2, max_restarts=0))
    assert not (tmp_path / "ray" / "run.json").exists()  # an unfinished run: the same command resumes it


def test_real_models_on_ray_give_the_local_values(local_ray, tmp_path):
    """The demo's faces through the packaged recognizer, detector and Inception, loaded inside the actors."""
    options = {"real_system": "real_smile", "use_cache": False, "n_bootstrap": 100}
    metrics = ["face_emotion_accuracy", "face_fd"]
    local = emoeval.score(DEMO_MANIFEST, metrics=metrics, out=tmp_path / "local", **options)
    on_ray = emoeval.score(DEMO_MANIFEST, metrics=metrics, out=tmp_path / "ray", backend="ray", **options)
    _same_results(tmp_path / "local", tmp_path / "ray")
    assert local.table.value.notna().sum() > 20
    assert {"fer-mini-xception", "fid-inception-v3"} <= set(on_ray.run["backend"]["loaded_models"])


def test_an_interrupted_ray_run_resumes_to_the_same_table(local_ray, plugin, tmp_path, monkeypatch):
    manifest = _manifest(tmp_path)
    _score(manifest, tmp_path / "local", tmp_path / "cache-local")
    flushes = {"n": 0}
    original_flush = RunFolder.flush

    def flush_then_stop(self, rows):
        original_flush(self, rows)
        flushes["n"] += 1
        if flushes["n"] == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "flush", flush_then_stop)
    with pytest.raises(KeyboardInterrupt):
        _score(manifest, tmp_path / "ray", tmp_path / "cache-ray", backend="ray", num_workers=2)
    assert len((tmp_path / "ray" / PARTIAL_ROWS).read_text().splitlines()) > 0
    monkeypatch.setattr(RunFolder, "flush", original_flush)
    _score(manifest, tmp_path / "ray", tmp_path / "cache-ray", backend="ray", num_workers=2)
    _same_results(tmp_path / "local", tmp_path / "ray")
    _no_duplicates(tmp_path / "ray")


def test_cli_backend_ray(local_ray, plugin, tmp_path):
    from emoeval.cli import main

    manifest = tmp_path / "manifest.csv"
    _manifest(tmp_path).to_csv(manifest, index=False)
    out = tmp_path / "out"
    arguments = ["score", str(manifest), "--metrics", ",".join(METRICS), "--out", str(out), "--backend", "ray"]
    result = CliRunner().invoke(main, [*arguments, "--num-workers", "2", "--n-bootstrap", "50", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["backend"]["workers"] == 2


def test_ray_options_without_the_ray_backend_are_refused(tmp_path):
    with pytest.raises(RunConfigError, match="backend='ray'"):
        emoeval.score(_manifest(tmp_path), metrics=["text_distinct_n"], num_workers=2)
    with pytest.raises(RunConfigError, match="unknown backend"):
        emoeval.score(_manifest(tmp_path), metrics=["text_distinct_n"], backend="dask")


def test_an_unreachable_cluster_is_named_by_where_its_address_came_from(monkeypatch):
    from emoeval.runner.ray_backend import _address_source

    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.9:6379")
    assert _address_source(None) == "RAY_ADDRESS='10.0.0.9:6379' (from the environment)"
    assert _address_source("ray://head:10001") == "'ray://head:10001'"
