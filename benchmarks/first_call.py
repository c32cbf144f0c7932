"""First, second and third call of ``sample_tile`` in a fresh process: does a precision pay a
start-up cost (oneDNN kernel creation) that small outputs cannot win back?

    python benchmarks/first_call.py SIZE PRECISION THREADS     # e.g. 256 bfloat16 1

Run it once per setting (each run must be a fresh process).
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import sys
import time

import torch

from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local


def main() -> None:
    size, precision, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    gen = local.load(None).build("cpu")
    times = []
    with torch.inference_mode():
        for _ in range(3):
            start = time.perf_counter()
            sample_tile(gen, size, size, 0, precision=precision)
            times.append(time.perf_counter() - start)
    print(size, precision, threads, " ".join(f"{t * 1000:.0f}" for t in times),
          "ms (first, second, third call)")


if __name__ == "__main__":
    main()
