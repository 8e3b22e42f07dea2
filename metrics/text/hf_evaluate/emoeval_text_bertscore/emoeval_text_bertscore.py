"""BERTScore-style matching on MiniLM tokens — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_bertscore"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """BERTScore-style greedy matching on all-MiniLM-L6-v2 token embeddings (emoeval's text_bertscore): no
idf, no baseline rescaling; not comparable with published RoBERTa-large BERTScores."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts.
    references: list of reference responses (one per prediction).
Returns:
    f1, precision, recall (means and per-item lists), errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextBERTScore(evaluate.Metric):
    """BERTScore-style greedy matching on all-MiniLM-L6-v2 token embeddings"""

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
        return standalone.bertscore(predictions, references, pool=self._models())
