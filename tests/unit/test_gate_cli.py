"""`emoeval gate` on the command line: exit codes 0/1/2, gate.json, $GITHUB_STEP_SUMMARY, --system, --repeat."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main
from emoeval.gate import run_gate


def _manifest(folder, system: str, shrink: int = 0, n: int = 24):
    """A CSV manifest of one system: output files of 30..37 bytes (minus ``shrink``) against a 40-byte reference,
    so fake_length_ratio (higher is better) drops when ``shrink`` grows."""
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    reference = files / "ref.bin"
    reference.write_bytes(b"r" * 40)
    rows = []
    for i in range(n):
        path = files / f"{system}_{i}.bin"
        path.write_bytes(bytes([65 + i % 20]) * (30 + i % 8 - shrink))
        rows.append(
            {
                "sample_id": f"item{i}",
                "system": system,
                "modality": "face",
                "path": str(path),
                "reference": str(reference),
                "target_emotion": "happy",
                "group": f"g{i // 2}",
            }
        )
    manifest = folder / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    return manifest


def _run(folder, system: str, shrink: int = 0):
    out = folder / "results"
    emoeval.score(_manifest(folder, system, shrink), metrics=["fake_length_ratio"], out=out, n_bootstrap=100)
    return out


@pytest.fixture
def runs(tmp_path, plugin):
    return {
        "base": _run(tmp_path / "base", "v1"),
        "same": _run(tmp_path / "same", "v2"),
        "worse": _run(tmp_path / "worse", "v2", shrink=6),
    }


def _gate(*args: str):
    return CliRunner().invoke(main, ["gate", *args])


def test_exit_code_0_gate_json_and_step_summary(runs, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = _gate(str(runs["same"]), "--baseline", str(runs["base"]))
    assert result.exit_code == 0, result.output
    assert "emoeval gate: PASS" in result.output and "policy in effect:" in result.output
    data = json.loads((runs["same"] / "gate.json").read_text())  # default: the candidate folder
    assert data["passed"] is True and data["exit_code"] == 0
    assert [v["output"] for v in data["verdicts"]] == ["fake_length_ratio/ratio"]
    assert data["verdicts"][0]["verdict"] == "equivalent" and data["systems"] == {"v2": "v1"}
    assert data["policy"]["correction"] == "holm"
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "## emoeval gate: ✅ passed" in text
    assert (runs["same"] / "gate.md").read_text() == text.removeprefix("# earlier step\n")


def test_exit_code_1_on_a_regression_with_the_metric_named(runs, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "gate-out"
    result = _gate(str(runs["worse"]), "--baseline", str(runs["base"]), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "fake_length_ratio/ratio regressed" in result.output
    data = json.loads((out / "gate.json").read_text())
    assert data["passed"] is False and data["failures"][0].startswith("fake_length_ratio/ratio regressed")
    markdown = summary.read_text()
    assert "❌ regressed" in markdown and "### Worst samples" in markdown and "`item" in markdown
    # the API reaches the same verdicts
    api = run_gate(runs["worse"], runs["base"])
    assert [v["verdict"] for v in data["verdicts"]] == [v.verdict for v in api.verdicts]


def test_exit_code_2_on_usage_and_data_errors(runs, tmp_path):
    missing = _gate(str(tmp_path / "nowhere"), "--baseline", str(runs["base"]))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    no_baseline = _gate(str(runs["same"]))
    assert no_baseline.exit_code == 2 and "--baseline" in no_baseline.output
    # refused provenance: the baseline scored with another version of the metric
    results = emoeval.load_results(runs["base"])
    results.table["metric_version"] = "0.0"
    stale = tmp_path / "stale"
    results.write(stale)
    refused = _gate(str(runs["same"]), "--baseline", str(stale))
    assert refused.exit_code == 2 and "metric_version 0.1 (candidate) ≠ 0.0 (baseline)" in refused.output
    policy = tmp_path / "warn.toml"
    policy.write_text('provenance = "warn"\n')
    warned = _gate(str(runs["same"]), "--baseline", str(stale), "--policy", str(policy))
    assert warned.exit_code == 0 and "provenance differs" in warned.output
    # no shared metric
    results.table["metric"] = "other_metric"
    results.write(tmp_path / "other")
    unshared = _gate(str(runs["same"]), "--baseline", str(tmp_path / "other"))
    assert unshared.exit_code == 2 and "no metric output to gate" in unshared.output


def test_system_option_pairs_systems(runs):
    ok = _gate(str(runs["worse"]), "--baseline", str(runs["base"]), "--system", "v2=v1")
    assert ok.exit_code == 1 and "fake_length_ratio/ratio regressed" in ok.output
    bad = _gate(str(runs["worse"]), "--baseline", str(runs["base"]), "--system", "v9=v1")
    assert bad.exit_code == 2 and "no system 'v9' in the candidate" in bad.output


def test_repeat_reports_zero_spread_for_a_deterministic_metric(runs):
    result = _gate(str(runs["same"]), "--baseline", str(runs["base"]), "--repeat", "3")
    assert result.exit_code == 0, result.output
    data = json.loads((runs["same"] / "gate.json").read_text())
    (spread,) = data["repeat"]
    assert len(spread["values"]) == 3 and spread["spread"] == 0.0 and spread["max_sample_spread"] == 0.0
    assert spread["deterministic"] is True
    assert "deterministic" in result.output and "not deterministic" not in result.output


def test_repeat_flags_a_stochastic_metric(runs, plugin, monkeypatch):
    original = plugin.FakeLengthRatio.score
    rng = np.random.default_rng(0)

    def noisy(self, samples, context):
        scores = original(self, samples, context)
        return [type(s)(values={k: v + rng.normal(0, 1e-3) for k, v in s.values.items()}) for s in scores]

    monkeypatch.setattr(plugin.FakeLengthRatio, "score", noisy)
    result = _gate(str(runs["same"]), "--baseline", str(runs["base"]), "--repeat", "2")
    assert "fake_length_ratio/ratio [v2] is not deterministic" in result.output
