"""Fréchet text distance: how far a system's responses are, as a distribution, from real (human) responses.

Like FID for images: every response becomes a sentence embedding, each set a Gaussian, and the value is the
Fréchet distance between the two Gaussians (the shared logic is in :mod:`emoeval.metrics.reference_set`; the
maths in :mod:`emoeval.metrics.distribution`). The embedding model is a parameter (``embedder=``, a registered
``sentence-embedder``; default ``all-minilm-l6-v2``, 384-d). It catches what a per-response score misses: a system
whose replies are each fine but all alike (collapsed) or that drifts in topic or register from human replies as a
whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import FrechetMetric
from emoeval.metrics.text.roles import EMBEDDER_ROLE
from emoeval.reference_models.text_embedding import SENTENCE_MODEL, check_text, clip_long_text

_INF = math.inf


class TextFD(FrechetMetric):
    """Fréchet distance between the sentence embeddings of a system's responses and of real responses.

    **Meaning.** ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) between the Gaussians of the ``embedder``'s sentence
    embeddings (default all-MiniLM-L6-v2: 384-d, unit length) of the system's responses and of a reference set of
    real responses — the Fréchet distance of Heusel et al. (2017) in a sentence-embedding space, as Fréchet BERT
    Distance (Semeniuta et al. 2018; Xiang et al. 2021) does with other encoders. With ``by_emotion`` it is also
    computed within each target emotion against the reference texts of that emotion. Values depend on the
    encoder and the set sizes: compare only values from the same encoder and equal sizes (a non-default embedder
    is named in the metric label, ``text_fd(embedder=...)``).

    **Range and direction.** [0, 4] for unit vectors in practice (0 = same distribution), lower is better.
    Biased upward when either set has fewer texts than the embedding has dimensions (384 for MiniLM; the
    ``warning`` column says so). Interval: percentile bootstrap over the system's responses re-centred on the
    value, for the value expected at this set size (reference fixed).

    **Needs.** Text responses and a reference set: ``real=`` a ``.txt`` file (one text per line), a folder of
    them (emotion from an ``<emotion>/`` parent folder) or a manifest; or ``real_system=`` a system of the run
    (e.g. the human replies). Empty or non-UTF-8 texts are per-sample errors (reference texts: skipped, with a
    warning). Parameters: ``embedder``, a registered ``sentence-embedder`` (``all-minilm-l6-v2``, the default);
    ``real`` / ``real_system``; ``by_emotion`` (default false).

    **Source.** Heusel et al. (2017), GANs Trained by a Two Time-Scale Update Rule, NeurIPS; Semeniuta,
    Severyn, Gelly (2018), On Accurate Evaluation of GANs for Language Generation (Fréchet InferSent
    Distance); Reimers & Gurevych (2019), Sentence-BERT.

    >>> TextFD(real_system="human").models
    ('all-minilm-l6-v2',)
    >>> TextFD(real_system="human").label, TextFD(real_system="human").params()["embedder"]
    ('text_fd', 'all-minilm-l6-v2')
    """

    spec = MetricSpec(
        name="text_fd",
        modality="text",
        scope="corpus",
        outputs=(
            Output(
                "fd",
                higher_is_better=False,
                range=(0.0, _INF),
                description="Fréchet distance between the sentence-embedding distributions",
            ),
        ),
        version="1.0.0",
        models=(SENTENCE_MODEL,),
        summary="Fréchet distance of response embeddings (all-MiniLM-L6-v2...) to a reference set of real texts",
        citation="Heusel et al. 2017 (Fréchet distance); Semeniuta et al. 2018; Reimers & Gurevych 2019",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    batch_size = 128

    def __init__(
        self,
        *,
        embedder: str = SENTENCE_MODEL,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)

    def _check_input(self, item: Path | str) -> Path | str:
        return clip_long_text(check_text(item if isinstance(item, str) else None, "text").strip())


class TextReferenceFD(TextFD):
    """:class:`TextFD` against the reference responses given with the samples (the manifest's ``reference`` column).

    **Meaning.** The reference set is the distinct ``reference`` texts of the run's text samples (for dialogue
    data: the human replies to the same contexts), so each system's responses are compared, as a distribution,
    with what people answered. Runs by default whenever samples carry references.

    **Range and direction.** As ``text_fd``: [0, 4] in practice, lower is better; biased below 384 texts.

    **Needs.** Text responses with a ``reference`` response (samples without one are skipped). Parameters:
    ``embedder`` (a registered ``sentence-embedder``; default ``all-minilm-l6-v2``) and ``by_emotion``, as for
    ``text_fd``.

    **Source.** As ``text_fd``.

    >>> TextReferenceFD().spec.needs
    frozenset({'reference'})
    """

    spec = MetricSpec(
        name="text_reference_fd",
        modality="text",
        scope="corpus",
        outputs=TextFD.spec.outputs,
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=(SENTENCE_MODEL,),
        summary="Fréchet distance of response embeddings (MiniLM...) to the samples' reference responses",
        citation=TextFD.spec.citation,
    )
    sample_references = True

    def __init__(self, *, embedder: str = SENTENCE_MODEL, by_emotion: bool = False) -> None:
        super().__init__(embedder=embedder, by_emotion=by_emotion)


__all__ = ["TextFD", "TextReferenceFD"]
