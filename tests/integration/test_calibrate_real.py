"""Calibration on real human ratings: FED dialogue annotations and the EmoDB perception test.

No emoeval metric is involved: the "metric" is something real, cheap and independent of emoeval, so that the
calibration machinery is tested on real rating distributions (ties, N/A strings, unbalanced systems).

* FED (Mehri & Eskenazi 2020): human ratings = the 5 annotators' ``Overall`` score (0–4). Metric = length of the
  system's response in whitespace tokens (turn level) or the number of turns of the dialogue (dialogue level):
  independent of the annotators, and a known confound of dialogue quality judgements (longer answers tend to be
  judged more engaging). A second, non-independent metric is the mean ``Engaging`` rating of the same annotators,
  the strong-agreement case. The dialogue-level ``Error recovery`` ratings carry many ``"N/A (...)"`` strings.
* EmoDB (Burkhardt et al. 2005): per clip, % of 20 listeners who judged the clip natural (the "rating") against
  % who recognised the intended emotion (the "metric").
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emoeval.results import results_frame
from emoeval.stats.calibrate import CalibrationError, calibrate


@pytest.fixture
def fed(shared_data):
    items = json.loads((shared_data("ratings_fed_dialogue") / "fed_data.json").read_text())
    for index, item in enumerate(items):
        item["sample_id"] = f"fed-{index:03d}"
    return items


def long_ratings(items, quality):
    """Long-form raw ratings of one FED quality (strings such as 'N/A (...)' left as they are)."""
    return pd.DataFrame(
        [
            {"sample_id": item["sample_id"], "rater": f"annotator-{k}", "rating": rating}
            for item in items
            if quality in item["annotations"]
            for k, rating in enumerate(item["annotations"][quality])
        ]
    )


def sample_rows(items, metric, values, higher_is_better=True):
    return results_frame(
        [
            {"system": item["system"], "scope": "sample", "statistic": "value", "sample_id": item["sample_id"],
             "metric": metric, "sub_metric": metric, "value": value, "n": 1, "higher_is_better": higher_is_better}
            for item, value in zip(items, values, strict=True)
        ]
    )  # fmt: skip


def numeric_mean(ratings):
    numbers = [float(r) for r in ratings if isinstance(r, int | float)]
    return float(np.mean(numbers)) if numbers else None


def response_tokens(item):
    return float(len(item["response"].removeprefix("System: ").split()))


def check_against_scipy(result, items, values, quality):
    """Point estimates recomputed from the raw JSON with numpy/scipy (independent of the module)."""
    mos = {item["sample_id"]: numeric_mean(item["annotations"][quality]) for item in items}
    keep = [i for i, item in enumerate(items) if mos[item["sample_id"]] is not None]
    x = np.array([values[i] for i in keep])
    y = np.array([mos[items[i]["sample_id"]] for i in keep])
    systems = np.array([items[i]["system"] for i in keep])
    assert len(result.samples) == len(keep)
    for name, reference in (
        ("lcc", stats.pearsonr(x, y).statistic),
        ("srcc", stats.spearmanr(x, y).statistic),
        ("ktau", stats.kendalltau(x, y).statistic),
    ):
        assert result.value("utterance", name) == pytest.approx(reference, abs=1e-12)
    names = sorted(set(systems))
    xm = np.array([x[systems == s].mean() for s in names])
    ym = np.array([y[systems == s].mean() for s in names])
    assert result.value("system", "lcc") == pytest.approx(stats.pearsonr(xm, ym).statistic, abs=1e-12)
    assert result.value("system", "srcc") == pytest.approx(stats.spearmanr(xm, ym).statistic, abs=1e-12)
    # pairwise accuracy by hand: pairs of systems ordered alike by the metric and by the MOS
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names)) if ym[i] != ym[j]]
    direction = 1.0 if result.mapping["isotonic"].increasing else -1.0  # = higher_is_better when the table says
    agree = sum(np.sign(direction * (xm[i] - xm[j])) == np.sign(ym[i] - ym[j]) for i, j in pairs)
    assert result.value("system", "pairwise_accuracy") == pytest.approx(agree / len(pairs))


def test_fed_turn_level_overall_against_response_length(fed):
    turns = [item for item in fed if "response" in item]
    assert len(turns) == 375 and Counter(item["system"] for item in turns) == {
        "Mitsuku": 132,
        "Human": 123,
        "Meena": 120,
    }
    lengths = [response_tokens(item) for item in turns]
    ratings = long_ratings(fed, "Overall")  # all 500 items rated: the 125 dialogue-level ones have no score
    result = calibrate(sample_rows(turns, "response_tokens", lengths), ratings, metric="response_tokens", scale=(0, 4))
    print(f"\nFED turn level, Overall vs response length (tokens):\n{result.summary()}")
    check_against_scipy(result, turns, lengths, "Overall")
    assert len(result.unscored) == 125  # rated dialogue-level items, reported
    assert any("125 rated sample(s) have no response_tokens" in w for w in result.warnings)
    assert result.excluded_ratings.empty  # Overall holds no "N/A" strings in FED
    assert list(result.systems["system"]) == ["Human", "Meena", "Mitsuku"]
    assert not any("unbalanced" in w for w in result.warnings)


def test_fed_turn_level_overall_against_another_dimension(fed):
    """Mean Engaging rating as the "metric": same annotators, so agreement is optimistic — the strong case."""
    turns = [item for item in fed if "response" in item]
    engaging = [numeric_mean(item["annotations"]["Engaging"]) for item in turns]
    assert None not in engaging
    result = calibrate(
        sample_rows(turns, "engaging_mean", engaging), long_ratings(turns, "Overall"), metric="engaging_mean"
    )
    print(f"\nFED turn level, Overall vs mean Engaging rating:\n{result.summary()}")
    check_against_scipy(result, turns, engaging, "Overall")
    assert result.value("utterance", "lcc") > 0.3  # two dimensions of one judgement: clearly related
    assert result.mapping["isotonic"].cv_rmse < np.std([numeric_mean(t["annotations"]["Overall"]) for t in turns])


@pytest.mark.parametrize("quality,scale", [("Overall", (0, 4)), ("Error recovery", (0, 2))])
def test_fed_dialogue_level_with_na_strings(fed, tmp_path, quality, scale):
    dialogues = [item for item in fed if "response" not in item]
    turns = [float(len(item["context"].splitlines())) for item in dialogues]
    raw = long_ratings(dialogues, quality)
    path = tmp_path / "ratings.jsonl"
    raw.to_json(path, orient="records", lines=True)  # through the file reader, mixed ints and strings
    na_strings = [r for item in dialogues for r in item["annotations"][quality] if isinstance(r, str)]
    assert all(r.startswith("N/A") for r in na_strings)
    # whether more turns is better is not declared: the direction is inferred from the data (and warned about)
    results = sample_rows(dialogues, "dialogue_turns", turns, higher_is_better=None)
    result = calibrate(results, path, metric="dialogue_turns", scale=scale)
    print(f"\nFED dialogue level, {quality} vs number of turns ({len(na_strings)} N/A strings):\n{result.summary()}")
    assert len(result.excluded_ratings) == len(na_strings)
    assert result.excluded_ratings["reason"].str.match("not a number: ['\"]N/A").all()
    if na_strings:
        assert any(f"{len(na_strings)} of {len(raw)} ratings excluded ({len(na_strings)} not a number)" in w
                   for w in result.warnings)  # fmt: skip
    assert any("direction was taken from the sign" in w for w in result.warnings)
    all_na = sorted(item["sample_id"] for item in dialogues if numeric_mean(item["annotations"][quality]) is None)
    assert result.unrated == all_na
    check_against_scipy(result, dialogues, turns, quality)
    if quality == "Error recovery":
        assert len(na_strings) > 50
        n_ratings = result.samples.set_index("sample_id")["n_ratings"]
        some = next(item for item in dialogues if 0 < sum(isinstance(r, str) for r in item["annotations"][quality]) < 5)
        assert n_ratings[some["sample_id"]] == sum(not isinstance(r, str) for r in some["annotations"][quality])


def test_emodb_naturalness_against_recognition(shared_data):
    labels = pd.read_csv(shared_data("speech_emodb") / "labels.csv")
    labels["sample_id"] = labels["file"]
    ratings = labels.assign(rater="listener panel (20)", rating=labels["perception_naturalness_pct"])
    x, y = labels["perception_recognition_pct"].to_numpy(), labels["perception_naturalness_pct"].to_numpy()

    def rows(system_column):
        return results_frame(
            [
                {"system": str(row[system_column]), "scope": "sample", "statistic": "value",
                 "sample_id": row["sample_id"], "metric": "recognition_pct", "sub_metric": "recognition_pct",
                 "value": row["perception_recognition_pct"], "higher_is_better": True}
                for row in labels.to_dict(orient="records")
            ]
        )  # fmt: skip

    # the two speakers as "systems": 6 vs 14 clips (unbalanced), and fewer than 3 systems
    by_speaker = calibrate(rows("speaker"), ratings[["sample_id", "rater", "rating"]], metric="recognition_pct",
                           scale=(0, 100))  # fmt: skip
    print(f"\nEmoDB, naturalness % vs recognition % (systems = speakers):\n{by_speaker.summary()}")
    assert by_speaker.value("utterance", "lcc") == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert by_speaker.value("utterance", "ktau") == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    assert any("unbalanced design: systems have 6 to 14" in w for w in by_speaker.warnings)
    assert any("system level is skipped" in w for w in by_speaker.warnings)
    with pytest.raises(CalibrationError, match="at least 3 systems"):
        calibrate(rows("speaker"), ratings[["sample_id", "rater", "rating"]], metric="recognition_pct", level="system")
    # the seven emotions as "systems"
    by_emotion = calibrate(rows("emotion"), ratings[["sample_id", "rater", "rating"]], metric="recognition_pct")
    print(f"\nEmoDB, naturalness % vs recognition % (systems = emotions):\n{by_emotion.summary()}")
    means = labels.groupby("emotion")[["perception_recognition_pct", "perception_naturalness_pct"]].mean()
    reference = stats.spearmanr(means["perception_recognition_pct"], means["perception_naturalness_pct"]).statistic
    assert by_emotion.value("system", "srcc") == pytest.approx(reference, abs=1e-12)
    assert by_emotion.to_frame().query("level == 'system' and statistic == 'lcc'")["n"].item() == 7
