"""The statistics commands end to end: each prints its summary and writes CSV/JSON beside its input or to --out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main

EXAMPLE_META = Path(__file__).parent / "data" / "meta_example.csv"


@pytest.fixture
def scored(tmp_path, plugin):
    """A results folder with three systems scored on the same six groups, and human ratings of its samples."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "ref.bin").write_bytes(b"r" * 10)
    rows = []
    for offset, system in enumerate(("a", "b", "c")):
        for i in range(6):
            path = files / f"{system}{i}.bin"
            path.write_bytes(b"x" * (4 + 3 * offset + i % 3))
            rows.append(
                {
                    "sample_id": f"{system}/{i}",
                    "system": system,
                    "modality": "face",
                    "path": str(path),
                    "reference": str(files / "ref.bin"),
                    "target_emotion": ["happy", "sad"][i % 2],
                    "group": f"g{i}",
                }
            )
    out = tmp_path / "results"
    emoeval.score(pd.DataFrame(rows), metrics=["fake_length_ratio"], out=out, progress=False)
    ratings = pd.DataFrame(  # three raters, ratings as text the way a CSV export holds them
        [
            {"sample_id": row["sample_id"], "rater": f"r{k}", "rating": str(1 + (i * 7 + k) % 5)}
            for i, row in enumerate(rows)
            for k in range(3)
        ]
    )
    ratings.loc[0, "rating"] = "N/A (no answer)"
    ratings_path = tmp_path / "ratings.csv"
    ratings.to_csv(ratings_path, index=False)
    return out, ratings_path


def _run(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.output


def test_aggregate_writes_beside_the_results(scored):
    out, _ = scored
    text = _run(["aggregate", out, "--by", "system,target_emotion", "--n-bootstrap", 500])
    table = pd.read_csv(out / "aggregate.csv")
    assert {"a", "b", "c"} == set(table.system)
    assert {"happy", "sad"} == set(table.target_emotion)
    assert "fake_length_ratio" in text


def test_compare_reports_pairs_and_clusters(scored, tmp_path):
    out, _ = scored
    text = _run(["compare", out, "--metric", "fake_length_ratio", "--n-resamples", 1000, "--out", tmp_path / "cmp"])
    pairs = pd.read_csv(tmp_path / "cmp" / "compare_fake_length_ratio.csv")
    assert len(pairs) == 3  # all pairs of three systems
    assert "significance clusters" in text
    assert "ratio" in text  # the headline output was chosen


def test_calibrate_excludes_na_ratings_and_says_so(scored):
    out, ratings = scored
    text = _run(["calibrate", out, ratings, "--metric", "fake_length_ratio", "--scale", "1,5", "--n-bootstrap", 200])
    data = json.loads((out / "calibration_fake_length_ratio.json").read_text())
    assert any("excluded" in warning for warning in data["warnings"])
    assert "srcc" in text.lower()


def test_reliability_of_a_ratings_file(scored):
    _, ratings = scored
    text = _run(
        ["reliability", ratings, "--scale", "1,5", "--level", "interval", "--level", "ordinal", "--n-bootstrap", 200]
    )
    assert "ICC" in text and "alpha" in text.lower()
    assert (ratings.parent / "ratings_reliability.csv").exists()


def test_meta_with_subgroups_leave_one_out_and_a_forest_plot(tmp_path):
    plot = tmp_path / "forest.svg"
    text = _run(
        [
            "meta",
            EXAMPLE_META,
            "--metric",
            "emotion_accuracy",
            "--by",
            "family",
            "--leave-one-out",
            "--plot",
            plot,
            "--out",
            tmp_path,
        ]
    )
    assert "test for subgroup differences" in text
    assert (tmp_path / "meta_example_meta_emotion_accuracy.csv").exists()
    assert (tmp_path / "meta_example_meta_emotion_accuracy_leave_one_out.csv").exists()
    assert plot.read_text().lstrip().startswith("<?xml")


def test_bad_scale_is_a_usage_error(scored):
    _, ratings = scored
    result = CliRunner().invoke(main, ["reliability", str(ratings), "--scale", "5,1"])
    assert result.exit_code == 2
    assert "LOW < HIGH" in result.output + (result.stderr or "")
