"""The regression gate on real generator-like changes (../shared/data), with the real default models.

A degraded candidate must fail with the metric named; a noisy-but-equal candidate (re-encoded, resampled, a
rerun) must never be called ``regressed``; five samples with a real but small difference must say
``inconclusive`` with the minimum detectable effect. Baseline and candidate are scored into results folders
exactly as a CI job would (``emoeval score`` → ``emoeval gate``), sharing one model pool and the session's output
cache (a candidate's unchanged files — the neutral references, a swapped-in smile — are embedded once; the rerun
test scores into a fresh cache, so its zero differences come from recomputed embeddings).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.gate import run_gate
from emoeval.reference_models.base import ModelPool

#: people of the London set used (each: a neutral photo as the identity reference, a smiling photo as the output)
N_PEOPLE = 20


@pytest.fixture(scope="module")
def pool(offline_model_pool: ModelPool) -> ModelPool:
    """The session's offline model pool (conftest.py): the models this module shares with others load once."""
    return offline_model_pool


@pytest.fixture(scope="module")
def cache(shared_output_cache) -> Path:
    """The session's shared output cache (conftest.py; keyed by model, fingerprint and file content)."""
    return shared_output_cache


def _score(rows: list[dict], metrics: list[str], out: Path, pool: ModelPool, cache: Path) -> Path:
    emoeval.score(
        pd.DataFrame(rows), metrics=metrics, out=out, model_pool=pool, n_bootstrap=200, progress=False, cache_dir=cache
    )
    return out


def _verdicts(result) -> dict[tuple[str, str], str]:
    return {(v.metric, v.sub_metric): v.verdict for v in result.verdicts if v.target_emotion is None}


# -- faces ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def london(tmp_path_factory) -> dict[str, Path]:
    """Smiles and neutral photos of N_PEOPLE people, downscaled to 256 px (faces stay detectable, runs stay fast)."""
    from PIL import Image

    from tests.conftest import SHARED_DATA

    root = SHARED_DATA / "faces_london"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared real-data folder sits beside the repository, not in it")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    people = sorted(set(labels.identity))[:N_PEOPLE]
    folder = tmp_path_factory.mktemp("london")
    files: dict[str, Path] = {}
    for person in people:
        for expression in ("neutral", "happy"):
            source = root / "images" / f"{person}_{expression}.jpg"
            target = folder / f"{person}_{expression}.png"
            Image.open(source).convert("RGB").resize((256, 256), Image.Resampling.LANCZOS).save(target)
            files[f"{person}_{expression}"] = target
    return files


def _face_rows(london: dict[str, Path], folder: Path, variant: str, people: list[str] | None = None) -> list[dict]:
    """One sample per person: the smile (changed by ``variant``) against the person's neutral photo."""
    from PIL import Image, ImageFilter

    people = people or sorted({key.split("_")[0] for key in london})
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, person in enumerate(people):
        smile = Image.open(london[f"{person}_happy"])
        path = folder / f"{person}.png"
        if variant == "swapped":  # another person's smile: the identity is not preserved
            smile = Image.open(london[f"{people[(i + 1) % len(people)]}_happy"])
        elif variant == "jpeg95":
            path = folder / f"{person}.jpg"
            smile.save(path, quality=95)
        elif variant.startswith("blur"):
            smile = smile.filter(ImageFilter.GaussianBlur(float(variant[4:])))
        if not path.exists():
            smile.save(path)
        rows.append(
            {
                "sample_id": f"gen/{person}",
                "system": "gen",
                "modality": "face",
                "path": str(path),
                "reference": str(london[f"{person}_neutral"]),
                "target_emotion": "happy",
                "group": person,
            }
        )
    return rows


@pytest.fixture(scope="module")
def face_baseline(london, tmp_path_factory, pool, cache) -> Path:
    folder = tmp_path_factory.mktemp("face_baseline")
    rows = _face_rows(london, folder / "media", "original")
    return _score(rows, ["face_identity_similarity"], folder / "run", pool, cache)


def test_a_candidate_that_swaps_identities_regresses_with_the_metric_named(
    london, face_baseline, tmp_path, pool, cache
):
    rows = _face_rows(london, tmp_path / "media", "swapped")
    candidate = _score(rows, ["face_identity_similarity"], tmp_path, pool, cache)
    result = run_gate(candidate, face_baseline)
    verdicts = _verdicts(result)
    assert verdicts[("face_identity_similarity", "cosine")] == "regressed"
    assert not result.passed and result.exit_code == 1
    assert any("face_identity_similarity" in failure for failure in result.failures)
    assert "face_identity_similarity" in result.summary() and "regressed" in result.markdown()


def test_blurred_faces_lose_identity_and_fail_the_gate(london, face_baseline, tmp_path, pool, cache):
    rows = _face_rows(london, tmp_path / "media", "blur4")
    candidate = _score(rows, ["face_identity_similarity"], tmp_path, pool, cache)
    result = run_gate(candidate, face_baseline, policy={"margins": {"face_identity_similarity/cosine": {"abs": 0.01}}})
    assert _verdicts(result)[("face_identity_similarity", "cosine")] == "regressed"
    assert result.exit_code == 1


@pytest.mark.parametrize("variant", ["jpeg95", "original"], ids=["jpeg_q95", "rerun"])
def test_a_noisy_but_equal_candidate_is_never_called_regressed(variant, london, face_baseline, tmp_path, pool, cache):
    # the rerun embeds every file again (a fresh cache): its zero differences test the model, not the cache
    own_cache = tmp_path / "fresh-cache" if variant == "original" else cache
    rows = _face_rows(london, tmp_path / "media", variant)
    candidate = _score(rows, ["face_identity_similarity"], tmp_path, pool, own_cache)
    result = run_gate(candidate, face_baseline)
    verdicts = _verdicts(result)
    assert verdicts[("face_identity_similarity", "cosine")] in {"equivalent", "inconclusive"}
    assert "regressed" not in verdicts.values()
    assert result.passed and result.exit_code == 0
    if variant == "original":  # a rerun: every paired difference is exactly 0
        verdict = next(v for v in result.verdicts if v.sub_metric == "cosine" and v.target_emotion is None)
        assert verdict.verdict == "equivalent" and verdict.difference == 0.0


def test_five_samples_with_a_small_real_difference_are_inconclusive_with_the_mde(london, tmp_path, pool, cache):
    """Blur σ 1 lowers identity cosine by about 0.006 — regressed beyond a 0.003 margin on all 20 people; on 5
    people the same change cannot be told from the margin: inconclusive, with the MDE and the samples that would
    decide (measured: d −0.0065 on 20; on 5, d −0.0052, CI [−0.0080, −0.0026], MDE 0.0041, 10 samples needed)."""
    policy = {"margins": {"face_identity_similarity/cosine": {"abs": 0.003}}}
    all_people = sorted({key.split("_")[0] for key in london})
    metric = ["face_identity_similarity"]
    base_all = _score(_face_rows(london, tmp_path / "b", "original"), metric, tmp_path / "B", pool, cache)
    cand_all = _score(_face_rows(london, tmp_path / "c", "blur1.0"), metric, tmp_path / "C", pool, cache)
    everyone = next(v for v in run_gate(cand_all, base_all, policy=policy).verdicts if v.sub_metric == "cosine")
    assert everyone.verdict == "regressed"  # the change is real: on 20 people it is decided
    few = all_people[:5]
    base = _score(_face_rows(london, tmp_path / "b5", "original", few), metric, tmp_path / "B5", pool, cache)
    cand = _score(_face_rows(london, tmp_path / "c5", "blur1.0", few), metric, tmp_path / "C5", pool, cache)
    result = run_gate(cand, base, policy=policy)
    verdict = next(v for v in result.verdicts if v.sub_metric == "cosine" and v.target_emotion is None)
    print(
        f"20 people: {everyone.verdict}, d {everyone.difference:.4f}; 5: {verdict.verdict}, d {verdict.difference:.4f}"
    )
    assert verdict.n_pairs == 5 and verdict.verdict == "inconclusive"
    assert verdict.mde is not None and verdict.n_needed is not None and verdict.n_needed > 5
    # the README's figures
    assert everyone.difference == pytest.approx(-0.0065, abs=5e-4)
    assert verdict.mde == pytest.approx(0.0041, abs=5e-4) and verdict.n_needed == 10
    assert "inconclusive" in result.summary()


# -- speech -----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emodb(tmp_path_factory) -> list[tuple[str, np.ndarray, int]]:
    import soundfile as sf

    from tests.conftest import SHARED_DATA

    root = SHARED_DATA / "speech_emodb"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared real-data folder sits beside the repository, not in it")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    clips = []
    for file in labels["file"][:12]:
        audio, rate = sf.read(root / file, dtype="float64")
        clips.append((Path(file).stem, audio, rate))
    return clips


def _speech_rows(clips, folder: Path, variant: str) -> list[dict]:
    import soundfile as sf
    from scipy.signal import resample_poly

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    rows = []
    for stem, audio, rate in clips:
        out_rate = rate
        if variant == "noisy":  # white noise at 5 dB SNR
            noise = rng.standard_normal(audio.size)
            noise *= np.sqrt(np.mean(audio**2) / np.mean(noise**2) / 10 ** (5 / 10))
            audio = audio + noise
        elif variant == "resampled":  # to 24 kHz (EmoDB here is 22.05 kHz), as another vocoder's output rate would be
            out_rate = 24000
            common = math.gcd(out_rate, rate)
            audio = resample_poly(audio, out_rate // common, rate // common)
        path = folder / f"{stem}.wav"
        sf.write(path, np.clip(audio, -1, 1), out_rate, subtype="PCM_16")
        rows.append({"sample_id": f"tts/{stem}", "system": "tts", "modality": "speech", "path": str(path)})
    return rows


@pytest.fixture(scope="module")
def speech_baseline(emodb, tmp_path_factory, pool, cache) -> Path:
    folder = tmp_path_factory.mktemp("speech_baseline")
    return _score(_speech_rows(emodb, folder / "media", "clean"), ["speech_dnsmos"], folder / "run", pool, cache)


def test_noisy_speech_regresses_on_dnsmos(emodb, speech_baseline, tmp_path, pool, cache):
    candidate = _score(_speech_rows(emodb, tmp_path / "media", "noisy"), ["speech_dnsmos"], tmp_path, pool, cache)
    result = run_gate(candidate, speech_baseline)
    assert _verdicts(result)[("speech_dnsmos", "ovrl")] == "regressed"
    assert result.exit_code == 1 and any("speech_dnsmos" in failure for failure in result.failures)


def test_resampled_speech_is_not_called_regressed(emodb, speech_baseline, tmp_path, pool, cache):
    rows = _speech_rows(emodb, tmp_path / "media", "resampled")
    candidate = _score(rows, ["speech_dnsmos"], tmp_path, pool, cache)
    result = run_gate(candidate, speech_baseline)
    assert _verdicts(result)[("speech_dnsmos", "ovrl")] in {"equivalent", "inconclusive"}
    assert result.passed


# -- dialogue ---------------------------------------------------------------------------------------------------------


def _meld_rows(shared_data, generic: bool) -> list[dict]:
    frame = pd.read_csv(shared_data("dialogue_meld") / "dev_sent_emo.csv", encoding_errors="replace")
    frame = frame.sort_values(["Dialogue_ID", "Utterance_ID"]).head(60)
    return [
        {
            "sample_id": f"bot/{i}",
            "system": "bot",
            "modality": "text",
            "text": "I don't know." if generic else utterance,
            "target_emotion": emotion,
            "group": str(dialogue),
        }
        for i, (utterance, emotion, dialogue) in enumerate(
            zip(frame.Utterance, frame.Emotion, frame.Dialogue_ID, strict=True)
        )
    ]


def test_a_generic_responder_regresses_on_diversity_and_emotion(shared_data, tmp_path, pool, cache):
    metrics = ["text_distinct_n", "text_emotion_accuracy"]
    baseline = _score(_meld_rows(shared_data, generic=False), metrics, tmp_path / "base", pool, cache)
    candidate = _score(_meld_rows(shared_data, generic=True), metrics, tmp_path / "cand", pool, cache)
    result = run_gate(candidate, baseline)
    verdicts = _verdicts(result)
    assert verdicts[("text_distinct_n", "distinct_1")] == "regressed"  # a corpus output, from the saved draws
    assert verdicts[("text_emotion_accuracy", "correct")] == "regressed"
    assert result.exit_code == 1
    again = _score(_meld_rows(shared_data, generic=False), metrics, tmp_path / "again", pool, cache)
    rerun = run_gate(again, baseline)
    assert rerun.passed and "regressed" not in _verdicts(rerun).values()
