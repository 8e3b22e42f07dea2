"""Emotion accuracy of text responses — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_emotion"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """Emotion accuracy of text responses (emoeval's text_emotion_accuracy): each prediction is classified
by emoeval's zero-shot text emotion recognizer (all-MiniLM-L6-v2 prototypes + NRC EmoLex + VADER;
NRC EmoLex is for research use) or the DistilRoBERTa plug-in, and compared with its reference
emotion label."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts.
    references: list of emotion labels (angry, disgust, fear, happy/joy, sad/sadness, surprise, neutral).
    recognizer: the `recognizer=` of emoeval's text_emotion_accuracy: "text-emotion-zeroshot" (default, offline;
        short name "zeroshot") or "distilroberta-emotion" (hub plug-in, `emoeval models pull distilroberta-emotion`;
        short name "distilroberta").
Returns:
    accuracy, macro_f1, weighted_f1, target_probability, per-item lists, predicted labels, errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextEmotion(evaluate.Metric):
    """Emotion accuracy of text responses"""

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

    def _compute(self, predictions: list[str], references: list[str], recognizer: str = "zeroshot") -> dict[str, Any]:
        return standalone.emotion(predictions, references, recognizer=recognizer, pool=self._models())
