"""Dynamic time warping: the exact, unconstrained alignment of two feature sequences.

Symmetric steps (i−1, j), (i, j−1), (i−1, j−1), each adding the local cost of the cell it enters with weight 1;
the path runs from (0, 0) to (N−1, M−1). This is the DTW of ``fastdtw`` with an unlimited radius and of
``librosa.sequence.dtw`` with its default steps, i.e. the alignment MCD toolkits use — computed exactly here
(fastdtw's radius-1 approximation can return a costlier path).

Rows are filled with numpy: within row i, D[i, j] = min(T[j], C[i, j] + D[i, j−1]) with
T[j] = C[i, j] + min(D[i−1, j], D[i−1, j−1]) unrolls to D[i, :] = S + cummin(T − S) where S is the running sum
of C[i, :] — one vectorised pass per row, O(N·M) work and memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def euclidean_cost(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Local cost matrix C[i, j] = ‖x_i − y_j‖₂ of two (frames, dims) arrays."""
    import numpy as np
    from scipy.spatial.distance import cdist

    a, b = np.atleast_2d(np.asarray(x, dtype=np.float64)), np.atleast_2d(np.asarray(y, dtype=np.float64))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")
    return cdist(a, b, metric="euclidean")


def accumulated_cost(cost: np.ndarray) -> np.ndarray:
    """The accumulated cost matrix D of a local cost matrix (see the module docstring).

    >>> import numpy as np
    >>> accumulated_cost(np.array([[0.0, 1.0], [1.0, 0.0]])).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    import numpy as np

    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2 or 0 in c.shape:
        raise ValueError(f"the cost matrix must be 2-D and non-empty, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("the cost matrix holds NaN or infinite values")
    d = np.empty_like(c)
    d[0] = np.cumsum(c[0])
    for i in range(1, c.shape[0]):
        from_above = d[i - 1]
        from_diagonal = np.concatenate(([np.inf], d[i - 1, :-1]))
        t = c[i] + np.minimum(from_above, from_diagonal)
        s = np.cumsum(c[i])
        d[i] = s + np.minimum.accumulate(t - s)
    return d


def dtw(cost: np.ndarray) -> tuple[float, np.ndarray]:
    """``(total cost, path)``: the minimum accumulated cost and its path as an array of (i, j) rows.

    On equal costs the backtrack prefers the diagonal step, then (i−1, j), then (i, j−1).

    >>> import numpy as np
    >>> total, path = dtw(np.abs(np.subtract.outer([0.0, 1.0, 2.0], [0.0, 2.0])))
    >>> total, path.tolist()
    (1.0, [[0, 0], [1, 0], [2, 1]])
    """
    import numpy as np

    d = accumulated_cost(cost)
    i, j = d.shape[0] - 1, d.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            options = (d[i - 1, j - 1], d[i - 1, j], d[i, j - 1])
            best = int(np.argmin(options))  # argmin returns the first minimum: the diagonal wins ties
            if best == 0:
                i, j = i - 1, j - 1
            elif best == 1:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return float(d[-1, -1]), np.array(path[::-1], dtype=np.int64)
