"""A non-editable install (``pip install .``, a wheel) holds every module and data file of the source tree.

The editable install the README uses finds sub-packages by folder, so a package missing from
``[tool.setuptools].packages`` (``emoeval.generation`` once was) only breaks a wheel. This test builds the wheel
from a copy of the tracked files, offline, with the installed setuptools, and compares.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: source folder → its import path inside the wheel (``[tool.setuptools.package-dir]``)
PACKAGE_DIRS = {
    "emoeval": "emoeval",
    "metrics": "emoeval/metrics",
    "reference_models": "emoeval/reference_models",
    "reports": "emoeval/reports",
}


def _tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", *PACKAGE_DIRS, "pyproject.toml", "README.md", "LICENSE"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"needs a git checkout to list the tracked files: {error}")
    return [name for name in listed if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pytest.importorskip("setuptools")
    source = tmp_path_factory.mktemp("source")
    for name in _tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", build, str(out)], cwd=source, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_tracked_module_and_data_file(wheel_names: set[str]) -> None:
    expected = set()
    for name in _tracked_files():
        top, _, rest = name.partition("/")
        if top in PACKAGE_DIRS and rest:
            expected.add(f"{PACKAGE_DIRS[top]}/{rest}")
    missing = sorted(expected - wheel_names)
    assert not missing, (
        f"{len(missing)} tracked files are not in the wheel (add their package to [tool.setuptools].packages "
        f"or their pattern to [tool.setuptools.package-data] in pyproject.toml): {missing[:20]}"
    )


def test_the_wheel_holds_the_generation_package_and_its_prompt_sets(wheel_names: set[str]) -> None:
    assert "emoeval/generation/run.py" in wheel_names
    assert "emoeval/data/prompts/speech.csv" in wheel_names
