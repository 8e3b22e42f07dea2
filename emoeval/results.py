"""Results: one long tidy table with provenance, written next to a run manifest.

One row per (system, sample or system-level statistic, metric, sub-metric). Columns:

==================  ===========================================================================================
``run_id``          the run that produced the row
``system``          generator name
``scope``           ``sample`` (one sample's value) or ``system`` (an aggregate over a system's samples)
``statistic``       ``value`` for sample rows; ``mean`` (mean of sample values) or ``corpus`` (a corpus metric)
``sample_id``       the sample (empty for system rows)
``group``           the sample's group (paired statistics), ``target_emotion`` its target emotion
``metric``          the metric's label: its name, or ``name(k=v, ...)`` with the parameters that differ from their
                    defaults (e.g. ``face_emotion_accuracy(recognizer=deepface-emotion)``); ``sub_metric`` the
                    output of that metric
``value``           the number (NaN when ``error`` says why)
``ci_low/ci_high``  bootstrap confidence interval of system rows (NaN for sample rows, or fewer than 2 values)
``n``               number of values behind the row
``higher_is_better`` direction of the sub-metric; ``headline`` true when it is the metric's headline output
``label``           a categorical value when the metric has one (a predicted emotion...)
``error``           why this sample could not be scored; ``warning`` a caveat on a value that was scored
provenance          ``metric_version``, ``params`` (every parameter of the metric, JSON), ``model`` (name@version,
                    ``+``-joined), ``model_sha256`` (weights hash, ``+``-joined), ``emoeval_version``,
                    ``config_hash``, ``created_at`` (UTC, ISO 8601)
==================  ===========================================================================================

On disk: ``results.parquet`` (the reference copy), ``results.csv`` (the same table, spreadsheet-safe: a text
cell starting with ``= + - @``, tab or CR gets a leading ``'``, see :mod:`emoeval.csv_safe`) and ``run.json``
(inputs, configuration, models with weight hashes, environment). Pivot to wide form only for display
(:meth:`Results.summary`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.csv_safe import write_csv
from emoeval.errors import EmoevalError

if TYPE_CHECKING:
    import pandas as pd

RESULT_COLUMNS: tuple[str, ...] = (
    "run_id",
    "system",
    "scope",
    "statistic",
    "sample_id",
    "group",
    "target_emotion",
    "metric",
    "sub_metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "higher_is_better",
    "headline",
    "label",
    "error",
    "warning",
    "metric_version",
    "params",
    "model",
    "model_sha256",
    "emoeval_version",
    "config_hash",
    "created_at",
)
_FLOAT_COLUMNS = ("value", "ci_low", "ci_high")
RESULTS_PARQUET = "results.parquet"
RESULTS_CSV = "results.csv"
RUN_JSON = "run.json"


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A results table with the standard columns and dtypes from row dicts."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for column in _FLOAT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").astype("Int64")
    for column in ("higher_is_better", "headline"):
        frame[column] = frame[column].astype("boolean")
    for column in RESULT_COLUMNS:
        if column not in (*_FLOAT_COLUMNS, "n", "higher_is_better", "headline"):
            frame[column] = frame[column].astype("string")
    return frame


@dataclass
class Results:
    """A run's results table (long form) and its run manifest.

    ``corpus_draws``: the resampled values behind each corpus interval, keyed by (metric label, system, target
    emotion or None, sub-metric) (:mod:`emoeval.runner.draws`; saved under ``artifacts/bootstrap/`` by
    :meth:`write`, read back by :func:`load_results`); what ``emoeval gate`` compares corpus metrics with.
    """

    table: pd.DataFrame
    run: dict[str, Any]
    corpus_draws: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return str(self.run.get("run_id", ""))

    def samples(self) -> pd.DataFrame:
        """Per-sample rows."""
        return self.table[self.table["scope"] == "sample"].reset_index(drop=True)

    def systems(self) -> pd.DataFrame:
        """System-level rows (means of sample metrics, corpus metrics), with confidence intervals."""
        return self.table[self.table["scope"] == "system"].reset_index(drop=True)

    def errors(self) -> pd.DataFrame:
        """Rows of samples that could not be scored, with the reason."""
        return self.table[self.table["error"].notna()].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """View for display: one row per system × (metric, sub-metric[, emotion, label]), value and interval.

        ``target_emotion`` and ``label`` are set on per-emotion rows (per-emotion FID, per-class recall) and on
        confusion-matrix cells (true → predicted)."""
        systems = self.systems()
        columns = [
            "system",
            "metric",
            "sub_metric",
            "target_emotion",
            "label",
            "value",
            "ci_low",
            "ci_high",
            "n",
            "higher_is_better",
        ]
        order = ["metric", "sub_metric", "target_emotion", "label", "system"]
        return systems[columns].sort_values(order, kind="stable", na_position="first").reset_index(drop=True)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``results.parquet``, ``results.csv`` and ``run.json`` into ``out_dir``; return the folder."""
        from emoeval.runner.folder import atomic_write_text

        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        # Each file through a temporary copy and a rename, run.json last: an interrupted write leaves the
        # previous files whole, and a run.json always describes a table that is complete.
        for name, write in ((RESULTS_PARQUET, self._write_parquet), (RESULTS_CSV, self._write_csv)):
            temporary = folder / f".{name}.tmp"
            try:
                write(temporary)
                temporary.replace(folder / name)
            finally:
                temporary.unlink(missing_ok=True)
        self._write_draws(folder)
        atomic_write_text(folder / RUN_JSON, json.dumps(self.run, indent=2, sort_keys=True, default=str) + "\n")
        return folder

    def _write_draws(self, folder: Path) -> None:
        from emoeval.runner.draws import save_corpus_draws

        by_metric: dict[str, dict[tuple[Any, ...], Any]] = {}
        for (metric, *key), found in self.corpus_draws.items():
            by_metric.setdefault(metric, {})[tuple(key)] = found
        for metric, draws in by_metric.items():
            save_corpus_draws(folder, metric, draws, config_hash=str(self.run.get("config_hash", "")))

    def _write_parquet(self, path: Path) -> None:
        self.table.to_parquet(path, index=False)

    def _write_csv(self, path: Path) -> None:
        write_csv(self.table, path)


def load_results(path: str | Path) -> Results:
    """Read a results folder written by :func:`emoeval.score` (or its ``results.parquet`` directly)."""
    import pandas as pd

    location = Path(path).expanduser()
    folder = location.parent if location.is_file() else location
    parquet = folder / RESULTS_PARQUET
    if not parquet.exists():
        from emoeval.runner.folder import PARTIAL_ROWS, RUN_PARTIAL_JSON

        unfinished = (folder / PARTIAL_ROWS).exists() or (folder / RUN_PARTIAL_JSON).exists()
        hint = " (an unfinished run is there: run the same `emoeval score` again to resume it)" if unfinished else ""
        raise EmoevalError(f"no {RESULTS_PARQUET} in {folder}{hint}")
    table = pd.read_parquet(parquet)
    run_file = folder / RUN_JSON
    run = json.loads(run_file.read_text()) if run_file.exists() else {}
    from emoeval.runner.draws import load_corpus_draws

    draws = load_corpus_draws(folder, config_hash=run.get("config_hash"))
    return Results(table=results_frame(table.to_dict(orient="records")), run=run, corpus_draws=draws)
