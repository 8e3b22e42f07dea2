"""Read-time quality checks of a physiological recording: what makes it unusable, and what only needs a warning.

:func:`check_signal` (run by :func:`emoeval.media.signal.read_signal` unless ``check=False``) returns the
recording, with warnings added, or raises :class:`~emoeval.errors.SampleInputError` naming the file, the channel,
what is wrong and the fix — which every metric turns into that sample's error row, never a number. In order:

1. **Too short**: under ``min_seconds`` (:data:`MIN_SECONDS`, 2 s: no beat interval, breath or Welch window fits).
2. **Implausible sampling rate**: outside :data:`RATE_RANGE` for any channel, or below the floor of its type
   (:data:`MIN_RATE`): ECG below 100 Hz cannot time R peaks (one sample is 10 ms; the Task Force 1996 asks for
   250–500 Hz, 100 Hz is the floor of usable time-domain HRV, Kwon et al. 2018); EEG below 90 Hz cannot hold the
   30–45 Hz gamma band (Nyquist); PPG below 20 Hz, EMG below 200 Hz (surface EMG carries 20–450 Hz). EDA,
   respiration and temperature are slow: E4's 4 Hz is fine.
3. **Non-finite samples** (NaN or ±inf) in any channel: the message gives the longest run and where it starts.
   Interpolate short gaps or cut the recording; neurokit2 would read a NaN gap as a long RR interval.
4. **Flat runs**: the same value repeated for longer than :data:`FLAT_SECONDS` of the channel's type (ECG, EEG,
   PPG, EMG: 1 s — a living heart or brain never holds a value that long, a detached electrode does;
   respiration 10 s — longer than a breath hold shows as identical samples only when the belt slipped; EDA 60 s,
   whose low-resolution sensors can hold a value for a while; temperature and unknown types: not checked).
5. **Clipping** (saturated amplifier) in the fast channels (ECG, EEG, PPG, EMG, respiration): the share of
   samples sitting at the channel's minimum or maximum in runs of at least :data:`CLIP_RUN` samples. Above
   :data:`CLIP_ERROR` (1 %) the recording is refused (lower the gain, or drop the channel); above
   :data:`CLIP_WARN` (0.1 %) it gets a warning. Slow channels are left out: a quantised EDA or temperature trace
   sits at its extreme for many samples without any saturation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    import numpy as np

    from emoeval.media.signal import Signal

MIN_SECONDS = 2.0
#: any channel's sampling rate must lie in this range (Hz)
RATE_RANGE = (0.5, 100_000.0)
#: the lowest usable sampling rate of a channel type (Hz), module docstring
MIN_RATE: dict[str, float] = {"ecg": 100.0, "eeg": 90.0, "ppg": 20.0, "emg": 200.0}
#: longest run of one repeated value (s) per channel type before it counts as a flat line (absent: not checked)
FLAT_SECONDS: dict[str, float] = {"ecg": 1.0, "eeg": 1.0, "ppg": 1.0, "emg": 1.0, "rsp": 10.0, "eda": 60.0}
#: channel types checked for clipping
CLIP_TYPES = frozenset({"ecg", "eeg", "ppg", "emg", "rsp"})
CLIP_RUN = 3
CLIP_ERROR = 0.01
CLIP_WARN = 0.001


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the runs of True in a boolean array.

    >>> import numpy as np
    >>> [a.tolist() for a in runs(np.array([0, 1, 1, 0, 1], dtype=bool))]
    [[1, 4], [2, 1]]
    """
    import numpy as np

    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def longest_repeat(x: np.ndarray) -> tuple[int, int]:
    """(start, length in samples) of the longest run of one repeated value (length 1 when none repeats)."""
    import numpy as np

    if x.size < 2:
        return 0, int(x.size)
    same = np.diff(x) == 0
    starts, lengths = runs(same)
    if lengths.size == 0:
        return 0, 1
    best = int(np.argmax(lengths))
    return int(starts[best]), int(lengths[best]) + 1


def clipped_share(x: np.ndarray, run: int = CLIP_RUN) -> float:
    """Share of samples at the channel's minimum or maximum in runs of at least ``run`` samples."""
    import numpy as np

    if x.size == 0:
        return 0.0
    total = 0
    for extreme in (np.max(x), np.min(x)):
        _, lengths = runs(x == extreme)
        total += int(lengths[lengths >= run].sum())
    return total / x.size


def check_signal(signal: Signal, *, min_seconds: float = MIN_SECONDS) -> Signal:
    """The recording, with warnings for borderline clipping, or :class:`SampleInputError` (module docstring)."""
    import numpy as np

    from emoeval.media.signal import Signal

    where = signal.source or "recording"
    if signal.duration < min_seconds:
        raise SampleInputError(
            f"{where}: {signal.duration:.2f} s is too short (at least {min_seconds:g} s); give longer recordings"
        )
    low, high = RATE_RANGE
    if not low <= signal.rate <= high:
        raise SampleInputError(
            f"{where}: a sampling rate of {signal.rate:g} Hz is implausible for a physiological recording "
            f"({low:g}–{high:g} Hz); check the rate in the file or its sidecar"
        )
    warnings = list(signal.warnings)
    for row, name, kind in zip(signal.data, signal.channels, signal.types, strict=True):
        channel = f"{where}: channel {name} ({kind})"
        floor = MIN_RATE.get(kind)
        if floor is not None and signal.rate < floor:
            raise SampleInputError(
                f"{channel} is sampled at {signal.rate:g} Hz, below the {floor:g} Hz a {kind} channel needs; record "
                "at a higher rate, or check the rate and the channel type"
            )
        bad = ~np.isfinite(row)
        if bad.any():
            starts, lengths = runs(bad)
            longest = int(np.argmax(lengths))
            seconds, start = lengths[longest] / signal.rate, starts[longest] / signal.rate
            raise SampleInputError(
                f"{channel} has {int(bad.sum())} non-finite samples (longest run {seconds:.2f} s from {start:.2f} s); "
                "interpolate short gaps or cut the recording"
            )
        limit = FLAT_SECONDS.get(kind)
        if limit is not None:
            start, length = longest_repeat(row)
            if length / signal.rate > limit:
                raise SampleInputError(
                    f"{channel} is flat for {length / signal.rate:.2f} s from {start / signal.rate:.2f} s (one value "
                    f"repeated; more than {limit:g} s is a detached electrode or a dropout); cut that stretch or drop "
                    "the channel"
                )
        if kind in CLIP_TYPES:
            share = clipped_share(row)
            if share > CLIP_ERROR:
                raise SampleInputError(
                    f"{channel} is clipped: {100 * share:.1f} % of its samples sit at its minimum or maximum (a "
                    "saturated amplifier); lower the gain, or drop the channel"
                )
            if share > CLIP_WARN:
                warnings.append(f"channel {name}: {100 * share:.2f} % of samples clipped at its min/max")
    if len(warnings) == len(signal.warnings):
        return signal
    return Signal(
        data=signal.data,
        rate=signal.rate,
        channels=signal.channels,
        types=signal.types,
        source=signal.source,
        warnings=tuple(warnings),
    )


__all__ = ["CLIP_ERROR", "CLIP_WARN", "FLAT_SECONDS", "MIN_RATE", "MIN_SECONDS", "check_signal", "clipped_share"]
