"""Over-smoothed (waxy) faces: the fine detail of a system's faces against real faces of the same emotions.

The features are those of :mod:`emoeval.reference_models.face_detail` (``face-detail-features``: the largest
YuNet face as a 128-px grey square), the maths in :mod:`emoeval.functional.image_detail`; the reference-set logic
(``real=`` / ``real_system=``, per-emotion parts) is :class:`~emoeval.metrics.reference_set.FeatureSetMetric`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import EmotionState, MatchedReferenceMetric
from emoeval.signatures import SMOOTHED_BELOW  # the verdict threshold (justified in the card below)

if TYPE_CHECKING:
    import numpy as np


DETAIL_MODEL = "face-detail-features"
DETAIL_ROLE = "face-detail-features"
_INF = math.inf


#: one face's detail features and its target emotion (the state of :class:`FaceSharpness`)
DetailState = EmotionState


def detail_ratios(
    system: np.ndarray, reference_means: np.ndarray, *, log_columns: Sequence[int] = (0, 2)
) -> dict[str, float]:
    """The three ratios of :class:`FaceSharpness` from the system's feature rows and, per row, the mean features
    of the reference faces it is compared with (same shape; the emotion-matched reference means).

    Columns as :data:`~emoeval.reference_models.face_detail.DETAIL_NAMES`: ln Laplacian variance, high-frequency
    share, ln RMS contrast. For a log column the ratio is exp(mean(system) − mean(matched reference)) — the ratio
    of geometric means; for the share it is mean(system) / mean(matched reference).

    >>> import numpy as np
    >>> detail_ratios(np.log([[4.0, 0.1, 2.0]]), np.log([[2.0, 0.2, 1.0]]))["sharpness_ratio"]
    2.0
    """
    import numpy as np

    system = np.asarray(system, dtype=np.float64)
    reference_means = np.asarray(reference_means, dtype=np.float64)
    if system.shape != reference_means.shape or system.ndim != 2 or len(system) == 0:
        raise ValueError(f"expected two equal (n, 3) arrays with n ≥ 1, got {system.shape} and {reference_means.shape}")
    difference = system.mean(axis=0) - reference_means.mean(axis=0)
    share_reference = float(reference_means[:, 1].mean())
    return {
        "sharpness_ratio": float(np.exp(difference[log_columns[0]])),
        "hf_energy_ratio": float(system[:, 1].mean()) / share_reference if share_reference > 0 else math.nan,
        "contrast_ratio": float(np.exp(difference[log_columns[1]])),
    }


class FaceSharpness(MatchedReferenceMetric):
    """Over-smoothing of generated faces: their fine detail against real faces of the same emotions.

    **Meaning.** Each face (the largest YuNet face, cut square and resized to 128 × 128 grey pixels, so every
    generator is measured at one scale and backgrounds do not count; ``face-detail-features``) gets its variance
    of the Laplacian V (Pech-Pacheco et al. 2000), its high-frequency energy share H (share of the Hann-windowed,
    mean-removed power spectrum above 0.25 cycles per pixel) and its RMS contrast C. Against the reference faces:

    - ``sharpness_ratio`` (headline) = exp(mean ln V_system − mean ln V_reference): the ratio of **geometric**
      means of the Laplacian variance. The geometric mean because V spans orders of magnitude across faces
      (lighting, skin, hair) and blur scales it by a factor: on the log scale a factor is a shift, every face
      counts alike (an arithmetic mean follows the few sharpest faces), and the ratio keeps its meaning — 0.5 =
      the system's faces keep half of real faces' Laplacian energy — whatever the grey-level units (a ratio of
      mean *logs* would not);
    - ``hf_energy_ratio`` = mean H_system ÷ mean H_reference (a share is bounded and additive: ratio of means);
    - ``contrast_ratio`` = the same geometric-mean ratio for C. V scales with C², so a low sharpness ratio
      with a contrast ratio near 1 is lost detail; with a low contrast ratio too, flatter lighting is part of it.

    **The reference is matched to the system's emotions**: each face is compared with the mean of the reference
    faces of its target emotion (all reference faces when the reference has no emotions, or none of that one;
    ``corpus_warnings`` says so), i.e. the reference is reweighted to the system's mix of emotions — smiles show
    teeth and creases and hold more detail than neutral faces, and a generator of smiles should be compared with
    real smiles. Real data against itself gives exactly 1.0. With ``by_emotion`` the values are also given per
    target emotion.

    **Range and direction.** Ratios in [0, ∞); **1.0 = as much detail as real faces**, below 1 = over-smoothed
    (waxy, airbrushed: the failure signature), above 1 = more high-frequency content than real faces (noise,
    over-sharpening, GAN checkerboard artefacts — also unlike real data, so no direction is declared). Measured on
    the Face Research Lab London set (``bench/signature_faces.py``; 30 people): the real set against itself 1.00
    [0.94, 1.06] (its bootstrap spread), the real smiles 1.00; the same smiles Gaussian-blurred (σ in px of the
    512-px photos) give 0.73 (σ = 0.5, barely visible), 0.31 (σ = 1), 0.15 (σ = 1.5), 0.08 [0.07, 0.09] (σ = 2;
    hf_energy_ratio 0.02, contrast_ratio 0.96). The panel flags ``sharpness_ratio`` below
    :data:`SMOOTHED_BELOW` = 0.5: half the Laplacian energy of real faces, far outside real data's spread and
    passed by a just-visible blur (σ ≈ 0.7 px). The
    interval is a percentile bootstrap over the system's faces (means of logs and shares: resampling does not
    bias them) with **the reference held fixed**: it covers the system's sampling, not the reference set's (a
    small reference set adds uncertainty the interval does not show).

    **Needs.** Face images (``path``) with a ``target_emotion`` (optional: without one a face is compared with the
    whole reference), and a reference set: ``real=`` a folder (emotion from an ``<emotion>/`` parent folder) or a
    manifest, or ``real_system=`` a system of the run. Images without a detectable face are per-sample errors. Faces
    smaller than 128 px are upsampled and so measured as smoother: compare systems at similar face sizes.

    **Source.** Pech-Pacheco, Cristóbal, Chamorro-Martínez, Fernández-Valdivia (2000), Diatom autofocusing in
    brightfield microscopy: a comparative study, ICPR; Pertuz, Puig, Garcia (2013), Analysis of focus measure
    operators for shape-from-focus, Pattern Recognition; Dzanic, Shah, Witherden (2020), Fourier spectrum
    discrepancies in deep network generated images, NeurIPS; Wu et al. (2023), YuNet.

    >>> [output.name for output in FaceSharpness(real_system="real").spec.outputs]
    ['sharpness_ratio', 'hf_energy_ratio', 'contrast_ratio']
    """

    spec = MetricSpec(
        name="face_sharpness",
        modality="face",
        scope="corpus",
        outputs=(
            Output(
                "sharpness_ratio",
                higher_is_better=None,
                range=(0.0, _INF),
                description="geometric-mean Laplacian variance of the faces ÷ real faces' (1 = as sharp; < 1 = waxy)",
            ),
            Output(
                "hf_energy_ratio",
                higher_is_better=None,
                range=(0.0, _INF),
                description="mean spectral energy share above 0.25 cycles/px ÷ real faces' (< 1 = smoothed)",
            ),
            Output(
                "contrast_ratio",
                higher_is_better=None,
                range=(0.0, _INF),
                description="geometric-mean RMS contrast of the face crops ÷ real faces'",
            ),
        ),
        version="1.0.0",
        models=(DETAIL_MODEL,),
        summary="over-smoothing of faces: Laplacian variance and high-frequency energy vs real faces (1 = as sharp)",
        citation="Pech-Pacheco et al. 2000, ICPR (variance of the Laplacian); Pertuz et al. 2013, Pattern Recognition",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": DETAIL_ROLE}
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    output_noun: ClassVar[str] = "face"
    interval = "bootstrap"  # means of logs and of shares: a resample's copies do not bias them
    max_resamples = None  # a value costs a mean: every resample the run asks for

    def __init__(
        self,
        *,
        embedder: str = DETAIL_MODEL,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)

    def compute(self, states: Sequence[DetailState], *, emotion: str | None = None) -> dict[str, float]:
        """The ratios of the system's faces to the emotion-matched reference (NaN without faces)."""
        import numpy as np

        if not states:
            return self._nan()
        rows = np.stack([state.features for state in states]).astype(np.float64)
        return detail_ratios(rows, self.matched_means(states))


__all__ = ["SMOOTHED_BELOW", "DetailState", "FaceSharpness", "detail_ratios"]
