"""Image decoding for face models: strict (a truncated or corrupt file is an error, not a half image).

Every face model and image metric decodes through :func:`decode_image`, so all see the same pixels.

**Bit depth.** Models take 8-bit RGB. 16-bit images are *scaled* to 8 bits, never clipped: a 16-bit value
``v`` (0–65535) becomes ``round(v / 257)`` (0–255; 257 = 65535 / 255, so ``v = 257·u`` gives back ``u``
exactly). Greyscale 16-bit PNG and TIFF (Pillow modes ``I;16``, ``I;16B``, ``I;16L``, ``I;16N``) and 32-bit
integer images (mode ``I``, which older Pillow versions give 16-bit PNGs) are scaled here; an ``I`` image with
values outside 0–65535 is not a 16-bit image and is refused. 16-bit RGB and RGBA PNG/TIFF are reduced to 8 bits
by Pillow's decoder itself (it keeps the high byte, ``v >> 8``, within 1 of ``round(v / 257)``). Without
this, Pillow's ``convert("RGB")`` clips a 16-bit greyscale image at 255 and almost every pixel turns white.
"""

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
            if upright.mode == "I" or upright.mode.startswith("I;16"):
                array = _grey16_to_rgb8(np.asarray(upright), name)
            else:
                array = np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SampleInputError(f"{name}: not a readable image ({exc}); re-export it as PNG or JPEG") from None
    if array.shape[0] < 8 or array.shape[1] < 8:
        raise SampleInputError(f"{name}: image is only {array.shape[1]}×{array.shape[0]} pixels; too small for a face")
    return array


def perceptual_hash(data: bytes, name: str, hash_size: int = 8, *, mirrored: bool = False) -> np.ndarray:
    """The pHash bits (bool, ``hash_size`` × ``hash_size``; 64 bits by default) of an encoded image.

    The image is decoded by :func:`decode_image` (EXIF orientation applied, 16-bit scaled), turned to Pillow
    grayscale (``L``: ITU-R 601-2 luma), shrunk to ``4·hash_size`` square (32×32) with Pillow's Lanczos filter
    (what ``imagehash`` calls ANTIALIAS) and hashed by :func:`emoeval.functional.image_hash.dct_hash`. For 8-bit
    RGB or grayscale files without an EXIF rotation the bits equal ``imagehash.phash(PIL.Image.open(file))``.
    ``mirrored=True`` hashes the left–right mirror image instead (the 32×32 grayscale flipped): pHash is not
    flip-invariant, so this is how a mirrored copy is found. Compare hashes with
    :func:`~emoeval.functional.image_hash.hamming`. Raises :class:`SampleInputError` naming ``name`` for an
    empty, truncated or undecodable file.
    """
    import numpy as np
    from PIL import Image

    from emoeval.functional.image_hash import HIGHFREQ_FACTOR, dct_hash

    if isinstance(hash_size, bool) or not isinstance(hash_size, int) or hash_size < 2:
        raise ValueError(f"hash_size must be an integer ≥ 2, got {hash_size!r}")
    side = HIGHFREQ_FACTOR * hash_size
    gray = Image.fromarray(decode_image(data, name)).convert("L")
    small = np.asarray(gray.resize((side, side), Image.Resampling.LANCZOS), dtype=np.float64)
    # flipping after the resize: Lanczos is symmetric, so this is the hash of the flipped file
    return dct_hash(np.fliplr(small) if mirrored else small, hash_size)


def _grey16_to_rgb8(values: np.ndarray, name: str) -> np.ndarray:
    """A 16-bit greyscale image (any byte order; or int32 holding 0–65535) as 8-bit RGB: ``round(v / 257)``.

    >>> import numpy as np
    >>> _grey16_to_rgb8(np.array([[0, 128, 129, 257, 32896, 65535]], dtype=np.uint16), "x")[0, :, 0].tolist()
    [0, 0, 1, 1, 128, 255]
    """
    import numpy as np

    wide = values.astype(np.int64)
    if wide.size and (int(wide.min()) < 0 or int(wide.max()) > 65535):
        raise SampleInputError(
            f"{name}: a 32-bit integer image with values from {int(wide.min())} to {int(wide.max())}, outside the "
            "16-bit range 0–65535; save it as an 8- or 16-bit PNG"
        )
    grey = ((wide + 128) // 257).astype(np.uint8)  # round(v / 257): 257 is odd, so v / 257 never ends in .5
    return np.repeat(grey[:, :, None], 3, axis=2)
