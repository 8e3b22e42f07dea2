"""Flakiness: re-score the candidate and measure each gated output's run-to-run spread.

``emoeval gate --repeat K`` (policy ``repeat = K``) scores the candidate's inputs K − 1 more times — the same
samples, the same metrics with the same parameters (from its ``run.json``), the model-output cache off so every
value is computed again, no intervals (they are not compared) — and reports, per gated output and system, the
value in each of the K runs (the given results first), their spread max − min, and the largest spread of one
sample's value. Every built-in metric is deterministic (fixed eval mode, seeded resampling), so any spread
above 0 is reported as non-deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.gate.errors import GateError
from emoeval.gate.result import OutputVerdict, RepeatSpread

if TYPE_CHECKING:
    from emoeval.gate.baseline import Baseline
    from emoeval.metric import Metric


def _metrics_of(run: dict[str, Any], labels: set[str]) -> list[Metric]:
    """The metrics of ``run`` (run.json) whose labels are in ``labels``, rebuilt with their recorded parameters."""
    from emoeval.errors import EmoevalError
    from emoeval.metric_config import build_metric

    built = []
    for record in (run.get("config") or {}).get("metrics") or []:
        label = str(record.get("label", ""))
        if label not in labels:
            continue
        try:
            metric = build_metric(str(record["name"]), defaults=dict(record.get("params") or {}))
        except (EmoevalError, KeyError, TypeError) as exc:
            raise GateError(f"cannot rebuild metric {label!r} from run.json to re-score it: {exc}") from None
        if metric.label != label:
            raise GateError(f"metric {label!r} rebuilt from run.json is labelled {metric.label!r}; cannot re-score it")
        built.append(metric)
    missing = sorted(labels - {metric.label for metric in built})
    if missing:
        raise GateError(f"run.json of the candidate does not record metric(s) {', '.join(missing)}; cannot re-score")
    return built


def _system_values(baseline: Baseline, verdict: OutputVerdict) -> tuple[float, dict[str, float]]:
    """The output's system value (mean over samples, or the corpus value) and its per-sample values."""
    import numpy as np

    from emoeval.gate.run import _rows

    rows = _rows(baseline.samples, metric=verdict.metric, sub_metric=verdict.sub_metric, system=verdict.system)
    rows = rows[~rows["error"].fillna(False).astype(bool)]
    values = {str(s): float(v) for s, v in zip(rows["sample_id"], rows["value"], strict=True) if np.isfinite(v)}
    if values:
        return float(np.mean(list(values.values()))), values
    found = _rows(baseline.system_rows, metric=verdict.metric, sub_metric=verdict.sub_metric, system=verdict.system)
    found = found[found["target_emotion"].isna()]
    return (float(found["value"].iloc[0]) if len(found) else math.nan), {}


def repeat_spread(
    candidate: Baseline,
    run: dict[str, Any],
    verdicts: Sequence[OutputVerdict],
    *,
    runs: int,
    label_set: str | None = None,
) -> list[RepeatSpread]:
    """The spread of each overall verdict's output over ``runs`` runs of the candidate (the given one and
    ``runs − 1`` re-scorings from ``run``, the candidate's run.json)."""
    from emoeval.api import score
    from emoeval.gate.baseline import Baseline
    from emoeval.reference_models.base import ModelPool

    overall = [v for v in verdicts if v.target_emotion is None]
    if runs < 2 or not overall:
        return []
    source = str((run.get("inputs") or {}).get("source", ""))
    if not source or not Path(source).exists():
        raise GateError(
            f"cannot re-score the candidate: its inputs {source or '(not recorded)'} are not a manifest or folder "
            "on this machine (run.json inputs.source)"
        )
    metrics = _metrics_of(run, {v.metric for v in overall})
    pool = ModelPool()  # shared by the re-scorings: each model loads once
    sides = [candidate]
    for _ in range(runs - 1):
        results = score(
            source,
            metrics=metrics,
            label_set=label_set,
            use_cache=False,
            n_bootstrap=0,
            progress=False,
            model_pool=pool,
        )
        sides.append(Baseline.from_results(results, source=f"re-score of {source}"))
    spreads = []
    for verdict in overall:
        values, per_sample = [], []
        for side in sides:
            value, samples = _system_values(side, verdict)
            values.append(value)
            per_sample.append(samples)
        finite = [v for v in values if math.isfinite(v)]
        spread = max(finite) - min(finite) if len(finite) == len(values) else math.inf
        sample_spread = math.nan
        if per_sample[0]:
            ids = set(per_sample[0]).intersection(*per_sample[1:])
            sample_spread = max(
                (max(s[i] for s in per_sample) - min(s[i] for s in per_sample) for i in ids), default=math.nan
            )
        spreads.append(
            RepeatSpread(
                metric=verdict.metric,
                sub_metric=verdict.sub_metric,
                system=verdict.system,
                values=tuple(values),
                spread=spread,
                max_sample_spread=sample_spread,
            )
        )
    return spreads


__all__ = ["repeat_spread"]
