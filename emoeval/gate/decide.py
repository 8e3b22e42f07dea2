"""The gate's statistics (numpy and scipy only): oriented differences, their bootstrap distribution, one-sided
tests against a margin, multiplicity correction, verdicts, and the minimum detectable effect.

**Orientation.** d = (candidate − baseline) × (+1 if higher is better else −1): positive is better.

**Sample-level outputs** (:func:`paired_bootstrap_draws`): the mean of the paired differences dᵢ, and its
bootstrap distribution from resampling clusters (the pairs' ``group``; a pair without one is its own cluster)
with replacement, keeping every pair of a drawn cluster (the cluster bootstrap, Davison & Hinkley 1997 §3.8;
the resampled mean is the ratio Σ sums / Σ counts, as in :func:`emoeval.stats.aggregate.cluster_bootstrap_mean`).
With few clusters a percentile bootstrap is too narrow — its spread is √((G − 1)/G) of the standard error, and
it uses normal instead of t quantiles — so the draws are *expanded* about d by
k = √(G/(G − 1)) · t₍G−1₎(1 − α)/z(1 − α), Hesterberg's expanded percentile interval (Hesterberg 2015, "What
teachers should know about the bootstrap", The American Statistician 69(4)); k → 1 as G grows.

**Corpus outputs** (:func:`corpus_difference`): d* = c* − b* from the two runs' bootstrap draws, draw i with
draw i, re-centred on the observed difference (as ``bootstrap_recentred`` does: corpus statistics such as FD
move on resamples). Runs resample with the same seed, so when both list the same samples in the same order
(the same prompts, the same manifest order) draw i resamples the same items on both sides and d* is the paired
bootstrap of the corpus difference; otherwise the two sets of draws are independent. A side with jackknife
draws (distinct-n) or none contributes its standard error, and the difference is then taken as normal with
SE = √(SE_c² + SE_b²) (a note says so).

**Tests at level α = 1 − confidence** (one-sided, margin m ≥ 0), with bootstrap p-values (1 + #)/(B + 1):

- regression: H0 d ≥ −m, p = share of draws ≥ −m; improvement: H0 d ≤ +m, p = share of draws ≤ +m;
- equivalence (TOST, Schuirmann 1987): both H0 d ≤ −m (p = share ≤ −m) and H0 d ≥ +m (p = share ≥ +m) rejected;
  its p-value is the larger of the two.

A bootstrap p-value cannot fall below 1/(B + 1): when B draws are too few for the family — 1/(B + 1) > α/(2k)
for k tests, e.g. a corpus metric that allows only 50 resamples — the test uses the normal distribution with the
draws' sd instead (a note says so), so a clear difference is not hidden by the resolution of the draws.

Each family of p-values is adjusted across the gated outputs (:func:`adjust_pvalues`: Holm's step-down,
Bonferroni, or none) and compared with α. The reported interval is the two-sided (1 − 2α) percentile interval:
it lies entirely below −m exactly when the unadjusted regression test rejects.

**Minimum detectable effect** (:func:`minimum_detectable_effect`): MDE = (z₁₋α + z_power) · SE, the smallest
true difference a one-sided level-α test detects with the given power (0.8) — SE the sd of the draws; and the
number of samples that would detect a difference as large as the margin, n · (MDE / m)² (:func:`samples_needed`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: statistical power the minimum detectable effect is computed for
POWER = 0.8
#: draws are resampled in blocks of at most this many drawn indices, so memory stays flat
_BLOCK = 2_000_000


def orientation(higher_is_better: bool) -> float:
    """+1 when higher is better, −1 when lower is better: multiply a difference by it so positive = better."""
    return 1.0 if higher_is_better else -1.0


def expansion_factor(n_clusters: int, alpha: float) -> float:
    """Hesterberg's expansion k = √(G/(G − 1)) · t₍G−1₎(1 − α) / z(1 − α) of a percentile bootstrap of a mean
    over G resampled units (1 for G < 2, where no interval exists)."""
    from scipy import stats

    if n_clusters < 2:
        return 1.0
    return math.sqrt(n_clusters / (n_clusters - 1)) * float(
        stats.t.ppf(1.0 - alpha, df=n_clusters - 1) / stats.norm.ppf(1.0 - alpha)
    )


def cluster_codes(clusters: Sequence[Any] | None, n: int) -> np.ndarray:
    """Integer codes 0..G−1 of cluster labels (sorted by label); a missing or empty label is its own cluster."""
    import numpy as np

    if clusters is None:
        return np.arange(n)
    labels = list(clusters)
    if len(labels) != n:
        raise ValueError(f"got {n} values but {len(labels)} cluster labels; give one label per value")
    keys = []
    for index, label in enumerate(labels):
        missing = (
            label is None or (isinstance(label, float) and math.isnan(label)) or str(label).strip() in ("", "<NA>")
        )
        keys.append(f"\0row{index}" if missing else f"g:{label}")
    _, codes = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64)


def paired_bootstrap_draws(
    differences: Sequence[float] | np.ndarray,
    clusters: Sequence[Any] | None = None,
    *,
    n_bootstrap: int = 2000,
    seed: int = 0,
    expand_alpha: float | None = None,
) -> np.ndarray:
    """Bootstrap draws of the mean of ``differences``, resampling clusters (``clusters``: one label per value,
    None = every value its own cluster) with replacement and keeping all values of a drawn cluster.

    The generator is ``numpy.random.default_rng(seed)``; each block of resamples draws its cluster indices with
    one ``rng.integers(0, G, size=(block, G))`` call. With ``expand_alpha`` the draws are expanded about the
    mean by :func:`expansion_factor` (G clusters, level ``expand_alpha``).
    """
    import numpy as np

    values = np.asarray(differences, dtype=np.float64)
    if values.size == 0:
        return np.empty(0)
    codes = cluster_codes(clusters, values.size)
    n_clusters = int(codes.max()) + 1
    sums = np.bincount(codes, weights=values, minlength=n_clusters)
    counts = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // n_clusters)
    draws = np.empty(n_bootstrap)
    for start in range(0, n_bootstrap, block):
        stop = min(start + block, n_bootstrap)
        drawn = rng.integers(0, n_clusters, size=(stop - start, n_clusters))
        draws[start:stop] = sums[drawn].sum(axis=1) / counts[drawn].sum(axis=1)
    if expand_alpha is not None:
        mean = float(values.mean())
        draws = mean + expansion_factor(n_clusters, expand_alpha) * (draws - mean)
    return draws


def p_at_least(draws: np.ndarray, threshold: float) -> float:
    """Bootstrap p-value (1 + #{d* ≥ threshold}) / (B + 1): of H0 d ≥ threshold against d < threshold."""
    import numpy as np

    return (1.0 + float(np.count_nonzero(draws >= threshold))) / (draws.size + 1.0)


def p_at_most(draws: np.ndarray, threshold: float) -> float:
    """Bootstrap p-value (1 + #{d* ≤ threshold}) / (B + 1): of H0 d ≤ threshold against d > threshold."""
    import numpy as np

    return (1.0 + float(np.count_nonzero(draws <= threshold))) / (draws.size + 1.0)


def adjust_pvalues(pvalues: Sequence[float], method: str) -> list[float]:
    """Multiplicity-adjusted p-values: ``holm`` (step-down: the i-th smallest of k gets max over j ≤ i of
    (k − j + 1) · p₍ⱼ₎, capped at 1; Holm 1979), ``bonferroni`` (k · p, capped at 1) or ``none``. Equal to
    ``statsmodels.stats.multitest.multipletests(p, method=...)[1]``."""
    import numpy as np

    p = np.asarray(pvalues, dtype=np.float64)
    k = p.size
    if k == 0 or method == "none":
        return p.tolist()
    if method == "bonferroni":
        return np.minimum(1.0, k * p).tolist()
    if method != "holm":
        raise ValueError(f"unknown correction {method!r}; use 'holm', 'bonferroni' or 'none'")
    order = np.argsort(p, kind="mergesort")
    stepped = np.maximum.accumulate((k - np.arange(k)) * p[order])
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(1.0, stepped)
    return adjusted.tolist()


def minimum_detectable_effect(se: float, alpha: float, power: float = POWER) -> float:
    """MDE = (z₁₋α + z_power) · SE: the smallest true difference a one-sided level-α z test detects with
    ``power`` (statsmodels' ``NormalIndPower`` with ``ratio=0``, ``alternative="larger"``, gives the same)."""
    from scipy import stats

    return float((stats.norm.ppf(1.0 - alpha) + stats.norm.ppf(power)) * se)


def samples_needed(n: int, mde: float, margin: float) -> int | None:
    """Samples (pairs) that would detect a difference as large as ``margin``: ⌈n · (MDE / m)²⌉ (the standard
    error shrinks as 1/√n); None when the margin is 0 or the MDE is unknown."""
    if margin <= 0 or not math.isfinite(mde) or n <= 0:
        return None
    return max(1, math.ceil(n * (mde / margin) ** 2 - 1e-9))


@dataclass(frozen=True)
class Difference:
    """The oriented difference of one output (positive = better) and its sampling distribution: bootstrap
    ``draws``, or — when ``draws`` is None — a normal one with standard error ``se``."""

    value: float
    draws: np.ndarray | None
    se: float
    n: int
    method: str
    note: str = ""

    def usable(self) -> bool:
        """Whether a test can be run (a finite value and a spread that is known)."""
        if not math.isfinite(self.value):
            return False
        if self.draws is not None:
            return self.draws.size >= 2
        return math.isfinite(self.se)

    def p_at_least(self, threshold: float) -> float:
        """p-value of H0 d ≥ threshold (small when d is clearly below it)."""
        from scipy import stats

        if self.draws is not None:
            return p_at_least(self.draws, threshold)
        if self.se == 0:
            return 1.0 if self.value >= threshold else 0.0
        return float(stats.norm.cdf((self.value - threshold) / self.se))

    def p_at_most(self, threshold: float) -> float:
        """p-value of H0 d ≤ threshold (small when d is clearly above it)."""
        from scipy import stats

        if self.draws is not None:
            return p_at_most(self.draws, threshold)
        if self.se == 0:
            return 1.0 if self.value <= threshold else 0.0
        return float(stats.norm.cdf((threshold - self.value) / self.se))

    def interval(self, alpha: float) -> tuple[float, float]:
        """The two-sided (1 − 2α) interval: the α and 1 − α quantiles of the draws (or d ± z₁₋α · SE)."""
        import numpy as np
        from scipy import stats

        if self.draws is not None:
            low, high = np.quantile(self.draws, [alpha, 1.0 - alpha])
            return float(low), float(high)
        half = float(stats.norm.ppf(1.0 - alpha)) * self.se
        return self.value - half, self.value + half

    def as_normal(self, note: str) -> Difference:
        """The same difference with a normal distribution of the draws' sd (for too few draws: bootstrap
        p-values cannot go below 1/(B + 1))."""
        joined = "; ".join(part for part in (self.note, note) if part)
        return Difference(self.value, None, self.spread, self.n, self.method + ", normal approximation", joined)

    @property
    def spread(self) -> float:
        """SE: the sd of the draws, or the normal approximation's standard error."""
        import numpy as np

        if self.draws is not None:
            return float(np.std(self.draws, ddof=1)) if self.draws.size > 1 else math.nan
        return self.se


def corpus_difference(
    candidate: tuple[float, Any],
    baseline: tuple[float, Any],
    *,
    orient: float,
    fallback_se: tuple[float, float],
    n: int,
) -> Difference:
    """The oriented difference of two corpus values with its distribution.

    ``candidate``/``baseline``: (value, :class:`~emoeval.runner.draws.CorpusDraws` or None). Both with bootstrap
    draws: d* = orient · (c* − b*) over the first min(B_c, B_b) draws, re-centred on d. Otherwise a normal
    approximation with SE² = SE_c² + SE_b², each side's SE from its draws (bootstrap sd or jackknife SE) or,
    without draws, from ``fallback_se`` (each side's from its interval).
    """
    import numpy as np

    (c_value, c_draws), (b_value, b_draws) = candidate, baseline
    value = orient * (c_value - b_value)
    both_bootstrap = (
        c_draws is not None
        and b_draws is not None
        and c_draws.kind == "bootstrap"
        and b_draws.kind == "bootstrap"
        and min(c_draws.draws.size, b_draws.draws.size) >= 2
    )
    if both_bootstrap:
        size = min(c_draws.draws.size, b_draws.draws.size)
        raw = orient * (c_draws.draws[:size] - b_draws.draws[:size])
        draws = raw - float(raw.mean()) + value  # re-centred on the observed difference
        note = (
            "" if c_draws.draws.size == b_draws.draws.size else f"{size} draws paired (the runs saved unequal numbers)"
        )
        return Difference(value, draws, math.nan, n, "corpus bootstrap draws (independent, re-centred)", note)
    ses, sources = [], []
    for side, found, fallback in (("candidate", c_draws, fallback_se[0]), ("baseline", b_draws, fallback_se[1])):
        if found is not None and found.draws.size >= 2:
            ses.append(found.se)
            sources.append(f"{side}: {found.kind} draws")
        else:
            ses.append(fallback)
            sources.append(f"{side}: its interval (no draws saved)")
    se = math.sqrt(ses[0] ** 2 + ses[1] ** 2) if all(math.isfinite(s) for s in ses) else math.nan
    note = "normal approximation (" + "; ".join(sources) + ")"
    return Difference(value, None, se, n, "corpus normal approximation", note if np.isfinite(se) else note + ", no SE")


def se_from_interval(ci_low: float, ci_high: float, confidence: float) -> float:
    """The standard error a two-sided normal interval at ``confidence`` implies: width / (2 · z)."""
    from scipy import stats

    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return math.nan
    return (ci_high - ci_low) / (2.0 * float(stats.norm.ppf(0.5 + confidence / 2.0)))


def classify(adjusted_regressed: float, adjusted_improved: float, adjusted_equivalent: float, alpha: float) -> str:
    """The verdict from the three adjusted p-values: regressed, else improved, else equivalent, else
    inconclusive (a test rejects when its adjusted p-value ≤ α)."""
    if adjusted_regressed <= alpha:
        return "regressed"
    if adjusted_improved <= alpha:
        return "improved"
    if adjusted_equivalent <= alpha:
        return "equivalent"
    return "inconclusive"


__all__ = [
    "POWER",
    "Difference",
    "adjust_pvalues",
    "classify",
    "cluster_codes",
    "corpus_difference",
    "expansion_factor",
    "minimum_detectable_effect",
    "orientation",
    "p_at_least",
    "p_at_most",
    "paired_bootstrap_draws",
    "samples_needed",
    "se_from_interval",
]
