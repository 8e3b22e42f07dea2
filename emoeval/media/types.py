"""Media types: what a manifest cell holds, how it is read and hashed, and how a report shows it.

A *modality* is a registered media type, and so is every *part* of a sample (its output, a reference, the
dialogue context, a transcript, a talking-face clip's audio...). Media types are discovered through the
entry-point group ``emoeval.media``, exactly like metrics and reference models, so a package adds one — a
``gaze`` type for eye tracking, a ``video`` type — without touching emoeval:

.. code-block:: toml

    [project.entry-points."emoeval.media"]
    gaze = "my_package.media:GazeMedia"

A media type is a small class (no state; instances are created by the registry) with:

- ``name`` — the registered name, used as the ``modality`` of samples and in ``<part>:<media>`` manifest columns;
- ``kind`` — how a part's value is held: ``file`` (a :class:`~pathlib.Path`), ``text`` (a ``str``) or
  ``turns`` (a tuple of ``str``, a dialogue history);
- :meth:`MediaType.parse` — a manifest cell → the part's value (relative paths resolve against the manifest's
  folder), or :class:`~emoeval.errors.ManifestError` naming the row;
- :meth:`MediaType.content_hash` — the sha256 that identifies the content in every cache key (files: their
  bytes, streamed, regular files within the size limit only — :mod:`emoeval.media.files`);
- ``suffixes`` — file suffixes that belong to this media (a ``<system>/<emotion>/<file>`` folder is read by them);
- ``display`` — how the HTML report shows a part: ``image``, ``audio``, ``signal`` (plotted excerpts), ``text``,
  ``turns`` or ``file`` (a link).

Built-ins: ``face`` (images), ``speech`` (audio), ``signal`` (physiological recordings), ``text`` (a response),
``turns`` (a dialogue history, the ``context`` column).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from emoeval.errors import ManifestError, SampleInputError

PartKind = Literal["file", "text", "turns"]
Display = Literal["image", "audio", "signal", "text", "turns", "file"]
#: what a part holds: a file, a text, or dialogue turns
PartValue = Path | str | tuple[str, ...]


def _text_sha256(text: str) -> str:
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from undecodable bytes
        raise SampleInputError(
            f"text is not valid Unicode ({exc.reason} at position {exc.start}); save the manifest as UTF-8"
        ) from None
    return hashlib.sha256(encoded).hexdigest()


def cell_text(value: Any) -> str:
    """A manifest cell as text; a whole-number float (an integer column pandas upcast because of a missing cell,
    e.g. a FER2013 code ``3`` read back as ``3.0``) is written without its ``.0``.

    >>> cell_text(3.0), cell_text("3.50"), cell_text(7)
    ('3', '3.50', '7')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class MediaType(ABC):
    """Base class of media types (see the module docstring). Subclasses set the class attributes."""

    name: ClassVar[str]
    kind: ClassVar[PartKind]
    display: ClassVar[Display] = "file"
    suffixes: ClassVar[frozenset[str]] = frozenset()
    summary: ClassVar[str] = ""

    @abstractmethod
    def parse(self, cell: Any, *, base_dir: Path | None = None, where: str = "manifest") -> PartValue:
        """The value a manifest cell stands for (a path, a text or turns); ManifestError naming ``where``."""

    @abstractmethod
    def content_hash(self, value: PartValue) -> str:
        """sha256 hex digest of the content (not the name) of a part's value; SampleInputError if unreadable."""

    def describe(self, value: PartValue) -> str:
        """A short human-readable form of a value (file name, start of a text) for messages and reports."""
        if isinstance(value, tuple):
            return f"{len(value)} turn(s)"
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."


class FileMedia(MediaType):
    """A media type whose parts are files (images, recordings, signals...): paths resolved against the manifest's
    folder, hashed by their bytes (regular files within ``EMOEVAL_MAX_FILE_MB_<NAME>`` only)."""

    kind: ClassVar[PartKind] = "file"

    def parse(self, cell: Any, *, base_dir: Path | None = None, where: str = "manifest") -> Path:
        text = cell_text(cell).strip()
        if not text:
            raise ManifestError(f"{where}: an empty {self.name} file name")
        path = Path(text).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path

    def content_hash(self, value: PartValue) -> str:
        from emoeval.media.files import file_sha256

        return file_sha256(Path(str(value)), self.name)

    def read(self, value: PartValue) -> tuple[str, bytes]:
        """(sha256, bytes) of the file in one pass (what models decode)."""
        from emoeval.media.files import read_input_file

        return read_input_file(Path(str(value)), self.name)

    def describe(self, value: PartValue) -> str:
        return Path(str(value)).name


class FaceMedia(FileMedia):
    """Face images: JPEG, PNG, BMP, WebP, TIFF (16-bit greyscale scaled, not clipped: :mod:`emoeval.media.image`)."""

    name: ClassVar[str] = "face"
    display: ClassVar[Display] = "image"
    suffixes: ClassVar[frozenset[str]] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
    summary: ClassVar[str] = "a face image (the output of a face generator, or a real photo)"


class SpeechMedia(FileMedia):
    """Speech recordings: WAV, FLAC, OGG, MP3 (any rate; models resample: :mod:`emoeval.media.audio`)."""

    name: ClassVar[str] = "speech"
    display: ClassVar[Display] = "audio"
    suffixes: ClassVar[frozenset[str]] = frozenset({".wav", ".flac", ".ogg", ".mp3"})
    summary: ClassVar[str] = "a speech recording"


class SignalMedia(FileMedia):
    """Physiological recordings (ECG, EDA, respiration, EEG...): multichannel time series with a sampling rate and
    channel names/types (:mod:`emoeval.media.signal`). A file's JSON sidecar (``<stem>.json``: its rate, channels,
    layout) is part of its content: the hash covers both."""

    name: ClassVar[str] = "signal"
    display: ClassVar[Display] = "signal"
    suffixes: ClassVar[frozenset[str]] = frozenset({".npz", ".npy", ".csv", ".tsv", ".edf", ".bdf", ".mat"})
    summary: ClassVar[str] = "a physiological recording (ECG, EDA, respiration, EEG; .npz, .npy, CSV, EDF/BDF, .mat)"

    def content_hash(self, value: PartValue) -> str:
        from emoeval.media.files import file_sha256

        path = Path(str(value))
        digest = file_sha256(path, self.name)
        sidecar = path.with_suffix(".json")
        if path.suffix.lower() != ".json" and sidecar.is_file():
            digest = hashlib.sha256(f"{digest}:{file_sha256(sidecar, self.name)}".encode()).hexdigest()
        return digest


class TextMedia(MediaType):
    """A text held in the manifest cell itself (a response, a transcript, a reference response)."""

    name: ClassVar[str] = "text"
    kind: ClassVar[PartKind] = "text"
    display: ClassVar[Display] = "text"
    suffixes: ClassVar[frozenset[str]] = frozenset({".txt"})
    summary: ClassVar[str] = "a text (a dialogue response, a transcript)"

    def parse(self, cell: Any, *, base_dir: Path | None = None, where: str = "manifest") -> str:
        return cell_text(cell)

    def content_hash(self, value: PartValue) -> str:
        return _text_sha256(str(value))


class TurnsMedia(MediaType):
    """A dialogue history: a JSON list of turns (oldest first), or one plain string for a single turn."""

    name: ClassVar[str] = "turns"
    kind: ClassVar[PartKind] = "turns"
    display: ClassVar[Display] = "turns"
    summary: ClassVar[str] = "dialogue turns, oldest first (the context a response answers)"

    def parse(self, cell: Any, *, base_dir: Path | None = None, where: str = "manifest") -> tuple[str, ...]:
        if isinstance(cell, str):
            text = cell.strip()
            if not text.startswith("["):
                return (cell,)
            try:
                turns = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ManifestError(
                    f"{where}: a dialogue context starts with '[' but is not a JSON list ({exc.msg}); "
                    "write the turns as a JSON list of strings, or as one plain string"
                ) from None
        else:
            turns = cell
        if isinstance(turns, bytes) or not isinstance(turns, Sequence | Iterable):
            raise ManifestError(f"{where}: a dialogue context must be a list of strings or a string")
        return tuple(str(turn) for turn in turns)

    def content_hash(self, value: PartValue) -> str:
        turns = [value] if isinstance(value, str) else list(value)
        return _text_sha256(json.dumps(turns, ensure_ascii=False))


__all__ = [
    "FaceMedia",
    "FileMedia",
    "MediaType",
    "PartKind",
    "PartValue",
    "SignalMedia",
    "SpeechMedia",
    "TextMedia",
    "TurnsMedia",
    "cell_text",
]
