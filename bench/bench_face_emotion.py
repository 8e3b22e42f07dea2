"""Benchmark: emoeval's face-emotion scoring vs. the same work done by hand with the model directly.

Both sides decode each image, detect and crop the face and run the FER mini-Xception in batches; the ratio is
emoeval's overhead (runner, content hashing, metric bookkeeping, result rows) over the bare pipeline. The
output cache is off so both sides compute everything. Prints the times side by side and their ratio.

    python bench/bench_face_emotion.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd


def _faces() -> list[Path]:
    from emoeval.demo import demo_manifest

    folder = demo_manifest().parent / "faces"
    shared = demo_manifest().parents[4] / "shared" / "data" / "faces_london" / "images"
    images = sorted(folder.glob("*.jpg"))
    if shared.is_dir():
        images += sorted(shared.glob("*.jpg"))
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import emoeval
    from emoeval.reference_models.base import ModelInput, ModelPool

    images = _faces()
    pool = ModelPool()
    model = pool.get("fer-mini-xception")
    manifest = pd.DataFrame(
        {
            "sample_id": [f"s{i}" for i in range(len(images))],
            "system": "demo",
            "modality": "face",
            "path": [str(p) for p in images],
            "target_emotion": "happy",
        }
    )
    emoeval.score(manifest, metrics=["face_emotion_accuracy"], use_cache=False, progress=False, model_pool=pool)

    def by_hand() -> None:
        prepared = [model.prepare(ModelInput(key=str(p), path=p, data=p.read_bytes())) for p in images]
        for start in range(0, len(prepared), 16):
            model.infer(prepared[start : start + 16])

    def with_emoeval() -> None:
        emoeval.score(
            manifest,
            metrics=["face_emotion_accuracy"],
            use_cache=False,
            progress=False,
            model_pool=pool,
            n_bootstrap=200,
        )

    timings = {}
    for name, job in (("by hand", by_hand), ("emoeval", with_emoeval)):
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    print(
        f"{len(images)} faces, best of {args.repeat}: by hand {timings['by hand']:.2f} s, "
        f"emoeval {timings['emoeval']:.2f} s, ratio {timings['emoeval'] / timings['by hand']:.2f}x"
    )


if __name__ == "__main__":
    main()
