"""Over-smoothed (bland) text: the vocabulary of a system's replies against human replies of the same emotions.

The maths is in :mod:`emoeval.functional.lexical_richness` (HD-D, and its restriction to emotion words); the
emotion words are NRC EmoLex's (read as the zero-shot text emotion recognizer reads it,
:mod:`emoeval.reference_models.text_emotion`).

**Why no feature model.** The distribution metrics send a reference set through an embedder model and keep one
vector per text; a richness statistic needs the pooled *words* of a set, which no fixed-length vector holds, and
tokenising costs nothing to recompute, so there is nothing for a model cache to save. :class:`TextRichness` is
therefore a plain :class:`~emoeval.metric.CorpusMetric` that gathers its reference texts itself, from the same
three sources as :class:`~emoeval.metrics.reference_set.ReferenceSetMetric` (``real=``, ``real_system=``, or the
samples' ``reference`` parts), keeping each reference text's emotion.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.functional.lexical_richness import HDD_SAMPLE_SIZE
from emoeval.metric import CorpusMetric, Input, MetricSpec, Output
from emoeval.signatures import BLAND_BELOW  # the verdict threshold (justified in the card below)

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

_INF = math.inf


class TextState(NamedTuple):
    """One reply's word tokens and its target emotion."""

    tokens: tuple[str, ...]
    emotion: str | None


def _pooled(states: Sequence[TextState]) -> Counter[str]:
    """Pooled token counts; a state object repeated (bootstrap copies) counts as often as it appears."""
    counts: Counter[str] = Counter()
    for state in states:
        counts.update(state.tokens)
    return counts


class TextRichness(CorpusMetric):
    """Bland, over-smoothed replies: lexical richness and emotion vocabulary against human replies.

    **Meaning.** Within each target emotion, the system's replies (word tokens, :func:`emoeval.functional.text.
    tokenize`, pooled) are compared with the human replies of that emotion:

    - ``lexical_richness_ratio`` (headline) = HD-D(system) ÷ HD-D(reference). HD-D (McCarthy & Jarvis 2007) is
      the expected share of distinct words in a random sample of ``sample_size`` (42) tokens, computed exactly
      from the hypergeometric distribution. Chosen over the type–token ratio, distinct-n, MATTR and MTLD because
      it depends only on the words used and how often: **not on reply length, nor on the number of replies**
      (a plain type–token ratio falls as text grows), **nor on the order of the replies** (MATTR's windows over
      concatenated replies straddle reply boundaries, so it changes when the manifest is shuffled), and it works
      on one-line replies (MTLD needs ≥ 100 running tokens per measured unit). McCarthy & Jarvis (2010) found it
      among the indices least tied to text length;
    - ``emotion_vocabulary_ratio`` = the same for emotion words only: the expected number of *distinct*
      emotion-bearing words in 42 random tokens ÷ 42, system over reference. A word is emotion-bearing when NRC
      EmoLex (Mohammad & Turney 2013; suffix-stripped forms tried, as the zero-shot recognizer does) associates
      it with anger, disgust, fear, joy, sadness or surprise (emoeval's emotions; anticipation, trust and the
      positive/negative sentiment tags do not count). Few distinct emotion words = emotion expressed with
      stock words, or not at all;
    - ``lexical_richness`` and ``emotion_vocabulary``: the system's own HD-D and emotion-word density, for
      reading the ratios.

    The system value is the mean of the per-emotion values over the emotions the system and the reference share
    (replies of other emotions are left out; ``corpus_warnings`` says so); a reference without emotions, or
    replies without target emotions, are compared whole. With ``by_emotion`` the per-emotion values are rows too.
    An emotion with fewer than ``sample_size`` tokens on either side has no value (NaN).

    **Range and direction.** Ratios in [0, ∞): **1.0 = as rich as human replies**, below 1 = blander (the
    failure signature); above 1 = a richer vocabulary than the humans' (not a fault by itself). The raw values
    lie in [0, 1]. Measured on MELD dev (``bench/signature_text.py``, 995 replies): human replies against
    themselves 1.000 [0.989, 1.011], human replies of other dialogues 1.011 [1.001, 1.021] (emotion vocabulary
    0.94 [0.82, 1.07]), a generic responder cycling five stock replies 0.247 [0.242, 0.252] (emotion vocabulary
    0: no stock reply holds an emotion word). The panel flags ``lexical_richness_ratio`` below
    :data:`BLAND_BELOW` = 0.8 (a fifth fewer distinct words per 42 tokens: ten times the spread of human
    replies against other human replies). The interval is a
    leave-one-reply-out jackknife on the log scale (a bootstrap's duplicated replies would count as repeated
    words and bias the value down), with **the reference held fixed**: it covers the system's replies only.

    **Needs.** Text replies with a ``target_emotion`` (optional, see above) and a reference set of human
    replies: ``real=`` a ``.txt`` file (one reply per line), a folder of them (emotion from an ``<emotion>/``
    parent folder) or a manifest; ``real_system=`` a system of the run; or ``sample_references=true``: the
    samples' ``reference`` parts with their samples' target emotions, each (group, reference) once. Exactly one.
    Blank replies are per-sample errors. Parameters: ``sample_size`` (HD-D's sample, 42), ``by_emotion``.

    **Source.** McCarthy & Jarvis (2007), vocd: a theoretical and empirical evaluation, Language Testing 24(4)
    (HD-D); McCarthy & Jarvis (2010), MTLD, vocd-D, and HD-D: a validation study of sophisticated approaches to
    lexical diversity assessment, Behavior Research Methods 42(2); Covington & McFall (2010), Cutting the
    Gordian knot: the moving-average type–token ratio (MATTR), J. Quantitative Linguistics 17(2); Mohammad &
    Turney (2013), Crowdsourcing a word–emotion association lexicon, Computational Intelligence 29(3).

    >>> [output.name for output in TextRichness(real_system="human").spec.outputs][:2]
    ['lexical_richness_ratio', 'emotion_vocabulary_ratio']
    """

    spec = MetricSpec(
        name="text_richness",
        modality="text",
        scope="corpus",
        outputs=(
            Output(
                "lexical_richness_ratio",
                higher_is_better=None,
                range=(0.0, _INF),
                description="HD-D of the replies ÷ human replies' of the same emotions (1 = as rich; < 1 = bland)",
            ),
            Output(
                "emotion_vocabulary_ratio",
                higher_is_better=None,
                range=(0.0, _INF),
                description="distinct NRC emotion words per 42 tokens ÷ human replies' (< 1 = fewer emotion words)",
            ),
            Output(
                "lexical_richness",
                higher_is_better=None,
                range=(0.0, 1.0),
                description="HD-D: expected share of distinct words in 42 random tokens",
            ),
            Output(
                "emotion_vocabulary",
                higher_is_better=None,
                range=(0.0, 1.0),
                description="expected distinct NRC emotion words in 42 random tokens ÷ 42",
            ),
        ),
        version="1.0.0",
        inputs=(
            Input(
                "reference",
                "text",
                required=False,
                description="the human reply to the same context (the reference set with sample_references=true)",
            ),
        ),
        summary="bland text: HD-D lexical richness and distinct emotion words vs human replies (1 = as rich)",
        citation="McCarthy & Jarvis 2007, 2010 (HD-D); Mohammad & Turney 2013 (NRC EmoLex)",
    )
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    interval = "jackknife"  # resampling replies with replacement would count duplicates as repeated words
    batch_size = 256

    def __init__(
        self,
        *,
        real: str | Path | None = None,
        real_system: str | None = None,
        sample_references: bool = False,
        by_emotion: bool = False,
        sample_size: int = HDD_SAMPLE_SIZE,
    ) -> None:
        given = [name for name, value in (("real", real), ("real_system", real_system)) if value is not None]
        if sample_references:
            given.append("sample_references")
        if len(given) != 1:
            raise RunConfigError(
                "text_richness compares a system's replies with human replies: give exactly one of real=<.txt file, "
                "folder or manifest of human replies>, real_system=<the run's system holding them> or "
                "sample_references=true (the samples' reference column)"
                + (f"; got {', '.join(given)}" if given else "")
            )
        if not (isinstance(sample_size, int) and sample_size >= 2):
            raise ValueError(f"text_richness: sample_size must be an integer ≥ 2, got {sample_size!r}")
        self.real = real
        self.real_system = real_system
        self.sample_references = sample_references
        self.by_emotion = by_emotion
        self.sample_size = sample_size
        self.reference_emotions: dict[str, int] = {}
        self.reference_errors: list[str] = []
        self._ready = False

    def reference_systems(self) -> frozenset[str]:
        return frozenset() if self.real_system is None else frozenset({self.real_system})

    # -- the reference set --------------------------------------------------------------------------------
    def _reference_texts(self, samples: Sequence[Sample]) -> tuple[list[tuple[str, str | None]], str]:
        """(text, emotion) of every reference reply, and where they came from (for messages)."""
        from emoeval.metrics.reference_set import reference_items

        if self.real is not None:
            return [(str(text), emotion) for text, emotion in reference_items(self.real, "text")], f"real={self.real!r}"
        if self.real_system is not None:
            found = [
                (s.text, s.target_emotion)
                for s in samples
                if s.system == self.real_system and s.modality == "text" and s.text is not None
            ]
            if not found:
                systems = sorted({s.system for s in samples if s.modality == "text"})
                raise RunConfigError(
                    f"text_richness: real_system={self.real_system!r} has no reply; systems: {systems}"
                )
            return found, f"real_system={self.real_system!r}"
        # one reference per source item: every system's sample of an item carries the same human reply
        distinct: dict[tuple[str | None, str], str | None] = {}
        for s in samples:
            reference = s.reference if s.modality == "text" else None
            if isinstance(reference, str) and reference.strip():
                key = (s.group, reference) if s.group is not None else (s.target_emotion, reference)
                distinct.setdefault(key, s.target_emotion)
        return [(text, emotion) for (_, text), emotion in distinct.items()], "the samples' reference column"

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Tokenise the reference replies, pool them per emotion, and load the emotion lexicon."""
        from emoeval.functional.text import tokenize
        from emoeval.reference_models.text_embedding import check_text

        items, where = self._reference_texts(samples)
        self.reference_errors = []
        parts: dict[str | None, Counter[str]] = {None: Counter()}
        emotions: Counter[str] = Counter()
        for text, emotion in items:
            try:
                tokens = tokenize(check_text(text, "reference reply"))
            except SampleInputError as exc:
                self.reference_errors.append(str(exc))
                continue
            parts[None].update(tokens)
            if emotion is not None:
                parts.setdefault(emotion, Counter()).update(tokens)
                emotions[emotion] += 1
        total = sum(parts[None].values())
        if total < self.sample_size:
            raise RunConfigError(
                f"text_richness: the reference set {where} holds {total} words; at least sample_size="
                f"{self.sample_size} are needed"
            )
        self._parts = parts
        self.reference_emotions = dict(sorted(emotions.items()))
        self._is_emotion_word = _emotion_word_test(context)
        self._reference_values: dict[str | None, tuple[float, float]] = {}
        self._ready = True

    def _reference_value(self, key: str | None) -> tuple[float, float]:
        from emoeval.functional.lexical_richness import hdd

        if key not in self._reference_values:
            counts = self._parts.get(key, Counter())
            self._reference_values[key] = (
                hdd(counts, self.sample_size),
                hdd(counts, self.sample_size, count_type=self._is_emotion_word),
            )
        return self._reference_values[key]

    # -- per reply ----------------------------------------------------------------------------------------
    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        from emoeval.functional.text import tokenize
        from emoeval.reference_models.text_embedding import check_text

        found: list[Any] = []
        for sample in samples:
            try:
                found.append(TextState(tuple(tokenize(check_text(sample.text, "reply"))), sample.target_emotion))
            except SampleInputError as exc:
                found.append(SampleInputError(f"{sample.sample_id}: {exc}"))
        return found

    # -- values -------------------------------------------------------------------------------------------
    def _values(self, states: Sequence[TextState], key: str | None) -> dict[str, float]:
        from emoeval.functional.lexical_richness import hdd

        counts = _pooled(states)
        richness = hdd(counts, self.sample_size)
        vocabulary = hdd(counts, self.sample_size, count_type=self._is_emotion_word)
        reference_richness, reference_vocabulary = self._reference_value(key)
        return {
            "lexical_richness_ratio": richness / reference_richness if reference_richness > 0 else math.nan,
            "emotion_vocabulary_ratio": vocabulary / reference_vocabulary if reference_vocabulary > 0 else math.nan,
            "lexical_richness": richness,
            "emotion_vocabulary": vocabulary,
        }

    def compute(self, states: Sequence[TextState], *, emotion: str | None = None) -> dict[str, float]:
        """Values against the emotion's reference replies (``emotion`` given), or the mean of the per-emotion
        values over the emotions the system and the reference share (see the card)."""
        import numpy as np

        if not self._ready:
            raise RuntimeError("text_richness: call setup() (the runner does) before compute()")
        names = [output.name for output in self.spec.outputs]
        if emotion is not None:
            if self.reference_emotions and emotion not in self.reference_emotions:
                return dict.fromkeys(names, math.nan)
            return self._values(states, emotion if self.reference_emotions else None)
        by_emotion: dict[str, list[TextState]] = {}
        for state in states:
            if state.emotion in self.reference_emotions:
                by_emotion.setdefault(state.emotion, []).append(state)  # type: ignore[arg-type]
        if not by_emotion:  # no emotions on one side: compare whole with whole
            return self._values(states, None)
        per_class = [self._values(own, name) for name, own in sorted(by_emotion.items())]
        result = {}
        for name in names:
            column = np.array([values[name] for values in per_class], dtype=np.float64)
            result[name] = float(np.nanmean(column)) if np.isfinite(column).any() else math.nan
        return result

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        notes = []
        if self.reference_errors:
            notes.append(f"{len(self.reference_errors)} reference reply(ies) skipped, e.g. {self.reference_errors[0]}")
        if self.reference_emotions:
            missing = sorted({s.emotion for s in states if s.emotion is not None} - set(self.reference_emotions))
            if missing:
                notes.append(
                    f"the reference set has no reply of {', '.join(missing)} (it has "
                    f"{', '.join(self.reference_emotions)}): those replies are left out"
                )
        return notes


def _emotion_word_test(context: ScoringContext) -> Callable[[str], bool]:
    """word → whether NRC EmoLex gives it one of emoeval's six emotions (memoised; suffix-stripped forms tried).

    The lexicon is the ``nrc_en.json`` of the zero-shot text emotion recognizer's card, found and verified by the
    run's weight store (``EMOEVAL_MODELS_DIR/text-emotion-zeroshot/`` or the installed ``nrclex`` package).
    """
    from emoeval.reference_models.text_emotion import NRC_CATEGORIES, NRC_FILE, ZERO_SHOT_CARD, nrc_lookup, read_nrc

    lexicon = read_nrc(context.pool.store.resolve(ZERO_SHOT_CARD, NRC_FILE).path)
    categories = frozenset(NRC_CATEGORIES.values())
    known: dict[str, bool] = {}

    def is_emotion_word(word: str) -> bool:
        if word not in known:
            known[word] = bool(nrc_lookup(word, lexicon) & categories)
        return known[word]

    return is_emotion_word


__all__ = ["BLAND_BELOW", "TextRichness", "TextState"]
