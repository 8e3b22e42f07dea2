"""The gate on real faces (../shared/data/faces_london) with a model-free metric (face_image_quality: SSIM to
the source image): blurred faces (σ = 2) regress, the same faces re-encoded as JPEG q95 stay equivalent."""

from __future__ import annotations

import pandas as pd

import emoeval
from emoeval.gate import GatePolicy, run_gate

N_IMAGES = 16
SIZE = 128


def _score(folder, system, rows):
    out = folder / f"run_{system}"
    emoeval.score(pd.DataFrame(rows), metrics=["face_image_quality"], out=out, n_bootstrap=100, progress=False)
    return out


def test_blurred_faces_regress_and_jpeg_q95_faces_are_equivalent(shared_data, tmp_path):
    from PIL import Image, ImageFilter

    images = sorted((shared_data("faces_london") / "images").glob("*.jpg"))[:N_IMAGES]
    assert len(images) == N_IMAGES
    rows: dict[str, list[dict]] = {"original": [], "jpeg95": [], "blurred": []}
    for source in images:
        face = Image.open(source).convert("RGB").resize((SIZE, SIZE), Image.LANCZOS)
        reference = tmp_path / "reference" / f"{source.stem}.png"
        reference.parent.mkdir(exist_ok=True)
        face.save(reference)
        identity, expression = source.stem.split("_")
        for system in rows:
            path = tmp_path / system / (f"{source.stem}.jpg" if system == "jpeg95" else f"{source.stem}.png")
            path.parent.mkdir(exist_ok=True)
            if system == "jpeg95":
                face.save(path, quality=95)
            elif system == "blurred":
                face.filter(ImageFilter.GaussianBlur(2)).save(path)
            else:
                face.save(path)
            rows[system].append(
                {
                    "sample_id": source.stem,
                    "system": system,
                    "modality": "face",
                    "path": str(path),
                    "reference": str(reference),
                    "target_emotion": expression,
                    "group": identity,
                }
            )
    baseline = _score(tmp_path, "original", rows["original"])
    blurred = run_gate(_score(tmp_path, "blurred", rows["blurred"]), baseline, policy=GatePolicy(per_emotion=True))
    assert blurred.verdict("face_image_quality", "ssim").verdict == "regressed"
    assert {blurred.verdict("face_image_quality", "ssim", target_emotion=e).verdict for e in ("happy", "neutral")} == {
        "regressed"
    }
    assert blurred.exit_code == 1 and "face_image_quality/ssim regressed" in blurred.failures[0]
    jpeg = run_gate(_score(tmp_path, "jpeg95", rows["jpeg95"]), baseline)
    verdict = jpeg.verdict("face_image_quality", "ssim")
    assert verdict.verdict == "equivalent" and verdict.difference < 0  # a real but tolerated loss
    assert jpeg.passed
