"""The kinds of rows a results table holds, selected the same way by every section of the report.

A results table (:mod:`emoeval.results`) mixes per-sample rows (``scope == "sample"``) and system rows: overall
values (means of sample metrics, corpus metrics, system statistics such as macro-F1), per-emotion values
(``target_emotion`` set: per-class recall, per-emotion FID) and confusion-matrix cells (``statistic == "count"``,
true class in ``target_emotion``, predicted class in ``label``). These functions pick each kind, whatever the
metric, so the report works for any metric from its names, sub-metrics, directions and statistics alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def headline(metric: str, sub_metrics: Sequence[str]) -> str:
    """The metric's headline output when it is registered and present, else the first sub-metric listed."""
    from emoeval.errors import EmoevalError
    from emoeval.registry import get_metric_class

    try:
        name = get_metric_class(metric).spec.headline.name
    except EmoevalError:
        return sub_metrics[0]
    return name if name in sub_metrics else sub_metrics[0]


def modality_of(metric: str, fallback: str = "other") -> str:
    """The registered metric's modality (face, speech, text), or ``fallback`` for a metric not installed here."""
    from emoeval.errors import EmoevalError
    from emoeval.registry import get_metric_class

    try:
        return str(get_metric_class(metric).spec.modality)
    except EmoevalError:
        return fallback
