"""Hugging Face hub text classifiers as plug-ins: a DistilRoBERTa emotion classifier and a DistilRoBERTa NLI model.

- ``distilroberta-emotion`` — ``j-hartmann/emotion-english-distilroberta-base`` (Hartmann 2022): DistilRoBERTa
  fine-tuned on six English emotion datasets (tweets, Reddit, self-reports, TV dialogue), the seven labels anger,
  disgust, fear, joy, neutral, sadness, surprise (MIT). Its outputs are reordered to emoeval's
  :data:`~emoeval.reference_models.text_emotion.TEXT_EMOTION_LABELS`, so the text emotion metrics read any
  recognizer the same way.
- ``distilroberta-nli`` — ``cross-encoder/nli-distilroberta-base`` (sentence-transformers; SNLI + MultiNLI):
  a (premise, hypothesis) pair → probabilities of :data:`NLI_LABELS` (Apache-2.0). Its input is a JSON list
  ``[premise, hypothesis]`` (:func:`nli_pair`), so pairs are cached like any text.

Both run through ``transformers`` (``AutoTokenizer`` + ``AutoModelForSequenceClassification`` with
``use_safetensors=True``: nothing is unpickled) from a private folder of links to files resolved by the weight
store, with ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` set while loading, so nothing is fetched. They
pass ``trust_remote_code=False``: a ``config.json`` or ``tokenizer_config.json`` whose ``auto_map`` names
custom Python classes is refused (without it, transformers would ask on the terminal whether to run that
code), so every file of these folders is data — JSON, text, safetensors — and none runs code.

**Where the files come from.** ``emoeval models pull distilroberta-emotion`` (or ``distilroberta-nli``)
downloads them from the hub at the pinned revision (:data:`EMOTION_REVISION`, :data:`NLI_REVISION`: commits
that hold a ``model.safetensors``); copies in the Hugging Face cache (``$HF_HUB_CACHE``, default
``~/.cache/huggingface/hub``) are found there; ``--weights NAME=FOLDER`` names any other copy (a folder holding
exactly the card's files: another file is refused). The hub publishes no sha256 emoeval could check offline, so
the cards record none and the store pins the files after the first successful load (see
:mod:`emoeval.reference_models.store`); the computed hashes enter every result row's provenance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from emoeval.errors import SampleInputError, WeightError
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.reference_models.store import ModelCard, WeightFile
from emoeval.reference_models.text_embedding import (
    check_text,
    clip_long_text,
    hub_offline,
    model_folder,
    require_transformers,
)
from emoeval.reference_models.text_emotion import TEXT_EMOTION_LABELS

EMOTION_REPO = "j-hartmann/emotion-english-distilroberta-base"
#: a commit of the repository holding ``model.safetensors`` next to the original files
EMOTION_REVISION = "fcf5d801b91416aae4d116770b48d0a91a32f277"
EMOTION_FILES: tuple[str, ...] = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
)
NLI_REPO = "cross-encoder/nli-distilroberta-base"
NLI_REVISION = "1b6dfe9d50403d4850f6e6909203d146ab1463d4"
NLI_FILES: tuple[str, ...] = (
    "config.json",
    "model.safetensors",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
)
#: output order of NLI models in emoeval
NLI_LABELS: tuple[str, ...] = ("entailment", "neutral", "contradiction")
MAX_LENGTH = 512


def hub_cache_dirs(repo: str) -> Any:
    """A ``tool_dirs`` callable: the snapshot folders of ``repo`` in the Hugging Face cache, newest first."""

    def folders() -> list[Any]:
        from emoeval.reference_models.speechbrain_speaker import hub_cache_snapshots

        return hub_cache_snapshots(repo)

    return folders


def _card(
    name: str,
    repo: str,
    revision: str,
    files: Sequence[str],
    summary: str,
    license: str,
    cite: str,
    roles: tuple[str, ...] = (),
) -> ModelCard:
    base = f"https://huggingface.co/{repo}/resolve/{revision}/"
    return ModelCard(
        name=name,
        version=f"{repo}@{revision[:12]}",
        files=tuple(WeightFile(filename=f, sha256="", size=0, url=base + f) for f in files),
        summary=summary,
        license=license,
        citation=cite,
        install_hint=(
            f"pip install 'emoeval[text]'; then emoeval models pull {name}, or --weights {name}=<folder with "
            f"{', '.join(files)}>"
        ),
        tool_dirs=hub_cache_dirs(repo),
        exact_folder=True,
        roles=roles,
    )


EMOTION_CARD = _card(
    "distilroberta-emotion",
    EMOTION_REPO,
    EMOTION_REVISION,
    EMOTION_FILES,
    "DistilRoBERTa text emotion classifier (j-hartmann), 7 labels (Ekman's six + neutral)",
    "MIT (j-hartmann/emotion-english-distilroberta-base)",
    "Hartmann (2022). Emotion English DistilRoBERTa-base. huggingface.co/j-hartmann/emotion-english-distilroberta-base",
    # an allowed recognizer= of text_emotion_accuracy and text_emotion_appropriateness
    roles=("text-emotion-recognizer",),
)
NLI_CARD = _card(
    "distilroberta-nli",
    NLI_REPO,
    NLI_REVISION,
    NLI_FILES,
    "DistilRoBERTa NLI cross-encoder (SNLI + MultiNLI): (premise, hypothesis) → entailment/neutral/contradiction",
    "Apache-2.0 (cross-encoder/nli-distilroberta-base)",
    "Reimers & Gurevych (2019). Sentence-BERT. EMNLP; Williams et al. (2018). MultiNLI. NAACL",
    # an allowed nli= of text_contradiction: (premise, hypothesis) as nli_pair → P over NLI_LABELS
    roles=("nli",),
)


def nli_pair(premise: str, hypothesis: str) -> str:
    """The text input of an NLI model for one pair (a JSON list), as the output cache keys it.

    >>> nli_pair("I have a cat.", "I have no pets.")
    '["I have a cat.", "I have no pets."]'
    """
    return json.dumps([premise, hypothesis], ensure_ascii=False)


class HFSequenceClassifier(ReferenceModel):
    """A transformers sequence classifier whose outputs are reordered to ``labels`` (subclasses set the card,
    the labels and how the model's own label names map onto them)."""

    labels: ClassVar[tuple[str, ...]]
    batch: ClassVar[int] = 16

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        require_transformers(f"the {self.card.name} plug-in")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        folder = model_folder(self.weights, f"emoeval-{self.card.name}-")
        try:
            with hub_offline():
                # trust_remote_code=False: an auto_map naming custom classes is refused, never run nor asked about
                self.tokenizer = AutoTokenizer.from_pretrained(folder.name, trust_remote_code=False)
                self.network = AutoModelForSequenceClassification.from_pretrained(
                    folder.name, use_safetensors=True, trust_remote_code=False
                )
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            places = ", ".join(str(w.path) for w in self.weights.values())
            raise WeightError(
                f"transformers could not load {self.card.name} from {places} ({type(exc).__name__}: "
                f"{str(exc)[:300]}); delete the files and run `emoeval models pull {self.card.name}`"
            ) from exc
        finally:
            folder.cleanup()
        self.network.eval()
        own = {int(index): str(name) for index, name in self.network.config.id2label.items()}
        self.order = self._order(own)

    def _order(self, own: dict[int, str]) -> list[int]:
        """For each of ``labels``, the index of the model output that holds it."""
        mapped = {self.map_label(name): index for index, name in own.items()}
        missing = [label for label in self.labels if label not in mapped]
        if missing:
            raise WeightError(
                f"{self.weights['config.json'].path}: the model's labels {sorted(own.values())} do not cover "
                f"{missing}; it is not a {self.card.name} model"
            )
        return [mapped[label] for label in self.labels]

    def map_label(self, name: str) -> str:
        return name.strip().lower()

    def config(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "max_length": MAX_LENGTH, "softmax": True}

    def _classify(self, first: list[str], second: list[str] | None = None) -> list[np.ndarray]:
        import torch

        outputs: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(first), self.batch):
                args: list[list[str]] = [first[start : start + self.batch]]
                if second is not None:
                    args.append(second[start : start + self.batch])
                encoded = self.tokenizer(
                    *args, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
                )
                probabilities = torch.softmax(self.network(**encoded).logits.double(), dim=-1).numpy()
                outputs.extend(row[self.order].copy() for row in probabilities)
        return outputs


class DistilRobertaEmotion(HFSequenceClassifier, EmotionRecognizer):
    """Text → probabilities (float64, 7) over :data:`TEXT_EMOTION_LABELS` from the j-hartmann DistilRoBERTa.

    An :class:`~emoeval.reference_models.recognition.EmotionRecognizer` (role ``text-emotion-recognizer``): metrics
    read it through :func:`~emoeval.reference_models.recognition.recognize` (its output is the probabilities only,
    no embedding).

    >>> DistilRobertaEmotion.labels == TEXT_EMOTION_LABELS
    True
    """

    card = EMOTION_CARD
    labels = TEXT_EMOTION_LABELS

    def map_label(self, name: str) -> str:
        from emoeval.errors import UnknownLabelError
        from emoeval.labels import normalize_label

        try:
            return normalize_label(name)
        except UnknownLabelError:
            return name.strip().lower()

    def prepare(self, item: ModelInput) -> str:
        return clip_long_text(check_text(item.text, item.name).strip())

    def infer(self, prepared: Sequence[str]) -> list[np.ndarray]:
        return self._classify(list(prepared))


class DistilRobertaNLI(HFSequenceClassifier):
    """(premise, hypothesis) as :func:`nli_pair` → probabilities (float64, 3) over :data:`NLI_LABELS`.

    >>> DistilRobertaNLI.labels
    ('entailment', 'neutral', 'contradiction')
    """

    card = NLI_CARD
    labels = NLI_LABELS

    def prepare(self, item: ModelInput) -> tuple[str, str]:
        try:
            pair = json.loads(check_text(item.text, item.name))
        except json.JSONDecodeError:
            pair = None
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise SampleInputError(f"{item.name}: an NLI input is a JSON list [premise, hypothesis] (nli_pair)")
        premise = clip_long_text(check_text(pair[0], f"{item.name} premise").strip())
        hypothesis = clip_long_text(check_text(pair[1], f"{item.name} hypothesis").strip())
        return premise, hypothesis

    def infer(self, prepared: Sequence[tuple[str, str]]) -> list[np.ndarray]:
        return self._classify([p for p, _ in prepared], [h for _, h in prepared])


__all__ = [
    "EMOTION_CARD",
    "EMOTION_FILES",
    "NLI_CARD",
    "NLI_FILES",
    "NLI_LABELS",
    "DistilRobertaEmotion",
    "DistilRobertaNLI",
    "HFSequenceClassifier",
    "nli_pair",
]
