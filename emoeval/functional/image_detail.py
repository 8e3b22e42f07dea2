"""Fine detail of a grayscale image: variance of the Laplacian and the high-frequency share of the power spectrum.

Both measure how much fine structure (skin texture, hair, eyelashes, sharp edges) an image holds — what an
over-smoothed ("waxy", "plastic") generated face lacks. Pure numpy/scipy; the image is a 2-D float array of grey
levels. **Both depend on resolution**: the same face holds more detail per pixel when it is downscaled, so compare
only images brought to one size first (``emoeval.reference_models.face_detail`` cuts the face and resizes it to
a fixed square before calling these). The Laplacian variance also scales with contrast squared (grey levels in
0–255 give values in grey-level², OpenCV's convention); the high-frequency share does not depend on contrast.

- :func:`laplacian_variance` — Pech-Pacheco, Cristóbal, Chamorro-Martínez, Fernández-Valdivia (2000),
  "Diatom autofocusing in brightfield microscopy: a comparative study", ICPR, vol. 3, pp. 314–317: the variance
  of the image filtered with the 3×3 Laplacian kernel [[0, 1, 0], [1, −4, 1], [0, 1, 0]]. The standard
  single-number focus/blur measure (Pertuz, Puig, Garcia 2013, "Analysis of focus measure operators for
  shape-from-focus", Pattern Recognition 46(5), call it LAP4).
- :func:`high_frequency_share` — the share of the image's spectral energy above a radial frequency: the
  spectral view of the same property, in the manner of the spectral blur/sharpness measures reviewed by Pertuz et
  al. (2013) and of the frequency-domain analysis of generated images (Durall, Keuper, Keuper 2020, "Watch your
  up-convolution", CVPR; Dzanic, Shah, Witherden 2020, "Fourier spectrum discrepancies in deep network generated
  images", NeurIPS).
"""

from __future__ import annotations

import numpy as np

#: the default radial cutoff of :func:`high_frequency_share`, in cycles per pixel (Nyquist = 0.5): half the
#: Nyquist frequency, i.e. structures of 2–4 pixels per cycle (on a 128-px face: 32–64 cycles per face width —
#: pores, fine wrinkles, eyelashes, hair strands, the sharpness of edges)
HF_CUTOFF = 0.25


def _check_gray(image: np.ndarray, name: str, minimum: int) -> np.ndarray:
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D grayscale image, got shape {array.shape}")
    if min(array.shape) < minimum:
        raise ValueError(f"{name}: the image is {array.shape[1]}×{array.shape[0]}; at least {minimum}×{minimum} needed")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: the image holds NaN or infinite values")
    return array


def laplacian(image: np.ndarray) -> np.ndarray:
    """The 4-neighbour Laplacian of a 2-D image on its interior (the output is 2 pixels smaller on each axis).

    L(x, y) = I(x−1, y) + I(x+1, y) + I(x, y−1) + I(x, y+1) − 4·I(x, y), the kernel [[0, 1, 0], [1, −4, 1],
    [0, 1, 0]] of ``scipy.ndimage.laplace`` and ``cv2.Laplacian(ksize=1)``. Only interior pixels are kept, so no
    border rule (reflection, replication) enters the value.

    >>> laplacian(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])).tolist()
    [[-4.0]]
    """
    g = _check_gray(image, "laplacian", 3)
    return g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]


def laplacian_variance(image: np.ndarray) -> float:
    """Variance of the Laplacian (Pech-Pacheco et al. 2000): Var[L] = mean((L − mean L)²) over the interior.

    **Meaning.** Edges and fine texture give large Laplacian responses of both signs; blur removes them, so the
    variance falls. Units: squared grey levels (the input's units squared). ≥ 0; 0 for a constant or linear
    ramp image. Depends on the image size (resize to one size first) and on contrast (×c² when grey levels are
    multiplied by c).

    >>> ramp = np.add.outer(np.arange(5.0), np.arange(5.0))
    >>> laplacian_variance(ramp)
    0.0
    """
    return float(np.var(laplacian(image)))


def radial_frequency(shape: tuple[int, int]) -> np.ndarray:
    """The radial frequency √(fx² + fy²) of every bin of an unshifted 2-D FFT of ``shape``, in cycles per pixel.

    >>> float(radial_frequency((4, 4))[0, 2]), float(radial_frequency((4, 4))[2, 2])
    (0.5, 0.7071067811865476)
    """
    fy = np.fft.fftfreq(shape[0])
    fx = np.fft.fftfreq(shape[1])
    return np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)


def hann_window_2d(shape: tuple[int, int]) -> np.ndarray:
    """The separable 2-D Hann window (periodic: ``scipy.signal.windows.hann(n, sym=False)`` on each axis).

    Tapering the image to 0 at its borders removes the edge discontinuity the FFT's periodic extension would
    otherwise add — a cross of spurious high-frequency energy along the axes.
    """
    from scipy.signal.windows import hann

    return np.outer(hann(shape[0], sym=False), hann(shape[1], sym=False))


def power_spectrum(image: np.ndarray) -> np.ndarray:
    """|FFT(w · (I − mean I))|², the windowed power spectrum of a 2-D image (unshifted bins; see
    :func:`radial_frequency`). The mean is removed before windowing so the DC bin holds (almost) nothing."""
    g = _check_gray(image, "power_spectrum", 8)
    windowed = (g - g.mean()) * hann_window_2d(g.shape)
    return np.abs(np.fft.fft2(windowed)) ** 2


def high_frequency_share(image: np.ndarray, cutoff: float = HF_CUTOFF) -> float:
    """Share of the image's spectral energy above a radial frequency: Σ_{r > cutoff} P / Σ_{r > 0} P.

    **Meaning.** P = |FFT(w · (I − Ī))|² with w the 2-D Hann window (:func:`power_spectrum`), r the radial
    frequency in cycles per pixel (:func:`radial_frequency`; Nyquist 0.5 on each axis, up to 0.707 on the
    diagonal), ``cutoff`` = 0.25 by default (:data:`HF_CUTOFF`). The DC bin (r = 0) is left out of the total.
    Blur (a low-pass filter) lowers it; noise and sharpening raise it. Natural images have power falling
    roughly as 1/f², so the share is small (a few percent for 128-px face crops).

    **Range.** [0, 1]; NaN for a constant image (no energy). Invariant to brightness offsets and to contrast
    (scaling the grey levels scales both sums); dependent on the image size (resize first).

    >>> rng = np.random.default_rng(0)
    >>> white = high_frequency_share(rng.normal(size=(64, 64)))  # flat spectrum: the area beyond r = 0.25
    >>> round(white, 1)
    0.8
    """
    if not 0.0 < cutoff < 0.5 * np.sqrt(2.0):
        raise ValueError(f"cutoff must lie in (0, 0.707) cycles per pixel, got {cutoff}")
    power = power_spectrum(image)
    radius = radial_frequency(power.shape)
    total = float(power[radius > 0].sum())
    if not total > 0.0:
        return float("nan")
    return float(power[radius > cutoff].sum()) / total


__all__ = [
    "HF_CUTOFF",
    "hann_window_2d",
    "high_frequency_share",
    "laplacian",
    "laplacian_variance",
    "power_spectrum",
    "radial_frequency",
]
