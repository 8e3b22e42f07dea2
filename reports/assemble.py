"""Everything a report shows, computed from a results folder: :func:`build_report_data` calls each section's
plain function (header, notices, leaderboard, per-emotion breakdown, distributions, prosody, analyses,
gallery) and collects their outputs in one :class:`ReportData`, which the template renders and the JSON twin
serialises. An augmentation study (``run.json`` kind "augmentation") gets :func:`build_augmentation_data`: its
own section (:mod:`emoeval.reports.augmentation`) instead of the scoring sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.reports.analyses import Analyses, analysis_items, build_analyses, load_analysis_files
from emoeval.reports.augmentation import (
    FLAGGED_PER_SET,
    AugmentationSection,
    attach_flagged_media,
    augmentation_header,
    augmentation_notices,
    augmentation_section,
    is_augmentation,
    media_refs,
    set_order,
)
from emoeval.reports.breakdown import ConfusionMatrix, EmotionTable, confusion_matrices, emotion_tables
from emoeval.reports.cost import CostSection, cost_section, cost_tables
from emoeval.reports.distributions import CorpusSummary, Distribution, corpus_summaries, sample_distributions
from emoeval.reports.gallery import Gallery, attach_media, find_samples, select_gallery, signal_sources
from emoeval.reports.header import Header, build_header
from emoeval.reports.leaderboard import Leaderboard, build_leaderboards
from emoeval.reports.media import MediaEncoder, MediaSettings, embedded_totals
from emoeval.reports.notices import Notice, collect_notices
from emoeval.reports.plots import system_colors
from emoeval.reports.prosody import ProsodyExample, prosody_examples
from emoeval.reports.rows import in_order, metric_modalities
from emoeval.reports.signatures import (
    SignaturePlot,
    SignatureRow,
    affect_plots,
    control_plots,
    reference_systems,
    signature_rows,
)
from emoeval.reports.significance import Significance

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emoeval.results import Results


@dataclass(frozen=True)
class ReportOptions:
    """How a report is built.

    ``per_cell``: gallery samples per (system, emotion), 0 for no gallery; ``worst``: start each cell with its
    N worst-scoring samples; ``worst_by``: ``metric`` or ``metric/sub_metric`` that decides "worst" (default:
    every headline output with a direction). ``link_media``: link media files by relative path instead of
    embedding them; ``thumb_px``/``audio_seconds``: size of embedded thumbnails and clips. ``prosody_plots``:
    F0 contour plots (one per speech system, 0 for none). ``alpha``/``n_resamples``: the significance tests
    behind the leaderboard's best marks. ``manifest``/``label_set``: where the samples' media are, when
    ``run.json`` does not lead to them.
    """

    title: str | None = None
    per_cell: int = 3
    worst: int = 0
    worst_by: str | None = None
    link_media: bool = False
    thumb_px: int = 160
    audio_seconds: float = 6.0
    prosody_plots: int = 4
    alpha: float = 0.05
    n_resamples: int = 2000
    max_points: int = 150
    manifest: str | Path | None = None
    label_set: str | None = None
    #: generation folders (``emoeval generate``) whose costs go beside the quality headlines
    cost: tuple[str | Path, ...] = ()


@dataclass(frozen=True)
class ReportData:
    header: Header
    notices: tuple[Notice, ...]
    leaderboards: tuple[Leaderboard, ...]
    emotion_tables: tuple[EmotionTable, ...]
    confusions: tuple[ConfusionMatrix, ...]
    distributions: tuple[Distribution, ...]
    corpus: tuple[CorpusSummary, ...]
    prosody: tuple[ProsodyExample, ...]
    prosody_note: str
    significance: tuple[Significance, ...]
    analyses: Analyses
    gallery: Gallery | None
    colors: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    #: the augmentation-study section (a run.json of kind "augmentation"); None for a scoring run
    augmentation: AugmentationSection | None = None
    #: the failure-signature verdicts of the run's failure_signatures metrics (empty without them)
    signatures: tuple[SignatureRow, ...] = ()
    #: the panel's figures: valence-arousal clouds per system, control curves
    signature_plots: tuple[SignaturePlot, ...] = ()
    #: quality beside generation cost (latency, real-time factor, memory) with Pareto fronts; None without costs
    cost: CostSection | None = None

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(self.colors)


def _bootstrap(results: Results) -> tuple[float, int, int]:
    """The run's interval settings (confidence, resamples, seed); a run scored with ``--n-bootstrap 0`` asked
    for no intervals, so its report computes none either."""
    settings = results.run.get("config", {}).get("bootstrap", {}) or {}
    return (
        float(settings.get("confidence", 0.95)),
        int(settings.get("n_resamples", 2000)),
        int(settings.get("seed", 0)),
    )


def build_report_data(
    results: Results,
    *,
    options: ReportOptions,
    report_dir: Path,
    generated_at: str,
    results_dir: Path | None = None,
    analyses: Sequence[Any] = (),
    skip_files: Sequence[Path] = (),
) -> tuple[ReportData, tuple[int, int]]:
    """All sections of a report on ``results`` (media encoded for a report written into ``report_dir``), and
    the bytes and number of media files embedded."""
    if is_augmentation(results.run):
        return build_augmentation_data(
            results,
            options=options,
            report_dir=report_dir,
            generated_at=generated_at,
            results_dir=results_dir,
            analyses=analyses,
            skip_files=skip_files,
        )
    table = results.table
    confidence, n_resamples, seed = _bootstrap(results)
    samples, sample_note = find_samples(
        results.run, manifest=options.manifest, results_dir=results_dir, label_set=options.label_set
    )
    system_modality = {sample.system: sample.modality for sample in samples or []}
    metric_modality = metric_modalities(results.run)  # as the run recorded them: no registry lookup
    leaderboards = build_leaderboards(
        table,
        alpha=options.alpha,
        n_resamples=options.n_resamples,
        seed=seed,
        system_modality=system_modality,
        metric_modality=metric_modality,
    )
    significance = tuple(
        column.significance
        for board in leaderboards
        for column in board.columns
        if column.is_headline and column.significance.pairs
    )
    encoder = MediaEncoder(
        MediaSettings(link=options.link_media, thumb_px=options.thumb_px, audio_seconds=options.audio_seconds),
        report_dir,
    )
    gallery = None
    prosody: list[ProsodyExample] = []
    prosody_note = ""
    if options.per_cell > 0 or options.worst > 0:
        chosen = select_gallery(
            table,
            samples,
            per_cell=options.per_cell,
            worst=options.worst,
            worst_by=options.worst_by,
            note=sample_note,
            metric_modality=metric_modality,
        )
        if options.prosody_plots > 0:  # contours the run recorded (results folder artefacts); no audio analysed
            prosody, prosody_note = prosody_examples(
                chosen, table, results_dir=results_dir, run=results.run, limit=options.prosody_plots
            )
        signals = signal_sources(samples, results.run, results_dir=results_dir)  # signal drawings' mean spectra
        gallery = attach_media(chosen, encoder, signals=signals)
    items, file_notes = ([], []) if results_dir is None else load_analysis_files(results_dir, skip=skip_files)
    found = build_analyses([*items, *analysis_items(analyses)])
    found = Analyses(found.calibrations, found.comparisons, found.metas, tuple(file_notes))
    extra = [Notice("warning", "report", note) for note in file_notes]
    if sample_note and gallery is not None:
        extra.append(Notice("info", "gallery", sample_note))
    for item in significance:
        topic = f"{item.metric}/{item.sub_metric} · paired tests"
        if len(item.warnings) == 1:
            extra.append(Notice("info", topic, item.warnings[0]))
        elif item.warnings:
            text = f"{len(item.warnings)} caveats (the first {min(5, len(item.warnings))} below)"
            extra.append(Notice("info", topic, text, len(item.warnings), tuple(item.warnings[:5])))
    costs = cost_tables(results, options.cost, results_dir=results_dir)
    cost_systems = [system for item in costs for system in item.table["system"]]
    systems = sorted(in_order([*table["system"], *(s.system for s in samples or []), *cost_systems]))
    title = options.title or f"emoeval report · {results.run_id or 'results'}"
    data = ReportData(
        header=build_header(results, title=title, generated_at=generated_at),
        notices=tuple(collect_notices(results, extra)),
        leaderboards=tuple(leaderboards),
        emotion_tables=tuple(emotion_tables(table, confidence=confidence, n_resamples=n_resamples, seed=seed)),
        confusions=tuple(confusion_matrices(table)),
        distributions=tuple(sample_distributions(table, max_points=options.max_points)),
        corpus=tuple(corpus_summaries(table)),
        prosody=tuple(prosody),
        prosody_note=prosody_note,
        significance=significance,
        analyses=found,
        gallery=gallery,
        colors=system_colors(systems),
        signatures=signature_rows(
            table,
            {(item.system, item.sample_id) for cell in gallery.cells for item in cell.items} if gallery else (),
        ),
        signature_plots=(
            *control_plots(table, system_colors(systems)),
            *affect_plots(table, system_colors(systems), reference_systems(results.run)),
        ),
        cost=cost_section(results, costs, system_colors(systems)),
        settings={
            "per_cell": options.per_cell,
            "worst": options.worst,
            "worst_by": options.worst_by,
            "link_media": options.link_media,
            "alpha": options.alpha,
            "confidence": confidence,
        },
    )
    refs = (
        [ref for cell in gallery.cells for item in cell.items for ref in (item.output, item.reference)]
        if gallery
        else []
    )
    return data, embedded_totals(refs)


def build_augmentation_data(
    results: Results,
    *,
    options: ReportOptions,
    report_dir: Path,
    generated_at: str,
    results_dir: Path | None = None,
    analyses: Sequence[Any] = (),
    skip_files: Sequence[Path] = (),
) -> tuple[ReportData, tuple[int, int]]:
    """The report of an augmentation study (``run.json`` kind "augmentation"): header, notices, the study's
    section (:mod:`emoeval.reports.augmentation`) and provenance; the scoring sections (leaderboards, per-sample
    distributions, the sample gallery) stay empty, since the study's rows are not system scores of samples.
    ``options.per_cell`` 0 shows no flagged-sample media (the flagged samples are listed either way)."""
    section = augmentation_section(
        results,
        results_dir=results_dir,
        per_set=FLAGGED_PER_SET if options.per_cell > 0 else 0,
        label_set=options.label_set,
    )
    encoder = MediaEncoder(
        MediaSettings(link=options.link_media, thumb_px=options.thumb_px, audio_seconds=options.audio_seconds),
        report_dir,
    )
    section = attach_flagged_media(section, encoder)
    items, file_notes = ([], []) if results_dir is None else load_analysis_files(results_dir, skip=skip_files)
    found = build_analyses([*items, *analysis_items(analyses)])
    found = Analyses(found.calibrations, found.comparisons, found.metas, tuple(file_notes))
    extra = [Notice("warning", "report", note) for note in file_notes]
    if section.media_note:
        extra.append(Notice("info", "flagged samples", section.media_note))
    if options.worst or options.worst_by:
        extra.append(Notice("info", "report", "--worst/--worst-by rank a scoring run's gallery; a study has none"))
    header = build_header(
        results,
        title=options.title or f"emoeval augmentation study · {results.run_id or 'results'}",
        generated_at=generated_at,
    )
    data = ReportData(
        header=augmentation_header(header, results, section),
        notices=tuple(augmentation_notices(results, extra)),
        leaderboards=(),
        emotion_tables=(),
        confusions=(),
        distributions=(),
        corpus=(),
        prosody=(),
        prosody_note="",
        significance=(),
        analyses=found,
        gallery=None,
        colors=system_colors(set_order(section)),
        settings={
            "per_cell": options.per_cell,
            "worst": 0,
            "worst_by": None,
            "link_media": options.link_media,
            "alpha": options.alpha,
            "confidence": section.confidence,
        },
        augmentation=section,
    )
    return data, embedded_totals(media_refs(section))
