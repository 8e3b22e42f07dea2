"""The metric contract v2 from a plug-in author's side: a new modality, declared inputs, parameters as data,
cache keys that cannot go stale, labels and configs, and the conformance kit.

The plug-in below lives only in this test: a ``tremor`` media type (multichannel ``.npy`` time series) and a
metric on it, installed through entry points exactly as a third-party package would install them.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emoeval
from emoeval.errors import RunConfigError
from emoeval.testing import check_metric

PLUGIN = '''
"""A third-party plug-in: a `tremor` modality (accelerometer traces) and a metric on it (test-only)."""
from __future__ import annotations

import numpy as np

from emoeval.errors import SampleInputError
from emoeval.media.types import FileMedia
from emoeval.metric import Input, MetricSpec, Output, SampleMetric, SampleScore

SCALE = 1.0  # edited by a test: the implementation hash must notice


class SignalMedia(FileMedia):
    """Multichannel time series stored as .npy (never unpickled)."""
    name = "tremor"
    suffixes = frozenset({".npy"})
    summary = "a multichannel signal"


def load_signal(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SampleInputError(f"{path}: not a .npy signal ({exc})") from None


class SignalPower(SampleMetric):
    """Mean power of a generated signal, scaled by a gain.

    **Meaning.** gain · mean(|x|^exponent) over all channels and samples; with an optional ``baseline`` signal,
    the same of the baseline subtracted.

    **Range and direction.** power in [0, ∞), no direction; difference in (-∞, ∞), no direction.

    **Needs.** A ``tremor`` output; optionally a ``baseline`` column holding another signal file.

    **Source.** A test plug-in.
    """

    spec = MetricSpec(
        name="signal_power",
        modality="tremor",
        scope="sample",
        outputs=(
            Output("power", higher_is_better=None, range=(0.0, float("inf"))),
            Output("difference", higher_is_better=None, range=(float("-inf"), float("inf"))),
        ),
        version="0.1",
        inputs=(Input("baseline", media="tremor", required=False),),
        summary="mean signal power",
        citation="test plug-in",
    )
    aliases = {"signal_energy": {"exponent": 2}}

    def __init__(self, gain=1.0, *, exponent: int = 2) -> None:
        self.gain = gain
        self.exponent = exponent

    def _power(self, path):
        x = load_signal(path)
        return SCALE * self.gain * float(np.mean(np.abs(x) ** self.exponent))

    def score(self, samples, context):
        scores = []
        for sample in samples:
            try:
                values = {"power": self._power(sample.path)}
                baseline = sample.value("baseline")
                if baseline is not None:
                    values["difference"] = values["power"] - self._power(baseline)
                scores.append(SampleScore(values=values))
            except SampleInputError as exc:
                scores.append(SampleScore.failed(exc))
        return scores
'''

ENTRY_POINTS = """
[emoeval.media]
tremor = sigplugin:SignalMedia

[emoeval.metrics]
signal_power = sigplugin:SignalPower

[emoeval.metrics.aliases]
signal_energy = sigplugin:SignalPower
"""


@pytest.fixture
def sigplugin(tmp_path, monkeypatch):
    root = tmp_path / "site"
    package = root / "sigplugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = root / "sigplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sigplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(root))
    sys.modules.pop("sigplugin", None)
    module = importlib.import_module("sigplugin")
    yield module
    sys.modules.pop("sigplugin", None)


def _signals(tmp_path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    folder = tmp_path / "signals"
    folder.mkdir(exist_ok=True)
    rows = []
    for system, scale in (("calm", 0.5), ("aroused", 2.0)):
        for i in range(4):
            path = folder / f"{system}_{i}.npy"
            np.save(path, rng.normal(scale=scale, size=(3, 256)))  # 3 channels × 256 samples
            baseline = folder / f"baseline_{i}.npy"
            np.save(baseline, rng.normal(scale=1.0, size=(3, 256)))
            rows.append(
                {
                    "sample_id": f"{system}/{i}",
                    "system": system,
                    "modality": "tremor",
                    "path": f"signals/{path.name}",
                    "baseline": f"signals/{baseline.name}",  # declared by the metric: read as a signal part
                    "group": str(i),
                }
            )
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)  # relative paths: resolved against the manifest's folder
    frame = pd.DataFrame(rows)
    for column in ("path", "baseline"):
        frame[column] = [str(tmp_path / value) for value in frame[column]]
    return frame  # the same samples with absolute paths, for the DataFrame API


def _power(table: pd.DataFrame, sample_id: str, sub_metric: str = "power") -> float:
    rows = table[(table.sample_id == sample_id) & (table.sub_metric == sub_metric)]
    return float(rows.value.item())


def test_a_plug_in_modality_and_metric_score_end_to_end(tmp_path, sigplugin):
    _signals(tmp_path)
    results = emoeval.score(tmp_path / "manifest.csv", metrics=["signal_power"], out=tmp_path / "out")
    table = results.table
    assert table.error.isna().all(), table.error.dropna().tolist()
    x = np.load(tmp_path / "signals" / "aroused_1.npy")
    base = np.load(tmp_path / "signals" / "baseline_1.npy")
    assert _power(table, "aroused/1") == pytest.approx(float(np.mean(x**2)))
    # the metric-specific column was resolved against the manifest's folder as a typed part, by declaration
    assert _power(table, "aroused/1", "difference") == pytest.approx(float(np.mean(x**2) - np.mean(base**2)))
    systems = results.systems().set_index(["system", "sub_metric"])
    assert systems.loc[("aroused", "power"), "value"] > systems.loc[("calm", "power"), "value"]
    assert set(table.params) == {json.dumps({"exponent": 2, "gain": 1.0}, sort_keys=True)}
    assert (
        table[table.sub_metric == "power"].headline.all() and not table[table.sub_metric == "difference"].headline.any()
    )
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["config"]["metrics"][0]["headline"] == "power"
    assert run["config"]["metrics"][0]["outputs"][1]["name"] == "difference"


def test_a_positional_and_a_keyword_parameter_both_change_values_and_never_serve_stale_ones(tmp_path, sigplugin):
    manifest = _signals(tmp_path)
    cache = tmp_path / "cache"
    plain = emoeval.score(manifest, metrics=[sigplugin.SignalPower()], cache_dir=cache).table
    gained = emoeval.score(manifest, metrics=[sigplugin.SignalPower(3.0)], cache_dir=cache).table  # positional
    squared = emoeval.score(manifest, metrics=[sigplugin.SignalPower(exponent=1)], cache_dir=cache).table
    assert _power(gained, "calm/0") == pytest.approx(3.0 * _power(plain, "calm/0"))
    x = np.load(tmp_path / "signals" / "calm_0.npy")
    assert _power(squared, "calm/0") == pytest.approx(float(np.mean(np.abs(x))))
    again = emoeval.score(manifest, metrics=[sigplugin.SignalPower(3.0)], cache_dir=cache)
    assert again.run["cache"]["score_hits"] == len(manifest)  # the cache is used, for the right parameters
    assert _power(again.table, "calm/0") == _power(gained, "calm/0")


def test_editing_a_metric_without_bumping_its_version_recomputes(tmp_path, sigplugin):
    manifest = _signals(tmp_path)
    cache = tmp_path / "cache"
    before = emoeval.score(manifest, metrics=["signal_power"], cache_dir=cache).table
    source = Path(sigplugin.__file__)
    source.write_text(source.read_text().replace("SCALE = 1.0", "SCALE = 10.0"))
    module = importlib.reload(sigplugin)
    after = emoeval.score(manifest, metrics=[module.SignalPower()], cache_dir=cache)
    assert after.run["cache"]["score_hits"] == 0
    assert _power(after.table, "calm/2") == pytest.approx(10.0 * _power(before, "calm/2"))


def test_files_named_in_a_declared_column_are_keyed_by_content(tmp_path, sigplugin):
    manifest = _signals(tmp_path)
    cache = tmp_path / "cache"
    first = emoeval.score(manifest, metrics=["signal_power"], cache_dir=cache).table
    np.save(tmp_path / "signals" / "baseline_0.npy", np.zeros((3, 256)))  # same path, new content
    second = emoeval.score(manifest, metrics=["signal_power"], cache_dir=cache).table
    assert _power(second, "calm/0", "difference") == pytest.approx(_power(second, "calm/0"))
    assert _power(first, "calm/0", "difference") != _power(second, "calm/0", "difference")


def test_the_plug_in_passes_the_conformance_kit(tmp_path, sigplugin):
    manifest = _signals(tmp_path)
    samples = emoeval.load_samples(tmp_path / "manifest.csv")
    report = check_metric(sigplugin.SignalPower, samples, alternatives={"gain": 2.5})
    assert "cache key changes with gain" in report.passed and "cache key changes with exponent" in report.passed
    assert "a missing or blank output is an error row naming the problem" in report.passed
    assert len(manifest) == 8


def test_the_conformance_kit_catches_a_parameter_that_is_not_kept(tmp_path, sigplugin):
    class Forgetful(sigplugin.SignalPower):
        def __init__(self, gain=1.0, *, exponent: int = 2) -> None:
            self._gain = gain  # not under its own name: would not enter the cache keys
            self.exponent = exponent
            self.gain = 1.0

    samples = emoeval.load_samples(_signals(tmp_path))
    with pytest.raises(AssertionError, match="cache key changes with gain: the key stayed the same"):
        check_metric(Forgetful, samples, alternatives={"gain": 2.5})


def test_an_old_name_builds_the_metric_it_now_is_and_warns(tmp_path, sigplugin):
    from emoeval.registry import metric_aliases, metric_names

    assert "signal_energy" not in metric_names() and metric_aliases()["signal_energy"].replacement == "signal_power"
    with pytest.warns(FutureWarning, match="'signal_energy' is deprecated.*use 'signal_power'"):
        table = emoeval.score(_signals(tmp_path), metrics=["signal_energy"]).table
    assert set(table.metric) == {"signal_power"}


def test_metric_labels_with_parameters_on_the_command_line_and_in_a_config_file(tmp_path, sigplugin):
    from click.testing import CliRunner

    from emoeval.cli import main

    _signals(tmp_path)
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        main,
        [
            "score",
            str(tmp_path / "manifest.csv"),
            "--metrics",
            "signal_power(gain=2.0, exponent=1)",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    table = emoeval.load_results(out).table
    x = np.load(tmp_path / "signals" / "calm_3.npy")
    assert _power(table, "calm/3") == pytest.approx(2.0 * float(np.mean(np.abs(x))))
    config = tmp_path / "emoeval.toml"
    config.write_text(
        'metrics = ["signal_power"]\nout = "from_config"\nn_bootstrap = 0\n\n[params.signal_power]\ngain = 4.0\n'
    )
    result = runner.invoke(main, ["score", str(tmp_path / "manifest.csv"), "--config", str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    from_config = emoeval.load_results(tmp_path / "from_config")
    assert _power(from_config.table, "calm/3") == pytest.approx(4.0 * float(np.mean(x**2)))
    assert from_config.systems().ci_low.isna().all()  # n_bootstrap = 0 from the file
    bad = runner.invoke(
        main, ["score", str(tmp_path / "manifest.csv"), "--metrics", "signal_power(gamma=1)", "--out", str(out)]
    )
    assert bad.exit_code == 1 and "unknown parameter(s) gamma; signal_power takes exponent, gain" in bad.output
    listing = runner.invoke(main, ["metrics", "signal_power"])
    assert "param gain: any (default 1.0)" in listing.output and "inputs: baseline:tremor (optional)" in listing.output


def test_a_model_parameter_accepts_only_models_of_its_role():
    from emoeval.metric_config import build_metric

    with pytest.raises(RunConfigError, match=r"recognizer='all-minilm-l6-v2' is not a registered .*recognizer"):
        build_metric("face_emotion_accuracy(recognizer=all-minilm-l6-v2)")


def test_parse_metric_lists_with_parameters():
    from emoeval.metric_config import parse_metric_label, split_top_level

    assert split_top_level("a(x=1, y=2),b") == ["a(x=1, y=2)", "b"]
    assert parse_metric_label('m(k="a, b", n=3, flag=true)') == ("m", {"k": "a, b", "n": 3, "flag": True})
    with pytest.raises(RunConfigError, match="given twice"):
        parse_metric_label("m(k=1, k=2)")


def test_a_warm_run_loads_no_model(tmp_path):
    from emoeval.demo import demo_manifest
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    metrics = ["face_identity_similarity", "text_coherence"]
    emoeval.score(demo_manifest(), metrics=metrics, cache_dir=tmp_path / "cache")
    pool = ModelPool(WeightStore(tmp_path / "models", allow_network=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing deprecated on the way
        again = emoeval.score(demo_manifest(), metrics=metrics, cache_dir=tmp_path / "cache", model_pool=pool)
    assert pool.loaded() == {}
    assert again.run["cache"]["score_hits"] > 0 and all(not m["loaded"] for m in again.run["models"])


def test_every_available_model_has_the_same_fingerprint_loaded_or_not():
    from emoeval.errors import WeightError
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore
    from emoeval.registry import reference_model_names

    checked = 0
    for name in reference_model_names():
        static = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))
        try:
            fingerprint = static.fingerprint(name)
        except WeightError:
            continue  # a hub model that is not here
        loaded = ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False)).get(name)
        assert loaded.fingerprint == fingerprint, name
        checked += 1
    assert checked >= 10
