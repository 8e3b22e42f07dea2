"""Intelligibility of generated speech: word and character error rates of an ASR transcript.

A recognizer (``asr=``: Whisper tiny.en by default, or Whisper small.en) transcribes each recording; the
transcript (hypothesis) and the words the speech should contain (the sample's ``transcript``, the reference) go
through one normaliser, :func:`normalize_transcript`, applied identically to both, and ``jiwer`` counts the
edits. The maths is in the pure functions below; the tests check them against jiwer and a brute-force edit
distance.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore, SystemValue

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample
    from emoeval.stats.aggregate import BootstrapSettings, Estimate

#: the ASR model used unless ``asr=`` names another registered ``asr`` model
RECOGNIZER = "whisper-tiny-en"

# -- normalisation --------------------------------------------------------------------------------------------------

_ONES = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"),
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion")
#: from here on a number is read digit by digit
_DIGIT_BY_DIGIT_FROM = 1000 ** len(_SCALES)
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
#: written abbreviations mapped to the spoken word on both sides (the form a reference is usually typed in)
ABBREVIATIONS: dict[str, str] = {
    "mr": "mister",
    "mrs": "missus",
    "dr": "doctor",
    "jr": "junior",
    "vs": "versus",
    "etc": "et cetera",
}
_SYMBOLS = {"&": " and ", "%": " percent "}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:(st|nd|rd|th)(?![^\W\d_]))?")
_ABBREVIATION = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")\b\.?")
_NOT_WORD = re.compile(r"[^\w\s']|_")
_STRAY_APOSTROPHE = re.compile(r"(?<![^\W_])'|'(?![^\W_])")


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
        if rest:
            words.append("and")
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not hundreds:
        words.append(_ONES[rest])
    return words


def number_to_words(n: int) -> str:
    """A non-negative integer in English words, British style, as ``num2words`` writes it (without its
    hyphens and commas, which the normaliser removes anyway).

    "and" joins hundreds to the rest of their group, and the last group to the others when it is below 100.
    Numbers of 10²¹ and more are read digit by digit.

    >>> number_to_words(1995)
    'one thousand nine hundred and ninety five'
    >>> number_to_words(2_000_005)
    'two million and five'
    """
    if n < 0:
        raise ValueError(f"number_to_words takes a non-negative integer, got {n}")
    if n >= _DIGIT_BY_DIGIT_FROM:
        return " ".join(_ONES[int(digit)] for digit in str(n))
    if n == 0:
        return "zero"
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for power in range(len(groups) - 1, -1, -1):
        group = groups[power]
        if not group:
            continue
        if power == 0 and group < 100 and words:
            words.append("and")
        words += _below_thousand(group)
        if _SCALES[power]:
            words.append(_SCALES[power])
    return " ".join(words)


def ordinal_to_words(n: int) -> str:
    """An ordinal in words: 1 → first, 21 → twenty first, 100 → one hundred hundredth... (as num2words).

    >>> ordinal_to_words(12), ordinal_to_words(40), ordinal_to_words(103)
    ('twelfth', 'fortieth', 'one hundred and third')
    """
    *head, last = number_to_words(n).split()
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def _spell_number(match: re.Match[str]) -> str:
    integer, fraction, ordinal = match.group(1), match.group(2), match.group(3)
    value = int(integer.replace(",", ""))
    if ordinal and fraction is None:
        words = ordinal_to_words(value)
    else:
        words = number_to_words(value)
        if fraction is not None:
            words += " point " + " ".join(_ONES[int(digit)] for digit in fraction)
        if ordinal:  # "2.5th": read the suffix as letters, it is no ordinal
            words += " " + ordinal
    return f" {words} "


def normalize_transcript(text: str) -> str:
    """The one normaliser applied to reference and hypothesis alike before counting errors.

    In order:

    1. Unicode NFKC; typographic apostrophes (’ ‘ ʼ ´ and the backtick) become ``'``; lower case.
    2. ``&`` → "and", ``%`` → "percent"; the abbreviations in :data:`ABBREVIATIONS` (Mr, Mrs, Dr, Jr, vs,
       etc, with or without their dot) → the spoken word ("mister"...).
    3. Numbers written with digits are spelled out as a reader says them, British style like ``num2words``:
       integers with or without thousands commas ("1,995" and "1995" → "one thousand nine hundred and ninety
       five"), decimals digit by digit after "point" ("2.05" → "two point zero five"), ordinals ("21st" →
       "twenty first"); 10²¹ and more digit by digit. Leading zeros are dropped ("007" → "seven").
    4. Every character that is not a letter, a digit, an apostrophe or white space becomes a space (so
       "cold-hearted" → "cold hearted", like a spelled-out "twenty-one"); an apostrophe survives only inside a
       word ("don't", "o'clock"; quotes and "dogs'" lose it).
    5. White space is collapsed to single spaces and stripped.

    Not normalised (write references accordingly): years read in pairs ("nineteen ninety five" is not
    "1995"), currency signs ("$5" becomes "five", not "five dollars"), contractions ("don't" ≠ "do not"),
    British and American spellings, and other abbreviations.

    >>> normalize_transcript("Mr. Smith's 2nd car cost $1,500 -- that's 15% more!")
    "mister smith's second car cost one thousand five hundred that's fifteen percent more"
    >>> normalize_transcript("  “Cold-hearted,” she said…  ")
    'cold hearted she said'
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = _ABBREVIATION.sub(lambda match: " " + ABBREVIATIONS[match.group(1)] + " ", text)
    text = _NUMBER.sub(_spell_number, text)
    text = _NOT_WORD.sub(" ", text)
    text = _STRAY_APOSTROPHE.sub(" ", text)
    return " ".join(text.split())


# -- error rates -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranscriptErrors:
    """Error rates of one hypothesis against one reference (both already normalised), and their counts.

    ``wer`` = (S + D + I) / N over words, N the reference's words; ``cer`` the same over characters (spaces
    count, as in jiwer); ``mer`` = (S + D + I) / (H + S + D + I); ``wil`` = 1 − H² / (N · P), P the
    hypothesis' words (Morris et al. 2004). ``word_edits`` = S + D + I, ``char_edits`` likewise.
    """

    wer: float
    cer: float
    mer: float
    wil: float
    word_edits: int
    reference_words: int
    char_edits: int
    reference_chars: int


def _jiwer() -> Any:
    try:
        import jiwer
    except ImportError as exc:
        raise MissingDependencyError(
            f"speech intelligibility needs jiwer: pip install 'emoeval[speech]' ({exc})"
        ) from exc
    return jiwer


def transcript_errors(reference: str, hypothesis: str) -> TranscriptErrors:
    """WER, CER, MER and WIL of ``hypothesis`` against ``reference`` (normalised strings) with jiwer.

    An empty hypothesis is all deletions (every rate 1.0); an empty reference has no error rate (ValueError).

    >>> errors = transcript_errors("he was not an ill disposed young man", "he was not an old sposed young man")
    >>> errors.wer, errors.word_edits, errors.reference_words
    (0.25, 2, 8)
    """
    if not reference.strip():
        raise ValueError("the reference transcript is empty: an error rate needs at least one reference word")
    jiwer = _jiwer()
    words = jiwer.process_words(reference, hypothesis)
    chars = jiwer.process_characters(reference, hypothesis)
    word_edits = words.substitutions + words.deletions + words.insertions
    char_edits = chars.substitutions + chars.deletions + chars.insertions
    return TranscriptErrors(
        wer=float(words.wer),
        cer=float(chars.cer),
        mer=float(words.mer),
        wil=float(words.wil),
        word_edits=int(word_edits),
        reference_words=int(words.hits + words.substitutions + words.deletions),
        char_edits=int(char_edits),
        reference_chars=int(chars.hits + chars.substitutions + chars.deletions),
    )


def corpus_error_rates(
    word_edits: Sequence[int] | np.ndarray,
    reference_words: Sequence[int] | np.ndarray,
    char_edits: Sequence[int] | np.ndarray,
    reference_chars: Sequence[int] | np.ndarray,
) -> dict[str, float]:
    """Corpus WER and CER: total edits over total reference words (characters), as papers and
    ``jiwer.wer(references, hypotheses)`` on lists compute them (long utterances weigh more than in the mean
    of per-utterance rates).

    >>> corpus_error_rates([1, 0], [4, 6], [2, 0], [20, 30])
    {'corpus_wer': 0.1, 'corpus_cer': 0.04}
    """
    return {
        "corpus_wer": float(np.sum(word_edits)) / float(np.sum(reference_words)),
        "corpus_cer": float(np.sum(char_edits)) / float(np.sum(reference_chars)),
    }


def corpus_error_rates_with_ci(
    errors: Sequence[TranscriptErrors],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Estimate]:
    """:func:`corpus_error_rates` with a seeded percentile bootstrap interval over utterances
    (:func:`emoeval.stats.aggregate.bootstrap_corpus`: utterances drawn with replacement, the ratio of sums
    recomputed on each resample). Intervals are NaN for fewer than two utterances."""
    from emoeval.stats.aggregate import bootstrap_corpus

    counts = np.array(
        [[e.word_edits, e.reference_words, e.char_edits, e.reference_chars] for e in errors], dtype=np.float64
    ).reshape(-1, 4)

    def compute(indices: Sequence[int]) -> dict[str, float]:
        chosen = counts[np.asarray(indices, dtype=np.int64)]
        return corpus_error_rates(chosen[:, 0], chosen[:, 1], chosen[:, 2], chosen[:, 3])

    return bootstrap_corpus(np.arange(len(counts)), compute, confidence=confidence, n_resamples=n_resamples, seed=seed)


# -- the metric ----------------------------------------------------------------------------------------------------


class SpeechIntelligibility(SampleMetric):
    """Word and character error rates of an ASR transcript of generated speech against what it should say.

    **Meaning.** Each recording is transcribed by the ``asr`` model — Whisper tiny.en by default
    (``whisper-tiny-en``, 39 M parameters), or Whisper small.en (``whisper-small-en``, 244 M parameters; its files
    come from the hub: ``emoeval models pull whisper-small-en``), both with faster-whisper, int8, beam 5,
    temperature 0, English, no VAD (:mod:`emoeval.reference_models.whisper`). Transcript and reference go through one
    normaliser (:func:`normalize_transcript`: lower case, punctuation removed except apostrophes inside words,
    digits spelled out, a few abbreviations expanded, white space collapsed), then jiwer counts substitutions
    S, deletions D, insertions I and hits H against the N reference words. Per sample: ``wer`` = (S+D+I)/N
    (the word error rate TTS and voice-conversion papers report as intelligibility), ``cer`` the same over
    characters, ``mer`` = (S+D+I)/(H+S+D+I) (match error rate) and ``wil`` = 1 − H²/(N·P) (word information
    lost, P the transcript's words); the transcript itself is in the ``label`` column; ``reference_words`` and
    ``reference_chars`` give N (no direction). Per system, besides the means: ``corpus_wer`` and
    ``corpus_cer`` = total edits / total reference words (characters) over the system's scored samples, the
    figure papers report, with a seeded percentile bootstrap interval over utterances. Values are comparable
    only with the same recognizer and normaliser: a stronger ASR lowers every system's WER, so results name a
    non-default one in the metric label, ``speech_intelligibility(asr=whisper-small-en)`` (old name
    ``speech_intelligibility_whisper_small``, kept for one release).

    **Range and direction.** wer, cer, corpus_wer, corpus_cer in [0, ∞) (insertions can push them above 1),
    mer and wil in [0, 1]; lower is better for all. Whisper tiny.en itself errs on real speech: about 5–6 %
    WER on LibriSpeech test-clean (Radford et al. 2023), 4.2 % corpus WER (3 of 71 words) on the bundled
    LibriVox recordings; generated speech near that is as intelligible as this recognizer can tell, and only
    differences well above it mean something. Read the bootstrap interval: a few short utterances give a
    wide one.

    **Needs.** Audio in ``path`` and the intended words in ``transcript`` (English). A transcript that is empty
    after normalisation is a per-sample error naming the sample; an empty ASR output (no words heard) is a
    valid WER of 1.0 (all deletions), flagged in the ``warning`` column. Unreadable, empty or silent audio is
    a per-sample error. Parameter ``asr``: a registered ``asr`` model (``whisper-tiny-en``, ``whisper-small-en``).

    **Source.** Radford et al. (2023), Robust Speech Recognition via Large-Scale Weak Supervision (Whisper),
    ICML; Morris, Maier, Green (2004), From WER and RIL to MER and WIL, Interspeech; jiwer. ASR-WER as the
    intelligibility of synthetic speech with a Whisper recognizer as in Seed-TTS's evaluation (Anastassiou et
    al. 2024, Whisper large-v3; use ``asr="whisper-small-en"`` or a larger plug-in to come closer).

    >>> spec = SpeechIntelligibility.spec
    >>> spec.headline.name, spec.headline.higher_is_better, [o.name for o in spec.outputs if o.scope == "system"]
    ('wer', False, ['corpus_wer', 'corpus_cer'])
    >>> SpeechIntelligibility(asr="whisper-small-en").models
    ('whisper-small-en',)
    """

    spec = MetricSpec(
        name="speech_intelligibility",
        modality="speech",
        scope="sample",
        outputs=(
            Output("wer", higher_is_better=False, range=(0.0, math.inf), description="word error rate (S+D+I)/N"),
            Output("cer", higher_is_better=False, range=(0.0, math.inf), description="character error rate"),
            Output("mer", higher_is_better=False, range=(0.0, 1.0), description="match error rate"),
            Output("wil", higher_is_better=False, range=(0.0, 1.0), description="word information lost"),
            Output(
                "reference_words",
                higher_is_better=None,
                range=(1.0, math.inf),
                description="words in the normalised reference (N)",
            ),
            Output(
                "reference_chars",
                higher_is_better=None,
                range=(1.0, math.inf),
                description="characters in the normalised reference, spaces included",
            ),
            Output(
                "corpus_wer",
                higher_is_better=False,
                range=(0.0, math.inf),
                description="total word edits / total reference words (bootstrap CI over utterances)",
                scope="system",
            ),
            Output(
                "corpus_cer",
                higher_is_better=False,
                range=(0.0, math.inf),
                description="total character edits / total reference characters (bootstrap CI)",
                scope="system",
            ),
        ),
        version="1.0.0",
        needs=frozenset({"transcript"}),
        models=(RECOGNIZER,),
        summary="intelligibility: WER/CER of an ASR transcript (Whisper tiny.en or small.en) against the intended text",
        citation="Radford et al. 2023 (Whisper); Morris et al. 2004 (MER, WIL)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"asr": "asr"}
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "speech_intelligibility_whisper_small": {"asr": "whisper-small-en"}
    }
    batch_size = 8

    def __init__(self, *, asr: str = RECOGNIZER) -> None:
        self.check_model("asr", asr)
        self.asr = asr

    @property
    def models(self) -> tuple[str, ...]:
        return (self.asr,)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores: list[SampleScore | None] = [None] * len(samples)
        references: dict[int, str] = {}
        for index, sample in enumerate(samples):
            reference = normalize_transcript(sample.transcript or "")
            if reference:
                references[index] = reference
            else:
                scores[index] = SampleScore.failed(
                    f"{sample.sample_id}: the reference transcript {sample.transcript!r} is empty after "
                    "normalisation; put the words the speech should say in the manifest's transcript column"
                )
        todo = sorted(references)
        outputs = context.outputs(self.asr, [samples[i].path for i in todo]) if todo else []  # type: ignore[misc]
        for index, output in zip(todo, outputs, strict=True):
            if isinstance(output, SampleInputError):
                scores[index] = SampleScore.failed(output)
                continue
            transcript = str(np.asarray(output).item())
            hypothesis = normalize_transcript(transcript)
            errors = transcript_errors(references[index], hypothesis)
            warning = None if hypothesis else "the recognizer heard no words: every reference word is a deletion"
            scores[index] = SampleScore(
                values={
                    "wer": errors.wer,
                    "cer": errors.cer,
                    "mer": errors.mer,
                    "wil": errors.wil,
                    "reference_words": float(errors.reference_words),
                    "reference_chars": float(errors.reference_chars),
                },
                warning=warning,
                label=transcript,
            )
        assert all(score is not None for score in scores)
        return [score for score in scores if score is not None]

    def summarize(self, rows: pd.DataFrame, bootstrap: BootstrapSettings) -> list[SystemValue]:
        scored = rows[rows["error"].isna()]
        wide = scored.pivot_table(index="sample_id", columns="sub_metric", values="value", aggfunc="first")
        needed = ["wer", "cer", "reference_words", "reference_chars"]
        if wide.empty or any(column not in wide.columns for column in needed):
            reason = "no sample of this system could be scored (see the error rows)"
            return [
                SystemValue(name, math.nan, n=0, statistic="corpus", error=reason)
                for name in ("corpus_wer", "corpus_cer")
            ]
        wide = wide.dropna(subset=needed)
        # rates are edits / N with integer edits: multiplying back recovers the counts exactly
        errors = [
            TranscriptErrors(
                wer=row.wer,
                cer=row.cer,
                mer=math.nan,
                wil=math.nan,
                word_edits=round(row.wer * row.reference_words),
                reference_words=round(row.reference_words),
                char_edits=round(row.cer * row.reference_chars),
                reference_chars=round(row.reference_chars),
            )
            for row in wide.itertuples()
        ]
        estimates = corpus_error_rates_with_ci(
            errors, confidence=bootstrap.confidence, n_resamples=bootstrap.n_resamples, seed=bootstrap.seed
        )
        return [
            SystemValue(name, e.value, e.ci_low, e.ci_high, n=e.n, statistic="corpus") for name, e in estimates.items()
        ]


__all__ = [
    "ABBREVIATIONS",
    "SpeechIntelligibility",
    "TranscriptErrors",
    "corpus_error_rates",
    "corpus_error_rates_with_ci",
    "normalize_transcript",
    "number_to_words",
    "ordinal_to_words",
    "transcript_errors",
]
