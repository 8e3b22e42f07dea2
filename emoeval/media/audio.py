"""Audio decoding for speech models: mono, resampled, and checked (empty, too short, silent, NaN).

Resampling uses soxr at "HQ" quality (the resampler librosa uses by default), so an output and its reference
are always compared at the model's rate; :class:`Audio` keeps the original rate for the record.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.errors import MissingDependencyError, SampleInputError

if TYPE_CHECKING:
    import numpy as np

#: below this peak level (dBFS) a recording counts as silent
SILENCE_PEAK_DBFS = -60.0


@dataclass(frozen=True, slots=True)
class Audio:
    """A decoded recording: mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int
    original_rate: int
    original_channels: int

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def decode_audio(data: bytes, name: str, *, target_rate: int | None = None, min_duration_s: float = 0.1) -> Audio:
    """Decode WAV/FLAC/OGG/MP3 bytes to mono (channel mean), optionally resampled to ``target_rate``.

    Raises :class:`SampleInputError` naming ``name`` for an unreadable, empty, too short, non-finite or
    silent recording.
    """
    import numpy as np

    try:
        import soundfile
    except ImportError as exc:
        raise MissingDependencyError("decoding audio needs soundfile: pip install 'emoeval[speech]'") from exc
    if not data:
        raise SampleInputError(f"{name}: empty file (0 bytes); regenerate or remove this output")
    try:
        frames, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise SampleInputError(f"{name}: not a readable audio file ({exc}); save it as WAV or FLAC") from None
    channels = int(frames.shape[1])
    mono = frames.mean(axis=1) if channels > 1 else frames[:, 0]
    if mono.size == 0:
        raise SampleInputError(f"{name}: the recording has no samples")
    if not np.all(np.isfinite(mono)):
        raise SampleInputError(f"{name}: the recording contains NaN or infinite samples")
    duration = mono.size / rate
    if duration < min_duration_s:
        raise SampleInputError(
            f"{name}: too short ({duration * 1000:.1f} ms, {mono.size} samples); at least {min_duration_s} s needed"
        )
    peak = float(np.max(np.abs(mono)))
    if peak == 0.0 or 20.0 * math.log10(peak) < SILENCE_PEAK_DBFS:
        raise SampleInputError(f"{name}: the recording is silent (peak below {SILENCE_PEAK_DBFS:.0f} dBFS)")
    if target_rate is not None and rate != target_rate:
        import soxr

        mono = soxr.resample(mono, rate, target_rate, quality="HQ").astype(np.float32)
    return Audio(
        samples=np.ascontiguousarray(mono, dtype=np.float32),
        sample_rate=target_rate or rate,
        original_rate=int(rate),
        original_channels=channels,
    )


def sample_rate_of(path: Path) -> int | None:
    """The sample rate in a file's header (no decoding), or None when it cannot be read."""
    try:
        import soundfile

        return int(soundfile.info(str(path)).samplerate)
    except Exception:  # unreadable files are reported by the decoder, with the reason
        return None


def resampling_note(model_rate: int, **rates: int | None) -> str | None:
    """A warning naming the original rates when any input was resampled to ``model_rate``, else None.

    >>> resampling_note(16000, output=24000, reference=16000)
    'resampled to 16000 Hz for the model (output 24000 Hz, reference 16000 Hz)'
    >>> resampling_note(16000, output=16000, reference=16000) is None
    True
    """
    known = {name: rate for name, rate in rates.items() if rate is not None}
    if all(rate == model_rate for rate in known.values()):
        return None
    listed = ", ".join(f"{name} {rate} Hz" for name, rate in known.items())
    return f"resampled to {model_rate} Hz for the model ({listed})"
