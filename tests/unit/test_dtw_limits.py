"""Memory-bounded DTW for long recordings: the Sakoe–Chiba band against librosa and the textbook recursion, the
exact/banded switch, the hard ceiling, and the memory of a 4-minute pair (issue 13, item 7)."""

from __future__ import annotations

import functools
import json
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from emoeval.metrics.speech import _dtw
from emoeval.metrics.speech._dtw import (
    AlignmentTooLongError,
    align_sequences,
    band_cells,
    band_limits,
    band_radius,
    banded_dtw,
    dtw,
    euclidean_cost,
)
from emoeval.metrics.speech.prosody import FRAME_PERIOD_S

FOUR_MINUTES = round(240 / FRAME_PERIOD_S)  # 48 000 frames of 5 ms


def _in_band(n: int, m: int, radius: int) -> np.ndarray:
    """The band as a boolean mask, from its definition: −r < j − i < r + (m − n) for n ≤ m, mirrored for n > m."""
    i, j = np.indices((n, m))
    offset = abs(n - m)
    if n <= m:
        return (j - i > -radius) & (j - i < radius + offset)
    return (j - i > -radius - offset) & (j - i < radius)


def _banded_recursion(cost: np.ndarray, radius: int) -> float:
    """D(i, j) = C(i, j) + min(D(i−1, j), D(i, j−1), D(i−1, j−1)), infinite outside the band."""
    inside = _in_band(*cost.shape, radius)

    @functools.cache
    def d(i: int, j: int) -> float:
        if i < 0 or j < 0 or not inside[i, j]:
            return math.inf
        if i == 0 and j == 0:
            return float(cost[0, 0])
        return float(cost[i, j]) + min(d(i - 1, j), d(i, j - 1), d(i - 1, j - 1))

    return d(cost.shape[0] - 1, cost.shape[1] - 1)


def test_band_limits_are_the_band_of_its_definition():
    for n, m, radius in ((5, 5, 1), (4, 9, 2), (9, 4, 2), (30, 41, 7), (41, 30, 40), (1, 6, 1), (6, 1, 3)):
        lo, hi = band_limits(n, m, radius)
        mask = np.zeros((n, m), dtype=bool)
        for i in range(n):
            mask[i, lo[i] : hi[i]] = True
        np.testing.assert_array_equal(mask, _in_band(n, m, radius))
        assert band_cells(n, m, radius) == int(mask.sum())
        assert mask[0, 0] and mask[-1, -1]
    assert band_radius(48000, 40000) == 4800 and band_radius(3, 2) == 1
    with pytest.raises(ValueError, match="at least 1 frame"):
        band_limits(3, 3, 0)


def test_a_band_covering_everything_is_exact_dtw_bit_for_bit():
    rng = np.random.default_rng(0)
    for n, m in ((1, 1), (1, 7), (7, 1), (13, 13), (40, 55), (73, 31), (300, 280)):
        x, y = rng.normal(size=(n, 4)), rng.normal(size=(m, 4))
        total, path = dtw(euclidean_cost(x, y))
        banded_total, banded_path = banded_dtw(x, y, radius=max(n, m))
        assert banded_total == total
        np.testing.assert_array_equal(banded_path, path)


def test_banded_dtw_matches_librosa_global_constraints_and_the_banded_recursion():
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(1)
    for _ in range(60):
        n, m = (int(v) for v in rng.integers(2, 35, size=2))
        radius = int(rng.integers(1, max(n, m) + 1))
        x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
        cost = euclidean_cost(x, y)
        total, path = banded_dtw(x, y, radius)
        # librosa's band radius is round(band_rad · min(n, m)) cells: pass exactly ours
        accumulated, reference_path = librosa.sequence.dtw(
            C=cost, global_constraints=True, band_rad=radius / min(n, m), backtrack=True
        )
        assert total == pytest.approx(accumulated[-1, -1], rel=1e-12)
        assert total == pytest.approx(_banded_recursion(cost, radius), rel=1e-12)
        assert path.tolist() == reference_path[::-1].tolist()
        assert _in_band(n, m, radius)[path[:, 0], path[:, 1]].all()


def test_a_band_never_lowers_the_cost_and_binds_on_unrelated_sequences():
    rng = np.random.default_rng(2)
    higher = 0
    for _ in range(80):
        n, m = (int(v) for v in rng.integers(20, 90, size=2))
        x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
        exact, _ = dtw(euclidean_cost(x, y))
        banded, _ = banded_dtw(x, y, radius=int(rng.integers(1, 8)))
        assert banded >= exact * (1 - 1e-12)
        higher += banded > exact * (1 + 1e-9)
    assert higher > 10  # not vacuous: narrow bands often exclude the optimum of unrelated sequences (26 of 80 here)


def _smooth_sequence(rng: np.random.Generator, frames: int, dims: int = 23) -> np.ndarray:
    """A slowly varying random trajectory, like a mel-cepstrum track."""
    steps = rng.normal(size=(frames, dims))
    kernel = np.hanning(15) / np.hanning(15).sum()
    return np.cumsum(np.apply_along_axis(np.convolve, 0, steps, kernel, mode="same"), axis=0) * 0.3


def test_time_stretched_copies_align_as_exact_dtw_through_the_band():
    rng = np.random.default_rng(3)
    for n, m in ((600, 690), (700, 560)):
        x = _smooth_sequence(rng, n)
        # y is x read at a non-uniform rate: a 15–20 % length change plus a sinusoidal wobble of ±15 frames
        u = np.linspace(0.0, 1.0, m)
        positions = (n - 1) * u + 15.0 * np.sin(2 * np.pi * u)
        y = np.stack([np.interp(positions, np.arange(n), x[:, d]) for d in range(x.shape[1])], axis=1)
        exact_total, exact_path = dtw(euclidean_cost(x, y))
        radius = band_radius(n, m)
        assert _in_band(n, m, radius)[exact_path[:, 0], exact_path[:, 1]].all()  # premise: the optimum is inside
        aligned = align_sequences(x, y, exact_max_cells=1000)  # force the band
        assert aligned.radius == radius and aligned.cells == band_cells(n, m, radius) < n * m
        assert aligned.cost == pytest.approx(exact_total, rel=1e-12)
        np.testing.assert_array_equal(aligned.path, exact_path)


def test_exact_dtw_is_kept_up_to_the_limit():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(50, 5))
    total, path = dtw(euclidean_cost(x, y))
    at_limit = align_sequences(x, y, exact_max_cells=40 * 50)
    assert at_limit.radius is None and at_limit.cost == total
    np.testing.assert_array_equal(at_limit.path, path)
    above = align_sequences(x, y, exact_max_cells=40 * 50 - 1)
    assert above.radius == 5
    # the module default: 16 million frame pairs, two 20 s spans of 5 ms frames
    assert round(20 / FRAME_PERIOD_S) ** 2 == _dtw.EXACT_MAX_CELLS


def test_too_long_sequences_are_refused_before_anything_is_allocated():
    x = np.zeros((110_000, 2))  # 9.2 minutes of 5 ms frames: a band of 2.4·10⁹ cells, above the 2·10⁹ limit
    tracemalloc.start()
    with pytest.raises(AlignmentTooLongError, match="above the limit of 2,000,000,000") as raised:
        align_sequences(x, x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 2**20
    assert raised.value.cells == band_cells(110_000, 110_000, 11_000) and raised.value.limit == _dtw.MAX_BAND_CELLS
    assert "MAX_BAND_CELLS" in str(raised.value)
    with pytest.raises(AlignmentTooLongError):
        align_sequences(np.zeros((60, 2)), np.zeros((70, 2)), exact_max_cells=100, max_band_cells=100)


_FOUR_MINUTE_RUN = """
import json, resource, sys
import numpy as np
from emoeval.metrics.speech import _dtw
from emoeval.metrics.speech.prosody import align
from scipy.spatial.distance import cdist  # imported before the baseline: its libraries are not the alignment's
frames = int(sys.argv[1])
rng = np.random.default_rng(5)
# 4 coefficients (c0..c3) rather than the metric's 24 keep the run short: local costs are computed a block of rows
# at a time, so the memory does not depend on the dimension
out, ref = rng.normal(size=(frames, 4)), rng.normal(size=(frames + 400, 4))
with open("/proc/self/statm") as statm:
    resident_before = int(statm.read().split()[1]) * resource.getpagesize()
path = align(out, ref)
# VmHWM: the peak resident set of this process image. (ru_maxrss would not do: Linux carries the parent's peak
# across fork + exec, so a child of a large pytest process reports the parent's size.)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
radius = _dtw.band_radius(frames, frames + 400)
lo, hi = _dtw.band_limits(frames, frames + 400, radius)
print(json.dumps({
    "growth": peak - resident_before, "radius": radius, "first": path[0].tolist(), "last": path[-1].tolist(),
    "steps_ok": bool(np.isin(np.diff(path, axis=0).sum(axis=1), (1, 2)).all() and (np.diff(path, axis=0) >= 0).all()),
    "in_band": bool(((path[:, 1] >= lo[path[:, 0]]) & (path[:, 1] < hi[path[:, 0]])).all()),
}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set size from /proc")
def test_aligning_two_four_minute_recordings_stays_within_a_memory_bound():
    # exact DTW would hold two 48 000 × 48 000 float64 matrices: 34 GiB (the issue measured 17 GiB for one).
    # Measured in a fresh process, as the growth of the resident set over the call (the peak of the whole
    # process, so an earlier test's memory cannot hide or inflate it); tracemalloc would quadruple the run time.
    run = subprocess.run(
        [sys.executable, "-c", _FOUR_MINUTE_RUN, str(FOUR_MINUTES)], capture_output=True, text=True, check=True
    )
    result = json.loads(run.stdout)
    print(f"\n4-minute pair: resident set grew by {result['growth'] / 2**20:.0f} MiB during the alignment")
    assert result["growth"] < 400 * 2**20  # measured 170–225 MiB (tracemalloc 160): 2 bits a band cell + local costs
    assert result["radius"] == 4840  # 10 % of the longer sequence (48 400 frames)
    assert result["first"] == [0, 0] and result["last"] == [FOUR_MINUTES - 1, FOUR_MINUTES + 399]
    assert result["steps_ok"] and result["in_band"]
