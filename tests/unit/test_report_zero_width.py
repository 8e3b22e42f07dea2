"""A system whose interval has zero width (12 identical replies: distinct-n is the same on every resample) must
render: the axis ticks of a zero-width range once coincided after rounding and the tick label took log10(0)."""

from __future__ import annotations

import pandas as pd

import emoeval
from emoeval.reports.plots import nice_ticks, tick_label


def test_a_zero_width_interval_renders(tmp_path):
    rows = [{"sample_id": f"bot/{i}", "system": "bot", "modality": "text", "text": "I don't know."} for i in range(12)]
    results = emoeval.score(pd.DataFrame(rows), metrics=["text_distinct_n"], progress=False)
    emoeval.report(results, tmp_path / "r.html")
    assert "text_distinct_n" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_ticks_of_a_range_equal_but_for_rounding_are_distinct():
    ticks = nice_ticks(1 / 12, 1 / 12 + 1e-17)
    assert len(set(ticks)) == len(ticks) > 1
    assert tick_label(0.5, [0.5, 0.5]) == "0"  # a degenerate tick list labels without log10(0)
