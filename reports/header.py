"""The report's header: which run, when, with which emoeval, metrics, models (and their weight hashes), inputs
and configuration.

Everything comes from the results table's provenance columns and ``run.json``; a table without ``run.json``
(a results table built by hand) still gets a header from its columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emoeval.reports.formatting import as_text
from emoeval.reports.rows import in_order

if TYPE_CHECKING:
    from emoeval.results import Results


@dataclass(frozen=True)
class ModelRef:
    """A reference model a metric used: ``name@version`` and the sha256 of its weights."""

    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class MetricInfo:
    """A metric of the run: version, parameters, the models behind it, and whether it is per sample or corpus."""

    metric: str
    version: str
    scope: str
    models: tuple[ModelRef, ...]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelFile:
    filename: str
    sha256: str
    source: str


@dataclass(frozen=True)
class ModelInfo:
    """A reference model loaded in the run (from ``run.json``): weights hash, license and files."""

    name: str
    version: str
    weights_sha256: str
    license: str
    files: tuple[ModelFile, ...]


@dataclass(frozen=True)
class Header:
    title: str
    run_id: str
    status: str
    created_at: str
    finished_at: str
    duration_s: float | None
    generated_at: str
    run_emoeval_versions: tuple[str, ...]
    report_emoeval_version: str
    config_hash: str
    source: str
    n_samples: int | None
    systems: tuple[tuple[str, int], ...]
    modalities: tuple[tuple[str, int], ...]
    bootstrap: dict[str, Any]
    metrics: tuple[MetricInfo, ...]
    models: tuple[ModelInfo, ...]
    environment: dict[str, Any]
    n_rows: int
    n_errors: int


def parse_models(model: Any, sha256: Any) -> tuple[ModelRef, ...]:
    """The ``model`` and ``model_sha256`` columns (``+``-joined ``name@version`` and hashes) as pairs.

    >>> parse_models("yunet@2023mar+dlib@v1", "aa+bb")
    (ModelRef(name='yunet', version='2023mar', sha256='aa'), ModelRef(name='dlib', version='v1', sha256='bb'))
    """
    names = [part for part in (as_text(model) or "").split("+") if part]
    hashes = (as_text(sha256) or "").split("+")
    refs = []
    for index, item in enumerate(names):
        name, _, version = item.partition("@")
        refs.append(ModelRef(name=name, version=version, sha256=hashes[index] if index < len(hashes) else ""))
    return tuple(refs)


def metric_infos(results: Results) -> tuple[MetricInfo, ...]:
    """One entry per metric in the table: version and models from its rows, parameters from ``run.json``."""
    table = results.table
    params = {
        str(item.get("name")): dict(item.get("params") or {})
        for item in results.run.get("config", {}).get("metrics", [])
        if isinstance(item, dict)
    }
    infos = []
    for metric in in_order(table["metric"]):
        rows = table[table["metric"].astype(str) == metric]
        first = rows.iloc[0]
        statistics = set(rows["statistic"].dropna().astype(str))
        infos.append(
            MetricInfo(
                metric=metric,
                version=as_text(first.get("metric_version")) or "",
                scope="corpus" if "corpus" in statistics else "sample",
                models=parse_models(first.get("model"), first.get("model_sha256")),
                params=params.get(metric, {}),
            )
        )
    return tuple(infos)


def model_infos(run: dict[str, Any]) -> tuple[ModelInfo, ...]:
    models = []
    for item in run.get("models", []) or []:
        files = tuple(
            ModelFile(
                filename=str(entry.get("filename", "")),
                sha256=str(entry.get("sha256", "")),
                source=str(entry.get("source", "")),
            )
            for entry in item.get("files", []) or []
        )
        models.append(
            ModelInfo(
                name=str(item.get("name", "")),
                version=str(item.get("version", "")),
                weights_sha256=str(item.get("weights_sha256", "")),
                license=str(item.get("license", "")),
                files=files,
            )
        )
    return tuple(models)


def build_header(results: Results, *, title: str, generated_at: str) -> Header:
    """The header of a report on ``results``; ``generated_at`` is the report's own timestamp."""
    from emoeval.version import __version__

    table, run = results.table, results.run
    inputs = run.get("inputs", {}) or {}
    systems = inputs.get("systems") or {
        system: int(count)
        for system, count in table[table["scope"] == "sample"].groupby("system")["sample_id"].nunique().items()
    }
    first_created = in_order(table["created_at"]) if "created_at" in table.columns else []
    config_hashes = in_order(table["config_hash"]) if "config_hash" in table.columns else []
    duration = run.get("duration_s")
    return Header(
        title=title,
        run_id=str(run.get("run_id") or (in_order(table["run_id"]) or [""])[0]),
        status=str(run.get("status", "unknown" if not run else "")),
        created_at=str(run.get("created_at") or (first_created or [""])[0]),
        finished_at=str(run.get("finished_at", "")),
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        generated_at=generated_at,
        run_emoeval_versions=tuple(in_order([run.get("emoeval_version"), *table["emoeval_version"]])),
        report_emoeval_version=__version__,
        config_hash=str(run.get("config_hash") or (config_hashes or [""])[0]),
        source=str(inputs.get("source", "")),
        n_samples=inputs.get("n_samples"),
        systems=tuple((str(name), int(count)) for name, count in sorted(systems.items())),
        modalities=tuple((str(name), int(count)) for name, count in sorted((inputs.get("modalities") or {}).items())),
        bootstrap=dict(run.get("config", {}).get("bootstrap", {}) or {}),
        metrics=metric_infos(results),
        models=model_infos(run),
        environment=dict(run.get("environment", {}) or {}),
        n_rows=len(table),
        n_errors=int(table["error"].notna().sum()),
    )
