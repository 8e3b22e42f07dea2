"""Samples: one generated output and what is needed to judge it; reading them from manifests.

A manifest is a CSV, JSONL or Parquet file (or a pandas DataFrame) with one row per generated output:

=================  ========  =============================================================================
column             required  meaning
=================  ========  =============================================================================
``sample_id``      yes       unique id of the output
``system``         yes       name of the generator that produced it
``modality``       yes       ``face``, ``speech`` or ``text``
``path``/``text``  yes       the output: a file (face, speech) or the text itself (text)
``target_emotion`` no        the emotion the generator was asked for (normalised, see :mod:`emoeval.labels`)
``reference``      no        identity/speaker/content reference: a file (face, speech) or a text (text)
``context``        no        dialogue history: a JSON list of turns, or one string for a single turn
``transcript``     no        what the speech says (for intelligibility)
``group``          no        items sharing a source (same prompt, speaker...), for paired statistics
=================  ========  =============================================================================

Other columns are kept in ``Sample.meta``; ``emotion_reference`` (a real face/recording showing the target
emotion, used by emotion-distance metrics) is a path too. Relative paths resolve against the manifest's folder. A folder
laid out as ``<root>/<system>/<emotion>/<file>`` reads as a manifest too (:func:`samples_from_folder`).

An empty or white-space ``text`` cell of a text sample is an empty reply, not a manifest error: the sample is
kept (``text=""`` for an empty cell) and every text metric records an error row for it, so one bad reply does
not stop the run. A text row with no ``text`` column, or with its cell empty and a ``path`` given, is a
manifest error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from emoeval.errors import ManifestError, UnknownLabelError
from emoeval.labels import normalize_label

if TYPE_CHECKING:
    import pandas as pd

Modality = Literal["face", "speech", "text"]
MODALITIES: tuple[str, ...] = get_args(Modality)
REQUIRED_COLUMNS: tuple[str, ...] = ("sample_id", "system", "modality")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "path",
    "text",
    "target_emotion",
    "reference",
    "context",
    "transcript",
    "group",
)
#: extra columns that hold file paths: kept in ``Sample.meta``, resolved like ``path`` (used by some metrics)
PATH_META_COLUMNS: tuple[str, ...] = ("emotion_reference",)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".mp3"})
TEXT_SUFFIXES = frozenset({".txt"})


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated output and what is needed to judge it (see the module docstring for the fields)."""

    sample_id: str
    system: str
    modality: Modality
    path: Path | None = None
    text: str | None = None
    target_emotion: str | None = None
    reference: Path | str | None = None
    context: tuple[str, ...] | None = None
    transcript: str | None = None
    group: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def output(self) -> Path | str:
        """The thing being judged: the file for face/speech, the text for text."""
        if self.modality == "text":
            assert self.text is not None
            return self.text
        assert self.path is not None
        return self.path

    def has(self, need: str) -> bool:
        """Whether the optional field ``need`` (``reference``, ``target_emotion``, ...) is present."""
        return getattr(self, need) not in (None, "", ())

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict of the sample (used for the run's config hash and for run.json)."""
        return {
            "sample_id": self.sample_id,
            "system": self.system,
            "modality": self.modality,
            "path": None if self.path is None else str(self.path),
            "text": self.text,
            "target_emotion": self.target_emotion,
            "reference": None if self.reference is None else str(self.reference),
            "context": None if self.context is None else list(self.context),
            "transcript": self.transcript,
            "group": self.group,
        }


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_text(value: Any) -> str:
    """A cell as a string; a whole-number float (an integer column upcast by pandas because of a missing cell,
    e.g. FER2013 code ``3`` read back as ``3.0``) is written without its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _row_label(row_number: int, source: str) -> str:
    return f"{source}, row {row_number}"


def _parse_context(value: Any, where: str) -> tuple[str, ...] | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                turns = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ManifestError(
                    f"{where}: column 'context' starts with '[' but is not a JSON list ({exc.msg}); "
                    "write the turns as a JSON list of strings, or as one plain string"
                ) from None
        else:
            return (value,)
    else:
        turns = value
    if not isinstance(turns, Sequence | Iterable) or isinstance(turns, bytes):
        raise ManifestError(f"{where}: column 'context' must be a list of strings or a string")
    return tuple(str(turn) for turn in turns)


def _resolve_path(value: Any, base_dir: Path | None) -> Path:
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _sample_from_row(row: Mapping[str, Any], where: str, base_dir: Path | None, label_set: str | None) -> Sample:
    for column in REQUIRED_COLUMNS:
        if _is_missing(row.get(column)):
            raise ManifestError(f"{where}: column {column!r} is empty; every row needs {', '.join(REQUIRED_COLUMNS)}")
    modality = str(row["modality"]).strip().lower()
    if modality not in MODALITIES:
        raise ManifestError(f"{where}: modality {row['modality']!r} is not one of {', '.join(MODALITIES)}")
    path: Path | None = None
    text: str | None = None
    if modality == "text":
        raw = row.get("text")
        if "text" not in row or (_is_missing(raw) and not _is_missing(row.get("path"))):
            # no 'text' column, or the response put in 'path': the manifest is wrong, not the reply
            raise ManifestError(f"{where}: a text sample needs its response in the 'text' column")
        # An empty or white-space reply is the generator's output: kept, so each metric gives it an error row
        # (emoeval.media.text.is_blank) while the rest of the run is scored.
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else _as_text(raw)
    else:
        if _is_missing(row.get("path")):
            raise ManifestError(f"{where}: a {modality} sample needs its file in the 'path' column")
        path = _resolve_path(row["path"], base_dir)

    target: str | None = None
    if not _is_missing(row.get("target_emotion")):
        try:
            target = normalize_label(_as_text(row["target_emotion"]), label_set)
        except UnknownLabelError as exc:
            raise UnknownLabelError(
                f"{where}: {exc}. Fix the label, or pass label_set=... (--label-set) naming the dataset it comes from"
            ) from None

    reference: Path | str | None = None
    if not _is_missing(row.get("reference")):
        reference = _as_text(row["reference"]) if modality == "text" else _resolve_path(row["reference"], base_dir)

    meta = {
        key: _resolve_path(value, base_dir) if key in PATH_META_COLUMNS else value
        for key, value in row.items()
        if key not in REQUIRED_COLUMNS and key not in OPTIONAL_COLUMNS and not _is_missing(value)
    }
    return Sample(
        sample_id=_as_text(row["sample_id"]),
        system=_as_text(row["system"]),
        modality=modality,  # type: ignore[arg-type]
        path=path,
        text=text,
        target_emotion=target,
        reference=reference,
        context=_parse_context(row.get("context"), where),
        transcript=None if _is_missing(row.get("transcript")) else _as_text(row["transcript"]),
        group=None if _is_missing(row.get("group")) else _as_text(row["group"]),
        meta=meta,
    )


def samples_from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    source: str = "manifest",
    base_dir: Path | None = None,
    label_set: str | None = None,
    first_row_number: int = 1,
) -> list[Sample]:
    """Build samples from dict rows, checking required columns, labels and duplicate ids.

    ``first_row_number`` is the number error messages give the first record (2 for a CSV with a header line).
    """
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(records):
        row_number = first_row_number + offset
        where = _row_label(row_number, source)
        sample = _sample_from_row(row, where, base_dir, label_set)
        if sample.sample_id in seen:
            raise ManifestError(
                f"{where}: duplicate sample_id {sample.sample_id!r} (first at row {seen[sample.sample_id]}); "
                "sample ids must be unique — prefix them with the system name, e.g. '<system>/<id>'"
            )
        seen[sample.sample_id] = row_number
        samples.append(sample)
    if not samples:
        raise ManifestError(f"{source}: no samples (the manifest has no rows)")
    return samples


def samples_from_dataframe(
    frame: pd.DataFrame,
    *,
    base_dir: Path | None = None,
    label_set: str | None = None,
    source: str = "DataFrame",
) -> list[Sample]:
    """Samples from a pandas DataFrame with the manifest columns (row numbers in errors start at 0)."""
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ManifestError(
            f"{source}: missing required column(s) {', '.join(missing)}; a manifest needs "
            f"{', '.join(REQUIRED_COLUMNS)} and 'path' or 'text'"
        )
    if "path" not in frame.columns and "text" not in frame.columns:
        raise ManifestError(f"{source}: needs a 'path' column (face, speech) or a 'text' column (text)")
    records = frame.to_dict(orient="records")
    return samples_from_records(records, source=source, base_dir=base_dir, label_set=label_set, first_row_number=0)


def _read_jsonl(manifest: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{manifest}, line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ManifestError(f"{manifest}, line {number}: each line must be a JSON object with the manifest columns")
        records.append(record)
    return records


def read_manifest(path: str | Path, *, label_set: str | None = None) -> list[Sample]:
    """Read a CSV, JSONL or Parquet manifest; relative paths in it resolve against its folder."""
    import pandas as pd

    manifest = Path(path).expanduser()
    if not manifest.exists():
        raise ManifestError(f"manifest not found: {manifest}")
    if manifest.is_dir():
        return samples_from_folder(manifest, label_set=label_set)
    suffix = manifest.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        records, first_row = _read_jsonl(manifest), 1  # plain json: no type guessing on ids and codes
        columns = {key for record in records for key in record}
    else:
        try:
            if suffix == ".csv":
                frame = pd.read_csv(manifest, dtype=str, keep_default_na=False, na_values=[""])
                first_row = 2  # line 1 is the header
            elif suffix in {".parquet", ".pq"}:
                frame = pd.read_parquet(manifest)
                first_row = 1
            else:
                raise ManifestError(
                    f"{manifest}: unknown manifest format {suffix!r}; use .csv, .jsonl or .parquet, or a folder"
                )
        except (ValueError, OSError) as exc:
            if isinstance(exc, ManifestError):
                raise
            raise ManifestError(f"{manifest}: cannot be read as a {suffix} manifest ({exc})") from None
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        columns = set(frame.columns)
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing and records:
        raise ManifestError(
            f"{manifest}: missing required column(s) {', '.join(missing)}; a manifest needs "
            f"{', '.join(REQUIRED_COLUMNS)} and 'path' or 'text'"
        )
    return samples_from_records(
        records,
        source=str(manifest),
        base_dir=manifest.resolve().parent,
        label_set=label_set,
        first_row_number=first_row,
    )


def _modality_of(path: Path) -> Modality | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "face"
    if suffix in AUDIO_SUFFIXES:
        return "speech"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def samples_from_folder(root: str | Path, *, label_set: str | None = None) -> list[Sample]:
    """Samples from a folder laid out as ``<root>/<system>/<emotion>/<file>``.

    The modality comes from the file suffix (images → face, audio → speech, ``.txt`` → text, whose content
    is the response). ``sample_id`` is ``<system>/<emotion>/<file name>``, and ``group`` is
    ``<emotion>/<file stem>`` so that the same item across systems pairs up in statistics.
    Files of other types are ignored; a folder with no usable file is an error.
    """
    base = Path(root).expanduser().resolve()
    if not base.is_dir():
        raise ManifestError(f"not a folder: {base}")
    records: list[dict[str, Any]] = []
    for system_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for emotion_dir in sorted(p for p in system_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for file in sorted(p for p in emotion_dir.iterdir() if p.is_file()):
                modality = _modality_of(file)
                if modality is None:
                    continue
                record: dict[str, Any] = {
                    "sample_id": f"{system_dir.name}/{emotion_dir.name}/{file.name}",
                    "system": system_dir.name,
                    "modality": modality,
                    "target_emotion": emotion_dir.name,
                    "group": f"{emotion_dir.name}/{file.stem}",
                }
                if modality == "text":
                    record["text"] = file.read_text(encoding="utf-8").strip()
                else:
                    record["path"] = str(file)
                records.append(record)
    if not records:
        raise ManifestError(
            f"{base}: no image, audio or .txt files found in the layout <root>/<system>/<emotion>/<file>"
        )
    return samples_from_records(records, source=str(base), base_dir=base, label_set=label_set)


def load_samples(source: str | Path | pd.DataFrame | Sequence[Sample], *, label_set: str | None = None) -> list[Sample]:
    """Samples from any accepted source: a manifest file, a folder, a DataFrame or a list of samples."""
    if isinstance(source, str | Path):
        return read_manifest(source, label_set=label_set)
    if isinstance(source, Sequence) and all(isinstance(item, Sample) for item in source):
        samples = list(source)
        if not samples:
            raise ManifestError("no samples given")
        ids = [sample.sample_id for sample in samples]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise ManifestError(f"duplicate sample_id {duplicate!r} in the samples given; sample ids must be unique")
        return samples
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return samples_from_dataframe(source, label_set=label_set)
    raise ManifestError(
        f"cannot read samples from a {type(source).__name__}; pass a manifest path, a folder, a DataFrame "
        "or a list of Sample"
    )
