"""Binary arousal and valence classes (``low`` / ``high``): of emotion labels, of self-assessment ratings, and of a
recognizer's probabilities over emotions.

Physiological emotion corpora are labelled on the two axes of the circumplex (Russell 1980) more often than by
category: DEAP (Koelstra et al. 2012) and AMIGOS (Miranda-Correa et al. 2021) collect self-assessment manikin
ratings of arousal and valence from 1 to 9, DREAMER (Katsigiannis & Ramzan 2018) from 1 to 5, and the field
reports *binary* arousal and valence accuracy with the ratings split at the scale's midpoint ("the threshold
was simply placed in the middle", Koelstra et al. 2012). This module holds the one mapping emoeval uses
everywhere between those labels:

- **Emotions → classes.** An emotion's class on an axis is the sign of its coordinate in emoeval's
  valence–arousal anchors (:data:`emoeval.functional.affect_space.VA_ANCHORS`, the pleasure and arousal ratings
  of Russell & Mehrabian 1977): high arousal for angry, fear, disgust, happy, surprise; low for calm, sad,
  boredom; high valence for happy, calm, surprise; low for angry, fear, disgust, sad, boredom. ``neutral`` (the
  origin) and the emotions without an anchor (``contempt``, ``frustrated``) have no class.
- **Class codes.** A set labelled by ratings instead of emotions gets the field's quadrant codes as labels:
  ``HAHV``, ``HALV``, ``LAHV``, ``LALV`` (both axes), or ``HA``/``LA``, ``HV``/``LV`` (one axis) —
  :func:`class_code`; :func:`classes_of` reads them back.
- **Ratings → classes** (:func:`rating_class`): ``low``/``high`` as written (``negative``/``positive`` for
  valence), or a number on a known dataset's scale (:data:`RATING_SCALES`): above the midpoint is ``high``, at
  or below it ``low`` (conventions differ on the midpoint itself; this one is stated, and a rating exactly at
  5 of 1–9 counts as low).
- **Probabilities → a class** (:func:`high_probability`): the probability of ``high`` on an axis is the mass
  of the labels of class ``high`` over the mass of the labels that have a class on that axis (the others,
  e.g. ``neutral``, are left out and the rest renormalised, as :func:`~emoeval.functional.affect_space.
  valence_arousal` does); when less than :data:`MIN_CLASSED_MASS` of the mass has a class the reading says
  more about the renormalisation than about the recording, and there is none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.functional.affect_space import VA_ANCHORS

Dimension = Literal["arousal", "valence"]
AROUSAL: Dimension = "arousal"
VALENCE: Dimension = "valence"
DIMENSIONS: tuple[Dimension, ...] = (AROUSAL, VALENCE)
LOW, HIGH = "low", "high"
CLASSES: tuple[str, str] = (LOW, HIGH)
#: self-assessment scales (lowest, highest rating) of the corpora that publish ratings
RATING_SCALES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"deap": (1.0, 9.0), "amigos": (1.0, 9.0), "dreamer": (1.0, 5.0)}
)
#: a distribution with less than this share of its mass on labels with a class on the axis gives no class
MIN_CLASSED_MASS = 0.5
_WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        AROUSAL: MappingProxyType({"low": LOW, "high": HIGH}),
        VALENCE: MappingProxyType({"low": LOW, "high": HIGH, "negative": LOW, "positive": HIGH}),
    }
)


def _sign_class(value: float) -> str | None:
    return HIGH if value > 0 else LOW if value < 0 else None


def class_code(arousal: str | None, valence: str | None) -> str:
    """The field's code for a pair of classes: ``HALV`` (high arousal, low valence), ``HA`` (arousal only), ...

    >>> class_code("high", "low"), class_code("low", None), class_code(None, "high")
    ('HALV', 'LA', 'HV')
    """
    parts = []
    if arousal is not None:
        parts.append(("H" if arousal == HIGH else "L") + "A")
    if valence is not None:
        parts.append(("H" if valence == HIGH else "L") + "V")
    if not parts:
        raise ValueError("a class code needs an arousal or a valence class")
    return "".join(parts)


def _parse_code(label: str) -> dict[str, str] | None:
    found: dict[str, str] = {}
    rest = label
    while rest:
        if len(rest) < 2 or rest[0] not in "HL" or rest[1] not in "AV":
            return None
        dimension = AROUSAL if rest[1] == "A" else VALENCE
        if dimension in found:
            return None
        found[dimension] = HIGH if rest[0] == "H" else LOW
        rest = rest[2:]
    return found or None


def is_class_code(label: str) -> bool:
    """Whether ``label`` is an arousal/valence class code (``HALV``, ``LA``, ...) rather than an emotion.

    >>> is_class_code("HALV"), is_class_code("LA"), is_class_code("angry"), is_class_code("HAHA")
    (True, True, False, False)
    """
    return label not in VA_ANCHORS and _parse_code(label) is not None


def classes_of(label: str) -> tuple[str | None, str | None]:
    """(arousal class, valence class) of an emotion label or a class code; None on an axis without one.

    >>> classes_of("angry"), classes_of("calm"), classes_of("neutral"), classes_of("LAHV"), classes_of("HA")
    (('high', 'low'), ('low', 'high'), (None, None), ('low', 'high'), ('high', None))
    """
    anchor = VA_ANCHORS.get(label)
    if anchor is not None:
        valence, arousal = anchor
        return _sign_class(arousal), _sign_class(valence)
    code = _parse_code(label)
    if code is not None:
        return code.get(AROUSAL), code.get(VALENCE)
    return None, None


def class_of(label: str, dimension: Dimension) -> str | None:
    """The class of ``label`` (an emotion or a class code) on ``dimension``, or None.

    >>> class_of("fear", "arousal"), class_of("fear", "valence"), class_of("contempt", "valence")
    ('high', 'low', None)
    """
    arousal, valence = classes_of(label)
    return arousal if dimension == AROUSAL else valence


def rating_class(value: object, dimension: Dimension, *, scale: tuple[float, float] | None = None) -> str | None:
    """The class a manifest cell states on ``dimension``: ``low``/``high`` (``negative``/``positive`` for valence;
    any case), or a number on ``scale`` (above the midpoint: ``high``). None for an empty cell. Raises
    :class:`ValueError` naming the fix for a number without a scale, outside the scale, or an unknown word.

    >>> rating_class("High", "arousal"), rating_class("negative", "valence")
    ('high', 'low')
    >>> rating_class(7.5, "valence", scale=(1, 9)), rating_class(5, "valence", scale=(1, 9))
    ('high', 'low')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    word = _WORDS[dimension].get(text.lower())
    if word is not None:
        return word
    try:
        number = float(text)
    except ValueError:
        raise ValueError(
            f"{dimension} {text!r} is neither {' nor '.join(sorted(_WORDS[dimension]))} nor a rating"
        ) from None
    if scale is None:
        raise ValueError(
            f"{dimension} rating {text}: numeric ratings need their scale to be split at its midpoint; name the "
            f"dataset ({', '.join(f'{k} {lo:g}-{hi:g}' for k, (lo, hi) in RATING_SCALES.items())}: label_set= / "
            "--label-set), or write low/high"
        )
    low, high = scale
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{dimension} rating {text} lies outside the scale {low:g}-{high:g}")
    return HIGH if number > (low + high) / 2 else LOW


def high_probability(probabilities: Sequence[float] | np.ndarray, labels: Sequence[str], dimension: Dimension) -> float:
    """P(``high`` on ``dimension``) from a distribution over ``labels`` (emotions or class codes; module
    docstring). Raises :class:`SampleInputError` when less than :data:`MIN_CLASSED_MASS` of the mass lies on
    labels with a class on the axis.

    >>> round(high_probability([0.6, 0.3, 0.1], ["angry", "calm", "neutral"], "arousal"), 6)
    0.666667
    >>> high_probability([0.2, 0.8], ["HAHV", "LAHV"], "valence")
    1.0
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size != len(labels):
        raise ValueError(f"{p.size} probabilities for {len(labels)} labels")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise SampleInputError("the recognizer's probabilities are not finite and non-negative")
    classes = [class_of(label, dimension) for label in labels]
    total = float(p.sum())
    classed = float(sum(value for value, c in zip(p, classes, strict=True) if c is not None))
    if total <= 0 or classed < MIN_CLASSED_MASS * total:
        without = sorted({label for label, c in zip(labels, classes, strict=True) if c is None})
        raise SampleInputError(
            f"only {classed / total if total > 0 else 0.0:.0%} of the recognizer's probability lies on labels with "
            f"a {dimension} class (none for {', '.join(without) or '-'}); no {dimension} class for this recording"
        )
    high = float(sum(value for value, c in zip(p, classes, strict=True) if c == HIGH))
    return high / classed


def predicted_class(p_high: float) -> str:
    """``high`` when P(high) > 0.5, else ``low`` (a tie reads as low).

    >>> predicted_class(0.51), predicted_class(0.5)
    ('high', 'low')
    """
    return HIGH if p_high > 0.5 else LOW


__all__ = [
    "AROUSAL",
    "CLASSES",
    "DIMENSIONS",
    "HIGH",
    "LOW",
    "MIN_CLASSED_MASS",
    "RATING_SCALES",
    "VALENCE",
    "Dimension",
    "class_code",
    "class_of",
    "classes_of",
    "high_probability",
    "is_class_code",
    "predicted_class",
    "rating_class",
]
