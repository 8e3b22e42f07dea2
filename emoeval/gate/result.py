"""What the gate decided: one :class:`OutputVerdict` per gated output, and the :class:`GateResult` around them."""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.gate.policy import GatePolicy

Verdict = Literal["regressed", "improved", "equivalent", "inconclusive"]
VERDICTS: tuple[str, ...] = ("regressed", "improved", "equivalent", "inconclusive")
#: name of the machine-readable verdict file ``emoeval gate`` writes
GATE_JSON = "gate.json"


@dataclass(frozen=True)
class OutputVerdict:
    """The verdict on one gated output (of one system pair, overall or within one target emotion).

    Differences are oriented so that **positive = better**: d = (candidate − baseline) × (+1 if higher is
    better else −1). ``ci_low``/``ci_high`` bound d with the two-sided (1 − 2α) percentile interval (the TOST
    convention: the interval lies entirely below −margin exactly when the unadjusted regression test rejects).
    ``p_regressed`` is the one-sided bootstrap p-value of H0: d ≥ −margin, ``p_improved`` of H0: d ≤ +margin,
    ``p_equivalent`` the TOST p-value (the larger of the two one-sided ones); ``adjusted`` is the
    multiplicity-adjusted p-value of the decisive test (regressed → the regression test, improved → the
    improvement test, equivalent → TOST, inconclusive → the regression test). ``mde`` is the smallest true
    difference this many samples would detect with 80 % power (one-sided, level α); ``n_needed`` the number of
    samples (pairs) that would detect a difference of the size of the margin (None when the margin is 0).
    ``baseline_value``/``candidate_value`` are the means over the paired samples (or the corpus values), in the
    output's own units and direction. ``worst_samples``: ids of the paired samples that got worse the most
    (worst first, at most 5; empty for corpus outputs).
    """

    metric: str
    sub_metric: str
    system: str
    target_emotion: str | None
    verdict: Verdict
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    margin: float = 0.0
    p_regressed: float = math.nan
    p_improved: float = math.nan
    adjusted: float = math.nan
    n_pairs: int = 0
    baseline_value: float = math.nan
    candidate_value: float = math.nan
    mde: float | None = None
    n_needed: int | None = None
    note: str = ""
    worst_samples: tuple[str, ...] = ()
    # beyond the fields every caller relies on
    baseline_system: str = ""
    higher_is_better: bool = True
    method: str = ""
    p_equivalent: float = math.nan

    @property
    def output(self) -> str:
        """The output key, ``metric/sub_metric``."""
        return f"{self.metric}/{self.sub_metric}"

    def to_dict(self) -> dict[str, Any]:
        data = {"output": self.output, **asdict(self)}
        data["worst_samples"] = list(self.worst_samples)
        return {key: _plain(value) for key, value in data.items()}


@dataclass(frozen=True)
class RepeatSpread:
    """Run-to-run spread of one output over repeated scoring of the candidate (``--repeat K``): its system
    value in each run (the first is the candidate as given), ``spread`` = max − min of those, and
    ``max_sample_spread`` = the largest max − min of one sample's value (NaN for corpus outputs)."""

    metric: str
    sub_metric: str
    system: str
    values: tuple[float, ...]
    spread: float
    max_sample_spread: float = math.nan

    @property
    def deterministic(self) -> bool:
        return self.spread == 0 and not (self.max_sample_spread > 0)

    def to_dict(self) -> dict[str, Any]:
        data = {key: _plain(value) for key, value in asdict(self).items()}
        data["values"] = [_plain(value) for value in self.values]
        data["deterministic"] = self.deterministic
        return data


@dataclass
class GateResult:
    """The gate's decision: verdicts, the reasons it fails, warnings, and everything gate.json records.

    ``failures`` are the reasons the gate fails (regressed outputs, inconclusive ones when the policy says so,
    missing metrics, a rise of the error-row share, fewer shared samples); ``passed`` is true without any;
    ``exit_code`` is 0 (pass) or 1 (fail) — usage and data errors raise :class:`~emoeval.gate.errors.GateError`
    instead (exit code 2 on the command line).
    """

    verdicts: list[OutputVerdict]
    failures: list[str]
    warnings: list[str]
    policy: GatePolicy
    provenance: list[dict[str, Any]] = field(default_factory=list)
    systems: dict[str, str] = field(default_factory=dict)
    candidate: str = ""
    baseline: str = ""
    notes: list[str] = field(default_factory=list)
    repeat: list[RepeatSpread] = field(default_factory=list)
    error_rates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def regressed(self) -> list[OutputVerdict]:
        """The verdicts that say ``regressed``."""
        return [verdict for verdict in self.verdicts if verdict.verdict == "regressed"]

    def verdict(
        self, metric: str, sub_metric: str | None = None, *, target_emotion: str | None = None
    ) -> OutputVerdict:
        """The one verdict on ``metric`` (its ``sub_metric``; overall unless ``target_emotion``)."""
        found = [
            v
            for v in self.verdicts
            if v.metric == metric
            and (sub_metric is None or v.sub_metric == sub_metric)
            and v.target_emotion == target_emotion
        ]
        if len(found) != 1:
            raise KeyError(
                f"{len(found)} verdicts match metric={metric!r}, sub_metric={sub_metric!r}, "
                f"target_emotion={target_emotion!r}; gated: {', '.join(sorted({v.output for v in self.verdicts}))}"
            )
        return found[0]

    def to_frame(self) -> pd.DataFrame:
        """One row per verdict (the :class:`OutputVerdict` fields; ``worst_samples`` ``;``-joined)."""
        import pandas as pd

        columns = [f.name for f in fields(OutputVerdict)]
        rows = []
        for verdict in self.verdicts:
            row = {name: getattr(verdict, name) for name in columns}
            row["worst_samples"] = ";".join(verdict.worst_samples)
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON: passed, exit code, policy, systems, provenance comparison, verdicts,
        failures, warnings, notes, error rates and repeat spreads (what ``gate.json`` holds)."""
        from emoeval.version import __version__

        counts = {name: sum(v.verdict == name for v in self.verdicts) for name in VERDICTS}
        return {
            "gate_format": 1,
            "emoeval_version": __version__,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "systems": dict(self.systems),
            "counts": counts,
            "policy": self.policy.to_dict(),
            "provenance": [{key: _plain(value) for key, value in row.items()} for row in self.provenance],
            "verdicts": [verdict.to_dict() for verdict in self.verdicts],
            "failures": list(self.failures),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "error_rates": [{key: _plain(value) for key, value in row.items()} for row in self.error_rates],
            "repeat": [spread.to_dict() for spread in self.repeat],
        }

    def write(self, out_dir: str | Path) -> Path:
        """Write ``gate.json`` into ``out_dir`` (created if needed); return its path."""
        from emoeval.runner.folder import atomic_write_text

        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / GATE_JSON
        atomic_write_text(path, json.dumps(self.to_json(), indent=2, sort_keys=True, allow_nan=False) + "\n")
        return path

    def summary(self) -> str:
        """A console table of the verdicts, then failures, warnings and notes."""
        from emoeval.gate.render import console_summary

        return console_summary(self)

    def markdown(self) -> str:
        """A Markdown summary for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment: the verdict table,
        failures, and the worst samples by id."""
        from emoeval.gate.render import markdown_summary

        return markdown_summary(self)

    def __str__(self) -> str:
        return self.summary()


def _plain(value: Any) -> Any:
    """JSON-safe: NaN/inf → None, numpy scalars → Python numbers, tuples → lists."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


__all__ = ["GATE_JSON", "VERDICTS", "GateResult", "OutputVerdict", "RepeatSpread", "Verdict"]
