"""The runner: caching, per-sample errors, flushing and resuming, determinism, results on disk."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import emoeval
from emoeval.errors import EmoevalError, RunConfigError, WeightNotFoundError
from emoeval.results import RESULT_COLUMNS
from emoeval.runner.folder import PARTIAL_ROWS, RUN_PARTIAL_JSON


def _manifest(tmp_path, n: int = 5, extra: list[dict] | None = None) -> pd.DataFrame:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 10)
    rows = []
    for system in ("alpha", "beta"):
        for i in range(n):
            path = files / f"{system}_{i}.bin"
            path.write_bytes(bytes([65 + i]) * (5 + i + (3 if system == "beta" else 0)))
            rows.append(
                {
                    "sample_id": f"{system}/{i}",
                    "system": system,
                    "modality": "face",
                    "path": str(path),
                    "reference": str(reference),
                    "target_emotion": "happy",
                    "group": str(i),
                }
            )
    rows.extend(extra or [])
    return pd.DataFrame(rows)


def test_values_rows_and_provenance(tmp_path, plugin):
    results = emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio"], out=tmp_path / "out")
    table = results.table
    assert list(table.columns) == list(RESULT_COLUMNS)
    samples = results.samples()
    ratio = samples[(samples.sample_id == "alpha/2") & (samples.sub_metric == "ratio")]
    assert ratio.value.item() == pytest.approx(7 / 10)
    assert bool(ratio.higher_is_better.item()) is True
    checksum = samples[samples.sub_metric == "checksum"]
    assert not checksum.higher_is_better.any()
    row = table.iloc[0]
    assert row.metric_version == "0.1"
    assert row.model == "fake-embedder@1"
    assert row.model_sha256 == plugin.FakeEmbedder.card.files[0].sha256
    assert row.emoeval_version == emoeval.__version__
    assert len(row.config_hash) == 64
    assert row.run_id == results.run_id


def test_system_means_carry_scipy_bootstrap_intervals(tmp_path, plugin):
    results = emoeval.score(_manifest(tmp_path, n=8), metrics=["fake_length_ratio"], n_bootstrap=999, seed=7)
    values = results.samples().query("system == 'beta' and sub_metric == 'ratio'").value.to_numpy()
    expected = stats.bootstrap(
        (values,), np.mean, n_resamples=999, method="percentile", rng=np.random.default_rng(7)
    ).confidence_interval
    system_row = results.systems().query("system == 'beta' and sub_metric == 'ratio'").iloc[0]
    assert system_row.statistic == "mean"
    assert system_row.value == pytest.approx(values.mean())
    assert system_row.ci_low == pytest.approx(expected.low)
    assert system_row.ci_high == pytest.approx(expected.high)
    assert system_row.n == 8


def test_unchanged_rerun_reads_the_cache_and_one_new_sample_costs_one(tmp_path, plugin):
    manifest = _manifest(tmp_path)
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    first = plugin.CALLS["infer_items"]
    assert first == 11  # 10 distinct outputs + 1 shared reference, each computed once
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert plugin.CALLS["infer_items"] == first
    new_file = tmp_path / "files" / "new.bin"
    new_file.write_bytes(b"new sample bytes")
    bigger = pd.concat(
        [manifest, pd.DataFrame([{**manifest.iloc[0].to_dict(), "sample_id": "alpha/new", "path": str(new_file)}])]
    )
    emoeval.score(bigger, metrics=["fake_length_ratio"])
    assert plugin.CALLS["infer_items"] == first + 1


def test_cache_is_keyed_by_content_not_name(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=2)
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    calls = plugin.CALLS["infer_items"]
    renamed = tmp_path / "renamed.bin"
    renamed.write_bytes((tmp_path / "files" / "alpha_0.bin").read_bytes())
    manifest.loc[0, "path"] = str(renamed)
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert plugin.CALLS["infer_items"] == calls


def test_unchanged_rerun_reuses_sample_verdicts_without_calling_the_metric(tmp_path, plugin):
    manifest = _manifest(tmp_path)
    first = emoeval.score(manifest, metrics=["fake_length_ratio"])
    batches = plugin.CALLS["score_batches"]
    again = emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert plugin.CALLS["score_batches"] == batches  # every verdict came from the cache
    assert again.run["cache"]["score_hits"] == len(manifest)
    columns = ["sample_id", "sub_metric", "value", "warning", "label", "error"]
    pd.testing.assert_frame_equal(
        first.table[columns].reset_index(drop=True), again.table[columns].reset_index(drop=True)
    )
    # a changed file, a changed parameter or another metric version is scored again
    (tmp_path / "files" / "alpha_0.bin").write_bytes(b"changed content")
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert plugin.CALLS["score_batches"] == batches + 1
    emoeval.score(manifest, metrics=[plugin.FakeLengthRatio(scale=2.0)])
    assert plugin.CALLS["score_batches"] == batches + 1 + 6  # 2 systems × 5 samples in batches of 2


def test_a_damaged_verdict_record_is_recomputed(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=1)
    first = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=tmp_path / "cache").table
    for record in (tmp_path / "cache" / "records").rglob("*.json"):
        record.write_text('{"values": {"ratio": 1.0}}')  # a dict, not pairs: not this format
    batches = plugin.CALLS["score_batches"]
    second = emoeval.score(manifest, metrics=["fake_length_ratio"], cache_dir=tmp_path / "cache").table
    assert plugin.CALLS["score_batches"] == batches + 2
    pd.testing.assert_series_equal(first["value"], second["value"])


def test_metrics_that_read_other_samples_opt_out_of_verdict_caching(tmp_path, plugin, monkeypatch):
    manifest = _manifest(tmp_path, n=2)
    monkeypatch.setattr(plugin.FakeLengthRatio, "cache_scores", False)
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    batches = plugin.CALLS["score_batches"]
    emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert plugin.CALLS["score_batches"] == 2 * batches


def test_failed_samples_are_not_cached(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=2)
    missing = {**manifest.iloc[0].to_dict(), "sample_id": "alpha/missing", "path": str(tmp_path / "gone.bin")}
    manifest = pd.concat([manifest, pd.DataFrame([missing])], ignore_index=True)
    first = emoeval.score(manifest, metrics=["fake_length_ratio"]).table
    assert first.loc[first["sample_id"] == "alpha/missing", "error"].notna().all()
    (tmp_path / "gone.bin").write_bytes(b"now it exists")
    second = emoeval.score(manifest, metrics=["fake_length_ratio"]).table
    assert second.loc[second["sample_id"] == "alpha/missing", "error"].isna().all()


def test_bad_inputs_become_error_rows_and_the_run_finishes(tmp_path, plugin):
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(b"CORRUPT data")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    base = {"system": "alpha", "modality": "face", "reference": str(tmp_path / "files" / "ref.bin")}
    extra = [
        {**base, "sample_id": "bad/corrupt", "path": str(corrupt)},
        {**base, "sample_id": "bad/empty", "path": str(empty)},
        {**base, "sample_id": "bad/missing", "path": str(tmp_path / "nope.bin")},
        {**base, "sample_id": "bad/crash", "path": str(corrupt)},
        {**base, "sample_id": "bad/missing-ref", "path": str(empty), "reference": str(tmp_path / "noref.bin")},
    ]
    results = emoeval.score(_manifest(tmp_path, extra=extra), metrics=["fake_length_ratio"], out=tmp_path / "o")
    errors = results.errors().set_index("sample_id")
    assert "cannot decode this fake file" in errors.loc["bad/corrupt", "error"]
    assert "empty file" in errors.loc["bad/empty", "error"]
    assert "file not found" in errors.loc["bad/missing", "error"]
    assert "nope.bin" in errors.loc["bad/missing", "error"]
    assert "metric bug triggered by this sample" in errors.loc["bad/crash", "error"]
    assert "empty file" in errors.loc["bad/missing-ref", "error"]  # output error reported first
    assert errors.value.isna().all()
    good = results.samples().query("error.isna()")
    assert len(good) == 2 * 10  # ten good samples, two outputs each
    assert good.value.notna().all()
    alpha = results.systems().query("system == 'alpha' and sub_metric == 'ratio'").iloc[0]
    assert alpha.n == 5
    assert results.run["counts"]["errors"] == 5


def test_no_silent_nan(tmp_path, plugin):
    results = emoeval.score(_manifest(tmp_path, n=1), metrics=["fake_length_ratio"])
    nan_rows = results.table[results.table.value.isna()]
    assert nan_rows.error.notna().all()
    # one sample per system: the mean has no interval, and the row says n=1 instead of inventing one
    system = results.systems().iloc[0]
    assert system.n == 1 and math.isnan(system.ci_low)


def test_interrupted_run_resumes_where_it_stopped(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=5)  # 10 samples, batch size 2 → 6 batches (3 per system)
    out = tmp_path / "out"
    plugin.INTERRUPT_AFTER["batches"] = 2
    with pytest.raises(KeyboardInterrupt):
        emoeval.score(manifest, metrics=["fake_length_ratio"], out=out)
    partial = (out / PARTIAL_ROWS).read_text().splitlines()
    assert len(partial) == 2 * 2 * 2  # two batches × two samples × two outputs flushed
    # the header of an unfinished run has its own file: run.json is written only for a finished run
    assert json.loads((out / RUN_PARTIAL_JSON).read_text())["status"] == "running"
    assert not (out / "run.json").exists()
    with pytest.raises(EmoevalError, match="resume"):
        emoeval.load_results(out)
    plugin.INTERRUPT_AFTER["batches"] = None
    batches_before = plugin.CALLS["score_batches"]
    results = emoeval.score(manifest, metrics=["fake_length_ratio"], out=out)
    assert plugin.CALLS["score_batches"] - batches_before == 4  # 6 batches minus the 2 done
    assert not (out / PARTIAL_ROWS).exists() and not (out / RUN_PARTIAL_JSON).exists()
    complete = emoeval.score(manifest, metrics=["fake_length_ratio"], resume=False)
    keep = ["system", "sample_id", "sub_metric", "value"]
    pd.testing.assert_frame_equal(
        results.samples()[keep].sort_values(keep[:3]).reset_index(drop=True),
        complete.samples()[keep].sort_values(keep[:3]).reset_index(drop=True),
    )


def test_identical_inputs_give_identical_numbers(tmp_path, plugin):
    manifest = _manifest(tmp_path)
    first = emoeval.score(manifest, metrics=["fake_length_ratio"], use_cache=False).table
    second = emoeval.score(manifest, metrics=["fake_length_ratio"], use_cache=False).table
    volatile = ["run_id", "created_at"]
    pd.testing.assert_frame_equal(first.drop(columns=volatile), second.drop(columns=volatile))


def test_results_round_trip_through_disk(tmp_path, plugin):
    out = tmp_path / "out"
    results = emoeval.score(_manifest(tmp_path), metrics=["fake_length_ratio", "text_distinct_n"], out=out)
    for name in ("results.parquet", "results.csv", "run.json"):
        assert (out / name).exists()
    loaded = emoeval.load_results(out)
    pd.testing.assert_frame_equal(loaded.table, results.table)
    csv = pd.read_csv(out / "results.csv")
    assert list(csv.columns) == list(RESULT_COLUMNS)
    assert len(csv) == len(results.table)
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "complete"
    assert run["inputs"]["systems"] == {"alpha": 5, "beta": 5}
    assert run["models"][0]["name"] == "fake-embedder"
    assert run["models"][0]["files"][0]["source"] == "package"
    assert {p["metric"] for p in run["plan"]} == {"fake_length_ratio", "text_distinct_n"}
    assert run["plan"][1]["samples"] == 0  # no text sample: planned, nothing to do


def test_plan_counts_samples_missing_what_a_metric_needs(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=2)
    manifest.loc[0, "reference"] = None
    results = emoeval.score(manifest, metrics=["fake_length_ratio"])
    assert results.run["plan"][0]["skipped"] == {"no reference": 1}
    assert "alpha/0" not in set(results.samples().sample_id)


def test_another_runs_results_are_not_overwritten_silently(tmp_path, plugin):
    out = tmp_path / "out"
    emoeval.score(_manifest(tmp_path, n=2), metrics=["fake_length_ratio"], out=out)
    with pytest.raises(RunConfigError, match="--overwrite"):
        emoeval.score(_manifest(tmp_path, n=3), metrics=["fake_length_ratio"], out=out)
    emoeval.score(_manifest(tmp_path, n=3), metrics=["fake_length_ratio"], out=out, overwrite=True)
    assert emoeval.load_results(out).run["inputs"]["n_samples"] == 6


def test_missing_weights_stop_the_run_before_scoring(tmp_path, plugin, monkeypatch):
    monkeypatch.setattr(
        plugin.FakeEmbedder,
        "card",
        plugin.FakeEmbedder.card.__class__(
            name="fake-embedder",
            version="1",
            files=(plugin.FakeEmbedder.card.files[0].__class__(filename="absent.bin", sha256="0" * 64, size=1),),
            summary="",
            license="",
        ),
    )
    with pytest.raises(WeightNotFoundError, match=r"absent\.bin"):
        emoeval.score(_manifest(tmp_path, n=1), metrics=["fake_length_ratio"])
    assert plugin.CALLS["score_batches"] == 0


def test_metric_instances_with_parameters(tmp_path, plugin):
    results = emoeval.score(_manifest(tmp_path, n=1), metrics=[plugin.FakeLengthRatio(scale=10.0)])
    ratio = results.samples().query("sample_id == 'alpha/0' and sub_metric == 'ratio'").value.item()
    assert ratio == pytest.approx(10.0 * 5 / 10)
    assert results.run["config"]["metrics"][0]["params"] == {"scale": 10.0}


def test_metric_specific_system_values_are_rows_too(tmp_path, plugin):
    out = tmp_path / "out"
    plugin.INTERRUPT_AFTER["batches"] = 1
    with pytest.raises(KeyboardInterrupt):
        emoeval.score(_manifest(tmp_path, n=3), metrics=["fake_length_ratio"], out=out)
    plugin.INTERRUPT_AFTER["batches"] = None
    results = emoeval.score(_manifest(tmp_path, n=3), metrics=["fake_length_ratio"], out=out)  # resumed
    systems = results.systems().set_index(["system", "sub_metric"])
    assert systems.loc[("beta", "max_ratio"), "statistic"] == "max"
    assert systems.loc[("beta", "max_ratio"), "value"] == pytest.approx(10 / 10)  # largest beta file: 10 bytes
    assert systems.loc[("beta", "max_ratio"), "n"] == 3
    assert ("beta", "max_ratio") in systems.index and "max_ratio" not in set(results.samples().sub_metric)


def test_corpus_metric_with_a_reference_system_and_per_emotion_values(tmp_path, plugin):
    manifest = _manifest(tmp_path, n=4)
    manifest.loc[manifest.index % 2 == 1, "target_emotion"] = "sad"
    metric = plugin.FakeSizeGap(real_system="beta", by_emotion=True)
    results = emoeval.score(manifest, metrics=[metric], n_bootstrap=999)
    assert plugin.CALLS["setup"] == 1
    systems = results.systems()
    assert set(systems.system) == {"alpha"}  # the reference system is not scored as a generator
    overall = systems[systems.target_emotion.isna()].iloc[0]
    # alpha files are 5..8 bytes, beta files 8..11: gap -3 overall
    assert overall.value == pytest.approx(-3.0) and overall.n == 4 and overall.statistic == "corpus"
    per_emotion = systems.dropna(subset=["target_emotion"]).set_index("target_emotion")
    assert per_emotion.loc["happy", "value"] == pytest.approx(np.mean([5, 7]) - np.mean([8, 10]))
    assert per_emotion.loc["sad", "value"] == pytest.approx(np.mean([6, 8]) - np.mean([9, 11]))
    assert per_emotion.loc["happy", "n"] == 2
    assert results.run["plan"][0]["systems"] == ["alpha"]


def test_an_output_no_sample_produced_gets_no_system_row(tmp_path, plugin, monkeypatch):
    original = plugin.FakeLengthRatio.score

    def only_ratio(self, samples, context):  # like a metric whose second output needs an optional column
        return [
            emoeval.SampleScore(values={"ratio": s.values["ratio"]}, error=s.error) if s.values else s
            for s in original(self, samples, context)
        ]

    monkeypatch.setattr(plugin.FakeLengthRatio, "score", only_ratio)
    systems = emoeval.score(_manifest(tmp_path, n=2), metrics=["fake_length_ratio"]).systems()
    assert "checksum" not in set(systems.sub_metric)
    assert "ratio" in set(systems.sub_metric)


def test_content_key_names_unreadable_inputs():
    from emoeval.context import content_key
    from emoeval.errors import SampleInputError

    assert content_key("café")[0] == hashlib.sha256("café".encode()).hexdigest()
    with pytest.raises(SampleInputError, match=r"not valid Unicode.*UTF-8"):
        content_key(b"caf\xe9".decode("utf-8", "surrogateescape"))


def test_an_optional_output_one_system_does_not_produce_gets_no_error_row_there(tmp_path):
    """A sample metric whose second output needs a column only one system has: that system gets the output's
    mean, the other one no row at all — not an error row pointing at error rows that do not exist."""
    from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore

    class Lengths(SampleMetric):
        spec = MetricSpec(
            name="test_lengths",
            modality="text",
            scope="sample",
            outputs=(
                Output("length", higher_is_better=None, range=(0.0, math.inf)),
                Output("length_ratio", higher_is_better=None, range=(0.0, math.inf)),
            ),
            inputs=(Input("reference", "text", required=False),),
            version="1.0.0",
            models=(),
            summary="test metric",
        )

        def score(self, samples, context):
            def one(sample):
                values = {"length": float(len(sample.text))}
                if sample.has("reference"):
                    values["length_ratio"] = len(sample.text) / len(str(sample.value("reference")))
                return SampleScore(values=values)

            return SampleScore.each(samples, one)

    rows = [
        {"sample_id": f"{system}/{i}", "system": system, "modality": "text", "text": "abc" * (i + 1)}
        | ({"reference": "ab"} if system == "paired" else {})
        for system in ("paired", "alone")
        for i in range(3)
    ]
    table = emoeval.score(pd.DataFrame(rows), metrics=[Lengths()], progress=False, n_bootstrap=0).table
    systems = table[table.scope == "system"]
    assert table.error.isna().all()
    assert set(systems[systems.system == "alone"].sub_metric) == {"length"}
    assert systems.query("system == 'paired' and sub_metric == 'length_ratio'").value.tolist() == [3.0]
