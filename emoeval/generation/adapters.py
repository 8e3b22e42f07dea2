"""Generator adapters: how emoeval calls a generator, chosen by a spec string (:func:`load_generator`).

=====================================  =================================================================================
spec                                   generator
=====================================  =================================================================================
``module:function``,                   a Python callable, imported once; called with the request's fields as a dict
``path/to/file.py:function``           (:meth:`Request.fields <emoeval.generation.requests.Request.fields>` plus
                                       ``output``: a suggested output path without suffix). It returns the output
                                       (:mod:`emoeval.generation.outputs`), or an iterator of chunks when it streams
                                       (texts, or waveform arrays after a first ``(chunk, rate)``): the first
                                       chunk's time is the first-output latency.
``cmd:<template>``                     a command, e.g. ``cmd:espeak-ng -v en -w {output} -- {text}``: the template is
                                       split like a shell line (:func:`shlex.split`) *once*, then each ``{name}`` is
                                       replaced inside its argument by the request's value. It runs without a shell,
                                       so a prompt holding ``; rm -rf ~`` or ``$(...)`` stays one literal argument.
                                       ``{output}`` is the output path (with the modality's suffix: ``.wav``,
                                       ``.png``); a ``text`` command without ``{output}`` answers on stdout. Names:
                                       ``request_id modality target_emotion intensity reference text context group``,
                                       any extra column of the prompt set, and ``output``; a request lacking a value
                                       the template needs is an error of its own. Put ``--`` before free text, as
                                       above, so a prompt starting with ``-`` is not read as an option.
``http://host:port/path``              an HTTP endpoint: each request is POSTed as JSON (its fields). The answer is
                                       ``text/plain`` (a text), ``audio/*`` or ``image/*`` bytes, or JSON
                                       ``{"text": ...}``, ``{"audio_base64": ..., "format": "wav"}``,
                                       ``{"image_base64": ..., "format": "png"}``. First-output latency = time to the
                                       answer's first body byte.
=====================================  =================================================================================

Every adapter measures only the generator's own work (the call, the process from start to exit, the HTTP
exchange), not emoeval's storing of the output. A request that takes longer than ``timeout`` seconds is stopped
and becomes an error: a command's process group is killed; a callable is interrupted by ``SIGALRM`` (on the main
thread of a Unix process; C code that never returns to Python cannot be interrupted: run such generators as a
command or behind HTTP); an HTTP request times out on the socket.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shlex
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.generation.outputs import EncodedOutput, is_text_modality, output_suffix
from emoeval.generation.requests import REQUEST_COLUMNS, Request

#: environment variables that cap a process's math-library threads (``threads=``)
THREAD_VARIABLES: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_CONTENT_SUFFIX = {
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/flac": ".flac",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
}


@dataclass(frozen=True)
class Limits:
    """An emulated device (the edge profile): ``threads`` caps math-library threads (and torch's, in process),
    ``cpu_only`` hides accelerators, ``memory_mb`` caps a command's address space (``RLIMIT_AS``) and marks any
    request whose peak resident memory exceeds it."""

    threads: int | None = None
    cpu_only: bool = False
    memory_mb: float | None = None

    def environment(self) -> dict[str, str]:
        """The variables a generator process gets for these limits."""
        env: dict[str, str] = {}
        if self.threads is not None:
            env.update({name: str(self.threads) for name in THREAD_VARIABLES})
        if self.cpu_only:
            env["CUDA_VISIBLE_DEVICES"] = ""
            env["HIP_VISIBLE_DEVICES"] = ""
        return env


@dataclass
class Call:
    """One generator call: what it returned and what it cost."""

    value: Any
    latency_s: float
    first_output_s: float | None = None
    peak_rss_mb: float | None = None
    notes: list[str] = field(default_factory=list)
    #: True when ``peak_rss_mb`` is only an upper bound (a command at the spawner's floor)
    peak_rss_upper_bound: bool = False


class RequestTimeout(Exception):
    """Raised inside a callable generator when its request runs past the timeout."""


class Generator(ABC):
    """The adapter interface: :meth:`start` once, :meth:`call` per request, :meth:`close` at the end."""

    kind: str = ""

    def __init__(self, spec: str, *, limits: Limits | None = None) -> None:
        self.spec = spec
        self.limits = limits or Limits()

    def start(self) -> None:  # noqa: B027 - optional hook
        """Load what the generator needs before the first request (not part of any request's latency)."""

    @abstractmethod
    def call(self, request: Request, output: Path, timeout: float | None) -> Call:
        """Run one request; ``output`` is the output path without suffix. Raises :class:`SampleInputError` for a
        failed request (it becomes that request's error row)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what :meth:`start` loaded."""

    def describe(self) -> dict[str, Any]:
        """The generator's provenance for ``run.json``."""
        return {"kind": self.kind, "spec": self.spec}


# -- peak memory ---------------------------------------------------------------------------------------------------


def _status_kb(field_name: str) -> float | None:
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set size (Linux ≥ 4.0: ``/proc/self/clear_refs`` ← 5); False when the
    system cannot, and the peak then covers the whole process life."""
    try:
        with Path("/proc/self/clear_refs").open("w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float | None:
    """This process's peak resident set size since the last :func:`reset_peak_rss` (MB, 10⁶ bytes)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        kb = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return kb * 1024 / 1e6


# -- a Python callable ---------------------------------------------------------------------------------------------


def _load_callable(target: str) -> Callable[..., Any]:
    module_name, _, attribute = target.rpartition(":")
    if not module_name or not attribute:
        raise RunConfigError(f"generator {target!r}: give module:function or path/to/file.py:function")
    try:
        if module_name.endswith(".py") or "/" in module_name:
            path = Path(module_name).expanduser().resolve()
            if not path.is_file():
                raise RunConfigError(f"generator {target!r}: no such file {path}")
            spec = importlib.util.spec_from_file_location(f"emoeval_generator_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise RunConfigError(f"generator {target!r}: {path} cannot be imported")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RunConfigError(f"generator {target!r}: cannot import {module_name!r} ({exc})") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise RunConfigError(f"generator {target!r}: {module_name} has no callable {attribute!r}")
    return function


class CallableGenerator(Generator):
    """A Python callable, in this process (module docstring)."""

    kind = "callable"

    def __init__(self, spec: str, *, function: Callable[..., Any] | None = None, limits: Limits | None = None) -> None:
        super().__init__(spec, limits=limits)
        self._function = function
        self._can_reset_peak = False
        self._saved_environment: dict[str, str | None] = {}
        self._saved_threads: int | None = None

    def start(self) -> None:
        """Set the limits' environment (before the generator imports its libraries; restored by :meth:`close`),
        import the callable, cap torch's threads when torch is loaded."""
        for name, value in self.limits.environment().items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        if self._function is None:
            self._function = _load_callable(self.spec)
        torch = sys.modules.get("torch")
        if self.limits.threads is not None and torch is not None:
            self._saved_threads = torch.get_num_threads()
            torch.set_num_threads(self.limits.threads)
        self._can_reset_peak = reset_peak_rss()

    def close(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}
        torch = sys.modules.get("torch")
        if self._saved_threads is not None and torch is not None:
            torch.set_num_threads(self._saved_threads)
        self._saved_threads = None

    def call(self, request: Request, output: Path, timeout: float | None) -> Call:
        if self._function is None:
            self.start()
        assert self._function is not None
        fields = {**request.fields(), "output": str(output)}
        alarm = timeout is not None and threading.current_thread() is threading.main_thread()
        previous = None
        running = [True]  # the alarm interrupts only the generator, never the code after it
        if alarm:

            def _expire(signum: int, frame: Any) -> None:
                if running[0]:
                    raise RequestTimeout

            previous = signal.signal(signal.SIGALRM, _expire)
            signal.setitimer(signal.ITIMER_REAL, float(timeout))  # type: ignore[arg-type]
        if self._can_reset_peak:
            reset_peak_rss()
        start = time.perf_counter()
        first: float | None = None
        try:
            value = self._function(fields)
            if isinstance(value, Iterator):
                value, first = _drain(value, start)
            running[0] = False
            latency = time.perf_counter() - start
        except RequestTimeout:
            raise SampleInputError(f"request {request.request_id}: no output after {timeout:g} s (timeout)") from None
        except SampleInputError:
            raise
        except Exception as exc:  # the generator's own failure: this request's error, not the run's
            raise SampleInputError(
                f"request {request.request_id}: the generator raised {type(exc).__name__}: {exc}"
            ) from None
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0.0)
                signal.signal(signal.SIGALRM, previous)
        return Call(value=value, latency_s=latency, first_output_s=first, peak_rss_mb=peak_rss_mb())

    def describe(self) -> dict[str, Any]:
        found = super().describe()
        function = self._function
        if function is not None:
            found["callable"] = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"
        found["peak_rss"] = "per request" if self._can_reset_peak else "process peak so far (cannot reset here)"
        return found


def _drain(chunks: Iterator[Any], start: float) -> tuple[Any, float | None]:
    """A streamed output joined (texts concatenated; waveform chunks concatenated at the first chunk's rate), and
    the time of its first chunk."""
    import numpy as np

    first: float | None = None
    texts: list[str] = []
    arrays: list[Any] = []
    rate = None
    for chunk in chunks:
        if first is None:
            first = time.perf_counter() - start
        if isinstance(chunk, str):
            texts.append(chunk)
        elif isinstance(chunk, tuple) and len(chunk) == 2:
            arrays.append(np.asarray(chunk[0]))
            rate = chunk[1] if rate is None else rate
        else:
            arrays.append(np.asarray(chunk))
    if texts and arrays:
        raise SampleInputError("a streamed output mixed text and waveform chunks")
    if texts:
        return "".join(texts), first
    if arrays:
        if rate is None:
            raise SampleInputError("a streamed waveform needs its rate: yield (chunk, rate) first")
        return (np.concatenate(arrays), rate), first
    raise SampleInputError("the generator streamed nothing")


# -- a command -----------------------------------------------------------------------------------------------------


def template_fields(tokens: list[str], spec: str) -> set[str]:
    """The ``{name}`` placeholders of a split command template; attribute or index access is refused."""
    names: set[str] = set()
    for token in tokens:
        try:
            parsed = list(string.Formatter().parse(token))
        except ValueError as exc:
            raise RunConfigError(
                f"generator {spec!r}: bad placeholder in {token!r} ({exc}); write {{{{ for a brace"
            ) from None
        for _, name, _, _ in parsed:
            if name is None:
                continue
            if not name.isidentifier():
                raise RunConfigError(f"generator {spec!r}: placeholder {{{name}}} must be a plain column name")
            names.add(name)
    return names


def _format_value(value: Any) -> str:
    if isinstance(value, list):
        import json

        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


class CommandGenerator(Generator):
    """A command run per request without a shell (module docstring)."""

    kind = "command"

    def __init__(self, spec: str, *, limits: Limits | None = None, stdout_limit: int = 10_000_000) -> None:
        super().__init__(spec, limits=limits)
        template = spec.split(":", 1)[1] if spec.startswith(("cmd:", "command:")) else spec
        try:
            self.tokens = shlex.split(template)
        except ValueError as exc:
            raise RunConfigError(f"generator {spec!r}: cannot split the command template ({exc})") from None
        if not self.tokens:
            raise RunConfigError(f"generator {spec!r}: the command template is empty")
        self.fields = template_fields(self.tokens, spec)
        self.stdout_limit = stdout_limit
        self._spawner: subprocess.Popen[str] | None = None
        self._streams: tempfile.TemporaryDirectory[str] | None = None

    def arguments(self, request: Request, output: Path) -> tuple[list[str], Path | None]:
        """The argument vector for ``request`` and the output file it names (None: the answer is stdout)."""
        values = request.fields()
        suffixed: Path | None = None
        if "output" in self.fields:
            suffixed = (
                output.with_name(output.name + output_suffix(request.modality))
                if not is_text_modality(request.modality)
                else output.with_name(output.name + ".txt")
            )
            values["output"] = str(suffixed)
        missing = sorted(name for name in self.fields if values.get(name) is None)
        if missing:
            known = sorted(set(REQUEST_COLUMNS) | set(request.meta) | {"output"})
            raise SampleInputError(
                f"request {request.request_id}: the command needs {', '.join('{' + m + '}' for m in missing)} but the "
                f"request has no value for it (columns: {', '.join(known)})"
            )
        strings = {name: _format_value(values[name]) for name in self.fields}
        return [token.format_map(strings) for token in self.tokens], suffixed

    def start(self) -> None:
        """Start the small spawner process the commands are started from (:mod:`emoeval.generation._spawner`)."""
        import tempfile

        if self._spawner is None or self._spawner.poll() is not None:
            self._spawner = subprocess.Popen(
                [sys.executable, "-I", "-S", str(Path(__file__).with_name("_spawner.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                env={**os.environ, **self.limits.environment()},  # the commands inherit it
            )
        if self._streams is None:
            self._streams = tempfile.TemporaryDirectory(prefix="emoeval-command-")

    def close(self) -> None:
        if self._streams is not None:
            self._streams.cleanup()
            self._streams = None
        if self._spawner is not None:
            assert self._spawner.stdin is not None
            self._spawner.stdin.close()
            try:
                self._spawner.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._spawner.kill()
            self._spawner = None

    def _spawn(self, order: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        import json
        import select

        self.start()
        spawner = self._spawner
        assert spawner is not None and spawner.stdin is not None and spawner.stdout is not None
        spawner.stdin.write(json.dumps(order) + "\n")
        spawner.stdin.flush()
        # the spawner enforces the timeout itself; this guard only catches a spawner that died or hangs
        ready, _, _ = select.select([spawner.stdout], [], [], None if timeout is None else timeout + 30.0)
        line = spawner.stdout.readline() if ready else ""
        if not line:
            spawner.kill()
            self._spawner = None
            raise SampleInputError("the command spawner stopped answering; it was restarted")
        answer = json.loads(line)
        if "failed" in answer:
            raise SampleInputError(f"cannot start the command: {answer['failed']}")
        return answer

    def call(self, request: Request, output: Path, timeout: float | None) -> Call:
        argv, suffixed = self.arguments(request, output)
        if suffixed is None and not is_text_modality(request.modality):
            raise SampleInputError(
                f"request {request.request_id}: a {request.modality} command must write {{output}}; add it to the "
                "template"
            )
        self.start()
        assert self._streams is not None
        streams = Path(self._streams.name)  # one pair of files, rewritten by every command
        order = {
            "argv": argv,
            "stdout": str(streams / "stdout"),
            "stderr": str(streams / "stderr"),
            "timeout": timeout,
            "memory_bytes": None if self.limits.memory_mb is None else int(self.limits.memory_mb * 1e6),
        }
        try:
            answer = self._spawn(order, timeout)
        except SampleInputError as exc:
            raise SampleInputError(f"request {request.request_id}: {exc}") from None
        if answer["timed_out"]:
            raise SampleInputError(
                f"request {request.request_id}: {argv[0]} gave no output after {timeout:g} s (timeout; killed)"
            )
        if answer["status"] != 0:
            stderr = answer.get("error") or (streams / "stderr").read_bytes()[-2000:].decode("utf-8", "replace").strip()
            raise SampleInputError(
                f"request {request.request_id}: {argv[0]} exited with status {answer['status']}"
                + (f": {stderr.splitlines()[-1]}" if stderr else "")
            )
        stdout = b""
        if suffixed is None:
            with (streams / "stdout").open("rb") as handle:
                stdout = handle.read(self.stdout_limit)
        if suffixed is not None:
            if not suffixed.is_file():
                raise SampleInputError(f"request {request.request_id}: {argv[0]} exited 0 but wrote no {suffixed.name}")
            value: Any = suffixed.read_text(encoding="utf-8") if is_text_modality(request.modality) else suffixed
        else:
            value = stdout.decode("utf-8", "replace").rstrip("\n")
        notes = []
        at_floor = answer["maxrss_kb"] <= answer["floor_kb"] * 1.1  # NaN floor: never
        if at_floor:
            floor = answer["floor_kb"] * 1024 / 1e6
            notes.append(f"peak memory at the floor a trivial command reports ({floor:.1f} MB): it used at most that")
        peak = answer["maxrss_kb"] * 1024 / 1e6
        return Call(
            value=value, latency_s=answer["wall_s"], peak_rss_mb=peak, notes=notes, peak_rss_upper_bound=at_floor
        )


# -- an HTTP endpoint ----------------------------------------------------------------------------------------------


class HttpGenerator(Generator):
    """A generator behind an HTTP endpoint (module docstring)."""

    kind = "http"

    def __init__(self, spec: str, *, limits: Limits | None = None, headers: Mapping[str, str] | None = None) -> None:
        from urllib.parse import urlsplit

        super().__init__(spec, limits=limits)
        parts = urlsplit(spec)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RunConfigError(f"generator {spec!r}: an HTTP generator needs http(s)://host[:port]/path")
        self._parts = parts
        self.headers = dict(headers or {})

    def call(self, request: Request, output: Path, timeout: float | None) -> Call:
        import base64
        import http.client
        import json

        parts = self._parts
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        body = json.dumps(request.fields(), ensure_ascii=False).encode("utf-8")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        start = time.perf_counter()
        try:
            connection = connection_type(parts.hostname, parts.port, timeout=timeout)
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **self.headers})
            response = connection.getresponse()
            head = response.read(1)
            first = time.perf_counter() - start
            data = head + response.read()
            latency = time.perf_counter() - start
            connection.close()
        except TimeoutError:
            raise SampleInputError(
                f"request {request.request_id}: {self.spec} gave no answer after {timeout:g} s"
            ) from None
        except OSError as exc:
            raise SampleInputError(f"request {request.request_id}: {self.spec} failed ({exc})") from None
        except http.client.HTTPException as exc:
            raise SampleInputError(f"request {request.request_id}: {self.spec} answered badly ({exc})") from None
        if not 200 <= response.status < 300:
            text = data[:300].decode("utf-8", "replace")
            raise SampleInputError(f"request {request.request_id}: {self.spec} answered {response.status}: {text}")
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        value: Any
        if content_type == "application/json":
            try:
                answer = json.loads(data)
            except json.JSONDecodeError as exc:
                raise SampleInputError(f"request {request.request_id}: the answer is not JSON ({exc.msg})") from None
            if not isinstance(answer, dict):
                raise SampleInputError(f"request {request.request_id}: the JSON answer must be an object")
            encoded = next((key for key in ("audio_base64", "image_base64", "file_base64") if key in answer), None)
            if encoded is not None:
                suffix = "." + str(answer.get("format", "wav" if encoded.startswith("audio") else "png")).lstrip(".")
                value = EncodedOutput(base64.b64decode(answer[encoded]), suffix.lower())
            else:
                value = answer
        elif content_type.startswith("text/"):
            value = data.decode("utf-8", "replace")
        elif content_type in _CONTENT_SUFFIX:
            value = EncodedOutput(data, _CONTENT_SUFFIX[content_type])
        else:
            raise SampleInputError(
                f"request {request.request_id}: cannot read an answer of type {content_type or 'unknown'!r}; answer "
                f"text/plain, JSON, or one of {', '.join(sorted(_CONTENT_SUFFIX))}"
            )
        return Call(value=value, latency_s=latency, first_output_s=first)


# -- choosing one --------------------------------------------------------------------------------------------------


def load_generator(spec: str | Callable[..., Any] | Generator, *, limits: Limits | None = None) -> Generator:
    """The adapter for ``spec`` (module docstring): a spec string, a Python callable, or an adapter."""
    if isinstance(spec, Generator):
        return spec
    if callable(spec):
        name = f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', '?')}"
        return CallableGenerator(name, function=spec, limits=limits)
    text = str(spec).strip()
    if text.startswith(("cmd:", "command:")):
        return CommandGenerator(text, limits=limits)
    if text.startswith(("http://", "https://")):
        return HttpGenerator(text, limits=limits)
    if text.startswith("python:"):
        text = text.removeprefix("python:")
    if ":" in text and " " not in text:
        return CallableGenerator(text, limits=limits)
    raise RunConfigError(
        f"generator {spec!r}: give module:function, path/to/file.py:function, cmd:<command template> or "
        "http(s)://host/path"
    )


__all__ = [
    "THREAD_VARIABLES",
    "Call",
    "CallableGenerator",
    "CommandGenerator",
    "Generator",
    "HttpGenerator",
    "Limits",
    "load_generator",
    "peak_rss_mb",
    "reset_peak_rss",
]
