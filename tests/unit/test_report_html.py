"""The whole page: escaping (an XSS probe stays text), the JSON twin, determinism, the Content-Security-Policy,
templates found in the installed package, linked media, and the `emoeval report` command."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import resources

import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main
from emoeval.results import Results, results_frame

PROBE = "<script>alert(1)</script>"
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def build_results(folder, demo_dir, *, system=PROBE):
    """A small results folder with face, speech and text samples whose names and texts carry markup."""
    manifest = folder / "manifest.csv"
    faces, speech = demo_dir / "faces", demo_dir / "speech"
    lines = ["sample_id,system,modality,path,text,target_emotion,reference,context,group"]
    rows = []
    for index, person in enumerate(("001", "002", "006", "029")):
        for name, offset in ((system, 0.1), ("plain", 0.0)):
            sample_id = f"{name}/{person}</script><!--"
            lines.append(
                f'"{sample_id}","{name}",face,{faces}/{person}_happy.jpg,,happy,{faces}/{person}_neutral.jpg,,{person}'
            )
            rows.append(
                dict(
                    system=name,
                    scope="sample",
                    statistic="value",
                    sample_id=sample_id,
                    group=person,
                    target_emotion="happy",
                    metric="face_identity_similarity",
                    sub_metric="cosine",
                    value=0.8 + offset + 0.01 * index,
                    n=1,
                    higher_is_better=True,
                    label="happy" if index else "sad",
                )
            )
    for clip in ("1_Sad", "13_Happy"):
        emotion = clip.split("_")[1].lower()
        lines.append(
            f"talker/{clip},talker,speech,{speech}/{clip}/emo-stargan.wav,,{emotion},{speech}/{clip}/baseline.wav,,{clip}"
        )
        rows.append(
            dict(
                system="talker",
                scope="sample",
                statistic="value",
                sample_id=f"talker/{clip}",
                group=clip,
                target_emotion=emotion,
                metric="speaker_similarity",
                sub_metric="cosine",
                value=0.7,
                n=1,
                higher_is_better=True,
            )
        )
    lines.append('bot/1,bot,text,,"<img src=x onerror=alert(2)> Sorry!",sad,,"[""My <b>dog</b> died""]",d1')
    manifest.write_text("\n".join(lines) + "\n")
    for name, value in ((system, 0.92), ("plain", 0.82)):
        rows.append(
            dict(
                system=name,
                scope="system",
                statistic="mean",
                metric="face_identity_similarity",
                sub_metric="cosine",
                value=value,
                ci_low=value - 0.02,
                ci_high=value + 0.02,
                n=4,
                higher_is_better=True,
            )
        )
    rows.append(
        dict(
            system="bot",
            scope="system",
            statistic="corpus",
            metric="text_distinct_n",
            sub_metric="distinct_1",
            value=0.5,
            ci_low=0.4,
            ci_high=0.6,
            n=1,
            higher_is_better=True,
            warning=f"few texts {PROBE}",
        )
    )
    table = results_frame(
        [{**row, "run_id": "run-1", "config_hash": "c" * 64, "emoeval_version": "0.1.0"} for row in rows]
    )
    run = {
        "run_id": "run-1",
        "status": "complete",
        "config_hash": "c" * 64,
        "emoeval_version": "0.1.0",
        "inputs": {"source": str(manifest), "n_samples": len(lines) - 1},
    }
    Results(table=table, run=run).write(folder / "results")
    return folder / "results"


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self._current, self.images, self.audios = [], None, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._current = [dict(attrs), ""]
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "audio":
            self.audios.append(dict(attrs))

    def handle_data(self, data):
        if self._current is not None:
            self._current[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.scripts.append(tuple(self._current))
            self._current = None


@pytest.fixture
def rendered(tmp_path, demo_dir):
    results = build_results(tmp_path, demo_dir)
    written = emoeval.report(results, tmp_path / "out" / "report.html", generated_at=STAMP, per_cell=2)
    return written, written.html.read_text(encoding="utf-8")


def test_user_strings_are_escaped_and_only_our_script_runs(rendered):
    _, page = rendered
    assert PROBE not in page and "<img src=x" not in page and "<b>dog</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt; Sorry!" in page
    parser = Scripts()
    parser.feed(page)
    assert [attrs.get("type") for attrs, _ in parser.scripts] == ["application/json", None]
    twin = json.loads(parser.scripts[0][1])  # the embedded twin parses and keeps the strings intact
    assert PROBE in {row["system"] for board in twin["leaderboards"] for row in board["rows"]}
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    digest = base64.b64encode(hashlib.sha256(parser.scripts[1][1].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "connect-src" not in csp  # falls back to default-src 'none': no request of any kind
    assert {m for m in re.findall(r"https?://[^\s\"'<>]+", page)} <= {"http://www.w3.org/2000/svg"}


def test_media_are_embedded_and_the_size_is_reported(rendered):
    written, page = rendered
    parser = Scripts()
    parser.feed(page)
    assert parser.images and all(img["src"].startswith("data:image/jpeg;base64,") for img in parser.images)
    assert len(parser.audios) == 4 and all(a["src"].startswith("data:audio/mpeg;base64,") for a in parser.audios)
    assert written.media_files == len(parser.images) + len(parser.audios)
    assert written.media_bytes == sum(len(tag["src"]) for tag in parser.images + parser.audios)
    assert "@@EMOEVAL_REPORT_SIZE@@" not in page
    size = re.search(r"this file: ([\d.]+) kB", page).group(1)
    assert float(size) == pytest.approx(written.html_bytes / 1000, abs=0.1)


def test_the_json_twin_holds_the_numbers_shown(rendered, tmp_path):
    written, page = rendered
    twin = json.loads(written.json.read_text())
    assert twin["schema"] == "emoeval-report/1" and twin["file"]["html_bytes"] == written.html_bytes
    (face,) = [board for board in twin["leaderboards"] if board["modality"] == "face"]
    cells = {row["system"]: row["cells"][0] for row in face["rows"]}
    assert cells[PROBE]["value"] == pytest.approx(0.92) and cells[PROBE]["ci_low"] == pytest.approx(0.90)
    assert cells[PROBE]["best"] is False  # higher on all 4 pairs, but the smallest exact p is 2/16 > 0.05
    (column,) = face["columns"]
    assert column["significance"]["pairs"][0]["p_value"] == pytest.approx(2 / 16)
    embedded = json.loads(embedded_twin(page))
    assert embedded == {key: value for key, value in twin.items() if key != "file"}
    items = [item for cell in twin["gallery"]["cells"] for item in cell["items"]]
    assert all("data:" not in json.dumps(item) for item in items)  # media bytes stay out of the twin


def embedded_twin(page):
    parser = Scripts()
    parser.feed(page)
    return parser.scripts[0][1]


def test_same_inputs_same_bytes(tmp_path, demo_dir):
    results = build_results(tmp_path, demo_dir)
    first = emoeval.report(results, tmp_path / "a" / "report.html", generated_at=STAMP)
    second = emoeval.report(results, tmp_path / "b" / "report.html", generated_at=STAMP)
    assert first.html.read_bytes() == second.html.read_bytes()
    assert first.json.read_bytes() == second.json.read_bytes()
    later = emoeval.report(results, tmp_path / "c" / "report.html", generated_at=datetime(2027, 1, 1, tzinfo=UTC))
    differing = [
        line
        for line, other in zip(first.html.read_text().splitlines(), later.html.read_text().splitlines(), strict=True)
        if line != other
    ]
    assert differing and all("2026-01-02T03:04:05" in line for line in differing)


def test_linked_media_point_to_the_files(tmp_path, demo_dir):
    results = build_results(tmp_path, demo_dir, system="sys")
    written = emoeval.report(results, tmp_path / "report.html", link_media=True, generated_at=STAMP)
    parser = Scripts()
    parser.feed(written.html.read_text())
    sources = [img["src"] for img in parser.images] + [a["src"] for a in parser.audios]
    assert sources and not any(src.startswith("data:") for src in sources)
    for src in sources:
        assert (tmp_path / src).resolve().is_file()
    assert written.media_files == 0
    assert "img-src data: file: 'self'" in html.unescape(written.html.read_text())


def test_templates_ship_inside_the_installed_package():
    templates = resources.files("emoeval.reports") / "templates"
    for name in ("report.html.j2", "macros.html.j2", "report.css", "report.js"):
        assert (templates / name).is_file(), name
    from emoeval.reports.html import environment

    assert environment().get_template("report.html.j2").filename.endswith("report.html.j2")


def test_report_command(tmp_path, demo_dir):
    results = build_results(tmp_path, demo_dir, system="sys")
    out = tmp_path / "r" / "page.html"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out), "--gallery", "1", "--worst", "1"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "r" / "page.json").is_file()
    assert result.output.startswith(f"report: {out} (") and "media" in result.output
    assert "worst #1" in out.read_text()
    bad = CliRunner().invoke(main, ["report", str(results), "-o", str(out), "--worst", "1", "--worst-by", "nope"])
    assert bad.exit_code == 1 and bad.stderr.startswith("emoeval: error: --worst-by 'nope'")
    assert bad.stderr.strip().count("\n") == 0


def test_docstring_examples_of_the_report_modules():
    import doctest
    import importlib
    import pkgutil

    import emoeval.reports

    tried = 0
    for info in pkgutil.walk_packages(emoeval.reports.__path__, prefix="emoeval.reports."):
        result = doctest.testmod(importlib.import_module(info.name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, info.name
        tried += result.attempted
    assert tried >= 15


def test_import_emoeval_report_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, emoeval; emoeval.report; "
        "print(sorted(m for m in ('torch', 'pandas', 'scipy', 'matplotlib', 'jinja2') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
