"""The metric contract: a frozen spec, and two small base classes (per-sample and per-corpus metrics).

A metric module keeps its maths in pure functions (checked by tests against reference implementations);
the class adds batching, models and metadata. Parameters are typed keyword arguments of ``__init__``,
never config dicts; :meth:`Metric.params` reports them for provenance.

- :class:`SampleMetric` scores each sample on its own and returns one :class:`SampleScore` per sample.
- :class:`CorpusMetric` turns each sample into a small *state* (n-gram counts, an embedding...) and computes
  one value per system from the states; the runner bootstraps over states (or jackknifes) for confidence
  intervals, of the kind the metric's ``interval`` names.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.errors import SampleInputError
    from emoeval.samples import Modality, Sample
    from emoeval.stats.aggregate import BootstrapSettings

Scope = Literal["sample", "corpus"]
OutputScope = Literal["sample", "system"]
Need = Literal["reference", "target_emotion", "context", "transcript"]
NEEDS: tuple[str, ...] = get_args(Need)


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


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """What a metric is, declared as data.

    ``outputs[0]`` is the headline value; others are sub-metrics reported beside it. ``models`` names the
    reference models (registry names) whose weights the values depend on.
    """

    name: str
    modality: Modality
    scope: Scope
    outputs: tuple[Output, ...]
    version: str
    needs: frozenset[Need] = frozenset()
    models: tuple[str, ...] = ()
    summary: str = ""
    citation: str = ""

    def __post_init__(self) -> None:
        if not self.outputs:
            raise ValueError(f"metric {self.name!r} declares no outputs")
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"metric {self.name!r}: unknown needs {sorted(unknown)}; known: {NEEDS}")

    @property
    def headline(self) -> Output:
        return self.outputs[0]

    def output(self, name: str) -> Output:
        for output in self.outputs:
            if output.name == name:
                return output
        raise KeyError(f"metric {self.name!r} has no output {name!r}; it has {[o.name for o in self.outputs]}")


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


class Metric(ABC):
    """Common base: a spec and the typed parameters the instance was built with.

    ``run_by_default`` false keeps a metric out of runs that name no metrics (e.g. one whose weights must be
    pulled from a hub first); it still runs when named.
    """

    spec: ClassVar[MetricSpec]
    run_by_default: ClassVar[bool] = True

    def params(self) -> dict[str, Any]:
        """The instance's keyword parameters (names of ``__init__``), for provenance and the config hash."""
        names = [
            name
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if name != "self" and parameter.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        return {name: getattr(self, name) for name in names}

    def applies_to(self, sample: Sample) -> bool:
        """Same modality, and every needed field present."""
        return sample.modality == self.spec.modality and all(sample.has(need) for need in self.spec.needs)

    def reference_systems(self) -> frozenset[str]:
        """Systems in the run that serve as this metric's reference (e.g. real images), not as generators."""
        return frozenset()


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
        """System-level values beyond the means, from one system's sample rows (columns ``sample_id,
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
    "CorpusMetric",
    "Metric",
    "MetricSpec",
    "Need",
    "Output",
    "SampleMetric",
    "SampleScore",
    "Scope",
    "SystemValue",
]
