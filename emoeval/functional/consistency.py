"""Multimodal emotion consistency: do the face, the voice and the words of one generated bundle show the same
emotion? Pure NumPy (JS divergence from :mod:`emoeval.functional.emotion`).

Each modality's recognizer gives a distribution over **its own** labels (FER's seven for faces, the reference
set's emotions for the speech probe, ...), all already spelled in emoeval's canonical vocabulary
(:mod:`emoeval.labels`; the metric maps them there). Two recognizers can only be compared on the labels **both**
can produce — their *shared vocabulary*. The rules, used by every function below:

- **Mapping onto a vocabulary** (:func:`to_vocabulary`): the probabilities of the labels inside the vocabulary,
  in its order, renormalised to sum to 1, and the *inside mass* (their sum before renormalising).
- **Not scorable, never a miss.** A pair of readings is *scorable* when the top label of each (over its own
  recognizer's full label set) lies in the shared vocabulary **and** each has at least ``min_mass`` (default
  0.5) of its probability inside it. Otherwise the pair says nothing about agreement: a face FER reads as
  "surprise" cannot disagree with a voice recognizer that has no "surprise", so the pair is left out of every
  rate and count (and reported as not scorable), never counted as a disagreement.
- **Top-label agreement** of a scorable pair: 1 when both top labels are the same, else 0.
- **JS divergence** of a scorable pair: :func:`~emoeval.functional.emotion.js_divergence` (base 2, in [0, 1],
  0 = identical) of the two mapped (restricted, renormalised) distributions over the shared vocabulary.
- **Target agreement** of one reading: 1 when its top label is the target emotion, 0 when not; not scorable
  (None) when the recognizer cannot produce the target (e.g. target "boredom" for FER's seven labels).
- **Confusion** of modality A vs B (:func:`~emoeval.functional.emotion.confusion_counts` of A's and B's top
  labels over the scorable pairs — a None side is not counted): C[i, j] counts the bundles where A's top label is
  ``vocabulary[i]`` and B's is ``vocabulary[j]``; its trace over its sum is the agreement rate.

Checked against direct numpy/scipy computations in tests/unit/test_multimodal_consistency.py and on the CREMA-D
crowd votes (face-only vs voice-only) in tests/integration/test_consistency_cremad.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emoeval.functional.emotion import js_divergence, predicted_label

#: the least probability mass a reading must put inside the shared vocabulary for its pair to be scorable
DEFAULT_MIN_MASS = 0.5


def shared_vocabulary(labels_a: Sequence[str], labels_b: Sequence[str]) -> tuple[str, ...]:
    """The labels both recognizers can produce, in the order of ``labels_a``.

    >>> shared_vocabulary(["angry", "happy", "surprise", "neutral"], ["neutral", "happy", "boredom"])
    ('happy', 'neutral')
    """
    other = set(labels_b)
    return tuple(dict.fromkeys(label for label in labels_a if label in other))


def to_vocabulary(
    probabilities: Sequence[float] | np.ndarray, labels: Sequence[str], vocabulary: Sequence[str]
) -> tuple[np.ndarray, float]:
    """(the distribution over ``vocabulary``, the mass inside it): the probabilities of the recognizer's labels
    that lie in ``vocabulary``, summed per vocabulary label (a label listed twice adds up), renormalised to sum to 1;
    and their sum before renormalising (the share of the reading the vocabulary can express). With no mass inside,
    the distribution is all zeros and the mass 0.

    >>> p, mass = to_vocabulary([0.5, 0.3, 0.2], ["happy", "surprise", "neutral"], ["neutral", "happy"])
    >>> p.round(4).tolist(), round(mass, 4)
    ([0.2857, 0.7143], 0.7)
    """
    array = np.asarray(probabilities, dtype=np.float64).ravel()
    if array.size != len(labels):
        raise ValueError(f"{array.size} probabilities for {len(labels)} labels")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("probabilities must be finite and non-negative")
    total = float(array.sum())
    if total <= 0:
        raise ValueError("the probabilities sum to 0; not a distribution")
    array = array / total
    index = {label: i for i, label in enumerate(vocabulary)}
    mapped = np.zeros(len(vocabulary), dtype=np.float64)
    for probability, label in zip(array, labels, strict=True):
        if label in index:
            mapped[index[label]] += probability
    inside = float(mapped.sum())
    return (mapped / inside if inside > 0 else mapped), inside


@dataclass(frozen=True)
class PairReading:
    """How two modalities' readings of one bundle compare (see the module docstring).

    ``scorable`` false means the pair says nothing (``reason`` says why); then ``agree`` and ``js`` are None.
    ``top_a`` / ``top_b`` are each reading's top label over its own recognizer's labels.
    """

    scorable: bool
    top_a: str
    top_b: str
    agree: bool | None
    js: float | None
    mass_a: float
    mass_b: float
    reason: str | None = None


def compare_pair(
    probabilities_a: Sequence[float] | np.ndarray,
    labels_a: Sequence[str],
    probabilities_b: Sequence[float] | np.ndarray,
    labels_b: Sequence[str],
    *,
    min_mass: float = DEFAULT_MIN_MASS,
) -> PairReading:
    """Top-label agreement and JS divergence of two readings on their shared vocabulary, or not scorable.

    >>> r = compare_pair([0.8, 0.2], ["happy", "neutral"], [0.1, 0.6, 0.3], ["neutral", "happy", "boredom"])
    >>> r.scorable, r.agree, round(r.js, 4), round(r.mass_b, 2)
    (True, True, 0.0042, 0.7)
    >>> compare_pair([0.1, 0.9], ["happy", "surprise"], [0.9, 0.1], ["happy", "neutral"]).reason
    "top label 'surprise' of A is not among B's labels"
    """
    if not 0.0 <= min_mass <= 1.0:
        raise ValueError(f"min_mass must lie in [0, 1], got {min_mass}")
    shared = shared_vocabulary(labels_a, labels_b)
    top_a, top_b = predicted_label(probabilities_a, labels_a), predicted_label(probabilities_b, labels_b)
    p, mass_a = to_vocabulary(probabilities_a, labels_a, shared)
    q, mass_b = to_vocabulary(probabilities_b, labels_b, shared)
    reason = None
    if not shared:
        reason = "the two recognizers share no label"
    elif top_a not in shared:
        reason = f"top label {top_a!r} of A is not among B's labels"
    elif top_b not in shared:
        reason = f"top label {top_b!r} of B is not among A's labels"
    elif mass_a < min_mass or mass_b < min_mass:
        reason = f"less than {min_mass:g} of a reading's mass is on the shared labels (A {mass_a:.2f}, B {mass_b:.2f})"
    if reason is not None:
        return PairReading(False, top_a, top_b, None, None, mass_a, mass_b, reason)
    return PairReading(True, top_a, top_b, top_a == top_b, js_divergence(p, q), mass_a, mass_b)


def target_agreement(
    probabilities: Sequence[float] | np.ndarray, labels: Sequence[str], target: str | None
) -> bool | None:
    """Whether the reading's top label is ``target``; None (not scorable) without a target, or when the
    recognizer cannot produce it.

    >>> target_agreement([0.2, 0.8], ["neutral", "happy"], "happy"), target_agreement([1.0], ["happy"], "boredom")
    (True, None)
    """
    if target is None or target not in labels:
        return None
    return predicted_label(probabilities, labels) == target


def bundle_consistent(agreements: Sequence[bool | None]) -> bool | None:
    """A bundle is consistent when every scorable pair agrees on the top label; None when no pair is scorable.

    >>> bundle_consistent([True, None, True]), bundle_consistent([True, False]), bundle_consistent([None])
    (True, False, None)
    """
    scored = [agree for agree in agreements if agree is not None]
    if not scored:
        return None
    return all(scored)


def agreement_rate(agreements: Sequence[bool | None]) -> tuple[int, int]:
    """(agreeing pairs, scorable pairs): not scorable pairs (None) count in neither.

    >>> agreement_rate([True, False, None, True])
    (2, 3)
    """
    scored = [agree for agree in agreements if agree is not None]
    return int(sum(scored)), len(scored)


def mean_or_nan(values: Sequence[float | None]) -> float:
    """Mean of the values that are not None (NaN when none is)."""
    present = [float(v) for v in values if v is not None]
    return float(np.mean(present)) if present else math.nan


__all__ = [
    "DEFAULT_MIN_MASS",
    "PairReading",
    "agreement_rate",
    "bundle_consistent",
    "compare_pair",
    "mean_or_nan",
    "shared_vocabulary",
    "target_agreement",
    "to_vocabulary",
]
