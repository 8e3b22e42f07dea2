"""Physiological descriptor vectors of a recording: weight-less reference models over :mod:`emoeval.functional.physio`.

Each model reads a recording (:func:`emoeval.media.signal.read_signal`), takes the channels of the types it
describes and returns a float64 vector whose entries :data:`DESCRIPTOR_NAMES` names, in this order:

- ``signal-descriptors-ecg``: heart_rate (bpm), rmssd (ms), sdnn (ms), beat_consistency (r) — of the *first*
  ``ecg`` channel (a second lead describes the same beats; LF/HF is reported by ``signal_plausibility`` on
  recordings of ≥ 2 min but kept out of the vector, which must exist for every recording);
- ``signal-descriptors-eda``: eda_tonic (µS), scr_rate (/min), scr_amplitude (µS) — first ``eda`` channel;
- ``signal-descriptors-rsp``: rsp_rate (/min), rsp_amplitude (signal unit) — first ``rsp`` channel;
- ``signal-descriptors-eeg``: relative δ θ α β γ power and log10 of the 1–45 Hz power (each the mean over all
  ``eeg`` channels), frontal alpha asymmetry (the first frontal pair present), aperiodic slope (mean over
  channels);
- ``signal-descriptors-peripheral``: ecg ‖ eda ‖ rsp (9 values).

The descriptors are computed in :meth:`SignalDescriptors.prepare`, one recording at a time, so an unusable
recording is an error of its own (not a failed batch). A recording without a needed channel type, shorter than
:data:`MIN_SECONDS` for a block, with a flat or non-finite channel, or on which a descriptor cannot be computed
(no R peaks, no frontal pair) gives a per-sample error naming the file — never a NaN. The vectors serve as the
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
    # LF/HF is left out of the vector: not assessable below two minutes (Task Force 1996)
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


#: what to do when a generated recording has no descriptors (no beats, responses or breaths to find)
CANNOT_DESCRIBE_HINT = (
    "Descriptors need beats, responses and breaths to find: signal_plausibility counts such an output as "
    "implausible, and the signal-spectrum embedder compares it, e.g. signal_fd(embedder=signal-spectrum)"
)


def _channels_text(signal: Any) -> str:
    return ", ".join(f"{n}={t}" for n, t in zip(signal.channels, signal.types, strict=True))


def block_descriptors(signal: Any, block: str, *, notes: list[str] | None = None) -> dict[str, float]:
    """The descriptors of one block of a :class:`~emoeval.media.signal.Signal` (module docstring).

    Returns the names of :data:`BLOCKS` ``[block]`` and, for ``signal_plausibility``, a few more: ``lf_hf`` (ECG of
    ≥ 2 min) and the absolute band powers ``<band>_power`` (EEG, mean over channels). With a ``notes`` list, the
    frontal alpha asymmetry is optional — without a frontal pair it is left out and the reason appended to
    ``notes`` (as is the pair used when it is not F4/F3); without ``notes`` (the models) that is an error.
    """
    require_block(signal, block)
    return _describe(signal, block, notes)


def require_block(signal: Any, block: str) -> None:
    """Raise :class:`SampleInputError` with the fix when ``signal`` has no ``block`` channel or is too short for its
    descriptors."""
    where = signal.source or "recording"
    if signal.of_type(block).shape[0] == 0:
        raise SampleInputError(
            f"{where}: no {block} channel (channels: {_channels_text(signal)}); give channel types in the file, or "
            "choose an embedder for the channels it has"
        )
    if signal.duration < MIN_SECONDS[block]:
        raise SampleInputError(
            f"{where}: {signal.duration:.1f} s is too short for {block} descriptors (at least {MIN_SECONDS[block]:g} s)"
        )


def _describe(signal: Any, block: str, notes: list[str] | None) -> dict[str, float]:
    """:func:`block_descriptors` of a signal that passed :func:`require_block`."""
    where = signal.source or "recording"
    channels = signal.of_type(block)
    if block == "ecg":  # the first channel of the type: further leads describe the same beats
        return physio.ecg_descriptors(channels[0], signal.rate, where)
    if block == "eda":
        return physio.eda_descriptors(channels[0], signal.rate, where)
    if block == "rsp":
        return physio.rsp_descriptors(channels[0], signal.rate, where)
    names = signal.names_of_type("eeg")
    data = {
        name: physio.check_channel(x, signal.rate, where, f"EEG {name}")
        for name, x in zip(names, channels, strict=True)
    }
    powers = [physio.eeg_band_powers(x, signal.rate) for x in data.values()]
    values = {f"{band}_rel": float(np.mean([p[f"{band}_rel"] for p in powers])) for band in physio.EEG_BANDS}
    values |= {f"{band}_power": float(np.mean([p[band] for p in powers])) for band in physio.EEG_BANDS}
    values["log10_power"] = float(np.mean(np.log10([sum(p[band] for band in physio.EEG_BANDS) for p in powers])))
    try:
        asymmetry, pair = physio.frontal_alpha_asymmetry(data, signal.rate, where)
    except SampleInputError as exc:
        if notes is None:
            raise
        notes.append(f"frontal_alpha_asymmetry left out: {exc}")
    else:
        values["frontal_alpha_asymmetry"] = asymmetry
        if notes is not None and pair.upper() != "F4-F3":
            notes.append(f"frontal_alpha_asymmetry from {pair} (no F4/F3)")
    values["aperiodic_slope"] = float(np.mean([physio.aperiodic_slope(x, signal.rate) for x in data.values()]))
    return physio.require_finite(values, where)


def _card(name: str, blocks: tuple[str, ...]) -> ModelCard:
    return ModelCard(
        name=name,
        version="2",  # 2: flat/non-finite channels refused, SCRs below 0.01 µS not counted
        files=(),
        summary=f"physiological descriptors ({' + '.join(blocks)}): {', '.join(DESCRIPTOR_NAMES[name])}",
        license="MIT (computed by emoeval with neurokit2 and scipy; no weights)",
        citation=(
            "Makowski et al. 2021 (NeuroKit2), Behavior Research Methods; Task Force 1996 (HRV); Orphanidou et al. "
            "2015 (beat template matching); Boucsein 2012 (EDA); Davidson 1992 (frontal asymmetry); Donoghue et "
            "al. 2020 (aperiodic slope)"
        ),
        install_hint="pip install 'emoeval[signal]'",
        roles=("signal-embedder", "signal-emotion-features"),
    )


class SignalDescriptors(ReferenceModel):
    """Recording → the descriptor vector of this model's channel-type blocks (float64, finite)."""

    card: ClassVar[ModelCard]
    blocks: ClassVar[tuple[str, ...]]
    #: descriptors are computed in prepare; neurokit2 is pure Python/NumPy, so decoding threads would only contend
    parallel_prepare: ClassVar[bool] = False

    def config(self) -> dict[str, Any]:
        from importlib import metadata

        eeg = "eeg" in self.blocks
        return {
            "blocks": list(self.blocks),
            "names": list(DESCRIPTOR_NAMES[self.card.name]),
            "min_seconds": {block: MIN_SECONDS[block] for block in self.blocks},
            "channel": "first of its type" if not eeg else "all eeg channels, averaged",
            "eeg_bands": physio.EEG_BANDS if eeg else None,
            "eeg_total_band": physio.EEG_TOTAL_BAND if eeg else None,
            "frontal_pairs": physio.FRONTAL_PAIRS if eeg else None,
            "slope": {"range": physio.SLOPE_RANGE, "exclude": physio.SLOPE_EXCLUDE} if eeg else None,
            "welch_seconds": physio.WELCH_SECONDS,
            "beat_window": physio.BEAT_WINDOW,
            "scr_min_amplitude": physio.SCR_MIN_AMPLITUDE if "eda" in self.blocks else None,
            "neurokit2": metadata.version("neurokit2"),
        }

    def prepare(self, item: ModelInput) -> np.ndarray:
        """Read the recording and compute its descriptors (errors here stay this recording's own)."""
        from emoeval.media.signal import read_signal

        if item.path is None:
            raise SampleInputError(f"{item.name}: a signal model reads files, not texts")
        signal = read_signal(item.path)
        values: list[float] = []
        for block in self.blocks:
            require_block(signal, block)  # a missing channel or a short recording: its own message says what to do
            try:
                found = _describe(signal, block, None)
            except SampleInputError as exc:
                stop = "" if str(exc).endswith((".", "?", "!")) else "."
                raise SampleInputError(f"{exc}{stop} {CANNOT_DESCRIBE_HINT}") from None
            values += [found[name] for name in BLOCKS[block]]
        return np.asarray(values, dtype=np.float64)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        return list(prepared)


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
