"""Distributions behind the means: per-sample values of each metric output per system (quartiles, whiskers and
the points themselves), and the corpus metrics (Fréchet distances, KID, diversity) with their intervals.

Plots show at most ``max_points`` points per system: above that, the values at evenly spaced ranks (the
empirical quantiles), which keep the shape of the distribution and keep a 5 × 500-sample report small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emoeval.reports.formatting import as_float, as_text
from emoeval.reports.rows import direction, metric_keys, overall_system_rows, scored_sample_rows

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MAX_POINTS = 150


@dataclass(frozen=True)
class SystemDistribution:
    """Summary of one system's values: n, mean, sd, quartiles (linear interpolation, numpy's default), Tukey
    whiskers (the most extreme values within 1.5 IQR of the quartiles), extremes and the plotted points."""

    system: str
    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    whisker_low: float
    whisker_high: float
    minimum: float
    maximum: float
    points: tuple[float, ...]


@dataclass(frozen=True)
class Distribution:
    """Per-system distributions of one metric output; ``binary`` when every value is 0 or 1 (a hit rate,
    shown as proportions rather than boxes)."""

    metric: str
    sub_metric: str
    higher_is_better: bool | None
    systems: tuple[SystemDistribution, ...]
    binary: bool = False

    @property
    def value_range(self) -> tuple[float, float]:
        return min(s.minimum for s in self.systems), max(s.maximum for s in self.systems)


@dataclass(frozen=True)
class CorpusEstimate:
    system: str
    value: float
    ci_low: float
    ci_high: float
    n: int | None
    warning: str | None


@dataclass(frozen=True)
class CorpusSummary:
    """A corpus metric output (one value per system, e.g. FID) with its intervals and warnings."""

    metric: str
    sub_metric: str
    higher_is_better: bool | None
    estimates: tuple[CorpusEstimate, ...]

    @property
    def warnings(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each distinct warning with the systems it concerns."""
        grouped: dict[str, list[str]] = {}
        for estimate in self.estimates:
            if estimate.warning:
                grouped.setdefault(estimate.warning, []).append(estimate.system)
        return tuple((text, tuple(systems)) for text, systems in grouped.items())


def spread_points(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Sorted ``values``, or the values at ``max_points`` evenly spaced ranks when there are more.

    >>> import numpy as np
    >>> spread_points(np.arange(10.0), 3).tolist()
    [0.0, 5.0, 9.0]
    """
    import numpy as np

    ordered = np.sort(np.asarray(values, dtype=float))
    if ordered.size <= max_points:
        return ordered
    index = np.floor(np.linspace(0, ordered.size - 1, max_points) + 0.5).astype(int)
    return ordered[index]


def summarize_values(
    system: str, values: Sequence[float] | np.ndarray, max_points: int = MAX_POINTS
) -> SystemDistribution:
    """The box-plot numbers of ``values`` (finite values only; at least one)."""
    import numpy as np

    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    q1, median, q3 = (float(v) for v in np.quantile(data, [0.25, 0.5, 0.75]))
    spread = q3 - q1
    inside = data[(data >= q1 - 1.5 * spread) & (data <= q3 + 1.5 * spread)]
    return SystemDistribution(
        system=system,
        n=int(data.size),
        mean=float(data.mean()),
        sd=float(data.std(ddof=1)) if data.size > 1 else math.nan,
        median=median,
        q1=q1,
        q3=q3,
        whisker_low=float(inside.min()),
        whisker_high=float(inside.max()),
        minimum=float(data.min()),
        maximum=float(data.max()),
        points=tuple(float(v) for v in spread_points(data, max_points)),
    )


def sample_distributions(table: pd.DataFrame, *, max_points: int = MAX_POINTS) -> list[Distribution]:
    """One distribution per (metric, sub-metric) with per-sample values, systems in alphabetical order."""
    import pandas as pd

    scored = scored_sample_rows(table)
    distributions = []
    for metric, sub_metric in metric_keys(scored):
        rows = scored[(scored["metric"].astype(str) == metric) & (scored["sub_metric"].astype(str) == sub_metric)]
        values = pd.to_numeric(rows["value"]).astype(float)
        systems = tuple(
            summarize_values(str(system), values[group.index].to_numpy(float), max_points)
            for system, group in rows.groupby("system", sort=True)
        )
        binary = bool(values.isin([0.0, 1.0]).all())
        distributions.append(Distribution(metric, sub_metric, direction(rows), systems, binary))
    return distributions


def corpus_summaries(table: pd.DataFrame) -> list[CorpusSummary]:
    """Corpus metrics (``statistic == "corpus"``, overall rows) per output, systems in alphabetical order."""
    overall = overall_system_rows(table)
    corpus = overall[overall["statistic"].astype("string") == "corpus"]
    summaries = []
    for metric, sub_metric in metric_keys(corpus):
        rows = corpus[(corpus["metric"].astype(str) == metric) & (corpus["sub_metric"].astype(str) == sub_metric)]
        estimates = tuple(
            CorpusEstimate(
                system=str(row.system),
                value=as_float(row.value),
                ci_low=as_float(row.ci_low),
                ci_high=as_float(row.ci_high),
                n=None if as_text(row.n) is None else int(row.n),
                warning=as_text(row.warning) or as_text(row.error),
            )
            for row in rows.sort_values("system", kind="stable").itertuples()
        )
        summaries.append(CorpusSummary(metric, sub_metric, direction(rows), estimates))
    return summaries
