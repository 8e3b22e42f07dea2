"""The physiological emotion probe and the signal emotion metrics on SIMULATED recordings (neurokit2's models,
:mod:`emoeval.simulated_signals`; never real data): "rest" (calm: low arousal, high valence) against "arousal"
(angry: high arousal, low valence).

A labelled reference set (8 + 8 recordings, two per simulated subject, one of each condition, in a ``group``
column) fits the probe with grouped cross-validation; a generator that produces the intended condition scores
near 1 on emotion, arousal and valence accuracy, one that produces the other condition near 0; the artefact
written by ``emoeval models fit-emotion-probe`` gives the same verdicts as the probe fitted on the fly, and is
refused once changed; a reference set labelled by DEAP-style ratings gives a probe on the quadrant codes.
Everything is built once per module and shares one output cache (the descriptors are computed once).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("neurokit2", reason="simulated recordings need neurokit2 (emoeval[signal])")

N_REFERENCE = 8  # per condition
N_GENERATED = 4  # per condition
DURATION = 60  # seconds; HRV and SCR rates need a minute
METRICS = ["signal_emotion_accuracy", "signal_arousal_valence_accuracy"]


def _registered(name: str) -> bool:
    from emoeval.registry import reference_model_names

    return name in reference_model_names()


pytestmark = pytest.mark.skipif(
    not _registered("signal-descriptors-peripheral"), reason="signal-descriptors-peripheral is not registered"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The simulated sets, their manifests, and a cache folder shared by the module's runs."""
    from emoeval.simulated_signals import CONDITION_EMOTION, condition_set, write_set

    base = tmp_path_factory.mktemp("signal-emotion")
    reference, generated = [], []
    for condition, seed in (("rest", 100), ("arousal", 200)):
        emotion = CONDITION_EMOTION[condition]
        signals = condition_set(condition, N_REFERENCE, seed=seed, duration=DURATION)
        rows = write_set(base / "real", signals, system="real", emotions=[emotion] * N_REFERENCE, prefix=condition)
        rows["group"] = [f"subject{i}" for i in range(N_REFERENCE)]  # each subject: one rest, one arousal recording
        reference.append(rows)
        signals = condition_set(condition, N_GENERATED, seed=seed + 50, duration=DURATION)
        generated.append(
            write_set(base / "gen", signals, system="faithful", emotions=[emotion] * N_GENERATED, prefix=condition)
        )
    reference_rows = pd.concat(reference, ignore_index=True)
    faithful = pd.concat(generated, ignore_index=True)
    # a generator that outputs the other condition: the same recordings, asked for the opposite emotion
    swap = {"calm": "angry", "angry": "calm"}
    swapped = faithful.assign(system="swapped", sample_id=faithful.sample_id + "-swapped")
    swapped["target_emotion"] = swapped["target_emotion"].map(swap)
    # intended classes stated in target_arousal/target_valence columns instead of an emotion
    explicit = faithful.assign(system="explicit", sample_id=faithful.sample_id + "-explicit")
    high = explicit["target_emotion"] == "angry"
    explicit["target_arousal"] = np.where(high, "high", "low")
    explicit["target_valence"] = np.where(high, "negative", "positive")
    explicit["target_emotion"] = ""
    manifest = base / "generated.csv"
    pd.concat([faithful, swapped, explicit], ignore_index=True).to_csv(manifest, index=False)
    reference_csv = base / "reference.csv"
    reference_rows.to_csv(reference_csv, index=False)
    # the same recordings labelled like DEAP: self-assessment ratings on 1-9 (rest: calm and pleasant)
    rng = np.random.default_rng(0)
    rest = reference_rows["target_emotion"] == "calm"
    ratings = reference_rows[["path", "group"]].assign(
        arousal=np.where(rest, rng.uniform(1, 4.5, len(rest)), rng.uniform(6, 9, len(rest))).round(1),
        valence=np.where(rest, rng.uniform(6, 9, len(rest)), rng.uniform(1, 4.5, len(rest))).round(1),
    )
    ratings_csv = base / "ratings.csv"
    ratings.to_csv(ratings_csv, index=False)
    return {
        "base": base,
        "manifest": manifest,
        "reference": reference_csv,
        "ratings": ratings_csv,
        "cache": base / "cache",
    }


@pytest.fixture(scope="module")
def on_the_fly(world):
    """One scoring run with the probe fitted on the fly from the reference table."""
    import emoeval

    return emoeval.score(
        world["manifest"],
        metrics=METRICS,
        emotion_reference=world["reference"],
        cache_dir=world["cache"],
        progress=False,
        n_bootstrap=200,
    ).table


def system_value(table, metric, sub_metric, system, **where):
    rows = table[
        (table["metric"] == metric)
        & (table["sub_metric"] == sub_metric)
        & (table["system"] == system)
        & (table["scope"] == "system")
    ]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) >= 1, (metric, sub_metric, system, where)
    return float(rows["value"].iloc[0])


def test_the_probe_reads_the_conditions_well_above_chance_in_grouped_cross_validation(on_the_fly):
    table = on_the_fly
    cv = system_value(table, "signal_emotion_accuracy", "reference_cv_accuracy", "faithful")
    chance = system_value(table, "signal_emotion_accuracy", "reference_cv_chance", "faithful")
    print(f"\nreference CV accuracy {cv:.3f} (chance {chance:.3f})")
    assert chance == pytest.approx(0.5) and cv >= 0.9
    for axis in ("arousal", "valence"):
        axis_cv = system_value(table, METRICS[1], f"reference_cv_{axis}_accuracy", "faithful")
        assert axis_cv >= 0.9, axis
        assert system_value(table, METRICS[1], f"reference_cv_{axis}_chance", "faithful") == pytest.approx(0.5)


def test_intended_conditions_score_high_and_the_other_condition_low(on_the_fly):
    table = on_the_fly
    sample = table[(table["scope"] == "sample") & table["error"].isna()]

    def mean(metric, sub_metric, system):
        rows = sample[
            (sample["metric"] == metric) & (sample["sub_metric"] == sub_metric) & (sample["system"] == system)
        ]
        assert len(rows) == 2 * N_GENERATED, (metric, sub_metric, system, len(rows))
        return float(rows["value"].mean())

    assert mean("signal_emotion_accuracy", "correct", "faithful") >= 0.85
    assert mean("signal_emotion_accuracy", "correct", "swapped") <= 0.15
    for axis in ("arousal", "valence"):
        for system in ("faithful", "explicit"):
            assert mean(METRICS[1], f"{axis}_correct", system) >= 0.85, (axis, system)
            assert mean(METRICS[1], f"{axis}_intended_high", system) == pytest.approx(0.5)
        assert mean(METRICS[1], f"{axis}_correct", "swapped") <= 0.15, axis
        assert mean(METRICS[1], f"{axis}_probability", "faithful") > mean(METRICS[1], f"{axis}_probability", "swapped")
    # the explicit system has no target_emotion: the emotion metric skips it, the arousal/valence one scores it
    assert not ((table["metric"] == METRICS[0]) & (table["system"] == "explicit")).any()
    f1 = system_value(table, "signal_emotion_accuracy", "macro_f1", "faithful")
    recall = system_value(table, METRICS[1], "arousal_recall", "swapped", target_emotion="high")
    assert f1 >= 0.85 and recall <= 0.15


def test_the_probe_artefact_round_trips_and_a_changed_file_is_refused(world, on_the_fly, monkeypatch):
    from click.testing import CliRunner

    import emoeval
    from emoeval.cli import main
    from emoeval.errors import WeightError
    from emoeval.reference_models.emotion_probe import load_probe
    from emoeval.reference_models.signal_emotion import SIGNAL_PROBE_CARD
    from emoeval.reference_models.store import WeightStore

    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(world["cache"]))
    folder = world["base"] / "probe"
    result = CliRunner().invoke(
        main,
        [
            "models",
            "fit-emotion-probe",
            str(world["reference"]),
            "--model",
            "signal-emotion-probe",
            "--out",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    print("\n" + result.output)
    assert "grouped stratified 5-fold (8 groups" in result.output and "chance: majority 0.500" in result.output
    report = json.loads((folder / "report.json").read_text())
    assert report["affect_cross_validation"]["arousal"]["n"] == 2 * N_REFERENCE
    table = emoeval.score(
        world["manifest"], metrics=METRICS, emotion_reference=folder, cache_dir=world["cache"], progress=False
    ).table
    key = ["metric", "system", "sample_id", "sub_metric"]
    fitted = table[table["scope"] == "sample"].set_index(key)["value"].sort_index()
    fly = on_the_fly[on_the_fly["scope"] == "sample"].set_index(key)["value"].sort_index()
    pd.testing.assert_series_equal(fitted, fly)  # the same probe: fitted on the fly or read from its folder
    probe, card, _ = load_probe(WeightStore(world["base"] / "models"), SIGNAL_PROBE_CARD, folder)
    assert probe.labels == ("angry", "calm") and probe.blocks[0].model == "signal-descriptors-peripheral"
    assert all(card.weights_sha256 in str(value) for value in table["model_sha256"])  # the artefact in provenance
    with (folder / "probe.npz").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(WeightError):
        load_probe(WeightStore(world["base"] / "models"), SIGNAL_PROBE_CARD, folder)


def test_a_set_labelled_by_ratings_gives_a_probe_on_the_quadrant_codes(world, monkeypatch):
    from click.testing import CliRunner

    import emoeval
    from emoeval.cli import main

    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(world["cache"]))
    folder = world["base"] / "probe-ratings"
    args = ["models", "fit-emotion-probe", str(world["ratings"]), "--model", "signal-emotion-probe"]
    result = CliRunner().invoke(main, [*args, "--label-set", "deap", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert "HALV 8, LAHV 8" in result.output
    table = emoeval.score(
        world["manifest"], metrics=METRICS, emotion_reference=folder, cache_dir=world["cache"], progress=False
    ).table
    sample = table[(table["scope"] == "sample") & (table["system"] == "faithful")]
    arousal = sample[(sample["metric"] == METRICS[1]) & (sample["sub_metric"] == "arousal_correct")]
    assert len(arousal) == 2 * N_GENERATED and arousal["value"].mean() >= 0.85
    emotion = sample[sample["metric"] == METRICS[0]]
    assert emotion["error"].str.contains("use signal_arousal_valence_accuracy").all()
    unlabelled = CliRunner().invoke(main, [*args, "--out", str(world["base"] / "nope")])
    assert unlabelled.exit_code != 0 and "need their scale" in unlabelled.output + str(unlabelled.exception)


def test_the_metrics_pass_the_conformance_kit(world, on_the_fly):
    from emoeval.metrics.signal.emotion import SignalArousalValenceAccuracy, SignalEmotionAccuracy
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.emotion_probe import attach_emotion_probes
    from emoeval.reference_models.store import WeightStore
    from emoeval.samples import load_samples
    from emoeval.testing import check_metric

    samples = [s for s in load_samples(world["manifest"]) if s.system == "faithful"][:4]
    params = {"emotion_reference": str(world["reference"])}
    for metric_class in (SignalEmotionAccuracy, SignalArousalValenceAccuracy):
        pool = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
        attach_emotion_probes([metric_class(**params)], pool, None)  # the cache keys need the probe's files
        report = check_metric(
            metric_class,
            samples,
            params=params,
            alternatives={"emotion_reference": str(world["ratings"])},
            score_options={"n_bootstrap": 20},
            model_pool=pool,
        )
        print(report.summary())
        assert "cache key changes with emotion_reference" in report.passed and not report.failures


@pytest.mark.skipif(not _registered("signal-descriptors-eeg"), reason="signal-descriptors-eeg is not registered")
def test_the_eeg_probe_separates_the_simulated_eeg_conditions(tmp_path, world):
    import emoeval
    from emoeval.simulated_signals import CONDITION_EMOTION, condition_set, write_set

    frames = []
    for condition, seed in (("rest", 300), ("arousal", 400)):
        signals = condition_set(condition, 6, seed=seed, duration=30, eeg=True)
        rows = write_set(tmp_path, signals, system="eeg", emotions=[CONDITION_EMOTION[condition]] * 6, prefix=condition)
        rows["group"] = [f"subject{i}" for i in range(6)]
        frames.append(rows)
    table_rows = pd.concat(frames, ignore_index=True)
    reference = tmp_path / "eeg.csv"
    table_rows.to_csv(reference, index=False)
    manifest = tmp_path / "eeg-generated.csv"
    table_rows.assign(system="eeg-copy").to_csv(manifest, index=False)
    table = emoeval.score(
        manifest,
        metrics=["signal_emotion_accuracy(recognizer=signal-eeg-emotion-probe)"],
        emotion_reference=reference,
        cache_dir=world["cache"],
        progress=False,
    ).table
    metric = "signal_emotion_accuracy(recognizer=signal-eeg-emotion-probe)"
    cv = system_value(table, metric, "reference_cv_accuracy", "eeg-copy")
    print(f"\nEEG probe: grouped CV accuracy {cv:.3f}")
    assert cv >= 0.8
