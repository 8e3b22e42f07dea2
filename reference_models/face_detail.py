"""Fine detail of the face in an image: a weightless feature "model" for over-smoothing (waxy faces).

:class:`FaceDetailFeatures` (``face-detail-features``, no weights of its own; it needs the YuNet detector) turns
an image into :data:`DETAIL_NAMES`, measured on **the largest YuNet face, cut as a square and resized to**
:data:`CROP_SIZE` × :data:`CROP_SIZE` **grey pixels**:

- ``log_laplacian_variance``: ln of the variance of the Laplacian (Pech-Pacheco et al. 2000;
  :func:`emoeval.functional.image_detail.laplacian_variance`), grey levels 0–255, floored at
  :data:`LAPLACIAN_FLOOR` before the log (only a flat crop gets near it);
- ``hf_energy_share``: share of the windowed power spectrum above 0.25 cycles per pixel
  (:func:`emoeval.functional.image_detail.high_frequency_share`), in [0, 1];
- ``log_rms_contrast``: ln of the standard deviation of the crop's grey levels (floored likewise) — the
  Laplacian variance scales with contrast², so this says whether a lower one comes from flatter lighting rather
  than lost detail.

**Why the face crop and not the whole image.** Generated faces come with backgrounds of every kind (studio white,
bokeh, scenery); the whole image's detail would measure the background as much as the face — a blurred
background would pass for a waxy face, a busy one would hide it. The crop also fixes the *scale*: the face is
brought to one size, so a 1024-px and a 256-px generator are measured on the same grid (detail per face, not per
pixel). The crop is the largest YuNet box (Wu et al. 2023) made square around its centre (side = the longer
side of the box, shifted to lie inside the image and shrunk to fit when the image is smaller), converted to grey
(ITU-R BT.601, ``cv2`` RGB2GRAY) and resized with ``cv2.INTER_AREA`` when it is larger than the target (area
averaging: no aliasing that would pass for detail) or ``cv2.INTER_CUBIC`` when smaller. **A face smaller than
128 px is upsampled and so measured as smoother** — which is what a viewer sees too, but compare systems at
similar face sizes. No face, or an unreadable image, is a per-sample :class:`SampleInputError` naming the file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.face_detection import FaceBox, YuNetFaceDetector
from emoeval.reference_models.store import ModelCard

#: side of the square grey face crop every statistic is computed on (pixels)
CROP_SIZE = 128
#: floor of the Laplacian variance and of the grey-level variance before their logs (grey levels², 0–255 scale):
#: far below what 8-bit quantisation noise alone gives (≈ 1.7 for the Laplacian), so only a flat crop reaches it
LAPLACIAN_FLOOR = 1e-6
DETAIL_NAMES: tuple[str, ...] = ("log_laplacian_variance", "hf_energy_share", "log_rms_contrast")

DETAIL_CARD = ModelCard(
    name="face-detail-features",
    version="1",
    files=(),
    summary=(
        "fine detail of the largest face (128-px grey crop): ln Laplacian variance, high-frequency energy share, "
        "ln RMS contrast"
    ),
    license="MIT (computed by emoeval with numpy/scipy/OpenCV; no weights)",
    citation=(
        "Pech-Pacheco et al. (2000). Diatom autofocusing in brightfield microscopy: a comparative study. ICPR; "
        "Pertuz, Puig, Garcia (2013). Analysis of focus measure operators for shape-from-focus. Pattern Recognition"
    ),
    install_hint="pip install 'emoeval[face]' (OpenCV and the YuNet detector)",
    roles=("face-detail-features",),
)


def square_box(face: FaceBox, width: int, height: int) -> tuple[int, int, int]:
    """``(x, y, side)`` of the square crop of a face box: the longer side of the box, centred on it, shifted to lie
    inside a ``width`` × ``height`` image and shrunk to fit when the image is smaller.

    >>> square_box(FaceBox(10, 20, 30, 40, (), 0.9), 200, 200)
    (5, 20, 40)
    >>> square_box(FaceBox(-10, 150, 80, 90, (), 0.9), 200, 200)
    (0, 110, 90)
    """
    side = min(round(max(face.width, face.height)), width, height)
    centre_x = face.x + face.width / 2.0
    centre_y = face.y + face.height / 2.0
    x = min(max(round(centre_x - side / 2.0), 0), width - side)
    y = min(max(round(centre_y - side / 2.0), 0), height - side)
    return x, y, side


def face_crop(rgb: np.ndarray, face: FaceBox, size: int = CROP_SIZE) -> np.ndarray:
    """The ``size`` × ``size`` grey crop (float64, grey levels 0–255) of ``face`` in an RGB uint8 image."""
    import cv2

    height, width = rgb.shape[:2]
    x, y, side = square_box(face, width, height)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[y : y + side, x : x + side]
    interpolation = cv2.INTER_AREA if side >= size else cv2.INTER_CUBIC
    return cv2.resize(gray, (size, size), interpolation=interpolation).astype(np.float64)


def detail_features(crop: np.ndarray) -> np.ndarray:
    """:data:`DETAIL_NAMES` (float64) of a grey crop (see the module docstring)."""
    from emoeval.functional.image_detail import high_frequency_share, laplacian_variance

    share = high_frequency_share(crop)
    return np.array(
        [
            math.log(max(laplacian_variance(crop), LAPLACIAN_FLOOR)),
            0.0 if math.isnan(share) else share,  # a flat crop has no energy at all: no high-frequency energy
            0.5 * math.log(max(float(np.var(crop)), LAPLACIAN_FLOOR)),
        ],
        dtype=np.float64,
    )


class FaceDetailFeatures(ReferenceModel):
    """Image → :data:`DETAIL_NAMES` (float64, 3) of its largest face (see the module docstring).

    >>> FaceDetailFeatures.crop_size, FaceDetailFeatures.names
    (128, ('log_laplacian_variance', 'hf_energy_share', 'log_rms_contrast'))
    """

    card = DETAIL_CARD
    requires = ("yunet-face-detector",)
    crop_size: int = CROP_SIZE
    names: tuple[str, ...] = DETAIL_NAMES

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        detector = self.dependencies["yunet-face-detector"]
        assert isinstance(detector, YuNetFaceDetector)
        self._detector = detector

    def config(self) -> dict[str, Any]:
        from emoeval.functional.image_detail import HF_CUTOFF

        return {
            "face": "largest YuNet box, square (longer side), inside the image",
            "crop_size": self.crop_size,
            "grayscale": "ITU-R BT.601 (cv2 RGB2GRAY), 0-255",
            "resize": "cv2 INTER_AREA (down) / INTER_CUBIC (up)",
            "laplacian": "4-neighbour, interior pixels",
            "hf_cutoff_cycles_per_pixel": HF_CUTOFF,
            "window": "periodic Hann, mean removed",
            "floor": LAPLACIAN_FLOOR,
            "names": list(self.names),
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        rgb = decode_image(item.data, item.name)
        faces = self._detector.detect(rgb)
        if not faces:
            raise SampleInputError(
                f"{item.name}: no face found (YuNet, score ≥ {self._detector.score_threshold}); face_sharpness "
                "measures the face only"
            )
        return face_crop(rgb, faces[0], self.crop_size)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [detail_features(crop) for crop in prepared]


__all__ = [
    "CROP_SIZE",
    "DETAIL_CARD",
    "DETAIL_NAMES",
    "FaceDetailFeatures",
    "detail_features",
    "face_crop",
    "square_box",
]
