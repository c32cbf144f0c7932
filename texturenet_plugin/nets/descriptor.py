"""The fixed descriptor network: VGG convolutional features tapped by layer name (paper §3.1).

Layers are named as in the paper and the authors' code: ``conv3_1``, ``relu3_1``, ``pool3``.
The network runs only as far as the deepest layer asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

VGG_CONFIGS = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
VGG_WIDTHS = (64, 128, 256, 512, 512)

TEXTURE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu4_2",)


@dataclass(frozen=True)
class InputConvention:
    """How an RGB image in [0, 1] is turned into the network's input."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


IMAGENET_TORCHVISION = InputConvention(
    bgr=False, scale=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)
)
# Keras / Caffe ImageNet VGG16: BGR, 0–255, minus the ImageNet mean, no std.
CAFFE_IMAGENET = InputConvention(bgr=True, scale=255.0, mean=(103.939, 116.779, 123.68))
# HED (Caffe): BGR, 0–255, minus the dataset mean.
CAFFE_HED = InputConvention(bgr=True, scale=255.0, mean=(104.00699, 116.66877, 122.67892))


def vgg_layers(arch: str, pool: str = "max") -> list[tuple[str, nn.Module]]:
    """Named layers of a VGG's convolutional part (no classifier)."""
    layers: list[tuple[str, nn.Module]] = []
    cin = 3
    for block, (count, width) in enumerate(zip(VGG_CONFIGS[arch], VGG_WIDTHS), start=1):
        for i in range(1, count + 1):
            layers.append((f"conv{block}_{i}", nn.Conv2d(cin, width, 3, padding=1)))
            layers.append((f"relu{block}_{i}", nn.ReLU(inplace=False)))
            cin = width
        pooling = nn.AvgPool2d(2, 2) if pool == "avg" else nn.MaxPool2d(2, 2)
        layers.append((f"pool{block}", pooling))
    return layers


class Descriptor(nn.Module):
    """A frozen VGG. ``forward(x, layers)`` takes RGB (B, 3, H, W) in [0, 1], returns taps."""

    def __init__(self, arch: str, convention: InputConvention, name: str, pool: str = "max"):
        super().__init__()
        self.name, self.arch, self.convention = name, arch, convention
        self.layers = nn.ModuleDict(vgg_layers(arch, pool))
        mean = torch.tensor(convention.mean).view(1, 3, 1, 1)
        std = torch.tensor(convention.std).view(1, 3, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)

    def convs(self) -> list[nn.Conv2d]:
        return [m for m in self.layers.values() if isinstance(m, nn.Conv2d)]

    def freeze(self) -> "Descriptor":
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)
        return self

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        c = self.convention
        if c.bgr:
            image = image.flip(1)
        return (image * c.scale - self.mean) / self.std

    def forward(self, image: torch.Tensor, taps: tuple[str, ...],
                circular: bool = False) -> dict[str, torch.Tensor]:
        """``circular``: pad every convolution periodically instead of with zeros, as if
        ``image`` were tiled without end: for an image that tiles (a generator's sample, an
        optimised tile) whose sides are multiples of the deepest tap's stride, each tap is
        then exactly that tiling's features over one period, with no border."""
        unknown = set(taps) - set(self.layers)
        if unknown:
            raise ValueError(f"unknown descriptor layers {sorted(unknown)}")
        wanted, out = set(taps), {}
        x = self.preprocess(image)
        for name, layer in self.layers.items():
            if circular and isinstance(layer, nn.Conv2d):
                x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), layer.weight, layer.bias)
            else:
                x = layer(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out
