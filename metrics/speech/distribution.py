"""Distribution distances of generated speech against a reference set of real recordings (FAD-style).

Like FID for images: each recording becomes a fixed-size embedding, each set a Gaussian (or a sample for
KID), and the distance between a system's set and the real set says how far the generator's outputs are
from real speech as a whole — quality and diversity together. The embedding model is a parameter
(``embedder=``, a registered ``speech-embedder``): the Whisper tiny.en encoder by default (content and
acoustics), or a speaker encoder (the distribution of *voices*). The reference set is a folder of recordings
(emotion from an ``<emotion>/`` parent folder), a manifest, or another system of the run; the shared logic is
in :mod:`emoeval.metrics.reference_set`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import FrechetMetric, KernelDistanceMetric

_INF = math.inf
WHISPER_ENCODER = "whisper-tiny-en-encoder"
#: the role a speech distribution metric's ``embedder`` must have
EMBEDDER_ROLE = "speech-embedder"


class SpeechFD(FrechetMetric):
    """Fréchet Speech Distance: Fréchet distance between the embeddings of a system's recordings and of real speech.

    **Meaning.** Each recording (16 kHz) is embedded by the ``embedder`` model; each set is summarised by the
    mean and covariance of its embeddings and the value is the Fréchet distance ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ −
    2(Σ₁Σ₂)^½). With the default ``whisper-tiny-en-encoder`` (mean and standard deviation over the Whisper
    tiny.en encoder frames that cover the audio, 768-d) it is the Fréchet Audio Distance recipe (Kilgour et al.
    2019) with a speech encoder in place of VGGish, as Fréchet Speech Distance papers do. With a speaker encoder
    — ``resemblyzer-ge2e`` (GE2E, 256-d) or ``speechbrain-ecapa-voxceleb`` (ECAPA-TDNN, 192-d) — it says how far
    the distribution of *voices* the generator produces is from the real one (a voice-conversion system that
    drifts towards an average voice, or collapses speakers, scores high even when each utterance sounds fine);
    ``speech_fd(embedder=resemblyzer-ge2e, by_emotion=false)`` is what the old name ``speech_speaker_fd`` (kept for
    one release) stands for. With ``by_emotion`` (default) it is also computed within each target emotion,
    against the reference recordings of that emotion. Values depend on the embedder, which a non-default one
    adds to the metric label (``speech_fd(embedder=resemblyzer-ge2e)``): compare only values from the same
    embedder and set sizes.

    **Range and direction.** [0, ∞), lower is better. Biased upward when either set has fewer recordings than
    the embedding has dimensions (768 for Whisper, 256 for GE2E, 192 for ECAPA; the ``warning`` column says
    so): compare at equal sizes and read ``speech_kid`` (unbiased) beside it. Interval: percentile bootstrap over
    the system's recordings re-centred on the value, for the value expected at this set size (reference fixed).

    **Needs.** Audio (``path``) and a reference set: ``real=`` a folder or manifest of real recordings, or
    ``real_system=`` a system of the same run. Parameter ``embedder``: a registered ``speech-embedder``
    (``whisper-tiny-en-encoder``, ``resemblyzer-ge2e``, ``speechbrain-ecapa-voxceleb``; the ECAPA files come from
    the hub: ``emoeval models pull speechbrain-ecapa-voxceleb``).

    **Source.** Kilgour et al. (2019), Fréchet Audio Distance, Interspeech; Radford et al. (2023), Whisper,
    ICML; Heusel et al. (2017) for the distance; Wan et al. (2018), GE2E, ICASSP; Desplanques et al. (2020),
    ECAPA-TDNN, Interspeech.

    >>> SpeechFD(real_system="ground_truth").models
    ('whisper-tiny-en-encoder',)
    >>> SpeechFD(real="real_speech/", embedder="resemblyzer-ge2e").label
    'speech_fd(embedder=resemblyzer-ge2e)'
    """

    spec = MetricSpec(
        name="speech_fd",
        modality="speech",
        scope="corpus",
        outputs=(
            Output(
                "fd",
                higher_is_better=False,
                range=(0.0, _INF),
                description="Fréchet distance between the embedding distributions",
            ),
        ),
        version="1.0.0",
        models=(WHISPER_ENCODER,),
        summary="Fréchet speech distance to a reference set (Whisper encoder or speaker embeddings), also per emotion",
        citation="Kilgour et al. 2019 (FAD); Radford et al. 2023 (Whisper); Heusel et al. 2017 (Fréchet distance)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    unbiased_companion = "speech_kid"
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        # SpeakerFD was computed over the whole set only
        "speech_speaker_fd": {"embedder": "resemblyzer-ge2e", "by_emotion": False},
    }

    def __init__(
        self,
        *,
        embedder: str = WHISPER_ENCODER,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = True,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)


class SpeechKID(KernelDistanceMetric):
    """Kernel distance (unbiased MMD², cubic polynomial kernel) between the embeddings of a system's recordings
    and of a reference set of real speech — KID on speech, the small-sample companion of ``speech_fd``.

    **Meaning.** As ``face_kid`` (Bińkowski et al. 2018) on the embeddings of ``speech_fd`` (the ``embedder``
    model: the 768-d Whisper tiny.en encoder statistics by default, or a speaker encoder's embedding), averaged
    over random subsets; ``kid_std`` is its spread over the subsets. Its expectation does not depend on the
    number of recordings, so it can be compared across set sizes — within one embedder only.

    **Range and direction.** kid about [0, ∞) (slightly negative when the sets match), lower is better.

    **Needs.** Audio (``path``) and a reference set (``real=`` or ``real_system=``). Parameter ``embedder``: a
    registered ``speech-embedder`` (``whisper-tiny-en-encoder``, ``resemblyzer-ge2e``,
    ``speechbrain-ecapa-voxceleb``).

    **Source.** Bińkowski et al. (2018), Demystifying MMD GANs, ICLR; Radford et al. (2023), Whisper.

    >>> SpeechKID(real_system="ground_truth").params()["degree"]
    3
    >>> SpeechKID(real_system="ground_truth", embedder="resemblyzer-ge2e").models
    ('resemblyzer-ge2e',)
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
        summary="KID (unbiased MMD², polynomial kernel) on speech embeddings (Whisper encoder...) against a reference",
        citation="Bińkowski et al. 2018, ICLR; Radford et al. 2023 (Whisper)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = WHISPER_ENCODER,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        subsets: int = 100,
        subset_size: int = 1000,
        degree: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(
            embedder=embedder,
            real=real,
            real_system=real_system,
            by_emotion=by_emotion,
            subsets=subsets,
            subset_size=subset_size,
            degree=degree,
            seed=seed,
        )


__all__ = ["SpeechFD", "SpeechKID"]
