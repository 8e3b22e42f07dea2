"""CLI commands of the statistics layer: aggregate, compare, calibrate, reliability, meta.

Each prints the analysis' summary and writes ``<name>.csv`` and ``<name>.json`` to ``--out`` or beside its
input (a results folder is its own place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def parse_scale(value: str | None) -> tuple[float, float] | None:
    """``"1,5"`` → ``(1.0, 5.0)``; a usage error for anything else."""
    if value is None:
        return None
    low, sep, high = value.partition(",")
    try:
        scale = (float(low), float(high))
    except ValueError:
        scale = None
    if not sep or scale is None or not scale[0] < scale[1]:
        raise click.BadParameter(f"{value!r} is not LOW,HIGH with LOW < HIGH (e.g. 1,5)", param_hint="--scale")
    return scale


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [item.strip() for item in value.split(",") if item.strip()]


def _results_table(path: Path) -> Any:
    """A results folder, its results.parquet, or a results CSV."""
    import pandas as pd

    from emoeval.results import load_results

    if path.is_file() and path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    return load_results(path)


def _output_folder(out: Path | None, source: Path) -> Path:
    if out is not None:
        return out
    return source if source.is_dir() else source.parent


def _report(result: Any, out: Path, stem: str) -> None:
    click.echo(result.summary())
    written = result.write(out, stem)
    click.echo("\nwritten: " + ", ".join(str(path) for path in written))


_out_option = click.option(
    "--out", type=click.Path(path_type=Path), help="Folder for the CSV/JSON output (default: beside the input)."
)
_seed_option = click.option("--seed", type=int, default=0, show_default=True, help="Seed of every resampling.")
_confidence_option = click.option(
    "--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True
)


@click.command("aggregate")
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.option("--by", default="system", show_default=True, help="Comma-separated columns, e.g. system,target_emotion.")
@click.option("--metrics", "metric_names", help="Comma-separated metric names (default: all).")
@click.option("--method", type=click.Choice(["percentile", "BCa", "t"]), default="percentile", show_default=True)
@click.option("--scale", help="Bounded scale LOW,HIGH: intervals never leave it (e.g. 1,5).")
@click.option("--cluster", default="auto", show_default=True, help="auto, yes, no, or a column to cluster by.")
@click.option("--n-bootstrap", type=click.IntRange(min=1), default=2000, show_default=True)
@_confidence_option
@_seed_option
@_out_option
def aggregate_command(
    results: Path,
    by: str,
    metric_names: str | None,
    method: str,
    scale: str | None,
    cluster: str,
    n_bootstrap: int,
    confidence: float,
    seed: int,
    out: Path | None,
) -> None:
    """Per-system (or per system × emotion) mean, median, n and confidence interval of each metric in RESULTS."""
    from emoeval.stats.aggregate import aggregate

    cluster_option: bool | str = {"yes": True, "no": False}.get(cluster, cluster)
    result = aggregate(
        _results_table(results),
        by=tuple(_split(by) or ["system"]),
        metrics=_split(metric_names),
        method=method,  # type: ignore[arg-type]
        scale=parse_scale(scale),
        cluster=cluster_option,
        n_resamples=n_bootstrap,
        confidence=confidence,
        seed=seed,
    )
    _report(result, _output_folder(out, results), "aggregate")


@click.command("compare")
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.option("--metric", required=True, help="Metric to compare systems on.")
@click.option("--sub-metric", help="Output of the metric (default: its headline).")
@click.option("--baseline", help="Compare every system with this one instead of all pairs.")
@click.option(
    "--test",
    type=click.Choice(["permutation", "bootstrap", "wilcoxon"]),
    default="permutation",
    show_default=True,
    help="Paired test whose p-value is corrected and judged.",
)
@click.option("--correction", type=click.Choice(["holm", "fdr_bh"]), default="holm", show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True)
@click.option("--n-resamples", type=click.IntRange(min=100), default=10000, show_default=True)
@_seed_option
@_out_option
def compare_command(
    results: Path,
    metric: str,
    sub_metric: str | None,
    baseline: str | None,
    test: str,
    correction: str,
    alpha: float,
    n_resamples: int,
    seed: int,
    out: Path | None,
) -> None:
    """Paired tests between the systems of RESULTS (Holm or BH corrected) and significance clusters."""
    from emoeval.stats.compare import compare_systems

    result = compare_systems(
        _results_table(results),
        metric=metric,
        sub_metric=sub_metric,
        baseline=baseline,
        test=test,  # type: ignore[arg-type]
        correction=correction,  # type: ignore[arg-type]
        alpha=alpha,
        n_resamples=n_resamples,
        seed=seed,
    )
    _report(result, _output_folder(out, results), f"compare_{metric}")


@click.command("calibrate")
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.argument("ratings", type=click.Path(exists=True, path_type=Path))
@click.option("--metric", required=True, help="Metric to calibrate against the ratings.")
@click.option("--sub-metric", help="Output of the metric (default: its headline).")
@click.option("--scale", help="Rating scale LOW,HIGH; ratings outside it are excluded and reported.")
@click.option("--level", type=click.Choice(["utterance", "system", "both"]), default="both", show_default=True)
@click.option("--n-bootstrap", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--cv-folds", type=click.IntRange(min=2), default=5, show_default=True)
@_confidence_option
@_seed_option
@_out_option
def calibrate_command(
    results: Path,
    ratings: Path,
    metric: str,
    sub_metric: str | None,
    scale: str | None,
    level: str,
    n_bootstrap: int,
    cv_folds: int,
    confidence: float,
    seed: int,
    out: Path | None,
) -> None:
    """Agreement of a metric in RESULTS with human RATINGS: MSE, LCC, SRCC, KTAU, ranking accuracy, mapping."""
    from emoeval.stats.calibrate import calibrate

    result = calibrate(
        _results_table(results),
        ratings,
        metric=metric,
        sub_metric=sub_metric,
        scale=parse_scale(scale),
        level=level,  # type: ignore[arg-type]
        n_bootstrap=n_bootstrap,
        cv_folds=cv_folds,
        confidence=confidence,
        seed=seed,
    )
    _report(result, _output_folder(out, results), f"calibration_{metric}")


@click.command("reliability")
@click.argument("ratings", type=click.Path(exists=True, path_type=Path))
@click.option("--scale", help="Rating scale LOW,HIGH; ratings outside it are excluded and reported.")
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    help="Krippendorff's alpha level; repeat for several (default: interval).",
)
@click.option("--n-bootstrap", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--no-mos", is_flag=True, help="Skip the mixed-model MOS per system.")
@_confidence_option
@_seed_option
@_out_option
def reliability_command(
    ratings: Path,
    scale: str | None,
    levels: tuple[str, ...],
    n_bootstrap: int,
    no_mos: bool,
    confidence: float,
    seed: int,
    out: Path | None,
) -> None:
    """Rater reliability of RATINGS: ICC (six forms), Krippendorff's alpha, item agreement, MOS per system."""
    from emoeval.stats.reliability import reliability_report

    result = reliability_report(
        ratings,
        level=list(levels) or "interval",  # type: ignore[arg-type]
        scale=parse_scale(scale),
        confidence=confidence,
        n_boot=n_bootstrap,
        seed=seed,
        mos=False if no_mos else None,
    )
    _report(result, _output_folder(out, ratings), f"{ratings.stem}_reliability")


@click.command("meta")
@click.argument("table", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--method",
    type=click.Choice(["dl", "pm", "fe"]),
    default="dl",
    show_default=True,
    help="Random effects (DerSimonian-Laird, Paule-Mandel) or fixed effect.",
)
@click.option("--by", help="Column forming subgroups (e.g. family), with a between-subgroup test.")
@click.option("--metric", help="Pool only the rows of this metric (needed when the table holds several).")
@click.option(
    "--scale",
    type=click.Choice(["raw", "logit"]),
    default="raw",
    show_default=True,
    help="Scale for proportions (logit is better near 0 or 1).",
)
@click.option("--leave-one-out", is_flag=True, help="Also pool without each study in turn.")
@click.option("--plot", type=click.Path(path_type=Path), help="Write a forest plot (.png or .svg).")
@_confidence_option
@_out_option
def meta_command(
    table: Path,
    method: str,
    by: str | None,
    metric: str | None,
    scale: str,
    leave_one_out: bool,
    plot: Path | None,
    confidence: float,
    out: Path | None,
) -> None:
    """Meta-analysis of results reported across papers (TABLE: one row per study, system and metric)."""
    from emoeval.stats.meta import meta_analysis

    result = meta_analysis(
        table,
        method=method,
        by=by,
        metric=metric,
        scale=scale,
        confidence=confidence,  # type: ignore[arg-type]
    )
    folder = _output_folder(out, table)
    stem = f"{table.stem}_meta" + (f"_{metric}" if metric else "")
    _report(result, folder, stem)
    if leave_one_out:
        _report(result.leave_one_out(), folder, f"{stem}_leave_one_out")
    if plot is not None:
        click.echo(f"forest plot: {result.forest_plot(plot)}")


STATS_COMMANDS = (aggregate_command, compare_command, calibrate_command, reliability_command, meta_command)
