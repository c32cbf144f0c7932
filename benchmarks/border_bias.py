"""How far VGG's zero padding moves an exemplar's Gram targets (docs/training-notes.md, s. 10).

    python benchmarks/border_bias.py [EXEMPLAR ...]   (default: every bundled texture exemplar)

For each exemplar and each of the paper's five layers: ‖G_zero − G_wrap‖² / ‖G_wrap‖², where
G_zero are the Grams of the exemplar as it is (zero padding at its edges) and G_wrap those of
its own cells with the exemplar continued periodically (train/border.py; exact for a seamless
tile). A large value means the old targets described the texture beside a grey border.
Needs the descriptor: `texnet descriptors pull vgg16`.
"""

from __future__ import annotations

import texturenet_plugin  # noqa: F401  (sets torch's allocator variables first)

# isort: split

import sys
from pathlib import Path

from measures import bundled_textures  # benchmarks/measures.py

from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.train import border
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import exemplar_grams
from texturenet_plugin.train.texture import exemplar_tensor
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [ROOT / "exemplars" / file
                                                  for _, file in bundled_textures()]
    descriptor = load_descriptor("vgg16")
    print("| exemplar | size | seamless | " + " | ".join(TEXTURE_LAYERS) + " |")
    print("|---|---|---|" + "---|" * len(TEXTURE_LAYERS))
    for path in paths:
        image = exemplar_tensor(path)
        grams = {mode: exemplar_grams(descriptor, image, TrainConfig(
            descriptor="vgg16", exemplar_max_side=1 << 30, exemplar_border=mode))
            for mode in ("zero", "wrap")}
        shifts = [float((grams["zero"][k] - grams["wrap"][k]).pow(2).sum()
                        / grams["wrap"][k].pow(2).sum()) for k in TEXTURE_LAYERS]
        print(f"| {path.name} | {image.shape[2]}×{image.shape[1]} | "
              f"{'yes' if border.seamless(image) else 'no'} | "
              + " | ".join(f"{s:.3g}" for s in shifts) + " |", flush=True)


if __name__ == "__main__":
    main()
