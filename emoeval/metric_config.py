"""Configuring metrics: ``name(k=v, ...)`` labels, metric lists, model parameters, and ``emoeval.toml`` files.

The command line and config files name a metric with its parameters the way results label it::

    emoeval score manifest.csv --metrics 'face_emotion_accuracy(recognizer=deepface-emotion),face_fd'

A value is read as JSON when it parses (``0.5``, ``true``, ``"a, b"``), else as a bare string
(``deepface-emotion``). Unknown parameters, and a model parameter naming a model without the role the parameter
asks for, are errors that list what is accepted.

A config file (TOML) holds the options of ``emoeval score`` under their API names, and parameters per metric::

    metrics = ["face_emotion_accuracy", "face_fd(embedder=dlib-face-identity)", "speech_fd"]
    real_system = "real"
    n_bootstrap = 2000

    [params.face_emotion_accuracy]          # used wherever the metric is listed without parameters of its own
    recognizer = "deepface-emotion"

Relative paths in it (``real``, ``emotion_reference``, ``models_dir``, ``cache_dir``, ``weights``) resolve against
the file's folder. Options given on the command line win over the file.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import EmoevalError, RunConfigError

if TYPE_CHECKING:
    from emoeval.metric import Metric

_LABEL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)
#: score() options a config file may set, and which of them are paths
CONFIG_OPTIONS: frozenset[str] = frozenset(
    {
        "metrics",
        "label_set",
        "real",
        "real_system",
        "emotion_reference",
        "weights",
        "models_dir",
        "allow_network",
        "cache_dir",
        "use_cache",
        "resume",
        "backend",
        "address",
        "num_workers",
        "worker_cache",
        "overwrite",
        "n_bootstrap",
        "confidence",
        "seed",
        "out",
    }
)
PATH_OPTIONS: frozenset[str] = frozenset({"real", "emotion_reference", "models_dir", "cache_dir", "out"})


def split_top_level(text: str) -> list[str]:
    """``text`` split on the commas that are outside parentheses and quotes.

    >>> split_top_level('a, b(x=1, y="p, q"), c')
    ['a', 'b(x=1, y="p, q")', 'c']
    """
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if depth != 0 or quote:
        raise RunConfigError(f"unbalanced parentheses or quotes in {text!r}")
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _value(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if len(text) >= 2 and text[0] == text[-1] == "'":
            return text[1:-1]
        return text


def parse_metric_label(text: str) -> tuple[str, dict[str, Any]]:
    """``(name, parameters)`` of ``name`` or ``name(k=v, ...)``.

    >>> parse_metric_label("face_emotion_accuracy(recognizer=deepface-emotion)")
    ('face_emotion_accuracy', {'recognizer': 'deepface-emotion'})
    >>> parse_metric_label('text_distinct_n(lowercase=false)')
    ('text_distinct_n', {'lowercase': False})
    """
    match = _LABEL.match(text)
    if match is None:
        raise RunConfigError(f"{text!r} is not a metric name or name(param=value, ...)")
    name, inner = match.group(1), match.group(2)
    params: dict[str, Any] = {}
    for item in split_top_level(inner or ""):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise RunConfigError(f"{text!r}: {item!r} is not param=value")
        if key in params:
            raise RunConfigError(f"{text!r}: parameter {key!r} is given twice")
        params[key] = _value(raw)
    return name, params


def check_parameters(metric_class: type[Metric], params: Mapping[str, Any], *, label: str) -> None:
    """Unknown parameters, and model parameters naming a model without the asked role, raise with the accepted
    names."""
    from emoeval.registry import models_with_role

    known = {parameter.name: parameter for parameter in metric_class.parameters()}
    unknown = sorted(set(params) - set(known))
    if unknown:
        listing = ", ".join(sorted(known)) or "none"
        raise RunConfigError(
            f"{label}: unknown parameter(s) {', '.join(unknown)}; {metric_class.spec.name} takes {listing}"
        )
    for name, value in params.items():
        role = known[name].role
        if role is None:
            continue
        allowed = models_with_role(role)
        if value not in allowed:
            raise RunConfigError(
                f"{label}: {name}={value!r} is not a registered {role} (allowed: {', '.join(allowed) or 'none'})"
            )


def build_metric(
    text: str, *, defaults: Mapping[str, Any] | None = None, settings: Mapping[str, Any] | None = None
) -> Metric:
    """The metric ``text`` names (``name`` or ``name(k=v, ...)``; an old name is an alias that warns), built with
    ``defaults`` (parameters from a config file) under its own, and with the run ``settings`` it accepts (e.g.
    ``real``, ``emotion_reference``)."""
    from emoeval.registry import resolve_metric_name

    name, params = parse_metric_label(text)
    metric_class, implied = resolve_metric_name(name)
    merged = {**implied, **(defaults or {}), **params}
    check_parameters(metric_class, merged, label=text)
    accepted = {parameter.name for parameter in metric_class.parameters()}
    for key, value in (settings or {}).items():
        if key in accepted and value is not None and key not in merged:
            merged[key] = value
    try:
        return metric_class(**merged)
    except TypeError as exc:
        raise RunConfigError(f"metric {text!r}: bad parameters {merged} ({exc})") from None


@dataclass
class ScoreConfig:
    """What a config file says: ``emoeval.score`` options and per-metric parameters."""

    options: dict[str, Any] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None


def load_config(path: str | Path) -> ScoreConfig:
    """Read an ``emoeval.toml`` (see the module docstring); unknown keys are errors naming the known ones."""
    location = Path(path).expanduser()
    try:
        data = tomllib.loads(location.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunConfigError(f"config file not found: {location}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RunConfigError(f"{location}: not valid TOML ({exc})") from None
    params = data.pop("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise RunConfigError(f"{location}: [params.<metric>] tables must hold parameter = value pairs")
    unknown = sorted(set(data) - CONFIG_OPTIONS)
    if unknown:
        raise RunConfigError(
            f"{location}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(CONFIG_OPTIONS))}"
        )
    base = location.resolve().parent
    options: dict[str, Any] = {}
    for key, value in data.items():
        if key in PATH_OPTIONS and isinstance(value, str):
            value = str(_resolve(value, base))
        if key == "weights":
            if not isinstance(value, dict):
                raise RunConfigError(f"{location}: weights must be a table of model = path")
            value = {name: str(_resolve(str(item), base)) for name, item in value.items()}
        if key == "metrics":
            if isinstance(value, str):
                value = split_top_level(value)
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise RunConfigError(f"{location}: metrics must be a list of metric names")
        options[key] = value
    return ScoreConfig(options=options, params={str(k): dict(v) for k, v in params.items()}, source=location)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def resolve_metric_list(
    items: Sequence[str | Metric],
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Metric]:
    """Metric instances from labels (``name(k=v)``), names and instances; ``params`` gives per-name parameters
    used where a label gives none of its own."""
    from emoeval.metric import Metric

    metrics = []
    for item in items:
        if isinstance(item, Metric):
            metrics.append(item)
            continue
        try:
            name, own = parse_metric_label(item)
        except RunConfigError:
            raise
        defaults = {} if own else dict((params or {}).get(name, {}))
        metrics.append(build_metric(item, defaults=defaults, settings=settings))
    return metrics


def describe_parameters(metric_class: type[Metric]) -> list[str]:
    """Lines for ``emoeval metrics``: each parameter with its default, and the allowed models of a model one."""
    from emoeval.registry import models_with_role

    lines = []
    for parameter in metric_class.parameters():
        default = "required" if parameter.required else f"default {parameter.default!r}"
        line = f"{parameter.name}: {parameter.annotation or 'any'} ({default})"
        if parameter.role is not None:
            try:
                allowed = models_with_role(parameter.role)
            except EmoevalError:
                allowed = []
            line += f"; {parameter.role}: {', '.join(allowed) or 'none registered'}"
        lines.append(line)
    return lines


__all__ = [
    "CONFIG_OPTIONS",
    "ScoreConfig",
    "build_metric",
    "check_parameters",
    "describe_parameters",
    "load_config",
    "parse_metric_label",
    "resolve_metric_list",
    "split_top_level",
]
