"""Real multimodal bundles for the "modalities that disagree" failure signature (issue 17, item 5).

Builds, from the shared real data (``../shared/data``), groups of a face, a voice and a reply whose target emotion
is documented, in two systems that must separate in ``multimodal_emotion_consistency``'s ``consistent`` rate:

- ``consistent``: 5 all-happy groups (a London smile, an EmoDB happiness clip, a MELD joy utterance) and 5
  all-neutral groups (a London neutral photo, an EmoDB neutral clip, a MELD neutral utterance); target = that
  emotion.
- ``inconsistent``: 10 groups with target happy: a London smile + an EmoDB neutral clip (even groups) or sadness
  clip (odd groups) + a MELD neutral utterance.

Each system is written twice: as separate ``face`` / ``speech`` / ``text`` rows sharing a ``group``
(``consistent``, ``inconsistent``) and as one multi-part row per group (``path`` the face, ``audio:speech``,
``reply:text``; systems ``consistent_multipart``, ``inconsistent_multipart``): both layouts must give the same
values. Files are copied into ``<out>/files``; ``<out>/manifest.csv`` lists the samples.

Choices, stated so the numbers can be read:

- **Exemplars.** Faces and replies are items whose recognizer reading matches their dataset label (FER
  mini-Xception on the London photos: 14 of 30 smiles read "happy", 28 of 30 neutral photos "neutral"; the
  zero-shot text recognizer on MELD dev utterances of ≥ 4 words). The set tests the consistency statistic, not
  the recognizers' accuracy (the emotion-accuracy metrics measure that); with unselected items a recognizer's
  miss on a "consistent" group would read as inconsistency.
- **Speech probe reference (overlap, honestly).** The speech recognizer is emoeval's probe fitted on
  ``<out>/emotion_reference.csv``: the 20 EmoDB clips here minus the neutral and sadness clips of the
  inconsistent groups (13a02Nc, 13a02Ta: held out, never fitted on). The **happy voices (11a02Fb, 13a01Fd) are in
  the fit set** (in-sample readings): a held-out happiness clip was read as "angry" in all four hold-out splits
  tried (EmoDB here has only 3 happiness clips; happy vs angry is the probe's known high-arousal confusion), so a
  held-out happy voice would test the probe, not the consistency statistic. The neutral voice of the consistent
  groups (13a02Nc) is held out. The held-out sadness clip is read as "boredom", which FER cannot produce: its
  face–speech pair is *not scorable* (shown in the ``warning`` column), a live example of that rule.

Run: ``python bench/signature_multimodal.py <out folder>`` (prints the per-system rates). Deterministic: fixed
item lists, no randomness.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
METRIC = "multimodal_emotion_consistency"
#: London identities FER reads as "happy" (smiling photo) / "neutral" (neutral photo), in file order
HAPPY_FACES: tuple[str, ...] = ("001", "002", "006", "016", "034", "041", "096", "097", "099", "104")
NEUTRAL_FACES: tuple[str, ...] = ("001", "002", "006", "011", "016")
#: MELD dev utterances (``Sr No.``) of ≥ 4 words that the zero-shot text recognizer reads as their label
JOY_REPLIES: tuple[int, ...] = (16, 56, 66, 67, 71)
NEUTRAL_REPLIES: tuple[int, ...] = (6, 25, 29, 31, 32, 35, 36, 38, 57, 62)
#: EmoDB clips: happy voices (in the probe's fit set), neutral and sad voices (held out of it)
HAPPY_VOICES: tuple[str, ...] = ("11a02Fb", "13a01Fd")
NEUTRAL_VOICE = "13a02Nc"
SAD_VOICE = "13a02Ta"
HELD_OUT_VOICES: tuple[str, ...] = (NEUTRAL_VOICE, SAD_VOICE)


def _meld_utterances(numbers: tuple[int, ...], data: Path) -> dict[int, str]:
    import pandas as pd

    frame = pd.read_csv(data / "dialogue_meld" / "dev_sent_emo.csv", encoding_errors="replace")
    by_number = dict(zip(frame["Sr No."].astype(int), frame["Utterance"].astype(str), strict=True))
    return {n: by_number[n].replace("\u2019", "'").replace("\u2018", "'") for n in numbers}


def build(out: Path, data: Path = DATA) -> dict[str, Path]:
    """Write the bundle set to ``out``: ``manifest.csv`` (separate and multi-part rows), ``emotion_reference.csv``
    (the EmoDB clips the speech probe is fitted on) and the copied files. Returns their paths by name."""
    out = Path(out)
    files = out / "files"
    (files / "faces").mkdir(parents=True, exist_ok=True)
    (files / "speech").mkdir(parents=True, exist_ok=True)

    def face(identity: str, expression: str) -> str:
        name = f"{identity}_{expression}.jpg"
        shutil.copyfile(data / "faces_london" / "images" / name, files / "faces" / name)
        return f"files/faces/{name}"

    def voice(clip: str) -> str:
        shutil.copyfile(data / "speech_emodb" / "audio" / f"{clip}.wav", files / "speech" / f"{clip}.wav")
        return f"files/speech/{clip}.wav"

    replies = _meld_utterances(JOY_REPLIES + NEUTRAL_REPLIES, data)
    groups: list[dict[str, Any]] = []  # system, group, target, face, voice, reply
    for i, (identity, reply) in enumerate(zip(HAPPY_FACES[:5], JOY_REPLIES, strict=True)):
        groups.append(
            {
                "system": "consistent",
                "group": f"happy{i}",
                "target": "happy",
                "face": face(identity, "happy"),
                "voice": voice(HAPPY_VOICES[i % len(HAPPY_VOICES)]),
                "reply": replies[reply],
            }
        )
    for i, (identity, reply) in enumerate(zip(NEUTRAL_FACES, NEUTRAL_REPLIES[:5], strict=True)):
        groups.append(
            {
                "system": "consistent",
                "group": f"neutral{i}",
                "target": "neutral",
                "face": face(identity, "neutral"),
                "voice": voice(NEUTRAL_VOICE),
                "reply": replies[reply],
            }
        )
    for i, (identity, reply) in enumerate(zip(HAPPY_FACES, NEUTRAL_REPLIES, strict=True)):
        groups.append(
            {
                "system": "inconsistent",
                "group": f"mixed{i}",
                "target": "happy",
                "face": face(identity, "happy"),
                "voice": voice(NEUTRAL_VOICE if i % 2 == 0 else SAD_VOICE),
                "reply": replies[reply],
            }
        )

    rows: list[dict[str, str]] = []
    for g in groups:
        base = {"system": g["system"], "group": g["group"], "target_emotion": g["target"]}
        stem = f"{g['system']}/{g['group']}"
        rows.append({**base, "sample_id": f"{stem}/face", "modality": "face", "path": g["face"]})
        rows.append({**base, "sample_id": f"{stem}/speech", "modality": "speech", "path": g["voice"]})
        rows.append({**base, "sample_id": f"{stem}/text", "modality": "text", "text": g["reply"]})
    for g in groups:  # the same bundles as one multi-part row each (no group: the row is the bundle)
        rows.append(
            {
                "sample_id": f"{g['system']}_multipart/{g['group']}",
                "system": f"{g['system']}_multipart",
                "modality": "face",
                "path": g["face"],
                "audio:speech": g["voice"],
                "reply:text": g["reply"],
                "target_emotion": g["target"],
            }
        )
    columns = ["sample_id", "system", "modality", "path", "text", "target_emotion", "group", "audio:speech"]
    columns.append("reply:text")
    manifest = out / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    reference = out / "emotion_reference.csv"
    with (data / "speech_emodb" / "labels.csv").open(encoding="utf-8", newline="") as handle:
        clips = [row for row in csv.DictReader(handle) if Path(row["file"]).stem not in HELD_OUT_VOICES]
    with reference.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "emotion", "speaker"])
        writer.writeheader()
        for row in clips:
            (files / "reference").mkdir(exist_ok=True)
            target = files / "reference" / Path(row["file"]).name
            shutil.copyfile(data / "speech_emodb" / row["file"], target)
            writer.writerow(
                {"file": f"files/reference/{target.name}", "emotion": row["emotion"], "speaker": row["speaker"]}
            )
    return {"manifest": manifest, "emotion_reference": reference}


def system_rates(table: Any) -> Any:
    """Per system: the consistent rate (mean, bootstrap CI), its Wilson interval, pair agreements, mean JS and
    target agreement, from a results table of ``multimodal_emotion_consistency``."""
    import pandas as pd

    rows = table[(table["scope"] == "system") & table["metric"].str.startswith(METRIC)]
    wanted = ["consistent", "consistency_rate", "agreement_face_speech", "agreement_face_text"]
    wanted += ["agreement_speech_text", "mean_js", "target_agreement"]
    picked = rows[rows["sub_metric"].isin(wanted) & rows["target_emotion"].isna()]
    frame = picked[["system", "sub_metric", "value", "ci_low", "ci_high", "n"]].copy()
    frame["sub_metric"] = pd.Categorical(frame["sub_metric"], wanted, ordered=True)
    return frame.sort_values(["system", "sub_metric"]).reset_index(drop=True)


def main(argv: list[str]) -> int:
    import tempfile

    import emoeval

    if not DATA.is_dir():
        print(f"{DATA} is absent: the shared real-data folder sits beside the repository")
        return 1
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="signature_multimodal_"))
    paths = build(out)
    results = emoeval.score(
        paths["manifest"], metrics=[METRIC], emotion_reference=paths["emotion_reference"], progress=False, seed=0
    )
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(system_rates(results.table).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
