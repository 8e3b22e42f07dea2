"""Signal thumbnails in the report gallery: the spectra against scipy's Welch, the min/max envelope against the
samples it summarises, the SVG (well-formed, channel names escaped, one trace per channel, traces that map back
to the data), the mean spectra of a system and of the run's reference set, and a whole report with signal samples
(the drawings are embedded, user strings stay text, the JSON twin holds no media bytes)."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser

import numpy as np
import pytest
from scipy import signal as scipy_signal

import emoeval
from emoeval.media.signal import read_signal, write_npz
from emoeval.reports.gallery import SignalSources, attach_media, select_gallery, signal_sources
from emoeval.reports.media import (
    PSD_SEGMENT_S,
    MediaEncoder,
    MediaSettings,
    envelope,
    log_psd,
    mean_spectra,
    psd_grid,
    signal_svg,
)
from emoeval.results import Results, results_frame
from emoeval.samples import Sample

SVG = "{http://www.w3.org/2000/svg}"
RATE = 128.0
PROBE = '<b>ECG</b> & "lead"'
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def recording(seed: int, *, heart_hz: float = 1.2, seconds: float = 30.0, channels=None) -> np.ndarray:
    """A spiky 'ECG' (a pulse train at ``heart_hz``), a slow 'EDA' drift and a 0.25 Hz 'respiration', plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    ecg = (np.sin(2 * np.pi * heart_hz * t) > 0.97).astype(float) + 0.05 * rng.normal(size=t.size)
    eda = 2.0 + 0.01 * t + 0.02 * rng.normal(size=t.size)
    rsp = np.sin(2 * np.pi * 0.25 * t) + 0.05 * rng.normal(size=t.size)
    return np.vstack([ecg, eda, rsp])


def write(folder, name, data, channels=(PROBE, "EDA", "RSP")):
    folder.mkdir(parents=True, exist_ok=True)
    return write_npz(folder / f"{name}.npz", data, RATE, list(channels), ["ecg", "eda", "rsp"])


def decode_svg(uri: str) -> ET.Element:
    header, _, payload = uri.partition(",")
    assert header == "data:image/svg+xml;base64"
    return ET.fromstring(base64.b64decode(payload).decode("utf-8"))


def polyline_points(element: ET.Element) -> np.ndarray:
    return np.array([[float(v) for v in pair.split(",")] for pair in element.get("points").split()])


# -- the maths of the drawing -----------------------------------------------------------------------------------


def welch_cells(x: np.ndarray, rate: float, grid: np.ndarray) -> np.ndarray:
    """The reference: scipy's Welch density averaged over each grid point's log-frequency cell (a loop)."""
    freqs, power = scipy_signal.welch(x, fs=rate, nperseg=int(min(x.size, PSD_SEGMENT_S * rate)))
    ratio = np.sqrt(grid[1] / grid[0])
    out = []
    for centre in grid:
        members = [p for f, p in zip(freqs[1:], power[1:], strict=True) if centre / ratio <= f < centre * ratio]
        out.append(
            np.log10(np.mean(members))
            if members
            else np.interp(np.log10(centre), np.log10(freqs[1:]), np.log10(power[1:]))
        )
    out = np.array(out)
    out[(grid < freqs[1]) | (grid > freqs[-1])] = np.nan
    return out


def test_log_psd_averages_scipy_welch_over_log_frequency_cells():
    rng = np.random.default_rng(0)
    n = int(60 * RATE)
    x = rng.normal(size=n) + np.sin(2 * np.pi * 10.0 * np.arange(n) / RATE)
    for kind in ("eeg", "ecg", "eda"):
        grid = psd_grid(kind)
        expected = welch_cells(x, RATE, grid)
        finite = np.isfinite(expected)
        np.testing.assert_allclose(log_psd(x, RATE, grid)[finite], expected[finite], rtol=1e-9, atol=1e-3)
        assert np.isnan(log_psd(x, RATE, grid)[~finite]).all()
    grid = psd_grid("eeg")
    curve = log_psd(x, RATE, grid)
    assert np.argmin(np.abs(np.log(grid / 10.0))) == np.nanargmax(curve)  # the pure tone's cell is the peak
    slow = log_psd(x, 50.0, grid)  # at 50 Hz the grid above 25 Hz lies beyond Nyquist
    assert np.isnan(slow[grid > 25.0]).all() and np.isfinite(slow[grid < 24.0]).all()
    eda = psd_grid("eda")
    short = log_psd(x[: int(4 * RATE)], RATE, eda)  # 4 s resolves 0.25 Hz, not the band's 0.05 Hz start
    assert np.isnan(short[eda < 0.25]).all() and np.isfinite(short[-1])
    assert np.isnan(log_psd(np.full(5, 1.0), RATE, grid)).all()


def test_the_envelope_keeps_each_columns_minimum_and_maximum():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    x[537] = 40.0  # a one-sample spike must survive the decimation
    x[100:130] = np.nan
    positions, values = envelope(x, 64)
    edges = np.linspace(0, x.size, 65).round().astype(int)
    for column in range(64):
        part = x[edges[column] : edges[column + 1]]
        low, high = values[2 * column : 2 * column + 2]
        if np.isnan(part).all():
            assert np.isnan(low) and np.isnan(high)
        else:
            assert (low, high) == (np.nanmin(part), np.nanmax(part))
    assert np.nanmax(values) == 40.0 and positions[0] == 0.0 and positions[-1] == 1.0
    short_t, short_v = envelope(x[:50], 64)  # fewer samples than 2 × columns: every sample
    np.testing.assert_array_equal(short_v, x[:50])
    np.testing.assert_allclose(short_t, np.linspace(0, 1, 50))


def test_the_svg_draws_each_channel_escapes_names_and_maps_back_to_the_data(tmp_path):
    data = recording(0)
    path = write(tmp_path, "a", data)
    signal = read_signal(path)
    settings = MediaSettings(signal_seconds=5.0)
    text, shown, drawn = signal_svg(signal, settings)
    assert (shown, drawn) == (5.0, 3)
    root = ET.fromstring(text)  # well-formed XML, whatever the channel names hold
    assert PROBE not in text and "&lt;b&gt;ECG&lt;/b&gt; &amp; &quot;lead&quot;" in text
    labels = [el.text for el in root.iter(f"{SVG}text")]
    assert f"{PROBE} · ecg" in labels and "EDA · eda" in labels and "0.5–40 Hz" in labels
    lines = list(root.iter(f"{SVG}polyline"))
    traces = [el for el in lines if el.get("stroke-width") == "0.8"]
    assert len(traces) == 3 and len(lines) == 6  # a trace and the sample's spectrum per channel
    for row, trace in enumerate(traces):  # the drawn extremes are the excerpt's extremes, top and bottom
        points = polyline_points(trace)
        excerpt = data[row, : int(5 * RATE)]
        top, bottom = points[:, 1].min(), points[:, 1].max()
        y_of_max = points[np.argmax(envelope(excerpt, 150)[1]), 1]
        assert y_of_max == pytest.approx(top, abs=0.05)
        assert points[np.argmin(envelope(excerpt, 150)[1]), 1] == pytest.approx(bottom, abs=0.05)
    two = signal_svg(signal, MediaSettings(signal_channels=2))
    assert two[2] == 2 and len([el for el in ET.fromstring(two[0]).iter(f"{SVG}polyline")]) == 4
    control = signal_svg(read_signal(write(tmp_path, "ctl", data, channels=("ECG\x01\x1f", "EDA", "RSP"))), settings)
    ET.fromstring(control[0])  # control characters XML forbids are replaced, not copied


def test_mean_spectra_average_the_recordings_and_count_the_unreadable(tmp_path):
    paths = [write(tmp_path, f"r{i}", recording(i, heart_hz=1.0 + 0.1 * i)) for i in range(3)]
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not numpy")
    spectra = mean_spectra([*paths, broken], "reference mean")
    assert (spectra.n, spectra.failed) == (3, 1)
    grid = psd_grid("ecg")
    expected = [welch_cells(recording(i, heart_hz=1.0 + 0.1 * i)[0], RATE, grid) for i in range(3)]
    np.testing.assert_allclose(spectra.curve(PROBE, "ecg"), np.mean(expected, axis=0), rtol=1e-9, atol=1e-3)
    assert spectra.curve("another ECG name", "ecg") is spectra.by_type["ecg"]  # by type when the name differs
    assert spectra.curve("x", "eeg") is None
    assert mean_spectra([broken], "none") is None
    few = mean_spectra(paths, "two", limit=2)
    assert few.n == 2


def test_a_drawing_overlays_the_system_and_reference_spectra_with_a_legend(tmp_path):
    paths = [write(tmp_path, f"r{i}", recording(i)) for i in range(2)]
    encoder = MediaEncoder(MediaSettings(), tmp_path)
    system = mean_spectra(paths[:1], "system mean")
    reference = mean_spectra(paths, "reference mean")
    plain = encoder.signal(paths[0])
    overlaid = encoder.signal(paths[0], system=system, reference=reference)
    assert plain.note == f"first 10.0 s of 30.0 s · {PROBE} (ecg), EDA (eda), RSP (rsp)"
    assert len(list(decode_svg(plain.src).iter(f"{SVG}polyline"))) == 6
    root = decode_svg(overlaid.src)
    assert len(list(root.iter(f"{SVG}polyline"))) == 12  # + two mean spectra per channel
    assert {"sample", "system mean (1)", "reference mean (2)"} <= {el.text for el in root.iter(f"{SVG}text")}
    assert overlaid.embedded_bytes == len(overlaid.src) < 30_000
    assert encoder.signal(paths[0], system=system, reference=reference).src == overlaid.src  # deterministic
    assert encoder.signal(tmp_path / "gone.npz").note.startswith("file not found")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"x")
    assert encoder.signal(bad).src is None and "cannot read signal bad.npz" in encoder.signal(bad).note


# -- where the mean spectra come from ------------------------------------------------------------------------


def signal_samples(tmp_path):
    samples = []
    for system, heart in (("gen", 2.0), ("real", 1.1)):
        for index in range(3):
            path = write(tmp_path / system, f"{system}{index}", recording(index, heart_hz=heart))
            samples.append(
                Sample(
                    sample_id=f"{system}/{index}", system=system, modality="signal", path=path, target_emotion="calm"
                )
            )
    return samples


def test_signal_sources_take_the_reference_from_real_system_then_real_then_emotion_reference(tmp_path):
    samples = signal_samples(tmp_path)
    real_paths = tuple(s.path for s in samples if s.system == "real")
    run = {"config": {"metrics": [{"modality": "signal", "params": {"real_system": "real"}}]}}
    sources = signal_sources(samples, run)
    assert sources.reference == real_paths and sources.reference_systems == frozenset({"real"})
    assert sources.systems["gen"] == tuple(s.path for s in samples if s.system == "gen")
    folder = tmp_path / "real"
    run = {"config": {"metrics": [{"modality": "signal", "params": {"real": str(folder)}}]}}
    assert signal_sources(samples, run).reference == tuple(sorted(real_paths))
    table = tmp_path / "labelled.csv"
    table.write_text("path,emotion,modality\nreal/real0.npz,calm,signal\nx.wav,calm,speech\n")
    run = {"config": {"metrics": [{"modality": "signal", "params": {"emotion_reference": "labelled.csv"}}]}}
    found = signal_sources(samples, run, results_dir=tmp_path / "results")  # relative: beside the results folder
    assert found.reference == (tmp_path / "real" / "real0.npz",) and found.reference_name.startswith("emotion_ref")
    speech_only = {"config": {"metrics": [{"modality": "speech", "params": {"real": str(folder)}}]}}
    assert signal_sources(samples, speech_only).reference == ()
    assert signal_sources([s for s in samples if s.modality == "face"], run) is None


def test_attach_media_draws_signal_items_with_their_systems_mean(tmp_path):
    samples = signal_samples(tmp_path)
    gallery = select_gallery(results_frame([]), samples, per_cell=2)
    sources = SignalSources(
        systems={system: tuple(s.path for s in samples if s.system == system) for system in ("gen", "real")},
        reference=tuple(s.path for s in samples if s.system == "real"),
        reference_name="real",
        reference_systems=frozenset({"real"}),
    )
    encoder = MediaEncoder(MediaSettings(), tmp_path)
    one = attach_media(gallery, encoder, workers=1, signals=sources)
    four = attach_media(gallery, encoder, workers=4, signals=sources)
    assert one == four
    gen, real = one.cells[0].items[0], one.cells[1].items[0]
    assert gen.system == "gen" and real.system == "real"
    gen_text = {el.text for el in decode_svg(gen.output.src).iter(f"{SVG}text")}
    real_text = {el.text for el in decode_svg(real.output.src).iter(f"{SVG}text")}
    assert {"system mean (3)", "reference mean (3)"} <= gen_text
    assert "reference mean (3)" in real_text and "system mean (3)" not in real_text  # the reference itself
    bare = attach_media(gallery, encoder, workers=1)
    assert "system mean (3)" not in {el.text for el in decode_svg(bare.cells[0].items[0].output.src).iter(f"{SVG}text")}


# -- a whole report ------------------------------------------------------------------------------------------


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def test_a_report_with_signal_samples_embeds_the_drawings_and_escapes_channel_names(tmp_path):
    samples = signal_samples(tmp_path)
    manifest = tmp_path / "manifest.csv"
    lines = ["sample_id,system,modality,path,target_emotion"]
    lines += [f"{s.sample_id},{s.system},signal,{s.path},calm" for s in samples]
    manifest.write_text("\n".join(lines) + "\n")
    rows = [
        dict(
            system=s.system,
            scope="sample",
            statistic="value",
            sample_id=s.sample_id,
            target_emotion="calm",
            metric="signal_emotion_accuracy",
            sub_metric="correct",
            value=1.0,
            n=1,
            higher_is_better=True,
            label="calm",
        )
        for s in samples
    ]
    table = results_frame([{**row, "run_id": "r", "config_hash": "c" * 64, "emoeval_version": "0"} for row in rows])
    run = {
        "run_id": "r",
        "status": "complete",
        "inputs": {"source": str(manifest)},
        "config": {
            "metrics": [{"label": "signal_emotion_accuracy", "modality": "signal", "params": {"real_system": "real"}}]
        },
    }
    Results(table=table, run=run).write(tmp_path / "results")
    written = emoeval.report(tmp_path / "results", tmp_path / "out" / "report.html", generated_at=STAMP, per_cell=2)
    page = written.html.read_text(encoding="utf-8")
    parser = Images()
    parser.feed(page)
    drawings = [img for img in parser.images if img.get("class") == "signal"]
    assert len(drawings) == 4  # two per system (per_cell=2)
    assert all(img["src"].startswith("data:image/svg+xml;base64,") for img in drawings)
    assert written.media_files == 4 and written.media_bytes == sum(len(img["src"]) for img in drawings)
    assert PROBE not in page and "&lt;b&gt;ECG&lt;/b&gt; &amp; &#34;lead&#34; (ecg)" in page
    legend = {el.text for el in decode_svg(drawings[0]["src"]).iter(f"{SVG}text")}
    assert "reference mean (3)" in legend
    twin = json.loads(written.json.read_text())
    items = [item for cell in twin["gallery"]["cells"] for item in cell["items"]]
    assert items and all("data:" not in json.dumps(item) for item in items)
    assert all(item["output"]["mime"] == "image/svg+xml" for item in items)
    assert re.search(r'class="cards text"', page)  # signal cards get the wide layout
