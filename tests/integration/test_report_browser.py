"""The HTML report in a real browser: Debian's headless Chromium, driven by Playwright (never a downloaded browser).

The demo's report (written by `emoeval demo`) must load with no console error and no network request, sort its
leaderboard when a header is clicked, filter it, play its audio, keep an XSS probe as text, and give a full-page
screenshot (written to pytest's temporary folder; its path is printed with ``-s``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    path = os.environ.get("EMOEVAL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); the browser tests need it")
    return path


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_report(request) -> Path:
    chromium_path()  # skip before running the demo when there is no browser
    demo_run = request.getfixturevalue("demo_run")  # the session's `emoeval demo` run (conftest.py)
    assert demo_run.exit_code == 0, demo_run.output
    assert "report: " in demo_run.output and "report.html" in demo_run.output
    return demo_run.out / "report.html"


class Page:
    """A page with everything it logged, requested and popped up recorded."""

    def __init__(self, browser, path: Path, width: int = 1280):
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.console: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))

        def dismiss(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", dismiss)
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def errors(self) -> list[str]:
        return [line for line in self.console if line.startswith(("error", "pageerror"))]

    def network(self) -> list[str]:
        return [url for url in self.requests if url != self.url and not url.startswith("data:")]


def column_values(page, table_id: str, index: int) -> list[float | None]:
    return page.evaluate(
        """([id, index]) => Array.from(document.getElementById(id).tBodies[0].rows)
            .filter(row => !row.classList.contains('hidden'))
            .map(row => row.cells[index].getAttribute('data-value'))
            .map(v => (v === '' ? null : Number(v)))""",
        [table_id, index],
    )


def test_demo_report_loads_offline_without_errors(browser, demo_report, tmp_path):
    view = Page(browser, demo_report)
    page = view.page
    page.wait_for_timeout(300)
    assert view.errors() == []
    assert view.network() == [] and view.failed == []
    assert page.title() == "emoeval demo"
    assert page.locator("table.leaderboard").count() == 3  # face, speech, text
    shot = tmp_path / "demo-report.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size[0] == 1280 and image.size[1] > 3000
    print(f"\nfull-page screenshot: {shot} ({image.size[0]}×{image.size[1]})")
    page.close()


def test_leaderboard_sorts_and_filters(browser, demo_report):
    view = Page(browser, demo_report)
    page = view.page
    table_id = page.evaluate(
        "Array.from(document.querySelectorAll('table.leaderboard')).find(t => t.tBodies[0].rows.length > 1).id"
    )
    header = page.locator(f"#{table_id} thead th[data-index='1']")
    first = header.get_attribute("data-first")
    header.click()
    values = [v for v in column_values(page, table_id, 1) if v is not None]
    assert values == sorted(values, reverse=first == "descending")
    assert header.get_attribute("aria-sort") == first
    header.click()
    flipped = [v for v in column_values(page, table_id, 1) if v is not None]
    assert flipped == sorted(values, reverse=first != "descending") and flipped != values
    page.locator(f"#{table_id} thead th[data-index='0']").click()
    names = page.evaluate(
        f"Array.from(document.getElementById('{table_id}').tBodies[0].rows).map(r => r.dataset.system)"
    )
    assert names == sorted(names)
    page.fill(f"input[data-filter-rows='{table_id}']", names[0][:6])
    page.wait_for_timeout(50)
    visible = page.evaluate(
        f"Array.from(document.getElementById('{table_id}').tBodies[0].rows)"
        ".filter(r => !r.classList.contains('hidden')).map(r => r.dataset.system)"
    )
    assert names[0] in visible and len(visible) < len(names)
    assert view.errors() == []
    page.close()


def test_audio_elements_have_playable_sources(browser, demo_report):
    view = Page(browser, demo_report)
    page = view.page
    audios = page.locator("audio")
    assert audios.count() >= 10  # 10 demo recordings: outputs and references
    page.wait_for_function(
        "Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 1 || a.error)", timeout=15000
    )
    states = page.evaluate(
        """Array.from(document.querySelectorAll('audio')).map(a => ({
            src: a.currentSrc.slice(0, 23), ready: a.readyState, error: a.error && a.error.code,
            duration: a.duration, can: a.canPlayType('audio/mpeg')}))"""
    )
    for state in states:
        assert state["src"] == "data:audio/mpeg;base64,"
        assert state["error"] is None and state["ready"] >= 1
        assert 0.5 < state["duration"] < 7.0 and state["can"] in ("probably", "maybe")
    played = page.evaluate(
        """async () => { const a = document.querySelector('audio'); a.muted = true;
            try { await a.play(); } catch (e) { return 'blocked: ' + e.name; }
            await new Promise(r => setTimeout(r, 400)); a.pause(); return a.currentTime; }"""
    )
    assert isinstance(played, float) and played > 0, played
    assert view.errors() == [] and view.network() == []
    page.close()


PROBE = "<script>alert(1)</script>"


def probe_results(folder: Path, demo_dir: Path) -> Path:
    """A results folder whose system name, sample ids and texts carry markup."""
    from emoeval.results import Results, results_frame

    manifest = folder / "manifest.csv"
    face = demo_dir / "faces" / "001_happy.jpg"
    manifest.write_text(
        "sample_id,system,modality,path,text,target_emotion,context\n"
        f'"{PROBE}/1","{PROBE}",face,{face},,happy,\n'
        'bot/1,bot,text,,"<img src=x onerror=alert(2)>",sad,"[""</script><!--""]"\n'
    )
    rows = [
        dict(
            system=PROBE,
            scope="sample",
            statistic="value",
            sample_id=f"{PROBE}/1",
            target_emotion="happy",
            metric="m",
            sub_metric="s",
            value=0.5,
            n=1,
            higher_is_better=True,
            label="<b>sad</b>",
        ),
        dict(
            system=PROBE,
            scope="system",
            statistic="mean",
            metric="m",
            sub_metric="s",
            value=0.5,
            n=1,
            higher_is_better=True,
            warning="<i>warned</i>",
        ),
        dict(
            system="bot",
            scope="system",
            statistic="corpus",
            metric="t",
            sub_metric="d",
            value=0.2,
            ci_low=0.1,
            ci_high=0.3,
            n=1,
            higher_is_better=True,
        ),
    ]
    run = {"run_id": "<run>", "status": "complete", "inputs": {"source": str(manifest)}}
    return Results(table=results_frame(rows), run=run).write(folder / "results")


def test_xss_probe_stays_text(browser, tmp_path, demo_dir):
    import emoeval

    written = emoeval.report(probe_results(tmp_path, demo_dir), tmp_path / "probe.html")
    view = Page(browser, written.html)
    page = view.page
    page.wait_for_timeout(300)
    assert view.dialogs == []  # no alert() ran
    assert view.errors() == [] and view.network() == []
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('table.leaderboard tbody tr')).map(r => r.dataset.system)"
    )
    assert PROBE in shown
    cell_text = page.locator("table.leaderboard tbody tr td .sysname").all_inner_texts()
    assert PROBE in [text.strip() for text in cell_text]
    assert page.evaluate("document.querySelectorAll('script').length") == 2  # the JSON twin and our script
    assert page.locator("img[src='x']").count() == 0
    page.close()
