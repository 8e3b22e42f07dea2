"""``emoeval signals``: physiological-signal utilities (``convert``: a dataset layout into emoeval's files and a
manifest, :func:`emoeval.media.signal_datasets.convert`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("signals")
def signals_group() -> None:
    """Physiological recordings: convert published dataset layouts."""


@signals_group.command("convert")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--layout", type=click.Choice(["deap", "dreamer", "amigos", "wesad"]), required=True, help="The dataset's layout."
)
@click.option(
    "--channels", help="Channel types to keep, comma-separated (default per layout, e.g. deap eeg,eda,rsp,ppg,temp)."
)
@click.option("--subjects", help="Only these subjects, comma-separated (e.g. s01,s02; WESAD S2,S3).")
@click.option("--keep-baseline", is_flag=True, help="DEAP: keep the 3 s pre-trial baseline.")
@click.option("--gsr-to-conductance", is_flag=True, help="DEAP: write GSR as 1e6 / value (skin resistance Ω → µS).")
def convert_command(
    source: Path,
    out: Path,
    layout: str,
    channels: str | None,
    subjects: str | None,
    keep_baseline: bool,
    gsr_to_conductance: bool,
) -> None:
    """Write the trials of a DEAP, DREAMER, AMIGOS or WESAD copy in SOURCE as .npz files and a manifest.csv in OUT
    (the manifest names subjects and ratings: use it with emoeval score, or as --emotion-reference with
    --label-set deap|dreamer|amigos)."""
    from emoeval.media.signal_datasets import convert

    summary = convert(
        layout,
        source,
        out,
        channel_types=[c.strip() for c in channels.split(",") if c.strip()] if channels else None,
        subjects=[s.strip() for s in subjects.split(",") if s.strip()] if subjects else None,
        keep_baseline=keep_baseline,
        gsr_to_conductance=gsr_to_conductance,
    )
    click.echo(
        f"{summary['files']} recordings of {summary['subjects']} subject(s), {summary['seconds'] / 60:.1f} min, "
        f"channel types {', '.join(summary['channel_types'])}\nmanifest: {summary['manifest']}"
    )


SIGNAL_COMMANDS = (signals_group,)

__all__ = ["SIGNAL_COMMANDS", "signals_group"]
