"""Face identity similarity (CSIM): is the generated face still the same person as its source?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity, euclidean_distance

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample


class FaceIdentitySimilarity(SampleMetric):
    """Identity preservation between a generated face and its ``reference`` (the source/identity photo).

    **Meaning.** Both faces are described with the dlib ResNet 128-d face descriptor (on YuNet detections,
    largest face). ``cosine`` is the cosine similarity of the two descriptors — the "CSIM" that expression
    editing and talking-face papers report (there usually with ArcFace; values are comparable only within
    one embedder). ``distance`` is the Euclidean distance dlib's verification uses, and ``verified`` is 1
    when it is below ``threshold`` (dlib's 0.6 = same person), so its system mean is the verification rate.

    **Range and direction.** cosine in [-1, 1], higher is better (same-person photos ≈ 0.95–0.99, different
    people ≈ 0.78–0.91 with this embedder); distance in [0, ∞), lower is better; verified in {0, 1}.

    **Needs.** A face image in ``path`` and an identity reference image in ``reference``. No face in either
    image is a per-sample error, not a guess.

    **Source.** King (2009) dlib-ml, JMLR 10; Deng et al. (2019) ArcFace (CSIM protocol); YuNet (Wu et al. 2023).

    >>> FaceIdentitySimilarity.spec.headline.name
    'cosine'
    """

    spec = MetricSpec(
        name="face_identity_similarity",
        modality="face",
        scope="sample",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="cosine of dlib descriptors"),
            Output("distance", higher_is_better=False, range=(0.0, math.inf), description="Euclidean distance"),
            Output("verified", higher_is_better=True, range=(0.0, 1.0), description="distance < threshold"),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=("yunet-face-detector", "dlib-face-identity"),
        summary="identity preservation to a reference face (dlib 128-d, cosine / distance / verified)",
        citation="King 2009 (dlib); Deng et al. 2019 (CSIM protocol)",
    )
    batch_size = 16
    #: the identity embedder (registry name)
    embedder: ClassVar[str] = "dlib-face-identity"

    def __init__(self, *, threshold: float = 0.6) -> None:
        self.threshold = threshold

    def values(self, output: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        """cosine, distance and verified for one pair of embeddings."""
        distance = euclidean_distance(output, reference)
        return {
            "cosine": cosine_similarity(output, reference),
            "distance": distance,
            "verified": float(distance < self.threshold),
        }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore] = []
        for pair in embed_with_reference(samples, context, self.embedder):
            if isinstance(pair, str):
                scores.append(SampleScore.failed(pair))
            else:
                scores.append(SampleScore(values=self.values(*pair)))
        return scores


class FaceIdentitySimilarityArcFace(FaceIdentitySimilarity):
    """Identity preservation measured with deepface's ArcFace (512-d) — the embedder CSIM papers use.

    **Meaning.** ``cosine`` is the cosine similarity of the two ArcFace embeddings (CSIM); ``distance`` is
    the Euclidean distance of the L2-normalised embeddings (deepface's ``euclidean_l2``, √(2 − 2·cosine));
    ``verified`` is 1 when the cosine *distance* 1 − cosine is below ``threshold`` (deepface's 0.68 for
    ArcFace), so its system mean is the verification rate.

    **Range and direction.** cosine in [-1, 1], higher is better; distance in [0, 2], lower is better;
    verified in {0, 1}. Values are comparable only within one embedder (ArcFace cosines run far lower than
    dlib's for the same pairs).

    **Needs.** ``path`` and ``reference`` face images; the ``deepface-arcface`` weights (off by default:
    ``emoeval models pull deepface-arcface`` first, see :mod:`emoeval.reference_models.deepface_models`).

    **Source.** Deng et al. (2019), ArcFace: Additive Angular Margin Loss for Deep Face Recognition (CVPR);
    Serengil & Özpınar (2024), deepface.

    >>> FaceIdentitySimilarityArcFace.spec.models
    ('yunet-face-detector', 'deepface-arcface')
    """

    embedder = "deepface-arcface"
    run_by_default = False
    spec = replace(
        FaceIdentitySimilarity.spec,
        name="face_identity_arcface",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="cosine of ArcFace embeddings"),
            Output("distance", higher_is_better=False, range=(0.0, 2.0), description="Euclidean, L2-normalised"),
            Output("verified", higher_is_better=True, range=(0.0, 1.0), description="1 - cosine < threshold"),
        ),
        models=("yunet-face-detector", "deepface-arcface"),
        summary="identity preservation to a reference face (deepface ArcFace 512-d, cosine / distance / verified)",
        citation="Deng et al. 2019 (ArcFace, CSIM); Serengil & Özpınar 2024 (deepface)",
    )

    def __init__(self, *, threshold: float = 0.68) -> None:
        self.threshold = threshold

    def values(self, output: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        cosine = cosine_similarity(output, reference)
        return {
            "cosine": cosine,
            "distance": math.sqrt(max(2.0 - 2.0 * cosine, 0.0)),
            "verified": float(1.0 - cosine < self.threshold),
        }
