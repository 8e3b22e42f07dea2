"""The emotion probe (modality-neutral): its maths against scikit-learn, its artefact, the separation check.

Synthetic feature matrices only: no model, no audio (the speech probe on real audio is in test_speech_emotion.py).
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.preprocessing import StandardScaler

from emoeval.errors import ManifestError, WeightHashMismatchError, WeightNotFoundError
from emoeval.metrics.emotion_scores import cosine_matrix, emotion_separation, rank_auc
from emoeval.reference_models.emotion_probe import (
    PROBE_JSON,
    PROBE_NPZ,
    PROBE_SHA256,
    EmotionProbe,
    FeatureBlock,
    LabelledItem,
    ProbeSettings,
    cross_validate,
    cv_splits,
    feature_weights,
    fit_probe,
    load_probe,
    read_labelled_set,
    training_set_hash,
)
from emoeval.reference_models.speech_emotion import SPEECH_PROBE_CARD
from emoeval.reference_models.store import WeightStore


def _data(seed: int = 0, n_per: int = 12, labels=("angry", "happy", "sad"), dims=(6, 3)):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (len(labels), sum(dims)))
    x = np.vstack([centres[k] + rng.normal(0, 1.5, (n_per, sum(dims))) for k in range(len(labels))])
    x[:, -1] *= 40.0  # a feature on another scale: standardisation matters
    y = [label for label in labels for _ in range(n_per)]
    speakers = [f"s{i % 4}" for i in range(len(y))]
    return x, y, speakers


def _blocks(dims=(6, 3)):
    return [FeatureBlock("emb", "fp-emb", dims[0]), FeatureBlock("func", "fp-func", dims[1])]


def _split(x, dims=(6, 3)):
    return {"emb": x[:, : dims[0]], "func": x[:, dims[0] :]}


@pytest.mark.parametrize("labels", [("angry", "happy", "sad"), ("happy", "sad")])
@pytest.mark.parametrize("weighting", ["none", "equal"])
def test_probabilities_equal_scikit_learn(labels, weighting):
    x, y, _ = _data(labels=labels)
    settings = ProbeSettings(c=0.7, block_weighting=weighting)
    probe = fit_probe(_split(x), _blocks(), y, name="p", settings=settings, cross_validation=False)
    scaler = StandardScaler().fit(x)
    weights = np.r_[np.full(6, 1 / math.sqrt(6)), np.full(3, 1 / math.sqrt(3))] if weighting == "equal" else 1.0
    z = scaler.transform(x) * weights
    reference = LogisticRegression(C=0.7, class_weight="balanced", max_iter=5000).fit(z, y)
    rng = np.random.default_rng(5)
    new = x[rng.choice(len(x), 10)] + rng.normal(0, 0.5, (10, 9))
    assert probe.labels == tuple(reference.classes_)
    np.testing.assert_allclose(
        probe.predict_proba(new), reference.predict_proba(scaler.transform(new) * weights), atol=1e-6
    )
    np.testing.assert_allclose(probe.embed(new), scaler.transform(new) * weights, atol=1e-12)


def test_feature_weights_give_each_block_unit_total_variance():
    x, y, _ = _data()
    probe = fit_probe(
        _split(x), _blocks(), y, name="p", settings=ProbeSettings(block_weighting="equal"), cross_validation=False
    )
    z = probe.embed(x)
    assert z[:, :6].var(axis=0).sum() == pytest.approx(1.0) and z[:, 6:].var(axis=0).sum() == pytest.approx(1.0)
    assert feature_weights(_blocks(), "none").tolist() == [1.0] * 9


def test_leave_one_speaker_out_equals_a_manual_scikit_learn_loop():
    x, y, speakers = _data(seed=3)
    settings = ProbeSettings(c=0.5)
    report = cross_validate(x, y, speakers, np.ones(9), settings)
    assert report["scheme"] == "leave-one-speaker-out (4 speakers)"
    expected = np.zeros((len(y), 3))
    classes = sorted(set(y))
    for train, test in LeaveOneGroupOut().split(x, groups=speakers):
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(C=0.5, class_weight="balanced", max_iter=5000).fit(
            scaler.transform(x[train]), [y[i] for i in train]
        )
        expected[test] = model.predict_proba(scaler.transform(x[test]))
    np.testing.assert_allclose(report["oof_probabilities"], expected, atol=1e-6)
    predicted = [classes[i] for i in expected.argmax(axis=1)]
    assert report["accuracy"] == pytest.approx(np.mean([p == t for p, t in zip(predicted, y, strict=True)]))
    assert report["macro_f1"] == pytest.approx(f1_score(y, predicted, average="macro"))
    assert np.asarray(report["confusion"]).sum() == len(y)
    assert report["chance_uniform"] == pytest.approx(1 / 3)


def test_cv_scheme_falls_back_to_stratified_k_fold_without_speakers():
    _, y, speakers = _data()
    scheme, splits = cv_splits(y, [None] * len(y), ProbeSettings(folds=4))
    assert scheme == "stratified 4-fold" and len(splits) == 4
    assert sorted(np.concatenate([test for _, test in splits]).tolist()) == list(range(len(y)))
    scheme, _ = cv_splits(["a", "a", "b"], [None] * 3, ProbeSettings())
    assert scheme.startswith("3-fold")
    scheme, _ = cv_splits(y, [*speakers[:-1], None], ProbeSettings())
    assert scheme.startswith("stratified")


def test_a_fold_without_some_class_still_predicts_the_others():
    x, y, _ = _data(seed=1)
    speakers = ["only-angry" if label == "angry" else f"s{i % 2}" for i, label in enumerate(y)]
    report = cross_validate(x, y, speakers, np.ones(9), ProbeSettings())
    oof = np.asarray(report["oof_probabilities"])
    angry = [i for i, label in enumerate(y) if label == "angry"]
    assert np.all(oof[angry, report["labels"].index("angry")] == 0)  # never seen in its fold's training part
    np.testing.assert_allclose(oof.sum(axis=1), 1.0)


# -- the separation check ------------------------------------------------------------------------------------


def test_separation_equals_a_brute_force_pair_loop():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(9, 5))
    emotions = ["happy", "sad", "angry"] * 3
    speakers = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    result = emotion_separation(x, emotions, speakers)
    within, across, speaker_pairs, emotion_pairs = [], [], [], []
    for i in range(9):
        for j in range(i + 1, 9):
            cos = float(x[i] @ x[j] / np.linalg.norm(x[i]) / np.linalg.norm(x[j]))
            (within if emotions[i] == emotions[j] else across).append(cos)
            if speakers[i] == speakers[j] and emotions[i] != emotions[j]:
                speaker_pairs.append(cos)
            if speakers[i] != speakers[j] and emotions[i] == emotions[j]:
                emotion_pairs.append(cos)
    assert result["within_emotion"] == pytest.approx(np.mean(within))
    assert result["across_emotion"] == pytest.approx(np.mean(across))
    labels = [1] * len(within) + [0] * len(across)
    assert result["auc"] == pytest.approx(roc_auc_score(labels, within + across))
    assert result["speaker_vs_emotion_auc"] == pytest.approx(
        roc_auc_score([1] * len(speaker_pairs) + [0] * len(emotion_pairs), speaker_pairs + emotion_pairs)
    )
    assert (result["n_within"], result["n_across"]) == (len(within), len(across))
    np.testing.assert_allclose(np.diag(cosine_matrix(x)), 1.0)
    assert math.isnan(rank_auc([], [1.0]))


# -- the artefact ---------------------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    x, y, speakers = _data()
    training = {"sha256": "ab" * 32, "n": len(y)}
    probe = fit_probe(_split(x), _blocks(), y, speakers, name=SPEECH_PROBE_CARD.name, training=training)
    folder = tmp_path / "probe"
    hashes = probe.save(folder)
    return probe, folder, hashes, x


def test_artefact_round_trips_without_pickle_and_records_its_hashes(saved):
    probe, folder, hashes, x = saved
    assert sorted(p.name for p in folder.iterdir()) == [PROBE_JSON, PROBE_NPZ, PROBE_SHA256]
    for name, digest in hashes.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        assert f"{digest}  {name}" in (folder / PROBE_SHA256).read_text()
    with np.load(folder / PROBE_NPZ, allow_pickle=False) as arrays:  # numeric arrays only
        assert sorted(arrays.files) == ["coef", "feature_weight", "intercept", "scaler_mean", "scaler_scale"]
    metadata = json.loads((folder / PROBE_JSON).read_text())
    assert metadata["labels"] == ["angry", "happy", "sad"]
    assert metadata["features"][0] == {"model": "emb", "fingerprint": "fp-emb", "dim": 6}
    assert metadata["npz_sha256"] == hashes[PROBE_NPZ] and metadata["sklearn_version"]
    assert "cross_validation" in metadata["report"] and "separation" in metadata["report"]
    again = EmotionProbe.read(folder / PROBE_JSON, folder / PROBE_NPZ)
    np.testing.assert_array_equal(again.predict_proba(x), probe.predict_proba(x))


def test_loading_goes_through_the_weight_store(saved, tmp_path):
    probe, folder, hashes, _x = saved
    store = WeightStore(tmp_path / "models", allow_network=False, explicit={SPEECH_PROBE_CARD.name: folder})
    loaded, card, weights = load_probe(store, SPEECH_PROBE_CARD)
    assert [w.sha256 for w in card.files] == [hashes[PROBE_JSON], hashes[PROBE_NPZ]]
    assert {w.source for w in weights.values()} == {"explicit"}
    assert card.version.endswith("+" + "ab" * 6)
    np.testing.assert_array_equal(loaded.coef, probe.coef)
    # the same folder under the models dir is found without an explicit path
    models = tmp_path / "models"
    (models / SPEECH_PROBE_CARD.name).mkdir(parents=True)
    for path in folder.iterdir():
        (models / SPEECH_PROBE_CARD.name / path.name).write_bytes(path.read_bytes())
    assert load_probe(WeightStore(models, allow_network=False), SPEECH_PROBE_CARD)[2][PROBE_NPZ].source == "explicit"


def test_a_changed_file_is_refused_before_it_is_read(saved, tmp_path):
    _, folder, _, _ = saved
    data = bytearray((folder / PROBE_NPZ).read_bytes())
    data[-10] ^= 0xFF
    (folder / PROBE_NPZ).write_bytes(bytes(data))
    store = WeightStore(tmp_path / "models", allow_network=False, explicit={SPEECH_PROBE_CARD.name: folder})
    with pytest.raises(WeightHashMismatchError, match=r"probe\.npz"):
        load_probe(store, SPEECH_PROBE_CARD)


def test_a_missing_probe_names_the_fix(tmp_path):
    with pytest.raises(WeightNotFoundError, match="fit-emotion-probe"):
        load_probe(WeightStore(tmp_path / "models", allow_network=False), SPEECH_PROBE_CARD)


# -- labelled sets ------------------------------------------------------------------------------------------------


def test_labelled_tables_and_folders(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "labels.csv").write_text("file,emotion,speaker\na.wav,W,03\n")
    (item,) = read_labelled_set(tmp_path / "labels.csv", label_set="emodb")
    assert item == LabelledItem(label="angry", path=tmp_path / "a.wav", speaker="03")
    (tmp_path / "set" / "sad").mkdir(parents=True)
    (tmp_path / "set" / "sad" / "1.wav").write_bytes(b"y")
    (tmp_path / "set" / "notes").mkdir()
    (tmp_path / "set" / "notes" / "2.wav").write_bytes(b"z")
    assert read_labelled_set(tmp_path / "set", suffixes=frozenset({".wav"})) == [
        LabelledItem(label="sad", path=tmp_path / "set" / "sad" / "1.wav")
    ]
    (tmp_path / "bad.csv").write_text("file,mood\na.wav,happy\n")
    with pytest.raises(ManifestError, match="emotion column"):
        read_labelled_set(tmp_path / "bad.csv")


def test_training_hash_ignores_order_and_names_but_not_labels():
    items = [LabelledItem("happy", speaker="a"), LabelledItem("sad", speaker="b")]
    base = training_set_hash(["h1", "h2"], items)
    assert base == training_set_hash(["h2", "h1"], items[::-1])
    assert base != training_set_hash(["h1", "h2"], [LabelledItem("sad", speaker="a"), items[1]])


# -- the probe as an emotion recognizer ---------------------------------------------------------------------------


def test_a_probe_model_reads_through_the_one_recognizer_interface():
    from types import SimpleNamespace

    from emoeval.errors import SampleInputError
    from emoeval.reference_models.emotion_probe import EmotionProbeModel, split_recognition
    from emoeval.reference_models.recognition import EmotionRecognizer, recognize

    x, y, _ = _data(seed=4)
    probe = fit_probe(_split(x), _blocks(), y, name="p", cross_validation=False)

    class Probe(EmotionProbeModel):
        card = SPEECH_PROBE_CARD
        requires = ("emb", "func")
        modality = "speech"

    class Context:
        """The two calls recognize() makes: the loaded model, and cached outputs of the feature extractors."""

        def model(self, name):
            return model

        def outputs(self, name, items):
            columns = {"emb": slice(0, 6), "func": slice(6, 9)}[name]
            return [SampleInputError("bad item") if i < 0 else x[i, columns] for i in items]

    # the feature extractors the probe was fitted on (only their fingerprints are checked when it is built)
    dependencies = {"emb": SimpleNamespace(fingerprint="fp-emb"), "func": SimpleNamespace(fingerprint="fp-func")}
    model = Probe({}, dependencies, probe=probe, card=SPEECH_PROBE_CARD, folder=None)
    assert isinstance(model, EmotionRecognizer) and model.labels == probe.labels
    labels, readings = recognize(Context(), "p", [0, 5, -1])
    assert labels == probe.labels and isinstance(readings[2], SampleInputError)
    np.testing.assert_allclose([r.probabilities for r in readings[:2]], probe.predict_proba(x[[0, 5]]), atol=1e-12)
    np.testing.assert_allclose([r.embedding for r in readings[:2]], probe.embed(x[[0, 5]]), atol=1e-12)
    assert readings[1].predicted == probe.labels[int(np.argmax(probe.predict_proba(x[[5]])))]
    # the v1 spelling the text probe still uses gives the same numbers
    (legacy,) = model.recognize(Context(), [5])
    p, e = split_recognition(legacy, len(probe.labels))
    assert np.array_equal(p, readings[1].probabilities) and np.array_equal(e, readings[1].embedding)


def test_fitting_drops_items_whose_features_are_not_finite_and_names_them():
    """Any probe (here a speech probe on two feature blocks), not only the signal one: a NaN feature would reach
    the solver (scikit-learn refuses it, and the whole fit would stop)."""
    from types import SimpleNamespace

    from emoeval.errors import SampleInputError
    from emoeval.reference_models.emotion_probe import EmotionProbeModel, LabelledItem

    x, y, speakers = _data(seed=5)
    x[3, 7] = np.inf  # one item's second block

    class Probe(EmotionProbeModel):
        card = SPEECH_PROBE_CARD
        requires = ("emb", "func")
        modality = "speech"

    class Context:
        def model(self, name):
            return SimpleNamespace(fingerprint=f"fp-{name}")

        def outputs(self, name, items):
            columns = {"emb": slice(0, 6), "func": slice(6, 9)}[name]
            rows = [int(item.removeprefix("text ")) for item in items]
            return [SampleInputError("unreadable") if i == 0 else x[i, columns] for i in rows]

    items = [
        LabelledItem(label=label, path=f"text {index}", speaker=speaker)
        for index, (label, speaker) in enumerate(zip(y, speakers, strict=True))
    ]
    probe, dropped, used = Probe.fit(items, Context(), source="ref.csv")
    assert [(item.path, reason) for item, reason in dropped] == [
        ("text 0", "unreadable"),
        ("text 3", "func gave non-finite values"),
    ]
    assert [item.path for item in used] == [f"text {i}" for i in range(len(y)) if i not in (0, 3)]
    reference = fit_probe(
        _split(np.delete(x, [0, 3], axis=0)),
        _blocks(),
        list(np.delete(np.array(y), [0, 3])),
        list(np.delete(np.array(speakers), [0, 3])),
        name=SPEECH_PROBE_CARD.name,
        cross_validation=False,
    )
    np.testing.assert_allclose(probe.predict_proba(x[[1, 2]]), reference.predict_proba(x[[1, 2]]), atol=1e-12)
