"""What a metric sees while scoring: loaded reference models and their cached, batched outputs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

    from emoeval.cache import OutputCache
    from emoeval.reference_models.base import ModelInput, ModelPool, ReferenceModel


def content_key(item: Path | str, modality: str | None = None) -> tuple[str, bytes | None]:
    """sha256 of a file's bytes (returned too, to decode without a second read) or of a text.

    Files go through :func:`emoeval.media.files.read_input_file`: only regular files within the size limit of
    ``modality`` (None: guessed from the suffix) are read; a FIFO, a device, a folder, a missing or too large
    file is a :class:`SampleInputError` naming it.
    """
    if isinstance(item, Path):
        from emoeval.media.files import read_input_file

        return read_input_file(item, modality)
    try:
        encoded = item.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from undecodable bytes
        raise SampleInputError(
            f"text is not valid Unicode ({exc.reason} at position {exc.start}); save the manifest as UTF-8"
        ) from None
    return hashlib.sha256(encoded).hexdigest(), None


def decode_threads() -> int:
    """Threads that read, hash and decode inputs: ``$EMOEVAL_DECODE_THREADS``, else the usable cores, at most 4
    (decoding is a small share of a model's time; more threads would only compete with the model's own)."""
    import os

    from emoeval.reference_models.base import usable_cores

    value = os.environ.get("EMOEVAL_DECODE_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"EMOEVAL_DECODE_THREADS={value!r} is not a whole number; set it to e.g. 2 or unset it"
            ) from None
    return min(4, usable_cores())


class _Prefetched(NamedTuple):
    """What :meth:`ScoringContext.prefetch` found for one input ahead of time."""

    key: str
    data: bytes | None
    #: the model's ``prepare`` result, the exception it raised, or None when it was not prepared ahead
    prepared: Any = None
    failed: BaseException | None = None


class ScoringContext:
    """Gives metrics their reference models and cached model outputs for a batch of inputs.

    Inputs are decoded in a small thread pool (``threads``; default :func:`decode_threads`) for models that
    declare their :meth:`~emoeval.reference_models.base.ReferenceModel.prepare` thread-safe
    (``parallel_prepare``): Pillow, soundfile and hashlib release the GIL, so decoding runs beside the model.
    :meth:`prefetch` starts reading, hashing and decoding the next batch while the model runs on this one.
    Neither changes a result: ``prepare`` is the same pure function on the same bytes, and every batch is
    still inferred as one call, in order.
    """

    def __init__(self, pool: ModelPool, cache: OutputCache | None, *, threads: int | None = None) -> None:
        self.pool = pool
        self.cache = cache
        self.threads = decode_threads() if threads is None else max(1, threads)
        self._executor: ThreadPoolExecutor | None = None
        #: inputs being read/decoded ahead, by (model name, item); consumed by :meth:`outputs`
        self._ahead: dict[tuple[str, Path | str], Future[_Prefetched]] = {}
        #: per model, the items of its last prefetch calls (the batch being scored and the next one are kept)
        self._rounds: dict[str, list[list[tuple[str, Path | str]]]] = {}

    def model(self, name: str) -> ReferenceModel:
        return self.pool.get(name)

    def _workers(self) -> ThreadPoolExecutor | None:
        """The decoding threads (made on first use), or None with ``threads == 1``."""
        if self.threads < 2:
            return None
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="emoeval-decode")
        return self._executor

    def close(self) -> None:
        """Stop the decoding threads (pending prefetches are dropped); the context stays usable."""
        for future in self._ahead.values():
            future.cancel()
        self._ahead.clear()
        self._rounds.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _parallel_model(self, model_name: str) -> ReferenceModel | None:
        """The model when it is already loaded and its ``prepare`` may run in threads (prefetch never loads one)."""
        loaded = getattr(self.pool, "loaded", None)
        model = loaded().get(model_name) if loaded is not None else None
        return model if model is not None and getattr(model, "parallel_prepare", False) else None

    def prefetch(self, model_name: str, items: Sequence[Path | str]) -> None:
        """Start reading, hashing and (for a loaded model with ``parallel_prepare``) decoding ``items`` in the
        background, so the next :meth:`outputs` call for them finds the work done.

        Call it with the *next* batch before asking for the current one's outputs, so the reading overlaps the
        model's work. Items whose output is in the cache are only read and hashed (the hash is their cache key).
        Work of a prefetch call two calls back that no :meth:`outputs` call used is dropped (memory holds at most
        two batches ahead). Does nothing with ``threads == 1``.
        """
        workers = self._workers()
        if workers is None:
            return
        model = self._parallel_model(model_name)
        fingerprint = self.pool.fingerprint(model_name) if model is not None else ""
        rounds = self._rounds.setdefault(model_name, [])
        rounds.append([(model_name, item) for item in items])
        while len(rounds) > 2:  # a batch prefetched but never asked for: drop it
            for key in rounds.pop(0):
                future = self._ahead.pop(key, None)
                if future is not None:
                    future.cancel()
        for item in items:
            if (model_name, item) not in self._ahead:
                self._ahead[(model_name, item)] = workers.submit(self._read_ahead, model_name, fingerprint, model, item)

    def _read_ahead(
        self, model_name: str, fingerprint: str, model: ReferenceModel | None, item: Path | str
    ) -> _Prefetched:
        key, data = content_key(item)  # a SampleInputError surfaces again when outputs() reads the future
        if model is None or (self.cache is not None and self.cache.contains(model_name, fingerprint, key)):
            return _Prefetched(key, data)
        from emoeval.reference_models.base import ModelInput

        one = ModelInput(key=key, path=item, data=data) if isinstance(item, Path) else ModelInput(key=key, text=item)
        try:
            return _Prefetched(key, data, prepared=model.prepare(one))
        except Exception as exc:  # kept for outputs(): the same error a serial prepare would record
            return _Prefetched(key, data, failed=exc)

    def outputs(self, model_name: str, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """One output (or the reason it could not be computed) per item, reading the cache first.

        Files are identified by their content, so a renamed file is still a cache hit and identical inputs
        within a batch are computed once. The model is loaded only when some output is not in the cache.
        """
        from emoeval.reference_models.base import ModelInput

        fingerprint = self.pool.fingerprint(model_name)  # without loading the model: cached outputs need none
        ahead = {item: self._ahead.pop((model_name, item)) for item in items if (model_name, item) in self._ahead}
        results: list[Any] = [None] * len(items)
        pending: dict[str, list[int]] = {}
        inputs: dict[str, ModelInput] = {}
        early: dict[str, _Prefetched] = {}
        for index, item in enumerate(items):
            try:
                found = ahead[item].result() if item in ahead else None
                key, data = (found.key, found.data) if found is not None else content_key(item)
            except SampleInputError as exc:
                results[index] = exc
                continue
            cached = self.cache.get(model_name, fingerprint, key) if self.cache is not None else None
            if cached is not None:
                results[index] = cached
                continue
            if key not in inputs:
                inputs[key] = (
                    ModelInput(key=key, path=item, data=data)
                    if isinstance(item, Path)
                    else ModelInput(key=key, text=item)
                )
                if found is not None and (found.prepared is not None or found.failed is not None):
                    early[key] = found
            pending.setdefault(key, []).append(index)
        computed = self._compute(self.model(model_name), list(inputs.values()), early) if inputs else {}
        for key, value in computed.items():
            if self.cache is not None and not isinstance(value, SampleInputError):
                self.cache.put(model_name, fingerprint, key, value)
            for index in pending[key]:
                results[index] = value
        return results

    def _prepare_all(self, model: ReferenceModel, inputs: list[ModelInput], early: dict[str, _Prefetched]) -> list[Any]:
        """``model.prepare`` of each input (or the exception it raised), in order: prefetched ones as found,
        the others in the decoding threads when the model allows it."""

        def attempt(item: ModelInput) -> Any:
            found = early.get(item.key)
            if found is not None:
                return found.failed if found.failed is not None else found.prepared
            try:
                return model.prepare(item)
            except Exception as exc:
                return exc

        workers = self._workers() if getattr(model, "parallel_prepare", False) and len(inputs) > 1 else None
        if workers is None:
            return [attempt(item) for item in inputs]
        return list(workers.map(attempt, inputs))

    def _compute(
        self, model: ReferenceModel, inputs: list[ModelInput], early: dict[str, _Prefetched] | None = None
    ) -> dict[str, Any]:
        """Prepare each input (isolating failures), then infer on the good ones as one batch."""
        values: dict[str, Any] = {}
        prepared: list[tuple[ModelInput, Any]] = []
        for item, one in zip(inputs, self._prepare_all(model, inputs, early or {}), strict=True):
            if isinstance(one, SampleInputError):
                values[item.key] = one
            elif isinstance(one, Exception):  # a decoder's own error: record it for this input only
                values[item.key] = SampleInputError(f"{item.name}: {type(one).__name__}: {one}")
            else:
                prepared.append((item, one))
        if not prepared:
            return values
        try:
            outputs = model.infer([one for _, one in prepared])
        except Exception:
            outputs = None
        if outputs is not None:
            values.update({item.key: output for (item, _), output in zip(prepared, outputs, strict=True)})
            return values
        # The batch failed: retry one by one so only the culprit gets an error.
        for item, one in prepared:
            try:
                values[item.key] = model.infer([one])[0]
            except Exception as exc:
                values[item.key] = SampleInputError(
                    f"{item.name}: {model.card.name} failed: {type(exc).__name__}: {exc}"
                )
        return values
