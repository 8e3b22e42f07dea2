"""Cache keys and the run's config hash: everything that decides a number, and nothing that needs a model loaded.

- :func:`metric_key`: a metric's name, version, the sha256 of its implementation source, **every** parameter
  (whatever its kind), the fingerprints of the reference models it uses (card, weight hashes, settings; from
  :meth:`~emoeval.reference_models.base.ModelPool.fingerprint`, which loads nothing) and emoeval's version.
- :func:`sample_score_key`: the metric key and everything of a sample a metric may read — each part by its
  media type's content hash (a file by its bytes *and* its path, since a warning may name the path), the
  fields and the meta columns. The system and sample id do not enter: an identical sample of another system
  reuses the verdict.
- :func:`config_hash`: the samples, the metrics (labels, versions, parameters) and the interval settings — the
  identity of a run, used to resume it and to refuse mixing it with another.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError
from emoeval.metric import Metric, SampleScore, jsonable_params
from emoeval.version import __version__

if TYPE_CHECKING:
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import MediaTypes, Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: bump when the layout of cached sample verdicts changes (old records are then simply not found)
SCORE_RECORD_FORMAT = 3


def _sha256(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def config_hash(samples: Sequence[Sample], metrics: Sequence[Metric], bootstrap: BootstrapSettings) -> str:
    """sha256 of everything that decides the numbers: samples, metrics with versions and parameters, settings."""
    payload = {
        "emoeval_version": __version__,
        "metrics": [
            {"name": m.label, "version": m.spec.version, "params": jsonable_params(m.params())} for m in metrics
        ],
        "samples": [sample.to_record() for sample in samples],
        "bootstrap": [bootstrap.n_resamples, bootstrap.confidence, bootstrap.seed],
    }
    return _sha256(payload)


def metric_key(metric: Metric, pool: ModelPool) -> str:
    """What a sample metric's verdict depends on besides the sample (see the module docstring); loads no model."""
    return _sha256(
        {
            "metric": metric.spec.name,
            "version": metric.spec.version,
            "implementation": metric.implementation_hash(),
            "params": jsonable_params(metric.params()),
            "models": {name: pool.fingerprint(name) for name in metric.models},
            "emoeval": __version__,
        }
    )


def sample_score_key(metric_key: str, sample: Sample, media: MediaTypes | None = None) -> str | None:
    """Cache key of one sample's verdict: the metric key and everything of the sample a metric may read.

    A part that cannot be read (a missing file, a FIFO...) gives None: no caching, and the metric reports the
    problem. ``media`` looks up media types once per run (default: a fresh lookup).
    """
    from emoeval.samples import MediaTypes

    media = media if media is not None else MediaTypes()
    parts: dict[str, Any] = {}
    for name, part in sorted(sample.parts.items()):
        try:
            digest = media.get(part.media, f"sample {sample.sample_id!r}").content_hash(part.value)
        except (SampleInputError, OSError):
            return None
        value = list(part.value) if isinstance(part.value, tuple) else str(part.value)
        parts[name] = [part.media, value if not isinstance(part.value, str) else None, digest]
    payload = {
        "metric": metric_key,
        "modality": sample.modality,
        "parts": parts,
        "target_emotion": sample.target_emotion,
        "intensity": sample.intensity,
        "group": sample.group,
        "meta": {name: value for name, value in sorted(sample.meta.items())},
    }
    return _sha256(payload)


def score_to_record(score: SampleScore) -> dict[str, Any]:
    """A verdict as a cache record (values as pairs: the metric's output order survives the JSON round trip;
    its artefacts, if any, as lists: :func:`emoeval.artifacts.artifacts_record`)."""
    from emoeval.artifacts import artifacts_record

    record = {"values": list(score.values.items()), "warning": score.warning, "label": score.label}
    return {**record, **artifacts_record(score)}


def score_from_record(record: dict[str, Any], metric: Metric) -> SampleScore | None:
    """A cached verdict, or None (recomputed) for a record that is not one this metric could have written:
    another layout, an output the metric does not declare, or a value outside the output's declared range
    (the cache's checksum catches accidental damage; this catches a record edited to pass it)."""
    try:
        values = {str(name): float(value) for name, value in record["values"]}
        warning, label = record.get("warning"), record.get("label")
    except (KeyError, TypeError, ValueError):
        return None
    if not all(item is None or isinstance(item, str) for item in (warning, label)):
        return None
    declared = {output.name: output for output in metric.spec.outputs}
    for name, value in values.items():
        output = declared.get(name)
        if output is None or output.scope != "sample":
            return None
        low, high = output.range
        if not math.isnan(value) and not (low <= value <= high):
            return None
    from emoeval.artifacts import restore_artifacts

    return restore_artifacts(SampleScore(values=values, warning=warning, label=label), record)


__all__ = [
    "SCORE_RECORD_FORMAT",
    "config_hash",
    "metric_key",
    "sample_score_key",
    "score_from_record",
    "score_to_record",
]
