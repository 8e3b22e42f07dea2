"""Perceptual image hash (pHash, the DCT hash) and near-duplicate search by Hamming distance. NumPy/SciPy only.

The DCT hash of Zauner (2010, "Implementation and Benchmarking of Perceptual Image Hash Functions", Upper
Austria University of Applied Sciences), in the variant of the ``imagehash`` package's ``phash`` (J. Buchner,
after N. Krawetz's "Looks Like It"): a grayscale image shrunk to 32×32 (:func:`emoeval.media.image.perceptual_hash`
does the decoding and shrinking), its 2-D DCT-II (unnormalised, along rows then columns), the top-left 8×8
coefficients — the lowest frequencies, DC included — and one bit per coefficient: 1 when it exceeds the median of
those 64. Two images differ in few of the 64 bits when one is a resized, recompressed, slightly cropped or
brightened copy of the other, and in about half of them (32) when they are unrelated. The bits equal
``imagehash.phash``'s exactly (tests/unit/test_image_hash.py).

**Use.** :func:`near_duplicates` lists, for each image of one set (e.g. generated faces), the images of another
set (e.g. the training faces) within ``max_distance`` bits — memorised or copied training images.

**What it catches, measured on face photos** (the 60 London portraits, 512×512, tests/unit/test_image_hash.py):
a 5 % centred crop moves 0–10 bits (≤ 8 for 57 of 60 photos), but a 5 % crop from one corner 6–24 (median 13,
≤ 8 for 8 of 60: the hash follows the image's layout, so shifts cost bits); two different people lie 4–38 bits
apart (median 20), ≤ 8 for 31 of 1,740 pairs — aligned portraits on one background look alike at 32×32, so on
such sets a match is a candidate to look at, not proof (the same person's other expression, from the same
session, is within 8 for 5 of 30 people). A **horizontal flip is not caught**: mirroring negates the odd
horizontal DCT frequencies, and a flipped photo lands 26–34 bits away, like an unrelated one; hash the mirror
images too (:func:`emoeval.media.image.perceptual_hash` with ``mirrored=True``) to find mirrored copies.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import numpy as np

#: the default largest Hamming distance (of 64 bits) at which two hashes count as near-duplicates
DEFAULT_MAX_DISTANCE = 8
#: the 32×32 DCT input is the hash side times this factor (``imagehash.phash``'s ``highfreq_factor``)
HIGHFREQ_FACTOR = 4

A = TypeVar("A", bound=Hashable)
B = TypeVar("B", bound=Hashable)


def dct_hash(gray32: np.ndarray, hash_size: int = 8) -> np.ndarray:
    """The DCT hash bits (bool, ``hash_size`` × ``hash_size``) of a small grayscale image.

    ``gray32``: a 2-D array of pixel values (any scale; 32×32 for the standard 64-bit pHash, in general
    ``4·hash_size`` square), rows first. The 2-D DCT-II (scipy, type 2, no normalisation) is taken along axis 0
    then axis 1; bit (k, l) is 1 when coefficient (k, l) of the top-left block exceeds the block's median (a
    coefficient equal to the median gives 0). Row-major bit order, as ``imagehash``.

    >>> bits = dct_hash(np.outer(np.arange(32.0), np.ones(32)))  # a vertical ramp: energy in the first column
    >>> bits.shape, int(bits.sum()), bool(bits[0, 0])
    ((8, 8), 1, True)
    """
    from scipy.fft import dct  # the same transform as scipy.fftpack.dct (pocketfft), without the legacy module

    if isinstance(hash_size, bool) or not isinstance(hash_size, int | np.integer) or hash_size < 2:
        raise ValueError(f"hash_size must be an integer ≥ 2, got {hash_size!r}")
    pixels = np.asarray(gray32, dtype=np.float64)
    if pixels.ndim != 2 or min(pixels.shape) < hash_size:
        raise ValueError(
            f"dct_hash needs a 2-D grayscale array of at least {hash_size}×{hash_size} pixels "
            f"({HIGHFREQ_FACTOR * hash_size}×{HIGHFREQ_FACTOR * hash_size} for pHash), got shape {pixels.shape}"
        )
    if not np.all(np.isfinite(pixels)):
        raise ValueError("dct_hash: the image holds NaN or infinite values")
    coefficients = dct(dct(pixels, type=2, axis=0), type=2, axis=1)
    low = coefficients[:hash_size, :hash_size]
    return low > np.median(low)


def _bits(value: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != np.bool_:
        if array.size and not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold bits (bool or 0/1), got values like {array.ravel()[:4].tolist()}")
        array = array.astype(np.bool_)
    return array.ravel()


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    """The Hamming distance between two hashes: the number of differing bits (0 = identical; 64 bits at most for
    pHash, about 32 for unrelated images). Shapes are flattened; the hashes must have the same number of bits.

    >>> hamming(np.array([True, False, True]), np.array([True, True, False]))
    2
    """
    left, right = _bits(a, "a"), _bits(b, "b")
    if left.size != right.size:
        raise ValueError(f"hashes of different lengths ({left.size} and {right.size} bits) cannot be compared")
    return int(np.count_nonzero(left != right))


def hash_hex(bits: np.ndarray) -> str:
    """The hash as a hexadecimal string, bits in row-major order, most significant first, zero-padded to
    ⌈bits/4⌉ digits — ``str(imagehash.phash(...))``'s format (16 digits for 64 bits).

    >>> hash_hex(np.array([[True, False, False, False], [False, False, False, True]]))
    '81'
    """
    flat = _bits(bits, "bits")
    if flat.size == 0:
        raise ValueError("hash_hex: an empty hash")
    value = int("".join("1" if bit else "0" for bit in flat), 2)
    return f"{value:0{-(-flat.size // 4)}x}"


def near_duplicates(
    hashes_a: Mapping[A, np.ndarray],
    hashes_b: Mapping[B, np.ndarray],
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> dict[B, list[tuple[A, int]]]:
    """For each item of ``hashes_b`` that has any, the items of ``hashes_a`` within ``max_distance`` bits.

    Returns ``{id_b: [(id_a, distance), ...]}`` with the matches sorted by distance (ties in the order of
    ``hashes_a``); ids of ``hashes_b`` without a match are left out, so an empty dict means no near-duplicates.
    ``max_distance`` is inclusive (0: identical hashes only). All hashes must have the same number of bits.
    Cost: one pass over ``hashes_a`` per block of ``hashes_b`` (memory |a| × 256 distances at a time).

    >>> a = {"train_1": np.zeros(64, bool), "train_2": np.ones(64, bool)}
    >>> b = {"gen_1": np.r_[np.ones(3, bool), np.zeros(61, bool)], "gen_2": np.r_[np.ones(32), np.zeros(32)] > 0}
    >>> near_duplicates(a, b)
    {'gen_1': [('train_1', 3)]}
    """
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer) or max_distance < 0:
        raise ValueError(f"max_distance must be a whole number of bits ≥ 0, got {max_distance!r}")
    if not hashes_a or not hashes_b:
        return {}
    ids_a, ids_b = list(hashes_a), list(hashes_b)
    bits_a = [_bits(hashes_a[key], f"hashes_a[{key!r}]") for key in ids_a]
    bits_b = [_bits(hashes_b[key], f"hashes_b[{key!r}]") for key in ids_b]
    length = bits_a[0].size
    for name, ids, bits in (("hashes_a", ids_a, bits_a), ("hashes_b", ids_b, bits_b)):
        for key, value in zip(ids, bits, strict=True):
            if value.size != length:
                raise ValueError(
                    f"{name}[{key!r}] has {value.size} bits but hashes_a[{ids_a[0]!r}] has {length}; "
                    "hash every image with the same hash_size"
                )
    # 0/1 floats: BLAS matrix products of sums of at most a few thousand ones, which float64 holds exactly
    ones_a = np.stack(bits_a).astype(np.float64)
    zeros_a = 1.0 - ones_a
    found: dict[B, list[tuple[A, int]]] = {}
    block = 256
    for start in range(0, len(ids_b), block):
        chunk = ids_b[start : start + block]
        ones_b = np.stack(bits_b[start : start + block]).astype(np.float64)
        # differing bits: (b=1, a=0) plus (b=0, a=1)
        distances = np.rint(ones_b @ zeros_a.T + (1.0 - ones_b) @ ones_a.T).astype(np.int64)
        for row, key in enumerate(chunk):
            close = np.flatnonzero(distances[row] <= max_distance)
            if close.size:
                order = close[np.argsort(distances[row, close], kind="stable")]
                found[key] = [(ids_a[j], int(distances[row, j])) for j in order]
    return found
