"""One emotion-label vocabulary, and documented mappings from the label sets of common datasets.

emoeval compares emotions across generators, recognizers and datasets, so every label is normalised to one
canonical vocabulary first. The canonical labels are plain English adjectives/nouns:

``neutral, calm, happy, sad, angry, fear, disgust, surprise, contempt, boredom, frustrated``

Dataset mappings (``DATASET_LABELS``) say how each corpus's own codes map onto it. Choices that lose
information are documented where they are made:

- **FER2013** (Goodfellow et al. 2013): 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
- **EmoDB** (Burkhardt et al. 2005): German letter codes in file names — W Ärger (anger), L Langeweile
  (boredom), E Ekel (disgust), A Angst (fear), F Freude (happiness), T Trauer (sadness), N neutral.
- **IEMOCAP** (Busso et al. 2008): neu, hap, exc, ang, sad, fru, sur, fea, dis. ``exc`` (excited) maps to
  ``happy``, the merge of the standard 4-class protocol (neutral/happy/angry/sad). ``oth`` and ``xxx``
  (no agreement) are not emotions and are rejected.
- **ESD** (Zhou et al. 2021): Neutral, Happy, Angry, Sad, Surprise.
- **MELD** (Poria et al. 2019): neutral, joy, sadness, anger, surprise, fear, disgust.
- **RAVDESS** (Livingstone & Russo 2018): codes 01 neutral, 02 calm, 03 happy, 04 sad, 05 angry,
  06 fearful, 07 disgust, 08 surprised (the third field of a file name).
- **CREMA-D** (Cao et al. 2014): ANG, DIS, FEA, HAP, NEU, SAD.

Without a dataset, :func:`normalize_label` accepts the canonical labels and the common English forms used
by those datasets (``joy``, ``happiness``, ``anger``, ``sadness``, ``fearful``, ``surprised``, ...). Anything
else raises :class:`~emoeval.errors.UnknownLabelError` naming the labels it knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from emoeval.errors import UnknownLabelError

CANONICAL_LABELS: tuple[str, ...] = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fear",
    "disgust",
    "surprise",
    "contempt",
    "boredom",
    "frustrated",
)

# English word forms the datasets above use for the canonical labels.
_ENGLISH_FORMS: Mapping[str, str] = MappingProxyType(
    {
        **{label: label for label in CANONICAL_LABELS},
        "happiness": "happy",
        "joy": "happy",
        "sadness": "sad",
        "anger": "angry",
        "fearful": "fear",
        "surprised": "surprise",
        "disgusted": "disgust",
        "bored": "boredom",
        "frustration": "frustrated",
    }
)

DATASET_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "fer2013": MappingProxyType(
            {
                "0": "angry",
                "1": "disgust",
                "2": "fear",
                "3": "happy",
                "4": "sad",
                "5": "surprise",
                "6": "neutral",
                "angry": "angry",
                "disgust": "disgust",
                "fear": "fear",
                "happy": "happy",
                "sad": "sad",
                "surprise": "surprise",
                "neutral": "neutral",
            }
        ),
        "emodb": MappingProxyType(
            {
                "w": "angry",
                "l": "boredom",
                "e": "disgust",
                "a": "fear",
                "f": "happy",
                "t": "sad",
                "n": "neutral",
                "anger": "angry",
                "boredom": "boredom",
                "disgust": "disgust",
                "fear": "fear",
                "happiness": "happy",
                "sadness": "sad",
                "neutral": "neutral",
            }
        ),
        "iemocap": MappingProxyType(
            {
                "neu": "neutral",
                "hap": "happy",
                "exc": "happy",
                "ang": "angry",
                "sad": "sad",
                "fru": "frustrated",
                "sur": "surprise",
                "fea": "fear",
                "dis": "disgust",
            }
        ),
        "esd": MappingProxyType(
            {"neutral": "neutral", "happy": "happy", "angry": "angry", "sad": "sad", "surprise": "surprise"}
        ),
        "meld": MappingProxyType(
            {
                "neutral": "neutral",
                "joy": "happy",
                "sadness": "sad",
                "anger": "angry",
                "surprise": "surprise",
                "fear": "fear",
                "disgust": "disgust",
            }
        ),
        "ravdess": MappingProxyType(
            {
                "01": "neutral",
                "02": "calm",
                "03": "happy",
                "04": "sad",
                "05": "angry",
                "06": "fear",
                "07": "disgust",
                "08": "surprise",
                "neutral": "neutral",
                "calm": "calm",
                "happy": "happy",
                "sad": "sad",
                "angry": "angry",
                "fearful": "fear",
                "disgust": "disgust",
                "surprised": "surprise",
            }
        ),
        "crema-d": MappingProxyType(
            {"ang": "angry", "dis": "disgust", "fea": "fear", "hap": "happy", "neu": "neutral", "sad": "sad"}
        ),
    }
)


def known_datasets() -> tuple[str, ...]:
    """Names accepted by the ``dataset`` argument of :func:`normalize_label`."""
    return tuple(DATASET_LABELS)


def normalize_label(label: str, dataset: str | None = None) -> str:
    """Map one emotion label to the canonical vocabulary.

    Case and surrounding white space are ignored. With ``dataset`` (one of :func:`known_datasets`), only that
    dataset's codes and names are accepted; without it, the canonical labels and their common English forms.

    >>> normalize_label("Joy")
    'happy'
    >>> normalize_label("W", dataset="emodb")
    'angry'
    >>> normalize_label("exc", dataset="iemocap")
    'happy'
    """
    key = str(label).strip().lower()
    if dataset is None:
        table, where = _ENGLISH_FORMS, "the emoeval vocabulary"
    else:
        dataset_key = dataset.strip().lower()
        if dataset_key not in DATASET_LABELS:
            raise UnknownLabelError(f"unknown label set {dataset!r}; known label sets: {', '.join(DATASET_LABELS)}")
        table, where = DATASET_LABELS[dataset_key], f"the {dataset_key} label set"
    try:
        return table[key]
    except KeyError:
        known = ", ".join(sorted(set(table)))
        raise UnknownLabelError(f"unknown emotion label {label!r} in {where}; known labels: {known}") from None


def normalize_labels(labels: Iterable[str], dataset: str | None = None) -> list[str]:
    """:func:`normalize_label` over many labels."""
    return [normalize_label(label, dataset) for label in labels]
