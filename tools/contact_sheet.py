"""Contact sheet of a texture model: exemplar, N samples, and a 2×2 tiling of the first sample.

    python tools/contact_sheet.py MODEL [-o docs/models/MODEL.jpg] [--samples 4] [--size 256]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from texturenet_plugin.io.images import read_rgb
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "textures"
GAP = 4


def labelled(image: Image.Image, text: str) -> Image.Image:
    out = Image.new("RGB", (image.width, image.height + 14), "white")
    out.paste(image, (0, 14))
    ImageDraw.Draw(out).text((2, 1), text, fill="black")
    return out


def sheet(model_ref: str, samples: int, size: int, exemplar: Path | None = None) -> Image.Image:
    model = local.load(model_ref)
    gen = model.build()
    exemplar = exemplar or CORPUS / model.meta.get("source", "")
    ex = Image.fromarray((read_rgb(exemplar) * 255 + 0.5).astype(np.uint8))
    ex.thumbnail((size, size)) if max(ex.size) > size else None
    tiles = [sample_tile(gen, size, size, seed=s) for s in range(samples)]
    panels = [labelled(ex, f"exemplar {exemplar.name}")]
    panels += [labelled(Image.fromarray(t), f"seed {s}") for s, t in enumerate(tiles)]
    tiled = Image.fromarray(np.tile(tiles[0], (2, 2, 1)))
    tiled = tiled.resize((size, size), Image.LANCZOS)
    panels.append(labelled(tiled, "seed 0 tiled 2x2 (half size)"))
    width = sum(p.width for p in panels) + GAP * (len(panels) - 1)
    out = Image.new("RGB", (width, max(p.height for p in panels)), "white")
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + GAP
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--exemplar", type=Path)
    args = parser.parse_args()
    out = args.output or Path("docs/models") / f"{args.model}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet(args.model, args.samples, args.size, args.exemplar).save(out, quality=90)
    print(out)


if __name__ == "__main__":
    main()
