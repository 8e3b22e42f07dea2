"""The reference-model contract, and the pool that loads each model once per run.

A reference model (recognizer, embedder, detector) is a named, versioned model with a :class:`ModelCard`
listing its weight files and their sha256. It turns one input (a file or a text) into one numpy array in
two steps, so the runner can batch and cache:

- :meth:`ReferenceModel.prepare` decodes one input (raises :class:`~emoeval.errors.SampleInputError` for a
  corrupt file, no face, silence...);
- :meth:`ReferenceModel.infer` runs the model on a batch of prepared inputs.

Outputs are cached on disk under the model's :attr:`~ReferenceModel.fingerprint`, which covers the weights'
hashes, the preprocessing settings and the models it builds on.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from emoeval.reference_models.store import ModelCard, ResolvedWeight, WeightStore, resolved_weights_sha256

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class ModelInput:
    """One input to a model: a file (its path and bytes) or a text, with its content hash."""

    key: str
    path: Path | None = None
    data: bytes | None = None
    text: str | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else f"text:{self.key[:12]}"


class ReferenceModel(ABC):
    """Base class of every reference model; subclasses set ``card`` and implement the three methods."""

    card: ClassVar[ModelCard]
    #: other reference models (registry names) this one is built on, loaded through the same pool
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, weights: Mapping[str, ResolvedWeight], dependencies: Mapping[str, ReferenceModel]) -> None:
        self.weights = dict(weights)
        self.dependencies = dict(dependencies)

    @classmethod
    def load(cls, store: WeightStore, pool: ModelPool) -> Self:
        """Resolve and verify the weights, load the dependencies, build the model, then pin new files.

        Every file is checked against its published hash or its pin before the model is built; files with no
        published hash used for the first time are pinned only once the model loaded (see
        :mod:`emoeval.reference_models.store`), so a failed or refused first load records nothing as trusted.
        """
        weights = store.resolve_all(cls.card)
        dependencies = {name: pool.get(name) for name in cls.requires}
        model = cls(weights, dependencies)
        store.pin(cls.card, weights)
        return model

    def config(self) -> dict[str, Any]:
        """Settings that change the outputs (input size, thresholds...); part of the fingerprint."""
        return {}

    @property
    def weights_sha256(self) -> str:
        """The hash of the weight files this instance loaded (computed, so also for unpinned files)."""
        return resolved_weights_sha256(self.weights) if self.weights else self.card.weights_sha256

    @property
    def fingerprint(self) -> str:
        """sha256 over name, version, weight hashes, :meth:`config` and the dependencies' fingerprints."""
        payload = {
            "name": self.card.name,
            "version": self.card.version,
            "weights": self.weights_sha256,
            "config": self.config(),
            "dependencies": {name: model.fingerprint for name, model in sorted(self.dependencies.items())},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    @abstractmethod
    def prepare(self, item: ModelInput) -> Any:
        """Decode and preprocess one input; raise SampleInputError naming the problem when it is unusable."""

    @abstractmethod
    def infer(self, prepared: Sequence[Any]) -> list[np.ndarray]:
        """Run the model on a batch of prepared inputs; one array per input, in order."""


class ModelPool:
    """Loads each reference model at most once, by registry name, through one weight store."""

    def __init__(self, store: WeightStore | None = None) -> None:
        self.store = store if store is not None else WeightStore()
        self._models: dict[str, ReferenceModel] = {}
        self._loading: set[str] = set()

    def get(self, name: str) -> ReferenceModel:
        if name in self._models:
            return self._models[name]
        if name in self._loading:
            raise RuntimeError(f"reference model {name!r} requires itself (a dependency cycle)")
        if not self.store.allow_network:
            # before the model's libraries are imported: some read their telemetry switch only then (onnxruntime)
            from emoeval.offline import apply_offline_environment

            apply_offline_environment()
        from emoeval.registry import get_reference_model_class

        model_class = get_reference_model_class(name)
        self._loading.add(name)
        try:
            model = model_class.load(self.store, self)
        finally:
            self._loading.discard(name)
        self._models[name] = model
        return model

    def loaded(self) -> dict[str, ReferenceModel]:
        """The models loaded so far, by name."""
        return dict(self._models)


def trust_model(name: str, folder: str | Path | None = None, *, models_dir: str | Path | None = None) -> ReferenceModel:
    """The explicit trust step for a model whose files have no published hash (``emoeval models trust``).

    Loads reference model ``name`` from ``folder`` (or, without one, from where the weight store finds its
    files: ``<models dir>/<name>/``, the Hugging Face cache...) **accepting its code files unpinned** — this
    runs them: call it only for a copy you trust — and, once the model has loaded, pins the sha256 of every
    file that has no published hash (replacing the pins of an earlier copy). Later runs load that copy
    without this step and refuse a changed file before it runs. Files with a published hash are still checked
    against it, and a model folder must hold exactly the model's files. Returns the loaded model (its
    ``weights`` say which files were pinned, and where from).
    """
    from emoeval.reference_models.store import default_models_dir

    store = WeightStore(
        models_dir=Path(models_dir) if models_dir is not None else default_models_dir(),
        allow_network=False,
        explicit={name: Path(folder)} if folder is not None else {},
        trusted=frozenset({name}),
        repin=True,
    )
    return ModelPool(store).get(name)
