"""Benchmark: the whole demo cold vs warm, each in a fresh process, and what `import emoeval` costs.

Each run is `emoeval demo` (scoring and the HTML report) in a new Python process with its own cache folder:
first with the cache empty (models load and compute), then again with the cache filled (every verdict and
model output is read back, so no model should load). Prints wall time and peak resident memory (VmHWM) of
each process side by side, their ratios, and which models the warm run loaded (from run.json). No
thresholds: read the numbers (issue 14's targets: warm ≤ 0.25× cold wall time, ≤ 400 MB).

    python bench/bench_cache.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="cold/warm pairs to run (each with a new cache)")
    args = parser.parse_args()
    for attempt in range(args.repeat):
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
