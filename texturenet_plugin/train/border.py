"""The exemplar's border: what the descriptor sees beyond the exemplar's edges.

VGG pads every convolution with zeros, so the features near an image's border describe the
texture *next to a flat grey field* (zero is the mean pixel after the descriptor's
normalisation). On a 96-px exemplar those border cells are a large share of the deep layers'
Gram matrices (relu4_1 has 12×12 cells, relu5_1 6×6; benchmarks/border_bias.py). Here the
exemplar is continued beyond its edges before the descriptor runs, and only the feature cells
of the exemplar itself are kept (measured in docs/training-notes.md, session 10):

- ``wrap``: periodically, exact for a seamless (tileable) exemplar such as a GIMP pattern;
- ``reflect``: mirrored, for photos whose opposite edges do not meet;
- ``zero``: the descriptor's own zero padding (the default; every model so far);
- ``auto``: ``wrap`` when the exemplar tiles without a visible seam, else ``reflect``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .region import layer_stride

# Pixels added on each side, a multiple of relu5_1's stride (16) so that every layer's cells
# stay aligned with the exemplar's; zero padding reaches 58 px into relu5_1 (2·1 + 2·2 + 3·4 +
# 3·8 + 1·16), so 64 px of continuation leave no cell of the exemplar touched by it.
MARGIN = 64
# A wrapped exemplar counts as seamless when the jump across its edges is at most this many
# times the typical difference between neighbouring pixels inside it.
SEAM_RATIO = 1.5


def seamless(image: torch.Tensor) -> bool:
    """Whether (..., 3, H, W) ``image`` tiles: the colour jump from its last column to its
    first (and last row to first) is comparable to neighbouring pixels' inside it."""
    inside = torch.cat([(image[..., :, 1:] - image[..., :, :-1]).abs().flatten(),
                        (image[..., 1:, :] - image[..., :-1, :]).abs().flatten()])
    across = torch.cat([(image[..., :, 0] - image[..., :, -1]).abs().flatten(),
                        (image[..., 0, :] - image[..., -1, :]).abs().flatten()])
    return bool(across.mean() <= SEAM_RATIO * inside.mean().clamp_min(1e-6))


def resolve(mode: str, image: torch.Tensor) -> str:
    """``auto`` -> ``wrap`` or ``reflect`` for ``image``; any other mode unchanged."""
    if mode != "auto":
        return mode
    return "wrap" if seamless(image) else "reflect"


def continued(image: torch.Tensor, mode: str, margin: int = MARGIN) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H + 2·margin, W + 2·margin), continued by ``mode`` (``wrap`` or
    ``reflect``; ``zero`` needs no continuing). Works for exemplars smaller than the margin."""
    height, width = image.shape[-2:]
    if mode == "wrap":
        ny, nx = math.ceil(margin / height), math.ceil(margin / width)
        big = image.repeat(1, 1, 2 * ny + 1, 2 * nx + 1)
        y0, x0 = ny * height - margin, nx * width - margin
        return big[..., y0:y0 + height + 2 * margin, x0:x0 + width + 2 * margin]
    if mode != "reflect":
        raise ValueError(f"unknown border mode {mode!r} to continue by; wrap or reflect")
    # Mirror in steps no larger than the image so far (reflect padding's limit).
    out = image
    while out.shape[-2] < height + 2 * margin or out.shape[-1] < width + 2 * margin:
        py = min(out.shape[-2] - 1, math.ceil((height + 2 * margin - out.shape[-2]) / 2))
        px = min(out.shape[-1] - 1, math.ceil((width + 2 * margin - out.shape[-1]) / 2))
        out = F.pad(out, (max(px, 0), max(px, 0), max(py, 0), max(py, 0)), mode="reflect")
    y0 = (out.shape[-2] - height) // 2 - margin
    x0 = (out.shape[-1] - width) // 2 - margin
    return out[..., y0:y0 + height + 2 * margin, x0:x0 + width + 2 * margin]


def interior(features: dict[str, torch.Tensor], height: int, width: int,
             margin: int = MARGIN) -> dict[str, torch.Tensor]:
    """Each layer's cells that lie over the exemplar itself (``height`` × ``width`` pixels at
    ``margin`` inside the continued image): cells [margin/s, (margin + side)/s) at stride s."""
    out = {}
    for name, feat in features.items():
        stride = layer_stride(name)
        first = margin // stride
        rows = max(1, (margin + height) // stride - first)
        cols = max(1, (margin + width) // stride - first)
        out[name] = feat[..., first:first + rows, first:first + cols]
    return out
