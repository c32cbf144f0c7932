"""The stylizer against optimisation at equal style loss, not at equal (CPU) time.

    python benchmarks/stylize_frontier.py [--model vangogh-auvers] [--content IMAGE]
                                          [--size 512] [--steps 60] [--lr 0.05] [--json OUT]

Issue 15's yardstick is "10 s of Adam/L-BFGS from the content photo". On this 2-core CPU one
Adam step through VGG16 at 512² takes ~3 s, so 10 s is 3 steps and the photo has hardly moved
(docs/stylization.md); on a GPU 10 s is hundreds of steps. This benchmark measures what does
not depend on the hardware: the optimiser's whole trajectory (style loss, content loss) step
by step, with the same objective, α and per-layer gradient normalisation the stylizer was
trained on, and reads off

- **iso-style**: the optimiser's content loss at the step where its style loss first falls to
  the stylizer's (interpolated between steps) — how much content optimisation gives up to
  reach the stylizer's style; the stylizer is on optimisation's trade-off curve where its own
  content loss is at most that (ratio ≤ 1), and within the issue's "2×" where the ratio ≤ 2;
- **iso-content**: the optimiser's style loss where its content loss first reaches the
  stylizer's.

The step count and this machine's seconds to each point are printed; a GPU's seconds are not
claimed. Run it with the machine otherwise idle.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from stylize import CORPUS, losses, training_config  # benchmarks/stylize.py
from torch.nn import functional as F

from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.synthesis.tile import to_uint8
from texturenet_plugin.train.loop import exemplar_grams
from texturenet_plugin.train.style_loop import image_tensor, style_losses
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.descriptor_weights import load_descriptor


def trajectory(descriptor, content: torch.Tensor, grams, config, steps: int,
               lr: float, keep: list | None = None) -> list[dict]:
    """(step, seconds, texture, content) after each Adam step on the pixels (through a logit,
    so they stay in [0, 1]), from the content image; step 0 is the photo itself, ``seconds``
    the time of the Adam steps so far. ``keep``, if given, receives every step's image
    (uint8, H×W×3)."""
    logit = torch.logit(content.clamp(1e-3, 1 - 1e-3))[None].clone().requires_grad_(True)
    opt = torch.optim.Adam([logit], lr=lr)
    points = [{"step": 0, "seconds": 0.0, **losses(descriptor, content, content, grams, config)}]
    spent = 0.0
    for step in range(steps + 1):
        # One forward pass serves twice: the losses of the image ``step`` Adam steps made, and
        # (but after the last) the gradient of Adam step ``step`` + 1.
        start = time.perf_counter()
        image = torch.sigmoid(logit)
        style, cont, objective = style_losses(descriptor, image, content[None], grams, config)
        if step < steps:
            opt.zero_grad()
            objective.sum().backward()
            opt.step()
        elapsed = time.perf_counter() - start
        if step:
            points.append({"step": step, "seconds": round(spent, 2), "texture": float(style),
                           "content": float(cont),
                           "total": float(style + config.content_weight * cont)})
            if keep is not None:
                keep.append(to_uint8(image.detach()[0]))
        spent += elapsed
    return points


def crossing(points: list[dict], key: str, target: float, falling: bool) -> dict | None:
    """The first point where ``key`` reaches ``target`` (falling or rising), every other value
    interpolated linearly between the two steps around it; None if it never does."""
    for before, after in itertools.pairwise(points):
        reached = after[key] <= target if falling else after[key] >= target
        if reached:
            span = after[key] - before[key]
            t = 1.0 if span == 0 else (target - before[key]) / span
            return {k: before[k] + t * (after[k] - before[k]) for k in before}
    return None


def compare(stylizer: dict, points: list[dict]) -> dict:
    """The two read-offs (see the module docstring) and the stylizer's ratios to them."""
    iso_style = crossing(points, "texture", stylizer["texture"], falling=True)
    iso_content = crossing(points, "content", stylizer["content"], falling=False)
    out = {"iso_style": iso_style, "iso_content": iso_content}
    if iso_style:
        out["content_ratio"] = stylizer["content"] / iso_style["content"]
    if iso_content:
        out["style_ratio"] = stylizer["texture"] / iso_content["texture"]
    return out


def measure(model_name: str, content_path: Path, size: int, steps: int, lr: float,
            images: Path | None = None) -> dict:
    model = (local.load_model(Path(model_name)) if model_name.endswith(".tnet")
             else local.load(model_name))
    gen = model.build("cpu")
    config = training_config(model.meta)
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    painting = image_tensor(CORPUS / "styles" / model.meta["source"])
    grams = exemplar_grams(descriptor, painting, config)
    content = F.interpolate(image_tensor(content_path)[None], size=(size, size), mode="bicubic",
                            align_corners=False, antialias=True)[0].clamp(0, 1)
    content = content.mul(255).round().div(255)  # what a user's 8-bit file holds
    start = time.perf_counter()
    out = stylize(gen, content, StylizeOptions())
    seconds = time.perf_counter() - start
    stylizer = {**losses(descriptor, out, content, grams, config), "seconds": round(seconds, 3)}
    kept: list = []
    points = trajectory(descriptor, content, grams, config, steps, lr, kept)
    row = {"model": model_name, "content": content_path.name, "size": size, "lr": lr,
           "alpha": config.content_weight, "stylizer": stylizer, "optimiser": points,
           **compare(stylizer, points)}
    if images:
        save_strip(images / f"{Path(model_name).stem}-{content_path.stem}.png", content, out,
                   kept, row)
    return row


def save_strip(path: Path, content: torch.Tensor, out: torch.Tensor, kept: list,
               row: dict) -> None:
    """photo | stylizer | optimiser at the stylizer's style (the step after the crossing) |
    optimiser at its last step, side by side."""
    from PIL import Image

    panels = [to_uint8(content), to_uint8(out)]
    if row["iso_style"]:
        panels.append(kept[min(len(kept), math.ceil(row["iso_style"]["step"])) - 1])
    panels.append(kept[-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(panels, axis=1)).save(path)


def report(row: dict) -> str:
    s, lines = row["stylizer"], []
    lines.append(f"{row['model']} on {row['content']} at {row['size']}² (α = {row['alpha']}, "
                 f"Adam lr {row['lr']}, {len(row['optimiser']) - 1} steps)")
    lines.append(f"  stylizer: style {s['texture']:.3g}, content {s['content']:.3g} "
                 f"({s['seconds']} s)")
    last = row["optimiser"][-1]
    lines.append(f"  optimiser after {last['step']} steps ({last['seconds']} s here): "
                 f"style {last['texture']:.3g}, content {last['content']:.3g}")
    for key, label, ratio in (("iso_style", "at the stylizer's style", "content_ratio"),
                              ("iso_content", "at the stylizer's content", "style_ratio")):
        point = row[key]
        if point is None:
            lines.append(f"  optimiser never reached {label} in these steps")
            continue
        lines.append(f"  optimiser {label}: step {point['step']:.1f} ({point['seconds']:.0f} s "
                     f"here), style {point['texture']:.3g}, content {point['content']:.3g}; "
                     f"stylizer / optimiser = {row[ratio]:.2f} "
                     f"({'content' if ratio == 'content_ratio' else 'style'})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vangogh-auvers")
    parser.add_argument("--content", type=Path, nargs="+",
                        default=[CORPUS / "content" / "skimage_astronaut.png"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--images", type=Path,
                        help="write photo | stylizer | optimiser at its style | optimiser's last "
                             "step here, one PNG per content image")
    args = parser.parse_args()
    rows = []
    for path in args.content:
        rows.append(measure(args.model, path, args.size, args.steps, args.lr, args.images))
        print(report(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
