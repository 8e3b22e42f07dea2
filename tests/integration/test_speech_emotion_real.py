"""The speech emotion probe and metrics on real emotional speech (../shared/data; skipped when it is absent).

Measured numbers are printed (``pytest -s -n 0``) and the README's figures (the "Speech emotion" paragraph) are
asserted with the decimals it states. EmoDB here is 20 clips of 2 speakers (7 emotions): leave-one-speaker-out
is 2 folds, one of them trained on 6 clips. The issue's reference trial (72 clips, 10 speakers, 0.65–0.70)
cannot be repeated on this set; the numbers say what this set supports.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faster_whisper", reason="the speech probe needs the Whisper encoder")
pytest.importorskip("pyworld", reason="the functionals need pyworld")

pytestmark = pytest.mark.shared_data

HIGH_AROUSAL = ("angry", "happy", "fear")
LOW_AROUSAL = ("sad", "boredom", "neutral")

#: the README's "Speech emotion" figures: (value, decimals stated)
README = {
    "loso_accuracy": (0.55, 2),
    "loso_macro_f1": (0.48, 2),
    "chance_majority": (0.20, 2),
    "listener_spearman": (0.03, 2),
    "listener_spearman_p": (0.91, 2),
    "arousal_auc": (1.00, 2),
}
#: Emo-StarGAN vs the StarGANv2-VC baseline, 5 items each: (emo_stargan, baseline) means, 3 decimals
README_PRESERVATION = {"same_label": (0.8, 0.6), "js_divergence": (0.021, 0.115)}


def readme(name: str) -> object:
    """pytest.approx of a README figure: the measured value must round to what the README states."""
    value, decimals = README[name]
    return pytest.approx(value, abs=0.5 * 10.0**-decimals + 1e-9)


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


@pytest.fixture
def emodb(shared_data) -> Path:
    return shared_data("speech_emodb")


def test_emodb_leave_one_speaker_out_and_listener_agreement(emodb, pool, tmp_path):
    import pandas as pd
    from click.testing import CliRunner
    from scipy.stats import spearmanr
    from sklearn.metrics import accuracy_score, f1_score

    from emoeval.cli import main
    from emoeval.results import results_frame
    from emoeval.stats.calibrate import calibrate

    result = CliRunner().invoke(
        main, ["models", "fit-emotion-probe", str(emodb / "labels.csv"), "--out", str(tmp_path / "probe"), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    print("\n" + result.output)
    import json

    report = json.loads((tmp_path / "probe" / "report.json").read_text())["cross_validation"]
    assert report["scheme"] == "leave-one-speaker-out (2 speakers)" and report["n"] == 20
    # measured 0.55 (11/20), macro-F1 0.48; chance: majority class 0.20, 1/K 0.14
    assert report["accuracy"] >= 0.35 > report["chance_majority"]
    predictions = list(csv.DictReader((tmp_path / "probe" / "cv_predictions.csv").open()))
    truth, predicted = [row["emotion"] for row in predictions], [row["predicted"] for row in predictions]
    # the report's scores recomputed by sklearn from the written out-of-fold predictions, then the README's figures
    assert report["accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-12)
    macro = f1_score(truth, predicted, labels=report["labels"], average="macro", zero_division=0)
    assert report["macro_f1"] == pytest.approx(macro, abs=1e-12)
    assert report["accuracy"] == readme("loso_accuracy") and report["macro_f1"] == readme("loso_macro_f1")
    assert report["chance_majority"] == readme("chance_majority")

    # listener agreement: the probe's out-of-fold probability of the intended emotion vs the share of 20 listeners
    # who recognised it (erkennung.txt). EmoDB kept only clips recognised by ≥ 80 %, so the rates sit at the ceiling
    labels = {row["file"].split("/")[-1]: row for row in csv.DictReader((emodb / "labels.csv").open())}
    probability = [float(row["target_probability"]) for row in predictions]
    listeners = [float(labels[Path(row["item"]).name]["perception_recognition_pct"]) for row in predictions]
    agreement = calibrate(
        results_frame(
            [
                {"system": "emodb_probe", "scope": "sample", "statistic": "value", "sample_id": row["item"],
                 "metric": "speech_emotion_probe", "sub_metric": "target_probability",
                 "value": float(row["target_probability"]), "higher_is_better": True}
                for row in predictions
            ]
        ),
        pd.DataFrame({"sample_id": [row["item"] for row in predictions], "rater": "listeners (20)",
                      "rating": listeners}),
        metric="speech_emotion_probe",
        scale=(0, 100),
        level="utterance",
    )  # fmt: skip
    srcc = agreement.to_frame().query("level == 'utterance' and statistic == 'srcc'").iloc[0]
    rho, p_value = spearmanr(probability, listeners)
    print(
        f"Spearman(probe target probability, listener recognition %) = {srcc['value']:.3f} "
        f"[{srcc['ci_low']:.3f}, {srcc['ci_high']:.3f}] (emoeval calibrate), scipy {rho:.3f} (p = {p_value:.2f}, "
        f"n = {int(srcc['n'])})"
    )
    assert srcc["value"] == pytest.approx(rho, abs=1e-12) and srcc["n"] == 20
    # The README says "no agreement": the measured correlation rounds to its figure, is far from significant,
    # and its interval holds 0. Should the probe come to agree with listeners, the README must change.
    assert srcc["value"] == readme("listener_spearman") and p_value == readme("listener_spearman_p")
    assert p_value > 0.05 and srcc["ci_low"] < 0 < srcc["ci_high"]
    assert np.std(listeners) < 7 and min(listeners) >= 80  # the ceiling that makes this correlation uninformative


def test_emodb_arousal_proxy_orders_high_above_low_arousal(emodb, pool, tmp_path):
    from sklearn.metrics import roc_auc_score

    from emoeval import score
    from emoeval.labels import normalize_label

    rows = list(csv.DictReader((emodb / "labels.csv").open()))
    manifest = tmp_path / "emodb.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample_id", "system", "modality", "path", "target_emotion"])
        for row in rows:
            writer.writerow([row["file"], "emodb", "speech", emodb / row["file"], normalize_label(row["emotion"])])
    table = score(
        manifest,
        metrics=["speech_arousal_proxy", "speech_emotion_accuracy"],
        emotion_reference=emodb / "labels.csv",
        progress=False,
        use_cache=False,
        n_bootstrap=200,
        model_pool=pool,
    ).table
    arousal = table[(table["scope"] == "sample") & (table["sub_metric"] == "arousal_proxy")]
    chosen = arousal[arousal["target_emotion"].isin(HIGH_AROUSAL + LOW_AROUSAL)]
    auc = roc_auc_score(chosen["target_emotion"].isin(HIGH_AROUSAL), chosen["value"])
    means = arousal.groupby("target_emotion")["value"].mean().round(2).to_dict()
    print(f"\narousal proxy by emotion (EmoDB, norms from the same 20 clips): {means}; AUC high vs low {auc:.3f}")
    assert auc >= 0.8  # measured 1.000 (8 high- vs 8 low-arousal clips)
    assert auc == readme("arousal_auc")
    # the in-sample accuracy of a probe scored on its own training set is not an evaluation, only a sanity bound
    correct = table[(table["scope"] == "sample") & (table["sub_metric"] == "correct")]["value"]
    assert correct.mean() >= 0.9


def test_emo_stargan_preservation_direction(shared_data, pool, tmp_path):
    """The paper: Emo-StarGAN preserves the source's emotion better than the StarGANv2-VC baseline.

    The recognizer here is the probe fitted on EmoDB's 20 German clips (other language, speakers, corpus), and
    there are 5 items per system: the paired difference is nowhere near significance at n = 5 (an exact
    sign-flip test cannot go below p = 2/32). The measured means are asserted only because the README quotes
    them; the direction is no finding.
    """
    from emoeval import score

    emodb = shared_data("speech_emodb")
    root = shared_data("speech_emostargan")
    manifest = tmp_path / "emostargan.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample_id", "system", "modality", "path", "target_emotion", "reference", "group"])
        for row in csv.DictReader((root / "labels.csv").open()):
            if row["role"] != "source":
                source = root / "items" / row["item"] / "source.wav"
                writer.writerow(
                    [f"{row['role']}/{row['item']}", row["role"], "speech", root / row["file"], row["source_emotion"],
                     source, row["item"]]
                )  # fmt: skip
    table = score(
        manifest,
        metrics=["speech_emotion_preservation", "speech_emotion_similarity", "speech_emotion_accuracy"],
        emotion_reference=emodb / "labels.csv",
        progress=False,
        use_cache=False,
        n_bootstrap=500,
        model_pool=pool,
    ).table
    means = table[(table["scope"] == "system") & (table["statistic"] == "mean")]
    summary = means.pivot_table(index="system", columns="sub_metric", values="value")
    print("\nEmo-StarGAN vs baseline (EmoDB probe, 5 items each):\n" + summary.round(3).to_string())
    assert set(summary.index) == {"baseline_stargan2vc", "emo_stargan"}
    assert summary["js_divergence"].between(0, 1).all() and summary["same_label"].between(0, 1).all()
    n = means[(means["sub_metric"] == "same_label")]["n"]
    assert (n == 5).all()
    samples = table[(table["scope"] == "sample") & table["error"].isna()]
    wide = samples.pivot_table(index=["system", "sample_id"], columns="sub_metric", values="value")
    predicted = samples[samples["sub_metric"] == "correct"].set_index("sample_id")["label"]
    print(f"per item:\n{wide.round(3).to_string()}\nprobe's labels: {predicted.to_dict()}")
    for name, (emo_stargan, baseline) in README_PRESERVATION.items():
        # each system mean is the mean of its sample rows, and rounds to the README's figure
        assert summary[name].to_numpy() == pytest.approx(
            wide[name].groupby("system").mean()[summary.index].to_numpy(), abs=1e-12
        )
        decimals = 1 if name == "same_label" else 3
        tolerance = 0.5 * 10.0**-decimals + 1e-9
        assert summary.loc["emo_stargan", name] == pytest.approx(emo_stargan, abs=tolerance), name
        assert summary.loc["baseline_stargan2vc", name] == pytest.approx(baseline, abs=tolerance), name
    # What those figures are worth: the German probe names the source's intended emotion for none of the
    # scorable conversions of either system (surprise is no EmoDB label); "same label" is its own verdict on
    # source and conversion agreeing, mostly "boredom" for both, not a recognised emotion kept.
    assert (summary["correct"] == 0).all()
    assert (predicted == "boredom").mean() > 0.5
