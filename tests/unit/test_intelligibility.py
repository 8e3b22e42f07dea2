"""speech_intelligibility: the normaliser, per-sample and corpus error rates (against jiwer and a brute-force
edit distance), and the metric's handling of empty transcripts — with a stand-in recognizer, no model."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

jiwer = pytest.importorskip("jiwer", reason="speech_intelligibility needs jiwer: pip install 'emoeval[speech]'")
soundfile = pytest.importorskip("soundfile")

import emoeval  # noqa: E402
from emoeval.errors import SampleInputError  # noqa: E402
from emoeval.metrics.speech.intelligibility import (  # noqa: E402
    SpeechIntelligibility,
    TranscriptErrors,
    corpus_error_rates,
    corpus_error_rates_with_ci,
    normalize_transcript,
    number_to_words,
    ordinal_to_words,
    transcript_errors,
)
from emoeval.reference_models.base import ModelPool, ReferenceModel  # noqa: E402
from emoeval.reference_models.store import WeightStore  # noqa: E402
from emoeval.reference_models.whisper import WHISPER_SMALL_EN_CARD, WHISPER_TINY_EN_CARD  # noqa: E402
from emoeval.samples import Sample  # noqa: E402
from emoeval.stats.aggregate import BootstrapSettings  # noqa: E402

# -- normaliser ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello World", "hello world"),
        ("HELLO,   world!!  ", "hello world"),
        ("  tabs\tand\nnewlines ", "tabs and newlines"),
        ("Cold-hearted; ill-disposed.", "cold hearted ill disposed"),
        ("“Quoted,” she said… (softly)", "quoted she said softly"),
        ("Don't stop — it's John's.", "don't stop it's john's"),
        ("Don’t", "don't"),  # typographic apostrophe
        ("'Tis the dogs' bones'", "tis the dogs bones"),  # apostrophes not inside a word go
        ("rock 'n' roll", "rock n roll"),
        ("snake_case/path\\name", "snake case path name"),
        ("Café naïve ÜBER", "café naïve über"),
        ("Mr. and Mrs. Dashwood", "mister and missus dashwood"),
        ("mister and missus dashwood", "mister and missus dashwood"),
        ("Dr Smith vs. Jr. etc.", "doctor smith versus junior et cetera"),
        ("drive mrsa", "drive mrsa"),  # only whole words are abbreviations
        ("salt & pepper", "salt and pepper"),
        ("50% off", "fifty percent off"),
        ("10 of clubs", "ten of clubs"),
        ("4. Queen of Clubs", "four queen of clubs"),
        ("1995", "one thousand nine hundred and ninety five"),
        ("1,995 and 12,000,000", "one thousand nine hundred and ninety five and twelve million"),
        ("3.14", "three point one four"),
        ("2.05 m", "two point zero five m"),
        ("It was 5.", "it was five"),
        ("the 1st, 2nd, 3rd, 4th and 21st", "the first second third fourth and twenty first"),
        ("the 12th and 100th", "the twelfth and one hundredth"),
        ("10:30", "ten thirty"),
        ("007", "seven"),
        ("1990s", "one thousand nine hundred and ninety s"),
        ("", ""),
        (" ... !? ", ""),
    ],
)
def test_normalize_transcript(text, expected):
    assert normalize_transcript(text) == expected


def test_normaliser_is_idempotent_and_case_insensitive():
    rng = random.Random(0)
    alphabet = "abcXYZ  ,.'-’0123456789%&éÜ!?\t"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        once = normalize_transcript(text)
        assert normalize_transcript(once) == once, text
        assert normalize_transcript(text.upper()) == once, text
        assert once == once.strip() and "  " not in once


def test_number_words_equal_num2words():
    """Our spell-out against the num2words package (British style) with its hyphens and commas removed."""
    num2words = pytest.importorskip("num2words", reason="num2words is in the dev extra").num2words

    def reference(n, to="cardinal"):
        return " ".join(num2words(n, to=to).replace("-", " ").replace(",", " ").split())

    rng = random.Random(1)
    numbers = [*range(0, 3000), *(rng.randrange(10**digits) for digits in range(4, 22) for _ in range(200))]
    for n in numbers:
        assert number_to_words(n) == reference(n), n
        if n:
            assert ordinal_to_words(n) == reference(n, "ordinal"), n


def test_numbers_beyond_quintillions_are_read_digit_by_digit():
    assert number_to_words(10**21) == "one " + " ".join(["zero"] * 21)
    with pytest.raises(ValueError, match="non-negative"):
        number_to_words(-1)


# -- error rates ---------------------------------------------------------------------------------------------------


def brute_force_edits(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance by the textbook dynamic programme (independent of jiwer/rapidfuzz)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_token in enumerate(reference, start=1):
        current = [i]
        for j, hyp_token in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_token != hyp_token)))
        previous = current
    return previous[-1]


SENTENCES = (
    "he was not an ill disposed young man",
    "he might even have been made amiable himself",
    "unless to be rather cold hearted and rather selfish is to be ill disposed",
)
VOCABULARY = sorted({word for sentence in SENTENCES for word in sentence.split()})


def random_pairs(seed: int, n: int) -> list[tuple[str, str]]:
    """Reference/hypothesis pairs with substitutions, deletions, insertions and some empty hypotheses."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        reference = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 15))]
        hypothesis = []
        for word in reference:
            roll = rng.random()
            if roll < 0.1:
                continue  # deletion
            hypothesis.append(rng.choice(VOCABULARY) if roll < 0.2 else word)
            if rng.random() < 0.05:
                hypothesis.append(rng.choice(VOCABULARY))  # insertion
        if rng.random() < 0.05:
            hypothesis = []
        pairs.append((" ".join(reference), " ".join(hypothesis)))
    return pairs


def test_sample_rates_equal_jiwer_and_a_brute_force_edit_distance():
    for reference, hypothesis in random_pairs(seed=2, n=300):
        errors = transcript_errors(reference, hypothesis)
        assert errors.wer == pytest.approx(jiwer.wer(reference, hypothesis), abs=1e-12)
        assert errors.cer == pytest.approx(jiwer.cer(reference, hypothesis), abs=1e-12)
        assert errors.mer == pytest.approx(jiwer.mer(reference, hypothesis), abs=1e-12)
        assert errors.wil == pytest.approx(jiwer.wil(reference, hypothesis), abs=1e-12)
        ref_words, hyp_words = reference.split(), hypothesis.split()
        assert errors.word_edits == brute_force_edits(ref_words, hyp_words)
        assert errors.reference_words == len(ref_words)
        assert errors.wer == pytest.approx(brute_force_edits(ref_words, hyp_words) / len(ref_words), abs=1e-12)
        assert errors.char_edits == brute_force_edits(list(reference), list(hypothesis))
        assert errors.reference_chars == len(reference)
        assert 0.0 <= errors.mer <= 1.0 and 0.0 <= errors.wil <= 1.0


def test_known_example_by_hand():
    # "ill disposed" heard as "old sposed": two substitutions in eight words
    errors = transcript_errors("he was not an ill disposed young man", "he was not an old sposed young man")
    assert (errors.wer, errors.mer) == (0.25, 0.25)
    assert errors.wil == pytest.approx(1 - 6**2 / (8 * 8))
    # one insertion and one deletion: 2 edits over 3 words
    assert transcript_errors("a b c", "x a b").wer == pytest.approx(2 / 3)


def test_empty_hypothesis_is_all_deletions_and_empty_reference_is_an_error():
    errors = transcript_errors("he was not an ill disposed young man", "")
    assert (errors.wer, errors.cer, errors.mer, errors.wil) == (1.0, 1.0, 1.0, 1.0)
    assert errors.word_edits == errors.reference_words == 8
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="reference transcript is empty"):
            transcript_errors(empty, "some words")


def test_insertions_push_wer_above_one():
    assert transcript_errors("yes", "yes yes yes").wer == 2.0


def test_corpus_rates_equal_jiwer_on_lists():
    pairs = random_pairs(seed=3, n=200)
    references, hypotheses = [r for r, _ in pairs], [h for _, h in pairs]
    errors = [transcript_errors(r, h) for r, h in pairs]
    rates = corpus_error_rates(
        [e.word_edits for e in errors],
        [e.reference_words for e in errors],
        [e.char_edits for e in errors],
        [e.reference_chars for e in errors],
    )
    assert rates["corpus_wer"] == pytest.approx(jiwer.wer(references, hypotheses), abs=1e-12)
    assert rates["corpus_cer"] == pytest.approx(jiwer.cer(references, hypotheses), abs=1e-12)
    # long utterances weigh more: the corpus rate is not the mean of per-utterance rates here
    assert rates["corpus_wer"] != pytest.approx(np.mean([e.wer for e in errors]), abs=1e-6)


def test_corpus_interval_is_a_bootstrap_over_utterances():
    pairs = random_pairs(seed=4, n=40)
    errors = [transcript_errors(r, h) for r, h in pairs]
    estimates = corpus_error_rates_with_ci(errors, n_resamples=500, seed=7)
    # the same resampling by hand: utterances drawn with replacement, jiwer on the drawn lists
    rng = np.random.default_rng(7)
    draws = []
    for _ in range(500):
        chosen = rng.integers(0, len(pairs), size=len(pairs))
        draws.append(jiwer.wer([pairs[i][0] for i in chosen], [pairs[i][1] for i in chosen]))
    low, high = np.quantile(draws, [0.025, 0.975])
    wer = estimates["corpus_wer"]
    assert wer.value == pytest.approx(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))
    assert (wer.ci_low, wer.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert wer.ci_low < wer.value < wer.ci_high and wer.n == 40
    single = corpus_error_rates_with_ci(errors[:1])["corpus_wer"]
    assert math.isnan(single.ci_low) and single.value == errors[0].wer


# -- the metric, with a stand-in recognizer ----------------------------------------------------------------------


class TranscriptTable(ReferenceModel):
    """Stands in for whisper-tiny-en: the 'transcript' of a WAV is looked up by its first sample value."""

    card = WHISPER_TINY_EN_CARD

    def __init__(self, transcripts: dict[int, str]) -> None:
        super().__init__({}, {})
        self.transcripts = transcripts

    def prepare(self, item):
        samples, _ = soundfile.read(io.BytesIO(item.data), dtype="int16")
        if samples.size < 100:
            raise SampleInputError(f"{item.name}: too short")
        return int(samples[0])

    def infer(self, prepared):
        return [np.array(self.transcripts[key]) for key in prepared]


def write_wav(path: Path, key: int, n: int = 1600) -> Path:
    samples = np.full(n, 1000, dtype=np.int16)
    samples[0] = key
    soundfile.write(path, samples, 16000, subtype="PCM_16")
    return path


@pytest.fixture
def scored(tmp_path):
    """Two systems scored through emoeval.score with the stand-in recognizer."""
    utterances = {
        # key: (system, reference, what the recognizer "hears")
        1: ("good", "He was not an ill-disposed young man.", "He was not an old-sposed young man."),
        2: ("good", "Mr. John Dashwood had then leisure", "And Mr. John Dashwood had then leisure."),
        3: ("good", "10 of clubs", "Ten of clubs."),
        4: ("bad", "He might even have been made amiable himself.", ""),
        5: ("bad", "Unless to be rather cold hearted", "unless to be rather cold"),
        6: ("bad", "...", "whatever"),
    }
    samples = [
        Sample(
            sample_id=f"s{key}",
            system=system,
            modality="speech",
            path=write_wav(tmp_path / f"s{key}.wav", key),
            transcript=reference,
        )
        for key, (system, reference, _) in utterances.items()
    ]
    samples.append(Sample("s7", "bad", "speech", path=write_wav(tmp_path / "s7.wav", 7, n=10), transcript="too short"))
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    pool._models["whisper-tiny-en"] = TranscriptTable({key: heard for key, (_, _, heard) in utterances.items()})
    results = emoeval.score(samples, metrics=["speech_intelligibility"], model_pool=pool, progress=False)
    return results.table, utterances


class SmallTranscriptTable(TranscriptTable):
    """Stands in for whisper-small-en (another card: its outputs are cached apart from tiny.en's)."""

    card = WHISPER_SMALL_EN_CARD


def test_the_asr_parameter_picks_the_recognizer(tmp_path):
    references = {1: "ten of clubs", 2: "he was not an ill disposed young man"}
    heard = {"tiny": {1: "ten of cubs", 2: "he was not an old sposed young man"}, "small": {1: "ten of clubs", 2: ""}}
    samples = [
        Sample(f"s{key}", "sys", "speech", path=write_wav(tmp_path / f"s{key}.wav", key), transcript=text)
        for key, text in references.items()
    ]
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    pool._models["whisper-tiny-en"] = TranscriptTable(heard["tiny"])
    pool._models["whisper-small-en"] = SmallTranscriptTable(heard["small"])
    with pytest.warns(FutureWarning, match="speech_intelligibility_whisper_small"):
        table = emoeval.score(
            samples,
            metrics=["speech_intelligibility", "speech_intelligibility_whisper_small"],
            model_pool=pool,
            progress=False,
            use_cache=False,
            n_bootstrap=10,
        ).table
    rows = table[(table["scope"] == "sample") & (table["sub_metric"] == "wer")]
    for label, model in (("speech_intelligibility", "tiny"), ("speech_intelligibility(asr=whisper-small-en)", "small")):
        own = rows[rows["metric"] == label].set_index("sample_id")
        for key, reference in references.items():
            assert own.loc[f"s{key}", "value"] == pytest.approx(jiwer.wer(reference, heard[model][key]), abs=1e-12)
            assert own.loc[f"s{key}", "label"] == heard[model][key]


def test_metric_rows_match_jiwer(scored):
    table, utterances = scored
    rows = table[table["scope"] == "sample"]
    for key in (1, 2, 3, 4, 5):
        _, reference, heard = utterances[key]
        own = rows[(rows["sample_id"] == f"s{key}") & rows["error"].isna()].set_index("sub_metric")
        ref, hyp = normalize_transcript(reference), normalize_transcript(heard)
        assert own.loc["wer", "value"] == pytest.approx(jiwer.wer(ref, hyp), abs=1e-12)
        assert own.loc["cer", "value"] == pytest.approx(jiwer.cer(ref, hyp), abs=1e-12)
        assert own.loc["mer", "value"] == pytest.approx(jiwer.mer(ref, hyp), abs=1e-12)
        assert own.loc["wil", "value"] == pytest.approx(jiwer.wil(ref, hyp), abs=1e-12)
        assert own.loc["reference_words", "value"] == len(ref.split())
        assert own.loc["wer", "label"] == heard  # the raw transcript, as the recognizer wrote it
        assert bool(own.loc["wer", "higher_is_better"]) is False
    assert rows[rows["sample_id"] == "s3"].set_index("sub_metric").loc["wer", "value"] == 0.0  # "10" = "ten"


def test_empty_hypothesis_is_wer_one_with_a_warning_and_empty_reference_is_an_error(scored):
    table, _ = scored
    rows = table[table["scope"] == "sample"]
    empty_hypothesis = rows[rows["sample_id"] == "s4"].set_index("sub_metric")
    assert empty_hypothesis.loc["wer", "value"] == 1.0 and pd.isna(empty_hypothesis.loc["wer", "error"])
    assert "heard no words" in empty_hypothesis.loc["wer", "warning"]
    empty_reference = rows[rows["sample_id"] == "s6"]
    assert len(empty_reference) == 1 and math.isnan(empty_reference["value"].iloc[0])
    assert "s6" in empty_reference["error"].iloc[0] and "empty after normalisation" in empty_reference["error"].iloc[0]
    bad_audio = rows[rows["sample_id"] == "s7"]
    assert "too short" in bad_audio["error"].iloc[0]


def test_system_rows_carry_the_corpus_wer_of_the_scored_samples(scored):
    table, utterances = scored
    system_rows = table[table["scope"] == "system"]
    for system, keys in (("good", (1, 2, 3)), ("bad", (4, 5))):
        references = [normalize_transcript(utterances[k][1]) for k in keys]
        hypotheses = [normalize_transcript(utterances[k][2]) for k in keys]
        own = system_rows[system_rows["system"] == system].set_index("sub_metric")
        assert own.loc["corpus_wer", "value"] == pytest.approx(jiwer.wer(references, hypotheses), abs=1e-12)
        assert own.loc["corpus_cer", "value"] == pytest.approx(jiwer.cer(references, hypotheses), abs=1e-12)
        assert own.loc["corpus_wer", "statistic"] == "corpus" and own.loc["corpus_wer", "n"] == len(keys)
        assert own.loc["corpus_wer", "ci_low"] <= own.loc["corpus_wer", "value"] <= own.loc["corpus_wer", "ci_high"]
        per_sample = [jiwer.wer(r, h) for r, h in zip(references, hypotheses, strict=True)]
        assert own.loc["wer", "value"] == pytest.approx(np.mean(per_sample), abs=1e-12)  # the mean row


def test_summarize_with_no_scored_sample_reports_why():
    rows = pd.DataFrame(
        {
            "sample_id": ["a"],
            "target_emotion": [None],
            "sub_metric": ["wer"],
            "value": [math.nan],
            "label": [None],
            "error": ["a: the reference transcript '...' is empty after normalisation"],
        }
    )
    values = SpeechIntelligibility().summarize(rows, BootstrapSettings(n_resamples=10))
    assert [v.sub_metric for v in values] == ["corpus_wer", "corpus_cer"]
    assert all(math.isnan(v.value) and v.error for v in values)


def test_transcript_errors_is_a_frozen_record():
    errors = transcript_errors("a b", "a b")
    assert isinstance(errors, TranscriptErrors) and errors.wer == 0.0
    with pytest.raises(AttributeError):
        errors.wer = 1.0  # type: ignore[misc]
