"""Calibration of a metric against human ratings: how far can the metric stand in for listeners or readers?

What is measured follows two evaluation traditions:

* **VoiceMOS** (Huang et al., Interspeech 2022): agreement between a predictor and the mean opinion score
  (MOS) at the **utterance level** (one pair per rated sample) and at the **system level** (one pair per
  system: the mean of the metric over a system's samples against the mean of their MOS). Four statistics:

  - ``mse``  — mean squared error, in squared rating units (0 is perfect, lower is better), between the metric
    *mapped onto the rating scale* by the linear mapping below and the MOS. A raw metric is usually on another
    scale than the ratings (a cosine similarity against a 1–5 MOS), so its raw MSE means nothing; the linear
    mapping (least squares, fitted on the utterance-level pairs) puts it on the rating scale first. At the
    system level the same mapping is applied to each system's mean metric (equivalently: the mapped sample
    values are averaged per system, as VoiceMOS averages predictions). Pass ``raw_mse=True`` to also report
    ``mse_raw`` (the metric used as is), which only makes sense for a metric that predicts the rating on its
    own scale (a MOS predictor).
  - ``lcc``  — Pearson's linear correlation coefficient, in [-1, 1].
  - ``srcc`` — Spearman's rank correlation (Pearson on average ranks), in [-1, 1].
  - ``ktau`` — Kendall's tau-b (ties corrected, as :func:`scipy.stats.kendalltau`), in [-1, 1].

  Correlations are of the raw metric values (a linear map does not change them). Higher is better for the
  correlations; the sign says whether the metric rises with the ratings.

* **WMT metrics task** (Kocmi et al., WMT 2021): **pairwise system-ranking accuracy** — the share of system
  pairs that the metric orders as humans do (by mean MOS). The metric's order uses its direction
  (``higher_is_better``); pairs tied in MOS are left out (humans express no order), a tie in the metric counts
  as a disagreement. In [0, 1]; 0.5 is chance. ``n`` is the number of pairs counted.

Every statistic carries a seeded percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13). At the
utterance level the rated samples are resampled with replacement. At the system level the resampling is
**stratified**: each system's samples are resampled within the system (its size kept), then the system means
are recomputed — systems are fixed, the sampling of their outputs is the uncertainty. The linear mapping is
refitted on every resample. Resamples where a statistic is undefined (all values equal) are left out of its
interval, with a warning saying how many.

**Mappings** from metric to rating, fitted on the utterance-level pairs (the system level has too few points):
a linear least-squares fit and an isotonic (monotone, pool-adjacent-violators) fit, each with a ``predict``
method and its own k-fold cross-validated RMSE and MAE (out-of-fold predictions of all samples pooled). The
folds are exactly those of ``sklearn.model_selection.KFold(cv_folds, shuffle=True, random_state=seed)``
(reproduced here with numpy, so scikit-learn is not needed at run time). The isotonic fit is increasing when
the metric's ``higher_is_better`` is true in the results table, decreasing when it is false (ratings are taken
as higher-is-better, like MOS); when the table does not say, the direction follows the sign of the Spearman
correlation of the data being fitted (as scikit-learn's ``increasing="auto"``; per training fold in the
cross-validation, so no test fold leaks into it). Isotonic predictions outside the fitted range are clipped
to its end values; linear predictions are not clipped to the rating scale.

**Design checks.** Systems with very different numbers of rated samples make system-level figures mislead
(their means are estimated with very different precision): a warning is raised when the largest number of
rated samples per system exceeds :data:`UNBALANCED_RATIO` (2) times the smallest. System-level correlations
need at least 3 systems: with fewer, ``level="system"`` raises and ``level="both"`` skips the system level
with a warning. Constant ratings or a constant metric (correlation undefined) raise; so do fewer than 3
rated-and-scored samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from emoeval.stats._result import StatsError, StatsResult, headline_sub_metric, jsonable
from emoeval.stats.ratings import Ratings, clean_ratings, read_ratings

if TYPE_CHECKING:
    from emoeval.results import Results

Level = Literal["utterance", "system", "both"]
UNBALANCED_RATIO = 2.0
MIN_SYSTEMS = 3
MIN_SAMPLES = 3
STATISTICS = ("mse", "lcc", "srcc", "ktau")
_ROW_BUDGET = 2_000_000  # values per bootstrap chunk (bounds memory for large sample counts)
_KENDALL_PAIRWISE_MAX_N = 100  # up to this many values, Kendall's tau is computed over all pairs, vectorised


class CalibrationError(StatsError):
    """A calibration cannot be computed as asked (too few samples or systems, constant values, bad options)."""


# --- the maths: small pure functions, vectorised over rows (one row per bootstrap resample) ----------------------


def _constant(values: np.ndarray) -> np.ndarray:
    """True where a row holds one value only (every statistic here is then undefined)."""
    return np.ptp(values, axis=-1) == 0


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r along the last axis; NaN where ``x`` or ``y`` is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxy = (xc * yc).sum(axis=-1)
    denominator = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    degenerate = _constant(x) | _constant(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(sxy / denominator, -1.0, 1.0)
    return np.where(degenerate, np.nan, r)


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho along the last axis: Pearson's r of average ranks (ties share their mean rank)."""
    from scipy.stats import rankdata

    return pearson_rows(rankdata(x, axis=-1), rankdata(y, axis=-1))


def kendall_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b along the last axis; NaN where a row is constant.

    Up to 100 values: the all-pairs sign formula, vectorised over rows; beyond: scipy.stats.kendalltau
    (O(n log n)) row by row. Both give tau-b, corrected for ties.
    """
    from scipy.stats import kendalltau

    x2, y2 = np.atleast_2d(x), np.atleast_2d(y)
    degenerate = _constant(x2) | _constant(y2)
    n = x2.shape[-1]
    if n <= _KENDALL_PAIRWISE_MAX_N:  # few values (system level): all pairs at once beats a scipy call per row
        first, second = np.triu_indices(n, k=1)
        taus = np.empty(x2.shape[0])
        step = max(1, 1_000_000 // max(first.size, 1))
        for start in range(0, x2.shape[0], step):
            dx = np.sign(x2[start : start + step, first] - x2[start : start + step, second])
            dy = np.sign(y2[start : start + step, first] - y2[start : start + step, second])
            # tau-b = (concordant - discordant) / sqrt(pairs untied in x · pairs untied in y)
            with np.errstate(invalid="ignore", divide="ignore"):
                taus[start : start + step] = (dx * dy).sum(axis=-1) / np.sqrt(
                    (dx != 0).sum(axis=-1) * (dy != 0).sum(axis=-1)
                )
        taus = np.where(degenerate, np.nan, np.clip(taus, -1.0, 1.0))
        return taus.reshape(np.shape(x)[:-1])
    taus = np.array(
        [
            math.nan if bad else float(kendalltau(a, b, variant="b").statistic)
            for a, b, bad in zip(x2, y2, degenerate, strict=True)
        ]
    )
    return taus.reshape(np.shape(x)[:-1])


def linear_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``y ≈ intercept + slope·x`` along the last axis: (slope, intercept); NaN for constant x."""
    x_mean, y_mean = x.mean(axis=-1, keepdims=True), y.mean(axis=-1, keepdims=True)
    xc = x - x_mean
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (xc * (y - y_mean)).sum(axis=-1) / (xc * xc).sum(axis=-1)
    slope = np.where(_constant(x), np.nan, slope)
    return slope, y_mean[..., 0] - slope * x_mean[..., 0]


def pairwise_accuracy_rows(
    metric_means: np.ndarray, human_means: np.ndarray, *, higher_is_better: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise system-ranking accuracy (Kocmi et al. 2021) along the last axis: (accuracy, number of pairs).

    Over the system pairs whose human means differ, the share where the metric orders the two systems the same
    way (after flipping the metric when lower is better). A tie in the metric counts as a disagreement.
    Accuracy is NaN when every pair is tied in the human means.
    """
    first, second = np.triu_indices(np.shape(metric_means)[-1], k=1)
    direction = 1.0 if higher_is_better else -1.0
    metric_order = np.sign(direction * (metric_means[..., first] - metric_means[..., second]))
    human_order = np.sign(human_means[..., first] - human_means[..., second])
    counted = human_order != 0
    pairs = counted.sum(axis=-1)
    agree = ((metric_order == human_order) & counted).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(pairs > 0, agree / np.maximum(pairs, 1), np.nan)
    return accuracy, pairs


def pava(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit of ``values`` in their order (pool adjacent violators)."""
    means, totals, sizes = [], [], []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        totals.append(weight)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:  # a violation: pool the last two blocks
            weight_sum = totals[-2] + totals[-1]
            means[-2] = (totals[-2] * means[-2] + totals[-1] * means[-1]) / weight_sum
            totals[-2] = weight_sum
            sizes[-2] += sizes[-1]
            del means[-1], totals[-1], sizes[-1]
    return np.repeat(np.asarray(means, dtype=float), sizes)


def isotonic_fit(x: np.ndarray, y: np.ndarray, *, increasing: bool) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic regression of ``y`` on ``x``: the knots (x, fitted y) of the monotone least-squares step fit.

    Equal ``x`` values are pooled first (their mean ``y``, weighted by their count), as scikit-learn's
    ``IsotonicRegression`` does; knots whose fitted value equals both neighbours' are dropped (they do not
    change the interpolation).
    """
    order = np.argsort(x, kind="stable")
    x_sorted, y_sorted = x[order], y[order]
    unique_x, starts = np.unique(x_sorted, return_index=True)
    counts = np.diff(np.append(starts, x_sorted.size)).astype(float)
    means = np.add.reduceat(y_sorted, starts) / counts
    fitted = pava(means, counts) if increasing else -pava(-means, counts)
    keep = np.ones(fitted.size, dtype=bool)
    keep[1:-1] = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
    return unique_x[keep], fitted[keep]


def kfold_indices(n: int, n_splits: int, seed: int) -> list[np.ndarray]:
    """Test-fold indices identical to ``sklearn.model_selection.KFold(n_splits, shuffle=True, random_state=seed)``.

    scikit-learn shuffles with the legacy ``RandomState(seed)``; the same generator is used here so that the
    folds are reproducible with either library.
    """
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)
    sizes = np.full(n_splits, n // n_splits, dtype=int)
    sizes[: n % n_splits] += 1
    return [np.sort(fold) for fold in np.split(indices, np.cumsum(sizes)[:-1])]


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float, int]:
    """Percentile interval of the finite bootstrap ``draws``: (low, high, number of non-finite draws left out)."""
    finite = draws[np.isfinite(draws)]
    dropped = int(draws.size - finite.size)
    if finite.size == 0:
        return math.nan, math.nan, dropped
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high), dropped


# --- mappings from metric to rating --------------------------------------------------------------------------


def _cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    fit_predict: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    *,
    folds: int,
    seed: int,
) -> tuple[float, float]:
    """(RMSE, MAE) of the pooled out-of-fold predictions over ``folds`` seeded K folds."""
    predictions = np.empty_like(y)
    for test in kfold_indices(x.size, folds, seed):
        train = np.setdiff1d(np.arange(x.size), test, assume_unique=True)
        predictions[test] = fit_predict(x[train], y[train], x[test])
    errors = predictions - y
    return float(np.sqrt(np.mean(errors**2))), float(np.mean(np.abs(errors)))


@dataclass(frozen=True)
class LinearMapping:
    """``rating ≈ intercept + slope · metric`` (least squares on the utterance-level pairs), with its k-fold
    cross-validated RMSE and MAE in rating units (lower is better)."""

    slope: float
    intercept: float
    cv_rmse: float
    cv_mae: float
    cv_folds: int
    n: int
    kind: str = field(default="linear", init=False)

    def predict(self, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """Predicted ratings for metric ``values`` (not clipped to the rating scale)."""
        return self.intercept + self.slope * np.asarray(values, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "slope": self.slope,
            "intercept": self.intercept,
            "cv_rmse": self.cv_rmse,
            "cv_mae": self.cv_mae,
            "cv_folds": self.cv_folds,
            "n": self.n,
        }


@dataclass(frozen=True)
class IsotonicMapping:
    """A monotone step-and-ramp map from metric to rating (isotonic regression), with its k-fold cross-validated
    RMSE and MAE in rating units. ``increasing`` is its direction; ``x_knots``/``y_knots`` define it."""

    increasing: bool
    x_knots: tuple[float, ...]
    y_knots: tuple[float, ...]
    cv_rmse: float
    cv_mae: float
    cv_folds: int
    n: int
    kind: str = field(default="isotonic", init=False)

    def predict(self, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """Predicted ratings: linear interpolation between knots, the end values outside the fitted range."""
        return np.interp(np.asarray(values, dtype=float), self.x_knots, self.y_knots)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "increasing": self.increasing,
            "x_knots": list(self.x_knots),
            "y_knots": list(self.y_knots),
            "cv_rmse": self.cv_rmse,
            "cv_mae": self.cv_mae,
            "cv_folds": self.cv_folds,
            "n": self.n,
        }


def _check_folds(n: int, cv_folds: int) -> None:
    if cv_folds < 2:
        raise CalibrationError(f"cv_folds must be at least 2, got {cv_folds}")
    if cv_folds > n:
        raise CalibrationError(f"cv_folds={cv_folds} needs at least {cv_folds} rated samples, got {n}; lower cv_folds")


def fit_linear_mapping(x: np.ndarray, y: np.ndarray, *, cv_folds: int = 5, seed: int = 0) -> LinearMapping:
    """Least-squares linear map from metric ``x`` to rating ``y`` with seeded k-fold CV errors."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    _check_folds(x.size, cv_folds)

    def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
        slope, intercept = linear_rows(x_train, y_train)
        if not np.isfinite(slope):
            raise CalibrationError(
                f"the metric is constant within a cross-validation training fold (cv_folds={cv_folds}); "
                "use fewer folds or more varied samples"
            )
        return intercept + slope * x_test

    rmse, mae = _cross_validate(x, y, fit_predict, folds=cv_folds, seed=seed)
    slope, intercept = linear_rows(x, y)
    return LinearMapping(float(slope), float(intercept), rmse, mae, cv_folds, int(x.size))


def _direction(x: np.ndarray, y: np.ndarray, increasing: bool | None) -> bool:
    """The given direction, else the sign of Spearman's rho (>= 0: increasing), as sklearn's ``"auto"``."""
    if increasing is not None:
        return increasing
    rho = float(spearman_rows(x, y))
    return not rho < 0  # NaN (constant training values) → increasing; the fit is flat either way


def fit_isotonic_mapping(
    x: np.ndarray, y: np.ndarray, *, increasing: bool | None = None, cv_folds: int = 5, seed: int = 0
) -> IsotonicMapping:
    """Isotonic map from metric ``x`` to rating ``y`` with seeded k-fold CV errors.

    ``increasing=None`` chooses the direction from the sign of Spearman's rho of the data fitted (in each
    training fold for the cross-validation).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    _check_folds(x.size, cv_folds)

    def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
        knots_x, knots_y = isotonic_fit(x_train, y_train, increasing=_direction(x_train, y_train, increasing))
        return np.interp(x_test, knots_x, knots_y)

    rmse, mae = _cross_validate(x, y, fit_predict, folds=cv_folds, seed=seed)
    direction = _direction(x, y, increasing)
    knots_x, knots_y = isotonic_fit(x, y, increasing=direction)
    return IsotonicMapping(
        direction, tuple(knots_x.tolist()), tuple(knots_y.tolist()), rmse, mae, cv_folds, int(x.size)
    )


# --- the result object ---------------------------------------------------------------------------------------


@dataclass
class CalibrationResult(StatsResult):
    """Agreement of a metric with human ratings, at the utterance and/or system level, and metric→rating maps.

    ``table`` is tidy (level, statistic, value, ci_low, ci_high, n): levels ``utterance`` and ``system`` hold
    mse/lcc/srcc/ktau (``system`` also ``pairwise_accuracy``, whose ``n`` is the number of system pairs
    counted); level ``mapping`` holds the cross-validated errors of the maps. ``samples`` is the joined
    per-sample table (sample_id, system, value, mos, n_ratings), ``systems`` the per-system means.
    """

    metric: str
    sub_metric: str | None
    level: Level
    table: pd.DataFrame
    mapping: dict[str, LinearMapping | IsotonicMapping]
    samples: pd.DataFrame
    systems: pd.DataFrame
    excluded_ratings: pd.DataFrame
    unscored: list[str]
    unrated: list[str]
    higher_is_better: bool | None
    scale: tuple[float, float] | None
    confidence: float
    n_bootstrap: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def value(self, level: str, statistic: str) -> float:
        """One point estimate, e.g. ``result.value("system", "srcc")``."""
        rows = self.table[(self.table["level"] == level) & (self.table["statistic"] == statistic)]
        if rows.empty:
            have = sorted(set(zip(self.table["level"], self.table["statistic"], strict=True)))
            raise KeyError(f"no {statistic!r} at level {level!r}; have {have}")
        return float(rows["value"].iloc[0])

    def summary(self) -> str:
        name = self.metric if self.sub_metric in (None, self.metric) else f"{self.metric}/{self.sub_metric}"
        header = (
            f"Calibration of {name} against human ratings: {len(self.samples)} samples rated and scored, "
            f"{len(self.systems)} systems, {int(self.samples['n_ratings'].sum())} ratings used "
            f"({len(self.excluded_ratings)} excluded); {self.confidence:.0%} bootstrap intervals "
            f"({self.n_bootstrap} resamples, seed {self.seed})"
        )
        linear = self.mapping["linear"]
        isotonic = self.mapping["isotonic"]
        sign = "-" if linear.slope < 0 else "+"
        maps = (
            f"linear map: rating ≈ {linear.intercept:.4g} {sign} {abs(linear.slope):.4g} · metric "
            f"(CV RMSE {linear.cv_rmse:.4g}, MAE {linear.cv_mae:.4g}, {linear.cv_folds} folds)\n"
            f"isotonic map ({'increasing' if isotonic.increasing else 'decreasing'}, {len(isotonic.x_knots)} knots): "
            f"CV RMSE {isotonic.cv_rmse:.4g}, MAE {isotonic.cv_mae:.4g}"
        )
        with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
            table = self.table.to_string(index=False)
            systems = self.systems.to_string(index=False)
        return f"{header}\n{table}\n{maps}\nper system:\n{systems}{self._warnings_text()}"

    def to_dict(self) -> dict[str, Any]:
        payload = super().to_dict()
        payload.update(
            metric=self.metric,
            sub_metric=self.sub_metric,
            level=self.level,
            higher_is_better=self.higher_is_better,
            scale=list(self.scale) if self.scale is not None else None,
            confidence=self.confidence,
            n_bootstrap=self.n_bootstrap,
            seed=self.seed,
            mapping={name: jsonable(item.to_dict()) for name, item in self.mapping.items()},
            systems=jsonable(self.systems),
            n_samples=len(self.samples),
            n_excluded_ratings=len(self.excluded_ratings),
            excluded_ratings=jsonable(self.excluded_ratings.astype(object).astype(str)),
            unscored=list(self.unscored),
            unrated=list(self.unrated),
        )
        return payload


# --- assembling the inputs -----------------------------------------------------------------------------------


def _ids(values: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(value) for value in list(values)[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _metric_values(
    table: pd.DataFrame, metric: str, sub_metric: str | None
) -> tuple[pd.DataFrame, str | None, bool | None, list[str], list[str]]:
    """Per-sample values of one metric/sub-metric: (frame sample_id/system/value, sub_metric, higher_is_better,
    ids of samples that failed with an error, warnings)."""
    required = ["sample_id", "system", "metric", "value"]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise CalibrationError(f"the results table lacks column(s) {', '.join(missing)}; pass a results table")
    rows = table
    if "scope" in rows.columns:
        rows = rows[rows["scope"].astype("string") == "sample"]
    rows = rows[rows["sample_id"].notna()]  # system rows carry no sample_id
    available = sorted(rows["metric"].dropna().astype(str).unique())
    rows = rows[rows["metric"].astype("string") == metric]
    if rows.empty:
        raise CalibrationError(f"no per-sample rows for metric {metric!r} in the results; available: {available}")
    if "sub_metric" in rows.columns and rows["sub_metric"].notna().any():
        listed = list(dict.fromkeys(rows["sub_metric"].dropna().astype(str)))
        chosen = headline_sub_metric(metric, listed, rows) if sub_metric is None else sub_metric
        if chosen not in listed:
            raise CalibrationError(f"metric {metric!r} has no sub_metric {chosen!r}; available: {listed}")
        rows = rows[rows["sub_metric"].astype("string") == chosen]
    elif sub_metric is not None:
        raise CalibrationError(f"metric {metric!r} has no sub-metrics in the results; leave sub_metric unset")
    else:
        chosen = None
    rows = rows.assign(sample_id=rows["sample_id"].astype(str), system=rows["system"].astype(str))
    warnings: list[str] = []
    failed_mask = rows["error"].notna() & (rows["error"].astype("string") != "") if "error" in rows else False
    values = pd.to_numeric(rows["value"], errors="coerce")
    failed_mask = failed_mask | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    failed = sorted(rows.loc[failed_mask, "sample_id"].unique())
    good = rows.loc[~failed_mask].assign(value=values[~failed_mask].astype(float))
    failed = [sample for sample in failed if sample not in set(good["sample_id"])]
    if failed:
        warnings.append(f"{len(failed)} sample(s) have no value for {metric} (an error or NaN) and are left out")
    duplicated = good["sample_id"][good["sample_id"].duplicated()].unique()
    if len(duplicated):
        raise CalibrationError(
            f"sample_id(s) {_ids(list(duplicated))} have several rows for {metric}"
            f"{'' if chosen is None else '/' + chosen}; calibrate one run at a time (filter the table by run_id)"
        )
    higher_is_better = None
    if "higher_is_better" in good.columns and good["higher_is_better"].notna().any():
        directions = good["higher_is_better"].dropna().astype(bool).unique()
        if len(directions) == 1:
            higher_is_better = bool(directions[0])
    return good[["sample_id", "system", "value"]].reset_index(drop=True), chosen, higher_is_better, failed, warnings


def _ratings(source: Ratings | str | Path | pd.DataFrame, scale: tuple[float, float] | None) -> Ratings:
    """Read the ratings; apply ``scale`` also to an already-read :class:`Ratings` whose scale differs."""
    if not isinstance(source, Ratings):
        return read_ratings(source, scale=scale)
    if scale is None or source.scale == scale:
        return source
    rescaled = clean_ratings(source.table, scale=scale)
    excluded = (
        pd.concat([source.excluded, rescaled.excluded], ignore_index=True)
        if len(source.excluded)
        else rescaled.excluded
    )
    return Ratings(
        table=rescaled.table, excluded=excluded, scale=scale, warnings=[*source.warnings, *rescaled.warnings]
    )


# --- bootstrap ------------------------------------------------------------------------------------------------


def _chunks(total: int, width: int) -> list[int]:
    rows = max(1, _ROW_BUDGET // max(width, 1))
    return [min(rows, total - start) for start in range(0, total, rows)]


def _utterance_statistics(x: np.ndarray, y: np.ndarray, *, raw_mse: bool) -> dict[str, np.ndarray]:
    slope, intercept = linear_rows(x, y)
    fitted = intercept[..., None] + slope[..., None] * x
    stats = {
        "mse": np.mean((fitted - y) ** 2, axis=-1),
        "lcc": pearson_rows(x, y),
        "srcc": spearman_rows(x, y),
        "ktau": kendall_rows(x, y),
    }
    if raw_mse:
        stats["mse_raw"] = np.mean((x - y) ** 2, axis=-1)
    return stats


def _system_statistics(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, sizes: np.ndarray, *, higher_is_better: bool, raw_mse: bool
) -> dict[str, np.ndarray]:
    """System-level statistics from utterance pairs laid out system by system (``starts``/``sizes``)."""
    slope, intercept = linear_rows(x, y)  # the mapping is fitted on the utterance pairs
    x_means = np.add.reduceat(x, starts, axis=-1) / sizes
    y_means = np.add.reduceat(y, starts, axis=-1) / sizes
    mapped = intercept[..., None] + slope[..., None] * x_means
    accuracy, _ = pairwise_accuracy_rows(x_means, y_means, higher_is_better=higher_is_better)
    stats = {
        "mse": np.mean((mapped - y_means) ** 2, axis=-1),
        "lcc": pearson_rows(x_means, y_means),
        "srcc": spearman_rows(x_means, y_means),
        "ktau": kendall_rows(x_means, y_means),
        "pairwise_accuracy": accuracy,
    }
    if raw_mse:
        stats["mse_raw"] = np.mean((x_means - y_means) ** 2, axis=-1)
    return stats


def _intervals(
    level: str,
    point: dict[str, np.ndarray],
    draws: dict[str, list[np.ndarray]],
    ns: dict[str, int],
    confidence: float,
    warnings: list[str],
) -> list[dict[str, Any]]:
    rows, dropped_notes = [], []
    for name, value in point.items():
        if draws[name]:
            low, high, dropped = percentile_interval(np.concatenate(draws[name]), confidence)
            if dropped:
                dropped_notes.append(f"{name} {dropped}")
        else:
            low, high = math.nan, math.nan
        rows.append(
            {"level": level, "statistic": name, "value": float(value), "ci_low": low, "ci_high": high, "n": ns[name]}
        )
    if dropped_notes:
        warnings.append(
            f"{level} level: some bootstrap resamples gave an undefined statistic (all values equal) and were left "
            f"out of its interval ({', '.join(dropped_notes)} resamples)"
        )
    return rows


# --- the entry point ------------------------------------------------------------------------------------------


def calibrate(
    results: Results | pd.DataFrame,
    ratings: Ratings | str | Path | pd.DataFrame,
    *,
    metric: str,
    sub_metric: str | None = None,
    scale: tuple[float, float] | None = None,
    level: Level = "both",
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    cv_folds: int = 5,
    raw_mse: bool = False,
) -> CalibrationResult:
    """Calibrate ``metric`` against human ratings (module docstring: what each statistic means).

    ``results``: a :class:`~emoeval.results.Results` or its long table; the per-sample rows (``scope ==
    'sample'``, no ``error``, finite value) of ``metric``/``sub_metric`` are used — by default the metric's
    headline as the table marks it (``headline`` column; in tables without it, the first sub_metric listed for
    the metric). A sample's system comes from the results.
    ``ratings``: a :class:`Ratings`, a DataFrame or a CSV/JSONL/Parquet file in long (``sample_id, rater,
    rating``) or wide (``sample_id`` + one column per rater) form; missing, non-numeric ("N/A ...") and
    out-of-``scale`` ratings are excluded and reported. A sample's MOS is the mean of its usable ratings; the
    two sides are joined on ``sample_id`` and the samples only on one side are reported in a warning.
    ``level``: which agreement levels to report; the mappings are always fitted on the utterance pairs.
    ``n_bootstrap=0`` skips the intervals (NaN). ``raw_mse`` adds the MSE of the unmapped metric.
    """
    if level not in ("utterance", "system", "both"):
        raise CalibrationError(f"level must be 'utterance', 'system' or 'both', got {level!r}")
    if not 0.0 < confidence < 1.0:
        raise CalibrationError(f"confidence must be between 0 and 1, got {confidence}")
    if n_bootstrap < 0:
        raise CalibrationError(f"n_bootstrap must be 0 (no intervals) or more, got {n_bootstrap}")
    table = results if isinstance(results, pd.DataFrame) else results.table
    scores, chosen, higher_is_better, failed, warnings = _metric_values(table, metric, sub_metric)
    name = metric if chosen in (None, metric) else f"{metric}/{chosen}"

    human = _ratings(ratings, scale)
    warnings.extend(w.replace("Ratings.excluded", "excluded_ratings") for w in human.warnings)
    mos = human.table.groupby("sample_id", sort=True)["rating"].agg(mos="mean", n_ratings="count").reset_index()
    joined = scores.merge(mos, on="sample_id", how="inner").sort_values("sample_id", kind="stable")
    joined = joined.reset_index(drop=True)
    scored_ids, rated_ids = set(scores["sample_id"]), set(mos["sample_id"])
    unscored = sorted(rated_ids - scored_ids)  # rated but with no usable score
    unrated = sorted(scored_ids - rated_ids)  # scored but with no usable rating
    if unscored:
        failed_rated = len(set(unscored) & set(failed))
        detail = f" ({failed_rated} of them failed with an error or NaN)" if failed_rated else ""
        warnings.append(
            f"{len(unscored)} rated sample(s) have no {name} score{detail} and are left out: {_ids(unscored)}"
        )
    if unrated:
        warnings.append(f"{len(unrated)} scored sample(s) have no usable rating and are left out: {_ids(unrated)}")
    if "system" in human.table.columns:
        stated = human.table.drop_duplicates("sample_id").set_index("sample_id")["system"].astype(str)
        disagree = [
            s
            for s, system in zip(joined["sample_id"], joined["system"], strict=True)
            if stated.get(s, system) != system
        ]
        if disagree:
            warnings.append(
                f"{len(disagree)} sample(s) have a different system in the ratings than in the results; "
                f"the results' system is used: {_ids(disagree)}"
            )
    n = len(joined)
    if n < MIN_SAMPLES:
        raise CalibrationError(
            f"only {n} sample(s) are both rated and scored for {name}; calibration needs at least {MIN_SAMPLES} "
            "(check that sample_id values match between the ratings and the results)"
        )
    x, y = joined["value"].to_numpy(dtype=float), joined["mos"].to_numpy(dtype=float)
    if _constant(y):
        raise CalibrationError(
            f"the human ratings (per-sample MOS) are all {y[0]:g} over the {n} samples: correlations are undefined"
        )
    if _constant(x):
        raise CalibrationError(f"{name} is {x[0]:g} for all {n} rated samples: correlations are undefined")

    # System layout: samples grouped system by system, for stratified resampling and system means.
    joined = joined.sort_values(["system", "sample_id"], kind="stable").reset_index(drop=True)
    codes, system_names = pd.factorize(joined["system"], sort=True)
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    x_sys, y_sys = joined["value"].to_numpy(dtype=float), joined["mos"].to_numpy(dtype=float)
    systems = (
        joined.groupby("system", sort=True)
        .agg(n_samples=("sample_id", "size"), metric_mean=("value", "mean"), mos_mean=("mos", "mean"))
        .reset_index()
    )
    if len(sizes) >= 2 and sizes.max() > UNBALANCED_RATIO * sizes.min():
        warnings.append(
            f"unbalanced design: systems have {sizes.min()} to {sizes.max()} rated samples "
            f"({system_names[sizes.argmin()]!s} vs {system_names[sizes.argmax()]!s}; the rule warns when the "
            f"largest count exceeds {UNBALANCED_RATIO:g}× the smallest) — system means are estimated with very "
            "different precision, so system-level figures can mislead"
        )
    do_utterance = level in ("utterance", "both")
    do_system = level in ("system", "both")
    if do_system and len(sizes) < MIN_SYSTEMS:
        message = (
            f"system-level correlation needs at least {MIN_SYSTEMS} systems, the rated samples come from "
            f"{len(sizes)} ({', '.join(map(str, system_names))})"
        )
        if level == "system":
            raise CalibrationError(message + "; use level='utterance' or rate more systems")
        warnings.append(message + "; the system level is skipped")
        do_system = False
    if do_system and _constant(systems["mos_mean"].to_numpy()):
        raise CalibrationError("every system has the same mean rating: system-level correlations are undefined")
    if do_system and _constant(systems["metric_mean"].to_numpy()):
        raise CalibrationError(f"every system has the same mean {name}: system-level correlations are undefined")

    mapping: dict[str, LinearMapping | IsotonicMapping] = {
        "linear": fit_linear_mapping(x, y, cv_folds=cv_folds, seed=seed),
        "isotonic": fit_isotonic_mapping(x, y, increasing=higher_is_better, cv_folds=cv_folds, seed=seed),
    }
    direction = higher_is_better
    if direction is None:
        direction = mapping["isotonic"].increasing
        warnings.append(
            f"the results do not say whether higher {name} is better: the direction was taken from the sign of "
            f"its Spearman correlation with the ratings ({'increasing' if direction else 'decreasing'}), which "
            "flatters the pairwise accuracy and the isotonic map"
        )

    rows: list[dict[str, Any]] = []
    utterance_rng, system_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    if do_utterance:
        point = {key: values.item() for key, values in _utterance_statistics(x, y, raw_mse=raw_mse).items()}
        draws: dict[str, list[np.ndarray]] = {key: [] for key in point}
        for rows_in_chunk in _chunks(n_bootstrap, n):
            index = utterance_rng.integers(0, n, size=(rows_in_chunk, n))
            for key, values in _utterance_statistics(x[index], y[index], raw_mse=raw_mse).items():
                draws[key].append(values)
        rows += _intervals("utterance", point, draws, dict.fromkeys(point, n), confidence, warnings)
    if do_system:
        stats_of = _system_statistics(x_sys, y_sys, starts, sizes, higher_is_better=direction, raw_mse=raw_mse)
        point = {key: values.item() for key, values in stats_of.items()}
        _, pairs = pairwise_accuracy_rows(
            systems["metric_mean"].to_numpy(), systems["mos_mean"].to_numpy(), higher_is_better=direction
        )
        draws = {key: [] for key in point}
        for rows_in_chunk in _chunks(n_bootstrap, n):
            index = np.concatenate(
                [
                    start + system_rng.integers(0, size, size=(rows_in_chunk, size))
                    for start, size in zip(starts, sizes, strict=True)
                ],
                axis=1,
            )
            resampled = _system_statistics(
                x_sys[index], y_sys[index], starts, sizes, higher_is_better=direction, raw_mse=raw_mse
            )
            for key, values in resampled.items():
                draws[key].append(values)
        ns = {**dict.fromkeys(point, len(sizes)), "pairwise_accuracy": int(pairs)}
        rows += _intervals("system", point, draws, ns, confidence, warnings)
    for kind, item in mapping.items():
        for error in ("cv_rmse", "cv_mae"):
            rows.append(
                {
                    "level": "mapping",
                    "statistic": f"{kind}_{error}",
                    "value": getattr(item, error),
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                    "n": n,
                }
            )
    statistics = pd.DataFrame(rows, columns=["level", "statistic", "value", "ci_low", "ci_high", "n"])
    statistics["n"] = statistics["n"].astype(int)
    samples = joined.sort_values("sample_id", kind="stable").reset_index(drop=True)
    return CalibrationResult(
        metric=metric,
        sub_metric=chosen,
        level=level,
        table=statistics,
        mapping=mapping,
        samples=samples[["sample_id", "system", "value", "mos", "n_ratings"]],
        systems=systems,
        excluded_ratings=human.excluded,
        unscored=unscored,
        unrated=unrated,
        higher_is_better=higher_is_better,
        scale=human.scale,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        seed=seed,
        warnings=warnings,
    )
