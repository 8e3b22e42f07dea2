"""The London-faces augmentation example of the README: a real set and five synthetic sets with known answers.

The Face Research Lab London Set (neutral and smiling photos of the same adults, CC BY 4.0, DeBruine & Jones
2017) is the real set, grouped by identity; the synthetic sets are documented transformations of those photos:

- ``flip`` (mirror image) and ``crop`` (2.5 % off every side): near-copies — every sample should be flagged, and
  adding them to the real training data should not help (gain ≈ 0);
- ``blur`` (Gaussian, σ = width/40): the expression is gone — TSTR below TRTR, no gain;
- ``wrong_labels`` (the crops with neutral ↔ happy swapped): TSTR far below TRTR, negative gain;
- ``neutral_only`` (the neutral crops): the happy emotion is missing — coverage 0 for it.

    python bench/augment_london.py OUT [--data ../shared/data/faces_london]
    emoeval augment OUT/real.csv OUT/synthetic.csv --out OUT/study --n-splits 8 --real-fractions 0.25,1 \\
        --ratios 1 --seed 3

``tests/integration/test_augment_faces.py`` builds the same sets with :func:`london_sets`, runs the same study
and checks the figures the README shows. The photos are read from ``--data``, never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

#: identities used (the shared folder holds 30 of the set's 102): enough groups for 25 % test folds
N_IDENTITIES = 20


def london_sets(london: Path, out: Path, n_identities: int = N_IDENTITIES) -> tuple[Path, Path]:
    """Write the real set and the five synthetic sets (images under ``out``) and their manifests; return the
    manifests (real.csv, synthetic.csv)."""
    from PIL import Image, ImageFilter, ImageOps

    labels = list(csv.DictReader((london / "labels.csv").open(encoding="utf-8")))
    identities = sorted({row["identity"] for row in labels})[:n_identities]
    swap = {"neutral": "happy", "happy": "neutral"}
    real, synthetic = [], []
    for name in ("flip", "crop", "blur"):
        (out / name).mkdir(parents=True, exist_ok=True)
    for row in labels:
        if row["identity"] not in identities:
            continue
        source = london / row["file"]
        stem, emotion, identity = Path(row["file"]).stem, row["expression"], row["identity"]
        real.append({"sample_id": stem, "path": str(source), "target_emotion": emotion, "group": identity})
        image = Image.open(source).convert("RGB")
        width, height = image.size
        margin = round(0.025 * width)
        made = {
            "flip": ImageOps.mirror(image),
            "crop": image.crop((margin, margin, width - margin, height - margin)),
            "blur": image.filter(ImageFilter.GaussianBlur(width / 40)),
        }
        for name, picture in made.items():
            picture.save(out / name / f"{stem}.jpg", quality=90)
            synthetic.append({"system": name, "path": str(out / name / f"{stem}.jpg"), "target_emotion": emotion})
        crop = str(out / "crop" / f"{stem}.jpg")
        synthetic.append({"system": "wrong_labels", "path": crop, "target_emotion": swap[emotion]})
        if emotion == "neutral":
            synthetic.append({"system": "neutral_only", "path": crop, "target_emotion": emotion})
        for entry in synthetic[-5:]:
            entry.update(sample_id=f"{entry['system']}/{stem}", group=identity)
    real_manifest, synthetic_manifest = out / "real.csv", out / "synthetic.csv"
    pd.DataFrame(real).assign(system="real", modality="face").to_csv(real_manifest, index=False)
    pd.DataFrame(synthetic).assign(modality="face").to_csv(synthetic_manifest, index=False)
    return real_manifest, synthetic_manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for the images and the manifests")
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces_london"
    parser.add_argument("--data", type=Path, default=default, help="the faces_london folder")
    parser.add_argument("--identities", type=int, default=N_IDENTITIES)
    args = parser.parse_args()
    real, synthetic = london_sets(args.data, args.out, args.identities)
    print(f"wrote {real} and {synthetic}")


if __name__ == "__main__":
    main()
