"""Benchmark: emoeval's embedding-based text metrics vs. raw batched embedding of the same texts.

The responses are n distinct texts built from emoeval's shipped prototype sentences (pairs of sentences, so no
dataset is needed), each with a one-turn context and a reference response. For each metric, emoeval scores the
n samples through the runner (output cache off, models already loaded, 200 bootstrap resamples) and the raw side
embeds exactly the texts that metric needs with all-MiniLM-L6-v2 in plain transformers — sorted by length
over the whole set and run in batches of 64, as ``SentenceTransformer.encode`` does. For
``text_emotion_accuracy`` the raw side is the zero-shot recognizer's own batched call on all responses
(embedding + prototype, lexicon, valence and punctuation evidence), since the recognizer does more than embed. Prints
responses per second for both and the ratio emoeval / raw (target ≤ 1.10).

    python bench/bench_text.py [--n 10000] [--metrics text_coherence,text_emotion_accuracy]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

METRICS = ("text_coherence", "text_next_utterance_rank", "text_reference_fd", "text_emotion_accuracy")


def _texts(n: int) -> tuple[list[str], list[str], list[str]]:
    """n responses, n contexts and n references, all distinct, from pairs of the shipped prototype sentences."""
    import csv
    from importlib import resources

    path = resources.files("emoeval.reference_models") / "data" / "text_emotion_prototypes.csv"
    with path.open(encoding="utf-8") as handle:
        sentences = [row["text"] for row in csv.DictReader(handle)]
    pairs = (f"{a} {b}" for a, b in itertools.permutations(sentences, 2))
    texts = list(itertools.islice(pairs, 3 * n))
    if len(texts) < 3 * n:
        raise SystemExit(f"--n at most {len(texts) // 3}")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    texts = [texts[i] for i in order]
    return texts[:n], texts[n : 2 * n], texts[2 * n :]


def _raw_embed(embedder, texts: list[str], batch: int = 64) -> np.ndarray:
    """Plain transformers: sort by length, tokenize, forward, mean-pool, normalise."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            encoded = embedder.tokenizer(
                [texts[i] for i in chosen], padding=True, truncation=True, max_length=256, return_tensors="pt"
            )
            hidden = embedder.network(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[chosen] = torch.nn.functional.normalize(pooled, dim=1).numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--metrics", default=",".join(METRICS))
    args = parser.parse_args()

    import emoeval
    from emoeval.reference_models.base import ModelPool
    from emoeval.samples import Sample

    responses, contexts, references = _texts(args.n)
    samples = [
        Sample(f"s{i}", "bot", "text", text=r, context=(c,), reference=ref, target_emotion="happy")
        for i, (r, c, ref) in enumerate(zip(responses, contexts, references, strict=True))
    ]
    pool = ModelPool()
    embedder = pool.get("all-minilm-l6-v2")
    recognizer = pool.get("text-emotion-zeroshot")
    needs = {
        "text_coherence": responses + contexts,
        "text_next_utterance_rank": responses + contexts,
        "text_reference_fd": responses + references,
        "text_emotion_accuracy": responses,
    }
    # warm-up outside the timings: one-time imports (scipy.stats for the intervals) and first forward passes
    emoeval.score(samples[:64], metrics=list(needs), use_cache=False, progress=False, model_pool=pool, n_bootstrap=20)
    print(f"{args.n} responses; torch threads: {__import__('torch').get_num_threads()}")
    header = f"{'metric':26s} {'texts':>6s} {'raw s':>8s} {'emoeval s':>10s} {'raw resp/s':>11s} {'ours resp/s':>15s}"
    print(header + " ratio")
    for metric in args.metrics.split(","):
        texts = needs[metric]
        start = time.perf_counter()
        if metric == "text_emotion_accuracy":
            recognizer.infer([text.strip() for text in texts])
        else:
            _raw_embed(embedder, texts)
        raw = time.perf_counter() - start
        start = time.perf_counter()
        emoeval.score(samples, metrics=[metric], use_cache=False, progress=False, model_pool=pool, n_bootstrap=200)
        ours = time.perf_counter() - start
        print(
            f"{metric:26s} {len(texts):6d} {raw:8.1f} {ours:10.1f} {args.n / raw:11.1f} {args.n / ours:15.1f} "
            f"{ours / raw:.3f}"
        )


if __name__ == "__main__":
    main()
