"""Is a generated physiological recording plausible at all? Descriptors and their plausibility ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emoeval.errors import SampleInputError
from emoeval.functional.physio import PLAUSIBLE
from emoeval.metric import MetricSpec, Output, SampleMetric, SampleScore
from emoeval.reference_models.signal_descriptors import BLOCKS

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

_INF = math.inf
#: mathematical range and description of every descriptor (the plausibility ranges are in PLAUSIBLE)
_DESCRIPTORS: dict[str, tuple[float, float, str]] = {
    "heart_rate": (0.0, _INF, "mean heart rate, bpm"),
    "rmssd": (0.0, _INF, "HRV: root mean square of successive RR differences, ms"),
    "sdnn": (0.0, _INF, "HRV: standard deviation of RR intervals, ms"),
    "lf_hf": (0.0, _INF, "HRV: LF (0.04–0.15 Hz) / HF (0.15–0.4 Hz) power"),
    "beat_consistency": (-1.0, 1.0, "mean correlation of each beat with the average beat"),
    "eda_tonic": (-_INF, _INF, "mean tonic skin conductance, µS"),
    "scr_rate": (0.0, _INF, "skin-conductance responses per minute"),
    "scr_amplitude": (0.0, _INF, "mean SCR amplitude, µS"),
    "rsp_rate": (0.0, _INF, "breaths per minute"),
    "rsp_amplitude": (-_INF, _INF, "mean breath amplitude (signal units)"),
    "delta_rel": (0.0, 1.0, "EEG δ 1–4 Hz power / 1–45 Hz power (mean over channels)"),
    "theta_rel": (0.0, 1.0, "EEG θ 4–8 Hz relative power"),
    "alpha_rel": (0.0, 1.0, "EEG α 8–13 Hz relative power"),
    "beta_rel": (0.0, 1.0, "EEG β 13–30 Hz relative power"),
    "gamma_rel": (0.0, 1.0, "EEG γ 30–45 Hz relative power"),
    "log10_power": (-_INF, _INF, "EEG log10 of 1–45 Hz power (mean over channels)"),
    "frontal_alpha_asymmetry": (-_INF, _INF, "EEG ln α(F4) − ln α(F3) (or the next frontal pair)"),
    "aperiodic_slope": (-_INF, _INF, "EEG slope of log PSD vs log f, 2–40 Hz without 7–14 Hz"),
}


class SignalPlausibility(SampleMetric):
    """Physiological plausibility of a recording: its descriptors, and whether they fall in human ranges.

    **Meaning.** For every channel type the recording has (``ecg``, ``eda``, ``rsp``, ``eeg``), the descriptors of
    :mod:`emoeval.reference_models.signal_descriptors` (heart rate and HRV, EDA tonic level and SCRs, respiration
    rate and amplitude, EEG relative band powers, frontal alpha asymmetry, aperiodic slope), and the headline
    ``plausible_share``: the share of the descriptors that have a plausibility range
    (:data:`emoeval.functional.physio.PLAUSIBLE`: heart rate 40–180 bpm, RMSSD 5–200 ms, SDNN 5–250 ms, LF/HF
    0.05–20, beat consistency ≥ 0.5, tonic EDA 0.05–60 µS, 0–30 SCRs/min, SCR amplitude ≤ 5 µS, 4–40
    breaths/min, EEG aperiodic slope −4 to −0.3) that fall inside it. The ``warning`` column names each
    descriptor outside its range, and each channel type whose descriptors could not be computed (no R peaks
    found, too short...).

    **Range and direction.** ``plausible_share`` [0, 1], higher is better (1 = every checked descriptor within
    human ranges). Descriptors have no direction: compare their distributions with real data (``signal_fd``).
    A recording without any usable channel type is a per-sample error. The system value is the mean over
    samples with a t interval.

    **Needs.** A ``signal`` output (``path``) with channel types (from the file or its channel names).

    **Source.** NeuroKit2 (Makowski et al. 2021) for ECG/EDA/respiration processing; Task Force of the ESC/NASPE
    (1996) for HRV; Nunan et al. (2010) for short-term HRV norms; Boucsein (2012) for EDA; Davidson (1992) for
    frontal alpha asymmetry; Donoghue et al. (2020) for the aperiodic slope.

    >>> SignalPlausibility.spec.headline.name
    'plausible_share'
    """

    spec = MetricSpec(
        name="signal_plausibility",
        modality="signal",
        scope="sample",
        outputs=(
            Output(
                "plausible_share",
                higher_is_better=True,
                range=(0.0, 1.0),
                description="share of range-checked descriptors within physiological plausibility ranges",
            ),
            *(
                Output(name, higher_is_better=None, range=(low, high), description=text)
                for name, (low, high, text) in _DESCRIPTORS.items()
            ),
        ),
        version="1.0.0",
        summary="physiological descriptors (HR, HRV, EDA, respiration, EEG bands) and their plausibility",
        citation="Makowski et al. 2021 (NeuroKit2); Task Force 1996 (HRV); Boucsein 2012 (EDA); Davidson 1992",
    )
    batch_size = 8

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.signal import read_signal
        from emoeval.reference_models.signal_descriptors import block_descriptors

        scores = []
        for sample in samples:
            try:
                signal = read_signal(sample.path)
            except SampleInputError as exc:
                scores.append(SampleScore.failed(str(exc)))
                continue
            values: dict[str, float] = {}
            notes = list(signal.warnings)
            for block in BLOCKS:
                if block not in signal.types:
                    continue
                try:
                    values.update(block_descriptors(signal, block))
                except SampleInputError as exc:
                    notes.append(f"{block}: {exc}")
            if not values:
                reason = "; ".join(notes) or f"no ecg, eda, rsp or eeg channel (types: {', '.join(signal.types)})"
                scores.append(SampleScore.failed(f"{signal.source}: no descriptor could be computed ({reason})"))
                continue
            checked = [name for name in values if name in PLAUSIBLE]
            outside = [name for name in checked if not PLAUSIBLE[name][0] <= values[name] <= PLAUSIBLE[name][1]]
            notes += [
                f"{name} {values[name]:.3g} outside {PLAUSIBLE[name][0]:g}–{PLAUSIBLE[name][1]:g}" for name in outside
            ]
            if checked:
                values["plausible_share"] = 1.0 - len(outside) / len(checked)
            scores.append(SampleScore(values=values, warning="; ".join(notes) or None))
        return scores


__all__ = ["SignalPlausibility"]
