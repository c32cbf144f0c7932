"""Time of the hashed noise of one window (`runtime/folded.noise_window_nhwc`, what every
CPU sample computes for each scale), against the reference `nets/noise.noise_window` or an
older copy of `folded.py`.

    python benchmarks/noise.py [--sizes 128 256 512] [--old OLD_FOLDED.py]

e.g. ``git show 8429288:texturenet_plugin/runtime/folded.py > /tmp/folded_old.py`` for the
version before session 15's buffers. Prints the minimum over 7 interleaved rounds of 20 calls
per window side (3 channels, one seed), after checking the outputs agree bit for bit.
Single-threaded NumPy: pause background training while it runs.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import importlib.util
import time
from pathlib import Path

import torch

from texturenet_plugin.nets.noise import noise_window
from texturenet_plugin.runtime.folded import noise_window_nhwc


def reference(seeds, scale, channels, rows, cols):
    return noise_window(seeds[0], scale, channels, rows, cols, seeds)


def load_old(path: Path):
    """``noise_window_nhwc`` of another copy of folded.py (its relative imports made absolute)."""
    source = path.read_text().replace("from ..", "from texturenet_plugin.")
    source = source.replace("from .", "from texturenet_plugin.runtime.")
    spec = importlib.util.spec_from_loader("folded_old", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 (a local file)
    return module.noise_window_nhwc


def best_ms(fn, side: int, rounds: int = 7, calls: int = 20) -> float:
    rows = cols = torch.arange(side)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn([3], 0, 3, rows, cols)
        best = min(best, (time.perf_counter() - start) / calls)
    return 1000 * best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--old", type=Path, help="another copy of runtime/folded.py")
    args = parser.parse_args()
    other = ("old", load_old(args.old)) if args.old else ("reference", reference)
    print(f"| window | {other[0]} ms | current ms |\n| --- | --- | --- |")
    for side in args.sizes:
        rows = torch.arange(side)
        assert torch.equal(other[1]([3], 0, 3, rows, rows).contiguous(),
                           noise_window_nhwc([3], 0, 3, rows, rows).contiguous())
        print(f"| {side}² | {best_ms(other[1], side):.2f} | {best_ms(noise_window_nhwc, side):.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
