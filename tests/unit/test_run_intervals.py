"""Intervals as a run writes them: ``n_bootstrap=0`` means no interval, and every interval stays in its
output's declared range — for every bounded output of every registered metric (issue 13, items 11 and 14)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main
from emoeval.metric import CorpusMetric, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.registry import get_metric_class, metric_names
from emoeval.stats.aggregate import jackknife_corpus

SHORT = [
    "I am so happy for you",
    "that sounds really hard",
    "tell me more about it",
    "oh no that is awful",
    "what a lovely surprise",
    "I hear you and I understand",
    "how did that make you feel",
    "you deserve a break today",
    "that must have been scary",
    "congratulations on the new job",
    "I would be upset too",
    "let us talk it through",
]
#: one long, repetitive response: it dominates every pooled n-gram count of its system
HUGE = " ".join(["the cat sat on the mat"] * 300)


def _frame() -> pd.DataFrame:
    """Two text systems: ``even`` (twelve short responses) and ``dominated`` (eleven short ones and HUGE)."""
    rows = []
    for system, texts in (("even", SHORT), ("dominated", [*SHORT[:11], HUGE])):
        for i, text in enumerate(texts):
            rows.append(
                {
                    "sample_id": f"{system}/{i}",
                    "system": system,
                    "modality": "text",
                    "text": text,
                    "reference": SHORT[(i + 1) % len(SHORT)],
                    "group": f"prompt{i}",
                }
            )
    return pd.DataFrame(rows)


def _system_rows(results: emoeval.Results) -> pd.DataFrame:
    table = results.table
    return table[table["scope"] == "system"]


# -- item 11: n_bootstrap=0 --------------------------------------------------------------------------------------


class LongReplyShare(SampleMetric):
    """Test metric: 1 for a reply longer than five words; per system the share with a Wilson interval."""

    spec = MetricSpec(
        name="test_long_reply",
        modality="text",
        scope="sample",
        outputs=(
            Output("long", higher_is_better=True, range=(0.0, 1.0)),
            Output("long_share", higher_is_better=True, range=(0.0, 1.0), scope="system"),
        ),
        version="0",
    )

    def score(self, samples: Sequence[Any], context: Any) -> list[SampleScore]:
        return [SampleScore(values={"long": float(len(s.text.split()) > 5)}) for s in samples]

    def summarize(self, rows: pd.DataFrame, bootstrap: Any) -> list[SystemValue]:
        from statsmodels.stats.proportion import proportion_confint

        values = rows.loc[rows["sub_metric"] == "long", "value"]
        hits, n = int(values.sum()), len(values)
        low, high = proportion_confint(hits, n, alpha=1 - bootstrap.confidence, method="wilson")
        return [SystemValue("long_share", hits / n, float(low), float(high), n=n)]


NO_INTERVAL_METRICS = ["text_overlap", "text_distinct_n", "text_self_bleu", "text_repetition"]


def test_a_run_with_no_resamples_has_no_intervals_and_the_same_values():
    # Before the fix the per-sample means crashed in scipy ("n_resamples must be positive") as soon as a system
    # had two distinct values.
    frame = _frame()
    none = emoeval.score(frame, metrics=[*NO_INTERVAL_METRICS, LongReplyShare()], n_bootstrap=0, progress=False)
    some = emoeval.score(frame, metrics=[*NO_INTERVAL_METRICS, LongReplyShare()], n_bootstrap=50, progress=False)
    rows, with_ci = _system_rows(none), _system_rows(some)
    assert set(rows["metric"]) == {*NO_INTERVAL_METRICS, "test_long_reply"}
    assert rows["ci_low"].isna().all() and rows["ci_high"].isna().all()  # the jackknife and Wilson's too
    assert rows["value"].tolist() == pytest.approx(with_ci["value"].tolist(), nan_ok=True)
    assert with_ci["ci_low"].notna().sum() > len(with_ci) / 2  # the same run with resamples has intervals
    # The Wilson interval of the run with resamples is statsmodels' own.
    from statsmodels.stats.proportion import proportion_confint

    share = with_ci[(with_ci["sub_metric"] == "long_share") & (with_ci["system"] == "even")].iloc[0]
    low, high = proportion_confint(round(share.value * 12), 12, alpha=0.05, method="wilson")
    assert (share.ci_low, share.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert none.run["config"]["bootstrap"]["n_resamples"] == 0


def test_cli_score_with_n_bootstrap_0_completes_without_intervals(tmp_path):
    manifest = tmp_path / "manifest.csv"
    _frame().to_csv(manifest, index=False)
    out = tmp_path / "out"
    command = ["score", str(manifest), "--out", str(out), "--metrics", ",".join(NO_INTERVAL_METRICS)]
    result = CliRunner().invoke(main, [*command, "--n-bootstrap", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(out / "results.parquet").query("scope == 'system'")
    assert len(rows) == 2 * (3 + 3 + 1 + 2)  # two systems × the outputs of the four metrics
    assert rows["ci_low"].isna().all() and rows["ci_high"].isna().all()
    assert rows.loc[rows["sub_metric"] == "distinct_1", "value"].notna().all()


# -- item 14: every interval within its output's range -----------------------------------------------------------


@dataclasses.dataclass(eq=False)
class _State:
    weight: float  # words in the response
    x: float  # 1 for a short response, 0 for the dominating long one


def _adversarial_value(p: float, bounds: tuple[float, float]) -> float:
    """A value at the range's edge that resampling moves away from it: p = 1 maps to the upper bound of a
    finite range, to the single finite bound of a half-open one."""
    low, high = bounds
    if math.isfinite(low) and math.isfinite(high):
        return low + (high - low) * p
    if math.isfinite(low):
        return low + 3.0 * (1.0 - p)
    if math.isfinite(high):
        return high - 3.0 * (1.0 - p)
    return p


class _AdversarialCorpus(CorpusMetric):
    """Stand-in for a registered corpus metric: its spec's outputs, interval kind and resample cap, with a value
    p = (share of distinct states) × (pooled share of short-response words). p = 1 for twelve distinct short
    responses, less on every resample (duplicates), so re-centred and basic bootstrap intervals are pushed past
    the bound; one long response makes p ≈ 0 and dominates every leave-one-out value of a jackknife."""

    def states(self, samples: Sequence[Any], context: Any) -> list[Any]:
        return [_State(float(len(s.text.split())), 0.0 if len(s.text) > 500 else 1.0) for s in samples]

    def compute(self, states: Sequence[Any], *, emotion: str | None = None) -> dict[str, float]:
        distinct = len({id(state) for state in states}) / len(states)
        pooled = sum(s.weight * s.x for s in states) / sum(s.weight for s in states)
        return {output.name: _adversarial_value(distinct * pooled, output.range) for output in self.spec.outputs}


class _AdversarialSample(SampleMetric):
    """Stand-in for a registered sample metric: sample values on the range's bounds, and system values whose
    own intervals reach past both bounds (the runner must keep them in range)."""

    def score(self, samples: Sequence[Any], context: Any) -> list[SampleScore]:
        scores = []
        for index, _ in enumerate(samples):
            values = {}
            for output in self.spec.outputs:
                if output.scope == "sample":
                    low, high = output.range
                    edge = low if index % 2 else high
                    values[output.name] = edge if math.isfinite(edge) else (low + 1.0 if math.isfinite(low) else 0.0)
            scores.append(SampleScore(values=values))
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: Any) -> list[SystemValue]:
        values = []
        for output in self.spec.outputs:
            if output.scope != "system":
                continue
            low, high = output.range
            inside = low if math.isfinite(low) else (high if math.isfinite(high) else 0.0)
            width = high - low if math.isfinite(high - low) else 1.0
            values.append(SystemValue(output.name, inside, inside - 2.0 * width, inside + 2.0 * width, n=len(rows)))
        return values


def _stand_in(name: str) -> CorpusMetric | SampleMetric:
    registered = get_metric_class(name)
    spec = dataclasses.replace(registered.spec, modality="text", needs=frozenset(), models=())
    if spec.scope == "corpus":
        attributes = {"spec": spec, "interval": registered.interval, "max_resamples": registered.max_resamples}
        return type(f"StandIn_{name}", (_AdversarialCorpus,), attributes)()
    return type(f"StandIn_{name}", (_AdversarialSample,), {"spec": spec})()


def _bounded(output: Output) -> bool:
    return math.isfinite(output.range[0]) or math.isfinite(output.range[1])


def _assert_in_range(rows: pd.DataFrame, spec_of: dict[str, MetricSpec]) -> int:
    """Every finite interval of ``rows`` lies within its output's range; returns how many were checked."""
    checked = 0
    for row in rows.itertuples():
        if not (math.isfinite(row.ci_low) and math.isfinite(row.ci_high)):
            continue
        low, high = spec_of[row.metric].output(row.sub_metric).range
        assert low <= row.ci_low <= row.ci_high <= high, (
            row.metric,
            row.sub_metric,
            row.system,
            row.ci_low,
            row.ci_high,
        )
        checked += 1
    return checked


def test_every_bounded_output_of_every_registered_metric_keeps_its_interval_in_range():
    names = metric_names()
    specs = {name: get_metric_class(name).spec for name in names}
    results = emoeval.score(_frame(), metrics=[_stand_in(name) for name in names], n_bootstrap=200, progress=False)
    rows = _system_rows(results)
    assert rows["error"].isna().all(), rows["error"].dropna().tolist()[:3]
    _assert_in_range(rows, specs)
    # Every bounded output of every registered metric was checked, with a finite interval, in both systems.
    checked = rows[rows["ci_low"].notna() & rows["ci_high"].notna()]
    expected = {
        (name, output.name, system)
        for name, spec in specs.items()
        for output in spec.outputs
        if _bounded(output)
        for system in ("even", "dominated")
    }
    assert expected <= set(zip(checked["metric"], checked["sub_metric"], checked["system"], strict=True))
    # The stand-ins do push raw intervals past the bounds: the re-centred FID interval of twelve distinct
    # responses would start above 0 only if clipped, so at least one interval sits on its bound.
    on_bound = [
        row
        for row in checked.itertuples()
        if row.ci_low == specs[row.metric].output(row.sub_metric).range[0]
        or row.ci_high == specs[row.metric].output(row.sub_metric).range[1]
    ]
    assert {row.metric for row in on_bound} >= {"face_fd", "text_self_bleu", "text_distinct_n"}


def test_real_diversity_metrics_keep_their_intervals_in_range_with_one_dominating_response():
    metrics = ["text_distinct_n", "text_repetition", "text_self_bleu", "text_ngram_entropy"]
    results = emoeval.score(_frame(), metrics=metrics, n_bootstrap=100, progress=False)
    rows = _system_rows(results)
    assert _assert_in_range(rows, {name: get_metric_class(name).spec for name in metrics}) >= 14
    distinct = rows[(rows["metric"] == "text_distinct_n") & (rows["system"] == "dominated")].set_index("sub_metric")
    # The plain leave-one-out jackknife of the same states leaves [0, 1] on both sides (issue 13: [-2.1, 2.1]).
    metric = get_metric_class("text_distinct_n")()
    states = [metric.states([s], None)[0] for s in emoeval.load_samples(_frame()) if s.system == "dominated"]
    plain = jackknife_corpus(states, metric.compute)["distinct_1"]
    assert plain.value == pytest.approx(distinct.loc["distinct_1", "value"])
    assert plain.ci_low < 0.0 and plain.ci_high > 1.0
    assert 0.0 <= distinct.loc["distinct_1", "ci_low"] < distinct.loc["distinct_1", "ci_high"] <= 1.0
    assert np.isfinite(distinct["ci_low"]).all()
