"""Prompt sets: the requests a generator is asked to fulfil, one per row.

A prompt set has the columns of a sample manifest without the output (:mod:`emoeval.samples`):

==================  ===========================================================================================
``request_id``      unique id; becomes the ``sample_id`` of the output (required)
``modality``        what the generator produces: ``face``, ``speech``, ``text``, ``signal``... (required)
``target_emotion``  the emotion asked for (any label :func:`emoeval.labels.normalize_label` knows, or of the
                    ``label_set`` given); empty for none
``intensity``       the intensity asked for (a number), optional
``reference``       a file the request starts from: the source face to edit, the reference voice, a real
                    recording; relative paths resolve against the prompt set's folder
``text``            what to say (TTS), or the prompt of a text generator
``context``         a dialogue history (a JSON list of turns, oldest first, or one plain string)
``group``           the source item or bundle (outputs sharing it are compared together)
==================  ===========================================================================================

Any other column is kept in :attr:`Request.meta` and reaches the generator too (a speaker id, a seed).
Formats: CSV, JSONL, Parquet, a :class:`pandas.DataFrame` or a list of dicts. Every problem is a
:class:`~emoeval.errors.ManifestError` naming the row and the fix.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import ManifestError, UnknownLabelError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED_COLUMNS: tuple[str, ...] = ("request_id", "modality")
#: the columns a request knows by name (anything else goes to ``meta``)
REQUEST_COLUMNS: tuple[str, ...] = (
    "request_id",
    "modality",
    "target_emotion",
    "intensity",
    "reference",
    "text",
    "context",
    "group",
)


@dataclass(frozen=True)
class Request:
    """One thing to generate (module docstring for the fields)."""

    request_id: str
    modality: str
    target_emotion: str | None = None
    intensity: float | None = None
    reference: str | None = None
    text: str | None = None
    context: tuple[str, ...] | None = None
    group: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The request as plain JSON-ready values (None for what it lacks): what a callable or an HTTP endpoint
        receives, and what a command template's ``{name}`` placeholders read."""
        return {
            "request_id": self.request_id,
            "modality": self.modality,
            "target_emotion": self.target_emotion,
            "intensity": self.intensity,
            "reference": self.reference,
            "text": self.text,
            "context": list(self.context) if self.context is not None else None,
            "group": self.group,
            **dict(self.meta),
        }


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _context(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(turn) for turn in value)
    text = str(value)
    if not text.strip().startswith("["):
        return (text,)
    try:
        turns = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{where}: context starts with '[' but is not a JSON list of turns ({exc.msg})") from None
    if not isinstance(turns, list):
        raise ManifestError(f"{where}: context must be a JSON list of turns (strings), oldest first")
    return tuple(str(turn) for turn in turns)


def request_from_record(
    record: Mapping[str, Any], where: str, *, base_dir: Path | None = None, label_set: str | None = None
) -> Request:
    """One :class:`Request` from a row (``where`` names it in errors)."""
    from emoeval.labels import normalize_label

    for column in REQUIRED_COLUMNS:
        if _missing(record.get(column)):
            raise ManifestError(
                f"{where}: column {column!r} is empty; every request needs {', '.join(REQUIRED_COLUMNS)}"
            )
    emotion = record.get("target_emotion")
    try:
        target = None if _missing(emotion) else normalize_label(str(emotion), label_set)
    except UnknownLabelError as exc:
        raise ManifestError(f"{where}: {exc}") from None
    raw_intensity = record.get("intensity")
    intensity = None
    if not _missing(raw_intensity):
        try:
            intensity = float(raw_intensity)
        except (TypeError, ValueError):
            raise ManifestError(f"{where}: intensity {raw_intensity!r} is not a number") from None
    reference = record.get("reference")
    if not _missing(reference):
        path = Path(str(reference)).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        reference = os.path.normpath(path)  # "prompts/../demo/x.jpg" → "demo/x.jpg", links kept
    else:
        reference = None
    text = record.get("text")
    context = record.get("context")
    meta = {
        str(key): str(value)
        for key, value in record.items()
        if key not in REQUEST_COLUMNS and not _missing(value) and not str(key).startswith("Unnamed:")
    }
    return Request(
        request_id=str(record["request_id"]).strip(),
        modality=str(record["modality"]).strip().lower(),
        target_emotion=target,
        intensity=intensity,
        reference=reference,
        text=None if _missing(text) else str(text),
        context=None if _missing(context) else _context(context, where),
        group=None if _missing(record.get("group")) else str(record["group"]).strip(),
        meta=meta,
    )


def requests_from_records(
    records: Sequence[Mapping[str, Any]],
    *,
    source: str = "prompt set",
    base_dir: Path | None = None,
    label_set: str | None = None,
    first_row_number: int = 1,
) -> list[Request]:
    """Requests from rows; duplicate ``request_id`` values are refused (each names one output file)."""
    requests: list[Request] = []
    seen: dict[str, int] = {}
    for offset, record in enumerate(records):
        number = first_row_number + offset
        where = f"{source}, row {number}"
        request = request_from_record(record, where, base_dir=base_dir, label_set=label_set)
        if request.request_id in seen:
            raise ManifestError(
                f"{where}: request_id {request.request_id!r} is also on row {seen[request.request_id]}; ids must be "
                "unique (each names one output)"
            )
        seen[request.request_id] = number
        requests.append(request)
    if not requests:
        raise ManifestError(f"{source}: the prompt set holds no request")
    return requests


def read_requests(
    source: str | Path | pd.DataFrame | Sequence[Mapping[str, Any]], *, label_set: str | None = None
) -> list[Request]:
    """Read a prompt set (CSV, JSONL, Parquet, a DataFrame or a list of dicts; ``example:faces``, ``example:speech``
    or ``example:dialogue`` for a shipped one); relative ``reference`` paths resolve against the file's folder."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        records = source.astype(object).where(source.notna(), None).to_dict(orient="records")
        return requests_from_records(records, source="prompt set (DataFrame)", label_set=label_set)
    if not isinstance(source, str | Path):
        return requests_from_records(list(source), source="prompt set (records)", label_set=label_set)
    if str(source).startswith("example:") and not Path(source).exists():  # a shipped prompt set
        from emoeval.generation.examples import example_prompts

        source = example_prompts(str(source).removeprefix("example:"))
    path = Path(source).expanduser()
    if not path.is_file():
        raise ManifestError(f"prompt set not found: {path}")
    suffix = path.suffix.lower()
    first_row = 1
    try:
        if suffix in {".jsonl", ".ndjson"}:
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            first_row = 2  # line 1 is the header
        elif suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        else:
            raise ManifestError(f"{path}: unknown prompt-set format {suffix!r}; use .csv, .jsonl or .parquet")
    except (ValueError, OSError) as exc:
        if isinstance(exc, ManifestError):
            raise
        raise ManifestError(f"{path}: cannot be read as a {suffix} prompt set ({exc})") from None
    if any(not isinstance(record, dict) for record in records):
        raise ManifestError(f"{path}: every line of a JSONL prompt set must be a JSON object")
    return requests_from_records(
        records, source=str(path), base_dir=path.resolve().parent, label_set=label_set, first_row_number=first_row
    )


__all__ = ["REQUEST_COLUMNS", "REQUIRED_COLUMNS", "Request", "read_requests", "request_from_record"]
