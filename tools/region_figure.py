"""The figure for "learn from a selection" (docs/learn-from-selection.jpg): a texture learnt from
the selected pixels only (``texnet train texture PHOTO --mask MASK``) next to one learnt from the
plain bounding box of the same selection, with the photo and its selection outlined.

    python tools/region_figure.py PHOTO MASK MASKED.tnet BBOX.tnet -o FIGURE.jpg [--size 256]

Each model shows two samples at SIZE² (seeds 0 and 1); the bounding box is drawn at its own
pixel scale, as the trainer sees it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from texturenet_plugin.zoo.modelfile import load_model
from texturenet_plugin.synthesis.tile import sample_tile

LABEL_HEIGHT = 18


def outlined(photo: Image.Image, mask: Image.Image) -> Image.Image:
    """The photo with the selection's edge drawn in red."""
    edge = mask.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > 64 else 0)
    edge = edge.filter(ImageFilter.MaxFilter(3))
    out = photo.copy()
    out.paste((230, 30, 30), mask=edge)
    return out


def samples(model_path: Path, size: int) -> list[Image.Image]:
    gen = load_model(model_path).build()
    return [Image.fromarray(np.asarray(sample_tile(gen, size, size, seed=s))) for s in (0, 1)]


def figure(photo_path: Path, mask_path: Path, masked: Path, bbox: Path, size: int) -> Image.Image:
    photo = Image.open(photo_path).convert("RGB")
    mask = Image.open(mask_path).convert("L")
    crop = photo.crop(mask.getbbox())
    panels = [(outlined(photo, mask), "photo, selection in red"),
              (crop, "its bounding box (actual size)")]
    panels += [(s, "learnt from the selection") for s in samples(masked, size)]
    panels += [(s, "learnt from the bounding box") for s in samples(bbox, size)]
    scale = size / photo.height  # the photo shown at the samples' height
    panels[0] = (panels[0][0].resize((round(photo.width * scale), size), Image.LANCZOS),
                 panels[0][1])
    width = sum(max(p.width, 8 * len(text)) for p, text in panels) + 8 * (len(panels) - 1)
    out = Image.new("RGB", (width, size + LABEL_HEIGHT), "white")
    draw, left = ImageDraw.Draw(out), 0
    for picture, text in panels:
        out.paste(picture, (left, LABEL_HEIGHT))
        draw.text((left + 2, 3), text, fill="black")
        left += max(picture.width, 8 * len(text)) + 8
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("photo", "mask", "masked", "bbox"):
        parser.add_argument(name, type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    figure(args.photo, args.mask, args.masked, args.bbox, args.size).save(args.output,
                                                                          quality=90)


if __name__ == "__main__":
    main()
