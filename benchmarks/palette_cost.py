"""What the palette term (`--palette-weight`, nets/palette.py) adds to a training step.

    python benchmarks/palette_cost.py exemplars/gimp_Animal_leopard.png [--size 256]
        [--threads 2]

Times ``loop.train_step`` with the `cpu` preset's settings at ``--size`` (vgg16, float32, a
fresh generator), without and with the palette term (weight 100), alternating twice (median
of 5 steps after one warm-up each), and the palette penalty's own forward + backward on a
batch of the run's size: uniform random colours (nearly every pixel off the palette: the worst
case) and crops of the exemplar (every pixel in it: a trained generator's case), each with the
free-cell table (nets/palette.py) and searching every pixel. Stop other jobs while it runs
(2-core machine).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import torch
from train_precision import step_seconds, step_setup  # benchmarks/train_precision.py

from texturenet_plugin.nets.palette import palette_penalty
from texturenet_plugin.train import loop


def penalty_seconds(images: torch.Tensor, palette, repeats: int = 5) -> float:
    """Forward + backward of the palette penalty alone on ``images``."""
    images = images.clone().requires_grad_(True)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        palette_penalty(images, palette).sum().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def exemplar_crops(image: torch.Tensor, count: int, size: int) -> torch.Tensor:
    """``count`` crops of ``size``² from the exemplar tiled periodically (in-palette images)."""
    reps = -(-size // min(image.shape[-2:])) + 1
    tiled = image.repeat(1, 1, reps, reps)
    rng = torch.Generator().manual_seed(0)
    crops = []
    for _ in range(count):
        top, left = (int(torch.randint(0, side - size + 1, (1,), generator=rng))
                     for side in tiled.shape[-2:])
        crops.append(tiled[:, :, top:top + size, left:left + size])
    return torch.cat(crops)


def report_penalty(config, image, palette) -> None:
    batch = (config.batch_size, 3, config.size, config.size)
    for what, images in (("random colours", torch.rand(*batch)),
                         ("exemplar crops", exemplar_crops(image, *batch[:1], config.size))):
        for table, target in (("free-cell table", palette),
                              ("every pixel searched", replace(palette, free=None))):
            print(f"palette penalty alone, {what}, {table}: "
                  f"{penalty_seconds(images, target):.4f} s (forward + backward)")


def main() -> None:
    args, base, descriptor, image, grams, colors, bounds = step_setup(__doc__, 256)
    palette = loop.exemplar_palette(image, replace(base, palette_weight=100.0))
    print(f"{args.threads} threads, batch {base.batch_size} of {args.size}², palette of "
          f"{palette.colours.shape[0]} colours, tolerance {palette.tolerance * 255:.1f}/255")
    for weight in (0.0, 100.0, 0.0, 100.0):
        config = replace(base, palette_weight=weight)
        seconds = step_seconds(config, descriptor, grams, colors, bounds,
                               palette=palette if weight else None)
        print(f"palette weight {weight:5}: {seconds:.3f} s/iteration", flush=True)
    report_penalty(base, image, palette)


if __name__ == "__main__":
    main()
