"""The metric contract: a frozen spec, typed inputs and parameters, and two small base classes.

A metric module keeps its maths in pure functions (checked by tests against reference implementations);
the class adds batching, models and metadata.

- **Spec** (:class:`MetricSpec`, data): name, modality (a registered media type), scope, outputs with
  direction and range (``outputs[0]`` is the headline), version, the reference models it uses by default, and
  its **inputs** (:class:`Input`): the sample parts beyond the output it reads (``reference``, ``context``,
  ``emotion_reference``...), each with a media type, and the sample fields (``target_emotion``...). Metric-specific
  columns are declared here, never hard-coded in the core: a manifest column named like a declared input is read
  with that input's media type.
- **Parameters** are the arguments of ``__init__`` — keyword or positional, any type — each stored on the
  instance under its own name. :meth:`Metric.parameters` lists them as data (default, type, and for a model
  parameter its role and allowed models); :meth:`Metric.params` gives their values, which enter provenance, the
  config hash and every cache key. **The reference model is a parameter** (``recognizer=``, ``embedder=``,
  ``asr=``) listed in :attr:`Metric.model_params`, never a subclass per model; :attr:`Metric.models` gives the
  models an instance really uses.
- :class:`SampleMetric` scores each sample on its own and returns one :class:`SampleScore` per sample.
- :class:`CorpusMetric` turns each sample into a small *state* (n-gram counts, an embedding...) and computes
  one value per system from the states; the runner bootstraps over states (or jackknifes) for confidence
  intervals, of the kind the metric's ``interval`` names.

:func:`emoeval.testing.check_metric` checks a metric class against this contract.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import math
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from emoeval.errors import EmoevalError

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.errors import SampleInputError
    from emoeval.reference_models.base import ReferenceModel
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

Scope = Literal["sample", "corpus"]
OutputScope = Literal["sample", "system"]
#: the v1 way to declare inputs (still accepted; :class:`Input` is the v2 way)
Need = Literal["reference", "target_emotion", "context", "transcript"]
NEEDS: tuple[str, ...] = get_args(Need)
#: inputs that are fields of every sample rather than parts
SAMPLE_FIELDS: tuple[str, ...] = ("target_emotion", "intensity", "group")


class MetricContractError(EmoevalError, TypeError):
    """A metric class does not follow the contract (the message says what to change in the class)."""


@dataclass(frozen=True, slots=True)
class Input:
    """Something a metric reads from a sample besides its output.

    ``media`` names the media type of a *part* (``face``, ``speech``, ``text``, ``turns`` or a plug-in's): the
    part is read from the manifest column of the same name (or ``<name>:<media>``) and enters cache keys by its
    content. ``media=None`` is a sample field (``target_emotion``, ``intensity``, ``group``) or a plain manifest
    column read as it is (e.g. ``same_speaker``). A sample without a ``required`` input is skipped by the metric
    (counted in ``run.json``); an optional one is used when present.
    """

    name: str
    media: str | None = None
    required: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Output:
    """One value a metric reports (a *sub-metric*): its name, direction and range.

    ``scope="sample"`` outputs have a value per sample (and a system mean); ``scope="system"`` outputs exist

    only per system, computed by :meth:`SampleMetric.summarize` (macro-F1, per-class recall, confusion counts).
    """

    name: str
    higher_is_better: bool | None  # None: no direction (e.g. a confusion-matrix count)
    range: tuple[float, float]
    description: str = ""
    scope: OutputScope = "sample"


def _inputs_from_needs(needs: frozenset[str], modality: str) -> tuple[Input, ...]:
    """The v2 inputs a v1 ``needs`` set stands for."""
    media = {"reference": "text" if modality == "text" else modality, "context": "turns", "transcript": "text"}
    return tuple(Input(need, media.get(need)) for need in sorted(needs))


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """What a metric is, declared as data.

    ``outputs[0]`` is the headline value; others are sub-metrics reported beside it. ``models`` names the
    reference models (registry names) the metric uses with its default parameters (an instance's own are
    :attr:`Metric.models`). ``inputs`` declares what the metric reads from a sample besides its output
    (:class:`Input`); ``needs`` is the v1 spelling of required inputs (``reference``, ``target_emotion``,
    ``context``, ``transcript``) and is folded into ``inputs``.
    """

    name: str
    modality: str
    scope: Scope
    outputs: tuple[Output, ...]
    version: str
    needs: frozenset[Need] = frozenset()
    models: tuple[str, ...] = ()
    summary: str = ""
    citation: str = ""
    inputs: tuple[Input, ...] = ()

    def __post_init__(self) -> None:
        if not self.outputs:
            raise ValueError(f"metric {self.name!r} declares no outputs")
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"metric {self.name!r}: unknown needs {sorted(unknown)}; known: {NEEDS}")
        names = [output.name for output in self.outputs]
        if len(set(names)) != len(names):
            raise ValueError(f"metric {self.name!r} declares an output twice: {names}")
        names = [item.name for item in self.all_inputs]
        if len(set(names)) != len(names):
            raise ValueError(f"metric {self.name!r} declares an input twice: {names}")

    @property
    def headline(self) -> Output:
        return self.outputs[0]

    def output(self, name: str) -> Output:
        for output in self.outputs:
            if output.name == name:
                return output
        raise KeyError(f"metric {self.name!r} has no output {name!r}; it has {[o.name for o in self.outputs]}")

    @property
    def all_inputs(self) -> tuple[Input, ...]:
        """The declared ``inputs`` and those the v1 ``needs`` stand for."""
        declared = {item.name for item in self.inputs}
        derived = _inputs_from_needs(self.needs, self.modality)
        return self.inputs + tuple(item for item in derived if item.name not in declared)

    def input(self, name: str) -> Input:
        for item in self.all_inputs:
            if item.name == name:
                return item
        raise KeyError(f"metric {self.name!r} has no input {name!r}; it has {[i.name for i in self.all_inputs]}")

    @property
    def required_inputs(self) -> tuple[Input, ...]:
        return tuple(item for item in self.all_inputs if item.required)


@dataclass(frozen=True, slots=True)
class SampleScore:
    """A sample metric's verdict on one sample: values by output name, or an error; optional warning/label."""

    values: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    warning: str | None = None
    label: str | None = None

    @classmethod
    def failed(cls, error: str | BaseException) -> SampleScore:
        return cls(values={}, error=str(error))

    @classmethod
    def each(cls, samples: Sequence[Sample], score_one: Callable[[Sample], SampleScore]) -> list[SampleScore]:
        """``score_one`` on every sample, in order; a :class:`~emoeval.errors.SampleInputError` becomes that
        sample's failed score (the usual body of :meth:`SampleMetric.score` for a metric without batched models)."""
        from emoeval.errors import SampleInputError

        scores = []
        for sample in samples:
            try:
                scores.append(score_one(sample))
            except SampleInputError as exc:
                scores.append(cls.failed(exc))
        return scores


@dataclass(frozen=True, slots=True)
class SystemValue:
    """One system-level value a metric computes itself (beyond the mean of its sample values).

    ``target_emotion`` and ``label`` place a value in a per-class breakdown: a per-class recall has the class
    in ``target_emotion``; a confusion-matrix cell has the true class there and the predicted one in ``label``.
    """

    sub_metric: str
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int | None = None
    statistic: str = "value"
    target_emotion: str | None = None
    label: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a metric class, as data (what ``emoeval metrics`` shows).

    ``default`` is :data:`REQUIRED` for a parameter without one; ``role`` is set for a model parameter (its value
    is a reference model registered with that role: :func:`emoeval.registry.models_with_role`).
    """

    name: str
    default: Any
    annotation: str
    positional: bool
    role: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: the default of a parameter that has none
REQUIRED: Any = _Required()


def _label_value(value: Any) -> str:
    """A parameter value as written in a metric label / on the command line.

    >>> _label_value("deepface-emotion"), _label_value(0.5), _label_value(True), _label_value("a b")
    ('deepface-emotion', '0.5', 'true', '"a b"')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_.\-/]+", text) else json.dumps(text, ensure_ascii=False)


def format_metric_label(name: str, params: Mapping[str, Any]) -> str:
    """``name`` or ``name(k=v, ...)``: how a configured metric is written on the command line and in results.

    >>> format_metric_label("face_fd", {"embedder": "dlib-face-identity"})
    'face_fd(embedder=dlib-face-identity)'
    >>> format_metric_label("face_fd", {})
    'face_fd'
    """
    if not params:
        return name
    inner = ", ".join(f"{key}={_label_value(value)}" for key, value in sorted(params.items()))
    return f"{name}({inner})"


def jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as plain JSON values (paths and other objects as strings), for provenance and cache keys."""
    return json.loads(json.dumps(dict(params), sort_keys=True, default=str))


def _source_files(cls: type) -> list[Path]:
    """The source files a metric class's numbers depend on: the modules of the class and its bases (not emoeval's
    contract), and the emoeval.functional / emoeval.metrics modules they import (:mod:`emoeval.source_files`)."""
    from emoeval.source_files import imported_sources

    files: list[Path] = []
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        if module is None or klass.__module__ in ("builtins", "abc", __name__):
            continue
        try:
            source = inspect.getsourcefile(module)
        except TypeError:  # a built-in module
            continue
        if source is not None and Path(source) not in files:
            files.append(Path(source))
        # the maths the module imports (emoeval.functional, helper modules of emoeval.metrics): an edit there
        # must recompute too
        for path in imported_sources(klass.__module__):
            if path not in files:
                files.append(path)
    return files


@functools.cache
def _init_parameters(cls: type[Metric]) -> tuple[Param, ...]:
    """:meth:`Metric.parameters`, read once per class (``inspect.signature`` costs ~30 µs and the rows of a
    run ask for a metric's label and parameters several times per sample)."""
    if cls.__init__ is object.__init__:
        return ()
    found = []
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise MetricContractError(
                f"{cls.__name__}.__init__ takes *{name}; declare each parameter by name, so that every one "
                "enters the cache keys and provenance"
            )
        annotation = "" if parameter.annotation is inspect.Parameter.empty else parameter.annotation
        found.append(
            Param(
                name=name,
                default=REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default,
                annotation=annotation if isinstance(annotation, str) else getattr(annotation, "__name__", ""),
                positional=parameter.kind is not inspect.Parameter.KEYWORD_ONLY,
                role=cls.model_params.get(name),
            )
        )
    return tuple(found)


class Metric(ABC):
    """Common base: a spec, the parameters the instance was built with, and the models it uses.

    ``run_by_default`` false keeps a metric out of runs that name no metrics (e.g. one whose weights must be
    pulled from a hub first); it still runs when named, or when its ``family`` is named. ``model_params`` maps
    each model parameter to the role its model must have (e.g. ``{"recognizer": "face-emotion-recognizer"}``).
    ``aliases`` maps old metric names (registered as entry points for one release) to the parameters each
    stands for.
    """

    spec: ClassVar[MetricSpec]
    run_by_default: ClassVar[bool] = True
    #: a named set of metrics a run can ask for by that name (``--metrics failure_signatures``), or None
    family: ClassVar[str | None] = None
    model_params: ClassVar[Mapping[str, str]] = {}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    # -- parameters -------------------------------------------------------------------------------------------
    @classmethod
    def parameters(cls) -> tuple[Param, ...]:
        """Every parameter of ``__init__`` (positional or keyword), with default, type and model role."""
        return _init_parameters(cls)

    def params(self) -> dict[str, Any]:
        """The value of every parameter (see :meth:`parameters`): provenance, config hash and cache keys."""
        values = {}
        for parameter in self.parameters():
            try:
                values[parameter.name] = getattr(self, parameter.name)
            except AttributeError:
                raise MetricContractError(
                    f"{type(self).__name__}.__init__ takes {parameter.name!r} but does not keep it as "
                    f"self.{parameter.name}; store every parameter under its own name, so a change of its value "
                    "changes the cache keys"
                ) from None
        return values

    @classmethod
    def check_model(cls, param: str, value: str, role: str | None = None) -> type[ReferenceModel]:
        """The registered class of model ``value`` for the model parameter ``param``, checked to serve the role
        :attr:`model_params` gives it (loads no model). Metrics call it in ``__init__``, so
        ``FaceFD(embedder="typo", ...)`` fails when it is built, naming the allowed models.

        ``role`` overrides the role for a subclass that fixes the model (it takes no model parameter). Raises
        :class:`~emoeval.errors.RunConfigError` naming the metric, the parameter and the allowed models.
        """
        from emoeval.errors import RunConfigError
        from emoeval.registry import get_reference_model_class, models_with_role

        role = role or cls.model_params.get(param)
        if role is None:
            raise MetricContractError(f"{cls.__name__}: {param!r} is not listed in model_params")
        try:
            model_class = get_reference_model_class(str(value))
        except EmoevalError as exc:
            raise RunConfigError(f"{cls.spec.name}: {param}={value!r}: {exc}") from None
        if role not in model_class.card.roles:
            allowed = ", ".join(models_with_role(role)) or "none registered"
            raise RunConfigError(f"{cls.spec.name}: {param}={value!r} is not a registered {role} (allowed: {allowed})")
        return model_class

    @property
    def label(self) -> str:
        """The metric as the results table names it: ``name``, or ``name(k=v, ...)`` with the *model* parameters
        that differ from their defaults, e.g. ``face_emotion_accuracy(recognizer=deepface-emotion)`` (the CLI
        accepts the same form). Other parameters are in the ``params`` column of every row; two configurations
        of one metric that differ only in them cannot share a run."""
        changed = {}
        for parameter in self.parameters():
            if parameter.role is None:
                continue
            value = getattr(self, parameter.name, parameter.default)
            if parameter.required or value != parameter.default:
                changed[parameter.name] = value
        return format_metric_label(self.spec.name, changed)

    @property
    def models(self) -> tuple[str, ...]:
        """Registry names of the reference models this instance uses (default: the spec's)."""
        return self.spec.models

    @classmethod
    def implementation_hash(cls) -> str:
        """sha256 of the source files of the class and its bases: part of every cache key, so editing a metric
        recomputes its values even when its ``spec.version`` was not bumped."""
        digest = hashlib.sha256()
        for path in _source_files(cls):
            try:
                digest.update(path.read_bytes())
            except OSError:  # a frozen or zipped install: the version (and emoeval's) must carry the change
                digest.update(str(path).encode())
        return digest.hexdigest()

    # -- samples ------------------------------------------------------------------------------------------------
    def applies_to(self, sample: Sample) -> bool:
        """Same modality, and every required input present."""
        return sample.modality == self.spec.modality and all(
            sample.has(item.name) for item in self.spec.required_inputs
        )

    def reference_systems(self) -> frozenset[str]:
        """Systems in the run that serve as this metric's reference (e.g. real images), not as generators."""
        return frozenset()

    def prefetch_inputs(self, samples: Sequence[Sample]) -> list[tuple[str, list[Path | str]]]:
        """Optional: the (model name, inputs) this metric will ask :meth:`ScoringContext.outputs
        <emoeval.context.ScoringContext.outputs>` for when scoring ``samples`` — the local backend reads (and,
        where the model allows, decodes) them while the model runs on the previous batch. A wrong guess costs
        only the read-ahead; the default is none."""
        return []


class SampleMetric(Metric):
    """A metric with one value per sample (system values are means with bootstrap intervals).

    A sample's verdict must depend only on that sample (its files, texts, labels and meta), the metric's
    parameters and its reference models: the runner caches verdicts on that basis. A metric whose per-sample
    value also depends on *other* samples of the run (e.g. ranking a response against other responses) sets
    ``cache_scores = False``.
    """

    batch_size: ClassVar[int] = 16
    cache_scores: ClassVar[bool] = True

    @abstractmethod
    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        """Score a batch; return one :class:`SampleScore` per sample, in order. Never raise for one bad sample."""

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        """System-level values beyond the means, from one system's sample rows (columns ``sample_id, group,
        target_emotion, sub_metric, value, label, error``). The default adds nothing."""
        return []


class CorpusMetric(Metric):
    """A metric with one value per system computed from all its samples (diversity, Fréchet distances).

    ``interval`` picks how the runner computes its confidence interval, and so *what the interval is for*
    (:data:`emoeval.stats.aggregate.INTERVAL_ESTIMANDS`; resamples of the system's samples, at most
    ``max_resamples``):

    - ``bootstrap``: percentile interval; for the population value of a statistic with little bias beside
      its spread (a ratio of sums, a share, corpus BLEU).
    - ``bootstrap_recentred``: the percentile interval shifted by the bootstrap's own bias estimate (mean of
      the resampled values minus the value), so it is centred on the value. An interval for the **expected
      value at this set size, with the reference fixed** — not for the value an unlimited set would give: for
      statistics that move with the number of samples and that duplicated samples in a resample distort (FID
      and the other Fréchet distances, KID, PRDC, self-BLEU, n-gram entropy), compared at equal set sizes.
      ``bootstrap_debiased``, its old name, still works for one release (with a DeprecationWarning).
    - ``bootstrap_bias_corrected``: the basic bootstrap interval [2θ̂ − q_hi, 2θ̂ − q_lo] around the
      bias-corrected estimate 2θ̂ − mean(θ*); for the population value when the bootstrap reproduces the
      statistic's small-sample bias (not for Fréchet distances from fewer samples than dimensions).
    - ``jackknife`` (leave-one-out t interval; for cheap statistics that duplicated samples bias, such as
      distinct-n); for the population value of a smooth statistic.

    Whatever the kind, the runner keeps each interval within its output's declared ``range`` (clipped, or for
    the jackknife computed on a logit/log scale), and a run with ``n_bootstrap=0`` computes none (NaN).
    With ``by_emotion`` true the metric is also computed within each target emotion of each system.
    :meth:`setup` runs once before scoring, with every sample of the run, so a metric can prepare reference
    statistics (e.g. the features of a real image set).
    """

    batch_size: ClassVar[int] = 64
    interval: ClassVar[
        Literal["bootstrap", "bootstrap_recentred", "bootstrap_bias_corrected", "jackknife", "bootstrap_debiased"]
    ] = "bootstrap"
    max_resamples: ClassVar[int | None] = None
    by_emotion: bool = False

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Prepare whatever :meth:`compute` needs beyond the states (default: nothing)."""

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        """Caveats on the value computed from ``states`` (e.g. too few images); the runner puts them in the
        ``warning`` column of the corpus row. Default: none."""
        return []

    @abstractmethod
    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any | SampleInputError]:
        """Turn each sample into the state ``compute`` needs, or a :class:`SampleInputError` for a bad one."""

    @abstractmethod
    def compute(self, states: Sequence[Any], *, emotion: str | None = None) -> dict[str, float]:
        """One value per output from the states of one system's samples (pure; called on resamples).

        ``emotion`` is set when the states are those of one target emotion (``by_emotion``).
        """


__all__ = [
    "NEEDS",
    "REQUIRED",
    "SAMPLE_FIELDS",
    "CorpusMetric",
    "Input",
    "Metric",
    "MetricContractError",
    "MetricSpec",
    "Need",
    "Output",
    "Param",
    "SampleMetric",
    "SampleScore",
    "Scope",
    "SystemValue",
    "format_metric_label",
    "jsonable_params",
]
