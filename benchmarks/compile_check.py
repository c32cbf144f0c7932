"""Does ``torch.compile`` pay for itself in texnet's real use? Times the first call (compile
included) and a warm call of the one-pass fast forward, eager versus compiled.
Usage: ``flock /tmp/texnet-cpu.lock python benchmarks/compile_check.py --size 1024``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.runtime.folded import fast_generator
from texturenet_plugin.zoo import local


def first_and_warm(fn, noise) -> tuple[float, float]:
    start = time.perf_counter()
    fn(noise)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        fn(noise)
        warm.append(time.perf_counter() - start)
    return first, min(warm)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--precision", default="float32")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    fast = fast_generator(local.load(None).build("cpu"), args.precision)
    noise = periodic_noise([0], args.size, args.size, fast.spec.scales)
    result = {"size": args.size, "precision": args.precision}
    with torch.inference_mode():
        result["eager"] = first_and_warm(fast.forward, noise)
        result["compiled"] = first_and_warm(torch.compile(fast.forward), noise)
    for name in ("eager", "compiled"):
        first, warm = result[name]
        print(f"{name:8} first call {first:7.2f} s   warm call {warm * 1000:8.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
