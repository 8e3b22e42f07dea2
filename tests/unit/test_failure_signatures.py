"""Failure signatures: the maths of per-emotion spread, valence–arousal coverage and controllability against
direct numpy/scipy computations; the verdicts; the family selection; the metrics on the conformance kit."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import pdist

from emoeval.errors import SampleInputError
from emoeval.functional.affect_space import VA_ANCHORS, coverage, empty_regions, grid_cells, valence_arousal
from emoeval.functional.control import controllability, violation_steps
from emoeval.functional.spread import matched_vendi, mean_pairwise_distance, vendi_score, within_group_distance
from emoeval.signatures import SignatureRule, judge, signature_verdicts

RNG = np.random.default_rng(7)


# -- spread -----------------------------------------------------------------------------------------------------------


def test_mean_pairwise_distance_is_scipys_pdist_mean():
    x = RNG.normal(size=(23, 5))
    assert mean_pairwise_distance(x) == pytest.approx(pdist(x).mean(), rel=1e-12)
    assert mean_pairwise_distance(np.repeat(x[:1], 4, axis=0)) == 0.0  # one output repeated: exactly none
    assert math.isnan(mean_pairwise_distance(x[:1]))


def test_weights_count_copies_of_one_row_as_that_row_never_as_a_pair():
    x = RNG.normal(size=(6, 3))
    weights = np.array([1, 3, 0, 2, 1, 1])
    # direct: every ordered pair of *distinct rows*, weighted by their counts
    num = den = 0.0
    for i, j in itertools.permutations(range(6), 2):
        num += weights[i] * weights[j] * np.linalg.norm(x[i] - x[j])
        den += weights[i] * weights[j]
    assert mean_pairwise_distance(x, weights) == pytest.approx(num / den, rel=1e-12)


def _vendi_direct(rows: np.ndarray) -> float:
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    eigenvalues = np.linalg.eigvalsh(unit @ unit.T / len(rows))
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-(eigenvalues * np.log(eigenvalues)).sum()))


def test_vendi_score_is_friedman_and_diengs_formula_and_weights_equal_repeated_rows():
    x = RNG.normal(size=(12, 6))
    assert vendi_score(x) == pytest.approx(_vendi_direct(x), rel=1e-10)
    weights = np.array([1, 2, 1, 3, 1, 1, 1, 1, 2, 1, 1, 1])
    assert vendi_score(x, weights) == pytest.approx(_vendi_direct(np.repeat(x, weights, axis=0)), rel=1e-10)
    assert vendi_score(np.eye(4)) == pytest.approx(4.0)
    assert vendi_score(np.tile([[1.0, 2.0]], (9, 1))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="zero vector"):
        vendi_score(np.zeros((2, 3)))


def test_matched_vendi_averages_seeded_subsets_of_the_systems_size():
    reference = RNG.normal(size=(30, 4))
    rng = np.random.default_rng(0)
    direct = np.mean([_vendi_direct(reference[rng.choice(30, 8, replace=False)]) for _ in range(10)])
    assert matched_vendi(reference, 8, seed=0) == pytest.approx(direct, rel=1e-10)
    assert matched_vendi(reference, 40) == pytest.approx(_vendi_direct(reference))


def test_within_group_distance_averages_the_groups_with_two_outputs_or_more():
    x = RNG.normal(size=(7, 2))
    groups = ["a", "a", "a", "b", "b", "c", None]
    value, n = within_group_distance(x, groups)
    assert n == 2
    assert value == pytest.approx(np.mean([pdist(x[:3]).mean(), pdist(x[3:5]).mean()]))
    assert within_group_distance(x, [None] * 7) == (pytest.approx(math.nan, nan_ok=True), 0)


# -- valence-arousal --------------------------------------------------------------------------------------------------


def test_valence_arousal_is_the_probability_weighted_mean_anchor_over_anchored_labels():
    labels = ["angry", "happy", "contempt", "sad"]
    p = np.array([0.2, 0.5, 0.1, 0.2])
    anchors = np.array([VA_ANCHORS[label] for label in ("angry", "happy", "sad")])
    weights = np.array([0.2, 0.5, 0.2]) / 0.9  # contempt has no anchor: left out, the rest renormalised
    assert valence_arousal(p, labels) == pytest.approx(tuple(weights @ anchors), abs=1e-12)
    with pytest.raises(SampleInputError, match="contempt"):
        valence_arousal([0.1, 0.1, 0.7, 0.1], labels)


def test_coverage_counts_the_reference_cells_the_system_reaches():
    reference = RNG.uniform(-1, 1, size=(200, 2))
    system = RNG.uniform(-0.2, 1, size=(40, 2))
    bins = 6
    cell = lambda p: (min(int((p[0] + 1) / 2 * bins), bins - 1), min(int((p[1] + 1) / 2 * bins), bins - 1))  # noqa: E731
    region = {cell(p) for p in reference}
    reached = {cell(p) for p in system}
    result = coverage(system, reference, bins=bins)
    assert result.share == pytest.approx(len(region & reached) / len(region))
    assert len(result.empty) == len(region - reached)
    assert grid_cells(np.array([[1.0, 1.0]]), bins).tolist() == [[bins - 1, bins - 1]]
    assert coverage(reference, reference, bins=bins).share == 1.0
    collapsed = coverage(np.tile([[0.81, 0.51]], (40, 1)), reference, bins=bins)
    assert collapsed.share == pytest.approx(1 / len(region))
    assert len(empty_regions(collapsed)) == len(region) - 1


# -- controllability --------------------------------------------------------------------------------------------------


def test_controllability_equals_scipy_and_its_interval_resamples_sources():
    levels = np.tile([1.0, 2.0, 3.0, 4.0], 15)
    sources = np.repeat([f"s{i}" for i in range(15)], 4)
    measured = 0.2 * levels + RNG.normal(scale=0.3, size=levels.size) + np.repeat(RNG.normal(size=15), 4)
    result = controllability(levels, measured, list(sources), n_resamples=400, seed=1)
    assert result.spearman == pytest.approx(stats.spearmanr(levels, measured).statistic)
    assert result.kendall == pytest.approx(stats.kendalltau(levels, measured).statistic)
    assert result.spearman_ci[0] < result.spearman < result.spearman_ci[1]
    assert result.levels == (1.0, 2.0, 3.0, 4.0)
    assert result.curve == pytest.approx([measured[levels == v].mean() for v in (1, 2, 3, 4)])
    # the violation rate: steps up in level within a source where the measured value goes down
    direct = sum(
        b < a
        for s in range(15)
        for a, b in itertools.pairwise(measured[sources == f"s{s}"][np.argsort(levels[sources == f"s{s}"])])
    )
    assert result.violation_rate == pytest.approx(direct / 45)


def test_a_knob_that_does_nothing_scores_about_zero():
    levels = np.tile([1.0, 2.0, 3.0], 100)
    measured = RNG.normal(size=levels.size)  # independent of the request
    result = controllability(levels, measured, n_resamples=500, seed=0)
    assert abs(result.spearman) < 0.12
    assert result.spearman_ci[0] < 0 < result.spearman_ci[1]
    assert 0.3 < result.violation_rate < 0.7 or result.steps == 2  # the curve's two steps: noise either way
    constant = controllability(np.ones(10), RNG.normal(size=10), n_resamples=10)
    assert math.isnan(constant.spearman) and "same intensity" in constant.note
    dead = controllability(levels[:30], np.full(30, 0.4), n_resamples=10)  # the output never changes
    assert (dead.spearman, dead.kendall, dead.spearman_ci) == (0.0, 0.0, (0.0, 0.0))
    assert "changes nothing" in dead.note


def test_violation_steps_fall_back_to_the_control_curve_without_sources():
    assert violation_steps(np.array([1, 2, 3, 3]), np.array([0.5, 0.4, 0.9, 0.7]), None) == (1, 2, False)


# -- verdicts ---------------------------------------------------------------------------------------------------------


def test_judge_reads_the_value_and_its_interval():
    below = SignatureRule("x", "m", "s", "ratio", "below", 0.5)
    above = SignatureRule("x", "m", "s", "rate", "above", 0.2)
    assert judge(0.3, 0.2, 0.45, below) == "flagged"
    assert judge(0.3, 0.2, math.nan, below) == "possible"  # no interval: never more than possible
    assert judge(0.3, 0.1, 0.6, below) == "possible"
    assert judge(0.7, 0.4, 0.9, below) == "not seen"
    assert judge(math.nan, math.nan, math.nan, below) == "not measured"
    assert judge(0.5, 0.1, 0.7, above) == "possible"
    assert judge(0.5, 0.25, 0.7, above) == "flagged"
    assert judge(0.1, 0.05, 0.3, above) == "not seen"


def test_signature_verdicts_read_each_systems_overall_row():
    rows = [
        ("a", None, "face_emotion_diversity", "vendi_ratio", 0.1, 0.05, 0.2),
        ("a", "happy", "face_emotion_diversity", "vendi_ratio", 0.9, 0.8, 1.0),  # per emotion: not the verdict's
        ("b", None, "face_emotion_diversity(embedder=dlib-face-identity)", "vendi_ratio", 0.95, 0.8, 1.1),
        ("b", None, "face_emotion_intensity", "intensity", 0.25, 0.2, 0.35),
    ]
    table = pd.DataFrame(
        rows, columns=["system", "target_emotion", "metric", "sub_metric", "value", "ci_low", "ci_high"]
    ).assign(scope="system", n=10)
    found = {(v.system, v.rule.signature): v for v in signature_verdicts(table)}
    assert found["a", "mode collapse"].verdict == "flagged"
    assert found["a", "mode collapse"].text == "mode collapse: Vendi ratio 0.10 [0.05, 0.20]"
    assert found["b", "mode collapse"].verdict == "not seen"
    assert found["b", "lost intensity"].verdict == "possible"
    assert ("b", "poor controllability") not in found  # no control_spearman row: no verdict


# -- family selection and the runner ----------------------------------------------------------------------------------


def test_the_failure_signatures_family_selects_its_members_for_the_samples(demo_dir: Path):
    from emoeval.api import resolve_metrics
    from emoeval.samples import read_manifest

    faces = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "face"]
    names = {m.spec.name for m in resolve_metrics(["failure_signatures"], faces, real_system="real_smile")}
    assert names == {"face_emotion_diversity", "face_emotion_intensity", "face_affect_coverage", "face_sharpness"}
    # without a reference set, the members that need one are left out (not an error)
    assert {m.spec.name for m in resolve_metrics(["failure_signatures"], faces)} == {"face_emotion_intensity"}
    # and none of them runs by default
    assert not {"face_emotion_diversity", "face_emotion_intensity"} & {
        m.spec.name for m in resolve_metrics(None, faces, real_system="real_smile")
    }


def test_controllability_values_join_requested_and_measured_by_sample():
    from emoeval.metrics.intensity import controllability_values
    from emoeval.stats.aggregate import BootstrapSettings

    levels = [1.0, 2.0, 3.0] * 4
    measured = [0.1, 0.3, 0.2, 0.2, 0.4, 0.6, 0.1, 0.5, 0.9, 0.3, 0.2, 0.7]
    rows = []
    for i, (level, value) in enumerate(zip(levels, measured, strict=True)):
        common = {"sample_id": f"s{i}", "group": f"g{i // 3}", "target_emotion": "happy", "label": None, "error": None}
        rows += [{**common, "sub_metric": "intensity", "value": value}]
        rows += [{**common, "sub_metric": "requested_intensity", "value": level}]
    values = controllability_values(pd.DataFrame(rows), "intensity", BootstrapSettings(n_resamples=200))
    by_name = {(v.sub_metric, v.label): v for v in values if v.target_emotion is None}
    assert by_name["control_spearman", None].value == pytest.approx(stats.spearmanr(levels, measured).statistic)
    assert by_name["control_violation_rate", None].value == pytest.approx(2 / 8)  # g0, g3: one step down each
    assert by_name["control_curve", "2"].value == pytest.approx(np.mean([0.3, 0.4, 0.5, 0.2]))


# -- the metrics on the conformance kit ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


@pytest.mark.parametrize(
    ("name", "modality", "params", "alternatives"),
    [
        ("face_emotion_diversity", "face", {"real_system": "real_smile", "nearest_k": 2}, {"collapse_below": 0.3}),
        ("face_emotion_intensity", "face", {}, {"embedder": "dlib-face-identity"}),
        ("face_affect_coverage", "face", {"real_system": "real_smile"}, {"bins": 4}),
        ("text_emotion_diversity", "text", {"real_system": "varied_responder", "nearest_k": 1}, {"seed": 3}),
        ("text_emotion_intensity", "text", {}, {"control_output": "lexicon_intensity"}),
        ("text_affect_coverage", "text", {"real_system": "varied_responder"}, {"bins": 4}),
    ],
)
def test_the_new_metrics_pass_check_metric(name, modality, params, alternatives, demo_dir, pool):
    from emoeval.registry import get_metric_class
    from emoeval.samples import read_manifest
    from emoeval.testing import check_metric

    if modality == "face":
        pytest.importorskip("dlib", reason="the face identity embedder")
    samples = sorted(
        (s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == modality), key=lambda s: s.system
    )
    if "real_system" in params:  # the kit's broken sample copies the first one: a generated sample
        samples = sorted(samples, key=lambda s: s.system == params["real_system"])
    report = check_metric(get_metric_class(name), samples, params=params, alternatives=alternatives, model_pool=pool)
    assert not report.failures


# -- the report panel ---------------------------------------------------------------------------------------------


def test_the_report_shows_verdicts_plots_and_links_to_the_gallery(tmp_path, demo_dir, pool):
    pytest.importorskip("dlib", reason="the face identity embedder")
    import json
    import re

    import emoeval
    from emoeval.samples import read_manifest

    faces = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "face"]
    one = next(s for s in faces if s.system == "other_person_smile").reference  # a neutral photo
    # a generator that returns one neutral face whatever it is asked, at three requested intensity levels
    rows = [
        {"sample_id": f"same/{s.sample_id}", "system": "same_face", "modality": "face", "path": one,
         "target_emotion": "happy", "group": s.group, "intensity": 1 + i % 3}
        for i, s in enumerate(faces) if s.system == "real_smile"
    ] + [
        {"sample_id": s.sample_id, "system": s.system, "modality": "face", "path": s.path,
         "target_emotion": s.target_emotion, "group": s.group}
        for s in faces
    ]  # fmt: skip
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    out = tmp_path / "run"
    emoeval.score(
        manifest, metrics=["failure_signatures"], real_system="real_smile", out=out, progress=False,
        use_cache=False, n_bootstrap=100, model_pool=pool,
    )  # fmt: skip
    written = emoeval.report(
        out, tmp_path / "report.html", per_cell=0, worst=6, worst_by="face_emotion_intensity/intensity"
    )
    page = written.html.read_text(encoding="utf-8")
    section = page[page.index('id="signatures"') : page.index("</section>", page.index('id="signatures"'))]
    assert "mode collapse: distance ratio 0.00" in section  # one face for everyone
    assert re.search(r'verdict-flagged">\s*<td data-value="same_face">', section)
    assert section.count("<svg") == 3  # the control curve, and one valence-arousal cloud per generated system
    assert "grey: real_smile" in section
    # "samples to look at" link to gallery cards that exist
    for signature in ("lost intensity", "poor controllability"):  # a neutral face whatever the requested level
        assert re.search(
            rf'verdict-flagged">\s*<td data-value="same_face">[^\n]*\n\s*<td data-value="{signature}">', section
        )
    anchors = re.findall(r'<a href="#(sample-[^"]+)">', section)
    assert len(anchors) == 3  # the three least intense outputs of the muted system
    for anchor in anchors:
        assert f'id="{anchor}"' in page
    twin = json.loads((tmp_path / "report.json").read_text())
    assert {row["verdict"]["verdict"] for row in twin["signatures"]} >= {"flagged", "not seen"}


def test_emoeval_metrics_names_the_family_and_that_it_is_not_run_by_default():
    from click.testing import CliRunner

    from emoeval.cli import main

    result = CliRunner().invoke(main, ["metrics", "text_emotion_intensity", "text_distinct_n"])
    assert result.exit_code == 0, result.output
    intensity, distinct = result.output.split("text_distinct_n  [")
    assert "family: failure_signatures (--metrics failure_signatures; not run by default)" in intensity
    assert "family:" not in distinct


def test_a_control_output_that_is_not_a_per_sample_output_is_refused_naming_the_allowed_ones():
    from emoeval.errors import RunConfigError
    from emoeval.metrics.face.intensity import FaceEmotionIntensity
    from emoeval.metrics.text.intensity import TextEmotionIntensity

    with pytest.raises(RunConfigError, match="displacement"):
        FaceEmotionIntensity(control_output="requested_intensity")
    with pytest.raises(RunConfigError, match="lexicon_intensity"):
        TextEmotionIntensity(control_output="displacement")
    assert TextEmotionIntensity(control_output="lexicon_intensity").control_output == "lexicon_intensity"
