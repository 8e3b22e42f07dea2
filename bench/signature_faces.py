"""Real-data face sets for the failure signatures: the London faces as a real set and four "generators" with known
faults.

The Face Research Lab London Set (neutral and smiling frontal photos of the same 30 adults in
``../shared/data/faces_london``, 512 × 512, CC BY 4.0: DeBruine & Jones 2017, doi:10.6084/m9.figshare.5047666.v5)
gives every system below; ``group`` is the identity and ``reference`` the identity's neutral photo (the input a
face-editing generator would get):

- ``real``: every photo, neutral and happy, with its own expression as ``target_emotion`` (the reference set);
- ``smiles``: the happy photos, target happy — a perfect generator;
- ``blurred``: the happy photos Gaussian-blurred with σ = :data:`BLUR_SIGMA` px (on the 512-px photos; written as
  PNG so no compression adds or removes detail) — an **over-smoothing** generator (waxy faces);
- ``collapsed``: one happy photo (the first identity's) returned for every identity — **mode collapse**;
- ``neutral_as_happy``: the neutral photos labelled target happy — a generator that ignores the emotion it is asked
  for (**lost intensity / poor control**).

Paths in the manifests are absolute: the photos are read from ``--data``, never copied; only the blurred copies are
written (under ``OUT/blurred/``). ``OUT/manifest.csv`` lists every system; ``OUT/real.csv`` only ``real`` (for
``real=``, so the real set can be scored against itself).

    python bench/signature_faces.py OUT [--data ../shared/data/faces_london]

prints ``face_sharpness`` per system (``real=OUT/real.csv``: ``real`` against itself is 1.0 by construction).
Deterministic: no randomness anywhere.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

#: the Gaussian blur of the ``blurred`` system, in pixels of the 512-px photos (the face spans about 250 px, so
#: about 1 px on the 128-px face crop face_sharpness measures): a soft, airbrushed look, the face still detected
BLUR_SIGMA = 2.0
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces_london"
SYSTEMS: tuple[str, ...] = ("real", "smiles", "blurred", "collapsed", "neutral_as_happy")
COLUMNS: tuple[str, ...] = ("sample_id", "system", "modality", "path", "target_emotion", "group", "reference")


def blur_image(source: Path, target: Path, sigma: float = BLUR_SIGMA) -> None:
    """Write ``source`` Gaussian-blurred (σ = ``sigma`` px on each colour channel; scipy's ``gaussian_filter``,
    reflected borders, truncated at 4σ) to ``target`` as PNG."""
    import numpy as np
    from PIL import Image
    from scipy.ndimage import gaussian_filter

    rgb = np.asarray(Image.open(source).convert("RGB"), dtype=np.float64)
    blurred = gaussian_filter(rgb, sigma=(sigma, sigma, 0.0), mode="reflect", truncate=4.0)
    Image.fromarray(np.clip(np.rint(blurred), 0, 255).astype(np.uint8)).save(target, format="PNG")


def build(out: Path, data: Path = DEFAULT_DATA, *, sigma: float = BLUR_SIGMA) -> tuple[Path, Path]:
    """Write the sets (see the module docstring) under ``out``; return (``manifest.csv``, ``real.csv``)."""
    out = Path(out)
    data = Path(data)
    labels = list(csv.DictReader((data / "labels.csv").open(encoding="utf-8")))
    photo = {(row["identity"], row["expression"]): (data / row["file"]).resolve() for row in labels}
    people = sorted({row["identity"] for row in labels})
    missing = [(p, e) for p in people for e in ("neutral", "happy") if (p, e) not in photo]
    if missing:
        raise ValueError(f"{data / 'labels.csv'}: no photo for {missing[:3]}; every identity needs neutral and happy")
    (out / "blurred").mkdir(parents=True, exist_ok=True)
    one_smile = photo[people[0], "happy"]
    rows: list[dict[str, str]] = []
    for person in people:
        neutral, happy = photo[person, "neutral"], photo[person, "happy"]
        blurred = out / "blurred" / f"{person}_happy.png"
        blur_image(happy, blurred, sigma)

        def row(system: str, path: Path, emotion: str = "happy", person: str = person) -> dict[str, str]:
            return {
                "sample_id": f"{system}/{person}_{path.stem if system == 'real' else emotion}",
                "system": system,
                "modality": "face",
                "path": str(path),
                "target_emotion": emotion,
                "group": person,
                "reference": str(photo[person, "neutral"]),
            }

        rows += [row("real", neutral, "neutral"), row("real", happy, "happy")]
        rows += [row("smiles", happy), row("blurred", blurred.resolve()), row("collapsed", one_smile)]
        rows.append(row("neutral_as_happy", neutral))
    manifest, real = out / "manifest.csv", out / "real.csv"
    for path, chosen in ((manifest, rows), (real, [r for r in rows if r["system"] == "real"])):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(chosen)
    return manifest, real


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the blurred copies and the manifests to")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the faces_london folder")
    parser.add_argument("--sigma", type=float, default=BLUR_SIGMA, help="Gaussian blur of 'blurred' (px)")
    args = parser.parse_args(argv)

    import emoeval

    manifest, real = build(args.out, args.data, sigma=args.sigma)
    table = emoeval.score(
        manifest, metrics=["face_sharpness"], real=real, progress=False, n_bootstrap=1000, use_cache=False
    ).table
    rows = table[(table["scope"] == "system") & table["target_emotion"].isna()]
    print(f"face_sharpness against {real} (London faces, blur σ = {args.sigma} px); value [95% interval], n")
    for system in SYSTEMS:
        own = rows[rows["system"] == system].set_index("sub_metric")
        cells = [
            f"{name} {own.loc[name, 'value']:.3f} [{own.loc[name, 'ci_low']:.3f}, {own.loc[name, 'ci_high']:.3f}]"
            for name in ("sharpness_ratio", "hf_energy_ratio", "contrast_ratio")
        ]
        print(f"  {system:17s} " + "  ".join(cells) + f"  n={int(own.loc['sharpness_ratio', 'n'])}")


if __name__ == "__main__":
    main()
