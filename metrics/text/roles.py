"""The roles of the text metrics' model parameters (what a model card lists in ``roles``).

A metric checks its model parameters with :meth:`emoeval.metric.Metric.check_model`.
"""

from __future__ import annotations

RECOGNIZER_ROLE = "text-emotion-recognizer"
EMBEDDER_ROLE = "sentence-embedder"
NLI_ROLE = "nli"

__all__ = ["EMBEDDER_ROLE", "NLI_ROLE", "RECOGNIZER_ROLE"]
