"""What a reader must know before trusting the numbers: per-sample errors with counts, warnings recorded on
rows (small-sample FID, resampled audio...), samples a metric could not score, unbalanced designs and unfinished
runs. Each becomes a :class:`Notice` shown at the top of the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from emoeval.reports.rows import in_order, sample_rows, scored_sample_rows, system_rows

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.results import Results

Level = Literal["error", "warning", "info"]
MAX_EXAMPLES = 3
MAX_DISTINCT_WARNINGS = 4


@dataclass(frozen=True)
class Notice:
    """One caveat: its ``level``, what it is about (``topic``: metric, system), the text, how many rows share
    it (``count``) and a few examples (sample ids with their messages)."""

    level: Level
    topic: str
    text: str
    count: int = 1
    examples: tuple[str, ...] = ()


def error_notices(table: pd.DataFrame) -> list[Notice]:
    """Samples that could not be scored, counted per metric (with the count of each system) and a few
    examples; system values that are missing, with the reason."""
    notices: list[Notice] = []
    failed = sample_rows(table)
    failed = failed[failed["error"].notna()].drop_duplicates(["metric", "sample_id"])
    for metric, rows in failed.groupby("metric", sort=False):
        per_system = rows.groupby("system", sort=True).size()
        detail = ", ".join(f"{system} {count}" for system, count in per_system.items())
        examples = tuple(f"{row.sample_id}: {row.error}" for row in rows.head(MAX_EXAMPLES).itertuples())
        notices.append(
            Notice(
                level="error",
                topic=str(metric),
                text=f"{len(rows)} sample(s) could not be scored ({detail})",
                count=len(rows),
                examples=examples,
            )
        )
    missing = system_rows(table)
    missing = missing[missing["error"].notna()]
    for (metric, system, error), rows in missing.groupby(["metric", "system", "error"], sort=False):
        subs = ", ".join(in_order(rows["sub_metric"]))
        notices.append(
            Notice(level="error", topic=f"{metric} · {system}", text=f"no value for {subs}: {error}", count=len(rows))
        )
    return notices


def warning_notices(table: pd.DataFrame) -> list[Notice]:
    """Warnings recorded on rows, grouped by metric and text (at most a few distinct texts per metric)."""
    notices: list[Notice] = []
    warned = table[table["warning"].notna()]
    for metric, rows in warned.groupby("metric", sort=False):
        texts = rows.groupby("warning", sort=False)
        ordered = sorted(texts, key=lambda item: -len(item[1]))
        for text, group in ordered[:MAX_DISTINCT_WARNINGS]:
            units = group.drop_duplicates(["system", "sample_id", "target_emotion"])
            systems = in_order(units["system"])
            scope = "sample(s)" if (units["scope"] == "sample").all() else "value(s)"
            notices.append(
                Notice(
                    level="warning",
                    topic=f"{metric} · {', '.join(systems)}",
                    text=f"{text} ({len(units)} {scope})",
                    count=len(units),
                )
            )
        rest = ordered[MAX_DISTINCT_WARNINGS:]
        if rest:
            count = sum(len(group) for _, group in rest)
            examples = tuple(str(text) for text, _ in rest[:MAX_EXAMPLES])
            notices.append(
                Notice(
                    level="warning",
                    topic=str(metric),
                    text=f"{len(rest)} more distinct warning(s) on {count} row(s)",
                    count=count,
                    examples=examples,
                )
            )
    return notices


def skipped_notices(run: dict[str, Any]) -> list[Notice]:
    """Samples a metric did not apply to because a field it needs was missing (from the run's plan)."""
    notices = []
    for entry in run.get("plan", []) or []:
        for reason, count in (entry.get("skipped") or {}).items():
            notices.append(
                Notice(
                    level="warning",
                    topic=str(entry.get("metric", "")),
                    text=f"{count} sample(s) not scorable: {reason}",
                    count=int(count),
                )
            )
    return notices


def balance_notices(table: pd.DataFrame) -> list[Notice]:
    """Unbalanced designs: systems given different numbers of samples, or different mixes of target emotions
    (their means then weigh the emotions differently and do not compare like for like). When only errors made
    the scored numbers differ, that is information, not a design problem."""
    notices = []
    planned = sample_rows(table).drop_duplicates(["metric", "sample_id"])
    scored = scored_sample_rows(table)
    for metric in in_order(planned["metric"]):
        rows = planned[planned["metric"].astype(str) == metric]
        counts = rows.groupby("system", sort=True)["sample_id"].nunique()
        if len(counts) < 2:
            continue
        if counts.nunique() > 1:
            detail = ", ".join(f"{system}: {count}" for system, count in counts.items())
            notices.append(
                Notice(
                    level="warning",
                    topic=metric,
                    text=f"unbalanced design: systems were given different numbers of samples ({detail})",
                    count=int(counts.max() - counts.min()),
                )
            )
        else:
            done = scored[scored["metric"].astype(str) == metric].groupby("system", sort=True)["sample_id"].nunique()
            done = done.reindex(counts.index, fill_value=0)
            if done.nunique() > 1:
                detail = ", ".join(f"{system}: {count}" for system, count in done.items())
                notices.append(
                    Notice(
                        level="info",
                        topic=metric,
                        text=f"after errors, systems have different numbers of scored samples ({detail})",
                    )
                )
        emotions = rows.assign(emotion=rows["target_emotion"].astype("string").fillna("(none)"))
        mix = emotions.groupby(["system", "emotion"]).size().unstack(fill_value=0)
        if mix.shape[1] >= 2:
            shares = mix.div(mix.sum(axis=1), axis=0)
            if float((shares.max() - shares.min()).max()) > 1e-9:
                notices.append(
                    Notice(
                        level="warning",
                        topic=metric,
                        text="unbalanced design: systems were given different mixes of target emotions; "
                        "compare them per emotion (see the per-emotion breakdown)",
                    )
                )
    return notices


def run_notices(run: dict[str, Any]) -> list[Notice]:
    if not run:
        return [Notice(level="info", topic="run", text="no run.json: provenance comes from the table's columns")]
    status = run.get("status")
    if status not in (None, "complete"):
        return [
            Notice(
                level="warning",
                topic="run",
                text=f"run status is {status!r}: the results may be partial (run the same `emoeval score` again)",
            )
        ]
    return []


def collect_notices(results: Results, extra: Iterable[Notice] = ()) -> list[Notice]:
    """Every notice of a report, errors first, then warnings, then information."""
    table = results.table
    notices = [
        *run_notices(results.run),
        *error_notices(table),
        *skipped_notices(results.run),
        *balance_notices(table),
        *warning_notices(table),
        *extra,
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(notices, key=lambda notice: order[notice.level])


def notice_counts(notices: Iterable[Notice]) -> dict[str, int]:
    """How many notices of each level (for the header's badges)."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for notice in notices:
        counts[notice.level] += 1
    return counts
