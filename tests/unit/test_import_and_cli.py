"""`import emoeval` stays light; the CLI answers --help everywhere and fails with one line."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import emoeval
from emoeval.cli import main


def test_import_emoeval_loads_no_torch_and_no_model():
    code = (
        "import sys, time; t = time.perf_counter(); import emoeval; emoeval.__version__; "
        "elapsed = time.perf_counter() - t; "
        "heavy = [m for m in ('torch', 'cv2', 'dlib', 'resemblyzer', 'pandas', 'scipy') if m in sys.modules]; "
        "print(heavy, elapsed)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, elapsed = output.rsplit(" ", 1)
    assert heavy == "[]", f"import emoeval pulled in {heavy}"
    assert float(elapsed) < 1.0


def test_a_local_run_never_imports_ray(tmp_path):
    """Ray is an optional extra: only ``backend="ray"`` imports it."""
    code = (
        "import sys, emoeval, pandas as pd; "
        "rows = [{'sample_id': str(i), 'system': 's', 'modality': 'text', 'text': t} "
        "for i, t in enumerate(['a b c', 'a b d', 'e f g'])]; "
        f"emoeval.score(pd.DataFrame(rows), metrics=['text_distinct_n'], cache_dir={str(tmp_path)!r}, n_bootstrap=10); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip().splitlines()[-1] == "[]"


def test_mapped_folders_refuse_a_bare_import(monkeypatch):
    import emoeval.metrics

    root = emoeval.metrics.__path__[0].rsplit("/", 1)[0]
    monkeypatch.syspath_prepend(root)
    sys.modules.pop("metrics", None)
    with pytest.raises(ImportError, match=r"import emoeval\.metrics instead"):
        importlib.import_module("metrics")


def _walk(package_name: str):
    package = importlib.import_module(package_name)
    yield package
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        yield importlib.import_module(info.name)


@pytest.mark.parametrize("package", ["emoeval", "emoeval.metrics", "emoeval.reference_models"])
def test_docstring_examples_run(package):
    failures = tried = 0
    for module in _walk(package):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        failures += result.failed
        tried += result.attempted
    assert failures == 0
    assert tried > 0


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["score"],
        ["metrics"],
        ["models"],
        ["models", "list"],
        ["models", "verify"],
        ["models", "pull"],
        ["demo"],
        ["report"],
    ],
)
def test_help_everywhere(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_metrics_command_lists_direction_and_range():
    result = CliRunner().invoke(main, ["metrics"])
    assert result.exit_code == 0
    assert "face_identity_similarity  [face, sample" in result.output
    assert "distance: range [0, inf], lower is better" in result.output
    assert "text_distinct_n  [text, corpus" in result.output


def test_failures_exit_non_zero_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["score", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("emoeval: error: manifest not found")

    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,system,modality,text\na,s,text,hello\n")
    result = CliRunner().invoke(
        main, ["score", str(manifest), "--out", str(tmp_path / "o"), "--metrics", "text_distinct"]
    )
    assert result.exit_code == 1
    assert "did you mean 'text_distinct_n'" in result.stderr


def test_score_command_writes_results(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,system,modality,text\na,s,text,hello there\nb,s,text,hello you\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["score", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "text_distinct_n" in result.output
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    table = emoeval.load_results(out).systems()
    assert table.query("sub_metric == 'distinct_1'").value.item() == pytest.approx(3 / 4)
