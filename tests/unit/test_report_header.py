"""Header (provenance) and notices (errors, warnings, skipped samples, unbalanced designs) of a report."""

from __future__ import annotations

from emoeval.reports.header import build_header, parse_models
from emoeval.reports.notices import collect_notices, notice_counts
from emoeval.results import Results, results_frame

PROVENANCE = dict(
    run_id="r1",
    emoeval_version="0.1.0",
    config_hash="c" * 64,
    created_at="2026-01-01T00:00:00+00:00",
    metric_version="2.0",
    model="det@1+emb@v2",
    model_sha256="a" * 64 + "+" + "b" * 64,
)


def rows():
    out = []
    for system, n in (("s1", 4), ("s2", 4)):
        for index in range(n):
            emotion = "happy" if index % 2 else "sad"
            out.append(
                dict(
                    PROVENANCE,
                    system=system,
                    scope="sample",
                    statistic="value",
                    sample_id=f"{system}/{index}",
                    target_emotion=emotion,
                    metric="sim",
                    sub_metric="cos",
                    value=0.5,
                    n=1,
                    higher_is_better=True,
                    warning="resampled to 16000 Hz",
                )
            )
    out[0].update(value=float("nan"), error="s1/0.wav: the recording is silent", warning=None)
    out[2].update(value=float("nan"), error="s1/2.wav: file not found", warning=None)
    out.append(
        dict(
            PROVENANCE,
            system="s1",
            scope="system",
            statistic="mean",
            metric="sim",
            sub_metric="cos",
            value=0.5,
            n=3,
            higher_is_better=True,
        )
    )
    out.append(
        dict(
            PROVENANCE,
            system="s3",
            scope="system",
            statistic="corpus",
            metric="fid",
            sub_metric="fid",
            value=float("nan"),
            n=0,
            higher_is_better=False,
            error="no sample could be used",
            metric_version="1.0",
            model="",
            model_sha256="",
        )
    )
    return out


RUN = {
    "run_id": "r1",
    "status": "complete",
    "created_at": "2026-01-01T00:00:00+00:00",
    "finished_at": "2026-01-01T00:01:00+00:00",
    "duration_s": 60.0,
    "emoeval_version": "0.1.0",
    "config_hash": "c" * 64,
    "config": {
        "metrics": [{"name": "sim", "version": "2.0", "params": {"threshold": 0.6}}],
        "bootstrap": {"n_resamples": 2000, "confidence": 0.95, "seed": 0},
    },
    "inputs": {
        "source": "/data/manifest.csv",
        "n_samples": 8,
        "systems": {"s1": 4, "s2": 4},
        "modalities": {"speech": 8},
    },
    "plan": [{"metric": "sim", "samples": 8, "systems": ["s1", "s2"], "skipped": {"no reference": 3}}],
    "models": [
        {
            "name": "emb",
            "version": "v2",
            "weights_sha256": "b" * 64,
            "license": "MIT",
            "files": [{"filename": "w.pt", "sha256": "b" * 64, "source": "package", "path": "/x/w.pt"}],
        }
    ],
}


def test_parse_models_pairs_names_versions_and_hashes():
    refs = parse_models("det@1+emb@v2", "aa+bb")
    assert [(r.name, r.version, r.sha256) for r in refs] == [("det", "1", "aa"), ("emb", "v2", "bb")]
    assert parse_models(None, None) == ()


def test_header_from_run_json_and_table():
    header = build_header(Results(results_frame(rows()), RUN), title="t", generated_at="now")
    assert (header.run_id, header.status, header.config_hash, header.source) == (
        "r1",
        "complete",
        "c" * 64,
        "/data/manifest.csv",
    )
    assert header.run_emoeval_versions == ("0.1.0",)
    assert header.systems == (("s1", 4), ("s2", 4)) and header.n_samples == 8
    sim, fid = header.metrics
    assert (sim.metric, sim.version, sim.scope, sim.params) == ("sim", "2.0", "sample", {"threshold": 0.6})
    assert [(m.name, m.sha256) for m in sim.models] == [("det", "a" * 64), ("emb", "b" * 64)]
    assert (fid.scope, fid.models) == ("corpus", ())
    (model,) = header.models
    assert (model.name, model.weights_sha256, model.files[0].filename) == ("emb", "b" * 64, "w.pt")
    assert header.n_errors == 3 and header.n_rows == len(rows())


def test_header_without_run_json_falls_back_to_the_columns():
    header = build_header(Results(results_frame(rows()), {}), title="t", generated_at="now")
    assert header.run_id == "r1" and header.config_hash == "c" * 64
    assert header.systems == (("s1", 4), ("s2", 4))


def test_notices_count_errors_skips_warnings_and_imbalance():
    notices = collect_notices(Results(results_frame(rows()), RUN))
    by_text = {notice.text: notice for notice in notices}
    errors = [n for n in notices if n.level == "error"]
    assert notices[: len(errors)] == errors  # errors first
    sample_errors = next(n for n in errors if n.topic == "sim")
    assert sample_errors.count == 2 and "(s1 2)" in sample_errors.text
    assert any(example == "s1/0: s1/0.wav: the recording is silent" for example in sample_errors.examples)
    assert any(n.topic == "fid · s3" and "no sample could be used" in n.text for n in errors)
    assert by_text["3 sample(s) not scorable: no reference"].level == "warning"
    warning = next(n for n in notices if "resampled to 16000 Hz" in n.text)
    assert warning.count == 6  # 8 samples, 2 of them errors
    # both systems were given 4 samples (2 per emotion): errors alone make the scored counts (2 vs 4) differ
    assert not any("unbalanced design" in n.text for n in notices)
    info = next(n for n in notices if "after errors" in n.text)
    assert info.level == "info"
    assert notice_counts(notices)["error"] == len(errors)


def test_unbalanced_designs_are_warnings():
    table = rows()
    table = [row for row in table if row.get("sample_id") not in ("s2/2", "s2/3")]  # s2 gets fewer samples
    table.append(
        dict(
            PROVENANCE,
            system="s2",
            scope="sample",
            statistic="value",
            sample_id="s2/9",
            target_emotion="happy",
            metric="sim",
            sub_metric="cos",
            value=0.4,
            n=1,
            higher_is_better=True,
        )
    )
    notices = collect_notices(Results(results_frame(table), {**RUN, "status": "running"}))
    texts = [n.text for n in notices if n.level == "warning"]
    assert any("different numbers of samples (s1: 4, s2: 3)" in text for text in texts)
    assert any("different mixes of target emotions" in text for text in texts)
    assert any("run status is 'running'" in text for text in texts)
