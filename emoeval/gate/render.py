"""Renderings of a gate result: the console table and the Markdown summary (GitHub step summary, PR comment).

Kept in the core beside the gate (not in ``emoeval.reports``): :class:`~emoeval.gate.result.GateResult` renders
itself, and the core may not import the reports layer (``tests/unit/test_layers.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emoeval.gate.result import GateResult, OutputVerdict

#: verdict → the mark the Markdown summary shows
MARKS = {"regressed": "❌", "improved": "⬆️", "equivalent": "✅", "inconclusive": "❔"}
_COLUMNS = ("verdict", "output", "system", "emotion", "difference", "CI", "margin", "adj. p", "n", "detail")


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    value += 0.0  # -0.0 prints as 0
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else "<0.001"


def _interval(verdict: OutputVerdict) -> str:
    if not (math.isfinite(verdict.ci_low) and math.isfinite(verdict.ci_high)):
        return "–"
    return f"[{verdict.ci_low + 0.0:+.4g}, {verdict.ci_high + 0.0:+.4g}]"


def _detail(verdict: OutputVerdict) -> str:
    parts = []
    if verdict.verdict == "inconclusive" and verdict.mde is not None and math.isfinite(verdict.mde):
        needed = f", n needed {verdict.n_needed}" if verdict.n_needed is not None else ""
        parts.append(f"mde {verdict.mde:.3g}{needed}")
    if verdict.system != verdict.baseline_system and verdict.baseline_system:
        parts.append(f"vs {verdict.baseline_system}")
    if verdict.note:
        parts.append(verdict.note)
    return "; ".join(parts)


def _cells(verdict: OutputVerdict) -> list[str]:
    return [
        verdict.verdict,
        verdict.output,
        verdict.system,
        verdict.target_emotion or "all",
        _number(verdict.difference, signed=True),
        _interval(verdict),
        _number(verdict.margin),
        _p(verdict.adjusted),
        str(verdict.n_pairs),
        _detail(verdict),
    ]


def _headline(result: GateResult) -> str:
    counts = {name: sum(v.verdict == name for v in result.verdicts) for name in MARKS}
    tally = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    return f"{'PASS' if result.passed else 'FAIL'} ({tally or 'no verdicts'})"


def console_summary(result: GateResult) -> str:
    """The verdicts as an aligned text table, then failures, warnings and notes."""
    policy = result.policy
    lines = [
        f"emoeval gate: {_headline(result)}",
        f"candidate {result.candidate or '(in memory)'} vs baseline {result.baseline or '(in memory)'}",
        f"difference = candidate − baseline, oriented so positive = better; CI = {1 - 2 * policy.alpha:.0%} "
        f"two-sided; decisions at alpha {policy.alpha:.3g} one-sided, {policy.correction} correction over "
        f"{len(result.verdicts)} test(s)",
        "",
    ]
    rows = [list(_COLUMNS)] + [_cells(verdict) for verdict in result.verdicts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    for title, items in (("failures", result.failures), ("warnings", result.warnings), ("notes", result.notes)):
        if items:
            lines.append("")
            lines.append(f"{title}:")
            lines.extend(f"  - {item}" for item in items)
    if result.repeat:
        lines.append("")
        lines.append(f"run-to-run spread over {len(result.repeat[0].values)} runs:")
        for spread in result.repeat:
            state = "deterministic" if spread.deterministic else "NOT deterministic"
            lines.append(f"  - {spread.metric}/{spread.sub_metric} [{spread.system}]: {spread.spread:.4g} ({state})")
    worst = [v for v in result.verdicts if v.worst_samples and v.verdict in ("regressed", "inconclusive")]
    if worst:
        lines.append("")
        lines.append("worst samples (largest losses first):")
        for verdict in worst:
            where = f"{verdict.system}" + (f", {verdict.target_emotion}" if verdict.target_emotion else "")
            lines.append(f"  - {verdict.output} [{where}]: {', '.join(verdict.worst_samples)}")
    return "\n".join(lines)


def _md(text: str) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text.replace('`', 'ʼ')}`"


def markdown_summary(result: GateResult) -> str:
    """A GitHub-flavoured Markdown summary: status, the verdict table, failures, worst samples, warnings."""
    policy = result.policy
    status = "✅ passed" if result.passed else "❌ failed"
    lines = [
        f"## emoeval gate: {status}",
        "",
        f"{_headline(result)} · candidate {_code(result.candidate or 'in memory')} vs baseline "
        f"{_code(result.baseline or 'in memory')} · {1 - 2 * policy.alpha:.0%} CI · alpha {policy.alpha:.3g} "
        f"one-sided · {policy.correction} correction",
        "",
        "| | output | system | emotion | difference (+ = better) | CI | margin | adj. p | n | detail |",
        "|---|---|---|---|---:|---|---:|---:|---:|---|",
    ]
    for verdict in result.verdicts:
        cells = _cells(verdict)
        cells[0] = f"{MARKS[verdict.verdict]} {verdict.verdict}"
        cells[1] = _code(verdict.output)
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    if result.failures:
        lines += ["", "### Failures", ""] + [f"- {_md(item)}" for item in result.failures]
    worst = [v for v in result.verdicts if v.worst_samples and v.verdict in ("regressed", "inconclusive")]
    if worst:
        lines += ["", "### Worst samples", ""]
        for verdict in worst:
            where = verdict.system + (f", {verdict.target_emotion}" if verdict.target_emotion else "")
            ids = ", ".join(_code(sample) for sample in verdict.worst_samples)
            lines.append(f"- {_code(verdict.output)} ({_md(where)}): {ids}")
    extra = [("Warnings", result.warnings), ("Notes", result.notes)]
    if any(items for _, items in extra):
        lines += ["", "<details><summary>Warnings and notes</summary>", ""]
        for title, items in extra:
            if items:
                lines += [f"**{title}**", ""] + [f"- {_md(item)}" for item in items] + [""]
        lines.append("</details>")
    return "\n".join(lines) + "\n"


__all__ = ["MARKS", "console_summary", "markdown_summary"]
