"""An emotion recognizer built by emoeval: frozen features → standardisation → multinomial logistic regression.

No speech- or text-emotion weights ship in any package emoeval can install, so emoeval builds its recognizer the
way papers do when they train one on a real emotional corpus and apply it to generated outputs: a *probe* on
frozen features, fitted on a **labelled reference set** of real emotional recordings (or texts). This module is
modality-neutral; a modality supplies the feature extractors (registered reference models whose outputs are
fixed-size vectors) by subclassing :class:`EmotionProbeModel` (speech: :mod:`emoeval.reference_models.speech_emotion`).

**Recipe.** Features of every reference item come from the named feature extractors through the run's cached
model outputs and are concatenated in order. Each feature is standardised (mean 0, sd 1 over the reference set,
:class:`sklearn.preprocessing.StandardScaler`); optionally (``block_weighting="equal"``; the default ``"none"``
is the plain recipe) each extractor's block is then divided by √(its dimension), so a 768-d embedding and a
38-d block of prosodic functionals carry the same total variance under the L2 penalty. A multinomial logistic
regression (scikit-learn ``lbfgs``, L2, ``C``, balanced class weights by default) maps the result to
probabilities over the reference set's emotions.

**Evaluation.** Fitting also cross-validates the recipe: leave-one-speaker-out when the reference set names a
speaker (``speaker`` column) for every item and has at least two; else, when it has a group column (``group``,
``dialogue_id`` or ``dialogue``: items that must stay together, such as the utterances of one dialogue), grouped
stratified k-fold (scikit-learn ``StratifiedGroupKFold``, k = min(5, the number of groups); an item without a
group is a group of its own), so no group has items on both sides of a split — utterances of one dialogue share
speakers, topic and words, and split across folds they inflate the estimate; else stratified k-fold (k = min(5,
the smallest class)). Reported: accuracy, macro-F1, the confusion matrix, per-class recall, chance levels
(majority class and 1/K), the out-of-fold probabilities of every item, and an embedding *separation check*:
in the probe's input space (the standardised features), are recordings of one emotion more similar (cosine) than
recordings of different emotions, and more than recordings of one speaker? (:func:`emoeval.functional.emotion.
emotion_separation`).

**Artefact (no pickle).** A fitted probe is a folder: ``probe.json`` (format, labels, the feature extractors'
names, fingerprints and dimensions, the training-set hash, the estimator settings, the scikit-learn version, the
cross-validation report) and ``probe.npz`` (``coef`` (K, D), ``intercept`` (K,), ``scaler_mean`` and
``scaler_scale`` (D,), ``feature_weight`` (D,); numeric arrays read with ``allow_pickle=False``), and
``probe.sha256`` recording both files' sha256. Loading builds a :class:`~emoeval.reference_models.store.ModelCard`
for the artefact with those recorded hashes and resolves it through the weight store (an explicit folder —
``--weights NAME=FOLDER`` — or ``$EMOEVAL_MODELS_DIR/NAME/``), so a changed file is refused before it is read,
and the artefact's hash enters every result row's provenance. A probe is refused when the installed feature
extractors no longer compute the features it was fitted on (their fingerprints differ): refit it.

**On the fly.** ``emoeval.score(..., emotion_reference=SET)`` (``--emotion-reference``) fits the probe on
``SET`` before scoring — or finds it in the output cache folder under a key made of the training-set hash (file
contents, labels, speakers), the feature extractors' fingerprints and the probe settings — and points the weight
store at it (:func:`attach_emotion_probes`). ``SET`` may also be the folder of a probe fitted earlier.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import numpy as np

from emoeval.errors import ManifestError, RunConfigError, SampleInputError, WeightError, WeightNotFoundError
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.reference_models.store import ModelCard, WeightFile, sha256_of_file

if TYPE_CHECKING:
    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.metric import Metric
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

_log = logging.getLogger(__name__)

PROBE_FORMAT = "emoeval-emotion-probe"
FORMAT_VERSION = 1
PROBE_JSON = "probe.json"
PROBE_NPZ = "probe.npz"
PROBE_SHA256 = "probe.sha256"
PREDICTIONS_CSV = "cv_predictions.csv"
PROBE_FILES: tuple[str, ...] = (PROBE_JSON, PROBE_NPZ)
#: columns of a labelled reference table, first match wins
PATH_COLUMNS: tuple[str, ...] = ("path", "file")
TEXT_COLUMNS: tuple[str, ...] = ("text",)
LABEL_COLUMNS: tuple[str, ...] = ("target_emotion", "emotion", "label")
SPEAKER_COLUMNS: tuple[str, ...] = ("speaker", "speaker_id")
#: columns naming the group of items that cross-validation keeps in one fold (e.g. a dialogue), first match wins
GROUP_COLUMNS: tuple[str, ...] = ("group", "dialogue_id", "dialogue")
_TABLE_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson", ".parquet", ".pq"})

BlockWeighting = Literal["equal", "none"]
ClassWeight = Literal["balanced", "none"]


# -- settings and the fitted probe ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """How a probe is fitted (all recorded in the artefact and part of its cache key).

    >>> ProbeSettings().c, ProbeSettings().block_weighting
    (1.0, 'none')
    """

    c: float = 1.0
    class_weight: ClassWeight = "balanced"
    block_weighting: BlockWeighting = "none"
    max_iter: int = 5000
    folds: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError(f"the inverse regularisation strength C must be positive, got {self.c}")
        if self.class_weight not in ("balanced", "none"):
            raise ValueError(f"class_weight must be 'balanced' or 'none', got {self.class_weight!r}")
        if self.block_weighting not in ("equal", "none"):
            raise ValueError(f"block_weighting must be 'equal' or 'none', got {self.block_weighting!r}")
        if self.folds < 2:
            raise ValueError(f"cross-validation needs at least 2 folds, got {self.folds}")


@dataclass(frozen=True, slots=True)
class FeatureBlock:
    """One feature extractor the probe reads: its registry name, fingerprint and output dimension."""

    model: str
    fingerprint: str
    dim: int


def feature_weights(blocks: Sequence[FeatureBlock], block_weighting: BlockWeighting) -> np.ndarray:
    """Per-feature multiplier applied after standardisation: 1/√d of its block (``equal``) or 1 (``none``).

    >>> feature_weights([FeatureBlock("a", "", 4), FeatureBlock("b", "", 1)], "equal").tolist()
    [0.5, 0.5, 0.5, 0.5, 1.0]
    """
    parts = [np.full(b.dim, 1.0 / math.sqrt(b.dim) if block_weighting == "equal" else 1.0) for b in blocks]
    return np.concatenate(parts) if parts else np.zeros(0)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably.

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    z = np.asarray(scores, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class EmotionProbe:
    """A fitted probe: the arrays of the artefact and what they mean.

    ``coef`` is (K, D) and ``intercept`` (K,) over ``labels`` (canonical emotion labels); an input vector x (the
    concatenated features of ``blocks``) becomes z = (x − scaler_mean) / scaler_scale · feature_weight, and the
    probabilities softmax(z·coefᵀ + intercept). ``z`` is also the probe's embedding (:meth:`embed`).
    """

    name: str
    labels: tuple[str, ...]
    blocks: tuple[FeatureBlock, ...]
    coef: np.ndarray
    intercept: np.ndarray
    scaler_mean: np.ndarray
    scaler_scale: np.ndarray
    feature_weight: np.ndarray
    settings: ProbeSettings
    training: Mapping[str, Any] = field(default_factory=dict)
    report: Mapping[str, Any] = field(default_factory=dict)
    sklearn_version: str = ""

    def __post_init__(self) -> None:
        k, d = len(self.labels), sum(block.dim for block in self.blocks)
        shapes = {
            "coef": (self.coef.shape, (k, d)),
            "intercept": (self.intercept.shape, (k,)),
            "scaler_mean": (self.scaler_mean.shape, (d,)),
            "scaler_scale": (self.scaler_scale.shape, (d,)),
            "feature_weight": (self.feature_weight.shape, (d,)),
        }
        wrong = {name: got for name, (got, want) in shapes.items() if got != want}
        if wrong:
            raise ValueError(f"probe {self.name!r}: array shapes {wrong} do not fit {k} labels × {d} features")
        if len(set(self.labels)) != k or k < 2:
            raise ValueError(f"probe {self.name!r}: needs at least two distinct labels, got {list(self.labels)}")

    @property
    def dim(self) -> int:
        return int(self.coef.shape[1])

    def embed(self, features: np.ndarray) -> np.ndarray:
        """The standardised, block-weighted features z (n, D) of raw features (n, D) (or one vector)."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if x.shape[1] != self.dim:
            raise ValueError(f"probe {self.name!r} reads {self.dim} features, got {x.shape[1]}")
        return (x - self.scaler_mean) / self.scaler_scale * self.feature_weight

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Probabilities (n, K) over :attr:`labels` for raw features (n, D)."""
        return softmax(self.embed(features) @ self.coef.T + self.intercept)

    # -- the artefact -------------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "format": PROBE_FORMAT,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "labels": list(self.labels),
            "features": [asdict(block) for block in self.blocks],
            "settings": asdict(self.settings),
            "estimator": "StandardScaler + LogisticRegression(multinomial, lbfgs, L2)",
            "sklearn_version": self.sklearn_version,
            "training": dict(self.training),
            "report": dict(self.report),
        }

    def save(self, folder: Path) -> dict[str, str]:
        """Write ``probe.npz``, ``probe.json`` and ``probe.sha256`` into ``folder``; return the files' sha256."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "coef": self.coef,
            "intercept": self.intercept,
            "scaler_mean": self.scaler_mean,
            "scaler_scale": self.scaler_scale,
            "feature_weight": self.feature_weight,
        }
        from emoeval.atomic import atomic_write, atomic_write_text

        # each file whole or not at all, the hash list last: two runs sharing a cache may fit the same probe at once
        # (their files are byte-identical), and a reader never sees a half-written one
        atomic_write(
            folder / PROBE_NPZ,
            lambda out: np.savez(out, **{name: np.asarray(value, dtype=np.float64) for name, value in arrays.items()}),
        )
        metadata = self.metadata()
        metadata["npz_sha256"] = sha256_of_file(folder / PROBE_NPZ)
        atomic_write_text(
            folder / PROBE_JSON, json.dumps(metadata, indent=2, sort_keys=True, default=_json_default) + "\n"
        )
        hashes = {name: sha256_of_file(folder / name) for name in PROBE_FILES}
        atomic_write_text(folder / PROBE_SHA256, "".join(f"{hashes[name]}  {name}\n" for name in PROBE_FILES))
        return hashes

    @classmethod
    def read(cls, json_path: Path, npz_path: Path) -> Self:
        """Read an artefact's two files (verify them first: :func:`load_probe`)."""
        try:
            metadata = json.loads(json_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise WeightError(f"{json_path} is not a probe description ({exc}); refit the probe") from exc
        if metadata.get("format") != PROBE_FORMAT or metadata.get("format_version") != FORMAT_VERSION:
            raise WeightError(
                f"{json_path} is not an emoeval emotion probe of format version {FORMAT_VERSION} "
                f"(format {metadata.get('format')!r}, version {metadata.get('format_version')!r}); refit the probe"
            )
        try:
            with np.load(npz_path, allow_pickle=False) as arrays:
                loaded = {name: np.asarray(arrays[name], dtype=np.float64) for name in arrays.files}
        except (OSError, ValueError, KeyError) as exc:
            raise WeightError(f"{npz_path} is not a probe array file ({exc}); refit the probe") from exc
        try:
            return cls(
                name=str(metadata["name"]),
                labels=tuple(metadata["labels"]),
                blocks=tuple(FeatureBlock(**block) for block in metadata["features"]),
                coef=loaded["coef"],
                intercept=loaded["intercept"],
                scaler_mean=loaded["scaler_mean"],
                scaler_scale=loaded["scaler_scale"],
                feature_weight=loaded["feature_weight"],
                settings=ProbeSettings(**metadata["settings"]),
                training=metadata.get("training", {}),
                report=metadata.get("report", {}),
                sklearn_version=str(metadata.get("sklearn_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightError(f"the probe in {json_path.parent} is inconsistent ({exc}); refit it") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# -- fitting and cross-validation ----------------------------------------------------------------------------------


def _sklearn_version() -> str:
    from importlib import metadata

    return metadata.version("scikit-learn")


def fit_arrays(
    features: np.ndarray, labels: Sequence[str], weights: np.ndarray, settings: ProbeSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Fit scaler + logistic regression on raw ``features`` (n, D): (mean, scale, coef (K, D), intercept, classes).

    ``weights`` multiplies the standardised features (block weighting). With a single class in ``labels`` the
    model predicts it with certainty (coef 0). Two classes are written in softmax form (coef rows −w/2 and
    w/2), which gives exactly scikit-learn's binary probabilities.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(features, dtype=np.float64)
    scaler = StandardScaler().fit(x)
    mean, scale = scaler.mean_.astype(np.float64), scaler.scale_.astype(np.float64)
    classes = tuple(sorted(set(labels)))
    if len(classes) == 1:
        return mean, scale, np.zeros((1, x.shape[1])), np.zeros(1), classes
    z = (x - mean) / scale * weights
    model = LogisticRegression(
        C=settings.c,
        class_weight="balanced" if settings.class_weight == "balanced" else None,
        max_iter=settings.max_iter,
        solver="lbfgs",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(z, list(labels))
    assert tuple(model.classes_) == classes
    coef, intercept = np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) == 2:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return mean, scale, coef, intercept, classes


def cv_splits(
    labels: Sequence[str],
    groups: Sequence[str | None],
    settings: ProbeSettings,
    cv_groups: Sequence[str | None] | None = None,
) -> tuple[str, list[tuple[np.ndarray, np.ndarray]]]:
    """The cross-validation scheme and its (train, test) index splits.

    Leave-one-speaker-out when every item has a speaker (``groups``) and there are at least two. Else, with
    ``cv_groups`` (e.g. dialogues; None for an item means a group of its own) of at least two groups, grouped
    stratified k-fold (``StratifiedGroupKFold``, k = min(``settings.folds``, the number of groups)): the items of
    a group are tested together, never on both sides. Else stratified k-fold with k = min(``settings.folds``, the
    smallest class size) when that is at least 2; else shuffled k-fold.
    """
    import warnings

    from sklearn.model_selection import KFold, LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

    n = len(labels)
    index = np.arange(n)
    if all(g is not None for g in groups) and len(set(groups)) >= 2:
        splits = list(LeaveOneGroupOut().split(index, groups=[str(g) for g in groups]))
        return f"leave-one-speaker-out ({len(splits)} speakers)", splits
    if cv_groups is not None and any(g is not None for g in cv_groups):
        keys = [f"group\t{g}" if g is not None else f"item\t{i}" for i, g in enumerate(cv_groups)]
        n_groups = len(set(keys))
        k = min(settings.folds, n_groups)
        if k >= 2:
            folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=settings.seed)
            with warnings.catch_warnings():  # a class rarer than k is allowed: some folds then lack it
                warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
                splits = list(folds.split(index, list(labels), groups=keys))
            return f"grouped stratified {k}-fold ({n_groups} groups; a group's items stay in one fold)", splits
    smallest = min(list(labels).count(label) for label in set(labels))
    k = min(settings.folds, smallest)
    if k >= 2:
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=settings.seed)
        return f"stratified {k}-fold", list(folds.split(index, list(labels)))
    k = min(settings.folds, n)
    if k < 2:
        raise RunConfigError(f"cross-validation needs at least 2 reference items, got {n}")
    return f"{k}-fold (a class has a single item)", list(
        KFold(n_splits=k, shuffle=True, random_state=settings.seed).split(index)
    )


def cross_validate(
    features: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[str | None],
    weights: np.ndarray,
    settings: ProbeSettings,
    cv_groups: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Out-of-fold probabilities and the scores of the recipe (see the module docstring).

    ``groups`` are the speakers, ``cv_groups`` the groups kept in one fold (:func:`cv_splits`). Returns a
    JSON-ready dict: ``scheme``, ``n``, ``labels``, ``accuracy``, ``macro_f1`` (over the labels),
    ``balanced_accuracy``, ``chance_majority``, ``chance_uniform``, ``confusion`` (rows true, columns predicted,
    in ``labels`` order), ``recall`` per label, ``folds`` (per-fold n and accuracy), ``fold_of_item`` (the fold
    that tested each item) and ``oof_probabilities`` (n × K, in ``labels`` order; a class missing from a fold's
    training part gets probability 0 there).
    """
    from emoeval.functional.emotion import confusion_counts, macro_f1, per_class_recall

    labels = [str(label) for label in labels]
    classes = sorted(set(labels))
    scheme, splits = cv_splits(labels, groups, settings, cv_groups)
    x = np.asarray(features, dtype=np.float64)
    oof = np.zeros((len(labels), len(classes)))
    fold_of_item = np.full(len(labels), -1, dtype=np.int64)
    folds = []
    for fold, (train, test) in enumerate(splits):
        fold_of_item[test] = fold
        mean, scale, coef, intercept, fold_classes = fit_arrays(x[train], [labels[i] for i in train], weights, settings)
        probabilities = softmax(((x[test] - mean) / scale * weights) @ coef.T + intercept)
        for column, label in enumerate(fold_classes):
            oof[test, classes.index(label)] = probabilities[:, column]
        predicted = [classes[i] for i in oof[test].argmax(axis=1)]
        hits = sum(p == labels[i] for p, i in zip(predicted, test, strict=True))
        folds.append({"n_test": len(test), "accuracy": hits / len(test), "train_classes": list(fold_classes)})
    predicted = [classes[i] for i in oof.argmax(axis=1)]
    recall = per_class_recall(labels, predicted, classes)
    counts = {label: labels.count(label) for label in classes}
    return {
        "scheme": scheme,
        "n": len(labels),
        "labels": classes,
        "accuracy": float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)])),
        "macro_f1": macro_f1(labels, predicted, classes),
        "balanced_accuracy": float(np.mean(list(recall.values()))),
        "chance_majority": max(counts.values()) / len(labels),
        "chance_uniform": 1.0 / len(classes),
        "confusion": confusion_counts(labels, predicted, classes).tolist(),
        "recall": recall,
        "per_label": counts,
        "folds": folds,
        "fold_of_item": fold_of_item.tolist(),
        "oof_probabilities": oof.tolist(),
        "oof_predicted": predicted,
    }


def fit_probe(
    features: Mapping[str, np.ndarray],
    blocks: Sequence[FeatureBlock],
    labels: Sequence[str],
    groups: Sequence[str | None] | None = None,
    *,
    name: str,
    settings: ProbeSettings | None = None,
    training: Mapping[str, Any] | None = None,
    cross_validation: bool = True,
    cv_groups: Sequence[str | None] | None = None,
) -> EmotionProbe:
    """Fit a probe on the feature matrices of the reference items (``features[block.model]``: (n, block.dim)).

    ``labels`` are canonical emotion labels, ``groups`` the speakers (or None), ``cv_groups`` the groups that
    cross-validation keeps in one fold (or None; see :func:`cv_splits`). With ``cross_validation`` the report
    holds :func:`cross_validate` and the separation check of the probe's embedding space.
    """
    from emoeval.functional.emotion import emotion_separation

    settings = settings or ProbeSettings()
    n = len(labels)
    if len(set(labels)) < 2:
        raise RunConfigError(f"a probe needs at least two emotions in the reference set, got {sorted(set(labels))}")
    matrices = []
    for block in blocks:
        matrix = np.asarray(features[block.model], dtype=np.float64)
        if matrix.shape != (n, block.dim):
            raise ValueError(f"features of {block.model}: shape {matrix.shape}, expected {(n, block.dim)}")
        matrices.append(matrix)
    x = np.hstack(matrices)
    weights = feature_weights(blocks, settings.block_weighting)
    speakers = list(groups) if groups is not None else [None] * n
    report: dict[str, Any] = {}
    if cross_validation:
        report["cross_validation"] = cross_validate(x, labels, speakers, weights, settings, cv_groups)
    mean, scale, coef, intercept, classes = fit_arrays(x, labels, weights, settings)
    probe = EmotionProbe(
        name=name,
        labels=classes,
        blocks=tuple(blocks),
        coef=coef,
        intercept=intercept,
        scaler_mean=mean,
        scaler_scale=scale,
        feature_weight=weights,
        settings=settings,
        training=dict(training or {}),
        report=report,
        sklearn_version=_sklearn_version(),
    )
    if cross_validation and n >= 2:
        report["separation"] = emotion_separation(probe.embed(x), labels, speakers)
    return probe


# -- labelled reference sets ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One item of a labelled reference set: a file (``path``) or a ``text``, its emotion, speaker and group
    (items cross-validation keeps in one fold, e.g. a dialogue)."""

    label: str
    path: Path | None = None
    text: str | None = None
    speaker: str | None = None
    group: str | None = None

    @property
    def item(self) -> Path | str:
        return self.path if self.path is not None else str(self.text)


def _first(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    lowered = {column.lower(): column for column in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text or None


def read_labelled_set(
    source: str | Path,
    *,
    suffixes: frozenset[str] | None = None,
    modality: str | None = None,
    label_set: str | None = None,
) -> list[LabelledItem]:
    """The items of a labelled reference set.

    ``source`` is a table (CSV, JSONL or Parquet) with a file column (``path`` or ``file``; relative paths
    resolve against the table's folder) or a ``text`` column, an emotion column (``target_emotion``,
    ``emotion`` or ``label``; normalised through the label vocabulary, with ``label_set`` naming a dataset's
    codes), optionally a ``speaker`` column and a group column (``group``, ``dialogue_id`` or ``dialogue``: items
    that cross-validation keeps in one fold); a ``modality`` column, when present, keeps only rows of
    ``modality``. An emoeval manifest is such a table. Or ``source`` is a folder whose files (with one of
    ``suffixes``) sit below a folder named by their emotion (``<root>/<emotion>/...`` or
    ``<root>/<anything>/<emotion>/<file>``); speakers are then unknown.
    """
    import pandas as pd

    from emoeval.errors import UnknownLabelError
    from emoeval.labels import normalize_label

    root = Path(source).expanduser()
    if not root.exists():
        raise ManifestError(f"the emotion reference set {root} does not exist; give a labelled table or a folder")
    items: list[LabelledItem] = []
    if root.is_dir():
        for path in sorted(
            p for p in root.rglob("*") if p.is_file() and (suffixes is None or p.suffix.lower() in suffixes)
        ):
            if path.parent == root:
                continue
            try:
                label = normalize_label(path.parent.name, label_set)
            except UnknownLabelError:
                continue
            items.append(LabelledItem(label=label, path=path))
        if not items:
            raise ManifestError(f"{root}: no file below a folder named by an emotion (e.g. {root}/happy/001.wav)")
        return items
    suffix = root.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        raise ManifestError(f"{root}: the emotion reference set must be a .csv/.jsonl/.parquet table or a folder")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(root, dtype=str, keep_default_na=False, na_values=[""])
        elif suffix in {".jsonl", ".ndjson"}:
            frame = pd.read_json(root, lines=True, dtype=False)
        else:
            frame = pd.read_parquet(root)
    except (ValueError, OSError) as exc:
        raise ManifestError(f"{root}: cannot be read as a table ({exc})") from None
    columns = [str(c) for c in frame.columns]
    path_column, text_column = _first(columns, PATH_COLUMNS), _first(columns, TEXT_COLUMNS)
    label_column, speaker_column = _first(columns, LABEL_COLUMNS), _first(columns, SPEAKER_COLUMNS)
    group_column = _first(columns, GROUP_COLUMNS)
    modality_column = _first(columns, ("modality",))
    if label_column is None or (path_column is None and text_column is None):
        raise ManifestError(
            f"{root}: an emotion reference table needs an emotion column ({' or '.join(LABEL_COLUMNS)}) and a "
            f"file column ({' or '.join(PATH_COLUMNS)}) or a 'text' column; it has {columns}"
        )
    for number, row in enumerate(frame.to_dict(orient="records"), start=2 if suffix == ".csv" else 1):
        if modality and modality_column and _cell(row.get(modality_column)) not in (None, modality):
            continue
        raw_label = _cell(row.get(label_column))
        if raw_label is None:
            raise ManifestError(f"{root}, row {number}: no emotion label; every reference item needs one")
        try:
            label = normalize_label(raw_label, label_set)
        except UnknownLabelError as exc:
            raise UnknownLabelError(f"{root}, row {number}: {exc}") from None
        speaker = _cell(row.get(speaker_column)) if speaker_column else None
        group = _cell(row.get(group_column)) if group_column else None
        file = _cell(row.get(path_column)) if path_column else None
        if file is not None:
            path = Path(file).expanduser()
            items.append(
                LabelledItem(
                    label=label,
                    path=path if path.is_absolute() else root.parent / path,
                    speaker=speaker,
                    group=group,
                )
            )
        else:
            text = _cell(row.get(text_column)) if text_column else None
            if text is None:
                raise ManifestError(f"{root}, row {number}: neither a file nor a text")
            items.append(LabelledItem(label=label, text=text, speaker=speaker, group=group))
    if not items:
        raise ManifestError(f"{root}: no reference item" + (f" of modality {modality!r}" if modality else ""))
    return items


def item_hashes(items: Sequence[LabelledItem]) -> list[str]:
    """sha256 of each item's content (file bytes or text); a missing file is an error naming it."""
    from emoeval.context import content_key

    hashes = []
    for item in items:
        try:
            hashes.append(content_key(item.item)[0])
        except SampleInputError as exc:
            raise ManifestError(f"emotion reference set: {exc}") from None
    return hashes


def training_set_hash(hashes: Sequence[str], items: Sequence[LabelledItem]) -> str:
    """sha256 over the sorted (content sha256, label, speaker[, group]) lines: renaming or reordering files changes
    nothing. The group enters only when an item has one (so sets without groups keep their earlier hash).

    >>> a = training_set_hash(["aa", "bb"], [LabelledItem("happy"), LabelledItem("sad")])
    >>> a == training_set_hash(["bb", "aa"], [LabelledItem("sad"), LabelledItem("happy")])
    True
    """
    lines = sorted(
        f"{h}\t{item.label}\t{item.speaker or ''}" + (f"\t{item.group}" if item.group is not None else "")
        for h, item in zip(hashes, items, strict=True)
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def probe_cache_key(name: str, training_hash: str, blocks: Sequence[FeatureBlock], settings: ProbeSettings) -> str:
    """The key of a fitted probe in the cache: what it was fitted on, with which features, how."""
    payload = {
        "name": name,
        "format_version": FORMAT_VERSION,
        "training": training_hash,
        "features": [asdict(block) for block in blocks],
        "settings": asdict(settings),
        "sklearn": _sklearn_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# -- the probe as a reference model ---------------------------------------------------------------------------------


def recorded_hashes(folder: Path) -> dict[str, str]:
    """The sha256 recorded in ``<folder>/probe.sha256`` for each artefact file."""
    path = folder / PROBE_SHA256
    hashes: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                hashes[parts[1].lstrip("*")] = parts[0].lower()
    return hashes


def probe_card(template: ModelCard, folder: Path) -> ModelCard:
    """The weight-store card of the artefact in ``folder``: its two files with their recorded sha256.

    Raises :class:`WeightNotFoundError` when ``folder`` holds no fitted probe.
    """
    hashes = recorded_hashes(folder)
    missing = [name for name in PROBE_FILES if name not in hashes]
    if missing:
        raise WeightNotFoundError(
            f"no fitted emotion probe {template.name!r} in {folder} ({PROBE_SHA256} lists no {', '.join(missing)}). "
            f"Fix: {template.install_hint}"
        )
    return replace(
        template,
        files=tuple(
            WeightFile(
                filename=name,
                sha256=hashes[name],
                size=(folder / name).stat().st_size if (folder / name).exists() else 0,
            )
            for name in PROBE_FILES
        ),
    )


def probe_folder(store: WeightStore, name: str) -> Path:
    """Where the store finds the artefact of probe ``name``: the explicit path (a folder, or a file in it),
    else ``<models dir>/<name>/``."""
    explicit = store.explicit.get(name)
    if explicit is not None:
        path = Path(explicit).expanduser()
        return path.parent if path.is_file() else path
    return store.models_dir / name


def load_probe(
    store: WeightStore, template: ModelCard, folder: Path | None = None
) -> tuple[EmotionProbe, ModelCard, dict[str, Any]]:
    """Verify (through the weight store, against the recorded sha256) and read the artefact of ``template.name``.

    Returns the probe, the artefact's card and the resolved weights.
    """
    folder = folder if folder is not None else probe_folder(store, template.name)
    card = probe_card(template, folder)
    verifying = replace(store, explicit={**store.explicit, template.name: folder}, allow_network=False)
    weights = verifying.resolve_all(card)
    probe = EmotionProbe.read(weights[PROBE_JSON].path, weights[PROBE_NPZ].path)
    if probe.name != template.name:
        raise WeightError(
            f"{folder} holds a probe named {probe.name!r}, not {template.name!r}; give the folder of a "
            f"{template.name} probe"
        )
    training = probe.training.get("sha256", "")
    card = replace(card, version=f"{template.version}+{str(training)[:12]}")
    return probe, card, weights


class EmotionProbeModel(ReferenceModel, EmotionRecognizer):
    """A fitted probe as a reference model: input → [probabilities over :attr:`labels` ‖ embedding z].

    Subclasses set ``card`` (a template: name, version, summary, ``roles``; no files — each artefact gets its own
    card), ``requires`` (the feature extractors, in the probe's block order), ``modality`` and ``item_suffixes``
    (files a reference folder contributes). It is an :class:`~emoeval.reference_models.recognition.EmotionRecognizer`:
    metrics read it through :func:`~emoeval.reference_models.recognition.recognize`, which calls :meth:`outputs`
    (assembled from the feature extractors' cached outputs) and :meth:`~EmotionRecognizer.split` (the first K values
    are the probabilities, the rest the embedding z). A metric that takes the probe as its ``recognizer=`` (and an
    ``emotion_reference``) gets it fitted or found before the run by :func:`attach_emotion_probes`.
    """

    modality: ClassVar[str]
    item_suffixes: ClassVar[frozenset[str] | None] = None
    default_settings: ClassVar[ProbeSettings] = ProbeSettings()

    def __init__(self, weights: Any, dependencies: Any, *, probe: EmotionProbe, card: ModelCard, folder: Path) -> None:
        super().__init__(weights, dependencies)
        self.probe = probe
        self.card = card  # the artefact's own card (its files and recorded hashes), shadowing the template
        self.folder = folder
        self._check_features()

    @classmethod
    def load(cls, store: WeightStore, pool: ModelPool) -> Self:
        folder = probe_folder(store, cls.card.name)
        probe, card, weights = load_probe(store, cls.card, folder)
        dependencies = {name: pool.get(name) for name in cls.requires}
        return cls(weights, dependencies, probe=probe, card=card, folder=folder)

    def _check_features(self) -> None:
        names = [block.model for block in self.probe.blocks]
        if names != list(self.requires):
            raise WeightError(
                f"the probe in {self.folder} reads features {names}, but {self.card.name} uses {list(self.requires)}; "
                "refit it with this version of emoeval"
            )
        for block in self.probe.blocks:
            current = self.dependencies[block.model].fingerprint
            if current != block.fingerprint:
                raise WeightError(
                    f"the probe in {self.folder} was fitted on {block.model} features with fingerprint "
                    f"{block.fingerprint[:16]}…, but the installed {block.model} computes {current[:16]}… (another "
                    "package version or setting): refit it (emoeval models fit-emotion-probe, or --emotion-reference)"
                )

    @property
    def labels(self) -> tuple[str, ...]:
        return self.probe.labels

    def config(self) -> dict[str, Any]:
        # the labels, weights and feature blocks are in the artefact, whose hashes the fingerprint covers
        return {"output": "probabilities ‖ standardised features"}

    @classmethod
    def resolve(cls, store: WeightStore) -> tuple[ModelCard, dict[str, Any]]:
        """The fitted artefact's own card and verified files (``probe.json``, ``probe.npz``), without loading."""
        folder = probe_folder(store, cls.card.name)
        _, card, weights = load_probe(store, cls.card, folder)
        return card, weights

    def _outputs(self, features: np.ndarray) -> list[np.ndarray]:
        probabilities = self.probe.predict_proba(features)
        embeddings = self.probe.embed(features)
        return [np.concatenate([p, z]) for p, z in zip(probabilities, embeddings, strict=True)]

    def prepare(self, item: ModelInput) -> dict[str, Any]:
        return {name: self.dependencies[name].prepare(item) for name in self.requires}

    def infer(self, prepared: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        blocks = [np.vstack(self.dependencies[name].infer([p[name] for p in prepared])) for name in self.requires]
        return self._outputs(np.hstack(blocks))

    def outputs(self, context: ScoringContext, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """[probabilities ‖ embedding] per item, from the feature extractors' cached outputs (one model call per
        new input and extractor; the probe itself is a matrix product)."""
        per_model = [context.outputs(name, list(items)) for name in self.requires]
        results: list[np.ndarray | SampleInputError] = []
        for index in range(len(items)):
            parts = [outputs[index] for outputs in per_model]
            failed = next((part for part in parts if isinstance(part, SampleInputError)), None)
            if failed is not None:
                results.append(failed)
                continue
            results.append(
                self._outputs(np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])[None])[0]
            )
        return results

    def recognize(self, context: ScoringContext, items: Sequence[Path | str]) -> list[np.ndarray | SampleInputError]:
        """The v1 name of :meth:`outputs`, kept for metrics not yet reading recognizers through
        :func:`~emoeval.reference_models.recognition.recognize`."""
        return self.outputs(context, items)

    # -- fitting from a reference set -----------------------------------------------------------------------------
    @classmethod
    def read_reference(cls, source: str | Path, *, label_set: str | None = None) -> list[LabelledItem]:
        return read_labelled_set(source, suffixes=cls.item_suffixes, modality=cls.modality, label_set=label_set)

    @classmethod
    def fit(
        cls,
        items: Sequence[LabelledItem],
        context: ScoringContext,
        *,
        settings: ProbeSettings | None = None,
        source: str = "",
    ) -> tuple[EmotionProbe, list[tuple[LabelledItem, str]], list[LabelledItem]]:
        """Fit a probe on ``items``: (probe, dropped items with the reason, items used, in order). An item a
        model fails on, or whose features are not all finite (NaN would reach the solver), is dropped with the
        reason."""
        settings = settings or cls.default_settings
        per_model = {name: context.outputs(name, [item.item for item in items]) for name in cls.requires}
        keep: list[int] = []
        dropped: list[tuple[LabelledItem, str]] = []
        for index, item in enumerate(items):
            failure = next(
                (outputs[index] for outputs in per_model.values() if isinstance(outputs[index], SampleInputError)), None
            )
            nonfinite = [
                name
                for name, outputs in per_model.items()
                if failure is None and not np.isfinite(np.asarray(outputs[index], dtype=np.float64)).all()
            ]
            if failure is not None:
                dropped.append((item, str(failure)))
            elif nonfinite:
                dropped.append((item, f"{', '.join(nonfinite)} gave non-finite values"))
            else:
                keep.append(index)
        if not keep:
            raise RunConfigError(f"no item of the emotion reference set {source} could be used: {dropped[0][1]}")
        used = [items[i] for i in keep]
        features = {
            name: np.vstack([np.asarray(per_model[name][i], dtype=np.float64).ravel() for i in keep])
            for name in cls.requires
        }
        blocks = [FeatureBlock(name, context.model(name).fingerprint, features[name].shape[1]) for name in cls.requires]
        hashes = item_hashes(used)
        counts: dict[str, int] = {}
        for item in used:
            counts[item.label] = counts.get(item.label, 0) + 1
        speakers = [item.speaker for item in used]
        training = {
            "sha256": training_set_hash(hashes, used),
            "source": source,
            "n": len(used),
            "per_label": dict(sorted(counts.items())),
            "n_speakers": len({s for s in speakers if s is not None}),
            "n_groups": len({item.group for item in used if item.group is not None}),
            "dropped": [f"{item.item}: {reason}" for item, reason in dropped],
        }
        probe = fit_probe(
            features,
            blocks,
            [item.label for item in used],
            speakers,
            name=cls.card.name,
            settings=settings,
            training=training,
            cv_groups=[item.group for item in used] if any(item.group is not None for item in used) else None,
        )
        return probe, dropped, used

    @classmethod
    def prepare_folder(
        cls,
        reference: str | Path,
        pool: ModelPool,
        cache: OutputCache | None,
        *,
        out: Path | None = None,
        label_set: str | None = None,
        settings: ProbeSettings | None = None,
    ) -> Path:
        """The folder of a probe for ``reference``: the folder itself when it holds a fitted probe; else a probe
        fitted on the labelled set ``reference``, found in (or written to) the cache folder, or — without a
        cache — ``<out>/<name>/`` (``<temp dir>/emoeval-<name>-<key>`` without either)."""
        import tempfile

        from emoeval.context import ScoringContext

        root = Path(reference).expanduser()
        if root.is_dir() and (root / PROBE_SHA256).is_file():
            return root
        settings = settings or cls.default_settings
        items = cls.read_reference(root, label_set=label_set)
        context = ScoringContext(pool, cache)
        blocks_hint = [FeatureBlock(name, pool.fingerprint(name), 0) for name in cls.requires]
        key = probe_cache_key(cls.card.name, training_set_hash(item_hashes(items), items), blocks_hint, settings)
        if cache is not None:
            folder = cache.root / "emotion-probes" / cls.card.name / key[:32]
        elif out is not None:
            folder = out / cls.card.name
        else:
            folder = Path(tempfile.gettempdir()) / f"emoeval-{cls.card.name}-{key[:16]}"
        if (folder / PROBE_SHA256).is_file():
            try:  # the copy is verified against its recorded hashes when the pool loads it
                cached = EmotionProbe.read(folder / PROBE_JSON, folder / PROBE_NPZ)
            except WeightError:
                cached = None
            if cached is not None and cached.training.get("cache_key") == key:
                _log.info("emotion probe %s: using the fitted copy in %s", cls.card.name, folder)
                if cache is not None:  # a use, for the cache's least-recently-used eviction
                    from emoeval.cache import mark_used

                    mark_used(folder)
                return folder
        probe, dropped, _ = cls.fit(items, context, settings=settings, source=str(root))
        probe = replace(probe, training={**probe.training, "cache_key": key})
        probe.save(folder)
        report = probe.report.get("cross_validation", {})
        _log.info(
            "emotion probe %s fitted on %d items of %s (%s: accuracy %.3f, macro-F1 %.3f; %d dropped) → %s",
            cls.card.name,
            probe.training.get("n", 0),
            root,
            report.get("scheme", "-"),
            report.get("accuracy", math.nan),
            report.get("macro_f1", math.nan),
            len(dropped),
            folder,
        )
        return folder


def split_recognition(output: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, embedding) of an emotion recognizer's output [K probabilities ‖ embedding].

    The v1 helper; metrics read recognizers through :func:`~emoeval.reference_models.recognition.recognize`, whose
    :class:`~emoeval.reference_models.recognition.Recognition` names the same two parts.

    >>> p, e = split_recognition(np.array([0.25, 0.75, 3.0, 4.0]), 2)
    >>> p.tolist(), e.tolist()
    ([0.25, 0.75], [3.0, 4.0])
    """
    vector = np.asarray(output, dtype=np.float64).ravel()
    return vector[:n_labels], vector[n_labels:]


def _probe_class(name: str) -> type[EmotionProbeModel] | None:
    """The registered class of model ``name`` when it is an emotion probe, else None (loads no model)."""
    from emoeval.registry import get_reference_model_class

    model_class = get_reference_model_class(name)
    return model_class if isinstance(model_class, type) and issubclass(model_class, EmotionProbeModel) else None


def _probes_read_by(metric: Metric) -> list[str]:
    """The emotion probes (registry names) ``metric`` reads: through a model parameter (``recognizer=``) or its
    models; a v1 metric's ``probe_model`` class attribute is taken as it is (and checked by the caller)."""
    names = [getattr(metric, param, None) for param in getattr(type(metric), "model_params", {})]
    names += list(getattr(metric, "models", ()) or ())
    found = [name for name in dict.fromkeys(names) if isinstance(name, str) and _probe_class(name) is not None]
    legacy = getattr(metric, "probe_model", None)
    if legacy and str(legacy) not in found:
        found.append(str(legacy))
    return found


def attach_emotion_probes(
    metrics: Sequence[Metric],
    pool: ModelPool,
    cache: OutputCache | None,
    *,
    out: Path | None = None,
    label_set: str | None = None,
) -> dict[str, Path]:
    """Make the probes that ``metrics`` read available to the run: fit or find them, point the store at them.

    A metric takes part when it has a non-empty ``emotion_reference`` attribute; the probes it reads are the
    :class:`EmotionProbeModel` s among the values of its model parameters (``recognizer="speech-emotion-probe"``,
    see :attr:`~emoeval.metric.Metric.model_params`) and its :attr:`~emoeval.metric.Metric.models` — or, for a v1
    metric, its ``probe_model`` class attribute. All metrics reading one probe model must name the same reference.
    Returns the probe folders by model name.
    """
    wanted: dict[str, set[str]] = {}
    for metric in metrics:
        reference = getattr(metric, "emotion_reference", None)
        if reference is None or reference == "":
            continue
        for model in _probes_read_by(metric):
            wanted.setdefault(model, set()).add(str(reference))
    folders: dict[str, Path] = {}
    for model, references in sorted(wanted.items()):
        if len(references) > 1:
            raise RunConfigError(
                f"metrics of one run read the emotion probe {model!r} fitted on different reference sets "
                f"({', '.join(sorted(references))}); use one emotion_reference per run"
            )
        model_class = _probe_class(model)
        if model_class is None:
            raise RunConfigError(f"{model!r} is not an emotion probe model")
        folder = model_class.prepare_folder(next(iter(references)), pool, cache, out=out, label_set=label_set)
        loaded = pool.loaded().get(model)
        if loaded is not None and getattr(loaded, "folder", None) != folder:
            raise RunConfigError(
                f"this model pool already holds the probe {model!r} from {getattr(loaded, 'folder', '?')}; "
                "use a new pool (or process) for another emotion reference"
            )
        pool.store.explicit = {**pool.store.explicit, model: folder}
        folders[model] = folder
    return folders


__all__ = [
    "GROUP_COLUMNS",
    "PROBE_FILES",
    "PROBE_JSON",
    "PROBE_NPZ",
    "PROBE_SHA256",
    "EmotionProbe",
    "EmotionProbeModel",
    "FeatureBlock",
    "LabelledItem",
    "ProbeSettings",
    "attach_emotion_probes",
    "cross_validate",
    "cv_splits",
    "feature_weights",
    "fit_arrays",
    "fit_probe",
    "item_hashes",
    "load_probe",
    "probe_cache_key",
    "probe_card",
    "read_labelled_set",
    "recorded_hashes",
    "softmax",
    "split_recognition",
    "training_set_hash",
]
