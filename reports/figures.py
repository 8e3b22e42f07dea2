"""The figure of each section, drawn with the SVG primitives of :mod:`emoeval.reports.plots` from the section's
data: distributions, corpus metrics, F0 contours, metric-vs-human calibration and meta-analysis forest plots.
"""

from __future__ import annotations

import math

from markupsafe import Markup

from emoeval.reports.analyses import CalibrationSection, MetaSection
from emoeval.reports.distributions import CorpusSummary, Distribution
from emoeval.reports.formatting import arrow, format_interval, format_value
from emoeval.reports.plots import (
    PALETTE,
    IntervalItem,
    Point,
    Series,
    box_strip_plot,
    interval_plot,
    line_plot,
    scatter_plot,
)
from emoeval.reports.prosody import ProsodyExample

REFERENCE_COLOR = "#8a94a3"
POOLED_COLOR = "#b42318"
SUBGROUP_COLOR = "#f28e2b"


def axis_label(metric: str, sub_metric: str, higher_is_better: bool | None) -> str:
    """``metric · sub_metric ↑`` (the arrow says which way is better)."""
    return f"{metric} · {sub_metric} {arrow(higher_is_better)}".rstrip()


def distribution_figure(distribution: Distribution, colors: dict[str, str]) -> Markup:
    label = axis_label(distribution.metric, distribution.sub_metric, distribution.higher_is_better)
    return box_strip_plot(distribution, colors, label)


def corpus_figure(summary: CorpusSummary, colors: dict[str, str]) -> Markup:
    items = [
        IntervalItem(
            label=estimate.system,
            value=estimate.value,
            low=estimate.ci_low,
            high=estimate.ci_high,
            color=colors.get(estimate.system, PALETTE[0]),
            note=f"{format_value(estimate.value)} {format_interval(estimate.ci_low, estimate.ci_high)}".strip(),
        )
        for estimate in summary.estimates
    ]
    return interval_plot(items, axis_label(summary.metric, summary.sub_metric, summary.higher_is_better))


def prosody_figure(example: ProsodyExample, colors: dict[str, str]) -> Markup:
    series = [
        Series(
            f"{example.system} (output)",
            example.output.times,
            example.output.f0,
            colors.get(example.system, PALETTE[0]),
        ),
    ]
    if example.reference is not None:  # a contour recorded by a reference-free metric has none
        series.append(Series("reference", example.reference.times, example.reference.f0, REFERENCE_COLOR, dashed=True))
    return line_plot(series, "time (s)", "F0 (Hz)", width=520, height=220)


def calibration_figure(section: CalibrationSection, colors: dict[str, str]) -> Markup:
    """Metric (x) against mean human rating (y): samples small, system means large, and the fitted maps."""
    points = [
        Point(point.metric, point.rating, point.label, colors.get(point.system, PALETTE[0]))
        for point in section.points
        if point.kind == "sample"
    ]
    systems = [
        Point(point.metric, point.rating, point.label, colors.get(point.system, PALETTE[0]))
        for point in section.points
        if point.kind == "system"
    ]
    xs = [point.metric for point in section.points]
    lines = []
    linear = section.linear
    if xs and all(math.isfinite(float(linear.get(key, math.nan))) for key in ("slope", "intercept")):
        low, high = min(xs), max(xs)
        slope, intercept = float(linear["slope"]), float(linear["intercept"])
        lines.append(
            Series(
                f"linear map (CV RMSE {format_value(linear.get('cv_rmse'))})",
                (low, high),
                (intercept + slope * low, intercept + slope * high),
                "#2563a7",
            )
        )
    knots_x, knots_y = section.isotonic.get("x_knots") or [], section.isotonic.get("y_knots") or []
    if knots_x and len(knots_x) == len(knots_y):
        lines.append(
            Series(
                f"isotonic map (CV RMSE {format_value(section.isotonic.get('cv_rmse'))})",
                tuple(float(x) for x in knots_x),
                tuple(float(y) for y in knots_y),
                "#59a14f",
                dashed=True,
            )
        )
    name = section.metric if not section.sub_metric else f"{section.metric} · {section.sub_metric}"
    return scatter_plot(
        points + systems, name, "human rating (mean)", lines=lines, radius=3.0 if points else 6.0, width=520
    )


def forest_figure(section: MetaSection) -> Markup:
    """Studies as squares (area ∝ weight) with their intervals, pooled estimates as diamonds."""
    items = []
    max_weight = max((row.weight for row in section.rows if math.isfinite(row.weight)), default=1.0) or 1.0
    for row in section.rows:
        if row.row_type == "study":
            weight = row.weight / max_weight if math.isfinite(row.weight) else 0.5
            note = f"{format_value(row.effect)} {format_interval(row.ci_low, row.ci_high)}"
            if math.isfinite(row.weight):
                note += f" · {100 * row.weight:.1f}%"
            items.append(
                IntervalItem(row.label, row.effect, row.ci_low, row.ci_high, "#4e79a7", "square", weight, note)
            )
        else:
            overall = row.group == "overall"
            note = f"{format_value(row.effect)} {format_interval(row.ci_low, row.ci_high)}"
            if math.isfinite(row.i2):
                note += f" · I² {100 * row.i2:.0f}%"
            label = f"{row.label} (k={row.k})" if row.k is not None else row.label
            color = POOLED_COLOR if overall else SUBGROUP_COLOR
            items.append(
                IntervalItem(label, row.effect, row.ci_low, row.ci_high, color, "diamond", 1.0, note, bold=True)
            )
    unit = "proportion" if section.scale == "logit" else "effect"
    pooled = next((row for row in section.rows if row.row_type == "pooled" and row.group == "overall"), None)
    return interval_plot(items, f"{unit} ({section.confidence:.0%} CI)", reference=pooled.effect if pooled else None)
