"""Fast inference for trained generators: normalisation folded into the convolutions.

In eval mode every BatchNorm is a per-channel affine map y = s·x + t, so it can be folded at load
time into a neighbouring convolution without changing the output beyond float rounding:

- a block's ``conv → BN`` becomes one conv with weights scaled per output channel;
- a join's two BNs (on the upsampled coarse branch and on the fine branch, both followed by the
  mixer's first 3×3 conv) fold into that conv's weights per *input* channel and its bias. This
  is exact because the convolutions pad circularly (or are evaluated "valid" by the windowed
  evaluator), so every padded value is itself a normalised value — zero padding would not be.

What is left is convolutions, LeakyReLU, nearest upsampling and concatenation. Tensors are kept
channels-last (oneDNN's fast layout on CPU, cuDNN's tensor-core layout on GPU). ``precision``
selects the compute type: ``float32`` (the default), ``bfloat16`` (CPU with AVX512-BF16/AMX or
CUDA) or ``float16`` (CUDA); outputs always come back as float32 in [0, 1]. ``"auto"`` is
resolved by :func:`.precision.resolve_precision` (the CLI's and the worker's default).
Instance-normalised generators cannot be folded at load time (their statistics depend on the
input); :func:`fast_generator` returns them unchanged, and :mod:`.instance_norm` runs them fast
(``FastGenerator(gen, affine=...)`` folds them once their statistics are frozen).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError
from ..nets.generator import ConvBlock, Generator, to_rgb
from ..nets.noise import _hash32
from .precision import check_precision, strict_float32

SLOPE = 0.01  # LeakyReLU slope of generator.ConvBlock


@dataclass
class Conv:
    """A folded convolution: weight (Cout, Cin, k, k), bias (Cout,), both in compute dtype."""

    weight: torch.Tensor
    bias: torch.Tensor

    @property
    def kernel(self) -> int:
        return self.weight.shape[-1]


def _bn_affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as y = s·x + t -> (s, t), each (C,) float64."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return scale, bn.bias.double() - bn.running_mean.double() * scale


def fold_block(block: ConvBlock, affine=None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """conv → norm → LeakyReLU, three times -> three folded (weight, bias) pairs in float64.
    ``affine(norm) -> (s, t)``: the norm as y = s·x + t (default: eval-mode BatchNorm)."""
    affine = affine or _bn_affine
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    norms = [m for m in block if isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d))]
    folded = []
    for conv, bn in zip(convs, norms):
        s, t = affine(bn)
        folded.append((conv.weight.double() * s[:, None, None, None], conv.bias.double() * s + t))
    return folded


def fold_input_affine(weight: torch.Tensor, bias: torch.Tensor, s: torch.Tensor, t: torch.Tensor):
    """conv(s·x + t) as conv'(x): scale input channels, move the shift into the bias.

    Exact for circular or valid convolution (every input value seen is an affine image).
    """
    return weight * s[None, :, None, None], bias + (weight * t[None, :, None, None]).sum((1, 2, 3))


def supports_folding(gen: Generator) -> bool:
    return gen.spec.norm == "batch" and not gen.training


class FastGenerator:
    """An inference-only copy of a BatchNorm generator with normalisation folded in
    (or of any generator whose norms ``affine(norm) -> (s, t)`` turns into per-channel affine
    maps, e.g. instance norms with frozen statistics: :mod:`.instance_norm`).

    ``branches[i]`` and ``mixers[d]`` are lists of three :class:`Conv` (3×3, 3×3, 1×1, each
    followed by LeakyReLU); the joins are plain upsample + concatenate. Call it like
    ``Generator.forward``: ``fast(noise_finest_first, content=None) -> (B, 3, H, W)`` float32.
    """

    def __init__(self, gen: Generator, precision: str = "float32", affine=None) -> None:
        if affine is None and not supports_folding(gen):
            raise ValueError("folding needs a BatchNorm generator in eval mode")
        affine = affine or _bn_affine
        self.spec = gen.spec
        self.device = next(gen.parameters()).device
        self.dtype = check_precision(precision, self.device)
        self.precision = precision
        with torch.no_grad():
            self.branches = [self._convs(fold_block(b, affine)) for b in gen.branches]
            self.mixers = []
            for join, mixer in zip(gen.joins, gen.mixers):
                convs = fold_block(mixer, affine)
                (sc, tc), (sf, tf) = affine(join.norm_coarse), affine(join.norm_fine)
                s, t = torch.cat([sc, sf]), torch.cat([tc, tf])
                convs[0] = fold_input_affine(*convs[0], s, t)
                self.mixers.append(self._convs(convs))
            self.head = self._convs([(gen.head.weight.double(), gen.head.bias.double())])[0]

    def _convs(self, pairs) -> list[Conv]:
        return [compute_conv(w, b, self.device, self.dtype) for w, b in pairs]

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """An input (noise or content) in compute dtype and channels-last layout."""
        return to_compute(x, self.device, self.dtype)

    def __call__(self, noise: list[torch.Tensor], content: torch.Tensor | None = None):
        return self.forward(noise, content)

    @torch.no_grad()
    def forward(self, noise: list[torch.Tensor], content: torch.Tensor | None = None):
        """One pass over the whole (periodic) sample, circular padding like the reference.

        Each block's input is padded circularly once, by the halo of its two 3×3 convs (2),
        and the convs run "valid": the first conv's extra ring is exactly the circular padding
        the second needs. At joins, upsampling, concatenation and padding are one copy.
        """
        with strict_float32(self.device, self.dtype):
            return self._forward([self.prepare(x)
                                  for x in _with_content(self.spec, noise, content)])

    def _forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        x = run_block(self.branches[-1], inputs[-1], circular=True)
        for depth in range(1, self.spec.scales):
            scale = self.spec.scales - 1 - depth
            fine = run_block(self.branches[scale], inputs[scale], circular=True)
            if min(fine.shape[-2:]) >= BLOCK_HALO:
                x = run_block(self.mixers[depth - 1], join_circular(x, fine, BLOCK_HALO))
            else:
                up = F.interpolate(x, size=fine.shape[-2:], mode="nearest")
                x = run_block(self.mixers[depth - 1], torch.cat([up, fine], 1), circular=True)
        return self.rgb(x)

    def rgb(self, features: torch.Tensor) -> torch.Tensor:
        return head_rgb(self.spec, self.head, features)


_FOLDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def folded(gen: Generator, precision: str = "float32") -> FastGenerator:
    """``FastGenerator(gen, precision)``, folded once per generator and precision while its
    weights stay as they are: a warm worker or a benchmark that samples one model many times
    does not fold it again for every sample (~2 ms of a 256² sample's ~20 on a CPU). A change
    of any weight or statistic (an optimiser step, ``load_state_dict``, ``.to()``) changes
    the key, so a training's previews still see its current weights. A generator whose weights
    were made under ``torch.inference_mode`` cannot be keyed and is folded every time."""
    key = _weights_key(gen)
    if key is None:
        return FastGenerator(gen, precision)
    per_precision = _FOLDED.setdefault(gen, {})
    cached = per_precision.get(precision)
    if cached is None or cached[0] != key:
        cached = per_precision[precision] = (key, FastGenerator(gen, precision))
    return cached[1]


def _weights_key(gen: Generator) -> tuple | None:
    """Every weight's storage and version counter; None when one is an inference tensor
    (made under ``torch.inference_mode``), which has no version counter: not cached."""
    key = []
    for tensor in (*gen.parameters(), *gen.buffers()):
        if tensor.is_inference():
            return None
        key.append((tensor.data_ptr(), tensor._version))
    return tuple(key)


def to_compute(x: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``x`` on ``device`` in the compute dtype, channels-last (inputs and conv weights)."""
    return x.to(device, dtype).contiguous(memory_format=torch.channels_last)


def compute_conv(weight: torch.Tensor, bias: torch.Tensor, device: torch.device,
                 dtype: torch.dtype) -> Conv:
    return Conv(to_compute(weight, device, dtype), bias.to(device, dtype))


def head_rgb(spec, head: Conv, features: torch.Tensor) -> torch.Tensor:
    """Final 1×1 conv and output map (:func:`..nets.generator.to_rgb`) -> (B, 3, H, W) float32."""
    out = F.conv2d(features, head.weight, head.bias)
    return to_rgb(spec, out.float()).contiguous()


def _with_content(spec, noise: list[torch.Tensor], content: torch.Tensor | None):
    if len(noise) != spec.scales:
        raise ValueError(f"expected {spec.scales} noise tensors, got {len(noise)}")
    if spec.content_channels == 0:
        return noise
    if content is None:
        raise ValueError("a stylization generator needs a content image")
    pyramid = content_pyramid(content, [tuple(z.shape[-2:]) for z in noise])
    return [torch.cat([y, z.to(content.device)], dim=1) for y, z in zip(pyramid, noise)]


def content_pyramid(image: torch.Tensor, sizes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """``image`` area-resized to each of ``sizes`` (finest first), like the generator's own
    ``_resize_area``. An exact halving of the previous level is a 2×2 mean of it (equal to
    the area resize of the full image up to float rounding) and reads 4× less memory."""
    out, previous = [], image
    for size in sizes:
        h, w = previous.shape[-2:]
        if (h, w) == size:
            level = previous
        elif (h, w) == (2 * size[0], 2 * size[1]):
            level = F.avg_pool2d(previous, 2)
        else:
            level = F.interpolate(image, size=size, mode="area")
        out.append(level)
        previous = level
    return out


BLOCK_HALO = 2  # a block's two 3×3 convs need 2 pixels of context per side


def run_block(convs: list[Conv], x: torch.Tensor, circular: bool = False) -> torch.Tensor:
    """Three convs, each followed by LeakyReLU, evaluated "valid" (each 3×3 conv loses one
    pixel per side). ``circular``: pad the input circularly first so the output keeps its size."""
    if circular and min(x.shape[-2:]) >= BLOCK_HALO:
        x = pad_circular(x, BLOCK_HALO)
    elif circular:  # smaller than the halo (tiny coarse scales): pad per conv, wrapping
        for conv in convs:
            pad = conv.kernel // 2
            x = conv_leaky(F.pad(x, (pad,) * 4, mode="circular") if pad else x, conv)
        return x
    for conv in convs:
        x = conv_leaky(x, conv)
    return x


def join_circular(coarse: torch.Tensor, fine: torch.Tensor, pad: int) -> torch.Tensor:
    """cat(nearest-upsample(coarse), fine), circularly padded by ``pad``, in one channels-last
    buffer: (B, Cc, h, w), (B, Cf, H, W) -> (B, Cc + Cf, H + 2p, W + 2p)."""
    b, cc, h, w = coarse.shape
    height, width = fine.shape[-2:]
    out = torch.empty((b, cc + fine.shape[1], height + 2 * pad, width + 2 * pad),
                      dtype=fine.dtype, device=fine.device, memory_format=torch.channels_last)
    inner = out[:, :, pad : pad + height, pad : pad + width]
    if (height, width) == (2 * h, 2 * w):  # exact ×2: upsample while copying
        target = inner[:, :cc].unflatten(3, (w, 2)).unflatten(2, (h, 2))
        target.copy_(coarse[:, :, :, None, :, None].expand(b, cc, h, 2, w, 2))
    else:  # irregular sizes (see nets/generator.py, "Sizes")
        inner[:, :cc].copy_(F.interpolate(coarse, size=(height, width), mode="nearest"))
    inner[:, cc:].copy_(fine)
    _wrap_border(out, pad)
    return out


def pad_circular(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Circular padding that keeps the channels-last layout (``F.pad`` returns NCHW, which
    costs a layout conversion before every convolution). (B, C, H, W) -> (B, C, H+2p, W+2p);
    needs pad <= H, W."""
    b, c, h, w = x.shape
    out = torch.empty((b, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype, device=x.device,
                      memory_format=torch.channels_last)
    out[:, :, pad:-pad, pad:-pad] = x
    _wrap_border(out, pad)
    return out


def _wrap_border(out: torch.Tensor, pad: int) -> None:
    """Fill the ``pad``-wide border of ``out`` from its interior, periodically (in place)."""
    out[:, :, :pad, pad:-pad] = out[:, :, -2 * pad : -pad, pad:-pad]
    out[:, :, -pad:, pad:-pad] = out[:, :, pad : 2 * pad, pad:-pad]
    out[:, :, :, :pad] = out[:, :, :, -2 * pad : -pad]
    out[:, :, :, -pad:] = out[:, :, :, pad : 2 * pad]


def conv_leaky(x: torch.Tensor, conv: Conv) -> torch.Tensor:
    """LeakyReLU(conv(x)), unpadded. On CPU one fused oneDNN call (convolution with the
    activation as a post-op: no second pass over memory, same float32 result)."""
    if fused_ok(x):
        return _FUSED(x, conv.weight, conv.bias, [0, 0], [1, 1], [1, 1], 1,
                      "leaky_relu", [SLOPE], "")
    return F.leaky_relu_(F.conv2d(x, conv.weight, conv.bias), SLOPE)


def _fused_op():
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):
        return None


_FUSED = _fused_op()
# oneDNN's bfloat16 convolutions need AVX512 (BW/VL/DQ) or AVX-NE-CONVERT; elsewhere they
# raise, and ATen's own bfloat16 convolution (slow, but right) is used instead.
_FUSED_BF16 = _FUSED is not None and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def fused_ok(x: torch.Tensor) -> bool:
    """Whether the fused oneDNN convolution can take ``x`` on this machine."""
    if x.device.type != "cpu" or _FUSED is None:
        return False
    return x.dtype != torch.bfloat16 or _FUSED_BF16


def noise_window_nhwc(seeds: list[int], scale: int, channels: int, rows: torch.Tensor,
                      cols: torch.Tensor) -> torch.Tensor:
    """Bit-identical to :func:`..nets.noise.noise_window` for (B, C, h, w), but computed in uint32
    with in-place NumPy ops into preallocated buffers (no int64 or float64 temporaries) and
    laid out channels-last.

    The value of a cell is hash(hash(channel key + row) + col·0x27D4EB2F) / 2^32; the inner
    hash depends only on (channel, row), so it is computed on (C, h) with the reference code.
    uint32 -> float32 and the reference's uint32 -> float64 -> float32 round the same real
    number once each, so they agree bit for bit (tested).
    """
    col_term = ((cols & 0xFFFFFFFF) * 0x27D4EB2F & 0xFFFFFFFF).numpy().astype(np.uint32)
    out = np.empty((len(seeds), len(rows), len(cols), channels), dtype=np.float32)
    x = np.empty(out.shape[1:], dtype=np.uint32)
    shifted = np.empty_like(x)
    for b, seed in enumerate(seeds):
        key = _hash32(torch.tensor(int(seed) & 0xFFFFFFFF, dtype=torch.int64) + 0x9E3779B9)
        key = _hash32(key + scale)
        chans = _hash32(key + torch.arange(channels, dtype=torch.int64))
        inner = _hash32(chans[None, :] + rows[:, None]).numpy().astype(np.uint32)  # (h, C)
        np.add(inner[:, None, :], col_term[None, :, None], out=x)  # (h, w, C), wraps mod 2^32
        for shift, mult in ((16, 0x7FEB352D), (15, 0x846CA68B), (16, None)):
            np.right_shift(x, np.uint32(shift), out=shifted)
            x ^= shifted
            if mult is not None:
                x *= np.uint32(mult)
        np.multiply(x, np.float32(2.0**-32), out=out[b], casting="unsafe")
    return torch.from_numpy(out).permute(0, 3, 1, 2)


def fast_generator(gen: Generator, precision: str = "float32"):
    """A :class:`FastGenerator` for BatchNorm generators; ``gen`` itself otherwise
    (instance norm cannot be folded; only float32 is offered for it)."""
    if supports_folding(gen):
        return folded(gen, precision)
    if precision != "float32":
        raise InputError("reduced precision needs a BatchNorm generator; use float32")
    return gen

