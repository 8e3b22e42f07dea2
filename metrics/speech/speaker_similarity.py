"""Speaker similarity (SECS): does the generated speech sound like the reference speaker?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity
from emoeval.metrics.speech.verification import DIFFERENT_LABEL, SAME_LABEL, TRIAL_KEY, trial_label

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

_VERIFICATION_OUTPUTS = (
    Output(
        "eer",
        higher_is_better=False,
        range=(0.0, 1.0),
        description="equal error rate over same/different-speaker trials",
        scope="system",
    ),
    Output(
        "min_dcf",
        higher_is_better=False,
        range=(0.0, 0.01),
        description="minimum detection cost (p_target 0.01, unnormalised)",
        scope="system",
    ),
)


class SpeakerSimilarity(SampleMetric):
    """Speaker-embedding cosine similarity between generated speech and a ``reference`` recording.

    **Meaning.** Both recordings are resampled to 16 kHz (soxr HQ), volume-normalised and stripped of long
    silences, then embedded with the Resemblyzer GE2E speaker encoder; the value is the cosine of the two
    embeddings — the speaker encoder cosine similarity (SECS) that TTS and voice-conversion papers report
    (e.g. YourTTS, Casanova et al. 2022). Values are comparable only within one speaker encoder.

    **Verification trials.** When the manifest has a ``same_speaker`` column (true for a trial whose reference
    is the intended speaker, false for a different speaker), each sample's ``label`` says which, and each
    system also gets ``eer`` (equal error rate) and ``min_dcf`` (NIST detection cost at p_target 0.01) of its
    cosines, computed with speechbrain's metric utilities (:mod:`emoeval.metrics.speech.verification`): how
    well the encoder tells the system's outputs of the right speaker from the wrong one.

    **Range and direction.** cosine [-1, 1], higher is better: same speaker ≈ 0.80–0.90, different ≈
    0.45–0.65. eer [0, 1] and min_dcf [0, 0.01], lower is better.

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
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="GE2E embedding cosine"),
            *_VERIFICATION_OUTPUTS,
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        models=("resemblyzer-ge2e",),
        summary="speaker similarity to a reference recording (Resemblyzer GE2E cosine, SECS; EER with trials)",
        citation="Wan et al. 2018 (GE2E); Casanova et al. 2022 (SECS)",
    )
    batch_size = 8
    #: the speaker encoder (registry name) and the rate it runs at
    encoder: ClassVar[str] = "resemblyzer-ge2e"
    sample_rate: ClassVar[int] = 16000

    def __init__(self) -> None:
        pass

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note, sample_rate_of

        scores = []
        for sample, pair in zip(samples, embed_with_reference(samples, context, self.encoder), strict=True):
            if isinstance(pair, str):
                scores.append(SampleScore.failed(pair))
                continue
            notes = []
            note = resampling_note(  # both sides are compared at the encoder's rate; say when that took resampling
                self.sample_rate, output=sample_rate_of(sample.path), reference=sample_rate_of(Path(sample.reference))
            )
            if note:
                notes.append(note)
            try:
                label = trial_label(sample.meta.get(TRIAL_KEY))
            except ValueError as exc:
                label = None
                notes.append(f"{exc}; left out of eer/min_dcf")
            scores.append(
                SampleScore(values={"cosine": cosine_similarity(*pair)}, warning="; ".join(notes) or None, label=label)
            )
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        """EER and minDCF over the system's same/different-speaker trials (none without a ``same_speaker`` column)."""
        from emoeval.metrics.speech.verification import verification_errors

        scored = rows[(rows["sub_metric"] == "cosine") & rows["error"].isna() & rows["label"].notna()]
        if scored.empty:
            return []
        target = [float(v) for v in scored.loc[scored["label"] == SAME_LABEL, "value"]]
        nontarget = [float(v) for v in scored.loc[scored["label"] == DIFFERENT_LABEL, "value"]]
        n = len(target) + len(nontarget)
        if not target or not nontarget:
            missing = "same-speaker" if not target else "different-speaker"
            error = f"no {missing} trial among this system's {n} labelled samples: EER needs both kinds"
            return [SystemValue("eer", math.nan, n=n, error=error), SystemValue("min_dcf", math.nan, n=n, error=error)]
        errors = verification_errors(target, nontarget)
        return [SystemValue("eer", errors.eer, n=n), SystemValue("min_dcf", errors.min_dcf, n=n)]


class SpeakerSimilarityEcapa(SpeakerSimilarity):
    """:class:`SpeakerSimilarity` with speechbrain's ECAPA-TDNN (VoxCeleb) as the speaker encoder.

    **Meaning.** The cosine of the 192-d ECAPA-TDNN embeddings of the output and its ``reference`` (16 kHz,
    speechbrain's filterbanks and sentence mean normalisation); with ``same_speaker`` trials, EER and minDCF as
    in :class:`SpeakerSimilarity`. Cosines of ECAPA embeddings run lower than GE2E's (same speaker ≈ 0.5–0.8,
    different ≈ 0–0.3), so values are comparable only within one encoder.

    **Range and direction.** cosine [-1, 1], higher is better; eer [0, 1] and min_dcf [0, 0.01], lower is better.

    **Needs.** ``path`` and ``reference`` recordings; the ECAPA files (off by default: ``emoeval models pull
    speechbrain-ecapa-voxceleb``, or a copy in the Hugging Face cache).

    **Source.** Desplanques et al. (2020), ECAPA-TDNN, Interspeech; Ravanelli et al. (2021), SpeechBrain.

    >>> SpeakerSimilarityEcapa.spec.models
    ('speechbrain-ecapa-voxceleb',)
    """

    encoder = "speechbrain-ecapa-voxceleb"
    run_by_default = False
    spec = replace(
        SpeakerSimilarity.spec,
        name="speaker_similarity_ecapa",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="ECAPA embedding cosine"),
            *_VERIFICATION_OUTPUTS,
        ),
        version="1.0.0",
        models=("speechbrain-ecapa-voxceleb",),
        summary="speaker similarity to a reference recording (speechbrain ECAPA-TDNN cosine; EER with trials)",
        citation="Desplanques et al. 2020 (ECAPA-TDNN); Ravanelli et al. 2021 (SpeechBrain)",
    )
