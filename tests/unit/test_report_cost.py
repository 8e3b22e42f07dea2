"""The report's quality-and-cost section: Pareto fronts against a sweep, and the section built from generation
folders given with --cost or found beside the scored manifest."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.generation import generate
from emoeval.reports.cost import pareto_front


def _sweep_front(points, higher_is_better):
    """An independent front by a sweep over costs: a point survives when its quality beats every strictly cheaper
    point's and is the best among the points of its own cost (equal points do not dominate each other)."""
    sign = 1 if higher_is_better else -1
    front, best_before = [], -np.inf
    for cost in sorted({c for _, c, _ in points}):
        group = [(name, sign * q) for name, c, q in points if c == cost]
        top = max(q for _, q in group)
        front += [name for name, q in group if q == top and q > best_before]
        best_before = max(best_before, top)
    return sorted(front)


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_the_pareto_front_equals_a_sweep(higher_is_better):
    rng = np.random.default_rng(4)
    for _ in range(200):
        points = [(f"s{i}", float(rng.integers(0, 6)), float(rng.integers(0, 6))) for i in range(rng.integers(1, 9))]
        assert sorted(pareto_front(points, higher_is_better=higher_is_better)) == _sweep_front(points, higher_is_better)


def _responder(words: int, seconds: float, varied: bool):
    def reply(request: dict) -> str:
        time.sleep(seconds)
        base = ["sorry", "to", "hear", "that", "friend", "really"]
        if varied:
            base = [f"{w}{request['request_id']}" for w in base]
        return " ".join(base[:words])

    reply.__qualname__ = f"reply_{words}_{seconds}_{varied}"
    return reply


def test_the_report_puts_cost_beside_quality_and_draws_the_front(tmp_path):
    prompts = [{"request_id": f"r{i}", "modality": "text", "target_emotion": "sad", "text": "x"} for i in range(6)]
    systems = {
        "fast_plain": _responder(6, 0.001, False),
        "slow_varied": _responder(6, 0.03, True),
        "slow_plain": _responder(6, 0.03, False),  # dominated: as plain as fast_plain, and slower
    }
    folders, manifests = [], []
    for name, function in systems.items():
        run = generate(prompts, function, tmp_path / name, system=name, n_bootstrap=100)
        folders.append(run.folder)
        manifests += [json.loads(line) for line in run.manifest.read_text().splitlines()]
    manifest = tmp_path / "all.jsonl"
    manifest.write_text(
        "\n".join(json.dumps({**row, "sample_id": f"{row['system']}/{row['sample_id']}"}) for row in manifests)
    )
    scored = emoeval.score(
        manifest, metrics=["text_distinct_n"], out=tmp_path / "scores", n_bootstrap=50, progress=False
    )
    written = emoeval.report(
        scored, tmp_path / "report.html", cost=folders, per_cell=0, results_dir=tmp_path / "scores"
    )
    twin = json.loads(written.json.read_text())
    section = twin["cost"]
    rows = {row["system"]: row for row in section["rows"]}
    assert set(rows) == set(systems)
    assert sorted(rows["fast_plain"]["front"]) == ["text_distinct_n/distinct_1"]
    assert rows["slow_varied"]["front"] == ["text_distinct_n/distinct_1"] and rows["slow_plain"]["front"] == []
    assert rows["slow_plain"]["costs"]["latency_p50_s"]["value"] > 0.025
    html = written.html.read_text()
    assert 'id="cost"' in html and "Pareto front" in html


def test_a_then_score_run_finds_its_costs_without_being_told(tmp_path):
    prompts = pd.DataFrame([{"request_id": f"r{i}", "modality": "text", "text": "hi"} for i in range(3)])
    run = generate(prompts, _responder(3, 0.0, True), tmp_path / "gen", n_bootstrap=0)
    emoeval.score(
        run.manifest, metrics=["text_distinct_n"], out=tmp_path / "gen" / "scores", n_bootstrap=0, progress=False
    )
    written = emoeval.report(tmp_path / "gen" / "scores", tmp_path / "r.html", per_cell=0)
    assert [row["system"] for row in json.loads(written.json.read_text())["cost"]["rows"]] == ["generated"]
