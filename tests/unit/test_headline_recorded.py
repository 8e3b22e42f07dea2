"""Statistics and reports take a metric's headline output and modality from the results (the ``headline`` column,
``run.json``), never from the live registry: old results read the same whichever metrics are installed today."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import emoeval.registry
from emoeval.results import Results, results_frame
from emoeval.stats._result import headline_sub_metric, recorded_headline


@pytest.fixture
def no_registry(monkeypatch):
    """Any registry lookup fails the test: what is checked must come from the table and run.json alone."""

    def refuse(*args, **kwargs):
        pytest.fail(f"the live registry was consulted: {args}")

    for name in ("get_metric_class", "resolve_metric_name", "create_metric", "metric_names"):
        monkeypatch.setattr(emoeval.registry, name, refuse)


def sample_table(metric: str, subs: list[str], headline: str | None, *, n: int = 8, seed: int = 0) -> pd.DataFrame:
    """Two systems scored on the same groups; ``sub_metric`` rows listed in ``subs`` order; ``headline`` marks one
    output (None: a table written before the column existed)."""
    rng = np.random.default_rng(seed)
    rows = []
    for sub in subs:
        for system, offset in (("a", 1.0), ("b", 0.0)):
            for item in range(n):
                rows.append(
                    dict(
                        run_id="r",
                        system=system,
                        scope="sample",
                        statistic="value",
                        sample_id=f"{system}/{item}",
                        group=f"g{item}",
                        target_emotion="happy" if item % 2 else "sad",
                        metric=metric,
                        sub_metric=sub,
                        value=offset + rng.normal(),
                        n=1,
                        higher_is_better=True,
                        headline=None if headline is None else sub == headline,
                    )
                )
    return results_frame(rows)


def system_rows(table: pd.DataFrame) -> pd.DataFrame:
    means = table.groupby(["system", "metric", "sub_metric"], sort=False)["value"].agg(["mean", "min", "max", "size"])
    flags = table.groupby(["system", "metric", "sub_metric"], sort=False)["headline"].first()
    rows = [
        dict(
            run_id="r",
            system=system,
            scope="system",
            statistic="mean",
            metric=metric,
            sub_metric=sub,
            value=row["mean"],
            ci_low=row["min"],
            ci_high=row["max"],
            n=int(row["size"]),
            higher_is_better=True,
            headline=flags[system, metric, sub],
        )
        for (system, metric, sub), row in means.iterrows()
    ]
    return results_frame(rows)


def test_the_table_mark_decides_and_an_unmarked_table_gives_the_first_listed(no_registry):
    marked = sample_table("speech_mcd", ["extra", "mcd_db"], headline="mcd_db")
    assert recorded_headline("speech_mcd", marked) == "mcd_db"
    assert headline_sub_metric("speech_mcd", ["extra", "mcd_db"], marked) == "mcd_db"
    # a registered metric whose table marks an output the registry's spec does not have: the table wins
    renamed = sample_table("speech_mcd", ["old_name", "other"], headline="other")
    assert headline_sub_metric("speech_mcd", ["old_name", "other"], renamed) == "other"
    # results written before the column existed: the first sub-metric listed, whatever is registered
    unmarked = sample_table("speech_mcd", ["extra", "mcd_db"], headline=None)
    assert recorded_headline("speech_mcd", unmarked) is None
    assert headline_sub_metric("speech_mcd", ["extra", "mcd_db"], unmarked) == "extra"
    assert headline_sub_metric("speech_mcd", ["extra", "mcd_db"]) == "extra"
    # a marked output missing from the rows analysed falls back too
    assert headline_sub_metric("speech_mcd", ["extra"], marked) == "extra"


def test_the_headline_column_read_back_from_csv_text_counts():
    table = sample_table("m", ["x", "y"], headline="y").astype({"headline": "string"})
    assert set(table["headline"].dropna()) == {"True", "False"}
    assert recorded_headline("m", table) == "y"


def test_compare_and_calibrate_default_to_the_marked_headline(no_registry):
    from emoeval.stats.calibrate import calibrate
    from emoeval.stats.compare import compare_systems

    table = sample_table("plugin_metric", ["first", "second"], headline="second")
    assert compare_systems(table, metric="plugin_metric", n_resamples=200).sub_metric == "second"
    samples = table[table["sub_metric"] == "second"]
    ratings = pd.DataFrame(
        {"sample_id": samples["sample_id"].astype(str), "rater": "r1", "rating": samples["value"].to_numpy() * 2}
    )
    result = calibrate(table, ratings, metric="plugin_metric", n_bootstrap=0, level="utterance")
    assert result.sub_metric == "second"
    # the ratings are exactly twice the marked output: a perfect linear correlation (scipy: r = 1)
    assert result.value("utterance", "lcc") == pytest.approx(1.0, abs=1e-12)
    unmarked = sample_table("plugin_metric", ["first", "second"], headline=None)
    assert compare_systems(unmarked, metric="plugin_metric", n_resamples=200).sub_metric == "first"


def test_report_sections_use_the_marked_headline(no_registry):
    from emoeval.reports.gallery import badness_scores
    from emoeval.reports.leaderboard import build_leaderboards
    from emoeval.reports.rows import headline

    table = sample_table("plugin_metric", ["first", "second"], headline="second")
    full = pd.concat([table, system_rows(table)], ignore_index=True)
    assert headline("plugin_metric", ["first", "second"], full) == "second"
    (board,) = build_leaderboards(full, n_resamples=200)
    assert [(column.sub_metric, column.is_headline) for column in board.columns] == [
        ("second", True),
        ("first", False),
    ]
    _, used = badness_scores(full)
    assert used == ["plugin_metric/second"]


def test_console_summary_shows_the_marked_headline_and_everything_when_unmarked(no_registry):
    from emoeval.reports.console import render_summary

    marked = system_rows(sample_table("speech_mcd", ["extra", "mcd_db"], headline="extra"))
    text = render_summary(Results(table=marked, run={}))
    lines = [line for line in text.splitlines() if line.startswith("speech_mcd")]
    assert lines and all(" extra " in line for line in lines)  # not mcd_db, the registered spec's headline
    unmarked = system_rows(sample_table("speech_mcd", ["extra", "mcd_db"], headline=None))
    text = render_summary(Results(table=unmarked, run={}))
    assert {line.split()[1] for line in text.splitlines() if line.startswith("speech_mcd")} == {"extra", "mcd_db"}


def test_console_summary_never_prints_a_small_nonzero_value_as_zero():
    from emoeval.reports.console import _number

    assert _number(4.2e-5) == "4.20e-05" and _number(-3e-4) == "-3.00e-04"
    assert _number(0.0) == "0.000" and _number(0.0005) == "0.001" and _number(12.3456) == "12.346"
    assert _number(float("nan")) == "—"


def test_modality_comes_from_run_json(no_registry):
    from emoeval.reports.gallery import select_gallery
    from emoeval.reports.leaderboard import build_leaderboards
    from emoeval.reports.rows import metric_modalities

    run = {
        "config": {
            "metrics": [
                {"label": "plugin_metric", "name": "plugin_metric", "modality": "speech"},
                {"label": "face_fd(embedder=x)", "name": "face_fd", "modality": "face"},
                {"name": "no_label_v1", "modality": "text"},
                "not a record",
            ]
        }
    }
    assert metric_modalities(run) == {"plugin_metric": "speech", "face_fd(embedder=x)": "face", "no_label_v1": "text"}
    assert metric_modalities({}) == {} == metric_modalities({"config": {"metrics": "bad"}})
    table = sample_table("plugin_metric", ["score"], headline="score")
    full = pd.concat([table, system_rows(table)], ignore_index=True)
    (board,) = build_leaderboards(full, n_resamples=200, metric_modality=metric_modalities(run))
    assert board.modality == "speech"
    (unknown,) = build_leaderboards(full, n_resamples=200)
    assert unknown.modality == "other"
    gallery = select_gallery(full, None, per_cell=1, metric_modality=metric_modalities(run))
    assert {cell.modality for cell in gallery.cells} == {"speech"}
