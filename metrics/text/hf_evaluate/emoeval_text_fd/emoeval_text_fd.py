"""Frechet text distance — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_fd"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """Frechet text distance (emoeval's text_fd): Frechet distance between the Gaussians of the all-
MiniLM-L6-v2 embeddings of the predictions and of the references (two sets)."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts (one system's responses).
    references: list of real responses (the same number here; use
        emoeval.metrics.text.standalone.frechet_distance for sets of different sizes).
Returns:
    fd, n, n_references, errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextFD(evaluate.Metric):
    """Frechet text distance"""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _models(self) -> Any:
        """One model pool per module instance: models load once, on first use."""
        from emoeval.reference_models.base import ModelPool

        if getattr(self, "_pool", None) is None:
            self._pool = ModelPool()
        return self._pool

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, Any]:
        return standalone.frechet_distance(predictions, references, pool=self._models())
