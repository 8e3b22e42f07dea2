"""On-disk cache of reference-model outputs, keyed by (model, model fingerprint, input content hash).

An unchanged re-run reads every output from here, and one added sample costs one model call. The same folder
also keeps *records*: small JSON documents such as a sample metric's verdict on one sample (values, warning,
label), so metrics that compute without a reference model (prosody, PESQ) are not recomputed either.

Every entry carries a sha256 checksum of its content and is written atomically (temporary file in the same
folder, then rename), so a reader never sees half an entry. An entry that cannot be read — missing, empty,
truncated, edited (checksum mismatch), not in the expected layout — is a cache *miss*: it is removed and the
value is recomputed and written again; a damaged cache never breaks a run. Arrays are read with
``allow_pickle=False``. The folder is ``$EMOEVAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/emoeval/outputs``, else
``~/.cache/emoeval/outputs``; deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import numpy as np


def emoeval_cache_home() -> Path:
    """``$XDG_CACHE_HOME/emoeval``, else ``~/.cache/emoeval``: the parent of the default output and model folders."""
    cache_home = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache_home).expanduser() if cache_home else Path.home() / ".cache"
    return base / "emoeval"


def default_cache_dir() -> Path:
    configured = os.environ.get("EMOEVAL_CACHE_DIR")
    return Path(configured).expanduser() if configured else emoeval_cache_home() / "outputs"


#: first bytes of an array entry: format name and version (an entry of another layout is a miss)
_ARRAY_MAGIC = b"EMOEVAL-ARRAY-1\n"
_DIGEST_SIZE = 32  # sha256


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


def _discard(path: Path) -> None:
    """Remove a damaged entry so the recomputed value replaces it (a vanished or read-only file is left)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _canonical_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=True).encode("utf-8")


@dataclass
class OutputCache:
    """Model outputs on disk. ``hits``/``misses`` count lookups (tests and progress use them); ``damaged``
    counts entries that existed but could not be used (they were removed and recomputed)."""

    root: Path
    hits: int = 0
    misses: int = 0
    record_hits: int = 0
    record_misses: int = 0
    damaged: int = 0

    def _path(self, model: str, fingerprint: str, key: str) -> Path:
        return self.root / model / fingerprint[:16] / key[:2] / f"{key}.arr"

    def get(self, model: str, fingerprint: str, key: str) -> np.ndarray | None:
        """The cached output, or None when it is absent or damaged (then recompute and :meth:`put` it)."""
        import io

        import numpy as np

        path = self._path(model, fingerprint, key)
        try:
            data = path.read_bytes()
        except OSError:  # absent (or unreadable): a miss
            self.misses += 1
            return None
        header = len(_ARRAY_MAGIC) + _DIGEST_SIZE
        payload = data[header:]
        try:
            stored_digest = data[len(_ARRAY_MAGIC) : header]
            if not data.startswith(_ARRAY_MAGIC) or hashlib.sha256(payload).digest() != stored_digest:
                raise ValueError("checksum mismatch")
            value = np.load(io.BytesIO(payload), allow_pickle=False)
        except Exception:  # empty, truncated, edited, another layout: never trust it
            self.misses += 1
            self.damaged += 1
            _discard(path)
            return None
        self.hits += 1
        return value

    def put(self, model: str, fingerprint: str, key: str, value: np.ndarray) -> None:
        import io

        import numpy as np

        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        payload = buffer.getvalue()
        _atomic_write(self._path(model, fingerprint, key), _ARRAY_MAGIC + hashlib.sha256(payload).digest() + payload)

    # -- JSON records -----------------------------------------------------------------------------------------
    def _record_path(self, namespace: str, key: str) -> Path:
        return self.root / "records" / namespace / key[:2] / f"{key}.json"

    def get_record(self, namespace: str, key: str) -> dict[str, Any] | None:
        """A record stored under ``namespace`` and ``key`` (None when absent, damaged or edited)."""
        path = self._record_path(namespace, key)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            self.record_misses += 1
            return None
        try:
            envelope = json.loads(text)
            record = envelope["record"]
            digest = hashlib.sha256(_canonical_json(record)).hexdigest() if isinstance(record, dict) else None
            if digest is None or envelope["sha256"] != digest:
                raise ValueError("checksum mismatch")
        except Exception:  # empty, truncated, edited, another layout
            self.record_misses += 1
            self.damaged += 1
            _discard(path)
            return None
        self.record_hits += 1
        return record

    def put_record(self, namespace: str, key: str, record: dict[str, Any]) -> None:
        envelope = {"record": record, "sha256": hashlib.sha256(_canonical_json(record)).hexdigest()}
        _atomic_write(self._record_path(namespace, key), json.dumps(envelope, sort_keys=True).encode("utf-8"))
