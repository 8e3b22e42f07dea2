"""Shared step of reference-based embedding metrics: embed each output and its reference, pair them up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample


def embed_with_reference(
    samples: Sequence[Sample], context: ScoringContext, model: str
) -> list[tuple[np.ndarray, np.ndarray] | str]:
    """Per sample, ``(output embedding, reference embedding)``, or the text of the error that prevents it."""
    outputs = [sample.path for sample in samples]
    references = [Path(sample.reference) for sample in samples]  # type: ignore[arg-type]
    embeddings = context.outputs(model, [*outputs, *references])  # type: ignore[list-item]
    pairs: list[tuple[np.ndarray, np.ndarray] | str] = []
    for index in range(len(samples)):
        output, reference = embeddings[index], embeddings[len(samples) + index]
        if isinstance(output, SampleInputError):
            pairs.append(f"output: {output}")
        elif isinstance(reference, SampleInputError):
            pairs.append(f"reference: {reference}")
        else:
            pairs.append((output, reference))
    return pairs
