"""The canonical emotion vocabulary and the documented dataset label mappings (emoeval.labels)."""

import pytest

from emoeval.errors import EmoevalError, UnknownLabelError
from emoeval.labels import CANONICAL_LABELS, DATASET_LABELS, known_datasets, normalize_label, normalize_labels

# (dataset, label as the dataset writes it, canonical label) — exactly what the module docstring documents.
DOCUMENTED_MAPPINGS = [
    # FER2013: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral (and the names themselves).
    ("fer2013", "0", "angry"),
    ("fer2013", "1", "disgust"),
    ("fer2013", "2", "fear"),
    ("fer2013", "3", "happy"),
    ("fer2013", "4", "sad"),
    ("fer2013", "5", "surprise"),
    ("fer2013", "6", "neutral"),
    ("fer2013", "angry", "angry"),
    ("fer2013", "disgust", "disgust"),
    ("fer2013", "fear", "fear"),
    ("fer2013", "happy", "happy"),
    ("fer2013", "sad", "sad"),
    ("fer2013", "surprise", "surprise"),
    ("fer2013", "neutral", "neutral"),
    # EmoDB: German letter codes W L E A F T N.
    ("emodb", "W", "angry"),
    ("emodb", "L", "boredom"),
    ("emodb", "E", "disgust"),
    ("emodb", "A", "fear"),
    ("emodb", "F", "happy"),
    ("emodb", "T", "sad"),
    ("emodb", "N", "neutral"),
    # IEMOCAP: exc (excited) merges into happy.
    ("iemocap", "neu", "neutral"),
    ("iemocap", "hap", "happy"),
    ("iemocap", "exc", "happy"),
    ("iemocap", "ang", "angry"),
    ("iemocap", "sad", "sad"),
    ("iemocap", "fru", "frustrated"),
    ("iemocap", "sur", "surprise"),
    ("iemocap", "fea", "fear"),
    ("iemocap", "dis", "disgust"),
    # ESD: Neutral, Happy, Angry, Sad, Surprise.
    ("esd", "Neutral", "neutral"),
    ("esd", "Happy", "happy"),
    ("esd", "Angry", "angry"),
    ("esd", "Sad", "sad"),
    ("esd", "Surprise", "surprise"),
    # MELD: neutral, joy, sadness, anger, surprise, fear, disgust.
    ("meld", "neutral", "neutral"),
    ("meld", "joy", "happy"),
    ("meld", "sadness", "sad"),
    ("meld", "anger", "angry"),
    ("meld", "surprise", "surprise"),
    ("meld", "fear", "fear"),
    ("meld", "disgust", "disgust"),
    # RAVDESS: the third field of a file name, 01..08.
    ("ravdess", "01", "neutral"),
    ("ravdess", "02", "calm"),
    ("ravdess", "03", "happy"),
    ("ravdess", "04", "sad"),
    ("ravdess", "05", "angry"),
    ("ravdess", "06", "fear"),
    ("ravdess", "07", "disgust"),
    ("ravdess", "08", "surprise"),
    # CREMA-D: ANG, DIS, FEA, HAP, NEU, SAD.
    ("crema-d", "ANG", "angry"),
    ("crema-d", "DIS", "disgust"),
    ("crema-d", "FEA", "fear"),
    ("crema-d", "HAP", "happy"),
    ("crema-d", "NEU", "neutral"),
    ("crema-d", "SAD", "sad"),
]


def test_known_datasets_are_the_documented_ones():
    assert set(known_datasets()) == {"fer2013", "emodb", "iemocap", "esd", "meld", "ravdess", "crema-d"}
    assert tuple(DATASET_LABELS) == known_datasets()


@pytest.mark.parametrize(("dataset", "label", "expected"), DOCUMENTED_MAPPINGS)
def test_dataset_label_maps_as_documented(dataset, label, expected):
    assert normalize_label(label, dataset=dataset) == expected


@pytest.mark.parametrize(("dataset", "label", "expected"), DOCUMENTED_MAPPINGS)
def test_dataset_label_ignores_case_and_surrounding_space(dataset, label, expected):
    assert normalize_label(f"  {label.upper()} ", dataset=dataset) == expected
    assert normalize_label(label.lower(), dataset=dataset.upper()) == expected


@pytest.mark.parametrize("dataset", sorted({dataset for dataset, _, _ in DOCUMENTED_MAPPINGS}))
def test_every_documented_dataset_is_covered(dataset):
    assert dataset in known_datasets()


def test_emodb_letter_codes_are_case_insensitive():
    upper = normalize_labels(list("WLEAFTN"), dataset="emodb")
    lower = normalize_labels(list("wleaftn"), dataset="emodb")
    assert upper == lower == ["angry", "boredom", "disgust", "fear", "happy", "sad", "neutral"]


def test_esd_and_meld_and_crema_d_have_exactly_the_documented_codes():
    assert set(DATASET_LABELS["esd"]) == {"neutral", "happy", "angry", "sad", "surprise"}
    assert set(DATASET_LABELS["meld"]) == {"neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust"}
    assert set(DATASET_LABELS["crema-d"]) == {"ang", "dis", "fea", "hap", "neu", "sad"}
    assert set(DATASET_LABELS["iemocap"]) == {"neu", "hap", "exc", "ang", "sad", "fru", "sur", "fea", "dis"}


@pytest.mark.parametrize("dataset", list(DATASET_LABELS))
def test_every_mapped_value_is_canonical(dataset):
    table = DATASET_LABELS[dataset]
    assert table, f"{dataset} maps nothing"
    for code, canonical in table.items():
        assert canonical in CANONICAL_LABELS, f"{dataset}: {code!r} maps to non-canonical {canonical!r}"
        # keys are stored in the form normalize_label looks them up in
        assert code == code.strip().lower()


def test_canonical_labels_are_unique_lowercase_and_normalise_to_themselves():
    assert len(set(CANONICAL_LABELS)) == len(CANONICAL_LABELS)
    assert set(CANONICAL_LABELS) == {
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
    }
    for label in CANONICAL_LABELS:
        assert normalize_label(label) == label
        assert normalize_label(label.upper()) == label


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Joy", "happy"),
        ("joy", "happy"),
        ("HAPPINESS", "happy"),
        ("happy", "happy"),
        ("sadness", "sad"),
        ("Sad", "sad"),
        ("anger", "angry"),
        ("ANGRY", "angry"),
        ("fearful", "fear"),
        ("Fear", "fear"),
        ("surprised", "surprise"),
        ("Surprise", "surprise"),
        ("disgusted", "disgust"),
        ("bored", "boredom"),
        ("frustration", "frustrated"),
        ("  Neutral\n", "neutral"),
        ("calm", "calm"),
        ("contempt", "contempt"),
    ],
)
def test_common_english_forms_normalise_without_a_dataset(label, expected):
    assert normalize_label(label) == expected


def test_normalize_labels_maps_each_label():
    assert normalize_labels(["Joy", "anger", "neutral"]) == ["happy", "angry", "neutral"]
    assert normalize_labels(["01", "06"], dataset="ravdess") == ["neutral", "fear"]
    assert normalize_labels([]) == []


@pytest.mark.parametrize("label", ["elated", "hap", "W", "0", "", "happy!"])
def test_unknown_label_without_dataset_names_the_label_and_the_known_ones(label):
    with pytest.raises(UnknownLabelError) as info:
        normalize_label(label)
    message = str(info.value)
    assert repr(label) in message
    assert "known labels:" in message
    for known in ("happy", "joy", "sadness", "neutral", "fearful"):
        assert known in message


def test_unknown_label_in_a_dataset_lists_that_datasets_codes():
    with pytest.raises(UnknownLabelError) as info:
        normalize_label("Q", dataset="emodb")
    message = str(info.value)
    assert "'Q'" in message
    assert "emodb" in message
    known_part = message.split("known labels:", 1)[1]
    for code in ["w", "l", "e", "a", "f", "t", "n"]:
        assert code in [part.strip() for part in known_part.split(",")]


@pytest.mark.parametrize("label", ["oth", "xxx", "OTH", "XXX"])
def test_iemocap_non_emotions_are_rejected(label):
    with pytest.raises(UnknownLabelError) as info:
        normalize_label(label, dataset="iemocap")
    message = str(info.value)
    assert repr(label) in message
    assert "iemocap" in message
    assert "known labels:" in message
    assert "exc" in message


@pytest.mark.parametrize(
    ("label", "dataset"),
    [
        ("joy", "iemocap"),  # an English form is not an IEMOCAP code
        ("W", "crema-d"),  # an EmoDB code is not a CREMA-D code
        ("7", "fer2013"),  # FER2013 stops at 6
        ("09", "ravdess"),  # RAVDESS stops at 08
        ("contempt", "esd"),
    ],
)
def test_a_dataset_accepts_only_its_own_codes(label, dataset):
    with pytest.raises(UnknownLabelError, match=r"known labels:"):
        normalize_label(label, dataset=dataset)


def test_unknown_dataset_lists_the_known_label_sets():
    with pytest.raises(UnknownLabelError) as info:
        normalize_label("happy", dataset="affectnet")
    message = str(info.value)
    assert "'affectnet'" in message
    assert "known label sets:" in message
    for name in known_datasets():
        assert name in message


def test_unknown_label_error_is_an_emoeval_value_error():
    with pytest.raises(EmoevalError):
        normalize_label("nope")
    with pytest.raises(ValueError):
        normalize_label("nope")
