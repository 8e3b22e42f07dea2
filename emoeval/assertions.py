"""Assertions that read like the field and decide on confidence intervals, not on point values.

For tests of a generator (with or without pytest; the pytest plugin re-exports them):

- :func:`assert_emotion_accuracy` — the emotion recognizer sees the target emotion in at least a share of the
  outputs (overall, and per target emotion);
- :func:`assert_identity_preserved` — the outputs keep the identity / voice of their reference;
- :func:`assert_no_regression` — nothing regressed against a stored baseline (the rules of ``emoeval gate``).

A threshold check passes when the interval's **lower** bound reaches ``at_least``, fails when its **upper** bound
stays below it, and otherwise fails saying the sample is too small to decide (the interval straddles the
threshold) — so a rerun that moves the point value across the threshold cannot flip the verdict, and "too few
samples" is never reported as "good enough". Every message prints the value, the interval and n.

>>> from emoeval.results import Results, results_frame
>>> row = {"system": "gan", "scope": "system", "statistic": "mean", "metric": "face_identity_similarity"}
>>> table = results_frame([{**row, "sub_metric": "cosine", "value": 0.93, "ci_low": 0.91, "ci_high": 0.95, "n": 40}])
>>> assert_identity_preserved(Results(table=table, run={}), at_least=0.9)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emoeval.stats.proportion import wilson_interval

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.gate.result import GateResult
    from emoeval.results import Results

#: metrics (by name, before any ``(params)``) whose ``correct`` output is an emotion accuracy
EMOTION_ACCURACY_METRICS = ("face_emotion_accuracy", "speech_emotion_accuracy", "text_emotion_accuracy")
#: metrics whose ``cosine`` output measures identity (face) or voice (speaker) preservation
IDENTITY_METRICS = ("face_identity_similarity", "speaker_similarity")


@dataclass(frozen=True)
class Check:
    """One threshold decision: where (metric, system, emotion), the value, its interval, n and the verdict."""

    metric: str
    system: str
    target_emotion: str | None
    value: float
    ci_low: float
    ci_high: float
    n: int
    at_least: float
    verdict: str  # "pass", "below" or "undecided"

    def line(self) -> str:
        where = f"{self.metric} {self.system}" + (f" [{self.target_emotion}]" if self.target_emotion else "")
        interval = f"[{self.ci_low:.3f}, {self.ci_high:.3f}]"
        if self.verdict == "below":
            why = f"below {self.at_least:g}: the whole interval {interval} lies under it"
        elif self.verdict == "undecided":
            if math.isnan(self.ci_low) or math.isnan(self.ci_high):
                why = f"no interval to decide with (score with n_bootstrap > 0); value {self.value:.3f}"
            else:
                why = f"too few samples to decide: the interval {interval} straddles {self.at_least:g}"
        else:
            why = f"at least {self.at_least:g}: the interval {interval} lies above it"
        return f"{where}: {self.value:.3f} {interval}, n = {self.n} — {why}"


def _base_name(label: str) -> str:
    return str(label).split("(", 1)[0]


def _table(results: Results | pd.DataFrame) -> pd.DataFrame:
    return results if hasattr(results, "columns") else results.table  # type: ignore[union-attr,return-value]


def _pick_metric(table: pd.DataFrame, metric: str | None, candidates: Sequence[str], what: str) -> str:
    labels = sorted({str(label) for label in table["metric"].dropna().unique()})
    if metric is not None:
        if metric not in labels:
            raise AssertionError(f"{what}: metric {metric!r} is not in the results (metrics: {', '.join(labels)})")
        return metric
    found = [label for label in labels if _base_name(label) in candidates]
    if len(found) != 1:
        listing = ", ".join(found) if found else "none of " + ", ".join(candidates)
        raise AssertionError(f"{what}: name the metric with metric=... (found {listing}; metrics: {', '.join(labels)})")
    return found[0]


def _checks(
    table: pd.DataFrame,
    metric: str,
    sub_metric: str,
    at_least: float,
    *,
    per_emotion_output: str | None,
    binary: bool = False,
    confidence: float = 0.95,
) -> list[Check]:
    import pandas as pd

    system_rows = table[(table["scope"] == "system") & (table["metric"] == metric)]
    wanted = system_rows[(system_rows["sub_metric"] == sub_metric) & system_rows["target_emotion"].isna()]
    if per_emotion_output is not None:
        per_emotion = system_rows[
            (system_rows["sub_metric"] == per_emotion_output) & system_rows["target_emotion"].notna()
        ]
        wanted = pd.concat([wanted, per_emotion])
    if wanted.empty:
        raise AssertionError(f"{metric}: no system value of {sub_metric!r} in the results (was it scored?)")
    checks = []
    for row in wanted.itertuples():
        low, high = float(row.ci_low), float(row.ci_high)
        n = 0 if pd.isna(row.n) else int(row.n)
        if binary and n > 0 and row.sub_metric == sub_metric:
            # a share of 0/1 outcomes: the table's bootstrap interval collapses when all agree; take Wilson's too
            wilson_low, wilson_high = wilson_interval(round(float(row.value) * n), n, confidence=confidence)
            low = wilson_low if math.isnan(low) else min(low, wilson_low)
            high = wilson_high if math.isnan(high) else max(high, wilson_high)
        if not (math.isnan(low) or math.isnan(high)) and low >= at_least:
            verdict = "pass"
        elif not math.isnan(high) and high < at_least:
            verdict = "below"
        else:
            verdict = "undecided"
        emotion = None if pd.isna(row.target_emotion) else str(row.target_emotion)
        checks.append(Check(metric, str(row.system), emotion, float(row.value), low, high, n, at_least, verdict))
    return checks


def _assert(checks: list[Check], what: str) -> None:
    failed = [check for check in checks if check.verdict != "pass"]
    if failed:
        lines = "\n".join("  " + check.line() for check in failed)
        raise AssertionError(f"{what}: {len(failed)} of {len(checks)} check(s) failed\n{lines}")


def assert_emotion_accuracy(
    results: Results | pd.DataFrame,
    at_least: float = 0.8,
    *,
    per_emotion: bool = True,
    metric: str | None = None,
    systems: Sequence[str] | None = None,
) -> None:
    """Every system's emotion accuracy (the ``correct`` mean) is at least ``at_least`` — and, with
    ``per_emotion``, so is its recall of every target emotion — judged on the confidence interval.

    Accuracy is a share of 0/1 outcomes, so its interval is the wider of the results' bootstrap interval and
    Wilson's score interval (:func:`wilson_interval`; per-emotion recall already has Wilson's): four correct
    replies out of four do not show 80 % accuracy.

    ``metric``: the results label of the emotion-accuracy metric (default: the one ``*_emotion_accuracy`` in the
    results). ``systems``: only these systems. Raises AssertionError listing each failed check with its value,
    interval and n, saying whether the value is below the threshold or the sample too small to decide.
    """
    table = _table(results)
    label = _pick_metric(table, metric, EMOTION_ACCURACY_METRICS, "assert_emotion_accuracy")
    if systems is not None:
        table = table[table["system"].isin(list(systems))]
    run = getattr(results, "run", None) or {}
    confidence = float(run.get("config", {}).get("bootstrap", {}).get("confidence", 0.95))
    checks = _checks(
        table,
        label,
        "correct",
        at_least,
        per_emotion_output="recall" if per_emotion else None,
        binary=True,
        confidence=confidence,
    )
    _assert(checks, f"emotion accuracy ≥ {at_least:g}")


def assert_identity_preserved(
    results: Results | pd.DataFrame,
    *,
    at_least: float,
    metric: str | None = None,
    sub_metric: str = "cosine",
    systems: Sequence[str] | None = None,
) -> None:
    """Every system's mean identity similarity to its references (face identity or speaker cosine by default)
    is at least ``at_least``, judged on the confidence interval (see the module docstring).

    ``at_least`` depends on the embedder (dlib same-person face photos ≈ 0.95–0.99, different people ≈ 0.8–0.9;
    see each metric's card), so it has no default.
    """
    table = _table(results)
    label = _pick_metric(table, metric, IDENTITY_METRICS, "assert_identity_preserved")
    if systems is not None:
        table = table[table["system"].isin(list(systems))]
    _assert(
        _checks(table, label, sub_metric, at_least, per_emotion_output=None), f"identity {sub_metric} ≥ {at_least:g}"
    )


def assert_no_regression(results: Any, baseline: Any, *, policy: Any = None, systems: Any = None) -> GateResult:
    """No gated output regressed against ``baseline`` (and no other policy condition fails), by the rules of
    ``emoeval gate`` (:func:`emoeval.gate.run_gate`). Returns the gate result; raises AssertionError with the
    verdict table of the outputs that failed, otherwise."""
    from emoeval.gate import run_gate

    result = run_gate(results, baseline, policy=policy, systems=systems)
    if not result.passed:
        raise AssertionError(gate_failure_text(result))
    return result


def gate_failure_text(result: GateResult) -> str:
    """The readable failure of a gate: each reason, then the verdicts (interval, margin, n) of the outputs that
    did not pass."""
    lines = ["emoeval gate failed:", *(f"  - {failure}" for failure in result.failures)]
    shown = [v for v in result.verdicts if v.verdict == "regressed"] or [
        v for v in result.verdicts if v.verdict == "inconclusive"
    ]
    for verdict in shown:
        where = f"{verdict.metric}/{verdict.sub_metric} {verdict.system}"
        where += f" [{verdict.target_emotion}]" if verdict.target_emotion else ""
        lines.append(
            f"  {verdict.verdict:<12} {where}: difference {verdict.difference:+.4g} "
            f"[{verdict.ci_low:+.4g}, {verdict.ci_high:+.4g}], margin {verdict.margin:.4g}, n = {verdict.n_pairs}"
            + (f"; worst: {', '.join(verdict.worst_samples)}" if verdict.worst_samples else "")
            + (f"; mde {verdict.mde:.3g}, {verdict.n_needed} samples would decide" if verdict.mde is not None else "")
        )
    return "\n".join(lines)


__all__ = [
    "Check",
    "assert_emotion_accuracy",
    "assert_identity_preserved",
    "assert_no_regression",
    "gate_failure_text",
    "wilson_interval",
]
