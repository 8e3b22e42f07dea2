"""Text metrics on real dialogue: the zero-shot emotion recognizer on MELD / EmoryNLP dev utterances, and the
coherence metric calibrated against FED's human ratings (Mehri & Eskenazi 2020).

MELD and EmoryNLP are GPL-3 Friends transcripts: read from ../shared/data, never copied into the repository.
Numbers are printed (``pytest -s``) and checked against scikit-learn / scipy recomputed from the raw files.
"""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pytest.importorskip("transformers")

from emoeval.labels import normalize_label
from emoeval.samples import Sample

EMORYNLP = {"joyful": "happy", "mad": "angry", "sad": "sad", "scared": "fear", "neutral": "neutral"}


def _rows(path):
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


def _score_emotions(samples):
    import emoeval

    results = emoeval.score(samples, metrics=["text_emotion_accuracy"], progress=False, n_bootstrap=1000)
    table = results.table
    predicted = (
        table[(table["scope"] == "sample") & (table["sub_metric"] == "correct")]
        .set_index("sample_id")["label"]
        .to_dict()
    )
    system = table[(table["scope"] == "system") & table["sub_metric"].isin(["weighted_f1", "macro_f1", "correct"])]
    return predicted, system.set_index("sub_metric")


def test_zero_shot_recognizer_on_meld_dev(shared_data):
    from sklearn.metrics import f1_score

    rows = _rows(shared_data("dialogue_meld") / "dev_sent_emo.csv")
    samples = [
        Sample(f"meld-{r['Dialogue_ID']}-{r['Utterance_ID']}", "meld", "text", text=r["Utterance"],
               target_emotion=normalize_label(r["Emotion"], "meld"))
        for r in rows
    ]  # fmt: skip
    predicted, system = _score_emotions(samples)
    y_true = [s.target_emotion for s in samples]
    y_pred = [predicted[s.sample_id] for s in samples]
    labels = sorted(set(y_true))
    weighted = f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
    macro = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    print(
        f"\nMELD dev ({len(samples)} utterances, text only), zero-shot recognizer: weighted F1 {weighted:.3f} "
        f"[{system.loc['weighted_f1', 'ci_low']:.3f}, {system.loc['weighted_f1', 'ci_high']:.3f}], macro F1 "
        f"{macro:.3f} [{system.loc['macro_f1', 'ci_low']:.3f}, {system.loc['macro_f1', 'ci_high']:.3f}], "
        f"accuracy {system.loc['correct', 'value']:.3f}"
    )
    assert len(samples) == 1109
    assert system.loc["weighted_f1", "value"] == pytest.approx(weighted)
    assert system.loc["macro_f1", "value"] == pytest.approx(macro)
    # measured 0.417 / 0.299; all-neutral (the majority class) gives weighted F1 0.252
    majority = f1_score(y_true, ["neutral"] * len(y_true), labels=labels, average="weighted", zero_division=0)
    assert weighted == pytest.approx(0.417, abs=0.01) and weighted > majority + 0.1
    assert macro == pytest.approx(0.299, abs=0.01)


def test_zero_shot_recognizer_on_emorynlp_dev(shared_data):
    from sklearn.metrics import f1_score

    rows = [
        r for r in _rows(shared_data("dialogue_meld") / "emorynlp_dev_final.csv") if r["Emotion"].lower() in EMORYNLP
    ]
    samples = [
        Sample(f"emory-{i}", "emorynlp", "text", text=r["Utterance"], target_emotion=EMORYNLP[r["Emotion"].lower()])
        for i, r in enumerate(rows)
    ]
    predicted, _ = _score_emotions(samples)
    y_true = [s.target_emotion for s in samples]
    y_pred = [predicted[s.sample_id] for s in samples]
    labels = sorted(set(y_true))
    weighted = f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
    macro = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    print(
        f"\nEmoryNLP dev, 5 mappable labels ({len(samples)} utterances): weighted F1 {weighted:.3f}, macro {macro:.3f}"
    )
    assert weighted > f1_score(y_true, ["neutral"] * len(y_true), labels=labels, average="weighted", zero_division=0)


def _fed_turns(context):
    return [re.sub(r"^(User|System):\s*", "", line).strip() for line in context.split("\n") if line.strip()]


def test_coherence_calibrated_against_fed_ratings(shared_data):
    import emoeval
    from emoeval.stats.calibrate import calibrate

    items = json.loads((shared_data("ratings_fed_dialogue") / "fed_data.json").read_text())
    turn_level = [(f"fed-{i:03d}", item) for i, item in enumerate(items) if "response" in item]
    samples = [
        Sample(sid, item["system"], "text", text=re.sub(r"^System:\s*", "", item["response"]).strip(),
               context=tuple(_fed_turns(item["context"])))
        for sid, item in turn_level
    ]  # fmt: skip
    results = emoeval.score(samples, metrics=["text_coherence"], progress=False)
    values = results.table[results.table["scope"] == "sample"].pivot(
        index="sample_id", columns="sub_metric", values="value"
    )
    lines = [f"\nFED turn level ({len(samples)} responses): Spearman of text_coherence with mean human rating"]
    measured = {}
    for quality in ("Relevant", "Semantically appropriate", "Overall"):
        ratings = pd.DataFrame(
            [{"sample_id": sid, "rater": f"annotator-{k}", "rating": r}
             for sid, item in turn_level for k, r in enumerate(item["annotations"][quality])]
        )  # fmt: skip
        for sub in ("last_turn", "history"):
            result = calibrate(results, ratings, metric="text_coherence", sub_metric=sub, level="utterance")
            row = result.table[(result.table["level"] == "utterance") & (result.table["statistic"] == "srcc")].iloc[0]
            # independent recomputation from the raw JSON
            mos = {sid: np.mean([r for r in item["annotations"][quality] if isinstance(r, int | float)])
                   for sid, item in turn_level}  # fmt: skip
            ids = sorted(mos)
            expected = stats.spearmanr([values.loc[i, sub] for i in ids], [mos[i] for i in ids]).statistic
            assert row["value"] == pytest.approx(expected, abs=1e-9)
            assert row["ci_low"] < row["value"] < row["ci_high"]
            measured[(quality, sub)] = row["value"]
            lines.append(f"  {quality:25s} {sub:9s} {row['value']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]")
    print("\n".join(lines))
    # measured: Relevant 0.201 (last turn) / 0.217 (history); weak but positive, as embedding metrics are
    assert measured[("Relevant", "last_turn")] == pytest.approx(0.201, abs=0.02)
    assert measured[("Relevant", "history")] == pytest.approx(0.217, abs=0.02)
    assert measured[("Overall", "history")] > 0.1


def test_text_probe_fitted_on_meld_dev_and_applied_to_emorynlp(shared_data, tmp_path):
    """The probe route (a): fit on MELD dev with the CLI (stratified 5-fold report), score EmoryNLP dev with it."""
    from click.testing import CliRunner
    from sklearn.metrics import f1_score

    import emoeval
    from emoeval.cli import main

    meld = _rows(shared_data("dialogue_meld") / "dev_sent_emo.csv")
    table = tmp_path / "meld_dev.csv"
    pd.DataFrame(
        {"text": [r["Utterance"] for r in meld], "emotion": [normalize_label(r["Emotion"], "meld") for r in meld]}
    ).to_csv(table, index=False)
    probe = tmp_path / "probe"
    cache = ["--models-dir", str(tmp_path / "models")]
    result = CliRunner().invoke(
        main, ["models", "fit-emotion-probe", str(table), "--model", "text-emotion-probe", "--out", str(probe), *cache]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((probe / "probe.json").read_text())["report"]["cross_validation"]
    assert report["scheme"].startswith("stratified 5-fold")
    labels = report["labels"]
    truth = [normalize_label(r["Emotion"], "meld") for r in meld]
    oof = np.asarray(report["oof_probabilities"])
    out_of_fold = [labels[i] for i in oof.argmax(axis=1)]
    weighted_cv = f1_score(truth, out_of_fold, labels=sorted(set(truth)), average="weighted", zero_division=0)
    assert report["accuracy"] == pytest.approx(np.mean([t == p for t, p in zip(truth, out_of_fold, strict=True)]))

    rows = [
        r for r in _rows(shared_data("dialogue_meld") / "emorynlp_dev_final.csv") if r["Emotion"].lower() in EMORYNLP
    ]
    samples = [
        Sample(f"emory-{i}", "emorynlp", "text", text=r["Utterance"], target_emotion=EMORYNLP[r["Emotion"].lower()])
        for i, r in enumerate(rows)
    ]
    results = emoeval.score(
        samples, metrics=["text_emotion_accuracy_probe"], emotion_reference=probe, progress=False, use_cache=False
    )
    scored = results.table[(results.table["scope"] == "sample") & (results.table["sub_metric"] == "correct")]
    predicted = scored.set_index("sample_id")["label"].to_dict()
    y_true = [s.target_emotion for s in samples]
    y_pred = [predicted[s.sample_id] for s in samples]
    weighted = f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="weighted", zero_division=0)
    system = results.table[(results.table["scope"] == "system") & (results.table["sub_metric"] == "weighted_f1")]
    assert system["value"].iloc[0] == pytest.approx(weighted)
    print(
        f"\ntext probe on MiniLM, fitted on MELD dev ({len(meld)} utterances): {report['scheme']} accuracy "
        f"{report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f}, weighted F1 {weighted_cv:.3f}; "
        f"applied to EmoryNLP dev ({len(samples)} utterances, 5 labels): weighted F1 {weighted:.3f}"
    )
    majority = f1_score(truth, ["neutral"] * len(truth), labels=sorted(set(truth)), average="weighted")
    assert weighted_cv > majority + 0.1
    # measured: cross-validated weighted F1 0.450 (zero-shot 0.417), EmoryNLP transfer 0.382 (zero-shot 0.397)
    assert weighted_cv == pytest.approx(0.450, abs=0.02)
    assert weighted == pytest.approx(0.382, abs=0.02)
