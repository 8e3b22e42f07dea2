"""Benchmark: what the model-output cache saves, and what `import emoeval` costs next to its heavy deps.

Prints times measured side by side in one run and their ratios (no thresholds: read the numbers).

    python bench/bench_cache.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    import emoeval
    from emoeval.demo import DEMO_METRICS, demo_manifest
    from emoeval.reference_models.base import ModelPool

    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache"
        pool = ModelPool()  # load models once so the timings compare scoring, not model loading
        emoeval.score(demo_manifest(), metrics=list(DEMO_METRICS), use_cache=False, progress=False, model_pool=pool)
        timings = {}
        for label in ("cold cache", "warm cache"):
            start = time.perf_counter()
            emoeval.score(demo_manifest(), metrics=list(DEMO_METRICS), cache_dir=cache, progress=False, model_pool=pool)
            timings[label] = time.perf_counter() - start
    print(
        f"demo set (38 samples), models already loaded: cold cache {timings['cold cache']:.2f} s, "
        f"warm cache {timings['warm cache']:.2f} s, ratio {timings['cold cache'] / timings['warm cache']:.1f}x"
    )
    light, heavy = _import_seconds("emoeval"), _import_seconds("torch")
    print(f"import emoeval {light * 1000:.0f} ms vs import torch {heavy * 1000:.0f} ms: ratio {heavy / light:.0f}x")


if __name__ == "__main__":
    main()
