"""The generic plots the augmentation report draws (:func:`band_plot`, :func:`histogram_plot`): bar heights are
numpy's histogram shares, bars sit at their edges on a linear or log10 axis, zeros get their own bar on a log axis,
the threshold line is left out when it cannot be placed, text is escaped, bad inputs name the fix."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from emoeval.reports.plots import Band, Series, band_plot, histogram_plot

SVG = "{http://www.w3.org/2000/svg}"
PROBE = '<script>alert(1)</script> & "x"'


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "hist"]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("log_scale", [False, True])
def test_histogram_bars_are_numpys_shares_at_their_edges(seed, log_scale):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0.0, 1.5, 200) if log_scale else rng.normal(3.0, 1.0, 200)
    reference = rng.lognormal(0.5, 1.0, 90) if log_scale else rng.normal(3.5, 0.7, 90)
    both = np.concatenate([values, reference])
    edges = (
        np.logspace(math.log10(both.min()), math.log10(both.max()), 13)
        if log_scale
        else np.linspace(both.min(), both.max(), 13)
    )
    edges[0], edges[-1] = both.min(), both.max()
    counts = np.histogram(values, bins=edges)[0]
    reference_counts = np.histogram(reference, bins=edges)[0]
    root = parse(
        histogram_plot(
            tuple(edges),
            tuple(int(c) for c in counts),
            tuple(int(c) for c in reference_counts),
            label="set",
            reference_label="reference",
            x_label="distance",
            log_scale=log_scale,
        )
    )
    drawn = bars(root)
    nonzero = np.flatnonzero(counts)
    assert len(drawn) == len(nonzero)
    shares = counts[nonzero] / len(values)
    heights = np.asarray([float(rect.get("height")) for rect in drawn])
    # heights are proportional to the shares (one px-per-share factor; positions are rounded to 0.1 px)
    factor = heights.max() / shares.max()
    np.testing.assert_allclose(heights, shares * factor, atol=0.11)
    # left bar edges map the (log10) edges linearly
    positions = np.log10(edges[nonzero]) if log_scale else edges[nonzero]
    left = np.asarray([float(rect.get("x")) for rect in drawn])
    if len(left) >= 2:
        slope, intercept = np.polyfit(positions, left, 1)
        np.testing.assert_allclose(left, slope * positions + intercept, atol=0.11)
        assert slope > 0
    legend = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "legend"]
    assert legend == [f"set (n = {len(values)})", f"reference (n = {len(reference)})"]


def test_histogram_zeros_get_their_own_bar_on_a_log_axis_only():
    common = {"label": "set", "reference_label": "reference", "x_label": "distance", "zeros": 2, "reference_zeros": 1}
    log = parse(histogram_plot((0.01, 0.1, 1.0), (3, 5), (4, 0), log_scale=True, **common))
    titles = [rect.find(f"{SVG}title").text for rect in bars(log)]
    assert "value 0: 2 of 10" in titles  # n defaults to the counts plus the zeros
    assert "value 0: 1 of 5" in titles
    linear = parse(histogram_plot((0.0, 0.5, 1.0), (3, 5), (4, 0), **common))
    assert not any(title.startswith("value 0") for title in (r.find(f"{SVG}title").text for r in bars(linear)))


@pytest.mark.parametrize(
    ("threshold", "log_scale", "drawn"),
    [(0.05, True, True), (0.0, True, False), (math.nan, False, False), (None, False, False), (0.0, False, True)],
)
def test_histogram_threshold_line_only_where_it_can_be_placed(threshold, log_scale, drawn):
    root = parse(
        histogram_plot(
            (0.01, 0.1, 1.0),
            (3, 5),
            (4, 1),
            label="set",
            reference_label="reference",
            x_label="distance",
            log_scale=log_scale,
            threshold=threshold,
            threshold_title=PROBE,
        )
    )
    lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "threshold"]
    assert len(lines) == int(drawn)
    if drawn:
        assert lines[0].find(f"{SVG}title").text == PROBE  # escaped in the markup, intact once parsed


def test_histogram_escapes_labels():
    markup = str(histogram_plot((0.0, 1.0), (1,), (1,), label=PROBE, reference_label=PROBE, x_label=PROBE))
    assert "<script>" not in markup
    root = parse(markup)
    assert root.get("aria-label").count(PROBE) == 3  # x label, label, reference label


@pytest.mark.parametrize(
    ("edges", "counts", "reference_counts", "log_scale", "match"),
    [
        ((0.0, 1.0, 2.0), (1,), (1, 2), False, "counts of the same bins"),
        ((0.0, 1.0), (1,), (1, 2), False, "counts of the same bins"),
        ((1.0,), (), (), False, "counts of the same bins"),
        ((0.0, 1.0, 2.0), (1, 2), (1, 2), True, "log axis needs edges > 0"),
    ],
)
def test_histogram_rejects_inputs_it_cannot_draw(edges, counts, reference_counts, log_scale, match):
    with pytest.raises(ValueError, match=match):
        histogram_plot(
            edges, counts, reference_counts, label="s", reference_label="r", x_label="x", log_scale=log_scale
        )


def test_band_plot_draws_a_band_per_line_with_two_finite_intervals_and_open_markers():
    bands = [
        Band(Series("a", (0.1, 0.5, 1.0), (0.02, -0.01, 0.03), "#ff0000"), (0.0, -0.03, math.nan), (0.04, 0.01, 0.05)),
        Band(Series("b", (0.1, 0.5), (0.6, 0.7), "#0000ff"), (0.5, math.nan), (0.7, math.nan), solid=(False, True)),
        Band(Series(PROBE, (0.1, 0.5), (0.2, 0.3), "#00ff00")),
    ]
    root = parse(band_plot(bands, "x", "y", reference=0.0))
    paths = [path for path in root.iter(f"{SVG}path") if path.get("class") == "band"]
    assert [path.get("fill") for path in paths] == ["#ff0000"]  # b has one finite interval, the probe none
    markers = [circle for circle in root.iter(f"{SVG}circle") if circle.get("class") == "marker"]
    assert len(markers) == 7
    assert [m.get("fill") for m in markers if m.get("stroke") == "#0000ff"] == ["#ffffff", "#0000ff"]
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "reference"]) == 1
