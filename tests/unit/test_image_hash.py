"""The perceptual hash (emoeval.functional.image_hash, emoeval.media.image.perceptual_hash) against references.

- ``dct_hash`` against a DCT-II written out as a cosine matrix, and against ``imagehash.phash`` on 32×32 images;
- ``perceptual_hash`` bit for bit against ``imagehash.phash`` on the demo face photos and synthetic RGB, RGBA and
  grayscale files of odd sizes; ``hash_hex`` against ``str(ImageHash)``, ``hamming`` against ``ImageHash - ImageHash``
  and scipy's Hamming distance; ``near_duplicates`` against a brute-force scipy ``cdist``;
- on real face photos: what a 5 % crop, a horizontal flip and another person do to the hash (measured distances
  are printed; the module docstring quotes them).
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.spatial.distance import hamming as scipy_hamming

from emoeval.errors import SampleInputError
from emoeval.functional.image_hash import DEFAULT_MAX_DISTANCE, dct_hash, hamming, hash_hex, near_duplicates
from emoeval.media.image import perceptual_hash

Image = pytest.importorskip("PIL.Image", reason="decoding images needs Pillow (pip install 'emoeval[face]')")
imagehash = pytest.importorskip("imagehash", reason="imagehash is the reference (pip install 'emoeval[dev]')")

DEMO_FACES = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo" / "faces"


def _demo_faces() -> list[Path]:
    files = sorted(DEMO_FACES.glob("*.jpg"))
    if len(files) < 4:
        pytest.skip(f"{DEMO_FACES} lacks the demo face photos (emoeval/data/demo ships twelve)")
    return files


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _centre_crop(image, fraction: float = 0.05):
    """Cut ``fraction`` of the width and of the height, half on each side."""
    width, height = image.size
    dx, dy = round(fraction * width / 2), round(fraction * height / 2)
    return image.crop((dx, dy, width - dx, height - dy))


# -- the maths -----------------------------------------------------------------------------------------------------


def _dct_ii_matrix(n: int) -> np.ndarray:
    """Unnormalised DCT-II, X_k = 2 Σ_m x_m cos(π k (2m + 1) / 2n) (scipy's type 2, norm=None), as a matrix."""
    k, m = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return 2.0 * np.cos(np.pi * k * (2 * m + 1) / (2 * n))


@pytest.mark.parametrize("hash_size", [8, 4, 16])
def test_dct_hash_equals_an_explicit_cosine_matrix_dct(hash_size):
    rng = np.random.default_rng(hash_size)
    side = 4 * hash_size
    matrix = _dct_ii_matrix(side)
    for _ in range(5):
        pixels = rng.uniform(0, 255, size=(side, side))
        low = (matrix @ pixels @ matrix.T)[:hash_size, :hash_size]
        expected = low > np.median(low)
        got = dct_hash(pixels, hash_size)
        assert got.dtype == np.bool_ and got.shape == (hash_size, hash_size)
        np.testing.assert_array_equal(got, expected)
        assert got.sum() == hash_size * hash_size // 2  # distinct coefficients: half above the median


def test_dct_hash_equals_imagehash_on_32_pixel_images():
    # Pillow returns a same-size "resize" unchanged, so imagehash hashes exactly these pixels
    rng = np.random.default_rng(7)
    for _ in range(20):
        pixels = rng.integers(0, 256, size=(32, 32), dtype=np.uint8)
        expected = imagehash.phash(Image.fromarray(pixels, mode="L"))
        np.testing.assert_array_equal(dct_hash(pixels), expected.hash)
        assert hash_hex(dct_hash(pixels)) == str(expected)


def test_hamming_and_hex_match_imagehash_and_scipy():
    rng = np.random.default_rng(3)
    for shape in [(8, 8), (16, 16), (3, 3), (2, 5)]:
        a, b = rng.random(shape) > 0.5, rng.random(shape) > 0.5
        assert hash_hex(a) == str(imagehash.ImageHash(a))
        assert hamming(a, b) == imagehash.ImageHash(a) - imagehash.ImageHash(b)
        assert hamming(a, b) == round(scipy_hamming(a.ravel(), b.ravel()) * a.size)
        assert hamming(a.astype(int), b) == hamming(a, b)  # 0/1 integers are bits too
    assert hash_hex(np.zeros(64, bool)) == "0" * 16 and hash_hex(np.ones(64, bool)) == "f" * 16
    with pytest.raises(ValueError, match="different lengths"):
        hamming(np.zeros(64, bool), np.zeros(63, bool))
    with pytest.raises(ValueError, match="must hold bits"):
        hamming(np.array([0, 2]), np.array([0, 1]))


def test_near_duplicates_equals_a_brute_force_search():
    rng = np.random.default_rng(11)
    train = {f"train_{i}": rng.random(64) > 0.5 for i in range(40)}
    generated: dict[str, np.ndarray] = {}
    for i in range(300):  # more than one block of 256
        if i % 3 == 0:  # a noisy copy of a training hash: a few bits flipped
            source = train[f"train_{rng.integers(40)}"].copy()
            source[rng.choice(64, size=rng.integers(0, 12), replace=False)] ^= True
            generated[f"gen_{i}"] = source
        else:
            generated[f"gen_{i}"] = rng.random(64) > 0.5
    ids_a, ids_b = list(train), list(generated)
    distances = np.rint(
        cdist(np.stack([generated[k] for k in ids_b]), np.stack([train[k] for k in ids_a]), "hamming") * 64
    ).astype(int)
    for max_distance in (0, 5, DEFAULT_MAX_DISTANCE, 20):
        expected = {}
        for row, key in enumerate(ids_b):
            close = [(ids_a[j], int(distances[row, j])) for j in range(len(ids_a)) if distances[row, j] <= max_distance]
            if close:
                expected[key] = sorted(close, key=lambda pair: pair[1])  # stable: ties keep the order of train
        got = near_duplicates(train, generated, max_distance=max_distance)
        assert got == expected
        assert list(got) == [key for key in ids_b if key in expected]
    assert near_duplicates(train, generated) == near_duplicates(train, generated, max_distance=DEFAULT_MAX_DISTANCE)
    assert near_duplicates({}, generated) == {} and near_duplicates(train, {}) == {}


def test_near_duplicates_refuses_mixed_lengths_and_bad_thresholds():
    with pytest.raises(ValueError, match=r"hashes_b\['odd'\] has 256 bits but hashes_a\['a'\] has 64"):
        near_duplicates({"a": np.zeros(64, bool)}, {"ok": np.zeros(64, bool), "odd": np.zeros((16, 16), bool)})
    with pytest.raises(ValueError, match=r"hashes_a\['b'\] has 63 bits"):
        near_duplicates({"a": np.zeros(64, bool), "b": np.zeros(63, bool)}, {"x": np.zeros(64, bool)})
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="max_distance"):
            near_duplicates({"a": np.zeros(64, bool)}, {"x": np.zeros(64, bool)}, max_distance=bad)
    with pytest.raises(ValueError, match="hash_size"):
        dct_hash(np.zeros((32, 32)), 1)
    with pytest.raises(ValueError, match="2-D grayscale"):
        dct_hash(np.zeros((32, 32, 3)))
    with pytest.raises(ValueError, match="NaN"):
        dct_hash(np.full((32, 32), np.nan))


# -- from image files ----------------------------------------------------------------------------------------------


def test_perceptual_hash_equals_imagehash_phash_on_photos_and_synthetic_files(tmp_path):
    rng = np.random.default_rng(5)
    files = _demo_faces()
    # synthetic files: odd sizes, a gradient under noise, in RGB, RGBA and grayscale
    ramp = np.linspace(0, 200, 301)[None, :, None] + np.linspace(0, 55, 217)[:, None, None]
    rgb = np.clip(ramp + rng.normal(0, 20, size=(217, 301, 3)), 0, 255).astype(np.uint8)
    for name, image in (
        ("ramp_rgb.png", Image.fromarray(rgb)),
        ("ramp_rgba.png", Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (217, 301), dtype=np.uint8)]))),
        ("ramp_gray.png", Image.fromarray(rgb[:, :, 1])),
        ("ramp_rgb.jpg", Image.fromarray(rgb)),
    ):
        image.save(tmp_path / name)
        files.append(tmp_path / name)
    for path in files:
        with Image.open(path) as image:
            expected = imagehash.phash(image)
            expected_16 = imagehash.phash(image, hash_size=16)
        got = perceptual_hash(path.read_bytes(), path.name)
        assert got.shape == (8, 8) and got.dtype == np.bool_
        np.testing.assert_array_equal(got, expected.hash, err_msg=path.name)
        assert hash_hex(got) == str(expected)
        np.testing.assert_array_equal(perceptual_hash(path.read_bytes(), path.name, 16), expected_16.hash)


def test_perceptual_hash_of_a_corrupt_or_empty_file_is_a_sample_error_naming_it():
    with pytest.raises(SampleInputError, match=r"broken\.jpg: not a readable image"):
        perceptual_hash(b"\xff\xd8\xff\xe0 not really a jpeg", "broken.jpg")
    with pytest.raises(SampleInputError, match=r"empty\.png: empty file"):
        perceptual_hash(b"", "empty.png")
    with pytest.raises(ValueError, match="hash_size"):
        perceptual_hash(_png(Image.new("RGB", (64, 64))), "x.png", hash_size=1)


# -- what the hash catches on face photos --------------------------------------------------------------------------


def test_crop_flip_and_another_person_on_the_demo_faces():
    files = _demo_faces()
    originals = {path.name: perceptual_hash(path.read_bytes(), path.name) for path in files}
    crops, flips, mirrored = {}, {}, {}
    for path in files:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
        crops[path.name] = perceptual_hash(_png(_centre_crop(rgb)), f"crop of {path.name}")
        flips[path.name] = perceptual_hash(_png(rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)), f"flip {path.name}")
        mirrored[path.name] = perceptual_hash(path.read_bytes(), path.name, mirrored=True)
    crop_d = {name: hamming(originals[name], crops[name]) for name in originals}
    flip_d = {name: hamming(originals[name], flips[name]) for name in originals}
    person = lambda name: name.split("_")[0]  # noqa: E731 - the demo files are <person>_<expression>.jpg
    other_d = [
        hamming(originals[a], originals[b]) for a, b in itertools.combinations(originals, 2) if person(a) != person(b)
    ]
    print(
        f"\nHamming distances, demo faces ({len(files)} photos): 5 % centred crop {sorted(crop_d.values())}; "
        f"horizontal flip {sorted(flip_d.values())}; other person min {min(other_d)}, median "
        f"{np.median(other_d):g}, max {max(other_d)} ({len(other_d)} pairs)"
    )
    # a small crop stays close, another person is far, and the default threshold lies between them
    assert max(crop_d.values()) <= DEFAULT_MAX_DISTANCE < min(other_d)
    # pHash is not flip-invariant: a mirrored photo is as far as an unrelated one...
    assert min(flip_d.values()) > DEFAULT_MAX_DISTANCE
    # ...and mirrored=True hashes exactly the flipped file (Lanczos resizing commutes with the flip)
    for name in originals:
        np.testing.assert_array_equal(mirrored[name], flips[name])
    # the search: every crop finds its own photo and no other person's (the same person's other expression, from
    # the same session, may match too, even first); flips are found only through the mirrored hashes
    found = near_duplicates(originals, {f"crop/{name}": bits for name, bits in crops.items()})
    assert set(found) == {f"crop/{name}" for name in originals}
    for key, matches in found.items():
        source = key.removeprefix("crop/")
        assert (source, crop_d[source]) in matches
        assert all(person(match) == person(source) for match, _ in matches)
    flipped = {f"flip/{name}": bits for name, bits in flips.items()}
    assert near_duplicates(originals, flipped) == {}
    through_mirror = near_duplicates(mirrored, flipped)
    assert set(through_mirror) == set(flipped)
    for key, matches in through_mirror.items():
        source = key.removeprefix("flip/")
        assert matches[0] == (source, 0) and all(person(match) == person(source) for match, _ in matches)


def test_crop_flip_and_another_person_on_the_london_set(shared_data):
    """All 60 London portraits (30 people): how often the default threshold catches a 5 % crop and how often it
    pairs two different people (aligned portraits on one background: some look alike at 32×32). The numbers the
    docstring of emoeval.functional.image_hash quotes."""
    import pandas as pd

    root = shared_data("faces_london")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    hashes, centre_d, corner_d, flip_d = {}, [], [], []
    for file in labels.file:
        data = (root / file).read_bytes()
        hashes[file] = perceptual_hash(data, file)
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
        width, height = rgb.size
        corner = rgb.crop((0, 0, width - round(0.05 * width), height - round(0.05 * height)))
        centre_d.append(hamming(hashes[file], perceptual_hash(_png(_centre_crop(rgb)), file)))
        corner_d.append(hamming(hashes[file], perceptual_hash(_png(corner), file)))
        flip_d.append(hamming(hashes[file], perceptual_hash(data, file, mirrored=True)))
    identity = dict(zip(labels.file, labels.identity, strict=True))
    pairs = list(itertools.combinations(hashes, 2))
    other_d = [hamming(hashes[a], hashes[b]) for a, b in pairs if identity[a] != identity[b]]
    same_d = [hamming(hashes[a], hashes[b]) for a, b in pairs if identity[a] == identity[b]]

    def within(distances: list[int]) -> str:
        return f"{sum(d <= DEFAULT_MAX_DISTANCE for d in distances)}/{len(distances)}"

    def spread(distances: list[int]) -> str:
        return f"{min(distances)}–{max(distances)} bits (median {np.median(distances):g}, ≤ 8: {within(distances)})"

    print(
        f"\nLondon ({len(hashes)} photos): 5 % centred crop {spread(centre_d)}; 5 % corner crop {spread(corner_d)}; "
        f"flip {spread(flip_d)}; same person, other expression {spread(same_d)}; other person {spread(other_d)}"
    )
    assert len(centre_d) == 60 and len(same_d) == 30 and len(other_d) == 1740
    caught = sum(d <= DEFAULT_MAX_DISTANCE for d in centre_d)
    confused = sum(d <= DEFAULT_MAX_DISTANCE for d in other_d)
    assert caught >= 0.9 * len(centre_d)  # measured 57 of 60
    assert confused <= 0.03 * len(other_d)  # measured 31 of 1,740
    assert np.median(centre_d) < np.median(corner_d) < np.median(other_d)  # measured 5 < 13 < 20
    assert min(flip_d) > DEFAULT_MAX_DISTANCE  # measured 26–34: a flip is not a near-duplicate for pHash
