"""speechbrain's ECAPA-TDNN speaker encoder (``speechbrain/spkrec-ecapa-voxceleb``) as a plug-in.

ECAPA-TDNN (Desplanques, Thienpondt, Demuynck 2020), trained by speechbrain on VoxCeleb 1+2, reaches about
0.8 % EER on VoxCeleb1-O and is the speaker encoder many recent TTS and voice-conversion papers use for
speaker similarity. The model is loaded with speechbrain's own ``EncoderClassifier.from_hparams`` from a
local folder, with ``pretrained_path`` overridden so that nothing is fetched from the hub (see
``../shared/MODELS.md``); ``encode_batch`` computes 80-band filterbanks, sentence mean normalisation, the
ECAPA network and returns a 192-d embedding.

**Where the files come from.** ``emoeval models pull speechbrain-ecapa-voxceleb`` downloads the five files
of the hub repository; a copy in the Hugging Face cache (``$HF_HUB_CACHE``, default
``~/.cache/huggingface/hub``) that speechbrain itself downloaded earlier is found there; ``--weights
speechbrain-ecapa-voxceleb=FOLDER`` names any other copy (a folder holding exactly the five files). The hub
publishes no sha256 we could verify offline, so the card records none and the store pins the files (see
:mod:`emoeval.reference_models.store`); the computed hashes are in every result row's provenance.

**hyperparams.yaml is code.** speechbrain reads it with HyperPyYAML, whose ``!new:``, ``!name:`` and
``!apply:`` tags call any Python callable while the file loads, so the card marks it ``code=True``: a copy
with no pin is refused before speechbrain sees it, until the user trusts it — ``emoeval models pull`` pins
the copies it downloads from the hub; ``emoeval models trust speechbrain-ecapa-voxceleb [FOLDER]`` loads a
local copy once and pins it. The verified bytes of the file are copied into the private folder speechbrain
loads, so a file changed after its check never runs. The checkpoints are read by ``torch.load``, which runs
nothing with torch ≥ 2.6 (``weights_only=True`` by default), and ``label_encoder.txt`` with
``ast.literal_eval``: they are data, pinned after the first successful load.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, WeightError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile, stage_file

SAMPLE_RATE = 16000
HUB_REPO = "speechbrain/spkrec-ecapa-voxceleb"
HUB_URL = f"https://huggingface.co/{HUB_REPO}/resolve/main/"
#: the files ``hyperparams.yaml`` loads (its ``pretrainer`` section) and the file itself
ECAPA_FILES: tuple[str, ...] = (
    "hyperparams.yaml",
    "embedding_model.ckpt",
    "mean_var_norm_emb.ckpt",
    "classifier.ckpt",
    "label_encoder.txt",
)
SPEECHBRAIN_VERSION = "1.1.2"
#: files whose loading runs code written in them (HyperPyYAML): never loaded before they are pinned or trusted
CODE_FILES: frozenset[str] = frozenset({"hyperparams.yaml"})


def hub_cache_snapshots(repo: str = HUB_REPO, environ: os._Environ[str] | dict[str, str] | None = None) -> list[Path]:
    """The snapshot folders of ``repo`` in the Hugging Face cache, newest first (may be empty).

    >>> hub_cache_snapshots(environ={"HF_HUB_CACHE": "/nonexistent"})
    []
    """
    env = os.environ if environ is None else environ
    if env.get("HF_HUB_CACHE"):
        cache = Path(env["HF_HUB_CACHE"])
    elif env.get("HF_HOME"):
        cache = Path(env["HF_HOME"]) / "hub"
    else:
        cache = Path.home() / ".cache" / "huggingface" / "hub"
    snapshots = cache.expanduser() / f"models--{repo.replace('/', '--')}" / "snapshots"
    if not snapshots.is_dir():
        return []
    return sorted((p for p in snapshots.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)


ECAPA_CARD = ModelCard(
    name="speechbrain-ecapa-voxceleb",
    version=f"{HUB_REPO}@main",
    files=tuple(
        WeightFile(filename=name, sha256="", size=0, url=HUB_URL + name, code=name in CODE_FILES)
        for name in ECAPA_FILES
    ),
    summary="speechbrain ECAPA-TDNN speaker encoder (VoxCeleb), 192-d embedding at 16 kHz",
    license="Apache-2.0 (speechbrain)",
    citation=(
        "Desplanques, Thienpondt, Demuynck (2020). ECAPA-TDNN: Emphasized Channel Attention, Propagation and "
        "Aggregation in TDNN Based Speaker Verification. Interspeech; Ravanelli et al. (2021). SpeechBrain."
    ),
    install_hint=(
        f"pip install 'emoeval[speech]' (speechbrain=={SPEECHBRAIN_VERSION}); then emoeval models pull "
        "speechbrain-ecapa-voxceleb, or --weights speechbrain-ecapa-voxceleb=<folder with the five files>"
    ),
    tool_dirs=hub_cache_snapshots,
    exact_folder=True,
    # a speaker encoder: for speaker similarity and, as a whole-utterance embedding, for speech_fd/speech_kid
    roles=("speaker-embedder", "speech-embedder"),
)


class SpeechBrainEcapa(ReferenceModel):
    """Recording → 192-d ECAPA speaker embedding (float64), through speechbrain's ``EncoderClassifier``.

    The resolved files are placed in a private temporary folder (they may come from different places; the
    configuration is copied after a hash check, the checkpoints linked), which speechbrain loads with
    ``pretrained_path`` pointing at it: nothing is written next to the user's files and nothing is fetched.
    """

    card = ECAPA_CARD

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            from speechbrain.inference.speaker import EncoderClassifier
            from speechbrain.utils.fetching import LocalStrategy
        except ImportError as exc:
            raise MissingDependencyError(
                f"the ECAPA speaker encoder needs speechbrain: pip install 'emoeval[speech]' ({exc})"
            ) from exc
        self._folder = tempfile.TemporaryDirectory(prefix="emoeval-ecapa-")
        folder = Path(self._folder.name)
        for name in ECAPA_FILES:
            stage_file(self.card.file(name), self.weights[name], folder / name)
        try:
            self._encoder = EncoderClassifier.from_hparams(
                source=str(folder),
                savedir=str(folder),
                overrides={"pretrained_path": str(folder)},
                run_opts={"device": "cpu"},
                local_strategy=LocalStrategy.NO_LINK,
            )
        except Exception as exc:  # speechbrain raises many kinds for a broken folder; name the files
            self._folder.cleanup()
            places = ", ".join(str(self.weights[name].path) for name in ECAPA_FILES)
            raise WeightError(
                f"speechbrain could not load the ECAPA model from {places} ({type(exc).__name__}: "
                f"{str(exc)[:300]}); delete the files and run `emoeval models pull {self.card.name}`"
            ) from exc
        self._encoder.eval()

    def config(self) -> dict[str, Any]:
        return {"sample_rate": SAMPLE_RATE, "resampler": "soxr-HQ", "speechbrain": SPEECHBRAIN_VERSION}

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return decode_audio(item.data, item.name, target_rate=SAMPLE_RATE).samples

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One utterance at a time: padding a batch changes speechbrain's sentence mean normalisation."""
        import torch

        embeddings = []
        with torch.no_grad():
            for wav in prepared:
                batch = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)).unsqueeze(0)
                embeddings.append(self._encoder.encode_batch(batch).reshape(-1).double().numpy().copy())
        return embeddings


__all__ = ["CODE_FILES", "ECAPA_CARD", "ECAPA_FILES", "SpeechBrainEcapa", "hub_cache_snapshots"]
