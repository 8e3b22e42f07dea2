"""emoeval.assertions: threshold checks decided on intervals, with the interval and n in every failure."""

from __future__ import annotations

import math

import pytest

from emoeval.assertions import (
    assert_emotion_accuracy,
    assert_identity_preserved,
    assert_no_regression,
    wilson_interval,
)
from emoeval.results import Results, results_frame


def _results(*rows: dict) -> Results:
    base = {"scope": "system", "statistic": "mean", "n": 40}
    return Results(table=results_frame([{**base, **row} for row in rows]), run={})


def _identity(value: float, low: float, high: float, system: str = "gan", n: int = 40) -> dict:
    return {
        "system": system,
        "metric": "face_identity_similarity",
        "sub_metric": "cosine",
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


def test_a_threshold_passes_only_when_the_whole_interval_clears_it():
    assert_identity_preserved(_results(_identity(0.93, 0.91, 0.95)), at_least=0.9)
    with pytest.raises(AssertionError, match=r"below 0\.9: the whole interval \[0\.820, 0\.880\]") as below:
        assert_identity_preserved(_results(_identity(0.85, 0.82, 0.88)), at_least=0.9)
    assert "0.850 [0.820, 0.880], n = 40" in str(below.value)
    # the point value clears the threshold, the interval does not: undecided, not "good enough"
    with pytest.raises(AssertionError, match=r"too few samples to decide: the interval \[0\.870, 0\.960\] straddles"):
        assert_identity_preserved(_results(_identity(0.92, 0.87, 0.96, n=5)), at_least=0.9)
    with pytest.raises(AssertionError, match=r"no interval to decide with \(score with n_bootstrap > 0\)"):
        assert_identity_preserved(_results(_identity(0.99, math.nan, math.nan)), at_least=0.9)


def test_every_system_is_checked_and_named():
    results = _results(_identity(0.97, 0.96, 0.98, "good"), _identity(0.80, 0.75, 0.85, "bad"))
    with pytest.raises(AssertionError, match=r"1 of 2 check\(s\) failed\n  face_identity_similarity bad:"):
        assert_identity_preserved(results, at_least=0.9)
    assert_identity_preserved(results, at_least=0.9, systems=["good"])


def _accuracy(value: float, low: float, high: float, n: int, emotion: str | None = None, sub: str = "correct") -> dict:
    return {
        "system": "gan",
        "metric": "face_emotion_accuracy",
        "sub_metric": sub,
        "statistic": "mean" if sub == "correct" else "value",
        "target_emotion": emotion,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


def test_per_emotion_recall_is_checked_and_the_failing_emotion_named():
    results = _results(
        _accuracy(0.9, 0.86, 0.93, 400),
        _accuracy(0.97, 0.94, 0.99, 200, "happy", "recall"),
        _accuracy(0.70, 0.63, 0.76, 200, "sad", "recall"),
    )
    with pytest.raises(AssertionError, match=r"face_emotion_accuracy gan \[sad\]: 0\.700 \[0\.630, 0\.760\], n = 200"):
        assert_emotion_accuracy(results, at_least=0.8)
    assert_emotion_accuracy(results, at_least=0.8, per_emotion=False)


def test_an_all_correct_small_sample_is_undecided_not_proven():
    # a bootstrap of four correct answers is [1, 1]; Wilson's interval says what four answers can show
    results = _results(_accuracy(1.0, 1.0, 1.0, 4))
    with pytest.raises(AssertionError, match=r"too few samples to decide: the interval \[0\.510, 1\.000\]"):
        assert_emotion_accuracy(results, at_least=0.8, per_emotion=False)
    assert_emotion_accuracy(_results(_accuracy(1.0, 1.0, 1.0, 40)), at_least=0.8, per_emotion=False)


@pytest.mark.parametrize(("k", "n"), [(0, 5), (4, 4), (17, 20), (50, 100), (1, 1000)])
def test_wilson_interval_equals_statsmodels(k, n):
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-12)


def test_an_ambiguous_or_missing_metric_asks_to_name_it():
    two = _results(
        _accuracy(0.9, 0.86, 0.93, 400), {**_accuracy(0.9, 0.86, 0.93, 400), "metric": "text_emotion_accuracy"}
    )
    with pytest.raises(AssertionError, match=r"name the metric with metric=\.\.\. \(found face_emotion_accuracy, text"):
        assert_emotion_accuracy(two)
    assert_emotion_accuracy(two, metric="text_emotion_accuracy", per_emotion=False, at_least=0.8)
    with pytest.raises(AssertionError, match="none of face_identity_similarity, speaker_similarity"):
        assert_identity_preserved(two, at_least=0.5)


def test_assert_no_regression_prints_the_regressed_outputs(tmp_path):
    import emoeval
    from emoeval.samples import Sample

    varied = ["Oh no, I'm so sorry.", "That is wonderful news!", "Why would they do that?", "Take care, friend."] * 3
    generic = ["I don't know."] * len(varied)

    def run(texts: list[str], name: str) -> Results:
        samples = [Sample(f"bot/{i}", "bot", "text", text=text) for i, text in enumerate(texts)]
        return emoeval.score(samples, metrics=["text_distinct_n"], out=tmp_path / name, progress=False)

    baseline = run(varied, "base")
    assert assert_no_regression(run(varied, "rerun"), baseline).passed
    with pytest.raises(AssertionError, match=r"emoeval gate failed:[\s\S]*regressed +text_distinct_n/distinct_1 bot"):
        assert_no_regression(run(generic, "generic"), baseline)
