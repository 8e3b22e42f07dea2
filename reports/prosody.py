"""Prosody plots: the F0 (pitch) contour of a generated recording beside its reference's, for a few speech
samples of the gallery (the first of each system whose contour the run recorded).

The report analyses no audio. The contours are the ones the prosody metrics tracked while scoring
(``speech_prosody_distance`` and ``speech_mcd``: output and reference; ``speech_prosody_descriptors``: the output
alone), saved by the run as artefacts in the results folder (:mod:`emoeval.artifacts`): the speech span of each
recording, WORLD (or pYIN) F0 at the metric's settings, at most 200 points, unvoiced frames left out (gaps in the
line), times in seconds from the start of the recording. Results without such artefacts (no prosody metric run,
results given in memory rather than as a folder, or a folder written before artefacts existed) get no plot and a
note saying why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.reports.gallery import Gallery
from emoeval.reports.rows import in_order, sample_rows

if TYPE_CHECKING:
    import pandas as pd

#: the note when the run recorded no contour for any speech sample shown
NO_CONTOURS = (
    "no F0 contours were recorded for the speech samples shown: the prosody metrics (speech_prosody_distance, "
    "speech_mcd, speech_prosody_descriptors) save them in the results folder when they run; the report analyses "
    "no audio itself"
)
#: the note when the results were not read from a folder (the artefacts live there)
NO_FOLDER = (
    "F0 contours are read from the artefacts a run saves in its results folder; these results were given in memory "
    "(pass the results folder to the report to see them)"
)


@dataclass(frozen=True)
class Contour:
    """F0 in Hz per point (NaN where unvoiced) and the point times in seconds."""

    times: tuple[float, ...]
    f0: tuple[float, ...]

    @property
    def median_hz(self) -> float:
        voiced = sorted(value for value in self.f0 if math.isfinite(value))
        if not voiced:
            return math.nan
        middle = len(voiced) // 2
        return voiced[middle] if len(voiced) % 2 else (voiced[middle - 1] + voiced[middle]) / 2

    @property
    def voiced_share(self) -> float:
        return sum(math.isfinite(value) for value in self.f0) / len(self.f0) if self.f0 else math.nan


@dataclass(frozen=True)
class ProsodyExample:
    """One sample's contours: the output's, and the reference's when the metric that recorded them compared
    the two (None otherwise). ``metric`` is the metric whose artefacts they are."""

    sample_id: str
    system: str
    target_emotion: str | None
    output: Contour
    reference: Contour | None
    metric: str = ""


def _contour(artifacts: Mapping[str, Any], part: str) -> Contour | None:
    from emoeval.artifacts import f0_contour_from

    found = f0_contour_from(artifacts, part)
    if found is None:
        return None
    times, f0 = found
    return Contour(
        times=tuple(round(float(t), 3) for t in times),
        f0=tuple(round(float(v), 2) if math.isfinite(v) else math.nan for v in f0),
    )


def recorded_contours(
    results_dir: Path, config_hash: str | None, metrics: Sequence[str], sample_id: str
) -> tuple[str, Contour, Contour | None] | None:
    """``(metric, output contour, reference contour or None)`` from the first of ``metrics`` whose artefacts of
    ``sample_id`` hold an output contour, preferring one that also holds the reference's; None when none does."""
    from emoeval.artifacts import load_artifacts

    fallback = None
    for metric in metrics:
        artifacts = load_artifacts(results_dir, metric, sample_id, config_hash=config_hash)
        if not artifacts:
            continue
        output = _contour(artifacts, "output")
        if output is None:
            continue
        reference = _contour(artifacts, "reference")
        if reference is not None:
            return metric, output, reference
        fallback = fallback or (metric, output, None)
    return fallback


def prosody_examples(
    gallery: Gallery,
    table: pd.DataFrame,
    *,
    results_dir: Path | None,
    run: Mapping[str, Any],
    limit: int = 6,
) -> tuple[list[ProsodyExample], str]:
    """Contours of the first gallery sample of each speech system that has recorded ones (at most ``limit``),
    and a note when there are speech samples but no contour to show."""
    speech = [cell for cell in gallery.cells if cell.modality == "speech"]
    if not speech or limit <= 0:
        return [], ""
    if results_dir is None:
        return [], NO_FOLDER
    rows = sample_rows(table)
    config_hash = run.get("config_hash")
    examples: list[ProsodyExample] = []
    done: set[str] = set()
    for cell in speech:
        if cell.system in done or len(examples) >= limit:
            continue
        for item in cell.items:
            metrics = in_order(rows.loc[rows["sample_id"].astype(str) == item.sample_id, "metric"])
            found = recorded_contours(Path(results_dir), config_hash, metrics, item.sample_id)
            if found is None:
                continue
            metric, output, reference = found
            examples.append(ProsodyExample(item.sample_id, item.system, item.target_emotion, output, reference, metric))
            done.add(cell.system)
            break
    return examples, "" if examples else NO_CONTOURS


def contour_pairs(examples: Sequence[ProsodyExample]) -> list[tuple[ProsodyExample, float, float]]:
    """Each example with the median F0 of output and reference (Hz; NaN without a reference), for the captions."""
    return [
        (example, example.output.median_hz, example.reference.median_hz if example.reference else math.nan)
        for example in examples
    ]
