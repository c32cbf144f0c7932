"""Stylization cost and quality: the feed-forward stylizer against Gatys-style optimisation.

    python benchmarks/stylize.py [--model vangogh-auvers] [--content IMAGE] [--sizes 512 1024]
                                 [--json OUT]

For each size N (content image resized to N×N):
- time and peak memory (max RSS, from /usr/bin/time or getrusage) of the `texnet stylize`
  command in a fresh process, plus the in-process time of :func:`stylize` alone;
- the texture (style) loss and content loss (relu4_2) of its output, measured with the model's
  descriptor, style size and layers;
- the same losses for Gatys-style optimisation of the same objective, started from the content
  image and run for the same wall time as the in-process stylization, and for 10× it. The
  optimiser is Adam on the pixels with the training's per-layer gradient normalisation (so the
  objective and its balance α are exactly those the stylizer was trained on; the raw sum is
  dominated by the texture term, see docs/stylization.md).
Run it under `flock /tmp/texnet-cpu.lock` on the shared machine.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.train.loop import exemplar_grams
from texturenet_plugin.train.style import trained_config
from texturenet_plugin.train.style_loop import StyleConfig, image_tensor, style_losses
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def training_config(meta: dict) -> StyleConfig:
    """The model's training objective (painting size, layers, α), judged in float32 whatever
    precision the training's descriptor ran in."""
    return replace(trained_config(meta), precision="float32")


def run_cli(model: str, source: Path, out: Path) -> dict:
    """Wall time and max RSS of `texnet stylize` in a fresh process."""
    cmd = [sys.executable, "-m", "texnet_cli.main", "stylize", "--model", model, str(source),
           "-o", str(out), "--progress", "none", "--device", "cpu"]
    timer = shutil.which("time") or "/usr/bin/time"
    start = time.perf_counter()
    if Path(timer).exists():
        proc = subprocess.run([timer, "-f", "MAXRSS_KB %M", *cmd], capture_output=True, text=True, check=False)
        rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if "MAXRSS_KB" in line]
        peak_kb = rss[-1] if rss else None
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"texnet stylize failed: {proc.stderr}")
    return {"cli_seconds": round(seconds, 2), "cli_peak_mib": peak_kb and round(peak_kb / 1024)}


def losses(descriptor, image: torch.Tensor, content: torch.Tensor, grams, config) -> dict:
    with torch.no_grad():
        style, cont, _ = style_losses(descriptor, image[None], content[None], grams, config)
    return {"texture": float(style), "content": float(cont),
            "total": float(style + config.content_weight * cont)}


def optimise(descriptor, content: torch.Tensor, grams, config, seconds: float) -> torch.Tensor:
    """Adam on the pixels (through a logit, so they stay in [0, 1]) from the content image."""
    logit = torch.logit(content.clamp(1e-3, 1 - 1e-3))[None].clone().requires_grad_(True)
    opt = torch.optim.Adam([logit], lr=0.05)
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds or steps == 0:
        image = torch.sigmoid(logit)
        loss = style_losses(descriptor, image, content[None], grams, config)[2].sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    optimise.steps = steps
    return torch.sigmoid(logit).detach()[0]


def bench_size(model: str, gen, meta: dict, content_path: Path, size: int, tmp: Path,
               gatys_seconds: float = 10.0) -> dict:
    config = training_config(meta)
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    style = image_tensor(CORPUS / "styles" / meta["source"])
    grams = exemplar_grams(descriptor, style, config)
    content = F.interpolate(image_tensor(content_path)[None], size=(size, size), mode="bicubic",
                            align_corners=False, antialias=True)[0].clamp(0, 1)
    source = tmp / f"content{size}.png"
    pixels = content.permute(1, 2, 0).mul(255).round().to(torch.uint8).numpy()
    Image.fromarray(pixels).save(source)
    content = torch.from_numpy(np.asarray(Image.open(source), np.float32) / 255).permute(2, 0, 1)
    row = {"size": size, **run_cli(model, source, tmp / f"out{size}.png")}
    stylize(gen, content[:, :64, :64], StylizeOptions())  # warm-up
    start = time.perf_counter()
    out = stylize(gen, content, StylizeOptions())
    row["stylize_seconds"] = round(time.perf_counter() - start, 3)
    row["stylizer"] = losses(descriptor, out, content, grams, config)
    row["content_image"] = losses(descriptor, content, content, grams, config)
    for factor in (1, 10):
        image = optimise(descriptor, content, grams, config, factor * row["stylize_seconds"])
        row[f"gatys_{factor}x"] = losses(descriptor, image, content, grams, config)
        row[f"gatys_{factor}x"]["steps"] = optimise.steps
    image = optimise(descriptor, content, grams, config, gatys_seconds)  # issue 15's yardstick
    row["gatys_fixed"] = {**losses(descriptor, image, content, grams, config),
                          "steps": optimise.steps, "seconds": gatys_seconds}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vangogh-auvers")
    parser.add_argument("--content", type=Path, default=CORPUS / "content" / "skimage_astronaut.png")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--gatys-seconds", type=float, default=10.0,
                        help="also optimise for this long (the issue's yardstick: 10 s)")
    args = parser.parse_args()
    model = local.load(args.model) if not args.model.endswith(".tnet") else None
    model = model or local.load_model(Path(args.model))
    gen = model.build("cpu")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rows.append(bench_size(args.model, gen, model.meta, args.content, size, Path(tmp),
                                   args.gatys_seconds))
            print(json.dumps(rows[-1]), flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "rows": rows}, indent=2))


def print_table(rows: list[dict]) -> None:
    print("| size | texnet stylize s (peak MiB) | stylize() s | method | texture loss | "
          "content loss |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        head = f"| {r['size']}² | {r['cli_seconds']} ({r['cli_peak_mib']}) | {r['stylize_seconds']}"
        for key, label in (("content_image", "content image itself"), ("stylizer", "stylizer"),
                           ("gatys_1x", "Gatys, same time"), ("gatys_10x", "Gatys, 10× time"),
                           ("gatys_fixed", "Gatys, fixed seconds")):
            steps = f" ({r[key]['steps']} steps)" if "steps" in r[key] else ""
            print(f"{head} | {label}{steps} | {r[key]['texture']:.4g} | {r[key]['content']:.4g} |")


if __name__ == "__main__":
    main()
