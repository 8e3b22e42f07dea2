"""Benchmark: the augmentation study's protocol on 1,000 vs 10,000 feature vectors, beside feature extraction.

Protocol side: the whole protocol of :mod:`emoeval.functional.augmentation` with its defaults — ``tstr`` (20
group-aware splits), ``augmentation_gain`` (20 splits × 4 real fractions × 3 ratios), ``per_class_fidelity``
(PRDC k = 5, α-precision / β-recall / authenticity) and ``memorisation_against_real`` (DCR, 5 group folds) — on
random features (128-d, 4 emotions as Gaussian clusters with a per-group offset, 50 groups; the synthetic set is
half as large). Each size runs twice: with one BLAS thread (how ``emoeval augment`` runs it: metrics/augmentation/
run.py) and with OpenBLAS's default threads (the functional layer called directly), to show what BLAS threading
costs in hundreds of small fits. The recogniser fits are counted and timed (the part that dominates).

Feature side: ``all-minilm-l6-v2`` (the text study's default features) on short distinct texts (pairs of
emoeval's prototype sentences) through the study's own path (:func:`~emoeval.metrics.augmentation.features.
extract_features`, batches of 64, the output cache): model load, then per item cold (computed and written to an
empty cache) and cached (read back).

Ratios printed: cold extraction of a study's 1.5 n items vs its protocol (is the study dominated by feature
extraction?) and cached reading vs the protocol (what a re-run costs). No thresholds: read the numbers.

    python bench/bench_augmentation.py [--sizes 1000,10000] [--texts 512] [--blas one|default|both]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

DIMENSION, EMOTIONS, GROUPS = 128, 4, 50


def features(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n vectors: emotion centre + group offset + unit noise; (X, emotions, groups)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(0.0, 1.0, (EMOTIONS, DIMENSION))
    offsets = rng.normal(0.0, 0.3, (GROUPS, DIMENSION))
    emotion, group = rng.integers(0, EMOTIONS, n), rng.integers(0, GROUPS, n)
    x = centres[emotion] + offsets[group] + rng.normal(0.0, 1.0, (n, DIMENSION))
    return x, np.array([f"emotion{e}" for e in emotion]), np.array([f"speaker{g:02d}" for g in group], dtype=object)


def protocol(n: int, one_thread: bool) -> dict[str, float]:
    """Seconds of each part of the protocol on n real and n/2 synthetic vectors, and of the fits inside them."""
    # imported before timing (not a cost of the protocol); scipy's BLAS loaded before the limit, so that it applies
    import sklearn.linear_model
    import sklearn.model_selection
    import sklearn.neighbors  # noqa: F401
    from threadpoolctl import threadpool_limits

    from emoeval.functional import augmentation as aug

    x, y, g = features(n, seed=1)
    xs, ys, _ = features(n // 2, seed=2)
    fits = {"count": 0, "seconds": 0.0}
    original = aug.fit_probe

    def timed_fit(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            fits["count"] += 1
            fits["seconds"] += time.perf_counter() - start

    parts = {
        "tstr": lambda: aug.tstr(x, y, g, xs, ys),
        "gain": lambda: aug.augmentation_gain(x, y, g, xs, ys),
        "fidelity": lambda: aug.per_class_fidelity(x, y, xs, ys),
        "memorisation": lambda: aug.memorisation_against_real(x, g, xs),
    }
    seconds: dict[str, float] = {}
    limit = threadpool_limits(limits=1, user_api="blas") if one_thread else contextlib.nullcontext()
    aug.fit_probe = timed_fit  # module global: tstr and augmentation_gain look it up at call time
    try:
        with limit:
            for name, call in parts.items():
                start = time.perf_counter()
                call()
                seconds[name] = time.perf_counter() - start
    finally:
        aug.fit_probe = original
    seconds["total"] = sum(seconds.values())
    seconds["fits"], seconds["fit_count"] = fits["seconds"], fits["count"]
    return seconds


def texts(n: int) -> list[str]:
    """n distinct short texts: ordered pairs of the shipped prototype sentences, shuffled."""
    import csv
    from importlib import resources

    path = resources.files("emoeval.reference_models") / "data" / "text_emotion_prototypes.csv"
    with path.open(encoding="utf-8") as handle:
        sentences = [row["text"] for row in csv.DictReader(handle)]
    pairs = [f"{a} {b}" for a, b in itertools.islice(itertools.permutations(sentences, 2), 4 * n)]
    order = np.random.default_rng(0).permutation(len(pairs))[:n]
    return [pairs[i] for i in order]


def extraction(n: int) -> dict[str, float]:
    """all-minilm-l6-v2 through extract_features: load seconds, cold and cached seconds per item."""
    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.metrics.augmentation.features import extract_features
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import Sample

    samples = [Sample(f"t{i}", "bench", "text", text=t, target_emotion="happy") for i, t in enumerate(texts(n))]
    pool = ModelPool()
    start = time.perf_counter()
    pool.get("all-minilm-l6-v2")
    load = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        cache = OutputCache(Path(scratch))
        start = time.perf_counter()
        cold = extract_features(ScoringContext(pool, cache), ["all-minilm-l6-v2"], samples)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = extract_features(ScoringContext(pool, cache), ["all-minilm-l6-v2"], samples)
        warm_s = time.perf_counter() - start
    assert not cold.errors and np.array_equal(cold.X, warm.X)
    return {"load": load, "cold": cold_s / n, "cached": warm_s / n, "dimension": float(cold.X.shape[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="real-set sizes (the synthetic set is half)")
    parser.add_argument("--texts", type=int, default=512, help="texts embedded for the per-item feature cost")
    parser.add_argument("--blas", choices=("one", "default", "both"), default="both")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = {"one": [True], "default": [False], "both": [True, False]}[args.blas]

    found = extraction(args.texts)
    print(
        f"features all-minilm-l6-v2 ({int(found['dimension'])}-d, {args.texts} short texts, batches of 64): "
        f"model load {found['load']:.2f} s; cold {found['cold'] * 1000:.2f} ms/item (computed + cached); "
        f"cached {found['cached'] * 1000:.3f} ms/item; cold / cached {found['cold'] / found['cached']:.0f}x"
    )
    print(
        f"\nprotocol defaults (20 splits; gain 4 fractions x 3 ratios), {DIMENSION}-d, {EMOTIONS} emotions, "
        f"{GROUPS} groups, synthetic = n/2"
    )
    header = f"{'n real':>7} {'BLAS':>8} {'tstr':>7} {'gain':>7} {'fidel.':>7} {'memo':>7} {'total s':>8}"
    print(header + f" {'fits':>5} {'in fits':>8} {'ms/item':>8}")
    totals: dict[tuple[int, bool], float] = {}
    for n in sizes:
        for one_thread in modes:
            s = protocol(n, one_thread)
            totals[(n, one_thread)] = s["total"]
            print(
                f"{n:>7} {'1 thread' if one_thread else 'default':>8} {s['tstr']:>7.2f} {s['gain']:>7.2f} "
                f"{s['fidelity']:>7.2f} {s['memorisation']:>7.2f} {s['total']:>8.2f} {int(s['fit_count']):>5} "
                f"{s['fits'] / s['total']:>7.0%} {s['total'] / (1.5 * n) * 1000:>8.2f}",
                flush=True,
            )
    print()
    for one_thread in modes:
        label = "1 BLAS thread (emoeval augment)" if one_thread else "default BLAS threads"
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            ratio = totals[(large, one_thread)] / totals[(small, one_thread)]
            print(f"{label}: protocol {large} / {small} vectors = {ratio:.1f}x time for {large / small:.0f}x data")
        for n in sizes:
            items = 1.5 * n  # real + synthetic
            cold, cached = items * found["cold"] + found["load"], items * found["cached"]
            total = totals[(n, one_thread)]
            verdict = "feature extraction" if cold > total else "the protocol"
            print(
                f"  n = {n}: cold extraction of {items:.0f} texts {cold:.1f} s vs protocol {total:.1f} s "
                f"(extraction / protocol {cold / total:.2f}: a cold study is dominated by {verdict}); "
                f"cached read {cached:.2f} s ({cached / total:.3f} of the protocol)"
            )
    if len(modes) == 2:
        for n in sizes:
            print(f"default BLAS threads / 1 thread at n = {n}: {totals[(n, False)] / totals[(n, True)]:.1f}x")


if __name__ == "__main__":
    main()
