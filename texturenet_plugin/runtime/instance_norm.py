"""Fast stylization: instance-normalised generators on the fast path of :mod:`.folded`.

An instance norm's statistics depend on the image, so they cannot be folded at load time. Two
cases, both exact up to float rounding:

- **Whole image** (:class:`InstanceNormRunner`): channels-last oneDNN convolutions in the
  compute dtype; after each one, the per-channel statistics (:func:`channel_stats`) and the
  normalisation + LeakyReLU as one fused pass (:func:`affine_leaky`).
  The join's two norms become a per-input-channel affine of the mixer's first convolution,
  folded into its weights on the fly (exact with circular padding, as in :mod:`.folded`). The
  statistics can be recorded as they are computed.
- **Frozen statistics** (tiled stylization, :mod:`..synthesis.stylize`): once recorded, every
  instance norm is a fixed per-channel affine map, so :class:`.folded.FastGenerator` folds it
  exactly like an eval-mode BatchNorm (``affine=frozen_affine(stats)``), with fused conv +
  LeakyReLU.

:class:`FastStylizer` picks the right one for a generator; :class:`ReferenceStylizer` in
:mod:`..synthesis.stylize` is the ``nn.Module`` path it is tested against.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..nets.generator import ConvBlock, Generator
from .folded import (
    _FUSED,
    SLOPE,
    Conv,
    FastGenerator,
    _with_content,
    compute_conv,
    fast_generator,
    fold_input_affine,
    fused_ok,
    head_rgb,
    join_circular,
    pad_circular,
    supports_folding,
    to_compute,
)
from .precision import check_precision, strict_float32

Stats = dict  # id(norm module) -> (mean, var), each (C,) float32: statistics of the norm's input


def frozen_affine(stats: Stats):
    """``affine(norm) -> (s, t)`` (float64) of instance norms with the recorded ``stats``."""

    def affine(norm: nn.InstanceNorm2d):
        mean, var = (v.double() for v in stats[id(norm)])
        weight = norm.weight.double() if norm.affine else torch.ones_like(mean)
        bias = norm.bias.double() if norm.affine else torch.zeros_like(mean)
        scale = weight / torch.sqrt(var + norm.eps)
        return scale, bias - mean * scale

    return affine


def _layers(block: ConvBlock) -> list[tuple[nn.Conv2d, nn.InstanceNorm2d]]:
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    return list(zip(convs, [m for m in block if isinstance(m, nn.InstanceNorm2d)]))


class InstanceNormRunner:
    """One whole-image pass of an instance-norm generator on the fast path.

    ``runner(noise_finest_first, content, stats=None) -> (B, 3, H, W)`` float32 in [0, 1];
    a ``stats`` dict is filled with every norm's input statistics. Batch size 1 (per-image
    statistics are per-batch statistics then).
    """

    def __init__(self, gen: Generator, precision: str = "float32") -> None:
        self.spec = gen.spec
        self.device = next(gen.parameters()).device
        self.dtype = check_precision(precision, self.device)
        with torch.no_grad():
            self.branches = [self._block(b) for b in gen.branches]
            self.mixers = [self._block(m) for m in gen.mixers]
            self.joins = list(gen.joins)
            self.first64 = [(m[0].weight.double(), m[0].bias.double()) for m in gen.mixers]
            self.head = self._conv(gen.head.weight, gen.head.bias)

    def _conv(self, weight: torch.Tensor, bias: torch.Tensor) -> Conv:
        return compute_conv(weight, bias, self.device, self.dtype)

    def _block(self, block: ConvBlock) -> list[tuple[Conv, nn.InstanceNorm2d]]:
        return [(self._conv(c.weight, c.bias), n) for c, n in _layers(block)]

    def __call__(self, noise, content=None, stats: Stats | None = None) -> torch.Tensor:
        return self.forward(noise, content, stats)

    @torch.no_grad()
    def forward(self, noise, content=None, stats: Stats | None = None) -> torch.Tensor:
        stats = {} if stats is None else stats
        inputs = [to_compute(x, self.device, self.dtype)
                  for x in _with_content(self.spec, noise, content)]
        if inputs[0].shape[0] != 1:
            raise ValueError("the instance-norm fast path takes one image at a time")
        with strict_float32(self.device, self.dtype):
            return self._forward(inputs, stats)

    def _forward(self, inputs: list[torch.Tensor], stats: Stats) -> torch.Tensor:
        x = run_norm_block(self.branches[-1], inputs[-1], stats)
        for depth in range(1, self.spec.scales):
            scale = self.spec.scales - 1 - depth
            fine = run_norm_block(self.branches[scale], inputs[scale], stats)
            x = self._mix(depth - 1, x, fine, stats)
        return head_rgb(self.spec, self.head, x)

    def _mix(self, index: int, coarse: torch.Tensor, fine: torch.Tensor, stats: Stats):
        """Join (both norms folded into the mixer's first conv) and the mixer block."""
        join, size = self.joins[index], fine.shape[-2:]
        exact = tuple(size) == (2 * coarse.shape[-2], 2 * coarse.shape[-1])
        up = None if exact else F.interpolate(coarse, size=tuple(size), mode="nearest")
        # nearest ×2 repeats every value 4 times: the statistics of the coarse map are exact
        pairs = ((join.norm_coarse, coarse if exact else up), (join.norm_fine, fine))
        for norm, x in pairs:
            stats[id(norm)] = channel_stats(x, norm.eps)
        affine = frozen_affine(stats)
        (sc, tc), (sf, tf) = affine(join.norm_coarse), affine(join.norm_fine)
        weight, bias = fold_input_affine(*self.first64[index], torch.cat([sc, sf]),
                                         torch.cat([tc, tf]))
        layers = [(self._conv(weight, bias), self.mixers[index][0][1]), *self.mixers[index][1:]]
        return run_norm_block(layers, join_circular(coarse, fine, 1), stats, padded=True)


def channel_stats(x: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, C, H, W) -> per-channel (mean, biased variance), each (C,) float32 (float32
    accumulation for bfloat16), one read of ``x``.

    ATen's channels-last statistics kernel is fast only when C is a multiple of 16: on two
    cores, 13.3M bfloat16 values took 1.8 ms at C = 16, 32, 48, 64, but 7.1 ms at C = 40 and
    19.7 ms at C = 8 (the widths of this generator's finest layers). So the same memory is read
    as g·C channels of H·W/g pixels (a view: pixel-major rows of C values, g pixels per row),
    with g·C a multiple of 16, and the g partial statistics of each channel are merged."""
    view, g = _grouped(x)
    mean_g, var_g = torch.batch_norm_update_stats(view, None, None, 0.0)
    if g == 1:
        return mean_g.float(), var_g.float()
    mean_g, var_g = mean_g.double().view(g, -1), var_g.double().view(g, -1)
    mean = mean_g.mean(0)
    var = (var_g + mean_g**2).mean(0) - mean**2
    return mean.float(), var.clamp_min(0).float()


def _grouped(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``x`` (1, C, H, W) channels-last as (1, g·C, H·W/g, 1) channels-last (the same memory)
    with g·C a multiple of 16 where possible; g = 1 (``x`` itself) otherwise."""
    _, c, h, w = x.shape
    g = 16 // math.gcd(c, 16)
    if g == 1 or (h * w) % g or not x.is_contiguous(memory_format=torch.channels_last):
        return x, 1
    rows = x.permute(0, 2, 3, 1).reshape(h * w // g, g * c)  # a view: x is channels-last
    return rows.t()[None, :, :, None], g


def run_norm_block(layers, x: torch.Tensor, stats: Stats, padded: bool = False):
    """conv → instance norm → LeakyReLU, per layer; same size out as in (circular padding,
    channels-last kept). ``padded``: ``x`` already carries the first conv's border (1)."""
    for i, (conv, norm) in enumerate(layers):
        pad = conv.kernel // 2
        if pad and not (padded and i == 0):
            x = pad_circular(x, pad)
        x = norm_leaky(conv_plain(x, conv), norm, stats)
    return x


def conv_plain(x: torch.Tensor, conv: Conv) -> torch.Tensor:
    """conv(x), unpadded; oneDNN directly on CPU (``F.conv2d`` picks a slow kernel for some
    channels-last 1×1 cases)."""
    if fused_ok(x):
        return _FUSED(x, conv.weight, conv.bias, [0, 0], [1, 1], [1, 1], 1, "none", [], "")
    return F.conv2d(x, conv.weight, conv.bias)


def norm_leaky(y: torch.Tensor, norm: nn.InstanceNorm2d, stats: Stats) -> torch.Tensor:
    """LeakyReLU(instance_norm(y)) for one image, recording the statistics in ``stats``.
    Batch statistics of a batch of one are the instance statistics (:func:`channel_stats`);
    the normalisation is then a per-channel affine map, applied with the LeakyReLU in one
    pass (:func:`affine_leaky`)."""
    stats[id(norm)] = channel_stats(y, norm.eps)
    scale, shift = frozen_affine(stats)(norm)
    return affine_leaky(y, scale, shift)


def affine_leaky(y: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """LeakyReLU(scale·y + shift) per channel, (C,) float64 scale and shift. On CPU a depthwise
    1×1 oneDNN convolution with the activation fused: one pass over memory (at 1056² × 40
    channels, bfloat16, one thread: 7.8 ms against 16.9 ms for batch norm then LeakyReLU)."""
    channels = y.shape[1]
    if fused_ok(y):
        weight = scale.to(y.dtype).view(channels, 1, 1, 1)
        weight = weight.contiguous(memory_format=torch.channels_last)
        return _FUSED(y, weight, shift.to(y.dtype), [0, 0], [1, 1], [1, 1], channels,
                      "leaky_relu", [SLOPE], "")
    out = torch.addcmul(shift.to(y.dtype)[:, None, None], y, scale.to(y.dtype)[:, None, None])
    return F.leaky_relu_(out, SLOPE)


class FastStylizer:
    """A stylization generator on the fast path, whatever its normalisation.

    ``stylizer(noise, content)``: a whole-image pass. ``stylizer.frozen(noise, content)``: a
    callable for tiles, with instance statistics recorded on this (downscaled) whole image and
    folded in; BatchNorm models are local and need no statistics.
    """

    def __init__(self, gen: Generator, precision: str = "float32") -> None:
        self.gen, self.precision = gen, precision
        if supports_folding(gen):
            self.whole = fast_generator(gen, precision)
        else:
            self.whole = InstanceNormRunner(gen, precision)

    def __call__(self, noise, content):
        return self.whole(noise, content)

    def frozen(self, noise, content):
        if isinstance(self.whole, FastGenerator):
            return self.whole
        stats: Stats = {}
        self.whole(noise, content, stats)
        return FastGenerator(self.gen, self.precision, affine=frozen_affine(stats))
