from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import seam_ratio, seam_ratio_at_phase, tiny_generator

from texturenet_plugin.nets.generator import Generator, GeneratorSpec, parameter_count, scale_sizes
from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.synthesis.tile import sample_tile


@pytest.mark.parametrize("scales", [1, 3, 5, 6])
@pytest.mark.parametrize("size", [(64, 64), (96, 32), (37, 53)])
def test_output_shape_and_range(scales, size):
    h, w = size
    gen = Generator(GeneratorSpec(scales=scales)).eval()
    with torch.no_grad():
        out = gen(periodic_noise([0, 1], h, w, scales))
    assert out.shape == (2, 3, h, w)
    assert out.min() >= 0 and out.max() <= 1


def test_parameter_counts_match_the_paper_and_code():
    assert 110_000 < parameter_count(Generator(GeneratorSpec(scales=6))) < 120_000
    assert 60_000 < parameter_count(Generator(GeneratorSpec(scales=5))) < 80_000


def test_scale_sizes_are_ceil_halvings():
    assert scale_sizes(100, 64, 4) == [(100, 64), (50, 32), (25, 16), (13, 8)]


def test_same_seed_same_sample_other_seed_differs():
    gen = tiny_generator()
    a, b = sample_tile(gen, 64, 64, seed=3), sample_tile(gen, 64, 64, seed=3)
    c = sample_tile(gen, 64, 64, seed=4)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 1


def test_wraparound_seam_is_like_the_interior_at_lattice_sizes():
    gen = tiny_generator()
    ratios = [seam_ratio_at_phase(sample_tile(gen, 128, 96, seed=s), 4) for s in range(8)]
    assert 0.9 < np.mean(ratios) < 1.1


def test_odd_sizes_stay_seamless_but_a_crop_would_not():
    gen = tiny_generator()
    tiles = [sample_tile(gen, 70, 45, seed=s) for s in range(12)]
    crops = [sample_tile(gen, 107, 68, seed=s)[:45, :70] for s in range(12)]
    assert np.mean([seam_ratio(t) for t in tiles]) < 1.3
    assert np.mean([seam_ratio(c) for c in crops]) > 1.4  # the check can fail


def test_circular_padding_makes_the_generator_shift_equivariant():
    """Rolling every noise scale by whole coarse cells rolls the output: no boundary effects."""
    gen = tiny_generator(scales=3)
    noise = periodic_noise([2], 32, 32, 3)
    rolled = [torch.roll(z, shifts=(1, 2), dims=(2, 3)) for z in noise[2:]]
    rolled = [torch.roll(noise[0], (4, 8), (2, 3)), torch.roll(noise[1], (2, 4), (2, 3))] + rolled
    with torch.no_grad():
        a, b = gen(noise), gen(rolled)
    assert torch.allclose(torch.roll(a, (4, 8), (2, 3)), b, atol=1e-5)


def test_style_generator_takes_content():
    gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm="instance")).eval()
    content = torch.rand(1, 3, 40, 24)
    with torch.no_grad():
        out = gen(periodic_noise([0], 40, 24, 3), content)
    assert out.shape == (1, 3, 40, 24)
    with pytest.raises(ValueError):
        gen(periodic_noise([0], 40, 24, 3))


def test_linear_output_is_clamped_in_eval_and_unbounded_in_training():
    gen = Generator(GeneratorSpec(scales=3, output="linear"))
    with torch.no_grad():
        gen.head.weight.mul_(0.01)
        gen.head.bias.fill_(2.0)  # pushes every pixel far above 1
        noise = periodic_noise([0], 32, 32, 3)
        assert float(gen.train()(noise).min()) > 1.5  # the loss sees out-of-range values
        out = gen.eval()(noise)
    assert float(out.min()) == 1.0 and float(out.max()) == 1.0


def test_old_spec_without_output_field_is_a_sigmoid_model():
    spec = GeneratorSpec.from_dict({"scales": 4, "norm": "batch"})
    assert spec.output == "sigmoid"
    assert GeneratorSpec.from_dict(GeneratorSpec(output="linear").to_dict()).output == "linear"
    with pytest.raises(ValueError, match="output"):
        GeneratorSpec(output="tanh")
