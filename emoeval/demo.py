"""The demo: score the small real sample set shipped with emoeval on the offline default models.

Faces (Face Research Lab London Set, CC BY 4.0), voice-conversion outputs (Emo-StarGAN samples, MIT) and a
few dialogues written for emoeval; see ``emoeval/data/demo/ATTRIBUTION.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emoeval.reports.html import ReportFiles
    from emoeval.results import Results

DEMO_METRICS: tuple[str, ...] = (
    "face_identity_similarity",
    "speaker_similarity",
    "speech_mcd",
    "speech_dnsmos",
    "text_distinct_n",
    "text_emotion_accuracy",
    "text_coherence",
)


def demo_manifest() -> Path:
    """Path of the shipped demo manifest (relative paths in it point to files beside it)."""
    manifest = Path(str(resources.files("emoeval.data") / "demo" / "manifest.csv"))
    if not manifest.exists():
        raise FileNotFoundError(f"the demo data is missing from this installation ({manifest}); reinstall emoeval")
    return manifest


def run_demo(out: str | Path = "emoeval-demo", *, progress: bool | None = None, overwrite: bool = True) -> Results:
    """Score the demo set with :data:`DEMO_METRICS` and write the results to ``out``."""
    from emoeval.api import score

    return score(demo_manifest(), metrics=list(DEMO_METRICS), out=out, progress=progress, overwrite=overwrite)


def demo_report(results: Results, out: str | Path = "emoeval-demo") -> ReportFiles:
    """Write the demo's HTML report (``report.html`` and ``report.json``) into ``out``."""
    from emoeval.reports.html import report

    return report(
        results, Path(out) / "report.html", title="emoeval demo", manifest=demo_manifest(), results_dir=Path(out)
    )
