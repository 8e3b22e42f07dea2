"""Per-emotion tables and confusion matrices: values against numpy / scipy / pandas computed independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.reports.breakdown import SAMPLE_MEANS, SYSTEM_ROWS, confusion_matrices, emotion_tables
from emoeval.results import results_frame

EMOTIONS = ["sad", "happy", "angry"]  # given out of canonical order on purpose


def recognizer_rows(seed=0):
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for system in ("s1", "s2"):
        for index in range(30):
            emotion = EMOTIONS[index % 3]
            predicted = emotion if rng.random() < 0.6 else EMOTIONS[int(rng.integers(3))]
            truth.append((system, emotion, predicted))
            rows.append(
                dict(
                    system=system,
                    scope="sample",
                    statistic="value",
                    sample_id=f"{system}/{index}",
                    group=str(index),
                    target_emotion=emotion,
                    metric="rec",
                    sub_metric="correct",
                    value=float(predicted == emotion),
                    label=predicted,
                    n=1,
                    higher_is_better=True,
                )
            )
    frame = pd.DataFrame(truth, columns=["system", "true", "predicted"])
    for system, own in frame.groupby("system"):
        for emotion in EMOTIONS:
            of_class = own[own["true"] == emotion]
            rows.append(
                dict(
                    system=system,
                    scope="system",
                    statistic="value",
                    metric="rec",
                    sub_metric="recall",
                    target_emotion=emotion,
                    value=float((of_class["predicted"] == emotion).mean()),
                    ci_low=0.1,
                    ci_high=0.9,
                    n=len(of_class),
                    higher_is_better=True,
                )
            )
            for label in EMOTIONS:
                rows.append(
                    dict(
                        system=system,
                        scope="system",
                        statistic="count",
                        metric="rec",
                        sub_metric="confusion",
                        target_emotion=emotion,
                        label=label,
                        value=float((of_class["predicted"] == label).sum()),
                        n=len(of_class),
                    )
                )
    return rows, frame


def test_confusion_matrices_equal_a_crosstab_of_the_labels():
    rows, frame = recognizer_rows()
    matrices = confusion_matrices(results_frame(rows))
    assert [m.system for m in matrices] == ["s1", "s2"]
    for matrix in matrices:
        assert matrix.true_labels == ("happy", "sad", "angry")  # canonical vocabulary order
        own = frame[frame["system"] == matrix.system]
        expected = pd.crosstab(own["true"], own["predicted"]).reindex(
            index=list(matrix.true_labels), columns=list(matrix.predicted_labels), fill_value=0
        )
        np.testing.assert_array_equal(np.array(matrix.counts), expected.to_numpy())
        assert matrix.total == len(own)
        assert matrix.accuracy == pytest.approx((own["true"] == own["predicted"]).mean())
        shares = np.array(matrix.row_shares)
        np.testing.assert_allclose(shares, expected.div(expected.sum(axis=1), axis=0).to_numpy())


def test_metric_own_per_emotion_rows_are_used_as_they_are():
    rows, frame = recognizer_rows()
    tables = emotion_tables(results_frame(rows))
    (table,) = tables  # the metric wrote recall rows: no second table from its sample means
    assert (table.metric, table.sub_metric, table.source) == ("rec", "recall", SYSTEM_ROWS)
    assert table.emotions == ("happy", "sad", "angry")
    for i, system in enumerate(table.systems):
        own = frame[frame["system"] == system]
        for j, emotion in enumerate(table.emotions):
            of_class = own[own["true"] == emotion]
            assert table.cells[i][j].value == pytest.approx((of_class["predicted"] == emotion).mean())
            assert table.cells[i][j].n == len(of_class)


def test_sample_means_per_emotion_with_bootstrap_intervals():
    rng = np.random.default_rng(3)
    rows = []
    for system in ("a", "b"):
        for index in range(24):
            rows.append(
                dict(
                    system=system,
                    scope="sample",
                    statistic="value",
                    sample_id=f"{system}/{index}",
                    target_emotion=EMOTIONS[index % 3],
                    metric="sim",
                    sub_metric="cosine",
                    value=float(rng.normal(0.7, 0.1)),
                    n=1,
                    higher_is_better=True,
                )
            )
    table = results_frame(rows)
    (result,) = emotion_tables(table, confidence=0.9, n_resamples=999, seed=5)
    assert result.source == SAMPLE_MEANS and result.higher_is_better is True
    frame = pd.DataFrame(rows)
    for i, system in enumerate(result.systems):
        for j, emotion in enumerate(result.emotions):
            values = frame[(frame.system == system) & (frame.target_emotion == emotion)].value.to_numpy()
            cell = result.cells[i][j]
            assert cell.value == pytest.approx(values.mean())
            reference = stats.bootstrap(
                (values,),
                np.mean,
                confidence_level=0.9,
                n_resamples=999,
                method="percentile",
                rng=np.random.default_rng(5),
            ).confidence_interval
            assert (cell.ci_low, cell.ci_high) == pytest.approx((reference.low, reference.high))
    assert result.value_range == pytest.approx(
        (
            frame.groupby(["system", "target_emotion"]).value.mean().min(),
            frame.groupby(["system", "target_emotion"]).value.mean().max(),
        )
    )


def test_a_run_scored_without_intervals_gets_none_in_its_report():
    from emoeval.reports.assemble import _bootstrap
    from emoeval.results import Results

    rows = [
        dict(system="a", scope="sample", statistic="value", sample_id=f"a/{i}", target_emotion=EMOTIONS[i % 2],
             metric="sim", sub_metric="cosine", value=0.1 * i, n=1, higher_is_better=True)
        for i in range(8)
    ]  # fmt: skip
    run = {"config": {"bootstrap": {"n_resamples": 0, "confidence": 0.95, "seed": 0}}}
    confidence, n_resamples, seed = _bootstrap(Results(table=results_frame(rows), run=run))
    assert n_resamples == 0  # --n-bootstrap 0 asked for no interval; the report must not invent 2000 resamples
    (result,) = emotion_tables(results_frame(rows), confidence=confidence, n_resamples=n_resamples, seed=seed)
    assert all(np.isnan(cell.ci_low) and np.isnan(cell.ci_high) for row in result.cells for cell in row)


def test_a_single_emotion_gives_no_table():
    rows = [
        dict(
            system="a",
            scope="sample",
            statistic="value",
            sample_id=f"a/{i}",
            target_emotion="happy",
            metric="m",
            sub_metric="s",
            value=float(i),
            n=1,
            higher_is_better=True,
        )
        for i in range(5)
    ]
    assert emotion_tables(results_frame(rows)) == []
