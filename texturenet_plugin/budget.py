"""One check of every user-controlled size against a memory estimate, before any allocation.

Sizes reach the engine from the CLI, the ``serve`` protocol and the plug-ins: tile sides,
canvas boxes, ``--feather``, ``--scale``, ``--threads`` and training sample sizes. Each
``check_*`` function estimates the bytes the work will hold at its peak (roughly: the output
buffer plus the largest working set) and refuses, naming the value and what to do, when that
exceeds :func:`memory_limit` (the machine's physical memory). Hard ranges that no machine
could meet are refused first, so a hostile value never reaches a multiplication that allocates.
"""

from __future__ import annotations

import math
import os

from .errors import InputError
from .limits import MAX_FEATHER, check_feather_range, check_scale  # noqa: F401  (home: limits)

MAX_CANVAS_SIDE = 65536
# A canvas box is a region of an image; images are refused above this many pixels while being
# opened (images.MAX_PIXELS, Pillow's own bomb limit), so no box a plug-in sends is larger.
MAX_CANVAS_PIXELS = 2 * 89478485
MAX_SEED = 2**32 - 1  # the noise hash takes 32 bits: larger seeds would repeat smaller ones
THREADS_PER_CORE = 4  # far more threads than cores only slows torch down
WINDOW_BYTES = 512 << 20  # working set of one synthesis window (activations, noise)
PLANE_BAND_ROWS = 1024  # canvas.PLANE_BAND_ROWS (kept in step by a test)
RESAMPLE_BYTES_PER_PLANE_VALUE = 16  # uint8 plane, float32 copy and two interpolation passes
# Training: generator and descriptor activations, kept for the backward pass, per sample pixel
# (measured order of magnitude: the cpu preset, batch 4 of 128², peaks near 0.6 GB).
TRAIN_BYTES_PER_SAMPLE_PIXEL = 4096
# The style image's descriptor features, once, without gradients (measured: 734 bytes per pixel
# for vgg16 at 1024², relu1_1..relu5_1 and their Grams; rounded up).
STYLE_BYTES_PER_PIXEL = 1024
FALLBACK_MEMORY = 8 << 30  # when the platform does not say


def memory_limit() -> int:
    """Bytes one request may plan to hold: the machine's physical memory."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return FALLBACK_MEMORY


def require_memory(what: str, nbytes: float, advice: str) -> None:
    """Refuse work whose estimated peak ``nbytes`` exceeds :func:`memory_limit`."""
    limit = memory_limit()
    if nbytes > limit:
        raise InputError(f"{what} would need about {nbytes / 2**30:.1f} GiB of memory, more "
                         f"than this machine's {limit / 2**30:.1f} GiB; {advice}")


def _positive_int(label: str, value, high: int) -> int:
    if type(value) is not int or not 1 <= value <= high:
        raise InputError(f"{label} {value!r} is out of range 1..{high}")
    return value


def check_tile(width: int, height: int, max_side: int = MAX_CANVAS_SIDE) -> None:
    """A tile of width × height: the (H, W, 3) uint8 output plus one window's working set."""
    _positive_int("tile width", width, max_side)
    _positive_int("tile height", height, max_side)
    require_memory(f"a {width}x{height} tile", width * height * 3 + WINDOW_BYTES,
                   "ask for a smaller tile (tiles repeat seamlessly)")


def check_box(box) -> tuple[int, int, int, int]:
    """A canvas box (left, top, right, bottom) of integers -> the box, or a clear refusal."""
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise InputError(f"box {box!r:.80} must be [left, top, right, bottom]")
    for value in box:
        if type(value) is not int or abs(value) > 2**31:
            raise InputError(f"box {box!r:.80}: each value must be an integer within ±2^31")
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if width < 1 or height < 1:
        raise InputError(f"empty box {tuple(box)}: right must exceed left, bottom top")
    if max(width, height) > MAX_CANVAS_SIDE or width * height > MAX_CANVAS_PIXELS:
        raise InputError(f"box {tuple(box)} is {width}x{height}; boxes are limited to sides of "
                         f"{MAX_CANVAS_SIDE} and {MAX_CANVAS_PIXELS} pixels: fill it in pieces "
                         "(neighbouring boxes with the same seed meet without a seam)")
    return left, top, right, bottom


def check_canvas(box, scale: float = 1.0) -> None:
    """Texture for a canvas box at element ``scale``: output plus one resampled band."""
    left, top, right, bottom = check_box(box)
    check_scale(scale)
    width, height = right - left, bottom - top
    band = 0 if scale == 1.0 else PLANE_BAND_ROWS * (width / scale + 2) * 3
    require_memory(f"texture for a {width}x{height} box at scale {scale:g}",
                   width * height * 3 + band * RESAMPLE_BYTES_PER_PLANE_VALUE + WINDOW_BYTES,
                   "fill a smaller region, or use a larger --scale")


def check_feather(radius: float, width: int | None = None, height: int | None = None) -> None:
    """--feather PX: finite, 0..MAX_FEATHER; with an image size, the blur's padded buffers."""
    check_feather_range(radius)
    if width is None or height is None or radius == 0:
        return
    reach = math.ceil(1.5 * radius)  # 3 sigma, sigma = radius / 2 (selection.feather)
    padded = (width + 4 * reach) * (height + 4 * reach)
    require_memory(f"--feather {radius:g} on a {width}x{height} mask", padded * 4 * 3,
                   "use a smaller --feather")


def check_seed(seed) -> int:
    if type(seed) is not int or not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed {seed!r:.40} is out of range 0..{MAX_SEED} (seeds are 32-bit)")
    return seed


def check_threads(threads: int) -> int:
    cores = os.cpu_count() or 1
    high = THREADS_PER_CORE * cores
    if type(threads) is not int or not 1 <= threads <= high:
        raise InputError(f"--threads {threads}: must be 1..{high} ({THREADS_PER_CORE} per core "
                         f"of this machine's {cores}); more only slows torch down")
    return threads


def check_training(batch_size: int, size: int, what: str = "training") -> None:
    """Training batches of ``batch_size`` samples of size × size pixels."""
    require_memory(f"{what} with batches of {batch_size} samples of {size}x{size}",
                   batch_size * size * size * TRAIN_BYTES_PER_SAMPLE_PIXEL,
                   "use a smaller --batch-size or --size")


def check_style_size(side: int) -> None:
    """A style image scaled to at most ``side`` px on its longest side (``--style-size``)."""
    require_memory(f"a style image of up to {side}x{side} px", side * side * STYLE_BYTES_PER_PIXEL,
                   "use a smaller --style-size")
