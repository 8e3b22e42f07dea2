"""Cost statistics of a generation run: latency percentiles, real-time factor, throughput, peak memory.

Per measured call (warm-up calls excluded): ``latency_s`` (wall time of the generator's own work),
``first_output_s`` (time to the first streamed chunk or the first answer byte; absent when the generator does not
stream), ``rtf`` (real-time factor = latency / duration of the audio produced; < 1 is faster than real time;
speech only), ``peak_rss_mb`` (peak resident memory during the call: the command's process, or this process
with its peak reset before each call) and ``accelerator_peak_mb`` (peak CUDA memory torch allocated during the
call, for an in-process generator that uses torch on a GPU; absent otherwise).

:func:`summarise` gives, over a system's measured calls, the p50 / p90 / p99 percentiles and the mean of each timing
(percentiles by linear interpolation between order statistics, :func:`numpy.percentile`'s default, i.e. Hyndman &
Fan's type 7), the largest peak memory (resident and accelerator), and the throughput (calls per second of generator
time, calls run one after another). Each comes with a **percentile bootstrap interval over requests** (each resample
draws requests with replacement and keeps all their repeats: repeats of one request are not independent). It covers
the statistic over requests like these, on this machine and in this state; it does not cover other hardware or load.
A p99 from fewer than 100 measured calls is an order statistic near the maximum and its interval is wide and not to
be trusted (the ``n`` column says how many calls stand behind each value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emoeval.stats.aggregate import BootstrapSettings, Estimate, bootstrap_interval, corpus_bootstrap_draws

#: the percentiles reported for each timing
PERCENTILES: tuple[int, ...] = (50, 90, 99)
#: the per-call timings, their unit and whether lower is better (all of them: costs)
TIMINGS: tuple[str, ...] = ("latency_s", "first_output_s", "rtf")


@dataclass(frozen=True)
class CallRecord:
    """One measured call of a request (``repeat`` 0, 1, ...)."""

    request_id: str
    repeat: int
    latency_s: float
    first_output_s: float | None = None
    rtf: float | None = None
    peak_rss_mb: float | None = None
    accelerator_peak_mb: float | None = None


#: per-call memory peaks and the summary output of each (the largest over all calls)
MEMORY: dict[str, str] = {"peak_rss_mb": "peak_rss_max_mb", "accelerator_peak_mb": "accelerator_peak_max_mb"}


def _name(timing: str, statistic: str) -> str:
    """``latency_s`` + ``p50`` → ``latency_p50_s``; ``rtf`` + ``mean`` → ``rtf_mean``."""
    stem, unit = (timing.removesuffix("_s"), "_s") if timing.endswith("_s") else (timing, "")
    return f"{stem}_{statistic}{unit}"


def summary_names() -> list[str]:
    """The sub-metric names :func:`summarise` can give, in order."""
    names = [_name(timing, f"p{q}") for timing in TIMINGS for q in PERCENTILES]
    names += [_name(timing, "mean") for timing in TIMINGS]
    return [*names, "throughput_per_s", *MEMORY.values()]


def _statistics(groups: Sequence[Mapping[str, np.ndarray]]) -> dict[str, float]:
    """Every summary statistic of the calls in ``groups`` (one mapping of timing → values per request)."""
    found: dict[str, float] = {}
    for timing in TIMINGS:
        parts = [group[timing] for group in groups if group[timing].size]
        if not parts:
            continue
        values = np.concatenate(parts)
        for q in PERCENTILES:
            found[_name(timing, f"p{q}")] = float(np.percentile(values, q))
        found[_name(timing, "mean")] = float(values.mean())
    latencies = np.concatenate([group["latency_s"] for group in groups])
    total = float(latencies.sum())
    found["throughput_per_s"] = latencies.size / total if total > 0 else math.nan
    for peak, summary in MEMORY.items():
        memory = [group[peak] for group in groups if group[peak].size]
        if memory:
            found[summary] = float(np.concatenate(memory).max())
    return found


def _grouped(records: Sequence[CallRecord]) -> list[dict[str, np.ndarray]]:
    by_request: dict[str, list[CallRecord]] = {}
    for record in records:
        by_request.setdefault(record.request_id, []).append(record)
    groups = []
    for calls in by_request.values():
        group = {
            name: np.asarray([getattr(c, name) for c in calls if getattr(c, name) is not None], dtype=np.float64)
            for name in (*TIMINGS, *MEMORY)
        }
        groups.append(group)
    return groups


def summarise_with_draws(
    records: Sequence[CallRecord], settings: BootstrapSettings | None = None
) -> tuple[dict[str, Estimate], dict[str, np.ndarray]]:
    """:func:`summarise` and the bootstrap draws behind each interval (what ``emoeval gate`` compares with)."""
    settings = settings or BootstrapSettings()
    if not records:
        return {}, {}
    groups = _grouped(records)
    counts = {timing: sum(int(g[timing].size) for g in groups) for timing in (*TIMINGS, *MEMORY)}
    names = list(_statistics(groups))

    def compute(indices: Any) -> dict[str, float]:
        found = _statistics([groups[i] for i in indices])
        return {name: found.get(name, math.nan) for name in names}  # a resample may lack a timing: NaN, dropped

    if settings.intervals and len(groups) >= 2:
        point, draws = corpus_bootstrap_draws(
            np.arange(len(groups)), compute, n_resamples=settings.n_resamples, seed=settings.seed
        )
    else:
        point, draws = compute(np.arange(len(groups))), {}
    estimates: dict[str, Estimate] = {}
    for name, value in point.items():
        low, high = (
            bootstrap_interval(value, draws[name], confidence=settings.confidence, bounds=(0.0, math.inf))
            if name in draws
            else (math.nan, math.nan)
        )
        source = next((t for t in TIMINGS if name.startswith(t.removesuffix("_s"))), None)
        if source is None:
            source = next((peak for peak, summary in MEMORY.items() if summary == name), "latency_s")
        estimates[name] = Estimate(value=value, ci_low=low, ci_high=high, n=counts[source])
    return estimates, draws


def summarise(records: Sequence[CallRecord], settings: BootstrapSettings | None = None) -> dict[str, Estimate]:
    """The summary statistics of a system's measured calls with percentile bootstrap intervals over requests
    (module docstring); ``n`` = the number of calls behind each value. Empty without records."""
    return summarise_with_draws(records, settings)[0]


__all__ = ["MEMORY", "PERCENTILES", "TIMINGS", "CallRecord", "summarise", "summarise_with_draws", "summary_names"]
