"""``emoeval augment``: generated data as training data for an emotion recogniser (see :func:`emoeval.augment`)."""

from __future__ import annotations

from pathlib import Path

import click


def _floats(value: str | None, option: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        numbers = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers", param_hint=option) from None
    if not numbers:
        raise click.BadParameter("give at least one number", param_hint=option)
    return numbers


def _named(values: tuple[str, ...], option: str) -> dict[str, str]:
    named = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise click.BadParameter(f"{value!r} is not NAME=MANIFEST", param_hint=option)
        named[name.strip()] = path.strip()
    return named


@click.command("augment")
@click.argument("real", type=click.Path(path_type=Path))
@click.argument("synthetic", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Folder for the results table and run.json."
)
@click.option(
    "--features",
    help="Reference model(s) whose frozen outputs are the features, joined by '+' (default per modality: face "
    "fer-mini-xception-features, speech whisper-tiny-en-encoder+speech-prosody-functionals, text all-minilm-l6-v2, "
    "signal signal-descriptors-peripheral).",
)
@click.option(
    "--group-by",
    default="group",
    show_default=True,
    help="Column naming the speaker/identity (a group is never on both sides of a split); 'sample_id' for independent "
    "items.",
)
@click.option(
    "--learner",
    "learners",
    multiple=True,
    type=click.Choice(["logistic", "linear_svm"]),
    help="Recogniser(s) (default logistic; repeat for both).",
)
@click.option("--real-fractions", help="Shares of the real training fold for the gain curves (default 0.1,0.25,0.5,1).")
@click.option("--ratios", help="Synthetic:real ratios for the gain curves (default 0.5,1,2).")
@click.option(
    "--cross-domain", multiple=True, metavar="NAME=MANIFEST", help="Another real corpus to test on (repeatable)."
)
@click.option("--label-set", help="Dataset whose emotion codes target_emotion uses (emodb, meld, ...).")
@click.option("--n-splits", type=int, default=20, show_default=True, help="Repeated group-aware splits.")
@click.option("--test-size", type=float, default=0.25, show_default=True, help="Share of the groups in each test fold.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the splits and resamples.")
@click.option("--weights", multiple=True, metavar="NAME=PATH", help="Explicit weight file/folder for a model.")
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder (EMOEVAL_MODELS_DIR).")
@click.option("--allow-network", is_flag=True, default=None, help="Allow downloading missing weights (else offline).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the model-output cache.")
@click.option("--overwrite", is_flag=True, help="Replace the results of another run in --out.")
@click.option("--quiet", is_flag=True, help="No progress and no summary.")
def augment_command(
    real: Path,
    synthetic: tuple[Path, ...],
    out: Path,
    features: str | None,
    group_by: str,
    learners: tuple[str, ...],
    real_fractions: str | None,
    ratios: str | None,
    cross_domain: tuple[str, ...],
    label_set: str | None,
    n_splits: int,
    test_size: float,
    seed: int,
    weights: tuple[str, ...],
    models_dir: Path | None,
    allow_network: bool | None,
    no_cache: bool,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Does synthetic data help an emotion recogniser on REAL data, for which emotions, and is it copying?

    REAL is a labelled manifest (target_emotion, a speaker/identity column); each SYNTHETIC manifest holds one or
    more generated sets (its system column names them). Prints the overview and writes the long results table.
    """
    from emoeval.metrics.augmentation.run import augment
    from emoeval.reports.augmentation_overview import render_overview

    options: dict[str, object] = {}
    if (fractions := _floats(real_fractions, "--real-fractions")) is not None:
        options["real_fractions"] = fractions
    if (numbers := _floats(ratios, "--ratios")) is not None:
        options["ratios"] = numbers
    results = augment(
        real,
        list(synthetic),
        out=out,
        features=features,
        group_by=group_by,
        learners=learners or ("logistic",),
        cross_domain=_named(cross_domain, "--cross-domain") or None,
        label_set=label_set,
        n_splits=n_splits,
        test_size=test_size,
        seed=seed,
        weights=_named(weights, "--weights") or None,
        models_dir=models_dir,
        allow_network=True if allow_network else None,
        use_cache=not no_cache,
        overwrite=overwrite,
        progress=False if quiet else None,
        **options,  # type: ignore[arg-type]
    )
    if not quiet:
        click.echo(render_overview(results))
        for note in results.run.get("notes", []):
            click.echo(f"note: {note}")
        click.echo(f"\nresults: {out / 'results.parquet'} (also results.csv, run.json); report: emoeval report {out}")


__all__ = ["augment_command"]
