"""Benchmark: peak memory of ``emoeval score`` over 1,000 vs 10,000 samples (target ratio ≤ 1.1×).

Each size runs the real CLI in a fresh process; its peak resident set (``ru_maxrss`` of that child from
``os.wait4``, the kernel's VmHWM at exit) is compared. The metric set is chosen to run in minutes on 2 CPU cores
while exercising both kinds of state the runner keeps:

- ``text_fd(real=...)``: a corpus Fréchet metric (all-MiniLM-L6-v2, 384-d embeddings) against a fixed reference
  file of 1,000 texts — its per-sample states (the bootstrap needs them) grow with N;
- ``text_overlap``: a sample metric (BLEU, chrF, ROUGE-L; no model) — its result rows grow with N.

The texts are random 8–16-word sentences from a fixed vocabulary (seeded), one system, ``--n-bootstrap 100``
(the system rows' intervals; the corpus interval is capped at 100 resamples anyway), no output cache (the model
outputs are not what is measured). Printed: each size's peak RSS and wall time, the ratio, and the growth per
sample ((RSS₁₀ₖ − RSS₁ₖ) / 9,000).

    python bench/bench_memory.py [--sizes 1000,10000] [--repetitions 1]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_TEXT = (
    "i feel so happy today that you came to see me and we can talk about everything again "
    "this is sad news really i am sorry to hear that your dog was sick last week "
    "why would anyone do such a thing it makes me angry every time i think about it "
    "wow what a surprise i never expected that from them but it is great news for all of us"
)
WORDS = tuple(_TEXT.split(" "))


def sentences(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(8, 17)))) for _ in range(count)]


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    """A CSV manifest of ``n`` text samples (with a reference response each) and a 1,000-line reference file."""
    manifest = folder / f"samples_{n}.csv"
    texts, references = sentences(n, seed=1), sentences(n, seed=2)
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample_id", "system", "modality", "text", "reference"])
        for index, (text, reference) in enumerate(zip(texts, references, strict=True)):
            writer.writerow([f"s{index:06d}", "generated", "text", text, reference])
    real = folder / "real.txt"
    if not real.exists():
        real.write_text("\n".join(sentences(1000, seed=3)) + "\n")
    return manifest, real


def peak_rss(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``command`` run in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None
        raise SystemExit(
            f"{' '.join(command)} failed ({process.returncode}):\n{process.stderr.read().decode()[-2000:]}"
        )
    return usage.ru_maxrss / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="sample counts (default 1000,10000)")
    parser.add_argument("--repetitions", type=int, default=1, help="alternating repetitions per size (default 1)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    env = {**os.environ, "EMOEVAL_OFFLINE": "1"}
    peaks: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        inputs = {n: write_inputs(root, n) for n in sizes}
        for repetition in range(args.repetitions):
            for n in sizes:  # alternating sizes
                manifest, real = inputs[n]
                command = [
                    sys.executable,
                    "-m",
                    "emoeval.cli",
                    "score",
                    str(manifest),
                    "--metrics",
                    f"text_fd(real={real}),text_overlap",
                    "--out",
                    str(root / f"out_{n}_{repetition}"),
                    "--no-cache",
                    "--n-bootstrap",
                    "100",
                    "--quiet",
                ]
                rss, seconds = peak_rss(command, env)
                peaks[n].append(rss)
                print(f"  {n} samples: peak RSS {rss:.0f} MB, {seconds:.0f} s wall", flush=True)
    low, high = sizes[0], sizes[-1]
    small, large = float(np.median(peaks[low])), float(np.median(peaks[high]))
    print(
        f"peak RSS {high} vs {low} samples (text_fd with MiniLM + text_overlap, fresh processes): "
        f"{large:.0f} MB vs {small:.0f} MB, ratio {large / small:.3f}x (target ≤ 1.1x); "
        f"growth {(large - small) * 1024 / (high - low):.1f} KB per sample"
    )


if __name__ == "__main__":
    main()
