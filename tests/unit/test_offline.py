"""The offline environment (emoeval.offline) and where a run applies it (model pool, score)."""

from __future__ import annotations

import logging
import sys
import types

import pytest

from emoeval import offline
from emoeval.offline import OFFLINE_ENVIRONMENT, apply_offline_environment
from emoeval.reference_models.base import ModelPool
from emoeval.reference_models.store import WeightStore


@pytest.fixture
def clean_offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline variables unset for the test; whatever the test (or the code under test) sets is undone."""
    for name in OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def test_offline_environment_switches_off_onnxruntime_telemetry_by_its_documented_name():
    # onnxruntime's Privacy.md ("Disabling Telemetry") and the 1.32 binary: ORT_DISABLE_TELEMETRY=1
    assert OFFLINE_ENVIRONMENT["ORT_DISABLE_TELEMETRY"] == "1"
    assert all(value == "1" for value in OFFLINE_ENVIRONMENT.values())


def test_apply_sets_every_variable_overrides_other_values_and_reports_what_changed():
    env = {"ORT_DISABLE_TELEMETRY": "0", "HF_HUB_DISABLE_TELEMETRY": "1", "UNRELATED": "x"}
    expected_changed = {name: None for name in OFFLINE_ENVIRONMENT if name not in env} | {"ORT_DISABLE_TELEMETRY": "0"}
    changed = apply_offline_environment(env)
    assert changed == expected_changed
    assert {name: env[name] for name in OFFLINE_ENVIRONMENT} == dict(OFFLINE_ENVIRONMENT)
    assert env["UNRELATED"] == "x"
    assert apply_offline_environment(env) == {}  # idempotent


def test_apply_on_a_given_mapping_leaves_the_process_environment_alone(clean_offline_env):
    import os

    apply_offline_environment({})
    assert not any(name in os.environ for name in OFFLINE_ENVIRONMENT)


def test_onnxruntime_imported_too_early_is_reported_once(clean_offline_env, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", types.ModuleType("onnxruntime"))
    monkeypatch.setattr(offline, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="emoeval.offline"):
        apply_offline_environment()
        for name in OFFLINE_ENVIRONMENT:
            monkeypatch.delenv(name)
        apply_offline_environment()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "onnxruntime was imported before" in warnings[0] and "ORT_DISABLE_TELEMETRY=1" in warnings[0]


def test_no_warning_when_the_user_switched_onnxruntime_telemetry_off_already(clean_offline_env, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", types.ModuleType("onnxruntime"))
    monkeypatch.setattr(offline, "_warned", set())
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "1")
    with caplog.at_level(logging.WARNING, logger="emoeval.offline"):
        apply_offline_environment()
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("allow_network", [False, True])
def test_the_model_pool_sets_the_offline_environment_before_loading_only_when_offline(
    plugin, clean_offline_env, monkeypatch, tmp_path, allow_network
):
    import os

    seen: dict[str, str | None] = {}
    original = plugin.FakeEmbedder.__init__

    def recording_init(self, weights, dependencies):  # what the model's libraries would see when they import
        seen.update({name: os.environ.get(name) for name in OFFLINE_ENVIRONMENT})
        original(self, weights, dependencies)

    monkeypatch.setattr(plugin.FakeEmbedder, "__init__", recording_init)
    ModelPool(WeightStore(tmp_path, allow_network=allow_network)).get("fake-embedder")
    expected = {name: None for name in OFFLINE_ENVIRONMENT} if allow_network else dict(OFFLINE_ENVIRONMENT)
    assert seen == expected


def test_an_offline_score_sets_the_environment_before_loading_samples(plugin, clean_offline_env, monkeypatch):
    """``score`` applies it at the start of an offline run (``EMOEVAL_OFFLINE`` default), and not online."""
    import os

    import emoeval
    from emoeval.errors import ManifestError

    for offline_env, expected in (("0", None), ("1", "1")):
        monkeypatch.setenv("EMOEVAL_OFFLINE", offline_env)
        with pytest.raises(ManifestError):
            emoeval.score("/nonexistent/manifest.csv")
        assert os.environ.get("ORT_DISABLE_TELEMETRY") == expected
