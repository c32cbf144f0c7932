"""Sampling time against the generator's width (channels added per scale, `--width`) and the
inner width of its finest mixer (`--finest-inner`).

    python benchmarks/width.py [--widths 8 6 5 4] [--finest-inner 0 32] [--sizes 256 1024]
        [--precision float32 bfloat16] [--repeats 15]

For each width, inner width and precision: the parameter count and the median time of
`sample_tile` (the path `texnet fill` takes, default threads) after one warm-up, on a generator
with random weights (the time does not depend on the weights). The rows are measured in
rounds (every configuration once per round, `--rounds`), and each cell is the median over the
rounds, so a slow minute of a shared machine does not fall on one configuration only. Pause
background training while it runs.
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


def median_ms(gen: Generator, size: int, repeats: int, precision: str) -> float:
    sample_tile(gen, size, size, seed=0, precision=precision)  # warm-up
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        sample_tile(gen, size, size, seed=seed, precision=precision)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def configurations(args) -> list[tuple[int, int, str]]:
    return [(w, inner, p) for w in args.widths for inner in args.finest_inner
            for p in args.precision if inner <= GeneratorSpec(channels_step=w).finest_width]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 6, 5, 4])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--finest-inner", type=int, nargs="+", default=[0])
    parser.add_argument("--precision", nargs="+", default=["float32"])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    gens, times = {}, {}
    for width, inner, _ in configurations(args):
        torch.manual_seed(0)
        spec = GeneratorSpec(channels_step=width, finest_inner=inner)
        gens[width, inner] = Generator(spec).eval()
    for _ in range(args.rounds):
        for width, inner, precision in configurations(args):
            for size in args.sizes:
                ms = median_ms(gens[width, inner], size, args.repeats, precision)
                times.setdefault((width, inner, precision, size), []).append(ms)
    print("| width | finest inner | precision | parameters | "
          + " | ".join(f"ms at {s}²" for s in args.sizes) + " |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in args.sizes) + " |")
    for width, inner, precision in configurations(args):
        params = sum(p.numel() for p in gens[width, inner].parameters())
        cells = [f"{statistics.median(times[width, inner, precision, s]):.1f}"
                 for s in args.sizes]
        inner_width = gens[width, inner].spec.finest_inner_width
        print(f"| {width} | {inner_width} | {precision} | {params} | "
              + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
