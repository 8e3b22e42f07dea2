"""Distill-MOS: a compact reference-free speech-quality (MOS) predictor, run with the package's own network.

Stahl and Gamper (2025, "Distillation and Pruning for Scalable Self-Supervised Representation-Based Speech
Quality Assessment", ICASSP; arXiv:2502.05356) distilled an XLS-R-based MOS predictor into a 4.2 M-parameter
network: a 6-layer CNN over a power-law-compressed complex STFT (20 ms Hann window, 10 ms hop) and a
7-layer transformer with attention pooling, trained on pseudo-labels of its XLS-R-SQA teacher (itself trained on
a compilation of MOS datasets with over 100,000 rated clips). It outputs one MOS in (1, 5). The authors note that
distillation did not carry the teacher's generalisation to out-of-domain text-to-speech data over to the student.

The network code is ``distillmos.ConvTransformerSQAModel`` (MIT, Microsoft; ``pip install --no-deps
distillmos xls-r-sqa`` — it needs torch and torchaudio, which emoeval's torch extra pins). Its weights,
``distill_mos_v7.pt`` (16.9 MB), ship inside the package: they are found with
:func:`importlib.util.find_spec`, verified by sha256 and loaded with ``torch.load(weights_only=True)`` into a
model built with ``load_weights=False`` (the package's default would load its own, unverified copy).

Procedure (the package's ``forward``): the 16-kHz waveform (soxr HQ here; the package's command line resamples
with torchaudio) is zero-padded at the end to 7.68 s, or, when longer, cut into 7.68-s crops spread evenly
with hops of at most 1 s whose predictions are averaged; each crop is peak-normalised. Output per recording:
float64 ``[mos]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError
from emoeval.media.audio import decode_audio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

SAMPLE_RATE = 16000
#: the network's crop: 7.68 s at 16 kHz (``distillmos.sqa.SEQ_LEN``)
CROP_SAMPLES = 122880
#: below this, over 87 % of the 7.68-s crop would be zero padding
MIN_DURATION_S = 1.0
WEIGHTS_FILE = "distill_mos_v7.pt"

DISTILLMOS_CARD = ModelCard(
    name="distillmos",
    version="v7",
    files=(
        WeightFile(
            filename=WEIGHTS_FILE,
            sha256="b18b3ac60227267cfb91e5d00ce22cc7b73716fd92f269484da1446e27031a40",
            size=16907522,
            package="distillmos",
            package_path=f"weights/{WEIGHTS_FILE}",
        ),
    ),
    summary="Distill-MOS v7: 16 kHz speech → MOS in (1, 5) (CNN + transformer, 4.2 M parameters)",
    license="MIT (Microsoft; distillmos 0.9.1)",
    citation=(
        "Stahl, Gamper (2025). Distillation and Pruning for Scalable Self-Supervised Representation-Based Speech "
        "Quality Assessment. ICASSP. arXiv:2502.05356"
    ),
    install_hint="pip install --no-deps distillmos xls-r-sqa (the weights ship in the distillmos package)",
    # a non-intrusive speech quality (MOS) predictor, the model of speech_mos_distill
    roles=("speech-quality-predictor",),
)


class DistillMOS(ReferenceModel):
    """Recording → float64 ``[mos]`` from Distill-MOS v7 (eval mode, no gradients, CPU).

    Recordings shorter than :data:`MIN_DURATION_S` are a per-sample error.

    >>> weight = DistillMOS.card.files[0]
    >>> weight.package, weight.package_path
    ('distillmos', 'weights/distill_mos_v7.pt')
    """

    card = DISTILLMOS_CARD

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            import torch
            from distillmos import ConvTransformerSQAModel
        except ImportError as exc:
            raise MissingDependencyError(
                "Distill-MOS needs distillmos, xls-r-sqa, torch and torchaudio: pip install 'emoeval[speech]' "
                f"and pip install --no-deps distillmos xls-r-sqa ({exc})"
            ) from exc
        checkpoint = torch.load(self.weights[WEIGHTS_FILE].path, map_location="cpu", weights_only=True)
        network = ConvTransformerSQAModel(load_weights=False)
        network.load_state_dict(checkpoint["model"])
        network.eval()
        self._network = network

    def config(self) -> dict[str, Any]:
        return {
            "sample_rate": SAMPLE_RATE,
            "resampler": "soxr-HQ",
            "crop_samples": CROP_SAMPLES,
            "segmenting": "distillmos forward: zero-pad to one crop, or average evenly spread crops",
            "min_duration_s": MIN_DURATION_S,
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        audio = decode_audio(item.data, item.name, target_rate=SAMPLE_RATE)
        if audio.duration_s < MIN_DURATION_S:
            raise SampleInputError(
                f"{item.name}: too short for Distill-MOS ({audio.duration_s:.2f} s); it needs at least "
                f"{MIN_DURATION_S:g} s of audio (its 7.68 s input would be almost all zero padding)"
            )
        return audio.samples

    def score_audio(self, samples: np.ndarray) -> float:
        """The MOS of one 16-kHz float32 recording (one forward pass; long clips are cropped by the network)."""
        import torch

        waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None, :]
        with torch.no_grad():
            return float(self._network(waveform).reshape(-1)[0])

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        # One recording per forward pass: the network pads or crops the whole batch to one length.
        return [np.array([self.score_audio(samples)], dtype=np.float64) for samples in prepared]
