"""CSV files that are safe to open in a spreadsheet (no formula injection).

A spreadsheet program (Excel, LibreOffice Calc, Google Sheets) evaluates a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and a leading tab or carriage return can hide such a start; a system name like
``=cmd|' /C calc'!A0`` or ``@HYPERLINK(...)`` in a results table would then run when someone opens the CSV.
Every CSV emoeval writes goes through :func:`write_csv`, which applies the OWASP rule ("CSV Injection"): a text
cell (or column name) that starts with one of those characters gets a leading single quote ``'``, which
spreadsheets show as text and do not evaluate. Numbers are never changed — numeric columns are written as
numbers, and a text cell that is a plain number (``-0.5``, ``+3``, ``1e-3``) is left as it is, since a
spreadsheet reads it as that number, not as a formula. The Parquet and JSON copies keep the exact strings;
read those when you need the original text (or strip one leading ``'`` from a neutralised cell).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: first characters a spreadsheet treats as the start of a formula (or that can hide one)
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _is_plain_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and text.strip() == text


def neutralize_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is a text that a spreadsheet would evaluate as a formula.

    >>> neutralize_cell("=1+1"), neutralize_cell("@SUM(A1)"), neutralize_cell("-0.25"), neutralize_cell(-3.0)
    ("'=1+1", "'@SUM(A1)", '-0.25', -3.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _is_plain_number(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised (numbers untouched)."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        # object dtype: the CSV text is the same, and categoricals need not know the new spellings
        safe[column] = series.astype(object).map(neutralize_cell, na_action="ignore")
    safe.columns = [neutralize_cell(str(name)) if isinstance(name, str) else name for name in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` to ``path`` as a spreadsheet-safe CSV (keyword arguments go to ``DataFrame.to_csv``;
    the index is left out unless ``index=True``)."""
    target = Path(path)
    to_csv.setdefault("index", False)
    spreadsheet_safe(frame).to_csv(target, **to_csv)
    return target


__all__ = ["FORMULA_TRIGGERS", "neutralize_cell", "spreadsheet_safe", "write_csv"]
