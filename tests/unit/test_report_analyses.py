"""Calibration, comparison and meta-analysis sections from the statistics layer's own results and JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emoeval.reports.analyses import (
    analysis_items,
    build_analyses,
    calibration_section,
    comparison_section,
    kind_of,
    load_analysis_files,
    meta_section,
)
from emoeval.results import results_frame
from emoeval.stats.calibrate import calibrate
from emoeval.stats.compare import compare_systems
from emoeval.stats.meta import meta_analysis

META_EXAMPLE = Path(__file__).parent / "data" / "meta_example.csv"


def results_table(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for system, shift in (("a", 0.2), ("b", 0.0), ("c", -0.1)):
        for index in range(15):
            rows.append(
                dict(
                    system=system,
                    scope="sample",
                    statistic="value",
                    sample_id=f"{system}/{index}",
                    group=str(index),
                    metric="sim",
                    sub_metric="cos",
                    value=0.5 + shift + rng.normal(0, 0.05),
                    n=1,
                    higher_is_better=True,
                )
            )
    return results_frame(rows)


def test_comparison_section_carries_the_pairs_and_clusters():
    result = compare_systems(results_table(), metric="sim", n_resamples=500)
    data = json.loads(json.dumps(result.to_dict(), default=str))
    assert kind_of(data) == "comparison"
    section = comparison_section(data, "compare_sim")
    assert [s.system for s in section.systems] == list(result.systems["system"])
    assert section.clusters == tuple(tuple(c) for c in result.clusters)
    table = result.to_frame()
    for pair, row in zip(section.pairs, table.itertuples(), strict=True):
        assert (pair.system_a, pair.system_b, pair.n_pairs) == (row.system_a, row.system_b, row.n_pairs)
        assert pair.diff == pytest.approx(row.diff) and pair.p_adjusted == pytest.approx(row.p_adjusted)
        assert pair.better == (row.better or None)


def test_meta_section_rows_equal_the_pooled_table():
    result = meta_analysis(META_EXAMPLE, metric="emotion_accuracy")
    data = json.loads(json.dumps(result.to_dict(), default=str))
    assert kind_of(data) == "meta"
    section = meta_section(data, "meta")
    frame = result.to_frame()
    frame = frame[frame["row_type"].isin(["study", "pooled"])]
    assert [row.label for row in section.rows] == list(frame["label"])
    np.testing.assert_allclose([row.effect for row in section.rows], frame["effect"].to_numpy(float))
    np.testing.assert_allclose([row.ci_low for row in section.rows], frame["ci_low"].to_numpy(float))
    pooled = section.rows[-1]
    assert pooled.row_type == "pooled" and pooled.k == result.overall.k
    assert pooled.i2 == pytest.approx(result.overall.i2)


def test_meta_section_on_the_logit_scale_shows_proportions():
    studies = pd.DataFrame({"study": ["s1", "s2", "s3"], "accuracy": [0.62, 0.81, 0.7], "n": [400, 250, 120]})
    result = meta_analysis(studies, scale="logit")
    section = meta_section(json.loads(json.dumps(result.to_dict(), default=str)), "meta")
    pooled = section.rows[-1]
    assert pooled.effect == pytest.approx(1 / (1 + np.exp(-result.overall.effect)))


def test_calibration_section_with_sample_points_from_the_result_object():
    table = results_table()
    samples = table[table["scope"] == "sample"]
    rng = np.random.default_rng(2)
    ratings = pd.DataFrame(
        [
            {"sample_id": sid, "rater": f"r{k}", "rating": float(np.clip(1 + 4 * v + rng.normal(0, 0.3), 1, 5))}
            for sid, v in zip(samples["sample_id"], samples["value"], strict=True)
            for k in range(3)
        ]
    )
    result = calibrate(table, ratings, metric="sim", scale=(1, 5), n_bootstrap=200, cv_folds=3)
    ((name, data, records),) = analysis_items([result])
    assert kind_of(data) == "calibration" and len(records) == 45
    section = calibration_section(data, name, records)
    assert section.linear["slope"] == pytest.approx(result.mapping["linear"].slope)
    kinds = [p.kind for p in section.points]
    assert kinds.count("system") == 3 and kinds.count("sample") == 45
    lcc = next(row for row in section.table if (row.level, row.statistic) == ("utterance", "lcc"))
    assert lcc.value == pytest.approx(result.value("utterance", "lcc"))
    assert section.scale == (1.0, 5.0)


def test_files_in_a_results_folder_are_found_by_their_keys(tmp_path):
    compare_systems(results_table(), metric="sim", n_resamples=200).write(tmp_path, "whatever_name")
    meta_analysis(META_EXAMPLE, metric="emotion_accuracy").write(tmp_path, "meta_example")
    (tmp_path / "run.json").write_text("{}")
    (tmp_path / "other.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "report.json").write_text(json.dumps({"schema": "emoeval-report/1", "table": []}))
    items, notes = load_analysis_files(tmp_path, skip=[tmp_path / "report.json"])
    assert [name for name, _, _ in items] == ["meta_example", "whatever_name"]
    assert len(notes) == 1 and notes[0].startswith("broken.json: not readable as JSON")
    analyses = build_analyses(items)
    assert (len(analyses.comparisons), len(analyses.metas), len(analyses.calibrations)) == (1, 1, 0)
    assert analyses
