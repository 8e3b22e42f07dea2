"""emoeval's pytest plugin, run the way users run it: pytest in a fresh process (numpy cannot be imported twice into
one process), with the plugin found through its ``pytest11`` entry point.

The gating scenarios share four sessions (the ``sessions`` fixture: each session starts Python, imports torch and
loads the models once for all its scenarios); each test then checks its own scenarios' per-test outcomes and
failure messages in those runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "generator_example.py"
#: the example's test that gates against its baseline
EXAMPLE_GATED = "test_the_generator_keeps_identity_and_does_not_regress"

#: the scenarios' test file: each test scores its replies (read from scenarios.json) with the marker's model-free
#: corpus metric and gates them; a scenario's "baseline" / "policy" are fixture arguments (they win over the command
#: line); without them the command line's --emoeval-baseline / --emoeval-policy apply
REPLIES_TEST = """
import json, pathlib
import pytest
from emoeval.gate import GatePolicy

SCENARIOS = json.loads(pathlib.Path(__file__).with_name("scenarios.json").read_text())

@pytest.mark.emoeval(metrics=["text_distinct_n"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_replies(name, emoeval_score, emoeval_gate):
    scenario = SCENARIOS[name]
    outputs = [{"sample_id": f"bot/{i}", "system": "bot", "text": text} for i, text in enumerate(scenario["texts"])]
    results = emoeval_score(outputs, out=scenario["out"], overwrite=True)
    policy = GatePolicy() if scenario.get("policy") == "default" else None  # the default, given explicitly
    result = emoeval_gate(results, baseline=scenario.get("baseline"), policy=policy)
    pathlib.Path(scenario["verdicts"]).write_text(json.dumps(result.to_json()["verdicts"]))
"""
VARIED = "Oh no, I'm so sorry.|That is wonderful news!|Why would they do that?|Take care, friend.|" * 3
GENERIC = "I don't know.|" * 12
HALF = "|".join(VARIED.split("|")[:6] + GENERIC.split("|")[:6])

#: in-memory images and audio, scored in a session that writes an HTML report
MEDIA_TEST = """
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


@pytest.fixture(autouse=True)
def _nothing_imported_in_process(pytester):
    """Everything runs in subprocesses: a module first imported here, after pytester's snapshot of sys.modules, is
    dropped when pytester tears down, and a later import of numpy in this process then fails ("cannot load module
    more than once"), breaking every test module that runs after this one."""
    before = set(sys.modules)
    yield
    added = sorted(set(sys.modules) - before)
    assert not added, f"imported in the test process (run it in a subprocess instead): {added[:8]}"


def _environment(folder: Path) -> dict[str, str]:
    """The environment pytester gives its subprocesses (no outer pytest options, HOME in the test folder, no
    colours, the folder on PYTHONPATH), with the isolated emoeval folders of conftest's ``isolated_emoeval_dirs``."""
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "TOX_ENV_DIR"):
        env.pop(name, None)
    env.update(
        HOME=str(folder),
        USERPROFILE=str(folder),
        PY_COLORS="0",
        EMOEVAL_CACHE_DIR=str(folder / "emoeval-home" / "cache"),
        EMOEVAL_MODELS_DIR=str(folder / "emoeval-home" / "models"),
        EMOEVAL_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH", "")])),
    )
    return env


def _run(folder: Path, *args: str) -> pytest.RunResult:
    """``pytest -v *args`` in a fresh process in ``folder``, as pytester's ``runpytest_subprocess`` runs it."""
    started = time.monotonic()
    basetemp = tempfile.mkdtemp(prefix="runpytest-", dir=folder)
    command = [sys.executable, "-m", "pytest", f"--basetemp={basetemp}", "-p", "no:cacheprovider", "-v", *args]
    done = subprocess.run(command, cwd=folder, env=_environment(folder), capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    print("running:", *command, f"\n({took:.1f} s)\n", done.stdout, done.stderr)  # shown when a test using it fails
    return pytest.RunResult(done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), took)


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """``{test id: PASSED / FAILED / ...}`` from a ``pytest -v`` run's per-test lines."""
    line = re.compile(r"^\S+::(\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
    return {match[1]: match[2] for text in result.outlines if (match := line.match(text))}


def _expect(result: pytest.RunResult, expected: dict[str, str]) -> None:
    """Each test of ``{test id: outcome}`` had that outcome in the run (the run's output is the failure message)."""
    outcomes = _outcomes(result)
    got = {test_id: outcomes.get(test_id, "not run") for test_id in expected}
    assert got == expected, "\n".join(result.outlines + result.errlines)


def _failure(result: pytest.RunResult, test_id: str) -> pytest.LineMatcher:
    """The lines of one test's section in a run's FAILURES report (so a message is matched to its own test)."""
    header = re.compile(r"^_{3,} (\S+) _{3,}$")
    lines = result.outlines
    starts = [i for i, text in enumerate(lines) if (match := header.match(text)) and match[1] == test_id]
    assert starts, f"{test_id} has no failure report in:\n" + result.stdout.str()
    end = next(
        (i for i in range(starts[0] + 1, len(lines)) if header.match(lines[i]) or lines[i].startswith("====")),
        len(lines),
    )
    return pytest.LineMatcher(lines[starts[0] : end])


@dataclass
class Sessions:
    """Four pytest sessions, in order, each running several scenarios (one subprocess start, import of torch and
    load of models per session instead of per scenario):

    1. ``write``: --emoeval-update-baseline writes the baseline of varied replies (--emoeval-baseline) and the README
       example's baseline; in-memory images and audio are scored; --emoeval-report writes the session's report;
    2. ``gate``: against it (default policy) — varied replies pass, generic ones regress, a missing baseline and one
       with a stale metric version fail; the README example's gated test passes against the example's baseline;
    3. ``rewrite``: --emoeval-update-baseline over a copy of the baseline, from generic replies;
    4. ``after``: with --emoeval-policy (a lenient margin), half-generic replies pass against the first baseline;
       generic replies pass against the rewritten baseline (under the default policy, given explicitly).
    """

    folder: Path
    write: pytest.RunResult
    gate: pytest.RunResult
    rewrite: pytest.RunResult
    after: pytest.RunResult
    written: bytes  # the baseline as the first session wrote it
    stale_lines: tuple[list[str], list[str]]  # the baseline's lines, then with the metric version made stale
    example_baseline_written: bool  # the README example's baseline existed after the first session
    report: Path


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Sessions:
    folder = tmp_path_factory.mktemp("plugin_sessions")
    (folder / "test_replies.py").write_text(REPLIES_TEST)
    (folder / "test_media.py").write_text(MEDIA_TEST)
    shutil.copy(EXAMPLE, folder / "test_generator.py")
    baseline, rewritten, stale = folder / "baseline.csv", folder / "rewritten.csv", folder / "stale.csv"
    lenient, report = _lenient_policy(folder), folder / "session.html"
    (folder / "verdicts").mkdir()

    def scenarios(**chosen: dict) -> None:
        for name, scenario in chosen.items():
            scenario["texts"] = scenario["texts"].rstrip("|").split("|")
            scenario.update(out=str(folder / "results" / name), verdicts=str(folder / "verdicts" / f"{name}.json"))
        (folder / "scenarios.json").write_text(json.dumps(chosen))

    scenarios(varied={"texts": VARIED})
    write = _run(
        folder,
        "test_replies.py",
        "test_generator.py",
        "test_media.py",
        "--emoeval-update-baseline",
        f"--emoeval-baseline={baseline}",
        f"--emoeval-report={report}",
    )
    written, example_baseline_written = baseline.read_bytes(), (folder / "generator_baseline.csv").is_file()

    lines = baseline.read_text().splitlines()
    stale_lines = [line.replace(",1.2.0,", ",0.9.0,") if line.startswith("provenance,") else line for line in lines]
    stale.write_text("\n".join(stale_lines) + "\n")
    scenarios(
        missing={"texts": VARIED, "baseline": str(folder / "never_written.csv")},
        same={"texts": VARIED},
        regressed={"texts": GENERIC},
        stale={"texts": VARIED, "baseline": str(stale)},
    )
    # the example's gated test only: its other test does not read the baseline, and ran in the first session
    gate = _run(folder, "test_replies.py", f"test_generator.py::{EXAMPLE_GATED}", f"--emoeval-baseline={baseline}")

    shutil.copy(baseline, rewritten)
    scenarios(generic={"texts": GENERIC})
    rewrite = _run(folder, "test_replies.py", "--emoeval-update-baseline", f"--emoeval-baseline={rewritten}")
    scenarios(
        half={"texts": HALF, "baseline": str(baseline)},  # --emoeval-policy: the lenient policy
        generic={"texts": GENERIC, "policy": "default"},  # --emoeval-baseline: the rewritten baseline
    )
    after = _run(folder, "test_replies.py", f"--emoeval-baseline={rewritten}", f"--emoeval-policy={lenient}")
    return Sessions(
        folder, write, gate, rewrite, after, written, (lines, stale_lines), example_baseline_written, report
    )


def test_the_options_are_listed_in_their_own_group(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["emoeval: score generated faces*", "*--emoeval-baseline=PATH*"])
    for option in ("--emoeval-update-baseline", "--emoeval-report=PATH", "--emoeval-policy=PATH"):
        assert option in result.stdout.str()


def test_update_baseline_then_gate_then_a_regression_fails_with_the_table(sessions):
    _expect(sessions.gate, {"test_replies[missing]": "FAILED"})
    _failure(sessions.gate, "test_replies[missing]").fnmatch_lines(
        ["*the baseline * does not exist; write it with pytest --emoeval-update-baseline*"]
    )

    _expect(sessions.write, {"test_replies[varied]": "PASSED"})
    assert b"text_distinct_n" in sessions.written

    _expect(sessions.gate, {"test_replies[same]": "PASSED", "test_replies[regressed]": "FAILED"})
    _failure(sessions.gate, "test_replies[regressed]").fnmatch_lines(
        ["*emoeval gate failed:*", "*regressed*text_distinct_n/distinct_1 bot*"]
    )

    # --emoeval-update-baseline rewrites the baseline from this session's results
    _expect(sessions.rewrite, {"test_replies[generic]": "PASSED"})
    assert (sessions.folder / "rewritten.csv").read_bytes() != sessions.written
    _expect(sessions.after, {"test_replies[generic]": "PASSED"})


def test_a_baseline_with_stale_provenance_is_refused(sessions):
    lines, stale = sessions.stale_lines
    assert stale != lines, "the baseline should record the metric's version"
    _expect(sessions.gate, {"test_replies[stale]": "FAILED"})
    _failure(sessions.gate, "test_replies[stale]").fnmatch_lines(["*metric_version*"])


def test_each_session_ran_exactly_its_scenarios(sessions):
    """The per-scenario checks above read the right runs: nothing else passed, failed or errored in them."""
    sessions.write.assert_outcomes(passed=4)
    sessions.gate.assert_outcomes(passed=2, failed=3)
    sessions.rewrite.assert_outcomes(passed=1)
    sessions.after.assert_outcomes(passed=2)


def test_the_plugin_and_the_cli_reach_the_same_verdicts(sessions):
    folder = sessions.folder
    _expect(sessions.after, {"test_replies[half]": "PASSED"})  # under --emoeval-policy's lenient margin
    plugin = json.loads((folder / "verdicts" / "half.json").read_text())
    # the console script, as CI runs it (in this process it would import numpy after pytester's snapshot)
    emoeval_cli = shutil.which("emoeval", path=str(Path(sys.executable).parent)) or "emoeval"
    cli = subprocess.run(
        [
            emoeval_cli,
            "gate",
            str(folder / "results" / "half"),
            "--baseline",
            str(folder / "baseline.csv"),
            "--out",
            str(folder / "cli"),
            "--policy",
            str(_lenient_policy(folder)),
        ],
        cwd=folder,
        env=_environment(folder),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode in (0, 1), cli.stdout + cli.stderr
    from_cli = json.loads((folder / "cli" / "gate.json").read_text())["verdicts"]
    keys = ("metric", "sub_metric", "system", "verdict", "difference", "ci_low", "ci_high", "margin")
    assert [{k: v[k] for k in keys} for v in plugin] == [{k: v[k] for k in keys} for v in from_cli]
    assert plugin  # something was gated


def _lenient_policy(folder: Path) -> Path:
    """A policy under which the half-generic run does not fail, so the plugin test records its verdicts."""
    path = folder / "gate.toml"
    path.write_text("default_margin = {rel = 0.9}\n")
    return path


def test_in_memory_images_and_audio_are_scored_and_reported(sessions):
    _expect(sessions.write, {"test_media": "PASSED"})
    # the session's scorings: the varied replies (1), the README example (2: faces, replies), test_media (2)
    sessions.write.stdout.fnmatch_lines(["emoeval: report of 5 scoring(s) in *session.html"])
    assert sessions.report.stat().st_size > 1000 and "face_image_quality" in sessions.report.read_text()


def test_the_readme_example_file_runs(sessions):
    """The example the README points to: first run writes the baseline, the second gates against it."""
    _expect(sessions.write, {EXAMPLE_GATED: "PASSED", "test_replies_carry_the_intended_emotion": "PASSED"})
    assert sessions.example_baseline_written
    _expect(sessions.gate, {EXAMPLE_GATED: "PASSED"})


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
