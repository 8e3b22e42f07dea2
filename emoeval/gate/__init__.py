"""CI regression gates: is a candidate run measurably worse than a baseline, better, equivalent, or undecided?

``emoeval gate CANDIDATE --baseline BASELINE`` (and :func:`run_gate`) compares, for every gated metric output,
the candidate with the baseline on what both share and gives one of four verdicts per output:

- ``regressed``: the candidate is worse by more than the tolerated margin m (the one-sided test of
  H0: d ≥ −m is rejected, d = the oriented difference, positive = better);
- ``improved``: better by more than m (H0: d ≤ +m rejected);
- ``equivalent``: within ±m (both one-sided tests of TOST rejected); impossible with m = 0;
- ``inconclusive``: none of these at this sample size; the minimum detectable effect and the number of
  samples that would decide are reported.

The decisions are taken at level α = 1 − confidence with Holm's (or Bonferroni's) correction across every
gated output. Sample-level outputs are paired by ``sample_id`` (falling back to ``group``), with a bootstrap
clustered by ``group``; corpus outputs (FD, KID, distinct-n, ...) use the bootstrap draws the runner saved.

Public API (importing this package is light: numpy and pandas load when a function runs):

- :class:`GatePolicy`, :func:`load_policy`, :func:`default_policy` — what gates and how (TOML policy files);
- :func:`save_baseline`, :func:`load_baseline`, :class:`Baseline` — compact, diffable baseline files;
- :func:`run_gate` → :class:`GateResult` (a list of :class:`OutputVerdict`, failures, exit code, renderings);
- :class:`GateError` — a usage or data error (exit code 2 on the command line).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoeval.gate.baseline import Baseline, load_baseline, save_baseline
    from emoeval.gate.errors import GateError, PolicyError, ProvenanceError
    from emoeval.gate.policy import GatePolicy, Margin, default_policy, load_policy
    from emoeval.gate.result import GateResult, OutputVerdict, RepeatSpread
    from emoeval.gate.run import run_gate

_LAZY: dict[str, str] = {
    "Baseline": "emoeval.gate.baseline",
    "load_baseline": "emoeval.gate.baseline",
    "save_baseline": "emoeval.gate.baseline",
    "GateError": "emoeval.gate.errors",
    "PolicyError": "emoeval.gate.errors",
    "ProvenanceError": "emoeval.gate.errors",
    "GatePolicy": "emoeval.gate.policy",
    "Margin": "emoeval.gate.policy",
    "default_policy": "emoeval.gate.policy",
    "load_policy": "emoeval.gate.policy",
    "GateResult": "emoeval.gate.result",
    "OutputVerdict": "emoeval.gate.result",
    "RepeatSpread": "emoeval.gate.result",
    "run_gate": "emoeval.gate.run",
}

__all__ = [
    "Baseline",
    "GateError",
    "GatePolicy",
    "GateResult",
    "Margin",
    "OutputVerdict",
    "PolicyError",
    "ProvenanceError",
    "RepeatSpread",
    "default_policy",
    "load_baseline",
    "load_policy",
    "run_gate",
    "save_baseline",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emoeval.gate' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
