"""deepface's ArcFace identity embedder and facial-expression CNN, as plug-ins running deepface's own networks.

deepface (``serengil/deepface``, MIT) is the face-analysis toolkit many expression-editing papers use for
identity (ArcFace) and emotion checks. These plug-ins import deepface's PyTorch networks and preprocessing
functions (``DEEPFACE_BACKEND_ENGINE=pytorch`` files, ``.pth`` state dicts loaded with
``torch.load(weights_only=True)``, so nothing is unpickled) and never let deepface download anything: the
weight files come through emoeval's weight store.

**Where the files come from.** ``emoeval models pull deepface-arcface`` (or ``deepface-emotion``) downloads
deepface's release asset; a copy deepface itself downloaded earlier is found in its own folder,
``$DEEPFACE_HOME/.deepface/weights`` (``DEEPFACE_HOME`` defaults to the home folder); ``--weights
deepface-arcface=PATH`` names any other copy. deepface publishes no hash for its files (its maintainer
declined to, serengil/deepface#1316), so the cards record none: the store pins the sha256 of the copy it
downloads, or of a local copy once the model has loaded from it (``<models dir>/<model>/<file>.sha256``; a file
that fails to load is not pinned), and refuses a different file later; the computed hash is in every result
row's provenance. The files are data (``torch.load(weights_only=True)`` runs nothing), so a first use needs no
trust step.

**Pipeline (as ``DeepFace.represent`` / ``DeepFace.analyze`` with ``detector_backend="yunet"``,
``align=True``).** The image gets a black border of half its height and width (deepface does this so that
alignment cannot rotate the face out of the frame); emoeval's YuNet finds the faces in the bordered image and
the largest is kept; deepface's ``extract_face`` cuts it out and rotates it so the eyes are level; deepface's
``resize_image`` letterboxes it (aspect kept, black padding) to the model's input and scales it to [0, 1], in
BGR order. ArcFace takes the 112×112 BGR face and returns a 512-d embedding; the emotion CNN takes the
224×224 face converted to grayscale and resized to 48×48 and returns softmax probabilities over
``DEEPFACE_EMOTION_LABELS``. Detection reproduces deepface's YuNet call (shrink to 640 pixels bilinearly,
integer boxes) with emoeval's YuNet weights; unlike deepface, faces scoring between emoeval's threshold (0.6)
and deepface's (0.9) are kept.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError, WeightError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.face_detection import YuNetFaceDetector
from emoeval.reference_models.fer_emotion import FaceExpressionClassifier
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

DEEPFACE_VERSION = "0.0.103"
DEEPFACE_RELEASE_URL = "https://github.com/serengil/deepface_models/releases/download/v1.0/"
ARCFACE_FILE = "arcface_weights.pth"
EMOTION_FILE = "facial_expression_model_weights.pth"
#: the emotion model's output order (deepface's ``EMOTION_LABELS``), already canonical emoeval labels
DEEPFACE_EMOTION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
ARCFACE_INPUT_SIZE = 112
#: deepface's ``analyze`` letterboxes faces to 224×224 before the emotion model's own resize to 48×48
EMOTION_LETTERBOX_SIZE = 224
EMOTION_INPUT_SIZE = 48
#: deepface's verification threshold for ArcFace on cosine distance (``deepface/config/threshold.py``)
ARCFACE_COSINE_DISTANCE_THRESHOLD = 0.68

_CITATION = (
    "Serengil, Özpınar (2024). A Benchmark of Facial Recognition Pipelines and Co-Usability Performances of "
    "Modules. Journal of Information Technologies 17(2). (deepface)"
)
_INSTALL = f"pip install 'emoeval[face]' werkzeug gdown && pip install --no-deps deepface=={DEEPFACE_VERSION}"


def deepface_weights_dir(environ: Mapping[str, str] | None = None) -> Path:
    """deepface's download folder: ``$DEEPFACE_HOME/.deepface/weights`` (``DEEPFACE_HOME`` defaults to ``~``).

    >>> deepface_weights_dir({"DEEPFACE_HOME": "/srv/df"}).as_posix()
    '/srv/df/.deepface/weights'
    """
    env = os.environ if environ is None else environ
    home = env.get("DEEPFACE_HOME")
    return (Path(home).expanduser() if home else Path.home()) / ".deepface" / "weights"


def _deepface_dirs() -> list[Path]:
    return [deepface_weights_dir()]


def _card(name: str, filename: str, summary: str, roles: tuple[str, ...]) -> ModelCard:
    return ModelCard(
        name=name,
        version=f"deepface-{DEEPFACE_VERSION}-pytorch-v1.0",
        files=(WeightFile(filename=filename, sha256="", size=0, url=DEEPFACE_RELEASE_URL + filename),),
        summary=summary,
        license="MIT (serengil/deepface; deepface_models release v1.0)",
        citation=_CITATION,
        install_hint=f"{_INSTALL}; then emoeval models pull {name} (or let deepface download {filename} once)",
        tool_dirs=_deepface_dirs,
        roles=roles,
    )


DEEPFACE_ARCFACE_CARD = _card(
    "deepface-arcface",
    ARCFACE_FILE,
    "deepface ArcFace (ResNet34): aligned 112×112 face → 512-d identity embedding",
    roles=("face-identity-embedder", "face-embedder"),
)
DEEPFACE_EMOTION_CARD = _card(
    "deepface-emotion",
    EMOTION_FILE,
    "deepface facial-expression CNN: 48×48 grayscale face → softmax over 7 emotions",
    roles=("face-emotion-recognizer", "face-embedder"),
)


def require_deepface(model: str) -> None:
    """Fail with the install command unless deepface's PyTorch networks and preprocessing import."""
    try:
        import deepface.models.demography.pytorch.Emotion
        import deepface.models.facial_recognition.pytorch.ArcFace
        import deepface.modules.detection  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"the {model} plug-in needs deepface's PyTorch networks: {_INSTALL} ({exc})"
        ) from exc


def load_state_dict(network: torch.nn.Module, path: Path, model: str) -> torch.nn.Module:
    """deepface's ``load_model_weights`` (``torch.load(weights_only=True)``, strict), in eval mode, with an
    error that names the file and the fix."""
    from deepface.models.facial_recognition.pytorch.TorchFacialRecognition import load_model_weights

    try:
        return load_model_weights(model=network, weight_file=str(path))
    except (ValueError, RuntimeError) as exc:
        cause = exc.__cause__ or exc
        raise WeightError(
            f"{path} is not a weights file of the {model} network ({type(cause).__name__}: {str(cause)[:200]}); "
            f"delete it and run `emoeval models pull {model}`"
        ) from exc


def deepface_face(rgb: np.ndarray, detector: YuNetFaceDetector, name: str = "image") -> np.ndarray:
    """The largest face of an RGB image, cut out and eye-aligned as deepface does: BGR float32 in [0, 1].

    Raises :class:`SampleInputError` when no face is found or the aligned crop is empty.
    """
    import cv2
    from deepface.modules.detection import extract_face

    height, width = rgb.shape[:2]
    border_h, border_w = int(0.5 * height), int(0.5 * width)
    bordered = cv2.copyMakeBorder(rgb, border_h, border_h, border_w, border_w, cv2.BORDER_CONSTANT, value=[0, 0, 0])
    region = _deepface_yunet_region(bordered, detector)
    if region is None:
        raise SampleInputError(f"{name}: no face found (YuNet, score ≥ {detector.score_threshold})")
    detected = extract_face(
        facial_area=region,
        img=cv2.cvtColor(bordered, cv2.COLOR_RGB2BGR),
        align=True,
        expand_percentage=0,
        width_border=border_w,
        height_border=border_h,
        detector_backend="yunet",
    )
    crop = np.asarray(detected.img)
    if crop.size == 0:
        raise SampleInputError(f"{name}: the aligned face crop is empty (face at the image edge?)")
    return (crop / 255.0).astype(np.float32)


def _deepface_yunet_region(rgb: np.ndarray, detector: YuNetFaceDetector) -> Any:
    """The largest face as deepface's YuNet detector reports it (``deepface/models/face_detection/YuNet.py``).

    deepface shrinks an image whose longer side exceeds 640 pixels bilinearly to ``int(side · r)``, detects
    there, truncates the box and eyes to integers and divides them by r (truncating again); this does the
    same with emoeval's YuNet weights, so crops match deepface's to the pixel.
    """
    import cv2
    from deepface.models.Detector import FacialAreaRegion

    height, width = rgb.shape[:2]
    ratio = 1.0
    if max(height, width) > 640:
        ratio = 640.0 / max(height, width)
        rgb = cv2.resize(rgb, (int(width * ratio), int(height * ratio)))
    faces = detector.detect(rgb)
    if not faces:
        return None
    face = faces[0]
    # YuNet's landmarks start with the eye on the viewer's left, which is the person's right eye
    x, y, w, h = int(face.x), int(face.y), int(face.width), int(face.height)
    (right_x, right_y), (left_x, left_y) = ((int(px), int(py)) for px, py in face.landmarks[:2])
    x, y = max(x, 0), max(y, 0)
    if ratio != 1.0:
        x, y, w, h = int(x / ratio), int(y / ratio), int(w / ratio), int(h / ratio)
        right_x, right_y = int(right_x / ratio), int(right_y / ratio)
        left_x, left_y = int(left_x / ratio), int(left_y / ratio)
    return FacialAreaRegion(
        x=x, y=y, w=w, h=h, left_eye=(left_x, left_y), right_eye=(right_x, right_y), confidence=face.score
    )


def letterbox(face_bgr: np.ndarray, size: int) -> np.ndarray:
    """deepface's ``resize_image``: fit into ``size``×``size`` keeping the aspect, black padding, [0, 1]."""
    from deepface.modules.preprocessing import resize_image

    return np.asarray(resize_image(img=face_bgr, target_size=(size, size))[0], dtype=np.float32)


class DeepFaceArcFace(ReferenceModel):
    """Face image → 512-d ArcFace embedding (float64) of the largest face, through deepface's network.

    Not L2-normalised (deepface's ``represent`` default); cosine similarity is scale-free. No face is a
    per-sample error naming the file.
    """

    card = DEEPFACE_ARCFACE_CARD
    requires = ("yunet-face-detector",)
    input_size = ARCFACE_INPUT_SIZE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        require_deepface("deepface ArcFace")
        from deepface.models.facial_recognition.pytorch.ArcFace import base_model

        self.network = load_state_dict(base_model(), self.weights[ARCFACE_FILE].path, self.card.name)
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {
            "face": "largest YuNet box in the image with a half-size black border",
            "align": "deepface extract_face (eyes level)",
            "input": f"deepface resize_image to {self.input_size}×{self.input_size}, BGR, [0, 1]",
            "deepface": DEEPFACE_VERSION,
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return letterbox(deepface_face(decode_image(item.data, item.name), self._detector, item.name), self.input_size)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(np.stack(list(prepared)), dtype=np.float32)).permute(0, 3, 1, 2)
        with torch.no_grad():
            embeddings = self.network(batch).double().numpy()
        return [row.copy() for row in embeddings]


class DeepFaceEmotion(FaceExpressionClassifier):
    """Face image → probabilities (float64, 7) over ``DEEPFACE_EMOTION_LABELS``, through deepface's network.

    >>> DeepFaceEmotion.labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """

    card = DEEPFACE_EMOTION_CARD
    labels: tuple[str, ...] = DEEPFACE_EMOTION_LABELS
    input_size: int = EMOTION_INPUT_SIZE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        require_deepface("deepface emotion")
        from deepface.models.demography.pytorch.Emotion import EmotionModel

        self.network = load_state_dict(EmotionModel(), self.weights[EMOTION_FILE].path, self.card.name)
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {
            "face": "largest YuNet box in the image with a half-size black border",
            "align": "deepface extract_face (eyes level)",
            "letterbox": EMOTION_LETTERBOX_SIZE,
            "grayscale": "cv2 BGR2GRAY",
            "input_size": self.input_size,
            "scale": "[0, 1]",
            "labels": list(self.labels),
            "deepface": DEEPFACE_VERSION,
        }

    def crop(self, rgb: np.ndarray, name: str = "image") -> np.ndarray:
        """The 48×48 model input (float32 in [0, 1]) for the largest face of an RGB image."""
        import cv2

        face = letterbox(deepface_face(rgb, self._detector, name), EMOTION_LETTERBOX_SIZE)
        gray = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
        return cv2.resize(gray, (self.input_size, self.input_size)).astype(np.float32)


__all__ = [
    "ARCFACE_COSINE_DISTANCE_THRESHOLD",
    "DEEPFACE_ARCFACE_CARD",
    "DEEPFACE_EMOTION_CARD",
    "DEEPFACE_EMOTION_LABELS",
    "DeepFaceArcFace",
    "DeepFaceEmotion",
    "deepface_face",
    "deepface_weights_dir",
]
