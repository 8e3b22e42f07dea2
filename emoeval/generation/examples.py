"""Shipped prompt sets and two small generators that exercise the harness on real data.

**Prompt sets** (``emoeval/data/prompts/``, :func:`example_prompts`; ``emoeval generate example:speech ...``):

- ``faces`` — 12 requests to edit the demo's neutral London faces (Face Research Lab London Set, CC BY 4.0; see
  ``emoeval/data/demo/ATTRIBUTION.md``) towards a smile at intensity 0.5 or 1, and two to keep them neutral;
- ``speech`` — 8 sentences to speak angrily, happily, sadly or neutrally, each with a reference voice from the
  demo's Emo-StarGAN samples (MIT) and ``pitch`` / ``speed`` columns for espeak-ng (its 0–99 pitch and words per
  minute: higher and faster for anger and joy, lower and slower for sadness — the direction of the prosodic
  correlates in Scherer 2003, not calibrated values);
- ``dialogue`` — 8 dialogue contexts to answer with an empathetic reply in a target emotion.

The sentences and dialogue contexts were written for emoeval by its developers (no dataset's text is copied).

**Generators** (for trying the harness, not models of anything):

- :func:`morph_face` (``emoeval.generation.examples:morph_face``) — a real operation on real faces: the request's
  neutral ``reference`` photo cross-faded with the same person's smiling photo from the demo folder (``<id>_happy.jpg``
  beside ``<id>_neutral.jpg``) at the requested intensity. It needs the demo's naming, and it can only "generate"
  people whose smile exists: an oracle control, not an expression editor.
- :func:`templated_reply` (``emoeval.generation.examples:templated_reply``) — a dialogue responder that fills a
  fixed sentence per target emotion with the last turn's topic: a baseline every real responder should beat on
  diversity and relevance.
- espeak-ng (Debian package ``espeak-ng``) through the command adapter:
  ``cmd:espeak-ng -v en-us -p {pitch} -s {speed} -w {output} -- {text}`` (:data:`ESPEAK_SPEC`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emoeval.errors import RunConfigError, SampleInputError

#: the shipped prompt sets
EXAMPLES: tuple[str, ...] = ("faces", "speech", "dialogue")
#: espeak-ng speaking the ``speech`` prompt set (its pitch and speed columns)
ESPEAK_SPEC = "cmd:espeak-ng -v en-us -p {pitch} -s {speed} -w {output} -- {text}"

_REPLIES = {
    "happy": "That's wonderful news about {topic}! I'm really happy for you.",
    "sad": "I'm so sorry about {topic}. That sounds really hard.",
    "angry": "That's outrageous about {topic}. You have every right to be furious.",
    "surprised": "Wow, {topic}? I did not see that coming at all!",
    "fearful": "That sounds frightening, {topic}. It's normal to feel scared.",
    "disgust": "Ugh, {topic}? That's awful.",
    "neutral": "I see. About {topic}: let me think.",
}


def example_prompts(name: str) -> Path:
    """The path of a shipped prompt set (``faces``, ``speech`` or ``dialogue``)."""
    if name not in EXAMPLES:
        raise RunConfigError(f"no example prompt set {name!r}; shipped: {', '.join(EXAMPLES)}")
    from importlib import resources

    return Path(str(resources.files("emoeval.data") / "prompts" / f"{name}.csv"))


def morph_face(request: dict[str, Any]) -> Any:
    """Cross-fade the neutral ``reference`` face towards the same person's smiling photo (module docstring):
    an H × W × 3 uint8 array, intensity 0 → the neutral photo, 1 → the smile."""
    import numpy as np
    from PIL import Image

    reference = request.get("reference")
    if not reference or not str(reference).endswith("_neutral.jpg"):
        raise SampleInputError(f"morph_face needs a reference named <id>_neutral.jpg, got {reference!r}")
    smile = Path(str(reference).replace("_neutral.jpg", "_happy.jpg"))
    if not smile.is_file():
        raise SampleInputError(f"morph_face: no smiling photo {smile.name} beside {Path(str(reference)).name}")
    weight = float(request.get("intensity") or 0.0) if request.get("target_emotion") != "neutral" else 0.0
    weight = min(max(weight, 0.0), 1.0)
    with Image.open(reference) as neutral_image, Image.open(smile) as smile_image:
        neutral = np.asarray(neutral_image.convert("RGB"), dtype=np.float64)
        happy = np.asarray(smile_image.convert("RGB").resize(neutral_image.size), dtype=np.float64)
    return np.clip(np.rint((1.0 - weight) * neutral + weight * happy), 0, 255).astype(np.uint8)


def templated_reply(request: dict[str, Any]) -> str:
    """A fixed reply per target emotion, naming the last turn's topic (module docstring)."""
    context = request.get("context") or [request.get("text") or ""]
    last = str(context[-1]).strip().rstrip(".!?")
    words = last.split()
    topic = " ".join(words[-4:]) if words else "that"
    template = _REPLIES.get(str(request.get("target_emotion") or "neutral"), _REPLIES["neutral"])
    return template.format(topic=topic)


__all__ = ["ESPEAK_SPEC", "EXAMPLES", "example_prompts", "morph_face", "templated_reply"]
