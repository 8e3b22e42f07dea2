"""emoeval's pytest plugin: score a generator's outputs in tests and gate them against a stored baseline.

Installed with emoeval (entry point ``pytest11``); a session that uses none of it pays nothing — this module
imports only pytest and the standard library; emoeval's scoring (numpy, pandas, models) loads when a fixture is
first called.

**Options** (group "emoeval"): ``--emoeval-baseline PATH`` (the baseline file or results folder
``emoeval_gate`` compares with), ``--emoeval-update-baseline`` (write the baseline from this session's results
instead of gating), ``--emoeval-report PATH`` (an HTML report of everything scored in the session),
``--emoeval-policy PATH`` (a gate policy TOML, as for ``emoeval gate --policy``).

**Marker** ``@pytest.mark.emoeval(metrics=[...], policy=..., baseline=...)``: defaults for the fixtures in that
test (a fixture argument wins over the marker, the marker over the command line).

**Fixtures**

- ``emoeval_score(outputs, metrics=None, **score_options) -> Results`` — scores a manifest path, a DataFrame, a
  list of :class:`~emoeval.samples.Sample`, or in-memory outputs: a list of dicts with ``sample_id``,
  ``system`` and one of ``image`` (an H×W×3 uint8 array), ``audio`` (``(waveform, rate)``) or ``text`` (a
  string), plus any manifest column (``reference`` may be an array too, ``target_emotion``, ``group``...). Arrays
  are written to the session's temporary folder as PNG / 16-bit WAV. Models load once per session and the
  output cache is shared, so a second test scoring the same outputs reads them back.
- ``emoeval_generate(prompts, generator, **options) -> GenerationRun`` — runs a generator spec (``module:function``,
  ``cmd:...``, an ``http://`` endpoint, or a Python callable) over a prompt set with
  :func:`emoeval.generation.generate` (options: ``warmup``, ``repeat``, ``timeout``, ``limits``, ``out``...; the
  outputs go to the session's temporary folder unless ``out`` is given). ``run.manifest`` is what
  ``emoeval_score`` scores; ``run.results`` (latency, real-time factor, memory) is what ``emoeval_gate`` gates.
- ``emoeval_gate(results, baseline=None, policy=None, systems=None) -> GateResult`` — the verdicts of
  ``emoeval gate`` against the baseline; fails the test with the table of regressed outputs. With
  ``--emoeval-update-baseline`` it writes ``results`` as the new baseline and passes.

The assertion helpers of :mod:`emoeval.assertions` (``assert_emotion_accuracy``, ``assert_identity_preserved``,
``assert_no_regression``) decide on confidence intervals and say when a sample is too small to decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emoeval.gate.result import GateResult
    from emoeval.generation.run import GenerationRun
    from emoeval.reference_models.base import ModelPool
    from emoeval.results import Results

#: the keys of an in-memory output that hold the thing judged, and the modality each means
IN_MEMORY_KINDS = {"image": "face", "audio": "speech", "text": "text"}


@dataclass
class _Session:
    """What the fixtures share in one test session: the loaded models, the temporary folder, what was scored."""

    folder: Path
    pool: ModelPool | None = None
    scored: list[Results] = field(default_factory=list)
    materialised: int = 0  # in-memory output sets written so far (each gets its own folder)

    def model_pool(self) -> ModelPool:
        if self.pool is None:
            from emoeval.reference_models.base import ModelPool
            from emoeval.reference_models.store import WeightStore, default_models_dir, network_allowed_by_env

            self.pool = ModelPool(WeightStore(default_models_dir(), allow_network=network_allowed_by_env()))
        return self.pool


_SESSION = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("emoeval", "emoeval: score generated faces, speech and dialogue; gate regressions")
    group.addoption("--emoeval-baseline", metavar="PATH", help="baseline file or results folder for emoeval_gate")
    group.addoption(
        "--emoeval-update-baseline",
        action="store_true",
        help="write this session's results as the baseline instead of gating against it",
    )
    group.addoption("--emoeval-report", metavar="PATH", help="write an HTML report of everything scored")
    group.addoption("--emoeval-policy", metavar="PATH", help="gate policy TOML (as for `emoeval gate --policy`)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "emoeval(metrics=None, policy=None, baseline=None): defaults of the emoeval fixtures in this test"
    )


def _session(request: pytest.FixtureRequest) -> _Session:
    stash = request.config.stash
    if _SESSION not in stash:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("emoeval")
        stash[_SESSION] = _Session(folder=folder)
    return stash[_SESSION]


def _marker(request: pytest.FixtureRequest, key: str) -> Any:
    marker = request.node.get_closest_marker("emoeval")
    return None if marker is None else marker.kwargs.get(key)


# -- scoring ----------------------------------------------------------------------------------------------------------


def _write_image(array: Any, path: Path) -> Path:
    import numpy as np
    from PIL import Image

    pixels = np.asarray(array)
    if pixels.dtype != np.uint8:
        raise TypeError(f"{path.name}: an in-memory image must be an H×W(×3) uint8 array, got {pixels.dtype}")
    Image.fromarray(pixels).save(path)
    return path


def _write_audio(value: Any, path: Path) -> Path:
    import numpy as np
    import soundfile as sf

    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise TypeError(f"{path.name}: in-memory audio is (waveform, sampling_rate), got {type(value).__name__}")
    waveform, rate = value
    sf.write(path, np.clip(np.asarray(waveform, dtype=np.float64), -1.0, 1.0), int(rate), subtype="PCM_16")
    return path


def materialise(outputs: Sequence[Mapping[str, Any]], folder: Path, start: int = 0) -> list[dict[str, Any]]:
    """Manifest rows for in-memory outputs: arrays (the output, and a ``reference`` given as an array) written as
    files under ``folder`` (PNG for images, 16-bit WAV for audio); texts kept as they are."""
    rows = []
    for index, output in enumerate(outputs, start=start):
        kinds = [kind for kind in IN_MEMORY_KINDS if kind in output]
        if len(kinds) != 1:
            raise ValueError(
                f"in-memory output #{index}: give exactly one of image=, audio=, text= (got {sorted(output)})"
            )
        kind = kinds[0]
        row: dict[str, Any] = {key: value for key, value in output.items() if key != kind}
        row.setdefault("sample_id", f"sample_{index}")
        row.setdefault("system", "generator")
        row["modality"] = IN_MEMORY_KINDS[kind]
        if kind == "text":
            row["text"] = output["text"]
            rows.append(row)
            continue
        write, suffix = (_write_image, ".png") if kind == "image" else (_write_audio, ".wav")
        row["path"] = str(write(output[kind], folder / f"{index:06d}_output{suffix}"))
        reference = output.get("reference")
        if reference is not None and not isinstance(reference, str | Path):
            row["reference"] = str(write(reference, folder / f"{index:06d}_reference{suffix}"))
        rows.append(row)
    return rows


def _samples(outputs: Any, session: _Session) -> Any:
    """What emoeval.score accepts, with in-memory outputs written to files."""
    if isinstance(outputs, str | Path) or hasattr(outputs, "columns"):
        return outputs
    items = list(outputs)
    if items and isinstance(items[0], Mapping):
        import pandas as pd

        folder = session.folder / f"outputs_{session.materialised:04d}"
        session.materialised += 1
        folder.mkdir(parents=True)
        return pd.DataFrame(materialise(items, folder))
    return items


@pytest.fixture
def emoeval_score(request: pytest.FixtureRequest) -> Callable[..., Results]:
    """Score outputs with emoeval (see the module docstring); models and the cache are shared by the session."""
    session = _session(request)

    def score(outputs: Any, metrics: Sequence[Any] | None = None, **options: Any) -> Results:
        import emoeval

        chosen = metrics if metrics is not None else _marker(request, "metrics")
        options.setdefault("progress", False)
        options.setdefault("model_pool", session.model_pool())
        results = emoeval.score(_samples(outputs, session), metrics=chosen, **options)
        session.scored.append(results)
        return results

    return score


@pytest.fixture
def emoeval_generate(request: pytest.FixtureRequest) -> Callable[..., GenerationRun]:
    """Run a generator over a prompt set (see the module docstring); its cost table joins the session's report."""
    session = _session(request)

    def generate(prompts: Any, generator: Any, **options: Any) -> GenerationRun:
        from emoeval.generation import generate as run_generator

        out = options.pop("out", None)
        if out is None:
            out = session.folder / f"generation_{session.materialised:04d}"
            session.materialised += 1
        run = run_generator(prompts, generator, out, **options)
        session.scored.append(run.results)
        return run

    return generate


# -- gating -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def emoeval_gate(request: pytest.FixtureRequest) -> Callable[..., GateResult]:
    """Gate results against the baseline (see the module docstring); fails the test when the gate fails."""
    config = request.config

    def gate(results: Any, baseline: Any = None, policy: Any = None, systems: Any = None) -> GateResult:
        from emoeval.assertions import gate_failure_text
        from emoeval.gate import GateError, run_gate, save_baseline

        where = baseline or _marker(request, "baseline") or config.getoption("emoeval_baseline")
        if where is None:
            pytest.fail(
                "emoeval_gate: no baseline; pass baseline=..., mark the test with "
                "@pytest.mark.emoeval(baseline=...) or run pytest --emoeval-baseline PATH",
                pytrace=False,
            )
        chosen_policy = policy or _marker(request, "policy") or config.getoption("emoeval_policy")
        if config.getoption("emoeval_update_baseline"):
            save_baseline(results, Path(where))
            return run_gate(results, where, policy=chosen_policy, systems=systems)
        if isinstance(where, str | Path) and not Path(where).exists():
            pytest.fail(
                f"emoeval_gate: the baseline {where} does not exist; write it with pytest --emoeval-update-baseline",
                pytrace=False,
            )
        try:
            result = run_gate(results, where, policy=chosen_policy, systems=systems)
        except GateError as exc:
            pytest.fail(f"emoeval_gate: {exc}", pytrace=False)
        if not result.passed:
            pytest.fail(gate_failure_text(result), pytrace=False)
        return result

    return gate


# -- the session's report ---------------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    target = config.getoption("emoeval_report", default=None)
    state = config.stash.get(_SESSION, None)
    if not target or state is None or not state.scored:
        return
    import pandas as pd

    import emoeval
    from emoeval.results import Results

    table = pd.concat([results.table for results in state.scored], ignore_index=True)
    first = state.scored[0]
    combined = Results(table=table, run={**first.run, "note": f"{len(state.scored)} scorings of a pytest session"})
    emoeval.report(combined, target, title="emoeval — pytest session")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    target = config.getoption("emoeval_report", default=None)
    state = config.stash.get(_SESSION, None)
    if target and state is not None and state.scored:
        terminalreporter.write_line(f"emoeval: report of {len(state.scored)} scoring(s) in {target}")


__all__ = ["IN_MEMORY_KINDS", "emoeval_gate", "emoeval_generate", "emoeval_score", "materialise"]
