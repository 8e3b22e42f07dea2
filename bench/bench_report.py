"""Benchmark: size and render time of the HTML report for a large run (5 systems × 500 samples by default).

Builds a synthetic but realistic results folder — the rows `emoeval score` writes for speech systems: speaker
similarity and a quality MOS per sample, an emotion recognizer with predicted labels, macro-F1, per-class recall
and confusion counts, a Fréchet distance per system and per emotion with its small-sample warning, a few error
rows and resampling warnings — with a manifest whose samples reuse the shipped demo recordings (or faces with
``--modality face``), then renders it with a gallery of ``--gallery`` samples per system × emotion. Prints
the file size (and how much of it is media) and the render time. The targets of issue 8 are < 15 MB and < 30 s
on 2 cores; no threshold is checked here: read the numbers.

    python bench/bench_report.py [--systems 5] [--samples 500] [--gallery 10] [--modality speech|face|text]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

EMOTIONS = ("neutral", "happy", "sad", "angry", "surprise")


def demo_media(modality: str) -> list[tuple[str, str, str]]:
    """(output path, reference path, emotion) triples from the shipped demo set."""
    from emoeval.demo import demo_manifest
    from emoeval.samples import read_manifest

    media = []
    for sample in read_manifest(demo_manifest()):
        if sample.modality == modality and sample.path is not None:
            media.append((str(sample.path), str(sample.reference or sample.path), str(sample.target_emotion)))
    return media


def build(folder: Path, *, systems: int, samples: int, modality: str, seed: int = 0) -> Path:
    """Write results.parquet/csv, run.json and manifest.csv for a synthetic run into ``folder``."""
    import numpy as np
    import pandas as pd

    from emoeval.results import Results, results_frame
    from emoeval.stats.aggregate import mean_with_ci

    rng = np.random.default_rng(seed)
    links = folder / "media"
    links.mkdir(parents=True, exist_ok=True)
    names = [f"system_{chr(ord('a') + index)}" for index in range(systems)]
    media = demo_media("speech" if modality == "text" else modality)
    common = {
        "run_id": "bench-run",
        "emoeval_version": "0.1.0",
        "config_hash": "f" * 64,
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    rows: list[dict] = []
    manifest: list[dict] = []
    recognizer = f"{modality}_emotion_accuracy"
    classes = list(EMOTIONS)
    for rank, system in enumerate(names):
        skill = 0.55 + 0.07 * rank
        for index in range(samples):
            emotion = EMOTIONS[index % len(EMOTIONS)]
            group = f"item{index:04d}"
            sample_id = f"{system}/{group}"
            source, reference, _ = media[index % len(media)]
            # a file of its own per sample (a symlink), as in a real run, so no encoding is shared between samples
            path = str(links / f"{system}_{index:04d}{Path(source).suffix}")
            Path(path).symlink_to(source)
            record = {
                "sample_id": sample_id,
                "system": system,
                "modality": modality,
                "target_emotion": emotion,
                "group": group,
            }
            if modality == "text":
                record.update(
                    text=f"Response {index} of {system}: that sounds {emotion}.",
                    context=json.dumps([f"Prompt {index}"]),
                )
            else:
                record.update(path=path, reference=reference)
            manifest.append(record)
            base = {
                **common,
                "system": system,
                "scope": "sample",
                "statistic": "value",
                "sample_id": sample_id,
                "group": group,
                "target_emotion": emotion,
                "n": 1,
            }
            if rng.random() < 0.01:
                rows.append(
                    {
                        **base,
                        "metric": "speaker_similarity",
                        "sub_metric": "cosine",
                        "value": math.nan,
                        "higher_is_better": True,
                        "error": f"{path}: the recording is silent; regenerate this output",
                    }
                )
            else:
                rows.append(
                    {
                        **base,
                        "metric": "speaker_similarity",
                        "sub_metric": "cosine",
                        "higher_is_better": True,
                        "value": float(np.clip(rng.normal(skill, 0.08), -1, 1)),
                        "warning": "resampled to 16000 Hz for the model (output 24000 Hz)",
                        "model": "resemblyzer-ge2e@0.1.4",
                        "model_sha256": "3" * 64,
                        "metric_version": "1.1.0",
                    }
                )
            for sub in ("ovrl", "sig", "bak"):
                rows.append(
                    {
                        **base,
                        "metric": "speech_quality_mos",
                        "sub_metric": sub,
                        "higher_is_better": True,
                        "value": float(np.clip(rng.normal(2.6 + rank * 0.2, 0.4), 1, 5)),
                        "metric_version": "1.0.0",
                    }
                )
            correct = rng.random() < skill
            predicted = emotion if correct else classes[int(rng.integers(len(classes)))]
            rows.append(
                {
                    **base,
                    "metric": recognizer,
                    "sub_metric": "correct",
                    "higher_is_better": True,
                    "value": float(predicted == emotion),
                    "label": predicted,
                    "metric_version": "1.0.0",
                }
            )
            rows.append(
                {
                    **base,
                    "metric": recognizer,
                    "sub_metric": "target_probability",
                    "higher_is_better": True,
                    "value": float(np.clip(rng.normal(skill, 0.15), 0, 1)),
                    "metric_version": "1.0.0",
                }
            )
    frame = pd.DataFrame(rows)
    system_rows: list[dict] = []
    for (system, metric, sub), group in frame[frame["error"].isna() if "error" in frame else slice(None)].groupby(
        ["system", "metric", "sub_metric"]
    ):
        estimate = mean_with_ci(group["value"].to_numpy(float), n_resamples=500)
        system_rows.append(
            {
                **common,
                "system": system,
                "scope": "system",
                "statistic": "mean",
                "metric": metric,
                "sub_metric": sub,
                "value": estimate.value,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "n": estimate.n,
                "higher_is_better": bool(group["higher_is_better"].iloc[0]),
            }
        )
    for system in names:
        own = frame[(frame["system"] == system) & (frame["metric"] == recognizer) & (frame["sub_metric"] == "correct")]
        recalls = []
        for emotion in EMOTIONS:
            hits = own[own["target_emotion"] == emotion]
            recall = float(hits["value"].mean())
            recalls.append(recall)
            system_rows.append(
                {
                    **common,
                    "system": system,
                    "scope": "system",
                    "statistic": "value",
                    "metric": recognizer,
                    "sub_metric": "recall",
                    "target_emotion": emotion,
                    "value": recall,
                    "n": len(hits),
                    "higher_is_better": True,
                }
            )
            for label in classes:
                system_rows.append(
                    {
                        **common,
                        "system": system,
                        "scope": "system",
                        "statistic": "count",
                        "metric": recognizer,
                        "sub_metric": "confusion",
                        "target_emotion": emotion,
                        "label": label,
                        "value": float((hits["label"] == label).sum()),
                        "n": len(hits),
                    }
                )
        system_rows.append(
            {
                **common,
                "system": system,
                "scope": "system",
                "statistic": "value",
                "metric": recognizer,
                "sub_metric": "macro_f1",
                "value": float(np.mean(recalls)),
                "ci_low": float(np.mean(recalls)) - 0.04,
                "ci_high": float(np.mean(recalls)) + 0.04,
                "n": len(own),
                "higher_is_better": True,
            }
        )
        distance = 40.0 - 5.0 * names.index(system)
        for emotion in (None, *EMOTIONS):
            value = distance * (1.0 if emotion is None else 1.3) + float(rng.normal(0, 1))
            system_rows.append(
                {
                    **common,
                    "system": system,
                    "scope": "system",
                    "statistic": "corpus",
                    "metric": "speech_fd",
                    "sub_metric": "fd",
                    "target_emotion": emotion,
                    "value": value,
                    "ci_low": value - 3,
                    "ci_high": value + 3,
                    "n": samples if emotion is None else samples // len(EMOTIONS),
                    "higher_is_better": False,
                    "warning": f"speech_fd from {samples} vectors (< 2048): biased upward by sample size",
                }
            )
    table = results_frame([*rows, *system_rows])
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "manifest.csv"
    pd.DataFrame(manifest).to_csv(manifest_path, index=False)
    run = {
        "run_id": "bench-run",
        "status": "complete",
        "created_at": common["created_at"],
        "emoeval_version": "0.1.0",
        "config_hash": common["config_hash"],
        "config": {"bootstrap": {"n_resamples": 2000, "confidence": 0.95, "seed": 0}, "metrics": []},
        "inputs": {
            "source": str(manifest_path),
            "n_samples": len(manifest),
            "systems": {name: samples for name in names},
            "modalities": {modality: len(manifest)},
        },
        "models": [
            {
                "name": "resemblyzer-ge2e",
                "version": "0.1.4",
                "weights_sha256": "3" * 64,
                "license": "Apache-2.0",
                "files": [{"filename": "pretrained.pt", "sha256": "3" * 64, "source": "package"}],
            }
        ],
    }
    Results(table=table, run=run).write(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--samples", type=int, default=500, help="samples per system")
    parser.add_argument("--gallery", type=int, default=10, help="gallery samples per system × emotion")
    parser.add_argument("--modality", choices=("speech", "face", "text"), default="speech")
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the folder and the report here instead of a temporary folder")
    args = parser.parse_args()

    import emoeval

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        started = time.perf_counter()
        build(folder / "results", systems=args.systems, samples=args.samples, modality=args.modality)
        built = time.perf_counter() - started
        started = time.perf_counter()
        written = emoeval.report(folder / "results", folder / "report.html", per_cell=args.gallery, worst=args.worst)
        seconds = time.perf_counter() - started
        print(
            f"{args.systems} {args.modality} systems × {args.samples} samples, gallery {args.gallery} per system × "
            f"emotion ({args.systems * len(EMOTIONS) * args.gallery} cards): report "
            f"{written.html_bytes / 1e6:.2f} MB (media {written.media_bytes / 1e6:.2f} MB in {written.media_files} "
            f"files), rendered in {seconds:.1f} s (results folder built in {built:.1f} s; targets < 15 MB, < 30 s)"
        )


if __name__ == "__main__":
    main()
