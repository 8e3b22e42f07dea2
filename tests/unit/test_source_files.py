"""The source files behind a metric's numbers include the maths it imports from emoeval.functional and helper
modules of emoeval.metrics, so that editing that maths recomputes cached verdicts."""

from __future__ import annotations

import sys
import textwrap

import pytest

from emoeval.source_files import imported_sources


@pytest.fixture
def package(tmp_path, monkeypatch):
    """``fakepkg``: a metric module importing maths lazily and relatively; the maths importing more maths."""
    root = tmp_path / "fakepkg"
    (root / "maths").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "metric.py": """
            import json

            from . import helpers

            def score():
                from fakepkg.maths.core import mean
                return mean([1.0]), json, helpers
        """,
        "helpers.py": "X = 1\n",
        "unused.py": "Y = 2\n",
        "maths/__init__.py": "",
        "maths/core.py": """
            from fakepkg.maths.deep import total

            def mean(values):
                return total(values) / len(values)
        """,
        "maths/deep.py": "def total(values):\n    return sum(values)\n",
    }
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == "fakepkg" or m.startswith("fakepkg.")]:
        del sys.modules[name]


def test_transitive_imports_inside_the_packages_are_found(package):
    found = imported_sources("fakepkg.metric", within=("fakepkg",))
    names = {path.relative_to(package).as_posix() for path in found}
    # the modules import statements name (``from . import helpers`` also names the package, ``fakepkg``)
    assert names == {"metric.py", "helpers.py", "__init__.py", "maths/core.py", "maths/deep.py"}
    assert found[0] == package / "metric.py"
    # outside ``within`` nothing is followed (json; fakepkg and fakepkg.helpers when only fakepkg.maths counts)
    assert imported_sources("fakepkg.metric", within=("fakepkg.maths",)) == [
        package / "metric.py",
        package / "maths" / "core.py",
        package / "maths" / "deep.py",
    ]


def test_the_prosody_metric_depends_on_the_functional_prosody_maths():
    from pathlib import Path

    import emoeval.functional.prosody
    import emoeval.metrics.speech.prosody

    found = imported_sources("emoeval.metrics.speech.prosody")
    assert Path(emoeval.functional.prosody.__file__) in found
    assert Path(emoeval.metrics.speech.prosody.__file__) == found[0]


def test_editing_the_functional_maths_changes_a_metrics_implementation_hash():
    from pathlib import Path

    import emoeval.functional.prosody
    from emoeval.metric import _source_files
    from emoeval.metrics.speech.prosody import SpeechProsodyDistance

    assert Path(emoeval.functional.prosody.__file__) in _source_files(SpeechProsodyDistance)
