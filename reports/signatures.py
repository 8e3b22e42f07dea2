"""The "failure signatures" panel: per system, one row per signature the run measured (mode collapse, lost
intensity, over-smoothing, poor controllability, narrow affect range, modalities that disagree) with the value,
its interval, what real data gives and a plain verdict (:mod:`emoeval.signatures`), and the samples to look at
(linked to the gallery when it shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emoeval.signatures import SignatureVerdict, signature_verdicts

if TYPE_CHECKING:
    from collections.abc import Collection

    import pandas as pd

#: samples listed per signature row (the lowest or highest values of the rule's per-sample output)
WORST_PER_ROW = 3


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


__all__ = ["WORST_PER_ROW", "SignatureRow", "WorstSample", "sample_anchor", "signature_rows"]
