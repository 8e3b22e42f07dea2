"""Corpus bootstrap draws: the resampled values behind each corpus interval, kept so a gate can compare runs.

A corpus metric's interval (:func:`emoeval.stats.aggregate.corpus_interval`) is computed from the metric's value
on resamples of a system's states (bootstrap kinds) or on its leave-one-out subsets (``jackknife``). Those values
are all a later comparison needs: the difference of two runs' corpus values has the bootstrap distribution
c* − b* (independent resamples). The runner records them while it computes the interval — the very values, the
same seed, no extra computation — through :class:`DrawRecorder`, and writes them per metric to::

    <out>/artifacts/bootstrap/<percent-encoded metric label>.npz

holding, for every (system, target emotion, sub-metric) row of the metric, its ``kind`` (``bootstrap``: values on
seeded resamples drawn with replacement; ``jackknife``: the n leave-one-out values), the row's value and the draws
(float64; non-finite draws dropped), plus ``__metric__`` and ``__config_hash__`` (the run configuration, as for
per-sample artefacts: :func:`load_corpus_draws` ignores a file left by another configuration). Files are read
with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.artifacts import ARTIFACTS_DIR, artifact_path
from emoeval.atomic import atomic_write

if TYPE_CHECKING:
    import numpy as np

    from emoeval.stats.aggregate import BootstrapSettings

#: sub-folder of ``artifacts/`` holding one draws file per corpus metric
DRAWS_DIR = "bootstrap"
#: (metric label, system, target emotion or None, sub-metric)
DrawKey = tuple[str, str, "str | None", str]
_META = ("__metric__", "__config_hash__", "__index__")


@dataclass(frozen=True)
class CorpusDraws:
    """The draws behind one corpus row: ``kind`` ``bootstrap`` (the statistic on resamples with replacement) or
    ``jackknife`` (on the n leave-one-out subsets), the row's ``value`` and the finite ``draws`` (float64)."""

    kind: str
    value: float
    draws: np.ndarray

    @property
    def se(self) -> float:
        """Standard error: the sd of the bootstrap draws, or the jackknife's sqrt((n−1)/n · Σ(θᵢ − θ̄)²)."""
        import numpy as np

        sample = np.asarray(self.draws, dtype=float)
        if sample.size < 2:
            return math.nan
        if self.kind == "jackknife":
            n = sample.size
            return math.sqrt((n - 1) / n * float(np.sum((sample - sample.mean()) ** 2)))
        return float(sample.std(ddof=1))

    def __eq__(self, other: object) -> bool:
        import numpy as np

        if not isinstance(other, CorpusDraws):
            return NotImplemented
        same_value = self.value == other.value or (math.isnan(self.value) and math.isnan(other.value))
        return self.kind == other.kind and same_value and np.array_equal(self.draws, other.draws)

    __hash__ = None  # type: ignore[assignment]


class DrawRecorder:
    """Wraps a corpus metric's ``compute`` to keep every value it returns while an interval is computed.

    :func:`~emoeval.stats.aggregate.corpus_interval` calls ``compute`` first on all states (the value), then on
    each resample (bootstrap kinds, :func:`~emoeval.stats.aggregate.corpus_bootstrap_draws`) or each
    leave-one-out subset (``jackknife``); :meth:`draws` turns the calls after the first into draws, and gives
    none when their number is not the one expected (so a change of that order cannot pass silently:
    ``tests/unit/test_gate_draws.py`` pins it).
    """

    def __init__(self, compute: Callable[[Sequence[Any]], Mapping[str, float]]) -> None:
        self._compute = compute
        self.calls: list[dict[str, float]] = []

    def __call__(self, states: Sequence[Any]) -> Mapping[str, float]:
        values = self._compute(states)
        self.calls.append({name: float(value) for name, value in values.items()})
        return values

    def draws(
        self, *, interval: str, n_states: int, settings: BootstrapSettings, max_resamples: int | None
    ) -> dict[str, CorpusDraws]:
        """The draws per output of the interval just computed (empty when there were none: fewer than two
        states, no resamples asked for, or an unexpected number of calls)."""
        import numpy as np

        from emoeval.stats.aggregate import INTERVAL_ALIASES

        interval = INTERVAL_ALIASES.get(interval, interval)
        if n_states < 2 or not settings.intervals or not self.calls:
            return {}
        if interval == "jackknife":
            kind, expected = "jackknife", n_states
        else:
            kind = "bootstrap"
            expected = settings.n_resamples if max_resamples is None else min(settings.n_resamples, max_resamples)
        if len(self.calls) != 1 + expected:
            return {}
        point, rest = self.calls[0], self.calls[1:]
        found = {}
        for name, value in point.items():
            values = np.asarray([call.get(name, math.nan) for call in rest], dtype=np.float64)
            found[name] = CorpusDraws(kind=kind, value=value, draws=values[np.isfinite(values)])
        return found


def draws_path(out_dir: str | Path, metric_label: str) -> Path:
    """``<out_dir>/artifacts/bootstrap/<percent-encoded metric label>.npz``."""
    # the artefact naming rule (percent-encoding, sha256 of over-long names) with ``bootstrap`` as the folder
    return artifact_path(out_dir, DRAWS_DIR, metric_label)


def save_corpus_draws(
    out_dir: str | Path,
    metric_label: str,
    draws: Mapping[tuple[str, str | None, str], CorpusDraws],
    *,
    config_hash: str,
) -> Path | None:
    """Write a metric's draws, keyed by (system, target emotion or None, sub-metric); None when there are none.
    Written to a temporary file and renamed: a reader never sees half of one."""
    import numpy as np

    if not draws:
        return None
    path = draws_path(out_dir, metric_label)
    path.parent.mkdir(parents=True, exist_ok=True)
    index = []
    arrays: dict[str, np.ndarray] = {}
    for number, ((system, emotion, sub_metric), found) in enumerate(sorted(draws.items(), key=_sort_key)):
        index.append(
            {
                "system": system,
                "target_emotion": emotion,
                "sub_metric": sub_metric,
                "kind": found.kind,
                "value": found.value if math.isfinite(found.value) else None,
            }
        )
        arrays[f"draws_{number}"] = np.asarray(found.draws, dtype=np.float64)
    arrays.update(
        __metric__=np.array(metric_label),
        __config_hash__=np.array(config_hash),
        __index__=np.array(json.dumps(index, sort_keys=True)),
    )
    atomic_write(path, lambda out: np.savez_compressed(out, **arrays))  # type: ignore[arg-type]
    return path


def _sort_key(item: tuple[tuple[str, str | None, str], CorpusDraws]) -> tuple[str, str, str]:
    (system, emotion, sub_metric), _ = item
    return system, emotion or "", sub_metric


def load_corpus_draws(results_dir: str | Path, *, config_hash: str | None) -> dict[tuple, CorpusDraws]:
    """Every draws file of a results folder written by the configuration ``config_hash`` (the folder's run.json
    records it; None reads none), keyed by (metric label, system, target emotion or None, sub-metric). A file that
    cannot be read, or was written by another configuration, is skipped."""
    import numpy as np

    folder = Path(results_dir) / ARTIFACTS_DIR / DRAWS_DIR
    if config_hash is None or not folder.is_dir():
        return {}
    found: dict[tuple, CorpusDraws] = {}
    for path in sorted(folder.glob("*.npz")):
        try:
            with np.load(path, allow_pickle=False) as data:
                if not set(_META) <= set(data.files) or str(data["__config_hash__"]) != config_hash:
                    continue
                metric = str(data["__metric__"])
                for number, entry in enumerate(json.loads(str(data["__index__"]))):
                    value = math.nan if entry.get("value") is None else float(entry["value"])
                    key = (metric, str(entry["system"]), entry.get("target_emotion"), str(entry["sub_metric"]))
                    draws = np.asarray(data[f"draws_{number}"], dtype=np.float64)
                    found[key] = CorpusDraws(kind=str(entry["kind"]), value=value, draws=draws)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            continue
    return found


__all__ = [
    "DRAWS_DIR",
    "CorpusDraws",
    "DrawKey",
    "DrawRecorder",
    "draws_path",
    "load_corpus_draws",
    "save_corpus_draws",
]
