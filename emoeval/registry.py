"""Discovery of metrics, reference models and media types through entry points.

Metrics live in the entry-point group ``emoeval.metrics``, reference models in ``emoeval.reference_models`` and
media types (modalities and sample parts) in ``emoeval.media``. emoeval declares its built-ins there too, so a
third-party package plugs in exactly like a built-in, e.g. in its ``pyproject.toml``::

    [project.entry-points."emoeval.metrics"]
    my_metric = "my_package.my_module:MyMetric"

The entry-point name must equal the metric's ``spec.name`` (the model card's ``name``, the media type's
``name``). An old metric name is kept for one release in the group ``emoeval.metrics.aliases``, pointing to
the class it now is, whose :attr:`~emoeval.metric.Metric.aliases` say which parameters it stands for: using it
builds that metric and warns (:class:`FutureWarning`) that the name is going away. An unknown name raises with
the closest registered names.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from emoeval.errors import EmoevalError, UnknownNameError

if TYPE_CHECKING:
    from emoeval.media.types import MediaType
    from emoeval.metric import Metric
    from emoeval.reference_models.base import ReferenceModel

METRICS_GROUP = "emoeval.metrics"
#: old metric names kept for one release, each pointing to the class it now is (listed in its ``aliases``)
ALIASES_GROUP = "emoeval.metrics.aliases"
MODELS_GROUP = "emoeval.reference_models"
MEDIA_GROUP = "emoeval.media"


@dataclass(frozen=True, slots=True)
class Registered:
    """A registered name and the entry point (and distribution) that provides it."""

    name: str
    entry_point: EntryPoint

    @property
    def provider(self) -> str:
        dist = self.entry_point.dist
        return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _path_state() -> tuple[Any, ...]:
    """The import path and each folder's modification time: a package installed or a folder added changes it."""
    import sys
    from pathlib import Path

    state: list[Any] = []
    for folder in sys.path:
        try:
            state.append((folder, Path(folder or ".").stat().st_mtime_ns))
        except OSError:
            state.append((folder, None))
    return tuple(state)


@functools.lru_cache(maxsize=8)  # a few groups, each under the current import-path state
def _scan(group: str, path_state: tuple[Any, ...]) -> tuple[EntryPoint, ...]:
    """The installed entry points of ``group``; ``path_state`` (:func:`_path_state`) only keys the memo."""
    return tuple(entry_points(group=group))


def _entries(group: str) -> dict[str, Registered]:
    # Scanning every installed distribution costs ~25 ms, and a run looks names up dozens of times (a warm run
    # spent ~1 s here): scan once per group and import-path state.
    found: dict[str, Registered] = {}
    for entry in _scan(group, _path_state()):
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


def _load(group: str, kind: str, name: str, base: type) -> tuple[Any, Registered]:
    """The class registered as ``name`` in ``group`` (checked to be a ``base``), and its registration."""
    entries = _entries(group)
    if name not in entries:
        raise _unknown(kind, name, _visible_names(group))
    registered = entries[name]
    try:
        loaded = registered.entry_point.load()
    except (ImportError, AttributeError) as exc:  # a missing module, or a class the module does not define
        raise EmoevalError(f"{kind} {name!r} (from {registered.provider}) cannot be imported: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise EmoevalError(f"entry point {name!r} of {registered.provider} is not an emoeval {base.__name__} class")
    return loaded, registered


def _registered_class(group: str, kind: str, name: str, base: type, declared_name: Callable[[Any], str]) -> Any:
    """Load the class registered as ``name`` in ``group``; check it is a ``base`` and declares that name."""
    loaded, registered = _load(group, kind, name, base)
    if declared_name(loaded) != name:
        raise EmoevalError(
            f"entry point {name!r} of {registered.provider} points to a {kind} named "
            f"{declared_name(loaded)!r}; the two names must be equal"
        )
    return loaded


def _visible_names(group: str) -> list[str]:
    """Registered names to offer in messages (for metrics, the old names too)."""
    names = list(_entries(group))
    if group == METRICS_GROUP:
        names += list(_entries(ALIASES_GROUP))
    return names


# -- metrics ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricAlias:
    """An old metric name: the metric it now is, and the parameters it stands for."""

    alias: str
    name: str
    params: dict[str, Any]
    defaults: dict[str, Any]

    @property
    def replacement(self) -> str:
        """How to write it now, e.g. ``face_fd(embedder=dlib-face-identity)`` (defaults left out)."""
        from emoeval.metric import format_metric_label

        changed = {k: v for k, v in self.params.items() if k not in self.defaults or self.defaults[k] != v}
        return format_metric_label(self.name, changed)


def _metric_entry(name: str) -> tuple[type[Metric], MetricAlias | None]:
    from emoeval.metric import Metric

    if name in _entries(METRICS_GROUP) or name not in _entries(ALIASES_GROUP):
        loaded = _registered_class(METRICS_GROUP, "metric", name, Metric, lambda cls: cls.spec.name)
        return loaded, None
    loaded, registered = _load(ALIASES_GROUP, "metric", name, Metric)
    aliases = getattr(loaded, "aliases", {}) or {}
    if name not in aliases:
        raise EmoevalError(
            f"the old metric name {name!r} of {registered.provider} points to {loaded.spec.name!r}, whose class "
            "does not list it in its aliases"
        )
    defaults = {p.name: p.default for p in loaded.parameters()}
    return loaded, MetricAlias(name, loaded.spec.name, dict(aliases[name]), defaults)


def metric_names() -> list[str]:
    """Names of all registered metrics, sorted (old names kept as aliases are not listed)."""
    return sorted(_entries(METRICS_GROUP))


def metric_aliases() -> dict[str, MetricAlias]:
    """The registered old metric names, by name."""
    aliases = {}
    for name in sorted(_entries(ALIASES_GROUP)):
        try:
            _, alias = _metric_entry(name)
        except EmoevalError:
            continue
        if alias is not None:
            aliases[name] = alias
    return aliases


def resolve_metric_name(name: str) -> tuple[type[Metric], dict[str, Any]]:
    """The metric class registered as ``name`` and the parameters the name implies (an alias's; else none).

    An alias warns with :class:`FutureWarning`, naming what to write instead.
    """
    import warnings

    metric_class, alias = _metric_entry(name)
    if alias is None:
        return metric_class, {}
    warnings.warn(
        f"metric name {name!r} is deprecated and will be removed in the next release; use {alias.replacement!r}",
        FutureWarning,
        stacklevel=3,
    )
    return metric_class, dict(alias.params)


def get_metric_class(name: str) -> type[Metric]:
    """The metric class registered under ``name`` (an alias gives the class it now is, with a warning)."""
    return resolve_metric_name(name)[0]


def create_metric(name: str, **params: Any) -> Metric:
    """An instance of the metric ``name`` built with its typed parameters (an alias adds its own)."""
    metric_class, implied = resolve_metric_name(name)
    merged = {**implied, **params}
    try:
        return metric_class(**merged)
    except TypeError as exc:
        raise EmoevalError(f"metric {name!r}: bad parameters {merged} ({exc})") from None


# -- reference models -----------------------------------------------------------------------------------------


def reference_model_names() -> list[str]:
    """Names of all registered reference models, sorted."""
    return sorted(_entries(MODELS_GROUP))


def get_reference_model_class(name: str) -> type[ReferenceModel]:
    """The reference-model class registered under ``name``."""
    from emoeval.reference_models.base import ReferenceModel

    return _registered_class(MODELS_GROUP, "reference model", name, ReferenceModel, lambda cls: cls.card.name)


def models_with_role(role: str) -> list[str]:
    """Registered reference models whose card lists ``role`` (e.g. ``face-emotion-recognizer``), sorted."""
    found = []
    for name in reference_model_names():
        try:
            card = get_reference_model_class(name).card
        except EmoevalError:
            continue
        if role in card.roles:
            found.append(name)
    return found


# -- media types ------------------------------------------------------------------------------------------------


def media_type_names() -> list[str]:
    """Names of all registered media types (modalities and part types), sorted."""
    return sorted(_entries(MEDIA_GROUP))


def get_media_type(name: str) -> MediaType:
    """An instance of the media type registered under ``name``."""
    from emoeval.media.types import MediaType

    media_class = _registered_class(MEDIA_GROUP, "media type", name, MediaType, lambda cls: cls.name)
    return media_class()
