"""Generated data as training data for emotion recognisers (issue 16): does it help on real data, for which
emotions, and is it only copying?

- :mod:`~emoeval.metrics.augmentation.features` — which frozen reference-model features a study uses;
- :mod:`~emoeval.metrics.augmentation.study` — the study over samples, as rows of the long results table.

The maths (splits, TRTR/TSTR/TRTS, gain curves, fidelity, memorisation) is in
:mod:`emoeval.functional.augmentation`; the entry points are :func:`emoeval.augment` and ``emoeval augment``.
"""
