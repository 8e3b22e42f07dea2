"""Speech emotion: the functionals, the speech probe on bundled audio, the four metrics, the CLI command.

Runs without ../shared: the probe is fitted on the shipped demo recordings (Emo-StarGAN samples: five source
utterances and their two conversions, labelled by the source's emotion). That set is far too small to
recognise emotions; here it only exercises the machinery, checked against independent computations.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "faster_whisper", reason="the speech probe needs the Whisper encoder: pip install 'emoeval[speech]'"
)
pytest.importorskip("pyworld", reason="the functionals need pyworld: pip install 'emoeval[speech]'")

from emoeval.errors import RunConfigError, WeightError
from emoeval.metrics.emotion_scores import js_divergence
from emoeval.metrics.speech.emotion import AROUSAL_COMPONENTS, SpeechEmotionAccuracy
from emoeval.reference_models.emotion_probe import PROBE_JSON, PROBE_SHA256, EmotionProbe, ProbeSettings
from emoeval.reference_models.speech_emotion import FUNCTIONAL_NAMES, functionals

DEMO_DIR = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo"
EMOTIONS = {"1_Sad": "sad", "5_Neutral": "neutral", "9_Surprise": "surprise", "13_Happy": "happy", "17_Angry": "angry"}


def _audio(path: Path) -> np.ndarray:
    import soundfile
    import soxr

    samples, rate = soundfile.read(path, dtype="float32")
    return soxr.resample(samples, rate, 16000, quality="HQ").astype(np.float32) if rate != 16000 else samples


# -- functionals ----------------------------------------------------------------------------------------------------


def test_functionals_are_gain_invariant_and_match_independent_computations(demo_dir):
    import librosa
    import pyworld

    x = _audio(demo_dir / "speech" / "17_Angry" / "source.wav")
    values = dict(zip(FUNCTIONAL_NAMES, functionals(x), strict=True))
    assert len(FUNCTIONAL_NAMES) == 38 == len(set(FUNCTIONAL_NAMES))
    np.testing.assert_allclose(functionals(0.2 * x), list(values.values()), rtol=1e-3, atol=1e-3)
    # F0 median: WORLD on the whole recording; the speech span holds (nearly) every voiced frame
    f0, t = pyworld.dio(x.astype(np.float64), 16000, f0_floor=60.0, f0_ceil=800.0, frame_period=5.0)
    f0 = pyworld.stonemask(x.astype(np.float64), f0, t, 16000)
    assert values["f0_median_st"] == pytest.approx(float(np.median(12 * np.log2(f0[f0 > 0]))), abs=0.3)
    # MFCC and alpha ratio: over the active frames, so close to (not equal to) whole-clip statistics of librosa's
    # own MFCC (same bands and windows) on a clip without leading silence
    whole = librosa.feature.mfcc(y=x, sr=16000, n_mfcc=14, n_fft=400, hop_length=160, n_mels=40, fmax=8000)
    assert np.corrcoef([values[f"mfcc{i}_mean"] for i in range(1, 14)], whole[1:].mean(axis=1))[0, 1] > 0.9
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / 16000)
    alpha = 10 * np.log10(
        spectrum[(freqs >= 1000) & (freqs < 5000)].sum() / spectrum[(freqs >= 50) & (freqs < 1000)].sum()
    )
    assert values["alpha_ratio_db"] == pytest.approx(alpha, abs=4.0)  # mean of frame ratios vs ratio of sums
    assert 0 < values["voiced_fraction"] <= 1 and values["speaking_rate"] > 1


def test_functionals_reject_silence_with_a_sample_error():
    from emoeval.errors import SampleInputError

    with pytest.raises(SampleInputError, match="speech"):
        functionals(np.zeros(16000, dtype=np.float32) + 1e-4 * np.sin(np.arange(16000)).astype(np.float32))


# -- the speech probe on the demo recordings --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_reference(tmp_path_factory) -> Path:
    """A labelled table of the 15 demo recordings (emotion of the source), speaker = the file's role."""
    folder = tmp_path_factory.mktemp("reference")
    table = folder / "reference.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "emotion", "speaker"])
        for item, emotion in EMOTIONS.items():
            for role in ("source", "baseline", "emo-stargan"):
                writer.writerow([DEMO_DIR / "speech" / item / f"{role}.wav", emotion, role])
    return table


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


@pytest.fixture
def manifest(tmp_path, demo_dir) -> Path:
    path = tmp_path / "manifest.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample_id", "system", "modality", "path", "target_emotion", "reference", "group"])
        for item, emotion in EMOTIONS.items():
            for system in ("baseline", "emo-stargan"):
                folder = demo_dir / "speech" / item
                writer.writerow(
                    [
                        f"{system}/{item}",
                        system,
                        "speech",
                        folder / f"{system}.wav",
                        emotion,
                        folder / "source.wav",
                        item,
                    ]
                )
    return path


def _features(pool, paths):
    from emoeval.context import ScoringContext

    context = ScoringContext(pool, None)
    blocks = [
        np.vstack(context.outputs(name, paths)) for name in ("whisper-tiny-en-encoder", "speech-prosody-functionals")
    ]
    return np.hstack(blocks)


def test_score_fits_the_probe_on_the_fly_and_the_values_follow_from_it(manifest, demo_reference, pool, tmp_path):
    from emoeval import score
    from emoeval.context import ScoringContext
    from emoeval.samples import read_manifest

    results = score(
        manifest,
        metrics=[
            "speech_emotion_accuracy",
            "speech_emotion_preservation",
            "speech_emotion_similarity",
            "speech_arousal_proxy",
        ],
        emotion_reference=demo_reference,
        cache_dir=tmp_path / "cache",
        progress=False,
        n_bootstrap=200,
        model_pool=pool,
    )
    table = results.table
    folder = pool.store.explicit["speech-emotion-probe"]
    assert folder.parent.parent == tmp_path / "cache" / "emotion-probes"
    probe = EmotionProbe.read(folder / PROBE_JSON, folder / "probe.npz")
    assert probe.labels == ("angry", "happy", "neutral", "sad", "surprise")
    rows = table[table["scope"] == "sample"]
    assert rows["error"].isna().all(), rows.loc[rows["error"].notna(), "error"].tolist()
    samples = sorted(set(rows["sample_id"]))

    by_id = {s.sample_id: s for s in read_manifest(manifest)}
    outs = [by_id[sid].path for sid in samples]
    refs = [Path(by_id[sid].reference) for sid in samples]
    p_out = probe.predict_proba(_features(pool, outs))
    p_ref = probe.predict_proba(_features(pool, refs))
    z_out, z_ref = probe.embed(_features(pool, outs)), probe.embed(_features(pool, refs))

    def value(metric, sub, sid):
        chosen = rows[(rows["metric"] == metric) & (rows["sub_metric"] == sub) & (rows["sample_id"] == sid)]
        assert len(chosen) == 1
        return chosen.iloc[0]

    for index, sid in enumerate(samples):
        target = by_id[sid].target_emotion
        predicted = probe.labels[int(np.argmax(p_out[index]))]
        row = value("speech_emotion_accuracy", "correct", sid)
        assert row["label"] == predicted and row["value"] == float(predicted == target)
        assert value("speech_emotion_accuracy", "target_probability", sid)["value"] == pytest.approx(
            p_out[index][probe.labels.index(target)], abs=1e-9
        )
        assert value("speech_emotion_preservation", "js_divergence", sid)["value"] == pytest.approx(
            js_divergence(p_out[index], p_ref[index]), abs=1e-9
        )
        same = float(np.argmax(p_out[index]) == np.argmax(p_ref[index]))
        assert value("speech_emotion_preservation", "same_label", sid)["value"] == same
        cosine = z_out[index] @ z_ref[index] / np.linalg.norm(z_out[index]) / np.linalg.norm(z_ref[index])
        assert value("speech_emotion_similarity", "cosine", sid)["value"] == pytest.approx(cosine, abs=1e-9)

    # the arousal proxy: mean of the five standardised functionals, by hand from the reference set's statistics
    reference_items = [Path(r[0]) for r in csv.reader(demo_reference.open()) if r[0] != "path"]
    func = np.vstack(ScoringContext(pool, None).outputs("speech-prosody-functionals", reference_items))
    columns = [FUNCTIONAL_NAMES.index(c) for c in AROUSAL_COMPONENTS]
    mean, sd = func[:, columns].mean(axis=0), func[:, columns].std(axis=0)
    out_func = np.vstack(ScoringContext(pool, None).outputs("speech-prosody-functionals", outs))
    expected = ((out_func[:, columns] - mean) / sd).mean(axis=1)
    got = [value("speech_arousal_proxy", "arousal_proxy", sid)["value"] for sid in samples]
    np.testing.assert_allclose(got, expected, atol=1e-9)

    system = table[table["scope"] == "system"]
    confusion = system[(system["metric"] == "speech_emotion_accuracy") & (system["sub_metric"] == "confusion")]
    assert confusion.groupby("system")["value"].sum().tolist() == [5.0, 5.0]
    assert set(confusion["label"]) == set(probe.labels)
    separation = system[system["sub_metric"] == "reference_separation_auc"]
    assert len(separation) == 2 and separation["value"].iloc[0] == pytest.approx(probe.report["separation"]["auc"])
    models = {model["name"]: model for model in results.run["models"]}
    recorded = sorted(line.split()[::-1] for line in (folder / PROBE_SHA256).read_text().splitlines())
    listing = "\n".join(f"{name}:{digest}" for name, digest in recorded)
    assert models["speech-emotion-probe"]["weights_sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    assert (
        table.loc[table["metric"] == "speech_emotion_accuracy", "model_sha256"]
        .str.contains(models["speech-emotion-probe"]["weights_sha256"])
        .all()
    )

    # a second run with the same reference set finds the fitted probe in the cache (no refit)
    mtime = (folder / PROBE_JSON).stat().st_mtime_ns
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    again = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
    again._models.update({n: m for n, m in pool.loaded().items() if n != "speech-emotion-probe"})
    score(
        manifest,
        metrics=["speech_emotion_accuracy"],
        emotion_reference=demo_reference,
        cache_dir=tmp_path / "cache",
        progress=False,
        n_bootstrap=10,
        model_pool=again,
    )
    assert again.store.explicit["speech-emotion-probe"] == folder and (folder / PROBE_JSON).stat().st_mtime_ns == mtime


def test_without_an_emotion_reference_the_metrics_stay_out_of_default_runs(manifest):
    from emoeval.api import resolve_metrics
    from emoeval.samples import read_manifest

    samples = read_manifest(manifest)
    names = {m.spec.name for m in resolve_metrics(None, samples)}
    assert not any("emotion" in name or "arousal" in name for name in names)
    with_reference = {m.spec.name for m in resolve_metrics(None, samples, emotion_reference="ref.csv")}
    assert {"speech_emotion_accuracy", "speech_emotion_preservation", "speech_arousal_proxy"} <= with_reference
    assert "speech_emotion_accuracy_speechbrain" not in with_reference
    with pytest.raises(RunConfigError, match="--emotion-reference"):
        SpeechEmotionAccuracy()


def test_targets_the_probe_cannot_say_are_not_scorable(manifest, demo_reference, pool, tmp_path):
    from emoeval import score
    from emoeval.samples import read_manifest

    reference = tmp_path / "two.csv"
    rows = [r for r in csv.reader(demo_reference.open())]
    reference.write_text("\n".join(",".join(r) for r in rows if r[1] in ("emotion", "sad", "angry")) + "\n")
    samples = [s for s in read_manifest(manifest) if s.system == "baseline"]
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    fresh = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
    fresh._models.update({n: m for n, m in pool.loaded().items() if n != "speech-emotion-probe"})
    table = score(
        samples,
        metrics=["speech_emotion_accuracy"],
        emotion_reference=reference,
        progress=False,
        n_bootstrap=10,
        model_pool=fresh,
    ).table
    errors = table[(table["scope"] == "sample") & table["error"].notna()]
    assert sorted(errors["target_emotion"]) == ["happy", "neutral", "surprise"]
    assert errors["error"].str.startswith("not scorable").all()
    assert table[(table["scope"] == "sample") & (table["sub_metric"] == "correct") & table["error"].isna()][
        "target_emotion"
    ].tolist() == [
        "sad",
        "angry",
    ]


def test_a_probe_fitted_on_other_features_is_refused(demo_reference, pool, tmp_path):
    import json

    from emoeval.reference_models.speech_emotion import SpeechEmotionProbe

    folder = SpeechEmotionProbe.prepare_folder(demo_reference, pool, None, out=tmp_path)
    metadata = json.loads((folder / PROBE_JSON).read_text())
    metadata["features"][0]["fingerprint"] = "0" * 64
    (folder / PROBE_JSON).write_text(json.dumps(metadata))
    from emoeval.reference_models.emotion_probe import PROBE_FILES
    from emoeval.reference_models.store import sha256_of_file

    (folder / PROBE_SHA256).write_text("".join(f"{sha256_of_file(folder / n)}  {n}\n" for n in PROBE_FILES))
    store = pool.store
    previous = dict(store.explicit)
    store.explicit = {**previous, "speech-emotion-probe": folder}
    try:
        with pytest.raises(WeightError, match="refit"):
            SpeechEmotionProbe.load(store, pool)
    finally:
        store.explicit = previous


def test_cli_fits_reports_and_saves(demo_reference, tmp_path):
    from click.testing import CliRunner

    from emoeval.cli import main

    result = CliRunner().invoke(
        main, ["models", "fit-emotion-probe", str(demo_reference), "--out", str(tmp_path / "probe"), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "leave-one-speaker-out (3 speakers): accuracy" in result.output
    assert "true \\ pred" in result.output and "artefact sha256" in result.output
    predictions = list(csv.DictReader((tmp_path / "probe" / "cv_predictions.csv").open()))
    assert len(predictions) == 15
    for row in predictions:
        probabilities = [float(row[f"p_{label}"]) for label in ("angry", "happy", "neutral", "sad", "surprise")]
        assert math.isclose(sum(probabilities), 1.0, abs_tol=1e-9) or max(probabilities) < 1
        assert float(row["target_probability"]) == pytest.approx(float(row[f"p_{row['emotion']}"]))
    broken = CliRunner().invoke(
        main, ["models", "fit-emotion-probe", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x")]
    )
    assert broken.exit_code == 1 and "does not exist" in broken.output


def test_probe_settings_are_validated():
    with pytest.raises(ValueError, match="positive"):
        ProbeSettings(c=0)


@pytest.mark.parametrize("name", ["SpeechEmotionAccuracy", "SpeechEmotionPreservation", "SpeechArousalProxy"])
def test_the_probe_metrics_pass_check_metric(name, manifest, demo_reference, pool):
    import emoeval.metrics.speech.emotion as emotion
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.emotion_probe import attach_emotion_probes
    from emoeval.reference_models.store import WeightStore
    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    metric_class = getattr(emotion, name)
    # a pool of its own for the probe (check_metric fits it without a cache), sharing the loaded feature extractors
    fresh = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
    fresh._models.update({n: m for n, m in pool.loaded().items() if n != "speech-emotion-probe"})
    params = {"emotion_reference": str(demo_reference)}
    attach_emotion_probes([metric_class(**params)], fresh, None)  # the cache keys need the probe's files
    report = check_metric(
        metric_class,
        read_manifest(manifest),
        params=params,
        alternatives={"emotion_reference": "another.csv"},
        score_options={"n_bootstrap": 20},
        model_pool=fresh,
    )
    assert "cache key changes with emotion_reference" in report.passed and not report.failures
