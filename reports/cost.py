"""The report's "Quality and cost" section: each system's quality headlines beside what generating cost.

Costs are the ``generation_cost`` rows of ``emoeval generate`` (:mod:`emoeval.generation`): median and p90
latency, median real-time factor, throughput and peak memory, with their bootstrap intervals. They come from the
results table itself (a generation run, or tables concatenated), from the generation folders given to
``emoeval report --cost DIR``, or — found without asking — from the generation folder whose ``manifest.jsonl`` the
run scored (``emoeval generate --then-score``). Quality is every headline output of the scoring run that has a
direction (system rows over all emotions).

For each quality headline a scatter plot puts median latency (x) against quality (y) and draws the **Pareto
front**: the systems no other system beats on both at once (at most as slow and at least as good, better on one
of them). A system off the front is dominated — some other system is both faster and better. Latencies compare
only when measured on the same hardware: the section names each cost run's CPU and warns when they differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.reports.plots import Point, Series, scatter_plot

if TYPE_CHECKING:
    import pandas as pd
    from markupsafe import Markup

    from emoeval.results import Results

COST_METRIC = "generation_cost"
#: the cost outputs the section shows, in order, with their column titles
COST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("latency_p50_s", "latency p50 (s)"),
    ("latency_p90_s", "latency p90 (s)"),
    ("first_output_p50_s", "first output p50 (s)"),
    ("rtf_p50", "RTF p50"),
    ("throughput_per_s", "requests / s"),
    ("peak_rss_max_mb", "peak memory (MB)"),
    ("accelerator_peak_max_mb", "peak GPU memory (MB)"),
)


@dataclass(frozen=True)
class Cell:
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    #: the value is only an upper bound (shown as "≤ value")
    at_most: bool = False


@dataclass(frozen=True)
class QualityColumn:
    metric: str
    sub_metric: str
    higher_is_better: bool

    @property
    def label(self) -> str:
        return f"{self.metric}/{self.sub_metric}"


@dataclass(frozen=True)
class CostRow:
    system: str
    costs: Mapping[str, Cell]
    quality: Mapping[str, Cell]
    #: the quality labels on whose Pareto front this system lies
    front: tuple[str, ...] = ()


@dataclass(frozen=True)
class CostPlot:
    label: str
    svg: Markup
    front: tuple[str, ...]


@dataclass(frozen=True)
class CostSection:
    cost_columns: tuple[tuple[str, str], ...]
    quality_columns: tuple[QualityColumn, ...]
    rows: tuple[CostRow, ...]
    plots: tuple[CostPlot, ...]
    hardware: tuple[str, ...]
    notes: tuple[str, ...] = ()


def pareto_front(points: Sequence[tuple[str, float, float]], *, higher_is_better: bool) -> tuple[str, ...]:
    """The names of the points (name, cost, quality) that no other point dominates: another point dominates one
    when its cost is ≤ and its quality at least as good, and it is strictly better on one of them. Points with a
    non-finite value are left out. In the input's order.

    >>> pareto_front([("a", 1.0, 0.5), ("b", 2.0, 0.9), ("c", 3.0, 0.8), ("d", 1.0, 0.4)], higher_is_better=True)
    ('a', 'b')
    """
    sign = 1.0 if higher_is_better else -1.0
    usable = [(n, c, sign * q) for n, c, q in points if math.isfinite(c) and math.isfinite(q)]
    front = []
    for name, cost, quality in usable:
        dominated = any(
            other_cost <= cost and other_quality >= quality and (other_cost < cost or other_quality > quality)
            for _, other_cost, other_quality in usable
        )
        if not dominated:
            front.append(name)
    return tuple(front)


def _system_rows(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[(table["scope"] == "system") & table["error"].isna()]
    return rows[rows["target_emotion"].isna() & rows["label"].isna()]


def cost_tables(results: Results, cost: Sequence[str | Path] = (), *, results_dir: Path | None = None) -> list[Any]:
    """The cost runs behind a report: the given generation folders, else the one whose manifest the run scored."""
    from emoeval.results import load_results

    folders = [Path(item).expanduser() for item in cost]
    if not folders:
        source = str((results.run.get("inputs") or {}).get("source") or "")
        candidates = [Path(source)] if source else []
        if source and results_dir is not None and not Path(source).is_absolute():
            candidates += [results_dir / source, results_dir.parent / source]
        for candidate in candidates:
            folder = candidate.parent
            if candidate.name == "manifest.jsonl" and (folder / "run.json").is_file():
                folders.append(folder)
                break
    loaded = []
    for folder in folders:
        found = load_results(folder)
        if found.run.get("kind") == "generation":
            loaded.append(found)
    return loaded


def cost_section(results: Results, costs: Sequence[Results], colors: Mapping[str, str]) -> CostSection | None:
    """The section (module docstring), or None when no generation cost is at hand."""
    import pandas as pd

    from emoeval.generation.run import UPPER_BOUND_WARNING

    tables = [results.table, *(item.table for item in costs)]
    combined = pd.concat(tables, ignore_index=True)
    rows = _system_rows(combined)
    cost_rows = rows[rows["metric"] == COST_METRIC].drop_duplicates(["system", "sub_metric"], keep="last")
    if cost_rows.empty:
        return None
    quality_rows = rows[(rows["metric"] != COST_METRIC) & rows["headline"].fillna(False).astype(bool)]
    quality_rows = quality_rows[quality_rows["higher_is_better"].notna()]
    columns = tuple(
        QualityColumn(str(metric), str(sub), bool(direction))
        for (metric, sub), direction in quality_rows.groupby(["metric", "sub_metric"], sort=True)["higher_is_better"]
        .first()
        .items()
    )
    shown = tuple((name, title) for name, title in COST_COLUMNS if name in set(cost_rows["sub_metric"]))
    systems = sorted(set(cost_rows["system"]))

    def cell(frame: pd.DataFrame, system: str, metric: str | None, sub: str) -> Cell | None:
        found = frame[(frame["system"] == system) & (frame["sub_metric"] == sub)]
        if metric is not None:
            found = found[found["metric"] == metric]
        if found.empty:
            return None
        row = found.iloc[-1]
        warning = row.get("warning")
        at_most = isinstance(warning, str) and warning == UPPER_BOUND_WARNING
        return Cell(float(row["value"]), float(row["ci_low"]), float(row["ci_high"]), at_most)

    fronts: dict[str, tuple[str, ...]] = {}
    plots = []
    for column in columns:
        points = []
        for system in systems:
            latency = cell(cost_rows, system, None, "latency_p50_s")
            quality = cell(quality_rows, system, column.metric, column.sub_metric)
            if latency is not None and quality is not None:
                points.append((system, latency.value, quality.value))
        if len(points) < 1:
            continue
        front = pareto_front(points, higher_is_better=column.higher_is_better)
        fronts[column.label] = front
        line = sorted((cost, quality) for name, cost, quality in points if name in front)
        svg = scatter_plot(
            [Point(cost, quality, name, colors.get(name, "#1f4e79")) for name, cost, quality in points],
            "median latency (s)",
            f"{column.label} {'↑' if column.higher_is_better else '↓'}",
            lines=[Series("Pareto front", tuple(x for x, _ in line), tuple(y for _, y in line), "#888888", True)]
            if len(line) > 1
            else [],
        )
        plots.append(CostPlot(column.label, svg, front))
    table_rows = tuple(
        CostRow(
            system=system,
            costs={name: found for name, _ in shown if (found := cell(cost_rows, system, None, name)) is not None},
            quality={
                column.label: found
                for column in columns
                if (found := cell(quality_rows, system, column.metric, column.sub_metric)) is not None
            },
            front=tuple(label for label, front in fronts.items() if system in front),
        )
        for system in systems
    )
    hardware = []
    for item in [results, *costs]:
        machine = item.run.get("hardware") or {}
        if machine:
            hardware.append(
                f"{item.run.get('generation', {}).get('system', '?')}: {machine.get('cpu') or 'unknown CPU'}, "
                f"{machine.get('usable_cores')} usable cores, accelerator {machine.get('accelerator')}"
            )
    cpus = {(item.run.get("hardware") or {}).get("cpu") for item in [results, *costs] if item.run.get("hardware")}
    notes = (
        ("the costs were measured on different CPUs: latencies do not compare across them",) if len(cpus) > 1 else ()
    )
    return CostSection(shown, columns, table_rows, tuple(plots), tuple(hardware), notes)


__all__ = ["COST_COLUMNS", "CostSection", "cost_section", "cost_tables", "pareto_front"]
