"""Speaker similarity (SECS): does the generated speech sound like the reference speaker?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample


class SpeakerSimilarity(SampleMetric):
    """Speaker-embedding cosine similarity between generated speech and a ``reference`` recording.

    **Meaning.** Both recordings are resampled to 16 kHz (soxr HQ), volume-normalised and stripped of long
    silences, then embedded with the Resemblyzer GE2E speaker encoder; the value is the cosine of the two
    embeddings — the speaker encoder cosine similarity (SECS) that TTS and voice-conversion papers report
    (e.g. YourTTS, Casanova et al. 2022). Values are comparable only within one speaker encoder.

    **Range and direction.** [-1, 1], higher is better: same speaker ≈ 0.80–0.90, different ≈ 0.45–0.65.

    **Needs.** Audio in ``path`` and a reference recording of the intended speaker in ``reference``. Empty,
    too short, silent or unreadable audio is a per-sample error. Inputs at another rate are resampled to
    16 kHz and the ``warning`` column names the original rates (speaker similarity drops sharply when
    rates are mismatched silently).

    **Source.** Wan et al. (2018) GE2E, ICASSP; Casanova et al. (2022) YourTTS (SECS), ICML.

    >>> SpeakerSimilarity.spec.headline.higher_is_better
    True
    """

    spec = MetricSpec(
        name="speaker_similarity",
        modality="speech",
        scope="sample",
        outputs=(Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="GE2E embedding cosine"),),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=("resemblyzer-ge2e",),
        summary="speaker similarity to a reference recording (Resemblyzer GE2E cosine, SECS)",
        citation="Wan et al. 2018 (GE2E); Casanova et al. 2022 (SECS)",
    )
    batch_size = 8

    def __init__(self) -> None:
        pass

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note, sample_rate_of
        from emoeval.reference_models.resemblyzer_speaker import SAMPLE_RATE

        scores = []
        for sample, pair in zip(samples, embed_with_reference(samples, context, "resemblyzer-ge2e"), strict=True):
            if isinstance(pair, str):
                scores.append(SampleScore.failed(pair))
                continue
            note = resampling_note(  # both sides are compared at 16 kHz; say when that took resampling
                SAMPLE_RATE, output=sample_rate_of(sample.path), reference=sample_rate_of(Path(sample.reference))
            )
            scores.append(SampleScore(values={"cosine": cosine_similarity(*pair)}, warning=note))
        return scores
