"""Baselines: the part of a results run a gate compares with, small enough to commit, diffing cleanly.

``save_baseline(results, "baseline.csv")`` (or ``.parquet``; ``emoeval baseline save RESULTS -o FILE``) keeps

- **per-sample rows**: metric, sub_metric, system, sample_id, group, target_emotion, value, error flag,
  higher_is_better, headline (error texts are left out: the flag is what the gate counts);
- **system rows** other than plain means (corpus metrics such as FD, KID, distinct-n, and a sample metric's own
  system values such as macro-F1) with their interval and, for corpus metrics, the **bootstrap draws** the run
  computed for that interval (``draws_kind`` ``bootstrap`` or ``jackknife``; see :mod:`emoeval.runner.draws`);
  rows without a direction (confusion counts) are left out;
- **provenance** per metric label: metric_version, model, model_sha256, params, emoeval_version, config_hash;
- one ``meta`` row (``params`` holds JSON: the baseline format, run id, config hash, source, bootstrap settings).

Everything is one table with a ``kind`` column (``meta``, ``provenance``, ``system``, ``sample``). The CSV is
the copy that diffs cleanly: rows sorted, floats written as ``repr(float)`` (the shortest spelling that reads
back to the same float), NaN as an empty cell, booleans ``true``/``false``, draws ``;``-joined, LF line ends, no
index, and spreadsheet-safe (:mod:`emoeval.csv_safe`: a text cell that a spreadsheet would evaluate gets a
leading ``'``, which :func:`load_baseline` strips again). Two saves of the same results give the same bytes.
The Parquet copy holds the same table (draws as a list column).

A results folder (or a :class:`~emoeval.results.Results`) can stand in for a baseline file anywhere:
:func:`load_baseline` accepts each.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.csv_safe import FORMULA_TRIGGERS, neutralize_cell
from emoeval.gate.errors import GateError

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.results import Results

#: version of the baseline file layout (the ``meta`` row records it)
BASELINE_FORMAT = 1
SAMPLE_COLUMNS: tuple[str, ...] = (
    "metric",
    "sub_metric",
    "system",
    "sample_id",
    "group",
    "target_emotion",
    "value",
    "error",
    "higher_is_better",
    "headline",
)
SYSTEM_COLUMNS: tuple[str, ...] = (
    "metric",
    "sub_metric",
    "system",
    "target_emotion",
    "label",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "error",
    "higher_is_better",
    "headline",
    "draws_kind",
    "draws",
)
PROVENANCE_FIELDS: tuple[str, ...] = (
    "metric_version",
    "model",
    "model_sha256",
    "params",
    "emoeval_version",
    "config_hash",
)
FILE_COLUMNS: tuple[str, ...] = (
    "kind",
    "metric",
    "sub_metric",
    "system",
    "target_emotion",
    "label",
    "statistic",
    "sample_id",
    "group",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "error",
    "higher_is_better",
    "headline",
    "draws_kind",
    "draws",
    *PROVENANCE_FIELDS,
)
_FLOATS = ("value", "ci_low", "ci_high")
_BOOLS = ("error", "higher_is_better", "headline")
_KIND_ORDER = {"meta": 0, "provenance": 1, "system": 2, "sample": 3}
_SORT = ("metric", "sub_metric", "system", "target_emotion", "label", "statistic", "sample_id")
SUFFIXES = (".csv", ".parquet")


@dataclass
class Baseline:
    """What a gate compares with: per-sample values, system rows (with corpus draws) and provenance.

    ``samples``: one row per (metric, sub_metric, system, sample) (:data:`SAMPLE_COLUMNS`; ``error`` is a flag).
    ``system_rows``: system rows other than means (:data:`SYSTEM_COLUMNS`; ``draws`` holds a float array or
    None). ``provenance``: metric label → {metric_version, model, model_sha256, params, emoeval_version,
    config_hash}. ``info``: run id, config hash, emoeval version, source and bootstrap settings of the run.
    ``source`` says where it was read from (a file or a results folder).
    """

    samples: pd.DataFrame
    system_rows: pd.DataFrame
    provenance: dict[str, dict[str, str]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def system_names(self) -> list[str]:
        """Systems the baseline holds rows of, sorted."""
        names = set(self.samples["system"].dropna().astype(str)) | set(self.system_rows["system"].dropna().astype(str))
        return sorted(names)

    def metrics(self) -> list[str]:
        """Metric labels the baseline holds rows of, sorted."""
        names = set(self.samples["metric"].dropna().astype(str)) | set(self.system_rows["metric"].dropna().astype(str))
        return sorted(names)

    def only_systems(self, systems: Iterable[str]) -> Baseline:
        """A copy holding only the rows of ``systems`` (an unknown name is an error naming the known ones)."""
        wanted = list(systems)
        unknown = [name for name in wanted if name not in self.system_names()]
        if unknown:
            raise GateError(
                f"no system {', '.join(map(repr, unknown))} in {self.source or 'the results'}; "
                f"systems: {', '.join(self.system_names())}"
            )
        return Baseline(
            samples=self.samples[self.samples["system"].isin(wanted)].reset_index(drop=True),
            system_rows=self.system_rows[self.system_rows["system"].isin(wanted)].reset_index(drop=True),
            provenance=dict(self.provenance),
            info=dict(self.info),
            source=self.source,
        )

    # -- the file table ---------------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The baseline as one sorted table with a ``kind`` column (:data:`FILE_COLUMNS`): what the files hold."""
        import pandas as pd

        records: list[dict[str, Any]] = [{"kind": "meta", "params": json.dumps(self.info, sort_keys=True)}]
        used = set(self.metrics())
        for metric, fields_of in self.provenance.items():
            if metric in used:
                records.append({"kind": "provenance", "metric": metric, **fields_of})
        for row in self.system_rows.to_dict(orient="records"):
            records.append({"kind": "system", **row})
        for row in self.samples.to_dict(orient="records"):
            records.append({"kind": "sample", **row})
        frame = pd.DataFrame(records, columns=list(FILE_COLUMNS))
        keys = frame[["kind", *_SORT]].astype(object).where(frame[["kind", *_SORT]].notna(), "").astype(str)
        order = sorted(range(len(frame)), key=lambda i: (_KIND_ORDER[keys.at[i, "kind"]], *keys.loc[i, list(_SORT)]))
        frame = frame.iloc[order].reset_index(drop=True)
        return _typed(frame)

    def save(self, path: str | Path) -> Path:
        """Write the baseline to ``path`` (``.csv`` or ``.parquet``, by suffix); return the path."""
        from emoeval.runner.folder import atomic_write_text

        target = Path(path).expanduser()
        suffix = target.suffix.lower()
        if suffix not in SUFFIXES:
            raise GateError(f"a baseline file ends in .csv or .parquet, got {target.name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = self.to_frame()
        if suffix == ".csv":
            atomic_write_text(target, _csv_text(frame))
        else:
            temporary = target.with_name(f".{target.name}.tmp")
            try:
                parquet = frame.copy()
                parquet["draws"] = [None if d is None else [float(x) for x in d] for d in parquet["draws"]]
                parquet.to_parquet(temporary, index=False)
                temporary.replace(target)
            finally:
                temporary.unlink(missing_ok=True)
        return target

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "") -> Baseline:
        """A baseline from its file table (:meth:`to_frame`)."""
        missing = [column for column in FILE_COLUMNS if column not in frame.columns]
        if missing:
            raise GateError(
                f"{source or 'the table'} is not an emoeval baseline: it lacks column(s) {', '.join(missing)}"
            )
        frame = _typed(frame[list(FILE_COLUMNS)].reset_index(drop=True))
        kinds = frame["kind"].astype(str)
        info: dict[str, Any] = {}
        meta = frame[kinds == "meta"]
        if len(meta):
            try:
                info = json.loads(str(meta["params"].iloc[0]))
            except ValueError:
                raise GateError(f"{source}: the meta row of the baseline is not JSON") from None
        if int(info.get("format", BASELINE_FORMAT)) > BASELINE_FORMAT:
            raise GateError(
                f"{source} was written in baseline format {info.get('format')} by a newer emoeval; upgrade emoeval"
            )
        provenance = {
            str(row["metric"]): {name: _text(row[name]) for name in PROVENANCE_FIELDS}
            for row in frame[kinds == "provenance"].to_dict(orient="records")
        }
        samples = _canonical(frame.loc[kinds == "sample", list(SAMPLE_COLUMNS)])
        system_rows = _canonical(frame.loc[kinds == "system", list(SYSTEM_COLUMNS)])
        return cls(samples=samples, system_rows=system_rows, provenance=provenance, info=info, source=source)

    @classmethod
    def from_results(cls, results: Results, *, source: str = "") -> Baseline:
        """The baseline part of a results run (its corpus draws included when the run saved them)."""
        import numpy as np
        import pandas as pd

        table = results.table
        run = results.run or {}
        scope = table["scope"].astype("string")
        error = table["error"].astype("string")
        failed = error.notna() & (error.str.strip() != "")
        samples = table[scope == "sample"].copy()
        samples["error"] = failed[scope == "sample"].astype(bool)
        samples = samples[list(SAMPLE_COLUMNS)].reset_index(drop=True)
        statistic = table["statistic"].astype("string")
        direction = table["higher_is_better"]
        chosen = (scope == "system") & (statistic != "mean") & direction.notna()
        system_rows = table[chosen].copy()
        system_rows["error"] = failed[chosen].astype(bool)
        draws = getattr(results, "corpus_draws", None) or {}
        kinds, arrays = [], []
        for row in system_rows.itertuples(index=False):
            emotion = None if pd.isna(row.target_emotion) else str(row.target_emotion)
            found = draws.get((str(row.metric), str(row.system), emotion, str(row.sub_metric)))
            kinds.append(None if found is None else found.kind)
            arrays.append(None if found is None else np.asarray(found.draws, dtype=np.float64))
        system_rows["draws_kind"] = kinds
        system_rows["draws"] = arrays
        system_rows = system_rows[list(SYSTEM_COLUMNS)].reset_index(drop=True)
        provenance: dict[str, dict[str, str]] = {}
        for metric, rows in table.groupby(table["metric"].astype(str), sort=True):
            provenance[metric] = {name: _first_text(rows[name]) for name in PROVENANCE_FIELDS}
        bootstrap = (run.get("config") or {}).get("bootstrap") or {}
        info = {
            "format": BASELINE_FORMAT,
            "run_id": str(run.get("run_id", "")),
            "config_hash": str(run.get("config_hash", "")),
            "emoeval_version": str(run.get("emoeval_version", "")),
            "bootstrap": {key: bootstrap[key] for key in sorted(bootstrap)},
        }
        return cls(
            samples=_canonical(_typed_part(samples)),
            system_rows=_canonical(_typed_part(system_rows)),
            provenance=provenance,
            info=info,
            source=source,
        )


# -- typing, formatting ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or _is_na(value) else str(value)


def _is_na(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _first_text(series: pd.Series) -> str:
    known = series.dropna()
    return str(known.iloc[0]) if len(known) else ""


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the baseline's row order: by the sort columns it has, as text (missing first)."""
    keys = [column for column in _SORT if column in frame.columns]
    text = frame[keys].astype(object).where(frame[keys].notna(), "").astype(str)
    order = sorted(range(len(frame)), key=lambda i: tuple(text.iloc[i]))
    return frame.iloc[order].reset_index(drop=True)


def _typed_part(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if column in _FLOATS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column == "n":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        elif column in _BOOLS:
            frame[column] = frame[column].astype("boolean")
        elif column == "draws":
            frame[column] = frame[column].astype(object)
        else:
            frame[column] = frame[column].astype("string")
    return frame


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    frame = _typed_part(frame)
    frame["draws"] = pd.Series([_as_draws(value) for value in frame["draws"]], index=frame.index, dtype=object)
    return frame


def _as_draws(value: Any) -> Any:
    """Draws as a float64 array (from an array, a list, or ``;``-joined text), or None."""
    import numpy as np

    if value is None or _is_na(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return np.asarray([float(part) for part in text.split(";")], dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def _format_float(value: Any) -> str:
    if value is None or _is_na(value):
        return ""
    return repr(float(value))


def _cell(column: str, value: Any) -> str:
    """One CSV cell: stable number spelling, ``true``/``false``, draws ``;``-joined; spreadsheet-safe."""
    if column == "draws":
        text = "" if value is None else ";".join(repr(float(x)) for x in value)
    elif column in _FLOATS:
        text = _format_float(value)
    elif value is None or _is_na(value):
        text = ""
    elif column in _BOOLS:
        text = "true" if bool(value) else "false"
    elif column == "n":
        text = str(int(value))
    else:
        text = str(value)
    return str(neutralize_cell(text))


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralize_cell(column) for column in FILE_COLUMNS])
    for row in frame[list(FILE_COLUMNS)].itertuples(index=False):
        writer.writerow([_cell(column, value) for column, value in zip(FILE_COLUMNS, row, strict=True)])
    return buffer.getvalue()


def _unneutralize(text: str) -> str:
    """Undo :func:`emoeval.csv_safe.neutralize_cell`: drop one leading ``'`` before a formula trigger."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise GateError(f"{path} is empty; write a baseline with `emoeval baseline save RESULTS -o {path.name}`")
    header = [_unneutralize(cell) for cell in rows[0]]
    records = []
    for row in rows[1:]:
        cells = [_unneutralize(cell) for cell in row]
        record: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=False):
            if column in _BOOLS:
                record[column] = None if cell == "" else cell.strip().lower() == "true"
            elif column in _FLOATS or column == "n":
                record[column] = None if cell == "" else float(cell)
            else:
                record[column] = None if cell == "" else cell
        records.append(record)
    return pd.DataFrame(records, columns=header)


# -- public functions -----------------------------------------------------------------------------------------------


def _results_of(source: str | Path | Results) -> tuple[Results, str]:
    from emoeval.errors import EmoevalError
    from emoeval.results import Results, load_results

    if isinstance(source, Results):
        return source, f"results {source.run_id}".strip()
    path = Path(source).expanduser()
    try:
        return load_results(path), str(path)
    except EmoevalError as exc:
        raise GateError(str(exc)) from None


def save_baseline(
    results: str | Path | Results | Baseline, path: str | Path, *, systems: Sequence[str] | None = None
) -> Path:
    """Write the baseline part of ``results`` (a results folder, a :class:`~emoeval.results.Results`, or a
    baseline) to ``path`` (``.csv`` diffs cleanly, ``.parquet`` is compact); ``systems`` keeps only those systems.
    Returns the path written."""
    baseline = results if isinstance(results, Baseline) else load_baseline(results)
    if isinstance(systems, str):
        systems = [systems]
    if systems:
        baseline = baseline.only_systems(systems)
    return baseline.save(path)


def load_baseline(path_or_results_folder: str | Path | Results | Baseline) -> Baseline:
    """A baseline from a baseline file (``.csv``/``.parquet``), a results folder (or its ``results.parquet``),
    a :class:`~emoeval.results.Results` object, or a :class:`Baseline` (returned as it is).

    Raises :class:`~emoeval.gate.errors.GateError` naming the path when it is neither.
    """
    import pandas as pd

    from emoeval.results import RESULTS_PARQUET, Results

    source = path_or_results_folder
    if isinstance(source, Baseline):
        return source
    if isinstance(source, Results):
        results, where = _results_of(source)
        return Baseline.from_results(results, source=where)
    path = Path(source).expanduser()
    if path.is_dir():
        results, where = _results_of(path)
        return Baseline.from_results(results, source=where)
    if not path.is_file():
        raise GateError(f"no baseline or results folder at {path}")
    suffix = path.suffix.lower()
    if path.name == RESULTS_PARQUET or (path.name == "results.csv" and (path.parent / RESULTS_PARQUET).exists()):
        results, where = _results_of(path.parent)
        return Baseline.from_results(results, source=where)
    try:
        if suffix == ".csv":
            frame = _read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            raise GateError(f"{path}: a baseline is a .csv or .parquet file, or a results folder")
    except (OSError, ValueError) as exc:
        raise GateError(f"cannot read the baseline {path}: {exc}") from None
    if "kind" not in frame.columns and "scope" in frame.columns:
        raise GateError(
            f"{path} is a results table, not a baseline: pass its results folder, or save a baseline with "
            f"`emoeval baseline save {path.parent} -o baseline.csv`"
        )
    return Baseline.from_frame(frame, source=str(path))


__all__ = [
    "BASELINE_FORMAT",
    "FILE_COLUMNS",
    "SAMPLE_COLUMNS",
    "SYSTEM_COLUMNS",
    "Baseline",
    "load_baseline",
    "save_baseline",
]
