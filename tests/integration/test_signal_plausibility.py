"""signal_plausibility through emoeval.score on simulated recordings (emoeval.simulated_signals: simulated, not
real data): real-like sets are plausible, generator failures are flagged, bad files are per-sample errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.errors import RunConfigError
from emoeval.media.signal import Signal, write_npz
from emoeval.testing import check_metric

pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
from emoeval.metrics.signal.plausibility import SignalPlausibility
from emoeval.simulated_signals import condition_set, distort, write_set


def _row(sample_id: str, system: str, path: object) -> dict[str, object]:
    return {"sample_id": sample_id, "system": system, "modality": "signal", "path": str(path), "target_emotion": "calm"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("plausibility")
    good = condition_set("rest", 2, seed=0) + condition_set("arousal", 2, seed=10)
    originals = write_set(folder / "good", good, system="good", emotions=["calm"] * 4)
    frames = [originals]
    for kind in ("wrong_rate", "collapsed", "smoothed"):
        frame = write_set(folder / kind, [distort(s, kind) for s in good], system=kind, emotions=["calm"] * 4)
        frames.append(frame.assign(reference=originals.path.to_numpy()))  # each paired with its original
    frames.append(write_set(folder / "copies", good, system="copies", emotions=["calm"] * 4))
    frames[-1]["reference"] = originals.path.to_numpy()
    rest_eeg = condition_set("rest", 1, seed=3, eeg=True)[0]
    lateral = tuple({"F3": "F7", "F4": "F8"}.get(name, name) for name in rest_eeg.channels)
    eeg = [rest_eeg, Signal(rest_eeg.data, rest_eeg.rate, lateral, rest_eeg.types)]
    frames.append(write_set(folder / "eeg", eeg, system="eeg", emotions=["calm"] * 2))
    flat = write_npz(folder / "flat.npz", np.zeros((3, 250 * 60)), 250.0, ["ECG", "EDA", "RSP"])
    short = write_npz(folder / "short.npz", good[0].data[:, : 5 * 250], 250.0, ["ECG", "EDA", "RSP"])
    (folder / "broken.npz").write_bytes(b"not a numpy file")
    bad = pd.DataFrame(
        [_row("flat", "bad", flat), _row("broken", "bad", folder / "broken.npz"), _row("short", "bad", short)]
    )
    return pd.concat([*frames, bad], ignore_index=True)


@pytest.fixture(scope="module")
def scored(manifest):
    return emoeval.score(manifest, metrics=["signal_plausibility"], use_cache=False, progress=False).table


def _system(table: pd.DataFrame, system: str, sub_metric: str = "plausible_share") -> float:
    rows = table[(table.system == system) & table.sample_id.isna() & (table.sub_metric == sub_metric)]
    return float(rows.value.iloc[0])


def _samples(table: pd.DataFrame, system: str, sub_metric: str) -> pd.Series:
    rows = table[(table.system == system) & table.sample_id.notna() & (table.sub_metric == sub_metric)]
    return rows.set_index("sample_id").value


def test_real_like_recordings_are_plausible_and_failures_are_flagged(scored):
    assert _system(scored, "good") == 1.0 and _system(scored, "copies") == 1.0 and _system(scored, "eeg") == 1.0
    for failure in ("wrong_rate", "collapsed", "smoothed"):
        assert _system(scored, failure) < 1.0, failure
    flagged = scored[(scored.system == "wrong_rate") & scored.warning.notna()].warning
    assert flagged.str.contains("heart_rate .* outside 40–180", regex=True).any()  # arousal at twice the rate


def test_an_ecg_without_beats_counts_against_plausibility(scored):
    # a 2 Hz low-pass leaves no R peak: its 4 ECG descriptors count as outside, EDA and respiration still inside
    shares = _samples(scored, "smoothed", "plausible_share")
    assert len(shares) == 4 and (shares == 0.5).all()
    warnings = scored[(scored.system == "smoothed") & scored.sample_id.notna()].warning.dropna().unique()
    assert all("ecg: " in w and "counted as 4 descriptor(s) outside their ranges" in w for w in warnings)
    assert _samples(scored, "smoothed", "heart_rate").empty


def test_the_average_beat_is_compared_with_the_paired_reference(scored):
    copies, fast = (
        _samples(scored, "copies", "template_correlation"),
        _samples(scored, "wrong_rate", "template_correlation"),
    )
    assert len(copies) == len(fast) == 4
    np.testing.assert_allclose(copies, 1.0, rtol=1e-12)
    assert (fast < 0.5).all()  # QRS complexes half as wide (measured 0.03–0.17)
    assert _samples(scored, "good", "template_correlation").empty  # no reference, no value


def test_eeg_descriptors_and_the_frontal_pair_fallback(scored):
    alpha = _samples(scored, "eeg", "alpha_rel")
    asymmetry = _samples(scored, "eeg", "frontal_alpha_asymmetry")
    assert len(alpha) == 2 and alpha.iloc[0] == alpha.iloc[1] and asymmetry.iloc[0] == asymmetry.iloc[1] > 0
    warnings = scored[(scored.system == "eeg") & scored.sample_id.notna()].warning.dropna().unique()
    assert list(warnings) == ["frontal_alpha_asymmetry from F8-F7 (no F4/F3)"]


def test_a_flat_short_or_unreadable_recording_is_an_error_row_not_a_crash(scored):
    errors = scored[(scored.system == "bad") & scored.sample_id.notna()].set_index("sample_id").error
    assert "flat.npz" in errors["flat"] and "no descriptor could be computed" in errors["flat"]
    assert "is flat for 60.00 s" in errors["flat"]  # the read-time quality check (emoeval.media.signal_quality)
    assert "broken.npz" in errors["broken"] and "not a readable NumPy file" in errors["broken"]
    assert "short.npz" in errors["short"] and "5.0 s is too short" in errors["short"]


def test_channel_types_chooses_the_descriptors(manifest):
    good = manifest[manifest.system == "good"]
    table = emoeval.score(
        good, metrics=[SignalPlausibility(channel_types="rsp+ecg")], use_cache=False, progress=False
    ).table
    names = set(table[table.sample_id.notna()].sub_metric)
    assert {"heart_rate", "rsp_rate", "plausible_share"} <= names and not names & {"eda_tonic", "scr_rate"}
    assert SignalPlausibility(channel_types="rsp+ecg").channel_types == "ecg,rsp"
    with pytest.raises(RunConfigError, match=r"channel_types='ppg'.*ecg, eda, rsp, eeg"):
        SignalPlausibility(channel_types="ppg")


def test_the_metric_passes_the_conformance_kit(manifest):
    rows = pd.concat([manifest[manifest.system == "copies"].iloc[:2], manifest[manifest.system == "bad"].iloc[:1]])
    check_metric(SignalPlausibility, rows, alternatives={"channel_types": "ecg"})
