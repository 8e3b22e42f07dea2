"""Shared fixtures: a third-party-style plug-in installed into sys.path, isolated caches, shared-data paths."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_DIR = REPO / "emoeval" / "data" / "demo"

PLUGIN_SOURCE = '''
"""A third-party emoeval plug-in, as another package would write it (used by the tests)."""
from __future__ import annotations

import os

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.metric import CorpusMetric, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.reference_models.base import ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

CALLS = {"infer_items": 0, "score_batches": 0, "setup": 0}
INTERRUPT_AFTER = {"batches": None}

class FakeEmbedder(ReferenceModel):
    """Embeds a file as [number of bytes, byte sum mod 97] (files starting with CORRUPT fail to decode)."""
    card = ModelCard(
        name="fake-embedder", version="1",
        files=(WeightFile(filename="fake.bin", sha256="__SHA__", size=__SIZE__, package="fakeplugin",
                          package_path="fake.bin"),),
        summary="test embedder", license="MIT",
    )

    def prepare(self, item):
        data = item.data
        if data.startswith(b"CORRUPT"):
            raise ValueError("cannot decode this fake file")
        if not data:
            raise SampleInputError(f"{item.name}: empty file")
        return np.array([len(data), sum(data) % 97], dtype=np.float64)

    def infer(self, prepared):
        CALLS["infer_items"] += len(prepared)
        return [p.copy() for p in prepared]


class FakeSizeGap(CorpusMetric):
    """Mean byte length of a system's files minus that of a reference system's (a stand-in for FID)."""
    spec = MetricSpec(
        name="fake_size_gap", modality="face", scope="corpus",
        outputs=(Output("gap", higher_is_better=False, range=(float("-inf"), float("inf"))),),
        version="0.1", models=("fake-embedder",), summary="test corpus metric",
    )
    max_resamples = 50

    def __init__(self, *, real_system: str = "beta", by_emotion: bool = False) -> None:
        self.real_system = real_system
        self.by_emotion = by_emotion
        self.reference = None

    def reference_systems(self):
        return frozenset({self.real_system})

    def setup(self, context, samples):
        CALLS["setup"] += 1
        real = [s for s in samples if s.system == self.real_system]
        sizes = context.outputs("fake-embedder", [s.path for s in real])
        self.reference = {None: float(np.mean([v[0] for v in sizes]))}
        for emotion in {s.target_emotion for s in real}:
            chosen = [v[0] for s, v in zip(real, sizes) if s.target_emotion == emotion]
            self.reference[emotion] = float(np.mean(chosen))

    def states(self, samples, context):
        return [out if isinstance(out, SampleInputError) else float(out[0])
                for out in context.outputs("fake-embedder", [s.path for s in samples])]

    def compute(self, states, *, emotion=None):
        return {"gap": float(np.mean(states)) - self.reference[emotion]}


class FakeLengthRatio(SampleMetric):
    """Byte-length ratio of output to reference (a stand-in for an embedding metric)."""
    spec = MetricSpec(
        name="fake_length_ratio", modality="face", scope="sample",
        outputs=(Output("ratio", higher_is_better=True, range=(0.0, float("inf"))),
                 Output("checksum", higher_is_better=False, range=(0.0, 96.0)),
                 Output("max_ratio", higher_is_better=True, range=(0.0, float("inf")), scope="system")),
        version="0.1", needs=frozenset({"reference"}), models=("fake-embedder",), summary="test metric",
    )
    batch_size = 2

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale

    def summarize(self, rows, bootstrap):
        ratios = rows[(rows.sub_metric == "ratio") & rows.error.isna()]
        return [SystemValue("max_ratio", float(ratios.value.max()), n=len(ratios), statistic="max")]

    def score(self, samples, context):
        CALLS["score_batches"] += 1
        if INTERRUPT_AFTER["batches"] is not None and CALLS["score_batches"] > INTERRUPT_AFTER["batches"]:
            raise KeyboardInterrupt
        for sample in samples:  # a worker process dying mid-batch, once (the Ray backend's fault-tolerance test)
            if "die-once" in sample.sample_id and not os.path.exists(f"{sample.path}.died"):
                open(f"{sample.path}.died", "w").close()
                os._exit(1)
        if any("crash" in s.sample_id for s in samples):
            if len(samples) == 1:
                raise RuntimeError("metric bug triggered by this sample")
            raise RuntimeError("batch failed")
        outputs = context.outputs("fake-embedder", [s.path for s in samples])
        references = context.outputs("fake-embedder", [s.reference for s in samples])
        scores = []
        for out, ref in zip(outputs, references):
            if isinstance(out, SampleInputError):
                scores.append(SampleScore.failed(out))
            elif isinstance(ref, SampleInputError):
                scores.append(SampleScore.failed(f"reference: {ref}"))
            else:
                scores.append(SampleScore(values={"ratio": self.scale * out[0] / ref[0], "checksum": out[1]}))
        return scores
'''

ENTRY_POINTS = """
[emoeval.metrics]
fake_length_ratio = fakeplugin:FakeLengthRatio
fake_size_gap = fakeplugin:FakeSizeGap

[emoeval.reference_models]
fake-embedder = fakeplugin:FakeEmbedder
"""


@pytest.fixture(scope="session")
def plugin_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding an installed-looking distribution ``fakeplugin`` with entry points."""
    root = tmp_path_factory.mktemp("plugin")
    weights = b"fake weights v1"
    package = root / "fakeplugin"
    package.mkdir()
    (package / "fake.bin").write_bytes(weights)
    (package / "__init__.py").write_text(
        textwrap.dedent(PLUGIN_SOURCE)
        .replace("__SHA__", hashlib.sha256(weights).hexdigest())
        .replace("__SIZE__", str(len(weights)))
    )
    dist_info = root / "fakeplugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


@pytest.fixture
def plugin(plugin_root: Path, monkeypatch: pytest.MonkeyPatch):
    """The fake plug-in importable and discoverable through entry points; its call counters reset."""
    monkeypatch.syspath_prepend(str(plugin_root))
    import importlib

    module = importlib.import_module("fakeplugin")
    module.CALLS.update(infer_items=0, score_batches=0, setup=0)
    module.INTERRUPT_AFTER["batches"] = None
    yield module
    module.INTERRUPT_AFTER["batches"] = None


@pytest.fixture(autouse=True)
def isolated_emoeval_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own output cache and an empty weight-store folder; offline."""
    base = tmp_path_factory.mktemp("emoeval-home")
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(base / "models"))
    monkeypatch.setenv("EMOEVAL_OFFLINE", "1")


@pytest.fixture
def shared_data():
    """``shared_data("faces_london")``: path of a ``../shared/data`` folder, or skip the test saying why."""

    def locate(folder: str) -> Path:
        path = SHARED_DATA / folder
        if not path.is_dir():
            pytest.skip(f"{path} is absent: the shared real-data folder sits beside the repository, not in it")
        return path

    return locate


@pytest.fixture
def file_server(monkeypatch: pytest.MonkeyPatch):
    """Serve bytes over HTTP on 127.0.0.1: the weight store's ``pull`` path, tested without the internet.

    ``serve(files, base)`` starts a server for ``{url path: bytes}`` and returns (the URL of ``base``, the list of
    paths requested so far); unknown paths get 404. Proxies are bypassed; servers stop after the test.
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    running = []

    def serve(files: dict[str, bytes], base: str = "/") -> tuple[str, list[str]]:
        requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format, *args):
                pass

            def do_GET(self):
                requests.append(self.path)
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}{base}", requests

    yield serve
    for httpd, thread in running:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def readme_says() -> Callable[[str, str], None]:
    """``readme_says(stated, measured)``: the README contains ``stated`` (line breaks as it has them) and it is
    the text a test measured — so a README figure changes only with the number behind it."""

    def check(stated: str, measured: str) -> None:
        text = (REPO / "README.md").read_text(encoding="utf-8")
        assert stated in text, f"the README no longer says {stated!r}"
        assert " ".join(stated.split()) == " ".join(measured.split()), (stated, measured)

    return check


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_DIR


@dataclass(frozen=True)
class DemoRun:
    """One ``emoeval demo --out <out>`` run: its exit code, what it printed, and the output cache it filled."""

    out: Path
    exit_code: int
    output: str
    cache: Path


@pytest.fixture(scope="session")
def shared_output_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output cache for the whole session, empty when it starts, for real-data tests whose assertions are about
    values, not about the cache: a file that several modules score with the same model is computed once (the
    demo's speech files are also ../shared/data/speech_emostargan's, scored again by the speech quality tests).
    Entries are keyed by model, model fingerprint and input content, so a value read from it equals the recomputed
    one — up to the last float32 bits for a batched model (a text embedded in another batch), so it is not for
    comparisons with recorded numbers at 1e-6 (test_results_baseline.py keeps its own). Opt in with
    ``cache_dir=`` or the ``use_shared_output_cache`` fixture."""
    return tmp_path_factory.mktemp("shared-outputs")


@pytest.fixture
def use_shared_output_cache(shared_output_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``EMOEVAL_CACHE_DIR`` set to the session's shared output cache for this test (instead of its own)."""
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(shared_output_cache))
    return shared_output_cache


@pytest.fixture(scope="session")
def offline_model_pool():
    """One offline model pool for the whole session — weights from the installed packages only, nothing
    downloaded (the same models an empty ``EMOEVAL_MODELS_DIR`` gives) — so a reference model that several test
    modules use loads once per session instead of once per module or per ``score()`` call (the zero-shot text
    recognizer alone embeds its 640 prototype sentences at every load). Models are deterministic and hold no
    state between calls, so a value does not depend on which test loaded the model. Not for tests that count
    loads, use their own weight folder or fitted probe (a probe is cached under its model name), or a
    network-allowed store."""
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


#: the session's sentence embeddings by (embedder class, fingerprint, batch size, length limit, texts): see below
_SENTENCE_EMBEDDINGS: dict[tuple[object, ...], object] = {}


@pytest.fixture(scope="session", autouse=True)
def share_sentence_embeddings():
    """``MiniLMSentenceEmbedder.encode`` computed once per session for each distinct call: every load of the
    zero-shot text recognizer embeds the same 640 prototype sentences (seconds of MiniLM on 2 cores, paid again by
    every model pool of every test), and tests embed the same MELD utterances again. The key holds the model's
    fingerprint (weights, settings), its batch size and length limit and the exact list of texts, so a hit returns
    the same batches' result bit for bit — what recomputing it gives; callers get a copy. The first call of each
    key still runs the model (the tests that compare it with sentence-transformers compute it)."""
    from emoeval.reference_models.text_embedding import MiniLMSentenceEmbedder

    original = MiniLMSentenceEmbedder.encode

    def encode(self, texts, *, checked=False):
        texts = list(texts)  # an iterator is read once, for the key and for the model
        key = (type(self), self.fingerprint, self.forward_batch, self.max_length, checked, tuple(texts))
        found = _SENTENCE_EMBEDDINGS.get(key)
        if found is None:
            found = _SENTENCE_EMBEDDINGS[key] = original(self, texts, checked=checked)
        return found.copy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MiniLMSentenceEmbedder, "encode", encode)
        yield
    _SENTENCE_EMBEDDINGS.clear()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, shared_output_cache: Path) -> DemoRun:
    """``emoeval demo`` run once per session for the tests that read its results and report (test_demo.py,
    test_report_browser.py): offline, an empty models folder of its own, the session's shared output cache.
    Readers must leave ``out`` as it is (a rerun writes elsewhere)."""
    from click.testing import CliRunner

    from emoeval.cli import main

    base = tmp_path_factory.mktemp("demo-run")
    out, cache = base / "emoeval-demo", shared_output_cache
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMOEVAL_CACHE_DIR", str(cache))
        patch.setenv("EMOEVAL_MODELS_DIR", str(base / "models"))
        patch.setenv("EMOEVAL_OFFLINE", "1")
        result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    return DemoRun(out=out, exit_code=result.exit_code, output=result.output, cache=cache)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)
