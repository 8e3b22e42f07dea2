"""Meta-analysis of results reported across papers: fixed and random effects, heterogeneity, forest plots.

Pooling is inverse-variance weighting through :func:`statsmodels.stats.meta_analysis.combine_effects`
(Borenstein et al. 2009, *Introduction to Meta-Analysis*): a fixed (common) effect, or random effects with the
between-study variance τ² from DerSimonian & Laird (1986) or Paule & Mandel (1982; statsmodels calls it
``"pm"``/``"iterated"``). Heterogeneity is Cochran's Q with its χ² test, I² (Higgins & Thompson 2002) and τ²,
plus a prediction interval for the effect in a new study (Higgins, Thompson & Spiegelhalter 2009).

Input table
-----------
A CSV (also TSV, JSONL or Parquet, by suffix) or a DataFrame with **one row per (study, system/condition,
metric)**. Column names are matched case-insensitively; blank cells mean "not given".

* ``study`` (required): the paper or source the number comes from (e.g. ``"Smith 2023"``).
* ``system`` (optional): the system or condition within the study; rows are labelled ``"study (system)"``.
* ``metric`` (optional): what was measured. A table holding several metrics must be pooled one metric at a
  time (``meta_analysis(..., metric="...")``); (study, system, metric) must be unique.
* ``effect``: the reported value (a mean, a difference, a log-ratio, ...). Required unless the row gives a
  proportion.
* The uncertainty of ``effect``, as one of:

  - ``se``: its standard error;
  - ``variance``: its sampling variance (SE²);
  - ``ci_low`` + ``ci_high``: a symmetric confidence interval, 95 % unless a ``ci_level`` column says
    otherwise (``0.9`` or ``90`` both mean 90 %); SE = (ci_high − ci_low) / (2 · z), z = Φ⁻¹((1 + level) / 2)
    (2z = 3.92 for 95 %); the effect must lie inside it. A ratio's CI is asymmetric: give effect and CI on the
    log scale;
  - ``sd`` + ``n``: the standard deviation of the observations behind a mean and their number;
    SE of the mean = sd / √n;
  - ``proportion`` (alias ``accuracy``) + ``n``: a proportion in [0, 1] (e.g. recognition accuracy, *not* a
    percentage) out of n trials. It supplies the effect too (leave ``effect`` blank or equal to it) and the row
    must leave the other uncertainty columns blank. On the raw scale (default) effect = p and
    SE = √(p(1 − p)/n) (Wald); with ``scale="logit"`` effect = logit(p) and SE = 1 / √(n p (1 − p)) (delta
    method), and pooled results are back-transformed with the inverse logit. **p = 0 or 1** would give a zero
    variance: such rows get the usual continuity correction of 0.5 to both the successes and the failures,
    p̃ = (p·n + 0.5) / (n + 1) out of ñ = n + 1 trials, used for effect and SE alike (metafor's ``add = 1/2,
    to = "only0"``), and a warning names them; ``continuity=0`` makes them an error instead. Near 0 or 1
    the raw scale over-weights extreme studies (their Wald SE shrinks): prefer logit.

  Rows may use different forms. A non-proportion row giving more than one is accepted only if the standard
  errors they imply agree within 10 % (rounding in papers); otherwise it is an error naming the row. A row with
  none is an error.
* ``n`` (optional otherwise): kept for information.
* ``scale`` (optional): ``raw`` or ``logit``, the scale ``effect`` is on (default raw). All rows pooled together
  must be on one scale.
* Any other column (``family``, ``modality``, ...) is kept and can be used to form subgroups (``by=``).

Zero variance: a study whose variance is 0 (SE 0, sd 0, a CI of zero width) cannot be weighted (its inverse
variance is infinite) and is an error naming the row; there is no silent rule for it (proportions of 0 or 1 get
the continuity correction above). Fewer than two studies in a pool (or in any subgroup) is an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from emoeval.stats._result import StatsError, StatsResult, jsonable

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Method = Literal["fe", "dl", "pm"]
Scale = Literal["raw", "logit"]

METHOD_NAMES: dict[str, str] = {
    "fe": "fixed effect (inverse variance)",
    "dl": "random effects (DerSimonian–Laird)",
    "pm": "random effects (Paule–Mandel)",
}
# Standard errors implied by two uncertainty columns of one row must agree this closely (relative).
CONFLICT_RTOL = 0.10
# Paule–Mandel: |Σ wᵢ (yᵢ − μ̂)² − (k − 1)| must fall below this for the iteration to count as converged.
PM_ATOL = 1e-9

_UNCERTAINTY_COLUMNS = ("se", "variance", "ci_low", "ci_high", "ci_level", "sd", "proportion")
_RECOGNISED = ("study", "system", "metric", "effect", "n", "scale", *_UNCERTAINTY_COLUMNS)


class MetaAnalysisError(StatsError):
    """A table of reported results cannot be meta-analysed as asked."""


# ---------------------------------------------------------------------------------------------------------------
# Pure conversions (each returns a standard error)
# ---------------------------------------------------------------------------------------------------------------


def se_from_ci(ci_low: float, ci_high: float, *, level: float = 0.95) -> float:
    """SE of a normal-theory interval: (high − low) / (2 · z), z = Φ⁻¹((1 + level) / 2) (1.95996 for 95 %)."""
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return (ci_high - ci_low) / (2.0 * z)


def se_from_sd(sd: float, n: float) -> float:
    """Standard error of a mean of ``n`` observations with standard deviation ``sd``: sd / √n."""
    return sd / math.sqrt(n)


def proportion_effect(p: float, n: float, *, scale: Scale = "raw", continuity: float = 0.5) -> tuple[float, float]:
    """(effect, SE) of a proportion ``p`` out of ``n`` trials on the raw or logit scale.

    Raw: (p, √(p(1 − p)/n)), the Wald standard error. Logit: (log(p/(1 − p)), 1/√(n p (1 − p))).
    When p is 0 or 1 both would give SE 0; then p̃ = (p·n + c)/(n + 2c) and ñ = n + 2c replace p and n
    (c = ``continuity``, default 0.5: half a success and half a failure are added, as metafor's ``escalc`` with
    ``add = 1/2``). ``continuity=0`` raises instead.
    """
    if continuity < 0:
        raise MetaAnalysisError(f"continuity must be >= 0, got {continuity}")
    if p <= 0.0 or p >= 1.0:
        if continuity == 0:
            raise MetaAnalysisError(
                f"proportion {p:g} out of n={n:g} has zero variance; pass continuity=0.5 (or another correction)"
            )
        n = n + 2.0 * continuity  # the added half success and half failure are trials too (metafor's n + 1)
        p = (p * (n - 2.0 * continuity) + continuity) / n
    if scale == "logit":
        return math.log(p / (1.0 - p)), 1.0 / math.sqrt(n * p * (1.0 - p))
    return p, math.sqrt(p * (1.0 - p) / n)


def expit(x: float) -> float:
    """Inverse logit, 1 / (1 + e^−x) (back-transforms pooled logit results to proportions)."""
    if not math.isfinite(x):
        return x
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def prediction_interval(
    effect: float, se: float, tau2: float, k: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Higgins, Thompson & Spiegelhalter (2009) interval for the true effect in a new study.

    μ̂ ± t_{k−2, (1+confidence)/2} · √(τ̂² + SE(μ̂)²). Needs k ≥ 3 studies (else ``(nan, nan)``).
    """
    from scipy import stats

    if k < 3:
        return math.nan, math.nan
    t = float(stats.t.ppf(0.5 + confidence / 2.0, df=k - 2))
    half = t * math.sqrt(tau2 + se**2)
    return effect - half, effect + half


# ---------------------------------------------------------------------------------------------------------------
# Reading and normalising
# ---------------------------------------------------------------------------------------------------------------


def _read_any(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise MetaAnalysisError(f"{path}: no such file (give a CSV of reported results)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if suffix in (".tsv", ".tab"):
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True, dtype=False)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise MetaAnalysisError(f"{path}: unsupported file type {suffix!r}; use .csv, .tsv, .jsonl or .parquet")


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def _number(value: Any, *, column: str, where: str) -> float | None:
    """The cell as a finite float, None when blank; anything else is an error naming the row and column."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise MetaAnalysisError(f"{where}: column {column!r} is not a number: {value!r}")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise MetaAnalysisError(f"{where}: column {column!r} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise MetaAnalysisError(f"{where}: column {column!r} is not finite: {value!r}")
    return number


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = {column: str(column).strip().lower() for column in frame.columns}
    out = frame.rename(columns=renamed)
    if "accuracy" in out.columns:
        if "proportion" in out.columns:
            raise MetaAnalysisError("the table has both 'proportion' and 'accuracy' columns; keep one")
        out = out.rename(columns={"accuracy": "proportion"})
    duplicated = sorted({column for column in out.columns if list(out.columns).count(column) > 1})
    if duplicated:
        raise MetaAnalysisError(f"duplicate columns (names compared case-insensitively): {duplicated}")
    return out


def _row_se(
    cells: dict[str, float | None], *, where: str, scale: Scale, continuity: float
) -> tuple[float, float, str, str]:
    """(effect, se, uncertainty form, effect scale) of one row; errors name the row."""
    effect = cells["effect"]
    row_scale = cells["_scale"]
    proportion, n = cells["proportion"], cells["n"]
    forms: list[tuple[str, float]] = []
    if cells["se"] is not None:
        forms.append(("se", cells["se"]))
    if cells["variance"] is not None:
        if cells["variance"] < 0:
            raise MetaAnalysisError(f"{where}: variance is negative ({cells['variance']:g})")
        forms.append(("variance", math.sqrt(cells["variance"])))
    low, high = cells["ci_low"], cells["ci_high"]
    if (low is None) != (high is None):
        raise MetaAnalysisError(f"{where}: a confidence interval needs both ci_low and ci_high")
    if low is not None and high is not None:
        level = cells["ci_level"] if cells["ci_level"] is not None else 0.95
        if level > 1.0:  # given in percent
            level /= 100.0
        if not 0.0 < level < 1.0:
            raise MetaAnalysisError(f"{where}: ci_level must be in (0, 1) or (0, 100) percent, got {level:g}")
        if high < low:
            raise MetaAnalysisError(f"{where}: ci_low ({low:g}) is above ci_high ({high:g})")
        if effect is not None and not low <= effect <= high:
            raise MetaAnalysisError(f"{where}: effect {effect:g} lies outside its interval [{low:g}, {high:g}]")
        forms.append(("ci", se_from_ci(low, high, level=level)))
    if cells["sd"] is not None:
        if n is None:
            raise MetaAnalysisError(f"{where}: sd needs n (the number of observations) to give a standard error")
        if cells["sd"] < 0 or n <= 0:
            raise MetaAnalysisError(f"{where}: sd must be >= 0 and n > 0 (got sd={cells['sd']:g}, n={n:g})")
        forms.append(("sd_n", se_from_sd(cells["sd"], n)))

    if proportion is not None:
        if forms:
            names = ", ".join(name for name, _ in forms)
            raise MetaAnalysisError(
                f"{where}: gives both a proportion and {names}; a proportion row takes its SE from proportion "
                "and n, so leave the other uncertainty columns blank (or drop the proportion)"
            )
        if n is None or n <= 0:
            raise MetaAnalysisError(f"{where}: a proportion needs n > 0 (the number of trials)")
        if not 0.0 <= proportion <= 1.0:
            raise MetaAnalysisError(
                f"{where}: proportion {proportion:g} is outside [0, 1] (a percentage? divide it by 100)"
            )
        if effect is not None and not math.isclose(effect, proportion, rel_tol=1e-9, abs_tol=1e-12):
            raise MetaAnalysisError(
                f"{where}: effect {effect:g} differs from proportion {proportion:g}; leave effect blank"
            )
        if row_scale is not None and row_scale != scale:
            raise MetaAnalysisError(
                f"{where}: its scale column says {row_scale!r} but proportions are converted to {scale!r} (scale=)"
            )
        value, se = proportion_effect(proportion, n, scale=scale, continuity=continuity)
        return value, se, "proportion_n", scale

    if not forms:
        raise MetaAnalysisError(
            f"{where}: no uncertainty; give se, variance, ci_low+ci_high, sd+n, or proportion (accuracy)+n"
        )
    if effect is None:
        raise MetaAnalysisError(f"{where}: effect is blank (only proportion rows may leave it blank)")
    name, se = forms[0]
    for other, other_se in forms[1:]:
        if not math.isclose(se, other_se, rel_tol=CONFLICT_RTOL):
            raise MetaAnalysisError(
                f"{where}: conflicting uncertainties: {name} implies SE {se:.4g} but {other} implies SE "
                f"{other_se:.4g}; keep one of them for this row"
            )
    return effect, se, name, row_scale or "raw"


def read_reported(
    path_or_frame: str | Path | pd.DataFrame, *, scale: Scale = "raw", continuity: float = 0.5
) -> pd.DataFrame:
    """Normalise a table of reported results (see the module docstring for the accepted columns).

    Returns one row per input row with columns ``study``, [``system``], [``metric``], ``label``, ``effect``,
    ``variance``, ``se``, [``n``], ``scale`` (raw|logit), ``uncertainty_from`` (se, variance, ci, sd_n,
    proportion_n) and every other input column unchanged (grouping columns). ``scale`` says how proportion
    rows are converted; ``continuity`` is the correction for proportions of 0 or 1 (0 makes them an error).
    The output can be read again (it gives itself back), so ``meta_analysis`` accepts either.
    """
    if scale not in ("raw", "logit"):
        raise MetaAnalysisError(f"scale must be 'raw' or 'logit', got {scale!r}")
    frame = _read_any(Path(path_or_frame)) if isinstance(path_or_frame, str | Path) else path_or_frame.copy()
    frame = _normalise_columns(frame.reset_index(drop=True))
    if "study" not in frame.columns:
        raise MetaAnalysisError(f"the table has no 'study' column (columns: {list(frame.columns)})")
    if frame.empty:
        raise MetaAnalysisError("the table of reported results has no rows")
    given = [column for column in _UNCERTAINTY_COLUMNS if column in frame.columns]
    if not given:
        raise MetaAnalysisError(
            "the table has no uncertainty column; add se, variance, ci_low+ci_high, sd+n or proportion (accuracy)+n"
        )

    records: list[dict[str, Any]] = []
    corrected: list[str] = []
    for position, row in enumerate(frame.to_dict(orient="records")):
        study = _text(row.get("study"))
        system = _text(row.get("system"))
        where = f"data row {position + 1} (study {study!r}" + (f", system {system!r})" if system else ")")
        if not study:
            raise MetaAnalysisError(f"{where}: study is blank")
        cells: dict[str, Any] = {
            column: _number(row.get(column), column=column, where=where)
            for column in ("effect", "n", *_UNCERTAINTY_COLUMNS)
        }
        row_scale = _text(row.get("scale")).lower() or None
        if row_scale not in (None, "raw", "logit"):
            raise MetaAnalysisError(f"{where}: scale must be 'raw' or 'logit', got {row_scale!r}")
        cells["_scale"] = row_scale
        effect, se, source, effect_scale = _row_se(cells, where=where, scale=scale, continuity=continuity)
        proportion, n = cells["proportion"], cells["n"]
        if source == "proportion_n" and proportion is not None and n is not None and proportion in (0.0, 1.0):
            corrected.append(where)
        label = f"{study} ({system})" if system else study
        record: dict[str, Any] = {"study": study}
        if "system" in frame.columns:
            record["system"] = system
        if "metric" in frame.columns:
            record["metric"] = _text(row.get("metric"))
        record |= {"label": label, "effect": effect, "variance": se**2, "se": se}
        if "n" in frame.columns:
            record["n"] = cells["n"] if cells["n"] is not None else math.nan
        record |= {"scale": effect_scale, "uncertainty_from": _text(row.get("uncertainty_from")) or source}
        for column, value in row.items():
            if column not in _RECOGNISED and column not in record:
                record[column] = value
        records.append(record)

    table = pd.DataFrame.from_records(records)
    keys = [column for column in ("study", "system", "metric") if column in table.columns]
    duplicated = table[table.duplicated(keys, keep=False)]
    if not duplicated.empty:
        rows = sorted({str(i + 1) for i in duplicated.index})
        raise MetaAnalysisError(
            f"data rows {', '.join(rows)} repeat the same ({', '.join(keys)}); each result must appear once"
        )
    if corrected:
        table.attrs["warnings"] = [
            f"proportion of 0 or 1 continuity-corrected ({continuity:g} success and {continuity:g} failure added) "
            f"in {'; '.join(corrected)}"
        ]
    return table


# ---------------------------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PooledEstimate:
    """One pooled estimate (overall or one subgroup) and its heterogeneity, on the analysis scale.

    ``effect``/``se``: the inverse-variance weighted mean and its standard error (weights 1/vᵢ for the fixed
    effect, 1/(vᵢ + τ̂²) for random effects); ``ci_low``/``ci_high``: effect ± z·se (normal, as metafor);
    ``z``/``p_value``: two-sided z test of effect = 0. ``q``: Cochran's Q = Σ (yᵢ − μ̂_FE)²/vᵢ with ``df`` = k − 1
    and ``p_q`` = P(χ²_df > Q) (small: the studies disagree more than their SEs allow). ``i2`` = max(0, (Q − df)/Q)
    in [0, 1], the share of variation due to heterogeneity (Higgins & Thompson 2002; from Q for every method).
    ``tau2``: between-study variance τ̂² (0 by assumption for the fixed effect; DerSimonian–Laird truncated at 0).
    ``pi_low``/``pi_high``: prediction interval (Higgins et al. 2009), NaN when k < 3; for the fixed effect it
    equals the CI (no between-study variance, metafor's convention).
    """

    group: str
    k: int
    method: str
    effect: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    q: float
    df: int
    p_q: float
    i2: float
    tau2: float
    pi_low: float
    pi_high: float

    def as_row(self, scale: str) -> dict[str, Any]:
        row = {
            "row_type": "pooled",
            "group": self.group,
            "label": f"pooled ({self.group})",
            "k": self.k,
            "method": self.method,
            "effect": self.effect,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "z": self.z,
            "p_value": self.p_value,
            "pi_low": self.pi_low,
            "pi_high": self.pi_high,
            "q": self.q,
            "df": self.df,
            "p_q": self.p_q,
            "i2": self.i2,
            "tau2": self.tau2,
        }
        return _with_proportions(row, scale)


@dataclass(frozen=True)
class SubgroupTest:
    """Test for subgroup differences: Q_between = Σ_g w_g (μ̂_g − μ̄)², w_g = 1/SE_g², df = G − 1, χ² p-value.

    Uses each subgroup's pooled estimate from the chosen method (random effects: a separate τ² per subgroup,
    Borenstein et al. 2009 ch. 19). For the fixed effect it equals Q_total − Σ Q_within.
    """

    q: float
    df: int
    p_value: float


def _with_proportions(row: dict[str, Any], scale: str) -> dict[str, Any]:
    """Add back-transformed proportions (inverse logit) of the effect and interval columns on the logit scale."""
    if scale == "logit":
        for column in ("effect", "ci_low", "ci_high", "pi_low", "pi_high"):
            if column in row:
                name = "proportion" if column == "effect" else f"proportion_{column}"
                row[name] = expit(float(row[column]))
    return row


def _pool(
    effects: np.ndarray, variances: np.ndarray, labels: Sequence[str], *, method: Method, confidence: float, group: str
) -> tuple[PooledEstimate, np.ndarray, list[str]]:
    """Pool one set of studies with statsmodels; returns the estimate, relative weights and warnings."""
    from scipy import stats
    from statsmodels.stats.meta_analysis import combine_effects

    k = len(effects)
    if k < 2:
        raise MetaAnalysisError(
            f"{group}: {k} study; a meta-analysis needs at least 2 (add studies, or merge/drop this subgroup)"
        )
    zero = [label for label, variance in zip(labels, variances, strict=True) if not variance > 0]
    if zero:
        raise MetaAnalysisError(
            f"{group}: zero variance for {', '.join(repr(label) for label in zero)}: an inverse-variance weight "
            "would be infinite; give its real uncertainty or drop it"
        )
    warnings: list[str] = []
    method_re = "pm" if method == "pm" else "dl"
    kwargs: dict[str, Any] = {"atol": PM_ATOL, "maxiter": 1000} if method_re == "pm" else {}
    with np.errstate(invalid="ignore"):  # statsmodels takes sqrt of a negative DL variance before we truncate it
        res = combine_effects(
            effects, variances, method_re=method_re, row_names=list(labels), alpha=1 - confidence, **kwargs
        )
    q, df = float(res.q), k - 1
    # statsmodels leaves DL's moment estimate untruncated (negative when Q < df, and then a NaN SE); truncated at
    # 0, as DerSimonian & Laird define it, the random-effects pool is the fixed-effect pool.
    if method == "fe" or float(res.tau2) <= 0:
        effect, se, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
        weights = np.asarray(res.weights_rel_fe, dtype=float)
    else:
        effect, se, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), float(res.tau2)
        weights = np.asarray(res.weights_rel_re, dtype=float)
        if method == "pm":
            w = 1.0 / (variances + tau2)
            equation = float(w @ (effects - effect) ** 2) - df
            if abs(equation) > 1e-6 * max(1.0, df):
                warnings.append(f"{group}: Paule–Mandel τ² did not converge (Σw(y−μ)² − df = {equation:.3g})")
    z_crit = float(stats.norm.ppf(0.5 + confidence / 2.0))
    z = effect / se
    if method == "fe":
        pi_low, pi_high = effect - z_crit * se, effect + z_crit * se
    else:
        pi_low, pi_high = prediction_interval(effect, se, tau2, k, confidence=confidence)
        if k < 3:
            warnings.append(f"{group}: no prediction interval with {k} studies (it needs k ≥ 3: t with k − 2 df)")
    estimate = PooledEstimate(
        group=group,
        k=k,
        method=method,
        effect=effect,
        se=se,
        ci_low=effect - z_crit * se,
        ci_high=effect + z_crit * se,
        z=z,
        p_value=float(2 * stats.norm.sf(abs(z))),
        q=q,
        df=df,
        p_q=float(stats.chi2.sf(q, df)),
        i2=max(0.0, (q - df) / q) if q > 0 else 0.0,
        tau2=tau2,
        pi_low=pi_low,
        pi_high=pi_high,
    )
    return estimate, weights, warnings


def _subgroup_test(estimates: Sequence[PooledEstimate]) -> SubgroupTest:
    from scipy import stats

    means = np.array([estimate.effect for estimate in estimates])
    weights = 1.0 / np.array([estimate.se for estimate in estimates]) ** 2
    grand = float(weights @ means / weights.sum())
    q = float(weights @ (means - grand) ** 2)
    df = len(estimates) - 1
    return SubgroupTest(q=q, df=df, p_value=float(stats.chi2.sf(q, df)))


def _prepare(
    table: str | Path | pd.DataFrame, *, scale: Scale, continuity: float, metric: str | None
) -> tuple[pd.DataFrame, list[str]]:
    studies = read_reported(table, scale=scale, continuity=continuity)
    warnings = list(studies.attrs.get("warnings", []))
    if metric is not None:
        if "metric" not in studies.columns:
            raise MetaAnalysisError(f"metric={metric!r} asked for but the table has no 'metric' column")
        available = sorted(studies["metric"].unique())
        studies = studies[studies["metric"] == metric].reset_index(drop=True)
        if studies.empty:
            raise MetaAnalysisError(f"no rows with metric {metric!r}; the table has {available}")
    elif "metric" in studies.columns and studies["metric"].nunique() > 1:
        raise MetaAnalysisError(
            f"the table holds {studies['metric'].nunique()} metrics {sorted(studies['metric'].unique())}; "
            "pool one at a time (metric=...)"
        )
    scales = sorted(studies["scale"].unique())
    if len(scales) > 1:
        odd = studies[studies["scale"] != scale]
        raise MetaAnalysisError(
            f"rows are on different scales {scales}: proportions are converted to scale={scale!r} but "
            f"{', '.join(repr(label) for label in odd['label'])} give an effect on another scale; give those as "
            "proportion + n, fill their 'scale' column, or use the other scale"
        )
    return studies, warnings


@dataclass
class LeaveOneOutResult(StatsResult):
    """Sensitivity analysis: the pooled estimate recomputed without each study (all rows of that study)."""

    full: PooledEstimate
    table: pd.DataFrame
    scale: str = "raw"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        frame = self.table
        shift = (frame["effect"] - self.full.effect).abs()
        worst = frame.loc[shift.idxmax()]
        lines = [
            f"Leave-one-out ({METHOD_NAMES[self.full.method]}): full estimate {self.full.effect:.4g} "
            f"[{self.full.ci_low:.4g}, {self.full.ci_high:.4g}], k = {self.full.k}",
            frame[["omitted", "k", "effect", "ci_low", "ci_high", "i2", "tau2"]].to_string(index=False),
            f"estimates range {frame['effect'].min():.4g} to {frame['effect'].max():.4g}; omitting "
            f"{worst['omitted']!r} moves it most ({worst['effect'] - self.full.effect:+.4g})",
        ]
        return "\n".join(lines) + self._warnings_text()

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"full": jsonable(self.full.as_row(self.scale))}


@dataclass
class MetaAnalysisResult(StatsResult):
    """Pooled results: the overall estimate, per-subgroup estimates with a between-subgroup test, per-study rows.

    ``studies`` holds the normalised input plus ``group``, ``ci_low``/``ci_high`` (effect ± z·se) and
    ``weight`` (relative weight in its subgroup's pool, and ``weight_overall`` in the overall pool).
    Effects are on the analysis ``scale``; on the logit scale ``to_frame`` adds back-transformed proportions.
    """

    method: Method
    confidence: float
    scale: str
    by: str | None
    studies: pd.DataFrame
    overall: PooledEstimate
    subgroups: list[PooledEstimate] = field(default_factory=list)
    subgroup_test: SubgroupTest | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one ``row_type="study"`` row per study, ``"pooled"`` rows, and a ``"subgroup_test"`` row."""
        rows: list[dict[str, Any]] = []
        blocks = [(estimate, self.studies[self.studies["group"] == estimate.group]) for estimate in self.subgroups]
        blocks.append((self.overall, self.studies.iloc[0:0] if self.by else self.studies))
        for estimate, members in blocks:
            for record in members.to_dict(orient="records"):
                row = {
                    "row_type": "study",
                    "group": record["group"],
                    "label": record["label"],
                    "study": record["study"],
                    "k": 1,
                    "method": self.method,
                    "effect": record["effect"],
                    "se": record["se"],
                    "ci_low": record["ci_low"],
                    "ci_high": record["ci_high"],
                    "weight": record["weight"],
                    "weight_overall": record["weight_overall"],
                }
                rows.append(_with_proportions(row, self.scale))
            rows.append(estimate.as_row(self.scale))
        if self.subgroup_test is not None:
            test = self.subgroup_test
            rows.append(
                {
                    "row_type": "subgroup_test",
                    "group": f"between {self.by}",
                    "label": f"test for subgroup differences ({self.by})",
                    "k": len(self.subgroups),
                    "method": self.method,
                    "q": test.q,
                    "df": test.df,
                    "p_q": test.p_value,
                }
            )
        frame = pd.DataFrame.from_records(rows)
        frame.insert(len(frame.columns), "scale", self.scale)
        return frame

    def summary(self) -> str:
        level = f"{self.confidence:.0%}"
        lines = [
            f"Meta-analysis, {METHOD_NAMES[self.method]}: {self.overall.k} studies, {level} intervals, "
            f"{self.scale} scale" + (f", subgroups by {self.by!r}" if self.by else "")
        ]
        for estimate in [*self.subgroups, self.overall]:
            lines.append(self._describe(estimate, level))
        if self.subgroup_test is not None:
            test = self.subgroup_test
            lines.append(f"test for subgroup differences: Q = {test.q:.4g}, df = {test.df}, p = {test.p_value:.3g}")
        return "\n".join(lines) + self._warnings_text()

    def _describe(self, estimate: PooledEstimate, level: str) -> str:
        text = (
            f"{estimate.group} (k = {estimate.k}): {estimate.effect:.4g} (SE {estimate.se:.3g}), "
            f"{level} CI [{estimate.ci_low:.4g}, {estimate.ci_high:.4g}]"
        )
        if math.isfinite(estimate.pi_low):
            text += f", PI [{estimate.pi_low:.4g}, {estimate.pi_high:.4g}]"
        if self.scale == "logit":
            text += (
                f"; proportion {expit(estimate.effect):.4g} "
                f"[{expit(estimate.ci_low):.4g}, {expit(estimate.ci_high):.4g}]"
            )
        text += (
            f"; Q = {estimate.q:.4g} (df {estimate.df}, p = {estimate.p_q:.3g}), I² = {estimate.i2:.1%}, "
            f"τ² = {estimate.tau2:.4g}"
        )
        return "  " + text

    def to_dict(self) -> dict[str, Any]:
        extra = {
            "method": self.method,
            "confidence": self.confidence,
            "scale": self.scale,
            "by": self.by,
            "overall": self.overall.as_row(self.scale),
            "subgroups": [estimate.as_row(self.scale) for estimate in self.subgroups],
            "subgroup_test": None if self.subgroup_test is None else asdict(self.subgroup_test),
        }
        return super().to_dict() | jsonable(extra)

    def leave_one_out(self) -> LeaveOneOutResult:
        """Pool all studies again without each ``study`` in turn (all its rows), with the same method."""
        studies = self.studies
        names = list(dict.fromkeys(studies["study"]))
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        for name in names:
            kept = studies[studies["study"] != name]
            if len(kept) < 2:
                raise MetaAnalysisError(
                    f"leave-one-out: without study {name!r} fewer than 2 studies remain; it needs at least 3"
                )
            estimate, _, notes = _pool(
                kept["effect"].to_numpy(float),
                kept["variance"].to_numpy(float),
                list(kept["label"]),
                method=self.method,
                confidence=self.confidence,
                group=f"without {name}",
            )
            warnings.extend(note for note in notes if "prediction interval" not in note)
            row = {"omitted": name} | {
                key: value for key, value in estimate.as_row(self.scale).items() if key not in ("row_type", "label")
            }
            row["group"] = "overall"
            rows.append(row)
        return LeaveOneOutResult(
            full=self.overall, table=pd.DataFrame.from_records(rows), scale=self.scale, warnings=warnings
        )

    def forest_plot(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write a forest plot (PNG or SVG, chosen by the suffix) and return its path.

        Each study is a square (area ∝ weight) with its CI; each pool is a diamond spanning its CI, with the
        prediction interval as a thin bar through it; subgroups are blocks with a header and their own diamond.
        On the logit scale the axis shows back-transformed proportions. Uses matplotlib without pyplot, so no
        window ever opens.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            raise MetaAnalysisError(f"{target}: forest plots are written as .png or .svg, not {target.suffix!r}")
        blocks = self.subgroups if self.by else []
        n_lines = len(self.studies) + 2 * len(blocks) + 3
        figure = Figure(figsize=(9.0, max(3.0, 0.32 * n_lines + 1.2)))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        self._draw(axes, blocks)
        axes.set_title(title or f"{METHOD_NAMES[self.method]}, {self.confidence:.0%} CI", fontsize=10)
        figure.tight_layout()
        target.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(target, dpi=150, bbox_inches="tight")
        return target

    def _draw(self, axes: Axes, blocks: Sequence[PooledEstimate]) -> None:
        shown = expit if self.scale == "logit" else float
        y = 0.0
        ticks: list[tuple[float, str]] = []
        notes: list[tuple[float, str]] = []

        def study_rows(members: pd.DataFrame, weight_column: str) -> None:
            nonlocal y
            max_weight = float(self.studies[weight_column].max())
            for record in members.to_dict(orient="records"):
                y -= 1
                low, high, mid = shown(record["ci_low"]), shown(record["ci_high"]), shown(record["effect"])
                axes.plot([low, high], [y, y], color="black", linewidth=1)
                size = 3 + 7 * math.sqrt(record[weight_column] / max_weight)
                axes.plot([mid], [y], marker="s", markersize=size, color="tab:blue", linestyle="none")
                ticks.append((y, record["label"]))
                notes.append((y, f"{mid:.3g} [{low:.3g}, {high:.3g}]  {100 * record[weight_column]:.1f}%"))

        def diamond(estimate: PooledEstimate, color: str, label: str) -> None:
            nonlocal y
            y -= 1
            low, high, mid = shown(estimate.ci_low), shown(estimate.ci_high), shown(estimate.effect)
            if math.isfinite(estimate.pi_low) and self.method != "fe":
                axes.plot([shown(estimate.pi_low), shown(estimate.pi_high)], [y, y], color=color, linewidth=1)
            axes.fill([low, mid, high, mid], [y, y + 0.35, y, y - 0.35], color=color, zorder=3)
            ticks.append((y, label))
            extra = f", I²={estimate.i2:.0%}" if estimate.k > 1 else ""
            notes.append((y, f"{mid:.3g} [{low:.3g}, {high:.3g}]{extra}"))

        for block in blocks:
            y -= 1
            ticks.append((y, f"{self.by} = {block.group}"))
            study_rows(self.studies[self.studies["group"] == block.group], "weight")
            diamond(block, "tab:orange", f"pooled {block.group} (k={block.k})")
        if not blocks:
            study_rows(self.studies, "weight_overall")
        y -= 0.5
        diamond(self.overall, "tab:red", f"pooled overall (k={self.overall.k})")
        axes.axvline(shown(self.overall.effect), color="tab:red", linestyle="--", linewidth=0.8)
        axes.set_yticks([tick for tick, _ in ticks], [text for _, text in ticks], fontsize=8)
        for tick_label in axes.get_yticklabels():
            if tick_label.get_text().startswith(f"{self.by} = "):
                tick_label.set_fontweight("bold")
        for height, text in notes:
            axes.annotate(
                text, xy=(1.02, height), xycoords=("axes fraction", "data"), fontsize=7, va="center", ha="left"
            )
        unit = "proportion" if self.scale == "logit" else "effect"
        caption = "squares: studies (area ∝ weight); diamonds: pooled CI"
        if self.method != "fe":
            caption += "; line through a diamond: prediction interval"
        axes.set_xlabel(f"{unit}\n{caption}", fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)
        if self.subgroup_test is not None:
            test = self.subgroup_test
            axes.annotate(
                f"test for subgroup differences: Q = {test.q:.3g}, df = {test.df}, p = {test.p_value:.3g}",
                xy=(0.01, y - 0.9),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                va="center",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
            y -= 1
        axes.set_ylim(y - 1, 0.5)


def meta_analysis(
    table: str | Path | pd.DataFrame,
    *,
    method: Method = "dl",
    by: str | None = None,
    confidence: float = 0.95,
    scale: Scale = "raw",
    metric: str | None = None,
    continuity: float = 0.5,
) -> MetaAnalysisResult:
    """Pool reported results (a path or frame, raw or from :func:`read_reported`) across studies.

    ``method``: ``"fe"`` fixed (common) effect, ``"dl"`` DerSimonian–Laird or ``"pm"`` Paule–Mandel random
    effects. ``by``: a column forming subgroups, each pooled on its own, plus the test for subgroup differences;
    the overall estimate pools every row ignoring the subgroups. ``scale``/``continuity``: how proportion rows
    are converted (see :func:`read_reported`). ``metric``: keep only rows of that metric (required when the
    table holds several). Raises :class:`MetaAnalysisError` for fewer than 2 studies in any pool, zero variances,
    or rows that cannot be read.
    """
    if method not in METHOD_NAMES:
        raise MetaAnalysisError(f"method must be one of {sorted(METHOD_NAMES)}, got {method!r}")
    if not 0.0 < confidence < 1.0:
        raise MetaAnalysisError(f"confidence must be in (0, 1), got {confidence}")
    studies, warnings = _prepare(table, scale=scale, continuity=continuity, metric=metric)
    from scipy import stats

    z_crit = float(stats.norm.ppf(0.5 + confidence / 2.0))
    studies = studies.copy()
    studies["ci_low"] = studies["effect"] - z_crit * studies["se"]
    studies["ci_high"] = studies["effect"] + z_crit * studies["se"]
    effects, variances = studies["effect"].to_numpy(float), studies["variance"].to_numpy(float)
    overall, weights, notes = _pool(
        effects, variances, list(studies["label"]), method=method, confidence=confidence, group="overall"
    )
    warnings.extend(notes)
    studies["weight_overall"] = weights
    subgroups: list[PooledEstimate] = []
    test: SubgroupTest | None = None
    if by is None:
        studies["group"] = "overall"
        studies["weight"] = weights
    else:
        if by not in studies.columns:
            raise MetaAnalysisError(f"by={by!r} is not a column of the table (columns: {list(studies.columns)})")
        values = studies[by].map(_text)
        blank = [str(i + 1) for i in studies.index[values == ""]]
        if blank:
            raise MetaAnalysisError(f"data rows {', '.join(blank)} have no value in the subgroup column {by!r}")
        studies["group"] = values
        studies["weight"] = math.nan
        for value in dict.fromkeys(values):
            members = studies[studies["group"] == value]
            estimate, group_weights, notes = _pool(
                members["effect"].to_numpy(float),
                members["variance"].to_numpy(float),
                list(members["label"]),
                method=method,
                confidence=confidence,
                group=f"{by} = {value}",
            )
            subgroups.append(_renamed(estimate, value))
            studies.loc[members.index, "weight"] = group_weights
            warnings.extend(notes)
        if len(subgroups) < 2:
            warnings.append(f"only one subgroup in {by!r}: no test for subgroup differences")
        else:
            test = _subgroup_test(subgroups)
    if (
        scale == "raw"
        and (studies["uncertainty_from"] == "proportion_n").all()
        and (overall.ci_low < 0 or overall.ci_high > 1)
    ):
        warnings.append("the pooled interval leaves [0, 1] on the raw scale; scale='logit' keeps it inside")
    return MetaAnalysisResult(
        method=method,
        confidence=confidence,
        scale=str(studies["scale"].iloc[0]),
        by=by,
        studies=studies,
        overall=overall,
        subgroups=subgroups,
        subgroup_test=test,
        warnings=warnings,
    )


def _renamed(estimate: PooledEstimate, group: str) -> PooledEstimate:
    return replace(estimate, group=group)
