"""Speech over-smoothing on real speech (../shared/data; skipped when it is absent).

EmoDB's 20 recordings, resynthesised with WORLD with and without smoothing log F0 and the spectral envelope over
250 ms (``bench/signature_speech.py``): the smoothed copies lose global variance, F0 range and arousal, the plain
copies (the vocoder alone) do not; Emo-StarGAN's conversions keep more of their sources' F0 variance than the
StarGANv2-VC baseline's. Values are checked against a direct computation from the features.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.shared_data
BENCH = Path(__file__).resolve().parents[2] / "bench" / "signature_speech.py"


def _bench():
    spec = importlib.util.spec_from_file_location("signature_speech", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pool():
    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    return ModelPool(WeightStore(Path("/nonexistent-models"), allow_network=False))


@pytest.fixture(scope="module")
def speech_sets(tmp_path_factory, pool):
    pytest.importorskip("pyworld", reason="WORLD analysis")
    pytest.importorskip("faster_whisper", reason="the speech probe (arousal) needs the Whisper encoder")
    import emoeval

    bench = _bench()
    if not (bench.DEFAULT_DATA / "speech_emodb").is_dir():
        pytest.skip(f"{bench.DEFAULT_DATA} is absent: the shared real-data folder sits beside the repository")
    manifest = bench.build(tmp_path_factory.mktemp("signature-speech"))
    frame = pd.read_csv(manifest, dtype=str)
    emodb = frame[frame["system"].isin(["original", "world_copy", "world_smoothed"])]
    # the originals once more as a scored system: real speech against itself
    again = frame[frame["system"] == "original"].assign(system="original_again")
    again["sample_id"] = "again/" + again["sample_id"]
    emodb = pd.concat([emodb, again])
    emodb_manifest = manifest.parent / "emodb.csv"
    emodb.drop(columns=["reference"]).to_csv(emodb_manifest, index=False)
    table = emoeval.score(
        emodb_manifest,
        metrics=["speech_smoothing", "speech_emotion_intensity"],
        real_system="original",
        emotion_reference=bench.DEFAULT_DATA / "speech_emodb" / "labels.csv",
        progress=False,
        use_cache=False,
        n_bootstrap=500,
        model_pool=pool,
    ).table
    conversions = frame[frame["system"].isin(["emo_stargan", "stargan_v2_vc"])]
    conversions_manifest = manifest.parent / "conversions.csv"
    conversions.to_csv(conversions_manifest, index=False)
    converted = emoeval.score(
        conversions_manifest, metrics=["speech_smoothing"], progress=False, use_cache=False, n_bootstrap=500,
        model_pool=pool,
    ).table  # fmt: skip
    return manifest, table, converted


def _values(table: pd.DataFrame, system: str) -> pd.DataFrame:
    rows = table[
        (table["scope"] == "system")
        & (table["metric"] == "speech_smoothing")
        & (table["system"] == system)
        & table["target_emotion"].isna()
    ]
    return rows.set_index("sub_metric")[["value", "ci_low", "ci_high"]]


def test_smoothed_speech_loses_variance_and_the_vocoder_alone_does_not(speech_sets, readme_says):
    from emoeval.signatures import SPEECH_SMOOTHED_BELOW

    _, table, _ = speech_sets
    for system in ("original_again", "world_copy", "world_smoothed"):
        shown = "  ".join(
            f"{k} {v.value:.3f} [{v.ci_low:.3f}, {v.ci_high:.3f}]" for k, v in _values(table, system).iterrows()
        )
        print(f"\n{system}: {shown}")
    original, copy, smoothed = (_values(table, s) for s in ("original_again", "world_copy", "world_smoothed"))
    np.testing.assert_allclose(
        original.loc[["gv_ratio_f0", "gv_ratio_energy", "gv_ratio_mcep", "f0_range_ratio"], "value"], 1.0
    )
    assert original.loc["ms_distance_db", "value"] == pytest.approx(0.0, abs=1e-9)
    for name in ("gv_ratio_f0", "gv_ratio_energy", "gv_ratio_mcep", "f0_range_ratio"):
        assert smoothed.loc[name, "value"] < 1.0
        assert smoothed.loc[name, "value"] < copy.loc[name, "value"]  # the smoothing, not the vocoder
    for name in ("gv_ratio_energy", "gv_ratio_mcep"):
        assert smoothed.loc[name, "ci_high"] < SPEECH_SMOOTHED_BELOW  # flagged
        assert copy.loc[name, "ci_low"] > SPEECH_SMOOTHED_BELOW  # analysis-resynthesis alone is not
    assert smoothed.loc["ms_distance_db", "ci_low"] > copy.loc["ms_distance_db", "ci_high"]
    mcep, value = smoothed.loc["gv_ratio_mcep"], smoothed["value"]
    readme_says(
        "mel-cepstral GV\n  ratio 0.36 [0.35, 0.37], energy 0.56, F0 0.81 against the originals "
        "(WORLD resynthesis alone: 1.02, 1.19, 1.10)",
        f"mel-cepstral GV ratio {mcep.value:.2f} [{mcep.ci_low:.2f}, {mcep.ci_high:.2f}], energy "
        f"{value['gv_ratio_energy']:.2f}, F0 {value['gv_ratio_f0']:.2f} against the originals "
        "(WORLD resynthesis alone: "
        f"{copy.loc['gv_ratio_mcep', 'value']:.2f}, {copy.loc['gv_ratio_energy', 'value']:.2f}, "
        f"{copy.loc['gv_ratio_f0', 'value']:.2f})",
    )


def test_the_headline_equals_a_direct_computation_from_the_features(speech_sets, pool):
    from emoeval.media.audio import load_audio
    from emoeval.reference_models.speech_smoothing import block, smoothing_features

    manifest, table, _ = speech_sets
    frame = pd.read_csv(manifest, dtype=str)
    features = {
        system: np.stack([smoothing_features(load_audio(p, target_rate=16000)) for p in own["path"]])
        for system, own in frame[frame["system"].isin(["original", "world_smoothed"])].groupby("system")
    }
    emotions = frame[frame["system"] == "original"]["target_emotion"].to_numpy()
    # each recording against the mean of the originals of its own emotion (every emotion is in the reference)
    matched = np.stack([block(features["original"][emotions == e], "gv_logf0").mean() for e in emotions])
    expected = block(features["world_smoothed"], "gv_logf0").mean() / matched.mean()
    assert _values(table, "world_smoothed").loc["gv_ratio_f0", "value"] == pytest.approx(expected, rel=1e-6)


def test_smoothed_speech_has_less_arousal_than_the_original(speech_sets, readme_says):
    _, table, _ = speech_sets
    proxy = table[
        (table["metric"] == "speech_emotion_intensity")
        & (table["sub_metric"] == "arousal_proxy")
        & (table["scope"] == "sample")
        & table["error"].isna()
    ]
    by_clip = proxy.pivot_table(index="group", columns="system", values="value")
    lower = (by_clip["world_smoothed"] < by_clip["original"]).mean()
    print(f"\narousal proxy: smoothed below its original for {lower:.0%} of {len(by_clip)} clips; means "
          f"{by_clip.mean().round(3).to_dict()}")  # fmt: skip
    assert lower >= 0.75
    below = int((by_clip["world_smoothed"] < by_clip["original"]).sum())
    readme_says("for 19 of 20 clips", f"for {below} of {len(by_clip)} clips")
    assert by_clip["world_smoothed"].mean() < by_clip["world_copy"].mean()


def test_emo_stargan_keeps_more_f0_variance_than_the_baseline(speech_sets, readme_says):
    _, _, converted = speech_sets
    emo, baseline = _values(converted, "emo_stargan"), _values(converted, "stargan_v2_vc")
    for system, values in (("emo_stargan", emo), ("stargan_v2_vc", baseline)):
        shown = "  ".join(f"{k} {v.value:.3f} [{v.ci_low:.3f}, {v.ci_high:.3f}]" for k, v in values.iterrows())
        print(f"\n{system} against its sources: {shown}")
    assert baseline.loc["gv_ratio_f0", "value"] < emo.loc["gv_ratio_f0", "value"]
    ours, theirs = emo.loc["gv_ratio_f0", "value"], baseline.loc["gv_ratio_f0", "value"]
    readme_says(
        "Emo-StarGAN's conversions keep an F0 GV ratio of 0.86\n  against their sources, "
        "the StarGANv2-VC baseline's 0.35",
        f"Emo-StarGAN's conversions keep an F0 GV ratio of {ours:.2f} against their sources, the StarGANv2-VC "
        f"baseline's {theirs:.2f}",
    )
