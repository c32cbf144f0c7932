"""Exact windowed evaluation of a texture generator: any window of an infinite or periodic
sample, computed with only the halo each scale needs.

Noise is defined per global coordinate (:mod:`..nets.noise`), eval-mode BatchNorm is pointwise, and
every 3×3 convolution is evaluated "valid" over a window grown by one pixel per side, so the
result equals one-pass synthesis of the whole image (within float rounding). This is what makes
huge tiles fit in bounded memory and makes fills of neighbouring regions meet without a seam.

Windows are (start, stop) in the coordinates of one scale. ``period`` (H, W) wraps noise
coordinates so the sample is periodic; it must be a multiple of the generator's lattice.
"""

from __future__ import annotations

import torch

from ..nets.generator import Generator
from ..nets.noise import noise_window
from .folded import folded, noise_window_nhwc, run_block
from .precision import strict_float32

Span = tuple[int, int]


def supports_windows(gen: Generator) -> bool:
    """Windowed evaluation needs pointwise normalisation: BatchNorm in eval mode."""
    return gen.spec.norm == "batch" and gen.spec.content_channels == 0 and not gen.training


def _grow(span: Span, by: int) -> Span:
    return span[0] - by, span[1] + by


def _even(span: Span) -> Span:
    """The smallest span with even ends that contains ``span`` (aligned to the coarse grid)."""
    return span[0] - span[0] % 2, span[1] + span[1] % 2


def _join_aligned(coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
    """Concatenate the nearest ×2 upsampling of ``coarse`` (B, Cc, h, w) with ``fine``
    (B, Cf, 2h, 2w) in one channels-last buffer, upsampling while copying (no intermediate).
    The join's normalisation is folded into the mixer (see :mod:`.folded`)."""
    b, cc, h, w = coarse.shape
    joined = torch.empty((b, cc + fine.shape[1], 2 * h, 2 * w), dtype=fine.dtype,
                         device=fine.device, memory_format=torch.channels_last)
    target = joined[:, :cc].unflatten(3, (w, 2)).unflatten(2, (h, 2))  # (B, Cc, h, 2, w, 2)
    target.copy_(coarse[:, :, :, None, :, None].expand(b, cc, h, 2, w, 2))
    joined[:, cc:].copy_(fine)
    return joined


class WindowEvaluator:
    """Evaluates ``gen`` (eval mode, BatchNorm) on windows of its global noise field.

    ``precision`` is the compute type of :class:`.folded.FastGenerator` (float32 by default).
    """

    def __init__(self, gen: Generator, seeds: list[int], period: tuple[int, int] | None = None,
                 precision: str = "float32"):
        if not supports_windows(gen):
            raise ValueError("windowed synthesis needs a texture generator with BatchNorm in eval")
        lattice = gen.spec.lattice
        if period is not None and (period[0] % lattice or period[1] % lattice):
            raise ValueError(f"periodic windows need sizes that are multiples of {lattice}")
        self.gen, self.seeds, self.period = gen, seeds, period
        self.fast = folded(gen, precision)
        self.device, self.dtype = self.fast.device, self.fast.dtype

    def _noise(self, scale: int, rows: Span, cols: Span) -> torch.Tensor:
        """Noise of the window. On CUDA it is hashed on the device (the CPU's hashing and the
        copy took longer than the convolutions); elsewhere on the CPU (MPS has no int64/float64
        path for it)."""
        where = self.device if self.device.type == "cuda" else torch.device("cpu")
        r = torch.arange(*rows, dtype=torch.int64, device=where)
        c = torch.arange(*cols, dtype=torch.int64, device=where)
        if self.period is not None:
            r = r % (self.period[0] >> scale)
            c = c % (self.period[1] >> scale)
        channels = self.gen.spec.noise_channels
        z = (noise_window(self.seeds[0], scale, channels, r, c, self.seeds) if where.type == "cuda"
             else noise_window_nhwc(self.seeds, scale, channels, r, c))
        return self.fast.prepare(z)

    def _branch(self, scale: int, rows: Span, cols: Span) -> torch.Tensor:
        noise = self._noise(scale, _grow(rows, 2), _grow(cols, 2))  # the block's two 3×3 convs
        return run_block(self.fast.branches[scale], noise)

    def features(self, scale: int, rows: Span, cols: Span) -> torch.Tensor:
        """The merged features of ``scale`` (all coarser scales included) on the window."""
        k = self.gen.spec.scales
        if scale == k - 1:
            return self._branch(scale, rows, cols)
        # the mixer's two 3×3 convs need 2 more pixels per side; even ends make the coarse
        # window's ×2 upsampling cover the fine window exactly (at most 1 extra pixel a side)
        (r0, r1), (c0, c1) = _even(_grow(rows, 2)), _even(_grow(cols, 2))
        coarse = self.features(scale + 1, (r0 // 2, r1 // 2), (c0 // 2, c1 // 2))
        joined = _join_aligned(coarse, self._branch(scale, (r0, r1), (c0, c1)))
        del coarse
        out = run_block(self.fast.mixers[k - 2 - scale], joined)
        top, left = rows[0] - (r0 + 2), cols[0] - (c0 + 2)
        return out[..., top : top + rows[1] - rows[0], left : left + cols[1] - cols[0]]

    @torch.no_grad()
    def image(self, rows: Span, cols: Span) -> torch.Tensor:
        """RGB in [0, 1], (B, 3, rows, cols) float32, for a window of the full-resolution sample."""
        with strict_float32(self.device, self.dtype):
            return self.fast.rgb(self.features(0, rows, cols))
