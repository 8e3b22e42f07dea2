"""Arousal/valence classes and the signal emotion metrics' own logic, without descriptor models: the circumplex
classes against emoeval's valence–arousal anchors, rating thresholds, P(high) against a direct computation,
reading labelled sets of recordings (emotions, arousal/valence words and ratings, subjects), the cross-validated
arousal/valence scores and the metric's system values against scikit-learn and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from statsmodels.stats.proportion import proportion_confint

from emoeval.errors import ManifestError, RunConfigError, SampleInputError
from emoeval.functional.affect_classes import (
    MIN_CLASSED_MASS,
    class_code,
    class_of,
    classes_of,
    high_probability,
    predicted_class,
    rating_class,
)
from emoeval.functional.affect_space import VA_ANCHORS
from emoeval.labels import CANONICAL_LABELS
from emoeval.metrics.signal.emotion import (
    SignalArousalValenceAccuracy,
    SignalEmotionAccuracy,
    intended_class,
)
from emoeval.reference_models.signal_emotion import affect_cross_validation, read_signal_reference
from emoeval.samples import Sample
from emoeval.stats.aggregate import BootstrapSettings

# -- classes ---------------------------------------------------------------------------------------------------


def test_emotion_classes_are_the_signs_of_the_valence_arousal_anchors():
    for label in CANONICAL_LABELS:
        anchor = VA_ANCHORS.get(label)
        if anchor is None or anchor == (0.0, 0.0):
            assert classes_of(label) == (None, None), label
            continue
        valence, arousal = anchor
        assert class_of(label, "arousal") == ("high" if arousal > 0 else "low"), label
        assert class_of(label, "valence") == ("high" if valence > 0 else "low"), label
    # the brief's circumplex: angry/fear high-arousal negative, happy high positive, sad/boredom low negative,
    # calm low positive, neutral none
    assert classes_of("angry") == classes_of("fear") == ("high", "low")
    assert classes_of("happy") == ("high", "high") and classes_of("calm") == ("low", "high")
    assert classes_of("sad") == classes_of("boredom") == ("low", "low")
    assert classes_of("neutral") == classes_of("contempt") == classes_of("frustrated") == (None, None)


@pytest.mark.parametrize("arousal", ["low", "high", None])
@pytest.mark.parametrize("valence", ["low", "high", None])
def test_class_codes_round_trip(arousal, valence):
    if arousal is None and valence is None:
        with pytest.raises(ValueError, match="needs an arousal or a valence"):
            class_code(arousal, valence)
        return
    assert classes_of(class_code(arousal, valence)) == (arousal, valence)


def test_codes_that_are_not_codes_have_no_class():
    assert classes_of("HAHA") == classes_of("XA") == classes_of("H") == classes_of("hahv") == (None, None)


def test_ratings_split_above_the_scale_midpoint():
    for value, expected in ((1, "low"), (5, "low"), (5.01, "high"), (9, "high")):
        assert rating_class(value, "arousal", scale=(1.0, 9.0)) == expected
    for value, expected in ((3, "low"), (3.5, "high"), ("4", "high")):
        assert rating_class(value, "valence", scale=(1.0, 5.0)) == expected
    assert rating_class("Positive", "valence") == "high" and rating_class(" LOW ", "arousal") == "low"
    assert rating_class(None, "arousal") is None and rating_class(float("nan"), "arousal") is None
    assert rating_class("", "valence") is None
    with pytest.raises(ValueError, match=r"need their scale.*deap 1-9.*dreamer 1-5"):
        rating_class(7, "arousal")
    with pytest.raises(ValueError, match="outside the scale 1-5"):
        rating_class(7, "arousal", scale=(1.0, 5.0))
    with pytest.raises(ValueError, match="neither high nor low"):
        rating_class("positive", "arousal")  # a valence word is not an arousal class


def test_high_probability_renormalises_over_labels_with_a_class():
    rng = np.random.default_rng(0)
    labels = ["angry", "calm", "happy", "sad", "neutral", "fear"]
    for _ in range(50):
        p = rng.dirichlet(np.ones(len(labels)))
        for axis in ("arousal", "valence"):
            classed = [i for i, label in enumerate(labels) if class_of(label, axis) is not None]
            high = [i for i in classed if class_of(labels[i], axis) == "high"]
            mass = p[classed].sum()
            if mass < MIN_CLASSED_MASS:
                with pytest.raises(SampleInputError, match="neutral"):
                    high_probability(p, labels, axis)
            else:
                assert high_probability(p, labels, axis) == pytest.approx(p[high].sum() / mass, rel=1e-12)
    assert high_probability([0.7, 0.3], ["HA", "LA"], "arousal") == pytest.approx(0.7)
    with pytest.raises(SampleInputError, match="no valence class"):
        high_probability([0.7, 0.3], ["HA", "LA"], "valence")  # an arousal-only probe says nothing on valence
    with pytest.raises(SampleInputError, match="not finite"):
        high_probability([np.nan, 1.0], ["HA", "LA"], "arousal")
    assert predicted_class(0.5) == "low" and predicted_class(0.5000001) == "high"


# -- labelled sets of recordings -------------------------------------------------------------------------------


def write_table(folder, text, name="reference.csv"):
    path = folder / name
    path.write_text(text)
    return path


def test_an_emotion_table_with_subjects_gives_emotions_speakers_and_groups(tmp_path):
    table = write_table(
        tmp_path,
        "path,emotion,subject,group,modality\n"
        "a.npz,anger,s1,g1,signal\n"
        "b.npz,calm,s2,g1,signal\n"
        "sub/c.npz,Happiness,s1,g2,signal\n"
        "x.wav,sad,s1,g3,speech\n",
    )
    items = read_signal_reference(table)
    assert [(i.label, i.speaker, i.group) for i in items] == [
        ("angry", "s1", "g1"),
        ("calm", "s2", "g1"),
        ("happy", "s1", "g2"),
    ]
    assert items[2].path == tmp_path / "sub" / "c.npz"  # relative to the table


def test_arousal_valence_words_and_ratings_give_the_fields_codes(tmp_path):
    words = write_table(
        tmp_path, "file,arousal,valence,participant\na.npz,high,negative,p1\nb.npz,low,high,p2\n", "words.csv"
    )
    assert [(i.label, i.speaker) for i in read_signal_reference(words)] == [("HALV", "p1"), ("LAHV", "p2")]
    ratings = write_table(tmp_path, "path,arousal,valence\na.npz,7.5,2\nb.npz,5,9\nc.npz,3,6\n", "deap.csv")
    assert [i.label for i in read_signal_reference(ratings, label_set="deap")] == ["HALV", "LAHV", "LAHV"]
    assert [i.label for i in read_signal_reference(ratings, label_set="DEAP")] == ["HALV", "LAHV", "LAHV"]
    dreamer = write_table(tmp_path, "path,arousal\na.npz,4\nb.npz,3\n", "dreamer.csv")
    assert [i.label for i in read_signal_reference(dreamer, label_set="dreamer")] == ["HA", "LA"]
    with pytest.raises(ManifestError, match=r"row 2: arousal rating 7.5: numeric ratings need their scale"):
        read_signal_reference(ratings)
    with pytest.raises(ManifestError, match="outside the scale 1-5"):
        read_signal_reference(ratings, label_set="dreamer")
    gap = write_table(tmp_path, "path,arousal,valence\na.npz,high,\n", "gap.csv")
    with pytest.raises(ManifestError, match="row 2: no valence value"):
        read_signal_reference(gap)
    neither = write_table(tmp_path, "path,subject\na.npz,s1\n", "neither.csv")
    with pytest.raises(ManifestError, match=r"an emotion column .* or arousal/valence columns"):
        read_signal_reference(neither)


def test_an_emotion_column_wins_and_a_folder_is_read_by_emotion(tmp_path):
    both = write_table(tmp_path, "path,emotion,arousal\na.npz,sad,high\n")
    assert read_signal_reference(both)[0].label == "sad"
    for emotion in ("calm", "angry"):
        (tmp_path / "set" / emotion).mkdir(parents=True)
        (tmp_path / "set" / emotion / "r.npz").write_bytes(b"x")
    (tmp_path / "set" / "calm" / "notes.txt").write_text("not a recording")
    items = read_signal_reference(tmp_path / "set")
    assert sorted((i.label, i.path.name) for i in items) == [("angry", "r.npz"), ("calm", "r.npz")]


# -- cross-validated arousal/valence and the metric's system values ---------------------------------------------


def test_affect_cross_validation_matches_sklearn():
    rng = np.random.default_rng(3)
    labels = ["angry", "calm", "happy", "neutral", "sad"]
    truth = list(rng.choice(labels, size=60))
    oof = rng.dirichlet(np.ones(len(labels)) * 0.7, size=60)
    report = affect_cross_validation(truth, labels, oof.tolist())
    for axis in ("arousal", "valence"):
        y_true, y_pred, skipped = [], [], 0
        for label, row in zip(truth, oof, strict=True):
            target = class_of(label, axis)
            if target is None:
                continue
            classed = [i for i, name in enumerate(labels) if class_of(name, axis) is not None]
            mass = row[classed].sum()
            if mass < 0.5:
                skipped += 1
                continue
            p_high = sum(row[i] for i in classed if class_of(labels[i], axis) == "high") / mass
            y_true.append(target)
            y_pred.append("high" if p_high > 0.5 else "low")
        got = report[axis]
        assert got["n"] == len(y_true) and got["not_scorable"] == skipped
        assert got["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
        assert got["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", labels=sorted(set(y_true))))
        assert got["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
        counts = pd.Series(y_true).value_counts()
        assert got["chance_majority"] == pytest.approx(counts.max() / len(y_true))
    only = affect_cross_validation(["HA", "LA"], ["HA", "LA"], [[0.9, 0.1], [0.2, 0.8]])
    assert set(only) == {"arousal"} and only["arousal"]["accuracy"] == 1.0


def affect_rows(truth, predicted, axis="arousal"):
    rows = []
    for index, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        for sub, value in (
            (f"{axis}_correct", float(t == p)),
            (f"{axis}_probability", 0.9 if t == p else 0.1),
            (f"{axis}_intended_high", float(t == "high")),
        ):
            rows.append(
                dict(
                    sample_id=f"s{index}",
                    group=None,
                    target_emotion="calm",
                    sub_metric=sub,
                    value=value,
                    label=None,
                    error=None,
                )
            )
    rows.append(
        dict(sample_id="bad", group=None, target_emotion="calm", sub_metric=f"{axis}_correct", value=np.nan, label=None)
        | {"error": "broken"}
    )
    return pd.DataFrame(rows)


def test_arousal_system_values_match_sklearn_and_wilson():
    rng = np.random.default_rng(5)
    truth = list(rng.choice(["low", "high"], size=40, p=[0.3, 0.7]))
    predicted = [t if rng.random() < 0.8 else ("low" if t == "high" else "high") for t in truth]
    metric = SignalArousalValenceAccuracy(emotion_reference="ref.csv")
    metric._report = {"affect_cross_validation": {"arousal": {"n": 30, "accuracy": 0.9, "chance_majority": 0.5}}}
    values = metric.summarize(affect_rows(truth, predicted), BootstrapSettings(n_resamples=200, seed=0))
    by_name = {(v.sub_metric, v.target_emotion): v for v in values}
    f1 = by_name["arousal_macro_f1", None]
    assert f1.value == pytest.approx(f1_score(truth, predicted, average="macro")) and f1.n == 40
    assert f1.ci_low <= f1.value <= f1.ci_high
    for cls in ("low", "high"):
        hits = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
        n = truth.count(cls)
        low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
        got = by_name["arousal_recall", cls]
        assert (got.value, got.ci_low, got.ci_high, got.n) == pytest.approx((hits / n, low, high, n))
    assert by_name["reference_cv_arousal_accuracy", None].value == 0.9
    assert by_name["reference_cv_arousal_chance", None].statistic == "reference_set"
    assert ("valence_macro_f1", None) not in by_name and ("reference_cv_arousal_macro_f1", None) not in by_name
    declared = {output.name for output in SignalArousalValenceAccuracy.spec.outputs}
    assert {name for name, _ in by_name} <= declared


def sample(**meta):
    emotion = meta.pop("target_emotion", None)
    return Sample(sample_id="x", system="s", modality="signal", path="x.npz", target_emotion=emotion, meta=meta)


def test_intended_classes_come_from_target_columns_then_the_target_emotion():
    assert intended_class(sample(target_emotion="angry"), "arousal") == "high"
    assert intended_class(sample(target_emotion="angry"), "valence") == "low"
    assert intended_class(sample(target_emotion="angry", target_arousal="low"), "arousal") == "low"
    assert intended_class(sample(target_emotion="calm", target_valence="negative"), "valence") == "low"
    assert intended_class(sample(target_emotion="neutral"), "arousal") is None
    assert intended_class(sample(target_arousal=float("nan"), target_emotion="sad"), "arousal") == "low"
    with pytest.raises(SampleInputError, match="target_arousal: arousal 'very' is neither"):
        intended_class(sample(target_arousal="very"), "arousal")


def test_the_metrics_need_an_emotion_reference_and_name_their_models():
    with pytest.raises(RunConfigError, match=r"emotion_reference=.*--model signal-emotion-probe"):
        SignalEmotionAccuracy()
    metric = SignalEmotionAccuracy(recognizer="signal-eeg-emotion-probe", emotion_reference="ref.csv")
    assert metric.models == ("signal-descriptors-eeg", "signal-eeg-emotion-probe")
    assert metric.label == "signal_emotion_accuracy(recognizer=signal-eeg-emotion-probe)"
    with pytest.raises(RunConfigError, match="not a registered signal-emotion-recognizer"):
        SignalEmotionAccuracy(recognizer="speech-emotion-probe", emotion_reference="ref.csv")
    assert SignalArousalValenceAccuracy.cache_scores is False


# -- the probe model on descriptors that are not all finite ------------------------------------------------------


class FakeContext:
    """What the probe reads from a scoring context: cached outputs by (model, item) and model fingerprints."""

    def __init__(self, outputs):
        self._outputs = outputs

    def outputs(self, name, items):
        return [self._outputs[str(item)] for item in items]

    def model(self, name):
        from types import SimpleNamespace

        return SimpleNamespace(fingerprint="fp")


def test_items_with_non_finite_descriptors_are_dropped_from_fitting_and_refused_when_scoring(tmp_path):
    from types import SimpleNamespace

    from emoeval.reference_models.emotion_probe import LabelledItem
    from emoeval.reference_models.signal_emotion import SIGNAL_PROBE_CARD, SignalEmotionProbe

    rng = np.random.default_rng(0)
    items, outputs = [], {}
    for index in range(12):
        label = "calm" if index % 2 else "angry"
        path = tmp_path / f"r{index}.npz"
        path.write_bytes(f"recording {index}".encode())
        vector = rng.normal(size=3) + (3.0 if label == "angry" else 0.0)
        if index == 5:
            vector[1] = np.nan  # e.g. LF/HF of a recording too short for it
        outputs[str(path)] = vector
        items.append(LabelledItem(label=label, path=path, group=f"s{index // 2}"))
    outputs["bad"] = SampleInputError("bad: no ecg channel")
    probe, dropped, used = SignalEmotionProbe.fit(items, FakeContext(outputs), source="ref.csv")
    assert [(item.path.name, reason) for item, reason in dropped] == [
        ("r5.npz", "signal-descriptors-peripheral gave non-finite values")
    ]
    assert len(used) == 11 and probe.training["n"] == 11 and probe.training["dropped"][0].startswith(str(tmp_path))
    assert probe.report["affect_cross_validation"]["arousal"]["n"] == 11
    model = SignalEmotionProbe(
        {},
        {"signal-descriptors-peripheral": SimpleNamespace(fingerprint="fp")},
        probe=probe,
        card=SIGNAL_PROBE_CARD,
        folder=tmp_path,
    )
    first, nan, bad = model.outputs(FakeContext(outputs), [items[0].path, items[5].path, "bad"])
    assert np.isfinite(first).all() and first.shape == (2 + 3,)
    assert isinstance(nan, SampleInputError) and "non-finite" in str(nan) and isinstance(bad, SampleInputError)
    with pytest.raises(RunConfigError, match="could be used: signal-descriptors-peripheral gave non-finite"):
        SignalEmotionProbe.fit([items[5]], FakeContext(outputs), source="ref.csv")
