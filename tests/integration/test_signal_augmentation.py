"""The augmentation study (TSTR, gain curves, memorisation) on SIMULATED physiological recordings, through the same
API as the other modalities (``emoeval.augment`` with the signal default features, and ``emoeval augment``).

Real: 8 "rest" (calm) and 8 "arousal" (angry) recordings from neurokit2's models, two per simulated subject
(``group``). Synthetic: a *faithful* generator (new recordings of the intended condition), a *copying* one
(exact copies of real recordings) and a *collapsed* one (one 2-second excerpt repeated). A recognizer trained on
the faithful set and tested on real recordings beats chance; the copying set is flagged by memorisation, the
faithful one is not.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("neurokit2", reason="simulated recordings need neurokit2 (emoeval[signal])")

N = 8  # real recordings per condition
N_SYNTHETIC = 6
DURATION = 60


def _registered(name: str) -> bool:
    from emoeval.registry import reference_model_names

    return name in reference_model_names()


pytestmark = pytest.mark.skipif(
    not _registered("signal-descriptors-peripheral"), reason="signal-descriptors-peripheral is not registered"
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The sets, their manifests and one study over them (shared by the module)."""
    import emoeval
    from emoeval.simulated_signals import CONDITION_EMOTION, condition_set, copies, distort, write_set

    base = tmp_path_factory.mktemp("signal-augment")
    real_frames, faithful_frames, copy_frames, collapsed_frames = [], [], [], []
    for condition, seed in (("rest", 10), ("arousal", 20)):
        emotion = CONDITION_EMOTION[condition]
        real = condition_set(condition, N, seed=seed, duration=DURATION)
        rows = write_set(base / "real", real, system="real", emotions=[emotion] * N, prefix=condition)
        rows["group"] = [f"subject{i}" for i in range(N)]
        real_frames.append(rows)
        fresh = condition_set(condition, N_SYNTHETIC, seed=seed + 500, duration=DURATION)
        faithful_frames.append(
            write_set(
                base / "faithful",
                fresh,
                system="faithful",
                emotions=[emotion] * N_SYNTHETIC,
                prefix=f"faithful-{condition}",
            )
        )
        copied = copies(real[:N_SYNTHETIC])
        copy_frames.append(
            write_set(
                base / "copies", copied, system="copies", emotions=[emotion] * N_SYNTHETIC, prefix=f"copies-{condition}"
            )
        )
        flat = [distort(signal, "collapsed") for signal in fresh]
        collapsed_frames.append(
            write_set(
                base / "collapsed",
                flat,
                system="collapsed",
                emotions=[emotion] * N_SYNTHETIC,
                prefix=f"collapsed-{condition}",
            )
        )
    real_csv = base / "real.csv"
    pd.concat(real_frames, ignore_index=True).to_csv(real_csv, index=False)
    synthetic_csv = base / "synthetic.csv"
    pd.concat([*faithful_frames, *copy_frames, *collapsed_frames], ignore_index=True).to_csv(synthetic_csv, index=False)
    results = emoeval.augment(
        real_csv,
        [synthetic_csv],
        out=base / "study",
        n_splits=6,
        real_fractions=(0.5, 1.0),
        ratios=(1.0,),
        n_bootstrap=100,
        cache_dir=base / "cache",
        progress=False,
    )
    return {"base": base, "real": real_csv, "synthetic": synthetic_csv, "results": results}


def rows_of(table, metric, sub_metric, system, label=None):
    rows = table[(table["metric"].str.split("(").str[0] == metric) & (table["sub_metric"] == sub_metric)]
    rows = rows[(rows["system"] == system) & (rows["scope"] == "system")]
    if label is not None:
        rows = rows[rows["label"] == label]
    return rows


def test_the_study_uses_the_signal_descriptors_by_default(study):
    results = study["results"]
    assert results.run["config"]["augmentation"]["features"] == ["signal-descriptors-peripheral"]
    assert results.run["inputs"]["modality"] == "signal"
    errors = results.table[results.table["error"].notna()]
    assert errors.empty, errors[["system", "sample_id", "error"]].head().to_dict("records")


def test_tstr_on_the_faithful_generator_beats_chance(study):
    table = study["results"].table
    tstr = rows_of(table, "augmentation_protocol", "accuracy", "faithful", label="TSTR")
    trtr = rows_of(table, "augmentation_protocol", "accuracy", "real", label="TRTR")
    assert len(tstr) == 1 and len(trtr) == 1
    value, low = float(tstr["value"].iloc[0]), float(tstr["ci_low"].iloc[0])
    high, real = float(tstr["ci_high"].iloc[0]), float(trtr["value"].iloc[0])
    print(f"\nTSTR accuracy {value:.3f} [{low:.3f}, {high:.3f}]; TRTR {real:.3f}")
    assert value >= 0.85 and low > 0.5  # two balanced classes: chance is 0.5
    gain = rows_of(table, "augmentation_gain", "accuracy_gain", "faithful")
    assert len(gain) >= 1 and gain["value"].notna().all()


def test_memorisation_flags_the_copies_and_not_the_faithful_generator(study):
    table = study["results"].table
    flagged = {
        system: float(rows_of(table, "augmentation_memorisation", "share_flagged", system)["value"].iloc[0])
        for system in ("faithful", "copies", "collapsed")
    }
    exact = float(rows_of(table, "augmentation_memorisation", "exact_duplicates", "copies")["value"].iloc[0])
    print(f"\nshare flagged: {flagged}; exact duplicates among copies {exact:.0f}")
    assert exact == 2 * N_SYNTHETIC and flagged["copies"] == 1.0
    assert flagged["faithful"] < flagged["copies"]
    assert float(rows_of(table, "augmentation_memorisation", "exact_duplicates", "faithful")["value"].iloc[0]) == 0


def test_the_study_report_draws_the_flagged_copies_beside_their_real_recordings(study, tmp_path):
    import base64
    import re

    import emoeval

    written = emoeval.report(study["base"] / "study", tmp_path / "report.html")
    page = written.html.read_text(encoding="utf-8")
    drawings = re.findall(r'<img class="signal" src="(data:image/svg\+xml;base64,[^"]+)"', page)
    assert drawings, "no signal drawing in the flagged-samples gallery"
    svg = base64.b64decode(drawings[0].partition(",")[2]).decode("utf-8")
    assert "ECG · ecg" in svg and "EDA · eda" in svg and "RSP · rsp" in svg
    assert "first 10.0 s of 60.0 s" in page


def test_the_cli_runs_the_same_study(study, tmp_path):
    from click.testing import CliRunner

    from emoeval.cli import main

    out = tmp_path / "cli-study"
    args = ["augment", str(study["real"]), str(study["synthetic"]), "--out", str(out), "--n-splits", "3"]
    result = CliRunner().invoke(main, [*args, "--real-fractions", "1", "--ratios", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "results.parquet")
    assert set(table["system"]) >= {"real", "faithful", "copies", "collapsed"}
