"""Benchmark of the speech emotion probe: feature speed, probe fit time, and emoeval's scoring overhead.

1. **Features per second of audio**: the Whisper tiny.en encoder embedding and the prosodic/spectral functionals,
   each called directly on decoded 16 kHz audio (real recordings: the demo's Emo-StarGAN samples, and EmoDB from
   ../shared/data when present), reported as seconds of audio processed per second of wall time.
2. **Probe fit time for 1,000 clips**: ``fit_probe`` (standardisation + multinomial logistic regression, with and
   without its leave-one-speaker-out cross-validation) on synthetic 806-d features of 1,000 clips, 7 emotions,
   10 speakers — the fit does not look at audio, so synthetic features time it faithfully.
3. **Scoring overhead**: ``emoeval.score`` with ``speech_emotion_accuracy`` (output cache off, probe already
   fitted and loaded) vs. the same work by hand: decode each file, call the Whisper encoder and the functionals,
   apply the probe. Target ≤ 1.10×. The ratio against the encoder calls alone is printed too.

    python bench/bench_speech_emotion.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def _recordings() -> list[Path]:
    from emoeval.demo import demo_manifest

    files = sorted((demo_manifest().parent / "speech").rglob("*.wav"))
    shared = demo_manifest().parents[4] / "shared" / "data" / "speech_emodb" / "audio"
    if shared.is_dir():
        files += sorted(shared.glob("*.wav"))
    return files


def _best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    import emoeval
    from emoeval.media.audio import decode_audio
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.emotion_probe import FeatureBlock, ProbeSettings, fit_probe
    from emoeval.reference_models.speech_emotion import functionals
    from emoeval.reference_models.whisper import whisper_encoder_embedding

    files = _recordings()
    audio = [decode_audio(path.read_bytes(), str(path), target_rate=16000).samples for path in files]
    seconds = sum(a.size for a in audio) / 16000
    pool = ModelPool()
    encoder = pool.get("whisper-tiny-en-encoder")
    whisper_encoder_embedding(encoder.whisper, audio[0])  # warm up
    functionals(audio[0])

    # 1. features per second of audio
    t_encoder = _best(lambda: [whisper_encoder_embedding(encoder.whisper, a) for a in audio], args.repeat)
    t_functionals = _best(lambda: [functionals(a) for a in audio], args.repeat)
    print(f"{len(files)} recordings, {seconds:.1f} s of audio")
    print(
        f"Whisper encoder embedding: {seconds / t_encoder:6.1f} s of audio per s ({t_encoder / len(files):.3f} s/clip)"
    )
    print(
        f"functionals:               {seconds / t_functionals:6.1f} s of audio per s "
        f"({t_functionals / len(files):.3f} s/clip)"
    )
    print(f"both:                      {seconds / (t_encoder + t_functionals):6.1f} s of audio per s")

    # 2. probe fit time for 1,000 clips (synthetic features of the probe's shape)
    rng = np.random.default_rng(0)
    labels = [("angry", "boredom", "disgust", "fear", "happy", "neutral", "sad")[i % 7] for i in range(1000)]
    speakers = [f"spk{i % 10}" for i in range(1000)]
    centres = {label: rng.normal(0, 1, 806) for label in set(labels)}
    x = np.vstack([centres[label] + rng.normal(0, 3, 806) for label in labels])
    features = {"whisper-tiny-en-encoder": x[:, :768], "speech-prosody-functionals": x[:, 768:]}
    blocks = [FeatureBlock("whisper-tiny-en-encoder", "", 768), FeatureBlock("speech-prosody-functionals", "", 38)]
    fit_only = _best(
        lambda: fit_probe(features, blocks, labels, speakers, name="bench", cross_validation=False), args.repeat
    )
    with_cv = _best(lambda: fit_probe(features, blocks, labels, speakers, name="bench"), 1)
    probe = fit_probe(features, blocks, labels, speakers, name="bench", settings=ProbeSettings())
    print(
        f"probe fit, 1,000 clips × 806 features: {fit_only:.2f} s; "
        f"with leave-one-speaker-out (10 folds) and the separation check: {with_cv:.2f} s"
    )
    print(f"  (synthetic features; LOSO accuracy {probe.report['cross_validation']['accuracy']:.3f})")

    # 3. scoring overhead: emoeval.score vs the same work by hand
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="emoeval-bench-probe-"))
    reference = folder / "reference.csv"
    emotions = ("angry", "happy", "neutral", "sad")
    pd.DataFrame({"path": [str(p) for p in files], "emotion": [emotions[i % 4] for i in range(len(files))]}).to_csv(
        reference, index=False
    )
    manifest = pd.DataFrame(
        {
            "sample_id": [f"s{i}" for i in range(len(files))],
            "system": "bench",
            "modality": "speech",
            "path": [str(p) for p in files],
            "target_emotion": [emotions[i % 4] for i in range(len(files))],
        }
    )

    def with_emoeval() -> None:
        emoeval.score(
            manifest,
            metrics=["speech_emotion_accuracy"],
            emotion_reference=reference,
            use_cache=False,
            progress=False,
            n_bootstrap=200,
            model_pool=pool,
        )

    with_emoeval()  # fits the probe once (into a temporary folder) and loads it
    model = pool.get("speech-emotion-probe")
    functional_model = pool.get("speech-prosody-functionals")

    def by_hand() -> None:
        for path in files:
            samples = decode_audio(path.read_bytes(), str(path), target_rate=16000).samples
            vector = np.concatenate(
                [whisper_encoder_embedding(encoder.whisper, samples), functional_model.infer([samples])[0]]
            )
            model.probe.predict_proba(vector[None])

    def encoder_only() -> None:
        for path in files:
            samples = decode_audio(path.read_bytes(), str(path), target_rate=16000).samples
            whisper_encoder_embedding(encoder.whisper, samples)

    # interleaved, best of --repeat each: other load on the machine hits all three alike
    timings: dict[str, list[float]] = {"emoeval": [], "hand": [], "encoder": []}
    for _ in range(args.repeat):
        for key, function in (("emoeval", with_emoeval), ("hand", by_hand), ("encoder", encoder_only)):
            timings[key].append(_best(function, 1))
    t_emoeval, t_hand, t_encoder_only = (min(timings[key]) for key in ("emoeval", "hand", "encoder"))
    print(
        f"scoring {len(files)} clips: emoeval {t_emoeval:.2f} s, "
        f"by hand (encoder + functionals + probe) {t_hand:.2f} s,"
    )
    print(f"  encoder calls alone {t_encoder_only:.2f} s")
    print(f"overhead: {t_emoeval / t_hand:.3f}× the same work by hand (target ≤ 1.10×)")
    print(f"          {t_emoeval / t_encoder_only:.3f}× the encoder calls alone")


if __name__ == "__main__":
    main()
