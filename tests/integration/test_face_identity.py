"""Face identity similarity on real photos: same-person pairs must score above different-person pairs."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import emoeval


def _pair_manifest(root) -> tuple[pd.DataFrame, pd.Series]:
    pairs = pd.read_csv(root / "pairs.csv")
    manifest = pd.DataFrame(
        {
            "sample_id": [f"pair{i}" for i in range(len(pairs))],
            "system": "pairs",
            "modality": "face",
            "path": [str(root / a) for a in pairs.file_a],
            "reference": [str(root / b) for b in pairs.file_b],
        }
    )
    return manifest, pairs.identity_relation.eq("same")


#: the README: "ROC AUC 1.000 on `faces_london` (60 pairs) and 1.000 on `faces_deepface_pairs` (520 pairs)"
README_AUC = {"faces_london": (1.000, 60), "faces_deepface_pairs": (1.000, 520)}


@pytest.mark.parametrize(("folder", "min_auc"), [("faces_london", 0.99), ("faces_deepface_pairs", 0.99)])
def test_identity_similarity_separates_same_from_different_people(shared_data, folder, min_auc):
    # Measured: ROC AUC 1.000 on faces_london (60 pairs) and 1.000 on faces_deepface_pairs (520 pairs).
    manifest, same = _pair_manifest(shared_data(folder))
    results = emoeval.score(manifest, metrics=["face_identity_similarity"], progress=False)
    samples = results.samples()
    assert samples.error.isna().all(), samples.error.dropna().tolist()[:3]
    by_output = samples.pivot(index="sample_id", columns="sub_metric", values="value").reindex(manifest.sample_id)
    auc_cosine = roc_auc_score(same, by_output["cosine"])
    auc_distance = roc_auc_score(same, -by_output["distance"])
    print(f"{folder}: ROC AUC cosine {auc_cosine:.4f}, distance {auc_distance:.4f} on {len(manifest)} pairs")
    assert auc_cosine >= min_auc
    assert auc_distance >= min_auc
    stated_auc, n_pairs = README_AUC[folder]  # the README's figure (cosine), 3 decimals
    assert len(manifest) == n_pairs and auc_cosine == pytest.approx(stated_auc, abs=0.0005 + 1e-9)
    # dlib's 0.6 threshold: most same-person pairs verify, almost no different-person pair does
    verified = by_output["verified"]
    assert verified[same.to_numpy()].mean() >= 0.9
    assert verified[~same.to_numpy()].mean() <= 0.05
