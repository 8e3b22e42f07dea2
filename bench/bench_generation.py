"""The generation harness's own cost per request, against calling the same generator in a bare loop.

For a callable (a templated reply: microseconds of work; and one that sleeps 5 ms, a stand-in for a small model)
and for a command (``/bin/true`` per request), the same requests are run by

- a **bare loop**: the function called with each request's fields / ``subprocess.run`` of the same argument
  vector, timed around the whole loop;
- the **harness**: :func:`emoeval.generation.generate` with no bootstrap, timed around the whole call (reading
  the prompts, the call log, storing outputs, the manifest and the results table included).

Each side runs at two sizes (``--small`` and ``--large`` requests, alternating, ``--repeats`` times); the
harness's overhead per request is the slope: (harness(large) − harness(small) − bare(large) + bare(small)) /
(large − small), which removes the fixed costs (importing, writing the results once) from the per-request
figure; the fixed cost is printed beside it. The target of issue 20: ≤ 2 ms or ≤ 1 % per request.

    python bench/bench_generation.py [--small 100] [--large 600] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from emoeval.generation import generate, read_requests
from emoeval.generation.examples import templated_reply


def sleepy(request: dict) -> str:
    time.sleep(0.005)
    return "ok"


def _prompts(count: int) -> list[dict]:
    return [
        {"request_id": f"r{i:05d}", "modality": "text", "target_emotion": "sad", "context": '["I lost my keys."]'}
        for i in range(count)
    ]


def bare_callable(function, count: int) -> float:
    fields = [{**request.fields(), "output": "x"} for request in read_requests(_prompts(count))]
    start = time.perf_counter()
    for item in fields:
        function(item)
    return time.perf_counter() - start


def bare_command(count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        subprocess.run(["true"], check=True)
    return time.perf_counter() - start


def harness(generator, count: int, folder: Path) -> float:
    start = time.perf_counter()
    generate(_prompts(count), generator, folder, n_bootstrap=0, overwrite=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "callable, templated reply": (templated_reply, lambda n: bare_callable(templated_reply, n)),
        "callable, 5 ms sleep": (sleepy, lambda n: bare_callable(sleepy, n)),
        "command, /bin/true": ("cmd:true", bare_command),
    }
    print(
        f"{'generator':28} {'bare ms/req':>11} {'harness ms/req':>14} {'overhead ms/req':>15} {'overhead %':>10} "
        f"{'fixed s':>8}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for name, (generator, bare) in cases.items():
            slopes, bare_rates, fixed = [], [], []
            for repeat in range(args.repeats):
                folder = Path(scratch) / f"run{repeat}"
                times = {}
                for size in (args.small, args.large):  # alternating sides, each at both sizes
                    times[("bare", size)] = bare(size)
                    times[("harness", size)] = harness(generator, size, folder)
                span = args.large - args.small
                bare_slope = (times[("bare", args.large)] - times[("bare", args.small)]) / span
                harness_slope = (times[("harness", args.large)] - times[("harness", args.small)]) / span
                slopes.append(harness_slope - bare_slope)
                bare_rates.append(bare_slope)
                fixed.append(times[("harness", args.small)] - args.small * harness_slope)
            overhead, per_request = statistics.median(slopes), statistics.median(bare_rates)
            print(
                f"{name:28} {per_request * 1e3:11.3f} {(per_request + overhead) * 1e3:14.3f} {overhead * 1e3:15.3f} "
                f"{100 * overhead / per_request if per_request > 0 else float('nan'):10.1f} "
                f"{statistics.median(fixed):8.2f}   (overheads per repetition: "
                + ", ".join(f"{s * 1e3:.3f}" for s in slopes)
                + " ms)"
            )


if __name__ == "__main__":
    main()
