"""Entry-point discovery: built-ins and a third-party plug-in are found the same way."""

from __future__ import annotations

import pytest

from emoeval.errors import EmoevalError, UnknownNameError
from emoeval.metric import Metric
from emoeval.registry import (
    create_metric,
    get_metric_class,
    get_reference_model_class,
    metric_names,
    reference_model_names,
)

BUILT_IN_METRICS = {
    "face_emotion_accuracy",
    "face_emotion_change",
    "face_fd",
    "face_identity_similarity",
    "face_image_quality",
    "face_kid",
    "face_lpips",
    "face_prdc",
    "speaker_similarity",
    "speech_arousal_proxy",
    "speech_dnsmos",
    "speech_emotion_accuracy",
    "speech_emotion_preservation",
    "speech_emotion_similarity",
    "speech_fd",
    "speech_intelligibility",
    "speech_kid",
    "speech_mcd",
    "speech_mos_distill",
    "speech_pesq",
    "speech_prosody_descriptors",
    "speech_prosody_distance",
    "speech_stoi",
    "text_bertscore",
    "text_coherence",
    "text_contradiction",
    "text_corpus_bleu",
    "text_distinct_n",
    "text_emotion_accuracy",
    "text_emotion_appropriateness",
    "text_fd",
    "text_next_utterance_rank",
    "text_ngram_entropy",
    "text_overlap",
    "text_reference_fd",
    "text_repetition",
    "text_self_bleu",
}
#: metric names of emoeval 0.1 that are now one metric with a model (or other) parameter; kept for one release
OLD_NAMES = {
    "face_emotion_accuracy_deepface": "face_emotion_accuracy(recognizer=deepface-emotion)",
    "face_emotion_change_deepface": "face_emotion_change(recognizer=deepface-emotion)",
    "face_emotion_fd": "face_fd(embedder=fer-mini-xception)",
    "face_fid": "face_fd",
    "face_identity_arcface": "face_identity_similarity(embedder=deepface-arcface)",
    "face_identity_fd": "face_fd(by_emotion=false, embedder=dlib-face-identity)",
    "speaker_similarity_ecapa": "speaker_similarity(embedder=speechbrain-ecapa-voxceleb)",
    "speech_emotion_accuracy_speechbrain": "speech_emotion_accuracy(recognizer=speechbrain-emotion-iemocap)",
    "speech_emotion_preservation_speechbrain": "speech_emotion_preservation(recognizer=speechbrain-emotion-iemocap)",
    "speech_intelligibility_whisper_small": "speech_intelligibility(asr=whisper-small-en)",
    "speech_speaker_fd": "speech_fd(by_emotion=false, embedder=resemblyzer-ge2e)",
    "text_emotion_accuracy_distilroberta": "text_emotion_accuracy(recognizer=distilroberta-emotion)",
    "text_emotion_accuracy_probe": "text_emotion_accuracy(recognizer=text-emotion-probe)",
}
BUILT_IN_MODELS = {
    "all-minilm-l6-v2",
    "all-minilm-l6-v2-tokens",
    "deepface-arcface",
    "deepface-emotion",
    "distillmos",
    "distilroberta-emotion",
    "distilroberta-nli",
    "dlib-face-identity",
    "dnsmos",
    "fer-mini-xception",
    "fid-inception-v3",
    "lpips-alex",
    "resemblyzer-ge2e",
    "speech-emotion-probe",
    "speech-prosody-functionals",
    "speechbrain-ecapa-voxceleb",
    "speechbrain-emotion-iemocap",
    "text-emotion-zeroshot",
    "whisper-small-en",
    "whisper-tiny-en",
    "whisper-tiny-en-encoder",
    "yunet-face-detector",
}


def test_built_ins_are_registered_as_entry_points():
    assert set(metric_names()) >= BUILT_IN_METRICS
    assert set(reference_model_names()) >= BUILT_IN_MODELS
    for name in BUILT_IN_METRICS:
        metric_class = get_metric_class(name)
        assert issubclass(metric_class, Metric)
        assert metric_class.spec.name == name
        for model in metric_class.spec.models:
            assert model in reference_model_names()


def test_old_names_are_aliases_of_one_metric_with_parameters():
    from emoeval.registry import metric_aliases

    aliases = metric_aliases()
    assert set(aliases) >= set(OLD_NAMES)
    assert not set(OLD_NAMES) & set(metric_names())  # listed once, under the new name
    for old, replacement in OLD_NAMES.items():
        alias = aliases[old]
        assert alias.replacement == replacement, old
        assert alias.name in BUILT_IN_METRICS
        with pytest.warns(FutureWarning, match=f"'{old}' is deprecated"):
            metric_class = get_metric_class(old)
        assert metric_class.spec.name == alias.name and old in metric_class.aliases


def test_third_party_plugin_is_discovered_like_a_built_in(plugin):
    assert "fake_length_ratio" in metric_names()
    assert "fake-embedder" in reference_model_names()
    assert get_metric_class("fake_length_ratio") is plugin.FakeLengthRatio
    assert get_reference_model_class("fake-embedder") is plugin.FakeEmbedder
    metric = create_metric("fake_length_ratio", scale=2.0)
    assert metric.params() == {"scale": 2.0}


def test_unknown_metric_suggests_near_matches():
    with pytest.raises(UnknownNameError) as info:
        get_metric_class("speaker_similarty")
    message = str(info.value)
    assert "unknown metric 'speaker_similarty'" in message
    assert "did you mean 'speaker_similarity'" in message


def test_unknown_model_lists_registered_names():
    with pytest.raises(UnknownNameError, match=r"registered: .*yunet-face-detector"):
        get_reference_model_class("no-such-model-anywhere")


def test_bad_parameters_name_the_metric():
    with pytest.raises(EmoevalError, match=r"text_distinct_n.*bad parameters"):
        create_metric("text_distinct_n", no_such_option=3)


def test_specs_are_complete():
    for name in BUILT_IN_METRICS:
        spec = get_metric_class(name).spec
        assert spec.outputs and spec.version and spec.summary and spec.citation
        assert spec.scope in {"sample", "corpus"}
        for output in spec.outputs:
            low, high = output.range
            assert low < high
        # a plug-in variant (another model, same measure) documents the difference and inherits the card
        doc = "\n".join(cls.__doc__ or "" for cls in get_metric_class(name).__mro__ if issubclass(cls, Metric))
        for section in ("**Meaning.**", "**Range and direction.**", "**Needs.**", "**Source.**"):
            assert section in doc, f"{name}'s docstring card lacks {section}"


def test_lookups_scan_the_installed_distributions_once(monkeypatch):
    """Issue 18: a warm run spent ~1 s rescanning every distribution's entry points on each name lookup."""
    import emoeval.registry as registry

    scans = []

    def counting_entry_points(**selection):
        scans.append(selection)
        return registry_entry_points(**selection)

    from importlib.metadata import entry_points as registry_entry_points

    monkeypatch.setattr(registry, "entry_points", counting_entry_points)
    registry._scan.cache_clear()
    for _ in range(3):
        assert set(metric_names()) >= BUILT_IN_METRICS
        assert get_metric_class("speaker_similarity").spec.name == "speaker_similarity"
        assert "whisper-tiny-en" in reference_model_names()
    assert sorted(scan["group"] for scan in scans) == ["emoeval.metrics", "emoeval.reference_models"]  # once each


def test_a_plugin_installed_after_a_lookup_is_discovered(tmp_path, monkeypatch):
    """The scan is reused only while the import path is unchanged: installing into a folder on it (as pip does)
    after a first lookup still makes the plug-in's names visible."""
    from importlib.metadata import entry_points as reference_entry_points

    monkeypatch.syspath_prepend(str(tmp_path))
    assert "late_plugin_metric" not in metric_names()
    dist_info = tmp_path / "lateplugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: lateplugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[emoeval.metrics]\nlate_plugin_metric = lateplugin:Metric\n")
    expected = {e.name for e in reference_entry_points(group="emoeval.metrics")}
    assert "late_plugin_metric" in expected  # importlib.metadata itself sees it
    assert "late_plugin_metric" in metric_names()
