"""Render a results folder as one self-contained HTML page (and its JSON twin).

:func:`report` is the public entry point (``emoeval.report``; ``emoeval report`` on the command line). The
page is built from Jinja2 templates in ``templates/`` with autoescaping on, so every name, id, text and path
from the results is escaped; plots are inline SVG (:mod:`emoeval.reports.plots`); the stylesheet and the small
script (sorting, filtering) are inlined, media are embedded as ``data:`` URIs or linked relatively. A
Content-Security-Policy in the page allows no network request at all and runs no script but its own (pinned by
its sha256), so a string that slipped through could not run. The same inputs give the same bytes, apart from
the generation timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.reports import augmentation, figures, plots
from emoeval.reports.assemble import ReportData, ReportOptions, build_report_data
from emoeval.reports.formatting import (
    arrow,
    direction_text,
    format_bytes,
    format_interval,
    format_p,
    format_signed,
    format_value,
    short_hash,
)
from emoeval.reports.significance import pairwise_matrix
from emoeval.reports.twin import SCHEMA, dumps, jsonable, script_json

if TYPE_CHECKING:
    import jinja2

    from emoeval.results import Results

TEMPLATE = "report.html.j2"
SIZE_TOKEN = "@@EMOEVAL_REPORT_SIZE@@"


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`report` wrote: the page, its JSON twin, their sizes and the time it took."""

    html: Path
    json: Path
    html_bytes: int
    media_bytes: int
    media_files: int
    seconds: float

    def summary(self) -> str:
        media = (
            f", media {format_bytes(self.media_bytes)} in {self.media_files} embedded image(s)/recording(s)"
            if self.media_files
            else ""
        )
        return (
            f"report: {self.html} ({format_bytes(self.html_bytes)}{media}); numbers: {self.json}; {self.seconds:.1f} s"
        )


def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescape on, undefined names are errors)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("emoeval.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fmt=format_value,
        ci=format_interval,
        pvalue=format_p,
        signed=format_signed,
        arrow=arrow,
        direction=direction_text,
        short_hash=short_hash,
        size=format_bytes,
        heat=plots.heat_color,
        heat_text=plots.heat_text_color,
    )
    env.globals.update(
        figures=figures, study_figures=augmentation, pairwise_matrix=pairwise_matrix, goodness=plots.goodness
    )
    return env


def _asset(env: jinja2.Environment, name: str) -> str:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


def content_security_policy(script: str, *, link_media: bool) -> str:
    """No network, no plug-ins, no script but ``script`` (by hash); media from data URIs (and files, linked)."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    media = "data: file: 'self'" if link_media else "data:"
    return (
        f"default-src 'none'; img-src {media}; media-src {media}; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_html(data: ReportData, *, twin_name: str = "report.json", env: jinja2.Environment | None = None) -> str:
    """The page for ``data``; the file size is left as a token for :func:`report` to fill in."""
    env = env or environment()
    script = _asset(env, "report.js")
    return env.get_template(TEMPLATE).render(
        data=data,
        css=_asset(env, "report.css"),
        script=script,
        csp=content_security_policy(script, link_media=bool(data.settings.get("link_media"))),
        twin=script_json({"schema": SCHEMA, **jsonable(data)}),
        size_token=SIZE_TOKEN,
        twin_name=twin_name,
    )


def _with_size(page: str, media_bytes: int) -> str:
    """The page with its own size written in (two passes, so the number includes itself)."""
    text = page
    for _ in range(3):
        size = len(text.encode("utf-8"))
        label = format_bytes(size) + (f", of which media {format_bytes(media_bytes)}" if media_bytes else "")
        text = page.replace(SIZE_TOKEN, label)
        if len(text.encode("utf-8")) == size:
            break
    return text


def report(
    results: Results | str | Path,
    path: str | Path = "report.html",
    *,
    title: str | None = None,
    per_cell: int = 3,
    worst: int = 0,
    worst_by: str | None = None,
    link_media: bool = False,
    manifest: str | Path | None = None,
    label_set: str | None = None,
    thumb_px: int = 160,
    audio_seconds: float = 6.0,
    prosody_plots: int = 4,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    analyses: Sequence[Any] = (),
    generated_at: datetime | None = None,
    results_dir: str | Path | None = None,
    cost: Sequence[str | Path] = (),
) -> ReportFiles:
    """Write an HTML report of ``results`` (a :class:`~emoeval.results.Results` or a results folder) to
    ``path``, and its JSON twin beside it (``report.html`` → ``report.json``). The results of an augmentation
    study (``emoeval augment``; ``run.json`` kind "augmentation") get the study's sections instead of the
    scoring ones (:mod:`emoeval.reports.augmentation`).

    Args:
        per_cell: gallery samples per system × target emotion (0: no gallery).
        worst: start each gallery cell with its ``worst`` worst-scoring samples, worst first.
        worst_by: ``metric`` or ``metric/sub_metric`` that decides "worst" (default: every headline output
            that has a direction, by percentile rank).
        link_media: link media by paths relative to the report instead of embedding them.
        manifest, label_set: where the samples' files are, when the manifest in ``run.json`` is not found.
        thumb_px, audio_seconds: size of embedded image thumbnails and length of embedded audio clips.
        prosody_plots: how many F0-contour plots (one per speech system whose contours the prosody metrics
            recorded in the results folder; 0: none).
        alpha, n_resamples: significance level and resamples of the tests behind the leaderboard's best marks.
        analyses: calibration/comparison/meta-analysis results (``emoeval.stats``) to show besides any JSON
            files of them in the results folder.
        generated_at: the report's timestamp (default: now, UTC).
        results_dir: the folder in-memory ``results`` were written to (when ``results`` is a folder, that one):
            where the report finds analysis files and the artefacts the run saved (F0 contours).
        cost: generation folders (``emoeval generate``) whose latency, real-time factor and memory go beside the
            quality headlines, with Pareto fronts (:mod:`emoeval.reports.cost`); without it, the generation
            folder whose manifest the run scored, if there is one.
    """
    from emoeval.results import load_results

    started = time.perf_counter()
    results_dir = None if results_dir is None else Path(results_dir).expanduser()
    if not hasattr(results, "table"):
        location = Path(results).expanduser()  # type: ignore[arg-type]
        results_dir = location.parent if location.is_file() else location
        results = load_results(location)
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    twin_path = target.with_suffix(".json")
    options = ReportOptions(
        title=title,
        per_cell=per_cell,
        worst=worst,
        worst_by=worst_by,
        link_media=link_media,
        thumb_px=thumb_px,
        audio_seconds=audio_seconds,
        prosody_plots=prosody_plots,
        alpha=alpha,
        n_resamples=n_resamples,
        manifest=manifest,
        label_set=label_set,
        cost=tuple(cost),
    )
    stamp = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    data, (media_bytes, media_files) = build_report_data(
        results,  # type: ignore[arg-type]
        options=options,
        report_dir=target.parent,
        generated_at=stamp,
        results_dir=results_dir,
        analyses=analyses,
        skip_files=[twin_path],
    )
    page = _with_size(render_html(data, twin_name=twin_path.name), media_bytes)
    target.write_text(page, encoding="utf-8")
    html_bytes = target.stat().st_size
    twin = {
        "schema": SCHEMA,
        **jsonable(data),
        "file": {"html": target.name, "html_bytes": html_bytes, "media_bytes": media_bytes, "media_files": media_files},
    }
    twin_path.write_text(dumps(twin, indent=1) + "\n", encoding="utf-8")
    return ReportFiles(
        html=target,
        json=twin_path,
        html_bytes=html_bytes,
        media_bytes=media_bytes,
        media_files=media_files,
        seconds=time.perf_counter() - started,
    )
