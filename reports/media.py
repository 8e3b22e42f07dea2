"""Media for the gallery: images as small JPEG thumbnails, recordings as short MP3 clips and physiological
signals as small SVG drawings, embedded as base64 ``data:`` URIs so the report is one file, or linked by a path
relative to the report (``link``).

Embedding keeps the file small on purpose: images are downscaled to ``thumb_px`` on their longer side (JPEG,
quality 82), recordings are down-mixed to mono, cut to their first ``audio_seconds`` and resampled to
``audio_rate`` before MP3 encoding (libsndfile's LAME through soundfile, variable bit rate at compression level
0.5, about 33 kbit/s: a 3 s clip is about 12 kB, 17 kB as base64). Without
soundfile (emoeval's ``speech`` extra) a recording is embedded as it is when it is smaller than
``max_raw_bytes``, else linked. Encoding is deterministic: the same file gives the same bytes.

A physiological recording (:func:`signal_svg`) is drawn, not linked — a browser cannot show an ``.npz`` file, and
the drawing is a few kilobytes, so it is embedded in both modes: one row per channel (at most
``signal_channels``; name and type written beside it) with the first ``signal_seconds`` of the trace (a min/max
envelope where there are more samples than pixels, so QRS spikes and fast SCR onsets survive), and beside it the
channel's log power spectral density (Welch, :func:`log_psd`) on a log-frequency axis over the band where that
channel type carries its information (:data:`emoeval.functional.spectral.SPECTRUM_BANDS`). The sample's spectrum
is drawn over its system's mean spectrum and, when the run names a reference set, the reference set's mean
spectrum (grey): a generator whose spectra sit off the reference's shows it at a glance. Means are over at most
``signal_psd_files`` recordings per set (:func:`mean_spectra`).

A file that is missing or cannot be decoded gives a :class:`MediaRef` with no ``src`` and a ``note`` saying
why; the report shows the note instead of the player.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.functional.spectral import SEGMENT_SECONDS, band_grid, band_of, cell_edges

if TYPE_CHECKING:
    import numpy as np

    from emoeval.media.signal import Signal

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
    #: signal drawings: seconds of trace shown, channels drawn at most, recordings per set in a mean spectrum
    signal_seconds: float = 10.0
    signal_channels: int = 8
    signal_psd_files: int = 32


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


# -- physiological signals --------------------------------------------------------------------------------------

#: the spectrum panel of a channel shows its type's band (:data:`emoeval.functional.spectral.SPECTRUM_BANDS`, where
#: that signal carries its information) on the grid the spectral metrics read (48 log-spaced frequencies); a Welch
#: segment of 20 s resolves 0.05 Hz, the slow EDA and breathing rhythms
PSD_SEGMENT_S = SEGMENT_SECONDS
#: decades of log-PSD a spectrum panel spans at most (a flat channel's zero power would squash the rest)
PSD_DECADES = 8.0
SIGNAL_WIDTH = 320
TRACE_COLOR = "#1f4e79"
SYSTEM_COLOR = "#f28e2b"
REFERENCE_COLOR = "#8a94a3"
_ROW = 46.0
_TOP = 4.0
_TRACE_X = (4.0, 214.0)
_PSD_X = (222.0, 316.0)
#: pixel columns of a trace's min/max envelope (fewer than its 210 px: the numbers are most of the bytes)
_TRACE_COLUMNS = 150
_XML_INVALID = str.maketrans({code: "?" for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))})


def psd_grid(kind: str) -> np.ndarray:
    """The frequencies (Hz) a spectrum of a ``kind`` channel is drawn at: the grid of the spectral metrics
    (:func:`emoeval.functional.spectral.band_grid`, ``misc`` for an unknown type).

    >>> grid = psd_grid("ecg")
    >>> len(grid), float(grid[0]), float(grid[-1])
    (48, 0.5, 40.0)
    """
    return band_grid(kind)


def log_psd(x: np.ndarray, rate: float, grid: np.ndarray) -> np.ndarray:
    """log10 of the Welch power spectral density of ``x`` (sampled at ``rate`` Hz) around the frequencies ``grid``.

    :func:`scipy.signal.welch` with its defaults (Hann window, 50 % overlap, each segment's mean removed,
    density scaling) on segments of min(len(x), :data:`PSD_SEGMENT_S` · rate) samples. Each grid frequency
    stands for a cell reaching halfway (in log frequency) to its neighbours — the grid is log-spaced, its end
    cells as wide as the others — and gets the mean density of the Welch bins in its cell, so a narrow peak
    (mains hum, a pure tone) shows in the cell that holds it instead of falling between two grid points; a cell
    without a bin gets log10 of the density interpolated linearly in log frequency. NaN where the grid lies
    below the first non-zero bin (the recording is too short to resolve that frequency) or above the Nyquist
    frequency, and everywhere when ``x`` has fewer than 8 finite values; missing values inside ``x`` count as the
    channel's mean (a flat stretch, not a failure).
    """
    import numpy as np
    from scipy.signal import welch

    values = np.asarray(x, dtype=np.float64).ravel()
    grid = np.asarray(grid, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.sum() < 8:
        return np.full(grid.shape, np.nan)
    values = np.where(finite, values, values[finite].mean())
    nperseg = int(min(values.size, max(8, round(PSD_SEGMENT_S * rate))))
    freqs, power = welch(values, fs=rate, nperseg=nperseg)
    tiny = np.finfo(np.float64).tiny
    # cells without a bin (low frequencies, short recordings): interpolated in log frequency, as the axis is drawn
    curve = np.interp(np.log10(grid), np.log10(freqs[1:]), np.log10(np.maximum(power[1:], tiny)))
    edges = cell_edges(grid)
    cell = np.searchsorted(edges, freqs[1:], side="right") - 1  # the DC bin belongs to no cell
    inside = (cell >= 0) & (cell < grid.size)
    counts = np.bincount(cell[inside], minlength=grid.size)
    sums = np.bincount(cell[inside], weights=power[1:][inside], minlength=grid.size)
    filled = counts > 0
    curve[filled] = np.log10(np.maximum(sums[filled] / counts[filled], tiny))
    curve[(grid < freqs[1]) | (grid > freqs[-1])] = np.nan
    return curve


@dataclass(frozen=True)
class SpectrumSet:
    """The mean log10 PSD (:func:`log_psd` on :func:`psd_grid`) of a set of recordings, per (channel name, type)
    and per channel type, over ``n`` recordings (``failed`` more could not be read)."""

    name: str
    n: int
    by_channel: Mapping[tuple[str, str], np.ndarray] = field(default_factory=dict)
    by_type: Mapping[str, np.ndarray] = field(default_factory=dict)
    failed: int = 0

    def curve(self, channel: str, kind: str) -> np.ndarray | None:
        """The mean spectrum of the set's channels named ``channel`` of type ``kind``, else of all its ``kind``
        channels, else None."""
        found = self.by_channel.get((channel, kind))
        return found if found is not None else self.by_type.get(kind)


def spread(paths: Sequence[Path], limit: int) -> list[Path]:
    """At most ``limit`` of ``paths``, evenly spread over the list (first and last included), in order.

    >>> [p.name for p in spread([Path(str(i)) for i in range(10)], 4)]
    ['0', '3', '6', '9']
    """
    if limit <= 0 or len(paths) <= limit:
        return list(paths)
    if limit == 1:
        return [paths[0]]
    step = (len(paths) - 1) / (limit - 1)
    return [paths[round(i * step)] for i in range(limit)]


def mean_spectra(paths: Sequence[Path], name: str, *, limit: int = 32) -> SpectrumSet | None:
    """The :class:`SpectrumSet` of the recordings ``paths`` (at most ``limit`` of them, :func:`spread`); None
    when none could be read. Each mean ignores NaN (frequencies a recording cannot resolve)."""
    import warnings

    import numpy as np

    from emoeval.media.signal import read_signal

    per_channel: dict[tuple[str, str], list[np.ndarray]] = {}
    per_type: dict[str, list[np.ndarray]] = {}
    used = failed = 0
    for path in spread(list(paths), limit):
        try:
            recording = read_signal(path, check=False)  # the mean spectrum of the files as they are
        except Exception:  # an unreadable reference file must not stop the report; it is counted
            failed += 1
            continue
        used += 1
        for row, channel, kind in zip(recording.data, recording.channels, recording.types, strict=True):
            curve = log_psd(row, recording.rate, psd_grid(kind))
            per_channel.setdefault((channel, kind), []).append(curve)
            per_type.setdefault(kind, []).append(curve)
    if not used:
        return None

    def mean(curves: list[np.ndarray]) -> np.ndarray:
        with warnings.catch_warnings():  # a frequency no recording resolves stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.vstack(curves), axis=0)

    return SpectrumSet(
        name=name,
        n=used,
        by_channel={key: mean(curves) for key, curves in per_channel.items()},
        by_type={key: mean(curves) for key, curves in per_type.items()},
        failed=failed,
    )


def envelope(x: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (position in [0, 1], value) that draw ``x`` in about ``columns`` pixel columns: every sample when
    there are at most 2 · columns, else each column's minimum then maximum (NaN-ignoring), so a one-sample
    spike stays visible. A column without a finite value gives NaN (a gap in the line).

    >>> import numpy as np
    >>> t, v = envelope(np.array([0.0, 5.0, 1.0, -2.0]), 2)
    >>> t.tolist(), v.tolist()
    ([0.0, 0.3333333333333333, 0.6666666666666666, 1.0], [0.0, 5.0, 1.0, -2.0])
    >>> t, v = envelope(np.arange(12.0), 2)  # columns [0..5] and [6..11]
    >>> t.tolist(), v.tolist()
    ([0.0, 0.0, 1.0, 1.0], [0.0, 5.0, 6.0, 11.0])
    """
    import numpy as np

    values = np.asarray(x, dtype=np.float64).ravel()
    n = values.size
    if n <= 2 * columns:
        return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n), values
    edges = np.linspace(0, n, columns + 1).round().astype(np.int64)[:-1]
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(values, edges)
        high = np.fmax.reduceat(values, edges)
    positions = np.repeat(np.linspace(0.0, 1.0, columns), 2)
    return positions, np.column_stack([low, high]).ravel()


def _xml_text(text: str, limit: int = 40) -> str:
    """Text for an SVG element: control characters XML forbids replaced, markup escaped, long text cut."""
    import html

    clean = str(text).translate(_XML_INVALID)
    return html.escape(clean if len(clean) <= limit else clean[: limit - 1] + "…", quote=True)


def _short(value: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` (the drawing's bytes are mostly numbers).

    >>> _short(12.04), _short(3.25), _short(-0.01)
    ('12', '3.2', '0')
    """
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def _polylines(xs: np.ndarray, ys: np.ndarray, style: str) -> list[str]:
    """One ``<polyline>`` per run of finite points (a NaN breaks the line)."""
    import numpy as np

    finite = np.isfinite(xs) & np.isfinite(ys)
    parts, start = [], None
    for index in range(len(xs) + 1):
        if index < len(xs) and finite[index]:
            start = index if start is None else start
            continue
        if start is not None and index - start >= 1:
            points = " ".join(f"{_short(xs[i])},{_short(ys[i])}" for i in range(start, index))
            parts.append(f'<polyline points="{points}" {style}/>')
        start = None
    return parts


def _scaled(values: np.ndarray, low: float, high: float, top: float, bottom: float) -> np.ndarray:
    import numpy as np

    span = high - low
    if not span > 0:
        return np.where(np.isfinite(values), (top + bottom) / 2, np.nan)
    return bottom - (np.clip(values, low, high) - low) / span * (bottom - top)


def signal_svg(
    recording: Signal,
    settings: MediaSettings,
    *,
    system: SpectrumSet | None = None,
    reference: SpectrumSet | None = None,
) -> tuple[str, float, int]:
    """An SVG drawing of a recording (see the module docstring): (the SVG text, seconds of trace shown, channels
    drawn). ``system`` and ``reference`` add their mean spectra under the sample's."""
    import numpy as np

    channels = min(len(recording.channels), max(1, settings.signal_channels))
    shown = min(recording.duration, settings.signal_seconds)
    excerpt = recording.data[:channels, : max(1, round(shown * recording.rate))]
    overlays = [(s, color) for s, color in ((reference, REFERENCE_COLOR), (system, SYSTEM_COLOR)) if s is not None]
    height = _TOP + channels * _ROW + 16.0
    body = [f'<rect width="{SIGNAL_WIDTH}" height="{height:.0f}" fill="#ffffff"/>']
    for row in range(channels):
        top = _TOP + row * _ROW
        low_y, high_y = top + 13.0, top + _ROW - 4.0
        name, kind = recording.channels[row], recording.types[row]
        band = band_of(kind)
        body.append(
            f'<text x="{_TRACE_X[0] + 2:.0f}" y="{top + 10:.0f}" font-size="9" fill="#444">'
            f"{_xml_text(name)} · {_xml_text(kind)}</text>"
            f'<text x="{_PSD_X[0] + 2:.0f}" y="{top + 10:.0f}" font-size="8" fill="#777">'
            f"{band[0]:g}–{band[1]:g} Hz</text>"
        )
        for x0, x1 in (_TRACE_X, _PSD_X):
            body.append(
                f'<rect x="{x0:.1f}" y="{low_y:.1f}" width="{x1 - x0:.1f}" height="{high_y - low_y:.1f}" '
                'fill="none" stroke="#e3e6ea"/>'
            )
        trace = excerpt[row]
        t, v = envelope(trace, _TRACE_COLUMNS)
        finite = v[np.isfinite(v)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        xs = _TRACE_X[0] + t * (_TRACE_X[1] - _TRACE_X[0])
        body += _polylines(
            xs,
            _scaled(v, low, high, low_y + 1, high_y - 1),
            f'fill="none" stroke="{TRACE_COLOR}" stroke-width="0.8" stroke-linejoin="round"',
        )
        grid = psd_grid(kind)
        curves = [(s.curve(name, kind), color, 2.2 if color == REFERENCE_COLOR else 1.4) for s, color in overlays]
        curves.append((log_psd(recording.data[row], recording.rate, grid), TRACE_COLOR, 1.0))
        present = [c for c, _, _ in curves if c is not None and np.isfinite(c).any()]
        if not present:
            continue
        top_value = max(float(np.nanmax(c)) for c in present)
        bottom_value = max(min(float(np.nanmin(c)) for c in present), top_value - PSD_DECADES)
        fx = _PSD_X[0] + np.log(grid / grid[0]) / np.log(grid[-1] / grid[0]) * (_PSD_X[1] - _PSD_X[0])
        for curve, color, width in curves:
            if curve is None:
                continue
            body += _polylines(
                fx,
                _scaled(curve, bottom_value, top_value, low_y + 1, high_y - 1),
                f'fill="none" stroke="{color}" stroke-width="{width}" stroke-linejoin="round"',
            )
    legend_y = _TOP + channels * _ROW + 10.0
    legend = [f'<text x="{_TRACE_X[0] + 2:.0f}" y="{legend_y:.0f}" font-size="8" fill="#777">0–{shown:.3g} s</text>']
    x = _PSD_X[0] - 120.0
    for label, color in [("sample", TRACE_COLOR)] + [
        (f"{s.name} ({s.n})", color) for s, color in ((system, SYSTEM_COLOR), (reference, REFERENCE_COLOR)) if s
    ]:
        legend.append(
            f'<line x1="{x:.1f}" x2="{x + 8:.1f}" y1="{legend_y - 3:.1f}" y2="{legend_y - 3:.1f}" stroke="{color}" '
            f'stroke-width="2"/><text x="{x + 10:.1f}" y="{legend_y:.0f}" font-size="8" fill="#555">'
            f"{_xml_text(label, 22)}</text>"
        )
        x += 14.0 + 4.6 * min(len(label), 22)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIGNAL_WIDTH} {height:.0f}" width="{SIGNAL_WIDTH}" '
        f'height="{height:.0f}" font-family="sans-serif">' + "".join(body + legend) + "</svg>"
    )
    return svg, shown, channels


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

    def signal(
        self, path: Path | None, *, system: SpectrumSet | None = None, reference: SpectrumSet | None = None
    ) -> MediaRef:
        """A recording drawn as SVG (:func:`signal_svg`), embedded in both modes (a browser cannot show the file).
        The note says how much is shown and names the channels."""
        missing = self._missing(path)
        if missing is not None or path is None:
            return missing or MediaRef(None)
        try:
            from emoeval.media.signal import read_signal

            recording = read_signal(path, check=False)  # a flat or clipped output is drawn as it is: the point
            svg, shown, drawn = signal_svg(recording, self.settings, system=system, reference=reference)
        except Exception as exc:  # an unreadable recording: say so in the card
            return MediaRef(None, note=f"cannot read signal {path.name}: {type(exc).__name__}: {exc}")
        uri = data_uri("image/svg+xml", svg.encode("utf-8"))
        notes = []
        if recording.duration > shown + 0.05:
            notes.append(f"first {shown:.1f} s of {recording.duration:.1f} s")
        names = [f"{name} ({kind})" for name, kind in zip(recording.channels, recording.types, strict=True)]
        if drawn < len(names):
            notes.append(f"{drawn} of {len(names)} channels")
        notes.append(", ".join(names[:drawn]))
        return MediaRef(uri, "image/svg+xml", len(uri), " · ".join(notes))

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
