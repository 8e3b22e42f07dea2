"""Errors of the gate. Each is a usage or data error: the command line exits with status 2 on them."""

from __future__ import annotations

from emoeval.errors import EmoevalError


class GateError(EmoevalError, ValueError):
    """The gate cannot decide: a bad path, an unreadable baseline, no shared metric, systems that do not pair
    (the message says what to change). ``emoeval gate`` exits with status 2."""


class PolicyError(GateError):
    """A gate policy (TOML file or arguments) has an unknown key or a bad value; the message names it."""


class ProvenanceError(GateError):
    """The baseline was scored with other model weights, metric versions or parameters than the candidate, and
    the policy says ``provenance = "refuse"``. ``differences`` lists each one (metric, field, candidate, baseline)."""

    def __init__(self, message: str, differences: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.differences = differences


__all__ = ["GateError", "PolicyError", "ProvenanceError"]
