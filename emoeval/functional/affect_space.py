"""Valence and arousal from emotion categories, and how much of a reference set's valence–arousal region a
system covers.

**Anchors.** Each canonical emotion gets a point in the (valence, arousal) plane: the pleasure and arousal
ratings of the emotion's term in Russell & Mehrabian (1977, *Evidence for a three-factor theory of emotions*,
J. Research in Personality 11: 273–294; scale −1…+1, the dominance axis dropped). ``neutral`` is the origin
(the scales' midpoint) by definition, not a rating. Emotions without a term in that table (``contempt``,
``frustrated``) have no anchor: their probability mass is left out and the rest renormalised (see
:func:`valence_arousal`); a distribution whose mass lies mostly on labels without anchors is not mapped.

**Mapping.** A recognizer's distribution p over its labels maps to the probability-weighted mean of the
anchors, ``(v, a) = Σ p_k · anchor_k / Σ p_k`` over the labels with anchors — the "categorical to dimensional"
mapping used when no dimensional recognizer exists (e.g. Kollias et al. 2019 use category→VA for AffectNet).
It is a *proxy*: a confident "happy" lands at (0.81, 0.51), an even happy/sad split near (0.09, 0.12).

**Coverage.** The plane [−1, 1]² is cut into ``bins × bins`` equal cells. The reference region is the set of
cells holding at least ``min_count`` reference points; a system's coverage is the share of those cells that
hold at least one of its points (1.0 = it reaches every region real data occupies; 0.5 = half of them stay
empty). :func:`empty_regions` names the reference cells the system never reaches by their centres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from emoeval.errors import SampleInputError

#: (valence, arousal) of each canonical emotion: Russell & Mehrabian 1977 (pleasure, arousal of the terms
#: happy, sad, angry, afraid→fear, disgusted, surprised, bored, relaxed→calm); neutral at the origin
VA_ANCHORS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "neutral": (0.0, 0.0),
        "calm": (0.68, -0.46),
        "happy": (0.81, 0.51),
        "sad": (-0.63, -0.27),
        "angry": (-0.51, 0.59),
        "fear": (-0.64, 0.60),
        "disgust": (-0.60, 0.35),
        "surprise": (0.40, 0.67),
        "boredom": (-0.65, -0.62),
    }
)
#: a distribution with less than this share of its mass on labels with an anchor is not mapped
MIN_ANCHORED_MASS = 0.5


def valence_arousal(
    probabilities: Sequence[float] | np.ndarray,
    labels: Sequence[str],
    anchors: Mapping[str, tuple[float, float]] = VA_ANCHORS,
) -> tuple[float, float]:
    """The probability-weighted mean anchor of a distribution over ``labels`` (canonical labels).

    Labels without an anchor are left out and the remaining mass renormalised; when that remaining mass is
    below :data:`MIN_ANCHORED_MASS` the point would say more about the renormalisation than about the output,
    so :class:`SampleInputError` is raised naming the labels.

    >>> valence_arousal([0.0, 1.0], ["sad", "happy"])
    (0.81, 0.51)
    >>> valence_arousal([0.5, 0.5], ["neutral", "happy"])
    (0.405, 0.255)
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size != len(labels):
        raise ValueError(f"{p.size} probabilities for {len(labels)} labels")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise SampleInputError("the recognizer's probabilities are not finite and non-negative")
    known = np.array([label in anchors for label in labels], dtype=bool)
    total = float(p.sum())
    mass = float(p[known].sum())
    if total <= 0 or mass < MIN_ANCHORED_MASS * total:
        missing = sorted({label for label, ok in zip(labels, known, strict=True) if not ok})
        raise SampleInputError(
            f"only {mass / total if total > 0 else 0.0:.0%} of the recognizer's probability lies on labels with a "
            f"valence-arousal anchor (none for {', '.join(missing) or '-'}); this output has no valence-arousal point"
        )
    points = np.array([anchors[label] for label, ok in zip(labels, known, strict=True) if ok], dtype=np.float64)
    weights = p[known] / mass
    valence, arousal = weights @ points
    return round(float(valence), 12), round(float(arousal), 12)


@dataclass(frozen=True)
class Coverage:
    """The reference region's cells, which of them a system reaches, and the share it reaches."""

    reference_cells: frozenset[tuple[int, int]]
    covered_cells: frozenset[tuple[int, int]]
    bins: int

    @property
    def share(self) -> float:
        """Covered reference cells / reference cells (NaN for an empty reference region)."""
        if not self.reference_cells:
            return float("nan")
        return len(self.covered_cells & self.reference_cells) / len(self.reference_cells)

    @property
    def empty(self) -> list[tuple[int, int]]:
        """Reference cells the system never reaches, sorted."""
        return sorted(self.reference_cells - self.covered_cells)


def grid_cells(points: np.ndarray, bins: int) -> np.ndarray:
    """The (valence bin, arousal bin) index of each point on a ``bins × bins`` grid over [−1, 1]² (points on
    the upper edge fall in the last cell; points outside are clipped onto the border cells).

    >>> grid_cells(np.array([[-1.0, -1.0], [1.0, 0.0], [0.1, -0.1]]), 4).tolist()
    [[0, 0], [3, 2], [2, 1]]
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    xy = np.clip(np.asarray(points, dtype=np.float64).reshape(-1, 2), -1.0, 1.0)
    return np.minimum(np.floor((xy + 1.0) / 2.0 * bins), bins - 1).astype(np.int64)


def coverage(
    system: np.ndarray,
    reference: np.ndarray,
    *,
    bins: int = 8,
    min_count: int = 1,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Coverage:
    """Which cells of the reference region (cells with ≥ ``min_count`` reference points) the system's points reach.

    ``weights`` (counts of each system point, e.g. bootstrap copies) only matter through being > 0.

    >>> reference = np.array([[0.8, 0.5], [-0.6, -0.3], [-0.5, 0.6]])
    >>> coverage(np.array([[0.8, 0.5], [0.75, 0.45]]), reference, bins=4).share
    0.3333333333333333
    """
    system = np.asarray(system, dtype=np.float64).reshape(-1, 2)
    if weights is not None:
        system = system[np.asarray(weights, dtype=np.float64) > 0]
    ref_cells, counts = np.unique(grid_cells(reference, bins), axis=0, return_counts=True)
    region = frozenset((int(i), int(j)) for (i, j), c in zip(ref_cells, counts, strict=True) if c >= min_count)
    reached = frozenset((int(i), int(j)) for i, j in grid_cells(system, bins)) if len(system) else frozenset()
    return Coverage(reference_cells=region, covered_cells=reached, bins=bins)


def cell_centre(cell: tuple[int, int], bins: int) -> tuple[float, float]:
    """The (valence, arousal) centre of a grid cell.

    >>> cell_centre((0, 3), 4)
    (-0.75, 0.75)
    """
    width = 2.0 / bins
    return (-1.0 + (cell[0] + 0.5) * width, -1.0 + (cell[1] + 0.5) * width)


def empty_regions(result: Coverage) -> list[str]:
    """The reference cells a system never reaches, named by their centre, e.g. ``"v=+0.62 a=+0.38"``."""
    return ["v={:+.2f} a={:+.2f}".format(*cell_centre(cell, result.bins)) for cell in result.empty]


__all__ = [
    "MIN_ANCHORED_MASS",
    "VA_ANCHORS",
    "Coverage",
    "cell_centre",
    "coverage",
    "empty_regions",
    "grid_cells",
    "valence_arousal",
]
