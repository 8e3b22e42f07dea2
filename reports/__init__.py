"""Rendering of results for people: a console summary (:mod:`~emoeval.reports.console`) and one self-contained
HTML report per results folder (:func:`emoeval.reports.html.report`, ``emoeval report``)."""

# Installed as emoeval.reports through package-dir: importing the folder under its bare name is a mistake.
if __name__ != "emoeval.reports":
    raise ImportError(
        f"{__name__!r} is emoeval.reports imported under its folder name; "
        "import emoeval.reports instead "
        "(install with `pip install -e .`; run pytest with --import-mode=importlib)"
    )
