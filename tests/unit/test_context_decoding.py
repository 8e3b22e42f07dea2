"""ScoringContext's decoding threads and prefetch (issue 18): same outputs as the serial path, each input decoded
once, errors isolated per input, no model loaded by a prefetch, cached inputs not decoded; and the torch thread
count chosen in one place (reference_models/base.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image

from emoeval.cache import OutputCache
from emoeval.context import ScoringContext, decode_threads
from emoeval.errors import SampleInputError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ModelPool, ReferenceModel, torch_threads
from emoeval.reference_models.store import ModelCard


class PixelMeans(ReferenceModel):
    """Decodes an image (Pillow) and returns its per-channel means; records which threads decoded what."""

    card = ModelCard(name="pixel-means", version="1", files=(), summary="test", license="MIT", citation="-")
    parallel_prepare: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__({}, {})
        self.prepared: list[tuple[str, str]] = []  # (file name, thread name)
        self.lock = threading.Lock()

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        rgb = decode_image(item.data, item.name)
        with self.lock:
            self.prepared.append((Path(item.name).name, threading.current_thread().name))
        return rgb

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [image.reshape(-1, 3).mean(axis=0) for image in prepared]


class SerialPixelMeans(PixelMeans):
    parallel_prepare: ClassVar[bool] = False


class Pool(ModelPool):
    """Hands out one model instance; counts how often it was asked for (a load, for a real pool)."""

    def __init__(self, model: ReferenceModel) -> None:
        super().__init__()
        self.model = model
        self.gets = 0
        self.is_loaded = False

    def get(self, name: str) -> Any:
        self.gets += 1
        self.is_loaded = True
        return self.model

    def fingerprint(self, name: str) -> str:
        return "f" * 64

    def loaded(self) -> dict[str, Any]:
        return {"pixel-means": self.model} if self.is_loaded else {}


def images(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"img_{index:02d}.png"
        Image.fromarray(rng.integers(0, 256, size=(40, 32, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def expected_means(paths: Sequence[Path]) -> list[np.ndarray]:
    """Computed directly with Pillow, outside emoeval."""
    return [np.asarray(Image.open(p).convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(axis=0) for p in paths]


def test_threads_decode_a_batch_with_the_same_outputs_and_isolated_errors(tmp_path: Path) -> None:
    paths = images(tmp_path, 6)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    items: list[Path | str] = [*paths[:3], broken, *paths[3:], paths[0]]
    model = PixelMeans()
    context = ScoringContext(Pool(model), None, threads=3)
    outputs = context.outputs("pixel-means", items)
    serial = ScoringContext(Pool(SerialPixelMeans()), None, threads=3).outputs("pixel-means", items)
    context.close()
    assert isinstance(outputs[3], SampleInputError) and "broken.png" in str(outputs[3])
    assert isinstance(serial[3], SampleInputError) and str(serial[3]).split(" (")[0] == str(outputs[3]).split(" (")[0]
    good = [o for o in outputs if not isinstance(o, SampleInputError)]
    for found, direct, one in zip(
        good, [*expected_means(paths), expected_means(paths)[0]], serial[:3] + serial[4:], strict=True
    ):
        np.testing.assert_array_equal(found, direct)
        np.testing.assert_array_equal(found, one)
    assert sorted(name for name, _ in model.prepared) == sorted(p.name for p in paths)  # the duplicate: once
    assert all(thread.startswith("emoeval-decode") for _, thread in model.prepared)


def test_a_model_without_parallel_prepare_is_decoded_in_the_calling_thread(tmp_path: Path) -> None:
    model = SerialPixelMeans()
    ScoringContext(Pool(model), None, threads=4).outputs("pixel-means", list(images(tmp_path, 4)))
    assert {thread for _, thread in model.prepared} == {threading.current_thread().name}


def test_prefetch_decodes_the_next_batch_once_and_outputs_use_it(tmp_path: Path) -> None:
    paths = images(tmp_path, 12)
    model = PixelMeans()
    pool = Pool(model)
    context = ScoringContext(pool, None, threads=2)
    context.prefetch("pixel-means", paths[:4])  # the model is not loaded yet: only read and hashed
    assert pool.gets == 0 and model.prepared == []
    first = context.outputs("pixel-means", paths[:4])
    # as the runner does: the next batch is prefetched *before* the current one's outputs are asked for
    context.prefetch("pixel-means", paths[8:])
    second = context.outputs("pixel-means", paths[4:8])  # its inputs were not prefetched: decoded now
    context.prefetch("pixel-means", [])
    for future in list(context._ahead.values()):
        future.result()
    prefetched = [name for name, thread in model.prepared if name in {p.name for p in paths[8:]}]
    assert sorted(prefetched) == sorted(p.name for p in paths[8:])  # decoded ahead, while batch 2 was scored
    third = context.outputs("pixel-means", paths[8:])
    context.close()
    assert len(model.prepared) == len(paths)  # nothing decoded twice
    for found, direct in zip(first + second + third, expected_means(paths), strict=True):
        np.testing.assert_array_equal(found, direct)


def test_prefetch_skips_cached_inputs_and_drops_unused_work(tmp_path: Path) -> None:
    paths = images(tmp_path / "img", 6)
    cache = OutputCache(tmp_path / "cache")
    model = PixelMeans()
    context = ScoringContext(Pool(model), cache, threads=2)
    context.outputs("pixel-means", paths[:2])  # cached now
    model.prepared.clear()
    context.prefetch("pixel-means", paths[:4])
    for future in list(context._ahead.values()):
        future.result()
    assert sorted(name for name, _ in model.prepared) == [p.name for p in paths[2:4]]
    outputs = context.outputs("pixel-means", paths[:1])  # the other prefetched inputs are never asked for
    assert cache.hits == 1
    np.testing.assert_array_equal(outputs[0], expected_means(paths[:1])[0])
    context.prefetch("pixel-means", paths[4:5])
    assert len(context._ahead) == 4  # the first call's three unused inputs and the new one: two calls kept
    context.prefetch("pixel-means", paths[5:])
    assert set(context._ahead) == {("pixel-means", paths[4]), ("pixel-means", paths[5])}  # the oldest dropped
    context.close()
    assert context._ahead == {}


def test_thread_counts_come_from_the_environment_or_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("EMOEVAL_TORCH_THREADS", raising=False)
    monkeypatch.delenv("EMOEVAL_DECODE_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert torch_threads() == cores
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Ray sets for a one-CPU worker
    assert torch_threads() == 1
    assert decode_threads() == min(4, cores)
    monkeypatch.setenv("EMOEVAL_TORCH_THREADS", "3")
    monkeypatch.setenv("EMOEVAL_DECODE_THREADS", "1")
    assert torch_threads() == 3 and decode_threads() == 1
    monkeypatch.setenv("EMOEVAL_TORCH_THREADS", "many")
    with pytest.raises(ValueError, match="EMOEVAL_TORCH_THREADS"):
        torch_threads()


def test_loading_a_model_sets_torch_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from emoeval.reference_models.base import configure_torch_threads

    before = torch.get_num_threads()
    monkeypatch.setenv("EMOEVAL_TORCH_THREADS", "1")
    try:
        configure_torch_threads()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_local_backend_reads_the_next_batch_ahead_while_it_scores_one() -> None:
    from emoeval.runner.backends import LocalSession

    events: list[tuple[str, Any]] = []

    class Metric:
        spec = None

        def prefetch_inputs(self, samples):
            return [("pixel-means", list(samples))]

        def score(self, samples, context):
            events.append(("score", list(samples)))
            return [object() for _ in samples]

    session = LocalSession(Pool(PixelMeans()), None)
    session.context.prefetch = lambda model, items: events.append(("prefetch", list(items)))  # type: ignore[method-assign]
    batches = [["a", "b"], ["c"], ["d", "e"]]
    for _ in session.scores(Metric(), batches):  # type: ignore[arg-type]
        pass
    session.close()
    assert events == [
        ("prefetch", ["c"]),
        ("score", ["a", "b"]),
        ("prefetch", ["d", "e"]),
        ("score", ["c"]),
        ("score", ["d", "e"]),
    ]


def test_a_failing_read_ahead_does_not_stop_the_scoring() -> None:
    from emoeval.runner.backends import LocalSession

    class Metric:
        def prefetch_inputs(self, samples):
            raise ValueError("a plug-in's bug in its read-ahead")

        def score(self, samples, context):
            return [object() for _ in samples]

    session = LocalSession(Pool(PixelMeans()), None)
    scored = list(session.scores(Metric(), [["a"], ["b", "c"]]))  # type: ignore[arg-type]
    session.close()
    assert [len(batch) for batch in scored] == [1, 2]
