"""Media for the gallery: images as small JPEG thumbnails and recordings as short MP3 clips, embedded as
base64 ``data:`` URIs so the report is one file, or linked by a path relative to the report (``link``).

Embedding keeps the file small on purpose: images are downscaled to ``thumb_px`` on their longer side (JPEG,
quality 82), recordings are down-mixed to mono, cut to their first ``audio_seconds`` and resampled to
``audio_rate`` before MP3 encoding (libsndfile's LAME through soundfile, variable bit rate at compression level
0.5, about 33 kbit/s: a 3 s clip is about 12 kB, 17 kB as base64). Without
soundfile (emoeval's ``speech`` extra) a recording is embedded as it is when it is smaller than
``max_raw_bytes``, else linked. Encoding is deterministic: the same file gives the same bytes.

A file that is missing or cannot be decoded gives a :class:`MediaRef` with no ``src`` and a ``note`` saying
why; the report shows the note instead of the player.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

IMAGE_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
AUDIO_MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".flac": "audio/flac"}


@dataclass(frozen=True)
class MediaRef:
    """What an ``<img>``/``<audio>`` element needs: ``src`` (a data URI or a relative path; None when the
    file could not be used), the MIME type, how many bytes it adds to the report, and a note for the reader
    (trimmed to N s, missing file...)."""

    src: str | None
    mime: str = ""
    embedded_bytes: int = 0
    note: str = ""


@dataclass(frozen=True)
class MediaSettings:
    link: bool = False
    thumb_px: int = 160
    jpeg_quality: int = 82
    audio_seconds: float = 6.0
    audio_rate: int = 16000
    max_raw_bytes: int = 400_000


def data_uri(mime: str, data: bytes) -> str:
    """``data:<mime>;base64,<data>``.

    >>> data_uri("text/plain", b"hi")
    'data:text/plain;base64,aGk='
    """
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def relative_link(path: Path, report_dir: Path) -> str:
    """``path`` relative to the report's folder, with forward slashes (a ``file:`` URI across drives)."""
    try:
        relative = os.path.relpath(Path(path).resolve(), Path(report_dir).resolve())
    except ValueError:  # another drive on Windows
        return Path(path).resolve().as_uri()
    return Path(relative).as_posix()


def image_thumbnail(path: Path, settings: MediaSettings) -> bytes:
    """A JPEG of the image with its longer side at most ``thumb_px`` (RGB; transparency on white)."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((settings.thumb_px, settings.thumb_px), Image.Resampling.LANCZOS)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=settings.jpeg_quality, optimize=True)
    return buffer.getvalue()


def audio_clip(path: Path, settings: MediaSettings) -> tuple[bytes, float, float]:
    """MP3 bytes of the first ``audio_seconds`` of the recording (mono, ``audio_rate``), its clip length and
    the original length in seconds."""
    import numpy as np
    import soundfile as sf

    with sf.SoundFile(str(path)) as handle:
        rate = handle.samplerate
        total = handle.frames / rate if rate else 0.0
        frames = handle.read(int(settings.audio_seconds * rate), dtype="float32", always_2d=True)
    mono = frames.mean(axis=1) if frames.shape[1] > 1 else frames[:, 0]
    if mono.size == 0:
        raise ValueError("the recording has no samples")
    if rate != settings.audio_rate:
        try:
            import soxr

            mono = soxr.resample(mono, rate, settings.audio_rate, quality="HQ")
        except ImportError:
            positions = np.arange(int(mono.size * settings.audio_rate / rate)) * (rate / settings.audio_rate)
            mono = np.interp(positions, np.arange(mono.size), mono)
    mono = np.clip(np.nan_to_num(mono.astype(np.float32)), -1.0, 1.0)
    fade = min(mono.size, int(0.01 * settings.audio_rate))
    if fade and total > settings.audio_seconds:  # a cut in mid-signal clicks; fade the last 10 ms out
        mono[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, mono, settings.audio_rate, format="MP3", subtype="MPEG_LAYER_III", compression_level=0.5)
    return buffer.getvalue(), mono.size / settings.audio_rate, total


class MediaEncoder:
    """Turns media files into :class:`MediaRef`s for one report (thread-safe: it keeps no counters; see
    :func:`embedded_totals`)."""

    def __init__(self, settings: MediaSettings, report_dir: Path) -> None:
        self.settings = settings
        self.report_dir = Path(report_dir)

    def _missing(self, path: Path | None) -> MediaRef | None:
        if path is None:
            return MediaRef(None, note="no file")
        if not Path(path).is_file():
            return MediaRef(None, note=f"file not found: {path}")
        return None

    def image(self, path: Path | None) -> MediaRef:
        missing = self._missing(path)
        if missing is not None or path is None:
            return missing or MediaRef(None)
        if self.settings.link:
            return MediaRef(relative_link(path, self.report_dir), IMAGE_MIME.get(path.suffix.lower(), "image"))
        try:
            data = image_thumbnail(path, self.settings)
        except Exception as exc:  # a broken image must not stop the report: show why instead
            return MediaRef(None, note=f"cannot read image {path.name}: {type(exc).__name__}: {exc}")
        uri = data_uri("image/jpeg", data)
        return MediaRef(uri, "image/jpeg", len(uri))

    def audio(self, path: Path | None) -> MediaRef:
        missing = self._missing(path)
        if missing is not None or path is None:
            return missing or MediaRef(None)
        mime = AUDIO_MIME.get(path.suffix.lower(), "audio/wav")
        if self.settings.link:
            return MediaRef(relative_link(path, self.report_dir), mime)
        try:
            data, seconds, total = audio_clip(path, self.settings)
        except ImportError:
            return self._raw_audio(path, mime)
        except Exception as exc:  # unreadable audio: say so in the card
            return MediaRef(None, note=f"cannot read recording {path.name}: {type(exc).__name__}: {exc}")
        uri = data_uri("audio/mpeg", data)
        note = f"first {seconds:.1f} s of {total:.1f} s" if total > seconds + 0.05 else ""
        return MediaRef(uri, "audio/mpeg", len(uri), note)

    def _raw_audio(self, path: Path, mime: str) -> MediaRef:
        size = path.stat().st_size
        if size > self.settings.max_raw_bytes:
            note = "linked, not embedded: install emoeval[speech] (soundfile) to embed trimmed clips"
            return MediaRef(relative_link(path, self.report_dir), mime, 0, note)
        uri = data_uri(mime, path.read_bytes())
        return MediaRef(uri, mime, len(uri))


def embedded_totals(refs: Iterable[MediaRef | None]) -> tuple[int, int]:
    """Bytes embedded and number of embedded files among ``refs``."""
    embedded = [ref.embedded_bytes for ref in refs if ref is not None and ref.embedded_bytes]
    return sum(embedded), len(embedded)
