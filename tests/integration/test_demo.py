"""The demo, end to end on the shipped real data and the offline default models."""

from __future__ import annotations

import json

from click.testing import CliRunner

from emoeval.cli import main


def test_demo_scores_every_sample_and_ranks_the_controls_below(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "face_identity_similarity" in result.output
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

    again = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert again.exit_code == 0
    rerun = json.loads((out / "run.json").read_text())
    assert rerun["cache"]["misses"] == 0  # every model output came from the cache
