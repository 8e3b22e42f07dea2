"""deepface's emotion CNN: Keras weights file → torch, pulled through the weight store from a local server.

No test touches the internet and deepface is never imported: the weights file is a Keras-2 ``save_weights``
layout written here with h5py (deepface's layer shapes, random weights), served from 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import h5py
import numpy as np
import pytest

from emoeval.errors import SampleInputError, WeightHashMismatchError, WeightNotFoundError
from emoeval.reference_models.base import ModelInput, ModelPool
from emoeval.reference_models.deepface_models import (
    DEEPFACE_EMOTION_FILE,
    DEEPFACE_EMOTION_LABELS,
    DEEPFACE_EMOTION_LAYERS,
    build_deepface_emotion,
    check_weight_list,
    deepface_emotion_card,
    deepface_emotion_model,
    deepface_weights_dir,
    letterbox,
    read_keras_weight_list,
)
from emoeval.reference_models.store import WeightStore

TOL = 1e-5

# Keras-2 layer names of deepface's Sequential model, in order (weighted and weightless)
KERAS_LAYERS = (
    ("conv2d_1", "conv"),
    ("max_pooling2d_1", None),
    ("conv2d_2", "conv"),
    ("conv2d_3", "conv"),
    ("average_pooling2d_1", None),
    ("conv2d_4", "conv"),
    ("conv2d_5", "conv"),
    ("average_pooling2d_2", None),
    ("flatten_1", None),
    ("dense_1", "dense"),
    ("dropout_1", None),
    ("dense_2", "dense"),
    ("dropout_2", None),
    ("dense_3", "dense"),
)


def random_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) per weighted layer in Keras layout, He-scaled so activations stay O(1)."""
    rng = np.random.default_rng(seed)
    out = []
    for spec in DEEPFACE_EMOTION_LAYERS:
        if spec[0] == "conv":
            _, k, cin, cout = spec
            shape, fan_in = (k, k, cin, cout), k * k * cin
        elif spec[0] == "dense":
            _, cin, cout, _ = spec
            shape, fan_in = (cin, cout), cin
        else:
            continue
        kernel = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        bias = (rng.standard_normal(shape[-1]) * 0.1).astype(np.float32)
        out.append((kernel, bias))
    return out


def write_keras_weights(path: Path, weights: list[tuple[np.ndarray, np.ndarray]], *, full_model: bool = False) -> None:
    """A Keras-2 HDF5 weights file (``save_weights`` layout, or ``model_weights/`` of a full-model save)."""
    with h5py.File(path, "w") as handle:
        root = handle.create_group("model_weights") if full_model else handle
        root.attrs["layer_names"] = np.array([name.encode() for name, _ in KERAS_LAYERS])
        root.attrs["backend"] = b"tensorflow"
        root.attrs["keras_version"] = b"2.2.4"
        arrays = iter(weights)
        for name, kind in KERAS_LAYERS:
            group = root.create_group(name)
            if kind is None:
                group.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            kernel, bias = next(arrays)
            names = [f"{name}/kernel:0", f"{name}/bias:0"]
            group.attrs["weight_names"] = np.array([n.encode() for n in names])
            group.create_dataset(names[0], data=kernel)
            group.create_dataset(names[1], data=bias)


# -- an independent numpy forward pass (NHWC, float64, Keras semantics) -------------------------------------


def np_conv_valid(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    n, h, w, _ = x.shape
    kh, kw, _, cout = kernel.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, cout))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,co->nhwo", x[:, i : i + h - kh + 1, j : j + w - kw + 1, :], kernel[i, j])
    return out + bias


def np_pool(x: np.ndarray, size: int, stride: int, reduce) -> np.ndarray:
    n, h, w, c = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.empty((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = reduce(
                x[:, i * stride : i * stride + size, j * stride : j * stride + size, :], axis=(1, 2)
            )
    return out


def np_forward(images: np.ndarray, weights: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    x = images.astype(np.float64)[..., None]
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    it = iter(weights)
    (k, b) = next(it)
    x = relu(np_conv_valid(x, k.astype(np.float64), b))
    x = np_pool(x, 5, 2, np.max)
    for _ in range(2):
        k, b = next(it)
        x = relu(np_conv_valid(x, k.astype(np.float64), b))
    x = np_pool(x, 3, 2, np.mean)
    for _ in range(2):
        k, b = next(it)
        x = relu(np_conv_valid(x, k.astype(np.float64), b))
    x = np_pool(x, 3, 2, np.mean)
    x = x.reshape(x.shape[0], -1)  # channels-last flatten, as Keras
    for _ in range(2):
        k, b = next(it)
        x = relu(x @ k.astype(np.float64) + b)
    k, b = next(it)
    logits = x @ k.astype(np.float64) + b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- a local HTTP server ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture(scope="module")
def weights() -> list[tuple[np.ndarray, np.ndarray]]:
    return random_weights()


@pytest.fixture(scope="module")
def payload(tmp_path_factory, weights) -> bytes:
    path = tmp_path_factory.mktemp("h5") / DEEPFACE_EMOTION_FILE
    write_keras_weights(path, weights)
    return path.read_bytes()


@pytest.fixture
def server(payload):
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1.0/{DEEPFACE_EMOTION_FILE}"
    try:
        yield url, requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def card_for(payload: bytes, url: str | None):
    return deepface_emotion_card(hashlib.sha256(payload).hexdigest(), len(payload), url=url)


# -- tests ----------------------------------------------------------------------------------------------------


def test_pull_from_local_server_load_and_match_numpy_forward(tmp_path, server, payload, weights):
    url, requests = server
    card = card_for(payload, url)
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False)
    (pulled,) = store.pull(card)
    assert pulled.source == "download" and requests == [f"/v1.0/{DEEPFACE_EMOTION_FILE}"]
    assert pulled.path == tmp_path / "models" / "deepface-emotion" / DEEPFACE_EMOTION_FILE
    assert pulled.path.read_bytes() == payload

    model_class = deepface_emotion_model(card)
    model = model_class.load(store, ModelPool(store))  # offline now: resolves the pulled copy
    assert model.weights[DEEPFACE_EMOTION_FILE].source == "models_dir"
    assert model.labels == DEEPFACE_EMOTION_LABELS

    rng = np.random.default_rng(1)
    faces = rng.random((3, 48, 48)).astype(np.float32)
    got = model.predict(faces)
    expected = np_forward(faces, weights)
    assert got.shape == (3, 7) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-6)
    # the random net must not be degenerate, or the comparison would prove little
    assert expected.max() - expected.min() > 0.05
    # infer() returns one row per input, in order
    rows = model.infer(list(faces))
    np.testing.assert_allclose(np.stack(rows), got, atol=0)


def test_full_model_layout_reads_the_same_weights(tmp_path, weights):
    plain, full = tmp_path / "plain.h5", tmp_path / "full.h5"
    write_keras_weights(plain, weights)
    write_keras_weights(full, weights, full_model=True)
    a, b = read_keras_weight_list(plain), read_keras_weight_list(full)
    assert [name for name, _ in a] == [name for name, kind in KERAS_LAYERS if kind is not None]
    assert len(a) == 8
    for (_, xs), (_, ys), (kernel, bias) in zip(a, b, weights, strict=True):
        np.testing.assert_array_equal(xs[0], kernel)
        np.testing.assert_array_equal(ys[1], bias)


def test_wrong_file_is_rejected_with_the_layer_named(tmp_path, weights):
    bad = [(k, b) for k, b in weights]
    bad[2] = (bad[2][0][:, :, :32, :], bad[2][1])  # conv2d_3 with 32 input channels
    path = tmp_path / "bad.h5"
    write_keras_weights(path, bad)
    with pytest.raises(ValueError, match=r"conv2d_3 has weight shapes"):
        check_weight_list(read_keras_weight_list(path), path)
    with pytest.raises(ValueError, match="8"):
        build_deepface_emotion(read_keras_weight_list(path)[:-1])


def test_explicit_deepface_home_folder_route(tmp_path, payload, monkeypatch):
    """``--weights deepface-emotion=$DEEPFACE_HOME/.deepface/weights/``: the folder holding deepface's file."""
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "dfhome"))
    folder = deepface_weights_dir()
    assert folder == tmp_path / "dfhome" / ".deepface" / "weights"
    folder.mkdir(parents=True)
    (folder / DEEPFACE_EMOTION_FILE).write_bytes(payload)
    card = card_for(payload, url=None)
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False, explicit={"deepface-emotion": folder})
    resolved = store.resolve(card)
    assert (resolved.source, resolved.path) == ("explicit", folder / DEEPFACE_EMOTION_FILE)
    model = deepface_emotion_model(card).load(store, ModelPool(store))
    assert model.predict(np.zeros((1, 48, 48), np.float32)).shape == (1, 7)

    # a different file in that folder is refused, not loaded
    (folder / DEEPFACE_EMOTION_FILE).write_bytes(payload[:-1] + bytes([payload[-1] ^ 1]))
    with pytest.raises(WeightHashMismatchError):
        WeightStore(models_dir=tmp_path / "models", allow_network=False, explicit={"deepface-emotion": folder}).resolve(
            card
        )


def test_missing_file_fails_fast_offline_naming_the_pull_command(tmp_path, payload, server):
    url, requests = server
    card = card_for(payload, url)
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False)
    with pytest.raises(WeightNotFoundError) as info:
        deepface_emotion_model(card).load(store, ModelPool(store))
    message = str(info.value)
    assert "emoeval models pull deepface-emotion" in message
    assert DEEPFACE_EMOTION_FILE in message and url in message
    assert requests == []  # offline: nothing was fetched


def test_letterbox_matches_deepface_resize_image():
    """deepface's resize_image re-implemented inline: aspect kept, black padding split evenly."""
    import cv2

    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (37, 90, 3), dtype=np.uint8)
    factor = min(224 / 37, 224 / 90)
    resized = cv2.resize(image, (int(90 * factor), int(37 * factor)))
    d0, d1 = 224 - resized.shape[0], 224 - resized.shape[1]
    expected = np.pad(resized, ((d0 // 2, d0 - d0 // 2), (d1 // 2, d1 - d1 // 2), (0, 0)))
    got = letterbox(image)
    assert got.shape == (224, 224, 3)
    np.testing.assert_array_equal(got, expected)


def test_prepare_real_face_and_no_face(tmp_path, payload, demo_dir):
    card = card_for(payload, url=None)
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / DEEPFACE_EMOTION_FILE).write_bytes(payload)
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False, explicit={"deepface-emotion": folder})
    model = deepface_emotion_model(card).load(store, ModelPool(store))
    face_path = sorted((demo_dir / "faces").rglob("*.jpg"))[0]
    prepared = model.prepare(ModelInput(key="k", path=face_path, data=face_path.read_bytes()))
    assert prepared.shape == (48, 48) and prepared.dtype == np.float32
    assert prepared.min() >= 0.0 and prepared.max() <= 1.0 and prepared.std() > 0.02

    import cv2

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    with pytest.raises(SampleInputError, match=r"blank\.png: no face found"):
        model.prepare(ModelInput(key="b", path=blank, data=blank.read_bytes()))
