"""The speechbrain wav2vec2 IEMOCAP emotion plug-in on a tiny model folder built here; pulls from 127.0.0.1.

No test touches the hub: the folder holds a 1-layer wav2vec2 with random weights, saved with speechbrain's and
transformers' own functions in the hub repository's layout (hyperparams.yaml naming the
``huggingface_transformers`` lobe, a custom_interface.py written for the test with the hub interface's methods,
wav2vec2.ckpt, model.ckpt, label_encoder.txt) plus the backbone's config.json and preprocessor_config.json.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

speechbrain = pytest.importorskip("speechbrain", reason="the plug-in needs speechbrain: pip install 'emoeval[speech]'")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers", reason="speechbrain's wav2vec2 lobe needs transformers")

from emoeval.errors import WeightError  # noqa: E402
from emoeval.reference_models.base import ModelInput, ModelPool  # noqa: E402
from emoeval.reference_models.speechbrain_emotion import (  # noqa: E402
    BACKBONE_FILES,
    REPO_FILES,
    SPEECHBRAIN_EMOTION_CARD,
)
from emoeval.reference_models.store import WeightStore  # noqa: E402

NAME = SPEECHBRAIN_EMOTION_CARD.name

HPARAMS = """\
HPARAMS_NEEDED: ["encoder_dim", "out_n_neurons", "label_encoder", "softmax"]
MODULES_NEEDED: ["wav2vec2", "avg_pool", "output_mlp"]
wav2vec2_hub: facebook/wav2vec2-base
pretrained_path: speechbrain/emotion-recognition-wav2vec2-IEMOCAP
encoder_dim: 16
out_n_neurons: 4
wav2vec2: !new:speechbrain.lobes.models.huggingface_transformers.wav2vec2.Wav2Vec2
    source: !ref <wav2vec2_hub>
    output_norm: True
    freeze: True
    save_path: wav2vec2_checkpoints
avg_pool: !new:speechbrain.nnet.pooling.StatisticsPooling
    return_std: False
output_mlp: !new:speechbrain.nnet.linear.Linear
    input_size: !ref <encoder_dim>
    n_neurons: !ref <out_n_neurons>
    bias: False
model: !new:torch.nn.ModuleList
    - [!ref <output_mlp>]
modules:
    wav2vec2: !ref <wav2vec2>
    output_mlp: !ref <output_mlp>
    avg_pool: !ref <avg_pool>
softmax: !new:speechbrain.nnet.activations.Softmax
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        wav2vec2: !ref <wav2vec2>
        model: !ref <model>
        label_encoder: !ref <label_encoder>
    paths:
        wav2vec2: !ref <pretrained_path>/wav2vec2.ckpt
        model: !ref <pretrained_path>/model.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""

INTERFACE = '''
import torch
from speechbrain.inference.interfaces import Pretrained


class CustomEncoderWav2vec2Classifier(Pretrained):
    """wav2vec2 + average pooling, and a linear classifier (the hub interface's two methods)."""

    def encode_batch(self, wavs, wav_lens=None, normalize=False):
        if len(wavs.shape) == 1:
            wavs = wavs.unsqueeze(0)
        if wav_lens is None:
            wav_lens = torch.ones(wavs.shape[0], device=self.device)
        wavs, wav_lens = wavs.to(self.device).float(), wav_lens.to(self.device)
        outputs = self.mods.avg_pool(self.mods.wav2vec2(wavs), wav_lens)
        return outputs.view(outputs.shape[0], -1)

    def classify_batch(self, wavs, wav_lens=None):
        out_prob = self.hparams.softmax(self.mods.output_mlp(self.encode_batch(wavs, wav_lens)))
        score, index = torch.max(out_prob, dim=-1)
        return out_prob, score, index, self.hparams.label_encoder.decode_torch(index)
'''


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    from speechbrain.dataio.encoder import CategoricalEncoder
    from speechbrain.integrations.huggingface.wav2vec2 import Wav2Vec2
    from speechbrain.nnet.linear import Linear
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    base = tmp_path_factory.mktemp("sb_emotion")
    hf, folder = base / "hf_tiny", base / "folder"
    folder.mkdir()
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    Wav2Vec2Model(config).save_pretrained(hf)
    Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=False).save_pretrained(hf)
    lobe = Wav2Vec2(source=str(hf), save_path=str(base / "lobe"), output_norm=True, freeze=True)
    torch.save(lobe.state_dict(), folder / "wav2vec2.ckpt")
    output = Linear(input_size=16, n_neurons=4, bias=False)
    torch.nn.init.normal_(output.w.weight, std=2.0)
    torch.save(torch.nn.ModuleList([output]).state_dict(), folder / "model.ckpt")
    encoder = CategoricalEncoder()
    encoder.update_from_iterable(["neu", "ang", "hap", "sad"])
    encoder.save(folder / "label_encoder.txt")
    (folder / "hyperparams.yaml").write_text(HPARAMS)
    (folder / "custom_interface.py").write_text(INTERFACE)
    for name in BACKBONE_FILES:
        shutil.copy(hf / name, folder / name)
    return folder


def _item(path: Path) -> ModelInput:
    data = path.read_bytes()
    return ModelInput(key=hashlib.sha256(data).hexdigest(), path=path, data=data)


def _pool(models: Path, folder: Path | None = None) -> ModelPool:
    explicit = {NAME: folder} if folder is not None else {}
    return ModelPool(WeightStore(models, allow_network=False, explicit=explicit))


def _trusted_pool(models: Path, folder: Path) -> ModelPool:
    """The folder trusted once (hyperparams.yaml and custom_interface.py are code: an untrusted copy is refused),
    then a pool that loads it as any later run would."""
    from emoeval.reference_models.base import trust_model

    trust_model(NAME, folder, models_dir=models)
    return _pool(models, folder)


def _expected(folder: Path, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The recognizer by hand from the same files: transformers' Wav2Vec2Model, layer norms, mean, linear, softmax."""
    import torch.nn.functional as F
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    model = Wav2Vec2Model(Wav2Vec2Config.from_pretrained(folder / "config.json")).eval()
    state = torch.load(folder / "wav2vec2.ckpt", map_location="cpu", weights_only=True)
    model.load_state_dict({key.removeprefix("model."): value for key, value in state.items()})
    weight = torch.load(folder / "model.ckpt", map_location="cpu", weights_only=True)["0.w.weight"]
    with torch.no_grad():
        wav = torch.from_numpy(samples).unsqueeze(0)
        wav = F.layer_norm(wav, wav.shape[1:])  # preprocessor_config do_normalize
        hidden = model(wav, attention_mask=torch.ones_like(wav, dtype=torch.long)).last_hidden_state
        hidden = F.layer_norm(hidden, hidden.shape[1:])  # output_norm
        embedding = hidden.mean(dim=1)[0]
        probabilities = torch.softmax(embedding @ weight.T, dim=-1)
    return probabilities.double().numpy(), embedding.double().numpy()


def test_plugin_loads_the_folder_offline_and_equals_a_hand_computation(model_folder, demo_dir, tmp_path, monkeypatch):
    import soundfile
    import soxr

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # nothing may be written to the working folder
    model = _trusted_pool(tmp_path / "models", model_folder).get(NAME)
    assert model.labels == ("neutral", "angry", "happy", "sad")
    wavs = sorted((demo_dir / "speech").rglob("source.wav"))[:3]
    outputs = model.infer([model.prepare(_item(path)) for path in wavs])
    for path, output in zip(wavs, outputs, strict=True):
        audio, rate = soundfile.read(path, dtype="float32")
        audio = soxr.resample(audio, rate, 16000, quality="HQ").astype(np.float32) if rate != 16000 else audio
        probabilities, embedding = _expected(model_folder, audio)
        assert output.shape == (4 + 16,)
        # speechbrain's pooling adds Gaussian noise of at most 1e-4 to the mean (seeded by the plug-in)
        np.testing.assert_allclose(output[4:], embedding, atol=1.2e-4)
        np.testing.assert_allclose(output[:4], probabilities, rtol=5e-3, atol=1e-5)
    again = model.infer([model.prepare(_item(path)) for path in wavs])
    np.testing.assert_array_equal(np.vstack(again), np.vstack(outputs))  # deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]
    for name in (*REPO_FILES, *BACKBONE_FILES):  # every file pinned by the trust step
        pin = tmp_path / "models" / NAME / f"{name}.sha256"
        assert pin.read_text().split()[0] == hashlib.sha256((model_folder / name).read_bytes()).hexdigest()


def test_a_broken_folder_fails_naming_the_files(model_folder, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(model_folder, broken)
    (broken / "model.ckpt").write_bytes(b"not a checkpoint")
    from emoeval.reference_models.base import trust_model

    with pytest.raises(WeightError, match=r"could not load the emotion recognizer .*model\.ckpt"):
        trust_model(NAME, broken, models_dir=tmp_path / "models")
    assert not list((tmp_path / "models").rglob("*.sha256"))  # a failed load pins nothing


@pytest.fixture
def server(model_folder, file_server):
    payloads = {f"/files/{name}": (model_folder / name).read_bytes() for name in (*REPO_FILES, *BACKBONE_FILES)}
    base, requests = file_server(payloads, "/files/")
    return base, requests


def test_pull_downloads_pins_and_the_pulled_copy_loads(tmp_path, server, model_folder, monkeypatch):
    base, requests = server
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "no_hub_cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    card = replace(
        SPEECHBRAIN_EMOTION_CARD,
        files=tuple(replace(weight, url=base + weight.filename) for weight in SPEECHBRAIN_EMOTION_CARD.files),
    )
    models = tmp_path / "models"
    resolved = WeightStore(models, allow_network=False).pull(card)
    assert {r.source for r in resolved} == {"download"} and len(requests) == 7
    for weight in resolved:
        assert weight.sha256 == hashlib.sha256((model_folder / weight.path.name).read_bytes()).hexdigest()
        assert (models / NAME / f"{weight.path.name}.sha256").read_text().startswith(weight.sha256)
    # a later offline run resolves the pulled copies from the models folder and loads them
    model = _pool(models).get(NAME)
    assert {w.source for w in model.weights.values()} == {"models_dir"}
    assert model.labels == ("neutral", "angry", "happy", "sad")


def test_metrics_score_through_the_plugin_and_stay_out_of_default_runs(model_folder, demo_dir, tmp_path):
    from emoeval import score
    from emoeval.api import resolve_metrics
    from emoeval.metrics.emotion_scores import js_divergence
    from emoeval.samples import read_manifest

    samples = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "speech"]
    assert not any("speechbrain" in m.spec.name for m in resolve_metrics(None, samples, emotion_reference="x.csv"))
    pool = _trusted_pool(tmp_path / "models", model_folder)
    results = score(
        samples,
        metrics=["speech_emotion_accuracy_speechbrain", "speech_emotion_preservation_speechbrain"],
        progress=False,
        use_cache=False,
        n_bootstrap=50,
        model_pool=pool,
    )
    table = results.table
    rows = table[table["scope"] == "sample"]
    model = pool.get(NAME)
    accuracy = rows[rows["metric"] == "speech_emotion_accuracy(recognizer=speechbrain-emotion-iemocap)"]
    surprise = accuracy[accuracy["target_emotion"] == "surprise"]
    assert surprise["error"].str.startswith("not scorable").all() and len(surprise) == 2
    by_id = {s.sample_id: s for s in samples}
    for _, row in rows[(rows["sub_metric"] == "js_divergence")].iterrows():
        sample = by_id[row["sample_id"]]
        out, ref = model.infer([model.prepare(_item(sample.path)), model.prepare(_item(Path(sample.reference)))])
        assert row["value"] == pytest.approx(js_divergence(out[:4], ref[:4]), abs=1e-9)
    correct = accuracy[(accuracy["sub_metric"] == "correct") & accuracy["error"].isna()]
    assert len(correct) == 8 and set(correct["label"]) <= set(model.labels)
    assert table["model_sha256"].str.len().min() == 64
