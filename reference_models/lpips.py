"""LPIPS v0.1 with the AlexNet backbone (Zhang et al. 2018), implemented here in torch; a hub model.

LPIPS ("The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018) compares two
images through ImageNet features: both images (RGB scaled to [-1, 1]) go through LPIPS's fixed scaling layer
and AlexNet's five convolution blocks; at each ReLU output the feature vector of every pixel is divided by its
own L2 norm (plus 1e-10), the two images' vectors are subtracted and squared, a 1×1 linear layer with learned
non-negative weights (one weight per channel) sums the channels, and the result is averaged over the pixels.
The distance is the sum over the five layers. Identical images give 0; lower is more similar.

Nothing here imports the ``lpips`` package: the forward pass below follows its ``LPIPS(net="alex",
version="0.1")`` and is checked in the tests against an independent re-computation and against torchmetrics'
copy of the LPIPS code. Two weight files, both loaded with ``torch.load(weights_only=True)``:

- ``alex.pth``, the LPIPS v0.1 linear-layer weights (6009 bytes, BSD-2-Clause). torchmetrics ships a copy
  (``torchmetrics/functional/image/lpips_models/alex.pth``); its sha256 (recorded below) was computed from
  that copy. pyiqa publishes the same weights as ``LPIPS_v0.1_alex-df73285e.pth``, whose name carries the
  same first 8 hex digits. Byte identity with the upstream GitHub file could not be checked offline: if it
  differs, a pull fails the sha256 check loudly.
- ``alexnet-owt-7be5be79.pth``, torchvision's ImageNet AlexNet (about 233 MB, BSD-3-Clause), downloaded from
  download.pytorch.org by ``emoeval models pull lpips-alex``. No installed package ships it and torchvision
  publishes only the first 8 hex digits of its sha256 (in the file name), so the card records that prefix and
  the store checks it the way ``torch.hub`` does — a weaker check than the full hash the other files get; the
  full sha256 of the copy actually used is recorded in ``run.json``. Only the ``features.*`` tensors are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoeval.errors import MissingDependencyError, SampleInputError, WeightError
from emoeval.media.image import decode_image
from emoeval.reference_models.base import ModelInput, ReferenceModel
from emoeval.reference_models.store import ModelCard, WeightFile

if TYPE_CHECKING:
    import torch

BACKBONE_FILENAME = "alexnet-owt-7be5be79.pth"
LINEAR_FILENAME = "alex.pth"
ALEXNET_URL = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
LINEAR_URL = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth"
#: the part of the backbone's sha256 that torchvision's file name records (torch.hub checks only this prefix)
ALEXNET_SHA256_PREFIX = "7be5be79"

ALEXNET_BACKBONE = WeightFile(
    filename=BACKBONE_FILENAME,
    sha256=ALEXNET_SHA256_PREFIX,  # a prefix: the only part torchvision publishes (see the module docstring)
    size=0,  # unknown (about 233 MB)
    url=ALEXNET_URL,
)
LPIPS_ALEX_LINEAR = WeightFile(
    filename=LINEAR_FILENAME,
    sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
    size=6009,
    package="torchmetrics",
    package_path="functional/image/lpips_models/alex.pth",
    url=LINEAR_URL,
)

#: LPIPS's fixed scaling layer, applied to inputs in [-1, 1]: (x - shift) / scale per RGB channel
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
#: channels of the five tapped layers, and where they are in torchvision's ``alexnet().features`` (the ReLUs)
LAYER_CHANNELS = (64, 192, 384, 256, 256)
LAYER_TAPS = (1, 4, 7, 9, 11)
#: added to each pixel's feature norm before dividing (as in lpips.normalize_tensor)
NORM_EPS = 1e-10
#: the smallest image side AlexNet's layers up to relu5 accept (conv 11/4, pool 3/2, pool 3/2)
MIN_SIDE = 31


def lpips_alex_card(backbone: WeightFile = ALEXNET_BACKBONE, linear: WeightFile = LPIPS_ALEX_LINEAR) -> ModelCard:
    """The ``lpips-alex`` card for two weight files (tests build one with their own files).

    >>> card = lpips_alex_card()
    >>> [weight.filename for weight in card.files]
    ['alexnet-owt-7be5be79.pth', 'alex.pth']
    >>> card.file("alex.pth").package
    'torchmetrics'
    """
    return ModelCard(
        name="lpips-alex",
        version="0.1",
        files=(backbone, linear),
        summary="LPIPS v0.1 perceptual distance, AlexNet backbone (lower = more similar)",
        license="BSD-2-Clause (LPIPS linear weights); BSD-3-Clause (torchvision AlexNet)",
        citation=(
            "Zhang, Isola, Efros, Shechtman, Wang (2018). The Unreasonable Effectiveness of Deep Features as a "
            "Perceptual Metric. CVPR."
        ),
        install_hint=(
            "the linear weights ship in torchmetrics (pip install 'emoeval[face]'); the AlexNet backbone is "
            f"torchvision's {BACKBONE_FILENAME}, fetched by `emoeval models pull lpips-alex`"
        ),
    )


LPIPS_ALEX_CARD = lpips_alex_card()


def rgb_to_lpips_input(images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) ``uint8`` RGB → (N, 3, H, W) float32: [-1, 1], then LPIPS's scaling layer."""
    import torch

    x = torch.from_numpy(np.array(images, dtype=np.uint8)).permute(0, 3, 1, 2).to(torch.float32)
    x = x / 127.5 - 1.0
    shift = torch.tensor(LPIPS_SHIFT, dtype=torch.float32).view(1, 3, 1, 1)
    scale = torch.tensor(LPIPS_SCALE, dtype=torch.float32).view(1, 3, 1, 1)
    return (x - shift) / scale


def unit_normalize(features: torch.Tensor, eps: float = NORM_EPS) -> torch.Tensor:
    """Divide each pixel's channel vector by its L2 norm (+ ``eps``): (N, C, H, W) → (N, C, H, W)."""
    import torch

    return features / (torch.sqrt(torch.sum(features**2, dim=1, keepdim=True)) + eps)


def lpips_layer_distances(
    features0: Sequence[torch.Tensor], features1: Sequence[torch.Tensor], linear: Sequence[torch.Tensor]
) -> torch.Tensor:
    """Per-layer LPIPS terms, (N, L): spatial mean of Σ_c w_c (n0_c − n1_c)² for unit-normalised features.

    ``linear[l]`` holds layer l's channel weights (any shape with C elements).
    """
    import torch

    terms = []
    for f0, f1, weight in zip(features0, features1, linear, strict=True):
        squared = (unit_normalize(f0) - unit_normalize(f1)) ** 2
        weighted = (squared * weight.reshape(1, -1, 1, 1)).sum(dim=1)
        terms.append(weighted.mean(dim=(1, 2)))
    return torch.stack(terms, dim=1)


def _load_state(path: Path, what: str) -> dict[str, torch.Tensor]:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightError(f"cannot load {what} from {path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(state, Mapping):
        raise WeightError(f"{path} does not hold a state dict ({what}); it holds a {type(state).__name__}")
    return dict(state)


class LpipsAlex(ReferenceModel):
    """LPIPS v0.1 (AlexNet): image pairs → perceptual distance; one image → an LPIPS embedding.

    :meth:`distances` is what the ``face_lpips`` metric uses: for pairs of same-sized RGB images, an array
    ``[lpips, layer1, ..., layer5]`` each. :meth:`infer` turns one image into a flat float32 embedding ``e``
    (unit-normalised features scaled by √(w_c / (H_l·W_l))) such that, for two images of the same size,
    LPIPS = ‖e₀ − e₁‖²; it is large (about 10 MB for a 512×512 image), so the metric caches pair distances
    instead.
    """

    card = LPIPS_ALEX_CARD

    def __init__(self, weights: Any, dependencies: Any) -> None:
        super().__init__(weights, dependencies)
        try:
            import torch
            import torchvision
        except ImportError as exc:
            raise MissingDependencyError(
                f"LPIPS needs torch and torchvision: pip install 'emoeval[face]' ({exc})"
            ) from exc
        backbone_path = self.weights[BACKBONE_FILENAME].path
        linear_path = self.weights[LINEAR_FILENAME].path
        state = _load_state(backbone_path, "the AlexNet backbone")
        features = {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
        with torch.device("meta"):  # build the architecture without initialising 61 M parameters
            network = torchvision.models.alexnet(weights=None).features
        network = network.to_empty(device="cpu")
        try:
            network.load_state_dict(features, strict=True)
        except RuntimeError as exc:
            raise WeightError(
                f"{backbone_path} is not torchvision's AlexNet: its 'features.*' tensors do not fit ({exc})"
            ) from None
        self._network = network.eval().requires_grad_(False)
        linear_state = _load_state(linear_path, "the LPIPS linear weights")
        self._linear: list[torch.Tensor] = []
        for layer, channels in enumerate(LAYER_CHANNELS):
            key = f"lin{layer}.model.1.weight"
            weight = linear_state.get(key)
            if weight is None or tuple(weight.shape) != (1, channels, 1, 1):
                found = None if weight is None else tuple(weight.shape)
                raise WeightError(
                    f"{linear_path} is not LPIPS v0.1 alex linear weights: {key} should have shape "
                    f"(1, {channels}, 1, 1), found {found}"
                )
            if bool((weight < 0).any()):
                raise WeightError(f"{linear_path}: {key} has negative weights; LPIPS's linear weights are ≥ 0")
            self._linear.append(weight.detach().to(torch.float32).reshape(-1))

    def config(self) -> dict[str, Any]:
        return {
            "input": "RGB uint8 / 127.5 - 1, LPIPS scaling layer",
            "layers": "alexnet relu1..relu5",
            "norm_eps": NORM_EPS,
            "reduction": "spatial mean, sum over layers",
        }

    # -- the forward pass ---------------------------------------------------------------------------------
    def features(self, images: np.ndarray) -> list[torch.Tensor]:
        """AlexNet's five ReLU outputs for (N, H, W, 3) ``uint8`` RGB images of one size."""
        import torch

        height, width = images.shape[1:3]
        if min(height, width) < MIN_SIDE:
            raise SampleInputError(f"LPIPS needs images of at least {MIN_SIDE}×{MIN_SIDE} pixels, got {width}×{height}")
        x = rgb_to_lpips_input(images)
        taps: list[torch.Tensor] = []
        with torch.no_grad():
            for index, layer in enumerate(self._network):
                x = layer(x)
                if index in LAYER_TAPS:
                    taps.append(x)  # later layers never modify it in place
                if index == LAYER_TAPS[-1]:
                    break
        return taps

    def distances(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]], batch_size: int = 8) -> list[np.ndarray]:
        """``[lpips, layer1..layer5]`` (float64) per pair of same-sized ``uint8`` RGB images, in order."""
        import torch

        results: list[np.ndarray | None] = [None] * len(pairs)
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for index, (first, second) in enumerate(pairs):
            if first.shape != second.shape:
                raise ValueError(f"LPIPS compares images of one size; got {first.shape} and {second.shape}")
            by_shape.setdefault(first.shape, []).append(index)
        for indices in by_shape.values():
            for start in range(0, len(indices), batch_size):
                chosen = indices[start : start + batch_size]
                first = np.stack([pairs[i][0] for i in chosen])
                second = np.stack([pairs[i][1] for i in chosen])
                features = self.features(np.concatenate([first, second]))
                n = len(chosen)
                layers = lpips_layer_distances([f[:n] for f in features], [f[n:] for f in features], self._linear)
                layers = layers.to(torch.float64)
                for row, index in enumerate(chosen):
                    per_layer = layers[row].numpy()
                    results[index] = np.concatenate([[per_layer.sum()], per_layer])
        return [value for value in results if value is not None]

    # -- the ReferenceModel contract (per image) ----------------------------------------------------------
    def prepare(self, item: ModelInput) -> np.ndarray:
        assert item.data is not None
        rgb = decode_image(item.data, item.name)
        if min(rgb.shape[:2]) < MIN_SIDE:
            raise SampleInputError(
                f"{item.name}: {rgb.shape[1]}×{rgb.shape[0]} pixels is too small for LPIPS (AlexNet needs at least "
                f"{MIN_SIDE}×{MIN_SIDE})"
            )
        return rgb

    def infer(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        import torch

        embeddings = []
        for image in prepared:
            parts = []
            for feature, weight in zip(self.features(image[None]), self._linear, strict=True):
                area = feature.shape[2] * feature.shape[3]
                scaled = unit_normalize(feature)[0] * torch.sqrt(weight / area).view(-1, 1, 1)
                parts.append(scaled.reshape(-1))
            embeddings.append(torch.cat(parts).numpy().astype(np.float32))
        return embeddings
