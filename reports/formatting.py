"""How numbers, intervals, directions, hashes and sizes read in the HTML report (one place, so every section agrees).

>>> format_value(0.98743), format_value(37.7044), format_value(53), format_value(2.8e-14), format_value(float("nan"))
('0.987', '37.7', '53.0', '2.8e-14', '—')
>>> format_interval(0.811, 0.879)
'[0.811, 0.879]'
>>> arrow(True), arrow(False), arrow(None)
('↑', '↓', '')
>>> format_bytes(1_234_567)
'1.23 MB'
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def is_missing(value: Any) -> bool:
    """None, pandas' NA, NaN, or an empty string."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip() == ""
    try:
        import pandas as pd

        return bool(value is pd.NA or (not isinstance(value, list | tuple | dict) and pd.isna(value)))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float:
    """A float, NaN for anything missing or not a number."""
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def as_text(value: Any) -> str | None:
    """A string, or None for anything missing."""
    return None if is_missing(value) else str(value)


def format_value(value: Any) -> str:
    """Three decimals below 10 (0.987), three significant digits from 10 up (37.7, 53.0, 123; larger whole
    numbers keep their digits: 1234), two significant digits for tiny non-zero values (2.8e-14); an em dash for
    a missing value."""
    number = as_float(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    size = abs(number)
    if number == 0 or 1e-3 <= size < 10:
        return f"{number:.3f}"
    if size < 1e-3:
        return f"{number:.2g}"
    if size < 1e5:
        return f"{number:.{max(0, 2 - math.floor(math.log10(size)))}f}"
    return f"{number:.3g}"


def format_signed(value: Any) -> str:
    """A difference with its sign (``+0.143``, ``-0.143``, ``0.000`` for zero).

    >>> format_signed(0.1426), format_signed(-0.0)
    ('+0.143', '0.000')
    """
    number = as_float(value)
    if math.isnan(number):
        return MISSING
    text = format_value(abs(number))
    if number == 0 or set(text) <= set("0.,"):
        return text
    return ("+" if number > 0 else "-") + text


def format_interval(low: Any, high: Any) -> str:
    """``[low, high]``, or an empty string when either end is missing."""
    if math.isnan(as_float(low)) or math.isnan(as_float(high)):
        return ""
    return f"[{format_value(low)}, {format_value(high)}]"


def format_p(value: Any) -> str:
    """A p-value: ``< 0.001`` below a thousandth, else three decimals."""
    number = as_float(value)
    if math.isnan(number):
        return MISSING
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def arrow(higher_is_better: Any) -> str:
    """↑ (higher is better), ↓ (lower is better) or nothing (no direction, e.g. a count)."""
    if is_missing(higher_is_better):
        return ""
    return "↑" if bool(higher_is_better) else "↓"


def direction_text(higher_is_better: Any) -> str:
    if is_missing(higher_is_better):
        return "no direction"
    return "higher is better" if bool(higher_is_better) else "lower is better"


def short_hash(value: Any, length: int = 12) -> str:
    """The first ``length`` characters of a hash (the full one belongs in a tooltip)."""
    text = as_text(value) or ""
    return text[:length] + ("…" if len(text) > length else "")


def format_bytes(size: float) -> str:
    """Decimal units, as file managers show them: 980 B, 12.3 kB, 1.23 MB."""
    if size < 1000:
        return f"{int(size)} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.2f} MB"
