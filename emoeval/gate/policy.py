"""The gate policy: which metric outputs gate, with what margins, at what confidence, and what fails the gate.

A policy is a frozen :class:`GatePolicy`; :func:`load_policy` reads one from a TOML file (every key optional,
unknown keys and bad values are errors that name the key), :meth:`GatePolicy.to_toml` writes one that
:func:`load_policy` reads back as the same policy (``emoeval gate --print-policy`` prints the defaults so they
can be copied). The file's layout::

    outputs = ["face_identity_similarity/cosine", "text_distinct_n"]   # [] = every shared metric's headline
    default_margin = {rel = 0.05}        # 5 % of |baseline value|
    confidence = 0.95
    correction = "holm"
    per_emotion = true

    [margins]
    "face_identity_similarity/cosine" = {abs = 0.01}

An output key is ``"<metric label>/<sub_metric>"`` or ``"<metric label>"`` (the metric's headline output); the
label is the one the results table uses, parameters included (``"face_fd(embedder=dlib-face-identity)"``).

**Margins.** The margin m ≥ 0 is the change the gate tolerates: ``{abs = x}`` is x in the output's units,
``{rel = r}`` is r × |baseline value| (the mean of the baseline's paired values, or its corpus value). With
m = 0 the verdict ``equivalent`` is impossible (no interval lies inside [−0, +0]): a deterministic metric with
unchanged inputs then reads ``inconclusive``, which only fails the gate with ``fail_on_inconclusive``.
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from emoeval.gate.errors import PolicyError

#: multiple-comparison corrections across the gated outputs
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "none")
#: what a baseline with other provenance (weights, metric versions, parameters) does
PROVENANCE_MODES: tuple[str, ...] = ("refuse", "warn")


@dataclass(frozen=True, slots=True)
class Margin:
    """A tolerated change: absolute (``abs``, in the output's units) or relative (``rel``, a share of
    |baseline value|). Exactly one is set; both ≥ 0."""

    abs: float | None = None
    rel: float | None = None

    def __post_init__(self) -> None:
        given = [(name, value) for name, value in (("abs", self.abs), ("rel", self.rel)) if value is not None]
        if len(given) != 1:
            raise PolicyError(f"a margin is {{abs = x}} or {{rel = r}} (exactly one of them), got {self.to_toml()}")
        name, value = given[0]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise PolicyError(f"margin {name} = {value!r}: must be a finite number ≥ 0")
        object.__setattr__(self, name, float(value))

    def resolve(self, baseline_value: float) -> float:
        """The margin in the output's units: ``abs``, or ``rel`` × |baseline value| (NaN baseline → 0)."""
        if self.abs is not None:
            return self.abs
        assert self.rel is not None
        return self.rel * abs(baseline_value) if math.isfinite(baseline_value) else 0.0

    def describe(self) -> str:
        """``abs 0.02`` or ``rel 5% of |baseline|``."""
        return f"abs {self.abs:g}" if self.abs is not None else f"rel {self.rel:.3g} × |baseline|"

    def to_toml(self) -> str:
        """The inline TOML table, e.g. ``{abs = 0.02}``."""
        parts = [
            f"{name} = {_toml_float(value)}"
            for name, value in (("abs", self.abs), ("rel", self.rel))
            if value is not None
        ]
        return "{" + ", ".join(parts) + "}"

    def to_dict(self) -> dict[str, float]:
        return {name: value for name, value in (("abs", self.abs), ("rel", self.rel)) if value is not None}

    @classmethod
    def of(cls, value: Any, *, where: str) -> Margin:
        """A margin from a :class:`Margin` or a mapping ``{"abs": x}`` / ``{"rel": r}``; ``where`` names it in
        errors."""
        if isinstance(value, Margin):
            return value
        if not isinstance(value, Mapping):
            raise PolicyError(f"{where} = {value!r}: a margin is an inline table, {{abs = 0.02}} or {{rel = 0.05}}")
        unknown = sorted(set(value) - {"abs", "rel"})
        if unknown:
            raise PolicyError(f"{where}: unknown margin key(s) {', '.join(map(repr, unknown))}; use abs or rel")
        try:
            return cls(abs=value.get("abs"), rel=value.get("rel"))
        except PolicyError as exc:
            raise PolicyError(f"{where}: {exc}") from None


#: every policy key and what it means (the reference printed in --print-policy and the README)
POLICY_DOCS: dict[str, str] = {
    "outputs": 'gated outputs, "metric_label/sub_metric" or "metric_label" (its headline); [] = the headline '
    "output of every metric both sides have",
    "default_margin": "margin of outputs not listed under [margins]: {abs = x} (output units) or {rel = r} "
    "(r × |baseline value|); with a margin of 0, 'equivalent' is impossible",
    "confidence": "confidence level; decisions at alpha = 1 - confidence (one-sided tests), the reported "
    "interval is the two-sided (1 - 2 alpha) one (the TOST convention)",
    "correction": 'multiple-comparison correction across all gated outputs: "holm" (step-down), "bonferroni" or "none"',
    "n_bootstrap": "bootstrap resamples of paired sample-level differences (corpus outputs use the run's draws)",
    "seed": "seed of the bootstrap (the gate is deterministic)",
    "fail_on_inconclusive": "an inconclusive output fails the gate",
    "fail_on_missing_metric": "a gated metric output of the baseline missing from the candidate fails the gate",
    "fail_on_fewer_samples": "the candidate sharing fewer samples (or groups) with the baseline than the baseline "
    "has fails the gate",
    "max_error_rate_increase": "tolerated rise of the share of per-sample error rows of a metric (0.0 = any rise "
    "fails)",
    "per_emotion": "also gate within each target emotion (a regression within one emotion counts)",
    "provenance": 'a baseline scored with other model weights, metric versions or parameters: "refuse" (exit '
    'code 2) or "warn"',
    "repeat": "runs of the candidate in all: K > 1 re-scores it K - 1 times (cache off) and reports each gated "
    "output's run-to-run spread (needs the candidate's results folder and its inputs); 1 = no re-scoring",
    "margins": 'per-output margins: "metric_label/sub_metric" = {abs = x} or {rel = r}',
}


@dataclass(frozen=True)
class GatePolicy:
    """How the gate decides (all fields have defaults; :data:`POLICY_DOCS` says what each means)."""

    outputs: tuple[str, ...] = ()
    margins: Mapping[str, Margin] = field(default_factory=dict)
    default_margin: Margin = Margin(rel=0.05)
    confidence: float = 0.95
    correction: str = "holm"
    n_bootstrap: int = 2000
    seed: int = 0
    fail_on_inconclusive: bool = False
    fail_on_missing_metric: bool = True
    fail_on_fewer_samples: bool = False
    max_error_rate_increase: float = 0.0
    per_emotion: bool = False
    provenance: str = "refuse"
    repeat: int = 1

    def __post_init__(self) -> None:
        outputs = self.outputs
        if isinstance(outputs, str) or not all(isinstance(item, str) and item.strip() for item in outputs):
            raise PolicyError(f'outputs = {outputs!r}: must be a list of output keys such as "metric/sub_metric"')
        object.__setattr__(self, "outputs", tuple(item.strip() for item in outputs))
        if not isinstance(self.margins, Mapping):
            raise PolicyError(f"margins = {self.margins!r}: must be a table of output key = {{abs = x}} / {{rel = r}}")
        margins = {str(key): Margin.of(value, where=f"margins.{key!r}") for key, value in self.margins.items()}
        object.__setattr__(self, "margins", dict(sorted(margins.items())))
        object.__setattr__(self, "default_margin", Margin.of(self.default_margin, where="default_margin"))
        confidence = _number(self.confidence, "confidence")
        if not 0.5 < confidence < 1.0:
            raise PolicyError(f"confidence = {self.confidence!r}: must lie strictly between 0.5 and 1 (e.g. 0.95)")
        object.__setattr__(self, "confidence", confidence)
        if self.correction not in CORRECTIONS:
            raise PolicyError(f"correction = {self.correction!r}: use one of {', '.join(map(repr, CORRECTIONS))}")
        if _integer(self.n_bootstrap, "n_bootstrap") < 100:
            raise PolicyError(f"n_bootstrap = {self.n_bootstrap!r}: use at least 100 resamples (2000 recommended)")
        _integer(self.seed, "seed")
        for name in ("fail_on_inconclusive", "fail_on_missing_metric", "fail_on_fewer_samples", "per_emotion"):
            if not isinstance(getattr(self, name), bool):
                raise PolicyError(f"{name} = {getattr(self, name)!r}: must be true or false")
        rise = _number(self.max_error_rate_increase, "max_error_rate_increase")
        if not 0.0 <= rise <= 1.0:
            raise PolicyError(f"max_error_rate_increase = {rise!r}: must be a share between 0 and 1")
        object.__setattr__(self, "max_error_rate_increase", rise)
        if self.provenance not in PROVENANCE_MODES:
            raise PolicyError(f"provenance = {self.provenance!r}: use one of {', '.join(map(repr, PROVENANCE_MODES))}")
        if _integer(self.repeat, "repeat") < 1:
            raise PolicyError(f"repeat = {self.repeat!r}: must be 1 (no re-scoring) or more")

    @property
    def alpha(self) -> float:
        """The one-sided level of each test, 1 − confidence."""
        return 1.0 - self.confidence

    def margin_for(self, metric: str, sub_metric: str, *, headline: bool) -> Margin:
        """The margin of an output: ``margins["metric/sub_metric"]``, else ``margins["metric"]`` when it is the
        headline output, else ``default_margin``."""
        own = self.margins.get(f"{metric}/{sub_metric}")
        if own is None and headline:
            own = self.margins.get(metric)
        return own if own is not None else self.default_margin

    def replace(self, **changes: Any) -> GatePolicy:
        """A copy with ``changes`` (validated like a new policy)."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise PolicyError(_unknown_keys_message(unknown, "policy arguments"))
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (as written into gate.json)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "margins":
                value = {key: margin.to_dict() for key, margin in value.items()}
            elif isinstance(value, Margin):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            data[item.name] = value
        return data

    def to_toml(self, *, comments: bool = True) -> str:
        """The policy as a TOML file that :func:`load_policy` reads back as this policy; with ``comments`` each
        key is preceded by what it means."""
        lines = ["# emoeval gate policy: every key is optional (these are the values in effect)"] if comments else []
        for item in fields(self):
            if item.name == "margins":
                continue
            if comments:
                lines.append(f"# {POLICY_DOCS[item.name]}")
            lines.append(f"{item.name} = {_toml_value(getattr(self, item.name))}")
        lines.append("")
        if comments:
            lines.append(f"# {POLICY_DOCS['margins']}")
        lines.append("[margins]")
        if not self.margins and comments:
            lines.append('# "face_identity_similarity/cosine" = {abs = 0.01}')
        for key, margin in self.margins.items():
            lines.append(f"{_toml_string(key)} = {margin.to_toml()}")
        return "\n".join(lines) + "\n"


def _unknown_keys_message(unknown: list[str], where: str) -> str:
    known = [f.name for f in fields(GatePolicy)]
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1)
        parts.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown key(s) {', '.join(parts)} in {where}; known keys: {', '.join(known)}"


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyError(f"{name} = {value!r}: must be a finite number")
    return float(value)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{name} = {value!r}: must be an integer")
    return value


def _toml_float(value: float) -> str:
    text = repr(float(value))  # shortest round-tripping spelling; TOML accepts 0.05, 1e-05, 2.0
    return text


def _toml_string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes
    return json.dumps(text, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Margin):
        return value.to_toml()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def default_policy() -> GatePolicy:
    """The policy in effect without a policy file (print it with ``emoeval gate --print-policy``)."""
    return GatePolicy()


def policy_from_mapping(data: Mapping[str, Any], *, where: str = "the policy") -> GatePolicy:
    """A policy from parsed TOML (or any mapping of policy keys); ``where`` names the source in errors."""
    known = {f.name for f in fields(GatePolicy)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PolicyError(_unknown_keys_message(unknown, where))
    values = dict(data)
    if "outputs" in values:
        outputs = values["outputs"]
        if not isinstance(outputs, list):
            raise PolicyError(f"outputs = {outputs!r} in {where}: must be a list of strings")
        values["outputs"] = tuple(outputs)
    try:
        return GatePolicy(**values)
    except PolicyError as exc:
        raise PolicyError(f"{exc} (in {where})") from None


def load_policy(path: str | Path | None = None, **overrides: Any) -> GatePolicy:
    """The policy in the TOML file ``path`` (None: the defaults), with ``overrides`` (policy keys) applied.

    Raises :class:`~emoeval.gate.errors.PolicyError` naming the file and the key for an unknown key, a bad
    value, or a file that is not TOML.
    """
    data: dict[str, Any] = {}
    where = "the policy arguments"
    if path is not None:
        file = Path(path).expanduser()
        where = str(file)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PolicyError(
                f"no policy file {file}; write one with `emoeval gate --print-policy > gate.toml`"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read the policy file {file}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{file} is not valid TOML: {exc}") from None
    policy = policy_from_mapping(data, where=where)
    return policy.replace(**overrides) if overrides else policy


def split_output_key(key: str, labels: set[str] | frozenset[str]) -> tuple[str, str | None]:
    """``(metric label, sub_metric or None for the headline)`` of an output key: a key that is a known metric
    label is that metric's headline; otherwise the part after the last ``/`` outside parentheses is the
    sub-metric (labels may hold ``/`` inside their parameters)."""
    if key in labels:
        return key, None
    depth = 0
    cut = -1
    for index, char in enumerate(key):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "/" and depth == 0:
            cut = index
    if cut <= 0 or cut == len(key) - 1:
        return key, None
    return key[:cut], key[cut + 1 :]


__all__ = [
    "CORRECTIONS",
    "POLICY_DOCS",
    "PROVENANCE_MODES",
    "GatePolicy",
    "Margin",
    "default_policy",
    "load_policy",
    "policy_from_mapping",
    "split_output_key",
]
