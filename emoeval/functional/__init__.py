"""emoeval's functional API: the pure maths of the metrics and reference models, importable without torch.

Like torchmetrics' ``functional/``: small functions on NumPy arrays, label lists and token lists, each checked by
the tests against a reference implementation (scipy, scikit-learn, sacrebleu, pytorch-fid...). This is the lowest
layer of emoeval's code: metrics (``emoeval.metrics``) and reference models (``emoeval.reference_models``) both
import from it, and it imports neither of them, nor the registry, the runner, statistics or reports — only
NumPy/SciPy (and, inside functions, the signal-analysis packages a computation needs: pyworld, pysptk, librosa,
sacrebleu), :mod:`emoeval.errors` and the media decoders of :mod:`emoeval.media` (``tests/unit/test_layers.py``
checks all of this).

Modules (import the one you need; this package imports none of them):

- :mod:`emoeval.functional.emotion` — divergences (KL, Jensen–Shannon), the predicted label, confusion counts,
  per-class recall, macro-F1, cosine matrices, rank AUC, and the emotion-separation check of an embedding space;
- :mod:`emoeval.functional.distribution` — Fréchet distance (incremental statistics, exact fast form), KID
  (unbiased MMD² with a polynomial kernel), precision/recall/density/coverage;
- :mod:`emoeval.functional.prosody` — the prosody analysis of one recording (WORLD/pYIN F0, voicing, energy,
  speech activity, pauses, syllable nuclei, mel-cepstra) and the distances and descriptors computed from it;
- :mod:`emoeval.functional.text` — word tokenisation, n-grams, distinct-n, n-gram entropy, repetition,
  self-BLEU.

>>> from emoeval.functional.emotion import macro_f1
>>> round(macro_f1(["happy", "sad"], ["happy", "happy"]), 4)
0.3333
"""
