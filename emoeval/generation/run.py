"""Run a generator over a prompt set: outputs, a sample manifest, per-call costs, and a results table.

:func:`generate` (``emoeval generate PROMPTS --generator SPEC --out DIR``) writes into ``DIR``:

- ``outputs/<request_id>.<ext>`` — each request's output (the first measured repeat that succeeded); text
  outputs live in the manifest;
- ``manifest.jsonl`` — a sample manifest of the outputs (``sample_id`` = ``request_id``, ``system``, ``modality``,
  ``path`` or ``text``, and the request's ``target_emotion``, ``intensity``, ``reference``, ``context``,
  ``group`` and extra columns) that ``emoeval score`` reads as is. JSON lines, not CSV: texts stay byte-exact
  (a spreadsheet-safe CSV would prefix a reply starting with ``-`` or ``=``);
- ``calls.jsonl`` — one line per call as it finishes (request, repeat, warm-up or not, latency, first-output
  latency, audio seconds, RTF, peak memory, error): the log a resumed run continues from;
- ``results.parquet`` / ``results.csv`` / ``run.json`` — the results table of metric ``generation_cost``
  (:mod:`emoeval.generation.timing`): a sample row per request and output (mean over its repeats), system rows
  with the percentiles and their bootstrap intervals, an error row per failed request; ``run.json`` holds the
  settings, the generator, the hardware (CPU model, cores, memory, accelerator) and the software (library
  versions, thread settings). ``emoeval gate`` and ``emoeval report`` read this folder like a scoring run's.

**Warm-up.** The first ``warmup`` calls (requests taken in order, cycling) run before any measured call and are
logged with ``warmup: true`` but never enter a statistic: the first calls of a process pay for lazy loading,
JIT compilation and cold caches. A resumed run warms up again (it is a new process).

**Repeats.** ``repeat`` measured calls per request give the spread of one request's latency; percentiles pool
all measured calls, intervals resample requests.

**Resuming.** A run into a folder that holds a ``calls.jsonl`` of the same settings continues where it stopped:
requests whose repeats are all logged are not called again (failed ones included: ``retry_errors=True`` calls
them again). Other settings (another generator, prompt set, repeat count) are refused, naming what differs — one
folder never mixes results of two configurations; use another folder or ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.generation.adapters import Generator, Limits, load_generator
from emoeval.generation.outputs import Output, is_text_modality, store_output
from emoeval.generation.requests import Request, read_requests
from emoeval.generation.timing import MEMORY, CallRecord, summarise_with_draws
from emoeval.stats.aggregate import BootstrapSettings

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.results import Results

METRIC = "generation_cost"
METRIC_VERSION = "1.1.0"  # 1.1.0: accelerator_peak_mb / accelerator_peak_max_mb
CALLS = "calls.jsonl"
MANIFEST = "manifest.jsonl"
OUTPUTS = "outputs"
#: the system's peak memory when every call sat at the command spawner's floor (see the adapters)
UPPER_BOUND_WARNING = (
    "an upper bound: every call's peak memory was at the floor a trivial command reports (the spawner's); the "
    "generator used at most this"
)
#: per-request sample outputs and what they mean (all costs: lower is better)
SAMPLE_OUTPUTS: dict[str, str] = {
    "latency_s": "wall time of the generator's work for the request, s (mean over repeats)",
    "first_output_s": "time to the first streamed chunk or answer byte, s (mean over repeats)",
    "rtf": "real-time factor: latency / seconds of audio produced (mean over repeats)",
    "peak_rss_mb": "peak resident memory during the call, MB (largest over repeats)",
    "accelerator_peak_mb": "peak CUDA memory torch allocated during the call, MB (largest over repeats; an "
    "in-process generator using torch on a GPU only)",
}


@dataclass(frozen=True)
class GenerationSettings:
    """What makes two generation runs comparable; a resumed run must have the same."""

    generator: str
    prompts_sha256: str
    system: str
    warmup: int
    repeat: int
    timeout: float | None
    limits: Limits


@dataclass
class GenerationRun:
    """What :func:`generate` produced: the folder, the results, the manifest path and the call log."""

    folder: Path
    results: Results
    manifest: Path
    calls: list[dict[str, Any]]

    @property
    def errors(self) -> pd.DataFrame:
        return self.results.errors()


def _prompts_hash(requests: Sequence[Request]) -> str:
    digest = hashlib.sha256()
    for request in requests:
        digest.update(json.dumps(request.fields(), sort_keys=True, default=str).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def hardware() -> dict[str, Any]:
    """The machine a run measured: CPU model, logical and usable cores, memory, accelerators (only when torch
    is already loaded by the generator: importing it to look would cost seconds and memory)."""
    cpu = platform.processor() or ""
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory_mb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e6
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    found: dict[str, Any] = {
        "cpu": cpu,
        "machine": platform.machine(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_mb": memory_mb,
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        cuda = bool(torch.cuda.is_available())
        found["accelerator"] = torch.cuda.get_device_name(0) if cuda else "none (torch sees no CUDA device)"
    else:
        found["accelerator"] = "not checked (the generator did not load torch)"
    return found


def software(limits: Limits) -> dict[str, Any]:
    """Library versions, and the thread settings the generator ran with."""
    from emoeval.runner.record import environment

    found = environment()
    found["threads"] = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    torch = sys.modules.get("torch")
    if torch is not None:
        found["threads"]["torch"] = torch.get_num_threads()
        found["packages"]["torch"] = torch.__version__
    found["limits"] = asdict(limits)
    return found


class _CallLog:
    """``calls.jsonl``: one JSON line per call, flushed as it is written (a crash loses at most the line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[dict[str, Any]] = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self.lines.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut by a crash: that call is run again
                    continue
        self._handle = path.open("a", encoding="utf-8")

    def add(self, entry: dict[str, Any]) -> None:
        self.lines.append(entry)
        self._handle.write(json.dumps(entry, sort_keys=True) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def _check_settings(folder: Path, settings: GenerationSettings, overwrite: bool) -> None:
    record = folder / "generation.json"
    wanted = json.loads(json.dumps(asdict(settings), default=str))
    if overwrite:
        for name in (CALLS, MANIFEST, "generation.json"):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / OUTPUTS, ignore_errors=True)
    elif record.is_file():
        found = json.loads(record.read_text(encoding="utf-8"))
        differ = sorted(key for key in set(found) | set(wanted) if found.get(key) != wanted.get(key))
        if differ:
            raise RunConfigError(
                f"{folder} holds a generation run with other settings ({', '.join(differ)} differ); resume it with "
                "the same settings, write into another folder, or pass overwrite=True (--overwrite)"
            )
    elif (folder / CALLS).is_file():
        raise RunConfigError(f"{folder} holds a call log without its generation.json; use another folder or overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "generation.json").write_text(json.dumps(wanted, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _accelerator_reset() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _accelerator_peak() -> float | None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return float(torch.cuda.max_memory_allocated()) / 1e6
    return None


def _one_call(
    generator: Generator, request: Request, stem: Path, folder: Path, timeout: float | None
) -> tuple[dict[str, Any], Output | None]:
    """Call the generator once for ``request`` and store its output under ``folder/stem``: (log entry, output)."""
    entry: dict[str, Any] = {"request_id": request.request_id}
    folder.mkdir(parents=True, exist_ok=True)  # a command writes {output} there itself
    in_process = generator.kind == "callable"  # torch here sees only this process's accelerator memory
    if in_process:
        _accelerator_reset()
    try:
        call = generator.call(request, folder / stem, timeout)
        output = store_output(call.value, request.modality, folder, stem, f"request {request.request_id}")
    except SampleInputError as exc:
        entry["error"] = str(exc)
        return entry, None
    entry.update(latency_s=call.latency_s, first_output_s=call.first_output_s, peak_rss_mb=call.peak_rss_mb)
    if call.peak_rss_upper_bound:
        entry["peak_rss_upper_bound"] = True
    accelerator = _accelerator_peak() if in_process else None
    if accelerator is not None:
        entry["accelerator_peak_mb"] = accelerator
    if output.audio_seconds:
        entry["audio_s"] = output.audio_seconds
        entry["rtf"] = call.latency_s / output.audio_seconds
    if call.notes:
        entry["warning"] = "; ".join(call.notes)
    return entry, output


def generate(
    prompts: str | Path | pd.DataFrame | Sequence[Mapping[str, Any]] | Sequence[Request],
    generator: str | Callable[..., Any] | Generator,
    out: str | Path,
    *,
    system: str = "generated",
    warmup: int = 0,
    repeat: int = 1,
    timeout: float | None = 120.0,
    limits: Limits | None = None,
    n_bootstrap: int = 2000,
    seed: int = 0,
    retry_errors: bool = False,
    overwrite: bool = False,
    label_set: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationRun:
    """Run ``generator`` on every request of ``prompts`` and measure it (module docstring)."""
    from emoeval.version import __version__

    if warmup < 0 or repeat < 1:
        raise RunConfigError(f"warmup must be ≥ 0 and repeat ≥ 1, got warmup={warmup}, repeat={repeat}")
    if timeout is not None and not timeout > 0:
        raise RunConfigError(f"timeout must be a positive number of seconds (or None), got {timeout}")
    limits = limits or Limits()
    requests = (
        list(prompts)
        if isinstance(prompts, Sequence) and prompts and isinstance(prompts[0], Request)  # type: ignore[index]
        else read_requests(prompts, label_set=label_set)  # type: ignore[arg-type]
    )
    adapter = load_generator(generator, limits=limits)
    folder = Path(out).expanduser().resolve()  # {output} must name the file from any working directory
    settings = GenerationSettings(
        generator=adapter.spec,
        prompts_sha256=_prompts_hash(requests),
        system=system,
        warmup=warmup,
        repeat=repeat,
        timeout=timeout,
        limits=limits,
    )
    _check_settings(folder, settings, overwrite)
    log = _CallLog(folder / CALLS)
    outputs = folder / OUTPUTS
    scratch = folder / ".repeats"
    session = uuid.uuid4().hex[:12]
    done = {
        (line["request_id"], line["repeat"])
        for line in log.lines
        if not line.get("warmup") and (not retry_errors or "error" not in line)
    }
    todo = [(request, r) for request in requests for r in range(repeat) if (request.request_id, r) not in done]
    started = time.perf_counter()
    try:
        load_start = time.perf_counter()
        adapter.start()
        load_s = time.perf_counter() - load_start
        if todo:
            for index in range(warmup):
                request = requests[index % len(requests)]
                entry, _ = _one_call(adapter, request, f"warmup-{index}", scratch, timeout)
                log.add({**entry, "repeat": index, "warmup": True, "session": session})
        for number, (request, r) in enumerate(todo, start=1):
            if r == 0:
                entry, output = _one_call(adapter, request, request.request_id, outputs, timeout)
            else:
                entry, output = _one_call(adapter, request, f"{request.request_id}.r{r}", scratch, timeout)
            if limits.memory_mb is not None and (entry.get("peak_rss_mb") or 0.0) > limits.memory_mb:
                entry["warning"] = f"peak memory {entry['peak_rss_mb']:.0f} MB above the cap of {limits.memory_mb:g} MB"
            if output is not None and output.path is not None:
                entry["path"] = os.path.relpath(output.path, folder) if r == 0 else None
            if output is not None and output.text is not None and r == 0:
                entry["text"] = output.text
            log.add({**entry, "repeat": r, "warmup": False, "session": session})
            if progress is not None:
                progress(number, len(todo))
    finally:
        log.close()
        adapter.close()
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started
    calls = log.lines
    manifest = _write_manifest(folder, requests, calls, system)
    settings_boot = BootstrapSettings(n_resamples=n_bootstrap, seed=seed)
    results = _results(requests, calls, settings, settings_boot, adapter, __version__, load_s=load_s, seconds=seconds)
    results.write(folder)
    return GenerationRun(folder=folder, results=results, manifest=manifest, calls=calls)


def _latest(calls: Sequence[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """The last logged measured call of each (request, repeat): a retried error is replaced by its retry."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for line in calls:
        if not line.get("warmup"):
            found[(line["request_id"], int(line["repeat"]))] = line
    return found


def _write_manifest(folder: Path, requests: Sequence[Request], calls: Sequence[dict[str, Any]], system: str) -> Path:
    from emoeval.atomic import atomic_write_text

    latest = _latest(calls)
    lines = []
    for request in requests:
        first = latest.get((request.request_id, 0))
        if first is None or "error" in first:
            continue
        row: dict[str, Any] = {
            "sample_id": request.request_id,
            "system": system,
            "modality": request.modality,
            **({"text": first["text"]} if is_text_modality(request.modality) else {"path": first["path"]}),
        }
        if request.text is not None:  # what was to be said: the intelligibility metrics' transcript
            row["transcript" if request.modality == "speech" else "prompt"] = request.text
        for name in ("target_emotion", "intensity", "reference", "group"):
            value = getattr(request, name)
            if value is not None:
                row[name] = value
        if request.context is not None:
            row["context"] = list(request.context)
        for key, value in request.meta.items():
            row.setdefault(key, value)
        lines.append(json.dumps(row, ensure_ascii=False))
    path = folder / MANIFEST
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))
    return path


def _results(
    requests: Sequence[Request],
    calls: Sequence[dict[str, Any]],
    settings: GenerationSettings,
    boot: BootstrapSettings,
    adapter: Generator,
    version: str,
    *,
    load_s: float,
    seconds: float,
) -> Results:
    """The ``generation_cost`` results table and its run record."""
    from emoeval.results import Results, results_frame
    from emoeval.runner.draws import CorpusDraws

    run_id = f"gen-{uuid.uuid4().hex[:12]}"
    created = datetime.now(UTC).isoformat(timespec="seconds")
    # the measuring instrument's parameters: what must match for two runs' costs to compare (the generator and
    # the prompts are what a comparison varies: they are in run.json, not here)
    measured = {"warmup": settings.warmup, "repeat": settings.repeat, "timeout": settings.timeout}
    params = json.dumps({**measured, "limits": asdict(settings.limits)}, sort_keys=True)
    config_hash = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True, default=str).encode()).hexdigest()[:16]
    common = {
        "run_id": run_id,
        "system": settings.system,
        "metric": METRIC,
        "metric_version": METRIC_VERSION,
        "params": params,
        "model": None,  # the generator is the system measured, not a model of the measurement
        "model_sha256": None,
        "emoeval_version": version,
        "config_hash": config_hash,
        "created_at": created,
        "higher_is_better": False,
    }
    latest = _latest(calls)
    rows: list[dict[str, Any]] = []
    records: list[CallRecord] = []
    for request in requests:
        entries = [latest[(request.request_id, r)] for r in range(settings.repeat) if (request.request_id, r) in latest]
        base = {
            **common,
            "scope": "sample",
            "statistic": "value",
            "sample_id": request.request_id,
            "group": request.group,
            "target_emotion": request.target_emotion,
        }
        good = [e for e in entries if "error" not in e]
        failed = [e for e in entries if "error" in e]
        if not good:
            reason = failed[0]["error"] if failed else "not run"
            failure = {"sub_metric": "latency_s", "value": math.nan, "n": 0, "headline": False, "error": reason}
            rows.append({**base, **failure})
            continue
        for entry in good:
            records.append(
                CallRecord(
                    request_id=request.request_id,
                    repeat=int(entry["repeat"]),
                    latency_s=float(entry["latency_s"]),
                    first_output_s=entry.get("first_output_s"),
                    rtf=entry.get("rtf"),
                    peak_rss_mb=entry.get("peak_rss_mb"),
                    accelerator_peak_mb=entry.get("accelerator_peak_mb"),
                )
            )
        warning = "; ".join(
            [e["warning"] for e in good if e.get("warning")]
            + [f"repeat {e['repeat']} failed: {e['error']}" for e in failed]
        )
        for name in SAMPLE_OUTPUTS:
            values = [float(e[name]) for e in good if e.get(name) is not None]
            if not values:
                continue
            value = max(values) if name in MEMORY else sum(values) / len(values)
            rows.append(
                {
                    **base,
                    "sub_metric": name,
                    "value": value,
                    "n": len(values),
                    "headline": False,  # the headline is the system's median latency
                    "warning": warning or None,
                }
            )
    estimates, draws = summarise_with_draws(records, boot)
    measured = [entry for entry in latest.values() if "error" not in entry and entry.get("peak_rss_mb") is not None]
    bounded = bool(measured) and all(entry.get("peak_rss_upper_bound") for entry in measured)
    corpus_draws = {
        (METRIC, settings.system, None, name): CorpusDraws("bootstrap", estimates[name].value, values)
        for name, values in draws.items()
    }
    for name, estimate in estimates.items():
        rows.append(
            {
                **common,
                "scope": "system",
                "statistic": "corpus",
                "sub_metric": name,
                "value": estimate.value,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "n": estimate.n,
                "headline": name == "latency_p50_s",
                "higher_is_better": name == "throughput_per_s",
                "warning": UPPER_BOUND_WARNING if bounded and name == "peak_rss_max_mb" else None,
            }
        )
    warmups = [line for line in calls if line.get("warmup")]
    run = {
        "run_id": run_id,
        "kind": "generation",
        "created_at": created,
        "emoeval_version": version,
        "config_hash": config_hash,
        "seconds": seconds,
        "generation": {
            **json.loads(json.dumps(asdict(settings), default=str)),
            "generator_detail": adapter.describe(),
            "requests": len(requests),
            "measured_calls": len(records),
            "failed_requests": sum(1 for r in rows if r.get("error")),
            "warmup_calls_logged": len(warmups),
            "load_seconds": load_s,
            "bootstrap": {"n_resamples": boot.n_resamples, "seed": boot.seed, "resampled": "requests"},
        },
        "hardware": hardware(),
        "environment": software(settings.limits),
        "metrics": [{"name": METRIC, "version": METRIC_VERSION, "outputs": SAMPLE_OUTPUTS}],
    }
    return Results(table=results_frame(rows), run=run, corpus_draws=corpus_draws)


__all__ = ["CALLS", "MANIFEST", "METRIC", "OUTPUTS", "GenerationRun", "GenerationSettings", "generate", "hardware"]
