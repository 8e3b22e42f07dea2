"""Calibration, comparison and meta-analysis results shown in the report when they are present.

``emoeval calibrate``, ``emoeval compare`` and ``emoeval meta`` write ``<name>.json`` beside their input; a
results folder holding such files gets a section for each (:func:`load_analysis_files`), and
:func:`emoeval.report` also takes the result objects themselves (``analyses=[...]``), which for a calibration
adds the utterance-level points to its scatter plot. Each JSON file is recognised by its keys, not its name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emoeval.reports.formatting import as_float, as_text
from emoeval.reports.significance import PairResult

MAX_ANALYSIS_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class StatRow:
    level: str
    statistic: str
    value: float
    ci_low: float
    ci_high: float
    n: int | None


@dataclass(frozen=True)
class CalibrationPoint:
    """A point of the metric-vs-human scatter: a system mean (``kind="system"``) or one rated sample."""

    label: str
    system: str
    metric: float
    rating: float
    kind: str


@dataclass(frozen=True)
class CalibrationSection:
    name: str
    metric: str
    sub_metric: str | None
    higher_is_better: bool | None
    scale: tuple[float, float] | None
    confidence: float
    table: tuple[StatRow, ...]
    linear: dict[str, Any]
    isotonic: dict[str, Any]
    points: tuple[CalibrationPoint, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankedSystem:
    system: str
    mean: float
    n: int | None
    rank: int | None
    cluster: int | None


@dataclass(frozen=True)
class ComparisonSection:
    name: str
    metric: str
    sub_metric: str
    higher_is_better: bool | None
    test: str
    correction: str
    alpha: float
    baseline: str | None
    systems: tuple[RankedSystem, ...]
    pairs: tuple[PairResult, ...]
    clusters: tuple[tuple[str, ...], ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForestRow:
    """A study (``row_type="study"``, weight in its pool) or a pooled estimate (with k, I², prediction interval)."""

    row_type: str
    label: str
    group: str
    effect: float
    ci_low: float
    ci_high: float
    weight: float = math.nan
    k: int | None = None
    i2: float = math.nan
    pi_low: float = math.nan
    pi_high: float = math.nan


@dataclass(frozen=True)
class MetaSection:
    name: str
    method: str
    confidence: float
    scale: str
    by: str | None
    rows: tuple[ForestRow, ...]
    subgroup_test: dict[str, Any] | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analyses:
    calibrations: tuple[CalibrationSection, ...] = ()
    comparisons: tuple[ComparisonSection, ...] = ()
    metas: tuple[MetaSection, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.calibrations or self.comparisons or self.metas)


def kind_of(data: Mapping[str, Any]) -> str | None:
    """``calibration``, ``comparison``, ``meta`` or None, from the keys of a statistics result's JSON."""
    keys = set(data)
    if {"mapping", "level", "metric", "table"} <= keys:
        return "calibration"
    if {"clusters", "test", "correction", "systems", "table"} <= keys:
        return "comparison"
    if {"overall", "method", "scale", "table"} <= keys:
        return "meta"
    return None


def _int(value: Any) -> int | None:
    number = as_float(value)
    return None if math.isnan(number) else int(number)


def calibration_section(
    data: Mapping[str, Any], name: str, samples: Iterable[Mapping[str, Any]] = ()
) -> CalibrationSection:
    """A calibration JSON (``CalibrationResult.to_dict()``) and, optionally, its per-sample table."""
    table = tuple(
        StatRow(
            level=str(row.get("level", "")),
            statistic=str(row.get("statistic", "")),
            value=as_float(row.get("value")),
            ci_low=as_float(row.get("ci_low")),
            ci_high=as_float(row.get("ci_high")),
            n=_int(row.get("n")),
        )
        for row in data.get("table", [])
    )
    points = [
        CalibrationPoint(
            label=f"{row.get('system')} (mean of {row.get('n_samples')})",
            system=str(row.get("system")),
            metric=as_float(row.get("metric_mean")),
            rating=as_float(row.get("mos_mean")),
            kind="system",
        )
        for row in data.get("systems", [])
    ]
    points += [
        CalibrationPoint(
            label=str(row.get("sample_id")),
            system=str(row.get("system")),
            metric=as_float(row.get("value")),
            rating=as_float(row.get("mos")),
            kind="sample",
        )
        for row in samples
    ]
    scale = data.get("scale")
    mapping = data.get("mapping") or {}
    return CalibrationSection(
        name=name,
        metric=str(data.get("metric")),
        sub_metric=as_text(data.get("sub_metric")),
        higher_is_better=data.get("higher_is_better"),
        scale=(float(scale[0]), float(scale[1])) if scale else None,
        confidence=float(data.get("confidence", 0.95)),
        table=table,
        linear=dict(mapping.get("linear") or {}),
        isotonic=dict(mapping.get("isotonic") or {}),
        points=tuple(point for point in points if math.isfinite(point.metric) and math.isfinite(point.rating)),
        warnings=tuple(str(w) for w in data.get("warnings", [])),
    )


def comparison_section(data: Mapping[str, Any], name: str) -> ComparisonSection:
    """A comparison JSON (``ComparisonResult.to_dict()``)."""
    pairs = tuple(
        PairResult(
            system_a=str(row.get("system_a")),
            system_b=str(row.get("system_b")),
            n_pairs=_int(row.get("n_pairs")) or 0,
            diff=as_float(row.get("diff")),
            ci_low=as_float(row.get("ci_low")),
            ci_high=as_float(row.get("ci_high")),
            p_value=as_float(row.get("p_value")),
            p_adjusted=as_float(row.get("p_adjusted")),
            better=as_text(row.get("better")),
        )
        for row in data.get("table", [])
    )
    systems = tuple(
        RankedSystem(
            system=str(row.get("system")),
            mean=as_float(row.get("mean")),
            n=_int(row.get("n")),
            rank=_int(row.get("rank")),
            cluster=_int(row.get("cluster")),
        )
        for row in data.get("systems", [])
    )
    return ComparisonSection(
        name=name,
        metric=str(data.get("metric")),
        sub_metric=str(data.get("sub_metric") or ""),
        higher_is_better=data.get("higher_is_better"),
        test=str(data.get("test", "")),
        correction=str(data.get("correction", "")),
        alpha=float(data.get("alpha", 0.05)),
        baseline=as_text(data.get("baseline")),
        systems=systems,
        pairs=pairs,
        clusters=tuple(tuple(str(s) for s in cluster) for cluster in data.get("clusters") or []),
        warnings=tuple(str(w) for w in data.get("warnings", [])),
    )


def meta_section(data: Mapping[str, Any], name: str) -> MetaSection:
    """A meta-analysis JSON (``MetaAnalysisResult.to_dict()``): study and pooled rows for a forest plot, on
    the proportion scale when the analysis ran on the logit scale."""
    logit = data.get("scale") == "logit"

    def pick(row: Mapping[str, Any], column: str) -> float:
        if logit:
            name = "proportion" if column == "effect" else f"proportion_{column}"
            if name in row:
                return as_float(row.get(name))
        return as_float(row.get(column))

    rows = tuple(
        ForestRow(
            row_type=str(row.get("row_type")),
            label=str(row.get("label", "")),
            group=str(row.get("group", "")),
            effect=pick(row, "effect"),
            ci_low=pick(row, "ci_low"),
            ci_high=pick(row, "ci_high"),
            weight=as_float(row.get("weight")),
            k=_int(row.get("k")),
            i2=as_float(row.get("i2")),
            pi_low=pick(row, "pi_low"),
            pi_high=pick(row, "pi_high"),
        )
        for row in data.get("table", [])
        if row.get("row_type") in ("study", "pooled")
    )
    return MetaSection(
        name=name,
        method=str(data.get("method", "")),
        confidence=float(data.get("confidence", 0.95)),
        scale=str(data.get("scale", "raw")),
        by=as_text(data.get("by")),
        rows=rows,
        subgroup_test=data.get("subgroup_test"),
        warnings=tuple(str(w) for w in data.get("warnings", [])),
    )


def build_analyses(items: Sequence[tuple[str, Mapping[str, Any], Sequence[Mapping[str, Any]]]]) -> Analyses:
    """Sections from (name, JSON dict, per-sample records) triples; unknown kinds are skipped."""
    calibrations, comparisons, metas = [], [], []
    for name, data, samples in items:
        kind = kind_of(data)
        if kind == "calibration":
            calibrations.append(calibration_section(data, name, samples))
        elif kind == "comparison":
            comparisons.append(comparison_section(data, name))
        elif kind == "meta":
            metas.append(meta_section(data, name))
    return Analyses(tuple(calibrations), tuple(comparisons), tuple(metas))


def load_analysis_files(
    folder: str | Path, *, skip: Iterable[Path] = ()
) -> tuple[list[tuple[str, dict[str, Any], list[Any]]], list[str]]:
    """The statistics results (``*.json``) in a results folder, sorted by name, and notes on unreadable ones."""
    skipped = {Path(path).resolve() for path in skip}
    items: list[tuple[str, dict[str, Any], list[Any]]] = []
    notes: list[str] = []
    for path in sorted(Path(folder).glob("*.json")):
        if path.name == "run.json" or path.resolve() in skipped:
            continue
        if path.stat().st_size > MAX_ANALYSIS_FILE_BYTES:
            notes.append(f"{path.name}: larger than {MAX_ANALYSIS_FILE_BYTES // 1_000_000} MB, not read")
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            notes.append(f"{path.name}: not readable as JSON ({exc})")
            continue
        if isinstance(data, dict) and kind_of(data) is not None:
            items.append((path.stem, data, []))
    return items, notes


def analysis_items(results: Iterable[Any]) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(name, JSON dict, per-sample records) from statistics result objects (their ``to_dict()``; a
    calibration's ``samples`` table as well)."""
    import pandas as pd

    from emoeval.stats._result import jsonable

    items = []
    for index, result in enumerate(results, start=1):
        data = result.to_dict()
        samples = getattr(result, "samples", None)
        records = jsonable(samples) if isinstance(samples, pd.DataFrame) else []
        metric = data.get("metric") or type(result).__name__
        items.append((f"{type(result).__name__}_{index}_{metric}", data, records))
    return items
