"""emoeval's pytest plugin, run the way users run it: pytest in a fresh process (pytester's subprocess mode: numpy
cannot be imported twice into one process), with the plugin found through its ``pytest11`` entry point."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "generator_example.py"

#: a test file scoring in-memory replies with a model-free corpus metric, gated against --emoeval-baseline
REPLIES_TEST = """
import json, os
import pytest

REPLIES = os.environ["EMOEVAL_TEST_REPLIES"].split("|")

@pytest.mark.emoeval(metrics=["text_distinct_n"])
def test_replies(emoeval_score, emoeval_gate, tmp_path):
    outputs = [{"sample_id": f"bot/{i}", "system": "bot", "text": text} for i, text in enumerate(REPLIES)]
    results = emoeval_score(outputs, out=os.environ["EMOEVAL_TEST_OUT"], overwrite=True)
    result = emoeval_gate(results)
    with open(os.environ["EMOEVAL_TEST_VERDICTS"], "w") as out:
        json.dump(result.to_json()["verdicts"], out)
"""
VARIED = "Oh no, I'm so sorry.|That is wonderful news!|Why would they do that?|Take care, friend.|" * 3
GENERIC = "I don't know.|" * 12


@pytest.fixture(autouse=True)
def _nothing_imported_in_process(pytester):
    """Everything runs in subprocesses: a module first imported here, after pytester's snapshot of sys.modules, is
    dropped when pytester tears down, and a later import of numpy in this process then fails ("cannot load module
    more than once"), breaking every test module that runs after this one."""
    before = set(sys.modules)
    yield
    added = sorted(set(sys.modules) - before)
    assert not added, f"imported in the test process (run it in a subprocess instead): {added[:8]}"


@pytest.fixture
def replies(pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_replies=REPLIES_TEST)

    def run(texts: str, *args: str):
        monkeypatch.setenv("EMOEVAL_TEST_REPLIES", texts.rstrip("|"))
        monkeypatch.setenv("EMOEVAL_TEST_OUT", str(tmp_path / "results"))
        monkeypatch.setenv("EMOEVAL_TEST_VERDICTS", str(tmp_path / "verdicts.json"))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    return run


def test_the_options_are_listed_in_their_own_group(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["emoeval: score generated faces*", "*--emoeval-baseline=PATH*"])
    for option in ("--emoeval-update-baseline", "--emoeval-report=PATH", "--emoeval-policy=PATH"):
        assert option in result.stdout.str()


def test_update_baseline_then_gate_then_a_regression_fails_with_the_table(replies, tmp_path):
    baseline = tmp_path / "baseline.csv"
    missing = replies(VARIED, f"--emoeval-baseline={baseline}")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*the baseline * does not exist; write it with pytest --emoeval-update-baseline*"])

    replies(VARIED, f"--emoeval-baseline={baseline}", "--emoeval-update-baseline").assert_outcomes(passed=1)
    written = baseline.read_bytes()
    assert b"text_distinct_n" in written

    replies(VARIED, f"--emoeval-baseline={baseline}").assert_outcomes(passed=1)
    failed = replies(GENERIC, f"--emoeval-baseline={baseline}")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*emoeval gate failed:*", "*regressed*text_distinct_n/distinct_1 bot*"])

    # --emoeval-update-baseline rewrites the baseline from this session's results
    replies(GENERIC, f"--emoeval-baseline={baseline}", "--emoeval-update-baseline").assert_outcomes(passed=1)
    assert baseline.read_bytes() != written
    replies(GENERIC, f"--emoeval-baseline={baseline}").assert_outcomes(passed=1)


def test_a_baseline_with_stale_provenance_is_refused(replies, tmp_path):
    baseline = tmp_path / "baseline.csv"
    replies(VARIED, f"--emoeval-baseline={baseline}", "--emoeval-update-baseline").assert_outcomes(passed=1)
    lines = baseline.read_text().splitlines()
    stale = [line.replace(",1.2.0,", ",0.9.0,") if line.startswith("provenance,") else line for line in lines]
    assert stale != lines, "the baseline should record the metric's version"
    baseline.write_text("\n".join(stale) + "\n")
    result = replies(VARIED, f"--emoeval-baseline={baseline}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*metric_version*"])


def test_the_plugin_and_the_cli_reach_the_same_verdicts(pytester, replies, tmp_path):
    baseline = tmp_path / "baseline.csv"
    replies(VARIED, f"--emoeval-baseline={baseline}", "--emoeval-update-baseline").assert_outcomes(passed=1)
    half = "|".join(VARIED.split("|")[:6] + GENERIC.split("|")[:6])
    replies(half, f"--emoeval-baseline={baseline}", "--emoeval-policy=" + str(_lenient_policy(tmp_path)))
    plugin = json.loads((tmp_path / "verdicts.json").read_text())
    # the console script, as CI runs it (in this process it would import numpy after pytester's snapshot)
    emoeval_cli = shutil.which("emoeval", path=str(Path(sys.executable).parent)) or "emoeval"
    cli = pytester.run(
        emoeval_cli,
        "gate",
        str(tmp_path / "results"),
        "--baseline",
        str(baseline),
        "--out",
        str(tmp_path / "cli"),
        "--policy",
        str(_lenient_policy(tmp_path)),
    )
    assert cli.ret in (0, 1), cli.stdout.str() + cli.stderr.str()
    from_cli = json.loads((tmp_path / "cli" / "gate.json").read_text())["verdicts"]
    keys = ("metric", "sub_metric", "system", "verdict", "difference", "ci_low", "ci_high", "margin")
    assert [{k: v[k] for k in keys} for v in plugin] == [{k: v[k] for k in keys} for v in from_cli]
    assert plugin  # something was gated


def _lenient_policy(tmp_path: Path) -> Path:
    """A policy under which the half-generic run does not fail, so the plugin test records its verdicts."""
    path = tmp_path / "gate.toml"
    path.write_text("default_margin = {rel = 0.9}\n")
    return path


def test_in_memory_images_and_audio_are_scored_and_reported(pytester, tmp_path):
    pytester.makepyfile(
        test_media=textwrap.dedent(
            """
            import numpy as np

            def test_media(emoeval_score):
                rng = np.random.default_rng(0)
                face = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8)
                outputs = [
                    {"sample_id": f"gan/{i}", "system": "gan", "reference": face,
                     "image": np.clip(face.astype(int) + i, 0, 255).astype(np.uint8)}
                    for i in range(3)
                ]
                results = emoeval_score(outputs, metrics=["face_image_quality"], n_bootstrap=50)
                ssim = results.table.query("scope == 'sample' and sub_metric == 'ssim'").value
                assert len(ssim) == 3 and ssim.iloc[0] == 1.0 and ssim.iloc[2] < 1.0
                t = np.arange(16000) / 16000
                voice = 0.3 * np.sin(2 * np.pi * 140 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
                speech = emoeval_score([{"sample_id": "tts/0", "system": "tts", "audio": (voice, 16000)}],
                                       metrics=["speech_prosody_descriptors"], n_bootstrap=0)
                f0 = speech.table.query("sub_metric == 'f0_mean_hz'").value.iloc[0]
                assert abs(f0 - 140) < 5
            """
        )
    )
    report = tmp_path / "session.html"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--emoeval-report={report}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["emoeval: report of 2 scoring(s) in *session.html"])
    assert report.stat().st_size > 1000 and "face_image_quality" in report.read_text()


def test_the_readme_example_file_runs(pytester):
    """The example the README points to: first run writes the baseline, the second gates against it."""
    shutil.copy(EXAMPLE, pytester.path / "test_generator.py")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--emoeval-update-baseline").assert_outcomes(passed=2)
    assert (pytester.path / "generator_baseline.csv").is_file()
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_session_that_does_not_use_the_plugin_imports_nothing_heavy(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        test_plain=textwrap.dedent(
            """
            import sys

            def test_plain():
                heavy = sorted(name for name in ("numpy", "pandas", "torch", "emoeval.api") if name in sys.modules)
                assert heavy == [], heavy
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "emoeval.pytest_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_readme_snippet_is_taken_from_the_example_file():
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing a generator with pytest", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert snippet, "the README lost its pytest example"
    example = EXAMPLE.read_text(encoding="utf-8")

    def code(line: str) -> str:
        return line.split("  #", 1)[0].strip()

    example_lines = {code(line) for line in example.splitlines()}
    missing = [line for line in snippet.group(1).splitlines() if code(line) and code(line) not in example_lines]
    assert not missing, f"README lines not in {EXAMPLE.name}: {missing}"
