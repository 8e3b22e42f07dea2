"""Is a generated physiological recording plausible at all? Descriptors and their plausibility ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from emoeval.errors import SampleInputError
from emoeval.functional.physio import EEG_BANDS, PLAUSIBLE
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore
from emoeval.reference_models.signal_descriptors import BLOCKS, MIN_SECONDS

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

_INF = math.inf
#: mathematical range and description of every descriptor (the plausibility ranges are in PLAUSIBLE)
_DESCRIPTORS: dict[str, tuple[float, float, str]] = {
    "heart_rate": (0.0, _INF, "mean heart rate, bpm"),
    "rmssd": (0.0, _INF, "HRV: root mean square of successive RR differences, ms"),
    "sdnn": (0.0, _INF, "HRV: standard deviation of RR intervals, ms"),
    "lf_hf": (0.0, _INF, "HRV: LF (0.04–0.15 Hz) / HF (0.15–0.4 Hz) power; only on ECG of ≥ 2 min"),
    "beat_consistency": (-1.0, 1.0, "R-peak detectability: mean correlation of each beat with the average beat"),
    "eda_tonic": (-_INF, _INF, "mean tonic skin conductance, µS"),
    "scr_rate": (0.0, _INF, "skin-conductance responses (≥ 0.01 µS) per minute"),
    "scr_amplitude": (0.0, _INF, "mean SCR amplitude, µS"),
    "rsp_rate": (0.0, _INF, "breaths per minute"),
    "rsp_amplitude": (-_INF, _INF, "mean breath amplitude (signal units)"),
    **{
        f"{band}_rel": (0.0, 1.0, f"EEG {band} {low:g}–{high:g} Hz power / 1–45 Hz power (mean over channels)")
        for band, (low, high) in EEG_BANDS.items()
    },
    **{
        f"{band}_power": (0.0, _INF, f"EEG {band} {low:g}–{high:g} Hz power, signal unit² (mean over channels)")
        for band, (low, high) in EEG_BANDS.items()
    },
    "log10_power": (-_INF, _INF, "EEG log10 of 1–45 Hz power (mean over channels)"),
    "frontal_alpha_asymmetry": (-_INF, _INF, "EEG ln α(F4) − ln α(F3) (or the next frontal pair)"),
    "aperiodic_slope": (-_INF, _INF, "EEG slope of log PSD vs log f, 2–40 Hz without 7–14 Hz"),
}
#: the descriptors with a plausibility range, per block (a block that fails counts all of them as outside)
_CHECKED: dict[str, tuple[str, ...]] = {
    block: tuple(name for name in names if name in PLAUSIBLE) for block, names in BLOCKS.items()
}


def channel_types_param(value: Any) -> str:
    """The ``channel_types`` parameter in its stored form: ``"all"``, or the chosen types comma-separated in
    ``ecg, eda, rsp, eeg`` order. Accepts ``"ecg,eda"``, ``"ecg+eda"`` or a list; anything else raises
    :class:`~emoeval.errors.RunConfigError` naming the allowed types.

    >>> channel_types_param("rsp+ecg"), channel_types_param(["eeg"]), channel_types_param("all")
    ('ecg,rsp', 'eeg', 'all')
    """
    from emoeval.errors import RunConfigError

    if isinstance(value, str):
        items = [item.strip().lower() for item in value.replace("+", ",").split(",") if item.strip()]
    elif isinstance(value, list | tuple):
        items = [str(item).strip().lower() for item in value]
    else:
        items = []
    if items == ["all"]:
        return "all"
    unknown = sorted(set(items) - set(BLOCKS))
    if not items or unknown:
        raise RunConfigError(
            f"signal_plausibility: channel_types={value!r}: give 'all' or some of {', '.join(BLOCKS)} "
            "(comma-separated, e.g. 'ecg,eda')"
        )
    return ",".join(block for block in BLOCKS if block in items)


class SignalPlausibility(SampleMetric):
    """Physiological plausibility of a recording: its descriptors, and whether they fall in human ranges.

    **Meaning.** For every channel type the recording has (``ecg``, ``eda``, ``rsp``, ``eeg``; or only those of
    the ``channel_types`` parameter, e.g. ``"ecg,eda"``), the descriptors of
    :mod:`emoeval.functional.physio`: heart rate, RMSSD, SDNN, LF/HF (ECG of ≥ 2 min only, the Task Force's
    minimum for LF), beat consistency (R-peak detectability by template matching); EDA tonic level, SCR rate and
    amplitude; respiration rate and amplitude; EEG relative and absolute δ θ α β γ band powers, frontal alpha
    asymmetry and the aperiodic slope. The headline ``plausible_share`` is the share of the range-checked
    descriptors (:data:`emoeval.functional.physio.PLAUSIBLE`: heart rate 40–180 bpm, RMSSD 5–200 ms, SDNN 5–250
    ms, LF/HF 0.05–20, beat consistency ≥ 0.66, tonic EDA 0.05–60 µS, 0–30 SCRs/min, SCR amplitude ≤ 5 µS,
    4–40 breaths/min, EEG aperiodic slope −4 to −0.3) that fall inside their range. A channel whose descriptors
    cannot be computed although the recording is long enough (no R peaks in a smoothed ECG, a flat line) or
    that fails the read-time quality checks of :mod:`emoeval.media.signal_quality` (flat or NaN runs, clipping, a
    rate below its type's floor) counts all its range-checked descriptors as outside: a generator whose ECG has
    no beats, or whose ECG channel is clipped, is not plausible — this metric measures that, where the other
    signal metrics refuse such a recording. The
    ``warning`` column names each descriptor outside its range, with the range, and each channel type that
    could not be described, with the reason. With a paired ``reference`` recording (the real one a generated
    sample imitates), ``template_correlation`` is the Pearson correlation of the two average beats, R peaks
    aligned (QRS morphology against the reference).

    **Range and direction.** ``plausible_share`` [0, 1], higher is better (1 = every checked descriptor within
    human ranges). ``template_correlation`` [-1, 1], higher is better. Descriptors have no direction: compare
    their distributions with real data (``signal_fd``). A recording without any usable channel of the chosen
    types, or too short for all of them, is a per-sample error. The system value is the mean over samples
    with a t interval.

    **Needs.** A ``signal`` output (``path``) with channel types (from the file or its channel names); optional
    ``reference`` (a ``signal`` file with an ECG channel) for ``template_correlation``.

    **Source.** NeuroKit2 (Makowski et al. 2021) for ECG/EDA/respiration processing; Task Force of the ESC/NASPE
    (1996) for HRV; Nunan et al. (2010) for short-term HRV norms; Orphanidou et al. (2015) for the heart-rate
    range and beat template matching; Boucsein (2012) and Braithwaite et al. (2013) for EDA; Russo et al.
    (2017) for slow breathing; Davidson (1992) for frontal alpha asymmetry; Donoghue et al. (2020) for the
    aperiodic slope.

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
            Output(
                "template_correlation",
                higher_is_better=True,
                range=(-1.0, 1.0),
                description="Pearson r of the average beat with the paired reference's (QRS morphology)",
            ),
            *(
                Output(name, higher_is_better=None, range=(low, high), description=text)
                for name, (low, high, text) in _DESCRIPTORS.items()
            ),
        ),
        inputs=(
            Input(
                "reference",
                "signal",
                required=False,
                description="the paired real recording (its ECG's average beat is compared)",
            ),
        ),
        version="1.2.0",
        summary="physiological descriptors (HR, HRV, EDA, respiration, EEG bands) and their plausibility",
        citation=(
            "Makowski et al. 2021 (NeuroKit2); Task Force 1996 (HRV); Orphanidou et al. 2015; Boucsein 2012 (EDA); "
            "Davidson 1992"
        ),
    )
    batch_size = 8

    def __init__(self, *, channel_types: str = "all") -> None:
        self.channel_types = channel_types_param(channel_types)

    @property
    def blocks(self) -> tuple[str, ...]:
        """The channel types this instance describes."""
        return tuple(BLOCKS) if self.channel_types == "all" else tuple(self.channel_types.split(","))

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.media.signal import read_signal

        scores = []
        for sample in samples:
            try:  # quality problems of one channel type count against plausibility below, not as an error
                signal = read_signal(sample.path, check=False)
            except SampleInputError as exc:
                scores.append(SampleScore.failed(str(exc)))
                continue
            scores.append(self._score_one(sample, signal))
        return scores

    def _score_one(self, sample: Sample, signal: Any) -> SampleScore:
        from emoeval.functional import physio
        from emoeval.media.signal import read_signal
        from emoeval.media.signal_quality import check_signal
        from emoeval.reference_models.signal_descriptors import block_descriptors

        values: dict[str, float] = {}
        notes = list(signal.warnings)
        failed: list[str] = []  # blocks present and long enough whose descriptors could not be computed
        present = [block for block in self.blocks if block in signal.types]
        for block in present:
            if signal.duration < MIN_SECONDS[block]:  # too short to judge: not counted either way
                notes.append(f"{block}: {signal.duration:.1f} s is too short (at least {MIN_SECONDS[block]:g} s)")
                continue
            try:
                check_signal(signal.select([block]), min_seconds=0.0)  # flat/NaN runs, clipping, rate floor
                values.update(block_descriptors(signal, block, notes=notes))
            except SampleInputError as exc:
                failed.append(block)
                count = len(_CHECKED[block])
                notes.append(f"{block}: {exc}; counted as {count} descriptor(s) outside their ranges")
        if not values:
            wanted = ", ".join(self.blocks)
            reason = "; ".join(notes) or f"no {wanted} channel (channels: {', '.join(signal.channels)})"
            return SampleScore.failed(f"{signal.source}: no descriptor could be computed ({reason})")
        checked = [name for name in values if name in PLAUSIBLE]
        outside = [name for name in checked if not PLAUSIBLE[name][0] <= values[name] <= PLAUSIBLE[name][1]]
        notes += [
            f"{name} {values[name]:.3g} outside {PLAUSIBLE[name][0]:g}–{PLAUSIBLE[name][1]:g}" for name in outside
        ]
        failed_count = sum(len(_CHECKED[block]) for block in failed)
        if checked or failed_count:
            values["plausible_share"] = 1.0 - (len(outside) + failed_count) / (len(checked) + failed_count)
        if "heart_rate" in values and sample.has("reference"):  # the ECG was described: compare its beats
            try:
                reference = read_signal(sample.value("reference"))
                ref_ecg = reference.of_type("ecg")
                if ref_ecg.shape[0] == 0:
                    raise SampleInputError(f"{reference.source}: the reference has no ecg channel")
                values["template_correlation"] = physio.reference_template_correlation(
                    signal.of_type("ecg")[0], signal.rate, ref_ecg[0], reference.rate, signal.source
                )
            except SampleInputError as exc:
                notes.append(f"template_correlation left out: {exc}")
        return SampleScore(values=values, warning="; ".join(notes) or None)


__all__ = ["SignalPlausibility", "channel_types_param"]
