"""The headline view of an augmentation study: one row per synthetic set, read from the long results table.

Columns (balanced accuracy throughout, the protocol's headline score; intervals in brackets are across splits,
Wilson for shares): TRTR (real → real, the reference), TSTR (synthetic → real), TRTS (real → synthetic), the
gain of adding the synthetic set at the largest real fraction and ratio 1× (or the nearest ratio measured) with
its one-sided p-value, the label-efficiency worth at the smallest real fraction, the smallest per-emotion
coverage, the label-noise rate and the share of samples flagged as near-copies.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.results import Results

SCORE = "balanced_accuracy"


def _base(label: str) -> str:
    return label.split("(", 1)[0]


def _params(value: Any) -> dict[str, Any]:
    try:
        return dict(json.loads(str(value)))
    except (TypeError, ValueError):
        return {}


def _pick(rows: pd.DataFrame, **where: Any) -> pd.Series | None:
    mask = rows.index == rows.index
    for column, wanted in where.items():
        mask &= rows[column].isna() if wanted is None else rows[column] == wanted
    found = rows[mask]
    return None if found.empty else found.iloc[0]


def augmentation_overview(results: Results | pd.DataFrame, *, learner: str = "logistic") -> pd.DataFrame:
    """One row per synthetic set (see the module docstring); empty when the table holds no augmentation study.

    ``value``/``low``/``high`` column triples: ``trtr``, ``tstr``, ``trts``, ``gain`` (+ ``gain_p``,
    ``gain_at``), ``worth`` (+ ``worth_at``), ``min_coverage`` (+ ``min_coverage_emotion``), ``label_noise``,
    ``flagged``.
    """
    import pandas as pd

    table = results.table if hasattr(results, "table") else results
    table = table[table["scope"] == "system"].copy()
    # plain lists: mapping a pyarrow string column to dicts would give a struct column with every key
    table["base"] = pd.Series([_base(str(v)) for v in table["metric"]], index=table.index, dtype=object)
    table["p"] = pd.Series([_params(v) for v in table["params"]], index=table.index, dtype=object)
    table = table[[p.get("learner") in (None, learner) for p in table["p"]]]
    protocol = table[table["base"] == "augmentation_protocol"]
    trtr = _pick(protocol, label="TRTR", sub_metric=SCORE, target_emotion=None)
    # every synthetic set: those with protocol rows, and those (a single emotion) with fidelity rows only
    synthetic = (table["base"] == "augmentation_fidelity") | (
        (table["base"] == "augmentation_protocol") & (table["label"] != "TRTR")
    )
    systems = sorted(set(table.loc[synthetic, "system"].dropna()))
    rows = []
    for system in systems:
        mine = table[table["system"] == system]
        entry: dict[str, Any] = {"system": system}

        def put(name: str, found: pd.Series | None, entry: dict[str, Any] = entry) -> None:
            entry[name] = float(found["value"]) if found is not None else math.nan
            entry[f"{name}_low"] = float(found["ci_low"]) if found is not None else math.nan
            entry[f"{name}_high"] = float(found["ci_high"]) if found is not None else math.nan

        put("trtr", trtr)
        mine_protocol = mine[mine["base"] == "augmentation_protocol"]
        put("tstr", _pick(mine_protocol, label="TSTR", sub_metric=SCORE, target_emotion=None))
        put("trts", _pick(mine_protocol, label="TRTS", sub_metric=SCORE, target_emotion=None))
        gains = mine[(mine["base"] == "augmentation_gain") & mine["target_emotion"].isna()]
        if not gains.empty:
            fractions = pd.Series([p["real_fraction"] for p in gains["p"]], index=gains.index)
            ratios = pd.Series([p["ratio"] for p in gains["p"]], index=gains.index)
            fraction = float(fractions.max())
            ratio = float(min(set(ratios), key=lambda r: (abs(r - 1.0), r)))
            cell = gains[(fractions == fraction) & (ratios == ratio)]
            put("gain", _pick(cell, sub_metric=f"{SCORE}_gain"))
            p_row = _pick(cell, sub_metric=f"{SCORE}_gain_p_value")
            entry["gain_p"] = float(p_row["value"]) if p_row is not None else math.nan
            entry["gain_at"] = f"{fraction:g} real + {ratio:g}x synthetic"
        worth = mine[mine["base"] == "augmentation_label_efficiency"]
        if not worth.empty:
            fractions = pd.Series([p["real_fraction"] for p in worth["p"]], index=worth.index)
            ratios = pd.Series([p["ratio"] for p in worth["p"]], index=worth.index)
            fraction = float(fractions.min())
            ratio = float(min(set(ratios), key=lambda r: (abs(r - 1.0), r)))
            put("worth", _pick(worth[(fractions == fraction) & (ratios == ratio)], sub_metric=f"{SCORE}_worth"))
            entry["worth_at"] = f"{fraction:g} real + {ratio:g}x synthetic"
        coverage = mine[(mine["base"] == "augmentation_fidelity") & (mine["sub_metric"] == "coverage")]
        if not coverage.empty:
            lowest = coverage.sort_values("value", kind="stable").iloc[0]
            put("min_coverage", lowest)
            entry["min_coverage_emotion"] = lowest["target_emotion"]
        put(
            "label_noise",
            _pick(mine[mine["base"] == "augmentation_label_noise"], sub_metric="label_noise_rate", target_emotion=None),
        )
        put("flagged", _pick(mine[mine["base"] == "augmentation_memorisation"], sub_metric="share_flagged"))
        rows.append(entry)
    return pd.DataFrame(rows)


def render_overview(results: Results | pd.DataFrame) -> str:
    """The overview as aligned text for the console."""
    overview = augmentation_overview(results)
    if overview.empty:
        return "no augmentation study in these results"

    def cell(row: pd.Series, name: str, digits: int = 3) -> str:
        value = row.get(name, math.nan)
        if value is None or not math.isfinite(float(value)):
            return "–"
        low, high = row.get(f"{name}_low", math.nan), row.get(f"{name}_high", math.nan)
        if math.isfinite(float(low)) and math.isfinite(float(high)):
            return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
        return f"{value:.{digits}f}"

    header = ["synthetic set", "TRTR", "TSTR", "TRTS", "gain (p)", "worth", "min coverage", "label noise", "flagged"]
    lines = []
    for _, row in overview.iterrows():
        p = row.get("gain_p", math.nan)
        gain = cell(row, "gain") + (f" (p={p:.3f})" if isinstance(p, float) and math.isfinite(p) else "")
        coverage = cell(row, "min_coverage")
        if isinstance(row.get("min_coverage_emotion"), str):
            coverage += f" {row['min_coverage_emotion']}"
        lines.append(
            [
                str(row["system"]),
                cell(row, "trtr"),
                cell(row, "tstr"),
                cell(row, "trts"),
                gain,
                cell(row, "worth"),
                coverage,
                cell(row, "label_noise"),
                cell(row, "flagged"),
            ]
        )
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    text = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    text += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    first = overview.iloc[0]
    notes = [
        f"balanced accuracy; [..] across group-aware splits (label noise, flagged: Wilson); gain at "
        f"{first.get('gain_at', '–')}, worth at {first.get('worth_at', '–')} (share of the real training data "
        "the synthetic set is worth)"
    ]
    return "\n".join(text + notes)


__all__ = ["augmentation_overview", "render_overview"]
