"""The output folder of a run: one run at a time, partial rows flushed as they come, a finished run never lost.

Files in ``--out``:

====================  =======================================================================================
``.emoeval.lock``     held (``flock``) while a run writes here; holds the pid of that run. The kernel releases
                      the lock when the process ends, however it ends, so a killed run leaves no stale lock.
``run.partial.json``  header of a run in progress: run id, config hash, start time, status ``running``
``rows.partial.jsonl`` its per-sample rows, appended after each batch (each row carries its ``config_hash``)
``results.parquet``   the finished run: the table (reference copy), ``results.csv`` (spreadsheet-safe copy)
``run.json``          and its record (inputs, configuration, models, environment); written last, atomically
====================  =======================================================================================

Rules: a second run into a folder that is in use fails at once, naming the holder's pid. A folder that holds
another configuration's results — finished (``run.json``), unfinished (``run.partial.json``), or a results table
with no record — is never replaced without ``overwrite``. Resuming keeps only flushed rows of the same
configuration. ``run.json`` of a finished run is never touched until the new run has finished: a run that is
interrupted, or cannot write, leaves the previous results and their record as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from emoeval.atomic import atomic_write_text
from emoeval.errors import RunConfigError

PARTIAL_ROWS = "rows.partial.jsonl"
RUN_PARTIAL_JSON = "run.partial.json"
LOCK_FILE = ".emoeval.lock"


def _not_writable(folder: Path, exc: OSError) -> RunConfigError:
    reason = exc.strerror or type(exc).__name__
    return RunConfigError(f"cannot write to the output folder {folder} ({reason}); choose a writable --out folder")


def _lock(handle: IO[str]) -> bool:
    """Take an exclusive, non-blocking lock on ``handle``; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when absent; an empty dict when it exists but cannot be read."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class RunFolder:
    """A run's output folder, locked for the run's lifetime (use as a context manager or call :meth:`close`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock_handle: IO[str] | None = None

    # -- lifetime --------------------------------------------------------------------------------------------
    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def acquire(self) -> None:
        """Create the folder and take its lock, or fail with a one-line reason (in use, not writable)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / LOCK_FILE).open("a+", encoding="utf-8")
        except OSError as exc:
            raise _not_writable(self.folder, exc) from None
        if not _lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunConfigError(
                f"{self.folder} is in use by another emoeval run ({holder}); wait for it to finish, "
                "or choose another --out folder"
            )
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        except OSError as exc:
            handle.close()
            raise _not_writable(self.folder, exc) from None
        self._lock_handle = handle

    def close(self) -> None:
        """Release the lock (the lock file stays; it is empty of meaning without the lock)."""
        if self._lock_handle is not None:
            with contextlib.suppress(OSError):
                self._lock_handle.truncate(0)
            self._lock_handle.close()
            self._lock_handle = None

    # -- start or resume -------------------------------------------------------------------------------------
    def start(
        self, header: dict[str, Any], *, resume: bool, overwrite: bool
    ) -> tuple[dict[str, Any], dict[tuple[str, str], list[dict[str, Any]]]]:
        """Check what the folder holds, write the header of this run, and return (header, rows already done).

        ``header`` needs ``run_id`` and ``config_hash``; a resumed run keeps the interrupted run's ``run_id``.
        """
        from emoeval.results import RESULTS_CSV, RESULTS_PARQUET, RUN_JSON

        config = header["config_hash"]
        finished = _read_json(self.folder / RUN_JSON)
        unfinished = _read_json(self.folder / RUN_PARTIAL_JSON)
        if finished is not None and finished.get("status") == "running":  # written by emoeval <= 0.1.0
            unfinished, finished = finished, None
        partial = self.folder / PARTIAL_ROWS
        tables = [name for name in (RESULTS_PARQUET, RESULTS_CSV) if (self.folder / name).exists()]
        if not overwrite:
            if finished is not None and finished.get("config_hash") != config:
                raise RunConfigError(
                    f"{self.folder} holds the results of another run (config "
                    f"{str(finished.get('config_hash', 'unknown'))[:8]}); choose another --out folder, or pass "
                    "--overwrite to replace them"
                )
            if finished is None and tables:
                raise RunConfigError(
                    f"{self.folder} holds {' and '.join(tables)} with no {RUN_JSON} (results of another run or "
                    "tool); choose another --out folder, or pass --overwrite to replace them"
                )
            if unfinished is not None and unfinished.get("config_hash") != config and partial.exists():
                raise RunConfigError(
                    f"{self.folder} holds an unfinished run of another configuration (config "
                    f"{str(unfinished.get('config_hash', 'unknown'))[:8]}); run its command again to resume it, "
                    "choose another --out folder, or pass --overwrite to discard it"
                )
        done: dict[tuple[str, str], list[dict[str, Any]]] = {}
        same_config = unfinished is not None and unfinished.get("config_hash") == config
        if same_config and resume and partial.exists():
            done = self._read_partial_rows(config)
            header = {**header, "run_id": str(unfinished.get("run_id") or header["run_id"])}
        else:
            try:
                partial.unlink(missing_ok=True)
            except OSError as exc:
                raise _not_writable(self.folder, exc) from None
        try:
            atomic_write_text(self.folder / RUN_PARTIAL_JSON, json.dumps({**header, "status": "running"}, indent=2))
        except OSError as exc:
            raise _not_writable(self.folder, exc) from None
        return header, done

    def _read_partial_rows(self, config: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Flushed rows of this configuration by (metric, sample id); rows of any other run are dropped."""
        done: dict[tuple[str, str], list[dict[str, Any]]] = {}
        with (self.folder / PARTIAL_ROWS).open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # the last line of a killed run may be cut short
                    continue
                if not isinstance(row, dict) or row.get("config_hash") != config:
                    continue
                if not isinstance(row.get("metric"), str) or not isinstance(row.get("sample_id"), str):
                    continue
                done.setdefault((row["metric"], row["sample_id"]), []).append(row)
        return done

    # -- during and after the run ----------------------------------------------------------------------------
    def flush(self, rows: list[dict[str, Any]]) -> None:
        """Append rows to the partial file (one JSON object per line), so an interrupted run can resume."""
        if not rows:
            return
        with (self.folder / PARTIAL_ROWS).open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(row, default=str) + "\n" for row in rows))
            handle.flush()

    def finish(self) -> None:
        """Remove the files of the run in progress once its results and ``run.json`` are written."""
        (self.folder / PARTIAL_ROWS).unlink(missing_ok=True)
        (self.folder / RUN_PARTIAL_JSON).unlink(missing_ok=True)


__all__ = ["LOCK_FILE", "PARTIAL_ROWS", "RUN_PARTIAL_JSON", "RunFolder", "atomic_write_text"]
