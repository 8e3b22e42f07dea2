"""SVG plots: well-formed XML, ticks that cover the data, positions that map values linearly, escaped text."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from emoeval.reports.distributions import Distribution, summarize_values
from emoeval.reports.plots import (
    IntervalItem,
    Point,
    Scale,
    Series,
    box_strip_plot,
    goodness,
    heat_color,
    interval_plot,
    line_plot,
    nice_ticks,
    scatter_plot,
    system_colors,
)

SVG = "{http://www.w3.org/2000/svg}"
PROBE = '<script>alert(1)</script> & "x"'


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


@pytest.mark.parametrize("seed", range(30))
def test_ticks_cover_the_range_with_round_steps(seed):
    rng = np.random.default_rng(seed)
    low = float(rng.normal(0, 10.0 ** rng.integers(-3, 4)))
    high = low + float(rng.exponential(10.0 ** rng.integers(-4, 4)))
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low + 1e-12 and ticks[-1] >= high - 1e-12
    steps = np.diff(ticks)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-6)
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0, 10.0)
    assert 2 <= len(ticks) <= 12


def test_scale_is_linear():
    scale = Scale(0.0, 10.0, 100.0, 300.0)
    assert (scale(0.0), scale(5.0), scale(10.0)) == (100.0, 200.0, 300.0)


def test_box_plot_places_medians_where_the_scale_says_and_escapes_names():
    rng = np.random.default_rng(0)
    systems = (summarize_values(PROBE, rng.normal(0.4, 0.1, 40)), summarize_values("b", rng.normal(0.7, 0.1, 40)))
    svg = box_strip_plot(Distribution("m", "s", True, systems), system_colors([PROBE, "b"]), "m · s ↑")
    root = parse(svg)
    assert "<script>" not in str(svg)
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "row-label"]
    assert labels[0].find(f"{SVG}title").text == PROBE
    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    medians = [line for line in root.iter(f"{SVG}line") if line.get("class") == "median"]
    for summary, median in zip(systems, medians, strict=True):
        expected = np.interp(summary.median, ticks, xs)
        assert float(median.get("x1")) == pytest.approx(expected, abs=0.11)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 80  # every sample is a point below the limit


def test_binary_outputs_are_drawn_as_shares():
    systems = (summarize_values("a", [1, 1, 0, 1]), summarize_values("b", [0, 0, 0, 1]))
    root = parse(box_strip_plot(Distribution("m", "hit", True, systems, binary=True), {}, "hit"))
    notes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "note"]
    assert notes == ["75.0% of 4", "25.0% of 4"]


def test_interval_line_and_scatter_plots_are_valid_svg():
    items = [
        IntervalItem(PROBE, 1.0, 0.5, 1.5),
        IntervalItem("pooled", 2.0, 1.0, 3.0, shape="diamond"),
        IntervalItem("study", 1.5, 1.0, 2.0, shape="square", weight=0.3, note="1.5 [1.0, 2.0]"),
    ]
    assert "<script>" not in str(interval_plot(items, "effect", reference=1.2))
    parse(interval_plot(items, "effect", reference=1.2))
    root = parse(line_plot([Series("f0", (0.0, 0.1, 0.2, 0.3), (100.0, math.nan, 120.0, 130.0))], "t", "Hz"))
    path = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "line")
    assert path.get("d").count("M") == 2  # the unvoiced frame breaks the line
    parse(
        scatter_plot(
            [Point(0.1, 2.0, PROBE), Point(0.9, 4.5, "b")],
            "metric",
            "rating",
            lines=[Series("linear", (0.1, 0.9), (2.0, 4.4))],
        )
    )


def test_heat_colours_and_goodness():
    assert heat_color(0.0) == "rgb(255,255,255)" and heat_color(math.nan) == "rgb(242,242,242)"
    assert goodness(3.0, 1.0, 5.0, True) == 0.5 and goodness(4.0, 0.0, 4.0, False) == 0.0
    assert goodness(2.0, 2.0, 2.0, True) == 0.5
    assert len(set(system_colors([str(i) for i in range(10)]).values())) == 10
