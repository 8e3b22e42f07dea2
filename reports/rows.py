"""The kinds of rows a results table holds, selected the same way by every section of the report.

A results table (:mod:`emoeval.results`) mixes per-sample rows (``scope == "sample"``) and system rows: overall
values (means of sample metrics, corpus metrics, system statistics such as macro-F1), per-emotion values
(``target_emotion`` set: per-class recall, per-emotion FID) and confusion-matrix cells (``statistic == "count"``,
true class in ``target_emotion``, predicted class in ``label``). These functions pick each kind, whatever the
metric, so the report works for any metric from its names, sub-metrics, directions and statistics alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from emoeval.reports.formatting import is_missing

if TYPE_CHECKING:
    import pandas as pd

COUNT_STATISTIC = "count"


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as pandas strings with blanks as NA (tables read back from CSV may have empty strings)."""
    import pandas as pd

    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string")
    return values.mask(values.str.strip() == "")


def system_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[_text(table, "scope") == "system"]


def overall_system_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One value per system and (metric, sub-metric): no emotion, no label, not a count."""
    rows = system_rows(table)
    keep = _text(rows, "target_emotion").isna() & _text(rows, "label").isna()
    keep &= _text(rows, "statistic").fillna("") != COUNT_STATISTIC
    return rows[keep]


def per_emotion_system_rows(table: pd.DataFrame) -> pd.DataFrame:
    """System values within one target emotion (per-class recall, per-emotion FID); not confusion cells."""
    rows = system_rows(table)
    keep = _text(rows, "target_emotion").notna() & _text(rows, "label").isna()
    keep &= _text(rows, "statistic").fillna("") != COUNT_STATISTIC
    return rows[keep]


def confusion_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Confusion-matrix cells: counts with the true class in ``target_emotion`` and the predicted in ``label``."""
    rows = system_rows(table)
    keep = (_text(rows, "statistic") == COUNT_STATISTIC) & _text(rows, "target_emotion").notna()
    return rows[keep & _text(rows, "label").notna()]


def sample_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[_text(table, "scope") == "sample"]


def scored_sample_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Per-sample rows with a finite value and no error."""
    import numpy as np
    import pandas as pd

    rows = sample_rows(table)
    values = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    ok = np.isfinite(values.to_numpy()) & _text(rows, "error").isna().to_numpy()
    return rows[ok]


def in_order(values: Iterable[Any]) -> list[str]:
    """Distinct non-missing values as strings, in order of first appearance."""
    return list(dict.fromkeys(str(value) for value in values if not is_missing(value)))


def metric_keys(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """Distinct (metric, sub-metric) pairs in table order (the runner writes metrics in the order they ran)."""
    return list(dict.fromkeys(zip(rows["metric"].astype(str), rows["sub_metric"].astype(str), strict=True)))


def direction(rows: pd.DataFrame) -> bool | None:
    """``higher_is_better`` of rows of one sub-metric: True, False, or None when the rows give no direction."""
    if "higher_is_better" not in rows.columns:
        return None
    known = rows["higher_is_better"].dropna()
    return bool(known.iloc[0]) if len(known) else None


def emotion_order(labels: Iterable[Any]) -> list[str]:
    """Labels in emoeval's canonical vocabulary order, then any other label alphabetically."""
    from emoeval.labels import CANONICAL_LABELS

    distinct = set(in_order(labels))
    known = [label for label in CANONICAL_LABELS if label in distinct]
    return known + sorted(distinct - set(known))


def headline(metric: str, sub_metrics: Sequence[str], rows: pd.DataFrame | None) -> str:
    """The metric's headline output as the results table marks it (``headline`` column of ``rows``, any subset
    holding the metric's rows) when it is among ``sub_metrics``, else the first sub-metric listed (tables written
    before the column existed). Never the live registry: a report of old results does not change with the
    metrics and plug-ins installed today."""
    from emoeval.stats._result import recorded_headline

    marked = recorded_headline(metric, rows)
    return marked if marked in sub_metrics else sub_metrics[0]


def metric_modalities(run: Mapping[str, Any] | None) -> dict[str, str]:
    """Each metric's modality as the run recorded it (``run.json``: ``config.metrics[*]``, by label), so a
    report places a metric without looking it up in the registry; empty for a run that records none (then the
    report places a metric by the modality of the systems it scored, or under "other")."""
    found: dict[str, str] = {}
    config = (run or {}).get("config")
    records = config.get("metrics") if isinstance(config, Mapping) else None
    for record in records if isinstance(records, list) else ():
        if isinstance(record, Mapping) and record.get("modality"):
            label = record.get("label") or record.get("name")
            if label:
                found[str(label)] = str(record["modality"])
    return found
