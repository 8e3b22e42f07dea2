"""Leaderboard data: columns, values and intervals straight from the system rows; the best system marked only
when it is significantly better (checked against a brute-force sign-flip test and interval overlap by hand)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from emoeval.reports.leaderboard import build_leaderboards
from emoeval.reports.significance import interval_significance, pairwise_matrix
from emoeval.results import results_frame


def sample_rows(metric, sub, system_values, *, higher=True, groups=None):
    rows = []
    for system, values in system_values.items():
        for index, value in enumerate(values):
            group = groups[index] if groups else f"g{index}"
            rows.append(
                dict(
                    system=system,
                    scope="sample",
                    statistic="value",
                    sample_id=f"{system}/{group}",
                    group=group,
                    target_emotion="happy",
                    metric=metric,
                    sub_metric=sub,
                    value=value,
                    n=1,
                    higher_is_better=higher,
                )
            )
    return rows


def mean_rows(metric, sub, system_values, *, higher=True, statistic="mean"):
    return [
        dict(
            system=system,
            scope="system",
            statistic=statistic,
            metric=metric,
            sub_metric=sub,
            value=float(np.mean(values)),
            ci_low=float(np.min(values)),
            ci_high=float(np.max(values)),
            n=len(values),
            higher_is_better=higher,
        )
        for system, values in system_values.items()
    ]


def brute_force_sign_flip(differences):
    observed = abs(sum(differences))
    hits = total = 0
    for signs in itertools.product((1, -1), repeat=len(differences)):
        total += 1
        hits += abs(sum(s * d for s, d in zip(signs, differences, strict=True))) >= observed - 1e-12
    return hits / total


def lookup(modality="other"):
    return lambda metric, fallback: modality


def test_values_intervals_and_best_marked_only_when_significant():
    rng = np.random.default_rng(1)
    base = rng.normal(0.6, 0.05, 12)
    values = {"good": list(base + 0.2), "bad": list(base), "worse": list(base - 0.01 + rng.normal(0, 0.001, 12))}
    table = results_frame(sample_rows("m", "score", values) + mean_rows("m", "score", values))
    (board,) = build_leaderboards(table, modality_lookup=lookup())
    column = board.columns[0]
    assert (column.metric, column.sub_metric, column.higher_is_better, column.statistic) == ("m", "score", True, "mean")
    cells = {row.system: row.cells[0] for row in board.rows}
    for system, numbers in values.items():
        assert cells[system].value == pytest.approx(np.mean(numbers))
        assert cells[system].ci_low == pytest.approx(np.min(numbers))
        assert cells[system].n == 12
    # good beats each other system on all 12 pairs: exact p = 2 / 2**12, Holm over 3 pairs stays far below 0.05
    p_good_bad = brute_force_sign_flip(np.array(values["good"]) - np.array(values["bad"]))
    assert p_good_bad == pytest.approx(2 / 4096)
    assert column.significance.best == "good"
    assert cells["good"].best and not cells["bad"].best
    pair = column.significance.pair("good", "bad")
    assert pair.p_value == pytest.approx(p_good_bad)
    assert pair.diff == pytest.approx(0.2)


def test_no_best_when_the_top_two_cannot_be_separated():
    values = {"a": [0.5, 0.7, 0.6, 0.8, 0.4, 0.6], "b": [0.6, 0.6, 0.7, 0.7, 0.5, 0.5]}
    table = results_frame(sample_rows("m", "s", values) + mean_rows("m", "s", values))
    (board,) = build_leaderboards(table, modality_lookup=lookup())
    verdict = board.columns[0].significance
    differences = np.array(values["a"]) - np.array(values["b"])
    assert verdict.pairs[0].p_value == pytest.approx(brute_force_sign_flip(differences))
    assert verdict.pairs[0].p_value > 0.05
    assert verdict.best is None
    assert not any(cell.best for row in board.rows for cell in row.cells)


def test_lower_is_better_direction_picks_the_smallest():
    values = {"low": [0.1 + 0.01 * i for i in range(10)], "high": [0.5 + 0.01 * i for i in range(10)]}
    table = results_frame(sample_rows("dist", "d", values, higher=False) + mean_rows("dist", "d", values, higher=False))
    (board,) = build_leaderboards(table, modality_lookup=lookup())
    assert board.columns[0].higher_is_better is False
    assert board.columns[0].significance.best == "low"
    assert board.columns[0].significance.ranking == ("low", "high")


def test_corpus_columns_use_interval_overlap():
    rows = [
        dict(
            system="a",
            scope="system",
            statistic="corpus",
            metric="fid",
            sub_metric="fid",
            value=10.0,
            ci_low=8.0,
            ci_high=12.0,
            n=50,
            higher_is_better=False,
            warning="small sample",
        ),
        dict(
            system="b",
            scope="system",
            statistic="corpus",
            metric="fid",
            sub_metric="fid",
            value=20.0,
            ci_low=15.0,
            ci_high=25.0,
            n=50,
            higher_is_better=False,
        ),
        dict(
            system="a",
            scope="system",
            statistic="corpus",
            metric="div",
            sub_metric="d1",
            value=0.5,
            ci_low=0.4,
            ci_high=0.6,
            n=50,
            higher_is_better=True,
        ),
        dict(
            system="b",
            scope="system",
            statistic="corpus",
            metric="div",
            sub_metric="d1",
            value=0.55,
            ci_low=0.45,
            ci_high=0.65,
            n=50,
            higher_is_better=True,
        ),
    ]
    (board,) = build_leaderboards(results_frame(rows), modality_lookup=lookup())
    fid, div = board.columns
    assert fid.statistic == "corpus" and fid.significance.best == "a"  # [8, 12] lies below [15, 25]
    assert div.significance.best is None  # [0.45, 0.65] overlaps [0.4, 0.6]
    cell = next(row for row in board.rows if row.system == "a").cells[0]
    assert cell.warning == "small sample" and cell.best


def test_interval_rule_by_hand():
    estimates = {"x": (1.0, 0.9, 1.1), "y": (0.7, 0.6, 0.89), "z": (0.2, 0.1, 0.3)}
    assert interval_significance("m", "s", estimates, True).best == "x"
    estimates["y"] = (0.8, 0.7, 0.95)
    assert interval_significance("m", "s", estimates, True).best is None
    assert interval_significance("m", "s", {"x": (1.0, math.nan, math.nan), "y": (0.1, 0.0, 0.2)}, True).best is None
    assert interval_significance("m", "s", estimates, None).best is None


def test_tables_split_by_modality_and_skip_emotion_and_count_rows():
    rows = mean_rows("face_m", "a", {"f1": [0.1, 0.2], "f2": [0.3, 0.4]})
    rows += mean_rows("speech_m", "b", {"s1": [0.5, 0.6]})
    rows.append(
        dict(
            system="f1",
            scope="system",
            statistic="value",
            metric="face_m",
            sub_metric="recall",
            target_emotion="happy",
            value=0.5,
            n=2,
            higher_is_better=True,
        )
    )
    rows.append(
        dict(
            system="f1",
            scope="system",
            statistic="count",
            metric="face_m",
            sub_metric="confusion",
            target_emotion="happy",
            label="sad",
            value=1.0,
            n=2,
        )
    )
    modality = {"face_m": "face", "speech_m": "speech"}
    boards = build_leaderboards(results_frame(rows), modality_lookup=lambda metric, fallback: modality[metric])
    assert [board.modality for board in boards] == ["face", "speech"]
    assert [column.key for column in boards[0].columns] == ["face_m/a"]
    assert [row.system for row in boards[0].rows] == ["f1", "f2"]
    assert [row.system for row in boards[1].rows] == ["s1"]


def test_pairwise_matrix_reads_row_minus_column():
    values = {"a": [0.9] * 3 + [0.8] * 9, "b": [0.5] * 12, "c": [0.52] * 12}
    table = results_frame(sample_rows("m", "s", values) + mean_rows("m", "s", values))
    (board,) = build_leaderboards(table, modality_lookup=lookup())
    verdict = board.columns[0].significance
    matrix = pairwise_matrix(verdict.ranking, verdict.pairs)
    index = {system: i for i, system in enumerate(verdict.ranking)}
    cell = matrix[index["b"]][index["a"]]
    assert cell.diff == pytest.approx(np.mean(values["b"]) - np.mean(values["a"]))
    assert cell.row_better is False
    assert matrix[index["a"]][index["b"]].row_better is True
    assert matrix[index["a"]][index["a"]] is None
