"""Dynamic time warping of two feature sequences: exact, and within a Sakoe–Chiba band for long sequences.

Symmetric steps (i−1, j), (i, j−1), (i−1, j−1), each adding the local cost of the cell it enters with weight 1;
the path runs from (0, 0) to (N−1, M−1). This is the DTW of ``fastdtw`` with an unlimited radius and of
``librosa.sequence.dtw`` with its default steps, i.e. the alignment MCD toolkits use — computed exactly here
(fastdtw's radius-1 approximation can return a costlier path).

Rows are filled with numpy: within row i, D[i, j] = min(T[j], C[i, j] + D[i, j−1]) with
T[j] = C[i, j] + min(D[i−1, j], D[i−1, j−1]) unrolls to D[i, :] = S + cummin(T − S) where S is the running sum
of C[i, :] — one vectorised pass per row, O(N·M) work and memory.

**Long sequences.** Exact DTW holds the N×M cost and accumulated-cost matrices (16 bytes a frame pair: two 4-minute
recordings at 5 ms frames, 48 000 × 48 000 pairs, would need 34 GiB). :func:`align_sequences` therefore runs exact
DTW only up to :data:`EXACT_MAX_CELLS` frame pairs (N·M ≤ 16 million, 256 MB: e.g. two 20 s sequences of 5 ms
frames), and above it :func:`banded_dtw`: the same recursion restricted to a Sakoe–Chiba band (Sakoe & Chiba
1978, IEEE Trans. ASSP 26(1)) of radius r = ⌈:data:`BAND_FRACTION` · max(N, M)⌉ (10 % of the longer sequence)
widened by the length difference so the end is always reachable — cells with −r < j − i < r + (M − N) when
N ≤ M (−r − (N − M) < j − i < r when N > M), the band of ``librosa.sequence.dtw(global_constraints=True)``. It
keeps two rows of accumulated cost and 2 bits of back-pointer per band cell, and computes local costs a block of
rows at a time, so memory is about N · band width / 4 bytes (116 MB of back-pointers, 166 MB at peak, for a
4-minute pair: 48 000 × 48 400 frames, radius 4840). A band only removes
paths: its cost is never below exact DTW's, and equals it whenever the optimal path lies inside the band (a band
covering the whole matrix reproduces :func:`dtw` bit for bit). Beyond :data:`MAX_BAND_CELLS` band cells
(2·10⁹, 500 MB of back-pointers: two sequences of about 100 000 frames each, 8.3 minutes at 5 ms) alignment is
refused with :class:`AlignmentTooLongError` rather than allocated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: exact DTW up to this many frame pairs N·M (cost + accumulated cost: 16 bytes a pair, 256 MB at the limit)
EXACT_MAX_CELLS = 16_000_000
#: above it, a Sakoe–Chiba band of radius ⌈BAND_FRACTION · max(N, M)⌉ frames, widened by |N − M|
BAND_FRACTION = 0.1
#: above this many band cells (2 bits each: 500 MB) alignment is refused; raise it to allow longer sequences
MAX_BAND_CELLS = 2_000_000_000


class AlignmentTooLongError(ValueError):
    """Two sequences (``n`` and ``m`` frames) are too long to align: their band holds ``cells`` > ``limit``."""

    def __init__(self, message: str, *, n: int, m: int, cells: int, limit: int) -> None:
        super().__init__(message)
        self.n, self.m, self.cells, self.limit = n, m, cells, limit


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


@dataclass(frozen=True, slots=True)
class Alignment:
    """A DTW alignment: total cost, path (rows of (i, j)), and the band radius (None: exact, unconstrained)."""

    cost: float
    path: np.ndarray
    radius: int | None = None
    cells: int = 0


def band_radius(n: int, m: int, fraction: float | None = None) -> int:
    """Sakoe–Chiba radius used above the exact limit: ⌈fraction · max(n, m)⌉, at least 1.

    >>> band_radius(48000, 47000)
    4800
    """
    share = BAND_FRACTION if fraction is None else fraction
    return max(1, math.ceil(share * max(n, m)))


def band_limits(n: int, m: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row i, the first and one-past-last column of the band: −r < j − i < r + (m − n) when n ≤ m,
    −r − (n − m) < j − i < r when n > m (the band of ``librosa.util.fill_off_diagonal``).

    >>> lo, hi = band_limits(4, 6, 1)
    >>> lo.tolist(), hi.tolist()
    ([0, 1, 2, 3], [3, 4, 5, 6])
    """
    import numpy as np

    if radius < 1:
        raise ValueError(f"the band radius must be at least 1 frame, got {radius}")
    rows = np.arange(n, dtype=np.int64)
    below, above = (radius - 1, radius - 1 + m - n) if n <= m else (radius - 1 + n - m, radius - 1)
    return np.maximum(0, rows - below), np.minimum(m, rows + above + 1)


def band_cells(n: int, m: int, radius: int) -> int:
    """Number of cells in the band (what :func:`banded_dtw` visits; 2 bits of memory each)."""
    lo, hi = band_limits(n, m, radius)
    return int((hi - lo).sum())


def banded_dtw(x: np.ndarray, y: np.ndarray, radius: int) -> tuple[float, np.ndarray]:
    """``(total cost, path)`` of DTW between feature sequences ``x`` (N, D) and ``y`` (M, D) with the Euclidean
    local cost, restricted to the Sakoe–Chiba band of :func:`band_limits`.

    Each row is filled exactly as :func:`accumulated_cost` fills it, over the band's columns only; the backtrack
    follows the same preference (diagonal, then (i−1, j), then (i, j−1)) from stored 2-bit steps. Memory: two
    rows of accumulated cost, N · ⌈width / 8⌉ bytes twice for the steps, one block of local costs.

    >>> import numpy as np
    >>> x, y = np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [2.0]])
    >>> total, path = banded_dtw(x, y, radius=3)  # the band covers everything: exact DTW
    >>> total, path.tolist()
    (1.0, [[0, 0], [1, 0], [2, 1]])
    """
    import numpy as np
    from scipy.spatial.distance import cdist

    a, b = np.atleast_2d(np.asarray(x, dtype=np.float64)), np.atleast_2d(np.asarray(y, dtype=np.float64))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"both sequences must be non-empty, got {n} and {m} frames")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("the feature sequences hold NaN or infinite values")
    lo, hi = band_limits(n, m, radius)
    width = int(np.max(hi - lo))
    # step bits per band cell: off_diagonal (the step is not the diagonal), leftward (it is (i, j−1))
    off_diagonal = np.zeros((n, (width + 7) // 8), dtype=np.uint8)
    leftward = np.zeros_like(off_diagonal)
    block_rows = max(1, min(256, 4_000_000 // (width + 256)))  # local costs ≤ 32 MB at a time
    # work buffers, reused row after row (allocating them per row would dominate the bookkeeping)
    rows = np.empty((2, width))  # accumulated cost of the previous and the current row
    buffers = (np.empty(width + 1), *np.empty((4, width)), *np.empty((2, width), dtype=bool))

    def views(w: int) -> tuple[np.ndarray, ...]:
        before, t, s, left, smaller, not_diagonal, left_better = (
            buffer[: w + 1 if k == 0 else w] for k, buffer in enumerate(buffers)
        )
        return before, before[1:], before[:-1], t, s, left, left[1:], smaller, not_diagonal, left_better

    full_width = views(width)  # most rows have the full width; the rows near the ends are narrower
    low_of, high_of = lo.tolist(), hi.tolist()
    previous = rows[0, :0]
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        first_column = low_of[start]
        # cdist computes each pair on its own, so these are the very values of the full cost matrix
        block = cdist(a[start:stop], b[first_column : high_of[stop - 1]], metric="euclidean")
        for i in range(start, stop):
            low, high = low_of[i], high_of[i]
            w = high - low
            c = block[i - start, low - first_column : high - first_column]
            current = rows[i % 2, :w]
            if i == 0:
                np.cumsum(c, out=current)
                off_diagonal[0] = np.packbits(np.ones(width, dtype=bool))
                leftward[0] = off_diagonal[0]
                previous = current
                continue
            before, from_above, from_diagonal, t, s, left, left_tail, smaller, not_diagonal, left_better = (
                full_width if w == width else views(w)
            )
            # row i−1 over columns low−1 .. high−1 (infinite outside its band)
            before.fill(np.inf)
            p_low, p_high = low_of[i - 1], high_of[i - 1]
            s0, s1 = max(low - 1, p_low), min(high, p_high)
            before[s0 - low + 1 : s1 - low + 1] = previous[s0 - p_low : s1 - p_low]
            # accumulated_cost's row update, term for term: d = s + cummin(c + min(above, diagonal) − s)
            np.minimum(from_above, from_diagonal, out=t)
            np.add(c, t, out=t)
            np.cumsum(c, out=s)
            np.subtract(t, s, out=t)
            np.minimum.accumulate(t, out=t)
            np.add(s, t, out=current)
            left[0] = np.inf
            left_tail[:] = current[:-1]
            # np.argmin over (diagonal, above, left) with the first minimum winning, as dtw() backtracks
            np.minimum(from_above, left, out=smaller)
            np.greater(from_diagonal, smaller, out=not_diagonal)
            np.less(left, from_above, out=left_better)
            np.logical_and(left_better, not_diagonal, out=left_better)
            off_diagonal[i, : (w + 7) // 8] = np.packbits(not_diagonal)
            leftward[i, : (w + 7) // 8] = np.packbits(left_better)
            previous = current
    i, j = n - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        k = j - low_of[i]
        byte, shift = k >> 3, 7 - (k & 7)
        if not (off_diagonal[i, byte] >> shift) & 1:
            i, j = i - 1, j - 1
        elif (leftward[i, byte] >> shift) & 1:
            j -= 1
        else:
            i -= 1
        path.append((i, j))
    return float(previous[-1]), np.array(path[::-1], dtype=np.int64)


def align_sequences(
    x: np.ndarray,
    y: np.ndarray,
    *,
    exact_max_cells: int | None = None,
    band_fraction: float | None = None,
    max_band_cells: int | None = None,
) -> Alignment:
    """DTW of two (frames, dims) feature sequences with the Euclidean local cost: exact when N·M ≤
    ``exact_max_cells``, else within a Sakoe–Chiba band (see the module docstring).

    Limits default to the module's :data:`EXACT_MAX_CELLS`, :data:`BAND_FRACTION` and :data:`MAX_BAND_CELLS`, read
    at call time. Raises :class:`AlignmentTooLongError` when the band would exceed ``max_band_cells``.
    """
    import numpy as np

    n, m = np.atleast_2d(x).shape[0], np.atleast_2d(y).shape[0]
    exact_limit = EXACT_MAX_CELLS if exact_max_cells is None else exact_max_cells
    if n * m <= exact_limit:
        total, path = dtw(euclidean_cost(x, y))
        return Alignment(cost=total, path=path, radius=None, cells=n * m)
    radius = band_radius(n, m, band_fraction)
    cells = band_cells(n, m, radius)
    limit = MAX_BAND_CELLS if max_band_cells is None else max_band_cells
    if cells > limit:
        raise AlignmentTooLongError(
            f"{n} and {m} frames are too long to align: the DTW band (radius {radius} frames plus the length "
            f"difference {abs(n - m)}) holds {cells:,} frame pairs, above the limit of {limit:,} "
            "(emoeval.metrics.speech._dtw.MAX_BAND_CELLS, 2 bits each)",
            n=n,
            m=m,
            cells=cells,
            limit=limit,
        )
    total, path = banded_dtw(x, y, radius)
    return Alignment(cost=total, path=path, radius=radius, cells=cells)
