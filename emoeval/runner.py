"""The runner: plan which metrics apply to which samples, score them in batches, and never lose work.

1. **Plan.** Each metric applies to the samples of its modality that carry everything it needs; the others
   are counted as skipped, with the reason, in ``run.json``. Every reference model a planned metric uses is
   loaded (and its weights verified) before any scoring, so a missing weight fails the run at once.
2. **Score.** Sample metrics run in batches; a bad sample becomes an error row (value NaN, ``error`` text)
   and the run goes on. Corpus metrics collect one state per sample and compute one value per system, with a
   bootstrap interval over samples. Model outputs come from the on-disk cache when present.
3. **Flush and resume.** With an output folder (locked for the run: see :mod:`emoeval.run_folder`), rows are
   appended to ``rows.partial.jsonl`` after each batch; an interrupted run with the same configuration picks
   up where it stopped, keeping only flushed rows of that configuration.
4. **Aggregate** sample metrics per system (mean, seeded bootstrap CI) and write the results.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import (
    EmoevalError,
    MissingDependencyError,
    RunConfigError,
    SampleInputError,
    WeightError,
    stable_message,
)
from emoeval.metric import CorpusMetric, Metric, SampleMetric, SampleScore
from emoeval.stats.aggregate import BootstrapSettings
from emoeval.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.reference_models.base import ModelPool
    from emoeval.results import Results
    from emoeval.run_folder import RunFolder
    from emoeval.samples import Sample


@dataclass
class PlanEntry:
    """One metric and the samples it applies to, by system; ``skipped`` counts samples it cannot score."""

    metric: Metric
    by_system: dict[str, list[Sample]]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return sum(len(samples) for samples in self.by_system.values())


def plan(samples: Sequence[Sample], metrics: Sequence[Metric]) -> list[PlanEntry]:
    """Which samples each metric applies to (by modality and needs), grouped by system in sorted order."""
    entries: list[PlanEntry] = []
    for metric in metrics:
        by_system: dict[str, list[Sample]] = {}
        skipped: Counter[str] = Counter()
        references = metric.reference_systems()
        for sample in samples:
            if sample.modality != metric.spec.modality or sample.system in references:
                continue
            missing = [need for need in sorted(metric.spec.needs) if not sample.has(need)]
            if missing:
                skipped[f"no {' or '.join(missing)}"] += 1
                continue
            by_system.setdefault(sample.system, []).append(sample)
        entries.append(PlanEntry(metric, dict(sorted(by_system.items())), dict(skipped)))
    return entries


def config_hash(samples: Sequence[Sample], metrics: Sequence[Metric], bootstrap: BootstrapSettings) -> str:
    """sha256 of everything that decides the numbers: samples, metrics with versions and parameters, settings."""
    payload = {
        "emoeval_version": __version__,
        "metrics": [{"name": m.spec.name, "version": m.spec.version, "params": m.params()} for m in metrics],
        "samples": [sample.to_record() for sample in samples],
        "bootstrap": [bootstrap.n_resamples, bootstrap.confidence, bootstrap.seed],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


@dataclass
class _Provenance:
    metric_version: str
    model: str
    model_sha256: str


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
    ) -> None:
        if not metrics:
            raise RunConfigError("no metric to run; name one with metrics=[...] (see `emoeval metrics`)")
        names = [m.spec.name for m in metrics]
        if len(set(names)) != len(names):
            raise RunConfigError(f"a metric is listed twice: {names}")
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
        self.config_hash = config_hash(self.samples, self.metrics, bootstrap)
        self.started = datetime.now(UTC)
        self.run_id = f"{self.started.strftime('%Y%m%dT%H%M%SZ')}-{self.config_hash[:8]}"
        self.created_at = self.started.isoformat(timespec="seconds")
        self._folder: RunFolder | None = None  # the locked output folder while the run scores

    # -- entry point --------------------------------------------------------------------------------------
    def run(self) -> Results:
        from emoeval.run_folder import RunFolder

        entries = plan(self.samples, self.metrics)
        for entry in entries:  # load and verify every model first: a missing weight stops the run here
            if entry.n_samples:
                for name in entry.metric.spec.models:
                    self.pool.get(name)
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

    def _run(self, entries: list[PlanEntry], done: dict[tuple[str, str], list[dict[str, Any]]]) -> Results:
        from emoeval.context import ScoringContext
        from emoeval.results import Results, results_frame

        context = ScoringContext(self.pool, self.cache)
        rows: list[dict[str, Any]] = []
        clock = time.perf_counter()
        for entry in entries:
            provenance = self._provenance(entry.metric)
            if isinstance(entry.metric, SampleMetric):
                sample_rows = self._run_sample_metric(entry, context, provenance, done)
                rows.extend(sample_rows)
                rows.extend(self._aggregate(entry, sample_rows, provenance))
            elif isinstance(entry.metric, CorpusMetric):
                rows.extend(self._run_corpus_metric(entry, context, provenance))
            else:
                raise EmoevalError(f"metric {entry.metric.spec.name!r} is neither a SampleMetric nor a CorpusMetric")
        table = results_frame(rows)
        run = self._run_manifest(entries, table, time.perf_counter() - clock)
        return Results(table=table, run=run)

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        if self._folder is not None:
            self._folder.flush(rows)

    # -- scoring ------------------------------------------------------------------------------------------
    def _provenance(self, metric: Metric) -> _Provenance:
        """Metric version, models and the hashes of the weight files actually loaded (computed, not recorded)."""
        loaded = self.pool.loaded()
        models = [loaded.get(name) for name in metric.spec.models]
        if any(model is None for model in models):  # a metric with no sample to score loads no model
            from emoeval.registry import get_reference_model_class

            cards = [get_reference_model_class(name).card for name in metric.spec.models]
            hashes = [card.weights_sha256 for card in cards]
        else:
            cards = [model.card for model in models if model is not None]
            hashes = [model.weights_sha256 for model in models if model is not None]
        return _Provenance(
            metric_version=metric.spec.version,
            model="+".join(f"{card.name}@{card.version}" for card in cards),
            model_sha256="+".join(hashes),
        )

    def _row(self, metric: Metric, provenance: _Provenance, **fields: Any) -> dict[str, Any]:
        output_name = fields.get("sub_metric") or metric.spec.headline.name
        row = {
            "run_id": self.run_id,
            "metric": metric.spec.name,
            "sub_metric": output_name,
            "higher_is_better": metric.spec.output(output_name).higher_is_better,
            "metric_version": provenance.metric_version,
            "model": provenance.model,
            "model_sha256": provenance.model_sha256,
            "emoeval_version": __version__,
            "config_hash": self.config_hash,
            "created_at": self.created_at,
        }
        row.update(fields)
        for column in ("error", "warning"):  # identical runs must write identical texts
            if isinstance(row.get(column), str):
                row[column] = stable_message(row[column])
        value = row.get("value")
        if isinstance(value, float) and math.isnan(value) and not row.get("error"):
            row["error"] = f"{metric.spec.name} gave no {output_name} value here (undefined, NaN)"
        return row

    def _sample_rows(
        self, metric: Metric, provenance: _Provenance, sample: Sample, score: SampleScore
    ) -> list[dict[str, Any]]:
        common = {
            "system": sample.system,
            "scope": "sample",
            "statistic": "value",
            "sample_id": sample.sample_id,
            "group": sample.group,
            "target_emotion": sample.target_emotion,
            "n": 1,
        }
        if score.error is not None or not score.values:
            error = score.error or f"{metric.spec.name} returned no value"
            return [
                self._row(
                    metric,
                    provenance,
                    **common,
                    sub_metric=metric.spec.headline.name,
                    value=float("nan"),
                    error=error,
                    warning=score.warning,
                )
            ]
        return [
            self._row(
                metric,
                provenance,
                **common,
                sub_metric=name,
                value=float(value),
                label=score.label if name == metric.spec.headline.name else None,
                warning=score.warning,
            )
            for name, value in score.values.items()
        ]

    def _progress_bar(self, total: int, name: str) -> Any:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=name, unit="sample", disable=not self.progress, leave=False)

    def _run_sample_metric(
        self,
        entry: PlanEntry,
        context: ScoringContext,
        provenance: _Provenance,
        done: dict[tuple[str, str], list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        metric = entry.metric
        assert isinstance(metric, SampleMetric)
        rows: list[dict[str, Any]] = []
        with self._progress_bar(entry.n_samples, metric.spec.name) as bar:
            for samples in entry.by_system.values():
                todo = []
                for sample in samples:
                    previous = done.get((metric.spec.name, sample.sample_id))
                    if previous:
                        rows.extend(previous)
                        bar.update(1)
                    else:
                        todo.append(sample)
                for batch in _batches(todo, metric.batch_size):
                    scores = self._cached_scores(metric, batch, context)
                    batch_rows = [
                        row
                        for sample, score in zip(batch, scores, strict=True)
                        for row in self._sample_rows(metric, provenance, sample, score)
                    ]
                    self._flush(batch_rows)
                    rows.extend(batch_rows)
                    bar.update(len(batch))
        return rows

    def _cached_scores(
        self, metric: SampleMetric, batch: Sequence[Sample], context: ScoringContext
    ) -> list[SampleScore]:
        """Scores of a batch, reading each sample's verdict from the cache first and storing the new ones.

        A verdict is reused only for the same metric version and parameters, the same reference-model
        fingerprints, the same emoeval version and the same sample content (file bytes, paths, texts, labels,
        meta): see :func:`sample_score_key`. Failed samples are never cached (they are retried).
        """
        if self.cache is None or not metric.cache_scores:
            return self._score_batch(metric, batch, context)
        metric_key = _metric_key(metric, context)
        namespace = f"scores-v{_SCORE_RECORD_FORMAT}/{metric.spec.name}"
        keys = [sample_score_key(metric_key, sample) for sample in batch]
        scores: list[SampleScore | None] = [None] * len(batch)
        for index, key in enumerate(keys):
            record = self.cache.get_record(namespace, key) if key is not None else None
            if record is not None:
                scores[index] = _score_from_record(record, metric)
        todo = [index for index, score in enumerate(scores) if score is None]
        if todo:
            computed = self._score_batch(metric, [batch[index] for index in todo], context)
            for index, score in zip(todo, computed, strict=True):
                scores[index] = score
                key = keys[index]
                if key is not None and score.error is None:
                    # values as pairs: the metric's output order must survive the JSON round trip
                    record = {"values": list(score.values.items()), "warning": score.warning, "label": score.label}
                    self.cache.put_record(namespace, key, record)
        return [score for score in scores if score is not None]

    @staticmethod
    def _score_batch(metric: SampleMetric, batch: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        """The metric's scores; if the batch call itself fails, score one by one so only the culprit fails.

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

    def _aggregate(
        self, entry: PlanEntry, sample_rows: list[dict[str, Any]], provenance: _Provenance
    ) -> list[dict[str, Any]]:
        from emoeval.stats.aggregate import mean_with_ci, within_range

        metric = entry.metric
        rows: list[dict[str, Any]] = []
        values_of: dict[tuple[str, str], list[float]] = {}
        for row in sample_rows:
            if not row.get("error"):
                values_of.setdefault((row["system"], row["sub_metric"]), []).append(row["value"])
        produced = {row["sub_metric"] for row in sample_rows}
        outputs = [
            output
            for output in metric.spec.outputs
            # an optional output (e.g. one needing an extra manifest column) that no sample produced: no row
            if output.scope == "sample" and (output.name in produced or output is metric.spec.headline)
        ]
        for system in entry.by_system:
            for output in outputs:
                values = values_of.get((system, output.name), [])
                estimate = mean_with_ci(
                    values,
                    confidence=self.bootstrap.confidence,
                    n_resamples=self.bootstrap.n_resamples,
                    seed=self.bootstrap.seed,
                )
                error = None if estimate.n else "no sample of this system could be scored (see the error rows)"
                ci_low, ci_high = within_range(estimate.ci_low, estimate.ci_high, output.range)
                rows.append(
                    self._row(
                        metric,
                        provenance,
                        system=system,
                        scope="system",
                        statistic="mean",
                        sub_metric=output.name,
                        value=estimate.value,
                        ci_low=ci_low,
                        ci_high=ci_high,
                        n=estimate.n,
                        error=error,
                    )
                )
            own = [row for row in sample_rows if row["system"] == system]
            for value in metric.summarize(_summary_frame(own), self.bootstrap):
                # Every interval stays in the output's declared range; a run with no resamples has none at all
                # (a metric's own Wilson or similar intervals included).
                ci_low, ci_high = (math.nan, math.nan)
                if self.bootstrap.intervals:
                    ci_low, ci_high = within_range(
                        value.ci_low, value.ci_high, metric.spec.output(value.sub_metric).range
                    )
                rows.append(
                    self._row(
                        metric,
                        provenance,
                        system=system,
                        scope="system",
                        statistic=value.statistic,
                        sub_metric=value.sub_metric,
                        target_emotion=value.target_emotion,
                        label=value.label,
                        value=value.value,
                        ci_low=ci_low,
                        ci_high=ci_high,
                        n=value.n,
                        error=value.error,
                    )
                )
        return rows

    def _run_corpus_metric(
        self, entry: PlanEntry, context: ScoringContext, provenance: _Provenance
    ) -> list[dict[str, Any]]:
        metric = entry.metric
        assert isinstance(metric, CorpusMetric)
        rows: list[dict[str, Any]] = []
        if entry.n_samples:
            metric.setup(context, self.samples)
        with self._progress_bar(entry.n_samples, metric.spec.name) as bar:
            for system, samples in entry.by_system.items():
                scored: list[tuple[Sample, Any]] = []
                for batch in _batches(samples, metric.batch_size):
                    try:
                        batch_states = metric.states(batch, context)
                    except SampleInputError as exc:
                        batch_states = [exc] * len(batch)
                    for sample, state in zip(batch, batch_states, strict=True):
                        if isinstance(state, SampleInputError):
                            rows.extend(self._sample_rows(metric, provenance, sample, SampleScore.failed(state)))
                        else:
                            scored.append((sample, state))
                    bar.update(len(batch))
                groups: list[tuple[str | None, list[Any]]] = [(None, [state for _, state in scored])]
                if metric.by_emotion:
                    emotions = sorted({s.target_emotion for s, _ in scored if s.target_emotion is not None})
                    groups += [(e, [state for s, state in scored if s.target_emotion == e]) for e in emotions]
                for emotion, states in groups:
                    rows.extend(self._corpus_rows(metric, provenance, system, emotion, states))
        self._flush([row for row in rows if row["scope"] == "sample"])
        return rows

    def _corpus_rows(
        self, metric: CorpusMetric, provenance: _Provenance, system: str, emotion: str | None, states: list[Any]
    ) -> list[dict[str, Any]]:
        from emoeval.stats.aggregate import corpus_interval

        common = {"system": system, "scope": "system", "statistic": "corpus", "target_emotion": emotion}
        if not states:
            return [
                self._row(
                    metric,
                    provenance,
                    **common,
                    value=float("nan"),
                    n=0,
                    error="no sample of this system could be used (see the error rows)",
                )
            ]
        compute = functools.partial(metric.compute, emotion=emotion)
        # The metric's interval kind (what it covers: emoeval.stats.aggregate.INTERVAL_ESTIMANDS), within each
        # output's declared range; none at all when the run asks for no resamples.
        estimates = corpus_interval(
            states,
            compute,
            interval=metric.interval,
            settings=self.bootstrap,
            bounds={output.name: output.range for output in metric.spec.outputs},
            max_resamples=metric.max_resamples,
        )
        warning = "; ".join(metric.corpus_warnings(states, emotion=emotion)) or None
        return [
            self._row(
                metric,
                provenance,
                **common,
                sub_metric=name,
                value=est.value,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                n=est.n,
                warning=warning,
            )
            for name, est in estimates.items()
        ]

    # -- run manifest -------------------------------------------------------------------------------------
    def _run_manifest(self, entries: list[PlanEntry], table: pd.DataFrame, seconds: float) -> dict[str, Any]:
        systems = Counter(sample.system for sample in self.samples)
        models = []
        for name, model in sorted(self.pool.loaded().items()):
            models.append(
                {
                    "name": name,
                    "version": model.card.version,
                    "weights_sha256": model.weights_sha256,
                    "fingerprint": model.fingerprint,
                    "license": model.card.license,
                    "files": [
                        {"filename": f, "sha256": w.sha256, "source": w.source, "path": str(w.path)}
                        for f, w in sorted(model.weights.items())
                    ],
                }
            )
        return {
            "run_id": self.run_id,
            "status": "complete",
            "created_at": self.created_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(seconds, 3),
            "emoeval_version": __version__,
            "config_hash": self.config_hash,
            "config": {
                "metrics": [
                    {"name": m.spec.name, "version": m.spec.version, "params": m.params()} for m in self.metrics
                ],
                "bootstrap": {
                    "n_resamples": self.bootstrap.n_resamples,
                    "confidence": self.bootstrap.confidence,
                    "seed": self.bootstrap.seed,
                },
            },
            "inputs": {
                "source": self.source,
                "n_samples": len(self.samples),
                "systems": dict(sorted(systems.items())),
                "modalities": dict(sorted(Counter(s.modality for s in self.samples).items())),
            },
            "plan": [
                {
                    "metric": e.metric.spec.name,
                    "samples": e.n_samples,
                    "systems": list(e.by_system),
                    "skipped": e.skipped,
                }
                for e in entries
            ],
            "models": models,
            "counts": {"rows": len(table), "errors": int(table["error"].notna().sum())},
            "cache": None
            if self.cache is None
            else {
                "dir": str(self.cache.root),
                "hits": self.cache.hits,
                "misses": self.cache.misses,
                "score_hits": self.cache.record_hits,
                "score_misses": self.cache.record_misses,
                "damaged": self.cache.damaged,
            },
            "environment": _environment(),
        }


def _summary_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    columns = ["sample_id", "target_emotion", "sub_metric", "value", "label", "error"]
    return pd.DataFrame([{column: row.get(column) for column in columns} for row in rows], columns=columns)


#: bump when the layout of cached sample verdicts changes (old records are then simply not found)
_SCORE_RECORD_FORMAT = 2


def _score_from_record(record: dict[str, Any], metric: Metric) -> SampleScore | None:
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
    return SampleScore(values=values, warning=warning, label=label)


def _metric_key(metric: Metric, context: ScoringContext) -> str:
    """What a sample metric's verdict depends on besides the sample: name, version, parameters, models, emoeval."""
    payload = {
        "metric": metric.spec.name,
        "version": metric.spec.version,
        "params": metric.params(),
        "models": {name: context.model(name).fingerprint for name in metric.spec.models},
        "emoeval": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _file_digest(path: Path) -> str | None:
    """Streamed sha256 of a regular file within its size limit; None for anything else (FIFOs and devices are
    never opened: :func:`emoeval.media.files.file_sha256`), so the metric itself reports the problem."""
    from emoeval.media.files import file_sha256

    try:
        return file_sha256(path)
    except (SampleInputError, OSError):
        return None


def sample_score_key(metric_key: str, sample: Sample) -> str | None:
    """Cache key of one sample's verdict: the metric key and everything of the sample a metric may read.

    Files enter by their path *and* content (a verdict's warning may name the path); a file that cannot be
    read gives None (no caching: the metric reports the problem). The system and sample id do not enter.
    """
    from emoeval.samples import PATH_META_COLUMNS

    parts: dict[str, Any] = {
        "metric": metric_key,
        "modality": sample.modality,
        "text": sample.text,
        "target_emotion": sample.target_emotion,
        "context": list(sample.context) if sample.context is not None else None,
        "transcript": sample.transcript,
        "group": sample.group,
    }
    files = {"path": sample.path}
    if sample.reference is not None and sample.modality != "text":
        files["reference"] = Path(sample.reference)
    else:
        parts["reference"] = sample.reference
    meta = {}
    for name, value in sorted(sample.meta.items()):
        if name in PATH_META_COLUMNS and value is not None:
            files[f"meta:{name}"] = Path(str(value))
        else:
            meta[name] = value
    parts["meta"] = meta
    for name, path in files.items():
        if path is None:
            continue
        digest = _file_digest(Path(path))
        if digest is None:
            return None
        parts[name] = [str(path), digest]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _environment() -> dict[str, Any]:
    from importlib import metadata

    packages = {}
    for name in (
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
        "pesq",
        "pystoi",
        "pyworld",
        "transformers",
        "sentence-transformers",
        "sacrebleu",
        "rouge-score",
        "nrclex",
        "vaderSentiment",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": packages}
