"""The media gallery: for each system and target emotion, a few samples to see, hear or read, with their
scores and predicted labels, and the worst-scoring ones first when asked.

Which samples: the run's manifest (``run.json`` records it; :func:`find_samples`) gives each sample's output
file or text, its reference and its dialogue context; without it the gallery lists the scored samples without
media. Each (system, emotion) *cell* shows ``per_cell`` samples in manifest order; with ``worst`` the cell
starts with its ``worst`` worst-scoring samples, worst first.

How bad a sample is (:func:`badness_scores`): for each metric output used (``worst_by``, or every headline
output that has a direction), the sample's percentile rank among all scored samples, oriented so that 1 is the
worst value; a sample the metric could not score counts as 1. A sample's badness is the mean over the outputs
it has. Percentile ranks put outputs on different scales (cosine, dB, MOS) on one footing.

Physiological recordings (``signal`` samples) are drawn (:meth:`~emoeval.reports.media.MediaEncoder.signal`):
the first seconds of each channel and its spectrum, over the mean spectrum of the sample's system (all its
recordings in the manifest, not only those shown) and of the run's reference set when it names one
(:func:`signal_sources`: the ``real_system`` of a metric, else a signal metric's ``real`` set, else its
``emotion_reference`` set).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.reports.formatting import as_float, as_text
from emoeval.reports.leaderboard import MODALITY_ORDER
from emoeval.reports.media import MediaEncoder, MediaRef, SpectrumSet, mean_spectra
from emoeval.reports.rows import direction, emotion_order, headline, in_order, sample_rows

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.samples import Sample


@dataclass(frozen=True)
class Score:
    metric: str
    sub_metric: str
    value: float
    higher_is_better: bool | None
    label: str | None = None
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class GalleryItem:
    """One sample as the gallery shows it. ``path``/``reference_path`` are files (face, speech); ``text``,
    ``reference_text`` and ``context`` belong to text samples. ``worst_rank`` is 1 for the worst sample of its
    cell when chosen by ``--worst``; ``output``/``reference`` are filled by :func:`attach_media`."""

    sample_id: str
    system: str
    modality: str
    target_emotion: str | None
    scores: tuple[Score, ...] = ()
    badness: float | None = None
    worst_rank: int | None = None
    path: str | None = None
    reference_path: str | None = None
    text: str | None = None
    reference_text: str | None = None
    context: tuple[str, ...] = ()
    transcript: str | None = None
    output: MediaRef | None = None
    reference: MediaRef | None = None

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        """(metric, predicted label) pairs, e.g. what an emotion recognizer heard."""
        return tuple((score.metric, score.label) for score in self.scores if score.label)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(f"{score.metric}: {score.error}" for score in self.scores if score.error)


@dataclass(frozen=True)
class GalleryCell:
    modality: str
    system: str
    target_emotion: str | None
    total: int
    items: tuple[GalleryItem, ...]


@dataclass(frozen=True)
class Gallery:
    cells: tuple[GalleryCell, ...]
    per_cell: int
    worst: int
    ranked_by: tuple[str, ...]
    note: str = ""

    @property
    def n_items(self) -> int:
        return sum(len(cell.items) for cell in self.cells)

    def blocks(self) -> list[tuple[str, str, list[GalleryCell]]]:
        """The cells grouped by (modality, system), in gallery order: one block of cards per system."""
        blocks: list[tuple[str, str, list[GalleryCell]]] = []
        for cell in self.cells:
            if not blocks or blocks[-1][:2] != (cell.modality, cell.system):
                blocks.append((cell.modality, cell.system, []))
            blocks[-1][2].append(cell)
        return blocks


def find_samples(
    run: dict[str, Any],
    *,
    manifest: str | Path | None = None,
    results_dir: str | Path | None = None,
    label_set: str | None = None,
) -> tuple[list[Sample] | None, str]:
    """The run's samples from ``manifest``, or the source ``run.json`` records (tried as given, then beside the
    results folder); ``(None, why)`` when there is none to read."""
    from emoeval.errors import EmoevalError
    from emoeval.samples import load_samples

    if manifest is None:
        source = str((run.get("inputs") or {}).get("source") or "")
        candidates = [Path(source)] if source else []
        if source and results_dir is not None and not Path(source).is_absolute():
            candidates += [Path(results_dir) / source, Path(results_dir).parent / source]
        found = next((path for path in candidates if path.exists()), None)
        if found is None:
            why = (
                f"the run's manifest {source!r} was not found"
                if source and Path(source).suffix
                else "the run records no manifest file (it was scored from a DataFrame or a list of samples)"
            )
            return None, f"{why}: no media shown; pass --manifest PATH"
        manifest = found
    try:
        return load_samples(Path(manifest), label_set=label_set), ""
    except EmoevalError as exc:
        return None, f"cannot read the manifest {manifest}: {exc}; no media shown (pass --manifest / --label-set)"


def _score_keys(scored: pd.DataFrame, worst_by: str | None) -> list[tuple[str, str]]:
    from emoeval.errors import EmoevalError

    metrics = in_order(scored["metric"])
    if worst_by:
        metric, _, sub = worst_by.partition("/")
        if metric not in metrics:
            raise EmoevalError(
                f"--worst-by {worst_by!r}: no per-sample values of {metric!r}; metrics with them: {', '.join(metrics)}"
            )
        subs = in_order(scored.loc[scored["metric"].astype(str) == metric, "sub_metric"])
        if sub and sub not in subs:
            raise EmoevalError(f"--worst-by {worst_by!r}: {metric} has no output {sub!r}; it has {', '.join(subs)}")
        return [(metric, sub or headline(metric, subs, scored))]
    keys = []
    for metric in metrics:
        subs = in_order(scored.loc[scored["metric"].astype(str) == metric, "sub_metric"])
        sub = headline(metric, subs, scored)
        rows = scored[(scored["metric"].astype(str) == metric) & (scored["sub_metric"].astype(str) == sub)]
        if direction(rows) is not None:
            keys.append((metric, sub))
    return keys


def badness_scores(table: pd.DataFrame, *, worst_by: str | None = None) -> tuple[dict[str, float], list[str]]:
    """Badness in [0, 1] per sample id (1 = worst; see the module docstring) and the outputs it used."""
    import pandas as pd

    rows = sample_rows(table)
    keys = _score_keys(rows, worst_by)
    totals: dict[str, list[float]] = {}
    for metric, sub in keys:
        of_metric = rows[rows["metric"].astype(str) == metric]
        failed = of_metric[of_metric["error"].notna()]["sample_id"].astype(str)
        chosen = of_metric[(of_metric["sub_metric"].astype(str) == sub) & of_metric["error"].isna()]
        values = pd.to_numeric(chosen["value"], errors="coerce").astype(float)
        chosen, values = chosen[values.notna()], values[values.notna()]
        higher = direction(chosen)
        oriented = -values if higher in (True, None) else values
        ranks = oriented.rank(pct=True, method="average")
        for sample_id, rank in zip(chosen["sample_id"].astype(str), ranks, strict=True):
            totals.setdefault(sample_id, []).append(float(rank))
        for sample_id in failed:
            totals.setdefault(sample_id, []).append(1.0)
    return {sample_id: sum(ranks) / len(ranks) for sample_id, ranks in totals.items()}, [f"{m}/{s}" for m, s in keys]


def _scores(rows: pd.DataFrame) -> dict[str, tuple[Score, ...]]:
    scores: dict[str, list[Score]] = {}
    for row in rows.itertuples():
        higher = row.higher_is_better
        scores.setdefault(str(row.sample_id), []).append(
            Score(
                metric=str(row.metric),
                sub_metric=str(row.sub_metric),
                value=as_float(row.value),
                higher_is_better=None if as_text(higher) is None else bool(higher),
                label=as_text(row.label),
                error=as_text(row.error),
                warning=as_text(row.warning),
            )
        )
    return {key: tuple(value) for key, value in scores.items()}


def _item_from_sample(sample: Sample, scores: tuple[Score, ...], badness: float | None) -> GalleryItem:
    reference_path = str(sample.reference) if isinstance(sample.reference, Path) else None
    reference_text = sample.reference if isinstance(sample.reference, str) else None
    return GalleryItem(
        sample_id=sample.sample_id,
        system=sample.system,
        modality=sample.modality,
        target_emotion=sample.target_emotion,
        scores=scores,
        badness=badness,
        path=None if sample.path is None else str(sample.path),
        reference_path=reference_path,
        text=sample.text,
        reference_text=reference_text,
        context=tuple(sample.context or ()),
        transcript=sample.transcript,
    )


def _items_from_table(
    rows: pd.DataFrame,
    scores: dict[str, tuple[Score, ...]],
    badness: dict[str, float],
    metric_modality: Mapping[str, str],
) -> list[GalleryItem]:
    """Items from the table alone (no manifest): modality from the metric the run recorded, else "other"."""
    items = []
    for sample_id, group in rows.groupby("sample_id", sort=False):
        first = group.iloc[0]
        items.append(
            GalleryItem(
                sample_id=str(sample_id),
                system=str(first["system"]),
                modality=metric_modality.get(str(first["metric"]), "other"),
                target_emotion=as_text(first["target_emotion"]),
                scores=scores.get(str(sample_id), ()),
                badness=badness.get(str(sample_id)),
            )
        )
    return items


def choose(items: Sequence[GalleryItem], per_cell: int, worst: int) -> tuple[GalleryItem, ...]:
    """The cell's items to show: its ``worst`` worst (by badness, worst first, marked with their rank), then
    the others in order, up to ``max(per_cell, worst)`` items."""
    if worst <= 0:
        return tuple(items[:per_cell])
    ranked = sorted(
        (item for item in items if item.badness is not None and math.isfinite(item.badness)),
        key=lambda item: -(item.badness or 0.0),
    )[:worst]
    chosen = [replace(item, worst_rank=rank) for rank, item in enumerate(ranked, start=1)]
    taken = {item.sample_id for item in chosen}
    rest = [item for item in items if item.sample_id not in taken]
    return tuple(chosen + rest[: max(per_cell, worst) - len(chosen)])


def select_gallery(
    table: pd.DataFrame,
    samples: Sequence[Sample] | None,
    *,
    per_cell: int = 3,
    worst: int = 0,
    worst_by: str | None = None,
    note: str = "",
    metric_modality: Mapping[str, str] | None = None,
) -> Gallery:
    """The gallery's cells (no media yet): ``per_cell`` samples per (system, target emotion).

    Without ``samples`` (no manifest found) the items come from the table, placed by ``metric_modality``
    (metric label → modality as ``run.json`` recorded it: :func:`~emoeval.reports.rows.metric_modalities`)."""
    rows = sample_rows(table)
    badness, ranked_by = badness_scores(table, worst_by=worst_by) if worst or worst_by else ({}, [])
    scores = _scores(rows)
    if samples is not None:
        items = [_item_from_sample(s, scores.get(s.sample_id, ()), badness.get(s.sample_id)) for s in samples]
    else:
        items = _items_from_table(rows, scores, badness, metric_modality or {})
    cells: dict[tuple[str, str, str | None], list[GalleryItem]] = {}
    for item in items:
        cells.setdefault((item.modality, item.system, item.target_emotion), []).append(item)
    modalities = [*MODALITY_ORDER, *sorted({key[0] for key in cells} - set(MODALITY_ORDER))]
    emotions = emotion_order(key[2] for key in cells)
    ordered = sorted(
        cells,
        key=lambda key: (
            modalities.index(key[0]),
            key[1],
            emotions.index(key[2]) if key[2] is not None else len(emotions),
        ),
    )
    return Gallery(
        cells=tuple(
            GalleryCell(
                modality,
                system,
                emotion,
                len(cells[modality, system, emotion]),
                choose(cells[modality, system, emotion], per_cell, worst),
            )
            for modality, system, emotion in ordered
        ),
        per_cell=per_cell,
        worst=worst,
        ranked_by=tuple(ranked_by),
        note=note,
    )


@dataclass(frozen=True)
class SignalSources:
    """The recordings behind the mean spectra of a gallery's signal drawings: every recording of each system in
    the manifest (``systems``), and the reference set's (``reference``, described by ``reference_name``; empty
    when the run names none). ``reference_systems`` are systems of the run that are the reference set."""

    systems: Mapping[str, tuple[Path, ...]]
    reference: tuple[Path, ...] = ()
    reference_name: str = ""
    reference_systems: frozenset[str] = frozenset()


_TABLE_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})


def reference_recordings(source: str | Path, *, base: Path | None = None) -> list[Path]:
    """The signal files of a reference set named in run.json: a folder's files with a signal suffix (any depth,
    sorted; a fitted probe's folder holds none), or a table's ``path``/``file`` column (rows of another
    ``modality`` left out, relative paths against the table's folder). A relative ``source`` is tried as given,
    then against ``base`` (the results folder) and its parent. Nothing (an empty list) when it cannot be read."""
    import pandas as pd

    from emoeval.media.types import SignalMedia

    raw = Path(str(source)).expanduser()
    candidates = [raw]
    if base is not None and not raw.is_absolute():
        candidates += [Path(base) / raw, Path(base).parent / raw]
    root = next((path for path in candidates if path.exists()), None)
    if root is None:
        return []
    if root.is_dir():
        from emoeval.samples import is_manifest_file

        found = (p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SignalMedia.suffixes)
        return sorted(p for p in found if not is_manifest_file(p))
    suffix = root.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        return [root] if suffix in SignalMedia.suffixes else []
    try:
        if suffix == ".csv":
            frame = pd.read_csv(root, dtype=str, keep_default_na=False)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(root, lines=True, dtype=False)
        else:
            frame = pd.read_parquet(root)
    except (OSError, ValueError):
        return []
    lowered = {str(column).lower(): column for column in frame.columns}
    column = lowered.get("path", lowered.get("file"))
    if column is None:
        return []
    modality = lowered.get("modality")
    paths = []
    for row in frame.to_dict(orient="records"):
        if modality is not None and str(row.get(modality) or "signal") != "signal":
            continue
        cell = as_text(row.get(column))
        if cell:
            path = Path(cell).expanduser()
            paths.append(path if path.is_absolute() else root.parent / path)
    return paths


def signal_sources(
    samples: Sequence[Sample] | None, run: Mapping[str, Any], *, results_dir: str | Path | None = None
) -> SignalSources | None:
    """Where the gallery's signal drawings take their mean spectra from (None without signal samples).

    The reference set, first found: the samples of the systems a metric uses as its ``real_system`` (run.json),
    else the ``real`` set of a metric reading signals, else the ``emotion_reference`` set of one (a labelled set
    of real recordings; a fitted probe's folder has no recordings)."""
    from emoeval.reports.signatures import reference_systems

    signals = [s for s in samples or () if s.modality == "signal" and isinstance(s.path, Path)]
    if not signals:
        return None
    systems: dict[str, list[Path]] = {}
    for sample in signals:
        systems.setdefault(sample.system, []).append(sample.path)  # type: ignore[arg-type]
    references = reference_systems(run) & set(systems)
    base = Path(results_dir) if results_dir is not None else None
    if references:
        paths = [path for system in sorted(references) for path in systems[system]]
        name = f"reference system {', '.join(sorted(references))}"
        return SignalSources({k: tuple(v) for k, v in systems.items()}, tuple(paths), name, frozenset(references))
    records = [
        record
        for record in ((run.get("config") or {}).get("metrics") or [])
        if isinstance(record, Mapping) and record.get("modality") == "signal"
    ]
    for param in ("real", "emotion_reference"):
        for record in records:
            value = (record.get("params") or {}).get(param)
            found = reference_recordings(value, base=base) if value else []
            if found:
                return SignalSources({k: tuple(v) for k, v in systems.items()}, tuple(found), f"{param} {value}")
    return SignalSources({k: tuple(v) for k, v in systems.items()})


def attach_media(
    gallery: Gallery, encoder: MediaEncoder, *, workers: int | None = None, signals: SignalSources | None = None
) -> Gallery:
    """The gallery with each item's output and reference encoded (images, recordings and signal drawings; text
    needs none).

    Files are encoded on ``workers`` threads (default: the number of CPUs, at most 4; the encoders run in C
    without the GIL); the result does not depend on their number. A signal sample's drawing shows its
    system's and the reference set's mean spectra from ``signals`` (:func:`signal_sources`); without it,
    only the sample's own spectrum."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    drawn = ("face", "speech", "signal")
    jobs: list[tuple[str, str, str]] = []
    for cell in gallery.cells:
        for item in cell.items:
            if item.modality in ("face", "speech"):
                jobs += [(item.modality, path, "") for path in (item.path, item.reference_path) if path]
            elif item.modality == "signal":
                jobs += [("signal", item.path, item.system)] if item.path else []
                jobs += [("signal", item.reference_path, "")] if item.reference_path else []
    count = max(1, workers or min(4, os.cpu_count() or 1))
    spectra: dict[str, SpectrumSet | None] = {}
    reference: SpectrumSet | None = None
    if signals is not None and any(job[0] == "signal" for job in jobs):
        limit = encoder.settings.signal_psd_files
        wanted = sorted({system for kind, _, system in jobs if kind == "signal" and system})
        wanted = [system for system in wanted if system not in signals.reference_systems]

        sources = signals

        def system_mean(system: str) -> SpectrumSet | None:
            return mean_spectra(sources.systems.get(system, ()), "system mean", limit=limit)

        with ThreadPoolExecutor(max_workers=count) as pool:
            means = list(pool.map(system_mean, wanted))
        spectra = dict(zip(wanted, means, strict=True))
        if signals.reference:
            reference = mean_spectra(signals.reference, "reference mean", limit=limit)

    def encode(job: tuple[str, str, str]) -> MediaRef:
        modality, path, system = job
        if modality == "signal":
            return encoder.signal(Path(path), system=spectra.get(system), reference=reference if system else None)
        return encoder.image(Path(path)) if modality == "face" else encoder.audio(Path(path))

    unique = list(dict.fromkeys(jobs))  # a file shown twice (a shared reference) is encoded once
    with ThreadPoolExecutor(max_workers=count) as pool:
        encoded = dict(zip(unique, pool.map(encode, unique), strict=True))
    cells = []
    for cell in gallery.cells:
        items = []
        for item in cell.items:
            if item.modality not in drawn:
                items.append(item)
                continue
            own = item.system if item.modality == "signal" else ""
            output = encoded.get((item.modality, item.path, own)) if item.path else None
            reference_ref = encoded.get((item.modality, item.reference_path, "")) if item.reference_path else None
            items.append(replace(item, output=output, reference=reference_ref))
        cells.append(replace(cell, items=tuple(items)))
    return replace(gallery, cells=tuple(cells))
