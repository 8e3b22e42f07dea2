"""Real-data speech sets for the failure signatures: EmoDB clips, an over-smoothed copy of each, one clip for every
item, and Emo-StarGAN vs StarGANv2-VC conversions.

    python bench/signature_speech.py OUT [--data ../shared/data]

writes ``OUT/manifest.csv`` (sample_id, system, modality, path, target_emotion, group, reference) and the wav
files, then prints ``speech_smoothing`` per system: the EmoDB systems against the EmoDB originals
(``real_system=original``, matched by emotion), the conversions against their source recordings (the ``reference``
column). ``--smooth-ms`` sets the smoothing length (default 250 ms).
Systems:

- ``original``: the EmoDB recordings (Burkhardt et al. 2005; see ../shared/data/speech_emodb/SOURCE.txt);
- ``world_smoothed``: each recording analysed with WORLD (harvest F0, CheapTrick, D4C at 5 ms), its log-F0 contour
  smoothed within each voiced run and its log spectral envelope smoothed along time with a moving average of
  :data:`SMOOTH_FRAMES` frames (250 ms), then resynthesised — the over-smoothing of regression-based generators;
- ``world_copy``: the same analysis and resynthesis *without* smoothing, so the vocoder alone is measured too;
- ``collapsed``: the first recording returned for every item (mode collapse; its smoothing values are those of
  one clip against all of EmoDB);
- ``emo_stargan`` / ``stargan_v2_vc``: the voice conversions of ../shared/data/speech_emostargan (MIT), their
  source recording as ``reference``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
#: moving-average length of the smoothing, in 5 ms frames (250 ms: 125 ms leaves the F0 variance of EmoDB's
#: emphatic contours nearly as it is, since it sits in the slow intonation movements)
SMOOTH_FRAMES = 50
RATE = 16000
SYSTEMS = ("original", "world_copy", "world_smoothed", "collapsed", "emo_stargan", "stargan_v2_vc")
#: the voice-conversion systems, scored against their own source recordings (the ``reference`` column)
CONVERSIONS = ("emo_stargan", "stargan_v2_vc")


def _moving_average(x: np.ndarray, frames: int, axis: int = 0) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=frames, axis=axis, mode="nearest")


def world_resyntheses(
    samples: np.ndarray, rate: int, *, smooth_frames: int = SMOOTH_FRAMES
) -> tuple[np.ndarray, np.ndarray]:
    """One WORLD analysis, two syntheses: (plain copy, copy with log F0 smoothed within voiced runs and the log
    envelope smoothed along time by a ``smooth_frames``-frame moving average), each peak-normalised to 0.9."""
    import pyworld

    x = samples.astype(np.float64)
    f0, times = pyworld.harvest(x, rate, f0_floor=60.0, f0_ceil=800.0, frame_period=5.0)
    envelope = pyworld.cheaptrick(x, f0, times, rate)
    aperiodicity = pyworld.d4c(x, f0, times, rate)
    voiced = f0 > 0
    smoothed = f0.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        # within each voiced run only: averaging across an unvoiced gap would pull F0 towards 0 Hz
        smoothed[start:stop] = np.exp(_moving_average(np.log(f0[start:stop]), min(smooth_frames, stop - start)))
    smooth_envelope = np.exp(_moving_average(np.log(envelope + 1e-16), smooth_frames, axis=0))
    outputs = []
    for pitch, spectrum in ((f0, envelope), (smoothed, smooth_envelope)):
        out = pyworld.synthesize(pitch, spectrum, aperiodicity, rate, frame_period=5.0)
        outputs.append((0.9 * out / max(1e-9, float(np.max(np.abs(out))))).astype(np.float32))
    return outputs[0], outputs[1]


def world_resynthesis(
    samples: np.ndarray, rate: int, *, smooth: bool, smooth_frames: int = SMOOTH_FRAMES
) -> np.ndarray:
    """WORLD analysis → (optionally) smoothing of log F0 within voiced runs and of the log envelope → synthesis."""
    return world_resyntheses(samples, rate, smooth_frames=smooth_frames)[1 if smooth else 0]


def build(out: Path, data: Path = DEFAULT_DATA, *, smooth_frames: int = SMOOTH_FRAMES) -> Path:
    """Write the sets under ``out`` (deterministic: WORLD and the moving average have no randomness, the clip
    order is labels.csv's); returns the manifest path."""
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
        paths = {"original": source, "collapsed": first}
        copies = world_resyntheses(audio.samples, RATE, smooth_frames=smooth_frames)
        for system, samples in zip(("world_copy", "world_smoothed"), copies, strict=True):
            path = out / system / f"{stem}.wav"
            path.parent.mkdir(exist_ok=True)
            soundfile.write(path, samples, RATE)
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


def score(manifest: Path, *, n_bootstrap: int = 1000, **kwargs: object) -> pd.DataFrame:
    """``speech_smoothing`` of the EmoDB systems against ``original`` (``real_system``) and of the conversions
    against their source recordings (the manifest's ``reference`` column): the system rows of both runs."""
    import pandas as pd

    import emoeval

    frame = pd.read_csv(manifest, dtype=str)
    conversions = frame["system"].isin(CONVERSIONS)
    tables = []
    for part, options in ((~conversions, {"real_system": "original"}), (conversions, {})):
        path = manifest.with_name(f"{manifest.stem}_{'conversions' if options == {} else 'emodb'}.csv")
        own = frame[part]
        # the EmoDB run reads its reference from real_system, not from the reference column
        (own if not options else own.drop(columns=["reference"])).to_csv(path, index=False)
        table = emoeval.score(
            path, metrics=["speech_smoothing"], progress=False, n_bootstrap=n_bootstrap, **options, **kwargs
        ).table
        tables.append(table[(table["scope"] == "system") & table["target_emotion"].isna()])
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--smooth-ms", type=float, default=SMOOTH_FRAMES * 5.0, help="moving-average length")
    args = parser.parse_args()
    manifest = build(args.out, args.data, smooth_frames=max(1, round(args.smooth_ms / 5.0)))
    rows = score(manifest)
    print(f"speech_smoothing, value [95% CI]; smoothing {args.smooth_ms:.0f} ms; reference: EmoDB originals "
          f"(conversions: their sources)")  # fmt: skip
    for system in SYSTEMS:
        own = rows[rows["system"] == system]
        if own.empty:  # real_system=original is the reference set, not a scored system
            print(f"{system:15s} (the reference set)")
            continue
        values = "  ".join(f"{r.sub_metric} {r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in own.itertuples())
        print(f"{system:15s} {values}")


if __name__ == "__main__":
    main()
