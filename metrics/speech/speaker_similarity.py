"""Speaker similarity (SECS): does the generated speech sound like the reference speaker?"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics._pairs import embed_with_reference
from emoeval.metrics.similarity import cosine_similarity
from emoeval.metrics.speech.verification import DIFFERENT_LABEL, SAME_LABEL, TRIAL_KEY, trial_label

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: the speaker encoder used unless ``embedder=`` names another ``speaker-embedder``
DEFAULT_EMBEDDER = "resemblyzer-ge2e"
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

    **Meaning.** Both recordings are resampled to 16 kHz (soxr HQ) and embedded with a speaker encoder — the
    ``embedder`` parameter: ``resemblyzer-ge2e`` (default; Resemblyzer's GE2E LSTM, volume-normalised and
    stripped of long silences, 256-d) or ``speechbrain-ecapa-voxceleb`` (speechbrain's ECAPA-TDNN trained on
    VoxCeleb, filterbanks with sentence mean normalisation, 192-d; its files come from the hub: ``emoeval models
    pull speechbrain-ecapa-voxceleb``, or a copy in the Hugging Face cache). The value is the cosine of the two
    embeddings — the speaker encoder cosine similarity (SECS) that TTS and voice-conversion papers report (e.g.
    YourTTS, Casanova et al. 2022). Values are comparable only within one speaker encoder: results name a
    non-default one in the metric label, ``speaker_similarity(embedder=speechbrain-ecapa-voxceleb)`` (old name
    ``speaker_similarity_ecapa``, kept for one release).

    **Verification trials.** When the manifest has a ``same_speaker`` column (true for a trial whose reference
    is the intended speaker, false for a different speaker), each sample's ``label`` says which, and each
    system also gets ``eer`` (equal error rate) and ``min_dcf`` (NIST detection cost at p_target 0.01) of its
    cosines, computed with speechbrain's metric utilities (:mod:`emoeval.metrics.speech.verification`): how
    well the encoder tells the system's outputs of the right speaker from the wrong one.

    **Range and direction.** cosine [-1, 1], higher is better: with GE2E same speaker ≈ 0.80–0.90, different ≈
    0.45–0.65; ECAPA cosines run lower (same speaker ≈ 0.5–0.8, different ≈ 0–0.3). eer [0, 1] and min_dcf
    [0, 0.01], lower is better.

    **Needs.** Audio in ``path`` and a reference recording of the intended speaker in ``reference``; optionally a
    ``same_speaker`` column. Empty, too short, silent or unreadable audio is a per-sample error. Inputs at another
    rate are resampled to 16 kHz and the ``warning`` column names the original rates (speaker similarity drops
    sharply when rates are mismatched silently). Parameter ``embedder``: a registered ``speaker-embedder``
    (``resemblyzer-ge2e``, ``speechbrain-ecapa-voxceleb``).

    **Source.** Wan et al. (2018) GE2E, ICASSP; Desplanques et al. (2020), ECAPA-TDNN, Interspeech; Ravanelli et
    al. (2021), SpeechBrain; Casanova et al. (2022) YourTTS (SECS), ICML.

    >>> SpeakerSimilarity.spec.headline.higher_is_better
    True
    >>> SpeakerSimilarity(embedder="speechbrain-ecapa-voxceleb").label
    'speaker_similarity(embedder=speechbrain-ecapa-voxceleb)'
    """

    spec = MetricSpec(
        name="speaker_similarity",
        modality="speech",
        scope="sample",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="speaker-embedding cosine"),
            *_VERIFICATION_OUTPUTS,
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        inputs=(
            Input(
                TRIAL_KEY,
                media=None,
                required=False,
                description="true for a same-speaker trial, false for a different-speaker one (gives eer, min_dcf)",
            ),
        ),
        models=(DEFAULT_EMBEDDER,),
        summary="speaker similarity to a reference recording (speaker-encoder cosine, SECS; EER with trials)",
        citation="Wan et al. 2018 (GE2E); Desplanques et al. 2020 (ECAPA-TDNN); Casanova et al. 2022 (SECS)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": "speaker-embedder"}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "speaker_similarity_ecapa": {"embedder": "speechbrain-ecapa-voxceleb"}
    }
    batch_size = 8
    #: the rate both sides are compared at (every registered speaker encoder runs at 16 kHz)
    sample_rate: ClassVar[int] = 16000

    def __init__(self, *, embedder: str = DEFAULT_EMBEDDER) -> None:
        self.check_model("embedder", embedder)
        self.embedder = embedder

    @property
    def models(self) -> tuple[str, ...]:
        return (self.embedder,)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note, sample_rate_of

        scores = []
        for sample, pair in zip(samples, embed_with_reference(samples, context, self.embedder), strict=True):
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


__all__ = ["SpeakerSimilarity"]
