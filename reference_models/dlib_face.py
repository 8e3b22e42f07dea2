"""dlib ResNet face descriptor (128-d) for face identity, on YuNet detections.

The descriptor of King (2017, dlib 19.7; "dlib-models", a ResNet-29 trained with a metric loss on about
3 million faces) reaches 99.38 % on LFW. Two faces whose descriptors are less than 0.6 apart (Euclidean) are
the same person by dlib's own threshold. Pipeline per image: YuNet finds faces (the largest is used), dlib's
5-point shape predictor places landmarks in that box, the face is aligned to a 150×150 chip with 25 %
padding (``dlib.get_face_chip``, exactly as ``compute_face_descriptor`` does), then described.
Weights (CC0, from dlib-models) ship in ``face-recognition-models``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.face_detection import YuNetFaceDetector
from emoeval.reference_models.store import ModelCard, WeightFile

_MODELS_URL = "https://github.com/ageitgey/face_recognition_models/raw/master/face_recognition_models/models/"
SHAPE_PREDICTOR = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"

DLIB_FACE_CARD = ModelCard(
    name="dlib-face-identity",
    version="resnet-v1",
    files=(
        WeightFile(
            filename=SHAPE_PREDICTOR,
            sha256="c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
            size=9150489,
            package="face_recognition_models",
            package_path=f"models/{SHAPE_PREDICTOR}",
            url=_MODELS_URL + SHAPE_PREDICTOR,
        ),
        WeightFile(
            filename=DESCRIPTOR,
            sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            size=22466066,
            package="face_recognition_models",
            package_path=f"models/{DESCRIPTOR}",
            url=_MODELS_URL + DESCRIPTOR,
        ),
    ),
    summary="dlib ResNet 128-d face descriptor (Euclidean distance < 0.6 = same person)",
    license="CC0 (dlib-models)",
    citation="King, D. E. (2009). Dlib-ml: A Machine Learning Toolkit. JMLR 10; dlib-models face recognition ResNet.",
    install_hint="pip install 'emoeval[face]' (ships the files in face-recognition-models)",
    roles=("face-identity-embedder", "face-embedder"),
)


class DlibFaceIdentity(ReferenceModel):
    """Face image → 128-d identity descriptor (float64), largest face; no face is a per-sample error."""

    card = DLIB_FACE_CARD
    requires = ("yunet-face-detector",)
    chip_size = 150
    chip_padding = 0.25

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            import dlib
        except ImportError as exc:
            raise MissingDependencyError("the dlib face descriptor needs dlib: pip install 'emoeval[face]'") from exc
        self._dlib = dlib
        self._shape_predictor = dlib.shape_predictor(str(self.weights[SHAPE_PREDICTOR].path))
        self._descriptor = dlib.face_recognition_model_v1(str(self.weights[DESCRIPTOR].path))
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        return {"chip_size": self.chip_size, "chip_padding": self.chip_padding, "face": "largest"}

    def prepare(self, item: ModelInput) -> np.ndarray:
        """Decode, detect the largest face, align it to a 150×150 chip (RGB uint8)."""
        assert item.data is not None
        rgb = decode_image(item.data, item.name)
        faces = self._detector.detect(rgb)
        if not faces:
            raise SampleInputError(f"{item.name}: no face found (YuNet, score ≥ {self._detector.score_threshold})")
        face = faces[0]
        rect = self._dlib.rectangle(
            round(face.x), round(face.y), round(face.x + face.width), round(face.y + face.height)
        )
        shape = self._shape_predictor(rgb, rect)
        return np.asarray(self._dlib.get_face_chip(rgb, shape, size=self.chip_size, padding=self.chip_padding))

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        descriptors = self._descriptor.compute_face_descriptor([np.ascontiguousarray(c) for c in prepared])
        return [np.asarray(d, dtype=np.float64) for d in descriptors]
