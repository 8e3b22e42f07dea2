"""Face identity similarity (CSIM): is the generated face still the same person as its source?"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from emoeval.errors import RunConfigError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity, euclidean_distance

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

DLIB = "dlib-face-identity"
#: the role an ``embedder`` of this metric must have
EMBEDDER_ROLE = "face-identity-embedder"
Rule = Literal["euclidean", "cosine"]
#: each known embedder's verification rule and default threshold: dlib's Euclidean distance < 0.6 (dlib's own
#: rule); ArcFace's cosine distance 1 − cosine < 0.68 (deepface's threshold for ArcFace)
VERIFICATION: Mapping[str, tuple[Rule, float]] = {
    DLIB: ("euclidean", 0.6),
    "deepface-arcface": ("cosine", 0.68),
}


class FaceIdentitySimilarity(SampleMetric):
    """Identity preservation between a generated face and its ``reference`` (the source/identity photo).

    **Meaning.** Both faces (largest YuNet detection) are described by the ``embedder``: dlib's ResNet 128-d
    face descriptor by default, or deepface's ArcFace (``embedder=deepface-arcface``, 512-d, the embedder CSIM
    papers use; old name ``face_identity_arcface``). ``cosine`` is the cosine similarity of the two embeddings —
    the "CSIM" that expression-editing and talking-face papers report; values are comparable only within one
    embedder, which a non-default one adds to the metric label. ``distance`` and ``verified`` follow each
    embedder's own verification rule: for dlib the Euclidean distance, verified when below ``threshold`` (0.6 =
    same person); for ArcFace the Euclidean distance of the L2-normalised embeddings (deepface's
    ``euclidean_l2``, √(2 − 2·cosine)), verified when the cosine distance 1 − cosine is below ``threshold``
    (deepface's 0.68). ``verified``'s system mean is the verification rate.

    **Range and direction.** cosine in [-1, 1], higher is better (dlib: same-person photos ≈ 0.95–0.99, different
    people ≈ 0.78–0.91; ArcFace cosines run far lower for the same pairs); distance in [0, ∞) (ArcFace: [0, 2]),
    lower is better; verified in {0, 1}, higher is better.

    **Needs.** A face image in ``path`` and an identity reference image in ``reference``. No face in either
    image is a per-sample error, not a guess. Parameters: ``embedder``, a registered ``face-identity-embedder``
    (``dlib-face-identity``; ``deepface-arcface`` after ``emoeval models pull deepface-arcface``), and
    ``threshold`` (default: the embedder's own; required for a plug-in embedder, which is then verified by
    cosine distance).

    **Source.** King (2009) dlib-ml, JMLR 10; Deng et al. (2019) ArcFace (CSIM protocol), CVPR; Serengil &
    Özpınar (2024), deepface; YuNet (Wu et al. 2023).

    >>> FaceIdentitySimilarity.spec.headline.name, FaceIdentitySimilarity().threshold
    ('cosine', 0.6)
    >>> FaceIdentitySimilarity(embedder="deepface-arcface").label
    'face_identity_similarity(embedder=deepface-arcface)'
    """

    spec = MetricSpec(
        name="face_identity_similarity",
        modality="face",
        scope="sample",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="cosine of the identity embeddings"),
            Output("distance", higher_is_better=False, range=(0.0, math.inf), description="the embedder's distance"),
            Output(
                "verified", higher_is_better=True, range=(0.0, 1.0), description="same person by the embedder's rule"
            ),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=("yunet-face-detector", DLIB),
        summary="identity preservation to a reference face (dlib 128-d or ArcFace; cosine / distance / verified)",
        citation="King 2009 (dlib); Deng et al. 2019 (ArcFace, CSIM protocol)",
    )
    batch_size = 16
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {"face_identity_arcface": {"embedder": "deepface-arcface"}}

    def __init__(self, *, embedder: str = DLIB, threshold: float | None = None) -> None:
        model_class = self.check_model("embedder", embedder)
        rule, default = VERIFICATION.get(embedder, ("cosine", None))
        if threshold is None and default is None:
            raise RunConfigError(
                f"face_identity_similarity: embedder={embedder!r} has no known verification threshold; give "
                "threshold=<cosine distance below which two faces are the same person>"
            )
        self.embedder = embedder
        self.threshold = float(threshold if threshold is not None else default)  # type: ignore[arg-type]
        self._rule: Rule = rule
        self._models = (*model_class.requires, embedder)

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    def values(self, output: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        """cosine, distance and verified for one pair of embeddings (by the embedder's rule)."""
        cosine = cosine_similarity(output, reference)
        if self._rule == "euclidean":
            distance = euclidean_distance(output, reference)
            return {"cosine": cosine, "distance": distance, "verified": float(distance < self.threshold)}
        return {
            "cosine": cosine,
            "distance": math.sqrt(max(2.0 - 2.0 * cosine, 0.0)),
            "verified": float(1.0 - cosine < self.threshold),
        }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore] = []
        for pair in embed_with_reference(samples, context, self.embedder):
            if isinstance(pair, str):
                scores.append(SampleScore.failed(pair))
            else:
                scores.append(SampleScore(values=self.values(*pair)))
        return scores


__all__ = ["VERIFICATION", "FaceIdentitySimilarity"]
