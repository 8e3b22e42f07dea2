"""Reading sample files safely: regular files only, a size limit per modality, streaming hashes.

Every file a metric reads — a sample's output, its ``reference`` and ``emotion_reference``, the real items of a
reference set — goes through :func:`read_input_file` (bytes and sha256 in one pass) or :func:`file_sha256`
(hash only, in chunks). Both first call :func:`check_input_file`, which looks at the path with ``os.stat`` and
refuses anything that is not a regular file **without opening it**: opening a named pipe (FIFO) blocks until
a writer appears, which is forever in a scoring run, and a character device such as ``/dev/zero`` never ends
(reading it whole is a MemoryError). A file larger than its modality's limit is refused too, before a byte is
read. Each refusal is a :class:`~emoeval.errors.SampleInputError` naming the file and the fix, so the runner
records an error row for that sample and scores the rest.

**Size limits** (MB = 2**20 bytes), by the modality the caller names or, when it names none, by the file's
suffix (image suffixes → ``face``, audio suffixes → ``speech``, ``.txt`` → ``text``, anything else →
the general limit):

============  =======  ==============================================================================
modality      default  why
============  =======  ==============================================================================
``face``      64 MB    generated faces are 0.1–5 MB; 64 MB still holds an uncompressed 8-bit RGB image
                       of 4,600 × 4,600 pixels (16-bit: 3,270²), far beyond what any face model looks at
``speech``    512 MB   4.6 hours of 16 kHz 16-bit mono WAV, 31 minutes of 48 kHz 24-bit stereo; the
                       decoded float32 samples of such a file already take over 1 GB of memory
``text``      64 MB    a reference set of a million 60-character lines; a response is a manifest cell
other         512 MB   modalities added by plug-ins (signal, video) and files with unknown suffixes
============  =======  ==============================================================================

Each limit is configurable by an environment variable read at every check (so a running notebook can change
it): ``EMOEVAL_MAX_FILE_MB_FACE``, ``EMOEVAL_MAX_FILE_MB_SPEECH``, ``EMOEVAL_MAX_FILE_MB_TEXT`` (generally
``EMOEVAL_MAX_FILE_MB_<MODALITY>``), and ``EMOEVAL_MAX_FILE_MB`` for the general one. The value is a positive
number of MB (decimals allowed) or ``inf`` for no limit.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from emoeval.errors import RunConfigError, SampleInputError

MB = 1 << 20
#: default size limits in MB, by modality; other modalities get :data:`DEFAULT_MAX_FILE_MB`
MAX_FILE_MB: dict[str, float] = {"face": 64.0, "speech": 512.0, "text": 64.0}
#: the limit for modalities without their own (plug-in modalities, unknown file types)
DEFAULT_MAX_FILE_MB = 512.0
#: ``EMOEVAL_MAX_FILE_MB_<MODALITY>`` sets one modality's limit; ``EMOEVAL_MAX_FILE_MB`` the general one
ENV_VAR = "EMOEVAL_MAX_FILE_MB"
#: bytes read per step when hashing or reading a file (a streaming hash never holds more than this)
CHUNK_SIZE = MB


def modality_of_file(path: Path | str) -> str | None:
    """The modality a file's suffix suggests (``face``, ``speech``, ``text``), or None for other suffixes.

    >>> [modality_of_file(name) for name in ("a/b.PNG", "x.flac", "notes.txt", "x.bin")]
    ['face', 'speech', 'text', None]
    """
    from emoeval.samples import AUDIO_SUFFIXES, IMAGE_SUFFIXES, TEXT_SUFFIXES

    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "face"
    if suffix in AUDIO_SUFFIXES:
        return "speech"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def _limit_variable(modality: str | None) -> str:
    return f"{ENV_VAR}_{modality.upper()}" if modality else ENV_VAR


def max_file_mb(modality: str | None) -> float:
    """The size limit in MB for files of ``modality`` (None: the general limit); ``math.inf`` for none.

    Read from ``EMOEVAL_MAX_FILE_MB_<MODALITY>`` (for a modality without its own default, falling back to
    ``EMOEVAL_MAX_FILE_MB``), else the defaults in :data:`MAX_FILE_MB`. A value that is not a positive number
    or ``inf`` raises :class:`~emoeval.errors.RunConfigError` naming the variable.
    """
    names = [_limit_variable(modality)] if modality else []
    if modality not in MAX_FILE_MB:
        names.append(ENV_VAR)
    for name in names:
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not value > 0:  # also refuses NaN
            raise RunConfigError(f"{name}={raw!r} is not a size limit; set it to a positive number of MB, or 'inf'")
        return value
    return MAX_FILE_MB.get(modality or "", DEFAULT_MAX_FILE_MB)


def _describe_mb(size: float) -> str:
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size:,.0f} bytes"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device (like /dev/zero or a terminal)"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(path: Path, st: os.stat_result, modality: str | None) -> None:
    """Raise SampleInputError when ``st`` is not a regular file within ``modality``'s size limit."""
    kind = _kind(st.st_mode)
    if kind == "a folder":
        raise SampleInputError(f"{path} is a folder, not a file; check the path in the manifest")
    if kind is not None:
        raise SampleInputError(
            f"{path} is {kind}, not a regular file; emoeval reads only regular files (a pipe or device could "
            "block the run or never end): write the output to a file and point the manifest at it"
        )
    limit = max_file_mb(modality)
    if st.st_size > limit * MB:
        name = modality or "general"
        raise SampleInputError(
            f"{path} is {_describe_mb(st.st_size)}, over the {limit:g} MB limit for {name} files; check that it "
            f"is the right file, or raise the limit with {_limit_variable(modality)}=<MB> (or =inf)"
        )


def check_input_file(path: Path | str, modality: str | None = None) -> os.stat_result:
    """``os.stat`` of ``path`` when it is a regular file within the size limit; never opens the file.

    ``modality`` picks the limit (see the module docstring; None: guessed from the suffix). Raises
    :class:`SampleInputError` naming the file for a missing path, a folder, a FIFO, a device, a socket, a
    file over the limit, or a path that cannot be examined (permissions).
    """
    path = Path(path)
    modality = modality or modality_of_file(path)
    try:
        st = path.stat()  # follows symlinks: a link to /dev/zero is judged as /dev/zero; never opens the file
    except FileNotFoundError:
        raise SampleInputError(f"file not found: {path}; check the path in the manifest") from None
    except OSError as exc:
        raise SampleInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    _refuse(path, st, modality)
    return st


@contextmanager
def open_input_file(path: Path | str, modality: str | None = None) -> Iterator[tuple[BinaryIO, int]]:
    """``(binary file, size limit in bytes or -1 for none)`` of a checked regular file (:func:`check_input_file`).

    The file is opened non-blocking and checked again on the open descriptor, so a path swapped for a pipe
    between the check and the open is still refused instead of blocking.
    """
    path = Path(path)
    modality = modality or modality_of_file(path)
    check_input_file(path, modality)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise SampleInputError(f"file not found: {path}; check the path in the manifest") from None
    except OSError as exc:
        raise SampleInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        _refuse(path, os.fstat(descriptor), modality)
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)  # a regular file: plain reads from here on
        limit = max_file_mb(modality)
        yield handle, math.floor(limit * MB) if math.isfinite(limit) else -1


def _chunks(path: Path, modality: str | None, chunk_size: int) -> Iterator[bytes]:
    """The file's bytes in chunks, refusing it once more than the limit has been read (a growing file)."""
    with open_input_file(path, modality) as (handle, limit):
        total = 0
        try:
            while chunk := handle.read(chunk_size):
                total += len(chunk)
                if 0 <= limit < total:
                    raise SampleInputError(
                        f"{path} grew past the {limit / MB:g} MB limit while being read; is another program "
                        "still writing it?"
                    )
                yield chunk
        except OSError as exc:
            raise SampleInputError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_input_file(
    path: Path | str, modality: str | None = None, *, chunk_size: int = CHUNK_SIZE
) -> tuple[str, bytes]:
    """``(sha256 hex digest, bytes)`` of a checked regular file, hashed while it is read (one pass)."""
    digest = hashlib.sha256()
    parts = []
    for chunk in _chunks(Path(path), modality, chunk_size):
        digest.update(chunk)
        parts.append(chunk)
    return digest.hexdigest(), b"".join(parts)


def file_sha256(path: Path | str, modality: str | None = None, *, chunk_size: int = CHUNK_SIZE) -> str:
    """sha256 hex digest of a checked regular file, streamed in ``chunk_size`` pieces (memory stays flat).

    Equal to ``hashlib.sha256(Path(path).read_bytes()).hexdigest()`` for a file that passes the check.
    """
    digest = hashlib.sha256()
    for chunk in _chunks(Path(path), modality, chunk_size):
        digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "DEFAULT_MAX_FILE_MB",
    "ENV_VAR",
    "MAX_FILE_MB",
    "check_input_file",
    "file_sha256",
    "max_file_mb",
    "modality_of_file",
    "open_input_file",
    "read_input_file",
]
