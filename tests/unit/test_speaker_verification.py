"""EER/minDCF of speaker similarity, and the speechbrain ECAPA plug-in on a tiny model folder built here.

No test touches the hub: the ECAPA folder holds a small ECAPA-TDNN with random weights written with
speechbrain's own save functions, in the hub repository's layout; pulls are served from 127.0.0.1.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from emoeval.errors import WeightError
from emoeval.metrics.speech.verification import trial_label, verification_errors

speechbrain = pytest.importorskip("speechbrain", reason="the ECAPA plug-in and EER/minDCF need speechbrain")
torch = pytest.importorskip("torch")

from emoeval.reference_models.base import ModelInput, ModelPool  # noqa: E402
from emoeval.reference_models.speechbrain_speaker import ECAPA_CARD, ECAPA_FILES, hub_cache_snapshots  # noqa: E402
from emoeval.reference_models.store import WeightStore  # noqa: E402

# -- EER and minDCF against a brute-force computation ------------------------------------------------------------


def brute_force(target: np.ndarray, nontarget: np.ndarray, p_target: float = 0.01) -> tuple[float, float]:
    """EER and minDCF from first principles: every threshold between/at the scores, accept if score > t.

    Rates are float32 counts / float32 totals as in speechbrain: when two thresholds are equally far from
    FAR = FRR, the rounding decides which one (and so which (FAR + FRR)/2) is the EER.
    """
    scores = np.unique(np.concatenate([target, nontarget]))
    thresholds = np.sort(np.concatenate([scores, (scores[:-1] + scores[1:]) / 2]))
    frr = np.array([np.float32((target <= t).sum()) / np.float32(len(target)) for t in thresholds])
    far = np.array([np.float32((nontarget > t).sum()) / np.float32(len(nontarget)) for t in thresholds])
    best = int(np.argmin(np.abs(far - frr)))
    eer = (far[best] + frr[best]) / 2
    dcf = np.min(frr * p_target + far * (1 - p_target))
    return float(eer), float(dcf)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eer_and_min_dcf_match_brute_force_and_roc(seed):
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(seed)
    target = rng.normal(0.7, 0.1, 40)
    nontarget = rng.normal(0.45, 0.12, 60)
    errors = verification_errors(target.tolist(), nontarget.tolist())
    eer, dcf = brute_force(target, nontarget)
    assert errors.eer == pytest.approx(eer, abs=1e-6)
    assert errors.min_dcf == pytest.approx(dcf, abs=1e-6)
    # an independent reading of the EER from scikit-learn's ROC: where FPR and FNR cross
    fpr, tpr, _ = roc_curve(np.r_[np.ones(40), np.zeros(60)], np.r_[target, nontarget], drop_intermediate=False)
    fnr = 1 - tpr
    crossing = int(np.argmin(np.abs(fnr - fpr)))
    assert errors.eer == pytest.approx((fpr[crossing] + fnr[crossing]) / 2, abs=1 / 40)
    assert (errors.n_target, errors.n_nontarget) == (40, 60)


def test_separable_scores_give_zero_errors_and_missing_trials_raise():
    errors = verification_errors([0.9, 0.8], [0.1, 0.2, 0.3])
    assert errors.eer == 0.0 and errors.min_dcf == 0.0
    with pytest.raises(ValueError, match="at least one same-speaker"):
        verification_errors([0.9], [])


def test_trial_labels():
    assert trial_label("TRUE") == trial_label(1) == trial_label("same") == "same_speaker"
    assert trial_label("no") == trial_label(0.0) == "different_speaker"
    assert trial_label(float("nan")) is None
    with pytest.raises(ValueError, match="neither true"):
        trial_label("maybe")


# -- a tiny ECAPA folder in the hub repository's layout -------------------------------------------------------------

HPARAMS = """\
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
out_n_neurons: 3
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [16, 16, 16, 16, 48]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 8
    lin_neurons: 24
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 24
    out_neurons: !ref <out_n_neurons>
mean_var_norm_emb: !new:speechbrain.processing.features.InputNormalization
    norm_type: global
    std_norm: False
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    mean_var_norm_emb: !ref <mean_var_norm_emb>
    classifier: !ref <classifier>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        mean_var_norm_emb: !ref <mean_var_norm_emb>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        mean_var_norm_emb: !ref <pretrained_path>/mean_var_norm_emb.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""


@pytest.fixture(scope="module")
def ecapa_folder(tmp_path_factory) -> Path:
    from hyperpyyaml import load_hyperpyyaml

    folder = tmp_path_factory.mktemp("ecapa")
    (folder / "hyperparams.yaml").write_text(HPARAMS)
    torch.manual_seed(0)
    hparams = load_hyperpyyaml(HPARAMS)
    torch.save(hparams["embedding_model"].state_dict(), folder / "embedding_model.ckpt")
    torch.save(hparams["classifier"].state_dict(), folder / "classifier.ckpt")
    norm = hparams["mean_var_norm_emb"]
    norm(torch.randn(8, 1, 24), torch.ones(8))  # accumulate global statistics so the file is not trivial
    norm._save(folder / "mean_var_norm_emb.ckpt")
    encoder = hparams["label_encoder"]
    encoder.update_from_iterable(["id001", "id002", "id003"])
    encoder.save(folder / "label_encoder.txt")
    return folder


def _item(path: Path) -> ModelInput:
    data = path.read_bytes()
    return ModelInput(key=hashlib.sha256(data).hexdigest(), path=path, data=data)


def test_plugin_loads_the_folder_offline_and_equals_speechbrain(ecapa_folder, demo_dir, tmp_path, monkeypatch):
    import soundfile
    import soxr
    from speechbrain.inference.speaker import EncoderClassifier

    from emoeval.reference_models.base import trust_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # hyperparams.yaml is code: a folder nobody trusted yet is refused, so trust it once (loads it and pins)
    trust_model(ECAPA_CARD.name, ecapa_folder, models_dir=tmp_path / "models")
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False, explicit={ECAPA_CARD.name: ecapa_folder}))
    model = pool.get(ECAPA_CARD.name)
    wavs = sorted((demo_dir / "speech").rglob("*.wav"))[:3]
    ours = model.infer([model.prepare(_item(path)) for path in wavs])

    direct = EncoderClassifier.from_hparams(
        source=str(ecapa_folder),
        savedir=str(tmp_path / "direct"),
        overrides={"pretrained_path": str(ecapa_folder)},
        run_opts={"device": "cpu"},
    )
    for path, embedding in zip(wavs, ours, strict=True):
        audio, rate = soundfile.read(path, dtype="float32")
        if audio.ndim > 1:
            audio = audio.mean(axis=1)
        audio = soxr.resample(audio, rate, 16000, quality="HQ").astype(np.float32) if rate != 16000 else audio
        with torch.no_grad():
            expected = direct.encode_batch(torch.from_numpy(audio).unsqueeze(0)).reshape(-1).double().numpy()
        assert embedding.shape == (24,)
        np.testing.assert_allclose(embedding, expected, rtol=1e-5, atol=1e-6)
    # pinned by the trust step: the hashes of the five files are recorded and in the model's provenance hash
    for name in ECAPA_FILES:
        pin = tmp_path / "models" / ECAPA_CARD.name / f"{name}.sha256"
        assert pin.read_text().split()[0] == hashlib.sha256((ecapa_folder / name).read_bytes()).hexdigest()
    assert len(model.weights_sha256) == 64


def test_a_broken_folder_fails_naming_the_files(ecapa_folder, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ECAPA_FILES:
        (broken / name).write_bytes((ecapa_folder / name).read_bytes())
    (broken / "embedding_model.ckpt").write_bytes(b"not a checkpoint")
    from emoeval.reference_models.base import trust_model

    # even trusted, the folder fails to load: the error names the files, and nothing is pinned
    with pytest.raises(WeightError, match=r"could not load the ECAPA model .*embedding_model\.ckpt"):
        trust_model(ECAPA_CARD.name, broken, models_dir=tmp_path / "models")
    assert not list((tmp_path / "models").rglob("*.sha256"))


def test_found_in_the_hugging_face_cache(ecapa_folder, tmp_path, monkeypatch):
    snapshot = tmp_path / "hub" / "models--speechbrain--spkrec-ecapa-voxceleb" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    for name in ECAPA_FILES:
        (snapshot / name).write_bytes((ecapa_folder / name).read_bytes())
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert hub_cache_snapshots() == [snapshot]
    resolved = WeightStore(tmp_path / "models", allow_network=False).resolve(ECAPA_CARD, "embedding_model.ckpt")
    assert resolved.source == "tool_cache" and resolved.path == snapshot / "embedding_model.ckpt"


@pytest.fixture
def hub_server(ecapa_folder, file_server):
    files = {f"/resolve/main/{name}": (ecapa_folder / name).read_bytes() for name in ECAPA_FILES}
    base, _ = file_server(files, "/resolve/main/")
    return base


def test_pull_from_a_local_server_then_score_trials_offline(hub_server, tmp_path, demo_dir, monkeypatch):
    import pandas as pd

    from emoeval import score
    from emoeval.registry import get_reference_model_class
    from emoeval.samples import read_manifest

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub"))
    card = replace(ECAPA_CARD, files=tuple(replace(f, url=hub_server + f.filename) for f in ECAPA_CARD.files))
    pulled = WeightStore(tmp_path / "models", allow_network=False).pull(card)
    assert {r.source for r in pulled} == {"download"}
    assert {r.path.name for r in pulled} == set(ECAPA_FILES)
    assert get_reference_model_class(ECAPA_CARD.name).card.name == ECAPA_CARD.name

    # trials: each converted utterance against its target-speaker reference (same) and another utterance (different)
    speech = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "speech" and s.reference]
    trials = []
    for index, sample in enumerate(speech):
        trials.append(replace(sample, sample_id=f"{sample.sample_id}/same", meta={"same_speaker": "yes"}))
        other = speech[(index + 1) % len(speech)]
        trials.append(
            replace(sample, sample_id=f"{sample.sample_id}/diff", reference=other.path, meta={"same_speaker": "no"})
        )
    results = score(
        trials,
        metrics=["speaker_similarity_ecapa", "speaker_similarity"],
        models_dir=tmp_path / "models",
        progress=False,
        use_cache=False,
    )
    table = results.table
    for metric in ("speaker_similarity(embedder=speechbrain-ecapa-voxceleb)", "speaker_similarity"):
        rows = table[(table["metric"] == metric) & table["sample_id"].notna() & (table["sub_metric"] == "cosine")]
        assert rows["error"].isna().all()
        assert set(rows["label"]) == {"same_speaker", "different_speaker"}
        for system, group in rows.groupby("system"):
            expected = verification_errors(
                group.loc[group["label"] == "same_speaker", "value"].tolist(),
                group.loc[group["label"] == "different_speaker", "value"].tolist(),
            )
            eer = table[(table["metric"] == metric) & (table["system"] == system) & (table["sub_metric"] == "eer")]
            assert len(eer) == 1 and eer["value"].iloc[0] == pytest.approx(expected.eer)
            assert pd.isna(eer["error"].iloc[0])
