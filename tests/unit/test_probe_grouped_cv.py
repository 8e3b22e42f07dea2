"""Grouped cross-validation of the emotion probe: items that share a group (the utterances of one dialogue, the
renditions of one source item) never sit on both sides of a split (issue 13, item 16).

Synthetic feature matrices only; the splits are checked against scikit-learn's ``StratifiedGroupKFold``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from emoeval.reference_models.emotion_probe import (
    FeatureBlock,
    LabelledItem,
    ProbeSettings,
    cross_validate,
    cv_splits,
    fit_probe,
    read_labelled_set,
    training_set_hash,
)

LABELS = ("angry", "happy", "neutral", "sad")


def _grouped_data(seed: int = 0, n_groups: int = 24, per_group: int = 6, dim: int = 32):
    """Dialogues of one emotion each whose items share a strong dialogue-specific offset and no emotion signal:
    a probe can recognise a dialogue it has seen, which is what inflates an ungrouped cross-validation."""
    rng = np.random.default_rng(seed)
    x, y, groups = [], [], []
    for g in range(n_groups):
        offset = rng.normal(0, 3, dim)
        for _ in range(per_group):
            x.append(offset + rng.normal(0, 0.5, dim))
            y.append(LABELS[g % len(LABELS)])
            groups.append(f"dialogue-{g}")
    return np.asarray(x), y, groups


def test_grouped_splits_keep_each_group_on_one_side_and_equal_sklearn():
    _, y, groups = _grouped_data()
    scheme, splits = cv_splits(y, [None] * len(y), ProbeSettings(folds=5), cv_groups=groups)
    assert scheme.startswith("grouped stratified 5-fold") and "24 groups" in scheme
    assert sorted(np.concatenate([test for _, test in splits]).tolist()) == list(range(len(y)))
    for train, test in splits:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
    reference = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0).split(np.arange(len(y)), y, groups)
    for (train, test), (ref_train, ref_test) in zip(splits, reference, strict=True):
        assert train.tolist() == ref_train.tolist() and test.tolist() == ref_test.tolist()


def test_speakers_still_mean_leave_one_speaker_out():
    _, y, groups = _grouped_data()
    speakers = [f"s{i % 3}" for i in range(len(y))]
    scheme, splits = cv_splits(y, speakers, ProbeSettings(), cv_groups=groups)
    assert scheme.startswith("leave-one-speaker-out") and len(splits) == 3


def test_items_without_a_group_are_groups_of_their_own():
    _, y, groups = _grouped_data(n_groups=8)
    partial = [g if i % 2 else None for i, g in enumerate(groups)]
    scheme, splits = cv_splits(y, [None] * len(y), ProbeSettings(folds=4), cv_groups=partial)
    assert scheme.startswith("grouped stratified 4-fold")
    keyed = [g if g is not None else f"item {i}" for i, g in enumerate(partial)]
    for train, test in splits:
        assert not {keyed[i] for i in train} & {keyed[i] for i in test}


def test_grouped_cross_validation_removes_the_inflation_of_seen_groups():
    x, y, groups = _grouped_data()
    weights = np.ones(x.shape[1])
    ungrouped = cross_validate(x, y, [None] * len(y), weights, ProbeSettings())
    grouped = cross_validate(x, y, [None] * len(y), weights, ProbeSettings(), cv_groups=groups)
    assert ungrouped["scheme"].startswith("stratified 5-fold")
    assert grouped["scheme"].startswith("grouped stratified 5-fold")
    # a seen dialogue gives its emotion away; an unseen one does not (chance: 0.25)
    assert ungrouped["balanced_accuracy"] > 0.9
    assert grouped["balanced_accuracy"] < 0.5
    # the report says which fold tested each item
    folds = grouped["fold_of_item"]
    assert len(folds) == len(y)
    for group in set(groups):
        assert len({folds[i] for i, g in enumerate(groups) if g == group}) == 1


def test_fit_probe_records_the_groups():
    x, y, groups = _grouped_data()
    probe = fit_probe({"emb": x}, [FeatureBlock("emb", "fp", x.shape[1])], y, name="p", cv_groups=groups)
    assert probe.report["cross_validation"]["scheme"].startswith("grouped stratified")


@pytest.mark.parametrize("column", ["group", "dialogue", "Dialogue_ID"])
def test_a_group_column_is_read_and_enters_the_training_hash(tmp_path, column):
    table = tmp_path / "set.csv"
    table.write_text(f"text,emotion,{column}\nhello,neutral,7\nyay,happy,7\nugh,angry,8\n")
    items = read_labelled_set(table)
    assert [item.group for item in items] == ["7", "7", "8"]
    plain = [LabelledItem(item.label, text=item.text) for item in items]
    hashes = ["a", "b", "c"]
    # without a group the hash is the one emoeval computed before groups existed; with one it differs
    assert training_set_hash(hashes, items) != training_set_hash(hashes, plain)
    assert training_set_hash(hashes, plain) == training_set_hash(hashes, [LabelledItem(i.label) for i in items])
