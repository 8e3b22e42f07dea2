"""Which system is best on a leaderboard column, and only when the data say so.

A sample metric's column (system means of per-sample values) is judged by the statistics layer:
:func:`emoeval.stats.compare.compare_systems` runs paired tests on the samples' groups for every pair of
systems (sign-flip permutation test, Holm-corrected), and the top system is *best* only when it forms a
significance cluster of its own, i.e. it is significantly better than every other system.

A column with no per-sample values (a corpus metric such as FID, or a system statistic such as macro-F1) has no
pairs to test; its top system is marked only when its confidence interval does not overlap any other system's
interval, a conservative rule: for two independent estimates, non-overlapping 95 % intervals mean a two-sided
p below 0.05 whatever their standard errors, and about 0.006 when they are equal (Schenker & Gentleman 2001).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emoeval.reports.formatting import as_float, as_text

if TYPE_CHECKING:
    import pandas as pd

PAIRED_METHOD = "paired sign-flip permutation test on shared groups, Holm-corrected"
INTERVAL_METHOD = "confidence intervals that overlap no other system's"


@dataclass(frozen=True)
class PairResult:
    """One tested pair: ``diff`` = mean(a) − mean(b) on their shared groups, its interval, raw and adjusted p,
    and the significantly better system (``None`` when the difference is not significant)."""

    system_a: str
    system_b: str
    n_pairs: int
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    better: str | None


@dataclass(frozen=True)
class Significance:
    """The verdict on one column: ``best`` (or None) with the ``reason``, the ranking (best first), the
    significance clusters and the tested pairs."""

    metric: str
    sub_metric: str
    higher_is_better: bool | None
    method: str
    best: str | None
    reason: str
    ranking: tuple[str, ...] = ()
    clusters: tuple[tuple[str, ...], ...] = ()
    pairs: tuple[PairResult, ...] = ()
    warnings: tuple[str, ...] = ()
    alpha: float = 0.05

    def pair(self, first: str, second: str) -> PairResult | None:
        """The tested pair of these two systems, in either order."""
        for result in self.pairs:
            if {result.system_a, result.system_b} == {first, second}:
                return result
        return None


def paired_significance(
    table: pd.DataFrame,
    metric: str,
    sub_metric: str,
    *,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Significance:
    """Paired tests between all systems on the per-sample values of ``metric``/``sub_metric``."""
    from emoeval.errors import EmoevalError
    from emoeval.stats.compare import compare_systems

    try:
        result = compare_systems(
            table, metric=metric, sub_metric=sub_metric, alpha=alpha, n_resamples=n_resamples, seed=seed
        )
    except EmoevalError as exc:
        return Significance(metric, sub_metric, None, PAIRED_METHOD, None, f"no paired test: {exc}", alpha=alpha)
    pairs = tuple(
        PairResult(
            system_a=str(row.system_a),
            system_b=str(row.system_b),
            n_pairs=int(row.n_pairs),
            diff=as_float(row.diff),
            ci_low=as_float(row.ci_low),
            ci_high=as_float(row.ci_high),
            p_value=as_float(row.p_value),
            p_adjusted=as_float(row.p_adjusted),
            better=as_text(row.better),
        )
        for row in result.table.itertuples()
    )
    ranking = tuple(str(system) for system in result.systems["system"])
    clusters = tuple(tuple(cluster) for cluster in result.clusters or [])
    if len(ranking) < 2:
        best, reason = None, "only one system"
    elif clusters and len(clusters[0]) == 1:
        best = clusters[0][0]
        reason = f"{best} is significantly better than every other system (adjusted p < {alpha:g})"
    else:
        top = ", ".join(clusters[0]) if clusters else ", ".join(ranking)
        best, reason = None, f"no system is significantly better than all others (top cluster: {top})"
    return Significance(
        metric=metric,
        sub_metric=sub_metric,
        higher_is_better=result.higher_is_better,
        method=PAIRED_METHOD,
        best=best,
        reason=reason,
        ranking=ranking,
        clusters=clusters,
        pairs=pairs,
        warnings=tuple(result.warnings),
        alpha=alpha,
    )


def interval_significance(
    metric: str,
    sub_metric: str,
    estimates: dict[str, tuple[float, float, float]],
    higher_is_better: bool | None,
) -> Significance:
    """Best by non-overlapping intervals: ``estimates`` maps system → (value, ci_low, ci_high).

    >>> interval_significance("m", "s", {"a": (0.9, 0.85, 0.95), "b": (0.5, 0.4, 0.6)}, True).best
    'a'
    >>> interval_significance("m", "s", {"a": (0.9, 0.55, 0.95), "b": (0.5, 0.4, 0.6)}, True).best is None
    True
    """
    finite = {system: values for system, values in estimates.items() if all(math.isfinite(value) for value in values)}
    if higher_is_better is None:
        return Significance(metric, sub_metric, None, INTERVAL_METHOD, None, "no direction: no best")
    ranking = tuple(sorted(finite, key=lambda system: finite[system][0], reverse=higher_is_better))
    if len(estimates) < 2:
        return Significance(metric, sub_metric, higher_is_better, INTERVAL_METHOD, None, "only one system", ranking)
    if len(finite) < len(estimates):
        return Significance(
            metric, sub_metric, higher_is_better, INTERVAL_METHOD, None, "a system has no interval", ranking
        )
    top, others = ranking[0], ranking[1:]
    _, low, high = finite[top]
    if higher_is_better:
        separated = all(low > finite[other][2] for other in others)
    else:
        separated = all(high < finite[other][1] for other in others)
    if separated:
        reason = f"{top}'s interval overlaps no other system's"
        return Significance(metric, sub_metric, higher_is_better, INTERVAL_METHOD, top, reason, ranking)
    reason = f"{top}'s interval overlaps another system's: no system is clearly best"
    return Significance(metric, sub_metric, higher_is_better, INTERVAL_METHOD, None, reason, ranking)


@dataclass(frozen=True)
class MatrixCell:
    """The row system against the column system: mean difference (row − column), adjusted p, and whether the
    row system is significantly better (True), worse (False) or neither (None)."""

    diff: float
    p_adjusted: float
    n_pairs: int
    row_better: bool | None


def pairwise_matrix(systems: Sequence[str], pairs: Sequence[PairResult]) -> tuple[tuple[MatrixCell | None, ...], ...]:
    """Systems × systems: each tested pair seen from its row system (None on the diagonal and for pairs that
    were not tested, e.g. in a comparison against a baseline).

    >>> pair = PairResult("a", "b", 6, 0.2, 0.1, 0.3, 0.03, 0.03, "a")
    >>> matrix = pairwise_matrix(["a", "b"], [pair])
    >>> matrix[0][1].row_better, matrix[1][0].row_better, matrix[1][0].diff
    (True, False, -0.2)
    """
    lookup = {(pair.system_a, pair.system_b): pair for pair in pairs}
    rows = []
    for first in systems:
        cells: list[MatrixCell | None] = []
        for second in systems:
            direct, flipped = lookup.get((first, second)), lookup.get((second, first))
            pair = direct or flipped
            if first == second or pair is None:
                cells.append(None)
                continue
            sign = 1.0 if direct is not None else -1.0
            better = None if not pair.better else pair.better == first
            cells.append(MatrixCell(sign * pair.diff, pair.p_adjusted, pair.n_pairs, better))
        rows.append(tuple(cells))
    return tuple(rows)
