"""Run a generator over a prompt set, time it, and hand its outputs to scoring (``emoeval generate``).

- :mod:`emoeval.generation.requests` — prompt sets (:class:`Request`, :func:`read_requests`);
- :mod:`emoeval.generation.adapters` — how a generator is called: a Python callable, a command template, an HTTP
  endpoint (:func:`load_generator`), and the edge-device :class:`Limits`;
- :mod:`emoeval.generation.outputs` — what a generator returns, stored as files or texts;
- :mod:`emoeval.generation.timing` — latency / first-output / real-time-factor percentiles with bootstrap
  intervals, throughput, peak memory;
- :mod:`emoeval.generation.run` — :func:`generate`: the loop, warm-up, repeats, timeouts, resuming, the manifest,
  the ``generation_cost`` results table and its hardware/software provenance.

Importing this package is light: each name loads its module when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoeval.generation.adapters import Generator, Limits, load_generator
    from emoeval.generation.requests import Request, read_requests
    from emoeval.generation.run import GenerationRun, generate

_LAZY: dict[str, str] = {
    "Generator": "emoeval.generation.adapters",
    "Limits": "emoeval.generation.adapters",
    "load_generator": "emoeval.generation.adapters",
    "Request": "emoeval.generation.requests",
    "read_requests": "emoeval.generation.requests",
    "GenerationRun": "emoeval.generation.run",
    "generate": "emoeval.generation.run",
}

__all__ = [
    "GenerationRun",
    "Generator",
    "Limits",
    "Request",
    "generate",
    "load_generator",
    "read_requests",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emoeval.generation' has no attribute {name!r}")
