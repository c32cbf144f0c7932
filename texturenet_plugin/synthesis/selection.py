"""Selections: a mask image becomes per-pixel coverage in [0, 1], optionally feathered, with
its bounding box and the ring of unselected pixels around it (for colour matching).

Coverage is read from the mask's grey level (colour masks use Rec. 601 luma, as Pillow's "L"
does) times its alpha, if any: black or transparent = untouched, white = filled, grey = blended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..budget import check_feather
from ..errors import InputError
from ..io.images import Picture

Box = tuple[int, int, int, int]  # (left, top, right, bottom), right/bottom exclusive
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class Selection:
    """``coverage``: (H, W) float32 in [0, 1]; ``box``: bounding box of coverage > 0."""

    coverage: np.ndarray
    box: Box

    @property
    def full(self) -> bool:
        """True when every pixel of the canvas is fully selected."""
        return bool((self.coverage >= 1.0).all())


def coverage_from_mask(mask: Picture) -> np.ndarray:
    """(H, W, C) mask pixels -> (H, W) float32 coverage in [0, 1]."""
    px = mask.pixels.astype(np.float32) / mask.max_value
    grey = px[..., 0] if mask.channels <= 2 else px[..., :3] @ LUMA
    if mask.has_alpha:
        grey = grey * px[..., -1]
    return np.clip(grey, 0.0, 1.0)


def bounding_box(coverage: np.ndarray) -> Box | None:
    """Smallest box holding every pixel with coverage > 0, or None for an empty selection."""
    rows = np.flatnonzero(coverage.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(coverage.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def feather(coverage: np.ndarray, radius: float) -> np.ndarray:
    """Soften edges with a Gaussian of sigma = radius / 2 (the ramp spans about 2·radius px).

    Only the bounding box grown by the kernel's reach is blurred, so cost follows the
    selection, not the canvas. Outside the canvas the border value is repeated, so a selection
    touching the edge stays full there.
    """
    box = bounding_box(coverage)
    if radius <= 0 or box is None:
        return coverage
    sigma = radius / 2.0
    reach = max(1, math.ceil(3 * sigma))
    h, w = coverage.shape
    left, top = max(0, box[0] - reach), max(0, box[1] - reach)
    right, bottom = min(w, box[2] + reach), min(h, box[3] + reach)
    x = torch.arange(-reach, reach + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    region = torch.from_numpy(np.ascontiguousarray(coverage[top:bottom, left:right]))[None, None]
    region = F.pad(region, (reach, reach, reach, reach), mode="replicate")
    region = F.conv2d(region, kernel.view(1, 1, 1, -1))
    region = F.conv2d(region, kernel.view(1, 1, -1, 1))
    out = coverage.copy()
    out[top:bottom, left:right] = region[0, 0].clamp(0, 1).numpy()
    out[out < 1e-4] = 0.0  # the Gaussian's far tail would otherwise touch pixels invisibly
    return out


def load_selection(mask: Picture, width: int, height: int, feather_radius: float = 0.0
                   ) -> Selection:
    """Coverage of ``mask`` for a ``width`` × ``height`` image; refuses mismatched or empty
    masks with a message that says what to do."""
    if (mask.width, mask.height) != (width, height):
        raise InputError(
            f"the mask is {mask.width}x{mask.height} but the image is {width}x{height}; export "
            "the selection at the image's size (after EXIF rotation)"
        )
    check_feather(feather_radius, width, height)  # range and memory, before any blur
    coverage = feather(coverage_from_mask(mask), feather_radius)
    box = bounding_box(coverage)
    if box is None:
        raise InputError("the mask is empty (every pixel is black or transparent): select the "
                         "region to fill in white, soft edges in grey")
    return Selection(coverage, box)


def surroundings(selection: Selection, margin: int | None = None
                 ) -> tuple[slice, slice, np.ndarray]:
    """The bounding box grown by ``margin`` (default: a quarter of its larger side, at least
    8 px), clipped to the canvas, and a bool mask of its unselected pixels there.

    Returns (rows, cols, outside) with ``outside`` of the grown box's shape.
    """
    left, top, right, bottom = selection.box
    if margin is None:
        margin = max(8, max(right - left, bottom - top) // 4)
    h, w = selection.coverage.shape
    rows = slice(max(0, top - margin), min(h, bottom + margin))
    cols = slice(max(0, left - margin), min(w, right + margin))
    return rows, cols, selection.coverage[rows, cols] == 0
