"""Generated data as training data, on feature arrays (issue 16, the protocol engine): does synthetic data help an
emotion recogniser on *real* data, for which emotions, and is it only copying?

Pure numpy / scipy / scikit-learn: the inputs are feature arrays (frozen embeddings a reference model computed
elsewhere), labels (``str``) and group ids (speaker / identity / source item). Nothing here loads a model.

- :func:`group_splits` — repeated group-aware train/test splits (scikit-learn ``GroupShuffleSplit``, seeded): a
  group (speaker) is on one side only, checked on every split.
- :func:`fit_probe` — the recogniser: standardisation + logistic regression with the settings of emoeval's
  emotion probe, or standardisation + a linear SVM (a second learner, so a conclusion does not hinge on one).
- :func:`tstr` — TRTR / TSTR / TRTS (train real–test real, train synthetic–test real, train real–test synthetic;
  Esteban, Hyland & Rätsch 2017): accuracy, balanced accuracy, macro-F1 and per-class recall, averaged over the
  splits with a percentile interval *across splits*.
- :func:`augmentation_gain` — real-only vs real + synthetic at several real-data fractions and synthetic:real
  ratios on the same test folds, the gain paired per split, a one-sided paired t-test of gain > 0 (with the
  Nadeau–Bengio correction for overlapping training sets by default), per-class gain and a label-efficiency
  summary.
- Fidelity per emotion: :func:`per_class_fidelity` (PRDC, Naeem et al. 2020, through
  :func:`emoeval.functional.distribution.prdc`; α-precision, β-recall and authenticity,
  :func:`alpha_precision_beta_recall`, Alaa et al. 2022), :func:`class_balance`, :func:`label_noise`.
- Memorisation: :func:`distance_to_closest_record` (DCR against real *training* samples, relative to real
  test→train distances; near-copies flagged by default), :func:`content_hash` and :func:`exact_duplicates`.

**The real test fold is used for nothing but testing**: recognisers are fitted on the real training fold (or a
stratified subset of it) and/or synthetic samples; when the synthetic samples carry the group of the real item
they were generated from (``groups_synth``), those whose group is in the test fold are left out of training for
that split, so a generator that saw a test speaker cannot leak it into the recogniser.

**Intervals.** ``ci_low``/``ci_high`` are percentiles of the per-split values (default 2.5 and 97.5): they
describe split-to-split variation of the protocol on this corpus (which speakers land in the test fold), not a
confidence interval for the population value. Repeated random splits share training data, so their values are
correlated; the paired test of the gain therefore uses the corrected resampled t-test of Nadeau & Bengio (2003,
"Inference for the generalization error", Machine Learning 52) by default.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from emoeval.errors import RunConfigError
from emoeval.functional.distribution import nearest_neighbour_radii, pairwise_distances, prdc

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

Learner = Literal["logistic", "linear_svm"]
LEARNERS: tuple[str, ...] = ("logistic", "linear_svm")
PROTOCOLS: tuple[str, ...] = ("TRTR", "TSTR", "TRTS")
#: overall metrics of every protocol, then per-class recall (metric "recall" with an emotion)
OVERALL_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy", "macro_f1")
#: the outputs of :func:`per_class_fidelity`, in order
FIDELITY_METRICS: tuple[str, ...] = (
    "precision",
    "recall",
    "density",
    "coverage",
    "integrated_alpha_precision",
    "integrated_beta_recall",
    "authenticity",
)

# The logistic-regression settings of emoeval's emotion probe (reference_models/emotion_probe.py: ProbeSettings
# defaults and fit_arrays): C = 1, balanced class weights, lbfgs, max_iter = 5000, after a StandardScaler. Copied,
# not imported: the functional layer may not import reference_models (tests/unit/test_layers.py).
PROBE_C = 1.0
PROBE_CLASS_WEIGHT = "balanced"
PROBE_MAX_ITER = 5000
PROBE_SOLVER = "lbfgs"
#: the linear SVM gets the same C and class weighting; liblinear needs more iterations than its default 1000
SVM_MAX_ITER = 20000


# -- splits ------------------------------------------------------------------------------------------------------


def check_group_disjoint(groups: Sequence[Hashable] | np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
    """Raise when a group has items on both sides of a train/test split (the group-leakage guard).

    Called on every split :func:`group_splits` returns, so a split that puts one speaker on both sides cannot
    reach a recogniser.
    """
    g = np.asarray(groups, dtype=object)
    shared = set(g[np.asarray(train)].tolist()) & set(g[np.asarray(test)].tolist())
    if shared:
        raise RuntimeError(
            f"group leakage: groups {sorted(map(str, shared))[:5]} are on both sides of a train/test split; "
            "splits must keep every group (speaker/identity) on one side"
        )


def group_splits(
    groups: Sequence[Hashable] | np.ndarray, *, n_splits: int = 20, test_size: float = 0.25, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Repeated group-aware random train/test splits: ``n_splits`` pairs of (train, test) index arrays.

    Semantics of scikit-learn's ``GroupShuffleSplit(n_splits, test_size=test_size, random_state=seed)``: each
    split draws a random ``test_size`` share of the *groups* (rounded up, at least one) for the test fold and puts
    the rest in training, so a group (speaker, identity, source item) is never on both sides — checked on every
    split (:func:`check_group_disjoint`). Splits are independent draws (a group may be in several test folds),
    deterministic for a seed.

    Raises :class:`~emoeval.errors.RunConfigError` when there are fewer than two groups (no split can keep a
    group on one side and still test on something).
    """
    from sklearn.model_selection import GroupShuffleSplit

    g = np.asarray(groups, dtype=object)
    if g.ndim != 1 or g.size == 0:
        raise RunConfigError(f"groups must be a non-empty 1-D sequence of ids, got shape {g.shape}")
    if any(value is None for value in g.tolist()):
        raise RunConfigError("every item needs a group (speaker/identity id); some are None")
    n_groups = len(set(g.tolist()))
    if n_groups < 2:
        raise RunConfigError(
            f"group-aware splits need at least 2 distinct groups, got {n_groups}; "
            "pass speaker/identity ids with several speakers (or one id per item if items are independent)"
        )
    if n_splits < 1:
        raise RunConfigError(f"n_splits must be at least 1, got {n_splits}")
    if not 0.0 < test_size < 1.0:
        raise RunConfigError(f"test_size must be a share of the groups in (0, 1), got {test_size}")
    if math.ceil(test_size * n_groups) >= n_groups:
        raise RunConfigError(
            f"test_size={test_size} of {n_groups} groups leaves no group for training; lower test_size or add groups"
        )
    # GroupShuffleSplit sorts the group labels: compare ids as strings so mixed types cannot break the sort
    codes = np.unique(np.asarray([str(v) for v in g.tolist()]), return_inverse=True)[1]
    splitter = GroupShuffleSplit(n_splits=n_splits, test_size=test_size, random_state=seed)
    splits = [(np.sort(train), np.sort(test)) for train, test in splitter.split(np.zeros(len(g)), groups=codes)]
    for train, test in splits:
        check_group_disjoint(g, train, test)
    return splits


# -- the recogniser ----------------------------------------------------------------------------------------------


def fit_probe(
    X: np.ndarray, y: Sequence[str] | np.ndarray, *, learner: Learner = "logistic", seed: int = 0
) -> Pipeline:
    """Fit the recogniser on features ``X`` (n, d) and labels ``y``; returns a fitted scikit-learn ``Pipeline``.

    - ``"logistic"``: ``StandardScaler`` → ``LogisticRegression(C=1, class_weight="balanced", solver="lbfgs",
      max_iter=5000)`` — the recipe and settings of emoeval's emotion probe
      (``reference_models/emotion_probe.py``);
    - ``"linear_svm"``: ``StandardScaler`` → ``LinearSVC(C=1, class_weight="balanced")`` (one-vs-rest squared
      hinge), a second linear learner to show a conclusion does not hinge on the logistic loss.

    Convergence warnings are silenced, as the probe does (the fit is used as it is).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    x = np.asarray(X, dtype=np.float64)
    labels = np.asarray(y).astype(str)
    if x.ndim != 2 or x.shape[0] != labels.shape[0]:
        raise ValueError(f"X must be (n, d) with one label per row, got X {x.shape} and {labels.shape[0]} labels")
    if len(set(labels.tolist())) < 2:
        raise RunConfigError(
            f"a recogniser needs at least two emotions in its training set, got {sorted(set(labels.tolist()))}"
        )
    if learner == "logistic":
        estimator: Any = LogisticRegression(
            C=PROBE_C, class_weight=PROBE_CLASS_WEIGHT, max_iter=PROBE_MAX_ITER, solver=PROBE_SOLVER
        )
    elif learner == "linear_svm":
        estimator = LinearSVC(C=PROBE_C, class_weight=PROBE_CLASS_WEIGHT, max_iter=SVM_MAX_ITER, random_state=seed)
    else:
        raise RunConfigError(f"unknown learner {learner!r}; known: {', '.join(LEARNERS)}")
    model = make_pipeline(StandardScaler(), estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, labels)
    return model


def classification_scores(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]
) -> dict[tuple[str, str | None], float]:
    """Scores of one test fold, keyed by (metric, emotion or None for overall).

    accuracy, balanced accuracy (mean recall over the classes present in ``y_true``) and macro-F1 (unweighted
    mean F1 over the classes in ``y_true`` ∪ ``y_pred``), all in [0, 1], higher is better — the values of
    scikit-learn's ``accuracy_score``, ``balanced_accuracy_score`` and ``f1_score(average="macro",
    zero_division=0)``, computed here from one confusion matrix (scikit-learn's input validation cost 40 ms a
    call, most of a study's time; tests compare every value with scikit-learn); per-class recall for every emotion
    of ``classes`` (NaN when that emotion has no test item in the fold).
    """
    true, pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    if true.shape != pred.shape or true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of one length, got {true.shape} and {pred.shape}")
    labels, codes = np.unique(np.concatenate([true, pred]), return_inverse=True)
    n = len(true)
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(matrix, (codes[:n], codes[n:]), 1)
    hits = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)  # items of each label in y_true
    predicted = matrix.sum(axis=0).astype(np.float64)
    present = support > 0
    f1 = 2.0 * hits / (support + predicted)  # every label of the union has support + predicted > 0
    scores: dict[tuple[str, str | None], float] = {
        ("accuracy", None): float(hits.sum() / n) if n else math.nan,
        ("balanced_accuracy", None): float((hits[present] / support[present]).mean()) if present.any() else math.nan,
        ("macro_f1", None): float(f1.mean()) if len(labels) else math.nan,
    }
    index = {label: i for i, label in enumerate(labels.tolist())}
    for emotion in classes:
        i = index.get(emotion)
        scores[("recall", emotion)] = float(hits[i] / support[i]) if i is not None and support[i] > 0 else math.nan
    return scores


# -- result rows -------------------------------------------------------------------------------------------------


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float, int]:
    """(mean, low percentile, high percentile, count) of the finite values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan, math.nan, 0
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(finite.mean()), float(low), float(high), int(finite.size)


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    """One number of :func:`tstr`: ``value`` is the mean over splits of ``metric`` (in [0, 1], higher is better)
    for ``protocol`` (TRTR / TSTR / TRTS) and ``learner``; ``emotion`` is the class of a per-class recall (None
    = overall). ``ci_low``/``ci_high``: percentile interval across splits (split-to-split variation).
    ``n_splits``: splits where the value is defined; ``n_train``/``n_test``: mean training/test size over splits
    (rounded). ``per_split``: the value of every split (NaN where undefined)."""

    protocol: str
    learner: str
    metric: str
    emotion: str | None
    value: float
    ci_low: float
    ci_high: float
    n_splits: int
    n_train: int
    n_test: int
    per_split: tuple[float, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class GainRow:
    """One cell of :func:`augmentation_gain`: at ``real_fraction`` of the real training fold and ``ratio``
    synthetic:real, ``baseline`` (real only) and ``augmented`` (real + synthetic) are means over splits of
    ``metric`` (``emotion`` None = overall; else per-class recall); ``gain`` = mean of the per-split paired
    differences augmented − baseline (in [−1, 1], > 0 means synthetic data helped), with a percentile interval
    across splits; ``p_value``: one-sided paired t-test of mean gain > 0 across splits (Nadeau–Bengio corrected
    unless ``correction=False``). ``n_real_train``/``n_synth_train``: mean sizes over splits (rounded)."""

    real_fraction: float
    ratio: float
    learner: str
    metric: str
    emotion: str | None
    baseline: float
    augmented: float
    gain: float
    ci_low: float
    ci_high: float
    p_value: float
    n_splits: int
    n_real_train: int
    n_synth_train: int
    n_test: int
    per_split: tuple[float, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class EfficiencyRow:
    """Label efficiency of the synthetic data at ``real_fraction`` and ``ratio`` for ``metric``:
    ``equivalent_fraction`` is the real fraction at which the *real-only* curve reaches the augmented score
    (linear interpolation between the measured fractions); ``worth`` = equivalent_fraction − real_fraction, the
    share of the real training fold the synthetic data is worth (≤ 0: worth nothing or harmful). NaN with
    ``note`` when the augmented score is outside the real-only curve's range (``"above curve"``: worth more than
    the largest fraction measured; ``"below curve"``: worse than the smallest)."""

    real_fraction: float
    ratio: float
    learner: str
    metric: str
    augmented: float
    equivalent_fraction: float
    worth: float
    note: str = ""


def to_frame(rows: Iterable[ProtocolRow | GainRow | EfficiencyRow]) -> pd.DataFrame:
    """Rows as a tidy pandas DataFrame (one row per dataclass row; ``per_split`` kept as a tuple column;
    ``emotion`` is the class column, None = overall)."""
    import pandas as pd

    return pd.DataFrame([asdict(row) for row in rows])


# -- TRTR / TSTR / TRTS ------------------------------------------------------------------------------------------


def _prepare(
    X_real: np.ndarray,
    y_real: Sequence[str] | np.ndarray,
    groups_real: Sequence[Hashable] | np.ndarray,
    X_synth: np.ndarray,
    y_synth: Sequence[str] | np.ndarray,
    groups_synth: Sequence[Hashable] | np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    xr, xs = np.asarray(X_real, dtype=np.float64), np.asarray(X_synth, dtype=np.float64)
    yr, ys = np.asarray(y_real).astype(str), np.asarray(y_synth).astype(str)
    gr = np.asarray(groups_real, dtype=object)
    if xr.ndim != 2 or xs.ndim != 2 or xr.shape[1] != xs.shape[1]:
        raise ValueError(f"X_real and X_synth must be (n, d) arrays of one d, got {xr.shape} and {xs.shape}")
    if not len(yr) == len(gr) == len(xr):
        raise ValueError(f"X_real has {len(xr)} rows, y_real {len(yr)} labels and groups_real {len(gr)} ids")
    if len(ys) != len(xs):
        raise ValueError(f"X_synth has {len(xs)} rows but y_synth {len(ys)} labels")
    gs = None
    if groups_synth is not None:
        gs = np.asarray(groups_synth, dtype=object)
        if len(gs) != len(xs):
            raise ValueError(f"X_synth has {len(xs)} rows but groups_synth {len(gs)} ids")
    return xr, yr, gr, xs, ys, gs


def _synth_pool(groups_real: np.ndarray, test: np.ndarray, groups_synth: np.ndarray | None, n: int) -> np.ndarray:
    """Indices of synthetic samples allowed in training for a split: all, or those not generated from a
    test-fold group (when their source groups are known)."""
    if groups_synth is None:
        return np.arange(n)
    test_groups = set(groups_real[test].tolist())
    return np.flatnonzero([g not in test_groups for g in groups_synth.tolist()])


def tstr(
    X_real: np.ndarray,
    y_real: Sequence[str] | np.ndarray,
    groups_real: Sequence[Hashable] | np.ndarray,
    X_synth: np.ndarray,
    y_synth: Sequence[str] | np.ndarray,
    *,
    groups_synth: Sequence[Hashable] | np.ndarray | None = None,
    learners: Sequence[Learner] = ("logistic",),
    n_splits: int = 20,
    test_size: float = 0.25,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[ProtocolRow]:
    """TRTR / TSTR / TRTS over repeated group-aware splits of the real set (:func:`group_splits`).

    Per split s with real folds (train_s, test_s):

    - TRTR: fit on real train_s, score on real test_s (the reference a synthetic set is compared to);
    - TSTR: fit on the synthetic set, score on real test_s (does the synthetic data teach the real task?);
    - TRTS: fit on real train_s, score on the synthetic set (does it look like its intended emotion to a
      recogniser of real data?).

    With ``groups_synth`` (the real group each synthetic sample was generated from) synthetic samples of
    test-fold groups are dropped from TSTR training and TRTS testing for that split; a split whose remaining
    synthetic samples hold fewer than two emotions has no TSTR value (NaN, left out of the mean and of
    ``n_splits``). TRTS tests only synthetic samples of emotions the real set has. Metrics: accuracy,
    balanced accuracy, macro-F1 and per-class recall (:func:`classification_scores`) over the real label set;
    each row's value is the mean over splits with a percentile interval across splits (not a population CI).
    """
    xr, yr, gr, xs, ys, gs = _prepare(X_real, y_real, groups_real, X_synth, y_synth, groups_synth)
    classes = sorted(set(yr.tolist()))
    splits = group_splits(gr, n_splits=n_splits, test_size=test_size, seed=seed)
    rows: list[ProtocolRow] = []
    for learner in learners:
        per: dict[str, list[dict[tuple[str, str | None], float]]] = {p: [] for p in PROTOCOLS}
        sizes: dict[str, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
        undefined = dict.fromkeys([(m, None) for m in OVERALL_METRICS] + [("recall", c) for c in classes], math.nan)
        for train, test in splits:
            pool = _synth_pool(gr, test, gs, len(xs))
            real_model = fit_probe(xr[train], yr[train], learner=learner, seed=seed)
            per["TRTR"].append(classification_scores(yr[test], real_model.predict(xr[test]), classes))
            sizes["TRTR"].append((len(train), len(test)))
            # a split whose synthetic pool holds one emotion (its other sources are in the test fold) cannot train
            # a recogniser: its TSTR is undefined (NaN, not counted), the other splits still count
            if len(set(ys[pool].tolist())) >= 2:
                synth_model = fit_probe(xs[pool], ys[pool], learner=learner, seed=seed)
                per["TSTR"].append(classification_scores(yr[test], synth_model.predict(xr[test]), classes))
                sizes["TSTR"].append((len(pool), len(test)))
            else:
                per["TSTR"].append(undefined)
            # TRTS tests on the synthetic samples of the real set's emotions: a recogniser of real data cannot
            # name an emotion it never saw (those samples train, in TSTR and the gain curves, but are not tested)
            known = pool[np.isin(ys[pool], classes)]
            if known.size:
                per["TRTS"].append(classification_scores(ys[known], real_model.predict(xs[known]), classes))
                sizes["TRTS"].append((len(train), len(known)))
            else:
                per["TRTS"].append(undefined)
        keys = [(m, None) for m in OVERALL_METRICS] + [("recall", c) for c in classes]
        for protocol in PROTOCOLS:
            n_train = round(float(np.mean([a for a, _ in sizes[protocol]]))) if sizes[protocol] else 0
            n_test = round(float(np.mean([b for _, b in sizes[protocol]]))) if sizes[protocol] else 0
            for metric, emotion in keys:
                values = np.array([split[(metric, emotion)] for split in per[protocol]])
                mean, low, high, count = _interval(values, confidence)
                rows.append(
                    ProtocolRow(
                        protocol,
                        learner,
                        metric,
                        emotion,
                        mean,
                        low,
                        high,
                        count,
                        n_train,
                        n_test,
                        tuple(values.tolist()),
                    )
                )
    return rows


# -- augmentation gain -------------------------------------------------------------------------------------------


def paired_gain_test(
    gains: Sequence[float] | np.ndarray, *, n_train: float | None = None, n_test: float | None = None
) -> float:
    """One-sided p-value of mean gain > 0 from per-split paired gains (augmented − baseline), a paired t-test.

    Without ``n_train``/``n_test``: the ordinary paired t-test, t = ḡ / (s/√J) with J − 1 degrees of freedom
    (equals ``scipy.stats.ttest_rel(augmented, baseline, alternative="greater")``). With them: the corrected
    resampled t-test of Nadeau & Bengio (2003), t = ḡ / √((1/J + n_test/n_train) s²), which accounts for the
    overlap of training sets between repeated random splits (the ordinary test is then anti-conservative).
    When every gain is equal (s = 0) the p-value is 0 for a positive gain and 1 otherwise (scipy gives NaN).
    NaN gains are ignored; NaN with fewer than two finite gains.
    """
    from scipy import stats

    g = np.asarray(gains, dtype=np.float64)
    g = g[np.isfinite(g)]
    j = g.size
    if j < 2:
        return math.nan
    mean, var = float(g.mean()), float(g.var(ddof=1))
    if var == 0.0:
        return 0.0 if mean > 0 else 1.0
    factor = 1.0 / j
    if n_train is not None and n_test is not None:
        factor += float(n_test) / float(n_train)
    t = mean / math.sqrt(factor * var)
    return float(stats.t.sf(t, df=j - 1))


def stratified_subset(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Positions of a stratified random ``fraction`` of ``labels``: round(fraction · n_c) items of each class c,
    at least one (so every emotion of the training fold stays represented), sorted."""
    if fraction >= 1.0:
        return np.arange(len(labels))
    chosen = []
    for emotion in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == emotion)
        take = max(1, round(fraction * len(members)))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))


def augmentation_gain(
    X_real: np.ndarray,
    y_real: Sequence[str] | np.ndarray,
    groups_real: Sequence[Hashable] | np.ndarray,
    X_synth: np.ndarray,
    y_synth: Sequence[str] | np.ndarray,
    *,
    groups_synth: Sequence[Hashable] | np.ndarray | None = None,
    real_fractions: Sequence[float] = (0.1, 0.25, 0.5, 1.0),
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
    learner: Learner = "logistic",
    n_splits: int = 20,
    test_size: float = 0.25,
    seed: int = 0,
    confidence: float = 0.95,
    correction: bool = True,
) -> tuple[list[GainRow], list[EfficiencyRow]]:
    """Augmentation gain curves: real-only vs real + synthetic, paired per split, on the same real test folds.

    For every split (:func:`group_splits`) and real fraction f, a stratified random subset of the real training
    fold (:func:`stratified_subset`, the same subset for the baseline and every ratio) trains the real-only
    baseline; for each ratio r, round(r · n_real) synthetic samples drawn without replacement from the synthetic
    pool (all samples, or those not generated from a test-fold group when ``groups_synth`` is given; capped at the
    pool size — ``n_synth_train`` reports the size used) are added. Both models are scored on the split's real test
    fold; the gain of each split is augmented − baseline, for the overall metrics and per-class recall (did
    generation help the minority emotions?).

    ``p_value``: one-sided paired t-test across splits of mean gain > 0 (:func:`paired_gain_test`; Nadeau–Bengio
    corrected with the mean test/train sizes when ``correction``, else the plain paired t-test).

    Label efficiency (:class:`EfficiencyRow`, for the overall metrics): the real fraction f* at which the mean
    real-only curve reaches the mean augmented score at (f, r), by linear interpolation between consecutive
    measured fractions (the first crossing from below, the curve being increasing in the usual case); ``worth`` =
    f* − f. Needs 1.0 in ``real_fractions`` for a complete curve only in the sense that f* cannot exceed the
    largest fraction measured.
    """
    xr, yr, gr, xs, ys, gs = _prepare(X_real, y_real, groups_real, X_synth, y_synth, groups_synth)
    fractions = sorted(float(f) for f in real_fractions)
    if not fractions or any(not 0.0 < f <= 1.0 for f in fractions):
        raise RunConfigError(f"real_fractions must be shares in (0, 1], got {list(real_fractions)}")
    if any(not r > 0 for r in ratios):
        raise RunConfigError(f"ratios (synthetic:real) must be positive, got {list(ratios)}")
    classes = sorted(set(yr.tolist()))
    keys = [(m, None) for m in OVERALL_METRICS] + [("recall", c) for c in classes]
    splits = group_splits(gr, n_splits=n_splits, test_size=test_size, seed=seed)
    # scores[(fi, ri)][split] — ri = -1 is the real-only baseline
    scores: dict[tuple[int, int], list[dict[tuple[str, str | None], float]]] = {}
    sizes: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for si, (train, test) in enumerate(splits):
        pool = _synth_pool(gr, test, gs, len(xs))
        for fi, fraction in enumerate(fractions):
            # seeded per (seed, split, fraction): the subset does not depend on which ratios are asked for
            subset = train[stratified_subset(yr[train], fraction, np.random.default_rng([seed, si, fi]))]
            base = fit_probe(xr[subset], yr[subset], learner=learner, seed=seed)
            scores.setdefault((fi, -1), []).append(classification_scores(yr[test], base.predict(xr[test]), classes))
            sizes.setdefault((fi, -1), []).append((len(subset), 0, len(test)))
            for ri, ratio in enumerate(ratios):
                n_synth = min(round(ratio * len(subset)), len(pool))
                rng = np.random.default_rng([seed, si, fi, ri, 1])
                extra = np.sort(rng.choice(pool, size=n_synth, replace=False)) if n_synth else np.zeros(0, int)
                model = fit_probe(
                    np.vstack([xr[subset], xs[extra]]),
                    np.concatenate([yr[subset], ys[extra]]),
                    learner=learner,
                    seed=seed,
                )
                scores.setdefault((fi, ri), []).append(
                    classification_scores(yr[test], model.predict(xr[test]), classes)
                )
                sizes.setdefault((fi, ri), []).append((len(subset), n_synth, len(test)))

    gain_rows: list[GainRow] = []
    efficiency: list[EfficiencyRow] = []
    baseline_curve = {
        (metric, emotion): [
            float(np.nanmean([s[(metric, emotion)] for s in scores[(fi, -1)]])) for fi in range(len(fractions))
        ]
        for metric, emotion in keys
    }
    for fi, fraction in enumerate(fractions):
        for ri, ratio in enumerate(ratios):
            cell = sizes[(fi, ri)]
            n_real = float(np.mean([a for a, _, _ in cell]))
            n_syn = float(np.mean([b for _, b, _ in cell]))
            n_test = float(np.mean([c for _, _, c in cell]))
            for metric, emotion in keys:
                base = np.array([s[(metric, emotion)] for s in scores[(fi, -1)]])
                aug = np.array([s[(metric, emotion)] for s in scores[(fi, ri)]])
                gains = aug - base
                mean, low, high, count = _interval(gains, confidence)
                p = (
                    paired_gain_test(gains, n_train=n_real + n_syn, n_test=n_test)
                    if correction
                    else (paired_gain_test(gains))
                )
                augmented_mean = float(np.nanmean(aug)) if np.isfinite(aug).any() else math.nan
                gain_rows.append(
                    GainRow(
                        fraction,
                        float(ratio),
                        learner,
                        metric,
                        emotion,
                        baseline_curve[(metric, emotion)][fi],
                        augmented_mean,
                        mean,
                        low,
                        high,
                        p,
                        count,
                        round(n_real),
                        round(n_syn),
                        round(n_test),
                        tuple(gains.tolist()),
                    )
                )
                if emotion is None:
                    equivalent, note = equivalent_fraction(fractions, baseline_curve[(metric, None)], augmented_mean)
                    efficiency.append(
                        EfficiencyRow(
                            fraction,
                            float(ratio),
                            learner,
                            metric,
                            augmented_mean,
                            equivalent,
                            equivalent - fraction,
                            note,
                        )
                    )
    return gain_rows, efficiency


def equivalent_fraction(fractions: Sequence[float], curve: Sequence[float], score: float) -> tuple[float, str]:
    """The real fraction at which the piecewise-linear real-only ``curve`` (values at ascending ``fractions``)
    first reaches ``score``: (fraction, "") or (NaN, "above curve" / "below curve" / "undefined").

    >>> equivalent_fraction([0.1, 0.5, 1.0], [0.5, 0.7, 0.8], 0.75)
    (0.75, '')
    """
    f, c = np.asarray(fractions, dtype=np.float64), np.asarray(curve, dtype=np.float64)
    if not math.isfinite(score) or not np.isfinite(c).all():
        return math.nan, "undefined"
    if score <= c[0]:
        return (float(f[0]), "") if score == c[0] else (math.nan, "below curve")
    for i in range(1, len(f)):
        if c[i] >= score:  # first segment whose end reaches the score; c[i-1] < score here
            return float(f[i - 1] + (score - c[i - 1]) / (c[i] - c[i - 1]) * (f[i] - f[i - 1])), ""
    return math.nan, "above curve"


# -- cross-domain ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrossDomainRow:
    """One number of :func:`cross_domain` for ``metric`` (``emotion`` None = overall, else per-class recall).

    ``quantity``: ``source_only`` (trained on the source corpus, scored on the whole target corpus),
    ``augmented`` (source + synthetic, same target), ``gain`` (augmented − source_only; ``p_value`` one-sided,
    gain > 0), ``in_domain`` (trained on target training folds, scored on target test folds: the ceiling a
    recogniser of the target domain reaches), ``gap`` (in_domain − source_only) and ``gap_closed`` (gain / gap:
    the share of the domain gap the synthetic data closes; NaN when there is no gap). Intervals: for source-only,
    augmented and gain a percentile *cluster bootstrap over target groups* (the models are fixed; the interval is
    for sampling the target corpus); for in_domain and gap percentiles across the group splits; none for
    gap_closed (a ratio of two differences)."""

    quantity: str
    learner: str
    metric: str
    emotion: str | None
    value: float
    ci_low: float
    ci_high: float
    p_value: float
    n_train: int
    n_test: int


def _cluster_bootstrap_indices(groups: np.ndarray, n_resamples: int, seed: int) -> list[np.ndarray]:
    """Index arrays of ``n_resamples`` cluster-bootstrap resamples: groups drawn with replacement, all their items."""
    names = sorted({str(v) for v in groups.tolist()})
    members = {name: np.flatnonzero([str(v) == name for v in groups.tolist()]) for name in names}
    rng = np.random.default_rng(seed)
    return [
        np.concatenate([members[names[i]] for i in rng.integers(0, len(names), len(names))]) for _ in range(n_resamples)
    ]


def cross_domain(
    X_source: np.ndarray,
    y_source: Sequence[str] | np.ndarray,
    X_target: np.ndarray,
    y_target: Sequence[str] | np.ndarray,
    groups_target: Sequence[Hashable] | np.ndarray,
    X_synth: np.ndarray,
    y_synth: Sequence[str] | np.ndarray,
    *,
    learner: Learner = "logistic",
    n_splits: int = 20,
    test_size: float = 0.25,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[list[CrossDomainRow], int]:
    """Cross-domain recognition: train on the source corpus (± synthetic data), test on another corpus.

    The emotions compared are those of the source corpus; target items of other emotions cannot be recognised
    by a source recogniser and are left out (their count is returned beside the rows). The source-only and
    augmented recognisers never see the target corpus, so they are scored on all of it, with a cluster bootstrap
    over target groups (``n_bootstrap`` resamples, seeded) for their intervals and a one-sided paired bootstrap
    p-value of gain > 0 (the share of resamples with gain ≤ 0, at least 1/(B+1)). The in-domain ceiling comes
    from repeated group-aware splits of the target (:func:`group_splits`). See :class:`CrossDomainRow`.
    """
    xs_src, ys_src = np.asarray(X_source, dtype=np.float64), np.asarray(y_source).astype(str)
    xt, yt = np.asarray(X_target, dtype=np.float64), np.asarray(y_target).astype(str)
    gt = np.asarray(groups_target, dtype=object)
    xg, yg = np.asarray(X_synth, dtype=np.float64), np.asarray(y_synth).astype(str)
    if not (xs_src.ndim == xt.ndim == xg.ndim == 2) or not xs_src.shape[1] == xt.shape[1] == xg.shape[1]:
        raise ValueError(f"feature arrays must be (n, d) of one d, got {xs_src.shape}, {xt.shape}, {xg.shape}")
    if not len(xt) == len(yt) == len(gt):
        raise ValueError(f"X_target has {len(xt)} rows, y_target {len(yt)} labels, groups_target {len(gt)} ids")
    classes = sorted(set(ys_src.tolist()))
    keep = np.isin(yt, classes)
    dropped = int((~keep).sum())
    xt, yt, gt = xt[keep], yt[keep], gt[keep]
    if len(set(yt.tolist())) < 2:
        raise RunConfigError(
            f"the target corpus shares fewer than two emotions with the source ({sorted(set(yt.tolist()))}); "
            "map both to one label vocabulary (label_set=...)"
        )
    source_model = fit_probe(xs_src, ys_src, learner=learner, seed=seed)
    augmented_model = fit_probe(np.vstack([xs_src, xg]), np.concatenate([ys_src, yg]), learner=learner, seed=seed)
    predicted_source, predicted_augmented = source_model.predict(xt), augmented_model.predict(xt)
    keys = [(m, None) for m in OVERALL_METRICS] + [("recall", c) for c in classes]
    full_source = classification_scores(yt, predicted_source, classes)
    full_augmented = classification_scores(yt, predicted_augmented, classes)
    resamples = _cluster_bootstrap_indices(gt, n_bootstrap, seed)
    boot_source = [classification_scores(yt[i], predicted_source[i], classes) for i in resamples]
    boot_augmented = [classification_scores(yt[i], predicted_augmented[i], classes) for i in resamples]

    splits = group_splits(gt, n_splits=n_splits, test_size=test_size, seed=seed)
    in_domain: list[dict[tuple[str, str | None], float]] = []
    gaps: list[dict[tuple[str, str | None], float]] = []
    for train, test in splits:
        own = fit_probe(xt[train], yt[train], learner=learner, seed=seed).predict(xt[test])
        scores = classification_scores(yt[test], own, classes)
        source_fold = classification_scores(yt[test], predicted_source[test], classes)
        in_domain.append(scores)
        gaps.append({key: scores[key] - source_fold[key] for key in keys})
    n_in_train = round(float(np.mean([len(a) for a, _ in splits])))
    n_in_test = round(float(np.mean([len(b) for _, b in splits])))
    tail = (1.0 - confidence) / 2.0 * 100.0

    def percentile(values: list[float]) -> tuple[float, float]:
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            return math.nan, math.nan
        low, high = np.percentile(finite, [tail, 100.0 - tail])
        return float(low), float(high)

    rows: list[CrossDomainRow] = []
    n_src, n_aug, n_target = len(xs_src), len(xs_src) + len(xg), len(xt)
    for metric, emotion in keys:
        key = (metric, emotion)
        src, aug = full_source[key], full_augmented[key]
        src_boot = [b[key] for b in boot_source]
        aug_boot = [b[key] for b in boot_augmented]
        gain_boot = [a - b for a, b in zip(aug_boot, src_boot, strict=True)]
        finite_gain = np.asarray(gain_boot)[np.isfinite(gain_boot)]
        p = (
            max(float((finite_gain <= 0).mean()), 1.0 / (finite_gain.size + 1))
            if finite_gain.size and math.isfinite(aug - src)
            else math.nan
        )
        ceiling = _interval(np.array([s[key] for s in in_domain]), confidence)[:3]
        gap_mean, gap_low, gap_high, _ = _interval(np.array([g[key] for g in gaps]), confidence)
        gain = aug - src
        closed = gain / gap_mean if math.isfinite(gap_mean) and gap_mean > 0 else math.nan
        rows.extend(
            [
                CrossDomainRow(
                    "source_only", learner, metric, emotion, src, *percentile(src_boot), math.nan, n_src, n_target
                ),
                CrossDomainRow(
                    "augmented", learner, metric, emotion, aug, *percentile(aug_boot), math.nan, n_aug, n_target
                ),
                CrossDomainRow("gain", learner, metric, emotion, gain, *percentile(gain_boot), p, n_aug, n_target),
                CrossDomainRow("in_domain", learner, metric, emotion, *ceiling, math.nan, n_in_train, n_in_test),
                CrossDomainRow(
                    "gap", learner, metric, emotion, gap_mean, gap_low, gap_high, math.nan, n_in_train, n_in_test
                ),
                CrossDomainRow(
                    "gap_closed", learner, metric, emotion, closed, math.nan, math.nan, math.nan, n_aug, n_target
                ),
            ]
        )
    return rows, dropped


# -- fidelity, diversity, label faithfulness ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlphaBetaResult:
    """α-precision / β-recall curves and authenticity (Alaa et al. 2022), see :func:`alpha_precision_beta_recall`.

    ``alpha_precision[i]`` / ``beta_recall[i]`` are P_α, R_β at ``alphas[i]`` (in [0, 1]; a faithful synthetic
    set has P_α ≈ α and R_β ≈ β); ``integrated_alpha_precision`` and ``integrated_beta_recall`` are
    1 − Σ|P_α − α| / Σα (the discretised IPα = 1 − 2∫|P_α − α|dα; 1 best, can be negative); ``authenticity`` the
    share of synthetic samples that are not closer to their nearest real sample than that sample's own nearest
    real neighbour (in [0, 1], higher = less copying); ``authentic`` the per-sample flags."""

    alphas: np.ndarray
    alpha_precision: np.ndarray
    beta_recall: np.ndarray
    integrated_alpha_precision: float
    integrated_beta_recall: float
    authenticity: float
    authentic: np.ndarray


def alpha_precision_beta_recall(
    real: np.ndarray, synth: np.ndarray, *, n_alphas: int = 30, k: int = 1
) -> AlphaBetaResult:
    """α-precision, β-recall and authenticity of ``synth`` against ``real`` (Alaa, van Breugel, Saveliev &
    van der Schaar 2022, ICML, "How faithful is your synthetic data? Sample-level metrics for evaluating and
    auditing generative models"), on the given features (the paper's learned one-class embedding Φ is replaced by
    the identity: pass standardised features, e.g. a probe's embedding; this is synthcity's "naive" variant).

    Definitions (Euclidean distances; α, β on ``np.linspace(0, 1, n_alphas)``):

    - α-support of the real data: the ball around the real mean c_r whose radius r_α is the α-quantile of the
      real samples' distances to c_r. **α-precision** P_α = share of synthetic samples inside it.
    - β-support of the synthetic data: the ball around the synthetic mean c_g whose radius is the β-quantile of
      the synthetic samples' distances to c_g. **β-recall** R_β = share of real samples x_i whose nearest
      synthetic sample *within the β-support* lies within x_i's k-NN radius among the real samples (the paper's
      k-NN estimator of "x_i is covered by the β-support"; k = 1 by default as in synthcity).
    - **Authenticity**: a synthetic sample x̃_j with nearest real sample x_i* is unauthentic (a copy) when
      d(x̃_j, x_i*) ≤ d(x_i*, its nearest other real sample); authenticity is the share of authentic samples.

    Differences from synthcity 0.2.12 ``AlphaPrecision.metrics`` (which needs equal set sizes): its β-recall takes
    each real sample's nearest synthetic sample over the whole synthetic set and thresholds that sample's distance
    to c_g by the β-quantile of those nearest samples' distances; its authenticity indexes the real-real distances
    by synthetic indices. Here both follow the paper's definitions per sample; α-precision is the same.
    """
    r, s = np.asarray(real, dtype=np.float64), np.asarray(synth, dtype=np.float64)
    if r.ndim != 2 or s.ndim != 2 or r.shape[1] != s.shape[1]:
        raise ValueError(f"real and synth must be (n, d) arrays of one d, got {r.shape} and {s.shape}")
    if len(r) <= k or len(s) < 1:
        raise ValueError(f"need more than k={k} real samples and at least one synthetic, got {len(r)} and {len(s)}")
    alphas = np.linspace(0.0, 1.0, n_alphas)
    real_to_centre = np.linalg.norm(r - r.mean(axis=0), axis=1)
    synth_to_real_centre = np.linalg.norm(s - r.mean(axis=0), axis=1)
    radii = np.quantile(real_to_centre, alphas)
    precision = (synth_to_real_centre[None, :] <= radii[:, None]).mean(axis=1)

    synth_to_synth_centre = np.linalg.norm(s - s.mean(axis=0), axis=1)
    synth_radii = np.quantile(synth_to_synth_centre, alphas)
    real_knn = nearest_neighbour_radii(r, k)  # k-th nearest other real sample
    d_real_synth = pairwise_distances(r, s)  # (n_real, n_synth)
    recall = np.empty(n_alphas)
    for i, radius in enumerate(synth_radii):
        inside = synth_to_synth_centre <= radius
        if not inside.any():
            recall[i] = 0.0
            continue
        nearest = d_real_synth[:, inside].min(axis=1)
        recall[i] = float((nearest <= real_knn).mean())

    real_nn = nearest_neighbour_radii(r, 1)
    nearest_real = d_real_synth.argmin(axis=0)
    authentic = d_real_synth[nearest_real, np.arange(len(s))] > real_nn[nearest_real]
    total = float(alphas.sum())
    return AlphaBetaResult(
        alphas=alphas,
        alpha_precision=precision,
        beta_recall=recall,
        integrated_alpha_precision=1.0 - float(np.abs(precision - alphas).sum()) / total,
        integrated_beta_recall=1.0 - float(np.abs(recall - alphas).sum()) / total,
        authenticity=float(authentic.mean()),
        authentic=authentic,
    )


def per_class_fidelity(
    X_real: np.ndarray,
    y_real: Sequence[str] | np.ndarray,
    X_synth: np.ndarray,
    y_synth: Sequence[str] | np.ndarray,
    *,
    k: int = 5,
    n_alphas: int = 30,
) -> list[dict[str, Any]]:
    """Fidelity and diversity of each emotion's synthetic set against that emotion's real set: tidy rows
    ``{"emotion", "metric", "value", "n_real", "n_synth"}``.

    Metrics: ``precision``, ``recall``, ``density``, ``coverage`` (PRDC, Naeem et al. 2020, k-NN balls with
    ``k``, :func:`emoeval.functional.distribution.prdc`; precision/recall/coverage in [0, 1], density ≥ 0, ≈ 1
    for matching distributions; all higher is better) and ``integrated_alpha_precision``,
    ``integrated_beta_recall``, ``authenticity`` (:func:`alpha_precision_beta_recall`). An emotion of the real set
    with no synthetic sample has coverage 0 and recall 0 (nothing of it was generated) and NaN for the rest; with
    ``k`` or fewer synthetic samples PRDC recall (which needs the synthetic k-NN radii) is NaN. Emotions are those
    of the real set; synthetic samples of other labels are ignored here (see :func:`class_balance`).
    """
    xr, xs = np.asarray(X_real, dtype=np.float64), np.asarray(X_synth, dtype=np.float64)
    yr, ys = np.asarray(y_real).astype(str), np.asarray(y_synth).astype(str)
    rows: list[dict[str, Any]] = []
    for emotion in sorted(set(yr.tolist())):
        real, fake = xr[yr == emotion], xs[ys == emotion]
        if len(real) <= k:
            raise RunConfigError(
                f"emotion {emotion!r} has {len(real)} real samples; PRDC with k={k} needs more than {k}"
            )
        values: dict[str, float]
        if len(fake) == 0:
            values = dict.fromkeys(
                ("precision", "density", "integrated_alpha_precision", "integrated_beta_recall", "authenticity"),
                math.nan,
            )
            values.update(recall=0.0, coverage=0.0)
        else:
            if len(fake) > k:
                values = prdc(real, fake, k=k)
            else:  # too few fakes for their own k-NN radii: precision, density and coverage use real radii only
                radii = nearest_neighbour_radii(real, k)
                distance = pairwise_distances(real, fake)
                inside = distance < radii[:, None]
                values = {
                    "precision": float(inside.any(axis=0).mean()),
                    "recall": math.nan,
                    "density": float(inside.sum(axis=0).mean() / k),
                    "coverage": float((distance.min(axis=1) < radii).mean()),
                }
            ab = alpha_precision_beta_recall(real, fake, n_alphas=n_alphas)
            values.update(
                integrated_alpha_precision=ab.integrated_alpha_precision,
                integrated_beta_recall=ab.integrated_beta_recall,
                authenticity=ab.authenticity,
            )
        for metric in FIDELITY_METRICS:
            rows.append(
                {
                    "emotion": emotion,
                    "metric": metric,
                    "value": float(values[metric]),
                    "n_real": len(real),
                    "n_synth": len(fake),
                }
            )
    return rows


def class_balance(
    labels: Sequence[str] | np.ndarray, classes: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """Count and share of each emotion in a (synthetic) label set: ``{emotion: {"count", "share"}}`` over
    ``classes`` (default: the labels present, sorted; a listed emotion with no sample gets count 0), plus
    ``"_imbalance"`` with ``ratio`` = largest / smallest count (∞ when an emotion is missing; 1 = balanced) and
    ``normalised_entropy`` = H(shares) / log K (in [0, 1], 1 = balanced)."""
    values = np.asarray(labels).astype(str)
    names = sorted(set(values.tolist())) if classes is None else list(classes)
    counts = np.array([int((values == c).sum()) for c in names], dtype=np.float64)
    total = counts.sum()
    shares = counts / total if total else np.zeros_like(counts)
    out: dict[str, dict[str, float]] = {
        c: {"count": float(n), "share": float(p)} for c, n, p in zip(names, counts, shares, strict=True)
    }
    positive = shares[shares > 0]
    entropy = float(-(positive * np.log(positive)).sum())
    out["_imbalance"] = {
        "ratio": float(counts.max() / counts.min()) if counts.size and counts.min() > 0 else math.inf,
        "normalised_entropy": entropy / math.log(len(names)) if len(names) > 1 else 1.0,
    }
    return out


def label_noise(
    intended: Sequence[str] | np.ndarray, predicted: Sequence[str] | np.ndarray
) -> dict[str | None, dict[str, float]]:
    """Label noise of a synthetic set as a recogniser of real data sees it: for each intended emotion c, the
    share of samples meant to show c that the recogniser labels otherwise (``rate`` in [0, 1], lower = more
    faithful labels) and ``n``; key None = overall (1 − accuracy). ``predicted`` are the recogniser's labels of
    the same samples (e.g. from :func:`fit_probe` on real data, as in TRTS)."""
    want, got = np.asarray(intended).astype(str), np.asarray(predicted).astype(str)
    if want.shape != got.shape:
        raise ValueError(f"intended and predicted labels differ in length: {want.shape[0]} vs {got.shape[0]}")
    out: dict[str | None, dict[str, float]] = {}
    for emotion in sorted(set(want.tolist())):
        mask = want == emotion
        out[emotion] = {"rate": float((got[mask] != emotion).mean()), "n": float(mask.sum())}
    out[None] = {"rate": float((got != want).mean()) if want.size else math.nan, "n": float(want.size)}
    return out


# -- memorisation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemorisationResult:
    """Distance to the closest record (DCR), see :func:`distance_to_closest_record`.

    ``synth_dcr``: each synthetic sample's distance to its nearest real training sample; ``test_dcr``: each real
    test sample's distance to its nearest real training sample (what "new data from the same distribution" looks
    like); ``threshold``: the ``quantile`` of ``test_dcr``; ``flagged``: synthetic samples with DCR < threshold
    (near-copies); ``flagged_ids`` their ids; ``share_flagged`` in [0, 1] (≈ ``quantile`` when the generator does
    not copy, lower is better); ``median_ratio`` = median synth DCR / median test DCR (≈ 1 is healthy, ≪ 1
    means copying)."""

    synth_dcr: np.ndarray
    test_dcr: np.ndarray
    threshold: float
    flagged: np.ndarray
    flagged_ids: list[Hashable]
    share_flagged: float
    median_ratio: float
    #: row index (in the real reference the DCR was measured against) of each synthetic sample's nearest record
    nearest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int), repr=False)


def _nearest(reference: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each query's nearest reference row (Euclidean, scikit-learn's exact search)."""
    from sklearn.neighbors import NearestNeighbors

    distances, indices = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(queries)
    return distances[:, 0], indices[:, 0]


def _nearest_distance(reference: np.ndarray, queries: np.ndarray) -> np.ndarray:
    return _nearest(reference, queries)[0]


def flag_near_copies(
    reference: np.ndarray, records: np.ndarray, synth: np.ndarray, names: list[Hashable], quantile: float
) -> MemorisationResult:
    """Each synthetic sample's DCR to ``records`` against the ``reference`` distances of fresh real data: flagged
    below the ``quantile`` of the reference (see :class:`MemorisationResult`). The step both DCR checks share;
    call it directly to test several synthetic sets against one reference computed once."""
    synth_dcr, nearest = _nearest(records, synth) if len(synth) else (np.zeros(0), np.zeros(0, dtype=int))
    threshold = float(np.quantile(reference, quantile))
    flagged = synth_dcr < threshold
    median_reference = float(np.median(reference))
    return MemorisationResult(
        synth_dcr=synth_dcr,
        test_dcr=reference,
        threshold=threshold,
        flagged=flagged,
        flagged_ids=[names[i] for i in np.flatnonzero(flagged)],
        share_flagged=float(flagged.mean()) if len(synth) else math.nan,
        median_ratio=float(np.median(synth_dcr)) / median_reference
        if len(synth) and median_reference > 0
        else math.nan,
        nearest=nearest,
    )


def distance_to_closest_record(
    X_train: np.ndarray,
    X_test: np.ndarray,
    X_synth: np.ndarray,
    *,
    ids: Sequence[Hashable] | None = None,
    quantile: float = 0.05,
) -> MemorisationResult:
    """Memorisation check: is each synthetic sample closer to a real *training* sample than fresh real data is?

    The DCR of a synthetic sample is its Euclidean distance to the nearest row of ``X_train`` (the real data the
    generator — or the recogniser — was trained on); the reference is the distribution of real test→train
    nearest distances. A synthetic sample closer than the ``quantile`` (default 5th percentile) of those is
    flagged as a near-copy (flagging is on by default; exact copies have DCR 0). Following the DCR practice of
    synthetic-data privacy audits (e.g. Zhao et al. 2021, CTAB-GAN; SDMetrics' DCR).
    """
    train = np.asarray(X_train, dtype=np.float64)
    test = np.asarray(X_test, dtype=np.float64)
    synth = np.asarray(X_synth, dtype=np.float64)
    if not (train.ndim == test.ndim == synth.ndim == 2) or not train.shape[1] == test.shape[1] == synth.shape[1]:
        raise ValueError(
            f"X_train, X_test, X_synth must be (n, d) of one d, got {train.shape}, {test.shape}, {synth.shape}"
        )
    if len(train) == 0 or len(test) == 0:
        raise ValueError("DCR needs real training and real test samples")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    names = list(range(len(synth))) if ids is None else list(ids)
    if len(names) != len(synth):
        raise ValueError(f"{len(synth)} synthetic samples but {len(names)} ids")
    return flag_near_copies(_nearest_distance(train, test), train, synth, names, quantile)


def held_out_distances(
    X: np.ndarray, groups: Sequence[Hashable] | np.ndarray, *, n_folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Each real sample's distance to its nearest real sample *of another group fold*: real test→train distances
    with every sample taking its turn in the test fold (group-aware K-fold cross-fitting, K = min(``n_folds``,
    number of groups), scikit-learn ``GroupKFold`` on shuffled group codes seeded by ``seed``).

    What "new data from the same distribution" looks like when the whole real set is the generator's training
    set: the reference distribution of :func:`memorisation_against_real`. Same-group neighbours (the same
    speaker's other recordings) are never the nearest, as a fresh speaker's would not be.
    """
    from sklearn.model_selection import GroupKFold

    x = np.asarray(X, dtype=np.float64)
    g = np.asarray(groups, dtype=object)
    if x.ndim != 2 or len(x) != len(g):
        raise ValueError(f"X must be (n, d) with one group per row, got {x.shape} and {len(g)} groups")
    names = sorted({str(v) for v in g.tolist()})
    if len(names) < 2:
        raise RunConfigError(f"held-out distances need at least 2 groups, got {len(names)}")
    # shuffled codes: GroupKFold assigns groups by size, so a seeded relabelling varies the folds of equal groups
    order = np.random.default_rng(seed).permutation(len(names))
    code_of = {name: int(order[i]) for i, name in enumerate(names)}
    codes = np.array([code_of[str(v)] for v in g.tolist()])
    folds = GroupKFold(n_splits=min(n_folds, len(names)))
    out = np.empty(len(x))
    for train, test in folds.split(x, groups=codes):
        check_group_disjoint(g, train, test)
        out[test] = _nearest_distance(x[train], x[test])
    return out


def memorisation_against_real(
    X_real: np.ndarray,
    groups_real: Sequence[Hashable] | np.ndarray,
    X_synth: np.ndarray,
    *,
    ids: Sequence[Hashable] | None = None,
    quantile: float = 0.05,
    n_folds: int = 5,
    seed: int = 0,
) -> MemorisationResult:
    """DCR memorisation check when the whole real set is what the generator (may have) trained on.

    Each synthetic sample's DCR is its distance to the nearest real sample (any of them: a copy of any real item
    is a copy); the reference is :func:`held_out_distances` (each real sample's distance to the nearest real
    sample of other groups). A synthetic sample closer than the ``quantile`` of the reference is flagged.
    Use :func:`distance_to_closest_record` instead when the generator's real training split is known.
    """
    real = np.asarray(X_real, dtype=np.float64)
    synth = np.asarray(X_synth, dtype=np.float64)
    if real.ndim != 2 or synth.ndim != 2 or real.shape[1] != synth.shape[1]:
        raise ValueError(f"X_real and X_synth must be (n, d) of one d, got {real.shape} and {synth.shape}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    names = list(range(len(synth))) if ids is None else list(ids)
    if len(names) != len(synth):
        raise ValueError(f"{len(synth)} synthetic samples but {len(names)} ids")
    reference = held_out_distances(real, groups_real, n_folds=n_folds, seed=seed)
    return flag_near_copies(reference, real, synth, names, quantile)


def content_hash(data: bytes) -> str:
    """sha256 hex digest of a sample's bytes (the caller reads the file; identical bytes = exact duplicate)."""
    return hashlib.sha256(data).hexdigest()


def exact_duplicates(
    real: Mapping[Hashable, bytes | str], synth: Mapping[Hashable, bytes | str]
) -> dict[Hashable, list[Hashable]]:
    """Synthetic samples whose content equals a real sample's: ``{synth_id: [real_id, ...]}`` (only duplicates).

    Values are the samples' bytes (hashed with :func:`content_hash`) or, as ``str``, content hashes the caller
    computed already."""

    def digest(value: bytes | str) -> str:
        return value if isinstance(value, str) else content_hash(bytes(value))

    by_hash: dict[str, list[Hashable]] = {}
    for real_id, value in real.items():
        by_hash.setdefault(digest(value), []).append(real_id)
    return {sid: by_hash[h] for sid, value in synth.items() if (h := digest(value)) in by_hash}


__all__ = [
    "FIDELITY_METRICS",
    "LEARNERS",
    "OVERALL_METRICS",
    "PROTOCOLS",
    "AlphaBetaResult",
    "CrossDomainRow",
    "EfficiencyRow",
    "GainRow",
    "MemorisationResult",
    "ProtocolRow",
    "alpha_precision_beta_recall",
    "augmentation_gain",
    "check_group_disjoint",
    "class_balance",
    "classification_scores",
    "content_hash",
    "cross_domain",
    "distance_to_closest_record",
    "equivalent_fraction",
    "exact_duplicates",
    "fit_probe",
    "flag_near_copies",
    "group_splits",
    "held_out_distances",
    "label_noise",
    "memorisation_against_real",
    "paired_gain_test",
    "per_class_fidelity",
    "stratified_subset",
    "to_frame",
    "tstr",
]
