from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import seam_ratio_at_phase, tiny_generator

from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.progress import Reporter
from texturenet_plugin.runtime.windowed import WindowEvaluator
from texturenet_plugin.synthesis.tile import render_windows, sample_tile, to_uint8


@pytest.mark.parametrize("height,width", [(64, 96), (32, 160)])
@pytest.mark.parametrize("window", [7, 33, 64])
def test_odd_windows_equal_one_pass_in_float(height, width, window):
    gen = tiny_generator(scales=4)
    with torch.no_grad():
        reference = gen(periodic_noise([11], height, width, 4))[0]
    evaluator = WindowEvaluator(gen, [11], period=(height, width))
    tiled = torch.zeros_like(reference)
    for top in range(0, height, window):
        for left in range(0, width, window):
            rows, cols = (top, min(top + window, height)), (left, min(left + window, width))
            tiled[:, slice(*rows), slice(*cols)] = evaluator.image(rows, cols)[0]
    assert torch.allclose(tiled, reference, atol=1e-5)


def test_bfloat16_tiles_are_close_and_seamless():
    gen = tiny_generator(scales=4)
    full = sample_tile(gen, 96, 64, seed=2, window=40)
    half = sample_tile(gen, 96, 64, seed=2, window=40, precision="bfloat16")
    assert np.abs(full.astype(int) - half.astype(int)).mean() < 2.0
    assert seam_ratio_at_phase(half, 8) < 1.5


def test_windows_far_from_the_origin_stay_exact():
    """Large canvas coordinates (noise hashing wraps mod 2^32) still match shifted windows."""
    gen = tiny_generator(scales=3)
    evaluator = WindowEvaluator(gen, [3], period=(32, 32))
    far = 32 * 10**6
    out = np.empty((20, 24, 3), np.uint8)
    render_windows(evaluator, (far + 5, far - 7), 20, 24, out, Reporter(), window=9)
    near = to_uint8(evaluator.image((5, 25), (-7, 17))[0])
    assert np.array_equal(out, near)
