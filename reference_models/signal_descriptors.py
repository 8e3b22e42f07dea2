"""Physiological descriptor vectors of a recording: weight-less reference models over :mod:`emoeval.functional.physio`.

Each model reads a recording (:func:`emoeval.media.signal.read_signal`), takes the channels of the types it
describes and returns a float64 vector whose entries :data:`DESCRIPTOR_NAMES` names:

- ``signal-descriptors-ecg``: heart_rate, rmssd, sdnn, beat_consistency (of the first ``ecg`` channel; LF/HF
  is reported by ``signal_plausibility`` where defined, but kept out of the vector);
- ``signal-descriptors-eda``: eda_tonic, scr_rate, scr_amplitude (first ``eda`` channel);
- ``signal-descriptors-rsp``: rsp_rate, rsp_amplitude (first ``rsp`` channel);
- ``signal-descriptors-eeg``: relative δ θ α β γ power and log10 total 1–45 Hz power (means over the ``eeg``
  channels), frontal alpha asymmetry, aperiodic slope (mean over channels);
- ``signal-descriptors-peripheral``: ecg ‖ eda ‖ rsp (9 values).

A recording without a needed channel type, too short for its descriptors (:data:`MIN_SECONDS`), or on which a
descriptor cannot be computed gives a per-sample error naming the file — never a NaN. The vectors serve as the
embedding of the signal distribution metrics (role ``signal-embedder``) and as probe features
(``signal-emotion-features``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.functional import physio
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard

#: descriptor names of each channel type's block, in vector order
BLOCKS: dict[str, tuple[str, ...]] = {
    # LF/HF is left out of the vector: undefined below about a minute, unreliable below two (Task Force 1996)
    "ecg": ("heart_rate", "rmssd", "sdnn", "beat_consistency"),
    "eda": ("eda_tonic", "scr_rate", "scr_amplitude"),
    "rsp": ("rsp_rate", "rsp_amplitude"),
    "eeg": (
        *(f"{band}_rel" for band in physio.EEG_BANDS),
        "log10_power",
        "frontal_alpha_asymmetry",
        "aperiodic_slope",
    ),
}
#: shortest recording (s) each block needs: a few beats/breaths/responses, two Welch windows
MIN_SECONDS: dict[str, float] = {"ecg": 10.0, "eda": 10.0, "rsp": 15.0, "eeg": 4.0}
#: per registered model: the blocks it concatenates
MODEL_BLOCKS: dict[str, tuple[str, ...]] = {
    "signal-descriptors-ecg": ("ecg",),
    "signal-descriptors-eda": ("eda",),
    "signal-descriptors-rsp": ("rsp",),
    "signal-descriptors-eeg": ("eeg",),
    "signal-descriptors-peripheral": ("ecg", "eda", "rsp"),
}
DESCRIPTOR_NAMES: dict[str, tuple[str, ...]] = {
    model: tuple(name for block in blocks for name in BLOCKS[block]) for model, blocks in MODEL_BLOCKS.items()
}


def block_descriptors(signal: Any, block: str) -> dict[str, float]:
    """The descriptors of one block of a :class:`~emoeval.media.signal.Signal` (module docstring)."""
    where = signal.source or "recording"
    channels = signal.of_type(block)
    if channels.shape[0] == 0:
        present = ", ".join(f"{n}={t}" for n, t in zip(signal.channels, signal.types, strict=True))
        raise SampleInputError(
            f"{where}: no {block} channel (channels: {present}); give channel types in the file, or choose an "
            "embedder for the channels it has"
        )
    if signal.duration < MIN_SECONDS[block]:
        raise SampleInputError(
            f"{where}: {signal.duration:.1f} s is too short for {block} descriptors (at least {MIN_SECONDS[block]:g} s)"
        )
    if block == "ecg":
        return physio.ecg_descriptors(channels[0], signal.rate, where)  # lf_hf only where defined
    if block == "eda":
        return physio.eda_descriptors(channels[0], signal.rate, where)
    if block == "rsp":
        return physio.rsp_descriptors(channels[0], signal.rate, where)
    powers = [physio.eeg_band_powers(x, signal.rate) for x in channels]
    names = signal.names_of_type("eeg")
    asymmetry, _ = physio.frontal_alpha_asymmetry(dict(zip(names, channels, strict=True)), signal.rate)
    values = {f"{band}_rel": float(np.mean([p[f"{band}_rel"] for p in powers])) for band in physio.EEG_BANDS}
    total = [sum(p[band] for band in physio.EEG_BANDS) for p in powers]
    values["log10_power"] = float(np.mean(np.log10(total)))
    values["frontal_alpha_asymmetry"] = asymmetry
    values["aperiodic_slope"] = float(np.mean([physio.aperiodic_slope(x, signal.rate) for x in channels]))
    return physio._finite(values, where)


def _card(name: str, blocks: tuple[str, ...]) -> ModelCard:
    return ModelCard(
        name=name,
        version="1",
        files=(),
        summary=f"physiological descriptors ({' + '.join(blocks)}): {', '.join(DESCRIPTOR_NAMES[name])}",
        license="MIT (computed by emoeval with neurokit2 and scipy; no weights)",
        citation=(
            "Makowski et al. 2021 (NeuroKit2), Behavior Research Methods; Task Force 1996 (HRV); Boucsein 2012 "
            "(EDA); Davidson 1992 (frontal asymmetry)"
        ),
        install_hint="pip install 'emoeval[signal]'",
        roles=("signal-embedder", "signal-emotion-features"),
    )


class SignalDescriptors(ReferenceModel):
    """Recording → the descriptor vector of this model's channel-type blocks (float64, finite)."""

    card: ClassVar[ModelCard]
    blocks: ClassVar[tuple[str, ...]]
    #: reading and descriptors are independent per recording: the context may decode in threads
    parallel_prepare: ClassVar[bool] = False  # neurokit2 is pure Python/NumPy: threads would only contend

    def config(self) -> dict[str, Any]:
        from importlib import metadata

        return {
            "blocks": list(self.blocks),
            "names": list(DESCRIPTOR_NAMES[self.card.name]),
            "min_seconds": {block: MIN_SECONDS[block] for block in self.blocks},
            "eeg_bands": physio.EEG_BANDS if "eeg" in self.blocks else None,
            "welch_seconds": physio.WELCH_SECONDS,
            "beat_window": physio.BEAT_WINDOW,
            "neurokit2": metadata.version("neurokit2"),
        }

    def prepare(self, item: ModelInput) -> Any:
        from emoeval.media.signal import read_signal

        if item.path is None:
            raise SampleInputError(f"{item.name}: a signal model reads files, not texts")
        return read_signal(item.path)

    def infer(self, prepared: Sequence[Any]) -> list[np.ndarray]:
        out = []
        for signal in prepared:
            values: list[float] = []
            for block in self.blocks:
                found = block_descriptors(signal, block)
                values += [found[name] for name in BLOCKS[block]]
            out.append(np.asarray(values, dtype=np.float64))
        return out


class EcgDescriptors(SignalDescriptors):
    card = _card("signal-descriptors-ecg", ("ecg",))
    blocks = ("ecg",)


class EdaDescriptors(SignalDescriptors):
    card = _card("signal-descriptors-eda", ("eda",))
    blocks = ("eda",)


class RspDescriptors(SignalDescriptors):
    card = _card("signal-descriptors-rsp", ("rsp",))
    blocks = ("rsp",)


class EegDescriptors(SignalDescriptors):
    card = _card("signal-descriptors-eeg", ("eeg",))
    blocks = ("eeg",)


class PeripheralDescriptors(SignalDescriptors):
    card = _card("signal-descriptors-peripheral", ("ecg", "eda", "rsp"))
    blocks = ("ecg", "eda", "rsp")
