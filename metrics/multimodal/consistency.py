"""Multimodal emotion consistency: do the face, the voice and the words of one generated item show one emotion?

A generator of talking faces, emotional voices and empathetic replies can fail by letting its modalities disagree
(a happy voice on a neutral face, with sad words). This metric reads *bundles* (reserved metric modality
``multimodal``: the samples of one system that share a ``group`` across modalities, or one multi-part sample —
:func:`emoeval.samples.bundle_samples`), classifies each modality with its own recognizer, and compares the
recognizers' distributions on the labels both can produce. The maths (shared vocabulary, the not-scorable rule,
top-label agreement, JS divergence, target agreement, confusion) is in :mod:`emoeval.functional.consistency`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.functional.consistency import (
    DEFAULT_MIN_MASS,
    agreement_rate,
    bundle_consistent,
    compare_pair,
    mean_or_nan,
    shared_vocabulary,
    target_agreement,
)
from emoeval.functional.emotion import confusion_counts
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore, SystemValue
from emoeval.reference_models.recognition import Recognition, recognize
from emoeval.samples import MULTIMODAL

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Part, Sample
    from emoeval.stats.aggregate import BootstrapSettings

#: the modalities this metric reads, in the order pairs are named (face_speech, face_text, speech_text)
MODALITIES: tuple[str, ...] = ("face", "speech", "text")
PAIRS: tuple[tuple[str, str], ...] = (("face", "speech"), ("face", "text"), ("speech", "text"))
FACE_RECOGNIZER = "fer-mini-xception"
SPEECH_RECOGNIZER = "speech-emotion-probe"
TEXT_RECOGNIZER = "text-emotion-zeroshot"
ROLES: Mapping[str, str] = {
    "face": "face-emotion-recognizer",
    "speech": "speech-emotion-recognizer",
    "text": "text-emotion-recognizer",
}


def pair_name(a: str, b: str) -> str:
    """``face_speech``: how a pair of modalities is named in sub-metrics."""
    return f"{a}_{b}"


def format_tops(tops: Mapping[str, str]) -> str:
    """The top label of each modality as the ``label`` column holds it: ``face=happy;speech=sad;text=neutral``.

    >>> format_tops({"text": "sad", "face": "happy"})
    'face=happy;text=sad'
    """
    return ";".join(f"{m}={tops[m]}" for m in MODALITIES if m in tops)


def parse_tops(label: str | None) -> dict[str, str]:
    """Inverse of :func:`format_tops` (an empty dict for None).

    >>> parse_tops("face=happy;text=sad")
    {'face': 'happy', 'text': 'sad'}
    """
    if not label:
        return {}
    return dict(item.split("=", 1) for item in str(label).split(";") if "=" in item)


def _outputs() -> tuple[Output, ...]:
    outputs = [
        Output(
            "consistent",
            higher_is_better=True,
            range=(0.0, 1.0),
            description="1 when every scorable modality pair has the same top label (mean: consistency rate)",
        )
    ]
    outputs += [
        Output(
            f"agree_{pair_name(a, b)}",
            higher_is_better=True,
            range=(0.0, 1.0),
            description=f"{a} and {b} recognizers give the same top label (scorable pairs only)",
        )
        for a, b in PAIRS
    ]
    outputs += [
        Output(
            f"js_{pair_name(a, b)}",
            higher_is_better=False,
            range=(0.0, 1.0),
            description=f"JS divergence (base 2) of the {a} and {b} distributions on their shared labels",
        )
        for a, b in PAIRS
    ]
    outputs += [
        Output("mean_js", higher_is_better=False, range=(0.0, 1.0), description="mean JS over scorable pairs"),
        Output(
            "target_agreement",
            higher_is_better=True,
            range=(0.0, 1.0),
            description="share of the scorable modalities whose top label is the target emotion",
        ),
        Output(
            "consistency_rate",
            higher_is_better=True,
            range=(0.0, 1.0),
            description="share of scorable bundles that are consistent (Wilson CI)",
            scope="system",
        ),
    ]
    outputs += [
        Output(
            f"agreement_{pair_name(a, b)}",
            higher_is_better=True,
            range=(0.0, 1.0),
            description=f"share of scorable {a}–{b} pairs with the same top label (Wilson CI)",
            scope="system",
        )
        for a, b in PAIRS
    ]
    outputs += [
        Output(
            f"confusion_{pair_name(a, b)}",
            higher_is_better=None,
            range=(0.0, math.inf),
            description=f"count of scorable bundles with {a}'s top label in target_emotion and {b}'s in label",
            scope="system",
        )
        for a, b in PAIRS
    ]
    return tuple(outputs)


class MultimodalEmotionConsistency(SampleMetric):
    """Do the modalities of one generated item show the same emotion? (multimodal emotion consistency)

    **Meaning.** Detects the failure signature *modalities that disagree*. Each bundle — the face, voice and
    words a system generated for one item: its samples sharing a ``group`` across modalities, or one multi-part
    sample (``path`` a face, ``audio:speech``, ``reply:text``...) — has each modality classified by its recognizer
    (``face_recognizer``, ``speech_recognizer``, ``text_recognizer``), whose labels are all in emoeval's
    vocabulary. Each pair of modalities is compared on the labels both recognizers can produce
    (:mod:`emoeval.functional.consistency`): ``agree_<a>_<b>`` is 1 when both top labels are the same,
    ``js_<a>_<b>`` the Jensen–Shannon divergence (base 2) of the two distributions restricted to the shared labels
    and renormalised. ``consistent`` (headline) is 1 when every scorable pair agrees — its system mean, with the
    runner's bootstrap interval, is the **consistency rate**; ``mean_js`` averages the pairs' JS;
    ``target_agreement`` is the share of the modalities whose top label is the bundle's target emotion. The top
    labels are in the ``label`` column (``face=happy;speech=sad;text=neutral``). Per system: ``consistency_rate``
    and ``agreement_<a>_<b>`` with Wilson intervals, and ``confusion_<a>_<b>`` counts (``statistic="count"``):
    **modality A's top label in** ``target_emotion``, **B's in** ``label`` (A first in face, speech, text order),
    one cell per label both recognizers can produce, zeros included; the diagonal's share is the agreement rate.

    **Range and direction.** consistent, agree_*, target_agreement, consistency_rate, agreement_* in [0, 1], higher
    is better (1: every modality shows the same emotion); js_*, mean_js in [0, 1], lower is better; confusion
    counts have no direction. Chance agreement of two recognizers is Σ p_A(k) p_B(k) over their label
    frequencies, not 0: compare systems, and read a rate against a real bundle set (CREMA-D's crowd agrees on
    face-only vs voice-only top labels for 50.8 % of its 7,442 clips, tests/integration/test_consistency_cremad.py).
    Recognizer errors count as disagreement: values are comparable only with the same recognizers.

    **Needs.** Bundles: at least two of face (image), speech (audio), text, each at most once per bundle; the
    target emotion is optional (for ``target_agreement``). A pair is **not scorable** — left out of every value,
    never counted as a disagreement, and named in the ``warning`` column — when the top label of either reading is
    one the other recognizer cannot produce (FER's "surprise" against an EmoDB-fitted voice probe) or less than
    ``min_mass`` of either distribution lies on the shared labels; a target a recognizer cannot produce (e.g.
    "boredom" for FER's seven labels) leaves that modality out of ``target_agreement``. A bundle with no scorable
    pair is a "not scorable" error row; one with an unreadable part an error row naming the part. Parameters:
    ``face_recognizer`` (default ``fer-mini-xception``), ``speech_recognizer`` (default ``speech-emotion-probe``,
    fitted on ``emotion_reference``, a labelled set of real emotional speech — run option
    ``--emotion-reference``; without it the speech part of every bundle is not scorable; or
    ``speechbrain-emotion-iemocap`` from the hub), ``text_recognizer`` (default ``text-emotion-zeroshot``; not a
    probe: ``emotion_reference`` is the speech probe's), ``min_mass`` (default 0.5).

    **Source.** Modalities that disagree as a failure of emotion synthesis: emotion-consistent talking heads and
    audio-visual emotion evaluation (e.g. Ji et al. 2021, EVP, CVPR; Cao et al. 2014, CREMA-D: face-only, voice-only
    and audio-visual crowd labels); Lin 1991 (Jensen–Shannon divergence); Wilson 1927 (score interval).

    >>> m = MultimodalEmotionConsistency(emotion_reference="emodb.csv")
    >>> m.spec.modality, m.models[-1], m.label
    ('multimodal', 'text-emotion-zeroshot', 'multimodal_emotion_consistency')
    >>> MultimodalEmotionConsistency().models  # no emotion_reference: no speech recognizer is read
    ('yunet-face-detector', 'fer-mini-xception', 'all-minilm-l6-v2', 'text-emotion-zeroshot')
    """

    spec = MetricSpec(
        name="multimodal_emotion_consistency",
        modality=MULTIMODAL,
        scope="sample",
        outputs=_outputs(),
        version="1.0.0",
        models=(
            "yunet-face-detector",
            FACE_RECOGNIZER,
            "whisper-tiny-en-encoder",
            "speech-prosody-functionals",
            SPEECH_RECOGNIZER,
            "all-minilm-l6-v2",
            TEXT_RECOGNIZER,
        ),
        inputs=(Input("target_emotion", required=False, description="the emotion the bundle was generated for"),),
        summary="do face, voice and words of one generated item show the same emotion? (pairwise agreement, JS)",
        citation="Cao et al. 2014 (CREMA-D); Ji et al. 2021 (EVP); Lin 1991 (JS divergence); Wilson 1927",
    )
    run_by_default: ClassVar[bool] = False
    family: ClassVar[str | None] = "failure_signatures"
    model_params: ClassVar[Mapping[str, str]] = {f"{m}_recognizer": ROLES[m] for m in MODALITIES}
    batch_size = 32

    def __init__(
        self,
        *,
        face_recognizer: str = FACE_RECOGNIZER,
        speech_recognizer: str = SPEECH_RECOGNIZER,
        text_recognizer: str = TEXT_RECOGNIZER,
        emotion_reference: str | Path | None = None,
        min_mass: float = DEFAULT_MIN_MASS,
    ) -> None:
        from emoeval.reference_models.emotion_probe import EmotionProbeModel

        if not 0.0 <= float(min_mass) <= 1.0:
            raise RunConfigError(f"{self.spec.name}: min_mass must lie in [0, 1], got {min_mass}")
        self.face_recognizer = face_recognizer
        self.speech_recognizer = speech_recognizer
        self.text_recognizer = text_recognizer
        self.min_mass = float(min_mass)
        classes = {m: self.check_model(f"{m}_recognizer", getattr(self, f"{m}_recognizer")) for m in MODALITIES}
        if issubclass(classes["text"], EmotionProbeModel):
            raise RunConfigError(
                f"{self.spec.name}: text_recognizer={text_recognizer!r} is a probe fitted on a reference set, but "
                "this metric's emotion_reference is the speech probe's; use text-emotion-zeroshot or another text "
                "recognizer with weights of its own"
            )
        speech_is_probe = issubclass(classes["speech"], EmotionProbeModel)
        # the reference matters only to a probe (kept None otherwise, so a run-wide one does not enter cache keys)
        self.emotion_reference = str(emotion_reference) if speech_is_probe and emotion_reference is not None else None
        #: the modalities whose recognizer can run (a speech probe without a reference cannot)
        self._active = tuple(m for m in MODALITIES if not (m == "speech" and speech_is_probe and not emotion_reference))
        models: list[str] = []
        for m in self._active:
            models += [*classes[m].requires, getattr(self, f"{m}_recognizer")]
        self._models = tuple(dict.fromkeys(models))
        self._labels: dict[str, tuple[str, ...]] = {
            m: tuple(classes[m].labels)  # type: ignore[attr-defined]
            for m in self._active
            if isinstance(getattr(classes[m], "labels", None), tuple)
        }

    @property
    def models(self) -> tuple[str, ...]:
        return self._models

    # -- scoring ---------------------------------------------------------------------------------------------------
    def _modality_parts(self, sample: Sample) -> dict[str, tuple[str, Part]] | str:
        """The bundle's part of each modality (name, part), or why the bundle cannot be read."""
        found: dict[str, list[tuple[str, Part]]] = {}
        for name, part in sorted(sample.parts.items()):
            if part.media in MODALITIES:
                found.setdefault(part.media, []).append((name, part))
        several = {m: [n for n, _ in items] for m, items in found.items() if len(items) > 1}
        if several:
            m, names = next(iter(several.items()))
            return (
                f"bundle {sample.sample_id!r} has {len(names)} {m} parts ({', '.join(names)}); a bundle needs one "
                f"output per modality (give each generated {m} output its own group)"
            )
        if len(found) < 2:
            return (
                f"bundle {sample.sample_id!r} has {', '.join(sorted(found)) or 'no'} readable modality; consistency "
                f"needs at least two of {', '.join(MODALITIES)}"
            )
        return {m: items[0] for m, items in found.items()}

    def _read(
        self, context: ScoringContext, modality: str, items: list[tuple[int, Any]]
    ) -> dict[int, Recognition | SampleInputError]:
        """The recognizer's reading of each (bundle index, part value) of one modality."""
        if not items:
            return {}
        readings: dict[int, Recognition | SampleInputError] = {}
        values: list[Any] = []
        indices: list[int] = []
        for index, value in items:
            if modality == "text":
                from emoeval.reference_models.text_embedding import check_text

                try:
                    values.append(check_text(str(value), f"bundle {index} (text)").strip())
                except SampleInputError as exc:
                    readings[index] = exc
                    continue
            else:
                values.append(Path(value))
            indices.append(index)
        if values:
            labels, found = recognize(context, getattr(self, f"{modality}_recognizer"), values)
            self._labels[modality] = tuple(labels)
            readings.update(zip(indices, found, strict=True))
        return readings

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore | None] = [None] * len(samples)
        parts_of: dict[int, dict[str, tuple[str, Part]]] = {}
        notes: dict[int, list[str]] = {}
        for index, sample in enumerate(samples):
            found = self._modality_parts(sample)
            if isinstance(found, str):
                scores[index] = SampleScore.failed(found)
                continue
            inactive = [m for m in found if m not in self._active]
            if inactive:  # a speech probe with no reference set to fit it on
                notes[index] = [
                    f"{m} not scorable: {getattr(self, f'{m}_recognizer')} needs emotion_reference" for m in inactive
                ]
            parts_of[index] = {m: item for m, item in found.items() if m in self._active}
        readings = {
            m: self._read(context, m, [(i, parts[m][1].value) for i, parts in parts_of.items() if m in parts])
            for m in self._active
        }
        for index, parts in parts_of.items():
            sample = samples[index]
            bundle: dict[str, Recognition] = {}
            failure = None
            for m, (name, _) in parts.items():
                reading = readings[m][index]
                if isinstance(reading, SampleInputError):
                    failure = f"{m} part {name!r} of bundle {sample.sample_id!r}: {reading}"
                    break
                bundle[m] = reading
            if failure is not None:
                scores[index] = SampleScore.failed(failure)
                continue
            scores[index] = self._score_bundle(sample, bundle, notes.get(index, []))
        return [score for score in scores if score is not None]

    def _score_bundle(self, sample: Sample, bundle: Mapping[str, Recognition], notes: list[str]) -> SampleScore:
        values: dict[str, float] = {}
        agreements: list[bool | None] = []
        divergences: list[float | None] = []
        for a, b in PAIRS:
            if a not in bundle or b not in bundle:
                continue
            ra, rb = bundle[a], bundle[b]
            pair = compare_pair(ra.probabilities, ra.labels, rb.probabilities, rb.labels, min_mass=self.min_mass)
            agreements.append(pair.agree)
            divergences.append(pair.js)
            if not pair.scorable:
                notes.append(f"{a}–{b} not scorable: {pair.reason.replace(' A', ' ' + a).replace(' B', ' ' + b)}")
                continue
            values[f"agree_{pair_name(a, b)}"] = float(bool(pair.agree))
            values[f"js_{pair_name(a, b)}"] = float(pair.js)  # type: ignore[arg-type]
        consistent = bundle_consistent(agreements)
        warning = "; ".join(notes) or None
        if consistent is None:
            return SampleScore(values={}, error=f"not scorable: no modality pair can be compared ({warning})")
        on_target = [target_agreement(r.probabilities, r.labels, sample.target_emotion) for r in bundle.values()]
        scored = {
            "consistent": float(consistent),
            **values,
            "mean_js": mean_or_nan(divergences),
        }
        if any(hit is not None for hit in on_target):
            scored["target_agreement"] = mean_or_nan([None if hit is None else float(hit) for hit in on_target])
        tops = format_tops({m: r.predicted for m, r in bundle.items()})
        return SampleScore(values=scored, warning=warning, label=tops)

    # -- system values ---------------------------------------------------------------------------------------------
    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        from emoeval.stats.proportion import wilson_interval

        ok = rows[rows["error"].isna()]
        headline = ok[ok["sub_metric"] == "consistent"]
        if headline.empty:
            return [
                SystemValue(
                    "consistency_rate", math.nan, n=0, error="no bundle of this system could be scored (see errors)"
                )
            ]
        results: list[SystemValue] = []

        def rate(sub_metric: str, flags: Sequence[float]) -> None:
            k, n = agreement_rate([bool(v) for v in flags])
            low, high = wilson_interval(k, n, confidence=bootstrap.confidence)
            results.append(SystemValue(sub_metric, k / n if n else math.nan, low, high, n=n, statistic="proportion"))

        rate("consistency_rate", list(headline["value"]))
        tops_of = {str(r.sample_id): parse_tops(r.label) for r in headline.itertuples()}
        for a, b in PAIRS:
            flags = ok[ok["sub_metric"] == f"agree_{pair_name(a, b)}"]
            if flags.empty:
                continue
            rate(f"agreement_{pair_name(a, b)}", list(flags["value"]))
            scored_ids = [str(s) for s in flags["sample_id"]]
            tops_a = [tops_of.get(s, {}).get(a) for s in scored_ids]
            tops_b = [tops_of.get(s, {}).get(b) for s in scored_ids]
            vocabulary = self._pair_vocabulary(a, b, tops_a, tops_b)
            counts = confusion_counts(tops_a, tops_b, vocabulary)
            results.extend(
                SystemValue(
                    f"confusion_{pair_name(a, b)}",
                    float(counts[i, j]),
                    n=len(scored_ids),
                    statistic="count",
                    target_emotion=label_a,
                    label=label_b,
                )
                for i, label_a in enumerate(vocabulary)
                for j, label_b in enumerate(vocabulary)
            )
        return results

    def _pair_vocabulary(
        self, a: str, b: str, tops_a: Sequence[str | None], tops_b: Sequence[str | None]
    ) -> tuple[str, ...]:
        """The labels both recognizers produce (in A's order); the labels seen when a recognizer's are unknown
        (a probe never loaded because every verdict came from the cache)."""
        if a in self._labels and b in self._labels:
            return shared_vocabulary(self._labels[a], self._labels[b])
        return tuple(sorted({t for t in [*tops_a, *tops_b] if t is not None}))


__all__ = ["PAIRS", "MultimodalEmotionConsistency", "format_tops", "pair_name", "parse_tops"]
