"""The report of an augmentation study: a small study run on stand-in features (the protocol of
:mod:`emoeval.functional.augmentation` through the study's row builders), and its report section checked against
the results table it reads — gain-curve points, per-class gains, protocol, efficiency, fidelity and
cross-domain numbers equal the rows, the histograms equal numpy's of the rows' distances, the gallery lists
exactly the flagged samples — plus the page: no scoring sections, self-contained, in a headless browser without
errors."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main
from emoeval.errors import SampleInputError
from emoeval.metrics.augmentation.study import AugmentationSettings, run_study
from emoeval.reports.augmentation import augmentation_section, histogram_edges, is_augmentation
from emoeval.results import Results, load_results, results_frame
from emoeval.samples import load_samples

EMOTIONS = ("happy", "sad")
REAL_GROUPS = [f"p{index}" for index in range(8)]
SETTINGS = {
    "n_splits": 4,
    "real_fractions": (0.5, 1.0),
    "ratios": (0.5, 1.0, 2.0),
    "n_bootstrap": 40,
    "memorisation_quantile": 0.1,
}


class StubContext:
    """A scoring context whose only "model" returns a fixed vector per input (a file path or a text), as a
    reference model's cached outputs would; an input it does not know is a :class:`SampleInputError`."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def outputs(self, model_name, items):
        return [
            self.vectors[str(item)] if str(item) in self.vectors else SampleInputError(f"{item}: no face found")
            for item in items
        ]


def _image(path: Path, rng: np.random.Generator) -> None:
    from PIL import Image

    base = rng.uniform(0, 255, size=(6, 6, 3))
    pixels = np.kron(base, np.ones((8, 8, 1)))  # smooth blocks: a stable perceptual hash
    Image.fromarray(pixels.astype(np.uint8)).save(path)


def build_study(folder: Path, modality: str = "face") -> tuple[Results, dict]:
    """Run a study on stand-in features; returns the results (also written to ``folder/out``) and what was built:
    ``copies`` (synthetic id → the real id it copies byte for byte), ``near`` (ids given features within 1e-4 of
    a real sample's), ``perceptual`` (images re-saved with one pixel changed)."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    vectors: dict[str, np.ndarray] = {}
    centre = {"happy": np.array([2.0, 0, 0, 0]), "sad": np.array([-2.0, 0, 0, 0])}

    def feature(emotion: str) -> np.ndarray:
        return centre[emotion] + rng.normal(0, 0.8, size=4)

    def manifest(name: str, rows: list[dict]) -> Path:
        path = folder / f"{name}.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        return path

    def item(set_name: str, sample_id: str, emotion: str, group: str, vector: np.ndarray | None, source=None):
        if modality == "face":
            (folder / set_name).mkdir(exist_ok=True)
            path = folder / set_name / f"{sample_id}.png"
            if source is None:
                _image(path, rng)
            else:
                shutil.copyfile(source, path)
            key = str(path)
            row = {"sample_id": sample_id, "system": set_name, "modality": "face", "path": str(path)}
        else:
            text = source if source is not None else f"{set_name} says {emotion} {rng.integers(10**9)}"
            key = text
            row = {"sample_id": sample_id, "system": set_name, "modality": "text", "text": text}
        if vector is not None:
            vectors[key] = vector
        row.update(target_emotion=emotion, group=group)
        return row, key

    real_rows, real_keys, real_vectors = [], {}, {}
    for group in REAL_GROUPS:
        for emotion in EMOTIONS:
            sample_id = f"{group}_{emotion}"
            vector = feature(emotion)
            row, key = item("real", sample_id, emotion, group, vector)
            real_rows.append(row)
            real_keys[sample_id], real_vectors[sample_id] = key, vector
    copier_rows, copies, near, perceptual = [], {}, [], []
    for index, group in enumerate(REAL_GROUPS):
        for emotion in EMOTIONS:
            real_id = f"{group}_{emotion}"
            sample_id = f"c{index}_{emotion}"
            if index < 2 and emotion == "happy":  # byte-for-byte copies (features identical too)
                row, _ = item("copier", sample_id, emotion, group, real_vectors[real_id], source=real_keys[real_id])
                copies[sample_id] = real_id
            elif index < 5 and emotion == "sad":  # near-copies in feature space
                row, _ = item("copier", sample_id, emotion, group, real_vectors[real_id] + rng.normal(0, 1e-4, 4))
                near.append(sample_id)
            else:
                row, _ = item("copier", sample_id, emotion, group, feature(emotion))
            copier_rows.append(row)
    if modality == "face":  # one image re-saved with a pixel changed: a perceptual duplicate, features far away
        from PIL import Image

        real_id = f"{REAL_GROUPS[6]}_happy"
        target = Path(copier_rows[12]["path"])
        with Image.open(real_keys[real_id]) as image:
            pixels = np.asarray(image).copy()
        pixels[0, 0, 0] = pixels[0, 0, 0] ^ 1
        Image.fromarray(pixels).save(target)
        vectors[str(target)] = feature(copier_rows[12]["target_emotion"]) + np.array([0, 6.0, 0, 0])
        perceptual.append(copier_rows[12]["sample_id"])
    fresh_rows = [item("fresh", f"f{i}_{e}", e, REAL_GROUPS[i], feature(e))[0] for i in range(8) for e in EMOTIONS]
    unreadable, _ = item("fresh", "f_broken", "happy", REAL_GROUPS[0], None)  # no vector: a feature error row
    fresh_rows.append(unreadable)
    other_rows = [item("other", f"o{i}_{e}", e, f"q{i}", feature(e) + 0.5)[0] for i in range(6) for e in EMOTIONS]

    sources = {
        "real": manifest("real", real_rows),
        "copier": manifest("copier", copier_rows),
        "fresh": manifest("fresh", fresh_rows),
        "other": manifest("other", other_rows),
    }
    samples = {name: load_samples(path) for name, path in sources.items()}
    settings = AugmentationSettings(features=("stub-features",), **SETTINGS)
    study = run_study(
        StubContext(vectors),
        samples["real"],
        {"copier": samples["copier"], "fresh": samples["fresh"]},
        settings,
        cross_domain={"other": samples["other"]},
        provenance=("stub-features@1", "0" * 64),
    )
    for row in study.rows:
        row.update(run_id="study-test", emoeval_version=emoeval.__version__, config_hash="c" * 64)
    run = {
        "run_id": "study-test",
        "kind": "augmentation",
        "status": "complete",
        "config": {"augmentation": settings.as_dict()},
        "inputs": {
            "source": {
                "real": str(sources["real"]),
                "synthetic": {"copier": str(sources["copier"]), "fresh": str(sources["fresh"])},
                "cross_domain": {"other": str(sources["other"])},
            },
            "modality": modality,
            "sets": {
                name: {
                    "role": "real" if name == "real" else "cross_domain" if name == "other" else "synthetic",
                    "n_samples": len(labelled.ids) + len(labelled.errors),
                    "n_used": len(labelled.ids),
                    "emotions": {e: int((labelled.labels == e).sum()) for e in sorted(set(labelled.labels))},
                }
                for name, labelled in study.sets.items()
            },
            "media": {
                name: {i: str(s.parts["output"].value) for i, s in labelled.samples.items() if modality == "face"}
                for name, labelled in study.sets.items()
            },
        },
        "notes": study.notes,
    }
    Results(table=results_frame(study.rows), run=run).write(folder / "out")
    return load_results(folder / "out"), {"copies": copies, "near": near, "perceptual": perceptual}


@pytest.fixture(scope="module")
def face_study(tmp_path_factory):
    return build_study(tmp_path_factory.mktemp("face-study"), "face")


def _rows(table: pd.DataFrame, base: str, **where) -> pd.DataFrame:
    """Rows of metric ``base`` whose params hold ``where`` (the reference lookup the tests compare with)."""
    rows = table[table["metric"].astype(str).str.split("(").str[0] == base]
    params = [json.loads(text) for text in rows["params"]]
    keep = [all(p.get(key) == value for key, value in where.items()) for p in params]
    return rows[np.array(keep, dtype=bool)]


def _one(rows: pd.DataFrame, sub_metric: str, **columns) -> pd.Series:
    mask = rows["sub_metric"] == sub_metric
    for column, value in columns.items():
        mask &= rows[column].isna() if value is None else rows[column] == value
    found = rows[mask.fillna(False).to_numpy()]
    assert len(found) == 1, (sub_metric, columns, len(found))
    return found.iloc[0]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)


def test_gain_curve_points_equal_the_rows(face_study):
    results, _ = face_study
    section = augmentation_section(results)
    table = results.table
    assert [(p.system, p.learner) for p in section.gains] == [("copier", "logistic"), ("fresh", "logistic")]
    for panel in section.gains:
        assert [curve.ratio for curve in panel.curves] == list(SETTINGS["ratios"])
        for curve in panel.curves:
            assert [p.real_fraction for p in curve.points] == list(SETTINGS["real_fractions"])
            for point in curve.points:
                cell = _rows(table, "augmentation_gain", real_fraction=point.real_fraction, ratio=curve.ratio)
                cell = cell[(cell["system"] == panel.system).to_numpy()]
                gain = _one(cell, "balanced_accuracy_gain", target_emotion=None)
                assert _same(point.gain.value, gain["value"])
                assert _same(point.gain.low, gain["ci_low"]) and _same(point.gain.high, gain["ci_high"])
                assert point.gain.low <= point.gain.value <= point.gain.high
                p_value = _one(cell, "balanced_accuracy_gain_p_value", target_emotion=None)["value"]
                assert _same(point.p_value, p_value)
                assert _same(point.baseline, _one(cell, "balanced_accuracy_baseline", target_emotion=None)["value"])
                assert _same(point.augmented, _one(cell, "balanced_accuracy_augmented", target_emotion=None)["value"])
                assert _same(point.augmented - point.baseline, point.gain.value)  # paired: same splits


def test_per_class_gains_are_taken_at_the_largest_fraction_and_the_ratio_nearest_one(face_study):
    results, _ = face_study
    section = augmentation_section(results)
    assert [(g.system, g.real_fraction, g.ratio) for g in section.class_gains] == [
        ("copier", 1.0, 1.0),
        ("fresh", 1.0, 1.0),
    ]
    for gains in section.class_gains:
        cell = _rows(results.table, "augmentation_gain", real_fraction=1.0, ratio=1.0)
        cell = cell[(cell["system"] == gains.system).to_numpy()]
        assert [item.emotion for item in gains.items] == sorted(EMOTIONS)
        for item in gains.items:
            row = _one(cell, "recall_gain", target_emotion=item.emotion)
            assert _same(item.gain.value, row["value"]) and _same(item.gain.low, row["ci_low"])
            assert _same(item.p_value, _one(cell, "recall_gain_p_value", target_emotion=item.emotion)["value"])


def test_protocol_efficiency_fidelity_and_cross_domain_equal_the_rows(face_study):
    results, _ = face_study
    section = augmentation_section(results)
    table = results.table
    protocol = _rows(table, "augmentation_protocol")
    assert [(row.protocol, row.system) for row in section.protocol] == [
        ("TRTR", "real"),
        ("TSTR", "copier"),
        ("TRTS", "copier"),
        ("TSTR", "fresh"),
        ("TRTS", "fresh"),
    ]
    for row in section.protocol:
        mine = protocol[((protocol["system"] == row.system) & (protocol["label"] == row.protocol)).to_numpy()]
        for score, estimate in row.scores:
            reference = _one(mine, score, target_emotion=None)
            assert _same(estimate.value, reference["value"]) and _same(estimate.high, reference["ci_high"])
    for efficiency in section.efficiency:
        assert efficiency.fractions == SETTINGS["real_fractions"] and efficiency.ratios == SETTINGS["ratios"]
        for line in efficiency.cells:
            for cell in line:
                rows = _rows(table, "augmentation_label_efficiency", real_fraction=cell.real_fraction, ratio=cell.ratio)
                rows = rows[(rows["system"] == efficiency.system).to_numpy()]
                assert _same(cell.worth, _one(rows, "balanced_accuracy_worth")["value"])
                assert _same(cell.equivalent_fraction, _one(rows, "balanced_accuracy_equivalent_fraction")["value"])
    assert [q.system for q in section.quality] == ["copier", "fresh"]
    for quality in section.quality:
        titles = [column.title for column in quality.columns]
        assert titles[:3] == ["count", "share", "label noise"] and "coverage" in titles
        for row in quality.rows:
            for column, cell in zip(quality.columns, row.cells, strict=True):
                rows = _rows(table, column.metric)
                reference = _one(
                    rows[(rows["system"] == quality.system).to_numpy()], column.sub_metric, target_emotion=row.emotion
                )
                assert _same(cell.value, reference["value"]) and _same(cell.low, reference["ci_low"])
    assert {(row.system, row.target, row.score) for row in section.cross_domain} == {
        (system, "other", score)
        for system in ("copier", "fresh")
        for score in ("accuracy", "balanced_accuracy", "macro_f1")
    }
    cross = _rows(table, "augmentation_cross_domain")
    for row in section.cross_domain:
        mine = cross[(cross["system"] == row.system).to_numpy()]
        for quantity, estimate in row.values:
            assert _same(estimate.value, _one(mine, f"{row.score}_{quantity}", target_emotion=None)["value"])
        assert _same(row.p_value, _one(mine, f"{row.score}_gain_p_value", target_emotion=None)["value"])
    assert [s.name for s in section.sets] == ["real", "copier", "fresh", "other"]
    assert [s.n_samples - s.n_used for s in section.sets] == [0, 0, 1, 0]  # f_broken has no features


def test_histograms_are_numpys_of_the_rows_distances(face_study):
    results, _ = face_study
    section = augmentation_section(results)
    table = results.table
    memo = _rows(table, "augmentation_memorisation")
    real = memo[(memo["sub_metric"] == "held_out_distance").to_numpy()]["value"].to_numpy(float)
    assert [h.system for h in section.histograms] == ["copier", "fresh"]
    for histogram in section.histograms:
        synthetic = memo[((memo["system"] == histogram.system) & (memo["sub_metric"] == "dcr")).to_numpy()]
        values = synthetic["value"].to_numpy(float)
        edges = np.asarray(histogram.edges)
        if histogram.log_scale:
            assert np.allclose(np.diff(np.log10(edges)), np.diff(np.log10(edges))[0])
            counts = np.histogram(values[values > 0], bins=edges)[0]
            assert histogram.synthetic_zeros == int((values <= 0).sum())
        else:
            counts = np.histogram(values, bins=edges)[0]
        assert histogram.synthetic == tuple(counts)
        assert sum(histogram.synthetic) + histogram.synthetic_zeros == len(values) == histogram.n_synthetic
        assert sum(histogram.real) + histogram.real_zeros == len(real) == histogram.n_real
        threshold = _one(memo[(memo["system"] == histogram.system).to_numpy()], "dcr_threshold")["value"]
        assert _same(histogram.threshold, threshold)
        assert histogram.n_below_threshold == int((values < threshold).sum())
    copier = section.histograms[0]
    assert copier.log_scale and copier.synthetic_zeros == 2  # the two byte copies have identical features


def test_histogram_edges_span_the_values():
    log_scale, edges = histogram_edges([0.0, 1e-3, 0.05, 0.3], bins=4)
    assert log_scale and edges[0] == 1e-3 and edges[-1] == 0.3
    assert np.allclose(edges, np.logspace(-3, math.log10(0.3), 5))
    assert histogram_edges([0.2, 0.3, 0.25], bins=2) == (False, (0.2, 0.25, 0.3))


def test_flagged_gallery_lists_exactly_the_flagged_samples(face_study, tmp_path):
    results, built = face_study
    section = augmentation_section(results)
    table = results.table
    dcr = table[(table["sub_metric"] == "dcr").to_numpy()]
    for flagged in section.flagged:
        expected = set(dcr[(dcr["system"] == flagged.system).to_numpy() & dcr["label"].notna().to_numpy()]["sample_id"])
        assert {item.sample_id for item in flagged.items} == expected
        assert len(flagged.items) == len(expected)
    copier = {item.sample_id: item for item in section.flagged[0].items}
    for sample_id, real_id in built["copies"].items():
        assert copier[sample_id].kind == "exact-copy" and copier[sample_id].nearest_id == real_id
    for sample_id in built["near"]:
        assert copier[sample_id].kind == "near-copy"
        assert copier[sample_id].nearest_id == f"p{sample_id[1]}_sad"  # the real sample it was built from
    for sample_id in built["perceptual"]:
        assert copier[sample_id].kind == "perceptual-duplicate" and copier[sample_id].nearest_id == "p6_happy"
    kinds = [item.kind for item in section.flagged[0].items]
    assert kinds == sorted(kinds, key=["exact-copy", "perceptual-duplicate", "near-copy"].index)
    for item in section.flagged[0].items:
        assert item.path == results.run["inputs"]["media"]["copier"][item.sample_id]
        assert item.nearest_path == results.run["inputs"]["media"]["real"][item.nearest_id]


class Attributes(HTMLParser):
    """Every src/href of the page and the data-sample of each flagged-sample card."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.cards: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.links += [value for key, value in attrs if key in ("src", "href") and value is not None]
        if tag == "article" and "pair" in (found.get("class") or ""):
            self.cards.append(found["data-sample"])
        if tag == "section":
            self.sections.append(found.get("id") or "")


def test_report_shows_the_study_and_no_scoring_sections(face_study, tmp_path):
    results, _ = face_study
    folder = Path(results.run["inputs"]["source"]["real"]).parent / "out"
    out = tmp_path / "study.html"
    outcome = CliRunner().invoke(main, ["report", str(folder), "-o", str(out)])
    assert outcome.exit_code == 0, outcome.output
    page = out.read_text(encoding="utf-8")
    parsed = Attributes()
    parsed.feed(page)
    assert parsed.sections == ["overview", "study", "gains", "fidelity", "cross-domain", "memorisation", "provenance"]
    assert "leaderboard" not in parsed.sections and 'id="gallery"' not in page
    # self-contained: media are data URIs, links are in-page anchors; no http(s) asset
    assert parsed.links and all(link.startswith(("data:", "#")) for link in parsed.links)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", page)
    section = augmentation_section(results)
    flagged = [item.sample_id for group in section.flagged for item in group.items]
    assert section.flagged[0].items and all(group.shown == len(group.items) for group in section.flagged)
    assert parsed.cards == flagged  # each flagged sample, as a card (fewer than the cards shown per set)
    assert page.count('<img class="output" src="data:image/jpeg;base64,') == 2 * len(flagged)
    assert "p0_happy" in page and "no face found" in page  # the nearest real sample; the feature error notice
    twin = json.loads((tmp_path / "study.json").read_text())
    assert twin["augmentation"]["real_name"] == "real" and twin["leaderboards"] == []
    assert [item["sample_id"] for group in twin["augmentation"]["flagged"] for item in group["items"]] == flagged
    assert "base64" not in json.dumps(twin["augmentation"])


def test_report_without_media_still_lists_the_flagged(face_study, tmp_path):
    results, _ = face_study
    written = emoeval.report(results, tmp_path / "plain.html", per_cell=0)
    page = written.html.read_text(encoding="utf-8")
    assert written.media_files == 0 and "<img" not in page and 'class="sample pair"' not in page
    for group in augmentation_section(results).flagged:
        for item in group.items:
            assert f'<tr data-sample="{item.sample_id}">' in page


def test_text_study_shows_the_texts_beside_the_nearest_real(tmp_path):
    results, built = build_study(tmp_path / "text", "text")
    section = augmentation_section(results, results_dir=tmp_path / "text" / "out")
    assert section.media_note == ""
    copier = {item.sample_id: item for item in section.flagged[0].items}
    real_texts = {s.sample_id: s.text for s in load_samples(tmp_path / "text" / "real.csv")}
    synthetic_texts = {s.sample_id: s.text for s in load_samples(tmp_path / "text" / "copier.csv")}
    for sample_id, real_id in built["copies"].items():
        item = copier[sample_id]
        assert item.kind == "exact-copy" and item.text == synthetic_texts[sample_id] == real_texts[real_id]
        assert item.nearest_text == real_texts[real_id]
    page = emoeval.report(results, tmp_path / "text.html").html.read_text(encoding="utf-8")
    shown = sum(len(group.items) for group in section.flagged)
    assert page.count('class="turn response"') == shown and "<img" not in page


def test_scoring_runs_keep_their_report():
    assert not is_augmentation({"run_id": "x", "inputs": {"source": "m.csv"}}) and not is_augmentation({})
    assert is_augmentation({"kind": "augmentation"})


def test_study_report_renders_in_a_browser_without_errors(face_study, tmp_path):
    executable = os.environ.get("EMOEVAL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); the browser check needs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    results, _ = face_study
    path = emoeval.report(results, tmp_path / "browser.html").html
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, requests = [], []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(200)
        assert errors == []
        assert [url for url in requests if not url.startswith(("data:", "file:"))] == []
        assert page.locator("#gains svg.plot path.band").count() >= 2 * len(SETTINGS["ratios"])
        assert page.evaluate("Array.from(document.images).every(image => image.complete && image.naturalWidth > 0)")
        page.locator("#study-protocol thead th").nth(3).click()  # balanced accuracy, best first
        values = page.evaluate(
            "Array.from(document.querySelectorAll('#study-protocol tbody tr'))"
            ".map(row => Number(row.cells[3].getAttribute('data-value')))"
        )
        assert values == sorted(values, reverse=True)
        browser.close()
