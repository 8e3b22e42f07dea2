"""Baseline files: save → load round trips (CSV and Parquet), byte-stable spreadsheet-safe CSV, provenance checks."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main
from emoeval.csv_safe import FORMULA_TRIGGERS
from emoeval.gate import GateError, GatePolicy, ProvenanceError, load_baseline, run_gate, save_baseline
from emoeval.results import Results, load_results, results_frame

EVIL_SYSTEM = "=cmd|' /C calc'!A0"


def _manifest(tmp_path, n: int = 6, systems=("alpha", "beta")) -> pd.DataFrame:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 10)
    rows = []
    for system in systems:
        for i in range(n):
            path = files / f"{abs(hash(system))}_{i}.bin"
            path.write_bytes(bytes([65 + i]) * (5 + i + (3 if system == "beta" else 0)))
            rows.append(
                {
                    "sample_id": f"@{system}/{i}" if i == 0 else f"{system}/{i}",
                    "system": system,
                    "modality": "face",
                    "path": str(path),
                    "reference": str(reference),
                    "target_emotion": "happy" if i % 2 else "sad",
                    "group": str(i),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def scored(tmp_path, plugin):
    """A results folder with a sample metric and a corpus metric (bootstrap draws saved), three systems."""
    out = tmp_path / "run"
    emoeval.score(
        _manifest(tmp_path, systems=("alpha", "beta", EVIL_SYSTEM)),
        metrics=["fake_length_ratio", "fake_size_gap"],
        out=out,
        n_bootstrap=200,
    )
    return out


def _same_baseline(a, b):
    pd.testing.assert_frame_equal(a.samples, b.samples)
    left, right = a.system_rows.drop(columns="draws"), b.system_rows.drop(columns="draws")
    pd.testing.assert_frame_equal(left, right)
    for x, y in zip(a.system_rows["draws"], b.system_rows["draws"], strict=True):
        assert (x is None and y is None) or np.array_equal(x, y)
    assert a.provenance == b.provenance
    assert a.info == b.info


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_save_load_round_trip(scored, tmp_path, suffix):
    from_folder = load_baseline(scored)
    path = save_baseline(scored, tmp_path / f"baseline{suffix}")
    loaded = load_baseline(path)
    _same_baseline(from_folder, loaded)
    # the corpus metric's rows carry the run's bootstrap draws, the sample metric's own summaries none
    gap = loaded.system_rows[loaded.system_rows["metric"] == "fake_size_gap"]
    assert len(gap) == 2 and all(kind == "bootstrap" for kind in gap["draws_kind"])  # beta is the reference
    assert all(draws.size == 50 for draws in gap["draws"])  # the metric's max_resamples
    assert set(loaded.samples["sample_id"]) >= {"@alpha/0", f"@{EVIL_SYSTEM}/0"}
    assert loaded.provenance["fake_length_ratio"]["metric_version"] == "0.1"


def test_csv_is_byte_stable_lf_and_spreadsheet_safe(scored, tmp_path):
    first = save_baseline(scored, tmp_path / "a.csv").read_bytes()
    second = save_baseline(scored, tmp_path / "b.csv").read_bytes()
    again = save_baseline(load_baseline(tmp_path / "a.csv"), tmp_path / "c.csv").read_bytes()
    assert first == second == again
    assert b"\r" not in first
    rows = list(csv.reader(first.decode("utf-8").splitlines()))
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_TRIGGERS):
                float(cell)  # only plain numbers may start with - or +
    assert any(cell == "'" + EVIL_SYSTEM for row in rows for cell in row)
    # sorted: meta, provenance, system, sample rows; samples by metric, sub-metric, system, ..., sample id
    kinds = [row[0] for row in rows[1:]]
    assert kinds == sorted(kinds, key=["meta", "provenance", "system", "sample"].index)
    assert EVIL_SYSTEM in load_baseline(tmp_path / "a.csv").system_names()


def test_only_the_named_systems_are_kept(scored, tmp_path):
    path = save_baseline(scored, tmp_path / "b.csv", systems=["alpha"])
    assert load_baseline(path).system_names() == ["alpha"]
    with pytest.raises(GateError, match=r"no system 'gamma'.*systems: "):
        save_baseline(scored, tmp_path / "c.csv", systems=["gamma"])


def test_a_results_folder_its_parquet_or_a_baseline_file_give_the_same_verdicts(scored, tmp_path):
    csv_file = save_baseline(scored, tmp_path / "b.csv")
    verdicts = [
        [(v.output, v.system, v.verdict, round(v.difference, 12)) for v in run_gate(scored, base).verdicts]
        for base in (scored, scored / "results.parquet", csv_file, save_baseline(scored, tmp_path / "b.parquet"))
    ]
    assert verdicts[0] == verdicts[1] == verdicts[2] == verdicts[3]
    assert {v for _, _, v, _ in verdicts[0]} == {"equivalent"}
    with pytest.raises(GateError, match="is a results table, not a baseline"):
        pd.read_parquet(scored / "results.parquet").to_csv(tmp_path / "plain.csv", index=False)
        load_baseline(tmp_path / "plain.csv")
    with pytest.raises(GateError, match="no baseline or results folder"):
        load_baseline(tmp_path / "absent.csv")


def _with(results: Results, **changes) -> Results:
    table = results.table.copy()
    for column, value in changes.items():
        table[column] = value
    return Results(results_frame(table.to_dict(orient="records")), dict(results.run), dict(results.corpus_draws))


@pytest.mark.parametrize(
    ("column", "value"),
    [("model_sha256", "ff" * 32), ("metric_version", "0.2"), ("params", json.dumps({"scale": 2.0}))],
)
def test_a_baseline_with_other_provenance_is_refused_naming_the_difference(scored, column, value):
    results = load_results(scored)
    stale = _with(results, **{column: value})
    with pytest.raises(ProvenanceError, match=f"{column} .*\\(candidate\\) ≠ .*\\(baseline\\)") as caught:
        run_gate(results, stale)
    assert {d["field"] for d in caught.value.differences} == {column}
    warned = run_gate(results, stale, policy=GatePolicy(provenance="warn"))
    assert any("provenance differs" in w and column in w for w in warned.warnings)
    assert any(row["field"] == column and not row["same"] for row in warned.provenance)


def test_absolute_paths_in_parameters_compare_by_name(scored):
    results = load_results(scored)
    here = _with(results, params=json.dumps({"real": "/home/me/project/real_faces", "scale": 1.0}))
    there = _with(results, params=json.dumps({"real": "/github/workspace/real_faces", "scale": 1.0}))
    assert run_gate(here, there).passed
    other = _with(results, params=json.dumps({"real": "/github/workspace/other_faces", "scale": 1.0}))
    with pytest.raises(ProvenanceError, match="params"):
        run_gate(here, other)


def test_baseline_save_command(scored, tmp_path):
    out = tmp_path / "committed.csv"
    result = CliRunner().invoke(main, ["baseline", "save", str(scored), "-o", str(out), "--system", "alpha"])
    assert result.exit_code == 0, result.output
    assert "baseline: " in result.output and "systems alpha" in result.output
    assert load_baseline(out).system_names() == ["alpha"]
    bad = CliRunner().invoke(main, ["baseline", "save", str(tmp_path / "nothing"), "-o", str(out)])
    assert bad.exit_code == 2 and "emoeval: error:" in bad.output
    wrong = CliRunner().invoke(main, ["baseline", "save", str(scored), "-o", str(tmp_path / "b.json")])
    assert wrong.exit_code == 2 and ".csv or .parquet" in wrong.output
