"""System-level aggregates with seeded bootstrap confidence intervals.

Every aggregate emoeval reports carries an uncertainty — unless a run asks for none: ``n_resamples=0``
(``emoeval score --n-bootstrap 0``) means *no interval* (NaN ``ci_low``/``ci_high``) for every system row of
the run, the jackknife's and the metrics' own (Wilson, ...) included. Means of per-sample values use
:func:`scipy.stats.bootstrap` (percentile or BCa); corpus metrics, whose value is a function of a whole set
of samples (distinct-n, Fréchet distances), use :func:`bootstrap_corpus`, which recomputes the metric on
resamples of the system's samples (Efron & Tibshirani 1993, ch. 13), or :func:`jackknife_corpus` for
statistics that resampling *with replacement* biases (duplicated responses lower distinct-n, so its bootstrap
interval can miss the estimate altogether): the leave-one-out jackknife standard error with a t interval
(Efron & Tibshirani 1993, ch. 11). All are deterministic.

**What a corpus interval covers.** A corpus statistic computed from n samples need not be centred on its
population value (the value an unlimited set of the system's outputs would give, the reference set held
fixed): FID, KID, PRDC, distinct-n, self-BLEU and n-gram entropy all move with n, or on bootstrap resamples.
Each interval kind (:data:`INTERVAL_ESTIMANDS`, the ``interval`` of a :class:`~emoeval.metric.CorpusMetric`)
is an interval for a named quantity:

- ``bootstrap``: percentile interval [q_lo, q_hi] of the resampled values. For the *population value* of a
  statistic whose bias is small beside its spread (ratios of sums such as corpus WER, shares, BLEU).
- ``bootstrap_recentred`` (formerly ``bootstrap_debiased``): the percentile interval shifted by the
  bootstrap's bias estimate b = mean(θ*) − θ̂ (Efron & Tibshirani 1993 §10.3), [q_lo − b, q_hi − b], so it
  is centred on the value. An interval for the *expected value at this set size* — the mean of the statistic
  over sets of n outputs of the system, the reference fixed — **not** for the population value: in a
  simulation (Gaussian features, d = 8, n = 40, fixed reference, 200 data sets) it covered the expected FD at
  n = 40 97 % of the time but the population FD only 43 % (``tests/unit/test_interval_coverage.py``). Right
  for comparing systems at equal set sizes, which is how FID, self-BLEU and entropy must be compared anyway.
- ``bootstrap_bias_corrected``: the basic bootstrap interval [2θ̂ − q_hi, 2θ̂ − q_lo] (Davison & Hinkley
  1997 §5.2), centred near the bias-corrected estimate 2θ̂ − mean(θ*). For the *population value*, valid
  when the bootstrap reproduces the statistic's small-sample bias: in the same simulation it covered the
  population FD 94.5 % of the time (99 % at d = 32, n = 100), but it fails when the bias is not smooth in
  1/n, as for a Fréchet distance from fewer samples than feature dimensions (0 % at d = 64, n = 40) — the
  usual case for FID (2,048 dimensions), which is why the built-in Fréchet metrics do not use it.
- ``jackknife``: value ± t₍ₙ₋₁₎·SE_jack. For the population value of a smooth statistic.

Every corpus interval lies within the output's declared range: bootstrap intervals are clipped to it, and a
jackknife interval of a bounded output is computed on a scale where the range is unbounded (the logit of the
position in a finite range, the log of the distance to a single finite bound) and mapped back, so it is
asymmetric near a bound instead of leaving the range (a plain jackknife gave distinct-1 = 0.002 ± 2.1 for
four short responses and one long repetitive one: the long response dominates every leave-one-out value, and
the linear jackknife's (n − 1) inflation of that one deviation swamps the range). When the value or a
leave-one-out value lies on a bound, where no such transform exists, the plain interval is clipped instead.

:func:`aggregate` turns the per-sample rows of a results table into one row per (system [, emotion ...],
metric, sub-metric): mean, median, sd, n and a confidence interval of the mean, by

- ``percentile`` / ``BCa``: seeded bootstrap; when samples are not clustered this *is*
  :func:`mean_with_ci` (scipy.stats.bootstrap with the same seed);
- ``t``: mean ± t₍ₙ₋₁₎·s/√n; on a bounded rating scale (``scale=(low, high)``, e.g. MOS on 1–5 reported with a
  95 % interval as ITU-T P.800.2 asks) the interval is computed on the logit of the mean's position on the
  scale, p = (x̄ − low)/(high − low), with the delta-method standard error se/(p(1 − p)), and transformed
  back (the logit-transformed Wald interval, as in R ``survey::svyciprop(method="logit")``): it always lies
  strictly inside the scale and is asymmetric near a boundary, where a plain t interval would leave it.
  Bootstrap percentile and BCa intervals are quantiles of resampled means, so they cannot leave the range
  of the data (hence the scale) either.

Samples that share a ``group`` (the same source item, prompt or speaker) are correlated; treating them as
independent makes intervals too narrow. With clustering, the bootstrap resamples whole groups with
replacement and keeps every sample of a drawn group (the cluster bootstrap, Davison & Hinkley 1997 §3.8;
Field & Welsh 2007), BCa takes its acceleration from the leave-one-group-out jackknife, and the t interval
uses the cluster-robust standard error of the mean with G − 1 degrees of freedom (Cameron & Miller 2015).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from emoeval.stats._result import StatsError, StatsResult

if TYPE_CHECKING:
    from emoeval.results import Results

CIMethod = Literal["percentile", "BCa"]
AggregateMethod = Literal["percentile", "BCa", "t"]
BootstrapKind = Literal["percentile", "recentred", "basic"]

POPULATION = "population"
EXPECTED_AT_N = "expected value at this set size"

INTERVAL_ESTIMANDS: dict[str, str] = {
    "bootstrap": POPULATION,
    "bootstrap_recentred": EXPECTED_AT_N,
    "bootstrap_bias_corrected": POPULATION,
    "jackknife": POPULATION,
}
"""What each corpus interval kind is an interval *for* (see the module docstring): :data:`POPULATION`, the
value an unlimited set of the system's outputs would give (the reference set fixed), or :data:`EXPECTED_AT_N`,
the mean of the statistic over sets of as many outputs as the system has (the reference fixed). The coverage
simulation in ``tests/unit/test_interval_coverage.py`` checks each kind against what this table says."""

#: old interval names still accepted (with a DeprecationWarning) for one release
INTERVAL_ALIASES: dict[str, str] = {"bootstrap_debiased": "bootstrap_recentred"}

#: the :func:`bootstrap_interval` kind behind each bootstrap corpus interval
BOOTSTRAP_KINDS: dict[str, BootstrapKind] = {
    "bootstrap": "percentile",
    "bootstrap_recentred": "recentred",
    "bootstrap_bias_corrected": "basic",
}


@dataclass(frozen=True, slots=True)
class BootstrapSettings:
    """How a run computes system-level confidence intervals (seeded, so runs are reproducible).

    ``n_resamples=0`` means no interval at all: every system row of the run gets NaN ``ci_low``/``ci_high``
    (bootstrap, jackknife and the metrics' own intervals alike).
    """

    n_resamples: int = 2000
    confidence: float = 0.95
    seed: int = 0

    @property
    def intervals(self) -> bool:
        """Whether the run computes intervals (``n_resamples > 0``)."""
        return self.n_resamples > 0


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate, its confidence interval and the number of values behind it.

    The interval is (nan, nan) when it is undefined (fewer than two values) or not asked for (no resamples).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int


def within_range(low: float, high: float, bounds: tuple[float, float] | None) -> tuple[float, float]:
    """(low, high) clipped to ``bounds`` = (floor, ceiling) of an output's range (either may be infinite);
    NaN stays NaN.

    >>> within_range(-0.2, 1.3, (0.0, 1.0))
    (0.0, 1.0)
    """
    if bounds is None:
        return low, high
    floor, ceiling = bounds

    def clip(x: float) -> float:
        return x if math.isnan(x) else float(min(max(x, floor), ceiling))

    return clip(low), clip(high)


def mean_with_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "percentile",
    seed: int = 0,
) -> Estimate:
    """Mean of the finite ``values`` with a bootstrap confidence interval (scipy.stats.bootstrap).

    ``n_resamples=0`` gives the mean with no interval (NaN), as a run with ``--n-bootstrap 0`` asks.
    """
    from scipy import stats

    if n_resamples < 0:
        raise StatsError(f"n_resamples must be 0 (no interval) or more, got {n_resamples}")
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n < 2 or n_resamples == 0:
        return Estimate(mean, math.nan, math.nan, n)
    if np.all(data == data[0]):  # degenerate: every resample has the same mean
        return Estimate(mean, mean, mean, n)
    result = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method=method,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Estimate(mean, float(interval.low), float(interval.high), n)


def corpus_bootstrap_draws(
    states: Sequence[Any] | np.ndarray,
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    n_resamples: int,
    seed: int = 0,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """``compute(states)`` and its values on ``n_resamples`` seeded resamples of ``states`` (drawn with
    replacement, each as long as ``states``): (point values, resampled values per output, non-finite dropped).

    A resample holds the *same* state objects several times, so a metric can tell copies from repeats. When
    ``states`` is a NumPy array (e.g. ``np.arange(n)``, sample indices), a resample is ``states[indices]``, an
    array: the same draws, without building a Python list per resample.
    """
    n = len(states)
    point = {name: float(value) for name, value in compute(states).items()}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in point}
    for _ in range(n_resamples):
        indices = rng.integers(0, n, size=n)
        if isinstance(states, np.ndarray):
            resampled = compute(states[indices])
        else:  # the same objects as [states[i] for i in indices], several times faster (no NumPy integer per item)
            resampled = compute(list(map(states.__getitem__, indices.tolist())))
        for name in point:
            draws[name].append(float(resampled[name]))
    finite: dict[str, np.ndarray] = {}
    for name, values in draws.items():
        sample = np.asarray(values, dtype=float)
        finite[name] = sample[np.isfinite(sample)]
    return point, finite


def bootstrap_interval(
    value: float,
    draws: np.ndarray,
    *,
    kind: BootstrapKind = "percentile",
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """A bootstrap interval from the value θ̂ and its resampled values θ* (module docstring: what each covers).

    ``percentile``: [q_lo, q_hi], the α/2 and 1 − α/2 quantiles of θ*; ``recentred``: [q_lo − b, q_hi − b] with
    b = mean(θ*) − θ̂, for the expected value at this set size; ``basic``: [2θ̂ − q_hi, 2θ̂ − q_lo], for the
    population value of a statistic whose bias the bootstrap reproduces. Clipped to ``bounds`` (the output's
    range). (nan, nan) without finite draws or a finite value.
    """
    sample = np.asarray(draws, dtype=float)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0 or (kind != "percentile" and not math.isfinite(value)):
        return math.nan, math.nan
    alpha = (1.0 - confidence) / 2.0
    q_low, q_high = (float(q) for q in np.quantile(sample, [alpha, 1.0 - alpha]))
    if kind == "percentile":
        low, high = q_low, q_high
    elif kind == "recentred":
        bias = float(sample.mean()) - value
        low, high = q_low - bias, q_high - bias
    elif kind == "basic":
        low, high = 2.0 * value - q_high, 2.0 * value - q_low
    else:
        raise StatsError(f"unknown bootstrap interval {kind!r}; use 'percentile', 'recentred' or 'basic'")
    return within_range(low, high, bounds)


def bootstrap_corpus(
    states: Sequence[Any] | np.ndarray,
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    debias: bool = False,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    kind: BootstrapKind | None = None,
) -> dict[str, Estimate]:
    """Bootstrap interval of a corpus-level metric: ``compute`` on resamples (with replacement) of ``states``.

    ``kind`` (see :func:`bootstrap_interval` and the module docstring for what each interval covers):
    ``percentile`` (default), ``recentred`` (the percentile interval shifted by the bootstrap's bias estimate,
    for the expected value at this set size; ``debias=True`` is the old spelling) or ``basic`` (for the
    population value). Every interval is clipped to ``bounds`` (output name → its range). With fewer than two
    states or ``n_resamples=0`` the intervals are NaN (no interval).
    """
    if kind is None:
        kind = "recentred" if debias else "percentile"
    n = len(states)
    if n < 2 or n_resamples <= 0:
        return {name: Estimate(float(value), math.nan, math.nan, n) for name, value in compute(states).items()}
    point, draws = corpus_bootstrap_draws(states, compute, n_resamples=n_resamples, seed=seed)
    estimates: dict[str, Estimate] = {}
    for name, value in point.items():
        low, high = bootstrap_interval(
            value, draws[name], kind=kind, confidence=confidence, bounds=None if bounds is None else bounds.get(name)
        )
        estimates[name] = Estimate(value, low, high, n)
    return estimates


def _open_scale(
    bounds: tuple[float, float] | None,
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[float], float]] | None:
    """(forward, inverse) maps of a bounded range onto the whole real line, or None for an unbounded range:
    the logit of the position in a finite range, the log of the distance to a single finite bound."""
    from scipy import special

    if bounds is None:
        return None
    floor, ceiling = bounds
    if math.isfinite(floor) and math.isfinite(ceiling):
        width = ceiling - floor
        return (
            lambda x: special.logit((np.asarray(x, dtype=float) - floor) / width),
            lambda y: floor + width * float(special.expit(y)),
        )
    if math.isfinite(floor):
        return lambda x: np.log(np.asarray(x, dtype=float) - floor), lambda y: floor + math.exp(min(y, 700.0))
    if math.isfinite(ceiling):
        return lambda x: -np.log(ceiling - np.asarray(x, dtype=float)), lambda y: ceiling - math.exp(min(-y, 700.0))
    return None


def jackknife_corpus(
    states: Sequence[Any],
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    confidence: float = 0.95,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Estimate]:
    """Corpus metric with a jackknife interval: value ± t(n-1) · SE_jack, where
    SE_jack = sqrt((n-1)/n · Σ (θ₍ᵢ₎ − θ̄₍·₎)²) over the n leave-one-out values θ₍ᵢ₎.

    For the mean, SE_jack equals the usual standard error s/√n. For an output with a range in ``bounds``
    (name → (floor, ceiling)), the interval is computed on the logit of the position in a finite range (the
    log of the distance to a single finite bound), where θ̂ and every θ₍ᵢ₎ are mapped first, and mapped back:
    it stays inside the range and widens towards the far bound when one state moves the value a lot. When θ̂
    or some θ₍ᵢ₎ lies on a bound (no finite transform) the plain interval is clipped to the range instead.
    """
    from scipy import stats

    n = len(states)
    point = compute(states)
    if n < 2:
        return {name: Estimate(float(value), math.nan, math.nan, n) for name, value in point.items()}
    leave_one_out = [compute([state for j, state in enumerate(states) if j != i]) for i in range(n)]
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1))
    estimates: dict[str, Estimate] = {}
    for name, value in point.items():
        value = float(value)
        thetas = np.asarray([values[name] for values in leave_one_out], dtype=float)
        if not np.all(np.isfinite(thetas)) or not math.isfinite(value):
            estimates[name] = Estimate(value, math.nan, math.nan, n)
            continue
        output_range = None if bounds is None else bounds.get(name)
        scale = _open_scale(output_range)
        if scale is not None:
            forward, inverse = scale
            with np.errstate(divide="ignore", invalid="ignore"):
                mapped = forward(np.append(thetas, value))
            if np.all(np.isfinite(mapped)):  # all strictly inside the range
                centre, spread = float(mapped[-1]), _jackknife_se(mapped[:-1])
                ends = sorted((inverse(centre - quantile * spread), inverse(centre + quantile * spread)))
                low, high = within_range(ends[0], ends[1], output_range)  # absorbs round-off at the bounds
                estimates[name] = Estimate(value, low, high, n)
                continue
        se = _jackknife_se(thetas)
        low, high = within_range(value - quantile * se, value + quantile * se, output_range)
        estimates[name] = Estimate(value, low, high, n)
    return estimates


def _jackknife_se(thetas: np.ndarray) -> float:
    n = thetas.size
    return math.sqrt((n - 1) / n * float(np.sum((thetas - thetas.mean()) ** 2)))


def corpus_interval(
    states: Sequence[Any],
    compute: Callable[[Sequence[Any]], Mapping[str, float]],
    *,
    interval: str,
    settings: BootstrapSettings,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    max_resamples: int | None = None,
) -> dict[str, Estimate]:
    """A corpus metric's values with the interval its ``interval`` kind names (:data:`INTERVAL_ESTIMANDS`),
    as the runner computes them: at most ``max_resamples`` bootstrap resamples, every interval within
    ``bounds``, and no interval at all (NaN) when ``settings.n_resamples`` is 0.
    """
    import warnings

    if interval in INTERVAL_ALIASES:
        new_name = INTERVAL_ALIASES[interval]
        warnings.warn(
            f"the corpus interval {interval!r} is now called {new_name!r} (an interval for the expected value at "
            "this set size, not for the population value); the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        interval = new_name
    if interval not in INTERVAL_ESTIMANDS:
        raise StatsError(f"unknown corpus interval {interval!r}; use one of {', '.join(INTERVAL_ESTIMANDS)}")
    if settings.n_resamples < 0:
        raise StatsError(f"n_resamples must be 0 (no interval) or more, got {settings.n_resamples}")
    if not settings.intervals:
        n = len(states)
        return {name: Estimate(float(value), math.nan, math.nan, n) for name, value in compute(states).items()}
    if interval == "jackknife":
        return jackknife_corpus(states, compute, confidence=settings.confidence, bounds=bounds)
    resamples = settings.n_resamples if max_resamples is None else min(settings.n_resamples, max_resamples)
    return bootstrap_corpus(
        states,
        compute,
        confidence=settings.confidence,
        n_resamples=resamples,
        seed=settings.seed,
        bounds=bounds,
        kind=BOOTSTRAP_KINDS[interval],
    )


# -- intervals for clustered samples and bounded scales ------------------------------------------------------

# Resampling is done in blocks of at most this many drawn indices, so memory stays flat for large inputs.
_BLOCK = 2_000_000


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence}")


def _cluster_codes(clusters: Sequence[Any] | np.ndarray, n: int) -> np.ndarray:
    codes = pd.factorize(pd.Series(list(clusters), dtype=object), sort=True)[0]
    if codes.size != n:
        raise StatsError(f"got {n} values but {codes.size} cluster labels; give one label per value")
    if np.any(codes < 0):
        raise StatsError("cluster labels must not be missing; give each unlabelled value its own label")
    return codes


def cluster_se(values: Sequence[float] | np.ndarray, clusters: Sequence[Any] | np.ndarray) -> tuple[float, int]:
    """Cluster-robust standard error of the mean and its degrees of freedom (G − 1).

    SE² = G/(G − 1) · Σ_g (Σ_{i∈g} (xᵢ − x̄))² / N², the CR1 sandwich variance of an intercept-only regression
    (Cameron & Miller 2015; statsmodels' ``cov_type="cluster"``). With one value per cluster it is s²/N.
    """
    data = np.asarray(values, dtype=float)
    codes = _cluster_codes(clusters, data.size)
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if n_clusters < 2:
        raise StatsError(f"a cluster-robust standard error needs at least 2 clusters, got {n_clusters}")
    residual_totals = np.bincount(codes, weights=data - data.mean(), minlength=n_clusters)
    variance = n_clusters / (n_clusters - 1) * float(np.sum(residual_totals**2)) / data.size**2
    return math.sqrt(variance), n_clusters - 1


def t_interval_mean(
    values: Sequence[float] | np.ndarray,
    *,
    clusters: Sequence[Any] | np.ndarray | None = None,
    scale: tuple[float, float] | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Mean with a t interval: x̄ ± t₍df₎·SE (SE = s/√n, df = n − 1; cluster-robust SE, df = G − 1 with ``clusters``).

    With ``scale=(low, high)`` the interval is the logit-transformed one: p = (x̄ − low)/(high − low),
    logit(p) ± t·SE/((high − low)·p(1 − p)), mapped back to the scale, so it never leaves (low, high).
    Non-finite values are dropped (with their cluster labels). The interval is (nan, nan) for fewer than two
    values (or clusters); all-equal values give (x̄, x̄).
    """
    from scipy import special, stats

    _check_confidence(confidence)
    data = np.asarray(values, dtype=float)
    keep = np.isfinite(data)
    labels = None if clusters is None else np.asarray(list(clusters), dtype=object)
    if labels is not None and labels.size != data.size:
        raise StatsError(f"got {data.size} values but {labels.size} cluster labels; give one label per value")
    data = data[keep]
    labels = None if labels is None else labels[keep]
    n = int(data.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if scale is not None:
        _check_scale(data, scale)
        mean = min(max(mean, scale[0]), scale[1])  # float round-off in the sum must not leave the scale
    if n < 2 or (labels is not None and len(set(labels.tolist())) < 2):
        return Estimate(mean, math.nan, math.nan, n)
    if np.all(data == data[0]):  # no spread: every interval method collapses to the point
        return Estimate(mean, mean, mean, n)
    if labels is None:
        se, df = float(data.std(ddof=1)) / math.sqrt(n), n - 1
    else:
        se, df = cluster_se(data, labels)
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, df=df))
    if scale is None:
        return Estimate(mean, mean - quantile * se, mean + quantile * se, n)
    low, high = scale
    position = (mean - low) / (high - low)
    # Not all values are equal and all lie in [low, high], so 0 < position < 1.
    half_width = quantile * se / ((high - low) * position * (1.0 - position))
    centre = float(special.logit(position))
    ci_low = low + (high - low) * float(special.expit(centre - half_width))
    ci_high = low + (high - low) * float(special.expit(centre + half_width))
    return Estimate(mean, ci_low, ci_high, n)


def _cluster_means(sums: np.ndarray, counts: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_resamples`` cluster-bootstrap resamples (G clusters drawn with replacement)."""
    n_clusters = sums.size
    block = max(1, _BLOCK // n_clusters)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        drawn = rng.integers(0, n_clusters, size=(stop - start, n_clusters))
        # The mean of all samples in the drawn clusters (a ratio estimator: clusters may differ in size).
        means[start:stop] = sums[drawn].sum(axis=1) / counts[drawn].sum(axis=1)
    return means


def cluster_bootstrap_mean(
    values: Sequence[float] | np.ndarray,
    clusters: Sequence[Any] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "percentile",
    seed: int = 0,
) -> Estimate:
    """Mean with a cluster-bootstrap interval: clusters are drawn with replacement, all their values kept.

    ``percentile``: quantiles of the resampled means. ``BCa``: Efron's bias-corrected and accelerated interval
    (Efron & Tibshirani 1993, §14.3) with the bias correction z₀ = Φ⁻¹(share of resampled means below the
    estimate, ties counted half, as scipy does) and the acceleration from the leave-one-cluster-out jackknife.
    With one value per cluster this is the ordinary bootstrap of the mean (equal in distribution to
    :func:`mean_with_ci`). Non-finite values are dropped; (nan, nan) for fewer than two clusters.
    """
    from scipy import special

    _check_confidence(confidence)
    if n_resamples < 1:
        raise StatsError(f"n_resamples must be at least 1, got {n_resamples}")
    data = np.asarray(values, dtype=float)
    labels = np.asarray(list(clusters), dtype=object)
    if labels.size != data.size:
        raise StatsError(f"got {data.size} values but {labels.size} cluster labels; give one label per value")
    keep = np.isfinite(data)
    data, labels = data[keep], labels[keep]
    n = int(data.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    codes = _cluster_codes(labels, n)
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        return Estimate(mean, math.nan, math.nan, n)
    if np.all(data == data[0]):
        return Estimate(mean, mean, mean, n)
    sums = np.bincount(codes, weights=data, minlength=n_clusters)
    counts = np.bincount(codes, minlength=n_clusters).astype(float)
    means = _cluster_means(sums, counts, n_resamples, np.random.default_rng(seed))
    alpha = (1.0 - confidence) / 2.0
    if method == "percentile":
        levels = np.array([alpha, 1.0 - alpha])
    elif method == "BCa":
        share_below = (np.count_nonzero(means < mean) + np.count_nonzero(means <= mean)) / (2.0 * n_resamples)
        z0 = float(special.ndtri(share_below))
        leave_one_out = (sums.sum() - sums) / (counts.sum() - counts)
        spread = leave_one_out.mean() - leave_one_out
        denominator = 6.0 * float(np.sum(spread**2)) ** 1.5
        acceleration = float(np.sum(spread**3)) / denominator if denominator > 0 else 0.0
        z = special.ndtri(np.array([alpha, 1.0 - alpha]))
        levels = special.ndtr(z0 + (z0 + z) / (1.0 - acceleration * (z0 + z)))
        if not np.all(np.isfinite(levels)):  # every resample on one side of the estimate: no BCa interval
            return Estimate(mean, math.nan, math.nan, n)
    else:
        raise StatsError(f"unknown bootstrap method {method!r}; use 'percentile' or 'BCa'")
    low, high = np.quantile(means, levels)
    return Estimate(mean, float(low), float(high), n)


def _check_scale(values: np.ndarray, scale: tuple[float, float]) -> None:
    low, high = scale
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise StatsError(f"scale must be (low, high) with finite low < high, got {scale}")
    outside = values[(values < low) | (values > high)]
    if outside.size:
        raise StatsError(
            f"{outside.size} value(s) lie outside the scale [{low:g}, {high:g}] (e.g. {outside[0]:g}); "
            "check the scale or clean the values first"
        )


FEW_UNITS = 10
"""Below this many resampling units (values, or groups when clustered) a bootstrap interval of the mean is
too narrow — for n values its width shrinks by √((n − 1)/n) and its t quantile is replaced by a normal one —
so :func:`aggregate` warns and names the rows."""

# -- aggregate(): per-system tables from a results table ------------------------------------------------------

AGGREGATE_COLUMNS: tuple[str, ...] = (
    "metric",
    "sub_metric",
    "mean",
    "median",
    "sd",
    "n",
    "ci_low",
    "ci_high",
    "method",
    "clustered",
    "n_clusters",
    "confidence",
    "higher_is_better",
)


@dataclass
class AggregateResult(StatsResult):
    """Aggregates of per-sample values: one row per (``by``..., metric, sub-metric).

    Columns: the ``by`` columns, ``metric``, ``sub_metric``, ``mean`` (the point estimate), ``median``, ``sd``
    (sample standard deviation, ddof = 1; NaN for one value), ``n`` (values), ``ci_low``/``ci_high`` (the
    interval of the mean at ``confidence``; NaN with fewer than two values or clusters, and then a warning
    says so), ``method`` (``percentile``, ``BCa``, ``t``, or ``logit-t`` for the t interval on a bounded
    scale), ``clustered`` (resampled by ``group``), ``n_clusters`` (groups behind the row; equals ``n`` when
    not clustered), ``confidence`` and ``higher_is_better``.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    method: str
    confidence: float
    scale: tuple[float, float] | None
    n_resamples: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def estimate(self, metric: str, sub_metric: str | None = None, **keys: Any) -> Estimate:
        """The row for ``metric`` [``sub_metric``] and the ``by`` values in ``keys`` (e.g. ``system="a"``)."""
        table = self.table[self.table["metric"] == metric]
        if sub_metric is not None:
            table = table[table["sub_metric"] == sub_metric]
        for column, value in keys.items():
            if column not in self.by:
                raise StatsError(f"{column!r} is not an aggregation key; keys are {', '.join(self.by)}")
            table = table[table[column] == value]
        if len(table) != 1:
            raise StatsError(
                f"{len(table)} rows match metric={metric!r}, sub_metric={sub_metric!r}, {keys}; "
                "name the sub-metric and every aggregation key"
            )
        row = table.iloc[0]
        return Estimate(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), int(row["n"]))

    def summary(self) -> str:
        scale = "" if self.scale is None else f", scale [{self.scale[0]:g}, {self.scale[1]:g}]"
        resampling = "" if self.method == "t" else f" ({self.n_resamples} resamples, seed {self.seed})"
        header = (
            f"Aggregates by {', '.join(self.by)}: mean with {self.confidence:.0%} {self.method} interval"
            f"{scale}{resampling}; n_clusters < n where samples were resampled by group"
        )
        columns = [*self.by, "metric", "sub_metric", "mean", "ci_low", "ci_high", "median", "sd", "n", "n_clusters"]
        body = self.table[columns].to_string(index=False, float_format=lambda x: f"{x:.4g}")
        return f"{header}\n{body}{self._warnings_text()}"

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(
            by=list(self.by),
            method=self.method,
            confidence=self.confidence,
            scale=None if self.scale is None else list(self.scale),
            n_resamples=self.n_resamples,
            seed=self.seed,
        )
        return data


def scored_samples(results: Results | pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Per-sample rows that were scored (no error, finite value) and how many error rows were left out."""
    frame = results if isinstance(results, pd.DataFrame) else getattr(results, "table", None)
    if not isinstance(frame, pd.DataFrame):
        raise StatsError(f"expected a Results object or a pandas DataFrame, got {type(results).__name__}")
    missing = [column for column in ("metric", "value") if column not in frame.columns]
    if missing:
        raise StatsError(f"the results table lacks column(s) {', '.join(missing)}; is it an emoeval results table?")
    if "scope" in frame.columns:
        frame = frame[frame["scope"].astype("string") == "sample"]
    frame = frame.copy()
    if "sub_metric" not in frame.columns:
        frame["sub_metric"] = ""
    frame["sub_metric"] = frame["sub_metric"].astype("string").fillna("")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    failed = pd.Series(False, index=frame.index)
    if "error" in frame.columns:
        error = frame["error"].astype("string")
        failed = error.notna() & (error.str.strip() != "")
    unusable = failed | ~np.isfinite(frame["value"].to_numpy())
    return frame[~unusable].reset_index(drop=True), int(unusable.sum())


def _direction(rows: pd.DataFrame) -> Any:
    if "higher_is_better" not in rows.columns:
        return pd.NA
    known = rows["higher_is_better"].dropna()
    return bool(known.iloc[0]) if len(known) else pd.NA


def aggregate(
    results: Results | pd.DataFrame,
    *,
    by: Sequence[str] = ("system",),
    metrics: Sequence[str] | None = None,
    method: AggregateMethod = "percentile",
    scale: tuple[float, float] | None = None,
    cluster: bool | str = "auto",
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> AggregateResult:
    """Mean, median, sd, n and a confidence interval of the mean per (``by``..., metric, sub-metric).

    Uses the per-sample rows of a results table (``scope == "sample"``; rows with an ``error`` or a NaN value
    are left out and counted in a warning). ``by=("system", "target_emotion")`` gives the per-emotion
    breakdown. ``method``: ``percentile`` or ``BCa`` (seeded bootstrap, ``n_resamples`` resamples) or ``t``
    (see the module docstring). ``scale=(low, high)``: a bounded rating scale; every value must lie on it,
    and every interval stays on it (``t`` becomes the logit-transformed t interval).

    ``cluster``: ``"auto"`` clusters a row's samples by the ``group`` column when some group holds more than
    one of that row's samples (e.g. several utterances of one prompt by the same system); ``True`` always
    clusters by ``group``; ``False`` never; any other string names the column to cluster by (e.g.
    ``"speaker"`` in a hand-built table). Samples with no cluster label count as clusters of their own.
    Unclustered percentile/BCa intervals are exactly :func:`mean_with_ci` (scipy.stats.bootstrap, same seed).
    """
    _check_confidence(confidence)
    if method not in ("percentile", "BCa", "t"):
        raise StatsError(f"unknown interval method {method!r}; use 'percentile', 'BCa' or 't'")
    if n_resamples < 1:
        raise StatsError(f"n_resamples must be at least 1, got {n_resamples}")
    if scale is not None:
        _check_scale(np.empty(0), scale)
    by = tuple(by)
    rows, n_unusable = scored_samples(results)
    if rows.empty:
        raise StatsError("no scored per-sample rows (scope 'sample', no error) in the results table")
    missing = [column for column in by if column not in rows.columns]
    if missing:
        raise StatsError(f"cannot aggregate by {', '.join(missing)}: no such column (columns: {', '.join(rows)})")
    if metrics is not None:
        known = sorted(rows["metric"].dropna().astype(str).unique())
        unknown = [name for name in metrics if name not in known]
        if unknown:
            raise StatsError(f"no scored samples of metric(s) {', '.join(unknown)}; the table has {', '.join(known)}")
        rows = rows[rows["metric"].isin(list(metrics))]
    if cluster is True or cluster == "auto":
        cluster_column: str | None = "group"
    elif cluster is False:
        cluster_column = None
    else:
        cluster_column = str(cluster)
    if cluster_column is not None and cluster_column not in rows.columns:
        if cluster == "auto":
            cluster_column = None
        else:
            raise StatsError(f"cannot cluster by {cluster_column!r}: no such column in the results table")

    warnings: list[str] = []
    if n_unusable:
        warnings.append(f"{n_unusable} per-sample row(s) with an error or no value were left out")
    if scale is not None:
        _check_scale(rows["value"].to_numpy(dtype=float), scale)
    keys = [*by, "metric", "sub_metric"]
    for column in keys:
        if rows[column].isna().any():
            warnings.append(f"{int(rows[column].isna().sum())} row(s) with no {column} were left out")
    rows = rows.dropna(subset=keys)
    records: list[dict[str, Any]] = []
    n_unlabelled = 0
    few_units: list[str] = []
    for key, cell in rows.groupby(keys, sort=True, dropna=True):
        values = cell["value"].to_numpy(dtype=float)
        labels: np.ndarray | None = None
        if cluster_column is not None:
            raw = cell[cluster_column].astype("string")
            unlabelled = raw.isna() | (raw.str.strip() == "")
            n_unlabelled += int(unlabelled.sum())
            # An unlabelled sample is a cluster of its own (a label no real group can carry).
            labels = np.where(unlabelled, [f"\0row{i}" for i in range(len(cell))], raw.fillna("").to_numpy(object))
            if cluster == "auto" and pd.Series(labels).duplicated().sum() == 0:
                labels = None
        estimate = _interval(values, labels, method, scale, confidence, n_resamples, seed)
        n_clusters = len(set(labels.tolist())) if labels is not None else estimate.n
        label = ", ".join(f"{name}={value}" for name, value in zip(keys, key, strict=True))
        if estimate.n < 2:
            warnings.append(f"{label}: only {estimate.n} value(s), no interval")
        elif labels is not None and n_clusters < 2:
            warnings.append(f"{label}: all {estimate.n} values in one cluster, no clustered interval")
        elif not (math.isfinite(estimate.ci_low) and math.isfinite(estimate.ci_high)):
            warnings.append(f"{label}: the {method} interval is undefined (resamples on one side); use 'percentile'")
        elif np.all(values == values[0]):
            warnings.append(f"{label}: all {estimate.n} values are equal, so the interval has zero width")
        elif method != "t" and n_clusters < FEW_UNITS:
            few_units.append(f"{label} ({n_clusters})")
        records.append(
            {
                **dict(zip(keys, key, strict=True)),
                "mean": estimate.value,
                "median": float(np.median(values)),
                "sd": float(values.std(ddof=1)) if values.size > 1 else math.nan,
                "n": estimate.n,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "method": "logit-t" if method == "t" and scale is not None else method,
                "clustered": labels is not None,
                "n_clusters": n_clusters,
                "confidence": confidence,
                "higher_is_better": _direction(cell),
            }
        )
    if few_units:  # one warning for all small rows
        warnings.append(
            f"{len(few_units)} row(s) rest on fewer than {FEW_UNITS} resampled values or groups "
            f"({'; '.join(few_units)}): bootstrap intervals are too narrow this small (they cover the mean less "
            "often than stated); method='t' is the honest choice for them"
        )
    if n_unlabelled:
        warnings.append(f"{n_unlabelled} sample(s) had no {cluster_column}; each counted as a cluster of its own")
    if not records:
        raise StatsError("no per-sample rows left to aggregate (every row lacked an aggregation key)")
    table = pd.DataFrame(records, columns=[*by, *AGGREGATE_COLUMNS])
    table["n"] = table["n"].astype(int)
    table["n_clusters"] = table["n_clusters"].astype(int)
    table["higher_is_better"] = table["higher_is_better"].astype("boolean")
    return AggregateResult(
        table=table,
        by=by,
        method=method,
        confidence=confidence,
        scale=scale,
        n_resamples=n_resamples,
        seed=seed,
        warnings=warnings,
    )


def _interval(
    values: np.ndarray,
    labels: np.ndarray | None,
    method: AggregateMethod,
    scale: tuple[float, float] | None,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> Estimate:
    if method == "t":
        return t_interval_mean(values, clusters=labels, scale=scale, confidence=confidence)
    if labels is None:
        estimate = mean_with_ci(values, confidence=confidence, n_resamples=n_resamples, method=method, seed=seed)
    else:
        estimate = cluster_bootstrap_mean(
            values, labels, confidence=confidence, n_resamples=n_resamples, method=method, seed=seed
        )
    if scale is None:
        return estimate
    # Resampled means lie within the data's range, hence on the scale; clipping only absorbs float round-off.
    low, high = scale

    def clip(x: float) -> float:
        return x if math.isnan(x) else min(max(x, low), high)

    return Estimate(clip(estimate.value), clip(estimate.ci_low), clip(estimate.ci_high), estimate.n)
