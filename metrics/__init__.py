"""Pluggable metric modules, by modality: face/, speech/, text/, and augmentation/ (generated data as training
data; multimodal/ arrives later).

Each metric is a small class with a frozen spec (:class:`emoeval.metric.MetricSpec`) whose maths lives in a
pure function beside it. Metrics are registered as entry points in the group ``emoeval.metrics``.
"""

# Installed as emoeval.metrics through package-dir: importing the folder under its bare name is a mistake.
if __name__ != "emoeval.metrics":
    raise ImportError(
        f"{__name__!r} is emoeval.metrics imported under its folder name; "
        "import emoeval.metrics instead "
        "(install with `pip install -e .`; run pytest with --import-mode=importlib)"
    )
