"""Stylizer training step time with the descriptor in float32 and in bfloat16
(``texnet train style --precision``), and how far bfloat16 moves the two losses.

    python benchmarks/train_style_precision.py [--painting FILE] [--size 128] [--threads 2]

Times ``style_loop.style_step`` (the stylizer `cpu` preset at ``--size``, vgg16, a fresh
generator, the corpus photos as content) alternating float32, bfloat16, float32, bfloat16
(median of 5 steps after one warm-up each), then the texture and content loss of one batch
both ways. Stop other jobs while it runs (2-core machine).
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch
from stylize import CORPUS  # benchmarks/stylize.py
from train_precision import compare_precisions  # benchmarks/train_precision.py

from texturenet_plugin.nets.noise import random_noise
from texturenet_plugin.train.loop import exemplar_colors, exemplar_grams
from texturenet_plugin.train.style_loop import (
    ContentPool,
    image_tensor,
    new_style_state,
    style_losses,
    style_preset,
    style_step,
)
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

CPU = torch.device("cpu")


def step_seconds(config, descriptor, grams, pool, colors, steps: int = 6) -> float:
    """Median time of ``steps - 1`` training steps of a fresh generator (one warm-up)."""
    state = new_style_state(config, CPU)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        style_step(state, descriptor, grams, pool, config, colors)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def agreement(config, descriptor, grams, pool) -> dict:
    """One batch of a fresh generator's outputs: both losses in both precisions."""
    state = new_style_state(config, CPU)
    rng = torch.Generator().manual_seed(1)
    content = pool.batch(config.batch_size, config.size, rng)
    noise = random_noise(config.batch_size, config.size, config.size, config.scales, generator=rng)
    with torch.no_grad():
        images = state.generator(noise, content)
        exact = style_losses(descriptor, images, content, grams, config)
        approx = style_losses(descriptor, images, content, grams,
                              replace(config, precision="bfloat16"))
    return {f"{name}_rel_diff": float(((b - a).abs() / a).max())
            for name, a, b in zip(("texture", "content"), exact[:2], approx[:2])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--painting", type=Path,
                        default=CORPUS / "styles" / "Eglise_dAuvers-sur-Oise.png")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # float32 as the reference: the preset's own precision is "auto".
    config = style_preset("cpu", size=args.size, precision="float32")
    descriptor, painting = load_descriptor(config.descriptor), image_tensor(args.painting)
    grams, colors = exemplar_grams(descriptor, painting, config), exemplar_colors(painting, config)
    pool = ContentPool.from_dir(CORPUS / "content", config.size)
    compare_precisions(config, args.threads,
                       lambda run: step_seconds(run, descriptor, grams, pool, colors),
                       lambda: agreement(config, descriptor, grams, pool))


if __name__ == "__main__":
    main()
