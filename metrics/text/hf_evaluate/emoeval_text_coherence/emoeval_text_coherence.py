"""Dialogue coherence — a local Hugging Face ``evaluate`` module shipped with emoeval.

Load it offline with ``evaluate.load(module_path("emoeval_text_coherence"))`` (``module_path`` from
:mod:`emoeval.metrics.text.standalone`); the numbers come from emoeval's own metric code.
"""

from typing import Any

import datasets
import evaluate

from emoeval.metrics.text import standalone

_DESCRIPTION = """Dialogue coherence (emoeval's text_coherence and text_next_utterance_rank): cosine similarity of
all-MiniLM-L6-v2 embeddings of each response to the last context turn and to the whole history, and
next-utterance ranking against the other responses."""

_KWARGS_DESCRIPTION = """Args:
    predictions: list of response texts.
    references: list of contexts, each a list of turns (oldest first).
    n_distractors: distractor responses per item for the ranking (default 9).
    seed: seed of the distractor draw (default 0).
Returns:
    last_turn, history (means and per-item lists), win_rate, hit_at_1, mrr, errors."""

_CITATION = """emoeval: an evaluation suite for emotion-synthesis generators (see the emoeval metric cards)."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EmoevalTextCoherence(evaluate.Metric):
    """Dialogue coherence"""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
            ),
        )

    def _models(self) -> Any:
        """One model pool per module instance: models load once, on first use."""
        from emoeval.reference_models.base import ModelPool

        if getattr(self, "_pool", None) is None:
            self._pool = ModelPool()
        return self._pool

    def _compute(
        self, predictions: list[str], references: list[list[str]], n_distractors: int = 9, seed: int = 0
    ) -> dict[str, Any]:
        return standalone.coherence(
            predictions, references, n_distractors=n_distractors, seed=seed, pool=self._models()
        )
