"""Paired image quality (SSIM, MS-SSIM, PSNR) and LPIPS as a plug-in model served through the weight store.

Independent references: SSIM and MS-SSIM against direct numpy implementations of Wang et al. (2004, 2003)
written here with 2-D window sums (a different code path from the metric's separable scipy filters), against
torchmetrics' maps, and against scikit-image when it is installed; PSNR against 10·log10(1/MSE). LPIPS against
a re-computation of the formula with plain ``torch.nn.functional`` calls and against torchmetrics' copy of the
LPIPS network, on seeded random AlexNet-shaped weights that a local HTTP server on 127.0.0.1 serves to the
weight store. Nothing touches the internet.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import re
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import emoeval
from emoeval.errors import SampleInputError, WeightError, WeightHashMismatchError, WeightNotFoundError
from emoeval.metrics.face import image_quality as iq
from emoeval.metrics.face.image_quality import FaceLPIPS, PairedImageQuality
from emoeval.reference_models import lpips as lp
from emoeval.reference_models.base import ModelPool
from emoeval.reference_models.store import WeightFile, WeightStore
from emoeval.samples import Sample

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


# -- independent references -------------------------------------------------------------------------------
def wang_ssim_maps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and contrast-structure maps by explicit 11×11 window sums over the valid region (Wang et al. 2004)."""
    offsets = np.arange(11) - 5.0
    g = np.exp(-(offsets**2) / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()

    def local_mean(image: np.ndarray) -> np.ndarray:
        patches = np.lib.stride_tricks.sliding_window_view(image, (11, 11), axis=(0, 1))  # (H', W', C, 11, 11)
        return np.einsum("hwcij,ij->hwc", patches, window)

    mx, my = local_mean(x), local_mean(y)
    sxx = local_mean(x * x) - mx * mx
    syy = local_mean(y * y) - my * my
    sxy = local_mean(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    return (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs, cs


def wang_ms_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """MS-SSIM (Wang et al. 2003): cs at scales 1-4, SSIM at scale 5, 2×2 mean downsampling, standard weights."""
    result = 1.0
    for scale, weight in enumerate(MS_SSIM_WEIGHTS):
        ssim_map, cs_map = wang_ssim_maps(x, y)
        if scale == 4:
            result *= max(ssim_map.mean(), 0.0) ** weight
        else:
            result *= max(cs_map.mean(), 0.0) ** weight
            h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
            x = (x[0:h:2, 0:w:2] + x[1:h:2, 0:w:2] + x[0:h:2, 1:w:2] + x[1:h:2, 1:w:2]) / 4
            y = (y[0:h:2, 0:w:2] + y[1:h:2, 0:w:2] + y[0:h:2, 1:w:2] + y[1:h:2, 1:w:2]) / 4
    return float(result)


def smooth_random(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A natural-ish RGB image in [0, 1]: blurred noise plus a gradient."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    noise = gaussian_filter(rng.random((*shape, 3)), sigma=(3, 3, 0))
    ramp = np.linspace(0, 1, shape[1])[None, :, None]
    return np.clip(0.2 + 0.6 * (noise - noise.min()) / np.ptp(noise) * 0.7 + 0.3 * ramp, 0, 1)


def degraded_pairs(shape: tuple[int, int], seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    x = smooth_random(shape, seed)
    rng = np.random.default_rng(seed + 1)
    return [
        ("noise", x, np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)),
        ("contrast", x, 0.5 + 0.6 * (x - 0.5)),
        ("shift", x, np.roll(x, 2, axis=1)),
        ("other image", x, smooth_random(shape, seed + 7)),
        ("inverted", x, 1 - x),
    ]


# -- SSIM / MS-SSIM / PSNR maths --------------------------------------------------------------------------
def test_gaussian_window_is_the_11_tap_sigma_1_5_one():
    window = iq.gaussian_window()
    expected = np.exp(-(np.arange(-5, 6) ** 2) / 4.5)
    np.testing.assert_allclose(window, expected / expected.sum(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("shape", [(11, 11), (40, 57), (64, 64)])
def test_ssim_matches_direct_wang_2004(shape):
    for name, x, y in degraded_pairs(shape, seed=shape[1]):
        expected = float(wang_ssim_maps(x, y)[0].mean())
        assert iq.ssim(x, y) == pytest.approx(expected, abs=1e-10), name
    x = smooth_random(shape, 3)
    assert iq.ssim(x, x) == pytest.approx(1.0, abs=1e-12)


def test_ssim_matches_scikit_image_when_installed():
    metrics = pytest.importorskip("skimage.metrics", reason="scikit-image is not installed here")
    for name, x, y in degraded_pairs((48, 64), seed=5):
        expected = metrics.structural_similarity(
            x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
        )
        assert iq.ssim(x, y) == pytest.approx(expected, abs=1e-4), name


def test_ssim_equals_torchmetrics_map_over_the_valid_region_not_its_padded_mean(demo_dir):
    from torchmetrics.functional.image import structural_similarity_index_measure

    def as_tensor(image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(image).permute(2, 0, 1)[None]

    for name, x, y in degraded_pairs((48, 60), seed=11):
        _, full = structural_similarity_index_measure(
            as_tensor(x), as_tensor(y), sigma=1.5, data_range=1.0, return_full_image=True, reduction="none"
        )
        assert iq.ssim(x, y) == pytest.approx(float(full[..., 5:-5, 5:-5].mean()), abs=1e-10), name
    # torchmetrics' own reduction averages a reflection-padded border in: off the standard by >1e-4 on a face
    face = np.asarray(Image.open(demo_dir / "faces" / "001_happy.jpg").convert("RGB").resize((96, 96))) / 255.0
    noisy = np.clip(face + np.random.default_rng(0).normal(0, 0.05, face.shape), 0, 1)
    padded = float(structural_similarity_index_measure(as_tensor(noisy), as_tensor(face), sigma=1.5, data_range=1.0))
    assert abs(padded - iq.ssim(noisy, face)) > 1e-4


@pytest.mark.parametrize("shape", [(176, 176), (181, 203)])
def test_ms_ssim_matches_direct_wang_2003(shape):
    for name, x, y in degraded_pairs(shape, seed=shape[1])[:4]:
        assert iq.ms_ssim(x, y) == pytest.approx(wang_ms_ssim(x, y), abs=1e-10), name
    x = smooth_random(shape, 1)
    assert iq.ms_ssim(x, x) == pytest.approx(1.0, abs=1e-12)


def test_ms_ssim_matches_torchmetrics_pieces():
    """cs of scales 1-4 from torchmetrics (it crops those), SSIM of scale 5 from its map cropped; 2x2 pooling."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    _, x, y = degraded_pairs((176, 184), seed=2)[0]
    a = torch.from_numpy(x).permute(2, 0, 1)[None]
    b = torch.from_numpy(y).permute(2, 0, 1)[None]
    expected = 1.0
    for scale, weight in enumerate(MS_SSIM_WEIGHTS):
        if scale < 4:
            _, cs = structural_similarity_index_measure(
                a, b, sigma=1.5, data_range=1.0, return_contrast_sensitivity=True, reduction="none"
            )
            expected *= float(cs.mean()) ** weight
            a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
        else:
            _, full = structural_similarity_index_measure(
                a, b, sigma=1.5, data_range=1.0, return_full_image=True, reduction="none"
            )
            expected *= float(full[..., 5:-5, 5:-5].mean()) ** weight
    assert iq.ms_ssim(x, y) == pytest.approx(expected, abs=1e-9)


def test_ms_ssim_needs_176_pixels_per_side():
    x = smooth_random((176, 175), 0)
    with pytest.raises(ValueError, match="at least 176×176"):
        iq.ms_ssim(x, x)
    assert iq.MS_SSIM_MIN_SIDE == 176


def test_psnr_matches_direct_formula_and_is_inf_for_identical_images():
    for name, x, y in degraded_pairs((30, 41), seed=4):
        expected = 10 * math.log10(1.0 / np.mean((x - y) ** 2))
        # torchmetrics converts ln to dB with a float32 ln(10): ~1e-7 relative, i.e. micro-dB
        assert iq.psnr(x, y) == pytest.approx(expected, abs=1e-5), name
    x = smooth_random((20, 20), 0)
    assert iq.psnr(x, x) == math.inf


# -- the metric through emoeval.score ---------------------------------------------------------------------
def write_png(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def manifest(pairs: dict[str, tuple[Path, Path]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": list(pairs),
            "system": "sys",
            "modality": "face",
            "path": [str(output) for output, _ in pairs.values()],
            "reference": [str(reference) for _, reference in pairs.values()],
        }
    )


def by_sample(results) -> pd.DataFrame:
    return results.samples().set_index(["sample_id", "sub_metric"])


def test_metric_values_warnings_and_errors_through_score(tmp_path):
    reference = to_uint8(smooth_random((200, 200), 0))
    noisy = to_uint8(reference / 255 + np.random.default_rng(1).normal(0, 0.03, reference.shape))
    small = to_uint8(smooth_random((100, 120), 2))
    small_noisy = to_uint8(small / 255 + np.random.default_rng(3).normal(0, 0.03, small.shape))
    files = {
        "ref": write_png(tmp_path / "ref.png", reference),
        "copy": write_png(tmp_path / "copy.png", reference.copy()),
        "noisy": write_png(tmp_path / "noisy.png", noisy),
        "small": write_png(tmp_path / "small.png", small),
        "small_noisy": write_png(tmp_path / "small_noisy.png", small_noisy),
        "tiny": write_png(tmp_path / "tiny.png", reference[:9, :9]),
        "corrupt": tmp_path / "corrupt.png",
    }
    files["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n not really")
    pairs = {
        "identical": (files["copy"], files["ref"]),
        "noisy": (files["noisy"], files["ref"]),
        "small": (files["small_noisy"], files["small"]),
        "size_mismatch": (files["small"], files["ref"]),
        "tiny": (files["tiny"], files["tiny"]),
        "corrupt_reference": (files["noisy"], files["corrupt"]),
    }
    results = emoeval.score(manifest(pairs), metrics=["face_image_quality"], progress=False)
    rows = by_sample(results)

    # identical: SSIM 1, MS-SSIM 1, PSNR capped at 80 dB with a warning
    assert rows.loc[("identical", "ssim"), "value"] == pytest.approx(1.0, abs=1e-12)
    assert rows.loc[("identical", "ms_ssim"), "value"] == pytest.approx(1.0, abs=1e-12)
    assert rows.loc[("identical", "psnr"), "value"] == 80.0
    assert "pixel-identical" in rows.loc[("identical", "psnr"), "warning"]

    # noisy: the values of the pure functions on the decoded pixels
    x, y = noisy / 255.0, reference / 255.0
    assert rows.loc[("noisy", "ssim"), "value"] == pytest.approx(float(wang_ssim_maps(x, y)[0].mean()), abs=1e-6)
    assert rows.loc[("noisy", "ms_ssim"), "value"] == pytest.approx(wang_ms_ssim(x, y), abs=1e-6)
    assert rows.loc[("noisy", "psnr"), "value"] == pytest.approx(10 * math.log10(1 / np.mean((x - y) ** 2)))
    assert pd.isna(rows.loc[("noisy", "psnr"), "warning"])

    # under 176 px: ssim and psnr are reported, ms_ssim is an error row, all with the warning naming the minimum
    assert 0 < rows.loc[("small", "ssim"), "value"] < 1
    assert math.isnan(rows.loc[("small", "ms_ssim"), "value"])
    assert rows.loc[("small", "ms_ssim"), "error"]
    assert "176×176" in rows.loc[("small", "ms_ssim"), "warning"]
    assert "120×100" in rows.loc[("small", "ssim"), "warning"]

    errors = results.samples().set_index("sample_id").error
    assert re.search(r"is 120×100 pixels but reference .*ref\.png is 200×200", errors["size_mismatch"])
    assert "resize_reference=True" in errors["size_mismatch"]
    assert "too small for SSIM" in errors["tiny"]
    assert errors["corrupt_reference"].startswith("reference: ")
    assert "corrupt.png" in errors["corrupt_reference"]

    # the system mean stays finite and counts every scored sample (identical included, at the cap)
    systems = results.systems().set_index("sub_metric")
    assert systems.loc["psnr", "n"] == 3
    assert math.isfinite(systems.loc["psnr", "value"])
    assert systems.loc["ms_ssim", "n"] == 2


def sample(output: Path, reference: Path) -> Sample:
    return Sample(sample_id="s", system="sys", modality="face", path=output, reference=str(reference))


def test_resize_reference_and_uncapped_psnr(tmp_path):
    big = to_uint8(smooth_random((240, 200), 4))
    output = Image.fromarray(big).resize((100, 120), Image.Resampling.BICUBIC)
    output_path = write_png(tmp_path / "out.png", np.asarray(output))
    reference_path = write_png(tmp_path / "ref.png", big)

    with pytest.raises(SampleInputError, match="100×120 pixels but reference"):
        PairedImageQuality().score_one(sample(output_path, reference_path))
    score = PairedImageQuality(resize_reference=True).score_one(sample(output_path, reference_path))
    # the reference resized to the output's size is exactly what the output was made with: identical pixels
    assert score.values["ssim"] == pytest.approx(1.0, abs=1e-12)
    assert score.values["psnr"] == 80.0

    raw = PairedImageQuality(resize_reference=True, max_psnr=math.inf).score_one(sample(output_path, reference_path))
    assert raw.values["psnr"] == math.inf
    assert "psnr" not in (raw.warning or "")
    with pytest.raises(ValueError, match="max_psnr"):
        PairedImageQuality(max_psnr=0)


def test_quality_spec():
    spec = PairedImageQuality.spec
    assert (spec.name, spec.modality, spec.scope, spec.models) == ("face_image_quality", "face", "sample", ())
    assert spec.needs == frozenset({"reference"})
    assert [(o.name, o.higher_is_better) for o in spec.outputs] == [("ssim", True), ("ms_ssim", True), ("psnr", True)]
    assert FaceLPIPS.spec.models == ("lpips-alex",)
    assert not FaceLPIPS.spec.headline.higher_is_better


# -- LPIPS: tiny weights served from 127.0.0.1 -------------------------------------------------------------
def make_tiny_weights(folder: Path, *, real_linear: bool = False) -> dict[str, Path]:
    """Seeded random AlexNet-shaped features (torchvision layout) and non-negative linear weights, saved."""
    import torchvision

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    features = torchvision.models.alexnet(weights=None).features.state_dict()
    torch.save({f"features.{key}": value for key, value in features.items()}, folder / lp.BACKBONE_FILENAME)
    if real_linear:
        source = Path(importlib.util.find_spec("torchmetrics").submodule_search_locations[0])
        (folder / lp.LINEAR_FILENAME).write_bytes((source / lp.LPIPS_ALEX_LINEAR.package_path).read_bytes())
    else:
        generator = torch.Generator().manual_seed(99)
        linear = {
            f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=generator)
            for k, c in enumerate(lp.LAYER_CHANNELS)
        }
        torch.save(linear, folder / lp.LINEAR_FILENAME)
    return {name: folder / name for name in (lp.BACKBONE_FILENAME, lp.LINEAR_FILENAME)}


def tiny_card(files: dict[str, Path], base_url: str | None = None):
    def weight(name: str) -> WeightFile:
        data = files[name].read_bytes()
        url = f"{base_url}/{name}" if base_url else None
        return WeightFile(name, hashlib.sha256(data).hexdigest(), len(data), url=url)

    return lp.lpips_alex_card(weight(lp.BACKBONE_FILENAME), weight(lp.LINEAR_FILENAME))


def independent_lpips(files: dict[str, Path], first: np.ndarray, second: np.ndarray) -> float:
    """LPIPS re-computed from the saved tensors with plain functional calls (no torchvision, no emoeval)."""
    state = torch.load(files[lp.BACKBONE_FILENAME], weights_only=True, map_location="cpu")
    linear = torch.load(files[lp.LINEAR_FILENAME], weights_only=True, map_location="cpu")
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def taps(image: np.ndarray) -> list[torch.Tensor]:
        x = torch.from_numpy(image).permute(2, 0, 1)[None].double() / 255 * 2 - 1
        x = (x - shift.double()) / scale.double()
        w = {k: v.double() for k, v in state.items()}
        out = []
        x = F.relu(F.conv2d(x, w["features.0.weight"], w["features.0.bias"], stride=4, padding=2))
        out.append(x)
        x = F.max_pool2d(x, 3, 2)
        x = F.relu(F.conv2d(x, w["features.3.weight"], w["features.3.bias"], padding=2))
        out.append(x)
        x = F.max_pool2d(x, 3, 2)
        for index in (6, 8, 10):
            x = F.relu(F.conv2d(x, w[f"features.{index}.weight"], w[f"features.{index}.bias"], padding=1))
            out.append(x)
        return out

    total = 0.0
    for layer, (f0, f1) in enumerate(zip(taps(first), taps(second), strict=True)):
        n0 = f0 / (f0.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        n1 = f1 / (f1.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        weights = linear[f"lin{layer}.model.1.weight"].double().view(1, -1, 1, 1)
        total += float(((n0 - n1) ** 2 * weights).sum(1).mean())
    return total


def torchmetrics_lpips(files: dict[str, Path]) -> torch.nn.Module:
    """torchmetrics' copy of the LPIPS network with the given backbone and linear weights."""
    from torchmetrics.functional.image.lpips import _LPIPS

    network = _LPIPS(pretrained=False, net="alex", pnet_rand=True)
    slices = {0: 1, 1: 1, 3: 2, 6: 3, 8: 4, 10: 5}
    state = torch.load(files[lp.BACKBONE_FILENAME], weights_only=True, map_location="cpu")
    mapped = {}
    for key, value in state.items():
        index = int(key.split(".")[1])
        mapped[f"net.slice{slices[index]}.{index}.{key.split('.')[2]}"] = value
    mapped.update(torch.load(files[lp.LINEAR_FILENAME], weights_only=True, map_location="cpu"))
    missing, unexpected = network.load_state_dict(mapped, strict=False)
    assert not unexpected and all(key.startswith("lins.") for key in missing)  # lins.* alias lin0..lin4
    return network.eval()


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> dict[str, Path]:
    return make_tiny_weights(tmp_path_factory.mktemp("lpips-tiny"))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def weight_server(tiny_weights):
    """Serves the tiny weights' folder on 127.0.0.1; ``requests`` lists the paths asked for."""
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    folder = tiny_weights[lp.BACKBONE_FILENAME].parent
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def face_crops(demo_dir: Path, size: int = 96) -> list[np.ndarray]:
    names = ["001_happy.jpg", "001_neutral.jpg", "029_happy.jpg"]
    return [
        np.array(Image.open(demo_dir / "faces" / name).convert("RGB").resize((size, size), Image.Resampling.BICUBIC))
        for name in names
    ]


def test_pull_through_the_store_then_forward_matches_independent_lpips(
    tmp_path, tiny_weights, weight_server, demo_dir, monkeypatch
):
    base_url, requests = weight_server
    card = tiny_card(tiny_weights, base_url)
    monkeypatch.setattr(lp.LpipsAlex, "card", card)
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False, timeout_s=5)
    resolved = store.pull(card)
    assert [(r.source, r.path.name) for r in resolved] == [
        ("download", lp.BACKBONE_FILENAME),
        ("download", lp.LINEAR_FILENAME),
    ]
    assert sorted(requests) == sorted([f"/{lp.BACKBONE_FILENAME}", f"/{lp.LINEAR_FILENAME}"])
    model = lp.LpipsAlex.load(store, ModelPool(store))  # now offline, from the models folder

    faces = face_crops(demo_dir)
    noisy = to_uint8(faces[0] / 255 + np.random.default_rng(0).normal(0, 0.08, faces[0].shape))
    pairs = [(faces[0], faces[1]), (faces[0], faces[2]), (faces[0], noisy), (faces[1], faces[1])]
    distances = model.distances(pairs)
    reference_network = torchmetrics_lpips(tiny_weights)
    for (first, second), distance in zip(pairs, distances, strict=True):
        expected = independent_lpips(tiny_weights, first, second)
        assert distance[0] == pytest.approx(expected, rel=1e-5, abs=1e-9)
        assert distance[0] == pytest.approx(distance[1:].sum(), rel=1e-12)
        with torch.no_grad():
            theirs = reference_network(
                torch.from_numpy(first).permute(2, 0, 1)[None].float() / 255,
                torch.from_numpy(second).permute(2, 0, 1)[None].float() / 255,
                normalize=True,
            )
        assert distance[0] == pytest.approx(float(theirs), rel=1e-4, abs=1e-7)
    assert distances[-1][0] == 0.0
    # the per-image embedding: LPIPS = squared Euclidean distance of two same-sized images' embeddings
    embeddings = model.infer([faces[0], faces[2]])
    assert float(((embeddings[0] - embeddings[1]) ** 2).sum()) == pytest.approx(distances[1][0], rel=1e-4)


def test_real_linear_weights_from_torchmetrics_match_its_lpips(tmp_path, demo_dir, monkeypatch):
    files = make_tiny_weights(tmp_path / "w", real_linear=True)
    assert hashlib.sha256(files[lp.LINEAR_FILENAME].read_bytes()).hexdigest() == lp.LPIPS_ALEX_LINEAR.sha256
    monkeypatch.setattr(
        lp.LpipsAlex, "card", lp.lpips_alex_card(tiny_card(files).file(lp.BACKBONE_FILENAME), lp.LPIPS_ALEX_LINEAR)
    )
    # the backbone from an explicit folder (holding only it), the linear weights from the torchmetrics package
    only_backbone = tmp_path / "backbone"
    only_backbone.mkdir()
    (only_backbone / lp.BACKBONE_FILENAME).write_bytes(files[lp.BACKBONE_FILENAME].read_bytes())
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False, explicit={"lpips-alex": only_backbone})
    assert store.resolve(lp.LpipsAlex.card, lp.LINEAR_FILENAME).source == "package"
    model = lp.LpipsAlex.load(store, ModelPool(store))
    faces = face_crops(demo_dir, size=80)
    from torchmetrics.functional.image.lpips import _LPIPS

    theirs = _LPIPS(pretrained=True, net="alex", pnet_rand=True)  # torchmetrics' own alex.pth
    theirs.net.load_state_dict(torchmetrics_lpips(files).net.state_dict())
    theirs.eval()
    with torch.no_grad():
        expected = theirs(
            torch.from_numpy(faces[0]).permute(2, 0, 1)[None].float() / 255,
            torch.from_numpy(faces[2]).permute(2, 0, 1)[None].float() / 255,
            normalize=True,
        )
    assert model.distances([(faces[0], faces[2])])[0][0] == pytest.approx(float(expected), rel=1e-4)
    assert model.distances([(faces[0], faces[2])])[0][0] == pytest.approx(
        independent_lpips(files, faces[0], faces[2]), rel=1e-5
    )


def face_pairs_manifest(tmp_path: Path, demo_dir: Path) -> pd.DataFrame:
    faces = face_crops(demo_dir, size=64)
    a = write_png(tmp_path / "a.png", faces[0])
    b = write_png(tmp_path / "b.png", faces[1])
    return manifest({"pair": (a, b)})


def test_missing_weight_fails_fast_offline_naming_file_and_pull(
    tmp_path, tiny_weights, weight_server, monkeypatch, demo_dir
):
    base_url, requests = weight_server
    monkeypatch.setattr(lp.LpipsAlex, "card", tiny_card(tiny_weights, base_url))
    started = time.perf_counter()
    with pytest.raises(WeightNotFoundError) as info:
        emoeval.score(face_pairs_manifest(tmp_path, demo_dir), metrics=["face_lpips"], progress=False)
    assert time.perf_counter() - started < 5
    message = str(info.value)
    assert repr(lp.BACKBONE_FILENAME) in message
    assert "emoeval models pull lpips-alex" in message
    assert requests == []


def test_real_card_linear_weights_resolve_and_backbone_is_checked_by_its_published_prefix(tmp_path):
    card = lp.LPIPS_ALEX_CARD
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False)
    linear = store.resolve(card, lp.LINEAR_FILENAME)
    assert linear.source == "package" and linear.path.stat().st_size == 6009
    backbone = card.file(lp.BACKBONE_FILENAME)
    assert backbone.sha256 == lp.ALEXNET_SHA256_PREFIX and not backbone.full_hash
    assert backbone.url == lp.ALEXNET_URL

    # missing and offline: the store's message names the file and the pull command
    with pytest.raises(WeightNotFoundError) as missing:
        lp.LpipsAlex.load(store, ModelPool(store))
    assert repr(lp.BACKBONE_FILENAME) in str(missing.value)
    assert "emoeval models pull lpips-alex" in str(missing.value)

    # a copy whose sha256 does not start with the published prefix is refused, naming both
    copy = tmp_path / "models" / "lpips-alex" / lp.BACKBONE_FILENAME
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"not alexnet")
    with pytest.raises(WeightHashMismatchError) as refused:
        lp.LpipsAlex.load(store, ModelPool(store))
    message = str(refused.value)
    assert hashlib.sha256(b"not alexnet").hexdigest() in message
    assert "expected 7be5be79… (prefix)" in message


def test_bad_weight_files_are_weight_errors_naming_the_file(tmp_path, tiny_weights):
    good = tiny_weights
    cases = {
        "negative": {f"lin{k}.model.1.weight": -torch.ones(1, c, 1, 1) for k, c in enumerate(lp.LAYER_CHANNELS)},
        "wrong_shape": {f"lin{k}.model.1.weight": torch.ones(1, 3, 1, 1) for k in range(5)},
    }
    for name, state in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / lp.BACKBONE_FILENAME).write_bytes(good[lp.BACKBONE_FILENAME].read_bytes())
        torch.save(state, folder / lp.LINEAR_FILENAME)
        files = {n: folder / n for n in (lp.BACKBONE_FILENAME, lp.LINEAR_FILENAME)}
        store = WeightStore(models_dir=tmp_path / "m", allow_network=False, explicit={"lpips-alex": folder})
        with pytest.raises(WeightError, match=re.escape(str(folder / lp.LINEAR_FILENAME))):
            type("Patched", (lp.LpipsAlex,), {"card": tiny_card(files)}).load(store, ModelPool(store))
    folder = tmp_path / "no_features"
    folder.mkdir()
    torch.save({"classifier.1.weight": torch.ones(2, 2)}, folder / lp.BACKBONE_FILENAME)
    (folder / lp.LINEAR_FILENAME).write_bytes(good[lp.LINEAR_FILENAME].read_bytes())
    files = {n: folder / n for n in (lp.BACKBONE_FILENAME, lp.LINEAR_FILENAME)}
    store = WeightStore(models_dir=tmp_path / "m", allow_network=False, explicit={"lpips-alex": folder})
    with pytest.raises(WeightError, match="is not torchvision's AlexNet"):
        type("Patched", (lp.LpipsAlex,), {"card": tiny_card(files)}).load(store, ModelPool(store))


def test_face_lpips_errors_and_pair_cache(tmp_path, tiny_weights, monkeypatch, demo_dir):
    monkeypatch.setattr(lp.LpipsAlex, "card", tiny_card(tiny_weights))
    faces = face_crops(demo_dir, size=64)
    a = write_png(tmp_path / "a.png", faces[0])
    b = write_png(tmp_path / "b.png", faces[1])
    wide = write_png(tmp_path / "wide.png", np.zeros((64, 80, 3), np.uint8))
    tiny = write_png(tmp_path / "tiny.png", faces[0][:30, :30])
    data = manifest({"ab": (a, b), "ba": (b, a), "aa": (a, a), "mismatch": (wide, a), "tiny": (tiny, tiny)})
    folder = tiny_weights[lp.BACKBONE_FILENAME].parent
    calls = []
    original = lp.LpipsAlex.distances
    monkeypatch.setattr(
        lp.LpipsAlex, "distances", lambda self, pairs: calls.append(len(pairs)) or original(self, pairs)
    )

    first = emoeval.score(data, metrics=["face_lpips"], weights={"lpips-alex": folder}, progress=False)
    values = first.samples().set_index("sample_id")
    assert values.value["aa"] == 0.0
    assert values.value["ab"] > 0
    assert values.value["ab"] == pytest.approx(values.value["ba"], rel=1e-6)  # LPIPS is symmetric
    assert values.value["ab"] == pytest.approx(independent_lpips(tiny_weights, faces[0], faces[1]), rel=1e-5)
    assert re.search(r"80×64 pixels but reference .*a\.png is 64×64", values.error["mismatch"])
    assert "too small for LPIPS" in values.error["tiny"] and "31×31" in values.error["tiny"]
    assert calls == [3]

    again = emoeval.score(data, metrics=["face_lpips"], weights={"lpips-alex": folder}, progress=False)
    assert calls == [3]  # every pair distance came from the cache
    pd.testing.assert_series_equal(again.samples().set_index("sample_id").value, values.value, check_exact=True)
    assert first.samples().model.iloc[0] == "lpips-alex@0.1"


def test_lpips_input_scaling_matches_lpips_constants():
    x = lp.rgb_to_lpips_input(np.array([[[[0, 255, 128]]]], dtype=np.uint8))
    expected = [(-1 + 0.030) / 0.458, (1 + 0.088) / 0.448, (128 / 127.5 - 1 + 0.188) / 0.450]
    np.testing.assert_allclose(x.flatten().numpy(), expected, rtol=1e-6)
