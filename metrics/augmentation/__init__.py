"""Generated data as training data for emotion recognisers (issue 16): does it help on real data, for which
emotions, and is it only copying?

- :mod:`~emoeval.metrics.augmentation.features` — which frozen reference-model features a study uses;
- :mod:`~emoeval.metrics.augmentation.study` — the study over samples, as rows of the long results table;
- :mod:`~emoeval.metrics.augmentation.run` — :func:`~emoeval.metrics.augmentation.run.augment`, end to end.

The names of its rows are in :mod:`emoeval.augmentation_rows`; the report and the console overview in
:mod:`emoeval.reports.augmentation` and :mod:`emoeval.reports.augmentation_overview`.

The maths (splits, TRTR/TSTR/TRTS, gain curves, fidelity, memorisation) is in
:mod:`emoeval.functional.augmentation`; the entry points are :func:`emoeval.augment` and ``emoeval augment``.
"""
