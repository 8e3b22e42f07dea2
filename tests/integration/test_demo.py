"""The demo, end to end on the shipped real data and the offline default models.

The README quotes the demo's output (its headline table, row counts and report size) and the output of
``emoeval compare emoeval-demo --metric face_identity_similarity``; the constants below are those figures, with
the decimals the README states, so a change in any of them fails here until the README is updated.
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from emoeval.cli import main

#: (metric, output, system) -> (value, ci_low, ci_high, n): the headline table of the README's demo output.
#: text_emotion_accuracy is left to tests/integration/test_text_real.py's owner (its recognizer is changing).
README_HEADLINES = {
    ("face_identity_similarity", "cosine", "other_person_smile"): (0.845, 0.811, 0.879, 6),
    ("face_identity_similarity", "cosine", "real_smile"): (0.987, 0.984, 0.991, 6),
    ("speaker_similarity", "cosine", "emo_stargan"): (0.755, 0.696, 0.813, 5),
    ("speaker_similarity", "cosine", "source_unconverted"): (0.565, 0.532, 0.596, 5),
    ("speech_dnsmos", "ovrl", "emo_stargan"): (3.021, 2.827, 3.192, 5),
    ("speech_dnsmos", "ovrl", "source_unconverted"): (3.007, 2.871, 3.154, 5),
    ("speech_mcd", "mcd_db", "emo_stargan"): (6.705, 6.070, 7.298, 5),
    ("speech_mcd", "mcd_db", "source_unconverted"): (10.447, 9.595, 11.229, 5),
    ("text_coherence", "last_turn", "generic_responder"): (0.150, 0.099, 0.198, 8),
    ("text_coherence", "last_turn", "varied_responder"): (0.357, 0.274, 0.465, 8),
    ("text_distinct_n", "distinct_1", "generic_responder"): (0.205, 0.188, 0.222, 8),
    ("text_distinct_n", "distinct_1", "varied_responder"): (0.780, 0.683, 0.853, 8),
}
README_ROWS = {"sample": 160, "system": 148, "more_system_values": 134}
#: "report: emoeval-demo/report.html (679.0 kB, media 355.6 kB in 32 embedded image(s)/recording(s))": the page
#: changes with every report section, so its size and the media's are guarded within ±10 %; the count is exact.
README_REPORT_KB, README_MEDIA_KB, README_REPORT_MEDIA_FILES, REPORT_BAND = 679.0, 355.6, 32, 0.10
#: the README's `emoeval compare emoeval-demo --metric face_identity_similarity` output (4 decimals)
README_COMPARE = {
    "mean_a": 0.9874,
    "mean_b": 0.8449,
    "diff": 0.1425,
    "ci_low": 0.1084,
    "ci_high": 0.1769,
    "p_value": 0.03125,
    "p_adjusted": 0.03125,
}


def stated(decimals: int) -> float:
    """Tolerance for a figure stated to ``decimals`` decimals: the value must round to it."""
    return 0.5 * 10.0**-decimals + 1e-9


def test_demo_scores_every_sample_and_ranks_the_controls_below(demo_run, tmp_path, monkeypatch):
    # the session's cold `emoeval demo` run (conftest.py), shared with test_report_browser.py
    out, output = demo_run.out, demo_run.output
    assert demo_run.exit_code == 0, output
    print("\n" + output)
    assert "face_identity_similarity" in output
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["errors"] == 0
    assert run["inputs"]["n_samples"] == 38
    from emoeval import load_results

    systems = load_results(out).systems().set_index(["metric", "sub_metric", "system"]).sort_index().value
    identity = systems["face_identity_similarity", "cosine"]
    assert identity["real_smile"] > identity["other_person_smile"] + 0.05
    verified = systems["face_identity_similarity", "verified"]
    assert verified["real_smile"] == 1.0 and verified["other_person_smile"] == 0.0
    speaker_rows = load_results(out).samples().query("metric == 'speaker_similarity'")
    assert speaker_rows.warning.str.contains("24000 Hz").all()  # the 24 kHz conversions were resampled, on record
    speaker = systems["speaker_similarity", "cosine"]
    assert speaker["emo_stargan"] > speaker["source_unconverted"]
    distinct = systems["text_distinct_n", "distinct_2"]
    assert distinct["varied_responder"] > 2 * distinct["generic_responder"]
    # stock phrases carry neither the target emotion nor the context (measured 0.875 vs 0.125; 0.36 vs 0.15)
    emotion = systems["text_emotion_accuracy", "correct"]
    assert emotion["varied_responder"] >= emotion["generic_responder"] + 0.5
    coherence = systems["text_coherence", "last_turn"]
    assert coherence["varied_responder"] > coherence["generic_responder"] + 0.1

    _check_readme_figures(out, output)
    _check_readme_compare(out, tmp_path / "compare")

    # the same demo again, with the first run's output cache (into another folder: the first run's stays as it is)
    monkeypatch.setenv("EMOEVAL_CACHE_DIR", str(demo_run.cache))
    again = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0
    rerun = json.loads((tmp_path / "again" / "run.json").read_text())
    assert rerun["cache"]["misses"] == 0  # every model output came from the cache


def _check_readme_figures(out, output: str) -> None:
    """The README's demo output: headline values with intervals, row counts, the report's size and media."""
    from emoeval import load_results

    results = load_results(out)
    systems = results.systems()
    means = (
        systems[systems["statistic"].isin(["mean", "corpus"])]
        .set_index(["metric", "sub_metric", "system"])
        .sort_index()
    )
    for key, (value, low, high, n) in README_HEADLINES.items():
        row = means.loc[key]
        got = [row["value"], row["ci_low"], row["ci_high"]]
        np.testing.assert_allclose(got, [value, low, high], rtol=0, atol=stated(3), err_msg=str(key))
        assert row["n"] == n, key
    # "Read it as": a quarter of the lexical diversity; MCD 6.7 vs 10.4 dB at the same DNSMOS quality
    distinct = means.loc[("text_distinct_n", "distinct_1"), "value"]
    assert 0.2 < distinct["generic_responder"] / distinct["varied_responder"] < 0.3
    dnsmos = means.loc[("speech_dnsmos", "ovrl")]
    assert dnsmos.loc["emo_stargan", "ci_low"] < dnsmos.loc["source_unconverted", "value"]
    assert dnsmos.loc["source_unconverted", "value"] < dnsmos.loc["emo_stargan", "ci_high"]
    assert len(results.samples()) == README_ROWS["sample"] and len(systems) == README_ROWS["system"]
    assert f"{README_ROWS['more_system_values']} more system values" in output
    assert f"{README_ROWS['sample']} sample rows, {README_ROWS['system']} system rows" in output

    size = (out / "report.html").stat().st_size
    print(f"report.html: {size / 1000:.1f} kB (README {README_REPORT_KB} kB ± {REPORT_BAND:.0%})")
    assert abs(size / 1000 - README_REPORT_KB) <= REPORT_BAND * README_REPORT_KB
    (line,) = [line for line in output.splitlines() if line.startswith("report: ")]
    assert f"({size / 1000:.1f} kB, media " in line  # the printed size is the file's
    assert f" in {README_REPORT_MEDIA_FILES} embedded image(s)/recording(s)" in line
    media_kb = float(re.search(r"media ([0-9.]+) kB", line).group(1))
    assert abs(media_kb - README_MEDIA_KB) <= REPORT_BAND * README_MEDIA_KB


def _check_readme_compare(out, folder) -> None:
    """The README's `emoeval compare` example, its difference and exact p-value recomputed from the samples."""
    result = CliRunner().invoke(
        main, ["compare", str(out), "--metric", "face_identity_similarity", "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    print(result.output)
    (row,) = pd.read_csv(folder / "compare_face_identity_similarity.csv").to_dict(orient="records")
    assert (row["system_a"], row["system_b"], row["n_pairs"], row["better"]) == (
        "real_smile",
        "other_person_smile",
        6,
        "real_smile",
    )
    for name, value in README_COMPARE.items():
        assert row[name] == pytest.approx(value, abs=stated(5 if name.startswith("p_") else 4)), name
    assert "significance clusters: {real_smile} > {other_person_smile}" in result.output

    from emoeval import load_results

    samples = load_results(out).samples()
    cosine = samples[(samples["metric"] == "face_identity_similarity") & (samples["sub_metric"] == "cosine")]
    paired = cosine.pivot(index="group", columns="system", values="value")
    differences = (paired["real_smile"] - paired["other_person_smile"]).to_numpy()
    assert row["diff"] == pytest.approx(differences.mean(), abs=1e-12)
    # the exact two-sided sign-flip permutation p over all 2^6 sign patterns, enumerated here
    observed = abs(differences.mean())
    flips = [abs((differences * np.array(signs)).mean()) for signs in itertools.product((1, -1), repeat=6)]
    exact = np.mean([flip >= observed - 1e-12 for flip in flips])
    assert row["p_value"] == pytest.approx(exact, abs=1e-12)
    assert re.search(r"real_smile\s+0\.9874\s+6\s+6\s+1\s+1", result.output)
