"""A model folder handed to emoeval is verified before anything in it runs (emoeval issue 13, item 2).

speechbrain's ``hyperparams.yaml`` is code (HyperPyYAML's ``!apply``, ``!new``, ``!name`` call any Python
callable while the file loads) and ``custom_interface.py`` is a Python module: a folder given with
``--weights NAME=FOLDER`` (API ``weights={...}``) must not run them unless the user trusted them. These tests
build tiny speechbrain-style folders whose configuration leaves a marker file when it runs, and check that:

- an unpinned configuration file is refused before loading, naming the file (no marker, no pin);
- ``emoeval models trust`` loads the folder once and pins every file only after the load succeeded;
- a configuration changed after pinning, and a file that is not on the model's card, are refused before loading;
- a first load that fails pins nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from emoeval.errors import WeightError

speechbrain = pytest.importorskip("speechbrain", reason="the speechbrain plug-ins need speechbrain")
torch = pytest.importorskip("torch")

from emoeval.reference_models.base import ModelPool  # noqa: E402
from emoeval.reference_models.speechbrain_speaker import ECAPA_CARD, ECAPA_FILES  # noqa: E402
from emoeval.reference_models.store import WeightStore  # noqa: E402

NAME = ECAPA_CARD.name

# the layout of speechbrain/spkrec-ecapa-voxceleb's hyperparams.yaml, with a small network
HPARAMS = """\
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [8, 8, 8, 8, 24]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 4
    lin_neurons: 12
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 12
    out_neurons: 2
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


def payload(marker: Path) -> str:
    """A HyperPyYAML entry that runs a shell command when the file is loaded (the audit's example)."""
    return f'__pwned: !apply:os.system ["touch {marker}"]\n'


@pytest.fixture(scope="module")
def ecapa_folder(tmp_path_factory) -> Path:
    """A valid tiny ECAPA folder in the hub repository's layout (random weights, speechbrain's own savers)."""
    from hyperpyyaml import load_hyperpyyaml

    folder = tmp_path_factory.mktemp("ecapa_ok")
    (folder / "hyperparams.yaml").write_text(HPARAMS)
    torch.manual_seed(0)
    hparams = load_hyperpyyaml(HPARAMS)
    torch.save(hparams["embedding_model"].state_dict(), folder / "embedding_model.ckpt")
    torch.save(hparams["classifier"].state_dict(), folder / "classifier.ckpt")
    norm = hparams["mean_var_norm_emb"]
    norm(torch.randn(4, 1, 12), torch.ones(4))
    norm._save(folder / "mean_var_norm_emb.ckpt")
    encoder = hparams["label_encoder"]
    encoder.update_from_iterable(["a", "b"])
    encoder.save(folder / "label_encoder.txt")
    assert sorted(p.name for p in folder.iterdir()) == sorted(ECAPA_FILES)
    return folder


def _copy(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    return target


def _poison(folder: Path, marker: Path) -> None:
    yaml = folder / "hyperparams.yaml"
    yaml.write_text(payload(marker) + yaml.read_text())


def _pins(models: Path) -> list[str]:
    return sorted(p.name for p in (models / NAME).glob("*.sha256")) if (models / NAME).is_dir() else []


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face cache, so no copy on this machine is found."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "empty_hub"


# -- the audit's reproduction ----------------------------------------------------------------------------------


def test_a_yaml_that_runs_code_in_a_handed_over_folder_does_not_run(ecapa_folder, tmp_path, hub_cache):
    """``--weights NAME=FOLDER`` with a hyperparams.yaml that calls os.system: refused before it is read."""
    marker = tmp_path / "pwned"
    folder = _copy(ecapa_folder, tmp_path / "handed_over")
    _poison(folder, marker)
    models = tmp_path / "models"
    pool = ModelPool(WeightStore(models, allow_network=False, explicit={NAME: folder}))
    with pytest.raises(WeightError, match=r"hyperparams\.yaml") as info:
        pool.get(NAME)
    assert not marker.exists(), "the configuration ran"
    assert "emoeval models trust" in str(info.value)
    assert hashlib.sha256((folder / "hyperparams.yaml").read_bytes()).hexdigest() in str(info.value)
    assert _pins(models) == []  # a refused folder is not pinned as trusted


def test_the_same_folder_through_the_python_api_is_refused(ecapa_folder, tmp_path, hub_cache, demo_dir):
    import emoeval
    from emoeval.samples import read_manifest

    marker = tmp_path / "pwned"
    folder = _copy(ecapa_folder, tmp_path / "handed_over")
    _poison(folder, marker)
    samples = [s for s in read_manifest(demo_dir / "manifest.csv") if s.modality == "speech" and s.reference][:2]
    with pytest.raises(WeightError, match=r"hyperparams\.yaml"):
        emoeval.score(
            samples,
            metrics=["speaker_similarity_ecapa"],
            weights={NAME: folder},
            models_dir=tmp_path / "models",
            progress=False,
            use_cache=False,
        )
    assert not marker.exists()
    assert _pins(tmp_path / "models") == []


# -- the trust step, and what it pins -------------------------------------------------------------------------


def test_models_trust_pins_every_file_only_after_the_model_loaded(ecapa_folder, tmp_path, hub_cache, monkeypatch):
    from click.testing import CliRunner

    from emoeval.cli import main
    from emoeval.reference_models.speechbrain_speaker import SpeechBrainEcapa

    models = tmp_path / "models"
    seen: list[list[str]] = []
    original = SpeechBrainEcapa.__init__

    def spying_init(self, weights, dependencies):
        seen.append(_pins(models))  # the pins present while speechbrain loads the folder
        original(self, weights, dependencies)

    monkeypatch.setattr(SpeechBrainEcapa, "__init__", spying_init)
    result = CliRunner().invoke(main, ["models", "trust", NAME, str(ecapa_folder), "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert seen == [[]]
    digest = hashlib.sha256((ecapa_folder / "hyperparams.yaml").read_bytes()).hexdigest()
    assert (
        f"{NAME}/hyperparams.yaml (code): sha256 {digest}  pinned in {models / NAME / 'hyperparams.yaml.sha256'}"
        in (result.output)
    )
    for name in ECAPA_FILES:
        pin = (models / NAME / f"{name}.sha256").read_text().split()[0]
        assert pin == hashlib.sha256((ecapa_folder / name).read_bytes()).hexdigest()

    # later runs load the trusted folder with no trust step, and equal what the trust step loaded
    model = ModelPool(WeightStore(models, allow_network=False, explicit={NAME: ecapa_folder})).get(NAME)
    assert not any(w.first_use for w in model.weights.values())
    wav = torch.sin(torch.linspace(0, 800, 16000)).numpy()
    assert model.infer([wav])[0].shape == (12,)


def test_a_yaml_changed_after_it_was_trusted_is_refused_before_it_runs(ecapa_folder, tmp_path, hub_cache):
    from emoeval.errors import WeightHashMismatchError
    from emoeval.reference_models.base import trust_model

    models = tmp_path / "models"
    folder = _copy(ecapa_folder, tmp_path / "trusted")
    trust_model(NAME, folder, models_dir=models)
    pins = {p.name: p.read_text() for p in (models / NAME).glob("*.sha256")}
    marker = tmp_path / "pwned"
    _poison(folder, marker)
    with pytest.raises(WeightHashMismatchError, match=r"hyperparams\.yaml.*pins") as info:
        ModelPool(WeightStore(models, allow_network=False, explicit={NAME: folder})).get(NAME)
    assert "emoeval models trust" in str(info.value)
    assert not marker.exists()
    assert {p.name: p.read_text() for p in (models / NAME).glob("*.sha256")} == pins  # the pins are unchanged


@pytest.mark.parametrize("extra", ["evil.py", "__pycache__/"])
def test_a_file_that_is_not_on_the_card_is_refused_even_when_trusted(ecapa_folder, tmp_path, hub_cache, extra):
    from emoeval.reference_models.base import trust_model
    from emoeval.reference_models.store import UnknownWeightFileError

    marker = tmp_path / "pwned"
    folder = _copy(ecapa_folder, tmp_path / "with_extra")
    if extra.endswith("/"):
        (folder / extra).mkdir()
        (folder / extra / "custom.cpython-311.pyc").write_bytes(b"\x00")
    else:
        (folder / extra).write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    models = tmp_path / "models"
    with pytest.raises(UnknownWeightFileError, match=repr(extra)):
        trust_model(NAME, folder, models_dir=models)
    with pytest.raises(UnknownWeightFileError, match=repr(extra)):
        ModelPool(WeightStore(models, allow_network=False, explicit={NAME: folder})).get(NAME)
    assert not marker.exists() and _pins(models) == []


# -- speechbrain's foreign_class plug-in: custom_interface.py is code too -------------------------------------------


def _dummy_emotion_folder(folder: Path, interface: str = "") -> Path:
    """The seven files of the emotion recognizer's folder: a benign configuration, stand-in data files."""
    from emoeval.reference_models.speechbrain_emotion import BACKBONE_FILES, REPO_FILES

    folder.mkdir()
    for name in (*REPO_FILES, *BACKBONE_FILES):
        (folder / name).write_text(f"stand-in {name}\n")
    (folder / "hyperparams.yaml").write_text("encoder_dim: 16\n")
    (folder / "custom_interface.py").write_text(interface or "VALUE = 1\n")
    return folder


def test_the_emotion_plugin_refuses_an_untrusted_or_changed_custom_interface(tmp_path, hub_cache):
    from emoeval.errors import WeightHashMismatchError
    from emoeval.reference_models.speechbrain_emotion import SPEECHBRAIN_EMOTION_CARD as CARD
    from emoeval.reference_models.store import UntrustedWeightError

    marker = tmp_path / "pwned"
    evil = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    models = tmp_path / "models"
    folder = _dummy_emotion_folder(tmp_path / "emotion", evil)
    with pytest.raises(UntrustedWeightError, match=r"hyperparams\.yaml .*custom_interface\.py .*are code"):
        ModelPool(WeightStore(models, allow_network=False, explicit={CARD.name: folder})).get(CARD.name)
    assert not marker.exists()

    # the benign interface as a trusted load would have pinned it; then the module is swapped for the evil one
    (folder / "custom_interface.py").write_text("VALUE = 1\n")
    store = WeightStore(models, allow_network=False, explicit={CARD.name: folder}, trusted=frozenset({CARD.name}))
    store.pin(CARD, store.resolve_all(CARD))
    (folder / "custom_interface.py").write_text(evil)
    with pytest.raises(WeightHashMismatchError, match=r"custom_interface\.py"):
        ModelPool(WeightStore(models, allow_network=False, explicit={CARD.name: folder})).get(CARD.name)
    assert not marker.exists()


# -- copies found on this machine, and pulls ------------------------------------------------------------------


def _hub_snapshot(hub_cache: Path, folder: Path) -> Path:
    snapshot = hub_cache / "models--speechbrain--spkrec-ecapa-voxceleb" / "snapshots" / "abc123"
    shutil.copytree(folder, snapshot)
    return snapshot


def test_an_unpinned_yaml_in_the_hugging_face_cache_needs_the_trust_step(ecapa_folder, tmp_path, hub_cache):
    from click.testing import CliRunner

    from emoeval.cli import main
    from emoeval.reference_models.store import UntrustedWeightError

    snapshot = _hub_snapshot(hub_cache, ecapa_folder)
    (snapshot / "README.md").write_text("other files of the repository are not loaded and not refused\n")
    models = tmp_path / "models"
    with pytest.raises(UntrustedWeightError, match=f"{snapshot / 'hyperparams.yaml'}.*emoeval models trust {NAME}`"):
        ModelPool(WeightStore(models, allow_network=False)).get(NAME)
    listing = CliRunner().invoke(main, ["models", "list", "--models-dir", str(models)])
    assert f"{NAME}@" in listing.output and "[untrusted]" in listing.output
    assert f"hyperparams.yaml  sha256 unpinned (code, no published hash: emoeval models pull/trust {NAME})" in (
        listing.output
    )
    result = CliRunner().invoke(main, ["models", "trust", NAME, "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert f"tool_cache: {snapshot / 'hyperparams.yaml'}" in result.output
    model = ModelPool(WeightStore(models, allow_network=False)).get(NAME)
    assert {w.source for w in model.weights.values()} == {"tool_cache"}


def test_pull_uses_its_own_download_not_a_poisoned_yaml_in_the_hub_cache(
    ecapa_folder, tmp_path, hub_cache, file_server
):
    marker = tmp_path / "pwned"
    snapshot = _hub_snapshot(hub_cache, ecapa_folder)
    _poison(snapshot, marker)
    files = {f"/resolve/main/{name}": (ecapa_folder / name).read_bytes() for name in ECAPA_FILES}
    base, requests = file_server(files, "/resolve/main/")
    card = replace(ECAPA_CARD, files=tuple(replace(f, url=base + f.filename) for f in ECAPA_CARD.files))
    models = tmp_path / "models"
    pulled = {r.path.name: r for r in WeightStore(models, allow_network=False).pull(card)}
    assert requests == ["/resolve/main/hyperparams.yaml"]  # the checkpoints in the cache are data: reused
    assert pulled["hyperparams.yaml"].source == "download"
    model = ModelPool(WeightStore(models, allow_network=False)).get(NAME)
    assert model.weights["hyperparams.yaml"].path == models / NAME / "hyperparams.yaml"
    assert not marker.exists()
    assert _pins(models) == sorted(f"{name}.sha256" for name in ECAPA_FILES)  # the rest pinned after the load
