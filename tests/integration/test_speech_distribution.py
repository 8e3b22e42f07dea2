"""Fréchet speech distances on real EmoDB recordings: ≈ 0 against themselves, growing with added noise, and equal
to a direct scipy computation on the same embeddings."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("soundfile")

EMODB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech_emodb"
METRICS = [("speech_speaker_fd", "resemblyzer-ge2e"), ("speech_fd", "whisper-tiny-en-encoder")]
#: the results label of each metric name (an old name runs the metric it now is, under that label)
LABELS = {"speech_speaker_fd": "speech_fd(embedder=resemblyzer-ge2e)"}
SNRS_DB = (30, 10, 0)


def scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # fewer recordings than dimensions: singular covariances, as expected
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(covmean)))


@pytest.fixture(scope="module")
def noisy_sets(tmp_path_factory) -> dict[str, list[Path]]:
    """EmoDB's 20 recordings, and copies with white noise at 30, 10 and 0 dB SNR (seeded)."""
    import soundfile

    if not EMODB.is_dir():
        pytest.skip(f"{EMODB} is absent: the shared real-data folder sits beside the repository, not in it")
    clean = sorted((EMODB / "audio").glob("*.wav"))
    root = tmp_path_factory.mktemp("noisy")
    sets = {"clean": clean}
    rng = np.random.default_rng(0)
    for snr in SNRS_DB:
        folder = root / f"snr{snr}"
        folder.mkdir()
        paths = []
        for path in clean:
            audio, rate = soundfile.read(path, dtype="float64")
            noise = rng.standard_normal(audio.shape)
            noise *= np.sqrt(np.mean(audio**2) / np.mean(noise**2) / 10 ** (snr / 10))
            out = folder / path.name
            soundfile.write(out, np.clip(audio + noise, -1, 1), rate)
            paths.append(out)
        sets[f"snr{snr}"] = paths
    return sets


@pytest.mark.parametrize(("metric", "model"), METRICS)
def test_fd_is_zero_on_itself_grows_with_noise_and_equals_scipy(
    metric, model, noisy_sets, tmp_path, offline_model_pool
):
    from emoeval import score
    from emoeval.reference_models.base import ModelInput
    from emoeval.samples import Sample

    real = noisy_sets["clean"][0].parent
    samples = [
        Sample(sample_id=f"{system}/{path.stem}", system=system, modality="speech", path=path)
        for system, paths in noisy_sets.items()
        for path in paths
    ]
    results = score(
        samples,
        metrics=[metric],
        real=real,
        progress=False,
        cache_dir=tmp_path / "cache",
        model_pool=offline_model_pool,  # the session's: the embedder loads once (conftest.py)
    )
    table = results.table
    label = LABELS.get(metric, metric)
    overall = table[(table["metric"] == label) & table["target_emotion"].isna() & (table["scope"] == "system")]
    values = dict(zip(overall["system"], overall["value"], strict=True))
    print(f"\n{metric}: " + ", ".join(f"{system} {value:.3f}" for system, value in values.items()))
    assert 0.0 <= values["clean"] <= 1e-6 * max(values.values())
    assert values["clean"] < values["snr30"] < values["snr10"] < values["snr0"]
    if metric == "speech_fd":  # the README: "grows with noise (3.2 / 15.8 / 36.3 at 30 / 10 / 0 dB SNR)"
        for system, figure in {"snr30": 3.2, "snr10": 15.8, "snr0": 36.3}.items():
            assert values[system] == pytest.approx(figure, abs=0.05 + 1e-9), system

    # the same value from the embeddings by hand (scipy sqrtm)
    encoder = offline_model_pool.get(model)

    def embed(paths: list[Path]) -> np.ndarray:
        items = [ModelInput(key=hashlib.sha256(p.read_bytes()).hexdigest(), path=p, data=p.read_bytes()) for p in paths]
        return np.stack(encoder.infer([encoder.prepare(item) for item in items])).astype(np.float32).astype(np.float64)

    reference = embed(noisy_sets["clean"])
    direct = scipy_frechet(embed(noisy_sets["snr10"]), reference)
    assert values["snr10"] == pytest.approx(direct, rel=1e-4)
