"""The text emotion probe: frozen all-MiniLM-L6-v2 sentence embeddings → a probe fitted on labelled real text.

The same mechanism as the speech probe (:mod:`emoeval.reference_models.emotion_probe`: standardisation +
multinomial logistic regression, saved as JSON + npz with its hashes), on one feature block: the 384-d unit
sentence embedding of ``all-minilm-l6-v2``. Use it when a labelled corpus of the dialogue domain exists (MELD,
EmpatheticDialogues, DailyDialog...): it learns that corpus's label boundaries, which the zero-shot default
(``text-emotion-zeroshot``) cannot. Fit it with ``emoeval models fit-emotion-probe SET --model
text-emotion-probe --out DIR`` or on the fly with ``--emotion-reference SET``, and score with it by naming it as the
recognizer: ``--metrics 'text_emotion_accuracy(recognizer=text-emotion-probe)'``; ``SET`` is a table with a
``text`` column and an emotion column (``target_emotion``, ``emotion`` or ``label``), optionally ``speaker``
(then folds leave one speaker out) or a group column (``group``, ``dialogue_id`` or ``dialogue``: then the
cross-validation folds keep each dialogue whole). Give the dialogue for a dialogue corpus: utterances of one
dialogue on both sides of a split inflate the estimate (MELD dev: weighted F1 0.450 with stratified 5-fold,
0.435 grouped by dialogue; balanced accuracy 0.329 vs 0.299).
"""

from __future__ import annotations

from typing import ClassVar

from emoeval.reference_models.emotion_probe import EmotionProbeModel
from emoeval.reference_models.store import ModelCard
from emoeval.reference_models.text_embedding import SENTENCE_MODEL

TEXT_PROBE_CARD = ModelCard(
    name="text-emotion-probe",
    version="all-minilm-l6-v2",
    files=(),
    summary=(
        "text emotion probe fitted by emoeval on a labelled reference set (all-MiniLM-L6-v2 sentence embedding → "
        "multinomial logistic regression); one artefact per reference set"
    ),
    license="MIT (emoeval); the probe inherits the terms of the reference set it was fitted on",
    citation="probe on frozen sentence embeddings (Reimers & Gurevych 2019; Conneau et al. 2018, SentEval)",
    install_hint=(
        "fit one with `emoeval models fit-emotion-probe SET --model text-emotion-probe --out DIR` and pass "
        "--weights text-emotion-probe=DIR (or --emotion-reference DIR), or let `emoeval score ... "
        "--emotion-reference SET` fit it"
    ),
    # an allowed recognizer= of the text emotion metrics (with emotion_reference=, the set it is fitted on)
    roles=("text-emotion-recognizer",),
)


class TextEmotionProbe(EmotionProbeModel):
    """The text emotion probe: MiniLM sentence embedding → probabilities over the reference set's emotions.

    Output: [K probabilities ‖ standardised embedding (384-d)]. Reference sets are tables with a ``text``
    column (a folder of files does not apply to text). An emotion recognizer like every probe (role
    ``text-emotion-recognizer``): ``text_emotion_accuracy(recognizer=text-emotion-probe)`` with an
    ``emotion_reference`` reads it through :func:`~emoeval.reference_models.recognition.recognize`.
    """

    card = TEXT_PROBE_CARD
    requires: ClassVar[tuple[str, ...]] = (SENTENCE_MODEL,)
    modality = "text"
    item_suffixes = frozenset()


__all__ = ["TEXT_PROBE_CARD", "TextEmotionProbe"]
