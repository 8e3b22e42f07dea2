"""Per-emotion diversity and mode collapse, for any modality: the shared logic of ``face_emotion_diversity``,
``speech_emotion_diversity`` and ``text_emotion_diversity``.

Mode collapse in emotion synthesis is *limited variety within an emotion*: every "happy" face the same smile,
every angry utterance the same contour. A system-wide diversity score hides it (different emotions are far
apart anyway), so everything here is computed **within each target emotion** and compared with the real
reference set's outputs of that emotion, in one embedding space (the ``embedder`` parameter):

- features are standardised with the reference set's mean and standard deviation per dimension (so no
  dimension dominates the distances, and the scale is the real data's);
- ``vendi_ratio`` (headline) = Vendi score of the system's outputs of the emotion ÷ the reference's at the same
  set size (mean over seeded subsets), cosine kernel on the standardised features (Friedman & Dieng 2023):
  the ratio of the *effective numbers of distinct outputs*. 1.0 = as many as real data, 0.25 = a quarter;
  the system value is the mean over the emotions the system and the reference share;
- ``diversity_ratio`` = mean pairwise Euclidean distance among the system's outputs of the emotion ÷ the same
  among the reference's outputs of that emotion (:func:`emoeval.functional.spread.mean_pairwise_distance`):
  how *far apart* outputs are. It falls to 0 when one output is repeated, but a few distant templates keep it
  high (four stock replies: ≈ 0.7 on MELD) — the Vendi ratio counts them as four;
- ``coverage`` = PRDC coverage (Naeem et al. 2020) of the emotion's real outputs by the system's: the share of
  real outputs whose k-NN ball holds a generated one (needs more than k outputs on each side);
- ``collapsed_share`` = share of emotions whose ``vendi_ratio`` *or* ``diversity_ratio`` is below
  ``collapse_below`` (per emotion: 1 = collapsed, 0 = not; an emotion with a single output has no value: one
  output says nothing about variety). Both, because each misses a case: a few distinct stock outputs keep the
  distance ratio high, and with two or three outputs per emotion the Vendi ratio cannot fall far (three copies
  of one clip against three real clips: 1 ÷ ~2), while their distance ratio is 0;
- ``within_group_ratio`` (only when some system gives several outputs for one ``group``, i.e. one source):
  mean pairwise distance among the outputs of one source, averaged over sources, ÷ the reference's
  per-emotion spread — how differently a conditional generator renders one input.

States are (feature vector, target emotion, group); a bootstrap resample repeats states, and copies count as
one output several times (never as two identical outputs), so resampling alone does not look like collapse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from emoeval.errors import SampleInputError
from emoeval.metric import Output
from emoeval.metrics.reference_set import FeatureSetMetric, _unique_by_identity

# a target emotion whose outputs hold fewer than this share of the real outputs' effective number of distinct
# outputs (or of their mean distance) is flagged collapsed: half is far outside the bootstrap spread of real data
# against itself (about ±0.1 at 20–30 outputs per emotion on the London and MELD sets) and well above what one
# repeated output or a handful of stock replies give (0–0.3, see the integration tests)
from emoeval.signatures import COLLAPSE_BELOW

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

_INF = math.inf

DIVERSITY_OUTPUTS: tuple[Output, ...] = (
    Output(
        "vendi_ratio",
        higher_is_better=None,
        range=(0.0, _INF),
        description="Vendi score within an emotion ÷ the reference's at the same set size",
    ),
    Output(
        "diversity_ratio",
        higher_is_better=None,
        range=(0.0, _INF),
        description="mean pairwise distance within an emotion ÷ the reference's (1 = as varied as real data)",
    ),
    Output(
        "coverage",
        higher_is_better=True,
        range=(0.0, 1.0),
        description="share of the emotion's real outputs whose k-NN ball holds a generated one (PRDC)",
    ),
    Output(
        "collapsed_share",
        higher_is_better=False,
        range=(0.0, 1.0),
        description="share of emotions whose diversity ratio is below the collapse threshold",
    ),
    Output(
        "within_group_ratio",
        higher_is_better=None,
        range=(0.0, _INF),
        description="spread of the outputs made from one source ÷ the reference's per-emotion spread",
    ),
)


class DiversityState(NamedTuple):
    """One output's standardisable features and where it belongs."""

    features: np.ndarray
    emotion: str | None
    group: str | None


class EmotionDiversityMetric(FeatureSetMetric):
    """Within-emotion spread of a system's outputs against the reference's (see the module docstring).

    Subclasses set ``spec`` (outputs :data:`DIVERSITY_OUTPUTS`), ``model_params`` and the embedder default in
    their own ``__init__``.
    """

    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    interval = "bootstrap_recentred"  # a resample's copies move the statistics: centre on the value

    def __init__(
        self,
        *,
        embedder: str,
        real: str | Path | None = None,
        real_system: str | None = None,
        collapse_below: float = COLLAPSE_BELOW,
        nearest_k: int = 5,
        seed: int = 0,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=True)
        if not collapse_below > 0.0:
            raise ValueError(f"{self.spec.name}: collapse_below must be positive, got {collapse_below}")
        self.collapse_below = collapse_below
        self.nearest_k = nearest_k
        self.seed = seed
        self._within_groups = False

    # -- setup ----------------------------------------------------------------------------------------------
    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """The reference features (standardised by their own mean and deviation), and whether any system gives
        several outputs for one source (then ``within_group_ratio`` is reported)."""
        import numpy as np

        super().setup(context, samples)
        rows = np.concatenate(self._rows).astype(np.float64)
        self._mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        self._scale = np.where(scale > 1e-12, scale, 1.0)  # a constant dimension carries no spread: unscaled
        self._reference_parts: dict[str | None, dict[str, Any]] = {}
        references = self.reference_systems()
        seen: set[tuple[str, str]] = set()
        self._within_groups = False
        for sample in samples:
            if sample.modality != self.spec.modality or sample.group is None or sample.system in references:
                continue
            key = (sample.system, sample.group)
            if key in seen:
                self._within_groups = True
                break
            seen.add(key)

    def _standardise(self, rows: np.ndarray) -> np.ndarray:
        return (rows - self._mean) / self._scale

    def _reference_part(self, emotion: str | None) -> dict[str, Any] | None:
        """The reference outputs of one emotion (all of them for None / a reference without emotions):
        standardised rows, their mean pairwise distance, their k-NN radii; None when fewer than two."""

        from emoeval.functional.distribution import nearest_neighbour_radii
        from emoeval.functional.spread import mean_pairwise_distance

        key = self._reference_key(emotion)
        if key not in self._reference_parts:
            rows = self._standardise(self._reference_features(key))
            part = None
            if len(rows) >= 2:
                part = {
                    "rows": rows,
                    "spread": mean_pairwise_distance(rows),
                    "radii": nearest_neighbour_radii(rows, self.nearest_k) if len(rows) > self.nearest_k else None,
                    "vendi": {},
                }
            self._reference_parts[key] = part
        return self._reference_parts[key]

    # -- states ---------------------------------------------------------------------------------------------
    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        features = super().states(samples, context)
        return [
            found if isinstance(found, SampleInputError) else DiversityState(found, sample.target_emotion, sample.group)
            for sample, found in zip(samples, features, strict=True)
        ]

    # -- values ---------------------------------------------------------------------------------------------
    def compute(self, states: Sequence[DiversityState], *, emotion: str | None = None) -> dict[str, float]:
        """Per-emotion values (``emotion`` given) or their mean over the emotions the system and the reference
        share (``emotion`` None; a reference without emotions is one class)."""
        import numpy as np

        if emotion is not None or not self.reference_emotions:
            values = self._emotion_values(states, emotion)
        else:
            by_emotion = self._classes(states, emotion)
            per_class = [self._emotion_values(own, name) for name, own in sorted(by_emotion.items())]
            names = [output.name for output in self.spec.outputs]
            values = {
                name: float(np.nanmean(column)) if np.isfinite(column).any() else math.nan
                for name in names
                for column in [np.array([v.get(name, math.nan) for v in per_class], dtype=np.float64)]
            }
        if not self._within_groups:
            values.pop("within_group_ratio", None)
        return values

    def _classes(self, states: Sequence[DiversityState], emotion: str | None) -> dict[str | None, list[DiversityState]]:
        """The states judged together: all of them under ``emotion`` when it is given or the reference has no
        emotions, else grouped by target emotion (emotions the reference lacks left out)."""
        if emotion is not None or not self.reference_emotions:
            return {emotion: list(states)}
        by_emotion: dict[str | None, list[DiversityState]] = {}
        for state in states:
            if state.emotion in self.reference_emotions:
                by_emotion.setdefault(state.emotion, []).append(state)
        return by_emotion

    def _has_coverage(self, part: dict[str, Any], size: int) -> bool:
        """Coverage needs more than ``nearest_k`` outputs on each side (the reference's k-NN radii exist)."""
        return part["radii"] is not None and size > self.nearest_k

    def _emotion_values(self, states: Sequence[DiversityState], emotion: str | None) -> dict[str, float]:
        import numpy as np

        from emoeval.functional.distribution import pairwise_distances
        from emoeval.functional.spread import (
            matched_vendi,
            mean_pairwise_distance,
            vendi_score,
            within_group_distance,
        )

        nan = dict.fromkeys((output.name for output in self.spec.outputs), math.nan)
        part = self._reference_part(emotion)
        if part is None or len(states) == 0:
            return nan
        unique, counts = _unique_by_identity(states)  # distinct states and their bootstrap copies
        rows = self._standardise(np.stack([state.features for state in unique]).astype(np.float64))
        weights = np.asarray(counts, dtype=np.float64)
        spread = mean_pairwise_distance(rows, weights)
        size = int(weights.sum())
        vendi_ratio = math.nan  # one output (or its copies) says nothing about variety
        if size >= 2:
            vendi_reference = part["vendi"].get(size)
            if vendi_reference is None:
                vendi_reference = part["vendi"][size] = matched_vendi(part["rows"], size, seed=self.seed)
            vendi_ratio = vendi_score(rows, weights) / vendi_reference
        distance_ratio = spread / part["spread"] if part["spread"] > 0 else math.nan
        judged = [ratio for ratio in (vendi_ratio, distance_ratio) if not math.isnan(ratio)]
        values = {
            "vendi_ratio": vendi_ratio,
            "diversity_ratio": distance_ratio,
            "coverage": math.nan,
            "collapsed_share": float(min(judged) < self.collapse_below) if judged else math.nan,
            "within_group_ratio": math.nan,
        }
        if self._has_coverage(part, size):
            distance = pairwise_distances(part["rows"], rows)
            values["coverage"] = float((distance.min(axis=1) < part["radii"]).mean())
        within, groups = within_group_distance(rows, [state.group for state in unique], weights)
        if groups and part["spread"] > 0:
            values["within_group_ratio"] = within / part["spread"]
        return values

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        notes = super().corpus_warnings(states, emotion=emotion)
        if emotion is not None and self.reference_emotions and emotion not in self.reference_emotions:
            known = ", ".join(self.reference_emotions)
            notes.append(f"the reference set has no {emotion!r} output (it has {known}): no diversity value")
        short = self._coverage_short(states, emotion)
        if short:
            notes.append(
                f"coverage needs more than nearest_k={self.nearest_k} outputs of an emotion on each side "
                f"({'; '.join(short)}): left out there; score more outputs or lower nearest_k"
            )
        return notes

    def _coverage_short(self, states: Sequence[Any], emotion: str | None) -> list[str]:
        """The emotions whose coverage has no value for lack of outputs, as 'emotion: n system / m reference'."""
        short = []
        for name, own in sorted(self._classes(states, emotion).items(), key=lambda item: str(item[0])):
            part = self._reference_part(name)
            if part is not None and not self._has_coverage(part, len(own)):
                short.append(f"{name or 'all'}: {len(own)} system / {len(part['rows'])} reference")
        return short


__all__ = ["COLLAPSE_BELOW", "DIVERSITY_OUTPUTS", "DiversityState", "EmotionDiversityMetric"]
