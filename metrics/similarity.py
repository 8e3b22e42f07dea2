"""Vector similarities shared by identity and speaker metrics (pure functions)."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two vectors, in [-1, 1]; 1 = same direction.

    >>> round(cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0])), 6)
    0.707107
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norm == 0.0:
        raise ValueError("cosine similarity of a zero vector is undefined")
    return float(np.clip(np.dot(a, b) / norm, -1.0, 1.0))


def euclidean_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean (L2) distance between two vectors, in [0, ∞).

    >>> euclidean_distance(np.array([0.0, 3.0]), np.array([4.0, 0.0]))
    5.0
    """
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel() - np.asarray(b, dtype=np.float64).ravel()))
