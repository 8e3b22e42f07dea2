"""Atomic file writes: a temporary file in the target's folder, then a rename — readers see the old file or the
new one, never half of one (POSIX rename is atomic within a file system).

The new file gets the permissions an ordinary ``open(path, "w")`` would give it (0o666 minus the process umask),
not the private 0o600 of :func:`tempfile.mkstemp`: results, baselines and artefacts are meant to be shared.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def _ordinary_mode() -> int:
    """0o666 minus the current umask (read without changing it where /proc says; else set and restore it)."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Create or replace ``path`` with what ``write`` writes into the binary file handle it is given."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        Path(temporary).chmod(_ordinary_mode())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Create or replace ``path`` with ``data``."""
    atomic_write(path, lambda out: out.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    """Create or replace ``path`` with ``text`` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text"]
