"""Dialogue coherence: does a response fit its context? Embedding similarity, next-utterance ranking, contradiction.

- ``text_coherence`` (per sample): cosine similarity of the sentence embeddings of the response and of the last
  context turn, and of the response and the whole history (the normalised mean of the turn embeddings).
- ``text_next_utterance_rank`` (per system): does the response fit its own context better than the system's
  responses to other contexts? (the retrieval view of coherence: R@1 in 1-of-k, as Lowe et al. 2015).
- ``text_contradiction`` (per sample, hub plug-in): probability that an NLI model judges the response to
  contradict a context turn.

The models are parameters: ``embedder=`` (a registered ``sentence-embedder``, default ``all-minilm-l6-v2``) for the
first two, ``nli=`` (a registered ``nli`` model, default ``distilroberta-nli``) for the third.

The maths is in the pure functions below; the tests check them against numpy/scipy computations by hand.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.metric import CorpusMetric, MetricSpec, Output, SampleMetric, SampleScore
from emoeval.metrics.text.emotion import response_text
from emoeval.metrics.text.roles import EMBEDDER_ROLE, NLI_ROLE
from emoeval.reference_models.text_embedding import SENTENCE_MODEL

if TYPE_CHECKING:
    from emoeval.context import ScoringContext
    from emoeval.samples import Sample

NLI_MODEL = "distilroberta-nli"
ContextView = Literal["last_turn", "history"]


# -- pure functions ---------------------------------------------------------------------------------------------


def context_turns(sample: Sample) -> list[str]:
    """The non-empty turns of a sample's context, checked; SampleInputError when none is left or one is not UTF-8.

    Empty turns (white space and invisible format characters only) are dropped: ``["", "Hi"]`` has one turn.
    """
    from emoeval.media.text import is_blank
    from emoeval.reference_models.text_embedding import check_text

    if not sample.context:
        raise SampleInputError(f"{sample.sample_id}: no context (a JSON list of turns in the 'context' column)")
    turns = []
    for index, turn in enumerate(sample.context):
        if turn is None or is_blank(str(turn)):
            continue
        turns.append(check_text(turn, f"{sample.sample_id} (context turn {index + 1})").strip())
    if not turns:
        raise SampleInputError(f"{sample.sample_id}: the context has no non-empty turn")
    return turns


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        raise ValueError("a zero vector has no direction")
    return vector / norm


def history_vector(turn_embeddings: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """The history's direction: the normalised mean of its (unit) turn embeddings.

    >>> history_vector(np.array([[1.0, 0.0], [0.0, 1.0]])).round(4).tolist()
    [0.7071, 0.7071]
    """
    rows = np.atleast_2d(np.asarray(turn_embeddings, dtype=np.float64))
    return _unit(rows.mean(axis=0))


def coherence_scores(response: np.ndarray, turn_embeddings: np.ndarray | Sequence[np.ndarray]) -> dict[str, float]:
    """``last_turn``: cos(response, last turn); ``history``: cos(response, :func:`history_vector`).

    >>> coherence_scores(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    {'last_turn': 1.0, 'history': 0.7071067811865475}
    """
    r = _unit(np.asarray(response, dtype=np.float64).ravel())
    rows = np.atleast_2d(np.asarray(turn_embeddings, dtype=np.float64))
    last = _unit(rows[-1])
    history = history_vector(rows)
    return {
        "last_turn": float(np.clip(r @ last, -1.0, 1.0)),
        "history": float(np.clip(r @ history, -1.0, 1.0)),
    }


def rank_against_distractors(true_score: float, distractor_scores: Sequence[float] | np.ndarray) -> dict[str, float]:
    """How the true response's score ranks among distractors' scores (higher = fits the context better).

    ``win_rate``: share of distractors it beats, ties counted as half (0.5 = chance, the AUC of one positive
    against the distractors); ``hit_at_1``: 1 when it beats them all, with t ties 1/(t + 1) (the chance of
    coming first when ties are broken at random); ``reciprocal_rank``: 1 / (1 + #greater + #tied / 2)
    (mid-rank). NaN with no distractor.

    >>> rank_against_distractors(0.5, [0.1, 0.9, 0.5])
    {'win_rate': 0.5, 'hit_at_1': 0.0, 'reciprocal_rank': 0.4}
    >>> rank_against_distractors(0.9, [0.1, 0.2])
    {'win_rate': 1.0, 'hit_at_1': 1.0, 'reciprocal_rank': 1.0}
    """
    others = np.asarray(distractor_scores, dtype=np.float64)
    if others.size == 0:
        return {"win_rate": math.nan, "hit_at_1": math.nan, "reciprocal_rank": math.nan}
    greater = int(np.sum(others > true_score))
    tied = int(np.sum(others == true_score))
    below = others.size - greater - tied
    return {
        "win_rate": (below + 0.5 * tied) / others.size,
        "hit_at_1": 0.0 if greater else 1.0 / (tied + 1),
        "reciprocal_rank": 1.0 / (1.0 + greater + tied / 2.0),
    }


def draw_distractors(candidates: int, exclude: int, k: int, *, seed: int, key: str) -> np.ndarray:
    """``k`` distinct indices in ``range(candidates)`` other than ``exclude``, drawn with a generator seeded by
    (seed, key): the same sample always gets the same distractors, whatever the batch order.

    >>> sorted(draw_distractors(5, 2, 10, seed=0, key="a").tolist())
    [0, 1, 3, 4]
    """
    others = candidates - 1 if 0 <= exclude < candidates else candidates
    k = min(k, others)
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    drawn = rng.choice(others, size=k, replace=False).astype(np.int64) if k > 0 else np.zeros(0, dtype=np.int64)
    if 0 <= exclude < candidates:
        drawn[drawn >= exclude] += 1  # skip the excluded index
    return drawn


# -- shared embedding step --------------------------------------------------------------------------------------


def embed_dialogue(
    samples: Sequence[Sample], context: ScoringContext, *, responses: bool = True, embedder: str = SENTENCE_MODEL
) -> list[tuple[np.ndarray | None, np.ndarray, str | None] | SampleInputError]:
    """Per sample: (response embedding or None, turn embeddings (turns × d), warning) or the error.

    ``embedder`` is the sentence embedder (registry name); a warning names the texts cut to its window when it can
    tell (``is_truncated``, as the MiniLM embedder does).
    """
    from emoeval.reference_models.text_embedding import replacement_note, truncation_note

    plans: list[tuple[str, list[str]] | SampleInputError] = []
    texts: list[str] = []
    for sample in samples:
        try:
            response = response_text(sample) if responses else ""
            turns = context_turns(sample)
        except SampleInputError as exc:
            plans.append(exc)
            continue
        plans.append((response, turns))
        texts.extend(([response] if responses else []) + turns)
    outputs = context.outputs(embedder, texts) if texts else []
    model = context.model(embedder)
    results: list[Any] = []
    at = 0
    for sample, plan in zip(samples, plans, strict=True):
        if isinstance(plan, SampleInputError):
            results.append(plan)
            continue
        response, turns = plan
        count = len(turns) + (1 if responses else 0)
        vectors = outputs[at : at + count]
        at += count
        error = next((v for v in vectors if isinstance(v, SampleInputError)), None)
        if error is not None:
            results.append(SampleInputError(f"{sample.sample_id}: {error}"))
            continue
        roles = {"response": response} if responses else {}
        roles.update({f"context turn {i + 1}": turn for i, turn in enumerate(turns)})
        long_roles = {role: text for role, text in roles.items() if len(text) > 254}
        notes = [replacement_note(" ".join([response, *turns]))]
        if long_roles and hasattr(model, "is_truncated"):
            notes.append(truncation_note(model, long_roles))  # type: ignore[arg-type]
        warning = "; ".join(n for n in notes if n) or None
        response_vector = np.asarray(vectors[0]) if responses else None
        turn_vectors = np.stack([np.asarray(v) for v in vectors[(1 if responses else 0) :]])
        results.append((response_vector, turn_vectors, warning))
    return results


# -- metrics ------------------------------------------------------------------------------------------------------


class TextCoherence(SampleMetric):
    """Embedding similarity of a response to its dialogue context: last turn and whole history.

    **Meaning.** The response and each context turn are embedded with the ``embedder`` (default all-MiniLM-L6-v2:
    mean-pooled, unit length). ``last_turn`` is the cosine similarity of the response to the last turn — does it take up
    what was just said? ``history`` is its cosine to the normalised mean of all turn embeddings — does it stay on the
    conversation's topic? This is the embedding-average coherence of dialogue evaluation (Liu et al. 2016; Zhang et al.
    2021 survey) with a modern sentence encoder. Semantic similarity is not appropriateness: an echo of the last turn
    scores high, a good answer that changes the wording scores lower; read it with ``text_next_utterance_rank`` and the
    human calibration (FED: see the README).

    **Range and direction.** [-1, 1], higher is better; for this encoder unrelated English sentences score
    about 0–0.2, a question and a fitting answer about 0.3–0.7.

    **Needs.** A text response and its ``context`` (a JSON list of turns, or one string). Samples without a
    context are skipped (counted in ``run.json``); a context of only empty turns, or an empty or non-UTF-8
    response or turn, is a per-sample error; texts beyond 256 word pieces are embedded from their beginning,
    with a warning. Parameter: ``embedder``, a registered ``sentence-embedder`` (``all-minilm-l6-v2``, the
    default; the ranges above are this encoder's, and a non-default one is named in the metric label).

    **Source.** Liu et al. (2016), How NOT To Evaluate Your Dialogue System, EMNLP (embedding average);
    Reimers & Gurevych (2019), Sentence-BERT, EMNLP.

    >>> TextCoherence.spec.needs == frozenset({"context"}), TextCoherence.spec.headline.name
    (True, 'last_turn')
    """

    spec = MetricSpec(
        name="text_coherence",
        modality="text",
        scope="sample",
        outputs=(
            Output("last_turn", higher_is_better=True, range=(-1.0, 1.0), description="cos(response, last turn)"),
            Output("history", higher_is_better=True, range=(-1.0, 1.0), description="cos(response, mean of turns)"),
        ),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"context"}),
        models=(SENTENCE_MODEL,),
        summary="cosine of response and context embeddings (all-MiniLM-L6-v2...): last turn and whole history",
        citation="Liu et al. 2016, EMNLP (embedding metrics); Reimers & Gurevych 2019 (Sentence-BERT)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    batch_size = 256

    def __init__(self, *, embedder: str = SENTENCE_MODEL) -> None:
        self.check_model("embedder", embedder)
        self.embedder = embedder

    @property
    def models(self) -> tuple[str, ...]:
        return (self.embedder,)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        scores = []
        for item in embed_dialogue(samples, context, embedder=self.embedder):
            if isinstance(item, SampleInputError):
                scores.append(SampleScore.failed(item))
                continue
            response, turns, warning = item
            assert response is not None
            scores.append(SampleScore(values=coherence_scores(response, turns), warning=warning))
        return scores


class TextNextUtteranceRank(CorpusMetric):
    """Next-utterance ranking: does each response fit its own context better than the system's other responses?

    **Meaning.** For every sample, ``n_distractors`` responses of the *same system* to *other* contexts are drawn at
    random (seeded by ``seed`` and the sample id, so the draw does not depend on the batch) and all are scored against
    the sample's context by the cosine similarity of the ``embedder``'s sentence embeddings (default all-MiniLM-L6-v2;
    ``view``: the last turn, default, or the history mean). A coherent system answers each context specifically, so its
    true response outranks the distractors; a system with generic replies ("I see. Tell me more.") cannot, since its
    responses fit every context alike. Per system (means over samples): ``win_rate``, the share of distractors the true
    response beats (ties half: 0.5 is chance); ``hit_at_1`` (R@1 in 1-of-(k+1), Lowe et al. 2015; ties split); ``mrr``,
    the mean reciprocal (mid-)rank.

    **Range and direction.** All in [0, 1], higher is better; chance is 0.5 for win_rate and about 1/(k+1)
    for hit_at_1. With fewer than k + 1 scored samples in a system every other response is a distractor.
    Percentile bootstrap over samples (distractors fixed).

    **Needs.** Text responses with a ``context``; at least two per system. Empty or non-UTF-8 responses or
    contexts are per-sample errors and are not used as distractors. Parameters: ``embedder`` (a registered
    ``sentence-embedder``; default ``all-minilm-l6-v2``), ``n_distractors`` (9), ``seed`` (0), ``view``
    (``last_turn`` or ``history``).

    **Source.** Lowe et al. (2015), The Ubuntu Dialogue Corpus (R@k next-utterance ranking), SIGDIAL;
    Zhang et al. (2018), Personalizing Dialogue Agents (hits@1), ACL.

    >>> TextNextUtteranceRank().params()
    {'embedder': 'all-minilm-l6-v2', 'n_distractors': 9, 'seed': 0, 'view': 'last_turn'}
    """

    spec = MetricSpec(
        name="text_next_utterance_rank",
        modality="text",
        scope="corpus",
        outputs=(
            Output("win_rate", higher_is_better=True, range=(0.0, 1.0), description="share of distractors beaten"),
            Output("hit_at_1", higher_is_better=True, range=(0.0, 1.0), description="R@1 in 1 of k+1"),
            Output("mrr", higher_is_better=True, range=(0.0, 1.0), description="mean reciprocal rank"),
        ),
        version="1.0.0",
        needs=frozenset({"context"}),
        models=(SENTENCE_MODEL,),
        summary="next-utterance ranking against the system's responses to other contexts (MiniLM cosine...)",
        citation="Lowe et al. 2015, SIGDIAL (R@k); Zhang et al. 2018, ACL (hits@1)",
    )
    model_params: ClassVar[Mapping[str, str]] = {"embedder": EMBEDDER_ROLE}
    batch_size = 256

    def __init__(
        self,
        *,
        embedder: str = SENTENCE_MODEL,
        n_distractors: int = 9,
        seed: int = 0,
        view: ContextView = "last_turn",
    ) -> None:
        self.check_model("embedder", embedder)
        if n_distractors < 1:
            raise ValueError(f"n_distractors must be at least 1, got {n_distractors}")
        if view not in ("last_turn", "history"):
            raise ValueError(f"view must be 'last_turn' or 'history', got {view!r}")
        self.embedder = embedder
        self.n_distractors = n_distractors
        self.seed = seed
        self.view = view
        self._pools: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    @property
    def models(self) -> tuple[str, ...]:
        return (self.embedder,)

    def setup(self, context: ScoringContext, samples: Sequence[Sample]) -> None:
        """Embed every usable response of every system once: the distractor pools."""
        by_system: dict[str, list[Sample]] = {}
        for sample in samples:
            if sample.modality == "text" and sample.has("context"):
                by_system.setdefault(sample.system, []).append(sample)
        self._pools = {}
        for system, members in by_system.items():
            ids: list[str] = []
            rows: list[np.ndarray] = []
            for start in range(0, len(members), self.batch_size):
                batch = members[start : start + self.batch_size]
                texts: list[str] = []
                kept: list[Sample] = []
                for sample in batch:
                    try:
                        text = response_text(sample)
                        context_turns(sample)
                    except SampleInputError:
                        continue
                    texts.append(text)
                    kept.append(sample)
                outputs = context.outputs(self.embedder, texts) if texts else []
                for sample, output in zip(kept, outputs, strict=True):
                    if not isinstance(output, SampleInputError):
                        ids.append(sample.sample_id)
                        rows.append(np.asarray(output, dtype=np.float64))
            positions = {sample_id: index for index, sample_id in enumerate(ids)}
            self._pools[system] = (positions, np.stack(rows) if rows else np.zeros((0, 0)))

    def states(self, samples: Sequence[Sample], context: ScoringContext) -> list[Any]:
        states: list[Any] = []
        embedded = embed_dialogue(samples, context, responses=False, embedder=self.embedder)
        for sample, item in zip(samples, embedded, strict=True):
            if isinstance(item, SampleInputError):
                states.append(item)
                continue
            _, turns, _ = item
            ids, pool = self._pools.get(sample.system, ({}, np.zeros((0, 0))))
            if sample.sample_id not in ids:
                states.append(SampleInputError(f"{sample.sample_id}: the response could not be embedded"))
                continue
            if len(ids) < 2:
                states.append(SampleInputError(f"{sample.sample_id}: ranking needs at least 2 responses in the system"))
                continue
            own = ids[sample.sample_id]
            query = _unit(turns[-1]) if self.view == "last_turn" else history_vector(turns)
            chosen = draw_distractors(len(ids), own, self.n_distractors, seed=self.seed, key=sample.sample_id)
            scores = pool[np.concatenate([[own], chosen])] @ query
            ranked = rank_against_distractors(float(scores[0]), scores[1:])
            states.append((ranked["win_rate"], ranked["hit_at_1"], ranked["reciprocal_rank"]))
        return states

    def compute(self, states: Sequence[tuple[float, float, float]], *, emotion: str | None = None) -> dict[str, float]:
        if not states:
            return {"win_rate": math.nan, "hit_at_1": math.nan, "mrr": math.nan}
        values = np.asarray(states, dtype=np.float64)
        means = values.mean(axis=0)
        return {"win_rate": float(means[0]), "hit_at_1": float(means[1]), "mrr": float(means[2])}


def contradiction_scores(probabilities: Sequence[np.ndarray], threshold: float = 0.5) -> dict[str, float]:
    """From P(entailment, neutral, contradiction) of (turn, response) for each turn, oldest first:
    ``contradiction`` = the largest P(contradiction), ``last_turn_contradiction`` = that of the last turn,
    ``contradicts`` = 1 when the largest exceeds ``threshold``.

    >>> contradiction_scores([np.array([0.1, 0.2, 0.7]), np.array([0.8, 0.1, 0.1])])
    {'contradiction': 0.7, 'last_turn_contradiction': 0.1, 'contradicts': 1.0}
    """
    values = [float(np.asarray(p)[2]) for p in probabilities]
    if not values:
        raise ValueError("no turn to compare with")
    worst = max(values)
    return {"contradiction": worst, "last_turn_contradiction": values[-1], "contradicts": float(worst > threshold)}


class TextContradiction(SampleMetric):
    """Does the response contradict its context? (NLI model over each context turn and the response)

    **Meaning.** For each of the last ``max_turns`` context turns, an NLI cross-encoder (the ``nli`` model; by
    default the hub plug-in ``distilroberta-nli``: DistilRoBERTa trained on SNLI and MultiNLI) gives the
    probability that the response
    (hypothesis) contradicts the turn (premise). ``contradiction`` is the largest of these, ``last_turn_
    contradiction`` the one for the last turn, ``contradicts`` is 1 when the largest exceeds 0.5 (its system
    mean: the share of responses judged contradictory) — the NLI view of dialogue consistency (Welleck et al.
    2019; Dziri et al. 2019). NLI models trained on written text are less reliable on chit-chat: use the
    values to compare systems.

    **Range and direction.** [0, 1], lower is better.

    **Needs.** A text response and its ``context``; the plug-in's weights (``emoeval models pull
    distilroberta-nli``), so the metric is off by default (name it to run it). Parameters: ``nli``, a registered
    ``nli`` model (``distilroberta-nli``, the default: input a JSON pair [premise, hypothesis], output
    P(entailment, neutral, contradiction)); ``max_turns`` (5).

    **Source.** Welleck et al. (2019), Dialogue Natural Language Inference, ACL; Dziri et al. (2019),
    Evaluating Coherence in Dialogue Systems using Entailment, NAACL; Williams et al. (2018), MultiNLI.

    >>> TextContradiction.run_by_default, TextContradiction().params()
    (False, {'nli': 'distilroberta-nli', 'max_turns': 5})
    """

    spec = MetricSpec(
        name="text_contradiction",
        modality="text",
        scope="sample",
        outputs=(
            Output("contradiction", higher_is_better=False, range=(0.0, 1.0), description="max P(contradiction)"),
            Output(
                "last_turn_contradiction",
                higher_is_better=False,
                range=(0.0, 1.0),
                description="P(response contradicts the last turn)",
            ),
            Output("contradicts", higher_is_better=False, range=(0.0, 1.0), description="max P > 0.5"),
        ),
        version="1.0.1",  # 1.0.1: invisible-only responses are errors (emoeval.media.text)
        needs=frozenset({"context"}),
        models=(NLI_MODEL,),
        summary="NLI contradiction of the response with its context turns (DistilRoBERTa NLI plug-in)",
        citation="Welleck et al. 2019, ACL (Dialogue NLI); Dziri et al. 2019, NAACL",
    )
    run_by_default = False
    model_params: ClassVar[Mapping[str, str]] = {"nli": NLI_ROLE}
    batch_size = 16

    def __init__(self, *, nli: str = NLI_MODEL, max_turns: int = 5) -> None:
        self.check_model("nli", nli)
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.nli = nli
        self.max_turns = max_turns

    @property
    def models(self) -> tuple[str, ...]:
        return (self.nli,)

    def score(self, samples: Sequence[Sample], context: ScoringContext) -> list[SampleScore]:
        from emoeval.reference_models.hf_text import nli_pair

        plans: list[int | SampleInputError] = []
        pairs: list[str] = []
        for sample in samples:
            try:
                response = response_text(sample)
                turns = context_turns(sample)[-self.max_turns :]
            except SampleInputError as exc:
                plans.append(exc)
                continue
            plans.append(len(turns))
            pairs.extend(nli_pair(turn, response) for turn in turns)
        outputs = context.outputs(self.nli, pairs) if pairs else []
        scores: list[SampleScore] = []
        at = 0
        for plan in plans:
            if isinstance(plan, SampleInputError):
                scores.append(SampleScore.failed(plan))
                continue
            chunk = outputs[at : at + plan]
            at += plan
            error = next((o for o in chunk if isinstance(o, SampleInputError)), None)
            if error is not None:
                scores.append(SampleScore.failed(error))
            else:
                scores.append(SampleScore(values=contradiction_scores(chunk)))  # type: ignore[arg-type]
        return scores


__all__ = [
    "TextCoherence",
    "TextContradiction",
    "TextNextUtteranceRank",
    "coherence_scores",
    "context_turns",
    "contradiction_scores",
    "draw_distractors",
    "embed_dialogue",
    "history_vector",
    "rank_against_distractors",
]
