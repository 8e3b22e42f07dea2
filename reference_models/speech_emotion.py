"""Speech emotion recognition built by emoeval: prosodic and spectral functionals, and the speech probe.

**Functionals** (:class:`SpeechProsodyFunctionals`, ``speech-prosody-functionals``, no weights). One utterance →
:data:`FUNCTIONAL_NAMES` (38 values), the classic acoustic correlates of emotion in the manner of eGeMAPS
(Eyben et al. 2016), computed at 16 kHz over the *speech span* found by the prosody analysis of
:func:`emoeval.functional.prosody.extract_features` (WORLD DIO + StoneMask F0 between 60 and 800 Hz, 5 ms
frames, energy voice activity; leading/trailing silence and padding are ignored):

- F0 over voiced frames, in semitones re 1 Hz: median, 5–95 percentile range, variance, and the mean absolute
  change between consecutive voiced frames (F0 dynamics); the voiced fraction of the span;
- frame energy (dB) over active frames: standard deviation and 5–95 percentile range;
- timing: speaking rate (syllable nuclei per second, de Jong & Wempe 2009) and pause ratio (pauses ≥ 100 ms);
- spectrum over active frames (25 ms windows every 10 ms, librosa): mean and standard deviation of MFCC 1–13
  (40 mel bands, c0 left out), mean and standard deviation of the spectral centroid (kHz), and the mean alpha
  ratio (dB of the 1–5 kHz band over the 50 Hz–1 kHz band; Eyben et al. 2016).

Every functional is **invariant to the recording's gain** (absolute level, c0 and loudness are left out on
purpose: they measure the recording chain as much as the speaker), so a quieter generator is not judged less
aroused. An utterance without voiced frames gets 0 for the F0 functionals.

**Probe** (:class:`SpeechEmotionProbe`, ``speech-emotion-probe``): the emotion probe of
:mod:`emoeval.reference_models.emotion_probe` on [Whisper tiny.en encoder embedding (768-d, mean ‖ std of the
encoder frames covering the clip, ``whisper-tiny-en-encoder``) ‖ the functionals]. Fit it with
``emoeval models fit-emotion-probe SET --out DIR`` or on the fly with ``emoeval score ... --emotion-reference SET``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.emotion_probe import EmotionProbeModel
from emoeval.reference_models.store import ModelCard

SAMPLE_RATE = 16000
N_MFCC = 13
N_MELS = 40
#: analysis window and hop of the spectral functionals (samples at 16 kHz)
WINDOW = 400
HOP = 160
F0_FLOOR = 60.0
F0_CEIL = 800.0
MIN_PAUSE_S = 0.1

FUNCTIONAL_NAMES: tuple[str, ...] = (
    "f0_median_st",
    "f0_range_st",
    "f0_variance_st2",
    "f0_delta_abs_mean_st",
    "voiced_fraction",
    "energy_sd_db",
    "energy_range_db",
    "speaking_rate",
    "pause_ratio",
    *(f"mfcc{i}_mean" for i in range(1, N_MFCC + 1)),
    *(f"mfcc{i}_sd" for i in range(1, N_MFCC + 1)),
    "centroid_mean_khz",
    "centroid_sd_khz",
    "alpha_ratio_db",
)

FUNCTIONALS_CARD = ModelCard(
    name="speech-prosody-functionals",
    version="1",
    files=(),
    summary="prosodic and spectral functionals of an utterance (F0, energy, timing, MFCC, alpha ratio): 38 values",
    license="MIT (computed by emoeval with pyworld and librosa; no weights)",
    citation="Eyben et al. 2016 (eGeMAPS), IEEE TAC; Morise et al. 2016 (WORLD); de Jong & Wempe 2009",
    install_hint="pip install 'emoeval[speech]'",
    # the per-emotion diversity of speech reads these (emotion-bearing prosody, not speaker identity)
    roles=("speech-embedder", "speech-emotion-features"),
)


def functionals(samples: np.ndarray, rate: int = SAMPLE_RATE, *, name: str = "recording") -> np.ndarray:
    """The :data:`FUNCTIONAL_NAMES` of mono float samples at ``rate`` (see the module docstring), float64.

    Raises :class:`SampleInputError` when the recording has less than 100 ms of speech.
    """
    import librosa

    from emoeval.functional.prosody import FRAME_PERIOD_S, extract_features, pauses, speaking_rate
    from emoeval.media.audio import Audio

    audio = Audio(
        samples=np.asarray(samples, dtype=np.float32), sample_rate=rate, original_rate=rate, original_channels=1
    )
    features = extract_features(audio, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, with_mcep=False, name=name)
    if not np.any(features.active):
        raise SampleInputError(f"{name}: no speech found (energy voice activity); at least 100 ms of speech needed")
    values: list[float] = []
    f0 = features.f0[features.voiced]
    if f0.size:
        semitones = 12.0 * np.log2(f0)
        low, high = np.percentile(semitones, [5, 95])
        voiced_runs = np.flatnonzero(features.voiced[1:] & features.voiced[:-1])
        st_all = 12.0 * np.log2(np.where(features.f0 > 0, features.f0, 1.0))
        delta = np.abs(np.diff(st_all))[voiced_runs] if voiced_runs.size else np.zeros(1)
        values += [float(np.median(semitones)), float(high - low), float(np.var(semitones)), float(np.mean(delta))]
    else:
        values += [0.0, 0.0, 0.0, 0.0]
    values.append(float(np.mean(features.voiced)))
    energy = features.energy_db[features.active]
    e_low, e_high = np.percentile(energy, [5, 95])
    values += [float(np.std(energy)), float(e_high - e_low)]
    span_pauses = pauses(features.active, frame_period_s=features.frame_period_s, min_pause_s=MIN_PAUSE_S)
    values += [speaking_rate(features), float(sum(span_pauses) / features.duration_s)]

    x = np.asarray(samples, dtype=np.float32)
    power = np.abs(librosa.stft(x, n_fft=WINDOW, hop_length=HOP, win_length=WINDOW, center=True)) ** 2
    # spectral frame j is centred at j·10 ms = prosody frame 2j; keep frames inside the span and active
    index = np.arange(power.shape[1]) * round(HOP / rate / FRAME_PERIOD_S) - features.first_frame
    inside = (index >= 0) & (index < features.active.size)
    keep = np.zeros(power.shape[1], dtype=bool)
    keep[inside] = features.active[index[inside]]
    if not keep.any():
        raise SampleInputError(f"{name}: no active spectral frame in the speech span")
    mel = librosa.feature.melspectrogram(S=power, sr=rate, n_mels=N_MELS, fmin=0.0, fmax=rate / 2)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=np.max, top_db=80.0), n_mfcc=N_MFCC + 1)[1:, keep]
    values += [float(v) for v in mfcc.mean(axis=1)] + [float(v) for v in mfcc.std(axis=1)]
    freqs = librosa.fft_frequencies(sr=rate, n_fft=WINDOW)
    frames = power[:, keep]
    total = frames.sum(axis=0)
    total = np.where(total > 0, total, np.finfo(np.float64).tiny)
    centroid = (freqs[:, None] * frames).sum(axis=0) / total / 1000.0
    low_band = frames[(freqs >= 50) & (freqs < 1000)].sum(axis=0)
    high_band = frames[(freqs >= 1000) & (freqs < 5000)].sum(axis=0)
    tiny = np.finfo(np.float64).tiny
    alpha = 10.0 * np.log10(np.maximum(high_band, tiny) / np.maximum(low_band, tiny))
    values += [float(np.mean(centroid)), float(np.std(centroid)), float(np.mean(alpha))]
    result = np.asarray(values, dtype=np.float64)
    assert result.size == len(FUNCTIONAL_NAMES)
    return result


class SpeechProsodyFunctionals(ReferenceModel):
    """Recording → the 38 prosodic and spectral functionals of :data:`FUNCTIONAL_NAMES` (float64), at 16 kHz."""

    card = FUNCTIONALS_CARD

    def config(self) -> dict[str, Any]:
        from importlib import metadata

        return {
            "sample_rate": SAMPLE_RATE,
            "resampler": "soxr-HQ",
            "f0": f"WORLD dio+stonemask {F0_FLOOR}-{F0_CEIL} Hz",
            "spectral": {"window": WINDOW, "hop": HOP, "n_mels": N_MELS, "n_mfcc": N_MFCC},
            "names": list(FUNCTIONAL_NAMES),
            "librosa": metadata.version("librosa"),
            "pyworld": metadata.version("pyworld-prebuilt")
            if _has("pyworld-prebuilt")
            else metadata.version("pyworld"),
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return decode_audio(item.data, item.name, target_rate=SAMPLE_RATE).samples

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [functionals(samples) for samples in prepared]


def _has(distribution: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


SPEECH_PROBE_CARD = ModelCard(
    name="speech-emotion-probe",
    version="whisper-tiny-en+functionals",
    files=(),
    summary=(
        "speech emotion probe fitted by emoeval on a labelled reference set (Whisper encoder ‖ prosodic "
        "functionals → multinomial logistic regression); one artefact per reference set"
    ),
    license="MIT (emoeval); the probe inherits the terms of the reference set it was fitted on",
    citation="probe on frozen features, as e.g. Pepino et al. 2021 (wav2vec 2.0 features for SER), Interspeech",
    install_hint=(
        "fit one with `emoeval models fit-emotion-probe SET --out DIR` and pass --weights speech-emotion-probe=DIR "
        "(or --emotion-reference DIR), or let `emoeval score ... --emotion-reference SET` fit it"
    ),
    roles=("speech-emotion-recognizer",),
)


class SpeechEmotionProbe(EmotionProbeModel):
    """The speech emotion probe: [Whisper tiny.en encoder ‖ functionals] → probabilities over the reference
    set's emotions. Output: [K probabilities ‖ standardised, block-weighted features (806-d)].

    A ``speech-emotion-recognizer``: the default ``recognizer=`` of ``speech_emotion_accuracy`` and
    ``speech_emotion_preservation`` (with ``emotion_reference=``, the set it is fitted on)."""

    card = SPEECH_PROBE_CARD
    requires: ClassVar[tuple[str, ...]] = ("whisper-tiny-en-encoder", "speech-prosody-functionals")
    modality = "speech"
    item_suffixes = frozenset({".wav", ".flac", ".ogg", ".mp3"})


__all__ = [
    "FUNCTIONALS_CARD",
    "FUNCTIONAL_NAMES",
    "SPEECH_PROBE_CARD",
    "SpeechEmotionProbe",
    "SpeechProsodyFunctionals",
    "functionals",
]
