"""The augmentation study over samples: features from reference models, then the protocol of
:mod:`emoeval.functional.augmentation`, as rows of emoeval's long results table.

One real labelled set (``target_emotion`` = the emotion, a group column = speaker / identity), one or more
synthetic sets (each a system; ``target_emotion`` = the intended emotion; the same group column, when present,
names the real group a sample was generated from), and optionally other real corpora for cross-domain tests.

Metrics (the ``metric`` column; each row's ``params`` holds every setting, the label names those that differ
from their defaults):

==============================  ============================================================================
``augmentation_protocol``       TRTR (system = the real set), TSTR and TRTS (system = a synthetic set); the
                                ``label`` column names the protocol; sub-metrics accuracy, balanced_accuracy,
                                macro_f1, recall (per ``target_emotion``); mean over group-aware splits with a
                                percentile interval across splits
``augmentation_gain``           per (real_fraction, ratio): ``<score>_baseline`` (real only), ``_augmented``,
                                ``_gain`` (paired per split, interval across splits) and ``_gain_p_value``
                                (one-sided, Nadeau–Bengio corrected)
``augmentation_label_efficiency`` ``<score>_equivalent_fraction`` and ``<score>_worth`` per (fraction, ratio)
``augmentation_cross_domain``   per target corpus (``label``): ``<score>_source_only``, ``_augmented``,
                                ``_gain``, ``_gain_p_value``, ``_in_domain``, ``_gap``, ``_gap_closed``
``augmentation_fidelity``       per emotion: PRDC precision/recall/density/coverage, integrated α-precision,
                                β-recall, authenticity (no interval: resampling distorts k-NN statistics)
``augmentation_label_noise``    per intended emotion and overall: ``label_noise_rate`` (a recogniser fitted
                                on all real data disagrees with the intended label), Wilson interval
``augmentation_class_balance``  ``count`` and ``share`` per emotion, ``imbalance_ratio``, ``normalised_entropy``
``augmentation_memorisation``   system: ``share_flagged`` (any flag below; Wilson interval),
                                ``dcr_share_flagged``, ``median_dcr_ratio``, ``dcr_threshold``,
                                ``exact_duplicates``, ``near_duplicates`` (images: perceptual hash within
                                ``near_duplicate_bits``); sample rows: ``dcr`` with ``label`` ``near-copy`` /
                                ``exact-copy`` / ``perceptual-duplicate`` and the nearest real sample in
                                ``warning``; real sample rows: ``held_out_distance`` (the reference)
``augmentation_features``       per-sample error rows of samples that could not be featurised or labelled
==============================  ============================================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from emoeval.augmentation_rows import (
    CLASS_BALANCE,
    CROSS_DOMAIN,
    EFFICIENCY,
    FEATURES,
    FIDELITY,
    GAIN,
    HEADLINE_SCORE,
    LABEL_NOISE,
    MEMORISATION,
    PROTOCOL,
)
from emoeval.errors import RunConfigError

if TYPE_CHECKING:
    import numpy as np

    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

METRIC_VERSION = "1"


@dataclass(frozen=True)
class AugmentationSettings:
    """Every setting of a study (recorded in ``run.json`` and in each row's ``params``)."""

    features: tuple[str, ...]
    group_by: str = "group"
    learners: tuple[str, ...] = ("logistic",)
    real_fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    n_splits: int = 20
    test_size: float = 0.25
    n_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    memorisation_quantile: float = 0.05
    near_duplicate_bits: int = 8
    prdc_k: int = 5
    real_name: str = "real"

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}


@dataclass
class LabelledSet:
    """One set of samples after featurisation: features ``X`` of the usable samples, their ids, emotions,
    groups (None when the set has no group column) and inputs; ``errors`` for the samples left out."""

    name: str
    X: np.ndarray
    ids: list[str]
    labels: np.ndarray
    groups: np.ndarray | None
    samples: dict[str, Sample]
    errors: dict[str, str] = field(default_factory=dict)


def group_of(sample: Sample, group_by: str) -> str | None:
    """A sample's group under ``group_by``: ``group`` (the manifest's group column), ``sample_id`` (every item its
    own group: items are independent), ``system``, or any other manifest column (``speaker``)."""
    if group_by == "group":
        return sample.group
    if group_by == "sample_id":
        return sample.sample_id
    if group_by == "system":
        return sample.system
    value = sample.meta.get(group_by)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def featurise(
    context: ScoringContext,
    name: str,
    samples: Sequence[Sample],
    models: Sequence[str],
    group_by: str,
    *,
    require_groups: bool,
) -> LabelledSet:
    """Features, emotions and groups of a set; unlabelled or ungrouped samples and feature failures become
    ``errors`` (never silently dropped). With ``require_groups`` a set with no group at all is a
    :class:`RunConfigError` naming the column and the fix."""
    import numpy as np

    from emoeval.metrics.augmentation.features import extract_features

    errors: dict[str, str] = {}
    groups = {s.sample_id: group_of(s, group_by) for s in samples}
    if require_groups and samples and all(g is None for g in groups.values()):
        raise RunConfigError(
            f"the {name} set has no {group_by!r} values: give each sample its speaker/identity in a {group_by!r} "
            "column (group_by=<column>), or group_by='sample_id' if the items are independent"
        )
    usable: list[Sample] = []
    seen: set[str] = set()
    for sample in samples:
        if sample.sample_id in seen:
            raise RunConfigError(f"the {name} set lists sample {sample.sample_id!r} twice; sample ids must be unique")
        seen.add(sample.sample_id)
        if sample.target_emotion is None:
            errors[sample.sample_id] = f"{sample.sample_id}: no target_emotion (the emotion label) — add it"
        elif require_groups and groups[sample.sample_id] is None:
            errors[sample.sample_id] = f"{sample.sample_id}: no {group_by!r} value (speaker/identity) — add it"
        else:
            usable.append(sample)
    matrix = extract_features(context, models, usable)
    errors.update(matrix.errors)
    by_id = {s.sample_id: s for s in usable}
    labels = np.array([by_id[i].target_emotion for i in matrix.ids], dtype=object).astype(str)
    group_values = [groups[i] for i in matrix.ids]
    has_groups = bool(group_values) and all(g is not None for g in group_values)
    return LabelledSet(
        name=name,
        X=matrix.X,
        ids=list(matrix.ids),
        labels=labels,
        groups=np.array(group_values, dtype=object) if has_groups else None,
        samples={i: by_id[i] for i in matrix.ids},
        errors=errors,
    )


# -- rows --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricInfo:
    """What every row of one metric label carries: its name, label, params JSON and the model provenance."""

    name: str
    label: str
    params: str
    model: str
    model_sha256: str


def metric_info(
    name: str, params: Mapping[str, Any], defaults: Mapping[str, Any], model: str, model_sha256: str
) -> MetricInfo:
    """The metric label is ``name`` or ``name(k=v, ...)`` with the parameters that differ from ``defaults``
    (the convention of every emoeval metric label)."""
    differing = [f"{key}={_text(value)}" for key, value in params.items() if defaults.get(key) != value]
    label = f"{name}({', '.join(differing)})" if differing else name
    return MetricInfo(name, label, json.dumps(dict(params), sort_keys=True, ensure_ascii=False), model, model_sha256)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1 else str(value)
    return str(value)


def row(
    info: MetricInfo,
    system: str,
    sub_metric: str,
    value: float,
    *,
    scope: str = "system",
    statistic: str = "split_mean",
    ci: tuple[float, float] = (math.nan, math.nan),
    n: int | None = None,
    higher_is_better: bool | None = True,
    headline: bool = False,
    emotion: str | None = None,
    label: str | None = None,
    sample_id: str | None = None,
    group: str | None = None,
    error: str | None = None,
    warning: str | None = None,
) -> dict[str, Any]:
    """One results-table row (run-wide columns — run id, config hash, versions, time — are added later)."""
    return {
        "system": system,
        "scope": scope,
        "statistic": statistic,
        "sample_id": sample_id,
        "group": group,
        "target_emotion": emotion,
        "metric": info.label,
        "sub_metric": sub_metric,
        "value": float(value) if value is not None else math.nan,
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "n": n,
        "higher_is_better": higher_is_better,
        "headline": headline,
        "label": label,
        "error": error,
        "warning": warning,
        "metric_version": METRIC_VERSION,
        "params": info.params,
        "model": info.model,
        "model_sha256": info.model_sha256,
    }


# -- the study ---------------------------------------------------------------------------------------------------


@dataclass
class StudyOutput:
    """The rows of a study and what the run record keeps about its inputs."""

    rows: list[dict[str, Any]]
    sets: dict[str, LabelledSet]
    notes: list[str] = field(default_factory=list)


def run_study(
    context: ScoringContext,
    real: Sequence[Sample],
    synthetic: Mapping[str, Sequence[Sample]],
    settings: AugmentationSettings,
    *,
    cross_domain: Mapping[str, Sequence[Sample]] | None = None,
    provenance: tuple[str, str] = ("", ""),
    progress: Callable[[str], None] | None = None,
) -> StudyOutput:
    """Featurise every set, then run TRTR/TSTR/TRTS, gain curves, label efficiency, cross-domain tests,
    per-class fidelity, label noise, class balance and memorisation for each synthetic set."""
    from emoeval.functional import augmentation as aug

    say = progress or (lambda _message: None)
    s = settings
    features = "+".join(s.features)
    model, model_sha = provenance
    if s.real_name in synthetic:
        raise RunConfigError(f"a synthetic set is named {s.real_name!r}, the real set's name; rename one of them")
    say(f"features of the real set ({len(real)} samples)")
    real_set = featurise(context, s.real_name, real, s.features, s.group_by, require_groups=True)
    _check_real(real_set, s)
    sets = {s.real_name: real_set}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    feature_info = metric_info(FEATURES, {"features": features}, {}, model, model_sha)
    rows.extend(_error_rows(feature_info, real_set))
    classes = sorted(set(real_set.labels.tolist()))
    base = {"features": features}

    synth_sets: dict[str, LabelledSet] = {}
    for name, samples in synthetic.items():
        say(f"features of synthetic set {name!r} ({len(samples)} samples)")
        labelled = featurise(context, name, samples, s.features, s.group_by, require_groups=False)
        rows.extend(_error_rows(feature_info, labelled))
        unknown = sorted(set(labelled.labels.tolist()) - set(classes))
        if unknown:
            notes.append(
                f"{name}: emotions {unknown} are not in the real set; their samples train but are never tested"
            )
        synth_sets[name] = labelled
        sets[name] = labelled
    targets: dict[str, LabelledSet] = {}
    for name, samples in (cross_domain or {}).items():
        if name in sets:
            raise RunConfigError(f"the cross-domain corpus {name!r} has the name of another set; rename it")
        say(f"features of cross-domain corpus {name!r} ({len(samples)} samples)")
        labelled = featurise(context, name, samples, s.features, s.group_by, require_groups=True)
        rows.extend(_error_rows(feature_info, labelled))
        targets[name] = labelled
        sets[name] = labelled

    assert real_set.groups is not None
    trtr_done: set[str] = set()
    for learner in s.learners:
        protocol_info = metric_info(PROTOCOL, {**base, "learner": learner}, {"learner": "logistic"}, model, model_sha)
        for name, synth in synth_sets.items():
            if len(synth.ids) == 0:
                notes.append(f"{name}: no usable synthetic sample; nothing to evaluate")
                continue
            if len(set(synth.labels.tolist())) < 2:
                notes.append(f"{name}: fewer than two emotions; TSTR and gain curves need two or more")
                continue
            say(f"TRTR/TSTR/TRTS of {name!r} ({learner})")
            protocol_rows = aug.tstr(
                real_set.X,
                real_set.labels,
                real_set.groups,
                synth.X,
                synth.labels,
                groups_synth=synth.groups,
                learners=(learner,),
                n_splits=s.n_splits,
                test_size=s.test_size,
                seed=s.seed,
                confidence=s.confidence,
            )
            for one in protocol_rows:
                if one.protocol == "TRTR":
                    if learner in trtr_done:
                        continue
                    system = s.real_name
                else:
                    system = name
                rows.append(_protocol_row(protocol_info, system, one))
            trtr_done.add(learner)

            say(f"augmentation gain of {name!r} ({learner})")
            gain_rows, efficiency_rows = aug.augmentation_gain(
                real_set.X,
                real_set.labels,
                real_set.groups,
                synth.X,
                synth.labels,
                groups_synth=synth.groups,
                real_fractions=s.real_fractions,
                ratios=s.ratios,
                learner=learner,  # type: ignore[arg-type]
                n_splits=s.n_splits,
                test_size=s.test_size,
                seed=s.seed,
                confidence=s.confidence,
            )
            for one in gain_rows:
                info = _cell_info(GAIN, base, learner, one.real_fraction, one.ratio, model, model_sha)
                rows.extend(_gain_rows(info, name, one))
            for one in efficiency_rows:
                info = _cell_info(EFFICIENCY, base, learner, one.real_fraction, one.ratio, model, model_sha)
                rows.extend(_efficiency_rows(info, name, one))

            for target_name, target in targets.items():
                assert target.groups is not None
                say(f"cross-domain {s.real_name} → {target_name} with {name!r} ({learner})")
                cross_rows, dropped = aug.cross_domain(
                    real_set.X,
                    real_set.labels,
                    target.X,
                    target.labels,
                    target.groups,
                    synth.X,
                    synth.labels,
                    learner=learner,  # type: ignore[arg-type]
                    n_splits=s.n_splits,
                    test_size=s.test_size,
                    n_bootstrap=s.n_bootstrap,
                    seed=s.seed,
                    confidence=s.confidence,
                )
                if dropped:
                    notes.append(
                        f"{target_name}: {dropped} item(s) with emotions the {s.real_name} set lacks were left out "
                        "of the cross-domain test"
                    )
                info = metric_info(
                    CROSS_DOMAIN,
                    {**base, "learner": learner, "target": target_name},
                    {"learner": "logistic"},
                    model,
                    model_sha,
                )
                rows.extend(_cross_rows(info, name, target_name, cross_rows))

    for name, synth in synth_sets.items():
        if len(synth.ids) == 0:
            continue
        say(f"fidelity, label noise, balance and memorisation of {name!r}")
        rows.extend(
            _fidelity_rows(
                real_set,
                synth,
                s,
                metric_info(FIDELITY, {**base, "k": s.prdc_k}, {"k": 5}, model, model_sha),
                notes,
            )
        )
        noise_info = metric_info(
            LABEL_NOISE, {**base, "learner": s.learners[0]}, {"learner": "logistic"}, model, model_sha
        )
        rows.extend(_label_noise_rows(real_set, synth, s, noise_info))
        rows.extend(_balance_rows(synth, classes, metric_info(CLASS_BALANCE, base, {}, model, model_sha)))
    memo_info = metric_info(
        MEMORISATION,
        {**base, "quantile": s.memorisation_quantile, "near_duplicate_bits": s.near_duplicate_bits},
        {"quantile": 0.05, "near_duplicate_bits": 8},
        model,
        model_sha,
    )
    rows.extend(_memorisation_rows(context, real_set, synth_sets, s, memo_info))
    return StudyOutput(rows=rows, sets=sets, notes=notes)


def _check_real(real: LabelledSet, s: AugmentationSettings) -> None:
    """The real set must support group-aware splits: two emotions, two groups, and each emotion in training."""
    emotions = sorted(set(real.labels.tolist()))
    if len(emotions) < 2:
        raise RunConfigError(
            f"the real set needs at least two emotions with usable samples, got {emotions or 'none'}"
            + (f"; first error: {next(iter(real.errors.values()))}" if real.errors else "")
        )
    assert real.groups is not None or not real.ids
    if real.groups is None or len({str(g) for g in real.groups.tolist()}) < 2:
        raise RunConfigError(
            f"the real set needs samples of at least two {s.group_by!r} groups (speakers/identities) for "
            "group-aware splits"
        )


def _cell_info(
    name: str, base: Mapping[str, Any], learner: str, fraction: float, ratio: float, model: str, sha: str
) -> MetricInfo:
    return metric_info(
        name,
        {**base, "learner": learner, "real_fraction": float(fraction), "ratio": float(ratio)},
        {"learner": "logistic"},
        model,
        sha,
    )


def _error_rows(info: MetricInfo, labelled: LabelledSet) -> list[dict[str, Any]]:
    return [
        row(
            info,
            labelled.name,
            "features",
            math.nan,
            scope="sample",
            statistic="value",
            sample_id=sample_id,
            higher_is_better=None,
            error=message,
        )
        for sample_id, message in sorted(labelled.errors.items())
    ]


def _protocol_row(info: MetricInfo, system: str, one: Any) -> dict[str, Any]:
    return row(
        info,
        system,
        one.metric,
        one.value,
        ci=(one.ci_low, one.ci_high),
        n=one.n_splits,
        emotion=one.emotion,
        label=one.protocol,
        headline=one.metric == HEADLINE_SCORE and one.emotion is None,
        warning=f"{one.n_splits} group-aware splits; {one.n_train} train / {one.n_test} test items on average",
    )


def _gain_rows(info: MetricInfo, system: str, one: Any) -> list[dict[str, Any]]:
    score = one.metric
    common = {"n": one.n_splits, "emotion": one.emotion}
    sizes = f"{one.n_real_train} real + {one.n_synth_train} synthetic training items, {one.n_test} test items"
    return [
        row(info, system, f"{score}_baseline", one.baseline, **common),
        row(info, system, f"{score}_augmented", one.augmented, **common, warning=sizes),
        row(
            info,
            system,
            f"{score}_gain",
            one.gain,
            ci=(one.ci_low, one.ci_high),
            headline=score == HEADLINE_SCORE and one.emotion is None,
            **common,
        ),
        row(info, system, f"{score}_gain_p_value", one.p_value, higher_is_better=False, **common),
    ]


def _efficiency_rows(info: MetricInfo, system: str, one: Any) -> list[dict[str, Any]]:
    note = one.note or None
    return [
        row(info, system, f"{one.metric}_equivalent_fraction", one.equivalent_fraction, warning=note),
        row(
            info,
            system,
            f"{one.metric}_worth",
            one.worth,
            warning=note,
            headline=one.metric == HEADLINE_SCORE,
        ),
    ]


_CROSS_DIRECTION = {
    "source_only": True,
    "augmented": True,
    "gain": True,
    "in_domain": True,
    "gap": False,
    "gap_closed": True,
}


def _cross_rows(info: MetricInfo, system: str, target: str, found: Sequence[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for one in found:
        statistic = "split_mean" if one.quantity in ("in_domain", "gap") else "corpus"
        rows.append(
            row(
                info,
                system,
                f"{one.metric}_{one.quantity}",
                one.value,
                statistic=statistic,
                ci=(one.ci_low, one.ci_high),
                n=one.n_test,
                emotion=one.emotion,
                label=target,
                higher_is_better=_CROSS_DIRECTION[one.quantity],
                headline=one.quantity == "gap_closed" and one.metric == HEADLINE_SCORE and one.emotion is None,
            )
        )
        if one.quantity == "gain":
            rows.append(
                row(
                    info,
                    system,
                    f"{one.metric}_gain_p_value",
                    one.p_value,
                    statistic="corpus",
                    n=one.n_test,
                    emotion=one.emotion,
                    label=target,
                    higher_is_better=False,
                )
            )
    return rows


def _fidelity_rows(
    real: LabelledSet, synth: LabelledSet, s: AugmentationSettings, info: MetricInfo, notes: list[str]
) -> list[dict[str, Any]]:
    """Per-emotion fidelity rows. An emotion with ``prdc_k`` or fewer real samples has no k-NN radii to measure
    against: its rows are NaN with a warning (and a run note), except recall and coverage 0 when nothing of it was
    generated — a rare emotion in the real set must not stop the study, rare emotions being why data is generated."""
    import numpy as np

    from emoeval.functional.augmentation import FIDELITY_METRICS, per_class_fidelity

    emotions, counts = np.unique(real.labels, return_counts=True)
    rare = {str(e): int(n) for e, n in zip(emotions.tolist(), counts.tolist(), strict=True) if n <= s.prdc_k}
    measured = ~np.isin(real.labels, list(rare))
    found = (
        per_class_fidelity(real.X[measured], real.labels[measured], synth.X, synth.labels, k=s.prdc_k)
        if measured.any()
        else []
    )
    too_few = {}
    for emotion, n_real in rare.items():
        n_synth = int((synth.labels == emotion).sum())
        too_few[emotion] = f"{n_real} real samples of {emotion!r}; per-class fidelity needs more than k={s.prdc_k}"
        for metric in FIDELITY_METRICS:
            nothing = n_synth == 0 and metric in ("recall", "coverage")  # nothing generated: covers nothing
            found.append(
                {"emotion": emotion, "metric": metric, "value": 0.0 if nothing else math.nan, "n_synth": n_synth}
            )
    if rare:
        counts_text = ", ".join(f"{emotion} {n}" for emotion, n in rare.items())
        notes.append(
            f"{synth.name}: no per-class fidelity (NaN rows) for emotions with k={s.prdc_k} or fewer real samples "
            f"({counts_text})"
        )
    order = {metric: i for i, metric in enumerate(FIDELITY_METRICS)}
    found.sort(key=lambda one: (one["emotion"], order[one["metric"]]))
    return [
        row(
            info,
            synth.name,
            one["metric"],
            one["value"],
            statistic="corpus",
            n=one["n_synth"],
            emotion=one["emotion"],
            headline=one["metric"] == "coverage",
            warning="; ".join(
                part
                for part in (
                    too_few.get(one["emotion"]),
                    None if one["n_synth"] else f"no synthetic sample of {one['emotion']!r}: nothing generated",
                )
                if part
            )
            or None,
        )
        for one in found
    ]


def _label_noise_rows(
    real: LabelledSet, synth: LabelledSet, s: AugmentationSettings, info: MetricInfo
) -> list[dict[str, Any]]:
    import numpy as np

    from emoeval.functional.augmentation import fit_probe, label_noise
    from emoeval.stats.proportion import wilson_interval

    known = np.isin(synth.labels, real.labels)
    if not known.any():
        return []
    recogniser = fit_probe(real.X, real.labels, learner=s.learners[0], seed=s.seed)  # type: ignore[arg-type]
    predicted = recogniser.predict(synth.X[known])
    found = label_noise(synth.labels[known], predicted)
    rows = []
    for emotion, values in found.items():
        n = int(values["n"])
        wrong = round(values["rate"] * n)
        rows.append(
            row(
                info,
                synth.name,
                "label_noise_rate",
                values["rate"],
                statistic="corpus",
                ci=wilson_interval(wrong, n, confidence=s.confidence) if n else (math.nan, math.nan),
                n=n,
                emotion=emotion,
                higher_is_better=False,
                headline=emotion is None,
            )
        )
    return rows


def _balance_rows(synth: LabelledSet, classes: Sequence[str], info: MetricInfo) -> list[dict[str, Any]]:
    from emoeval.functional.augmentation import class_balance

    names = sorted(set(classes) | set(synth.labels.tolist()))
    found = class_balance(synth.labels, names)
    summary = found.pop("_imbalance")
    rows = []
    for emotion, values in found.items():
        rows.append(
            row(info, synth.name, "count", values["count"], statistic="corpus", emotion=emotion, higher_is_better=None)
        )
        rows.append(
            row(info, synth.name, "share", values["share"], statistic="corpus", emotion=emotion, higher_is_better=None)
        )
    rows.append(
        row(
            info,
            synth.name,
            "imbalance_ratio",
            summary["ratio"],
            statistic="corpus",
            n=len(synth.ids),
            higher_is_better=False,
        )
    )
    rows.append(
        row(
            info,
            synth.name,
            "normalised_entropy",
            summary["normalised_entropy"],
            statistic="corpus",
            n=len(synth.ids),
            headline=True,
        )
    )
    return rows


def _memorisation_rows(
    context: ScoringContext,
    real: LabelledSet,
    synth_sets: Mapping[str, LabelledSet],
    s: AugmentationSettings,
    info: MetricInfo,
) -> list[dict[str, Any]]:
    """DCR against the real set (or its ``split == "train"`` part), exact duplicates by content hash and, for
    images, near duplicates by perceptual hash."""
    import numpy as np

    from emoeval.functional.augmentation import distance_to_closest_record, flag_near_copies, held_out_distances
    from emoeval.stats.proportion import wilson_interval

    rows: list[dict[str, Any]] = []
    splits = [str(real.samples[i].meta.get("split", "")).strip().lower() for i in real.ids]
    known_split = {"train", "test"} <= set(splits)
    train_mask = np.array([value == "train" for value in splits]) if known_split else np.ones(len(real.ids), bool)
    train_ids = [i for i, keep in zip(real.ids, train_mask, strict=True) if keep]
    # the reference distances of fresh real data, computed once for every synthetic set
    if known_split:
        empty = np.zeros((0, real.X.shape[1]))
        reference = distance_to_closest_record(real.X[train_mask], real.X[~train_mask], empty).test_dcr
        reference_ids = [i for i, keep in zip(real.ids, train_mask, strict=True) if not keep]
    else:
        assert real.groups is not None
        reference = held_out_distances(real.X, real.groups, seed=s.seed)
        reference_ids = list(real.ids)
    for sample_id, distance in zip(reference_ids, reference, strict=True):
        rows.append(
            row(
                info,
                real.name,
                "held_out_distance",
                float(distance),
                scope="sample",
                statistic="value",
                sample_id=sample_id,
                group=group_of(real.samples[sample_id], s.group_by),
                emotion=real.samples[sample_id].target_emotion,
                higher_is_better=None,
            )
        )
    real_hashes = _content_hashes(real, train_ids)
    real_phash = _perceptual_hashes(real, train_ids, mirrored=True)
    for name, synth in synth_sets.items():
        if not synth.ids:
            continue
        found = flag_near_copies(reference, real.X[train_mask], synth.X, list(synth.ids), s.memorisation_quantile)
        exact = _exact(real_hashes, _content_hashes(synth, synth.ids))
        near = _near(real_phash, _perceptual_hashes(synth, synth.ids), s.near_duplicate_bits)
        flagged = 0
        for index, sample_id in enumerate(synth.ids):
            nearest = train_ids[int(found.nearest[index])]
            kind = (
                "exact-copy"
                if sample_id in exact
                else "near-copy"
                if bool(found.flagged[index])
                else "perceptual-duplicate"
                if sample_id in near
                else None
            )
            flagged += kind is not None
            detail = f"nearest real sample: {nearest}"
            if sample_id in exact:
                detail = f"same bytes as real sample(s) {', '.join(exact[sample_id][:3])}"
            elif sample_id in near and kind == "perceptual-duplicate":
                other, bits = near[sample_id][0]
                detail = f"perceptual hash {bits} bits from real sample {other}; {detail}"
            rows.append(
                row(
                    info,
                    name,
                    "dcr",
                    float(found.synth_dcr[index]),
                    scope="sample",
                    statistic="value",
                    sample_id=sample_id,
                    group=group_of(synth.samples[sample_id], s.group_by),
                    emotion=synth.samples[sample_id].target_emotion,
                    label=kind,
                    warning=detail,
                )
            )
        n = len(synth.ids)
        by_distance = int(found.flagged.sum())
        basis = "real test→train distances" if known_split else "held-out real distances"
        rows.extend(
            [
                row(
                    info,
                    name,
                    "share_flagged",
                    flagged / n,
                    statistic="corpus",
                    ci=wilson_interval(flagged, n, confidence=s.confidence),
                    n=n,
                    higher_is_better=False,
                    headline=True,
                    warning="exact copies, near-copies by DCR and perceptual duplicates (images), Wilson interval",
                ),
                row(
                    info,
                    name,
                    "dcr_share_flagged",
                    by_distance / n,
                    statistic="corpus",
                    ci=wilson_interval(by_distance, n, confidence=s.confidence),
                    n=n,
                    higher_is_better=False,
                    warning=f"DCR below the {s.memorisation_quantile:g} quantile ({found.threshold:.4g}) of {basis}",
                ),
                row(info, name, "median_dcr_ratio", found.median_ratio, statistic="corpus", n=n),
                row(info, name, "dcr_threshold", found.threshold, statistic="corpus", n=n, higher_is_better=None),
                row(info, name, "exact_duplicates", float(len(exact)), statistic="corpus", n=n, higher_is_better=False),
                row(
                    info,
                    name,
                    "near_duplicates",
                    float(len(near)) if real_phash is not None else math.nan,
                    statistic="corpus",
                    n=n,
                    higher_is_better=False,
                    warning=None if real_phash is not None else "perceptual hashes are computed for images only",
                ),
            ]
        )
    return rows


def _content_hashes(labelled: LabelledSet, ids: Sequence[str]) -> dict[str, str]:
    """sha256 of each sample's bytes (files) or text, through the same reader the models use."""
    from emoeval.context import content_key
    from emoeval.errors import SampleInputError
    from emoeval.metrics.augmentation.features import model_input

    hashes: dict[str, str] = {}
    for sample_id in ids:
        try:
            hashes[sample_id] = content_key(model_input(labelled.samples[sample_id]))[0]
        except SampleInputError:
            continue
    return hashes


def _perceptual_hashes(labelled: LabelledSet, ids: Sequence[str], *, mirrored: bool = False) -> dict[str, Any] | None:
    """Perceptual hashes (pHash) of image samples, None for other modalities. With ``mirrored`` the hashes of the
    left–right mirror images are added under ``"<id> (mirrored)"``: pHash is not flip-invariant, and a mirrored
    real photo is the cheapest near-copy there is."""
    from pathlib import Path

    from emoeval.errors import SampleInputError
    from emoeval.media.files import read_input_file
    from emoeval.media.image import perceptual_hash

    if not ids or any(labelled.samples[i].modality != "face" for i in ids):
        return None
    hashes: dict[str, Any] = {}
    for sample_id in ids:
        path = labelled.samples[sample_id].parts["output"].value
        if not isinstance(path, Path):
            continue
        try:
            _, data = read_input_file(path, "face")
            hashes[sample_id] = perceptual_hash(data, str(path))
            if mirrored:
                hashes[f"{sample_id} (mirrored)"] = perceptual_hash(data, str(path), mirrored=True)
        except SampleInputError:
            continue  # its features failed too: it is an error row already
    return hashes


def _exact(real: Mapping[str, str], synth: Mapping[str, str]) -> dict[str, list[str]]:
    from emoeval.functional.augmentation import exact_duplicates

    found = exact_duplicates(dict(real.items()), dict(synth.items()))
    return {str(key): [str(v) for v in value] for key, value in found.items()}


def _near(
    real: Mapping[str, Any] | None, synth: Mapping[str, Any] | None, bits: int
) -> dict[str, list[tuple[str, int]]]:
    if real is None or synth is None:
        return {}
    from emoeval.functional.image_hash import near_duplicates

    return {
        str(k): [(str(a), int(d)) for a, d in v] for k, v in near_duplicates(real, synth, max_distance=bits).items()
    }


__all__ = [
    "AugmentationSettings",
    "LabelledSet",
    "StudyOutput",
    "featurise",
    "group_of",
    "metric_info",
    "run_study",
]
