"""Multimodal metrics: they read *bundles* — the face, voice and words generated for one item (samples of one system
sharing a ``group``, or one multi-part sample; :func:`emoeval.samples.bundle_samples`) — through the reserved
metric modality ``multimodal``. :mod:`~emoeval.metrics.multimodal.consistency`: multimodal emotion consistency.
"""

# Installed as emoeval.metrics.multimodal through package-dir: importing the folder under its bare name is a mistake.
if __name__ != "emoeval.metrics.multimodal":
    raise ImportError(
        f"{__name__!r} is emoeval.metrics.multimodal imported under its folder name; "
        "import emoeval.metrics.multimodal instead "
        "(install with `pip install -e .`; run pytest with --import-mode=importlib)"
    )
