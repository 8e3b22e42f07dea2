"""The plug-in author's kit: :func:`check_metric` runs the conformance checks every built-in metric passes.

Use it in a plug-in's own tests::

    from emoeval.testing import check_metric

    def test_my_metric_follows_the_contract(tmp_path):
        report = check_metric(MyMetric, samples, alternatives={"gamma": 3.0})
        print(report.summary())

It checks, on the ``samples`` given (a list of :class:`~emoeval.samples.Sample`, a DataFrame or a manifest):

1. **Spec and card** — a :class:`~emoeval.metric.MetricSpec` with a name, version, summary, citation, outputs with
   a range low < high and a headline of the right scope; a registered modality and input media types; a
   docstring card with the sections **Meaning.**, **Range and direction.**, **Needs.** and **Source.**.
2. **Parameters** — every ``__init__`` parameter is kept under its own name (``params()``), is JSON-able, and a
   model parameter's default has the role it declares.
3. **Outputs in range** — scored through :func:`emoeval.score`: every value lies in its output's declared range,
   and so does every interval.
4. **Determinism** — two runs without the cache give identical tables.
5. **Cache keys** — changing any parameter changes the metric's cache key (the value to change to comes from
   ``alternatives``, else is derived: ``not`` a bool, a number doubled or +1, another allowed model); a
   parameter no alternative is known for is reported, not silently passed.
6. **Bad input** — a sample whose output is missing (a file modality) or blank (a text modality) becomes an
   error row naming the problem, and the other samples are still scored.

Failures are collected and raised together as one :class:`AssertionError`; the returned
:class:`ConformanceReport` lists what was checked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.metric import Metric, Param
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import Sample

#: the sections every metric's docstring card has
CARD_SECTIONS: tuple[str, ...] = ("**Meaning.**", "**Range and direction.**", "**Needs.**", "**Source.**")


@dataclass
class ConformanceReport:
    """What :func:`check_metric` checked (``passed``), what it could not check and why (``skipped``)."""

    metric: str
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"check_metric({self.metric}): {len(self.passed)} passed, {len(self.skipped)} skipped"]
        lines += [f"  ok   {item}" for item in self.passed]
        lines += [f"  skip {item}" for item in self.skipped]
        lines += [f"  FAIL {item}" for item in self.failures]
        return "\n".join(lines)


def _alternative(parameter: Param, value: Any, alternatives: Mapping[str, Any]) -> tuple[bool, Any]:
    """(found, another valid value) for a parameter, to see the cache key change."""
    from emoeval.registry import models_with_role

    if parameter.name in alternatives:
        return True, alternatives[parameter.name]
    if parameter.role is not None:
        others = [name for name in models_with_role(parameter.role) if name != value]
        return (True, others[0]) if others else (False, None)
    if isinstance(value, bool):
        return True, not value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True, (value * 2 if value else value + 1)
    return False, None


def _card(metric_class: type[Metric]) -> str:
    from emoeval.metric import Metric

    return "\n".join(cls.__doc__ or "" for cls in metric_class.__mro__ if issubclass(cls, Metric))


def _bad_sample(sample: Sample, tmp: Path) -> Sample:
    from emoeval.samples import MULTIMODAL, OUTPUT, Part

    # a multimodal bundle has no `output` part: break its first part (by name) instead, in a group of its own
    name = OUTPUT if OUTPUT in sample.parts else sorted(sample.parts)[0]
    part = sample.parts[name]
    if isinstance(part.value, Path):
        value: Any = tmp / "check_metric_missing_file" / Path(part.value).name
    else:
        value = "\u200b "  # only invisible characters
    changes: dict[str, Any] = {} if sample.modality != MULTIMODAL else {"group": f"{sample.group}/check_metric_bad"}
    return sample.replace(
        sample_id=f"{sample.sample_id}/check_metric_bad",
        parts={**sample.parts, name: Part(part.media, value)},
        **changes,
    )


def check_metric(
    metric_class: type[Metric],
    samples: Sequence[Sample] | pd.DataFrame | str | Path,
    *,
    params: Mapping[str, Any] | None = None,
    alternatives: Mapping[str, Any] | None = None,
    score_options: Mapping[str, Any] | None = None,
    model_pool: ModelPool | None = None,
) -> ConformanceReport:
    """Run the conformance checks (see the module docstring) on ``metric_class`` built with ``params``.

    ``score_options`` go to :func:`emoeval.score` (e.g. ``real_system=`` for a distribution metric);
    ``model_pool`` shares loaded models between checks. Raises AssertionError listing every failure.
    """
    import tempfile

    import emoeval
    from emoeval.metric import CorpusMetric, Metric, MetricSpec, SampleMetric, jsonable_params
    from emoeval.registry import media_type_names, models_with_role
    from emoeval.runner.keys import metric_key
    from emoeval.samples import MULTIMODAL, bundle_samples, load_samples

    params = dict(params or {})
    alternatives = dict(alternatives or {})
    options = {"progress": False, "use_cache": False, "n_bootstrap": 200, **dict(score_options or {})}
    report = ConformanceReport(getattr(getattr(metric_class, "spec", None), "name", metric_class.__name__))

    def check(label: str, condition: bool, failure: str) -> None:
        (report.passed if condition else report.failures).append(label if condition else f"{label}: {failure}")

    # 1. spec and card
    spec = getattr(metric_class, "spec", None)
    if not isinstance(spec, MetricSpec):
        raise AssertionError(f"{metric_class.__name__}.spec is not a MetricSpec")
    check(
        "spec names a version, summary and citation", bool(spec.version and spec.summary and spec.citation), "missing"
    )
    bad_ranges = [o.name for o in spec.outputs if not o.range[0] < o.range[1]]
    check("every output's range has low < high", not bad_ranges, f"not for {bad_ranges}")
    scope_ok = issubclass(metric_class, SampleMetric) == (spec.scope == "sample") and (
        issubclass(metric_class, CorpusMetric) == (spec.scope == "corpus")
    )
    check("the class matches its scope", scope_ok, f"scope {spec.scope!r} on a {metric_class.__mro__[1].__name__}")
    check(
        "the headline output has a value per sample" if spec.scope == "sample" else "the headline is a corpus value",
        spec.headline.scope == "sample",
        f"headline {spec.headline.name!r} has scope {spec.headline.scope!r}",
    )
    registered = set(media_type_names())
    media = ({spec.modality} - {MULTIMODAL}) | {item.media for item in spec.all_inputs if item.media}
    check("modality and input media types are registered", media <= registered, f"unknown {sorted(media - registered)}")
    card = _card(metric_class)
    missing = [section for section in CARD_SECTIONS if section not in card]
    check("the docstring card has its sections", not missing, f"lacks {missing}")

    # 2. parameters
    metric = metric_class(**params)
    try:
        values = metric.params()
        json.dumps(jsonable_params(values))
        check("every parameter is kept and JSON-able", True, "")
    except Exception as exc:
        check("every parameter is kept and JSON-able", False, str(exc))
        raise AssertionError(report.summary()) from None
    for parameter in metric_class.parameters():
        if parameter.role is not None:
            allowed = models_with_role(parameter.role)
            check(
                f"model parameter {parameter.name} names a {parameter.role}",
                values[parameter.name] in allowed,
                f"{values[parameter.name]!r} not in {allowed}",
            )

    # 5. cache keys (before scoring: needs only the models' files)
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore, default_models_dir

    pool = model_pool or ModelPool(WeightStore(default_models_dir(), allow_network=False))
    base_key = metric_key(metric, pool)
    for parameter in metric_class.parameters():
        found, other = _alternative(parameter, values[parameter.name], alternatives)
        if not found:
            report.skipped.append(f"cache key vs {parameter.name}: no other value known (pass alternatives=)")
            continue
        try:
            changed = metric_class(**{**values, parameter.name: other})
            changed_key = metric_key(changed, pool)
        except Exception as exc:  # another model that is not installed, an invalid alternative
            report.skipped.append(f"cache key vs {parameter.name}={other!r}: cannot build it ({exc})")
            continue
        check(f"cache key changes with {parameter.name}", changed_key != base_key, "the key stayed the same")

    # 3, 4 and 6: scored through the runner
    sample_list = (
        load_samples(samples) if not isinstance(samples, Sequence) or isinstance(samples, str) else list(samples)
    )
    with tempfile.TemporaryDirectory() as scratch:
        # a bundle metric's bad sample is a bundle (modality "multimodal") with a broken part
        template = bundle_samples(sample_list)[0][0] if spec.modality == MULTIMODAL else sample_list[0]
        bad = _bad_sample(template, Path(scratch))
        first = emoeval.score([*sample_list, bad], metrics=[metric], model_pool=pool, **options).table
        second = emoeval.score([*sample_list, bad], metrics=[metric_class(**params)], model_pool=pool, **options).table
    volatile = ["run_id", "created_at"]
    try:
        import pandas as pd

        pd.testing.assert_frame_equal(first.drop(columns=volatile), second.drop(columns=volatile))
        check("two runs give identical tables", True, "")
    except AssertionError as exc:
        check("two runs give identical tables", False, str(exc).splitlines()[0])
    outside = []
    for row in first.itertuples():
        output = spec.output(row.sub_metric)
        low, high = output.range
        for column in ("value", "ci_low", "ci_high"):
            number = getattr(row, column)
            if isinstance(number, float) and not math.isnan(number) and not low <= number <= high:
                outside.append(f"{row.sub_metric} {column}={number:g} (system {row.system}, sample {row.sample_id})")
    check("values and intervals lie in their declared ranges", not outside, "; ".join(outside[:5]))
    bad_rows = first[first["sample_id"] == bad.sample_id]
    check(
        "a missing or blank output is an error row naming the problem",
        len(bad_rows) > 0 and bad_rows["error"].notna().all() and bad_rows["value"].isna().all(),
        f"got {bad_rows[['sub_metric', 'value', 'error']].to_dict('records')}",
    )
    scored = first[(first["scope"] == "sample") & (first["sample_id"] != bad.sample_id) & first["error"].isna()]
    if isinstance(metric, SampleMetric):
        check("the other samples are scored", len(scored) > 0, "no sample got a value")
    else:
        corpus = first[(first["scope"] == "system") & first["error"].isna()]
        check("the corpus values are computed", len(corpus) > 0, "no system value")
    if not isinstance(metric, Metric):  # pragma: no cover - guarded by the constructor above
        raise AssertionError("not a Metric")
    if report.failures:
        raise AssertionError(report.summary())
    return report


__all__ = ["CARD_SECTIONS", "ConformanceReport", "check_metric"]
