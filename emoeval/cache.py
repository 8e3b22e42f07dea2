"""On-disk cache of reference-model outputs, keyed by (model, model fingerprint, input content hash).

An unchanged re-run reads every output from here, and one added sample costs one model call. The same folder
also keeps *records*: small JSON documents such as a sample metric's verdict on one sample (values, warning,
label), so metrics that compute without a reference model (prosody, PESQ) are not recomputed either, and fitted
emotion probes (``emotion-probes/<model>/<key>/``, written by :mod:`emoeval.reference_models.emotion_probe`).

Every entry carries a sha256 checksum of its content and is written atomically (temporary file in the same
folder, then rename), so a reader never sees half an entry. An entry that cannot be read — missing, empty,
truncated, edited (checksum mismatch), not in the expected layout — is a cache *miss*: it is removed and the
value is recomputed and written again; a damaged cache never breaks a run. Arrays are read with
``allow_pickle=False``. The folder is ``$EMOEVAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/emoeval/outputs``, else
``~/.cache/emoeval/outputs``; deleting it is always safe.

**Size and eviction.** The folder grows without bound unless ``$EMOEVAL_CACHE_MAX_SIZE`` (``5G``, ``500M``,
``1.5Gi``, a number of bytes; :func:`parse_size`) sets a limit: :meth:`OutputCache.prune_to_limit`, called at the
end of a run, then removes the *least recently used* entries until the rest fit. "Used" means written or read: a
cache hit sets the entry file's modification time to now (``os.utime``, once a minute at most per entry; access
times are not relied on, since most file systems are mounted ``noatime``/``relatime``). Sizes are bytes on disk
as ``du`` counts them (at least the file's length). :meth:`OutputCache.info` summarises the folder,
:meth:`OutputCache.verify` lists damaged entries without touching them, :meth:`OutputCache.clear` empties it;
``emoeval cache info | verify | prune | clear`` wraps them.

**Concurrency.** Several processes may read, write and prune one folder at the same time (two runs sharing a
cache, Ray workers on shared storage): writes are atomic renames, so two writers of one key leave one whole
entry; a reader whose entry is removed under it sees a miss; pruning skips an entry used since it looked at it,
and never removes another writer's temporary file younger than an hour (a writer that loses its temporary file
or folder anyway retries). Only files of the cache's own layout are ever removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from emoeval.atomic import atomic_write_bytes
from emoeval.errors import RunConfigError

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
#: the environment variable that bounds the cache's size (unset or empty: no bound)
MAX_SIZE_ENV = "EMOEVAL_CACHE_MAX_SIZE"
#: a temporary file older than this (seconds) is a dead writer's leftover that pruning removes; a younger one may
#: belong to a writer still at work (a large array on slow shared storage), so it is left alone
STALE_TEMP_SECONDS = 3600.0
#: a hit on an entry last used longer ago than this (seconds) sets its time to now; a more recent one is left
REFRESH_SECONDS = 60.0
#: tries of one atomic write whose folder a concurrent prune removes under it (each loss needs a prune to hit the
#: microseconds between mkdir and the temporary file; a writer losing 20 in a row means something else is wrong)
_WRITE_ATTEMPTS = 20
#: sub-folders of the cache root that hold JSON records and fitted emotion probes
RECORDS_DIR = "records"
PROBES_DIR = "emotion-probes"
_PROBE_HASHES = "probe.sha256"  # the probe folder's list of "<sha256>  <file>" lines (emotion_probe.PROBE_SHA256)


# -- sizes --------------------------------------------------------------------------------------------------------
_UNITS = {
    "": 1,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "t": 1000**4,
    "ki": 1024,
    "mi": 1024**2,
    "gi": 1024**3,
    "ti": 1024**4,
}
_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[kmgt]i?)?b?\s*$", re.IGNORECASE)


def parse_size(text: str, *, what: str | None = None) -> int:
    """A size in bytes from ``text``: a number of bytes, or a number with a unit — ``K``, ``M``, ``G``, ``T``
    (powers of 1000, as ``du --si`` and disk vendors count) or ``Ki``, ``Mi``, ``Gi``, ``Ti`` (powers of 1024),
    optionally followed by ``B``; case-insensitive. ``what`` names the setting in the error message.

    >>> parse_size("5G"), parse_size("500MB"), parse_size("1.5Ki"), parse_size("1234")
    (5000000000, 500000000, 1536, 1234)
    >>> parse_size("5 gigs")
    Traceback (most recent call last):
    ...
    emoeval.errors.RunConfigError: '5 gigs' is not a size: give a number of bytes (1500000000) or ...
    """
    match = _SIZE.match(str(text))
    if match is None:
        raise RunConfigError(
            f"{what + '=' if what else ''}{text!r} is not a size: give a number of bytes (1500000000) or a number "
            "with a unit K, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), e.g. 5G, 500M or 2Gi"
        )
    factor = _UNITS[(match["unit"] or "").lower()]
    number = match["number"]
    return round(float(number) * factor) if "." in number else int(number) * factor


def cache_size_limit(environ: Mapping[str, str] | None = None) -> int | None:
    """The size limit of the output cache in bytes from ``$EMOEVAL_CACHE_MAX_SIZE`` (None: unset or empty, no
    limit); a value that is not a size raises :class:`~emoeval.errors.RunConfigError` naming the variable."""
    value = (os.environ if environ is None else environ).get(MAX_SIZE_ENV, "").strip()
    return parse_size(value, what=MAX_SIZE_ENV) if value else None


def format_size(n_bytes: float) -> str:
    """``n_bytes`` for people, in powers of 1000 (the units :func:`parse_size` reads without ``i``).

    >>> format_size(0), format_size(999), format_size(1500), format_size(4_200_000_000)
    ('0 B', '999 B', '1.5 kB', '4.2 GB')
    """
    if n_bytes < 1000:
        return f"{int(n_bytes)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n_bytes /= 1000
        if n_bytes < 999.95 or unit == "TB":
            return f"{n_bytes:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


# -- entry checks (shared by reading and verify) -------------------------------------------------------------------
def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename (atomic on POSIX).

    A concurrent prune or clear may remove a folder just created here (it was empty) before the temporary file
    is in it — even between the levels ``mkdir(parents=True)`` creates, or between ``mkdir`` finding the folder
    made by another writer and checking it is a folder (FileExistsError) — or, past its grace period, the
    temporary file itself: the write is then simply tried again."""
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
            return
        except (FileNotFoundError, FileExistsError):
            if attempt == _WRITE_ATTEMPTS - 1:
                raise


def _discard(path: Path) -> None:
    """Remove a damaged entry so the recomputed value replaces it (a vanished or read-only file is left)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _mark_used(path: Path) -> None:
    """Set ``path``'s modification time to now: the entry was just used, so LRU eviction keeps it longest.
    A read-only cache (shared storage mounted read-only, another user's files) just keeps its old time."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _read(path: Path) -> tuple[bytes, float]:
    """An entry file's bytes and its modification time (from the open file: no second lookup by name)."""
    with path.open("rb") as handle:
        return handle.read(), os.fstat(handle.fileno()).st_mtime


def _refresh(path: Path, modified: float) -> None:
    """Mark a hit as a use, unless the entry was used within :data:`REFRESH_SECONDS` (LRU order finer than that
    does not matter, and a warm run then costs no metadata write per hit — a round trip each on network storage)."""
    if modified < time.time() - REFRESH_SECONDS:
        _mark_used(path)


def mark_used(path: Path) -> None:
    """Mark a cache entry (a file, or an emotion probe's folder) as just used, for LRU eviction."""
    _mark_used(Path(path))


def _canonical_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=True).encode("utf-8")


def _decode_array(data: bytes) -> np.ndarray:
    """The array of an entry file's bytes; ValueError (or numpy's own error) when it is not a whole, unedited
    entry of this layout."""
    import io

    import numpy as np

    header = len(_ARRAY_MAGIC) + _DIGEST_SIZE
    payload = data[header:]
    stored_digest = data[len(_ARRAY_MAGIC) : header]
    if not data.startswith(_ARRAY_MAGIC) or hashlib.sha256(payload).digest() != stored_digest:
        raise ValueError("not an array entry, or its sha256 does not match (truncated or edited)")
    return np.load(io.BytesIO(payload), allow_pickle=False)


def _decode_record(text: str) -> dict[str, Any]:
    """The record of a record file's text; ValueError (or a JSON/key error) when damaged or edited."""
    envelope = json.loads(text)
    record = envelope["record"]
    digest = hashlib.sha256(_canonical_json(record)).hexdigest() if isinstance(record, dict) else None
    if digest is None or envelope["sha256"] != digest:
        raise ValueError("the record's sha256 does not match (edited) or it is not a record")
    return record


def _check_probe(folder: Path) -> None:
    """Raise ValueError unless every file ``probe.sha256`` lists is present with that sha256."""
    lines = (folder / _PROBE_HASHES).read_text(encoding="utf-8").splitlines()
    listed = [line.split(maxsplit=1) for line in lines if line.strip()]
    if not listed or any(len(parts) != 2 for parts in listed):
        raise ValueError(f"{_PROBE_HASHES} is not a list of '<sha256>  <file>' lines")
    for digest, name in listed:
        if hashlib.sha256((folder / name.strip()).read_bytes()).hexdigest() != digest:
            raise ValueError(f"{name.strip()} does not match its sha256 in {_PROBE_HASHES}")


# -- what the folder holds -----------------------------------------------------------------------------------------
EntryKind = Literal["output", "record", "probe"]


@dataclass(frozen=True)
class CacheEntry:
    """One cache entry as found on disk.

    ``kind``: ``output`` (a model's output for one input; ``group`` is the model name), ``record`` (a JSON
    record; ``group`` is its namespace, e.g. ``scores-v3/face_identity_similarity``) or ``probe`` (a fitted
    emotion probe's folder; ``group`` is the probe model). ``size``: bytes on disk. ``last_used``: seconds since
    the epoch of the last write or hit (the newest modification time of its files)."""

    path: Path
    kind: EntryKind
    group: str
    size: int
    last_used: float
    files: tuple[Path, ...]


@dataclass(frozen=True)
class GroupUsage:
    """Entries of one kind and group (a model's outputs, a record namespace, a probe model)."""

    kind: str
    group: str
    entries: int
    bytes: int
    oldest_use: float
    newest_use: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "group": self.group,
            "entries": self.entries,
            "bytes": self.bytes,
            "oldest_use": _iso(self.oldest_use),
            "newest_use": _iso(self.newest_use),
        }


@dataclass(frozen=True)
class CacheUsage:
    """What :meth:`OutputCache.info` found: totals, the per-group breakdown (largest first), the last-use range
    (None for an empty cache), temporary files of writers (``stale_temp_*``: older than an hour, left by a
    killed writer; pruning removes them), other files (not of the cache's layout; never removed), the limit."""

    root: Path
    entries: int
    bytes: int
    groups: tuple[GroupUsage, ...]
    oldest_use: float | None
    newest_use: float | None
    temp_files: int
    temp_bytes: int
    stale_temp_files: int
    other_files: int
    other_bytes: int
    max_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: sizes in bytes, times as ISO 8601 (UTC)."""
        return {
            "root": str(self.root),
            "entries": self.entries,
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "oldest_use": _iso(self.oldest_use),
            "newest_use": _iso(self.newest_use),
            "groups": [group.to_dict() for group in self.groups],
            "temp_files": self.temp_files,
            "temp_bytes": self.temp_bytes,
            "stale_temp_files": self.stale_temp_files,
            "other_files": self.other_files,
            "other_bytes": self.other_bytes,
        }


@dataclass(frozen=True)
class PruneReport:
    """What :meth:`OutputCache.prune` or :meth:`OutputCache.clear` did. ``kept_in_use``: entries that would
    have gone but were used (hit or rewritten) by another process while pruning, so they were kept; ``failed``:
    files that could not be removed (permissions), with the reason."""

    removed: int
    freed_bytes: int
    remaining_entries: int
    remaining_bytes: int
    stale_temp_removed: int
    kept_in_use: int = 0
    failed: tuple[tuple[Path, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed": self.removed,
            "freed_bytes": self.freed_bytes,
            "remaining_entries": self.remaining_entries,
            "remaining_bytes": self.remaining_bytes,
            "stale_temp_removed": self.stale_temp_removed,
            "kept_in_use": self.kept_in_use,
            "failed": [[str(path), reason] for path, reason in self.failed],
        }


@dataclass(frozen=True)
class DamagedEntry:
    """An entry :meth:`OutputCache.verify` could not read back: where, which kind and group, and why."""

    path: Path
    kind: EntryKind
    group: str
    reason: str


@dataclass(frozen=True)
class VerifyReport:
    """Entries checked and those damaged (a run would treat them as misses, remove and recompute them)."""

    checked: int
    damaged: tuple[DamagedEntry, ...]

    @property
    def ok(self) -> bool:
        return not self.damaged


def _iso(timestamp: float | None) -> str | None:
    from datetime import UTC, datetime

    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _disk_bytes(stat: os.stat_result) -> int:
    """Bytes a file takes on disk (``du``'s count), at least its length (``st_blocks`` is absent on Windows)."""
    return max(stat.st_size, getattr(stat, "st_blocks", 0) * 512)


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")  # emoeval.atomic's ".<name>.<random>.tmp"


@dataclass
class _Scan:
    entries: list[CacheEntry] = field(default_factory=list)
    temps: list[tuple[Path, os.stat_result]] = field(default_factory=list)
    other: list[tuple[Path, os.stat_result]] = field(default_factory=list)


@dataclass
class OutputCache:
    """Model outputs on disk. ``hits``/``misses`` count lookups (tests and progress use them); ``damaged``
    counts entries that existed but could not be used (they were removed and recomputed). ``max_bytes``: the
    size :meth:`prune_to_limit` prunes to (default: ``$EMOEVAL_CACHE_MAX_SIZE``, read when the cache is made so
    a bad value fails before a run; None: no limit)."""

    root: Path
    hits: int = 0
    misses: int = 0
    record_hits: int = 0
    record_misses: int = 0
    damaged: int = 0
    max_bytes: int | None = field(default_factory=cache_size_limit)

    def _path(self, model: str, fingerprint: str, key: str) -> Path:
        return self.root / model / fingerprint[:16] / key[:2] / f"{key}.arr"

    def contains(self, model: str, fingerprint: str, key: str) -> bool:
        """Whether an output is stored for this key (a file check: nothing read or verified, no hit or miss
        counted; :meth:`get` still verifies it)."""
        return self._path(model, fingerprint, key).is_file()

    def get(self, model: str, fingerprint: str, key: str) -> np.ndarray | None:
        """The cached output, or None when it is absent or damaged (then recompute and :meth:`put` it)."""
        path = self._path(model, fingerprint, key)
        try:
            data, modified = _read(path)
        except OSError:  # absent (or unreadable, or pruned by another process just now): a miss
            self.misses += 1
            return None
        try:
            value = _decode_array(data)
        except Exception:  # empty, truncated, edited, another layout: never trust it
            self.misses += 1
            self.damaged += 1
            _discard(path)
            return None
        self.hits += 1
        _refresh(path, modified)
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
        return self.root / RECORDS_DIR / namespace / key[:2] / f"{key}.json"

    def get_record(self, namespace: str, key: str) -> dict[str, Any] | None:
        """A record stored under ``namespace`` and ``key`` (None when absent, damaged or edited)."""
        path = self._record_path(namespace, key)
        try:
            data, modified = _read(path)
        except OSError:
            self.record_misses += 1
            return None
        try:
            record = _decode_record(data.decode("utf-8"))
        except Exception:  # empty, truncated, edited, not UTF-8, another layout
            self.record_misses += 1
            self.damaged += 1
            _discard(path)
            return None
        self.record_hits += 1
        _refresh(path, modified)
        return record

    def put_record(self, namespace: str, key: str, record: dict[str, Any]) -> None:
        envelope = {"record": record, "sha256": hashlib.sha256(_canonical_json(record)).hexdigest()}
        _atomic_write(self._record_path(namespace, key), json.dumps(envelope, sort_keys=True).encode("utf-8"))

    # -- the folder as a whole ---------------------------------------------------------------------------------
    def _scan(self) -> _Scan:
        """Every entry, temporary and other file under the root; files that vanish while looking are skipped."""
        scan = _Scan()
        probes: dict[Path, list[tuple[Path, os.stat_result]]] = {}
        for folder, _, names in os.walk(self.root):  # folders removed meanwhile are skipped by os.walk
            base = Path(folder)
            parts = base.relative_to(self.root).parts
            for name in names:
                path = base / name
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if _is_temp(name):
                    scan.temps.append((path, stat))
                elif len(parts) == 3 and parts[0] == PROBES_DIR:
                    probes.setdefault(base, []).append((path, stat))
                elif len(parts) >= 3 and parts[0] == RECORDS_DIR and name.endswith(".json"):
                    group = "/".join(parts[1:-1])
                    scan.entries.append(_entry(path, "record", group, stat))
                elif len(parts) == 3 and parts[0] not in (RECORDS_DIR, PROBES_DIR) and name.endswith(".arr"):
                    scan.entries.append(_entry(path, "output", parts[0], stat))
                else:
                    scan.other.append((path, stat))
        for folder, files in probes.items():
            try:  # the folder's own time counts: mark_used touches the folder on a probe hit
                folder_time = folder.stat().st_mtime
            except OSError:
                continue
            scan.entries.append(
                CacheEntry(
                    path=folder,
                    kind="probe",
                    group=folder.parent.name,
                    size=sum(_disk_bytes(stat) for _, stat in files),
                    last_used=max(folder_time, *(stat.st_mtime for _, stat in files)),
                    files=tuple(path for path, _ in files),
                )
            )
        return scan

    def entries(self) -> list[CacheEntry]:
        """Every entry on disk, least recently used first (ties by path, so the order is reproducible)."""
        return sorted(self._scan().entries, key=lambda entry: (entry.last_used, str(entry.path)))

    def info(self, *, now: float | None = None) -> CacheUsage:
        """Entries, bytes on disk, the per-model / per-namespace breakdown and the range of last uses."""
        scan = self._scan()
        now = time.time() if now is None else now
        by_group: dict[tuple[str, str], list[CacheEntry]] = {}
        for entry in scan.entries:
            by_group.setdefault((entry.kind, entry.group), []).append(entry)
        groups = sorted(
            (
                GroupUsage(
                    kind=kind,
                    group=group,
                    entries=len(chosen),
                    bytes=sum(e.size for e in chosen),
                    oldest_use=min(e.last_used for e in chosen),
                    newest_use=max(e.last_used for e in chosen),
                )
                for (kind, group), chosen in by_group.items()
            ),
            key=lambda usage: (-usage.bytes, usage.kind, usage.group),
        )
        uses = [entry.last_used for entry in scan.entries]
        return CacheUsage(
            root=self.root,
            entries=len(scan.entries),
            bytes=sum(entry.size for entry in scan.entries),
            groups=tuple(groups),
            oldest_use=min(uses) if uses else None,
            newest_use=max(uses) if uses else None,
            temp_files=len(scan.temps),
            temp_bytes=sum(_disk_bytes(stat) for _, stat in scan.temps),
            stale_temp_files=sum(stat.st_mtime < now - STALE_TEMP_SECONDS for _, stat in scan.temps),
            other_files=len(scan.other),
            other_bytes=sum(_disk_bytes(stat) for _, stat in scan.other),
            max_bytes=self.max_bytes,
        )

    def verify(self) -> VerifyReport:
        """Read every entry back and check its checksum (a probe: every file against ``probe.sha256``); report
        the damaged ones **without removing them** (a run removes and recomputes them when it meets them). An
        entry removed by another process meanwhile is not counted."""
        checked = 0
        damaged: list[DamagedEntry] = []
        for entry in self.entries():
            try:
                if entry.kind == "output":
                    _decode_array(entry.path.read_bytes())
                elif entry.kind == "record":
                    _decode_record(entry.path.read_text(encoding="utf-8"))
                else:
                    _check_probe(entry.path)
            except FileNotFoundError:
                if entry.kind != "probe" or not entry.path.exists():
                    continue  # pruned or replaced meanwhile: nothing to report
                damaged.append(DamagedEntry(entry.path, entry.kind, entry.group, "a file it lists is missing"))
            except Exception as exc:
                damaged.append(DamagedEntry(entry.path, entry.kind, entry.group, f"{type(exc).__name__}: {exc}"))
            checked += 1
        return VerifyReport(checked=checked, damaged=tuple(damaged))

    def prune(
        self, max_bytes: int, *, stale_after: float = STALE_TEMP_SECONDS, now: float | None = None
    ) -> PruneReport:
        """Remove least recently used entries until the entries take at most ``max_bytes`` on disk; remove
        temporary files older than ``stale_after`` seconds (a killed writer's), never younger ones (a writer may
        be at work). Safe while other processes use the folder: an entry used after this call looked at it is
        kept, a file that vanished counts as removed, folders left empty are removed."""
        if max_bytes < 0:
            raise RunConfigError(f"max_bytes must be a size of 0 or more, got {max_bytes}")
        scan = self._scan()
        now = time.time() if now is None else now
        stale = self._remove_stale_temps(scan, now - stale_after)
        ordered = sorted(scan.entries, key=lambda entry: (entry.last_used, str(entry.path)))
        total = sum(entry.size for entry in ordered)
        removed = freed = kept = 0
        failed: list[tuple[Path, str]] = []
        remaining = len(ordered)
        for entry in ordered:
            if total <= max_bytes:
                break
            if _used_since(entry):
                kept += 1
                continue
            problems = _remove_entry(entry)
            if problems:
                failed.extend(problems)
                continue
            removed += 1
            remaining -= 1
            freed += entry.size
            total -= entry.size
        self._remove_empty_folders()
        return PruneReport(removed, freed, remaining, total, stale, kept, tuple(failed))

    def prune_to_limit(self) -> PruneReport | None:
        """Prune to :attr:`max_bytes` (``$EMOEVAL_CACHE_MAX_SIZE``); None, doing nothing, without a limit. The
        runner calls this at the end of a run."""
        return None if self.max_bytes is None else self.prune(self.max_bytes)

    def clear(self, *, stale_after: float = STALE_TEMP_SECONDS, now: float | None = None) -> PruneReport:
        """Remove every entry (outputs, records, fitted probes) and stale temporary files; files that are not of
        the cache's layout and other writers' young temporary files stay (so a run writing meanwhile is not
        broken, and a cache folder pointed at the wrong place loses nothing else)."""
        scan = self._scan()
        now = time.time() if now is None else now
        stale = self._remove_stale_temps(scan, now - stale_after)
        removed = freed = 0
        failed: list[tuple[Path, str]] = []
        left: list[CacheEntry] = []
        for entry in scan.entries:
            problems = _remove_entry(entry)
            if problems:
                failed.extend(problems)
                left.append(entry)
            else:
                removed += 1
                freed += entry.size
        self._remove_empty_folders()
        return PruneReport(removed, freed, len(left), sum(e.size for e in left), stale, 0, tuple(failed))

    @staticmethod
    def _remove_stale_temps(scan: _Scan, cutoff: float) -> int:
        count = 0
        for path, stat in scan.temps:
            if stat.st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
                    count += 1
        return count

    def _remove_empty_folders(self) -> None:
        """Remove folders left empty under the root (deepest first); a folder another writer fills meanwhile
        makes ``rmdir`` fail and stays (and a writer whose folder went retries: :func:`_atomic_write`)."""
        for folder, _, _ in sorted(os.walk(self.root), key=lambda item: -len(item[0])):
            if Path(folder) != self.root:
                with contextlib.suppress(OSError):
                    Path(folder).rmdir()


def _entry(path: Path, kind: EntryKind, group: str, stat: os.stat_result) -> CacheEntry:
    return CacheEntry(path, kind, group, _disk_bytes(stat), stat.st_mtime, (path,))


def _used_since(entry: CacheEntry) -> bool:
    """True when another process hit or rewrote ``entry`` after it was scanned (its time moved on)."""
    for path in (*entry.files, entry.path) if entry.kind == "probe" else entry.files:
        try:
            if path.stat().st_mtime > entry.last_used:
                return True
        except OSError:
            continue
    return False


def _remove_entry(entry: CacheEntry) -> list[tuple[Path, str]]:
    """Remove ``entry``'s files (a probe: then its folder); vanished files are fine. The files that could not be
    removed, with why."""
    failed = []
    for path in entry.files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            failed.append((path, exc.strerror or str(exc)))
    if entry.kind == "probe" and not failed:
        with contextlib.suppress(OSError):
            entry.path.rmdir()
    return failed


__all__ = [
    "MAX_SIZE_ENV",
    "STALE_TEMP_SECONDS",
    "CacheEntry",
    "CacheUsage",
    "DamagedEntry",
    "GroupUsage",
    "OutputCache",
    "PruneReport",
    "VerifyReport",
    "cache_size_limit",
    "default_cache_dir",
    "emoeval_cache_home",
    "format_size",
    "mark_used",
    "parse_size",
]
