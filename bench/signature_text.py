"""Real-data dialogue sets for the failure signatures: MELD replies as the human reference and two "responders" with
known faults.

MELD dev (``../shared/data/dialogue_meld/dev_sent_emo.csv``: Poria et al. 2019, GPL-3.0 repository; utterances are
transcripts of the TV series Friends) is cut into (context, reply) pairs: every utterance after the first of its
dialogue is a reply, its ``context`` the previous utterance (a one-turn list, the ``turns`` media type), its
``reference`` the reply itself (what the human said) and its ``target_emotion`` the reply's MELD emotion mapped
through :func:`emoeval.labels.normalize_label` (joy → happy, anger → angry, sadness → sad...). ``group`` is
``<Dialogue_ID>_<Utterance_ID>``: one item, answered by every system. Systems:

- ``human``: the human replies (the reference set);
- ``generic``: a generic responder — the :data:`STOCK_REPLIES` cycled in item order, whatever was said: **bland,
  over-smoothed text** (and mode collapse);
- ``shuffled``: the human reply of another dialogue (the pairs rotated by half their number, so no reply stays in
  its dialogue): as rich as the humans', but off-context and off-emotion.

    python bench/signature_text.py OUT [--data ../shared/data/dialogue_meld] [--limit N]

writes ``OUT/manifest.csv`` (every system) and ``OUT/human.csv`` (only ``human``, for ``real=``) and prints
``text_richness`` per system against the samples' own references (``sample_references=true``: ``human`` against
itself is exactly 1.0). Deterministic: no randomness anywhere. MELD has non-ASCII bytes in places: read as UTF-8
with undecodable bytes replaced.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dialogue_meld"
#: the generic responder's replies, cycled deterministically (item i gets STOCK_REPLIES[i % 5])
STOCK_REPLIES: tuple[str, ...] = ("I see.", "Okay.", "That's interesting.", "Right.", "Tell me more.")
SYSTEMS: tuple[str, ...] = ("human", "generic", "shuffled")
COLUMNS: tuple[str, ...] = (
    "sample_id",
    "system",
    "modality",
    "text",
    "target_emotion",
    "context",
    "reference",
    "group",
)


def reply_pairs(data: Path = DEFAULT_DATA, limit: int | None = None) -> list[dict[str, str]]:
    """(group, context, reply, emotion) of every reply of MELD dev, in (dialogue, utterance) order; the first
    ``limit`` when given."""
    import pandas as pd

    from emoeval.labels import normalize_label

    meld = pd.read_csv(Path(data) / "dev_sent_emo.csv", encoding="utf-8", encoding_errors="replace")
    meld = meld.sort_values(["Dialogue_ID", "Utterance_ID"], kind="stable")
    pairs: list[dict[str, str]] = []
    for _, turns in meld.groupby("Dialogue_ID", sort=True):
        rows = list(turns.itertuples())
        for previous, reply in itertools.pairwise(rows):
            pairs.append(
                {
                    "group": f"{reply.Dialogue_ID}_{reply.Utterance_ID}",
                    "dialogue": str(reply.Dialogue_ID),
                    "context": str(previous.Utterance).strip(),
                    "reply": str(reply.Utterance).strip(),
                    "emotion": normalize_label(str(reply.Emotion)),
                }
            )
    return pairs[:limit] if limit is not None else pairs


def build(out: Path, data: Path = DEFAULT_DATA, *, limit: int | None = None) -> tuple[Path, Path]:
    """Write the sets (see the module docstring) under ``out``; return (``manifest.csv``, ``human.csv``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = reply_pairs(data, limit)
    if len(pairs) < 2:
        raise ValueError(f"{data}: {len(pairs)} reply pair(s); at least 2 needed")
    shift = len(pairs) // 2
    rows: list[dict[str, str]] = []
    for index, pair in enumerate(pairs):
        other = pairs[(index + shift) % len(pairs)]
        if other["dialogue"] == pair["dialogue"]:  # only when one dialogue holds half of the pairs (tiny limits)
            raise ValueError(f"limit={limit} is too small to give every item a reply from another dialogue")
        replies = {
            "human": pair["reply"],
            "generic": STOCK_REPLIES[index % len(STOCK_REPLIES)],
            "shuffled": other["reply"],
        }
        for system in SYSTEMS:
            rows.append(
                {
                    "sample_id": f"{system}/{pair['group']}",
                    "system": system,
                    "modality": "text",
                    "text": replies[system],
                    "target_emotion": pair["emotion"],
                    "context": json.dumps([pair["context"]], ensure_ascii=False),
                    "reference": pair["reply"],
                    "group": pair["group"],
                }
            )
    manifest, human = out / "manifest.csv", out / "human.csv"
    for path, chosen in ((manifest, rows), (human, [r for r in rows if r["system"] == "human"])):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(chosen)
    return manifest, human


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the manifests to")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the dialogue_meld folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N reply pairs")
    args = parser.parse_args(argv)

    import emoeval
    from emoeval.metrics.text.richness import TextRichness

    manifest, _ = build(args.out, args.data, limit=args.limit)
    table = emoeval.score(
        manifest, metrics=[TextRichness(sample_references=True)], progress=False, n_bootstrap=1000, use_cache=False
    ).table
    rows = table[(table["scope"] == "system") & table["target_emotion"].isna()]
    print("text_richness against the human replies (MELD dev, sample_references=true); value [95% interval], n")
    for system in SYSTEMS:
        own = rows[rows["system"] == system].set_index("sub_metric")
        cells = [
            f"{name} {own.loc[name, 'value']:.3f} [{own.loc[name, 'ci_low']:.3f}, {own.loc[name, 'ci_high']:.3f}]"
            for name in ("lexical_richness_ratio", "emotion_vocabulary_ratio", "lexical_richness", "emotion_vocabulary")
        ]
        print(f"  {system:9s} " + "  ".join(cells) + f"  n={int(own.loc['lexical_richness_ratio', 'n'])}")


if __name__ == "__main__":
    main()
