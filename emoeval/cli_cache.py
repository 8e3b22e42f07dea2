"""``emoeval cache info | verify | prune | clear``: the model-output cache folder (:mod:`emoeval.cache`).

``info`` prints what the folder holds per model and record namespace (``--json`` for scripts); ``verify`` reads
every entry back against its checksum and lists damaged ones without removing them (exit 1 when any);
``prune --max-size 5G`` removes least recently used entries until the rest fit; ``clear`` empties the folder
after a confirmation (``--yes`` skips it). ``--cache-dir`` chooses the folder (default ``$EMOEVAL_CACHE_DIR``,
else ``~/.cache/emoeval/outputs``). Registered on the ``emoeval`` group in :mod:`emoeval.cli`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from emoeval.errors import EmoevalError

if TYPE_CHECKING:
    from emoeval.cache import CacheUsage, OutputCache, PruneReport

_CACHE_DIR_OPTION = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The cache folder (default: $EMOEVAL_CACHE_DIR, else ~/.cache/emoeval/outputs).",
)


def _open(cache_dir: Path | None, *, read_limit: bool = False) -> OutputCache:
    """The cache at ``cache_dir`` (or the default folder); its size limit is read from the environment only when
    asked, so a bad ``$EMOEVAL_CACHE_MAX_SIZE`` does not stop ``clear`` or ``verify``."""
    from emoeval.cache import OutputCache, cache_size_limit, default_cache_dir

    root = cache_dir if cache_dir is not None else default_cache_dir()
    if root.exists() and not root.is_dir():
        raise EmoevalError(f"{root} is not a folder; give the cache folder with --cache-dir")
    return OutputCache(root, max_bytes=cache_size_limit() if read_limit else None)


def _when(timestamp: float | None) -> str:
    from datetime import datetime

    return "-" if timestamp is None else datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def format_usage(usage: CacheUsage) -> str:
    """``usage`` as the human table ``emoeval cache info`` prints: one line per model / record namespace /
    probe model (largest first), then the total, the limit and any temporary or foreign files."""
    from emoeval.cache import MAX_SIZE_ENV, format_size

    lines = [f"cache folder: {usage.root}"]
    if usage.entries == 0:
        lines.append("empty (no entries)")
    else:
        header = ("kind", "model / namespace", "entries", "size", "oldest use", "newest use")
        rows = [
            (g.kind, g.group, f"{g.entries:,}", format_size(g.bytes), _when(g.oldest_use), _when(g.newest_use))
            for g in usage.groups
        ]
        rows.append(
            (
                "total",
                "",
                f"{usage.entries:,}",
                format_size(usage.bytes),
                _when(usage.oldest_use),
                _when(usage.newest_use),
            )
        )
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        right = {2, 3}  # numbers are right-aligned

        def line(row: tuple[str, ...]) -> str:
            cells = [
                cell.rjust(w) if i in right else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        lines += [line(header), *(line(row) for row in rows[:-1]), line(rows[-1])]
    if usage.max_bytes is None:
        lines.append(f"size limit: none (set {MAX_SIZE_ENV}, e.g. 5G, to prune after each run)")
    else:
        share = f", {usage.bytes / usage.max_bytes:.0%} used" if usage.max_bytes else ""
        lines.append(f"size limit: {format_size(usage.max_bytes)} ({MAX_SIZE_ENV}{share})")
    if usage.temp_files:
        lines.append(
            f"temporary files: {usage.temp_files} ({format_size(usage.temp_bytes)}), {usage.stale_temp_files} "
            "older than an hour (prune and clear remove those; younger ones may belong to a run at work)"
        )
    if usage.other_files:
        lines.append(
            f"other files: {usage.other_files} ({format_size(usage.other_bytes)}), not cache entries; never removed"
        )
    return "\n".join(lines)


def _report(report: PruneReport, verb: str) -> str:
    from emoeval.cache import format_size

    text = (
        f"{verb} {report.removed:,} entries ({format_size(report.freed_bytes)}); {report.remaining_entries:,} "
        f"entries ({format_size(report.remaining_bytes)}) remain"
    )
    if report.stale_temp_removed:
        text += f"; {report.stale_temp_removed} stale temporary file(s) removed"
    if report.kept_in_use:
        text += f"; {report.kept_in_use} entries kept because another process used them meanwhile"
    return text


def _fail_on(report: PruneReport) -> None:
    if report.failed:
        path, reason = report.failed[0]
        raise EmoevalError(
            f"{len(report.failed)} cache file(s) could not be removed, e.g. {path} ({reason}); check the folder's "
            "permissions"
        )


@click.group("cache")
def cache_group() -> None:
    """The model-output cache: show its size, check it, prune it to a size, empty it."""


@cache_group.command("info")
@_CACHE_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON (sizes in bytes, times in UTC) instead of a table.")
def cache_info(cache_dir: Path | None, as_json: bool) -> None:
    """Entries and size on disk per model and record namespace, when they were last used, and the size limit."""
    usage = _open(cache_dir, read_limit=True).info()
    click.echo(json.dumps(usage.to_dict(), indent=2) if as_json else format_usage(usage))


@cache_group.command("verify")
@_CACHE_DIR_OPTION
def cache_verify(cache_dir: Path | None) -> None:
    """Read every entry back and check its checksum; list damaged entries (not removed: a run recomputes them)
    and exit 1 when there is any."""
    report = _open(cache_dir).verify()
    for damaged in report.damaged:
        click.echo(f"damaged {damaged.kind} ({damaged.group}): {damaged.path}\n    {damaged.reason}")
    click.echo(f"{report.checked:,} entries checked, {len(report.damaged)} damaged")
    if report.damaged:
        raise EmoevalError(
            f"{len(report.damaged)} damaged cache entries; a run recomputes them, or remove them with "
            "`emoeval cache clear`"
        )


@cache_group.command("prune")
@_CACHE_DIR_OPTION
@click.option(
    "--max-size",
    metavar="SIZE",
    help="Keep at most SIZE on disk: bytes, or 500M, 5G (powers of 1000), 2Gi (powers of 1024) "
    "(default: $EMOEVAL_CACHE_MAX_SIZE).",
)
def cache_prune(cache_dir: Path | None, max_size: str | None) -> None:
    """Remove the least recently used entries until the cache takes at most --max-size, and temporary files of
    writers that died over an hour ago. Safe while runs use the cache."""
    from emoeval.cache import MAX_SIZE_ENV, parse_size

    if max_size is not None:
        try:
            limit = parse_size(max_size, what="--max-size")
        except EmoevalError as exc:
            raise click.BadParameter(str(exc), param_hint="--max-size") from None
        cache = _open(cache_dir)
    else:
        cache = _open(cache_dir, read_limit=True)
        if cache.max_bytes is None:
            raise click.UsageError(f"give --max-size SIZE (e.g. 5G), or set {MAX_SIZE_ENV}")
        limit = cache.max_bytes
    report = cache.prune(limit)
    click.echo(_report(report, "removed"))
    _fail_on(report)


@cache_group.command("clear")
@_CACHE_DIR_OPTION
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def cache_clear(cache_dir: Path | None, yes: bool) -> None:
    """Remove every cache entry (model outputs, verdict records, fitted emotion probes). Files that are not cache
    entries stay. Asks first unless --yes."""
    from emoeval.cache import format_size

    cache = _open(cache_dir)
    usage = cache.info()
    if usage.entries == 0 and usage.stale_temp_files == 0:
        click.echo(f"{cache.root}: nothing to remove")
        return
    if not yes:
        click.confirm(
            f"Remove {usage.entries:,} cache entries ({format_size(usage.bytes)}) from {cache.root}?", abort=True
        )
    report = cache.clear()
    click.echo(_report(report, "removed"))
    _fail_on(report)


CACHE_COMMANDS = (cache_group,)

__all__ = ["CACHE_COMMANDS", "cache_group", "format_usage"]
