"""The generation harness (emoeval.generation): prompt sets, the three adapters, timing statistics against direct
computations, warm-up, timeouts, crashes, resuming, and the manifest scoring reads."""

from __future__ import annotations

import http.server
import io
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from emoeval.errors import ManifestError, RunConfigError
from emoeval.generation import Limits, generate, read_requests
from emoeval.generation.adapters import CommandGenerator, load_generator
from emoeval.generation.requests import Request
from emoeval.generation.timing import CallRecord, summarise

PY = sys.executable


def _prompts(count: int = 6, modality: str = "text") -> list[dict]:
    emotions = ["happy", "sad", "angry"]
    return [
        {
            "request_id": f"r{i}",
            "modality": modality,
            "target_emotion": emotions[i % 3],
            "text": f"sentence number {i}",
            "context": json.dumps([f"hello {i}", "how are you?"]),
            "group": f"g{i // 2}",
            "speaker": f"spk{i % 2}",
        }
        for i in range(count)
    ]


def _responder(request: dict) -> str:
    """A templated dialogue responder (the callable generator of the tests)."""
    return f"I hear you are {request['target_emotion']}: {request['context'][-1]}"


def _table(run) -> pd.DataFrame:
    return run.results.table


def _system(run, name: str) -> pd.Series:
    table = _table(run)
    return table[(table.scope == "system") & (table.sub_metric == name)].iloc[0]


# -- prompt sets ---------------------------------------------------------------------------------------------------


def test_a_prompt_set_reads_references_contexts_labels_and_extra_columns(tmp_path):
    (tmp_path / "faces").mkdir()
    frame = pd.DataFrame(
        [
            {"request_id": "a", "modality": "face", "target_emotion": "Joy", "reference": "faces/x.png", "seed": "3"},
            {"request_id": "b", "modality": "text", "context": '["hi", "so?"]', "intensity": "0.5"},
        ]
    )
    frame.to_csv(tmp_path / "prompts.csv", index=False)
    first, second = read_requests(tmp_path / "prompts.csv")
    assert first.target_emotion == "happy" and first.reference == str(tmp_path / "faces" / "x.png")
    assert first.meta == {"seed": "3"} and first.fields()["seed"] == "3"
    assert second.context == ("hi", "so?") and second.intensity == 0.5 and second.target_emotion is None
    pd.DataFrame([{"request_id": "a", "modality": "text"}] * 2).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(ManifestError, match=r"row 3: request_id 'a' is also on row 2"):
        read_requests(tmp_path / "dup.csv")
    with pytest.raises(ManifestError, match=r"unknown emotion label .bliss.*known labels"):
        read_requests([{"request_id": "a", "modality": "text", "target_emotion": "bliss"}])
    with pytest.raises(ManifestError, match="column 'modality' is empty"):
        read_requests([{"request_id": "a", "text": "x"}])


# -- timing statistics ---------------------------------------------------------------------------------------------


def test_percentiles_and_their_request_bootstrap_equal_a_direct_computation():
    from emoeval.stats.aggregate import BootstrapSettings

    rng = np.random.default_rng(3)
    latencies = {f"r{i}": rng.gamma(2.0, 0.05, size=3) for i in range(25)}  # 3 repeats per request
    records = [
        CallRecord(request_id=rid, repeat=r, latency_s=float(v), rtf=float(v) / 2.0)
        for rid, values in latencies.items()
        for r, v in enumerate(values)
    ]
    found = summarise(records, BootstrapSettings(n_resamples=400, seed=11))
    pooled = np.concatenate(list(latencies.values()))
    for q in (50, 90, 99):
        assert found[f"latency_p{q}_s"].value == np.percentile(pooled, q)
        assert found[f"rtf_p{q}"].value == pytest.approx(np.percentile(pooled / 2.0, q), rel=1e-12)
    assert found["latency_mean_s"].value == pytest.approx(pooled.mean(), rel=1e-12)
    assert found["throughput_per_s"].value == pytest.approx(pooled.size / pooled.sum(), rel=1e-12)
    assert found["latency_p50_s"].n == 75
    # the interval: requests drawn with replacement (all repeats of a drawn request kept), 2.5 / 97.5 % quantiles
    groups = list(latencies.values())
    draw = np.random.default_rng(11)
    values = []
    for _ in range(400):
        picked = draw.integers(0, len(groups), size=len(groups))
        values.append(np.percentile(np.concatenate([groups[i] for i in picked]), 90))
    low, high = np.quantile(values, [0.025, 0.975])
    assert (found["latency_p90_s"].ci_low, found["latency_p90_s"].ci_high) == pytest.approx((low, high), rel=1e-12)


# -- the callable adapter ------------------------------------------------------------------------------------------


def test_a_callable_responder_gives_a_manifest_scoring_reads_and_timings_from_its_log(tmp_path):
    from emoeval.samples import load_samples

    run = generate(_prompts(6), _responder, tmp_path / "run", system="templated", repeat=2, n_bootstrap=200)
    samples = load_samples(run.manifest)
    assert [s.sample_id for s in samples] == [f"r{i}" for i in range(6)]
    assert samples[0].system == "templated" and samples[0].target_emotion == "happy" and samples[0].group == "g0"
    assert samples[5].value("output") == "I hear you are angry: how are you?"
    calls = [json.loads(line) for line in (run.folder / "calls.jsonl").read_text().splitlines()]
    assert len(calls) == 12 and not any(c["warmup"] for c in calls)
    pooled = np.array([c["latency_s"] for c in calls])
    assert _system(run, "latency_p50_s").value == np.percentile(pooled, 50)
    table = _table(run)
    per_request = table[(table.scope == "sample") & (table.sub_metric == "latency_s")].set_index("sample_id").value
    assert per_request["r3"] == pytest.approx(np.mean([c["latency_s"] for c in calls if c["request_id"] == "r3"]))
    record = json.loads((run.folder / "run.json").read_text())
    assert record["hardware"]["logical_cores"] >= 1 and record["generation"]["measured_calls"] == 12
    assert record["environment"]["packages"]["numpy"] == np.__version__
    assert (run.folder / "results.csv").is_file()


def test_warm_up_calls_are_logged_but_never_measured(tmp_path):
    seen: list[str] = []

    def slow_first(request: dict) -> str:
        seen.append(request["request_id"])
        if len(seen) <= 2:
            time.sleep(0.3)  # lazy loading, cold caches
        return "ok"

    run = generate(_prompts(4), slow_first, tmp_path / "run", warmup=2, n_bootstrap=0)
    assert seen == ["r0", "r1", "r0", "r1", "r2", "r3"]
    assert _system(run, "latency_p99_s").value < 0.1
    assert _system(run, "latency_p50_s").n == 4
    calls = [json.loads(line) for line in (run.folder / "calls.jsonl").read_text().splitlines()]
    assert [c["latency_s"] > 0.29 for c in calls if c["warmup"]] == [True, True]


def test_an_in_process_torch_generator_reports_its_peak_accelerator_memory(tmp_path, monkeypatch):
    """No GPU here: torch.cuda's memory counters are replaced by a fake device whose peak each call sets."""
    torch = pytest.importorskip("torch")
    device = {"peak": 0.0, "resets": 0}

    def reset(*args, **kwargs) -> None:
        device.update(peak=0.0, resets=device["resets"] + 1)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", reset)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *args, **kwargs: device["peak"])

    def on_gpu(request: dict) -> str:
        assert device["peak"] == 0.0  # reset before every call
        device["peak"] = {"r0": 100e6, "r1": 300e6}.get(request["request_id"], 200e6)
        return "ok"

    run = generate(_prompts(3), on_gpu, tmp_path / "run", warmup=1, n_bootstrap=0)
    table = _table(run)
    per_request = table.query("scope == 'sample' and sub_metric == 'accelerator_peak_mb'")
    assert per_request.set_index("sample_id").value.to_dict() == {"r0": 100.0, "r1": 300.0, "r2": 200.0}
    assert _system(run, "accelerator_peak_max_mb").value == 300.0 and device["resets"] == 4
    assert json.loads((run.folder / "run.json").read_text())["hardware"]["accelerator"] == "Fake GPU"
    # a command's accelerator memory is not this process's: none is recorded for it
    command = generate(_prompts(2), f"cmd:{sys.executable} -c print(1)", tmp_path / "command", n_bootstrap=0)
    assert not {"accelerator_peak_mb", "accelerator_peak_max_mb"} & set(_table(command).sub_metric)


def test_a_crash_and_a_hang_become_error_rows_and_the_rest_completes(tmp_path):
    def fragile(request: dict) -> str:
        if request["request_id"] == "r1":
            raise ValueError("model exploded")
        if request["request_id"] == "r2":
            time.sleep(30)
        return "fine"

    run = generate(_prompts(5), fragile, tmp_path / "run", timeout=0.5, n_bootstrap=0)
    errors = run.errors.set_index("sample_id").error
    assert "ValueError: model exploded" in errors["r1"]
    assert "no output after 0.5 s (timeout)" in errors["r2"]
    assert sorted(json.loads(line)["sample_id"] for line in run.manifest.read_text().splitlines()) == ["r0", "r3", "r4"]
    assert _system(run, "latency_p50_s").n == 3


def test_a_streaming_callable_reports_its_first_chunk(tmp_path):
    def streaming(request: dict):
        yield "Hello"
        time.sleep(0.2)
        yield ", world"

    run = generate(_prompts(2), streaming, tmp_path / "run", n_bootstrap=0)
    table = _table(run)
    rows = table[table.scope == "sample"].pivot_table(index="sample_id", columns="sub_metric", values="value")
    assert (rows.first_output_s < 0.05).all() and (rows.latency_s > 0.19).all()
    assert json.loads(run.manifest.read_text().splitlines()[0])["text"] == "Hello, world"


def test_a_speech_callable_is_stored_as_wav_with_its_real_time_factor(tmp_path):
    def tts(request: dict):
        time.sleep(0.05)
        seconds = 0.5 + 0.25 * int(request["request_id"][1:])
        t = np.arange(int(16000 * seconds)) / 16000
        return 0.3 * np.sin(2 * np.pi * 220 * t), 16000

    run = generate(_prompts(3, "speech"), tts, tmp_path / "run", n_bootstrap=0)
    calls = {c["request_id"]: c for c in map(json.loads, (run.folder / "calls.jsonl").read_text().splitlines())}
    for i in range(3):
        audio, rate = sf.read(run.folder / "outputs" / f"r{i}.wav")
        assert rate == 16000 and len(audio) / rate == pytest.approx(0.5 + 0.25 * i)
        assert calls[f"r{i}"]["rtf"] == pytest.approx(calls[f"r{i}"]["latency_s"] / (0.5 + 0.25 * i))


def test_a_callable_from_a_file_spec_and_a_bad_spec(tmp_path):
    module = tmp_path / "my_generator.py"
    module.write_text("def reply(request):\n    return request['text'].upper()\n")
    run = generate(_prompts(2), f"{module}:reply", tmp_path / "run", n_bootstrap=0)
    assert json.loads(run.manifest.read_text().splitlines()[1])["text"] == "SENTENCE NUMBER 1"
    with pytest.raises(RunConfigError, match="has no callable 'nothing'"):
        generate(_prompts(1), f"{module}:nothing", tmp_path / "run2")
    with pytest.raises(RunConfigError, match="give module:function"):
        load_generator("not a spec")


# -- the command adapter -------------------------------------------------------------------------------------------

_ECHO = f"cmd:{PY} -c 'import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[3])' {{output}} -- {{text}}"


def test_shell_metacharacters_in_a_prompt_stay_one_literal_argument(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = "$(touch pwned1); touch pwned2 && `touch pwned3` | cat > pwned4 'x' \"y\" {output} \\n *"
    prompts = [
        {"request_id": "evil", "modality": "text", "text": hostile},
        {"request_id": "dash", "modality": "text", "text": "--help"},
    ]
    run = generate(prompts, _ECHO, tmp_path / "run", n_bootstrap=0)
    lines = [json.loads(line) for line in run.manifest.read_text().splitlines()]
    assert [line["text"] for line in lines] == [hostile, "--help"]
    assert not any(tmp_path.glob("pwned*"))


def test_a_command_template_is_split_once_and_names_missing_values():
    generator = CommandGenerator("cmd:tts --voice {speaker} --emotion {target_emotion} -o {output} -- {text}")
    request = Request("r1", "speech", target_emotion="sad", text="a b; c", meta={"speaker": "x y"})
    argv, output = generator.arguments(request, Path("/out/r1"))
    assert argv == ["tts", "--voice", "x y", "--emotion", "sad", "-o", "/out/r1.wav", "--", "a b; c"]
    assert output == Path("/out/r1.wav")
    with pytest.raises(Exception, match=r"needs \{speaker\}.*no value"):
        generator.arguments(Request("r2", "speech", target_emotion="sad", text="t"), Path("/out/r2"))
    with pytest.raises(RunConfigError, match="plain column name"):
        CommandGenerator("cmd:tts {text.__class__}")


def test_a_command_that_fails_or_hangs_is_an_error_row_and_a_killed_process(tmp_path):
    script = tmp_path / "gen.py"
    script.write_text(
        "import sys, time, pathlib\n"
        "rid = sys.argv[2]\n"
        "if rid == 'r1': sys.exit('no voice for this emotion')\n"
        "if rid == 'r2': time.sleep(60)\n"
        "pathlib.Path(sys.argv[1]).write_text('reply ' + rid)\n"
    )
    run = generate(
        _prompts(4), f"cmd:{PY} {script} {{output}} {{request_id}}", tmp_path / "run", timeout=1.0, n_bootstrap=0
    )
    errors = run.errors.set_index("sample_id").error
    assert "exited with status 1: no voice for this emotion" in errors["r1"]
    assert "after 1 s (timeout; killed)" in errors["r2"]
    assert _system(run, "latency_p50_s").n == 2


def test_a_command_reports_its_own_peak_memory_threads_and_memory_cap(tmp_path):
    allocate = f"cmd:{PY} -c 'import os; b = bytearray(150_000_000); print(os.environ.get(\"OMP_NUM_THREADS\"))'"
    run = generate(_prompts(2), allocate, tmp_path / "run", limits=Limits(threads=1), n_bootstrap=0)
    table = _table(run)
    peaks = table[(table.scope == "sample") & (table.sub_metric == "peak_rss_mb")].value
    assert (peaks > 150).all() and (peaks < 400).all()
    assert [json.loads(line)["text"] for line in run.manifest.read_text().splitlines()] == ["1", "1"]
    capped = generate(_prompts(1), allocate, tmp_path / "capped", limits=Limits(memory_mb=100), n_bootstrap=0)
    assert "MemoryError" in capped.errors.error.iloc[0]
    # a small command started while the harness holds 400 MB reports its own few MB, never the harness's size
    ballast = np.ones(50_000_000)  # noqa: F841 - held while generating
    small = generate(_prompts(1), "cmd:true", tmp_path / "small", n_bootstrap=0)
    (peak,) = small.results.table.query("sub_metric == 'peak_rss_mb'").value
    assert peak < 30 and "floor a trivial command reports" in small.results.table.warning.iloc[0]
    # every call at the floor: the system's peak is marked as an upper bound (the report prints "≤")
    (bound,) = small.results.table.query("sub_metric == 'peak_rss_max_mb'").warning
    assert bound.startswith("an upper bound")
    big = run.results.table.query("sub_metric == 'peak_rss_max_mb'").warning
    assert big.isna().all()
    from emoeval.reports.cost import cost_section

    (row,) = cost_section(small.results, [], {}).rows
    assert row.costs["peak_rss_max_mb"].at_most and not row.costs["latency_p50_s"].at_most


# -- the HTTP adapter ----------------------------------------------------------------------------------------------


class _TTSHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request["request_id"] == "r1":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"out of voices")
            return
        t = np.arange(8000) / 16000
        buffer = io.BytesIO()
        sf.write(buffer, 0.2 * np.sin(2 * np.pi * 300 * t), 16000, format="WAV", subtype="PCM_16")
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.end_headers()
        self.wfile.write(buffer.getvalue())

    def log_message(self, *args) -> None:
        pass


def test_an_http_endpoint_on_localhost_serves_speech_and_its_failures_are_error_rows(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TTSHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tts"
        run = generate(_prompts(3, "speech"), url, tmp_path / "run", n_bootstrap=0)
    finally:
        server.shutdown()
    assert "answered 500: out of voices" in run.errors.set_index("sample_id").error["r1"]
    calls = {c["request_id"]: c for c in map(json.loads, (run.folder / "calls.jsonl").read_text().splitlines())}
    assert calls["r0"]["audio_s"] == pytest.approx(0.5) and calls["r0"]["first_output_s"] <= calls["r0"]["latency_s"]
    assert calls["r2"]["rtf"] == pytest.approx(calls["r2"]["latency_s"] / 0.5)
    assert (run.folder / "outputs" / "r2.wav").is_file()


# -- resuming ------------------------------------------------------------------------------------------------------


def test_an_interrupted_run_resumes_without_calling_finished_requests_and_refuses_other_settings(tmp_path):
    called: list[str] = []

    def interrupted(request: dict) -> str:
        if request["request_id"] == "r3":
            raise KeyboardInterrupt
        called.append(request["request_id"])
        return "x"

    with pytest.raises(KeyboardInterrupt):
        generate(_prompts(5), interrupted, tmp_path / "run", n_bootstrap=0)
    assert called == ["r0", "r1", "r2"]

    def resumed(request: dict) -> str:
        called.append(request["request_id"])
        return "x"

    resumed.__qualname__ = interrupted.__qualname__  # the same generator, restarted
    run = generate(_prompts(5), resumed, tmp_path / "run", n_bootstrap=0)
    assert called == ["r0", "r1", "r2", "r3", "r4"]
    assert _system(run, "latency_p50_s").n == 5 and len(run.manifest.read_text().splitlines()) == 5
    with pytest.raises(RunConfigError, match="other settings \\(repeat differ\\)"):
        generate(_prompts(5), resumed, tmp_path / "run", repeat=3)


def test_the_generate_command_runs_a_command_generator_and_scores_its_outputs(tmp_path):
    from click.testing import CliRunner

    from emoeval.cli import main
    from emoeval.results import load_results

    pd.DataFrame(_prompts(4)).to_csv(tmp_path / "prompts.csv", index=False)
    spec = (
        f'cmd:{PY} -c \'import sys; print("you feel", sys.argv[1], "about", sys.argv[2])\' {{target_emotion}} {{text}}'
    )
    arguments = ["generate", str(tmp_path / "prompts.csv"), "--generator", spec, "--out", str(tmp_path / "run")]
    options = ["--warmup", "1", "--repeat", "2", "--threads", "1", "--then-score", "--metrics", "text_distinct_n"]
    result = CliRunner().invoke(main, [*arguments, *options, "--n-bootstrap", "50"])
    assert result.exit_code == 0, result.output
    assert "latency_p50_s" in result.output and "text_distinct_n" in result.output
    cost = load_results(tmp_path / "run")
    assert cost.run["generation"]["warmup"] == 1 and cost.run["generation"]["measured_calls"] == 8
    assert cost.run["environment"]["limits"]["threads"] == 1
    scores = load_results(tmp_path / "run" / "scores")
    distinct = scores.systems().query("sub_metric == 'distinct_1'")
    assert distinct.system.tolist() == ["generated"] and distinct.n.tolist() == [4]
    # the same command again resumes: nothing left to call, the same outputs
    again = CliRunner().invoke(main, [*arguments, *options, "--n-bootstrap", "50", "--quiet"])
    assert again.exit_code == 0, again.output
    calls = (tmp_path / "run" / "calls.jsonl").read_text().splitlines()
    assert len(calls) == 1 + 8  # one warm-up, eight measured calls; the resumed run had nothing to do


def _sleeper(seconds: float):
    def generator(request: dict) -> str:
        time.sleep(seconds)
        return "ok"

    generator.__qualname__ = f"sleep_{seconds}"
    return generator


def test_latency_is_gated_with_a_margin(tmp_path):
    from emoeval.gate import run_gate

    policy = {"outputs": ["generation_cost/latency_p50_s"], "default_margin": {"rel": 0.5}}
    base = generate(_prompts(12), _sleeper(0.01), tmp_path / "base", repeat=2, n_bootstrap=500).folder
    slower = generate(_prompts(12), _sleeper(0.05), tmp_path / "slow", repeat=2, n_bootstrap=500).folder
    same = generate(_prompts(12), _sleeper(0.01), tmp_path / "same", repeat=2, n_bootstrap=500).folder
    verdicts = {
        name: {v.sub_metric: v.verdict for v in run_gate(folder, base, policy=policy).verdicts}
        for name, folder in (("slower", slower), ("same", same))
    }
    assert verdicts["slower"] == {"latency_p50_s": "regressed"}
    assert verdicts["same"] == {"latency_p50_s": "equivalent"}


def test_the_pytest_fixture_runs_a_generator_spec_scores_and_gates_it(tmp_path, emoeval_generate, emoeval_score):
    from emoeval.gate import run_gate

    module = tmp_path / "responder.py"
    module.write_text("def reply(request):\n    return 'sorry to hear you are ' + request['target_emotion']\n")
    run = emoeval_generate(_prompts(6), f"{module}:reply", repeat=2, n_bootstrap=100)
    scored = emoeval_score(run.manifest, metrics=["text_distinct_n"], n_bootstrap=20)
    assert scored.systems().query("sub_metric == 'distinct_1'").n.tolist() == [6]
    itself = run_gate(run.results, run.results, policy={"outputs": ["generation_cost/rtf_p50", "generation_cost"]})
    assert [v.sub_metric for v in itself.verdicts] == ["latency_p50_s"]  # text: no audio, no real-time factor


def test_an_in_process_thread_cap_reaches_the_callable_and_is_lifted_afterwards(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)

    def threads(request: dict) -> str:
        return os.environ.get("OMP_NUM_THREADS", "unset")

    run = generate(_prompts(1), threads, tmp_path / "run", limits=Limits(threads=2), n_bootstrap=0)
    assert json.loads(run.manifest.read_text())["text"] == "2"
    assert "OMP_NUM_THREADS" not in os.environ
