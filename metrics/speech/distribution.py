"""Distribution distances of generated speech against a reference set of real recordings (FAD-style).

Like FID for images: each recording becomes a fixed-size embedding, each set a Gaussian (or a sample for
KID), and the distance between a system's set and the real set says how far the generator's outputs are
from real speech as a whole — quality and diversity together. The reference set is a folder of recordings
(emotion from an ``<emotion>/`` parent folder), a manifest, or another system of the run; the shared logic is
in :mod:`emoeval.metrics.reference_set`.
"""

from __future__ import annotations

import math
from pathlib import Path

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import FrechetMetric, KernelDistanceMetric

_INF = math.inf
WHISPER_ENCODER = "whisper-tiny-en-encoder"


class SpeechFD(FrechetMetric):
    """Fréchet Speech Distance: Fréchet distance between Whisper-encoder embeddings of a system and real speech.

    **Meaning.** Each recording (16 kHz) is embedded by the Whisper tiny.en encoder (model
    ``whisper-tiny-en-encoder``: mean and standard deviation over the encoder frames that cover the audio,
    768-d); each set is summarised by the mean and covariance of its embeddings and the value is the Fréchet
    distance ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) — the Fréchet Audio Distance recipe (Kilgour et al. 2019)
    with a speech encoder in place of VGGish, as Fréchet Speech Distance papers do. With ``by_emotion``
    (default) it is also computed within each target emotion, against the reference recordings of that
    emotion. Values depend on the encoder: compare only values from the same encoder and set sizes.

    **Range and direction.** [0, ∞), lower is better. Biased upward when either set has fewer recordings than
    the 768 dimensions (the ``warning`` column says so): compare at equal sizes and read ``speech_kid``
    (unbiased) beside it. Interval: percentile bootstrap over the system's recordings re-centred on the
    value, for the value expected at this set size (reference fixed).

    **Needs.** Audio (``path``) and a reference set: ``real=`` a folder or manifest of real recordings, or
    ``real_system=`` a system of the same run.

    **Source.** Kilgour et al. (2019), Fréchet Audio Distance, Interspeech; Radford et al. (2023), Whisper,
    ICML; Heusel et al. (2017) for the distance.

    >>> SpeechFD(real_system="ground_truth").spec.models
    ('whisper-tiny-en-encoder',)
    """

    spec = MetricSpec(
        name="speech_fd",
        modality="speech",
        scope="corpus",
        outputs=(
            Output("fd", higher_is_better=False, range=(0.0, _INF), description="Fréchet distance, Whisper encoder"),
        ),
        version="1.0.0",
        models=(WHISPER_ENCODER,),
        summary="Fréchet speech distance to a reference set (Whisper tiny.en encoder embeddings), also per emotion",
        citation="Kilgour et al. 2019 (FAD); Radford et al. 2023 (Whisper)",
    )
    model = WHISPER_ENCODER
    _unbiased_hint = "; read speech_kid (unbiased) beside it"

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = True
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)


class SpeechKID(KernelDistanceMetric):
    """Kernel distance (unbiased MMD², cubic polynomial kernel) between Whisper-encoder embeddings of a system
    and a reference set of real speech — KID on speech, the small-sample companion of ``speech_fd``.

    **Meaning.** As ``face_kid`` (Bińkowski et al. 2018) on the 768-d embeddings of ``speech_fd``, averaged
    over random subsets; ``kid_std`` is its spread over the subsets. Its expectation does not depend on the
    number of recordings, so it can be compared across set sizes.

    **Range and direction.** kid about [0, ∞) (slightly negative when the sets match), lower is better.

    **Needs.** Audio (``path``) and a reference set (``real=`` or ``real_system=``).

    **Source.** Bińkowski et al. (2018), Demystifying MMD GANs, ICLR; Radford et al. (2023), Whisper.

    >>> SpeechKID(real_system="ground_truth").params()["degree"]
    3
    """

    spec = MetricSpec(
        name="speech_kid",
        modality="speech",
        scope="corpus",
        outputs=(
            Output("kid", higher_is_better=False, range=(-_INF, _INF), description="unbiased MMD², cubic kernel"),
            Output("kid_std", higher_is_better=False, range=(0.0, _INF), description="std of KID over subsets"),
        ),
        version="1.0.0",
        models=(WHISPER_ENCODER,),
        summary="KID (unbiased MMD², polynomial kernel) on Whisper-encoder embeddings against a reference set",
        citation="Bińkowski et al. 2018, ICLR; Radford et al. 2023 (Whisper)",
    )
    model = WHISPER_ENCODER


class SpeakerFD(FrechetMetric):
    """Fréchet distance between the speaker embeddings of a system's recordings and of a reference set.

    **Meaning.** Each recording is described by the Resemblyzer GE2E speaker embedding (256-d); the Fréchet
    distance between the Gaussians of the two sets says how far the distribution of *voices* the generator
    produces is from the real one (a voice-conversion system that drifts towards an average voice, or
    collapses speakers, scores high even when each utterance sounds fine).

    **Range and direction.** [0, ∞), lower is better; biased below 256 recordings per side (compare at equal
    sizes). Interval: percentile bootstrap over the system's recordings re-centred on the value, for the
    value expected at this set size (reference fixed).

    **Needs.** Audio (``path``) and a reference set (``real=`` or ``real_system=``).

    **Source.** Heusel et al. (2017) for the distance; Wan et al. (2018), GE2E, ICASSP.

    >>> SpeakerFD(real="real_speech/").spec.models
    ('resemblyzer-ge2e',)
    """

    spec = MetricSpec(
        name="speech_speaker_fd",
        modality="speech",
        scope="corpus",
        outputs=(Output("fd", higher_is_better=False, range=(0.0, _INF), description="Fréchet distance, GE2E 256-d"),),
        version="1.0.0",
        models=("resemblyzer-ge2e",),
        summary="Fréchet distance between speaker-embedding distributions (GE2E) of system and reference",
        citation="Heusel et al. 2017 (Fréchet distance); Wan et al. 2018 (GE2E)",
    )
    model = "resemblyzer-ge2e"


__all__ = ["SpeakerFD", "SpeechFD", "SpeechKID"]
