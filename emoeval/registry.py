"""Discovery of metrics and reference models through entry points.

Metrics live in the entry-point group ``emoeval.metrics`` and reference models in
``emoeval.reference_models``. emoeval declares its built-ins there too, so a third-party package plugs in
exactly like a built-in, e.g. in its ``pyproject.toml``::

    [project.entry-points."emoeval.metrics"]
    my_metric = "my_package.my_module:MyMetric"

The entry-point name must equal the metric's ``spec.name`` (or the model card's ``name``). There are no
aliases; an unknown name raises with the closest registered names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from emoeval.errors import EmoevalError, UnknownNameError

if TYPE_CHECKING:
    from emoeval.metric import Metric
    from emoeval.reference_models.base import ReferenceModel

METRICS_GROUP = "emoeval.metrics"
MODELS_GROUP = "emoeval.reference_models"


@dataclass(frozen=True, slots=True)
class Registered:
    """A registered name and the entry point (and distribution) that provides it."""

    name: str
    entry_point: EntryPoint

    @property
    def provider(self) -> str:
        dist = self.entry_point.dist
        return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _entries(group: str) -> dict[str, Registered]:
    found: dict[str, Registered] = {}
    for entry in entry_points(group=group):
        if entry.name in found and found[entry.name].entry_point.value != entry.value:
            raise EmoevalError(
                f"two packages register {entry.name!r} in {group}: {found[entry.name].provider} "
                f"({found[entry.name].entry_point.value}) and {entry.value}; uninstall one of them"
            )
        found[entry.name] = Registered(entry.name, entry)
    return found


def _unknown(kind: str, name: str, known: list[str]) -> UnknownNameError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(sorted(known)) or "none installed"
    return UnknownNameError(f"unknown {kind} {name!r}{hint} (registered: {listing})")


def _registered_class(group: str, kind: str, name: str, base: type, declared_name: Callable[[Any], str]) -> Any:
    """Load the class registered as ``name`` in ``group``; check it is a ``base`` and declares that name."""
    entries = _entries(group)
    if name not in entries:
        raise _unknown(kind, name, list(entries))
    registered = entries[name]
    try:
        loaded = registered.entry_point.load()
    except ImportError as exc:
        raise EmoevalError(f"{kind} {name!r} (from {registered.provider}) cannot be imported: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise EmoevalError(f"entry point {name!r} of {registered.provider} is not an emoeval {base.__name__} class")
    if declared_name(loaded) != name:
        raise EmoevalError(
            f"entry point {name!r} of {registered.provider} points to a {kind} named "
            f"{declared_name(loaded)!r}; the two names must be equal"
        )
    return loaded


def metric_names() -> list[str]:
    """Names of all registered metrics, sorted."""
    return sorted(_entries(METRICS_GROUP))


def get_metric_class(name: str) -> type[Metric]:
    """The metric class registered under ``name``."""
    from emoeval.metric import Metric

    return _registered_class(METRICS_GROUP, "metric", name, Metric, lambda cls: cls.spec.name)


def create_metric(name: str, **params: Any) -> Metric:
    """An instance of the metric ``name`` built with its typed keyword parameters."""
    metric_class = get_metric_class(name)
    try:
        return metric_class(**params)
    except TypeError as exc:
        raise EmoevalError(f"metric {name!r}: bad parameters {params} ({exc})") from None


def reference_model_names() -> list[str]:
    """Names of all registered reference models, sorted."""
    return sorted(_entries(MODELS_GROUP))


def get_reference_model_class(name: str) -> type[ReferenceModel]:
    """The reference-model class registered under ``name``."""
    from emoeval.reference_models.base import ReferenceModel

    return _registered_class(MODELS_GROUP, "reference model", name, ReferenceModel, lambda cls: cls.card.name)
