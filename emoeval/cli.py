"""The ``emoeval`` command line: a thin layer over the Python API.

Every command has ``--help``. On failure the command prints one line, ``emoeval: error: <reason>``, to
standard error and exits with status 1 (2 for a usage error, 130 when interrupted).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import click

from emoeval.cli_augment import augment_command
from emoeval.cli_cache import CACHE_COMMANDS
from emoeval.cli_gate import GATE_COMMANDS
from emoeval.cli_generate import generate_command
from emoeval.cli_models import fit_emotion_probe, trust_model_command
from emoeval.cli_signals import SIGNAL_COMMANDS
from emoeval.cli_stats import STATS_COMMANDS
from emoeval.errors import EmoevalError
from emoeval.version import __version__


class _Group(click.Group):
    """Turns emoeval's own errors into one line and a non-zero exit code instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EmoevalError as exc:
            click.echo(f"emoeval: error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("emoeval: interrupted; run the same command again to resume", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="emoeval")
def main() -> None:
    """Evaluate what emotion-synthesis generators produce: faces, emotional speech, empathetic dialogue."""


def _split_metrics(value: str | None) -> list[str] | None:
    """Metric labels from ``--metrics``: commas outside parentheses separate them (``a(k=v, j=w),b``)."""
    from emoeval.errors import RunConfigError
    from emoeval.metric_config import split_top_level

    if value is None:
        return None
    try:
        names = split_top_level(value)
    except RunConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--metrics") from None
    if not names:
        raise click.BadParameter("give at least one metric name", param_hint="--metrics")
    return names


def _parse_weights(values: tuple[str, ...]) -> dict[str, str]:
    weights = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"{value!r} is not NAME=PATH", param_hint="--weights")
        weights[name] = path
    return weights


@main.command()
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option(
    "--metrics",
    "metric_names",
    help="Comma-separated metrics, each a name or name(param=value, ...), e.g. "
    "'face_emotion_accuracy(recognizer=deepface-emotion),face_fd' (default: all that apply).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="An emoeval.toml with score options and [params.<metric>] tables (options given here win).",
)
@click.option("--out", type=click.Path(path_type=Path), help="Folder for the results (required, here or in --config).")
@click.option("--label-set", help="Dataset whose emotion codes target_emotion uses (emodb, iemocap, ...).")
@click.option("--real", type=click.Path(path_type=Path), help="Reference set of real outputs (folder or manifest).")
@click.option("--real-system", help="A system of MANIFEST that holds the real outputs (the FID/KID reference).")
@click.option(
    "--emotion-reference",
    type=click.Path(path_type=Path),
    help="Labelled real emotional recordings (table or <emotion>/ folder) or a fitted probe folder (emotion metrics).",
)
@click.option("--weights", multiple=True, metavar="NAME=PATH", help="Explicit weight file/folder for a model.")
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder (EMOEVAL_MODELS_DIR).")
@click.option("--allow-network", is_flag=True, default=None, help="Allow downloading missing weights (else offline).")
@click.option("--no-cache", is_flag=True, default=None, help="Do not read or write the model-output cache.")
@click.option("--no-resume", is_flag=True, default=None, help="Start over even if an interrupted run is in --out.")
@click.option("--overwrite", is_flag=True, default=None, help="Replace the results of another run in --out.")
@click.option(
    "--n-bootstrap",
    type=click.IntRange(min=0),
    help="Bootstrap resamples of the system-level intervals (default 2000); 0 computes no intervals (NaN).",
)
@click.option("--seed", type=int, help="Seed of the bootstrap (default 0).")
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    help="Where the models run: this process (local, default) or Ray actors (ray; pip install 'emoeval[ray]').",
)
@click.option("--address", help="Ray cluster address for --backend ray (default: RAY_ADDRESS, else a local Ray).")
@click.option("--num-workers", type=click.IntRange(min=1), help="Ray actors for --backend ray (default: one per CPU).")
@click.option(
    "--worker-cache",
    type=click.Choice(["shared", "worker", "off"]),
    help="Ray workers' output cache: the run's cache folder (shared, default), each worker's own, or none.",
)
@click.option("--quiet", is_flag=True, help="No progress bars and no summary.")
def score(
    manifest: Path,
    metric_names: str | None,
    config_file: Path | None,
    out: Path | None,
    label_set: str | None,
    real: Path | None,
    real_system: str | None,
    emotion_reference: Path | None,
    weights: tuple[str, ...],
    models_dir: Path | None,
    allow_network: bool | None,
    no_cache: bool | None,
    no_resume: bool | None,
    overwrite: bool | None,
    n_bootstrap: int | None,
    seed: int | None,
    backend: str | None,
    address: str | None,
    num_workers: int | None,
    worker_cache: str | None,
    quiet: bool,
) -> None:
    """Score the samples of MANIFEST (CSV/JSONL/Parquet or a <system>/<emotion>/<file> folder)."""
    from emoeval.api import score as run_score
    from emoeval.metric_config import ScoreConfig, load_config
    from emoeval.reports.console import render_summary

    config = load_config(config_file) if config_file is not None else ScoreConfig()
    given = {
        "metrics": _split_metrics(metric_names),
        "out": out,
        "label_set": label_set,
        "real": real,
        "real_system": real_system,
        "emotion_reference": emotion_reference,
        "weights": _parse_weights(weights) or None,
        "models_dir": models_dir,
        "allow_network": True if allow_network else None,
        "use_cache": False if no_cache else None,
        "resume": False if no_resume else None,
        "overwrite": True if overwrite else None,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "backend": backend,
        "address": address,
        "num_workers": num_workers,
        "worker_cache": worker_cache,
    }
    options = {**config.options, **{key: value for key, value in given.items() if value is not None}}
    if options.get("out") is None:
        raise click.UsageError("give --out FOLDER (or out = ... in the --config file)")
    destination = Path(options.pop("out"))
    results = run_score(
        manifest, out=destination, params=config.params or None, progress=False if quiet else None, **options
    )
    if not quiet:
        click.echo(render_summary(results))
        click.echo(f"\nresults: {destination / 'results.parquet'} (also results.csv, run.json)")


@main.command("metrics")
@click.argument("names", nargs=-1)
def list_metrics(names: tuple[str, ...]) -> None:
    """List the registered metrics (or NAMES): modality, scope, inputs, parameters with their defaults and allowed
    models, outputs with direction and range; then the old names that still work."""
    from emoeval.metric_config import describe_parameters
    from emoeval.registry import get_metric_class, metric_aliases, metric_names

    for name in names or metric_names():
        metric_class = get_metric_class(name)
        spec = metric_class.spec
        inputs = ", ".join(
            f"{item.name}{':' + item.media if item.media else ''}{'' if item.required else ' (optional)'}"
            for item in spec.all_inputs
        )
        click.echo(f"{spec.name}  [{spec.modality}, {spec.scope}, v{spec.version}]  inputs: {inputs or '-'}")
        if spec.summary:
            click.echo(f"    {spec.summary}")
        if metric_class.family is not None:
            default = "" if metric_class.run_by_default else "; not run by default"
            click.echo(f"    family: {metric_class.family} (--metrics {metric_class.family}{default})")
        for line in describe_parameters(metric_class):
            click.echo(f"    param {line}")
        for output in spec.outputs:
            arrow = {True: "higher is better", False: "lower is better", None: "no direction"}[output.higher_is_better]
            low, high = (
                ("-inf" if math.isinf(v) and v < 0 else "inf" if math.isinf(v) else f"{v:g}") for v in output.range
            )
            headline = " (headline)" if output is spec.headline else ""
            click.echo(f"    {output.name}: range [{low}, {high}], {arrow}{headline}")
        if spec.models:
            click.echo(f"    default models: {', '.join(spec.models)}")
    if not names:
        aliases = metric_aliases()
        if aliases:
            click.echo("\nold names (one more release, with a warning):")
            for alias in aliases.values():
                click.echo(f"    {alias.alias} -> {alias.replacement}")


@main.group()
def models() -> None:
    """Reference models: list them, verify their weights, pull missing weights."""


models.add_command(fit_emotion_probe)
models.add_command(trust_model_command)


def _store(models_dir: Path | None) -> Any:
    from emoeval.reference_models.store import WeightStore, default_models_dir

    return WeightStore(models_dir=models_dir or default_models_dir())


@models.command("list")
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder.")
def models_list(models_dir: Path | None) -> None:
    """Registered reference models, their weight files, sha256 and whether a verified copy is present."""
    from emoeval.registry import get_reference_model_class, reference_model_names

    store = _store(models_dir)
    for name in reference_model_names():
        card = get_reference_model_class(name).card
        report = store.verify(card)
        status = next((state for _, state, _ in report if state != "ok"), "ok")
        click.echo(f"{name}@{card.version}  [{status}]  {card.summary}  ({card.license})")
        for weight, (_, state, detail) in zip(card.files, report, strict=True):
            where = detail if state == "ok" else state
            pinned = store.pinned_sha256(card, weight)
            if not pinned and weight.code:
                digest = f"sha256 unpinned (code, no published hash: emoeval models pull/trust {name})"
            elif not pinned:
                digest = "sha256 unpinned (no published hash; pinned on first use)"
            else:
                digest = f"sha256 {pinned[:16]}…" + ("" if weight.pinned else " (pinned on first use)")
            size = f"{weight.size / 1e6:.1f} MB" if weight.size else "size unknown"
            click.echo(f"    {weight.filename}  {digest}  {size}  {where}")


@models.command("verify")
@click.argument("names", nargs=-1)
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder.")
def models_verify(names: tuple[str, ...], models_dir: Path | None) -> None:
    """Check the sha256 of every weight file (of NAMES, or of all models); exit 1 if any fails."""
    from emoeval.registry import get_reference_model_class, reference_model_names

    store = _store(models_dir)
    failed = 0
    for name in names or reference_model_names():
        card = get_reference_model_class(name).card
        for filename, state, detail in store.verify(card):
            click.echo(f"{name}/{filename}: {state}" + (f" ({detail})" if state == "ok" else f"\n    {detail}"))
            failed += state != "ok"
    if failed:
        raise EmoevalError(f"{failed} weight file(s) missing or not matching their sha256")


@models.command("pull")
@click.argument("name")
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder.")
def models_pull(name: str, models_dir: Path | None) -> None:
    """Download NAME's missing weight files into the store (verified by sha256; resumes after interruption)."""
    from tqdm.auto import tqdm

    from emoeval.registry import get_reference_model_class

    card = get_reference_model_class(name).card
    bars: dict[str, Any] = {}

    def progress(filename: str, done: int, total: int | None) -> None:
        bar = bars.get(filename)
        if bar is None:
            bar = bars[filename] = tqdm(total=total, desc=filename, unit="B", unit_scale=True, leave=False)
        bar.update(done - bar.n)

    try:
        resolved = _store(models_dir).pull(card, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    for weight in resolved:
        click.echo(f"{name}/{weight.path.name}: ok ({weight.source}: {weight.path})")


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("emoeval-demo"),
    show_default=True,
    help="Folder for the demo's results.",
)
def demo(out: Path) -> None:
    """Score the shipped demo set (real faces, voice-conversion outputs, dialogues) and print a summary."""
    from emoeval.demo import demo_report, run_demo
    from emoeval.reports.console import render_summary

    started = time.perf_counter()
    results = run_demo(out)
    click.echo(render_summary(results))
    click.echo(
        f"\n{len(results.samples())} sample rows, {len(results.systems())} system rows in "
        f"{time.perf_counter() - started:.1f} s; results in {out}/ (results.parquet, results.csv, run.json)"
    )
    click.echo(demo_report(results, out).summary())


@main.command("report")
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="HTML file to write; its JSON twin goes beside it (report.json).",
)
@click.option("--title", help="Title of the page (default: the run id).")
@click.option(
    "--gallery",
    "per_cell",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Gallery samples per system and target emotion (0: no gallery).",
)
@click.option(
    "--worst",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Start each gallery cell with its N worst-scoring samples.",
)
@click.option("--worst-by", metavar="METRIC[/SUB]", help="Output that decides 'worst' (default: all headline outputs).")
@click.option("--link-media", is_flag=True, help="Link media files by relative path instead of embedding them.")
@click.option(
    "--manifest",
    type=click.Path(exists=True, path_type=Path),
    help="The samples' manifest, when the one recorded in run.json is not found.",
)
@click.option("--label-set", help="Dataset whose emotion codes the manifest uses (emodb, iemocap, ...).")
@click.option(
    "--thumb-px",
    type=click.IntRange(min=16),
    default=160,
    show_default=True,
    help="Longer side of embedded image thumbnails.",
)
@click.option(
    "--audio-seconds",
    type=click.FloatRange(min=0.5),
    default=6.0,
    show_default=True,
    help="Length of embedded audio clips.",
)
@click.option(
    "--prosody-plots",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="F0-contour plots of speech samples against their references (0: none).",
)
@click.option(
    "--cost",
    "cost_folders",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A generation folder (emoeval generate) whose latency and memory go beside the quality; repeatable.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance level behind the leaderboard's best marks.",
)
def report_command(
    results: Path,
    out: Path,
    title: str | None,
    per_cell: int,
    worst: int,
    worst_by: str | None,
    link_media: bool,
    manifest: Path | None,
    label_set: str | None,
    thumb_px: int,
    audio_seconds: float,
    prosody_plots: int,
    cost_folders: tuple[Path, ...],
    alpha: float,
) -> None:
    """Render RESULTS (a folder written by `emoeval score`, `emoeval augment` or `emoeval generate`) as one
    self-contained HTML page."""
    from emoeval.reports.html import report

    written = report(
        results,
        out,
        title=title,
        per_cell=per_cell,
        worst=worst,
        worst_by=worst_by,
        link_media=link_media,
        manifest=manifest,
        label_set=label_set,
        thumb_px=thumb_px,
        audio_seconds=audio_seconds,
        prosody_plots=prosody_plots,
        alpha=alpha,
        cost=cost_folders,
    )
    click.echo(written.summary())


for _command in (*STATS_COMMANDS, *GATE_COMMANDS, *CACHE_COMMANDS, *SIGNAL_COMMANDS, augment_command, generate_command):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
