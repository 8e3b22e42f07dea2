"""Corpus outputs: the runner saves the bootstrap (or jackknife) draws behind each corpus interval, reads them
back, and the gate compares corpus metrics with them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.gate import GatePolicy, run_gate
from emoeval.results import load_results
from emoeval.runner.draws import CorpusDraws, DrawRecorder, draws_path, load_corpus_draws
from emoeval.stats.aggregate import BootstrapSettings, corpus_bootstrap_draws, corpus_interval

DIVERSE = [
    "the weather turned cold so we lit a fire",
    "my sister adopted a grey kitten last week",
    "trains were late because of the storm",
    "he finally finished painting the old fence",
    "we should try that new noodle place downtown",
    "her garden is full of tomatoes this summer",
    "the museum opens a dinosaur exhibit soon",
    "i lost my keys again this morning",
    "our team won the match in extra time",
    "a quiet walk by the river helps me think",
    "the bakery sells warm bread before dawn",
    "they are moving to a city by the sea",
]


def _text_manifest(system: str, responses: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"sample_id": f"{system}/{i}", "system": system, "modality": "text", "text": text, "group": f"p{i}"}
            for i, text in enumerate(responses)
        ]
    )


def test_recorded_draws_are_the_resamples_of_the_interval():
    rng = np.random.default_rng(0)
    states = list(rng.normal(3.0, 1.0, 25))

    def compute(chosen):
        return {"mean": float(np.mean(chosen)), "sd": float(np.std(chosen))}

    settings = BootstrapSettings(n_resamples=300, seed=4)
    recorder = DrawRecorder(compute)
    corpus_interval(states, recorder, interval="bootstrap_recentred", settings=settings, max_resamples=120)
    recorded = recorder.draws(interval="bootstrap_recentred", n_states=25, settings=settings, max_resamples=120)
    _, reference = corpus_bootstrap_draws(states, compute, n_resamples=120, seed=4)
    for name in ("mean", "sd"):
        assert recorded[name].kind == "bootstrap"
        np.testing.assert_array_equal(recorded[name].draws, reference[name])
    # the jackknife's leave-one-out values
    recorder = DrawRecorder(compute)
    corpus_interval(states, recorder, interval="jackknife", settings=settings)
    jack = recorder.draws(interval="jackknife", n_states=25, settings=settings, max_resamples=None)["mean"]
    expected = [np.mean(states[:i] + states[i + 1 :]) for i in range(25)]
    np.testing.assert_allclose(jack.draws, expected, rtol=1e-12)
    assert jack.se == pytest.approx(np.std(states, ddof=1) / np.sqrt(25))  # SE_jack of a mean is s/sqrt(n)
    # no resamples asked for: no draws
    recorder = DrawRecorder(compute)
    corpus_interval(states, recorder, interval="bootstrap", settings=BootstrapSettings(n_resamples=0))
    assert recorder.draws(interval="bootstrap", n_states=25, settings=BootstrapSettings(0), max_resamples=None) == {}


def test_the_runner_saves_draws_and_load_results_reads_them_back(tmp_path):
    out = tmp_path / "run"
    results = emoeval.score(_text_manifest("v1", DIVERSE), metrics=["text_distinct_n"], out=out, n_bootstrap=100)
    path = draws_path(out, "text_distinct_n")
    assert path == out / "artifacts" / "bootstrap" / "text_distinct_n.npz" and path.is_file()
    in_memory = results.corpus_draws
    assert set(in_memory) == {("text_distinct_n", "v1", None, f"distinct_{n}") for n in (1, 2, 3)}
    found = in_memory[("text_distinct_n", "v1", None, "distinct_1")]
    assert found.kind == "jackknife" and found.draws.size == len(DIVERSE)
    assert load_results(out).corpus_draws == in_memory
    row = results.systems().query("sub_metric == 'distinct_1'").iloc[0]
    assert found.value == row.value
    # files of another configuration are ignored
    assert load_corpus_draws(out, config_hash="another") == {}


def test_gate_on_a_corpus_metric_regresses_for_generic_replies(tmp_path):
    base = tmp_path / "base"
    emoeval.score(_text_manifest("v1", DIVERSE), metrics=["text_distinct_n"], out=base, n_bootstrap=100)
    generic = DIVERSE[:4] + ["i see tell me more"] * 8
    cand = tmp_path / "cand"
    emoeval.score(_text_manifest("v2", generic), metrics=["text_distinct_n"], out=cand, n_bootstrap=100)
    gate = run_gate(cand, base, policy=GatePolicy(outputs=("text_distinct_n/distinct_1", "text_distinct_n/distinct_2")))
    for sub_metric in ("distinct_1", "distinct_2"):
        verdict = gate.verdict("text_distinct_n", sub_metric)
        assert verdict.verdict == "regressed", gate.summary()
        assert verdict.method == "corpus normal approximation" and "jackknife draws" in verdict.note
    assert not gate.passed and "text_distinct_n/distinct_1 regressed" in gate.failures[0]
    # against itself: never regressed (12 responses are too few to show equivalence within 5 %)
    same = run_gate(base, base).verdict("text_distinct_n")
    assert same.verdict == "inconclusive" and same.difference == 0 and same.n_needed > 12


def _size_manifest(tmp_path, system: str, extra: int, n: int = 30) -> pd.DataFrame:
    files = tmp_path / "files"
    files.mkdir(parents=True, exist_ok=True)
    rows = []
    rng = np.random.default_rng(len(system))
    for who, bonus in ((system, extra), ("beta", 0)):
        for i in range(n):
            path = files / f"{who}_{i}.bin"
            path.write_bytes(b"x" * int(20 + rng.integers(0, 6) + bonus))
            rows.append(
                {"sample_id": f"{who}/{i}", "system": who, "modality": "face", "path": str(path), "group": str(i)}
            )
    return pd.DataFrame(rows)


def test_gate_on_a_bootstrap_corpus_metric_uses_both_runs_draws(tmp_path, plugin):
    # fake_size_gap: mean file size minus the reference system's; lower is better
    base_dir, cand_dir = tmp_path / "b", tmp_path / "c"
    emoeval.score(_size_manifest(tmp_path / "1", "alpha", 2), metrics=["fake_size_gap"], out=base_dir, n_bootstrap=50)
    emoeval.score(_size_manifest(tmp_path / "2", "alpha", 9), metrics=["fake_size_gap"], out=cand_dir, n_bootstrap=50)
    gate = run_gate(cand_dir, base_dir, systems={"alpha": "alpha"})
    verdict = gate.verdict("fake_size_gap")
    assert verdict.method == "corpus bootstrap draws (independent, re-centred)"
    assert verdict.verdict == "regressed" and verdict.difference < -5
    # a run whose draws are gone falls back to the intervals, and says so
    shutil.rmtree(base_dir / "artifacts" / "bootstrap")
    fallback = run_gate(cand_dir, base_dir, systems={"alpha": "alpha"}).verdict("fake_size_gap")
    assert fallback.method == "corpus normal approximation"
    assert "baseline: its interval (no draws saved)" in fallback.note
    assert fallback.verdict == "regressed"


def test_corpus_draws_equal_their_row_after_a_results_write(tmp_path, plugin):
    results = emoeval.score(_size_manifest(tmp_path, "alpha", 3), metrics=["fake_size_gap"], n_bootstrap=40)
    assert results.corpus_draws  # in memory, without an output folder
    folder = results.write(tmp_path / "copy")
    again = load_results(folder).corpus_draws
    assert again == results.corpus_draws
    ((key, found),) = again.items()
    assert isinstance(found, CorpusDraws) and found.draws.size == 40 and key[0] == "fake_size_gap"


def test_error_rows_of_a_corpus_metric_count_against_its_scored_samples(tmp_path):
    base = tmp_path / "base"
    emoeval.score(_text_manifest("v1", DIVERSE), metrics=["text_distinct_n"], out=base, n_bootstrap=50)
    blanks = [*DIVERSE[:10], "   ", ""]  # blank replies are per-sample error rows
    cand = tmp_path / "cand"
    emoeval.score(_text_manifest("v2", blanks), metrics=["text_distinct_n"], out=cand, n_bootstrap=50)
    gate = run_gate(cand, base)
    (rate,) = gate.error_rates
    assert (rate["candidate_errors"], rate["candidate_samples"]) == (2, 12)
    assert (rate["baseline_errors"], rate["baseline_samples"]) == (0, 12)
    assert any("error rows rose from 0/12 to 2/12 samples" in failure for failure in gate.failures)


def test_per_emotion_gating_of_a_corpus_metric_uses_each_emotions_draws(tmp_path, plugin):
    def manifest(folder, sad_bonus):
        frame = _size_manifest(folder, "alpha", 0, n=40)
        frame["target_emotion"] = ["sad" if i % 2 else "happy" for i in range(len(frame))]
        for path, emotion, system in zip(frame["path"], frame["target_emotion"], frame["system"], strict=True):
            if system == "alpha" and emotion == "sad":  # only the sad outputs get bigger (worse gap)
                file = Path(path)
                file.write_bytes(file.read_bytes() + b"x" * sad_bonus)
        return frame

    metric = [plugin.FakeSizeGap(by_emotion=True)]
    emoeval.score(manifest(tmp_path / "1", 0), metrics=metric, out=tmp_path / "b", n_bootstrap=50)
    emoeval.score(manifest(tmp_path / "2", 12), metrics=metric, out=tmp_path / "c", n_bootstrap=50)
    gate = run_gate(tmp_path / "c", tmp_path / "b", systems=["alpha"], policy=GatePolicy(per_emotion=True))
    sad = gate.verdict("fake_size_gap", target_emotion="sad")
    happy = gate.verdict("fake_size_gap", target_emotion="happy")
    assert sad.verdict == "regressed" and sad.method.startswith("corpus bootstrap draws")
    assert happy.verdict == "equivalent" and happy.difference == 0
    # 50 draws (the metric's max_resamples) cannot give p-values below 1/51 > 0.05/3: normal approximation
    assert "50 draws are too few" in sad.note
    assert any("emotion sad" in failure for failure in gate.failures)
