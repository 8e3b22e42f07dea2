"""Testing an emotion generator with emoeval's pytest plugin — copy this file into your tests.

The plugin comes with emoeval (no conftest needed). ``my_generator`` stands in for your model: here it "turns a
neutral face happy" by returning the person's real smiling photo from emoeval's demo set, and "answers" with
fixed replies. Run ``pytest --emoeval-update-baseline`` once to write the baseline, commit it, then plain
``pytest`` fails when a change makes the outputs measurably worse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emoeval.assertions import assert_emotion_accuracy, assert_identity_preserved
from emoeval.demo import demo_manifest

FACES = demo_manifest().parent / "faces"
PEOPLE = ["001", "002", "006", "029", "041", "043"]
BASELINE = Path(__file__).with_name("generator_baseline.csv")


def my_generator(person: str) -> np.ndarray:
    """Your model: a neutral face in, a happy face out (an H×W×3 uint8 array)."""
    return np.asarray(Image.open(FACES / f"{person}_happy.jpg").convert("RGB"))


@pytest.mark.emoeval(metrics=["face_identity_similarity"], baseline=BASELINE)
def test_the_generator_keeps_identity_and_does_not_regress(emoeval_score, emoeval_gate):
    outputs = [
        {
            "sample_id": f"smile/{person}",
            "system": "my_generator",
            "image": my_generator(person),
            "reference": str(FACES / f"{person}_neutral.jpg"),
            "target_emotion": "happy",
            "group": person,
        }
        for person in PEOPLE
    ]
    results = emoeval_score(outputs)
    # decided on the 95 % interval: passes only when its lower bound clears the threshold
    assert_identity_preserved(results, at_least=0.9)
    emoeval_gate(results)  # regressed against the committed baseline -> the test fails with the table


def test_replies_carry_the_intended_emotion(emoeval_score):
    replies = [
        ("I'm so sorry for your loss. That must hurt a lot.", "sad"),
        ("Wow, congratulations! That is wonderful news!", "happy"),
        ("That is outrageous, they had no right to do that!", "angry"),
        ("Oh no, that sounds really frightening.", "fear"),
    ]
    outputs = [
        {"sample_id": f"bot/{i}", "system": "my_bot", "text": text, "target_emotion": emotion}
        for i, (text, emotion) in enumerate(replies)
    ]
    results = emoeval_score(outputs, metrics=["text_emotion_accuracy"])
    with pytest.raises(AssertionError, match="too few samples to decide"):
        # four replies cannot show 80 % accuracy with 95 % confidence, however good they are
        assert_emotion_accuracy(results, at_least=0.8, per_emotion=False)
