"""signal_plausibility through emoeval.score on simulated recordings (emoeval.simulated_signals: simulated, not
real data): real-like sets are plausible, generator failures are flagged, bad files are per-sample errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.media.signal import write_npz
from emoeval.testing import check_metric

pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
from emoeval.metrics.signal.plausibility import SignalPlausibility
from emoeval.simulated_signals import condition_set, distort, write_set


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("plausibility")
    good = condition_set("rest", 2, seed=0) + condition_set("arousal", 2, seed=10)
    frames = [write_set(folder / "good", good, system="good", emotions=["calm"] * 4)]
    for kind in ("wrong_rate", "collapsed"):
        frames.append(write_set(folder / kind, [distort(s, kind) for s in good], system=kind, emotions=["calm"] * 4))
    flat = write_npz(folder / "flat.npz", np.zeros((3, 250 * 60)), 250.0, ["ECG", "EDA", "RSP"])
    (folder / "broken.npz").write_bytes(b"not a numpy file")
    bad = pd.DataFrame(
        [
            {"sample_id": "flat", "system": "bad", "modality": "signal", "path": str(flat), "target_emotion": "calm"},
            {
                "sample_id": "broken",
                "system": "bad",
                "modality": "signal",
                "path": str(folder / "broken.npz"),
                "target_emotion": "calm",
            },
        ]
    )
    return pd.concat([*frames, bad], ignore_index=True)


@pytest.fixture(scope="module")
def scored(manifest):
    return emoeval.score(manifest, metrics=["signal_plausibility"], use_cache=False, progress=False).table


def _system(table: pd.DataFrame, system: str) -> float:
    rows = table[(table.system == system) & table.sample_id.isna() & (table.sub_metric == "plausible_share")]
    return float(rows.value.iloc[0])


def test_real_like_recordings_are_plausible_and_failures_are_flagged(scored):
    assert _system(scored, "good") == 1.0
    assert _system(scored, "wrong_rate") < 1.0 and _system(scored, "collapsed") < 1.0
    flagged = scored[(scored.system == "wrong_rate") & scored.warning.notna()].warning
    assert flagged.str.contains("heart_rate .* outside 40–180", regex=True).any()  # arousal at twice the rate


def test_a_flat_or_unreadable_recording_is_an_error_row_not_a_crash(scored):
    errors = scored[(scored.system == "bad") & scored.sample_id.notna()].set_index("sample_id").error
    assert "flat.npz" in errors["flat"] and "no descriptor could be computed" in errors["flat"]
    assert "broken.npz" in errors["broken"] and "not a readable NumPy file" in errors["broken"]


def test_the_metric_passes_the_conformance_kit(manifest):
    check_metric(SignalPlausibility, manifest[manifest.system.isin(["good", "bad"])].iloc[[0, 1, -1]])
