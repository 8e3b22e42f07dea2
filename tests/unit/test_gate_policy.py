"""Gate policy files: load, validate (errors name the key), print and read back."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from emoeval.cli import main
from emoeval.gate import GatePolicy, Margin, PolicyError, default_policy, load_policy


def test_defaults_printed_by_print_policy_parse_back_to_the_same_policy(tmp_path):
    result = CliRunner().invoke(main, ["gate", "--print-policy"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "gate.toml"
    path.write_text(result.output)
    assert load_policy(path) == default_policy()
    assert "default_margin = {rel = 0.05}" in result.output and 'correction = "holm"' in result.output
    for key in ("outputs", "confidence", "fail_on_inconclusive", "max_error_rate_increase", "provenance", "[margins]"):
        assert key in result.output


def test_a_full_policy_round_trips_through_toml(tmp_path):
    policy = GatePolicy(
        outputs=("face_fd(embedder=dlib-face-identity)/fd", 'odd "name"/x'),
        margins={"face_identity_similarity/cosine": Margin(abs=0.01), "text_distinct_n": {"rel": 0.1}},
        default_margin=Margin(abs=1e-5),
        confidence=0.9,
        correction="bonferroni",
        n_bootstrap=500,
        seed=7,
        fail_on_inconclusive=True,
        fail_on_missing_metric=False,
        fail_on_fewer_samples=True,
        max_error_rate_increase=0.02,
        per_emotion=True,
        provenance="warn",
        repeat=3,
    )
    text = policy.to_toml()
    tomllib.loads(text)  # valid TOML
    path = tmp_path / "p.toml"
    path.write_text(text)
    assert load_policy(path) == policy
    assert load_policy(path, per_emotion=False).per_emotion is False


def test_a_policy_file_sets_what_it_names_and_keeps_other_defaults(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        'outputs = ["m/score"]\nconfidence = 0.99\n\n[margins]\n"m/score" = {abs = 0.02}\n"k" = {rel = 0.1}\n'
    )
    policy = load_policy(path)
    assert policy.outputs == ("m/score",) and policy.confidence == 0.99
    assert policy.margin_for("m", "score", headline=True) == Margin(abs=0.02)
    assert policy.margin_for("k", "head", headline=True) == Margin(rel=0.1)
    assert policy.margin_for("k", "other", headline=False) == Margin(rel=0.05)  # the default
    assert policy.correction == "holm" and policy.n_bootstrap == 2000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("per_emotoin = true", r"unknown key\(s\) 'per_emotoin' \(did you mean 'per_emotion'\?\)"),
        ("confidence = 1.5", r"confidence = 1.5: must lie strictly between 0.5 and 1"),
        ('correction = "fdr_bh"', r"correction = 'fdr_bh': use one of 'holm', 'bonferroni', 'none'"),
        ("n_bootstrap = 10", r"n_bootstrap = 10: use at least 100"),
        ('per_emotion = "yes"', r"per_emotion = 'yes': must be true or false"),
        ('outputs = "m/score"', r"outputs = 'm/score' in .*: must be a list"),
        ('provenance = "ignore"', r"provenance = 'ignore': use one of 'refuse', 'warn'"),
        ("repeat = 0", r"repeat = 0: must be 1"),
        ("max_error_rate_increase = 2.0", r"max_error_rate_increase = 2.0: must be a share"),
        ('[margins]\n"m/score" = {abs = -1}', r"margins\.'m/score': margin abs = -1: must be a finite number ≥ 0"),
        ('[margins]\n"m/score" = {abs = 1, rel = 0.1}', r"margins\.'m/score': a margin is .*exactly one"),
        ('[margins]\n"m/score" = {absolute = 1}', r"unknown margin key\(s\) 'absolute'"),
        ('[margins]\n"m/score" = 0.1', r"margins\.'m/score' = 0.1: a margin is an inline table"),
        ("default_margin = {rel = -0.1}", r"default_margin: margin rel = -0.1"),
        ("confidence = ", r"is not valid TOML"),
    ],
)
def test_bad_keys_and_values_are_errors_naming_them(tmp_path, text, message):
    path = tmp_path / "gate.toml"
    path.write_text(text + "\n")
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_the_cli_exits_2_naming_the_bad_key(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text("fail_on_regression = true\n")
    result = CliRunner().invoke(main, ["gate", "somewhere", "--baseline", "elsewhere", "--policy", str(path)])
    assert result.exit_code == 2
    assert "unknown key(s) 'fail_on_regression'" in result.output and str(path) in result.output
    missing = CliRunner().invoke(main, ["gate", "--print-policy", "--policy", str(tmp_path / "absent.toml")])
    assert missing.exit_code == 2 and "no policy file" in missing.output


def test_policy_arguments_are_validated_like_the_file():
    with pytest.raises(PolicyError, match="unknown key"):
        default_policy().replace(confidance=0.9)
    with pytest.raises(PolicyError, match="confidence"):
        GatePolicy(confidence=0.2)
    assert GatePolicy(confidence=0.9).alpha == pytest.approx(0.1)


def test_the_gate_api_imports_without_numpy_or_pandas():
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "import emoeval.gate as gate\n"
        "gate.GatePolicy, gate.default_policy().to_toml(), gate.run_gate, gate.GateResult, gate.load_baseline\n"
        "heavy = ('numpy', 'pandas', 'scipy', 'torch')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == []
