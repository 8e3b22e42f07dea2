"""Gallery data: which samples each (system, emotion) cell shows, how "worst" is ranked (against scipy's
rankdata), where the manifest is found, and how media are embedded (decoded back with PIL and soundfile)."""

from __future__ import annotations

import base64
import io
import shutil

import pytest
from scipy import stats

from emoeval.reports.gallery import attach_media, badness_scores, choose, find_samples, select_gallery
from emoeval.reports.media import MediaEncoder, MediaSettings, relative_link
from emoeval.results import results_frame
from emoeval.samples import Sample


def scored_rows():
    """Two metrics: ``sim`` (higher is better) and ``dist`` (lower is better); one error row."""
    sim = {"a/1": 0.9, "a/2": 0.2, "a/3": 0.5, "b/1": 0.7, "b/2": 0.4}
    dist = {"a/1": 0.1, "a/2": 0.3, "a/3": 0.9, "b/1": 0.2}
    rows = []
    for sample_id, value in sim.items():
        rows.append(
            dict(
                system=sample_id[0],
                scope="sample",
                statistic="value",
                sample_id=sample_id,
                target_emotion="happy",
                metric="sim",
                sub_metric="cos",
                value=value,
                n=1,
                higher_is_better=True,
                label="sad" if sample_id == "a/2" else None,
            )
        )
    for sample_id, value in dist.items():
        rows.append(
            dict(
                system=sample_id[0],
                scope="sample",
                statistic="value",
                sample_id=sample_id,
                target_emotion="happy",
                metric="dist",
                sub_metric="d",
                value=value,
                n=1,
                higher_is_better=False,
            )
        )
    rows.append(
        dict(
            system="b",
            scope="sample",
            statistic="value",
            sample_id="b/2",
            target_emotion="happy",
            metric="dist",
            sub_metric="d",
            value=float("nan"),
            n=1,
            error="b/2: cannot decode",
        )
    )
    return rows, sim, dist


def test_badness_is_the_mean_oriented_percentile_rank():
    rows, sim, dist = scored_rows()
    badness, used = badness_scores(results_frame(rows))
    assert used == ["sim/cos", "dist/d"]
    ids = list(sim)
    sim_rank = dict(zip(ids, stats.rankdata([-sim[i] for i in ids]) / len(ids), strict=True))
    dist_ids = list(dist)
    dist_rank = dict(zip(dist_ids, stats.rankdata([dist[i] for i in dist_ids]) / len(dist_ids), strict=True))
    dist_rank["b/2"] = 1.0  # could not be scored: the worst
    for sample_id in ids:
        assert badness[sample_id] == pytest.approx((sim_rank[sample_id] + dist_rank[sample_id]) / 2)
    only_sim, used = badness_scores(results_frame(rows), worst_by="sim")
    assert used == ["sim/cos"] and only_sim["a/2"] == pytest.approx(1.0)


def test_worst_by_names_what_exists():
    rows, _, _ = scored_rows()
    with pytest.raises(Exception, match="no per-sample values of 'nope'"):
        badness_scores(results_frame(rows), worst_by="nope")
    with pytest.raises(Exception, match="has no output 'x'"):
        badness_scores(results_frame(rows), worst_by="sim/x")


def test_cells_show_the_first_samples_or_the_worst_first():
    rows, _, _ = scored_rows()
    table = results_frame(rows)
    gallery = select_gallery(table, None, per_cell=2)
    assert [(c.system, c.target_emotion, c.total) for c in gallery.cells] == [("a", "happy", 3), ("b", "happy", 2)]
    assert [i.sample_id for i in gallery.cells[0].items] == ["a/1", "a/2"]
    first = gallery.cells[0].items[1]
    assert first.labels == (("sim", "sad"),)
    assert [(s.metric, s.value) for s in first.scores] == [("sim", 0.2), ("dist", 0.3)]
    worst = select_gallery(table, None, per_cell=2, worst=1)
    badness, _ = badness_scores(table)
    cell_a = [i.sample_id for i in worst.cells[0].items]
    assert cell_a[0] == max(["a/1", "a/2", "a/3"], key=badness.get) and worst.cells[0].items[0].worst_rank == 1
    assert len(cell_a) == 2 and worst.cells[0].items[1].worst_rank is None
    assert worst.cells[1].items[0].sample_id == "b/2"  # its error makes it the worst of b
    assert worst.cells[1].items[0].errors == ("dist: b/2: cannot decode",)


def test_choose_caps_and_orders():
    from emoeval.reports.gallery import GalleryItem

    items = [GalleryItem(f"s/{i}", "s", "face", None, badness=b) for i, b in enumerate([0.2, 0.9, None, 0.5])]
    assert [i.sample_id for i in choose(items, 2, 0)] == ["s/0", "s/1"]
    assert [(i.sample_id, i.worst_rank) for i in choose(items, 1, 2)] == [("s/1", 1), ("s/3", 2)]
    assert [i.sample_id for i in choose(items, 4, 1)] == ["s/1", "s/0", "s/2", "s/3"]


def test_find_samples_from_run_json_relative_paths_and_notes(tmp_path, demo_dir):
    manifest = tmp_path / "data" / "manifest.csv"
    manifest.parent.mkdir()
    manifest.write_text("sample_id,system,modality,path,target_emotion\nx/1,x,face,face.jpg,happy\n")
    results_dir = tmp_path / "results"
    samples, note = find_samples({"inputs": {"source": str(manifest)}})
    assert note == "" and samples[0].path == manifest.parent / "face.jpg"
    samples, note = find_samples({"inputs": {"source": "data/manifest.csv"}}, results_dir=results_dir)
    assert samples is not None and samples[0].sample_id == "x/1"  # found beside the results folder
    samples, note = find_samples({"inputs": {"source": "gone.csv"}}, results_dir=results_dir)
    assert samples is None and "'gone.csv' was not found" in note and "--manifest" in note
    samples, note = find_samples({"inputs": {"source": "DataFrame"}})
    assert samples is None and "DataFrame or a list of samples" in note
    emodb = tmp_path / "emodb.csv"
    emodb.write_text("sample_id,system,modality,path,target_emotion\ny/1,y,speech,a.wav,W\n")
    samples, note = find_samples({}, manifest=emodb)
    assert samples is None and "--label-set" in note
    samples, _ = find_samples({}, manifest=emodb, label_set="emodb")
    assert samples[0].target_emotion == "angry"


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    return header, base64.b64decode(payload)


def test_images_become_small_jpeg_thumbnails(tmp_path, demo_dir):
    from PIL import Image

    encoder = MediaEncoder(MediaSettings(thumb_px=96), tmp_path)
    ref = encoder.image(demo_dir / "faces" / "001_happy.jpg")
    header, data = decode_data_uri(ref.src)
    assert header == "data:image/jpeg;base64" and ref.embedded_bytes == len(ref.src)
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == 96 and image.format == "JPEG"
    again = MediaEncoder(MediaSettings(thumb_px=96), tmp_path).image(demo_dir / "faces" / "001_happy.jpg")
    assert again.src == ref.src  # deterministic
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert encoder.image(broken).src is None and "cannot read image broken.png" in encoder.image(broken).note
    assert encoder.image(tmp_path / "none.png").note.startswith("file not found")


def test_recordings_become_trimmed_mono_mp3_clips(tmp_path, demo_dir):
    import soundfile as sf

    wav = demo_dir / "speech" / "13_Happy" / "emo-stargan.wav"
    original = sf.info(str(wav)).duration
    encoder = MediaEncoder(MediaSettings(audio_seconds=1.5, audio_rate=16000), tmp_path)
    ref = encoder.audio(wav)
    header, data = decode_data_uri(ref.src)
    assert header == "data:audio/mpeg;base64"
    clip, rate = sf.read(io.BytesIO(data))
    assert rate == 16000 and clip.ndim == 1
    assert len(clip) / rate == pytest.approx(1.5, abs=0.1)  # MP3 frames pad a little
    assert ref.note == f"first 1.5 s of {original:.1f} s"
    whole = MediaEncoder(MediaSettings(audio_seconds=10), tmp_path).audio(wav)
    assert whole.note == ""
    whole_clip, _ = sf.read(io.BytesIO(decode_data_uri(whole.src)[1]))
    assert len(whole_clip) / 16000 == pytest.approx(original, abs=0.1)
    assert whole.src == MediaEncoder(MediaSettings(audio_seconds=10), tmp_path).audio(wav).src


def test_linked_media_use_paths_relative_to_the_report(tmp_path, demo_dir):
    face = tmp_path / "media" / "a b.jpg"
    face.parent.mkdir()
    shutil.copy(demo_dir / "faces" / "002_happy.jpg", face)
    report_dir = tmp_path / "reports" / "x"
    ref = MediaEncoder(MediaSettings(link=True), report_dir).image(face)
    assert ref.src == "../../media/a b.jpg" and ref.embedded_bytes == 0
    assert relative_link(face, tmp_path) == "media/a b.jpg"


def test_attach_media_encodes_each_file_once_whatever_the_threads(tmp_path, demo_dir):
    face = demo_dir / "faces" / "006_happy.jpg"
    reference = demo_dir / "faces" / "006_neutral.jpg"
    samples = [
        Sample(
            sample_id=f"{system}/1",
            system=system,
            modality="face",
            path=face,
            target_emotion="happy",
            reference=reference,
        )
        for system in ("p", "q")
    ] + [Sample(sample_id="t/1", system="t", modality="text", text="Hi <b>there</b>", context=("Hello",))]
    gallery = select_gallery(results_frame([]), samples, per_cell=3)
    one = attach_media(gallery, MediaEncoder(MediaSettings(), tmp_path), workers=1)
    four = attach_media(gallery, MediaEncoder(MediaSettings(), tmp_path), workers=4)
    assert one == four
    p_item, q_item = one.cells[0].items[0], one.cells[1].items[0]
    assert p_item.output.src == q_item.output.src and p_item.reference.src != p_item.output.src
    text = one.cells[2].items[0]
    assert (text.modality, text.text, text.context, text.output) == ("text", "Hi <b>there</b>", ("Hello",), None)
    assert one.n_items == 3


def test_media_sizes_stay_small(tmp_path, demo_dir):
    encoder = MediaEncoder(MediaSettings(), tmp_path)
    image = encoder.image(demo_dir / "faces" / "001_happy.jpg")
    audio = encoder.audio(demo_dir / "speech" / "5_Neutral" / "emo-stargan.wav")
    assert image.embedded_bytes < 15_000
    assert audio.embedded_bytes < 25_000  # 3.2 s of speech
