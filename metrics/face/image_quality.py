"""Paired image quality of a generated face against its aligned reference: SSIM, MS-SSIM, PSNR and LPIPS.

These metrics need a ``reference`` that is pixel-aligned with the output (the ground-truth frame of a
reenactment, the target image of an expression-editing benchmark). They say nothing useful about a reference
that is merely the same person in another pose: for that, see ``face_identity_similarity``.

The maths is in small functions beside the classes, on (H, W, C) arrays in [0, 1]:

- :func:`ssim` — Wang et al. (2004) with the standard settings: 11-tap Gaussian window, σ = 1.5, K1 = 0.01,
  K2 = 0.03, data range 1, population (co)variances, per-channel maps averaged over the channels, and the
  map averaged over the *valid* region (pixels whose whole window lies inside the image) as Wang et al.'s
  reference code and scikit-image do. Computed in float64 with scipy's separable filters.
- :func:`ms_ssim` — Wang et al. (2003): contrast-structure terms at scales 1–4 and SSIM at scale 5 (2×2
  average pooling between scales, a last odd row/column dropped), weights (0.0448, 0.2856, 0.3001, 0.2363,
  0.1333), terms clipped at 0 before the powers (torchmetrics' ``normalize="relu"``). Five scales of an
  11-pixel window need both sides ≥ 176 = 11 × 2⁴ pixels.
- :func:`psnr` — torchmetrics' ``peak_signal_noise_ratio`` (data range 1, float64): 10·log10(1 / MSE) over
  all pixels and channels; infinite for identical images.

Why SSIM is not torchmetrics' ``structural_similarity_index_measure`` (it is the tests' cross-check, with its
map cropped to the valid region, agreeing to 1e-10): torchmetrics 1.9 averages the map over a
reflection-padded full image (0.002–0.009 above the standard value on the demo faces; at MS-SSIM's coarsest
scale it affects over half the map), in float32 it is off by up to 1.5e-4 (E[x²] − μ² cancels), and in float64
its non-separable 11×11 convolution takes about 7 s per 512×512 image on two cores, against about 0.1 s here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.errors import SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

SSIM_SIGMA = 1.5
SSIM_WINDOW = 11
SSIM_K1 = 0.01
SSIM_K2 = 0.03
DATA_RANGE = 1.0
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: SSIM needs one full window inside the image
SSIM_MIN_SIDE = SSIM_WINDOW
#: MS-SSIM's coarsest scale (1/16 of the image) must still hold one window
MS_SSIM_MIN_SIDE = SSIM_WINDOW * 2 ** (len(MS_SSIM_WEIGHTS) - 1)
#: default PSNR reported for identical images (and anything above it); piq and pyiqa's eps of 1e-8 gives 80 dB too
DEFAULT_MAX_PSNR = 80.0


# -- maths ------------------------------------------------------------------------------------------------
def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """The normalised 1-D Gaussian window (the 2-D window is its outer product).

    >>> window = gaussian_window()
    >>> window.shape, round(float(window.sum()), 12), round(float(window[5]), 4)
    ((11,), 1.0, 0.266)
    """
    import numpy as np

    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    window = np.exp(-(offsets**2) / (2 * sigma**2))
    return window / window.sum()


def _filter_valid(image: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Separable Gaussian filtering of an (H, W, C) array, keeping only pixels whose window fits inside."""
    from scipy.ndimage import correlate1d

    pad = (len(window) - 1) // 2
    filtered = correlate1d(correlate1d(image, window, axis=0, mode="reflect"), window, axis=1, mode="reflect")
    return filtered[pad:-pad, pad:-pad] if pad else filtered


def ssim_maps(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The SSIM map and the contrast-structure map (valid region, per channel) of two images in [0, 1]."""
    import numpy as np

    x = np.asarray(first, dtype=np.float64)
    y = np.asarray(second, dtype=np.float64)
    window = gaussian_window()
    mu_x, mu_y = _filter_valid(x, window), _filter_valid(y, window)
    var_x = np.maximum(_filter_valid(x * x, window) - mu_x**2, 0.0)
    var_y = np.maximum(_filter_valid(y * y, window) - mu_y**2, 0.0)
    cov = _filter_valid(x * y, window) - mu_x * mu_y
    c1 = (SSIM_K1 * DATA_RANGE) ** 2
    c2 = (SSIM_K2 * DATA_RANGE) ** 2
    contrast_structure = (2 * cov + c2) / (var_x + var_y + c2)
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    return luminance * contrast_structure, contrast_structure


def _check_pair(first: np.ndarray, second: np.ndarray, minimum: int, what: str) -> None:
    if first.shape != second.shape:
        raise ValueError(f"{what} compares images of one size; got {first.shape} and {second.shape}")
    if first.ndim != 3:
        raise ValueError(f"{what} takes (height, width, channels) arrays; got shape {first.shape}")
    if min(first.shape[:2]) < minimum:
        raise ValueError(f"{what} needs images of at least {minimum}×{minimum} pixels, got {first.shape[:2]}")


def ssim(first: np.ndarray, second: np.ndarray) -> float:
    """SSIM (Wang et al. 2004; Gaussian 11/σ 1.5, data range 1) of two (H, W, C) images in [0, 1].

    >>> import numpy as np
    >>> image = np.random.default_rng(0).random((32, 32, 3))
    >>> round(ssim(image, image), 12), round(ssim(image, 1 - image), 2)
    (1.0, -0.97)
    """
    _check_pair(first, second, SSIM_MIN_SIDE, "SSIM")
    return float(ssim_maps(first, second)[0].mean())


def downsample(image: np.ndarray) -> np.ndarray:
    """2×2 average pooling of an (H, W, C) array (a last odd row or column is dropped)."""
    height, width = image.shape[0] // 2, image.shape[1] // 2
    cropped = image[: 2 * height, : 2 * width]
    return cropped.reshape(height, 2, width, 2, *image.shape[2:]).mean(axis=(1, 3))


def ms_ssim(first: np.ndarray, second: np.ndarray) -> float:
    """MS-SSIM (Wang et al. 2003; five scales, standard weights) of two (H, W, C) images in [0, 1].

    Both sides must be at least 176 pixels (:data:`MS_SSIM_MIN_SIDE`).
    """
    import numpy as np

    _check_pair(first, second, MS_SSIM_MIN_SIDE, "MS-SSIM")
    x = np.asarray(first, dtype=np.float64)
    y = np.asarray(second, dtype=np.float64)
    value = 1.0
    for scale, weight in enumerate(MS_SSIM_WEIGHTS):
        similarity, contrast_structure = ssim_maps(x, y)
        if scale < len(MS_SSIM_WEIGHTS) - 1:
            term = float(contrast_structure.mean())
            x, y = downsample(x), downsample(y)
        else:
            term = float(similarity.mean())
        value *= max(term, 0.0) ** weight
    return value


def psnr(first: np.ndarray, second: np.ndarray) -> float:
    """PSNR in dB of two images in [0, 1] (torchmetrics, data range 1): 10·log10(1 / MSE); ``inf`` if identical.

    >>> import numpy as np
    >>> round(psnr(np.zeros((8, 8, 3)), np.full((8, 8, 3), 0.1)), 4)  # torchmetrics: float32 ln(10), ~1e-7 relative
    20.0
    """
    import numpy as np
    import torch
    from torchmetrics.functional.image import peak_signal_noise_ratio

    _check_pair(first, second, 1, "PSNR")
    preds = torch.from_numpy(np.ascontiguousarray(first, dtype=np.float64))
    target = torch.from_numpy(np.ascontiguousarray(second, dtype=np.float64))
    return float(peak_signal_noise_ratio(preds, target, data_range=DATA_RANGE))


# -- reading and aligning a pair --------------------------------------------------------------------------
def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an RGB ``uint8`` image with Pillow's bicubic filter (antialiased when shrinking)."""
    import numpy as np
    from PIL import Image

    resized = Image.fromarray(image).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def _load(path: Path, role: str) -> tuple[str, bytes]:
    """A file's content hash and bytes (``role`` — output or reference — prefixes any error)."""
    from emoeval.context import content_key

    try:
        key, data = content_key(path)
    except SampleInputError as exc:
        raise SampleInputError(f"{role}: {exc}") from None
    assert data is not None
    return key, data


def _decode(data: bytes, path: Path, role: str) -> np.ndarray:
    from emoeval.media.image import decode_image

    try:
        return decode_image(data, str(path))
    except SampleInputError as exc:
        raise SampleInputError(f"{role}: {exc}") from None


def _align(output: np.ndarray, reference: np.ndarray, sample: Sample, resize_reference: bool) -> np.ndarray:
    """The reference at the output's size (resized only when asked); a size mismatch is an error otherwise."""
    height, width = output.shape[:2]
    if reference.shape[:2] == (height, width):
        return reference
    if not resize_reference:
        raise SampleInputError(
            f"output {sample.path} is {width}×{height} pixels but reference {sample.reference} is "
            f"{reference.shape[1]}×{reference.shape[0]}; paired metrics compare pixel-aligned images of one size: "
            "align/crop/resize the reference to the output first, or pass resize_reference=True to resize it "
            "(bicubic)"
        )
    return resize_rgb(reference, width, height)


def load_pair(sample: Sample) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """``(content hash, bytes)`` of a sample's output and of its reference."""
    assert sample.path is not None and sample.reference is not None
    return _load(Path(sample.path), "output"), _load(Path(str(sample.reference)), "reference")


def decode_pair(
    sample: Sample, output: bytes, reference: bytes, resize_reference: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Decoded RGB ``uint8`` arrays of a sample's output and its reference (aligned to the output's size)."""
    output_rgb = _decode(output, Path(str(sample.path)), "output")
    reference_rgb = _decode(reference, Path(str(sample.reference)), "reference")
    return output_rgb, _align(output_rgb, reference_rgb, sample, resize_reference)


# -- metrics ----------------------------------------------------------------------------------------------
class PairedImageQuality(SampleMetric):
    """Pixel fidelity of a generated face to its pixel-aligned ``reference``: SSIM, MS-SSIM and PSNR.

    **Meaning.** ``ssim`` compares local luminance, contrast and structure in 11×11 Gaussian windows (σ 1.5)
    and averages over the image; ``ms_ssim`` combines contrast and structure at five scales (more tolerant of
    small shifts, closer to perceived quality); ``psnr`` is the log ratio of the peak signal to the mean
    squared error. All three are computed on RGB in [0, 1] (data range 1), averaged over the three channels,
    with the standard settings (Gaussian window 11, σ 1.5, K1 0.01, K2 0.03; SSIM maps averaged over the valid
    region; see the module notes).
    They reward reproducing the reference pixel for pixel, so they suit reconstruction and reenactment with a
    ground-truth frame, not free generation.

    **Range and direction.** ssim in [-1, 1] (in practice [0, 1]), higher is better, 1 for identical images.
    ms_ssim in [0, 1], higher is better. psnr in dB, [0, ∞), higher is better (~20 dB poor, 30 good, 40+
    near-lossless). Identical images have an infinite PSNR; it is reported as ``max_psnr`` (80 dB, what piq
    and pyiqa's MSE floor of 1e-8 gives) with a warning, and every PSNR above the cap is capped the same way:
    a raw infinity would be dropped from the system mean (which keeps finite values only), biasing it down.
    Pass ``max_psnr=math.inf`` to get raw values.

    **Needs.** A face image in ``path`` and a pixel-aligned reference image of the same size in
    ``reference``. Different sizes are a per-sample error naming both (or pass ``resize_reference=True`` to
    resize the reference to the output with a bicubic filter). Images under 11×11 pixels are an error;
    MS-SSIM needs both sides ≥ 176 pixels (five scales of an 11-pixel window) — below that ``ms_ssim`` is
    missing (an error row) with a warning, while ssim and psnr are still reported. No reference model.

    **Source.** Wang, Bovik, Sheikh, Simoncelli (2004), "Image quality assessment: from error visibility to
    structural similarity", IEEE TIP 13(4); Wang, Simoncelli, Bovik (2003), "Multiscale structural similarity
    for image quality assessment", Asilomar; PSNR as in ITU-T J.340 / standard practice.

    >>> PairedImageQuality.spec.headline.name, PairedImageQuality.spec.models
    ('ssim', ())
    >>> PairedImageQuality().params()
    {'resize_reference': False, 'max_psnr': 80.0}
    """

    spec = MetricSpec(
        name="face_image_quality",
        modality="face",
        scope="sample",
        outputs=(
            Output("ssim", higher_is_better=True, range=(-1.0, 1.0), description="SSIM, Gaussian 11/1.5, RGB"),
            Output("ms_ssim", higher_is_better=True, range=(0.0, 1.0), description="MS-SSIM, 5 scales"),
            Output("psnr", higher_is_better=True, range=(0.0, math.inf), description="PSNR in dB, capped"),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=(),
        summary="paired pixel fidelity to an aligned reference image (SSIM, MS-SSIM, PSNR)",
        citation="Wang et al. 2004 (SSIM); Wang, Simoncelli, Bovik 2003 (MS-SSIM)",
    )
    batch_size = 16

    def __init__(self, *, resize_reference: bool = False, max_psnr: float = DEFAULT_MAX_PSNR) -> None:
        if not max_psnr > 0:
            raise ValueError(f"max_psnr must be a positive number of dB (or math.inf), got {max_psnr}")
        self.resize_reference = resize_reference
        self.max_psnr = float(max_psnr)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        return SampleScore.each(samples, self.score_one)

    def score_one(self, sample: Sample) -> SampleScore:
        """The three values for one sample (raises SampleInputError for an unusable pair)."""
        import numpy as np

        (_, output_data), (_, reference_data) = load_pair(sample)
        output, reference = decode_pair(sample, output_data, reference_data, self.resize_reference)
        height, width = output.shape[:2]
        if min(height, width) < SSIM_MIN_SIDE:
            raise SampleInputError(
                f"{sample.path}: {width}×{height} pixels is too small for SSIM (needs at least "
                f"{SSIM_MIN_SIDE}×{SSIM_MIN_SIDE})"
            )
        first = output.astype(np.float32) / 255.0
        second = reference.astype(np.float32) / 255.0
        warnings = []
        values = {"ssim": ssim(first, second), "ms_ssim": math.nan}
        if min(height, width) >= MS_SSIM_MIN_SIDE:
            values["ms_ssim"] = ms_ssim(first, second)
        else:
            warnings.append(
                f"ms_ssim not computed: {width}×{height} pixels is below its minimum of "
                f"{MS_SSIM_MIN_SIDE}×{MS_SSIM_MIN_SIDE} (five scales of an {SSIM_WINDOW}-pixel window)"
            )
        raw = psnr(output.astype(np.float64) / 255.0, reference.astype(np.float64) / 255.0)
        values["psnr"] = min(raw, self.max_psnr)
        if raw > self.max_psnr:
            reason = "output and reference are pixel-identical (MSE 0)" if math.isinf(raw) else f"{raw:.2f} dB"
            warnings.append(f"psnr capped at max_psnr = {self.max_psnr:g} dB: {reason}")
        return SampleScore(values=values, warning="; ".join(warnings) or None)


class FaceLPIPS(SampleMetric):
    """Perceptual distance (LPIPS v0.1, AlexNet) between a generated face and its pixel-aligned ``reference``.

    **Meaning.** Both images go through ImageNet AlexNet; at five layers the per-pixel feature vectors are
    unit-normalised, their squared differences weighted per channel by LPIPS's learned linear layer and
    averaged over the pixels; the distance is the sum over layers (Zhang et al. 2018). It agrees with human
    judgements of small distortions better than PSNR or SSIM, and is the "LPIPS" that reenactment and
    expression-editing papers report (AlexNet variant). Computed at the images' own resolution; pair
    distances are cached by the content of both images.

    **Range and direction.** lpips in [0, ∞), in practice [0, ~1]; lower is better, 0 for identical images.
    Values are comparable only at equal resolution and with the same backbone.

    **Needs.** A face image in ``path`` and a pixel-aligned reference of the same size (at least 31×31
    pixels) in ``reference``; a size mismatch is a per-sample error unless ``resize_reference=True``. The
    ``lpips-alex`` weights: the linear layers ship in torchmetrics; the AlexNet backbone is torchvision's
    ``alexnet-owt-7be5be79.pth``, whose full sha256 emoeval has not recorded yet — see
    :mod:`emoeval.reference_models.lpips`.

    **Source.** Zhang, Isola, Efros, Shechtman, Wang (2018), "The Unreasonable Effectiveness of Deep Features
    as a Perceptual Metric", CVPR; Krizhevsky et al. (2012) AlexNet.

    >>> FaceLPIPS.spec.models, FaceLPIPS.spec.headline.higher_is_better
    (('lpips-alex',), False)
    """

    run_by_default = False  # its AlexNet backbone must be pulled from download.pytorch.org first

    spec = MetricSpec(
        name="face_lpips",
        modality="face",
        scope="sample",
        outputs=(Output("lpips", higher_is_better=False, range=(0.0, math.inf), description="LPIPS v0.1 AlexNet"),),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=("lpips-alex",),
        summary="perceptual distance to an aligned reference image (LPIPS v0.1, AlexNet)",
        citation="Zhang et al. 2018 (LPIPS)",
    )
    batch_size = 8
    model_name = "lpips-alex"

    def __init__(self, *, resize_reference: bool = False) -> None:
        self.resize_reference = resize_reference

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:

        from emoeval.reference_models.lpips import MIN_SIDE, LpipsAlex

        model = context.model(self.model_name)
        assert isinstance(model, LpipsAlex)
        fingerprint = model.fingerprint
        scores: list[SampleScore | None] = [None] * len(samples)
        todo: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        for index, sample in enumerate(samples):
            try:
                (output_key, output_data), (reference_key, reference_data) = load_pair(sample)
            except SampleInputError as exc:
                scores[index] = SampleScore.failed(exc)
                continue
            key = pair_key("lpips", output_key, reference_key, f"resize_reference={self.resize_reference}")
            cached = context.cache.get(self.model_name, fingerprint, key) if context.cache is not None else None
            if cached is not None:  # decoded only on a miss
                scores[index] = SampleScore(values={"lpips": float(cached[0])})
                continue
            try:
                output, reference = decode_pair(sample, output_data, reference_data, self.resize_reference)
            except SampleInputError as exc:
                scores[index] = SampleScore.failed(exc)
                continue
            height, width = output.shape[:2]
            if min(height, width) < MIN_SIDE:
                scores[index] = SampleScore.failed(
                    f"{sample.path}: {width}×{height} pixels is too small for LPIPS (AlexNet needs at least "
                    f"{MIN_SIDE}×{MIN_SIDE})"
                )
                continue
            todo.append((index, key, output, reference))
        if todo:
            distances = model.distances([(output, reference) for _, _, output, reference in todo])
            for (index, key, _, _), distance in zip(todo, distances, strict=True):
                if context.cache is not None:
                    context.cache.put(self.model_name, fingerprint, key, distance)
                scores[index] = SampleScore(values={"lpips": float(distance[0])})
        return [score for score in scores if score is not None]


def pair_key(kind: str, output_key: str, reference_key: str, settings: str) -> str:
    """Cache key of a paired value: sha256 over its kind, both inputs' content hashes and the settings."""
    return hashlib.sha256(f"{kind}|{output_key}|{reference_key}|{settings}".encode()).hexdigest()
