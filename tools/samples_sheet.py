"""Eight samples of a texture model at 512² in a 4×2 grid, beside its exemplar: what to look at
before shipping a model (specks, blobs, element size, seams).

    python tools/samples_sheet.py MODEL|FILE.tnet -o SHEET.jpg [--samples 8] [--size 512]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local

EXEMPLARS = Path(__file__).resolve().parents[1] / "exemplars"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "textures"


def exemplar_file(source: str) -> Path:
    """A model's exemplar: the bundled copy, else the corpus's (models of unbundled textures)."""
    bundled = EXEMPLARS / source
    return bundled if bundled.exists() else CORPUS / source


def grid(model_ref: str, samples: int, size: int, columns: int = 4) -> Image.Image:
    model = local.load(model_ref)
    gen = model.build()
    rows = -(-samples // columns)
    out = Image.new("RGB", ((columns + 1) * size, rows * size), "white")
    exemplar = Image.open(exemplar_file(model.meta["source"])).convert("RGB")
    out.paste(exemplar, (0, 0))
    ImageDraw.Draw(out).text((4, exemplar.height + 4), f"exemplar {exemplar.size[0]}x"
                             f"{exemplar.size[1]} (actual size)", fill="black")
    for seed in range(samples):
        tile = Image.fromarray(np.asarray(sample_tile(gen, size, size, seed=seed)))
        out.paste(tile, ((1 + seed % columns) * size, (seed // columns) * size))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    grid(args.model, args.samples, args.size).save(args.output, quality=90)


if __name__ == "__main__":
    main()
