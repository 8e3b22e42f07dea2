"""What a metric sees while scoring: loaded reference models and their cached, batched outputs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
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


class ScoringContext:
    """Gives metrics their reference models and cached model outputs for a batch of inputs."""

    def __init__(self, pool: ModelPool, cache: OutputCache | None) -> None:
        self.pool = pool
        self.cache = cache

    def model(self, name: str) -> ReferenceModel:
        return self.pool.get(name)

    def outputs(self, model_name: str, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """One output (or the reason it could not be computed) per item, reading the cache first.

        Files are identified by their content, so a renamed file is still a cache hit and identical inputs
        within a batch are computed once. The model is loaded only when some output is not in the cache.
        """
        from emoeval.reference_models.base import ModelInput

        fingerprint = self.pool.fingerprint(model_name)  # without loading the model: cached outputs need none
        results: list[Any] = [None] * len(items)
        pending: dict[str, list[int]] = {}
        inputs: dict[str, ModelInput] = {}
        for index, item in enumerate(items):
            try:
                key, data = content_key(item)
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
            pending.setdefault(key, []).append(index)
        computed = self._compute(self.model(model_name), list(inputs.values())) if inputs else {}
        for key, value in computed.items():
            if self.cache is not None and not isinstance(value, SampleInputError):
                self.cache.put(model_name, fingerprint, key, value)
            for index in pending[key]:
                results[index] = value
        return results

    @staticmethod
    def _compute(model: ReferenceModel, inputs: list[ModelInput]) -> dict[str, Any]:
        """Prepare each input (isolating failures), then infer on the good ones as one batch."""
        values: dict[str, Any] = {}
        prepared: list[tuple[ModelInput, Any]] = []
        for item in inputs:
            try:
                prepared.append((item, model.prepare(item)))
            except SampleInputError as exc:
                values[item.key] = exc
            except Exception as exc:  # a decoder's own error: record it for this input only
                values[item.key] = SampleInputError(f"{item.name}: {type(exc).__name__}: {exc}")
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
