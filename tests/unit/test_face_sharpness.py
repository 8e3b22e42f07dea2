"""face_sharpness and its maths: the variance of the Laplacian and the high-frequency energy share checked against
scipy / OpenCV / a direct FFT computation, the ratios against scipy's geometric mean, the metric on the demo faces
(and Gaussian-blurred copies of them) and on the conformance kit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage, stats

from emoeval.functional.image_detail import (
    high_frequency_share,
    laplacian,
    laplacian_variance,
    radial_frequency,
)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A natural-looking test image: smoothed noise (1/f-like spectrum) plus fine noise, grey levels 0–255."""
    rng = np.random.default_rng(7)
    coarse = ndimage.gaussian_filter(rng.normal(size=(96, 80)), 3.0)
    return 128 + 40 * coarse / coarse.std() + 5 * rng.normal(size=(96, 80))


# -- the variance of the Laplacian ------------------------------------------------------------------------------------


def test_laplacian_equals_scipy_and_opencv_on_the_interior(image):
    cv2 = pytest.importorskip("cv2")
    np.testing.assert_allclose(laplacian(image), ndimage.laplace(image)[1:-1, 1:-1], atol=1e-9)
    opencv = cv2.Laplacian(image, cv2.CV_64F, ksize=1)[1:-1, 1:-1]
    np.testing.assert_allclose(laplacian(image), opencv, atol=1e-9)
    assert laplacian_variance(image) == pytest.approx(np.var(ndimage.laplace(image)[1:-1, 1:-1]), rel=1e-12)


def test_laplacian_variance_scales_with_contrast_squared_and_ignores_brightness(image):
    base = laplacian_variance(image)
    assert laplacian_variance(2.5 * image) == pytest.approx(2.5**2 * base, rel=1e-12)
    assert laplacian_variance(image + 30.0) == pytest.approx(base, rel=1e-9)
    assert laplacian_variance(np.full((10, 10), 7.0)) == 0.0


def test_blur_lowers_both_detail_measures(image):
    blurred = ndimage.gaussian_filter(image, 1.5)
    assert laplacian_variance(blurred) < 0.2 * laplacian_variance(image)
    assert high_frequency_share(blurred) < 0.2 * high_frequency_share(image)


@pytest.mark.parametrize("bad", [np.zeros((2, 9)), np.zeros((4, 4, 3)), np.array([[0.0, np.nan, 0.0]] * 3)])
def test_a_bad_image_raises_naming_the_problem(bad):
    with pytest.raises(ValueError, match=r"grayscale|at least|NaN"):
        laplacian_variance(bad)


# -- the high-frequency energy share ----------------------------------------------------------------------------------


def direct_hf_share(image: np.ndarray, cutoff: float) -> float:
    """The definition computed another way: scipy.fft on a centred spectrum, scipy's Hann window, a frequency grid
    built from pixel offsets to the centre."""
    from scipy import fft
    from scipy.signal import get_window

    rows, cols = image.shape
    window = np.outer(get_window("hann", rows, fftbins=True), get_window("hann", cols, fftbins=True))
    spectrum = np.abs(fft.fftshift(fft.fft2((image - image.mean()) * window))) ** 2
    v = (np.arange(rows) - rows // 2) / rows
    u = (np.arange(cols) - cols // 2) / cols
    radius = np.hypot(*np.meshgrid(v, u, indexing="ij"))
    return spectrum[radius > cutoff].sum() / spectrum[radius > 0].sum()


@pytest.mark.parametrize("cutoff", [0.1, 0.25, 0.4])
def test_high_frequency_share_equals_a_direct_computation(image, cutoff):
    assert high_frequency_share(image, cutoff) == pytest.approx(direct_hf_share(image, cutoff), rel=1e-10)


def test_high_frequency_share_is_contrast_invariant_and_bounded(image):
    share = high_frequency_share(image)
    assert 0.0 < share < 1.0
    assert high_frequency_share(3.0 * image - 50.0) == pytest.approx(share, rel=1e-10)
    assert np.isnan(high_frequency_share(np.full((16, 16), 3.0)))  # no energy at all
    with pytest.raises(ValueError, match="cutoff"):
        high_frequency_share(image, 0.8)


def test_radial_frequency_matches_numpy_fftfreq():
    grid = radial_frequency((6, 4))
    assert grid.shape == (6, 4)
    assert grid[0, 0] == 0.0
    assert grid[3, 0] == pytest.approx(0.5) and grid[0, 2] == pytest.approx(0.5)
    assert grid[1, 1] == pytest.approx(np.hypot(1 / 6, 1 / 4))


# -- the ratios -------------------------------------------------------------------------------------------------------


def test_detail_ratios_are_geometric_and_arithmetic_mean_ratios():
    from emoeval.metrics.face.sharpness import detail_ratios

    rng = np.random.default_rng(1)
    variance = rng.uniform(50, 900, size=12)
    share = rng.uniform(0.01, 0.1, size=12)
    contrast = rng.uniform(20, 60, size=12)
    reference = np.array([np.log(300.0), 0.05, np.log(40.0)])
    rows = np.column_stack([np.log(variance), share, np.log(contrast)])
    ratios = detail_ratios(rows, np.tile(reference, (12, 1)))
    assert ratios["sharpness_ratio"] == pytest.approx(stats.gmean(variance) / 300.0, rel=1e-12)
    assert ratios["hf_energy_ratio"] == pytest.approx(share.mean() / 0.05, rel=1e-12)
    assert ratios["contrast_ratio"] == pytest.approx(stats.gmean(contrast) / 40.0, rel=1e-12)
    with pytest.raises(ValueError, match="equal"):
        detail_ratios(rows, reference[None, :])


# -- the metric on real faces -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool(offline_model_pool):
    """The session's offline model pool (conftest.py): the models this module shares with others load once."""
    return offline_model_pool


@pytest.fixture(scope="module")
def face_set(tmp_path_factory):
    """The demo's six people: real photos (neutral + happy), blurred copies of the smiles, a face-less image and a
    corrupt file."""
    pytest.importorskip("cv2", reason="the YuNet face detector")
    from PIL import Image

    from tests.conftest import DEMO_DIR

    out = tmp_path_factory.mktemp("sharpness")
    faces = DEMO_DIR / "faces"
    rows = []
    for path in sorted(faces.glob("*.jpg")):
        person, expression = path.stem.split("_")
        rows.append({"sample_id": f"real/{path.stem}", "system": "real", "modality": "face", "path": str(path),
                     "target_emotion": expression, "group": person})  # fmt: skip
        if expression == "happy":
            rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
            blurred = out / f"{path.stem}.png"
            Image.fromarray(np.rint(ndimage.gaussian_filter(rgb, (2.0, 2.0, 0))).astype(np.uint8)).save(blurred)
            rows.append({"sample_id": f"blurred/{person}", "system": "blurred", "modality": "face",
                         "path": str(blurred), "target_emotion": "happy", "group": person})  # fmt: skip
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))
    Image.fromarray(np.stack([ramp] * 3, axis=-1)).save(out / "no_face.png")
    (out / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    for name in ("no_face.png", "corrupt.jpg"):
        rows.append({"sample_id": f"blurred/{name}", "system": "blurred", "modality": "face", "path": str(out / name),
                     "target_emotion": "happy", "group": name})  # fmt: skip
    manifest = out / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    return manifest


@pytest.fixture(scope="module")
def sharpness_run(face_set, pool):
    import emoeval
    from emoeval.metrics.face.sharpness import FaceSharpness

    return emoeval.score(
        face_set,
        metrics=[FaceSharpness(real_system="real", by_emotion=True)],
        progress=False,
        use_cache=False,
        n_bootstrap=200,
        model_pool=pool,
    ).table


def _crops(paths, pool):
    from emoeval.reference_models.base import ModelInput

    model = pool.get("face-detail-features")
    return [model.prepare(ModelInput(key=str(p), path=Path(p), data=Path(p).read_bytes())) for p in paths]


def test_sharpness_ratio_equals_a_direct_computation_on_the_face_crops(face_set, sharpness_run, pool):
    manifest = pd.read_csv(face_set, dtype=str)
    real_happy = manifest[(manifest["system"] == "real") & (manifest["target_emotion"] == "happy")]["path"]
    blurred = manifest[(manifest["system"] == "blurred") & manifest["path"].str.endswith("_happy.png")]["path"]
    lap = [[np.var(ndimage.laplace(c)[1:-1, 1:-1]) for c in _crops(paths, pool)] for paths in (real_happy, blurred)]
    hf = [[direct_hf_share(c, 0.25) for c in _crops(paths, pool)] for paths in (real_happy, blurred)]
    rows = sharpness_run[(sharpness_run["scope"] == "system") & (sharpness_run["system"] == "blurred")]
    overall = rows[rows["target_emotion"].isna()].set_index("sub_metric")
    # every blurred face is a smile: compared with the real smiles (the emotion-matched reference)
    assert overall.loc["sharpness_ratio", "value"] == pytest.approx(stats.gmean(lap[1]) / stats.gmean(lap[0]), rel=1e-6)
    assert overall.loc["hf_energy_ratio", "value"] == pytest.approx(np.mean(hf[1]) / np.mean(hf[0]), rel=1e-6)
    assert overall.loc["sharpness_ratio", "value"] < 0.5
    assert overall.loc["sharpness_ratio", "ci_high"] < 1.0
    assert int(overall.loc["sharpness_ratio", "n"]) == 6  # the face-less and corrupt images are errors, not values


def test_no_face_and_a_corrupt_file_are_error_rows_naming_the_file(sharpness_run):
    errors = sharpness_run[sharpness_run["error"].notna()].set_index("sample_id")["error"]
    assert "no face found" in errors["blurred/no_face.png"] and "no_face.png" in errors["blurred/no_face.png"]
    assert "corrupt.jpg" in errors["blurred/corrupt.jpg"] and "not a readable image" in errors["blurred/corrupt.jpg"]


def test_the_real_set_against_itself_is_one(face_set, pool):
    import emoeval
    from emoeval.metrics.face.sharpness import FaceSharpness

    manifest = pd.read_csv(face_set, dtype=str)
    real = manifest[manifest["system"] == "real"]
    copy = real.assign(system="copy", sample_id=real["sample_id"].str.replace("real/", "copy/"))
    table = emoeval.score(
        pd.concat([real, copy]), metrics=[FaceSharpness(real_system="real")], progress=False, use_cache=False,
        n_bootstrap=50, model_pool=pool,
    ).table  # fmt: skip
    values = table[(table["scope"] == "system") & (table["system"] == "copy")].set_index("sub_metric")["value"]
    np.testing.assert_allclose(values.to_numpy(dtype=float), 1.0, rtol=1e-12)


def test_face_sharpness_passes_check_metric(face_set, pool):
    from emoeval.metrics.face.sharpness import FaceSharpness
    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    samples = [s for s in read_manifest(face_set) if s.path is not None and s.path.suffix in (".png", ".jpg")]
    samples = sorted((s for s in samples if "corrupt" not in str(s.path)), key=lambda s: s.system == "real")
    report = check_metric(
        FaceSharpness, samples, params={"real_system": "real"}, alternatives={"real_system": "blurred"}, model_pool=pool
    )
    assert not report.failures
