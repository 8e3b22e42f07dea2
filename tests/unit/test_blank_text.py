"""Blank replies — empty, white space, or only invisible format characters — are per-sample errors.

A reply of zero-width characters used to reach the sentence encoder (which drops them) and score a higher
coherence than a real reply; an empty or white-space reply was a manifest error that aborted the whole run.
The invisible-character test is checked against the Unicode properties of the ``regex`` module (an independent
implementation of the Unicode character database).
"""

from __future__ import annotations

import json
import unicodedata

import pytest

import emoeval
from emoeval.errors import ManifestError, SampleInputError
from emoeval.media.text import is_blank, is_invisible, normalize_text
from emoeval.reference_models.text_embedding import check_text
from emoeval.samples import read_manifest, samples_from_folder

ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060"  # zero-width space, non-joiner, joiner, BOM, word joiner
GOOD = "Oh no, I'm so sorry to hear that. That sounds really hard."


def test_invisible_characters_are_exactly_unicode_whitespace_controls_format_and_default_ignorables():
    regex = pytest.importorskip("regex")
    # White_Space, controls, separators, Default_Ignorable_Code_Point, and format characters other than the
    # visible Prepended_Concatenation_Mark ones (Arabic number signs...)
    expected = regex.compile(
        r"[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Z}]|(?=\p{Cf})\P{Prepended_Concatenation_Mark}"
    )
    unassigned = regex.compile(r"\p{Cn}")
    checked = 0
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or unicodedata.category(char) == "Cn" or unassigned.match(char):
            continue  # surrogates, and characters the two Unicode versions do not both assign
        assert is_invisible(char) == bool(expected.match(char)), f"U+{code:04X} {unicodedata.name(char, '?')}"
        checked += 1
    assert checked > 140_000


def test_blank_and_normalised_texts():
    for text in ("", "   \n\t", ZERO_WIDTH, " \u200e\u200f\u00ad ", "\u3000\u2028", "\ufe0f\u034f\u3164"):
        assert is_blank(text), repr(text)
    for text in ("ok", "\u200bhi\u200b", ".", "\u0600", "🙂"):
        assert not is_blank(text), repr(text)
    decomposed = "cafe\u0301 nai\u0308ve"
    assert normalize_text(decomposed) == "caf\u00e9 na\u00efve"
    assert normalize_text("\ufb01\u00b2") == "\ufb01\u00b2"  # NFC keeps compatibility characters (NFKC would not)


@pytest.mark.parametrize("text", ["", "  \n", ZERO_WIDTH, "\u200b", "\ufeff", "\u2060 \u200d"])
def test_check_text_refuses_blank_replies_naming_the_reason(text):
    with pytest.raises(SampleInputError) as caught:
        check_text(text, "s1 (response)")
    message = str(caught.value)
    assert message.startswith("s1 (response): the text is empty")
    assert "after removing whitespace and invisible format characters" in message


def test_check_text_returns_nfc():
    assert check_text("cafe\u0301!") == "caf\u00e9!"


# -- manifests keep blank replies --------------------------------------------------------------------------------


def test_empty_and_white_space_replies_are_kept_by_the_manifest_reader(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "sample_id,system,modality,path,text\n"
        f'good,bot,text,,"{GOOD}"\n'
        + f"zero_width,bot,text,,{ZERO_WIDTH}\n"
        + 'spaces,bot,text,,"   "\n'
        + "empty,bot,text,,\n",
        encoding="utf-8",
    )
    samples = {sample.sample_id: sample for sample in read_manifest(manifest)}
    assert samples["good"].text == GOOD
    assert samples["zero_width"].text == ZERO_WIDTH
    assert samples["spaces"].text == "   "
    assert samples["empty"].text == "" and samples["empty"].output == ""


def test_jsonl_reply_keys(tmp_path):
    manifest = tmp_path / "m.jsonl"
    rows = [{"sample_id": "a", "system": "bot", "modality": "text", "text": ""}]
    manifest.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    assert read_manifest(manifest)[0].text == ""
    manifest.write_text(json.dumps({"sample_id": "a", "system": "bot", "modality": "text"}) + "\n")
    with pytest.raises(ManifestError, match="a text sample needs its response in the 'text' column"):
        read_manifest(manifest)


def test_an_empty_txt_file_in_the_folder_layout_is_kept(tmp_path):
    folder = tmp_path / "bot" / "sad"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.txt").write_text("  \n", encoding="utf-8")
    samples = {sample.sample_id: sample for sample in samples_from_folder(tmp_path)}
    assert samples["bot/sad/a.txt"].text == GOOD
    assert samples["bot/sad/b.txt"].text == ""


# -- a whole run -------------------------------------------------------------------------------------------------


def test_blank_replies_get_error_rows_and_the_run_completes(tmp_path):
    manifest = tmp_path / "m.csv"
    lines = ["sample_id,system,modality,text,target_emotion,context"]
    context = '"[""My cat died yesterday."", ""I miss her so much.""]"'
    for sample_id, text in (("good", f'"{GOOD}"'), ("zero_width", ZERO_WIDTH), ("spaces", '"   "'), ("empty", "")):
        lines.append(f"{sample_id},bot,text,{text},sad,{context}")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metrics = ["text_coherence", "text_emotion_accuracy", "text_distinct_n"]
    results = emoeval.score(manifest, metrics=metrics, progress=False, use_cache=False)
    table = results.table
    rows = table[table["scope"] == "sample"]
    blank = {"zero_width", "spaces", "empty"}
    for metric in metrics:
        chosen = rows[rows["metric"] == metric]
        errors = chosen.dropna(subset=["error"]).set_index("sample_id")["error"]
        assert set(errors.index) == blank, (metric, errors.to_dict())
        for sample_id in blank:
            assert "the text is empty after removing whitespace and invisible format characters" in errors[sample_id]
            assert chosen[chosen["sample_id"] == sample_id]["value"].isna().all()
    coherence = rows[(rows["metric"] == "text_coherence") & (rows["sample_id"] == "zero_width")]
    assert coherence["value"].isna().all()  # the zero-width reply never gets a coherence value
    good = rows[(rows["sample_id"] == "good") & rows["metric"].isin(["text_coherence", "text_emotion_accuracy"])]
    assert len(good) == 4 and good["error"].isna().all() and good["value"].notna().all()

    distinct = table[(table["metric"] == "text_distinct_n") & (table["scope"] == "system")].set_index("sub_metric")
    tokens = GOOD.lower().replace(",", " ").replace(".", " ").split()  # the good reply's words by hand
    for n in (1, 2):
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        assert distinct.loc[f"distinct_{n}", "value"] == pytest.approx(len(set(grams)) / len(grams))
        assert distinct.loc[f"distinct_{n}", "n"] == 1  # the blank replies are left out
