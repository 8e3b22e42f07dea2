"""The shape every statistics result shares: ``to_frame()``, ``summary()``, ``to_dict()``, ``write()``."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.csv_safe import write_csv
from emoeval.errors import EmoevalError

if TYPE_CHECKING:
    import pandas as pd


class StatsError(EmoevalError, ValueError):
    """A statistic cannot be computed from the table or values given (the message says what to change)."""


def headline_sub_metric(metric: str, available: Sequence[str], rows: pd.DataFrame | None = None) -> str:
    """The sub-metric an analysis uses when none is named: the metric's headline output as the results table
    records it, else the first sub-metric the table lists.

    ``rows`` are table rows (any subset holding the metric's rows): the runner marks each row of the metric's
    headline output ``headline = True``. Tables written before that column existed (or rows without it) fall
    back to ``available[0]``, the first sub-metric listed. The live registry is never consulted: an analysis of
    old results gives the same answer whichever metrics and plug-ins are installed today.
    """
    if not available:
        raise StatsError(f"metric {metric!r} has no sub-metric rows in the table")
    marked = recorded_headline(metric, rows)
    return marked if marked in available else available[0]


def recorded_headline(metric: str, rows: pd.DataFrame | None) -> str | None:
    """The sub-metric the rows of ``metric`` mark as its headline (``headline`` column true), or None when they
    mark none (a table older than the column, or rows built without it)."""
    if rows is None or len(rows) == 0 or not {"metric", "sub_metric", "headline"} <= set(rows.columns):
        return None
    own = rows[rows["metric"].astype("string") == metric]
    flagged = own["sub_metric"][own["headline"].map(_true)]
    return str(flagged.iloc[0]) if len(flagged) else None


def _true(value: Any) -> bool:
    """A ``headline`` cell as written to Parquet (bool), or read back from CSV or JSON (text, 0/1)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    try:
        return bool(value) and value == value  # NA and NaN are not true
    except (TypeError, ValueError):  # pd.NA refuses bool()
        return False


def jsonable(value: Any) -> Any:
    """Plain JSON types: NaN → None, numpy scalars → Python numbers, frames → records."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [jsonable(record) for record in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


@dataclass
class StatsResult(ABC):
    """Base of analysis results (statsmodels style). ``warnings`` lists caveats a reader must see."""

    warnings: list[str] = field(default_factory=list, kw_only=True)

    @abstractmethod
    def to_frame(self) -> pd.DataFrame:
        """The result as a tidy table."""

    @abstractmethod
    def summary(self) -> str:
        """A short human-readable report (the table plus the warnings)."""

    def to_dict(self) -> dict[str, Any]:
        return {"table": jsonable(self.to_frame()), "warnings": list(self.warnings)}

    def write(self, out_dir: str | Path, stem: str) -> list[Path]:
        """Write ``<stem>.csv`` (the table) and ``<stem>.json`` (everything) into ``out_dir``."""
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, json_path = folder / f"{stem}.csv", folder / f"{stem}.json"
        write_csv(self.to_frame(), csv_path)
        json_path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n")
        return [csv_path, json_path]

    def _warnings_text(self) -> str:
        return "".join(f"\nwarning: {warning}" for warning in self.warnings)
