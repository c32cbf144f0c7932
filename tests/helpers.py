"""Small helpers shared by tests (imported as ``from helpers import …``)."""

from __future__ import annotations

import numpy as np
import torch

from texturenet_plugin.metrics import seam_score as seam_ratio  # noqa: F401 (re-export)
from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.zoo.modelfile import ModelFile, save_model


def tiny_generator(scales: int = 3, seed: int = 0, norm: str = "batch",
                   output: str = "sigmoid") -> Generator:
    torch.manual_seed(seed)
    gen = Generator(GeneratorSpec(scales=scales, norm=norm, output=output))
    from conftest import randomize_batchnorm

    return randomize_batchnorm(gen, seed).eval()


def save_tiny_model(path, name: str = "tiny", scales: int = 3, seed: int = 0):
    gen = tiny_generator(scales, seed)
    meta = {"name": name, "title": name.title(), "license": "CC0", "source": "test",
            "descriptor": "random", "training": {}, "preview": torch.zeros(8, 8, 3, dtype=torch.uint8)}
    return save_model(ModelFile("texture", gen.spec, gen.state_dict(), meta), path)


def seam_ratio_at_phase(image: np.ndarray, lattice: int) -> float:
    """Like :func:`seam_ratio`, but the interior is measured only across the lines where a
    sample's coarse cells also meet (multiples of ``lattice``), the seam's own phase."""
    img = image.astype(np.float64)
    h, w = img.shape[:2]
    xs, ys = np.arange(lattice, w, lattice), np.arange(lattice, h, lattice)
    inner = np.abs(img[:, xs] - img[:, xs - 1]).mean() + np.abs(img[ys] - img[ys - 1]).mean()
    seam = np.abs(img[:, 0] - img[:, -1]).mean() + np.abs(img[0] - img[-1]).mean()
    return float(seam / inner)
