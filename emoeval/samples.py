"""Samples: one generated output and what is needed to judge it; reading them from manifests.

A sample has an id, the system that produced it, a ``modality`` (a registered media type: ``face``, ``speech``,
``text`` or a plug-in's, see :mod:`emoeval.media.types`), **named parts** — its ``output`` and whatever else
judges it (a ``reference``, the dialogue ``context``, a ``transcript``, a talking-face clip's ``audio``...), each
with its own media type — and the fields ``target_emotion``, ``intensity`` and ``group``, plus free ``meta``.

A manifest is a CSV, JSONL or Parquet file (or a pandas DataFrame) with one row per generated output:

=====================  ========  ===========================================================================
column                 required  meaning
=====================  ========  ===========================================================================
``sample_id``          yes       unique id of the output
``system``             yes       name of the generator that produced it
``modality``           yes       a registered media type: ``face``, ``speech``, ``text``, or a plug-in's
``path``/``text``      yes       the output (part ``output``): a file, or the text itself for text modalities
``target_emotion``     no        the emotion the generator was asked for (normalised, see :mod:`emoeval.labels`)
``intensity``          no        the emotion intensity asked for (a number)
``reference``          no        part ``reference`` (identity/speaker/content reference): same media as the output
``context``            no        part ``context`` (``turns``): a JSON list of turns, or one string for one turn
``transcript``         no        part ``transcript`` (``text``): what the speech says (for intelligibility)
``<name>:<media>``     no        part ``<name>`` of media type ``<media>``, e.g. ``audio:speech``, ``frames:face``
``group``              no        items sharing a source (same prompt, speaker, multimodal bundle): paired statistics
                                 and metrics that gather a group's samples use it
=====================  ========  ===========================================================================

Other columns are kept in ``Sample.meta`` as they are. A metric that declares an input of that name with a
media type (:class:`~emoeval.metric.Input`; e.g. ``face_emotion_change`` declares ``emotion_reference: face``)
reads such a column as a part of that type; relative paths resolve against the manifest's folder, which each
sample records (``base_dir``). A folder laid out as ``<root>/<system>/<emotion>/<file>`` reads as a manifest too
(:func:`samples_from_folder`; the modality from the registered media types' file suffixes).

An empty or white-space ``text`` cell of a text sample is an empty reply, not a manifest error: the sample is
kept (``text=""`` for an empty cell) and every text metric records an error row for it, so one bad reply does
not stop the run. A text row with no ``text`` column, or with its cell empty and a ``path`` given, is a
manifest error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import EmoevalError, ManifestError, UnknownLabelError
from emoeval.labels import normalize_label

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.media.types import MediaType, PartValue

#: a modality is the name of a registered media type (``face``, ``speech``, ``text``, or a plug-in's)
Modality = str
#: the built-in modalities (more come from plug-ins through the ``emoeval.media`` entry points)
MODALITIES: tuple[str, ...] = ("face", "speech", "text")
REQUIRED_COLUMNS: tuple[str, ...] = ("sample_id", "system", "modality")
#: columns that become parts or fields of a sample (``<name>:<media>`` columns too)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "path",
    "text",
    "target_emotion",
    "intensity",
    "reference",
    "context",
    "transcript",
    "group",
)
#: parts every sample may have under a fixed column name, and their media type (None: the sample's modality)
STANDARD_PARTS: dict[str, str | None] = {"reference": None, "context": "turns", "transcript": "text"}
OUTPUT = "output"

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".mp3"})
TEXT_SUFFIXES = frozenset({".txt"})
#: suffixes of manifest tables
MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})


def is_manifest_file(path: Path) -> bool:
    """Whether a file in a folder of outputs is a manifest beside them (``manifest.csv``, ``manifest.jsonl``...,
    as ``emoeval generate`` and ``emoeval signals convert`` write), not an output: a folder walk skips it even
    when its suffix is a media type's (a signal CSV)."""
    return path.stem.lower() == "manifest" and path.suffix.lower() in MANIFEST_SUFFIXES


@dataclass(frozen=True, slots=True)
class Part:
    """One named part of a sample: its media type and value (a path, a text, or dialogue turns)."""

    media: str
    value: PartValue


@dataclass(frozen=True, slots=True, init=False, eq=False, repr=False)
class Sample:
    """One generated output and what is needed to judge it (see the module docstring).

    Build it from parts (``parts={"output": Part("face", path), ...}``) or with the v1 keywords ``path`` /
    ``text`` (the output), ``reference``, ``context`` and ``transcript``, which set the standard parts (over
    ``parts``). Samples are immutable; :meth:`replace` (or :func:`dataclasses.replace`) returns a changed copy.
    The v1 attributes (``path``, ``text``, ``reference``, ``context``, ``transcript``) read the standard parts.
    """

    sample_id: str
    system: str
    modality: str
    parts: Mapping[str, Part]
    target_emotion: str | None
    intensity: float | None
    group: str | None
    meta: Mapping[str, Any]
    base_dir: Path | None

    def __init__(
        self,
        sample_id: str,
        system: str,
        modality: str,
        path: Path | None = None,
        text: str | None = None,
        target_emotion: str | None = None,
        reference: Path | str | None = None,
        context: Sequence[str] | None = None,
        transcript: str | None = None,
        group: str | None = None,
        meta: Mapping[str, Any] | None = None,
        *,
        parts: Mapping[str, Part] | None = None,
        intensity: float | None = None,
        base_dir: Path | None = None,
    ) -> None:
        built: dict[str, Part] = dict(parts or {})
        if path is not None:
            built[OUTPUT] = Part(modality, Path(path))
        if text is not None:
            built[OUTPUT] = Part(modality, text)
        if reference is not None:
            # v1 keywords: a text output has a text reference; a file output a file of its own modality
            text_output = isinstance(built.get(OUTPUT, Part(modality, "")).value, str)
            if modality == "text" or text_output:
                built["reference"] = Part("text", str(reference))
            else:
                built["reference"] = Part(modality, Path(str(reference)))
        if context is not None:
            built["context"] = Part("turns", tuple(context))
        if transcript is not None:
            built["transcript"] = Part("text", transcript)
        for name, attribute in (
            ("sample_id", sample_id),
            ("system", system),
            ("modality", modality),
            ("parts", dict(built)),
            ("target_emotion", target_emotion),
            ("intensity", None if intensity is None else float(intensity)),
            ("group", group),
            ("meta", dict(meta or {})),
            ("base_dir", base_dir),
        ):
            object.__setattr__(self, name, attribute)

    def _key(self) -> tuple[Any, ...]:
        parts = tuple(sorted((name, part.media, str(part.value)) for name, part in self.parts.items()))
        return (self.sample_id, self.system, self.modality, parts, self.target_emotion, self.intensity, self.group)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sample) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={part.media}:{part.value!r}" for name, part in self.parts.items())
        return f"Sample({self.sample_id!r}, system={self.system!r}, modality={self.modality!r}, {parts})"

    def replace(self, **changes: Any) -> Sample:
        """A copy with some fields changed (``parts=`` replaces all parts)."""
        fields = {
            "sample_id": self.sample_id,
            "system": self.system,
            "modality": self.modality,
            "target_emotion": self.target_emotion,
            "group": self.group,
            "meta": self.meta,
            "parts": self.parts,
            "intensity": self.intensity,
            "base_dir": self.base_dir,
        }
        fields.update(changes)
        return Sample(**fields)

    def with_part(self, name: str, part: Part) -> Sample:
        """A copy with the part ``name`` set."""
        return self.replace(parts={**self.parts, name: part})

    # -- parts ------------------------------------------------------------------------------------------------
    def part(self, name: str) -> Part | None:
        """The part ``name`` (None when absent)."""
        return self.parts.get(name)

    def value(self, name: str) -> PartValue | None:
        """The value of the part ``name`` (None when absent)."""
        part = self.parts.get(name)
        return None if part is None else part.value

    @property
    def output(self) -> PartValue:
        """The thing being judged: a file for face/speech, the text for text."""
        part = self.parts.get(OUTPUT)
        if part is None:
            raise ManifestError(f"sample {self.sample_id!r} has no output")
        return part.value

    @property
    def path(self) -> Path | None:
        """The output file (None for a text output)."""
        value = self.value(OUTPUT)
        return value if isinstance(value, Path) else None

    @property
    def text(self) -> str | None:
        """The output text (None for a file output)."""
        value = self.value(OUTPUT)
        return value if isinstance(value, str) else None

    @property
    def reference(self) -> Path | str | None:
        value = self.value("reference")
        return None if isinstance(value, tuple) else value

    @property
    def context(self) -> tuple[str, ...] | None:
        value = self.value("context")
        if value is None:
            return None
        return value if isinstance(value, tuple) else (str(value),)

    @property
    def transcript(self) -> str | None:
        value = self.value("transcript")
        return None if value is None else str(value)

    def has(self, name: str) -> bool:
        """Whether the part, field or meta column ``name`` (``reference``, ``target_emotion``, ...) is present."""
        if name in self.parts:
            return self.parts[name].value not in ("", ())
        if name in ("target_emotion", "intensity", "group"):
            return getattr(self, name) not in (None, "")
        value = self.meta.get(name)
        return not _is_missing(value)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict of the sample (used for the run's config hash and for run.json)."""
        record: dict[str, Any] = {
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
        extra = {
            name: {"media": part.media, "value": list(part.value) if isinstance(part.value, tuple) else str(part.value)}
            for name, part in sorted(self.parts.items())
            if name not in (OUTPUT, *STANDARD_PARTS)
        }
        if extra:
            record["parts"] = extra
        if self.intensity is not None:
            record["intensity"] = self.intensity
        return record


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_text(value: Any) -> str:
    from emoeval.media.types import cell_text

    return cell_text(value)


def _row_label(row_number: int, source: str) -> str:
    return f"{source}, row {row_number}"


class MediaTypes:
    """Registered media types looked up once per manifest (the entry points are not scanned per row)."""

    def __init__(self) -> None:
        self._found: dict[str, MediaType] = {}
        self._names: list[str] | None = None

    def get(self, name: str, where: str) -> MediaType:
        if name not in self._found:
            from emoeval.registry import get_media_type, media_type_names

            try:
                self._found[name] = get_media_type(name)
            except EmoevalError as exc:
                if self._names is None:
                    self._names = media_type_names()
                raise ManifestError(
                    f"{where}: {name!r} is not a registered media type (registered: {', '.join(self._names)}); "
                    "install the package that provides it, or fix the column"
                ) from exc
        return self._found[name]


def _sample_from_row(
    row: Mapping[str, Any], where: str, base_dir: Path | None, label_set: str | None, media: MediaTypes
) -> Sample:
    for column in REQUIRED_COLUMNS:
        if _is_missing(row.get(column)):
            raise ManifestError(f"{where}: column {column!r} is empty; every row needs {', '.join(REQUIRED_COLUMNS)}")
    modality = str(row["modality"]).strip().lower()
    output_media = media.get(modality, where)
    parts: dict[str, Part] = {}
    if output_media.kind in ("text", "turns"):
        raw = row.get("text")
        if "text" not in row or (_is_missing(raw) and not _is_missing(row.get("path"))):
            # no 'text' column, or the response put in 'path': the manifest is wrong, not the reply
            raise ManifestError(f"{where}: a {modality} sample needs its response in the 'text' column")
        # An empty or white-space reply is the generator's output: kept, so each metric gives it an error row
        # (emoeval.media.text.is_blank) while the rest of the run is scored.
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else _as_text(raw)
        parts[OUTPUT] = Part(modality, output_media.parse(text, base_dir=base_dir, where=where))
    else:
        if _is_missing(row.get("path")):
            raise ManifestError(f"{where}: a {modality} sample needs its file in the 'path' column")
        parts[OUTPUT] = Part(modality, output_media.parse(row["path"], base_dir=base_dir, where=where))

    for name, fixed_media in STANDARD_PARTS.items():
        if _is_missing(row.get(name)):
            continue
        part_media = fixed_media or ("text" if output_media.kind == "text" else modality)
        parsed = media.get(part_media, where).parse(row[name], base_dir=base_dir, where=f"{where}, column {name!r}")
        if parsed not in ("", ()):
            parts[name] = Part(part_media, parsed)

    meta: dict[str, Any] = {}
    for key, value in row.items():
        if key in REQUIRED_COLUMNS or key in OPTIONAL_COLUMNS or _is_missing(value):
            continue
        if ":" in str(key):
            name, _, part_media = str(key).partition(":")
            name, part_media = name.strip(), part_media.strip().lower()
            if not name or name == OUTPUT or name in parts:
                raise ManifestError(f"{where}: column {key!r} names a part that is already given; rename it")
            parts[name] = Part(
                part_media, media.get(part_media, where).parse(value, base_dir=base_dir, where=f"{where}, {key!r}")
            )
        else:
            meta[str(key)] = value

    target: str | None = None
    if not _is_missing(row.get("target_emotion")):
        try:
            target = normalize_label(_as_text(row["target_emotion"]), label_set)
        except UnknownLabelError as exc:
            raise UnknownLabelError(
                f"{where}: {exc}. Fix the label, or pass label_set=... (--label-set) naming the dataset it comes from"
            ) from None
    intensity: float | None = None
    if not _is_missing(row.get("intensity")):
        try:
            intensity = float(row["intensity"])
        except (TypeError, ValueError):
            raise ManifestError(f"{where}: intensity {row['intensity']!r} is not a number") from None
        if not math.isfinite(intensity):
            raise ManifestError(f"{where}: intensity {row['intensity']!r} is not a finite number")
    return Sample(
        sample_id=_as_text(row["sample_id"]),
        system=_as_text(row["system"]),
        modality=modality,
        target_emotion=target,
        group=None if _is_missing(row.get("group")) else _as_text(row["group"]),
        meta=meta,
        parts=parts,
        intensity=intensity,
        base_dir=base_dir,
    )


def resolve_input(sample: Sample, name: str, media: str | None) -> Sample:
    """``sample`` with its meta column ``name`` read as a part of type ``media`` (what a metric declares with
    :class:`~emoeval.metric.Input`); unchanged when the part exists, ``media`` is None or the column is absent.

    Raises :class:`ManifestError` when the column cannot be read as that media type.
    """
    if media is None or name in sample.parts or _is_missing(sample.meta.get(name)):
        return sample
    from emoeval.registry import get_media_type

    try:
        media_type = get_media_type(media)
    except EmoevalError as exc:
        raise ManifestError(f"sample {sample.sample_id!r}: input {name!r}: {exc}") from None
    value = media_type.parse(sample.meta[name], base_dir=sample.base_dir, where=f"sample {sample.sample_id!r}")
    return sample.with_part(name, Part(media, value))


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
    media = MediaTypes()
    for offset, row in enumerate(records):
        row_number = first_row_number + offset
        where = _row_label(row_number, source)
        sample = _sample_from_row(row, where, base_dir, label_set, media)
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
        raise ManifestError(f"{source}: needs a 'path' column (file modalities) or a 'text' column (text)")
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


def modality_of_suffix() -> Callable[[Path], str | None]:
    """A function giving the modality a file's suffix belongs to, from the registered media types (the
    built-ins first: face, speech, text)."""
    from emoeval.registry import get_media_type, media_type_names

    table: dict[str, str] = {}
    names = [n for n in MODALITIES] + [n for n in media_type_names() if n not in MODALITIES]
    for name in names:
        try:
            media = get_media_type(name)
        except EmoevalError:
            continue
        for suffix in media.suffixes:
            table.setdefault(suffix.lower(), name)

    def modality_of(path: Path) -> str | None:
        return table.get(path.suffix.lower())

    return modality_of


def samples_from_folder(root: str | Path, *, label_set: str | None = None) -> list[Sample]:
    """Samples from a folder laid out as ``<root>/<system>/<emotion>/<file>``.

    The modality comes from the file suffix (by the registered media types: images → face, audio → speech,
    ``.txt`` → text, whose content is the response). ``sample_id`` is ``<system>/<emotion>/<file name>``, and
    ``group`` is ``<emotion>/<file stem>`` so that the same item across systems pairs up in statistics.
    Files of other types are ignored; a folder with no usable file is an error.
    """
    base = Path(root).expanduser().resolve()
    if not base.is_dir():
        raise ManifestError(f"not a folder: {base}")
    modality_of = modality_of_suffix()
    media = MediaTypes()
    records: list[dict[str, Any]] = []
    for system_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for emotion_dir in sorted(p for p in system_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for file in sorted(p for p in emotion_dir.iterdir() if p.is_file() and not is_manifest_file(p)):
                modality = modality_of(file)
                if modality is None:
                    continue
                record: dict[str, Any] = {
                    "sample_id": f"{system_dir.name}/{emotion_dir.name}/{file.name}",
                    "system": system_dir.name,
                    "modality": modality,
                    "target_emotion": emotion_dir.name,
                    "group": f"{emotion_dir.name}/{file.stem}",
                }
                if media.get(modality, str(file)).kind == "text":
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


def gather_groups(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    """Samples by ``group`` (samples without a group are left out): the bundles cross-sample metrics read, e.g.
    the face, voice and words generated for one prompt."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        if sample.group is not None:
            groups.setdefault(sample.group, []).append(sample)
    return groups


# -- multimodal bundles -------------------------------------------------------------------------------------------

#: the reserved ``MetricSpec.modality`` of a metric that reads multimodal bundles (see :func:`bundle_samples`), and
#: the ``modality`` of a bundle sample
MULTIMODAL = "multimodal"
#: parts that describe how an output was made or judged, not a generated modality of the bundle. ``transcript``
#: is the text a speech generator was asked to say (the input of intelligibility): emotional TTS speaks neutral
#: sentences in every emotion by design, so its words are not a modality that should agree with the voice —
#: generated words come as a ``text`` row of the group or a ``reply:text`` part
NOT_BUNDLE_PARTS: frozenset[str] = frozenset({"reference", "context", "emotion_reference", "transcript"})


def bundle_parts(sample: Sample) -> dict[str, Part]:
    """The generated modalities of one sample, by part name: its output under its modality's name (``face``,
    ``speech``...), and every other part except :data:`NOT_BUNDLE_PARTS` under its own name (``audio``,
    ``reply``...). A bundle sample (modality ``multimodal``) gives its parts as they are."""
    if sample.modality == MULTIMODAL:
        return dict(sample.parts)
    found: dict[str, Part] = {}
    for name, part in sample.parts.items():
        if name == OUTPUT:
            found[sample.modality] = part
        elif name not in NOT_BUNDLE_PARTS and part.value not in ("", ()):
            found.setdefault(name, part)
    return found


def _bundle_of(members: Sequence[Sample]) -> tuple[Sample | None, str | None]:
    """The bundle of one system's samples that share a group (or of one sample), or (None, why it is none)."""
    parts: dict[str, Part] = {}
    for member in members:
        for name, part in bundle_parts(member).items():
            key, number = name, 2
            while key in parts:  # two members both give a `face`: face, face_2 (the metric refuses the ambiguity)
                key, number = f"{name}_{number}", number + 1
            parts[key] = part
    if len({part.media for part in parts.values()}) < 2:
        return None, "a single modality: not a multimodal bundle"
    first = members[0]
    targets = {m.target_emotion for m in members if m.target_emotion is not None}
    intensities = {m.intensity for m in members if m.intensity is not None}
    if len(members) == 1:
        return first.replace(modality=MULTIMODAL, parts=parts), None
    meta: dict[str, Any] = {"bundle_members": ",".join(m.sample_id for m in members)}
    if len(targets) > 1:  # members asked for different emotions: the bundle has no one target
        meta["target_conflict"] = ",".join(sorted(targets))
    return (
        Sample(
            sample_id=f"{first.system}/{first.group}",
            system=first.system,
            modality=MULTIMODAL,
            target_emotion=next(iter(targets)) if len(targets) == 1 else None,
            group=first.group,
            meta=meta,
            parts=parts,
            intensity=next(iter(intensities)) if len(intensities) == 1 else None,
            base_dir=first.base_dir,
        ),
        None,
    )


def bundle_samples(samples: Sequence[Sample]) -> tuple[list[Sample], dict[str, int]]:
    """Multimodal bundles: (bundle samples, counts of samples that form none, by reason).

    A bundle is one sample of modality ``multimodal`` whose parts are the generated modalities of one item,
    each with its media type. It is made from

    - **the samples of one system that share a** ``group`` (manifest rows ``face``, ``speech``, ``text`` with one
      group): each member's output becomes the part named after its modality (a second one of the same name gets
      ``_2``), its other parts (``audio:speech``, ``reply:text``...) keep their names; the bundle's id is
      ``<system>/<group>`` (one member: the member's own id), its target emotion the members' common one (none,
      and ``meta["target_conflict"]``, when they differ), ``meta["bundle_members"]`` the member ids;
    - **one sample without a group** whose parts span two or more media types (a v2 multi-part row: ``path`` a
      face, ``audio:speech``, ``reply:text``);
    - a sample that already has modality ``multimodal``, as it is.

    Parts in :data:`NOT_BUNDLE_PARTS` (identity/speaker ``reference``, dialogue ``context``, the ``transcript`` a
    voice was asked to say) are not modalities of the bundle. Groups and samples with a single media type (e.g.
    several face outputs of one source, for within-input diversity) form no bundle. Bundles come in the order of
    their first member.

    >>> face = Sample("f1", "sys", "face", path=Path("f.png"), group="g1", target_emotion="happy")
    >>> voice = Sample("s1", "sys", "speech", path=Path("s.wav"), group="g1", target_emotion="happy")
    >>> bundles, skipped = bundle_samples([face, voice])
    >>> bundles[0].sample_id, sorted(bundles[0].parts), bundles[0].target_emotion, skipped
    ('sys/g1', ['face', 'speech'], 'happy', {})
    """
    order: list[tuple[str, str | None, str]] = []
    members: dict[tuple[str, str | None, str], list[Sample]] = {}
    for sample in samples:
        # a sample without a group (or already a bundle) is its own bundle; keyed by its id
        key = (
            (sample.system, sample.group, "")
            if sample.group is not None and sample.modality != MULTIMODAL
            else (sample.system, None, sample.sample_id)
        )
        if key not in members:
            order.append(key)
            members[key] = []
        members[key].append(sample)
    bundles: list[Sample] = []
    skipped: dict[str, int] = {}
    for key in order:
        bundle, why = _bundle_of(members[key])
        if bundle is None:
            reason = f"{why} ({'group' if key[1] is not None else 'sample'})"
            skipped[reason] = skipped.get(reason, 0) + len(members[key])
        else:
            bundles.append(bundle)
    return bundles, skipped


def has_bundles(samples: Sequence[Sample]) -> bool:
    """Whether any multimodal bundle can be made of ``samples`` (see :func:`bundle_samples`)."""
    return bool(bundle_samples(samples)[0])
