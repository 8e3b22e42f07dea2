"""Where the model work of a run happens: in this process (``local``) or on Ray actors (``ray``).

The runner keeps everything that decides *what* a run writes — the plan, the score cache, resuming, the rows,
bootstrap intervals, the results folder — and hands a backend only the model work: a sample metric's scores of
one batch, a corpus metric's per-sample states of one batch. Both backends call the same two functions,
:func:`score_batch` and :func:`state_batch`, and give their results back in the order the batches were given,
so the results table does not depend on the backend (tests/integration/test_ray_backend.py checks it).

A backend opens a :class:`Session` for one run (``with backend.session(pool, cache) as session``); the session's
:meth:`~Session.record` goes to ``run.json`` under ``backend``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from emoeval.errors import MissingDependencyError, RunConfigError, SampleInputError, WeightError
from emoeval.metric import CorpusMetric, Metric, SampleMetric, SampleScore

if TYPE_CHECKING:
    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import Sample

#: a batch's corpus states: one state, or the reason the sample has none, per sample
States = list[Any]


def score_batch(metric: SampleMetric, batch: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
    """The metric's scores of ``batch``; if the batch call itself fails, score one by one so only the culprit fails.

    Missing weights or packages are not a sample's fault: they stop the run with their own message.
    """
    try:
        scores: list[SampleScore] | None = metric.score(batch, context)
    except (WeightError, MissingDependencyError):
        raise
    except Exception:
        scores = None
    if scores is not None and len(scores) == len(batch):
        return scores
    isolated = []
    for sample in batch:
        try:
            isolated.extend(metric.score([sample], context))
        except (WeightError, MissingDependencyError):
            raise
        except Exception as exc:
            isolated.append(
                SampleScore.failed(f"{metric.spec.name} failed on {sample.sample_id}: {type(exc).__name__}: {exc}")
            )
    return isolated


def state_batch(metric: CorpusMetric, batch: Sequence[Sample], context: ScoringContext) -> States:
    """The corpus metric's state of each sample of ``batch``, or a :class:`SampleInputError` saying why it has none."""
    try:
        return list(metric.states(batch, context))
    except SampleInputError as exc:
        return [exc] * len(batch)


class Session(Protocol):
    """One run's use of a backend: maps batches to scores or states, in order."""

    #: how many batches the runner hands over at a time (enough to keep every worker busy)
    window: int

    def scores(self, metric: SampleMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[list[SampleScore]]:
        """:func:`score_batch` of each batch, yielded in the order of ``batches``."""
        ...

    def states(self, metric: CorpusMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[States]:
        """:func:`state_batch` of each batch, yielded in the order of ``batches``."""
        ...

    def record(self) -> dict[str, Any]:
        """What ``run.json`` says about the backend: its name, workers, and the models they loaded."""
        ...

    def close(self) -> None: ...


class Backend(Protocol):
    """Opens sessions; ``name`` is what the CLI's ``--backend`` and the API's ``backend=`` call it."""

    name: str

    def session(self, pool: ModelPool, cache: OutputCache | None) -> Session: ...


class LocalSession:
    """Scores in this process with the run's own pool and cache, one batch when the runner asks for it; while
    the model works on a batch, the next one's inputs are read (and decoded, where the model allows) in the
    context's threads (:meth:`emoeval.metric.Metric.prefetch_inputs`)."""

    #: batches handed over at a time: each is still scored only when the runner asks for its result (so rows
    #: are flushed batch by batch), the window only lets the next batch be read ahead
    window = 8

    def __init__(self, pool: ModelPool, cache: OutputCache | None) -> None:
        from emoeval.context import ScoringContext

        self.pool = pool
        self.context = ScoringContext(pool, cache)

    def _ahead(self, metric: Metric, batches: Sequence[Sequence[Sample]], index: int) -> None:
        if index + 1 >= len(batches):
            return
        try:
            for model, items in metric.prefetch_inputs(batches[index + 1]):
                self.context.prefetch(model, items)
        except Exception:  # a read-ahead is only a hint: the batch's own scoring reports what is wrong with it
            return

    def scores(self, metric: SampleMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[list[SampleScore]]:
        for index, batch in enumerate(batches):
            self._ahead(metric, batches, index)
            yield score_batch(metric, batch, self.context)

    def states(self, metric: CorpusMetric, batches: Sequence[Sequence[Sample]]) -> Iterator[States]:
        for index, batch in enumerate(batches):
            self._ahead(metric, batches, index)
            yield state_batch(metric, batch, self.context)

    def record(self) -> dict[str, Any]:
        return {"name": "local", "workers": 1, "loaded_models": sorted(self.pool.loaded())}

    def close(self) -> None:
        """Stop the read-ahead threads (the pool belongs to the caller)."""
        self.context.close()


class LocalBackend:
    """The default: every model runs in the calling process (models load once per process)."""

    name = "local"

    def session(self, pool: ModelPool, cache: OutputCache | None) -> LocalSession:
        return LocalSession(pool, cache)


BACKENDS = ("local", "ray")


def backend_from(
    backend: str | Backend | None,
    *,
    address: str | None = None,
    num_workers: int | None = None,
    worker_cache: str | None = None,
) -> Backend:
    """A backend from its name (``local``, ``ray``) and the Ray options, or the given backend object."""
    if backend is None or backend == "local":
        if address is not None or num_workers is not None or worker_cache is not None:
            raise RunConfigError("address, num_workers and worker_cache are options of backend='ray'; add it")
        return LocalBackend()
    if backend == "ray":
        from emoeval.runner.ray_backend import RayBackend

        return RayBackend(address=address, num_workers=num_workers, worker_cache=worker_cache or "shared")
    if isinstance(backend, str):
        raise RunConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


__all__ = [
    "BACKENDS",
    "Backend",
    "LocalBackend",
    "LocalSession",
    "Session",
    "backend_from",
    "score_batch",
    "state_batch",
]
