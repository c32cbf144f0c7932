"""Correctness of texnet's inference paths on a GPU (issue 7): what the unit tests check on the
CPU, run on the bundled models on ``--device`` (default cuda). Prints a table, writes JSON.

- fill: the windowed (tiled) fast path equals the ``nn.Module`` one-pass output, in float32,
  on the device; and the device's float32 tile equals the CPU's;
- tiles of several window sizes are identical to each other (exact tiling on the device);
- bfloat16 / float16 tiles against float32 (PSNR, the 40 dB bar of the CPU default);
- stylize: the fast path equals the ``nn.Module`` reference; reduced precisions' PSNR;
- one training step (random-weight VGG) runs and its loss is finite.

Usage (on the GPU machine): ``python benchmarks/cuda_check.py --json cuda-check.json``;
a dry run on a CPU: ``python benchmarks/cuda_check.py --device cpu --size 128``.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch

from texturenet_plugin.metrics import psnr
from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.runtime.precision import strict_float32
from texturenet_plugin.synthesis.tile import sample_tile, to_uint8
from texturenet_plugin.zoo import local


def uint8_psnr(a: np.ndarray, b: np.ndarray) -> float:
    return psnr(torch.from_numpy(a).float() / 255, torch.from_numpy(b).float() / 255)


def max_level_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def check_fill(device: torch.device, size: int, precisions: list[str]) -> list[dict]:
    model = local.load(None)
    gen = model.build(device)
    rows = []
    noise = [z.to(device) for z in periodic_noise([3], size, size, gen.spec.scales)]
    with torch.inference_mode(), strict_float32(device, torch.float32):
        module = to_uint8(gen(noise)[0])
    tiled = {w: sample_tile(gen, size, size, 3, window=w) for w in (size, size // 2 + 8, 72)}
    first = tiled[size]
    rows.append(_row("fill fast vs nn.Module (float32)", max_level_diff(first, module),
                     uint8_psnr(first, module), max_level_diff(first, module) <= 1))
    spread = max(max_level_diff(first, t) for t in tiled.values())
    # cuDNN may pick other algorithms for other window shapes: float rounding, at most 1 level
    rows.append(_row(f"fill windows {sorted(tiled)} agree", spread,
                     min(uint8_psnr(first, t) for t in tiled.values()), spread <= 1))
    cpu = sample_tile(model.build("cpu"), size, size, 3)
    rows.append(_row(f"fill {device.type} vs cpu (float32)", max_level_diff(first, cpu),
                     uint8_psnr(first, cpu), max_level_diff(first, cpu) <= 1))
    for precision in precisions:
        low = sample_tile(gen, size, size, 3, precision=precision)
        db = uint8_psnr(first, low)
        rows.append(_row(f"fill {precision} vs float32", max_level_diff(first, low), db, db >= 40))
    return rows


def check_stylize(device: torch.device, size: int, precisions: list[str]) -> list[dict]:
    from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize

    gen = local.load("vangogh-auvers").build(device)
    image = torch.rand(3, size, size, generator=torch.Generator().manual_seed(0))
    image = torch.nn.functional.avg_pool2d(image[None], 5, 1, 2)[0]  # photo-like smoothness
    with strict_float32(device, torch.float32):  # the reference in float32, not TF32
        ref = stylize(gen, image, reference=True)
    rows = []
    for precision in ["float32", *precisions]:
        out = stylize(gen, image, StylizeOptions(precision=precision))
        db = psnr(ref, out)
        err = float((out - ref).abs().max())
        ok = err < 1e-3 if precision == "float32" else db >= 40
        rows.append(_row(f"stylize fast {precision} vs nn.Module", err, db, ok))
    return rows


def check_training(device: torch.device) -> list[dict]:
    from texturenet_plugin.train.config import preset
    from texturenet_plugin.train.loop import exemplar_colors, exemplar_grams, new_state, train_step
    from texturenet_plugin.zoo.descriptor_weights import load_descriptor

    config = preset("cpu", descriptor="random", batch_size=2, size=64).validate()
    descriptor = load_descriptor("random").to(device)
    exemplar = torch.rand(3, 96, 96)
    grams = exemplar_grams(descriptor, exemplar.to(device), config)
    state = new_state(config, device)
    colors = exemplar_colors(exemplar.to(device), config)
    losses = [train_step(state, descriptor, grams, config, colors) for _ in range(3)]
    ok = all(math.isfinite(float(x)) for x in losses)
    return [_row("training step (random VGG)", 0, math.inf, ok, loss=float(losses[-1]))]


def _row(name: str, max_err, db: float, ok: bool, **extra) -> dict:
    return {"check": name, "max_error": max_err, "psnr_db": db, "ok": bool(ok), **extra}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    device = torch.device(args.device)
    precisions = ["bfloat16", "float16"] if device.type == "cuda" else ["bfloat16"]
    rows = []
    for check in (lambda: check_fill(device, args.size, precisions),
                  lambda: check_stylize(device, args.size, precisions),
                  lambda: check_training(device)):
        try:
            rows += check()
        except Exception as exc:  # noqa: BLE001 (one broken check must not hide the rest)
            rows.append(_row(f"error: {type(exc).__name__}: {exc}", None, math.nan, False))
    for row in rows:
        print(f"{'ok  ' if row['ok'] else 'FAIL'} {row['check']:45} max err {row['max_error']}"
              f"  PSNR {row['psnr_db']:.1f} dB")
    if args.json:
        args.json.write_text(json.dumps({"device": str(device), "torch": torch.__version__,
                                         "name": _device_name(device), "rows": rows}, indent=2))
    return 0 if all(r["ok"] for r in rows) else 1


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


if __name__ == "__main__":
    raise SystemExit(main())
