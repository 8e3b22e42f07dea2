"""Result rows: one row per (system, sample or system statistic, metric, sub-metric), with provenance.

:class:`RowBuilder` writes the rows of one run: a sample's verdict (values, or one error row), the system rows
of a sample metric (mean with a seeded interval per output, and the metric's own system values), and the rows
of a corpus metric (its value on a system's states with the interval its ``interval`` kind names). Every row
carries the metric's label and parameters, whether its output is the metric's headline, the metric version,
the models and the hashes of their weight files, emoeval's version and the run's config hash.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emoeval.errors import stable_message
from emoeval.metric import CorpusMetric, Metric, SampleScore, jsonable_params
from emoeval.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.reference_models.base import ModelPool
    from emoeval.runner.draws import CorpusDraws
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings


@dataclass(frozen=True)
class Provenance:
    """What a metric's rows record about how they were computed."""

    metric_version: str
    params: str
    model: str
    model_sha256: str

    @classmethod
    def of(cls, metric: Metric, pool: ModelPool) -> Provenance:
        """The metric's version and parameters, its models (name@version) and their weights' sha256 — computed
        from the resolved files, without loading a model."""
        from emoeval.errors import WeightError
        from emoeval.registry import get_reference_model_class

        names, hashes = [], []
        for name in metric.models:
            try:
                card, digest = pool.card(name), pool.weights_sha256(name)
            except WeightError:  # a metric with no sample to score needs no weights: its card's recorded hash
                card = get_reference_model_class(name).card
                digest = card.weights_sha256
            names.append(f"{card.name}@{card.version}")
            hashes.append(digest)
        return cls(
            metric_version=metric.spec.version,
            params=json.dumps(jsonable_params(metric.params()), sort_keys=True, ensure_ascii=False),
            model="+".join(names),
            model_sha256="+".join(hashes),
        )


def summary_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One system's sample rows in the shape :meth:`SampleMetric.summarize` reads."""
    import pandas as pd

    columns = ["sample_id", "group", "target_emotion", "sub_metric", "value", "label", "error"]
    return pd.DataFrame([{column: row.get(column) for column in columns} for row in rows], columns=columns)


class RowBuilder:
    """Builds the rows of one run (``run_id``, ``config_hash`` and ``created_at`` go into every row)."""

    def __init__(self, *, run_id: str, config_hash: str, created_at: str, bootstrap: BootstrapSettings) -> None:
        self.run_id = run_id
        self.config_hash = config_hash
        self.created_at = created_at
        self.bootstrap = bootstrap

    def row(self, metric: Metric, provenance: Provenance, **fields: Any) -> dict[str, Any]:
        output_name = fields.get("sub_metric") or metric.spec.headline.name
        row = {
            "run_id": self.run_id,
            "metric": metric.label,
            "sub_metric": output_name,
            "higher_is_better": metric.spec.output(output_name).higher_is_better,
            "headline": output_name == metric.spec.headline.name,
            "metric_version": provenance.metric_version,
            "params": provenance.params,
            "model": provenance.model,
            "model_sha256": provenance.model_sha256,
            "emoeval_version": __version__,
            "config_hash": self.config_hash,
            "created_at": self.created_at,
        }
        row.update(fields)
        for column in ("error", "warning"):  # identical runs must write identical texts
            if isinstance(row.get(column), str):
                row[column] = stable_message(row[column])
        value = row.get("value")
        if isinstance(value, float) and math.isnan(value) and not row.get("error"):
            reason = row.get("warning")  # a corpus metric's notes usually say why (too few items...)
            row["error"] = f"{metric.label} gave no {output_name} value here (undefined, NaN)" + (
                f": {reason}" if isinstance(reason, str) else ""
            )
        return row

    def sample_rows(
        self, metric: Metric, provenance: Provenance, sample: Sample, score: SampleScore
    ) -> list[dict[str, Any]]:
        """A sample's values (one row per output), or one error row."""
        common = {
            "system": sample.system,
            "scope": "sample",
            "statistic": "value",
            "sample_id": sample.sample_id,
            "group": sample.group,
            "target_emotion": sample.target_emotion,
            "n": 1,
        }
        if score.error is not None or not score.values:
            error = score.error or f"{metric.spec.name} returned no value"
            return [
                self.row(
                    metric,
                    provenance,
                    **common,
                    sub_metric=metric.spec.headline.name,
                    value=float("nan"),
                    error=error,
                    warning=score.warning,
                )
            ]
        return [
            self.row(
                metric,
                provenance,
                **common,
                sub_metric=name,
                value=float(value),
                label=score.label if name == metric.spec.headline.name else None,
                warning=score.warning,
            )
            for name, value in score.values.items()
        ]

    def system_rows(
        self, metric: Metric, provenance: Provenance, systems: Sequence[str], sample_rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A sample metric's system rows: the mean of each output with a seeded interval (within the output's
        range), then the metric's own system values (:meth:`SampleMetric.summarize`)."""
        from emoeval.stats.aggregate import mean_with_ci, within_range

        rows: list[dict[str, Any]] = []
        values_of: dict[tuple[str, str], list[float]] = {}
        scored = set()  # systems with at least one scored sample
        for row in sample_rows:
            if not row.get("error"):
                values_of.setdefault((row["system"], row["sub_metric"]), []).append(row["value"])
                scored.add(row["system"])
        produced = {row["sub_metric"] for row in sample_rows}
        outputs = [
            output
            for output in metric.spec.outputs
            # an optional output (e.g. one needing an extra manifest column) that no sample produced: no row
            if output.scope == "sample" and (output.name in produced or output is metric.spec.headline)
        ]
        for system in systems:
            for output in outputs:
                if system in scored and (system, output.name) not in values_of and output is not metric.spec.headline:
                    continue  # an optional output this system's scored samples did not produce (no reference...)
                estimate = mean_with_ci(
                    values_of.get((system, output.name), []),
                    confidence=self.bootstrap.confidence,
                    n_resamples=self.bootstrap.n_resamples,
                    seed=self.bootstrap.seed,
                )
                error = None if estimate.n else "no sample of this system could be scored (see the error rows)"
                ci_low, ci_high = within_range(estimate.ci_low, estimate.ci_high, output.range)
                rows.append(
                    self.row(
                        metric,
                        provenance,
                        system=system,
                        scope="system",
                        statistic="mean",
                        sub_metric=output.name,
                        value=estimate.value,
                        ci_low=ci_low,
                        ci_high=ci_high,
                        n=estimate.n,
                        error=error,
                    )
                )
            own = [row for row in sample_rows if row["system"] == system]
            for value in metric.summarize(summary_frame(own), self.bootstrap):  # type: ignore[attr-defined]
                # Every interval stays in the output's declared range; a run with no resamples has none at all
                # (a metric's own Wilson or similar intervals included).
                ci_low, ci_high = (math.nan, math.nan)
                if self.bootstrap.intervals:
                    ci_low, ci_high = within_range(
                        value.ci_low, value.ci_high, metric.spec.output(value.sub_metric).range
                    )
                rows.append(
                    self.row(
                        metric,
                        provenance,
                        system=system,
                        scope="system",
                        statistic=value.statistic,
                        sub_metric=value.sub_metric,
                        target_emotion=value.target_emotion,
                        label=value.label,
                        value=value.value,
                        ci_low=ci_low,
                        ci_high=ci_high,
                        n=value.n,
                        error=value.error,
                    )
                )
        return rows

    def corpus_rows(
        self,
        metric: CorpusMetric,
        provenance: Provenance,
        system: str,
        emotion: str | None,
        states: list[Any],
        *,
        draws: dict[tuple[str, str | None, str], CorpusDraws] | None = None,
    ) -> list[dict[str, Any]]:
        """A corpus metric's value on one system's (or one of its emotions') states, with its interval; the
        resampled values behind the interval go into ``draws`` by (system, emotion, sub-metric) when given."""
        from emoeval.runner.draws import DrawRecorder
        from emoeval.stats.aggregate import corpus_interval

        common = {"system": system, "scope": "system", "statistic": "corpus", "target_emotion": emotion}
        if not states:
            return [
                self.row(
                    metric,
                    provenance,
                    **common,
                    value=float("nan"),
                    n=0,
                    error="no sample of this system could be used (see the error rows)",
                )
            ]
        compute = DrawRecorder(functools.partial(metric.compute, emotion=emotion))
        # The metric's interval kind (what it covers: emoeval.stats.aggregate.INTERVAL_ESTIMANDS), within each
        # output's declared range; none at all when the run asks for no resamples.
        estimates = corpus_interval(
            states,
            compute,
            interval=metric.interval,
            settings=self.bootstrap,
            bounds={output.name: output.range for output in metric.spec.outputs},
            max_resamples=metric.max_resamples,
        )
        if draws is not None:
            recorded = compute.draws(
                interval=metric.interval,
                n_states=len(states),
                settings=self.bootstrap,
                max_resamples=metric.max_resamples,
            )
            draws.update({(system, emotion, name): found for name, found in recorded.items()})
        warning = "; ".join(metric.corpus_warnings(states, emotion=emotion)) or None
        return [
            self.row(
                metric,
                provenance,
                **common,
                sub_metric=name,
                value=est.value,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                n=est.n,
                warning=warning,
            )
            for name, est in estimates.items()
        ]


__all__ = ["Provenance", "RowBuilder", "summary_frame"]
