"""Planning: which samples each metric applies to, with the inputs it declares read as typed parts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emoeval.errors import EmoevalError, ManifestError, RunConfigError

if TYPE_CHECKING:
    from emoeval.metric import Metric
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


def check_media(metrics: Sequence[Metric]) -> None:
    """Every modality and input media type the metrics declare must be registered (else a clear error)."""
    from emoeval.registry import media_type_names
    from emoeval.samples import MULTIMODAL

    known = set(media_type_names())
    for metric in metrics:
        wanted = {metric.spec.modality} | {item.media for item in metric.spec.all_inputs if item.media is not None}
        wanted.discard(MULTIMODAL)  # the reserved modality of bundle metrics: bundles' parts have registered types
        unknown = sorted(wanted - known)
        if unknown:
            raise RunConfigError(
                f"metric {metric.spec.name!r} reads media type(s) {', '.join(unknown)}, which no installed package "
                f"registers (registered: {', '.join(sorted(known))}); install the plug-in that provides them"
            )


def with_inputs(sample: Sample, metric: Metric) -> Sample:
    """``sample`` with each input ``metric`` declares (with a media type) read as a part of that type: a manifest
    column named like the input becomes a typed part, its relative path resolved against the manifest's folder."""
    from emoeval.samples import resolve_input

    for item in metric.spec.all_inputs:
        sample = resolve_input(sample, item.name, item.media)
    return sample


def plan(samples: Sequence[Sample], metrics: Sequence[Metric]) -> list[PlanEntry]:
    """Which samples each metric applies to (by modality and required inputs), grouped by system in sorted order.

    A sample whose declared input cannot be read as its media type (a bad cell) is skipped for that metric, and
    the reason counted, like a missing input.

    A metric whose ``spec.modality`` is ``multimodal`` (:data:`emoeval.samples.MULTIMODAL`) applies to the run's
    multimodal *bundles* instead: each system's samples that share a ``group`` across modalities, or one
    multi-part sample, gathered into one sample by :func:`emoeval.samples.bundle_samples` (samples that form
    none are counted in ``skipped``). Runs without such a metric are planned exactly as before.
    """
    from emoeval.samples import MULTIMODAL, bundle_samples

    check_media(metrics)
    entries: list[PlanEntry] = []
    for metric in metrics:
        by_system: dict[str, list[Sample]] = {}
        skipped: Counter[str] = Counter()
        references = metric.reference_systems()
        candidates: Sequence[Sample] = samples
        if metric.spec.modality == MULTIMODAL:
            candidates, not_bundled = bundle_samples([s for s in samples if s.system not in references])
            skipped.update(not_bundled)
        for sample in candidates:
            if sample.modality != metric.spec.modality or sample.system in references:
                continue
            try:
                sample = with_inputs(sample, metric)
            except (ManifestError, EmoevalError) as exc:
                skipped[f"unreadable input: {exc}"] += 1
                continue
            missing = [item.name for item in metric.spec.required_inputs if not sample.has(item.name)]
            if missing:
                skipped[f"no {' or '.join(missing)}"] += 1
                continue
            by_system.setdefault(sample.system, []).append(sample)
        entries.append(PlanEntry(metric, dict(sorted(by_system.items())), dict(skipped)))
    return entries


__all__ = ["PlanEntry", "check_media", "plan", "with_inputs"]
