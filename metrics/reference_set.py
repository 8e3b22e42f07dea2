"""Distribution metrics against a reference set, for any modality: the shared logic of FID, KID, PRDC, FSD.

A metric compares the set of a system's outputs with a reference set of real ones — a folder or manifest
(``real=...``) or another system of the same run (``real_system=...``, which is then not scored itself). The
reference goes through the same model (and the same output cache) as the systems' outputs, once, in
:meth:`ReferenceSetMetric.setup`. The maths lives in :mod:`emoeval.metrics.distribution`; concrete metrics
(``metrics/face/fidelity.py``, ``metrics/speech/distribution.py``) set a spec and the embedding model.

States are per-output feature vectors stored as float32 (the networks compute in float32, so nothing is
lost); every statistic is computed in float64. The runner's bootstrap recomputes a metric on resamples of
states: :meth:`FrechetMetric.compute` folds duplicated states into weights and uses the exact factored form of
the trace term (see :class:`~emoeval.metrics.distribution.FrechetReference`), so a 500-item system's interval
costs seconds, and the resamples are capped by ``max_resamples``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from emoeval.errors import RunConfigError, SampleInputError
from emoeval.metric import CorpusMetric

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.metrics.distribution import FrechetReference, FrechetStats
    from emoeval.samples import Modality, Sample

#: FID is biased upward below this many images per set (Chong & Forsyth 2020; the convention: ≥ 2,048 = d)
FID_MIN_IMAGES = 2048
#: reference features kept beside the Fréchet statistics (for the exact small-set factor) up to this many rows
_KEEP_REFERENCE_ROWS = 4096
_MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})
_INF = math.inf


def reference_items(real: str | Path, modality: Modality = "face") -> list[tuple[Path | str, str | None]]:
    """The items of a reference set and their emotion (or None): a manifest's samples of ``modality``, or the
    images (face) / recordings (speech) / text files (text) in a folder.

    A manifest (CSV/JSONL/Parquet) contributes every sample of the modality it lists, whatever its system, with
    its ``target_emotion`` (text samples: their ``text``). A folder contributes every matching file below it
    (sorted; any depth); a file whose parent folder (below ``real``) is named by an emotion label (``happy/``,
    ``<system>/neutral/``) gets that emotion. For text, each non-empty line of a ``.txt`` file is one reference
    text (read as UTF-8; undecodable bytes become U+FFFD), and ``real`` may also be a single ``.txt`` file.
    """
    from emoeval.errors import UnknownLabelError
    from emoeval.labels import normalize_label
    from emoeval.samples import AUDIO_SUFFIXES, IMAGE_SUFFIXES, TEXT_SUFFIXES, is_manifest_file, read_manifest

    suffixes = {"face": IMAGE_SUFFIXES, "speech": AUDIO_SUFFIXES, "text": TEXT_SUFFIXES}.get(modality)
    if suffixes is None:  # another file media type (signal, a plug-in's): the suffixes it registers
        from emoeval.registry import get_media_type, media_type_names

        media = get_media_type(modality) if modality in media_type_names() else None
        if media is None or media.kind != "file" or not media.suffixes:
            raise RunConfigError(f"reference sets of {modality!r} samples are not supported (no file suffixes known)")
        suffixes = media.suffixes
    root = Path(real).expanduser()
    if not root.exists():
        raise RunConfigError(f"the reference set {root} does not exist; give a folder of real {modality} or a manifest")
    if root.is_file() and modality == "text" and root.suffix.lower() in TEXT_SUFFIXES:
        return [(line, None) for line in _text_lines(root)]
    if root.is_file():
        if root.suffix.lower() not in _MANIFEST_SUFFIXES:
            raise RunConfigError(f"the reference set {root} is neither a folder nor a .csv/.jsonl/.parquet manifest")
        samples = [s for s in read_manifest(root) if s.modality == modality]
        if modality == "text":
            return [(s.text, s.target_emotion) for s in samples if s.text]
        return [(s.path, s.target_emotion) for s in samples if s.path]
    items: list[tuple[Path | str, str | None]] = []
    found = (p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes and not is_manifest_file(p))
    for path in sorted(found):
        emotion: str | None = None
        if path.parent != root:
            try:
                emotion = normalize_label(path.parent.name)
            except UnknownLabelError:
                emotion = None
        if modality == "text":
            items.extend((line, emotion) for line in _text_lines(path))
        else:
            items.append((path, emotion))
    return items


def reference_set_items(
    metric: str,
    modality: str,
    samples: Sequence[Sample],
    *,
    real: str | Path | None,
    real_system: str | None,
    item: Callable[[Sample], Path | str | None] = lambda sample: sample.path,
) -> list[tuple[Path | str, str | None]]:
    """The (item, target emotion) pairs of a metric's reference set: the files of ``real`` (a folder or manifest,
    :func:`reference_items`), else the samples of system ``real_system`` in this run (``item`` gives each one's
    model input). :class:`RunConfigError` naming ``metric`` when the set is empty or the system is not in the run."""
    if real is not None:
        items = reference_items(real, modality)  # type: ignore[arg-type]
        where = f"real={str(real)!r}"
    else:
        items = [
            (found, s.target_emotion)
            for s in samples
            if s.system == real_system and s.modality == modality and (found := item(s)) is not None
        ]
        where = f"real_system={real_system!r}"
        if not items:
            systems = sorted({s.system for s in samples if s.modality == modality})
            raise RunConfigError(f"{metric}: {where} has no {modality} sample in this run; systems: {systems}")
    if not items:
        raise RunConfigError(f"{metric}: the reference set {where} holds no {modality} file")
    return items


def _text_lines(path: Path) -> list[str]:
    """The non-empty lines of a text file (UTF-8; undecodable bytes become U+FFFD).

    Read like every input file (:func:`emoeval.media.files.read_input_file`: a regular file within the ``text``
    size limit); one that is not is a :class:`RunConfigError`, since the reference set is part of the run's setup.
    """
    from emoeval.media.files import read_input_file

    try:
        _, data = read_input_file(path, "text")
    except SampleInputError as exc:
        raise RunConfigError(f"reference set: {exc}") from None
    return [line.strip() for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]


def _unique_by_identity(states: Sequence[Any]) -> tuple[list[Any], list[int]]:
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


class ReferenceSetMetric(CorpusMetric):
    """The shared reference-set logic: which files are real, loading them once, per-emotion lookup.

    The embedding model is the ``embedder`` parameter (a registered model with the role ``model_params`` gives
    ``embedder``; its output is a feature vector): subclasses declare ``embedder`` with their default in their own
    ``__init__`` and pass it on. Subclasses implement :meth:`_reset_reference`, :meth:`_add_reference` and
    :meth:`compute`. A subclass with
    ``sample_references = True`` may be built with neither ``real`` nor ``real_system``: its reference set is
    then the distinct ``reference`` values of the run's samples (e.g. the human responses of a dialogue set).
    """

    sample_references: ClassVar[bool] = False
    batch_size: ClassVar[int] = 64
    max_resamples: ClassVar[int | None] = 100
    interval = "bootstrap_recentred"  # resamples repeat items, which inflates distances: centre on the value

    def __init__(
        self,
        *,
        embedder: str,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
    ) -> None:
        model_class = self.check_model("embedder", embedder)
        self.embedder = embedder
        self._models = (*model_class.requires, embedder)
        name = type(self).spec.name
        from_samples = real is None and real_system is None and self.sample_references
        if (real is None) == (real_system is None) and not from_samples:
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

    @property
    def models(self) -> tuple[str, ...]:
        """The embedder and the models it needs first (e.g. the face detector)."""
        return self._models

    def reference_systems(self) -> frozenset[str]:
        return frozenset() if self.real_system is None else frozenset({self.real_system})

    # -- the reference set --------------------------------------------------------------------------------
    def _reference_items(self, samples: Sequence[Sample]) -> list[tuple[Path | str, str | None]]:
        modality = self.spec.modality
        if self.real is None and self.real_system is None:
            distinct = dict.fromkeys(
                s.reference for s in samples if s.modality == modality and s.reference not in (None, "")
            )
            items: list[tuple[Path | str, str | None]] = [(reference, None) for reference in distinct]  # type: ignore[misc]
            where = "the samples' reference column"
            if not items:
                raise RunConfigError(f"{self.spec.name}: the reference set {where} holds no {modality} file")
            return items
        return reference_set_items(
            self.spec.name, modality, samples, real=self.real, real_system=self.real_system, item=self._model_input
        )

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Run the reference files through the model (in batches, cached) and build the reference statistics."""
        import numpy as np

        items = self._reference_items(samples)
        self._reset_reference()
        self.reference_errors = []
        emotions: Counter[str] = Counter()
        size = 0
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            outputs = self._outputs(context, [item for item, _ in batch])
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
                f"{name}: only {size} of {len(items)} reference files could be used"
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
        """Reference files that could not be used (they are left out of every value)."""
        if not self.reference_errors:
            return []
        return [f"{len(self.reference_errors)} reference file(s) skipped, e.g. " + "; ".join(self.reference_errors[:2])]

    # -- per sample ---------------------------------------------------------------------------------------
    def _model_input(self, sample: Sample) -> Path | str:
        """What the model embeds for a sample: its file, or for a text sample its text."""
        return sample.text if sample.modality == "text" else sample.path  # type: ignore[return-value]

    def _check_input(self, item: Path | str) -> Path | str:
        """Hook: raise :class:`SampleInputError` for an input the model must not be given (default: none)."""
        return item

    def _outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[Any]:
        """The model's outputs for ``items`` (through the cache), with :meth:`_check_input` failures in place."""
        checked: list[Any] = []
        for item in items:
            try:
                checked.append(self._check_input(item))
            except SampleInputError as exc:
                checked.append(exc)
        good = [item for item in checked if not isinstance(item, SampleInputError)]
        computed = iter(self._model_outputs(context, good) if good else [])
        return [item if isinstance(item, SampleInputError) else next(computed) for item in checked]

    def prefetch_inputs(self, samples: Sequence[Sample]) -> list[tuple[str, list[Path | str]]]:
        """The embedder's inputs of ``samples`` (none when a subclass reads another model's outputs)."""
        if type(self)._model_outputs is not ReferenceSetMetric._model_outputs:
            return []
        return [(self.embedder, [self._model_input(sample) for sample in samples])]

    def _model_outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[Any]:
        """Hook: the vector (or the SampleInputError) of each checked item — by default the embedder's cached
        outputs; a metric whose "features" are derived from a model's output (e.g. a recognizer's distribution
        mapped to valence-arousal) overrides this."""
        return context.outputs(self.embedder, list(items))

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        import numpy as np

        outputs = self._outputs(context, [self._model_input(sample) for sample in samples])
        return [
            output if isinstance(output, SampleInputError) else np.asarray(output, dtype=np.float32).ravel()
            for output in outputs
        ]

    # -- subclass hooks -----------------------------------------------------------------------------------
    def _reset_reference(self) -> None:
        raise NotImplementedError

    def _add_reference(self, rows: np.ndarray, emotions: list[str | None]) -> None:
        raise NotImplementedError


class FeatureSetMetric(ReferenceSetMetric):
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


class EmotionState(NamedTuple):
    """One output's features and its target emotion (which reference part it is compared with)."""

    features: np.ndarray
    emotion: str | None


class MatchedReferenceMetric(FeatureSetMetric):
    """A reference metric that compares each output with the mean of the reference outputs *of its own target
    emotion* (all of them when the reference has none of that emotion, or no emotions): the reference reweighted to
    the system's mix of emotions. States are :class:`EmotionState`; :meth:`matched_means` gives each state's
    reference mean (computed once per emotion), and the corpus warning names the emotions the reference lacks
    (calling the outputs :attr:`output_noun`)."""

    output_noun: ClassVar[str] = "output"

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        super().setup(context, samples)
        self._means: dict[str | None, np.ndarray] = {}

    def _matched_key(self, emotion: str | None) -> str | None:
        return emotion if emotion is not None and emotion in self.reference_emotions else None

    def matched_means(self, states: Sequence[EmotionState]) -> np.ndarray:
        """One row per state: the mean reference features of its emotion's part (float64)."""
        import numpy as np

        rows = []
        for state in states:
            key = self._matched_key(state.emotion)
            if key not in self._means:
                self._means[key] = self._reference_features(key).mean(axis=0)
            rows.append(self._means[key])
        return np.stack(rows)

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        features = super().states(samples, context)
        return [
            found if isinstance(found, SampleInputError) else EmotionState(found, sample.target_emotion)
            for sample, found in zip(samples, features, strict=True)
        ]

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        notes = super().corpus_warnings(states, emotion=emotion)
        if self.reference_emotions:
            missing = sorted({s.emotion for s in states if s.emotion is not None} - set(self.reference_emotions))
            if missing:
                notes.append(
                    f"the reference set has no {self.output_noun} of {', '.join(missing)} (it has "
                    f"{', '.join(self.reference_emotions)}): those {self.output_noun}s are compared with the whole "
                    "reference set"
                )
        return notes


class FrechetMetric(ReferenceSetMetric):
    """Fréchet distance between the system's feature distribution and the reference's (one output)."""

    #: the unbiased metric (KID) to read beside this one, named in small-sample warnings — only with the default
    #: embedder, as before the embedder became a parameter (the other embedders' FDs had no KID hint), so
    #: warnings stay comparable with earlier runs
    unbiased_companion: ClassVar[str | None] = None

    @property
    def _unbiased_hint(self) -> str:
        default = next(p.default for p in self.parameters() if p.name == "embedder")
        if self.unbiased_companion is None or self.embedder != default:
            return ""
        return f"; read {self.unbiased_companion} (unbiased) beside it"

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
        """A bias warning when the system's vectors or the reference part number fewer than the dimensions."""
        notes = super().corpus_warnings(states, emotion=emotion)
        reference = self._reference(self._reference_key(emotion))
        if reference is None:
            return notes
        smallest = min(len(states), reference.n)
        if smallest < reference.dim:
            return [
                *notes,
                f"{self.label} from {len(states)} system and {reference.n} reference vectors (< {reference.dim}):"
                f" biased upward by sample size; compare only at equal sizes{self._unbiased_hint}",
            ]
        return notes


class KernelDistanceMetric(FeatureSetMetric):
    """KID-style metric: unbiased MMD² with a polynomial kernel against the reference part (outputs kid, kid_std)."""

    max_resamples = 50

    def __init__(
        self,
        *,
        embedder: str,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        subsets: int = 100,
        subset_size: int = 1000,
        degree: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)
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


class PRDCMetric(FeatureSetMetric):
    """Precision / recall / density / coverage (Naeem et al. 2020) against the reference part (outputs precision,
    recall, density, coverage). Needs more than ``nearest_k`` vectors on each side (NaN otherwise, with a note).
    Subclasses set ``spec`` and the embedder default."""

    def __init__(
        self,
        *,
        embedder: str,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
        nearest_k: int = 5,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)
        if nearest_k < 1:
            raise ValueError(f"{self.spec.name}: nearest_k must be at least 1, got {nearest_k}")
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

    def corpus_warnings(self, states: Sequence[Any], *, emotion: str | None = None) -> list[str]:
        notes = super().corpus_warnings(states, emotion=emotion)
        reference, radii = self._part(self._reference_key(emotion))
        if radii is None or len(states) <= self.nearest_k:
            notes.append(
                f"{self.label}: {len(states)} system and {len(reference)} reference items; PRDC needs more than "
                f"nearest_k={self.nearest_k} on each side"
            )
        return notes


__all__ = [
    "FID_MIN_IMAGES",
    "EmotionState",
    "FeatureSetMetric",
    "FrechetMetric",
    "KernelDistanceMetric",
    "MatchedReferenceMetric",
    "PRDCMetric",
    "ReferenceSetMetric",
    "reference_items",
    "reference_set_items",
]
