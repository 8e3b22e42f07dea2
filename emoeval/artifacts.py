"""Per-sample artefacts: small arrays a metric computed on the way to its values, kept in the results folder.

Reports never re-run signal processing. When a report should show more of a sample than its numbers — the F0
contour the prosody metrics tracked, for instance — the metric that computed it attaches it to the sample's
verdict, and the run writes it next to the results:

- **in the metric**: return an :class:`ArtifactScore` (a :class:`~emoeval.metric.SampleScore` with
  ``artifacts``: named 1-D float series, at most :data:`MAX_POINTS` points each; NaN allowed, e.g. for unvoiced
  frames). Keep them small: they are plot data, not features. A verdict without artefacts is a plain
  ``SampleScore``, as before.
- **in the verdict cache**: :func:`artifacts_record` adds them to a cached verdict's record and
  :func:`restore_artifacts` puts them back on the verdict read from it, so a warm run writes the same artefacts
  as a cold one.
- **in the results folder**: :func:`save_artifacts` writes each sample's artefacts after its batch is scored
  (so an interrupted run keeps those of its flushed rows) to ``<out>/artifacts/<metric label>/<sample id>.npz``
  (both names percent-encoded; a name longer than 150 characters is replaced by its sha256).
  :func:`load_artifacts` reads them back for a report.

The ``.npz`` file holds each artefact under its name (float32) and three strings: ``__metric__`` (the metric
label), ``__sample_id__`` and ``__config_hash__``, the run configuration that wrote it. :func:`load_artifacts`
returns a file's artefacts only when that configuration is the one the folder's ``run.json`` records, so a file
left behind by an earlier run of another configuration in the same folder is never shown as this run's. Files
are read with ``allow_pickle=False``: an artefact file cannot run code.

>>> import tempfile
>>> score = ArtifactScore(values={"f0_mean_hz": 120.0}, artifacts={"f0_hz": (118.5, float("nan"), 121.0)})
>>> folder = Path(tempfile.mkdtemp())
>>> paths = save_artifacts(folder, "speech_prosody_descriptors", ["a/1"], [score], config_hash="c0ffee")
>>> paths[0].relative_to(folder).as_posix()
'artifacts/speech_prosody_descriptors/a%2F1.npz'
>>> load_artifacts(folder, "speech_prosody_descriptors", "a/1", config_hash="c0ffee")["f0_hz"].tolist()
[118.5, nan, 121.0]
>>> load_artifacts(folder, "speech_prosody_descriptors", "a/1", config_hash="another run") is None
True
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emoeval.atomic import atomic_write
from emoeval.metric import SampleScore

if TYPE_CHECKING:
    import numpy as np

#: folder of the artefacts inside a results folder
ARTIFACTS_DIR = "artifacts"
#: most points one artefact series may hold (a longer one is refused where it is made, and skipped when read
#: from a cache record)
MAX_POINTS = 10_000
#: file names longer than this (after percent-encoding) are replaced by their sha256
_MAX_NAME = 150
_META = ("__metric__", "__sample_id__", "__config_hash__")

Artifacts = Mapping[str, tuple[float, ...]]


@dataclass(frozen=True, slots=True)
class ArtifactScore(SampleScore):
    """A verdict with artefacts: named series of floats (tuples, so verdicts still compare with ``==``).

    Build it with numbers of any float type; they are stored as a tuple of Python floats per name.
    """

    artifacts: Artifacts = field(default_factory=dict)

    def __post_init__(self) -> None:
        checked = {}
        for name, series in self.artifacts.items():
            if not isinstance(name, str) or not name or name in _META:
                raise ValueError(f"an artefact needs a non-empty name other than {', '.join(_META)}; got {name!r}")
            values = tuple(float(value) for value in series)
            if len(values) > MAX_POINTS:
                raise ValueError(
                    f"artefact {name!r} has {len(values)} points; at most {MAX_POINTS} allowed (thin it: artefacts "
                    "are plot data, not features)"
                )
            checked[name] = values
        object.__setattr__(self, "artifacts", checked)


def f0_contour_artifacts(part: str, times_s: Sequence[float], f0_hz: Sequence[float]) -> dict[str, Sequence[float]]:
    """The artefacts of one F0 contour, as the report's prosody section reads them: ``<part>_time_s`` (frame
    times, seconds from the start of the recording) and ``<part>_f0_hz`` (NaN where unvoiced); ``part`` is the
    sample part analysed (``output``, ``reference``).

    >>> sorted(f0_contour_artifacts("output", [0.0, 0.01], [100.0, float("nan")]))
    ['output_f0_hz', 'output_time_s']
    """
    if len(times_s) != len(f0_hz):
        raise ValueError(f"an F0 contour needs one time per value: {len(times_s)} times, {len(f0_hz)} values")
    return {f"{part}_time_s": times_s, f"{part}_f0_hz": f0_hz}


def f0_contour_from(artifacts: Mapping[str, Any], part: str) -> tuple[np.ndarray, np.ndarray] | None:
    """``(times_s, f0_hz)`` of the F0 contour of ``part`` among loaded artefacts (:func:`load_artifacts`), or None
    when they hold none (or a malformed one)."""
    import numpy as np

    times, f0 = artifacts.get(f"{part}_time_s"), artifacts.get(f"{part}_f0_hz")
    if times is None or f0 is None:
        return None
    times, f0 = np.asarray(times, dtype=np.float64).ravel(), np.asarray(f0, dtype=np.float64).ravel()
    if times.size == 0 or times.size != f0.size:
        return None
    return times, f0


def artifacts_of(score: SampleScore) -> Artifacts:
    """The artefacts of a verdict (empty for a plain :class:`SampleScore`)."""
    return getattr(score, "artifacts", None) or {}


# -- the verdict cache ---------------------------------------------------------------------------------------------


def artifacts_record(score: SampleScore) -> dict[str, Any]:
    """The part of a cached verdict's record that holds its artefacts: ``{"artifacts": {name: [float | None]}}``
    (NaN as None, so the record is plain JSON), or ``{}`` for a verdict without any."""
    found = artifacts_of(score)
    if not found:
        return {}
    return {"artifacts": {name: [None if math.isnan(v) else v for v in series] for name, series in found.items()}}


def restore_artifacts(score: SampleScore, record: Mapping[str, Any]) -> SampleScore:
    """``score`` (read from ``record``) with the artefacts the record holds; ``score`` itself when it holds none
    or they are not well formed (the verdict's values stand; only the plot data are lost)."""
    stored = record.get("artifacts")
    if not stored or not isinstance(stored, dict):
        return score
    series: dict[str, tuple[float, ...]] = {}
    for name, values in stored.items():
        if not isinstance(name, str) or not isinstance(values, list) or len(values) > MAX_POINTS:
            return score
        if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            return score
        series[name] = tuple(math.nan if v is None else float(v) for v in values)
    try:
        return ArtifactScore(
            values=score.values, error=score.error, warning=score.warning, label=score.label, artifacts=series
        )
    except ValueError:
        return score


# -- the results folder --------------------------------------------------------------------------------------------


def _file_name(name: str) -> str:
    encoded = quote(name, safe="")
    if len(encoded) > _MAX_NAME or encoded in ("", ".", ".."):
        return hashlib.sha256(name.encode("utf-8")).hexdigest()
    return encoded


def artifact_path(out_dir: str | Path, metric_label: str, sample_id: str) -> Path:
    """``<out_dir>/artifacts/<metric label>/<sample id>.npz`` (percent-encoded names; see the module docstring)."""
    return Path(out_dir) / ARTIFACTS_DIR / _file_name(metric_label) / f"{_file_name(sample_id)}.npz"


def save_artifacts(
    out_dir: str | Path,
    metric_label: str,
    sample_ids: Sequence[str],
    scores: Sequence[SampleScore],
    *,
    config_hash: str,
) -> list[Path]:
    """Write the artefacts of each verdict that has some (the runner calls this once per scored batch); return
    the files written. Each file is written to a temporary name and renamed: a reader never sees half of one."""
    import numpy as np

    if len(sample_ids) != len(scores):
        raise ValueError(f"{len(sample_ids)} sample ids but {len(scores)} verdicts")
    written = []
    for sample_id, score in zip(sample_ids, scores, strict=True):
        found = artifacts_of(score)
        if not found or score.error is not None:
            continue
        path = artifact_path(out_dir, metric_label, sample_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {name: np.asarray(series, dtype=np.float32) for name, series in found.items()}
        arrays.update(
            __metric__=np.array(metric_label), __sample_id__=np.array(sample_id), __config_hash__=np.array(config_hash)
        )
        atomic_write(path, lambda out, arrays=arrays: np.savez_compressed(out, **arrays))  # type: ignore[misc]
        written.append(path)
    return written


def load_artifacts(
    results_dir: str | Path, metric_label: str, sample_id: str, *, config_hash: str | None
) -> dict[str, np.ndarray] | None:
    """The artefacts a run saved for one sample and metric, as float arrays by name; None when there is no file,
    it cannot be read, or it was written by another configuration than ``config_hash`` (the ``config_hash`` of
    the folder's ``run.json``; None accepts none)."""
    import numpy as np

    path = artifact_path(results_dir, metric_label, sample_id)
    if config_hash is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = {key: str(data[key]) for key in _META if key in data.files}
            if meta.get("__config_hash__") != config_hash or meta.get("__sample_id__") != sample_id:
                return None
            return {key: np.asarray(data[key], dtype=np.float64) for key in data.files if key not in _META}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


__all__ = [
    "ARTIFACTS_DIR",
    "MAX_POINTS",
    "ArtifactScore",
    "Artifacts",
    "artifact_path",
    "artifacts_of",
    "artifacts_record",
    "f0_contour_artifacts",
    "f0_contour_from",
    "load_artifacts",
    "restore_artifacts",
    "save_artifacts",
]
