"""The report of an augmentation study (issue 16, ``emoeval augment``): does synthetic data help an emotion
recogniser on real data, for which emotions, and is it copying?

A results folder whose ``run.json`` says ``"kind": "augmentation"`` gets this section instead of the scoring
sections (leaderboards, per-sample distributions, the sample gallery), which do not apply to its rows. The data
come from the long results table alone (the rows :mod:`emoeval.metrics.augmentation.study` writes; its module
docstring lists every metric, sub-metric and label) and from ``run.json`` (the sets, their roles and sizes, and
``inputs.media``: each set's sample files for the gallery of flagged samples):

- **at a glance** — :func:`~emoeval.reports.augmentation_overview.augmentation_overview`, one row per synthetic
  set and learner;
- **TRTR / TSTR / TRTS** — balanced accuracy, accuracy and macro-F1 per learner and set;
- **gain curves** — balanced-accuracy gain (augmented − real only) against the real fraction, one line per
  synthetic:real ratio with its interval as a band and each point's one-sided p-value; beside it the augmented
  and real-only scores themselves;
- **gain per emotion** — recall gain per target emotion at the largest real fraction and the ratio nearest 1×;
- **label efficiency** — the share of the real training data the synthetic set is worth, per fraction × ratio;
- **per-class fidelity** — PRDC, α-precision, β-recall, authenticity, label noise and class balance per emotion;
- **cross-domain** — source-only vs augmented on other real corpora (when the study had any);
- **memorisation** — the synthetic sets' distances to the closest real record (DCR) against held-out real
  distances, the threshold, and every flagged sample (exact copy, near-copy by DCR, perceptual duplicate)
  beside the real sample it is close to.

Intervals of the protocol, gain and cross-domain rows are percentile intervals across the group-aware splits
(split-to-split variation, not bootstrap confidence intervals); label noise and the flagged share have Wilson
intervals. The figures are drawn by :mod:`emoeval.reports.plots` (:func:`~emoeval.reports.plots.band_plot`,
:func:`~emoeval.reports.plots.histogram_plot`, :func:`~emoeval.reports.plots.interval_plot`); this module only
turns the study's data into their inputs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from emoeval.augmentation_rows import (
    CLASS_BALANCE,
    CROSS_DOMAIN,
    EFFICIENCY,
    FIDELITY,
    GAIN,
    HEADLINE_SCORE,
    KIND,
    LABEL_NOISE,
    MEMORISATION,
    PROTOCOL,
    SCORES,
)
from emoeval.reports.formatting import as_float, as_text, format_interval, format_p, format_signed, format_value
from emoeval.reports.plots import (
    REFERENCE_COLOR,
    Band,
    IntervalItem,
    Series,
    band_plot,
    histogram_plot,
    interval_plot,
    system_colors,
)
from emoeval.reports.rows import emotion_order, in_order

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.reports.header import Header, MetricInfo
    from emoeval.reports.media import MediaEncoder, MediaRef
    from emoeval.reports.notices import Notice
    from emoeval.results import Results

#: the kinds of flagged samples (``label`` of a ``dcr`` row), in the order the gallery shows them
FLAG_KINDS = ("exact-copy", "perceptual-duplicate", "near-copy")
#: flagged samples per synthetic set shown with their media (all of them are listed in the table below the cards)
FLAGGED_PER_SET = 24
SCORE_NAMES = {"balanced_accuracy": "balanced accuracy", "accuracy": "accuracy", "macro_f1": "macro-F1"}
#: the real set's colour in every figure: the grey of the reference sets of :mod:`emoeval.reports.plots`
REAL_COLOR = REFERENCE_COLOR
CROSS_QUANTITIES = ("source_only", "augmented", "gain", "in_domain", "gap", "gap_closed")
PROTOCOL_ORDER = {"TRTR": 0, "TSTR": 1, "TRTS": 2}
#: sub-metrics that count samples (shown without decimals)
COUNT_SUBS = frozenset({"count", "exact_duplicates", "near_duplicates", "flagged_samples"})
FIDELITY_NAMES = {
    "integrated_alpha_precision": "α-precision",
    "integrated_beta_recall": "β-recall",
}


def is_augmentation(run: Mapping[str, Any] | None) -> bool:
    """Whether ``run`` (a ``run.json``) records an augmentation study rather than a scoring run."""
    return (run or {}).get("kind") == KIND


# -- reading the table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A number of the table with its interval (NaN when the row has none), ``n`` and the row's ``warning``."""

    value: float
    low: float = math.nan
    high: float = math.nan
    n: int | None = None
    note: str = ""


@dataclass(frozen=True)
class _Row:
    """One results-table row, read once: its metric's base name (the label without parameters) and its params."""

    system: str
    scope: str
    sample_id: str | None
    group: str | None
    emotion: str | None
    base: str
    sub: str
    value: float
    low: float
    high: float
    n: int | None
    label: str | None
    warning: str | None
    error: str | None
    higher: bool | None
    params: dict[str, Any]
    model: str | None
    model_sha256: str | None
    version: str | None
    statistic: str | None

    @property
    def learner(self) -> str | None:
        value = self.params.get("learner")
        return None if value is None else str(value)

    def estimate(self) -> Estimate:
        return Estimate(self.value, self.low, self.high, self.n, self.warning or "")


def _params(text: str | None, cache: dict[str | None, dict[str, Any]]) -> dict[str, Any]:
    if text not in cache:
        try:
            loaded = json.loads(text) if text else {}
        except (TypeError, ValueError):
            loaded = {}
        cache[text] = loaded if isinstance(loaded, dict) else {}
    return cache[text]


def _read(table: pd.DataFrame) -> list[_Row]:
    """The table as rows (params parsed once per distinct JSON text)."""
    cache: dict[str | None, dict[str, Any]] = {}
    rows = []
    for record in table.to_dict("records"):
        n = record.get("n")
        higher = record.get("higher_is_better")
        metric = as_text(record.get("metric")) or ""
        rows.append(
            _Row(
                system=as_text(record.get("system")) or "",
                scope=as_text(record.get("scope")) or "",
                sample_id=as_text(record.get("sample_id")),
                group=as_text(record.get("group")),
                emotion=as_text(record.get("target_emotion")),
                base=metric.split("(", 1)[0],
                sub=as_text(record.get("sub_metric")) or "",
                value=as_float(record.get("value")),
                low=as_float(record.get("ci_low")),
                high=as_float(record.get("ci_high")),
                n=None if as_text(n) is None else int(n),
                label=as_text(record.get("label")),
                warning=as_text(record.get("warning")),
                error=as_text(record.get("error")),
                higher=None if as_text(higher) is None else bool(higher),
                params=_params(as_text(record.get("params")), cache),
                model=as_text(record.get("model")),
                model_sha256=as_text(record.get("model_sha256")),
                version=as_text(record.get("metric_version")),
                statistic=as_text(record.get("statistic")),
            )
        )
    return rows


def _nearest_to_one(ratios: Iterable[float]) -> float:
    """The ratio nearest 1× (the smaller on a tie), as the console overview picks it."""
    return min(set(ratios), key=lambda r: (abs(r - 1.0), r))


# -- the section's data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetInfo:
    """A set of the study as ``run.json`` records it: ``role`` real / synthetic / cross_domain, samples given
    and used (featurised and labelled), and the count per emotion."""

    name: str
    role: str
    n_samples: int
    n_used: int
    emotions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OverviewRow:
    """One synthetic set at a glance (balanced accuracy): see :mod:`emoeval.reports.augmentation_overview`."""

    system: str
    learner: str
    trtr: Estimate
    tstr: Estimate
    trts: Estimate
    gain: Estimate
    gain_p: float
    gain_at: str
    worth: Estimate
    worth_at: str
    min_coverage: Estimate
    min_coverage_emotion: str
    label_noise: Estimate
    flagged: Estimate


@dataclass(frozen=True)
class ProtocolRow:
    """TRTR (real → real), TSTR (synthetic → real) or TRTS (real → synthetic) of one set and learner: each
    score (:data:`SCORES`) as mean over splits with its percentile interval across splits."""

    learner: str
    protocol: str
    system: str
    scores: tuple[tuple[str, Estimate], ...]
    note: str

    @property
    def train_test(self) -> str:
        return {"TRTR": "real → real", "TSTR": "synthetic → real", "TRTS": "real → synthetic"}.get(self.protocol, "")


@dataclass(frozen=True)
class GainPoint:
    """One (real fraction, ratio) cell of a gain curve: real-only and augmented scores (means over splits), the
    paired gain with its interval across splits, and the one-sided p-value of gain > 0."""

    real_fraction: float
    baseline: float
    augmented: float
    gain: Estimate
    p_value: float
    note: str = ""


@dataclass(frozen=True)
class GainCurve:
    ratio: float
    points: tuple[GainPoint, ...]


@dataclass(frozen=True)
class GainPanel:
    """The gain curves of one synthetic set and learner for ``score``, one curve per ratio (ascending)."""

    system: str
    learner: str
    score: str
    curves: tuple[GainCurve, ...]


@dataclass(frozen=True)
class ClassGain:
    emotion: str
    gain: Estimate
    baseline: float
    augmented: float
    p_value: float


@dataclass(frozen=True)
class ClassGains:
    """Recall gain per target emotion of one set and learner at (``real_fraction``, ``ratio``)."""

    system: str
    learner: str
    real_fraction: float
    ratio: float
    items: tuple[ClassGain, ...]


@dataclass(frozen=True)
class EfficiencyCell:
    """``worth``: the share of the real training fold the synthetic data is worth at this cell (equivalent
    fraction − real fraction; NaN with ``note`` when the augmented score is off the real-only curve)."""

    real_fraction: float
    ratio: float
    worth: float
    equivalent_fraction: float
    note: str = ""


@dataclass(frozen=True)
class EfficiencyTable:
    system: str
    learner: str
    score: str
    fractions: tuple[float, ...]
    ratios: tuple[float, ...]
    cells: tuple[tuple[EfficiencyCell | None, ...], ...]


@dataclass(frozen=True)
class QualityColumn:
    metric: str
    sub_metric: str
    title: str
    higher_is_better: bool | None


@dataclass(frozen=True)
class QualityRow:
    emotion: str
    cells: tuple[Estimate | None, ...]


@dataclass(frozen=True)
class QualityTable:
    """Per-emotion quality of one synthetic set: class balance (count, share), label noise and fidelity, with
    the set-wide values (overall label noise, imbalance ratio, normalised entropy) in ``summary``."""

    system: str
    columns: tuple[QualityColumn, ...]
    rows: tuple[QualityRow, ...]
    summary: tuple[tuple[str, Estimate, bool | None], ...]


@dataclass(frozen=True)
class CrossDomainRow:
    """Cross-domain test of one synthetic set, learner, target corpus and score: quantities (source only,
    augmented, gain, in-domain, gap, gap closed) and the gain's p-value."""

    system: str
    learner: str
    target: str
    score: str
    values: tuple[tuple[str, Estimate], ...]
    p_value: float


@dataclass(frozen=True)
class MemorisationRow:
    """The system-level memorisation numbers of one synthetic set (sub-metric, value, direction), in table order."""

    system: str
    values: tuple[tuple[str, Estimate, bool | None], ...]

    @property
    def by_sub(self) -> dict[str, tuple[Estimate, bool | None]]:
        return {sub: (value, higher) for sub, value, higher in self.values}


@dataclass(frozen=True)
class Histogram:
    """Distances to the closest real record: the synthetic set's ``dcr`` rows against the real set's
    ``held_out_distance`` rows (what new real data looks like), on shared ``edges`` (log-spaced when the values
    span more than :data:`LOG_SPAN`; zero distances, exact copies, counted apart in ``*_zeros``), and the
    near-copy ``threshold``."""

    system: str
    real_name: str
    threshold: float
    log_scale: bool
    edges: tuple[float, ...]
    synthetic: tuple[int, ...]
    real: tuple[int, ...]
    synthetic_zeros: int
    real_zeros: int
    n_synthetic: int
    n_real: int
    n_below_threshold: int


@dataclass(frozen=True)
class FlaggedSample:
    """A synthetic sample flagged as a copy (``kind``: exact-copy / near-copy / perceptual-duplicate) with its
    DCR, what the study said (``detail``) and the real sample it is close to (``nearest_id``: the identical
    one for an exact copy, the perceptual match for a perceptual duplicate, else the DCR neighbour). ``path`` /
    ``nearest_path`` (files) or ``text`` / ``nearest_text`` (text sets); ``output`` / ``nearest`` are the
    encoded media."""

    system: str
    sample_id: str
    kind: str
    dcr: float
    target_emotion: str | None
    group: str | None
    nearest_id: str | None
    detail: str
    modality: str
    path: str | None = None
    nearest_path: str | None = None
    text: str | None = None
    nearest_text: str | None = None
    output: MediaRef | None = None
    nearest: MediaRef | None = None


@dataclass(frozen=True)
class FlaggedSet:
    """Every flagged sample of one synthetic set (``items``: exact copies, then perceptual duplicates, then
    near-copies, each by DCR), of which the first ``shown`` are drawn as cards with their media."""

    system: str
    n_samples: int
    threshold: float
    items: tuple[FlaggedSample, ...]
    shown: int

    @property
    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for item in self.items:
            found[item.kind] = found.get(item.kind, 0) + 1
        return found


@dataclass(frozen=True)
class AugmentationSection:
    real_name: str
    modality: str
    sets: tuple[SetInfo, ...]
    settings: dict[str, Any]
    learners: tuple[str, ...]
    confidence: float
    overview: tuple[OverviewRow, ...]
    protocol: tuple[ProtocolRow, ...]
    gains: tuple[GainPanel, ...]
    class_gains: tuple[ClassGains, ...]
    efficiency: tuple[EfficiencyTable, ...]
    quality: tuple[QualityTable, ...]
    cross_domain: tuple[CrossDomainRow, ...]
    memorisation: tuple[MemorisationRow, ...]
    histograms: tuple[Histogram, ...]
    flagged: tuple[FlaggedSet, ...]
    notes: tuple[str, ...] = ()
    media_note: str = ""
    score: str = HEADLINE_SCORE

    @property
    def synthetic_sets(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sets if s.role == "synthetic")

    @property
    def memorisation_columns(self) -> tuple[str, ...]:
        """The memorisation sub-metrics of any set, in table order."""
        return tuple(in_order(sub for row in self.memorisation for sub, _, _ in row.values))

    @property
    def n_flagged(self) -> int:
        return sum(len(item.items) for item in self.flagged)


def _sets(run: Mapping[str, Any], rows: Sequence[_Row], real_name: str) -> tuple[SetInfo, ...]:
    """The sets from ``run.json`` (real first, then synthetic, then cross-domain), else from the table."""
    recorded = (run.get("inputs") or {}).get("sets") or {}
    found = []
    for name, info in recorded.items():
        info = info or {}
        counts = {str(k): int(v) for k, v in (info.get("emotions") or {}).items()}
        found.append(
            SetInfo(
                name=str(name),
                role=str(info.get("role") or ("real" if name == real_name else "synthetic")),
                n_samples=int(info.get("n_samples") or 0),
                n_used=int(info.get("n_used") or 0),
                emotions=tuple((emotion, counts[emotion]) for emotion in emotion_order(counts)),
            )
        )
    if not found:  # a table without run.json: the systems its rows name
        for name in in_order([real_name, *(row.system for row in rows)]):
            role = "real" if name == real_name else "synthetic"
            found.append(SetInfo(name=name, role=role, n_samples=0, n_used=0, emotions=()))
    order = {"real": 0, "synthetic": 1, "cross_domain": 2}
    return tuple(sorted(found, key=lambda item: order.get(item.role, 3)))


def _overview(results: Results, learners: Sequence[str]) -> tuple[OverviewRow, ...]:
    from emoeval.reports.augmentation_overview import augmentation_overview

    found = []
    for learner in learners:
        frame = augmentation_overview(results, learner=learner)
        for record in frame.to_dict("records"):

            def get(name: str, record: dict[str, Any] = record) -> Estimate:
                return Estimate(
                    as_float(record.get(name)),
                    as_float(record.get(f"{name}_low")),
                    as_float(record.get(f"{name}_high")),
                )

            found.append(
                OverviewRow(
                    system=str(record["system"]),
                    learner=learner,
                    trtr=get("trtr"),
                    tstr=get("tstr"),
                    trts=get("trts"),
                    gain=get("gain"),
                    gain_p=as_float(record.get("gain_p")),
                    gain_at=as_text(record.get("gain_at")) or "",
                    worth=get("worth"),
                    worth_at=as_text(record.get("worth_at")) or "",
                    min_coverage=get("min_coverage"),
                    min_coverage_emotion=as_text(record.get("min_coverage_emotion")) or "",
                    label_noise=get("label_noise"),
                    flagged=get("flagged"),
                )
            )
    return tuple(found)


def _protocol(rows: Sequence[_Row], learners: Sequence[str], real_name: str) -> tuple[ProtocolRow, ...]:
    chosen = [row for row in rows if row.base == PROTOCOL and row.scope == "system" and row.emotion is None]
    found = []
    for learner in learners:
        mine = [row for row in chosen if (row.learner or "logistic") == learner]
        keys = in_order(f"{row.label}\x00{row.system}" for row in mine)
        ordered = sorted(
            (key.split("\x00") for key in keys),
            key=lambda pair: (pair[1] != real_name, pair[1], PROTOCOL_ORDER.get(pair[0], 9), pair[0]),
        )
        for protocol, system in ordered:
            cells = {row.sub: row for row in mine if row.label == protocol and row.system == system}
            note = next((row.warning for row in cells.values() if row.warning), "") or ""
            found.append(
                ProtocolRow(
                    learner=learner,
                    protocol=protocol,
                    system=system,
                    scores=tuple((score, cells[score].estimate()) for score in SCORES if score in cells),
                    note=note,
                )
            )
    return tuple(found)


def _cells(rows: Sequence[_Row], base: str) -> dict[tuple[str, str, float, float], list[_Row]]:
    """Rows of a per-cell metric (gain, efficiency) by (system, learner, real fraction, ratio)."""
    cells: dict[tuple[str, str, float, float], list[_Row]] = {}
    for row in rows:
        if row.base != base or row.scope != "system":
            continue
        fraction, ratio = as_float(row.params.get("real_fraction")), as_float(row.params.get("ratio"))
        if math.isnan(fraction) or math.isnan(ratio):
            continue
        cells.setdefault((row.system, row.learner or "logistic", fraction, ratio), []).append(row)
    return cells


def _value(rows: Sequence[_Row], sub: str, emotion: str | None = None) -> _Row | None:
    return next((row for row in rows if row.sub == sub and row.emotion == emotion), None)


def _gain_point(cell: Sequence[_Row], fraction: float, score: str, emotion: str | None) -> GainPoint | None:
    gain = _value(cell, f"{score}_gain", emotion)
    if gain is None:
        return None
    baseline = _value(cell, f"{score}_baseline", emotion)
    augmented = _value(cell, f"{score}_augmented", emotion)
    p_value = _value(cell, f"{score}_gain_p_value", emotion)
    return GainPoint(
        real_fraction=fraction,
        baseline=baseline.value if baseline else math.nan,
        augmented=augmented.value if augmented else math.nan,
        gain=gain.estimate(),
        p_value=p_value.value if p_value else math.nan,
        note=(augmented.warning if augmented else None) or "",
    )


def _gains(rows: Sequence[_Row], score: str) -> tuple[tuple[GainPanel, ...], tuple[ClassGains, ...]]:
    cells = _cells(rows, GAIN)
    panels, per_class = [], []
    for key in in_order(f"{s}\x00{lr}" for s, lr, _, _ in cells):
        system, learner = key.split("\x00")
        mine = {(f, r): cell for (s, lr, f, r), cell in cells.items() if (s, lr) == (system, learner)}
        ratios = sorted({r for _, r in mine})
        curves = []
        for ratio in ratios:
            points = [_gain_point(mine[f, r], f, score, None) for f, r in sorted(mine) if r == ratio]
            curves.append(GainCurve(ratio, tuple(p for p in points if p is not None)))
        panels.append(GainPanel(system, learner, score, tuple(c for c in curves if c.points)))
        fraction = max(f for f, _ in mine)
        ratio = _nearest_to_one(r for f, r in mine if f == fraction)
        cell = mine[fraction, ratio]
        emotions = emotion_order(row.emotion for row in cell if row.emotion is not None and row.sub == "recall_gain")
        items = []
        for emotion in emotions:
            point = _gain_point(cell, fraction, "recall", emotion)
            if point is not None:
                items.append(ClassGain(emotion, point.gain, point.baseline, point.augmented, point.p_value))
        if items:
            per_class.append(ClassGains(system, learner, fraction, ratio, tuple(items)))
    return tuple(panels), tuple(per_class)


def _efficiency(rows: Sequence[_Row], score: str) -> tuple[EfficiencyTable, ...]:
    cells = _cells(rows, EFFICIENCY)
    tables = []
    for key in in_order(f"{s}\x00{lr}" for s, lr, _, _ in cells):
        system, learner = key.split("\x00")
        mine = {(f, r): cell for (s, lr, f, r), cell in cells.items() if (s, lr) == (system, learner)}
        fractions = tuple(sorted({f for f, _ in mine}))
        ratios = tuple(sorted({r for _, r in mine}))
        grid = []
        for fraction in fractions:
            line: list[EfficiencyCell | None] = []
            for ratio in ratios:
                cell = mine.get((fraction, ratio), [])
                worth = _value(cell, f"{score}_worth")
                equivalent = _value(cell, f"{score}_equivalent_fraction")
                line.append(
                    None
                    if worth is None
                    else EfficiencyCell(
                        fraction,
                        ratio,
                        worth.value,
                        equivalent.value if equivalent else math.nan,
                        worth.warning or "",
                    )
                )
            grid.append(tuple(line))
        tables.append(EfficiencyTable(system, learner, score, fractions, ratios, tuple(grid)))
    return tuple(tables)


def _quality(rows: Sequence[_Row], systems: Sequence[str]) -> tuple[QualityTable, ...]:
    tables = []
    for system in systems:
        mine = [row for row in rows if row.system == system and row.scope == "system"]
        fidelity = [row for row in mine if row.base == FIDELITY]
        balance = [row for row in mine if row.base == CLASS_BALANCE]
        noise = [row for row in mine if row.base == LABEL_NOISE]
        if not (fidelity or balance or noise):
            continue
        columns: list[QualityColumn] = []
        for base, sub, title in (
            (CLASS_BALANCE, "count", "count"),
            (CLASS_BALANCE, "share", "share"),
            (LABEL_NOISE, "label_noise_rate", "label noise"),
        ):
            found = [row for row in mine if row.base == base and row.sub == sub and row.emotion is not None]
            if found:
                columns.append(QualityColumn(base, sub, title, found[0].higher))
        for sub in in_order(row.sub for row in fidelity):
            found = [row for row in fidelity if row.sub == sub]
            columns.append(QualityColumn(FIDELITY, sub, FIDELITY_NAMES.get(sub, sub), found[0].higher))
        emotions = emotion_order(row.emotion for row in [*fidelity, *balance, *noise] if row.emotion is not None)
        by_key = {(row.base, row.sub, row.emotion): row for row in mine}
        table_rows = []
        for emotion in emotions:
            cells = tuple(
                by_key[c.metric, c.sub_metric, emotion].estimate()
                if (c.metric, c.sub_metric, emotion) in by_key
                else None
                for c in columns
            )
            table_rows.append(QualityRow(emotion, cells))
        summary = []
        for base, sub, title in (
            (LABEL_NOISE, "label_noise_rate", "label noise (all)"),
            (CLASS_BALANCE, "imbalance_ratio", "imbalance ratio"),
            (CLASS_BALANCE, "normalised_entropy", "normalised entropy"),
        ):
            row = by_key.get((base, sub, None))
            if row is not None:
                summary.append((title, row.estimate(), row.higher))
        tables.append(QualityTable(system, tuple(columns), tuple(table_rows), tuple(summary)))
    return tuple(tables)


def _cross_domain(rows: Sequence[_Row]) -> tuple[CrossDomainRow, ...]:
    chosen = [row for row in rows if row.base == CROSS_DOMAIN and row.scope == "system" and row.emotion is None]
    found = []
    for key in in_order(f"{row.system}\x00{row.learner or 'logistic'}\x00{row.label or ''}" for row in chosen):
        system, learner, target = key.split("\x00")
        mine = [r for r in chosen if (r.system, r.learner or "logistic", r.label or "") == (system, learner, target)]
        for score in SCORES:
            values = []
            for quantity in CROSS_QUANTITIES:
                row = _value(mine, f"{score}_{quantity}")
                if row is not None:
                    values.append((quantity, row.estimate()))
            if values:
                p_value = _value(mine, f"{score}_gain_p_value")
                found.append(
                    CrossDomainRow(
                        system, learner, target, score, tuple(values), p_value.value if p_value else math.nan
                    )
                )
    return tuple(found)


def _memorisation(rows: Sequence[_Row]) -> tuple[MemorisationRow, ...]:
    chosen = [row for row in rows if row.base == MEMORISATION and row.scope == "system"]
    return tuple(
        MemorisationRow(system, tuple((row.sub, row.estimate(), row.higher) for row in chosen if row.system == system))
        for system in in_order(row.system for row in chosen)
    )


#: values spanning more than this factor (largest / smallest non-zero) are binned on a log scale
LOG_SPAN = 20.0


def histogram_edges(values: Sequence[float], *, bins: int | None = None) -> tuple[bool, tuple[float, ...]]:
    """Bin edges shared by all distances of a histogram: ``(log_scale, edges)``.

    Log-spaced from the smallest non-zero value to the largest when they span more than :data:`LOG_SPAN` (DCRs
    are skewed: the threshold sits in the lowest few percent), else evenly spaced; ``bins`` defaults to the Rice
    rule (2·n^⅓, between 8 and 40).

    >>> histogram_edges([1.0, 2.0, 3.0], bins=2)
    (False, (1.0, 2.0, 3.0))
    >>> histogram_edges([0.0, 0.001, 0.1], bins=2)
    (True, (0.001, 0.01, 0.1))
    """
    import numpy as np

    finite = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    count = bins or int(min(40, max(8, round(2 * max(1, finite.size) ** (1 / 3)))))
    positive = finite[finite > 0]
    if positive.size == 0:
        return False, (0.0, 1.0)
    low, high = float(positive.min()), float(positive.max())
    if high / low > LOG_SPAN:
        edges = np.logspace(math.log10(low), math.log10(high), count + 1)
        edges[0], edges[-1] = low, high  # exact ends: no value falls outside by rounding
        return True, tuple(float(v) for v in edges)
    low = float(finite.min())
    if high == low:
        low, high = low - 0.5 * (abs(low) or 1.0), high + 0.5 * (abs(high) or 1.0)
    return False, tuple(float(v) for v in np.linspace(low, high, count + 1))


def _counts(values: Sequence[float], edges: Sequence[float], log_scale: bool) -> tuple[tuple[int, ...], int]:
    """Counts per bin (numpy's half-open bins, the last one closed) and, on a log scale, the zeros apart."""
    import numpy as np

    finite = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    zeros = int((finite <= 0).sum()) if log_scale else 0
    binned = finite[finite > 0] if log_scale else finite
    counts, _ = np.histogram(binned, bins=np.asarray(edges))
    return tuple(int(c) for c in counts), zeros


def _histograms(rows: Sequence[_Row], real_name: str) -> tuple[Histogram, ...]:
    memo = [row for row in rows if row.base == MEMORISATION]
    real = [row.value for row in memo if row.sub == "held_out_distance" and row.scope == "sample"]
    real = [v for v in real if math.isfinite(v)]
    real_system = next((row.system for row in memo if row.sub == "held_out_distance"), real_name)
    found = []
    for system in in_order(row.system for row in memo if row.sub == "dcr" and row.scope == "sample"):
        synthetic = [row.value for row in memo if row.system == system and row.sub == "dcr" and row.scope == "sample"]
        synthetic = [v for v in synthetic if math.isfinite(v)]
        threshold_row = next((r for r in memo if r.system == system and r.sub == "dcr_threshold"), None)
        threshold = threshold_row.value if threshold_row else math.nan
        log_scale, edges = histogram_edges([*synthetic, *real])
        synthetic_counts, synthetic_zeros = _counts(synthetic, edges, log_scale)
        real_counts, real_zeros = _counts(real, edges, log_scale)
        found.append(
            Histogram(
                system=system,
                real_name=real_system,
                threshold=threshold,
                log_scale=log_scale,
                edges=edges,
                synthetic=synthetic_counts,
                real=real_counts,
                synthetic_zeros=synthetic_zeros,
                real_zeros=real_zeros,
                n_synthetic=len(synthetic),
                n_real=len(real),
                n_below_threshold=sum(v < threshold for v in synthetic) if math.isfinite(threshold) else 0,
            )
        )
    return tuple(found)


_EXACT = re.compile(r"same bytes as real sample\(s\) (.+?)(?:;|$)")
_PERCEPTUAL = re.compile(r"bits from real sample (.+?)(?:;|$)")
_NEAREST = re.compile(r"nearest real sample: (.+)$")


def nearest_real(detail: str | None) -> str | None:
    """The real sample a flagged sample is shown next to, from the ``warning`` the study wrote: the identical
    sample of an exact copy, the perceptual match of a perceptual duplicate, else the DCR neighbour.

    >>> nearest_real("nearest real sample: 097_happy")
    '097_happy'
    >>> nearest_real("perceptual hash 3 bits from real sample 011_sad; nearest real sample: 012_sad")
    '011_sad'
    >>> nearest_real("same bytes as real sample(s) a1, b2")
    'a1'
    """
    text = detail or ""
    exact = _EXACT.search(text)
    if exact:
        return exact.group(1).split(", ")[0].strip() or None
    for pattern in (_PERCEPTUAL, _NEAREST):
        found = pattern.search(text)
        if found:
            return found.group(1).strip() or None
    return None


def _flagged(
    rows: Sequence[_Row],
    media: Mapping[str, Mapping[str, str]],
    texts: Mapping[str, Mapping[str, str]],
    real_name: str,
    modality: str,
    sizes: Mapping[str, int],
    per_set: int,
) -> tuple[FlaggedSet, ...]:
    memo = [row for row in rows if row.base == MEMORISATION]
    order = {kind: index for index, kind in enumerate(FLAG_KINDS)}
    found = []
    for system in in_order(row.system for row in memo if row.sub == "dcr" and row.scope == "sample"):
        mine = [row for row in memo if row.system == system and row.sub == "dcr" and row.scope == "sample"]
        threshold_row = next((r for r in memo if r.system == system and r.sub == "dcr_threshold"), None)
        items = []
        for row in mine:
            if row.label is None or row.sample_id is None:
                continue
            nearest = nearest_real(row.warning)
            items.append(
                FlaggedSample(
                    system=system,
                    sample_id=row.sample_id,
                    kind=row.label,
                    dcr=row.value,
                    target_emotion=row.emotion,
                    group=row.group,
                    nearest_id=nearest,
                    detail=row.warning or "",
                    modality=modality,
                    path=(media.get(system) or {}).get(row.sample_id),
                    nearest_path=(media.get(real_name) or {}).get(nearest) if nearest else None,
                    text=(texts.get(system) or {}).get(row.sample_id),
                    nearest_text=(texts.get(real_name) or {}).get(nearest) if nearest else None,
                )
            )
        items.sort(key=lambda item: (order.get(item.kind, len(order)), _sortable(item.dcr), item.sample_id))
        found.append(
            FlaggedSet(
                system=system,
                n_samples=sizes.get(system) or len(mine),
                threshold=threshold_row.value if threshold_row else math.nan,
                items=tuple(items),
                shown=min(len(items), per_set),
            )
        )
    return tuple(found)


def _sortable(value: float) -> float:
    return value if math.isfinite(value) else math.inf


def _set_texts(
    run: Mapping[str, Any], results_dir: Path | None, label_set: str | None
) -> tuple[dict[str, dict[str, str]], str]:
    """Texts of a text study's samples by set and sample id, from the manifests ``run.json`` records (tried as
    given, then beside the results folder), and a note when some could not be read."""
    from emoeval.errors import EmoevalError
    from emoeval.samples import load_samples

    source = (run.get("inputs") or {}).get("source") or {}
    wanted: list[tuple[str | None, str]] = []
    if isinstance(source, Mapping):
        if source.get("real"):
            wanted.append(
                (str((run.get("config") or {}).get("augmentation", {}).get("real_name", "real")), source["real"])
            )
        synthetic = source.get("synthetic") or {}
        if isinstance(synthetic, Mapping):
            wanted += [(str(name), str(path)) for name, path in synthetic.items()]
        else:
            wanted += [(None, str(path)) for path in synthetic]  # the manifests' system column names the sets
    texts: dict[str, dict[str, str]] = {}
    missing = []
    for name, path in wanted:
        candidates = [Path(path)]
        if results_dir is not None and not Path(path).is_absolute():
            candidates += [results_dir / path, results_dir.parent / path]
        found = next((candidate for candidate in candidates if candidate.is_file()), None)
        if found is None:
            missing.append(str(path))
            continue
        try:
            samples = load_samples(found, label_set=label_set)
        except EmoevalError as exc:
            missing.append(f"{path} ({exc})")
            continue
        for sample in samples:
            if sample.text is not None:
                texts.setdefault(name or sample.system, {})[sample.sample_id] = sample.text
    note = f"texts not shown for manifests not read: {', '.join(missing)}" if missing else ""
    return texts, note


def augmentation_section(
    results: Results,
    *,
    results_dir: Path | None = None,
    per_set: int = FLAGGED_PER_SET,
    label_set: str | None = None,
) -> AugmentationSection:
    """The section's numbers from ``results`` (no media encoded yet: :func:`attach_flagged_media`).

    ``per_set``: flagged samples per synthetic set to show as cards (0: none; all are listed either way).
    """
    run = results.run or {}
    settings = dict((run.get("config") or {}).get("augmentation") or {})
    real_name = str(settings.get("real_name") or "real")
    rows = _read(results.table)
    learners = tuple(settings.get("learners") or in_order(row.learner for row in rows if row.learner)) or ("logistic",)
    sets = _sets(run, rows, real_name)
    inputs = run.get("inputs") or {}
    modality = str(inputs.get("modality") or "")
    media = {str(k): {str(i): str(p) for i, p in (v or {}).items()} for k, v in (inputs.get("media") or {}).items()}
    any_flagged = any(row.base == MEMORISATION and row.sub == "dcr" and row.label for row in rows)
    texts: dict[str, dict[str, str]] = {}
    media_note = ""
    if any_flagged and per_set > 0 and modality not in ("face", "speech", "signal"):
        texts, media_note = _set_texts(run, results_dir, label_set)
    synthetic = [s.name for s in sets if s.role == "synthetic"] or in_order(
        row.system for row in rows if row.base in (FIDELITY, CLASS_BALANCE, LABEL_NOISE)
    )
    panels, per_class = _gains(rows, HEADLINE_SCORE)
    return AugmentationSection(
        real_name=real_name,
        modality=modality,
        sets=sets,
        settings=settings,
        learners=learners,
        confidence=float(settings.get("confidence", 0.95)),
        overview=_overview(results, learners),
        protocol=_protocol(rows, learners, real_name),
        gains=panels,
        class_gains=per_class,
        efficiency=_efficiency(rows, HEADLINE_SCORE),
        quality=_quality(rows, synthetic),
        cross_domain=_cross_domain(rows),
        memorisation=_memorisation(rows),
        histograms=_histograms(rows, real_name),
        flagged=_flagged(rows, media, texts, real_name, modality, {s.name: s.n_used for s in sets}, per_set),
        notes=tuple(str(note) for note in run.get("notes") or ()),
        media_note=media_note,
    )


def attach_flagged_media(section: AugmentationSection, encoder: MediaEncoder) -> AugmentationSection:
    """The section with the shown flagged samples' files (and their nearest real samples') encoded, through the
    gallery's encoder (:func:`emoeval.reports.gallery.attach_media`: thumbnails, audio clips, or links)."""
    from emoeval.reports.gallery import Gallery, GalleryCell, GalleryItem, attach_media

    shown = [item for flagged in section.flagged for item in flagged.items[: flagged.shown]]
    files = [item for item in shown if item.modality in ("face", "speech", "signal")]
    if not files:
        return section
    items = tuple(
        GalleryItem(
            sample_id=f"{item.system}\x00{item.sample_id}",
            system=item.system,
            modality=item.modality,
            target_emotion=item.target_emotion,
            path=item.path,
            reference_path=item.nearest_path,
        )
        for item in files
    )
    cell = GalleryCell(section.modality, "flagged", None, len(items), items)
    encoded = attach_media(Gallery(cells=(cell,), per_cell=len(items), worst=0, ranked_by=()), encoder)
    refs = {item.sample_id: (item.output, item.reference) for item in encoded.cells[0].items}
    flagged = []
    for group in section.flagged:
        updated = []
        for index, item in enumerate(group.items):
            key = f"{item.system}\x00{item.sample_id}"
            if index < group.shown and key in refs:
                output, nearest = refs[key]
                item = replace(item, output=output, nearest=nearest)
            updated.append(item)
        flagged.append(replace(group, items=tuple(updated)))
    return replace(section, flagged=tuple(flagged))


def media_refs(section: AugmentationSection) -> list[MediaRef | None]:
    """Every media reference of the section (for the report's embedded totals)."""
    return [ref for group in section.flagged for item in group.items for ref in (item.output, item.nearest)]


# -- header, provenance and notices ------------------------------------------------------------------------------


def collapsed_metrics(results: Results) -> tuple[MetricInfo, ...]:
    """One provenance entry per study metric (not one per gain cell): its version, models, and parameters, a
    parameter that varies across the metric's rows listing its values (``real_fraction=0.1, 0.25, ...``)."""
    from emoeval.reports.header import MetricInfo, parse_models

    rows = _read(results.table)
    infos = []
    for base in in_order(row.base for row in rows):
        mine = [row for row in rows if row.base == base]
        values: dict[str, list[str]] = {}
        for row in mine:
            for key, value in row.params.items():
                text = value if isinstance(value, str) else json.dumps(value)
                if text not in values.setdefault(key, []):
                    values[key].append(text)
        params = {key: ", ".join(sorted(found, key=_numeric_key)) for key, found in sorted(values.items())}
        first = mine[0]
        infos.append(
            MetricInfo(
                metric=base,
                version=first.version or "",
                scope="/".join(sorted({"set" if row.scope == "system" else row.scope for row in mine}, reverse=True)),
                models=parse_models(first.model, first.model_sha256),
                params=params,
            )
        )
    return tuple(infos)


def _numeric_key(text: str) -> tuple[int, float, str]:
    number = as_float(text)
    return (0, number, "") if math.isfinite(number) else (1, 0.0, text)


def augmentation_header(header: Header, results: Results, section: AugmentationSection) -> Header:
    """The report header for a study: its sets instead of systems, their sample counts, the sources of the
    sets and one provenance entry per study metric."""
    source = ((results.run or {}).get("inputs") or {}).get("source") or {}
    if isinstance(source, Mapping):
        parts = [f"real: {source.get('real', '—')}"]
        synthetic = source.get("synthetic") or {}
        listed = [f"{name}={path}" for name, path in synthetic.items()] if isinstance(synthetic, Mapping) else synthetic
        parts.append(f"synthetic: {', '.join(map(str, listed)) or '—'}")
        cross = source.get("cross_domain") or {}
        if cross:
            parts.append(f"cross-domain: {', '.join(f'{name}={path}' for name, path in cross.items())}")
        text = "; ".join(parts)
    else:
        text = str(source)
    total = sum(item.n_samples for item in section.sets)
    return replace(
        header,
        systems=tuple((item.name, item.n_samples) for item in section.sets),
        n_samples=total if section.sets else header.n_samples,
        modalities=((section.modality, total),) if section.modality and section.sets else header.modalities,
        source=text,
        metrics=collapsed_metrics(results),
    )


def augmentation_notices(results: Results, extra: Iterable[Notice] = ()) -> list[Notice]:
    """What to know before reading a study: samples that could not be featurised or labelled, the study's own
    notes (emotions a synthetic set has that the real set lacks...), caveats recorded on fidelity rows; errors
    first. The per-row remarks of the other rows (split sizes, nearest samples) are shown where they belong."""
    from emoeval.reports.notices import Notice, error_notices, run_notices, warning_notices

    table = results.table
    fidelity = [str(metric).split("(", 1)[0] == FIDELITY for metric in table["metric"]]
    notices = [
        *run_notices(results.run),
        *error_notices(table),
        *(Notice("warning", "augmentation study", str(note)) for note in (results.run or {}).get("notes") or ()),
        *warning_notices(table[fidelity]),
        *extra,
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(notices, key=lambda notice: order[notice.level])


def set_order(section: AugmentationSection) -> list[str]:
    """The sets in report order (real, synthetic, cross-domain): the order of their colours."""
    return [item.name for item in section.sets]


# -- figures -----------------------------------------------------------------------------------------------------


def ratio_colors(ratios: Sequence[float]) -> dict[float, str]:
    """A colour per synthetic:real ratio (ascending), in the palette's order as systems get theirs."""
    ordered = sorted(set(ratios))
    colors = system_colors([f"{ratio!r}" for ratio in ordered])
    return {ratio: colors[f"{ratio!r}"] for ratio in ordered}


def _point_title(ratio: float, point: GainPoint, score: str) -> str:
    interval = format_interval(point.gain.low, point.gain.high)
    return (
        f"{point.real_fraction:g} real + {ratio:g}× synthetic: {SCORE_NAMES.get(score, score)} "
        f"{format_value(point.baseline)} → {format_value(point.augmented)}, gain {format_signed(point.gain.value)} "
        f"{interval}, p = {format_p(point.p_value)}" + (f" ({point.note})" if point.note else "")
    )


def gain_figure(panel: GainPanel, *, alpha: float = 0.05) -> Markup:
    """Gain (augmented − real only) against the real fraction, one line per ratio with its interval band;
    filled markers: gain > 0 at one-sided p < ``alpha``."""
    colors = ratio_colors([curve.ratio for curve in panel.curves])
    bands = [
        Band(
            series=Series(
                f"{curve.ratio:g}× synthetic",
                tuple(p.real_fraction for p in curve.points),
                tuple(p.gain.value for p in curve.points),
                colors[curve.ratio],
            ),
            low=tuple(p.gain.low for p in curve.points),
            high=tuple(p.gain.high for p in curve.points),
            titles=tuple(_point_title(curve.ratio, p, panel.score) for p in curve.points),
            solid=tuple(math.isfinite(p.p_value) and p.p_value < alpha for p in curve.points),
        )
        for curve in panel.curves
    ]
    return band_plot(
        bands, "share of the real training data", f"{SCORE_NAMES.get(panel.score, panel.score)} gain", reference=0.0
    )


def level_figure(panel: GainPanel) -> Markup:
    """The scores behind the gains: real only (grey, dashed) and augmented per ratio, against the real fraction."""
    colors = ratio_colors([curve.ratio for curve in panel.curves])
    bands = []
    if panel.curves:
        first = panel.curves[0]  # the real-only score does not depend on the ratio (same splits, same subsets)
        bands.append(
            Band(
                Series(
                    "real only",
                    tuple(p.real_fraction for p in first.points),
                    tuple(p.baseline for p in first.points),
                    REAL_COLOR,
                    dashed=True,
                ),
                titles=tuple(f"{p.real_fraction:g} real only: {format_value(p.baseline)}" for p in first.points),
            )
        )
    for curve in panel.curves:
        bands.append(
            Band(
                Series(
                    f"real + {curve.ratio:g}× synthetic",
                    tuple(p.real_fraction for p in curve.points),
                    tuple(p.augmented for p in curve.points),
                    colors[curve.ratio],
                ),
                titles=tuple(_point_title(curve.ratio, p, panel.score) for p in curve.points),
            )
        )
    return band_plot(bands, "share of the real training data", SCORE_NAMES.get(panel.score, panel.score))


def class_gain_figure(gains: ClassGains, color: str) -> Markup:
    """Recall gain per emotion with its interval (whiskers) and a line at no change."""
    items = [
        IntervalItem(
            label=item.emotion,
            value=item.gain.value,
            low=item.gain.low,
            high=item.gain.high,
            color=color,
            note=f"{format_signed(item.gain.value)} {format_interval(item.gain.low, item.gain.high)} "
            f"p {format_p(item.p_value)}",
        )
        for item in gains.items
    ]
    return interval_plot(items, "recall gain (augmented − real only)", reference=0.0)


def histogram_figure(histogram: Histogram, color: str, *, width: int = 520, height: int = 250) -> Markup:
    """The synthetic set's distances (bars, its colour) and the real set's held-out distances (grey outline) as
    shares of each set, the threshold as a dashed red line; on a log axis zero distances get a bar of their own."""
    return histogram_plot(
        histogram.edges,
        histogram.synthetic,
        histogram.real,
        label=histogram.system,
        reference_label=f"{histogram.real_name} held out",
        x_label="distance to the closest real record",
        color=color,
        reference_color=REAL_COLOR,
        log_scale=histogram.log_scale,
        zeros=histogram.synthetic_zeros,
        reference_zeros=histogram.real_zeros,
        n=histogram.n_synthetic,
        reference_n=histogram.n_real,
        threshold=histogram.threshold,
        threshold_title=f"near-copy threshold {histogram.threshold:.4g}: {histogram.n_below_threshold} of "
        f"{histogram.n_synthetic} synthetic samples below",
        reference_title=f"{histogram.real_name} held-out distances (n = {histogram.n_real})",
        zero_title="distance 0 (identical features)",
        title=f"distances to the closest real record of {histogram.system}",
        width=width,
        height=height,
    )


__all__ = [
    "FLAGGED_PER_SET",
    "AugmentationSection",
    "FlaggedSample",
    "FlaggedSet",
    "GainPanel",
    "Histogram",
    "attach_flagged_media",
    "augmentation_header",
    "augmentation_notices",
    "augmentation_section",
    "class_gain_figure",
    "gain_figure",
    "histogram_edges",
    "histogram_figure",
    "is_augmentation",
    "level_figure",
    "media_refs",
    "nearest_real",
]
