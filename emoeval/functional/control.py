"""Controllability of emotion intensity: does the measured intensity follow the intensity a generator was
asked for?

Given, per output, the **requested** intensity (an ordinal level or a number from the manifest's ``intensity``
column) and a **measured** one (a recognizer's confidence, an arousal proxy, a lexicon magnitude...):

- **Spearman's ρ** and **Kendall's τ-b** between requested and measured (scipy.stats.spearmanr/kendalltau):
  +1 = more intensity asked always gives more measured; ≈ 0 = the knob does nothing; < 0 = it works backwards.
  Intervals are seeded percentile bootstraps that resample *sources* (the ``group`` column: the outputs made
  from one source at several levels stay together) or, without groups, outputs.
- **Monotonicity violation rate**: within each source, the outputs ordered by requested level; the share of
  consecutive steps up in requested level where the measured intensity goes *down*. Without sources with two
  levels or more, the steps of the control curve (the mean measured intensity per requested level) are used.
  0 = never backwards; about 0.5 = a knob that does nothing (measured changes are noise).
- **Control curve**: mean measured intensity per requested level (what the report plots).

These follow the controllability evaluations of intensity-controllable emotional TTS (e.g. Lei et al. 2022,
*Fine-grained emotion strength transfer, control and prediction*, IEEE/ACM TASLP; Im et al. 2022,
*EmoQ-TTS*) and expression editing (Ding et al. 2018, ExprGAN), which plot or correlate a recognizer's
intensity against the requested level.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Controllability:
    """Agreement between requested and measured intensity (see the module docstring); NaN where undefined."""

    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    violation_rate: float
    steps: int
    n: int
    levels: tuple[float, ...] = ()
    curve: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    note: str | None = field(default=None)


def _rank_correlations(requested: np.ndarray, measured: np.ndarray) -> tuple[float, float]:
    from scipy.stats import kendalltau, spearmanr

    if len(requested) < 3 or np.ptp(requested) == 0 or np.ptp(measured) == 0:
        return math.nan, math.nan
    return float(spearmanr(requested, measured).statistic), float(kendalltau(requested, measured).statistic)


def violation_steps(
    requested: np.ndarray, measured: np.ndarray, groups: Sequence[Hashable] | None
) -> tuple[int, int, bool]:
    """(backward steps, steps, by source?): consecutive increases of requested level within each source with
    two levels or more, where measured decreases; else the steps of the control curve.

    Several outputs of one source at the same level are averaged first.

    >>> violation_steps(np.array([1, 2, 3, 1, 2, 3]), np.array([0.1, 0.5, 0.4, 0.2, 0.3, 0.6]), list("aaabbb"))
    (1, 4, True)
    """
    backward = steps = 0
    if groups is not None:
        by_group: dict[Hashable, dict[float, list[float]]] = {}
        for level, value, group in zip(requested, measured, groups, strict=True):
            if group is not None:
                by_group.setdefault(group, {}).setdefault(float(level), []).append(float(value))
        for levels in by_group.values():
            if len(levels) < 2:
                continue
            means = [float(np.mean(levels[level])) for level in sorted(levels)]
            steps += len(means) - 1
            backward += sum(b < a for a, b in itertools.pairwise(means))
        if steps:
            return backward, steps, True
    levels, curve, _ = control_curve(requested, measured)
    return sum(b < a for a, b in itertools.pairwise(curve)), max(len(levels) - 1, 0), False


def control_curve(
    requested: np.ndarray, measured: np.ndarray
) -> tuple[tuple[float, ...], tuple[float, ...], tuple[int, ...]]:
    """The requested levels (sorted), the mean measured intensity at each, and how many outputs each has.

    >>> control_curve(np.array([2, 1, 2]), np.array([0.5, 0.1, 0.7]))
    ((1.0, 2.0), (0.1, 0.6), (1, 2))
    """
    requested = np.asarray(requested, dtype=np.float64)
    measured = np.asarray(measured, dtype=np.float64)
    levels = np.unique(requested)
    means = tuple(round(float(measured[requested == level].mean()), 12) for level in levels)
    counts = tuple(int((requested == level).sum()) for level in levels)
    return tuple(float(level) for level in levels), means, counts


def controllability(
    requested: Sequence[float] | np.ndarray,
    measured: Sequence[float] | np.ndarray,
    groups: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Controllability:
    """Spearman, Kendall (with bootstrap intervals over sources, or outputs), violation rate and control curve.

    Pairs where either value is not finite are left out. With fewer than three pairs or a constant requested
    intensity the correlations are NaN, and ``note`` says why; a constant *measured* intensity (the output never
    changes) gives 0 with the interval [0, 0] and a note — a knob that does nothing, not a missing value.
    """
    requested = np.asarray(requested, dtype=np.float64).ravel()
    measured = np.asarray(measured, dtype=np.float64).ravel()
    if requested.size != measured.size or (groups is not None and len(groups) != requested.size):
        raise ValueError("requested, measured (and groups) must have one value per output")
    keep = np.isfinite(requested) & np.isfinite(measured)
    requested, measured = requested[keep], measured[keep]
    kept_groups = None if groups is None else [g for g, k in zip(groups, keep, strict=True) if k]
    n = int(requested.size)
    spearman, kendall = _rank_correlations(requested, measured)
    note = None
    if n < 3:
        note = f"{n} output(s) with a requested and a measured intensity: too few for a rank correlation"
    elif np.ptp(requested) == 0:
        note = "every output asked for the same intensity: controllability is undefined"
    elif np.ptp(measured) == 0:
        # a rank correlation with a constant is undefined; the knob visibly does nothing, so report none (0)
        note = "the measured intensity is the same for every output: the knob changes nothing measurable"
        spearman = kendall = 0.0
    backward, steps, _ = violation_steps(requested, measured, kept_groups)
    levels, curve, counts = control_curve(requested, measured) if n else ((), (), ())
    s_ci = k_ci = (math.nan, math.nan)
    if spearman == 0.0 and note is not None:
        s_ci = k_ci = (0.0, 0.0)  # every resample of a constant is constant
    elif note is None and n_resamples > 0:
        s_ci, k_ci = _bootstrap(requested, measured, kept_groups, confidence, n_resamples, seed)
    return Controllability(
        spearman=spearman,
        spearman_ci=s_ci,
        kendall=kendall,
        kendall_ci=k_ci,
        violation_rate=backward / steps if steps else math.nan,
        steps=steps,
        n=n,
        levels=levels,
        curve=curve,
        counts=counts,
        note=note,
    )


def _bootstrap(
    requested: np.ndarray,
    measured: np.ndarray,
    groups: Sequence[Hashable] | None,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Percentile intervals of Spearman and Kendall, resampling sources (or outputs) with replacement."""
    if groups is not None and any(g is not None for g in groups):
        # outputs without a source are sources of their own
        keys = [g if g is not None else ("__single__", i) for i, g in enumerate(groups)]
        unique = list(dict.fromkeys(keys))
        members = {key: [] for key in unique}
        for index, key in enumerate(keys):
            members[key].append(index)
        clusters = [np.array(members[key]) for key in unique]
    else:
        clusters = [np.array([i]) for i in range(len(requested))]
    rng = np.random.default_rng(seed)
    draws: list[tuple[float, float]] = []
    for _ in range(n_resamples):
        chosen = rng.integers(0, len(clusters), len(clusters))
        rows = np.concatenate([clusters[c] for c in chosen])
        draws.append(_rank_correlations(requested[rows], measured[rows]))
    values = np.array(draws, dtype=np.float64)
    tail = (1.0 - confidence) / 2.0 * 100.0

    def interval(column: np.ndarray) -> tuple[float, float]:
        column = column[np.isfinite(column)]
        if column.size < max(10, n_resamples // 2):  # most resamples had no defined value: no honest interval
            return math.nan, math.nan
        low, high = np.percentile(column, [tail, 100.0 - tail])
        return float(low), float(high)

    return interval(values[:, 0]), interval(values[:, 1])


def target_margin(probabilities: Sequence[float] | np.ndarray, labels: Sequence[str], target: str) -> float:
    """p(target) minus the largest probability of another label, in [−1, 1]: > 0 = the target wins, and by how
    much (a recognizer-based intensity of the target emotion).

    >>> target_margin([0.7, 0.2, 0.1], ["happy", "neutral", "sad"], "happy")
    0.49999999999999994
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    index = list(labels).index(target)
    others = np.delete(p, index)
    return float(p[index] - (others.max() if others.size else 0.0))


__all__ = ["Controllability", "control_curve", "controllability", "target_margin", "violation_steps"]
