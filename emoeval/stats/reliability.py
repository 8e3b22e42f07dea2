"""Rater reliability: intraclass correlations, Krippendorff's alpha, per-item agreement and mixed-model MOS.

Before human ratings can judge a metric, the ratings must be trusted. This module answers three questions:

- **Do raters agree?** :func:`icc` gives the six intraclass correlations of Shrout & Fleiss (1979) in the
  notation of McGraw & Wong (1996), from the two-way ANOVA of a complete items × raters table, with F tests and
  confidence intervals (the formulas of R's ``psych::ICC`` and ``pingouin.intraclass_corr``).
  :func:`alpha_reliability` gives Krippendorff's alpha, which tolerates missing ratings and any number of raters,
  for nominal, ordinal, interval and ratio data via the coincidence matrix (Krippendorff 2011, "Computing
  Krippendorff's Alpha-Reliability"), with a seeded bootstrap interval over units.
- **Which items are contentious?** :func:`item_agreement` gives per-item spread and modal agreement.
- **What is each system's MOS once rater leniency and item difficulty are accounted for?**
  :func:`mixed_model_mos` sets the plain mean (with its t interval) next to the fixed effect of a linear mixed
  model with crossed random intercepts for rater and item (statsmodels ``MixedLM``). When raters are spread
  unevenly over systems, the plain mean mixes rater leniency into system differences; the mixed model does not.

:func:`reliability_report` bundles all of it for ``emoeval reliability``.

Ratings come as :class:`~emoeval.stats.ratings.Ratings`, a ratings file or a DataFrame in long form
(``sample_id, rater, rating`` [, ``system``]), in wide form (``sample_id`` + one column per rater) or as a plain
items × raters matrix (index = items, the shape :meth:`Ratings.wide` returns).
"""

from __future__ import annotations

import math
import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from emoeval.csv_safe import write_csv
from emoeval.stats._result import StatsError, StatsResult, jsonable
from emoeval.stats.aggregate import mean_with_ci
from emoeval.stats.ratings import Ratings, RatingsError, clean_ratings, read_ratings

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]
ALPHA_LEVELS: tuple[str, ...] = get_args(AlphaLevel)

RatingsLike = Ratings | pd.DataFrame | str | Path

__all__ = [
    "ALPHA_LEVELS",
    "AlphaLevel",
    "AlphaResult",
    "ICCResult",
    "MixedMOSResult",
    "ReliabilityReport",
    "StatsError",
    "alpha_reliability",
    "as_ratings",
    "icc",
    "icc_table",
    "item_agreement",
    "krippendorff_alpha",
    "mixed_model_mos",
    "reliability_report",
]


# --------------------------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------------------------


def as_ratings(ratings: RatingsLike, *, scale: tuple[float, float] | None = None) -> Ratings:
    """Ratings from a :class:`Ratings`, a file path, or a long / wide / items × raters DataFrame."""
    if isinstance(ratings, Ratings):
        return ratings
    if isinstance(ratings, str | Path):
        return read_ratings(ratings, scale=scale)
    if not isinstance(ratings, pd.DataFrame):
        raise StatsError(
            f"ratings must be Ratings, a file path or a pandas DataFrame, got {type(ratings).__name__}; "
            "for a raters × units array use krippendorff_alpha / alpha_reliability"
        )
    if {"rater", "rating"} <= set(ratings.columns) or "sample_id" in ratings.columns:
        return read_ratings(ratings, scale=scale)
    # A plain items × raters matrix: index = items, columns = raters (what Ratings.wide() returns).
    frame = ratings.copy()
    frame.index = frame.index.astype(str)
    long = frame.rename_axis("sample_id").reset_index().melt(id_vars="sample_id", var_name="rater", value_name="rating")
    return clean_ratings(long, scale=scale)


def _check_single_ratings(table: pd.DataFrame) -> None:
    """Reliability statistics need at most one rating per (item, rater); say which pairs repeat."""
    counts = table.groupby(["sample_id", "rater"]).size()
    repeated = counts[counts > 1]
    if len(repeated):
        (item, rater), times = next(iter(repeated.items()))
        raise StatsError(
            f"{len(repeated)} (item, rater) pairs have more than one rating (e.g. rater {rater!r} rated item "
            f"{item!r} {times} times); reliability statistics need at most one rating per rater and item — "
            "average or drop the repeats first"
        )


# --------------------------------------------------------------------------------------------------------------
# Intraclass correlation
# --------------------------------------------------------------------------------------------------------------

ICC_FORMS: tuple[tuple[str, str, str], ...] = (
    ("ICC1", "ICC(1,1)", "one-way random effects, single rater (raters interchangeable)"),
    ("ICC2", "ICC(A,1)", "two-way random effects, absolute agreement, single rater"),
    ("ICC3", "ICC(C,1)", "two-way mixed effects, consistency, single rater"),
    ("ICC1k", "ICC(1,k)", "one-way random effects, mean of k raters"),
    ("ICC2k", "ICC(A,k)", "two-way random effects, absolute agreement, mean of k raters"),
    ("ICC3k", "ICC(C,k)", "two-way mixed effects, consistency, mean of k raters"),
)


@dataclass(frozen=True)
class MeanSquares:
    """Two-way ANOVA of an items × raters table without replication."""

    n_items: int
    n_raters: int
    ms_items: float  # between items (MSR), df n-1
    ms_raters: float  # between raters (MSC), df k-1
    ms_error: float  # residual / interaction (MSE), df (n-1)(k-1)
    ms_within: float  # within items, one-way (MSW), df n(k-1)
    ss_total: float


def anova_mean_squares(matrix: np.ndarray) -> MeanSquares:
    """Mean squares of the two-way ANOVA (items × raters, one rating per cell) behind every ICC form."""
    x = np.asarray(matrix, dtype=float)
    n, k = x.shape
    grand = x.mean()
    row_means, col_means = x.mean(axis=1), x.mean(axis=0)
    ss_rows = k * float(np.sum((row_means - grand) ** 2))
    ss_cols = n * float(np.sum((col_means - grand) ** 2))
    # The residual directly (not SST - SSR - SSC) keeps full precision when raters agree closely.
    residual = x - row_means[:, None] - col_means[None, :] + grand
    ss_err = float(np.sum(residual**2))
    return MeanSquares(
        n_items=n,
        n_raters=k,
        ms_items=ss_rows / (n - 1),
        ms_raters=ss_cols / (k - 1),
        ms_error=ss_err / ((n - 1) * (k - 1)),
        ms_within=(ss_cols + ss_err) / (n * (k - 1)),
        ss_total=float(np.sum((x - grand) ** 2)),
    )


def icc_table(matrix: np.ndarray, *, confidence: float = 0.95) -> pd.DataFrame:
    """The six ICC forms of a complete items × raters matrix (no missing values) as a table.

    Columns: ``form`` (Shrout & Fleiss: ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k), ``type`` (McGraw & Wong:
    ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k)), ``description``, ``icc``, ``F``, ``df1``, ``df2``,
    ``pval`` (F test of "no between-item variance"), ``ci_low``, ``ci_high``. Intervals: exact F-based for the
    one-way and consistency forms; the Satterthwaite-type approximation of McGraw & Wong (1996, Table 7) for the
    absolute-agreement forms, as in ``psych::ICC`` and ``pingouin.intraclass_corr``.
    """
    from scipy import stats

    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise StatsError("icc_table needs a complete 2-D items × raters matrix of finite numbers")
    n, k = x.shape
    if k < 2:
        raise StatsError(f"ICC needs at least 2 raters per item, got {k}")
    if n < 2:
        raise StatsError(f"ICC needs at least 2 items rated by every rater, got {n}")
    ms = anova_mean_squares(x)
    if ms.ss_total == 0.0:
        raise StatsError("every rating is identical (zero variance): the ICC is undefined")
    scale = ms.ss_total / (n * k - 1)
    if ms.ms_items <= 1e-12 * scale:
        raise StatsError(
            "every item has the same mean rating (no between-item variance): the ICC is undefined; "
            "reliability needs items that differ"
        )
    msr, msc, mse, msw = ms.ms_items, ms.ms_raters, ms.ms_error, ms.ms_within
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr

        df1, df_one_way, df_two_way = n - 1, n * (k - 1), (n - 1) * (k - 1)
        f_one = np.float64(msr) / msw
        f_two = np.float64(msr) / mse
        p_one = float(stats.f.sf(f_one, df1, df_one_way))
        p_two = float(stats.f.sf(f_two, df1, df_two_way))

        # One-way (ICC1) and consistency (ICC3) intervals: exact, from the F distribution.
        f1l = f_one / stats.f.ppf(1 - alpha / 2, df1, df_one_way)
        f1u = f_one * stats.f.ppf(1 - alpha / 2, df_one_way, df1)
        f3l = f_two / stats.f.ppf(1 - alpha / 2, df1, df_two_way)
        f3u = f_two * stats.f.ppf(1 - alpha / 2, df_two_way, df1)
        l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
        l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
        # Absolute agreement (ICC2): approximate df v of McGraw & Wong (1996), eq. in Table 7.
        fj = msc / np.float64(mse)
        vn = df_two_way * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        f2u = stats.f.ppf(1 - alpha / 2, n - 1, v)
        f2l = stats.f.ppf(1 - alpha / 2, v, n - 1)
        l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
        u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
        # Average-measure bounds: Spearman–Brown of the single-rater bounds (identical to McGraw & Wong's form).
        ci = [
            (l1, u1),
            (l2, u2),
            (l3, u3),
            (1 - 1 / f1l, 1 - 1 / f1u),
            (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
            (1 - 1 / f3l, 1 - 1 / f3u),
        ]
    values = [icc1, icc2, icc3, icc1k, icc2k, icc3k]
    f_values = [f_one, f_two, f_two, f_one, f_two, f_two]
    df2s = [df_one_way, df_two_way, df_two_way, df_one_way, df_two_way, df_two_way]
    pvals = [p_one, p_two, p_two, p_one, p_two, p_two]
    rows = []
    for (form, kind, description), value, f_value, df2, pval, (low, high) in zip(
        ICC_FORMS, values, f_values, df2s, pvals, ci, strict=True
    ):
        rows.append(
            {
                "form": form,
                "type": kind,
                "description": description,
                "icc": float(value),
                "F": float(f_value),
                "df1": df1,
                "df2": df2,
                "pval": pval,
                "ci_low": float(low),
                "ci_high": float(high),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class ICCResult(StatsResult):
    """The six intraclass correlations of one complete items × raters design.

    ICC ranges from -1/(k-1) (single forms) or -inf (average forms) up to 1 (perfect reliability); higher is
    better. Common reading (Koo & Li 2016): < 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, > 0.9 excellent.
    The single-rater forms give the reliability of one rating, the ``k`` forms that of the mean over the
    ``n_raters`` raters (a MOS). Pick the model from how the ratings were collected — the data cannot tell:
    when every item is rated by the same ``k`` people, use the two-way forms (ICC2 = ICC(A,1) for absolute
    agreement, ICC3 = ICC(C,1) for consistency); when each item has its own raters (crowd workers, anonymous
    annotators, or rater ids that are only positions 1..k in each item's list, as in FED), raters are no factor
    and only the one-way forms ICC1 = ICC(1,1) and ICC1k = ICC(1,k) apply (Shrout & Fleiss 1979, case 1).
    """

    table: pd.DataFrame
    n_items: int
    n_raters: int
    n_items_dropped: int
    confidence: float
    mean_squares: MeanSquares

    def value(self, form: str) -> float:
        """The ICC of one form, by Shrout & Fleiss name (``ICC2``) or McGraw & Wong name (``ICC(A,1)``)."""
        rows = self.table[(self.table["form"] == form) | (self.table["type"] == form)]
        if rows.empty:
            known = ", ".join([*self.table["form"], *self.table["type"]])
            raise StatsError(f"unknown ICC form {form!r}; known forms: {known}")
        return float(rows["icc"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        frame = self.table.copy()
        frame["n_items"] = self.n_items
        frame["n_raters"] = self.n_raters
        frame["confidence"] = self.confidence
        return frame

    def summary(self) -> str:
        level = f"{self.confidence:.0%}"
        lines = [
            f"Intraclass correlation: {self.n_items} items × {self.n_raters} raters"
            + (f" ({self.n_items_dropped} incomplete items dropped)" if self.n_items_dropped else ""),
            f"{'form':<6} {'type':<9} {'ICC':>7}  {level + ' CI':<17} {'F':>9} {'df1':>5} {'df2':>6} {'p':>9}",
        ]
        for row in self.table.itertuples(index=False):
            lines.append(
                f"{row.form:<6} {row.type:<9} {row.icc:7.3f}  [{row.ci_low:6.3f}, {row.ci_high:6.3f}]  "
                f"{row.F:9.3f} {row.df1:5d} {row.df2:6d} {row.pval:9.2g}"
            )
        return "\n".join(lines) + self._warnings_text()

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["mean_squares"] = jsonable(self.mean_squares.__dict__)
        return data


def icc(ratings: RatingsLike | np.ndarray, *, confidence: float = 0.95) -> ICCResult:
    """All six ICC forms (Shrout & Fleiss 1979; McGraw & Wong 1996) with F tests and confidence intervals.

    The ICC needs a complete design: items that some rater did not rate are dropped (listwise deletion, as
    ``pingouin.intraclass_corr(nan_policy="omit")`` does) and the number dropped is a warning. For incomplete
    designs prefer :func:`alpha_reliability`, which uses every pairable rating. A numpy array is read as an
    items × raters matrix (NaN = missing).

    Raises :class:`StatsError` for a single rater, fewer than two complete items, identical ratings, or items
    that all have the same mean.
    """
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must be in (0, 1), got {confidence}")
    if isinstance(ratings, np.ndarray):
        ratings = pd.DataFrame(ratings).rename(columns=lambda c: f"rater{c}")
    data = as_ratings(ratings)
    _check_single_ratings(data.table)
    warnings = list(data.warnings)
    wide = data.wide()
    if wide.shape[1] < 2:
        raise StatsError(f"ICC needs at least 2 raters, got {wide.shape[1]} ({', '.join(map(str, wide.columns))})")
    complete = wide.dropna(axis=0, how="any")
    dropped = len(wide) - len(complete)
    if dropped:
        warnings.append(
            f"{dropped} of {len(wide)} items dropped from the ICC because not every one of the {wide.shape[1]} "
            "raters rated them (listwise deletion); Krippendorff's alpha uses them"
        )
    if len(complete) < 2:
        raise StatsError(
            f"ICC needs at least 2 items rated by all {wide.shape[1]} raters, got {len(complete)} "
            f"({dropped} incomplete items dropped); use alpha_reliability for incomplete designs"
        )
    table = icc_table(complete.to_numpy(dtype=float), confidence=confidence)
    if not np.all(np.isfinite(table[["icc", "F", "ci_low", "ci_high"]].to_numpy(dtype=float))):
        warnings.append(
            "some ICC values or intervals are not finite: the residual mean square is zero (raters agree "
            "exactly, up to a constant shift), so the F ratios are infinite and the intervals undefined"
        )
    return ICCResult(
        table=table,
        n_items=len(complete),
        n_raters=int(wide.shape[1]),
        n_items_dropped=dropped,
        confidence=confidence,
        mean_squares=anova_mean_squares(complete.to_numpy(dtype=float)),
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and not value.strip()


def _reliability_matrix(data: RatingsLike | ArrayLike) -> tuple[np.ndarray, bool, int, int]:
    """(codes, numeric, n_raters, n_units): a raters × units matrix of values (numeric) or category codes.

    Numeric data give a float matrix with NaN for missing values. Other data (category names) are nominal
    only: they are coded 0..V-1 with -1 for missing.
    """
    if isinstance(data, Ratings | pd.DataFrame | str | Path):
        ratings = as_ratings(data)
        _check_single_ratings(ratings.table)
        matrix = ratings.wide().to_numpy(dtype=float).T  # raters × units
        return matrix, True, matrix.shape[0], matrix.shape[1]
    array = np.asarray(data, dtype=object)
    if array.ndim != 2:
        raise StatsError(f"a reliability matrix must be 2-D (raters × units), got shape {array.shape}")
    try:
        numeric = np.array(
            [[np.nan if _is_missing(v) else float(v) for v in row] for row in array.tolist()], dtype=float
        )
    except (TypeError, ValueError):
        flat = [None if _is_missing(v) else str(v) for v in array.ravel().tolist()]
        codes, _ = pd.factorize(pd.Series(flat, dtype=object), use_na_sentinel=True)
        return codes.reshape(array.shape).astype(float), False, array.shape[0], array.shape[1]
    if np.any(np.isinf(numeric)):
        raise StatsError("a reliability matrix contains infinite values; use NaN for missing ratings")
    return numeric, True, array.shape[0], array.shape[1]


def _value_counts(matrix: np.ndarray, numeric: bool) -> tuple[np.ndarray, np.ndarray]:
    """(counts units × V, domain V): how many raters gave each value to each unit (Krippendorff's n_uc)."""
    present = matrix >= 0 if not numeric else np.isfinite(matrix)
    domain = np.unique(matrix[present])
    units = np.broadcast_to(np.arange(matrix.shape[1])[None, :], matrix.shape)[present]
    codes = np.searchsorted(domain, matrix[present])
    counts = np.zeros((matrix.shape[1], len(domain)), dtype=float)
    np.add.at(counts, (units, codes), 1.0)
    return counts, domain


def _distance_matrix(domain: np.ndarray, n_v: np.ndarray, level: str) -> np.ndarray:
    """Krippendorff's difference function δ²(c, k) between every pair of domain values."""
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    if level == "interval":
        return (domain[:, None] - domain[None, :]) ** 2
    if level == "ratio":
        total = domain[:, None] + domain[None, :]
        diff = domain[:, None] - domain[None, :]
        return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    # ordinal: (Σ_{g=c}^{k} n_g − (n_c + n_k)/2)², from the marginal frequencies of pairable values
    cumulative = np.concatenate([[0.0], np.cumsum(n_v)])
    low = np.minimum.outer(np.arange(len(domain)), np.arange(len(domain)))
    high = np.maximum.outer(np.arange(len(domain)), np.arange(len(domain)))
    between = cumulative[high + 1] - cumulative[low]
    return (between - (n_v[:, None] + n_v[None, :]) / 2.0) ** 2


def _quadratic_forms(counts: np.ndarray, domain: np.ndarray, n_v: np.ndarray, level: str) -> np.ndarray:
    """c_u^T δ² c_u for every unit row c_u of ``counts`` (closed forms for nominal and interval data)."""
    m = counts.sum(axis=1)
    if level == "nominal":  # Σ_{c≠k} n_c n_k
        return m**2 - np.sum(counts**2, axis=1)
    if level == "interval":  # Σ_ck n_c n_k (v_c − v_k)² = 2(m Σ n v² − (Σ n v)²); centred: shift invariant
        centred = domain - domain.mean()
        first, second = counts @ centred, counts @ centred**2
        return 2.0 * (m * second - first**2)
    distances = _distance_matrix(domain, n_v, level)
    return np.einsum("uv,vw,uw->u", counts, distances, counts)


def _alpha_from_counts(
    counts: np.ndarray, domain: np.ndarray, level: str, weights: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(alpha, D_o, D_e) from the value counts of pairable units (each with ≥ 2 values).

    ``weights`` (how often each unit is drawn, for the bootstrap) repeats units without changing their size.
    """
    w = np.ones(counts.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    m = counts.sum(axis=1)
    n_v = w @ counts  # marginals of the coincidence matrix
    n = float(n_v.sum())
    # Σ_ck o_ck δ²_ck = Σ_u c_u^T δ² c_u / (m_u − 1), since δ²(c, c) = 0 for every level.
    observed = float(np.sum(w * _quadratic_forms(counts, domain, n_v, level) / (m - 1.0)))
    expected = float(_quadratic_forms(n_v[None, :], domain, n_v, level)[0])
    d_o = observed / n
    d_e = expected / (n * (n - 1.0))
    if np.count_nonzero(n_v) < 2 or not d_e > 0.0:  # one value among the pairable ones: no variation
        return math.nan, d_o, d_e
    return 1.0 - d_o / d_e, d_o, d_e


@dataclass
class AlphaResult(StatsResult):
    """Krippendorff's alpha for one level of measurement.

    ``alpha = 1 − D_o / D_e``: 1 is perfect agreement, 0 agreement at chance level, below 0 systematic
    disagreement. Krippendorff (2004) suggests relying on α ≥ 0.800 and drawing tentative conclusions only for
    0.667 ≤ α < 0.800. ``n_pairable_units`` counts units with at least two values; ``n_pairable_values`` is n..,
    the number of values in them (the total of the coincidence matrix).
    """

    alpha: float
    level: str
    n_raters: int
    n_units: int
    n_pairable_units: int
    n_pairable_values: int
    observed_disagreement: float
    expected_disagreement: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    confidence: float = 0.95
    n_boot: int = 0
    seed: int = 0

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "statistic": f"alpha_{self.level}",
                    "level": self.level,
                    "value": self.alpha,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence": self.confidence,
                    "n_boot": self.n_boot,
                    "n_raters": self.n_raters,
                    "n_units": self.n_units,
                    "n_pairable_units": self.n_pairable_units,
                    "n_pairable_values": self.n_pairable_values,
                    "observed_disagreement": self.observed_disagreement,
                    "expected_disagreement": self.expected_disagreement,
                }
            ]
        )

    def summary(self) -> str:
        interval = (
            f" [{self.ci_low:.3f}, {self.ci_high:.3f}] ({self.confidence:.0%} bootstrap over units, "
            f"{self.n_boot} resamples)"
            if self.n_boot
            else ""
        )
        return (
            f"Krippendorff's alpha ({self.level}) = {self.alpha:.3f}{interval}; {self.n_raters} raters, "
            f"{self.n_pairable_units} of {self.n_units} units pairable, {self.n_pairable_values} pairable values"
            + self._warnings_text()
        )


def alpha_reliability(
    data: RatingsLike | ArrayLike,
    *,
    level: AlphaLevel = "interval",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> AlphaResult:
    """Krippendorff's alpha via the coincidence matrix (Krippendorff 2011), with a bootstrap interval.

    ``data`` is ratings (:class:`Ratings`, a file or a DataFrame, see the module docstring) or, as in the
    ``krippendorff`` package, a **raters × units** array with NaN (or None) for missing values. Arrays of
    category names are accepted for ``level="nominal"``. Units with fewer than two values are not pairable and
    do not count. The interval is a seeded percentile bootstrap that resamples pairable units with replacement
    (``n_boot=0`` skips it); resamples without any variation are skipped and counted in a warning.

    Raises :class:`StatsError` when no unit has two values or when all pairable values are identical (no
    variation: alpha is undefined).
    """
    if level not in ALPHA_LEVELS:
        raise StatsError(f"unknown level of measurement {level!r}; use one of {', '.join(ALPHA_LEVELS)}")
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must be in (0, 1), got {confidence}")
    warnings = list(data.warnings) if isinstance(data, Ratings) else []
    if isinstance(data, pd.DataFrame | str | Path):
        ratings = as_ratings(data)
        warnings = list(ratings.warnings)
        data = ratings
    matrix, numeric, n_raters, n_units = _reliability_matrix(data)
    if not numeric and level != "nominal":
        raise StatsError(
            f"category names can only be compared at the nominal level, not {level!r}; code them as numbers "
            "in their order for ordinal, interval or ratio data"
        )
    if level == "ratio" and numeric and np.nanmin(matrix, initial=0.0) < 0:
        raise StatsError("ratio-level alpha needs non-negative values (a true zero); use level='interval'")
    counts, domain = _value_counts(matrix, numeric)
    pairable = counts.sum(axis=1) >= 2
    counts = counts[pairable]
    if counts.shape[0] == 0:
        raise StatsError(
            f"no unit has values from at least two raters ({n_units} units, {n_raters} raters): "
            "alpha needs units rated more than once"
        )
    value, d_o, d_e = _alpha_from_counts(counts, domain, level)
    if not math.isfinite(value):
        raise StatsError(
            "all pairable values are identical (no variation): Krippendorff's alpha is undefined; "
            "agreement cannot be told apart from chance"
        )
    low = high = math.nan
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        n_pairable = counts.shape[0]
        draws = []
        for _ in range(n_boot):
            weights = np.bincount(rng.integers(0, n_pairable, size=n_pairable), minlength=n_pairable)
            chosen = weights > 0
            draws.append(_alpha_from_counts(counts[chosen], domain, level, weights[chosen])[0])
        samples = np.asarray(draws, dtype=float)
        skipped = int(np.sum(~np.isfinite(samples)))
        samples = samples[np.isfinite(samples)]
        if skipped:
            warnings.append(f"{skipped} of {n_boot} bootstrap resamples had no variation and were skipped")
        if samples.size:
            tail = (1.0 - confidence) / 2.0
            low, high = (float(q) for q in np.quantile(samples, [tail, 1.0 - tail]))
    return AlphaResult(
        alpha=float(value),
        level=level,
        n_raters=n_raters,
        n_units=n_units,
        n_pairable_units=int(counts.shape[0]),
        n_pairable_values=int(counts.sum()),
        observed_disagreement=d_o,
        expected_disagreement=d_e,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        warnings=warnings,
    )


def krippendorff_alpha(data: RatingsLike | ArrayLike, *, level: AlphaLevel = "interval") -> float:
    """Krippendorff's alpha as a number (no bootstrap); see :func:`alpha_reliability` for inputs and errors."""
    return alpha_reliability(data, level=level, n_boot=0).alpha


# --------------------------------------------------------------------------------------------------------------
# Per-item agreement
# --------------------------------------------------------------------------------------------------------------


def item_agreement(ratings: RatingsLike) -> pd.DataFrame:
    """Per item: how many ratings, their mean, SD, min, max and range, and modal agreement.

    Columns: ``sample_id`` [, ``system``], ``n_ratings``, ``mean``, ``sd`` (ddof 1; NaN for one rating),
    ``min``, ``max``, ``range``, ``mode`` (most frequent rating; the smallest of tied modes), ``n_modes`` (how
    many ratings tie for most frequent), ``modal_agreement`` (share of the item's raters who gave the modal
    rating, in [1/n, 1]; 1 = unanimous). Modal agreement is meaningful for discrete scales (MOS 1-5, Likert);
    for continuous ratings use ``sd`` and ``range``.
    """
    table = as_ratings(ratings).table
    keys = ["sample_id", "system"] if "system" in table.columns else ["sample_id"]
    grouped = table.groupby(keys, sort=True)["rating"]
    stats_frame = grouped.agg(n_ratings="count", mean="mean", sd="std", min="min", max="max").reset_index()
    stats_frame["range"] = stats_frame["max"] - stats_frame["min"]
    frequencies = table.groupby([*keys, "rating"], sort=True).size().rename("count").reset_index()
    top = frequencies.groupby(keys, sort=True)["count"].transform("max")
    modes = frequencies[frequencies["count"] == top]
    modal = modes.groupby(keys, sort=True).agg(mode=("rating", "min"), n_modes=("rating", "size"), top=("count", "max"))
    stats_frame = stats_frame.merge(modal.reset_index(), on=keys, how="left")
    stats_frame["modal_agreement"] = stats_frame.pop("top") / stats_frame["n_ratings"]
    return stats_frame


# --------------------------------------------------------------------------------------------------------------
# MOS with a crossed random-effects model
# --------------------------------------------------------------------------------------------------------------


@dataclass
class MixedMOSResult(StatsResult):
    """Per system: the plain MOS (mean of all ratings, t interval) and the mixed-model MOS.

    The mixed model is ``rating = μ_system + u_rater + v_item + ε`` with crossed random intercepts
    ``u ~ N(0, σ²_rater)``, ``v ~ N(0, σ²_item)`` fitted by REML (statsmodels ``MixedLM``, one group and variance
    components). ``μ_system`` is the MOS an average rater gives an average item of that system; its interval is
    the Wald interval (normal quantile) of statsmodels. The plain t interval treats all ratings as independent,
    which is optimistic when items or raters cluster — compare the widths.
    """

    table: pd.DataFrame
    variance_components: dict[str, float]
    converged: bool
    confidence: float
    method: str = "REML"

    def to_frame(self) -> pd.DataFrame:
        frame = self.table.copy()
        frame["confidence"] = self.confidence
        return frame

    def estimate(self, system: str, estimator: Literal["mean", "mixed"] = "mixed") -> float:
        """One system's MOS by ``estimator``."""
        rows = self.table[(self.table["system"] == system) & (self.table["estimator"] == estimator)]
        if rows.empty:
            raise StatsError(f"no {estimator} estimate for system {system!r}; systems: {sorted(self.table.system)}")
        return float(rows["value"].iloc[0])

    def summary(self) -> str:
        level = f"{self.confidence:.0%}"
        lines = [
            f"MOS per system: plain mean (t {level} CI) and mixed model ({self.method}, Wald {level} CI)",
            f"{'system':<20} {'mean':>7} {'CI':<17} {'mixed':>7} {'CI':<17} {'n':>6}",
        ]
        wide = self.table.pivot(index="system", columns="estimator")
        for system in wide.index:
            row = wide.loc[system]
            lines.append(
                f"{system!s:<20} {row[('value', 'mean')]:7.3f} [{row[('ci_low', 'mean')]:6.3f}, "
                f"{row[('ci_high', 'mean')]:6.3f}] {row[('value', 'mixed')]:7.3f} [{row[('ci_low', 'mixed')]:6.3f}, "
                f"{row[('ci_high', 'mixed')]:6.3f}] {int(row[('n_ratings', 'mean')]):6d}"
            )
        components = ", ".join(f"{name} {value:.4f}" for name, value in self.variance_components.items())
        lines.append(f"variance components: {components}" + ("" if self.converged else " (fit did NOT converge)"))
        return "\n".join(lines) + self._warnings_text()

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(
            variance_components=jsonable(self.variance_components), converged=self.converged, method=self.method
        )
        return data


def _balance_warning(table: pd.DataFrame) -> str | None:
    """A warning when raters are not spread over systems in proportion (then plain means can be biased)."""
    counts = pd.crosstab(table["rater"], table["system"]).to_numpy(dtype=float)
    if counts.shape[1] < 2:
        return None
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    if np.allclose(counts, expected):
        return None
    partial = int(np.sum(np.any(counts == 0, axis=1)))
    detail = (
        f"{partial} of {counts.shape[0]} raters did not rate every system"
        if partial
        else "every rater rated every system, but in different proportions"
    )
    return (
        f"unbalanced design: raters are not spread evenly over systems ({detail}); plain means then mix rater "
        "leniency into system differences — prefer the mixed-model MOS"
    )


def _moment_start(rating: np.ndarray, rater: np.ndarray, item: np.ndarray, system: np.ndarray) -> np.ndarray:
    """Rough variance ratios (item, rater) / residual from an additive fit, to start REML near its optimum.

    Backfitting (alternating group means) fits ``rating = system + item + rater`` by least squares; the spread of
    the item and rater effects, less the noise in them, gives moment estimates. Starting there cuts the
    statsmodels fit several-fold on large designs; REML then finds the same optimum.
    """
    residual = rating - np.bincount(system, rating)[system] / np.bincount(system)[system]
    item_effect = np.zeros(item.max() + 1)
    rater_effect = np.zeros(rater.max() + 1)
    item_n, rater_n = np.bincount(item), np.bincount(rater)
    for _ in range(50):
        item_effect = np.bincount(item, residual - rater_effect[rater]) / item_n
        rater_effect = np.bincount(rater, residual - item_effect[item]) / rater_n
        rater_effect -= rater_effect.mean()
    error = residual - item_effect[item] - rater_effect[rater]
    dof = max(len(rating) - len(item_n) - len(rater_n) - int(system.max()) + 1, 1)
    sigma2 = max(float(error @ error) / dof, 1e-12)
    item_var = float(np.var(item_effect, ddof=1)) - sigma2 / float(np.mean(item_n)) if len(item_n) > 1 else 0.0
    rater_var = float(np.var(rater_effect, ddof=1)) - sigma2 / float(np.mean(rater_n)) if len(rater_n) > 1 else 0.0
    return np.clip(np.array([item_var, rater_var]) / sigma2, 0.01, 100.0)


def mixed_model_mos(ratings: RatingsLike, *, confidence: float = 0.95, reml: bool = True) -> MixedMOSResult:
    """MOS of each system: the plain mean with a t interval next to a crossed random-effects estimate.

    The mixed model (statsmodels ``MixedLM.from_formula("rating ~ 0 + C(system)", groups=<one group>,
    re_formula="0", vc_formula={"rater": "0 + C(rater)", "item": "0 + C(sample_id)"})``) gives each system a
    fixed effect and every rater and item a random intercept, so a harsh rater who happened to rate mostly one
    system lowers that system's plain mean but not its mixed-model MOS. Variance components (rater, item,
    residual) are reported; a fit that did not converge, or that statsmodels warns about, is a warning.

    Needs a ``system`` column, at least 2 raters and 2 items; raises :class:`StatsError` otherwise.
    """
    from scipy import stats
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must be in (0, 1), got {confidence}")
    data = as_ratings(ratings)
    table = data.table
    if "system" not in table.columns:
        raise StatsError("mixed_model_mos needs a 'system' column in the ratings (which system made each item)")
    table = table.assign(system=table["system"].astype(str))
    n_raters, n_items = table["rater"].nunique(), table["sample_id"].nunique()
    if n_raters < 2 or n_items < 2:
        raise StatsError(f"the mixed model needs at least 2 raters and 2 items, got {n_raters} and {n_items}")
    warnings = list(data.warnings)
    systems = sorted(table["system"].unique())
    rows: list[dict[str, Any]] = []
    for system in systems:
        part = table[table["system"] == system]
        values = part["rating"].to_numpy(dtype=float)
        mean, n = float(values.mean()), len(values)
        if n >= 2:
            se = float(values.std(ddof=1) / math.sqrt(n))
            low, high = stats.t.interval(confidence, df=n - 1, loc=mean, scale=se) if se > 0 else (mean, mean)
        else:
            se, low, high = math.nan, math.nan, math.nan
            warnings.append(f"system {system!r} has a single rating: its plain-mean interval is undefined")
        rows.append(
            {
                "system": system,
                "estimator": "mean",
                "value": mean,
                "se": se,
                "ci_low": float(low),
                "ci_high": float(high),
                "n_ratings": n,
                "n_items": int(part["sample_id"].nunique()),
                "n_raters": int(part["rater"].nunique()),
            }
        )
    balance = _balance_warning(table)
    if balance:
        warnings.append(balance)

    # Zero-padded codes keep the formula safe for any system name and the coefficient order known.
    codes = {system: f"s{index:05d}" for index, system in enumerate(systems)}
    frame = pd.DataFrame(
        {
            "rating": table["rating"].to_numpy(dtype=float),
            "system_code": table["system"].map(codes).to_numpy(),
            "rater": table["rater"].astype(str).to_numpy(),
            "item": table["sample_id"].astype(str).to_numpy(),
            "group": np.zeros(len(table), dtype=int),  # one group: rater and item effects are crossed
        }
    )
    model = MixedLM.from_formula(
        "rating ~ 0 + C(system_code)",
        groups="group",
        re_formula="0",
        vc_formula={"rater": "0 + C(rater)", "item": "0 + C(item)"},
        data=frame,
    )
    start = MixedLMParams.from_components(
        fe_params=np.array([table.loc[table["system"] == system, "rating"].mean() for system in systems]),
        cov_re=np.zeros((0, 0)),
        vcomp=_moment_start(
            frame["rating"].to_numpy(),
            pd.factorize(frame["rater"])[0],
            pd.factorize(frame["item"])[0],
            pd.factorize(frame["system_code"])[0],
        ),
    )
    if list(model.exog_vc.names) != ["item", "rater"]:  # the start vector follows statsmodels' (sorted) order
        start = None
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            fit = model.fit(reml=reml, start_params=start)
        except (np.linalg.LinAlgError, ValueError) as error:
            raise StatsError(f"the mixed model could not be fitted ({error}); check that raters overlap") from error
    messages = sorted({str(item.message).splitlines()[0] for item in caught})
    warnings.extend(f"MixedLM: {message}" for message in messages)
    converged = bool(fit.converged)
    if not converged:
        warnings.append("the mixed model did not converge; its estimates and intervals may be unreliable")
    interval = fit.conf_int(alpha=1.0 - confidence)
    names = list(fit.fe_params.index)
    for system in systems:
        name = next(name for name in names if name.endswith(f"[{codes[system]}]"))
        part = table[table["system"] == system]
        rows.append(
            {
                "system": system,
                "estimator": "mixed",
                "value": float(fit.fe_params[name]),
                "se": float(fit.bse_fe[name]),
                "ci_low": float(interval.loc[name, 0]),
                "ci_high": float(interval.loc[name, 1]),
                "n_ratings": len(part),
                "n_items": int(part["sample_id"].nunique()),
                "n_raters": int(part["rater"].nunique()),
            }
        )
    components = {str(name): float(value) for name, value in zip(model.exog_vc.names, fit.vcomp, strict=True)}
    components["residual"] = float(fit.scale)
    result_table = pd.DataFrame(rows).sort_values(["system", "estimator"], kind="stable").reset_index(drop=True)
    return MixedMOSResult(
        table=result_table,
        variance_components=components,
        converged=converged,
        confidence=confidence,
        method="REML" if reml else "ML",
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------------------------
# The bundle behind `emoeval reliability`
# --------------------------------------------------------------------------------------------------------------


@dataclass
class ReliabilityReport(StatsResult):
    """ICC table, Krippendorff's alpha(s), per-item agreement and (with systems) MOS per system."""

    n_ratings: int
    n_items: int
    n_raters: int
    icc: ICCResult | None
    alphas: dict[str, AlphaResult]
    items: pd.DataFrame
    mos: MixedMOSResult | None = None
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    scale: tuple[float, float] | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: ``analysis`` (icc | alpha | items | mos), ``statistic``, ``system``, value, CI, n, detail."""
        rows: list[dict[str, Any]] = []
        if self.icc is not None:
            for row in self.icc.table.itertuples(index=False):
                rows.append(
                    {
                        "analysis": "icc",
                        "statistic": row.form,
                        "system": None,
                        "value": row.icc,
                        "ci_low": row.ci_low,
                        "ci_high": row.ci_high,
                        "n": self.icc.n_items,
                        "detail": f"{row.type}, {row.description}; F({row.df1}, {row.df2}) = {row.F:.4g}, "
                        f"p = {row.pval:.3g}",
                    }
                )
        for level, result in self.alphas.items():
            rows.append(
                {
                    "analysis": "alpha",
                    "statistic": f"alpha_{level}",
                    "system": None,
                    "value": result.alpha,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "n": result.n_pairable_units,
                    "detail": f"{result.n_pairable_values} pairable values, {result.n_boot} bootstrap resamples",
                }
            )
        for statistic, column in (("mean_modal_agreement", "modal_agreement"), ("mean_item_sd", "sd")):
            estimate = mean_with_ci(self.items[column].to_numpy(dtype=float))
            rows.append(
                {
                    "analysis": "items",
                    "statistic": statistic,
                    "system": None,
                    "value": estimate.value,
                    "ci_low": estimate.ci_low,
                    "ci_high": estimate.ci_high,
                    "n": estimate.n,
                    "detail": f"mean over items of {column} (percentile bootstrap)",
                }
            )
        if self.mos is not None:
            for row in self.mos.table.itertuples(index=False):
                rows.append(
                    {
                        "analysis": "mos",
                        "statistic": row.estimator,
                        "system": row.system,
                        "value": row.value,
                        "ci_low": row.ci_low,
                        "ci_high": row.ci_high,
                        "n": row.n_ratings,
                        "detail": "t interval" if row.estimator == "mean" else "MixedLM (rater, item), Wald interval",
                    }
                )
        columns = ["analysis", "statistic", "system", "value", "ci_low", "ci_high", "n", "detail"]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> str:
        parts = [
            f"Reliability of {self.n_ratings} ratings: {self.n_items} items, {self.n_raters} raters"
            + (f", scale [{self.scale[0]:g}, {self.scale[1]:g}]" if self.scale else "")
            + (f"; {len(self.excluded)} ratings excluded" if len(self.excluded) else "")
        ]
        if self.icc is not None:
            parts.append(self.icc.summary())
        parts.extend(result.summary() for result in self.alphas.values())
        agreement = self.items["modal_agreement"]
        parts.append(
            f"Per-item agreement: median modal agreement {agreement.median():.3f}, unanimous items "
            f"{int((agreement == 1).sum())} of {len(agreement)}, mean item SD {self.items['sd'].mean():.3f}"
        )
        if self.mos is not None:
            parts.append(self.mos.summary())
        return "\n\n".join(parts) + self._warnings_text()

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["icc"] = self.icc.to_dict() if self.icc is not None else None
        data["alphas"] = {level: result.to_dict() for level, result in self.alphas.items()}
        data["mos"] = self.mos.to_dict() if self.mos is not None else None
        data["items"] = jsonable(self.items)
        data["excluded"] = jsonable(self.excluded)
        return data

    def write(self, out_dir: str | Path, stem: str) -> list[Path]:
        """``<stem>.csv`` (summary table), ``<stem>.json`` (everything) and ``<stem>_items.csv`` (per item)."""
        paths = super().write(out_dir, stem)
        items_path = Path(out_dir) / f"{stem}_items.csv"
        write_csv(self.items, items_path)
        return [*paths, items_path]


def reliability_report(
    ratings: RatingsLike,
    *,
    level: AlphaLevel | Sequence[AlphaLevel] = "interval",
    scale: tuple[float, float] | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    mos: bool | None = None,
) -> ReliabilityReport:
    """Everything ``emoeval reliability RATINGS`` prints: ICC, alpha at each ``level``, item agreement, MOS.

    ``ratings`` may be a file path (read with :func:`~emoeval.stats.ratings.read_ratings` and ``scale``).
    An ICC that cannot be computed (e.g. no item rated by every rater) becomes a warning, not a failure: alpha
    still uses every pairable rating. ``mos=None`` fits the mixed-model MOS when a ``system`` column exists.
    """
    data = as_ratings(ratings, scale=scale)
    if scale is not None and data.scale is None:  # a Ratings/DataFrame given with a scale to enforce
        data = clean_ratings(data.table, scale=scale)
    levels = [level] if isinstance(level, str) else list(level)
    warnings = list(data.warnings)
    data = replace(data, warnings=[])  # the exclusions are reported once, here, not by every part
    try:
        icc_result: ICCResult | None = icc(data, confidence=confidence)
    except StatsError as error:
        icc_result = None
        warnings.append(f"ICC not computed: {error}")
    alphas = {
        lvl: alpha_reliability(data, level=lvl, n_boot=n_boot, confidence=confidence, seed=seed) for lvl in levels
    }
    has_system = "system" in data.table.columns
    if mos and not has_system:
        raise RatingsError("a MOS per system needs a 'system' column in the ratings")
    mos_result = mixed_model_mos(data, confidence=confidence) if (mos is None and has_system) or mos else None
    return ReliabilityReport(
        n_ratings=len(data.table),
        n_items=int(data.table["sample_id"].nunique()),
        n_raters=int(data.table["rater"].nunique()),
        icc=icc_result,
        alphas=alphas,
        items=item_agreement(data),
        mos=mos_result,
        excluded=data.excluded,
        scale=data.scale,
        warnings=warnings,
    )
