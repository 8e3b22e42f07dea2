"""The generation harness on real generators and real data: espeak-ng speaking the shipped sentences (the
command adapter; Debian package espeak-ng, installed by .ci/run), the London faces cross-faded towards their
own smile (a callable), and the templated responder (a module:function spec) — each run end to end into
`emoeval score` with the manifest the harness writes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import emoeval
from emoeval.generation import generate
from emoeval.generation.examples import ESPEAK_SPEC, morph_face

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(offline_model_pool):
    """The session's offline model pool: Whisper and FER load once for every module that uses them."""
    return offline_model_pool


def _calls(run) -> list[dict]:
    return [json.loads(line) for line in (run.folder / "calls.jsonl").read_text().splitlines()]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: apt-get install espeak-ng")
def test_espeak_ng_speaks_the_shipped_sentences_intelligibly(tmp_path, pool):
    run = generate("example:speech", ESPEAK_SPEC, tmp_path / "espeak", warmup=1, repeat=2, n_bootstrap=200)
    assert run.errors.empty
    calls = [c for c in _calls(run) if not c["warmup"]]
    assert len(calls) == 16
    for call in calls:  # the real-time factor is the call's latency over the audio it produced
        assert call["rtf"] == pytest.approx(call["latency_s"] / call["audio_s"], rel=1e-12)
        assert 1.0 < call["audio_s"] < 6.0
    scored = emoeval.score(
        run.manifest,
        metrics=["speech_intelligibility", "speech_prosody_descriptors"],
        model_pool=pool,
        n_bootstrap=0,
        progress=False,
    ).table
    wer = scored.query("scope == 'system' and metric == 'speech_intelligibility' and sub_metric == 'wer'").value
    print(f"\nespeak-ng + whisper-tiny-en: WER {float(wer.iloc[0]):.3f} over 8 sentences")
    assert float(wer.iloc[0]) < 0.25
    # the pitch column reaches the command: angry/happy prompts (pitch 70-80) speak higher than sad ones (30)
    f0 = scored.query("scope == 'sample' and sub_metric == 'f0_median_hz'").set_index("sample_id").value
    high = f0[[i for i in f0.index if i.startswith(("angry", "happy"))]]
    low = f0[[i for i in f0.index if i.startswith("sad")]]
    assert high.min() > low.max()


def test_faces_cross_faded_towards_their_smile_read_as_happy_in_proportion(tmp_path, pool):
    run = generate("example:faces", morph_face, tmp_path / "faces", n_bootstrap=0)
    assert run.errors.empty and len(run.manifest.read_text().splitlines()) == 12
    table = emoeval.score(
        run.manifest, metrics=["face_emotion_intensity"], model_pool=pool, n_bootstrap=0, progress=False
    ).table
    happy = table.query("scope == 'sample' and sub_metric == 'intensity'").set_index("sample_id").value
    full = happy[[i for i in happy.index if i.endswith("-100")]]
    half = happy[[i for i in happy.index if i.endswith("-050")]]
    print(f"\nFER happy probability: intensity 1.0 mean {full.mean():.2f}, 0.5 mean {half.mean():.2f}")
    assert full.mean() > half.mean()
    control = table.query("scope == 'system' and sub_metric == 'control_spearman'").value
    assert float(control.iloc[0]) > 0.3  # the requested intensity is what the recognizer sees grow


def test_the_templated_responder_answers_every_dialogue_context(tmp_path):
    run = generate("example:dialogue", "emoeval.generation.examples:templated_reply", tmp_path / "text", n_bootstrap=0)
    replies = [json.loads(line) for line in run.manifest.read_text().splitlines()]
    assert len(replies) == 8 and replies[0]["text"].startswith("I'm so sorry about")
    assert json.loads((run.folder / "run.json").read_text())["generation"]["generator"].endswith("templated_reply")
    assert np.isfinite(run.results.table.query("sub_metric == 'latency_p50_s'").value).all()
