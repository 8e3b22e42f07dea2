"""Readers of the published layouts of emotional physiology datasets: DEAP, DREAMER, AMIGOS and WESAD.

:func:`convert` (``emoeval signals convert --layout deap SRC OUT``) writes one emoeval ``.npz`` per trial (or
per WESAD condition) into ``OUT`` and a ``manifest.csv`` that ``emoeval score`` reads (modality ``signal``) and
that names the labelled real set of the signal emotion probe (``--emotion-reference OUT/manifest.csv
--label-set deap``): columns ``sample_id, system, modality, path, subject, group, trial`` and the dataset's
ratings (``valence, arousal, dominance, liking``) or, for WESAD, ``condition`` and ``arousal``.

None of these datasets ships with emoeval or can be fetched by it: each needs its own licence agreement. The
layouts below are those of the datasets' documentation; the tests write files in these layouts and read them
back, but no real file of these datasets was read while writing this module.

- **DEAP** (Koelstra et al. 2012), ``data_preprocessed_matlab/sXX.mat``: ``data`` 40 trials × 40 channels × 8064
  samples at 128 Hz (a 3 s pre-trial baseline, then 60 s), ``labels`` 40 × 4 (valence, arousal, dominance,
  liking; 1–9). Channels 1–32 are EEG in the Geneva order (:data:`DEAP_EEG`), then hEOG, vEOG, zEMG, tEMG, GSR,
  respiration belt, plethysmograph, temperature. The baseline is cut unless ``keep_baseline``. Channel types
  kept by default: EEG, GSR, respiration, plethysmograph, temperature (the EOG is not a type emoeval reads, and
  EMG at 128 Hz is below the 200 Hz floor of :mod:`emoeval.media.signal_quality`). DEAP's documentation gives
  the GSR of its original recordings as skin resistance (Ω); ``gsr_to_conductance`` writes 10⁶ / R (µS), which
  the EDA descriptors' µS ranges expect — check the values of your copy first. The pickled
  ``data_preprocessed_python/*.dat`` are refused (:mod:`emoeval.media.signal`): use the MATLAB files.
- **DREAMER** (Katsigiannis & Ramzan 2018), ``DREAMER.mat``: struct ``DREAMER`` with ``Data`` (23 subjects),
  each with ``EEG.stimuli`` (18 film clips, samples × 14 at 128 Hz; Emotiv order AF3, F7, F3, FC5, T7, P7, O1,
  O2, P8, T8, FC6, F4, F8, AF4), ``ECG.stimuli`` (samples × 2 at 256 Hz) and ``ScoreValence``, ``ScoreArousal``,
  ``ScoreDominance`` (1–5). EEG and ECG are written together at 256 Hz: the EEG upsampled (a band-limited
  signal loses nothing), not the ECG downsampled (R-peak timing would lose precision); both cut to the shorter.
- **AMIGOS** (Miranda-Correa et al. 2021), ``Data_Preprocessed_PXX.mat``: ``joined_data`` (one cell per video:
  samples × 17 at 128 Hz — 14 EEG in the Emotiv order, ECG right, ECG left, GSR) and ``labels_selfassessment``
  (one row per video: arousal, valence, dominance, liking, familiarity, then seven basic emotions; 1–9 for the
  first four). Empty trials (a video a participant did not see) are skipped.
- **WESAD** (Schmidt et al. 2018), ``SX/SX_respiban.txt`` (the chest RespiBAN, 700 Hz, OpenSignals text: a JSON
  header line, then ``nSeq DI CH1…CH8`` = ECG, EDA, EMG, TEMP, ACC x/y/z, RESP as 16-bit ADC values) and
  ``SX/SX_quest.csv`` (the protocol: ``# ORDER``, ``# START``, ``# END`` rows in minutes.seconds). Each
  condition — Base(line), TSST (stress), Fun (amusement), Medi 1 / Medi 2 (meditation) — becomes one file of
  ECG, EDA, RESP and TEMP converted with the PLUX / WESAD-readme transfer functions (ECG mV, EDA µS, RESP % of
  full scale, TEMP °C). ``arousal`` is ``high`` for stress and amusement and ``low`` for baseline and meditation
  — emoeval's binarisation of the WESAD conditions, not a rating. ``SX.pkl`` is a pickle and is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.media.signal import Signal, infer_channel_type

LAYOUTS: tuple[str, ...] = ("deap", "dreamer", "amigos", "wesad")
DEAP_EEG: tuple[str, ...] = (
    "Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3", "O1", "Oz", "Pz",
    "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6", "CP2", "P4", "P8", "PO4", "O2",
)  # fmt: skip
DEAP_OTHER: tuple[tuple[str, str], ...] = (
    ("hEOG", "misc"),
    ("vEOG", "misc"),
    ("zEMG", "emg"),
    ("tEMG", "emg"),
    ("GSR", "eda"),
    ("Respiration", "rsp"),
    ("Plethysmograph", "ppg"),
    ("Temperature", "temp"),
)
DEAP_RATE = 128.0
DEAP_BASELINE_SECONDS = 3.0
DEAP_RATINGS: tuple[str, ...] = ("valence", "arousal", "dominance", "liking")
EMOTIV_EEG: tuple[str, ...] = ("AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4")
AMIGOS_RATINGS: tuple[str, ...] = ("arousal", "valence", "dominance", "liking", "familiarity")
#: the channel types each layout keeps unless asked otherwise
DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "deap": ("eeg", "eda", "rsp", "ppg", "temp"),
    "dreamer": ("eeg", "ecg"),
    "amigos": ("eeg", "ecg", "eda"),
    "wesad": ("ecg", "eda", "rsp", "temp"),
}
WESAD_RATE = 700.0
WESAD_CONDITIONS: dict[str, tuple[str, str]] = {  # protocol name → (condition, arousal)
    "Base": ("baseline", "low"),
    "TSST": ("stress", "high"),
    "Fun": ("amusement", "high"),
    "Medi 1": ("meditation", "low"),
    "Medi 2": ("meditation", "low"),
}


@dataclass(frozen=True)
class Trial:
    """One recording of a dataset: who, which trial, the signal, and its labels (ratings or condition)."""

    subject: str
    trial: str
    signal: Signal
    labels: dict[str, Any] = field(default_factory=dict)


def _signal(data: Any, rate: float, names: Sequence[str], types: Sequence[str], source: str) -> Signal:
    import numpy as np

    return Signal(np.asarray(data, dtype=np.float64), float(rate), tuple(names), tuple(types), source=source)


def _cells(value: Any) -> list[Any]:
    """A MATLAB cell array as a list (loadmat gives a list, an object array, or the one element itself)."""
    import numpy as np

    if isinstance(value, list):
        return value
    if isinstance(value, np.ndarray) and value.dtype == object:
        return list(value.ravel())
    return [value]


def _loadmat(path: Path) -> dict[str, Any]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        return loadmat(str(path), simplify_cells=True)
    except (MatReadError, ValueError, OSError, NotImplementedError) as exc:
        raise SampleInputError(f"{path}: not a readable MATLAB file ({exc})") from None


def read_deap(path: Path, *, keep_baseline: bool = False, gsr_to_conductance: bool = False) -> Iterator[Trial]:
    """The 40 trials of one DEAP participant file (module docstring)."""
    import numpy as np

    content = _loadmat(path)
    if "data" not in content or "labels" not in content:
        raise SampleInputError(f"{path}: a DEAP file holds 'data' and 'labels' (data_preprocessed_matlab/sXX.mat)")
    data, labels = np.asarray(content["data"], dtype=np.float64), np.asarray(content["labels"], dtype=np.float64)
    if data.ndim != 3 or data.shape[1] != 40 or labels.shape != (data.shape[0], 4):
        raise SampleInputError(f"{path}: expected data trials × 40 × samples and labels trials × 4, got {data.shape}")
    names = [*DEAP_EEG, *(name for name, _ in DEAP_OTHER)]
    types = ["eeg"] * len(DEAP_EEG) + [kind for _, kind in DEAP_OTHER]
    start = 0 if keep_baseline else round(DEAP_BASELINE_SECONDS * DEAP_RATE)
    for index in range(data.shape[0]):
        trial = data[index, :, start:].copy()
        if gsr_to_conductance:
            gsr = names.index("GSR")
            with np.errstate(divide="ignore"):
                trial[gsr] = np.where(trial[gsr] > 0, 1e6 / trial[gsr], np.nan)
        yield Trial(
            subject=path.stem,
            trial=f"t{index + 1:02d}",
            signal=_signal(trial, DEAP_RATE, names, types, f"{path}#trial{index + 1}"),
            labels=dict(zip(DEAP_RATINGS, labels[index].tolist(), strict=True)),
        )


def read_dreamer(path: Path) -> Iterator[Trial]:
    """Every subject's film-clip trials of ``DREAMER.mat`` (module docstring)."""
    import numpy as np

    from emoeval.media.signal_formats import resample_rows

    root = _loadmat(path).get("DREAMER")
    if not isinstance(root, dict) or "Data" not in root:
        raise SampleInputError(f"{path}: no struct DREAMER with a Data field (is this DREAMER.mat?)")
    eeg_rate = float(root.get("EEG_SamplingRate", 128))
    ecg_rate = float(root.get("ECG_SamplingRate", 256))
    subjects = _cells(root["Data"])
    for number, subject in enumerate(subjects, start=1):
        eeg_trials, ecg_trials = _cells(subject["EEG"]["stimuli"]), _cells(subject["ECG"]["stimuli"])
        scores = {
            name: np.atleast_1d(np.asarray(subject[f"Score{name.capitalize()}"], dtype=np.float64))
            for name in ("valence", "arousal", "dominance")
        }
        for index, (eeg, ecg) in enumerate(zip(eeg_trials, ecg_trials, strict=True)):
            eeg_up = resample_rows(np.asarray(eeg, dtype=np.float64).T, eeg_rate, ecg_rate)
            ecg_rows = np.asarray(ecg, dtype=np.float64).T
            length = min(eeg_up.shape[1], ecg_rows.shape[1])
            data = np.vstack([eeg_up[:, :length], ecg_rows[:, :length]])
            names = [*EMOTIV_EEG, "ECG1", "ECG2"]
            yield Trial(
                subject=f"s{number:02d}",
                trial=f"t{index + 1:02d}",
                signal=_signal(data, ecg_rate, names, ["eeg"] * 14 + ["ecg", "ecg"], f"{path}#s{number}t{index + 1}"),
                labels={name: float(values[index]) for name, values in scores.items()},
            )


def read_amigos(path: Path) -> Iterator[Trial]:
    """The video trials of one AMIGOS participant file (module docstring)."""
    import numpy as np

    content = _loadmat(path)
    if "joined_data" not in content or "labels_selfassessment" not in content:
        raise SampleInputError(f"{path}: an AMIGOS file holds joined_data and labels_selfassessment")
    trials, ratings = _cells(content["joined_data"]), _cells(content["labels_selfassessment"])
    names = [*EMOTIV_EEG, "ECG Right", "ECG Left", "GSR"]
    types = ["eeg"] * 14 + ["ecg", "ecg", "eda"]
    for index, (data, rating) in enumerate(zip(trials, ratings, strict=True)):
        array = np.asarray(data, dtype=np.float64)
        if array.size == 0:
            continue  # a video this participant did not see
        values = np.atleast_1d(np.asarray(rating, dtype=np.float64))
        yield Trial(
            subject=path.stem.replace("Data_Preprocessed_", ""),
            trial=f"v{index + 1:02d}",
            signal=_signal(array.T, 128.0, names, types, f"{path}#video{index + 1}"),
            labels={name: float(values[i]) for i, name in enumerate(AMIGOS_RATINGS) if i < values.size},
        )


def _minutes(value: str) -> float:
    """WESAD's minutes.seconds ("7.08" = 7 min 8 s) in seconds."""
    minutes, _, seconds = value.strip().partition(".")
    return 60.0 * int(minutes) + (int(seconds.ljust(2, "0")[:2]) if seconds else 0)


def wesad_units(raw: Any, sensor: str) -> Any:
    """A RespiBAN channel's 16-bit ADC values in physical units (PLUX transfer functions, as in WESAD's readme):
    ECG and EMG mV, EDA µS, RESP % of full scale, TEMP °C."""
    import numpy as np

    chan_bit, vcc = 2.0**16, 3.0
    x = np.asarray(raw, dtype=np.float64)
    if sensor in ("ECG", "EMG"):
        return (x / chan_bit - 0.5) * vcc
    if sensor == "EDA":
        return (x / chan_bit) * vcc / 0.12
    if sensor == "RESP":
        return (x / chan_bit - 0.5) * 100.0
    if sensor == "TEMP":
        vout = x * vcc / (chan_bit - 1.0)
        rntc = 1e4 * vout / (vcc - vout)
        log = np.log(rntc)
        return -273.15 + 1.0 / (1.12764514e-3 + 2.34282709e-4 * log + 8.77303013e-8 * log**3)
    raise ValueError(f"no transfer function for {sensor!r}")


def read_wesad(folder: Path) -> Iterator[Trial]:
    """The protocol conditions of one WESAD subject folder ``SX`` (module docstring)."""
    import numpy as np

    subject = folder.name
    chest, quest = folder / f"{subject}_respiban.txt", folder / f"{subject}_quest.csv"
    for needed in (chest, quest):
        if not needed.is_file():
            raise SampleInputError(f"{needed}: missing; a WESAD subject folder holds SX_respiban.txt and SX_quest.csv")
    header: dict[str, Any] = {}
    lines = chest.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in lines:
        if line.startswith("# {"):
            device = json.loads(line[2:])
            header = next(iter(device.values())) if device else {}
    columns = header.get("column") or ["nSeq", "DI", *(f"CH{i}" for i in range(1, 9))]
    sensors = header.get("sensor") or ["ECG", "EDA", "EMG", "TEMP", "XYZ", "XYZ", "XYZ", "RESP"]
    rate = float(header.get("sampling rate", WESAD_RATE))
    body = np.loadtxt([line for line in lines if line and not line.startswith("#")], dtype=np.float64, ndmin=2)
    channels = {
        sensor: body[:, columns.index(f"CH{i}")] for i, sensor in enumerate(sensors, start=1) if sensor != "XYZ"
    }
    rows: dict[str, list[str]] = {}
    for line in quest.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [cell.strip() for cell in line.split(";")]
        if cells and cells[0] in ("# ORDER", "# START", "# END"):
            rows[cells[0]] = cells[1:]
    if not all(key in rows for key in ("# ORDER", "# START", "# END")):
        raise SampleInputError(f"{quest}: no '# ORDER', '# START' and '# END' rows (WESAD's protocol file)")
    kept = ("ECG", "EDA", "RESP", "TEMP")
    for name, start, end in zip(rows["# ORDER"], rows["# START"], rows["# END"], strict=False):
        if name not in WESAD_CONDITIONS or not start or not end:
            continue
        condition, arousal = WESAD_CONDITIONS[name]
        first, last = round(_minutes(start) * rate), round(_minutes(end) * rate)
        data = np.vstack([wesad_units(channels[sensor][first:last], sensor) for sensor in kept])
        yield Trial(
            subject=subject,
            trial=name.lower().replace(" ", ""),
            signal=_signal(data, rate, kept, [infer_channel_type(s) for s in kept], f"{chest}#{name}"),
            labels={"condition": condition, "arousal": arousal},
        )


def _sources(layout: str, source: Path) -> list[Path]:
    patterns = {"deap": "s*.mat", "amigos": "Data_Preprocessed_P*.mat"}
    if layout == "dreamer":
        return [source if source.is_file() else source / "DREAMER.mat"]
    if layout == "wesad":
        return (
            [source]
            if (source / f"{source.name}_quest.csv").is_file()
            else sorted(p for p in source.iterdir() if p.is_dir() and (p / f"{p.name}_quest.csv").is_file())
        )
    if source.is_file():
        return [source]
    if layout == "deap" and any(source.glob("*.dat")) and not any(source.glob(patterns["deap"])):
        raise RunConfigError(
            f"{source}: DEAP's data_preprocessed_python/*.dat are pickles, which emoeval does not open (unpickling "
            "runs code); convert the data_preprocessed_matlab/sXX.mat files instead"
        )
    return sorted(source.glob(patterns[layout]))


def convert(
    layout: str,
    source: str | Path,
    out: str | Path,
    *,
    channel_types: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
    keep_baseline: bool = False,
    gsr_to_conductance: bool = False,
) -> dict[str, Any]:
    """Write a dataset in ``layout`` as emoeval ``.npz`` files and a ``manifest.csv`` (module docstring); returns
    a summary (files, subjects, trials, seconds, manifest path)."""
    import pandas as pd

    from emoeval.csv_safe import write_csv
    from emoeval.media.signal import write_npz

    if layout not in LAYOUTS:
        raise RunConfigError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    root, target = Path(source).expanduser(), Path(out).expanduser()
    if not root.exists():
        raise RunConfigError(f"{root}: not found (the {layout} dataset's folder or file)")
    paths = _sources(layout, root)
    if not paths:
        raise RunConfigError(f"{root}: no {layout} file found (module emoeval.media.signal_datasets lists the layout)")
    kinds = tuple(channel_types or DEFAULT_TYPES[layout])
    target.mkdir(parents=True, exist_ok=True)
    rows, seconds = [], 0.0
    for path in paths:
        if layout == "deap":
            trials = read_deap(path, keep_baseline=keep_baseline, gsr_to_conductance=gsr_to_conductance)
        elif layout == "dreamer":
            trials = read_dreamer(path)
        elif layout == "amigos":
            trials = read_amigos(path)
        else:
            trials = read_wesad(path)
        for trial in trials:
            if subjects and trial.subject not in subjects:
                continue
            signal = trial.signal.select(kinds)
            name = f"{trial.subject}_{trial.trial}"
            file = write_npz(target / f"{name}.npz", signal.data, signal.rate, signal.channels, signal.types)
            seconds += signal.duration
            rows.append(
                {
                    "sample_id": f"{layout}/{name}",
                    "system": layout,
                    "modality": "signal",
                    "path": file.name,
                    "subject": trial.subject,
                    "group": trial.subject,
                    "trial": trial.trial,
                    **{
                        key: (value if not isinstance(value, float) or math.isfinite(value) else None)
                        for key, value in trial.labels.items()
                    },
                }
            )
    if not rows:
        raise RunConfigError(
            f"{root}: no trial of the {layout} layout was found" + (f" for {subjects}" if subjects else "")
        )
    manifest = write_csv(pd.DataFrame(rows), target / "manifest.csv")
    return {
        "layout": layout,
        "files": len(rows),
        "subjects": len({row["subject"] for row in rows}),
        "seconds": seconds,
        "channel_types": list(kinds),
        "manifest": str(manifest),
    }


__all__ = ["LAYOUTS", "Trial", "convert", "read_amigos", "read_deap", "read_dreamer", "read_wesad", "wesad_units"]
