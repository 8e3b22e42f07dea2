"""``emoeval generate``: run a generator over a prompt set, time it, and optionally score its outputs
(:func:`emoeval.generation.generate`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("generate")
@click.argument("prompts", type=click.Path(path_type=Path))
@click.option(
    "--generator",
    "generator_spec",
    required=True,
    help="module:function, path/to/file.py:function, 'cmd:<command template with {text} {output} ...>' or "
    "http(s)://host:port/path (see emoeval.generation.adapters).",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for outputs, manifest and costs.")
@click.option("--system", default="generated", show_default=True, help="System name of the outputs.")
@click.option("--warmup", type=click.IntRange(min=0), default=0, show_default=True, help="Unmeasured first calls.")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True, help="Measured calls per request.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True, help="Seconds."
)
@click.option("--threads", type=click.IntRange(min=1), help="Cap the generator's math-library (and torch) threads.")
@click.option("--cpu-only", is_flag=True, help="Hide accelerators from the generator (CUDA_VISIBLE_DEVICES='').")
@click.option(
    "--memory-cap",
    type=click.FloatRange(min=1),
    help="MB: caps a command's address space; flags any request whose peak memory exceeds it.",
)
@click.option("--n-bootstrap", type=click.IntRange(min=0), default=2000, show_default=True, help="Interval resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--label-set", help="Dataset whose emotion codes target_emotion uses (emodb, iemocap, ...).")
@click.option("--retry-errors", is_flag=True, help="When resuming, call failed requests again.")
@click.option("--overwrite", is_flag=True, help="Replace another generation run in --out.")
@click.option("--then-score", is_flag=True, help="Score the outputs afterwards into OUT/scores.")
@click.option("--metrics", "metric_names", help="Metrics for --then-score (default: all that apply).")
@click.option("--real", type=click.Path(path_type=Path), help="Reference set for --then-score's distribution metrics.")
@click.option("--quiet", is_flag=True, help="No progress and no summary.")
def generate_command(
    prompts: Path,
    generator_spec: str,
    out: Path,
    system: str,
    warmup: int,
    repeat: int,
    timeout: float,
    threads: int | None,
    cpu_only: bool,
    memory_cap: float | None,
    n_bootstrap: int,
    seed: int,
    label_set: str | None,
    retry_errors: bool,
    overwrite: bool,
    then_score: bool,
    metric_names: str | None,
    real: Path | None,
    quiet: bool,
) -> None:
    """Run a generator on every request of PROMPTS (CSV/JSONL/Parquet: request_id, modality, target_emotion,
    text, reference, context, ...), store its outputs and a sample manifest in OUT, and measure latency,
    first-output latency, real-time factor, throughput and peak memory (percentiles with bootstrap intervals).
    Running the same command again resumes an interrupted run."""
    from emoeval.generation import Limits, generate
    from emoeval.reports.console import render_summary

    interactive = click.get_text_stream("stderr").isatty()

    def progress(done: int, total: int) -> None:
        if interactive:  # one line, rewritten
            click.echo(f"\r{done}/{total} requests", nl=done == total, err=True)
        elif done == total or done % max(1, total // 10) == 0:  # a log file: about ten lines
            click.echo(f"{done}/{total} requests", err=True)

    run = generate(
        prompts,
        generator_spec,
        out,
        system=system,
        warmup=warmup,
        repeat=repeat,
        timeout=timeout,
        limits=Limits(threads=threads, cpu_only=cpu_only, memory_mb=memory_cap),
        n_bootstrap=n_bootstrap,
        seed=seed,
        retry_errors=retry_errors,
        overwrite=overwrite,
        label_set=label_set,
        progress=None if quiet else progress,
    )
    if not quiet:
        click.echo(render_summary(run.results, all_outputs=True))
        failed = run.errors
        if len(failed):
            click.echo(f"{len(failed)} request(s) failed, e.g. {failed.sample_id.iloc[0]}: {failed.error.iloc[0]}")
        click.echo(f"\noutputs: {run.manifest} (score it with: emoeval score {run.manifest} --out ...)")
    if then_score:
        import emoeval
        from emoeval.cli import _split_metrics

        scored = emoeval.score(
            run.manifest,
            metrics=_split_metrics(metric_names),
            out=out / "scores",
            real=real,
            label_set=label_set,
            progress=not quiet,
        )
        if not quiet:
            click.echo(render_summary(scored))
            click.echo(f"\nscores: {out / 'scores' / 'results.parquet'}")


__all__ = ["generate_command"]
