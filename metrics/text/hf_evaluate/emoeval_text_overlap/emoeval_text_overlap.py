"""Overlap with reference responses — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_overlap"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """Overlap with reference responses (emoeval's text_overlap and text_corpus_bleu): corpus BLEU and chrF
(sacrebleu), mean sentence BLEU and chrF, and ROUGE-L F (rouge-score)."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts.
    references: list of reference responses (one per prediction).
    rouge_stemmer: use rouge-score's Porter stemmer (default False).
Returns:
    bleu, chrf (corpus), sentence_bleu, sentence_chrf, rouge_l (means and per-item lists), errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextOverlap(evaluate.Metric):
    """Overlap with reference responses"""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[str], references: list[str], rouge_stemmer: bool = False) -> dict[str, Any]:
        return standalone.overlap(predictions, references, rouge_stemmer=rouge_stemmer)
