"""The installed emoeval version (recorded in every results row)."""

from importlib import metadata

try:
    __version__ = metadata.version("emoeval")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
