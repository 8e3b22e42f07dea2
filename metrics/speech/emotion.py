"""Speech emotion metrics: emotion accuracy, emotion preservation, emotion similarity, and an arousal proxy.

The recognizer is a parameter of the accuracy and preservation metrics (``recognizer=``, a registered
``speech-emotion-recognizer``), read through the one emotion-recognizer interface of every modality
(:func:`emoeval.reference_models.recognition.recognize`: labels, probabilities, optional embedding):

- ``speech-emotion-probe`` (default): emoeval's speech emotion probe (:mod:`emoeval.reference_models.speech_emotion`),
  a multinomial logistic regression on [Whisper tiny.en encoder embedding ‖ prosodic and spectral functionals],
  fitted on a labelled **reference set of real emotional speech** — the protocol of papers that train a
  recognizer on the real corpus (ESD, EmoDB, ...) and apply it to generated speech. Give the set with
  ``emotion_reference=`` (``--emotion-reference``): a labelled table or folder (the probe is fitted on the fly, or
  found in the cache), or the folder of a probe fitted with ``emoeval models fit-emotion-probe``. Without it
  these metrics are left out of default runs. The similarity and arousal metrics always read this probe.
- ``speechbrain-emotion-iemocap``: speechbrain's wav2vec2 IEMOCAP recognizer (neutral, angry, happy, sad),
  pulled from the hub; it needs no ``emotion_reference`` (one given is ignored).

Values are comparable only within one recognizer *and one reference set*. The maths lives in
:mod:`emoeval.metrics.emotion_scores`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.metrics.emotion_scores import (
    ACCURACY_OUTPUTS,
    accuracy_summary,
    js_divergence,
    labels_seen,
    not_scorable_message,
)
from emoeval.reference_models.recognition import Recognition, recognize, recognizer

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings

PROBE = "speech-emotion-probe"
WHISPER_ENCODER = "whisper-tiny-en-encoder"
FUNCTIONALS = "speech-prosody-functionals"
PROBE_MODELS: tuple[str, ...] = (WHISPER_ENCODER, FUNCTIONALS, PROBE)
SPEECHBRAIN = "speechbrain-emotion-iemocap"
#: the role of the models a ``recognizer=`` parameter accepts
RECOGNIZER_ROLE = "speech-emotion-recognizer"
_INF = math.inf
#: the functionals the arousal proxy averages (after standardisation against the reference set), all rising
#: with arousal: F0 level and range, energy dynamics, spectral balance toward high frequencies, speaking rate
AROUSAL_COMPONENTS: tuple[str, ...] = (
    "f0_median_st",
    "f0_range_st",
    "energy_range_db",
    "alpha_ratio_db",
    "speaking_rate",
)
_PROBE_CITATION = (
    "Radford et al. 2023 (Whisper encoder); Eyben et al. 2016 (eGeMAPS functionals); probe protocol as in "
    "Zhou et al. 2021 (ESD) and Pepino et al. 2021"
)
_SPEECHBRAIN_CITATION = "Ravanelli et al. 2021 (SpeechBrain wav2vec2 IEMOCAP recognizer)"


def arousal_proxy(values: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> float:
    """Mean of the standardised components ((value − mean) / scale): 0 = the reference set's average.

    >>> arousal_proxy(np.array([2.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 2.0]))
    0.5
    """
    z = (np.asarray(values, dtype=np.float64) - np.asarray(mean, dtype=np.float64)) / np.asarray(scale, dtype=float)
    return float(np.mean(z))


class _SpeechEmotionMetric(SampleMetric):
    """Shared: the recognizer (a registry name), the emotion reference a probe recognizer is fitted on, the models
    this instance reads, and the labels the recognizer can say.

    ``emotion_reference`` is required when the recognizer is an emotion probe
    (:class:`~emoeval.reference_models.emotion_probe.EmotionProbeModel`, fitted before the run by
    :func:`~emoeval.reference_models.emotion_probe.attach_emotion_probes`) and ignored (kept as None) for a
    recognizer with weights of its own, so a run-wide ``--emotion-reference`` does not enter its cache keys.
    """

    batch_size = 16

    def __init__(self, *, recognizer: str = PROBE, emotion_reference: str | Path | None = None) -> None:
        from emoeval.reference_models.emotion_probe import EmotionProbeModel

        model_class = self.check_model("recognizer", recognizer, RECOGNIZER_ROLE)
        self.recognizer = recognizer
        is_probe = issubclass(model_class, EmotionProbeModel)
        if is_probe and emotion_reference is None:
            raise RunConfigError(
                f"{type(self).spec.name} needs a speech emotion recognizer fitted on real emotional speech: give "
                "emotion_reference=<a labelled table or folder of real emotional recordings, or the folder of a "
                "probe fitted with `emoeval models fit-emotion-probe`> (CLI: --emotion-reference)"
            )
        self.emotion_reference = str(emotion_reference) if is_probe else None
        # a probe reads its feature extractors' outputs: they are models of this metric too (cache keys, provenance)
        self._models: tuple[str, ...] = (*model_class.requires, recognizer) if is_probe else (recognizer,)
        self._labels: tuple[str, ...] | None = None

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    def _model(self, context: ScoringContext) -> Any:
        model = recognizer(context, self.recognizer)
        self._labels = tuple(model.labels)
        return model

    def _recognize(
        self, context: ScoringContext, items: Sequence[Path]
    ) -> tuple[tuple[str, ...], list[Recognition | SampleInputError]]:
        """The recognizer's labels, and its reading of each item (or the reason there is none)."""
        labels, readings = recognize(context, self.recognizer, list(items))
        self._labels = labels
        return labels, readings

    def _labels_for_summary(self, rows: pd.DataFrame) -> list[str]:
        if self._labels is not None:
            return list(self._labels)
        return labels_seen(rows)


class _ProbeOnlyMetric(_SpeechEmotionMetric):
    """A metric that reads the speech probe's own parts (its feature space, the norms of its functionals): the
    probe is not a parameter, only the reference set it is fitted on."""

    def __init__(self, *, emotion_reference: str | Path | None = None) -> None:
        super().__init__(recognizer=PROBE, emotion_reference=emotion_reference)


# -- 1. emotion accuracy ------------------------------------------------------------------------------------------


class SpeechEmotionAccuracy(_SpeechEmotionMetric):
    """Does a recognizer hear the target emotion in the generated speech? (emotion accuracy, macro-F1)

    **Meaning.** Each recording (16 kHz) is classified by the ``recognizer``: by default emoeval's speech emotion
    probe fitted on the ``emotion_reference`` set of real emotional speech (Whisper tiny.en encoder ‖ prosodic and
    spectral functionals → multinomial logistic regression), or speechbrain's wav2vec2 IEMOCAP recognizer
    (``recognizer=speechbrain-emotion-iemocap``: neutral, angry, happy, sad; 78.7 % accuracy on IEMOCAP by its
    model card; old name ``speech_emotion_accuracy_speechbrain``, kept for one release). ``correct`` is 1 when
    its top label is the sample's target emotion: its system mean is the *emotion accuracy* emotional TTS and
    voice-conversion papers report (with their own recognizers: values are comparable only within one
    recognizer and reference set, and a non-default recognizer is named in the metric label,
    ``speech_emotion_accuracy(recognizer=speechbrain-emotion-iemocap)``).
    ``target_probability`` is the recognizer's probability of the target; the predicted label is in the
    ``label`` column. Per system: ``macro_f1`` over the target emotions present (seeded bootstrap interval),
    ``recall`` per target emotion (Wilson interval) and the ``confusion`` counts (true class in
    ``target_emotion``, predicted class in ``label``, one cell per recognizer label).

    **Range and direction.** correct, target_probability, accuracy, macro_f1, recall in [0, 1], higher is
    better; confusion counts have no direction. Chance is about 1/K for K labels. How good the recognizer is
    on real speech is measured when it is fitted (``emoeval models fit-emotion-probe`` prints leave-one-
    speaker-out accuracy and macro-F1): read every accuracy against that ceiling. On the 20 EmoDB clips of
    ``../shared/data`` (2 speakers, 7 emotions) leave-one-speaker-out accuracy is 0.55 (chance 0.20).

    **Needs.** Audio in ``path`` and a ``target_emotion``. Parameters: ``recognizer``, a registered
    ``speech-emotion-recognizer`` (``speech-emotion-probe``, the default, or ``speechbrain-emotion-iemocap``,
    whose files come from the hub: ``emoeval models pull speechbrain-emotion-iemocap``); ``emotion_reference``
    (run option ``--emotion-reference``), required for the probe. A target the recognizer cannot say (not among
    the reference set's emotions, or the four of IEMOCAP) is a per-sample "not scorable" error, never counted
    as wrong; bad audio (empty, silent, < 100 ms of speech) is a per-sample error.

    **Source.** Emotion accuracy with a recognizer trained on the real corpus, e.g. Zhou et al. 2021 (ESD,
    "Seen and unseen emotional style transfer", ICASSP); Radford et al. 2023 (Whisper); Eyben et al. 2016;
    Ravanelli et al. 2021 (SpeechBrain), Baevski et al. 2020 (wav2vec 2.0), Busso et al. 2008 (IEMOCAP).

    >>> SpeechEmotionAccuracy(emotion_reference="ref.csv").models
    ('whisper-tiny-en-encoder', 'speech-prosody-functionals', 'speech-emotion-probe')
    >>> metric = SpeechEmotionAccuracy(recognizer="speechbrain-emotion-iemocap")
    >>> metric.label, metric.models, metric.emotion_reference
    ('speech_emotion_accuracy(recognizer=speechbrain-emotion-iemocap)', ('speechbrain-emotion-iemocap',), None)
    """

    spec = MetricSpec(
        name="speech_emotion_accuracy",
        modality="speech",
        scope="sample",
        outputs=ACCURACY_OUTPUTS,
        version="1.0.0",
        needs=frozenset({"target_emotion"}),
        models=PROBE_MODELS,
        summary="emotion accuracy of generated speech by a recognizer (probe fitted on real speech...) (+ F1, recall)",
        citation=f"{_PROBE_CITATION}; {_SPEECHBRAIN_CITATION}",
    )
    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "speech_emotion_accuracy_speechbrain": {"recognizer": SPEECHBRAIN}
    }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        labels = tuple(self._model(context).labels)
        scores: list[SampleScore | None] = [None] * len(samples)
        todo = []
        for index, sample in enumerate(samples):
            if sample.target_emotion in labels:
                todo.append(index)
            else:
                scores[index] = SampleScore.failed(not_scorable_message(sample.target_emotion, labels))
        _, readings = self._recognize(context, [samples[i].path for i in todo])  # type: ignore[misc]
        for index, reading in zip(todo, readings, strict=True):
            if isinstance(reading, SampleInputError):
                scores[index] = SampleScore.failed(reading)
                continue
            target = samples[index].target_emotion
            assert target is not None
            predicted = reading.predicted
            scores[index] = SampleScore(
                values={"correct": float(predicted == target), "target_probability": reading.probability(target)},
                label=predicted,
            )
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        return accuracy_summary(rows, self._labels_for_summary(rows), bootstrap)


# -- 2. emotion preservation (voice conversion) ---------------------------------------------------------------


class SpeechEmotionPreservation(_SpeechEmotionMetric):
    """Does the converted speech keep the source's emotion? (agreement of the recognizer on source and output)

    **Meaning.** The generated recording (``path``) and its source (``reference``: the input of a voice
    conversion, or any recording whose emotion should be kept) are classified by the same ``recognizer`` (the
    speech probe fitted on ``emotion_reference`` by default, or ``speechbrain-emotion-iemocap``; old name
    ``speech_emotion_preservation_speechbrain``, kept for one release), giving distributions p_out and p_src
    over its labels. ``same_label`` is 1 when both get the same top label (its mean is the *same-predicted-label
    rate*); ``js_divergence`` is the Jensen–Shannon divergence (base 2) between p_out and p_src;
    ``source_emotion_probability`` is p_out of the source's top label. No emotion label is needed: the
    recognizer's own reading of the source is the target, so a recognizer that misreads the source still
    measures agreement (which is what preservation is), not correctness.

    **Range and direction.** same_label and source_emotion_probability in [0, 1], higher is better;
    js_divergence in [0, 1], lower is better (0: identical distributions). The output's predicted label is
    in ``label``.

    **Needs.** ``path`` and ``reference`` (the source recording). Parameters: ``recognizer``, a registered
    ``speech-emotion-recognizer`` (``speech-emotion-probe``, the default, or ``speechbrain-emotion-iemocap``);
    ``emotion_reference`` (run option), required for the probe. Bad audio on either side is a per-sample error.

    **Source.** Emotion preservation of voice conversion as evaluated for Emo-StarGAN (Ghosh et al. 2023,
    Interspeech) with a recognizer's agreement; Lin 1991 (Jensen–Shannon divergence); the recognizers as in
    ``speech_emotion_accuracy``.

    >>> SpeechEmotionPreservation.spec.output("js_divergence").higher_is_better
    False
    """

    spec = MetricSpec(
        name="speech_emotion_preservation",
        modality="speech",
        scope="sample",
        outputs=(
            Output(
                "same_label", higher_is_better=True, range=(0.0, 1.0), description="top label of output = of source"
            ),
            Output(
                "js_divergence",
                higher_is_better=False,
                range=(0.0, 1.0),
                description="JS divergence (base 2) of the emotion distributions, output vs source",
            ),
            Output(
                "source_emotion_probability",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="output's probability of the source's top emotion",
            ),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=PROBE_MODELS,
        summary="emotion preservation source → output (same predicted label, JS divergence) by a speech recognizer",
        citation=f"Ghosh et al. 2023 (Emo-StarGAN); Lin 1991 (JS); {_PROBE_CITATION}; {_SPEECHBRAIN_CITATION}",
    )
    model_params: ClassVar[Mapping[str, str]] = {"recognizer": RECOGNIZER_ROLE}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "speech_emotion_preservation_speechbrain": {"recognizer": SPEECHBRAIN}
    }

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        items = [s.path for s in samples] + [Path(s.reference) for s in samples]  # type: ignore[arg-type,misc]
        _, readings = self._recognize(context, items)  # type: ignore[arg-type]
        scores = []
        for index in range(len(samples)):
            output, source = readings[index], readings[len(samples) + index]
            if isinstance(output, SampleInputError):
                scores.append(SampleScore.failed(f"output: {output}"))
                continue
            if isinstance(source, SampleInputError):
                scores.append(SampleScore.failed(f"reference: {source}"))
                continue
            out_label, src_label = output.predicted, source.predicted
            scores.append(
                SampleScore(
                    values={
                        "same_label": float(out_label == src_label),
                        "js_divergence": js_divergence(output.probabilities, source.probabilities),
                        "source_emotion_probability": output.probability(src_label),
                    },
                    label=out_label,
                )
            )
        return scores


# -- 3. emotion similarity in the recognizer's embedding space ------------------------------------------------------

_SEPARATION_OUTPUTS = (
    ("reference_within_emotion", "within_emotion", "reference set: mean cosine of same-emotion pairs"),
    ("reference_across_emotion", "across_emotion", "reference set: mean cosine of different-emotion pairs"),
    ("reference_separation_auc", "auc", "reference set: P(same-emotion pair more similar than different)"),
    (
        "reference_speaker_vs_emotion_auc",
        "speaker_vs_emotion_auc",
        "reference set: P(same speaker, other emotion more similar than other speaker, same emotion)",
    ),
)


class SpeechEmotionSimilarity(_ProbeOnlyMetric):
    """Cosine similarity to a reference utterance in the emotion recognizer's embedding space — read with care.

    **Meaning.** The generated recording (``path``) and a reference utterance (``reference``, e.g. a real
    recording of the target emotion, or the source of a conversion) are embedded in the space the speech
    emotion probe classifies in: the Whisper-encoder and functional features standardised over the reference
    set. ``cosine`` is their cosine similarity. **What it does not measure:** this space is not an emotion
    space. Like every utterance-embedding cosine it tracks speaker, content, language and recording conditions
    at least as much as emotion (emotion2vec and similar toolkits report cosines above 0.93 between utterances
    of *different* emotions), so a high value does not mean "same emotion". Each system therefore also gets the
    **separation check** computed on the reference set when the probe was fitted: mean cosine of same-emotion
    pairs (``reference_within_emotion``) and of different-emotion pairs (``reference_across_emotion``), the
    probability that a same-emotion pair is more similar than a different-emotion pair
    (``reference_separation_auc``; 0.5 = the space ignores emotion) and, when speakers are known, the
    probability that two emotions of one speaker are more similar than one emotion of two speakers
    (``reference_speaker_vs_emotion_auc``; above 0.5 = the space tracks the speaker more than the emotion).
    On the 20 EmoDB clips of ``../shared/data`` the separation AUC is about 0.6: a weak signal. Prefer
    ``speech_emotion_accuracy`` and ``speech_emotion_preservation``, which read the recognizer's decision.

    **Range and direction.** cosine in [-1, 1], higher is better (more similar to the reference in this
    space); the reference-set values describe the space (no direction).

    **Needs.** ``path``, ``reference`` and ``emotion_reference`` (run option).

    **Source.** Embedding-similarity emotion metrics as in emotion2vec-based evaluation (Ma et al. 2024,
    emotion2vec, ACL Findings), with the separation check emoeval adds; Radford et al. 2023 (Whisper).

    >>> [o.name for o in SpeechEmotionSimilarity.spec.outputs if o.scope == "system"][:2]
    ['reference_within_emotion', 'reference_across_emotion']
    """

    spec = MetricSpec(
        name="speech_emotion_similarity",
        modality="speech",
        scope="sample",
        outputs=(
            Output("cosine", higher_is_better=True, range=(-1.0, 1.0), description="cosine in the probe's input space"),
            *(
                Output(name, higher_is_better=None, range=(-1.0, 1.0), description=text, scope="system")
                for name, _, text in _SEPARATION_OUTPUTS
            ),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=PROBE_MODELS,
        summary="cosine to a reference utterance in the speech probe's space, with the reference-set separation check",
        citation="Ma et al. 2024 (emotion2vec); " + _PROBE_CITATION,
    )

    def __init__(self, *, emotion_reference: str | Path | None = None) -> None:
        super().__init__(emotion_reference=emotion_reference)
        self._separation: dict[str, float] | None = None
        self._reference_pairs = 0

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.metrics.similarity import cosine_similarity

        model = self._model(context)
        probe = getattr(model, "probe", None)
        if probe is not None:
            separation = probe.report.get("separation") or {}
            self._separation = {key: float(value) for key, value in separation.items() if value is not None}
        items = [s.path for s in samples] + [Path(s.reference) for s in samples]  # type: ignore[arg-type,misc]
        _, readings = self._recognize(context, items)  # type: ignore[arg-type]
        scores = []
        for index in range(len(samples)):
            output, reference = readings[index], readings[len(samples) + index]
            if isinstance(output, SampleInputError):
                scores.append(SampleScore.failed(f"output: {output}"))
            elif isinstance(reference, SampleInputError):
                scores.append(SampleScore.failed(f"reference: {reference}"))
            elif output.embedding is None or reference.embedding is None:
                scores.append(SampleScore.failed(f"{self.recognizer} gives no embedding to compare"))
            else:
                scores.append(SampleScore(values={"cosine": cosine_similarity(output.embedding, reference.embedding)}))
        return scores

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        if not self._separation:
            return []
        pairs = int(self._separation.get("n_within", 0) + self._separation.get("n_across", 0))
        return [
            SystemValue(name, float(self._separation[key]), n=pairs, statistic="reference_set")
            for name, key, _ in _SEPARATION_OUTPUTS
            if key in self._separation and math.isfinite(self._separation[key])
        ]


# -- 4. arousal proxy ---------------------------------------------------------------------------------------------


class SpeechArousalProxy(_ProbeOnlyMetric):
    """A prosodic *proxy* for arousal (activation) — not an emotion, not a validated arousal rating.

    **Meaning.** Five acoustic correlates of vocal arousal from the speech probe's functionals (16 kHz, over
    the speech span): F0 median and 5–95 % range (semitones), energy range (dB), alpha ratio (dB of 1–5 kHz over
    50 Hz–1 kHz) and speaking rate (syllable nuclei per second). Each is standardised against the reference set
    the probe was fitted on (its mean and standard deviation) and ``arousal_proxy`` is their mean: 0 is the
    reference set's average, +1 one standard deviation more "activated" on average. When the sample has a
    ``reference`` recording, ``arousal_proxy_vs_reference`` is the output's proxy minus the reference's — with a
    reference by the same speaker this cancels most of the speaker's own F0 level and speaking style. The
    functionals are invariant to recording gain, so loudness is deliberately not part of it.

    **Range and direction.** Unbounded, no direction (higher = more activated than the reference set; whether
    that is good depends on the target emotion). Known confounds: F0 level differs between speakers (a
    female voice reads higher than a male one at equal arousal — use the ``_vs_reference`` value with a same-
    speaker reference), text and language change speaking rate. On EmoDB's 20 clips (two speakers) the proxy
    ranks anger, happiness and fear above sadness, boredom and neutral (see the integration test for the AUC).

    **Needs.** Audio in ``path`` and ``emotion_reference`` (run option, for the norms); ``reference`` optional.

    **Source.** Acoustic correlates of arousal: Scherer 2003 (Speech Communication 40), Eyben et al. 2016
    (eGeMAPS: alpha ratio, F0, loudness), Schuller et al. 2009.

    >>> SpeechArousalProxy.spec.headline.higher_is_better is None
    True
    """

    spec = MetricSpec(
        name="speech_arousal_proxy",
        modality="speech",
        scope="sample",
        outputs=(
            Output(
                "arousal_proxy",
                higher_is_better=None,
                range=(-_INF, _INF),
                description="mean standardised F0 level/range, energy range, alpha ratio, rate (proxy)",
            ),
            Output(
                "arousal_proxy_vs_reference",
                higher_is_better=None,
                range=(-_INF, _INF),
                description="arousal proxy of the output minus that of the reference recording",
            ),
        ),
        version="1.0.0",
        models=PROBE_MODELS,
        summary="prosodic arousal PROXY (F0, energy range, alpha ratio, rate) standardised on the reference set",
        citation="Scherer 2003; Eyben et al. 2016 (eGeMAPS)",
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        items: list[Path] = [s.path for s in samples]  # type: ignore[misc]
        with_reference = [i for i, s in enumerate(samples) if s.reference is not None]
        items += [Path(samples[i].reference) for i in with_reference]  # type: ignore[arg-type]
        proxies = arousal_proxies(context, self._model(context), items)
        reference_of = {i: proxies[len(samples) + k] for k, i in enumerate(with_reference)}
        scores = []
        for index in range(len(samples)):
            value = proxies[index]
            if isinstance(value, SampleInputError):
                scores.append(SampleScore.failed(value))
                continue
            values = {"arousal_proxy": value}
            warning = None
            reference = reference_of.get(index)
            if isinstance(reference, SampleInputError):
                warning = f"reference: {reference}; arousal_proxy_vs_reference left out"
            elif reference is not None:
                values["arousal_proxy_vs_reference"] = value - reference
            scores.append(SampleScore(values=values, warning=warning))
        return scores


def arousal_proxies(context: ScoringContext, probe_model: Any, items: Sequence[Path]) -> list[float | SampleInputError]:
    """The prosodic arousal proxy of each recording (see :class:`SpeechArousalProxy`), standardised with the norms
    of the speech probe ``probe_model`` was fitted with (its functionals block), or why there is none."""
    from emoeval.reference_models.speech_emotion import FUNCTIONAL_NAMES

    probe = probe_model.probe
    offset = 0
    for block in probe.blocks:
        if block.model == FUNCTIONALS:
            break
        offset += block.dim
    columns = np.array([offset + FUNCTIONAL_NAMES.index(name) for name in AROUSAL_COMPONENTS])
    mean, scale = probe.scaler_mean[columns], probe.scaler_scale[columns]
    positions = [FUNCTIONAL_NAMES.index(name) for name in AROUSAL_COMPONENTS]
    return [
        output if isinstance(output, SampleInputError) else arousal_proxy(np.asarray(output)[positions], mean, scale)
        for output in context.outputs(FUNCTIONALS, list(items))
    ]


__all__ = [
    "AROUSAL_COMPONENTS",
    "SpeechArousalProxy",
    "SpeechEmotionAccuracy",
    "SpeechEmotionPreservation",
    "SpeechEmotionSimilarity",
    "arousal_proxies",
    "arousal_proxy",
]
