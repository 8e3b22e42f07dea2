"""Paired image quality and LPIPS on the real demo faces: identical pairs score perfectly, and every value gets
monotonically worse as a JPEG recompression, a Gaussian blur or Gaussian noise gets stronger.

LPIPS runs with the real LPIPS v0.1 linear weights (shipped by torchmetrics) on a seeded random AlexNet
backbone: the real backbone's sha256 is not recorded (see emoeval.reference_models.lpips), so no real
ImageNet AlexNet can be loaded here. The ``lpips`` package is not installed, so no comparison with it is made.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageFilter

import emoeval
from emoeval.reference_models import lpips as lp
from emoeval.reference_models.store import WeightFile

FACES = ("001_happy.jpg", "029_neutral.jpg")
JPEG_QUALITIES = (95, 75, 50, 25, 10)
BLUR_RADII = (0.5, 1.0, 2.0, 4.0)
NOISE_SIGMAS = (2.0, 5.0, 10.0, 20.0)  # in 8-bit grey levels


def distortions(face: Path, out: Path) -> dict[str, tuple[str, float, Path]]:
    """Distorted copies of ``face`` written to ``out``; sample id → (kind, strength, path)."""
    image = Image.open(face).convert("RGB")
    pixels = np.asarray(image).astype(np.float64)
    made: dict[str, tuple[str, float, Path]] = {}
    out.mkdir(parents=True, exist_ok=True)
    copy = out / f"{face.stem}_copy.png"
    image.save(copy)
    made[f"{face.stem}/identical"] = ("identical", 0.0, copy)
    for quality in JPEG_QUALITIES:
        path = out / f"{face.stem}_q{quality}.jpg"
        image.save(path, "JPEG", quality=quality)
        made[f"{face.stem}/jpeg/{quality}"] = ("jpeg", 100.0 - quality, path)
    for radius in BLUR_RADII:
        path = out / f"{face.stem}_blur{radius}.png"
        image.filter(ImageFilter.GaussianBlur(radius)).save(path)
        made[f"{face.stem}/blur/{radius}"] = ("blur", radius, path)
    for sigma in NOISE_SIGMAS:
        path = out / f"{face.stem}_noise{sigma}.png"
        noise = np.random.default_rng(int(sigma)).normal(0, sigma, pixels.shape)
        Image.fromarray(np.clip(np.round(pixels + noise), 0, 255).astype(np.uint8)).save(path)
        made[f"{face.stem}/noise/{sigma}"] = ("noise", sigma, path)
    return made


def manifest(demo_dir: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, info = [], []
    for name in FACES:
        reference = demo_dir / "faces" / name
        for sample_id, (kind, strength, path) in distortions(reference, out).items():
            rows.append(
                {
                    "sample_id": sample_id,
                    "system": "distorted",
                    "modality": "face",
                    "path": str(path),
                    "reference": str(reference),
                }
            )
            info.append({"sample_id": sample_id, "face": name, "kind": kind, "strength": strength})
    return pd.DataFrame(rows), pd.DataFrame(info).set_index("sample_id")


def wide_values(results: emoeval.Results, info: pd.DataFrame) -> pd.DataFrame:
    samples = results.samples()
    assert samples.error.isna().all(), samples.error.dropna().tolist()[:3]
    wide = samples.pivot(index="sample_id", columns="sub_metric", values="value")
    return info.join(wide)


def assert_monotone(table: pd.DataFrame, column: str, *, increasing: bool) -> None:
    for (face, kind), group in table[table.kind != "identical"].groupby(["face", "kind"]):
        values = group.sort_values("strength")[column].to_numpy()
        steps = np.diff(values)
        ok = np.all(steps > 0) if increasing else np.all(steps < 0)
        assert ok, f"{column} of {face} under {kind} is not monotone: {np.round(values, 5).tolist()}"


def test_quality_is_perfect_for_identical_and_drops_with_distortion(demo_dir, tmp_path):
    # Measured (python -m pytest tests/integration/test_face_image_quality.py -s), 001_happy.jpg:
    #   JPEG q95→q10: ssim 0.998→0.878, ms_ssim 0.9997→0.947, psnr 53.4→30.1 dB
    #   blur r0.5→r4: ssim 0.994→0.822, ms_ssim 0.9992→0.917, psnr 41.5→26.3 dB
    #   noise σ2→σ20: ssim 0.956→0.280, ms_ssim 0.994→0.767, psnr 42.0→22.3 dB
    data, info = manifest(demo_dir, tmp_path / "images")
    results = emoeval.score(data, metrics=["face_image_quality"], progress=False)
    table = wide_values(results, info)
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print(table.round(4).to_string())

    identical = table[table.kind == "identical"]
    assert np.allclose(identical.ssim, 1.0, atol=1e-12)
    assert np.allclose(identical.ms_ssim, 1.0, atol=1e-12)
    assert (identical.psnr == 80.0).all()
    warnings = results.samples().set_index(["sample_id", "sub_metric"]).warning
    assert all("pixel-identical" in warnings[(sample_id, "psnr")] for sample_id in identical.index)

    distorted = table[table.kind != "identical"]
    assert (distorted.ssim < 1).all() and (distorted.ms_ssim < 1).all() and (distorted.psnr < 80).all()
    for column in ("ssim", "ms_ssim", "psnr"):
        assert_monotone(table, column, increasing=False)
    # a few anchors against gross regressions (generous bounds around the measured values)
    first = table[table.face == FACES[0]].set_index(["kind", "strength"])
    assert 0.85 < first.loc[("jpeg", 90.0), "ssim"] < 0.92
    assert 28 < first.loc[("jpeg", 90.0), "psnr"] < 32
    assert 0.2 < first.loc[("noise", 20.0), "ssim"] < 0.35
    assert 21.5 < first.loc[("noise", 20.0), "psnr"] < 23.0  # 20·log10(255/20) = 22.1 dB before clipping


@pytest.fixture
def lpips_weights(tmp_path, monkeypatch) -> Path:
    """Real LPIPS linear weights + a seeded random AlexNet backbone in one folder; the class card patched."""
    import torchvision

    folder = tmp_path / "lpips-weights"
    folder.mkdir()
    torch.manual_seed(1234)
    features = torchvision.models.alexnet(weights=None).features.state_dict()
    torch.save({f"features.{key}": value for key, value in features.items()}, folder / lp.BACKBONE_FILENAME)
    package = Path(importlib.util.find_spec("torchmetrics").submodule_search_locations[0])
    (folder / lp.LINEAR_FILENAME).write_bytes((package / lp.LPIPS_ALEX_LINEAR.package_path).read_bytes())

    def weight(name: str) -> WeightFile:
        data = (folder / name).read_bytes()
        return WeightFile(name, hashlib.sha256(data).hexdigest(), len(data))

    assert weight(lp.LINEAR_FILENAME).sha256 == lp.LPIPS_ALEX_LINEAR.sha256
    monkeypatch.setattr(
        lp.LpipsAlex, "card", lp.lpips_alex_card(weight(lp.BACKBONE_FILENAME), weight(lp.LINEAR_FILENAME))
    )
    return folder


def test_lpips_is_zero_for_identical_and_grows_with_distortion(demo_dir, tmp_path, lpips_weights):
    # Measured, 001_happy.jpg (random backbone, so only the ordering means anything):
    #   JPEG q95→q10 0.0000→0.0032, blur r0.5→r4 0.0004→0.0119, noise σ2→σ20 0.0002→0.0122
    data, info = manifest(demo_dir, tmp_path / "images")
    results = emoeval.score(data, metrics=["face_lpips"], weights={"lpips-alex": lpips_weights}, progress=False)
    table = wide_values(results, info)
    print(table.round(5))
    assert (table[table.kind == "identical"].lpips == 0.0).all()
    assert (table[table.kind != "identical"].lpips > 0).all()
    assert_monotone(table, "lpips", increasing=True)
    assert results.samples().model.iloc[0] == "lpips-alex@0.1"
