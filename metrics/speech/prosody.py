"""Prosody of generated speech: distances to a reference utterance, mel-cepstral distortion, and descriptors.

All three metrics analyse each recording the same way, at one analysis rate (``sample_rate``, 16 kHz by default;
both recordings are resampled to it with soxr HQ), with :func:`emoeval.functional.prosody.extract_features`:
WORLD's 5 ms frames; F0 by WORLD DIO + StoneMask (``f0_method="world"``), Harvest + StoneMask (``"harvest"``) or
pYIN (``"pyin"``) between ``f0_floor`` and ``f0_ceil`` (60–800 Hz); frame energy over 25 ms windows; the energy
voice-activity detector, whose first and last active frames bound the *speech span* the analysis is trimmed to
(no speech detected, or less than 100 ms of it, is a per-sample error; a steady voiced sound is analysed whole);
pauses ≥ ``min_pause_s``; syllable nuclei (de Jong & Wempe 2009) for the speaking rate; WORLD CheapTrick → SPTK
mel-cepstra. :mod:`emoeval.functional.prosody` documents every choice with its measured cost and accuracy, and
holds the statistics computed from analysed utterances; this module re-exports those names and adds the DTW
alignment and the metric classes.

Output and reference are aligned by DTW (:mod:`emoeval.metrics.speech._dtw`: symmetric steps, Euclidean distance
between mel-cepstra without c0) over their speech spans; frame-pair statistics run over the path. The DTW is exact
up to 16 million frame pairs (N·M: e.g. two 20 s speech spans, 256 MB); above that it is restricted to a
Sakoe–Chiba band of ±10 % of the longer span plus the length difference (2 bits of memory per band cell: about
170 MB at peak for two 4-minute spans, where exact DTW would need 34 GiB), noted in the ``warning`` column; beyond
2·10⁹ band cells (about two 8-minute spans) the sample is a per-sample error instead.
Per-utterance features are computed once per metric call (a batch: a reference shared by several outputs of the
batch is analysed once); nothing is cached across calls or globally.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.artifacts import ArtifactScore, f0_contour_artifacts
from emoeval.errors import SampleInputError
from emoeval.functional.prosody import (
    F0_METHODS,
    FRAME_PERIOD_S,
    MCD_SCALE,
    MIN_SPEECH_FRAMES,
    STEADY_VOICED_MIN_FRACTION,
    F0Method,
    ProsodyFeatures,
    _pyin,  # noqa: F401  (importable from here as before: tests call it)
    energy_errors,
    extract_features,
    f0_contour,
    f0_errors,
    frame_energy,
    mcep_alpha,
    mcep_order,
    mel_cepstral_distortion,
    no_speech_message,
    pauses,
    pearson,
    prosody_descriptors,
    prosody_distance,
    runs,
    speaking_rate,
    syllable_nuclei,
    voicing_errors,
)
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.media.audio import Audio
    from emoeval.metrics.speech._dtw import Alignment, AlignmentTooLongError
    from emoeval.samples import Sample

INF = math.inf


# -- alignment -----------------------------------------------------------------------------------------------------


def align(mcep_output: np.ndarray, mcep_reference: np.ndarray) -> np.ndarray:
    """DTW path (rows of output frame, reference frame) between two mel-cepstrum sequences, c0 excluded."""
    return alignment(mcep_output, mcep_reference).path


def alignment(mcep_output: np.ndarray, mcep_reference: np.ndarray) -> Alignment:
    """DTW of two mel-cepstrum sequences on c1..cD: exact up to 16 million frame pairs, banded above (see
    :mod:`emoeval.metrics.speech._dtw`); raises ``AlignmentTooLongError`` beyond the band limit."""
    from emoeval.metrics.speech._dtw import align_sequences

    return align_sequences(mcep_output[:, 1:], mcep_reference[:, 1:])


def too_long_message(output: str, reference: str, error: AlignmentTooLongError) -> str:
    """Per-sample error text for speech spans too long to align (the hard ceiling of the banded DTW)."""
    from emoeval.metrics.speech import _dtw

    minutes = FRAME_PERIOD_S / 60
    # equal spans of L frames fill about L · 2·BAND_FRACTION·L band cells
    equal_spans = math.sqrt(error.limit / (2 * _dtw.BAND_FRACTION)) * minutes
    return (
        f"{output} against reference {reference}: speech spans of {error.n * minutes:.1f} and "
        f"{error.m * minutes:.1f} min are too long to align — the DTW band would hold {error.cells / 1e9:.2f} "
        f"billion frame pairs, above the limit of {error.limit / 1e9:.2f} billion (about two {equal_spans:.1f}-minute "
        "spans). Score shorter segments (split long recordings by sentence), or raise "
        "emoeval.metrics.speech._dtw.MAX_BAND_CELLS if limit / 4 bytes of memory are free"
    )


def band_note(aligned: Alignment, frame_period_s: float = FRAME_PERIOD_S) -> str | None:
    """Warning text for an alignment that used the Sakoe–Chiba band (None for exact DTW)."""
    from emoeval.metrics.speech import _dtw

    if aligned.radius is None:
        return None
    n, m = int(aligned.path[-1, 0]) + 1, int(aligned.path[-1, 1]) + 1
    return (
        f"long recordings ({n} × {m} frame pairs, above the {_dtw.EXACT_MAX_CELLS / 1e6:g} million of exact DTW): "
        f"aligned within a Sakoe–Chiba band of ±{aligned.radius} frames ({aligned.radius * frame_period_s:.1f} s, "
        f"{_dtw.BAND_FRACTION:.0%} of the longer speech span) plus the length difference; paths leaving the band "
        "are not searched, so the alignment's DTW cost is never below exact DTW's (equal when the exact path stays "
        "inside)"
    )


# -- metrics -------------------------------------------------------------------------------------------------------


def _contour(part: str, features: ProsodyFeatures) -> dict[str, Sequence[float]]:
    """The F0 contour of an analysed recording as artefacts of its verdict (at most 200 points over the speech
    span; :func:`emoeval.functional.prosody.f0_contour`): the report plots these, never re-analysing audio."""
    times, f0 = f0_contour(features)
    return f0_contour_artifacts(part, times.tolist(), f0.tolist())


class _ProsodyMetric(SampleMetric):
    """Shared loading and analysis: each file once per call, at one analysis rate."""

    batch_size = 8
    with_mcep: bool = True
    #: attach the F0 contours analysed to each verdict (:mod:`emoeval.artifacts`), for the report's plots
    record_contours: ClassVar[bool] = False

    def __init__(
        self,
        *,
        f0_method: F0Method = "world",
        sample_rate: int | None = 16000,
        f0_floor: float = 60.0,
        f0_ceil: float = 800.0,
        min_pause_s: float = 0.1,
    ) -> None:
        if f0_method not in F0_METHODS:
            raise ValueError(f"unknown f0_method {f0_method!r}; choose one of {F0_METHODS}")
        if sample_rate is not None and sample_rate < 8000:
            raise ValueError(f"sample_rate {sample_rate} Hz is too low for speech analysis (use ≥ 8000, or None)")
        if not 0 < f0_floor < f0_ceil:
            raise ValueError(f"need 0 < f0_floor < f0_ceil, got {f0_floor} and {f0_ceil}")
        self.f0_method = f0_method
        self.sample_rate = sample_rate
        self.f0_floor = f0_floor
        self.f0_ceil = f0_ceil
        self.min_pause_s = min_pause_s

    def _analyse(
        self, path: Path, rate: int | None, done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str]
    ) -> tuple[Audio, ProsodyFeatures] | str:
        """``(audio, features)`` of a file at ``rate`` (None: its own rate), or the error text; memoised in ``done``."""
        from emoeval.media.audio import load_audio

        key = (str(path), rate)
        if key not in done:
            try:
                audio = load_audio(path, target_rate=rate)
                features = extract_features(
                    audio,
                    f0_method=self.f0_method,
                    f0_floor=self.f0_floor,
                    f0_ceil=self.f0_ceil,
                    with_mcep=self.with_mcep,
                    name=str(path),
                )
                done[key] = (audio, features)
            except SampleInputError as exc:
                done[key] = str(exc)
        return done[key]


class _PairedProsodyMetric(_ProsodyMetric):
    record_contours = True

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import resampling_note
        from emoeval.metrics.speech._dtw import AlignmentTooLongError

        done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str] = {}
        scores = []
        for sample in samples:
            output = self._analyse(sample.path, self.sample_rate, done)
            if isinstance(output, str):
                scores.append(SampleScore.failed(output))
                continue
            rate = self.sample_rate or output[0].sample_rate
            reference = self._analyse(Path(sample.reference), rate, done)  # type: ignore[arg-type]
            if isinstance(reference, str):
                scores.append(SampleScore.failed(f"reference: {reference}"))
                continue
            notes = [*output[0].warnings, *reference[0].warnings, *output[1].notes, *reference[1].notes]
            note = resampling_note(rate, output=output[0].original_rate, reference=reference[0].original_rate)
            if note:
                notes.append(note.replace("for the model", "for analysis"))
            try:
                aligned = alignment(output[1].mcep, reference[1].mcep)
            except AlignmentTooLongError as exc:
                scores.append(SampleScore.failed(too_long_message(str(sample.path), str(sample.reference), exc)))
                continue
            band = band_note(aligned)
            if band:
                notes.append(band)
            values = self._values(output[1], reference[1], aligned.path, notes)
            warning = "; ".join(notes) or None
            if self.record_contours:
                contours = {**_contour("output", output[1]), **_contour("reference", reference[1])}
                scores.append(ArtifactScore(values=values, warning=warning, artifacts=contours))
            else:
                scores.append(SampleScore(values=values, warning=warning))
        return scores

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        raise NotImplementedError


class SpeechProsodyDistance(_PairedProsodyMetric):
    """Prosody distance between generated speech and a ``reference`` utterance of the same text.

    **Meaning.** Both utterances are analysed at one rate (16 kHz by default), trimmed to their speech spans and
    aligned by DTW on mel-cepstra (:mod:`emoeval.functional.prosody` documents every analysis choice). Along the path:
    F0 RMSE in Hz and in cents and the Pearson correlation of log F0, over frame pairs voiced in both; the
    voiced/unvoiced decision error rate and voicing F1 (reference voicing as truth); the energy-contour RMSE (dB)
    and correlation over pairs active in both, each contour taken relative to its own mean, with the overall
    level gap reported apart (``level_difference_db``). Timing: the ratio of speech-span durations
    (output / reference), the difference in speaking rate (syllable nuclei per second), and the differences in
    the number and total duration of pauses (≥ ``min_pause_s``, 100 ms, from the energy voice-activity
    detector). F0 comes from WORLD DIO + StoneMask unless ``f0_method`` says ``"harvest"`` or ``"pyin"``.

    **Range and direction.** ``f0_rmse_cents`` (headline), ``f0_rmse_hz``, ``vuv_error`` (0–1) and
    ``energy_rmse_db`` are ≥ 0, lower is better; ``logf0_corr`` and ``energy_corr`` are in [-1, 1] and
    ``voicing_f1`` in [0, 1], higher is better. Identical recordings give 0 and 1. ``duration_ratio`` (1 = same
    length) and the signed differences (output minus reference; 0 = same) have no direction. Measured on EmoDB
    (same speaker and sentence, 16 kHz): another emotion 724 cents on average (209–1491; log-F0 r 0.44,
    energy r 0.59), a copy with −3 dB gain, a 7 ms delay and noise 40 dB down 86 cents (r 0.95 and 0.98).
    DIO's octave and voicing slips weigh heavily on the RMSE; ``logf0_corr`` is the steadier signal. F0
    outputs are absent when no frame pair is voiced in both (the ``warning`` column says so).

    **Needs.** Audio in ``path`` and a recording of the same text in ``reference`` (ground truth or another
    system). Empty, too short, silent, NaN or unreadable audio, a recording with no detected speech (steady noise,
    near-silence: "no speech detected in <file>"; prefixed "reference: " for the reference), or less than 100 ms
    of detected speech, is a per-sample error; clipping and resampling are noted in ``warning``. Alignment is
    exact DTW up to 16 million frame pairs (two 20 s speech spans), a Sakoe–Chiba band (±10 % of the longer
    span plus the length difference, noted in ``warning``) above, and a per-sample error beyond 2·10⁹ band cells
    (about two 8-minute spans): split longer recordings.

    **Artefacts.** Each verdict keeps the F0 contours it compared (output and reference over their speech spans,
    at most 200 points each; :mod:`emoeval.artifacts`), written to ``<out>/artifacts/``: the report plots them.

    **Source.** WORLD (Morise et al. 2016, IEICE); pYIN (Mauch & Dixon 2014, ICASSP); DTW-aligned F0 RMSE,
    log-F0 correlation and V/UV error as reported in emotional voice conversion (e.g. Zhou et al. 2021,
    "Seen and unseen emotional style transfer", ICASSP; Emo-StarGAN, Ghosh et al. 2023); syllable nuclei after
    de Jong & Wempe (2009), Behavior Research Methods.

    >>> SpeechProsodyDistance.spec.headline.name, SpeechProsodyDistance(f0_method="pyin").params()["f0_method"]
    ('f0_rmse_cents', 'pyin')
    """

    spec = MetricSpec(
        name="speech_prosody_distance",
        modality="speech",
        scope="sample",
        outputs=(
            Output("f0_rmse_cents", higher_is_better=False, range=(0.0, INF), description="F0 RMSE in cents"),
            Output("f0_rmse_hz", higher_is_better=False, range=(0.0, INF), description="F0 RMSE in Hz"),
            Output("logf0_corr", higher_is_better=True, range=(-1.0, 1.0), description="log-F0 Pearson r"),
            Output("vuv_error", higher_is_better=False, range=(0.0, 1.0), description="V/UV decision error rate"),
            Output("voicing_f1", higher_is_better=True, range=(0.0, 1.0), description="voicing F1 (ref = truth)"),
            Output("energy_rmse_db", higher_is_better=False, range=(0.0, INF), description="energy contour RMSE"),
            Output("energy_corr", higher_is_better=True, range=(-1.0, 1.0), description="energy contour Pearson r"),
            Output("level_difference_db", higher_is_better=None, range=(-INF, INF), description="level, out − ref"),
            Output("duration_ratio", higher_is_better=None, range=(0.0, INF), description="speech span, out / ref"),
            Output(
                "speaking_rate_difference",
                higher_is_better=None,
                range=(-INF, INF),
                description="syllable nuclei per second, out − ref",
            ),
            Output("pause_count_difference", higher_is_better=None, range=(-INF, INF), description="out − ref"),
            Output("pause_duration_difference_s", higher_is_better=None, range=(-INF, INF), description="out − ref"),
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        summary="prosody distance to a reference utterance (DTW-aligned F0, voicing, energy, timing, pauses)",
        citation="Morise et al. 2016 (WORLD); Mauch & Dixon 2014 (pYIN); de Jong & Wempe 2009 (syllable nuclei)",
    )

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        values = prosody_distance(output, reference, path, min_pause_s=self.min_pause_s)
        if "f0_rmse_cents" not in values:
            notes.append("no frame pair voiced in both recordings: F0 outputs left out")
        elif "logf0_corr" not in values:
            notes.append("log-F0 correlation undefined (fewer than 3 voiced pairs or a flat F0 track)")
        return values


class SpeechMCD(_PairedProsodyMetric):
    """Mel-cepstral distortion (dB) between generated speech and a ``reference`` utterance of the same text.

    **Meaning.** MCD = mean over DTW-aligned frame pairs of (10/ln 10)·sqrt(2·Σ_{d=1..D}(c_d − c'_d)²), c0
    (energy) excluded. Exactly this variant: both recordings at one analysis rate (16 kHz by default, soxr HQ),
    trimmed to their speech spans (energy voice activity; pauses inside the span stay in); 5 ms frames; WORLD
    CheapTrick envelope (on the F0 of ``f0_method``) → SPTK ``sp2mc`` with order D = 23 at 16 kHz (34 at
    22.05/24 kHz, 39 at 44.1/48 kHz, as ESPnet2's script) and α = ``pysptk.util.mcepalpha`` (0.41 at 16 kHz);
    symmetric DTW on the Euclidean distance of c1..cD — exact (no band, no radius approximation) while N·M ≤ 16
    million frame pairs (e.g. two 20 s speech spans), above that within a Sakoe–Chiba band of radius ⌈0.1 ·
    max(N, M)⌉ frames widened by |N − M| (noted in ``warning``; ≈ 170 MB for two 4-minute spans instead of 34 GiB),
    refused beyond 2·10⁹ band cells (about two 8-minute spans); the mean runs over every pair of the path. A band
    never lowers the DTW cost, but MCD is that cost over the path length, so it can move either way, by little
    when the exact path stays near the diagonal. ESPnet2's ``evaluate_mcd.py`` differs in keeping c0, analysing
    windowed frames with SPTK ``mcep`` and aligning with fastdtw, so its values are not interchangeable with these.

    **Range and direction.** ≥ 0 dB, lower is better; 0 for identical recordings and for a pure gain change.
    Measured at 16 kHz: an EmoDB recording against a copy with −3 dB gain, a 7 ms delay and noise 40 dB down
    5.9 dB, against the same sentence by the same speaker in another emotion 7.9 dB (6.1–11.0); Emo-StarGAN
    conversions against their source (another speaker) 9.3 dB, the StarGANv2-VC baseline 10.4 dB, the two
    conversions of one source against each other 6.7 dB. The analysis is frame-phase sensitive: a 7 ms shift
    alone gives 2.8 dB.

    **Needs.** Audio in ``path`` and a recording of the same text in ``reference``. Bad audio, and a recording
    with no detected speech ("no speech detected in <file>": steady noise or near-silence, which would otherwise
    be compared frame by frame as if it were speech), is a per-sample error; clipping, resampling and a banded
    alignment are noted in ``warning``.

    **Artefacts.** As ``speech_prosody_distance``: the F0 contours of output and reference (at most 200 points
    each), written to ``<out>/artifacts/`` for the report's plots.

    **Source.** Kubichek (1993), "Mel-cepstral distance measure for objective speech quality assessment",
    IEEE PACRIM; Toda, Black & Tokuda (2007) (the c0-free, DTW-aligned form used in voice conversion);
    SPTK / pysptk (Imai's mel-cepstrum; ``sp2mc``).

    >>> SpeechMCD.spec.headline.name, SpeechMCD.spec.headline.higher_is_better
    ('mcd_db', False)
    """

    spec = MetricSpec(
        name="speech_mcd",
        modality="speech",
        scope="sample",
        outputs=(
            Output("mcd_db", higher_is_better=False, range=(0.0, INF), description="mel-cepstral distortion, dB"),
        ),
        version="1.1.0",
        needs=frozenset({"reference"}),
        summary="mel-cepstral distortion to a reference utterance (WORLD + SPTK mel-cepstrum, c0 excluded, DTW)",
        citation="Kubichek 1993; Toda, Black & Tokuda 2007",
    )

    def _values(
        self, output: ProsodyFeatures, reference: ProsodyFeatures, path: np.ndarray, notes: list[str]
    ) -> dict[str, float]:
        return {"mcd_db": mel_cepstral_distortion(output.mcep[:, 1:], reference.mcep[:, 1:], path)}


def _descriptor(name: str, low: float, high: float, description: str) -> Output:
    return Output(name, higher_is_better=None, range=(low, high), description=description)


class SpeechProsodyDescriptors(_ProsodyMetric):
    """Reference-free prosody descriptors of one utterance, for comparing distributions across systems.

    **Meaning.** Over the speech span (analysis as in ``speech_prosody_distance``): F0 mean and median (Hz),
    F0 standard deviation and 5–95 percentile range in semitones (over voiced frames), voiced fraction,
    active-frame energy mean and standard deviation (dB re full scale), speaking rate (syllable nuclei per
    second), pause count and pause ratio (pause time / span, pauses ≥ ``min_pause_s``), speech-span duration,
    and ITU-R BS.1770 integrated loudness (LUFS) of the whole recording (at the analysis rate).

    **Range and direction.** Descriptors have no direction (``higher_is_better`` is None): compare their
    distributions between a system and real emotional speech, or between target emotions (on the 20 EmoDB
    recordings here, two speakers: mean F0 277 Hz for anger and happiness against 168 Hz for neutral and 120 Hz
    for sadness; sadness has the lowest speaking rate, 3.5 against 4.7 nuclei/s for neutral). F0 outputs are
    absent for an utterance without voiced frames.

    **Needs.** Audio in ``path`` only. Bad audio, and a recording with no detected speech ("no speech detected
    in <file>": steady noise or near-silence), is a per-sample error; clipping is noted in ``warning``.
    Recordings are analysed at ``sample_rate`` (16 kHz by default); that resampling is not noted, since no two
    rates are compared.

    **Artefacts.** Each verdict keeps the F0 contour of the speech span (at most 200 points; :mod:`emoeval.artifacts`),
    written to ``<out>/artifacts/``.

    **Source.** WORLD (Morise et al. 2016); de Jong & Wempe (2009) for syllable nuclei; ITU-R BS.1770-4;
    the descriptor set follows the prosodic part of eGeMAPS (Eyben et al. 2016, IEEE TAC).

    >>> SpeechProsodyDescriptors.spec.headline.higher_is_better is None
    True
    """

    with_mcep = False
    record_contours = True
    spec = MetricSpec(
        name="speech_prosody_descriptors",
        modality="speech",
        scope="sample",
        outputs=(
            _descriptor("f0_mean_hz", 0.0, INF, "mean F0 over voiced frames"),
            _descriptor("f0_median_hz", 0.0, INF, "median F0 over voiced frames"),
            _descriptor("f0_sd_semitones", 0.0, INF, "F0 standard deviation, semitones"),
            _descriptor("f0_range_semitones", 0.0, INF, "F0 5–95 percentile range, semitones"),
            _descriptor("voiced_fraction", 0.0, 1.0, "voiced share of the speech span"),
            _descriptor("energy_mean_db", -INF, 0.0, "mean active-frame energy, dB re full scale"),
            _descriptor("energy_sd_db", 0.0, INF, "sd of active-frame energy, dB"),
            _descriptor("speaking_rate", 0.0, INF, "syllable nuclei per second"),
            _descriptor("pause_count", 0.0, INF, "pauses ≥ min_pause_s in the speech span"),
            _descriptor("pause_ratio", 0.0, 1.0, "pause time / speech span"),
            _descriptor("speech_duration_s", 0.0, INF, "speech span, first to last active frame"),
            _descriptor("loudness_lufs", -INF, INF, "ITU-R BS.1770-4 integrated loudness"),
        ),
        version="1.1.0",
        summary="reference-free prosody descriptors (F0 level/range, energy, speaking rate, pauses, loudness)",
        citation="Morise et al. 2016 (WORLD); de Jong & Wempe 2009; ITU-R BS.1770-4; Eyben et al. 2016 (eGeMAPS)",
    )

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.audio import integrated_loudness

        done: dict[tuple[str, int | None], tuple[Audio, ProsodyFeatures] | str] = {}
        scores = []
        for sample in samples:
            analysed = self._analyse(sample.path, self.sample_rate, done)
            if isinstance(analysed, str):
                scores.append(SampleScore.failed(analysed))
                continue
            audio, features = analysed
            notes = [*audio.warnings, *features.notes]
            values = prosody_descriptors(features, min_pause_s=self.min_pause_s)
            if "f0_mean_hz" not in values:
                notes.append("no voiced frame: F0 outputs left out")
            loudness = integrated_loudness(audio.samples, audio.sample_rate)
            if math.isfinite(loudness):
                values["loudness_lufs"] = loudness
            warning = "; ".join(notes) or None
            if self.record_contours:
                scores.append(ArtifactScore(values=values, warning=warning, artifacts=_contour("output", features)))
            else:
                scores.append(SampleScore(values=values, warning=warning))
        return scores


__all__ = [
    "F0_METHODS",
    "FRAME_PERIOD_S",
    "INF",
    "MCD_SCALE",
    "MIN_SPEECH_FRAMES",
    "STEADY_VOICED_MIN_FRACTION",
    "F0Method",
    "ProsodyFeatures",
    "SpeechMCD",
    "SpeechProsodyDescriptors",
    "SpeechProsodyDistance",
    "align",
    "alignment",
    "band_note",
    "energy_errors",
    "extract_features",
    "f0_contour",
    "f0_errors",
    "frame_energy",
    "mcep_alpha",
    "mcep_order",
    "mel_cepstral_distortion",
    "no_speech_message",
    "pauses",
    "pearson",
    "prosody_descriptors",
    "prosody_distance",
    "runs",
    "speaking_rate",
    "syllable_nuclei",
    "too_long_message",
    "voicing_errors",
]
