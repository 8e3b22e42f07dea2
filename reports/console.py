"""A plain-text summary of results for terminals: one line per system × metric output."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from emoeval.results import Results


def _number(value: float) -> str:
    """Three decimals; a value that would print as 0.000 but is not zero (a latency of 40 µs in seconds, a KID)
    in scientific notation with three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value != 0 and abs(value) < 0.0005:
        return f"{value:.2e}"
    return f"{value:.3f}"


def _arrow(higher_is_better: object) -> str:
    if higher_is_better is None or higher_is_better is pd.NA:
        return ""  # a value with no direction (a count)
    return "↑" if bool(higher_is_better) else "↓"


def _breakdown(emotion: object, label: object) -> str:
    """``[happy]`` for a per-emotion value, ``[happy→sad]`` for a confusion cell, nothing otherwise."""
    if emotion is None or emotion is pd.NA:
        return ""
    return f"[{emotion}→{label}]" if label is not None and label is not pd.NA else f"[{emotion}]"


def _headline(metric: str, table: pd.DataFrame) -> str | None:
    """The metric's headline output as the results table marks it (``headline`` column), or None when the table
    marks none (results written before the column existed: show all its outputs). Never the live registry."""
    from emoeval.stats._result import recorded_headline

    return recorded_headline(metric, table)


def render_summary(results: Results, *, all_outputs: bool = False) -> str:
    """System-level values with 95 % (or the run's) confidence intervals, then error counts.

    By default one line per metric's headline output (per system, and per emotion where the metric breaks it
    down); ``all_outputs`` shows every sub-metric. The results table always holds everything.
    """
    summary = results.summary()
    hidden = 0
    if not all_outputs and len(summary):
        headlines = {metric: _headline(str(metric), results.table) for metric in summary["metric"].unique()}
        keep = [
            headlines[metric] is None or sub_metric == headlines[metric]
            for metric, sub_metric in zip(summary["metric"], summary["sub_metric"], strict=True)
        ]
        hidden = len(summary) - sum(keep)
        summary = summary[keep]
    confidence = results.run.get("config", {}).get("bootstrap", {}).get("confidence", 0.95)
    header = ("metric", "output", "system", "value", f"{confidence:.0%} CI", "n")
    lines: list[tuple[str, ...]] = [header]
    for row in summary.itertuples(index=False):
        arrow = _arrow(row.higher_is_better)
        interval = "" if math.isnan(row.ci_low) else f"[{_number(row.ci_low)}, {_number(row.ci_high)}]"
        lines.append(
            (
                str(row.metric),
                f"{row.sub_metric}{_breakdown(row.target_emotion, row.label)} {arrow}".rstrip(),
                str(row.system),
                _number(row.value),
                interval,
                str(row.n),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.rjust(width) if i in (3, 5) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    if hidden:
        text.append(f"(headline outputs; {hidden} more system values of other outputs are in the results table)")
    errors = results.errors()
    sample_errors = errors[errors["scope"] == "sample"]
    if len(sample_errors):
        text.append("")
        text.append(f"{len(sample_errors)} sample(s) could not be scored:")
        for row in sample_errors.head(10).itertuples(index=False):
            text.append(f"  {row.metric} · {row.sample_id}: {row.error}")
        if len(sample_errors) > 10:
            text.append(f"  … and {len(sample_errors) - 10} more (see the 'error' column)")
    return "\n".join(text)
