"""Benchmark: the Ray backend with N local workers next to the local backend, per modality, on the same inputs.

For each modality one metric with a packaged model scores the same generated-looking inputs with
``backend="local"`` and ``backend="ray"`` (a local Ray instance, ``--workers`` actors of one CPU each), in
alternating repetitions, the cache off. Prints per run: wall time, and per backend the median and spread, the
ratio ray/local, and the *marginal* throughput (samples per second once models are loaded: from a small and a
large run, (N − n₀) / (T_N − T_n₀)) — in total and per worker — with each worker's peak memory. The inputs are
distinct files (augmented copies of ../shared/data's London faces and EmoDB clips, MELD utterances), so no
content-hash deduplication helps either backend.

    python bench/bench_ray.py [--workers 2] [--repeat 3] [--faces 3000] [--clips 150] [--texts 800] [--driver 10000]

Last, the driver's own rate (a model-free metric, cold and warm cache): the ceiling on samples per second of a
run however many workers it has.

bench/README.md explains the ratio on a 2-core machine and projects to 10⁶ samples from these throughputs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "bench"))


def face_workload(folder: Path, count: int) -> list[dict]:
    from bench_fid import augmented_faces

    paths = augmented_faces(folder / "faces", count, seed=7)
    return [
        {"sample_id": f"gen/{p.stem}", "system": "gen", "modality": "face", "path": str(p), "target_emotion": "happy"}
        for p in paths
    ]


def speech_workload(folder: Path, count: int) -> list[dict]:
    """``count`` clips: EmoDB recordings with a random gain, a shift of up to 50 ms and faint noise."""
    import soundfile as sf

    sources = sorted((SHARED / "speech_emodb" / "audio").glob("*.wav"))
    if not sources:
        raise SystemExit(f"no EmoDB clips in {SHARED / 'speech_emodb'} (the ../shared data is needed)")
    rng = np.random.default_rng(3)
    out = folder / "speech"
    out.mkdir(parents=True)
    rows = []
    for index in range(count):
        audio, rate = sf.read(sources[index % len(sources)], dtype="float32")
        shift = int(rng.integers(0, rate // 20))
        audio = np.concatenate([np.zeros(shift, dtype=np.float32), audio]) * rng.uniform(0.7, 1.0)
        audio = audio + rng.normal(0, 1e-3, audio.shape).astype(np.float32)
        path = out / f"clip_{index:05d}.wav"
        sf.write(path, audio, rate)
        reference = sources[(index + 1) % len(sources)]
        rows.append({"sample_id": f"gen/{path.stem}", "system": "gen", "modality": "speech", "path": str(path)})
        rows[-1]["reference"] = str(reference)
    return rows


def text_workload(count: int) -> list[dict]:
    import pandas as pd

    meld = pd.read_csv(SHARED / "dialogue_meld" / "dev_sent_emo.csv")
    texts = list(dict.fromkeys(str(t) for t in meld["Utterance"] if len(str(t).split()) >= 3))[:count]
    return [
        {"sample_id": f"gen/{i}", "system": "gen", "modality": "text", "text": t, "target_emotion": "happy"}
        for i, t in enumerate(texts)
    ]


WORKLOADS = {
    "face": ("face_emotion_accuracy", "faces"),
    "speech": ("speaker_similarity", "clips"),
    "text": ("text_emotion_accuracy", "texts"),
}


def timed(rows: list[dict], metric: str, **backend: object) -> tuple[float, dict]:
    import pandas as pd

    import emoeval

    start = time.perf_counter()
    results = emoeval.score(pd.DataFrame(rows), metrics=[metric], use_cache=False, n_bootstrap=0, **backend)
    elapsed = time.perf_counter() - start
    errors = int(results.table.error.notna().sum())
    if errors:
        print(f"    ({errors} error rows, e.g. {results.table.error.dropna().iloc[0]})")
    return elapsed, results.run.get("backend", {})


def driver_rate(count: int, folder: Path) -> None:
    """What the driver alone handles per second: a model-free sample metric (sentence BLEU/chrF/ROUGE-L) on
    ``count`` replies, cold (computed, verdicts written to the cache) and warm (every verdict read back) — the
    warm rate is the driver's own per-sample cost (cache record, rows, flush), the ceiling of any backend."""
    import pandas as pd

    import emoeval

    meld = pd.read_csv(SHARED / "dialogue_meld" / "dev_sent_emo.csv")
    utterances = [str(t) for t in meld["Utterance"]]
    rows = [
        {
            "sample_id": f"gen/{i}",
            "system": "gen",
            "modality": "text",
            "text": f"{utterances[i % len(utterances)]} ({i})",
            "reference": utterances[(i + 1) % len(utterances)],
        }
        for i in range(count)
    ]
    cache = folder / "driver-cache"
    for state in ("cold", "warm"):
        start = time.perf_counter()
        emoeval.score(
            pd.DataFrame(rows), metrics=["text_overlap"], cache_dir=cache, n_bootstrap=0, out=folder / f"d-{state}"
        )
        elapsed = time.perf_counter() - start
        print(f"  driver, {state}: {count} samples in {elapsed:.1f} s = {count / elapsed:.0f} samples/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--faces", type=int, default=3000)
    parser.add_argument("--clips", type=int, default=150)
    parser.add_argument("--texts", type=int, default=800)
    parser.add_argument("--small", type=int, default=8, help="samples of the small run (fixed costs)")
    parser.add_argument("--modalities", default="face,speech,text")
    parser.add_argument("--driver", type=int, default=10000, help="samples of the driver-rate run (0: none)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import os

    os.environ.setdefault("EMOEVAL_OFFLINE", "1")
    import ray

    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    ray_options = {"backend": "ray", "num_workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for modality in args.modalities.split(","):
            metric, size_option = WORKLOADS[modality]
            count = getattr(args, size_option)
            rows = (
                face_workload(folder, count)
                if modality == "face"
                else speech_workload(folder, count)
                if modality == "speech"
                else text_workload(count)
            )
            print(f"\n{modality}: {metric} on {len(rows)} samples, {args.repeat} alternating repetitions")
            times: dict[str, list[float]] = {"local": [], "ray": []}
            record: dict = {}
            for repetition in range(args.repeat):
                for name, options in (("local", {}), ("ray", ray_options)):
                    seconds, backend = timed(rows, metric, **options)
                    times[name].append(seconds)
                    record = backend if name == "ray" else record
                    print(f"  {repetition + 1}. {name:5s} {seconds:7.1f} s")
            small = {
                name: timed(rows[: args.small], metric, **options)[0]
                for name, options in (("local", {}), ("ray", ray_options))
            }
            local, on_ray = statistics.median(times["local"]), statistics.median(times["ray"])
            ratios = [r / loc for r, loc in zip(times["ray"], times["local"], strict=True)]
            print(
                f"  median local {local:.1f} s, ray {on_ray:.1f} s: ray/local {on_ray / local:.2f}× "
                f"(per repetition {min(ratios):.2f}–{max(ratios):.2f}×)"
            )
            for name, median in (("local", local), ("ray", on_ray)):
                marginal = (len(rows) - args.small) / max(median - small[name], 1e-9)
                per_worker = marginal / (args.workers if name == "ray" else 1)
                print(
                    f"  {name:5s}: fixed cost {small[name]:.1f} s ({args.small} samples), marginal "
                    f"{marginal:.1f} samples/s" + (f", {per_worker:.1f} per worker" if name == "ray" else "")
                )
            print(
                f"  ray workers' peak memory {record.get('worker_peak_rss_mb')} MB, "
                f"models {record.get('loaded_models')}"
            )
        if args.driver:
            print(f"\ndriver (local backend, results folder and cache on) on {args.driver} text samples")
            driver_rate(args.driver, folder)
    ray.shutdown()


if __name__ == "__main__":
    main()
