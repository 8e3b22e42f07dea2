"""Two runs writing one cache folder at the same time (issue 18): no entry is ever corrupt, and each run's table
equals the one it gives alone.

Each run is a separate process (the real ``emoeval score`` command) on overlapping inputs; a file barrier starts
their scoring together (after the imports), so their model-output writes and verdict-record writes overlap. The
second test adds a third process that prunes the folder to nothing again and again while two runs use it.
Nothing here measures time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

import emoeval
from emoeval.cache import OutputCache

#: waits at a file barrier until ``n`` processes are ready, then runs the emoeval CLI with the remaining arguments
_AT_BARRIER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from emoeval.cli import main  # imported before the barrier: the runs' scoring overlaps, not their start-up

    barrier, me, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    (barrier / f"{me}.ready").touch()
    deadline = time.monotonic() + 300
    while len(list(barrier.glob("*.ready"))) < n:
        if time.monotonic() > deadline:
            sys.exit(f"{me}: the other processes never reached the barrier")
        time.sleep(0.002)
    main(sys.argv[4:])
    """
)

#: prunes the cache to 0 bytes until every scorer has written its results (a third process sharing the folder)
_PRUNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from emoeval.cache import OutputCache

    barrier, me, n, cache_dir = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    outs = [Path(p) / "run.json" for p in sys.argv[5:]]
    (barrier / f"{me}.ready").touch()
    while len(list(barrier.glob("*.ready"))) < n:
        time.sleep(0.002)
    cache, rounds, removed = OutputCache(cache_dir, max_bytes=0), 0, 0
    while not all(out.exists() for out in outs) and rounds < 100_000:
        removed += cache.prune(0).removed
        rounds += 1
        time.sleep(0.001)  # leave the scorers some CPU on a small machine
    print(rounds, removed)
    """
)

#: the columns that must be the same whichever way a table was made
_COMPARED = ["system", "scope", "sample_id", "metric", "sub_metric", "value", "ci_low", "ci_high", "n", "error"]
_N_BOOTSTRAP = "200"


def _launch(script: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as handle:  # the child keeps its own copy of the handle
        return subprocess.Popen([sys.executable, "-c", script, *args], env=env, stdout=handle, stderr=subprocess.STDOUT)


def _finish(process: subprocess.Popen, log: Path) -> str:
    assert process.wait(timeout=300) == 0, log.read_text()[-3000:]
    return log.read_text()


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["system", "scope", "sample_id", "metric", "sub_metric"]
    frame = table[_COMPARED].sort_values(keys, na_position="first").reset_index(drop=True)
    return frame.astype({"error": object}).where(frame.notna(), None)


def _assert_same_table(concurrent: pd.DataFrame, alone: pd.DataFrame) -> None:
    left, right = _comparable(concurrent), _comparable(alone)
    assert len(left) == len(right) > 0
    pd.testing.assert_frame_equal(
        left.drop(columns=["value", "ci_low", "ci_high"]), right.drop(columns=["value", "ci_low", "ci_high"])
    )
    for column in ("value", "ci_low", "ci_high"):
        # the same numbers: read from the cache (exact float64 round trip) or computed again by the same model
        np.testing.assert_array_equal(left[column].to_numpy(float), right[column].to_numpy(float), err_msg=column)


def _concurrent_runs(
    tmp_path: Path, manifests: dict[str, Path], metrics: str, cache: Path, env: dict[str, str], *, pruner: bool
) -> dict[str, Path]:
    """Start one ``emoeval score`` per manifest (and a pruner) at a barrier; their output folders."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    outs = {name: tmp_path / f"concurrent-{name}" for name in manifests}
    n = len(manifests) + int(pruner)
    processes = []
    for name, manifest in manifests.items():
        args = [str(barrier), name, str(n), "score", str(manifest), "--metrics", metrics, "--out", str(outs[name])]
        args += ["--n-bootstrap", _N_BOOTSTRAP, "--quiet"]
        log = tmp_path / f"{name}.log"
        processes.append((_launch(_AT_BARRIER, args, env | {"EMOEVAL_CACHE_DIR": str(cache)}, log), log))
    if pruner:
        log = tmp_path / "pruner.log"
        args = [str(barrier), "pruner", str(n), str(cache), *map(str, outs.values())]
        processes.append((_launch(_PRUNER, args, env, log), log))
    for process, log in processes:
        _finish(process, log)
    return outs


def _check_cache(cache: Path, outs: dict[str, Path]) -> None:
    report = OutputCache(cache, max_bytes=None).verify()
    assert report.ok, [(str(d.path), d.reason) for d in report.damaged]
    for out in outs.values():
        record = pd.read_json(out / "run.json", typ="series")
        assert record["cache"]["damaged"] == 0  # no reader ever met half an entry


def _face_manifests(demo_dir: Path, tmp_path: Path) -> dict[str, Path]:
    demo = pd.read_csv(demo_dir / "manifest.csv", dtype=str, keep_default_na=False)
    faces = demo[demo.modality == "face"].reset_index(drop=True)
    for column in ("path", "reference"):
        faces[column] = [str(demo_dir / value) for value in faces[column]]
    faces = faces[["sample_id", "system", "modality", "path", "reference", "target_emotion", "group"]]
    half = len(faces) // 2
    chosen = {"a": faces.iloc[: half + 3], "b": faces.iloc[half - 3 :]}  # 6 samples (and more images) in common
    manifests = {}
    for name, rows in chosen.items():
        manifests[name] = tmp_path / f"{name}.csv"
        rows.to_csv(manifests[name], index=False)
    return manifests


def test_two_real_runs_sharing_a_cache_write_no_corrupt_entry_and_equal_single_runs(demo_dir, tmp_path):
    """``face_identity_similarity`` (YuNet + dlib outputs, verdict records) and ``face_sharpness`` (a corpus
    metric on face-detail features) on two overlapping halves of the demo faces."""
    metrics = "face_identity_similarity,face_sharpness(real_system=real_smile)"
    manifests = _face_manifests(demo_dir, tmp_path)
    alone = {
        name: emoeval.score(
            manifest,
            metrics=metrics_list(metrics),
            cache_dir=tmp_path / f"alone-cache-{name}",
            n_bootstrap=int(_N_BOOTSTRAP),
            progress=False,
        ).table
        for name, manifest in manifests.items()
    }
    shared = tmp_path / "shared-cache"
    outs = _concurrent_runs(tmp_path, manifests, metrics, shared, dict(os.environ), pruner=False)
    _check_cache(shared, outs)
    for name, out in outs.items():
        _assert_same_table(pd.read_parquet(out / "results.parquet"), alone[name])
    usage = OutputCache(shared, max_bytes=None).info()
    kinds = {group.kind for group in usage.groups}
    assert kinds == {"output", "record"}, usage.groups

    # the shared folder holds exactly what the two single runs' folders hold together (no lost, no extra entry)
    def names(root: Path) -> set[str]:
        return {entry.path.name for entry in OutputCache(root, max_bytes=None).entries()}

    assert names(shared) == names(tmp_path / "alone-cache-a") | names(tmp_path / "alone-cache-b")
    warm = emoeval.score(
        manifests["a"], metrics=metrics_list(metrics), cache_dir=shared, n_bootstrap=int(_N_BOOTSTRAP), progress=False
    )
    assert warm.run["cache"]["damaged"] == 0 and warm.run["cache"]["score_misses"] == 0
    _assert_same_table(warm.table, alone["a"])


def metrics_list(labels: str) -> list[str]:
    from emoeval.metric_config import split_top_level

    return split_top_level(labels)


def _fake_manifest(folder: Path, name: str, indices: range) -> Path:
    files = folder / "files"
    files.mkdir(exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 40)
    rows = []
    for i in indices:
        path = files / f"{i}.bin"
        if not path.exists():
            path.write_bytes(bytes([65 + i % 50]) * (20 + i % 37) + str(i).encode())
        rows.append(
            {
                "sample_id": f"s{i}",
                "system": f"sys{i % 2}",
                "modality": "face",
                "path": str(path),
                "reference": str(reference),
                "group": str(i),
            }
        )
    manifest = folder / f"{name}.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    return manifest


def test_two_runs_and_a_pruner_sharing_a_cache(plugin_root, plugin, tmp_path):
    """Many small entries written by two runs while a third process prunes the folder to 0 bytes in a loop:
    every entry left reads back, and both runs' tables equal their single runs' (misses are recomputed)."""
    manifests = {"a": _fake_manifest(tmp_path, "a", range(0, 200)), "b": _fake_manifest(tmp_path, "b", range(80, 280))}
    metrics = "fake_length_ratio,fake_size_gap(real_system=sys1)"
    alone = {
        name: emoeval.score(
            manifest,
            metrics=metrics_list(metrics),
            cache_dir=tmp_path / f"alone-cache-{name}",
            n_bootstrap=int(_N_BOOTSTRAP),
            progress=False,
        ).table
        for name, manifest in manifests.items()
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_root), env.get("PYTHONPATH")]))
    shared = tmp_path / "shared-cache"
    outs = _concurrent_runs(tmp_path, manifests, metrics, shared, env, pruner=True)
    rounds, removed = map(int, (tmp_path / "pruner.log").read_text().split())
    print(f"the pruner ran {rounds} rounds and removed {removed} entries while the two runs wrote")
    assert rounds >= 1
    _check_cache(shared, outs)
    for name, out in outs.items():
        _assert_same_table(pd.read_parquet(out / "results.parquet"), alone[name])
