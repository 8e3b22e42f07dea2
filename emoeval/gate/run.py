"""run_gate: compare a candidate run with a baseline, output by output, and decide.

The steps (the statistics are in :mod:`emoeval.gate.decide`):

1. **Read both sides** (:func:`~emoeval.gate.baseline.load_baseline`: a results folder, a ``Results``, or a
   baseline file).
2. **Pair systems**: ``systems={"cand": "base"}`` forces the pairs; otherwise one system on each side pair up
   whatever their names, systems of the same name pair up, and when exactly one system is left unpaired on each
   side those two pair up as well (a note says so).
3. **Provenance**: for every gated metric, the metric version, the model weights' sha256 and the parameters
   must be the same on both sides (absolute paths among the parameters compare by their last component, since
   checkouts live in different places). Otherwise the policy's ``provenance = "refuse"`` raises
   :class:`~emoeval.gate.errors.ProvenanceError` naming each difference; ``"warn"`` adds warnings.
4. **Outputs**: the policy's ``outputs``, or the headline output of every metric both sides have; a baseline
   output the candidate lacks is a *missing metric*.
5. **Differences** per output and system pair (and per target emotion with ``per_emotion``): sample-level
   outputs pair samples by ``sample_id`` — or, when no sample id is shared, by ``group`` (per-group means) — and
   bootstrap the mean paired difference clustered by ``group``; system-level outputs (corpus metrics) compare
   the two corpus values with the runs' saved bootstrap draws.
6. **Tests and verdicts** at α = 1 − confidence, adjusted across every gated output (and emotion).
7. **Failures**: regressed outputs; inconclusive ones with ``fail_on_inconclusive``; missing metrics with
   ``fail_on_missing_metric``; a rise of a metric's per-sample error share beyond ``max_error_rate_increase``;
   fewer shared samples than the baseline has with ``fail_on_fewer_samples``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from emoeval.gate.errors import GateError, ProvenanceError
from emoeval.gate.policy import GatePolicy, load_policy, policy_from_mapping, split_output_key
from emoeval.gate.result import GateResult, OutputVerdict

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.gate.baseline import Baseline
    from emoeval.gate.decide import Difference

#: provenance fields that must agree for a gate to compare (the others are recorded)
CHECKED_PROVENANCE: tuple[str, ...] = ("metric_version", "model_sha256", "params")
#: at most this many worst samples are listed per verdict
WORST = 5


@dataclass(frozen=True)
class _Output:
    """One gated output: metric label, sub-metric, direction, headline or not, and where its values live."""

    metric: str
    sub_metric: str
    higher_is_better: bool
    headline: bool
    level: str  # "sample" (paired per-sample values) or "system" (system rows: corpus metrics, own summaries)

    @property
    def key(self) -> str:
        return f"{self.metric}/{self.sub_metric}"


@dataclass
class _Test:
    """One row of the test family before the correction: an output × system pair × emotion."""

    output: _Output
    system: str
    baseline_system: str
    emotion: str | None
    difference: Difference | None
    baseline_value: float
    candidate_value: float
    n_pairs: int
    n_baseline_units: int
    worst: tuple[str, ...]
    note: str
    margin: float = 0.0
    p_regressed: float = 1.0
    p_improved: float = 1.0
    p_equivalent: float = 1.0


# -- reading the two sides --------------------------------------------------------------------------------------------


def _as_policy(policy: GatePolicy | str | Path | Mapping[str, Any] | None) -> GatePolicy:
    if policy is None:
        return GatePolicy()
    if isinstance(policy, GatePolicy):
        return policy
    if isinstance(policy, Mapping):
        return policy_from_mapping(policy)
    return load_policy(policy)


def _load_side(source: Any, role: str) -> tuple[Baseline, dict[str, Any] | None]:
    """The side as a Baseline, and its run.json when it is a results run (for ``repeat``)."""
    from emoeval.gate.baseline import Baseline, load_baseline
    from emoeval.results import Results, load_results

    if isinstance(source, Baseline):
        return source, None
    if isinstance(source, Results):
        return load_baseline(source), dict(source.run or {})
    try:
        path = Path(source).expanduser()
    except TypeError:
        raise GateError(
            f"the {role} must be a results folder, a Results object or a baseline file, got {type(source).__name__}"
        ) from None
    if not path.exists():
        raise GateError(f"the {role} {path} does not exist (a results folder or a baseline .csv/.parquet file)")
    baseline = load_baseline(path)
    run = None
    if path.is_dir():
        run = load_results(path).run
    return baseline, run


def pair_systems(
    candidate: Baseline, baseline: Baseline, systems: Mapping[str, str] | Sequence[str] | None
) -> tuple[dict[str, str], list[str]]:
    """Candidate system → baseline system, and notes (see the module docstring for the rule)."""
    cand_names, base_names = candidate.system_names(), baseline.system_names()
    notes: list[str] = []
    if systems is not None:
        pairs = {name: name for name in systems} if not isinstance(systems, Mapping) else dict(systems)
        for cand, base in pairs.items():
            if cand not in cand_names:
                raise GateError(f"no system {cand!r} in the candidate; it has {', '.join(cand_names) or 'none'}")
            if base not in base_names:
                raise GateError(f"no system {base!r} in the baseline; it has {', '.join(base_names) or 'none'}")
        if not pairs:
            raise GateError("no system pair given; name them as CAND=BASE")
        return pairs, notes
    if len(cand_names) == 1 and len(base_names) == 1:
        pairs = {cand_names[0]: base_names[0]}
        if cand_names[0] != base_names[0]:
            notes.append(f"candidate system {cand_names[0]!r} compared with baseline system {base_names[0]!r}")
        return pairs, notes
    pairs = {name: name for name in cand_names if name in base_names}
    left_cand = [name for name in cand_names if name not in pairs]
    left_base = [name for name in base_names if name not in pairs.values()]
    if len(left_cand) == 1 and len(left_base) == 1:
        pairs[left_cand[0]] = left_base[0]
        notes.append(
            f"candidate system {left_cand[0]!r} compared with baseline system {left_base[0]!r} (the only ones "
            "without a namesake; pass systems= / --system CAND=BASE to choose)"
        )
    if not pairs:
        raise GateError(
            f"cannot pair systems: the candidate has {', '.join(cand_names) or 'none'}, the baseline "
            f"{', '.join(base_names) or 'none'}; choose with --system CAND=BASE (systems={{'cand': 'base'}})"
        )
    return dict(sorted(pairs.items())), notes


# -- provenance ---------------------------------------------------------------------------------------------------


def _normalised_params(text: str) -> Any:
    """Parameters for comparison: parsed JSON, absolute paths reduced to their last component."""
    try:
        params = json.loads(text) if text else {}
    except ValueError:
        return text

    def clean(value: Any) -> Any:
        if isinstance(value, str) and (PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute()):
            return PurePosixPath(value.replace("\\", "/")).name
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return clean(params)


def compare_provenance(
    candidate: Baseline, baseline: Baseline, metrics: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[str]]:
    """(rows of the comparison for gate.json, the differences that matter, notes) for ``metrics``."""
    rows: list[dict[str, Any]] = []
    differences: list[dict[str, str]] = []
    notes: list[str] = []
    for metric in metrics:
        cand, base = candidate.provenance.get(metric, {}), baseline.provenance.get(metric, {})
        for name in ("metric_version", "model", "model_sha256", "params", "emoeval_version", "config_hash"):
            c_value, b_value = str(cand.get(name, "") or ""), str(base.get(name, "") or "")
            if name == "params":
                same = _normalised_params(c_value) == _normalised_params(b_value)
            else:
                same = c_value == b_value
            rows.append({"metric": metric, "field": name, "candidate": c_value, "baseline": b_value, "same": same})
            if same or name not in CHECKED_PROVENANCE:
                continue
            if not c_value or not b_value:
                notes.append(f"{metric}: {name} unknown on one side; not compared")
                continue
            differences.append({"metric": metric, "field": name, "candidate": c_value, "baseline": b_value})
    return rows, differences, notes


def _difference_text(item: Mapping[str, str]) -> str:
    def short(text: str) -> str:
        return text if len(text) <= 40 else text[:16] + "…" + text[-16:]

    candidate, baseline = short(item["candidate"]), short(item["baseline"])
    return f"{item['metric']}: {item['field']} {candidate} (candidate) ≠ {baseline} (baseline)"


# -- outputs --------------------------------------------------------------------------------------------------------


def _catalog(side: Baseline) -> dict[tuple[str, str], _Output]:
    """Every gateable output of one side, by (metric, sub_metric)."""
    found: dict[tuple[str, str], _Output] = {}
    samples = side.samples
    scored = samples[~samples["error"].fillna(False).astype(bool)]
    for (metric, sub_metric), rows in scored.groupby(["metric", "sub_metric"], sort=True):
        direction = rows["higher_is_better"].dropna()
        if not len(direction):
            continue
        headline = bool(rows["headline"].fillna(False).astype(bool).any())
        found[(str(metric), str(sub_metric))] = _Output(
            str(metric), str(sub_metric), bool(direction.iloc[0]), headline, "sample"
        )
    systems = side.system_rows
    for (metric, sub_metric), rows in systems.groupby(["metric", "sub_metric"], sort=True):
        key = (str(metric), str(sub_metric))
        if key in found:
            continue
        direction = rows["higher_is_better"].dropna()
        if not len(direction):
            continue
        headline = bool(rows["headline"].fillna(False).astype(bool).any())
        found[key] = _Output(key[0], key[1], bool(direction.iloc[0]), headline, "system")
    return found


def _headlines(side: Baseline) -> dict[str, str]:
    """Metric label → its headline sub-metric, as the rows mark it (error rows included); a metric whose rows
    mark none (a table older than the ``headline`` column) falls back to its first sub-metric in sorted order."""
    heads: dict[str, str] = {}
    for frame in (side.samples, side.system_rows):
        marked = frame[frame["headline"].fillna(False).astype(bool)]
        for metric, sub_metric in zip(marked["metric"].astype(str), marked["sub_metric"].astype(str), strict=True):
            heads.setdefault(metric, sub_metric)
    for metric in side.metrics():
        if metric not in heads:
            subs = sorted(
                {
                    str(x)
                    for frame in (side.samples, side.system_rows)
                    for x in _rows(frame, metric=metric)["sub_metric"]
                }
            )
            if subs:
                heads[metric] = subs[0]
    return heads


def select_outputs(
    candidate: Baseline, baseline: Baseline, policy: GatePolicy
) -> tuple[list[_Output], list[str], list[str]]:
    """(outputs to gate, baseline output keys missing from the candidate, warnings)."""
    cand_catalog, base_catalog = _catalog(candidate), _catalog(baseline)
    cand_heads, base_heads = _headlines(candidate), _headlines(baseline)
    warnings: list[str] = []
    missing: list[str] = []
    wanted: list[tuple[str, str]] = []
    if policy.outputs:
        labels = frozenset(candidate.metrics()) | frozenset(baseline.metrics())
        for key in policy.outputs:
            metric, sub_metric = split_output_key(key, labels)
            if metric not in labels:
                import difflib

                close = difflib.get_close_matches(metric, sorted(labels), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise GateError(
                    f"policy output {key!r} names no metric of either side{hint}; metrics: {', '.join(sorted(labels))}"
                )
            if sub_metric is None:
                sub_metric = base_heads.get(metric) or cand_heads.get(metric)
            if sub_metric is None:
                raise GateError(f"policy output {key!r}: cannot tell the headline output of {metric!r}; name it")
            wanted.append((metric, sub_metric))
    else:
        wanted = sorted(base_heads.items())
        extra = sorted(set(cand_heads) - set(base_heads))
        if extra:
            warnings.append(f"not gated (not in the baseline): {', '.join(extra)}")
    outputs: list[_Output] = []
    for metric, sub_metric in dict.fromkeys(wanted):
        base_output, cand_output = base_catalog.get((metric, sub_metric)), cand_catalog.get((metric, sub_metric))
        if base_output is None:
            reason = "has no direction (higher_is_better) or no value" if (metric, sub_metric) in cand_catalog else ""
            text = f"{metric}/{sub_metric}: not in the baseline{' ' + reason if reason else ''}; not gated"
            warnings.append(text)
            continue
        if cand_output is None:
            missing.append(f"{metric}/{sub_metric}")
            continue
        if base_output.level != cand_output.level:
            warnings.append(f"{metric}/{sub_metric}: per-sample values on one side only; compared at system level")
            base_output = _Output(metric, sub_metric, base_output.higher_is_better, base_output.headline, "system")
        outputs.append(base_output)
    known_keys = {output.key for output in outputs} | {output.metric for output in outputs if output.headline}
    for key in policy.margins:
        if key not in known_keys:
            warnings.append(f"margin for {key!r} matches no gated output")
    return outputs, missing, warnings


# -- differences ----------------------------------------------------------------------------------------------------


def _rows(frame: pd.DataFrame, **equal: Any) -> pd.DataFrame:
    """The rows of ``frame`` whose columns equal the given values (a missing cell equals nothing)."""
    import numpy as np

    keep = np.ones(len(frame), dtype=bool)
    for column, value in equal.items():
        keep &= (frame[column] == value).fillna(False).to_numpy(dtype=bool)
    return frame[keep]


def _scored(frame: pd.DataFrame, output: _Output, system: str) -> pd.DataFrame:
    import numpy as np

    rows = _rows(frame, metric=output.metric, sub_metric=output.sub_metric, system=system)
    rows = rows[~rows["error"].fillna(False).astype(bool)]
    return rows[np.isfinite(rows["value"].to_numpy(dtype=float, na_value=np.nan))]


def _paired(cand: pd.DataFrame, base: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    """Pairs (columns unit, cluster, c, b, target_emotion), how they were paired, and the baseline's unit count."""
    import pandas as pd

    cand = cand.drop_duplicates("sample_id")
    base = base.drop_duplicates("sample_id")
    shared = sorted(set(cand["sample_id"].dropna().astype(str)) & set(base["sample_id"].dropna().astype(str)))
    if shared:
        c = cand.set_index(cand["sample_id"].astype(str))
        b = base.set_index(base["sample_id"].astype(str))
        pairs = pd.DataFrame(
            {
                "unit": shared,
                "cluster": [None if pd.isna(g) else str(g) for g in b.loc[shared, "group"]],
                "c": c.loc[shared, "value"].to_numpy(dtype=float),
                "b": b.loc[shared, "value"].to_numpy(dtype=float),
                "target_emotion": [None if pd.isna(e) else str(e) for e in b.loc[shared, "target_emotion"]],
            }
        )
        return pairs, "sample_id", int(base["sample_id"].nunique())
    c_groups, b_groups = cand.dropna(subset=["group"]), base.dropna(subset=["group"])
    c_means = c_groups.groupby(c_groups["group"].astype(str))["value"].mean()
    b_means = b_groups.groupby(b_groups["group"].astype(str))["value"].mean()
    groups = sorted(set(c_means.index) & set(b_means.index))
    emotion_of = b_groups.groupby(b_groups["group"].astype(str))["target_emotion"].first()
    pairs = pd.DataFrame(
        {
            "unit": groups,
            "cluster": groups,
            "c": c_means.loc[groups].to_numpy(dtype=float) if groups else [],
            "b": b_means.loc[groups].to_numpy(dtype=float) if groups else [],
            "target_emotion": [None if pd.isna(emotion_of.get(g)) else str(emotion_of.get(g)) for g in groups],
        }
    )
    return pairs, "group", int(b_means.size)


def _sample_test(
    output: _Output,
    pairs: pd.DataFrame,
    pairing: str,
    n_base_units: int,
    system: str,
    base_system: str,
    emotion: str | None,
    policy: GatePolicy,
) -> _Test:
    import numpy as np

    from emoeval.gate.decide import Difference, orientation, paired_bootstrap_draws

    sign = orientation(output.higher_is_better)
    n = len(pairs)
    if n == 0:
        note = "no shared samples or groups: nothing to compare"
        return _Test(output, system, base_system, emotion, None, math.nan, math.nan, 0, n_base_units, (), note)
    oriented = sign * (pairs["c"].to_numpy(dtype=float) - pairs["b"].to_numpy(dtype=float))
    clusters = pairs["cluster"].tolist()
    value = float(oriented.mean())
    n_clusters = len({c for c in clusters if c is not None}) + sum(c is None for c in clusters)
    method = f"paired by {pairing}" + (", clustered by group" if pairing == "sample_id" and n_clusters < n else "")
    note = ""
    if n_clusters < 2:
        difference = Difference(value, None, math.nan, n, method)
        note = f"only {n_clusters} {'group' if pairing == 'group' or n_clusters < n else 'pair'}: no interval"
    else:
        draws = paired_bootstrap_draws(
            oriented, clusters, n_bootstrap=policy.n_bootstrap, seed=policy.seed, expand_alpha=policy.alpha
        )
        difference = Difference(value, draws, math.nan, n, method)
    order = np.argsort(oriented, kind="mergesort")
    worst = tuple(str(pairs["unit"].iloc[i]) for i in order[:WORST] if oriented[i] < 0)
    return _Test(
        output,
        system,
        base_system,
        emotion,
        difference,
        float(pairs["b"].mean()),
        float(pairs["c"].mean()),
        n,
        n_base_units,
        worst,
        note,
    )


def _system_row(frame: pd.DataFrame, output: _Output, system: str, emotion: str | None) -> dict[str, Any] | None:
    rows = _rows(frame, metric=output.metric, sub_metric=output.sub_metric, system=system)
    rows = rows[rows["target_emotion"].isna()] if emotion is None else _rows(rows, target_emotion=emotion)
    rows = rows[rows["label"].isna()] if rows["label"].isna().any() else rows
    if not len(rows):
        return None
    return rows.iloc[0].to_dict()


def _system_emotions(frame: pd.DataFrame, output: _Output, system: str) -> set[str]:
    rows = _rows(frame, metric=output.metric, sub_metric=output.sub_metric, system=system)
    return {str(e) for e in rows["target_emotion"].dropna()}


def _system_test(
    output: _Output,
    cand_row: dict[str, Any] | None,
    base_row: dict[str, Any] | None,
    system: str,
    base_system: str,
    emotion: str | None,
    confidence: tuple[float, float],
) -> _Test:
    from emoeval.gate.decide import corpus_difference, orientation, se_from_interval
    from emoeval.runner.draws import CorpusDraws

    def value_of(row: dict[str, Any] | None) -> float:
        if row is None or bool(row.get("error")) is True:
            return math.nan
        value = row.get("value")
        return math.nan if value is None else float(value)

    c_value, b_value = value_of(cand_row), value_of(base_row)
    n_cand = _int(cand_row.get("n")) if cand_row else 0
    n_base = _int(base_row.get("n")) if base_row else 0
    if not (math.isfinite(c_value) and math.isfinite(b_value)):
        side = "candidate" if not math.isfinite(c_value) else "baseline"
        note = f"no {side} value (an error row, or no rows for this system/emotion)"
        return _Test(output, system, base_system, emotion, None, b_value, c_value, n_cand, n_base, (), note)

    def draws_of(row: dict[str, Any]) -> CorpusDraws | None:
        draws, kind = row.get("draws"), row.get("draws_kind")
        if draws is None or kind is None or _is_missing(kind):
            return None
        return CorpusDraws(kind=str(kind), value=value_of(row), draws=draws)

    assert cand_row is not None and base_row is not None
    fallback = (
        se_from_interval(_float(cand_row.get("ci_low")), _float(cand_row.get("ci_high")), confidence[0]),
        se_from_interval(_float(base_row.get("ci_low")), _float(base_row.get("ci_high")), confidence[1]),
    )
    difference = corpus_difference(
        (c_value, draws_of(cand_row)),
        (b_value, draws_of(base_row)),
        orient=orientation(output.higher_is_better),
        fallback_se=fallback,
        n=n_cand,
    )
    return _Test(
        output, system, base_system, emotion, difference, b_value, c_value, n_cand, n_base, (), difference.note
    )


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _float(value: Any) -> float:
    return math.nan if value is None or _is_missing(value) else float(value)


def _int(value: Any) -> int:
    return 0 if value is None or _is_missing(value) else int(value)


def _confidence(side: Baseline) -> float:
    bootstrap = (side.info or {}).get("bootstrap") or {}
    try:
        return float(bootstrap.get("confidence", 0.95))
    except (TypeError, ValueError):
        return 0.95


def _tests(
    candidate: Baseline, baseline: Baseline, outputs: list[_Output], pairs: Mapping[str, str], policy: GatePolicy
) -> tuple[list[_Test], list[str]]:
    """The tests of every output × system pair (× emotion), and the outputs a candidate system lacks although
    its baseline system has them."""
    tests: list[_Test] = []
    missing: list[str] = []
    confidence = (_confidence(candidate), _confidence(baseline))
    for output in outputs:
        for system, base_system in pairs.items():
            if output.level == "sample":
                cand_rows = _scored(candidate.samples, output, system)
                base_rows = _scored(baseline.samples, output, base_system)
                if not len(base_rows) and not len(cand_rows):
                    continue  # neither system has this output (e.g. a reference system)
                if len(base_rows) and not len(_rows(candidate.samples, metric=output.metric, system=system)):
                    missing.append(f"{output.key} [{system}]")  # not even error rows: never scored
                    continue
                pairs_frame, pairing, n_base = _paired(cand_rows, base_rows)
                tests.append(_sample_test(output, pairs_frame, pairing, n_base, system, base_system, None, policy))
                if policy.per_emotion:
                    emotions = sorted({e for e in pairs_frame["target_emotion"] if e is not None})
                    for emotion in emotions:
                        within = pairs_frame[pairs_frame["target_emotion"] == emotion].reset_index(drop=True)
                        n_base_e = len(_rows(base_rows, target_emotion=emotion))
                        tests.append(
                            _sample_test(output, within, pairing, n_base_e, system, base_system, emotion, policy)
                        )
            else:
                cand_row = _system_row(candidate.system_rows, output, system, None)
                base_row = _system_row(baseline.system_rows, output, base_system, None)
                if cand_row is None and base_row is None:
                    continue
                if cand_row is None:
                    missing.append(f"{output.key} [{system}]")
                    continue
                tests.append(_system_test(output, cand_row, base_row, system, base_system, None, confidence))
                if policy.per_emotion:
                    emotions = _system_emotions(candidate.system_rows, output, system) & _system_emotions(
                        baseline.system_rows, output, base_system
                    )
                    for emotion in sorted(emotions):
                        tests.append(
                            _system_test(
                                output,
                                _system_row(candidate.system_rows, output, system, emotion),
                                _system_row(baseline.system_rows, output, base_system, emotion),
                                system,
                                base_system,
                                emotion,
                                confidence,
                            )
                        )
    return tests, missing


# -- error rates ------------------------------------------------------------------------------------------------------


def error_rates(
    candidate: Baseline, baseline: Baseline, metrics: Sequence[str], pairs: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per gated metric and system pair: the share of samples with an error row on each side and its rise."""
    rows = []
    for metric in metrics:
        for system, base_system in pairs.items():
            shares = []
            for side, name in ((candidate, system), (baseline, base_system)):
                frame = _rows(side.samples, metric=metric, system=name)
                failed_rows = frame["error"].fillna(False).astype(bool)
                failed = int(frame.loc[failed_rows, "sample_id"].nunique())
                n = int(frame["sample_id"].nunique())
                if not (~failed_rows).any():
                    # a corpus metric has sample rows only for samples that failed: the scored ones are the
                    # n of its corpus row
                    n = failed + _corpus_n(side, metric, name)
                shares.append((failed, n))
            (c_err, c_n), (b_err, b_n) = shares
            if c_n == 0 and b_n == 0:
                continue
            c_share = c_err / c_n if c_n else math.nan
            b_share = b_err / b_n if b_n else math.nan
            rows.append(
                {
                    "metric": metric,
                    "system": system,
                    "baseline_system": base_system,
                    "candidate_errors": c_err,
                    "candidate_samples": c_n,
                    "baseline_errors": b_err,
                    "baseline_samples": b_n,
                    "candidate_share": c_share,
                    "baseline_share": b_share,
                    "rise": c_share - b_share if c_n and b_n else math.nan,
                }
            )
    return rows


def _corpus_n(side: Baseline, metric: str, system: str) -> int:
    rows = side.system_rows
    found = _rows(rows, metric=metric, system=system, statistic="corpus")
    found = found[found["target_emotion"].isna()]
    counts = [_int(value) for value in found["n"]]
    return max(counts, default=0)


# -- the gate -------------------------------------------------------------------------------------------------------


def run_gate(
    candidate: Any,
    baseline: Any,
    *,
    policy: GatePolicy | str | Path | Mapping[str, Any] | None = None,
    systems: Mapping[str, str] | Sequence[str] | None = None,
    label_set: str | None = None,
) -> GateResult:
    """Compare ``candidate`` with ``baseline`` under ``policy`` (default :func:`~emoeval.gate.policy.default_policy`)
    and return the verdicts.

    ``candidate``/``baseline``: a results folder, a :class:`~emoeval.results.Results`, or a baseline file
    (``.csv``/``.parquet``). ``policy``: a :class:`~emoeval.gate.policy.GatePolicy`, a TOML file, or a mapping of
    policy keys. ``systems``: ``{"cand_name": "base_name"}`` pairs, or names present on both sides (default: see
    :func:`pair_systems`). ``label_set``: the manifest's emotion label set, used only when ``policy.repeat > 1``
    re-scores the candidate.

    Raises :class:`~emoeval.gate.errors.GateError` (exit code 2 on the command line) for unreadable inputs, systems
    that do not pair, no shared metric, or — with ``provenance = "refuse"`` —
    :class:`~emoeval.gate.errors.ProvenanceError` for a baseline scored with other weights, metric versions or
    parameters.
    """
    from emoeval.gate.decide import adjust_pvalues, classify, minimum_detectable_effect, samples_needed

    policy = _as_policy(policy)
    cand, cand_run = _load_side(candidate, "candidate")
    base, _ = _load_side(baseline, "baseline")
    pairs, notes = pair_systems(cand, base, systems)
    outputs, missing, warnings = select_outputs(cand, base, policy)
    if not outputs:
        shared = sorted(set(cand.metrics()) & set(base.metrics()))
        detail = f"missing from the candidate: {', '.join(missing)}" if missing else ""
        raise GateError(
            "no metric output to gate: "
            + (
                detail
                or f"the candidate has {', '.join(cand.metrics()) or 'none'}, the baseline "
                f"{', '.join(base.metrics()) or 'none'}"
            )
            + ("" if shared else " (no shared metric)")
        )
    gated_metrics = sorted({output.metric for output in outputs})
    provenance_rows, differences, provenance_notes = compare_provenance(cand, base, gated_metrics)
    notes.extend(provenance_notes)
    if differences:
        listed = "; ".join(_difference_text(item) for item in differences)
        if policy.provenance == "refuse":
            raise ProvenanceError(
                f"the baseline was scored differently: {listed}. Re-score the baseline with the same models and "
                'metric versions (emoeval baseline save), or set provenance = "warn" in the policy',
                differences,
            )
        warnings.append(f'provenance differs (compared anyway, provenance = "warn"): {listed}')
    if any(row["field"] == "emoeval_version" and not row["same"] for row in provenance_rows):
        notes.append("the two sides were scored with different emoeval versions (metric versions agree)")

    tests, missing_here = _tests(cand, base, outputs, pairs, policy)
    missing.extend(missing_here)
    alpha = policy.alpha
    usable = [test for test in tests if test.difference is not None and test.difference.usable()]
    floor = alpha / (2 * max(1, len(usable)))
    for test in usable:
        assert test.difference is not None
        draws = test.difference.draws
        if draws is not None and 1.0 / (draws.size + 1) > floor:
            # bootstrap p-values cannot go below 1/(B + 1): with this few draws no correction could reject
            test.difference = test.difference.as_normal(
                f"{draws.size} draws are too few for bootstrap p-values of {len(usable)} tests: normal "
                "approximation with the draws' sd"
            )
            test.note = "; ".join(part for part in (test.note, test.difference.note) if part)
    for test in tests:
        spec = policy.margin_for(test.output.metric, test.output.sub_metric, headline=test.output.headline)
        test.margin = spec.resolve(test.baseline_value)
        if test.difference is not None and test.difference.usable():
            m = test.margin
            test.p_regressed = test.difference.p_at_least(-m)
            test.p_improved = test.difference.p_at_most(m)
            test.p_equivalent = max(test.difference.p_at_most(-m), test.difference.p_at_least(m))
        else:
            test.p_regressed = test.p_improved = test.p_equivalent = math.nan
    # the family: every test that could be run (an output with no usable difference tests nothing)
    tested = [i for i, t in enumerate(tests) if t.difference is not None and t.difference.usable()]
    adjusted_reg, adjusted_imp, adjusted_eq = ([math.nan] * len(tests) for _ in range(3))
    for adjusted, name in ((adjusted_reg, "p_regressed"), (adjusted_imp, "p_improved"), (adjusted_eq, "p_equivalent")):
        values = adjust_pvalues([getattr(tests[i], name) for i in tested], policy.correction)
        for i, value in zip(tested, values, strict=True):
            adjusted[i] = value

    verdicts: list[OutputVerdict] = []
    for test, a_reg, a_imp, a_eq in zip(tests, adjusted_reg, adjusted_imp, adjusted_eq, strict=True):
        verdict = classify(a_reg, a_imp, a_eq, alpha)
        decisive = {"regressed": a_reg, "improved": a_imp, "equivalent": a_eq}.get(verdict, a_reg)
        low = high = math.nan
        mde: float | None = None
        n_needed: int | None = None
        note_parts = [test.note] if test.note else []
        difference = test.difference
        if difference is not None and difference.usable():
            low, high = difference.interval(alpha)
            if verdict == "inconclusive":
                mde = minimum_detectable_effect(difference.spread, alpha)
                n_needed = samples_needed(test.n_pairs, mde, test.margin)
                if test.margin == 0:
                    note_parts.append("margin 0: 'equivalent' is impossible")
        verdicts.append(
            OutputVerdict(
                metric=test.output.metric,
                sub_metric=test.output.sub_metric,
                system=test.system,
                target_emotion=test.emotion,
                verdict=verdict,  # type: ignore[arg-type]
                difference=difference.value if difference is not None else math.nan,
                ci_low=low,
                ci_high=high,
                margin=test.margin,
                p_regressed=test.p_regressed,
                p_improved=test.p_improved,
                adjusted=decisive,
                n_pairs=test.n_pairs,
                baseline_value=test.baseline_value,
                candidate_value=test.candidate_value,
                mde=mde,
                n_needed=n_needed,
                note="; ".join(note_parts),
                worst_samples=test.worst,
                baseline_system=test.baseline_system,
                higher_is_better=test.output.higher_is_better,
                method=difference.method if difference is not None else "",
                p_equivalent=test.p_equivalent,
            )
        )

    failures: list[str] = []
    for verdict in verdicts:
        where = _where(verdict)
        if verdict.verdict == "regressed":
            failures.append(
                f"{verdict.output} regressed{where}: difference {verdict.difference:+.4g} (positive = better), "
                f"CI [{verdict.ci_low:+.4g}, {verdict.ci_high:+.4g}] beyond the margin −{verdict.margin:.4g}"
            )
        elif verdict.verdict == "inconclusive" and policy.fail_on_inconclusive:
            failures.append(f"{verdict.output} inconclusive{where} (fail_on_inconclusive)")
    for key in missing:
        text = f"{key}: in the baseline but missing from the candidate"
        (failures if policy.fail_on_missing_metric else warnings).append(text)
    rates = error_rates(cand, base, gated_metrics, pairs)
    for row in rates:
        rise = row["rise"]
        if math.isfinite(rise) and rise > policy.max_error_rate_increase + 1e-12:
            failures.append(
                f"{row['metric']} [{row['system']}]: error rows rose from {row['baseline_errors']}/"
                f"{row['baseline_samples']} to {row['candidate_errors']}/{row['candidate_samples']} samples "
                f"(+{rise:.1%}, tolerated {policy.max_error_rate_increase:.1%})"
            )
    for test in tests:
        if test.emotion is None and test.n_pairs < test.n_baseline_units:
            text = (
                f"{test.output.key} [{test.system}]: the candidate shares {test.n_pairs} of the baseline's "
                f"{test.n_baseline_units} {'samples' if test.output.level == 'sample' else 'corpus samples'}"
            )
            (failures if policy.fail_on_fewer_samples else warnings).append(text)

    result = GateResult(
        verdicts=verdicts,
        failures=failures,
        warnings=warnings,
        policy=policy,
        provenance=provenance_rows,
        systems=dict(pairs),
        candidate=cand.source,
        baseline=base.source,
        notes=notes,
        error_rates=rates,
    )
    if policy.repeat > 1:
        from emoeval.gate.repeat import repeat_spread

        if cand_run is None:
            raise GateError("repeat > 1 re-scores the candidate: give its results folder (not a baseline file)")
        spreads = repeat_spread(cand, cand_run, verdicts, runs=policy.repeat, label_set=label_set)
        result.repeat = spreads
        for spread in spreads:
            if not spread.deterministic:
                result.warnings.append(
                    f"{spread.metric}/{spread.sub_metric} [{spread.system}] is not deterministic: its value moved by "
                    f"{spread.spread:.4g} over {len(spread.values)} runs (largest per-sample change "
                    f"{spread.max_sample_spread:.4g})"
                )
    return result


def _where(verdict: OutputVerdict) -> str:
    parts = [verdict.system]
    if verdict.target_emotion is not None:
        parts.append(f"emotion {verdict.target_emotion}")
    return f" [{', '.join(parts)}]"


__all__ = ["CHECKED_PROVENANCE", "compare_provenance", "error_rates", "pair_systems", "run_gate", "select_outputs"]
