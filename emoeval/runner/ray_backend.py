"""The Ray backend: a run's model work on a pool of Ray actors, each holding its models once.

Why actors and not Ray Data: emoeval's unit of work is one (metric, batch) call whose scores or states must come
back *in order* to the driver, which alone owns the score cache, the flushed rows, resuming and the bootstrap.
An actor per worker keeps the loaded models between batches; :class:`ray.util.ActorPool` hands each idle actor
the next batch and yields results in submission order. Ray Data's ``map_batches`` would add a conversion of
arbitrary Python objects (scores, feature states, per-sample errors) to Arrow blocks and its own retry and
ordering semantics, for no gain here.

What runs where:

- **driver** (the process calling :func:`emoeval.score`): plan, score-cache lookups (only missing verdicts are
  sent out), corpus metrics' :meth:`~emoeval.metric.CorpusMetric.setup` (e.g. the real set's features), rows,
  intervals (bootstrap on the merged per-sample states), the results folder. So a Ray run writes the same table
  as a local one.
- **workers** (one actor each, ``num_cpus=cpus_per_worker``): :func:`~emoeval.runner.backends.score_batch` and
  :func:`~emoeval.runner.backends.state_batch` with their own :class:`~emoeval.reference_models.base.ModelPool`
  on the driver's weight store settings, and the output cache ``worker_cache`` says: ``shared`` (the driver's
  cache folder — on a cluster, a path on shared storage), ``worker`` (each worker's own default cache folder) or
  ``off``.
- **faults**: an actor whose process dies is restarted (its models load again) and its unfinished batches are
  retried, up to ``max_restarts`` times; the driver writes rows only for batches that came back, so the results
  folder never holds a sample twice. If the cluster itself goes away the run stops; the same command resumes it.

Sample files, weight files and emotion-reference probes are read by the workers at the paths the driver sees:
on a cluster they must live on storage every node mounts at the same path. Plug-in metrics and models must be
importable on the workers (installed there, or through ``runtime_env``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from emoeval.errors import EmoevalError, MissingDependencyError, RunConfigError
from emoeval.runner.backends import States, score_batch, state_batch

if TYPE_CHECKING:
    from emoeval.cache import OutputCache
    from emoeval.metric import CorpusMetric, SampleMetric, SampleScore
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore
    from emoeval.samples import Sample

WorkerCache = Literal["shared", "worker", "off"]
WORKER_CACHES: tuple[str, ...] = ("shared", "worker", "off")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "the ray backend needs Ray: pip install 'emoeval[ray]' (or run with the default backend, local)"
        ) from None
    return ray


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory (VmHWM, Linux) in MB — what sizing a worker for its models needs."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class EmoevalWorker:
    """One Ray actor: a model pool and a scoring context that live as long as the run's session."""

    def __init__(self, store: WeightStore, cache_dir: str | None, cache: WorkerCache) -> None:
        if not store.allow_network:  # before any model library is imported in this process
            from emoeval.offline import apply_offline_environment

            apply_offline_environment()
        from emoeval.cache import OutputCache, default_cache_dir
        from emoeval.context import ScoringContext
        from emoeval.reference_models.base import ModelPool

        output_cache = None
        if cache == "shared" and cache_dir is not None:
            output_cache = OutputCache(Path(cache_dir))
        elif cache == "worker":
            output_cache = OutputCache(default_cache_dir())
        self.context = ScoringContext(ModelPool(store), output_cache)

    def scores(self, metric: SampleMetric, batch: Sequence[Sample]) -> list[SampleScore]:
        return score_batch(metric, batch, self.context)

    def states(self, metric: CorpusMetric, batch: Sequence[Sample]) -> States:
        return state_batch(metric, batch, self.context)

    def record(self) -> dict[str, Any]:
        """The models this worker loaded, its peak memory and its cache counts (for run.json)."""
        cache = self.context.cache
        return {
            "loaded_models": sorted(self.context.pool.loaded()),
            "peak_rss_mb": _peak_rss_mb(),
            "cache": None
            if cache is None
            else {"dir": str(cache.root), "hits": cache.hits, "misses": cache.misses, "damaged": cache.damaged},
        }


class RaySession:
    """The actors of one run. Connects to (or starts) Ray, creates the actors, removes them on :meth:`close`."""

    def __init__(self, backend: RayBackend, pool: ModelPool, cache: OutputCache | None) -> None:
        ray = _import_ray()
        from ray.util import ActorPool

        self._ray = ray
        self._started_ray = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=backend.address,
                    include_dashboard=False,
                    runtime_env=backend.runtime_env,
                    logging_level="WARNING",
                )
            except ConnectionError as exc:
                raise RunConfigError(
                    f"cannot reach the Ray cluster at {_address_source(backend.address)} ({exc}); start it "
                    "(`ray start --head`, KubeRay, `ray up`) or leave --address out (and RAY_ADDRESS unset) to start "
                    "a local one"
                ) from None
            self._started_ray = True
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        workers = backend.num_workers or max(1, int(cpus // backend.cpus_per_worker))
        remote = ray.remote(
            num_cpus=backend.cpus_per_worker,
            max_restarts=backend.max_restarts,
            max_task_retries=backend.max_restarts,
        )(EmoevalWorker)
        cache_dir = str(cache.root) if cache is not None else None
        worker_cache: WorkerCache = backend.worker_cache if cache is not None else "off"
        self.actors = [remote.remote(pool.store, cache_dir, worker_cache) for _ in range(workers)]
        self._pool = ActorPool(list(self.actors))
        self.window = 2 * workers  # one batch running and one waiting per actor
        self._address = backend.address
        self._max_restarts = backend.max_restarts
        self._worker_cache = worker_cache
        self._driver_pool = pool

    def _ordered(self, method: str, metric: Any, batches: Sequence[Sequence[Sample]]) -> Iterator[Any]:
        ray = self._ray
        metric_ref = ray.put(metric)  # sent once per call, not once per batch
        results = self._pool.map(lambda actor, batch: getattr(actor, method).remote(metric_ref, batch), batches)
        try:
            yield from results
        except ray.exceptions.RayTaskError as exc:  # the worker's own exception (a missing weight file...)
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else None
            if isinstance(cause, EmoevalError):
                raise cause from None
            raise
        except ray.exceptions.RayActorError as exc:
            raise EmoevalError(
                f"a Ray worker died more than {self._max_restarts} times ({exc}); the rows scored so far are "
                "kept in --out: run the same command again to resume"
            ) from None

    def scores(self, metric: SampleMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[list[SampleScore]]:
        return self._ordered("scores", metric, batches)

    def states(self, metric: CorpusMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[States]:
        return self._ordered("states", metric, batches)

    def record(self) -> dict[str, Any]:
        ray = self._ray
        workers = ray.get([actor.record.remote() for actor in self.actors])
        loaded = set(self._driver_pool.loaded())
        for worker in workers:
            loaded.update(worker["loaded_models"])
        return {
            "name": "ray",
            "workers": len(self.actors),
            "address": self._address,
            "worker_cache": self._worker_cache,
            "loaded_models": sorted(loaded),
            "worker_caches": [worker["cache"] for worker in workers],
            "worker_peak_rss_mb": [worker["peak_rss_mb"] for worker in workers],
        }

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor)
        self.actors = []
        if self._started_ray:
            self._ray.shutdown()


def _address_source(address: str | None) -> str:
    """Where the cluster address came from, for an error message: the option, or the ``RAY_ADDRESS`` variable."""
    import os

    if address is not None:
        return repr(address)
    return f"RAY_ADDRESS={os.environ.get('RAY_ADDRESS', '')!r} (from the environment)"


class RayBackend:
    """Run the model work on Ray actors (``pip install 'emoeval[ray]'``).

    Args:
        address: the cluster to join (``ray://host:10001``, ``auto``, or None: the ``RAY_ADDRESS`` environment
            variable, else a new local Ray instance). When this process already called ``ray.init``, that
            connection is used as it is.
        num_workers: actors to start (default: the cluster's CPUs divided by ``cpus_per_worker``).
        cpus_per_worker: CPUs Ray reserves for each actor (its models' thread count follows it).
        worker_cache: ``shared`` (the run's cache folder, on shared storage for a cluster), ``worker`` (each
            worker's own default folder) or ``off``.
        max_restarts: how often a dead actor is restarted and its unfinished batches retried.
        runtime_env: Ray's runtime environment for a Ray instance this backend starts (e.g. ``PYTHONPATH`` of
            plug-ins).
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        num_workers: int | None = None,
        cpus_per_worker: float = 1.0,
        worker_cache: str = "shared",
        max_restarts: int = 3,
        runtime_env: dict[str, Any] | None = None,
    ) -> None:
        if worker_cache not in WORKER_CACHES:
            raise RunConfigError(f"worker_cache must be one of {', '.join(WORKER_CACHES)}, got {worker_cache!r}")
        if num_workers is not None and num_workers < 1:
            raise RunConfigError(f"num_workers must be at least 1, got {num_workers}")
        if cpus_per_worker <= 0:
            raise RunConfigError(f"cpus_per_worker must be positive, got {cpus_per_worker}")
        self.address = address
        self.num_workers = num_workers
        self.cpus_per_worker = cpus_per_worker
        self.worker_cache: WorkerCache = worker_cache  # type: ignore[assignment]
        self.max_restarts = max_restarts
        self.runtime_env = runtime_env

    def session(self, pool: ModelPool, cache: OutputCache | None) -> RaySession:
        return RaySession(self, pool, cache)


__all__ = ["WORKER_CACHES", "EmoevalWorker", "RayBackend", "RaySession"]
