"""Real-data speech sets for the failure signatures: EmoDB clips, an over-smoothed copy of each, one clip for every
item, and Emo-StarGAN vs StarGANv2-VC conversions.

    python bench/signature_speech.py OUT [--data ../shared/data]

writes ``OUT/manifest.csv`` (sample_id, system, modality, path, target_emotion, group, reference) and the wav
files, then prints ``speech_smoothing`` per system (reference: the EmoDB originals, ``real_system=original``).
Systems:

- ``original``: the EmoDB recordings (Burkhardt et al. 2005; see ../shared/data/speech_emodb/SOURCE.txt);
- ``world_smoothed``: each recording analysed with WORLD (harvest F0, CheapTrick, D4C at 5 ms), its log-F0 contour
  smoothed within each voiced run and its log spectral envelope smoothed along time with a moving average of
  :data:`SMOOTH_FRAMES` frames (250 ms), then resynthesised — the over-smoothing of regression-based generators;
- ``world_copy``: the same analysis and resynthesis *without* smoothing, so the vocoder alone is measured too;
- ``one_clip``: the first recording returned for every item (mode collapse);
- ``emo_stargan`` / ``stargan_v2_vc``: the voice conversions of ../shared/data/speech_emostargan (MIT), their
  source recording as ``reference``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
#: moving-average length of the smoothing, in 5 ms frames (250 ms: 125 ms leaves the F0 variance of EmoDB's
#: emphatic contours nearly as it is, since it sits in the slow intonation movements)
SMOOTH_FRAMES = 50
RATE = 16000
SYSTEMS = ("original", "world_copy", "world_smoothed", "one_clip", "emo_stargan", "stargan_v2_vc")


def _moving_average(x: np.ndarray, frames: int, axis: int = 0) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=frames, axis=axis, mode="nearest")


def world_resynthesis(samples: np.ndarray, rate: int, *, smooth: bool) -> np.ndarray:
    """WORLD analysis → (optionally) smoothing of log F0 within voiced runs and of the log envelope → synthesis."""
    import pyworld

    x = samples.astype(np.float64)
    f0, times = pyworld.harvest(x, rate, f0_floor=60.0, f0_ceil=800.0, frame_period=5.0)
    envelope = pyworld.cheaptrick(x, f0, times, rate)
    aperiodicity = pyworld.d4c(x, f0, times, rate)
    if smooth:
        voiced = f0 > 0
        smoothed = f0.copy()
        edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(int), [0]])))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            smoothed[start:stop] = np.exp(_moving_average(np.log(f0[start:stop]), min(SMOOTH_FRAMES, stop - start)))
        f0 = smoothed
        envelope = np.exp(_moving_average(np.log(envelope + 1e-16), SMOOTH_FRAMES, axis=0))
    out = pyworld.synthesize(f0, envelope, aperiodicity, rate, frame_period=5.0)
    return (0.9 * out / max(1e-9, float(np.max(np.abs(out))))).astype(np.float32)


def build(out: Path, data: Path = DEFAULT_DATA) -> Path:
    """Write the sets under ``out``; returns the manifest path."""
    import soundfile

    from emoeval.labels import normalize_label
    from emoeval.media.audio import load_audio

    emodb = data / "speech_emodb"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    clips = list(csv.DictReader((emodb / "labels.csv").open(encoding="utf-8")))
    first = emodb / clips[0]["file"]
    for clip in clips:
        source = emodb / clip["file"]
        stem = Path(clip["file"]).stem
        emotion = normalize_label(clip["emotion"])
        audio = load_audio(source, target_rate=RATE)
        paths = {"original": source, "one_clip": first}
        for system, smooth in (("world_copy", False), ("world_smoothed", True)):
            path = out / system / f"{stem}.wav"
            path.parent.mkdir(exist_ok=True)
            soundfile.write(path, world_resynthesis(audio.samples, RATE, smooth=smooth), RATE)
            paths[system] = path
        for system, path in paths.items():
            rows.append(
                {"sample_id": f"{system}/{stem}", "system": system, "modality": "speech", "path": str(path),
                 "target_emotion": emotion, "group": stem, "reference": str(source)}
            )  # fmt: skip
    conversions = data / "speech_emostargan"
    for item in csv.DictReader((conversions / "labels.csv").open(encoding="utf-8")):
        if item["role"] == "source":
            continue
        system = {"baseline_stargan2vc": "stargan_v2_vc"}.get(item["role"], item["role"].replace("-", "_"))
        source = conversions / "items" / item["item"] / "source.wav"
        rows.append(
            {"sample_id": f"{system}/{item['item']}", "system": system, "modality": "speech",
             "path": str(conversions / item["file"]), "target_emotion": normalize_label(item["source_emotion"]),
             "group": item["item"], "reference": str(source)}
        )  # fmt: skip
    manifest = out / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def main() -> None:
    import emoeval

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    manifest = build(args.out, args.data)
    table = emoeval.score(manifest, metrics=["speech_smoothing"], real_system="original", progress=False).table
    rows = table[(table["scope"] == "system") & table["target_emotion"].isna()]
    for system, own in rows.groupby("system"):
        values = "  ".join(f"{r.sub_metric} {r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in own.itertuples())
        print(f"{system:16s} {values}")


if __name__ == "__main__":
    main()
