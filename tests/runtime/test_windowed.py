from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import seam_ratio, tiny_generator

from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.runtime.windowed import WindowEvaluator
from texturenet_plugin.synthesis.tile import sample_canvas, sample_tile, to_uint8


@pytest.mark.parametrize("window", [16, 24, 100])
def test_tiled_tile_equals_one_pass(window):
    gen = tiny_generator(scales=4)
    with torch.no_grad():
        reference = to_uint8(gen(periodic_noise([5], 64, 96, 4))[0])
    tiled = sample_tile(gen, 96, 64, seed=5, window=window)
    assert np.abs(reference.astype(int) - tiled.astype(int)).max() <= 1


def test_window_anywhere_matches_rolled_one_pass():
    gen = tiny_generator(scales=4)
    with torch.no_grad():
        full = gen(periodic_noise([7], 64, 48, 4))
    window = WindowEvaluator(gen, [7], period=(64, 48)).image((10, 50), (-20, 28))
    expected = torch.roll(full, shifts=(0, 20), dims=(2, 3))[..., 10:50, 0:48]
    assert torch.allclose(window, expected, atol=1e-5)


def test_tiled_tile_is_seamless():
    tile = sample_tile(tiny_generator(scales=4), 128, 64, seed=2, window=40)
    assert seam_ratio(tile) < 1.25


def test_adjacent_canvas_boxes_line_up():
    gen = tiny_generator(scales=4)
    whole = sample_canvas(gen, (10, 20, 90, 60), seed=9)
    left = sample_canvas(gen, (10, 20, 50, 60), seed=9)
    right = sample_canvas(gen, (50, 20, 90, 60), seed=9, window=17)
    assert np.array_equal(np.concatenate([left, right], axis=1), whole)


def test_periodic_window_needs_lattice_sizes():
    with pytest.raises(ValueError):
        WindowEvaluator(tiny_generator(scales=4), [0], period=(60, 64))
