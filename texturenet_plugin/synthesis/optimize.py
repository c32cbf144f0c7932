"""Gatys-style texture synthesis by optimisation (the paper's baseline, §4.1 and Fig. 6).

The image's pixels are optimised with L-BFGS on the same descriptor and texture loss as the
generators, so losses are directly comparable. With ``circular=True`` the descriptor pads
circularly, which makes the optimised image tile seamlessly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from ..errors import InputError
from ..nets.descriptor import TEXTURE_LAYERS, Descriptor
from ..nets.losses import texture_loss
from ..progress import Reporter


@dataclass
class OptimizeResult:
    image: torch.Tensor  # (3, H, W) in [0, 1]
    curve: list[tuple[float, float]] = field(default_factory=list)  # (seconds, loss)


def optimize_texture(
    descriptor: Descriptor,
    grams: dict[str, torch.Tensor],
    height: int,
    width: int,
    seconds: float,
    seed: int = 0,
    circular: bool = True,
    layers: tuple[str, ...] = TEXTURE_LAYERS,
    reporter: Reporter | None = None,
    max_iterations: int = 100_000,
) -> OptimizeResult:
    """L-BFGS from uniform noise for ``seconds`` of wall time; records loss against time."""
    if seconds <= 0 or min(height, width) < 16:
        raise InputError("optimisation needs seconds > 0 and a size of at least 16x16")
    reporter = reporter or Reporter()
    device = next(descriptor.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, height, width, generator=gen).to(device).requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=50)
    result = OptimizeResult(x.detach()[0])
    start = time.perf_counter()

    def closure():
        opt.zero_grad()
        loss = texture_loss(descriptor(x, layers, circular=circular), grams).sum()
        loss.backward()
        return loss

    for step in range(max_iterations):
        loss = float(opt.step(closure).detach())
        with torch.no_grad():
            x.clamp_(0, 1)
        elapsed = time.perf_counter() - start
        result.curve.append((elapsed, loss))
        reporter.report("synthesize", min(int(elapsed), int(seconds)), int(seconds),
                        f"step {step + 1} loss {loss:.4g}", loss=loss)
        if elapsed >= seconds:
            break
    result.image = x.detach()[0].clamp(0, 1)
    return result
