"""One-way dependencies between emoeval's layers, checked on the source with ``ast`` (every import statement,
inside functions and ``TYPE_CHECKING`` blocks too) and, for the functional API, in a fresh interpreter.

Layers, lowest first: ``emoeval.functional`` (pure maths) → the core (``emoeval/``: samples, media, registry,
runner, results, statistics) and ``emoeval.reference_models`` → ``emoeval.metrics`` → ``emoeval.reports`` → the
application entry points (CLI, demo, the lazy public API in ``emoeval/__init__.py``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: folder on disk -> the package it is installed as (pyproject's package-dir mapping)
FOLDERS = {"emoeval": "emoeval", "reference_models": "emoeval.reference_models", "reports": "emoeval.reports"}
#: modules of the application layer: they put the report writer behind the CLI, the demo and ``emoeval.report``
APPLICATION = {"emoeval", "emoeval.cli", "emoeval.demo", "emoeval.cli_augment", "emoeval.cli_generate"}
#: the augmentation study (``emoeval.augment``, ``emoeval augment``) is an application of the metrics layer, not a
#: metric the runner finds through entry points: its two entry points may import it, and nothing else of metrics
STUDY_ENTRY_POINTS = {"emoeval", "emoeval.cli_augment"}
#: what emoeval.functional may import from emoeval itself (besides its own modules)
FUNCTIONAL_MAY_IMPORT = ("emoeval.functional", "emoeval.errors", "emoeval.media")
#: signal-analysis packages: a report re-running them would recompute what a metric measured
SIGNAL_PROCESSING = ("pyworld", "pysptk", "librosa", "emoeval.functional.prosody", "emoeval.metrics")


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = [part for part in relative.parts[1:] if part != "__init__"]
    return ".".join([FOLDERS[relative.parts[0]], *parts])


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module name an import statement of ``path`` names (``from a.b import c`` gives ``a.b`` and ``a.b.c``),
    relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def within(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(folders: tuple[str, ...], forbidden: tuple[str, ...], exempt: set[str] = frozenset()) -> list[str]:
    return [
        f"{module_name(path)} imports {name}"
        for folder in folders
        for path in modules(folder)
        if module_name(path) not in exempt
        for name in sorted(imported(path))
        if within(name, forbidden)
    ]


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path, monkeypatch):
    # the checker itself: a lazy import in a function body and a relative import both count
    folder = tmp_path / "reference_models"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "bad.py").write_text(
        "def f():\n    from emoeval.metrics.emotion_scores import macro_f1\n    return macro_f1\n"
        "from .base import ModelPool\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = imported(folder / "bad.py")
    assert "emoeval.metrics.emotion_scores" in found and "emoeval.reference_models.base.ModelPool" in found
    assert violations(("reference_models",), ("emoeval.metrics",)) == [
        "emoeval.reference_models.bad imports emoeval.metrics.emotion_scores",
        "emoeval.reference_models.bad imports emoeval.metrics.emotion_scores.macro_f1",
    ]


def test_reference_models_and_the_core_never_import_metrics():
    # shared maths lives in emoeval.functional; the core finds metrics through entry points only
    assert violations(("reference_models", "emoeval"), ("emoeval.metrics", "metrics"), exempt=STUDY_ENTRY_POINTS) == []
    study = [
        f"{module_name(path)} imports {name}"
        for path in modules("emoeval")
        if module_name(path) in STUDY_ENTRY_POINTS
        for name in sorted(imported(path))
        if within(name, ("emoeval.metrics", "metrics")) and not within(name, "emoeval.metrics.augmentation")
    ]
    assert study == []


def test_reference_models_and_the_core_never_import_reports():
    assert violations(("reference_models", "emoeval"), ("emoeval.reports", "reports"), exempt=APPLICATION) == []


def test_functional_imports_nothing_above_it():
    bad = [
        f"{module_name(path)} imports {name}"
        for path in modules("emoeval/functional")
        for name in sorted(imported(path))
        if (within(name, "emoeval") and not within(name, FUNCTIONAL_MAY_IMPORT)) or within(name, "torch")
    ]
    assert bad == []


def test_statistics_and_reports_never_consult_the_live_registry():
    # a report or analysis of old results must not depend on the metrics installed today (it reads the table's
    # headline column and run.json); this also keeps emoeval.metric -> stats -> registry -> metric from closing
    assert violations(("emoeval/stats", "reports"), ("emoeval.registry",)) == []


def test_reports_never_rerun_signal_processing():
    assert violations(("reports",), SIGNAL_PROCESSING) == []


def test_every_functional_module_imports_without_torch_or_the_upper_layers():
    names = sorted(module_name(path) for path in modules("emoeval/functional"))
    assert {"emoeval.functional.emotion", "emoeval.functional.prosody", "emoeval.functional.text"} <= set(names)
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "watched = ('torch', 'emoeval.metrics', 'emoeval.reference_models', 'emoeval.registry', 'emoeval.reports',"
        " 'emoeval.runner', 'emoeval.stats')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'torch' or m in watched)))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == []


@pytest.mark.parametrize(
    ("old", "home", "name"),
    [
        ("emoeval.metrics.emotion_scores", "emotion", "macro_f1"),
        ("emoeval.metrics.emotion_scores", "emotion", "emotion_separation"),
        ("emoeval.metrics.distribution", "distribution", "FrechetStats"),
        ("emoeval.metrics.distribution", "distribution", "kernel_inception_distance"),
        ("emoeval.metrics.speech.prosody", "prosody", "extract_features"),
        ("emoeval.metrics.speech.prosody", "prosody", "ProsodyFeatures"),
        ("emoeval.metrics.text.diversity", "text", "tokenize"),
        ("emoeval.metrics.text.diversity", "text", "self_bleu"),
    ],
)
def test_old_import_paths_give_the_functional_objects(old, home, name):
    import importlib

    moved = importlib.import_module(old)
    assert getattr(moved, name) is getattr(importlib.import_module(f"emoeval.functional.{home}"), name)
    assert name in moved.__all__
