"""The failure signatures of emotion synthesis, as verdicts on a results table.

Reviews of emotion synthesis name five ways generators fail — **mode collapse** (little variety within an
emotion), **lost intensity** (the emotion is there but muted), **over-smoothing** (flat prosody, waxy faces,
bland text), **poor controllability** (the intensity knob changes nothing) and **modalities that disagree**.
Each is measured by metrics of the ``failure_signatures`` family (``emoeval score ... --metrics
failure_signatures``); :data:`RULES` says, for each value that shows a signature, which side of which threshold is
the failure, and :func:`signature_verdicts` turns a run's system rows into plain verdicts such as
``over-smoothed F0: GV ratio 0.61 [0.55, 0.68]``.

A verdict reads the value *and* its interval: **flagged** when the whole interval lies on the failing side of
the threshold, **possible** when the value does but the interval crosses it, **not seen** otherwise (and **not
measured** without a value). Thresholds are documented with the metric that computes the value; a ratio to the
reference is 1.0 when the system is like real data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Side = Literal["below", "above"]
Verdict = Literal["flagged", "possible", "not seen", "not measured"]


@dataclass(frozen=True)
class SignatureRule:
    """Which value shows a signature, and where failure starts.

    ``metric`` is the metric's name (a configured label ``name(k=v)`` matches too), ``sub_metric`` the output;
    the failure is a value ``side`` ``threshold``. ``reference`` is what real data gives (shown beside the
    value); ``worst_by`` names the per-sample output whose lowest (``side`` below) or highest values point to
    the samples to look at, when the metric has one.
    """

    signature: str
    metric: str
    sub_metric: str
    what: str
    side: Side
    threshold: float
    reference: float | None = None
    worst_by: str | None = None


#: the thresholds of the verdicts, each justified where its metric documents it (one place: metrics import these)
#: mode collapse: a Vendi or distance ratio below half of real data's (metrics/emotion_diversity.py)
COLLAPSE_BELOW = 0.5
#: over-smoothed faces: half the Laplacian energy / high-frequency share of real faces (metrics/face/sharpness.py)
SMOOTHED_BELOW = 0.5
#: over-smoothed speech: a quarter of real speech's global variance lost; WORLD analysis-resynthesis alone keeps
#: 1.0-1.2 on EmoDB (interval lows >= 0.85), so 0.75 is past any vocoder effect (bench/signature_speech.py)
SPEECH_SMOOTHED_BELOW = 0.75
#: bland text: a fifth fewer distinct words per 42 tokens than human replies (metrics/text/richness.py)
BLAND_BELOW = 0.8
#: few emotion words: half the human replies' emotion-word variety (metrics/text/richness.py)
EMOTION_WORDS_BELOW = 0.5
#: over-smoothed physiological signals: half the reference's power above its 90 % spectral edge frequency, in the
#: ECG/PPG/EEG/EMG channels (metrics/signal/spectral.py); a held-out simulated set gives 0.99, a 2 Hz low-pass < 0.01
SIGNAL_SMOOTHED_BELOW = 0.5
#: lost intensity: the recognizer gives the target less than 0.3 (chance for a 7-label recognizer ≈ 0.14)
MUTED_BELOW = 0.3
#: poor controllability: Spearman ρ of requested vs measured intensity below 0.3 (a knob that does nothing: 0)
CONTROL_BELOW = 0.3
#: narrow affect range: fewer than half the reference's valence-arousal cells, or half its arousal spread
NARROW_BELOW = 0.5
#: modalities disagree: below the crowd's own face-vs-voice agreement on real CREMA-D clips (0.51; mean JS 0.33)
DISAGREE_BELOW = 0.5
DIVERGE_ABOVE = 0.33


RULES: tuple[SignatureRule, ...] = (
    # mode collapse (metrics/emotion_diversity.py: COLLAPSE_BELOW = 0.5)
    *(
        SignatureRule("mode collapse", f"{m}_emotion_diversity", sub_metric, what, "below", COLLAPSE_BELOW, 1.0)
        for m in ("face", "speech", "text", "signal")
        for sub_metric, what in (("vendi_ratio", "Vendi ratio"), ("diversity_ratio", "distance ratio"))
    ),
    # lost intensity: the recognizer barely sees the target emotion (chance for a 7-label recognizer ≈ 0.14)
    *(
        SignatureRule(
            "lost intensity",
            f"{m}_emotion_intensity",
            "intensity",
            "target probability",
            "below",
            0.3,
            None,
            "intensity",
        )
        for m in ("face", "speech", "text")
    ),
    # poor controllability: requested vs measured intensity (a knob that does nothing: ρ ≈ 0)
    *(
        SignatureRule(
            "poor controllability", f"{m}_emotion_intensity", "control_spearman", "Spearman ρ", "below", CONTROL_BELOW
        )
        for m in ("face", "speech", "text")
    ),
    # valence-arousal coverage (a narrower region of the plane than real data)
    *(
        SignatureRule(
            "narrow affect range", f"{m}_affect_coverage", "coverage", "VA coverage", "below", NARROW_BELOW, 1.0
        )
        for m in ("face", "speech", "text")
    ),
    # over-smoothed speech (metrics/speech/smoothing.py): global variances and F0 range against real speech
    *(
        SignatureRule("over-smoothing", "speech_smoothing", sub_metric, what, "below", SPEECH_SMOOTHED_BELOW, 1.0)
        for sub_metric, what in (
            ("gv_ratio_f0", "F0 GV ratio"),
            ("gv_ratio_energy", "energy GV ratio"),
            ("gv_ratio_mcep", "mel-cepstral GV ratio"),
            ("f0_range_ratio", "F0 range ratio"),
        )
    ),
    # over-smoothing (metrics/face/sharpness.py SMOOTHED_BELOW, metrics/text/richness.py BLAND_BELOW): real data
    # against itself stays within ±0.06 (faces) and ±0.02 (text); a just-visible blur (σ ≈ 0.7 px) crosses 0.5
    SignatureRule(
        "over-smoothing", "face_sharpness", "sharpness_ratio", "sharpness ratio", "below", SMOOTHED_BELOW, 1.0
    ),
    SignatureRule(
        "over-smoothing",
        "face_sharpness",
        "hf_energy_ratio",
        "high-frequency energy ratio",
        "below",
        SMOOTHED_BELOW,
        1.0,
    ),
    SignatureRule(
        "over-smoothing", "text_richness", "lexical_richness_ratio", "lexical richness ratio", "below", 0.8, 1.0
    ),
    # over-smoothed signals (metrics/signal/spectral.py): the lowest high-frequency power ratio of the channel types
    # with fast detail (a generator that rounds off QRS complexes or drops EEG beta/gamma)
    SignatureRule(
        "over-smoothing",
        "signal_spectral_distance",
        "hf_power_ratio",
        "high-frequency power ratio",
        "below",
        SIGNAL_SMOOTHED_BELOW,
        1.0,
    ),
    SignatureRule(
        "over-smoothing",
        "text_richness",
        "emotion_vocabulary_ratio",
        "emotion vocabulary ratio",
        "below",
        EMOTION_WORDS_BELOW,
        1.0,
    ),
    # modalities that disagree (metrics/multimodal/consistency.py): below the crowd's own face-vs-voice agreement
    # on real CREMA-D clips (0.51 top-label agreement, mean JS 0.33), a generator's modalities clearly disagree
    SignatureRule(
        "modalities disagree",
        "multimodal_emotion_consistency",
        "consistency_rate",
        "consistency rate",
        "below",
        DISAGREE_BELOW,
        None,
        "consistent",
    ),
    SignatureRule(
        "modalities disagree", "multimodal_emotion_consistency", "mean_js", "mean JS divergence", "above", DIVERGE_ABOVE
    ),
    *(
        SignatureRule(
            "flattened arousal",
            f"{m}_affect_coverage",
            "arousal_spread_ratio",
            "arousal spread ratio",
            "below",
            NARROW_BELOW,
            1.0,
        )
        for m in ("face", "speech", "text")
    ),
)


@dataclass(frozen=True)
class SignatureVerdict:
    """One signature of one system: the value that shows it, its interval and the verdict."""

    system: str
    rule: SignatureRule
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int | None
    verdict: Verdict

    @property
    def text(self) -> str:
        """``over-smoothed F0: GV ratio 0.61 [0.55, 0.68]`` (the interval left out when there is none)."""
        if self.verdict == "not measured":
            return f"{self.rule.signature}: {self.rule.what} not measured"
        interval = (
            f" [{self.ci_low:.2f}, {self.ci_high:.2f}]"
            if math.isfinite(self.ci_low) and math.isfinite(self.ci_high)
            else ""
        )
        return f"{self.rule.signature}: {self.rule.what} {self.value:.2f}{interval}"


def judge(value: float, ci_low: float, ci_high: float, rule: SignatureRule) -> Verdict:
    """The verdict on one value (see the module docstring).

    >>> rule = SignatureRule("mode collapse", "m", "s", "ratio", "below", 0.5)
    >>> judge(0.2, 0.1, 0.3, rule), judge(0.45, 0.3, 0.6, rule), judge(0.9, 0.8, 1.0, rule)
    ('flagged', 'possible', 'not seen')
    """
    if not math.isfinite(value):
        return "not measured"

    def failing(x: float) -> bool:
        return x < rule.threshold if rule.side == "below" else x > rule.threshold

    if not failing(value):
        return "not seen"
    far_end = ci_high if rule.side == "below" else ci_low
    return "flagged" if math.isfinite(far_end) and failing(far_end) else "possible"


def _base_name(label: str) -> str:
    return label.split("(", 1)[0]


def signature_verdicts(table: pd.DataFrame, rules: tuple[SignatureRule, ...] = RULES) -> list[SignatureVerdict]:
    """A verdict per (system, rule) for the rules whose metric the run has: from each system's overall row of
    the value (no target emotion), in system order."""
    system_rows = table[(table["scope"] == "system") & table["target_emotion"].isna()]
    verdicts: list[SignatureVerdict] = []
    labels = sorted({str(label) for label in system_rows["metric"].dropna()})
    for rule in rules:
        for label in (label for label in labels if _base_name(label) == rule.metric):
            rows = system_rows[(system_rows["metric"] == label) & (system_rows["sub_metric"] == rule.sub_metric)]
            for row in rows.sort_values("system").itertuples():
                value = float(row.value) if row.value == row.value else math.nan
                low = float(row.ci_low) if row.ci_low == row.ci_low else math.nan
                high = float(row.ci_high) if row.ci_high == row.ci_high else math.nan
                verdicts.append(
                    SignatureVerdict(
                        system=str(row.system),
                        rule=rule,
                        metric=label,
                        value=value,
                        ci_low=low,
                        ci_high=high,
                        n=None if row.n != row.n else int(row.n),
                        verdict=judge(value, low, high, rule),
                    )
                )
    return sorted(verdicts, key=lambda v: (v.system, [r.signature for r in rules].index(v.rule.signature)))


__all__ = ["RULES", "SignatureRule", "SignatureVerdict", "judge", "signature_verdicts"]
