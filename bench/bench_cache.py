"""Benchmark: the whole demo cold vs warm, each in a fresh process, and what `import emoeval` costs.

Each run is `emoeval demo` (scoring and the HTML report) in a new Python process with its own cache folder:
first with the cache empty (models load and compute), then again with the cache filled (every verdict and
model output is read back, so no model should load). Prints wall time and peak resident memory (VmHWM) of
each process side by side, their ratios, and which models the warm run loaded (from run.json). No
thresholds: read the numbers (issue 14's targets: warm ≤ 0.25× cold wall time, ≤ 400 MB).

    python bench/bench_cache.py [--repeat 2] [--skip-demo]

Issue 18's benchmark 3 follows: **the same command** (`emoeval score` on the demo manifest with the demo's
metrics, no report) in fresh processes — cold (empty cache), warm (same cache, a new ``--out`` folder, so
nothing is resumed: every verdict comes from the cache), and warm with **one added sample** (a new face
image) — printing wall time (targets: warm ≤ 0.25× cold) and the run's own scoring time from run.json
(``duration_s``; warm ≤ 0.05× cold), whether the warm process imported torch and which models it loaded, and
the added sample's cost (warm+1 − warm) next to the cold cost per sample. Last, ``import emoeval`` and
``emoeval --help`` wall time in fresh processes (target ≤ 0.3 s; the interpreter's own start is printed
beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_DEMO = """
import json, sys
from emoeval.demo import demo_report, run_demo
results = run_demo(sys.argv[1], progress=False)
demo_report(results, sys.argv[1])
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"peak_rss": peak}))
"""


def _demo(out: Path, cache: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one demo run in a fresh process."""
    env = {**os.environ, "EMOEVAL_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _DEMO, str(out)], capture_output=True, text=True, env=env, check=True)
    seconds = time.perf_counter() - start
    return seconds, int(json.loads(run.stdout.strip().splitlines()[-1])["peak_rss"])


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


#: runs the emoeval CLI, then reports (on stderr, at exit) whether torch was imported and the peak RSS
_CLI = """
import atexit, json, sys
def _report():
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    heavy = sorted(m for m in ("torch", "onnxruntime", "dlib", "transformers", "ctranslate2") if m in sys.modules)
    print("BENCH " + json.dumps({"peak_rss": peak, "heavy": heavy}), file=sys.stderr)
atexit.register(_report)
from emoeval.cli import main
sys.argv = ["emoeval", *sys.argv[1:]]
main()
"""


def _manifest(folder: Path, extra: bool) -> Path:
    """The demo manifest with absolute paths (written to ``folder``), plus one new face sample when ``extra``."""
    import pandas as pd
    from PIL import Image, ImageOps

    from emoeval.demo import demo_manifest

    source = demo_manifest()
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    for column in ("path", "reference"):
        table[column] = [
            str(source.parent / value) if value and (source.parent / value).exists() else value
            for value in table[column]
        ]
    if extra:  # a face never seen before: the demo's first face mirrored (new content, same person and emotion)
        first = table[table["modality"] == "face"].iloc[0].copy()
        new_face = folder / "added_face.png"
        with Image.open(first["path"]) as image:
            ImageOps.mirror(image.convert("RGB")).save(new_face)
        first["sample_id"], first["path"] = f"{first['sample_id']}-added", str(new_face)
        table = pd.concat([table, first.to_frame().T], ignore_index=True)
    out = folder / ("manifest_plus_one.csv" if extra else "manifest.csv")
    table.to_csv(out, index=False)
    return out


def _score(manifest: Path, out: Path, cache: Path) -> dict[str, object]:
    """One `emoeval score` in a fresh process: wall and scoring seconds, peak RSS, heavy imports, loaded models."""
    from emoeval.demo import DEMO_METRICS

    env = {**os.environ, "EMOEVAL_CACHE_DIR": str(cache)}
    command = [sys.executable, "-c", _CLI, "score", str(manifest), "--metrics", ",".join(DEMO_METRICS)]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run([*command, "--out", str(out), "--quiet"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the child: on a shared machine wall time includes waiting for a core, CPU time does not
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        raise SystemExit(f"emoeval score failed ({run.returncode}): {run.stderr[-2000:]}")
    report = json.loads(next(line[6:] for line in run.stderr.splitlines() if line.startswith("BENCH ")))
    record = json.loads((out / "run.json").read_text())
    return {
        "wall": wall,
        "cpu": cpu,
        "scoring": float(record["duration_s"]),
        "rows": int(record["counts"]["rows"]),
        "samples": len(_sample_ids(manifest)),
        "loaded": [m["name"] for m in record["models"] if m.get("loaded")],
        **report,
    }


def _sample_ids(manifest: Path) -> list[str]:
    """The sample ids of ``manifest``."""
    import csv

    with manifest.open(newline="") as handle:
        return [row["sample_id"] for row in csv.DictReader(handle)]


def _describe(label: str, run: dict[str, object]) -> str:
    heavy = ", ".join(run["heavy"]) or "none"  # type: ignore[arg-type]
    loaded = ", ".join(run["loaded"]) or "none"  # type: ignore[arg-type]
    return (
        f"  {label:<15} wall {run['wall']:6.2f} s  cpu {run['cpu']:6.2f} s  scoring {run['scoring']:6.2f} s  "
        f"peak {run['peak_rss'] / 2**20:5.0f} MB"  # type: ignore[operator]
        f"  heavy imports: {heavy}; models loaded: {loaded}"
    )


def warm_vs_cold(repeat: int) -> None:
    """Benchmark 3 of issue 18 (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as scratch:
        folder = Path(scratch)
        manifest, plus_one = _manifest(folder, extra=False), _manifest(folder, extra=True)
        cache = folder / "cache"
        runs = [_score(manifest, folder / "cold", cache)]
        print(_describe("cold", runs[0]), flush=True)
        warm = []
        for attempt in range(repeat):
            warm.append(_score(manifest, folder / f"warm{attempt}", cache))
            print(_describe(f"warm {attempt + 1}", warm[-1]), flush=True)
        added = _score(plus_one, folder / "plus_one", cache)
        print(_describe("warm + 1 sample", added), flush=True)
    cold = runs[0]
    warm_wall = statistics.median(float(w["wall"]) for w in warm)  # type: ignore[arg-type]
    warm_scoring = statistics.median(float(w["scoring"]) for w in warm)  # type: ignore[arg-type]
    warm_cpu = statistics.median(float(w["cpu"]) for w in warm)  # type: ignore[arg-type]
    print(
        f"warm/cold: scoring {warm_scoring / cold['scoring']:.3f}x (target <= 0.05), "  # type: ignore[operator]
        f"wall incl. process start {warm_wall / cold['wall']:.3f}x (target <= 0.25), "  # type: ignore[operator]
        f"process CPU time {warm_cpu / cold['cpu']:.3f}x"  # type: ignore[operator]
    )
    per_sample = float(cold["scoring"]) / int(cold["samples"])  # type: ignore[arg-type]
    print(
        f"one added sample: warm+1 - warm = scoring {float(added['scoring']) - warm_scoring:+.2f} s, "  # type: ignore[arg-type]
        f"wall {float(added['wall']) - warm_wall:+.2f} s, CPU {float(added['cpu']) - warm_cpu:+.2f} s; "  # type: ignore[arg-type]
        f"cold cost per sample {per_sample:.2f} s scoring, {float(cold['cpu']) / int(cold['samples']):.2f} s CPU "  # type: ignore[arg-type]
        f"({cold['scoring']:.1f} s / {cold['samples']} samples, model loading included)"
    )


def _wall(command: list[str], repeat: int = 5) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``command`` in fresh processes."""
    import resource

    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(walls), statistics.median(cpus)


def startup() -> None:
    """`import emoeval` and `emoeval --help` wall (and CPU) time, beside the bare interpreter's start."""
    bare = _wall([sys.executable, "-c", "pass"])
    imported = _wall([sys.executable, "-c", "import emoeval"])
    cli = shutil.which("emoeval", path=str(Path(sys.executable).parent)) or "emoeval"
    helped = _wall([cli, "--help"])
    print(
        f"fresh process, median of 5 (wall / CPU): python -c pass {bare[0]:.3f} / {bare[1]:.3f} s; "
        f"import emoeval {imported[0]:.3f} / {imported[1]:.3f} s; "
        f"emoeval --help {helped[0]:.3f} / {helped[1]:.3f} s (target <= 0.3 s wall)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="cold/warm pairs to run (each with a new cache)")
    parser.add_argument("--skip-demo", action="store_true", help="skip the demo+report part (issue 14's)")
    args = parser.parse_args()
    print("warm vs cold, `emoeval score` on the demo manifest in fresh processes:", flush=True)
    warm_vs_cold(max(2, args.repeat))
    startup()
    for attempt in range(0 if args.skip_demo else args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            cache, out = Path(scratch) / "cache", Path(scratch) / "demo"
            cold_s, cold_rss = _demo(out, cache)
            warm_s, warm_rss = _demo(out, cache)
            run = json.loads((out / "run.json").read_text())
        loaded = [model["name"] for model in run["models"] if model.get("loaded")]
        print(
            f"[{attempt + 1}] emoeval demo (scoring + report, fresh process each): "
            f"cold {cold_s:.1f} s, {cold_rss / 2**20:.0f} MB peak; "
            f"warm {warm_s:.1f} s, {warm_rss / 2**20:.0f} MB peak; "
            f"warm/cold time {warm_s / cold_s:.2f}x, memory {warm_rss / cold_rss:.2f}x; "
            f"models loaded by the warm run: {', '.join(loaded) or 'none'}; "
            f"cached verdicts {run['cache']['score_hits']}/{run['cache']['score_hits'] + run['cache']['score_misses']}"
        )
    light, heavy = _import_seconds("emoeval"), _import_seconds("torch")
    print(f"import emoeval {light * 1000:.0f} ms vs import torch {heavy * 1000:.0f} ms: ratio {heavy / light:.0f}x")


if __name__ == "__main__":
    main()
