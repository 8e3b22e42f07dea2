"""Scores of emotion recognizers that every modality shares: divergences, accuracy, macro-F1, recall, confusion,
and the emotion-separation check of an embedding space. Pure NumPy/SciPy, no torch.

A recognizer outputs a probability distribution over its own label list (:func:`predicted_label` takes the top
one). The classification scores take string labels and match scikit-learn (``f1_score(average="macro")``,
``confusion_matrix``, ``recall_score(average=None)``); the divergences match :func:`scipy.stats.entropy` and
:func:`scipy.spatial.distance.jensenshannon` (tests/unit/test_metric_maths.py). Used by the emotion-accuracy
metrics of every modality (:mod:`emoeval.metrics.emotion_scores` re-exports these names) and by the emotion probe
(:mod:`emoeval.reference_models.emotion_probe`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _distribution(p: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(p, dtype=np.float64).ravel()
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be a non-empty vector of finite, non-negative numbers")
    total = float(array.sum())
    if total <= 0:
        raise ValueError(f"{name} sums to 0; it is not a probability distribution")
    return array / total


def kl_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, *, base: float = 2.0) -> float:
    """Kullback–Leibler divergence KL(p ‖ q) = Σ pᵢ log(pᵢ/qᵢ), in units of log ``base``.

    Both vectors are normalised to sum to 1 (as :func:`scipy.stats.entropy` does); terms with pᵢ = 0 are 0;
    ∞ when some qᵢ = 0 < pᵢ.

    >>> round(kl_divergence([0.5, 0.5], [0.25, 0.75]), 6)
    0.207519
    """
    p_, q_ = _distribution(p, "p"), _distribution(q, "q")
    if p_.shape != q_.shape:
        raise ValueError(f"p and q differ in length ({p_.size} vs {q_.size})")
    support = p_ > 0
    if np.any(q_[support] == 0):
        return math.inf
    return float(np.sum(p_[support] * np.log(p_[support] / q_[support])) / math.log(base))


def js_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, *, base: float = 2.0) -> float:
    """Jensen–Shannon divergence ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; in [0, 1] for ``base=2``.

    Symmetric and always finite; 0 for identical distributions, 1 (base 2) for disjoint supports. It is the
    square of the Jensen–Shannon *distance* of :func:`scipy.spatial.distance.jensenshannon`.

    >>> js_divergence([1.0, 0.0], [0.0, 1.0])
    1.0
    >>> js_divergence([0.2, 0.8], [0.2, 0.8])
    0.0
    """
    p_, q_ = _distribution(p, "p"), _distribution(q, "q")
    if p_.shape != q_.shape:
        raise ValueError(f"p and q differ in length ({p_.size} vs {q_.size})")
    m = 0.5 * (p_ + q_)
    value = 0.5 * kl_divergence(p_, m, base=base) + 0.5 * kl_divergence(q_, m, base=base)
    upper = 1.0 if base == 2.0 else math.log(2.0) / math.log(base)
    return float(min(max(value, 0.0), upper))  # round-off must not leave [0, log_base 2]


def predicted_label(probabilities: Sequence[float] | np.ndarray, labels: Sequence[str]) -> str:
    """The label with the highest probability (the first one on a tie).

    >>> predicted_label([0.1, 0.7, 0.2], ["angry", "happy", "sad"])
    'happy'
    """
    array = np.asarray(probabilities, dtype=np.float64).ravel()
    if array.size != len(labels):
        raise ValueError(f"{array.size} probabilities for {len(labels)} labels")
    return labels[int(np.argmax(array))]


def confusion_counts(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Confusion matrix C (len(labels)²): C[i, j] = samples of true class labels[i] predicted as labels[j].

    Pairs with a label outside ``labels`` are not counted (as in :func:`sklearn.metrics.confusion_matrix`).

    >>> confusion_counts(["happy", "happy", "sad"], ["happy", "sad", "sad"], ["happy", "sad"]).tolist()
    [[1, 1], [0, 1]]
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for true, pred in zip(y_true, y_pred, strict=True):
        if true in index and pred in index:
            counts[index[true], index[pred]] += 1
    return counts


def per_class_recall(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    """Recall (TP / samples of the class) of each class in ``classes``; NaN for a class with no sample.

    >>> per_class_recall(["happy", "happy", "sad"], ["happy", "sad", "sad"], ["happy", "sad"])
    {'happy': 0.5, 'sad': 1.0}
    """
    recalls: dict[str, float] = {}
    for cls in classes:
        positives = [pred for true, pred in zip(y_true, y_pred, strict=True) if true == cls]
        recalls[cls] = sum(pred == cls for pred in positives) / len(positives) if positives else math.nan
    return recalls


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None) -> float:
    """Unweighted mean over ``classes`` of F1 = 2·TP / (2·TP + FP + FN).

    ``classes`` defaults to the classes present among the true labels (the target emotions), sorted.
    Predictions of any other label still count as misses (FN) of their true class, but add no F1 term of their
    own. A class with TP + FP + FN = 0 has F1 = 0 (scikit-learn's ``zero_division=0``). This is
    ``sklearn.metrics.f1_score(y_true, y_pred, labels=classes, average="macro")``. NaN with no class.

    >>> round(macro_f1(["happy", "happy", "sad", "sad"], ["happy", "neutral", "sad", "happy"]), 6)  # (1/2 + 2/3) / 2
    0.583333
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    chosen = sorted(set(y_true)) if classes is None else list(classes)
    if not chosen:
        return math.nan
    scores = []
    for cls in chosen:
        tp = sum(t == cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(y_true, y_pred, strict=True))
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def macro_f1_codes(true: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """:func:`macro_f1` on integer-coded labels (classes = codes present in ``true``); fast, for resampling."""
    counts = np.bincount(true * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    present = np.flatnonzero(counts.sum(axis=1))
    if present.size == 0:
        return math.nan
    tp = np.diag(counts)[present]
    fp = counts.sum(axis=0)[present] - tp
    fn = counts.sum(axis=1)[present] - tp
    return float(np.mean(2 * tp / (2 * tp + fp + fn)))


def cosine_matrix(embeddings: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarities of the rows of ``embeddings`` (n, d): an (n, n) matrix, 1 on the diagonal.

    >>> cosine_matrix(np.array([[1.0, 0.0], [1.0, 1.0]])).round(6).tolist()
    [[1.0, 0.707107], [0.707107, 1.0]]
    """
    x = np.asarray(embeddings, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1)
    if np.any(norms == 0):
        raise ValueError("cosine similarity of a zero vector is undefined")
    unit = x / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


def rank_auc(positives: Sequence[float] | np.ndarray, negatives: Sequence[float] | np.ndarray) -> float:
    """P(a positive scores above a negative) + ½ P(tie): the ROC AUC (Mann–Whitney U / (n₊ n₋)); NaN if a
    side is empty.

    >>> rank_auc([0.9, 0.8], [0.1, 0.8])
    0.875
    """
    pos = np.asarray(positives, dtype=np.float64).ravel()
    neg = np.asarray(negatives, dtype=np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        return math.nan
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks: a tie counts one half
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def emotion_separation(
    embeddings: np.ndarray, emotions: Sequence[str], speakers: Sequence[str | None] | None = None
) -> dict[str, float]:
    """Does cosine similarity in an embedding space group recordings by emotion? (the separation check)

    Over all pairs of distinct recordings: ``within_emotion`` and ``across_emotion`` mean cosines, their
    difference ``gap``, and ``auc``, the probability that a same-emotion pair is more similar than a
    different-emotion pair (0.5 = the space ignores emotion). When ``speakers`` are known (no None), also
    ``same_speaker_across_emotion`` (same speaker, different emotion) and ``other_speaker_within_emotion``
    (same emotion, different speaker) means and ``speaker_vs_emotion_auc``: the probability that a
    different-emotion pair of one speaker is more similar than a same-emotion pair of two speakers — above
    0.5, the space tracks the speaker more than the emotion. Counts of pairs are in ``n_within``,
    ``n_across``. Values are NaN where a kind of pair does not occur.

    >>> x = np.array([[1.0, 0.1], [1.0, 0.2], [0.1, 1.0], [0.2, 1.0]])
    >>> emotion_separation(x, ["happy", "happy", "sad", "sad"])["auc"]
    1.0
    """
    similarity = cosine_matrix(embeddings)
    n = similarity.shape[0]
    if len(emotions) != n:
        raise ValueError(f"{n} embeddings but {len(emotions)} emotions")
    upper = np.triu_indices(n, k=1)
    labels = np.asarray([str(e) for e in emotions])
    same_emotion = (labels[:, None] == labels[None, :])[upper]
    values = similarity[upper]
    result = {
        "within_emotion": float(values[same_emotion].mean()) if same_emotion.any() else math.nan,
        "across_emotion": float(values[~same_emotion].mean()) if (~same_emotion).any() else math.nan,
        "auc": rank_auc(values[same_emotion], values[~same_emotion]),
        "n_within": float(same_emotion.sum()),
        "n_across": float((~same_emotion).sum()),
    }
    result["gap"] = result["within_emotion"] - result["across_emotion"]
    if speakers is not None and len(speakers) == n and all(s is not None for s in speakers):
        who = np.asarray([str(s) for s in speakers])
        same_speaker = (who[:, None] == who[None, :])[upper]
        speaker_pairs = values[same_speaker & ~same_emotion]
        emotion_pairs = values[~same_speaker & same_emotion]
        result["same_speaker_across_emotion"] = float(speaker_pairs.mean()) if speaker_pairs.size else math.nan
        result["other_speaker_within_emotion"] = float(emotion_pairs.mean()) if emotion_pairs.size else math.nan
        result["speaker_vs_emotion_auc"] = rank_auc(speaker_pairs, emotion_pairs)
    return result


__all__ = [
    "confusion_counts",
    "cosine_matrix",
    "emotion_separation",
    "js_divergence",
    "kl_divergence",
    "macro_f1",
    "macro_f1_codes",
    "per_class_recall",
    "predicted_label",
    "rank_auc",
]
