"""Sampling trained texture generators: seamless tiles of any size, and canvas windows.

Tiles whose sides are multiples of the generator's lattice (32 for K=6) are computed window by
window (:mod:`..runtime.windowed`), so memory stays bounded whatever the size and the output
buffer is the only thing that grows. Other sizes are computed in one pass with the irregular nearest
upsampling of :mod:`..nets.generator` (still seamless), up to ``ONE_PASS_MAX_PIXELS``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..budget import check_box, check_tile
from ..errors import InputError
from ..limits import ONE_PASS_MAX_PIXELS
from ..nets.generator import Generator
from ..nets.noise import periodic_noise
from ..progress import Reporter
from ..runtime.folded import fast_generator
from ..runtime.precision import resolve_precision
from ..runtime.windowed import WindowEvaluator, supports_windows

MAX_SIDE = 65536
# Side of the windows a tile is computed in. CPU: 512 keeps each window's activations near the
# caches and the fixed cost per window small. GPU: windows must be large enough to fill the
# device (at 512 an H100 spent its time launching kernels); 2048 needs about 3 GB in float32.
DEFAULT_WINDOW = 512
GPU_WINDOW = 2048


def default_window(device: torch.device) -> int:
    return DEFAULT_WINDOW if device.type == "cpu" else GPU_WINDOW


def validate_size(width: int, height: int) -> None:
    """Sides in 1..MAX_SIDE and the output within memory (:func:`..budget.check_tile`)."""
    check_tile(width, height, MAX_SIDE)


def round_to_lattice(value: int, lattice: int) -> int:
    return max(lattice, round(value / lattice) * lattice)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8, rounding to nearest, halves up.

    The engine's one float -> 8-bit conversion (tiles, canvases, stylized images, previews);
    the numpy paths on 0-255 values (``canvas``, ``fill``'s colour table) use the same rule."""
    return (image.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def _windows(height: int, width: int, step: int):
    for top in range(0, height, step):
        for left in range(0, width, step):
            yield top, left, min(top + step, height), min(left + step, width)


def render_windows(
    evaluator: WindowEvaluator, origin: tuple[int, int], height: int, width: int,
    out: np.ndarray, reporter: Reporter, window: int | None = None,
) -> np.ndarray:
    """Fill ``out`` (H, W, 3) uint8 with the sample at canvas ``origin`` (top, left), in
    windows of side ``window`` (default: :func:`default_window` of the evaluator's device)."""
    spans = list(_windows(height, width, window or default_window(evaluator.device)))
    for i, (top, left, bottom, right) in enumerate(spans):
        reporter.report("synthesize", i, len(spans), f"window {i + 1}/{len(spans)}")
        rows = (origin[0] + top, origin[0] + bottom)
        cols = (origin[1] + left, origin[1] + right)
        out[top:bottom, left:right] = to_uint8(evaluator.image(rows, cols)[0])
    reporter.report("synthesize", len(spans), len(spans), "done")
    return out


def sample_tile(
    gen: Generator, width: int, height: int, seed: int = 0,
    reporter: Reporter | None = None, window: int | None = None, precision: str = "float32",
) -> np.ndarray:
    """A seamless (periodic) tile of exactly width × height -> (H, W, 3) uint8.

    ``precision``: compute type of :mod:`..runtime.folded` (float32, bfloat16, float16 on CUDA,
    or auto: :func:`..runtime.precision.resolve_precision`).
    """
    validate_size(width, height)
    reporter = reporter or Reporter()
    precision = resolve_precision(precision, next(gen.parameters()).device, width * height)
    lattice = gen.spec.lattice
    if supports_windows(gen) and height % lattice == 0 and width % lattice == 0:
        evaluator = WindowEvaluator(gen, [seed], period=(height, width), precision=precision)
        out = np.empty((height, width, 3), dtype=np.uint8)
        return render_windows(evaluator, (0, 0), height, width, out, reporter, window)
    if width * height > ONE_PASS_MAX_PIXELS:
        raise InputError(
            f"tiles larger than {ONE_PASS_MAX_PIXELS} pixels must have sides that are multiples "
            f"of {lattice} to stay seamless in bounded memory; try "
            f"{round_to_lattice(width, lattice)}x{round_to_lattice(height, lattice)}"
        )
    reporter.report("synthesize", 0, 1, "one pass")
    device = next(gen.parameters()).device
    noise = [z.to(device) for z in periodic_noise([seed], height, width, gen.spec.scales)]
    with torch.no_grad():
        image = fast_generator(gen, precision)(noise)[0]
    reporter.report("synthesize", 1, 1, "done")
    return to_uint8(image)


def sample_canvas(
    gen: Generator, box: tuple[int, int, int, int], seed: int = 0,
    reporter: Reporter | None = None, window: int | None = None, precision: str = "float32",
) -> np.ndarray:
    """The non-periodic texture plane of ``seed`` on canvas box (left, top, right, bottom).

    Every call with the same seed sees the same infinite plane, so fills of neighbouring boxes
    line up exactly. ``precision`` as in :func:`sample_tile`.
    """
    left, top, right, bottom = check_box(box)  # sizes against memory, before np.empty
    precision = resolve_precision(precision, next(gen.parameters()).device,
                                  (right - left) * (bottom - top))
    evaluator = WindowEvaluator(gen, [seed], period=None, precision=precision)
    out = np.empty((bottom - top, right - left, 3), dtype=np.uint8)
    return render_windows(evaluator, (top, left), bottom - top, right - left, out,
                          reporter or Reporter(), window)
