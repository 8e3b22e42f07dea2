"""Failure signatures on real data (../shared/data; skipped when it is absent).

- Faces (London set, CC BY 4.0): the real smiles are not collapsed, one smile returned for every person is;
  a neutral→smile cross-fade asked for at four intensity levels is controllable, a system that returns the full
  smile whatever the level is not; a smile moves the expression features away from the person's neutral photo.
- Text (MELD dev): a generic responder (four stock replies) is collapsed and muted next to the human replies.
- Speech (EmoDB): the prosodic intensity ranks high-arousal emotions above low-arousal ones, and one clip
  returned for every item is collapsed.
- CREMA-D: the crowd's rated intensity follows the intensity level actors were asked for, computed through
  emoeval's controllability statistics and checked against scipy.

Every statistic is checked against a direct computation on the same numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pytestmark = pytest.mark.shared_data

#: the README's "Failure signatures" figures, as it writes them
README_FIGURES = {
    "smiles_vendi": "Vendi ratio 1.00 [0.89, 1.11]",
    "collapsed_vendi": "every person 0.05 (flagged)",
    "fade_spearman": "Spearman 0.63\n  [0.55, 0.77]",
    "deaf_spearman": "whatever the level\n  gives 0.00",
    "generic_vendi": "Vendi ratio 0.17",
    "generic_intensity": "target probability of 0.01 against the humans' 0.37",
    "emodb_auc": "(AUC 1.00)",
    "cremad_spearman": "Spearman 0.25\n  [0.20, 0.30]",
}


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


def _system_value(table: pd.DataFrame, metric: str, sub_metric: str, system: str, emotion: str | None = None):
    rows = table[
        (table["scope"] == "system")
        & (table["metric"] == metric)
        & (table["sub_metric"] == sub_metric)
        & (table["system"] == system)
    ]
    rows = rows[rows["target_emotion"].isna()] if emotion is None else rows[rows["target_emotion"] == emotion]
    assert len(rows) == 1, (metric, sub_metric, system, emotion, rows)
    return rows.iloc[0]


# -- faces ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def london_run(tmp_path_factory, pool):
    pytest.importorskip("dlib", reason="the face models")
    from PIL import Image

    import emoeval

    root = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces_london"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared real-data folder sits beside the repository, not in it")
    out = tmp_path_factory.mktemp("london-signatures")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    photo = {(r.identity, r.expression): root / r.file for r in labels.itertuples()}
    people = sorted(labels["identity"].unique())
    rows = [
        {"sample_id": f"real_{i}_{e}", "system": "real", "modality": "face", "path": photo[i, e],
         "target_emotion": e, "group": i}
        for i in people for e in ("neutral", "happy")
    ]  # fmt: skip
    one_smile = photo[people[0], "happy"]
    for person in people:
        neutral, happy = photo[person, "neutral"], photo[person, "happy"]
        common = {"modality": "face", "target_emotion": "happy", "group": person, "reference": neutral}
        rows.append({**common, "sample_id": f"smile_{person}", "system": "smiles", "path": happy})
        rows.append({**common, "sample_id": f"collapsed_{person}", "system": "collapsed", "path": one_smile})
        rows.append({**common, "sample_id": f"copy_{person}", "system": "source_copy", "path": neutral})
    for person in people[:12]:  # the intensity knob: a cross-fade neutral → smile at four levels
        neutral = Image.open(photo[person, "neutral"]).convert("RGB")
        happy = Image.open(photo[person, "happy"]).convert("RGB").resize(neutral.size)
        for level, alpha in enumerate((0.25, 0.5, 0.75, 1.0), start=1):
            path = out / f"fade_{person}_{level}.png"
            Image.blend(neutral, happy, alpha).save(path)
            common = {"modality": "face", "target_emotion": "happy", "group": person, "intensity": level}
            rows.append({**common, "sample_id": f"fade_{person}_{level}", "system": "fade", "path": path})
            rows.append(
                {
                    **common,
                    "sample_id": f"deaf_{person}_{level}",
                    "system": "ignores_knob",
                    "path": photo[person, "happy"],
                }
            )
    manifest = out / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    results = emoeval.score(
        manifest,
        metrics=["failure_signatures", "face_emotion_accuracy"],
        real_system="real",
        progress=False,
        use_cache=False,
        n_bootstrap=300,
        model_pool=pool,
    )
    return results.table


def test_london_collapse_is_flagged_and_real_smiles_are_not(london_run, readme_says):
    from emoeval.signatures import signature_verdicts

    table = london_run
    smiles = _system_value(table, "face_emotion_diversity", "vendi_ratio", "smiles")
    collapsed = _system_value(table, "face_emotion_diversity", "vendi_ratio", "collapsed")
    print(f"\nVendi ratio: smiles {smiles.value:.3f} [{smiles.ci_low:.3f}, {smiles.ci_high:.3f}], collapsed "
          f"{collapsed.value:.3f}")  # fmt: skip
    assert smiles.ci_low < 1.0 < smiles.ci_high or smiles.value == pytest.approx(1.0)  # the real smiles themselves
    readme_says(
        README_FIGURES["smiles_vendi"], f"Vendi ratio {smiles.value:.2f} [{smiles.ci_low:.2f}, {smiles.ci_high:.2f}]"
    )
    readme_says(README_FIGURES["collapsed_vendi"], f"every person {collapsed.value:.2f} (flagged)")
    assert collapsed.value < 0.1  # one face: Vendi score 1 against ~20 effective real smiles
    assert _system_value(table, "face_emotion_diversity", "collapsed_share", "collapsed").value == 1.0
    assert _system_value(table, "face_emotion_diversity", "diversity_ratio", "collapsed").value == 0.0
    # four cross-fades of one person (the fade system's groups) are closer together than real smiles of
    # different people: the within-source spread is reported, and is below the reference's per-emotion spread
    within = _system_value(table, "face_emotion_diversity", "within_group_ratio", "fade")
    assert 0.0 < within.value < 1.0
    verdicts = {(v.system, v.rule.signature): v.verdict for v in signature_verdicts(table)}
    assert verdicts["collapsed", "mode collapse"] == "flagged"
    assert verdicts["smiles", "mode collapse"] == "not seen"
    assert verdicts["collapsed", "narrow affect range"] == "flagged"


def test_london_intensity_equals_the_recognizers_target_probability_and_displacement_is_zero_for_a_copy(london_run):
    table = london_run
    samples = table[(table["scope"] == "sample") & table["error"].isna()]
    intensity = samples[samples["sub_metric"] == "intensity"].set_index("sample_id")["value"]
    accuracy = samples[samples["sub_metric"] == "target_probability"].set_index("sample_id")["value"]
    shared = intensity.index.intersection(accuracy.index)
    assert len(shared) > 60
    np.testing.assert_allclose(intensity[shared], accuracy[shared], rtol=0, atol=1e-12)  # one recognizer, one value
    moved = samples[samples["sub_metric"] == "displacement"].set_index("sample_id")["value"]
    copies = moved[moved.index.str.startswith("copy_")]
    smiles = moved[moved.index.str.startswith("smile_")]
    print(f"\nexpression displacement from the neutral photo: smile median {smiles.median():.3f}, copy max "
          f"{copies.max():.2e}")  # fmt: skip
    assert copies.abs().max() < 1e-6
    assert (smiles > copies.max() + 0.05).mean() >= 0.9


def test_london_controllability_separates_a_working_knob_from_one_that_does_nothing(london_run, readme_says):
    table = london_run
    samples = table[(table["scope"] == "sample") & table["error"].isna()]
    for system in ("fade", "ignores_knob"):
        own = samples[samples["system"] == system].pivot(index="sample_id", columns="sub_metric", values="value")
        direct = stats.spearmanr(own["requested_intensity"], own["intensity"]).statistic
        found = _system_value(table, "face_emotion_intensity", "control_spearman", system)
        assert found.value == pytest.approx(direct, abs=1e-12)
        print(f"\n{system}: Spearman {found.value:.3f} [{found.ci_low:.3f}, {found.ci_high:.3f}]")
    fade = _system_value(table, "face_emotion_intensity", "control_spearman", "fade")
    deaf = _system_value(table, "face_emotion_intensity", "control_spearman", "ignores_knob")
    assert fade.value > 0.5 and fade.ci_low > 0.3
    assert abs(deaf.value) < 0.05
    readme_says(README_FIGURES["fade_spearman"], f"Spearman {fade.value:.2f} [{fade.ci_low:.2f}, {fade.ci_high:.2f}]")
    readme_says(README_FIGURES["deaf_spearman"], f"whatever the level gives {abs(deaf.value):.2f}")
    curve = table[(table["metric"] == "face_emotion_intensity") & (table["sub_metric"] == "control_curve")]
    fade_curve = curve[(curve["system"] == "fade") & curve["target_emotion"].isna()].sort_values("label")
    assert list(fade_curve["label"]) == ["1", "2", "3", "4"]
    assert np.all(np.diff(fade_curve["value"].to_numpy()) > 0)  # a smile that grows with the level


# -- text -----------------------------------------------------------------------------------------------------------


def test_meld_generic_responder_is_collapsed_and_muted(shared_data, pool, tmp_path, readme_says):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    import emoeval
    from emoeval.labels import normalize_label

    meld = pd.read_csv(shared_data("dialogue_meld") / "dev_sent_emo.csv")
    meld = meld[meld["Emotion"].isin(["joy", "sadness", "anger", "surprise"])].head(120)
    stock = ["I see.", "Okay.", "That's interesting.", "Right."]
    rows = []
    for i, row in enumerate(meld.itertuples()):
        emotion = normalize_label(row.Emotion)
        rows.append({"sample_id": f"h{i}", "system": "human", "modality": "text", "text": row.Utterance,
                     "target_emotion": emotion})  # fmt: skip
        rows.append({"sample_id": f"g{i}", "system": "generic", "modality": "text", "text": stock[i % 4],
                     "target_emotion": emotion})  # fmt: skip
    manifest = tmp_path / "meld.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    table = emoeval.score(
        manifest, metrics=["failure_signatures"], real_system="human", progress=False, use_cache=False,
        n_bootstrap=300, model_pool=pool,
    ).table  # fmt: skip
    generic = _system_value(table, "text_emotion_diversity", "vendi_ratio", "generic")
    human_intensity = _system_value(table, "text_emotion_intensity", "intensity", "human")
    generic_intensity = _system_value(table, "text_emotion_intensity", "intensity", "generic")
    print(f"\nMELD generic responder: Vendi ratio {generic.value:.3f}; target probability human "
          f"{human_intensity.value:.3f} vs generic {generic_intensity.value:.3f}")  # fmt: skip
    assert generic.value < 0.5 and generic.ci_high < 0.5
    assert generic_intensity.ci_high < human_intensity.ci_low
    readme_says(README_FIGURES["generic_vendi"], f"Vendi ratio {generic.value:.2f}")
    readme_says(
        README_FIGURES["generic_intensity"],
        f"target probability of {generic_intensity.value:.2f} against the humans' {human_intensity.value:.2f}",
    )
    # VADER magnitude: the metric's values equal vaderSentiment's own
    analyzer = SentimentIntensityAnalyzer()
    samples = table[(table["scope"] == "sample") & (table["sub_metric"] == "lexicon_intensity")]
    texts = dict(zip([r["sample_id"] for r in rows], [r["text"] for r in rows], strict=True))
    direct = [abs(analyzer.polarity_scores(texts[s])["compound"]) for s in samples["sample_id"]]
    np.testing.assert_allclose(samples["value"], direct, atol=1e-12)
    lexicon = samples.groupby("system")["value"].mean()
    assert lexicon["generic"] < lexicon["human"]


# -- speech ---------------------------------------------------------------------------------------------------------


def test_emodb_intensity_ranks_arousal_and_a_single_clip_is_collapsed(shared_data, pool, tmp_path, readme_says):
    pytest.importorskip("faster_whisper", reason="the speech probe needs the Whisper encoder")
    from sklearn.metrics import roc_auc_score

    import emoeval
    from emoeval.labels import normalize_label

    emodb = shared_data("speech_emodb")
    clips = list(csv.DictReader((emodb / "labels.csv").open()))
    rows = []
    for row in clips:
        emotion = normalize_label(row["emotion"])
        common = {"modality": "speech", "target_emotion": emotion, "group": row["file"]}
        rows.append({**common, "sample_id": row["file"], "system": "emodb", "path": emodb / row["file"]})
        rows.append(
            {**common, "sample_id": "one_" + row["file"], "system": "one_clip", "path": emodb / clips[0]["file"]}
        )
    manifest = tmp_path / "emodb.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    table = emoeval.score(
        manifest,
        metrics=["speech_emotion_intensity", "speech_emotion_diversity", "speech_arousal_proxy"],
        real_system="emodb",
        emotion_reference=emodb / "labels.csv",
        progress=False,
        use_cache=False,
        n_bootstrap=200,
        model_pool=pool,
    ).table
    samples = table[(table["scope"] == "sample") & table["error"].isna() & (table["system"] == "emodb")]
    proxy = samples[samples["metric"] == "speech_emotion_intensity"]
    proxy = proxy[proxy["sub_metric"] == "arousal_proxy"].set_index("sample_id")["value"]
    reference = samples[samples["metric"] == "speech_arousal_proxy"]
    reference = reference[reference["sub_metric"] == "arousal_proxy"].set_index("sample_id")["value"]
    np.testing.assert_allclose(proxy.sort_index(), reference[proxy.index].sort_index(), atol=1e-12)
    target = samples.drop_duplicates("sample_id").set_index("sample_id")["target_emotion"]
    high, low = ("angry", "happy", "fear"), ("sad", "boredom")  # neutral targets have no intensity
    chosen = proxy[target[proxy.index].isin(high + low)]
    auc = roc_auc_score(target[chosen.index].isin(high), chosen)
    print(f"\nEmoDB prosodic intensity, high vs low arousal emotions: AUC {auc:.3f}")
    assert auc >= 0.8
    readme_says(README_FIGURES["emodb_auc"], f"(AUC {auc:.2f})")
    # EmoDB here has 1–4 clips per emotion: the emotions with two or more are judged, and all of them collapse
    collapsed = _system_value(table, "speech_emotion_diversity", "collapsed_share", "one_clip")
    assert collapsed.value == 1.0
    assert _system_value(table, "speech_emotion_diversity", "diversity_ratio", "one_clip").value == 0.0


# -- CREMA-D: requested intensity level vs the crowd's rated intensity ------------------------------------------------


def test_cremad_rated_intensity_follows_the_requested_level(shared_data, readme_says):
    from emoeval.functional.control import controllability

    summary = pd.read_csv(shared_data("ratings_cremad") / "summaryTable.csv")
    parts = summary["FileName"].str.split("_", expand=True)
    summary = summary.assign(actor=parts[0], emotion=parts[2], level=parts[3])
    graded = summary[summary["level"].isin(["LO", "MD", "HI"]) & (summary["emotion"] != "NEU")].copy()
    graded["requested"] = graded["level"].map({"LO": 1, "MD": 2, "HI": 3})
    graded["rated"] = pd.to_numeric(graded["MultiModalLevel"], errors="coerce")
    graded = graded.dropna(subset=["rated"])
    sources = list(graded["actor"] + "/" + graded["emotion"])
    result = controllability(graded["requested"], graded["rated"], sources, n_resamples=500, seed=0)
    direct = stats.spearmanr(graded["requested"], graded["rated"]).statistic
    print(f"\nCREMA-D ({len(graded)} clips): Spearman {result.spearman:.3f} [{result.spearman_ci[0]:.3f}, "
          f"{result.spearman_ci[1]:.3f}], violations {result.violation_rate:.3f}; curve {result.curve}")  # fmt: skip
    assert result.spearman == pytest.approx(direct, abs=1e-12)
    assert result.kendall == pytest.approx(stats.kendalltau(graded["requested"], graded["rated"]).statistic)
    assert result.spearman_ci[0] > 0  # actors' requested levels are heard and seen
    readme_says(
        README_FIGURES["cremad_spearman"],
        f"Spearman {result.spearman:.2f} [{result.spearman_ci[0]:.2f}, {result.spearman_ci[1]:.2f}]",
    )
    assert result.curve[0] < result.curve[1] < result.curve[2]
