"""Seeded golden outputs of the bundled models: what `texnet fill` and `texnet stylize` make.

Each bundled texture model renders a 64×64 tile (seed 0), each bundled style model stylizes a
64×48 synthetic photo (seed 0, strength 1), all on the CPU in float32, to
``tests/golden/<model>.png``. ``tests/golden/test_golden.py`` compares fresh renders with these
files (at most ``TOLERANCE`` levels apart, for other CPUs' float rounding).

Update them deliberately, after a change that is meant to alter the pictures (a retrained or
replaced bundled model, a change of synthesis) — look at the new images before committing:

    PYTHONPATH=.:cli python tests/golden/render_golden.py          # every bundled model
    PYTHONPATH=.:cli python tests/golden/render_golden.py pebbles  # just these
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.synthesis.tile import sample_tile, to_uint8
from texturenet_plugin.zoo.local import bundled_dir, load

HERE = Path(__file__).resolve().parent
TILE = (64, 64)  # width, height
THUMBNAIL = (64, 48)
SEED = 0
TOLERANCE = 2  # uint8 levels: float32 convolutions round differently on other CPUs


def bundled_models() -> list[tuple[str, str]]:
    """(name, kind) of every model the bundled index lists."""
    index = json.loads((bundled_dir() / "index.json").read_text(encoding="utf-8"))
    return [(m["name"], m["kind"]) for m in index["models"]]


def photo(height: int, width: int, seed: int = SEED) -> torch.Tensor:
    """(3, H, W) in [0, 1]: smooth gradients plus seeded noise, like a small photo."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width),
                            indexing="ij")
    base = torch.stack([ys, xs, (ys + xs) / 2])
    return (0.7 * base + 0.3 * torch.rand(3, height, width, generator=g)).clamp(0, 1)


@torch.inference_mode()
def render(name: str, kind: str) -> np.ndarray:
    """(H, W, 3) uint8: the model's golden picture, computed now."""
    gen = load(name).build("cpu")
    if kind == "texture":
        return sample_tile(gen, *TILE, seed=SEED, precision="float32")
    width, height = THUMBNAIL
    options = StylizeOptions(seed=SEED, precision="float32")
    out = stylize(gen, photo(height, width), options)
    return to_uint8(out)


def golden_path(name: str) -> Path:
    return HERE / f"{name}.png"


def main(names: list[str]) -> None:
    models = dict(bundled_models())
    for name in names or models:
        pixels = render(name, models[name])
        Image.fromarray(pixels).save(golden_path(name))
        print(f"wrote {golden_path(name)}")


if __name__ == "__main__":
    main(sys.argv[1:])
