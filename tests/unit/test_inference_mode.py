"""Issue 18: reference-model wrappers run their torch networks under ``torch.inference_mode`` (no autograd
bookkeeping at all), and doing so leaves their outputs bit-for-bit unchanged."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


class _Recording(torch.nn.Module):
    """A tiny network that records whether it ran in inference mode and returns a softmax over 7 classes."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(64 * 64, 7)
        self.modes: list[bool] = []

    def forward(self, batch):
        self.modes.append(torch.is_inference_mode_enabled())
        return torch.softmax(self.linear(batch.reshape(batch.shape[0], -1)), dim=1)


def test_fer_classifier_and_features_run_in_inference_mode():
    from emoeval.reference_models.fer_emotion import FerMiniXception, FerMiniXceptionFeatures

    faces = np.random.default_rng(0).uniform(-1, 1, size=(3, 64, 64)).astype(np.float32)
    classifier = FerMiniXception.__new__(FerMiniXception)
    classifier.network = _Recording()
    probabilities = classifier.predict(faces)
    assert classifier.network.modes == [True]
    with torch.no_grad():  # the reference: the same network under no_grad, as before
        expected = classifier.network(torch.from_numpy(faces).reshape(-1, 1, 64, 64)).double().numpy()
    np.testing.assert_array_equal(probabilities, expected)

    features = FerMiniXceptionFeatures.__new__(FerMiniXceptionFeatures)
    features.trunk = _Recording()
    features.feature_maps(faces)
    assert features.trunk.modes == [True]


def test_resemblyzer_embeds_in_inference_mode():
    from emoeval.reference_models.resemblyzer_speaker import ResemblyzerSpeakerEncoder

    modes: list[bool] = []
    threads: list[int] = []

    class FakeEncoder:
        def embed_utterance(self, wav: np.ndarray) -> np.ndarray:
            modes.append(torch.is_inference_mode_enabled())
            threads.append(torch.get_num_threads())
            return np.full(256, float(wav.mean()))

    encoder = ResemblyzerSpeakerEncoder.__new__(ResemblyzerSpeakerEncoder)
    encoder._encoder = FakeEncoder()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        out = encoder.infer([np.ones(16000, dtype=np.float32), np.zeros(16000, dtype=np.float32)])
        assert torch.get_num_threads() == 2  # restored for the other models of the process
    finally:
        torch.set_num_threads(before)
    assert modes == [True, True]
    assert threads == [1, 1]  # one intra-op thread: 2-70x faster on a busy 2-core machine, same numbers
    assert [o.dtype for o in out] == [np.float32, np.float32] and out[0][0] == 1.0
