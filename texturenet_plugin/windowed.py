"""Exact windowed evaluation of a texture generator: any window of an infinite or periodic
sample, computed with only the halo each scale needs.

Noise is defined per global coordinate (:mod:`.noise`), eval-mode BatchNorm is pointwise, and
every 3×3 convolution is evaluated "valid" over a window grown by one pixel per side, so the
result equals one-pass synthesis of the whole image (within float rounding). This is what makes
huge tiles fit in bounded memory and makes fills of neighbouring regions meet without a seam.

Windows are (start, stop) in the coordinates of one scale. ``period`` (H, W) wraps noise
coordinates so the sample is periodic; it must be a multiple of the generator's lattice.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .generator import ConvBlock, Generator, Join
from .noise import noise_window

Span = tuple[int, int]


def supports_windows(gen: Generator) -> bool:
    """Windowed evaluation needs pointwise normalisation: BatchNorm in eval mode."""
    return gen.spec.norm == "batch" and gen.spec.content_channels == 0 and not gen.training


def _grow(span: Span, by: int) -> Span:
    return span[0] - by, span[1] + by


def _block_valid(block: ConvBlock, x: torch.Tensor) -> torch.Tensor:
    """A conv block without padding: the output window shrinks by 1 per side per 3×3 conv."""
    for layer in block:
        if isinstance(layer, nn.Conv2d):
            x = F.conv2d(x, layer.weight, layer.bias)
        else:
            x = layer(x)
    return x


def _join_window(join: Join, coarse: torch.Tensor, coarse_start: Span, fine: torch.Tensor,
                 fine_start: Span) -> torch.Tensor:
    """Nearest ×2 upsampling of a coarse window, cropped to the fine window, then the join."""
    up = coarse.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)
    top = fine_start[0] - 2 * coarse_start[0]
    left = fine_start[1] - 2 * coarse_start[1]
    h, w = fine.shape[-2:]
    up = up[..., top : top + h, left : left + w]
    return torch.cat([join.norm_coarse(up), join.norm_fine(fine)], dim=1)


class WindowEvaluator:
    """Evaluates ``gen`` (eval mode, BatchNorm) on windows of its global noise field."""

    def __init__(self, gen: Generator, seeds: list[int], period: tuple[int, int] | None = None):
        if not supports_windows(gen):
            raise ValueError("windowed synthesis needs a texture generator with BatchNorm in eval")
        lattice = gen.spec.lattice
        if period is not None and (period[0] % lattice or period[1] % lattice):
            raise ValueError(f"periodic windows need sizes that are multiples of {lattice}")
        self.gen, self.seeds, self.period = gen, seeds, period
        self.device = next(gen.parameters()).device
        self.dtype = next(gen.parameters()).dtype

    def _noise(self, scale: int, rows: Span, cols: Span) -> torch.Tensor:
        r = torch.arange(*rows, dtype=torch.int64)
        c = torch.arange(*cols, dtype=torch.int64)
        if self.period is not None:
            r = r % (self.period[0] >> scale)
            c = c % (self.period[1] >> scale)
        z = noise_window(self.seeds[0], scale, self.gen.spec.noise_channels, r, c, self.seeds)
        return z.to(self.device, self.dtype)

    def features(self, scale: int, rows: Span, cols: Span) -> torch.Tensor:
        """The merged features of ``scale`` (all coarser scales included) on the window."""
        gen, k = self.gen, self.gen.spec.scales
        if scale == k - 1:
            return _block_valid(gen.branches[scale], self._noise(scale, _grow(rows, 2), _grow(cols, 2)))
        rows2, cols2 = _grow(rows, 2), _grow(cols, 2)  # the mixer's two 3×3 convs
        fine = _block_valid(gen.branches[scale], self._noise(scale, _grow(rows2, 2), _grow(cols2, 2)))
        coarse_rows = (rows2[0] // 2, (rows2[1] - 1) // 2 + 1)
        coarse_cols = (cols2[0] // 2, (cols2[1] - 1) // 2 + 1)
        coarse = self.features(scale + 1, coarse_rows, coarse_cols)
        depth = k - 1 - scale
        joined = _join_window(gen.joins[depth - 1], coarse, (coarse_rows[0], coarse_cols[0]),
                              fine, (rows2[0], cols2[0]))
        return _block_valid(gen.mixers[depth - 1], joined)

    @torch.no_grad()
    def image(self, rows: Span, cols: Span) -> torch.Tensor:
        """RGB in [0, 1], (B, 3, rows, cols), for a window of the full-resolution sample."""
        return torch.sigmoid(self.gen.head(self.features(0, rows, cols)))
