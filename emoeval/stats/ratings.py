"""Human ratings: reading them (long or wide form), and excluding unusable values openly.

A ratings file is CSV, JSONL or Parquet, either **long** (columns ``sample_id, rater, rating``; an optional
``system`` column is kept) or **wide** (``sample_id`` and one column per rater). Values that are missing, not
numbers (FED's ``"N/A (...)"``) or outside the declared ``scale`` are never coerced: they are removed and
listed in :attr:`Ratings.excluded` with the reason, and the count is a warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.stats._result import StatsError

if TYPE_CHECKING:
    import pandas as pd

LONG_COLUMNS = ("sample_id", "rater", "rating")


class RatingsError(StatsError):
    """A ratings table cannot be used as asked."""


def _parse_rating(raw: Any, scale: tuple[float, float] | None) -> tuple[float | None, str | None]:
    """(value, None) for a usable rating, else (None, reason)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None, "missing"
    if isinstance(raw, bool):
        return None, f"not a number: {raw!r}"
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None, "missing"
        try:
            value = float(text)
        except ValueError:
            return None, f"not a number: {text!r}"
    if not math.isfinite(value):
        return None, f"not a finite number: {raw!r}"
    if scale is not None and not scale[0] <= value <= scale[1]:
        return None, f"outside the scale [{scale[0]:g}, {scale[1]:g}]: {value:g}"
    return value, None


@dataclass
class Ratings:
    """Clean long-form ratings (``sample_id, rater, rating`` [, ``system``]) and what was excluded, and why."""

    table: pd.DataFrame
    excluded: pd.DataFrame
    scale: tuple[float, float] | None = None
    warnings: list[str] = field(default_factory=list)

    def per_sample(self) -> pd.DataFrame:
        """One row per sample: ``mean`` (its MOS), ``sd``, ``n_ratings`` (and ``system`` when known)."""
        keys = ["sample_id", "system"] if "system" in self.table.columns else ["sample_id"]
        grouped = self.table.groupby(keys, sort=True)["rating"]
        return grouped.agg(mean="mean", sd="std", n_ratings="count").reset_index()

    def wide(self) -> pd.DataFrame:
        """Items × raters matrix (NaN where a rater did not rate an item); index ``sample_id``."""
        return self.table.pivot_table(index="sample_id", columns="rater", values="rating", aggfunc="mean")

    @property
    def raters(self) -> list[str]:
        return sorted(self.table["rater"].astype(str).unique())


def clean_ratings(frame: pd.DataFrame, *, scale: tuple[float, float] | None = None) -> Ratings:
    """Parse a long frame of raw ratings; exclude unusable values with reasons (never coerce them)."""
    import pandas as pd

    missing = [column for column in LONG_COLUMNS if column not in frame.columns]
    if missing:
        raise RatingsError(f"ratings need columns {', '.join(LONG_COLUMNS)}; missing {', '.join(missing)}")
    if scale is not None and not scale[0] < scale[1]:
        raise RatingsError(f"scale must be (low, high) with low < high, got {scale}")
    kept, dropped = [], []
    extra = [column for column in frame.columns if column not in LONG_COLUMNS]
    for record in frame.to_dict(orient="records"):
        value, reason = _parse_rating(record["rating"], scale)
        base = {"sample_id": str(record["sample_id"]), "rater": str(record["rater"])}
        base.update({column: record[column] for column in extra})
        if reason is None:
            kept.append({**base, "rating": value})
        else:
            dropped.append({**base, "raw_rating": record["rating"], "reason": reason})
    table = pd.DataFrame(kept, columns=["sample_id", "rater", "rating", *extra])
    table["rating"] = table["rating"].astype(float)
    excluded = pd.DataFrame(dropped, columns=["sample_id", "rater", *extra, "raw_rating", "reason"])
    warnings = []
    if len(excluded):
        reasons = excluded["reason"].str.split(":").str[0].value_counts()
        detail = ", ".join(f"{count} {reason}" for reason, count in reasons.items())
        warnings.append(f"{len(excluded)} of {len(frame)} ratings excluded ({detail}); see Ratings.excluded")
    if table.empty:
        raise RatingsError(f"no usable rating left after excluding {len(excluded)} (see the reasons)")
    return Ratings(table=table.reset_index(drop=True), excluded=excluded, scale=scale, warnings=warnings)


def ratings_from_wide(
    frame: pd.DataFrame, *, rater_columns: Sequence[str] | None = None, scale: tuple[float, float] | None = None
) -> Ratings:
    """Ratings from a wide table: ``sample_id`` (and optionally ``system``) plus one column per rater."""
    if "sample_id" not in frame.columns:
        raise RatingsError("a wide ratings table needs a sample_id column and one column per rater")
    keys = ["sample_id", "system"] if "system" in frame.columns else ["sample_id"]
    raters = list(rater_columns) if rater_columns is not None else [c for c in frame.columns if c not in keys]
    if not raters:
        raise RatingsError("a wide ratings table needs at least one rater column besides sample_id")
    long = frame.melt(id_vars=keys, value_vars=raters, var_name="rater", value_name="rating")
    return clean_ratings(long, scale=scale)


def read_ratings(source: str | Path | pd.DataFrame, *, scale: tuple[float, float] | None = None) -> Ratings:
    """Read ratings in long form (``sample_id, rater, rating``) or wide form (``sample_id`` + rater columns)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise RatingsError(f"ratings file not found: {path}")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=object, keep_default_na=False, na_values=[""])
        elif suffix in {".jsonl", ".ndjson"}:
            frame = pd.read_json(path, lines=True, dtype=False)
        elif suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
        else:
            raise RatingsError(f"{path}: unknown ratings format {suffix!r}; use .csv, .jsonl or .parquet")
    if {"rater", "rating"} <= set(frame.columns):
        return clean_ratings(frame, scale=scale)
    return ratings_from_wide(frame, scale=scale)
