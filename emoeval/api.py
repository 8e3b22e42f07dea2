"""The public Python API: score samples with metrics, read results back."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import RunConfigError

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.metric import Metric
    from emoeval.reference_models.base import ModelPool
    from emoeval.results import Results
    from emoeval.runner.backends import Backend
    from emoeval.samples import Sample


_log = logging.getLogger(__name__)


def resolve_metrics(
    names: Sequence[str | Metric] | None,
    samples: Sequence[Sample],
    *,
    real: str | Path | None = None,
    real_system: str | None = None,
    emotion_reference: str | Path | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Metric]:
    """Metric instances from labels (``name`` or ``name(k=v, ...)``, see :mod:`emoeval.metric_config`) or
    instances; ``None`` means every registered metric whose modality occurs in ``samples``. A *family* name
    (``failure_signatures``: :attr:`~emoeval.metric.Metric.family`) stands for its members whose modality occurs
    in ``samples``; a member that needs a setting the run lacks (``real``, ``emotion_reference``) is left out.

    ``real`` / ``real_system`` (a reference set of real outputs) go to every named metric that takes them
    (FID-style metrics), ``emotion_reference`` (labelled real emotional recordings) to the emotion metrics;
    ``params`` gives parameters per metric name, used where a label gives none of its own. In the default
    selection, a metric that cannot run without such settings is left out with a log message instead of failing
    the run.
    """
    from emoeval.errors import RunConfigError
    from emoeval.metric_config import build_metric, resolve_metric_list
    from emoeval.registry import get_metric_class, metric_names
    from emoeval.samples import MULTIMODAL, has_bundles

    settings = {"real": real, "real_system": real_system, "emotion_reference": emotion_reference}
    modalities = {sample.modality for sample in samples}
    if has_bundles(samples):  # bundle metrics (spec.modality "multimodal") apply when bundles can be made
        modalities.add(MULTIMODAL)

    def members(wanted: Callable[[type[Metric]], bool], why: str) -> list[Metric]:
        """The registered metrics ``wanted`` picks that read the samples' modalities; one that cannot run without
        a setting the run lacks (a reference set, an emotion reference) is left out with a log message."""
        found: list[Metric] = []
        for name in metric_names():
            metric_class = get_metric_class(name)
            if metric_class.spec.modality not in modalities or not wanted(metric_class):
                continue
            try:
                found.append(build_metric(name, defaults=(params or {}).get(name), settings=settings))
            except RunConfigError as exc:
                _log.info("not running %s %s: %s", name, why, exc)
        return found

    if names is None:
        return members(lambda metric_class: metric_class.run_by_default, "by default")
    known = set(metric_names())
    families: set[str | None] | None = None  # read (importing every metric class) only for a name no metric has
    metrics: list[Metric] = []
    for item in names:
        if isinstance(item, str) and item not in known and "(" not in item and families is None:
            families = {get_metric_class(name).family for name in known} - {None}
        if isinstance(item, str) and families is not None and item in families:
            # a family (e.g. failure_signatures): its members for the samples' modalities
            metrics += members(lambda metric_class, family=item: metric_class.family == family, f"in {item}")
        else:
            metrics += resolve_metric_list([item], params=params, settings=settings)
    return metrics


def score(
    samples: str | Path | pd.DataFrame | Sequence[Sample],
    metrics: Sequence[str | Metric] | None = None,
    out: str | Path | None = None,
    *,
    label_set: str | None = None,
    real: str | Path | None = None,
    real_system: str | None = None,
    emotion_reference: str | Path | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    weights: Mapping[str, str | Path] | None = None,
    models_dir: str | Path | None = None,
    allow_network: bool | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    resume: bool = True,
    overwrite: bool = False,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: bool | None = None,
    model_pool: ModelPool | None = None,
    backend: str | Backend | None = None,
    address: str | None = None,
    num_workers: int | None = None,
    worker_cache: str | None = None,
) -> Results:
    """Score generated outputs with metrics and return (and, with ``out``, write) a results table.

    Args:
        samples: a manifest (CSV/JSONL/Parquet), a ``<system>/<emotion>/<file>`` folder, a DataFrame with the
            manifest columns, or a list of :class:`~emoeval.samples.Sample`.
        metrics: metric names or labels with parameters (``"face_fd(embedder=dlib-face-identity)"``, see
            ``emoeval metrics``) or metric instances; ``None`` runs every registered metric that applies to the
            samples' modalities. An old name works for one release, with a warning.
        out: folder for ``results.parquet``, ``results.csv`` and ``run.json``; partial rows are flushed there
            so an interrupted run resumes (``resume=True``) instead of starting over.
        label_set: the dataset whose emotion codes ``target_emotion`` uses (``emodb``, ``iemocap``...).
        real / real_system: the reference set of real outputs for distribution metrics (FID, KID...): a folder
            or manifest, or the name of a system of this run; passed to every metric that takes it.
        emotion_reference: a labelled set of real emotional recordings (a table with a file and an emotion column,
            optionally a speaker column, or a ``<emotion>/`` folder) on which the emotion metrics' probe is
            fitted before scoring (or found in the cache), or the folder of a probe fitted earlier.
        params: parameters per metric name (``{"face_emotion_accuracy": {"recognizer": "deepface-emotion"}}``),
            used for metrics named without parameters of their own (the ``[params.<metric>]`` tables of a config
            file, :func:`emoeval.metric_config.load_config`).
        weights: explicit weight locations by model name (a file or a folder), checked by sha256.
        models_dir: where the weight store looks and downloads (default ``$EMOEVAL_MODELS_DIR``).
        allow_network: allow downloading missing weights (default: ``EMOEVAL_OFFLINE=0`` in the environment).
        cache_dir / use_cache: the on-disk cache of model outputs (default ``$EMOEVAL_CACHE_DIR``).
        n_bootstrap, confidence, seed: system-level bootstrap confidence intervals.
        progress: show progress bars (default: when standard error is a terminal).
        model_pool: reuse models already loaded by an earlier call in this process.
        backend: where the model work runs: ``"local"`` (default, this process) or ``"ray"`` (Ray actors, each
            holding its models once; ``pip install 'emoeval[ray]'``), or a backend object
            (:class:`emoeval.runner.ray_backend.RayBackend` takes more options). Both write the same table.
        address / num_workers / worker_cache: the Ray backend's cluster address (default: ``RAY_ADDRESS``, else a
            new local instance), number of actors (default: one per CPU) and the workers' output cache
            (``shared``: ``cache_dir``, on shared storage for a cluster; ``worker``: each worker's own; ``off``).
    """
    from emoeval.cache import OutputCache, default_cache_dir
    from emoeval.runner import Runner
    from emoeval.runner.backends import backend_from
    from emoeval.samples import load_samples
    from emoeval.stats.aggregate import BootstrapSettings

    if not 0 < confidence < 1:
        raise RunConfigError(f"confidence must be between 0 and 1, got {confidence}")
    chosen_backend = backend_from(backend, address=address, num_workers=num_workers, worker_cache=worker_cache)
    model_pool = build_model_pool(model_pool, weights=weights, models_dir=models_dir, allow_network=allow_network)
    sample_list = load_samples(samples, label_set=label_set)
    metric_list = resolve_metrics(
        metrics, sample_list, real=real, real_system=real_system, emotion_reference=emotion_reference, params=params
    )
    cache = OutputCache(Path(cache_dir) if cache_dir is not None else default_cache_dir()) if use_cache else None
    from emoeval.reference_models.emotion_probe import attach_emotion_probes

    attach_emotion_probes(
        metric_list, model_pool, cache, out=Path(out) if out is not None else None, label_set=label_set
    )
    runner = Runner(
        sample_list,
        metric_list,
        pool=model_pool,
        cache=cache,
        out=Path(out) if out is not None else None,
        bootstrap=BootstrapSettings(n_resamples=n_bootstrap, confidence=confidence, seed=seed),
        resume=resume,
        overwrite=overwrite,
        progress=sys.stderr.isatty() if progress is None else progress,
        source=str(Path(samples).resolve()) if isinstance(samples, str | Path) else type(samples).__name__,
        backend=chosen_backend,
    )
    return runner.run()


def build_model_pool(
    model_pool: ModelPool | None,
    *,
    weights: Mapping[str, str | Path] | None,
    models_dir: str | Path | None,
    allow_network: bool | None,
) -> ModelPool:
    """The given pool, or a new one on a weight store with these settings; an offline run switches the libraries'
    phone-home paths off first, before any of them is imported."""
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore, default_models_dir, network_allowed_by_env

    allow_network = network_allowed_by_env() if allow_network is None else allow_network
    if not (model_pool.store.allow_network if model_pool is not None else allow_network):
        from emoeval.offline import apply_offline_environment

        apply_offline_environment()
    if model_pool is not None:
        return model_pool
    store = WeightStore(
        models_dir=Path(models_dir) if models_dir is not None else default_models_dir(),
        allow_network=allow_network,
        explicit={name: Path(path) for name, path in (weights or {}).items()},
    )
    return ModelPool(store)
