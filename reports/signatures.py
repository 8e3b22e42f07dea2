"""The "failure signatures" panel: per system, one row per signature the run measured (mode collapse, lost
intensity, over-smoothing, poor controllability, narrow affect range, modalities that disagree) with the value,
its interval, what real data gives and a plain verdict (:mod:`emoeval.signatures`), and the samples to look at
(linked to the gallery when it shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emoeval.reports.plots import REFERENCE_COLOR, Band, Point, Series, band_plot, scatter_plot
from emoeval.signatures import SignatureVerdict, signature_verdicts

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    import pandas as pd
    from markupsafe import Markup

#: samples listed per signature row (the lowest or highest values of the rule's per-sample output)
WORST_PER_ROW = 3
#: points drawn per system in a valence-arousal plot (the first by sample id beyond that)
MAX_AFFECT_POINTS = 300


@dataclass(frozen=True)
class WorstSample:
    sample_id: str
    value: float
    anchor: str | None  # the gallery card's id, when the gallery shows the sample


@dataclass(frozen=True)
class SignatureRow:
    verdict: SignatureVerdict
    worst: tuple[WorstSample, ...] = ()


def sample_anchor(system: str, sample_id: str) -> str:
    """The HTML id of a sample's gallery card (white space replaced, since ids cannot hold it).

    >>> sample_anchor("sys A", "s 1")
    'sample-sys_A-s_1'
    """
    return "sample-" + "-".join("_".join(str(part).split()) for part in (system, sample_id))


def signature_rows(table: pd.DataFrame, shown: Collection[tuple[str, str]] = ()) -> tuple[SignatureRow, ...]:
    """The panel's rows; ``shown`` holds the (system, sample id) pairs the gallery shows (linked)."""
    rows = []
    samples = table[(table["scope"] == "sample") & table["error"].isna()]
    for verdict in signature_verdicts(table):
        worst: tuple[WorstSample, ...] = ()
        rule = verdict.rule
        if rule.worst_by is not None and verdict.verdict in ("flagged", "possible"):
            own = samples[
                (samples["metric"] == verdict.metric)
                & (samples["system"] == verdict.system)
                & (samples["sub_metric"] == rule.worst_by)
            ]
            own = own.sort_values(["value", "sample_id"], ascending=[rule.side == "below", True])
            worst = tuple(
                WorstSample(
                    str(row.sample_id),
                    float(row.value),
                    sample_anchor(verdict.system, str(row.sample_id))
                    if (verdict.system, str(row.sample_id)) in shown
                    else None,
                )
                for row in own.head(WORST_PER_ROW).itertuples()
            )
        rows.append(SignatureRow(verdict, worst))
    return tuple(rows)


@dataclass(frozen=True)
class SignaturePlot:
    """A figure of the panel: a system's valence-arousal cloud over the reference's, or a metric's control curves."""

    title: str
    svg: Markup
    caption: str


def reference_systems(run: Mapping[str, Any]) -> set[str]:
    """The systems the run's metrics used as their reference set (``real_system`` parameters in run.json)."""
    found = set()
    for metric in run.get("config", {}).get("metrics", []) or []:
        value = (metric.get("params") or {}).get("real_system")
        if value:
            found.add(str(value))
    return found


def affect_plots(
    table: pd.DataFrame, colors: Mapping[str, str], references: Collection[str] = ()
) -> tuple[SignaturePlot, ...]:
    """Per intensity metric and system: its outputs' (valence, arousal) points, over the reference system's (grey)."""
    samples = table[
        (table["scope"] == "sample") & table["error"].isna() & table["sub_metric"].isin(["valence", "arousal"])
    ]
    plots = []
    for label in sorted({str(m) for m in samples["metric"] if str(m).split("(")[0].endswith("_emotion_intensity")}):
        own = samples[samples["metric"] == label]
        points = own.pivot_table(index=["system", "sample_id"], columns="sub_metric", values="value", aggfunc="first")
        if not {"valence", "arousal"} <= set(points.columns):
            continue
        points = points.dropna()
        systems = sorted({system for system, _ in points.index})
        reference = [s for s in systems if s in references]
        behind = [
            Point(float(row.valence), float(row.arousal), f"{system} · {sample}", REFERENCE_COLOR)
            for system in reference
            for (_, sample), row in points.loc[[system]].head(MAX_AFFECT_POINTS).iterrows()
        ]
        for system in systems:
            if system in reference:
                continue
            front = [
                Point(
                    float(row.valence), float(row.arousal), f"{system} · {sample}", colors.get(system, REFERENCE_COLOR)
                )
                for (_, sample), row in points.loc[[system]].head(MAX_AFFECT_POINTS).iterrows()
            ]
            svg = scatter_plot(
                behind + front, "valence", "arousal", width=300, height=280, radius=3.0,
                x_range=(-1.0, 1.0), y_range=(-1.0, 1.0),
            )  # fmt: skip
            caption = f"{len(front)} output(s)" + (f"; grey: {', '.join(reference)}" if reference else "")
            plots.append(SignaturePlot(f"{label} · {system}", svg, caption))
    return tuple(plots)


def control_plots(table: pd.DataFrame, colors: Mapping[str, str]) -> tuple[SignaturePlot, ...]:
    """Per intensity metric with control-curve rows: measured intensity per requested level, one line per system."""
    curves = table[(table["sub_metric"] == "control_curve") & table["target_emotion"].isna() & table["error"].isna()]
    plots = []
    for label in sorted({str(m) for m in curves["metric"]}):
        bands = []
        for system in sorted({str(s) for s in curves[curves["metric"] == label]["system"]}):
            own = curves[(curves["metric"] == label) & (curves["system"] == system)].copy()
            own["level"] = own["label"].astype(float)
            own = own.sort_values("level")
            series = Series(
                system, tuple(own["level"]), tuple(own["value"].astype(float)), colors.get(system, REFERENCE_COLOR)
            )
            titles = tuple(
                f"{system}: level {lv}, mean {v:.3f} (n={n})"
                for lv, v, n in zip(own["label"], own["value"], own["n"], strict=True)
            )
            bands.append(Band(series, titles=titles))
        if bands:
            svg = band_plot(bands, "requested intensity", "measured intensity (mean)", width=440, height=260)
            plots.append(
                SignaturePlot(f"{label} · control curve", svg, "a knob that works rises; a flat line ignores it")
            )
    return tuple(plots)


__all__ = [
    "MAX_AFFECT_POINTS",
    "WORST_PER_ROW",
    "SignaturePlot",
    "SignatureRow",
    "WorstSample",
    "affect_plots",
    "control_plots",
    "reference_systems",
    "sample_anchor",
    "signature_rows",
]
