"""16-bit images decode by scaling (v / 257), not clipping: a 16-bit greyscale PNG used to decode all white.

The reference is numpy's ``rint(v / 257)`` on the 16-bit values the test wrote, and the 8-bit greyscale version
of the same photo (a demo face) decoded by Pillow's own 8-bit path.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import emoeval
from emoeval.errors import SampleInputError
from emoeval.media.image import decode_image

FACE = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo" / "faces" / "001_happy.jpg"


def _grey8() -> np.ndarray:
    with Image.open(FACE) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)


def _encode(array: np.ndarray, fmt: str, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _expected_rgb(values16: np.ndarray) -> np.ndarray:
    grey = np.rint(values16.astype(np.float64) / 257.0).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2) if grey.ndim == 2 else grey


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_a_16_bit_greyscale_photo_decodes_like_its_8_bit_version(fmt):
    grey8 = _grey8()
    data16 = _encode(grey8.astype(np.uint16) * 257, fmt)
    with Image.open(io.BytesIO(data16)) as image:
        assert image.mode.startswith("I;16")  # the case Pillow's convert("RGB") clips to white
    decoded16 = decode_image(data16, f"face16.{fmt.lower()}")
    decoded8 = decode_image(_encode(grey8, "PNG"), "face8.png")
    assert decoded16.shape == decoded8.shape == (*grey8.shape, 3) and decoded16.dtype == np.uint8
    assert np.abs(decoded16.astype(int) - decoded8.astype(int)).max() <= 1
    assert np.array_equal(decoded8[:, :, 0], grey8)


@pytest.mark.parametrize(
    ("mode", "encode"),
    [
        ("I;16", lambda v: _encode(v, "PNG")),
        ("I;16B", lambda v: _encode(v.astype(">u2"), "TIFF")),
        ("I", lambda v: _encode(v.astype(np.int32), "TIFF", "I")),  # 32-bit integer holding 16-bit values
    ],
)
def test_every_16_bit_value_is_scaled_by_257_and_rounded(mode, encode):
    values = np.random.default_rng(3).integers(0, 65536, size=(40, 48)).astype(np.uint16)
    values[0, :6] = [0, 128, 129, 257, 65534, 65535]  # rounding edges and the extremes
    data = encode(values)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == mode
    assert np.array_equal(decode_image(data, mode), _expected_rgb(values)), mode


def test_16_bit_rgb_and_rgba_pngs_stay_within_one_of_the_scaled_values():
    cv2 = pytest.importorskip("cv2")
    values = np.random.default_rng(4).integers(0, 65536, size=(32, 32, 4)).astype(np.uint16)
    for channels in (3, 4):
        ok, encoded = cv2.imencode(".png", values[:, :, [2, 1, 0, 3][:channels]])  # OpenCV writes BGR(A)
        assert ok
        decoded = decode_image(encoded.tobytes(), f"rgb16-{channels}.png")
        expected = _expected_rgb(values[:, :, :3])
        assert np.abs(decoded.astype(int) - expected.astype(int)).max() <= 1


def test_a_32_bit_image_outside_the_16_bit_range_is_refused():
    values = np.full((16, 16), 70000, dtype=np.int32)
    with pytest.raises(SampleInputError, match=r"big\.tif: a 32-bit integer image .*0–65535"):
        decode_image(_encode(values, "TIFF", "I"), "big.tif")


def test_face_image_quality_of_16_bit_and_8_bit_greyscale_is_ssim_one(tmp_path):
    grey8 = _grey8()
    output = tmp_path / "face16.png"
    output.write_bytes(_encode(grey8.astype(np.uint16) * 257, "PNG"))
    reference = tmp_path / "face8.png"
    reference.write_bytes(_encode(grey8, "PNG"))
    manifest = pd.DataFrame(
        [{"sample_id": "a", "system": "gen", "modality": "face", "path": str(output), "reference": str(reference)}]
    )
    results = emoeval.score(manifest, metrics=["face_image_quality"], progress=False, use_cache=False)
    values = results.samples().set_index("sub_metric")
    assert values["error"].isna().all()
    assert values.loc["ssim", "value"] == pytest.approx(1.0, abs=1e-6)
    assert values.loc["ms_ssim", "value"] == pytest.approx(1.0, abs=1e-6)
