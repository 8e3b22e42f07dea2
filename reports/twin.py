"""The machine-readable twin of a report: every number the page shows, as JSON (``report.json`` beside the
HTML, and embedded in the page as ``<script type="application/json" id="emoeval-report-data">``).

Dataclasses become objects with their fields and their derived properties (a confusion matrix's accuracy, a
distribution's range...), NaN becomes null, and media carry their type, size and note but never the embedded
bytes. :func:`script_json` makes JSON safe to embed in a ``<script>`` element: ``<``, ``>`` and ``&`` are
written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no ``</script>`` or ``<!--`` in a system name or text can end
the element early (what Django's ``json_script`` does).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from markupsafe import Markup

from emoeval.reports.media import MediaRef

SCHEMA = "emoeval-report/1"
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _properties(value: Any) -> dict[str, Any]:
    names = [
        name
        for klass in type(value).__mro__
        for name, member in vars(klass).items()
        if isinstance(member, property) and not name.startswith("_")
    ]
    return {name: getattr(value, name) for name in dict.fromkeys(names)}


def jsonable(value: Any) -> Any:
    """Plain JSON types for the twin (see the module docstring).

    >>> jsonable({"x": float("nan"), "y": (1, 2.5)})
    {'x': None, 'y': [1, 2.5]}
    """
    if isinstance(value, MediaRef):
        linked = value.src if value.src and not value.src.startswith("data:") else None
        return {
            "embedded": bool(value.embedded_bytes),
            "mime": value.mime,
            "bytes": value.embedded_bytes,
            "link": linked,
            "note": value.note,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {field.name: jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)}
        data.update({name: jsonable(item) for name, item in _properties(value).items()})
        return data
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(item) for item in items]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def dumps(data: Any, *, indent: int | None = None) -> str:
    """Deterministic JSON: sorted keys, no NaN."""
    return json.dumps(jsonable(data), sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False)


def script_json(data: Any) -> Markup:
    """JSON that can sit inside ``<script type="application/json">`` whatever strings it holds.

    >>> str(script_json({"name": "</script><!--"}))
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = dumps(data)
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return Markup(text)
