"""Diversity of a set of responses — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_diversity"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """Diversity of a set of responses (emoeval's text_distinct_n, text_self_bleu, text_ngram_entropy,
text_repetition): distinct-1/2/3, self-BLEU (sacrebleu), n-gram entropy in bits and repetition."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts (one system's responses).
Returns:
    distinct_1, distinct_2, distinct_3, self_bleu, entropy_1, entropy_2, entropy_3, repeated_responses,
        intra_repetition, n, errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextDiversity(evaluate.Metric):
    """Diversity of a set of responses"""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions: list[str]) -> dict[str, Any]:
        return standalone.diversity(predictions)
