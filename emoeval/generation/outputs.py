"""What a generator returns, turned into an output emoeval can score: a file in the output folder, or a text.

A generator may return (or an HTTP endpoint answer with):

- a **text** (``str``) — the output of a ``text`` request; for a file modality, a ``str`` or :class:`~pathlib.Path`
  is the path of a file the generator wrote (copied into the output folder, its suffix kept);
- an **image** array (H × W, H × W × 3 or × 4; uint8, or floats in [0, 1]) → PNG;
- a **waveform** ``(samples, rate)`` tuple, or a dict ``{"audio": samples, "rate": rate}`` → 16-bit PCM WAV
  (floats in [−1, 1]; a multi-channel array is samples × channels);
- a **signal** ``(channels × samples, rate)`` for a ``signal`` request → emoeval's ``.npz`` layout;
- **bytes** with a known suffix (:class:`EncodedOutput`, what the HTTP adapter builds from a ``Content-Type``);
- a dict ``{"text": ...}``, ``{"path": ...}``, ``{"image": array}``.

Anything else is a :class:`~emoeval.errors.SampleInputError` naming the request and what was returned.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emoeval.errors import SampleInputError

#: the suffix each built-in file modality's outputs are written with
DEFAULT_SUFFIX: dict[str, str] = {"face": ".png", "speech": ".wav", "signal": ".npz"}


@dataclass(frozen=True)
class EncodedOutput:
    """An output already encoded as a file's bytes (``suffix`` such as ``.wav``, ``.png``)."""

    data: bytes
    suffix: str


@dataclass(frozen=True)
class Output:
    """A stored output: ``path`` (a file in the output folder) or ``text``; ``audio_seconds`` for audio."""

    path: Path | None = None
    text: str | None = None
    audio_seconds: float | None = None


def is_text_modality(modality: str) -> bool:
    """Whether outputs of ``modality`` are texts held in the manifest (not files)."""
    from emoeval.registry import get_media_type

    return get_media_type(modality).kind != "file"


def output_suffix(modality: str) -> str:
    """The suffix outputs of a file ``modality`` are written with (``.png`` faces, ``.wav`` speech, ``.npz``
    signals; else the media type's first suffix)."""
    from emoeval.registry import get_media_type

    if modality in DEFAULT_SUFFIX:
        return DEFAULT_SUFFIX[modality]
    return sorted(get_media_type(modality).suffixes)[0]


def audio_seconds(path: Path) -> float | None:
    """Duration of an audio file (None when it is not audio or cannot be read)."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, OSError, sf.LibsndfileError):
        return None
    return info.frames / info.samplerate if info.samplerate else None


def _write_image(array: Any, path: Path, where: str) -> None:
    import numpy as np
    from PIL import Image

    image = np.asarray(array)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SampleInputError(f"{where}: an image must be H × W, H × W × 3 or H × W × 4, got shape {image.shape}")
    if image.dtype.kind == "f":
        if not np.isfinite(image).all():
            raise SampleInputError(f"{where}: the image holds NaN or infinite values")
        image = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise SampleInputError(f"{where}: an image must be uint8, or floats in [0, 1]; got {image.dtype}")
    Image.fromarray(image).save(path, format="PNG")


def _write_audio(samples: Any, rate: Any, path: Path, where: str) -> float:
    import numpy as np
    import soundfile as sf

    audio = np.asarray(samples)
    try:
        sample_rate = int(rate)
    except (TypeError, ValueError):
        raise SampleInputError(f"{where}: the sampling rate {rate!r} is not a number") from None
    if sample_rate <= 0 or audio.ndim not in (1, 2) or audio.size == 0:
        raise SampleInputError(f"{where}: a waveform must be a non-empty 1-d (or samples × channels) array, rate > 0")
    if audio.dtype.kind == "f" and not np.isfinite(audio).all():
        raise SampleInputError(f"{where}: the waveform holds NaN or infinite samples")
    sf.write(str(path), audio, sample_rate, subtype="PCM_16")
    return audio.shape[0] / sample_rate


def store_output(value: Any, modality: str, folder: Path, stem: str, where: str) -> Output:
    """Store what a generator returned for one request (module docstring); files go to ``folder/stem<suffix>``."""
    import numpy as np

    if isinstance(value, dict):
        if "text" in value:
            value = value["text"]
        elif "path" in value:
            value = Path(str(value["path"]))
        elif "audio" in value:
            value = (value["audio"], value.get("rate", value.get("sampling_rate")))
        elif "image" in value:
            value = np.asarray(value["image"])
        else:
            raise SampleInputError(f"{where}: the generator returned a dict without text, path, audio or image")
    if is_text_modality(modality):
        if isinstance(value, str):
            return Output(text=value)
        raise SampleInputError(f"{where}: a {modality} request needs a text back, got {type(value).__name__}")
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(value, EncodedOutput):
        path = folder / f"{stem}{value.suffix}"
        path.write_bytes(value.data)
    elif isinstance(value, str | Path):
        source = Path(value)
        if not source.is_file():
            raise SampleInputError(f"{where}: the generator returned {str(source)!r}, which is not a file")
        path = folder / f"{stem}{source.suffix.lower()}"
        if source.resolve() != path.resolve():
            shutil.copyfile(source, path)
    elif isinstance(value, tuple) and len(value) == 2 and modality == "signal":
        from emoeval.media.signal import write_npz

        path = write_npz(folder / f"{stem}.npz", value[0], float(value[1]))
    elif isinstance(value, tuple) and len(value) == 2:
        path = folder / f"{stem}.wav"
        seconds = _write_audio(value[0], value[1], path, where)
        return Output(path=path, audio_seconds=seconds)
    elif isinstance(value, np.ndarray) and modality == "face":
        path = folder / f"{stem}.png"
        _write_image(value, path, where)
    else:
        raise SampleInputError(
            f"{where}: cannot store a {type(value).__name__} as a {modality} output; return a path, bytes, an "
            "image array, (waveform, rate) or a text (emoeval.generation.outputs)"
        )
    seconds = audio_seconds(path) if modality == "speech" else None
    if modality == "speech" and (seconds is None or not math.isfinite(seconds) or seconds <= 0):
        raise SampleInputError(f"{where}: the output {path.name} is not a readable, non-empty audio file")
    return Output(path=path, audio_seconds=seconds)


__all__ = [
    "DEFAULT_SUFFIX",
    "EncodedOutput",
    "Output",
    "audio_seconds",
    "is_text_modality",
    "output_suffix",
    "store_output",
]
