"""Over-smoothing of generated speech against real speech: global-variance ratios, F0 range ratio, modulation
spectrum distance (the maths: :mod:`emoeval.functional.global_variance`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emoeval.metric import MetricSpec, Output
from emoeval.metrics.reference_set import EmotionState, MatchedReferenceMetric

if TYPE_CHECKING:
    pass

FEATURES = "speech-smoothing-features"
FEATURES_ROLE = "speech-smoothing-features"
_INF = math.inf


#: one recording's smoothing features and its target emotion (the state of :class:`SpeechSmoothing`)
SmoothingState = EmotionState


class SpeechSmoothing(MatchedReferenceMetric):
    """Over-smoothed speech: flattened F0 and energy, blurred spectra — against real speech of the same emotions.

    **Meaning.** Each recording is analysed with WORLD over its speech span (``speech-smoothing-features``: 5 ms
    frames, SPTK mel-cepstrum c1..c23 of the CheapTrick envelope). Against the reference recordings:

    - ``gv_ratio_f0`` (headline): the mean global variance (Toda & Tokuda 2007) of log F0 over voiced frames,
      system ÷ reference — how much the intonation moves;
    - ``gv_ratio_energy``: the same for frame energy (dB) over the speech span, pauses included;
    - ``gv_ratio_mcep``: the geometric mean over c1..c23 of the per-coefficient GV ratios (spectral dynamics);
    - ``f0_range_ratio``: mean F0 range (5th–95th percentile, semitones), system ÷ reference;
    - ``ms_distance_db``: RMS difference in dB between the set-average modulation spectra of the mel-cepstra
      (Takamichi et al. 2016), a distance rather than a ratio (0 = the same dynamics at every rate).

    **The reference is matched to the system's emotions**: each recording is compared with the mean of the
    reference recordings of its target emotion (all of them when the reference has none of that emotion, or no
    emotions), so a system of angry speech is compared with real angry speech, whose F0 moves more than neutral
    speech's. Real speech against itself gives exactly 1.0 (and 0 dB).

    **Range and direction.** Ratios in [0, ∞): **1.0 = as varied as real speech; below 1 = over-smoothed** (the
    failure signature; a GV ratio of 0.5 keeps half the variance), above 1 = more variable than real speech (not
    better by itself), so no direction is declared. ms_distance_db in [0, ∞), lower is closer. On EmoDB, WORLD
    resynthesis with log F0 and the spectral envelope smoothed over 250 ms falls to GV ratios below 1
    (``bench/signature_speech.py``; integration test); the panel flags a ratio below
    :data:`emoeval.signatures.SPEECH_SMOOTHED_BELOW` (0.75), past what analysis-resynthesis alone does. The interval
    is a percentile bootstrap over the system's recordings re-centred on the value, with the reference held fixed:
    it covers the system's sampling at this set size, not the reference set's.

    **Caveat on F0.** ``gv_ratio_f0`` is a variance of log F0 and so inherits the F0 tracker's octave errors:
    on EmoDB the per-clip log-F0 variance of dio+stonemask and of Harvest on the same recording differ by up to
    7×, and with 20 recordings real speech against itself already spans [0.85, 1.19]. Read it together with
    ``f0_range_ratio`` (5th–95th percentile, robust to a few octave jumps) and the mel-cepstral ratio.

    **Needs.** Recordings (``path``) with a ``target_emotion`` (optional), and a reference set of real speech:
    ``real=`` (folder laid out by emotion, or a manifest), ``real_system=``, or the samples' ``reference``
    recordings. A recording without speech or with fewer than two voiced frames is a per-sample error.

    **Source.** Toda & Tokuda (2007), IEICE Trans. Inf. & Syst. E90-D(5) (global variance); Takamichi, Toda,
    Black, Neubig, Sakti, Nakamura (2016), IEEE/ACM TASLP 24(4) (modulation spectrum); Morise et al. (2016), WORLD.
    """

    spec = MetricSpec(
        name="speech_smoothing",
        modality="speech",
        scope="corpus",
        outputs=(
            Output("gv_ratio_f0", None, (0.0, _INF), "global variance of log F0, system ÷ real (< 1: flattened)"),
            Output("gv_ratio_energy", None, (0.0, _INF), "global variance of frame energy, system ÷ real"),
            Output("gv_ratio_mcep", None, (0.0, _INF), "geometric mean over c1..c23 of mel-cepstral GV ratios"),
            Output("f0_range_ratio", None, (0.0, _INF), "F0 range (5th-95th percentile, semitones), system ÷ real"),
            Output("ms_distance_db", False, (0.0, _INF), "RMS dB difference of mel-cepstral modulation spectra"),
        ),
        version="1.0.0",
        models=(FEATURES,),
        summary="over-smoothing of speech: global-variance ratios of F0, energy, mel-cepstra; F0 range; MS distance",
        citation="Toda & Tokuda 2007 (GV); Takamichi et al. 2016 (modulation spectrum)",
    )
    family: ClassVar[str | None] = "failure_signatures"
    run_by_default: ClassVar[bool] = False
    output_noun: ClassVar[str] = "recording"
    sample_references: ClassVar[bool] = True
    # the ratios are ratios of means (resampling barely biases them), but the MS distance is an RMS of mean
    # differences, positive on every resample even of real data against itself: centre the interval on the value
    interval = "bootstrap_recentred"
    model_params: ClassVar[Mapping[str, str]] = {"embedder": FEATURES_ROLE}

    def __init__(
        self,
        *,
        embedder: str = FEATURES,
        real: str | Path | None = None,
        real_system: str | None = None,
        by_emotion: bool = False,
    ) -> None:
        super().__init__(embedder=embedder, real=real, real_system=real_system, by_emotion=by_emotion)

    def compute(self, states: Sequence[SmoothingState], *, emotion: str | None = None) -> dict[str, float]:
        import numpy as np

        from emoeval.functional.global_variance import geometric_mean, gv_ratio, ms_distance_db
        from emoeval.reference_models.speech_smoothing import block

        if not states:
            return self._nan()
        rows = np.stack([state.features for state in states]).astype(np.float64)
        reference = self.matched_means(states)
        ratios = {
            "gv_ratio_f0": float(gv_ratio(block(rows, "gv_logf0"), block(reference, "gv_logf0"))[0]),
            "gv_ratio_energy": float(gv_ratio(block(rows, "gv_energy"), block(reference, "gv_energy"))[0]),
            "gv_ratio_mcep": geometric_mean(gv_ratio(block(rows, "gv_mcep"), block(reference, "gv_mcep"))),
            "f0_range_ratio": float(gv_ratio(block(rows, "f0_range_st"), block(reference, "f0_range_st"))[0]),
            "ms_distance_db": ms_distance_db(block(rows, "ms_mcep"), block(reference, "ms_mcep")),
        }
        return {name: value if math.isfinite(value) else math.nan for name, value in ratios.items()}


__all__ = ["SmoothingState", "SpeechSmoothing"]
