"""speechbrain's wav2vec2 emotion recognizer (``speechbrain/emotion-recognition-wav2vec2-IEMOCAP``) as a plug-in.

A wav2vec 2.0 base encoder fine-tuned by speechbrain on IEMOCAP sessions 1–4 (neutral, angry, happy — with
excited merged —, sad), average-pooled, with a linear output layer; 78.7 % accuracy on IEMOCAP session 5 by its
model card. It is the most used open speech-emotion recognizer in emotional TTS / voice-conversion evaluations.
emoeval loads it with speechbrain's own ``foreign_class`` from a local folder and never lets speechbrain or
transformers fetch anything (see ``../shared/MODELS.md``):

- the five files of the hub repository (``hyperparams.yaml``, ``custom_interface.py``, ``wav2vec2.ckpt``,
  ``model.ckpt``, ``label_encoder.txt``) and the two configuration files of the ``facebook/wav2vec2-base``
  backbone its hyperparameters name (``config.json``, ``preprocessor_config.json``; the weights come from
  ``wav2vec2.ckpt``) are resolved through the weight store and placed in a private temporary folder;
- ``foreign_class`` loads that folder with ``pretrained_path`` and ``wav2vec2_hub`` overridden to point into
  it (and the backbone's ``save_path`` too), so nothing is looked up on the hub or written elsewhere.

**Code files.** ``hyperparams.yaml`` (HyperPyYAML: ``!new:``, ``!name:`` and ``!apply:`` call any Python
callable while the file loads) and ``custom_interface.py`` (a Python module ``foreign_class`` imports) are code
from the hub repository; the card marks both ``code=True``. A copy with no pin is refused before speechbrain
sees it, until the user trusts it: ``emoeval models pull`` pins the copies it downloads from the hub, and
``emoeval models trust speechbrain-emotion-iemocap [FOLDER]`` loads a local copy once and pins it. Their
verified bytes are copied into the private folder, so a file changed after its check never runs. The other
files are data (checkpoints read by ``torch.load``, which runs nothing with torch ≥ 2.6; the backbone's JSON
configuration read by transformers without remote code; a label list read with ``ast.literal_eval``), pinned
after the first successful load.

**Output.** Per recording (16 kHz mono, soxr HQ), [4 probabilities in :attr:`SpeechBrainEmotionIEMOCAP.labels`
order ‖ the 768-d pooled wav2vec2 embedding] (float64), the layout of every emoeval emotion recognizer
(:class:`~emoeval.reference_models.recognition.EmotionRecognizer`: ``split`` names the two parts). The
labels are read from the model's ``label_encoder.txt`` and mapped through the IEMOCAP label set
(``neu`` → neutral, ``ang`` → angry, ``hap`` → happy, ``sad`` → sad).

**Where the files come from.** ``emoeval models pull speechbrain-emotion-iemocap`` downloads them; copies in
the Hugging Face cache (``$HF_HUB_CACHE``) are found there; ``--weights speechbrain-emotion-iemocap=FOLDER``
names a folder holding exactly those seven files. The hub publishes no sha256 we could verify offline: the store
pins the files (see above and :mod:`emoeval.reference_models.store`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, WeightError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.reference_models.speechbrain_speaker import SPEECHBRAIN_VERSION, hub_cache_snapshots
from emoeval.reference_models.store import ModelCard, WeightFile, stage_file

SAMPLE_RATE = 16000
HUB_REPO = "speechbrain/emotion-recognition-wav2vec2-IEMOCAP"
BACKBONE_REPO = "facebook/wav2vec2-base"
HUB_URL = f"https://huggingface.co/{HUB_REPO}/resolve/main/"
BACKBONE_URL = f"https://huggingface.co/{BACKBONE_REPO}/resolve/main/"
#: the hub repository's files (``hyperparams.yaml`` loads the last three through its pretrainer)
REPO_FILES: tuple[str, ...] = (
    "hyperparams.yaml",
    "custom_interface.py",
    "wav2vec2.ckpt",
    "model.ckpt",
    "label_encoder.txt",
)
#: the backbone's configuration files (its weights are in wav2vec2.ckpt)
BACKBONE_FILES: tuple[str, ...] = ("config.json", "preprocessor_config.json")
INTERFACE_CLASS = "CustomEncoderWav2vec2Classifier"
#: files whose loading runs code written in them: never loaded before they are pinned or trusted
CODE_FILES: frozenset[str] = frozenset({"hyperparams.yaml", "custom_interface.py"})


def _hub_dirs() -> list[Path]:
    return [*hub_cache_snapshots(HUB_REPO), *hub_cache_snapshots(BACKBONE_REPO)]


SPEECHBRAIN_EMOTION_CARD = ModelCard(
    name="speechbrain-emotion-iemocap",
    version=f"{HUB_REPO}@main",
    files=(
        *(
            WeightFile(filename=name, sha256="", size=0, url=HUB_URL + name, code=name in CODE_FILES)
            for name in REPO_FILES
        ),
        *(WeightFile(filename=name, sha256="", size=0, url=BACKBONE_URL + name) for name in BACKBONE_FILES),
    ),
    summary="speechbrain wav2vec2-base emotion recognizer (IEMOCAP: neutral/angry/happy/sad), 16 kHz",
    license="Apache-2.0 (speechbrain model; wav2vec2-base: Apache-2.0); trained on IEMOCAP (research license)",
    citation=(
        "Ravanelli et al. (2021). SpeechBrain: A General-Purpose Speech Toolkit. arXiv:2106.04624; Baevski et al. "
        "(2020). wav2vec 2.0. NeurIPS; Busso et al. (2008). IEMOCAP. Language Resources and Evaluation."
    ),
    install_hint=(
        f"pip install 'emoeval[speech]' (speechbrain=={SPEECHBRAIN_VERSION}); then emoeval models pull "
        "speechbrain-emotion-iemocap, or --weights speechbrain-emotion-iemocap=<folder with the seven files>"
    ),
    tool_dirs=_hub_dirs,
    exact_folder=True,
    roles=("speech-emotion-recognizer",),
)


class SpeechBrainEmotionIEMOCAP(ReferenceModel, EmotionRecognizer):
    """Recording → [probabilities over neutral/angry/happy/sad (the model's order) ‖ 768-d wav2vec2 embedding].

    An :class:`~emoeval.reference_models.recognition.EmotionRecognizer`: metrics read it through
    :func:`~emoeval.reference_models.recognition.recognize` (``recognizer="speechbrain-emotion-iemocap"``).
    """

    card = SPEECHBRAIN_EMOTION_CARD

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            from speechbrain.inference.interfaces import foreign_class
            from speechbrain.utils.fetching import LocalStrategy
        except ImportError as exc:
            raise MissingDependencyError(
                f"the speechbrain emotion recognizer needs speechbrain: pip install 'emoeval[speech]' ({exc})"
            ) from exc
        self._folder = tempfile.TemporaryDirectory(prefix="emoeval-sb-emotion-")
        folder = Path(self._folder.name)
        backbone = folder / "wav2vec2_hub"
        backbone.mkdir()
        for name in REPO_FILES:
            stage_file(self.card.file(name), self.weights[name], folder / name)
        for name in BACKBONE_FILES:
            stage_file(self.card.file(name), self.weights[name], backbone / name)
        # a local SpeechBrain-style backbone: its configuration and the fine-tuned weights, nothing from the hub
        (backbone / "wav2vec2.ckpt").symlink_to(self.weights["wav2vec2.ckpt"].path.resolve())
        # The backbone's own load (before the pretrainer loads wav2vec2.ckpt into it) warns once per tensor that
        # its keys do not match a bare HF model; the pretrainer then loads every tensor: keep those warnings out.
        quiet = [
            logging.getLogger(name) for name in ("speechbrain", "speechbrain.integrations.huggingface.huggingface")
        ]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        try:
            self._classifier = foreign_class(
                source=str(folder),
                pymodule_file="custom_interface.py",
                classname=INTERFACE_CLASS,
                savedir=str(folder),
                overrides={
                    "pretrained_path": str(folder),
                    "wav2vec2_hub": str(backbone),
                    "wav2vec2": {"save_path": str(folder / "wav2vec2_save")},
                },
                run_opts={"device": "cpu"},
                local_strategy=LocalStrategy.NO_LINK,
            )
        except Exception as exc:  # speechbrain/transformers raise many kinds for a broken folder: name the files
            self._folder.cleanup()
            places = ", ".join(str(self.weights[name].path) for name in (*REPO_FILES, *BACKBONE_FILES))
            raise WeightError(
                f"speechbrain could not load the emotion recognizer from {places} ({type(exc).__name__}: "
                f"{str(exc)[:300]}); delete the files and run `emoeval models pull {self.card.name}`"
            ) from exc
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        self._classifier.eval()
        self.labels = self._read_labels()

    def _read_labels(self) -> tuple[str, ...]:
        from emoeval.errors import UnknownLabelError
        from emoeval.labels import normalize_label

        encoder = self._classifier.hparams.label_encoder
        codes = [encoder.ind2lab[index] for index in sorted(encoder.ind2lab)]
        try:
            return tuple(normalize_label(str(code), "iemocap") for code in codes)
        except UnknownLabelError as exc:
            raise WeightError(f"the emotion recognizer's label_encoder.txt has labels {codes}: {exc}") from exc

    def config(self) -> dict[str, Any]:
        return {"sample_rate": SAMPLE_RATE, "resampler": "soxr-HQ", "speechbrain": SPEECHBRAIN_VERSION}

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        return decode_audio(item.data, item.name, target_rate=SAMPLE_RATE).samples

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One utterance at a time (padding a batch would enter wav2vec2's layer norm over the waveform).

        speechbrain's ``StatisticsPooling`` adds a little Gaussian noise (up to 1e-4) to the pooled mean, drawn
        from torch's global generator; each utterance runs under a forked generator seeded with 0, so identical
        audio gives identical numbers and the caller's random state is left as it was.
        """
        import torch

        outputs = []
        with torch.no_grad():
            for wav in prepared:
                batch = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)).unsqueeze(0)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(0)
                    embedding = self._classifier.encode_batch(batch, torch.ones(1))
                logits = self._classifier.mods.output_mlp(embedding)
                probabilities = self._classifier.hparams.softmax(logits)
                outputs.append(
                    np.concatenate([probabilities.reshape(-1).double().numpy(), embedding.reshape(-1).double().numpy()])
                )
        return outputs


__all__ = ["BACKBONE_FILES", "CODE_FILES", "REPO_FILES", "SPEECHBRAIN_EMOTION_CARD", "SpeechBrainEmotionIEMOCAP"]
