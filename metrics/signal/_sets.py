"""Shared pieces of the signal metrics that compare a system with a reference set of real recordings.

- :class:`SameLength` — a mixin for the embedding-based reference-set metrics (``signal_fd``, ``signal_kid``,
  ``signal_prdc``, ``signal_emotion_diversity``): every embedding must have as many values as the reference set's.
  An embedder such as ``signal-spectrum`` gives one block per channel, so recordings with another channel layout
  give vectors of another length; without this check they fail deep inside NumPy (``could not broadcast``). A
  system recording of another length becomes its own error row naming both lengths; a reference set mixing
  lengths stops the run (:class:`~emoeval.errors.RunConfigError`) — its statistics would mean nothing.
- :class:`RecordingSetMetric` — the base of the metrics that read recordings themselves rather than through an
  embedder (``signal_spectral_distance``, ``signal_correlation_structure``): each recording of the system and of
  the reference set (``real=`` folder or manifest, or ``real_system=``) becomes a per-recording *state* by
  :meth:`RecordingSetMetric.describe`; :meth:`RecordingSetMetric.compute` compares a system's states with the
  reference's, overall or within one target emotion.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.metric import CorpusMetric

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.media.signal import Signal
    from emoeval.samples import Sample


class SameLength:
    """Mixin for a :class:`~emoeval.metrics.reference_set.ReferenceSetMetric`: every embedding has the reference
    set's length (module docstring). Put it before the reference-set base in the class bases."""

    _length: int | None = None
    _length_source: str = ""
    _in_reference: bool = False

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        self._length, self._length_source, self._in_reference = None, "", True
        try:
            super().setup(context, samples)  # type: ignore[misc]
        finally:
            self._in_reference = False

    def _outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[Any]:
        import numpy as np

        outputs = super()._outputs(context, items)  # type: ignore[misc]
        embedder = getattr(self, "embedder", "the embedder")
        checked: list[Any] = []
        for item, output in zip(items, outputs, strict=True):
            if isinstance(output, SampleInputError):
                checked.append(output)
                continue
            size = int(np.size(output))
            if self._length is None:
                self._length, self._length_source = size, str(item)
            elif size != self._length:
                where = f"{embedder} gives {size} values for {item} but {self._length} for {self._length_source}"
                if self._in_reference:
                    raise RunConfigError(
                        f"{type(self).spec.name}: the reference set mixes channel layouts — {where}; give a "  # type: ignore[attr-defined]
                        "reference set whose recordings have the same channels in the same order"
                    )
                checked.append(
                    SampleInputError(
                        f"{item}: its channel layout differs from the reference set's — {where} (a reference "
                        "recording); compare recordings with the same channels in the same order, or choose an "
                        "embedder that reads fixed channel types (signal-descriptors-*)"
                    )
                )
                continue
            checked.append(output)
        return checked


class RecordingSetMetric(CorpusMetric):
    """A corpus metric comparing a system's recordings with a reference set's, reading the files itself.

    Subclasses implement :meth:`describe` (one recording → its state, or :class:`SampleInputError`) and
    :meth:`compare` (the system's states vs the reference's → values). States must be picklable (a Ray run
    returns them from its workers). The reference is described once, in :meth:`setup`.
    """

    interval = "bootstrap_recentred"  # distances between set means grow with a resample's repeats: centre them
    max_resamples: ClassVar[int | None] = 200

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = False
    ) -> None:
        name = type(self).spec.name
        if (real is None) == (real_system is None):
            raise RunConfigError(
                f"{name} compares each system with a reference set: give exactly one of real=<folder or manifest "
                "of real recordings> or real_system=<the run's system holding them>"
                + (f" (got both: real={real!r}, real_system={real_system!r})" if real is not None else "")
            )
        self.real = real
        self.real_system = real_system
        self.by_emotion = by_emotion
        self.reference_errors: list[str] = []
        self.reference_size = 0
        self.reference_emotions: dict[str, int] = {}
        self._reference: list[tuple[Any, str | None]] | None = None

    def reference_systems(self) -> frozenset[str]:
        return frozenset() if self.real_system is None else frozenset({self.real_system})

    # -- subclass hooks -----------------------------------------------------------------------------------------
    def describe(self, signal: Signal) -> Any:
        """The state of one recording (raise :class:`SampleInputError` naming the problem)."""
        raise NotImplementedError

    def compare(self, system: Sequence[Any], reference: Sequence[Any]) -> tuple[dict[str, float], list[str]]:
        """Values of the system's states against the reference's, and caveats for the warning column."""
        raise NotImplementedError

    # -- the reference set --------------------------------------------------------------------------------------
    def _reference_paths(self, samples: Sequence[Sample]) -> list[tuple[Path | str, str | None]]:
        from emoeval.metrics.reference_set import reference_set_items

        return reference_set_items(
            self.spec.name, self.spec.modality, samples, real=self.real, real_system=self.real_system
        )

    def _state(self, path: Path | str | None) -> Any:
        from emoeval.media.signal import read_signal

        if path is None:
            raise SampleInputError("no recording (the sample's path is empty)")
        return self.describe(read_signal(path))

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Read and describe every reference recording (unusable ones are skipped and counted)."""
        reference: list[tuple[Any, str | None]] = []
        self.reference_errors = []
        items = self._reference_paths(samples)
        for path, emotion in items:
            try:
                reference.append((self._state(path), emotion))
            except SampleInputError as exc:
                self.reference_errors.append(str(exc))
        if len(reference) < 2:
            raise RunConfigError(
                f"{self.spec.name}: only {len(reference)} of {len(items)} reference recordings could be used"
                + (f"; first error: {self.reference_errors[0]}" if self.reference_errors else "")
            )
        self._reference = reference
        self.reference_size = len(reference)
        self.reference_emotions = dict(sorted(Counter(e for _, e in reference if e is not None).items()))
        self._parts: dict[str | None, list[Any]] = {}

    def _reference_part(self, emotion: str | None) -> list[Any]:
        """The reference states compared with: those of ``emotion`` (when the reference has emotions), else all."""
        if self._reference is None:
            raise RuntimeError(f"{self.spec.name}: call setup() (the runner does) before compute()")
        key = emotion if emotion is not None and self.reference_emotions else None
        if key not in self._parts:
            self._parts[key] = [state for state, label in self._reference if key is None or label == key]
        return self._parts[key]

    # -- the system ---------------------------------------------------------------------------------------------
    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        found: list[Any] = []
        for sample in samples:
            try:
                found.append(self._state(sample.path))
            except SampleInputError as exc:
                found.append(exc)
        return found

    def compute(self, states: Sequence[Any], *, emotion: str | None = None) -> dict[str, float]:
        reference = self._reference_part(emotion)
        if len(reference) < 1 or len(states) < 1:
            return {output.name: math.nan for output in self.spec.outputs}
        return self.compare(states, reference)[0]

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        notes: list[str] = []
        if self.reference_errors:
            notes.append(
                f"{len(self.reference_errors)} reference recording(s) skipped, e.g. "
                + "; ".join(self.reference_errors[:2])
            )
        reference = self._reference_part(emotion)
        if emotion is not None and self.reference_emotions and not reference:
            notes.append(
                f"the reference set has no {emotion!r} recording (it has {', '.join(self.reference_emotions)})"
            )
        elif states and reference:
            notes.extend(self.compare(states, reference)[1])
        return notes


__all__ = ["RecordingSetMetric", "SameLength"]
