"""Comparing systems on the samples they share: paired tests, multiple-testing correction, significance clusters.

Two systems are compared on *paired* values: their samples that share a ``group`` (the same source item,
prompt or reference; :class:`emoeval.samples.Sample` ``group``). Pairing removes the item-to-item variation
both systems share, which is what makes small differences detectable. A system with several samples in one
group enters that group with their mean. Groups that only one of the two systems has are left out of that
pair's test, with a warning naming the counts ("scored on different sample sets"). Sample ids are unique per
run, so they cannot pair systems; a hand-built table may pair on another column with ``pair_on``.

For the differences dᵢ = aᵢ − bᵢ of n pairs, :func:`paired_test` reports

- the mean difference d̄ with a paired-bootstrap percentile interval (pairs resampled with replacement,
  Koehn 2004; Efron & Tibshirani 1993 ch. 13);
- a two-sided bootstrap p-value by the shift method (Efron & Tibshirani 1993 §16.4): under H₀: E[d] = 0 the
  resampled means centred on d̄ stand for the null distribution, so p = (1 + #{|d̄*ᵦ − d̄| ≥ |d̄|}) / (B + 1)
  (the one-sided form is Berg-Kirkpatrick et al. 2012's "δ(x*) > 2δ(x)");
- the paired permutation (sign-flip) p-value: under H₀ each dᵢ is symmetric about 0, so every sign pattern
  is equally likely; p = share of the 2ⁿ patterns with |Σ ±dᵢ| ≥ |Σ dᵢ|, enumerated exactly for
  n ≤ 20 and otherwise estimated from B seeded random patterns as (1 + hits)/(B + 1) (Phipson & Smyth 2010,
  which keeps a Monte Carlo p-value valid, never 0);
- with fewer than :data:`FEW_PAIRS` pairs, *no* bootstrap p-value (NaN) and a warning: the bootstrap is an
  asymptotic method, and with a handful of pairs of one sign it returns its smallest p, 1/(B + 1), where the
  exact sign-flip p cannot go below 2/2ⁿ (0.5 for 2 pairs, 0.25 for 3). :func:`compare_systems` with
  ``test="bootstrap"`` then judges those pairs by the exact permutation p (its ``p_value_test`` column says so);
- the Wilcoxon signed-rank statistic and p-value (:func:`scipy.stats.wilcoxon`, its defaults: zero
  differences dropped, exact distribution for small n without ties).

:func:`compare_systems` runs one of these tests on all pairs of systems (or each system against a baseline),
corrects the p-values for multiple testing (Holm's step-down, which controls the family-wise error rate, or
Benjamini–Hochberg, which controls the false discovery rate; :func:`statsmodels.stats.multitest.multipletests`)
and, for all pairs, groups the ranking into significance clusters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from emoeval.stats._result import StatsError, StatsResult, headline_sub_metric
from emoeval.stats.aggregate import scored_samples

if TYPE_CHECKING:
    from emoeval.results import Results

TestName = Literal["permutation", "bootstrap", "wilcoxon"]
Correction = Literal["holm", "fdr_bh"]

EXACT_MAX_N = 20
"""Sign-flip p-values are enumerated exactly up to this many pairs (2²⁰ ≈ 10⁶ patterns), Monte Carlo above."""

FEW_PAIRS = 10
"""Below this many pairs the paired bootstrap is unreliable: with few pairs there are few distinct resamples
(only 3 for 2 pairs), and equal differences give a one-point bootstrap distribution, an interval of zero
width and the smallest possible p-value, 1/(B + 1), though the exact sign-flip p of n pairs cannot go below
2/2ⁿ (0.5 for 2 pairs, 0.25 for 3, 0.0039 for 9). :func:`paired_test` therefore reports no bootstrap p-value
below this many pairs (NaN, with a warning) and :func:`compare_systems` uses the exact permutation p there
(exact: n < 10 ≤ :data:`EXACT_MAX_N`); the bootstrap interval is kept, with the warning."""

# Resampling is done in blocks of at most this many drawn numbers, so memory stays flat for large inputs.
_BLOCK = 2_000_000


def _tolerance(differences: np.ndarray) -> float:
    # Sums of the same numbers in another order differ by round-off; a tie must count as "at least as extreme".
    return 1e-9 * max(1.0, float(np.sum(np.abs(differences))))


def sign_flip_p_value(
    differences: Sequence[float] | np.ndarray, *, n_resamples: int = 10000, seed: int = 0
) -> tuple[float, bool]:
    """Two-sided paired permutation p-value of H₀ "the differences are symmetric about 0", and whether exact.

    The statistic is |Σ dᵢ|. For n ≤ :data:`EXACT_MAX_N` all 2ⁿ sign patterns are enumerated and p is the
    share with |Σ ±dᵢ| ≥ |Σ dᵢ| (the observed pattern included, so p ≥ 2/2ⁿ unless all dᵢ are 0). Above,
    ``n_resamples`` random patterns give p = (1 + hits)/(n_resamples + 1) (Phipson & Smyth 2010).
    """
    d = np.asarray(differences, dtype=float)
    if d.size == 0 or not np.all(np.isfinite(d)):
        raise StatsError("sign-flip test needs at least one difference, all finite")
    observed = abs(float(d.sum())) - _tolerance(d)
    if d.size <= EXACT_MAX_N:
        sums = np.zeros(1)
        for value in d:  # all 2ⁿ signed sums, doubling per value: memory 2ⁿ floats, not 2ⁿ × n
            sums = np.concatenate((sums + value, sums - value))
        return float(np.count_nonzero(np.abs(sums) >= observed)) / sums.size, True
    if n_resamples < 1:
        raise StatsError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // d.size)
    hits = 0
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        signs = rng.integers(0, 2, size=(size, d.size)) * 2.0 - 1.0
        hits += int(np.count_nonzero(np.abs(signs @ d) >= observed))
    return (1.0 + hits) / (n_resamples + 1.0), False


def paired_bootstrap(
    differences: Sequence[float] | np.ndarray, *, n_resamples: int = 10000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Paired bootstrap of the mean difference: (ci_low, ci_high, two-sided p by the shift method).

    Pairs are resampled with replacement ``n_resamples`` times; the interval is the percentile interval of
    the resampled means; p = (1 + #{|d̄* − d̄| ≥ |d̄|}) / (n_resamples + 1).
    """
    d = np.asarray(differences, dtype=float)
    if d.size < 2 or not np.all(np.isfinite(d)):
        raise StatsError(f"a paired bootstrap needs at least 2 finite differences, got {d.size}")
    if n_resamples < 1:
        raise StatsError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // d.size)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        means[start:stop] = d[rng.integers(0, d.size, size=(stop - start, d.size))].mean(axis=1)
    mean = float(d.mean())
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    hits = int(np.count_nonzero(np.abs(means - mean) >= abs(mean) - _tolerance(d) / d.size))
    return float(low), float(high), (1.0 + hits) / (n_resamples + 1.0)


@dataclass
class PairedTest(StatsResult):
    """Paired comparison of two systems on n shared items; the difference is a − b.

    ``mean_diff`` (any sign; positive when a scored higher) with its paired-bootstrap percentile interval
    ``ci_low``/``ci_high`` at ``confidence``; ``p_bootstrap`` (shift method; NaN below :data:`FEW_PAIRS`
    pairs, where the bootstrap cannot give a valid p-value), ``p_permutation`` (sign flip;
    ``permutation_exact`` says whether all 2ⁿ patterns were enumerated), ``wilcoxon_statistic`` (scipy's: the
    smaller of the signed-rank sums) and ``p_wilcoxon``. All p-values are two-sided, in (0, 1].
    """

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    ci_low: float
    ci_high: float
    p_bootstrap: float
    p_permutation: float
    permutation_exact: bool
    wilcoxon_statistic: float
    p_wilcoxon: float
    confidence: float
    n_resamples: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        fields = (
            "n",
            "mean_a",
            "mean_b",
            "mean_diff",
            "ci_low",
            "ci_high",
            "p_bootstrap",
            "p_permutation",
            "permutation_exact",
            "wilcoxon_statistic",
            "p_wilcoxon",
            "confidence",
        )
        return pd.DataFrame([{name: getattr(self, name) for name in fields}])

    def summary(self) -> str:
        how = "exact" if self.permutation_exact else f"Monte Carlo, {self.n_resamples} resamples"
        bootstrap_p = (
            f"{self.p_bootstrap:.4g}" if math.isfinite(self.p_bootstrap) else f"not computed below {FEW_PAIRS} pairs"
        )
        return (
            f"Paired comparison on {self.n} pairs: mean a = {self.mean_a:.4g}, mean b = {self.mean_b:.4g}\n"
            f"difference a - b = {self.mean_diff:.4g}, {self.confidence:.0%} paired-bootstrap CI "
            f"[{self.ci_low:.4g}, {self.ci_high:.4g}]\n"
            f"p (paired bootstrap, shift method) = {bootstrap_p}\n"
            f"p (sign-flip permutation, {how}) = {self.p_permutation:.4g}\n"
            f"Wilcoxon signed-rank W = {self.wilcoxon_statistic:.4g}, p = {self.p_wilcoxon:.4g}"
            f"{self._warnings_text()}"
        )


def paired_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    n_resamples: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedTest:
    """Paired bootstrap, sign-flip permutation and Wilcoxon signed-rank tests of a − b (aᵢ pairs with bᵢ).

    Pairs where either value is not finite are dropped (with a warning). The bootstrap and the Monte Carlo
    permutation draw from independent streams spawned from ``seed``.
    """
    from scipy import stats

    first, second = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if first.shape != second.shape or first.ndim != 1:
        raise StatsError(f"paired values need two 1-D sequences of equal length, got {first.shape} and {second.shape}")
    warnings: list[str] = []
    finite = np.isfinite(first) & np.isfinite(second)
    if not finite.all():
        warnings.append(f"{int((~finite).sum())} pair(s) with a missing or non-finite value were dropped")
        first, second = first[finite], second[finite]
    if first.size < 2:
        raise StatsError(f"a paired test needs at least 2 complete pairs, got {first.size}")
    differences = first - second
    few = differences.size < FEW_PAIRS
    if few:
        warnings.append(_few_pairs_warning(differences.size))
    bootstrap_seed, permutation_seed = np.random.SeedSequence(seed).spawn(2)
    low, high, p_bootstrap = paired_bootstrap(
        differences,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=int(bootstrap_seed.generate_state(1)[0]),
    )
    if few:  # the bootstrap's smallest p, 1/(B + 1), is no evidence with this few pairs: report none
        p_bootstrap = math.nan
    p_permutation, exact = sign_flip_p_value(
        differences, n_resamples=n_resamples, seed=int(permutation_seed.generate_state(1)[0])
    )
    if np.all(differences == 0):
        warnings.append("all differences are zero: the systems scored identically on every pair")
        statistic, p_wilcoxon = 0.0, 1.0  # scipy's answer too, without its division-by-zero warning
    else:
        result = stats.wilcoxon(differences)
        statistic, p_wilcoxon = float(result.statistic), float(result.pvalue)
    return PairedTest(
        n=int(differences.size),
        mean_a=float(first.mean()),
        mean_b=float(second.mean()),
        mean_diff=float(differences.mean()),
        ci_low=low,
        ci_high=high,
        p_bootstrap=p_bootstrap,
        p_permutation=p_permutation,
        permutation_exact=exact,
        wilcoxon_statistic=statistic,
        p_wilcoxon=p_wilcoxon,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        warnings=warnings,
    )


def _few_pairs_warning(n: int) -> str:
    return (
        f"only {n} pair(s): no paired-bootstrap p-value below {FEW_PAIRS} pairs, and its interval is unreliable "
        f"(it can claim certainty a handful of pairs cannot give; the exact sign-flip p cannot go below "
        f"2/2^{n} = {2.0 / 2.0**n:.3g}); rely on the exact permutation p-value"
    )


def significance_clusters(ranking: Sequence[str], better: set[tuple[str, str]]) -> list[list[str]]:
    """Split a ranking (best first) into clusters of systems that cannot be separated.

    A boundary is drawn between ranks k and k + 1 only when *every* system ranked 1..k is significantly
    better than *every* system ranked below k (``(x, y) in better``: x significantly better than y). This is
    the clustering of the WMT human evaluations (Barrault et al. 2019, §3.4: "systems in a cluster
    significantly outperform all others in lower ranking clusters"); it stays well defined when significance
    is not transitive (a > c significant, a ≈ b ≈ c puts all three in one cluster).
    """
    systems = list(ranking)
    clusters: list[list[str]] = []
    current: list[str] = []
    for position, system in enumerate(systems):
        current.append(system)
        above, below = systems[: position + 1], systems[position + 1 :]
        if below and all((x, y) in better for x in above for y in below):
            clusters.append(current)
            current = []
    if current:
        clusters.append(current)
    return clusters


@dataclass
class ComparisonResult(StatsResult):
    """Pairwise comparison of systems on one metric (and sub-metric).

    ``table`` (:meth:`to_frame`): one row per pair — ``system_a``, ``system_b`` (a ranked above b, or b the
    baseline), ``n_pairs`` (shared groups), ``mean_a``/``mean_b`` (on those pairs), ``diff`` (mean of a − b),
    ``ci_low``/``ci_high`` (paired-bootstrap interval of ``diff`` at 1 − alpha, not corrected),
    ``p_bootstrap``/``p_permutation``/``p_wilcoxon`` (``p_bootstrap`` NaN below :data:`FEW_PAIRS` pairs),
    ``p_value`` (the chosen ``test``'s; with ``test="bootstrap"``, the exact permutation p for pairs sharing
    fewer than :data:`FEW_PAIRS` groups), ``p_value_test`` (the test that gave ``p_value``), ``p_adjusted``
    (``correction`` over all rows), ``significant`` (p_adjusted < alpha) and ``better`` (the significantly
    better system given the metric's direction, else empty). ``systems``: one row per system — ``mean`` of
    its scored samples, ``n`` samples, ``n_groups``, ``rank`` (1 = best) and ``cluster`` (1 = top; NA with a
    baseline, where not all pairs are tested). ``clusters``: the ranking split into significance clusters
    (:func:`significance_clusters`), or ``None`` with a baseline.
    """

    table: pd.DataFrame
    systems: pd.DataFrame
    clusters: list[list[str]] | None
    metric: str
    sub_metric: str
    higher_is_better: bool
    test: str
    correction: str
    alpha: float
    baseline: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        direction = "higher" if self.higher_is_better else "lower"
        name = self.metric if not self.sub_metric else f"{self.metric}/{self.sub_metric}"
        lines = [
            f"Comparison on {name} ({direction} is better): {self.test} test, {self.correction} correction, "
            f"alpha {self.alpha:g}" + (f", baseline {self.baseline}" if self.baseline else ""),
            self.systems.to_string(index=False, float_format=lambda x: f"{x:.4g}"),
            "",
            self.table[
                ["system_a", "system_b", "n_pairs", "diff", "ci_low", "ci_high", "p_value", "p_adjusted", "better"]
            ].to_string(index=False, float_format=lambda x: f"{x:.4g}"),
        ]
        if self.clusters is not None:
            lines += ["", "significance clusters: " + " > ".join("{" + ", ".join(c) + "}" for c in self.clusters)]
        return "\n".join(lines) + self._warnings_text()

    def to_dict(self) -> dict[str, Any]:
        from emoeval.stats._result import jsonable

        data = super().to_dict()
        data.update(
            systems=jsonable(self.systems),
            clusters=self.clusters,
            metric=self.metric,
            sub_metric=self.sub_metric,
            higher_is_better=self.higher_is_better,
            test=self.test,
            correction=self.correction,
            alpha=self.alpha,
            baseline=self.baseline,
        )
        return data


def _select(rows: pd.DataFrame, metric: str, sub_metric: str | None) -> tuple[pd.DataFrame, str]:
    known = sorted(rows["metric"].dropna().astype(str).unique())
    if metric not in known:
        raise StatsError(f"no scored samples of metric {metric!r}; the table has {', '.join(known) or 'none'}")
    rows = rows[rows["metric"] == metric]
    subs = list(dict.fromkeys(rows["sub_metric"].astype(str)))
    if sub_metric is None:
        sub_metric = headline_sub_metric(metric, subs, rows)
    elif sub_metric not in subs:
        raise StatsError(f"metric {metric!r} has no sub-metric {sub_metric!r}; it has {', '.join(subs)}")
    return rows[rows["sub_metric"] == sub_metric], sub_metric


def compare_systems(
    results: Results | pd.DataFrame,
    *,
    metric: str,
    sub_metric: str | None = None,
    baseline: str | None = None,
    test: TestName = "permutation",
    correction: Correction = "holm",
    alpha: float = 0.05,
    n_resamples: int = 10000,
    pair_on: str = "group",
    seed: int = 0,
) -> ComparisonResult:
    """Paired tests between systems on ``metric`` [``sub_metric``], corrected for multiple testing.

    Uses the scored per-sample rows of a results table. Systems are ranked by the mean of their samples in
    the metric's direction (``higher_is_better`` from the table; assumed higher when the table does not
    say, with a warning). Every pair (or every system against ``baseline``) is tested with
    :func:`paired_test` on the ``pair_on`` groups both systems have; ``test`` picks the p-value that is
    corrected (``holm`` or ``fdr_bh`` via statsmodels' ``multipletests``) and judged at ``alpha``. A pair
    with fewer than 2 shared groups gets no p-value (NaN, with a warning) and counts as not significant. With
    ``test="bootstrap"``, a pair sharing fewer than :data:`FEW_PAIRS` groups is judged by the exact sign-flip
    permutation p instead (the paired bootstrap declares 2–3 pairs of one sign significant at p = 1/(B + 1));
    ``p_value_test`` names the test behind each row's ``p_value``.
    Significance clusters are formed from all pairs (not with a baseline).
    """
    from statsmodels.stats.multitest import multipletests

    if test not in ("permutation", "bootstrap", "wilcoxon"):
        raise StatsError(f"unknown test {test!r}; use 'permutation', 'bootstrap' or 'wilcoxon'")
    if correction not in ("holm", "fdr_bh"):
        raise StatsError(f"unknown correction {correction!r}; use 'holm' or 'fdr_bh'")
    if not 0.0 < alpha < 1.0:
        raise StatsError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    rows, _ = scored_samples(results)
    if "system" not in rows.columns:
        raise StatsError("the results table has no system column; there is nothing to compare")
    if pair_on not in rows.columns:
        raise StatsError(
            f"cannot pair samples on {pair_on!r}: no such column. Paired tests need the samples' group "
            "(the same source item for every system); set `group` in the manifest"
        )
    rows, sub_metric = _select(rows, metric, sub_metric)
    warnings: list[str] = []
    key = rows[pair_on].astype("string")
    unpaired = key.isna() | (key.str.strip() == "")
    if unpaired.all():
        raise StatsError(f"no sample of {metric!r} has a {pair_on}; paired tests need it (set `group` in the manifest)")
    if unpaired.any():
        warnings.append(f"{int(unpaired.sum())} sample(s) without a {pair_on} were left out of the paired tests")
    rows = rows.assign(_key=key)[~unpaired]
    rows = rows[rows["system"].notna()].assign(system=lambda f: f["system"].astype(str))

    direction = rows["higher_is_better"].dropna().unique() if "higher_is_better" in rows.columns else []
    if len(direction) > 1:
        raise StatsError(f"{metric}/{sub_metric}: the table disagrees on higher_is_better; fix the results table")
    if len(direction) == 0:
        warnings.append(f"{metric}/{sub_metric}: the table does not say whether higher is better; assumed higher")
    higher_is_better = bool(direction[0]) if len(direction) else True

    per_group = rows.groupby(["system", "_key"], sort=True)["value"].agg(["mean", "size"])
    repeated = per_group[per_group["size"] > 1]
    if len(repeated):
        warnings.append(
            f"{len(repeated)} (system, {pair_on}) cell(s) held several samples; their mean is the system's value "
            f"for that {pair_on} in the paired tests"
        )
    wide = per_group["mean"].unstack("system")
    summary = rows.groupby("system", sort=True)["value"].agg(mean="mean", n="size")
    summary["n_groups"] = wide.notna().sum()
    if len(summary) < 2:
        raise StatsError(f"{metric}/{sub_metric}: only {len(summary)} system(s) scored; a comparison needs two")
    order = summary.sort_values("mean", ascending=not higher_is_better, kind="stable").index.tolist()
    if baseline is not None and baseline not in order:
        raise StatsError(f"baseline {baseline!r} is not a scored system; systems are {', '.join(order)}")
    if baseline is None:
        pairs = [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    else:
        pairs = [(system, baseline) for system in order if system != baseline]

    records: list[dict[str, Any]] = []
    few_pairs: list[str] = []
    for index, (first, second) in enumerate(pairs):
        has_a, has_b = wide[first].notna(), wide[second].notna()
        shared = has_a & has_b
        n_shared, only_a, only_b = int(shared.sum()), int((has_a & ~has_b).sum()), int((has_b & ~has_a).sum())
        if only_a or only_b:
            warnings.append(
                f"systems {first!r} and {second!r} were scored on different sample sets: {n_shared} shared "
                f"{pair_on}(s), {only_a} only in {first!r}, {only_b} only in {second!r}; the unpaired ones are "
                "left out of this pair's test"
            )
        record: dict[str, Any] = {"system_a": first, "system_b": second, "n_pairs": n_shared}
        if n_shared < 2:
            warnings.append(f"systems {first!r} and {second!r} share {n_shared} {pair_on}(s): no paired test")
            records.append(record)
            continue
        # Each pair gets its own seed stream so adding a system does not change the other pairs' numbers.
        pair_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
        outcome = paired_test(
            wide.loc[shared, first].to_numpy(),
            wide.loc[shared, second].to_numpy(),
            n_resamples=n_resamples,
            confidence=1.0 - alpha,
            seed=pair_seed,
        )
        if n_shared < FEW_PAIRS:
            few_pairs.append(f"{first}-{second} ({n_shared})")
        few = _few_pairs_warning(n_shared)
        warnings.extend(f"{first} vs {second}: {warning}" for warning in outcome.warnings if warning != few)
        record.update(
            mean_a=outcome.mean_a,
            mean_b=outcome.mean_b,
            diff=outcome.mean_diff,
            ci_low=outcome.ci_low,
            ci_high=outcome.ci_high,
            p_bootstrap=outcome.p_bootstrap,
            p_permutation=outcome.p_permutation,
            permutation_exact=outcome.permutation_exact,
            wilcoxon_statistic=outcome.wilcoxon_statistic,
            p_wilcoxon=outcome.p_wilcoxon,
        )
        records.append(record)

    if few_pairs:  # one warning for all pairs, not one per pair
        consequence = (
            "; with test='bootstrap' they are judged by the exact permutation p instead" if test == "bootstrap" else ""
        )
        warnings.append(
            f"{len(few_pairs)} pair(s) share fewer than {FEW_PAIRS} {pair_on}s ({', '.join(few_pairs)}): "
            f"paired-bootstrap intervals are unreliable this small and give no p-value{consequence}"
        )
    columns = [
        "system_a",
        "system_b",
        "n_pairs",
        "mean_a",
        "mean_b",
        "diff",
        "ci_low",
        "ci_high",
        "p_bootstrap",
        "p_permutation",
        "permutation_exact",
        "wilcoxon_statistic",
        "p_wilcoxon",
    ]
    table = pd.DataFrame(records, columns=columns)
    table["n_pairs"] = table["n_pairs"].astype(int)
    for column in columns[3:]:
        if column != "permutation_exact":
            table[column] = table[column].astype(float)
    table["permutation_exact"] = table["permutation_exact"].astype("boolean")
    table["p_value"] = table[f"p_{test}"]
    table["p_value_test"] = np.where(table["p_value"].notna(), test, "")
    if test == "bootstrap":  # too few pairs for a bootstrap p: the exact permutation p decides
        fallback = table["p_value"].isna() & table["p_permutation"].notna()
        table.loc[fallback, "p_value"] = table.loc[fallback, "p_permutation"]
        table.loc[fallback, "p_value_test"] = "permutation"
    table["p_adjusted"] = math.nan
    tested = table["p_value"].notna()
    if tested.any():
        table.loc[tested, "p_adjusted"] = multipletests(
            table.loc[tested, "p_value"].to_numpy(), alpha=alpha, method=correction
        )[1]
    table["significant"] = table["p_adjusted"] < alpha
    a_wins = (table["diff"] > 0) == higher_is_better
    table["better"] = np.where(table["significant"], np.where(a_wins, table["system_a"], table["system_b"]), "")
    table["correction"] = correction
    table["test"] = test

    systems = summary.loc[order].reset_index()
    systems["n"] = systems["n"].astype(int)
    systems["n_groups"] = systems["n_groups"].astype(int)
    systems["rank"] = np.arange(1, len(order) + 1)
    clusters: list[list[str]] | None = None
    if baseline is None:
        better = {
            (row.better, row.system_b if row.better == row.system_a else row.system_a)
            for row in table.itertuples()
            if row.better
        }
        clusters = significance_clusters(order, better)
        membership = {system: number for number, members in enumerate(clusters, start=1) for system in members}
        systems["cluster"] = pd.array([membership[s] for s in systems["system"]], dtype="Int64")
    else:
        systems["cluster"] = pd.array([pd.NA] * len(systems), dtype="Int64")
    return ComparisonResult(
        table=table,
        systems=systems,
        clusters=clusters,
        metric=metric,
        sub_metric=sub_metric,
        higher_is_better=higher_is_better,
        test=test,
        correction=correction,
        alpha=alpha,
        baseline=baseline,
        warnings=warnings,
    )
