"""Make the README's before/after picture of ``texnet fill --image`` with the bundled model.

Draws a small garden scene and a winding path selection (soft-edged), fills the path with the
bundled ``pebbles`` model through the real CLI, and puts before | selection | after side by side.

Usage: ``python docs/fill_example.py`` (writes docs/fill-*.png, a few seconds on a CPU).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
W, H = 480, 320


def scene() -> Image.Image:
    """Grass with a little noise under a pale sky: (H, W) RGB."""
    rng = np.random.default_rng(3)
    y = np.linspace(0, 1, H)[:, None, None]
    grass = np.array([70, 120, 50]) * (0.8 + 0.4 * y) + rng.normal(0, 12, (H, W, 3))
    sky = np.array([190, 215, 235]) - 40 * y
    pixels = np.where(np.arange(H)[:, None, None] < 70, sky, grass)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def path_mask() -> Image.Image:
    """A winding path from the bottom edge to the horizon, feathered by a small blur."""
    mask = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(mask)
    for row in range(70, H):
        t = (row - 70) / (H - 70)
        centre = W / 2 + 70 * np.sin(t * 5.0)
        half = 10 + 90 * t
        draw.line([(centre - half, row), (centre + half, row)], fill=255)
    return mask.filter(ImageFilter.GaussianBlur(1.5))


def main() -> None:
    before, mask, after = (HERE / f"fill-{n}.png" for n in ("before", "mask", "after"))
    scene().save(before)
    path_mask().save(mask)
    subprocess.run(["texnet", "fill", "--image", str(before), "--mask", str(mask), "-o",
                    str(after), "--seed", "1", "--scale", "0.5", "--overwrite",
                    "--progress", "none"], check=True)
    panels = [Image.open(p).convert("RGB") for p in (before, mask, after)]
    sheet = Image.new("RGB", (3 * W + 20, H), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, (i * (W + 10), 0))
    sheet.save(HERE / "fill-before-after.png", optimize=True)
    for p in (before, mask, after):
        p.unlink()


if __name__ == "__main__":
    sys.exit(main())
