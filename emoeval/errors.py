"""Exceptions emoeval raises. Each message names what failed and what to do about it."""

from __future__ import annotations

import re

#: " at 0x7f3a..." inside a repr such as ``<_io.BytesIO object at 0x7f3a...>``: a memory address differs
#: between runs, so it is dropped from error texts (a byte value such as "byte 0xe9" is kept)
_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]{4,}(?=>)")


class EmoevalError(Exception):
    """Base class: anything emoeval raises on purpose derives from it (the CLI prints its message)."""


class ManifestError(EmoevalError, ValueError):
    """A manifest, folder or DataFrame of samples cannot be read as samples."""


class UnknownLabelError(EmoevalError, ValueError):
    """An emotion label is not in the vocabulary (nor in the dataset mapping asked for)."""


class UnknownNameError(EmoevalError, KeyError):
    """A metric or reference model name is not registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class WeightError(EmoevalError):
    """A reference model's weight file is missing, tampered with, or cannot be fetched."""


class WeightNotFoundError(WeightError, FileNotFoundError):
    """No copy of a weight file was found in any place the store looks."""


class WeightHashMismatchError(WeightError):
    """A weight file exists but its sha256 is not the recorded one."""


class DownloadError(WeightError):
    """Fetching a weight file failed (network refused, interrupted, wrong size)."""


class MissingDependencyError(EmoevalError, ImportError):
    """An optional package a metric or model needs is not installed."""


class SampleInputError(EmoevalError):
    """One sample's input cannot be used (missing, corrupt, empty, silent, no face...).

    The runner turns it into an error row for that sample and goes on with the rest.
    """


class RunConfigError(EmoevalError, ValueError):
    """A run was asked for with options that cannot work together."""


def stable_message(text: str) -> str:
    """``text`` without memory addresses, so two identical runs write identical error texts.

    >>> stable_message("cannot identify image file <_io.BytesIO object at 0x7f3a1c2b9d50>")
    'cannot identify image file <_io.BytesIO object>'
    >>> stable_message("not valid UTF-8 (byte 0xe9 at position 3)")
    'not valid UTF-8 (byte 0xe9 at position 3)'
    """
    return _ADDRESS.sub("", text)
