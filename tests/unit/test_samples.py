"""Reading samples from manifests (CSV, JSONL, Parquet), DataFrames, folders and lists (emoeval.samples)."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from emoeval.errors import ManifestError, UnknownLabelError
from emoeval.samples import (
    REQUIRED_COLUMNS,
    Part,
    Sample,
    load_samples,
    read_manifest,
    resolve_input,
    samples_from_dataframe,
    samples_from_folder,
    samples_from_records,
)

NAN = float("nan")


def manifest_frame(absolute_root=None):
    """A small manifest with a face, a speech and a text row, optional cells left empty and an extra column.

    Paths are relative unless ``absolute_root`` is given, in which case they are made absolute under it.
    """

    def where(name):
        return name if absolute_root is None else str(Path(absolute_root) / name)

    return pd.DataFrame(
        {
            "sample_id": ["sysA/001", "sysB/001", "sysC/001"],
            "system": ["sysA", "sysB", "sysC"],
            "modality": ["face", "speech", "text"],
            "path": [where("faces/001.png"), where("audio/001.wav"), None],
            "text": [None, None, "I am so glad you came!"],
            "target_emotion": ["Joy", "anger", None],
            "reference": [where("refs/id.png"), None, "a neutral reply"],
            "context": [None, None, json.dumps(["Hi.", "I got the job!"])],
            "transcript": [None, "the quick brown fox", None],
            "group": ["item-1", "item-1", None],
            "prompt": ["smile", "shout", "congratulate"],
        }
    )


def write_manifest(frame, path):
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif suffix == ".parquet":
        pytest.importorskip("pyarrow")
        frame.to_parquet(path, index=False)
    else:  # pragma: no cover - test helper misuse
        raise AssertionError(suffix)
    return path


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def records(samples):
    return [sample.to_record() for sample in samples]


# --- the same manifest in every format ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_manifest_formats_read_to_the_expected_samples(tmp_path, suffix):
    manifest = write_manifest(manifest_frame(), tmp_path / f"manifest{suffix}")
    root = tmp_path.resolve()

    samples = read_manifest(manifest)

    assert records(samples) == [
        {
            "sample_id": "sysA/001",
            "system": "sysA",
            "modality": "face",
            "path": str(root / "faces/001.png"),
            "text": None,
            "target_emotion": "happy",
            "reference": str(root / "refs/id.png"),
            "context": None,
            "transcript": None,
            "group": "item-1",
        },
        {
            "sample_id": "sysB/001",
            "system": "sysB",
            "modality": "speech",
            "path": str(root / "audio/001.wav"),
            "text": None,
            "target_emotion": "angry",
            "reference": None,
            "context": None,
            "transcript": "the quick brown fox",
            "group": "item-1",
        },
        {
            "sample_id": "sysC/001",
            "system": "sysC",
            "modality": "text",
            "path": None,
            "text": "I am so glad you came!",
            "target_emotion": None,
            "reference": "a neutral reply",
            "context": ["Hi.", "I got the job!"],
            "transcript": None,
            "group": None,
        },
    ]
    assert all(isinstance(sample, Sample) for sample in samples)
    assert [sample.meta for sample in samples] == [{"prompt": "smile"}, {"prompt": "shout"}, {"prompt": "congratulate"}]


def test_csv_jsonl_parquet_and_dataframe_give_equal_samples(tmp_path):
    frame = manifest_frame()
    suffixes = (".csv", ".jsonl", ".parquet")
    from_files = {suffix: read_manifest(write_manifest(frame, tmp_path / f"m{suffix}")) for suffix in suffixes}
    expected = records(from_files[".csv"])
    assert records(from_files[".jsonl"]) == expected
    assert records(from_files[".parquet"]) == expected
    assert from_files[".jsonl"] == from_files[".csv"] == from_files[".parquet"]

    # a DataFrame has no folder: relative paths resolve against base_dir when one is given
    assert records(samples_from_dataframe(frame, base_dir=tmp_path.resolve())) == expected
    # ... and are kept as given otherwise, so an absolute-path frame reads the same through load_samples
    absolute = manifest_frame(absolute_root=tmp_path.resolve())
    assert records(samples_from_dataframe(absolute)) == expected
    assert records(load_samples(absolute)) == expected
    # load_samples with a path is read_manifest
    assert records(load_samples(tmp_path / "m.csv")) == expected
    assert records(load_samples(str(tmp_path / "m.parquet"))) == expected


def test_dataframe_without_base_dir_keeps_relative_paths():
    samples = samples_from_dataframe(manifest_frame())
    assert samples[0].path == Path("faces/001.png")
    assert samples[0].reference == Path("refs/id.png")
    assert not samples[0].path.is_absolute()


def test_ndjson_and_pq_suffixes_are_accepted(tmp_path):
    frame = manifest_frame()
    csv = records(read_manifest(write_manifest(frame, tmp_path / "m.csv")))
    frame.to_json(tmp_path / "m.ndjson", orient="records", lines=True)
    assert records(read_manifest(tmp_path / "m.ndjson")) == csv
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "m.pq", index=False)
    assert records(read_manifest(tmp_path / "m.pq")) == csv


# --- paths ----------------------------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_manifest_folder_and_absolute_paths_stay(tmp_path):
    folder = tmp_path / "project" / "manifests"
    folder.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere" / "ref.wav"
    manifest = write_csv(
        folder / "m.csv",
        "sample_id,system,modality,path,reference\n"
        "a,s,face,img/a.png,../refs/a.png\n"
        f"b,s,speech,{tmp_path / 'abs' / 'b.wav'},{elsewhere}\n",
    )
    a, b = read_manifest(manifest)
    base = folder.resolve()
    assert a.path == base / "img/a.png"
    assert a.reference == base / "../refs/a.png"
    assert isinstance(a.reference, Path)
    assert b.path == tmp_path / "abs" / "b.wav"
    assert b.reference == elsewhere
    assert isinstance(b.path, Path)
    assert b.path.is_absolute()


def test_manifest_read_from_another_working_directory_still_resolves_to_its_folder(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "m.csv", "sample_id,system,modality,path\na,s,face,a.png\n")
    monkeypatch.chdir(tmp_path)
    (sample,) = read_manifest(Path("data/m.csv"))
    assert sample.path == folder.resolve() / "a.png"


def test_text_sample_reference_stays_a_string_and_output_is_the_text(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,text,reference\nt1,s,text,Hello there,relative/looking/ref.txt\n",
    )
    (sample,) = read_manifest(manifest)
    assert sample.reference == "relative/looking/ref.txt"
    assert isinstance(sample.reference, str)
    assert sample.path is None
    assert sample.text == "Hello there"
    assert sample.output == "Hello there"


def test_face_sample_output_is_the_resolved_file(tmp_path):
    (sample,) = read_manifest(write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\na,s,face,x.jpg\n"))
    assert sample.output == tmp_path.resolve() / "x.jpg"


def test_text_sample_requires_text(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,path,text\nf1,s,face,a.png,\nt1,s,text,some/file.txt,\n",
    )
    with pytest.raises(ManifestError, match=r"row 3: a text sample needs its response in the 'text' column"):
        read_manifest(manifest)


def test_face_and_speech_samples_require_path(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path,text\nx,s,speech,,words\n")
    with pytest.raises(ManifestError, match=r"row 2: a speech sample needs its file in the 'path' column"):
        read_manifest(manifest)


# --- required, optional and extra columns ---------------------------------------------------------------------


def test_only_required_columns_and_the_output_are_needed(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\na,s,face,a.png\n")
    (sample,) = read_manifest(manifest)
    assert sample.sample_id == "a"
    assert sample.system == "s"
    assert sample.modality == "face"
    for optional in ("text", "target_emotion", "reference", "context", "transcript", "group"):
        assert getattr(sample, optional) is None
        assert not sample.has(optional)
    assert sample.meta == {}

    text_only = write_csv(tmp_path / "t.csv", "sample_id,system,modality,text\nt,s,text,hi\n")
    (text_sample,) = read_manifest(text_only)
    assert text_sample.text == "hi"
    assert text_sample.path is None


def test_extra_columns_land_in_meta_and_do_not_affect_equality(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,path,seed,prompt,notes\na,s,face,a.png,42,smile please,\n",
    )
    (sample,) = read_manifest(manifest)
    assert dict(sample.meta) == {"seed": "42", "prompt": "smile please"}  # the empty 'notes' cell is dropped
    assert "seed" not in sample.to_record()
    assert sample == Sample(sample_id="a", system="s", modality="face", path=tmp_path.resolve() / "a.png")


def test_modality_is_case_insensitive(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\na,s, Speech ,a.wav\n")
    assert read_manifest(manifest)[0].modality == "speech"


# --- context --------------------------------------------------------------------------------------------------


def test_context_json_list_becomes_a_tuple_of_turns(tmp_path):
    frame = pd.DataFrame(
        {
            "sample_id": ["t1"],
            "system": ["s"],
            "modality": ["text"],
            "text": ["Congratulations!"],
            "context": [json.dumps(["Hi, how are you?", "I passed my exam, with a 1.0!"])],
        }
    )
    (sample,) = read_manifest(write_manifest(frame, tmp_path / "m.csv"))
    assert sample.context == ("Hi, how are you?", "I passed my exam, with a 1.0!")
    assert isinstance(sample.context, tuple)
    assert sample.to_record()["context"] == ["Hi, how are you?", "I passed my exam, with a 1.0!"]


def test_context_plain_string_becomes_one_turn(tmp_path):
    frame = pd.DataFrame(
        {"sample_id": ["t1"], "system": ["s"], "modality": ["text"], "text": ["Oh no."], "context": ["I lost my keys"]}
    )
    (sample,) = read_manifest(write_manifest(frame, tmp_path / "m.csv"))
    assert sample.context == ("I lost my keys",)


def test_context_as_a_real_list_in_a_dataframe_becomes_a_tuple():
    frame = pd.DataFrame(
        {"sample_id": ["t1"], "system": ["s"], "modality": ["text"], "text": ["ok"], "context": [["a", "b"]]}
    )
    assert samples_from_dataframe(frame)[0].context == ("a", "b")


def test_context_json_list_in_jsonl_as_a_real_array(tmp_path):
    line = {"sample_id": "t1", "system": "s", "modality": "text", "text": "ok", "context": ["first", "second"]}
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert read_manifest(manifest)[0].context == ("first", "second")


def test_malformed_context_json_list_raises(tmp_path):
    frame = pd.DataFrame(
        {
            "sample_id": ["t0", "t1"],
            "system": ["s", "s"],
            "modality": ["text", "text"],
            "text": ["fine", "ok"],
            "context": ['["good"]', "[oops"],
        }
    )
    manifest = write_manifest(frame, tmp_path / "m.csv")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    message = str(info.value)
    assert "row 3" in message
    assert "'context'" in message
    assert "JSON list" in message


# --- errors ---------------------------------------------------------------------------------------------------


def test_duplicate_sample_id_names_both_csv_rows_and_the_fix(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,path\n001,sysA,face,a.png\n002,sysA,face,b.png\n001,sysB,face,c.png\n",
    )
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    message = str(info.value)
    # line 1 is the header: the first '001' is row 2, the duplicate row 4
    assert f"{manifest}, row 4: duplicate sample_id '001' (first at row 2)" in message
    assert "must be unique" in message
    assert "<system>/<id>" in message


def test_duplicate_sample_id_row_numbers_in_jsonl_and_dataframe(tmp_path):
    frame = pd.DataFrame(
        {"sample_id": ["x", "y", "x"], "system": ["s"] * 3, "modality": ["face"] * 3, "path": ["1", "2", "3"]}
    )
    with pytest.raises(ManifestError, match=r"row 3: duplicate sample_id 'x' \(first at row 1\)"):
        read_manifest(write_manifest(frame, tmp_path / "m.jsonl"))
    with pytest.raises(ManifestError, match=r"row 2: duplicate sample_id 'x' \(first at row 0\)"):
        samples_from_dataframe(frame)


def test_unknown_target_emotion_names_the_row_and_the_known_labels(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,path,target_emotion\na,s,face,a.png,happy\nb,s,face,b.png,W\n",
    )
    with pytest.raises(UnknownLabelError) as info:
        read_manifest(manifest)
    message = str(info.value)
    assert f"{manifest}, row 3:" in message
    assert "'W'" in message
    assert "known labels:" in message
    assert "happy" in message
    assert "label_set" in message


def test_label_set_makes_dataset_codes_valid(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv",
        "sample_id,system,modality,path,target_emotion\na,s,face,a.png,W\nb,s,face,b.png,t\n",
    )
    assert [s.target_emotion for s in read_manifest(manifest, label_set="emodb")] == ["angry", "sad"]
    assert [s.target_emotion for s in load_samples(manifest, label_set="emodb")] == ["angry", "sad"]


def test_label_set_keeps_leading_zero_codes_from_csv(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv", "sample_id,system,modality,path,target_emotion\na,s,speech,a.wav,02\nb,s,speech,b.wav,06\n"
    )
    assert [s.target_emotion for s in read_manifest(manifest, label_set="ravdess")] == ["calm", "fear"]


def test_unknown_label_set_raises(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path,target_emotion\na,s,face,a.png,W\n")
    with pytest.raises(UnknownLabelError, match=r"known label sets:.*emodb"):
        read_manifest(manifest, label_set="nosuchset")


def test_bad_modality_raises(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\na,s,video,a.mp4\n")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    message = str(info.value)
    assert "row 2" in message
    assert "'video'" in message
    assert "face, signal, speech, text" in message


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_missing_required_column_raises(tmp_path, missing):
    columns = [c for c in ("sample_id", "system", "modality", "path") if c != missing]
    values = {"sample_id": "a", "system": "s", "modality": "face", "path": "a.png"}
    manifest = write_csv(tmp_path / "m.csv", ",".join(columns) + "\n" + ",".join(values[c] for c in columns) + "\n")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    message = str(info.value)
    assert f"missing required column(s) {missing}" in message
    assert "sample_id, system, modality" in message
    assert "'path' or 'text'" in message

    frame = pd.DataFrame([{c: values[c] for c in columns}])
    with pytest.raises(ManifestError, match=rf"missing required column\(s\) {missing}"):
        samples_from_dataframe(frame)


def test_empty_required_cell_raises(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\na,,face,a.png\n")
    with pytest.raises(ManifestError, match=r"row 2: column 'system' is empty"):
        read_manifest(manifest)


def test_dataframe_without_path_or_text_column_raises():
    frame = pd.DataFrame([{"sample_id": "a", "system": "s", "modality": "face"}])
    with pytest.raises(ManifestError, match=r"'path' column .* or a 'text' column"):
        samples_from_dataframe(frame)


def test_empty_csv_file_raises(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    assert str(manifest) in str(info.value)
    assert "cannot be read as a .csv manifest" in str(info.value)


def test_header_only_csv_raises_no_samples(tmp_path):
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path\n")
    with pytest.raises(ManifestError, match=r"no samples \(the manifest has no rows\)"):
        read_manifest(manifest)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_empty_jsonl_or_parquet_file_raises(tmp_path, suffix):
    manifest = tmp_path / f"m{suffix}"
    manifest.write_bytes(b"")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    assert str(manifest) in str(info.value)


def test_empty_dataframe_raises():
    frame = pd.DataFrame(columns=["sample_id", "system", "modality", "path"])
    with pytest.raises(ManifestError, match="no samples"):
        load_samples(frame)


@pytest.mark.parametrize("name", ["m.xlsx", "m.tsv", "manifest"])
def test_unknown_manifest_suffix_raises(tmp_path, name):
    manifest = tmp_path / name
    manifest.write_text("sample_id,system,modality,path\na,s,face,a.png\n", encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    message = str(info.value)
    assert "unknown manifest format" in message
    assert ".csv, .jsonl or .parquet" in message


def test_missing_manifest_file_raises(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(ManifestError, match=re.escape(f"manifest not found: {missing}")):
        read_manifest(missing)
    with pytest.raises(ManifestError, match="manifest not found"):
        load_samples(str(missing))


def test_malformed_jsonl_raises_manifest_error(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"sample_id": "a", "system": \n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"m\.jsonl, line 1: not valid JSON"):
        read_manifest(manifest)


# --- folders --------------------------------------------------------------------------------------------------


def make_folder(root):
    files = {
        "sysA/happy/item1.jpg": b"\xff\xd8fake jpeg",
        "sysA/happy/item2.wav": b"RIFFfake",
        "sysA/Sad/item1.txt": b"  I feel so down today.\n",
        "sysA/happy/README.md": b"# ignored",
        "sysB/happy/item1.jpg": b"\xff\xd8other",
        "sysB/happy/notes.md": b"ignored too",
        "stray.jpg": b"at the root: not in the layout",
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_samples_from_folder_reads_the_layout(tmp_path):
    root = make_folder(tmp_path / "outputs")
    base = root.resolve()

    samples = samples_from_folder(root)
    by_id = {sample.sample_id: sample for sample in samples}

    assert sorted(by_id) == [
        "sysA/Sad/item1.txt",
        "sysA/happy/item1.jpg",
        "sysA/happy/item2.wav",
        "sysB/happy/item1.jpg",
    ]
    face = by_id["sysA/happy/item1.jpg"]
    assert face.modality == "face"
    assert face.system == "sysA"
    assert face.path == base / "sysA/happy/item1.jpg"
    assert face.target_emotion == "happy"
    assert face.group == "happy/item1"

    speech = by_id["sysA/happy/item2.wav"]
    assert speech.modality == "speech"
    assert speech.path == base / "sysA/happy/item2.wav"
    assert speech.group == "happy/item2"

    text = by_id["sysA/Sad/item1.txt"]
    assert text.modality == "text"
    assert text.text == "I feel so down today."
    assert text.path is None
    assert text.target_emotion == "sad"  # folder name normalised
    assert text.group == "Sad/item1"

    other = by_id["sysB/happy/item1.jpg"]
    assert other.system == "sysB"
    # the same file name in two systems pairs up through group
    assert other.group == face.group


def test_samples_from_folder_normalises_emotion_names_and_uses_label_set(tmp_path):
    for name in ("Joy", "FEARFUL"):
        (tmp_path / "sys" / name).mkdir(parents=True)
        (tmp_path / "sys" / name / "a.png").write_bytes(b"x")
    assert sorted(s.target_emotion for s in samples_from_folder(tmp_path)) == ["fear", "happy"]

    emodb = tmp_path / "emodb_out"
    (emodb / "sys" / "W").mkdir(parents=True)
    (emodb / "sys" / "W" / "a.wav").write_bytes(b"x")
    with pytest.raises(UnknownLabelError):
        samples_from_folder(emodb)
    (sample,) = samples_from_folder(emodb, label_set="emodb")
    assert sample.target_emotion == "angry"
    assert sample.sample_id == "sys/W/a.wav"


def test_samples_from_folder_recognises_suffixes_case_insensitively(tmp_path):
    (tmp_path / "s" / "neutral").mkdir(parents=True)
    (tmp_path / "s" / "neutral" / "A.PNG").write_bytes(b"x")
    (tmp_path / "s" / "neutral" / "b.FLAC").write_bytes(b"x")
    modalities = {s.sample_id: s.modality for s in samples_from_folder(tmp_path)}
    assert modalities == {"s/neutral/A.PNG": "face", "s/neutral/b.FLAC": "speech"}


def test_empty_folder_raises(tmp_path):
    with pytest.raises(ManifestError, match=r"no image, audio or \.txt files found"):
        samples_from_folder(tmp_path)


def test_folder_with_only_ignored_files_raises(tmp_path):
    (tmp_path / "s" / "happy").mkdir(parents=True)
    (tmp_path / "s" / "happy" / "notes.md").write_text("x", encoding="utf-8")
    with pytest.raises(ManifestError, match="<root>/<system>/<emotion>/<file>"):
        samples_from_folder(tmp_path)


def test_samples_from_folder_on_a_file_raises(tmp_path):
    file = tmp_path / "f.csv"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(ManifestError, match="not a folder"):
        samples_from_folder(file)


def test_read_manifest_and_load_samples_dispatch_a_folder(tmp_path):
    root = make_folder(tmp_path / "outputs")
    expected = records(samples_from_folder(root))
    assert records(read_manifest(root)) == expected
    assert records(read_manifest(str(root))) == expected
    assert records(load_samples(root)) == expected


# --- load_samples ---------------------------------------------------------------------------------------------


def test_load_samples_passes_a_list_of_samples_through():
    given = [
        Sample(sample_id="a", system="s", modality="face", path=Path("/x/a.png")),
        Sample(sample_id="b", system="s", modality="text", text="hi"),
    ]
    loaded = load_samples(given)
    assert loaded == given
    assert loaded is not given
    assert load_samples(tuple(given)) == given


def test_load_samples_rejects_duplicate_ids_in_a_list():
    given = [
        Sample(sample_id="a", system="s1", modality="text", text="one"),
        Sample(sample_id="b", system="s1", modality="text", text="two"),
        Sample(sample_id="a", system="s2", modality="text", text="three"),
    ]
    with pytest.raises(ManifestError, match=r"duplicate sample_id 'a'.*must be unique"):
        load_samples(given)


def test_load_samples_rejects_an_empty_list():
    with pytest.raises(ManifestError, match="no samples given"):
        load_samples([])


@pytest.mark.parametrize("source", [42, {"sample_id": "a"}, [{"sample_id": "a"}], None, b"m.csv"])
def test_load_samples_rejects_unsupported_types(source):
    with pytest.raises(ManifestError) as info:
        load_samples(source)
    message = str(info.value)
    assert f"cannot read samples from a {type(source).__name__}" in message
    assert "a manifest path, a folder, a DataFrame or a list of Sample" in message


# --- missing cells --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_empty_optional_cells_become_none_not_nan(tmp_path, suffix):
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "system": ["s", "s"],
            "modality": ["speech", "text"],
            "path": ["a.wav", NAN],
            "text": [None, "hello"],
            "target_emotion": [NAN, "sad"],
            "reference": [None, NAN],
            "context": [NAN, None],
            "transcript": [NAN, "hello"],
            "group": [None, NAN],
            "score": [NAN, "0.5"],
        }
    )
    a, b = read_manifest(write_manifest(frame, tmp_path / f"m{suffix}"))
    for sample in (a, b):
        record = sample.to_record()
        assert "nan" not in {str(value).lower() for value in record.values()}
        assert "None" not in {str(value) for value in record.values() if value is not None}
    assert (a.text, a.target_emotion, a.reference, a.context, a.transcript, a.group) == (None,) * 6
    assert (b.path, b.reference, b.context, b.group) == (None,) * 4
    assert b.transcript == "hello"
    assert b.target_emotion == "sad"
    assert "score" not in a.meta
    assert b.meta == {"score": "0.5"}


def test_nan_cells_in_a_dataframe_become_none():
    frame = pd.DataFrame(
        {
            "sample_id": ["a"],
            "system": ["s"],
            "modality": ["face"],
            "path": ["a.png"],
            "target_emotion": [NAN],
            "reference": [NAN],
            "context": [NAN],
            "transcript": [None],
            "group": [NAN],
            "extra": [NAN],
        }
    )
    (sample,) = samples_from_dataframe(frame)
    assert sample.target_emotion is None
    assert sample.reference is None
    assert sample.context is None
    assert sample.transcript is None
    assert sample.group is None
    assert sample.meta == {}


def test_whitespace_only_optional_cells_are_missing(tmp_path):
    manifest = write_csv(
        tmp_path / "m.csv", 'sample_id,system,modality,path,target_emotion,transcript\na,s,face,a.png,"  ","   "\n'
    )
    (sample,) = read_manifest(manifest)
    assert sample.target_emotion is None
    assert sample.transcript is None


def test_the_string_nan_is_not_treated_specially_in_csv(tmp_path):
    # keep_default_na=False: only empty cells are missing, so a transcript that reads "NA" survives
    manifest = write_csv(tmp_path / "m.csv", "sample_id,system,modality,path,transcript\nNA,s,speech,a.wav,NA\n")
    (sample,) = read_manifest(manifest)
    assert sample.sample_id == "NA"
    assert sample.transcript == "NA"


# --- integer codes in columns pandas upcasts to float -----------------------------------------------------------


def test_integer_codes_with_a_missing_cell_in_jsonl_are_not_read_as_floats(tmp_path):
    # an integer column with a null is upcast to float64 by pandas: FER2013 code 3 must not become "3.0"
    manifest = tmp_path / "m.jsonl"
    lines = [
        {"sample_id": 1, "system": "s", "modality": "face", "path": "a.png", "target_emotion": 3, "group": 7},
        {"sample_id": 2, "system": "s", "modality": "face", "path": "b.png", "target_emotion": None, "group": None},
    ]
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    first, second = read_manifest(manifest, label_set="fer2013")
    assert first.target_emotion == "happy"
    assert first.group == "7"
    assert (first.sample_id, second.sample_id) == ("1", "2")
    assert second.target_emotion is None
    assert second.group is None


def test_integer_codes_with_a_missing_cell_in_a_dataframe_are_not_read_as_floats():
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "system": ["s", "s"],
            "modality": ["face", "face"],
            "path": ["a.png", "b.png"],
            "target_emotion": [0, None],
        }
    )
    assert frame["target_emotion"].dtype == "float64"
    assert [s.target_emotion for s in samples_from_dataframe(frame, label_set="fer2013")] == ["angry", None]


def test_non_integral_floats_keep_their_decimals():
    frame = pd.DataFrame({"sample_id": [1.5], "system": ["s"], "modality": ["text"], "text": ["hi"], "group": [2.25]})
    (sample,) = samples_from_dataframe(frame)
    assert sample.sample_id == "1.5"
    assert sample.group == "2.25"


def test_emotion_reference_is_a_path_resolved_against_the_manifest_folder(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    manifest = folder / "m.csv"
    manifest.write_text(
        "sample_id,system,modality,path,emotion_reference,note\n"
        "a,s,face,out/a.png,real/happy.png,keep me\n"
        "b,s,face,out/b.png,,\n"
    )
    first, second = read_manifest(manifest)
    # v2: the core keeps the column as it is; a metric that declares the input (face_emotion_change declares
    # emotion_reference: face) reads it as a part of that type, resolved against the manifest's folder
    assert first.meta["emotion_reference"] == "real/happy.png"
    resolved = resolve_input(first, "emotion_reference", "face")
    assert resolved.value("emotion_reference") == folder / "real" / "happy.png"
    assert resolved.part("emotion_reference").media == "face"
    assert first.meta["note"] == "keep me"
    assert "emotion_reference" not in second.meta
    assert resolve_input(second, "emotion_reference", "face") is second  # absent: unchanged


def test_typed_part_columns_become_parts_of_their_media(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "sample_id,system,modality,text,audio:speech,frames:face,context,group\n"
        'a,s,text,hello,clips/a.wav,img/a.png,"[""hi"", ""how are you""]",g1\n'
    )
    (sample,) = read_manifest(manifest)
    assert sample.part("audio") == Part("speech", tmp_path / "clips" / "a.wav")
    assert sample.part("frames") == Part("face", tmp_path / "img" / "a.png")
    assert sample.part("context") == Part("turns", ("hi", "how are you"))
    assert sample.text == "hello" and sample.output == "hello"
    with pytest.raises(
        ManifestError, match=r"'video' is not a registered media type.*face, signal, speech, text, turns"
    ):
        samples_from_records([{"sample_id": "a", "system": "s", "modality": "text", "text": "x", "v:video": "v.mp4"}])
    with pytest.raises(ManifestError, match="'gaze' is not a registered media type"):
        samples_from_records([{"sample_id": "a", "system": "s", "modality": "gaze", "path": "x.npy"}])
