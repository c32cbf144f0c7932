"""Fill a selection of an image with texture: the engine behind ``texnet fill --image``.

The texture is generated for the selection's bounding box in canvas coordinates
(:func:`.canvas.canvas_texture`), so two fills with the same seed and scale meet without a
seam. It is composited with the coverage as the opacity of an opaque texture layer painted
over the image ("over" operator, in the image's own encoded values): on opaque pixels that is
the linear blend ``image + (texture - image) · coverage``. Pixels with coverage 0 are copied
bit for bit. ``layer_only`` instead returns that texture layer itself (see :func:`make_layer`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..io.images import Picture
from ..limits import FillOptions  # noqa: F401  (its home: limits, torch-free for the CLI)
from ..nets.generator import Generator
from ..progress import Reporter
from .canvas import canvas_texture
from .selection import LUMA, Box, Selection, load_selection, surroundings

BAND_ROWS = 256  # rows composited per step: bounds the float working set
MATCH_GAIN = (0.25, 4.0)  # colour matching may scale contrast by at most this much
STATS_SAMPLES = 1 << 20  # pixels used for colour statistics


@dataclass
class FillResult:
    picture: Picture
    box: Box
    notes: list[str] = field(default_factory=list)


def _texture_values(texture: np.ndarray, grey: bool) -> np.ndarray:
    """(h, w, 3) uint8 -> (h, w, 1 or 3) float64 in [0, 1]; grey images get Rec. 601 luma."""
    tex = texture.astype(np.float64) / 255.0
    return (tex @ LUMA.astype(np.float64))[..., None] if grey else tex


def _sample(values: np.ndarray, limit: int = STATS_SAMPLES) -> np.ndarray:
    """Every k-th row of (N, ...) ``values`` so that at most ~``limit`` remain."""
    return values[:: max(1, len(values) // limit)]


def match_colors(texture: np.ndarray, image: Picture, selection: Selection,
                 notes: list[str]) -> np.ndarray:
    """Shift and scale each texture channel so its mean and standard deviation under the
    selection match the unselected pixels around it (alpha-weighted). (h, w, 3) uint8 in/out;
    statistics use at most ~STATS_SAMPLES pixels, the mapping is a per-channel lookup table."""
    rows, cols, outside = surroundings(selection)
    px = _sample(image.pixels[rows, cols][outside]).astype(np.float64) / image.max_value
    weights = px[:, -1] if image.has_alpha else np.ones(len(px))
    colour = px[:, : 3 if image.channels >= 3 else 1]
    if weights.sum() <= 0:
        notes.append("--match-colors: no unselected pixels around the selection; colours kept")
        return texture
    left, top, right, bottom = selection.box
    cover = _sample(selection.coverage[top:bottom, left:right].reshape(-1)).astype(np.float64)
    tex = _sample(texture.reshape(-1, 3)).astype(np.float64) / 255.0
    mu_s = np.average(colour, axis=0, weights=weights)
    sd_s = np.sqrt(np.average((colour - mu_s) ** 2, axis=0, weights=weights))
    mu_t = np.average(tex, axis=0, weights=cover)
    sd_t = np.sqrt(np.average((tex - mu_t) ** 2, axis=0, weights=cover))
    gain = np.clip(sd_s / np.maximum(sd_t, 1e-6), *MATCH_GAIN)
    levels = np.arange(256, dtype=np.float64)[:, None] / 255.0
    lut = np.clip(((levels - mu_t) * gain + mu_s) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.stack([lut[texture[..., c], c] for c in range(3)], axis=-1)


def composite(image: Picture, texture: np.ndarray, selection: Selection,
              reporter: Reporter) -> Picture:
    """Paint ``texture`` (box-sized (h, w, 3) uint8) over ``image`` with coverage as opacity."""
    out = image.pixels.copy()
    left, top, right, bottom = selection.box
    grey, maxv = image.channels <= 2, float(image.max_value)
    for start in range(top, bottom, BAND_ROWS):
        reporter.check()
        stop = min(bottom, start + BAND_ROWS)
        src = image.pixels[start:stop, left:right]
        cov = selection.coverage[start:stop, left:right, None].astype(np.float64)
        tex = _texture_values(texture[start - top : stop - top], grey)
        img = src.astype(np.float64) / maxv
        if image.has_alpha:
            colour, alpha = img[..., :-1], img[..., -1:]
            alpha_out = cov + alpha * (1.0 - cov)
            safe = np.where(alpha_out > 0, alpha_out, 1.0)
            colour_out = (cov * tex + alpha * (1.0 - cov) * colour) / safe
            blended = np.concatenate([colour_out, alpha_out], axis=-1)
        else:
            blended = img + (tex - img) * cov
        values = np.floor(np.clip(blended, 0.0, 1.0) * maxv + 0.5).astype(src.dtype)
        out[start:stop, left:right] = np.where(cov > 0, values, src)
    return Picture(out, image.icc_profile)


def make_layer(image: Picture, texture: np.ndarray, selection: Selection) -> Picture:
    """The texture layer alone: (H, W, 4) RGBA at the image's size and bit depth.

    RGB is the texture (straight, not premultiplied; grey images get grey texture) and alpha
    is the coverage; pixels with coverage 0 are (0, 0, 0, 0).
    """
    dtype, maxv = image.pixels.dtype, image.max_value
    layer = np.zeros((image.height, image.width, 4), dtype=dtype)
    left, top, right, bottom = selection.box
    for start in range(top, bottom, BAND_ROWS):
        stop = min(bottom, start + BAND_ROWS)
        cov = selection.coverage[start:stop, left:right, None].astype(np.float64)
        tex = _texture_values(texture[start - top : stop - top], image.channels <= 2)
        rgb = np.broadcast_to(tex, (*tex.shape[:2], 3))
        values = np.floor(np.concatenate([rgb, cov], axis=-1) * maxv + 0.5).astype(dtype)
        layer[start:stop, left:right] = np.where(cov > 0, values, 0)
    return Picture(layer, image.icc_profile)


def fill_selection(gen: Generator, image: Picture, mask: Picture,
                   options: FillOptions | None = None, reporter: Reporter | None = None
                   ) -> FillResult:
    """Fill the selection ``mask`` (same size as ``image``) of ``image`` with texture.
    ``options.scale`` is checked once, with the memory the canvas needs (``check_canvas``);
    ``options.feather`` with the blur's memory (``load_selection``)."""
    options = options or FillOptions()
    reporter = reporter or Reporter()
    selection = load_selection(mask, image.width, image.height, options.feather)
    notes = []
    if selection.full:
        notes.append("the mask selects the whole image: the result is the texture alone")
    texture = canvas_texture(gen, selection.box, options.seed, options.scale, reporter,
                             options.precision)
    if options.match_colors:
        texture = match_colors(texture, image, selection, notes)
    if options.layer_only:
        return FillResult(make_layer(image, texture, selection), selection.box, notes)
    return FillResult(composite(image, texture, selection, reporter), selection.box, notes)
