"""Emotion intensity and its controllability, for any modality: what ``face_emotion_intensity``,
``speech_emotion_intensity`` and ``text_emotion_intensity`` share.

Loss of intensity is a generator failure of its own: the emotion is recognisable but muted. Each intensity
metric gives per sample

- ``intensity`` (headline): the recognizer's probability of the target emotion, in [0, 1];
- ``margin``: that probability minus the largest other one, in [−1, 1] (> 0: the target wins) — neither for a
  neutral target: neutral is the absence of the emotions whose strength they measure;
- ``valence`` and ``arousal``: the recognizer's distribution mapped onto Russell & Mehrabian's axes through the
  category anchors of :mod:`emoeval.functional.affect_space`, in [−1, 1] (every target; the report plots them);
- modality evidence that needs no recognizer training (face: expression displacement from the source face;
  speech: the prosodic arousal proxy; text: VADER magnitude);
- ``requested_intensity``: the manifest's ``intensity`` value, echoed when present, so the control curve can
  be drawn from the results table alone.

When outputs carry a requested intensity, :func:`controllability_values` adds per system (and per target
emotion) Spearman's ρ and Kendall's τ between requested and measured intensity with bootstrap intervals over
sources (``group``), the monotonicity violation rate and the control curve (:mod:`emoeval.functional.control`).
The measured intensity is the output named by the metric's ``control_output`` parameter.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from emoeval.metric import Output, SystemValue

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.reference_models.recognition import Recognition
    from emoeval.stats.aggregate import BootstrapSettings

_INF = math.inf


def intensity_target_error(target: str | None, labels: Sequence[str]) -> str | None:
    """Why a sample with ``target`` cannot be read by a recognizer with ``labels`` (None: it can)."""
    from emoeval.metrics.emotion_scores import not_scorable_message

    return None if target in labels else not_scorable_message(target, labels)


def checked_control_output(metric: str, value: str, allowed: Collection[str]) -> str:
    """``value`` as the ``control_output`` of ``metric`` (one of its per-sample outputs in ``allowed``), else a
    :class:`~emoeval.errors.RunConfigError` naming the allowed ones."""
    from emoeval.errors import RunConfigError

    if value not in allowed:
        raise RunConfigError(f"{metric}: control_output={value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def recognizer_values(reading: Recognition, target: str) -> tuple[dict[str, float], str | None]:
    """The recognizer-based values of one output and a warning: ``intensity`` and ``margin`` of the target
    (left out for a neutral target: neutral is the absence of the emotions whose strength they measure),
    ``valence`` and ``arousal`` of the distribution (left out, with the warning, when too little of it lies on
    labels with an anchor)."""
    from emoeval.errors import SampleInputError
    from emoeval.functional.affect_space import valence_arousal
    from emoeval.functional.control import target_margin

    values: dict[str, float] = {}
    if target != "neutral":
        values["intensity"] = reading.probability(target)
        values["margin"] = target_margin(reading.probabilities, reading.labels, target)
    try:
        values["valence"], values["arousal"] = valence_arousal(reading.probabilities, reading.labels)
    except SampleInputError as exc:
        return values, f"no valence-arousal point: {exc}"
    return values, None


INTENSITY = Output(
    "intensity",
    higher_is_better=True,
    range=(0.0, 1.0),
    description="recognizer's probability of the target emotion (muted emotion: low)",
)
MARGIN = Output(
    "margin",
    higher_is_better=True,
    range=(-1.0, 1.0),
    description="probability of the target minus the largest other probability",
)
VALENCE = Output(
    "valence",
    higher_is_better=None,
    range=(-1.0, 1.0),
    description="valence of the recognizer's distribution through category anchors (Russell & Mehrabian 1977)",
)
AROUSAL = Output(
    "arousal",
    higher_is_better=None,
    range=(-1.0, 1.0),
    description="arousal of the recognizer's distribution through category anchors (Russell & Mehrabian 1977)",
)
REQUESTED = Output(
    "requested_intensity",
    higher_is_better=None,
    range=(-_INF, _INF),
    description="the intensity the generator was asked for (the manifest's intensity column)",
)
#: per-system controllability outputs (only when outputs carry a requested intensity)
CONTROL_OUTPUTS: tuple[Output, ...] = (
    Output(
        "control_spearman",
        higher_is_better=True,
        range=(-1.0, 1.0),
        description="Spearman ρ of requested vs measured intensity (≈ 0: the knob does nothing)",
        scope="system",
    ),
    Output(
        "control_kendall",
        higher_is_better=True,
        range=(-1.0, 1.0),
        description="Kendall τ-b of requested vs measured intensity",
        scope="system",
    ),
    Output(
        "control_violation_rate",
        higher_is_better=False,
        range=(0.0, 1.0),
        description="share of steps up in requested intensity where measured intensity goes down",
        scope="system",
    ),
    Output(
        "control_curve",
        higher_is_better=None,
        range=(-_INF, _INF),
        description="mean measured intensity per requested level (the level in the label column)",
        scope="system",
    ),
)


def format_level(level: float) -> str:
    """A requested level as the ``label`` of its control-curve row: ``2`` for 2.0, ``0.25`` for 0.25.

    >>> format_level(2.0), format_level(0.25)
    ('2', '0.25')
    """
    return str(int(level)) if float(level).is_integer() else repr(float(level))


def controllability_values(rows: pd.DataFrame, control_output: str, bootstrap: BootstrapSettings) -> list[SystemValue]:
    """Controllability system values from one system's sample rows: overall and per target emotion.

    Pairs (requested, measured) are the ``requested_intensity`` and ``control_output`` rows of one sample;
    samples without both are left out. Nothing is returned when no sample has a requested intensity.
    """
    from emoeval.functional.control import controllability

    good = rows[rows["error"].isna()]
    requested = good[good["sub_metric"] == REQUESTED.name].set_index("sample_id")["value"]
    if requested.empty:
        return []
    measured = good[good["sub_metric"] == control_output].set_index("sample_id")["value"]
    info = good.drop_duplicates("sample_id").set_index("sample_id")
    joined = requested.rename("requested").to_frame().join(measured.rename("measured"), how="inner")
    joined = joined.join(info[["target_emotion", "group"]], how="left")
    values: list[SystemValue] = []
    emotions = sorted({str(e) for e in joined["target_emotion"].dropna()})
    parts: list[tuple[str | None, pd.DataFrame]] = [(None, joined)]
    if len(emotions) > 1:
        parts += [(emotion, joined[joined["target_emotion"] == emotion]) for emotion in emotions]
    for emotion, part in parts:
        groups: Sequence[object] | None = None
        if part["group"].notna().any():
            groups = [None if g is None or g != g else str(g) for g in part["group"]]  # NaN/None: no source
        result = controllability(
            part["requested"].to_numpy(float),
            part["measured"].to_numpy(float),
            groups,
            confidence=bootstrap.confidence,
            n_resamples=bootstrap.n_resamples,
            seed=bootstrap.seed,
        )
        error = result.note if math.isnan(result.spearman) else None
        values += [
            SystemValue(
                "control_spearman",
                result.spearman,
                *result.spearman_ci,
                n=result.n,
                target_emotion=emotion,
                error=error,
            ),
            SystemValue(
                "control_kendall", result.kendall, *result.kendall_ci, n=result.n, target_emotion=emotion, error=error
            ),
            SystemValue(
                "control_violation_rate",
                result.violation_rate,
                n=result.steps,
                target_emotion=emotion,
                error=None if result.steps else "fewer than two requested levels: no step to check",
            ),
        ]
        values += [
            SystemValue(
                "control_curve", mean, n=count, statistic="mean", target_emotion=emotion, label=format_level(level)
            )
            for level, mean, count in zip(result.levels, result.curve, result.counts, strict=True)
        ]
    return values


__all__ = [
    "AROUSAL",
    "CONTROL_OUTPUTS",
    "INTENSITY",
    "MARGIN",
    "REQUESTED",
    "VALENCE",
    "checked_control_output",
    "controllability_values",
    "format_level",
    "intensity_target_error",
    "recognizer_values",
]
