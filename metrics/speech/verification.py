"""Speaker-verification error rates of similarity scores: EER and minDCF (speechbrain's definitions).

Given the scores of *target* trials (same speaker) and *non-target* trials (different speakers), a threshold
accepts every trial scoring above it. The **equal error rate** is where the false-rejection rate (targets at
or below the threshold) equals the false-acceptance rate (non-targets above it); **minDCF** is the minimum over
thresholds of C_det = c_miss · P_miss · p_target + c_fa · P_fa · (1 − p_target) (NIST SRE detection cost, not
normalised). Both come from ``speechbrain.utils.metric_stats`` (candidate thresholds: the sorted unique
scores and the midpoints between them; the EER is (FAR + FRR)/2 at the threshold where they are closest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from emoeval.errors import MissingDependencyError

#: the ``meta`` key (manifest column) that marks a sample as a same-speaker (target) or different-speaker trial
TRIAL_KEY = "same_speaker"
SAME_LABEL = "same_speaker"
DIFFERENT_LABEL = "different_speaker"
_TRUE = frozenset({"1", "true", "yes", "y", "same", "target"})
_FALSE = frozenset({"0", "false", "no", "n", "different", "nontarget", "non-target"})


def trial_label(value: Any) -> str | None:
    """``same_speaker`` / ``different_speaker`` for a manifest's trial marker; None when absent; ValueError else.

    >>> trial_label("yes"), trial_label(0), trial_label(None)
    ('same_speaker', 'different_speaker', None)
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().lower()
    if text in _TRUE or text == "1.0":
        return SAME_LABEL
    if text in _FALSE or text == "0.0":
        return DIFFERENT_LABEL
    raise ValueError(f"{TRIAL_KEY}={value!r} is neither true (1/true/yes/same) nor false (0/false/no/different)")


@dataclass(frozen=True, slots=True)
class VerificationErrors:
    """EER and minDCF with their thresholds, and the trial counts they come from."""

    eer: float
    eer_threshold: float
    min_dcf: float
    min_dcf_threshold: float
    n_target: int
    n_nontarget: int


def verification_errors(
    target_scores: Sequence[float],
    nontarget_scores: Sequence[float],
    *,
    p_target: float = 0.01,
    c_miss: float = 1.0,
    c_fa: float = 1.0,
) -> VerificationErrors:
    """EER and minDCF of similarity scores (higher = more likely the same speaker), by speechbrain.

    >>> errors = verification_errors([0.9, 0.8, 0.7], [0.1, 0.75, 0.2])
    >>> round(errors.eer, 4), errors.n_target, errors.n_nontarget
    (0.3333, 3, 3)
    """
    if not target_scores or not nontarget_scores:
        raise ValueError("EER and minDCF need at least one same-speaker and one different-speaker trial")
    try:
        import torch
        from speechbrain.utils.metric_stats import EER, minDCF
    except ImportError as exc:
        raise MissingDependencyError(f"EER/minDCF use speechbrain: pip install 'emoeval[speech]' ({exc})") from exc
    positive = torch.tensor(list(target_scores), dtype=torch.float64)
    negative = torch.tensor(list(nontarget_scores), dtype=torch.float64)
    eer, eer_threshold = EER(positive, negative)
    dcf, dcf_threshold = minDCF(positive, negative, c_miss=c_miss, c_fa=c_fa, p_target=p_target)
    return VerificationErrors(
        eer=float(eer),
        eer_threshold=float(eer_threshold),
        min_dcf=float(dcf),
        min_dcf_threshold=float(dcf_threshold),
        n_target=len(target_scores),
        n_nontarget=len(nontarget_scores),
    )


__all__ = ["TRIAL_KEY", "VerificationErrors", "trial_label", "verification_errors"]
