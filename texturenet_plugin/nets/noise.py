"""Noise defined per global coordinate, so any window of a sample can be regenerated exactly.

Value(seed, scale, channel, y, x) = hash(...) / 2^32, uniform i.i.d. in [0, 1) as in the paper.
Because the value depends only on coordinates, two fills of neighbouring regions with the same
seed share the same underlying noise field and meet without a seam, and a periodic tile is made
by taking coordinates modulo the tile's size at each scale.
"""

from __future__ import annotations

import torch

from .generator import scale_sizes

_MASK32 = 0xFFFFFFFF


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer finaliser (lowbias32) on int64 tensors holding values in [0, 2^32)."""
    x = x & _MASK32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    return x ^ (x >> 16)


def noise_window(
    seed: int,
    scale: int,
    channels: int,
    rows: torch.Tensor,
    cols: torch.Tensor,
    batch_seeds: list[int] | None = None,
) -> torch.Tensor:
    """Noise for the grid rows × cols (int64 1-D tensors of coordinates) -> (B, C, h, w) float32,
    computed on the coordinates' device (integer arithmetic: bit-identical on every device)."""
    seeds = batch_seeds if batch_seeds is not None else [seed]
    device = rows.device
    out = []
    for s in seeds:
        key = _hash32(torch.tensor(int(s) & _MASK32, dtype=torch.int64, device=device)
                      + 0x9E3779B9)
        key = _hash32(key + scale)
        chans = _hash32(key + torch.arange(channels, dtype=torch.int64, device=device))
        chans = chans[:, None, None]
        h = _hash32(chans + rows[None, :, None])
        h = _hash32(h + cols[None, None, :] * 0x27D4EB2F)
        out.append(h.to(torch.float64).div_(2.0**32).to(torch.float32))
    return torch.stack(out)


def periodic_noise(
    seeds: list[int], height: int, width: int, scales: int, channels: int = 3,
) -> list[torch.Tensor]:
    """Noise pyramid (finest first) for a periodic sample of exactly height × width."""
    pyramid = []
    for scale, (h, w) in enumerate(scale_sizes(height, width, scales)):
        rows, cols = torch.arange(h, dtype=torch.int64), torch.arange(w, dtype=torch.int64)
        pyramid.append(noise_window(seeds[0], scale, channels, rows, cols, seeds))
    return pyramid


def random_noise(
    batch: int, height: int, width: int, scales: int, channels: int = 3,
    generator: torch.Generator | None = None, device: torch.device | str = "cpu",
) -> list[torch.Tensor]:
    """Fresh uniform noise for training (cheaper than hashing; coordinates do not matter)."""
    return [
        torch.rand(batch, channels, h, w, generator=generator).to(device)
        for h, w in scale_sizes(height, width, scales)
    ]
