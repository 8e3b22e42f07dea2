"""deepface's facial-expression CNN (Serengil), ported to torch; deepface itself is never imported.

deepface (``serengil/deepface``, MIT) classifies expressions with a small Keras ``Sequential`` CNN
(``deepface/models/demography/Emotion.py``): 48×48 grayscale input; Conv 5×5→64 (ReLU), MaxPool 5×5/2;
Conv 3×3→64, Conv 3×3→64 (ReLU), AvgPool 3×3/2; Conv 3×3→128, Conv 3×3→128 (ReLU), AvgPool 3×3/2; Flatten;
Dense 1024 (ReLU), Dropout, Dense 1024 (ReLU), Dropout, Dense 7 (softmax) over ``DEEPFACE_EMOTION_LABELS``.
All layers use Keras' default ``"valid"`` padding, so the feature map goes 48 → 44 → 20 → 18 → 16 → 7 → 5 → 3
→ 1 and Flatten yields 128 values. The weights are deepface's GitHub release asset
``facial_expression_model_weights.h5`` (``DEEPFACE_EMOTION_URL``), a Keras-2 HDF5 weights file read with
h5py. Keras' ``load_weights`` assigns a weights file to a model *by layer order*, so this loader does the
same: it reads the root's (or ``model_weights/``'s) ``layer_names`` attribute in order, keeps the layers that
have weights (each group's ``weight_names`` attribute, also in order), and checks their count and shapes
against the architecture. Conv kernels go HWIO → OIHW; Flatten uses Keras' channels-last (H, W, C) order.

**No published hash.** deepface verifies no hash (its maintainer declined to, serengil/deepface#1316) and
neither the release nor any other source we could reach publishes a sha256 for the file, so this module
ships no :class:`ModelCard` and registers no model: a card with a made-up or unchecked hash would defeat the
weight store. :func:`deepface_emotion_card` builds the card once a verified hash is known (e.g. the sha256
of the file from the release, checked against a second independent download) and
:func:`deepface_emotion_model` turns it into a loadable :class:`DeepFaceEmotion` class.

Where the file lives: deepface keeps its downloads in ``$DEEPFACE_HOME/.deepface/weights/`` (``DEEPFACE_HOME``
defaults to the home folder, :func:`deepface_weights_dir`). Point emoeval at that folder explicitly, e.g.
``--weights deepface-emotion=$DEEPFACE_HOME/.deepface/weights/``; the store still checks the sha256.

Preprocessing (as ``DeepFace.analyze``, with YuNet instead of deepface's detector): the largest YuNet box is
cut from the image (clipped to the image), letterboxed into 224×224 (``deepface.modules.preprocessing
.resize_image``: scale the longer side to 224, pad with black evenly), converted to grayscale (BT.601),
resized to 48×48 (bilinear) and scaled to [0, 1] (the model was trained on pixels / 255). Output: softmax
probabilities (float64) over ``DEEPFACE_EMOTION_LABELS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.reference_models.face_detection import YuNetFaceDetector
from emoeval.reference_models.fer_emotion import FaceExpressionClassifier
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

#: the model's output order (FER2013 codes 0–6), already canonical emoeval labels
DEEPFACE_EMOTION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
DEEPFACE_EMOTION_NAME = "deepface-emotion"
DEEPFACE_EMOTION_FILE = "facial_expression_model_weights.h5"
DEEPFACE_EMOTION_URL = f"https://github.com/serengil/deepface_models/releases/download/v1.0/{DEEPFACE_EMOTION_FILE}"
INPUT_SIZE = 48
#: deepface's ``DeepFace.analyze`` face size before the emotion model's own resize to 48×48
LETTERBOX_SIZE = 224

#: the Sequential model: ("conv", kernel, in, out) | ("maxpool"/"avgpool", pool, stride) | ("flatten",) |
#: ("dense", in, out, activation); convolutions use ReLU, every layer "valid" padding
DEEPFACE_EMOTION_LAYERS: tuple[tuple[Any, ...], ...] = (
    ("conv", 5, 1, 64),
    ("maxpool", 5, 2),
    ("conv", 3, 64, 64),
    ("conv", 3, 64, 64),
    ("avgpool", 3, 2),
    ("conv", 3, 64, 128),
    ("conv", 3, 128, 128),
    ("avgpool", 3, 2),
    ("flatten",),
    ("dense", 128, 1024, "relu"),
    ("dense", 1024, 1024, "relu"),
    ("dense", 1024, 7, "softmax"),
)


def deepface_weights_dir(environ: Mapping[str, str] | None = None) -> Path:
    """deepface's download folder: ``$DEEPFACE_HOME/.deepface/weights`` (``DEEPFACE_HOME`` defaults to ``~``).

    >>> deepface_weights_dir({"DEEPFACE_HOME": "/srv/df"}).as_posix()
    '/srv/df/.deepface/weights'
    """
    env = os.environ if environ is None else environ
    home = env.get("DEEPFACE_HOME")
    return (Path(home).expanduser() if home else Path.home()) / ".deepface" / "weights"


def deepface_emotion_card(sha256: str, size: int = 0, *, url: str | None = DEEPFACE_EMOTION_URL) -> ModelCard:
    """The ``deepface-emotion`` card for a *verified* sha256 (full digest) and size of the weights file.

    >>> deepface_emotion_card("ab" * 32, 3).files[0].filename
    'facial_expression_model_weights.h5'
    """
    return ModelCard(
        name=DEEPFACE_EMOTION_NAME,
        version="deepface-facial-expression-v1.0",
        files=(WeightFile(filename=DEEPFACE_EMOTION_FILE, sha256=sha256, size=size, url=url),),
        summary="deepface facial-expression CNN: 48×48 grayscale face → softmax over 7 expressions",
        license="MIT (serengil/deepface, deepface_models release v1.0)",
        citation=(
            "Serengil, Özpınar (2024). A Benchmark of Facial Recognition Pipelines and Co-Usability Performances "
            "of Modules. Journal of Information Technologies 17(2). (deepface)"
        ),
        install_hint=(
            f"download {DEEPFACE_EMOTION_FILE} from the deepface_models release, or pass a folder holding it "
            f"(e.g. deepface's own: --weights {DEEPFACE_EMOTION_NAME}=$DEEPFACE_HOME/.deepface/weights/)"
        ),
    )


# -- the Keras weights file ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_keras_weight_list(path: Path) -> list[tuple[str, list[np.ndarray]]]:
    """``[(layer, [arrays...])]`` for the layers that have weights, in the order Keras' ``load_weights`` uses.

    Reads a Keras-2 HDF5 weights file (``save_weights``: layer groups at the root) or full-model file (under
    ``model_weights/``) with h5py: layer order from the ``layer_names`` attribute, variable order from each
    group's ``weight_names``. Arrays keep Keras' layout (conv kernels HWIO, dense kernels (in, out)).
    """
    import h5py

    with h5py.File(path, "r") as handle:
        root = handle.get("model_weights", handle)
        if "layer_names" not in root.attrs:
            raise ValueError(f"{path}: not a Keras HDF5 weights file (no layer_names attribute)")
        layers: list[tuple[str, list[np.ndarray]]] = []
        for raw_name in root.attrs["layer_names"]:
            name = _text(raw_name)
            group = root[name]
            names = [_text(w) for w in group.attrs.get("weight_names", [])]
            if names:
                layers.append((name, [np.asarray(group[w][()]) for w in names]))
    return layers


def _weighted_specs() -> list[tuple[Any, ...]]:
    return [spec for spec in DEEPFACE_EMOTION_LAYERS if spec[0] in {"conv", "dense"}]


def expected_weight_shapes() -> list[tuple[tuple[int, ...], ...]]:
    """Keras shapes of (kernel, bias) per weighted layer, in order.

    >>> expected_weight_shapes()[0], expected_weight_shapes()[-1]
    (((5, 5, 1, 64), (64,)), ((1024, 7), (7,)))
    """
    shapes = []
    for spec in _weighted_specs():
        if spec[0] == "conv":
            _, k, cin, cout = spec
            shapes.append(((k, k, cin, cout), (cout,)))
        else:
            _, cin, cout, _ = spec
            shapes.append(((cin, cout), (cout,)))
    return shapes


def check_weight_list(layers: Sequence[tuple[str, Sequence[np.ndarray]]], path: Path | str) -> None:
    """Raise ``ValueError`` (naming the file and layer) unless ``layers`` fits the deepface emotion CNN."""
    expected = expected_weight_shapes()
    if len(layers) != len(expected):
        raise ValueError(
            f"{path}: {len(layers)} layers with weights, the deepface emotion CNN has {len(expected)} "
            f"(is this {DEEPFACE_EMOTION_FILE}?)"
        )
    for (name, arrays), shapes in zip(layers, expected, strict=True):
        got = tuple(tuple(a.shape) for a in arrays)
        if got != shapes:
            raise ValueError(f"{path}: layer {name} has weight shapes {got}, expected {shapes}")


# -- the torch port ------------------------------------------------------------------------------------------


def build_deepface_emotion(layers: Sequence[tuple[str, Sequence[np.ndarray]]]) -> torch.nn.Module:
    """The CNN as a ``torch.nn.Module`` (input N×1×48×48 float, output N×7 probabilities), in eval mode."""
    import torch
    import torch.nn.functional as F

    check_weight_list(layers, "weights")
    arrays = iter(layers)

    def tensor(array: np.ndarray) -> torch.nn.Parameter:
        return torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), requires_grad=False)

    class DeepFaceEmotionNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.params = torch.nn.ParameterList()
            for spec in DEEPFACE_EMOTION_LAYERS:
                if spec[0] in {"conv", "dense"}:
                    _, (kernel, bias) = next(arrays)
                    # conv HWIO → OIHW; dense (in, out) → (out, in)
                    self.params.append(tensor(kernel.transpose(3, 2, 0, 1) if spec[0] == "conv" else kernel.T))
                    self.params.append(tensor(bias))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            weights = iter(self.params)
            for spec in DEEPFACE_EMOTION_LAYERS:
                kind = spec[0]
                if kind == "conv":
                    x = torch.relu(F.conv2d(x, next(weights), next(weights)))
                elif kind == "maxpool":
                    x = F.max_pool2d(x, spec[1], spec[2])
                elif kind == "avgpool":
                    x = F.avg_pool2d(x, spec[1], spec[2])
                elif kind == "flatten":
                    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras channels-last order
                else:
                    x = F.linear(x, next(weights), next(weights))
                    x = torch.relu(x) if spec[3] == "relu" else torch.softmax(x, dim=1)
            return x

    model = DeepFaceEmotionNet()
    model.eval()
    return model


# -- preprocessing --------------------------------------------------------------------------------------------


def letterbox(image: np.ndarray, size: int = LETTERBOX_SIZE) -> np.ndarray:
    """``deepface.modules.preprocessing.resize_image``: fit into ``size``×``size`` keeping the aspect, black pad.

    The longer side is scaled to ``size`` (``cv2.resize``, bilinear); the padding is split evenly, the odd
    pixel going after.

    >>> letterbox(np.full((10, 20), 255, np.uint8), 8)[:, 0].tolist()
    [0, 0, 255, 255, 255, 255, 0, 0]
    """
    import cv2

    h, w = image.shape[:2]
    factor = min(size / h, size / w)
    new_w, new_h = max(1, int(w * factor)), max(1, int(h * factor))
    resized = cv2.resize(image, (new_w, new_h))
    dh, dw = size - new_h, size - new_w
    pad = ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(resized, pad, mode="constant")


def to_model_input(face_rgb: np.ndarray) -> np.ndarray:
    """An RGB uint8 face crop → the 48×48 float32 model input in [0, 1] (letterbox 224, gray, resize)."""
    import cv2

    gray = cv2.cvtColor(letterbox(face_rgb), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, (INPUT_SIZE, INPUT_SIZE)).astype(np.float32) / 255.0


class DeepFaceEmotion(FaceExpressionClassifier):
    """Face image → probabilities (float64, 7) over ``DEEPFACE_EMOTION_LABELS``; the largest YuNet face is used.

    This base class has no card (no verified hash is published, see the module docstring): make a loadable
    class with ``deepface_emotion_model(deepface_emotion_card(sha256, size))``. The weights file is read
    with h5py (nothing is unpickled). No face is a per-sample error naming the file.

    >>> DeepFaceEmotion.labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """

    labels: tuple[str, ...] = DEEPFACE_EMOTION_LABELS
    input_size: int = INPUT_SIZE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        self.require_runtime("deepface emotion model")
        path = self.weights[DEEPFACE_EMOTION_FILE].path
        layers = read_keras_weight_list(path)
        check_weight_list(layers, path)
        self.network = build_deepface_emotion(layers)
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {
            "face": "largest YuNet box, clipped to the image",
            "letterbox": LETTERBOX_SIZE,
            "grayscale": "ITU-R BT.601 (cv2 RGB2GRAY)",
            "input_size": self.input_size,
            "scale": "[0, 1]",
            "labels": list(self.labels),
        }

    def crop(self, rgb: np.ndarray, name: str = "image") -> np.ndarray:
        """The 48×48 model input (float32 in [0, 1]) for the largest face of an RGB image."""
        faces = self._detector.detect(rgb)
        if not faces:
            raise SampleInputError(f"{name}: no face found (YuNet, score ≥ {self._detector.score_threshold})")
        face = faces[0]
        x1, y1 = max(0, round(face.x)), max(0, round(face.y))
        x2, y2 = min(rgb.shape[1], round(face.x + face.width)), min(rgb.shape[0], round(face.y + face.height))
        if x2 <= x1 or y2 <= y1:
            raise SampleInputError(f"{name}: the face box lies outside the image")
        return to_model_input(rgb[y1:y2, x1:x2])


def deepface_emotion_model(card: ModelCard) -> type[DeepFaceEmotion]:
    """A loadable :class:`DeepFaceEmotion` subclass bound to ``card`` (which must list ``DEEPFACE_EMOTION_FILE``).

    >>> deepface_emotion_model(deepface_emotion_card("ab" * 32, 3)).card.name
    'deepface-emotion'
    """
    card.file(DEEPFACE_EMOTION_FILE)  # KeyError if the card does not list the file
    return type("DeepFaceEmotion", (DeepFaceEmotion,), {"card": card, "__module__": __name__})
