"""Applying a stylization generator g(y, z) to an image of any size (paper §3.3, Fig. 5).

- **Exact size**: the image is reflect-padded by a margin (so the generator's circular padding
  wraps mirrored content far from the kept pixels, not the opposite edge) and up to a multiple
  of the pyramid's lattice 2^(K-1); the output is cropped back to the input's exact size.
- **Strength k**: the noise fed to every scale is k·z, z uniform in [0, 1) as in training
  (k = 1). k = 0 gives a deterministic rendering closest to the content; larger k adds texture.
- **Determinism**: the noise is hashed from (seed, scale, coordinates) (:mod:`..nets.noise`), so
  a seed gives the same result on any machine and every tile of a large image sees the same
  noise field.
- **Bounded memory**: images whose padded side exceeds ``max_pass_side`` are processed in
  overlapping tiles, keeping only each tile's core. Instance normalisation normalises with
  statistics of the whole image, which one tile does not see; those statistics are therefore
  measured once on a copy of the image downscaled to ``max_pass_side`` and frozen for every tile
  (BatchNorm models in eval mode need nothing: they are local operators). With frozen
  statistics the network is local, so a core more than ``overlap`` pixels inside its tile
  matches a whole-image pass with those statistics (tests/synthesis/test_stylize.py checks this).
- **Fast path**: :class:`..runtime.instance_norm.FastStylizer` (normalisation folded or applied
  in one pass, channels-last, fused conv + LeakyReLU, ``precision``); ``reference=True`` runs the
  ``nn.Module`` itself (:class:`ReferenceStylizer`), which the fast path is tested against.
- **Keep colours**: luminance-only transfer (Gatys et al. 2016, "Preserving colour"): the
  output's Y of YCbCr with the input's Cb and Cr.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from ..errors import InputError
from ..io.images import open_image, save_atomic
from ..limits import MAX_STRENGTH, StylizeOptions  # noqa: F401  (their home: limits)
from ..nets.generator import Generator
from ..progress import Reporter
from ..runtime.folded import noise_window_nhwc
from ..runtime.instance_norm import FastStylizer
from ..runtime.precision import resolve_precision
from .tile import to_uint8


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def noise_pyramid(gen: Generator, top: int, left: int, height: int, width: int, seed: int,
                  strength: float) -> list[torch.Tensor]:
    """k·z for the window (top, left, height, width) of the global noise field, finest first:
    K tensors (1, C, height/2^i, width/2^i). top/left/height/width are lattice multiples."""
    out = []
    for scale in range(gen.spec.scales):
        f = 2**scale
        rows = torch.arange(top // f, top // f + height // f, dtype=torch.int64)
        cols = torch.arange(left // f, left // f + width // f, dtype=torch.int64)
        out.append(noise_window_nhwc([seed], scale, gen.spec.noise_channels, rows, cols)
                   * strength)
    return out


def pad_for_generator(image: torch.Tensor, lattice: int, margin: int):
    """(1, 3, H, W) -> (padded (1, 3, H', W'), (top, left)) with H', W' multiples of
    ``lattice``; reflect padding (replicate where the image is too small to reflect)."""
    _, _, h, w = image.shape
    ph, pw = _round_up(h + 2 * margin, lattice), _round_up(w + 2 * margin, lattice)
    top, left = (ph - h) // 2, (pw - w) // 2
    pads = (left, pw - w - left, top, ph - h - top)
    mode = "reflect" if min(pads) < min(h, w) and max(pads) < min(h, w) else "replicate"
    return F.pad(image, pads, mode=mode), (top, left)


class _FrozenInstanceNorm:
    """Record each InstanceNorm2d's input mean/variance on one pass, then reuse them."""

    def __init__(self, gen: Generator) -> None:
        self.norms = [m for m in gen.modules() if isinstance(m, nn.InstanceNorm2d)]
        self.stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    @contextmanager
    def recording(self):
        def hook(module, inputs):
            x = inputs[0]
            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)
            self.stats[id(module)] = (mean, var)

        handles = [m.register_forward_pre_hook(hook) for m in self.norms]
        try:
            yield self
        finally:
            for handle in handles:
                handle.remove()

    @contextmanager
    def frozen(self):
        for m in self.norms:
            mean, var = self.stats[id(m)]
            m.forward = _frozen_forward(m, mean, var)
        try:
            yield self
        finally:
            for m in self.norms:
                del m.forward


class ReferenceStylizer:
    """The ``nn.Module`` path (the fast one is tested against it): ``(noise, content)`` -> a
    whole-image pass; ``frozen(noise, content)`` -> a callable for tiles with the instance
    statistics of this whole-image pass frozen (hooks on the modules)."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen

    def __call__(self, noise, content):
        return self.gen(noise, content)

    def frozen(self, noise, content):
        norms = _FrozenInstanceNorm(self.gen)
        if not norms.norms:
            return self.gen
        with norms.recording():
            self.gen(noise, content)

        def run(tile_noise, tile):
            with norms.frozen():
                return self.gen(tile_noise, tile)

        return run


def _frozen_forward(m: nn.InstanceNorm2d, mean: torch.Tensor, var: torch.Tensor):
    scale = torch.rsqrt(var + m.eps)
    weight = m.weight if m.affine else torch.ones_like(mean)
    bias = m.bias if m.affine else torch.zeros_like(mean)
    a, b = (weight * scale).view(1, -1, 1, 1), (bias - mean * weight * scale).view(1, -1, 1, 1)
    return lambda x: x * a + b


@torch.inference_mode()
def stylize(gen: Generator, image: torch.Tensor, options: StylizeOptions | None = None,
            reporter: Reporter | None = None, reference: bool = False) -> torch.Tensor:
    """Stylize ``image`` (3, H, W) in [0, 1] -> (3, H, W) in [0, 1], exactly the input's size.

    ``reference``: run the ``nn.Module`` in float32 instead of the fast path (for tests and
    benchmarks; ``options.precision`` is then ignored)."""
    options, reporter = (options or StylizeOptions()).validate(), reporter or Reporter()
    if gen.spec.content_channels != 3:
        raise InputError("this is a texture model; use `texnet fill` (stylize needs a style model)")
    if image.dim() != 3 or image.shape[0] != 3:
        raise InputError(f"expected a (3, H, W) image, got {tuple(image.shape)}")
    gen.eval()
    device = next(gen.parameters()).device
    lattice = gen.spec.lattice
    padded, (top, left) = pad_for_generator(image[None].to(device), lattice, options.margin)
    ph, pw = padded.shape[-2:]
    engine = (ReferenceStylizer(gen) if reference
              else FastStylizer(gen, resolve_precision(options.precision, device,
                                                   image.shape[1] * image.shape[2])))
    if max(ph, pw) <= options.max_pass_side:
        reporter.report("synthesize", 0, 1, "stylizing")
        noise = [z.to(device) for z in noise_pyramid(gen, 0, 0, ph, pw, options.seed,
                                                     options.strength)]
        out = engine(noise, padded)
        reporter.report("synthesize", 1, 1, "stylized")
    else:
        out = _stylize_tiled(gen, engine, padded, options, reporter)
    out = out[0, :, top:top + image.shape[1], left:left + image.shape[2]].cpu()
    if options.keep_colors:
        out = keep_colors(out, image)
    return out.clamp(0, 1)


def _stylize_tiled(gen: Generator, engine, padded: torch.Tensor, options: StylizeOptions,
                   reporter: Reporter) -> torch.Tensor:
    """Cores of side (max_pass_side − 2·overlap) in tiles of side ≤ max_pass_side; instance
    statistics frozen from a downscaled whole-image pass."""
    lattice, device = gen.spec.lattice, padded.device
    overlap = _round_up(options.overlap, lattice)
    core = (options.max_pass_side - 2 * overlap) // lattice * lattice
    ph, pw = padded.shape[-2:]
    run = _frozen_engine(gen, engine, padded, options)
    out = torch.empty(1, 3, ph, pw, device=device)
    big = F.pad(padded, (overlap,) * 4, mode="replicate")
    boxes = [(y, x) for y in range(0, ph, core) for x in range(0, pw, core)]
    for done, (y, x) in enumerate(boxes):
        reporter.report("synthesize", done, len(boxes), f"tile {done + 1}/{len(boxes)}")
        h, w = min(core, ph - y), min(core, pw - x)
        tile = big[:, :, y:y + h + 2 * overlap, x:x + w + 2 * overlap]
        noise = noise_pyramid(gen, y - overlap, x - overlap, h + 2 * overlap, w + 2 * overlap,
                              options.seed, options.strength)
        result = run([z.to(device) for z in noise], tile)
        out[:, :, y:y + h, x:x + w] = result[:, :, overlap:overlap + h, overlap:overlap + w]
    reporter.report("synthesize", len(boxes), len(boxes), "stylized")
    return out


def _frozen_engine(gen: Generator, engine, padded: torch.Tensor, options: StylizeOptions):
    """The engine for tiles: instance statistics from a copy of the image downscaled to
    ``max_pass_side``, frozen."""
    if gen.spec.norm != "instance":  # BatchNorm in eval mode is local: nothing to freeze
        return engine
    ph, pw = padded.shape[-2:]
    lattice = gen.spec.lattice
    scale = options.max_pass_side / max(ph, pw)
    h = max(lattice, int(ph * scale) // lattice * lattice)
    w = max(lattice, int(pw * scale) // lattice * lattice)
    small = F.interpolate(padded, size=(h, w), mode="area")
    noise = noise_pyramid(gen, 0, 0, h, w, options.seed, options.strength)
    return engine.frozen([z.to(padded.device) for z in noise], small)


_RGB_TO_YCBCR = torch.tensor([[0.299, 0.587, 0.114],
                              [-0.168736, -0.331264, 0.5],
                              [0.5, -0.418688, -0.081312]])


def keep_colors(stylized: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """(3, H, W) each -> (3, H, W): luminance of ``stylized``, chroma of ``original``."""
    m = _RGB_TO_YCBCR.to(stylized)
    ycc_s = torch.einsum("ij,jhw->ihw", m, stylized)
    ycc_o = torch.einsum("ij,jhw->ihw", m, original.to(stylized))
    merged = torch.cat([ycc_s[:1], ycc_o[1:]])
    return torch.einsum("ij,jhw->ihw", torch.linalg.inv(m), merged).clamp(0, 1)



def stylize_file(gen: Generator, source, output, options: StylizeOptions | None = None,
                 mask=None, reporter: Reporter | None = None):
    """Read ``source``, stylize it, write ``output`` atomically (same size; alpha kept as is).

    ``mask`` (optional path): greyscale of the same size; white takes the stylized pixels, black
    keeps the original, grey blends. Returns the output path.
    """
    picture = open_image(source)
    alpha = picture.getchannel("A") if "A" in picture.getbands() else None
    rgb = torch.from_numpy(np.asarray(picture.convert("RGB"), dtype=np.float32) / 255.0)
    image = rgb.permute(2, 0, 1).contiguous()
    weights = _read_mask(mask, picture.size) if mask is not None else None
    out = stylize(gen, image, options, reporter)
    if weights is not None:
        out = weights * out + (1 - weights) * image
    pixels = to_uint8(out)
    result = Image.fromarray(pixels, "RGB")
    if alpha is not None:
        result.putalpha(alpha)
    return save_atomic(result, output)


def _read_mask(path, size: tuple[int, int]) -> torch.Tensor:
    """(1, H, W) float in [0, 1] from a greyscale (or RGB) mask file."""
    mask = open_image(path)
    if mask.size != size:
        raise InputError(
            f"--mask {path} is {mask.size[0]}x{mask.size[1]}, the image is {size[0]}x{size[1]}; "
            "they must be the same size"
        )
    grey = mask.convert("L")
    return torch.from_numpy(np.asarray(grey, dtype=np.float32) / 255.0)[None]
