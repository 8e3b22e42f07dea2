"""The augmentation study layer (metrics/augmentation: study.py rows, run.py run record, the CLI) without real
models: a fake scoring context hands out numpy feature vectors looked up by the sample's text, so every number
depends on known Gaussian clusters (one centre per emotion, a small offset per group) and nothing is downloaded.

What is checked: the row schema (every column of :data:`emoeval.results.RESULT_COLUMNS`, provenance on every row),
error rows instead of crashes (a sample whose features fail, an unlabelled one), the clear error for a real set
without groups, zero coverage of an emotion a synthetic set lacks, near-copies flagged and fresh samples not, a
rare real emotion that must not stop the study, one TSTR and one cross-domain value recomputed with scikit-learn
from the same features, spreadsheet-safe CSV, and ``emoeval augment`` end to end with the test plug-in's
``fake-embedder`` (tests/conftest.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from emoeval.errors import RunConfigError, SampleInputError

EMOTIONS = ("angry", "happy", "sad")
D = 8
N_GROUPS = 8
N_SPLITS = 4
SEED = 0
#: a registered feature model's name (the registry is checked); the fake context never loads it
FEATURES = "all-minilm-l6-v2"
FAKE_SHA = "a" * 64
BROKEN = "BROKEN FILE"


class FakePool:
    """What run.py asks a model pool: fingerprint, card, weight hash, and the models used (none: no run record)."""

    def fingerprint(self, name: str) -> str:
        return "f" * 64

    def card(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(name=name, version="fake-1")

    def weights_sha256(self, name: str) -> str:
        return FAKE_SHA

    def used(self) -> list[str]:
        return []

    def loaded(self) -> list[str]:
        return []


class FakeContext:
    """``outputs(model, items)``: the vector stored for each item (the sample's text); ``BROKEN`` fails like an
    undecodable file does (a :class:`SampleInputError` in its place)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors
        self.pool = FakePool()
        self.calls: list[int] = []

    def outputs(self, model: str, items: list[Any]) -> list[np.ndarray | SampleInputError]:
        self.calls.append(len(items))
        return [
            SampleInputError(f"{item}: cannot decode") if item == BROKEN else self.vectors[str(item)].copy()
            for item in items
        ]


def _manifest(system: str, rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """A text manifest: (text, emotion, group) per row; the text is the sample's key into the fake features."""
    return pd.DataFrame(
        {
            "sample_id": [f"{system}/{i}" for i in range(len(rows))],
            "system": system,
            "modality": "text",
            "text": [text for text, _, _ in rows],
            "target_emotion": [emotion for _, emotion, _ in rows],
            "group": [group for _, _, group in rows],
        }
    )


def make_sets(seed: int = 1) -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Features (text → vector) and manifests of the real set, four synthetic sets and a cross-domain corpus.

    - ``real``: 8 groups × 3 emotions × 3 items (emotion centre + group offset + unit noise);
    - ``fresh``: new draws of the same distribution (10 per emotion), plus one sample whose features fail and one
      without an emotion;
    - ``copy``: 24 real items + 1e-6 noise (near-copies), and one with the very text of a real item (exact copy);
    - ``no_angry``: fresh happy and sad samples only;
    - ``other`` (cross-domain): 6 groups drawn around shifted centres, with a ``calm`` emotion the real set lacks.
    """
    rng = np.random.default_rng(seed)
    centres = {e: 2.5 * np.eye(D)[i] for i, e in enumerate(EMOTIONS)}
    vectors: dict[str, np.ndarray] = {}

    def draw(key: str, centre: np.ndarray, offset: np.ndarray) -> str:
        vectors[key] = centre + offset + rng.normal(0.0, 1.0, D)
        return key

    real = []
    for g in range(N_GROUPS):
        offset = rng.normal(0.0, 0.3, D)
        for emotion in EMOTIONS:
            real += [(draw(f"real {g} {emotion} {i}", centres[emotion], offset), emotion, f"g{g}") for i in range(3)]
    fresh = [(draw(f"fresh {e} {i}", centres[e], 0.0), e, None) for e in EMOTIONS for i in range(10)]
    fresh += [(BROKEN, "happy", None), ("fresh unlabelled", None, None)]
    vectors["fresh unlabelled"] = centres["happy"].copy()
    copy = []
    for i, (text, emotion, group) in enumerate(real[:24]):
        vectors[f"copy {i}"] = vectors[text] + rng.normal(0.0, 1e-6, D)
        copy.append((f"copy {i}", emotion, group))
    copy.append((real[30][0], real[30][1], real[30][2]))  # the same text as a real sample: an exact copy
    no_angry = [(draw(f"no_angry {e} {i}", centres[e], 0.0), e, None) for e in ("happy", "sad") for i in range(10)]
    shift = np.full(D, 0.7)
    other = []
    for g in range(6):
        for emotion in (*EMOTIONS, "calm"):
            centre = centres.get(emotion, -2.5 * np.ones(D) / math.sqrt(D))
            other += [(draw(f"other {g} {emotion} {i}", centre + shift, 0.0), emotion, f"o{g}") for i in range(3)]
    manifests = {
        "real": _manifest("real", real),
        "fresh": _manifest("fresh", fresh),
        "copy": _manifest("copy", copy),
        "no_angry": _manifest("no_angry", no_angry),
        "other": _manifest("other", other),
    }
    return vectors, manifests


def run(context: FakeContext, real: Any, synthetic: Any, out: Path | None = None, **options: Any):
    from emoeval.metrics.augmentation.run import run_augmentation

    settings: dict[str, Any] = dict(
        out=out,
        features=FEATURES,
        group_by="group",
        learners=("logistic",),
        real_fractions=(0.5, 1.0),
        ratios=(1.0,),
        cross_domain=None,
        label_set=None,
        n_splits=N_SPLITS,
        test_size=0.25,
        n_bootstrap=50,
        confidence=0.95,
        seed=SEED,
        memorisation_quantile=0.05,
        near_duplicate_bits=8,
        real_name="real",
        overwrite=False,
        progress=False,
    )
    settings.update(options)
    return run_augmentation(context, real, synthetic, **settings)


@pytest.fixture(scope="module")
def sets() -> tuple[dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    return make_sets()


@pytest.fixture(scope="module")
def study(sets, tmp_path_factory: pytest.TempPathFactory):
    vectors, manifests = sets
    out = tmp_path_factory.mktemp("augment-study") / "study"
    results = run(
        FakeContext(vectors),
        manifests["real"],
        {name: manifests[name] for name in ("fresh", "copy", "no_angry")},
        out=out,
        cross_domain={"other": manifests["other"]},
    )
    return results, out


def base(table: pd.DataFrame) -> pd.Series:
    return table["metric"].str.split("(", n=1).str[0]


def one(table: pd.DataFrame, metric: str, system: str, sub_metric: str, **where: Any) -> pd.Series:
    found = table[(base(table) == metric) & (table["system"] == system) & (table["sub_metric"] == sub_metric)]
    for column, value in where.items():
        found = found[found[column].isna()] if value is None else found[found[column] == value]
    assert len(found) == 1, (metric, system, sub_metric, where, len(found))
    return found.iloc[0]


def test_every_row_has_the_standard_columns_and_provenance(study):
    from emoeval import augmentation_rows as names
    from emoeval.results import RESULT_COLUMNS
    from emoeval.version import __version__

    results, out = study
    table = results.table
    assert tuple(table.columns) == RESULT_COLUMNS
    expected = {names.PROTOCOL, names.GAIN, names.EFFICIENCY, names.CROSS_DOMAIN, names.FIDELITY, names.LABEL_NOISE}
    assert set(base(table)) == expected | {names.CLASS_BALANCE, names.MEMORISATION, names.FEATURES}
    for column in ("run_id", "system", "scope", "statistic", "metric", "sub_metric", "metric_version", "params"):
        assert table[column].notna().all(), column
    assert table["run_id"].nunique() == 1 and table["run_id"].iloc[0] == results.run_id
    assert table["config_hash"].nunique() == 1 and table["config_hash"].iloc[0] == results.run["config_hash"]
    assert (table["emoeval_version"] == __version__).all() and (table["created_at"] == results.run["created_at"]).all()
    assert (table["model"] == f"{FEATURES}@fake-1").all() and (table["model_sha256"] == FAKE_SHA).all()
    assert set(table["scope"]) == {"system", "sample"}
    params = [json.loads(p) for p in table["params"]]
    assert all(p["features"] == FEATURES for p in params)
    # the metric label names the settings that differ from the defaults (real_fraction/ratio of a gain cell)
    gain = table[base(table) == names.GAIN]
    assert set(gain["metric"]) == {
        f"{names.GAIN}(features={FEATURES}, real_fraction={f}, ratio=1)" for f in ("0.5", "1")
    }
    # headline rows: one value a system is summarised by, never an error row
    assert not table[table["headline"].fillna(False)]["error"].notna().any()
    # the folder holds the table and the run record, which reads back equal
    from emoeval.results import load_results

    again = load_results(out)
    assert again.run["kind"] == "augmentation" and again.run["run_id"] == results.run_id
    pd.testing.assert_frame_equal(again.table.reset_index(drop=True), table.reset_index(drop=True))
    sets = results.run["inputs"]["sets"]
    assert sets["real"] == {"role": "real", "n_samples": 72, "n_used": 72, "emotions": dict.fromkeys(EMOTIONS, 24)}
    assert sets["fresh"]["n_samples"] == 32 and sets["fresh"]["n_used"] == 30
    assert sets["other"]["role"] == "cross_domain"


def test_a_sample_whose_features_fail_is_an_error_row_and_the_run_goes_on(study, sets):
    table = study[0].table
    _, manifests = sets
    errors = table[table["error"].notna()]
    broken = manifests["fresh"].loc[manifests["fresh"]["text"] == BROKEN, "sample_id"].item()
    row = one(errors, "augmentation_features", "fresh", "features", sample_id=broken)
    assert "cannot decode" in row["error"] and FEATURES in row["error"] and row["scope"] == "sample"
    assert math.isnan(row["value"])
    # the rest of the set is studied: TSTR over the 30 usable samples
    tstr = one(table, "augmentation_protocol", "fresh", "balanced_accuracy", label="TSTR", target_emotion=None)
    assert "30 train" in tstr["warning"]


def test_an_unlabelled_sample_is_an_error_row(study, sets):
    table = study[0].table
    _, manifests = sets
    unlabelled = manifests["fresh"].loc[manifests["fresh"]["text"] == "fresh unlabelled", "sample_id"].item()
    row = one(table, "augmentation_features", "fresh", "features", sample_id=unlabelled)
    assert "no target_emotion" in row["error"]
    assert set(table.loc[table["error"].notna(), "sample_id"]) == {
        unlabelled,
        manifests["fresh"].loc[manifests["fresh"]["text"] == BROKEN, "sample_id"].item(),
    }


@pytest.mark.parametrize("group_by", ["group", "speaker"])
def test_a_real_set_without_groups_is_an_error_naming_the_column(sets, group_by):
    vectors, manifests = sets
    real = manifests["real"].drop(columns="group")
    context = FakeContext(vectors)
    with pytest.raises(RunConfigError, match=rf"no '{group_by}' values.*group_by='sample_id'"):
        run(context, real, {"fresh": manifests["fresh"]}, group_by=group_by)
    assert context.calls == []  # refused before any feature is computed


def test_a_missing_emotion_has_zero_coverage(study):
    table = study[0].table
    coverage = one(table, "augmentation_fidelity", "no_angry", "coverage", target_emotion="angry")
    assert coverage["value"] == 0.0 and coverage["n"] == 0 and "nothing generated" in coverage["warning"]
    assert one(table, "augmentation_fidelity", "no_angry", "recall", target_emotion="angry")["value"] == 0.0
    for emotion in ("happy", "sad"):
        assert one(table, "augmentation_fidelity", "no_angry", "coverage", target_emotion=emotion)["value"] > 0.3
    assert one(table, "augmentation_class_balance", "no_angry", "count", target_emotion="angry")["value"] == 0
    assert math.isinf(one(table, "augmentation_class_balance", "no_angry", "imbalance_ratio")["value"])
    # TSTR is still measured (two emotions), and can never recall the emotion it never saw
    recall = one(table, "augmentation_protocol", "no_angry", "recall", label="TSTR", target_emotion="angry")
    assert recall["value"] == 0.0


def test_near_copies_are_flagged_and_fresh_samples_are_not(study, sets):
    table = study[0].table
    _, manifests = sets
    copy = one(table, "augmentation_memorisation", "copy", "share_flagged")
    fresh = one(table, "augmentation_memorisation", "fresh", "share_flagged")
    assert copy["value"] == 1.0 and copy["n"] == 25 and copy["ci_low"] > 0.8
    assert fresh["value"] <= 0.15 and fresh["ci_low"] < 0.05, fresh[["value", "ci_low"]]
    labels = table[(base(table) == "augmentation_memorisation") & (table["system"] == "copy")]
    labels = labels[labels["sub_metric"] == "dcr"].set_index("sample_id")["label"]
    exact = manifests["copy"]["sample_id"].iloc[-1]
    assert labels[exact] == "exact-copy" and (labels.drop(exact) == "near-copy").all()
    assert one(table, "augmentation_memorisation", "copy", "exact_duplicates")["value"] == 1.0
    assert one(table, "augmentation_memorisation", "copy", "median_dcr_ratio")["value"] < 1e-4
    assert 0.5 < one(table, "augmentation_memorisation", "fresh", "median_dcr_ratio")["value"] < 2.0
    # each flagged row names the real sample it copies: near-copy i of real item i
    rows = table[(base(table) == "augmentation_memorisation") & (table["sub_metric"] == "dcr")]
    first = rows[(rows["system"] == "copy") & (rows["sample_id"] == "copy/0")].iloc[0]
    assert first["warning"] == "nearest real sample: real/0"
    # text has no perceptual hash: reported as not computed rather than as zero
    near = one(table, "augmentation_memorisation", "copy", "near_duplicates")
    assert math.isnan(near["value"]) and "images only" in near["warning"]


def _sklearn_probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000))


def test_tstr_and_cross_domain_equal_direct_sklearn_computations(study, sets):
    from sklearn.metrics import balanced_accuracy_score, f1_score
    from sklearn.model_selection import GroupShuffleSplit

    table = study[0].table
    vectors, manifests = sets
    real = manifests["real"]
    x_real = np.stack([vectors[t] for t in real["text"]])
    fresh = manifests["fresh"][~manifests["fresh"]["text"].isin([BROKEN, "fresh unlabelled"])]
    x_fresh = np.stack([vectors[t] for t in fresh["text"]])
    codes = np.unique(real["group"].astype(str), return_inverse=True)[1]
    splits = GroupShuffleSplit(n_splits=N_SPLITS, test_size=0.25, random_state=SEED).split(x_real, groups=codes)
    synthetic_model = _sklearn_probe().fit(x_fresh, fresh["target_emotion"])  # TSTR trains on the synthetic set only
    values = []
    for train, test in splits:
        assert not set(real["group"].iloc[train]) & set(real["group"].iloc[test])
        predicted = synthetic_model.predict(x_real[test])
        values.append(balanced_accuracy_score(real["target_emotion"].iloc[test], predicted))
    found = one(table, "augmentation_protocol", "fresh", "balanced_accuracy", label="TSTR", target_emotion=None)
    assert found["value"] == pytest.approx(float(np.mean(values)), abs=1e-12) and found["n"] == N_SPLITS

    # cross-domain, source only: fitted on the whole real set, scored on every target item of a real emotion
    other = manifests["other"]
    kept = other[other["target_emotion"].isin(EMOTIONS)]
    source = _sklearn_probe().fit(x_real, real["target_emotion"])
    predicted = source.predict(np.stack([vectors[t] for t in kept["text"]]))
    expected = f1_score(kept["target_emotion"], predicted, average="macro", zero_division=0)
    row = one(table, "augmentation_cross_domain", "fresh", "macro_f1_source_only", target_emotion=None)
    assert row["value"] == pytest.approx(expected, abs=1e-12) and row["n"] == len(kept) and row["label"] == "other"
    for quantity in ("augmented", "gain", "in_domain", "gap", "gap_closed", "gain_p_value"):
        one(table, "augmentation_cross_domain", "fresh", f"balanced_accuracy_{quantity}", target_emotion=None)
    n_calm = int((other["target_emotion"] == "calm").sum())
    assert (
        f"other: {n_calm} item(s) with emotions the real set lacks were left out of the cross-domain test"
        in (study[0].run["notes"])
    )


def test_a_rare_real_emotion_does_not_stop_the_study(sets):
    # Regression: an emotion with prdc_k (5) or fewer real samples made per_class_fidelity raise after every other
    # part of the study had run — EmoDB's 20 clips (2-4 per emotion) could not be studied at all. Its fidelity rows
    # are now NaN with a warning and a run note; the other emotions are measured as before.
    vectors, manifests = sets
    real = manifests["real"]
    rare = real[real["target_emotion"] == "angry"].index[4:]  # keep 4 angry samples of 24
    results = run(FakeContext(vectors), real.drop(index=rare), {"fresh": manifests["fresh"]})
    table = results.table
    fidelity = table[(base(table) == "augmentation_fidelity") & (table["target_emotion"] == "angry")]
    assert len(fidelity) == 7 and fidelity["value"].isna().all()
    assert fidelity["warning"].str.contains("4 real samples of 'angry'; per-class fidelity needs more than k=5").all()
    assert one(table, "augmentation_fidelity", "fresh", "coverage", target_emotion="happy")["value"] > 0.3
    assert (
        "fresh: no per-class fidelity (NaN rows) for emotions with k=5 or fewer real samples (angry 4)"
        in (results.run["notes"])
    )
    # and the same numbers for the measured emotions as a study of the real set without the rare emotion
    from emoeval.functional.augmentation import per_class_fidelity

    kept = real.drop(index=real[real["target_emotion"] == "angry"].index)
    fresh = manifests["fresh"][~manifests["fresh"]["text"].isin([BROKEN, "fresh unlabelled"])]
    expected = per_class_fidelity(
        np.stack([vectors[t] for t in kept["text"]]),
        kept["target_emotion"].to_numpy(),
        np.stack([vectors[t] for t in fresh["text"]]),
        fresh["target_emotion"].to_numpy(),
    )
    for entry in expected:
        found = one(table, "augmentation_fidelity", "fresh", entry["metric"], target_emotion=entry["emotion"])
        assert found["value"] == pytest.approx(entry["value"], abs=1e-12, nan_ok=True)


def test_trts_leaves_out_emotions_the_real_set_lacks(sets):
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupShuffleSplit

    vectors, manifests = sets
    rng = np.random.default_rng(5)
    fresh = manifests["fresh"][~manifests["fresh"]["text"].isin([BROKEN, "fresh unlabelled"])]
    extra = []
    for i in range(10):
        vectors[f"surprise {i}"] = rng.normal(0.0, 1.0, D) - 2.5
        extra.append((f"surprise {i}", "surprise", None))
    synthetic = pd.concat([fresh, _manifest("fresh", extra).assign(sample_id=lambda f: "s/" + f["sample_id"])])
    results = run(FakeContext(vectors), manifests["real"], {"fresh": synthetic})
    assert any("['surprise'] are not in the real set" in note for note in results.run["notes"])
    real = manifests["real"]
    x_real = np.stack([vectors[t] for t in real["text"]])
    codes = np.unique(real["group"].astype(str), return_inverse=True)[1]
    values = []
    for train, _ in GroupShuffleSplit(n_splits=N_SPLITS, test_size=0.25, random_state=SEED).split(x_real, groups=codes):
        model = _sklearn_probe().fit(x_real[train], real["target_emotion"].iloc[train])
        values.append(
            balanced_accuracy_score(
                fresh["target_emotion"], model.predict(np.stack([vectors[t] for t in fresh["text"]]))
            )
        )
    found = one(results.table, "augmentation_protocol", "fresh", "balanced_accuracy", label="TRTS", target_emotion=None)
    assert found["value"] == pytest.approx(float(np.mean(values)), abs=1e-12)


def test_cli_prints_the_overview_and_writes_spreadsheet_safe_results(plugin, tmp_path):
    """``emoeval augment`` end to end with the test plug-in's ``fake-embedder`` (features: [byte length, byte sum
    mod 97] of a file): emotions differ in file length, so the recogniser has something to learn; a synthetic set
    named like a spreadsheet formula must reach results.csv neutralised and results.parquet unchanged."""
    from click.testing import CliRunner

    from emoeval.cli import main

    rng = np.random.default_rng(3)
    length = {"happy": 200, "sad": 600}

    def write(folder: Path, name: str, emotion: str) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        path.write_bytes(rng.integers(0, 256, length[emotion] + int(rng.integers(0, 80)), dtype=np.uint8).tobytes())
        return str(path)

    real_rows, synthetic_rows = [], []
    for g in range(6):
        for emotion in length:
            for i in range(6):
                sample_id = f"r{g}-{emotion}-{i}"
                path = write(tmp_path / "real", sample_id, emotion)
                real_rows.append(dict(sample_id=sample_id, path=path, target_emotion=emotion, speaker=f"s{g}"))
    formula = '=HYPERLINK("http://example.invalid")'
    for system in ("generator", formula):
        for emotion in length:
            for i in range(8):
                sample_id = f"{system}/{emotion}-{i}"
                path = write(tmp_path / f"synth{len(synthetic_rows) // 16}", f"{emotion}-{i}", emotion)
                synthetic_rows.append(dict(sample_id=sample_id, system=system, path=path, target_emotion=emotion))
    real_csv, synthetic_csv = tmp_path / "real.csv", tmp_path / "synthetic.csv"
    pd.DataFrame(real_rows).assign(system="real", modality="face").to_csv(real_csv, index=False)
    pd.DataFrame(synthetic_rows).assign(modality="face").to_csv(synthetic_csv, index=False)
    out = tmp_path / "study"
    args = ["augment", str(real_csv), str(synthetic_csv), "--out", str(out), "--features", "fake-embedder"]
    args += ["--group-by", "speaker", "--n-splits", "3", "--real-fractions", "0.5,1", "--ratios", "1", "--no-cache"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    from emoeval.reports.augmentation_overview import render_overview
    from emoeval.results import load_results

    results = load_results(out)
    assert render_overview(results) in result.output
    assert f"results: {out / 'results.parquet'}" in result.output
    assert (out / "results.parquet").is_file() and (out / "run.json").is_file()
    assert set(results.table["system"]) == {"real", "generator", formula}
    assert (results.table["model"] == "fake-embedder@1").all()
    # CSV: the formula is neutralised with a leading quote; the Parquet copy keeps the exact name
    from emoeval.csv_safe import neutralize_cell

    csv_systems = set(pd.read_csv(out / "results.csv", dtype=str)["system"])
    assert csv_systems == {"real", "generator", neutralize_cell(formula)} and neutralize_cell(formula) == "'" + formula
    assert formula in set(pd.read_parquet(out / "results.parquet")["system"])
    # a second run into the same folder is refused without --overwrite, naming the flag
    again = CliRunner().invoke(main, [*args[:5], "--seed", "1", *args[5:]])
    assert again.exit_code != 0 and "overwrite" in again.output.lower()


RECORD_BLAS_THREADS = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("study_tests", sys.argv[1])
tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tests)
from emoeval.functional import augmentation as aug
assert "scipy" not in sys.modules, "scipy is loaded already: this process cannot show the bug"
from threadpoolctl import threadpool_info
seen, original = [], aug.fit_probe
def recording(*args, **kwargs):
    seen.append(max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))
    return original(*args, **kwargs)
aug.fit_probe = recording
vectors, manifests = tests.make_sets()
context = tests.FakeContext(vectors)
tests.run(context, manifests["real"], {"fresh": manifests["fresh"]}, n_splits=2, real_fractions=(1.0,))
print(sorted(set(seen)))
"""


def test_the_protocol_fits_its_recognisers_with_one_blas_thread():
    # Regression (performance, measured in bench/bench_augmentation.py): the study fits hundreds of small
    # recognisers; OpenBLAS threading inside each tiny fit made the protocol 5-30x slower on 2 busy cores (MELD
    # text study warm: 10-50 s instead of 1.5 s). The study runs with one BLAS thread, including scipy's OpenBLAS,
    # which a fresh process loads only when the study imports scikit-learn (threadpoolctl limits only loaded
    # libraries): hence a fresh interpreter here.
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    environment["OPENBLAS_NUM_THREADS"] = "2"  # what a 2-core machine gives by default, whatever this one has
    done = subprocess.run(
        [sys.executable, "-c", RECORD_BLAS_THREADS, __file__],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[1]"


def test_a_split_whose_synthetic_pool_has_one_emotion_does_not_stop_the_study(sets):
    from sklearn.model_selection import GroupShuffleSplit

    vectors, manifests = sets
    real = manifests["real"]
    codes = np.unique(real["group"].astype(str), return_inverse=True)[1]
    folds = [
        set(real["group"].iloc[test])
        for _, test in GroupShuffleSplit(8, test_size=0.25, random_state=SEED).split(real, groups=codes)
    ]
    source = sorted(folds[0])[0]  # a speaker in the first test fold
    usable = sum(source not in fold for fold in folds)
    assert 0 < usable < 8  # some splits cannot train TSTR, others can
    # generated from real items (their group = the source speaker): every emotion from one speaker, and more happy
    # ones from the others — a split with that speaker in its test fold leaves only happy samples to train TSTR on
    sources = real[(real["group"] == source) | (real["target_emotion"] == "happy")]
    synthetic = sources.assign(system="derived", sample_id=lambda f: "derived/" + f["sample_id"])
    synthetic["text"] = [f"derived {i}" for i in range(len(synthetic))]
    for i, text in enumerate(sources["text"]):
        vectors[f"derived {i}"] = vectors[text] + 0.5
    results = run(FakeContext(vectors), real, {"derived": synthetic}, n_splits=8)
    tstr = one(
        results.table, "augmentation_protocol", "derived", "balanced_accuracy", label="TSTR", target_emotion=None
    )
    assert tstr["n"] == usable
