"""Per-emotion breakdowns: each system's value within each target emotion, and confusion matrices of
recognizer-based metrics (true class × predicted class).

Per-emotion values come from the system rows a metric wrote itself (per-class recall, per-emotion FID) or,
for a sample metric that wrote none, from the mean of its headline output over each emotion's samples with a
seeded bootstrap interval (the same interval the runner computes for system means).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emoeval.reports.formatting import as_float, as_text
from emoeval.reports.rows import (
    confusion_rows,
    direction,
    emotion_order,
    headline,
    in_order,
    metric_keys,
    per_emotion_system_rows,
    scored_sample_rows,
)

if TYPE_CHECKING:
    import pandas as pd

SYSTEM_ROWS = "system rows"
SAMPLE_MEANS = "sample means"


@dataclass(frozen=True)
class EmotionCell:
    value: float
    ci_low: float
    ci_high: float
    n: int | None


@dataclass(frozen=True)
class EmotionTable:
    """Systems (rows) × target emotions (columns) for one metric output; ``source`` says where the values come
    from (the metric's own per-emotion rows, or means of per-sample values)."""

    metric: str
    sub_metric: str
    higher_is_better: bool | None
    source: str
    emotions: tuple[str, ...]
    systems: tuple[str, ...]
    cells: tuple[tuple[EmotionCell | None, ...], ...]

    @property
    def value_range(self) -> tuple[float, float]:
        values = [cell.value for row in self.cells for cell in row if cell is not None and math.isfinite(cell.value)]
        return (min(values), max(values)) if values else (math.nan, math.nan)


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of (true, predicted) classes for one system; ``true_labels`` index rows, ``predicted_labels``
    columns. ``accuracy`` is the share on the diagonal (a true class predicted as itself)."""

    metric: str
    sub_metric: str
    system: str
    true_labels: tuple[str, ...]
    predicted_labels: tuple[str, ...]
    counts: tuple[tuple[float, ...], ...]

    @property
    def total(self) -> float:
        return float(sum(sum(row) for row in self.counts))

    @property
    def accuracy(self) -> float:
        if not self.total:
            return math.nan
        hits = sum(
            self.counts[i][self.predicted_labels.index(label)]
            for i, label in enumerate(self.true_labels)
            if label in self.predicted_labels
        )
        return float(hits) / self.total

    @property
    def row_shares(self) -> tuple[tuple[float, ...], ...]:
        """Each row divided by its total (NaN for an empty row): the share of a true class predicted as each."""
        shares = []
        for row in self.counts:
            total = sum(row)
            shares.append(tuple(value / total if total else math.nan for value in row))
        return tuple(shares)


def _table_from_rows(metric: str, sub_metric: str, rows: pd.DataFrame, source: str) -> EmotionTable:
    emotions = tuple(emotion_order(rows["target_emotion"]))
    systems = tuple(sorted(in_order(rows["system"])))
    lookup = {
        (str(row.system), str(row.target_emotion)): EmotionCell(
            as_float(row.value),
            as_float(row.ci_low),
            as_float(row.ci_high),
            None if as_text(row.n) is None else int(row.n),
        )
        for row in rows.itertuples()
    }
    cells = tuple(tuple(lookup.get((system, emotion)) for emotion in emotions) for system in systems)
    return EmotionTable(metric, sub_metric, direction(rows), source, emotions, systems, cells)


def emotion_tables(
    table: pd.DataFrame, *, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> list[EmotionTable]:
    """Per-emotion tables: the metric's own per-emotion rows, else per-emotion means of its headline output
    (only when its samples span at least two target emotions)."""
    import pandas as pd

    from emoeval.stats.aggregate import mean_with_ci

    tables: list[EmotionTable] = []
    own = per_emotion_system_rows(table)
    covered = set()
    for metric, sub_metric in metric_keys(own):
        rows = own[(own["metric"].astype(str) == metric) & (own["sub_metric"].astype(str) == sub_metric)]
        tables.append(_table_from_rows(metric, sub_metric, rows, SYSTEM_ROWS))
        covered.add(metric)
    scored = scored_sample_rows(table)
    scored = scored[scored["target_emotion"].notna()]
    for metric in in_order(scored["metric"]):
        if metric in covered:
            continue
        rows = scored[scored["metric"].astype(str) == metric]
        sub_metric = headline(metric, in_order(rows["sub_metric"]), table)
        rows = rows[rows["sub_metric"].astype(str) == sub_metric]
        if len(in_order(rows["target_emotion"])) < 2:
            continue
        records = []
        for (system, emotion), group in rows.groupby(["system", "target_emotion"], sort=True):
            estimate = mean_with_ci(
                pd.to_numeric(group["value"]).to_numpy(float),
                confidence=confidence,
                n_resamples=n_resamples,
                seed=seed,
            )
            records.append(
                {
                    "system": system,
                    "target_emotion": emotion,
                    "value": estimate.value,
                    "ci_low": estimate.ci_low,
                    "ci_high": estimate.ci_high,
                    "n": estimate.n,
                    "higher_is_better": direction(group),
                }
            )
        tables.append(_table_from_rows(metric, sub_metric, pd.DataFrame.from_records(records), SAMPLE_MEANS))
    return tables


def confusion_matrices(table: pd.DataFrame) -> list[ConfusionMatrix]:
    """One matrix per (metric, sub-metric, system) of confusion cells; classes in the canonical emotion order."""
    rows = confusion_rows(table)
    matrices = []
    for metric, sub_metric in metric_keys(rows):
        cells = rows[(rows["metric"].astype(str) == metric) & (rows["sub_metric"].astype(str) == sub_metric)]
        true_labels = tuple(emotion_order(cells["target_emotion"]))
        predicted = tuple(emotion_order(cells["label"]))
        for system in sorted(in_order(cells["system"])):
            own = cells[cells["system"].astype(str) == system]
            lookup = {(str(row.target_emotion), str(row.label)): as_float(row.value) for row in own.itertuples()}
            counts = tuple(
                tuple(
                    0.0 if math.isnan(lookup.get((true, guess), math.nan)) else lookup[true, guess]
                    for guess in predicted
                )
                for true in true_labels
            )
            matrices.append(ConfusionMatrix(metric, sub_metric, system, true_labels, predicted, counts))
    return matrices
