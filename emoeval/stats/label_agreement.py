"""Emotion-label agreement for categorical judgements: crowd votes, soft labels, and a recognizer against them.

Perceptual studies such as CREMA-D (Cao et al. 2014) publish, per clip, how many raters chose each emotion.
Those **votes** (one row per item, one count column per emotion) say more than one "true" label: the
**soft label** (the vote shares), the **majority label** (ties kept visible), and the **vote entropy** (how much
the crowd disagreed). :func:`compare_to_crowd` then asks how well a recognizer's predicted distribution matches
the crowd: accuracy against the majority, top-k accuracy, cross-entropy and KL(crowd ‖ model), Jensen–Shannon
divergence and per-label recall, each with a seeded bootstrap interval over items.

Column names are emotion labels, normalised with :func:`emoeval.labels.normalize_label`; a dataset's own codes
go through a mapping and its label set, e.g. CREMA-D's vote columns::

    votes = votes_table(frame, columns=CREMA_D_VOTE_COLUMNS, dataset="crema-d", item_column="clip")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from emoeval.errors import UnknownLabelError
from emoeval.labels import CANONICAL_LABELS, normalize_label
from emoeval.stats._result import StatsError, StatsResult
from emoeval.stats.proportion import wilson_interval

# CREMA-D's tabulatedVotes.csv counts votes in one-letter columns; these are the dataset's three-letter codes
# (ANG, DIS, ...) that `normalize_label(code, dataset="crema-d")` knows.
CREMA_D_VOTE_COLUMNS: Mapping[str, str] = MappingProxyType(
    {"A": "ANG", "D": "DIS", "F": "FEA", "H": "HAP", "N": "NEU", "S": "SAD"}
)

TieRule = Literal["all", "first", "random", "none"]
TIE_SEPARATOR = ":"  # CREMA-D's own summary tables join tied labels with a colon


# --------------------------------------------------------------------------------------------------------------
# Votes tables
# --------------------------------------------------------------------------------------------------------------


def _canonical_order(labels: Sequence[str]) -> list[str]:
    order = {label: index for index, label in enumerate(CANONICAL_LABELS)}
    return sorted(set(labels), key=lambda label: order[label])


def _validate_counts(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Finite, non-negative numbers with a positive total per row; a clear error otherwise."""
    try:
        values = frame.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise StatsError(f"{what} must be numbers: {error}") from error
    array = values.to_numpy()
    if not np.all(np.isfinite(array)):
        bad = int((~np.isfinite(array)).any(axis=1).sum())
        raise StatsError(f"{what}: {bad} rows have missing or infinite values; use 0 for labels nobody chose")
    if np.any(array < 0):
        raise StatsError(f"{what}: {int((array < 0).any(axis=1).sum())} rows have negative values")
    empty = array.sum(axis=1) <= 0
    if np.any(empty):
        examples = ", ".join(map(str, values.index[empty][:3]))
        raise StatsError(f"{what}: {int(empty.sum())} rows have no votes at all (e.g. {examples}); drop them first")
    if values.index.has_duplicates:
        duplicated = values.index[values.index.duplicated()][:3]
        raise StatsError(f"{what}: item ids repeat (e.g. {', '.join(map(str, duplicated))}); one row per item")
    return values


def votes_table(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    dataset: str | None = None,
    item_column: str | None = None,
    what: str = "vote counts",
) -> pd.DataFrame:
    """A clean votes table: index ``item`` (str), one float count column per canonical emotion label.

    ``columns`` selects the count columns: a mapping column → label (e.g. :data:`CREMA_D_VOTE_COLUMNS`), a list
    of columns named by labels, or ``None`` for every column except ``item_column``. Labels are normalised with
    ``normalize_label(label, dataset)``; columns that map to the same canonical label are **summed** (e.g.
    IEMOCAP's ``exc`` and ``hap`` both count as ``happy``). Items are ``item_column`` or the frame's index.
    Columns come out in the vocabulary's order. Raises for unknown labels, missing columns, non-numeric,
    negative or missing counts, items without any vote, and repeated items (``what`` names the table in errors).
    """
    if item_column is not None and item_column not in frame.columns:
        raise StatsError(f"item column {item_column!r} not in the votes table; columns: {', '.join(frame.columns)}")
    if columns is None:
        mapping = {str(column): str(column) for column in frame.columns if column != item_column}
    elif isinstance(columns, Mapping):
        mapping = {str(column): str(label) for column, label in columns.items()}
    else:
        mapping = {str(column): str(column) for column in columns}
    absent = [column for column in mapping if column not in frame.columns]
    if absent:
        raise StatsError(f"vote columns {', '.join(absent)} not in the table; columns: {', '.join(frame.columns)}")
    if not mapping:
        raise StatsError("a votes table needs at least one count column")
    try:
        canonical = {column: normalize_label(label, dataset) for column, label in mapping.items()}
    except UnknownLabelError as error:
        raise UnknownLabelError(
            f"{error}. Pass columns={{column: label}} (and dataset=) to say which columns hold votes for which emotion"
        ) from None
    counts = _validate_counts(frame[list(mapping)], what)
    merged = counts.T.groupby(pd.Series(canonical)).sum().T  # sums columns that share a canonical label
    merged = merged[_canonical_order(list(merged.columns))]
    index = frame[item_column] if item_column is not None else frame.index.to_series()
    merged.index = pd.Index(index.astype(str).to_numpy(), name="item")
    return _validate_counts(merged, what)


def _as_votes(votes: pd.DataFrame) -> pd.DataFrame:
    """Accept a cleaned votes table or any frame whose columns are all emotion labels."""
    if not isinstance(votes, pd.DataFrame):
        raise StatsError(f"votes must be a pandas DataFrame (items × emotions), got {type(votes).__name__}")
    columns = [str(column) for column in votes.columns]
    canonical = all(column in CANONICAL_LABELS for column in columns)
    if canonical and columns == _canonical_order(columns) and votes.index.name == "item":
        return _validate_counts(votes, "vote counts")
    return votes_table(votes)


# --------------------------------------------------------------------------------------------------------------
# Crowd statistics
# --------------------------------------------------------------------------------------------------------------


def soft_labels(votes: pd.DataFrame) -> pd.DataFrame:
    """Vote shares per item (rows sum to 1): the crowd's label distribution, each share in [0, 1]."""
    counts = _as_votes(votes)
    return counts.div(counts.sum(axis=1), axis=0)


def _tied(counts: np.ndarray) -> np.ndarray:
    """Boolean items × labels: which labels got the most votes (ties within 1e-12 relative, for float votes)."""
    top = counts.max(axis=1, keepdims=True)
    return counts >= top * (1.0 - 1e-12)


def majority_labels(votes: pd.DataFrame, *, ties: TieRule = "all", seed: int = 0) -> pd.DataFrame:
    """The plurality label of each item and how strongly the crowd agreed on it.

    Columns: ``majority`` (by the tie rule), ``tied_labels`` (tuple of every label with the most votes, in
    vocabulary order), ``n_tied``, ``n_votes``, ``top_votes``, ``agreement`` (``top_votes / n_votes``, the
    share of raters who chose the plurality label; CREMA-D's ``agreement`` column).

    Tie rules for ``majority``: ``"all"`` joins the tied labels with ``":"`` (``"angry:disgust"``, as CREMA-D's
    ``emoVote`` does with its letter codes); ``"first"`` takes the first tied label in vocabulary order;
    ``"random"`` draws one tied label with ``np.random.default_rng(seed)``; ``"none"`` leaves tied items
    ``<NA>``.
    """
    if ties not in ("all", "first", "random", "none"):
        raise StatsError(f"unknown tie rule {ties!r}; use 'all', 'first', 'random' or 'none'")
    counts = _as_votes(votes)
    labels = np.asarray(counts.columns, dtype=object)
    values = counts.to_numpy()
    tied = _tied(values)
    tied_labels = [tuple(labels[row]) for row in tied]
    n_tied = tied.sum(axis=1)
    if ties == "all":
        majority: list[Any] = [TIE_SEPARATOR.join(group) for group in tied_labels]
    elif ties == "first":
        majority = [group[0] for group in tied_labels]
    elif ties == "random":
        rng = np.random.default_rng(seed)
        majority = [group[0] if len(group) == 1 else group[int(rng.integers(len(group)))] for group in tied_labels]
    else:
        majority = [group[0] if len(group) == 1 else pd.NA for group in tied_labels]
    n_votes = values.sum(axis=1)
    top = values.max(axis=1)
    return pd.DataFrame(
        {
            "majority": pd.array(majority, dtype="string"),
            "tied_labels": tied_labels,
            "n_tied": n_tied,
            "n_votes": n_votes,
            "top_votes": top,
            "agreement": top / n_votes,
        },
        index=counts.index,
    )


def vote_entropy(votes: pd.DataFrame, *, base: float = 2.0, normalized: bool = False) -> pd.Series:
    """Shannon entropy of each item's vote shares: 0 when unanimous, at most log_base(K) for K labels.

    ``normalized=True`` divides by log_base(K), the entropy of a uniform vote, giving [0, 1].
    """
    if not base > 0 or base == 1:
        raise StatsError(f"entropy base must be positive and not 1, got {base}")
    shares_frame = soft_labels(votes)
    shares = shares_frame.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(shares > 0, shares * np.log(shares), 0.0)
    entropy = (0.0 - terms.sum(axis=1)) / math.log(base)  # 0.0 - x turns -0.0 into 0.0
    if normalized:
        if shares.shape[1] < 2:
            raise StatsError("normalised entropy needs at least 2 labels")
        entropy = entropy / (math.log(shares.shape[1]) / math.log(base))
    return pd.Series(entropy, index=shares_frame.index, name="entropy")


# --------------------------------------------------------------------------------------------------------------
# A recognizer against the crowd
# --------------------------------------------------------------------------------------------------------------


def _kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise Σ p log(p / q) in nats, with 0 log 0 = 0 (q > 0 wherever p > 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0).sum(axis=1)


def _bootstrap_means(values: np.ndarray, *, n_boot: int, confidence: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of the column means of ``values`` (items × metrics), resampling items.

    All metrics share the same resamples; work is chunked so memory stays flat for large item counts.
    """
    n, m = values.shape
    if n_boot <= 0 or n < 2:
        return np.full(m, math.nan), np.full(m, math.nan)
    rng = np.random.default_rng(seed)
    # A resample is a vector of how often each item is drawn; means are then one matrix product per chunk.
    chunk = max(1, min(n_boot, 2_000_000 // n))
    means = np.empty((n_boot, m))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        draws = rng.integers(0, n, size=(size, n))
        flat = (draws + np.arange(size)[:, None] * n).ravel()
        weights = np.bincount(flat, minlength=size * n).reshape(size, n).astype(float)
        means[done : done + size] = weights @ values / n
        done += size
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail], axis=0)
    return low, high


@dataclass
class LabelAgreementResult(StatsResult):
    """How well a recognizer's predicted label distribution matches the crowd's votes.

    ``metrics`` rows (``metric, value, ci_low, ci_high, n``), means over items with percentile bootstrap
    intervals:

    - ``accuracy`` (↑, [0, 1]): the predicted label (argmax) is a plurality label; with a tie, any tied label
      counts as correct. ``accuracy_untied`` uses only items without a tie.
    - ``top{k}_accuracy`` (↑): one of the model's k most probable labels is a plurality label (labels with
      probability 0 never count, so a one-hot prediction has top-k accuracy = accuracy).
    - ``soft_accuracy`` (↑, [0, 1]): the crowd's share for the predicted label — the chance a random rater
      agrees with the model.
    - ``cross_entropy`` (↓, ≥ crowd entropy) and ``kl_divergence`` (↓, ≥ 0): ``H(p, q)`` and ``KL(p ‖ q)``
      of crowd shares ``p`` against the model ``q`` smoothed as ``(q + ε) / (1 + Kε)`` over the K labels.
    - ``js_divergence`` (↓, [0, 1]): Jensen–Shannon divergence in bits (unsmoothed; the square of scipy's
      ``jensenshannon(p, q, base=2)``).
    - ``crowd_entropy``: the mean entropy of the votes, the floor of the cross-entropy.

    ``per_label`` holds each label's recall over items whose plurality label it is (tied items excluded) with a
    Wilson interval, and how often the model predicted it. ``per_item`` has every item's values.
    """

    metrics: pd.DataFrame
    per_label: pd.DataFrame
    per_item: pd.DataFrame
    labels: list[str]
    model_labels: list[str]
    crowd_labels: list[str]
    missing_from_model: dict[str, float] = field(default_factory=dict)
    epsilon: float = 1e-6
    base: float = math.e
    confidence: float = 0.95
    n_boot: int = 1000
    seed: int = 0

    def value(self, metric: str) -> float:
        rows = self.metrics[self.metrics["metric"] == metric]
        if rows.empty:
            raise StatsError(f"unknown metric {metric!r}; known: {', '.join(self.metrics['metric'])}")
        return float(rows["value"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        overall = self.metrics.assign(label=None)
        recall = self.per_label.assign(metric="recall").rename(columns={"recall": "value", "n_items": "n"})
        columns = ["metric", "label", "value", "ci_low", "ci_high", "n"]
        return pd.concat([overall[columns], recall[columns]], ignore_index=True)

    def summary(self) -> str:
        unit = "nats" if self.base == math.e else f"log base {self.base:g}"
        lines = [
            f"Recognizer vs crowd: {int(self.metrics['n'].max())} items, labels {', '.join(self.labels)} "
            f"(cross-entropy/KL in {unit}, ε = {self.epsilon:g}; {self.confidence:.0%} bootstrap intervals)"
        ]
        for row in self.metrics.itertuples(index=False):
            lines.append(f"  {row.metric:<18} {row.value:8.4f}  [{row.ci_low:8.4f}, {row.ci_high:8.4f}]  n={row.n}")
        lines.append("  per-label recall (untied items):")
        for row in self.per_label.itertuples(index=False):
            lines.append(
                f"    {row.label:<11} {row.recall:6.3f}  [{row.ci_low:6.3f}, {row.ci_high:6.3f}]  "
                f"n={row.n_items}, predicted {row.n_predicted}×"
            )
        return "\n".join(lines) + self._warnings_text()


def compare_to_crowd(
    predicted: pd.DataFrame,
    votes: pd.DataFrame,
    *,
    top_k: Sequence[int] = (2, 3),
    epsilon: float = 1e-6,
    base: float | None = None,
    dataset: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> LabelAgreementResult:
    """Compare a recognizer's predicted distributions (items × labels) with crowd votes (items × labels).

    ``predicted`` columns are label names (normalised with ``normalize_label(column, dataset)``), rows
    non-negative probabilities; rows that do not sum to 1 are renormalised with a warning. Items are matched by
    index (as strings); items on one side only are reported. The comparison runs over the union of both label
    sets: a label the crowd used but the recognizer cannot output is **kept** (probability 0, smoothed by
    ``epsilon``; its items count as errors) and reported with its vote count; labels only the model has get
    crowd share 0. ``base`` is the logarithm base of cross-entropy and KL (``None``: nats). Argmax ties in the
    prediction go to the first label in vocabulary order.
    """
    if not epsilon > 0:
        raise StatsError(f"epsilon must be positive (it keeps KL finite), got {epsilon}")
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must be in (0, 1), got {confidence}")
    if base is not None and (not base > 0 or base == 1):
        raise StatsError(f"log base must be positive and not 1, got {base}")
    log_base = math.e if base is None else float(base)
    crowd = _as_votes(votes)
    if not isinstance(predicted, pd.DataFrame):
        raise StatsError(f"predicted must be a DataFrame (items × labels), got {type(predicted).__name__}")
    model = votes_table(predicted, dataset=dataset, what="predicted probabilities")
    warnings: list[str] = []

    sums = model.sum(axis=1)
    off = (sums - 1.0).abs() > 1e-6
    if off.any():
        warnings.append(f"{int(off.sum())} predicted rows did not sum to 1 and were renormalised")
    model = model.div(sums, axis=0)

    common = crowd.index.intersection(model.index, sort=False)
    if len(common) == 0:
        raise StatsError(
            "no item appears in both the predictions and the votes; match their indexes (item ids as strings)"
        )
    if len(common) < len(crowd):
        warnings.append(f"{len(crowd) - len(common)} of {len(crowd)} voted items have no prediction and are skipped")
    if len(common) < len(model):
        warnings.append(f"{len(model) - len(common)} predicted items have no votes and are skipped")
    crowd, model = crowd.loc[common], model.loc[common]

    labels = _canonical_order([*crowd.columns, *model.columns])
    model_labels, crowd_labels = list(model.columns), list(crowd.columns)
    counts = crowd.reindex(columns=labels, fill_value=0.0).to_numpy()
    p = counts / counts.sum(axis=1, keepdims=True)
    q = model.reindex(columns=labels, fill_value=0.0).to_numpy()
    n, k_labels = p.shape

    tied = _tied(counts)
    majority_sets = [tuple(np.asarray(labels)[row]) for row in tied]
    untied = tied.sum(axis=1) == 1

    missing_from_model: dict[str, float] = {}
    for label in crowd_labels:
        if label not in model_labels:
            column = labels.index(label)
            votes_for = float(counts[:, column].sum())
            majority_items = int(tied[:, column].sum())
            if votes_for > 0:
                missing_from_model[label] = votes_for
                warnings.append(
                    f"the recognizer cannot output {label!r}: {votes_for:g} crowd votes and {majority_items} items "
                    "whose plurality includes it count against it (kept, not dropped)"
                )
    model_only = [label for label in model_labels if label not in crowd_labels]
    if model_only:
        warnings.append(f"the crowd could not choose {', '.join(model_only)}; the model's mass there counts as error")

    model_index = [labels.index(label) for label in model_labels]
    ranked = np.asarray(model_index)[np.argsort(-q[:, model_index], axis=1, kind="stable")]
    predicted_index = ranked[:, 0]
    correct = tied[np.arange(n), predicted_index]
    soft = p[np.arange(n), predicted_index]

    smoothed = (q + epsilon) / (1.0 + k_labels * epsilon)
    kl = _kl_terms(p, smoothed) / math.log(log_base)
    with np.errstate(divide="ignore", invalid="ignore"):
        crowd_entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1) / math.log(log_base)
    cross_entropy = crowd_entropy + kl
    middle = (p + q) / 2.0
    js = (0.5 * _kl_terms(p, middle) + 0.5 * _kl_terms(q, middle)) / math.log(2.0)

    columns: dict[str, np.ndarray] = {"accuracy": correct.astype(float)}
    ks = sorted({int(k) for k in top_k})
    if any(k < 1 for k in ks):
        raise StatsError(f"top_k values must be ≥ 1, got {list(top_k)}")
    too_large = [k for k in ks if k > len(model_labels)]
    if too_large:
        warnings.append(f"top-k skipped for k = {too_large}: the recognizer has only {len(model_labels)} labels")
    for k in [k for k in ks if k <= len(model_labels)]:
        top = ranked[:, :k]
        # Only labels the model gives some probability count as among its top k (a one-hot has a top-1 only).
        hits = (np.take_along_axis(tied, top, axis=1) & (np.take_along_axis(q, top, axis=1) > 0)).any(axis=1)
        columns[f"top{k}_accuracy"] = hits.astype(float)
    columns.update(
        soft_accuracy=soft,
        cross_entropy=cross_entropy,
        kl_divergence=kl,
        js_divergence=js,
        crowd_entropy=crowd_entropy,
    )
    matrix = np.column_stack(list(columns.values()))
    low, high = _bootstrap_means(matrix, n_boot=n_boot, confidence=confidence, seed=seed)
    rows = [
        {"metric": name, "value": float(matrix[:, j].mean()), "ci_low": low[j], "ci_high": high[j], "n": n}
        for j, name in enumerate(columns)
    ]
    untied_n = int(untied.sum())
    if untied_n:
        a_low, a_high = _bootstrap_means(
            correct[untied, None].astype(float), n_boot=n_boot, confidence=confidence, seed=seed
        )
        rows.insert(
            1,
            {
                "metric": "accuracy_untied",
                "value": float(correct[untied].mean()),
                "ci_low": a_low[0],
                "ci_high": a_high[0],
                "n": untied_n,
            },
        )
    if n - untied_n:
        warnings.append(f"{n - untied_n} of {n} items have tied plurality labels; any tied label counts as correct")
    metrics = pd.DataFrame(rows)

    label_rows = []
    for index, label in enumerate(labels):
        members = untied & tied[:, index]
        hits = int(np.sum(members & (predicted_index == index)))
        total = int(members.sum())
        low_r, high_r = wilson_interval(hits, total, confidence=confidence)
        label_rows.append(
            {
                "label": label,
                "recall": hits / total if total else math.nan,
                "ci_low": low_r,
                "ci_high": high_r,
                "n_items": total,
                "n_predicted": int(np.sum(predicted_index == index)),
                "model_can_output": label in model_labels,
            }
        )
    per_label = pd.DataFrame(label_rows)
    no_items = per_label.loc[per_label["n_items"] == 0, "label"].tolist()
    if no_items:
        warnings.append(f"no untied item has plurality label {', '.join(no_items)}: recall undefined (NaN)")

    per_item = pd.DataFrame(
        {
            "majority": [TIE_SEPARATOR.join(group) for group in majority_sets],
            "n_tied": tied.sum(axis=1),
            "predicted": np.asarray(labels, dtype=object)[predicted_index],
            "correct": correct,
            **{name: values for name, values in columns.items() if name.startswith("top")},
            "soft_accuracy": soft,
            "cross_entropy": cross_entropy,
            "kl_divergence": kl,
            "js_divergence": js,
            "crowd_entropy": crowd_entropy,
        },
        index=common,
    )
    return LabelAgreementResult(
        metrics=metrics,
        per_label=per_label,
        per_item=per_item,
        labels=labels,
        model_labels=model_labels,
        crowd_labels=crowd_labels,
        missing_from_model=missing_from_model,
        epsilon=epsilon,
        base=log_base,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        warnings=warnings,
    )
