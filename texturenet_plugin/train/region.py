"""Learning a texture from a selected region of an image (``texnet train texture --mask``).

The exemplar is the selection's bounding box; the selection itself travels with it as a
pixel mask, and only selected positions enter the texture statistics (masked Gram matrices,
masked feature and colour distributions: :mod:`.loop`). Before the descriptor pass the
unselected pixels are painted with the selection's mean colour (:func:`hide_unselected`), so
the surroundings do not reach the kept positions through their receptive fields either: the
selection's edge then looks to the descriptor like an image border, which the Grams of a plain
exemplar include too. (Measured with a disk of texture A in texture B: masking positions alone
left relu4_1/relu5_1 Grams 7-8x further from A's than masking plus painting.)

A pixel is selected when its coverage (:func:`..synthesis.selection.coverage_from_mask`: white =
selected, grey = partly) is at least ``SELECTED``. A descriptor layer of stride s (relu{k}_1 of
a VGG: s = 2^(k-1)) keeps a position when at least ``KEEP`` of the image pixels in a window of side
s + 2·max(1, s/2) centred on the cell's own s × s footprint are selected: the cell and half a
cell around it lie mostly inside the selection. (Its full receptive field, 124 px at relu5_1,
would leave no deep positions in any selection a user draws by hand; the effective receptive
field is far smaller.) Pixels outside the bounding box count as neither selected nor
unselected, so a plain rectangular selection keeps every position of every layer and its
masked Grams are the crop's plain Grams.

Minimum size, at the training scale (after ``--exemplar-scale``): the bounding box must be
``MIN_CELLS`` cells of the deepest layer on each side (64 px for relu5_1, 16 px for relu3_1),
and the deepest layer must keep at least ``MIN_POSITIONS`` positions, so each layer's statistics
average over a handful of texture elements, not one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError
from ..io.images import read_picture, read_rgb
from ..synthesis.selection import Box, load_selection

SELECTED = 0.5  # coverage from which a pixel counts as selected
KEEP = 0.5  # fraction of selected pixels from which a layer position is kept
MIN_CELLS = 4  # cells of the deepest layer across each side of the bounding box
MIN_POSITIONS = 4  # positions the deepest layer must keep
_LAYER = re.compile(r"^(?:conv|relu)(\d+)_\d+$|^pool(\d+)$")


@dataclass
class Region:
    """``image``: (3, h, w) float in [0, 1], the selection's bounding box; ``mask``: (h, w)
    float32 coverage in [0, 1] of the same box; ``box``: (left, top, right, bottom) in the
    source image."""

    image: torch.Tensor
    mask: torch.Tensor
    box: Box

    @property
    def selected_pixels(self) -> int:
        return int((self.mask >= SELECTED).sum())


def read_region(image_path: str | Path, mask_path: str | Path) -> Region:
    """Read IMAGE and its selection MASK (same size, white = selected; any grey or colour
    mode, alpha multiplies) and crop both to the selection's bounding box."""
    rgb = read_rgb(image_path)
    selection = load_selection(read_picture(mask_path), rgb.shape[1], rgb.shape[0])
    left, top, right, bottom = selection.box
    crop = np.ascontiguousarray(rgb[top:bottom, left:right])
    image = torch.from_numpy(crop).permute(2, 0, 1)
    coverage = torch.from_numpy(np.ascontiguousarray(selection.coverage[top:bottom, left:right]))
    return Region(image, coverage, selection.box)


def hide_unselected(image: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) image, (N, 1, H, W) coverage -> the image with every unselected pixel set
    to the mean colour of the selected ones (per sample)."""
    selected = (pixels >= SELECTED).to(image.dtype)
    mean = (image * selected).sum(dim=(2, 3), keepdim=True) / selected.sum(
        dim=(2, 3), keepdim=True).clamp_min(1)
    return torch.where(selected > 0, image, mean)


def layer_stride(name: str) -> int:
    """Pixels per position of a VGG layer: relu{k}_i and conv{k}_i -> 2^(k-1), pool{k} -> 2^k."""
    match = _LAYER.match(name)
    if not match:
        raise InputError(f"layer {name!r}: cannot tell its stride (expected e.g. relu3_1)")
    block, pool = match.groups()
    return 2 ** (int(block) - 1) if block else 2 ** int(pool)


def layer_mask(pixels: torch.Tensor, stride: int, size: tuple[int, int]) -> torch.Tensor:
    """(N, 1, H, W) pixel mask in [0, 1] -> (N, 1, h, w) bool: the positions of a layer of
    ``stride`` (grid ``size``) whose window lies at least ``KEEP`` selected (module doc)."""
    selected = (pixels >= SELECTED).to(torch.float32)
    margin = max(1, stride // 2)
    window = stride + 2 * margin
    ones = torch.ones_like(selected)
    pad = (margin, margin, margin, margin)
    inside = F.avg_pool2d(F.pad(selected, pad), window, stride)
    valid = F.avg_pool2d(F.pad(ones, pad), window, stride)
    fraction = inside / valid.clamp_min(1e-6)
    h, w = size
    grid = fraction[..., :h, :w]
    if grid.shape[-2:] != (h, w):  # a layer larger than the pooled grid (not a VGG stride)
        grid = F.interpolate(fraction, size=(h, w), mode="nearest")
    return grid >= KEEP


def layer_masks(pixels: torch.Tensor, features: dict[str, torch.Tensor]
                ) -> dict[str, torch.Tensor]:
    """(N, 1, H, W) pixel mask -> {layer: (N, 1, h_l, w_l) bool} for each feature map
    (N, C, h_l, w_l); the stride is read from the layer's size relative to the image."""
    height = pixels.shape[-2]
    out = {}
    for name, feat in features.items():
        stride = 2 ** max(0, round(math.log2(max(1.0, height / feat.shape[-2]))))
        out[name] = layer_mask(pixels, stride, tuple(feat.shape[-2:]))
    return out


def min_side(layers: tuple[str, ...]) -> int:
    """The smallest bounding-box side (training-scale pixels) a selection may have."""
    return MIN_CELLS * max(layer_stride(name) for name in layers)


def check_region(mask: torch.Tensor, layers: tuple[str, ...], factor: float = 1.0) -> None:
    """Refuse a selection (``mask`` (H, W) coverage, learnt at ``factor`` times its pixel
    size) too small to train ``layers`` on, naming the minimum."""
    deepest = max(layers, key=layer_stride)
    stride, need = layer_stride(deepest), min_side(layers)
    selected = mask >= SELECTED
    rows, cols = selected.any(dim=1).nonzero(), selected.any(dim=0).nonzero()
    extent = (int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1) if len(rows) else (0, 0)
    h, w = (math.floor(s * factor) for s in extent)
    scale = "" if factor == 1 else f" (learnt at {factor:.3g}x its pixel size)"
    advice = (f"select at least {math.ceil(need / factor)}x{math.ceil(need / factor)} px of "
              "texture" + (", or raise --exemplar-scale" if factor < 1 else ""))
    if min(h, w) < need:
        raise InputError(f"the selection's bounding box is {w}x{h} px{scale}: too small to "
                         f"learn a texture from, {need}x{need} px at least; {advice}")
    full = tuple(max(1, math.floor(s * factor)) for s in mask.shape[-2:])
    scaled = F.interpolate(mask[None, None].float(), size=full, mode="area")
    kept = int(layer_mask(scaled, stride, (full[0] // stride, full[1] // stride)).sum())
    if kept < MIN_POSITIONS:
        raise InputError(
            f"the selection{scale} is too thin or scattered to learn a texture from: only "
            f"{kept} positions of layer {deepest} lie inside it, {MIN_POSITIONS} at least; "
            f"{advice} in one solid piece")
