"""Execution: score the planned samples in batches, from the cache where possible, never losing work."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.artifacts import save_artifacts
from emoeval.errors import EmoevalError, RunConfigError, SampleInputError
from emoeval.metric import CorpusMetric, Metric, SampleMetric, SampleScore
from emoeval.runner.backends import Backend, LocalBackend, LocalSession, Session
from emoeval.runner.draws import CorpusDraws
from emoeval.runner.keys import (
    SCORE_RECORD_FORMAT,
    config_hash,
    metric_key,
    sample_score_key,
    score_from_record,
    score_to_record,
)
from emoeval.runner.plan import PlanEntry, plan
from emoeval.runner.record import run_record
from emoeval.runner.rows import Provenance, RowBuilder
from emoeval.version import __version__

if TYPE_CHECKING:
    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.reference_models.base import ModelPool
    from emoeval.results import Results
    from emoeval.runner.folder import RunFolder
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: rows already flushed by an interrupted run, by (metric label, sample id)
Done = dict[tuple[str, str], list[dict[str, Any]]]


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices of ``size`` (at least 1)."""
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


def _twice(metrics: Sequence[Metric], labels: Sequence[str]) -> list[str]:
    """Per label listed twice: the same configuration, or the parameters that differ (which the label, showing only
    model parameters, does not name) and what to do."""
    found = []
    for label in labels:
        params = [m.params() for m in metrics if m.label == label]
        differ = sorted({key for p in params for key in p if any(q.get(key) != p.get(key) for q in params)})
        found.append(
            f"{label} with parameters differing only in {', '.join(differ)} (the label names only model parameters: "
            "score each configuration in a run of its own)"
            if differ
            else f"{label} (the same configuration twice)"
        )
    return found


class Runner:
    """Executes one run. Build it with :func:`emoeval.score`; it holds the run's pool, cache and output."""

    def __init__(
        self,
        samples: Sequence[Sample],
        metrics: Sequence[Metric],
        *,
        pool: ModelPool,
        cache: OutputCache | None,
        out: Path | None,
        bootstrap: BootstrapSettings,
        resume: bool,
        overwrite: bool,
        progress: bool,
        source: str,
        backend: Backend | None = None,
    ) -> None:
        if not metrics:
            raise RunConfigError("no metric to run; name one with metrics=[...] (see `emoeval metrics`)")
        labels = [m.label for m in metrics]
        if len(set(labels)) != len(labels):
            twice = sorted({label for label in labels if labels.count(label) > 1})
            raise RunConfigError(f"a metric is listed twice under one label: {'; '.join(_twice(metrics, twice))}")
        self.samples = list(samples)
        self.metrics = list(metrics)
        self.pool = pool
        self.cache = cache
        self.out = out
        self.bootstrap = bootstrap
        self.resume = resume
        self.overwrite = overwrite
        self.progress = progress
        self.source = source
        self.backend = backend if backend is not None else LocalBackend()
        self.config_hash = config_hash(self.samples, self.metrics, bootstrap)
        self.started = datetime.now(UTC)
        self.run_id = f"{self.started.strftime('%Y%m%dT%H%M%SZ')}-{self.config_hash[:8]}"
        self.created_at = self.started.isoformat(timespec="seconds")
        self._folder: RunFolder | None = None  # the locked output folder while the run scores
        self._draws: dict[tuple[str, str, str | None, str], CorpusDraws] = {}  # corpus bootstrap draws
        from emoeval.samples import MediaTypes

        self._media = MediaTypes()

    # -- entry point --------------------------------------------------------------------------------------
    def run(self) -> Results:
        from emoeval.runner.folder import RunFolder

        entries = plan(self.samples, self.metrics)
        for entry in entries:  # resolve and verify every model's files first: a missing weight stops the run here
            if entry.n_samples:
                for name in entry.metric.models:
                    self.pool.resolve(name)
        if self.out is None:
            return self._run(entries, {})
        with RunFolder(self.out) as folder:
            folder.acquire()
            header = {
                "run_id": self.run_id,
                "config_hash": self.config_hash,
                "created_at": self.created_at,
                "emoeval_version": __version__,
            }
            header, done = folder.start(header, resume=self.resume, overwrite=self.overwrite)
            self.run_id = header["run_id"]
            self._folder = folder
            try:
                results = self._run(entries, done)
            finally:
                self._folder = None
            try:
                results.write(self.out)
            except OSError as exc:
                raise RunConfigError(
                    f"cannot write the results to {self.out} ({exc.strerror or exc}); the flushed rows are kept "
                    "there: free space or fix permissions and run the same command again to resume"
                ) from None
            folder.finish()
        return results

    def _run(self, entries: list[PlanEntry], done: Done) -> Results:
        from emoeval.context import ScoringContext
        from emoeval.results import Results, results_frame

        rows_of = RowBuilder(
            run_id=self.run_id, config_hash=self.config_hash, created_at=self.created_at, bootstrap=self.bootstrap
        )
        rows: list[dict[str, Any]] = []
        clock = time.perf_counter()
        session = self.backend.session(self.pool, self.cache)
        # corpus metrics' setup runs on the driver: in the local session's context (one set of decoding threads),
        # else in a context of its own
        own_context = not isinstance(session, LocalSession)
        context = ScoringContext(self.pool, self.cache) if own_context else session.context
        try:
            for entry in entries:
                provenance = Provenance.of(entry.metric, self.pool)
                if isinstance(entry.metric, SampleMetric):
                    sample_rows = self._run_sample_metric(entry, session, rows_of, provenance, done)
                    rows.extend(sample_rows)
                    rows.extend(rows_of.system_rows(entry.metric, provenance, list(entry.by_system), sample_rows))
                elif isinstance(entry.metric, CorpusMetric):
                    rows.extend(self._run_corpus_metric(entry, context, session, rows_of, provenance))
                else:
                    raise EmoevalError(
                        f"metric {entry.metric.spec.name!r} is neither a SampleMetric nor a CorpusMetric"
                    )
            backend_record = session.record()
        finally:
            session.close()
            if own_context:
                context.close()
        # $EMOEVAL_CACHE_MAX_SIZE: least recently used entries go (the driver prunes, never a Ray worker)
        pruned = self.cache.prune_to_limit() if self.cache is not None else None
        table = results_frame(rows)
        run = run_record(
            run_id=self.run_id,
            created_at=self.created_at,
            seconds=time.perf_counter() - clock,
            config_hash=self.config_hash,
            metrics=self.metrics,
            bootstrap=self.bootstrap,
            source=self.source,
            samples=self.samples,
            entries=entries,
            pool=self.pool,
            table=table,
            cache=self.cache,
            backend=backend_record,
            pruned=pruned.to_dict() if pruned is not None else None,
        )
        return Results(table=table, run=run, corpus_draws=dict(self._draws))

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        if self._folder is not None:
            self._folder.flush(rows)

    def _progress_bar(self, total: int, name: str) -> Any:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=name, unit="sample", disable=not self.progress, leave=False)

    # -- sample metrics -----------------------------------------------------------------------------------
    def _run_sample_metric(
        self, entry: PlanEntry, session: Session, rows_of: RowBuilder, provenance: Provenance, done: Done
    ) -> list[dict[str, Any]]:
        metric = entry.metric
        assert isinstance(metric, SampleMetric)
        rows: list[dict[str, Any]] = []
        with self._progress_bar(entry.n_samples, metric.label) as bar:
            for samples in entry.by_system.values():
                todo = []
                for sample in samples:
                    previous = done.get((metric.label, sample.sample_id))
                    if previous:
                        rows.extend(previous)
                        bar.update(1)
                    else:
                        todo.append(sample)
                # a window of batches at a time: a backend with several workers keeps them all busy
                for window in batches(list(batches(todo, metric.batch_size)), session.window):
                    for batch, scores in zip(window, self._cached_scores(metric, window, session), strict=True):
                        if self.out is not None:  # before the rows are flushed: a resumed run has their artefacts
                            save_artifacts(
                                self.out,
                                metric.label,
                                [s.sample_id for s in batch],
                                scores,
                                config_hash=self.config_hash,
                            )
                        batch_rows = [
                            row
                            for sample, score in zip(batch, scores, strict=True)
                            for row in rows_of.sample_rows(metric, provenance, sample, score)
                        ]
                        self._flush(batch_rows)
                        rows.extend(batch_rows)
                        bar.update(len(batch))
        return rows

    def _cached_scores(
        self, metric: SampleMetric, window: Sequence[Sequence[Sample]], session: Session
    ) -> Iterator[list[SampleScore]]:
        """The scores of each batch of ``window``, in order: each sample's verdict read from the cache first, the
        others computed by the backend (and stored).

        A verdict is reused only for the same metric (version, implementation source, every parameter), the
        same reference-model fingerprints, the same emoeval version and the same sample content: see
        :mod:`emoeval.runner.keys`. Failed samples are never cached (they are retried). Computing the keys
        loads no model.
        """
        if self.cache is None or not metric.cache_scores:
            yield from session.scores(metric, window)
            return
        key_of_metric = metric_key(metric, self.pool)
        namespace = f"scores-v{SCORE_RECORD_FORMAT}/{metric.spec.name}"
        found: list[tuple[list[str | None], list[SampleScore | None]]] = []
        for batch in window:
            keys = [sample_score_key(key_of_metric, sample, self._media) for sample in batch]
            scores: list[SampleScore | None] = []
            for key in keys:
                record = self.cache.get_record(namespace, key) if key is not None else None
                scores.append(score_from_record(record, metric) if record is not None else None)
            found.append((keys, scores))
        missing = [
            [sample for sample, score in zip(batch, scores, strict=True) if score is None]
            for batch, (_, scores) in zip(window, found, strict=True)
        ]
        computed = session.scores(metric, [batch for batch in missing if batch])
        for (keys, scores), todo in zip(found, missing, strict=True):
            if todo:
                fresh = iter(next(computed))
                for index, score in enumerate(scores):
                    if score is None:
                        scores[index] = new = next(fresh)
                        if keys[index] is not None and new.error is None:
                            self.cache.put_record(namespace, keys[index], score_to_record(new))  # type: ignore[arg-type]
            yield [score for score in scores if score is not None]

    # -- corpus metrics -----------------------------------------------------------------------------------
    def _run_corpus_metric(
        self,
        entry: PlanEntry,
        context: ScoringContext,
        session: Session,
        rows_of: RowBuilder,
        provenance: Provenance,
    ) -> list[dict[str, Any]]:
        metric = entry.metric
        assert isinstance(metric, CorpusMetric)
        rows: list[dict[str, Any]] = []
        draws: dict[tuple[str, str | None, str], CorpusDraws] = {}
        if entry.n_samples:
            metric.setup(context, self.samples)
        with self._progress_bar(entry.n_samples, metric.label) as bar:
            for system, samples in entry.by_system.items():
                scored: list[tuple[Sample, Any]] = []
                for window in batches(list(batches(samples, metric.batch_size)), session.window):
                    for batch, batch_states in zip(window, session.states(metric, window), strict=True):
                        for sample, state in zip(batch, batch_states, strict=True):
                            if isinstance(state, SampleInputError):
                                rows.extend(rows_of.sample_rows(metric, provenance, sample, SampleScore.failed(state)))
                            else:
                                scored.append((sample, state))
                        bar.update(len(batch))
                groups: list[tuple[str | None, list[Any]]] = [(None, [state for _, state in scored])]
                if metric.by_emotion:
                    emotions = sorted({s.target_emotion for s, _ in scored if s.target_emotion is not None})
                    groups += [(e, [state for s, state in scored if s.target_emotion == e]) for e in emotions]
                for emotion, states in groups:
                    rows.extend(rows_of.corpus_rows(metric, provenance, system, emotion, states, draws=draws))
        # the draws behind each corpus interval, for gates comparing runs (emoeval.runner.draws)
        # (Results.write saves them to <out>/artifacts/bootstrap/)
        self._draws.update({(metric.label, *key): found for key, found in draws.items()})
        self._flush([row for row in rows if row["scope"] == "sample"])
        return rows


__all__ = ["Runner", "batches"]
