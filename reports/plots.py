"""Plots as small hand-written inline SVG: box-and-strip plots, interval (forest) plots, scatter plots with a
fitted line, line plots (F0 contours), lines with interval bands (gain curves), histograms of a set against a
reference set (distances to the closest real record), and the colour scale of heatmap cells.

Hand-written rather than matplotlib: the SVG is a few kilobytes, takes its fonts and colours from the page's
CSS, is identical for identical inputs, and needs no import of a plotting library. Every text that ends up in
a plot (system names, labels) goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from emoeval.reports.distributions import Distribution
from emoeval.reports.formatting import format_value

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#b07aa1",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#bab0ac",
)
WIDTH = 900
LABEL_LIMIT = 40
RIGHT = 24
GOLDEN = 0.6180339887498949
#: the grey of a reference set (real data, a baseline) drawn beside the palette's colours
REFERENCE_COLOR = "#8a94a3"


def system_colors(systems: Sequence[str]) -> dict[str, str]:
    """A stable colour per system (in the order given; the palette repeats after ten)."""
    return {system: PALETTE[index % len(PALETTE)] for index, system in enumerate(systems)}


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 × 10ᵏ).

    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(3.0, 3.0)
    [2.6, 2.8, 3.0, 3.2, 3.4]
    >>> nice_ticks(1 / 12, 1 / 12 + 1e-17) == nice_ticks(1 / 12, 1 / 12)
    True
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):
        # equal, or equal but for rounding (a zero-width interval): ticks rounded to 12 decimals would coincide
        pad = abs(low) * 0.1 or 0.5
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    count = max(1, math.ceil((high - first) / step - 1e-9))
    return [round(first + index * step, 12) + 0.0 for index in range(count + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """A tick's text with as many decimals as the step needs (0.2 → '0.2', 50 → '50')."""
    step = (abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value)) or 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-4):
        return f"{value:.1e}"
    return f"{value:.{decimals}f}"


@dataclass(frozen=True)
class Scale:
    """Linear map from data [low, high] to pixels [start, end]."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return round(self.start + (value - self.low) / span * (self.end - self.start), 1)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _truncate(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_width(labels: Sequence[str]) -> int:
    """Room for row labels at 12 px (about 7 px a character), between 90 and 300 px."""
    longest = max((len(_truncate(label)) for label in labels), default=0)
    return max(90, min(300, 20 + round(7.2 * longest)))


def _svg(height: float, body: list[str], label: str, width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="plot" viewBox="0 0 {width} {_num(height)}" width="{width}" height="{_num(height)}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>"
    )


def _x_axis(scale: Scale, ticks: Sequence[float], top: float, bottom: float, label: str) -> list[str]:
    parts = []
    for tick in ticks:
        x = scale(tick)
        parts.append(f'<line class="grid" x1="{_num(x)}" x2="{_num(x)}" y1="{_num(top)}" y2="{_num(bottom)}"/>')
        parts.append(
            f'<text class="tick" x="{_num(x)}" y="{_num(bottom + 14)}" text-anchor="middle">'
            f"{escape(tick_label(tick, ticks))}</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{_num((scale.start + scale.end) / 2)}" y="{_num(bottom + 32)}" '
        f'text-anchor="middle">{escape(label)}</text>'
    )
    return parts


def _y_axis(scale: Scale, ticks: Sequence[float], left: float, right: float, label: str) -> list[str]:
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(f'<line class="grid" x1="{_num(left)}" x2="{_num(right)}" y1="{_num(y)}" y2="{_num(y)}"/>')
        parts.append(
            f'<text class="tick" x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end">'
            f"{escape(tick_label(tick, ticks))}</text>"
        )
    middle = (scale.start + scale.end) / 2
    parts.append(
        f'<text class="axis-label" x="14" y="{_num(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_num(middle)})">{escape(label)}</text>'
    )
    return parts


def _row_label(text: str, y: float, width: int) -> str:
    return (
        f'<text class="row-label" x="{width - 10}" y="{_num(y + 4)}" text-anchor="end">'
        f"<title>{escape(text)}</title>{escape(_truncate(text))}</text>"
    )


def proportion_plot(distribution: Distribution, colors: dict[str, str], axis_label: str) -> Markup:
    """One bar per system for a 0/1 output: the share of ones (a hit rate), labelled with it and n."""
    row_height = 30
    top = 10
    height = top + row_height * len(distribution.systems)
    left = label_width([item.system for item in distribution.systems])
    ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    scale = Scale(0.0, 1.0, left, WIDTH - RIGHT - 120)
    body = _x_axis(scale, ticks, top, height, axis_label + " (share of samples)")
    for index, item in enumerate(distribution.systems):
        centre = top + row_height * index + row_height / 2
        color = colors.get(item.system, PALETTE[0])
        body.append(_row_label(item.system, centre, left))
        width = scale(item.mean) - scale(0.0)
        body.append(
            f'<rect class="bar" x="{_num(scale(0.0))}" y="{_num(centre - 9)}" width="{_num(max(width, 0.5))}" '
            f'height="18" fill="{color}" fill-opacity="0.75"><title>{escape(item.system)}: '
            f"{100 * item.mean:.1f}% of {item.n}</title></rect>"
            f'<text class="note" x="{_num(scale(1.0) + 8)}" y="{_num(centre + 4)}">'
            f"{100 * item.mean:.1f}% of {item.n}</text>"
        )
    return _svg(height + 40, body, f"share of ones of {axis_label} per system")


def box_strip_plot(distribution: Distribution, colors: dict[str, str], axis_label: str) -> Markup:
    """One row per system: its points (deterministic jitter), the box from Q1 to Q3, the median (line),
    Tukey whiskers and the mean (white diamond). A 0/1 output is drawn by :func:`proportion_plot`."""
    if distribution.binary:
        return proportion_plot(distribution, colors, axis_label)
    row_height = 38
    top = 10
    height = top + row_height * len(distribution.systems)
    low, high = distribution.value_range
    ticks = nice_ticks(low, high)
    left = label_width([item.system for item in distribution.systems])
    scale = Scale(ticks[0], ticks[-1], left, WIDTH - RIGHT)
    body = _x_axis(scale, ticks, top, height, axis_label)
    for index, item in enumerate(distribution.systems):
        centre = top + row_height * index + row_height / 2
        color = colors.get(item.system, PALETTE[0])
        body.append(_row_label(item.system, centre, left))
        dots = []
        for position, value in enumerate(item.points):
            offset = ((position * GOLDEN) % 1.0 - 0.5) * (row_height * 0.62)
            dots.append(f'<circle cx="{_num(scale(value))}" cy="{_num(centre + offset)}" r="2.2"/>')
        body.append(f'<g class="points" fill="{color}">{"".join(dots)}</g>')
        x1, x3, xm = scale(item.q1), scale(item.q3), scale(item.median)
        half = row_height * 0.3
        body.append(
            f'<g class="box" stroke="{color}"><title>{escape(item.system)}: n {item.n}, '
            f"mean {format_value(item.mean)}, median {format_value(item.median)}, "
            f"IQR [{format_value(item.q1)}, {format_value(item.q3)}]</title>"
            f'<line x1="{_num(scale(item.whisker_low))}" x2="{_num(x1)}" y1="{_num(centre)}" y2="{_num(centre)}"/>'
            f'<line x1="{_num(x3)}" x2="{_num(scale(item.whisker_high))}" y1="{_num(centre)}" y2="{_num(centre)}"/>'
            f'<rect x="{_num(x1)}" y="{_num(centre - half)}" width="{_num(max(x3 - x1, 1.0))}" '
            f'height="{_num(2 * half)}" fill="{color}" fill-opacity="0.18"/>'
            f'<line class="median" x1="{_num(xm)}" x2="{_num(xm)}" y1="{_num(centre - half)}" '
            f'y2="{_num(centre + half)}"/></g>'
        )
        xmean = scale(item.mean)
        body.append(f'<path class="mean" d="M{_num(xmean)} {_num(centre - 5)}l5 5l-5 5l-5 -5z" stroke="{color}"/>')
    return _svg(height + 40, body, f"distribution of {axis_label} per system")


@dataclass(frozen=True)
class IntervalItem:
    """A row of an interval plot: an estimate with its interval; ``shape`` ``dot``, ``square`` (size from
    ``weight`` in [0, 1]) or ``diamond`` (a pooled estimate)."""

    label: str
    value: float
    low: float
    high: float
    color: str = PALETTE[0]
    shape: str = "dot"
    weight: float = 1.0
    note: str = ""
    bold: bool = False


def interval_plot(items: Sequence[IntervalItem], axis_label: str, *, reference: float | None = None) -> Markup:
    """Estimates with intervals, one per row (corpus metrics per system; forest plots of meta-analyses)."""
    row_height = 26
    top = 8
    note_width = 190 if any(item.note for item in items) else 0
    right_edge = WIDTH - RIGHT - note_width
    height = top + row_height * len(items)
    finite = [v for item in items for v in (item.value, item.low, item.high) if math.isfinite(v)]
    if reference is not None:
        finite.append(reference)
    ticks = nice_ticks(min(finite, default=0.0), max(finite, default=1.0))
    left = label_width([item.label for item in items])
    scale = Scale(ticks[0], ticks[-1], left, right_edge)
    body = _x_axis(scale, ticks, top, height, axis_label)
    if reference is not None:
        x = scale(reference)
        body.append(f'<line class="reference" x1="{_num(x)}" x2="{_num(x)}" y1="{top}" y2="{_num(height)}"/>')
    for index, item in enumerate(items):
        y = top + row_height * index + row_height / 2
        label = _row_label(item.label, y, left)
        body.append(label.replace('class="row-label"', 'class="row-label strong"') if item.bold else label)
        if math.isfinite(item.low) and math.isfinite(item.high):
            body.append(
                f'<line class="interval" x1="{_num(scale(item.low))}" x2="{_num(scale(item.high))}" '
                f'y1="{_num(y)}" y2="{_num(y)}" stroke="{item.color}"/>'
            )
        if not math.isfinite(item.value):
            continue
        x = scale(item.value)
        title = f"<title>{escape(item.label)}: {format_value(item.value)}"
        if math.isfinite(item.low) and math.isfinite(item.high):
            title += f" [{format_value(item.low)}, {format_value(item.high)}]"
        title += "</title>"
        if item.shape == "diamond" and math.isfinite(item.low) and math.isfinite(item.high):
            body.append(
                f'<path class="pooled" d="M{_num(scale(item.low))} {_num(y)}L{_num(x)} {_num(y - 7)}'
                f'L{_num(scale(item.high))} {_num(y)}L{_num(x)} {_num(y + 7)}z" fill="{item.color}">{title}</path>'
            )
        elif item.shape == "square":
            side = 4 + 8 * math.sqrt(max(0.0, min(1.0, item.weight)))
            body.append(
                f'<rect x="{_num(x - side / 2)}" y="{_num(y - side / 2)}" width="{_num(side)}" height="{_num(side)}" '
                f'fill="{item.color}">{title}</rect>'
            )
        else:
            body.append(
                f'<circle class="estimate" cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="{item.color}">{title}</circle>'
            )
        if item.note:
            body.append(f'<text class="note" x="{_num(right_edge + 10)}" y="{_num(y + 4)}">{escape(item.note)}</text>')
    return _svg(height + 40, body, f"intervals of {axis_label}")


@dataclass(frozen=True)
class Series:
    """A line: x and y values (NaN in y breaks the line: an unvoiced stretch of an F0 contour)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: str = PALETTE[0]
    dashed: bool = False


def _paths(series: Series, x_scale: Scale, y_scale: Scale) -> str:
    segments: list[str] = []
    current: list[str] = []
    for x, y in zip(series.x, series.y, strict=True):
        if math.isfinite(y):
            current.append(f"{_num(x_scale(x))} {_num(y_scale(y))}")
        elif current:
            segments.append("M" + "L".join(current))
            current = []
    if current:
        segments.append("M" + "L".join(current))
    dash = ' stroke-dasharray="5 3"' if series.dashed else ""
    return (
        f'<path class="line" d="{"".join(segments)}" stroke="{series.color}"{dash}>'
        f"<title>{escape(series.label)}</title></path>"
    )


def _legend(entries: Sequence[tuple[str, str, bool]], x: float, y: float) -> list[str]:
    parts = []
    for index, (label, color, dashed) in enumerate(entries):
        top = y + 16 * index
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        parts.append(
            f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{_num(top)}" y2="{_num(top)}" stroke="{color}" '
            f'stroke-width="2.5"{dash}/><text class="legend" x="{_num(x + 24)}" y="{_num(top + 4)}">'
            f"{escape(_truncate(label, 40))}</text>"
        )
    return parts


def line_plot(series: Sequence[Series], x_label: str, y_label: str, *, width: int = 440, height: int = 200) -> Markup:
    """Lines over a shared x axis (F0 contours of a sample and its reference), with a legend above."""
    left, top = 56, 12 + 16 * len(series)
    bottom = height - 40
    xs = [v for s in series for v in s.x if math.isfinite(v)]
    ys = [v for s in series for v in s.y if math.isfinite(v)]
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0), 4)
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 4)
    x_scale = Scale(x_ticks[0], x_ticks[-1], left, width - 12)
    y_scale = Scale(y_ticks[0], y_ticks[-1], bottom, top)
    body = _y_axis(y_scale, y_ticks, left, width - 12, y_label)
    body += _x_axis(x_scale, x_ticks, top, bottom, x_label)
    body += [_paths(item, x_scale, y_scale) for item in series]
    body += _legend([(s.label, s.color, s.dashed) for s in series], left + 4, 10)
    return _svg(height, body, f"{y_label} over {x_label}", width)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    color: str = PALETTE[0]


def scatter_plot(
    points: Sequence[Point],
    x_label: str,
    y_label: str,
    *,
    lines: Sequence[Series] = (),
    width: int = 440,
    height: int = 300,
    radius: float = 4.0,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
) -> Markup:
    """Points (hover shows each one's label) with optional fitted lines (a linear map, an isotonic map);
    ``x_range``/``y_range`` fix an axis's extent (e.g. the valence-arousal square) instead of fitting the data."""
    left, top, bottom = 56, 12 + 16 * len(lines), height - 40
    xs = [p.x for p in points] + [v for s in lines for v in s.x] + list(x_range or ())
    ys = [p.y for p in points] + [v for s in lines for v in s.y if math.isfinite(v)] + list(y_range or ())
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0), 5)
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 5)
    x_scale = Scale(x_ticks[0], x_ticks[-1], left, width - 12)
    y_scale = Scale(y_ticks[0], y_ticks[-1], bottom, top)
    body = _y_axis(y_scale, y_ticks, left, width - 12, y_label)
    body += _x_axis(x_scale, x_ticks, top, bottom, x_label)
    for point in points:
        body.append(
            f'<circle class="dot" cx="{_num(x_scale(point.x))}" cy="{_num(y_scale(point.y))}" r="{radius}" '
            f'fill="{point.color}"><title>{escape(point.label)}: {format_value(point.x)}, '
            f"{format_value(point.y)}</title></circle>"
        )
    body += [_paths(item, x_scale, y_scale) for item in lines]
    body += _legend([(s.label, s.color, s.dashed) for s in lines], left + 4, 10)
    return _svg(height, body, f"{y_label} against {x_label}", width)


@dataclass(frozen=True)
class Band:
    """A line with an interval band around it and a marker per point: ``titles`` are the markers' hover texts,
    ``solid`` says which markers are filled (the others are drawn open)."""

    series: Series
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    titles: tuple[str, ...] = ()
    solid: tuple[bool, ...] = ()


def band_plot(
    bands: Sequence[Band],
    x_label: str,
    y_label: str,
    *,
    reference: float | None = None,
    width: int = 520,
    height: int = 280,
) -> Markup:
    """Lines over a shared x axis, each with its interval as a shaded band and a marker per point (hover: its
    title), a legend above and an optional horizontal reference line (no change)."""
    left, top = 56, 12 + 16 * len(bands)
    bottom = height - 40
    xs = [v for band in bands for v in band.series.x if math.isfinite(v)]
    ys = [v for band in bands for v in (*band.series.y, *band.low, *band.high) if math.isfinite(v)]
    if reference is not None:
        ys.append(reference)
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0), 5)
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 5)
    x_scale = Scale(x_ticks[0], x_ticks[-1], left, width - 12)
    y_scale = Scale(y_ticks[0], y_ticks[-1], bottom, top)
    body = _y_axis(y_scale, y_ticks, left, width - 12, y_label)
    body += _x_axis(x_scale, x_ticks, top, bottom, x_label)
    if reference is not None:
        y = _num(y_scale(reference))
        body.append(f'<line class="reference" x1="{left}" x2="{width - 12}" y1="{y}" y2="{y}"/>')
    for band in bands:
        points = [
            (x, lo, hi)
            for x, lo, hi in zip(band.series.x, band.low, band.high, strict=False)
            if math.isfinite(lo) and math.isfinite(hi)
        ]
        if len(points) >= 2:
            upper = [f"{_num(x_scale(x))} {_num(y_scale(hi))}" for x, _, hi in points]
            lower = [f"{_num(x_scale(x))} {_num(y_scale(lo))}" for x, lo, _ in reversed(points)]
            body.append(
                f'<path class="band" d="M{"L".join(upper + lower)}z" fill="{band.series.color}">'
                f"<title>{escape(band.series.label)}: interval</title></path>"
            )
    for band in bands:
        body.append(_paths(band.series, x_scale, y_scale))
        for index, (x, y) in enumerate(zip(band.series.x, band.series.y, strict=True)):
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            solid = band.solid[index] if index < len(band.solid) else True
            title = band.titles[index] if index < len(band.titles) else f"{format_value(x)}, {format_value(y)}"
            fill = band.series.color if solid else "#ffffff"
            body.append(
                f'<circle class="marker" cx="{_num(x_scale(x))}" cy="{_num(y_scale(y))}" r="3.6" fill="{fill}" '
                f'stroke="{band.series.color}"><title>{escape(title)}</title></circle>'
            )
    body += _legend([(b.series.label, b.series.color, b.series.dashed) for b in bands], left + 4, 10)
    return _svg(height, body, f"{y_label} against {x_label}", width)


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between ``low`` and ``high`` (> 0); every integer multiple when that gives too few."""
    ticks: list[float] = []
    for multiples in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [
            m * 10.0**k
            for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            for m in multiples
            if low * (1 - 1e-9) <= m * 10.0**k <= high * (1 + 1e-9)
        ]
        if len(ticks) >= 3:
            break
    return ticks


def histogram_plot(
    edges: Sequence[float],
    counts: Sequence[int],
    reference_counts: Sequence[int],
    *,
    label: str,
    reference_label: str,
    x_label: str,
    color: str = PALETTE[0],
    reference_color: str = REFERENCE_COLOR,
    log_scale: bool = False,
    zeros: int = 0,
    reference_zeros: int = 0,
    n: int | None = None,
    reference_n: int | None = None,
    threshold: float | None = None,
    threshold_title: str = "",
    reference_title: str = "",
    zero_title: str = "value 0",
    title: str = "",
    width: int = 520,
    height: int = 250,
) -> Markup:
    """A set's values (bars in ``color``) against a reference set's (a grey step outline) on shared bins.

    ``counts`` / ``reference_counts``: values per bin of ``edges`` (``len(edges) - 1`` each), drawn as shares of
    each set's size (``n`` / ``reference_n``, default: its counts plus its zeros) so sets of different sizes
    compare. ``log_scale``: ``edges`` are > 0 and the x axis is log10 with 1-2-5 ticks; zeros, which a log axis
    cannot place, are counted apart (``zeros`` / ``reference_zeros``) and get a bar of their own left of the axis
    (hover: ``zero_title``). ``threshold``: a dashed vertical line clamped into the axis (hover:
    ``threshold_title``), left out when it is None or NaN, or ≤ 0 on a log axis. ``label`` / ``reference_label``
    name the sets in the legend (with their n) and the bars' hover texts; ``reference_title`` is the outline's
    hover text; ``title`` the figure's accessible name.
    """
    if len(edges) < 2 or len(counts) != len(edges) - 1 or len(reference_counts) != len(edges) - 1:
        raise ValueError(
            f"histogram_plot of {label!r}: {len(edges)} edges need {max(0, len(edges) - 1)} counts per set, got "
            f"{len(counts)} and {len(reference_counts)} reference counts; pass the counts of the same bins (>= 1)"
        )
    if log_scale and not edges[0] > 0:
        raise ValueError(
            f"histogram_plot of {label!r}: a log axis needs edges > 0, the first is {edges[0]}; count zeros apart "
            "in zeros= / reference_zeros= and start the edges at the smallest positive value"
        )
    n = sum(counts) + zeros if n is None else n
    reference_n = sum(reference_counts) + reference_zeros if reference_n is None else reference_n
    left, top = 56, 12 + 16 * 2
    bottom = height - 40
    zero_bars = log_scale and (zeros or reference_zeros)
    start = left + (34 if zero_bars else 0)
    positions = [math.log10(e) for e in edges] if log_scale else list(edges)
    x_scale = Scale(positions[0], positions[-1], start + 4, width - 12)
    n_set, n_reference = max(1, n), max(1, reference_n)
    shares = [c / n_set for c in counts] + [c / n_reference for c in reference_counts]
    shares += [zeros / n_set, reference_zeros / n_reference]
    y_ticks = nice_ticks(0.0, max(shares, default=1.0) or 1.0, 4)
    y_scale = Scale(0.0, y_ticks[-1], bottom, top)
    body = _y_axis(y_scale, y_ticks, left, width - 12, "share of the set")
    if log_scale:
        for tick in _log_ticks(edges[0], edges[-1]):
            x = _num(x_scale(math.log10(tick)))
            body.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{top}" y2="{_num(bottom)}"/>')
            body.append(f'<text class="tick" x="{x}" y="{_num(bottom + 14)}" text-anchor="middle">{tick:g}</text>')
        body.append(
            f'<text class="axis-label" x="{_num((start + width) / 2)}" y="{_num(bottom + 32)}" text-anchor="middle">'
            f"{escape(x_label)} (log scale)</text>"
        )
    else:
        ticks = nice_ticks(positions[0], positions[-1], 5)
        x_scale = Scale(ticks[0], ticks[-1], start + 4, width - 12)
        body += _x_axis(x_scale, ticks, top, bottom, x_label)
    for index, count in enumerate(counts):
        if not count:
            continue
        x0, x1 = x_scale(positions[index]), x_scale(positions[index + 1])
        y = y_scale(count / n_set)
        body.append(
            f'<rect class="hist" x="{_num(x0)}" y="{_num(y)}" width="{_num(max(x1 - x0 - 0.6, 0.6))}" '
            f'height="{_num(bottom - y)}" fill="{color}"><title>{escape(label)}: {count} of '
            f"{n} in [{edges[index]:.3g}, {edges[index + 1]:.3g}]</title></rect>"
        )
    step = [f"M{_num(x_scale(positions[0]))} {_num(bottom)}"]
    for index, count in enumerate(reference_counts):
        y = _num(y_scale(count / n_reference))
        step.append(f"L{_num(x_scale(positions[index]))} {y}L{_num(x_scale(positions[index + 1]))} {y}")
    step.append(f"L{_num(x_scale(positions[-1]))} {_num(bottom)}")
    body.append(
        f'<path class="line" d="{"".join(step)}" stroke="{reference_color}">'
        f"<title>{escape(reference_title or f'{reference_label} (n = {reference_n})')}</title></path>"
    )
    if zero_bars:
        mid = left + 17
        body.append(f'<text class="tick" x="{mid}" y="{_num(bottom + 14)}" text-anchor="middle">0</text>')
        for count, total, fill in ((zeros, n_set, color), (reference_zeros, n_reference, reference_color)):
            if count:
                y = y_scale(count / total)
                body.append(
                    f'<rect class="hist" x="{mid - 9}" y="{_num(y)}" width="18" height="{_num(bottom - y)}" '
                    f'fill="{fill}"><title>{escape(zero_title)}: {count} of {total}</title></rect>'
                )
    if threshold is not None and math.isfinite(threshold) and (threshold > 0 or not log_scale):
        position = math.log10(threshold) if log_scale else threshold
        x = _num(x_scale(min(max(position, x_scale.low), x_scale.high)))
        body.append(
            f'<line class="threshold" x1="{x}" x2="{x}" y1="{top}" y2="{_num(bottom)}">'
            f"<title>{escape(threshold_title or f'threshold {threshold:.4g}')}</title></line>"
        )
        body.append(f'<text class="note" x="{x}" y="{top - 3}" text-anchor="middle">threshold</text>')
    body += _legend(
        [(f"{label} (n = {n})", color, False), (f"{reference_label} (n = {reference_n})", reference_color, False)],
        left + 4,
        10,
    )
    return _svg(height, body, title or f"histogram of {x_label}: {label} against {reference_label}", width)


def heat_color(fraction: float) -> str:
    """Background of a heatmap cell: white (0) to the report's blue (1); light grey for a missing value.

    >>> heat_color(0.0), heat_color(1.0)
    ('rgb(255,255,255)', 'rgb(37,99,167)')
    """
    if not math.isfinite(fraction):
        return "rgb(242,242,242)"
    share = max(0.0, min(1.0, fraction))
    start, end = (255, 255, 255), (37, 99, 167)
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(start, end, strict=True))
    return f"rgb({red},{green},{blue})"


def heat_text_color(fraction: float) -> str:
    """Text colour that stays readable on :func:`heat_color` of the same fraction."""
    return "#ffffff" if math.isfinite(fraction) and fraction > 0.55 else "#1b1f24"


def goodness(value: float, low: float, high: float, higher_is_better: bool | None) -> float:
    """Where ``value`` lies in [low, high] as 0..1, flipped when lower is better (1 is always the best end).

    >>> goodness(2.0, 0.0, 4.0, True), goodness(1.0, 0.0, 4.0, False)
    (0.5, 0.75)
    """
    if not (math.isfinite(value) and math.isfinite(low) and math.isfinite(high)):
        return math.nan
    share = 0.5 if high == low else (value - low) / (high - low)
    return 1.0 - share if higher_is_better is False else share
