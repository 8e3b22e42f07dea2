"""Distribution summaries against numpy, Tukey whiskers by brute force; corpus summaries from the rows."""

from __future__ import annotations

import numpy as np
import pytest

from emoeval.reports.distributions import corpus_summaries, sample_distributions, spread_points, summarize_values
from emoeval.results import results_frame


def test_box_plot_numbers_match_numpy():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 1, 200), [8.0, -9.0]])  # two outliers
    summary = summarize_values("s", values)
    assert summary.n == 202
    assert summary.mean == pytest.approx(values.mean())
    assert summary.sd == pytest.approx(values.std(ddof=1))
    assert (summary.q1, summary.median, summary.q3) == pytest.approx(tuple(np.percentile(values, [25, 50, 75])))
    iqr = summary.q3 - summary.q1
    inside = [v for v in values if summary.q1 - 1.5 * iqr <= v <= summary.q3 + 1.5 * iqr]
    assert summary.whisker_low == min(inside) and summary.whisker_high == max(inside)
    assert (summary.minimum, summary.maximum) == (-9.0, 8.0)
    assert len(summary.points) == 150  # above the limit: values at evenly spaced ranks
    assert summary.points[0] == -9.0 and summary.points[-1] == 8.0


def test_spread_points_keeps_the_quantiles():
    values = np.random.default_rng(0).exponential(size=5000)
    points = spread_points(values, 101)
    assert len(points) == 101
    np.testing.assert_allclose(points, np.quantile(values, np.linspace(0, 1, 101), method="nearest"), atol=0.02)
    assert spread_points(np.array([3.0, 1.0, 2.0]), 10).tolist() == [1.0, 2.0, 3.0]


def test_sample_distributions_per_output_and_binary_outputs():
    rows = []
    for system, offset in (("b", 0.0), ("a", 0.5)):
        for index in range(10):
            common = dict(
                system=system,
                scope="sample",
                statistic="value",
                sample_id=f"{system}/{index}",
                n=1,
                metric="m",
                higher_is_better=True,
            )
            rows.append({**common, "sub_metric": "score", "value": offset + index / 10})
            rows.append({**common, "sub_metric": "hit", "value": float(index % 2)})
    rows.append(
        dict(
            system="a",
            scope="sample",
            statistic="value",
            sample_id="a/bad",
            metric="m",
            sub_metric="score",
            value=float("nan"),
            error="broken file",
            n=1,
        )
    )
    score, hit = sample_distributions(results_frame(rows))
    assert (score.sub_metric, score.binary, hit.sub_metric, hit.binary) == ("score", False, "hit", True)
    assert [s.system for s in score.systems] == ["a", "b"]
    assert score.systems[0].n == 10  # the error row is left out
    assert score.systems[0].mean == pytest.approx(0.95)
    assert hit.systems[1].mean == pytest.approx(0.5)
    assert score.value_range == (0.0, pytest.approx(1.4))


def test_corpus_summaries_keep_values_intervals_and_group_warnings():
    rows = [
        dict(
            system=system,
            scope="system",
            statistic="corpus",
            metric="fid",
            sub_metric="fid",
            value=value,
            ci_low=value - 1,
            ci_high=value + 1,
            n=20,
            higher_is_better=False,
            warning="few images",
        )
        for system, value in (("z", 30.0), ("y", 20.0))
    ]
    rows.append(
        dict(
            system="z",
            scope="system",
            statistic="corpus",
            metric="fid",
            sub_metric="fid",
            target_emotion="happy",
            value=40.0,
            n=10,
            higher_is_better=False,
        )
    )
    (summary,) = corpus_summaries(results_frame(rows))
    assert [(e.system, e.value, e.ci_low, e.ci_high) for e in summary.estimates] == [
        ("y", 20.0, 19.0, 21.0),
        ("z", 30.0, 29.0, 31.0),
    ]
    assert summary.higher_is_better is False
    assert summary.warnings == (("few images", ("y", "z")),)
