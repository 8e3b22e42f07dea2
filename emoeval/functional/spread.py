"""How spread out a set of outputs is in an embedding space: mean pairwise distance, the Vendi score, and the
spread of outputs made from one source — the statistics of per-emotion diversity and mode collapse.

Every function takes optional ``weights``: how many times each row occurs (a bootstrap resample repeats
rows). Copies of one row count as that row several times, never as two outputs that happen to be identical —
otherwise resampling alone would look like collapse:

- **mean pairwise distance** ``Σ_{i≠j} w_i w_j d(x_i, x_j) / Σ_{i≠j} w_i w_j`` over distinct rows i, j
  (Euclidean distance; equal to ``scipy.spatial.distance.pdist(X).mean()`` without weights). It is a
  U-statistic: its expected value does not depend on the number of outputs, so a system's and a reference's
  values compare across set sizes.
- **Vendi score** (Friedman & Dieng 2023, *The Vendi Score: A Diversity Evaluation Metric for Machine
  Learning*, TMLR): ``exp(−Σ λ_i log λ_i)`` over the eigenvalues λ of ``K/n`` for a similarity kernel K with
  k(x, x) = 1 — here the cosine similarity of the rows. It reads as the "effective number of distinct outputs":
  1 for n identical outputs, n for n mutually orthogonal ones. With weights p = w/Σw the eigenvalues are those
  of ``P^½ K P^½``, which equals the unweighted score of the set with each row repeated w times. It grows
  with the number of outputs, so compare it at equal set sizes (:func:`matched_vendi`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def _weights(n: int, weights: Sequence[float] | np.ndarray | None) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise ValueError(f"{w.size} weights for {n} rows")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and non-negative")
    return w


def pairwise_euclidean(x: np.ndarray) -> np.ndarray:
    """The n × n Euclidean distance matrix of the rows of ``x`` (float64; scipy's ``pdist``, so identical rows
    are exactly 0 apart — the Gram-matrix shortcut leaves rounding noise of ~1e-8 there)."""
    from scipy.spatial.distance import pdist, squareform

    return squareform(pdist(np.asarray(x, dtype=np.float64)))


def mean_pairwise_distance(x: np.ndarray, weights: Sequence[float] | np.ndarray | None = None) -> float:
    """Mean Euclidean distance between distinct rows (weighted by row counts); NaN with fewer than two rows
    (or, weighted, fewer than two rows of positive weight).

    >>> mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]))
    3.3333333333333335
    >>> mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]]), weights=[2, 1])
    5.0
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    w = _weights(len(x), weights)
    if np.count_nonzero(w) < 2:
        return float("nan")
    distances = pairwise_euclidean(x)
    pair_weights = np.outer(w, w)
    np.fill_diagonal(pair_weights, 0.0)
    return float((pair_weights * distances).sum() / pair_weights.sum())


def vendi_score(x: np.ndarray, weights: Sequence[float] | np.ndarray | None = None) -> float:
    """The Vendi score of the rows of ``x`` with the cosine-similarity kernel (rows of zero norm are an error).

    >>> round(vendi_score(np.eye(3)), 6), round(vendi_score(np.ones((4, 2))), 6)
    (3.0, 1.0)
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    w = _weights(len(x), weights)
    keep = w > 0
    x, w = x[keep], w[keep]
    if len(x) == 0:
        return float("nan")
    norms = np.linalg.norm(x, axis=1)
    if np.any(norms == 0):
        raise ValueError("the Vendi score's cosine kernel is undefined for a zero vector")
    unit = x / norms[:, None]
    root_p = np.sqrt(w / w.sum())
    matrix = (unit * root_p[:, None]) @ (unit * root_p[:, None]).T
    eigenvalues = np.linalg.eigvalsh(matrix)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-np.sum(eigenvalues * np.log(eigenvalues))))


def matched_vendi(reference: np.ndarray, size: int, *, repeats: int = 10, seed: int = 0) -> float:
    """The mean Vendi score of ``repeats`` seeded random subsets of ``size`` reference rows (without
    replacement): the reference's score at a system's set size. All rows when ``size`` ≥ their number.

    >>> round(matched_vendi(np.eye(6), 3), 9)
    3.0
    """
    reference = np.asarray(reference, dtype=np.float64)
    if size >= len(reference):
        return vendi_score(reference)
    if size < 1:
        return float("nan")
    rng = np.random.default_rng(seed)
    return float(
        np.mean([vendi_score(reference[rng.choice(len(reference), size, replace=False)]) for _ in range(repeats)])
    )


def within_group_distance(
    x: np.ndarray, groups: Sequence[Hashable], weights: Sequence[float] | np.ndarray | None = None
) -> tuple[float, int]:
    """The mean, over groups with at least two distinct rows, of each group's mean pairwise distance — how far
    apart the several outputs a conditional generator makes for one source are — and the number of such groups
    (NaN, 0 when there is none).

    >>> within_group_distance(np.array([[0.0], [2.0], [5.0], [9.0]]), ["a", "a", "b", "c"])
    (2.0, 1)
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    w = _weights(len(x), weights)
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        if group is not None and w[index] > 0:
            members.setdefault(group, []).append(index)
    values = [mean_pairwise_distance(x[rows], w[rows]) for rows in members.values() if len(rows) >= 2]
    if not values:
        return float("nan"), 0
    return float(np.mean(values)), len(values)


__all__ = [
    "matched_vendi",
    "mean_pairwise_distance",
    "pairwise_euclidean",
    "vendi_score",
    "within_group_distance",
]
