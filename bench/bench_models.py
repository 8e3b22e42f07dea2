"""Benchmark 1 of issue 18: per reference model, emoeval scoring vs the raw batched model calls on the same inputs.

For each selected reference model, the metric that uses it is run through ``emoeval.score`` (output cache off,
models already loaded in a shared pool) and compared with the same work done by hand with the wrapper's own
model: read each file, ``model.prepare`` (the wrapper's decoding), ``model.infer`` in batches of the metric's
``batch_size``. Target: emoeval/raw ≤ 1.05×.

Inputs are the repo's demo data, the bundled pocketsphinx recordings and ../shared/data (skipped with a message
when absent), **augmented so every input is distinct content** (audio: a gain change of a few tenths of a dB;
images: a flip and a brightness step; texts: a numbered suffix) — emoeval computes identical inputs once, so a
workload of repeated files would flatter it (this is why an earlier speaker-similarity run gave 0.54×). The
input count is scaled from a short calibration of the raw path so the raw side lasts at least ``--seconds``
(default 30 s): fixed costs (the results table, bootstrap CIs of the system score) then weigh what they weigh
on a real run, not more. The two sides alternate ``--repeat`` times (default 3); printed: each time, the
median ratio and the spread (min–max ratio over the repetitions, each repetition's emoeval time over its own
raw time).

    python bench/bench_models.py [--models resemblyzer-ge2e,whisper-tiny-en] [--seconds 30] [--repeat 3]

The machine is shared and timings are noisy: read the spread, not only the median.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
POCKETSPHINX = REPO / "tests" / "data" / "pocketsphinx"
DEMO = REPO / "emoeval" / "data" / "demo"
EMOTIONS = ("angry", "happy", "neutral", "sad")


@dataclass
class Workload:
    """A manifest for emoeval and the inputs the raw side computes (files or texts), in order."""

    manifest: pd.DataFrame
    inputs: list[Path | str]


@dataclass
class Case:
    """One reference model, the metric that reads it, and how to build ``n`` distinct inputs for it."""

    model: str
    metric: str
    build: Callable[[int, Path], Workload]
    metric_kwargs: dict[str, Any] | None = None
    score_kwargs: dict[str, Any] | None = None


# -- inputs -----------------------------------------------------------------------------------------------------


def _speech_sources() -> list[tuple[Path, str | None]]:
    """(wav, transcript or None) of every real recording available: pocketsphinx, demo, shared EmoDB/Emo-StarGAN."""
    transcripts: dict[str, str] = {}
    for folder, name in (("librivox", "transcription"), ("cards", "cards.transcription")):
        for line in (POCKETSPHINX / folder / name).read_text().splitlines():
            if "(" in line:
                text, fileid = line.rsplit("(", 1)
                transcripts[Path(fileid.strip(" )")).name] = text.strip()
    sources = [
        (p, transcripts.get(p.stem)) for f in ("librivox", "cards") for p in sorted((POCKETSPHINX / f).glob("*.wav"))
    ]
    sources += [(p, None) for p in sorted((DEMO / "speech").glob("*/*.wav"))]
    for name in ("speech_emodb", "speech_emostargan"):
        if (SHARED / name).is_dir():
            sources += [(p, None) for p in sorted((SHARED / name).rglob("*.wav"))]
        else:
            print(f"  (../shared/data/{name} absent: skipped)")
    return _distinct(sources)


def _distinct(sources: list[Any]) -> list[Any]:
    """``sources`` without repeated content (the demo's files are copies of shared ones; MELD repeats "Okay."):
    identical inputs are computed once by emoeval but every time by the raw side."""
    import hashlib

    seen: set[str] = set()
    kept = []
    for source in sources:
        item = source[0]
        digest = hashlib.sha256(item.read_bytes() if isinstance(item, Path) else item.encode()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            kept.append(source)
    return kept


def _face_sources() -> list[tuple[Path, str]]:
    """(image, expression) of the demo faces and ../shared/data/faces_london."""
    sources = [(p, p.stem.split("_")[-1]) for p in sorted((DEMO / "faces").glob("*.jpg"))]
    london = SHARED / "faces_london"
    if (london / "labels.csv").is_file():
        labels = pd.read_csv(london / "labels.csv")
        sources += [(london / f, e) for f, e in zip(labels["file"], labels["expression"], strict=True)]
    else:
        print("  (../shared/data/faces_london absent: skipped)")
    return _distinct(sources)


def _text_sources() -> list[tuple[str, str]]:
    """(utterance, emotion) from ../shared/data/dialogue_meld, else a few built-in sentences."""
    meld = SHARED / "dialogue_meld" / "dev_sent_emo.csv"
    if meld.is_file():
        table = pd.read_csv(meld)
        mapping = {"joy": "happy", "sadness": "sad", "anger": "angry", "neutral": "neutral"}
        table = table[table["Emotion"].isin(mapping)]
        return _distinct([(str(u), mapping[e]) for u, e in zip(table["Utterance"], table["Emotion"], strict=True)])
    print("  (../shared/data/dialogue_meld absent: built-in sentences)")
    return [
        ("I am so happy today!", "happy"),
        ("This is awful.", "sad"),
        ("Get out now!", "angry"),
        ("Okay.", "neutral"),
    ]


def _audio_variant(source: Path, k: int, folder: Path, cache: dict[Path, tuple[np.ndarray, int]]) -> Path:
    """Copy ``k`` of a recording: the same audio with a gain of -0.02·k dB (distinct bytes, same to a listener)."""
    import soundfile

    if source not in cache:
        cache[source] = soundfile.read(str(source), dtype="float32", always_2d=False)
    samples, rate = cache[source]
    out = folder / f"{source.stem}_{k}.wav"
    soundfile.write(str(out), samples * np.float32(10 ** (-0.02 * k / 20)), rate, subtype="PCM_16")
    return out


def _image_variant(source: Path, k: int, folder: Path) -> Path:
    """Copy ``k`` of an image: mirrored on odd ``k``, brightness shifted by ``k // 2`` steps (PNG, lossless)."""
    from PIL import Image, ImageEnhance

    with Image.open(source) as image:
        image = image.convert("RGB")
        if max(image.size) > 512:  # the London faces are 1350 px: keep decoding comparable to generated 512 px
            image = image.resize((512, 512))
        if k % 2:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        image = ImageEnhance.Brightness(image).enhance(1.0 - 0.004 * (k // 2))
        out = folder / f"{source.stem}_{k}.png"
        image.save(out)
    return out


def speech_workload(n: int, folder: Path, *, with_reference: bool = False, transcribed: bool = False) -> Workload:
    """``n`` distinct recordings (and, ``with_reference``, one distinct reference each: the next clip, another gain)."""
    import random

    sources = _speech_sources()
    if transcribed:
        sources = [s for s in sources if s[1]]
    random.Random(0).shuffle(sources)  # long read speech and short EmoDB clips mixed, also in the calibration
    decoded: dict[Path, tuple[np.ndarray, int]] = {}
    rows, inputs = [], []
    for i in range(n):
        path, transcript = sources[i % len(sources)]
        k = i // len(sources)
        out = _audio_variant(path, 2 * k, folder, decoded)
        row: dict[str, Any] = {
            "sample_id": f"s{i}",
            "system": "bench",
            "modality": "speech",
            "path": str(out),
            "target_emotion": EMOTIONS[i % len(EMOTIONS)],
        }
        inputs.append(out)
        if with_reference:
            reference = _audio_variant(sources[(i + 1) % len(sources)][0], 2 * k + 1, folder, decoded)
            row["reference"] = str(reference)
            inputs.append(reference)
        if transcribed:
            row["transcript"] = transcript
        rows.append(row)
    return Workload(pd.DataFrame(rows), inputs)


def face_workload(n: int, folder: Path) -> Workload:
    sources = _face_sources()
    rows, inputs = [], []
    for i in range(n):
        path, emotion = sources[i % len(sources)]
        out = _image_variant(path, i // len(sources), folder)
        rows.append(
            {"sample_id": f"f{i}", "system": "bench", "modality": "face", "path": str(out), "target_emotion": emotion}
        )
        inputs.append(out)
    return Workload(pd.DataFrame(rows), inputs)


def text_workload(n: int, folder: Path) -> Workload:
    sources = _text_sources()
    rows, inputs = [], []
    for i in range(n):
        text, emotion = sources[i % len(sources)]
        k = i // len(sources)
        text = text if k == 0 else f"{text} ({k})"
        rows.append(
            {"sample_id": f"t{i}", "system": "bench", "modality": "text", "text": text, "target_emotion": emotion}
        )
        inputs.append(text)
    return Workload(pd.DataFrame(rows), inputs)


def _probe_reference(folder: Path) -> Path | None:
    """A labelled reference table for the speech emotion probe (EmoDB when present)."""
    labels = SHARED / "speech_emodb" / "labels.csv"
    if not labels.is_file():
        return None
    table = pd.read_csv(labels)
    table = pd.DataFrame({"path": [str(labels.parent / f) for f in table["file"]], "emotion": table["emotion"]})
    out = folder / "emodb_reference.csv"
    table.to_csv(out, index=False)
    return out


CASES = {
    "resemblyzer-ge2e": Case(
        "resemblyzer-ge2e", "speaker_similarity", lambda n, f: speech_workload(n, f, with_reference=True)
    ),
    "whisper-tiny-en": Case(
        "whisper-tiny-en", "speech_intelligibility", lambda n, f: speech_workload(n, f, transcribed=True)
    ),
    "fer-mini-xception": Case("fer-mini-xception", "face_emotion_accuracy", face_workload),
    "speech-emotion-probe": Case("speech-emotion-probe", "speech_emotion_accuracy", speech_workload),
    "text-emotion-zeroshot": Case("text-emotion-zeroshot", "text_emotion_accuracy", text_workload),
}
#: how much each sample feeds the raw side (speaker similarity embeds an output and its reference)
INPUTS_PER_SAMPLE = {"resemblyzer-ge2e": 2}


# -- the two sides ----------------------------------------------------------------------------------------------


def raw_calls(model: Any, inputs: list[Path | str], batch: int) -> None:
    """What the wrapper costs alone: read, ``prepare`` (decode), ``infer`` per batch of ``batch`` — no hashing,
    no cache, no metric, no results table."""
    from emoeval.reference_models.base import ModelInput

    for start in range(0, len(inputs), batch):
        prepared = []
        for index, item in enumerate(inputs[start : start + batch], start):
            if isinstance(item, Path):
                prepared.append(model.prepare(ModelInput(key=str(index), path=item, data=item.read_bytes())))
            else:
                prepared.append(model.prepare(ModelInput(key=str(index), text=item)))
        model.infer(prepared)


def ours(pool: Any, case: Case, workload: Workload, score_kwargs: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU seconds (all threads of this process) of ``emoeval.score`` with the case's metric, output
    cache off, models from ``pool``."""
    import emoeval

    start, cpu = time.perf_counter(), time.process_time()
    emoeval.score(
        workload.manifest, metrics=[case.metric], use_cache=False, progress=False, model_pool=pool, **score_kwargs
    )
    return time.perf_counter() - start, time.process_time() - cpu


def raw(pool: Any, case: Case, workload: Workload, batch: int) -> tuple[float, float]:
    """Wall and CPU seconds of :func:`raw_calls` with the case's model from ``pool``."""
    start, cpu = time.perf_counter(), time.process_time()
    raw_calls(pool.get(case.model), workload.inputs, batch)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(CASES), help=f"comma-separated, from: {', '.join(CASES)}")
    parser.add_argument("--seconds", type=float, default=30.0, help="raw workload per model (s), from a calibration")
    parser.add_argument("--repeat", type=int, default=3, help="alternating repetitions (raw, emoeval)")
    parser.add_argument("--calibration", type=int, default=16, help="inputs timed to size the workload")
    args = parser.parse_args()
    unknown = [m for m in args.models.split(",") if m not in CASES]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; choose from {', '.join(CASES)}")

    from emoeval.reference_models.base import ModelPool
    from emoeval.registry import get_metric_class

    pool = ModelPool()
    summary = []
    for name in args.models.split(","):
        case = CASES[name]
        with tempfile.TemporaryDirectory(prefix=f"bench-models-{name}-") as scratch:
            folder = Path(scratch)
            score_kwargs: dict[str, Any] = {}
            if name == "speech-emotion-probe":
                reference = _probe_reference(folder)
                if reference is None:
                    print(f"{name}: ../shared/data/speech_emodb absent: skipped")
                    continue
                score_kwargs["emotion_reference"] = reference
            (folder / "calibration").mkdir()
            batch = get_metric_class(case.metric).batch_size
            small = case.build(max(args.calibration, batch), folder / "calibration")

            ours(pool, case, small, score_kwargs)  # loads the models (and fits/loads the probe) outside the timings
            raw(pool, case, small, batch)  # warms the raw path too (first-call allocations)
            per_item = raw(pool, case, small, batch)[0] / len(small.inputs)
            per_sample = per_item * INPUTS_PER_SAMPLE.get(name, 1)
            n = max(args.calibration, math.ceil(args.seconds / per_sample))
            (folder / "work").mkdir()
            work = case.build(n, folder / "work")
            print(
                f"{name} via {case.metric}: {n} samples, {len(work.inputs)} distinct inputs, batch {batch} "
                f"(calibration {per_item * 1000:.1f} ms per input)",
                flush=True,
            )
            walls: dict[str, list[float]] = {"raw": [], "emoeval": []}
            cpus: dict[str, list[float]] = {"raw": [], "emoeval": []}
            for rep in range(args.repeat):
                for side in ("raw", "emoeval"):
                    wall, cpu = raw(pool, case, work, batch) if side == "raw" else ours(pool, case, work, score_kwargs)
                    walls[side].append(wall)
                    cpus[side].append(cpu)
                print(
                    f"  rep {rep + 1}: raw {walls['raw'][-1]:.2f} s, emoeval {walls['emoeval'][-1]:.2f} s, "
                    f"ratio {walls['emoeval'][-1] / walls['raw'][-1]:.3f}× "
                    f"(CPU {cpus['raw'][-1]:.2f} / {cpus['emoeval'][-1]:.2f} s, "
                    f"{cpus['emoeval'][-1] / cpus['raw'][-1]:.3f}×)",
                    flush=True,
                )
            ratios = [e / r for e, r in zip(walls["emoeval"], walls["raw"], strict=True)]
            cpu_ratios = [e / r for e, r in zip(cpus["emoeval"], cpus["raw"], strict=True)]
            summary.append(
                (
                    name,
                    case.metric,
                    n,
                    statistics.median(walls["raw"]),
                    statistics.median(ratios),
                    min(ratios),
                    max(ratios),
                    statistics.median(cpu_ratios),
                )
            )
    print(f"\n{'model':<24} {'metric':<24} {'samples':>7} {'raw s':>7} {'median':>8} {'spread':>15} {'CPU':>8}")
    for name, metric_name, n, raw_s, median, low, high, cpu in summary:
        print(f"{name:<24} {metric_name:<24} {n:>7} {raw_s:>7.1f} {median:>7.3f}× {low:>6.3f}–{high:.3f}× {cpu:>7.3f}×")
    print("(ratio = emoeval / raw wall time, median and min–max over the repetitions; CPU = median ratio of the")
    print(" process CPU time, all threads: less sensitive to other jobs on a shared machine)")


if __name__ == "__main__":
    main()
