"""Prosody plots: the F0 (pitch) contour of a generated recording beside its reference's, for a few speech
samples of the gallery (the first of each system that has a reference recording).

F0 is estimated with WORLD's DIO refined by StoneMask (pyworld, fast: about 0.03 s per second of audio), or
librosa's pYIN when pyworld is not installed; 10 ms frames, 60–600 Hz, unvoiced frames left out (gaps in the
line). Both need emoeval's ``speech`` extra; without it the section says so and shows nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.reports.gallery import Gallery

if TYPE_CHECKING:
    import numpy as np

FRAME_S = 0.01
F0_FLOOR = 60.0
F0_CEIL = 600.0
ANALYSIS_RATE = 16000


@dataclass(frozen=True)
class Contour:
    """F0 in Hz per frame (NaN where unvoiced) and the frame times in seconds."""

    times: tuple[float, ...]
    f0: tuple[float, ...]

    @property
    def median_hz(self) -> float:
        voiced = sorted(value for value in self.f0 if math.isfinite(value))
        if not voiced:
            return math.nan
        middle = len(voiced) // 2
        return voiced[middle] if len(voiced) % 2 else (voiced[middle - 1] + voiced[middle]) / 2

    @property
    def voiced_share(self) -> float:
        return sum(math.isfinite(value) for value in self.f0) / len(self.f0) if self.f0 else math.nan


@dataclass(frozen=True)
class ProsodyExample:
    sample_id: str
    system: str
    target_emotion: str | None
    output: Contour
    reference: Contour


def estimate_f0(samples: np.ndarray, rate: int) -> np.ndarray:
    """F0 per 10 ms frame in Hz, NaN where unvoiced (pyworld DIO + StoneMask, else librosa pYIN)."""
    import numpy as np

    try:
        import pyworld
    except ImportError:
        import librosa

        f0, voiced, _ = librosa.pyin(
            samples.astype(np.float32),
            fmin=F0_FLOOR,
            fmax=F0_CEIL,
            sr=rate,
            frame_length=1024,
            hop_length=int(rate * FRAME_S),
        )
        return np.where(voiced, f0, np.nan)
    signal = samples.astype(np.float64)
    coarse, times = pyworld.dio(signal, rate, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=FRAME_S * 1000)
    refined = pyworld.stonemask(signal, coarse, times, rate)
    return np.where(refined > 0, refined, np.nan)


def f0_contour(path: str | Path, *, max_seconds: float = 10.0) -> Contour:
    """The F0 contour of the first ``max_seconds`` of a recording (decoded and resampled to 16 kHz)."""
    from emoeval.media.audio import decode_audio

    audio = decode_audio(Path(path).read_bytes(), str(path), target_rate=ANALYSIS_RATE)
    samples = audio.samples[: int(max_seconds * ANALYSIS_RATE)]
    f0 = estimate_f0(samples, ANALYSIS_RATE)
    return Contour(
        times=tuple(round(index * FRAME_S, 3) for index in range(len(f0))),
        f0=tuple(round(float(value), 2) if math.isfinite(value) else math.nan for value in f0),
    )


def prosody_examples(gallery: Gallery, *, limit: int = 6) -> tuple[list[ProsodyExample], str]:
    """Contours of the first gallery sample of each speech system that has a reference recording (at most
    ``limit``), and a note when some could not be computed."""
    from emoeval.errors import EmoevalError

    examples: list[ProsodyExample] = []
    problems: list[str] = []
    done: set[str] = set()
    for cell in gallery.cells:
        if cell.modality != "speech" or cell.system in done or len(examples) >= limit:
            continue
        for item in cell.items:
            if not (item.path and item.reference_path):
                continue
            done.add(cell.system)
            try:
                output, reference = f0_contour(item.path), f0_contour(item.reference_path)
            except ImportError:
                return examples, "F0 contours need emoeval's speech extra (pyworld or librosa)"
            except (EmoevalError, OSError, ValueError) as exc:
                problems.append(f"{item.sample_id}: {exc}")
                break
            examples.append(ProsodyExample(item.sample_id, item.system, item.target_emotion, output, reference))
            break
    return examples, "; ".join(problems)


def contour_pairs(examples: Sequence[ProsodyExample]) -> list[tuple[ProsodyExample, float, float]]:
    """Each example with the median F0 of output and reference (Hz), for the captions."""
    return [(example, example.output.median_hz, example.reference.median_hz) for example in examples]
