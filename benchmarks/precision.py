"""PSNR of reduced precision against float32 for every bundled model (what ``--precision auto``
picks on CPUs with AVX512-BF16/AMX and on CUDA), plus the time of each.

    python benchmarks/precision.py [--size 1024] [--seeds 0 1] [--precision bfloat16]
                                   [--threads 1] [--json OUT]

Texture models: ``sample_tile`` (what ``texnet fill --tile`` runs), size² tiles, uint8 output.
Style models: ``stylize`` (what ``texnet stylize`` runs) of a corpus photo resized to size²,
output rounded to uint8 like the saved file. PSNR is over the uint8 images (peak 255); the issue
asks for >= 40 dB before reduced precision may be a default. Reads whatever
``texturenet_plugin/bundled/`` holds at the time.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from texturenet_plugin.metrics import psnr
from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "content"


def bundled_models() -> list[Path]:
    return sorted(Path(local.__file__).parent.joinpath("bundled").glob("*.tnet"))


def content_image(size: int) -> torch.Tensor:
    """(3, size, size) in [0, 1]: a corpus photo, or a smooth synthetic one if absent."""
    path = CONTENT / "skimage_astronaut.png"
    if path.exists():
        picture = Image.open(path).convert("RGB").resize((size, size), Image.BICUBIC)
        return torch.from_numpy(np.asarray(picture, np.float32) / 255).permute(2, 0, 1)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size),
                            indexing="ij")
    return torch.stack([ys, xs, (ys + xs) / 2])


def render(kind: str, gen, size: int, seed: int, precision: str) -> tuple[torch.Tensor, float]:
    """(uint8 image as float in [0, 1], seconds) at ``precision``."""
    start = time.perf_counter()
    with torch.inference_mode():
        if kind == "texture":
            pixels = torch.from_numpy(sample_tile(gen, size, size, seed, precision=precision))
        else:
            out = stylize(gen, content_image(size), StylizeOptions(seed=seed,
                                                                    precision=precision))
            pixels = out.mul(255).round().to(torch.uint8)
    return pixels.float() / 255, time.perf_counter() - start


def measure(path: Path, size: int, seeds: list[int], precision: str) -> dict:
    model = local.load_model(path)
    gen = model.build("cpu")
    row = {"model": path.stem, "kind": model.kind, "norm": model.spec.norm, "size": size,
           "precision": precision, "psnr_db": {}, "seconds": {}}
    render(model.kind, gen, 64, 0, precision)  # warm-up (kernel creation)
    for seed in seeds:
        ref, t32 = render(model.kind, gen, size, seed, "float32")
        low, tlow = render(model.kind, gen, size, seed, precision)
        row["psnr_db"][seed] = round(psnr(ref, low), 2)
        row["seconds"][seed] = {"float32": round(t32, 3), precision: round(tlow, 3)}
        print(f"{path.stem:20} {model.kind:7} seed {seed}  PSNR {row['psnr_db'][seed]:6.2f} dB  "
              f"float32 {t32 * 1000:7.0f} ms  {precision} {tlow * 1000:7.0f} ms", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--precision", default="bfloat16")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [measure(p, args.size, args.seeds, args.precision) for p in bundled_models()]
    worst = min(db for r in rows for db in r["psnr_db"].values())
    print(f"lowest PSNR: {worst:.2f} dB (bar: 40 dB)")
    if args.json:
        args.json.write_text(json.dumps({"threads": torch.get_num_threads(),
                                         "loadavg": os.getloadavg(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
