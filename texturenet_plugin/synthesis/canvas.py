"""Texture on canvas coordinates at any element scale.

``scale`` S makes texture elements S times larger on the canvas. Canvas pixel x (centre
x + 0.5) shows the texture plane of :func:`.tile.sample_canvas` at plane position
(x + 0.5) / S, sampled bilinearly; when shrinking (S < 1) each canvas pixel averages
f × f bilinear samples, f = ceil(1/S), so fine texture does not alias. The mapping depends on
absolute canvas coordinates only, so fills of neighbouring boxes with the same seed and scale
still line up exactly. (This departs from the paper, whose generator has one fixed element
size; resampling keeps every trained model usable at any scale, at the cost of softness when
enlarging.)
"""

from __future__ import annotations

import math

import numpy as np

from ..budget import check_canvas, check_scale
from ..errors import InputError
from ..nets.generator import Generator
from ..progress import Reporter
from ..runtime.precision import resolve_precision
from .tile import MAX_SIDE, ONE_PASS_MAX_PIXELS, round_to_lattice, sample_canvas, sample_tile

Box = tuple[int, int, int, int]
PLANE_BAND_ROWS = 1024  # plane rows computed per step when resampling: bounds memory


def _axis(start: int, stop: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear taps for canvas pixels [start, stop): (n, f) left plane index and weight."""
    f = max(1, math.ceil(1.0 / scale - 1e-9))
    x = np.arange(start, stop, dtype=np.float64)[:, None] + (np.arange(f) + 0.5) / f
    p = x / scale - 0.5
    i0 = np.floor(p).astype(np.int64)
    return i0, (p - i0).astype(np.float32)


def _interp(plane: np.ndarray, i0: np.ndarray, a: np.ndarray, axis: int) -> np.ndarray:
    """Average of f bilinear samples along ``axis`` of float32 ``plane`` -> n along axis."""
    out = 0.0
    shape = [1, 1, 1]
    shape[axis] = i0.shape[0]
    for k in range(i0.shape[1]):
        w = a[:, k].reshape(shape)
        lo = np.take(plane, i0[:, k], axis=axis)
        hi = np.take(plane, i0[:, k] + 1, axis=axis)
        out = out + lo * (1 - w) + hi * w
    return out / i0.shape[1]


def canvas_texture(gen: Generator, box: Box, seed: int = 0, scale: float = 1.0,
                   reporter: Reporter | None = None, precision: str = "float32") -> np.ndarray:
    """(bottom-top, right-left, 3) uint8 texture for canvas ``box`` at element ``scale``.
    ``precision``: see :func:`..runtime.precision.resolve_precision`."""
    check_canvas(box, scale)  # the scale, the box and its resampled bands against memory
    reporter = reporter or Reporter()
    left, top, right, bottom = box
    plane_pixels = int((right - left) * (bottom - top) / scale**2)  # of the plane computed
    precision = resolve_precision(precision, next(gen.parameters()).device, plane_pixels)
    if scale == 1.0:
        return sample_canvas(gen, box, seed, reporter, precision=precision)
    xi, xa = _axis(left, right, scale)
    x0, x1 = int(xi.min()), int(xi.max()) + 2
    out = np.empty((bottom - top, right - left, 3), dtype=np.uint8)
    quiet = Reporter(token=reporter.token)  # per-band window progress would restart each band
    band = max(1, int(PLANE_BAND_ROWS * scale))
    starts = list(range(top, bottom, band))
    for i, start in enumerate(starts):
        reporter.report("synthesize", i, len(starts), f"band {i + 1}/{len(starts)}")
        stop = min(bottom, start + band)
        yi, ya = _axis(start, stop, scale)
        y0, y1 = int(yi.min()), int(yi.max()) + 2
        plane = sample_canvas(gen, (x0, y0, x1, y1), seed, quiet,
                              precision=precision).astype(np.float32)
        rows = _interp(_interp(plane, yi - y0, ya, 0), xi - x0, xa, 1)
        out[start - top : stop - top] = np.clip(rows + 0.5, 0, 255).astype(np.uint8)
    reporter.report("synthesize", len(starts), len(starts), "done")
    return out


def tile_plane_size(width: int, height: int, scale: float, lattice: int) -> tuple[int, int]:
    """Size of the periodic tile computed for a seamless ``width`` × ``height`` tile at element
    ``scale``: W/S × H/S rounded to whole pixels, or to the generator's ``lattice`` when it is
    too large for one pass (the windowed path needs lattice multiples)."""
    plane = max(1, round(width / scale)), max(1, round(height / scale))
    if plane[0] * plane[1] > ONE_PASS_MAX_PIXELS:
        plane = round_to_lattice(plane[0], lattice), round_to_lattice(plane[1], lattice)
    if max(plane) > MAX_SIDE:
        raise InputError(f"--scale {scale} on a {width}x{height} tile needs a {plane[0]}x"
                         f"{plane[1]} texture plane, larger than {MAX_SIDE}: use a larger "
                         "--scale or a smaller tile")
    return plane


def scaled_tile(gen: Generator, width: int, height: int, seed: int = 0, scale: float = 1.0,
                reporter: Reporter | None = None, precision: str = "float32") -> np.ndarray:
    """A seamless ``width`` × ``height`` tile -> (H, W, 3) uint8 whose texture elements are
    ``scale`` times larger than :func:`.tile.sample_tile`'s.

    The periodic tile of :func:`tile_plane_size` (≈ W/S × H/S) is resampled to W × H with
    wrap-around bilinear taps (averaging ceil(1/S)² taps per pixel when shrinking, as
    :func:`canvas_texture` does), so the result wraps exactly as the small tile does. The
    element scale is W / plane width across and H / plane height down: within half a plane
    pixel of S, the price of a whole number of plane pixels per period.
    """
    check_scale(scale)
    reporter = reporter or Reporter()
    if scale == 1.0:
        return sample_tile(gen, width, height, seed, reporter, precision=precision)
    plane_w, plane_h = tile_plane_size(width, height, scale, gen.spec.lattice)
    plane = sample_tile(gen, plane_w, plane_h, seed, reporter, precision=precision)
    plane = np.pad(plane, ((0, 1), (0, 1), (0, 0)), mode="wrap")  # tap i0 + 1 of the last pixel
    xi, xa = _axis(0, width, width / plane_w)
    out = np.empty((height, width, 3), dtype=np.uint8)
    band = max(1, PLANE_BAND_ROWS // max(1, math.ceil(plane_h / height)))
    for start in range(0, height, band):
        reporter.check()
        stop = min(height, start + band)
        yi, ya = _axis(start, stop, height / plane_h)
        rows = _interp(_interp(plane, yi % plane_h, ya, 0), xi % plane_w, xa, 1)
        out[start:stop] = np.clip(rows + 0.5, 0, 255).astype(np.uint8)
    return out
