"""Distances between two sets of feature vectors (pure numpy/scipy, float64, no torch), shared by the face,
speech and text distribution metrics (:mod:`emoeval.metrics.distribution` re-exports every name): Fréchet
distance (FID and its relatives), kernel (MMD²) distance (KID), and precision / recall / density / coverage
(PRDC).

**Fréchet distance** (Dowson & Landau 1982; FID: Heusel et al. 2017) between the Gaussians fitted to two sets,

    FD = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁ Σ₂)^½ ,

with unbiased (n − 1) covariances. :class:`FrechetStats` accumulates μ and Σ batch by batch in float64
(Chan, Golub & LeVeque's pairwise update of the mean and the centred scatter matrix — the numerically stable
form of accumulating n, Σx and Σxxᵀ, which it also reports), so no set of features need be held in memory.
:func:`frechet_distance` computes FD from two means and covariances, by default exactly as pytorch-fid and
clean-fid do (``scipy.linalg.sqrtm`` of Σ₁Σ₂; see its docstring for the ε-offset and imaginary-part rules).

The trace term has an exact symmetric form used for speed: with any factor L such that Σ₂ = L Lᵀ, the non-zero
eigenvalues of Σ₁Σ₂ are those of the positive semi-definite Lᵀ Σ₁ L, so tr (Σ₁Σ₂)^½ is the sum of their square
roots. When Σ₁ comes from n centred feature rows A (Σ₁ = AᵀA / (n − 1)), Lᵀ Σ₁ L = (AL)ᵀ(AL) / (n − 1) and the
trace is the sum of the singular values of A L divided by √(n − 1): an n × r problem instead of a d × d matrix
square root (r = rank of the factor ≤ d). :class:`FrechetReference` keeps μ₂, tr Σ₂ and such a factor of a
fixed reference set (its centred rows / √(n₂ − 1) when n₂ ≤ d, else the eigen-factor V Λ^½ of Σ₂), so the
distance of many feature sets — bootstrap resamples, per-emotion subsets — to it is cheap and exact.

**KID** (Bińkowski et al. 2018): the unbiased estimate of the squared maximum mean discrepancy with the
polynomial kernel k(x, y) = (γ xᵀy + c₀)³, γ = 1/d, averaged over random subsets of both sets, as torchmetrics'
``KernelInceptionDistance`` and clean-fid's ``kernel_distance`` compute it.

**PRDC** (Naeem, Oh, Uh, Choi, Yoo 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"):
k-nearest-neighbour balls around real and fake features; precision/recall (Kynkäänniemi et al. 2019) and
density/coverage, with the formulas of the authors' reference code (``clovaai/generative-evaluation-prdc``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Self

import numpy as np

#: rows per block when streaming feature rows through a float64 computation
_CHUNK = 1024
#: largest set (rows) whose full kernel matrices KID builds instead of one kernel block per subset
FULL_KERNEL_MAX_ROWS = 4096


def _as_rows(features: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """A 2-D float64 array of feature rows (a single vector is one row)."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"features must be a (n, d) array, got shape {array.shape}")
    return array


class FrechetStats:
    """Incremental float64 mean and unbiased covariance of feature vectors (for Fréchet distances).

    ``update`` adds a batch (an (n, d) array or one vector); ``merge`` combines two accumulators (e.g. of
    two shards). Internally it keeps n, the mean and the centred scatter matrix M₂ = Σ (x − μ)(x − μ)ᵀ and
    combines batches with Chan et al.'s update, M₂ = M₂ᵃ + M₂ᵇ + δδᵀ nₐn_b / n — equal in exact arithmetic to
    accumulating Σx and Σxxᵀ (available as :attr:`sum` and :attr:`outer`) but without their cancellation.

    >>> stats = FrechetStats().update(np.array([[0.0, 1.0], [2.0, 1.0]])).update(np.array([4.0, 4.0]))
    >>> stats.n, stats.mean().tolist(), stats.cov().tolist()
    (3, [2.0, 2.0], [[4.0, 3.0], [3.0, 3.0]])
    """

    __slots__ = ("_m2", "_mean", "n")

    def __init__(self, dim: int | None = None) -> None:
        self.n = 0
        self._mean: np.ndarray | None = None if dim is None else np.zeros(dim)
        self._m2: np.ndarray | None = None if dim is None else np.zeros((dim, dim))

    @classmethod
    def from_features(cls, features: np.ndarray | Sequence[np.ndarray]) -> FrechetStats:
        return cls().update(features)

    @property
    def dim(self) -> int | None:
        return None if self._mean is None else int(self._mean.shape[0])

    def update(self, features: np.ndarray | Sequence[np.ndarray]) -> Self:
        """Add a batch of feature rows; returns ``self`` (so calls chain)."""
        batch = _as_rows(features)
        if batch.shape[0] == 0:
            return self
        if self.dim is not None and batch.shape[1] != self.dim:
            raise ValueError(f"features have {batch.shape[1]} dimensions, this accumulator {self.dim}")
        mean = batch.mean(axis=0)
        centred = batch - mean
        self._combine(batch.shape[0], mean, centred.T @ centred)
        return self

    def merge(self, other: FrechetStats) -> FrechetStats:
        """A new accumulator holding the features of both."""
        merged = FrechetStats()
        for part in (self, other):
            if part.n:
                assert part._mean is not None and part._m2 is not None
                merged._combine(part.n, part._mean, part._m2)
        return merged

    def _combine(self, n_b: int, mean_b: np.ndarray, m2_b: np.ndarray) -> None:
        if self.n == 0 or self._mean is None or self._m2 is None:
            if self._mean is not None and self._mean.shape != mean_b.shape:
                raise ValueError(f"features have {mean_b.shape[0]} dimensions, this accumulator {self.dim}")
            self.n, self._mean, self._m2 = n_b, mean_b.astype(np.float64).copy(), m2_b.astype(np.float64).copy()
            return
        if mean_b.shape != self._mean.shape:
            raise ValueError(f"features have {mean_b.shape[0]} dimensions, this accumulator {self.dim}")
        n_a = self.n
        n = n_a + n_b
        delta = mean_b - self._mean
        self._m2 = self._m2 + m2_b + np.outer(delta, delta) * (n_a * n_b / n)
        self._mean = self._mean + delta * (n_b / n)
        self.n = n

    def mean(self) -> np.ndarray:
        if self._mean is None or self.n == 0:
            raise ValueError("no features were added")
        return self._mean.copy()

    def cov(self) -> np.ndarray:
        """Unbiased covariance (divides by n − 1, as ``np.cov``); needs at least two vectors."""
        if self._m2 is None or self.n < 2:
            raise ValueError(f"a covariance needs at least 2 feature vectors, got {self.n}")
        return self._m2 / (self.n - 1)

    @property
    def sum(self) -> np.ndarray:
        """Σx."""
        return self.mean() * self.n

    @property
    def outer(self) -> np.ndarray:
        """Σxxᵀ."""
        assert self._m2 is not None
        mean = self.mean()
        return self._m2 + self.n * np.outer(mean, mean)


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    *,
    eps: float = 1e-6,
    method: Literal["sqrtm", "eigh"] = "sqrtm",
) -> float:
    """Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    ``method="sqrtm"`` is pytorch-fid's and clean-fid's computation, step for step: ``scipy.linalg.sqrtm`` of
    the product Σ₁Σ₂ (scipy's "singular matrix" warning is silenced: singular products are the rule when a set
    has fewer vectors than dimensions); if the root is not finite, ``eps`` is added to both diagonals and the
    root taken again; a complex root is accepted when the imaginary parts of its diagonal are below 1e-3
    (numerical noise) and its real part kept, otherwise ``ValueError``. ``method="eigh"`` uses the exact
    symmetric form of the trace term (:func:`trace_sqrt_product`): faster (three symmetric d × d
    decompositions instead of a Schur decomposition) and free of complex round-off.

    >>> round(frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2)), 10)
    4.0
    >>> round(frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2), method="eigh"), 10)
    4.0
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.shape[0], mu1.shape[0]):
        raise ValueError(
            f"mismatched shapes: means {mu1.shape} and {mu2.shape}, covariances {sigma1.shape} and {sigma2.shape}"
        )
    diff = mu1 - mu2
    if method == "eigh":
        trace_covmean = trace_sqrt_product(sigma1, sigma2)
    elif method == "sqrtm":
        trace_covmean = _trace_sqrtm_pytorch_fid(sigma1, sigma2, eps)
    else:
        raise ValueError(f"unknown method {method!r}; use 'sqrtm' or 'eigh'")
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_covmean)


def _trace_sqrtm_pytorch_fid(sigma1: np.ndarray, sigma2: np.ndarray, eps: float) -> float:
    import scipy.linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"Fréchet distance: imaginary component {np.max(np.abs(covmean.imag))} in sqrtm")
        covmean = covmean.real
    return float(np.trace(covmean))


def psd_factor(sigma: np.ndarray) -> np.ndarray:
    """L (d × r) with L Lᵀ = Σ for a symmetric positive semi-definite Σ: V Λ^½ over the positive eigenvalues
    (eigenvalues that round-off made negative are zero)."""
    eigenvalues, vectors = np.linalg.eigh(np.asarray(sigma, dtype=np.float64))
    keep = eigenvalues > 0
    return vectors[:, keep] * np.sqrt(eigenvalues[keep])


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr (Σ₁Σ₂)^½ for two covariance matrices, exactly, via the symmetric Lᵀ Σ₁ L with Σ₂ = L Lᵀ.

    >>> round(trace_sqrt_product(np.diag([1.0, 4.0]), np.diag([9.0, 1.0])), 12)
    5.0
    """
    factor = psd_factor(sigma2)
    inner = factor.T @ np.asarray(sigma1, dtype=np.float64) @ factor
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


@dataclass(frozen=True, slots=True)
class FrechetReference:
    """A fixed reference distribution prepared for many Fréchet distances: n, μ, tr Σ and a factor L Lᵀ = Σ.

    Build it with :meth:`from_features` (exact factor of at most n − 1 columns: the centred rows / √(n − 1),
    when n ≤ d; else as :meth:`from_stats`) or :meth:`from_stats` (the eigen-factor of Σ). Then
    :meth:`distance` gives the Fréchet distance of a feature set to it (see the module docstring).
    """

    n: int
    mean: np.ndarray
    trace: float
    factor: np.ndarray

    @classmethod
    def from_stats(cls, stats: FrechetStats) -> FrechetReference:
        cov = stats.cov()
        return cls(n=stats.n, mean=stats.mean(), trace=float(np.trace(cov)), factor=psd_factor(cov))

    @classmethod
    def from_features(cls, features: np.ndarray | Sequence[np.ndarray]) -> FrechetReference:
        rows = _as_rows(features)
        n, dim = rows.shape
        if n < 2:
            raise ValueError(f"a reference needs at least 2 feature vectors, got {n}")
        if n > dim:
            return cls.from_stats(FrechetStats.from_features(rows))
        mean = rows.mean(axis=0)
        factor = (rows - mean).T / math.sqrt(n - 1)
        return cls(n=n, mean=mean, trace=float(np.sum(factor * factor)), factor=factor)

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def distance(
        self, features: np.ndarray | Sequence[np.ndarray], weights: np.ndarray | Sequence[float] | None = None
    ) -> float:
        """Fréchet distance from the feature rows (each counted ``weights[i]`` times; default once) to this
        reference; NaN with fewer than two rows counted. Works in blocks of rows: no d × d square root, and
        no n × d float64 copy of the features."""
        count = len(features)
        w = np.ones(count) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (count,):
            raise ValueError(f"{count} feature rows but {w.shape} weights")
        total = float(w.sum())
        if total < 2:
            return math.nan
        blocks = [(start, min(start + _CHUNK, count)) for start in range(0, count, _CHUNK)]

        def block(start: int, stop: int) -> np.ndarray:
            rows = _as_rows(features[start:stop])
            if rows.shape[1] != self.dim:
                raise ValueError(f"features have {rows.shape[1]} dimensions, the reference {self.dim}")
            return rows

        mean = sum((w[a:b] @ block(a, b) for a, b in blocks), np.zeros(self.dim)) / total
        rank = self.factor.shape[1]
        trace = 0.0
        projected: list[np.ndarray] = []  # rows of √w (x − μ) L while there are fewer rows than columns
        gram = np.zeros((rank, rank)) if count > rank else None
        for a, b in blocks:
            centred = block(a, b) - mean
            trace += float(w[a:b] @ np.einsum("ij,ij->i", centred, centred))
            z = (centred @ self.factor) * np.sqrt(w[a:b])[:, None]
            if gram is None:
                projected.append(z)
            else:
                gram += z.T @ z
        if gram is None:  # the singular values of Z itself: no squaring of its condition number
            z = np.concatenate(projected) if projected else np.zeros((0, rank))
            nuclear = float(np.linalg.svd(z, compute_uv=False).sum())
        else:
            eigenvalues = np.linalg.eigvalsh((gram + gram.T) / 2)
            nuclear = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
        trace_covmean = nuclear / math.sqrt(total - 1)
        diff = mean - self.mean
        value = float(diff @ diff + trace / (total - 1) + self.trace - 2.0 * trace_covmean)
        return max(value, 0.0)  # a distance: identical sets give round-off of either sign


# -- kernel inception distance --------------------------------------------------------------------------------
def polynomial_kernel(
    a: np.ndarray, b: np.ndarray, *, degree: int = 3, gamma: float | None = None, coef0: float = 1.0
) -> np.ndarray:
    """k(a, b) = (γ aᵀb + c₀)^degree for all pairs of rows; γ defaults to 1/d (KID's kernel).

    >>> polynomial_kernel(np.array([[1.0, 1.0]]), np.array([[2.0, 0.0]])).tolist()
    [[8.0]]
    """
    a, b = _as_rows(a), _as_rows(b)
    gamma = 1.0 / a.shape[1] if gamma is None else gamma
    return (a @ b.T * gamma + coef0) ** degree


def mmd2_unbiased(k_xx: np.ndarray, k_yy: np.ndarray, k_xy: np.ndarray) -> float:
    """Unbiased MMD² of two sets of equal size m from their kernel matrices (diagonals of k_xx, k_yy excluded).

    >>> mmd2_unbiased(np.ones((3, 3)), np.ones((3, 3)), np.ones((3, 3)))
    0.0
    """
    m = k_xx.shape[0]
    if k_yy.shape[0] != m or k_xy.shape != (m, m):
        raise ValueError("the unbiased MMD² here needs two sets of the same size")
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / m**2)


@dataclass(frozen=True, slots=True)
class KidResult:
    """KID: mean and (population) standard deviation of the unbiased MMD² over ``subsets`` subsets of size m."""

    mean: float
    std: float
    subset_size: int
    subsets: int


def kid_subset_indices(
    n_x: int, n_y: int, *, subsets: int, subset_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of each subset, (subsets × m) for both sets, m = min(subset_size, n_x, n_y); each subset is
    drawn without replacement (the first m of a random permutation, x then y, as torchmetrics draws them)."""
    m = min(subset_size, n_x, n_y)
    rng = np.random.default_rng(seed)
    index_x = np.empty((subsets, m), dtype=np.int64)
    index_y = np.empty((subsets, m), dtype=np.int64)
    for s in range(subsets):
        index_x[s] = rng.permutation(n_x)[:m]
        index_y[s] = rng.permutation(n_y)[:m]
    return index_x, index_y


def kernel_inception_distance(
    x: np.ndarray,
    y: np.ndarray,
    *,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    y_kernel: np.ndarray | None = None,
) -> KidResult:
    """KID between feature sets ``x`` and ``y``: unbiased MMD² with a polynomial kernel, over random subsets.

    Each of ``subsets`` draws takes m = min(subset_size, len(x), len(y)) rows of each set without replacement
    and computes :func:`mmd2_unbiased`; the result is their mean and population standard deviation, as
    torchmetrics' ``KernelInceptionDistance`` (which instead refuses ``subset_size`` above either set's size).
    With m equal to both sets' sizes every subset is the whole set and the value is exact (std 0).
    ``y_kernel`` may pass the precomputed y-by-y kernel matrix (a fixed reference set). Sets of up to
    4,096 rows are done with their full kernel matrices and indicator sums (one matrix product for all
    subsets); larger ones subset by subset. Both give the same numbers.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(50, 8)), rng.normal(size=(40, 8)) + 1.0
    >>> result = kernel_inception_distance(a, b, subsets=10, subset_size=30)
    >>> result.mean > 0.1, result.subset_size
    (True, 30)
    """
    x, y = _as_rows(x), _as_rows(y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature sets have {x.shape[1]} and {y.shape[1]} dimensions")
    n_x, n_y = x.shape[0], y.shape[0]
    m = min(subset_size, n_x, n_y)
    if m < 2:
        raise ValueError(f"KID needs at least 2 vectors in each set, got {n_x} and {n_y}")
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    index_x, index_y = kid_subset_indices(n_x, n_y, subsets=subsets, subset_size=subset_size, seed=seed)

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return polynomial_kernel(a, b, degree=degree, gamma=gamma, coef0=coef0)

    if max(n_x, n_y) <= FULL_KERNEL_MAX_ROWS:
        k_xx, k_xy = kernel(x, x), kernel(x, y)
        k_yy = kernel(y, y) if y_kernel is None else np.asarray(y_kernel, dtype=np.float64)
        if k_yy.shape != (n_y, n_y):
            raise ValueError(f"y_kernel has shape {k_yy.shape}, expected {(n_y, n_y)}")
        pick_x = np.zeros((subsets, n_x))
        pick_y = np.zeros((subsets, n_y))
        rows = np.arange(subsets)[:, None]
        pick_x[rows, index_x] = 1.0
        pick_y[rows, index_y] = 1.0
        within_x = np.einsum("si,si->s", pick_x @ k_xx, pick_x) - pick_x @ np.diag(k_xx)
        within_y = np.einsum("sj,sj->s", pick_y @ k_yy, pick_y) - pick_y @ np.diag(k_yy)
        between = np.einsum("sj,sj->s", pick_x @ k_xy, pick_y)
        values = (within_x + within_y) / (m * (m - 1)) - 2.0 * between / m**2
    else:
        values = np.array(
            [
                mmd2_unbiased(
                    kernel(x[ix], x[ix]),
                    kernel(y[iy], y[iy]) if y_kernel is None else np.asarray(y_kernel)[np.ix_(iy, iy)],
                    kernel(x[ix], y[iy]),
                )
                for ix, iy in zip(index_x, index_y, strict=True)
            ]
        )
    return KidResult(mean=float(values.mean()), std=float(values.std()), subset_size=m, subsets=subsets)


# -- precision, recall, density, coverage ---------------------------------------------------------------------
def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows of ``a`` and of ``b`` (float64).

    >>> pairwise_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[5.0, 1.0]]
    """
    a, b = _as_rows(a), _as_rows(b)
    squared = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.clip(squared, 0.0, None))


def nearest_neighbour_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the (k+1)-th smallest distance counting itself,
    as the reference code computes it; a duplicated row is a neighbour at distance 0)."""
    rows = _as_rows(features)
    if rows.shape[0] <= k:
        raise ValueError(f"the {k}-th nearest neighbour needs more than {k} vectors, got {rows.shape[0]}")
    distances = pairwise_distances(rows, rows)
    np.fill_diagonal(distances, 0.0)
    return np.partition(distances, k, axis=1)[:, k]


def prdc(real: np.ndarray, fake: np.ndarray, *, k: int = 5, real_radii: np.ndarray | None = None) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real`` (Naeem et al. 2020), k-NN balls.

    - precision: share of fake vectors inside some real vector's k-NN ball;
    - recall: share of real vectors inside some fake vector's k-NN ball;
    - density: mean over fake vectors of the number of real balls containing it, divided by k (≈ 1 when the
      two sets come from one distribution; above 1 when fakes crowd dense real regions);
    - coverage: share of real vectors whose ball contains at least one fake vector.

    "Inside" is a strict ``<``, as in the reference code. ``real_radii`` may pass the real k-NN radii
    (fixed for a reference set).

    >>> grid = np.array([[float(i), float(j)] for i in range(4) for j in range(4)])
    >>> prdc(grid, grid + 0.1, k=3)
    {'precision': 1.0, 'recall': 1.0, 'density': 0.9375, 'coverage': 1.0}
    """
    real, fake = _as_rows(real), _as_rows(fake)
    radii_real = nearest_neighbour_radii(real, k) if real_radii is None else np.asarray(real_radii)
    radii_fake = nearest_neighbour_radii(fake, k)
    distance = pairwise_distances(real, fake)
    inside_real = distance < radii_real[:, None]
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((distance < radii_fake[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum(axis=0).mean() / k),
        "coverage": float((distance.min(axis=1) < radii_real).mean()),
    }


__all__ = [
    "FULL_KERNEL_MAX_ROWS",
    "FrechetReference",
    "FrechetStats",
    "KidResult",
    "frechet_distance",
    "kernel_inception_distance",
    "kid_subset_indices",
    "mmd2_unbiased",
    "nearest_neighbour_radii",
    "pairwise_distances",
    "polynomial_kernel",
    "prdc",
    "psd_factor",
    "trace_sqrt_product",
]
