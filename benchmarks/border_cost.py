"""What judging the training samples border-free costs: the descriptor's forward and backward
pass on a batch of generated samples, three ways (train/loop.sample_features):

- ``zero``: VGG's own zero padding (``--exemplar-border zero``);
- ``circular``: circular padding inside the descriptor (what the other modes use when the
  sample's sides are multiples of 16);
- ``wrap``: the sample wrapped 64 px on each side, its own cells kept (the fallback for
  other sides, and session 10's only way).

    python benchmarks/border_cost.py [--batch 4] [--sizes 128,256] [--repeats 5]

Prints the median seconds per pass and the ratio to ``zero``. Pause training while it runs.
Needs the descriptor: `texnet descriptors pull vgg16`.
"""

from __future__ import annotations

import texturenet_plugin  # noqa: F401  (sets torch's allocator variables first)

# isort: split

import argparse
import statistics
import time

import torch

from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.nets.losses import gram_matrix
from texturenet_plugin.train import border
from texturenet_plugin.zoo.descriptor_weights import load_descriptor


def features(descriptor, images: torch.Tensor, mode: str) -> dict:
    if mode == "zero":
        return descriptor(images, TEXTURE_LAYERS)
    if mode == "circular":
        return descriptor(images, TEXTURE_LAYERS, circular=True)
    side = images.shape[-1]
    return border.interior(descriptor(border.continued(images, "wrap"), TEXTURE_LAYERS),
                           side, side)


def one_pass(descriptor, images: torch.Tensor, mode: str) -> float:
    start = time.perf_counter()
    x = images.clone().requires_grad_(True)
    loss = sum(gram_matrix(f).sum() for f in features(descriptor, x, mode).values())
    loss.backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--sizes", default="128,256")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    descriptor = load_descriptor("vgg16")
    print(f"torch threads {torch.get_num_threads()}, batch {args.batch}")
    for size in (int(s) for s in args.sizes.split(",")):
        images = torch.rand(args.batch, 3, size, size, generator=torch.Generator().manual_seed(0))
        times = {}
        for mode in ("zero", "circular", "wrap"):
            one_pass(descriptor, images, mode)  # warm-up
            times[mode] = statistics.median(one_pass(descriptor, images, mode)
                                            for _ in range(args.repeats))
        print(f"{size}²: " + ", ".join(f"{mode} {t:.3f} s ({t / times['zero']:.2f}×)"
                                       for mode, t in times.items()))


if __name__ == "__main__":
    main()
