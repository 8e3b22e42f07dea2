"""Image decoding for face models: strict (a truncated or corrupt file is an error, not a half image)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from emoeval.errors import MissingDependencyError, SampleInputError

if TYPE_CHECKING:
    import numpy as np


def decode_image(data: bytes, name: str) -> np.ndarray:
    """RGB ``uint8`` array (H × W × 3) of an encoded image, EXIF orientation applied.

    Raises :class:`SampleInputError` naming ``name`` for an empty, truncated or undecodable file.
    """
    import numpy as np

    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise MissingDependencyError("decoding images needs Pillow: pip install 'emoeval[face]'") from exc
    if not data:
        raise SampleInputError(f"{name}: empty file (0 bytes); regenerate or remove this output")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decode fully now: truncated files fail here instead of yielding grey rows
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SampleInputError(f"{name}: not a readable image ({exc}); re-export it as PNG or JPEG") from None
    array = np.asarray(rgb, dtype=np.uint8)
    if array.shape[0] < 8 or array.shape[1] < 8:
        raise SampleInputError(f"{name}: image is only {array.shape[1]}×{array.shape[0]} pixels; too small for a face")
    return array
