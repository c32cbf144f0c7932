"""Training step time with the descriptor in float32 and in bfloat16 (``--precision``), and
how far bfloat16 moves the loss and its gradient.

    python benchmarks/train_precision.py exemplars/etr_pebbles01.png [--size 128] [--threads 2]

Times ``loop.train_step`` (the `cpu` preset's settings at ``--size``, vgg16, fresh generator)
alternating float32, bfloat16, float32, bfloat16 (median of 5 steps after one warm-up each),
then computes one batch's Gram loss and its gradient w.r.t. the images both ways. bfloat16
is fast only where oneDNN has native bfloat16 (AVX512-BF16 or AMX); elsewhere it is emulated
and slower. Stop other jobs while it runs (2-core machine).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from texturenet_plugin.nets.noise import random_noise
from texturenet_plugin.runtime.precision import cpu_has_fast_bf16
from texturenet_plugin.train import loop
from texturenet_plugin.train.config import preset
from texturenet_plugin.train.texture import exemplar_tensor
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

CPU = torch.device("cpu")


def step_seconds(config, descriptor, grams, colors, bounds, steps: int = 6,
                 palette=None) -> float:
    """Median time of ``steps - 1`` training steps of a fresh generator (one warm-up)."""
    state = loop.new_state(config, CPU)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loop.train_step(state, descriptor, grams, config, colors, None, bounds, palette)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def agreement(config, descriptor, grams) -> dict:
    """One batch of a fresh generator's images: Gram loss and image gradient both ways."""
    gen = loop.new_state(config, CPU).generator
    noise = random_noise(config.batch_size, config.size, config.size, config.scales,
                         generator=torch.Generator().manual_seed(1))
    images = gen(noise).detach()
    out = {}
    for precision in ("float32", "bfloat16"):
        x = images.clone().requires_grad_(True)
        run = replace(config, precision=precision)
        objective, gram = loop.texture_objective(loop.descriptor_features(descriptor, x, run),
                                                 grams, run, torch.Generator())
        objective.mean().backward()
        out[precision] = (gram.detach(), x.grad.flatten())
    (l32, g32), (l16, g16) = out["float32"], out["bfloat16"]
    return {"loss_rel_diff": float(((l16 - l32).abs() / l32).max()),
            "grad_cosine": float(torch.nn.functional.cosine_similarity(g32, g16, dim=0)),
            "grad_rel_diff": float((g32 - g16).norm() / g32.norm())}


def step_setup(doc: str, default_size: int):
    """The command line (EXEMPLAR, --size, --threads) and what timing `cpu`-preset training
    steps needs: (args, config, descriptor, image, grams, colors, bounds)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("exemplar", type=Path)
    parser.add_argument("--size", type=int, default=default_size)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = preset("cpu", size=args.size)
    descriptor, image = load_descriptor(config.descriptor), exemplar_tensor(args.exemplar)
    grams = loop.exemplar_grams(descriptor, image, config)
    colors, bounds = loop.exemplar_colors(image, config), loop.exemplar_range(image, config)
    return args, config, descriptor, image, grams, colors, bounds


def compare_precisions(config, threads: int, seconds_of, agreement_of) -> None:
    """Print the step time of ``config`` in float32, bfloat16, float32, bfloat16
    (``seconds_of(config)``), then ``agreement_of()``'s loss differences."""
    print(f"native bfloat16 on this CPU: {cpu_has_fast_bf16()}; {threads} threads, "
          f"batch {config.batch_size} of {config.size}²")
    for precision in ("float32", "bfloat16", "float32", "bfloat16"):
        seconds = seconds_of(replace(config, precision=precision))
        print(f"{precision:9} {seconds:.3f} s/iteration", flush=True)
    for key, value in agreement_of().items():
        print(f"{key:17} {value:.4g}")


def main() -> None:
    args, config, descriptor, _, grams, colors, bounds = step_setup(__doc__, 128)
    compare_precisions(config, args.threads,
                       lambda run: step_seconds(run, descriptor, grams, colors, bounds),
                       lambda: agreement(config, descriptor, grams))


if __name__ == "__main__":
    main()
