"""Speech quality: reference-free MOS predictors (DNSMOS, Distill-MOS) and reference-based PESQ and STOI.

Reference-free metrics judge a recording on its own; they suit every generator. PESQ and STOI compare the
output with a **time-aligned** recording of the same utterance (``reference``): they suit voice conversion,
enhancement or resynthesis with a ground truth, not a free TTS rendering whose timing differs from any
recording.

The maths of the paired metrics is in small functions beside the classes, on 1-D float arrays:

- :func:`pesq_mos_lqo` — ITU-T P.862 through the ``pesq`` package (the ITU reference C code): wide-band
  (P.862.2) on 16 kHz signals, narrow-band (P.862 with the P.862.1 mapping) on 8 kHz signals, both returned as
  MOS-LQO. PESQ aligns the two signals in time and level itself, utterance by utterance.
- :func:`stoi_score` — STOI (Taal et al. 2011) and extended STOI (Jensen & Taal 2016) through ``pystoi`` on
  10 kHz signals, the rate of the standard (given at 10 kHz, ``pystoi`` resamples nothing).
- :func:`trim_to_shorter` and :func:`length_difference` — how unequal lengths are handled (below).

**Unequal lengths.** Both measures assume two recordings of one utterance, sample-aligned, of equal length
(``pystoi`` refuses anything else). Each pair is trimmed to the shorter recording (the tail of the longer one is
dropped, at each rate separately); when the two lengths differ by more than ``max_length_difference`` (default
5 %, relative to the reference) the sample keeps its values but gets a warning that they are likely meaningless.
PESQ tolerates small delays (it searches for the best alignment); STOI does not.

**Resampling.** Every input is resampled with soxr HQ (:func:`emoeval.media.audio.decode_audio`) to the rate
the standard defines: 16 kHz for PESQ wide-band, 8 kHz for narrow-band, 10 kHz for STOI. The warning column
names the original rates whenever a recording was resampled.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from emoeval.errors import SampleInputError
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.media.audio import Audio
    from emoeval.samples import Sample

PESQ_WB_RATE = 16000
PESQ_NB_RATE = 8000
STOI_RATE = 10000
#: the ``pesq`` package refuses shorter signals (BufferTooShortError)
PESQ_MIN_DURATION_S = 0.25
#: PESQ MOS-LQO limits: the P.862.2 (wide-band) and P.862.1 (narrow-band) mappings of raw PESQ −0.5 … 4.5
PESQ_WB_RANGE = (1.04, 4.64)
PESQ_NB_RANGE = (1.02, 4.55)
#: pystoi needs this many 25.6-ms STFT frames (hop 12.8 ms) left after removing silent frames
STOI_MIN_FRAMES = 30
#: seed of NumPy's global generator while pystoi runs (its ESTOI adds EPS-sized noise from that generator)
STOI_NOISE_SEED = 0
DEFAULT_MAX_LENGTH_DIFFERENCE = 0.05


# -- maths ------------------------------------------------------------------------------------------------
def length_difference(n_output: int, n_reference: int) -> float:
    """|output length − reference length| / reference length.

    >>> length_difference(105, 100), length_difference(90, 100)
    (0.05, 0.1)
    """
    if n_reference <= 0:
        raise ValueError("the reference must have at least one sample")
    return abs(n_output - n_reference) / n_reference


def trim_to_shorter(output: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both signals cut to the length of the shorter one (the tail of the longer one is dropped).

    >>> import numpy as np
    >>> [len(x) for x in trim_to_shorter(np.zeros(5), np.zeros(3))]
    [3, 3]
    """
    length = min(len(output), len(reference))
    return output[:length], reference[:length]


def _pesq_failure(exc: BaseException, mode: str, duration_s: float) -> str:
    """A readable reason for an exception of the ``pesq`` package."""
    import pesq

    label = "wide-band" if mode == "wb" else "narrow-band"
    detail = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
    if isinstance(exc, pesq.NoUtterancesError):
        return (
            f"PESQ {label} found no speech utterance to compare ({detail}): PESQ needs speech in the reference "
            "and an output it can align with it; check that neither recording is silence, a click or noise only"
        )
    if isinstance(exc, pesq.BufferTooShortError):
        return (
            f"too short for PESQ {label}: {duration_s:.2f} s after trimming to the shorter recording; PESQ needs "
            f"at least {PESQ_MIN_DURATION_S} s ({detail})"
        )
    return f"PESQ {label} failed: {type(exc).__name__}: {detail}"


def pesq_mos_lqo(reference: np.ndarray, output: np.ndarray, rate: int, mode: Literal["wb", "nb"]) -> float:
    """PESQ MOS-LQO of ``output`` against ``reference`` (equal lengths, ``rate`` 16000 for wb, 8000 for nb).

    Raises :class:`SampleInputError` with a readable reason when PESQ cannot score the pair (no utterance
    detected, shorter than 0.25 s, signals it cannot normalise).
    """
    import pesq

    if len(reference) != len(output):
        raise ValueError(f"PESQ compares signals of one length here; got {len(reference)} and {len(output)}")
    try:
        return float(pesq.pesq(rate, reference, output, mode))
    except (pesq.PesqError, ValueError) as exc:
        raise SampleInputError(_pesq_failure(exc, mode, len(output) / rate)) from None


def stoi_score(reference: np.ndarray, output: np.ndarray, *, extended: bool = False) -> float:
    """STOI (or ESTOI with ``extended``) of 10-kHz ``output`` against 10-kHz ``reference`` of equal length.

    Raises :class:`SampleInputError` when fewer than 30 frames remain after ``pystoi`` removes the
    reference's silent frames (it would otherwise warn and return 1e-5).

    ESTOI is deterministic here: ``pystoi``'s row/column normalisation adds ``EPS`` × noise from NumPy's *global*
    random generator (``np.random.standard_normal``), which moved a value in the third decimal from one run
    to the next where a band is near silent. The global generator is seeded with 0 for the call and restored
    afterwards, so the value equals ``pystoi.stoi`` called right after ``np.random.seed(0)``.
    """
    import numpy as np
    from pystoi import stoi

    state = np.random.get_state()
    np.random.seed(STOI_NOISE_SEED)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = float(stoi(reference, output, STOI_RATE, extended=extended))
    finally:
        np.random.set_state(state)
    if any("Not enough STFT frames" in str(warning.message) for warning in caught):
        name = "ESTOI" if extended else "STOI"
        raise SampleInputError(
            f"too little speech for {name}: it needs {STOI_MIN_FRAMES} frames (about 0.4 s) within 40 dB of the "
            "reference's loudest frame, after removing silent frames"
        )
    return value


# -- reading a pair ---------------------------------------------------------------------------------------
def _read(path: Path, role: str) -> bytes:
    from emoeval.context import content_key

    try:
        _, data = content_key(path)
    except SampleInputError as exc:
        raise SampleInputError(f"{role}: {exc}") from None
    assert data is not None
    return data


def _decode(data: bytes, path: Path, role: str, rate: int) -> Audio:
    from emoeval.media.audio import decode_audio

    try:
        return decode_audio(data, str(path), target_rate=rate)
    except SampleInputError as exc:
        raise SampleInputError(f"{role}: {exc}") from None


def resampling_warning(rates: dict[int, str], output_rate: int, reference_rate: int) -> str | None:
    """One note naming the rates either recording was resampled to, and the original rates (None if none).

    >>> resampling_warning({16000: "PESQ wide-band", 8000: "PESQ narrow-band"}, 24000, 16000)
    'resampled to 16000 Hz for PESQ wide-band and 8000 Hz for PESQ narrow-band (output 24000 Hz, reference 16000 Hz)'
    >>> resampling_warning({16000: "PESQ wide-band"}, 16000, 16000) is None
    True
    """
    from emoeval.media.audio import resampling_note

    targets = [
        f"{rate} Hz for {purpose}"
        for rate, purpose in rates.items()
        if resampling_note(rate, output=output_rate, reference=reference_rate) is not None
    ]
    if not targets:
        return None
    return f"resampled to {' and '.join(targets)} (output {output_rate} Hz, reference {reference_rate} Hz)"


class _PairedSpeechMetric(SampleMetric):
    """Shared by PESQ and STOI: read the output and its reference, decode both at each standard's rate."""

    rates: ClassVar[dict[int, str]]
    batch_size = 8

    def __init__(self, *, max_length_difference: float = DEFAULT_MAX_LENGTH_DIFFERENCE) -> None:
        if not max_length_difference >= 0:
            raise ValueError(f"max_length_difference must be ≥ 0 (a fraction), got {max_length_difference}")
        self.max_length_difference = float(max_length_difference)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        return SampleScore.each(samples, self.score_one)

    def score_one(self, sample: Sample) -> SampleScore:
        raise NotImplementedError

    def decode_pair(self, sample: Sample) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], list[str]]:
        """Per rate, ``(output, reference)`` trimmed to the shorter one; and the warnings (resampling, length)."""
        assert sample.path is not None and sample.reference is not None
        output_path, reference_path = Path(sample.path), Path(str(sample.reference))
        output_data, reference_data = _read(output_path, "output"), _read(reference_path, "reference")
        pairs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        notes: list[str] = []
        for index, rate in enumerate(self.rates):
            output = _decode(output_data, output_path, "output", rate)
            reference = _decode(reference_data, reference_path, "reference", rate)
            if index == 0:  # one resampling note and one length check per pair
                note = resampling_warning(self.rates, output.original_rate, reference.original_rate)
                notes.extend([note] if note else [])
                difference = length_difference(len(output.samples), len(reference.samples))
                if difference > self.max_length_difference:
                    notes.append(
                        f"output ({output.duration_s:.2f} s) and reference ({reference.duration_s:.2f} s) differ in "
                        f"length by {difference:.0%} (more than {self.max_length_difference:.0%}); both were trimmed "
                        f"to {min(output.duration_s, reference.duration_s):.2f} s, and the values mean little unless "
                        "the output is time-aligned with the reference"
                    )
            pairs[rate] = trim_to_shorter(output.samples, reference.samples)
        return pairs, notes


# -- metrics ----------------------------------------------------------------------------------------------
class SpeechDNSMOS(SampleMetric):
    """DNSMOS: predicted listener ratings of speech quality, with no reference (P.835 SIG/BAK/OVRL, P.808).

    **Meaning.** Microsoft's DNSMOS networks, trained on crowd-sourced P.808 and P.835 ratings of noisy and
    noise-suppressed speech, predict the mean opinion scores of an ITU-T P.835 test — ``sig`` (is the
    speech itself distorted?), ``bak`` (is the background intrusive?), ``ovrl`` (overall quality) — and of a
    P.808 absolute-category-rating test (``p808_mos``). The recording is resampled to 16 kHz, repeated up to
    9.01 s if shorter, scored in 9.01-s windows with a 1-s hop and averaged; P.835 values use DNSMOS'
    non-personalised polynomials (``speechmos``' default). Values equal ``speechmos.dnsmos.run`` on the same
    16-kHz audio (see :mod:`emoeval.reference_models.dnsmos`). ``ovrl`` is the headline. DNSMOS was built to
    rank noise suppressors: it was not trained to judge prosody, the naturalness of synthetic voices or
    emotion, and the resampling to 16 kHz discards everything above 8 kHz.

    **Range and direction.** All four in about [1, 5], higher is better; the P.835 polynomials map the
    network's top rating 5 to SIG 4.0, BAK 4.4 and OVRL 3.9. Measured here: the five Emo-StarGAN source
    recordings (clean read speech) average SIG 3.34, BAK 4.03, OVRL 3.01, P.808 3.53; twenty EmoDB clips
    average BAK 3.26 and OVRL 2.44 clean, 2.04 and 1.91 with white noise at 20 dB SNR, 1.30 and 1.35 at 0 dB.

    **Needs.** Audio in ``path`` only; at least 1 s of it (shorter is a per-sample error, as are empty,
    silent or unreadable files). Inputs at another rate are resampled and the warning column says so.
    The ONNX files ship in ``speechmos`` (``pip install --no-deps speechmos``) with ``onnxruntime`` and
    ``librosa``.

    **Source.** Reddy, Gopal, Cutler (2021), DNSMOS, ICASSP; Reddy, Gopal, Cutler (2022), DNSMOS P.835,
    ICASSP; ITU-T P.835 (2003) and P.808 (2018).

    >>> [output.name for output in SpeechDNSMOS.spec.outputs]
    ['ovrl', 'sig', 'bak', 'p808_mos']
    """

    spec = MetricSpec(
        name="speech_dnsmos",
        modality="speech",
        scope="sample",
        outputs=(
            Output("ovrl", higher_is_better=True, range=(1.0, 5.0), description="DNSMOS P.835 overall quality"),
            Output("sig", higher_is_better=True, range=(1.0, 5.0), description="DNSMOS P.835 speech signal"),
            Output("bak", higher_is_better=True, range=(1.0, 5.0), description="DNSMOS P.835 background noise"),
            Output("p808_mos", higher_is_better=True, range=(1.0, 5.0), description="DNSMOS P.808 MOS"),
        ),
        version="1.0.0",
        models=("dnsmos",),
        summary="reference-free speech quality: DNSMOS P.835 SIG/BAK/OVRL and P.808 MOS",
        citation="Reddy et al. 2021 (DNSMOS), 2022 (DNSMOS P.835)",
    )
    batch_size = 8
    model_name = "dnsmos"

    def __init__(self) -> None:
        pass

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note, sample_rate_of
        from emoeval.reference_models.dnsmos import SAMPLE_RATE

        scores = []
        outputs = context.outputs(self.model_name, [sample.path for sample in samples])  # type: ignore[misc]
        for sample, output in zip(samples, outputs, strict=True):
            if isinstance(output, SampleInputError):
                scores.append(SampleScore.failed(output))
                continue
            sig, bak, ovrl, p808 = (float(value) for value in output)
            note = resampling_note(SAMPLE_RATE, output=sample_rate_of(Path(str(sample.path))))
            scores.append(SampleScore(values={"ovrl": ovrl, "sig": sig, "bak": bak, "p808_mos": p808}, warning=note))
        return scores


class SpeechDistillMOS(SampleMetric):
    """Distill-MOS: a predicted mean opinion score of speech quality, with no reference.

    **Meaning.** A 4.2 M-parameter CNN + transformer (Stahl & Gamper 2025) distilled from an XLS-R-based MOS
    predictor trained on a compilation of MOS datasets with over 100,000 rated clips, predicting the MOS that
    listeners would give on a 1–5 absolute category rating scale. The recording is resampled to 16 kHz; the
    network zero-pads it to 7.68 s or averages evenly spread 7.68-s crops of a longer one. Values equal
    ``distillmos.ConvTransformerSQAModel()`` on the same 16-kHz audio. Its authors note that it generalises
    less well than its teacher to text-to-speech output.

    **Range and direction.** mos in (1, 5), higher is better. Measured here: the five Emo-StarGAN source
    recordings average 3.81 (their conversions 3.50 and 3.29); twenty EmoDB clips 3.29 clean, 2.94 with white
    noise at 20 dB SNR, 2.10 at 0 dB.

    **Needs.** Audio in ``path`` only; at least 1 s of it (shorter is a per-sample error, as are empty,
    silent or unreadable files). The weights ship in ``distillmos`` (``pip install --no-deps distillmos
    xls-r-sqa``), which needs torch and torchaudio.

    **Source.** Stahl, Gamper (2025), Distillation and Pruning for Scalable Self-Supervised
    Representation-Based Speech Quality Assessment, ICASSP (arXiv:2502.05356).

    >>> SpeechDistillMOS.spec.headline.name, SpeechDistillMOS.spec.headline.range
    ('mos', (1.0, 5.0))
    """

    spec = MetricSpec(
        name="speech_mos_distill",
        modality="speech",
        scope="sample",
        outputs=(Output("mos", higher_is_better=True, range=(1.0, 5.0), description="Distill-MOS predicted MOS"),),
        version="1.0.0",
        models=("distillmos",),
        summary="reference-free predicted MOS of speech quality (Distill-MOS)",
        citation="Stahl & Gamper 2025 (Distill-MOS)",
    )
    batch_size = 8
    model_name = "distillmos"

    def __init__(self) -> None:
        pass

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note, sample_rate_of
        from emoeval.reference_models.distillmos import SAMPLE_RATE

        scores = []
        outputs = context.outputs(self.model_name, [sample.path for sample in samples])  # type: ignore[misc]
        for sample, output in zip(samples, outputs, strict=True):
            if isinstance(output, SampleInputError):
                scores.append(SampleScore.failed(output))
                continue
            note = resampling_note(SAMPLE_RATE, output=sample_rate_of(Path(str(sample.path))))
            scores.append(SampleScore(values={"mos": float(output[0])}, warning=note))
        return scores


class SpeechPESQ(_PairedSpeechMetric):
    """PESQ: perceptual speech quality of an output against its time-aligned ``reference`` (ITU-T P.862).

    **Meaning.** PESQ models how a listener hears the difference between a clean reference and a degraded
    version of the same utterance: it aligns the two in level and time (utterance by utterance), maps both to
    a loudness representation and turns their disturbance into a MOS-LQO. ``pesq_wb`` is wide-band PESQ
    (P.862.2, both signals at 16 kHz), ``pesq_nb`` narrow-band PESQ (P.862 with the P.862.1 mapping, 8 kHz),
    both from the ITU reference code in the ``pesq`` package. Inputs are resampled with soxr HQ to each rate
    and trimmed to the shorter recording (see the module notes).

    **Range and direction.** pesq_wb in [1.04, 4.64], pesq_nb in [1.02, 4.55]; higher is better; identical
    signals give the maximum. Values are only meaningful for recordings of one utterance that are
    time-aligned (voice conversion or resynthesis of the reference, not free TTS).

    **Needs.** Audio in ``path`` and the aligned reference recording in ``reference``, each at least 0.25 s.
    A missing, empty, silent or unreadable file is a per-sample error naming it; so is a pair in which PESQ
    detects no utterance (e.g. a reference holding only a click or noise). When only one mode fails, the
    other is still reported and the warning column gives the reason. Lengths differing by more than
    ``max_length_difference`` (default 5 %) give a warning.

    **Source.** ITU-T P.862 (2001), P.862.1 (2003), P.862.2 (2007); Rix, Beerends, Hollier, Hekstra (2001),
    Perceptual evaluation of speech quality (PESQ), ICASSP.

    >>> SpeechPESQ().params()
    {'max_length_difference': 0.05}
    """

    spec = MetricSpec(
        name="speech_pesq",
        modality="speech",
        scope="sample",
        outputs=(
            Output("pesq_wb", higher_is_better=True, range=PESQ_WB_RANGE, description="PESQ wide-band MOS-LQO"),
            Output("pesq_nb", higher_is_better=True, range=PESQ_NB_RANGE, description="PESQ narrow-band MOS-LQO"),
        ),
        version="1.0.0",
        needs=frozenset({"reference"}),
        models=(),
        summary="reference-based speech quality: PESQ wide-band (P.862.2) and narrow-band (P.862) MOS-LQO",
        citation="ITU-T P.862 / P.862.2; Rix et al. 2001 (PESQ)",
    )
    rates: ClassVar[dict[int, str]] = {PESQ_WB_RATE: "PESQ wide-band", PESQ_NB_RATE: "PESQ narrow-band"}

    def score_one(self, sample: Sample) -> SampleScore:
        """Both PESQ values for one sample (raises SampleInputError when neither can be computed)."""
        pairs, notes = self.decode_pair(sample)
        values: dict[str, float] = {}
        failures: list[str] = []
        for name, rate, mode in (("pesq_wb", PESQ_WB_RATE, "wb"), ("pesq_nb", PESQ_NB_RATE, "nb")):
            output, reference = pairs[rate]
            try:
                values[name] = pesq_mos_lqo(reference, output, rate, mode)  # type: ignore[arg-type]
            except SampleInputError as exc:
                values[name] = math.nan
                failures.append(f"{name} not computed: {exc}")
        if all(math.isnan(value) for value in values.values()):
            raise SampleInputError(f"{sample.path} vs {sample.reference}: " + "; ".join(failures))
        return SampleScore(values=values, warning="; ".join([*failures, *notes]) or None)


class SpeechSTOI(_PairedSpeechMetric):
    """STOI and ESTOI: predicted intelligibility of an output against its time-aligned ``reference``.

    **Meaning.** STOI (Taal et al. 2011) splits both signals at 10 kHz into 15 one-third-octave bands,
    removes the frames in which the reference is more than 40 dB below its loudest frame, and correlates
    the output's band envelopes (normalised and clipped) with the reference's over 384-ms segments; the mean
    correlation predicts the fraction of words listeners would understand. Extended STOI (``estoi``,
    Jensen & Taal 2016) correlates whole spectro-temporal segments after normalising rows and columns,
    which also covers modulated noise and non-linear processing. Both from ``pystoi``; inputs are resampled
    with soxr HQ to 10 kHz (the standard's rate) and trimmed to the shorter recording.

    **Range and direction.** Both are means of correlation coefficients: in [-1, 1], in practice [0, 1]
    (ESTOI can go slightly negative for unrelated signals); higher is better; identical signals give 1.
    Meaningful only for time-aligned recordings of one utterance.

    **Needs.** Audio in ``path`` and the aligned reference recording in ``reference``. A missing, empty,
    silent or unreadable file is a per-sample error naming it; so is a reference with less than about
    0.4 s of speech (30 non-silent frames). Lengths differing by more than ``max_length_difference``
    (default 5 %) give a warning.

    **Source.** Taal, Hendriks, Heusdens, Jensen (2011), An Algorithm for Intelligibility Prediction of
    Time-Frequency Weighted Noisy Speech, IEEE TASLP 19(7); Jensen, Taal (2016), An Algorithm for Predicting
    the Intelligibility of Speech Masked by Modulated Noise Maskers, IEEE/ACM TASLP 24(11).

    >>> SpeechSTOI.spec.headline.name, SpeechSTOI.spec.needs
    ('stoi', frozenset({'reference'}))
    """

    spec = MetricSpec(
        name="speech_stoi",
        modality="speech",
        scope="sample",
        outputs=(
            Output("stoi", higher_is_better=True, range=(-1.0, 1.0), description="STOI, in practice [0, 1]"),
            Output("estoi", higher_is_better=True, range=(-1.0, 1.0), description="extended STOI"),
        ),
        version="1.0.1",  # 1.0.1: ESTOI seeded (pystoi draws noise from NumPy's global generator)
        needs=frozenset({"reference"}),
        models=(),
        summary="reference-based intelligibility: STOI and extended STOI",
        citation="Taal et al. 2011 (STOI); Jensen & Taal 2016 (ESTOI)",
    )
    rates: ClassVar[dict[int, str]] = {STOI_RATE: "STOI"}

    def score_one(self, sample: Sample) -> SampleScore:
        """STOI and ESTOI for one sample (raises SampleInputError when the reference holds too little speech)."""
        pairs, notes = self.decode_pair(sample)
        output, reference = pairs[STOI_RATE]
        try:
            values = {
                "stoi": stoi_score(reference, output),
                "estoi": stoi_score(reference, output, extended=True),
            }
        except SampleInputError as exc:
            raise SampleInputError(f"{sample.path} vs {sample.reference}: {exc}") from None
        return SampleScore(values=values, warning="; ".join(notes) or None)
