"""Atomic writes: all or nothing, and files as shareable as an ordinary open() would make them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from emoeval.atomic import atomic_write, atomic_write_text


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_written_file_gets_the_umask_mode_not_mkstemps_private_one(tmp_path, umask_022):
    target = tmp_path / "run.json"
    atomic_write_text(target, "{}\n")
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    assert _mode(target) == _mode(ordinary) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "baseline.csv"
    atomic_write_text(target, "old\n")

    def broken(out):
        out.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.csv"]


def test_run_json_and_a_saved_baseline_are_readable_by_others(tmp_path, umask_022):
    import emoeval
    from emoeval.gate import save_baseline
    from emoeval.samples import Sample

    samples = [Sample(f"bot/{i}", "bot", "text", text=t) for i, t in enumerate(["Hi there!", "Oh no.", "Great."])]
    emoeval.score(samples, metrics=["text_distinct_n"], out=tmp_path / "run", progress=False, n_bootstrap=20)
    baseline = save_baseline(tmp_path / "run", tmp_path / "baseline.csv")
    assert _mode(tmp_path / "run" / "run.json") == 0o644
    assert _mode(baseline) == 0o644
