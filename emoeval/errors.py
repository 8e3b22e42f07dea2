"""Exceptions emoeval raises. Each message names what failed and what to do about it."""

from __future__ import annotations


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
