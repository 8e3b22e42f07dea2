"""Emotion-accuracy scoring shared by the face, speech and text emotion metrics: system values and outputs.

The pure maths (divergences, predicted label, confusion counts, recall, macro-F1, cosine matrices, rank AUC,
the emotion-separation check) lives in :mod:`emoeval.functional.emotion` — the layer reference models may use
too — and is re-exported here under the same names. This module adds what only metrics need: a recognizer
outputs a probability distribution over its own label list; a target emotion outside that list is *not
scorable* (a per-sample error, :func:`not_scorable_message`), never counted as wrong. :func:`accuracy_summary`
turns one system's per-sample rows of an emotion-accuracy metric into its system-level values (macro-F1 with a
bootstrap interval, per-class recall with a Wilson interval, confusion counts); :data:`ACCURACY_OUTPUTS` are the
outputs every emotion-accuracy metric declares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from emoeval.functional.emotion import (
    confusion_counts,
    cosine_matrix,
    emotion_separation,
    js_divergence,
    kl_divergence,
    macro_f1,
    macro_f1_codes,
    per_class_recall,
    predicted_label,
    rank_auc,
)
from emoeval.metric import Output, SystemValue

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.stats.aggregate import BootstrapSettings

#: the name the fast macro-F1 on integer codes had here (the face metric and its tests import it)
_macro_f1_codes = macro_f1_codes


# -- system values ---------------------------------------------------------------------------------------------


def macro_f1_with_ci(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """:func:`macro_f1` (over the classes present) with a seeded percentile bootstrap interval over samples.

    Each resample draws the samples with replacement and computes macro-F1 over the classes present among
    *its* targets (:func:`emoeval.stats.aggregate.bootstrap_corpus`). Returns (value, low, high); the
    interval is NaN for fewer than two samples.
    """
    from emoeval.stats.aggregate import bootstrap_corpus

    labels = sorted(set(y_true) | set(y_pred))
    code = {label: i for i, label in enumerate(labels)}
    true = np.array([code[t] for t in y_true], dtype=np.int64)
    pred = np.array([code[p] for p in y_pred], dtype=np.int64)

    def compute(indices: Sequence[int]) -> dict[str, float]:
        chosen = np.asarray(indices, dtype=np.int64)
        return {"macro_f1": macro_f1_codes(true[chosen], pred[chosen], len(labels))}

    estimate = bootstrap_corpus(
        np.arange(len(true)), compute, confidence=confidence, n_resamples=n_resamples, seed=seed
    )["macro_f1"]
    return estimate.value, estimate.ci_low, estimate.ci_high


def not_scorable_message(target: str | None, labels: Sequence[str]) -> str:
    """The per-sample error for a target emotion the recognizer cannot output."""
    return f"not scorable: the recognizer's labels are {', '.join(labels)}; target emotion {target!r} is not among them"


def accuracy_summary(rows: pd.DataFrame, labels: Sequence[str], bootstrap: BootstrapSettings) -> list[SystemValue]:
    """System values of an emotion-accuracy metric from one system's sample rows.

    ``rows`` has the columns ``sample_id, target_emotion, sub_metric, value, label, error`` (the runner's
    summary frame); the scored samples are the ``correct`` rows without error, their predicted label in
    ``label``. Returns ``macro_f1`` (over the target emotions present, seeded percentile bootstrap interval),
    ``recall`` per target class among ``labels`` (Wilson interval) and ``confusion`` counts (``statistic=
    "count"``, true class in ``target_emotion``, predicted class in ``label``, one cell per label in
    ``labels``, zeros included).
    """
    from statsmodels.stats.proportion import proportion_confint

    scored = rows[(rows["sub_metric"] == "correct") & rows["error"].isna() & rows["label"].notna()]
    y_true = [str(v) for v in scored["target_emotion"]]
    y_pred = [str(v) for v in scored["label"]]
    if not y_true:
        return [SystemValue("macro_f1", math.nan, n=0, error="no sample of this system could be scored (see errors)")]
    labels = list(labels)
    classes = [label for label in labels if label in set(y_true)]
    value, low, high = macro_f1_with_ci(
        y_true, y_pred, confidence=bootstrap.confidence, n_resamples=bootstrap.n_resamples, seed=bootstrap.seed
    )
    values = [SystemValue("macro_f1", value, low, high, n=len(y_true), statistic="value")]
    counts = confusion_counts(y_true, y_pred, labels)
    for cls in classes:
        row = counts[labels.index(cls)]
        n_cls, hits = int(row.sum()), int(row[labels.index(cls)])
        ci_low, ci_high = proportion_confint(hits, n_cls, alpha=1.0 - bootstrap.confidence, method="wilson")
        values.append(SystemValue("recall", hits / n_cls, float(ci_low), float(ci_high), n=n_cls, target_emotion=cls))
        values.extend(
            SystemValue("confusion", float(count), n=n_cls, statistic="count", target_emotion=cls, label=predicted)
            for predicted, count in zip(labels, row, strict=True)
        )
    return values


def labels_seen(rows: pd.DataFrame) -> list[str]:
    """The emotions a metric's sample rows name (targets and predictions), sorted: the label set of a recognizer
    whose labels are known only once it is loaded, when every verdict came from the cache."""
    seen = {str(v) for v in rows["label"].dropna()} | {str(v) for v in rows["target_emotion"].dropna()}
    return sorted(seen)


# -- the outputs every emotion-accuracy metric declares (face, speech, text) --------------------------------------

CORRECT = Output("correct", higher_is_better=True, range=(0.0, 1.0), description="top label = target (mean: accuracy)")
TARGET_PROBABILITY = Output(
    "target_probability",
    higher_is_better=True,
    range=(0.0, 1.0),
    description="recognizer's probability of the target emotion",
)
MACRO_F1 = Output(
    "macro_f1",
    higher_is_better=True,
    range=(0.0, 1.0),
    description="macro-F1 over the target emotions present (bootstrap CI)",
    scope="system",
)
RECALL = Output(
    "recall",
    higher_is_better=True,
    range=(0.0, 1.0),
    description="per target emotion: share recognized as it (Wilson CI)",
    scope="system",
)
CONFUSION = Output(
    "confusion",
    higher_is_better=None,
    range=(0.0, math.inf),
    description="count of samples of target_emotion predicted as label (no direction)",
    scope="system",
)
#: correct, target_probability (per sample); macro_f1, recall, confusion (per system), in this order
ACCURACY_OUTPUTS: tuple[Output, ...] = (CORRECT, TARGET_PROBABILITY, MACRO_F1, RECALL, CONFUSION)

__all__ = [
    "ACCURACY_OUTPUTS",
    "CONFUSION",
    "CORRECT",
    "MACRO_F1",
    "RECALL",
    "TARGET_PROBABILITY",
    "accuracy_summary",
    "confusion_counts",
    "cosine_matrix",
    "emotion_separation",
    "js_divergence",
    "kl_divergence",
    "labels_seen",
    "macro_f1",
    "macro_f1_with_ci",
    "not_scorable_message",
    "per_class_recall",
    "predicted_label",
    "rank_auc",
]
