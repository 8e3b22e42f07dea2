"""Over-smoothing signatures on real data, with the sets of ``bench/signature_faces.py`` and
``bench/signature_text.py`` (../shared/data; skipped when it is absent).

- Faces (London set, CC BY 4.0): Gaussian-blurred smiles are over-smoothed (sharpness and high-frequency ratios far
  below 1, whole interval below the panel's threshold); the real set against itself is exactly 1; the blurred
  value equals a direct computation from the model's face crops (scipy's Laplacian, scipy's geometric mean).
- Text (MELD dev): a generic responder's replies are poorer in words and in emotion words than the human replies
  (ratios < 1, intervals too); human replies against themselves give 1, human replies of other dialogues ≈ 1; the
  generic responder's HD-D equals scipy's hypergeometric computation.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage, stats

pytestmark = pytest.mark.shared_data

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pool(offline_model_pool):
    """The session's offline model pool (conftest.py): the models this module shares with others load once."""
    return offline_model_pool


def overall(table: pd.DataFrame, system: str) -> pd.DataFrame:
    rows = table[(table["scope"] == "system") & (table["system"] == system) & table["target_emotion"].isna()]
    return rows.set_index("sub_metric")


# -- faces ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faces(tmp_path_factory, pool):
    pytest.importorskip("cv2", reason="the YuNet face detector")
    import emoeval

    bench = load_bench("signature_faces")
    if not bench.DEFAULT_DATA.is_dir():
        pytest.skip(f"{bench.DEFAULT_DATA} is absent: the shared real-data folder sits beside the repository")
    manifest, real = bench.build(tmp_path_factory.mktemp("signature-faces"))
    table = emoeval.score(
        manifest, metrics=["face_sharpness"], real=real, progress=False, use_cache=False, n_bootstrap=500,
        model_pool=pool,
    ).table  # fmt: skip
    return bench, manifest, table


def test_blurred_smiles_are_over_smoothed_and_real_faces_are_not(faces, readme_says):
    from emoeval.metrics.face.sharpness import SMOOTHED_BELOW

    bench, _, table = faces
    for system in bench.SYSTEMS:
        value, low, high = overall(table, system).loc["sharpness_ratio", ["value", "ci_low", "ci_high"]]
        hf = overall(table, system).loc["hf_energy_ratio", "value"]
        print(f"\n{system}: sharpness {value:.3f} [{low:.3f}, {high:.3f}], hf {hf:.3f}")
    blurred = overall(table, "blurred")
    value, low, high = blurred.loc["sharpness_ratio", ["value", "ci_low", "ci_high"]]
    readme_says("sharpness ratio of 0.08 [0.07, 0.09]", f"sharpness ratio of {value:.2f} [{low:.2f}, {high:.2f}]")
    assert blurred.loc["sharpness_ratio", "ci_high"] < SMOOTHED_BELOW
    assert blurred.loc["hf_energy_ratio", "ci_high"] < SMOOTHED_BELOW
    assert 0.9 < blurred.loc["contrast_ratio", "value"] < 1.1  # blur keeps the contrast: the loss is detail
    for system in ("real", "smiles"):  # the real set against itself; the real smiles against the real smiles
        values = overall(table, system)["value"]
        np.testing.assert_allclose(values.to_numpy(dtype=float), 1.0, rtol=1e-9)
    real = overall(table, "real")
    assert real.loc["sharpness_ratio", "ci_low"] > SMOOTHED_BELOW  # the real set's sampling spread is far above it
    assert not table[table["system"] != "blurred"]["error"].notna().any()  # every real photo has a detected face


def test_blurred_value_equals_a_direct_computation(faces, pool):
    from emoeval.reference_models.base import ModelInput

    _, manifest, table = faces
    frame = pd.read_csv(manifest, dtype=str)
    model = pool.get("face-detail-features")

    def log_lap(paths):
        crops = [model.prepare(ModelInput(key=p, path=Path(p), data=Path(p).read_bytes())) for p in paths]
        return [np.var(ndimage.laplace(crop)[1:-1, 1:-1]) for crop in crops]

    real_smiles = frame[(frame["system"] == "real") & (frame["target_emotion"] == "happy")]["path"]
    blurred = frame[frame["system"] == "blurred"]["path"]
    expected = stats.gmean(log_lap(blurred)) / stats.gmean(log_lap(real_smiles))
    assert overall(table, "blurred").loc["sharpness_ratio", "value"] == pytest.approx(expected, rel=1e-6)


# -- text -------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory, pool):
    import emoeval
    from emoeval.metrics.text.richness import TextRichness

    bench = load_bench("signature_text")
    if not bench.DEFAULT_DATA.is_dir():
        pytest.skip(f"{bench.DEFAULT_DATA} is absent: the shared real-data folder sits beside the repository")
    manifest, _ = bench.build(tmp_path_factory.mktemp("signature-text"), limit=400)
    table = emoeval.score(
        manifest, metrics=[TextRichness(sample_references=True, by_emotion=True)], progress=False, use_cache=False,
        n_bootstrap=200, model_pool=pool,
    ).table  # fmt: skip
    return bench, manifest, table


def test_the_generic_responder_is_bland_and_the_human_replies_are_not(dialogue, readme_says):
    from emoeval.metrics.text.richness import BLAND_BELOW

    bench, _, table = dialogue
    for system in bench.SYSTEMS:
        value, low, high = overall(table, system).loc["lexical_richness_ratio", ["value", "ci_low", "ci_high"]]
        vocabulary = overall(table, system).loc["emotion_vocabulary_ratio", "value"]
        print(
            f"\n{system}: richness ratio {value:.3f} [{low:.3f}, {high:.3f}], emotion vocabulary ratio {vocabulary:.3f}"
        )
    generic, human, shuffled = (overall(table, s) for s in ("generic", "human", "shuffled"))
    readme_says(
        "lexical richness ratio of 0.25",
        f"lexical richness ratio of {generic.loc['lexical_richness_ratio', 'value']:.2f}",
    )
    assert generic.loc["lexical_richness_ratio", "ci_high"] < BLAND_BELOW
    assert generic.loc["emotion_vocabulary_ratio", "value"] < 0.5
    assert generic.loc["emotion_vocabulary", "value"] < human.loc["emotion_vocabulary", "value"]
    np.testing.assert_allclose(
        human.loc[["lexical_richness_ratio", "emotion_vocabulary_ratio"], "value"].to_numpy(dtype=float), 1.0, rtol=1e-9
    )
    # human replies of other dialogues: the same kind of words
    assert abs(shuffled.loc["lexical_richness_ratio", "value"] - 1.0) < 0.05
    assert shuffled.loc["lexical_richness_ratio", "ci_low"] > BLAND_BELOW


def test_the_generic_responders_hdd_equals_scipy(dialogue):
    from emoeval.functional.text import tokenize

    _, manifest, table = dialogue
    frame = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    generic = frame[frame["system"] == "generic"]
    found = table[(table["scope"] == "system") & (table["system"] == "generic")]
    found = found[found["sub_metric"] == "lexical_richness"].set_index("target_emotion", drop=False)
    checked = 0
    for emotion, texts in generic.groupby("target_emotion")["text"]:
        tokens = [t for text in texts for t in tokenize(text)]
        if len(tokens) < 42:
            continue
        counts = Counter(tokens)
        direct = sum(1 - stats.hypergeom(len(tokens), f, 42).pmf(0) for f in counts.values()) / 42
        row = found[found["target_emotion"] == emotion]
        assert float(row["value"].iloc[0]) == pytest.approx(direct, rel=1e-9)
        checked += 1
    assert checked >= 3
