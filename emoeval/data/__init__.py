"""Data shipped with emoeval: the demo set (see demo/ATTRIBUTION.md for sources and licences)."""
