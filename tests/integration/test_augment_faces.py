"""The augmentation study on real faces (issue 16): the Face Research Lab London Set (neutral and smiling photos of
the same adults, CC BY 4.0) is the real set, grouped by identity; the synthetic sets are documented
transformations of those photos, each with a known right answer:

- ``flip`` (mirror image) and ``crop`` (2.5 % off every side): near-copies — every sample must be flagged, and
  adding them to the real training data must not help (gain ≈ 0);
- ``blur`` (Gaussian, σ = width/40): the expression is gone — TSTR below TRTR, no gain;
- ``wrong_labels`` (the crops with neutral ↔ happy swapped): TSTR far below TRTR, negative gain;
- ``neutral_only`` (the neutral crops): the happy emotion is missing — coverage 0 for it.

Features: the default face feature set (``fer-mini-xception-features``, 128-d). One study runs per module; one
TSTR value is recomputed from the same cached features and the same split with scikit-learn directly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.integration

#: identities used (of 102; the shared folder holds 30): enough groups for 20 % test folds, few images to embed
N_IDENTITIES = 20
N_SPLITS = 8
SEED = 3


def _example_script():
    """bench/augment_london.py, the README's example (loaded by path: bench/ is not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "augment_london.py"
    spec = importlib.util.spec_from_file_location("augment_london", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from emoeval.cache import OutputCache
    from emoeval.context import ScoringContext
    from emoeval.metrics.augmentation.features import extract_features
    from emoeval.metrics.augmentation.run import augment
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore
    from emoeval.samples import read_manifest

    london = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces_london"
    if not london.is_dir():
        pytest.skip(f"{london} is absent: the shared real-data folder sits beside the repository, not in it")
    out = tmp_path_factory.mktemp("augment-faces")
    real_manifest, synthetic_manifest = _example_script().london_sets(london, out, N_IDENTITIES)
    pool = ModelPool(WeightStore(out / "no-models", allow_network=False))
    cache = out / "cache"
    results = augment(
        real_manifest,
        [synthetic_manifest],
        out=out / "study",
        n_splits=N_SPLITS,
        real_fractions=(0.25, 1.0),
        ratios=(1.0,),
        seed=SEED,
        cache_dir=cache,
        model_pool=pool,
        progress=False,
    )
    # the same features, read back through the same cache: what the direct computation trains on
    samples = read_manifest(real_manifest) + read_manifest(synthetic_manifest)
    context = ScoringContext(pool, OutputCache(cache))
    matrix = extract_features(context, ["fer-mini-xception-features"], samples)
    by_id = {s.sample_id: str(s.path) for s in samples}
    features = {by_id[i]: row for i, row in zip(matrix.ids, matrix.X, strict=True)}
    return {
        "results": results,
        "features": features,
        "real": pd.read_csv(real_manifest, dtype=str),
        "synthetic": pd.read_csv(synthetic_manifest, dtype=str),
    }


def rows(table: pd.DataFrame, metric: str, system: str, sub_metric: str, **where: object) -> pd.DataFrame:
    base = table["metric"].str.split("(", n=1).str[0]
    found = table[(base == metric) & (table["system"] == system) & (table["sub_metric"] == sub_metric)]
    for column, value in where.items():
        found = found[found[column].isna()] if value is None else found[found[column] == value]
    return found


def value(table: pd.DataFrame, metric: str, system: str, sub_metric: str, **where: object) -> pd.Series:
    found = rows(table, metric, system, sub_metric, **where)
    assert len(found) == 1, (metric, system, sub_metric, where, len(found))
    return found.iloc[0]


def gain_cell(table: pd.DataFrame, system: str, sub_metric: str, fraction: float, ratio: float) -> pd.Series:
    import json

    found = rows(table, "augmentation_gain", system, sub_metric, target_emotion=None)
    params = found["params"].map(json.loads)
    match = found[[p["real_fraction"] == fraction and p["ratio"] == ratio for p in params]]
    assert len(match) == 1
    return match.iloc[0]


def test_near_copies_are_flagged_and_do_not_help(study):
    table = study["results"].table
    for name in ("flip", "crop"):
        dcr = rows(table, "augmentation_memorisation", name, "dcr")
        assert len(dcr) == 2 * N_IDENTITIES
        assert dcr["label"].notna().all(), dcr[dcr["label"].isna()][["sample_id", "value"]]
        assert value(table, "augmentation_memorisation", name, "share_flagged")["value"] == 1.0
        gain = gain_cell(table, name, "balanced_accuracy_gain", 1.0, 1.0)
        assert abs(gain["value"]) <= 0.05 and gain["ci_low"] <= 0.0 <= gain["ci_high"], gain[["value", "ci_low"]]
    # a mirrored copy is found by its features (DCR) even though pHash is not flip-invariant
    flip = rows(table, "augmentation_memorisation", "flip", "dcr")
    assert (flip["label"] == "near-copy").mean() >= 0.9


def test_blur_and_wrong_labels_teach_less_than_real_data(study):
    table = study["results"].table
    trtr = value(table, "augmentation_protocol", "real", "balanced_accuracy", label="TRTR", target_emotion=None)
    for name in ("blur", "wrong_labels"):
        tstr = value(table, "augmentation_protocol", name, "balanced_accuracy", label="TSTR", target_emotion=None)
        assert tstr["value"] < trtr["value"] - 0.1, (name, tstr["value"], trtr["value"])
        p_value = gain_cell(table, name, "balanced_accuracy_gain_p_value", 1.0, 1.0)["value"]
        assert p_value > 0.05  # no evidence of a gain
    wrong = gain_cell(table, "wrong_labels", "balanced_accuracy_gain", 1.0, 1.0)
    assert wrong["ci_high"] < 0.0  # swapped labels hurt, in every split
    noise = value(table, "augmentation_label_noise", "wrong_labels", "label_noise_rate", target_emotion=None)
    assert noise["value"] > 0.8


def test_a_missing_emotion_has_zero_coverage(study):
    table = study["results"].table
    coverage = value(table, "augmentation_fidelity", "neutral_only", "coverage", target_emotion="happy")
    assert coverage["value"] == 0.0 and "nothing generated" in coverage["warning"]
    assert value(table, "augmentation_fidelity", "neutral_only", "coverage", target_emotion="neutral")["value"] > 0.5
    share = value(table, "augmentation_class_balance", "neutral_only", "share", target_emotion="happy")
    assert share["value"] == 0.0
    assert any("neutral_only" in note for note in study["results"].run["notes"])


def test_tstr_equals_a_direct_sklearn_computation_on_the_same_split(study):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupShuffleSplit
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, real, synth = study["features"], study["real"], study["synthetic"]
    groups = np.array([str(g) for g in real["group"]])
    codes = np.unique(groups, return_inverse=True)[1]
    splitter = GroupShuffleSplit(n_splits=N_SPLITS, test_size=0.25, random_state=SEED)
    blur = synth[synth["system"] == "blur"]
    blur = blur[blur["path"].isin(features)]  # a blurred face YuNet no longer finds is an error row, not trained on
    assert len(real) == len(features.keys() & set(real["path"]))  # every real photo has features
    values = []
    for train, test in splitter.split(np.zeros(len(groups)), groups=codes):
        assert not set(groups[train]) & set(groups[test])  # no identity on both sides
        held_out = set(groups[test])
        pool = blur[~blur["group"].astype(str).isin(held_out)]
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000))
        model.fit(np.stack([features[p] for p in pool["path"]]), pool["target_emotion"])
        test_x = np.stack([features[p] for p in real["path"].iloc[test]])
        values.append(balanced_accuracy_score(real["target_emotion"].iloc[test], model.predict(test_x)))
    found = value(study["results"].table, "augmentation_protocol", "blur", "balanced_accuracy", label="TSTR")
    assert found["value"] == pytest.approx(float(np.mean(values)), abs=1e-12)
    assert found["n"] == N_SPLITS


def test_rows_carry_provenance(study):
    table = study["results"].table
    assert set(table["model"].dropna()) == {"fer-mini-xception-features@fer2013-mini-xception-keras2.0.5-add4-gap"}
    assert table["model_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert table["config_hash"].nunique() == 1 and table["emoeval_version"].notna().all()
    assert not table[table["error"].isna() & (table["scope"] == "system")]["value"].isna().all()
    assert math.isfinite(float(study["results"].run["duration_s"]))


def test_the_readme_example_is_this_study(study):
    # README "Generated data as training data" shows the overview `emoeval augment` prints for this study
    from emoeval.reports.augmentation_overview import render_overview

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Generated data as training data", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line and not line.startswith("note:")]
    printed = render_overview(study["results"]).splitlines()
    assert shown == printed
    assert "note: neutral_only: fewer than two emotions; TSTR and gain curves need two or more" in block
    assert study["results"].run["notes"] == [
        "neutral_only: fewer than two emotions; TSTR and gain curves need two or more"
    ]
