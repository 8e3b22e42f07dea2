"""DNSMOS: reference-free speech quality (ITU-T P.835 SIG/BAK/OVRL and P.808 MOS), run with onnxruntime.

Microsoft's DNSMOS (Reddy, Gopal, Cutler 2021, "DNSMOS: A Non-Intrusive Perceptual Objective Speech Quality
Metric to Evaluate Noise Suppressors", ICASSP; Reddy et al. 2022, "DNSMOS P.835", ICASSP) predicts the mean
opinion scores listeners would give in a P.835 test — speech signal (SIG), background noise (BAK) and overall
quality (OVRL) — and in a P.808 absolute-category-rating test, from the degraded recording alone. The two
ONNX networks (MIT, Microsoft) ship in the PyPI package ``speechmos`` (``pip install --no-deps speechmos``);
they are found inside it with :func:`importlib.util.find_spec`, verified by sha256 and loaded with
onnxruntime here — ``speechmos`` itself is never imported.

The procedure is DNSMOS' own (``DNSMOS/dnsmos_local.py`` of microsoft/DNS-Challenge, which ``speechmos``
0.0.1.1 copies), reproduced line for line so that the numbers equal ``speechmos.dnsmos.run(audio, 16000)``
(the tests check this to 1e-6):

- the recording at 16 kHz (soxr HQ, as ``librosa.load`` resamples) as float32;
- a clip shorter than 9.01 s is repeated (doubled until it reaches 144,160 samples);
- windows of 9.01 s start every second, ``audio[int(i·16000) : int((i + 9.01)·16000)]`` for
  ``i < floor(duration) − 9.01 + 1``; a window that floating-point rounding makes one sample short is skipped
  as in the reference code (this drops the windows starting at 7–23 s and 119–121 s: reproduced, not fixed,
  so values stay comparable with published DNSMOS numbers);
- P.835: the raw window (1 × 144,160) goes through ``sig_bak_ovr.onnx``; the three raw outputs are mapped by
  the **non-personalised** polynomials (``speechmos``' default ``model_type="dnsmos"``; the personalised
  pDNSMOS model, which also penalises interfering talkers, is not used);
- P.808: ``model_v8.onnx`` reads 120 mel bands (n_fft 321, hop 160, power spectrogram, librosa's
  ``melspectrogram``) of the window minus its last 160 samples, in dB relative to the window's maximum,
  scaled as (dB + 40) / 40;
- each of the four values is the mean over the windows.

One difference from old setups: librosa < 0.10 padded the mel frames at the edges by reflection, librosa ≥ 0.10
(what ``speechmos`` gets today) by zeros. emoeval pins the zero padding (``pad_mode="constant"``) so a librosa
upgrade cannot move the numbers; with reflection the P.808 value of a window moves by about 6e-4.

Output per recording: float64 ``[sig, bak, ovrl, p808]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

SAMPLE_RATE = 16000
#: DNSMOS' window length in seconds (``INPUT_LENGTH``)
INPUT_LENGTH_S = 9.01
WINDOW_SAMPLES = int(INPUT_LENGTH_S * SAMPLE_RATE)  # 144160
HOP_SAMPLES = SAMPLE_RATE
#: a clip is repeated up to 9.01 s; below this many seconds it would be repeated more than nine times
MIN_DURATION_S = 1.0
#: P.808 log-mel features: 120 bands, 321-point FFT, 10 ms hop, the last 160 samples of the window dropped
P808_MELS = 120
P808_N_FFT = 321
P808_HOP = 160
#: the non-personalised P.835 polynomials (highest degree first), as in dnsmos_local.py / speechmos
P835_POLYNOMIALS: dict[str, tuple[float, ...]] = {
    "sig": (-0.08397278, 1.22083953, 0.0052439),
    "bak": (-0.13166888, 1.60915514, -0.39604546),
    "ovrl": (-0.06766283, 1.11546468, 0.04602535),
}
#: the order of the model's output vector
DNSMOS_OUTPUTS: tuple[str, ...] = ("sig", "bak", "ovrl", "p808")
P835_FILE = "sig_bak_ovr.onnx"
P808_FILE = "model_v8.onnx"

DNSMOS_CARD = ModelCard(
    name="dnsmos",
    version="dns-challenge-p835-sig_bak_ovr+p808-v8",
    files=(
        WeightFile(
            filename=P835_FILE,
            sha256="269fbebdb513aa23cddfbb593542ecc540284a91849ac50516870e1ac78f6edd",
            size=1157965,
            package="speechmos",
            package_path=f"dnsmos_models/{P835_FILE}",
        ),
        WeightFile(
            filename=P808_FILE,
            sha256="9246480c58567bc6affd4200938e77eef49468c8bc7ed3776d109c07456f6e91",
            size=224860,
            package="speechmos",
            package_path=f"dnsmos_models/{P808_FILE}",
        ),
    ),
    summary="DNSMOS: 16 kHz speech → P.835 SIG/BAK/OVRL (non-personalised) and P.808 MOS, float64",
    license="MIT (Microsoft; shipped in speechmos 0.0.1.1)",
    citation=(
        "Reddy, Gopal, Cutler (2021). DNSMOS: A Non-Intrusive Perceptual Objective Speech Quality Metric to "
        "Evaluate Noise Suppressors. ICASSP. Reddy, Gopal, Cutler (2022). DNSMOS P.835: A Non-Intrusive "
        "Perceptual Objective Speech Quality Metric to Evaluate Noise Suppressors. ICASSP"
    ),
    install_hint="pip install --no-deps speechmos (ships both ONNX files; emoeval never imports speechmos)",
    # a non-intrusive speech quality (MOS) predictor, the model of speech_dnsmos
    roles=("speech-quality-predictor",),
)


def dnsmos_windows(audio: np.ndarray, rate: int = SAMPLE_RATE) -> list[np.ndarray]:
    """The 9.01-s windows DNSMOS scores, exactly as ``dnsmos_local.py`` cuts them (float32).

    A clip shorter than a window is doubled until it is long enough; windows start every second; a window
    cut one sample short by floating-point rounding is skipped, as in the reference code.

    >>> len(dnsmos_windows(np.zeros(16000 * 3, dtype=np.float32)))  # 3 s, doubled twice to 12 s: 3 windows
    3
    >>> len(dnsmos_windows(np.zeros(16000 * 30, dtype=np.float32)))  # 21 starts, 7 s to 20 s skipped by rounding
    7
    """
    samples = np.asarray(audio, dtype=np.float32)
    length = int(INPUT_LENGTH_S * rate)
    if samples.size == 0:
        raise ValueError("DNSMOS needs a non-empty recording")
    while len(samples) < length:
        samples = np.append(samples, samples)
    hops = int(np.floor(len(samples) / rate) - INPUT_LENGTH_S) + 1
    windows = []
    for index in range(hops):
        window = samples[int(index * rate) : int((index + INPUT_LENGTH_S) * rate)]
        if len(window) >= length:
            windows.append(window)
    return windows


def p808_features(window: np.ndarray) -> np.ndarray:
    """The P.808 network's input for one window: (frames, 120) float32, (dB re. the maximum + 40) / 40."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=window[:-P808_HOP],
        sr=SAMPLE_RATE,
        n_fft=P808_N_FFT,
        hop_length=P808_HOP,
        n_mels=P808_MELS,
        pad_mode="constant",
    )
    return ((librosa.power_to_db(mel, ref=np.max) + 40) / 40).T.astype(np.float32)


def p835_calibrate(raw: np.ndarray) -> np.ndarray:
    """Map raw (sig, bak, ovrl) network outputs (…, 3) to P.835 MOS with the non-personalised polynomials.

    >>> p835_calibrate(np.array([3.0, 3.0, 3.0])).round(4).tolist()
    [2.912, 3.2464, 2.7835]
    """
    values = np.asarray(raw, dtype=np.float64)
    return np.stack(
        [np.polyval(P835_POLYNOMIALS[name], values[..., i]) for i, name in enumerate(("sig", "bak", "ovrl"))],
        axis=-1,
    )


class DNSMOS(ReferenceModel):
    """Recording → float64 ``[sig, bak, ovrl, p808]`` (DNSMOS P.835 non-personalised, and P.808).

    Recordings shorter than :data:`MIN_DURATION_S` are a per-sample error (DNSMOS would repeat them more than
    nine times to fill one window).
    """

    card = DNSMOS_CARD

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            import librosa  # noqa: F401

            # onnxruntime starts its 1DS telemetry uploader at import unless ORT_DISABLE_TELEMETRY=1 is set by then
            # (onnxruntime.disable_telemetry_events() comes too late): offline, the model pool has set it before
            # loading this model (emoeval.offline)
            import onnxruntime
        except ImportError as exc:
            raise MissingDependencyError(
                f"DNSMOS needs onnxruntime and librosa: pip install 'emoeval[speech]' ({exc})"
            ) from exc
        providers = ["CPUExecutionProvider"]
        self._p835 = onnxruntime.InferenceSession(str(self.weights[P835_FILE].path), providers=providers)
        self._p808 = onnxruntime.InferenceSession(str(self.weights[P808_FILE].path), providers=providers)

    def config(self) -> dict[str, Any]:
        return {
            "sample_rate": SAMPLE_RATE,
            "resampler": "soxr-HQ",
            "window_s": INPUT_LENGTH_S,
            "hop_s": HOP_SAMPLES / SAMPLE_RATE,
            "short_clips": "repeated to one window (dnsmos_local.py)",
            "p835_polynomials": "non-personalised",
            "p808_mel": {"n_mels": P808_MELS, "n_fft": P808_N_FFT, "hop": P808_HOP, "pad_mode": "constant"},
            "min_duration_s": MIN_DURATION_S,
            "outputs": list(DNSMOS_OUTPUTS),
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        audio = decode_audio(item.data, item.name, target_rate=SAMPLE_RATE)
        if audio.duration_s < MIN_DURATION_S:
            raise SampleInputError(
                f"{item.name}: too short for DNSMOS ({audio.duration_s:.2f} s); it needs at least "
                f"{MIN_DURATION_S:g} s of audio (shorter clips would be repeated more than nine times to fill its "
                f"{INPUT_LENGTH_S} s window)"
            )
        return audio.samples

    def score_audio(self, samples: np.ndarray) -> np.ndarray:
        """``[sig, bak, ovrl, p808]`` (float64) of one 16-kHz float32 recording."""
        p835_raw = []
        p808 = []
        for window in dnsmos_windows(samples):
            p835_raw.append(self._p835.run(None, {"input_1": window[np.newaxis, :]})[0][0])
            p808.append(self._p808.run(None, {"input_1": p808_features(window)[np.newaxis]})[0][0][0])
        p835 = p835_calibrate(np.asarray(p835_raw, dtype=np.float64)).mean(axis=0)
        return np.array([*p835, float(np.mean(np.asarray(p808, dtype=np.float64)))], dtype=np.float64)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [self.score_audio(samples) for samples in prepared]
