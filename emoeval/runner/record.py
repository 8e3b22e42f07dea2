"""The run's record, ``run.json``: inputs, configuration, plan, models with their weight hashes, environment."""

from __future__ import annotations

import platform
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emoeval.errors import EmoevalError
from emoeval.metric import jsonable_params
from emoeval.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.cache import OutputCache
    from emoeval.metric import Metric
    from emoeval.reference_models.base import ModelPool
    from emoeval.runner.plan import PlanEntry
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: packages whose versions a run records (those installed)
RECORDED_PACKAGES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "torch",
    "opencv-python-headless",
    "dlib-bin",
    "resemblyzer",
    "librosa",
    "soundfile",
    "soxr",
    "faster-whisper",
    "ctranslate2",
    "jiwer",
    "speechbrain",
    "deepface",
    "torchmetrics",
    "scikit-learn",
    "speechmos",
    "onnxruntime",
    "pesq",
    "pystoi",
    "pyworld",
    "transformers",
    "sentence-transformers",
    "sacrebleu",
    "rouge-score",
    "nrclex",
    "vaderSentiment",
)


def metric_record(metric: Metric) -> dict[str, Any]:
    """A metric as run.json records it: label, name, version, parameters, headline and outputs (direction and
    range), so reports and statistics of these results never consult today's registry."""
    spec = metric.spec
    return {
        "label": metric.label,
        "name": spec.name,
        "version": spec.version,
        "params": jsonable_params(metric.params()),
        "models": list(metric.models),
        "scope": spec.scope,
        "modality": spec.modality,
        "headline": spec.headline.name,
        "outputs": [
            {
                "name": output.name,
                "higher_is_better": output.higher_is_better,
                "range": list(output.range),
                "scope": output.scope,
            }
            for output in spec.outputs
        ],
    }


def models_record(pool: ModelPool, loaded_elsewhere: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every model the run used (resolved or loaded): version, weights' sha256, fingerprint, files, loaded or not
    (in this process or, ``loaded_elsewhere``, by a backend's workers)."""
    models = []
    loaded = set(pool.loaded()) | set(loaded_elsewhere)
    for name in pool.used():
        try:
            card, weights = pool.resolve(name)
            fingerprint = pool.fingerprint(name)
            digest = pool.weights_sha256(name)
        except EmoevalError:
            continue
        models.append(
            {
                "name": name,
                "version": card.version,
                "weights_sha256": digest,
                "fingerprint": fingerprint,
                "license": card.license,
                "loaded": name in loaded,
                "files": [
                    {"filename": f, "sha256": w.sha256, "source": w.source, "path": str(w.path)}
                    for f, w in sorted(weights.items())
                ],
            }
        )
    return models


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the recorded packages that are installed."""
    from importlib import metadata

    packages = {}
    for name in RECORDED_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": packages}


def run_record(
    *,
    run_id: str,
    created_at: str,
    seconds: float,
    config_hash: str,
    metrics: Sequence[Metric],
    bootstrap: BootstrapSettings,
    source: str,
    samples: Sequence[Sample],
    entries: Sequence[PlanEntry],
    pool: ModelPool,
    table: pd.DataFrame,
    cache: OutputCache | None,
    backend: dict[str, Any] | None = None,
    pruned: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``run.json`` for a finished run; ``backend`` is the backend session's record (which backend
    and workers did the model work) — the one part of the record that differs between backends."""
    systems = Counter(sample.system for sample in samples)
    return {
        "run_id": run_id,
        "status": "complete",
        "created_at": created_at,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(seconds, 3),
        "emoeval_version": __version__,
        "config_hash": config_hash,
        "config": {
            "metrics": [metric_record(m) for m in metrics],
            "bootstrap": {
                "n_resamples": bootstrap.n_resamples,
                "confidence": bootstrap.confidence,
                "seed": bootstrap.seed,
            },
        },
        "inputs": {
            "source": source,
            "n_samples": len(samples),
            "systems": dict(sorted(systems.items())),
            "modalities": dict(sorted(Counter(s.modality for s in samples).items())),
        },
        "plan": [
            {
                "metric": e.metric.label,
                "samples": e.n_samples,
                "systems": list(e.by_system),
                "skipped": e.skipped,
            }
            for e in entries
        ],
        "models": models_record(pool, (backend or {}).get("loaded_models", ())),
        "counts": {"rows": len(table), "errors": int(table["error"].notna().sum())},
        "cache": None
        if cache is None
        else {
            "dir": str(cache.root),
            "hits": cache.hits,
            "misses": cache.misses,
            "score_hits": cache.record_hits,
            "score_misses": cache.record_misses,
            "damaged": cache.damaged,
            "pruned": pruned,
        },
        "backend": backend or {"name": "local"},
        "environment": environment(),
    }


__all__ = ["RECORDED_PACKAGES", "environment", "metric_record", "models_record", "run_record"]
