"""End to end on real bundles (bench/signature_multimodal.py): London faces, EmoDB voices and MELD replies with
documented target emotions; the consistent system's groups (all happy, or all neutral) and the inconsistent one's
(a smile with a neutral or sad voice and neutral words) must separate in the ``consistent`` rate, and the two
manifest layouts (separate rows sharing a group, one multi-part row) must give the same values."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.shared_data]


def _builder():
    path = Path(__file__).resolve().parents[2] / "bench" / "signature_multimodal.py"
    spec = importlib.util.spec_from_file_location("signature_multimodal", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_consistent_and_inconsistent_bundles_separate(shared_data, tmp_path, readme_says):
    import emoeval

    builder = _builder()
    paths = builder.build(tmp_path, data=shared_data("faces_london").parent)
    table = emoeval.score(
        paths["manifest"],
        metrics=[builder.METRIC],
        emotion_reference=paths["emotion_reference"],
        progress=False,
        n_bootstrap=500,
    ).table
    rates = builder.system_rates(table)
    print("\n" + rates.to_string(index=False))
    value = rates.set_index(["system", "sub_metric"])
    for layout in ("", "_multipart"):
        good, bad = value.loc[(f"consistent{layout}", "consistent")], value.loc[(f"inconsistent{layout}", "consistent")]
        assert good["value"] > bad["value"]
        assert good["ci_low"] > bad["ci_high"]  # the bootstrap intervals do not overlap
        good_rate = value.loc[(f"consistent{layout}", "consistency_rate")]
        bad_rate = value.loc[(f"inconsistent{layout}", "consistency_rate")]
        assert good_rate["ci_low"] > bad_rate["ci_high"]  # nor do the Wilson intervals
    good, bad = value.loc[("consistent", "consistency_rate")], value.loc[("inconsistent", "consistency_rate")]
    readme_says(
        "consistency rate of\n  1.00 [0.72, 1.00]",
        f"consistency rate of {good['value']:.2f} [{good['ci_low']:.2f}, {good['ci_high']:.2f}]",
    )
    readme_says(
        "neutral words 0.00 [0.00, 0.28]",
        f"neutral words {bad['value']:.2f} [{bad['ci_low']:.2f}, {bad['ci_high']:.2f}]",
    )
    # both layouts: the same per-bundle values (bundle ids differ only by the system's suffix)
    samples = table[(table["scope"] == "sample") & table["error"].isna()].copy()
    samples["bundle"] = samples["sample_id"].str.replace("_multipart", "", regex=False)
    separate = samples[~samples["system"].str.endswith("_multipart")].set_index(["bundle", "sub_metric"])["value"]
    multipart = samples[samples["system"].str.endswith("_multipart")].set_index(["bundle", "sub_metric"])["value"]
    assert len(separate) == len(multipart) > 0
    assert separate.sort_index().tolist() == pytest.approx(multipart.sort_index().tolist(), abs=1e-12)
    # the sad voice is read as "boredom", which FER cannot say: its face–speech pairs are not scorable, not misses
    assert value.loc[("inconsistent", "agreement_face_speech"), "n"] == 5
