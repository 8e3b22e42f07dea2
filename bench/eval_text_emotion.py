"""Accuracy of the zero-shot text emotion recognizer on real dialogue: MELD dev and EmoryNLP dev.

Scores every utterance with ``text_emotion_accuracy`` (the default recognizer, ``text-emotion-zeroshot``) through
``emoeval.score`` and prints, per evaluation set, the figures a generator evaluation needs — **balanced
accuracy** (mean recall over the true emotions: each emotion counts the same, as when a generator is asked for
each emotion equally) and macro-F1 — next to MELD's usual support-weighted F1 and plain accuracy, each with a
seeded percentile bootstrap interval (1,000 resamples of utterances), all computed with scikit-learn on the
run's predicted labels. The all-neutral baseline (MELD's majority class) is printed for comparison.

Sets: MELD dev (1,109 utterances, text only) as a whole and split by dialogue — ``Dialogue_ID`` even (the
dialogues whose utterances were read while the recognizer's conversational prototypes were written) and odd
(never read) — and EmoryNLP dev restricted to its five labels that map onto emoeval's (Joyful → happy, Mad →
angry, Sad, Scared → fear, Neutral; Peaceful and Powerful have no counterpart). No label of these sets was used
to choose the recognizer's constants (they come from leave-one-out on its own prototype sentences).

    python bench/eval_text_emotion.py [--data ../shared/data/dialogue_meld] [--resamples 1000]

MELD and EmoryNLP are GPL-3 transcripts of Friends: they are read from ``--data``, never copied.
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np

EMORYNLP = {"joyful": "happy", "mad": "angry", "sad": "sad", "scared": "fear", "neutral": "neutral"}
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dialogue_meld"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


def _sets(data: Path) -> dict[str, list]:
    """Evaluation sets as lists of emoeval samples."""
    from emoeval.labels import normalize_label
    from emoeval.samples import Sample

    meld = [
        Sample(f"meld-{r['Dialogue_ID']}-{r['Utterance_ID']}", "meld", "text", text=r["Utterance"],
               target_emotion=normalize_label(r["Emotion"], "meld"), group=r["Dialogue_ID"])
        for r in _rows(data / "dev_sent_emo.csv")
    ]  # fmt: skip
    emory = [
        Sample(f"emory-{i}", "emorynlp", "text", text=r["Utterance"], target_emotion=EMORYNLP[r["Emotion"].lower()])
        for i, r in enumerate(
            r for r in _rows(data / "emorynlp_dev_final.csv") if r["Emotion"].lower() in EMORYNLP
        )
    ]  # fmt: skip
    return {
        "MELD dev": meld,
        "MELD dev, even dialogues": [s for s in meld if int(str(s.group)) % 2 == 0],
        "MELD dev, odd dialogues": [s for s in meld if int(str(s.group)) % 2 == 1],
        "EmoryNLP dev (5 labels)": emory,
    }


def _figures(pairs: list[tuple[str, str]], resamples: int) -> dict[str, tuple[float, float, float]]:
    """Balanced accuracy, macro-F1, weighted F1 and accuracy (scikit-learn) with bootstrap intervals."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    from emoeval.stats.aggregate import bootstrap_corpus

    def compute(chosen) -> dict[str, float]:
        true, pred = zip(*chosen, strict=True)
        labels = sorted(set(true))
        return {
            "balanced accuracy": balanced_accuracy_score(true, pred),
            "macro-F1": f1_score(true, pred, labels=labels, average="macro", zero_division=0),
            "weighted F1": f1_score(true, pred, labels=labels, average="weighted", zero_division=0),
            "accuracy": accuracy_score(true, pred),
        }

    with warnings.catch_warnings():  # predictions outside the set's labels count as misses
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        estimates = bootstrap_corpus(pairs, compute, n_resamples=resamples, seed=0)
    return {name: (e.value, e.ci_low, e.ci_high) for name, e in estimates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with MELD's and EmoryNLP's dev CSVs")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    import emoeval
    from emoeval.reference_models.base import ModelPool

    sets = _sets(args.data)
    pool = ModelPool()
    card = pool.get("text-emotion-zeroshot").card
    print(f"recognizer {card.name} {card.version}; bootstrap: {args.resamples} resamples, seed 0, 95% percentile")
    predicted: dict[str, str] = {}
    for name in ("MELD dev", "EmoryNLP dev (5 labels)"):
        start = time.perf_counter()
        results = emoeval.score(
            sets[name], metrics=["text_emotion_accuracy"], model_pool=pool, progress=False, n_bootstrap=0
        )
        table = results.table
        rows = table[(table["scope"] == "sample") & (table["sub_metric"] == "correct")]
        predicted.update(rows.set_index("sample_id")["label"].to_dict())
        print(f"  scored {name}: {len(rows)} utterances in {time.perf_counter() - start:.1f} s")
    header = f"{'set':26s} {'n':>5s}  {'system':12s}" + "".join(
        f"  {m:>24s}" for m in ("balanced accuracy", "macro-F1", "weighted F1", "accuracy")
    )
    print("\n" + header + "\n" + "-" * len(header))
    for name, samples in sets.items():
        for system in ("zero-shot", "all-neutral"):
            pairs = [
                (str(s.target_emotion), predicted[s.sample_id] if system == "zero-shot" else "neutral") for s in samples
            ]
            figures = _figures(pairs, args.resamples)
            cells = "".join(f"  {v:.3f} [{lo:.3f}, {hi:.3f}]".rjust(26) for v, lo, hi in figures.values())
            print(f"{name:26s} {len(samples):5d}  {system:12s}{cells}")
    recall_line = []
    meld = sets["MELD dev"]
    for label in sorted({str(s.target_emotion) for s in meld}):
        chosen = [s for s in meld if s.target_emotion == label]
        recall_line.append(f"{label} {np.mean([predicted[s.sample_id] == label for s in chosen]):.2f}")
    print("\nMELD dev recall per emotion: " + ", ".join(recall_line))


if __name__ == "__main__":
    main()
