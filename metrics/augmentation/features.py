"""Frozen features for the augmentation study: which reference models turn a sample into a feature vector.

A *feature set* is one registered reference model, or several joined with ``+`` whose output vectors are
concatenated (``whisper-tiny-en-encoder+speech-prosody-functionals``). Outputs come through the scoring context,
so they are cached on disk by (model, weights, input content): a second study on the same files computes nothing.

Defaults per modality (the issue's choice of "the modality's reference models"):

- face: ``fer-mini-xception-features`` — the FER2013 mini-Xception's 128-d penultimate expression features
  (``fer-mini-xception`` gives its 7 probabilities; ``dlib-face-identity`` / ``deepface-arcface`` identity
  embeddings);
- speech: ``whisper-tiny-en-encoder+speech-prosody-functionals`` — the features of emoeval's speech-emotion probe
  (Whisper tiny.en encoder mean ‖ std, 768-d, and 38 prosodic/spectral functionals);
- text: ``all-minilm-l6-v2`` — the MiniLM sentence embedding (384-d);
- signal: ``signal-descriptors-peripheral`` — the physiological descriptors of emoeval's signal emotion probe
  (heart rate and HRV, EDA tonic level and SCRs, respiration rate and amplitude: ECG, EDA and respiration
  channels needed). EEG recordings pass ``features="signal-descriptors-eeg"``; ``signal-spectrum`` (log Welch
  spectra per channel) is a generic alternative for any channel set.

Any other modality (a registered media type) passes its own ``features=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.errors import RunConfigError, SampleInputError

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

DEFAULT_FEATURES: dict[str, str] = {
    "face": "fer-mini-xception-features",
    "speech": "whisper-tiny-en-encoder+speech-prosody-functionals",
    "text": "all-minilm-l6-v2",
    "signal": "signal-descriptors-peripheral",
}


def feature_models(features: str | Sequence[str] | None, modality: str) -> tuple[str, ...]:
    """The model names of a feature set (``"a+b"`` or a list), checked against the registry; ``None`` gives the
    modality's default. Raises :class:`RunConfigError` naming unknown models and the registered ones."""
    from emoeval.registry import reference_model_names

    if features is None:
        if modality not in DEFAULT_FEATURES:
            raise RunConfigError(
                f"no default features for {modality!r} samples; pass features=<reference model>[+<model>...] "
                f"(registered: {', '.join(reference_model_names())})"
            )
        features = DEFAULT_FEATURES[modality]
    names = tuple(part.strip() for part in (features.split("+") if isinstance(features, str) else features))
    if not names or any(not name for name in names):
        raise RunConfigError(f"features must name reference models joined by '+', got {features!r}")
    known = set(reference_model_names())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise RunConfigError(
            f"unknown feature model(s) {', '.join(map(repr, unknown))}; registered: {', '.join(sorted(known))}"
        )
    return names


def model_input(sample: Sample) -> Path | str:
    """What a feature model reads for a sample: its output file, or its text."""
    value = sample.parts["output"].value if "output" in sample.parts else None
    if value is None or value == "":
        raise SampleInputError(f"sample {sample.sample_id!r} has no output (file or text) to extract features from")
    return value if isinstance(value, Path) else str(value)


@dataclass(frozen=True)
class FeatureMatrix:
    """Features of a labelled set: ``X`` (n, d) float64 for the samples in ``ids`` (in order), and the samples
    that could not be featurised with the reason (``errors``: sample id → message)."""

    X: np.ndarray
    ids: list[str]
    errors: dict[str, str]


def extract_features(
    context: ScoringContext, models: Sequence[str], samples: Sequence[Sample], *, batch_size: int = 64
) -> FeatureMatrix:
    """Run ``samples`` through every model of the feature set (batched, cached) and concatenate the outputs.

    A sample any model fails on (no face, no speech, a corrupt file) is left out with its error; the rest keep
    their order.
    """
    import numpy as np

    errors: dict[str, str] = {}
    inputs: list[Path | str | None] = []
    for sample in samples:
        try:
            inputs.append(model_input(sample))
        except SampleInputError as exc:
            errors[sample.sample_id] = str(exc)
            inputs.append(None)
    blocks: list[list[np.ndarray | None]] = []
    for model in models:
        column: list[np.ndarray | None] = [None] * len(samples)
        wanted = [i for i, item in enumerate(inputs) if item is not None]
        for start in range(0, len(wanted), batch_size):
            chunk = wanted[start : start + batch_size]
            outputs = context.outputs(model, [inputs[i] for i in chunk])  # type: ignore[misc]
            for index, output in zip(chunk, outputs, strict=True):
                if isinstance(output, SampleInputError):
                    errors.setdefault(samples[index].sample_id, f"{model}: {output}")
                else:
                    column[index] = np.asarray(output, dtype=np.float64).ravel()
        blocks.append(column)
    rows, ids = [], []
    for index, sample in enumerate(samples):
        if sample.sample_id in errors:
            continue
        vector = np.concatenate([block[index] for block in blocks])  # type: ignore[misc]
        if not np.isfinite(vector).all():
            errors[sample.sample_id] = f"{'+'.join(models)} gave a non-finite feature for {sample.sample_id!r}"
            continue
        rows.append(vector)
        ids.append(sample.sample_id)
    dims = {len(row) for row in rows}
    if len(dims) > 1:
        raise RunConfigError(f"feature set {'+'.join(models)} gave vectors of different lengths {sorted(dims)}")
    X = np.stack(rows) if rows else np.zeros((0, 0))
    return FeatureMatrix(X=X, ids=ids, errors=errors)


__all__ = ["DEFAULT_FEATURES", "FeatureMatrix", "extract_features", "feature_models", "model_input"]
