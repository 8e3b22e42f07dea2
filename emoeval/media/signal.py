"""Physiological signals (ECG, EDA, respiration, EEG, ...): one multichannel recording per file.

A :class:`Signal` is a float64 array of shape (channels, samples) at one sampling rate, with a name and a *type*
per channel (:data:`CHANNEL_TYPES`: ``ecg``, ``eda``, ``rsp``, ``eeg``, ``ppg``, ``emg``, ``temp``, ``misc``).
Types drive everything downstream: the ECG descriptors read the ``ecg`` channels, the EEG band powers the ``eeg``
ones. A channel's type comes from the file (a ``types`` field) or, when the file has none, from its name
(:func:`infer_channel_type`: ``ECG``/``EKG`` → ecg, ``EDA``/``GSR`` → eda, ``RESP`` → rsp, 10-20 names such
as ``Fp1``/``F3``/``Cz`` → eeg, ...).

**Formats** (:func:`read_signal`):

- ``.npz`` (NumPy, read with ``allow_pickle=False``): arrays ``data`` (channels × samples), ``sampling_rate``
  (a scalar, Hz), optional ``channels`` and ``types`` (string arrays, one per channel). This is what
  :func:`write_npz` writes.
- ``.npy``: one array (channels × samples, or a 1-d single channel) plus a JSON sidecar of the same stem,
  ``<name>.json``: ``{"sampling_rate": 256, "channels": ["ECG"], "types": ["ecg"]}``.
- ``.csv`` / ``.tsv`` (a header of channel names; the rate from a ``time`` column or the sidecar; the Empatica E4
  export layout), ``.edf`` / ``.bdf`` (pyEDFlib; channels at other rates resampled), MATLAB ``.mat`` v5/v7:
  :mod:`emoeval.media.signal_formats`. The sidecar works for every format.

Then the read-time quality checks of :mod:`emoeval.media.signal_quality` (too short, implausible rates, NaN and
flat runs, clipping) refuse an unusable recording with a message naming the channel and the fix.
:meth:`Signal.resampled` and :meth:`Signal.select` change the rate and pick channel types.

Pickles (``.pkl``, ``.pickle``, and DEAP's/WESAD's pickled ``.dat``) are refused: unpickling a file runs code
from it. Convert them once in a trusted session (``numpy.savez(out, data=..., sampling_rate=...)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    import numpy as np

#: the channel types emoeval knows (a channel of another kind is ``misc``)
CHANNEL_TYPES: tuple[str, ...] = ("ecg", "eda", "rsp", "eeg", "ppg", "emg", "temp", "misc")
#: suffixes of pickled files, refused (see the module docstring)
PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".dat"})
#: the 10-20 / 10-10 electrode names (upper-cased) that mark a channel as EEG when the file gives no type
_EEG_NAME = re.compile(
    r"^(EEG[ _-]?)?(FP|AF|F|FT|FC|C|T|TP|CP|P|PO|O|I|A|M|N)(Z|[0-9]{1,2})([ _-]?(REF|LE|AVG|A[12]|M[12]))?$"
)
_NAME_TYPES: tuple[tuple[str, str], ...] = (
    ("ECG", "ecg"),
    ("EKG", "ecg"),
    ("EDA", "eda"),
    ("GSR", "eda"),
    ("SCL", "eda"),
    ("RESP", "rsp"),
    ("RSP", "rsp"),
    ("BREATH", "rsp"),
    ("PPG", "ppg"),
    ("BVP", "ppg"),
    ("PLETH", "ppg"),
    ("EMG", "emg"),
    ("TEMP", "temp"),
    ("EEG", "eeg"),
)


def infer_channel_type(name: str) -> str:
    """A channel's type from its name (``misc`` when nothing matches).

    >>> [infer_channel_type(n) for n in ("ECG lead II", "GSR", "Resp", "Fp1", "EEG Cz-REF", "O2", "X")]
    ['ecg', 'eda', 'rsp', 'eeg', 'eeg', 'eeg', 'misc']
    """
    upper = name.strip().upper()
    if _EEG_NAME.match(upper):
        return "eeg"
    for token, kind in _NAME_TYPES:
        if token in upper:
            return kind
    return "misc"


@dataclass(frozen=True)
class Signal:
    """A decoded recording: ``data`` float64 (channels, samples) at ``rate`` Hz; ``channels`` and ``types`` name
    each row. ``warnings`` lists problems that leave it usable (clipping); ``source`` names the file."""

    data: np.ndarray
    rate: float
    channels: tuple[str, ...]
    types: tuple[str, ...]
    source: str = ""
    warnings: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.data.ndim != 2:
            raise SampleInputError(f"{self.source}: signal data must be 2-d (channels, samples), got {self.data.shape}")
        if len(self.channels) != self.data.shape[0] or len(self.types) != self.data.shape[0]:
            raise SampleInputError(
                f"{self.source}: {self.data.shape[0]} channel(s) but {len(self.channels)} name(s) and "
                f"{len(self.types)} type(s); give one name and one type per channel"
            )
        unknown = sorted(set(self.types) - set(CHANNEL_TYPES))
        if unknown:
            raise SampleInputError(f"{self.source}: unknown channel type(s) {unknown}; use {', '.join(CHANNEL_TYPES)}")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.data.shape[1] / self.rate

    def of_type(self, kind: str) -> np.ndarray:
        """The rows of every channel of type ``kind`` (0 × samples when there is none)."""
        return self.data[[i for i, t in enumerate(self.types) if t == kind]]

    def names_of_type(self, kind: str) -> tuple[str, ...]:
        return tuple(name for name, t in zip(self.channels, self.types, strict=True) if t == kind)

    def resampled(self, rate: float) -> Signal:
        """The recording at ``rate`` Hz (:func:`~emoeval.media.signal_formats.resample_rows`: polyphase
        anti-aliasing filter); itself when the rate is already that."""
        import math

        from emoeval.media.signal_formats import resample_rows

        if math.isclose(rate, self.rate, rel_tol=1e-9):
            return self
        return replace(self, data=resample_rows(self.data, self.rate, float(rate)), rate=float(rate))

    def select(self, kinds: Iterable[str]) -> Signal:
        """The channels of the given types, in file order; :class:`SampleInputError` naming the channels there are
        when none is of those types."""
        wanted = {kind.lower() for kind in kinds}
        keep = [i for i, kind in enumerate(self.types) if kind in wanted]
        if not keep:
            present = ", ".join(f"{n}={t}" for n, t in zip(self.channels, self.types, strict=True))
            raise SampleInputError(
                f"{self.source}: no channel of type {', '.join(sorted(wanted))} (channels: {present})"
            )
        return replace(
            self,
            data=self.data[keep],
            channels=tuple(self.channels[i] for i in keep),
            types=tuple(self.types[i] for i in keep),
        )


def _channel_meta(count: int, channels: Any, types: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = tuple(str(c) for c in channels) if channels is not None else tuple(f"ch{i}" for i in range(count))
    if len(names) != count:
        raise SampleInputError(f"{where}: {count} channel(s) but {len(names)} channel name(s)")
    kinds = tuple(str(t).lower() for t in types) if types is not None else tuple(infer_channel_type(n) for n in names)
    return names, kinds


def _rate(value: Any, where: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise SampleInputError(f"{where}: sampling_rate {value!r} is not a number (Hz)") from None
    if not rate > 0:
        raise SampleInputError(f"{where}: sampling_rate must be positive (Hz), got {rate}")
    return rate


def _as_channels(array: np.ndarray, where: str) -> np.ndarray:
    import numpy as np

    if array.dtype.kind not in "fiub":
        raise SampleInputError(f"{where}: signal data must be numeric, got dtype {array.dtype}")
    data = np.asarray(array, dtype=np.float64)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2:
        raise SampleInputError(f"{where}: signal data must be 1-d or 2-d (channels, samples), got shape {data.shape}")
    return data


def _sidecar(path: Path) -> dict[str, Any]:
    side = path.with_suffix(".json")
    if not side.is_file():
        return {}
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SampleInputError(f"{side}: the signal's sidecar is not readable JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise SampleInputError(f"{side}: the signal's sidecar must be a JSON object with sampling_rate")
    return meta


#: suffixes :func:`read_signal` reads, by reader
NUMPY_SUFFIXES = frozenset({".npz", ".npy"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv"})
EDF_SUFFIXES = frozenset({".edf", ".bdf"})
MAT_SUFFIXES = frozenset({".mat"})
SIGNAL_SUFFIXES = NUMPY_SUFFIXES | TEXT_SUFFIXES | EDF_SUFFIXES | MAT_SUFFIXES


def _read_numpy(path: Path, meta: dict[str, Any]) -> tuple[np.ndarray, Any, Any, Any, list[str]]:
    import numpy as np

    where = str(path)
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if "data" not in archive:
                    raise SampleInputError(f"{where}: an .npz signal needs an array 'data' (channels, samples)")
                data = _as_channels(archive["data"], where)
                rate_value = archive["sampling_rate"] if "sampling_rate" in archive else meta.get("sampling_rate")
                channels = archive["channels"].tolist() if "channels" in archive else meta.get("channels")
                types = archive["types"].tolist() if "types" in archive else meta.get("types")
        else:
            data = _as_channels(np.load(path, allow_pickle=False), where)
            rate_value, channels, types = meta.get("sampling_rate"), meta.get("channels"), meta.get("types")
    except (OSError, ValueError) as exc:
        raise SampleInputError(f"{where}: not a readable NumPy file ({exc})") from None
    return data, rate_value, channels, types, []


def read_signal(path: Path | str, *, check: bool = True, min_seconds: float | None = None) -> Signal:
    """Read a recording (see the module docstring for the formats); :class:`SampleInputError` naming the file
    and the fix when it cannot be used. With ``check`` (the default) it must also pass the quality checks of
    :func:`emoeval.media.signal_quality.check_signal` (flat or NaN runs, clipping, implausible rates, too short:
    ``min_seconds``, default :data:`~emoeval.media.signal_quality.MIN_SECONDS`)."""
    from emoeval.media import signal_formats

    path = Path(path)
    where = str(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise SampleInputError(
            f"{where}: pickled files are refused (unpickling runs code from the file); convert it once in a "
            "trusted session, e.g. numpy.savez(out, data=channels_by_samples, sampling_rate=rate, channels=names)"
        )
    if suffix not in SIGNAL_SUFFIXES:
        raise SampleInputError(
            f"{where}: unknown signal format {suffix!r}; use {', '.join(sorted(SIGNAL_SUFFIXES))} (see "
            "emoeval.media.signal)"
        )
    if not path.is_file():
        raise SampleInputError(f"{where}: no such signal file")
    meta = _sidecar(path)
    if suffix in NUMPY_SUFFIXES:
        read = _read_numpy(path, meta)
    elif suffix in TEXT_SUFFIXES:
        read = signal_formats.read_csv(path, meta)
    elif suffix in EDF_SUFFIXES:
        read = signal_formats.read_edf(path, meta)
    else:
        read = signal_formats.read_mat(path, meta)
    data, rate_value, channels, types, notes = read
    data = _as_channels(data, where)
    if rate_value is None:
        raise SampleInputError(
            f"{where}: no sampling rate; store it in the file (an .npz 'sampling_rate', a CSV time column, a .mat "
            f"'fs'), or write {path.with_suffix('.json').name} beside it with {{\"sampling_rate\": <Hz>}}"
        )
    names, kinds = _channel_meta(data.shape[0], channels, types, where)
    signal = Signal(
        data=data, rate=_rate(rate_value, where), channels=names, types=kinds, source=where, warnings=tuple(notes)
    )
    if not check:
        return signal
    from emoeval.media.signal_quality import MIN_SECONDS, check_signal

    return check_signal(signal, min_seconds=MIN_SECONDS if min_seconds is None else min_seconds)


def write_npz(path: Path | str, data: np.ndarray, rate: float, channels: Any = None, types: Any = None) -> Path:
    """Write a recording in emoeval's ``.npz`` layout (no pickled objects); returns the path."""
    import numpy as np

    array = np.atleast_2d(np.asarray(data, dtype=np.float64))
    names, kinds = _channel_meta(array.shape[0], channels, types, str(path))
    np.savez(
        path,
        data=array,
        sampling_rate=np.float64(rate),
        channels=np.array(names, dtype=str),
        types=np.array(kinds, dtype=str),
    )
    return Path(path)
