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


def _load(kind: str, registered: Registered) -> Any:
    try:
        return registered.entry_point.load()
    except ImportError as exc:
        raise EmoevalError(
            f"{kind} {registered.name!r} (from {registered.provider}) cannot be imported: {exc}"
        ) from exc


def metric_names() -> list[str]:
    """Names of all registered metrics, sorted."""
    return sorted(_entries(METRICS_GROUP))


def get_metric_class(name: str) -> type[Metric]:
    """The metric class registered under ``name``."""
    from emoeval.metric import Metric

    entries = _entries(METRICS_GROUP)
    if name not in entries:
        raise _unknown("metric", name, list(entries))
    metric_class = _load("metric", entries[name])
    if not (isinstance(metric_class, type) and issubclass(metric_class, Metric)):
        raise EmoevalError(f"entry point {name!r} of {entries[name].provider} is not an emoeval Metric class")
    if metric_class.spec.name != name:
        raise EmoevalError(
            f"entry point {name!r} of {entries[name].provider} points to a metric named "
            f"{metric_class.spec.name!r}; the two names must be equal"
        )
    return metric_class


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

    entries = _entries(MODELS_GROUP)
    if name not in entries:
        raise _unknown("reference model", name, list(entries))
    model_class = _load("reference model", entries[name])
    if not (isinstance(model_class, type) and issubclass(model_class, ReferenceModel)):
        raise EmoevalError(f"entry point {name!r} of {entries[name].provider} is not a ReferenceModel class")
    if model_class.card.name != name:
        raise EmoevalError(
            f"entry point {name!r} of {entries[name].provider} points to a model named "
            f"{model_class.card.name!r}; the two names must be equal"
        )
    return model_class
