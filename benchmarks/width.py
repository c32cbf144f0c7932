"""Sampling time against the generator's width (channels added per scale, `--width`).

    python benchmarks/width.py [--widths 8 6 5 4] [--sizes 256 1024] [--repeats 15]

For each width: the parameter count and the median time of `sample_tile` (the path `texnet fill`
takes, float32, default threads) after one warm-up, on a generator with random weights (the
time does not depend on the weights). Pause background training while it runs.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import statistics
import time

import torch

from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.synthesis.tile import sample_tile


def median_ms(gen: Generator, size: int, repeats: int) -> float:
    sample_tile(gen, size, size, seed=0)  # warm-up
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        sample_tile(gen, size, size, seed=seed)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 6, 5, 4])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| width | parameters | " + " | ".join(f"ms at {s}²" for s in args.sizes) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in args.sizes) + " |")
    for width in args.widths:
        torch.manual_seed(0)
        gen = Generator(GeneratorSpec(channels_step=width)).eval()
        params = sum(p.numel() for p in gen.parameters())
        cells = [f"{median_ms(gen, size, args.repeats):.1f}" for size in args.sizes]
        print(f"| {width} | {params} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
