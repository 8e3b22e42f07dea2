"""On-disk cache of reference-model outputs, keyed by (model, model fingerprint, input content hash).

An unchanged re-run reads every output from here, and one added sample costs one model call. Entries are
``.npy`` files written atomically (temporary file + rename) and read with ``allow_pickle=False``. The same
folder also keeps *records*: small JSON documents such as a sample metric's verdict on one sample (values,
warning, label), so metrics that compute without a reference model (prosody, PESQ) are not recomputed either.
The folder is ``$EMOEVAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/emoeval/outputs``, else
``~/.cache/emoeval/outputs``; deleting it is always safe.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


@dataclass
class OutputCache:
    """Model outputs on disk. ``hits``/``misses`` count lookups (tests and progress use them)."""

    root: Path
    hits: int = 0
    misses: int = 0
    record_hits: int = 0
    record_misses: int = 0

    def _path(self, model: str, fingerprint: str, key: str) -> Path:
        return self.root / model / fingerprint[:16] / key[:2] / f"{key}.npy"

    def get(self, model: str, fingerprint: str, key: str) -> np.ndarray | None:
        import numpy as np

        path = self._path(model, fingerprint, key)
        try:
            value = np.load(path, allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError):  # absent or damaged: recompute
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, model: str, fingerprint: str, key: str, value: np.ndarray) -> None:
        import numpy as np

        path = self._path(model, fingerprint, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.save(out, np.asarray(value), allow_pickle=False)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # -- JSON records -----------------------------------------------------------------------------------------
    def _record_path(self, namespace: str, key: str) -> Path:
        return self.root / "records" / namespace / key[:2] / f"{key}.json"

    def get_record(self, namespace: str, key: str) -> dict[str, Any] | None:
        """A record stored under ``namespace`` and ``key`` (None when absent or damaged)."""
        try:
            record = json.loads(self._record_path(namespace, key).read_text())
        except (FileNotFoundError, ValueError, OSError):
            self.record_misses += 1
            return None
        if not isinstance(record, dict):
            self.record_misses += 1
            return None
        self.record_hits += 1
        return record

    def put_record(self, namespace: str, key: str, record: dict[str, Any]) -> None:
        path = self._record_path(namespace, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(record, out, sort_keys=True)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
