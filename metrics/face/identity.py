"""Face identity similarity (CSIM): is the generated face still the same person as its source?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity, euclidean_distance

if TYPE_CHECKING:
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

    def __init__(self, *, threshold: float = 0.6) -> None:
        self.threshold = threshold

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore] = []
        for pair in embed_with_reference(samples, context, "dlib-face-identity"):
            if isinstance(pair, str):
                scores.append(SampleScore.failed(pair))
                continue
            output, reference = pair
            distance = euclidean_distance(output, reference)
            scores.append(
                SampleScore(
                    values={
                        "cosine": cosine_similarity(output, reference),
                        "distance": distance,
                        "verified": float(distance < self.threshold),
                    }
                )
            )
        return scores
