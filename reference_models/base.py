"""The reference-model contract, and the pool that loads each model once per run.

A reference model (recognizer, embedder, detector) is a named, versioned model with a :class:`ModelCard`
listing its weight files and their sha256. It turns one input (a file or a text) into one numpy array in
two steps, so the runner can batch and cache:

- :meth:`ReferenceModel.prepare` decodes one input (raises :class:`~emoeval.errors.SampleInputError` for a
  corrupt file, no face, silence...);
- :meth:`ReferenceModel.infer` runs the model on a batch of prepared inputs.

Outputs are cached on disk under the model's :attr:`~ReferenceModel.fingerprint`, which covers the weights'
hashes, the preprocessing settings and the models it builds on. The pool computes a fingerprint **without
loading the model** (:meth:`ModelPool.fingerprint`: the weight files are resolved and hashed, the settings are
class-level data), so a run whose outputs are all cached never loads a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from emoeval.reference_models.store import ModelCard, ResolvedWeight, WeightStore, resolved_weights_sha256

if TYPE_CHECKING:
    import numpy as np


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, so a container's or ``taskset``'s limit counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def torch_threads() -> int:
    """The intra-op threads torch models use: ``$EMOEVAL_TORCH_THREADS``, else ``$OMP_NUM_THREADS`` (what a
    scheduler such as Ray sets for a worker of N CPUs), else :func:`usable_cores`."""
    for variable in ("EMOEVAL_TORCH_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                return max(1, int(value))
            except ValueError:
                raise ValueError(f"{variable}={value!r} is not a whole number; set it to e.g. 2 or unset it") from None
    return usable_cores()


def configure_torch_threads() -> None:
    """Set torch's intra-op thread count to :func:`torch_threads` — the one place emoeval chooses it.

    Called when a model is loaded; does nothing unless torch is already imported (a model that does not use torch
    does not import it). Torch's own default counts the machine's cores, not the ones this process may use, which
    oversubscribes a CPU-limited container.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return
    wanted = torch_threads()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


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
    #: True when :meth:`prepare` may run in several threads at once (pure decoding, no shared detector or session
    #: state): the scoring context then decodes a batch's inputs, and prefetches the next batch's, in threads
    parallel_prepare: ClassVar[bool] = False

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
        """Settings that change the outputs (input size, thresholds...); part of the fingerprint.

        It must read only class-level settings (not state built by ``__init__``), so the fingerprint can be
        computed without loading the model (:meth:`static_fingerprint`); a test checks every registered model.
        """
        return {}

    @property
    def weights_sha256(self) -> str:
        """The hash of the weight files this instance loaded (computed, so also for unpinned files)."""
        return resolved_weights_sha256(self.weights) if self.weights else self.card.weights_sha256

    @staticmethod
    def fingerprint_from(
        card: ModelCard, weights_sha256: str, config: Mapping[str, Any], dependencies: Mapping[str, str]
    ) -> str:
        """sha256 over name, version, weight hashes, settings and the dependencies' fingerprints."""
        payload = {
            "name": card.name,
            "version": card.version,
            "weights": weights_sha256,
            "config": dict(config),
            "dependencies": dict(sorted(dependencies.items())),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """sha256 over name, version, weight hashes, :meth:`config` and the dependencies' fingerprints."""
        dependencies = {name: model.fingerprint for name, model in self.dependencies.items()}
        return self.fingerprint_from(self.card, self.weights_sha256, self.config(), dependencies)

    @classmethod
    def resolve(cls, store: WeightStore) -> tuple[ModelCard, dict[str, ResolvedWeight]]:
        """The card and verified weight files this model would load from ``store``, without loading it (a
        missing or mismatching file raises here, naming it)."""
        return cls.card, store.resolve_all(cls.card)

    @classmethod
    def static_fingerprint(cls, store: WeightStore, pool: ModelPool) -> str:
        """The fingerprint the loaded model would have, computed from its card, its resolved weight files, its
        class-level :meth:`config` and its dependencies' fingerprints — without loading anything."""
        card, weights = cls.resolve(store)
        probe = cls.__new__(cls)  # config() reads class-level settings only (see its docstring)
        probe.card = card  # type: ignore[misc]
        weights_sha256 = resolved_weights_sha256(weights) if weights else card.weights_sha256
        dependencies = {name: pool.fingerprint(name) for name in cls.requires}
        return cls.fingerprint_from(card, weights_sha256, probe.config(), dependencies)

    @abstractmethod
    def prepare(self, item: ModelInput) -> Any:
        """Decode and preprocess one input; raise SampleInputError naming the problem when it is unusable."""

    @abstractmethod
    def infer(self, prepared: Sequence[Any]) -> list[np.ndarray]:
        """Run the model on a batch of prepared inputs; one array per input, in order."""


class ModelPool:
    """Loads each reference model at most once, by registry name, through one weight store.

    :meth:`fingerprint` and :meth:`weights_sha256` answer without loading a model (its files are resolved and
    hashed); :meth:`get` loads it. A run asks for fingerprints first and loads a model only when an output it
    needs is not in the cache.
    """

    def __init__(self, store: WeightStore | None = None) -> None:
        self.store = store if store is not None else WeightStore()
        self._models: dict[str, ReferenceModel] = {}
        self._loading: set[str] = set()
        self._resolved: dict[str, tuple[ModelCard, dict[str, ResolvedWeight]]] = {}
        self._fingerprints: dict[str, str] = {}

    def _class(self, name: str) -> type[ReferenceModel]:
        from emoeval.registry import get_reference_model_class

        return get_reference_model_class(name)

    def resolve(self, name: str) -> tuple[ModelCard, dict[str, ResolvedWeight]]:
        """The card and verified weight files of model ``name`` (and, recursively, of the models it builds on);
        raises at once, naming the file, when one is missing or does not match its hash. Loads nothing."""
        if name in self._models:
            model = self._models[name]
            return model.card, model.weights
        if name not in self._resolved:
            model_class = self._class(name)
            for dependency in model_class.requires:
                self.resolve(dependency)
            self._resolved[name] = model_class.resolve(self.store)
        return self._resolved[name]

    def fingerprint(self, name: str) -> str:
        """The fingerprint of model ``name`` (what its cached outputs are filed under), without loading it."""
        if name in self._models:
            return self._models[name].fingerprint
        if name not in self._fingerprints:
            if name in self._loading:
                raise RuntimeError(f"reference model {name!r} requires itself (a dependency cycle)")
            self._loading.add(name)
            try:
                self.resolve(name)
                self._fingerprints[name] = self._class(name).static_fingerprint(self.store, self)
            finally:
                self._loading.discard(name)
        return self._fingerprints[name]

    def weights_sha256(self, name: str) -> str:
        """The hash of model ``name``'s weight files (the one results rows carry), without loading it."""
        card, weights = self.resolve(name)
        return resolved_weights_sha256(weights) if weights else card.weights_sha256

    def card(self, name: str) -> ModelCard:
        """The card of model ``name`` (the artefact's own card for a fitted probe), without loading it."""
        return self.resolve(name)[0]

    def get(self, name: str) -> ReferenceModel:
        if name in self._models:
            return self._models[name]
        if name in self._loading:
            raise RuntimeError(f"reference model {name!r} requires itself (a dependency cycle)")
        if not self.store.allow_network:
            # before the model's libraries are imported: some read their telemetry switch only then (onnxruntime)
            from emoeval.offline import apply_offline_environment

            apply_offline_environment()
        model_class = self._class(name)
        self._loading.add(name)
        try:
            model = model_class.load(self.store, self)
        finally:
            self._loading.discard(name)
        self._models[name] = model
        configure_torch_threads()
        expected = self._fingerprints.get(name)
        if expected is not None and expected != model.fingerprint:
            raise RuntimeError(
                f"reference model {name!r}: its fingerprint computed without loading ({expected[:16]}…) differs "
                f"from the loaded model's ({model.fingerprint[:16]}…); its config() must read class-level settings only"
            )
        return model

    def loaded(self) -> dict[str, ReferenceModel]:
        """The models loaded so far, by name."""
        return dict(self._models)

    def used(self) -> list[str]:
        """Every model resolved or loaded through this pool, sorted."""
        return sorted(set(self._models) | set(self._resolved))


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
