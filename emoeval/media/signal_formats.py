"""Readers of the file formats physiological recordings come in, each giving (data, rate, channels, types, notes).

:func:`emoeval.media.signal.read_signal` picks one by suffix; every reader takes the recording's JSON sidecar
(``<stem>.json``, may be empty) for what the file itself does not say. Every problem is a
:class:`~emoeval.errors.SampleInputError` naming the file and the fix.

- **CSV / TSV** (:func:`read_csv`): a header row of channel names, one column per channel, one row per sample.
  The rate comes from a ``time`` / ``timestamp`` / ``time_s`` column (seconds, uniform within 1 %; it is not a
  channel) or from the sidecar's ``sampling_rate``; the sidecar's ``channels`` picks and orders columns, its
  ``types`` types them. The **Empatica E4** layout (WESAD's ``EDA.csv``, ``BVP.csv``, ``TEMP.csv``...: no
  header, first row the start time per column, second row the sampling rate, then samples) is read when the
  sidecar says ``"layout": "e4"`` or the file is named like an E4 export (``EDA``, ``BVP``, ``TEMP``, ``HR``
  ``.csv``) and starts with that two-row preamble; its channel is named after the file.
- **EDF / BDF** (:func:`read_edf`, through pyEDFlib, ``pip install 'emoeval[signal]'``): physical values of each
  signal, labels as channel names (types from the sidecar, else from the labels, e.g. ``ECG``, ``EEG Fp1``).
  Signals recorded at other rates than the first are resampled to it (or to the sidecar's ``sampling_rate``),
  with a note naming them; EDF+ annotation channels are skipped.
- **MATLAB** ``.mat`` v5/v7 (:func:`read_mat`, :func:`scipy.io.loadmat`): the array ``data`` (or the sidecar's
  ``variable``), channels × samples — or samples × channels (the longer axis is taken as time unless the sidecar
  says ``"orientation": "channels_first"`` or ``"samples_first"``); the rate from ``sampling_rate`` / ``fs`` /
  ``srate`` / ``Fs`` in the file or the sidecar; optional ``channels`` / ``types`` (cell arrays of strings).
  A v7.3 file (HDF5) is refused with the conversion that makes it readable.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError

if TYPE_CHECKING:
    import numpy as np

#: names of a CSV column holding each sample's time in seconds (not a channel)
TIME_COLUMNS: tuple[str, ...] = ("time", "timestamp", "time_s", "t", "seconds")
#: a time column is uniform when every step is within this share of the median step
TIME_TOLERANCE = 0.01
#: E4 export file names (WESAD, Empatica): the channel each holds
E4_FILES: dict[str, str] = {"EDA": "EDA", "BVP": "BVP", "TEMP": "TEMP", "HR": "HR"}
#: variable names of a sampling rate in a .mat file
MAT_RATE_NAMES: tuple[str, ...] = ("sampling_rate", "fs", "Fs", "srate", "sfreq", "sampling_frequency")

Read = tuple["np.ndarray", float, Any, Any, list[str]]


def _number(text: str, where: str, row: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SampleInputError(
            f"{where}: row {row}, column {column!r} holds {text!r}, not a number; a signal CSV holds numbers only "
            "(empty cells: NaN)"
        ) from None


def _is_e4(path: Path, rows: list[list[str]], meta: dict[str, Any]) -> bool:
    if meta.get("layout") == "e4":
        return True
    if path.stem.upper() not in E4_FILES or len(rows) < 3:
        return False
    try:
        start, rate = float(rows[0][0]), float(rows[1][0])
    except (ValueError, IndexError):
        return False
    return start > 1e8 and 0 < rate <= 1000  # a unix time, then a rate


def read_csv(path: Path, meta: dict[str, Any]) -> Read:
    """A CSV/TSV recording (module docstring)."""
    import numpy as np

    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SampleInputError(f"{where}: not a readable UTF-8 text file ({exc})") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = [row for row in csv.reader(text.splitlines(), delimiter=delimiter) if row and any(c.strip() for c in row)]
    if not rows:
        raise SampleInputError(f"{where}: the CSV file is empty")
    if _is_e4(path, rows, meta):
        width = len(rows[0])
        names = meta.get("channels") or (
            [E4_FILES.get(path.stem.upper(), path.stem)] if width == 1 else [f"{path.stem}_{i}" for i in range(width)]
        )
        rate = _number(rows[1][0], where, 2, "rate")
        body = [[_number(c, where, i + 3, str(j)) for j, c in enumerate(row)] for i, row in enumerate(rows[2:])]
        return np.asarray(body, dtype=np.float64).T, rate, names, meta.get("types"), ["read as an Empatica E4 export"]
    header = [name.strip() for name in rows[0]]
    if all(re.fullmatch(r"[-+0-9.eE]+", name) for name in header if name):
        raise SampleInputError(
            f"{where}: the first row holds numbers; a signal CSV starts with a header of channel names (an E4 "
            'export: name the sidecar {"layout": "e4"})'
        )
    body = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SampleInputError(f"{where}: row {number} has {len(row)} cells, the header {len(header)}")
        body.append([math.nan if not c.strip() else _number(c, where, number, header[j]) for j, c in enumerate(row)])
    table = np.asarray(body, dtype=np.float64).reshape(len(body), len(header))
    lower = [name.lower() for name in header]
    time_index = next((lower.index(name) for name in TIME_COLUMNS if name in lower), None)
    notes: list[str] = []
    rate = meta.get("sampling_rate")
    if time_index is not None:
        times = table[:, time_index]
        steps = np.diff(times)
        if times.size < 2 or not np.all(np.isfinite(steps)) or np.median(steps) <= 0:
            raise SampleInputError(f"{where}: the {header[time_index]!r} column is not increasing time in seconds")
        step = float(np.median(steps))
        if np.max(np.abs(steps - step)) > TIME_TOLERANCE * step:
            raise SampleInputError(
                f"{where}: the {header[time_index]!r} column is not uniform (steps {steps.min():g}–{steps.max():g} s); "
                "resample to a fixed rate first, or drop the column and give sampling_rate in the sidecar"
            )
        if rate is None:
            rate = 1.0 / step
        notes.append(f"rate {rate:g} Hz from the {header[time_index]!r} column")
    columns = [i for i in range(len(header)) if i != time_index]
    chosen = meta.get("channels")
    if chosen is not None:
        missing = [name for name in chosen if name not in header]
        if missing:
            raise SampleInputError(f"{where}: the sidecar names channel(s) {missing} the header lacks ({header})")
        columns = [header.index(name) for name in chosen]
    data = table[:, columns].T
    return data, rate, [header[i] for i in columns], meta.get("types"), notes


def read_edf(path: Path, meta: dict[str, Any]) -> Read:
    """An EDF/EDF+/BDF/BDF+ recording through pyEDFlib (module docstring)."""
    import numpy as np

    from emoeval.errors import MissingDependencyError

    where = str(path)
    try:
        import pyedflib
    except ImportError:
        raise MissingDependencyError(
            f"{where}: reading EDF/BDF needs pyEDFlib: pip install 'emoeval[signal]'"
        ) from None
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise SampleInputError(f"{where}: not a readable EDF/BDF file ({exc})") from None
    try:
        labels = [label.strip() for label in reader.getSignalLabels()]
        rates = [float(reader.getSampleFrequency(i)) for i in range(reader.signals_in_file)]
        keep = [i for i, label in enumerate(labels) if "annotation" not in label.lower()]
        if not keep:
            raise SampleInputError(f"{where}: the file holds no signal (only annotations)")
        signals = [np.asarray(reader.readSignal(i), dtype=np.float64) for i in keep]
    finally:
        reader.close()
    target = float(meta.get("sampling_rate") or rates[keep[0]])
    notes = []
    other = [labels[i] for i, _ in zip(keep, signals, strict=True) if not math.isclose(rates[i], target)]
    if other:
        signals = [
            resample_rows(x[None, :], rates[i], target)[0] if not math.isclose(rates[i], target) else x
            for i, x in zip(keep, signals, strict=True)
        ]
        notes.append(f"resampled to {target:g} Hz: {', '.join(other)}")
    length = min(x.size for x in signals)
    if any(x.size != length for x in signals):
        notes.append(f"channels cut to the shortest, {length} samples")
    names = meta.get("channels")
    data = np.vstack([x[:length] for x in signals])
    if names is not None:
        chosen = [labels[i] for i in keep]
        missing = [name for name in names if name not in chosen]
        if missing:
            raise SampleInputError(f"{where}: the sidecar names channel(s) {missing} the file lacks ({chosen})")
        data = data[[chosen.index(name) for name in names]]
        return data, target, names, meta.get("types"), notes
    return data, target, [labels[i] for i in keep], meta.get("types"), notes


def _strings(value: Any) -> list[str] | None:
    import numpy as np

    if value is None:
        return None
    array = np.asarray(value, dtype=object).ravel()
    return [str(np.asarray(item).ravel()[0]) if np.ndim(item) else str(item) for item in array]


def read_mat(path: Path, meta: dict[str, Any]) -> Read:
    """A MATLAB v5/v7 recording (module docstring)."""
    import numpy as np
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    where = str(path)
    with path.open("rb") as handle:
        head = handle.read(128)
    if b"MATLAB 7.3" in head or head.startswith(b"\x89HDF"):
        raise SampleInputError(
            f"{where}: a MATLAB v7.3 (HDF5) file; re-save it in MATLAB with save(name, '-v7'), or convert it to "
            ".npz (numpy.savez(out, data=..., sampling_rate=...))"
        )
    try:
        content = loadmat(str(path), simplify_cells=True)
    except (MatReadError, ValueError, OSError, NotImplementedError) as exc:
        raise SampleInputError(f"{where}: not a readable MATLAB file ({exc})") from None
    variable = meta.get("variable", "data")
    if variable not in content:
        arrays = sorted(k for k, v in content.items() if not k.startswith("__") and isinstance(v, np.ndarray))
        raise SampleInputError(
            f"{where}: no variable {variable!r}; name the signal's variable in the sidecar "
            f'({{"variable": "..."}}); arrays in the file: {arrays}'
        )
    array = np.asarray(content[variable])
    if array.dtype.kind not in "fiub" or array.ndim not in (1, 2):
        raise SampleInputError(
            f"{where}: {variable!r} must be a 1-d or 2-d numeric array, got {array.shape} {array.dtype}"
        )
    data = np.atleast_2d(array.astype(np.float64))
    orientation = meta.get("orientation")
    if orientation == "samples_first" or (orientation is None and data.shape[0] > data.shape[1]):
        data = data.T
    elif orientation not in (None, "channels_first", "samples_first"):
        raise SampleInputError(f"{where}: orientation must be 'channels_first' or 'samples_first', got {orientation!r}")
    rate = meta.get("sampling_rate")
    if rate is None:
        found = next((name for name in MAT_RATE_NAMES if name in content), None)
        rate = None if found is None else float(np.asarray(content[found]).ravel()[0])
    return (
        data,
        rate,
        _strings(meta.get("channels", content.get("channels"))),
        _strings(meta.get("types", content.get("types"))),
        [],
    )


def resample_rows(data: np.ndarray, rate: float, target: float) -> np.ndarray:
    """``data`` (channels × samples) at ``rate`` resampled to ``target`` Hz: :func:`scipy.signal.resample_poly`
    (a polyphase anti-aliasing FIR filter) with the ratio as a fraction of denominator ≤ 1000; unchanged when
    the rates are equal."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    if math.isclose(rate, target, rel_tol=1e-9):
        return data
    ratio = Fraction(target / rate).limit_denominator(1000)
    return resample_poly(data, ratio.numerator, ratio.denominator, axis=-1)


__all__ = ["E4_FILES", "MAT_RATE_NAMES", "TIME_COLUMNS", "read_csv", "read_edf", "read_mat", "resample_rows"]
