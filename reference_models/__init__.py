"""Pretrained recognizers, embedders and detectors (one module per model family) and the weight store.

Models are registered as entry points in the group ``emoeval.reference_models``; see :mod:`.store` for
how weight files are found and verified, and :mod:`.base` for the model contract.
"""

# Installed as emoeval.reference_models through package-dir: importing the folder under its bare name is a mistake.
if __name__ != "emoeval.reference_models":
    raise ImportError(
        f"{__name__!r} is emoeval.reference_models imported under its folder name; "
        "import emoeval.reference_models instead "
        "(install with `pip install -e .`; run pytest with --import-mode=importlib)"
    )
