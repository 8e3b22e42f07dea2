"""Verdicts of run_gate on constructed differences: hand-built results tables with known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from emoeval.gate import GateError, GatePolicy, Margin, run_gate
from emoeval.results import Results, results_frame


def results(
    system: str,
    values,
    *,
    metric: str = "m",
    sub: str = "score",
    higher_is_better: bool = True,
    ids=None,
    groups=None,
    emotions=None,
    errors=(),
) -> Results:
    """A results table of one sample metric for one system (each value one sample)."""
    rows = []
    for i, value in enumerate(values):
        sample_id = ids[i] if ids is not None else f"s{i:03d}"
        failed = sample_id in errors
        rows.append(
            {
                "run_id": "r",
                "system": system,
                "scope": "sample",
                "statistic": "value",
                "sample_id": sample_id,
                "group": groups[i] if groups is not None else f"g{i:03d}",
                "target_emotion": emotions[i] if emotions is not None else "happy",
                "metric": metric,
                "sub_metric": sub,
                "value": float("nan") if failed else float(value),
                "n": 1,
                "higher_is_better": higher_is_better,
                "headline": True,
                "error": "could not score" if failed else None,
                "metric_version": "1.0",
                "params": "{}",
                "model": "toy@1",
                "model_sha256": "aa" * 32,
                "emoeval_version": "0.1.0",
                "config_hash": f"config-{system}",
            }
        )
    return Results(results_frame(rows), {"run_id": f"run-{system}", "config_hash": f"config-{system}"})


def joined(*parts: Results) -> Results:
    table = pd.concat([part.table for part in parts], ignore_index=True)
    return Results(results_frame(table.to_dict(orient="records")), dict(parts[0].run))


@pytest.fixture
def base_values():
    return np.random.default_rng(1).normal(0.8, 0.05, 200)


def test_a_clear_worsening_regresses_and_names_the_metric(base_values):
    gate = run_gate(
        results("v2", base_values - 0.1, metric="face_identity"), results("v1", base_values, metric="face_identity")
    )
    verdict = gate.verdict("face_identity")
    assert verdict.verdict == "regressed"
    assert verdict.difference == pytest.approx(-0.1)
    assert verdict.ci_high < -verdict.margin
    assert not gate.passed and gate.exit_code == 1
    assert any("face_identity/score regressed" in failure for failure in gate.failures)
    assert "face_identity/score" in gate.summary() and "regressed" in gate.markdown()


def test_a_clear_improvement_is_improved(base_values):
    gate = run_gate(results("v2", base_values + 0.1), results("v1", base_values))
    assert gate.verdict("m").verdict == "improved"
    assert gate.passed and gate.exit_code == 0


def test_identical_or_noisy_equal_runs_are_never_regressed(base_values):
    same = run_gate(results("v2", base_values), results("v1", base_values))
    assert same.verdict("m").verdict == "equivalent"
    rng = np.random.default_rng(2)
    noisy = run_gate(results("v2", base_values + rng.normal(0, 0.003, 200)), results("v1", base_values))
    assert noisy.verdict("m").verdict == "equivalent"
    # small runs with noise only: equivalent or inconclusive, never regressed
    seen = set()
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        small = rng.normal(0.8, 0.05, 8)
        gate = run_gate(results("v2", small + rng.normal(0, 0.02, 8)), results("v1", small))
        seen.add(gate.verdict("m").verdict)
    assert seen <= {"equivalent", "inconclusive"}


def test_five_pairs_with_a_small_real_difference_are_inconclusive_with_the_mde():
    # a real loss about as large as the tolerated margin (5 % of 0.8 = 0.04), measured on 5 samples
    rng = np.random.default_rng(5)
    base = rng.normal(0.8, 0.05, 5)
    cand = base - 0.04 + rng.normal(0, 0.03, 5)
    gate = run_gate(results("v2", cand), results("v1", base))
    verdict = gate.verdict("m")
    assert verdict.verdict == "inconclusive"
    assert verdict.n_pairs == 5
    assert verdict.mde is not None and verdict.mde > 0
    assert verdict.n_needed is not None and verdict.n_needed > 5
    assert f"mde {verdict.mde:.3g}, n needed {verdict.n_needed}" in gate.summary()
    assert gate.passed  # inconclusive does not fail by default ...
    strict = run_gate(
        results("v2", cand),
        results("v1", base),
        policy=GatePolicy(fail_on_inconclusive=True),
    )
    assert not strict.passed  # ... unless the policy says so


def test_direction_of_lower_is_better_outputs(base_values):
    lower = dict(metric="wer", sub="wer", higher_is_better=False)
    worse = run_gate(results("v2", base_values + 0.1, **lower), results("v1", base_values, **lower))
    assert worse.verdict("wer").verdict == "regressed"
    assert worse.verdict("wer").difference == pytest.approx(-0.1)  # oriented: negative = worse
    better = run_gate(results("v2", base_values - 0.1, **lower), results("v1", base_values, **lower))
    assert better.verdict("wer").verdict == "improved"


def test_pairs_by_sample_id_whatever_the_row_order():
    rng = np.random.default_rng(3)
    base = rng.normal(0, 1, 100)  # a wide spread across samples: only true pairing sees the tiny change
    ids = [f"item{i}" for i in range(100)]
    order = rng.permutation(100)
    cand = results("v2", (base + 0.001)[order], ids=[ids[i] for i in order], groups=[f"g{i}" for i in order])
    gate = run_gate(
        cand,
        results("v1", base, ids=ids, groups=[f"g{i}" for i in range(100)]),
        policy=GatePolicy(margins={"m": Margin(abs=0.01)}),
    )
    verdict = gate.verdict("m")
    assert verdict.method.startswith("paired by sample_id")
    assert verdict.difference == pytest.approx(0.001)
    assert verdict.verdict == "equivalent"


def test_falls_back_to_group_when_no_sample_id_is_shared():
    rng = np.random.default_rng(4)
    base = rng.normal(0.5, 0.2, 60)
    groups = [f"prompt{i // 2}" for i in range(60)]  # two samples per prompt
    cand = results("v2", base - 0.2, ids=[f"v2/{i}" for i in range(60)], groups=groups)
    gate = run_gate(cand, results("v1", base, ids=[f"v1/{i}" for i in range(60)], groups=groups))
    verdict = gate.verdict("m")
    assert verdict.method == "paired by group"
    assert verdict.n_pairs == 30
    assert verdict.verdict == "regressed"
    assert verdict.worst_samples and verdict.worst_samples[0].startswith("prompt")


def test_per_emotion_gating_catches_a_regression_confined_to_one_emotion():
    rng = np.random.default_rng(6)
    emotions = ["happy", "sad", "angry", "neutral"] * 40
    base = rng.normal(0.8, 0.03, 160)
    cand = base + rng.normal(0, 0.005, 160) - np.where(np.asarray(emotions) == "sad", 0.1, 0.0)
    overall = run_gate(results("v2", cand, emotions=emotions), results("v1", base, emotions=emotions))
    assert overall.verdict("m").verdict != "regressed"  # -0.025 on average: within the 5 % margin
    assert overall.passed
    gated = run_gate(
        results("v2", cand, emotions=emotions),
        results("v1", base, emotions=emotions),
        policy=GatePolicy(per_emotion=True),
    )
    assert gated.verdict("m", target_emotion="sad").verdict == "regressed"
    assert {gated.verdict("m", target_emotion=e).verdict for e in ("happy", "angry", "neutral")} == {"equivalent"}
    assert not gated.passed
    assert any("emotion sad" in failure for failure in gated.failures)


def test_holm_adjustment_across_outputs_equals_multipletests(base_values):
    rng = np.random.default_rng(7)
    parts_c, parts_b = [], []
    for k, shift in enumerate([-0.1, -0.045, -0.04, 0.0, 0.02]):
        noise = rng.normal(0, 0.03, 200)
        parts_b.append(results("v1", base_values, metric=f"m{k}"))
        parts_c.append(results("v2", base_values + shift + noise, metric=f"m{k}"))
    gate = run_gate(joined(*parts_c), joined(*parts_b))
    p = [v.p_regressed for v in gate.verdicts]
    reference = multipletests(p, alpha=0.05, method="holm")[1]
    for verdict, adjusted in zip(gate.verdicts, reference, strict=True):
        if verdict.verdict in ("regressed", "inconclusive"):
            assert verdict.adjusted == pytest.approx(adjusted)
    assert gate.verdict("m0").verdict == "regressed"
    assert gate.verdict("m3").verdict == "equivalent"


def test_margin_zero_makes_equivalent_impossible(base_values):
    gate = run_gate(
        results("v2", base_values), results("v1", base_values), policy=GatePolicy(default_margin=Margin(abs=0.0))
    )
    verdict = gate.verdict("m")
    assert verdict.verdict == "inconclusive"
    assert "equivalent' is impossible" in verdict.note
    assert verdict.n_needed is None


def test_a_rise_of_error_rows_fails_per_policy(base_values):
    failed = [f"s{i:03d}" for i in range(10)]
    cand = results("v2", base_values, errors=failed)
    gate = run_gate(cand, results("v1", base_values))
    assert not gate.passed
    assert any("error rows rose from 0/200 to 10/200" in failure for failure in gate.failures)
    tolerant = run_gate(cand, results("v1", base_values), policy=GatePolicy(max_error_rate_increase=0.1))
    assert tolerant.passed
    assert tolerant.error_rates[0]["rise"] == pytest.approx(0.05)


def test_a_missing_metric_fails_per_policy(base_values):
    base = joined(results("v1", base_values, metric="m"), results("v1", base_values, metric="k"))
    cand = results("v2", base_values, metric="m")
    gate = run_gate(cand, base)
    assert not gate.passed
    assert gate.failures == ["k/score: in the baseline but missing from the candidate"]
    lenient = run_gate(cand, base, policy=GatePolicy(fail_on_missing_metric=False))
    assert lenient.passed and "k/score: in the baseline but missing from the candidate" in lenient.warnings


def test_a_metric_missing_for_one_system_only_is_missing(base_values):
    base = joined(results("a", base_values, metric="m"), results("b", base_values, metric="m"))
    cand = joined(results("a", base_values, metric="m"), results("b", base_values, metric="k"))
    gate = run_gate(cand, base)
    assert "m/score [b]: in the baseline but missing from the candidate" in gate.failures
    assert gate.verdict("m").system == "a"


def test_fewer_shared_samples_warn_or_fail_per_policy(base_values):
    cand = results("v2", base_values[:150])
    gate = run_gate(cand, results("v1", base_values))
    assert gate.passed
    assert any("shares 150 of the baseline's 200 samples" in warning for warning in gate.warnings)
    strict = run_gate(cand, results("v1", base_values), policy=GatePolicy(fail_on_fewer_samples=True))
    assert not strict.passed


def test_explicit_outputs_margins_and_unknown_output(base_values):
    base = joined(results("v1", base_values, metric="m"), results("v1", base_values, metric="k"))
    cand = joined(results("v2", base_values - 0.03, metric="m"), results("v2", base_values - 0.2, metric="k"))
    policy = GatePolicy(outputs=("m/score",), margins={"m/score": {"abs": 0.05}})
    gate = run_gate(cand, base, policy=policy)
    assert [v.output for v in gate.verdicts] == ["m/score"]  # k is not gated
    assert gate.verdict("m").margin == 0.05 and gate.verdict("m").verdict == "equivalent"
    with pytest.raises(GateError, match=r"names no metric of either side.*did you mean 'm'"):
        run_gate(cand, base, policy=GatePolicy(outputs=("mm/score",)))


def test_systems_pair_by_name_or_on_request(base_values):
    two_base = joined(results("a", base_values), results("b", base_values))
    two_cand = joined(results("x", base_values), results("y", base_values - 0.1))
    with pytest.raises(GateError, match="cannot pair systems"):
        run_gate(two_cand, two_base)
    gate = run_gate(two_cand, two_base, systems={"y": "b"})
    assert gate.systems == {"y": "b"} and gate.verdict("m").verdict == "regressed"
    same_names = run_gate(joined(results("a", base_values), results("b", base_values - 0.1)), two_base)
    assert {v.system: v.verdict for v in same_names.verdicts} == {"a": "equivalent", "b": "regressed"}
