"""Multimodal emotion consistency: the maths against direct numpy/scipy/scikit-learn computations, the
not-scorable rule, the bundling of group-sharing samples, the planner, and the metric through the runner."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import confusion_matrix

from emoeval.functional.consistency import (
    agreement_rate,
    bundle_consistent,
    compare_pair,
    shared_vocabulary,
    target_agreement,
    to_vocabulary,
)
from emoeval.functional.emotion import confusion_counts
from emoeval.samples import MULTIMODAL, Part, Sample, bundle_samples, has_bundles

FER = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EMODB = ("angry", "boredom", "disgust", "fear", "happy", "neutral", "sad")


# -- maths ----------------------------------------------------------------------------------------------------------


def test_to_vocabulary_restricts_and_renormalises_like_a_direct_computation():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.dirichlet(np.ones(len(FER)))
        shared = shared_vocabulary(FER, EMODB)
        mapped, mass = to_vocabulary(p, FER, shared)
        direct = np.array([p[FER.index(label)] for label in shared])
        assert mass == pytest.approx(direct.sum())
        np.testing.assert_allclose(mapped, direct / direct.sum())
    assert shared == ("angry", "disgust", "fear", "happy", "sad", "neutral")


def test_pair_js_matches_scipy_on_the_shared_labels_and_agreement_is_the_top_label():
    rng = np.random.default_rng(1)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(len(FER))), rng.dirichlet(np.ones(len(EMODB)))
        pair = compare_pair(p, FER, q, EMODB, min_mass=0.0)
        shared = shared_vocabulary(FER, EMODB)
        pr = np.array([p[FER.index(x)] for x in shared])
        qr = np.array([q[EMODB.index(x)] for x in shared])
        top_p, top_q = FER[int(np.argmax(p))], EMODB[int(np.argmax(q))]
        if top_p not in shared or top_q not in shared:
            assert not pair.scorable and pair.agree is None and pair.js is None
            continue
        assert pair.scorable
        assert pair.js == pytest.approx(jensenshannon(pr / pr.sum(), qr / qr.sum(), base=2) ** 2, abs=1e-12)
        assert pair.agree == (top_p == top_q)


def test_labels_a_recognizer_cannot_produce_are_not_scorable_never_misses():
    surprised_face = np.array([0, 0, 0, 0.1, 0, 0.8, 0.1])  # FER's "surprise": no EmoDB-fitted probe says it
    happy_voice = np.array([0, 0, 0, 0, 0.9, 0.1, 0])
    pair = compare_pair(surprised_face, FER, happy_voice, EMODB)
    assert not pair.scorable and pair.agree is None and "surprise" in pair.reason
    assert agreement_rate([pair.agree, True]) == (1, 1)  # left out, not counted as a disagreement
    assert bundle_consistent([pair.agree]) is None
    # too little mass on the shared labels: not scorable even though the top label is shared
    spread = np.array([0.0, 0.0, 0.0, 0.3, 0.0, 0.25, 0.45])
    thin = compare_pair(spread, FER, np.array([0.3, 0.0, 0.0, 0.0, 0.0, 0.7]), ("happy", "a", "b", "c", "d", "e"))
    assert not thin.scorable
    # the target: FER cannot say boredom
    assert target_agreement(happy_voice, EMODB, "boredom") is False
    assert target_agreement(surprised_face, FER, "boredom") is None
    assert target_agreement(surprised_face, FER, "surprise") is True


def test_confusion_counts_matches_sklearn_and_its_trace_is_the_agreement():
    rng = np.random.default_rng(2)
    vocabulary = ["happy", "neutral", "sad"]
    a = [str(x) for x in rng.choice([*vocabulary, "fear"], 60)]
    b = [str(x) for x in rng.choice(vocabulary, 60)]
    a_with_gaps: list[str | None] = [None if i % 7 == 0 else x for i, x in enumerate(a)]
    ours = confusion_counts(a_with_gaps, b, vocabulary)
    keep = [i for i, x in enumerate(a_with_gaps) if x is not None]
    direct = confusion_matrix([a[i] for i in keep], [b[i] for i in keep], labels=vocabulary)
    np.testing.assert_array_equal(ours, direct)
    in_vocabulary = [i for i in keep if a[i] in vocabulary]
    assert np.trace(ours) == sum(a[i] == b[i] for i in in_vocabulary)


# -- bundles --------------------------------------------------------------------------------------------------------


def _rows(system: str, group: str, target: str = "happy") -> list[Sample]:
    return [
        Sample(f"{system}/{group}/f", system, "face", path=Path("f.png"), group=group, target_emotion=target),
        Sample(f"{system}/{group}/s", system, "speech", path=Path("s.wav"), group=group, target_emotion=target),
        Sample(f"{system}/{group}/t", system, "text", text="yay", group=group, target_emotion=target),
    ]


def test_samples_sharing_a_group_become_one_bundle_per_system():
    samples = _rows("a", "g1") + _rows("b", "g1") + _rows("a", "g2", target="sad")
    bundles, skipped = bundle_samples(samples)
    assert [b.sample_id for b in bundles] == ["a/g1", "b/g1", "a/g2"]
    first = bundles[0]
    assert first.modality == MULTIMODAL and first.system == "a" and first.group == "g1"
    assert {name: part.media for name, part in first.parts.items()} == {
        "face": "face",
        "speech": "speech",
        "text": "text",
    }
    assert first.meta["bundle_members"] == "a/g1/f,a/g1/s,a/g1/t"
    assert bundles[2].target_emotion == "sad" and skipped == {}


def test_a_multi_part_row_is_a_bundle_and_single_modality_groups_are_not():
    row = Sample(
        "r1",
        "sys",
        "face",
        path=Path("f.png"),
        reference=Path("identity.png"),  # an identity reference is not a modality of the bundle
        parts={"audio": Part("speech", Path("a.wav")), "reply": Part("text", "hello")},
    )
    outputs_of_one_source = [Sample(f"d{i}", "sys", "face", path=Path(f"{i}.png"), group="src") for i in range(3)]
    bundles, skipped = bundle_samples([row, *outputs_of_one_source])
    assert [b.sample_id for b in bundles] == ["r1"]
    assert sorted(bundles[0].parts) == ["audio", "face", "reply"]
    assert skipped == {"a single modality: not a multimodal bundle (group)": 3}
    assert has_bundles([row]) and not has_bundles(outputs_of_one_source)


def test_members_asking_for_different_emotions_give_a_bundle_without_target():
    face, voice, _ = _rows("a", "g")
    bundles, _ = bundle_samples([face, voice.replace(target_emotion="sad")])
    assert bundles[0].target_emotion is None and bundles[0].meta["target_conflict"] == "happy,sad"


def test_the_planner_leaves_ordinary_metrics_unchanged_and_gives_bundle_metrics_bundles():
    from emoeval.metrics.face.emotion import FaceEmotionAccuracy
    from emoeval.metrics.multimodal.consistency import MultimodalEmotionConsistency
    from emoeval.runner.plan import plan

    samples = _rows("a", "g1") + _rows("b", "g1") + [Sample("lone", "a", "face", path=Path("x.png"))]
    face_entry, bundle_entry = plan(samples, [FaceEmotionAccuracy(), MultimodalEmotionConsistency()])
    # the old rule: the samples of the metric's modality with its required inputs, by system
    old = {}
    for s in samples:
        if s.modality == "face" and s.target_emotion is not None:
            old.setdefault(s.system, []).append(s)
    assert face_entry.by_system == old
    assert {k: [s.sample_id for s in v] for k, v in bundle_entry.by_system.items()} == {"a": ["a/g1"], "b": ["b/g1"]}
    assert bundle_entry.skipped == {"a single modality: not a multimodal bundle (sample)": 1}


def test_the_family_selects_the_metric_only_when_bundles_exist():
    from emoeval.api import resolve_metrics

    with_bundles = [m.spec.name for m in resolve_metrics(["failure_signatures"], _rows("a", "g"))]
    faces_only = [m.spec.name for m in resolve_metrics(["failure_signatures"], _rows("a", "g")[:1])]
    assert "multimodal_emotion_consistency" in with_bundles
    assert "multimodal_emotion_consistency" not in faces_only


# -- the metric through the runner (real FER and zero-shot text recognizers, offline) -------------------------------


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


def _demo_bundles(demo_dir: Path) -> list[Sample]:
    """Face + reply groups from the demo faces (FER reads 001/002 smiles as happy, neutral photos as neutral)."""
    faces = demo_dir / "faces"
    happy_words = "I am so happy and delighted, this is wonderful news!"
    sad_words = "I feel so sad and lonely, I miss her terribly and cry every night."
    rows = []
    for i, identity in enumerate(("001", "002")):
        for system, words in (("matched", happy_words), ("mismatched", sad_words)):
            group = f"g{i}"
            rows.append(
                Sample(
                    f"{system}/{group}/face",
                    system,
                    "face",
                    path=faces / f"{identity}_happy.jpg",
                    group=group,
                    target_emotion="happy",
                )
            )
            rows.append(
                Sample(f"{system}/{group}/text", system, "text", text=words, group=group, target_emotion="happy")
            )
    return rows


def test_check_metric_conformance(demo_dir, pool):
    from emoeval.metrics.multimodal.consistency import MultimodalEmotionConsistency
    from emoeval.testing import check_metric

    report = check_metric(
        MultimodalEmotionConsistency, _demo_bundles(demo_dir), alternatives={"min_mass": 0.8}, model_pool=pool
    )
    assert not report.failures
    assert "cache key changes with min_mass" in report.passed


def test_matched_and_mismatched_bundles_separate_and_the_system_values_match_the_sample_rows(demo_dir, pool):
    import emoeval
    from emoeval.stats.proportion import wilson_interval

    samples = _demo_bundles(demo_dir)
    # a bundle with a voice but no emotion_reference for the speech probe: its speech is not scorable
    speech = demo_dir / "speech" / "13_Happy" / "source.wav"
    samples.append(
        Sample(
            "matched/g9",
            "matched",
            "face",
            path=demo_dir / "faces" / "001_happy.jpg",
            target_emotion="boredom",
            parts={"audio": Part("speech", speech), "reply": Part("text", "What a joy, I love it!")},
        )
    )
    table = emoeval.score(
        samples,
        metrics=["multimodal_emotion_consistency"],
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=200,
    ).table
    sample_rows = table[(table["scope"] == "sample") & table["error"].isna()]
    consistent = sample_rows[sample_rows["sub_metric"] == "consistent"].set_index("sample_id")
    matched = consistent[consistent.index.str.startswith("matched")]["value"]
    mismatched = consistent[consistent.index.str.startswith("mismatched")]["value"]
    assert matched.mean() > mismatched.mean()
    assert (mismatched == 0).all()
    # the g9 bundle: boredom is no label of FER nor of the text recognizer → no target agreement; speech noted
    g9 = sample_rows[sample_rows["sample_id"] == "matched/g9"]
    assert "target_agreement" not in set(g9["sub_metric"])
    assert "speech not scorable" in g9["warning"].iloc[0]
    # the system rate is the mean of the sample values; its Wilson interval recomputed directly
    system = table[(table["scope"] == "system") & (table["system"] == "mismatched")].set_index("sub_metric")
    values = consistent[consistent.index.str.startswith("mismatched")]["value"]
    assert system.loc["consistent", "value"] == pytest.approx(values.mean())
    low, high = wilson_interval(int(values.sum()), len(values))
    assert (system.loc["consistency_rate", "ci_low"], system.loc["consistency_rate", "ci_high"]) == pytest.approx(
        (low, high)
    )
    cells = table[(table["sub_metric"] == "confusion_face_text") & (table["system"] == "mismatched")]
    assert cells["value"].sum() == len(values) and not math.isnan(cells["value"].sum())
    assert cells.loc[(cells["target_emotion"] == "happy") & (cells["label"] == "sad"), "value"].item() == len(values)


def test_a_bundle_with_two_parts_of_one_modality_is_an_error_row(demo_dir, pool):
    import emoeval

    face = demo_dir / "faces" / "001_happy.jpg"
    bundle = Sample(
        "two", "s", "face", path=face, parts={"reply": Part("text", "great"), "caption": Part("text", "fine")}
    )
    table = emoeval.score(
        [bundle],
        metrics=["multimodal_emotion_consistency"],
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=0,
    ).table
    error = table[table["scope"] == "sample"]["error"].iloc[0]
    assert "2 text parts (caption, reply)" in error
