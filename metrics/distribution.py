"""Distances between two sets of feature vectors — Fréchet distance, KID, PRDC — re-exported for the metrics.

The maths lives in :mod:`emoeval.functional.distribution` (pure NumPy/SciPy, importable without torch; its
docstring gives every formula and source). This module keeps the names metrics and plug-ins have imported from
here; new code imports :mod:`emoeval.functional.distribution`.
"""

from __future__ import annotations

from emoeval.functional.distribution import (
    FULL_KERNEL_MAX_ROWS,
    FrechetReference,
    FrechetStats,
    KidResult,
    frechet_distance,
    kernel_inception_distance,
    kid_subset_indices,
    mmd2_unbiased,
    nearest_neighbour_radii,
    pairwise_distances,
    polynomial_kernel,
    prdc,
    psd_factor,
    trace_sqrt_product,
)

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
