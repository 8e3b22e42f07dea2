"""Spectral, correlation-structure, PRDC and DTW fidelity of generated signals on simulated recordings
(emoeval.simulated_signals: neurokit2's models — simulated, never real data).

A reference set of "rest" and "arousal" recordings, a held-out simulated set (other seeds: the good generator)
and generator failures made from it (smoothed, noise, wrong_rate, collapsed; copies of the reference; channels
leaking into each other; one recording repeated per emotion; arousal ignored). Each metric must rank the held-out
set best where the failure should show, and where it cannot show the test says so:

=====================  ========  =====  ==========  =========  ======  =========  ===========  ========
metric                 smoothed  noise  wrong_rate  collapsed  copies  crosstalk  one_pattern  all_rest
=====================  ========  =====  ==========  =========  ======  =========  ===========  ========
spectral LSD / W1      yes       yes    yes         yes        no (0)  —          —            —
hf_power_ratio (ECG)   yes (→0)  > 1    > 1         —          no (1)  —          —            —
acf_distance           yes       yes    yes         yes        no (0)  —          —            —
correlation_distance   —         —      —           —          no (0)  yes        —            —
FD / KID (spectrum)    yes       yes    yes         yes        no (0)  —          —            —
PRDC precision/recall  yes*      yes    yes         yes        no (1)  —          —            recall
Vendi ratio (spectrum) —         —      —           —          —       —          yes          —
DTW to paired ref.     yes       yes    yes         yes        yes (0) —          —            —
=====================  ========  =====  ==========  =========  ======  =========  ===========  ========

(* with ``signal-spectrum``; the descriptor embedder cannot describe a 2 Hz-smoothed ECG at all — no R peaks —
so every smoothed recording is an error row there, which ``signal_plausibility`` reports.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.media.signal import Signal

pytest.importorskip("neurokit2", reason="the signal extra is not installed: pip install 'emoeval[signal]'")
from emoeval.simulated_signals import condition_set, copies, distort, write_set

N = 5  # recordings per condition and set: 10 per set, 40 s each
DISTORTIONS = ("smoothed", "noise", "wrong_rate", "collapsed")


def _crosstalk(recording: Signal, share: float = 0.8) -> Signal:
    """Each channel plus ``share`` × the mean of the other channels (in z units, the channel's scale kept)."""
    data = recording.data
    z = (data - data.mean(axis=1, keepdims=True)) / data.std(axis=1, keepdims=True)
    others = (z.sum(axis=0, keepdims=True) - z) / (len(z) - 1)
    mixed = (z + share * others) / np.sqrt(1 + share**2)
    out = data.mean(axis=1, keepdims=True) + data.std(axis=1, keepdims=True) * mixed
    return Signal(out, recording.rate, recording.channels, recording.types, source=f"{recording.source} crosstalk")


@pytest.fixture(scope="module")
def recordings() -> dict[str, list[Signal]]:
    real = condition_set("rest", N, seed=0, duration=40) + condition_set("arousal", N, seed=50, duration=40)
    good = condition_set("rest", N, seed=100, duration=40) + condition_set("arousal", N, seed=150, duration=40)
    return {"real": real, "good": good}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("signal-structure")


@pytest.fixture(scope="module")
def manifest(recordings, folder) -> pd.DataFrame:
    real, good = recordings["real"], recordings["good"]
    emotions = ["calm"] * N + ["angry"] * N
    systems = {
        "real": real,
        "good": good,
        **{kind: [distort(s, kind, seed=i) for i, s in enumerate(good)] for kind in DISTORTIONS},
        "copies": copies(real),
        "crosstalk": [_crosstalk(s) for s in good],
        "one_pattern": copies([good[0]] * N + [good[N]] * N),  # mode collapse: one recording per emotion
        "all_rest": copies(good[:N] + good[:N]),  # ignores the arousal condition
    }
    return pd.concat(
        [write_set(folder / name, rs, system=name, emotions=emotions) for name, rs in systems.items()],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def table(manifest) -> pd.DataFrame:
    metrics = [
        "signal_spectral_distance",
        "signal_correlation_structure",
        "signal_fd(embedder=signal-spectrum,by_emotion=false)",
        "signal_kid(embedder=signal-spectrum,subsets=20)",
        "signal_prdc",
        "signal_prdc(embedder=signal-spectrum)",
        "signal_emotion_diversity(embedder=signal-spectrum)",
    ]
    return emoeval.score(manifest, metrics=metrics, real_system="real", use_cache=False, progress=False).table


def _pivot(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = table[table.sample_id.isna() & table.target_emotion.isna() & table.error.isna() & (table.metric == metric)]
    return rows.pivot_table(index="system", columns="sub_metric", values="value")


@pytest.fixture(scope="module")
def values(table) -> dict[str, pd.DataFrame]:
    found = {metric: _pivot(table, metric) for metric in sorted(set(table.metric))}
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for metric, frame in found.items():  # the ranking tables (pytest -s -n 0 shows them)
            print(f"\n{metric}\n{frame.round(3)}")
    return found


def test_spectral_distances_rank_the_held_out_set_first_and_cannot_see_copies(values):
    spectral = values["signal_spectral_distance"]
    for failure in DISTORTIONS:
        assert spectral.loc[failure, "lsd_db"] > 3 * spectral.loc["good", "lsd_db"], failure
        assert spectral.loc[failure, "spectral_wasserstein"] > 3 * spectral.loc["good", "spectral_wasserstein"], failure
    # half the rate: every rhythm an octave up — the ECG and respiration spectra move by about one octave
    assert spectral.loc["wrong_rate", "wasserstein_ecg"] == pytest.approx(1.0, abs=0.2)
    assert spectral.loc["wrong_rate", "wasserstein_rsp"] == pytest.approx(1.0, abs=0.2)
    # over-smoothing: the 2 Hz low-pass leaves no ECG power above the reference's spectral edge; noise adds some
    assert spectral.loc["smoothed", "hf_power_ratio"] < 0.01 < 0.5 < spectral.loc["good", "hf_power_ratio"]
    assert spectral.loc["noise", "hf_power_ratio"] > 1.0
    # calm recordings only: slower breathing and fewer responses than the rest+arousal reference — the EDA ratio
    # falls (the rhythm confound that keeps slow signals out of the headline), the ECG-based headline does not
    assert spectral.loc["all_rest", "hf_power_ratio_eda"] < 0.5 <= spectral.loc["all_rest", "hf_power_ratio"]
    # copies of the reference have its mean spectra exactly: the spectral distances cannot see memorisation
    assert spectral.loc["copies", "lsd_db"] == pytest.approx(0.0, abs=1e-9)


def test_correlation_structure_sees_rhythm_failures_and_leaking_channels(values):
    structure = values["signal_correlation_structure"]
    for failure in DISTORTIONS:
        assert structure.loc[failure, "acf_distance"] > 2 * structure.loc["good", "acf_distance"], failure
    # the simulated ECG, EDA and respiration are independent: only channels mixed together move the matrix far
    others = structure.drop(index="crosstalk").correlation_distance
    assert structure.loc["crosstalk", "correlation_distance"] > 5 * others.max()
    assert structure.loc["copies", "acf_distance"] == pytest.approx(0.0, abs=1e-12)
    assert structure.loc["copies", "correlation_distance"] == pytest.approx(0.0, abs=1e-12)


def test_spectral_embedding_fd_kid_and_prdc_rank_the_held_out_set_first(values):
    fd = values["signal_fd(embedder=signal-spectrum)"]
    kid = values["signal_kid(embedder=signal-spectrum)"]
    prdc = values["signal_prdc(embedder=signal-spectrum)"]
    for failure in DISTORTIONS:
        assert fd.loc[failure, "fd"] > 5 * fd.loc["good", "fd"], failure
        assert kid.loc[failure, "kid"] > kid.loc["good", "kid"] + 10.0, failure
        assert prdc.loc[failure, "precision"] < 0.5 <= prdc.loc["good", "precision"], failure
    # copies: the reference's own distribution (FD 0) and perfect PRDC — memorisation is invisible here
    assert fd.loc["copies", "fd"] == pytest.approx(0.0, abs=1e-6)
    assert prdc.loc["copies", ["precision", "recall", "coverage"]].tolist() == [1.0, 1.0, 1.0]


def test_descriptor_prdc_sees_wrong_rhythms_and_a_missing_condition(table, values):
    prdc = values["signal_prdc"]
    for failure in ("noise", "wrong_rate", "collapsed"):
        assert prdc.loc[failure, "precision"] < prdc.loc["good", "precision"], failure
    # all rest recordings: inside the real balls (precision 1), but their own small balls miss the arousal
    # recordings (recall); with 10 reference recordings and k = 5 the real balls are wide enough that coverage
    # stays 0.8 here (0.5 in the spectral space)
    assert prdc.loc["all_rest", "precision"] == prdc.loc["good", "precision"]
    assert prdc.loc["all_rest", "recall"] < 0.5 < prdc.loc["good", "recall"]
    # a 2 Hz-smoothed ECG has no R peaks: no descriptor vector, every recording an error row naming it
    smoothed = table[(table.metric == "signal_prdc") & (table.system == "smoothed") & table.sample_id.notna()]
    assert smoothed.error.str.contains("R peaks").all()


def test_spectral_diversity_flags_one_recording_repeated_per_emotion(values):
    diversity = values["signal_emotion_diversity(embedder=signal-spectrum)"]
    assert diversity.loc["one_pattern", "vendi_ratio"] < 0.5 < diversity.loc["good", "vendi_ratio"]
    assert diversity.loc["one_pattern", "collapsed_share"] == 1.0
    assert diversity.loc["good", "collapsed_share"] == 0.0
    # recordings far from the reference in one direction (smoothed, noise, wrong rate, a repeated excerpt inside
    # each recording) also get Vendi ratios of 0.3-0.5: the cosine kernel on reference-standardised vectors sees
    # a shared offset as similarity. Their distance ratio stays near 1 — read diversity beside the fidelity metrics
    for failure in DISTORTIONS:
        assert diversity.loc[failure, "diversity_ratio"] > 0.5 > diversity.loc["one_pattern", "diversity_ratio"]


def test_failure_signatures_flag_the_smoothed_generator_and_the_repeating_one(table):
    from emoeval.signatures import signature_verdicts

    found = signature_verdicts(table)
    print("\n" + "\n".join(f"{v.system}: {v.text} → {v.verdict}" for v in found if v.rule.metric.startswith("signal")))
    verdicts = {(v.system, v.rule.signature, v.rule.metric): v.verdict for v in found}
    assert verdicts[("smoothed", "over-smoothing", "signal_spectral_distance")] == "flagged"
    for system in ("good", "noise", "wrong_rate", "copies", "all_rest"):
        assert verdicts[(system, "over-smoothing", "signal_spectral_distance")] == "not seen", system
    assert verdicts[("one_pattern", "mode collapse", "signal_emotion_diversity")] in ("flagged", "possible")
    assert verdicts[("good", "mode collapse", "signal_emotion_diversity")] == "not seen"


@pytest.fixture(scope="module")
def paired(recordings, folder) -> pd.DataFrame:
    """Outputs paired with the reference recording each was made from (``reference`` column)."""
    real, good = recordings["real"], recordings["good"]
    emotions = ["calm"] * N + ["angry"] * N
    rng = np.random.default_rng(7)
    reconstruction = [  # a good reconstructing generator: the reference plus noise 20 dB below it
        Signal(
            s.data + 0.1 * s.data.std(axis=1, keepdims=True) * rng.normal(size=s.data.shape),
            s.rate,
            s.channels,
            s.types,
        )
        for s in real
    ]
    systems = {
        "copy": copies(real),
        "reconstruction": reconstruction,
        **{kind: [distort(s, kind, seed=i) for i, s in enumerate(real)] for kind in DISTORTIONS},
        "unrelated": good,  # another recording of the same condition
    }
    references = write_set(folder / "paired-references", real, system="real", emotions=emotions).path.tolist()
    frames = []
    for name, rs in systems.items():
        frame = write_set(folder / f"paired-{name}", rs, system=name, emotions=emotions)
        frames.append(frame.assign(reference=references))
    return pd.concat(frames, ignore_index=True)


def test_dtw_to_paired_references_ranks_reconstruction_first_and_copies_at_zero(paired):
    table = emoeval.score(paired, metrics=["signal_dtw"], use_cache=False, progress=False).table
    assert table.error.isna().all()
    means = table[table.sample_id.isna()].set_index("system").value
    print(f"\nsignal_dtw (mean over 10 pairs)\n{means.round(3).sort_values()}")
    assert means["copy"] == 0.0  # the copy/memorisation case the distribution metrics cannot see
    for other in (*DISTORTIONS, "unrelated"):
        assert means[other] > 3 * means["reconstruction"] > 0.0, other
