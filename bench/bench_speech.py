"""Benchmark of the speech metrics: real-time factors, overhead over the raw model calls, cold vs. warm cache.

Audio: the bundled LibriVox and "cards" recordings (tests/data/pocketsphinx, with transcripts) and the demo's
Emo-StarGAN items, repeated until the outputs last at least ``--seconds`` (default 60 s). Each output is paired
with a reference recording (the next clip of the same set) so reference-based metrics run too.

Printed, side by side in one run:

1. **Real-time factor** of every speech metric that runs without hub weights: scoring time with the models
   already loaded and the output cache off, divided by the seconds of output audio the metric scored (its
   references are processed too, so a reference-based metric does about twice the work per second).
2. **Overhead** of emoeval's speaker-similarity and ASR scoring over the same work done by hand with the
   models (decode + the model's own calls, same batches), cache off on both sides: target ≤ 1.10×.
3. **Cold vs. warm cache**: the same run twice against one output cache (second/first; target ≤ 0.05×).

    python bench/bench_speech.py [--seconds 60] [--repeat 2]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
POCKETSPHINX = REPO / "tests" / "data" / "pocketsphinx"


def _transcripts() -> dict[str, str]:
    """``{wav stem: transcript}`` from the pocketsphinx transcription files (``text (fileid)`` lines)."""
    out = {}
    for folder, name in (("librivox", "transcription"), ("cards", "cards.transcription")):
        for line in (POCKETSPHINX / folder / name).read_text().splitlines():
            if "(" in line:
                text, fileid = line.rsplit("(", 1)
                out[Path(fileid.strip(" )")).name] = text.strip()
    return out


def build_manifest(seconds: float) -> tuple[pd.DataFrame, float]:
    import soundfile

    from emoeval.demo import demo_manifest

    transcripts = _transcripts()
    folders = [sorted((POCKETSPHINX / name).glob("*.wav")) for name in ("librivox", "cards")]
    # each clip's reference: the next clip of the same recording set (same speaker), cyclically
    pairs = [(clip, group[(i + 1) % len(group)]) for group in folders for i, clip in enumerate(group)]
    demo = demo_manifest().parent / "speech"
    conversions = sorted(demo.glob("*/emo-stargan.wav"))
    rows, total, round_ = [], 0.0, 0
    while total < seconds:
        for clip, reference in pairs:
            rows.append(
                {
                    "sample_id": f"r{round_}/{clip.parent.name}/{clip.stem}",
                    "system": "read_speech",
                    "modality": "speech",
                    "path": str(clip),
                    "reference": str(reference),
                    "transcript": transcripts.get(clip.stem),
                }
            )
            total += soundfile.info(str(clip)).duration
        for clip in conversions:
            rows.append(
                {
                    "sample_id": f"r{round_}/{clip.parent.name}",
                    "system": "emo_stargan",
                    "modality": "speech",
                    "path": str(clip),
                    "reference": str(clip.parent / "baseline.wav"),
                    "transcript": None,
                }
            )
            total += soundfile.info(str(clip)).duration
        round_ += 1
    return pd.DataFrame(rows), total


def _timed(function: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import soundfile

    import emoeval
    from emoeval.api import resolve_metrics
    from emoeval.reference_models.base import ModelInput, ModelPool
    from emoeval.samples import load_samples

    manifest, total = build_manifest(args.seconds)
    samples = load_samples(manifest)
    real = POCKETSPHINX / "librivox"
    metrics = [m for m in resolve_metrics(None, samples, real=str(real)) if m.spec.modality == "speech"]
    pool = ModelPool()
    for metric in metrics:
        for name in metric.spec.models:
            pool.get(name)
    print(f"{len(samples)} recordings, {total:.1f} s of output audio; models loaded\n")

    # 1. real-time factors
    print(f"{'metric':<28} {'audio s':>8} {'time s':>8} {'RTF':>7}")
    for metric in metrics:
        scored = [s for s in samples if metric.applies_to(s)]
        seconds = sum(soundfile.info(str(s.path)).duration for s in scored)
        names = [metric.spec.name]
        elapsed = _timed(
            lambda names=names, metric=metric: emoeval.score(
                manifest,
                metrics=[metric],
                use_cache=False,
                progress=False,
                model_pool=pool,
            ),
            1,
        )
        print(f"{names[0]:<28} {seconds:>8.1f} {elapsed:>8.2f} {elapsed / seconds:>7.3f}")

    # 2. overhead over raw model calls
    def raw(model_name: str, paths: list[Path], batch: int) -> None:
        model = pool.get(model_name)
        items = [ModelInput(key=hashlib.sha256(p.read_bytes()).hexdigest(), path=p, data=p.read_bytes()) for p in paths]
        prepared = [model.prepare(item) for item in items]
        for start in range(0, len(prepared), batch):
            model.infer(prepared[start : start + batch])

    unique_pairs = sorted({(s.path, Path(s.reference)) for s in samples if s.reference})
    speaker_paths = sorted({p for pair in unique_pairs for p in pair})
    asr_paths = sorted({s.path for s in samples if s.transcript})
    speaker_manifest = manifest.drop_duplicates(subset=["path", "reference"])
    asr_manifest = manifest[manifest["transcript"].notna()].drop_duplicates(subset=["path"])
    print(f"\n{'scoring vs raw model calls':<28} {'raw s':>8} {'emoeval s':>10} {'ratio':>7}")
    for label, metric_name, model_name, paths, frame, batch in (
        ("speaker_similarity", "speaker_similarity", "resemblyzer-ge2e", speaker_paths, speaker_manifest, 8),
        ("speech_intelligibility", "speech_intelligibility", "whisper-tiny-en", asr_paths, asr_manifest, 16),
    ):
        raw_time = _timed(lambda m=model_name, p=paths, b=batch: raw(m, p, b), args.repeat)
        ours = _timed(
            lambda f=frame, n=metric_name: emoeval.score(
                f, metrics=[n], use_cache=False, progress=False, model_pool=pool
            ),
            args.repeat,
        )
        print(f"{label:<28} {raw_time:>8.2f} {ours:>10.2f} {ours / raw_time:>6.2f}×")

    # 3. cold vs warm output cache
    default_metrics = [m.spec.name for m in metrics]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        emoeval.score(
            manifest, metrics=default_metrics, real=str(real), cache_dir=cache, progress=False, model_pool=pool
        )
        cold = time.perf_counter() - start
        start = time.perf_counter()
        emoeval.score(
            manifest, metrics=default_metrics, real=str(real), cache_dir=cache, progress=False, model_pool=pool
        )
        warm = time.perf_counter() - start
    print(f"\ncold cache {cold:.2f} s, warm cache {warm:.2f} s: warm/cold {warm / cold:.3f}× (all metrics above)")


if __name__ == "__main__":
    main()
