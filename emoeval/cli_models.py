"""``emoeval models fit-emotion-probe`` and ``emoeval models trust``.

``fit-emotion-probe`` fits an emotion probe on a labelled reference set and saves it (no pickle); the work is
done by :class:`emoeval.reference_models.emotion_probe.EmotionProbeModel`, this module prints the report.
``trust`` is the explicit step that lets emoeval run the configuration code of a model folder whose files have
no published hash (:func:`emoeval.reference_models.base.trust_model`). Both are registered on the ``models``
group in :mod:`emoeval.cli`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from emoeval.errors import EmoevalError


def format_confusion(labels: list[str], counts: list[list[int]]) -> str:
    """A confusion matrix as text: rows true, columns predicted.

    >>> print(format_confusion(["happy", "sad"], [[2, 1], [0, 3]]))
    true \\ pred  happy    sad
    happy            2      1
    sad              0      3
    """
    head = "true \\ pred"
    width = max(len(head), *(len(label) for label in labels))
    cell = max(5, *(len(label) for label in labels))
    lines = [f"{head:<{width}}  " + "  ".join(f"{label:>{cell}}" for label in labels).rstrip()]
    lines += [
        f"{label:<{width}}  " + "  ".join(f"{count:>{cell}}" for count in row)
        for label, row in zip(labels, counts, strict=True)
    ]
    return "\n".join(line.rstrip() for line in lines)


def _number(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


@click.command("fit-emotion-probe")
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the probe artefact.")
@click.option(
    "--model",
    "model_name",
    default="speech-emotion-probe",
    show_default=True,
    help="The probe model: speech-emotion-probe (recordings) or text-emotion-probe (a table with a text column).",
)
@click.option("--label-set", help="Dataset whose emotion codes MANIFEST uses (emodb, iemocap, ...).")
@click.option(
    "--c", "c", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Inverse L2 strength."
)
@click.option(
    "--block-weighting",
    type=click.Choice(["none", "equal"]),
    default="none",
    show_default=True,
    help="equal: scale each feature extractor's block to the same total variance.",
)
@click.option("--class-weight", type=click.Choice(["balanced", "none"]), default="balanced", show_default=True)
@click.option("--weights", multiple=True, metavar="NAME=PATH", help="Explicit weight file/folder for a model.")
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder (EMOEVAL_MODELS_DIR).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the model-output cache.")
def fit_emotion_probe(
    manifest: Path,
    out: Path,
    model_name: str,
    label_set: str | None,
    c: float,
    block_weighting: str,
    class_weight: str,
    weights: tuple[str, ...],
    models_dir: Path | None,
    no_cache: bool,
) -> None:
    """Fit an emotion probe on MANIFEST (labelled real recordings) and save it in --out.

    MANIFEST is a table (CSV/JSONL/Parquet) with a file column (path or file), an emotion column
    (target_emotion, emotion or label), optionally a speaker column and a group column (group, dialogue_id or
    dialogue: items that stay in one fold, e.g. a dialogue's utterances), or a folder <emotion>/<file>. Prints
    leave-one-speaker-out (else grouped, else stratified k-fold) accuracy, macro-F1 and the confusion matrix, and writes
    probe.json + probe.npz + probe.sha256 (no pickle), cv_predictions.csv and report.json.
    """
    from emoeval.cache import OutputCache, default_cache_dir
    from emoeval.context import ScoringContext
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.emotion_probe import (
        PREDICTIONS_CSV,
        EmotionProbeModel,
        ProbeSettings,
        probe_card,
    )
    from emoeval.reference_models.store import WeightStore, default_models_dir
    from emoeval.registry import get_reference_model_class

    explicit = {}
    for value in weights:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"{value!r} is not NAME=PATH", param_hint="--weights")
        explicit[name] = Path(path)
    model_class = get_reference_model_class(model_name)
    if not issubclass(model_class, EmotionProbeModel):
        raise EmoevalError(f"{model_name!r} is not an emotion probe model")
    settings = ProbeSettings(c=c, block_weighting=block_weighting, class_weight=class_weight)  # type: ignore[arg-type]
    pool = ModelPool(WeightStore(models_dir=models_dir or default_models_dir(), explicit=explicit))
    cache = None if no_cache else OutputCache(default_cache_dir())
    items = model_class.read_reference(manifest, label_set=label_set)
    click.echo(f"{len(items)} labelled items in {manifest}; computing {', '.join(model_class.requires)} features ...")
    probe, dropped, used = model_class.fit(items, ScoringContext(pool, cache), settings=settings, source=str(manifest))
    hashes = probe.save(out)
    report = probe.report.get("cross_validation", {})
    labels = list(report.get("labels", probe.labels))
    _write_predictions(out / PREDICTIONS_CSV, used, labels, report)
    (out / "report.json").write_text(json.dumps(probe.metadata()["report"], indent=2) + "\n")
    card = probe_card(model_class.card, out)
    for item, reason in dropped:
        click.echo(f"dropped {item.item}: {reason}", err=True)
    training = probe.training
    click.echo(
        f"fitted {model_name} on {training['n']} items, {len(probe.labels)} emotions "
        f"({', '.join(f'{k} {v}' for k, v in training['per_label'].items())}), {training['n_speakers']} speakers"
    )
    click.echo(
        f"{report.get('scheme', 'no cross-validation')}: accuracy {_number(report.get('accuracy'))}, macro-F1 "
        f"{_number(report.get('macro_f1'))}, balanced accuracy {_number(report.get('balanced_accuracy'))} "
        f"(chance: majority {_number(report.get('chance_majority'))}, 1/K {_number(report.get('chance_uniform'))})"
    )
    if report:
        click.echo(format_confusion(labels, report["confusion"]))
    separation = probe.report.get("separation", {})
    if separation:
        click.echo(
            "embedding separation on the reference set: within-emotion cosine "
            f"{_number(separation.get('within_emotion'))}"
            f", across {_number(separation.get('across_emotion'))}, AUC {_number(separation.get('auc'))}"
            + (
                f", speaker-vs-emotion AUC {_number(separation.get('speaker_vs_emotion_auc'))}"
                if "speaker_vs_emotion_auc" in separation
                else ""
            )
        )
    click.echo(f"\nprobe: {out} (probe.json sha256 {hashes['probe.json']}, probe.npz sha256 {hashes['probe.npz']})")
    click.echo(f"artefact sha256 {card.weights_sha256}; training set sha256 {training['sha256']}")
    click.echo(f"use it: emoeval score MANIFEST --out DIR --emotion-reference {out}")


@click.command("trust")
@click.argument("name")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--models-dir", type=click.Path(path_type=Path), help="Weight store folder (EMOEVAL_MODELS_DIR).")
def trust_model_command(name: str, folder: Path | None, models_dir: Path | None) -> None:
    """Trust NAME's files in FOLDER (or where emoeval finds them): load the model once, then pin their sha256.

    Some model folders hold code: speechbrain's hyperparams.yaml (HyperPyYAML's !new/!name/!apply tags call
    Python while the file loads) and custom_interface.py. emoeval refuses such a file until it is pinned; run
    this only for a copy you trust (it runs that code). The pins are written once the model has loaded (a
    failed load pins nothing) and replace those of an earlier copy; later runs refuse any changed file.
    """
    from emoeval.reference_models.base import trust_model
    from emoeval.reference_models.store import default_models_dir

    store_dir = models_dir or default_models_dir()
    model = trust_model(name, folder, models_dir=store_dir)
    card = model.card
    for filename, resolved in sorted(model.weights.items()):
        weight = card.file(filename)
        if weight.pinned:
            state = "published sha256 checked"
        elif resolved.first_use:
            state = f"pinned in {store_dir / name / (filename + '.sha256')}"
        else:
            state = "already pinned"
        kind = " (code)" if weight.code else ""
        click.echo(f"{name}/{filename}{kind}: sha256 {resolved.sha256}  {state}  ({resolved.source}: {resolved.path})")
    click.echo(f"{name} loaded and trusted; later runs load these files without this step and refuse a changed one")


def _write_predictions(path: Path, items: list[Any], labels: list[str], report: dict[str, Any]) -> None:
    """Out-of-fold predictions per item: file, label, speaker, predicted, target probability, probabilities."""
    import pandas as pd

    from emoeval.csv_safe import write_csv

    probabilities = report.get("oof_probabilities")
    if not probabilities:
        return
    rows = []
    for item, row, predicted in zip(items, probabilities, report["oof_predicted"], strict=True):
        record = {
            "item": str(item.item),
            "emotion": item.label,
            "speaker": item.speaker,
            "predicted": predicted,
            "target_probability": row[labels.index(item.label)],
        }
        record.update({f"p_{label}": value for label, value in zip(labels, row, strict=True)})
        rows.append(record)
    write_csv(pd.DataFrame(rows), path)


__all__ = ["fit_emotion_probe", "format_confusion", "trust_model_command"]
