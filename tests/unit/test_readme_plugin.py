"""The README's "Write a metric" plug-in, installed through its entry points and tested as its author would."""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(marker: str) -> str:
    """The fenced code block that follows ``<!-- write-a-metric:<marker> -->`` in the README."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- write-a-metric:{marker} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert match, f"the README lost its write-a-metric:{marker} block"
    return match.group(1)


@pytest.fixture
def readme_plugin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    package = site / "my_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_block("module"))
    entry_points = tomllib.loads(_block("entry-points"))["project"]["entry-points"]
    dist = site / "my_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-plugin\nVersion: 0.1\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in entries.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))
    sys.modules.pop("my_plugin", None)
    yield importlib.import_module("my_plugin")
    sys.modules.pop("my_plugin", None)


def test_the_readme_plugin_installs_and_passes_its_own_test(readme_plugin):
    from emoeval.registry import get_metric_class

    assert get_metric_class("text_exclamation_rate") is readme_plugin.ExclamationRate
    namespace: dict[str, object] = {}
    exec(compile(_block("test"), "README write-a-metric test", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert len(tests) == 1
    tests[0]()


def test_the_readme_plugin_is_listed_with_its_parameter(readme_plugin):
    from click.testing import CliRunner

    from emoeval.cli import main

    listing = CliRunner().invoke(main, ["metrics", "text_exclamation_rate"])
    assert listing.exit_code == 0, listing.output
    assert "param min_words: int (default 1)" in listing.output
