"""Audio decoding for speech models: mono, resampled, and checked (empty, too short, silent, NaN, clipped).

One loader for WAV/FLAC/OGG/MP3: soundfile (libsndfile) first; a file it cannot read (an MP3 on a libsndfile
older than 1.1, an odd container) goes to audioread, the fallback librosa itself uses (its backends: the
standard library's WAV/AIFF/AU readers, and FFmpeg, GStreamer or MAD where installed). Channels are averaged to
mono. Resampling uses soxr at "HQ" quality (the resampler librosa uses by default), so an output and its
reference are always compared at the model's rate; :class:`Audio` keeps the original rate for the record.

An unusable recording (empty, unreadable, too short, NaN/infinite samples, silent) raises
:class:`~emoeval.errors.SampleInputError`; a *clipped* one is still usable and carries a warning in
:attr:`Audio.warnings` that metrics put in the ``warning`` column.

Loudness statistics (:func:`loudness_stats`): RMS and peak level in dBFS, the active-speech fraction from the
energy voice-activity detector :func:`speech_activity` (the one the prosody metrics use for pauses), and
ITU-R BS.1770-4 integrated loudness (:func:`integrated_loudness`, mono: LKFS = LUFS).
"""

from __future__ import annotations

import io
import math
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.errors import MissingDependencyError, SampleInputError

if TYPE_CHECKING:
    import numpy as np

#: below this peak level (dBFS) a recording counts as silent
SILENCE_PEAK_DBFS = -60.0
#: a sample at or above this magnitude is at full scale (int16 full scale reads as 32767/32768 ≈ 0.99997)
CLIP_LEVEL = 0.999
#: this many consecutive full-scale samples in one channel count as one clipped run (an isolated full-scale
#: sample is a legitimate peak; a flat top of three or more is the signature of clipping)
CLIP_MIN_RUN = 3
#: energy voice-activity detection: a frame is active when its energy is within this many dB of the loudest
#: frames (the 99th percentile of frame energies, so one click does not set the scale) ...
VAD_BELOW_LOUDEST_DB = 35.0
#: ... and at least this many dB above the noise floor (the 2nd percentile of frame energies), so a steady
#: noise floor less than 35 dB under the speech does not count as speech
VAD_ABOVE_FLOOR_DB = 12.0
#: frame energies are computed over 25 ms windows (the usual speech analysis window)
ENERGY_WINDOW_S = 0.025


@dataclass(frozen=True, slots=True)
class Audio:
    """A decoded recording: mono float32 samples at ``sample_rate`` (full scale is ±1).

    ``warnings`` lists problems that do not make the recording unusable (clipping); ``decoder`` names what
    decoded it (``soundfile``, or ``audioread`` for the fallback).
    """

    samples: np.ndarray
    sample_rate: int
    original_rate: int
    original_channels: int
    warnings: tuple[str, ...] = ()
    decoder: str = "soundfile"

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def decode_audio(data: bytes, name: str, *, target_rate: int | None = None, min_duration_s: float = 0.1) -> Audio:
    """Decode WAV/FLAC/OGG/MP3 bytes to mono (channel mean), optionally resampled to ``target_rate``.

    Raises :class:`SampleInputError` naming ``name`` for an unreadable, empty, too short, non-finite or
    silent recording. Clipping (runs of :data:`CLIP_MIN_RUN` samples at ``|x| ≥ CLIP_LEVEL`` in any channel,
    before the down-mix) is a warning in :attr:`Audio.warnings`.
    """
    import numpy as np

    if not data:
        raise SampleInputError(f"{name}: empty file (0 bytes); regenerate or remove this output")
    frames, rate, decoder = _decode_any(data, name)
    channels = int(frames.shape[1])
    if frames.shape[0] == 0:
        raise SampleInputError(f"{name}: the recording has no samples; regenerate or remove this output")
    if not np.all(np.isfinite(frames)):
        raise SampleInputError(
            f"{name}: the recording contains NaN or infinite samples; fix the generator's output stage"
        )
    mono = frames.mean(axis=1) if channels > 1 else frames[:, 0]
    duration = mono.size / rate
    if duration < min_duration_s:
        raise SampleInputError(
            f"{name}: too short ({duration * 1000:.1f} ms, {mono.size} samples); at least {min_duration_s} s needed"
        )
    peak = float(np.max(np.abs(mono)))
    if peak == 0.0 or 20.0 * math.log10(peak) < SILENCE_PEAK_DBFS:
        raise SampleInputError(
            f"{name}: the recording is silent (peak below {SILENCE_PEAK_DBFS:.0f} dBFS); regenerate this output"
        )
    warning = clipping_warning(frames, rate)
    if target_rate is not None and rate != target_rate:
        import soxr

        mono = soxr.resample(mono, rate, target_rate, quality="HQ").astype(np.float32)
    return Audio(
        samples=np.ascontiguousarray(mono, dtype=np.float32),
        sample_rate=target_rate or rate,
        original_rate=int(rate),
        original_channels=channels,
        warnings=(f"{name}: {warning}",) if warning else (),
        decoder=decoder,
    )


def load_audio(path: Path, *, target_rate: int | None = None, min_duration_s: float = 0.1) -> Audio:
    """Read and :func:`decode_audio` a file; a missing, unreadable, non-regular (FIFO, device) or too large
    (over the ``speech`` limit of :mod:`emoeval.media.files`) path is a :class:`SampleInputError`."""
    from emoeval.media.files import read_input_file

    _, data = read_input_file(Path(path), "speech")
    return decode_audio(data, str(path), target_rate=target_rate, min_duration_s=min_duration_s)


def _decode_any(data: bytes, name: str) -> tuple[np.ndarray, int, str]:
    """``(frames (n, channels) float32, rate, decoder)``: soundfile first, audioread when soundfile fails."""
    try:
        import soundfile
    except ImportError as exc:
        raise MissingDependencyError("decoding audio needs soundfile: pip install 'emoeval[speech]'") from exc
    try:
        frames, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
        return frames, int(rate), "soundfile"
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        first = str(exc)
    try:
        frames, rate = _decode_with_audioread(data, name)
    except Exception as exc:  # any backend's own error: report both decoders' reasons
        raise SampleInputError(
            f"{name}: not a readable audio file (soundfile: {first}; fallback audioread: {exc or type(exc).__name__}); "
            "save it as WAV or FLAC (e.g. `sox in.mp3 out.wav`)"
        ) from None
    return frames, rate, "audioread"


def _decode_with_audioread(data: bytes, name: str) -> tuple[np.ndarray, int]:
    """Decode through audioread's available backends (they need a file: a temporary copy is written)."""
    import numpy as np

    try:
        with warnings.catch_warnings():  # its raw backend imports aifc, audioop and sunau (deprecated in 3.11)
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioread
            import audioread.rawread
    except ImportError as exc:
        raise RuntimeError("audioread is not installed (it comes with librosa)") from exc
    suffix = Path(name).suffix or ".audio"
    with tempfile.TemporaryDirectory(prefix="emoeval-audio-") as folder:
        copy = Path(folder) / f"input{suffix}"
        copy.write_bytes(data)
        with audioread.audio_open(str(copy), backends=audioread.available_backends()) as source:
            rate, channels = int(source.samplerate), int(source.channels)
            chunks = [np.frombuffer(block, dtype="<i2") for block in source]
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<i2")
    if channels < 1 or pcm.size % channels:
        raise RuntimeError(f"decoded {pcm.size} samples for {channels} channels")
    return (pcm.astype(np.float32) / 32768.0).reshape(-1, channels), rate


# -- clipping --------------------------------------------------------------------------------------------------


def clipped_runs(frames: np.ndarray, *, level: float = CLIP_LEVEL, min_run: int = CLIP_MIN_RUN) -> tuple[int, int]:
    """``(runs, samples)``: runs of ≥ ``min_run`` consecutive samples at ``|x| ≥ level`` in any channel, and
    the samples in those runs (summed over channels). ``frames`` is 1-D (mono) or (samples, channels).

    >>> import numpy as np
    >>> clipped_runs(np.array([0.1, 1.0, 1.0, 1.0, 0.2, -1.0, 0.3, 1.0, 1.0, 1.0, 1.0]))
    (2, 7)
    """
    import numpy as np

    array = np.asarray(frames)
    columns = array.reshape(-1, 1) if array.ndim == 1 else array
    runs = samples = 0
    for channel in columns.T:
        hot = np.concatenate(([0], (np.abs(channel) >= level).astype(np.int8), [0]))
        edges = np.diff(hot)
        lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
        long_runs = lengths[lengths >= min_run]
        runs += int(long_runs.size)
        samples += int(long_runs.sum())
    return runs, samples


def clipping_warning(frames: np.ndarray, rate: int) -> str | None:
    """A warning text when the recording is clipped (see :func:`clipped_runs`), else None."""
    runs, samples = clipped_runs(frames)
    if not runs:
        return None
    total = frames.shape[0] * (frames.shape[1] if frames.ndim == 2 else 1)
    return (
        f"clipped: {runs} run(s) of ≥{CLIP_MIN_RUN} samples at |x| ≥ {CLIP_LEVEL} ({samples} samples, "
        f"{100.0 * samples / total:.2f} %); lower the generator's output gain"
    )


# -- frame energy and voice activity ---------------------------------------------------------------------------


def frame_energy_db(
    samples: np.ndarray,
    rate: int,
    *,
    hop_s: float = 0.005,
    window_s: float = ENERGY_WINDOW_S,
    n_frames: int | None = None,
) -> np.ndarray:
    """Frame log-energy 10·log10(mean x² + 1e-10) in dB (re full scale; floor -100 dB).

    Frame ``k`` is centred at ``k · hop_s`` seconds (WORLD's frame times) over a ``window_s`` rectangular
    window, zero-padded at the edges; ``n_frames`` defaults to ``1 + len // hop``.

    >>> import numpy as np
    >>> round(float(frame_energy_db(np.full(1600, 0.5), 16000, n_frames=10)[5]), 4)  # 10·log10(0.25)
    -6.0206
    """
    import numpy as np

    x = np.asarray(samples, dtype=np.float64)
    hop = hop_s * rate
    half = max(1, round(window_s * rate / 2))
    count = int(x.size // hop) + 1 if n_frames is None else int(n_frames)
    squares = np.concatenate(([0.0], np.cumsum(np.pad(x, half) ** 2)))
    centres = np.round(np.arange(count) * hop).astype(np.int64) + half  # in padded coordinates
    lo = np.clip(centres - half, 0, squares.size - 1)
    hi = np.clip(centres + half, 0, squares.size - 1)
    energy = np.maximum(squares[hi] - squares[lo], 0.0) / (2 * half)
    return 10.0 * np.log10(energy + 1e-10)


def speech_activity(
    energy_db: np.ndarray,
    *,
    below_loudest_db: float = VAD_BELOW_LOUDEST_DB,
    above_floor_db: float = VAD_ABOVE_FLOOR_DB,
) -> np.ndarray:
    """Energy voice-activity decisions: frames within ``below_loudest_db`` of the loudest frames (the 99th
    percentile of frame energies) and at least ``above_floor_db`` above the noise floor (the 2nd percentile).

    >>> import numpy as np
    >>> speech_activity(np.array([-100.0, -60.0, -20.0, -10.0, -50.0])).tolist()
    [False, False, True, True, False]
    >>> speech_activity(np.array([-40.0] * 10 + [-31.0, -20.0, -10.0])).tolist()[-4:]  # noise floor at -40 dB
    [False, False, True, True]
    """
    import numpy as np

    energy = np.asarray(energy_db, dtype=np.float64)
    if energy.size == 0:
        return np.zeros(0, dtype=bool)
    loudest, floor = np.percentile(energy, [99, 2])
    return energy >= max(float(loudest) - below_loudest_db, float(floor) + above_floor_db)


# -- loudness --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoudnessStats:
    """Level statistics of one recording (at its decoded rate).

    ``rms_dbfs``: 20·log10 of the RMS of all samples; ``peak_dbfs``: 20·log10 max |x|; ``active_rms_dbfs``:
    RMS over the frames :func:`speech_activity` marks active; ``active_fraction``: share of such frames;
    ``loudness_lufs``: ITU-R BS.1770-4 gated integrated loudness (NaN for a recording under 400 ms).
    dBFS here is re a full-scale square wave (a full-scale sine has RMS −3.01 dBFS).
    """

    rms_dbfs: float
    peak_dbfs: float
    active_rms_dbfs: float
    active_fraction: float
    loudness_lufs: float


def loudness_stats(audio: Audio) -> LoudnessStats:
    """RMS, peak, active-speech level and fraction, and BS.1770 loudness of a decoded recording."""
    import numpy as np

    x = audio.samples.astype(np.float64)
    energy = frame_energy_db(x, audio.sample_rate, hop_s=0.010)
    active = speech_activity(energy)
    power = 10.0 ** (energy[active] / 10.0)
    return LoudnessStats(
        rms_dbfs=_db(float(np.mean(x**2)), power=True),
        peak_dbfs=_db(float(np.max(np.abs(x)))),
        active_rms_dbfs=_db(float(np.mean(power)), power=True) if power.size else -math.inf,
        active_fraction=float(np.mean(active)),
        loudness_lufs=integrated_loudness(x, audio.sample_rate),
    )


def _db(value: float, *, power: bool = False) -> float:
    if value <= 0.0:
        return -math.inf
    return (10.0 if power else 20.0) * math.log10(value)


def k_weighting(rate: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """BS.1770 K-weighting at ``rate``: ``((b, a) of the high-shelf "pre-filter", (b, a) of the RLB high-pass)``.

    The analog prototypes (shelf: f0 1681.97 Hz, gain 4.0 dB, Q 0.7072; high-pass: f0 38.14 Hz, Q 0.5003) are
    those that reproduce the standard's 48 kHz coefficient tables (as libebur128 derives them), mapped to
    ``rate`` by the bilinear transform.
    """
    import numpy as np

    k = math.tan(math.pi * 1681.974450955533 / rate)
    q = 0.7071752369554196
    vh = 10.0 ** (3.999843853973347 / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = np.array([vh + vb * k / q + k * k, 2.0 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1.0 + k / q + k * k
    high_b = np.array([1.0, -2.0, 1.0])
    high_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return (shelf_b, shelf_a), (high_b, high_a)


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770-4 integrated loudness of a mono signal (LKFS/LUFS); NaN when shorter than one 400 ms block.

    K-weighting, mean square over 400 ms blocks every 100 ms, absolute gate −70 LKFS, relative gate −10 LU
    under the absolutely gated loudness; −inf when no block passes the gates.
    """
    import numpy as np
    from scipy.signal import lfilter

    x = np.asarray(samples, dtype=np.float64)
    block, step = round(0.4 * rate), round(0.1 * rate)
    if x.size < block:
        return math.nan
    (sb, sa), (hb, ha) = k_weighting(rate)
    y = lfilter(hb, ha, lfilter(sb, sa, x))
    squares = np.concatenate(([0.0], np.cumsum(y**2)))
    starts = np.arange(0, x.size - block + 1, step)
    z = (squares[starts + block] - squares[starts]) / block
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(z)
    gated = z[loudness > -70.0]
    if gated.size == 0:
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(np.mean(gated))) - 10.0
    chosen = z[(loudness > -70.0) & (loudness > relative)]
    return -0.691 + 10.0 * math.log10(float(np.mean(chosen)))


# -- file facts ------------------------------------------------------------------------------------------------


def sample_rate_of(path: Path) -> int | None:
    """The sample rate in a file's header (no decoding), or None when it cannot be read.

    Only regular files are opened (:func:`emoeval.media.files.check_input_file`): libsndfile would block on
    a FIFO.
    """
    try:
        import soundfile

        from emoeval.media.files import check_input_file

        check_input_file(path, "speech")
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
