"""Zero-shot text emotion recognizer: emotion prototypes in MiniLM space plus lexicon evidence (NRC EmoLex, VADER).

Needs no labelled reference set and no download. For a text it combines three kinds of evidence into one score
per emotion of :data:`TEXT_EMOTION_LABELS` (the seven labels of MELD and FER2013, canonical emoeval names):

- **prototypes**: emoeval ships 220 example sentences written for it, 30 per emotion and 40 neutral
  (``reference_models/data/text_emotion_prototypes.csv``, MIT like the rest of emoeval; no sentence is taken
  from a dataset). Each is embedded with all-MiniLM-L6-v2; the prototype score of a label is the mean cosine
  similarity of the text to its :data:`TOP_K` most similar prototypes of that label.
- **NRC EmoLex** (Mohammad & Turney 2013), read from the word list shipped in ``nrclex`` (``nrclex/data/
  nrc_en.json``; the package is never imported, so neither TextBlob nor its corpora are needed): words
  associated with anger, disgust, fear, joy, sadness and surprise. emoeval tokenises (lower-cased words,
  :func:`emoeval.metrics.text.diversity.tokenize`), tries a few suffix-stripped forms for words not in the
  list (``-s``, ``-es``, ``-ed``, ``-ing``, ``-ly``, ``-ies``→``-y``), and ignores a word within three words
  after a negator (``not``, ``never``, ``n't``...). The lexicon score of an emotion is its count of matched
  words divided by √(number of words).
- **VADER valence** (Hutto & Gilbert 2014, ``vaderSentiment``): the magnitude |c| of the compound score
  c ∈ [-1, 1] (VADER's own negation, intensifier and punctuation rules): strongly valenced text is unlikely to
  be neutral. (Its sign was tried as evidence for happy vs. the negative emotions; the calibration below gave
  it no weight: the prototypes already separate them.)

score(e) = prototype(e) + w_lex · lexicon(e) for the six emotions, and score(neutral) = prototype(neutral) + τ −
w_val · |c|, where τ is the **neutral threshold**: an emotion is predicted only when its evidence beats the
neutral evidence by more than τ. The output is softmax(score / T) over the seven labels, in the order of
:data:`TEXT_EMOTION_LABELS`.

**Calibration** (:func:`calibrate`, re-run by the tests, which check that the constants below are its result):
leave-one-out on the shipped prototype sentences — each sentence is scored against the prototypes without
itself — choosing TOP_K, w_lex and w_val on small grids and τ on a 0.005 grid to maximise macro-F1 over the
seven labels (ties: the first in grid order, i.e. the smaller values), then T to minimise the negative
log-likelihood of the true labels. No sentence of any evaluation set (MELD, EmoryNLP, FED) enters it.
Leave-one-out result: see :data:`CALIBRATION_NOTE`.

**Licenses.** The prototypes are emoeval's own (MIT). VADER's lexicon is MIT. **NRC EmoLex is free for
research use only**; commercial use needs a license from the National Research Council Canada (see
saifmohammad.com). emoeval ships none of its data — it reads the copy inside the installed ``nrclex`` package —
but results of this recognizer depend on it: treat them as research-use.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import MissingDependencyError, WeightError
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile
from emoeval.reference_models.text_embedding import SENTENCE_MODEL, MiniLMSentenceEmbedder, check_text, clip_long_text

if TYPE_CHECKING:
    from collections.abc import Callable

#: output order of every text emotion recognizer in emoeval (FER2013's order; canonical labels)
TEXT_EMOTION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EMOTIONS: tuple[str, ...] = TEXT_EMOTION_LABELS[:-1]
#: NRC EmoLex category of each emotion label
NRC_CATEGORIES: Mapping[str, str] = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "joy",
    "sad": "sadness",
    "surprise": "surprise",
}
NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot", "without", "hardly"}
)
NEGATION_SCOPE = 3
PROTOTYPES_FILE = "text_emotion_prototypes.csv"
NRC_FILE = "nrc_en.json"
VADER_FILE = "vader_lexicon.txt"
VADER_EMOJI_FILE = "emoji_utf8_lexicon.txt"

# -- calibrated constants (the result of calibrate(); a test re-runs it) ------------------------------------------
TOP_K = 15
W_LEX = 0.075
W_VAL = 0.15
NEUTRAL_THRESHOLD = 0.04
TEMPERATURE = 0.02
#: what :func:`calibrate` reports for these constants on the 220 shipped prototypes (leave-one-out)
CALIBRATION_NOTE = "leave-one-out on the 220 prototypes: macro-F1 0.813, accuracy 0.832, NLL 0.614"


@dataclass(frozen=True, slots=True)
class ZeroShotParams:
    """The calibrated settings of the zero-shot recognizer (see the module docstring)."""

    top_k: int = TOP_K
    w_lex: float = W_LEX
    w_val: float = W_VAL
    neutral_threshold: float = NEUTRAL_THRESHOLD
    temperature: float = TEMPERATURE


ZERO_SHOT_CARD = ModelCard(
    name="text-emotion-zeroshot",
    version="1.0.0",
    files=(
        WeightFile(
            filename=PROTOTYPES_FILE,
            sha256="612407cdd1aa3f1560b516d007569a6a633286fadb56a546cae1306217c26a43",
            size=11670,
            package="emoeval.reference_models",
            package_path=f"data/{PROTOTYPES_FILE}",
        ),
        WeightFile(
            filename=NRC_FILE,
            sha256="437a177fdb118b330516de72fe4bb6919c53a6d5f772a6ee3bb835c0912066b0",
            size=415430,
            package="nrclex",
            package_path=f"data/{NRC_FILE}",
        ),
        WeightFile(
            filename=VADER_FILE,
            sha256="1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5",
            size=434304,
            package="vaderSentiment",
            package_path=VADER_FILE,
        ),
        WeightFile(
            filename=VADER_EMOJI_FILE,
            sha256="b8d54223ae1ce22a3e12c1f745316b71678c328eb5f5d3063a842f37cfbe2823",
            size=121986,
            package="vaderSentiment",
            package_path=VADER_EMOJI_FILE,
        ),
    ),
    summary="zero-shot text emotion (7 labels): MiniLM prototypes + NRC EmoLex + VADER, calibrated neutral threshold",
    license="MIT (emoeval prototypes, VADER); NRC EmoLex: research use only (commercial use needs an NRC license)",
    citation=(
        "Mohammad & Turney (2013). Crowdsourcing a Word-Emotion Association Lexicon. Computational Intelligence "
        "29(3); Hutto & Gilbert (2014). VADER. ICWSM; Reimers & Gurevych (2019). Sentence-BERT. EMNLP"
    ),
    install_hint="pip install 'emoeval[text]' (nrclex and vaderSentiment carry the lexicons)",
)


# -- pure functions -----------------------------------------------------------------------------------------------


def read_prototypes(path: Path) -> list[tuple[str, str]]:
    """(emotion, sentence) rows of a prototype CSV (columns ``emotion,text``); labels must be known."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["emotion"].strip(), row["text"].strip()) for row in csv.DictReader(handle)]
    unknown = sorted({emotion for emotion, _ in rows} - set(TEXT_EMOTION_LABELS))
    if unknown or not rows:
        raise WeightError(f"{path}: labels must be among {TEXT_EMOTION_LABELS}; found {unknown or 'no rows'}")
    return rows


def read_nrc(path: Path) -> dict[str, frozenset[str]]:
    """word → its NRC EmoLex categories, from nrclex's ``nrc_en.json`` (``{"word": ["anger", ...]}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(word).lower(): frozenset(categories) for word, categories in data.items()}


def nrc_lookup(word: str, lexicon: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The categories of ``word``, trying a few suffix-stripped forms when it is not listed as is.

    >>> lex = {"cry": frozenset({"sadness"}), "scare": frozenset({"fear"})}
    >>> sorted(nrc_lookup("cries", lex)), sorted(nrc_lookup("scared", lex)), sorted(nrc_lookup("table", lex))
    (['sadness'], ['fear'], [])
    """
    if word in lexicon:
        return lexicon[word]
    candidates = []
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("ied"):
        candidates.append(word[:-3] + "y")
    for suffix in ("es", "s", "ed", "d", "ing", "ly"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            candidates.append(stem)
            if suffix in ("ing", "ed"):
                candidates.append(stem + "e")
    for candidate in candidates:
        if candidate in lexicon:
            return lexicon[candidate]
    return frozenset()


def negated_positions(tokens: Sequence[str], scope: int = NEGATION_SCOPE) -> set[int]:
    """Positions of tokens within ``scope`` tokens after a negator (``not``, ``never``, ``...n't``).

    >>> sorted(negated_positions(["i", "am", "not", "very", "happy", "today", "at", "all"]))
    [3, 4, 5]
    """
    negated: set[int] = set()
    for index, token in enumerate(tokens):
        if token in NEGATORS or token.endswith("n't") or token.endswith("n’t"):
            negated.update(range(index + 1, min(len(tokens), index + 1 + scope)))
    return negated


def lexicon_scores(tokens: Sequence[str], lexicon: Mapping[str, frozenset[str]]) -> np.ndarray:
    """NRC evidence per emotion of :data:`EMOTIONS`: non-negated matching words / √(number of words).

    >>> lex = {"happy": frozenset({"joy", "positive"}), "afraid": frozenset({"fear"})}
    >>> lexicon_scores(["so", "happy", "today", "yes"], lex).tolist()
    [0.0, 0.0, 0.0, 0.5, 0.0, 0.0]
    >>> lexicon_scores(["not", "happy"], lex).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    counts = np.zeros(len(EMOTIONS))
    if not tokens:
        return counts
    negated = negated_positions(tokens)
    for index, token in enumerate(tokens):
        if index in negated:
            continue
        categories = nrc_lookup(token, lexicon)
        for position, emotion in enumerate(EMOTIONS):
            if NRC_CATEGORIES[emotion] in categories:
                counts[position] += 1.0
    return counts / math.sqrt(len(tokens))


def valence_evidence(compound: float) -> float:
    """VADER evidence against neutral: the magnitude of the compound score.

    >>> valence_evidence(-0.5)
    0.5
    """
    return abs(float(compound))


def prototype_scores(
    similarities: np.ndarray, labels: Sequence[str], top_k: int, exclude: int | None = None
) -> np.ndarray:
    """Per label of :data:`TEXT_EMOTION_LABELS`: mean of the ``top_k`` largest similarities to its prototypes
    (``exclude``: a prototype index left out, for leave-one-out).

    >>> prototype_scores(np.array([0.9, 0.1, 0.5, 0.4]), ["happy", "happy", "sad", "neutral"], 1).round(2).tolist()
    [nan, nan, nan, 0.9, 0.5, nan, 0.4]
    """
    label_array = np.asarray(labels)
    out = np.full(len(TEXT_EMOTION_LABELS), np.nan)
    for position, label in enumerate(TEXT_EMOTION_LABELS):
        chosen = np.flatnonzero(label_array == label)
        if exclude is not None:
            chosen = chosen[chosen != exclude]
        if chosen.size:
            values = np.sort(similarities[chosen])[::-1][:top_k]
            out[position] = float(values.mean())
    return out


def combine(prototype: np.ndarray, lexicon: np.ndarray, valence: float, params: ZeroShotParams) -> np.ndarray:
    """The seven scores: prototype + w_lex·lexicon for the emotions, prototype + τ − w_val·|c| for neutral.

    >>> combine(np.array([0.2] * 7), np.zeros(6), 0.5, ZeroShotParams(3, 0.1, 0.1, 0.05, 1.0)).round(3).tolist()
    [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    """
    scores = prototype.copy()
    scores[:-1] += params.w_lex * lexicon
    scores[-1] += params.neutral_threshold - params.w_val * valence
    return scores


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(scores / T) along the last axis (NaN scores get probability 0).

    >>> softmax(np.array([0.0, 0.0]), 1.0).tolist()
    [0.5, 0.5]
    """
    z = np.where(np.isnan(scores), -np.inf, scores / temperature)
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# -- the model ------------------------------------------------------------------------------------------------------


class ZeroShotTextEmotion(ReferenceModel):
    """Text → probabilities (float64, 7) over :data:`TEXT_EMOTION_LABELS`, with no training data.

    >>> ZeroShotTextEmotion.labels[-1], ZeroShotTextEmotion.requires
    ('neutral', ('all-minilm-l6-v2',))
    """

    card = ZERO_SHOT_CARD
    requires = (SENTENCE_MODEL,)
    labels: ClassVar[tuple[str, ...]] = TEXT_EMOTION_LABELS
    params_: ClassVar[ZeroShotParams] = ZeroShotParams()

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        embedder = self.dependencies[SENTENCE_MODEL]
        assert isinstance(embedder, MiniLMSentenceEmbedder)
        self.embedder = embedder
        self.prototypes = read_prototypes(self.weights[PROTOTYPES_FILE].path)
        self.prototype_labels = [label for label, _ in self.prototypes]
        self.prototype_embeddings = embedder.encode([text for _, text in self.prototypes])
        self.lexicon = read_nrc(self.weights[NRC_FILE].path)
        self._vader = _vader(self.weights[VADER_FILE].path, self.weights[VADER_EMOJI_FILE].path)

    def config(self) -> dict[str, Any]:
        p = self.params_
        return {
            "top_k": p.top_k,
            "w_lex": p.w_lex,
            "w_val": p.w_val,
            "neutral_threshold": p.neutral_threshold,
            "temperature": p.temperature,
            "negation_scope": NEGATION_SCOPE,
            "labels": list(self.labels),
        }

    def prepare(self, item: ModelInput) -> str:
        return clip_long_text(check_text(item.text, item.name).strip())

    def evidence(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
        """Per text: ``prototype`` (7), ``lexicon`` (6) and ``valence`` (|c|) evidence, before combination."""
        from emoeval.metrics.text.diversity import tokenize

        if embeddings is None:
            embeddings = self.embedder.encode(texts, checked=True)
        similarities = embeddings.astype(np.float64) @ self.prototype_embeddings.astype(np.float64).T
        out = []
        for text, row in zip(texts, similarities, strict=True):
            out.append(
                {
                    "prototype": prototype_scores(row, self.prototype_labels, self.params_.top_k),
                    "lexicon": lexicon_scores(tokenize(text), self.lexicon),
                    "valence": np.array(valence_evidence(self._vader(text))),
                }
            )
        return out

    def infer(self, prepared: Sequence[str]) -> list[np.ndarray]:
        p = self.params_
        return [
            softmax(combine(e["prototype"], e["lexicon"], float(e["valence"]), p), p.temperature)
            for e in self.evidence(prepared)
        ]


def _vader(lexicon: Path, emoji: Path) -> Callable[[str], float]:
    """VADER's compound score with the verified lexicon files."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:
        raise MissingDependencyError(f"the zero-shot text emotion recognizer needs vaderSentiment: {exc}") from exc
    analyzer = SentimentIntensityAnalyzer(lexicon_file=str(lexicon), emoji_lexicon=str(emoji))
    return lambda text: float(analyzer.polarity_scores(text)["compound"])


# -- calibration ------------------------------------------------------------------------------------------------


def _macro_f1_all(truth: np.ndarray, predicted: np.ndarray, n_labels: int) -> float:
    """Macro-F1 over all ``n_labels`` integer classes (:func:`emoeval.metrics.emotion_scores.macro_f1` with
    every label as a class, on integer codes; equal to scikit-learn's ``f1_score(average="macro")``)."""
    counts = np.bincount(truth * n_labels + predicted, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    tp = np.diag(counts).astype(float)
    denominator = counts.sum(axis=0) + counts.sum(axis=1)
    return float(np.mean(np.divide(2 * tp, denominator, out=np.zeros(n_labels), where=denominator > 0)))


@dataclass(frozen=True, slots=True)
class Calibration:
    """The result of :func:`calibrate`: chosen settings and their leave-one-out macro-F1 and accuracy."""

    params: ZeroShotParams
    macro_f1: float
    accuracy: float
    nll: float


def _loo_evidence(model: ZeroShotTextEmotion, top_k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from emoeval.metrics.text.diversity import tokenize

    emb = model.prototype_embeddings.astype(np.float64)
    sims = emb @ emb.T
    texts = [text for _, text in model.prototypes]
    proto = np.stack([prototype_scores(sims[i], model.prototype_labels, top_k, exclude=i) for i in range(len(texts))])
    lex = np.stack([lexicon_scores(tokenize(t), model.lexicon) for t in texts])
    val = np.array([valence_evidence(model._vader(t)) for t in texts])
    return proto, lex, val


def calibrate(
    model: ZeroShotTextEmotion,
    *,
    top_ks: Sequence[int] = (1, 3, 5, 10, 15, 20, 30),
    lex_grid: Sequence[float] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2),
    val_grid: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
    thresholds: Sequence[float] | None = None,
    temperatures: Sequence[float] | None = None,
) -> Calibration:
    """Leave-one-out calibration on the model's prototype sentences (see the module docstring)."""
    thresholds = np.round(np.arange(-0.10, 0.201, 0.005), 3) if thresholds is None else thresholds
    temperatures = np.round(np.arange(0.01, 0.301, 0.005), 3) if temperatures is None else temperatures
    truth = np.array([TEXT_EMOTION_LABELS.index(label) for label in model.prototype_labels])
    n_labels = len(TEXT_EMOTION_LABELS)
    best: tuple[float, ZeroShotParams, np.ndarray] | None = None
    for top_k in top_ks:
        proto, lex, val = _loo_evidence(model, top_k)
        for w_lex in lex_grid:
            for w_val in val_grid:
                base = proto.copy()
                base[:, :-1] += w_lex * lex
                base[:, -1] -= w_val * val
                for tau in thresholds:
                    scores = base.copy()
                    scores[:, -1] += tau
                    f1 = _macro_f1_all(truth, np.nanargmax(scores, axis=1), n_labels)
                    if best is None or f1 > best[0] + 1e-12:
                        best = (f1, ZeroShotParams(top_k, float(w_lex), float(w_val), float(tau), 1.0), scores)
    assert best is not None
    f1, params, scores = best
    nlls = []
    for temperature in temperatures:
        probabilities = softmax(scores, float(temperature))
        nlls.append(-float(np.mean(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-300, None)))))
    chosen = int(np.argmin(nlls))
    accuracy = float(np.mean(np.nanargmax(scores, axis=1) == truth))
    params = ZeroShotParams(
        params.top_k, params.w_lex, params.w_val, params.neutral_threshold, float(temperatures[chosen])
    )
    return Calibration(params=params, macro_f1=float(f1), accuracy=accuracy, nll=nlls[chosen])


__all__ = [
    "CALIBRATION_NOTE",
    "EMOTIONS",
    "TEXT_EMOTION_LABELS",
    "ZERO_SHOT_CARD",
    "Calibration",
    "ZeroShotParams",
    "ZeroShotTextEmotion",
    "calibrate",
    "combine",
    "lexicon_scores",
    "negated_positions",
    "nrc_lookup",
    "prototype_scores",
    "read_nrc",
    "read_prototypes",
    "softmax",
    "valence_evidence",
]
