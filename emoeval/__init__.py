"""emoeval: evaluation of emotion-synthesis generators (faces, emotional speech, empathetic dialogue).

``import emoeval`` is light: it imports no torch and no model. The public names below load on first use.

>>> import emoeval
>>> callable(emoeval.score)
True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from emoeval.version import __version__

if TYPE_CHECKING:
    from emoeval.api import score
    from emoeval.labels import normalize_label
    from emoeval.metric import CorpusMetric, MetricSpec, Output, SampleMetric, SampleScore
    from emoeval.metrics.augmentation.run import augment
    from emoeval.reports.html import report
    from emoeval.results import Results, load_results
    from emoeval.samples import Sample, load_samples, read_manifest

_LAZY: dict[str, str] = {
    "score": "emoeval.api",
    "augment": "emoeval.metrics.augmentation.run",
    "load_results": "emoeval.results",
    "report": "emoeval.reports.html",
    "Results": "emoeval.results",
    "Sample": "emoeval.samples",
    "load_samples": "emoeval.samples",
    "read_manifest": "emoeval.samples",
    "normalize_label": "emoeval.labels",
    "MetricSpec": "emoeval.metric",
    "Output": "emoeval.metric",
    "SampleMetric": "emoeval.metric",
    "CorpusMetric": "emoeval.metric",
    "SampleScore": "emoeval.metric",
}

__all__ = [
    "CorpusMetric",
    "MetricSpec",
    "Output",
    "Results",
    "Sample",
    "SampleMetric",
    "SampleScore",
    "__version__",
    "augment",
    "load_results",
    "load_samples",
    "normalize_label",
    "read_manifest",
    "report",
    "score",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emoeval' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
