"""The vocabulary of an augmentation study in the results table: its metric names, scores and run kind.

Written by :mod:`emoeval.metrics.augmentation.study` (which documents each metric's sub-metrics, labels and
intervals) and read by the report (:mod:`emoeval.reports.augmentation`), which may not import metrics: the
names live here, below both.
"""

from __future__ import annotations

#: run.json "kind" of an augmentation study (a scoring run has none)
KIND = "augmentation"
PROTOCOL = "augmentation_protocol"
GAIN = "augmentation_gain"
EFFICIENCY = "augmentation_label_efficiency"
CROSS_DOMAIN = "augmentation_cross_domain"
FIDELITY = "augmentation_fidelity"
LABEL_NOISE = "augmentation_label_noise"
CLASS_BALANCE = "augmentation_class_balance"
MEMORISATION = "augmentation_memorisation"
FEATURES = "augmentation_features"
#: score names of the protocol (overall) — per-class recall comes with ``target_emotion``
SCORES: tuple[str, ...] = ("accuracy", "balanced_accuracy", "macro_f1")
HEADLINE_SCORE = "balanced_accuracy"

__all__ = [
    "CLASS_BALANCE",
    "CROSS_DOMAIN",
    "EFFICIENCY",
    "FEATURES",
    "FIDELITY",
    "GAIN",
    "HEADLINE_SCORE",
    "KIND",
    "LABEL_NOISE",
    "MEMORISATION",
    "PROTOCOL",
    "SCORES",
]
