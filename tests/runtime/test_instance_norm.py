"""The fast stylizer (texturenet_plugin.runtime.instance_norm) equals the nn.Module reference."""

from __future__ import annotations

import pytest
import torch
from helpers import photo, tiny_stylizer

from texturenet_plugin.metrics import psnr
from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.runtime.instance_norm import FastStylizer, InstanceNormRunner, channel_stats
from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize


@pytest.mark.parametrize("height,width", [(64, 64), (50, 37), (6, 10), (5, 3)])
def test_instance_runner_equals_module(height, width):
    gen = tiny_stylizer("instance", seed=2)
    noise = periodic_noise([5], height, width, gen.spec.scales)
    content = torch.rand(1, 3, height, width)
    with torch.no_grad():
        reference = gen(noise, content)
    fast = InstanceNormRunner(gen)(noise, content)
    assert fast.shape == reference.shape and fast.dtype == torch.float32
    assert (fast - reference).abs().max() < 1e-4
    assert (reference - gen(noise, torch.rand(1, 3, height, width))).abs().max() > 1e-2


@pytest.mark.parametrize("channels", [3, 8, 40, 48])
@pytest.mark.parametrize("height,width", [(24, 20), (7, 5)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_channel_stats_equal_var_mean(channels, height, width, dtype):
    """Grouped statistics (C = 8, 40: read as 16, 80 channels; 7x5 cannot be grouped) equal
    per-channel mean and biased variance. Every channel has its own mean and spread, so a merge
    that mixes channels up fails; bfloat16 inputs are reduced with bfloat16-sized error
    (ATen's kernels: the training-mode batch norm this replaced had the same)."""
    c = torch.arange(channels, dtype=torch.float32)[:, None, None]
    x = torch.randn(1, channels, height, width) * (1 + 3 * c / channels) + c
    x = x.to(dtype).contiguous(memory_format=torch.channels_last)
    mean, var = channel_stats(x)
    ref_var, ref_mean = torch.var_mean(x.double(), dim=(0, 2, 3), unbiased=False)
    assert mean.dtype == var.dtype == torch.float32 and mean.shape == (channels,)
    tol = 1e-4 if dtype == torch.float32 else 1e-2
    assert torch.allclose(mean.double(), ref_mean, rtol=tol, atol=tol)
    assert torch.allclose(var.double(), ref_var, rtol=tol, atol=tol)


@pytest.mark.parametrize("norm", ["instance", "batch"])
@pytest.mark.parametrize("height,width,side", [(45, 71, 1280), (61, 151, 192)])
def test_fast_stylize_equals_reference(norm, height, width, side):
    """Untiled (side 1280) and tiled (side 192: 2 tiles; instance statistics frozen from a
    downscaled copy), odd sizes."""
    gen, image = tiny_stylizer(norm, seed=3), photo(height, width, seed=1)
    options = StylizeOptions(seed=4, max_pass_side=side, overlap=32)
    reference = stylize(gen, image, options, reference=True)
    fast = stylize(gen, image, options)
    assert fast.shape == (3, height, width)
    assert (fast - reference).abs().max() < 1e-4
    assert float(reference.std(dim=(1, 2)).min()) > 1e-3  # not flat: 1e-4 is a real check


def test_frozen_statistics_are_folded():
    gen, image = tiny_stylizer("instance", seed=1), photo(40, 40)
    stylizer = FastStylizer(gen)
    noise = periodic_noise([0], 40, 40, gen.spec.scales)
    frozen = stylizer.frozen(noise, image[None])
    assert frozen is not stylizer.whole and frozen.branches  # a folded FastGenerator
    # frozen on the same image: instance statistics are the image's own -> same output
    assert (frozen(noise, image[None]) - stylizer(noise, image[None])).abs().max() < 1e-4


@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_bfloat16_stylize_is_close(norm):
    gen, image = tiny_stylizer(norm, seed=2), photo(64, 80)
    full = stylize(gen, image, StylizeOptions(seed=1))
    half = stylize(gen, image, StylizeOptions(seed=1, precision="bfloat16"))
    assert 35 < psnr(full, half) < float("inf")


def test_linear_output_stylizer_equals_module():
    torch.manual_seed(0)
    spec = GeneratorSpec(scales=3, content_channels=3, norm="instance", output="linear")
    gen = Generator(spec).eval()
    noise, content = periodic_noise([1], 40, 24, 3), torch.rand(1, 3, 40, 24)
    with torch.no_grad():
        reference = gen(noise, content)
    assert (InstanceNormRunner(gen)(noise, content) - reference).abs().max() < 1e-4
