"""What the palette term (`--palette-weight`, nets/palette.py) adds to a training step.

    python benchmarks/palette_cost.py exemplars/gimp_Animal_leopard.png [--size 256]
        [--threads 2]

Times ``loop.train_step`` with the `cpu` preset's settings at ``--size`` (vgg16, float32, a
fresh generator), without and with the palette term (weight 100), alternating twice (median
of 5 steps after one warm-up each), and the palette penalty's own forward + backward on the
same batch. Stop other jobs while it runs (2-core machine).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import torch
from train_precision import step_seconds, step_setup  # benchmarks/train_precision.py

from texturenet_plugin.nets.palette import palette_penalty
from texturenet_plugin.train import loop


def penalty_seconds(config, palette, repeats: int = 5) -> float:
    """Forward + backward of the palette penalty alone on a batch of the run's size."""
    images = torch.rand(config.batch_size, 3, config.size, config.size, requires_grad=True)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        palette_penalty(images, palette).sum().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


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
    print(f"palette penalty alone: {penalty_seconds(base, palette):.3f} s (forward + backward)")


if __name__ == "__main__":
    main()
