"""Small helpers shared by tests (imported as ``from helpers import …``; conftest.py keeps the
hooks and autouse fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from texturenet_plugin.metrics import seam_score as seam_ratio  # noqa: F401 (re-export)
from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.zoo.modelfile import ModelFile, save_model

ROOT = Path(__file__).resolve().parents[1]  # the repository


def tiny_generator(scales: int = 3, seed: int = 0, norm: str = "batch",
                   output: str = "sigmoid") -> Generator:
    torch.manual_seed(seed)
    gen = Generator(GeneratorSpec(scales=scales, norm=norm, output=output))
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


def randomize_batchnorm(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give BatchNorm layers non-trivial statistics so eval-mode tests mean something."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)
    return model


def tiny_stylizer(norm: str = "instance", seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm=norm))
    with torch.no_grad():  # non-trivial affine norms so the noise and content matter
        for m in gen.modules():
            if isinstance(m, (torch.nn.InstanceNorm2d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return randomize_batchnorm(gen, seed).eval()


def photo(h: int, w: int, seed: int = 0) -> torch.Tensor:
    """(3, h, w) in [0, 1]: smooth gradients plus noise, like a small photo."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = torch.stack([ys, xs, (ys + xs) / 2])
    return (0.7 * base + 0.3 * torch.rand(3, h, w, generator=g)).clamp(0, 1)


def save_tiny_stylizer(path: Path) -> Path:
    """A random 3-scale style model (content channels), enough to exercise the contract."""
    torch.manual_seed(0)
    gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm="instance")).eval()
    meta = {"name": "tinystyle", "title": "Tiny", "license": "CC0", "source": "test",
            "descriptor": "random", "training": {},
            "preview": torch.zeros(8, 8, 3, dtype=torch.uint8)}
    save_model(ModelFile("style", gen.spec, gen.state_dict(), meta), path)
    return path


def texnet(capsys, *argv):
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    from texnet_cli.app import run
    from texnet_cli.main import cli

    code = run(cli, list(argv))
    out, err = capsys.readouterr()
    return code, out, err
