"""The leaderboard: systems × metric outputs, with values, confidence intervals, directions, and the best
system of a column marked only when it is significantly better (:mod:`emoeval.reports.significance`).

One table per modality (face, speech, text; ``other`` for metrics not installed here), since systems of one
modality are never scored by another's metrics. Columns come from the overall system rows of the results
table (no emotion, no label, not a count), in the order the metrics ran, headline output first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emoeval.reports.formatting import as_float, as_text
from emoeval.reports.rows import (
    direction,
    headline,
    in_order,
    metric_keys,
    overall_system_rows,
    scored_sample_rows,
)
from emoeval.reports.significance import Significance, interval_significance, paired_significance

if TYPE_CHECKING:
    import pandas as pd

MODALITY_ORDER = ("face", "speech", "text")


@dataclass(frozen=True)
class Column:
    """One metric output: its direction, the statistic behind the values (``mean`` of sample values,
    ``corpus`` for a corpus metric, ``value`` for a system statistic) and the verdict on its best system."""

    metric: str
    sub_metric: str
    higher_is_better: bool | None
    statistic: str
    is_headline: bool
    significance: Significance

    @property
    def key(self) -> str:
        return f"{self.metric}/{self.sub_metric}"


@dataclass(frozen=True)
class Cell:
    value: float
    ci_low: float
    ci_high: float
    n: int | None
    best: bool = False
    warning: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Row:
    system: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Leaderboard:
    modality: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def groups(self) -> list[tuple[str, int]]:
        """(metric, number of its columns) in column order, for the grouped table header."""
        groups: list[tuple[str, int]] = []
        for column in self.columns:
            if groups and groups[-1][0] == column.metric:
                groups[-1] = (column.metric, groups[-1][1] + 1)
            else:
                groups.append((column.metric, 1))
        return groups


def _significance(
    table: pd.DataFrame,
    column_rows: pd.DataFrame,
    metric: str,
    sub_metric: str,
    statistic: str,
    higher_is_better: bool | None,
    has_samples: bool,
    *,
    alpha: float,
    n_resamples: int,
    seed: int,
) -> Significance:
    if statistic == "mean" and has_samples and higher_is_better is not None:
        return paired_significance(table, metric, sub_metric, alpha=alpha, n_resamples=n_resamples, seed=seed)
    estimates = {
        str(row.system): (as_float(row.value), as_float(row.ci_low), as_float(row.ci_high))
        for row in column_rows.itertuples()
    }
    return interval_significance(metric, sub_metric, estimates, higher_is_better)


def build_leaderboards(
    table: pd.DataFrame,
    *,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
    system_modality: Mapping[str, str] | None = None,
    metric_modality: Mapping[str, str] | None = None,
    modality_lookup: Callable[[str, str], str] | None = None,
) -> list[Leaderboard]:
    """Leaderboards of a results table, one per modality.

    A metric's modality is the one the run recorded (``metric_modality``, label → modality, from ``run.json``:
    :func:`~emoeval.reports.rows.metric_modalities`); for a run that recorded none, the modality of the systems
    it scored (``system_modality``, system → modality, from the manifest), else "other". ``modality_lookup(metric,
    fallback)`` replaces that rule (tests). The registry is never consulted, so a report of old results does not
    depend on which metrics are installed today.
    """

    def recorded(metric: str, fallback: str) -> str:
        return (metric_modality or {}).get(metric) or fallback

    lookup = modality_lookup or recorded
    overall = overall_system_rows(table)
    scored = scored_sample_rows(table)
    sampled = set(metric_keys(scored)) if len(scored) else set()
    keys = metric_keys(overall)
    by_metric: dict[str, list[str]] = {}
    for metric, sub_metric in keys:
        by_metric.setdefault(metric, []).append(sub_metric)
    columns_by_modality: dict[str, list[Column]] = {}
    values: dict[tuple[str, str], pd.DataFrame] = {}
    for metric, subs in by_metric.items():
        first = headline(metric, subs, table)
        ordered = [first, *[sub for sub in subs if sub != first]]
        metric_rows = overall[overall["metric"].astype(str) == metric]
        systems = in_order(metric_rows["system"])
        fallback = in_order((system_modality or {}).get(system) for system in systems)
        modality = lookup(metric, fallback[0] if len(fallback) == 1 else "other")
        for sub in ordered:
            rows = metric_rows[metric_rows["sub_metric"].astype(str) == sub]
            statistic = (in_order(rows["statistic"]) or ["value"])[0]
            higher = direction(rows)
            significance = _significance(
                table,
                rows,
                metric,
                sub,
                statistic,
                higher,
                (metric, sub) in sampled,
                alpha=alpha,
                n_resamples=n_resamples,
                seed=seed,
            )
            columns_by_modality.setdefault(modality, []).append(
                Column(metric, sub, higher, statistic, sub == first, significance)
            )
            values[metric, sub] = rows
    boards = []
    order = [*MODALITY_ORDER, *sorted(set(columns_by_modality) - set(MODALITY_ORDER))]
    for modality in order:
        columns = columns_by_modality.get(modality)
        if not columns:
            continue
        systems = sorted(
            {str(system) for column in columns for system in values[column.metric, column.sub_metric]["system"]}
        )
        rows_out = []
        for system in systems:
            cells: list[Cell | None] = []
            for column in columns:
                match = values[column.metric, column.sub_metric]
                match = match[match["system"].astype(str) == system]
                if match.empty:
                    cells.append(None)
                    continue
                row = match.iloc[0]
                n = row.get("n")
                cells.append(
                    Cell(
                        value=as_float(row.get("value")),
                        ci_low=as_float(row.get("ci_low")),
                        ci_high=as_float(row.get("ci_high")),
                        n=None if as_text(n) is None else int(n),
                        best=column.significance.best == system,
                        warning=as_text(row.get("warning")),
                        error=as_text(row.get("error")),
                    )
                )
            rows_out.append(Row(system=system, cells=tuple(cells)))
        boards.append(Leaderboard(modality=modality, columns=tuple(columns), rows=tuple(rows_out)))
    return boards
